#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The entry files below a cache directory, one per line, sorted. */
static char *cache_entries(const char *cache)
{
        char *out = fixture_sh_out("cd '%s' && find pyc -type f | sort", cache);
        assert_non_null(out);
        return out;
}

static size_t count_lines(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

/* Compile b's jobs and keep them in cache; every job was a miss first. */
static void compile_and_keep(struct env *e, const char *cache, struct store *st, struct batch *b)
{
        struct distill_error err = {0};
        for (size_t i = 0; i < NFILES; i++)
                assert_int_equal(bytecode_cache_get(cache, &e->probe, st, &b->jobs[i], &err), 0);
        assert_int_equal(bytecode_compile(&e->image, &e->probe, st, b->jobs, NFILES, &err), 0);
        for (size_t i = 0; i < NFILES; i++)
                assert_int_equal(bytecode_cache_put(cache, &e->probe, st, &b->jobs[i], &err), 0);
}

static void test_cache_hit_gives_the_compiled_bytes(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        char *cache = path_join(e->dir, "cache-hit");
        struct store *a = open_store(e->dir, "store-ca");
        struct store *b = open_store(e->dir, "store-cb");
        struct batch ba, bb;
        batch_init(&ba, a);
        batch_init(&bb, b);

        compile_and_keep(e, cache, a, &ba);
        char *listing = cache_entries(cache);
        assert_int_equal(count_lines(listing), NFILES);
        /* CACHE/pyc/TAG/KK/KEY.pyc, KK the key's first two digits */
        assert_int_equal(fixture_sh("cd '%s' && find pyc -type f | grep -Evq "
                                    "'^pyc/cpython-311/([0-9a-f]{2})/\\1[0-9a-f]{62}\\.pyc$'",
                                    cache),
                         1);
        for (size_t i = 0; i < NFILES; i++) {
                assert_int_equal(bytecode_cache_get(cache, &e->probe, b, &bb.jobs[i], &err), 1);
                assert_string_equal(bb.jobs[i].pyc_digest, ba.jobs[i].pyc_digest);
                assert_string_equal(bb.jobs[i].pyc_path, ba.jobs[i].pyc_path);
                assert_int_equal(bb.jobs[i].pyc_size, ba.jobs[i].pyc_size);
                assert_null(bb.jobs[i].error);
                char *x = store_blob_path(a, ba.jobs[i].pyc_digest);
                char *y = store_blob_path(b, bb.jobs[i].pyc_digest);
                assert_int_equal(fixture_sh("cmp -s '%s' '%s'", x, y), 0);
                free(x);
                free(y);
        }
        /* a second put of the same key leaves one entry, and no temporary file */
        assert_int_equal(bytecode_cache_put(cache, &e->probe, a, &ba.jobs[0], &err), 0);
        char *again = cache_entries(cache);
        assert_string_equal(listing, again);

        /* no cache directory: every job is a miss, and put keeps nothing */
        pyc_job_release(&bb.jobs[0]);
        assert_int_equal(bytecode_cache_get(NULL, &e->probe, b, &bb.jobs[0], &err), 0);
        assert_null(bb.jobs[0].pyc_path);
        assert_int_equal(bytecode_cache_put(NULL, &e->probe, a, &ba.jobs[0], &err), 0);

        free(listing);
        free(again);
        batch_release(&ba);
        batch_release(&bb);
        store_free(a);
        store_free(b);
        free(cache);
}

/* Every input of the compilation is part of the key. */
static void test_cache_key_covers_every_input(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        char *cache = path_join(e->dir, "cache-key");
        struct store *st = open_store(e->dir, "store-ck");
        char one[SHA256_HEX_LEN + 1], two[SHA256_HEX_LEN + 1];
        put_text(st, "x = 1\n", one);
        put_text(st, "x = 2\n", two);
        struct pyc_job job = {.image_path = "/app/m.py", .src_digest = one};
        assert_int_equal(bytecode_compile(&e->image, &e->probe, st, &job, 1, &err), 0);
        assert_int_equal(bytecode_cache_put(cache, &e->probe, st, &job, &err), 0);

        struct pyc_job same = {.image_path = "/app/m.py", .src_digest = one};
        struct pyc_job moved = {.image_path = "/app/n.py", .src_digest = one};
        struct pyc_job edited = {.image_path = "/app/m.py", .src_digest = two};
        assert_int_equal(bytecode_cache_get(cache, &e->probe, st, &same, &err), 1);
        assert_string_equal(same.pyc_digest, job.pyc_digest);
        assert_int_equal(bytecode_cache_get(cache, &e->probe, st, &moved, &err), 0);
        assert_int_equal(bytecode_cache_get(cache, &e->probe, st, &edited, &err), 0);

        /* another interpreter (magic number, cache tag) is another key */
        struct py_probe other = e->probe;
        other.magic_hex = "550d0d0a";
        pyc_job_release(&same);
        assert_int_equal(bytecode_cache_get(cache, &other, st, &same, &err), 0);
        other = e->probe;
        other.cache_tag = "cpython-312";
        assert_int_equal(bytecode_cache_get(cache, &other, st, &same, &err), 0);

        /* a tag that is not a plain name never becomes a path: no caching at all */
        other.cache_tag = "../../escape";
        assert_int_equal(bytecode_cache_put(cache, &other, st, &job, &err), 0);
        assert_int_equal(bytecode_cache_get(cache, &other, st, &same, &err), 0);
        other.cache_tag = e->probe.cache_tag;
        other.magic_hex = "a70d";
        assert_int_equal(bytecode_cache_put(cache, &other, st, &job, &err), 0);
        char *listing = cache_entries(cache);
        assert_int_equal(count_lines(listing), 1);
        assert_int_equal(fixture_sh("test ! -e '%s/escape'", e->dir), 0);

        /* a job that did not compile is not kept */
        struct pyc_job bad = {.image_path = "/app/bad.py", .src_digest = one};
        bad.error = xstrdup("/app/bad.py: SyntaxError");
        assert_int_equal(bytecode_cache_put(cache, &e->probe, st, &bad, &err), 0);
        free(listing);
        listing = cache_entries(cache);
        assert_int_equal(count_lines(listing), 1);

        free(listing);
        pyc_job_release(&bad);
        pyc_job_release(&job);
        pyc_job_release(&same);
        pyc_job_release(&moved);
        pyc_job_release(&edited);
        store_free(st);
        free(cache);
}

/* Damaged entries are misses, never shipped; the next put replaces them. */
static void test_cache_rejects_damaged_entries(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        char *cache = path_join(e->dir, "cache-bad");
        struct store *st = open_store(e->dir, "store-cd");
        char src[SHA256_HEX_LEN + 1];
        put_source(st, "/usr/lib/python3.11/os.py", src);
        struct pyc_job job = {.image_path = "/usr/lib/python3.11/os.py", .src_digest = src};
        assert_int_equal(bytecode_compile(&e->image, &e->probe, st, &job, 1, &err), 0);
        assert_int_equal(bytecode_cache_put(cache, &e->probe, st, &job, &err), 0);
        char *listing = cache_entries(cache);
        listing[strcspn(listing, "\n")] = '\0';
        char *entry = xasprintf("%s/%s", cache, listing);
        char *good = xasprintf("%s/good-entry", e->dir);
        assert_int_equal(fixture_sh("cp '%s' '%s'", entry, good), 0);

        /* truncated; one body byte flipped; empty; a wrong digest line; a digest line rewritten
         * to match a body with another magic number, and with checked-hash flags */
        static const char *const damage[] = {
            "truncate -s -100 \"$E\"",
            "printf '\\377' | dd of=\"$E\" bs=1 seek=500 conv=notrunc status=none",
            ": >\"$E\"",
            "sed -i '1s/^distill-pyc 1 ./distill-pyc 1 0/' \"$E\"",
            "/usr/bin/python3.11 -c 'import hashlib,sys; d=open(sys.argv[1],\"rb\").read(); "
            "b=bytearray(d[79:]); b[0]^=1; "
            "open(sys.argv[1],\"wb\").write(b\"distill-pyc 1 \"+hashlib.sha256(b).hexdigest()."
            "encode()+b\"\\n\"+b)' \"$E\"",
            "/usr/bin/python3.11 -c 'import hashlib,sys; d=open(sys.argv[1],\"rb\").read(); "
            "b=bytearray(d[79:]); b[4]=3; "
            "open(sys.argv[1],\"wb\").write(b\"distill-pyc 1 \"+hashlib.sha256(b).hexdigest()."
            "encode()+b\"\\n\"+b)' \"$E\"",
        };
        for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
                assert_int_equal(fixture_sh("cp '%s' '%s'", good, entry), 0);
                assert_int_equal(fixture_sh("E='%s'; %s", entry, damage[i]), 0);
                assert_int_equal(fixture_sh("cmp -s '%s' '%s'", good, entry), 1);
                struct pyc_job again = {.image_path = job.image_path, .src_digest = src};
                assert_int_equal(bytecode_cache_get(cache, &e->probe, st, &again, &err), 0);
                assert_null(again.pyc_path);
                assert_string_equal(again.pyc_digest, "");
                pyc_job_release(&again);
        }
        /* the entry a put writes over the damaged one is whole again */
        assert_int_equal(bytecode_cache_put(cache, &e->probe, st, &job, &err), 0);
        assert_int_equal(fixture_sh("cmp -s '%s' '%s'", good, entry), 0);
        struct pyc_job again = {.image_path = job.image_path, .src_digest = src};
        assert_int_equal(bytecode_cache_get(cache, &e->probe, st, &again, &err), 1);
        assert_string_equal(again.pyc_digest, job.pyc_digest);

        pyc_job_release(&again);
        pyc_job_release(&job);
        free(entry);
        free(good);
        free(listing);
        store_free(st);
        free(cache);
}

