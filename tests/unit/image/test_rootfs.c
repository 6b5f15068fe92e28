#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/image/rootfs.h"
#include "distill/input/rules.h"
#include "fixture.h"

/* A tiny installed dpkg root: base-files, ca-certificates, libgcc-s1 (whose doc dir is a symlink
 * to gcc-12-base's, as in Debian), gcc-12-base, and bash (never kept). */
struct fx {
        char *tmp;
        char *root;
        struct source *src;
        struct store *st;
        struct plan *plan;
        struct manifest m;
};

static const struct plan_package *kept_package(const struct plan *plan, const char *name)
{
        for (size_t i = 0; i < plan->n_packages; i++)
                if (!strcmp(plan->packages[i].name, name))
                        return &plan->packages[i];
        fail_msg("no package %s in the plan", name);
        return NULL;
}

static const char status_text[] = "Package: base-files\n"
                                  "Essential: yes\n"
                                  "Status: install ok installed\n"
                                  "Priority: required\n"
                                  "Maintainer: Santiago Vila <sanvila@debian.org>\n"
                                  "Architecture: amd64\n"
                                  "Multi-Arch: foreign\n"
                                  "Version: 12.4+deb12u5\n"
                                  "Description: Debian base system miscellaneous files\n"
                                  "\n"
                                  "Package: ca-certificates\n"
                                  "Status: install ok installed\n"
                                  "Priority: optional\n"
                                  "Maintainer: Julien Cristau <jcristau@debian.org>\n"
                                  "Architecture: all\n"
                                  "Multi-Arch: foreign\n"
                                  "Version: 20230311\n"
                                  "Depends: openssl (>= 1.1.1)\n"
                                  "Conffiles:\n"
                                  " /etc/ca-certificates.conf 0123456789abcdef0123456789abcdef\n"
                                  "Description: Common CA certificates\n"
                                  "\n"
                                  "Package: gcc-12-base\n"
                                  "Status: install ok installed\n"
                                  "Architecture: amd64\n"
                                  "Multi-Arch: same\n"
                                  "Source: gcc-12\n"
                                  "Version: 12.2.0-14\n"
                                  "Description: GCC, the GNU Compiler Collection (base package)\n"
                                  "\n"
                                  "Package: libgcc-s1\n"
                                  "Status: install ok installed\n"
                                  "Architecture: amd64\n"
                                  "Multi-Arch: same\n"
                                  "Source: gcc-12\n"
                                  "Version: 12.2.0-14\n"
                                  "Depends: gcc-12-base (= 12.2.0-14)\n"
                                  "Description: GCC support library\n"
                                  "\n"
                                  "Package: libfoo1\n"
                                  "Status: install ok installed\n"
                                  "Architecture: amd64\n"
                                  "Version: 1.0-1\n"
                                  "Description: a library whose copyright is a symlink\n"
                                  "\n"
                                  "Package: bash\n"
                                  "Status: install ok installed\n"
                                  "Architecture: amd64\n"
                                  "Version: 5.2.15-2+b2\n"
                                  "Description: GNU Bourne Again SHell\n";

static void write_root_file(struct fx *f, const char *path, const char *content)
{
        char *p = path_join(f->root, path);
        fixture_write(p, content);
        free(p);
}

