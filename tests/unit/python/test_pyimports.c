/* Tests for the Python import scanner. The acceptance test compares, file by file, the scanner's
 * findings on every .py file of the installed Python 3.11 with those of CPython's own parser
 * (tests/unit/python/pyimports_oracle.py, run with /usr/bin/python3.11); unit cases pin each tricky
 * construct and the error positions; a mutation loop checks that hostile input never crashes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/python/pyimports.h"
#include "fixture.h"

#define PYTHON "/usr/bin/python3.11"
#define STDLIB "/usr/lib/python3.11"

static const char *kind_name(enum py_import_kind k)
{
        switch (k) {
        case PY_IMPORT:
                return "import";
        case PY_FROM:
                return "from";
        case PY_IMPORTLIB_CALL:
                return "importlib";
        case PY_DUNDER_IMPORT:
                return "dunder";
        }
        return "?";
}

static const char *depth_name(enum py_import_depth d)
{
        return d == PY_DEPTH_MODULE ? "module" : d == PY_DEPTH_NESTED ? "nested" : "function";
}

/* The oracle's line format (see pyimports_oracle.py); with_scopes as its --scopes. */
static char *format_scan_as(const struct py_scan *s, bool with_scopes)
{
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; with_scopes && i < s->n_scopes; i++)
                strbuf_addf(&sb, "SCOPE %zu %s %d %s %d %u\n", i, s->scopes[i].name,
                            s->scopes[i].parent,
                            s->scopes[i].is_class     ? "class"
                            : s->scopes[i].is_binding ? "bind"
                                                      : "def",
                            s->scopes[i].decorated, s->scopes[i].line);
        for (size_t i = 0; i < s->n_imports; i++) {
                const struct py_import *im = &s->imports[i];
                strbuf_addf(&sb, "IMPORT %s %s %d ", kind_name(im->kind),
                            im->module[0] ? im->module : "-", im->level);
                for (size_t n = 0; n < im->names.n; n++)
                        strbuf_addf(&sb, "%s%s", n ? "," : "", im->names.v[n]);
                strbuf_addf(&sb, "%s %u %u %s %d %d %d", im->names.n ? "" : "-", im->line, im->col,
                            depth_name(im->depth), im->guarded, im->main_block,
                            im->fallback_for > 0);
                if (with_scopes)
                        strbuf_addf(&sb, " %d", im->scope);
                strbuf_addch(&sb, '\n');
        }
        /* without scopes, the first use of each attribute in the file */
        struct strmap seen = STRMAP_INIT;
        for (size_t i = 0; i < s->n_attrs; i++) {
                if (!with_scopes) {
                        if (strmap_has(&seen, s->attrs[i].qualified))
                                continue;
                        strmap_put(&seen, s->attrs[i].qualified, NULL);
                }
                strbuf_addf(&sb, "ATTR %s %u %s", s->attrs[i].qualified, s->attrs[i].line,
                            depth_name(s->attrs[i].depth));
                if (with_scopes)
                        strbuf_addf(&sb, " %d", s->attrs[i].scope);
                strbuf_addch(&sb, '\n');
        }
        strmap_clear(&seen, NULL);
        return strbuf_detach(&sb);
}

static char *format_scan(const struct py_scan *s)
{
        return format_scan_as(s, false);
}

/* The scan's names in the oracle's format: "REF <scope> <kind> <main> <name>". */
static void ref_set(const struct py_scan *s, struct strmap *out)
{
        static const char *const kinds[] = {
            [PY_REF_NAME] = "name", [PY_REF_ATTR] = "attr", [PY_REF_STRING] = "string"};
        for (size_t i = 0; i < s->n_refs; i++) {
                char *line = xasprintf("REF %d %s %d %s", s->refs[i].scope, kinds[s->refs[i].kind],
                                       s->refs[i].main_block, s->refs[i].name);
                strmap_put(out, line, NULL);
                free(line);
        }
}

/* Scans `src` with `grammar` (must succeed) and returns the formatted result. */
static char *scan_fmt_as(const char *src, enum py_grammar grammar)
{
        struct py_scan s;
        struct distill_error err = {0};
        int r = pyimports_scan(src, strlen(src), "t.py", grammar, &s, &err);
        if (r != 0)
                fail_msg("scan failed: %s", err.msg);
        char *out = format_scan(&s);
        py_scan_release(&s);
        return out;
}

static char *scan_fmt(const char *src)
{
        return scan_fmt_as(src, PY_GRAMMAR_3_11);
}

/* What ast says about `src` (the oracle's lines), or NULL when ast rejects it. */
static char *oracle_on(const char *src)
{
        char *dir = fixture_tmpdir(), *path = xasprintf("%s/t.py", dir);
        fixture_write(path, src);
        char *out = fixture_sh_out("%s %s/tests/unit/python/pyimports_oracle.py %s", PYTHON,
                                   fixture_source_dir(), path);
        assert_non_null(out);
        char *body = NULL;
        if (strncmp(out, "FILE ", 5) == 0)
                body = xstrdup(strchr(out, '\n') + 1);
        else
                assert_true(strncmp(out, "SKIP ", 5) == 0);
        free(out);
        free(path);
        fixture_cleanup(dir);
        free(dir);
        return body;
}

/* Checks the scanner's findings on `src`, and that ast agrees whenever it can parse `src`. */
static void expect_scan(const char *src, const char *expected)
{
        char *oracle = oracle_on(src);
        if (oracle && strcmp(oracle, expected) != 0) {
                fprintf(stderr, "source:\n%s\nexpected:\n%sbut ast says:\n%s", src, expected,
                        oracle);
                free(oracle);
                fail();
        }
        free(oracle);
        char *got = scan_fmt(src);
        if (strcmp(got, expected) != 0) {
                fprintf(stderr, "source:\n%s\nexpected:\n%sgot:\n%s", src, expected, got);
                free(got);
                fail();
        }
        free(got);
}

/* 3.12 and newer: the host's ast (3.11) refuses what PEP 701 allows, so `expected` is what
 * python3.13's ast says (tests/integration/test_pyimports_312.sh runs it as the oracle). */
static void expect_scan_312(const char *src, const char *expected)
{
        char *got = scan_fmt_as(src, PY_GRAMMAR_3_12);
        if (strcmp(got, expected) != 0) {
                fprintf(stderr, "source:\n%s\nexpected:\n%sgot:\n%s", src, expected, got);
                free(got);
                fail();
        }
        free(got);
}

