/* `distill report OUT [B]`: where an image's bytes go, read from the plan it was built from
 * (never re-resolved) — per package, per directory, per reason kind, the largest files, what
 * `python.stdlib: full` or whole packages would have added — as text, JSON or an SVG treemap
 * (cli/treemap). Two images are compared by cli/reportdiff. */
#ifndef DISTILL_REPORT_H
#define DISTILL_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "distill/base/error.h"
#include "distill/core/plan.h"

#define REPORT_LARGEST 15 /* files in the "largest" list */

struct report_options {
        bool json;
        const char *svg; /* write the treemap here (one image only), or NULL */
};

/* name: what the user named the image (for the heading). */
int report_image(struct plan *plan, const char *name, const struct report_options *o, FILE *out,
                 struct distill_error *err);

#endif
