/* pydist: the path and Contents-line grammar on real-shaped lines, an index from generated
 * Contents text and a generated dpkg root, and the host's own dpkg database against
 * importlib.metadata and dpkg as oracles. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/names.h"
#include "distill/convert/pydist.h"
#include "distill/source/source.h"
#include "fixture.h"

static char *norm(const char *s)
{
        return pep503_normalize(s, strlen(s));
}

static void test_normalize_against_python(void **state)
{
        (void)state;
        static const char *const names[] = {"Flask",
                                            "typing_extensions",
                                            "lazr.restfulclient",
                                            "A__b-.c",
                                            "_x_",
                                            "zope.interface",
                                            "PyYAML",
                                            "ruamel.yaml.clib",
                                            "a",
                                            "--.-",
                                            "Foo-_-Bar",
                                            "charset_normalizer"};
        char *dir = fixture_tmpdir();
        char *in = xasprintf("%s/names", dir);
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                strbuf_addf(&sb, "%s\n", names[i]);
        fixture_write(in, sb.buf);
        strbuf_release(&sb);
        /* PEP 503's own definition, run by the interpreter */
        char *want = fixture_sh_out(
            "/usr/bin/python3.11 -c 'import re,sys\n"
            "for l in open(sys.argv[1]): print(re.sub(r\"[-_.]+\", \"-\", l.strip()).lower())' %s",
            in);
        assert_non_null(want);
        char *line = want;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char *nl = strchr(line, '\n');
                assert_non_null(nl);
                *nl = '\0';
                char *got = norm(names[i]);
                assert_string_equal(got, line);
                free(got);
                line = nl + 1;
        }
        free(want);
        free(in);
        fixture_cleanup(dir);
        free(dir);
}

/* parse one path: NULL want_name for "not a distribution" */
static void expect_path(const char *path, const char *want_name, const char *want_version,
                        const char *want_info)
{
        char *name, *version, *info;
        int r = pydist_parse_path(path, strlen(path), &name, &version, &info);
        if (!want_name) {
                if (r != 0)
                        fail_msg("%s: parsed as %s", path, name);
                assert_null(name);
                return;
        }
        if (r != 1)
                fail_msg("%s: not parsed", path);
        assert_string_equal(name, want_name);
        if (want_version)
                assert_string_equal(version, want_version);
        else
                assert_null(version);
        assert_string_equal(info, want_info);
        free(name);
        free(version);
        free(info);
}

