/* Tests for the sysroot package source: a small dpkg root is written at test time. */
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

#include "distill/core/roottree.h"
#include "distill/source/source.h"
#include "fixture.h"

/* The stanza of libfoo1:amd64 as the image must carry it: Status, Conffiles (with its
 * continuation lines) and Config-Version removed, everything else byte for byte. */
static const char libfoo1_stanza[] = "Package: libfoo1\n"
                                     "Priority: optional\n"
                                     "Architecture: amd64\n"
                                     "Multi-Arch: same\n"
                                     "Source: foo (1.2-1)\n"
                                     "Version: 1.2-1+b1\n"
                                     "Depends: libc6 (>= 2.34)\n"
                                     "Description: the foo library\n"
                                     " It does foo.\n"
                                     " .\n"
                                     " And more foo.\n";

static const char status_text[] =
    "Package: libfoo1\n"
    "Status: install ok installed\n"
    "Priority: optional\n"
    "Architecture: amd64\n"
    "Multi-Arch: same\n"
    "Source: foo (1.2-1)\n"
    "Version: 1.2-1+b1\n"
    "Depends: libc6 (>= 2.34)\n"
    "Conffiles:\n"
    " /etc/foo.conf 0123456789abcdef0123456789abcdef\n"
    " /etc/foo.d/x.conf fedcba9876543210fedcba9876543210\n"
    "Description: the foo library\n"
    " It does foo.\n"
    " .\n"
    " And more foo.\n"
    "Config-Version: 1.2-1\n"
    "\n"
    "Package: libfoo1\n"
    "Status: install ok installed\n"
    "Architecture: i386\n"
    "Multi-Arch: same\n"
    "Source: foo (1.2-1)\n"
    "Version: 1.2-1+b1\n"
    "Description: the foo library (i386)\n"
    "\n"
    "Package: gone\n"
    "Status: deinstall ok config-files\n"
    "Architecture: amd64\n"
    "Version: 1.0\n"
    "Conffiles:\n"
    " /etc/gone.conf 0123456789abcdef0123456789abcdef\n"
    "\n"
    "Package: half\n"
    "Status: install ok half-installed\n"
    "Architecture: amd64\n"
    "Version: 2.0\n"
    "\n"
    "Package: foo-bin\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Version: 1.2-1+b1\n"
    "Depends: libfoo1 (= 1.2-1+b1)\n"
    "\n"
    "Package: dashlike\n"
    "Status: install ok triggers-pending\n" /* installed, a trigger of its to run: counts */
    "Architecture: amd64\n"
    "Multi-Arch: foreign\n"
    "Version: 0.5.12-2\n"
    "\n"
    "Package: shell-common\n"
    "Status: hold ok installed\n"
    "Architecture: all\n"
    "Version: 3\n"; /* no final blank line: the last stanza ends at EOF */

static char *root;

static void write_root_file(const char *rel, const char *content)
{
        char *p = xasprintf("%s/%s", root, rel);
        fixture_write(p, content);
        free(p);
}

