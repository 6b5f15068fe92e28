/* check.trace's readers: strace's lines (checked against what the real strace writes with the
 * options trace_next_run gives it), the audit hook's log, and the -S detection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/base/spawn.h"
#include "distill/check/trace.h"
#include "fixture.h"

static void expect_line(const char *line, const char *call, const char *path)
{
        double t;
        char *c, *p;
        int r = trace_parse_strace_line(line, &t, &c, &p);
        if (!call) {
                assert_int_equal(r, 0);
                assert_null(c);
                return;
        }
        if (r != 1)
                print_error("not parsed: %s\n", line);
        assert_int_equal(r, 1);
        assert_string_equal(c, call);
        assert_string_equal(p, path);
        assert_true(t > 1.0e9);
        free(c);
        free(p);
}

static void test_parse_lines(void **state)
{
        (void)state;
        /* "/usr/lib/os-release" relative to the descriptor's decoded directory "/usr" */
        expect_line("1701970000.123456 openat(AT_FDCWD<\\x2f\\x75\\x73\\x72>, "
                    "\"\\x6c\\x69\\x62\\x2f\\x6f\\x73\\x2d\\x72\\x65\\x6c\\x65\\x61\\x73\\x65\", "
                    "O_RDONLY) = 3<\\x2f\\x75\\x73\\x72\\x2f\\x6c\\x69\\x62>",
                    "openat", "/usr/lib/os-release");
        expect_line("1701970000.5 execve(\"\\x2f\\x62\\x69\\x6e\\x2f\\x63\\x61\\x74\", "
                    "[\"\\x63\\x61\\x74\"], 0x5 /* 3 vars */) = 0",
                    "execve", "/bin/cat");
        /* an absolute path ignores the descriptor; . and .. are normalised */
        expect_line("1701970000.5 open(\"\\x2f\\x61\\x2f\\x2e\\x2e\\x2f\\x62\", O_RDONLY) = 4",
                    "open", "/b");
        expect_line("1701970000.5 openat(7<\\x2f\\x64>, \"\\x2f\\x65\", O_RDONLY) = 4", "openat",
                    "/e");
        /* relative to a descriptor strace could not name: not used */
        expect_line("1701970000.5 openat(7, \"\\x65\", O_RDONLY) = 4", NULL, NULL);
        /* other calls, signals, exits, garbage */
        expect_line("1701970000.5 read(3<\\x2f\\x61>, \"\", 4) = 0", NULL, NULL);
        expect_line("1701970000.5 +++ exited with 0 +++", NULL, NULL);
        expect_line("not a line", NULL, NULL);
        expect_line("1701970000.5 openat(AT_FDCWD<\\x2f>, \"\\x61", NULL, NULL);
        expect_line("1701970000.5 open(\"\\x61\\x00\\x62\", O_RDONLY) = 3", NULL, NULL);
        expect_line("", NULL, NULL);
}

/* The real strace, with the options distill gives it, on a program that changes directory and
 * opens a file by a relative path. */
static void test_real_strace(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        struct trace_tree t = {
            .events = path_join(tmp, "events"), .uid = getuid(), .gid = getgid()};
        struct distill_error err = {0};
        struct select_observed obs = {0};

        assert_int_equal(fixture_sh("mkdir -p '%s/events'", tmp), 0);
        int r = trace_next_run(&t, 0, &err);
        if (r < 0)
                print_error("%s\n", err.msg);
        assert_int_equal(r, 0);
        struct strvec argv = STRVEC_INIT;
        for (size_t i = 0; i < t.tracer.n; i++)
                strvec_push(&argv, t.tracer.v[i]);
        static const char *const cmd[] = {
            "/bin/sh", "-c", "cd /usr/share && cat ../../etc/os-release >/dev/null", NULL};
        for (size_t i = 0; cmd[i]; i++)
                strvec_push(&argv, cmd[i]);
        struct spawn_opts o = {.argv = argv.v, .timeout_s = 60, .out_cap = 1 << 20};
        struct spawn_result res;
        r = spawn_run(&o, &res, &err);
        if (r == 0)
                r = spawn_check_exit(&o, &res, &err);
        if (r < 0)
                print_error("%s\n", err.msg);
        assert_int_equal(r, 0);
        spawn_result_release(&res);

        assert_int_equal(trace_collect(&t, &obs, &err), 0);
        assert_string_equal(strmap_get(&obs.paths, "/etc/os-release"), "open /etc/os-release");
        assert_string_equal(strmap_get(&obs.paths, "/bin/sh"), "exec /bin/sh");
        /* cat is found on sh's PATH: /usr/local/bin/cat is tried (and fails) first */
        assert_true(strmap_has(&obs.paths, "/usr/bin/cat") || strmap_has(&obs.paths, "/bin/cat"));
        assert_false(strmap_has(&obs.paths, "/usr/local/bin/cat"));
        select_observed_release(&obs);
        strvec_clear(&argv);
        trace_tree_release(&t);
        fixture_cleanup(tmp);
        free(tmp);
}