static void test_path_forms(void **state)
{
        (void)state;
        /* every form the host's lists and bookworm's Contents have */
        expect_path("/usr/lib/python3/dist-packages/Flask-2.2.2.egg-info", "flask", "2.2.2",
                    "/usr/lib/python3/dist-packages/Flask-2.2.2.egg-info");
        expect_path("usr/lib/python3/dist-packages/Flask-2.2.2.egg-info/PKG-INFO", "flask", "2.2.2",
                    "/usr/lib/python3/dist-packages/Flask-2.2.2.egg-info");
        expect_path("/usr/lib/python3/dist-packages/typing_extensions-4.4.0.dist-info/METADATA",
                    "typing-extensions", "4.4.0",
                    "/usr/lib/python3/dist-packages/typing_extensions-4.4.0.dist-info");
        expect_path("/usr/lib/python3/dist-packages/pluggy-1.0.0+repack.egg-info", "pluggy",
                    "1.0.0+repack", "/usr/lib/python3/dist-packages/pluggy-1.0.0+repack.egg-info");
        expect_path("/usr/lib/python3/dist-packages/lazr.restfulclient-0.14.5.egg-info",
                    "lazr-restfulclient", "0.14.5",
                    "/usr/lib/python3/dist-packages/lazr.restfulclient-0.14.5.egg-info");
        expect_path("/usr/lib/python3/dist-packages/cryptography.egg-info/PKG-INFO", "cryptography",
                    NULL, "/usr/lib/python3/dist-packages/cryptography.egg-info");
        expect_path("/usr/lib/python3/dist-packages/foo-1.2-py3.11.egg-info", "foo", "1.2",
                    "/usr/lib/python3/dist-packages/foo-1.2-py3.11.egg-info");
        expect_path("/usr/lib/python3.11/dist-packages/Bar_Baz-0.1.dist-info/RECORD", "bar-baz",
                    "0.1", "/usr/lib/python3.11/dist-packages/Bar_Baz-0.1.dist-info");
        expect_path("/usr/lib/python3.12/dist-packages/x-1~rc1.dist-info", "x", "1~rc1",
                    "/usr/lib/python3.12/dist-packages/x-1~rc1.dist-info");
        /* bookworm's Contents has these too: an epoch, a build's -pyX.Y, a placeholder */
        expect_path("usr/lib/python3/dist-packages/efilter-1!1.5.egg-info/PKG-INFO", "efilter",
                    "1!1.5", "/usr/lib/python3/dist-packages/efilter-1!1.5.egg-info");
        expect_path("usr/lib/python3/dist-packages/NEURON-8.2.2-py3.11.egg-info", "neuron", "8.2.2",
                    "/usr/lib/python3/dist-packages/NEURON-8.2.2-py3.11.egg-info");
        expect_path("usr/lib/python3/dist-packages/colorcet-None.egg-info", "colorcet", "None",
                    "/usr/lib/python3/dist-packages/colorcet-None.egg-info");
        /* not Python 3's dist-packages, or not directly in it */
        expect_path("/usr/lib/pypy3/dist-packages/foo-1.0.dist-info", NULL, NULL, NULL);
        expect_path("/usr/lib/pypy3.9/dist-packages/foo-1.0.dist-info", NULL, NULL, NULL);
        expect_path("/usr/lib/python2.7/dist-packages/foo-1.0.egg-info", NULL, NULL, NULL);
        expect_path("/usr/lib/python3/site-packages/foo-1.0.dist-info", NULL, NULL, NULL);
        expect_path("/usr/lib/python3./dist-packages/foo-1.0.dist-info", NULL, NULL, NULL);
        expect_path("/usr/lib/python3/dist-packages/foo/bar-1.0.dist-info", NULL, NULL, NULL);
        expect_path("/usr/lib/python3/dist-packages/foo-1.0.dist-infox", NULL, NULL, NULL);
        expect_path("/usr/lib/python3/dist-packages/.dist-info", NULL, NULL, NULL);
        expect_path("/usr/lib/python3/dist-packages/-1.0.dist-info", NULL, NULL, NULL);
        expect_path("/usr/lib/python3/dist-packages/f\x01o-1.dist-info", NULL, NULL, NULL);
        expect_path("/usr/lib/python3/dist-packages", NULL, NULL, NULL);
        expect_path("/usr/local/lib/python3.11/dist-packages/foo-1.0.dist-info", NULL, NULL, NULL);
}

static void expect_line(const char *line, int want, const char *want_path,
                        const char *want_pkgs /* comma-joined */)
{
        char *path = NULL;
        struct strvec pkgs = STRVEC_INIT;
        int r = pydist_parse_contents_line(line, strlen(line), &path, &pkgs);
        if (r != want)
                fail_msg("\"%s\": %d, want %d", line, r, want);
        if (want == 1) {
                assert_string_equal(path, want_path);
                struct strbuf sb = STRBUF_INIT;
                for (size_t i = 0; i < pkgs.n; i++)
                        strbuf_addf(&sb, "%s%s", i ? "," : "", pkgs.v[i]);
                assert_string_equal(strbuf_str(&sb), want_pkgs);
                strbuf_release(&sb);
        } else {
                assert_null(path);
                assert_int_equal(pkgs.n, 0);
        }
        free(path);
        strvec_clear(&pkgs);
}

static void test_contents_lines(void **state)
{
        (void)state;
        expect_line("usr/lib/python3/dist-packages/Flask-2.2.2.egg-info/PKG-INFO"
                    "                python/python3-flask",
                    1, "usr/lib/python3/dist-packages/Flask-2.2.2.egg-info/PKG-INFO",
                    "python3-flask");
        expect_line("usr/share/doc/x/README\tdoc/aa,non-free/doc/b0,contrib/libs/c-d.e+f\r\n", 1,
                    "usr/share/doc/x/README", "aa,b0,c-d.e+f");
        expect_line("usr/share/my file  with spaces   misc/pkg", 1,
                    "usr/share/my file  with spaces", "pkg");
        expect_line("etc/uselvm debian-installer/debian-edu-profile-udeb", 1, "etc/uselvm",
                    "debian-edu-profile-udeb");
        /* what is not a Contents line */
        expect_line("FILE                                                    LOCATION", 0, NULL,
                    NULL);
        expect_line("the package from which it originates.  It includes packages from the", 0, NULL,
                    NULL);
        expect_line("", 0, NULL, NULL);
        expect_line("   \t", 0, NULL, NULL);
        expect_line("usr/bin/lonely", 0, NULL, NULL);
        expect_line("   python/python3-flask", 0, NULL, NULL);
        expect_line("usr/bin/x python/", -1, NULL, NULL);
        expect_line("usr/bin/x python/Bad_Name", -1, NULL, NULL);
        expect_line("usr/bin/x python/ok,python/B", -1, NULL, NULL);
}

