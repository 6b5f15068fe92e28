/* The Python closure beyond import statements, over a generated image namespace: computed
 * imports narrowed by literals (with a prefix, with __import__'s level, with none, a whole
 * package when no literal names one, a listed package directory), codecs through the alias
 * table, entry points across two distributions, distribution metadata by name, ctypes names,
 * absolute paths, gettext catalogues, extension modules' strings, alias importers and package
 * data behind a link to another directory. Every mechanism's reason kind is checked. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/core/imagens.h"
#include "distill/python/pymodules.h"
#include "distill/python/pyprobe.h"
#include "fixture.h"

#define LIB  "/usr/lib/python3.11"
#define DIST "/usr/lib/python3/dist-packages"

struct recorder {
        struct imagens *ns;
        struct strmap kept;  /* path → reason kind name */
        struct strvec calls; /* keep_library / keep_data_path calls */
        struct strvec warnings;
};

static int rec_keep(void *ud, const char *path, enum plan_reason_kind kind, const char *from,
                    const char *detail, struct distill_error *err)
{
        (void)from;
        (void)detail;
        struct recorder *r = ud;
        struct imagens_resolved res = {0};
        int rc = imagens_resolve(r->ns, path, true, &res, err);
        bool found = rc == 0 && res.node;
        if (found && !strmap_has(&r->kept, res.node->path))
                strmap_put(&r->kept, res.node->path, (void *)plan_reason_name(kind));
        imagens_resolved_release(&res);
        return rc < 0 ? rc : found;
}

static int rec_read(void *ud, const char *path, char **data, size_t *len, struct distill_error *err)
{
        struct recorder *r = ud;
        struct imagens_resolved res = {0};
        int rc = imagens_resolve(r->ns, path, true, &res, err);
        if (rc < 0)
                return rc;
        assert_non_null(res.node);
        rc = read_file_capped(res.node->src_path, 1 << 20, data, len);
        imagens_resolved_release(&res);
        assert_int_equal(rc, 0);
        return 0;
}

static void rec_warn(void *ud, char *msg)
{
        struct recorder *r = ud;
        strvec_push_nodup(&r->warnings, msg);
}

static int rec_strings(void *ud, const char *path, struct strvec *out, struct distill_error *err)
{
        (void)ud;
        (void)err;
        /* what an extension module's read-only data holds: imports, and identifiers */
        static const char *const strings[] = {"numbers", "readline", "_helper", "pkg3.other",
                                              "test",    "append",   "x"};
        if (strstr(path, "_speed"))
                for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++)
                        strvec_push(out, strings[i]);
        return 0;
}

static int rec_library(void *ud, const char *name, bool find_library, const char *from,
                       const char *detail, struct distill_error *err)
{
        (void)from;
        (void)detail;
        (void)err;
        struct recorder *r = ud;
        strvec_push_nodup(
            &r->calls, xasprintf("library %s %s", name, find_library ? "find_library" : "dlopen"));
        return 1;
}

static int rec_data_path(void *ud, const char *path, const char *from, const char *detail,
                         struct distill_error *err)
{
        (void)from;
        (void)detail;
        (void)err;
        struct recorder *r = ud;
        strvec_push_nodup(&r->calls, xasprintf("path %s", path));
        return 1;
}

static char *dir;
static struct recorder rec;

static void put(const char *rel, const char *text)
{
        char *p = xasprintf("%s/tree%s", dir, rel);
        fixture_write(p, text);
        free(p);
}

