/* Path resolution inside the image namespace: symlinks, "..", loops, conflicts, usrmerge. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/core/imagens.h"
#include "fixture.h"

static void add(struct imagens *ns, const char *path, enum imagens_node_type t, const char *target,
                const char *owner)
{
        struct distill_error err = {0};
        int r =
            imagens_add(ns, path, t, target, t == IMAGENS_DIR ? 0755 : 0644, 0, owner, NULL, &err);
        if (r < 0)
                fail_msg("imagens_add %s: %s", path, err.msg);
}

/* A small Debian-like tree: merged /usr, a SONAME chain, an absolute and a relative link. */
static struct imagens *sample(void)
{
        struct imagens *ns = imagens_new();
        add(ns, "/lib", IMAGENS_SYMLINK, "usr/lib", NULL);
        add(ns, "/lib64", IMAGENS_SYMLINK, "usr/lib64", NULL);
        add(ns, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", IMAGENS_FILE, NULL, "zlib1g");
        add(ns, "/usr/lib/x86_64-linux-gnu/libz.so.1", IMAGENS_SYMLINK, "libz.so.1.2.13", "zlib1g");
        add(ns, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", IMAGENS_FILE, NULL, "libc6");
        add(ns, "/usr/lib64/ld-linux-x86-64.so.2", IMAGENS_SYMLINK,
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "libc6");
        add(ns, "/etc/ssl/openssl.cnf", IMAGENS_FILE, NULL, "openssl");
        add(ns, "/usr/lib/ssl/openssl.cnf", IMAGENS_SYMLINK, "../../../../../../etc/ssl/openssl.cnf",
            "openssl");
        return ns;
}

static void resolve_ok(const struct imagens *ns, const char *path, bool follow,
                       struct imagens_resolved *res)
{
        struct distill_error err = {0};
        int r = imagens_resolve(ns, path, follow, res, &err);
        if (r < 0)
                fail_msg("resolve %s: %s", path, err.msg);
}

static void test_relative_and_absolute_links(void **state)
{
        (void)state;
        struct imagens *ns = sample();
        struct imagens_resolved res;

        resolve_ok(ns, "/lib64/ld-linux-x86-64.so.2", true, &res);
        assert_non_null(res.node);
        assert_int_equal(res.node->type, IMAGENS_FILE);
        assert_string_equal(res.path, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        assert_int_equal(res.links.n, 3);
        assert_string_equal(res.links.v[0], "/lib64");
        assert_string_equal(res.links.v[1], "/usr/lib64/ld-linux-x86-64.so.2");
        assert_string_equal(res.links.v[2], "/lib");
        assert_string_equal(res.node->owner, "libc6");
        imagens_resolved_release(&res);

        resolve_ok(ns, "/lib/x86_64-linux-gnu/libz.so.1", true, &res);
        assert_string_equal(res.path, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13");
        assert_int_equal(res.links.n, 2);
        assert_string_equal(res.links.v[0], "/lib");
        assert_string_equal(res.links.v[1], "/usr/lib/x86_64-linux-gnu/libz.so.1");
        imagens_resolved_release(&res);
        imagens_free(ns);
}

static void test_dotdot_clamps_at_root(void **state)
{
        (void)state;
        struct imagens *ns = sample();
        struct imagens_resolved res;
        /* the link climbs far above "/" and lands on /etc */
        resolve_ok(ns, "/usr/lib/ssl/openssl.cnf", true, &res);
        assert_non_null(res.node);
        assert_string_equal(res.path, "/etc/ssl/openssl.cnf");
        imagens_resolved_release(&res);

        resolve_ok(ns, "/../../etc/./ssl//openssl.cnf", true, &res);
        assert_non_null(res.node);
        assert_string_equal(res.path, "/etc/ssl/openssl.cnf");
        imagens_resolved_release(&res);

        /* ".." after a symlinked dir is physical: /lib/.. is /usr, not / */
        resolve_ok(ns, "/lib/../lib64", true, &res);
        assert_string_equal(res.path, "/usr/lib64");
        assert_int_equal(res.node->type, IMAGENS_DIR);
        imagens_resolved_release(&res);
        imagens_free(ns);
}

static void test_missing_path(void **state)
{
        (void)state;
        struct imagens *ns = sample();
        struct imagens_resolved res;
        resolve_ok(ns, "/lib/x86_64-linux-gnu/libnope.so.1", true, &res);
        assert_null(res.node);
        assert_string_equal(res.path, "/usr/lib/x86_64-linux-gnu/libnope.so.1");
        imagens_resolved_release(&res);
        /* a file used as a directory does not exist */
        resolve_ok(ns, "/etc/ssl/openssl.cnf/x", true, &res);
        assert_null(res.node);
        imagens_resolved_release(&res);
        imagens_free(ns);
}

static void test_symlink_loop(void **state)
{
        (void)state;
        struct imagens *ns = imagens_new();
        add(ns, "/a", IMAGENS_SYMLINK, "b", NULL);
        add(ns, "/b", IMAGENS_SYMLINK, "/a", NULL);
        add(ns, "/self", IMAGENS_SYMLINK, "./self", NULL);
        struct imagens_resolved res;
        struct distill_error err = {0};
        assert_int_equal(imagens_resolve(ns, "/a", true, &res, &err), -DISTILL_ERESOLVE);
        assert_non_null(strstr(err.msg, "symlink loop"));
        assert_non_null(strstr(err.msg, "/a"));
        assert_null(res.path);
        memset(&err, 0, sizeof(err));
        assert_int_equal(imagens_resolve(ns, "/self/x", true, &res, &err), -DISTILL_ERESOLVE);
        /* not following the last component does not loop */
        resolve_ok(ns, "/a", false, &res);
        assert_non_null(res.node);
        assert_int_equal(res.node->type, IMAGENS_SYMLINK);
        imagens_resolved_release(&res);

        /* a chain of exactly IMAGENS_MAX_LINKS links resolves, one more does not */
        struct imagens *chain = imagens_new();
        add(chain, "/f", IMAGENS_FILE, NULL, NULL);
        for (int i = 0; i <= IMAGENS_MAX_LINKS; i++) {
                char p[32], t[32];
                snprintf(p, sizeof(p), "/l%d", i);
                if (i == 0)
                        snprintf(t, sizeof(t), "f");
                else
                        snprintf(t, sizeof(t), "l%d", i - 1);
                add(chain, p, IMAGENS_SYMLINK, t, NULL);
        }
        char last[32];
        snprintf(last, sizeof(last), "/l%d", IMAGENS_MAX_LINKS - 1);
        resolve_ok(chain, last, true, &res);
        assert_string_equal(res.path, "/f");
        assert_int_equal(res.links.n, IMAGENS_MAX_LINKS);
        imagens_resolved_release(&res);
        snprintf(last, sizeof(last), "/l%d", IMAGENS_MAX_LINKS);
        assert_int_equal(imagens_resolve(chain, last, true, &res, &err), -DISTILL_ERESOLVE);
        imagens_free(chain);
        imagens_free(ns);
}

static void test_follow_last_false(void **state)
{
        (void)state;
        struct imagens *ns = sample();
        struct imagens_resolved res;
        resolve_ok(ns, "/lib/x86_64-linux-gnu/libz.so.1", false, &res);
        assert_non_null(res.node);
        assert_int_equal(res.node->type, IMAGENS_SYMLINK);
        assert_string_equal(res.node->target, "libz.so.1.2.13");
        assert_string_equal(res.path, "/usr/lib/x86_64-linux-gnu/libz.so.1");
        /* intermediate links are still followed and recorded */
        assert_int_equal(res.links.n, 1);
        assert_string_equal(res.links.v[0], "/lib");
        imagens_resolved_release(&res);
        imagens_free(ns);
}

static void test_conflicts(void **state)
{
        (void)state;
        struct imagens *ns = sample();
        struct distill_error err = {0};
        /* same file, same owner: no-op */
        assert_int_equal(imagens_add(ns, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", IMAGENS_FILE,
                                     NULL, 0644, 0, "zlib1g", NULL, &err),
                         0);
        /* same symlink, same owner: no-op */
        assert_int_equal(imagens_add(ns, "/usr/lib/x86_64-linux-gnu/libz.so.1", IMAGENS_SYMLINK,
                                     "libz.so.1.2.13", 0777, 0, "zlib1g", NULL, &err),
                         0);
        /* two owners of one file */
        assert_int_equal(imagens_add(ns, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", IMAGENS_FILE,
                                     NULL, 0644, 0, "zlib-ng", NULL, &err),
                         -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "zlib1g"));
        assert_non_null(strstr(err.msg, "zlib-ng"));
        assert_non_null(strstr(err.msg, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"));
        /* same owner, different link target */
        memset(&err, 0, sizeof(err));
        assert_int_equal(imagens_add(ns, "/usr/lib/x86_64-linux-gnu/libz.so.1", IMAGENS_SYMLINK,
                                     "other", 0777, 0, "zlib1g", NULL, &err),
                         -DISTILL_EUSAGE);
        /* a file where a directory is */
        assert_int_equal(
            imagens_add(ns, "/usr/lib", IMAGENS_FILE, NULL, 0644, 0, "evil", NULL, &err),
            -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "evil"));
        /* an entry below a file */
        assert_int_equal(imagens_add(ns, "/etc/ssl/openssl.cnf/x", IMAGENS_FILE, NULL, 0644, 0,
                                     "evil", NULL, &err),
                         -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "openssl"));
        /* directories merge; an implicit parent takes the declared mode and owner */
        assert_int_equal(
            imagens_add(ns, "/etc/ssl", IMAGENS_DIR, NULL, 0700, 0, "openssl", NULL, &err), 0);
        assert_int_equal(
            imagens_add(ns, "/etc/ssl/", IMAGENS_DIR, NULL, 0755, 0, "other", NULL, &err), 0);
        const struct imagens_node *d = imagens_get(ns, "/etc/ssl");
        assert_non_null(d);
        assert_int_equal(d->mode, 0700);
        assert_string_equal(d->owner, "openssl");
        imagens_free(ns);
}

static void collect(const struct imagens_node *n, void *ud)
{
        strvec_push(ud, n->path);
}

static void test_listing_and_foreach(void **state)
{
        (void)state;
        struct imagens *ns = sample();
        struct strvec names = STRVEC_INIT;
        assert_int_equal(imagens_list_dir(ns, "/usr/lib/x86_64-linux-gnu", &names), 0);
        assert_int_equal(names.n, 3);
        assert_string_equal(names.v[0], "ld-linux-x86-64.so.2");
        assert_string_equal(names.v[1], "libz.so.1");
        assert_string_equal(names.v[2], "libz.so.1.2.13");
        strvec_clear(&names);
        assert_int_equal(imagens_list_dir(ns, "/", &names), 0);
        assert_int_equal(names.n, 4); /* etc lib lib64 usr */
        strvec_clear(&names);
        assert_true(imagens_list_dir(ns, "/nope", &names) < 0);

        struct strvec all = STRVEC_INIT;
        imagens_foreach(ns, collect, &all);
        assert_string_equal(all.v[0], "/");
        for (size_t i = 1; i < all.n; i++)
                assert_true(strcmp(all.v[i - 1], all.v[i]) < 0);
        assert_true(strvec_contains(&all, "/usr/lib/x86_64-linux-gnu")); /* implicit parent */
        strvec_clear(&all);
        assert_null(imagens_get(ns, "/lib/x86_64-linux-gnu/libz.so.1")); /* no resolution */
        assert_non_null(imagens_get(ns, "/usr/lib/x86_64-linux-gnu/libz.so.1"));
        imagens_free(ns);
}

static void test_add_tree(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        assert_int_equal(fixture_sh("cd %s && mkdir -p usr/lib/x && echo hi > usr/lib/x/f && "
                                    "ln -s usr/lib lib && ln -s /etc/missing usr/lib/x/dangling "
                                    "&& mkfifo usr/lib/fifo && chmod 0600 usr/lib/x/f",
                                    dir),
                         0);
        struct imagens *ns = imagens_new();
        struct distill_error err = {0};
        assert_int_equal(fixture_imagens_add_tree(ns, dir, &err), 0);
        const struct imagens_node *f = imagens_get(ns, "/usr/lib/x/f");
        assert_non_null(f);
        assert_int_equal(f->type, IMAGENS_FILE);
        assert_int_equal(f->mode, 0600);
        assert_int_equal(f->size, 3);
        cleanup_free char *src = xasprintf("%s/usr/lib/x/f", dir);
        assert_string_equal(f->src_path, src);
        const struct imagens_node *l = imagens_get(ns, "/lib");
        assert_int_equal(l->type, IMAGENS_SYMLINK);
        assert_string_equal(l->target, "usr/lib");
        assert_int_equal(imagens_get(ns, "/usr/lib/x/dangling")->type, IMAGENS_SYMLINK);
        assert_null(imagens_get(ns, "/usr/lib/fifo"));
        struct imagens_resolved res;
        resolve_ok(ns, "/lib/x/f", true, &res);
        assert_ptr_equal(res.node, f);
        imagens_resolved_release(&res);
        /* the host's /etc is never consulted */
        resolve_ok(ns, "/usr/lib/x/dangling", true, &res);
        assert_null(res.node);
        assert_string_equal(res.path, "/etc/missing");
        imagens_resolved_release(&res);
        imagens_free(ns);
        fixture_cleanup(dir);
        free(dir);
}

static void test_usrmerge(void **state)
{
        (void)state;
        static const struct {
                const char *in, *out;
        } table[] = {
            {"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
            {"/bin/sh", "/usr/bin/sh"},
            {"/sbin/ldconfig", "/usr/sbin/ldconfig"},
            {"/lib64/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2"},
            {"/lib32/x", "/usr/lib32/x"},
            {"/libx32/x", "/usr/libx32/x"},
            {"./lib/x86_64-linux-gnu/x", "/usr/lib/x86_64-linux-gnu/x"},
            {"/usr/lib/x", "/usr/lib/x"},
            {"/library/x", "/library/x"},
            {"/etc/passwd", "/etc/passwd"},
            {"/binx", "/binx"},
            {"/", "/"},
            {"/lib", NULL},
            {"/lib/", NULL},
            {"/bin", NULL},
            {"/lib64", NULL},
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                char *got = usrmerge_canonical(table[i].in);
                if (!table[i].out) {
                        if (got)
                                fail_msg("%s → %s, want NULL", table[i].in, got);
                } else {
                        if (!got || strcmp(got, table[i].out) != 0)
                                fail_msg("%s → %s, want %s", table[i].in, got ? got : "NULL",
                                         table[i].out);
                }
                free(got);
        }
        const char *target = NULL;
        assert_true(usrmerge_is_top_link("/bin", &target));
        assert_string_equal(target, "usr/bin");
        assert_true(usrmerge_is_top_link("/lib64", &target));
        assert_string_equal(target, "usr/lib64");
        assert_false(usrmerge_is_top_link("/usr", &target));
        assert_false(usrmerge_is_top_link("/lib/x", &target));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_relative_and_absolute_links),
            cmocka_unit_test(test_dotdot_clamps_at_root),
            cmocka_unit_test(test_missing_path),
            cmocka_unit_test(test_symlink_loop),
            cmocka_unit_test(test_follow_last_false),
            cmocka_unit_test(test_conflicts),
            cmocka_unit_test(test_listing_and_foreach),
            cmocka_unit_test(test_add_tree),
            cmocka_unit_test(test_usrmerge),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
