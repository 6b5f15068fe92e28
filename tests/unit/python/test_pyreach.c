/* pyreach: which defs become reachable, module sources scanned by the real tokenizer. Each case
 * names a def that must be reached and one that must not, so that each rule can fail alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/python/pyimports.h"
#include "distill/python/pyreach.h"

struct world {
        struct pyreach *pr;
        struct strvec reached; /* "module.def" (nested: "module.outer.inner") */
};

static size_t add(struct world *w, const char *name, const char *src, enum pyreach_mode mode)
{
        struct py_scan scan;
        struct distill_error err = {0};
        if (pyimports_scan(src, strlen(src), name, PY_GRAMMAR_3_11, &scan, &err) != 0)
                fail_msg("%s: %s", name, err.msg);
        return pyreach_add_module(w->pr, name, &scan, mode);
}

static char *scope_path(const struct py_scan *s, int scope)
{
        if (scope < 0)
                return xstrdup("");
        char *parent = scope_path(s, s->scopes[scope].parent);
        char *p = xasprintf("%s.%s", parent, s->scopes[scope].name);
        free(parent);
        return p;
}

/* Everything reachable now, as "module.def". */
static void drain(struct world *w, const char *const *modules)
{
        size_t h;
        int scope;
        while (pyreach_next(w->pr, &h, &scope)) {
                char *p = scope_path(pyreach_scan(w->pr, h), scope);
                strvec_push_nodup(&w->reached, xasprintf("%s%s", modules[h], p));
                free(p);
        }
}

static void expect(const struct world *w, const char *def, bool reached)
{
        bool got = strvec_contains(&w->reached, def);
        if (got != reached)
                fail_msg("%s is %sreached", def, got ? "" : "not ");
}

static int setup(void **state)
{
        struct world *w = xcalloc(1, sizeof(*w));
        w->pr = pyreach_new();
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        struct world *w = *state;
        pyreach_free(w->pr);
        strvec_clear(&w->reached);
        free(w);
        return 0;
}

static void test_names_reach_defs(void **state)
{
        struct world *w = *state;
        static const char *const mods[] = {"__main__", "lib", "other"};
        add(w, "__main__",
            "import lib\nfrom other import imported\nlib.by_attr()\nimported()\n"
            "getattr(lib, 'by_string')\n",
            PYREACH_ALL);
        add(w, "lib",
            "def by_attr():\n    return local_helper()\n"
            "def local_helper():\n    pass\n"
            "def by_string():\n    pass\n"
            "def never():\n    import heavy\n"
            "def __getattr__(name):\n    pass\n"
            "@register\ndef registered():\n    pass\n"
            "@property\ndef plain_decorated():\n    pass\n"
            "def outer():\n    def inner():\n        pass\n    return inner\n"
            "class K:\n    def method(self):\n        pass\n    def unnamed(self):\n        pass\n"
            "    def __init__(self):\n        pass\n"
            "K().method()\n"
            "class Unused:\n    TABLE = {'a': helper_of_unused}\n"
            "    def __init__(self):\n        import heavy\n    def method(self):\n        pass\n"
            "if __name__ == '__main__':\n    main_only()\n"
            "def main_only():\n    pass\n",
            PYREACH_REACHABLE);
        add(w, "other", "def imported():\n    pass\ndef not_imported():\n    pass\n",
            PYREACH_REACHABLE);
        pyreach_from(w->pr, "other", "imported");
        drain(w, mods);
        expect(w, "lib.by_attr", true);      /* lib.by_attr() in the app */
        expect(w, "lib.local_helper", true); /* a bare name in a reached def of its module */
        expect(w, "lib.by_string", true);    /* getattr(lib, "by_string") */
        expect(w, "lib.__getattr__", true);  /* dunders: the interpreter calls them */
        expect(w, "lib.registered", true);   /* a decorator may register it */
        expect(w, "lib.plain_decorated", false);
        expect(w, "lib.outer", false); /* nothing names it: neither it nor its inner def */
        expect(w, "lib.outer.inner", false);
        expect(w, "lib.K", true); /* a class body runs with its module */
        expect(w, "lib.K.method", true);
        expect(w, "lib.K.unnamed", false);
        expect(w, "lib.K.__init__", true);
        expect(w, "lib.Unused", true);           /* its body runs at import... */
        expect(w, "lib.Unused.__init__", false); /* ...but nothing makes one */
        expect(w, "lib.Unused.method", false);   /* though `method` is used on a K */
        expect(w, "lib.Unused.TABLE", false);
        expect(w, "lib.never", false);
        expect(w, "lib.main_only", false); /* named only where lib is the program */
        expect(w, "other.imported", true); /* from other import imported */
        expect(w, "other.not_imported", false);

        /* a name used later reaches what waited for it, nested defs with their parent */
        pyreach_use(w->pr, "outer");
        drain(w, mods);
        expect(w, "lib.outer", true);
        expect(w, "lib.outer.inner", true); /* `return inner` in outer */
        expect(w, "lib.never", false);
}

