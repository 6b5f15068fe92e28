/* .dockerignore matching against the real implementation: Debian's github.com/moby/patternmatcher,
 * through tests/unit/base/dockerignore_oracle.go (built here, offline, with the packaged Go
 * toolchain). Generated pattern files and paths, Docker's documented examples, and walks of
 * generated trees must come out as Docker has them, refusals included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/dockerignore.h"
#include "distill/base/error.h"
#include "distill/base/util.h"
#include "fixture.h"

static char *g_tmp;
static char *g_oracle;

static int build_oracle(void **state)
{
        (void)state;
        g_tmp = fixture_tmpdir();
        g_oracle = path_join(g_tmp, "oracle");
        int st =
            fixture_sh("cd '%s' && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE='%s/gocache' "
                       "HOME='%s' GOFLAGS= go build -o '%s' '%s/tests/unit/base/"
                       "dockerignore_oracle.go' >&2",
                       g_tmp, g_tmp, g_tmp, g_oracle, fixture_source_dir());
        if (st != 0) {
                fprintf(stderr,
                        "cannot build the patternmatcher oracle: golang-go and "
                        "golang-github-moby-patternmatcher-dev are needed (scripts/setup)\n");
                return -1;
        }
        return 0;
}

static int remove_oracle(void **state)
{
        (void)state;
        fixture_cleanup(g_tmp);
        free(g_tmp);
        free(g_oracle);
        return 0;
}

static void add_hex(struct strbuf *sb, const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                strbuf_addf(sb, "%02x", (unsigned char)s[i]);
}

static char *unhex(const char *s, size_t n)
{
        char *out = xcalloc(1, n / 2 + 1);
        for (size_t i = 0; i + 1 < n; i += 2) {
                unsigned v;
                sscanf(s + i, "%2x", &v);
                out[i / 2] = (char)v;
        }
        return out;
}

/* s with its unprintable bytes escaped, for messages */
static char *quoted(const char *s, size_t n)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_addch(&sb, '"');
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '\n')
                        strbuf_adds(&sb, "\\n");
                else if (c == '"' || c == '\\')
                        strbuf_addf(&sb, "\\%c", c);
                else if (c < 0x20 || c == 0x7f)
                        strbuf_addf(&sb, "\\x%02x", c);
                else
                        strbuf_addch(&sb, (char)c);
        }
        strbuf_addch(&sb, '"');
        return strbuf_detach(&sb);
}

/* The oracle's answer to an input, one line per case. */
static struct strvec run_oracle(const struct strbuf *input)
{
        cleanup_free char *in = path_join(g_tmp, "input");
        assert_int_equal(write_file_atomic(in, input->buf, input->len, 0644), 0);
        cleanup_free char *out = fixture_sh_out("'%s' < '%s'", g_oracle, in);
        assert_non_null(out);
        struct strvec lines = STRVEC_INIT;
        for (char *s = out, *nl; *s; s = nl + 1) {
                nl = strchr(s, '\n');
                assert_non_null(nl);
                strvec_push_nodup(&lines, xstrndup(s, (size_t)(nl - s)));
        }
        return lines;
}

struct mcase {
        struct strbuf text;
        struct strvec paths;
};

