/* .dockerignore files, read and matched exactly as Docker does: the lines as
 * github.com/moby/patternmatcher/ignorefile.ReadAll yields them ('#' comments, blank lines,
 * '!' exceptions, filepath.Clean, a leading '/' removed) and the patterns as
 * github.com/moby/patternmatcher v0.5.0 matches them — each one compiled, as patternmatcher does,
 * to a regular expression (here a POSIX one), with its quirks kept: "**" at the start or the end
 * of an otherwise literal pattern is a plain suffix or prefix test, bracket expressions are those
 * of Go's regexp package (so "[^x]" also matches '/'), and a backslash escapes as a Go regexp
 * does ("\d" is a digit). The last matching pattern wins, '!' re-includes, and a path is
 * excluded when a pattern matches it or any of its parent directories.
 *
 * Differences, all refused with an error rather than matched differently: a file that is not
 * UTF-8 or holds a NUL byte, Unicode classes (\p{...}, \P{...}) and patterns whose regular
 * expression would exceed DOCKERIGNORE_MAX_REGEX bytes. */
#ifndef DISTILL_DOCKERIGNORE_H
#define DISTILL_DOCKERIGNORE_H

#include <stdbool.h>
#include <stddef.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

#define DOCKERIGNORE_MAX_BYTES    (1 << 20) /* the file */
#define DOCKERIGNORE_MAX_LINE     65535     /* Go's bufio.Scanner refuses longer lines */
#define DOCKERIGNORE_MAX_PATTERNS 10000
#define DOCKERIGNORE_MAX_REGEX    (256 << 10) /* one pattern's POSIX regular expression */
#define DOCKERIGNORE_WALK_MAX     (1 << 20)   /* entries a walk visits */
#define DOCKERIGNORE_WALK_DEPTH   128

struct dockerignore;

/* Parse the text (len bytes, NUL bytes refused) of the file `name` (for messages). A bad pattern
 * — what filepath.Match reports as ErrBadPattern, a lone "!", or a regular expression Go's
 * regexp refuses — is an error naming name:line. */
int dockerignore_parse(const char *name, const char *text, size_t len, struct dockerignore **out,
                       struct distill_error *err);
/* dockerignore_parse of the file at path, read with DOCKERIGNORE_MAX_BYTES as a cap. */
int dockerignore_load(const char *path, struct dockerignore **out, struct distill_error *err);
void dockerignore_free(struct dockerignore *di);

/* patternmatcher's MatchesOrParentMatches. relpath: slash-separated, clean (no "." or ".."
 * elements, no trailing slash), relative to the context root. */
bool dockerignore_excluded(const struct dockerignore *di, const char *relpath);

/* Every file, symlink and directory under dir that `COPY . dest` would copy (relative paths,
 * sorted), walking as BuildKit's context sender (tonistiigi/fsutil) does: entries in name order,
 * symbolic links not followed, a path matched with the results of its parent directory
 * (MatchesUsingParentResults), an excluded directory skipped unless an exception pattern could
 * re-include something under it — and then still absent itself unless something under it is
 * copied. */
int dockerignore_walk(const struct dockerignore *di, const char *dir, struct strvec *out,
                      struct distill_error *err);

#endif
