#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/python/pyprobe.h"
#include "fixture.h"

struct env {
        char *dir;
        char *tree;
};

static int setup(void **state)
{
        struct env *e = calloc(1, sizeof(*e));
        e->dir = fixture_tmpdir();
        e->tree = path_join(e->dir, "tree");
        fixture_python_tree(e->tree);
        *state = e;
        return 0;
}

static int teardown(void **state)
{
        struct env *e = *state;
        fixture_cleanup(e->dir);
        free(e->dir);
        free(e->tree);
        free(e);
        return 0;
}

/* One item per line from the host's own python3.11, computed independently of the probe. */
static void host_list(const char *expr, struct strvec *out)
{
        char *text = fixture_sh_out("/usr/bin/python3.11 -I -S -c 'import sys, site, _imp, "
                                    "importlib.util, importlib.machinery; "
                                    "print(\"\\n\".join(%s))'",
                                    expr);
        assert_non_null(text);
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                strvec_push(out, l);
        free(text);
}

static void assert_strvec_equal(const struct strvec *a, const struct strvec *b)
{
        assert_int_equal(a->n, b->n);
        for (size_t i = 0; i < a->n; i++)
                assert_string_equal(a->v[i], b->v[i]);
}

/* The probe (or the table) must say exactly what the host's python3.11 says about itself. */
static void assert_matches_host(const struct py_probe *p)
{
        struct strvec v = STRVEC_INIT;

        host_list("sorted(sys.builtin_module_names)", &v);
        assert_true(v.n > 30);
        assert_strvec_equal(&p->builtin, &v);
        strvec_clear(&v);
        host_list("_imp._frozen_module_names()", &v);
        assert_true(v.n > 10);
        assert_strvec_equal(&p->frozen, &v);
        strvec_clear(&v);
        host_list("importlib.machinery.EXTENSION_SUFFIXES", &v);
        assert_strvec_equal(&p->ext_suffixes, &v);
        strvec_clear(&v);
        /* getpath's entries, then every site dir site would add when it exists */
        host_list("[p for p in sys.path if p] + [p for p in site.getsitepackages() if p not in "
                  "sys.path]",
                  &v);
        assert_strvec_equal(&p->sys_path, &v);
        strvec_clear(&v);
        host_list("[sys.implementation.cache_tag, importlib.util.MAGIC_NUMBER.hex(), "
                  "\"%d.%d\" % sys.version_info[:2], sys._stdlib_dir]",
                  &v);
        assert_int_equal(v.n, 4);
        assert_string_equal(p->cache_tag, v.v[0]);
        assert_string_equal(p->magic_hex, v.v[1]);
        assert_string_equal(p->version, v.v[2]);
        assert_string_equal(p->stdlib_dir, v.v[3]);
        strvec_clear(&v);

        /* Debian 12's default sys.path, as the lead expects it */
        static const char *const debian[] = {
            "/usr/lib/python311.zip",          "/usr/lib/python3.11",
            "/usr/lib/python3.11/lib-dynload", "/usr/local/lib/python3.11/dist-packages",
            "/usr/lib/python3/dist-packages",  "/usr/lib/python3.11/dist-packages"};
        assert_int_equal(p->sys_path.n, 6);
        for (size_t i = 0; i < 6; i++)
                assert_string_equal(p->sys_path.v[i], debian[i]);
        assert_true(py_probe_is_builtin(p, "_socket"));
        assert_false(py_probe_is_builtin(p, "socket"));
        assert_true(py_probe_is_frozen(p, "os.path"));
        assert_false(py_probe_is_frozen(p, "json"));
}

static void test_prepare_resolves_loader_inside_tree(void **state)
{
        struct env *e = *state;
        struct pyrun run;
        struct distill_error err = {0};

        /* /lib64/ld… → usr/lib64/ld… → /lib/x86_64-linux-gnu/ld… (absolute: must stay in TREE) */
        assert_int_equal(pyrun_prepare(e->tree, "/usr/bin/python3", "/lib64/ld-linux-x86-64.so.2",
                                       "amd64", &run, &err),
                         0);
        assert_false(run.is_emulated);
        assert_false(run.is_host_python);
        assert_string_equal(run.tree, e->tree);
        assert_int_equal(run.argv.n, 5);
        char *ld = xasprintf("%s/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", e->tree);
        assert_string_equal(run.argv.v[0], ld);
        assert_string_equal(run.argv.v[1], "--inhibit-cache");
        assert_string_equal(run.argv.v[2], "--library-path");
        char *dirs =
            xasprintf("%s/usr/lib/x86_64-linux-gnu:%s/lib/x86_64-linux-gnu:%s/usr/lib:%s/lib",
                      e->tree, e->tree, e->tree, e->tree);
        assert_string_equal(run.argv.v[3], dirs);
        /* /usr/bin/python3 is an absolute link to /usr/bin/python3.11: resolved in the tree */
        char *py = xasprintf("%s/usr/bin/python3.11", e->tree);
        assert_string_equal(run.argv.v[4], py);
        free(ld);
        free(dirs);
        free(py);
        pyrun_release(&run);
}

