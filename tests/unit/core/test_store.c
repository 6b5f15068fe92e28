#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/util.h"
#include "distill/core/store.h"
#include "fixture.h"

/* sha256sum's opinion of a file, as the independent oracle. */
static char *sha256sum_of(const char *path)
{
        char *out = fixture_sh_out("sha256sum '%s' | cut -c1-64", path);
        assert_non_null(out);
        out[strcspn(out, "\n")] = '\0';
        return out;
}

static size_t count_dir_entries(const char *dir)
{
        DIR *d = opendir(dir);
        assert_non_null(d);
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void test_put_fd_digest_matches_sha256sum(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        char *src = path_join(tmp, "input.bin");
        /* Bigger than one 64 KiB chunk, so the streaming loop runs more than once. */
        assert_int_equal(fixture_sh("head -c 200000 /dev/urandom > '%s'", src), 0);
        char *sdir = path_join(tmp, "store");
        struct store *st = NULL;
        struct distill_error err = {0};
        assert_int_equal(store_open(sdir, &st, &err), 0);

        int fd = open(src, O_RDONLY);
        assert_true(fd >= 0);
        char hex[SHA256_HEX_LEN + 1];
        uint64_t size = 0;
        assert_int_equal(store_put_fd(st, fd, src, hex, &size, &err), 0);
        close(fd);
        assert_int_equal(size, 200000);

        char *want = sha256sum_of(src);
        assert_string_equal(hex, want);
        char *blob = store_blob_path(st, hex);
        char *blob_sum = sha256sum_of(blob);
        assert_string_equal(blob_sum, want);
        assert_int_equal(fixture_sh("cmp -s '%s' '%s'", src, blob), 0);
        struct stat sb;
        assert_int_equal(stat(blob, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0644);

        char *data = NULL;
        size_t len = 0;
        assert_int_equal(store_read_blob(st, hex, &data, &len, &err), 0);
        assert_int_equal(len, 200000);
        free(data);
        /* No temporary file is left next to the blob. */
        assert_int_equal(count_dir_entries(sdir), 1);

        free(blob_sum);
        free(blob);
        free(want);
        store_free(st);
        fixture_cleanup(tmp);
        free(sdir);
        free(src);
        free(tmp);
}

static void test_put_mem_dedupes(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        struct store *st = NULL;
        struct distill_error err = {0};
        assert_int_equal(store_open(tmp, &st, &err), 0);
        assert_string_equal(store_dir(st), tmp);

        char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1], c[SHA256_HEX_LEN + 1];
        assert_int_equal(store_put_mem(st, "hello\n", 6, a, &err), 0);
        assert_int_equal(store_put_mem(st, "hello\n", 6, b, &err), 0);
        assert_string_equal(a, b);
        /* printf 'hello\n' | sha256sum */
        assert_string_equal(a, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        assert_int_equal(count_dir_entries(tmp), 1);
        assert_int_equal(store_put_mem(st, "", 0, c, &err), 0);
        assert_string_equal(c, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_int_equal(count_dir_entries(tmp), 2);

        /* The same bytes through an fd land on the same blob. */
        char *src = xasprintf("%s.src", tmp);
        fixture_write(src, "hello\n");
        int fd = open(src, O_RDONLY);
        char d[SHA256_HEX_LEN + 1];
        assert_int_equal(store_put_fd(st, fd, src, d, NULL, &err), 0);
        close(fd);
        assert_string_equal(a, d);
        assert_int_equal(count_dir_entries(tmp), 2);
        unlink(src);
        free(src);

        store_free(st);
        fixture_cleanup(tmp);
        free(tmp);
}

static void test_one_shot_digests(void **state)
{
        (void)state;
        char hex[SHA256_HEX_LEN + 1];
        sha256_hex("abc", 3, hex);
        assert_string_equal(hex,
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

        char *tmp = fixture_tmpdir();
        char *f = path_join(tmp, "m");
        fixture_write(f, "hello\n");
        int fd = open(f, O_RDONLY);
        char md5[33];
        assert_int_equal(md5_hex_fd(fd, md5), 0);
        close(fd);
        char *want = fixture_sh_out("md5sum '%s' | cut -c1-32", f);
        assert_non_null(want);
        want[strcspn(want, "\n")] = '\0';
        assert_string_equal(md5, want);
        assert_string_equal(md5, "b1946ac92492d2347c6235b4d2611184");
        assert_int_equal(md5_hex_fd(-1, md5), -EBADF);
        free(want);
        fixture_cleanup(tmp);
        free(f);
        free(tmp);
}

static void test_errors(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        struct store *st = NULL;
        struct distill_error err = {0};
        assert_int_equal(store_open(tmp, &st, &err), 0);

        /* A directory fd fails to read (EISDIR): the error names the input, nothing is left. */
        int dfd = open(tmp, O_RDONLY | O_DIRECTORY);
        char hex[SHA256_HEX_LEN + 1];
        assert_int_equal(store_put_fd(st, dfd, "/some/input", hex, NULL, &err), -DISTILL_EIO);
        close(dfd);
        assert_int_equal(err.code, DISTILL_EIO);
        assert_non_null(strstr(err.msg, "/some/input"));
        assert_int_equal(count_dir_entries(tmp), 0);

        /* Missing blob, and a name that is not a digest (never a path outside the store). */
        int fd = -1;
        memset(&err, 0, sizeof(err));
        assert_int_equal(store_open_blob(st,
                                         "0000000000000000000000000000000000000000000000000000"
                                         "000000000000",
                                         &fd, &err),
                         -DISTILL_EIO);
        assert_int_equal(store_open_blob(st, "../../etc/passwd", &fd, &err), -DISTILL_EINTERNAL);
        char *data = NULL;
        size_t len;
        assert_int_equal(store_read_blob(st, "abc", &data, &len, &err), -DISTILL_EINTERNAL);
        store_free(st);

        /* A store directory that cannot be created. */
        char *file = path_join(tmp, "file");
        fixture_write(file, "x");
        char *bad = path_join(file, "store");
        assert_int_equal(store_open(bad, &st, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, bad));
        free(bad);
        free(file);
        fixture_cleanup(tmp);
        free(tmp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_put_fd_digest_matches_sha256sum),
            cmocka_unit_test(test_put_mem_dedupes),
            cmocka_unit_test(test_one_shot_digests),
            cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
