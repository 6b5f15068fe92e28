/* Python import closure: resolve module names the way CPython 3's import system does inside the
 * image, and follow imports breadth-first by the policy of the code they appear in. */
#include "distill/python/pymodules.h"

#include <stdlib.h>
#include <string.h>

#include "distill/base/names.h"
#include "distill/python/pyimports.h"

#define PYMODULES_MAX_MODULES 100000

enum scan_policy {
        POLICY_APP,     /* every import at every depth */
        POLICY_LIBRARY, /* module level always; function level in deep mode */
        POLICY_FROZEN,  /* module level only: the module itself needs no file */
};

enum mod_kind {
        MOD_NOT_FOUND,
        MOD_BUILTIN,
        MOD_FROZEN,
        MOD_SOURCE,
        MOD_PACKAGE,
        MOD_EXTENSION,
        MOD_NAMESPACE,
};

struct module_state {
        enum mod_kind kind;
        char *file;         /* .py, __init__.py or extension, when there is one */
        struct strvec path; /* __path__ of a package or namespace package */
};

struct work {
        bool is_scan; /* scan a file, or import a module */
        char *name;   /* module name */
        char *path;   /* file to scan */
        enum scan_policy policy;
        bool is_package;
        /* import: why */
        enum plan_reason_kind kind;
        char *from;
        char *detail;
        bool required; /* unresolved: error instead of warning */
        bool guarded;
};

struct pymodules {
        const struct imagens *ns;
        const struct py_probe *probe;
        struct pymodules_options opt;
        struct pymodules_cb cb;
        struct strvec search;               /* sys.path: main_dir then the probe's */
        struct strmap modules;              /* name → struct module_state * */
        struct strmap scanned;              /* path → NULL */
        struct strmap data_done;            /* package dir → NULL */
        struct strmap attrs;                /* "os.popen" → NULL */
        struct strvec ignored_in_functions; /* not followed from library functions */
        struct work *queue;
        size_t q_head, q_len, q_alloc;
        bool changed;
};

static char *absolute_name(const char *importer, bool is_package, int level, const char *module);

/* Queue */

static void push_work(struct pymodules *pm, const struct work *w)
{
        if (pm->q_len == pm->q_alloc) {
                pm->q_alloc = pm->q_alloc ? pm->q_alloc * 2 : 256;
                pm->queue = xrealloc(pm->queue, pm->q_alloc * sizeof(*pm->queue));
        }
        pm->queue[pm->q_len++] = *w;
}

static void work_release(struct work *w)
{
        free(w->name);
        free(w->path);
        free(w->from);
        free(w->detail);
}

static void module_state_free(void *p)
{
        struct module_state *st = p;
        if (!st)
                return;
        free(st->file);
        strvec_clear(&st->path);
        free(st);
}

struct pymodules *pymodules_new(const struct imagens *ns, const struct py_probe *probe,
                                const struct pymodules_options *opt, const struct pymodules_cb *cb)
{
        struct pymodules *pm = xcalloc(1, sizeof(*pm));
        pm->ns = ns;
        pm->probe = probe;
        pm->cb = *cb;
        pm->opt.deep = opt->deep;
        for (size_t i = 0; i < opt->app_dirs.n; i++)
                strvec_push(&pm->opt.app_dirs, opt->app_dirs.v[i]);
        pm->opt.main_dir = opt->main_dir ? xstrdup(opt->main_dir) : NULL;
        if (pm->opt.main_dir)
                strvec_push(&pm->search, pm->opt.main_dir);
        for (size_t i = 0; i < probe->sys_path.n; i++)
                if (!strvec_contains(&pm->search, probe->sys_path.v[i]))
                        strvec_push(&pm->search, probe->sys_path.v[i]);
        return pm;
}

void pymodules_free(struct pymodules *pm)
{
        if (!pm)
                return;
        for (size_t i = pm->q_head; i < pm->q_len; i++)
                work_release(&pm->queue[i]);
        free(pm->queue);
        strvec_clear(&pm->opt.app_dirs);
        free(pm->opt.main_dir);
        strvec_clear(&pm->search);
        strmap_clear(&pm->modules, module_state_free);
        strmap_clear(&pm->scanned, NULL);
        strmap_clear(&pm->data_done, NULL);
        strmap_clear(&pm->attrs, NULL);
        strvec_clear(&pm->ignored_in_functions);
        free(pm);
}

