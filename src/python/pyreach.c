/* Reachable code of the kept Python modules: scopes become reachable as the names they are
 * called by are used (see the header). Everything is indexed by name, so each use wakes only
 * the defs of that name, and each scope is looked at once. */
#include "distill/python/pyreach.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Items of a module grouped by the scope they are written in: bucket b (scope b - 1) holds
 * items[start[b]] .. items[start[b + 1] - 1]. */
struct bucket {
        size_t *start;
        size_t *items;
};

struct rmod {
        char *name;
        struct py_scan scan;
        enum pyreach_mode mode;
        bool top_live;
        bool *live;       /* per scope */
        bool *class_used; /* per class scope: its name is used, so its methods may run */
        bool reflective;
        struct strmap names; /* bare names its reachable code reads */
        struct bucket items[PYREACH_N_ITEMS];
        struct bucket refs;
        struct bucket children;
};

struct waiter {
        size_t mod;
        int scope;
        bool use; /* the class is used (its methods may run), not: the scope runs */
};

struct waitlist {
        struct waiter *v;
        size_t n, alloc;
};

struct pyreach {
        struct rmod **mods;
        size_t n_mods, alloc_mods;
        struct strmap by_name;    /* module name → handle + 1, as a pointer */
        struct strmap used;       /* names used as attributes, strings, by C code */
        struct strmap prefixes;   /* used names that are identifier prefixes ("visit_") */
        struct strmap from;       /* "module\tname" of from-imports in reachable code */
        struct strmap reflective; /* modules loaded by name */
        struct strmap waiting;    /* def name → struct waitlist * of defs not reached yet */
        struct waiter *pending;   /* to mark reachable */
        size_t n_pending, alloc_pending;
        struct waiter *ready; /* marked, for pyreach_next */
        size_t ready_head, n_ready, alloc_ready;
        size_t n_defs, n_reached;
};

static void push_waiter(struct waiter **v, size_t *n, size_t *alloc, size_t mod, int scope,
                        bool use)
{
        if (*n == *alloc) {
                *alloc = *alloc ? 2 * *alloc : 64;
                *v = xrealloc(*v, *alloc * sizeof(**v));
        }
        (*v)[(*n)++] = (struct waiter){mod, scope, use};
}

/* ---- buckets ---------------------------------------------------------------------------- */

static void bucket_build(struct bucket *b, size_t n_scopes, const int *scope_of, size_t n)
{
        b->start = xcalloc(n_scopes + 2, sizeof(*b->start));
        b->items = xcalloc(n ? n : 1, sizeof(*b->items));
        for (size_t i = 0; i < n; i++)
                b->start[scope_of[i] + 1]++;
        size_t sum = 0;
        for (size_t k = 0; k < n_scopes + 2; k++) {
                size_t c = b->start[k];
                b->start[k] = sum;
                sum += c;
        }
        size_t *cursor = xcalloc(n_scopes + 1, sizeof(*cursor));
        for (size_t i = 0; i < n; i++) {
                size_t k = (size_t)(scope_of[i] + 1);
                b->items[b->start[k] + cursor[k]++] = i;
        }
        free(cursor);
}

static void bucket_get(const struct bucket *b, int scope, const size_t **idx, size_t *n)
{
        size_t k = (size_t)(scope + 1);
        *idx = b->items + b->start[k];
        *n = b->start[k + 1] - b->start[k];
}

static void bucket_release(struct bucket *b)
{
        free(b->start);
        free(b->items);
}

/* The scope an item is in, as an index the buckets can take: out-of-range values (never from
 * the scanner) count as top level. */
static int clamp_scope(int scope, size_t n_scopes)
{
        return scope >= 0 && (size_t)scope < n_scopes ? scope : -1;
}

static void build_buckets(struct rmod *m)
{
        const struct py_scan *s = &m->scan;
        size_t ns = s->n_scopes;
        size_t most = s->n_imports;
        if (s->n_literals > most)
                most = s->n_literals;
        if (s->n_attrs > most)
                most = s->n_attrs;
        if (s->n_refs > most)
                most = s->n_refs;
        if (ns > most)
                most = ns;
        int *of = xcalloc(most ? most : 1, sizeof(*of));
        for (size_t i = 0; i < s->n_imports; i++)
                of[i] = clamp_scope(s->imports[i].scope, ns);
        bucket_build(&m->items[PYREACH_IMPORTS], ns, of, s->n_imports);
        for (size_t i = 0; i < s->n_literals; i++)
                of[i] = clamp_scope(s->literals[i].scope, ns);
        bucket_build(&m->items[PYREACH_LITERALS], ns, of, s->n_literals);
        for (size_t i = 0; i < s->n_attrs; i++)
                of[i] = clamp_scope(s->attrs[i].scope, ns);
        bucket_build(&m->items[PYREACH_ATTRS], ns, of, s->n_attrs);
        for (size_t i = 0; i < s->n_refs; i++)
                of[i] = clamp_scope(s->refs[i].scope, ns);
        bucket_build(&m->refs, ns, of, s->n_refs);
        /* a parent always comes before its children; anything else is taken as top level */
        for (size_t i = 0; i < ns; i++)
                of[i] = s->scopes[i].parent < (int)i ? clamp_scope(s->scopes[i].parent, ns) : -1;
        bucket_build(&m->children, ns, of, ns);
        free(of);
}

