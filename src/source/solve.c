/* solve: the candidate package set, computed by libsolv but choosing as apt does.
 *
 * libsolv, left alone, breaks ties between providers by name: for `Depends: zz | aa` it may take
 * aa, and for `Depends: foo` it may take a package `aaa` that Provides foo over the real foo. apt
 * takes the first alternative that has an installable candidate and the real package over a
 * virtual one. We encode apt's choice as SOLVER_FAVOR jobs for every dependency reachable from the
 * request, then let libsolv do the rest (versions, conflicts, Pre-Depends, the closure). */
#include "distill/source/solve.h"

#include <stdlib.h>
#include <string.h>

#include <solv/bitmap.h>
#include <solv/evr.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/solver.h>
#include <solv/transaction.h>

static bool has_installable_provider(Pool *pool, Id dep)
{
        Id p, pp;
        FOR_PROVIDES(p, pp, dep)
        if (pool_installable(pool, pool_id2solvable(pool, p)))
                return true;
        return false;
}

static bool is_or_group(Pool *pool, Id dep)
{
        return ISRELDEP(dep) && GETRELDEP(pool, dep)->flags == REL_OR;
}

/* apt's rule for `a | b | c`: the first alternative with an installable candidate. For a plain
 * dependency that is the dependency itself. 0 when nothing satisfies it. */
static Id first_satisfiable_alternative(Pool *pool, Id dep)
{
        while (is_or_group(pool, dep)) {
                Reldep *rd = GETRELDEP(pool, dep);
                if (has_installable_provider(pool, rd->name))
                        return rd->name;
                dep = rd->evr;
        }
        return has_installable_provider(pool, dep) ? dep : 0;
}

/* The package name a dependency atom is about: "foo (>= 1)" and "foo:any" → foo. */
static Id dep_base_name(Pool *pool, Id dep)
{
        while (ISRELDEP(dep)) {
                Reldep *rd = GETRELDEP(pool, dep);
                if (rd->flags == REL_OR)
                        return 0;
                dep = rd->name;
        }
        return dep;
}

static int count_installable_providers(Pool *pool, Id dep)
{
        Id p, pp;
        int n = 0;
        FOR_PROVIDES(p, pp, dep)
        if (pool_installable(pool, pool_id2solvable(pool, p)))
                n++;
        return n;
}

/* apt's order among the providers of a virtual package: the more important Priority first
 * (base-files Pre-Depends on the virtual awk: mawk is required, original-awk optional). */
static int provider_rank(struct source *src, Id p)
{
        const struct source_pkg *pkg = source_by_solvable(src, p);
        return pkg ? pkg->priority_rank : SOURCE_PRIORITY_NONE;
}

/* Favour what apt would install for `dep`: within the chosen alternative, the real package of
 * that name when one provides it, otherwise the providers of the best Priority. */
static void favor_apt_choice(struct source *src, Pool *pool, Id dep, Map *favored, Queue *job)
{
        /* no choice to make: nothing to favour */
        if (count_installable_providers(pool, dep) < 2)
                return;
        Id alt = first_satisfiable_alternative(pool, dep);
        if (!alt)
                return;
        Id name = dep_base_name(pool, alt);
        bool have_real = false;
        Id p, pp;
        int best_rank = SOURCE_PRIORITY_NONE;
        FOR_PROVIDES(p, pp, alt)
        {
                Solvable *s = pool_id2solvable(pool, p);
                if (!pool_installable(pool, s))
                        continue;
                if (s->name == name)
                        have_real = true;
                if (provider_rank(src, p) < best_rank)
                        best_rank = provider_rank(src, p);
        }
        Queue chosen;
        queue_init(&chosen);
        FOR_PROVIDES(p, pp, alt)
        {
                Solvable *s = pool_id2solvable(pool, p);
                if (!pool_installable(pool, s) || (have_real && s->name != name) ||
                    (!have_real && provider_rank(src, p) != best_rank))
                        continue;
                if (MAPTST(favored, p))
                        continue;
                MAPSET(favored, p);
                queue_push(&chosen, p);
        }
        if (chosen.count)
                queue_push2(job, SOLVER_FAVOR | SOLVER_SOLVABLE_ONE_OF,
                            pool_queuetowhatprovides(pool, &chosen));
        queue_free(&chosen);
}

