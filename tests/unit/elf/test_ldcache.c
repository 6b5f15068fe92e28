/* ldcache against glibc itself: a fixture tree (host libc/libm/libz, cc-built libraries with
 * sonames, a non-default dir listed by ld.so.conf.d, a glibc-hwcaps variant) is given to the real
 * `ldconfig -r TREE -X`; the cache it writes must parse to exactly the entries (same order)
 * ldcache_entries derives from the same files. Our serialised cache must print the same under
 * `ldconfig -C FILE -p`, and ld.so chrooted into the tree must resolve through it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/elf/elf.h"
#include "distill/elf/ldcache.h"
#include "fixture.h"

#define ML "/usr/lib/x86_64-linux-gnu"

static void sh_ok(const char *cmd)
{
        int r = fixture_sh("%s", cmd);
        if (r != 0)
                fail_msg("command failed (%d): %s", r, cmd);
}

/* ---- callbacks reading an image rooted at a host dir -------------------------------------- */

static int tree_read(void *ud, const char *image_path, char **data, size_t *len)
{
        cleanup_free char *p = xasprintf("%s%s", (const char *)ud, image_path);
        return read_file(p, data, len);
}

static int tree_list(void *ud, const char *image_dir, struct strvec *names)
{
        cleanup_free char *p = xasprintf("%s%s", (const char *)ud, image_dir);
        DIR *d = opendir(p);
        if (!d)
                return -errno;
        struct dirent *de;
        while ((de = readdir(d)))
                strvec_push(names, de->d_name);
        closedir(d);
        return 0;
}

/* ---- scanning the fixture the way ldconfig does ------------------------------------------- */

struct scan {
        struct ldcache_lib *libs;
        size_t n;
        struct strvec strings; /* owns every string the libs point to */
};

static const char *keep(struct scan *s, const char *str)
{
        if (!str)
                return NULL;
        strvec_push(&s->strings, str);
        return s->strings.v[s->strings.n - 1];
}