/* Every case through the oracle and through distill; all disagreements reported, then failed. */
static void compare_cases(struct mcase *cases, size_t n)
{
        struct strbuf in = STRBUF_INIT;
        for (size_t i = 0; i < n; i++) {
                strbuf_adds(&in, "C ");
                add_hex(&in, cases[i].text.buf ? cases[i].text.buf : "", cases[i].text.len);
                strbuf_addch(&in, '\n');
                for (size_t j = 0; j < cases[i].paths.n; j++) {
                        strbuf_adds(&in, "F ");
                        add_hex(&in, cases[i].paths.v[j], strlen(cases[i].paths.v[j]));
                        strbuf_addch(&in, '\n');
                }
                strbuf_adds(&in, "E\n");
        }
        struct strvec answers = run_oracle(&in);
        strbuf_release(&in);
        assert_int_equal(answers.n, n);

        size_t wrong = 0, refused = 0, compared = 0;
        for (size_t i = 0; i < n; i++) {
                const char *go = answers.v[i];
                struct dockerignore *di = NULL;
                struct distill_error err = {0};
                int r = dockerignore_parse("case", strbuf_str(&cases[i].text), cases[i].text.len,
                                           &di, &err);
                cleanup_free char *q = quoted(strbuf_str(&cases[i].text), cases[i].text.len);
                if (!strncmp(go, "ERR", 3)) {
                        refused++;
                        if (r == 0 && wrong++ < 20)
                                fprintf(stderr, "Docker refuses %s (%s); distill accepts it\n", q,
                                        go);
                } else if (r < 0) {
                        if (wrong++ < 20)
                                fprintf(stderr, "distill refuses %s (%s); Docker accepts it\n", q,
                                        err.msg);
                } else {
                        assert_int_equal(strlen(go), cases[i].paths.n);
                        for (size_t j = 0; j < cases[i].paths.n; j++) {
                                const char *p = cases[i].paths.v[j];
                                bool want = go[j] == '1';
                                compared++;
                                if (dockerignore_excluded(di, p) == want)
                                        continue;
                                cleanup_free char *qp = quoted(p, strlen(p));
                                if (wrong++ < 20)
                                        fprintf(stderr, "%s, path %s: Docker %s, distill not\n", q,
                                                qp, want ? "excludes" : "keeps");
                        }
                }
                dockerignore_free(di);
        }
        fprintf(stderr,
                "%zu files (%zu refused by Docker), %zu paths compared, %zu disagreements\n", n,
                refused, compared, wrong);
        strvec_clear(&answers);
        if (wrong)
                fail_msg("distill and patternmatcher disagree %zu times", wrong);
}

static void mcase_release(struct mcase *cases, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                strbuf_release(&cases[i].text);
                strvec_clear(&cases[i].paths);
        }
        free(cases);
}

/* ---- generated cases ---- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
        g_rng ^= g_rng << 13;
        g_rng ^= g_rng >> 7;
        g_rng ^= g_rng << 17;
        return (unsigned)(g_rng % n);
}

#define PICK(a) (a)[rnd(sizeof(a) / sizeof((a)[0]))]

static const char *const names[] = {
    "a",         "b",          "c",    "x",     "ab",     "abc",     "\xC3\xA9",     "a.go", "z.go",
    "README.md", "CHANGES.md", "temp", "temp1", "tempab", ".hidden", "a^b",          "[x]",  "a b",
    "*",         "7",          "$",    "\xFF",  "A",      "a\\b",    "\xE2\x82\xAC", "d",    "a]",
    "x.pyc",     "."};

static const char *const tokens[] = {
    "a",        "b",           "c",     "x",       "ab",
    "\xC3\xA9", "*",           "*",     "?",       "[a-c]",
    "[^x]",     "**",          "**",    "..",      ".",
    "\\*",      "\\?",         "\\[",   "\\a",     "\\d",
    "\\.",      "\\\\",        "[!a]",  "]",       "^",
    "$",        "[[:alpha:]]", "\\x61", "\\Q",     "\\b",
    "{",        "}",           "+",     "(",       "|",
    "[*]",      "[?]",         "[**]",  "[\\]]",   " ",
    "#",        ".go",         ".md",   "temp",    "README",
    "\\w",      "\\S",         "[^/]",  "\\x{e9}", "[\xC3\xA9-\xC3\xBF]",
    "\\z",      "\\B",         "[\\d]", "[^a-c]",  "\\$",
    "\\ ",      "[\\x61-c]",   "{2}",   "{1,}",    "{0}",
    "{,2}",     "\\|",         "\\{"};

/* what Docker refuses, rarer so that most files get matched */
static const char *const bad_tokens[] = {"[",      "[]a]",  "[a-]",       "[z-a]",
                                         "\\e",    "\\1",   "[[:nope:]]", "\\\xC3\xA9",
                                         "{1001}", "{2,1}", "\\"};