/* ---- the name sets and the defs waiting for them ----------------------------------------- */

static bool is_dunder(const char *n)
{
        size_t len = strlen(n);
        return len > 4 && n[0] == '_' && n[1] == '_' && n[len - 1] == '_' && n[len - 2] == '_';
}

/* A name that code completes into another one: "visit_" of `"visit_" + kind`. */
static bool is_name_prefix(const char *n)
{
        size_t len = strlen(n);
        return len >= 3 && n[len - 1] == '_' && n[len - 2] != '_';
}

static bool has_used_prefix(const struct pyreach *pr, const char *name)
{
        size_t len = strlen(name);
        if (pr->prefixes.n == 0)
                return false;
        for (size_t k = 3; k < len; k++) {
                if (name[k - 1] != '_' || name[k - 2] == '_')
                        continue;
                cleanup_free char *p = xstrndup(name, k);
                if (strmap_has(&pr->prefixes, p))
                        return true;
        }
        return false;
}

static void activate(struct pyreach *pr, size_t mod, int scope)
{
        push_waiter(&pr->pending, &pr->n_pending, &pr->alloc_pending, mod, scope, false);
}

static void activate_use(struct pyreach *pr, size_t mod, int scope)
{
        push_waiter(&pr->pending, &pr->n_pending, &pr->alloc_pending, mod, scope, true);
}

static char *from_key(const char *module, const char *name)
{
        return xasprintf("%s\t%s", module, name);
}

static bool def_reached(const struct pyreach *pr, const struct rmod *m, const struct py_scope *d)
{
        if (is_dunder(d->name) || d->decorated || strmap_has(&pr->used, d->name) ||
            strmap_has(&m->names, d->name) || has_used_prefix(pr, d->name))
                return true;
        if (d->parent >= 0)
                return false;
        if (m->reflective)
                return true;
        cleanup_free char *one = from_key(m->name, d->name);
        cleanup_free char *star = from_key(m->name, "*");
        return strmap_has(&pr->from, one) || strmap_has(&pr->from, star);
}

static void wait_for_name(struct pyreach *pr, size_t mod, int scope, const char *name, bool use)
{
        struct waitlist *wl = strmap_get(&pr->waiting, name);
        if (!wl) {
                wl = xcalloc(1, sizeof(*wl));
                strmap_put(&pr->waiting, name, wl);
        }
        push_waiter(&wl->v, &wl->n, &wl->alloc, mod, scope, use);
}

/* Every def waiting for `name` (of module `only`, or of every module when only is SIZE_MAX). */
static void wake(struct pyreach *pr, const char *name, size_t only)
{
        struct waitlist *wl = strmap_get(&pr->waiting, name);
        if (!wl)
                return;
        size_t kept = 0;
        for (size_t i = 0; i < wl->n; i++) {
                if (only == SIZE_MAX || wl->v[i].mod == only)
                        push_waiter(&pr->pending, &pr->n_pending, &pr->alloc_pending, wl->v[i].mod,
                                    wl->v[i].scope, wl->v[i].use);
                else
                        wl->v[kept++] = wl->v[i];
        }
        wl->n = kept;
}

static void wake_prefix(struct pyreach *pr, const char *prefix)
{
        size_t len = strlen(prefix);
        struct strvec names = STRVEC_INIT;
        for (size_t i = 0; i < pr->waiting.cap; i++) {
                const char *k = pr->waiting.slots[i].key;
                if (k && strlen(k) > len && strncmp(k, prefix, len) == 0)
                        strvec_push(&names, k);
        }
        for (size_t i = 0; i < names.n; i++)
                wake(pr, names.v[i], SIZE_MAX);
        strvec_clear(&names);
}