static int make_root(void **state)
{
        (void)state;
        root = fixture_tmpdir();
        write_root_file("var/lib/dpkg/status", status_text);
        write_root_file("var/lib/dpkg/info/libfoo1:amd64.list",
                        "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libfoo.so.1\n"
                        "/usr\n/usr/share\n/usr/share/doc\n/usr/share/doc/libfoo1\n"
                        "/usr/share/doc/libfoo1/copyright\n/etc\n/etc/foo.conf\n");
        write_root_file("var/lib/dpkg/info/libfoo1:i386.list",
                        "/.\n/lib\n/lib/i386-linux-gnu\n/lib/i386-linux-gnu/libfoo.so.1\n"
                        "/usr\n/usr/share\n/usr/share/doc\n/usr/share/doc/libfoo1\n"
                        "/usr/share/doc/libfoo1/copyright\n");
        /* no trailing newline on the last line */
        write_root_file("var/lib/dpkg/info/foo-bin.list",
                        "/.\n/usr\n/usr/bin\n/usr/bin/foo-helper\n/bin\n/bin/foo");
        write_root_file("var/lib/dpkg/info/dashlike.list", "/.\n/bin\n/bin/sh\n/bin/dash\n");
        write_root_file("var/lib/dpkg/info/shell-common.list",
                        "/.\n/bin\n/bin/sh\n/usr\n/usr/share\n/usr/share/shell-common\n");
        /* The half-installed and removed packages have no list on purpose: reading one would
         * fail the open. */
        write_root_file("var/lib/dpkg/diversions", "/bin/sh\n/bin/sh.distrib\ndashlike\n"
                                                   "/usr/share/nothing\n/usr/share/nothing.x\n"
                                                   ":\n");

        /* alternatives: one without slaves, one manual with two slaves (one choice lacks the
         * second, an empty line) */
        write_root_file("var/lib/dpkg/alternatives/libblas.so.3-x86_64-linux-gnu",
                        "auto\n/usr/lib/x86_64-linux-gnu/libblas.so.3\n\n"
                        "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3\n10\n"
                        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3\n100\n\n");
        write_root_file("var/lib/dpkg/alternatives/editor",
                        "manual\n/usr/bin/editor\n"
                        "editor.1.gz\n/usr/share/man/man1/editor.1.gz\n"
                        "editor.fr.1.gz\n/usr/share/man/fr/man1/editor.1.gz\n\n"
                        "/bin/ed\n-100\n/usr/share/man/man1/ed.1.gz\n\n"
                        "/usr/bin/vim.basic\n30\n/usr/share/man/man1/vim.1.gz\n"
                        "/usr/share/man/fr/man1/vim.1.gz\n\n");

        /* real files */
        write_root_file("lib/x86_64-linux-gnu/libfoo.so.1", "FOO-LIBRARY\n");
        write_root_file("etc/passwd", "inside-the-root\n");
        write_root_file("usr/bin/foo-helper", "#!/bin/sh\n");
        assert_int_equal(fixture_sh("chmod 4755 %s/usr/bin/foo-helper", root), 0);
        assert_int_equal(fixture_sh("cd %s && ln -s /etc/passwd etc/evil && "
                                    "mkdir -p usr/share usr/lib && "
                                    "ln -s ../../../../../../../../etc usr/share/escape && "
                                    "ln -s /etc usr/lib/abs && ln -s libfoo.so.1 "
                                    "lib/x86_64-linux-gnu/libfoo.so && mkfifo etc/fifo",
                                    root),
                         0);
        return 0;
}

static int drop_root(void **state)
{
        (void)state;
        fixture_cleanup(root);
        free(root);
        return 0;
}

static struct source *open_ok(void)
{
        struct distill_error err = {0};
        struct source *src = NULL;
        int r = source_open_sysroot(root, "amd64", &src, &err);
        if (r != 0)
                fail_msg("source_open_sysroot: %s", err.msg);
        return src;
}

static void test_metadata(void **state)
{
        (void)state;
        struct source *src = open_ok();

        assert_string_equal(source_root(src), root);
        assert_string_equal(source_arch(src), "amd64");
        /* libfoo1 twice (amd64, i386), foo-bin, dashlike, shell-common (held) */
        assert_int_equal(source_count(src), 5);
        assert_null(source_find(src, "gone"));
        assert_null(source_find(src, "half"));

        const char *order[] = {"dashlike", "foo-bin", "libfoo1", "libfoo1", "shell-common"};
        for (size_t i = 0; i < 5; i++)
                assert_string_equal(source_pkg_at(src, i)->name, order[i]);
        assert_null(source_pkg_at(src, 5));

        struct source_pkg *foo = source_find(src, "libfoo1");
        assert_non_null(foo);
        assert_string_equal(foo->arch, "amd64"); /* the native one answers */
        assert_string_equal(foo->version, "1.2-1+b1");
        assert_string_equal(foo->multiarch, "same");
        assert_string_equal(foo->source, "foo (1.2-1)");
        assert_string_equal(source_pkg_at(src, 3)->arch, "i386");

        struct source_pkg *bin = source_find(src, "foo-bin");
        assert_null(bin->multiarch);
        assert_null(bin->source);
        assert_string_equal(source_find(src, "shell-common")->arch, "all");

        /* each package is bound to its own libsolv solvable */
        Pool *pool = source_pool(src);
        for (size_t i = 0; i < source_count(src); i++) {
                struct source_pkg *p = source_pkg_at(src, i);
                Solvable *s = pool_id2solvable(pool, p->solvable);
                assert_string_equal(pool_id2str(pool, s->name), p->name);
                assert_string_equal(pool_id2str(pool, s->arch), p->arch);
                assert_string_equal(pool_id2str(pool, s->evr), p->version);
                assert_ptr_equal(source_by_solvable(src, p->solvable), p);
        }
        assert_null(source_by_solvable(src, 0));
        source_free(src);
}

static void test_stanza_text(void **state)
{
        (void)state;
        struct source *src = open_ok();
        assert_string_equal(source_find(src, "libfoo1")->stanza, libfoo1_stanza);
        /* the last stanza ends at EOF without a blank line */
        assert_string_equal(source_find(src, "shell-common")->stanza,
                            "Package: shell-common\nArchitecture: all\nVersion: 3\n");
        source_free(src);
}

static void assert_files(const struct strvec *files, const char *const *want, size_t n)
{
        for (size_t i = 0; i < files->n && i < n; i++)
                assert_string_equal(files->v[i], want[i]);
        assert_int_equal(files->n, n);
}

static void test_file_lists(void **state)
{
        (void)state;
        struct source *src = open_ok();

        const char *amd64[] = {"/lib",
                               "/lib/x86_64-linux-gnu",
                               "/lib/x86_64-linux-gnu/libfoo.so.1",
                               "/usr",
                               "/usr/share",
                               "/usr/share/doc",
                               "/usr/share/doc/libfoo1",
                               "/usr/share/doc/libfoo1/copyright",
                               "/etc",
                               "/etc/foo.conf"};
        assert_files(&source_find(src, "libfoo1")->files, amd64, 10);
        /* Multi-Arch: same of another architecture reads libfoo1:i386.list */
        assert_string_equal(source_pkg_at(src, 3)->files.v[2], "/lib/i386-linux-gnu/libfoo.so.1");
        const char *bin[] = {"/usr", "/usr/bin", "/usr/bin/foo-helper", "/bin", "/bin/foo"};
        assert_files(&source_find(src, "foo-bin")->files, bin, 5);
        source_free(src);
}

static void test_diversions(void **state)
{
        (void)state;
        struct source *src = open_ok();

        /* dashlike diverted /bin/sh: its own /bin/sh stays, shell-common's lives aside */
        const char *dash[] = {"/bin", "/bin/sh", "/bin/dash"};
        assert_files(&source_find(src, "dashlike")->files, dash, 3);
        const char *common[] = {"/bin", "/bin/sh.distrib", "/usr", "/usr/share",
                                "/usr/share/shell-common"};
        assert_files(&source_find(src, "shell-common")->files, common, 5);
        source_free(src);
}

static void test_lstat(void **state)
{
        (void)state;
        struct source *src = open_ok();
        struct distill_error err = {0};
        struct source_stat st;

        assert_int_equal(source_lstat(src, "/lib/x86_64-linux-gnu/libfoo.so.1", &st, &err), 0);
        assert_int_equal(st.type, SOURCE_REG);
        assert_int_equal(st.size, strlen("FOO-LIBRARY\n"));
        assert_null(st.link_target);

        assert_int_equal(source_lstat(src, "/usr/bin/foo-helper", &st, &err), 0);
        assert_int_equal(st.mode, 04755);

        assert_int_equal(source_lstat(src, "/lib/x86_64-linux-gnu/libfoo.so", &st, &err), 0);
        assert_int_equal(st.type, SOURCE_SYMLINK);
        assert_string_equal(st.link_target, "libfoo.so.1");
        free(st.link_target);

        assert_int_equal(source_lstat(src, "/usr/share", &st, &err), 0);
        assert_int_equal(st.type, SOURCE_DIR);
        assert_int_equal(source_lstat(src, "/", &st, &err), 0);
        assert_int_equal(st.type, SOURCE_DIR);
        assert_int_equal(source_lstat(src, "/etc/fifo", &st, &err), 0);
        assert_int_equal(st.type, SOURCE_OTHER);

        assert_int_equal(source_lstat(src, "/usr/share/missing", &st, &err), -DISTILL_ERESOLVE);
        assert_non_null(strstr(err.msg, "/usr/share/missing"));
        source_free(src);
}

static char *read_fd(int fd)
{
        char buf[256];
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        assert_true(n >= 0);
        buf[n] = '\0';
        close(fd);
        return xstrdup(buf);
}

/* Links inside the sysroot that point at absolute paths or climb with ../.. must resolve inside
 * the root, never to the build host's /etc/passwd. */
static void test_escape_stays_inside(void **state)
{
        (void)state;
        struct source *src = open_ok();
        struct distill_error err = {0};
        struct source_stat st;
        int fd = -1;
        char *text;

        /* the absolute link itself is reported as a link, not followed */
        assert_int_equal(source_lstat(src, "/etc/evil", &st, &err), 0);
        assert_int_equal(st.type, SOURCE_SYMLINK);
        assert_string_equal(st.link_target, "/etc/passwd");
        free(st.link_target);
        /* opening a symlink as a file is refused (the caller follows links via imagens) */
        assert_int_equal(source_open_file(src, "/etc/evil", &fd, &err), -DISTILL_EIO);
        assert_int_equal(fd, -1);

        /* directory link with ../../.. and an absolute directory link: followed inside */
        const char *ways[] = {"/usr/share/escape/passwd", "/usr/lib/abs/passwd",
                              "/../../../etc/passwd", "/usr/lib/abs/../../../../etc/passwd"};
        for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
                assert_int_equal(source_open_file(src, ways[i], &fd, &err), 0);
                text = read_fd(fd);
                assert_string_equal(text, "inside-the-root\n");
                free(text);
                assert_int_equal(source_lstat(src, ways[i], &st, &err), 0);
                assert_int_equal(st.type, SOURCE_REG);
                assert_int_equal(st.size, strlen("inside-the-root\n"));
        }
        /* a host file that does not exist in the root is not found through the link */
        assert_int_equal(source_open_file(src, "/usr/lib/abs/hostname", &fd, &err),
                         -DISTILL_ERESOLVE);
        assert_int_equal(source_lstat(src, "/usr/share/escape/hostname", &st, &err),
                         -DISTILL_ERESOLVE);
        source_free(src);
}