static void gen_pattern(struct strbuf *sb)
{
        if (rnd(8) == 0)
                strbuf_adds(sb, PICK(((const char *const[]){" ", "\t", "  "})));
        if (rnd(4) == 0)
                strbuf_addch(sb, '!');
        if (rnd(6) == 0)
                strbuf_addch(sb, ' ');
        if (rnd(5) == 0)
                strbuf_addch(sb, '/');
        unsigned segs = 1 + rnd(3);
        for (unsigned s = 0; s < segs; s++) {
                if (s > 0)
                        strbuf_addch(sb, '/');
                unsigned toks = 1 + rnd(3);
                for (unsigned t = 0; t < toks; t++)
                        strbuf_adds(sb, rnd(40) ? PICK(tokens) : PICK(bad_tokens));
        }
        if (rnd(6) == 0)
                strbuf_addch(sb, '/');
        if (rnd(10) == 0)
                strbuf_addch(sb, ' ');
}

static void gen_file(struct strbuf *sb)
{
        if (rnd(20) == 0)
                strbuf_adds(sb, "\xEF\xBB\xBF");
        unsigned lines = 1 + rnd(4);
        for (unsigned l = 0; l < lines; l++) {
                unsigned kind = rnd(14);
                if (kind == 0)
                        strbuf_adds(sb, "# a comment");
                else if (kind == 1)
                        strbuf_adds(sb, "   ");
                else
                        gen_pattern(sb);
                strbuf_adds(sb, rnd(8) == 0 ? "\r\n" : "\n");
        }
}

static char *gen_path(void)
{
        struct strbuf sb = STRBUF_INIT;
        unsigned depth = 1 + rnd(4);
        for (unsigned d = 0; d < depth; d++) {
                if (d > 0)
                        strbuf_addch(&sb, '/');
                const char *n = PICK(names);
                if (!strcmp(n, "."))
                        n = "dot.";
                strbuf_adds(&sb, n);
        }
        return strbuf_detach(&sb);
}

static void test_generated(void **state)
{
        (void)state;
        const char *seed = getenv("DISTILL_TEST_SEED");
        if (seed)
                g_rng = strtoull(seed, NULL, 0) * 0x9E3779B97F4A7C15ull | 1;
        fprintf(stderr, "seed 0x%llx\n", (unsigned long long)g_rng);
        size_t n = 4000;
        struct mcase *cases = xcalloc(n, sizeof(*cases));
        for (size_t i = 0; i < n; i++) {
                gen_file(&cases[i].text);
                for (unsigned j = 0; j < 40; j++)
                        strvec_push_nodup(&cases[i].paths, gen_path());
        }
        compare_cases(cases, n);
        mcase_release(cases, n);
}

/* ---- Docker's documented examples (the .dockerignore section of the Dockerfile reference) ---- */

struct doc_case {
        const char *text;
        const char *path;
        bool excluded;
};

static const struct doc_case doc_cases[] = {
    {"*/temp*", "somedir/temporary.txt", true},
    {"*/temp*", "somedir/temp", true},
    {"*/temp*", "temp", false},
    {"*/temp*", "a/b/temp", false},
    {"*/*/temp*", "somedir/subdir/temporary.txt", true},
    {"*/*/temp*", "somedir/temporary.txt", false},
    {"temp?", "tempa", true},
    {"temp?", "tempb", true},
    {"temp?", "temp", false},
    {"temp?", "tempab", false},
    {"**/*.go", "a.go", true},
    {"**/*.go", "x/y/z.go", true},
    {"**/*.go", "x/y/z.gox", false},
    {"*.md\n!README.md\n", "README.md", false},
    {"*.md\n!README.md\n", "CHANGES.md", true},
    {"*.md\n!README.md\n", "docs/x.md", false},
    {"*.md\n!README*.md\nREADME-secret.md\n", "README-secret.md", true},
    {"*.md\n!README*.md\nREADME-secret.md\n", "README-x.md", false},
    {"*.md\nREADME-secret.md\n!README*.md\n", "README-secret.md", false},
    {"*.md\nREADME-secret.md\n!README*.md\n", "CHANGES.md", true},
    /* the files Docker itself reads are copied unless a pattern says otherwise */
    {"*.md\n", "Dockerfile", false},
    {"*.md\n", ".dockerignore", false},
    {".dockerignore\nDockerfile\n", ".dockerignore", true},
    {".dockerignore\nDockerfile\n", "Dockerfile", true},
    /* a leading slash, "." and ".." elements are cleaned away; a directory takes its contents */
    {"/build", "build/x.o", true},
    {"./build/../dist/", "dist/a/b", true},
    {"# build\n", "# build", false},
    {" # build\n", "# build", true},
    {"build\n!build/keep\n", "build/keep/a", false},
    {"build\n!build/keep\n", "build/other", true},
    {"**", "anything/at/all", true},
    {"**\n!src/**\n", "src/a.py", false},
};

