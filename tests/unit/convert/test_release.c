/* release: distro-info-data's table, support on a given day, and the Python of a package
 * source (the host's, compared with what dpkg-query says). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/convert/release.h"
#include "distill/source/source.h"
#include "fixture.h"

static const char csv[] =
    "version,codename,series,created,release,eol,eol-lts,eol-elts\n"
    "10,Buster,buster,2017-06-17,2019-07-06,2022-09-10,2024-06-30,2029-06-30\n"
    "11,Bullseye,bullseye,2019-07-06,2021-08-14,2024-08-14,2026-08-31,2031-06-30\n"
    "12,Bookworm,bookworm,2021-08-14,2023-06-10,2026-07-11,2028-06-30,2033-06-30\n"
    "13,Trixie,trixie,2023-06-10,2025-08-09,2028-08-09,2030-06-30,2035-06-30\n"
    "14,Forky,forky,2025-08-09\n"
    ",Sid,sid,1993-08-16\n";

static void test_table_and_support(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *path = path_join(dir, "debian.csv");
        fixture_write(path, csv);
        struct debian_releases rs;
        struct distill_error err = {0};
        assert_int_equal(debian_releases_load(path, &rs, &err), 0);
        assert_int_equal(rs.n, 6);
        const struct debian_release *bullseye = debian_release_find(&rs, "bullseye");
        const struct debian_release *bookworm = debian_release_find(&rs, "bookworm");
        const struct debian_release *forky = debian_release_find(&rs, "forky");
        assert_string_equal(bookworm->version, "12");
        int64_t day = release_parse_day("2026-12-07");
        assert_true(day > 0);
        /* bullseye's LTS ended on 2026-08-31; bookworm is past its EOL but in LTS */
        assert_false(debian_release_supported(bullseye, day));
        assert_true(debian_release_supported(bullseye, release_parse_day("2026-08-30")));
        assert_true(debian_release_supported(bookworm, day));
        assert_false(debian_release_security(bookworm, day));
        assert_true(debian_release_security(bookworm, release_parse_day("2026-07-10")));
        assert_false(debian_release_supported(forky, day)); /* not released */
        assert_null(debian_release_find(&rs, "hamm"));
        debian_releases_release(&rs);

        fixture_write(path, "12,Bookworm,bookworm,2021-08-14,2023-13-10\n");
        assert_int_equal(debian_releases_load(path, &rs, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "debian.csv:1: \"2023-13-10\" is not a date"));
        fixture_write(path, "version,codename\n12,Bookworm\n");
        assert_int_equal(debian_releases_load(path, &rs, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "debian.csv:2: expected at least 4"));
        free(path);
        fixture_cleanup(dir);
        free(dir);
}

static void test_host_file_loads(void **state)
{
        (void)state;
        struct debian_releases rs;
        struct distill_error err = {0};
        if (debian_releases_load(RELEASE_DISTRO_INFO, &rs, &err) < 0)
                fail_msg("%s", err.msg);
        assert_non_null(debian_release_find(&rs, "bookworm"));
        debian_releases_release(&rs);
}

static void test_compare_xy(void **state)
{
        (void)state;
        assert_int_equal(release_compare_xy("3.9", "3.11"), -1);
        assert_int_equal(release_compare_xy("3.13", "3.11"), 1);
        assert_int_equal(release_compare_xy("3.11", "3.11"), 0);
        assert_int_equal(release_compare_xy("2.7", "3.0"), -1);
}

static void test_python_of_host(void **state)
{
        (void)state;
        struct source *src = NULL;
        struct distill_error err = {0};
        if (source_open_sysroot("/", "amd64", &src, &err) < 0)
                fail_msg("%s", err.msg);
        struct release_python py;
        if (release_python_of(src, &py, &err) < 0)
                fail_msg("%s", err.msg);
        /* what dpkg says, independently: python3's dependency names the interpreter */
        char *want_xy = fixture_sh_out(
            "dpkg-query -W -f='${Version}' python3 | sed -E 's/^([0-9]+\\.[0-9]+).*/\\1/'");
        assert_string_equal(py.xy, want_xy);
        char *want_full = fixture_sh_out("dpkg-query -W -f='${Version}' python%s-minimal | "
                                         "sed -E 's/-[^-]*$//'",
                                         py.xy);
        assert_string_equal(py.full, want_full);
        char *interp = xasprintf("/usr/bin/python%s", want_xy);
        assert_string_equal(py.interpreter, interp);
        char *glibc = fixture_sh_out(
            "dpkg-query -W -f='${Version}' libc6 | sed -E 's/^([0-9]+\\.[0-9]+).*/\\1/'");
        assert_string_equal(py.glibc, glibc);
        free(glibc);
        free(interp);
        free(want_xy);
        free(want_full);
        release_python_release(&py);
        source_free(src);
}

/* A root with interpreters but no python3 package: the newest python3.N-minimal. */
static void test_python_of_minimal_only(void **state)
{
        (void)state;
        char *root = fixture_tmpdir();
        assert_int_equal(
            fixture_sh("set -e; cd %s; mkdir -p var/lib/dpkg/info; for p in "
                       "'python3.9-minimal 3.9.2-1' 'python3.11-minimal 3.11.2-6+deb12u6' "
                       "'libc6 2.36-9+deb12u10' 'python3-yaml 6.0-3'; do set -- $p; "
                       "printf 'Package: %%s\\nStatus: install ok installed\\nArchitecture: "
                       "amd64\\nVersion: %%s\\n\\n' $1 $2; : > var/lib/dpkg/info/$1.list; "
                       "done > var/lib/dpkg/status",
                       root),
            0);
        struct source *src = NULL;
        struct distill_error err = {0};
        if (source_open_sysroot(root, "amd64", &src, &err) < 0)
                fail_msg("%s", err.msg);
        struct release_python py;
        if (release_python_of(src, &py, &err) < 0)
                fail_msg("%s", err.msg);
        assert_string_equal(py.xy, "3.11");
        assert_string_equal(py.full, "3.11.2");
        assert_string_equal(py.minimal, "python3.11-minimal");
        assert_string_equal(py.glibc, "2.36");
        release_python_release(&py);
        source_free(src);
        fixture_cleanup(root);
        free(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table_and_support),
            cmocka_unit_test(test_host_file_loads),
            cmocka_unit_test(test_compare_xy),
            cmocka_unit_test(test_python_of_host),
            cmocka_unit_test(test_python_of_minimal_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