static void build_sysroot(struct fx *f, bool with_ca)
{
        write_root_file(f, "var/lib/dpkg/status", status_text);
        write_root_file(f, "var/lib/dpkg/info/base-files.list",
                        "/.\n/etc\n/etc/debian_version\n/etc/os-release\n/usr\n/usr/lib\n"
                        "/usr/lib/os-release\n/usr/share\n/usr/share/doc\n"
                        "/usr/share/doc/base-files\n/usr/share/doc/base-files/copyright\n");
        write_root_file(f, "etc/debian_version", "12.5\n");
        write_root_file(f, "usr/lib/os-release",
                        "PRETTY_NAME=\"Debian GNU/Linux 12\"\nID=debian\n");
        assert_int_equal(fixture_sh("ln -s ../usr/lib/os-release %s/etc/os-release", f->root), 0);
        write_root_file(f, "usr/share/doc/base-files/copyright", "base-files copyright\n");

        if (with_ca) {
                write_root_file(f, "var/lib/dpkg/info/ca-certificates.list",
                                "/.\n/usr/share/ca-certificates\n"
                                "/usr/share/ca-certificates/mozilla\n"
                                "/usr/share/ca-certificates/mozilla/b_Root.crt\n"
                                "/usr/share/ca-certificates/mozilla/A_Root.crt\n"
                                "/usr/share/ca-certificates/mozilla/No_Newline.crt\n"
                                "/usr/share/ca-certificates/mozilla/README\n"
                                "/usr/share/ca-certificates/other\n"
                                "/usr/share/ca-certificates/other/Z_Local.crt\n"
                                "/usr/share/doc/ca-certificates\n"
                                "/usr/share/doc/ca-certificates/copyright\n");
                write_root_file(f, "usr/share/ca-certificates/mozilla/b_Root.crt",
                                "-----BEGIN CERTIFICATE-----\nbbbb\n-----END CERTIFICATE-----\n");
                write_root_file(f, "usr/share/ca-certificates/mozilla/A_Root.crt",
                                "-----BEGIN CERTIFICATE-----\naaaa\n-----END CERTIFICATE-----\n");
                write_root_file(f, "usr/share/ca-certificates/mozilla/No_Newline.crt",
                                "-----BEGIN CERTIFICATE-----\nnnnn\n-----END CERTIFICATE-----");
                write_root_file(f, "usr/share/ca-certificates/mozilla/README", "not a cert\n");
                write_root_file(f, "usr/share/ca-certificates/other/Z_Local.crt", "LOCAL\n");
                write_root_file(f, "usr/share/doc/ca-certificates/copyright", "MPL-2.0\n");
                /* the build host's own bundle must never be read: make it distinctive */
                write_root_file(f, "etc/ssl/certs/ca-certificates.crt", "HOST BUNDLE\n");
        } else {
                char *status = path_join(f->root, "var/lib/dpkg/status");
                /* drop the ca-certificates stanza */
                assert_int_equal(fixture_sh("/usr/bin/python3.11 -c \"import sys; p=sys.argv[1]; "
                                            "s=open(p).read().split('\\n\\n'); "
                                            "open(p,'w').write('\\n\\n'.join(x for x in s if "
                                            "'ca-certificates' not in x))\" %s",
                                            status),
                                 0);
                free(status);
        }

        write_root_file(f, "var/lib/dpkg/info/gcc-12-base:amd64.list",
                        "/.\n/usr\n/usr/share\n/usr/share/doc\n/usr/share/doc/gcc-12-base\n"
                        "/usr/share/doc/gcc-12-base/copyright\n");
        write_root_file(f, "usr/share/doc/gcc-12-base/copyright", "GCC is GPL-3 with exceptions\n");
        write_root_file(f, "var/lib/dpkg/info/libgcc-s1:amd64.list",
                        "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libgcc_s.so.1\n"
                        "/usr\n/usr/share\n/usr/share/doc\n/usr/share/doc/libgcc-s1\n");
        write_root_file(f, "lib/x86_64-linux-gnu/libgcc_s.so.1", "\177ELF not really\n");
        assert_int_equal(fixture_sh("ln -s gcc-12-base %s/usr/share/doc/libgcc-s1", f->root), 0);

        write_root_file(f, "var/lib/dpkg/info/libfoo1.list",
                        "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu\n"
                        "/usr/lib/x86_64-linux-gnu/libfoo.so.1\n/usr/share\n/usr/share/doc\n"
                        "/usr/share/doc/libfoo1\n/usr/share/doc/libfoo1/copyright\n");
        write_root_file(f, "usr/lib/x86_64-linux-gnu/libfoo.so.1", "foo\n");
        write_root_file(f, "usr/share/doc/libfoo1/.keep", "");
        /* an absolute link: resolved inside the sysroot, never on the build host */
        assert_int_equal(fixture_sh("ln -s /usr/share/doc/libgcc-s1/copyright "
                                    "%s/usr/share/doc/libfoo1/copyright",
                                    f->root),
                         0);

        write_root_file(f, "var/lib/dpkg/info/bash.list", "/.\n/bin\n/bin/bash\n");
        write_root_file(f, "bin/bash", "#!not a shell\n");
}