static void visit(Pool *pool, Id p, Map *seen, Queue *todo)
{
        if (MAPTST(seen, p) || !pool_installable(pool, pool_id2solvable(pool, p)))
                return;
        MAPSET(seen, p);
        queue_push(todo, p);
}

/* Walks every package the request could reach through requires (all alternatives, all
 * providers: a superset of the answer) and adds the favour jobs for their dependencies. */
static void add_apt_favors(struct source *src, Pool *pool, const Queue *roots, Queue *job)
{
        Map seen, favored;
        Queue todo;
        Id p, pp;

        map_init(&seen, pool->nsolvables);
        map_init(&favored, pool->nsolvables);
        queue_init(&todo);
        for (int i = 0; i < roots->count; i++) {
                FOR_PROVIDES(p, pp, roots->elements[i])
                if (pool_id2solvable(pool, p)->name == roots->elements[i])
                        visit(pool, p, &seen, &todo);
        }
        while (todo.count) {
                Solvable *s = pool_id2solvable(pool, queue_shift(&todo));
                if (!s->repo || !s->requires)
                        continue;
                for (Id *dp = s->repo->idarraydata + s->requires; *dp; dp++) {
                        if (*dp == SOLVABLE_PREREQMARKER)
                                continue;
                        favor_apt_choice(src, pool, *dp, &favored, job);
                        FOR_PROVIDES(p, pp, *dp)
                        visit(pool, p, &seen, &todo);
                }
        }
        queue_free(&todo);
        map_free(&favored);
        map_free(&seen);
}

static int problems_error(Solver *solv, int nproblems, struct distill_error *err)
{
        struct strbuf sb = STRBUF_INIT;
        for (Id i = 1; i <= nproblems; i++) {
                if (sb.len)
                        strbuf_adds(&sb, "; ");
                strbuf_adds(&sb, solver_problem2str(solv, i));
        }
        int r =
            distill_error_set(err, DISTILL_ERESOLVE, "cannot resolve the package set: %s", sb.buf);
        strbuf_release(&sb);
        return r;
}

static int cmp_pkgp(const void *a, const void *b)
{
        const struct source_pkg *x = *(struct source_pkg *const *)a;
        const struct source_pkg *y = *(struct source_pkg *const *)b;
        int c = strcmp(x->name, y->name);
        return c ? c : strcmp(x->arch, y->arch);
}

static int collect_installs(struct source *src, Solver *solv, struct pkgset *out,
                            struct distill_error *err)
{
        Transaction *trans = solver_create_transaction(solv);
        int r = 0;

        out->pkgs =
            xcalloc(trans->steps.count ? (size_t)trans->steps.count : 1, sizeof(*out->pkgs));
        for (int i = 0; i < trans->steps.count; i++) {
                Id p = trans->steps.elements[i];
                if (transaction_type(trans, p, SOLVER_TRANSACTION_SHOW_ACTIVE) !=
                    SOLVER_TRANSACTION_INSTALL)
                        continue;
                struct source_pkg *pkg = source_by_solvable(src, p);
                if (!pkg) {
                        r = distill_error_set(err, DISTILL_EINTERNAL,
                                              "solver chose %s, unknown to the source",
                                              pool_solvid2str(source_pool(src), p));
                        break;
                }
                out->pkgs[out->n++] = pkg;
        }
        transaction_free(trans);
        if (r < 0) {
                pkgset_release(out);
                return r;
        }
        if (out->n > 1)
                qsort(out->pkgs, out->n, sizeof(*out->pkgs), cmp_pkgp);
        size_t k = 0;
        for (size_t i = 0; i < out->n; i++)
                if (k == 0 || out->pkgs[k - 1] != out->pkgs[i])
                        out->pkgs[k++] = out->pkgs[i];
        out->n = k;
        return 0;
}

