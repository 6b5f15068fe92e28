/* Tests for lock: several architectures in one write, read back; the architectures a lock pins;
 * the solver pins of an update; the changes between a lock and a new set. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/source/lock.h"
#include "fixture.h"

static struct source_pkg pkg(const char *name, const char *version, const char *arch)
{
        return (struct source_pkg){.name = (char *)name,
                                   .version = (char *)version,
                                   .arch = (char *)arch,
                                   .filename = (char *)"pool/main/x.deb",
                                   .sha256 =
                                       (char *)"ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab0"
                                               "1ab01ab01ab01ab01",
                                   .base_uri = (char *)"http://deb.example/debian",
                                   .size = 42};
}

static void test_write_archs_read_back(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *path = xasprintf("%s/distill.lock", dir);
        struct source_pkg a[] = {pkg("app", "1.0", "amd64"), pkg("libc6", "2.36-9", "amd64")};
        struct source_pkg b[] = {pkg("app", "1.1", "arm64")};
        struct source_pkg *pa[] = {&a[0], &a[1]}, *pb[] = {&b[0]};
        struct pkgset sets[] = {{pa, 2}, {pb, 1}};
        const char *archs[] = {"amd64", "arm64"};
        struct distill_error err = {0};
        struct lock_set set = {0};
        struct strvec got = STRVEC_INIT;

        assert_int_equal(lock_write_archs(path, archs, sets, 2, &err), 0);
        assert_int_equal(lock_architectures(path, &got, &err), 0);
        assert_int_equal(got.n, 2);
        assert_string_equal(got.v[0], "amd64");
        assert_string_equal(got.v[1], "arm64");
        assert_int_equal(lock_read(path, "amd64", &set, &err), 0);
        assert_int_equal(set.n, 2);
        assert_string_equal(lock_find(&set, "libc6")->version, "2.36-9");
        assert_null(lock_find(&set, "libc-bin"));
        lock_set_release(&set);

        /* one architecture rewritten, the other kept */
        struct source_pkg c[] = {pkg("app", "2.0", "amd64")};
        struct source_pkg *pc[] = {&c[0]};
        assert_int_equal(lock_write(path, "amd64", &(struct pkgset){pc, 1}, &err), 0);
        assert_int_equal(lock_read(path, "amd64", &set, &err), 0);
        assert_int_equal(set.n, 1);
        assert_string_equal(set.v[0].version, "2.0");
        lock_set_release(&set);
        assert_int_equal(lock_read(path, "arm64", &set, &err), 0);
        assert_string_equal(set.v[0].version, "1.1");
        lock_set_release(&set);

        /* a package without an archive location writes nothing */
        struct source_pkg bad = pkg("local", "1", "amd64");
        bad.sha256 = NULL;
        struct source_pkg *pbad[] = {&bad};
        assert_int_equal(lock_write(path, "amd64", &(struct pkgset){pbad, 1}, &err),
                         -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "local"));
        assert_int_equal(lock_read(path, "amd64", &set, &err), 0);
        assert_string_equal(set.v[0].version, "2.0");
        lock_set_release(&set);

        strvec_clear(&got);
        free(path);
        fixture_cleanup(dir);
        free(dir);
}

static void test_architectures_hostile(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *path = xasprintf("%s/distill.lock", dir);
        struct distill_error err = {0};
        struct strvec got = STRVEC_INIT;
        const char *bad[] = {"", "[]", "{\"version\": 1}", "{\"architectures\": []}",
                             "{\"architectures\": {\"a\": 1, \"a\": 2}}"};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                fixture_write(path, bad[i]);
                err = (struct distill_error){0};
                if (lock_architectures(path, &got, &err) != -DISTILL_EUSAGE)
                        fail_msg("%s: accepted", bad[i]);
                if (!strstr(err.msg, path))
                        fail_msg("%s: the message does not name the file: %s", bad[i], err.msg);
                strvec_clear(&got);
        }
        free(path);
        path = xasprintf("%s/absent.lock", dir);
        assert_int_equal(lock_architectures(path, &got, &err), -DISTILL_EIO);
        free(path);
        fixture_cleanup(dir);
        free(dir);
}

