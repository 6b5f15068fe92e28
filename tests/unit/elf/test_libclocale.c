/* libclocale: the directory names glibc tries for a locale name, checked against glibc itself —
 * for each name, a locale directory holding one candidate (a copy of the host's C.utf8) at a
 * time, and a child process's setlocale() says whether that candidate is found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "distill/base/names.h"
#include "distill/elf/libclocale.h"
#include "fixture.h"

#define HOST_LOCALE "/usr/lib/locale/C.utf8"

static void assert_dirs(const char *name, const char *const *want)
{
        struct strvec got = STRVEC_INIT;
        size_t n = 0;
        libc_locale_dirs(name, &got);
        for (; want[n]; n++) {
                assert_true(n < got.n);
                assert_string_equal(got.v[n], want[n]);
        }
        assert_int_equal(got.n, n);
        strvec_clear(&got);
}

static void test_order(void **state)
{
        (void)state;
        assert_dirs("C.UTF-8", (const char *const[]){"C.UTF-8", "C.utf8", "C", NULL});
        assert_dirs("C.utf8", (const char *const[]){"C.utf8", "C", NULL});
        assert_dirs("de_DE.ISO-8859-1@euro",
                    (const char *const[]){"de_DE.ISO-8859-1@euro", "de_DE.iso88591@euro",
                                          "de_DE@euro", "de.ISO-8859-1@euro", "de.iso88591@euro",
                                          "de@euro", "de_DE.ISO-8859-1", "de_DE.iso88591", "de_DE",
                                          "de.ISO-8859-1", "de.iso88591", "de", NULL});
        assert_dirs("xx.8859-1", (const char *const[]){"xx.8859-1", "xx.iso88591", "xx", NULL});
        assert_dirs("_DE.UTF-8", (const char *const[]){"_DE.UTF-8", NULL});
        /* built in, or not a name to look up */
        assert_dirs("C", (const char *const[]){NULL});
        assert_dirs("POSIX", (const char *const[]){NULL});
        assert_dirs("", (const char *const[]){NULL});
        assert_dirs("../etc", (const char *const[]){NULL});
        assert_dirs("..", (const char *const[]){NULL});
        char *long_name = xmalloc(NAMES_LOCALE_MAX + 2);
        memset(long_name, 'a', NAMES_LOCALE_MAX + 1);
        long_name[NAMES_LOCALE_MAX + 1] = '\0';
        assert_dirs(long_name, (const char *const[]){NULL});
        free(long_name);
}

static void test_normalize_codeset(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
            {"UTF-8", "utf8"},      {"utf8", "utf8"}, {"ISO-8859-15", "iso885915"},
            {"8859-1", "iso88591"}, {"", "iso"},      {"EUC_JP", "eucjp"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                char *n = libc_locale_normalize_codeset(cases[i][0], strlen(cases[i][0]));
                assert_string_equal(n, cases[i][1]);
                free(n);
        }
}

/* Whether glibc's setlocale(LC_ALL, name) succeeds when its locale directory holds exactly
 * what `dir` holds: bind-mounted over /usr/lib/locale in a private mount namespace (LOCPATH
 * would not do: glibc searches the default path after it). */
static bool glibc_finds(const char *dir, const char *name)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount(dir, LIBC_LOCALE_DIR, NULL, MS_BIND, NULL) < 0)
                        _exit(2);
                _exit(setlocale(LC_ALL, name) ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) < 2);
        return WEXITSTATUS(status) == 0;
}

static void test_against_glibc(void **state)
{
        (void)state;
        static const char *const names[] = {
            "C.UTF-8",     "C.utf8",   "en_US.UTF-8", "de_DE.UTF-8@euro",
            "sr_RS@latin", "xx.utf-8", "pt_BR",
        };
        /* (glibc checks a name's codeset against the locale's, UTF-8 here: every codeset
         * named is one) directories beside the candidates that glibc must not take for them */
        static const char *const decoys[] = {"C.UTF8",        "C.utf-8",    "en_US",
                                             "en.UTF8",       "de_DE.utf8", "sr_RS",
                                             "sr@latin.utf8", "xx.UTF-8",   "pt"};
        fixture_require_root();
        char *tmp = fixture_tmpdir();
        size_t checked = 0;

        for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
                struct strvec dirs = STRVEC_INIT;
                libc_locale_dirs(names[i], &dirs);
                assert_true(dirs.n > 0);
                struct strvec all = STRVEC_INIT;
                for (size_t k = 0; k < dirs.n; k++)
                        strvec_push(&all, dirs.v[k]);
                for (size_t k = 0; k < sizeof(decoys) / sizeof(*decoys); k++)
                        if (!strvec_contains(&all, decoys[k]))
                                strvec_push(&all, decoys[k]);
                for (size_t k = 0; k < all.n; k++) {
                        char *root = xasprintf("%s/%zu-%zu", tmp, i, k);
                        assert_int_equal(fixture_sh("mkdir -p '%s' && cp -r " HOST_LOCALE
                                                    " '%s/%s'",
                                                    root, root, all.v[k]),
                                         0);
                        bool want = strvec_contains(&dirs, all.v[k]);
                        if (glibc_finds(root, names[i]) != want)
                                fail_msg("setlocale(\"%s\") with only %s/: glibc %s it, "
                                         "libc_locale_dirs %s",
                                         names[i], all.v[k], want ? "misses" : "finds",
                                         want ? "lists it" : "does not");
                        checked++;
                        free(root);
                }
                strvec_clear(&all);
                strvec_clear(&dirs);
        }
        assert_true(checked > 40);
        fixture_cleanup(tmp);
        free(tmp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_order),
            cmocka_unit_test(test_normalize_codeset),
            cmocka_unit_test(test_against_glibc),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
