#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/util.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/image/layer.h"
#include "fixture.h"

#define BIG_SIZE 150000 /* more than two 64 KiB chunks */

struct world {
        char *tmp;
        char *blobs;
        struct store *st;
        struct plan *plan;
        char *big;         /* content of /usr/bin/python3.11 */
        char *long_dirs;   /* a > 100 char path that fits ustar's prefix + name */
        char *long_name;   /* a path with one 120-char component: needs a PAX header */
        char *long_target; /* a 130-char symlink target: PAX linkpath */
};

static void add_dir(struct plan *plan, const char *path, unsigned mode, unsigned uid)
{
        struct plan_entry e = {
            .path = (char *)path, .type = PLAN_DIR, .mode = mode, .uid = uid, .gid = uid};
        plan_add(plan, &e, NULL);
}

static void add_file(struct world *w, const char *path, const void *data, size_t len, unsigned mode)
{
        struct distill_error err = {0};
        struct plan_entry e = {.path = (char *)path, .type = PLAN_FILE, .mode = mode, .size = len};
        assert_int_equal(store_put_mem(w->st, data, len, e.digest, &err), 0);
        plan_add(w->plan, &e, NULL);
}

static void add_link(struct plan *plan, const char *path, enum plan_type type, const char *target)
{
        struct plan_entry e = {
            .path = (char *)path, .type = type, .mode = 0777, .target = (char *)target};
        if (type == PLAN_HARDLINK)
                e.mode = 0755;
        plan_add(plan, &e, NULL);
}

static int setup(void **state)
{
        struct world *w = xcalloc(1, sizeof(*w));
        struct distill_error err = {0};
        w->tmp = fixture_tmpdir();
        w->blobs = path_join(w->tmp, "blobs");
        mkdir_p(w->blobs, 0755);
        char *sdir = path_join(w->tmp, "store");
        assert_int_equal(store_open(sdir, &w->st, &err), 0);
        free(sdir);
        w->plan = plan_new();
        w->big = xmalloc(BIG_SIZE);
        for (size_t i = 0; i < BIG_SIZE; i++)
                w->big[i] = (char)((i * 7919) >> 3);

        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "/usr/lib/");
        for (int i = 0; i < 70; i++)
                strbuf_addch(&sb, 'd');
        strbuf_adds(&sb, "/");
        for (int i = 0; i < 60; i++)
                strbuf_addch(&sb, 'e');
        strbuf_adds(&sb, ".py");
        w->long_dirs = strbuf_detach(&sb);
        strbuf_adds(&sb, "/usr/lib/");
        for (int i = 0; i < 120; i++)
                strbuf_addch(&sb, 'x');
        w->long_name = strbuf_detach(&sb);
        strbuf_adds(&sb, "../lib/");
        for (int i = 0; i < 123; i++)
                strbuf_addch(&sb, 't');
        w->long_target = strbuf_detach(&sb);

        struct plan *p = w->plan;
        add_dir(p, "/", 0755, 0);
        add_dir(p, "/etc", 0755, 0);
        add_file(w, "/etc/passwd", "root:x:0:0::/root:/sbin/nologin\n", 32, 0644);
        add_dir(p, "/home", 0755, 0);
        add_dir(p, "/home/app", 0700, 1000);
        add_dir(p, "/usr", 0755, 0);
        add_dir(p, "/usr/bin", 0755, 0);
        add_file(w, "/usr/bin/python3.11", w->big, BIG_SIZE, 0755);
        add_link(p, "/usr/bin/python3", PLAN_SYMLINK, "python3.11");
        add_link(p, "/usr/bin/python3.11-hard", PLAN_HARDLINK, "/usr/bin/python3.11");
        add_dir(p, "/usr/lib", 0755, 0);
        char *d = path_dirname(w->long_dirs);
        add_dir(p, d, 0755, 0);
        free(d);
        add_file(w, w->long_dirs, "", 0, 0644);
        add_file(w, w->long_name, "x\n", 2, 0600);
        add_link(p, "/usr/lib/long-link", PLAN_SYMLINK, w->long_target);

        *state = w;
        return 0;
}

static int teardown(void **state)
{
        struct world *w = *state;
        plan_free(w->plan);
        store_free(w->st);
        fixture_cleanup(w->tmp);
        free(w->tmp);
        free(w->blobs);
        free(w->big);
        free(w->long_dirs);
        free(w->long_name);
        free(w->long_target);
        free(w);
        return 0;
}

