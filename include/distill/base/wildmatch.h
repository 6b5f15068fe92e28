/* Pathname globs with git's wildmatch semantics (gitignore(5) "PATTERN FORMAT", matched as git
 * does with WM_PATHNAME), used for files.include, files.exclude and every rule glob.
 *
 *   *        any run of bytes except '/'
 *   ?        one byte except '/'
 *   [...]    one byte except '/' from a set: ranges (a-z), negation ([!...] or [^...]), POSIX
 *            classes ([:alpha:] and the other eleven, ASCII only), ']' first is a member,
 *            backslash escapes the next byte
 *   \x       the byte x itself
 *   **       only with a '/' or an end of the pattern on both sides: "**" then '/' at the
 *            start matches in every directory, '/' then "**" at the end matches everything
 *            inside, "**" between two slashes matches zero or more directories; any other run
 *            of asterisks is a single '*'
 *
 * Matching takes time proportional to the text for each resumable '*' (at worst the text's
 * length times the pattern's), never exponential, and has no depth limit. */
#ifndef DISTILL_WILDMATCH_H
#define DISTILL_WILDMATCH_H

#include <stdbool.h>
#include "distill/base/error.h"

/* Whether path matches pattern as a whole. A malformed pattern (see wildmatch_check) matches
 * nothing, as in git. */
bool wildmatch(const char *pattern, const char *path);

/* 0 when the pattern is well formed; otherwise -DISTILL_EUSAGE with err saying what is wrong
 * (an unterminated bracket expression, an unknown [:class:], a trailing backslash), so that a
 * pattern that could never match is refused where it is written instead of silently keeping
 * nothing. */
int wildmatch_check(const char *pattern, struct distill_error *err);

#endif
