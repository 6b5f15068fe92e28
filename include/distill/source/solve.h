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

/* A locked package's version, for solve_pinned. */
struct solve_pin {
        const char *name;
        const char *version;
        bool keep; /* favour exactly this version: a package `lock --update PKG…` did not name */
};

/* solve_candidates under a lock (`distill lock --update` and `--check`): no version below a
 * pin's is ever chosen (a downgrade: those solvables are locked out, so a package whose pinned
 * version is gone and that only lower versions could replace fails to resolve); a kept pin's
 * version is favoured, so it stays unless a package that may move needs another. Without a pin,
 * or for a pin not kept, the newest version wins as in solve_candidates. */
int solve_pinned(struct source *src, const struct strvec *names, const struct solve_pin *pins,
                 size_t n_pins, struct pkgset *out, struct distill_error *err);
/* The package `name` at exactly `version` in the source (any architecture), or NULL. */
struct source_pkg *solve_find_version(struct source *src, const char *name, const char *version);
/* The newest version of `name` the source offers, or NULL when it has none. */
const char *solve_newest_version(struct source *src, const char *name);
/* Debian version order (dpkg --compare-versions): <0, 0, >0. */
int solve_vercmp(struct source *src, const char *a, const char *b);

bool pkgset_contains(const struct pkgset *set, const char *name);
void pkgset_release(struct pkgset *set);

#endif