void pymodules_add_script(struct pymodules *pm, const char *path, const char *module, bool app)
{
        struct work w = {.is_scan = true,
                         .name = xstrdup(module),
                         .path = xstrdup(path),
                         .policy = app ? POLICY_APP : POLICY_LIBRARY,
                         .is_package = strcmp(path_basename(path), "__init__.py") == 0};
        push_work(pm, &w);
}

void pymodules_add_import(struct pymodules *pm, const char *module, enum plan_reason_kind kind,
                          const char *from, const char *detail, bool required)
{
        struct work w = {.name = xstrdup(module),
                         .kind = kind,
                         .from = xstrdup(from),
                         .detail = xstrdup(detail),
                         .required = required};
        push_work(pm, &w);
}

void pymodules_ignore_in_functions(struct pymodules *pm, const char *module)
{
        if (!strvec_contains(&pm->ignored_in_functions, module))
                strvec_push(&pm->ignored_in_functions, module);
}

static bool ignored_in_functions(const struct pymodules *pm, const struct work *scan,
                                 const struct py_import *imp)
{
        if (scan->policy != POLICY_LIBRARY || imp->depth != PY_DEPTH_FUNCTION)
                return false;
        cleanup_free char *abs =
            absolute_name(scan->name, scan->is_package, imp->level, imp->module);
        if (!abs)
                return false;
        for (size_t i = 0; i < pm->ignored_in_functions.n; i++)
                if (strcmp(abs, pm->ignored_in_functions.v[i]) == 0 ||
                    (strncmp(abs, pm->ignored_in_functions.v[i],
                             strlen(pm->ignored_in_functions.v[i])) == 0 &&
                     abs[strlen(pm->ignored_in_functions.v[i])] == '.'))
                        return true;
        return false;
}

bool pymodules_imported(const struct pymodules *pm, const char *module)
{
        struct module_state *st = strmap_get(&pm->modules, module);
        return st && st->kind != MOD_NOT_FOUND;
}

bool pymodules_attr_used(const struct pymodules *pm, const char *qualified)
{
        return strmap_has(&pm->attrs, qualified);
}

/* Lookup in the image namespace */

static const struct imagens_node *lookup(const struct pymodules *pm, const char *path)
{
        struct imagens_resolved res = {0};
        struct distill_error scratch = {0};
        const struct imagens_node *node = NULL;
        if (imagens_resolve(pm->ns, path, true, &res, &scratch) == 0)
                node = res.node;
        imagens_resolved_release(&res);
        return node;
}

static bool is_file(const struct pymodules *pm, const char *path)
{
        const struct imagens_node *n = lookup(pm, path);
        return n && n->type == IMAGENS_FILE;
}

static bool is_dir(const struct pymodules *pm, const char *path)
{
        const struct imagens_node *n = lookup(pm, path);
        return n && n->type == IMAGENS_DIR;
}

/* Find `base` (last component of a module name) in the directories `dirs`, as FileFinder does:
 * a directory with __init__ is a package; else an extension module, then a .py; a directory
 * without __init__ is a namespace portion. */
static void find_in_dirs(const struct pymodules *pm, const struct strvec *dirs, const char *base,
                         struct module_state *st)
{
        struct strvec portions = STRVEC_INIT;