static void test_open_file(void **state)
{
        (void)state;
        struct source *src = open_ok();
        struct distill_error err = {0};
        int fd = -1;

        assert_int_equal(source_open_file(src, "/lib/x86_64-linux-gnu/libfoo.so.1", &fd, &err), 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        char *text = read_fd(fd);
        assert_string_equal(text, "FOO-LIBRARY\n");
        free(text);
        /* a FIFO is refused without blocking; a directory is refused */
        assert_int_equal(source_open_file(src, "/etc/fifo", &fd, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "not a regular file"));
        assert_int_equal(source_open_file(src, "/usr", &fd, &err), -DISTILL_EIO);
        assert_int_equal(source_open_file(src, "/nope", &fd, &err), -DISTILL_ERESOLVE);
        source_free(src);
}

/* Writes a one-off root with the given status (and optional extra file) and expects an error
 * whose message contains `want`. */
static void expect_open_error(const char *status, const char *extra_rel, const char *extra,
                              int code, const char *want)
{
        char *dir = fixture_tmpdir();
        char *p = xasprintf("%s/var/lib/dpkg/status", dir);
        struct distill_error err = {0};
        struct source *src = NULL;

        if (status)
                fixture_write(p, status);
        free(p);
        if (extra_rel) {
                p = xasprintf("%s/%s", dir, extra_rel);
                fixture_write(p, extra);
                free(p);
        }
        int r = source_open_sysroot(dir, "amd64", &src, &err);
        assert_int_equal(r, -code);
        assert_null(src);
        if (!strstr(err.msg, want))
                fail_msg("error '%s' lacks '%s'", err.msg, want);
        fixture_cleanup(dir);
        free(dir);
}

static void test_errors(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct source *src = NULL;
        /* (package names as policy has them: two characters at least) */

        assert_int_equal(source_open_sysroot("relative/root", "amd64", &src, &err),
                         -DISTILL_EUSAGE);
        expect_open_error(NULL, NULL, NULL, DISTILL_EIO, "var/lib/dpkg/status");
        expect_open_error("Package: pa\nStatus: install ok installed\nbogus line\n", NULL, NULL,
                          DISTILL_EIO, "status:3: expected 'Field: value'");
        expect_open_error(" continued\n", NULL, NULL, DISTILL_EIO,
                          "status:1: continuation line outside a field");
        expect_open_error("Package: ../../x\nStatus: install ok installed\nVersion: 1\n"
                          "Architecture: amd64\n",
                          NULL, NULL, DISTILL_EIO, "status:1: invalid Package value");
        expect_open_error("Package: pa\nStatus: install ok installed\nVersion: 1\n"
                          "Architecture: amd64\nVersion: 2\n",
                          NULL, NULL, DISTILL_EIO, "status:5: duplicate field Version");
        expect_open_error("Package: pa\nStatus: install ok installed\nArchitecture: amd64\n", NULL,
                          NULL, DISTILL_EIO, "status:1: stanza has no Version field");
        expect_open_error("Package: pa\nVersion: 1\n", NULL, NULL, DISTILL_EIO,
                          "status:1: stanza has no Status field");
        /* an installed package without its file list */
        expect_open_error("Package: pa\nStatus: install ok installed\nVersion: 1\n"
                          "Architecture: amd64\n",
                          NULL, NULL, DISTILL_EIO, "var/lib/dpkg/info/pa.list");
        /* hostile file list and diversions */
        const char *one = "Package: pa\nStatus: install ok installed\nVersion: 1\n"
                          "Architecture: amd64\n";
        expect_open_error(one, "var/lib/dpkg/info/pa.list", "/.\n/usr\n/usr/../etc/shadow\n",
                          DISTILL_EIO, "pa.list:3: invalid path");
        expect_open_error(one, "var/lib/dpkg/info/pa.list", "/.\nrelative\n", DISTILL_EIO,
                          "pa.list:2: invalid path");
        expect_open_error(one, "var/lib/dpkg/diversions", "/a\n/b\n", DISTILL_EIO,
                          "diversions: truncated entry");
        /* an over-long line */
        size_t n = (1u << 20) + 100; /* over the 1 MiB cap (real Provides lines reach 75 KB) */
        char *longline = xmalloc(n + 2);
        memset(longline, 'x', n);
        memcpy(longline, "Package: ", 9);
        longline[n] = '\n';
        longline[n + 1] = '\0';
        expect_open_error(longline, NULL, NULL, DISTILL_EIO, "status:1: line longer than");
        free(longline);
}

/* A status file that is a symlink to an absolute path is resolved inside the root too. */
static void test_metadata_symlinks_stay_inside(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *p = xasprintf("%s/real/status", dir);
        fixture_write(p, "Package: inroot\nStatus: install ok installed\nVersion: 1\n"
                         "Architecture: all\n");
        free(p);
        p = xasprintf("%s/var/lib/dpkg/info/inroot.list", dir);
        fixture_write(p, "/.\n/x\n");
        free(p);
        assert_int_equal(fixture_sh("ln -s /real/status %s/var/lib/dpkg/status", dir), 0);

        struct distill_error err = {0};
        struct source *src = NULL;
        assert_int_equal(source_open_sysroot(dir, "amd64", &src, &err), 0);
        assert_int_equal(source_count(src), 1);
        assert_string_equal(source_pkg_at(src, 0)->name, "inroot");
        source_free(src);
        fixture_cleanup(dir);
        free(dir);
}

/* The same containment guarantees from the user-space resolver (kernels without openat2). */
static void test_userspace_resolver(void **state)
{
        roottree_set_userspace_resolve(true);
        test_lstat(state);
        test_escape_stays_inside(state);
        test_open_file(state);
        test_metadata_symlinks_stay_inside(state);
        test_file_lists(state);
        roottree_set_userspace_resolve(false);
}

/* A symlink loop inside the root ends with an error, not a hang. */
static void test_symlink_loop(void **state)
{
        (void)state;
        struct source *src = open_ok();
        struct distill_error err = {0};
        struct source_stat st;
        int fd = -1;

        assert_int_equal(
            fixture_sh("cd %s && ln -sfn loop2 etc/loop1 && ln -sfn loop1 etc/loop2", root), 0);
        for (int mode = 0; mode < 2; mode++) {
                roottree_set_userspace_resolve(mode == 1);
                assert_int_equal(source_lstat(src, "/etc/loop1/x", &st, &err), -DISTILL_EIO);
                assert_non_null(strstr(err.msg, "/etc/loop1/x"));
                assert_true(source_open_file(src, "/etc/loop1/x", &fd, &err) < 0);
                /* the link itself can still be examined */
                assert_int_equal(source_lstat(src, "/etc/loop1", &st, &err), 0);
                assert_string_equal(st.link_target, "loop2");
                free(st.link_target);
        }
        roottree_set_userspace_resolve(false);
        source_free(src);
}

static void test_alternatives(void **state)
{
        (void)state;
        struct source *src = open_ok();
        assert_int_equal(source_alt_count(src), 2);
        const struct source_alt *ed = source_alt_at(src, 0);
        assert_string_equal(ed->name, "editor");
        assert_true(ed->manual);
        assert_string_equal(ed->link, "/usr/bin/editor");
        assert_int_equal(ed->slave_names.n, 2);
        assert_string_equal(ed->slave_names.v[1], "editor.fr.1.gz");
        assert_string_equal(ed->slave_links.v[1], "/usr/share/man/fr/man1/editor.1.gz");
        assert_int_equal(ed->n_choices, 2);
        assert_string_equal(ed->choices[0].path, "/bin/ed");
        assert_int_equal(ed->choices[0].priority, -100);
        assert_int_equal(ed->choices[0].slaves.n, 2);
        assert_string_equal(ed->choices[0].slaves.v[0], "/usr/share/man/man1/ed.1.gz");
        assert_string_equal(ed->choices[0].slaves.v[1], "");
        assert_string_equal(ed->choices[1].path, "/usr/bin/vim.basic");
        assert_int_equal(ed->choices[1].priority, 30);
        assert_string_equal(ed->choices[1].slaves.v[1], "/usr/share/man/fr/man1/vim.1.gz");

        const struct source_alt *blas = source_alt_at(src, 1);
        assert_string_equal(blas->name, "libblas.so.3-x86_64-linux-gnu");
        assert_false(blas->manual);
        assert_string_equal(blas->link, "/usr/lib/x86_64-linux-gnu/libblas.so.3");
        assert_int_equal(blas->slave_names.n, 0);
        assert_int_equal(blas->n_choices, 2);
        assert_string_equal(blas->choices[1].path,
                            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3");
        assert_int_equal(blas->choices[1].priority, 100);
        assert_null(source_alt_at(src, 2));
        source_free(src);
}

static void test_alternatives_errors(void **state)
{
        (void)state;
        const char *rel = "var/lib/dpkg/alternatives/x";
        expect_open_error("", rel, "bogus\n/usr/bin/x\n\n", DISTILL_EIO,
                          "alternatives/x:1: status must be");
        expect_open_error("", rel, "auto\nrelative\n\n", DISTILL_EIO,
                          "alternatives/x:2: invalid master link");
        expect_open_error("", rel, "auto\n/usr/bin/x\nsl ave\n/p\n\n", DISTILL_EIO,
                          "alternatives/x:3: invalid slave name");
        expect_open_error("", rel, "auto\n/usr/bin/x\ns\n/p\ns\n/q\n\n", DISTILL_EIO,
                          "alternatives/x:5: duplicate slave name");
        expect_open_error("", rel, "auto\n/usr/bin/x\n\n/usr/bin/y\nten\n\n", DISTILL_EIO,
                          "alternatives/x:5: invalid priority \"ten\"");
        expect_open_error("", rel, "auto\n/usr/bin/x\n\n/usr/bin/y\n99999999999999999999\n\n",
                          DISTILL_EIO, "alternatives/x:5: invalid priority");
        expect_open_error("", rel, "auto\n/usr/bin/x\n\n/usr/bin/y\n10\n", DISTILL_EIO,
                          "alternatives/x:6: unexpected end of file");
        expect_open_error("", rel, "auto\n/usr/bin/x\n\n/usr/bin/y\n10\n\njunk\n", DISTILL_EIO,
                          "alternatives/x:7: data after the closing empty line");
        expect_open_error("", rel, "auto\n/usr/bin/x\ns\n/usr/share/s\n\n/usr/bin/y\n10\n",
                          DISTILL_EIO, "alternatives/x:8: unexpected end of file");
        expect_open_error("", rel, "auto\n/usr/bin/x\n\n/usr/../etc/shadow\n10\n\n", DISTILL_EIO,
                          "alternatives/x:4: invalid alternative path");
        expect_open_error("", rel, "auto\n/usr/bin/x\ns\n/p\n\n/usr/bin/y\n1\nrel\n\n", DISTILL_EIO,
                          "alternatives/x:8: invalid slave path");
        expect_open_error("", rel, "auto\n/usr/bin/x\n\n/usr/bin/y\n10\n\n\n", DISTILL_EIO,
                          "alternatives/x:7: data after");
        expect_open_error("", rel, "auto\n/usr/bin/x", DISTILL_EIO,
                          "alternatives/x:2: line without a newline");
        /* caps: more slaves than allowed */
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "auto\n/usr/bin/x\n");
        for (int i = 0; i < 1100; i++)
                strbuf_addf(&sb, "s%d\n/usr/share/s%d\n", i, i);
        strbuf_adds(&sb, "\n");
        expect_open_error("", rel, sb.buf, DISTILL_EIO,
                          "alternatives/x:2051: more than 1024 slaves");
        strbuf_release(&sb);
}

/* Every alternatives file of this Debian host parses, through the same safe reader. */
static void test_alternatives_of_host(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *status = xasprintf("%s/var/lib/dpkg/status", dir);
        fixture_write(status, "");
        free(status);
        assert_int_equal(fixture_sh("cp -a /var/lib/dpkg/alternatives %s/var/lib/dpkg/", dir), 0);
        char *count = fixture_sh_out("ls -A /var/lib/dpkg/alternatives | grep -v '^\\.' | wc -l");
        assert_non_null(count);
        struct distill_error err = {0};
        struct source *src = NULL;
        int r = source_open_sysroot(dir, "amd64", &src, &err);
        if (r != 0)
                fail_msg("host alternatives: %s", err.msg);
        assert_int_equal(source_alt_count(src), strtoul(count, NULL, 10));
        assert_true(source_alt_count(src) > 0);
        for (size_t i = 0; i < source_alt_count(src); i++) {
                const struct source_alt *a = source_alt_at(src, i);
                assert_true(a->link[0] == '/');
                for (size_t k = 0; k < a->n_choices; k++)
                        assert_int_equal(a->choices[k].slaves.n, a->slave_names.n);
                if (i)
                        assert_true(strcmp(source_alt_at(src, i - 1)->name, a->name) < 0);
                /* dpkg's own reading of the same file (update-alternatives --query) agrees on
                 * the link and on every alternative's priority */
                char *q = fixture_sh_out("update-alternatives --query '%s'", a->name);
                assert_non_null(q);
                char *want = xasprintf("\nLink: %s\n", a->link);
                if (!strstr(q, want))
                        fail_msg("%s: link %s not in:\n%s", a->name, a->link, q);
                free(want);
                for (size_t k = 0; k < a->n_choices; k++) {
                        want = xasprintf("Alternative: %s\nPriority: %ld\n", a->choices[k].path,
                                         a->choices[k].priority);
                        if (!strstr(q, want))
                                fail_msg("%s: '%s' not in:\n%s", a->name, want, q);
                        free(want);
                }
                free(q);
        }
        free(count);
        source_free(src);
        fixture_cleanup(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_metadata),
            cmocka_unit_test(test_stanza_text),
            cmocka_unit_test(test_file_lists),
            cmocka_unit_test(test_diversions),
            cmocka_unit_test(test_lstat),
            cmocka_unit_test(test_escape_stays_inside),
            cmocka_unit_test(test_open_file),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_metadata_symlinks_stay_inside),
            cmocka_unit_test(test_userspace_resolver),
            cmocka_unit_test(test_symlink_loop),
            cmocka_unit_test(test_alternatives),
            cmocka_unit_test(test_alternatives_errors),
            cmocka_unit_test(test_alternatives_of_host),
        };
        return cmocka_run_group_tests(tests, make_root, drop_root);
}