static void test_prefixes_plugins_and_modes(void **state)
{
        struct world *w = *state;
        static const char *const mods[] = {"visitor", "plugin", "star", "all", "top"};
        add(w, "visitor",
            "class V:\n    def visit(self, node):\n"
            "        return getattr(self, 'visit_' + type(node).__name__)(node)\n"
            "    def visit_Name(self, node):\n        pass\n"
            "    def other(self):\n        pass\n"
            "V().visit(x)\n",
            PYREACH_REACHABLE);
        add(w, "plugin", "def hook():\n    pass\n", PYREACH_REACHABLE);
        add(w, "star", "def exported():\n    pass\n", PYREACH_REACHABLE);
        add(w, "all", "def anything():\n    pass\n", PYREACH_ALL);
        add(w, "top", "def called():\n    pass\ncalled()\n", PYREACH_TOP);
        drain(w, mods);
        expect(w, "visitor.V.visit", true);
        expect(w, "visitor.V.visit_Name", true); /* "visit_" + … */
        expect(w, "visitor.V.other", false);
        expect(w, "plugin.hook", false);
        expect(w, "star.exported", false);
        expect(w, "all.anything", true);
        expect(w, "top.called", false);      /* shallow: no def at all */
        pyreach_reflective(w->pr, "plugin"); /* loaded by name: its loader looks hook up */
        pyreach_from(w->pr, "star", "*");
        drain(w, mods);
        expect(w, "plugin.hook", true);
        expect(w, "star.exported", true);
        size_t defs, reached;
        pyreach_counts(w->pr, &defs, &reached);
        assert_int_equal(defs, 7);
        assert_int_equal(reached, 5);
}

/* A table of functions reaches them only where the table is used; a binding that calls
 * something runs at import and reaches what it names at once. */
static void test_bindings(void **state)
{
        struct world *w = *state;
        static const char *const mods[] = {"__main__", "arch"};
        add(w, "__main__", "import arch\narch.unpack(x)\n", PYREACH_ALL);
        add(w, "arch",
            "def _untar():\n    import tarfile\n"
            "def _unzip():\n    import zipfile\n"
            "def _setup():\n    pass\n"
            "_UNPACK = {'tar': _untar}\n"
            "_MAKE = {'zip': _unzip}\n"
            "_UNPACK['gz'] = _untar\n"
            "_READY = register(_setup)\n"
            "def unpack(f):\n    return _UNPACK[f]\n"
            "def make(f):\n    return _MAKE[f]\n",
            PYREACH_REACHABLE);
        drain(w, mods);
        expect(w, "arch.unpack", true);
        expect(w, "arch._UNPACK", true); /* both bindings of the name */
        expect(w, "arch._untar", true);
        expect(w, "arch.make", false);
        expect(w, "arch._MAKE", false);
        expect(w, "arch._unzip", false);
        expect(w, "arch._setup", true); /* named by a statement that calls */
        size_t defs, reached;
        pyreach_counts(w->pr, &defs, &reached); /* bindings are not defs */
        assert_int_equal(defs, 5);
        assert_int_equal(reached, 3);
}

/* A module marked reflective before it is scanned is a plugin from the start; a name C code
 * holds reaches defs of every module. */
static void test_before_the_module(void **state)
{
        struct world *w = *state;
        static const char *const mods[] = {"late", "c_user"};
        pyreach_reflective(w->pr, "late");
        pyreach_use(w->pr, "find_class");
        add(w, "late", "def anything():\n    pass\n", PYREACH_REACHABLE);
        add(w, "c_user",
            "class U:\n    def find_class(self):\n        pass\n    def nope(self):\n        "
            "pass\nINSTANCE = U()\n",
            PYREACH_REACHABLE);
        drain(w, mods);
        expect(w, "late.anything", true);
        expect(w, "c_user.U.find_class", true);
        expect(w, "c_user.U.nope", false);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_names_reach_defs, setup, teardown),
            cmocka_unit_test_setup_teardown(test_prefixes_plugins_and_modes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_before_the_module, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bindings, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