static void expect_error_as(const char *src, size_t len, enum py_grammar grammar, const char *msg)
{
        struct py_scan s;
        struct distill_error err = {0};
        int r = pyimports_scan(src, len, "bad.py", grammar, &s, &err);
        assert_int_equal(r, -DISTILL_EUSAGE);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        assert_string_equal(err.msg, msg);
        assert_int_equal(s.n_imports, 0);
}

static void expect_error_n(const char *src, size_t len, const char *msg)
{
        expect_error_as(src, len, PY_GRAMMAR_3_11, msg);
}

static void expect_error(const char *src, const char *msg)
{
        expect_error_n(src, strlen(src), msg);
}

static void expect_error_312(const char *src, const char *msg)
{
        expect_error_as(src, strlen(src), PY_GRAMMAR_3_12, msg);
}

/* --- unit cases --------------------------------------------------------------------------- */

static void test_import_statements(void **state)
{
        (void)state;
        expect_scan("import a.b as c, d\n", "IMPORT import a.b 0 - 1 1 module 0 0 0\n"
                                            "IMPORT import d 0 - 1 1 module 0 0 0\n");
        expect_scan("from a.b import (x as y,\n    z,)\n",
                    "IMPORT from a.b 0 x,z 1 1 module 0 0 0\n");
        expect_scan(
            "from . import x\nfrom ..pkg import *\nfrom ...a.b import c\nfrom .... import d\n",
            "IMPORT from - 1 x 1 1 module 0 0 0\n"
            "IMPORT from pkg 2 * 2 1 module 0 0 0\n"
            "IMPORT from a.b 3 c 3 1 module 0 0 0\n"
            "IMPORT from - 4 d 4 1 module 0 0 0\n");
        expect_scan("import a; import b ;from c import d\n",
                    "IMPORT import a 0 - 1 1 module 0 0 0\n"
                    "IMPORT import b 0 - 1 11 module 0 0 0\n"
                    "IMPORT from c 0 d 1 21 module 0 0 0\n");
        expect_scan(
            "import \\\n    os\nfrom os \\\n  import path\n",
            "IMPORT import os 0 - 1 1 module 0 0 0\nIMPORT from os 0 path 3 1 module 0 0 0\n");
        /* `from` and `import` elsewhere than at a statement start are not imports */
        expect_scan("raise X from y\nx = yield from z\n", "");
}

static void test_strings_and_comments_hide_imports(void **state)
{
        (void)state;
        expect_scan("s = 'import a'\n"
                    "t = \"\"\"\nimport b\n\"\"\"\n"
                    "# import c\n"
                    "u = r'\\' import d'\n"
                    "v = b'import e'; w = Rb'x' f'{1}' rf\"\\{{import g}}\"\n"
                    "x = '''it''s''' ; import h\n",
                    "IMPORT import h 0 - 8 19 module 0 0 0\n");
        /* an identifier ending in a prefix letter is no prefix */
        expect_scan("print(ab'x')\nimport i\n", "IMPORT import i 0 - 2 1 module 0 0 0\n");
}

static void test_fstrings(void **state)
{
        (void)state;
        /* 3.11: other quotes, nested braces, format specs with fields, !r, = and != inside */
        expect_scan("import os\n"
                    "a = f\"{os.sep!r:>{width}} {'x'} {d['k']} {{literal}} {x != y} {x=}\"\n"
                    "b = F'{os.getcwd()}' + fR'{\"\".join(os.environ)}'\n"
                    "c = f'''{\n  __import__(\"m\")}'''\n"
                    "d = f'{f\"{os.name}\"}' ; e = f'\\N{BULLET} {os.linesep}'\n",
                    "IMPORT import os 0 - 1 1 module 0 0 0\n"
                    "IMPORT dunder m 0 - 5 3 module 0 0 0\n"
                    "ATTR os.sep 2 module\n"
                    "ATTR os.getcwd 3 module\n"
                    "ATTR os.environ 3 module\n"
                    "ATTR os.name 6 module\n"
                    "ATTR os.linesep 6 module\n");
        /* an f-string is not a plain literal */
        expect_scan("__import__(f'x')\n", "");
}

