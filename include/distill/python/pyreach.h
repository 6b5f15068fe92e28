/* Which code of the kept Python modules a program can reach (docs/architecture.md, "Python
 * import closure"): a module's own statements and class bodies run when it is imported; a def
 * runs only when something calls it, and to call it code must name it; a method, only when
 * its class is used too (named: instantiated, subclassed, raised). So a def is reachable
 * when its enclosing code is and its name is used by reachable code: read as a bare name in its
 * own module, as an attribute anywhere (`module.func`, `self.method`), given as a string
 * (getattr), held by C code (the interpreter's and extension modules' strings), imported by
 * `from module import func`; or when its name is a dunder (called by the interpreter on a
 * module or on a used class's instances), a decorator may register it, or its module was
 * loaded by name (a plugin: computed imports,
 * entry points). A name built from a literal prefix (`getattr(self, "visit_" + kind)`) reaches
 * every def whose name starts with it. A binding outside any def that calls nothing
 * (`_FORMATS = {'tar': _make_tarball}`) is reached the same way, by its name, and only then
 * do the names in its value count.
 *
 * pyreach keeps that state for the modules pymodules scans, and hands back each scope as it
 * becomes reachable; pymodules then follows the imports and literals written in it. */
#ifndef DISTILL_PYREACH_H
#define DISTILL_PYREACH_H

#include <stdbool.h>
#include <stddef.h>

#include "distill/python/pyimports.h"

enum pyreach_mode {
        PYREACH_ALL,       /* every def (app code; python.imports: all) */
        PYREACH_REACHABLE, /* defs as their names are used (python.imports: deep) */
        PYREACH_TOP,       /* the module's statements and class bodies only (shallow, frozen) */
};

/* What pymodules follows in a scope: indices into the module's py_scan arrays. */
enum pyreach_items { PYREACH_IMPORTS, PYREACH_LITERALS, PYREACH_ATTRS, PYREACH_N_ITEMS };

struct pyreach;

struct pyreach *pyreach_new(void);
void pyreach_free(struct pyreach *pr);

/* A scanned module (name: its dotted name, "__main__" for the script): pyreach takes the scan
 * and returns the module's handle. Its top-level code is reachable at once. */
size_t pyreach_add_module(struct pyreach *pr, const char *name, struct py_scan *scan,
                          enum pyreach_mode mode);
const struct py_scan *pyreach_scan(const struct pyreach *pr, size_t module);

/* A name used where no scanned code shows it: C code's strings, an entry point's attribute. */
void pyreach_use(struct pyreach *pr, const char *name);
/* `from module import name` in reachable code ("*": every name). */
void pyreach_from(struct pyreach *pr, const char *module, const char *name);
/* A module loaded by name (computed import, entry point, include-modules): a plugin whose
 * top-level defs its loader looks up by name. Before or after it is added. */
void pyreach_reflective(struct pyreach *pr, const char *module);

/* The next scope that became reachable (-1: the module's top-level code), in the order they
 * did; false when there is none now. */
bool pyreach_next(struct pyreach *pr, size_t *module, int *scope);
/* The indices of the items of one kind written in one scope (-1 for top level), in source
 * order. */
void pyreach_items(const struct pyreach *pr, size_t module, int scope, enum pyreach_items kind,
                   const size_t **idx, size_t *n);

/* Counts for the build log: defs seen, defs reached. */
void pyreach_counts(const struct pyreach *pr, size_t *defs, size_t *reached);

#endif
