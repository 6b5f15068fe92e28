/* Alpine package names as `distill convert` carries `RUN apk add` into a Debian image: the data
 * of manifests/rules/convert/alpine-packages.yaml (what to drop and why, and which Debian
 * packages ship the same files), and Alpine's py3-NAME packages as the Python distribution
 * NAME. */
#ifndef DISTILL_ALPINE_H
#define DISTILL_ALPINE_H

#include "distill/base/error.h"
#include "distill/base/util.h"

#define ALPINE_PACKAGES_FILE "convert/alpine-packages.yaml" /* under the shipped rules */

struct alpine_map;

enum alpine_kind {
        ALPINE_UNKNOWN, /* not in the data: the user must say what it becomes */
        ALPINE_DROP,    /* not needed in the image; `reason` says why */
        ALPINE_DEBIAN,  /* `debian` lists the Debian packages to try, in order */
        ALPINE_PYTHON,  /* py3-NAME: the Python distribution `distribution` */
};

struct alpine_answer {
        enum alpine_kind kind;
        char *name;                  /* the Alpine name without a version constraint */
        const char *reason;          /* ALPINE_DROP */
        const struct strvec *debian; /* ALPINE_DEBIAN, owned by the map */
        char *distribution;          /* ALPINE_PYTHON */
};

int alpine_map_load(const char *path, struct alpine_map **out, struct distill_error *err);
void alpine_map_free(struct alpine_map *m);
/* `apk` as written after `apk add` ("libpq", "libpq=15.1-r0", "py3-flask~2.2"). */
void alpine_map_lookup(const struct alpine_map *m, const char *apk, struct alpine_answer *a);
void alpine_answer_release(struct alpine_answer *a);

#endif
