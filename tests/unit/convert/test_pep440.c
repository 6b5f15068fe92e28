/* pep440: versions (every spelling PEP 440 normalises, the order, numbers longer than 64 bits),
 * specifiers (each operator, prefix matching, the pre-release rules with prereleases unset),
 * errors naming the input and the column, and the cases where PEP 440 is followed rather than
 * packaging 23.0. test_pyreq compares all of it with packaging on generated cases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/convert/pep440.h"

static void assert_contains(const char *s, const char *needle)
{
        if (!strstr(s, needle))
                fail_msg("\"%s\" lacks \"%s\"", s, needle);
}

static void parse_ok(const char *s, struct pep440_version *v)
{
        struct distill_error err = {0};
        if (pep440_parse(s, v, &err) < 0)
                fail_msg("\"%s\": %s", s, err.msg);
}

static void test_normal_forms(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
            {"1.0", "1.0"},
            {" v1.0\n", "1.0"},
            {"V1!2.0", "1!2.0"},
            {"0!1.0", "1.0"},
            {"1.0-RC.3", "1.0rc3"},
            {"1.0c1", "1.0rc1"},
            {"1.0pre", "1.0rc0"},
            {"1.0.preview-2", "1.0rc2"},
            {"1.0alpha", "1.0a0"},
            {"1.0_beta_1", "1.0b1"},
            {"1.0-1", "1.0.post1"},
            {"1.0r", "1.0.post0"},
            {"1.0.rev.5", "1.0.post5"},
            {"1.0-dev", "1.0.dev0"},
            {"1.0a-1", "1.0a1"}, /* the separator and number go to the pre-release */
            {"1.0a1-1", "1.0a1.post1"},
            {"1.0a--1", "1.0a0.post1"},
            {"1.0+Ubuntu-1_2", "1.0+ubuntu.1.2"},
            {"1.0+007.abc", "1.0+7.abc"},
            {"01.002.0003", "1.2.3"},
            {"00", "0"},
            {"1.99999999999999999999999", "1.99999999999999999999999"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct pep440_version v;
                parse_ok(cases[i][0], &v);
                cleanup_free char *n = pep440_normalize(&v);
                if (strcmp(n, cases[i][1]))
                        fail_msg("\"%s\" normalises to %s, not %s", cases[i][0], n, cases[i][1]);
        }
}

static void test_invalid_versions(void **state)
{
        (void)state;
        static const char *const bad[][2] = {
            {"2.0+dfsg~1", "column 9"}, {"2.0~rc1", "column 4"},  {"1:2.0", "column 2"},
            {"", "column 1"},           {"1.0-", "column 4"},     {"1.0+", "column 4"},
            {"1..0", "column 2"},       {"1.0.*", "column 4"},    {"a1", "column 1"},
            {"1!", "column 2"},         {"1.0+abc.", "column 8"}, {"1.0 1", "column 4"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct pep440_version v;
                struct distill_error err = {0};
                if (pep440_parse(bad[i][0], &v, &err) == 0)
                        fail_msg("\"%s\" parsed", bad[i][0]);
                assert_int_equal(err.code, DISTILL_EUSAGE);
                assert_contains(err.msg, "is not a PEP 440 version");
                assert_contains(err.msg, bad[i][1]);
        }
        /* hostile lengths are refused, not truncated */
        char long_version[PEP440_MAX_LEN + 8];
        memset(long_version, '1', sizeof(long_version) - 1);
        long_version[sizeof(long_version) - 1] = '\0';
        struct pep440_version v;
        struct distill_error err = {0};
        assert_int_equal(pep440_parse(long_version, &v, &err), -DISTILL_EUSAGE);
        assert_contains(err.msg, "longer than 256 bytes");
}

/* PEP 440's order, from its own examples */
static void test_order(void **state)
{
        (void)state;
        static const char *const ordered[] = {
            "1.0.dev456",    "1.0a1",         "1.0a2.dev456", "1.0a12.dev456",
            "1.0a12",        "1.0b1.dev456",  "1.0b2",        "1.0b2.post345.dev456",
            "1.0b2.post345", "1.0rc1.dev456", "1.0rc1",       "1.0",
            "1.0+abc.5",     "1.0+abc.7",     "1.0+5",        "1.0.post456.dev34",
            "1.0.post456",   "1.0.15",        "1.1.dev1",     "1!0.1",
        };
        size_t n = sizeof(ordered) / sizeof(ordered[0]);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                        struct pep440_version a, b;
                        parse_ok(ordered[i], &a);
                        parse_ok(ordered[j], &b);
                        int c = pep440_compare(&a, &b);
                        int want = (i > j) - (i < j);
                        if ((c > 0) - (c < 0) != want)
                                fail_msg("%s vs %s: %d", ordered[i], ordered[j], c);
                }
        struct pep440_version a, b;
        parse_ok("1.0.0", &a);
        parse_ok("1", &b);
        assert_int_equal(pep440_compare(&a, &b), 0);
        parse_ok("1.99999999999999999999999", &a);
        parse_ok("1.99999999999999999999998", &b);
        assert_true(pep440_compare(&a, &b) > 0);
}

static bool sat(const char *version, const char *spec)
{
        bool ok;
        struct distill_error err = {0};
        if (pep440_satisfies(version, spec, &ok, &err) < 0)
                fail_msg("\"%s\" in \"%s\": %s", version, spec, err.msg);
        return ok;
}

