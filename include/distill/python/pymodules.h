/* Module resolution and the Python import closure (docs/architecture.md, "Python import closure").
 * Finds modules as CPython's import system would in the image (builtin, frozen, then sys.path:
 * packages, extension modules, source modules, namespace packages), follows imports by the policy
 * of the code they are in — app code: every import; library code: module level always, function
 * level in `deep`; frozen modules: module level only — and keeps files through callbacks into
 * select, which owns the plan. */
#ifndef DISTILL_PYMODULES_H
#define DISTILL_PYMODULES_H

#include <stdbool.h>
#include "distill/core/imagens.h"
#include "distill/core/plan.h"
#include "distill/python/pyprobe.h"

struct pymodules_cb {
        void *ud;
        /* Keep an image path (and the links on the way) with a reason: 1 kept, 0 not there. */
        int (*keep)(void *ud, const char *path, enum plan_reason_kind kind, const char *from,
                    const char *detail, struct distill_error *err);
        /* The bytes of a namespace file, kept or not (caller frees *data). */
        int (*read)(void *ud, const char *path, char **data, size_t *len,
                    struct distill_error *err);
        /* A warning for the build summary and plan.json (takes ownership of msg). */
        void (*warn)(void *ud, char *msg);
        /* The strings of an ELF object's read-only data (for an extension module: the names
         * its C code imports). Nothing for a file that is not ELF. */
        int (*elf_strings)(void *ud, const char *path, struct strvec *out,
                           struct distill_error *err);
        /* Keep a shared library as the program's dlopen(name) finds it (a path, or a file name
         * searched in the loader's directories), or, with find_library, the library
         * ctypes.util.find_library(name) names ("ssl" → libssl.so.3). 1 kept, 0 not found. */
        int (*keep_library)(void *ud, const char *name, bool find_library, const char *from,
                            const char *detail, struct distill_error *err);
        /* Keep what an absolute path literal names: a file, or a directory with its contents
         * when select's rules allow it (one package's own directory, files.exclude). 1 kept, 0
         * not. */
        int (*keep_data_path)(void *ud, const char *path, const char *from, const char *detail,
                              struct distill_error *err);
};

enum pymodules_depth {
        PYMODULES_DEEP,    /* imports in defs reachable code names (python.imports: deep) */
        PYMODULES_ALL,     /* imports in every def (python.imports: all) */
        PYMODULES_SHALLOW, /* module-level imports of library code only */
};

struct pymodules_options {
        enum pymodules_depth depth;
        char *interpreter;       /* image path of the interpreter: the names its C code looks
                                  * up reach Python defs */
        struct strvec app_dirs;  /* image dirs holding app code (app, site-packages) */
        char *main_dir;          /* sys.path[0]: the script's directory, or the workdir for -m */
        struct strvec locales;   /* the image's locale names (LANGUAGE, LC_ALL, LC_MESSAGES,
                                  * LANG): whose gettext catalogues a literal domain keeps */
        bool all_locales;        /* python.locales: all */
        struct strvec requested; /* the manifest's packages: a library's optional import
                                  * (inside a def, under except ImportError) of another
                                  * package that is not one of these is not followed */
};

struct pymodules;

struct pymodules *pymodules_new(const struct imagens *ns, const struct py_probe *probe,
                                const struct pymodules_options *opt, const struct pymodules_cb *cb);
void pymodules_free(struct pymodules *pm);

/* Queue a script to scan as app code (the entrypoint: module name __main__). */
void pymodules_add_script(struct pymodules *pm, const char *path, const char *module, bool app);
/* Queue an import of `module` (absolute dotted name) requested by `from` (a path or a rule name)
 * with `detail` as the reason; unresolved ones are errors when `required`, warnings otherwise. */
void pymodules_add_import(struct pymodules *pm, const char *module, enum plan_reason_kind kind,
                          const char *from, const char *detail, bool required);
/* Queue the .pth files of the site directories (site executes their import lines). */
int pymodules_add_pth_files(struct pymodules *pm, struct distill_error *err);

/* Process the queue to its end. Returns 1 when anything new was kept or imported, 0 when not,
 * negative on error (DISTILL_ERESOLVE for an unguarded unresolved import in app code). */
int pymodules_drain(struct pymodules *pm, struct distill_error *err);

/* Imports of `module` (and its submodules) inside functions of library code are not followed:
 * development tools (doctest, pdb) that library functions import for self-tests or help(). */
void pymodules_ignore_in_functions(struct pymodules *pm, const char *module);
/* Computed imports made by `module` (and its submodules) are not narrowed: machinery whose
 * names come from its callers, followed by another mechanism (the codec registry). */
void pymodules_ignore_computed_in(struct pymodules *pm, const char *module);
/* python.exclude-modules: modules matching `glob` are never kept, so neither is what only
 * they import; each import of one is reported once as a warning. */
void pymodules_exclude(struct pymodules *pm, const char *glob);

/* After the fixpoint: warnings for what could not be narrowed (computed imports with no
 * literal that names a module). */
void pymodules_finish(struct pymodules *pm);

/* entry_points.txt as importlib.metadata reads it: fn(ud, group, module) for each
 * `name = module[:attr] [extras]` line under a [group] header. `text` (NUL-terminated) is
 * modified. */
void pymodules_parse_entry_points(char *text,
                                  void (*fn)(void *ud, const char *group, const char *module),
                                  void *ud);

bool pymodules_imported(const struct pymodules *pm, const char *module);
/* The defs of the scanned code, and how many of them the program can reach. */
void pymodules_def_counts(const struct pymodules *pm, size_t *defs, size_t *reached);
bool pymodules_attr_used(const struct pymodules *pm, const char *qualified);

#endif