void pyreach_use(struct pyreach *pr, const char *name)
{
        if (!name[0] || strmap_has(&pr->used, name))
                return;
        strmap_put(&pr->used, name, NULL);
        wake(pr, name, SIZE_MAX);
        if (is_name_prefix(name)) {
                strmap_put(&pr->prefixes, name, NULL);
                wake_prefix(pr, name);
        }
}

static void use_bare_name(struct pyreach *pr, size_t mod, const char *name)
{
        struct rmod *m = pr->mods[mod];
        if (strmap_has(&m->names, name))
                return;
        strmap_put(&m->names, name, NULL);
        wake(pr, name, mod);
}

static size_t module_handle(const struct pyreach *pr, const char *name)
{
        void *h = strmap_get(&pr->by_name, name);
        return h ? (size_t)(uintptr_t)h - 1 : SIZE_MAX;
}

/* Every top-level def of a module that is not reachable yet. */
static void reach_top_level(struct pyreach *pr, size_t mod)
{
        struct rmod *m = pr->mods[mod];
        if (m->mode == PYREACH_TOP)
                return;
        const size_t *idx;
        size_t n;
        bucket_get(&m->children, -1, &idx, &n);
        for (size_t i = 0; i < n; i++) {
                if (m->scan.scopes[idx[i]].is_class)
                        activate_use(pr, mod, (int)idx[i]);
                else if (!m->live[idx[i]])
                        activate(pr, mod, (int)idx[i]);
        }
}

void pyreach_from(struct pyreach *pr, const char *module, const char *name)
{
        cleanup_free char *key = from_key(module, name);
        if (strmap_has(&pr->from, key))
                return;
        strmap_put(&pr->from, key, NULL);
        size_t mod = module_handle(pr, module);
        if (mod == SIZE_MAX)
                return; /* judged when the module is added */
        if (strcmp(name, "*") == 0)
                reach_top_level(pr, mod);
        else
                wake(pr, name, mod);
}

void pyreach_reflective(struct pyreach *pr, const char *module)
{
        if (strmap_has(&pr->reflective, module))
                return;
        strmap_put(&pr->reflective, module, NULL);
        size_t mod = module_handle(pr, module);
        if (mod == SIZE_MAX)
                return;
        pr->mods[mod]->reflective = true;
        reach_top_level(pr, mod);
}

/* ---- marking scopes reachable ------------------------------------------------------------ */

/* A def or binding whose enclosing code runs: reachable now, or when its name is used. */
static void reach_or_wait(struct pyreach *pr, size_t mod, int scope)
{
        struct rmod *m = pr->mods[mod];
        const struct py_scope *d = &m->scan.scopes[scope];
        if (m->live[scope] || m->mode == PYREACH_TOP)
                return;
        if (m->mode == PYREACH_ALL || def_reached(pr, m, d))
                activate(pr, mod, scope);
        else
                wait_for_name(pr, mod, scope, d->name, false);
}

static void mark(struct pyreach *pr, size_t mod, int scope)
{
        struct rmod *m = pr->mods[mod];
        bool *live = scope < 0 ? &m->top_live : &m->live[scope];
        if (*live)
                return;
        *live = true;
        if (scope >= 0 && !m->scan.scopes[scope].is_class && !m->scan.scopes[scope].is_binding)
                pr->n_reached++;
        push_waiter(&pr->ready, &pr->n_ready, &pr->alloc_ready, mod, scope, false);

        const size_t *idx;
        size_t n;
        bool is_main = strcmp(m->name, "__main__") == 0;
        bucket_get(&m->refs, scope, &idx, &n);
        for (size_t i = 0; i < n; i++) {
                const struct py_ref *ref = &m->scan.refs[idx[i]];
                if (ref->main_block && !is_main)
                        continue; /* runs only when the file is the program */
                if (ref->kind == PY_REF_NAME)
                        use_bare_name(pr, mod, ref->name);
                else
                        pyreach_use(pr, ref->name);
        }
        bool in_class = scope >= 0 && m->scan.scopes[scope].is_class;
        bucket_get(&m->children, scope, &idx, &n);
        for (size_t i = 0; i < n; i++) {
                const struct py_scope *child = &m->scan.scopes[idx[i]];
                if (child->is_class)
                        activate(pr, mod, (int)idx[i]); /* its body runs here */
                else if (!in_class)
                        reach_or_wait(pr, mod, (int)idx[i]);
                /* a class's defs and bindings wait for the class to be used */
        }
        if (!in_class)
                return;
        if (m->mode == PYREACH_ALL || def_reached(pr, m, &m->scan.scopes[scope]))
                activate_use(pr, mod, scope);
        else if (m->mode != PYREACH_TOP)
                wait_for_name(pr, mod, scope, m->scan.scopes[scope].name, true);
}