static void test_operators(void **state)
{
        (void)state;
        assert_true(sat("1.4.5", "~=1.4.2"));
        assert_false(sat("1.5", "~=1.4.2"));
        assert_true(sat("2.9", "~=2.2"));
        assert_false(sat("3.0", "~=2.2"));
        assert_true(sat("2.2.post3", "~=2.2.post3"));
        assert_true(sat("1.1.0", "==1.1"));
        assert_true(sat("1.1+local", "==1.1"));        /* a local label is ignored by == 1.1 */
        assert_false(sat("1.1+local", "==1.1+other")); /* but not by == 1.1+other */
        assert_true(sat("1.1.5", "==1.1.*"));
        assert_true(sat("1.1", "==1.1.0.*")); /* padded with zeros */
        assert_false(sat("1.10", "==1.1.*"));
        assert_true(sat("1.1.post1", "==1.1.*"));
        assert_false(sat("1.1.5", "!=1.1.*"));
        assert_true(sat("1.0", "<=1.0"));
        assert_true(sat("1.0+local", "<=1.0"));
        assert_true(sat("3.0", "<3.1"));
        assert_false(sat("3.1.dev0", "<3.1,>=3.0.dev0")); /* no pre-release of 3.1 itself */
        assert_true(sat("3.0.dev0", "<3.1,>=3.0.dev0"));
        assert_true(sat("3.2.post0", ">3.1"));
        assert_false(sat("3.1.post0", ">3.1")); /* no post release of 3.1 itself */
        assert_true(sat("3.1.post1", ">3.1.post0"));
        assert_false(sat("3.1+local", ">3.1"));
        assert_true(sat("1.0", "===1.0"));
        assert_false(sat("1.0.0", "===1.0"));
        assert_true(sat("1.0", ">=0.9, !=0.9.5 ,<2,"));
}

static void test_prereleases(void **state)
{
        (void)state;
        /* a pre-release satisfies only a set that names one in an inclusive specifier */
        assert_false(sat("2.0a1", ">=1.0"));
        assert_false(sat("2.0a1", ""));
        assert_true(sat("1.0", ""));
        assert_true(sat("2.0a1", ">=1.0a1"));
        assert_true(sat("2.0a1", ">=1.0a1,!=1.5"));
        assert_false(sat("0.9a1", "<1.0a1")); /* < is not inclusive: names none */
        assert_false(sat("1.0.dev1", "!=1.0.dev0"));
        bool ok;
        struct distill_error err = {0};
        assert_int_equal(pep440_satisfies_ex("2.0a1", ">=1.0", PEP440_PRERELEASES_ALLOW, &ok, &err),
                         0);
        assert_true(ok);
}

/* Where packaging 23.0 departs from PEP 440 (pep440.h). */
static void test_pep440_over_packaging(void **state)
{
        (void)state;
        assert_true(sat("1!1.0", "==1!1.0.*")); /* 23.0: False */
        assert_true(sat("1!1", "==1!1.0.*"));
        assert_false(sat("1.0", "==1!1.0.*"));
        assert_true(sat("1.5", "~=1.0.r1")); /* 23.0 reads ~=1.0.r1 as >=1.0.post1, ==1.0.* */
        assert_true(sat("1.5", "~=1.0.POST1"));
        assert_false(sat("1.0", "===foo")); /* 23.0 raises */
}

static void spec_fails(const char *version, const char *spec, const char *msg)
{
        bool ok;
        struct distill_error err = {0};
        if (pep440_satisfies(version, spec, &ok, &err) == 0)
                fail_msg("\"%s\" in \"%s\" answered %d", version, spec, ok);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        assert_contains(err.msg, msg);
}

static void test_invalid_specifiers(void **state)
{
        (void)state;
        spec_fails("1.0", ">=1.0,=>2", "\"=>2\" (column 7) is not a PEP 440 version specifier");
        spec_fails("1.0", ">=1.0.*", "is not a PEP 440 version specifier");
        spec_fails("1.0", "~=1", "is not a PEP 440 version specifier");
        spec_fails("1.0", "==1.0a1.*", "is not a PEP 440 version specifier");
        spec_fails("1.0", "<1.0+local", "is not a PEP 440 version specifier");
        spec_fails("1.0", "===a b", "is not a PEP 440 version specifier");
        spec_fails("1.0", "1.0", "is not a PEP 440 version specifier");
        /* the version is checked first: Debian's spellings are the caller's to strip */
        spec_fails("2.0~rc1", ">=1.0", "version \"2.0~rc1\" is not a PEP 440 version");
        struct strbuf many = STRBUF_INIT;
        for (int i = 0; i <= PEP440_MAX_SPECIFIERS; i++)
                strbuf_adds(&many, ">=1,");
        spec_fails("1.0", many.buf, "more than 256 version specifiers");
        strbuf_release(&many);
}

/* The tokenizer's view: where a specifier inside a requirement line ends. */
static void test_scan(void **state)
{
        (void)state;
        assert_int_equal(pep440_scan_spec(">=1.0;python_version"), 5);
        assert_int_equal(pep440_scan_spec("== 1.0.*)"), 8);
        assert_int_equal(pep440_scan_spec(">=1.0.*"), 5);
        assert_int_equal(pep440_scan_spec("===foo bar"), 6);
        assert_int_equal(pep440_scan_spec("~=1"), 0);
        assert_int_equal(pep440_scan_spec("=>1"), 0);
        assert_int_equal(pep440_scan_spec("<1.0+local"), 4);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_normal_forms),
            cmocka_unit_test(test_invalid_versions),
            cmocka_unit_test(test_order),
            cmocka_unit_test(test_operators),
            cmocka_unit_test(test_prereleases),
            cmocka_unit_test(test_pep440_over_packaging),
            cmocka_unit_test(test_invalid_specifiers),
            cmocka_unit_test(test_scan),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
