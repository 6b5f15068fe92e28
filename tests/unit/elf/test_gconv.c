/* gconv: the configuration reader on generated text, and the whole answer checked against glibc
 * itself — for every charset name the host's configuration defines (and names spelt as programs
 * spell them), a child process calls iconv_open() and reports which gconv module it mapped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "distill/elf/gconv.h"
#include "fixture.h"

#define GCONV_DIR "/usr/lib/x86_64-linux-gnu/gconv"

static void test_normalize(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
            {"Shift_JIS", "SHIFT_JIS//"},
            {"big-5", "BIG-5//"},
            {"utf8", "UTF8//"},
            {"EUC-JP//TRANSLIT", "EUC-JP//"},
            {"ISO-10646/UCS4/", "ISO-10646/UCS4/"},
            {"iso 8859-1", "ISO8859-1//"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                char *n = gconv_normalize(cases[i][0]);
                assert_non_null(n);
                assert_string_equal(n, cases[i][1]);
                free(n);
        }
        assert_null(gconv_normalize(""));
        assert_null(gconv_normalize("//"));
        assert_null(gconv_normalize("  "));
}

static void test_parse(void **state)
{
        (void)state;
        const char *text = "# comment line\n"
                           "alias\tLATIN1//\tISO-8859-1//   # trailing comment\n"
                           "module\tISO-8859-1//\tINTERNAL\tISO8859-1\t1\n"
                           "module\tINTERNAL\tISO-8859-1//\tISO8859-1\t1\n"
                           "alias  latin1//  OTHER//\n"        /* second definition: ignored */
                           "alias  ISO-8859-1//  OTHER//\n"    /* a module's name: ignored */
                           "module LATIN1// INTERNAL NOPE 1\n" /* an alias's name: ignored */
                           "module sjis// INTERNAL /opt/g/SJIS.so\n"
                           "module X// INTERNAL\n" /* no file: ignored */
                           "bogus words here\n"
                           "alias ONLYONE//\n";
        struct gconv_db db = {0};
        gconv_db_parse(&db, text, strlen(text), "/g");
        assert_string_equal(gconv_module_for(&db, "latin1"), "/g/ISO8859-1.so");
        assert_string_equal(gconv_module_for(&db, "ISO-8859-1"), "/g/ISO8859-1.so");
        assert_string_equal(gconv_module_for(&db, "Sjis"), "/opt/g/SJIS.so");
        assert_null(gconv_module_for(&db, "X"));
        assert_null(gconv_module_for(&db, "OTHER"));
        assert_null(gconv_module_for(&db, "INTERNAL"));
        assert_null(gconv_module_for(&db, "ONLYONE"));
        gconv_db_release(&db);

        /* a line longer than any real one, and a NUL, are skipped; the rest is read */
        size_t big = 10000;
        char *buf = xmalloc(big + 64);
        memset(buf, 'a', big);
        strcpy(buf + big, "\nmodule Y// INTERNAL Y 1\n");
        gconv_db_parse(&db, buf, strlen(buf), "/g");
        assert_string_equal(gconv_module_for(&db, "y"), "/g/Y.so");
        gconv_db_release(&db);
        const char nul[] = "module Z// INTERNAL \0Z 1\nmodule W// INTERNAL W 1\n";
        gconv_db_parse(&db, nul, sizeof(nul) - 1, "/g");
        assert_null(gconv_module_for(&db, "Z"));
        assert_string_equal(gconv_module_for(&db, "W"), "/g/W.so");
        free(buf);
        gconv_db_release(&db);
}

static void read_config(struct gconv_db *db, const char *path)
{
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(read_file_capped(path, 1 << 22, &data, &len), 0);
        gconv_db_parse(db, data, len, GCONV_DIR);
        free(data);
}

/* Every word of the host's configuration that names a charset. */
static void config_names(const char *path, struct strvec *out)
{
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char line[4096], w0[256], w1[256], w2[256];
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "%255s %255s %255s", w0, w1, w2) != 3 || w0[0] == '#')
                        continue;
                if (strcmp(w0, "alias") && strcmp(w0, "module"))
                        continue;
                if (strcmp(w1, "INTERNAL"))
                        strvec_push(out, w1);
                if (strcmp(w2, "INTERNAL") && !strcmp(w0, "module"))
                        strvec_push(out, w2);
        }
        fclose(f);
}