/* The hook's log: modules and absolute paths; its own module and malformed lines are not. */
static void test_python_log(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        struct trace_tree t = {.run_events = xstrdup(tmp)};
        struct distill_error err = {0};
        struct select_observed obs = {0};
        char *log = path_join(tmp, "python.log");
        /* hex of "fractions", "_distill_trace", "/usr/share/x", "../rel", "a..b" */
        fixture_write(log, "import\t6672616374696f6e73\n"
                           "import\t5f64697374696c6c5f7472616365\n"
                           "open\t2f7573722f73686172652f78\n"
                           "open\t2e2e2f72656c\n"
                           "dlopen\t2f6c69622f6c69627a2e736f2e31\n"
                           "import\t612e2e62\n"
                           "import\t6\n"
                           "garbage\n");
        assert_int_equal(trace_collect(&t, &obs, &err), 0);
        assert_string_equal(strmap_get(&obs.modules, "fractions"), "import fractions");
        assert_false(strmap_has(&obs.modules, "_distill_trace"));
        assert_false(strmap_has(&obs.modules, "a..b"));
        assert_int_equal(obs.modules.n, 1);
        assert_string_equal(strmap_get(&obs.paths, "/usr/share/x"), "python open /usr/share/x");
        assert_string_equal(strmap_get(&obs.paths, "/lib/libz.so.1"),
                            "python dlopen /lib/libz.so.1");
        assert_int_equal(obs.paths.n, 2);
        select_observed_release(&obs);
        free(log);
        trace_tree_release(&t);
        fixture_cleanup(tmp);
        free(tmp);
}

static bool disables(const char *const *words)
{
        struct strvec v = STRVEC_INIT;
        for (size_t i = 0; words[i]; i++)
                strvec_push(&v, words[i]);
        bool r = trace_argv_disables_site(&v);
        strvec_clear(&v);
        return r;
}

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_disables_site(void **state)
{
        (void)state;
        assert_true(disables(ARGV("/usr/bin/python3", "-S", "/app/t.py")));
        assert_true(disables(ARGV("python3.11", "-BS", "t.py")));
        assert_true(disables(ARGV("/usr/bin/python3", "-X", "dev", "-S", "t.py")));
        assert_true(disables(ARGV("/usr/bin/python3", "--check-hash-based-pycs", "-uS")));
        /* -I keeps site (only the user's site directory goes) */
        assert_false(disables(ARGV("/usr/bin/python3", "-I", "/app/t.py")));
        /* after the script, -c or -m the words are the program's */
        assert_false(disables(ARGV("/usr/bin/python3", "/app/t.py", "-S")));
        assert_false(disables(ARGV("/usr/bin/python3", "-c", "-S")));
        assert_false(disables(ARGV("/usr/bin/python3", "-mS")));
        assert_false(disables(ARGV("/usr/bin/python3", "-XS", "t.py"))); /* -X's value */
        assert_false(disables(ARGV("/usr/bin/python3", "--", "-S")));
        assert_false(disables(ARGV("/app/run", "-S")));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_lines),
            cmocka_unit_test(test_real_strace),
            cmocka_unit_test(test_python_log),
            cmocka_unit_test(test_disables_site),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
