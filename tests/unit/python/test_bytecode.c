#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/python/bytecode.h"
#include "fixture.h"

struct env {
        char *dir;
        char *tree;
        struct pyrun image;  /* runs the tree's interpreter through its loader */
        struct pyrun broken; /* the same tree with a loader that does not exist */
        struct py_probe probe;
};

static int setup(void **state)
{
        struct env *e = calloc(1, sizeof(*e));
        struct distill_error err = {0};
        e->dir = fixture_tmpdir();
        e->tree = path_join(e->dir, "tree");
        fixture_python_tree(e->tree);
        if (pyrun_prepare(e->tree, "/usr/bin/python3.11", "/lib64/ld-linux-x86-64.so.2", "amd64",
                          &e->image, &err) < 0 ||
            pyrun_prepare(e->tree, "/usr/bin/python3.11", "/lib64/ld-gone.so.2", "amd64",
                          &e->broken, &err) < 0 ||
            pyprobe_run(&e->image, "3.11", "amd64", &e->probe, &err) < 0) {
                fprintf(stderr, "setup: %s\n", err.msg);
                return -1;
        }
        *state = e;
        return 0;
}

static int teardown(void **state)
{
        struct env *e = *state;
        pyrun_release(&e->image);
        pyrun_release(&e->broken);
        py_probe_release(&e->probe);
        fixture_cleanup(e->dir);
        free(e->dir);
        free(e->tree);
        free(e);
        return 0;
}

static struct store *open_store(const char *dir, const char *name)
{
        struct store *st = NULL;
        struct distill_error err = {0};
        char *path = path_join(dir, name);
        assert_int_equal(store_open(path, &st, &err), 0);
        free(path);
        return st;
}

/* Put a host file into the store, as the source stage would. */
static void put_source(struct store *st, const char *host_path, char hex[SHA256_HEX_LEN + 1])
{
        char *data = NULL;
        size_t len = 0;
        struct distill_error err = {0};
        assert_int_equal(read_file(host_path, &data, &len), 0);
        assert_int_equal(store_put_mem(st, data, len, hex, &err), 0);
        free(data);
}

static void put_text(struct store *st, const char *text, char hex[SHA256_HEX_LEN + 1])
{
        struct distill_error err = {0};
        assert_int_equal(store_put_mem(st, text, strlen(text), hex, &err), 0);
}

static char *host_py(const char *code)
{
        char *out = fixture_sh_out("/usr/bin/python3.11 -I -S -c '%s'", code);
        assert_non_null(out);
        size_t n = strlen(out);
        while (n && out[n - 1] == '\n')
                out[--n] = '\0';
        return out;
}

static const char *const stdlib_files[] = {"os.py", "json/__init__.py", "collections/__init__.py",
                                           "email/_header_value_parser.py"};
#define NFILES (sizeof(stdlib_files) / sizeof(stdlib_files[0]))

struct batch {
        char src[NFILES][SHA256_HEX_LEN + 1];
        char *image_paths[NFILES];
        struct pyc_job jobs[NFILES];
};

static void batch_init(struct batch *b, struct store *st)
{
        memset(b, 0, sizeof(*b));
        for (size_t i = 0; i < NFILES; i++) {
                b->image_paths[i] = xasprintf("/usr/lib/python3.11/%s", stdlib_files[i]);
                put_source(st, b->image_paths[i], b->src[i]);
                b->jobs[i].image_path = b->image_paths[i];
                b->jobs[i].src_digest = b->src[i];
        }
}

static void batch_release(struct batch *b)
{
        for (size_t i = 0; i < NFILES; i++) {
                pyc_job_release(&b->jobs[i]);
                free(b->image_paths[i]);
        }
}

