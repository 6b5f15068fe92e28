/* select: KEEP NARROW. One worklist to a fixpoint over the seeds (interpreter, binaries, app files,
 * includes, stdlib: full), the ELF closure and the rules; breadth-first, every entry with its
 * reason. */
#ifndef DISTILL_SELECT_H
#define DISTILL_SELECT_H

#include "distill/base/stagetime.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/input/manifest.h"
#include "distill/input/rules.h"
#include "distill/source/solve.h"
#include "distill/source/source.h"

/* What a traced check run touched (check.trace): keys are module names and image paths, values
 * the event that showed them ("open /usr/share/x", "import foo"). */
struct select_observed {
        struct strmap modules; /* imported, as the interpreter's audit hook reported them */
        struct strmap paths;   /* opened or executed, as the kernel reported them */
};

void select_observed_release(struct select_observed *o);

/* observed (NULL for none) joins after the static closure has reached its fixpoint, so what the
 * static mechanisms keep keeps their reason; what only the run showed, and its own closure, is
 * kept with the reason PLAN_R_OBSERVED. */
int select_plan(const struct manifest *m, const char *arch, struct source *src,
                const struct pkgset *candidates, const struct ruleset *rules, struct store *st,
                const struct select_observed *observed, struct plan *plan,
                struct distill_error *err);
/* select_plan, adding where its time went to `times` (NULL: nothing recorded): "bytecode" (the
 * .pyc compilation) apart, and select's own parts: "select.namespace" (the candidates' files and
 * the linker's directories), "select.seeds" (the seeds, the interpreter's probe, the host files),
 * "select.elf" (ELF closures), "select.imports" (the Python import closure), "select.rules",
 * "select.observed" (check.trace's findings), "select.ldcache" (alias links, ld.so.cache); and,
 * counted inside those, "select.staging" (reading, hashing and storing the kept files). */
int select_plan_timed(const struct manifest *m, const char *arch, struct source *src,
                      const struct pkgset *candidates, const struct ruleset *rules,
                      struct store *st, const struct select_observed *observed, struct plan *plan,
                      struct stage_times *times, struct distill_error *err);

#endif
