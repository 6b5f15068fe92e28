#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "distill/base/error.h"
#include "distill/base/util.h"
#include "fixture.h"

static void test_strbuf(void **state)
{
        (void)state;
        struct strbuf sb = STRBUF_INIT;
        assert_string_equal(strbuf_str(&sb), "");
        strbuf_adds(&sb, "abc");
        strbuf_addch(&sb, '-');
        strbuf_addf(&sb, "%d/%s", 42, "x");
        assert_string_equal(sb.buf, "abc-42/x");
        assert_int_equal(sb.len, 8);
        for (int i = 0; i < 1000; i++)
                strbuf_addch(&sb, 'y');
        assert_int_equal(sb.len, 1008);
        char *s = strbuf_detach(&sb);
        assert_null(sb.buf);
        assert_int_equal(strlen(s), 1008);
        free(s);
}

static void test_strvec_sort_unique(void **state)
{
        (void)state;
        struct strvec sv = STRVEC_INIT;
        strvec_push(&sv, "b");
        strvec_push(&sv, "a");
        strvec_push(&sv, "b");
        strvec_push(&sv, "B");
        strvec_sort_unique(&sv);
        assert_int_equal(sv.n, 3);
        /* C-locale order: uppercase first */
        assert_string_equal(sv.v[0], "B");
        assert_string_equal(sv.v[1], "a");
        assert_string_equal(sv.v[2], "b");
        assert_null(sv.v[3]);
        assert_true(strvec_contains(&sv, "a"));
        assert_false(strvec_contains(&sv, "c"));
        strvec_clear(&sv);
}

static void test_strmap(void **state)
{
        (void)state;
        struct strmap m = STRMAP_INIT;
        char keys[500][16];
        for (int i = 0; i < 500; i++) {
                snprintf(keys[i], sizeof(keys[i]), "k%03d", 499 - i);
                assert_null(strmap_put(&m, keys[i], keys[i]));
        }
        assert_int_equal(m.n, 500);
        assert_ptr_equal(strmap_get(&m, "k123"), keys[499 - 123]);
        assert_ptr_equal(strmap_put(&m, "k123", NULL), keys[499 - 123]);
        assert_true(strmap_has(&m, "k123"));
        assert_null(strmap_get(&m, "k123"));
        assert_false(strmap_has(&m, "nope"));
        const char **sorted = strmap_sorted_keys(&m);
        for (int i = 1; i < 500; i++)
                assert_true(strcmp(sorted[i - 1], sorted[i]) < 0);
        assert_null(sorted[500]);
        free(sorted);
        strmap_clear(&m, NULL);
}