static void test_prepare_clamps_dotdot(void **state)
{
        struct env *e = *state;
        struct pyrun run;
        struct distill_error err = {0};

        assert_int_equal(pyrun_prepare(e->tree, "/usr/bin/../../../../usr/bin/python3.11",
                                       "/../lib64/ld-linux-x86-64.so.2", "amd64", &run, &err),
                         0);
        char *ld = xasprintf("%s/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", e->tree);
        char *py = xasprintf("%s/usr/bin/python3.11", e->tree);
        assert_string_equal(run.argv.v[0], ld);
        assert_string_equal(run.argv.v[run.argv.n - 1], py);
        free(ld);
        free(py);
        pyrun_release(&run);

        assert_int_equal(pyrun_prepare(e->tree, "usr/bin/python3", NULL, "amd64", &run, &err),
                         -DISTILL_EUSAGE);
        assert_int_equal(pyrun_prepare(e->tree, "/usr/bin/python3", NULL, "mips", &run, &err),
                         -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "mips"));
}

static void test_probe_runs_image_interpreter(void **state)
{
        struct env *e = *state;
        struct pyrun run;
        struct py_probe p;
        struct distill_error err = {0};

        assert_int_equal(pyrun_prepare(e->tree, "/usr/bin/python3.11",
                                       "/lib64/ld-linux-x86-64.so.2", "amd64", &run, &err),
                         0);
        assert_int_equal(pyprobe_run(&run, "3.11", "amd64", &p, &err), 0);
        assert_false(p.from_table);
        assert_null(p.fallback_reason);
        assert_matches_host(&p);
        /* it ran from the tree, not the host: -B kept it from writing bytecode there */
        assert_int_equal(fixture_sh("test -z \"$(find '%s' -name __pycache__)\"", e->tree), 0);
        py_probe_release(&p);
        pyrun_release(&run);
}

static void test_probe_missing_loader_falls_back_to_table(void **state)
{
        struct env *e = *state;
        struct pyrun run;
        struct py_probe p;
        struct distill_error err = {0};

        assert_int_equal(pyrun_prepare(e->tree, "/usr/bin/python3.11", "/lib64/ld-missing.so.2",
                                       "amd64", &run, &err),
                         0);
        assert_int_equal(pyprobe_run(&run, "3.11", "amd64", &p, &err), 0);
        assert_true(p.from_table);
        assert_non_null(p.fallback_reason);
        assert_non_null(strstr(p.fallback_reason, "ld-missing.so.2"));
        /* the embedded table says what the real interpreter says */
        assert_matches_host(&p);
        py_probe_release(&p);
        pyrun_release(&run);
}

static struct pyrun host_run(void);

/* A plain start of the image's interpreter under the image's env: what it imports before the
 * program, checked against the same start of the host's python3.11 run directly. */
