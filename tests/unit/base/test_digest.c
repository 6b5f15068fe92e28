/* Digests against coreutils' sha256sum, sha1sum and md5sum; the one test of a SHA-256 string. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/base/digest.h"
#include "distill/base/util.h"
#include "fixture.h"

/* The first word coreutils' TOOL prints for the file. */
static char *coreutils(const char *tool, const char *path)
{
        char *out = fixture_sh_out("%s '%s'", tool, path);
        assert_non_null(out);
        out[strcspn(out, " ")] = '\0';
        return out;
}

static void test_against_coreutils(void **state)
{
        (void)state;
        cleanup_free char *dir = fixture_tmpdir();
        cleanup_free char *path = path_join(dir, "data");
        /* more than one read chunk, with every byte value */
        size_t n = (200u << 10) + 7;
        cleanup_free char *data = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
                data[i] = (char)(i * 131 + i / 256);
        data[n] = '\0';
        assert_int_equal(write_file_atomic(path, data, n, 0644), 0);

        cleanup_free char *want_sha = coreutils("sha256sum", path);
        cleanup_free char *want_md5 = coreutils("md5sum", path);
        cleanup_free char *want_sha1 = coreutils("sha1sum", path);
        char hex[SHA256_HEX_LEN + 1], md5[MD5_HEX_LEN + 1], sha1[SHA1_HEX_LEN + 1];
        sha256_hex(data, n, hex);
        assert_string_equal(hex, want_sha);
        sha1_hex(data, n, sha1);
        assert_string_equal(sha1, want_sha1);

        struct digest *d = digest_sha256();
        for (size_t off = 0; off < n; off += 1000)
                digest_update(d, data + off, n - off < 1000 ? n - off : 1000);
        digest_finish_hex(d, hex);
        assert_string_equal(hex, want_sha);

        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        uint64_t size = 0;
        assert_int_equal(sha256_hex_fd(fd, hex, &size), 0);
        assert_string_equal(hex, want_sha);
        assert_int_equal(size, n);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(md5_hex_fd(fd, md5), 0);
        assert_string_equal(md5, want_md5);
        close(fd);
        assert_int_equal(sha256_hex_fd(-1, hex, NULL), -EBADF);

        sha256_hex("", 0, hex);
        assert_string_equal(hex,
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        digest_free(digest_md5()); /* abandoned: nothing leaks (ASan) */
        digest_free(NULL);
        fixture_cleanup(dir);
}

static void test_hex_valid(void **state)
{
        (void)state;
        char hex[SHA256_HEX_LEN + 1];
        sha256_hex("x", 1, hex);
        assert_true(sha256_hex_valid(hex));
        /* upper case: distill writes and expects lowercase everywhere (the apt reader alone
         * used to take upper case) */
        hex[0] = 'A';
        assert_false(sha256_hex_valid(hex));
        hex[0] = 'g';
        assert_false(sha256_hex_valid(hex));
        hex[0] = 'a';
        hex[SHA256_HEX_LEN - 1] = '\0';
        assert_false(sha256_hex_valid(hex));
        assert_false(sha256_hex_valid(""));
        assert_false(sha256_hex_valid(NULL));
        char longer[SHA256_HEX_LEN + 2];
        memset(longer, 'a', SHA256_HEX_LEN + 1);
        longer[SHA256_HEX_LEN + 1] = '\0';
        assert_false(sha256_hex_valid(longer));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_against_coreutils),
            cmocka_unit_test(test_hex_valid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
