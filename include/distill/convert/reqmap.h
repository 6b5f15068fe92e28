/* The conversion's Python requirements (conversion.h) mapped onto Debian packages: read from the
 * requirement files, pyproject.toml and lock files the Dockerfile installs from, each one's
 * environment marker evaluated for the target interpreter, looked up by its normalised name in
 * the distributions the package source ships (pydist), and its version specifier checked
 * against the version that distribution's metadata gives. */
#ifndef DISTILL_REQMAP_H
#define DISTILL_REQMAP_H

#include "distill/base/error.h"
#include "distill/convert/conversion.h"
#include "distill/convert/pydist.h"
#include "distill/convert/pyreq.h"

struct reqmap_target {
        const struct pydist_index *dists;
        const struct pyreq_env *env; /* the target interpreter's marker values */
        /* the root in which a distribution's metadata can be read (its extras), or NULL when
         * the source is an archive */
        const char *root;
};

/* Appends the requirements of cv's requirement files, project and lock files to cv->reqs.
 * Bad input (a malformed requirements file) is an error naming file:line. */
int reqmap_collect(struct conversion *cv, struct distill_error *err);

/* Maps every requirement (and the extras' requirements they bring): fills each one's outcome,
 * package, version and detail, and adds the packages to cv->packages. Returns how many are
 * left unmapped (the manifest's python.site-packages must bring them). */
size_t reqmap_map(struct conversion *cv, const struct reqmap_target *t);

#endif