static void test_documented(void **state)
{
        (void)state;
        size_t n = sizeof(doc_cases) / sizeof(doc_cases[0]);
        struct mcase *cases = xcalloc(n, sizeof(*cases));
        for (size_t i = 0; i < n; i++) {
                strbuf_adds(&cases[i].text, doc_cases[i].text);
                strvec_push(&cases[i].paths, doc_cases[i].path);
        }
        compare_cases(cases, n);
        mcase_release(cases, n);
        for (size_t i = 0; i < n; i++) {
                struct dockerignore *di;
                struct distill_error err = {0};
                assert_int_equal(dockerignore_parse("doc", doc_cases[i].text,
                                                    strlen(doc_cases[i].text), &di, &err),
                                 0);
                if (dockerignore_excluded(di, doc_cases[i].path) != doc_cases[i].excluded)
                        fail_msg("%s with %s: %s expected", doc_cases[i].path, doc_cases[i].text,
                                 doc_cases[i].excluded ? "excluded" : "kept");
                dockerignore_free(di);
        }
}

/* patternmatcher's quirks, which Docker users meet and distill must keep */
static void test_quirks(void **state)
{
        (void)state;
        static const struct doc_case quirks[] = {
            {"a[^x]b", "a/b", true},   /* a Go class, unlike filepath.Match, crosses '/' */
            {"**foo", "xfoo", true},   /* a literal after "**": a bare suffix test */
            {"foo**", "foobar", true}, /* and before it a bare prefix test */
            {"[?]", "^]", true},       /* "[[^/]]": a class of '[', '^', '/', then ']' */
            {"[?]", "a]", false},
            {"x?|b", "zzb", true},  /* "|{}" are not escaped: "^x[^/]|b$" */
            {"a|b", "a|b", true},   /* (unless nothing makes it a regular expression) */
            {"?a{2}", "xaa", true}, /* a count */
            {"\\x{e9}", "\xC3\xA9", true},
            {"\\d", "7", true},   /* the escape means what it means to Go's regexp */
            {"\\Qa", "a$", true}, /* \Q quotes the closing $ away */
            {"\\Qa", "a$/more", true},
            {"caf?", "caf\xC3\xA9", true}, /* '?' is one rune */
            {"caf??", "caf\xC3\xA9", false},
            {"x?", "x\xFF", true}, /* an invalid byte is one rune, U+FFFD */
        };
        size_t n = sizeof(quirks) / sizeof(quirks[0]);
        struct mcase *cases = xcalloc(n, sizeof(*cases));
        for (size_t i = 0; i < n; i++) {
                strbuf_adds(&cases[i].text, quirks[i].text);
                strvec_push(&cases[i].paths, quirks[i].path);
        }
        compare_cases(cases, n);
        mcase_release(cases, n);
        for (size_t i = 0; i < n; i++) {
                struct dockerignore *di;
                struct distill_error err = {0};
                assert_int_equal(
                    dockerignore_parse("q", quirks[i].text, strlen(quirks[i].text), &di, &err), 0);
                if (dockerignore_excluded(di, quirks[i].path) != quirks[i].excluded)
                        fail_msg("%s with %s: %s expected", quirks[i].path, quirks[i].text,
                                 quirks[i].excluded ? "excluded" : "kept");
                dockerignore_free(di);
        }
}