static void add_plan_package(struct plan *plan, const char *name)
{
        plan->packages = xrealloc(plan->packages, (plan->n_packages + 1) * sizeof(*plan->packages));
        plan->packages[plan->n_packages++] = (struct plan_package){
            .name = xstrdup(name), .version = xstrdup("1"), .arch = xstrdup("amd64")};
}

/* A package file as select would add it: bytes from the sysroot into the store. */
static struct plan_entry *add_pkg_file(struct fx *f, const char *image_path, const char *pkg,
                                       const char *pkg_path, unsigned mode)
{
        char *host = path_join(f->root, pkg_path);
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(read_file(host, &data, &len), 0);
        struct plan_entry e = {.path = (char *)image_path,
                               .type = PLAN_FILE,
                               .mode = mode,
                               .size = len,
                               .pkg = (char *)pkg,
                               .pkg_path = (char *)pkg_path,
                               .reason = PLAN_R_SEED};
        struct distill_error err = {0};
        assert_int_equal(store_put_mem(f->st, data, len, e.digest, &err), 0);
        free(data);
        free(host);
        return plan_put(f->plan, &e);
}

static struct plan_entry *add_mem_file(struct fx *f, const char *image_path, const char *content,
                                       unsigned mode)
{
        struct plan_entry e = {.path = (char *)image_path,
                               .type = PLAN_FILE,
                               .mode = mode,
                               .size = strlen(content),
                               .reason = PLAN_R_INCLUDE,
                               .reason_from = "files.add"};
        struct distill_error err = {0};
        assert_int_equal(store_put_mem(f->st, content, strlen(content), e.digest, &err), 0);
        return plan_put(f->plan, &e);
}

static void add_simple(struct fx *f, const char *path, enum plan_type type, unsigned mode,
                       const char *target)
{
        struct plan_entry e = {.path = (char *)path,
                               .type = type,
                               .mode = mode,
                               .target = (char *)target,
                               .reason = PLAN_R_SEED};
        plan_put(f->plan, &e);
}

static void fx_open(struct fx *f, bool with_ca)
{
        memset(f, 0, sizeof(*f));
        f->tmp = fixture_tmpdir();
        f->root = path_join(f->tmp, "root");
        build_sysroot(f, with_ca);
        struct distill_error err = {0};
        if (source_open_sysroot(f->root, "amd64", &f->src, &err) < 0)
                fail_msg("source_open_sysroot: %s", err.msg);
        char *sdir = path_join(f->tmp, "store");
        assert_int_equal(store_open(sdir, &f->st, &err), 0);
        free(sdir);
        f->plan = plan_new();
        f->plan->arch = xstrdup("amd64");
        f->m.user.name = "nonroot";
        f->m.user.uid = 1000;
        f->m.user.gid = 1000;
}

static void fx_close(struct fx *f)
{
        plan_free(f->plan);
        store_free(f->st);
        source_free(f->src);
        fixture_cleanup(f->tmp);
        free(f->root);
        free(f->tmp);
}

static char *entry_bytes(struct fx *f, const char *path)
{
        const struct plan_entry *e = plan_get(f->plan, path);
        if (!e)
                fail_msg("%s is not in the plan", path);
        assert_int_equal(e->type, PLAN_FILE);
        char *data = NULL;
        size_t len = 0;
        struct distill_error err = {0};
        assert_int_equal(store_read_blob(f->st, e->digest, &data, &len, &err), 0);
        assert_int_equal(len, e->size);
        assert_int_equal(strlen(data), len);
        return data;
}

static bool has_warning(const struct plan *plan, const char *w)
{
        return strvec_contains(&plan->warnings, w);
}

