/* select: KEEP NARROW. One worklist to a fixpoint over the seeds (interpreter, binaries, app files,
 * includes, stdlib: full), the ELF closure and the rules; breadth-first, every entry with its
 * reason. */
#ifndef DISTILL_SELECT_H
#define DISTILL_SELECT_H

#include "distill/manifest.h"
#include "distill/plan.h"
#include "distill/rules.h"
#include "distill/solve.h"
#include "distill/source.h"
#include "distill/store.h"

int select_plan(const struct manifest *m, const char *arch, struct source *src,
                const struct pkgset *candidates, const struct ruleset *rules, struct store *st,
                struct plan *plan, struct distill_error *err);

#endif