static void expect_refused(const char *text, const char *needle)
{
        struct dockerignore *di = NULL;
        struct distill_error err = {0};
        int r = dockerignore_parse(".dockerignore", text, strlen(text), &di, &err);
        if (r != -DISTILL_EUSAGE || !strstr(err.msg, needle))
                fail_msg("%s: expected an error with \"%s\", got %d \"%s\"", text, needle, r,
                         err.msg);
        assert_null(di);
}

static void test_errors(void **state)
{
        (void)state;
        expect_refused("ok\n[\n", ".dockerignore:2: pattern \"[\": syntax error");
        expect_refused("a\\", ".dockerignore:1: pattern \"a\\\": syntax error");
        expect_refused("ok\n\n!\n", ".dockerignore:3: illegal exclusion pattern");
        expect_refused("[z-a]", ".dockerignore:1: pattern \"[z-a]\": invalid character class");
        expect_refused("\\e", "invalid escape sequence");
        expect_refused("\\pL", "Unicode classes");
        expect_refused("ok\n\xFF\n", ".dockerignore:2: not UTF-8");
        struct strbuf big = STRBUF_INIT;
        for (int i = 0; i < DOCKERIGNORE_MAX_LINE + 1; i++)
                strbuf_addch(&big, 'a');
        expect_refused(big.buf, ".dockerignore:1: line longer than");
        strbuf_reset(&big);
        for (int i = 0; i < 5000; i++)
                strbuf_adds(&big, "?");
        expect_refused(big.buf, "pattern too large");
        strbuf_release(&big);
        struct dockerignore *di;
        struct distill_error err = {0};
        assert_int_equal(dockerignore_parse("nul", "a\0b", 3, &di, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "nul: holds a NUL byte"));
}

/* ---- walks ---- */

static void touch(const char *root, const char *rel)
{
        cleanup_free char *p = path_join(root, rel);
        fixture_write(p, rel);
}

static struct strvec oracle_walk(const char *text, const char *dir)
{
        struct strbuf in = STRBUF_INIT;
        strbuf_adds(&in, "W ");
        if (*text)
                add_hex(&in, text, strlen(text));
        else
                strbuf_addch(&in, '-');
        strbuf_addch(&in, ' ');
        add_hex(&in, dir, strlen(dir));
        strbuf_addch(&in, '\n');
        struct strvec lines = run_oracle(&in);
        strbuf_release(&in);
        assert_int_equal(lines.n, 1);
        struct strvec sent = STRVEC_INIT;
        if (strncmp(lines.v[0], "OK", 2) != 0)
                strvec_push(&sent, lines.v[0]); /* an error: never equal to a walk */
        for (char *s = lines.v[0] + 2; *s == ' ';) {
                s++;
                size_t n = strcspn(s, " ");
                strvec_push_nodup(&sent, unhex(s, n));
                s += n;
        }
        strvec_clear(&lines);
        return sent;
}

/* distill's walk of dir equals the oracle's; 0 when both refuse the file */
static void compare_walk(const char *text, const char *dir)
{
        struct dockerignore *di;
        struct distill_error err = {0};
        struct strvec want = oracle_walk(text, dir);
        if (dockerignore_parse("walk", text, strlen(text), &di, &err) < 0) {
                if (want.n != 1 || strncmp(want.v[0], "ERR", 3) != 0)
                        fail_msg("distill refuses %s (%s); Docker accepts it", text, err.msg);
                strvec_clear(&want);
                return;
        }
        struct strvec got = STRVEC_INIT;
        assert_int_equal(dockerignore_walk(di, dir, &got, &err), 0);
        bool same = got.n == want.n;
        for (size_t i = 0; same && i < got.n; i++)
                same = !strcmp(got.v[i], want.v[i]);
        if (!same) {
                cleanup_free char *q = quoted(text, strlen(text));
                fprintf(stderr, "walk of %s with %s:\n", dir, q);
                for (size_t i = 0; i < want.n; i++)
                        fprintf(stderr, "  docker  %s%s\n", want.v[i],
                                strvec_contains(&got, want.v[i]) ? "" : "   <- distill lacks it");
                for (size_t i = 0; i < got.n; i++)
                        if (!strvec_contains(&want, got.v[i]))
                                fprintf(stderr, "  distill %s   <- Docker lacks it\n", got.v[i]);
                fail_msg("walks differ");
        }
        strvec_clear(&got);
        strvec_clear(&want);
        dockerignore_free(di);
}