        st->kind = MOD_NOT_FOUND;
        for (size_t i = 0; i < dirs->n && st->kind == MOD_NOT_FOUND; i++) {
                cleanup_free char *dir = path_join(dirs->v[i], base);
                if (is_dir(pm, dir)) {
                        for (size_t s = 0; s < pm->probe->ext_suffixes.n; s++) {
                                cleanup_free char *init =
                                    xasprintf("%s/__init__%s", dir, pm->probe->ext_suffixes.v[s]);
                                if (is_file(pm, init)) {
                                        st->kind = MOD_PACKAGE;
                                        st->file = xstrdup(init);
                                        break;
                                }
                        }
                        cleanup_free char *init = xasprintf("%s/__init__.py", dir);
                        if (st->kind == MOD_NOT_FOUND && is_file(pm, init)) {
                                st->kind = MOD_PACKAGE;
                                st->file = xstrdup(init);
                        }
                        if (st->kind == MOD_PACKAGE) {
                                strvec_push(&st->path, dir);
                                break;
                        }
                        strvec_push(&portions, dir);
                }
                for (size_t s = 0; s < pm->probe->ext_suffixes.n; s++) {
                        cleanup_free char *ext =
                            xasprintf("%s%s", dir, pm->probe->ext_suffixes.v[s]);
                        if (is_file(pm, ext)) {
                                st->kind = MOD_EXTENSION;
                                st->file = xstrdup(ext);
                                break;
                        }
                }
                if (st->kind != MOD_NOT_FOUND)
                        break;
                cleanup_free char *py = xasprintf("%s.py", dir);
                if (is_file(pm, py)) {
                        st->kind = MOD_SOURCE;
                        st->file = xstrdup(py);
                }
        }
        if (st->kind == MOD_NOT_FOUND && portions.n > 0) {
                st->kind = MOD_NAMESPACE;
                st->path = portions;
                return;
        }
        strvec_clear(&portions);
}

static bool under_any(const struct strvec *dirs, const char *path)
{
        for (size_t i = 0; i < dirs->n; i++)
                if (path_has_prefix(path, dirs->v[i]))
                        return true;
        return false;
}

static enum scan_policy policy_for(const struct pymodules *pm, const char *path)
{
        return under_any(&pm->opt.app_dirs, path) ? POLICY_APP : POLICY_LIBRARY;
}

static bool is_python_code(const struct pymodules *pm, const char *name)
{
        size_t n = strlen(name);
        if ((n > 3 && strcmp(name + n - 3, ".py") == 0) ||
            (n > 4 && strcmp(name + n - 4, ".pyc") == 0))
                return true;
        for (size_t s = 0; s < pm->probe->ext_suffixes.n; s++) {
                size_t k = strlen(pm->probe->ext_suffixes.v[s]);
                if (n > k && strcmp(name + n - k, pm->probe->ext_suffixes.v[s]) == 0)
                        return true;
        }
        return false;
}

/* The sys.path entry a file was found under (longest match), or NULL. */
static const char *search_root_of(const struct pymodules *pm, const char *path)
{
        const char *best = NULL;
        for (size_t i = 0; i < pm->search.n; i++)
                if (path_has_prefix(path, pm->search.v[i]) &&
                    (!best || strlen(pm->search.v[i]) > strlen(best)))
                        best = pm->search.v[i];
        return best;
}

struct data_walk {
        const struct pymodules *pm;
        const char *dir;
        bool recursive;
        const char *owner; /* dist-info of the same package */
        struct strvec paths;
};

static void collect_data(const struct imagens_node *node, void *ud)
{
        struct data_walk *w = ud;
        if (node->type == IMAGENS_DIR || !path_has_prefix(node->path, w->dir) ||
            strcmp(node->path, w->dir) == 0)
                return;
        const char *rel = node->path + strlen(w->dir) + 1;
        if (!w->recursive && strchr(rel, '/'))
                return;
        if (strstr(node->path, "/__pycache__/") || is_python_code(w->pm, path_basename(node->path)))
                return;
        strvec_push(&w->paths, node->path);
}

static void collect_dist_info(const struct imagens_node *node, void *ud)
{
        struct data_walk *w = ud;
        const char *rel;
        if (!path_has_prefix(node->path, w->dir) || strcmp(node->path, w->dir) == 0)
                return;
        rel = node->path + strlen(w->dir) + 1;
        const char *slash = strchr(rel, '/');
        size_t top = slash ? (size_t)(slash - rel) : strlen(rel);
        if (!((top > 10 && strncmp(rel + top - 10, ".dist-info", 10) == 0) ||
              (top > 9 && strncmp(rel + top - 9, ".egg-info", 9) == 0)))
                return;
        if (node->type == IMAGENS_DIR)
                return;
        /* the distribution metadata of the Debian package that ships the module */
        if (!node->owner || !w->owner || strcmp(node->owner, w->owner) != 0)
                return;
        strvec_push(&w->paths, node->path);
}