/* The gconv module files mapped in this process. */
static void mapped_modules(struct strvec *out)
{
        FILE *f = fopen("/proc/self/maps", "r");
        assert_non_null(f);
        char line[8192];
        while (fgets(line, sizeof(line), f)) {
                char *p = strstr(line, GCONV_DIR "/");
                if (!p)
                        continue;
                p[strcspn(p, "\n")] = '\0';
                if (strlen(p) < 3 || strcmp(p + strlen(p) - 3, ".so") != 0)
                        continue; /* gconv-modules.cache is mapped too */
                if (!strvec_contains(out, p))
                        strvec_push(out, p);
        }
        fclose(f);
}

/* What glibc loads for iconv_open("UTF-8", name), in a child: one module path per line on the
 * pipe, or "-" when iconv_open fails. */
static char *glibc_loads(const char *name)
{
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                FILE *w = fdopen(fds[1], "w");
                struct strvec before = STRVEC_INIT, after = STRVEC_INIT;
                mapped_modules(&before);
                iconv_t cd = iconv_open("UTF-8", name);
                if (cd == (iconv_t)-1) {
                        fputs("-\n", w);
                } else {
                        mapped_modules(&after);
                        for (size_t i = 0; i < after.n; i++)
                                if (!strvec_contains(&before, after.v[i]))
                                        fprintf(w, "%s\n", after.v[i]);
                }
                fclose(w);
                _exit(0);
        }
        close(fds[1]);
        FILE *r = fdopen(fds[0], "r");
        char *out = NULL;
        size_t cap = 0;
        ssize_t n = getdelim(&out, &cap, '\0', r);
        fclose(r);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (n < 0) {
                free(out);
                return xstrdup("");
        }
        return out;
}

static void test_against_glibc(void **state)
{
        (void)state;
        struct gconv_db db = {0};
        struct strvec names = STRVEC_INIT;
        read_config(&db, GCONV_DIR "/gconv-modules");
        config_names(GCONV_DIR "/gconv-modules", &names);
        DIR *d = opendir(GCONV_DIR "/gconv-modules.d");
        assert_non_null(d);
        struct strvec confs = STRVEC_INIT;
        for (struct dirent *e; (e = readdir(d));) {
                size_t n = strlen(e->d_name);
                if (n > 5 && !strcmp(e->d_name + n - 5, ".conf"))
                        strvec_push_nodup(&confs,
                                          xasprintf(GCONV_DIR "/gconv-modules.d/%s", e->d_name));
        }
        closedir(d);
        strvec_sort(&confs); /* glibc reads them in name order */
        for (size_t i = 0; i < confs.n; i++) {
                read_config(&db, confs.v[i]);
                config_names(confs.v[i], &names);
        }
        /* as programs spell them: mixed case, suffixes, built-in and unknown names */
        static const char *const spelt[] = {
            "Shift_JIS", "shift-jis",      "big-5", "Big5",  "iso8859-1", "ISO-8859-15//TRANSLIT",
            "cp437",     "EUC-JP",         "utf8",  "UTF-8", "ascii",     "UCS-4LE",
            "UTF-16",    "no-such-charset"};
        for (size_t i = 0; i < sizeof(spelt) / sizeof(*spelt); i++)
                strvec_push(&names, spelt[i]);
        strvec_sort_unique(&names);
        assert_true(names.n > 500);

        size_t checked = 0, with_module = 0;
        for (size_t i = 0; i < names.n; i++) {
                const char *want = gconv_module_for(&db, names.v[i]);
                char *got = glibc_loads(names.v[i]);
                if (want) {
                        /* the module, and perhaps the helper libraries it needs (libJIS.so) */
                        char *line = xasprintf("%s\n", want);
                        if (!strstr(got, line))
                                fail_msg("%s: distill says %s, glibc mapped: %s", names.v[i], want,
                                         got);
                        free(line);
                        with_module++;
                } else if (got[0] && strcmp(got, "-\n") != 0) {
                        fail_msg("%s: distill says no module, glibc mapped: %s", names.v[i], got);
                }
                free(got);
                checked++;
        }
        print_message("%zu names checked against glibc, %zu load a module\n", checked, with_module);
        assert_true(with_module > 500);
        strvec_clear(&confs);
        strvec_clear(&names);
        gconv_db_release(&db);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_normalize),
            cmocka_unit_test(test_parse),
            cmocka_unit_test(test_against_glibc),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
