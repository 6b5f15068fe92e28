/* `distill report A B`: why two images differ, read from the plans they were built from. */
#ifndef DISTILL_REPORTDIFF_H
#define DISTILL_REPORTDIFF_H

#include <stdbool.h>
#include <stdio.h>
#include "distill/base/error.h"
#include "distill/core/plan.h"

#define REPORT_DIFF_TEXT_LINES 25 /* per list in the text form of a comparison */

/* A against B: package version changes, kept packages added and removed, provenance, totals,
 * per-package growth, then files added, removed and changed (by size change). */
int report_compare(struct plan *a, const char *name_a, struct plan *b, const char *name_b,
                   bool json, FILE *out, struct distill_error *err);

#endif
