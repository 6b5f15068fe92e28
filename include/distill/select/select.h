/* select: KEEP NARROW. One worklist to a fixpoint over the seeds (interpreter, binaries, app files,
 * includes, stdlib: full), the ELF closure and the rules; breadth-first, every entry with its
 * reason. */
#ifndef DISTILL_SELECT_H
#define DISTILL_SELECT_H

#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/input/manifest.h"
#include "distill/input/rules.h"
#include "distill/source/solve.h"
#include "distill/source/source.h"

int select_plan(const struct manifest *m, const char *arch, struct source *src,
                const struct pkgset *candidates, const struct ruleset *rules, struct store *st,
                struct plan *plan, struct distill_error *err);

#endif
