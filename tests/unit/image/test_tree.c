/* Writing an image tree: entries from a plan and its store, modes, owners and times as planned,
 * links kept as written, and no write ever leaving the tree through a link already in it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/image/tree.h"
#include "fixture.h"

static char *tmp;

static int setup(void **state)
{
        (void)state;
        fixture_require_root();
        tmp = fixture_tmpdir();
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        fixture_cleanup(tmp);
        free(tmp);
        return 0;
}

static struct stat lstat_of(const char *root, const char *path)
{
        char *p = path_join(root, path);
        struct stat sb;
        assert_int_equal(lstat(p, &sb), 0);
        free(p);
        return sb;
}

static char *content_of(const char *root, const char *path)
{
        char *p = path_join(root, path), *data = NULL;
        size_t len;
        assert_int_equal(read_file(p, &data, &len), 0);
        free(p);
        return data;
}

static void test_plan_into_tree(void **state)
{
        (void)state;
        char *root = path_join(tmp, "root"), *staging = path_join(tmp, "staging");
        struct distill_error err = {0};
        struct store *st = NULL;
        struct tree *t = NULL;
        struct plan *plan = plan_new();
        assert_int_equal(fixture_sh("mkdir -p '%s'", root), 0);
        assert_int_equal(store_open(staging, &st, &err), 0);

        struct plan_entry e[] = {
            {.path = "/", .type = PLAN_DIR, .mode = 0755},
            {.path = "/etc", .type = PLAN_DIR, .mode = 0555},
            {.path = "/etc/passwd", .type = PLAN_FILE, .mode = 0644},
            {.path = "/etc/pw", .type = PLAN_HARDLINK, .target = "/etc/passwd"},
            {.path = "/home", .type = PLAN_DIR, .mode = 0755},
            {.path = "/home/u", .type = PLAN_DIR, .mode = 0700, .uid = 1000, .gid = 1000},
            {.path = "/run.sh", .type = PLAN_FILE, .mode = 04755},
            {.path = "/usr/bin/sh", .type = PLAN_SYMLINK, .target = "/bin/dash", .mode = 0777},
        };
        assert_int_equal(store_put_mem(st, "root:x:0:0\n", 11, e[2].digest, &err), 0);
        assert_int_equal(store_put_mem(st, "#!x\n", 4, e[6].digest, &err), 0);
        for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
                plan_add(plan, &e[i], NULL);
        size_t n;
        struct plan_entry *const *all = plan_sorted(plan, &n);

        assert_int_equal(tree_open(root, 1234, &t, &err), 0);
        int r = tree_put_plan(t, all, n, st, &err);
        if (r < 0)
                print_error("%s\n", err.msg);
        assert_int_equal(r, 0);
        assert_int_equal(tree_finish(t, &err), 0);
        assert_true(tree_has(t, "/usr/bin/sh"));
        assert_false(tree_has(t, "/usr/bin/bash"));
        tree_free(t);

        char *pw = content_of(root, "/etc/passwd");
        assert_string_equal(pw, "root:x:0:0\n");
        free(pw);
        struct stat a = lstat_of(root, "/etc/passwd"), b = lstat_of(root, "/etc/pw");
        assert_int_equal(a.st_ino, b.st_ino);
        assert_int_equal(a.st_mode & 07777, 0644);
        assert_int_equal(a.st_mtime, 1234);
        /* modes applied last: /etc took its children and is 0555 now */
        struct stat d = lstat_of(root, "/etc");
        assert_int_equal(d.st_mode & 07777, 0555);
        assert_int_equal(d.st_mtime, 1234);
        struct stat h = lstat_of(root, "/home/u");
        assert_int_equal(h.st_mode & 07777, 0700);
        assert_int_equal(h.st_uid, 1000);
        assert_int_equal(h.st_gid, 1000);
        /* set-id bits survive the owner change (they are the plan's to strip, not the tree's) */
        assert_int_equal(lstat_of(root, "/run.sh").st_mode & 07777, 04755);
        /* parents the plan did not list are made 0755; links keep their targets as written */
        assert_int_equal(lstat_of(root, "/usr/bin").st_mode & 07777, 0755);
        char *sh = path_join(root, "/usr/bin/sh"), target[64] = {0};
        assert_int_equal(readlink(sh, target, sizeof(target) - 1), 9);
        assert_string_equal(target, "/bin/dash");
        free(sh);

        plan_free(plan);
        store_free(st);
        free(root);
        free(staging);
}