static void test_path_normalize(void **state)
{
        (void)state;
        static const char *cases[][2] = {
            {"/", "/"},
            {"//usr//lib/", "/usr/lib"},
            {"/a/./b", "/a/b"},
            {"/a/b/../c", "/a/c"},
            {"/../../etc", "/etc"},
            {"/a/..", "/"},
            {"a/b", "/a/b"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *got = path_normalize(cases[i][0]);
                assert_string_equal(got, cases[i][1]);
                free(got);
        }
        char *d = path_dirname("/a/b");
        assert_string_equal(d, "/a");
        free(d);
        d = path_dirname("/a");
        assert_string_equal(d, "/");
        free(d);
        assert_string_equal(path_basename("/x/y.so"), "y.so");
        assert_true(path_has_prefix("/usr/lib", "/usr"));
        assert_false(path_has_prefix("/usrlib", "/usr"));
        assert_true(path_has_prefix("/anything", "/"));
}

static void test_files(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *deep = xasprintf("%s/x/y/z", dir);
        assert_int_equal(mkdir_p(deep, 0755), 0);
        char *f = xasprintf("%s/x/y/z/f", dir);
        assert_int_equal(write_file_atomic(f, "hello", 5, 0600), 0);
        char *data;
        size_t len;
        assert_int_equal(read_file(f, &data, &len), 0);
        assert_int_equal(len, 5);
        assert_string_equal(data, "hello");
        struct stat st;
        assert_int_equal(stat(f, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_true(read_file("/nonexistent/distill", &data, &len) < 0 || (free(data), 0));
        free(data);
        /* rm_rf never follows a symlink out of the tree */
        char *outside = xasprintf("%s-outside", dir);
        assert_int_equal(mkdir_p(outside, 0755), 0);
        char *keep = xasprintf("%s/keep", outside);
        assert_int_equal(write_file_atomic(keep, "k", 1, 0644), 0);
        char *link = xasprintf("%s/x/link", dir);
        assert_int_equal(symlink(outside, link), 0);
        assert_int_equal(rm_rf(dir), 0);
        assert_int_equal(stat(dir, &st), -1);
        assert_int_equal(stat(keep, &st), 0);
        rm_rf(outside);
        free(link);
        free(keep);
        free(outside);
        free(f);
        free(deep);
        free(dir);
}

/* The capped readers take exactly cap bytes and refuse one more, from files and pipes alike. */
static void test_capped_reads(void **state)
{
        (void)state;
        cleanup_free char *dir = fixture_tmpdir();
        cleanup_free char *f = xasprintf("%s/ten", dir);
        assert_int_equal(write_file_atomic(f, "0123456789", 10, 0644), 0);
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(read_file_capped(f, 10, &data, &len), 0);
        assert_int_equal(len, 10);
        assert_string_equal(data, "0123456789");
        free(data);
        assert_int_equal(read_file_capped(f, 9, &data, &len), -EFBIG);
        assert_int_equal(read_file_capped(dir, 100, &data, &len), -EISDIR);
        cleanup_free char *empty = xasprintf("%s/empty", dir);
        assert_int_equal(write_file_atomic(empty, "", 0, 0644), 0);
        assert_int_equal(read_file_capped(empty, 0, &data, &len), 0);
        assert_int_equal(len, 0);
        assert_string_equal(data, "");
        free(data);

        /* a pipe has no size to trust: the cap holds as the bytes arrive */
        int p[2];
        assert_int_equal(pipe(p), 0);
        size_t big = 200000;
        cleanup_free char *bytes = xmalloc(big);
        memset(bytes, 'x', big);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[0]);
                _exit(write_all(p[1], bytes, big) == 0 ? 0 : 1);
        }
        close(p[1]);
        assert_int_equal(read_fd_capped(p[0], big, &data, &len), 0);
        assert_int_equal(len, big);
        assert_int_equal(memcmp(data, bytes, big), 0);
        free(data);
        close(p[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(write_all(-1, "x", 1), -EBADF);
        fixture_cleanup(dir);
}

static void test_error(void **state)
{
        (void)state;
        struct distill_error err = {0};
        assert_int_equal(distill_error_set(&err, DISTILL_ERESOLVE, "lib %s", "x"),
                         -DISTILL_ERESOLVE);
        assert_int_equal(err.code, DISTILL_ERESOLVE);
        assert_string_equal(err.msg, "lib x");
        assert_int_equal(distill_error_prefix(&err, "building %s: ", "y"), -DISTILL_ERESOLVE);
        assert_string_equal(err.msg, "building y: lib x");
        assert_int_equal(distill_error_errno(&err, DISTILL_EIO, 2, "open %s", "f"), -DISTILL_EIO);
        assert_string_equal(err.msg, "open f: No such file or directory");
        /* code is evaluated once, before the message */
        int calls = 0;
        assert_int_equal(distill_error_set(&err, (calls++, DISTILL_EUSAGE), "x"), -DISTILL_EUSAGE);
        assert_int_equal(calls, 1);
}

/* The exit codes of the README, and an -errno that reaches the top is an internal error, never
 * the kind that happens to share its number. */
static void test_exit_status(void **state)
{
        (void)state;
        static const struct {
                int kind, exit;
        } codes[] = {{DISTILL_EINTERNAL, 1}, {DISTILL_EUSAGE, 2},     {DISTILL_ERESOLVE, 3},
                     {DISTILL_EIO, 4},       {DISTILL_EINTEGRITY, 5}, {DISTILL_EVERIFY, 6},
                     {DISTILL_EOUTDATED, 7}};
        struct distill_error err = {0};
        assert_int_equal(distill_exit_status(0, &err), 0);
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                assert_true(codes[i].kind > 4095); /* above every errno value */
                int r = distill_error_set(&err, codes[i].kind, "kind %zu", i);
                assert_int_equal(distill_exit_status(r, &err), codes[i].exit);
                assert_int_equal(distill_kind_exit_code(codes[i].kind), codes[i].exit);
        }
        /* -ENOENT (2) and -EIO (5) where a kind was expected: internal errors, the last
         * message kept for whoever debugs it */
        distill_error_set(&err, DISTILL_EUSAGE, "bad manifest");
        assert_int_equal(distill_exit_status(-ENOENT, &err), 1);
        assert_non_null(strstr(err.msg, "internal error"));
        assert_non_null(strstr(err.msg, "bad manifest"));
        struct distill_error none = {0};
        assert_int_equal(distill_exit_status(-EIO, &none), 1);
        assert_non_null(strstr(none.msg, "(none)"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_strbuf),       cmocka_unit_test(test_strvec_sort_unique),
            cmocka_unit_test(test_strmap),       cmocka_unit_test(test_path_normalize),
            cmocka_unit_test(test_files),        cmocka_unit_test(test_error),
            cmocka_unit_test(test_capped_reads), cmocka_unit_test(test_exit_status),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