/* A Contents index as an old archive writes it: prose, FILE LOCATION, then sorted lines. */
static const char CONTENTS[] =
    "This file maps each file available in the Debian GNU/Linux system to\n"
    "the package from which it originates.  It includes packages from the\n"
    "DIST distribution for the ARCH architecture.\n"
    "\n"
    " $ zgrep -i debian/ Contents-amd64.gz\n"
    " usr/share/R/debian/r-cran.mk                                devel/r-base-dev\n"
    "\n"
    "FILE                                                    LOCATION\n"
    "usr/bin/flask                                           python/python3-flask\n"
    "usr/lib/pypy3/dist-packages/Flask-2.2.2.dist-info/METADATA  python/pypy3-flask\n"
    "usr/lib/python2.7/dist-packages/Flask-1.0.egg-info      python/python-flask\n"
    "usr/lib/python3/dist-packages/Flask-2.2.2.egg-info/PKG-INFO python/python3-flask\n"
    "usr/lib/python3/dist-packages/Flask-2.2.2.egg-info/requires.txt python/python3-flask\n"
    "usr/lib/python3/dist-packages/cryptography-38.0.4.dist-info/METADATA "
    "python/python3-cryptography\n"
    "usr/lib/python3/dist-packages/cryptography.egg-info/PKG-INFO python/python3-cryptography\n"
    "usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info admin/python3-apt\n"
    "usr/lib/python3/dist-packages/zope.interface-5.5.2.egg-info/PKG-INFO "
    "python/python3-zope.interface,non-free/python/python3-zope-compat\n"
    "usr/lib/python3.11/dist-packages/zope.interface-5.5.2.dist-info/RECORD "
    "python/python3.11-zope\n";

static void expect_entry(const struct pydist_entry *e, const char *name, const char *version,
                         const char *package, const char *path)
{
        assert_string_equal(e->name, name);
        if (version)
                assert_string_equal(e->version, version);
        else
                assert_null(e->version);
        assert_string_equal(e->package, package);
        assert_string_equal(e->path, path);
}

static void test_contents_index(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *a = xasprintf("%s/a", dir), *b = xasprintf("%s/b", dir);
        fixture_write(a, CONTENTS);
        /* the same entry in a second index (another suite) is one entry */
        fixture_write(b, "usr/lib/python3/dist-packages/Flask-2.2.2.egg-info/top_level.txt "
                         "python/python3-flask\n"
                         "usr/lib/python3/dist-packages/Flask-3.0.0.dist-info/METADATA "
                         "python/python3-flask\n");
        const char *paths[] = {a, b};
        struct pydist_index *idx = NULL;
        struct distill_error err = {0};
        int r = pydist_index_contents(paths, 2, &idx, &err);
        if (r)
                fail_msg("%s", err.msg);

        size_t n;
        const struct pydist_entry *e = pydist_lookup(idx, "flask", &n);
        assert_int_equal(n, 2); /* not pypy's, not python2's; two versions of python3-flask */
        expect_entry(&e[0], "flask", "2.2.2", "python3-flask",
                     "/usr/lib/python3/dist-packages/Flask-2.2.2.egg-info");
        expect_entry(&e[1], "flask", "3.0.0", "python3-flask",
                     "/usr/lib/python3/dist-packages/Flask-3.0.0.dist-info");
        e = pydist_lookup(idx, "cryptography", &n);
        assert_int_equal(n, 2);
        expect_entry(&e[0], "cryptography", "38.0.4", "python3-cryptography",
                     "/usr/lib/python3/dist-packages/cryptography-38.0.4.dist-info");
        expect_entry(&e[1], "cryptography", NULL, "python3-cryptography",
                     "/usr/lib/python3/dist-packages/cryptography.egg-info");
        e = pydist_lookup(idx, "python-apt", &n);
        assert_int_equal(n, 1);
        expect_entry(&e[0], "python-apt", "2.6.0", "python3-apt",
                     "/usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info");
        /* several packages ship one name: all of them, by package then path */
        e = pydist_lookup(idx, "zope-interface", &n);
        assert_int_equal(n, 3);
        expect_entry(&e[0], "zope-interface", "5.5.2", "python3-zope-compat",
                     "/usr/lib/python3/dist-packages/zope.interface-5.5.2.egg-info");
        expect_entry(&e[1], "zope-interface", "5.5.2", "python3-zope.interface",
                     "/usr/lib/python3/dist-packages/zope.interface-5.5.2.egg-info");
        expect_entry(&e[2], "zope-interface", "5.5.2", "python3.11-zope",
                     "/usr/lib/python3.11/dist-packages/zope.interface-5.5.2.dist-info");
        /* the lookup takes the normalised name only */
        assert_null(pydist_lookup(idx, "Flask", &n));
        assert_int_equal(n, 0);
        assert_null(pydist_lookup(idx, "r-base-dev", &n));
        pydist_index_free(idx);

        /* a python line without a location, and one with a bad package: FILE:LINE */
        fixture_write(b, "usr/lib/python3/dist-packages/x-1.dist-info/METADATA python/python3-x\n"
                         "usr/lib/python3/dist-packages/y-1.dist-info/METADATA\n");
        paths[0] = b;
        assert_int_equal(pydist_index_contents(paths, 1, &idx, &err), -DISTILL_EUSAGE);
        char *want = xasprintf("%s:2: no package location", b);
        if (!strstr(err.msg, want))
                fail_msg("%s", err.msg);
        free(want);
        fixture_write(b, "usr/lib/python3/dist-packages/y-1.dist-info/METADATA python/Y_\n");
        assert_int_equal(pydist_index_contents(paths, 1, &idx, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, ":1: invalid package name"));
        paths[0] = a;
        char *missing = xasprintf("%s/nope", dir);
        paths[1] = missing;
        assert_int_equal(pydist_index_contents(paths, 2, &idx, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, missing));
        free(missing);

        free(a);
        free(b);
        fixture_cleanup(dir);
        free(dir);
}