static void test_fstrings_pep701(void **state)
{
        (void)state;
        /* 3.12: the f-string's own quotes, backslashes, comments and f-strings inside fields */
        static const char *const src =
            "import os\n"
            "a = f'{os.sep.join(d['k'])}' ; import b\n"
            "c = f\"{'\\n'.join(os.environ)}{f\"{f\"{os.name}\"}\"}\"\n"
            "d = f\"\"\"{\n"
            "    os.getcwd()  # a comment: ' \" } {\n"
            "}\"\"\"\n"
            "e = f'{x!r:>{os.linesep}} {x=} {os.curdir = !s:^{w}}' ; import g\n"
            "h = f\"{__import__(\"json\").dumps(1)}{'}'}{a != b}\" ; import i\n";
        expect_scan_312(src, "IMPORT import os 0 - 1 1 module 0 0 0\n"
                             "IMPORT import b 0 - 2 32 module 0 0 0\n"
                             "IMPORT import g 0 - 7 57 module 0 0 0\n"
                             "IMPORT dunder json 0 - 8 8 module 0 0 0\n"
                             "IMPORT import i 0 - 8 53 module 0 0 0\n"
                             "ATTR os.sep 2 module\n"
                             "ATTR os.environ 3 module\n"
                             "ATTR os.name 3 module\n"
                             "ATTR os.getcwd 5 module\n"
                             "ATTR os.linesep 7 module\n"
                             "ATTR os.curdir 7 module\n");
        /* what 3.11 allows reads the same under 3.12's rules */
        expect_scan_312("import os\n"
                        "a = f\"{os.sep!r:>{width}} {'x'} {d['k']} {{literal}} {x != y} {x=}\"\n"
                        "b = F'{os.getcwd()}' + fR'{\"\".join(os.environ)}' ; c = rf'\\{os.name}'\n"
                        "e = f'\\N{BULLET} {os.linesep}'\n",
                        "IMPORT import os 0 - 1 1 module 0 0 0\n"
                        "ATTR os.sep 2 module\n"
                        "ATTR os.getcwd 3 module\n"
                        "ATTR os.environ 3 module\n"
                        "ATTR os.name 3 module\n"
                        "ATTR os.linesep 4 module\n");
        /* 3.12's type parameters and `type` statements (3.13's defaults too) */
        expect_scan_312("import os\n"
                        "def f[T: os.PathLike](x: T) -> T:\n"
                        "    import a\n"
                        "class C[T = int](dict[str, T]):\n"
                        "    import b\n"
                        "type Alias[T] = dict[str, os.PathLike[T]]\n"
                        "type = 5\n"
                        "import c\n",
                        "IMPORT import os 0 - 1 1 module 0 0 0\n"
                        "IMPORT import a 0 - 3 5 function 0 0 0\n"
                        "IMPORT import b 0 - 5 5 module 0 0 0\n"
                        "IMPORT import c 0 - 8 1 module 0 0 0\n"
                        "ATTR os.PathLike 2 module\n");

        /* 3.11's rules refuse them, as 3.11 does */
        expect_error("x = f'{d['k']}'\n", "bad.py:1:7: f-string: expecting '}'");
        expect_error("x = f\"{'\\n'}\"\n",
                     "bad.py:1:9: f-string expression part cannot include a backslash");
        expect_error("x = f'''{x # c\n}'''\n",
                     "bad.py:1:12: f-string expression part cannot include '#'");

        /* and 3.12's own errors */
        expect_error_312("x = f'{}'\n",
                         "bad.py:1:8: f-string: valid expression required before '}'");
        expect_error_312("x = f'{a!}'\n", "bad.py:1:10: f-string: missing conversion character");
        expect_error_312("x = f'{a}}'\n", "bad.py:1:10: f-string: single '}' is not allowed");
        expect_error_312("x = f'{a:{b:{c:{d}}}}'\n",
                         "bad.py:1:16: f-string: expressions nested too deeply");
        expect_error_312("x = f'abc\nimport b\n", "bad.py:1:5: unterminated f-string literal");
        expect_error_312("x = f'''{a}\n",
                         "bad.py:1:5: unterminated triple-quoted f-string literal");
        expect_error_312("x = f'{a:x'\n", "bad.py:1:11: f-string: expecting '}'");
        expect_error_312("x = f'{a\n", "bad.py:1:7: f-string: expecting '}'");
        struct strbuf deep = STRBUF_INIT;
        for (int i = 0; i < 200; i++)
                strbuf_adds(&deep, "f'{");
        strbuf_adds(&deep, "1");
        for (int i = 0; i < 200; i++)
                strbuf_adds(&deep, "}'");
        expect_error_as(deep.buf, deep.len, PY_GRAMMAR_3_12,
                        "bad.py:1:451: too many nested f-strings");
        strbuf_release(&deep);

        /* the grammar of an interpreter version */
        assert_int_equal(py_grammar_of("3.9"), PY_GRAMMAR_3_11);
        assert_int_equal(py_grammar_of("3.11.2"), PY_GRAMMAR_3_11);
        assert_int_equal(py_grammar_of("3.12"), PY_GRAMMAR_3_12);
        assert_int_equal(py_grammar_of("3.13"), PY_GRAMMAR_3_12);
        assert_int_equal(py_grammar_of("3"), PY_GRAMMAR_3_12);
        assert_int_equal(py_grammar_of(NULL), PY_GRAMMAR_3_12);
}

static void test_compound_statements_on_one_line(void **state)
{
        (void)state;
        expect_scan("if x: import y\n"
                    "try: import a\n"
                    "except ImportError: import b\n"
                    "while 1: import c; import d\n"
                    "class A: import e\n"
                    "def f(): import g\n"
                    "import h\n",
                    "IMPORT import y 0 - 1 7 nested 0 0 0\n"
                    "IMPORT import a 0 - 2 6 nested 1 0 0\n"
                    "IMPORT import b 0 - 3 21 nested 0 0 1\n"
                    "IMPORT import c 0 - 4 10 nested 0 0 0\n"
                    "IMPORT import d 0 - 4 20 nested 0 0 0\n"
                    "IMPORT import e 0 - 5 10 module 0 0 0\n"
                    "IMPORT import g 0 - 6 10 function 0 0 0\n"
                    "IMPORT import h 0 - 7 1 module 0 0 0\n");
}

static void test_depth(void **state)
{
        (void)state;
        expect_scan("import a\n"
                    "class C:\n"
                    "    import b\n"
                    "    def m(self):\n"
                    "        import c\n"
                    "        class D:\n"
                    "            import d\n"
                    "    if x:\n"
                    "        import e\n"
                    "def f(x=__import__('g')):\n"
                    "    def inner():\n"
                    "        import h\n"
                    "    return lambda: __import__('i')\n"
                    "async def af():\n"
                    "    import j\n"
                    "with x:\n"
                    "    for y in z:\n"
                    "        import k\n"
                    "        from . import l\n"
                    "f = lambda x=__import__('m'): (__import__('n'), 1), __import__('o')\n"
                    "import p\n",
                    "IMPORT import a 0 - 1 1 module 0 0 0\n"
                    "IMPORT import b 0 - 3 5 module 0 0 0\n"
                    "IMPORT import c 0 - 5 9 function 0 0 0\n"
                    "IMPORT import d 0 - 7 13 function 0 0 0\n"
                    "IMPORT import e 0 - 9 9 nested 0 0 0\n"
                    "IMPORT dunder g 0 - 10 9 module 0 0 0\n"
                    "IMPORT import h 0 - 12 9 function 0 0 0\n"
                    "IMPORT dunder i 0 - 13 20 function 0 0 0\n"
                    "IMPORT import j 0 - 15 5 function 0 0 0\n"
                    "IMPORT import k 0 - 18 9 nested 0 0 0\n"
                    "IMPORT from - 1 l 19 9 nested 0 0 0\n"
                    "IMPORT dunder m 0 - 20 14 module 0 0 0\n"
                    "IMPORT dunder n 0 - 20 32 function 0 0 0\n"
                    "IMPORT dunder o 0 - 20 53 module 0 0 0\n"
                    "IMPORT import p 0 - 21 1 module 0 0 0\n");
        /* match/case are soft keywords */
        expect_scan("match = 1\nmatch x:\n    case {'a': 1} if y:\n        import a\n"
                    "    case _: import b\nmatch(x).y: int\nimport c\n",
                    "IMPORT import a 0 - 4 9 nested 0 0 0\n"
                    "IMPORT import b 0 - 5 13 nested 0 0 0\n"
                    "IMPORT import c 0 - 7 1 module 0 0 0\n");
        /* tabs and form feeds in indentation */
        expect_scan("if x:\n\tif y:\n\t\timport a\n\f\timport b\nimport c\n",
                    "IMPORT import a 0 - 3 3 nested 0 0 0\n"
                    "IMPORT import b 0 - 4 3 nested 0 0 0\n"
                    "IMPORT import c 0 - 5 1 module 0 0 0\n");
}

