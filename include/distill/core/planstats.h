/* The composition of a plan: where its files and bytes go — per package, per directory, per
 * reason — for `distill resolve` and `distill report`. Counts are of regular files (a hard link
 * adds no bytes), so every table sums to the image's total. */
#ifndef DISTILL_PLANSTATS_H
#define DISTILL_PLANSTATS_H

#include <stddef.h>
#include <stdint.h>
#include "distill/core/plan.h"

struct planstats_row {
        char *name;                     /* package, directory, reason kind or group */
        const struct plan_package *pkg; /* packages: the candidate; NULL for a package only
                                         * entries name (a damaged plan) and the no-package rows */
        uint64_t files;
        uint64_t bytes;
};

struct planstats_table {
        struct planstats_row *rows;
        size_t n;
};

#define PLANSTATS_GENERATED "(generated)"           /* no package: distill wrote it */
#define PLANSTATS_APP       "(app and added files)" /* no package: python.app, files.add, … */

struct planstats {
        uint64_t entries, directories, symlinks, hardlinks;
        struct plan_count total;
        /* every candidate, every package entries name, then PLANSTATS_APP and
         * PLANSTATS_GENERATED when they hold files; packages by name */
        struct planstats_table packages;
        struct planstats_table top_dirs;   /* "/usr", "/etc", "/" for files at the root; by name */
        struct planstats_table dirs;       /* at most two levels: "/usr/lib", "/etc"; by name */
        struct planstats_table reasons;    /* each reason kind that holds files, in kind order */
        struct planstats_table groups;     /* each plan_reason_group that holds files, in order */
        const struct plan_entry **largest; /* the largest files, by size then path */
        size_t n_largest;
        struct plan_count packages_unkept; /* sum of the candidates' unkept (keep: all) */
};

void planstats_compute(struct plan *plan, size_t n_largest, struct planstats *out);
void planstats_release(struct planstats *s);
/* A row of a table by name, or NULL. */
const struct planstats_row *planstats_find(const struct planstats_table *t, const char *name);

#endif