/* The index of a sysroot's packages, read as the sysroot source reads them. */
static struct pydist_index *index_of_root(const char *root)
{
        struct source *src = NULL;
        struct pydist_index *idx = NULL;
        struct distill_error err = {0};
        if (source_open_sysroot(root, "amd64", &src, &err) < 0 ||
            pydist_index_source(src, &idx, &err) < 0)
                fail_msg("%s", err.msg);
        source_free(src);
        return idx;
}

/* A dpkg root written here: versioned and versionless entries, a Multi-Arch list name, an
 * egg-info file, and a versionless entry whose link points at the host's own files. */
static void test_sysroot_generated(void **state)
{
        (void)state;
        char *root = fixture_tmpdir();
#define DP "usr/lib/python3/dist-packages"
        assert_int_equal(
            fixture_sh("set -e; cd %s; I=var/lib/dpkg/info; "
                       "mkdir -p $I " DP "/Foo_Bar-1.2.dist-info " DP "/nover.egg-info " DP
                       "/meta.dist-info; "
                       "printf '/.\\n/usr\\n/" DP "/Foo_Bar-1.2.dist-info\\n/" DP
                       "/Foo_Bar-1.2.dist-info/METADATA\\n"
                       "/usr/lib/pypy3/dist-packages/pypy_only-1.dist-info\\n' "
                       "> $I/python3-foo.list; "
                       "printf '/" DP "/nover.egg-info\\n/" DP "/nover.egg-info/PKG-INFO\\n' "
                       "> $I/python3-nover:amd64.list; "
                       "printf 'Metadata-Version: 2.1\\nName: nover\\nversion:  0.9+dfsg \\n"
                       "\\nVersion: 666\\n' > " DP "/nover.egg-info/PKG-INFO; "
                       "printf '/" DP "/meta.dist-info\\n/" DP "/filever.egg-info\\n/" DP
                       "/escape.egg-info\\n' > $I/python3-meta.list; "
                       "printf 'Metadata-Version: 2.1\\r\\nName: meta\\r\\nVersion: 3.1\\r\\n' "
                       "> " DP "/meta.dist-info/METADATA; "
                       "printf 'Name: filever\\nVersion: 7\\n' > " DP "/filever.egg-info; "
                       "ln -s /" DP "/Flask-2.2.2.egg-info " DP "/escape.egg-info; "
                       "printf 'not a list\\n' > $I/python3-foo.md5sums; "
                       "for p in python3-foo python3-nover python3-meta; do "
                       "printf 'Package: %%s\\nStatus: install ok installed\\nArchitecture: "
                       "amd64\\nVersion: 1\\n\\n' $p; done > var/lib/dpkg/status",
                       root),
            0);
        struct pydist_index *idx = index_of_root(root);
        size_t n;
        const struct pydist_entry *e = pydist_lookup(idx, "foo-bar", &n);
        assert_int_equal(n, 1);
        expect_entry(e, "foo-bar", "1.2", "python3-foo",
                     "/usr/lib/python3/dist-packages/Foo_Bar-1.2.dist-info");
        e = pydist_lookup(idx, "nover", &n);
        assert_int_equal(n, 1);
        expect_entry(e, "nover", "0.9+dfsg", "python3-nover",
                     "/usr/lib/python3/dist-packages/nover.egg-info");
        e = pydist_lookup(idx, "meta", &n);
        assert_int_equal(n, 1);
        expect_entry(e, "meta", "3.1", "python3-meta",
                     "/usr/lib/python3/dist-packages/meta.dist-info");
        e = pydist_lookup(idx, "filever", &n);
        assert_int_equal(n, 1);
        expect_entry(e, "filever", "7", "python3-meta",
                     "/usr/lib/python3/dist-packages/filever.egg-info");
        /* the link resolves inside the root, where nothing is: the host's Flask is not read */
        e = pydist_lookup(idx, "escape", &n);
        assert_int_equal(n, 1);
        assert_null(e->version);
        assert_null(pydist_lookup(idx, "pypy-only", &n));
        pydist_index_free(idx);

        fixture_cleanup(root);
        free(root);
}

