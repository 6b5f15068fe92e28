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
};

struct pymodules_options {
        bool deep;              /* python.imports: deep (default) or shallow */
        struct strvec app_dirs; /* image dirs holding app code (app, site-packages) */
        char *main_dir;         /* sys.path[0]: the script's directory, or the workdir for -m */
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

bool pymodules_imported(const struct pymodules *pm, const char *module);
bool pymodules_attr_used(const struct pymodules *pm, const char *qualified);

#endif