/* A link in the tree that names a host directory by an absolute path: a later entry under it is
 * written inside the tree (where the image would resolve it), never on the host. */
static void test_writes_stay_inside(void **state)
{
        (void)state;
        char *root = path_join(tmp, "root2"), *host = path_join(tmp, "host");
        struct distill_error err = {0};
        struct tree *t = NULL;
        assert_int_equal(fixture_sh("mkdir -p '%s' '%s'", root, host), 0);
        assert_int_equal(tree_open(root, 0, &t, &err), 0);
        /* the link's target exists in the tree too (a dangling one is an error: see below) */
        assert_int_equal(tree_put_dir(t, host, 0755, 0, 0, &err), 0);
        assert_int_equal(tree_put_symlink(t, "/escape", host, 0, 0, &err), 0);
        assert_int_equal(tree_put_symlink(t, "/dangling", "/nowhere", 0, 0, &err), 0);
        assert_int_equal(tree_put_symlink(t, "/up", "../../../..", 0, 0, &err), 0);
        int fd = open("/dev/null", O_RDONLY);
        assert_int_equal(tree_put_file(t, "/escape/f", fd, 0644, 0, 0, &err), 0);
        assert_int_equal(tree_put_file(t, "/up/g", fd, 0644, 0, 0, &err), 0);
        assert_int_equal(tree_put_dir(t, "/escape/d", 0755, 0, 0, &err), 0);
        assert_int_equal(tree_put_file(t, "/dangling/h", fd, 0644, 0, 0, &err), -DISTILL_EIO);
        close(fd);
        assert_int_equal(tree_finish(t, &err), 0);
        tree_free(t);
        char *on_host = path_join(host, "f"), *inside = path_join(root, host);
        char *in_f = path_join(inside, "f"), *up_g = path_join(root, "g");
        assert_int_not_equal(access(on_host, F_OK), 0);
        assert_int_equal(access(in_f, F_OK), 0);
        assert_int_equal(access(up_g, F_OK), 0);
        free(on_host);
        free(inside);
        free(in_f);
        free(up_g);
        free(root);
        free(host);
}

/* The first writer of a path wins (the plan's files over the packages' in a trace tree). */
static void test_first_writer_wins(void **state)
{
        (void)state;
        char *root = path_join(tmp, "root3"), *a = path_join(tmp, "a"), *b = path_join(tmp, "b");
        struct distill_error err = {0};
        struct tree *t = NULL;
        fixture_write(a, "first");
        fixture_write(b, "second");
        assert_int_equal(fixture_sh("mkdir -p '%s'", root), 0);
        assert_int_equal(tree_open(root, 0, &t, &err), 0);
        int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
        assert_int_equal(tree_put_file(t, "/x/y", fa, 0600, 0, 0, &err), 0);
        assert_int_equal(tree_put_file(t, "/x/y", fb, 0755, 0, 0, &err), 0);
        assert_int_equal(tree_put_symlink(t, "/x/y", "/z", 0, 0, &err), 0);
        close(fa);
        close(fb);
        assert_int_equal(tree_put_file(t, "/..", 0, 0644, 0, 0, &err), -DISTILL_EUSAGE);
        assert_int_equal(tree_finish(t, &err), 0);
        tree_free(t);
        char *y = content_of(root, "/x/y");
        assert_string_equal(y, "first");
        assert_int_equal(lstat_of(root, "/x/y").st_mode & 07777, 0600);
        free(y);
        free(root);
        free(a);
        free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plan_into_tree),
            cmocka_unit_test(test_writes_stay_inside),
            cmocka_unit_test(test_first_writer_wins),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