static struct lock_set lock_of(struct lock_entry *v, size_t n)
{
        return (struct lock_set){v, n};
}

static void test_pins(void **state)
{
        (void)state;
        struct lock_entry e[] = {{.name = (char *)"app", .version = (char *)"1"},
                                 {.name = (char *)"lib", .version = (char *)"2"}};
        struct lock_set set = lock_of(e, 2);
        struct strvec names = STRVEC_INIT;

        struct solve_pin *all = lock_pins(&set, NULL);
        assert_string_equal(all[1].name, "lib");
        assert_string_equal(all[1].version, "2");
        assert_false(all[0].keep);
        assert_false(all[1].keep);
        free(all);

        strvec_push(&names, "app");
        struct solve_pin *some = lock_pins(&set, &names);
        assert_false(some[0].keep); /* named: may move */
        assert_true(some[1].keep);  /* not named: favoured where it is */
        free(some);
        strvec_clear(&names);
}

static void test_diff(void **state)
{
        (void)state;
        struct lock_entry e[] = {{.name = (char *)"base", .version = (char *)"1"},
                                 {.name = (char *)"gone", .version = (char *)"3"},
                                 {.name = (char *)"lib", .version = (char *)"2.0"},
                                 {.name = (char *)"same", .version = (char *)"5"}};
        struct lock_set old = lock_of(e, 4);
        /* sorted by name then architecture, as solve leaves them: multiarch twice */
        struct source_pkg n[] = {pkg("base", "1", "amd64"), pkg("fresh", "0.1", "all"),
                                 pkg("lib", "2.1", "amd64"), pkg("lib", "2.1", "i386"),
                                 pkg("same", "5", "all")};
        struct source_pkg *pn[] = {&n[0], &n[1], &n[2], &n[3], &n[4]};
        struct pkgset now = {pn, 5};
        struct lock_change *ch;

        size_t k = lock_diff(&old, &now, &ch);
        assert_int_equal(k, 3);
        assert_int_equal(ch[0].kind, LOCK_ADDED);
        assert_string_equal(ch[0].name, "fresh");
        assert_null(ch[0].old_version);
        assert_string_equal(ch[0].new_version, "0.1");
        assert_int_equal(ch[1].kind, LOCK_REMOVED);
        assert_string_equal(ch[1].name, "gone");
        assert_string_equal(ch[1].old_version, "3");
        assert_null(ch[1].new_version);
        assert_int_equal(ch[2].kind, LOCK_CHANGED);
        assert_string_equal(ch[2].name, "lib");
        assert_string_equal(ch[2].old_version, "2.0");
        assert_string_equal(ch[2].new_version, "2.1");
        free(ch);

        /* the same set: nothing, and no array */
        struct source_pkg s[] = {pkg("base", "1", "amd64"), pkg("gone", "3", "amd64"),
                                 pkg("lib", "2.0", "amd64"), pkg("same", "5", "all")};
        struct source_pkg *ps[] = {&s[0], &s[1], &s[2], &s[3]};
        assert_int_equal(lock_diff(&old, &(struct pkgset){ps, 4}, &ch), 0);
        assert_null(ch);

        /* an empty lock: all added; an empty set: all removed */
        assert_int_equal(lock_diff(&(struct lock_set){0}, &now, &ch), 4);
        free(ch);
        assert_int_equal(lock_diff(&old, &(struct pkgset){0}, &ch), 4);
        assert_int_equal(ch[3].kind, LOCK_REMOVED);
        assert_string_equal(ch[3].name, "same");
        free(ch);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_write_archs_read_back),
            cmocka_unit_test(test_architectures_hostile),
            cmocka_unit_test(test_pins),
            cmocka_unit_test(test_diff),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