static void test_guarded(void **state)
{
        (void)state;
        expect_scan("try:\n    import a\nexcept ImportError:\n    import b\nelse:\n    import c\n"
                    "finally:\n    import d\n",
                    "IMPORT import a 0 - 2 5 nested 1 0 0\n"
                    "IMPORT import b 0 - 4 5 nested 0 0 1\n"
                    "IMPORT import c 0 - 6 5 nested 0 0 0\n"
                    "IMPORT import d 0 - 8 5 nested 0 0 0\n");
        expect_scan(
            "try:\n    import a\nexcept ValueError:\n    pass\n"
            "try:\n    import b\nexcept (OSError, ModuleNotFoundError) as e:\n    pass\n"
            "try:\n    import c\nexcept:\n    pass\n"
            "try:\n    import d\nexcept ValueError:\n    pass\nexcept Exception:\n    pass\n"
            "try:\n    import e\nexcept x.ImportError:\n    pass\n"
            "try:\n    import f\nexcept* (BaseException):\n    pass\n"
            "try:\n    import g\nfinally:\n    pass\n",
            "IMPORT import a 0 - 2 5 nested 0 0 0\n"
            "IMPORT import b 0 - 6 5 nested 1 0 0\n"
            "IMPORT import c 0 - 10 5 nested 1 0 0\n"
            "IMPORT import d 0 - 14 5 nested 1 0 0\n"
            "IMPORT import e 0 - 20 5 nested 0 0 0\n"
            "IMPORT import f 0 - 24 5 nested 1 0 0\n"
            "IMPORT import g 0 - 28 5 nested 0 0 0\n");
        /* nested: any enclosing try of the same function counts, a def stops it */
        expect_scan("try:\n"
                    "    try:\n"
                    "        import a\n"
                    "    except ValueError:\n"
                    "        import b\n"
                    "    def f():\n"
                    "        import c\n"
                    "        try:\n"
                    "            import d\n"
                    "        except ImportError:\n"
                    "            pass\n"
                    "except ImportError:\n"
                    "    pass\n"
                    "try: import e\n"
                    "except ValueError: pass\n",
                    "IMPORT import a 0 - 3 9 nested 1 0 0\n"
                    "IMPORT import b 0 - 5 9 nested 1 0 0\n"
                    "IMPORT import c 0 - 7 9 function 0 0 0\n"
                    "IMPORT import d 0 - 9 13 function 1 0 0\n"
                    "IMPORT import e 0 - 14 6 nested 0 0 0\n");
}

static void test_import_calls(void **state)
{
        (void)state;
        expect_scan("import importlib\n"
                    "importlib.import_module('json')\n"
                    "importlib.import_module('.sub', 'pkg')\n"
                    "importlib.import_module(name)\n"
                    "importlib.import_module('a' 'b')\n"
                    "importlib.import_module('a' + b)\n"
                    "importlib.import_module(b'x')\n"
                    "importlib.import_module('a\\x62')\n"
                    "x.importlib.import_module('c')\n"
                    "__import__(\"d\", globals())\n"
                    "__import__(name)\n"
                    "obj.__import__('e')\n"
                    "import_module('unbound')\n",
                    "IMPORT import importlib 0 - 1 1 module 0 0 0\n"
                    "IMPORT importlib json 0 - 2 1 module 0 0 0\n"
                    "IMPORT importlib sub 1 - 3 1 module 0 0 0\n"
                    "IMPORT dunder d 0 - 10 1 module 0 0 0\n"
                    "ATTR importlib.import_module 2 module\n");
        expect_scan("from importlib import import_module as im\n"
                    "def f():\n    return im('x.y')\n",
                    "IMPORT from importlib 0 import_module 1 1 module 0 0 0\n"
                    "IMPORT importlib x.y 0 - 3 12 function 0 0 0\n");
}

static void test_attributes(void **state)
{
        (void)state;
        expect_scan("import os.path\n"
                    "import xml.etree.ElementTree as ET\n"
                    "from subprocess import run as r, Popen\n"
                    "from . import rel\n"
                    "os.popen('ls')\n"
                    "def f():\n"
                    "    os.path.join(ET.parse, r.x, Popen.wait)\n"
                    "    os.popen(a.os.system, rel.x)\n"
                    "    ET.parse()\n"
                    "    os. \\\n        getcwd\n",
                    "IMPORT import os.path 0 - 1 1 module 0 0 0\n"
                    "IMPORT import xml.etree.ElementTree 0 - 2 1 module 0 0 0\n"
                    "IMPORT from subprocess 0 run,Popen 3 1 module 0 0 0\n"
                    "IMPORT from - 1 rel 4 1 module 0 0 0\n"
                    "ATTR os.popen 5 module\n"
                    "ATTR os.path 7 function\n"
                    "ATTR xml.etree.ElementTree.parse 7 function\n"
                    "ATTR subprocess.run.x 7 function\n"
                    "ATTR subprocess.Popen.wait 7 function\n"
                    "ATTR os.getcwd 10 function\n");
        /* a name bound to two modules qualifies with both; uses before the import count */
        expect_scan("def f():\n    return np.array\nimport numpy as np\nimport cupy as np\n",
                    "IMPORT import numpy 0 - 3 1 module 0 0 0\n"
                    "IMPORT import cupy 0 - 4 1 module 0 0 0\n"
                    "ATTR numpy.array 2 function\n"
                    "ATTR cupy.array 2 function\n");
}

static void test_python2_and_odd_input(void **state)
{
        (void)state;
        /* Python-2-looking source that still tokenizes gives what it can */
        expect_scan("print \"import x\"\nexec 'import y'\nimport z\nx = `1` <> 2 ; n = 0777L\n",
                    "IMPORT import z 0 - 3 1 module 0 0 0\n");
        /* UTF-8 identifiers, a BOM, CRLF and CR line ends, no final newline */
        expect_scan("\xef\xbb\xbfimport \xc3\xa9t\xc3\xa9\r\n\xc3\xa9t\xc3\xa9.x\rimport y",
                    "IMPORT import \xc3\xa9t\xc3\xa9 0 - 1 1 module 0 0 0\n"
                    "IMPORT import y 0 - 3 1 module 0 0 0\n"
                    "ATTR \xc3\xa9t\xc3\xa9.x 2 module\n");
        expect_scan("", "");
        expect_scan("\n\n   # only a comment", "");
}

