/* alpine: the shipped map loads, and each kind of answer comes out of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "distill/convert/alpine.h"
#include "fixture.h"

static struct alpine_map *shipped(void)
{
        char *path = xasprintf("%s/manifests/rules/%s", fixture_source_dir(), ALPINE_PACKAGES_FILE);
        struct alpine_map *m = NULL;
        struct distill_error err = {0};
        if (alpine_map_load(path, &m, &err) < 0)
                fail_msg("%s", err.msg);
        free(path);
        return m;
}

static void test_kinds(void **state)
{
        (void)state;
        struct alpine_map *m = shipped();
        struct alpine_answer a;

        alpine_map_lookup(m, "libpq=15.1-r0", &a);
        assert_int_equal(a.kind, ALPINE_DEBIAN);
        assert_string_equal(a.name, "libpq");
        assert_string_equal(a.debian->v[0], "libpq5");
        alpine_answer_release(&a);

        alpine_map_lookup(m, "build-base", &a);
        assert_int_equal(a.kind, ALPINE_DROP);
        assert_non_null(strstr(a.reason, "compiles"));
        alpine_answer_release(&a);

        alpine_map_lookup(m, "postgresql-dev", &a); /* by suffix */
        assert_int_equal(a.kind, ALPINE_DROP);
        assert_non_null(strstr(a.reason, "headers"));
        alpine_answer_release(&a);

        alpine_map_lookup(m, "py3-flask~2.2", &a);
        assert_int_equal(a.kind, ALPINE_PYTHON);
        assert_string_equal(a.distribution, "flask");
        alpine_answer_release(&a);

        alpine_map_lookup(m, "no-such-package", &a);
        assert_int_equal(a.kind, ALPINE_UNKNOWN);
        assert_string_equal(a.name, "no-such-package");
        alpine_answer_release(&a);
        alpine_map_free(m);
}

static void test_errors_name_position(void **state)
{
        (void)state;
        static const struct {
                const char *text, *want;
        } cases[] = {
            {"version: 1\npackages:\n  libpq: libpq5\n",
             "t.yaml:3:10: packages.NAME must be a list"},
            {"version: 1\ndrop: {a: x}\npackages: {a: [b]}\n",
             "t.yaml:3:12: packages: \"a\" is listed twice"},
            {"version: 2\n", "t.yaml:1:10: version must be 1"},
            {"packages: {}\n", "no `version: 1`"},
            {"version: 1\nextra: {}\n", "t.yaml:2:1: unknown key \"extra\""},
            {"version: 1\npackages: {x: []}\n", "packages.x lists no package"},
        };
        char *dir = fixture_tmpdir();
        char *path = xasprintf("%s/t.yaml", dir);
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                fixture_write(path, cases[i].text);
                struct alpine_map *m = NULL;
                struct distill_error err = {0};
                assert_int_equal(alpine_map_load(path, &m, &err), -DISTILL_EUSAGE);
                if (!strstr(err.msg, cases[i].want))
                        fail_msg("case %zu: got %s", i, err.msg);
                assert_null(m);
        }
        free(path);
        fixture_cleanup(dir);
        free(dir);
}

/* Every Debian list names at least one package the host's archive (Debian 12, the lists
 * scripts/setup keeps fresh) really has: a typo or a name from another distribution fails. */
static void test_debian_names_exist(void **state)
{
        (void)state;
        int r = fixture_sh(
            "/usr/bin/python3.11 -c 'import sys, yaml\n"
            "for alpine, debs in yaml.safe_load(open(sys.argv[1]))[\"packages\"].items():\n"
            "    print(alpine, *debs)' '%s/manifests/rules/%s' | while read -r alpine debs; do "
            "found=; for d in $debs; do "
            "if [ -n \"$(apt-cache show --no-all-versions \"$d\" 2>/dev/null)\" ]; then "
            "found=$d; break; fi; done; "
            "[ -n \"$found\" ] || { echo \"alpine $alpine: none of $debs is in the archive\" >&2; "
            "exit 1; }; done",
            fixture_source_dir(), ALPINE_PACKAGES_FILE);
        assert_int_equal(r, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_kinds),
            cmocka_unit_test(test_errors_name_position),
            cmocka_unit_test(test_debian_names_exist),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