static void scan_dir(struct scan *s, const char *root, const char *dir, const char *hwcaps)
{
        cleanup_free char *host = xasprintf("%s%s", root, dir);
        DIR *d = opendir(host);
        if (!d)
                return;
        struct strvec names = STRVEC_INIT;
        struct dirent *de;
        while ((de = readdir(d)))
                strvec_push(&names, de->d_name);
        closedir(d);
        strvec_sort(&names);
        for (size_t i = 0; i < names.n; i++) {
                if (!ldcache_is_dso_name(names.v[i]))
                        continue;
                cleanup_free char *p = xasprintf("%s/%s", host, names.v[i]);
                struct stat lst, st;
                if (lstat(p, &lst) != 0 || stat(p, &st) != 0 || !S_ISREG(st.st_mode))
                        continue;
                int fd = open(p, O_RDONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                struct elf_info info;
                struct distill_error err = {0};
                int r = elf_read_fd(fd, p, &info, &err);
                close(fd);
                assert_true(r >= 0);
                if (r == 0)
                        continue;
                if (info.type == ET_DYN) {
                        s->libs = xrealloc(s->libs, (s->n + 1) * sizeof(*s->libs));
                        s->libs[s->n++] = (struct ldcache_lib){
                            .dir = keep(s, dir),
                            .name = keep(s, names.v[i]),
                            .soname = keep(s, info.soname),
                            .elfclass = info.elfclass,
                            .machine = info.machine,
                            .hwcaps_subdir = keep(s, hwcaps),
                            .is_link = S_ISLNK(lst.st_mode),
                        };
                }
                elf_info_release(&info);
        }
        strvec_clear(&names);
}

/* ld.so.conf dirs, then the system dirs; a dir seen before (same inode) is skipped as ldconfig
 * does; each dir's glibc-hwcaps subdirs follow it. */
static void scan_tree(struct scan *s, const char *root)
{
        struct strvec dirs = STRVEC_INIT;
        struct distill_error err = {0};
        assert_int_equal(
            ldcache_conf_dirs("/etc/ld.so.conf", tree_read, tree_list, (void *)root, &dirs, &err),
            0);
        static const char *const sys[] = {"/lib/x86_64-linux-gnu", ML, "/lib", "/usr/lib"};
        for (size_t i = 0; i < 4; i++)
                if (!strvec_contains(&dirs, sys[i]))
                        strvec_push(&dirs, sys[i]);
        struct strvec seen = STRVEC_INIT;
        for (size_t i = 0; i < dirs.n; i++) {
                cleanup_free char *host = xasprintf("%s%s", root, dirs.v[i]);
                struct stat st;
                if (stat(host, &st) != 0)
                        continue;
                cleanup_free char *id =
                    xasprintf("%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
                if (strvec_contains(&seen, id))
                        continue;
                strvec_push(&seen, id);
                scan_dir(s, root, dirs.v[i], NULL);
                struct strvec subs = STRVEC_INIT;
                cleanup_free char *hw = xasprintf("%s/glibc-hwcaps", dirs.v[i]);
                if (tree_list((void *)root, hw, &subs) == 0) {
                        strvec_sort(&subs);
                        for (size_t k = 0; k < subs.n; k++) {
                                if (subs.v[k][0] == '.')
                                        continue;
                                cleanup_free char *sd = xasprintf("%s/%s", hw, subs.v[k]);
                                scan_dir(s, root, sd, subs.v[k]);
                        }
                }
                strvec_clear(&subs);
        }
        strvec_clear(&seen);
        strvec_clear(&dirs);
}

static void scan_release(struct scan *s)
{
        free(s->libs);
        strvec_clear(&s->strings);
}

/* ---- the fixture -------------------------------------------------------------------------- */

struct fx {
        char *dir;
        char *root;
};

static void fx_build(struct fx *f)
{
        fixture_require_root();
        f->dir = fixture_tmpdir();
        f->root = xasprintf("%s/root", f->dir);
        cleanup_free char *cmd = xasprintf(
            "set -e; R=%s; S=%s/src; L=$R" ML "; mkdir -p $S $L/glibc-hwcaps/x86-64-v3 "
            "$R/opt/fix/lib $R/lib64 $R/usr/bin $R/etc/ld.so.conf.d; "
            "echo 'include /etc/ld.so.conf.d/*.conf' > $R/etc/ld.so.conf; "
            "printf '# fixture\\n/opt/fix/lib/\\n' > $R/etc/ld.so.conf.d/x.conf; "
            "for l in libc.so.6 libm.so.6; do cp $(readlink -f /lib/x86_64-linux-gnu/$l) $L/$l; "
            "done; "
            "z=$(basename $(readlink -f /lib/x86_64-linux-gnu/libz.so.1)); "
            "cp /lib/x86_64-linux-gnu/$z $L/$z; ln -s $z $L/libz.so.1; ln -s $z $L/libz.so; "
            "cp $(readlink -f /lib64/ld-linux-x86-64.so.2) $R/lib64/ld-linux-x86-64.so.2; "
            "echo 'int foo(void){return 1;}' > $S/foo.c; "
            "echo 'int foo(void); int main(void){return foo() - 1;}' > $S/prog.c; "
            "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o $L/libfoo.so.1.0 $S/foo.c; "
            "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o $L/libfoo.so.1.10 $S/foo.c; "
            "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o $L/libfoo.so.1.9 $S/foo.c; "
            "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o $L/glibc-hwcaps/x86-64-v3/libfoo.so.1.2 "
            "$S/foo.c; "
            "cc -shared -fPIC -Wl,-soname,libbar2.so.2 -o $L/glibc-hwcaps/x86-64-v3/libbar2.so.2 "
            "$S/foo.c; "
            "cc -shared -fPIC -o $L/libnosoname.so $S/foo.c; "
            "cc -shared -fPIC -Wl,-soname,libonly.so.1 -o $R/opt/fix/lib/libonly.so.1 $S/foo.c; "
            "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o $R/opt/fix/lib/libfoo.so.1 $S/foo.c; "
            "echo 'not elf' > $L/libtext.so.1; "
            "cc -o $R/usr/bin/prog $S/prog.c -L$R/opt/fix/lib -l:libonly.so.1",
            f->root, f->dir);
        sh_ok(cmd);
}

static void fx_release(struct fx *f)
{
        fixture_cleanup(f->dir);
        free(f->dir);
        free(f->root);
}

static void read_cache(const char *path, struct ldcache_entry **e, size_t *n)
{
        char *data;
        size_t len;
        assert_int_equal(read_file(path, &data, &len), 0);
        struct distill_error err = {0};
        int r = ldcache_parse(data, len, path, e, n, &err);
        if (r != 0)
                fail_msg("parse %s: %s", path, err.msg);
        free(data);
}

static char *entry_str(const struct ldcache_entry *e)
{
        return xasprintf("%s flags=%#x hwcap=%#llx %s [%s]", e->soname, (unsigned)e->flags,
                         (unsigned long long)e->hwcap, e->path,
                         e->hwcaps_subdir ? e->hwcaps_subdir : "");
}

static void assert_same_entries(const struct ldcache_entry *a, size_t na,
                                const struct ldcache_entry *b, size_t nb)
{
        for (size_t i = 0; i < na || i < nb; i++) {
                cleanup_free char *sa = i < na ? entry_str(&a[i]) : xstrdup("(none)");
                cleanup_free char *sb = i < nb ? entry_str(&b[i]) : xstrdup("(none)");
                if (strcmp(sa, sb))
                        fail_msg("entry %zu differs:\n  expected %s\n  got      %s", i, sa, sb);
        }
}

static void our_entries(const char *root, struct ldcache_entry **e, size_t *n)
{
        struct scan s = {0};
        scan_tree(&s, root);
        struct distill_error err = {0};
        int r = ldcache_entries(s.libs, s.n, "amd64", e, n, &err);
        if (r != 0)
                fail_msg("ldcache_entries: %s", err.msg);
        scan_release(&s);
}

/* ---- tests against glibc ------------------------------------------------------------------ */

static void test_matches_real_ldconfig(void **state)
{
        (void)state;
        struct fx f;
        fx_build(&f);
        /* -X: no symlinks are made, so the tree ldconfig sees is the tree we scan */
        cleanup_free char *cmd = xasprintf("ldconfig -r %s -X", f.root);
        sh_ok(cmd);
        cleanup_free char *cache = xasprintf("%s/etc/ld.so.cache", f.root);
        struct ldcache_entry *real, *ours;
        size_t nreal, nours;
        read_cache(cache, &real, &nreal);
        our_entries(f.root, &ours, &nours);
        /* the fixture exercises: 2 dirs with libfoo.so.1, versions compared numerically, the
         * libz.so dev link, a lib without soname, two hwcaps names, non-ELF skipped */
        assert_int_equal(nreal, 10);
        assert_same_entries(real, nreal, ours, nours);
        bool saw_hwcaps = false;
        for (size_t i = 0; i < nours; i++)
                if (ours[i].hwcaps_subdir && !strcmp(ours[i].soname, "libfoo.so.1")) {
                        assert_string_equal(ours[i].path,
                                            ML "/glibc-hwcaps/x86-64-v3/libfoo.so.1.2");
                        saw_hwcaps = true;
                }
        assert_true(saw_hwcaps);
        ldcache_entries_free(real, nreal);
        ldcache_entries_free(ours, nours);
        fx_release(&f);
}

static char *ldconfig_print(const char *cache)
{
        /* drop the lines naming the file and the generator: everything else must match */
        char *out = fixture_sh_out("ldconfig -C %s -p | grep -v -e 'libs found in cache' "
                                   "-e '^Cache generated by'",
                                   cache);
        assert_non_null(out);
        return out;
}

static void test_glibc_reads_our_cache(void **state)
{
        (void)state;
        struct fx f;
        fx_build(&f);
        cleanup_free char *cmd = xasprintf("ldconfig -r %s -X", f.root);
        sh_ok(cmd);
        struct ldcache_entry *ours;
        size_t nours;
        our_entries(f.root, &ours, &nours);
        char *data;
        size_t len;
        struct distill_error err = {0};
        assert_int_equal(ldcache_serialize(ours, nours, "amd64", &data, &len, &err), 0);
        cleanup_free char *mine = xasprintf("%s/ours.cache", f.dir);
        assert_int_equal(write_file_atomic(mine, data, len, 0644), 0);
        cleanup_free char *real = xasprintf("%s/etc/ld.so.cache", f.root);
        cleanup_free char *p_real = ldconfig_print(real);
        cleanup_free char *p_mine = ldconfig_print(mine);
        assert_string_equal(p_real, p_mine);
        assert_non_null(strstr(p_mine, "hwcap: \"x86-64-v3\""));
        cleanup_free char *gen =
            fixture_sh_out("ldconfig -C %s -p | grep '^Cache generated by'", mine);
        assert_non_null(gen);
        assert_string_equal(gen, "Cache generated by: distill\n");
        /* deterministic bytes */
        char *again;
        size_t len2;
        assert_int_equal(ldcache_serialize(ours, nours, "amd64", &again, &len2, &err), 0);
        assert_int_equal(len, len2);
        assert_memory_equal(data, again, len);
        free(again);
        free(data);
        ldcache_entries_free(ours, nours);
        fx_release(&f);
}

static void test_ldso_resolves_through_our_cache(void **state)
{
        (void)state;
        struct fx f;
        fx_build(&f);
        cleanup_free char *cache = xasprintf("%s/etc/ld.so.cache", f.root);
        cleanup_free char *list = xasprintf("chroot %s /lib64/ld-linux-x86-64.so.2 --list "
                                            "/usr/bin/prog 2>&1",
                                            f.root);
        /* without a cache, /opt/fix/lib is not searched */
        cleanup_free char *before = fixture_sh_out("%s; true", list);
        assert_non_null(before);
        if (!strstr(before, "libonly.so.1: cannot open shared object file"))
                fail_msg("expected libonly.so.1 to be missing without a cache:\n%s", before);

        struct ldcache_entry *ours;
        size_t nours;
        our_entries(f.root, &ours, &nours);
        char *data;
        size_t len;
        struct distill_error err = {0};
        assert_int_equal(ldcache_serialize(ours, nours, "amd64", &data, &len, &err), 0);
        assert_int_equal(write_file_atomic(cache, data, len, 0644), 0);
        free(data);
        ldcache_entries_free(ours, nours);

        cleanup_free char *after = fixture_sh_out("%s", list);
        assert_non_null(after);
        if (!strstr(after, "libonly.so.1 => /opt/fix/lib/libonly.so.1"))
                fail_msg("ld.so did not use the cache:\n%s", after);
        cleanup_free char *run = xasprintf("chroot %s /usr/bin/prog", f.root);
        sh_ok(run);
        fx_release(&f);
}

/* ---- format tests ------------------------------------------------------------------------- */

static const struct ldcache_lib sample_libs[] = {
    {.dir = "/usr/lib/x86_64-linux-gnu",
     .name = "libc.so.6",
     .soname = "libc.so.6",
     .elfclass = ELFCLASS64,
     .machine = EM_X86_64},
    {.dir = "/usr/lib/x86_64-linux-gnu",
     .name = "libfoo.so.1.2",
     .soname = "libfoo.so.1",
     .elfclass = ELFCLASS64,
     .machine = EM_X86_64},
    {.dir = "/usr/lib/x86_64-linux-gnu",
     .name = "libfoo.so.1.2",
     .soname = "libfoo.so.1",
     .elfclass = ELFCLASS64,
     .machine = EM_X86_64,
     .hwcaps_subdir = "x86-64-v3",
     .isa_level = 3},
    {.dir = "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v2",
     .name = "libfoo.so.1.2",
     .soname = "libfoo.so.1",
     .elfclass = ELFCLASS64,
     .machine = EM_X86_64,
     .hwcaps_subdir = "x86-64-v2"},
    {.dir = "/usr/lib/i386-linux-gnu",
     .name = "libc.so.6",
     .soname = "libc.so.6",
     .elfclass = ELFCLASS32,
     .machine = EM_386},
    {.dir = "/usr/lib/aarch64-linux-gnu",
     .name = "libc.so.6",
     .soname = "libc.so.6",
     .elfclass = ELFCLASS64,
     .machine = EM_AARCH64},
    {.dir = "/usr/lib",
     .name = "python3.11",
     .soname = NULL,
     .elfclass = ELFCLASS64,
     .machine = EM_X86_64},
};

static void test_entries_rules(void **state)
{
        (void)state;
        struct ldcache_entry *e;
        size_t n;
        struct distill_error err = {0};
        assert_int_equal(ldcache_entries(sample_libs, 7, "amd64", &e, &n, &err), 0);
        /* aarch64 object and non-DSO name skipped; hwcaps first, by name; flags descending */
        assert_int_equal(n, 5);
        assert_string_equal(e[0].path, "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v2/"
                                       "libfoo.so.1.2");
        assert_int_equal(e[0].hwcap, (1ULL << 62) | 0);
        assert_string_equal(e[1].hwcaps_subdir, "x86-64-v3");
        assert_int_equal(e[1].hwcap, (1ULL << 62) | (3ULL << 32) | 1);
        assert_string_equal(e[2].path, "/usr/lib/x86_64-linux-gnu/libfoo.so.1");
        assert_int_equal(e[2].hwcap, 0);
        assert_string_equal(e[3].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
        assert_int_equal(e[3].flags, 0x0303);
        assert_string_equal(e[4].path, "/usr/lib/i386-linux-gnu/libc.so.6");
        assert_int_equal(e[4].flags, 0x0003);
        ldcache_entries_free(e, n);

        assert_int_equal(ldcache_entries(sample_libs, 7, "arm64", &e, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(e[0].flags, 0x0a03);
        ldcache_entries_free(e, n);

        assert_int_equal(ldcache_entries(sample_libs, 7, "vax", &e, &n, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "vax"));
}

static void test_flags_and_names(void **state)
{
        (void)state;
        assert_int_equal(ldcache_lib_flags("amd64", ELFCLASS64, EM_X86_64, 0), 0x0303);
        assert_int_equal(ldcache_lib_flags("amd64", ELFCLASS32, EM_X86_64, 0), 0x0803);
        assert_int_equal(ldcache_lib_flags("i386", ELFCLASS32, EM_386, 0), 0x0003);
        assert_int_equal(ldcache_lib_flags("amd64", ELFCLASS64, EM_AARCH64, 0), -1);
        assert_int_equal(ldcache_lib_flags("arm64", ELFCLASS64, EM_AARCH64, 0), 0x0a03);
        assert_int_equal(ldcache_lib_flags("armhf", ELFCLASS32, EM_ARM, 0x05000400), 0x0903);
        assert_int_equal(ldcache_lib_flags("armel", ELFCLASS32, EM_ARM, 0x05000200), 0x0b03);
        assert_int_equal(ldcache_lib_flags("ppc64el", ELFCLASS64, EM_PPC64, 0), 0x0503);
        assert_int_equal(ldcache_lib_flags("s390x", ELFCLASS64, EM_S390, 0), 0x0403);
        assert_int_equal(ldcache_lib_flags("riscv64", ELFCLASS64, EM_RISCV, 0x5), 0x1003);
        assert_int_equal(ldcache_lib_flags("mips64el", ELFCLASS64, EM_MIPS, 0), 0x0703);

        assert_true(ldcache_is_dso_name("libc.so.6"));
        assert_true(ldcache_is_dso_name("ld-linux-x86-64.so.2"));
        assert_true(ldcache_is_dso_name("libz.so"));
        assert_false(ldcache_is_dso_name("libz.a"));
        assert_false(ldcache_is_dso_name("python3.11"));
        assert_false(ldcache_is_dso_name("foo.so.1"));

        assert_true(ldcache_libcmp("libfoo.so.1.10", "libfoo.so.1.9") > 0);
        assert_true(ldcache_libcmp("libfoo.so.1", "libfoo.so") > 0);
        assert_true(ldcache_libcmp("libfoo.so.2", "libfoo.so.10") < 0);
        assert_int_equal(ldcache_libcmp("libc.so.6", "libc.so.6"), 0);
        assert_true(ldcache_libcmp("liba", "libb") < 0);
        /* digits sort after letters */
        assert_true(ldcache_libcmp("lib2", "libx") > 0);
        /* absurd digit runs saturate instead of overflowing */
        assert_int_equal(ldcache_libcmp("lib99999999999999999999999", "lib99999999999999999999998"),
                         0);
}

static void test_round_trip_big_endian(void **state)
{
        (void)state;
        struct ldcache_entry *e, *back;
        size_t n, nb;
        struct distill_error err = {0};
        assert_int_equal(ldcache_entries(sample_libs, 7, "amd64", &e, &n, &err), 0);
        const char *arches[] = {"amd64", "s390x"};
        for (int a = 0; a < 2; a++) {
                char *data;
                size_t len;
                assert_int_equal(ldcache_serialize(e, n, arches[a], &data, &len, &err), 0);
                assert_int_equal(data[28], a == 0 ? 2 : 3);
                assert_int_equal(ldcache_parse(data, len, "rt", &back, &nb, &err), 0);
                assert_same_entries(e, n, back, nb);
                ldcache_entries_free(back, nb);
                free(data);
        }
        ldcache_entries_free(e, n);

        /* an empty cache is valid too */
        char *data;
        size_t len;
        assert_int_equal(ldcache_serialize(NULL, 0, "amd64", &data, &len, &err), 0);
        assert_int_equal(ldcache_parse(data, len, "empty", &back, &nb, &err), 0);
        assert_int_equal(nb, 0);
        ldcache_entries_free(back, nb);
        free(data);
}

static void put32(char *d, size_t off, uint32_t v)
{
        memcpy(d + off, &v, 4);
}

static void expect_parse_error(const char *data, size_t len, const char *what)
{
        struct ldcache_entry *e = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        int r = ldcache_parse(data, len, "evil", &e, &n, &err);
        if (r != -DISTILL_EINTEGRITY)
                fail_msg("%s: expected EINTEGRITY, got %d (%s)", what, r, err.msg);
        assert_non_null(strstr(err.msg, "evil"));
        assert_null(e);
}

static void test_hostile_parse(void **state)
{
        (void)state;
        struct ldcache_entry *e;
        size_t n;
        struct distill_error err = {0};
        assert_int_equal(ldcache_entries(sample_libs, 7, "amd64", &e, &n, &err), 0);
        char *good;
        size_t len;
        assert_int_equal(ldcache_serialize(e, n, "amd64", &good, &len, &err), 0);
        ldcache_entries_free(e, n);
        char *d = xmalloc(len);

        expect_parse_error(good, 47, "truncated header");
        memcpy(d, good, len);
        d[0] = 'X';
        expect_parse_error(d, len, "bad magic");
        memcpy(d, good, len);
        put32(d, 20, 0xffffffffu);
        expect_parse_error(d, len, "nlibs huge");
        memcpy(d, good, len);
        put32(d, 24, 0xfffffff0u);
        expect_parse_error(d, len, "len_strings huge");
        memcpy(d, good, len);
        put32(d, 48 + 4, (uint32_t)len);
        expect_parse_error(d, len, "key offset past the end");
        memcpy(d, good, len);
        put32(d, 48 + 8, 0xffffffffu);
        expect_parse_error(d, len, "value offset huge");
        memcpy(d, good, len);
        put32(d, 32, (uint32_t)len + 4);
        expect_parse_error(d, len, "extension offset past the end");
        memcpy(d, good, len);
        d[28] = 7;
        expect_parse_error(d, len, "bad endianness");
        uint32_t ext;
        memcpy(&ext, good + 32, 4);
        memcpy(d, good, len);
        put32(d, ext + 4, 0x10000000u);
        expect_parse_error(d, len, "extension count huge");
        memcpy(d, good, len);
        put32(d, ext + 8 + 16 + 8, (uint32_t)len - 2); /* hwcaps section offset */
        expect_parse_error(d, len, "hwcaps section past the end");
        memcpy(d, good, len);
        put32(d, 48 + 16, 7); /* first entry (a hwcaps one): index 7 of 2 */
        expect_parse_error(d, len, "hwcaps index out of range");
        /* the string table's last NUL removed: the last string runs off the end */
        memcpy(d, good, len);
        memset(d + len - 7, 'x', 7);
        put32(d, 32, 0);
        for (size_t i = 0; i < 5; i++)
                put32(d, 48 + 24 * i + 8, (uint32_t)len - 3);
        expect_parse_error(d, len, "unterminated string");

        /* every truncation is a clean error or a clean parse (run under ASan/valgrind) */
        for (size_t l = 0; l < len; l++) {
                struct ldcache_entry *t = NULL;
                size_t nt = 0;
                int r = ldcache_parse(good, l, "cut", &t, &nt, &err);
                assert_true(r == 0 || r == -DISTILL_EINTEGRITY);
                ldcache_entries_free(t, nt);
        }
        free(d);
        free(good);
}

/* ---- ld.so.conf --------------------------------------------------------------------------- */

static void test_conf_dirs(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        cleanup_free char *p = NULL;
#define W(path, text)                                                                              \
        do {                                                                                       \
                free(p);                                                                           \
                p = xasprintf("%s%s", dir, path);                                                  \
                fixture_write(p, text);                                                            \
        } while (0)
        W("/etc/ld.so.conf", "# top\n"
                             "include ld.so.conf.d/*.conf   # relative to /etc\n"
                             "hwcap 1 foo\n"
                             "\n"
                             "  /usr/local/lib/  \n"
                             "include /nonexistent/*.conf\n"
                             "relative/dir\n"
                             "/opt/old=libc6\n");
        W("/etc/ld.so.conf.d/b.conf", "/b/lib\n/usr/local/lib\n");
        W("/etc/ld.so.conf.d/a.conf", "/a/lib\ninclude sub/*.conf\n");
        W("/etc/ld.so.conf.d/.hidden.conf", "/hidden\n");
        W("/etc/ld.so.conf.d/c.conf.off", "/off\n");
        W("/etc/ld.so.conf.d/sub/z.conf", "/z/lib\n");
        struct strvec dirs = STRVEC_INIT;
        struct distill_error err = {0};
        assert_int_equal(
            ldcache_conf_dirs("/etc/ld.so.conf", tree_read, tree_list, dir, &dirs, &err), 0);
        const char *want[] = {"/a/lib", "/z/lib", "/b/lib", "/usr/local/lib", "/opt/old"};
        assert_int_equal(dirs.n, 5);
        for (size_t i = 0; i < 5; i++)
                assert_string_equal(dirs.v[i], want[i]);
        strvec_clear(&dirs);

        /* missing conf: no dirs, no error (ldconfig only warns) */
        assert_int_equal(
            ldcache_conf_dirs("/etc/none.conf", tree_read, tree_list, dir, &dirs, &err), 0);
        assert_int_equal(dirs.n, 0);

        /* an include loop hits the depth limit with an error naming the file */
        W("/loop/ld.so.conf", "/x\ninclude /loop/ld.so.conf\n");
        assert_int_equal(
            ldcache_conf_dirs("/loop/ld.so.conf", tree_read, tree_list, dir, &dirs, &err),
            -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "/loop/ld.so.conf"));
        strvec_clear(&dirs);

        /* a directory where a conf file is expected is an I/O error, reported */
        free(p);
        p = xasprintf("%s/d.conf", dir);
        mkdir_p(p, 0755);
        assert_true(ldcache_conf_dirs("/d.conf", tree_read, tree_list, dir, &dirs, &err) < 0);
        assert_non_null(strstr(err.msg, "/d.conf"));
        strvec_clear(&dirs);

        /* the host's own config parses (Debian includes ld.so.conf.d) */
        assert_int_equal(
            ldcache_conf_dirs("/etc/ld.so.conf", tree_read, tree_list, "", &dirs, &err), 0);
        assert_true(strvec_contains(&dirs, "/usr/lib/x86_64-linux-gnu"));
        strvec_clear(&dirs);
#undef W
        fixture_cleanup(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_flags_and_names),
            cmocka_unit_test(test_entries_rules),
            cmocka_unit_test(test_round_trip_big_endian),
            cmocka_unit_test(test_hostile_parse),
            cmocka_unit_test(test_conf_dirs),
            cmocka_unit_test(test_matches_real_ldconfig),
            cmocka_unit_test(test_glibc_reads_our_cache),
            cmocka_unit_test(test_ldso_resolves_through_our_cache),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
