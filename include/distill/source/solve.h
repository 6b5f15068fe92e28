/* solve: SOLVE WIDE. The candidate set is the closure of the requested packages through Depends
 * and Pre-Depends (no Recommends), computed by libsolv over the source's pool, choosing as apt
 * does for OR groups (first satisfiable alternative) and virtual packages (a real package first).
 */
#ifndef DISTILL_SOLVE_H
#define DISTILL_SOLVE_H

#include "distill/source/source.h"

struct pkgset {
        struct source_pkg **pkgs; /* sorted by name, unique */
        size_t n;
};

/* Errors: DISTILL_ERESOLVE with libsolv's problem text ("package foo does not exist"). */
int solve_candidates(struct source *src, const struct strvec *names, struct pkgset *out,
                     struct distill_error *err);
bool pkgset_contains(const struct pkgset *set, const char *name);
void pkgset_release(struct pkgset *set);

#endif
