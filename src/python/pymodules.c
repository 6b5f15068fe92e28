/* Python import closure: resolve module names the way CPython 3's import system does inside the
 * image, and follow imports breadth-first by the policy of the code they appear in. */
#include "distill/python/pymodules.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/names.h"
#include "distill/base/wildmatch.h"
#include "distill/python/pyimports.h"
#include "distill/python/pylocale.h"
#include "distill/python/pyreach.h"

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
        MOD_EXCLUDED, /* python.exclude-modules: found or not, never kept */
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

/* A computed import (`import_module(f"pkg.{x}")`) waiting for the literals that narrow it. */
struct computed_site {
        char *pool;       /* the literal pool it draws from: its top-level package ("" for app) */
        char *prefix;     /* the absolute literal prefix ("pkg.backends."), or NULL for none */
        char *caller_pkg; /* the package of the calling module, or NULL */
        char *from;       /* the calling file */
        unsigned line;
        struct strmap tried; /* candidate names already considered */
        bool narrowed;       /* some literal named a module */
        bool expanded;       /* the prefix's package was imported whole */
        bool codec;          /* encode/decode/codecs.lookup of a computed codec name */
        bool library;        /* in library code: the app's literals (its configuration) count */
        bool find_library;   /* ctypes.util.find_library of a computed name */
};

/* An entry point: `name = module:attr` under [group] of a distribution's entry_points.txt. */
struct entry_point {
        char *group;
        char *module;
        char *dist_dir; /* the *.dist-info / *.egg-info directory declaring it */
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
        struct strvec ignored_computed;     /* computed imports not narrowed in these */
        struct strvec excluded;             /* python.exclude-modules globs */
        struct strmap pools; /* top-level package → struct strmap literal → "file:line" */
        struct strmap pool_prefixes; /* top-level package → struct strvec of its literals that
                                      * are package prefixes ("pkg.sub.") */
        struct computed_site *sites;
        size_t n_sites;
        struct strmap resolvable; /* module name → "1" or "0", for names not imported */
        struct entry_point *eps;  /* every entry point of the namespace, read on first use */
        size_t n_eps;
        bool eps_read;
        struct strvec ep_files;        /* every entry_points.txt of the namespace */
        struct strmap ext_named;       /* dotted literals already tried as extension module names */
        struct strmap groups_done;     /* entry-point groups followed */
        struct strmap dists_done;      /* distribution metadata directories kept */
        struct strvec alias_importers; /* modules that add a finder to sys.meta_path */
        struct strmap alias_rows;      /* an importer's "file:line" → struct strvec of the
                                        * literals written on it (its table's rows) */
        struct pyreach *reach;         /* which defs of the scanned modules the program reaches */
        struct work *reach_mods;       /* per pyreach module: the scan it came from */
        bool **try_failed; /* per pyreach module: per try, an import of its body failed */
        size_t n_reach_mods, alloc_reach_mods;
        bool interpreter_read;          /* the interpreter's names are in pyreach */
        struct strvec optional_skipped; /* "top\tmessage" of optional imports left out */
        struct strmap locale_dirs;      /* package data directory → "1" when named by locales */
        struct strmap locale_data;      /* its files not kept yet → struct locale_file * */
        struct work *queue;
        size_t q_head, q_len, q_alloc;
        bool changed;
};

/* A file of a locale-named data directory, kept once a wanted language names its locale. */
struct locale_file {
        char *from, *detail; /* the reason it would have had as package data */
};

static void locale_file_free(void *p)
{
        struct locale_file *lf = p;
        if (!lf)
                return;
        free(lf->from);
        free(lf->detail);
        free(lf);
}

static char *absolute_name(const char *importer, bool is_package, int level, const char *module);
static int follow_extension_strings(struct pymodules *pm, const char *name, const char *file,
                                    struct distill_error *err);
static bool module_resolvable(struct pymodules *pm, const char *name, struct strvec *paths);
static int scan_file(struct pymodules *pm, const struct work *w, struct distill_error *err);
static int follow_reachable(struct pymodules *pm, struct distill_error *err);
static void alias_row_partners(struct pymodules *pm, const char *name, struct strvec *out);

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

static void free_strvec_value(void *p)
{
        strvec_clear(p);
        free(p);
}

