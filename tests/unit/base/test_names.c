/* The name grammars against their oracles: dpkg's own validators and every name in this host's
 * package indexes and dpkg status for the Debian names, Python's str.isidentifier() for module
 * names; plus the cases on which the copies they replace disagreed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/base/names.h"
#include "distill/base/util.h"
#include "fixture.h"

struct verdict {
        const char *s;
        bool ok;
};

/* What `dpkg --validate-KIND` says of s. */
static bool dpkg_accepts(const char *kind, const char *s)
{
        return fixture_sh("dpkg --validate-%s -- '%s' >/dev/null 2>&1", kind, s) == 0;
}

static void check_table(const char *what, bool (*valid)(const char *), const struct verdict *v,
                        size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (valid(v[i].s) != v[i].ok)
                        fail_msg("%s \"%s\": %s, expected %s", what, v[i].s,
                                 v[i].ok ? "refused" : "accepted",
                                 v[i].ok ? "accepted" : "refused");
}

#define CHECK(what, fn, table) check_table(what, fn, table, sizeof(table) / sizeof(table[0]))

static void test_package_names(void **state)
{
        (void)state;
        /* where dpkg agrees (both ways) */
        static const struct verdict same[] = {
            {"libc6", true},   {"python3.11", true}, {"g++", true},      {"0ad", true},
            {"a.b+c-d", true}, {"-ab", false},       {".ab", false},     {"a b", false},
            {"a/b", false},    {"", false},          {"../../x", false}, {"x:amd64", false},
        };
        CHECK("package", deb_package_name_valid, same);
        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
                if (*same[i].s && dpkg_accepts("pkgname", same[i].s) != same[i].ok)
                        fail_msg("dpkg disagrees on \"%s\"", same[i].s);
        /* policy is stricter than dpkg: refused here, accepted by dpkg (and by the old status
         * reader, which took upper case and one character) */
        static const struct verdict stricter[] = {
            {"a", false}, {"Ab", false}, {"a_b", false}, {"LIBC6", false}};
        CHECK("package", deb_package_name_valid, stricter);
        for (size_t i = 0; i < sizeof(stricter) / sizeof(stricter[0]); i++)
                assert_true(dpkg_accepts("pkgname", stricter[i].s));
        /* the length cap the .deb control reader had */
        char name[NAMES_DEB_MAX + 2];
        memset(name, 'a', sizeof(name) - 1);
        name[NAMES_DEB_MAX + 1] = '\0';
        assert_false(deb_package_name_valid(name));
        name[NAMES_DEB_MAX] = '\0';
        assert_true(deb_package_name_valid(name));
}

static void test_versions(void **state)
{
        (void)state;
        static const struct verdict same[] = {
            {"1.0", true},
            {"1:1.0", true},
            {"1.0-1", true},
            {"1.0-1-2", true},
            {"0", true},
            {"1.0~rc1", true},
            {"2:1.2.13.dfsg-1+deb12u1", true},
            {"3.11.2-6+deb12u6", true},
            {"1.0-", false},
            {":1", false},
            {"1:-1", false},
            {"1.0-1:2", false},
            {"1.0_1", false},
            {"a1.0", false},
            {"~1", false},
            {"1:a", false},
            {"1.0 1", false},
            {"x:1", false},
        };
        CHECK("version", deb_version_valid, same);
        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
                if (dpkg_accepts("version", same[i].s) != same[i].ok)
                        fail_msg("dpkg disagrees on \"%s\"", same[i].s);
        /* ':' inside the upstream version: dpkg takes it, current policy does not (and no
         * package in Debian's archive has one, see test_every_host_name) */
        assert_false(deb_version_valid("1:2:3"));
        assert_true(dpkg_accepts("version", "1:2:3"));
        /* the old copies disagreed on the first character: the status reader wanted an
         * alphanumeric, the control reader took any allowed character */
        assert_false(deb_version_valid("+1"));
        assert_false(deb_version_valid(".1"));
}

static void test_arch_names(void **state)
{
        (void)state;
        static const struct verdict same[] = {
            {"amd64", true}, {"all", true}, {"any", true},  {"kfreebsd-amd64", true},
            {"1x", true},    {"-x", false}, {"a_b", false}, {"amd 64", false},
        };
        CHECK("architecture", deb_arch_name_valid, same);
        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
                if (dpkg_accepts("archname", same[i].s) != same[i].ok)
                        fail_msg("dpkg disagrees on \"%s\"", same[i].s);
        /* dpkg takes upper case; Debian's architectures are lower case, as the manifest and
         * .deb readers already required (the status reader did not) */
        assert_false(deb_arch_name_valid("AMD64"));
        assert_false(deb_arch_name_valid(""));
}