/* The usual plan: what select would hand over for a small program. */
static void typical_plan(struct fx *f)
{
        add_plan_package(f->plan, "base-files");
        add_plan_package(f->plan, "bash");
        add_plan_package(f->plan, "ca-certificates");
        add_plan_package(f->plan, "gcc-12-base");
        add_plan_package(f->plan, "libfoo1");
        add_plan_package(f->plan, "libgcc-s1");
        strvec_push(&f->plan->generate, RULE_GENERATE_CA_BUNDLE);

        add_pkg_file(f, "/etc/debian_version", "base-files", "/etc/debian_version", 0644);
        add_pkg_file(f, "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1", "libgcc-s1",
                     "/lib/x86_64-linux-gnu/libgcc_s.so.1", 0644);
        add_pkg_file(f, "/usr/lib/x86_64-linux-gnu/libfoo.so.1", "libfoo1",
                     "/usr/lib/x86_64-linux-gnu/libfoo.so.1", 0644);
        struct plan_entry *tool = add_mem_file(f, "/usr/bin/tool", "tool\n", 06755);
        tool->uid = 5;
        tool->gid = 7;
        add_mem_file(f, "/opt/app/data/file.txt", "data\n", 0666);
        add_simple(f, "/usr/share/scratch", PLAN_DIR, 01777, NULL);
        add_simple(f, "/lib", PLAN_DIR, 0755, NULL); /* a package's own /lib entry */
        add_simple(f, "/usr/lib64/ld-linux-x86-64.so.2", PLAN_SYMLINK, 0777,
                   "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        add_simple(f, "/etc/apt", PLAN_DIR, 0755, NULL); /* a directory named apt is fine */
}

static void finalize_ok(struct fx *f)
{
        struct distill_error err = {0};
        if (rootfs_finalize(f->plan, &f->m, f->src, f->st, &err) < 0)
                fail_msg("rootfs_finalize: %s", err.msg);
}

static void test_accounts_and_dirs(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, true);
        typical_plan(&f);
        finalize_ok(&f);

        char *passwd = entry_bytes(&f, "/etc/passwd");
        assert_string_equal(passwd, "root:x:0:0:root:/root:/sbin/nologin\n"
                                    "nonroot:x:1000:1000::/home/nonroot:/sbin/nologin\n"
                                    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n");
        char *group = entry_bytes(&f, "/etc/group");
        assert_string_equal(group, "root:x:0:\nnonroot:x:1000:\nnogroup:x:65534:\n");
        char *ns = entry_bytes(&f, "/etc/nsswitch.conf");
        assert_non_null(strstr(ns, "\npasswd:         files\n"));
        assert_non_null(strstr(ns, "\nhosts:          files dns\n"));
        assert_int_equal(plan_get(f.plan, "/etc/passwd")->mode, 0644);
        assert_int_equal(plan_get(f.plan, "/etc/passwd")->reason, PLAN_R_GENERATED);
        assert_null(plan_get(f.plan, "/etc/passwd")->pkg);

        const struct plan_entry *home = plan_get(f.plan, "/home/nonroot");
        assert_non_null(home);
        assert_int_equal(home->type, PLAN_DIR);
        assert_int_equal(home->mode, 0700);
        assert_int_equal(home->uid, 1000);
        assert_int_equal(home->gid, 1000);
        const struct plan_entry *tmp = plan_get(f.plan, "/tmp");
        assert_int_equal(tmp->type, PLAN_DIR);
        assert_int_equal(tmp->mode, 01777);
        assert_int_equal(tmp->uid, 0);
        assert_int_equal(plan_get(f.plan, "/root")->mode, 0700);
        assert_int_equal(plan_get(f.plan, "/home")->mode, 0755);
        assert_int_equal(plan_get(f.plan, "/home")->uid, 0);

        free(passwd);
        free(group);
        free(ns);
        fx_close(&f);
}

static void test_custom_user(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, true);
        f.m.user.name = "app";
        f.m.user.uid = 2000;
        f.m.user.gid = 3000;
        finalize_ok(&f);
        char *passwd = entry_bytes(&f, "/etc/passwd");
        assert_non_null(strstr(passwd, "\napp:x:2000:3000::/home/app:/sbin/nologin\n"));
        char *group = entry_bytes(&f, "/etc/group");
        assert_non_null(strstr(group, "\napp:x:3000:\n"));
        const struct plan_entry *home = plan_get(f.plan, "/home/app");
        assert_non_null(home);
        assert_int_equal(home->uid, 2000);
        assert_int_equal(home->gid, 3000);
        assert_null(plan_get(f.plan, "/home/nonroot"));
        /* no generate request, no bundle */
        assert_null(plan_get(f.plan, "/etc/ssl/certs/ca-certificates.crt"));
        free(passwd);
        free(group);
        fx_close(&f);
}

