/* roottree: image paths inside a directory on disk never leave it, with openat2 and with the
 * user-space walk alike, and the host path names the file the image would open. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/util.h"
#include "distill/core/roottree.h"
#include "fixture.h"

static char *tree;
static char *outside; /* a sibling of the tree that no path may reach */

static int setup(void **state)
{
        (void)state;
        char *base = fixture_tmpdir();
        tree = path_join(base, "root");
        outside = path_join(base, "etc");
        free(base);
        /* the outside twin of every target, so an escape would succeed visibly */
        assert_int_equal(
            fixture_sh("mkdir -p %s/usr/lib/x86_64-linux-gnu %s/usr/bin %s/etc %s/opt %s && "
                       "echo inside >%s/etc/marker && echo outside >%s/marker && "
                       "echo py >%s/usr/bin/python3.11 && ln -s python3.11 %s/usr/bin/python3 && "
                       "echo ld >%s/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 && "
                       "ln -s usr/lib %s/lib && mkdir %s/lib64 && "
                       "ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "
                       "%s/lib64/ld-linux-x86-64.so.2 && "
                       "ln -s ../../../../../../../etc %s/opt/up && ln -s /etc/../../../etc "
                       "%s/opt/abs && ln -s loop2 %s/opt/loop1 && ln -s loop1 %s/opt/loop2 && "
                       "ln -s / %s/opt/root",
                       tree, tree, tree, tree, outside, tree, outside, tree, tree, tree, tree, tree,
                       tree, tree, tree, tree, tree, tree),
            0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        char *base = path_dirname(tree);
        fixture_cleanup(base);
        free(base);
        free(tree);
        free(outside);
        return 0;
}

static void assert_host_path(const char *image_path, const char *expected_rel)
{
        char *got = roottree_host_path(tree, image_path);
        char *want = xasprintf("%s%s", tree, expected_rel);
        assert_string_equal(got, want);
        free(got);
        free(want);
}

static void test_host_path_follows_links_inside(void **state)
{
        (void)state;
        /* an absolute link through a directory link restarts at the tree, not at the host's / */
        assert_host_path("/lib64/ld-linux-x86-64.so.2",
                         "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        assert_host_path("/usr/bin/python3", "/usr/bin/python3.11");
        assert_host_path("/usr/bin/../../../../usr/bin/python3", "/usr/bin/python3.11");
        assert_host_path("//usr/./bin//python3.11", "/usr/bin/python3.11");
        assert_host_path("/opt/up/marker", "/etc/marker");
        assert_host_path("/opt/abs/marker", "/etc/marker");
        assert_host_path("/opt/root", "/");
        assert_host_path("/", "/");
}

static void test_host_path_keeps_missing_parts_as_written(void **state)
{
        (void)state;
        assert_host_path("/lib64/ld-missing.so.2", "/lib64/ld-missing.so.2");
        /* the existing prefix is resolved, the rest kept with ".." applied by name */
        assert_host_path("/lib/x86_64-linux-gnu/gone/../x", "/usr/lib/x86_64-linux-gnu/x");
        assert_host_path("/nowhere/../../../etc/marker", "/etc/marker");
        /* a loop stops at the limit and stays in the tree */
        char *got = roottree_host_path(tree, "/opt/loop1/x");
        assert_true(strncmp(got, tree, strlen(tree)) == 0 && got[strlen(tree)] == '/');
        free(got);
}

/* Reads the file at `path` inside the tree, "" when it cannot be opened. */
static char *read_inside(int rootfd, const char *path, int *err)
{
        int fd = roottree_open(rootfd, path, O_RDONLY | O_CLOEXEC);
        *err = fd < 0 ? errno : 0;
        if (fd < 0)
                return xstrdup("");
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(read_fd_capped(fd, 4096, &data, &len), 0);
        close(fd);
        return data;
}

static void test_open_same_with_kernel_and_walk(void **state)
{
        (void)state;
        static const char *const paths[] = {
            "/etc/marker",
            "etc/marker",
            "/opt/up/marker",
            "/opt/abs/marker",
            "/opt/root/etc/marker",
            "/../../etc/marker",
            "/lib64/ld-linux-x86-64.so.2",
            "/usr/bin/python3",
            "/opt/loop1/marker",
            "/missing",
        };
        int rootfd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(rootfd >= 0);
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                int e_kernel, e_walk;
                roottree_set_userspace_resolve(false);
                char *kernel = read_inside(rootfd, paths[i], &e_kernel);
                roottree_set_userspace_resolve(true);
                char *walk = read_inside(rootfd, paths[i], &e_walk);
                roottree_set_userspace_resolve(false);
                assert_string_equal(kernel, walk);
                assert_int_equal(e_kernel, e_walk);
                assert_null(strstr(walk, "outside"));
                free(kernel);
                free(walk);
        }
        int e;
        char *m = read_inside(rootfd, "/opt/up/marker", &e);
        assert_string_equal(m, "inside\n");
        free(m);
        roottree_set_userspace_resolve(true);
        m = read_inside(rootfd, "/opt/loop1/marker", &e);
        assert_int_equal(e, ELOOP);
        free(m);
        /* O_NOFOLLOW opens neither a final link nor what it names */
        assert_int_equal(roottree_open(rootfd, "/usr/bin/python3", O_RDONLY | O_NOFOLLOW), -1);
        assert_int_equal(errno, ELOOP);
        roottree_set_userspace_resolve(false);
        assert_int_equal(roottree_open(rootfd, "/usr/bin/python3", O_RDONLY | O_NOFOLLOW), -1);
        assert_int_equal(errno, ELOOP);
        close(rootfd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_host_path_follows_links_inside),
            cmocka_unit_test(test_host_path_keeps_missing_parts_as_written),
            cmocka_unit_test(test_open_same_with_kernel_and_walk),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