static void test_walk_app(void **state)
{
        (void)state;
        cleanup_free char *root = path_join(g_tmp, "app");
        static const char *const files[] = {"app.py",
                                            "Dockerfile",
                                            "README.md",
                                            "docs/a.md",
                                            "build/x.o",
                                            "build/keep/k.txt",
                                            "secret/s.txt",
                                            "src/m.py",
                                            "src/m.pyc",
                                            "src/__pycache__/m.cpython-311.pyc",
                                            "node_modules/p/i.js",
                                            "notes.md"};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                touch(root, files[i]);
        const char *text = "build\n!build/keep\n*.md\n!README.md\n**/*.pyc\nsecret/\n"
                           "node_modules\n";
        touch(root, ".dockerignore");
        cleanup_free char *di_path = path_join(root, ".dockerignore");
        fixture_write(di_path, text);
        cleanup_free char *link = path_join(root, "src/link");
        assert_int_equal(symlink("../secret", link), 0);

        struct dockerignore *di;
        struct distill_error err = {0};
        assert_int_equal(dockerignore_load(di_path, &di, &err), 0);
        struct strvec got = STRVEC_INIT;
        assert_int_equal(dockerignore_walk(di, root, &got, &err), 0);
        static const char *const want[] = {
            ".dockerignore",   "Dockerfile",       "README.md", "app.py",    "build",
            "build/keep",      "build/keep/k.txt", "docs",      "docs/a.md", "src",
            "src/__pycache__", "src/link",         "src/m.py"};
        struct strbuf all = STRBUF_INIT;
        for (size_t i = 0; i < got.n; i++)
                strbuf_addf(&all, " %s", got.v[i]);
        assert_int_equal(got.n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < got.n; i++)
                if (strcmp(got.v[i], want[i]) != 0)
                        fail_msg("walk sent%s", all.buf);
        strbuf_release(&all);
        strvec_clear(&got);
        dockerignore_free(di);
        compare_walk(text, root);
}

static void gen_tree(const char *dir, int depth)
{
        mkdir_p(dir, 0755);
        unsigned n = 1 + rnd(5);
        for (unsigned i = 0; i < n; i++) {
                const char *name = PICK(names);
                if (!strcmp(name, "."))
                        continue;
                cleanup_free char *p = path_join(dir, name);
                struct stat st;
                if (lstat(p, &st) == 0)
                        continue;
                unsigned kind = rnd(depth < 3 ? 6 : 3);
                if (kind == 0)
                        assert_int_equal(symlink(rnd(2) ? "a" : "../missing", p), 0);
                else if (kind < 3)
                        fixture_write(p, name);
                else
                        gen_tree(p, depth + 1);
        }
}

static void test_walk_generated(void **state)
{
        (void)state;
        static const char *const fixed[] = {
            "",
            "a\n",
            "a\n!a/b\n",
            "*\n!a\n",
            "**\n!**/*.go\n",
            "a\n!a/b/c\n",
            "ab\n!ab/*\n",
            "x\n!x/**\n",
            "a\n!a/b\na\n", /* matched with the parent's results, not MatchesOrParentMatches */
            "*/*\n!*/a\n",
        };
        for (int t = 0; t < 12; t++) {
                cleanup_free char *root = xasprintf("%s/tree%d", g_tmp, t);
                gen_tree(root, 0);
                for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                        compare_walk(fixed[i], root);
                for (int k = 0; k < 40; k++) {
                        struct strbuf text = STRBUF_INIT;
                        gen_file(&text);
                        compare_walk(strbuf_str(&text), root);
                        strbuf_release(&text);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_documented), cmocka_unit_test(test_quirks),
            cmocka_unit_test(test_errors),     cmocka_unit_test(test_generated),
            cmocka_unit_test(test_walk_app),   cmocka_unit_test(test_walk_generated),
        };
        return cmocka_run_group_tests(tests, build_oracle, remove_oracle);
}