static void write_layer(struct world *w, int64_t epoch, struct layer_desc *desc)
{
        struct distill_error err = {0};
        size_t n;
        struct plan_entry *const *entries = plan_sorted(w->plan, &n);
        int r = layer_write(entries, n, w->st, epoch, w->blobs, desc, &err);
        if (r != 0)
                fail_msg("layer_write: %s", err.msg);
}

static char *first_line(char *s)
{
        assert_non_null(s);
        s[strcspn(s, " \n")] = '\0';
        return s;
}

static size_t count_files(const char *dir)
{
        DIR *d = opendir(dir);
        assert_non_null(d);
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

struct want {
        const char *name;
        mode_t type;
        unsigned perm;
        unsigned uid;
        const char *symlink;
        const char *hardlink;
        const char *data;
        size_t size;
};

static void test_layer_headers_and_data(void **state)
{
        struct world *w = *state;
        struct layer_desc desc;
        write_layer(w, 1700000000, &desc);

        char *blob = xasprintf("%s/%s", w->blobs, desc.digest);
        /* Independent oracles for both digests: sha256sum of the blob, of gzip's output. */
        char *sum = first_line(fixture_sh_out("sha256sum '%s'", blob));
        assert_string_equal(sum, desc.digest);
        free(sum);
        sum = first_line(fixture_sh_out("gzip -dc '%s' | sha256sum", blob));
        assert_string_equal(sum, desc.diff_id);
        free(sum);
        char *tsize = first_line(fixture_sh_out("gzip -dc '%s' | wc -c", blob));
        assert_int_equal(strtoull(tsize, NULL, 10), desc.tar_size);
        free(tsize);
        /* gzip -t fails on trailing garbage (it ignores trailing zeros, see ISIZE below). */
        assert_int_equal(fixture_sh("gzip -t '%s'", blob), 0);
        /* The tar ends with its two zero records and no padding to 10240. */
        assert_int_equal(desc.tar_size % 512, 0);
        assert_int_not_equal(desc.tar_size % 10240, 0);
        assert_int_equal(
            fixture_sh("gzip -dc '%s' | tail -c 1024 | cmp -s - /dev/zero -n 1024", blob), 0);
        /* GNU tar agrees on the names (an independent reader). */
        char *listing = fixture_sh_out("tar -tzf '%s' | head -3", blob);
        assert_string_equal(listing, "etc/\netc/passwd\nhome/\n");
        free(listing);

        char *bytes = NULL;
        size_t len = 0;
        assert_int_equal(read_file(blob, &bytes, &len), 0);
        assert_int_equal(len, desc.size);
        const unsigned char *g = (const unsigned char *)bytes;
        assert_true(len > 18);
        assert_int_equal(g[0], 0x1f);
        assert_int_equal(g[1], 0x8b);
        assert_int_equal(g[2], 8);                      /* deflate */
        assert_int_equal(g[3], 0);                      /* no FNAME, FCOMMENT, FEXTRA */
        assert_int_equal(g[4] | g[5] | g[6] | g[7], 0); /* MTIME 0 */
        assert_int_equal(g[9], 255); /* OS: unknown, as libdeflate writes it on every system */
        /* The blob ends with the gzip trailer (ISIZE of the last member, here the only one: the
         * tar is smaller than a pgzip chunk), not block padding after the stream. */
        uint32_t isize = (uint32_t)g[len - 4] | (uint32_t)g[len - 3] << 8 |
                         (uint32_t)g[len - 2] << 16 | (uint32_t)g[len - 1] << 24;
        assert_int_equal(isize, (uint32_t)desc.tar_size);

        const struct want want[] = {
            {"etc/", AE_IFDIR, 0755, 0, NULL, NULL, NULL, 0},
            {"etc/passwd", AE_IFREG, 0644, 0, NULL, NULL, "root:x:0:0::/root:/sbin/nologin\n", 32},
            {"home/", AE_IFDIR, 0755, 0, NULL, NULL, NULL, 0},
            {"home/app/", AE_IFDIR, 0700, 1000, NULL, NULL, NULL, 0},
            {"usr/", AE_IFDIR, 0755, 0, NULL, NULL, NULL, 0},
            {"usr/bin/", AE_IFDIR, 0755, 0, NULL, NULL, NULL, 0},
            {"usr/bin/python3", AE_IFLNK, 0777, 0, "python3.11", NULL, NULL, 0},
            {"usr/bin/python3.11", AE_IFREG, 0755, 0, NULL, NULL, w->big, BIG_SIZE},
            {"usr/bin/python3.11-hard", AE_IFREG, 0755, 0, NULL, "usr/bin/python3.11", NULL, 0},
            {"usr/lib/", AE_IFDIR, 0755, 0, NULL, NULL, NULL, 0},
            {NULL /* long dir */, AE_IFDIR, 0755, 0, NULL, NULL, NULL, 0},
            {w->long_dirs + 1, AE_IFREG, 0644, 0, NULL, NULL, "", 0},
            {"usr/lib/long-link", AE_IFLNK, 0777, 0, w->long_target, NULL, NULL, 0},
            {w->long_name + 1, AE_IFREG, 0600, 0, NULL, NULL, "x\n", 2},
        };
        char *long_dir_name = path_dirname(w->long_dirs + 1);
        char *long_dir_slash = xasprintf("%s/", long_dir_name);
        free(long_dir_name);

        struct archive *a = archive_read_new();
        archive_read_support_filter_gzip(a);
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_memory(a, bytes, len), ARCHIVE_OK);
        struct archive_entry *ae;
        size_t i = 0;
        char *buf = xmalloc(BIG_SIZE + 1);
        while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
                assert_true(i < sizeof(want) / sizeof(want[0]));
                const struct want *wt = &want[i];
                const char *name = wt->name ? wt->name : long_dir_slash;
                assert_string_equal(archive_entry_pathname(ae), name);
                if (wt->hardlink) {
                        assert_non_null(archive_entry_hardlink(ae));
                        assert_string_equal(archive_entry_hardlink(ae), wt->hardlink);
                } else {
                        assert_null(archive_entry_hardlink(ae));
                        assert_int_equal(archive_entry_filetype(ae), wt->type);
                }
                assert_int_equal(archive_entry_perm(ae), wt->perm);
                assert_int_equal(archive_entry_uid(ae), wt->uid);
                assert_int_equal(archive_entry_gid(ae), wt->uid);
                /* Empty in the header; the reader reports "" or NULL. */
                const char *uname = archive_entry_uname(ae), *gname = archive_entry_gname(ae);
                assert_true(!uname || !*uname);
                assert_true(!gname || !*gname);
                assert_int_equal(archive_entry_mtime(ae), 1700000000);
                assert_int_equal(archive_entry_mtime_nsec(ae), 0);
                assert_false(archive_entry_atime_is_set(ae));
                assert_false(archive_entry_ctime_is_set(ae));
                assert_int_equal(archive_entry_xattr_count(ae), 0);
                if (wt->symlink)
                        assert_string_equal(archive_entry_symlink(ae), wt->symlink);
                else
                        assert_null(archive_entry_symlink(ae));
                if (wt->data) {
                        assert_int_equal(archive_entry_size(ae), wt->size);
                        la_ssize_t got = archive_read_data(a, buf, BIG_SIZE + 1);
                        assert_int_equal(got, wt->size);
                        assert_memory_equal(buf, wt->data, wt->size);
                } else {
                        assert_int_equal(archive_entry_size(ae), 0);
                }
                i++;
        }
        assert_int_equal(i, sizeof(want) / sizeof(want[0]));
        archive_read_free(a);

        /* The raw ustar headers: the long-dirs file used the prefix field, no PAX header; the
         * long component needed one, named without a pid. */
        char *pax =
            fixture_sh_out("gzip -dc '%s' | tr '\\0' '\\n' | grep -a PaxHeader | sort -u", blob);
        assert_non_null(pax);
        assert_non_null(strstr(pax, "PaxHeader/xxxx")); /* prefix field "usr/lib" */
        assert_non_null(strstr(pax, "usr/lib/PaxHeader/long-link"));
        assert_null(strstr(pax, "eeeee"));
        assert_null(strstr(pax, "PaxHeader/passwd")); /* plain entries need none */
        free(pax);

        /* The blob is named by its digest; no temporary file stays beside it. */
        assert_int_equal(count_files(w->blobs), 1);
        free(buf);
        free(long_dir_slash);
        free(bytes);
        free(blob);
}

