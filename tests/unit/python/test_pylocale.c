/* pylocale: gettext's expansion, the language of CLDR and POSIX identifiers, and which data
 * directories are named by locales (checked on the babel locale-data directory the host
 * ships, and on generated name lists). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "distill/python/pylocale.h"

static void expect_language(const char *id, const char *lang)
{
        char *got = pylocale_language(id);
        if (!lang) {
                if (got)
                        fail_msg("%s: language %s, expected none", id, got);
                return;
        }
        if (!got || strcmp(got, lang) != 0)
                fail_msg("%s: language %s, expected %s", id, got ? got : "(none)", lang);
        free(got);
}

static void test_language(void **state)
{
        (void)state;
        expect_language("de", "de");
        expect_language("de_AT", "de");
        expect_language("zh_Hant_HK", "zh");
        expect_language("es_419", "es");
        expect_language("en_US_POSIX", "en");
        expect_language("ca_ES_VALENCIA", "ca");
        expect_language("pt-BR", "pt");
        expect_language("de_DE.UTF-8@euro", "de");
        expect_language("haw", "haw");
        expect_language("C", "en");
        expect_language("C.UTF-8", "en");
        expect_language("POSIX", "en");
        expect_language("json", NULL);
        expect_language("utf_8", NULL);
        expect_language("De_DE", NULL);
        expect_language("de_", NULL);
        expect_language("x", NULL);
        expect_language("de_DE_averyverylongvariant", NULL);
        expect_language("", NULL);
}

static void test_expand_gettext(void **state)
{
        (void)state;
        struct strvec out = STRVEC_INIT;
        pylocale_expand_gettext("de_DE.UTF-8@euro", &out);
        static const char *const want[] = {"de_DE.UTF-8@euro", "de_DE.UTF-8", "de_DE@euro", "de_DE",
                                           "de.UTF-8@euro",    "de.UTF-8",    "de@euro",    "de"};
        assert_int_equal(out.n, sizeof(want) / sizeof(*want));
        for (size_t i = 0; i < out.n; i++)
                assert_string_equal(out.v[i], want[i]);
        strvec_clear(&out);
        pylocale_expand_gettext("C.UTF-8", &out);
        assert_int_equal(out.n, 0);
}

static void test_locale_dir(void **state)
{
        (void)state;
        /* the CLDR data babel reads, as Debian ships it */
        struct strvec names = STRVEC_INIT;
        DIR *d = opendir("/usr/share/python-babel-localedata/locale-data");
        assert_non_null(d);
        for (struct dirent *e; (e = readdir(d));)
                if (e->d_name[0] != '.')
                        strvec_push(&names, e->d_name);
        closedir(d);
        assert_true(names.n > 500);
        assert_true(pylocale_is_locale_dir(&names));
        strvec_clear(&names);

        /* a module directory and a small one are not */
        static const char *const modules[] = {"__init__.py", "core.py",    "dates.py",
                                              "de.py",       "numbers.py", "util.py"};
        for (int k = 0; k < 5; k++)
                for (size_t i = 0; i < sizeof(modules) / sizeof(*modules); i++)
                        strvec_push_nodup(&names, xasprintf("%d%s", k, modules[i]));
        assert_false(pylocale_is_locale_dir(&names));
        strvec_clear(&names);
        static const char *const few[] = {"de.dat", "en.dat", "fr.dat", "root.dat"};
        for (size_t i = 0; i < 4; i++)
                strvec_push(&names, few[i]);
        assert_false(pylocale_is_locale_dir(&names));
        strvec_clear(&names);

        char *stem = pylocale_file_locale("zh_Hant_HK.dat");
        assert_string_equal(stem, "zh_Hant_HK");
        free(stem);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_language),
            cmocka_unit_test(test_expand_gettext),
            cmocka_unit_test(test_locale_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
