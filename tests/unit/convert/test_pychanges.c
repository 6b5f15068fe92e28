/* pychanges: the shipped data loads, and the versions between two interpreters are the ones
 * counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "distill/convert/pychanges.h"
#include "fixture.h"

static void test_between(void **state)
{
        (void)state;
        char *path = xasprintf("%s/manifests/rules/%s", fixture_source_dir(), PYCHANGES_FILE);
        struct pychanges *c = NULL;
        struct distill_error err = {0};
        if (pychanges_load(path, &c, &err) < 0)
                fail_msg("%s", err.msg);
        struct strvec imports = STRVEC_INIT;
        strvec_push(&imports, "json");
        strvec_push(&imports, "distutils.core");
        strvec_push(&imports, "imp");
        strvec_push(&imports, "cgi");
        strvec_push(&imports, "formatter");
        strvec_push(&imports, "tkinter");
        struct pychange_hit *hits;
        size_t n;

        /* 3.9 → 3.11: formatter removed in 3.10, distutils deprecated in 3.10, cgi in 3.11 */
        pychanges_between(c, "3.9", "3.11", &imports, &hits, &n);
        assert_int_equal(n, 3);
        assert_string_equal(hits[0].module, "formatter");
        assert_true(hits[0].removed);
        assert_string_equal(hits[0].version, "3.10");
        assert_string_equal(hits[1].module, "distutils.core");
        assert_string_equal(hits[1].listed, "distutils");
        assert_false(hits[1].removed);
        assert_string_equal(hits[2].module, "cgi");
        assert_string_equal(hits[2].version, "3.11");
        pychange_hits_free(hits, n);

        /* 3.11 → 3.13: distutils and imp removed in 3.12, cgi in 3.13; tkinter is not tix */
        pychanges_between(c, "3.11", "3.13", &imports, &hits, &n);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++)
                assert_true(hits[i].removed);
        pychange_hits_free(hits, n);

        /* the same version: nothing */
        pychanges_between(c, "3.11", "3.11", &imports, &hits, &n);
        assert_int_equal(n, 0);
        pychange_hits_free(hits, n);
        strvec_clear(&imports);
        pychanges_free(c);
        free(path);
}

/* Every module the data says 3.12 or 3.13 removed really is in 3.11's stdlib (the host's;
 * msilib is Windows-only, tkinter.tix needs python3-tk):
 * a misspelt name would never match an import. */
static void test_names_are_modules(void **state)
{
        (void)state;
        int r =
            fixture_sh("/usr/bin/python3.11 -c 'import sys, yaml, importlib.util\n"
                       "d = yaml.safe_load(open(sys.argv[1]))[\"versions\"]\n"
                       "bad = [m for v in (\"3.12\", \"3.13\") for m in d[v].get(\"removed\", [])\n"
                       "       if m not in (\"msilib\", \"tkinter.tix\") and "
                       "importlib.util.find_spec(m) is None]\n"
                       "print(bad); sys.exit(1 if bad else 0)' '%s/manifests/rules/%s'",
                       fixture_source_dir(), PYCHANGES_FILE);
        assert_int_equal(r, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_between),
            cmocka_unit_test(test_names_are_modules),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