static void test_layer_reproducible(void **state)
{
        struct world *w = *state;
        struct layer_desc a, b, c;
        write_layer(w, 0, &a);
        write_layer(w, 0, &b);
        assert_string_equal(a.digest, b.digest);
        assert_string_equal(a.diff_id, b.diff_id);
        assert_int_equal(a.size, b.size);
        write_layer(w, 86400, &c);
        assert_string_not_equal(a.digest, c.digest);
        assert_string_not_equal(a.diff_id, c.diff_id);
        assert_int_equal(count_files(w->blobs), 2);
        /* tar prints local time */
        char *list =
            fixture_sh_out("TZ=UTC0 tar --full-time -tvzf '%s/%s' etc/passwd", w->blobs, a.digest);
        assert_non_null(strstr(list, "1970-01-01 00:00:00"));
        assert_non_null(strstr(list, "0/0"));
        free(list);
}

/* Non-ASCII names (valid UTF-8 or not) are kept byte for byte, whatever the process locale. */
static void test_non_ascii_names_locale_independent(void **state)
{
        struct world *w = *state;
        struct layer_desc a, b;
        add_file(w, "/usr/lib/caf\xc3\xa9.py", "# utf-8 name\n", 13, 0644);
        add_link(w->plan, "/usr/lib/l\xff", PLAN_SYMLINK, "caf\xc3\xa9.py");
        write_layer(w, 0, &a);
        setlocale(LC_ALL, "C.UTF-8");
        write_layer(w, 0, &b);
        setlocale(LC_ALL, "C");
        assert_string_equal(a.digest, b.digest);

        char *blob = xasprintf("%s/%s", w->blobs, a.digest);
        struct archive *ar = archive_read_new();
        archive_read_support_filter_gzip(ar);
        archive_read_support_format_tar(ar);
        assert_int_equal(archive_read_open_filename(ar, blob, 10240), ARCHIVE_OK);
        struct archive_entry *ae;
        int found = 0;
        while (archive_read_next_header(ar, &ae) == ARCHIVE_OK) {
                if (strcmp(archive_entry_pathname(ae), "usr/lib/caf\xc3\xa9.py") == 0)
                        found |= 1;
                if (strcmp(archive_entry_pathname(ae), "usr/lib/l\xff") == 0 &&
                    strcmp(archive_entry_symlink(ae), "caf\xc3\xa9.py") == 0)
                        found |= 2;
        }
        assert_int_equal(found, 3);
        archive_read_free(ar);
        /* Python's tarfile (another reader) sees the UTF-8 name. */
        char *names = fixture_sh_out("/usr/bin/python3.11 -c 'import sys,tarfile; "
                                     "print(sum(m.name == \"usr/lib/caf\\u00e9.py\" for m in "
                                     "tarfile.open(sys.argv[1])))' '%s'",
                                     blob);
        assert_string_equal(names, "1\n");
        free(names);
        free(blob);
}