static void test_errors(void **state)
{
        (void)state;
        expect_error("import a\nx = '''abc\n\nimport b\n",
                     "bad.py:2:5: unterminated triple-quoted string literal");
        expect_error("import a\nx = f(1,\n  [2, 3]\nimport b\n",
                     "bad.py:2:6: '(' was never closed");
        expect_error("x = (1, 2]\n", "bad.py:1:10: closing parenthesis ']' does not match opening "
                                     "parenthesis '(' on line 1");
        expect_error("x = 1)\n", "bad.py:1:6: unmatched ')'");
        expect_error("s = 'abc\nimport b\n", "bad.py:1:5: unterminated string literal");
        expect_error("if x:\n        a\n    b\n",
                     "bad.py:3:5: unindent does not match any outer indentation level");
        expect_error("if x:\n\ta\n        b\n",
                     "bad.py:3:9: inconsistent use of tabs and spaces in indentation");
        expect_error("x = 1 \\ 2\n",
                     "bad.py:1:7: unexpected character after line continuation character");
        expect_error("x = f'{a!r}}'\n", "bad.py:1:12: f-string: single '}' is not allowed");
        expect_error("x = f'{}'\n", "bad.py:1:8: f-string: empty expression not allowed");
        expect_error_n("a\nb\0c", 5, "bad.py:2:2: source contains a NUL byte");

        /* caps: brackets, blocks, size */
        struct strbuf sb = STRBUF_INIT;
        for (int i = 0; i < 250; i++)
                strbuf_addch(&sb, '(');
        struct py_scan s;
        struct distill_error err = {0};
        assert_int_equal(pyimports_scan(sb.buf, sb.len, "deep.py", PY_GRAMMAR_3_11, &s, &err),
                         -DISTILL_EUSAGE);
        assert_string_equal(err.msg, "deep.py:1:201: too many nested parentheses");
        strbuf_reset(&sb);
        for (int i = 0; i < 120; i++) {
                for (int j = 0; j < i; j++)
                        strbuf_addch(&sb, ' ');
                strbuf_adds(&sb, "if x:\n");
        }
        assert_int_equal(pyimports_scan(sb.buf, sb.len, "deep.py", PY_GRAMMAR_3_11, &s, &err),
                         -DISTILL_EUSAGE);
        assert_string_equal(err.msg, "deep.py:102:102: too many levels of indentation");
        strbuf_release(&sb);
        assert_int_equal(
            pyimports_scan("x", PYIMPORTS_MAX_SOURCE + 1, "big.py", PY_GRAMMAR_3_11, &s, &err),
            -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "big.py: source too large"));
}

/* --- the oracle: every .py of the installed Python ---------------------------------------- */

static struct strvec walk_paths;

static int collect_py(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        size_t n = strlen(path);
        if (flag == FTW_F && n > 3 && strcmp(path + n - 3, ".py") == 0)
                strvec_push(&walk_paths, path);
        return 0;
}

/* Files ast cannot parse, to exercise the SKIP path (the scanner must only not crash there). */
static void write_unparsable(const char *dir, struct strvec *paths)
{
        static const char *const srcs[] = {
            "print 'hello'\nimport os\n", "def f(:\n    import a\n",
            "x = '''never closed\n",      "x = (1,\n",
            "if x:\n  a\n b\n",           "import a\nx = f'{a!}'\n",
        };
        for (size_t i = 0; i < sizeof(srcs) / sizeof(*srcs); i++) {
                char *p = xasprintf("%s/bad%zu.py", dir, i);
                fixture_write(p, srcs[i]);
                strvec_push_nodup(paths, p);
        }
}

/* What comparing the scanner with the oracle found. */
struct oracle_tally {
        size_t compared, skipped, mismatches, missing_refs;
        size_t skipped_under; /* skipped files under the directory given to compare_oracle */
};

/* Compares the scanner, reading with `grammar`, with the oracle's output `oracle` (its --scopes
 * lines), file by file: the scanner must give the same lines, hold every REF line, and only
 * survive the files ast rejects. Paths are read under `root` ("" for the host's own). Reports
 * the first differences on stderr. */
static void compare_oracle(char *oracle, const char *root, enum py_grammar grammar,
                           const char *under, struct oracle_tally *t)
{
        struct strbuf report = STRBUF_INIT;
        char *p = oracle;
        memset(t, 0, sizeof(*t));
        while (*p) {
                bool skip = strncmp(p, "SKIP ", 5) == 0;
                assert_true(skip || strncmp(p, "FILE ", 5) == 0);
                char *eol = strchr(p, '\n');
                assert_non_null(eol);
                char *path = xstrndup(p + 5, (size_t)(eol - p - 5));
                char *body = eol + 1, *next = body;
                while (*next && strncmp(next, "FILE ", 5) != 0 && strncmp(next, "SKIP ", 5) != 0)
                        next = strchr(next, '\n') + 1;
                char *want = xstrndup(body, (size_t)(next - body));
                p = next;

                char *src, *host = xasprintf("%s%s", root, path);
                size_t len;
                assert_int_equal(read_file(host, &src, &len), 0);
                free(host);
                struct py_scan s;
                struct distill_error err = {0};
                int r = pyimports_scan(src, len, path, grammar, &s, &err);
                free(src);
                if (skip) {
                        t->skipped++; /* ast rejects it: the scanner must only survive it */
                        t->skipped_under += under && strncmp(path, under, strlen(under)) == 0;
                        if (r == 0)
                                py_scan_release(&s);
                        else
                                assert_int_equal(r, -DISTILL_EUSAGE);
                        free(path);
                        free(want);
                        continue;
                }
                t->compared++;
                /* the oracle's REF lines are names ast sees used: each must be among ours */
                char *refs = NULL,
                     *cut = strncmp(want, "REF ", 4) == 0 ? want : strstr(want, "\nREF ");
                if (cut) {
                        cut += cut != want;
                        refs = xstrdup(cut);
                        *cut = '\0';
                }
                char *got = r == 0 ? format_scan_as(&s, true) : xasprintf("error: %s\n", err.msg);
                struct strmap ours = STRMAP_INIT;
                if (r == 0)
                        ref_set(&s, &ours);
                for (char *ref = refs, *eol; r == 0 && ref && (eol = strchr(ref, '\n'));
                     ref = eol + 1) {
                        *eol = '\0';
                        if (!strmap_has(&ours, ref) && ++t->missing_refs <= 5)
                                strbuf_addf(&report, "=== %s: scanner lacks %s\n", path, ref);
                }
                strmap_clear(&ours, NULL);
                free(refs);
                if (r == 0)
                        py_scan_release(&s);
                if (strcmp(got, want) != 0 && ++t->mismatches <= 5)
                        strbuf_addf(&report, "=== %s\n--- oracle (ast)\n%s--- scanner\n%s", path,
                                    want, got);
                free(got);
                free(path);
                free(want);
        }
        print_message("pyimports oracle: %zu files compared, %zu skipped by ast, %zu mismatches, "
                      "%zu names ast sees used that the scanner lacks\n",
                      t->compared, t->skipped, t->mismatches, t->missing_refs);
        if (t->mismatches || t->missing_refs) {
                fprintf(stderr, "%s", report.buf);
                fail_msg("%zu of %zu files differ from the ast oracle, %zu names missing (first "
                         "ones above)",
                         t->mismatches, t->compared, t->missing_refs);
        }
        strbuf_release(&report);
}