static int keep_all(struct pymodules *pm, struct strvec *paths, const char *from,
                    const char *detail, struct distill_error *err)
{
        for (size_t i = 0; i < paths->n; i++) {
                int r =
                    pm->cb.keep(pm->cb.ud, paths->v[i], PLAN_R_PYTHON_IMPORT, from, detail, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A kept module brings its package's data files (templates, certificates, grammar files) and,
 * outside the standard library, its distribution's *.dist-info / *.egg-info. */
static int keep_package_data(struct pymodules *pm, const char *file, struct distill_error *err)
{
        const char *root = search_root_of(pm, file);
        cleanup_free char *dir = path_dirname(file);
        struct data_walk w = {.pm = pm};
        int r = 0;

        if (!root || strcmp(dir, root) == 0)
                return 0;
        bool stdlib = pm->probe->stdlib_dir && path_has_prefix(file, pm->probe->stdlib_dir);
        cleanup_free char *top = NULL;
        if (stdlib) {
                top = xstrdup(dir); /* only the module's own directory */
        } else {
                const char *rel = file + strlen(root) + 1;
                top = xasprintf("%s/%.*s", root, (int)strcspn(rel, "/"), rel);
        }
        if (strmap_has(&pm->data_done, top))
                return 0;
        strmap_put(&pm->data_done, top, NULL);
        cleanup_free char *detail = xasprintf("data of package %s", top + strlen(root) + 1);
        w.dir = top;
        w.recursive = !stdlib;
        imagens_foreach(pm->ns, collect_data, &w);
        r = keep_all(pm, &w.paths, file, detail, err);
        strvec_clear(&w.paths);
        if (r < 0 || stdlib)
                return r;

        const struct imagens_node *node = lookup(pm, file);
        struct data_walk d = {.pm = pm, .dir = root, .owner = node ? node->owner : NULL};
        imagens_foreach(pm->ns, collect_dist_info, &d);
        cleanup_free char *dd = xasprintf("distribution metadata of %s", top + strlen(root) + 1);
        r = keep_all(pm, &d.paths, file, dd, err);
        strvec_clear(&d.paths);
        return r;
}

/* The source of a frozen module, when the image namespace has it (module-level imports of a
 * frozen module still have to be satisfied from files). */
static char *frozen_source(struct pymodules *pm, const char *name)
{
        struct module_state st = {0};
        const char *dot = strrchr(name, '.');
        struct strvec dirs = STRVEC_INIT;

        if (dot) {
                cleanup_free char *parent = xstrndup(name, (size_t)(dot - name));
                struct module_state *ps = strmap_get(&pm->modules, parent);
                if (!ps || !ps->path.n)
                        return NULL;
                for (size_t i = 0; i < ps->path.n; i++)
                        strvec_push(&dirs, ps->path.v[i]);
        } else {
                for (size_t i = 0; i < pm->search.n; i++)
                        strvec_push(&dirs, pm->search.v[i]);
        }
        find_in_dirs(pm, &dirs, dot ? dot + 1 : name, &st);
        strvec_clear(&dirs);
        char *file = (st.kind == MOD_SOURCE || st.kind == MOD_PACKAGE) ? st.file : NULL;
        if (!file)
                free(st.file);
        strvec_clear(&st.path);
        return file;
}

static void queue_scan(struct pymodules *pm, const char *path, const char *name, bool is_package,
                       enum scan_policy policy)
{
        if (strmap_has(&pm->scanned, path))
                return;
        struct work w = {.is_scan = true,
                         .name = xstrdup(name),
                         .path = xstrdup(path),
                         .policy = policy,
                         .is_package = is_package};
        push_work(pm, &w);
}

/* Resolve one module (all parents resolved already) and keep what it needs. */
static int import_one(struct pymodules *pm, const char *name, const struct work *why,
                      struct module_state **out, struct distill_error *err)
{
        struct module_state *st = strmap_get(&pm->modules, name);
        int r;

        if (st) {
                *out = st;
                return 0;
        }
        if (pm->modules.n >= PYMODULES_MAX_MODULES)
                return distill_error_set(err, DISTILL_EUSAGE, "more than %d Python modules",
                                         PYMODULES_MAX_MODULES);
        st = xcalloc(1, sizeof(*st));
        strmap_put(&pm->modules, name, st);
        *out = st;
        pm->changed = true;

        if (py_probe_is_builtin(pm->probe, name)) {
                st->kind = MOD_BUILTIN;
                return 0;
        }
        const char *dot = strrchr(name, '.');
        struct module_state *parent = NULL;
        if (dot) {
                cleanup_free char *pname = xstrndup(name, (size_t)(dot - name));
                parent = strmap_get(&pm->modules, pname);
        }
        if (py_probe_is_frozen(pm->probe, name)) {
                st->kind = MOD_FROZEN;
                /* A frozen package (none in 3.11 but __phello__) still has a __path__. */
                char *src = frozen_source(pm, name);
                if (src) {
                        queue_scan(pm, src, name, strcmp(path_basename(src), "__init__.py") == 0,
                                   POLICY_FROZEN);
                        if (strcmp(path_basename(src), "__init__.py") == 0) {
                                cleanup_free char *d = path_dirname(src);
                                strvec_push(&st->path, d);
                        }
                        free(src);
                }
                return 0;
        }
        if (dot && (!parent || parent->path.n == 0)) {
                st->kind = MOD_NOT_FOUND; /* the parent is not a package */
                return 0;
        }
        find_in_dirs(pm, dot ? &parent->path : &pm->search, dot ? dot + 1 : name, st);

        cleanup_free char *detail = NULL;
        const char *from = why->from ? why->from : name;
        const char *det = why->detail;
        if (!det)
                det = detail = xasprintf("import %s", name);
        switch (st->kind) {
        case MOD_NOT_FOUND:
        case MOD_BUILTIN:
        case MOD_FROZEN:
                return 0;
        case MOD_NAMESPACE:
                for (size_t i = 0; i < st->path.n; i++) {
                        r = pm->cb.keep(pm->cb.ud, st->path.v[i], why->kind, from, det, err);
                        if (r < 0)
                                return r;
                }
                return 0;
        case MOD_EXTENSION:
                r = pm->cb.keep(pm->cb.ud, st->file, why->kind, from, det, err);
                if (r < 0)
                        return r;
                return keep_package_data(pm, st->file, err);
        case MOD_SOURCE:
        case MOD_PACKAGE:
                r = pm->cb.keep(pm->cb.ud, st->file, why->kind, from, det, err);
                if (r < 0)
                        return r;
                queue_scan(pm, st->file, name, st->kind == MOD_PACKAGE, policy_for(pm, st->file));
                return keep_package_data(pm, st->file, err);
        }
        return 0;
}

/* Import a dotted name: every parent package first, as the import system does. Returns 1 when
 * found, 0 when not. */
static int import_module(struct pymodules *pm, const struct work *why, struct distill_error *err)
{
        const char *name = why->name;
        struct module_state *st = NULL;
        int r;

        if (!py_module_name_valid(name))
                return 0;
        for (const char *p = name;; p++) {
                if (*p != '.' && *p != '\0')
                        continue;
                cleanup_free char *prefix = xstrndup(name, (size_t)(p - name));
                r = import_one(pm, prefix, why, &st, err);
                if (r < 0)
                        return r;
                if (st->kind == MOD_NOT_FOUND)
                        return 0;
                if (!*p)
                        break;
        }
        return 1;
}

static bool follow(const struct pymodules *pm, enum scan_policy policy, enum py_import_depth d)
{
        switch (policy) {
        case POLICY_APP:
                return true;
        case POLICY_LIBRARY:
                return d != PY_DEPTH_FUNCTION || pm->opt.deep;
        case POLICY_FROZEN:
                return d != PY_DEPTH_FUNCTION;
        }
        return false;
}

/* The absolute name of a relative import, or NULL when it climbs above the top package. */
static char *absolute_name(const char *importer, bool is_package, int level, const char *module)
{
        if (level == 0)
                return xstrdup(module);
        cleanup_free char *base = xstrdup(importer);
        if (!is_package) {
                char *dot = strrchr(base, '.');
                if (!dot)
                        return NULL;
                *dot = '\0';
        }
        for (int i = 1; i < level; i++) {
                char *dot = strrchr(base, '.');
                if (!dot)
                        return NULL;
                *dot = '\0';
        }
        if (strcmp(base, "__main__") == 0)
                return NULL;
        return *module ? xasprintf("%s.%s", base, module) : xstrdup(base);
}

static int report_unresolved(struct pymodules *pm, const struct work *scan,
                             const struct py_import *imp, const char *abs,
                             struct distill_error *err)
{
        if (imp->guarded) {
                pm->cb.warn(pm->cb.ud, xasprintf("unresolved guarded import %s (%s:%u)", abs,
                                                 scan->path, imp->line));
                return 0;
        }
        if (scan->policy == POLICY_APP)
                return distill_error_set(err, DISTILL_ERESOLVE,
                                         "%s:%u:%u: import %s: no module of that name in the "
                                         "image; add the package that provides it to packages "
                                         "(or guard the import with try/except ImportError)",
                                         scan->path, imp->line, imp->col, abs);
        pm->cb.warn(pm->cb.ud,
                    xasprintf("unresolved import %s (%s:%u)", abs, scan->path, imp->line));
        return 0;
}

/* Returns 1 when found, 0 when not (reported), negative on error. */
static int follow_import(struct pymodules *pm, const struct work *scan, const struct py_import *imp,
                         struct distill_error *err)
{
        cleanup_free char *abs =
            absolute_name(scan->name, scan->is_package, imp->level, imp->module);
        int r;

        if (!abs || !*abs)
                return 0;
        cleanup_free char *detail = xasprintf("import %s at line %u", abs, imp->line);
        struct work w = {.name = abs,
                         .kind = PLAN_R_PYTHON_IMPORT,
                         .from = scan->path,
                         .detail = detail,
                         .guarded = imp->guarded};
        r = import_module(pm, &w, err);
        if (r < 0)
                return r;
        if (r == 0) {
                r = report_unresolved(pm, scan, imp, abs, err);
                return r < 0 ? r : 0;
        }
        if (imp->kind != PY_FROM)
                return 1;
        /* from PKG import name: a submodule when PKG is a package, else an attribute */
        struct module_state *st = strmap_get(&pm->modules, abs);
        if (!st || st->path.n == 0)
                return 1; /* a module, not a package: the names are attributes */
        for (size_t i = 0; i < imp->names.n; i++) {
                if (strcmp(imp->names.v[i], "*") == 0)
                        continue;
                cleanup_free char *sub = xasprintf("%s.%s", abs, imp->names.v[i]);
                cleanup_free char *sub_detail = xasprintf("import %s at line %u", sub, imp->line);
                struct work ws = {.name = sub,
                                  .kind = PLAN_R_PYTHON_IMPORT,
                                  .from = scan->path,
                                  .detail = sub_detail};
                r = import_module(pm, &ws, err);
                if (r < 0)
                        return r;
                if (r == 0) {
                        /* not a submodule: an attribute; forget the failed lookup so a later
                         * real import of that name is judged on its own */
                        struct module_state *gone = strmap_put(&pm->modules, sub, NULL);
                        module_state_free(gone);
                }
        }
        return 1;
}

static int scan_buffer(struct pymodules *pm, const struct work *w, const char *data, size_t len,
                       struct distill_error *err)
{
        struct py_scan scan = {0};
        int r = pyimports_scan(data, len, w->path, &scan, err);

        if (r < 0) {
                /* Python would fail on it too; for library code only if it is imported */
                if (w->policy == POLICY_APP)
                        return r;
                pm->cb.warn(pm->cb.ud, xasprintf("not scanned: %s", err->msg));
                err->code = 0;
                return 0;
        }
        /* A fallback in `except ImportError:` runs only when an import of its try failed; code
         * under `if __name__ == "__main__":` runs only in the program's own script. */
        bool *try_failed = xcalloc(scan.n_tries + 1, sizeof(*try_failed));
        for (size_t i = 0; i < scan.n_imports && r >= 0; i++) {
                const struct py_import *imp = &scan.imports[i];
                if (!follow(pm, w->policy, imp->depth))
                        continue;
                if (imp->main_block && strcmp(w->name, "__main__") != 0)
                        continue;
                if (ignored_in_functions(pm, w, imp))
                        continue;
                if (imp->fallback_for > 0 && (size_t)imp->fallback_for <= scan.n_tries &&
                    !try_failed[imp->fallback_for - 1])
                        continue;
                r = follow_import(pm, w, imp, err);
                if (r == 0)
                        for (int t = imp->try_id; t > 0 && (size_t)t <= scan.n_tries;
                             t = scan.try_parent[t - 1])
                                try_failed[t - 1] = true;
        }
        free(try_failed);
        for (size_t i = 0; i < scan.n_attrs && r >= 0; i++)
                if (follow(pm, w->policy, scan.attrs[i].depth))
                        strmap_put(&pm->attrs, scan.attrs[i].qualified, NULL);
        py_scan_release(&scan);
        return r < 0 ? r : 0;
}

static int scan_file(struct pymodules *pm, const struct work *w, struct distill_error *err)
{
        char *data = NULL;
        size_t len = 0;
        int r;

        if (strmap_has(&pm->scanned, w->path))
                return 0;
        strmap_put(&pm->scanned, w->path, NULL);
        pm->changed = true;
        r = pm->cb.read(pm->cb.ud, w->path, &data, &len, err);
        if (r < 0)
                return r;
        r = scan_buffer(pm, w, data, len, err);
        free(data);
        return r;
}

/* A .pth file: lines starting with "import" are executed by site.py; other lines name
 * directories (relative to the site directory) that join sys.path. */
static int process_pth(struct pymodules *pm, const char *site_dir, const char *path,
                       struct distill_error *err)
{
        char *data = NULL;
        size_t len = 0;
        struct strbuf code = STRBUF_INIT;
        int r = pm->cb.read(pm->cb.ud, path, &data, &len, err);

        if (r < 0)
                return r;
        for (char *line = data; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (strncmp(line, "import ", 7) == 0 || strncmp(line, "import\t", 7) == 0) {
                        strbuf_adds(&code, line);
                        strbuf_addch(&code, '\n');
                } else if (*line && *line != '#') {
                        cleanup_free char *dir =
                            line[0] == '/' ? path_normalize(line) : path_join(site_dir, line);
                        cleanup_free char *norm = path_normalize(dir);
                        if (is_dir(pm, norm) && !strvec_contains(&pm->search, norm))
                                strvec_push(&pm->search, norm);
                }
                line = nl ? nl + 1 : NULL;
        }
        struct work w = {.name = "__pth__", .path = (char *)path, .policy = POLICY_LIBRARY};
        r = scan_buffer(pm, &w, strbuf_str(&code), code.len, err);
        strbuf_release(&code);
        free(data);
        return r;
}

int pymodules_add_pth_files(struct pymodules *pm, struct distill_error *err)
{
        /* site.py reads *.pth in its site directories: the dist-packages entries of sys.path */
        for (size_t i = 0; i < pm->probe->sys_path.n; i++) {
                const char *dir = pm->probe->sys_path.v[i];
                struct strvec names = STRVEC_INIT;
                size_t n = strlen(dir);
                int r = 0;
                if (!((n > 14 && strcmp(dir + n - 14, "/dist-packages") == 0) ||
                      (n > 14 && strcmp(dir + n - 14, "/site-packages") == 0)))
                        continue;
                if (imagens_list_dir(pm->ns, dir, &names) < 0)
                        continue;
                for (size_t j = 0; j < names.n && r >= 0; j++) {
                        size_t k = strlen(names.v[j]);
                        if (k < 5 || strcmp(names.v[j] + k - 4, ".pth") != 0)
                                continue;
                        cleanup_free char *path = path_join(dir, names.v[j]);
                        if (!is_file(pm, path))
                                continue;
                        r = pm->cb.keep(pm->cb.ud, path, PLAN_R_SEED, path,
                                        "site .pth file (its import lines run at start-up)", err);
                        if (r >= 0)
                                r = process_pth(pm, dir, path, err);
                }
                strvec_clear(&names);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pymodules_drain(struct pymodules *pm, struct distill_error *err)
{
        int r = 0;

        pm->changed = false;
        while (pm->q_head < pm->q_len) {
                struct work w = pm->queue[pm->q_head++];
                if (w.is_scan) {
                        r = scan_file(pm, &w, err);
                } else {
                        r = import_module(pm, &w, err);
                        if (r == 0 && w.required)
                                r = distill_error_set(err, DISTILL_ERESOLVE,
                                                      "%s: module %s is not in the image; add "
                                                      "the package that provides it",
                                                      w.from, w.name);
                        else if (r == 0)
                                pm->cb.warn(pm->cb.ud,
                                            xasprintf("%s: module %s not found", w.from, w.name));
                }
                work_release(&w);
                if (r < 0)
                        return r;
        }
        return pm->changed ? 1 : 0;
}