static void test_empty_layer(void **state)
{
        struct world *w = *state;
        struct layer_desc d;
        struct distill_error err = {0};
        assert_int_equal(layer_write(NULL, 0, w->st, 0, w->blobs, &d, &err), 0);
        assert_int_equal(d.tar_size, 1024);
        char *sum = first_line(fixture_sh_out("head -c 1024 /dev/zero | sha256sum"));
        assert_string_equal(sum, d.diff_id);
        free(sum);
}

static void expect_failure(struct world *w, struct plan *plan, int code, const char *msg)
{
        struct layer_desc d;
        struct distill_error err = {0};
        size_t n;
        struct plan_entry *const *entries = plan_sorted(plan, &n);
        int r = layer_write(entries, n, w->st, 0, w->blobs, &d, &err);
        if (r != -code || !strstr(err.msg, msg))
                fail_msg("want %d '%s', got %d '%s'", -code, msg, r, err.msg);
        assert_int_equal(count_files(w->blobs), 0); /* nothing left behind */
}

static void test_layer_integrity_errors(void **state)
{
        struct world *w = *state;
        struct distill_error err = {0};

        /* The plan's size disagrees with the store: more, then fewer bytes. */
        struct plan *p = plan_new();
        struct plan_entry e = {.path = "/f", .type = PLAN_FILE, .mode = 0644, .size = 3};
        assert_int_equal(store_put_mem(w->st, "four", 4, e.digest, &err), 0);
        plan_add(p, &e, NULL);
        expect_failure(w, p, DISTILL_EINTEGRITY, "/f");
        e.size = 5;
        plan_put(p, &e);
        expect_failure(w, p, DISTILL_EINTEGRITY, "the plan says 5");

        /* A store blob whose bytes no longer hash to its name. */
        e.size = 4;
        plan_put(p, &e);
        char *path = store_blob_path(w->st, e.digest);
        fixture_write(path, "FOUR");
        free(path);
        expect_failure(w, p, DISTILL_EINTEGRITY, "has SHA-256");

        /* A missing blob. */
        memset(e.digest, 'a', SHA256_HEX_LEN);
        plan_put(p, &e);
        expect_failure(w, p, DISTILL_EIO, "/f");
        plan_free(p);

        /* A hardlink must name an earlier file of the layer. */
        p = plan_new();
        add_link(p, "/a", PLAN_HARDLINK, "/b");
        struct plan_entry b = {.path = "/b", .type = PLAN_FILE, .mode = 0644, .size = 4};
        assert_int_equal(store_put_mem(w->st, "four", 4, b.digest, &err), 0);
        plan_add(p, &b, NULL);
        expect_failure(w, p, DISTILL_EINTERNAL, "hardlink target /b");
        plan_free(p);

        /* Out-of-order or duplicate entries. */
        struct plan_entry d1 = {.path = "/b", .type = PLAN_DIR, .mode = 0755};
        struct plan_entry d2 = {.path = "/a", .type = PLAN_DIR, .mode = 0755};
        struct plan_entry *unsorted[] = {&d1, &d2};
        struct layer_desc d;
        assert_int_equal(layer_write(unsorted, 2, w->st, 0, w->blobs, &d, &err),
                         -DISTILL_EINTERNAL);
        assert_non_null(strstr(err.msg, "out of order"));
        struct plan_entry *dup[] = {&d1, &d1};
        assert_int_equal(layer_write(dup, 2, w->st, 0, w->blobs, &d, &err), -DISTILL_EINTERNAL);
        assert_int_equal(count_files(w->blobs), 0);

        /* An unwritable blobs directory. */
        char *nowhere = path_join(w->tmp, "missing/dir");
        assert_int_equal(layer_write(NULL, 0, w->st, 0, nowhere, &d, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, nowhere));
        free(nowhere);
}