static int setup(void **state)
{
        (void)state;
        dir = fixture_tmpdir();
        put("/app/main.py", "import importlib, codecs, ctypes, ctypes.util, gettext\n"
                            "from importlib.metadata import entry_points, version\n"
                            "import pkg, pkg2, pkg3._speed, pkg4, pkg5.data, pkg6\n"
                            "from aliaspkg.moves import q\n"
                            "import aliaspkg.moves.realmod2\n"
                            "print('x'.encode('sjis'))\n"
                            "codecs.lookup('euc-jp')\n"
                            "eps = entry_points(group='myapp.plugins')\n"
                            "v = version('Some-Dist')\n"
                            "ctypes.CDLL('libfoo.so.1')\n"
                            "ctypes.util.find_library('bar')\n"
                            "open('/usr/share/pkgdata/file.txt')\n"
                            "gettext.translation('dom')\n"
                            "TABLE = ['local_a']\n"
                            "importlib.import_module(TABLE[0])\n"
                            "import pkg7, pkg8, pkg8._vendored.loader, pkg9.sub\n"
                            "pkg9.sub.get('nine')\n"
                            "import pkgloc\nLOCALE = 'pt_BR'\n"
                            "pkg.load('json'); pkg2.load(x); pkg5.data.load(code)\n"
                            "pkg8._vendored.loader.load(x)\n"
                            "import pkgreach\npkgreach.used()\nimport pkgfb\n"
                            "import excluded_pkg.sub\n"
                            "for n in ['baz']:\n    ctypes.util.find_library(n)\n");
        put("/app/local_a.py", "");
        put("/app/local_b.py", "");
        put(LIB "/os.py", "");
        /* the stdlib modules the app imports, empty */
        put(LIB "/importlib/__init__.py", "");
        put(LIB "/importlib/metadata/__init__.py", "");
        put(LIB "/codecs.py", "");
        put(LIB "/ctypes/__init__.py", "");
        put(LIB "/ctypes/util.py", "");
        put(LIB "/gettext.py", "");
        put(LIB "/pkgutil.py", "");
        put(LIB "/numbers.py", "");
        put(LIB "/lib-dynload/readline.cpython-311-x86_64-linux-gnu.so", "ELF");
        put(LIB "/test/__init__.py", "");
        put(LIB "/encodings/__init__.py",
            "def search_function(name):\n    return __import__('encodings.' + name)\n");
        put(LIB "/encodings/shift_jis.py", "");
        put(LIB "/encodings/euc_jp.py", "");
        put(LIB "/encodings/big5.py", "");
        put(DIST "/pkg/__init__.py",
            "import importlib\nBACKENDS = {'json': 'JsonB'}\n"
            "def load(n):\n    return importlib.import_module(f'pkg.backends.{n}')\n");
        put(DIST "/pkg/backends/__init__.py", "");
        put(DIST "/pkg/backends/json.py", "");
        put(DIST "/pkg/backends/yaml.py", "");
        put(DIST "/pkg2/__init__.py", "import importlib\ndef load(n):\n"
                                      "    return importlib.import_module('pkg2.plugins.' + n)\n");
        put(DIST "/pkg2/plugins/__init__.py", "");
        put(DIST "/pkg2/plugins/one.py", "");
        put(DIST "/pkg2/plugins/two.py", "");
        put(DIST "/pkg3/__init__.py", "");
        put(DIST "/pkg3/_speed.cpython-311-x86_64-linux-gnu.so", "ELF");
        put(DIST "/pkg3/_helper.py", "");
        put(DIST "/pkg3/other.py", "");
        put(DIST "/pkg3/append.py", "");
        put(DIST "/pkg4/__init__.py", "");
        put("/usr/share/pkg4-data/f1.txt", "data");
        put("/usr/share/pkg4-data/sub/f2.txt", "data");
        put(DIST "/pkg5/__init__.py", "");
        put(DIST "/pkg5/data/__init__.py",
            "_CODES = ['AC', 'AD']\n"
            "def load(c):\n    if c in _CODES:\n"
            "        return __import__('region_%s' % c, globals(), locals(), [], 1)\n");
        put(DIST "/pkg5/data/region_AC.py", "");
        put(DIST "/pkg5/data/region_AD.py", "");
        put(DIST "/pkg5/data/region_ZZ.py", "");
        put(DIST "/pkg6/__init__.py", "import pkgutil, importlib\n"
                                      "for m in pkgutil.iter_modules(__path__):\n"
                                      "    importlib.import_module(__name__ + '.' + m.name)\n");
        put(DIST "/pkg6/alpha.py", "");
        put(DIST "/pkg6/beta/__init__.py", "");
        put(DIST "/aliaspkg.py",
            "import sys\n"
            "_moved = [\n    Moved('q', 'OldQ', 'realmod'),\n    Moved('r', 'OldR', 'big5'),\n]\n"
            "sys.meta_path.append(_Importer())\n");
        put(DIST "/realmod.py", "");
        put(DIST "/excluded_pkg/__init__.py", "import only_for_excluded\n");
        put(DIST "/excluded_pkg/sub.py", "");
        put(DIST "/only_for_excluded.py", "");
        put(DIST "/pkg7/__init__.py",
            "NATIVE = ['pkg7._native']\nLOADED = [_load(n) for n in NATIVE]\n");
        put(DIST "/pkg7/_native.cpython-311-x86_64-linux-gnu.so", "ELF");
        put(DIST "/pkg7/_unnamed.cpython-311-x86_64-linux-gnu.so", "ELF");
        put(DIST "/pkg8/__init__.py",
            "EXPORTS = {'path': '._impl.local:Local'}\ninitpkg(__name__, EXPORTS)\n");
        put(DIST "/pkg8/_vendored/__init__.py", "");
        put(DIST "/pkg8/_vendored/loader.py", "def load(n):\n    return __import__(n)\n");
        put(DIST "/pkg8/_impl/__init__.py", "");
        put(DIST "/pkg8/_impl/local.py", "");
        put(DIST "/realmod2.py", "");
        /* only what the app can reach: the def it calls, not the one nothing names */
        put(DIST "/pkgreach/__init__.py", "def used():\n    import pkgreach.light\n"
                                          "def unused():\n    import pkgreach.heavy\n");
        put(DIST "/pkgreach/light.py", "");
        /* `from . import native` names no submodule: the fallback may run */
        put(DIST "/pkgfb/__init__.py", "try:\n    from . import native\nexcept ImportError:\n"
                                       "    import fallbackmod\n");
        put(DIST "/fallbackmod.py", "");
        put(DIST "/pkgreach/heavy.py", "");
        /* a base class joins a prefix a subclass in another module sets to a name */
        put(DIST "/pkg9/__init__.py",
            "import importlib\nclass Importer:\n    packages = ('pkg9.langs.', '')\n"
            "    def __call__(self, n):\n"
            "        for p in self.packages:\n            importlib.import_module(p + n)\n");
        put(DIST "/pkg9/sub.py", "import pkg9\nclass SubImporter(pkg9.Importer):\n"
                                 "    packages = ('pkg9.sublangs.', '')\nget = SubImporter()\n");
        put(DIST "/pkg9/langs/__init__.py", "");
        put(DIST "/pkg9/langs/nine.py", "");
        put(DIST "/pkg9/langs/ten.py", "");
        put(DIST "/pkg9/sublangs/__init__.py", "");
        put(DIST "/pkg9/sublangs/nine.py", "");
        put(DIST "/a-1.0.dist-info/entry_points.txt",
            "[myapp.plugins]\np1 = plugmod_a:run\n\n[console_scripts]\ntool = nope:main\n");
        put(DIST "/a-1.0.dist-info/METADATA", "Name: a\n");
        put(DIST "/b-2.0.dist-info/entry_points.txt",
            "# comment\n[myapp.plugins]\n  p2 = plugmod_b.sub:x [extra]\n");
        put(DIST "/some_dist-1.0.dist-info/METADATA", "Name: Some-Dist\n");
        put(DIST "/other_dist-1.0.dist-info/METADATA", "Name: other\n");
        put(DIST "/plugmod_a.py", "");
        put(DIST "/plugmod_b/__init__.py", "");
        put(DIST "/plugmod_b/sub.py", "");
        put(DIST "/nope.py", "");
        put("/usr/share/locale/de/LC_MESSAGES/dom.mo", "mo");
        put("/usr/share/locale/fr/LC_MESSAGES/dom.mo", "mo");
        assert_int_equal(fixture_sh("ln -s /usr/share/pkg4-data %s/tree" DIST "/pkg4/data", dir),
                         0);
        /* CLDR-style locale data behind a link, as Debian's babel has it */
        put(DIST "/pkgloc/__init__.py", "");
        static const char *const locales[] = {
            "af", "am",    "ar",    "bg",    "ca",    "cs", "da", "de",         "de_AT", "el",
            "es", "es_MX", "fi",    "fr",    "fr_CA", "he", "hu", "it",         "ja",    "ko",
            "nl", "pt",    "pt_BR", "pt_PT", "ru",    "sv", "zh", "zh_Hant_HK", "root"};
        for (size_t i = 0; i < sizeof(locales) / sizeof(*locales); i++) {
                char *f = xasprintf("/usr/share/pkgloc-data/locale-data/%s.dat", locales[i]);
                put(f, "cldr");
                free(f);
        }
        assert_int_equal(fixture_sh("ln -s /usr/share/pkgloc-data/locale-data %s/tree" DIST
                                    "/pkgloc/locale-data",
                                    dir),
                         0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        fixture_cleanup(dir);
        free(dir);
        return 0;
}

static void expect(const char *path, const char *kind)
{
        const char *got = strmap_get(&rec.kept, path);
        if (!kind) {
                if (got)
                        fail_msg("%s kept (%s), expected not", path, got);
                return;
        }
        if (!got)
                fail_msg("%s not kept, expected %s", path, kind);
        if (strcmp(got, kind) != 0)
                fail_msg("%s kept as %s, expected %s", path, got, kind);
}

static void test_closure_beyond_import_statements(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct py_probe probe;
        assert_int_equal(pyprobe_from_table("3.11", "amd64", &probe, &err), 0);
        strmap_put(&probe.codec_aliases, "sjis", xstrdup("shift_jis"));
        rec.ns = imagens_new();
        char *tree = xasprintf("%s/tree", dir);
        assert_int_equal(fixture_imagens_add_tree(rec.ns, tree, &err), 0);
        free(tree);

        struct pymodules_options opt = {.depth = PYMODULES_DEEP, .main_dir = "/app"};
        strvec_push(&opt.app_dirs, "/app");
        strvec_push(&opt.locales, "de_DE.UTF-8");
        struct pymodules_cb cb = {.ud = &rec,
                                  .keep = rec_keep,
                                  .read = rec_read,
                                  .warn = rec_warn,
                                  .elf_strings = rec_strings,
                                  .keep_library = rec_library,
                                  .keep_data_path = rec_data_path};
        struct pymodules *pm = pymodules_new(rec.ns, &probe, &opt, &cb);
        pymodules_ignore_computed_in(pm, "encodings");
        pymodules_exclude(pm, "pkg2.plugins.tw?");
        pymodules_exclude(pm, "excluded_pkg");
        pymodules_add_script(pm, "/app/main.py", "__main__", true);
        int r;
        while ((r = pymodules_drain(pm, &err)) > 0)
                ;
        if (r < 0)
                fail_msg("%s", err.msg);
        pymodules_finish(pm);

        /* computed imports */
        expect(DIST "/pkg/backends/json.py", "python-computed-import");
        expect(DIST "/pkg/backends/yaml.py", NULL);
        expect(DIST "/pkg2/plugins/one.py", "python-computed-import");
        expect(DIST "/pkg2/plugins/two.py", NULL); /* python.exclude-modules */
        expect(DIST "/pkg5/data/region_AC.py", "python-computed-import");
        expect(DIST "/pkg5/data/region_AD.py", "python-computed-import");
        expect(DIST "/pkg5/data/region_ZZ.py", NULL);
        expect(DIST "/pkg6/alpha.py", "python-computed-import");
        expect(DIST "/pkg6/beta/__init__.py", "python-computed-import");
        expect("/app/local_a.py", "python-computed-import");
        expect("/app/local_b.py", NULL); /* no literal names it */
        expect(DIST "/pkg7/_native.cpython-311-x86_64-linux-gnu.so", "python-computed-import");
        expect(DIST "/pkg7/_unnamed.cpython-311-x86_64-linux-gnu.so", NULL);
        expect(DIST "/pkg8/_impl/local.py", "python-computed-import");
        expect(DIST "/pkg9/langs/nine.py", "python-computed-import");
        expect(DIST "/pkg9/sublangs/nine.py", "python-computed-import");
        expect(DIST "/pkg9/langs/ten.py", NULL);
        /* imports in defs: those the app reaches */
        expect(DIST "/pkgreach/light.py", "python-import");
        expect(DIST "/pkgreach/heavy.py", NULL);
        expect(DIST "/fallbackmod.py", "python-import");
        /* codecs through the alias table and normalisation; the registry itself is ignored */
        expect(LIB "/encodings/shift_jis.py", "python-codec");
        expect(LIB "/encodings/euc_jp.py", "python-codec");
        expect(LIB "/encodings/big5.py", NULL);
        /* entry points of one group across two distributions, with their metadata */
        expect(DIST "/plugmod_a.py", "python-entry-point");
        expect(DIST "/plugmod_b/sub.py", "python-entry-point");
        expect(DIST "/a-1.0.dist-info/entry_points.txt", "python-entry-point");
        expect(DIST "/b-2.0.dist-info/entry_points.txt", "python-entry-point");
        expect(DIST "/nope.py", NULL);
        expect(DIST "/some_dist-1.0.dist-info/METADATA", "python-metadata");
        expect(DIST "/other_dist-1.0.dist-info/METADATA", NULL);
        /* an extension module's strings: imports and own private siblings, not identifiers */
        expect(LIB "/numbers.py", "python-c-import");
        expect(DIST "/pkg3/_helper.py", "python-c-import");
        expect(DIST "/pkg3/other.py", "python-c-import");
        expect(LIB "/lib-dynload/readline.cpython-311-x86_64-linux-gnu.so", NULL);
        expect(DIST "/pkg3/append.py", NULL);
        expect(LIB "/test/__init__.py", NULL);
        /* the alias importer's table and the rest of the name */
        expect(DIST "/realmod.py", "python-alias-import");
        expect(DIST "/realmod2.py", "python-alias-import");
        /* package data behind a link to another directory */
        expect("/usr/share/pkg4-data/f1.txt", "python-import");
        expect("/usr/share/pkg4-data/sub/f2.txt", "python-import");
        /* locale-named data: the image env's language (de), the app's (pt) and root */
        const char *L = "/usr/share/pkgloc-data/locale-data/";
        static const char *const kept_locales[] = {"de", "de_AT", "pt", "pt_BR", "pt_PT", "root"};
        static const char *const other_locales[] = {"fr", "fr_CA", "zh_Hant_HK", "es", "en"};
        for (size_t i = 0; i < sizeof(kept_locales) / sizeof(*kept_locales); i++) {
                char *f = xasprintf("%s%s.dat", L, kept_locales[i]);
                expect(f, "python-import");
                free(f);
        }
        for (size_t i = 0; i < sizeof(other_locales) / sizeof(*other_locales); i++) {
                char *f = xasprintf("%s%s.dat", L, other_locales[i]);
                expect(f, NULL);
                free(f);
        }
        /* gettext catalogues of the image's locales only */
        expect("/usr/share/locale/de/LC_MESSAGES/dom.mo", "python-data-path");
        expect("/usr/share/locale/fr/LC_MESSAGES/dom.mo", NULL);
        /* ctypes names and paths go to select */
        assert_true(strvec_contains(&rec.calls, "library libfoo.so.1 dlopen"));
        assert_true(strvec_contains(&rec.calls, "library bar find_library"));
        assert_true(strvec_contains(&rec.calls, "library baz find_library"));
        assert_true(strvec_contains(&rec.calls, "path /usr/share/pkgdata/file.txt"));
        /* excluded: neither the modules nor what only they import; each reported */
        expect(DIST "/excluded_pkg/__init__.py", NULL);
        expect(DIST "/only_for_excluded.py", NULL);
        bool reported = false;
        for (size_t i = 0; i < rec.warnings.n; i++)
                reported = reported || strstr(rec.warnings.v[i], "module excluded_pkg excluded");
        assert_true(reported);
        /* every computed import was narrowed */
        for (size_t i = 0; i < rec.warnings.n; i++)
                assert_false(strncmp(rec.warnings.v[i], "computed import", 15) == 0);

        pymodules_free(pm);
        imagens_free(rec.ns);
        strmap_clear(&rec.kept, NULL);
        strvec_clear(&rec.calls);
        strvec_clear(&rec.warnings);
        strvec_clear(&opt.app_dirs);
        strvec_clear(&opt.locales);
        py_probe_release(&probe);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_closure_beyond_import_statements),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