static void test_compile_stdlib_modules(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        struct store *st = open_store(e->dir, "store-a");
        struct batch b;
        batch_init(&b, st);

        assert_int_equal(bytecode_compile(&e->image, &e->probe, st, b.jobs, NFILES, &err), 0);
        assert_string_equal(b.jobs[0].pyc_path,
                            "/usr/lib/python3.11/__pycache__/os.cpython-311.pyc");
        assert_string_equal(b.jobs[1].pyc_path,
                            "/usr/lib/python3.11/json/__pycache__/__init__.cpython-311.pyc");

        char *magic = host_py("import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())");
        for (size_t i = 0; i < NFILES; i++) {
                struct pyc_job *j = &b.jobs[i];
                assert_null(j->error);
                char *blob = store_blob_path(st, j->pyc_digest);
                char *pyc = NULL;
                size_t len = 0;
                assert_int_equal(read_file(blob, &pyc, &len), 0);
                assert_int_equal(len, j->pyc_size);
                assert_true(len > 16);
                char hdr[33];
                for (int k = 0; k < 16; k++)
                        sprintf(hdr + 2 * k, "%02x", (unsigned char)pyc[k]);
                assert_memory_equal(hdr, magic, 8);
                assert_memory_equal(hdr + 8, "01000000", 8); /* hash-based, unchecked */

                /* source hash and co_filename, checked by the host's python on the stored bytes */
                char *code =
                    xasprintf("import importlib.util, marshal; s = open(\"%s\", \"rb\").read(); "
                              "d = open(\"%s\", \"rb\").read(); "
                              "print(importlib.util.source_hash(s).hex()); "
                              "print(marshal.loads(d[16:]).co_filename)",
                              j->image_path, blob);
                char *got = host_py(code);
                char *want = xasprintf("%.16s\n%s", hdr + 16, j->image_path);
                assert_string_equal(got, want);
                free(code);
                free(got);
                free(want);
                free(pyc);
                free(blob);
        }

        /* the reference: py_compile in unchecked-hash mode with the in-image dfile */
        char *ref = xasprintf("%s/ref.pyc", e->dir);
        char *code = xasprintf("import py_compile as p; p.compile(\"/usr/lib/python3.11/os.py\", "
                               "cfile=\"%s\", dfile=\"/usr/lib/python3.11/os.py\", doraise=True, "
                               "invalidation_mode=p.PycInvalidationMode.UNCHECKED_HASH)",
                               ref);
        free(host_py(code));
        char *blob = store_blob_path(st, b.jobs[0].pyc_digest);
        assert_int_equal(fixture_sh("cmp -s '%s' '%s'", ref, blob), 0);
        free(blob);
        free(code);
        free(ref);

        free(magic);
        batch_release(&b);
        store_free(st);
}

static void test_two_compilers_give_identical_bytes(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        struct store *a = open_store(e->dir, "store-r1");
        struct store *c = open_store(e->dir, "store-r2");
        struct batch ba, bc;
        batch_init(&ba, a);
        batch_init(&bc, c);

        /* a second tree elsewhere, a second store: only the inputs may matter */
        char *tree2 = path_join(e->dir, "tree2");
        assert_int_equal(fixture_sh("cp -a '%s' '%s'", e->tree, tree2), 0);
        struct pyrun image2;
        assert_int_equal(pyrun_prepare(tree2, "/usr/bin/python3.11", "/lib64/ld-linux-x86-64.so.2",
                                       "amd64", &image2, &err),
                         0);
        assert_int_equal(bytecode_compile(&e->image, &e->probe, a, ba.jobs, NFILES, &err), 0);
        assert_int_equal(bytecode_compile(&image2, &e->probe, c, bc.jobs, NFILES, &err), 0);
        for (size_t i = 0; i < NFILES; i++) {
                assert_string_equal(ba.jobs[i].pyc_digest, bc.jobs[i].pyc_digest);
                assert_int_equal(ba.jobs[i].pyc_size, bc.jobs[i].pyc_size);
        }

        /* and the host's python3.11 produces the same bytes as the image's */
        struct pyrun host;
        const struct pyrun *chosen = NULL;
        assert_int_equal(bytecode_choose_compiler(&e->broken, &e->probe, &host, &chosen, &err), 0);
        assert_ptr_equal(chosen, &host);
        for (size_t i = 0; i < NFILES; i++)
                pyc_job_release(&bc.jobs[i]);
        assert_int_equal(bytecode_compile(chosen, &e->probe, c, bc.jobs, NFILES, &err), 0);
        for (size_t i = 0; i < NFILES; i++)
                assert_string_equal(ba.jobs[i].pyc_digest, bc.jobs[i].pyc_digest);

        /* no temporary files are left in the store */
        assert_int_equal(fixture_sh("test -z \"$(ls -A '%s/store-r2' | grep '^\\.')\"", e->dir), 0);

        pyrun_release(&host);
        pyrun_release(&image2);
        free(tree2);
        batch_release(&ba);
        batch_release(&bc);
        store_free(a);
        store_free(c);
}