/* The host: every distribution importlib.metadata finds in /usr/lib/python3/dist-packages is in
 * the index under its normalised name, with importlib's version, owned by the package dpkg -S
 * names; and python3-flask's version agrees with dpkg-query's. */
static const char ORACLE[] =
    "import importlib.metadata as md, re\n"
    "for d in md.distributions(path=['/usr/lib/python3/dist-packages']):\n"
    "    n = re.sub(r'[-_.]+', '-', d.metadata['Name']).lower()\n"
    "    print(n, d.version, '/usr/lib/python3/dist-packages/' + d._path.name, sep='\\t')\n";

static void test_sysroot_host(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *script = xasprintf("%s/oracle.py", dir);
        fixture_write(script, ORACLE);
        char *dists = fixture_sh_out("/usr/bin/python3.11 %s | sort", script);
        assert_non_null(dists);
        char *owners = fixture_sh_out("/usr/bin/python3.11 %s | cut -f3 | xargs dpkg -S "
                                      "2>/dev/null | sort",
                                      script);
        assert_non_null(owners);

        struct pydist_index *idx = index_of_root("/");
        int checked = 0;
        for (char *line = dists; *line;) {
                char *nl = strchr(line, '\n');
                *nl = '\0';
                char *name = line, *ver = strchr(name, '\t');
                *ver++ = '\0';
                char *path = strchr(ver, '\t');
                *path++ = '\0';
                line = nl + 1;
                /* dpkg -S: "pkg[:arch]: path" */
                char *needle = xasprintf(": %s\n", path);
                char *at = strstr(owners, needle);
                free(needle);
                if (!at)
                        continue; /* not from a package (pip) */
                char *bol = at;
                while (bol > owners && bol[-1] != '\n')
                        bol--;
                char *pkg = xstrndup(bol, strcspn(bol, ":"));
                size_t n;
                const struct pydist_entry *e = pydist_lookup(idx, name, &n);
                bool found = false;
                for (size_t i = 0; i < n; i++)
                        if (strcmp(e[i].path, path) == 0) {
                                found = true;
                                assert_string_equal(e[i].package, pkg);
                                assert_non_null(e[i].version);
                                assert_string_equal(e[i].version, ver);
                        }
                if (!found)
                        fail_msg("%s (%s, %s) not in the index", name, path, pkg);
                free(pkg);
                checked++;
        }
        assert_true(checked >= 10); /* scripts/setup installs dozens */

        /* flask: python3-flask, and its Debian version's upstream part starts with the name's */
        size_t n;
        const struct pydist_entry *e = pydist_lookup(idx, "flask", &n);
        assert_int_equal(n, 1);
        assert_string_equal(e->package, "python3-flask");
        char *deb = fixture_sh_out("dpkg-query -W -f '${Version}' python3-flask | "
                                   "sed -e 's/^[0-9]*://' -e 's/-[^-]*$//'");
        assert_non_null(deb);
        char *listed = fixture_sh_out("dpkg -L python3-flask | grep -E "
                                      "'^/usr/lib/python3/dist-packages/[^/]+\\.(dist|egg)-info$'"
                                      " | tr -d '\\n'");
        assert_string_equal(e->path, listed);
        if (strncmp(deb, e->version, strlen(e->version)) != 0)
                fail_msg("dpkg says %s, the index %s", deb, e->version);
        free(deb);
        free(listed);
        pydist_index_free(idx);
        free(dists);
        free(owners);
        free(script);
        fixture_cleanup(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_normalize_against_python), cmocka_unit_test(test_path_forms),
            cmocka_unit_test(test_contents_lines),           cmocka_unit_test(test_contents_index),
            cmocka_unit_test(test_sysroot_generated),        cmocka_unit_test(test_sysroot_host),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
