/* --check-run's value: a JSON array of strings, or blank-separated words. (The runs themselves
 * are tests/integration/test_check.sh.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/check/check.h"

static void expect_argv(const char *text, const char *const *want)
{
        struct strvec v = STRVEC_INIT;
        struct distill_error err = {0};
        int r = check_parse_command(text, &v, &err);
        if (r < 0)
                print_error("%s: %s\n", text, err.msg);
        assert_int_equal(r, 0);
        size_t n = 0;
        while (want[n])
                n++;
        assert_int_equal(v.n, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(v.v[i], want[i]);
        strvec_clear(&v);
}

static void expect_refused(const char *text, const char *want)
{
        struct strvec v = STRVEC_INIT;
        struct distill_error err = {0};
        assert_int_equal(check_parse_command(text, &v, &err), -DISTILL_EUSAGE);
        if (!strstr(err.msg, want))
                print_error("%s: %s\n", text, err.msg);
        assert_non_null(strstr(err.msg, want));
        strvec_clear(&v);
}

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_parse_command(void **state)
{
        (void)state;
        expect_argv("/usr/bin/python3 /app/t.py", ARGV("/usr/bin/python3", "/app/t.py"));
        expect_argv("  a \t b  ", ARGV("a", "b"));
        expect_argv("[\"/usr/bin/python3\", \"-c\", \"print('a b')\"]",
                    ARGV("/usr/bin/python3", "-c", "print('a b')"));
        expect_argv(" [\"x\", \"\"]", ARGV("x", ""));
        expect_refused("", "the command is empty");
        expect_refused("   ", "the command is empty");
        expect_refused("[]", "expected a non-empty JSON array of strings");
        expect_refused("[\"a\", 1]", "item 2 is not a string");
        expect_refused("[\"a\"", "expected a non-empty JSON array of strings: ");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_command),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