static void test_oracle_stdlib(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        nftw(STDLIB, collect_py, 32, FTW_PHYS);
        size_t n_stdlib = walk_paths.n;
        assert_true(n_stdlib > 500); /* the installed stdlib really was walked */
        strvec_sort(&walk_paths);
        write_unparsable(dir, &walk_paths);

        char *list = xasprintf("%s/paths", dir), *expected_path = xasprintf("%s/oracle.out", dir);
        FILE *f = fopen(list, "w");
        assert_non_null(f);
        for (size_t i = 0; i < walk_paths.n; i++)
                fprintf(f, "%s\n", walk_paths.v[i]);
        fclose(f);
        assert_int_equal(fixture_sh("%s %s/tests/unit/python/pyimports_oracle.py --scopes @%s > %s",
                                    PYTHON, fixture_source_dir(), list, expected_path),
                         0);

        char *oracle;
        size_t oracle_len;
        assert_int_equal(read_file(expected_path, &oracle, &oracle_len), 0);
        struct oracle_tally t;
        compare_oracle(oracle, "", PY_GRAMMAR_3_11, dir, &t);
        /* every file was judged; ast skips exactly the six written to be unparsable and any
         * installed file it rejects itself (libpython3.11-testsuite ships deliberate syntax
         * errors), and compares the rest */
        assert_int_equal(t.compared + t.skipped, walk_paths.n);
        assert_int_equal(t.skipped_under, 6);
        assert_true(t.compared + 50 >= n_stdlib);
        free(oracle);
        free(list);
        free(expected_path);
        strvec_clear(&walk_paths);
        fixture_cleanup(dir);
        free(dir);
}

/* The oracle run by another interpreter, in an image tree (tests/integration/
 * test_pyimports_312.sh): PYIMPORTS_ORACLE names its output (image paths, read under
 * PYIMPORTS_ROOT), PYIMPORTS_PYTHON its version ("3.13"), which picks the grammar. Run only in
 * that mode (main): the host has one interpreter, 3.11, and nothing else to compare with. */
static void test_oracle_other_python(void **state)
{
        (void)state;
        const char *out = getenv("PYIMPORTS_ORACLE"), *root = getenv("PYIMPORTS_ROOT"),
                   *version = getenv("PYIMPORTS_PYTHON");
        if (!out || !root || !version)
                fail_msg("PYIMPORTS_ORACLE, PYIMPORTS_ROOT and PYIMPORTS_PYTHON must all be set");
        char *oracle;
        size_t len;
        assert_int_equal(read_file(out, &oracle, &len), 0);
        struct oracle_tally t;
        compare_oracle(oracle, root, py_grammar_of(version), NULL, &t);
        assert_true(t.compared > 0);
        free(oracle);
}

/* --- robustness: random mutations of a real file ------------------------------------------ */

/* One random edit: delete a range, insert a troublesome snippet, flip a byte or truncate. */
static void mutate(struct strbuf *sb)
{
        static const char *const snippets[] = {"'",          "\"",
                                               "'''",        "\"\"\"",
                                               "(",          ")",
                                               "[",          "}",
                                               "\\",         "\n",
                                               "\t",         "\f",
                                               "\r",         "f'{",
                                               "{",          ":",
                                               "lambda",     "try:",
                                               "except",     "import",
                                               " ",          "from . import",
                                               "#",          "\xc3",
                                               "\0",         "    ",
                                               "match x:\n", "f\"{x!r:{y}}\"",
                                               "rb'",        "=}"};
        size_t at = sb->len ? (size_t)rand() % sb->len : 0;
        switch (rand() % 4) {
        case 0: {
                size_t n = (size_t)rand() % 64;
                if (at + n > sb->len)
                        n = sb->len - at;
                memmove(sb->buf + at, sb->buf + at + n, sb->len - at - n);
                sb->len -= n;
                break;
        }
        case 1: {
                const char *sn = snippets[rand() % (sizeof(snippets) / sizeof(*snippets))];
                size_t n = sn[0] ? strlen(sn) : 1;
                strbuf_grow(sb, n);
                memmove(sb->buf + at + n, sb->buf + at, sb->len - at);
                memcpy(sb->buf + at, sn, n);
                sb->len += n;
                break;
        }
        case 2:
                if (sb->len)
                        sb->buf[at] = (char)rand();
                break;
        default:
                sb->len = at;
                break;
        }
}

static void test_mutations_never_crash(void **state)
{
        (void)state;
        /* plain code, f-strings and match statements, decorators and nested defs */
        static const char *const bases[] = {STDLIB "/tokenize.py", STDLIB "/dataclasses.py",
                                            STDLIB "/traceback.py"};
        const char *iters_env = getenv("PYIMPORTS_FUZZ_ITERATIONS");
        int iters = iters_env ? atoi(iters_env) : 1000;
        size_t ok = 0, errors = 0;
        srand(42);
        for (size_t b = 0; b < sizeof(bases) / sizeof(*bases); b++) {
                char *orig;
                size_t orig_len;
                assert_int_equal(read_file(bases[b], &orig, &orig_len), 0);
                for (int it = 0; it < iters; it++) {
                        struct strbuf sb = STRBUF_INIT;
                        strbuf_add(&sb, orig, orig_len);
                        for (int m = 1 + rand() % 8; m > 0; m--)
                                mutate(&sb);
                        struct py_scan s;
                        struct distill_error err = {0};
                        /* both grammars: 3.11's and PEP 701's f-strings */
                        enum py_grammar g = it % 2 ? PY_GRAMMAR_3_12 : PY_GRAMMAR_3_11;
                        int r = pyimports_scan(sb.buf, sb.len, "mut.py", g, &s, &err);
                        if (r == 0) {
                                ok++;
                                py_scan_release(&s);
                        } else {
                                errors++;
                                assert_int_equal(r, -DISTILL_EUSAGE);
                                assert_true(strncmp(err.msg, "mut.py:", 7) == 0);
                        }
                        strbuf_release(&sb);
                }
                free(orig);
        }
        print_message("mutations: %zu scanned, %zu rejected\n", ok, errors);
        assert_true(ok > 0 && errors > 0); /* both paths were exercised */
}