/* A class whose name is used: its defs and bindings may run, each as its name is used (or at
 * once: a dunder the interpreter calls on its instances, a decorated one). */
static void mark_class_used(struct pyreach *pr, size_t mod, int scope)
{
        struct rmod *m = pr->mods[mod];
        if (m->class_used[scope])
                return;
        m->class_used[scope] = true;
        const size_t *idx;
        size_t n;
        bucket_get(&m->children, scope, &idx, &n);
        for (size_t i = 0; i < n; i++)
                if (!m->scan.scopes[idx[i]].is_class)
                        reach_or_wait(pr, mod, (int)idx[i]);
}

static void process_pending(struct pyreach *pr)
{
        while (pr->n_pending) {
                struct waiter w = pr->pending[--pr->n_pending];
                if (w.use)
                        mark_class_used(pr, w.mod, w.scope);
                else
                        mark(pr, w.mod, w.scope);
        }
}

/* ---- public ------------------------------------------------------------------------------ */

struct pyreach *pyreach_new(void)
{
        return xcalloc(1, sizeof(struct pyreach));
}

size_t pyreach_add_module(struct pyreach *pr, const char *name, struct py_scan *scan,
                          enum pyreach_mode mode)
{
        struct rmod *m = xcalloc(1, sizeof(*m));
        m->name = xstrdup(name);
        m->scan = *scan;
        memset(scan, 0, sizeof(*scan));
        m->mode = mode;
        m->live = xcalloc(m->scan.n_scopes + 1, sizeof(*m->live));
        m->class_used = xcalloc(m->scan.n_scopes + 1, sizeof(*m->class_used));
        m->reflective = strmap_has(&pr->reflective, name);
        build_buckets(m);
        for (size_t i = 0; i < m->scan.n_scopes; i++)
                pr->n_defs += !m->scan.scopes[i].is_class && !m->scan.scopes[i].is_binding;
        if (pr->n_mods == pr->alloc_mods) {
                pr->alloc_mods = pr->alloc_mods ? 2 * pr->alloc_mods : 64;
                pr->mods = xrealloc(pr->mods, pr->alloc_mods * sizeof(*pr->mods));
        }
        size_t h = pr->n_mods++;
        pr->mods[h] = m;
        /* the same name scanned twice (a stub beside an extension): the first keeps the name */
        if (!strmap_has(&pr->by_name, name))
                strmap_put(&pr->by_name, name, (void *)(uintptr_t)(h + 1));
        activate(pr, h, -1);
        return h;
}

const struct py_scan *pyreach_scan(const struct pyreach *pr, size_t module)
{
        return &pr->mods[module]->scan;
}

bool pyreach_next(struct pyreach *pr, size_t *module, int *scope)
{
        process_pending(pr);
        if (pr->ready_head == pr->n_ready)
                return false;
        *module = pr->ready[pr->ready_head].mod;
        *scope = pr->ready[pr->ready_head].scope;
        pr->ready_head++;
        return true;
}

void pyreach_items(const struct pyreach *pr, size_t module, int scope, enum pyreach_items kind,
                   const size_t **idx, size_t *n)
{
        bucket_get(&pr->mods[module]->items[kind], scope, idx, n);
}

void pyreach_counts(const struct pyreach *pr, size_t *defs, size_t *reached)
{
        *defs = pr->n_defs;
        *reached = pr->n_reached;
}

static void free_waitlist(void *p)
{
        struct waitlist *wl = p;
        if (wl)
                free(wl->v);
        free(wl);
}

void pyreach_free(struct pyreach *pr)
{
        if (!pr)
                return;
        for (size_t i = 0; i < pr->n_mods; i++) {
                struct rmod *m = pr->mods[i];
                free(m->name);
                py_scan_release(&m->scan);
                free(m->live);
                free(m->class_used);
                strmap_clear(&m->names, NULL);
                for (int k = 0; k < PYREACH_N_ITEMS; k++)
                        bucket_release(&m->items[k]);
                bucket_release(&m->refs);
                bucket_release(&m->children);
                free(m);
        }
        free(pr->mods);
        strmap_clear(&pr->by_name, NULL);
        strmap_clear(&pr->used, NULL);
        strmap_clear(&pr->prefixes, NULL);
        strmap_clear(&pr->from, NULL);
        strmap_clear(&pr->reflective, NULL);
        strmap_clear(&pr->waiting, free_waitlist);
        free(pr->pending);
        free(pr->ready);
        free(pr);
}