static void free_pool(void *p)
{
        struct strmap *pool = p;
        strmap_clear(pool, free);
        free(pool);
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
        pm->opt.depth = opt->depth;
        pm->opt.interpreter = opt->interpreter ? xstrdup(opt->interpreter) : NULL;
        pm->reach = pyreach_new();
        for (size_t i = 0; i < opt->app_dirs.n; i++)
                strvec_push(&pm->opt.app_dirs, opt->app_dirs.v[i]);
        pm->opt.main_dir = opt->main_dir ? xstrdup(opt->main_dir) : NULL;
        for (size_t i = 0; i < opt->locales.n; i++)
                strvec_push(&pm->opt.locales, opt->locales.v[i]);
        pm->opt.all_locales = opt->all_locales;
        for (size_t i = 0; i < opt->requested.n; i++)
                strvec_push(&pm->opt.requested, opt->requested.v[i]);
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
        strvec_clear(&pm->ignored_computed);
        strvec_clear(&pm->excluded);
        strmap_clear(&pm->pools, free_pool);
        strmap_clear(&pm->pool_prefixes, free_strvec_value);
        for (size_t i = 0; i < pm->n_sites; i++) {
                struct computed_site *cs = &pm->sites[i];
                free(cs->pool);
                free(cs->prefix);
                free(cs->caller_pkg);
                free(cs->from);
                strmap_clear(&cs->tried, NULL);
        }
        free(pm->sites);
        strmap_clear(&pm->resolvable, NULL);
        for (size_t i = 0; i < pm->n_eps; i++) {
                free(pm->eps[i].group);
                free(pm->eps[i].module);
                free(pm->eps[i].dist_dir);
        }
        free(pm->eps);
        strmap_clear(&pm->groups_done, NULL);
        strvec_clear(&pm->ep_files);
        strmap_clear(&pm->ext_named, NULL);
        strmap_clear(&pm->dists_done, NULL);
        strvec_clear(&pm->alias_importers);
        strmap_clear(&pm->alias_rows, free_strvec_value);
        strvec_clear(&pm->opt.locales);
        strvec_clear(&pm->opt.requested);
        strvec_clear(&pm->optional_skipped);
        strmap_clear(&pm->locale_dirs, NULL);
        pyreach_free(pm->reach);
        for (size_t i = 0; i < pm->n_reach_mods; i++) {
                work_release(&pm->reach_mods[i]);
                free(pm->try_failed[i]);
        }
        free(pm->reach_mods);
        free(pm->try_failed);
        free(pm->opt.interpreter);
        strmap_clear(&pm->locale_data, locale_file_free);
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

void pymodules_exclude(struct pymodules *pm, const char *glob)
{
        if (!strvec_contains(&pm->excluded, glob))
                strvec_push(&pm->excluded, glob);
}

static const char *excluded_by(const struct pymodules *pm, const char *name)
{
        for (size_t i = 0; i < pm->excluded.n; i++)
                if (wildmatch(pm->excluded.v[i], name))
                        return pm->excluded.v[i];
        return NULL;
}

void pymodules_ignore_computed_in(struct pymodules *pm, const char *module)
{
        if (!strvec_contains(&pm->ignored_computed, module))
                strvec_push(&pm->ignored_computed, module);
}

static bool in_any_module(const struct strvec *modules, const char *name)
{
        for (size_t i = 0; i < modules->n; i++) {
                size_t n = strlen(modules->v[i]);
                if (strncmp(name, modules->v[i], n) == 0 && (name[n] == '\0' || name[n] == '.'))
                        return true;
        }
        return false;
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
        return st && st->kind != MOD_NOT_FOUND && st->kind != MOD_EXCLUDED;
}

void pymodules_def_counts(const struct pymodules *pm, size_t *defs, size_t *reached)
{
        pyreach_counts(pm->reach, defs, reached);
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

struct subtree {
        const char *dir;
        struct strvec paths;
};

static void collect_under(const struct imagens_node *node, void *ud)
{
        struct subtree *t = ud;
        if (node->type != IMAGENS_DIR && path_has_prefix(node->path, t->dir))
                strvec_push(&t->paths, node->path);
}

/* Whether a package data directory is named by locales (babel's locale-data: de.dat,
 * de_AT.dat, …, root.dat), from the whole directory as the namespace has it. */
static bool in_locale_dir(struct pymodules *pm, const char *path)
{
        cleanup_free char *dir = path_dirname(path);
        const char *known = strmap_get(&pm->locale_dirs, dir);
        if (!known) {
                struct strvec names = STRVEC_INIT;
                bool named =
                    imagens_list_dir(pm->ns, dir, &names) == 0 && pylocale_is_locale_dir(&names);
                strvec_clear(&names);
                known = named ? "1" : "0";
                strmap_put(&pm->locale_dirs, dir, (void *)known);
        }
        return known[0] == '1';
}

/* Keeps one data file, or, in a locale-named directory, leaves it to keep_locale_data: an
 * image needs the locales its env and its code name (python.locales), not every one of them.
 * CLDR's root locale, which every other one inherits from, is always kept. */
static int keep_data_file(struct pymodules *pm, const char *path, const char *from,
                          const char *detail, struct distill_error *err)
{
        if (!pm->opt.all_locales && in_locale_dir(pm, path)) {
                cleanup_free char *stem = pylocale_file_locale(path_basename(path));
                if (strcmp(stem, "root") != 0) {
                        if (!strmap_has(&pm->locale_data, path)) {
                                struct locale_file *lf = xcalloc(1, sizeof(*lf));
                                lf->from = xstrdup(from);
                                lf->detail = xstrdup(detail);
                                strmap_put(&pm->locale_data, path, lf);
                        }
                        return 0;
                }
        }
        return pm->cb.keep(pm->cb.ud, path, PLAN_R_PYTHON_IMPORT, from, detail, err);
}

/* The languages an image needs locale data for, each with why: the image env's locales (C
 * and POSIX are CLDR's en_US_POSIX) and the locale identifiers the app's code spells. A
 * library's own literals are not asked: babel's table of every locale alias would name them
 * all. */
static void wanted_languages(struct pymodules *pm, struct strmap *out)
{
        for (size_t i = 0; i < pm->opt.locales.n; i++) {
                cleanup_free char *lang = pylocale_language(pm->opt.locales.v[i]);
                if (lang && !strmap_has(out, lang))
                        strmap_put(out, lang,
                                   xasprintf("the image env's locale %s", pm->opt.locales.v[i]));
        }
        const struct strmap *pool = strmap_get(&pm->pools, "");
        const char **keys = pool ? strmap_sorted_keys(pool) : NULL;
        for (size_t k = 0; pool && k < pool->n; k++) {
                cleanup_free char *lang = pylocale_language(keys[k]);
                if (lang && !strmap_has(out, lang))
                        strmap_put(out, lang,
                                   xasprintf("the app's literal '%s' (%s)", keys[k],
                                             (const char *)strmap_get(pool, keys[k])));
        }
        free(keys);
}

/* The files of locale-named data directories whose language is wanted. Run each time the
 * queue empties, as the app's literals grow. */
static int keep_locale_data(struct pymodules *pm, struct distill_error *err)
{
        if (pm->locale_data.n == 0)
                return 0;
        struct strmap wanted = STRMAP_INIT;
        wanted_languages(pm, &wanted);
        const char **paths = strmap_sorted_keys(&pm->locale_data);
        int r = 0;
        for (size_t i = 0; i < pm->locale_data.n && r >= 0; i++) {
                struct locale_file *lf = strmap_get(&pm->locale_data, paths[i]);
                if (!lf)
                        continue; /* kept already */
                cleanup_free char *stem = pylocale_file_locale(path_basename(paths[i]));
                cleanup_free char *lang = pylocale_language(stem);
                const char *why = lang ? strmap_get(&wanted, lang) : NULL;
                if (!why)
                        continue;
                cleanup_free char *detail =
                    xasprintf("%s: locale %s, for %s", lf->detail, stem, why);
                r = pm->cb.keep(pm->cb.ud, paths[i], PLAN_R_PYTHON_IMPORT, lf->from, detail, err);
                locale_file_free(strmap_put(&pm->locale_data, paths[i], NULL));
        }
        free(paths);
        strmap_clear(&wanted, free);
        return r < 0 ? r : 0;
}

/* Keeps each path; a symlink to a directory (package data that Debian moved to another
 * package's /usr/share directory) brings what that directory holds. */
static int keep_all(struct pymodules *pm, struct strvec *paths, const char *from,
                    const char *detail, struct distill_error *err)
{
        for (size_t i = 0; i < paths->n; i++) {
                int r = keep_data_file(pm, paths->v[i], from, detail, err);
                if (r < 0)
                        return r;
                const struct imagens_node *link = imagens_get(pm->ns, paths->v[i]);
                const struct imagens_node *target = lookup(pm, paths->v[i]);
                if (!link || link->type != IMAGENS_SYMLINK || !target ||
                    target->type != IMAGENS_DIR)
                        continue;
                struct subtree t = {.dir = target->path};
                imagens_foreach(pm->ns, collect_under, &t);
                strvec_sort(&t.paths);
                cleanup_free char *via = xasprintf("%s, through the link %s", detail, paths->v[i]);
                for (size_t k = 0; k < t.paths.n && r >= 0; k++)
                        r = keep_data_file(pm, t.paths.v[k], from, via, err);
                strvec_clear(&t.paths);
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
        const char *glob = excluded_by(pm, name);
        if (glob) {
                st->kind = MOD_EXCLUDED;
                pm->cb.warn(pm->cb.ud,
                            xasprintf("module %s excluded by python.exclude-modules '%s' (first "
                                      "asked for by %s: %s)",
                                      name, glob, why->from ? why->from : "?",
                                      why->detail ? why->detail : "import"));
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
        case MOD_EXCLUDED:
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
                if (r >= 0)
                        r = follow_extension_strings(pm, name, st->file, err);
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
                if (st->kind == MOD_EXCLUDED)
                        return 1; /* reported where it was excluded; its submodules go too */
                if (!*p)
                        break;
        }
        /* a module loaded by a name that data holds is a plugin: its loader looks its
         * functions up by name too (pytest's hook functions, an entry point's object) */
        if (why->kind == PLAN_R_PY_COMPUTED || why->kind == PLAN_R_PY_ENTRY_POINT ||
            why->kind == PLAN_R_SEED)
                pyreach_reflective(pm->reach, name);
        return 1;
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

/* six.moves.urllib is a lazy module whose attributes are urllib.parse, urllib.request, …: when
 * a finder maps a name to a package, the submodules of that package its importer's literals
 * name come with it. */
static int import_alias_submodules(struct pymodules *pm, const struct work *scan,
                                   const char *package, const char *abs, const char *importer,
                                   struct distill_error *err)
{
        struct module_state *st = strmap_get(&pm->modules, package);
        if (!st || st->path.n == 0)
                return 0;
        cleanup_free char *top = xstrndup(importer, strcspn(importer, "."));
        const struct strmap *pool = strmap_get(&pm->pools, top);
        if (!pool)
                return 0;
        const char **keys = strmap_sorted_keys(pool);
        size_t pl = strlen(package);
        int r = 0;
        for (size_t k = 0; k < pool->n && r >= 0; k++) {
                if (strncmp(keys[k], package, pl) != 0 || keys[k][pl] != '.' ||
                    strmap_has(&pm->modules, keys[k]) || !module_resolvable(pm, keys[k], NULL))
                        continue;
                cleanup_free char *detail =
                    xasprintf("%s, provided by %s's meta-path finder as %s, offers %s", abs,
                              importer, package, keys[k]);
                cleanup_free char *name = xstrdup(keys[k]);
                struct work w = {
                    .name = name, .kind = PLAN_R_PY_ALIAS, .from = scan->path, .detail = detail};
                r = import_module(pm, &w, err);
        }
        free(keys);
        return r < 0 ? r : 0;
}

/* A module that adds a finder to sys.meta_path provides names no file has: six.moves.queue is
 * `queue`, pkg_resources.extern.jaraco is pkg_resources._vendor.jaraco. For an import under
 * such a module, the rest of the name is tried as an absolute module, under every dotted
 * literal of the importer's package that names a package, under the importer's sibling
 * packages its literals name, and through the rows of the importer's table. Returns 1 when the
 * importer is there (the name exists at run time, whatever was found for it), 0 when none is. */
static int import_through_alias(struct pymodules *pm, const struct work *scan, const char *abs,
                                unsigned line, struct distill_error *err)
{
        /* the parents may be queued but not read yet: read them now, they run first */
        for (const char *p = abs; (p = strchr(p, '.')); p++) {
                cleanup_free char *parent = xstrndup(abs, (size_t)(p - abs));
                const struct module_state *ps = strmap_get(&pm->modules, parent);
                if (!ps || !ps->file || (ps->kind != MOD_SOURCE && ps->kind != MOD_PACKAGE) ||
                    strmap_has(&pm->scanned, ps->file))
                        continue;
                struct work w = {.is_scan = true,
                                 .name = parent,
                                 .path = ps->file,
                                 .policy = policy_for(pm, ps->file),
                                 .is_package = ps->kind == MOD_PACKAGE};
                int r = scan_file(pm, &w, err);
                if (r < 0)
                        return r;
        }
        /* their code, to know the importers and the names their tables hold */
        int rr = follow_reachable(pm, err);
        if (rr < 0)
                return rr;
        const char *importer = NULL;
        for (size_t i = 0; i < pm->alias_importers.n; i++) {
                const char *a = pm->alias_importers.v[i];
                size_t n = strlen(a);
                if (!strncmp(abs, a, n) && abs[n] == '.' && (!importer || n > strlen(importer)))
                        importer = a;
        }
        if (!importer)
                return 0;
        cleanup_free char *top = xstrndup(importer, strcspn(importer, "."));
        const struct strmap *pool = strmap_get(&pm->pools, top);
        const char **keys = pool ? strmap_sorted_keys(pool) : NULL;
        const char *last_dot = strrchr(importer, '.');
        cleanup_free char *parent =
            last_dot ? xstrndup(importer, (size_t)(last_dot - importer)) : NULL;
        int r = 0;
        bool found = false;
        /* the rest of the name, longest first: six.moves.urllib.parse → urllib.parse */
        for (const char *rest = abs + strlen(importer) + 1; rest && *rest && !found && r >= 0;
             rest = strchr(rest, '.') ? strchr(rest, '.') + 1 : NULL) {
                struct strvec cands = STRVEC_INIT;
                strvec_push(&cands, rest);
                for (size_t k = 0; pool && k < pool->n; k++) {
                        if (strchr(keys[k], '.') && keys[k][0] != '.')
                                strvec_push_nodup(&cands, xasprintf("%s.%s", keys[k], rest));
                        /* a sibling package of the importer: pkg.extern → pkg._vendor */
                        else if (parent && !strchr(keys[k], '.'))
                                strvec_push_nodup(&cands,
                                                  xasprintf("%s.%s.%s", parent, keys[k], rest));
                }
                /* the last name, through the importer's table: html_parser → html.parser */
                if (!strchr(rest, '.'))
                        alias_row_partners(pm, rest, &cands);
                for (size_t k = 0; k < cands.n && !found && r >= 0; k++) {
                        if (!module_resolvable(pm, cands.v[k], NULL))
                                continue;
                        cleanup_free char *detail =
                            xasprintf("import %s at line %u, which %s's meta-path finder "
                                      "provides as %s",
                                      abs, line, importer, cands.v[k]);
                        struct work w = {.name = cands.v[k],
                                         .kind = PLAN_R_PY_ALIAS,
                                         .from = scan->path,
                                         .detail = detail};
                        r = import_module(pm, &w, err);
                        found = r > 0;
                        if (found)
                                r = import_alias_submodules(pm, scan, cands.v[k], abs, importer,
                                                            err);
                }
                strvec_clear(&cands);
        }
        free(keys);
        return r < 0 ? r : 1;
}

/* Returns 1 when found, 2 when found but `from PKG import name` names no submodule of the
 * package (an attribute of it, or an import that fails at run time), 0 when not found
 * (reported), negative on error. */
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
        bool via_alias = false;
        if (r == 0) {
                r = import_through_alias(pm, scan, abs, imp->line, err);
                via_alias = r > 0;
        }
        if (r < 0)
                return r;
        if (r == 0) {
                r = report_unresolved(pm, scan, imp, abs, err);
                return r < 0 ? r : 0;
        }
        if (imp->kind != PY_FROM)
                return 1;
        /* from six.moves import queue: each name may be a module the finder maps */
        for (size_t i = 0; via_alias && i < imp->names.n && r >= 0; i++) {
                if (strcmp(imp->names.v[i], "*") == 0)
                        continue;
                cleanup_free char *sub = xasprintf("%s.%s", abs, imp->names.v[i]);
                r = import_through_alias(pm, scan, sub, imp->line, err);
        }
        if (via_alias)
                return r < 0 ? r : 1;
        /* from PKG import name: a submodule when PKG is a package, else an attribute */
        struct module_state *st = strmap_get(&pm->modules, abs);
        if (!st || st->path.n == 0)
                return 1; /* a module, not a package: the names are attributes */
        int found = 1;
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
                if (r == 0) /* from pkg_resources.extern import platformdirs */
                        r = import_through_alias(pm, scan, sub, imp->line, err);
                if (r < 0)
                        return r;
                if (r == 0) {
                        /* not a submodule: an attribute; forget the failed lookup so a later
                         * real import of that name is judged on its own */
                        struct module_state *gone = strmap_put(&pm->modules, sub, NULL);
                        module_state_free(gone);
                        found = 2;
                }
        }
        return found;
}

/* ---- beyond import statements: names that calls and literals reveal ---------------------- */

/* Whether `name` is a module the import system would find in the image, without keeping
 * anything. `paths` (optional) receives a package's __path__. */
static bool module_resolvable_kind(struct pymodules *pm, const char *name, struct strvec *paths,
                                   enum mod_kind *kind);

static bool module_resolvable(struct pymodules *pm, const char *name, struct strvec *paths)
{
        return module_resolvable_kind(pm, name, paths, NULL);
}

static bool module_resolvable_kind(struct pymodules *pm, const char *name, struct strvec *paths,
                                   enum mod_kind *kind)
{
        struct module_state *known = strmap_get(&pm->modules, name);
        if (known && known->kind != MOD_NOT_FOUND) {
                for (size_t i = 0; paths && i < known->path.n; i++)
                        strvec_push(paths, known->path.v[i]);
                if (kind)
                        *kind = known->kind;
                return true;
        }
        if (!py_module_name_valid(name))
                return false;
        const char *cached = strmap_get(&pm->resolvable, name);
        if (cached && !paths && !kind)
                return cached[0] == '1';
        bool found = false;
        struct module_state st = {0};
        if (py_probe_is_builtin(pm->probe, name) || py_probe_is_frozen(pm->probe, name)) {
                found = !strchr(name, '.');
                st.kind = py_probe_is_builtin(pm->probe, name) ? MOD_BUILTIN : MOD_FROZEN;
        } else {
                const char *dot = strrchr(name, '.');
                struct strvec parent_paths = STRVEC_INIT;
                bool parent_ok = true;
                if (dot) {
                        cleanup_free char *parent = xstrndup(name, (size_t)(dot - name));
                        parent_ok =
                            module_resolvable(pm, parent, &parent_paths) && parent_paths.n > 0;
                }
                if (parent_ok) {
                        find_in_dirs(pm, dot ? &parent_paths : &pm->search, dot ? dot + 1 : name,
                                     &st);
                        found = st.kind != MOD_NOT_FOUND;
                        for (size_t i = 0; paths && found && i < st.path.n; i++)
                                strvec_push(paths, st.path.v[i]);
                }
                strvec_clear(&parent_paths);
        }
        if (kind)
                *kind = st.kind;
        free(st.file);
        strvec_clear(&st.path);
        strmap_put(&pm->resolvable, name, found ? "1" : "0");
        return found;
}

/* The submodules of a package as pkgutil.iter_modules lists them: *.py, extension modules and
 * subpackages of each __path__ directory (walk: their submodules too). */
static void list_submodules(struct pymodules *pm, const char *package, bool walk, int depth,
                            struct strvec *out)
{
        struct strvec dirs = STRVEC_INIT;
        if (depth > 16 || !module_resolvable(pm, package, &dirs)) {
                strvec_clear(&dirs);
                return;
        }
        for (size_t d = 0; d < dirs.n; d++) {
                struct strvec names = STRVEC_INIT;
                if (imagens_list_dir(pm->ns, dirs.v[d], &names) < 0)
                        continue;
                strvec_sort(&names);
                for (size_t i = 0; i < names.n; i++) {
                        cleanup_free char *stem = xstrdup(names.v[i]);
                        char *dot = strchr(stem, '.');
                        if (dot)
                                *dot = '\0';
                        if (!*stem || strcmp(stem, "__init__") == 0 ||
                            strcmp(stem, "__pycache__") == 0)
                                continue;
                        cleanup_free char *full = xasprintf("%s.%s", package, stem);
                        if (strvec_contains(out, full) || !module_resolvable(pm, full, NULL))
                                continue;
                        strvec_push(out, full);
                        if (walk)
                                list_submodules(pm, full, true, depth + 1, out);
                }
                strvec_clear(&names);
        }
        strvec_clear(&dirs);
}

/* The package a module's relative imports start from. */
static char *package_of(const struct work *w)
{
        if (w->is_package)
                return xstrdup(w->name);
        const char *dot = strrchr(w->name, '.');
        return dot ? xstrndup(w->name, (size_t)(dot - w->name)) : NULL;
}

/* Literal names of one top-level package narrow the computed imports made inside it; the
 * app's code shares one pool, "". Caller frees. */
static char *pool_top(const struct work *w)
{
        return w->policy == POLICY_APP ? xstrdup("") : xstrndup(w->name, strcspn(w->name, "."));
}

static bool is_prefix_literal(const char *lit)
{
        size_t n = strlen(lit);
        return n > 1 && lit[0] != '.' && lit[n - 1] == '.';
}

static void pool_add(struct pymodules *pm, const struct work *w, const struct py_literal *lit)
{
        cleanup_free char *top = pool_top(w);
        struct strmap *pool = strmap_get(&pm->pools, top);
        if (!pool) {
                pool = xcalloc(1, sizeof(*pool));
                strmap_put(&pm->pools, top, pool);
        }
        if (strmap_has(pool, lit->value))
                return;
        strmap_put(pool, lit->value, xasprintf("%s:%u", w->path, lit->line));
        if (is_prefix_literal(lit->value)) {
                struct strvec *prefixes = strmap_get(&pm->pool_prefixes, top);
                if (!prefixes) {
                        prefixes = xcalloc(1, sizeof(*prefixes));
                        strmap_put(&pm->pool_prefixes, top, prefixes);
                }
                strvec_push(prefixes, lit->value);
        }
}

static void alias_row_add(struct pymodules *pm, const struct work *w, const struct py_literal *lit)
{
        cleanup_free char *key = xasprintf("%s:%u", w->path, lit->line);
        struct strvec *row = strmap_get(&pm->alias_rows, key);
        if (!row) {
                row = xcalloc(1, sizeof(*row));
                strmap_put(&pm->alias_rows, key, row);
        }
        if (!strvec_contains(row, lit->value))
                strvec_push(row, lit->value);
}

/* The modules written beside `name` in a row of an importer's table:
 * MovedModule("html_parser", "HTMLParser", "html.parser"). */
static void alias_row_partners(struct pymodules *pm, const char *name, struct strvec *out)
{
        const char **keys = strmap_sorted_keys(&pm->alias_rows);
        for (size_t i = 0; i < pm->alias_rows.n; i++) {
                const struct strvec *row = strmap_get(&pm->alias_rows, keys[i]);
                if (!strvec_contains(row, name))
                        continue;
                for (size_t k = 0; k < row->n; k++)
                        if (strcmp(row->v[k], name) != 0 && !strvec_contains(out, row->v[k]))
                                strvec_push(out, row->v[k]);
        }
        free(keys);
}

static void add_computed_site(struct pymodules *pm, const struct work *w,
                              const struct py_literal *lit)
{
        cleanup_free char *pkg = package_of(w);
        char *prefix = NULL;
        if (lit->base == PY_PREFIX_MODULE)
                prefix = xasprintf("%s%s", w->name, lit->value);
        else if (lit->base == PY_PREFIX_PACKAGE)
                prefix = pkg ? xasprintf("%s%s", pkg, lit->value) : NULL;
        else if (lit->value[0] == '.') { /* relative: one dot per level, as for `from . import` */
                size_t dots = strspn(lit->value, ".");
                cleanup_free char *base = absolute_name(w->name, w->is_package, (int)dots, "");
                prefix = base ? xasprintf("%s.%s", base, lit->value + dots) : NULL;
        } else if (lit->value[0])
                prefix = xstrdup(lit->value);
        if (prefix && strcmp(w->name, "__main__") == 0 && lit->base != PY_PREFIX_ABSOLUTE) {
                free(prefix); /* __name__ of the program: not a package */
                prefix = NULL;
        }
        pm->sites = xrealloc(pm->sites, (pm->n_sites + 1) * sizeof(*pm->sites));
        struct computed_site *cs = &pm->sites[pm->n_sites++];
        memset(cs, 0, sizeof(*cs));
        cs->pool = pool_top(w);
        cs->prefix = prefix;
        cs->caller_pkg = pkg ? xstrdup(pkg) : NULL;
        cs->from = xstrdup(w->path);
        cs->line = lit->line;
        cs->codec = lit->kind == PY_LIT_CODEC_COMPUTED;
        cs->find_library = lit->kind == PY_LIT_FIND_LIBRARY_COMPUTED;
        cs->library = w->policy != POLICY_APP;
}

static char *codec_module(struct pymodules *pm, const char *name);

static int try_candidate(struct pymodules *pm, struct computed_site *cs, const char *cand,
                         const char *literal, const char *literal_at, struct distill_error *err)
{
        if (strmap_has(&cs->tried, cand))
                return 0;
        strmap_put(&cs->tried, cand, NULL);
        if (cs->find_library) {
                if (!pm->cb.keep_library || strchr(cand, '.'))
                        return 0;
                cleanup_free char *detail = xasprintf(
                    "find_library of a computed name at line %u, narrowed by the literal '%s' "
                    "(%s)",
                    cs->line, literal, literal_at);
                int r = pm->cb.keep_library(pm->cb.ud, cand, true, cs->from, detail, err);
                if (r > 0)
                        cs->narrowed = true;
                return r < 0 ? r : 0;
        }
        if (cs->codec) {
                cleanup_free char *mod = codec_module(pm, cand);
                if (!mod)
                        return 0;
                cs->narrowed = true;
                cleanup_free char *detail = xasprintf(
                    "codec of a computed name at line %u, narrowed by the literal '%s' (%s)",
                    cs->line, literal, literal_at);
                pymodules_add_import(pm, mod, PLAN_R_PY_CODEC, cs->from, detail, false);
                return 0;
        }
        if (!module_resolvable(pm, cand, NULL))
                return 0;
        cs->narrowed = true;
        cleanup_free char *detail =
            xasprintf("computed import at line %u, narrowed by the literal '%s' (%s)", cs->line,
                      literal, literal_at);
        pymodules_add_import(pm, cand, PLAN_R_PY_COMPUTED, cs->from, detail, false);
        return 0;
}

static int narrow_site_by_pool(struct pymodules *pm, struct computed_site *cs, const char *pool_key,
                               struct distill_error *err);
static void expand_site(struct pymodules *pm, struct computed_site *cs);

/* A dotted literal of a package that names one of its own extension modules
 * ("Cryptodome.Cipher._raw_ecb"): loaders that dlopen the file by a computed path
 * (pycryptodome's load_pycryptodome_raw_lib, cffi's) are given the module's name. */
static void keep_named_extensions(struct pymodules *pm)
{
        const char **pools = strmap_sorted_keys(&pm->pools);
        for (size_t p = 0; p < pm->pools.n; p++) {
                const char *top = pools[p];
                const struct strmap *pool = strmap_get(&pm->pools, top);
                size_t tl = strlen(top);
                if (!tl)
                        continue;
                const char **keys = strmap_sorted_keys(pool);
                for (size_t k = 0; k < pool->n; k++) {
                        const char *lit = keys[k];
                        enum mod_kind kind = MOD_NOT_FOUND;
                        if (strncmp(lit, top, tl) != 0 || lit[tl] != '.' ||
                            strmap_has(&pm->ext_named, lit))
                                continue;
                        strmap_put(&pm->ext_named, lit, NULL);
                        if (strmap_has(&pm->modules, lit) ||
                            !module_resolvable_kind(pm, lit, NULL, &kind) || kind != MOD_EXTENSION)
                                continue;
                        const char *at = strmap_get(pool, lit);
                        cleanup_free char *file = xstrndup(at, (size_t)(strrchr(at, ':') - at));
                        cleanup_free char *detail =
                            xasprintf("the extension module the literal '%s' names (%s)", lit, at);
                        pymodules_add_import(pm, lit, PLAN_R_PY_COMPUTED, file, detail, false);
                }
                free(keys);
        }
        free(pools);
}

/* Each site against the literals of its own package's pool, then, for library code, the
 * app's; a prefix that no literal completes brings the whole package it names. */
static int narrow_computed_imports(struct pymodules *pm, struct distill_error *err)
{
        keep_named_extensions(pm);
        for (size_t i = 0; i < pm->n_sites; i++) {
                struct computed_site *cs = &pm->sites[i];
                for (int own = 1; own >= 0; own--) {
                        /* the site's own package first, then the app that configures it */
                        if (!own && !cs->library)
                                break;
                        int r = narrow_site_by_pool(pm, cs, own ? cs->pool : "", err);
                        if (r < 0)
                                return r;
                }
                expand_site(pm, cs);
        }
        return 0;
}

/* The names one literal may complete a site to: the prefix and the literal; a codec or library
 * name as it is; without a prefix the literal itself (when it is dotted or in the caller's own
 * package: single words such as "trace" or "venv" fill tables of names that are not modules),
 * the literal under the caller's package, a relative literal under the top package
 * ('._path.local' in a vendored helper). */
static int try_literal(struct pymodules *pm, struct computed_site *cs, const char *lit,
                       const char *at, struct distill_error *err)
{
        if (cs->codec || cs->find_library)
                return try_candidate(pm, cs, lit, lit, at, err);
        if (cs->prefix) {
                if (lit[0] == '.')
                        return 0;
                cleanup_free char *cand = xasprintf("%s%s", cs->prefix, lit);
                return try_candidate(pm, cs, cand, lit, at, err);
        }
        size_t dots = strspn(lit, ".");
        size_t top = strlen(cs->pool);
        bool own =
            !top || (strncmp(lit, cs->pool, top) == 0 && (lit[top] == '.' || lit[top] == '\0'));
        int r = 0;
        if (dots == 0 && (own || strchr(lit, '.')))
                r = try_candidate(pm, cs, lit, lit, at, err);
        if (r >= 0 && cs->caller_pkg) {
                cleanup_free char *cand = xasprintf("%s.%s", cs->caller_pkg, lit + dots);
                r = try_candidate(pm, cs, cand, lit, at, err);
        }
        if (r >= 0 && dots && top) {
                cleanup_free char *cand = xasprintf("%s%s", cs->pool, lit);
                r = try_candidate(pm, cs, cand, lit, at, err);
        }
        return r;
}

/* A site with no literal prefix may join a package prefix written elsewhere in its own package
 * (docutils' `packages = ('docutils.parsers.rst.languages.', '')` of a subclass, then
 * `import_module(package + name)` in the base class) to a name of the pool: each submodule of
 * such a package whose name the pool holds. */
static int narrow_site_by_prefix_literals(struct pymodules *pm, struct computed_site *cs,
                                          const struct strmap *pool, struct distill_error *err)
{
        const struct strvec *prefixes = strmap_get(&pm->pool_prefixes, cs->pool);
        const struct strmap *own = strmap_get(&pm->pools, cs->pool);
        if (!prefixes || cs->prefix || cs->codec || cs->find_library)
                return 0;
        int r = 0;
        for (size_t k = 0; k < prefixes->n && r >= 0; k++) {
                const char *prefix = prefixes->v[k];
                cleanup_free char *pkg = xstrndup(prefix, strlen(prefix) - 1);
                struct strvec subs = STRVEC_INIT;
                list_submodules(pm, pkg, false, 0, &subs);
                for (size_t i = 0; i < subs.n && r >= 0; i++) {
                        const char *leaf = subs.v[i] + strlen(prefix);
                        const char *at = strmap_get(pool, leaf);
                        if (!at)
                                continue;
                        /* the reason names both literals: "'pkg.sub.' (file:line) + 'name'" */
                        cleanup_free char *both = xasprintf(
                            "%s' (%s) + '%s", prefix, (const char *)strmap_get(own, prefix), leaf);
                        r = try_candidate(pm, cs, subs.v[i], both, at, err);
                }
                strvec_clear(&subs);
        }
        return r;
}

static int narrow_site_by_pool(struct pymodules *pm, struct computed_site *cs, const char *pool_key,
                               struct distill_error *err)
{
        struct strmap *pool = strmap_get(&pm->pools, pool_key);
        if (!pool)
                return 0;
        const char **keys = strmap_sorted_keys(pool);
        int r = 0;
        for (size_t k = 0; k < pool->n && r >= 0; k++)
                r = try_literal(pm, cs, keys[k], strmap_get(pool, keys[k]), err);
        free(keys);
        return r < 0 ? r : narrow_site_by_prefix_literals(pm, cs, pool, err);
}

/* A prefix that no literal completed brings every submodule of the package it names (those
 * whose name starts with the prefix's last, partial component). Once per site. */
static void expand_site(struct pymodules *pm, struct computed_site *cs)
{
        if (!cs->prefix || cs->narrowed || cs->expanded)
                return;
        cs->expanded = true;
        const char *last = strrchr(cs->prefix, '.');
        if (!last)
                return;
        cleanup_free char *pkg = xstrndup(cs->prefix, (size_t)(last - cs->prefix));
        const char *partial = last + 1;
        struct strvec subs = STRVEC_INIT;
        list_submodules(pm, pkg, false, 0, &subs);
        for (size_t k = 0; k < subs.n; k++) {
                const char *leaf = subs.v[k] + strlen(pkg) + 1;
                if (strncmp(leaf, partial, strlen(partial)) != 0)
                        continue;
                cs->narrowed = true;
                cleanup_free char *detail =
                    xasprintf("computed import at line %u: every submodule of %s named %s…",
                              cs->line, pkg, cs->prefix);
                pymodules_add_import(pm, subs.v[k], PLAN_R_PY_COMPUTED, cs->from, detail, false);
        }
        strvec_clear(&subs);
}

void pymodules_finish(struct pymodules *pm)
{
        for (size_t i = 0; i < pm->optional_skipped.n; i++) {
                const char *entry = pm->optional_skipped.v[i];
                const char *tab = strchr(entry, '\t');
                cleanup_free char *top = xstrndup(entry, (size_t)(tab - entry));
                const struct module_state *st = strmap_get(&pm->modules, top);
                if (!st || st->kind == MOD_NOT_FOUND)
                        pm->cb.warn(pm->cb.ud, xstrdup(tab + 1));
        }
        for (size_t i = 0; i < pm->n_sites; i++) {
                const struct computed_site *cs = &pm->sites[i];
                if (cs->narrowed)
                        continue;
                if (cs->codec)
                        continue; /* str.encode(self.encoding) is everywhere: not a warning */
                /* the standard library's computed imports (pickle.find_class, the unittest
                 * loader) import what their callers name: the callers' literals are followed */
                if (pm->probe->stdlib_dir && path_has_prefix(cs->from, pm->probe->stdlib_dir))
                        continue;
                pm->cb.warn(pm->cb.ud,
                            cs->prefix ? xasprintf("computed import %s… at %s:%u: no module of "
                                                   "that name in the image",
                                                   cs->prefix, cs->from, cs->line)
                                       : xasprintf("computed import at %s:%u: no literal of the "
                                                   "package names a module; list what it "
                                                   "imports in python.include-modules",
                                                   cs->from, cs->line));
        }
}

static int keep_listed_package(struct pymodules *pm, const struct work *w,
                               const struct py_literal *lit, struct distill_error *err)
{
        (void)err;
        cleanup_free char *pkg = package_of(w);
        if (!pkg || strcmp(w->name, "__main__") == 0)
                return 0;
        struct strvec subs = STRVEC_INIT;
        bool walk = strcmp(lit->value, "walk") == 0;
        list_submodules(pm, pkg, walk, 0, &subs);
        cleanup_free char *detail = xasprintf("its package directory is listed at line %u (%s)",
                                              lit->line, walk ? "walked" : "one level");
        for (size_t i = 0; i < subs.n; i++)
                pymodules_add_import(pm, subs.v[i], PLAN_R_PY_COMPUTED, w->path, detail, false);
        strvec_clear(&subs);
        return 0;
}

/* codecs.lookup's normalisation (Python/codecs.c, encodings.normalize_encoding): runs of
 * anything but ASCII letters, digits and '.' become one '_', and the name is lower-cased. */
static char *normalize_encoding(const char *name)
{
        struct strbuf sb = STRBUF_INIT;
        bool punct = false;
        for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
                if ((*p < 0x80 && isalnum(*p)) || *p == '.') {
                        if (punct && sb.len)
                                strbuf_addch(&sb, '_');
                        strbuf_addch(&sb, (char)tolower(*p));
                        punct = false;
                } else {
                        punct = true;
                }
        }
        return strbuf_detach(&sb);
}

/* The encodings.* module encodings.search_function imports for a codec name: the alias table
 * first (as written, then with '.' as '_'), then the normalised name itself. NULL when the
 * image has none. */
static char *codec_module(struct pymodules *pm, const char *name)
{
        cleanup_free char *norm = normalize_encoding(name);
        if (!*norm)
                return NULL;
        cleanup_free char *underscored = xstrdup(norm);
        for (char *p = underscored; *p; p++)
                if (*p == '.')
                        *p = '_';
        const char *alias = strmap_get(&pm->probe->codec_aliases, norm);
        if (!alias)
                alias = strmap_get(&pm->probe->codec_aliases, underscored);
        const char *names[] = {alias, norm};
        for (size_t i = 0; i < 2; i++) {
                if (!names[i] || strchr(names[i], '.'))
                        continue;
                char *mod = xasprintf("encodings.%s", names[i]);
                if (module_resolvable(pm, mod, NULL))
                        return mod;
                free(mod);
        }
        return NULL;
}

static int follow_codec(struct pymodules *pm, const struct work *w, const struct py_literal *lit,
                        struct distill_error *err)
{
        (void)err;
        cleanup_free char *mod = codec_module(pm, lit->value);
        if (!mod)
                return 0;
        cleanup_free char *detail = xasprintf("codec '%s' named at line %u", lit->value, lit->line);
        pymodules_add_import(pm, mod, PLAN_R_PY_CODEC, w->path, detail, false);
        return 0;
}

/* PEP 503 normalisation, as importlib.metadata compares distribution names. */
static char *normalize_dist_name(const char *name, size_t n)
{
        struct strbuf sb = STRBUF_INIT;
        bool sep = false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (c == '-' || c == '_' || c == '.') {
                        sep = true;
                        continue;
                }
                if (sep && sb.len)
                        strbuf_addch(&sb, '_');
                sep = false;
                strbuf_addch(&sb, (char)tolower((unsigned char)c));
        }
        return strbuf_detach(&sb);
}