/* Each solvable named like a pin: below the pin's version it is locked out (a downgrade is never
 * taken); at it, for a kept pin, favoured. */
static void add_pin_jobs(Pool *pool, const struct solve_pin *pins, size_t n_pins, Queue *job)
{
        for (size_t i = 0; i < n_pins; i++) {
                Id name = pool_str2id(pool, pins[i].name, 0);
                Id p, pp;
                if (!name)
                        continue;
                FOR_PROVIDES(p, pp, name)
                {
                        Solvable *s = pool_id2solvable(pool, p);
                        if (s->name != name)
                                continue;
                        int c = pool_evrcmp_str(pool, pool_id2str(pool, s->evr), pins[i].version,
                                                EVRCMP_COMPARE);
                        if (c < 0)
                                queue_push2(job, SOLVER_LOCK | SOLVER_SOLVABLE, p);
                        else if (c == 0 && pins[i].keep)
                                queue_push2(job, SOLVER_FAVOR | SOLVER_SOLVABLE, p);
                }
        }
}

int solve_pinned(struct source *src, const struct strvec *names, const struct solve_pin *pins,
                 size_t n_pins, struct pkgset *out, struct distill_error *err)
{
        Pool *pool = source_pool(src);
        Queue job, roots;
        int r;

        out->pkgs = NULL;
        out->n = 0;
        queue_init(&job);
        queue_init(&roots);
        for (size_t i = 0; i < names->n; i++) {
                Id name = pool_str2id(pool, names->v[i], 1);
                queue_push(&roots, name);
                queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, name);
        }
        add_apt_favors(src, pool, &roots, &job);
        /* after apt's favours: for one solvable the last favour job wins, and the lock's version
         * is the one to keep */
        add_pin_jobs(pool, pins, n_pins, &job);

        /* No installed repo: we build a fresh root, so every chosen package is an INSTALL step. */
        Solver *solv = solver_create(pool);
        solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, 1);
        int nproblems = solver_solve(solv, &job);
        if (nproblems > 0)
                r = problems_error(solv, nproblems, err);
        else
                r = collect_installs(src, solv, out, err);
        solver_free(solv);
        queue_free(&roots);
        queue_free(&job);
        return r;
}

int solve_candidates(struct source *src, const struct strvec *names, struct pkgset *out,
                     struct distill_error *err)
{
        return solve_pinned(src, names, NULL, 0, out, err);
}

struct source_pkg *solve_find_version(struct source *src, const char *name, const char *version)
{
        Pool *pool = source_pool(src);
        Id id = pool_str2id(pool, name, 0);
        Id p, pp;
        if (!id)
                return NULL;
        FOR_PROVIDES(p, pp, id)
        {
                Solvable *s = pool_id2solvable(pool, p);
                if (s->name == id && strcmp(pool_id2str(pool, s->evr), version) == 0)
                        return source_by_solvable(src, p);
        }
        return NULL;
}

const char *solve_newest_version(struct source *src, const char *name)
{
        Pool *pool = source_pool(src);
        Id id = pool_str2id(pool, name, 0);
        Id p, pp, best = 0;
        if (!id)
                return NULL;
        FOR_PROVIDES(p, pp, id)
        {
                Solvable *s = pool_id2solvable(pool, p);
                if (s->name == id && (!best || pool_evrcmp(pool, s->evr, best, EVRCMP_COMPARE) > 0))
                        best = s->evr;
        }
        return best ? pool_id2str(pool, best) : NULL;
}

int solve_vercmp(struct source *src, const char *a, const char *b)
{
        return pool_evrcmp_str(source_pool(src), a, b, EVRCMP_COMPARE);
}

bool pkgset_contains(const struct pkgset *set, const char *name)
{
        size_t lo = 0, hi = set->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(set->pkgs[mid]->name, name);
                if (c == 0)
                        return true;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

void pkgset_release(struct pkgset *set)
{
        free(set->pkgs);
        set->pkgs = NULL;
        set->n = 0;
}