static void test_usrmerge_links(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, true);
        typical_plan(&f);
        finalize_ok(&f);
        static const char *const links[][2] = {
            {"/bin", "usr/bin"},
            {"/sbin", "usr/sbin"},
            {"/lib", "usr/lib"},
            {"/lib64", "usr/lib64"},
        };
        for (size_t i = 0; i < 4; i++) {
                const struct plan_entry *e = plan_get(f.plan, links[i][0]);
                assert_non_null(e);
                assert_int_equal(e->type, PLAN_SYMLINK);
                assert_string_equal(e->target, links[i][1]);
                /* the link points at a directory of the image */
                char *dir = path_join("/", links[i][1]);
                const struct plan_entry *d = plan_get(f.plan, dir);
                assert_non_null(d);
                assert_int_equal(d->type, PLAN_DIR);
                free(dir);
        }
        fx_close(&f);

        /* no /usr/lib64 in the plan: no /lib64 link */
        fx_open(&f, true);
        finalize_ok(&f);
        assert_non_null(plan_get(f.plan, "/lib"));
        assert_null(plan_get(f.plan, "/lib64"));
        fx_close(&f);
}

static void test_ca_bundle(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, true);
        typical_plan(&f);
        finalize_ok(&f);

        /* what update-ca-certificates makes: the package's mozilla *.crt files in C-locale order, a
         * missing final newline added ('$a\') */
        char *want = fixture_sh_out("cd %s/usr/share/ca-certificates/mozilla && "
                                    "for c in $(LC_ALL=C ls *.crt); do sed -e '$a\\' \"$c\"; done",
                                    f.root);
        assert_non_null(want);
        assert_true(strstr(want, "aaaa") < strstr(want, "nnnn"));
        assert_true(strstr(want, "nnnn") < strstr(want, "bbbb"));
        char *got = entry_bytes(&f, "/etc/ssl/certs/ca-certificates.crt");
        assert_string_equal(got, want);
        assert_null(strstr(got, "HOST BUNDLE"));
        assert_null(strstr(got, "LOCAL"));
        const struct plan_entry *e = plan_get(f.plan, "/etc/ssl/certs/ca-certificates.crt");
        assert_int_equal(e->mode, 0644);
        assert_string_equal(e->pkg, "ca-certificates");
        assert_int_equal(e->reason, PLAN_R_GENERATED);
        assert_true(kept_package(f.plan, "ca-certificates")->kept);
        /* its parents exist */
        assert_int_equal(plan_get(f.plan, "/etc/ssl/certs")->type, PLAN_DIR);
        assert_int_equal(plan_get(f.plan, "/etc/ssl")->reason, PLAN_R_PARENT);
        free(want);
        free(got);
        fx_close(&f);
}

static void test_ca_bundle_needs_package(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, false);
        strvec_push(&f.plan->generate, RULE_GENERATE_CA_BUNDLE);
        struct distill_error err = {0};
        assert_int_equal(rootfs_finalize(f.plan, &f.m, f.src, f.st, &err), -DISTILL_ERESOLVE);
        assert_non_null(strstr(err.msg, "ca-certificates"));
        fx_close(&f);
}

