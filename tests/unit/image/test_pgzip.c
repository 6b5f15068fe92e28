#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/digest.h"
#include "distill/base/util.h"
#include "distill/image/pgzip.h"
#include "fixture.h"

static int to_strbuf(void *ud, const void *buf, size_t len)
{
        strbuf_add(ud, buf, len);
        return 0;
}

/* Half random bytes, half text-like runs: both incompressible and compressible chunks. */
static unsigned char *sample(size_t len, unsigned seed)
{
        unsigned char *p = xmalloc(len + 1);
        srand(seed);
        for (size_t i = 0; i < len; i++)
                p[i] = (i / 4096) % 2 ? (unsigned char)rand() : (unsigned char)("distill "[i % 8]);
        return p;
}

/* The stream, written in pieces of `piece` bytes (0: random sizes), on `threads` threads. */
static struct strbuf compress(const unsigned char *data, size_t len, unsigned threads, size_t piece)
{
        struct strbuf out = STRBUF_INIT;
        struct pgzip *z = NULL;
        struct distill_error err = {0};
        assert_int_equal(pgzip_open(6, threads, to_strbuf, &out, &z, &err), 0);
        srand(7);
        for (size_t off = 0; off < len;) {
                size_t n = piece ? piece : (size_t)(rand() % 300000) + 1;
                if (n > len - off)
                        n = len - off;
                assert_int_equal(pgzip_write(z, data + off, n, &err), 0);
                off += n;
        }
        assert_int_equal(pgzip_finish(z, &err), 0);
        pgzip_free(z);
        return out;
}

/* gzip itself (and Python's gzip) decode the members back to the input, and gzip -t accepts. */
static void assert_decodes(const struct strbuf *gz, const unsigned char *data, size_t len)
{
        char *tmp = fixture_tmpdir();
        char *file = path_join(tmp, "x.gz");
        char *raw = path_join(tmp, "x");
        assert_int_equal(write_file_atomic(file, gz->buf, gz->len, 0644), 0);
        assert_int_equal(write_file_atomic(raw, data, len, 0644), 0);
        assert_int_equal(fixture_sh("gzip -t '%s'", file), 0);
        assert_int_equal(fixture_sh("gzip -dc '%s' | cmp -s - '%s'", file, raw), 0);
        assert_int_equal(fixture_sh("/usr/bin/python3.11 -c 'import gzip,sys; "
                                    "sys.exit(gzip.open(sys.argv[1]).read() != "
                                    "open(sys.argv[2],\"rb\").read())' '%s' '%s'",
                                    file, raw),
                         0);
        fixture_cleanup(tmp);
        free(file);
        free(raw);
        free(tmp);
}

static void test_round_trip_and_thread_independence(void **state)
{
        (void)state;
        const size_t sizes[] = {
            0, 1, PGZIP_CHUNK - 1, PGZIP_CHUNK, PGZIP_CHUNK + 1, 5 * PGZIP_CHUNK + PGZIP_CHUNK / 2};
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                unsigned char *data = sample(sizes[i], (unsigned)i);
                struct strbuf one = compress(data, sizes[i], 1, 65536);
                assert_decodes(&one, data, sizes[i]);
                const unsigned threads[] = {2, 3, 7};
                for (size_t t = 0; t < 3; t++) {
                        /* other thread counts and other write sizes: the same bytes */
                        struct strbuf other = compress(data, sizes[i], threads[t], t ? 0 : 1);
                        assert_int_equal(other.len, one.len);
                        assert_memory_equal(other.buf, one.buf, one.len);
                        strbuf_release(&other);
                }
                /* one member per chunk: a stream of N chunks has N gzip headers at least */
                size_t members = 0;
                for (size_t k = 0; k + 3 < one.len; k++)
                        members += (unsigned char)one.buf[k] == 0x1f &&
                                   (unsigned char)one.buf[k + 1] == 0x8b && one.buf[k + 2] == 8;
                assert_true(members >= (sizes[i] + PGZIP_CHUNK - 1) / PGZIP_CHUNK);
                strbuf_release(&one);
                free(data);
        }
}

static int failing_sink(void *ud, const void *buf, size_t len)
{
        (void)buf;
        (void)len;
        return ++*(int *)ud >= 2 ? -ENOSPC : 0;
}

/* A sink that fails (a full disk) is an I/O error from the call that hit it, and the
 * compressor still frees cleanly with chunks in flight. */
static void test_sink_failure(void **state)
{
        (void)state;
        size_t len = 9 * PGZIP_CHUNK;
        unsigned char *data = sample(len, 3);
        int calls = 0;
        struct pgzip *z = NULL;
        struct distill_error err = {0};
        assert_int_equal(pgzip_open(6, 3, failing_sink, &calls, &z, &err), 0);
        int r = pgzip_write(z, data, len, &err);
        if (r == 0)
                r = pgzip_finish(z, &err);
        assert_int_equal(r, -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "No space left"));
        pgzip_free(z);
        free(data);
}

static void test_levels_and_threads(void **state)
{
        (void)state;
        struct pgzip *z = NULL;
        struct distill_error err = {0};
        assert_int_equal(pgzip_open(0, 1, to_strbuf, NULL, &z, &err), -DISTILL_EUSAGE);
        assert_int_equal(pgzip_open(13, 1, to_strbuf, NULL, &z, &err), -DISTILL_EUSAGE);
        assert_null(z);
        setenv("DISTILL_THREADS", "5", 1);
        assert_int_equal(pgzip_threads(), 5);
        setenv("DISTILL_THREADS", "0", 1);
        assert_true(pgzip_threads() >= 1); /* ignored: the CPUs */
        setenv("DISTILL_THREADS", "lots", 1);
        assert_true(pgzip_threads() >= 1);
        unsetenv("DISTILL_THREADS");
        assert_non_null(strstr(pgzip_identity(), "libdeflate"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_round_trip_and_thread_independence),
            cmocka_unit_test(test_sink_failure),
            cmocka_unit_test(test_levels_and_threads),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
