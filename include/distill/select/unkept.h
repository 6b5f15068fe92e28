/* What the image leaves out of its candidate packages, recorded in the final plan so that
 * `distill report` can say what `keep: all` (whole packages, as distroless and apko ship them)
 * or `python.stdlib: full` would have added without re-resolving. */
#ifndef DISTILL_UNKEPT_H
#define DISTILL_UNKEPT_H

#include "distill/core/plan.h"
#include "distill/input/manifest.h"
#include "distill/source/solve.h"
#include "distill/source/source.h"

/* For each candidate package, its regular files (by usrmerge-canonical path, minus
 * files.exclude) that the plan does not hold: plan->packages[].unkept; and of those, the ones
 * under plan->stdlib_dir (each path once): plan->stdlib_unkept. Runs on the final plan (after
 * rootfs adds the kept packages' copyright files). Sizes come from the source (source_lstat). */
int unkept_record(struct plan *plan, const struct manifest *m, struct source *src,
                  const struct pkgset *candidates, struct distill_error *err);

#endif
