/* check: the proving run (manifest `check`, `--check-run`). The finished plan is written out as
 * a tree and each command runs in it through the sandbox; with check.trace, the same commands
 * first run in a tree of every candidate file, and what they touched goes back to select. */
#ifndef DISTILL_CHECK_H
#define DISTILL_CHECK_H
#include <stdbool.h>
#include <stdint.h>
#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/select/select.h"
#include "distill/source/solve.h"
#include "distill/source/source.h"

struct check_spec {
        const char *arch;
        unsigned uid, gid;
        const char *home;              /* the user's home, image path */
        const char *workdir;           /* image config WorkingDir ("/" when none) */
        const struct strvec *env;      /* image config Env */
        const struct strvec *commands; /* each an argv */
        size_t n_commands;
        unsigned timeout_s; /* per command */
        int64_t epoch;
        bool python; /* the image has an interpreter: trace also loads the audit hook */
};

/* Run every command in the image the plan describes. A command that exits non-zero, is killed
 * or runs past the timeout fails with DISTILL_EVERIFY naming it; *output then holds what it
 * printed (stdout, then stderr), for the caller to show. */
int check_prove(const struct check_spec *c, struct plan *plan, const struct store *st,
                struct strbuf *output, struct distill_error *err);

/* Run every command in a tree of the plan plus every other file of the candidate packages,
 * traced, and add what they touched to `obs`. A command that fails even there fails as in
 * check_prove. A Python command with -S is refused (DISTILL_EUSAGE): nothing would load the
 * hook. */
int check_trace(const struct check_spec *c, struct plan *plan, const struct store *st,
                struct source *src, const struct pkgset *candidates, struct select_observed *obs,
                struct strbuf *output, struct distill_error *err);

/* --check-run's value: a JSON array of strings, or words separated by blanks. */
int check_parse_command(const char *text, struct strvec *argv, struct distill_error *err);

#endif