static void test_startup_modules(void **state)
{
        struct env *e = *state;
        struct pyrun run;
        struct py_probe p;
        struct distill_error err = {0};
        struct strvec env = STRVEC_INIT, host = STRVEC_INIT;

        assert_int_equal(pyrun_prepare(e->tree, "/usr/bin/python3.11",
                                       "/lib64/ld-linux-x86-64.so.2", "amd64", &run, &err),
                         0);
        assert_int_equal(pyprobe_run(&run, "3.11", "amd64", &p, &err), 0);
        assert_int_equal(p.startup.n, 0);
        /* a PYTHONPATH of the image names an image directory: never read on the build host */
        char *pp = path_join(e->dir, "pythonpath");
        assert_int_equal(
            fixture_sh("mkdir -p '%s' && echo 'import csv' > '%s/sitecustomize.py'", pp, pp), 0);
        strvec_push(&env, "LANG=C.UTF-8");
        strvec_push_nodup(&env, xasprintf("PYTHONPATH=%s", pp));
        strvec_push(&env, "HOME=/root");
        assert_int_equal(pyprobe_startup(&run, &env, &p, &err), 0);

        /* the same interpreter started directly, not through the tree's loader, with the env
         * the probe is meant to give it */
        char *text = fixture_sh_out(
            "env -i LANG=C.UTF-8 HOME=/nonexistent PATH=/usr/bin:/bin '%s/usr/bin/python3.11' -B "
            "-c 'import sys, os, _imp\n"
            "lib = os.path.dirname(os.__file__) + os.sep\n"
            "def own(n, m):\n"
            "    f = getattr(m, \"__file__\", None) or \"\"\n"
            "    s = getattr(m, \"__spec__\", None)\n"
            "    return (s is None or s.name == n) and (n in sys.builtin_module_names or "
            "_imp.is_frozen(n) or f.startswith(lib))\n"
            "print(\"\\n\".join(sorted(n for n, m in list(sys.modules.items()) "
            "if n != \"__main__\" and own(n, m))))'",
            e->tree);
        assert_non_null(text);
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                strvec_push(&host, l);
        free(text);
        assert_strvec_equal(&p.startup, &host);
        assert_true(strvec_contains(&p.startup, "encodings.utf_8"));
        assert_true(strvec_contains(&p.startup, "site"));
        assert_false(strvec_contains(&p.startup, "os.path"));
        assert_false(strvec_contains(&p.startup, "__main__"));
        assert_false(strvec_contains(&p.startup, "csv"));
        assert_false(strvec_contains(&p.startup, "pwd")); /* HOME was not the host's /root */
        /* 3.11 freezes site and os; the encodings package is a file */
        assert_true(py_probe_is_frozen(&p, "site") && py_probe_is_frozen(&p, "os"));
        assert_false(py_probe_is_frozen(&p, "encodings"));
        /* the table's list is this one, but for Debian's sitecustomize (not in a tree made
         * from packages, whose /etc it does not hold) */
        struct py_probe t;
        assert_int_equal(pyprobe_from_table("3.11", "amd64", &t, &err), 0);
        assert_int_equal(pyprobe_startup(NULL, NULL, &t, &err), 0);
        struct strvec packaged = STRVEC_INIT;
        for (size_t i = 0; i < host.n; i++)
                if (strcmp(host.v[i], "sitecustomize") != 0)
                        strvec_push(&packaged, host.v[i]);
        assert_strvec_equal(&t.startup, &packaged);
        strvec_clear(&packaged);
        py_probe_release(&t);

        /* the host's own interpreter: its dist-packages' .pth files import modules at start
         * (setuptools' _distutils_hack), which are not the interpreter's */
        struct pyrun hostpy = host_run();
        hostpy.tree = xstrdup(""); /* the tree "/", as pyrun_prepare spells it */
        struct py_probe h;
        assert_int_equal(pyprobe_run(&hostpy, "3.11", "amd64", &h, &err), 0);
        assert_int_equal(pyprobe_startup(&hostpy, &env, &h, &err), 0);
        assert_true(strvec_contains(&h.startup, "site"));
        for (size_t i = 0; i < h.startup.n; i++)
                assert_true(strvec_contains(&host, h.startup.v[i]) ||
                            strcmp(h.startup.v[i], "sitecustomize") == 0);
        py_probe_release(&h);
        pyrun_release(&hostpy);

        /* the image's env changes what the start imports: -W makes it import warnings */
        py_probe_release(&p);
        assert_int_equal(pyprobe_run(&run, "3.11", "amd64", &p, &err), 0);
        strvec_push(&env, "PYTHONWARNINGS=ignore");
        assert_int_equal(pyprobe_startup(&run, &env, &p, &err), 0);
        assert_true(strvec_contains(&p.startup, "warnings"));

        py_probe_release(&p);
        pyrun_release(&run);
        strvec_clear(&env);
        strvec_clear(&host);
        free(pp);
}

static void test_table_per_arch_and_unknown_version(void **state)
{
        (void)state;
        struct py_probe p;
        struct distill_error err = {0};

        assert_int_equal(pyprobe_from_table("3.11", "arm64", &p, &err), 0);
        assert_string_equal(p.ext_suffixes.v[0], ".cpython-311-aarch64-linux-gnu.so");
        assert_string_equal(p.cache_tag, "cpython-311");
        assert_string_equal(p.magic_hex, "a70d0d0a");
        py_probe_release(&p);
        assert_int_equal(pyprobe_from_table("3.11", "armhf", &p, &err), 0);
        assert_string_equal(p.ext_suffixes.v[0], ".cpython-311-arm-linux-gnueabihf.so");
        py_probe_release(&p);

        struct pyrun none = {0};
        assert_int_equal(pyprobe_run(&none, "3.99", "amd64", &p, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "no probe table for Python 3.99"));
        assert_non_null(strstr(err.msg, "could not run"));
        assert_int_equal(pyprobe_from_table("3.11", "sparc", &p, &err), -DISTILL_EUSAGE);
}