/* Builds sharing a cache: writers of the same keys never let a reader see a partial entry. */
static void test_cache_concurrent_writers(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        char *cache = path_join(e->dir, "cache-race");
        struct store *st = open_store(e->dir, "store-cr");
        struct batch b;
        batch_init(&b, st);
        assert_int_equal(bytecode_compile(&e->image, &e->probe, st, b.jobs, NFILES, &err), 0);

        pid_t kids[3];
        for (size_t k = 0; k < 3; k++) {
                kids[k] = fork();
                assert_true(kids[k] >= 0);
                if (kids[k] == 0) {
                        for (int round = 0; round < 40; round++)
                                for (size_t i = 0; i < NFILES; i++)
                                        if (bytecode_cache_put(cache, &e->probe, st, &b.jobs[i],
                                                               &err) < 0)
                                                _exit(1);
                        _exit(0);
                }
        }
        size_t hits = 0;
        for (int round = 0; round < 200; round++)
                for (size_t i = 0; i < NFILES; i++) {
                        struct pyc_job j = {.image_path = b.jobs[i].image_path,
                                            .src_digest = b.jobs[i].src_digest};
                        int r = bytecode_cache_get(cache, &e->probe, st, &j, &err);
                        assert_true(r == 0 || r == 1);
                        if (r == 1) {
                                hits++;
                                assert_string_equal(j.pyc_digest, b.jobs[i].pyc_digest);
                        }
                        pyc_job_release(&j);
                }
        for (size_t k = 0; k < 3; k++) {
                int status = 0;
                assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        assert_true(hits > 0);
        char *listing = cache_entries(cache);
        assert_int_equal(count_lines(listing), NFILES); /* and no temporary file left */
        free(listing);
        batch_release(&b);
        store_free(st);
        free(cache);
}

/* What the cache relies on: a file's .pyc does not depend on what else the run compiled. */
static void test_batch_and_single_runs_agree(void **state)
{
        struct env *e = *state;
        struct distill_error err = {0};
        struct store *st = open_store(e->dir, "store-bs");
        struct batch b;
        batch_init(&b, st);
        assert_int_equal(bytecode_compile(&e->image, &e->probe, st, b.jobs, NFILES, &err), 0);
        for (size_t i = 0; i < NFILES; i++) {
                /* alone, and after the others in reverse order */
                struct pyc_job one = {.image_path = b.jobs[i].image_path,
                                      .src_digest = b.jobs[i].src_digest};
                assert_int_equal(bytecode_compile(&e->image, &e->probe, st, &one, 1, &err), 0);
                assert_string_equal(one.pyc_digest, b.jobs[i].pyc_digest);
                pyc_job_release(&one);
        }
        struct pyc_job rev[NFILES];
        memset(rev, 0, sizeof(rev));
        for (size_t i = 0; i < NFILES; i++) {
                rev[i].image_path = b.jobs[NFILES - 1 - i].image_path;
                rev[i].src_digest = b.jobs[NFILES - 1 - i].src_digest;
        }
        assert_int_equal(bytecode_compile(&e->image, &e->probe, st, rev, NFILES, &err), 0);
        for (size_t i = 0; i < NFILES; i++) {
                assert_string_equal(rev[i].pyc_digest, b.jobs[NFILES - 1 - i].pyc_digest);
                pyc_job_release(&rev[i]);
        }
        batch_release(&b);
        store_free(st);
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
            cmocka_unit_test(test_cache_hit_gives_the_compiled_bytes),
            cmocka_unit_test(test_cache_key_covers_every_input),
            cmocka_unit_test(test_cache_rejects_damaged_entries),
            cmocka_unit_test(test_cache_concurrent_writers),
            cmocka_unit_test(test_batch_and_single_runs_agree),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