static void test_package_metadata(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, true);
        typical_plan(&f);
        finalize_ok(&f);

        /* kept: has a file in the image; bash and gcc-12-base have none */
        assert_true(kept_package(f.plan, "base-files")->kept);
        assert_true(kept_package(f.plan, "libgcc-s1")->kept);
        assert_false(kept_package(f.plan, "bash")->kept);
        assert_false(kept_package(f.plan, "gcc-12-base")->kept);
        assert_null(plan_get(f.plan, "/var/lib/dpkg/status.d/bash"));
        assert_null(plan_get(f.plan, "/var/lib/dpkg/status.d/bash.md5sums"));
        assert_null(plan_get(f.plan, "/var/lib/dpkg/status.d/gcc-12-base"));
        assert_null(plan_get(f.plan, "/usr/share/doc/bash/copyright"));

        char *status = entry_bytes(&f, "/var/lib/dpkg/status.d/base-files");
        assert_true(strncmp(status, "Package: base-files\n", 20) == 0);
        assert_non_null(strstr(status, "Version: 12.4+deb12u5\n"));
        assert_null(strstr(status, "Status:"));
        const struct plan_entry *se = plan_get(f.plan, "/var/lib/dpkg/status.d/base-files");
        assert_null(se->pkg);
        assert_int_equal(se->reason, PLAN_R_PKG_METADATA);
        assert_string_equal(se->reason_from, "base-files");
        char *cstatus = entry_bytes(&f, "/var/lib/dpkg/status.d/ca-certificates");
        assert_null(strstr(cstatus, "Conffiles"));

        /* md5sums in dpkg's format, dpkg paths, only kept files: what md5sum(1) says about the
         * same files of the sysroot */
        char *md5 = entry_bytes(&f, "/var/lib/dpkg/status.d/base-files.md5sums");
        char *want = fixture_sh_out("cd %s && md5sum etc/debian_version "
                                    "usr/share/doc/base-files/copyright",
                                    f.root);
        assert_non_null(want);
        assert_string_equal(md5, want);
        free(md5);
        free(want);

        /* libgcc-s1: the dpkg path /lib/..., and the copyright reached through the doc-dir
         * symlink, shipped as a regular file of libgcc-s1 */
        md5 = entry_bytes(&f, "/var/lib/dpkg/status.d/libgcc-s1.md5sums");
        want = fixture_sh_out("cd %s && md5sum lib/x86_64-linux-gnu/libgcc_s.so.1 && "
                              "md5sum usr/share/doc/gcc-12-base/copyright | "
                              "sed 's,gcc-12-base,libgcc-s1,'",
                              f.root);
        assert_string_equal(md5, want);
        free(md5);
        free(want);
        char *copyright = entry_bytes(&f, "/usr/share/doc/libgcc-s1/copyright");
        assert_string_equal(copyright, "GCC is GPL-3 with exceptions\n");
        const struct plan_entry *ce = plan_get(f.plan, "/usr/share/doc/libgcc-s1/copyright");
        assert_string_equal(ce->pkg, "libgcc-s1");
        assert_int_equal(ce->reason, PLAN_R_PKG_METADATA);
        assert_int_equal(ce->mode, 0644);

        /* libfoo1: its copyright is a symlink (absolute, through libgcc-s1's doc-dir link) to
         * gcc-12-base's: followed, shipped as a regular file */
        free(copyright);
        copyright = entry_bytes(&f, "/usr/share/doc/libfoo1/copyright");
        assert_string_equal(copyright, "GCC is GPL-3 with exceptions\n");
        assert_int_equal(plan_get(f.plan, "/usr/share/doc/libfoo1/copyright")->type, PLAN_FILE);

        /* ca-certificates: only its copyright; the generated bundle is not a dpkg file */
        md5 = entry_bytes(&f, "/var/lib/dpkg/status.d/ca-certificates.md5sums");
        want = fixture_sh_out("cd %s && md5sum usr/share/doc/ca-certificates/copyright", f.root);
        assert_string_equal(md5, want);
        free(md5);
        free(want);

        free(status);
        free(cstatus);
        free(copyright);
        fx_close(&f);
}

static void test_modes_and_owners(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, true);
        typical_plan(&f);
        finalize_ok(&f);

        const struct plan_entry *tool = plan_get(f.plan, "/usr/bin/tool");
        assert_int_equal(tool->mode, 0755);
        assert_int_equal(tool->uid, 0);
        assert_int_equal(tool->gid, 0);
        assert_true(has_warning(f.plan, "stripped setuid from /usr/bin/tool"));
        assert_true(has_warning(f.plan, "stripped setgid from /usr/bin/tool"));
        assert_int_equal(plan_get(f.plan, "/usr/share/scratch")->mode, 0755);
        assert_true(has_warning(f.plan, "stripped sticky bit from /usr/share/scratch"));
        assert_int_equal(plan_get(f.plan, "/opt/app/data/file.txt")->mode, 0644);
        assert_int_equal(plan_get(f.plan, "/tmp")->mode, 01777);
        /* no warning for what the policy itself wants */
        for (size_t i = 0; i < f.plan->warnings.n; i++)
                assert_null(strstr(f.plan->warnings.v[i], "/tmp"));

        /* nothing but the home is owned by anyone but root */
        size_t n;
        struct plan_entry *const *ents = plan_sorted(f.plan, &n);
        for (size_t i = 0; i < n; i++) {
                if (!strcmp(ents[i]->path, "/home/nonroot"))
                        continue;
                assert_int_equal(ents[i]->uid, 0);
                assert_int_equal(ents[i]->gid, 0);
                if (ents[i]->type != PLAN_SYMLINK && strcmp(ents[i]->path, "/tmp") != 0)
                        assert_int_equal(ents[i]->mode & 07022, 0);
        }
        fx_close(&f);
}

