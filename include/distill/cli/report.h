/* `distill report OUT [B]`: where an image's bytes go, read from the plan it was built from
 * (never re-resolved) — per package, per directory, per reason kind, the largest files, what
 * `python.stdlib: full` or whole packages would have added — as text, JSON or an SVG treemap;
 * and, given two images, what changed between them, package versions first. */
#ifndef DISTILL_REPORT_H
#define DISTILL_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "distill/base/error.h"
#include "distill/core/plan.h"

#define REPORT_LARGEST         15 /* files in the "largest" list */
#define REPORT_DIFF_TEXT_LINES 25 /* per list in the text form of a comparison */

struct report_options {
        bool json;
        const char *svg; /* write the treemap here (one image only), or NULL */
};

/* name: what the user named the image (for the heading). */
int report_image(struct plan *plan, const char *name, const struct report_options *o, FILE *out,
                 struct distill_error *err);

/* A against B: package version changes, kept packages added and removed, provenance, totals,
 * per-package growth, then files added, removed and changed (by size change). */
int report_compare(struct plan *a, const char *name_a, struct plan *b, const char *name_b,
                   bool json, FILE *out, struct distill_error *err);

#endif
