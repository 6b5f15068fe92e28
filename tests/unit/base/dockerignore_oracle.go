// The oracle of test_dockerignore.c: Debian's github.com/moby/patternmatcher (v0.5.0), the
// matcher Docker and BuildKit use, built offline by the test with
// GO111MODULE=off GOPATH=/usr/share/gocode go build.
//
// Input on stdin, one command a line, every string hex-encoded (patterns and paths may hold any
// byte):
//
//	C <text>         a .dockerignore file; then
//	F <path>         paths (slash-separated, relative), and
//	E                the end of the case: prints "ERR <message>" when Docker refuses the file
//	                 (ReadAll, New, or a pattern that does not compile), else one '0' or '1'
//	                 a path, in order: MatchesOrParentMatches
//	W <text> <dir>   what BuildKit's context sender sends from dir: "ERR <message>", or "OK"
//	                 followed by the hex of each path sent (sorted), separated by spaces
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/patternmatcher"
)

// readAll is ignorefile.ReadAll (moby/patternmatcher/ignorefile, before that
// docker/docker/builder/dockerignore), which the packaged v0.5.0 predates.
func readAll(text []byte) ([]string, error) {
	var excludes []string
	currentLine := 0
	utf8bom := []byte{0xEF, 0xBB, 0xBF}
	scanner := bufio.NewScanner(bytes.NewReader(text))
	for scanner.Scan() {
		scannedBytes := scanner.Bytes()
		if currentLine == 0 {
			scannedBytes = bytes.TrimPrefix(scannedBytes, utf8bom)
		}
		pattern := string(scannedBytes)
		currentLine++
		if strings.HasPrefix(pattern, "#") {
			continue
		}
		pattern = strings.TrimSpace(pattern)
		if pattern == "" {
			continue
		}
		invert := pattern[0] == '!'
		if invert {
			pattern = strings.TrimSpace(pattern[1:])
		}
		if len(pattern) > 0 {
			pattern = filepath.Clean(pattern)
			pattern = filepath.ToSlash(pattern)
			if len(pattern) > 1 && pattern[0] == '/' {
				pattern = pattern[1:]
			}
		}
		if invert {
			pattern = "!" + pattern
		}
		excludes = append(excludes, pattern)
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	return excludes, nil
}

// matcher is what Docker makes of the file; patternmatcher compiles a pattern on its first use,
// so each one is used once here to surface the errors a build would meet.
func matcher(text []byte) (*patternmatcher.PatternMatcher, error) {
	patterns, err := readAll(text)
	if err != nil {
		return nil, err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, err
	}
	for _, p := range pm.Patterns() {
		s := p.String()
		if err := wholePatternValid(s); err != nil {
			return nil, fmt.Errorf("%q: %v (as newer Go reports it)", s, err)
		}
		use := []string{s}
		if strings.HasPrefix(s, "!") {
			// an inclusion cannot start with '!': an exclusion after "**" is evaluated too
			use = []string{"**", "!" + s}
		}
		one, err := patternmatcher.New(use)
		if err != nil {
			return nil, err
		}
		if _, err := one.MatchesOrParentMatches("x"); err != nil {
			return nil, fmt.Errorf("%q: %v", s, err)
		}
	}
	return pm, nil
}

// wholePatternValid is the check New makes with the newer Go releases Docker is built with:
// their filepath.Match reports a malformed pattern whatever the name, where Go 1.19's stops at
// the first chunk that cannot match (New calls Match(p, ".")). Each chunk (split as scanChunk
// does) is handed to this Go's Match with an empty name, which parses all of it.
func wholePatternValid(p string) error {
	for len(p) > 0 {
		p = strings.TrimLeft(p, "*")
		inrange := false
		i := 0
	scan:
		for ; i < len(p); i++ {
			switch p[i] {
			case '\\':
				if i+1 < len(p) {
					i++
				}
			case '[':
				inrange = true
			case ']':
				inrange = false
			case '*':
				if !inrange {
					break scan
				}
			}
		}
		if _, err := filepath.Match(p[:i], ""); err != nil {
			return err
		}
		p = p[i:]
	}
	return nil
}

func withoutTrailingGlob(p *patternmatcher.Pattern) string {
	s := strings.TrimSuffix(p.String(), "/**")
	return strings.TrimSuffix(s, "/*")
}

// walk is tonistiigi/fsutil's filtered walk, reduced to its exclude patterns.
func walk(pm *patternmatcher.PatternMatcher, root string) ([]string, error) {
	onlyPrefix := true
	for _, p := range pm.Patterns() {
		if p.Exclusion() && strings.ContainsAny(withoutTrailingGlob(p), `*[]?^\`) {
			onlyPrefix = false
			break
		}
	}
	type dir struct {
		path, withSep string
		info          patternmatcher.MatchInfo
		sent          bool
	}
	var parents []*dir
	var out []string
	err := filepath.WalkDir(root, func(abs string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, abs)
		if rel == "." {
			return nil
		}
		for len(parents) > 0 && !strings.HasPrefix(rel, parents[len(parents)-1].withSep) {
			parents = parents[:len(parents)-1]
		}
		var parentInfo patternmatcher.MatchInfo
		if len(parents) > 0 {
			parentInfo = parents[len(parents)-1].info
		}
		m, info, err := pm.MatchesUsingParentResults(rel, parentInfo)
		if err != nil {
			return err
		}
		if m && d.IsDir() && onlyPrefix {
			if !pm.Exclusions() {
				return filepath.SkipDir
			}
			descend := false
			for _, p := range pm.Patterns() {
				if p.Exclusion() && strings.HasPrefix(withoutTrailingGlob(p)+"/", rel+"/") {
					descend = true
					break
				}
			}
			if !descend {
				return filepath.SkipDir
			}
		}
		if !m {
			for _, p := range parents {
				if !p.sent {
					out = append(out, p.path)
					p.sent = true
				}
			}
			out = append(out, rel)
		}
		if d.IsDir() {
			parents = append(parents, &dir{rel, rel + "/", info, !m})
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad hex:", s)
		os.Exit(2)
	}
	return b
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var text []byte
	var paths []string
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "C":
			text, paths = nil, nil
			if len(f) > 1 {
				text = unhex(f[1])
			}
		case "F":
			paths = append(paths, string(unhex(f[1])))
		case "E":
			pm, err := matcher(text)
			if err != nil {
				fmt.Fprintf(out, "ERR %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
				continue
			}
			var bits strings.Builder
			for _, p := range paths {
				m, err := pm.MatchesOrParentMatches(p)
				if err != nil {
					fmt.Fprintf(os.Stderr, "match %q: %v\n", p, err)
					os.Exit(2)
				}
				if m {
					bits.WriteByte('1')
				} else {
					bits.WriteByte('0')
				}
			}
			fmt.Fprintln(out, bits.String())
		case "W":
			var t []byte
			if f[1] != "-" {
				t = unhex(f[1])
			}
			pm, err := matcher(t)
			var sent []string
			if err == nil {
				sent, err = walk(pm, string(unhex(f[2])))
			}
			if err != nil {
				fmt.Fprintf(out, "ERR %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
				continue
			}
			out.WriteString("OK")
			for _, s := range sent {
				out.WriteString(" " + hex.EncodeToString([]byte(s)))
			}
			out.WriteString("\n")
		}
	}
}