/* Every Package, Version and Architecture in this host's apt lists and dpkg status. */
static void test_every_host_name(void **state)
{
        (void)state;
        char *text = fixture_sh_out(
            "{ for f in /var/lib/apt/lists/*_Packages*; do /usr/lib/apt/apt-helper cat-file "
            "\"$f\"; done; cat /var/lib/dpkg/status; } | "
            "grep -E '^(Package|Version|Architecture): '");
        assert_non_null(text);
        size_t n = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *value = strchr(line, ' ') + 1;
                bool ok = line[0] == 'P'   ? deb_package_name_valid(value)
                          : line[0] == 'V' ? deb_version_valid(value)
                                           : deb_arch_name_valid(value);
                if (!ok)
                        fail_msg("refused from this host's indexes: %s", line);
                n++;
        }
        assert_true(n > 10000);
        free(text);
}

static void test_module_names(void **state)
{
        (void)state;
        static const struct verdict cases[] = {
            {"os", true},
            {"os.path", true},
            {"_sysconfigdata__x86_64-linux-gnu", true},
            {"encodings.cp437", true},
            {"caf\xc3\xa9", true},
            {"_", true},
            {"", false},
            {".os", false},
            {"os.", false},
            {"os..path", false},
            {"1os", false},
            {"os.1path", false},
            {"-os", false},
            {"os.-p", false},
            {"os path", false},
            {"os/path", false},
            {"os:path", false},
        };
        CHECK("module", py_module_name_valid, cases);
        /* Python's own identifier rule on the names without '-' (the one addition) */
        struct strbuf names = STRBUF_INIT;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                if (!strchr(cases[i].s, '-') && !strchr(cases[i].s, '\''))
                        strbuf_addf(&names, "'%s' ", cases[i].s);
        cleanup_free char *py = fixture_sh_out(
            "/usr/bin/python3.11 -c 'import sys\n"
            "for n in sys.argv[1:]: print(int(bool(n) and all(p.isidentifier() for p in "
            "n.split(\".\"))))' %s",
            names.buf);
        assert_non_null(py);
        char *line = py;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (strchr(cases[i].s, '-'))
                        continue;
                assert_true(*line == '0' || *line == '1');
                if ((*line == '1') != cases[i].ok)
                        fail_msg("python disagrees on \"%s\"", cases[i].s);
                line += 2;
        }
        strbuf_release(&names);
        char long_name[NAMES_MODULE_MAX + 2];
        memset(long_name, 'm', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        assert_false(py_module_name_valid(long_name));
}

static void test_env_names(void **state)
{
        (void)state;
        assert_true(env_var_name_valid("PATH", 4));
        assert_true(env_var_name_valid("_X1", 3));
        assert_true(env_var_name_valid("LANG=C", 4)); /* only the first n bytes count */
        assert_false(env_var_name_valid("1X", 2));
        assert_false(env_var_name_valid("A-B", 3));
        assert_false(env_var_name_valid("", 0));
}

static size_t dist_prefix(const char *s, size_t *base)
{
        return py_dist_info_prefix(s, strlen(s), base);
}

static void test_py_dist_info_prefix(void **state)
{
        (void)state;
        static const char dp[] = "usr/lib/python3/dist-packages/";
        size_t base = 0;
        /* the entry, then '/', a blank (a Contents line) or the end */
        assert_int_equal(dist_prefix("usr/lib/python3/dist-packages/a-1.dist-info/RECORD", &base),
                         strlen(dp) + strlen("a-1.dist-info"));
        assert_int_equal(base, strlen(dp));
        assert_int_equal(dist_prefix("usr/lib/python3/dist-packages/a.egg-info\tpython/x", NULL),
                         strlen(dp) + strlen("a.egg-info"));
        assert_int_equal(dist_prefix("usr/lib/python3/dist-packages/a.egg-info python/x", NULL),
                         strlen(dp) + strlen("a.egg-info"));
        assert_int_equal(dist_prefix("usr/lib/python3.11/dist-packages/a.egg-info", &base),
                         strlen("usr/lib/python3.11/dist-packages/a.egg-info"));
        assert_int_equal(base, strlen("usr/lib/python3.11/dist-packages/"));
        /* everything else */
        static const char *const no[] = {
            "",
            "usr/lib/python3",
            "usr/lib/python3/dist-packages/",
            "usr/lib/python3/dist-packages/.egg-info",
            "usr/lib/python3/dist-packages/a.egg-infos",
            "usr/lib/python3/dist-packages/a/b.dist-info",
            "usr/lib/python3.x/dist-packages/a.dist-info",
            "usr/lib/python3./dist-packages/a.dist-info",
            "usr/lib/python3/site-packages/a.dist-info",
            "usr/lib/python2.7/dist-packages/a.dist-info",
            "usr/lib/pypy3/dist-packages/a.dist-info",
            "/usr/lib/python3/dist-packages/a.dist-info",
        };
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
                if (dist_prefix(no[i], NULL) != 0)
                        fail_msg("\"%s\" taken", no[i]);
        /* a length that ends inside the name */
        assert_int_equal(py_dist_info_prefix("usr/lib/python3/dist-packages/a.dist-info", 35, NULL),
                         0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_package_names),       cmocka_unit_test(test_versions),
            cmocka_unit_test(test_arch_names),          cmocka_unit_test(test_every_host_name),
            cmocka_unit_test(test_module_names),        cmocka_unit_test(test_env_names),
            cmocka_unit_test(test_py_dist_info_prefix),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