static void test_parents(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, true);
        typical_plan(&f);
        finalize_ok(&f);

        const struct plan_entry *p = plan_get(f.plan, "/opt/app/data");
        assert_non_null(p);
        assert_int_equal(p->type, PLAN_DIR);
        assert_int_equal(p->mode, 0755);
        assert_int_equal(p->reason, PLAN_R_PARENT);
        assert_string_equal(p->reason_from, "/opt/app/data/file.txt");
        p = plan_get(f.plan, "/opt");
        assert_non_null(p);
        assert_int_equal(p->reason, PLAN_R_PARENT);
        assert_string_equal(p->reason_from, "/opt/app");

        /* every entry's parent is a directory in the plan */
        size_t n;
        struct plan_entry *const *ents = plan_sorted(f.plan, &n);
        for (size_t i = 0; i < n; i++) {
                char *dir = path_dirname(ents[i]->path);
                if (strcmp(dir, "/") != 0) {
                        const struct plan_entry *d = plan_get(f.plan, dir);
                        if (!d || d->type != PLAN_DIR)
                                fail_msg("parent %s of %s missing", dir, ents[i]->path);
                }
                free(dir);
        }
        fx_close(&f);
}

static void test_parent_is_symlink(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, true);
        add_mem_file(&f, "/bin/app", "x\n", 0755); /* not canonicalised: under the /bin link */
        struct distill_error err = {0};
        assert_int_equal(rootfs_finalize(f.plan, &f.m, f.src, f.st, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "/bin/app"));
        assert_non_null(strstr(err.msg, "not a directory"));
        fx_close(&f);
}

static void test_shell_refused(void **state)
{
        (void)state;
        struct fx f;
        fx_open(&f, true);
        typical_plan(&f);
        struct plan_entry *b = add_pkg_file(&f, "/usr/bin/bash", "bash", "/bin/bash", 0755);
        b->reason = PLAN_R_ELF_NEEDED;
        b->reason_from = xstrdup("/usr/bin/tool");
        struct distill_error err = {0};
        assert_int_equal(rootfs_finalize(f.plan, &f.m, f.src, f.st, &err), -DISTILL_EUSAGE);
        assert_string_equal(err.msg, "policy: /usr/bin/bash (from package bash, reason elf-needed "
                                     "from /usr/bin/tool) is a shell or package manager");
        fx_close(&f);

        fx_open(&f, true);
        add_simple(&f, "/usr/bin/apt-get", PLAN_SYMLINK, 0777, "apt");
        assert_int_equal(rootfs_finalize(f.plan, &f.m, f.src, f.st, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "policy: /usr/bin/apt-get (not from a package"));
        fx_close(&f);
}

static void test_forbidden_names(void **state)
{
        (void)state;
        const char *bad[] = {"sh",  "bash",    "dash",     "rbash", "busybox", "zsh",
                             "ksh", "csh",     "tcsh",     "fish",  "dpkg",    "dpkg-query",
                             "apt", "apt-get", "aptitude", "su",    "sudo",    "login"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (!rootfs_is_forbidden_name(bad[i]))
                        fail_msg("%s should be forbidden", bad[i]);
        const char *good[] = {"python3.11", "shutil.py", "bash-completion",
                              "aptly.txt",  "sha256sum", "libapt-pkg.so.6.0",
                              "ssh",        "dpkg.cfg"};
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                if (rootfs_is_forbidden_name(good[i]))
                        fail_msg("%s should be allowed", good[i]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_accounts_and_dirs),       cmocka_unit_test(test_custom_user),
            cmocka_unit_test(test_usrmerge_links),          cmocka_unit_test(test_ca_bundle),
            cmocka_unit_test(test_ca_bundle_needs_package), cmocka_unit_test(test_package_metadata),
            cmocka_unit_test(test_modes_and_owners),        cmocka_unit_test(test_parents),
            cmocka_unit_test(test_parent_is_symlink),       cmocka_unit_test(test_shell_refused),
            cmocka_unit_test(test_forbidden_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
