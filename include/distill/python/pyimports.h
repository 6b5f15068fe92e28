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
        int scope;        /* the def or class it is written in (py_scan.scopes), -1 for none */
        bool if_loaded;   /* in the body of `if "M" in sys.modules:` and importing M (or from
                           * it): it runs only once something else has loaded M */
};

struct py_attr {
        char *qualified; /* "os.popen": the module an imported name stands for, plus the
                          * attribute used on it */
        unsigned line;
        enum py_import_depth depth;
        int scope;
};

/* A def or class statement: the code that runs when it is called (def) or defined (class);
 * or a binding, whose value is looked at only where its name is.
 * Which of them a program can reach is decided from the names the reachable code uses
 * (docs/architecture.md, "Python import closure"). */
struct py_scope {
        char *name;
        int parent;      /* the enclosing def or class, -1 for the module itself */
        bool is_class;   /* a class body runs where the class statement is */
        bool is_binding; /* `NAME = value` (or `NAME[key] = value`) outside any def, calling
                          * nothing: the names value uses matter only where NAME is used (a
                          * table of functions, an alias) */
        bool decorated;  /* by a decorator that may register it (anything but property,
                          * staticmethod, classmethod, cached_property, abstractmethod,
                          * overload, wraps and a property's setter/getter/deleter) */
        unsigned line;
};

enum py_ref_kind {
        PY_REF_NAME,   /* a bare name read or called: `helper(x)` */
        PY_REF_ATTR,   /* an attribute: `obj.method`, `module.function` */
        PY_REF_STRING, /* a string literal that is an identifier: getattr(obj, "method") */
};

/* A name code uses, once per scope and kind. */
struct py_ref {
        enum py_ref_kind kind;
        char *name;
        int scope;
        bool main_block; /* only under `if __name__ == "__main__":` */
};

/* What calls and literals reveal beyond import statements (docs/architecture.md, "Python import
 * closure"): names the import system, the codec registry, importlib.metadata, ctypes and gettext
 * are given at run time, when the source spells them as string literals. */
enum py_literal_kind {
        PY_LIT_NAME,           /* any plain string literal that is a dotted name ("json", ".fmt")
                                * or a package prefix ending in a dot ("pkg.plugins.") */
        PY_LIT_PATH,           /* any plain string literal that is an absolute path; one holding a
                                * placeholder (%s, {}) is cut to the directory before it */
        PY_LIT_CODEC,          /* .encode("x"), .decode("x"), codecs.lookup("x"), encoding="x" */
        PY_LIT_ENTRY_GROUP,    /* entry_points(group="x"), .select(group="x"),
                                * pkg_resources.iter_entry_points("x"), stevedore managers */
        PY_LIT_DISTRIBUTION,   /* importlib.metadata.version("x") and friends,
                                * pkg_resources.get_distribution("x") */
        PY_LIT_LIBRARY,        /* ctypes.CDLL("x"), cdll.LoadLibrary("x"): dlopen's argument */
        PY_LIT_FIND_LIBRARY,   /* ctypes.util.find_library("x"): a short name */
        PY_LIT_GETTEXT,        /* gettext.translation("domain"), install, bindtextdomain, … */
        PY_LIT_COMPUTED,       /* __import__/import_module/find_spec of a computed name: value is
                                * its literal prefix ("pkg.backends." or ""), leading dots kept */
        PY_LIT_LIST_PACKAGE,   /* pkgutil.iter_modules(__path__), os.listdir(dirname(__file__)):
                                * value "" for one level, "walk" for walk_packages/os.walk */
        PY_LIT_CODEC_COMPUTED, /* .encode(x), codecs.lookup(x) of a computed name: value "" */
        PY_LIT_FIND_LIBRARY_COMPUTED, /* ctypes.util.find_library(x) of a computed name */
};

enum py_prefix_base {
        PY_PREFIX_ABSOLUTE, /* the value is the whole prefix */
        PY_PREFIX_MODULE,   /* __name__ + value */
        PY_PREFIX_PACKAGE,  /* __package__ + value */
};

struct py_literal {
        enum py_literal_kind kind;
        char *value;
        enum py_prefix_base base; /* PY_LIT_COMPUTED only */
        unsigned line, col;
        enum py_import_depth depth;
        bool guarded; /* as py_import.guarded */
        int scope;    /* as py_import.scope */
};

struct py_scan {
        struct py_import *imports; /* in source order */
        size_t n_imports;
        struct py_literal *literals; /* in source order; PY_LIT_NAME/PATH once per value and
                                      * scope */
        size_t n_literals;
        struct py_attr *attrs; /* in source order, duplicates removed (first use kept) */
        size_t n_attrs;
        int *try_parent; /* per try (index = try_id - 1): 1 + index of the enclosing try, or 0 */
        struct py_scope *scopes; /* every def and class, in source order (parents first) */
        size_t n_scopes;
        struct py_ref *refs; /* in source order, once per scope, kind and name */
        size_t n_refs;
        size_t n_tries;
};

#define PYIMPORTS_MAX_SOURCE (16u << 20)

/* The grammar a file is read with, its interpreter's: what changed in 3.12 is how f-strings
 * tokenize (PEP 701: quotes of the f-string's own kind, backslashes, comments and f-strings
 * nested in replacement fields), which the 3.11 tokenizer refuses. */
enum py_grammar {
        PY_GRAMMAR_3_11, /* up to 3.11: an f-string ends at its first unescaped closing quote */
        PY_GRAMMAR_3_12, /* 3.12 and newer: PEP 701 */
};

/* The grammar of interpreter version `version` ("3.13", "3.9.2"); PY_GRAMMAR_3_12, the newest,
 * for NULL or a version without a minor number ("3": whatever is current). */
enum py_grammar py_grammar_of(const char *version);

/* Scan one source file, read with `grammar`. `name` is used in error messages ("file.py:12:5:
 * unterminated string"). Returns 0, or DISTILL_EUSAGE for source the tokenizer cannot read. */
int pyimports_scan(const char *src, size_t len, const char *name, enum py_grammar grammar,
                   struct py_scan *out, struct distill_error *err);
void py_scan_release(struct py_scan *scan);

#endif
