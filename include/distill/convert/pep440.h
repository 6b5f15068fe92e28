/* PEP 440 versions and version specifiers, as Python's `packaging` (23.0, Debian bookworm's)
 * reads them: the same grammar (case-insensitive, a `v` prefix, `-`, `_` and `.` separators,
 * the alternative spellings alpha/beta/c/pre/preview/rev/r, the implicit post release `1.0-1`,
 * surrounding whitespace), the same normal form and the same order.
 *
 * Specifier sets follow SpecifierSet.contains with prereleases unset: a pre-release version
 * satisfies a set only when one of its inclusive specifiers (==, ===, ~=, >=, <=) names a
 * pre-release; an empty set admits every final release and no pre-release. Where packaging 23.0
 * departs from PEP 440, PEP 440 is followed (and the oracle test skips those cases):
 *   - `==E!X.*` prefix matching pads the release with zeros also when the epoch is not 0
 *     (23.0 compares "1!1" with "1!1.0" as strings and says 1!1.0 is not in ==1!1.0.*);
 *   - `~=V` is `>=V, ==P.*` with P the release of V without its last component, whatever the
 *     spelling of V's suffix (23.0 keeps `.r1`, `.c1`, `.pre1`, `.POST1` as release components);
 *   - `===` with a text that is not a version names no pre-release (23.0 raises).
 * Only ASCII is read: the Unicode whitespace and case folding Python's `re` also applies are
 * not. Numbers are compared at any length, as Python's integers are. */
#ifndef DISTILL_PEP440_H
#define DISTILL_PEP440_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "distill/base/error.h"

#define PEP440_MAX_LEN        256 /* longest version (or specifier) accepted, in bytes */
#define PEP440_MAX_PARTS      128 /* release components, local segments (the length allows no more) */
#define PEP440_MAX_SPECIFIERS 256         /* specifiers in one comma-joined set */
#define PEP440_MAX_SET_LEN    (64u << 10) /* longest comma-joined set */

/* A number: its digits in text without leading zeros (len 0: zero), compared by length first,
 * so that any length compares as Python's int does. */
struct pep440_num {
        uint16_t off, len;
};

enum pep440_pre { PEP440_PRE_NONE, PEP440_PRE_A, PEP440_PRE_B, PEP440_PRE_RC };

struct pep440_local {
        uint16_t off, len; /* in text, lower-cased; a numeric one without its leading zeros */
        bool numeric;
};

struct pep440_version {
        char text[PEP440_MAX_LEN + 1]; /* the input, trimmed and lower-cased; the parts point in */
        struct pep440_num epoch;
        struct pep440_num release[PEP440_MAX_PARTS];
        size_t n_release; /* >= 1 */
        enum pep440_pre pre;
        struct pep440_num pre_n;
        bool has_post, has_dev, has_local;
        struct pep440_num post, dev;
        struct pep440_local local[PEP440_MAX_PARTS];
        size_t n_local;
};

/* Parses s ("1.0", " v1!2.0-RC.3.post-dev_4+Ubuntu.1 "); an error names s and the column
 * where it stops being a version. */
int pep440_parse(const char *s, struct pep440_version *v, struct distill_error *err);
/* <0, 0, >0 as a sorts before, with, after b (Version's order: 1.0.dev0 < 1.0a0 < 1.0 <
 * 1.0.post0 < 1.0+local; 1.0 == 1.0.0). */
int pep440_compare(const struct pep440_version *a, const struct pep440_version *b);
bool pep440_is_prerelease(const struct pep440_version *v); /* has a pre or a dev part */
bool pep440_is_postrelease(const struct pep440_version *v);
/* The normal form, str(Version): "1!2.0rc3.post0.dev4+ubuntu.1". Caller frees. */
char *pep440_normalize(const struct pep440_version *v);

enum pep440_op {
        PEP440_OP_COMPATIBLE, /* ~= */
        PEP440_OP_EQ,         /* == */
        PEP440_OP_NE,         /* != */
        PEP440_OP_LE,         /* <= */
        PEP440_OP_GE,         /* >= */
        PEP440_OP_LT,         /* < */
        PEP440_OP_GT,         /* > */
        PEP440_OP_ARBITRARY,  /* === */
};

struct pep440_spec {
        enum pep440_op op;
        char text[PEP440_MAX_LEN + 1]; /* the version as written, without the operator */
        bool wildcard;                 /* == or != with a trailing .* */
        bool has_version;              /* text is a version (always, but for === ) */
        struct pep440_version version; /* text without .* */
};

struct pep440_specset {
        struct pep440_spec *v;
        size_t n;
};

/* One specifier (">=1.0", "== 1.2.*", "===foo"), whitespace around it allowed. */
int pep440_spec_parse(const char *s, struct pep440_spec *spec, struct distill_error *err);
/* Whether v satisfies spec, pre-releases admitted (Specifier.contains(v, prereleases=True)). */
bool pep440_spec_contains(const struct pep440_spec *spec, const struct pep440_version *v);
/* Whether the specifier admits pre-releases by itself naming one (Specifier.prereleases). */
bool pep440_spec_names_prerelease(const struct pep440_spec *spec);

/* Comma-joined specifiers (">=1.0, !=1.3.*, <2"); empty pieces are skipped, "" is the empty set.
 * An error names the piece and its column in s. */
int pep440_specset_parse(const char *s, struct pep440_specset *set, struct distill_error *err);
void pep440_specset_release(struct pep440_specset *set);

enum pep440_prereleases {
        PEP440_PRERELEASES_AUTO,  /* SpecifierSet's default: only when a specifier names one */
        PEP440_PRERELEASES_ALLOW, /* prereleases=True */
};
bool pep440_specset_contains(const struct pep440_specset *set, const struct pep440_version *v,
                             enum pep440_prereleases pre);

/* version (a PEP 440 version; anything else, "2.0+dfsg" included, is an error) against a
 * comma-joined set, pre-releases as PEP440_PRERELEASES_AUTO. */
int pep440_satisfies(const char *version, const char *specifiers, bool *ok,
                     struct distill_error *err);
int pep440_satisfies_ex(const char *version, const char *specifiers, enum pep440_prereleases pre,
                        bool *ok, struct distill_error *err);

/* The length of the specifier (operator and version) that starts s, as PEP 508's tokenizer
 * takes it inside a requirement (the longest-first match of packaging's specifier pattern,
 * not anchored at the end); 0 when none starts there. */
size_t pep440_scan_spec(const char *s);

#endif