static bool is_dist_dir_name(const char *name, size_t *name_len)
{
        size_t n = strlen(name);
        size_t suffix = (n > 10 && strcmp(name + n - 10, ".dist-info") == 0) ? 10
                        : (n > 9 && strcmp(name + n - 9, ".egg-info") == 0)  ? 9
                                                                             : 0;
        if (!suffix)
                return false;
        const char *dash = memchr(name, '-', n - suffix);
        *name_len = dash ? (size_t)(dash - name) : n - suffix;
        return true;
}

/* A distribution's metadata directory, whole: importlib.metadata finds the distribution by it. */
static int keep_dist_dir(struct pymodules *pm, const char *dir, enum plan_reason_kind kind,
                         const char *from, const char *detail, struct distill_error *err)
{
        if (strmap_has(&pm->dists_done, dir))
                return 0;
        strmap_put(&pm->dists_done, dir, NULL);
        struct subtree t = {.dir = dir};
        imagens_foreach(pm->ns, collect_under, &t);
        strvec_sort(&t.paths);
        int r = 0;
        for (size_t i = 0; i < t.paths.n && r >= 0; i++)
                r = pm->cb.keep(pm->cb.ud, t.paths.v[i], kind, from, detail, err);
        strvec_clear(&t.paths);
        return r < 0 ? r : 0;
}

