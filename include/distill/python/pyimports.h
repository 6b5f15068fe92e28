/* The import scanner (docs/architecture.md, "Python import closure"): a tokenizer for Python 3
 * source, not regular expressions. It finds `import`/`from` statements at any depth, relative
 * imports, `from x import *`, literal `importlib.import_module("x")` / `__import__("x")` calls,
 * whether an import sits in a function, and whether an `except ImportError` guards it; and the
 * attributes used on imported names (`os.popen`), which rules key on. Input is hostile: sizes and
 * nesting are capped, and malformed source gives an error with file:line:col, never a crash. */
#ifndef DISTILL_PYIMPORTS_H
#define DISTILL_PYIMPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

enum py_import_kind {
        PY_IMPORT,         /* import a.b [as c], d */
        PY_FROM,           /* from [..]a.b import x [as y], z | * */
        PY_IMPORTLIB_CALL, /* importlib.import_module("x") or import_module("x") */
        PY_DUNDER_IMPORT,  /* __import__("x") */
};

enum py_import_depth {
        PY_DEPTH_MODULE,   /* at module level (class bodies count: they run at import) */
        PY_DEPTH_NESTED,   /* inside a module-level try/if/with/for/while block */
        PY_DEPTH_FUNCTION, /* inside a def or lambda at any nesting */
};

struct py_import {
        enum py_import_kind kind;
        char *module; /* dotted name as written, without leading dots ("" for `from . import x`) */
        int level;    /* number of leading dots (0 = absolute) */
        struct strvec names; /* PY_FROM: the imported names ("*" for a star import) */
        unsigned line;       /* 1-based line of the `import`/`from` keyword or of the call */
        unsigned col;        /* 1-based column */
        enum py_import_depth depth;
        bool guarded;     /* inside the body of a `try` that has a handler catching ImportError,
                           * ModuleNotFoundError, Exception, BaseException, or a bare `except:` */
        bool main_block;  /* inside the body of `if __name__ == "__main__":` — code that runs
                           * only when the file is the program, never when it is imported */
        int try_id;       /* 1 + index of the innermost try whose body holds it (its scope's),
                           * 0 for none; py_scan.try_parent links a try to its enclosing one */
        int fallback_for; /* 1 + index of the innermost try whose ImportError-catching handler
                           * holds it (`except ImportError: from _py_abc import …`), 0 for none:
                           * a fallback, needed only when an import of that try's body fails */
};

struct py_attr {
        char *qualified; /* "os.popen": the module an imported name stands for, plus the
                          * attribute used on it */
        unsigned line;
        enum py_import_depth depth;
};

struct py_scan {
        struct py_import *imports; /* in source order */
        size_t n_imports;
        struct py_attr *attrs; /* in source order, duplicates removed (first use kept) */
        size_t n_attrs;
        int *try_parent; /* per try (index = try_id - 1): 1 + index of the enclosing try, or 0 */
        size_t n_tries;
};

#define PYIMPORTS_MAX_SOURCE (16u << 20)

/* Scan one source file. `name` is used in error messages ("file.py:12:5: unterminated string").
 * Returns 0, or DISTILL_EUSAGE for source the tokenizer cannot read. */
int pyimports_scan(const char *src, size_t len, const char *name, struct py_scan *out,
                   struct distill_error *err);
void py_scan_release(struct py_scan *scan);

#endif