static void test_syntax_error_is_per_file(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        struct store *st = open_store(e->dir, "store-s");
        char good[SHA256_HEX_LEN + 1], bad[SHA256_HEX_LEN + 1], nul[SHA256_HEX_LEN + 1];
        put_text(st, "x = 1\n", good);
        put_text(st, "def f(:\n    pass\n", bad);
        assert_int_equal(store_put_mem(st, "a = 1\0\n", 7, nul, &err), 0);
        struct pyc_job jobs[] = {
            {.image_path = "/app/good.py", .src_digest = good},
            {.image_path = "/app/bad.py", .src_digest = bad},
            {.image_path = "/app/nul.py", .src_digest = nul},
            {.image_path = "/app/pkg/mod.name.py", .src_digest = good},
        };
        assert_int_equal(bytecode_compile(&e->image, &e->probe, st, jobs, 4, &err), 0);
        assert_null(jobs[0].error);
        assert_string_equal(jobs[0].pyc_path, "/app/__pycache__/good.cpython-311.pyc");
        assert_int_equal(strlen(jobs[0].pyc_digest), SHA256_HEX_LEN);
        assert_non_null(jobs[1].error);
        assert_non_null(strstr(jobs[1].error, "/app/bad.py"));
        assert_non_null(strstr(jobs[1].error, "SyntaxError"));
        assert_null(jobs[1].pyc_path);
        assert_string_equal(jobs[1].pyc_digest, "");
        assert_non_null(jobs[2].error);
        assert_null(jobs[3].error);
        assert_string_equal(jobs[3].pyc_path, "/app/pkg/__pycache__/mod.name.cpython-311.pyc");
        /* same source, same in-image name rules: the digest differs only through co_filename */
        assert_string_not_equal(jobs[0].pyc_digest, jobs[3].pyc_digest);
        for (size_t i = 0; i < 4; i++)
                pyc_job_release(&jobs[i]);
        store_free(st);
}

static void test_missing_source_is_fatal(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        struct store *st = open_store(e->dir, "store-m");
        char good[SHA256_HEX_LEN + 1];
        put_text(st, "x = 1\n", good);
        struct pyc_job jobs[] = {
            {.image_path = "/app/good.py", .src_digest = good},
            {.image_path = "/app/gone.py",
             .src_digest = "0000000000000000000000000000000000000000000000000000000000000000"},
        };
        assert_int_equal(bytecode_compile(&e->image, &e->probe, st, jobs, 2, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "/app/gone.py"));
        assert_null(jobs[0].pyc_path);

        struct pyc_job bogus = {.image_path = "relative.py", .src_digest = good};
        assert_true(bytecode_compile(&e->image, &e->probe, st, &bogus, 1, &err) < 0);
        pyc_job_release(&bogus);
        for (size_t i = 0; i < 2; i++)
                pyc_job_release(&jobs[i]);
        store_free(st);
}

static void test_choose_prefers_image_then_host(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        struct pyrun host;
        const struct pyrun *chosen = NULL;

        assert_int_equal(bytecode_choose_compiler(&e->image, &e->probe, &host, &chosen, &err), 0);
        assert_ptr_equal(chosen, &e->image);
        assert_int_equal(host.argv.n, 0);
        pyrun_release(&host);

        assert_int_equal(bytecode_choose_compiler(&e->broken, &e->probe, &host, &chosen, &err), 0);
        assert_ptr_equal(chosen, &host);
        assert_true(host.is_host_python);
        assert_int_equal(host.argv.n, 1);
        assert_string_equal(host.argv.v[0], "/usr/bin/python3.11");
        pyrun_release(&host);
}

static void test_choose_checks_magic(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        struct pyrun host;
        const struct pyrun *chosen = NULL;
        struct py_probe other = e->probe;
        other.magic_hex = "550d0d0a"; /* 3.10's */

        /* neither the image's (wrong magic) nor the host's interpreter may compile for it */
        assert_int_equal(bytecode_choose_compiler(&e->image, &other, &host, &chosen, &err),
                         -DISTILL_EIO);
        assert_null(chosen);
        assert_int_equal(host.argv.n, 0);
        assert_non_null(strstr(err.msg, "a70d0d0a"));
        assert_non_null(strstr(err.msg, "550d0d0a"));
        assert_non_null(strstr(err.msg, "/usr/bin/python3.11"));

        /* no host interpreter of that version: the reason says so */
        other.magic_hex = e->probe.magic_hex;
        other.version = "3.99";
        assert_int_equal(bytecode_choose_compiler(&e->broken, &other, &host, &chosen, &err),
                         -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "/usr/bin/python3.99"));
        other.version = "../../bin/sh";
        assert_int_equal(bytecode_choose_compiler(&e->broken, &other, &host, &chosen, &err),
                         -DISTILL_EUSAGE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_compile_stdlib_modules),
            cmocka_unit_test(test_two_compilers_give_identical_bytes),
            cmocka_unit_test(test_syntax_error_is_per_file),
            cmocka_unit_test(test_missing_source_is_fatal),
            cmocka_unit_test(test_choose_prefers_image_then_host),
            cmocka_unit_test(test_choose_checks_magic),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