static int keep_distribution(struct pymodules *pm, const struct work *w,
                             const struct py_literal *lit, struct distill_error *err)
{
        cleanup_free char *want = normalize_dist_name(lit->value, strlen(lit->value));
        cleanup_free char *detail =
            xasprintf("distribution '%s' asked for at line %u", lit->value, lit->line);
        for (size_t i = 0; i < pm->search.n; i++) {
                struct strvec names = STRVEC_INIT;
                if (imagens_list_dir(pm->ns, pm->search.v[i], &names) < 0)
                        continue;
                strvec_sort(&names);
                int r = 0;
                for (size_t j = 0; j < names.n && r >= 0; j++) {
                        size_t n;
                        if (!is_dist_dir_name(names.v[j], &n))
                                continue;
                        cleanup_free char *have = normalize_dist_name(names.v[j], n);
                        if (strcmp(have, want) != 0)
                                continue;
                        cleanup_free char *dir = path_join(pm->search.v[i], names.v[j]);
                        r = keep_dist_dir(pm, dir, PLAN_R_PY_METADATA, w->path, detail, err);
                }
                strvec_clear(&names);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* entry_points.txt as importlib.metadata reads it: [group] sections of `name = module:attr
 * [extras]` lines; '#' and ';' start comments. */
void pymodules_parse_entry_points(char *text,
                                  void (*fn)(void *ud, const char *group, const char *module),
                                  void *ud)
{
        cleanup_free char *group = NULL;
        for (char *line = text; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                char *p = line;
                while (*p == ' ' || *p == '\t')
                        p++;
                char *end = p + strlen(p);
                while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                        *--end = '\0';
                if (*p == '[' && end > p + 1 && end[-1] == ']') {
                        free(group);
                        group = xstrndup(p + 1, (size_t)(end - p - 2));
                } else if (group && *p && *p != '#' && *p != ';' && strchr(p, '=')) {
                        char *v = strchr(p, '=') + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        size_t mlen =
                            strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789_.");
                        if (mlen > 0) {
                                cleanup_free char *module = xstrndup(v, mlen);
                                fn(ud, group, module);
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
}

struct ep_sink {
        struct pymodules *pm;
        const char *dist_dir;
};

static void add_entry_point(void *ud, const char *group, const char *module)
{
        struct ep_sink *sink = ud;
        struct pymodules *pm = sink->pm;
        if (pm->n_eps >= PYMODULES_MAX_MODULES)
                return;
        pm->eps = xrealloc(pm->eps, (pm->n_eps + 1) * sizeof(*pm->eps));
        pm->eps[pm->n_eps++] =
            (struct entry_point){xstrdup(group), xstrdup(module), xstrdup(sink->dist_dir)};
}

static int read_entry_points(struct pymodules *pm, struct distill_error *err)
{
        if (pm->eps_read)
                return 0;
        pm->eps_read = true;
        for (size_t i = 0; i < pm->search.n; i++) {
                struct strvec names = STRVEC_INIT;
                if (imagens_list_dir(pm->ns, pm->search.v[i], &names) < 0)
                        continue;
                strvec_sort(&names);
                for (size_t j = 0; j < names.n; j++) {
                        size_t n;
                        if (!is_dist_dir_name(names.v[j], &n))
                                continue;
                        cleanup_free char *dir = path_join(pm->search.v[i], names.v[j]);
                        cleanup_free char *file = path_join(dir, "entry_points.txt");
                        if (!is_file(pm, file))
                                continue;
                        char *data = NULL;
                        size_t len = 0;
                        int r = pm->cb.read(pm->cb.ud, file, &data, &len, err);
                        if (r < 0) {
                                strvec_clear(&names);
                                return r;
                        }
                        struct ep_sink sink = {pm, dir};
                        pymodules_parse_entry_points(data, add_entry_point, &sink);
                        free(data);
                        strvec_push(&pm->ep_files, file);
                }
                strvec_clear(&names);
        }
        return 0;
}

static int follow_entry_group(struct pymodules *pm, const struct work *w,
                              const struct py_literal *lit, struct distill_error *err)
{
        if (strmap_has(&pm->groups_done, lit->value))
                return 0;
        strmap_put(&pm->groups_done, lit->value, NULL);
        int r = read_entry_points(pm, err);
        /* importlib.metadata reads every distribution's entry_points.txt to select a group */
        cleanup_free char *reads = xasprintf("read to select entry points of group '%s' at %s:%u",
                                             lit->value, w->path, lit->line);
        for (size_t i = 0; i < pm->ep_files.n && r >= 0; i++)
                r = pm->cb.keep(pm->cb.ud, pm->ep_files.v[i], PLAN_R_PY_ENTRY_POINT, w->path, reads,
                                err);
        for (size_t i = 0; i < pm->n_eps && r >= 0; i++) {
                const struct entry_point *ep = &pm->eps[i];
                if (strcmp(ep->group, lit->value) != 0)
                        continue;
                cleanup_free char *detail =
                    xasprintf("entry point of group '%s' (%s/entry_points.txt), asked for at %s:%u",
                              ep->group, ep->dist_dir, w->path, lit->line);
                pymodules_add_import(pm, ep->module, PLAN_R_PY_ENTRY_POINT, w->path, detail, false);
                r = keep_dist_dir(pm, ep->dist_dir, PLAN_R_PY_ENTRY_POINT, w->path, detail, err);
        }
        return r;
}

struct catalogue_walk {
        const char *domain;
        struct strvec paths;
};

static void collect_catalogues(const struct imagens_node *node, void *ud)
{
        struct catalogue_walk *w = ud;
        cleanup_free char *mo = xasprintf("/LC_MESSAGES/%s.mo", w->domain);
        size_t n = strlen(node->path), k = strlen(mo);
        if (node->type != IMAGENS_DIR && n > k && strcmp(node->path + n - k, mo) == 0 &&
            path_has_prefix(node->path, "/usr/share/locale"))
                strvec_push(&w->paths, node->path);
}

static int keep_catalogues(struct pymodules *pm, const struct work *w, const struct py_literal *lit,
                           struct distill_error *err)
{
        cleanup_free char *detail =
            xasprintf("gettext domain '%s' named at line %u", lit->value, lit->line);
        struct catalogue_walk cw = {.domain = lit->value};
        if (pm->opt.all_locales) {
                imagens_foreach(pm->ns, collect_catalogues, &cw);
        } else {
                struct strvec langs = STRVEC_INIT;
                for (size_t i = 0; i < pm->opt.locales.n; i++)
                        pylocale_expand_gettext(pm->opt.locales.v[i], &langs);
                /* languages=['de'] spelled in the calling package or the app */
                cleanup_free char *top = pool_top(w);
                const char *pool_keys[] = {top, ""};
                for (size_t p = 0; p < 2; p++) {
                        const struct strmap *pool = strmap_get(&pm->pools, pool_keys[p]);
                        const char **keys = pool ? strmap_sorted_keys(pool) : NULL;
                        for (size_t k = 0; pool && k < pool->n; k++)
                                if (strlen(keys[k]) <= 16 && !strchr(keys[k], '.') &&
                                    !strvec_contains(&langs, keys[k]))
                                        strvec_push(&langs, keys[k]);
                        free(keys);
                }
                for (size_t i = 0; i < langs.n; i++)
                        strvec_push_nodup(&cw.paths,
                                          xasprintf("/usr/share/locale/%s/LC_MESSAGES/%s.mo",
                                                    langs.v[i], lit->value));
                strvec_clear(&langs);
        }
        strvec_sort(&cw.paths);
        int r = 0;
        for (size_t i = 0; i < cw.paths.n && r >= 0; i++)
                if (is_file(pm, cw.paths.v[i]))
                        r = pm->cb.keep(pm->cb.ud, cw.paths.v[i], PLAN_R_PY_DATA_PATH, w->path,
                                        detail, err);
        strvec_clear(&cw.paths);
        return r < 0 ? r : 0;
}

static int follow_literal(struct pymodules *pm, const struct work *w, const struct py_literal *lit,
                          struct distill_error *err)
{
        cleanup_free char *detail = NULL;
        int r;
        switch (lit->kind) {
        case PY_LIT_NAME:
                return 0;
        case PY_LIT_CODEC:
                return follow_codec(pm, w, lit, err);
        case PY_LIT_ENTRY_GROUP:
                return follow_entry_group(pm, w, lit, err);
        case PY_LIT_DISTRIBUTION:
                return keep_distribution(pm, w, lit, err);
        case PY_LIT_LIBRARY:
        case PY_LIT_FIND_LIBRARY:
                if (!pm->cb.keep_library)
                        return 0;
                detail = xasprintf("%s('%s') at line %u",
                                   lit->kind == PY_LIT_LIBRARY ? "ctypes loads" : "find_library",
                                   lit->value, lit->line);
                r = pm->cb.keep_library(pm->cb.ud, lit->value, lit->kind == PY_LIT_FIND_LIBRARY,
                                        w->path, detail, err);
                /* the standard library's own (ctypes.util's tests) name other systems' */
                if (r == 0 &&
                    !(pm->probe->stdlib_dir && path_has_prefix(w->path, pm->probe->stdlib_dir)))
                        pm->cb.warn(pm->cb.ud, xasprintf("%s:%u: ctypes library '%s' is in no "
                                                         "candidate package",
                                                         w->path, lit->line, lit->value));
                return r < 0 ? r : 0;
        case PY_LIT_GETTEXT:
                return keep_catalogues(pm, w, lit, err);
        case PY_LIT_COMPUTED:
                /* a meta-path finder's own imports serve the names it maps, which
                 * import_through_alias follows import by import */
                if (!in_any_module(&pm->ignored_computed, w->name) &&
                    !strvec_contains(&pm->alias_importers, w->name))
                        add_computed_site(pm, w, lit);
                return 0;
        case PY_LIT_FIND_LIBRARY_COMPUTED:
                add_computed_site(pm, w, lit);
                return 0;
        case PY_LIT_CODEC_COMPUTED:
                /* the standard library encodes with whatever codec its caller names: the
                 * caller's literals are what to follow */
                if (!pm->probe->stdlib_dir || !path_has_prefix(w->path, pm->probe->stdlib_dir))
                        add_computed_site(pm, w, lit);
                return 0;
        case PY_LIT_LIST_PACKAGE:
                return keep_listed_package(pm, w, lit, err);
        case PY_LIT_PATH:
                if (!pm->cb.keep_data_path)
                        return 0;
                detail = xasprintf("path '%s' named at line %u", lit->value, lit->line);
                r = pm->cb.keep_data_path(pm->cb.ud, lit->value, w->path, detail, err);
                return r < 0 ? r : 0;
        }
        return 0;
}

/* Modules an extension module's C code imports by name (PyImport_ImportModule("numbers"),
 * Cython's __Pyx_Import, pybind11's module_::import, CFFI's _cffi_backend): the dotted names
 * among its read-only strings that are modules of the image. Words that are also stdlib module
 * names but are never imported from C are skipped: Cython modules hold every identifier of
 * their source as a string. */
static const char *const c_import_skip[] = {
    "__main__",   "antigravity", "code",       "config",   "distutils", "doctest",
    "ensurepip",  "idlelib",     "lib2to3",    "main",     "pdb",       "pydoc",
    "pydoc_data", "setup",       "site",       "test",     "tests",     "this",
    "tkinter",    "turtle",      "turtledemo", "unittest", "venv",
};

static bool skipped_c_import(const char *name)
{
        size_t top = strcspn(name, ".");
        for (size_t i = 0; i < sizeof(c_import_skip) / sizeof(*c_import_skip); i++)
                if (strlen(c_import_skip[i]) == top && !strncmp(name, c_import_skip[i], top))
                        return true;
        return false;
}

static int follow_extension_strings(struct pymodules *pm, const char *name, const char *file,
                                    struct distill_error *err)
{
        if (!pm->cb.elf_strings)
                return 0;
        struct strvec strings = STRVEC_INIT;
        int r = pm->cb.elf_strings(pm->cb.ud, file, &strings, err);
        if (r < 0)
                return r;
        cleanup_free char *detail = xasprintf("named in %s's strings", path_basename(file));
        const char *dot = strrchr(name, '.');
        cleanup_free char *pkg = dot ? xstrndup(name, (size_t)(dot - name)) : NULL;
        for (size_t i = 0; i < strings.n; i++) {
                const char *s = strings.v[i];
                /* C code calls Python functions by the names it holds: Cython's and the
                 * C API's attribute lookups, _pickle's find_class and persistent_id */
                if (py_module_name_valid(s) && !strchr(s, '.'))
                        pyreach_use(pm->reach, s);
                if (strlen(s) < 2 || !py_module_name_valid(s) || skipped_c_import(s))
                        continue;
                bool private_or_dotted = strchr(s, '.') || (s[0] == '_' && s[1] != '_');
                /* `from pkg import _sibling` in Cython: the name relative to its own package */
                cleanup_free char *sibling =
                    pkg && private_or_dotted ? xasprintf("%s.%s", pkg, s) : NULL;
                const char *cands[] = {s, sibling};
                for (size_t k = 0; k < 2; k++) {
                        const char *cand = cands[k];
                        enum mod_kind kind = MOD_NOT_FOUND;
                        if (!cand || strcmp(cand, name) == 0 || strmap_has(&pm->modules, cand) ||
                            !module_resolvable_kind(pm, cand, NULL, &kind))
                                continue;
                        /* A single word that names an extension module is most often a method
                         * name ("readline" in mmap); C code imports C modules by dotted or
                         * private names ("_cffi_backend", "_strptime"). */
                        if (kind == MOD_EXTENSION && !private_or_dotted)
                                continue;
                        pymodules_add_import(pm, cand, PLAN_R_PY_C_IMPORT, file, detail, false);
                }
        }
        strvec_clear(&strings);
        /* a stub shipped beside it (X.pyi, X.py) says what the module imports */
        cleanup_free char *dir = path_dirname(file);
        const char *leaf = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
        for (int k = 0; k < 2; k++) {
                cleanup_free char *stub = xasprintf("%s/%s.%s", dir, leaf, k ? "py" : "pyi");
                if (is_file(pm, stub))
                        queue_scan(pm, stub, name, false, POLICY_FROZEN);
        }
        return 0;
}

/* How much of a scanned file's code runs: all of the app's, the top level of frozen modules'
 * sources (their functions' imports are the interpreter's business), and for library code
 * what python.imports says. */
static enum pyreach_mode reach_mode(const struct pymodules *pm, enum scan_policy policy)
{
        switch (policy) {
        case POLICY_APP:
                return PYREACH_ALL;
        case POLICY_FROZEN:
                return PYREACH_TOP;
        case POLICY_LIBRARY:
                break;
        }
        switch (pm->opt.depth) {
        case PYMODULES_DEEP:
                return PYREACH_REACHABLE;
        case PYMODULES_ALL:
                return PYREACH_ALL;
        case PYMODULES_SHALLOW:
                break;
        }
        return PYREACH_TOP;
}

static int scan_buffer(struct pymodules *pm, const struct work *w, const char *data, size_t len,
                       struct distill_error *err)
{
        struct py_scan scan = {0};
        int r = pyimports_scan(data, len, w->path, py_grammar_of(pm->probe->version), &scan, err);

        if (r < 0) {
                /* Python would fail on it too; for library code only if it is imported */
                if (w->policy == POLICY_APP)
                        return r;
                pm->cb.warn(pm->cb.ud, xasprintf("not scanned: %s", err->msg));
                err->code = 0;
                return 0;
        }
        for (size_t i = 0; i < scan.n_attrs; i++)
                if (!strcmp(scan.attrs[i].qualified, "sys.meta_path") &&
                    !strvec_contains(&pm->alias_importers, w->name))
                        strvec_push(&pm->alias_importers, w->name);
        /* an importer's table rows, wherever they are written */
        for (size_t i = 0; i < scan.n_literals; i++) {
                const struct py_literal *lit = &scan.literals[i];
                if (lit->kind == PY_LIT_NAME && strvec_contains(&pm->alias_importers, w->name))
                        alias_row_add(pm, w, lit);
        }
        if (pm->n_reach_mods == pm->alloc_reach_mods) {
                pm->alloc_reach_mods = pm->alloc_reach_mods ? 2 * pm->alloc_reach_mods : 64;
                pm->reach_mods =
                    xrealloc(pm->reach_mods, pm->alloc_reach_mods * sizeof(*pm->reach_mods));
                pm->try_failed =
                    xrealloc(pm->try_failed, pm->alloc_reach_mods * sizeof(*pm->try_failed));
        }
        size_t n_tries = scan.n_tries;
        size_t h = pyreach_add_module(pm->reach, w->name, &scan, reach_mode(pm, w->policy));
        pm->reach_mods[h] = (struct work){.is_scan = true,
                                          .name = xstrdup(w->name),
                                          .path = xstrdup(w->path),
                                          .policy = w->policy,
                                          .is_package = w->is_package};
        pm->try_failed[h] = xcalloc(n_tries + 1, sizeof(**pm->try_failed));
        pm->n_reach_mods = h + 1;
        return 0;
}

/* The package that ships a top-level module outside the standard library, or NULL (the
 * interpreter's own, builtin, frozen, namespace package, not found, app code). */
static const char *module_owner(struct pymodules *pm, const char *top)
{
        struct module_state st = {0};
        if (py_probe_is_builtin(pm->probe, top) || py_probe_is_frozen(pm->probe, top))
                return NULL;
        find_in_dirs(pm, &pm->search, top, &st);
        const struct imagens_node *node = st.file ? lookup(pm, st.file) : NULL;
        if (node && pm->probe->stdlib_dir && path_has_prefix(node->path, pm->probe->stdlib_dir))
                node = NULL;
        free(st.file);
        strvec_clear(&st.path);
        return node ? node->owner : NULL;
}

/* An optional import of library code, in deep mode: inside a def, under `except ImportError`,
 * of a module another package ships (not the standard library) that the manifest does not
 * list. The library runs without
 * it (that is what the handler is for), and nothing else the image needs has asked for that
 * package (pytz's fallback to pkg_resources when a zone file is missing). Reported. The
 * standard library's own and python.imports: all follow every one. */
static bool optional_elsewhere(struct pymodules *pm, const struct work *w,
                               const struct py_import *imp)
{
        if (pm->opt.depth != PYMODULES_DEEP || w->policy != POLICY_LIBRARY || !imp->guarded ||
            imp->depth != PY_DEPTH_FUNCTION ||
            (pm->probe->stdlib_dir && path_has_prefix(w->path, pm->probe->stdlib_dir)))
                return false;
        cleanup_free char *abs = absolute_name(w->name, w->is_package, imp->level, imp->module);
        if (!abs || !*abs)
                return false;
        cleanup_free char *top = xstrndup(abs, strcspn(abs, "."));
        const struct imagens_node *self = lookup(pm, w->path);
        const char *owner = module_owner(pm, top);
        if (!owner || !self || !self->owner || strcmp(owner, self->owner) == 0 ||
            strvec_contains(&pm->opt.requested, owner))
                return false;
        /* reported by pymodules_finish, unless something else keeps the module anyway */
        strvec_push_nodup(&pm->optional_skipped,
                          xasprintf("%s\t%s:%u: optional import %s not followed: %s is not in "
                                    "packages (list it to keep it)",
                                    top, w->path, imp->line, abs, owner));
        return true;
}

/* The imports, attributes and literals written in one scope that became reachable. A fallback
 * in `except ImportError:` runs only when an import of its try failed; code under
 * `if __name__ == "__main__":` runs only in the program's own script. */
static int follow_scope(struct pymodules *pm, size_t h, int scope, struct distill_error *err)
{
        /* a copy: following an import may scan more files and move pm->reach_mods (the
         * strings it points to stay where they are) */
        const struct work copy = pm->reach_mods[h];
        const struct work *w = &copy;
        const struct py_scan *scan = pyreach_scan(pm->reach, h);
        bool *try_failed = pm->try_failed[h];
        const size_t *idx;
        size_t n;
        int r = 0;

        pyreach_items(pm->reach, h, scope, PYREACH_IMPORTS, &idx, &n);
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct py_import *imp = &scan->imports[idx[i]];
                if (imp->main_block && strcmp(w->name, "__main__") != 0)
                        continue;
                if (ignored_in_functions(pm, w, imp) || imp->if_loaded)
                        continue;
                if (imp->fallback_for > 0 && (size_t)imp->fallback_for <= scan->n_tries &&
                    !try_failed[imp->fallback_for - 1])
                        continue;
                /* an optional import left out fails in the image: its fallbacks run */
                r = optional_elsewhere(pm, w, imp) ? 0 : follow_import(pm, w, imp, err);
                /* an import that fails, or may (zmq's `from . import libzmq`, which Debian's
                 * package does not have), brings its fallbacks */
                if (r == 0 || r == 2)
                        for (int t = imp->try_id; t > 0 && (size_t)t <= scan->n_tries;
                             t = scan->try_parent[t - 1])
                                try_failed[t - 1] = true;
                if (r > 0 && imp->kind == PY_FROM) {
                        cleanup_free char *abs =
                            absolute_name(w->name, w->is_package, imp->level, imp->module);
                        for (size_t k = 0; abs && k < imp->names.n; k++)
                                pyreach_from(pm->reach, abs, imp->names.v[k]);
                }
        }
        pyreach_items(pm->reach, h, scope, PYREACH_ATTRS, &idx, &n);
        for (size_t i = 0; i < n && r >= 0; i++)
                strmap_put(&pm->attrs, scan->attrs[idx[i]].qualified, NULL);
        /* names join the package's pool as the code that holds them becomes reachable: a
         * table in code nothing reaches narrows no computed import (narrowing runs again
         * each time the queue empties) */
        pyreach_items(pm->reach, h, scope, PYREACH_LITERALS, &idx, &n);
        for (size_t i = 0; i < n; i++)
                if (scan->literals[idx[i]].kind == PY_LIT_NAME)
                        pool_add(pm, w, &scan->literals[idx[i]]);
        /* after the scope's names: `translation("dom", languages=["de"])` */
        for (size_t i = 0; i < n && r >= 0; i++)
                if (scan->literals[idx[i]].kind != PY_LIT_NAME)
                        r = follow_literal(pm, w, &scan->literals[idx[i]], err);
        return r < 0 ? r : 0;
}

/* The names the interpreter's C code looks up (threading._shutdown, warnings._showwarnmsg,
 * copyreg.__newobj__): read once, from its read-only strings. */
static int use_interpreter_names(struct pymodules *pm, struct distill_error *err)
{
        if (pm->interpreter_read || !pm->opt.interpreter || !pm->cb.elf_strings)
                return 0;
        pm->interpreter_read = true;
        struct strvec strings = STRVEC_INIT;
        int r = pm->cb.elf_strings(pm->cb.ud, pm->opt.interpreter, &strings, err);
        for (size_t i = 0; r >= 0 && i < strings.n; i++)
                if (py_module_name_valid(strings.v[i]) && !strchr(strings.v[i], '.'))
                        pyreach_use(pm->reach, strings.v[i]);
        strvec_clear(&strings);
        return r < 0 ? r : 0;
}

static int follow_reachable(struct pymodules *pm, struct distill_error *err)
{
        size_t h;
        int scope, r = use_interpreter_names(pm, err);
        while (r >= 0 && pyreach_next(pm->reach, &h, &scope))
                r = follow_scope(pm, h, scope, err);
        return r;
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
        /* the interpreter looks at every sys.path directory at start-up: keep those there are */
        for (size_t i = 0; i < pm->search.n; i++) {
                if (!is_dir(pm, pm->search.v[i]))
                        continue;
                int r =
                    pm->cb.keep(pm->cb.ud, pm->search.v[i], PLAN_R_SEED, pm->search.v[i],
                                "a sys.path directory (the interpreter lists it at start-up)", err);
                if (r < 0)
                        return r;
        }
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
        for (;;) {
                r = follow_reachable(pm, err);
                if (r < 0)
                        return r;
                if (pm->q_head == pm->q_len) {
                        /* literals seen so far may narrow computed imports (new work) and
                         * name the locales whose data the image needs */
                        r = narrow_computed_imports(pm, err);
                        if (r >= 0)
                                r = keep_locale_data(pm, err);
                        if (r >= 0)
                                r = follow_reachable(pm, err);
                        if (r < 0)
                                return r;
                        if (pm->q_head == pm->q_len)
                                break;
                }
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
                        /* a traced run reports every import it tried, found or not */
                        else if (r == 0 && w.kind != PLAN_R_OBSERVED)
                                pm->cb.warn(pm->cb.ud,
                                            xasprintf("%s: module %s not found", w.from, w.name));
                }
                work_release(&w);
                if (r < 0)
                        return r;
        }
        return pm->changed ? 1 : 0;
}