static void test_main_block_and_fallback(void **state)
{
        (void)state;
        /* only what the import system runs on import is followed: not the __main__ block, and a
         * fallback import only when its try failed; the oracle agrees on every line */
        expect_scan("try:\n"
                    "    from _abc import get_cache_token\n"
                    "except ImportError:\n"
                    "    from _py_abc import ABCMeta\n"
                    "    def f():\n"
                    "        import inner\n"
                    "if __name__ == \"__main__\":\n"
                    "    import doctest\n"
                    "    def g():\n"
                    "        import deep\n"
                    "else:\n"
                    "    import normal\n"
                    "if '__main__' == __name__: import rev\n"
                    "if __name__ == 'other': import other\n",
                    "IMPORT from _abc 0 get_cache_token 2 5 nested 1 0 0\n"
                    "IMPORT from _py_abc 0 ABCMeta 4 5 nested 0 0 1\n"
                    "IMPORT import inner 0 - 6 9 function 0 0 0\n"
                    "IMPORT import doctest 0 - 8 5 nested 0 1 0\n"
                    "IMPORT import deep 0 - 10 9 function 0 1 0\n"
                    "IMPORT import normal 0 - 12 5 nested 0 0 0\n"
                    "IMPORT import rev 0 - 13 28 nested 0 1 0\n"
                    "IMPORT import other 0 - 14 25 nested 0 0 0\n");
        /* try ids link handler imports to their own try, through nesting */
        const char *src = "try:\n"
                          "    try:\n"
                          "        import a\n"
                          "    except ValueError:\n"
                          "        pass\n"
                          "except ImportError:\n"
                          "    import b\n";
        struct py_scan sc;
        struct distill_error err = {0};
        assert_int_equal(pyimports_scan(src, strlen(src), "t.py", PY_GRAMMAR_3_11, &sc, &err), 0);
        assert_int_equal(sc.n_imports, 2);
        assert_int_equal(sc.n_tries, 2);
        int inner = sc.imports[0].try_id, outer = sc.imports[1].fallback_for;
        assert_true(inner > 0 && outer > 0 && inner != outer);
        assert_int_equal(sc.try_parent[inner - 1], outer); /* the inner try sits in the outer */
        assert_int_equal(sc.try_parent[outer - 1], 0);
        py_scan_release(&sc);
}

static const char *literal_kind_name(enum py_literal_kind k)
{
        static const char *const names[] = {
            [PY_LIT_NAME] = "name",
            [PY_LIT_PATH] = "path",
            [PY_LIT_CODEC] = "codec",
            [PY_LIT_ENTRY_GROUP] = "entry-group",
            [PY_LIT_DISTRIBUTION] = "dist",
            [PY_LIT_LIBRARY] = "library",
            [PY_LIT_FIND_LIBRARY] = "find-library",
            [PY_LIT_GETTEXT] = "gettext",
            [PY_LIT_COMPUTED] = "computed",
            [PY_LIT_LIST_PACKAGE] = "list-package",
            [PY_LIT_CODEC_COMPUTED] = "codec-computed",
            [PY_LIT_FIND_LIBRARY_COMPUTED] = "find-library-computed",
        };
        return names[k];
}

/* The literals of `src` except plain names (`with_names` includes them), one line each:
 * "KIND value line depth guarded" and, for computed imports, the prefix's base. */
static void expect_literals_of(const char *src, bool with_names, const char *expected)
{
        struct py_scan s;
        struct distill_error err = {0};
        assert_int_equal(pyimports_scan(src, strlen(src), "t.py", PY_GRAMMAR_3_11, &s, &err), 0);
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < s.n_literals; i++) {
                const struct py_literal *l = &s.literals[i];
                if (l->kind == PY_LIT_NAME && !with_names)
                        continue;
                strbuf_addf(&sb, "%s '%s' %u %s %d", literal_kind_name(l->kind), l->value, l->line,
                            depth_name(l->depth), l->guarded);
                if (l->kind == PY_LIT_COMPUTED)
                        strbuf_addf(&sb, " %s",
                                    l->base == PY_PREFIX_MODULE    ? "__name__"
                                    : l->base == PY_PREFIX_PACKAGE ? "__package__"
                                                                   : "absolute");
                strbuf_addch(&sb, '\n');
        }
        if (strcmp(strbuf_str(&sb), expected) != 0) {
                fprintf(stderr, "source:\n%s\nexpected:\n%sgot:\n%s", src, expected,
                        strbuf_str(&sb));
                fail();
        }
        strbuf_release(&sb);
        py_scan_release(&s);
}

static void test_literals_codecs(void **state)
{
        (void)state;
        expect_literals_of("import codecs\n"
                           "b = 'x'.encode('shift_jis')\n"
                           "t = data.decode(encoding='euc-jp', errors='strict')\n"
                           "codecs.lookup('cp932')\n"
                           "codecs.encode(b, 'rot13')\n"
                           "codecs.open('f', 'r', 'koi8_r')\n"
                           "def f():\n"
                           "    with open('f', encoding='latin-1') as h:\n"
                           "        pass\n"
                           "x.encode(some_name)\n",
                           false,
                           "codec 'shift_jis' 2 module 0\n"
                           "codec 'euc-jp' 3 module 0\n"
                           "codec 'cp932' 4 module 0\n"
                           "codec 'rot13' 5 module 0\n"
                           "codec 'koi8_r' 6 module 0\n"
                           "codec 'latin-1' 8 function 0\n"
                           "codec-computed '' 10 module 0\n");
        /* not the codecs module: a name bound to something else keeps nothing by position */
        expect_literals_of("import mylib as codecs\ncodecs.lookup('thing')\n", false, "");
}

static void test_literals_metadata_ctypes_gettext(void **state)
{
        (void)state;
        expect_literals_of(
            "from importlib.metadata import entry_points, version\n"
            "import importlib.metadata as md\n"
            "import pkg_resources, ctypes, ctypes.util, gettext\n"
            "from ctypes import CDLL\n"
            "eps = entry_points(group='myapp.plugins')\n"
            "eps2 = entry_points().select(group='other.group')\n"
            "for ep in pkg_resources.iter_entry_points('legacy.group'): pass\n"
            "v = version('Flask')\n"
            "d = md.distribution('Jinja2')\n"
            "lib = CDLL('libmagic.so.1')\n"
            "lib2 = ctypes.cdll.LoadLibrary('libz.so.1')\n"
            "name = ctypes.util.find_library('ssl')\n"
            "try:\n"
            "    t = gettext.translation('messages', localedir='/usr/share/locale')\n"
            "except ImportError:\n"
            "    pass\n"
            "version = '1.0'\n",
            false,
            "entry-group 'myapp.plugins' 5 module 0\n"
            "entry-group 'other.group' 6 module 0\n"
            "entry-group 'legacy.group' 7 module 0\n"
            "dist 'Flask' 8 module 0\n"
            "dist 'Jinja2' 9 module 0\n"
            "library 'libmagic.so.1' 10 module 0\n"
            "library 'libz.so.1' 11 module 0\n"
            "find-library 'ssl' 12 module 0\n"
            "gettext 'messages' 14 nested 1\n"
            "path '/usr/share/locale' 14 nested 1\n");
        expect_literals_of("import ctypes.util\nfor n in NAMES:\n    ctypes.util.find_library(n)\n",
                           false, "find-library-computed '' 3 nested 0\n");
        expect_literals_of("from stevedore import driver\n"
                           "mgr = driver.DriverManager(namespace='app.drivers', name='x')\n",
                           false, "entry-group 'app.drivers' 2 module 0\n");
}

