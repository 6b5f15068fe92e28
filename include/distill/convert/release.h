/* Which Debian release and interpreter an image is built from (`distill convert`): Debian's
 * releases and their support dates from distro-info-data, and the Python a release's package
 * source ships, read from its packages. */
#ifndef DISTILL_RELEASE_H
#define DISTILL_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "distill/base/error.h"

#define RELEASE_DISTRO_INFO "/usr/share/distro-info/debian.csv"

struct debian_release {
        char *version;  /* "12" */
        char *name;     /* "Bookworm" (the file's "codename" column) */
        char *codename; /* "bookworm", the suite (the file's "series" column) */
        /* days since the epoch, -1 when the file gives none */
        int64_t release, eol, eol_lts, eol_elts;
};

struct debian_releases {
        struct debian_release *v;
        size_t n; /* in the file's order: oldest first */
};

/* distro-info-data's CSV (version,codename,series,created,release,eol,eol-lts,eol-elts).
 * Errors name file:line. */
int debian_releases_load(const char *path, struct debian_releases *out, struct distill_error *err);
void debian_releases_release(struct debian_releases *r);
const struct debian_release *debian_release_find(const struct debian_releases *r,
                                                 const char *codename);
/* Released on `day` and still supported: before its LTS end (its end of life when it has no LTS
 * date). */
bool debian_release_supported(const struct debian_release *r, int64_t day);
/* Released and still getting regular security updates on `day` (before its end of life). */
bool debian_release_security(const struct debian_release *r, int64_t day);
/* "2026-12-07" → days since the epoch; -1 when malformed. */
int64_t release_parse_day(const char *s);

struct source;

/* The Python 3 a package source ships: the python3 package's interpreter, or in a source that
 * has none (a root with only an interpreter installed) its newest python3.N-minimal. */
struct release_python {
        char *xy;          /* "3.11" */
        char *full;        /* "3.11.2": the upstream version of pythonX.Y-minimal */
        char *interpreter; /* "/usr/bin/python3.11" */
        char *minimal;     /* "python3.11-minimal" */
        char *glibc;       /* "2.36": the upstream version of libc6, or NULL */
};
/* DISTILL_ERESOLVE when the source has neither, or python3's pythonX.Y-minimal is missing. */
int release_python_of(struct source *src, struct release_python *out, struct distill_error *err);
void release_python_release(struct release_python *p);
/* -1, 0 or 1 as "3.9" compares to "3.11" (numerically, part by part). */
int release_compare_xy(const char *a, const char *b);

#endif