/* The blob cache: a miss compresses and records; a hit gives the same blob without compressing;
 * a recorded blob whose bytes changed is not used; another algorithm is another entry. */
static void test_blob_cache(void **state)
{
        struct world *w = *state;
        struct distill_error err = {0};
        struct layer_desc plain, first, second, third, zst;
        size_t n;
        struct plan_entry *const *entries = plan_sorted(w->plan, &n);
        char *cache = path_join(w->tmp, "cache");

        write_layer(w, 0, &plain);
        assert_int_equal(
            layer_write_cached(entries, n, w->st, 0, w->blobs, cache, LAYER_GZIP, 0, &first, &err), 0);
        assert_false(first.cached);
        assert_string_equal(first.digest, plain.digest);
        assert_string_equal(first.diff_id, plain.diff_id);
        assert_int_equal(
            layer_write_cached(entries, n, w->st, 0, w->blobs, cache, LAYER_GZIP, 0, &second, &err),
            0);
        assert_true(second.cached);
        assert_string_equal(second.digest, plain.digest);
        assert_int_equal(second.size, plain.size);
        assert_int_equal(second.tar_size, plain.tar_size);
        /* damage the recorded blob: a miss, compressed again to the same digest */
        assert_int_equal(fixture_sh("for f in '%s'/layers/gzip-*/blobs/*; do echo x >> \"$f\"; "
                                    "done",
                                    cache),
                         0);
        assert_int_equal(
            layer_write_cached(entries, n, w->st, 0, w->blobs, cache, LAYER_GZIP, 0, &third, &err), 0);
        assert_false(third.cached);
        assert_string_equal(third.digest, plain.digest);
        /* zstd: its own entry, the same diff_id */
        assert_int_equal(
            layer_write_cached(entries, n, w->st, 0, w->blobs, cache, LAYER_ZSTD, 0, &zst, &err), 0);
        assert_false(zst.cached);
        assert_int_equal(zst.compression, LAYER_ZSTD);
        assert_string_equal(zst.diff_id, plain.diff_id);
        assert_string_not_equal(zst.digest, plain.digest);
        free(cache);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_layer_headers_and_data, setup, teardown),
            cmocka_unit_test_setup_teardown(test_layer_reproducible, setup, teardown),
            cmocka_unit_test_setup_teardown(test_non_ascii_names_locale_independent, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_empty_layer, setup, teardown),
            cmocka_unit_test_setup_teardown(test_blob_cache, setup, teardown),
            cmocka_unit_test_setup_teardown(test_layer_integrity_errors, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