static void test_foreign_arch_uses_qemu(void **state)
{
        struct env *e = *state;
        struct pyrun run;
        struct py_probe p;
        struct distill_error err = {0};

        assert_int_equal(pyrun_prepare(e->tree, "/usr/bin/python3.11", "/lib/ld-linux-aarch64.so.1",
                                       "arm64", &run, &err),
                         0);
        assert_true(run.is_emulated);
        assert_int_equal(run.argv.n, 4);
        const char *base = strrchr(run.argv.v[0], '/');
        assert_string_equal(base ? base + 1 : run.argv.v[0], "qemu-aarch64-static");
        assert_string_equal(run.argv.v[1], "-L");
        assert_string_equal(run.argv.v[2], e->tree);
        /* no qemu here (or an amd64 python under qemu-aarch64): the table answers */
        assert_int_equal(pyprobe_run(&run, "3.11", "arm64", &p, &err), 0);
        assert_true(p.from_table);
        assert_string_equal(p.ext_suffixes.v[0], ".cpython-311-aarch64-linux-gnu.so");
        if (!base) {
                char *out = NULL;
                assert_int_equal(pyrun_exec(&run, NULL, NULL, 0, &out, NULL, &err), -DISTILL_EIO);
                assert_non_null(strstr(err.msg, "qemu-aarch64-static"));
                assert_non_null(strstr(p.fallback_reason, "qemu-aarch64-static"));
        }
        py_probe_release(&p);
        pyrun_release(&run);
}

static struct pyrun host_run(void)
{
        struct pyrun run = {0};
        strvec_push(&run.argv, "/usr/bin/python3.11");
        return run;
}

static void test_exec_large_io_and_clean_env(void **state)
{
        (void)state;
        struct pyrun run = host_run();
        struct distill_error err = {0};
        size_t n = 4u << 20;
        char *in = malloc(n);
        for (size_t i = 0; i < n; i++)
                in[i] = "abcdefgh\n"[i % 9];
        /* more than a pipe buffer both ways, and stderr too, at the same time */
        const char *args[] = {"-c",
                              "import sys; d = sys.stdin.buffer.read(); "
                              "sys.stderr.write('x' * 200000); sys.stdout.buffer.write(d.upper())",
                              NULL};
        char *out = NULL;
        size_t len = 0;
        assert_int_equal(pyrun_exec(&run, args, in, n, &out, &len, &err), 0);
        assert_int_equal(len, n);
        for (size_t i = 0; i < n; i++)
                if (out[i] != (char)(in[i] == '\n' ? '\n' : in[i] - 32))
                        fail_msg("byte %zu differs", i);
        free(out);
        free(in);

        setenv("PYTHONPATH", "/nonexistent", 1);
        setenv("PYTHONHOME", "/nonexistent", 1);
        const char *envargs[] = {"-c",
                                 "import os; print(sorted(k for k in os.environ if k != "
                                 "'LC_CTYPE'))",
                                 NULL};
        assert_int_equal(pyrun_exec(&run, envargs, NULL, 0, &out, &len, &err), 0);
        assert_string_equal(out, "['LANG', 'PATH']\n");
        free(out);
        unsetenv("PYTHONPATH");
        unsetenv("PYTHONHOME");
        pyrun_release(&run);
}

static void test_exec_failure_and_timeout(void **state)
{
        (void)state;
        struct pyrun run = host_run();
        struct distill_error err = {0};
        char *out = NULL;

        const char *bad[] = {"-c", "import sys; sys.stderr.write('boom happened\\n'); sys.exit(3)",
                             NULL};
        assert_int_equal(pyrun_exec(&run, bad, NULL, 0, &out, NULL, &err), -DISTILL_EIO);
        assert_null(out);
        assert_non_null(strstr(err.msg, "exit status 3"));
        assert_non_null(strstr(err.msg, "boom happened"));
        assert_non_null(strstr(err.msg, "/usr/bin/python3.11"));

        const char *slow[] = {"-c", "import time; time.sleep(30)", NULL};
        assert_int_equal(pyrun_exec_timeout(&run, slow, NULL, 0, 1, &out, NULL, &err),
                         -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "killed after 1 s"));
        pyrun_release(&run);

        struct pyrun missing = {0};
        strvec_push(&missing.argv, "/nonexistent/python");
        assert_int_equal(pyrun_exec(&missing, NULL, NULL, 0, &out, NULL, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "/nonexistent/python"));
        pyrun_release(&missing);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_prepare_resolves_loader_inside_tree),
            cmocka_unit_test(test_prepare_clamps_dotdot),
            cmocka_unit_test(test_probe_runs_image_interpreter),
            cmocka_unit_test(test_probe_missing_loader_falls_back_to_table),
            cmocka_unit_test(test_startup_modules),
            cmocka_unit_test(test_table_per_arch_and_unknown_version),
            cmocka_unit_test(test_foreign_arch_uses_qemu),
            cmocka_unit_test(test_exec_large_io_and_clean_env),
            cmocka_unit_test(test_exec_failure_and_timeout),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