static void test_literals_computed_imports(void **state)
{
        (void)state;
        expect_literals_of("import importlib, pkgutil, os\n"
                           "from importlib import import_module\n"
                           "def load(name):\n"
                           "    a = importlib.import_module(f'pkg.backends.{name}')\n"
                           "    b = import_module('pkg.codecs.%s' % name)\n"
                           "    c = __import__('pkg.fmt.' + name)\n"
                           "    d = import_module('pkg.x.{}'.format(name))\n"
                           "    e = import_module(__name__ + '.' + name)\n"
                           "    f = import_module('.' + name, __package__)\n"
                           "    g = import_module(name)\n"
                           "    h = import_module(f'{__package__}.drivers.{name}')\n"
                           "for m in pkgutil.iter_modules(__path__): pass\n"
                           "for m in pkgutil.walk_packages(__path__, __name__ + '.'): pass\n"
                           "names = os.listdir(os.path.dirname(__file__))\n"
                           "other = os.listdir('/etc')\n",
                           false,
                           "computed 'pkg.backends.' 4 function 0 absolute\n"
                           "computed 'pkg.codecs.' 5 function 0 absolute\n"
                           "computed 'pkg.fmt.' 6 function 0 absolute\n"
                           "computed 'pkg.x.' 7 function 0 absolute\n"
                           "computed '.' 8 function 0 __name__\n"
                           "computed '.' 9 function 0 absolute\n"
                           "computed '' 10 function 0 absolute\n"
                           "computed '.drivers.' 11 function 0 __package__\n"
                           "list-package '' 12 module 0\n"
                           "list-package 'walk' 13 module 0\n"
                           "list-package '' 14 module 0\n"
                           "path '/etc' 15 module 0\n");
}

/* Imports under `if "M" in sys.modules:` of M itself load nothing new. */
static void test_if_loaded(void **state)
{
        (void)state;
        const char *src = "def f():\n"
                          "    if 'pkg_resources' in sys.modules:\n"
                          "        from pkg_resources import fixup\n"
                          "        import pkg_resources.extern\n"
                          "        import other\n"
                          "    import pkg_resources\n"
                          "if 'a.b' in sys.modules:\n"
                          "    import a\n"
                          "    import a.b.c\n";
        struct py_scan s;
        struct distill_error err = {0};
        assert_int_equal(pyimports_scan(src, strlen(src), "t.py", PY_GRAMMAR_3_11, &s, &err), 0);
        assert_int_equal(s.n_imports, 6);
        static const bool want[] = {true, true, false, false, false, true};
        for (size_t i = 0; i < s.n_imports; i++)
                if (s.imports[i].if_loaded != want[i])
                        fail_msg("import %s: if_loaded %d", s.imports[i].module,
                                 s.imports[i].if_loaded);
        py_scan_release(&s);
}

static void test_literals_names_and_paths(void **state)
{
        (void)state;
        expect_literals_of(
            "BACKENDS = {'json': 'pkg.ser.json', 'yaml': '.ser.yaml'}\n"
            "DATA = '/usr/share/pkg/data.bin'\n"
            "ZONE = '/usr/share/zoneinfo/%s'\n"
            "FMT = '/usr/share/pkg/{name}.txt'\n"
            "NOT = ['1abc', 'a..b', 'has space', '/', '//x', b'bytes.name', "
            "r'raw.name', 'json', 'pkg.mod:attr', 'a:b:c', ':x', 'euc-jp', "
            "'-x', 'x-']\n"
            "def f():\n"
            "    return 'in.function'\n"
            "SPLIT = ('pkg.' 'joined', 'prose ends with the ' 'test.', f'{x}' 'y.z')\n"
            "LOADED = (sys.modules.get('mod.a'), sys.modules['mod.b'],\n"
            "          'mod.c' in sys.modules, 'mod.d' not in sys.modules, 'mod.e')\n",
            true,
            "name 'json' 1 module 0\n"
            "name 'pkg.ser.json' 1 module 0\n"
            "name 'yaml' 1 module 0\n"
            "name '.ser.yaml' 1 module 0\n"
            "path '/usr/share/pkg/data.bin' 2 module 0\n"
            "path '/usr/share/zoneinfo' 3 module 0\n"
            "path '/usr/share/pkg' 4 module 0\n"
            "name 'raw.name' 5 module 0\n"
            "name 'json' 5 module 0\n" /* again: another binding's */
            "name 'pkg.mod' 5 module 0\n"
            "name 'euc-jp' 5 module 0\n"
            "name 'in.function' 7 function 0\n"
            "name 'pkg.joined' 8 module 0\n"
            "name 'mod.e' 10 module 0\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_import_statements),
            cmocka_unit_test(test_strings_and_comments_hide_imports),
            cmocka_unit_test(test_fstrings),
            cmocka_unit_test(test_fstrings_pep701),
            cmocka_unit_test(test_compound_statements_on_one_line),
            cmocka_unit_test(test_depth),
            cmocka_unit_test(test_guarded),
            cmocka_unit_test(test_main_block_and_fallback),
            cmocka_unit_test(test_import_calls),
            cmocka_unit_test(test_attributes),
            cmocka_unit_test(test_python2_and_odd_input),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_literals_codecs),
            cmocka_unit_test(test_literals_metadata_ctypes_gettext),
            cmocka_unit_test(test_literals_computed_imports),
            cmocka_unit_test(test_literals_names_and_paths),
            cmocka_unit_test(test_if_loaded),
            cmocka_unit_test(test_oracle_stdlib),
            cmocka_unit_test(test_mutations_never_crash),
        };
        /* given another interpreter's oracle, that comparison only */
        if (getenv("PYIMPORTS_ORACLE")) {
                const struct CMUnitTest other[] = {cmocka_unit_test(test_oracle_other_python)};
                return cmocka_run_group_tests(other, NULL, NULL);
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
