/* spawn: exit statuses and signals, the timeout killing the whole process group, the output
 * caps, stdin larger than a pipe while the child writes as much, the fixed environment, extra
 * descriptors, and nothing left behind (no zombie, no descriptor of ours in the child). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "distill/base/spawn.h"
#include "fixture.h"

static char *const *sh(const char *script)
{
        static char *argv[4];
        argv[0] = "sh";
        argv[1] = "-c";
        argv[2] = (char *)script;
        argv[3] = NULL;
        return argv;
}

static struct spawn_opts opts_for(const char *script)
{
        return (struct spawn_opts){.argv = sh(script), .timeout_s = 30, .out_cap = 1u << 20};
}

/* Every child spawn_run started has been reaped. */
static void assert_no_children(void)
{
        errno = 0;
        assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
        assert_int_equal(errno, ECHILD);
}

static void assert_contains(const char *s, const char *needle)
{
        if (!strstr(s, needle))
                fail_msg("\"%s\" lacks \"%s\"", s, needle);
}

static bool process_exists(pid_t pid)
{
        return kill(pid, 0) == 0 || errno != ESRCH;
}

static void test_exit_status(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;

        struct spawn_opts o = opts_for("echo 'it went wrong' >&2; exit 3");
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(spawn_exit_code(&r), 3);
        assert_int_equal(spawn_check_exit(&o, &r, &err), -DISTILL_EIO);
        assert_string_equal(err.msg, "sh: exit status 3: it went wrong");
        spawn_result_release(&r);

        o = opts_for("exit 0");
        o.name = "the shell";
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(spawn_exit_code(&r), 0);
        assert_int_equal(spawn_check_exit(&o, &r, &err), 0);
        spawn_result_release(&r);

        o = opts_for("exit 1");
        o.name = "the shell";
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(spawn_check_exit(&o, &r, &err), -DISTILL_EIO);
        assert_string_equal(err.msg, "the shell: exit status 1: (no output on stderr)");
        spawn_result_release(&r);
        assert_no_children();
}

static void test_killed_by_signal(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;

        struct spawn_opts o = opts_for("kill -TERM $$");
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_true(WIFSIGNALED(r.status));
        assert_int_equal(spawn_exit_code(&r), 128 + SIGTERM);
        assert_int_equal(spawn_check_exit(&o, &r, &err), -DISTILL_EIO);
        assert_contains(err.msg, "sh: killed by signal 15");
        spawn_result_release(&r);

        /* SIGPIPE is the child's default even when we ignore it */
        signal(SIGPIPE, SIG_IGN);
        o = opts_for("kill -PIPE $$");
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(spawn_exit_code(&r), 128 + SIGPIPE);
        spawn_result_release(&r);
        signal(SIGPIPE, SIG_DFL);
        assert_no_children();
}

static long long elapsed_ms(const struct timespec *since)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - since->tv_sec) * 1000LL + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* As a subreaper we inherit what the child started once the child is gone: waiting for all of
 * it until none is left makes the check independent of what init does with orphans. The
 * grandchild may be among them (then it died of SIGKILL) or the shell may have reaped it in
 * the moment between the two kills; either way it is gone. */
static void assert_orphan_gone(pid_t grandchild)
{
        int st;
        pid_t w;
        while ((w = waitpid(-1, &st, 0)) > 0)
                if (w == grandchild) {
                        assert_true(WIFSIGNALED(st));
                        assert_int_equal(WTERMSIG(st), SIGKILL);
                }
        assert_int_equal(errno, ECHILD);
        assert_false(process_exists(grandchild));
}

static void test_timeout_kills_process_group(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;
        struct timespec start;
        pid_t child = 0, grandchild = 0;

        assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        /* the shell waits for a sleeping grandchild that also holds stdout open */
        struct spawn_opts o = opts_for("sleep 60 & echo $$ $!; wait");
        o.timeout_s = 1;
        clock_gettime(CLOCK_MONOTONIC, &start);
        assert_int_equal(spawn_run(&o, &r, &err), -DISTILL_EIO);
        assert_true(elapsed_ms(&start) < 10000);
        assert_string_equal(err.msg, "sh: killed after 1 s");
        assert_int_equal(sscanf(strbuf_str(&r.out), "%d %d", &child, &grandchild), 2);
        spawn_result_release(&r);
        assert_false(process_exists(child)); /* killed and reaped */
        assert_orphan_gone(grandchild);
        assert_int_equal(kill(-child, 0), -1); /* nothing left in its group */
        assert_int_equal(errno, ESRCH);
        assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);

        /* a child that closed its outputs but does not exit */
        o = opts_for("exec >/dev/null 2>&1; sleep 60");
        o.timeout_s = 1;
        clock_gettime(CLOCK_MONOTONIC, &start);
        assert_int_equal(spawn_run(&o, &r, &err), -DISTILL_EIO);
        assert_true(elapsed_ms(&start) < 10000);
        assert_string_equal(err.msg, "sh: killed after 1 s");
        spawn_result_release(&r);
        assert_no_children();
}

static void test_capture_stdout_stderr(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;

        struct spawn_opts o = opts_for("printf 'to out\\n'; printf 'to err' >&2; printf more");
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(spawn_check_exit(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.out), "to out\nmore");
        assert_string_equal(strbuf_str(&r.err), "to err");
        spawn_result_release(&r);

        /* nothing written: both empty */
        o = opts_for("true");
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(r.out.len, 0);
        assert_string_equal(strbuf_str(&r.out), "");
        assert_int_equal(r.err.len, 0);
        spawn_result_release(&r);
        assert_no_children();
}

static void test_output_caps(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;
        char *dir = fixture_tmpdir();
        char *pidfile = path_join(dir, "pid");

        /* exactly the cap is fine */
        struct spawn_opts o = opts_for("head -c 1000 /dev/zero");
        o.out_cap = 1000;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(r.out.len, 1000);
        spawn_result_release(&r);

        /* one byte more is an error naming the program, and kills what it started */
        assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        char *script = xasprintf("sleep 60 & echo $! > %s; head -c 1001 /dev/zero; wait", pidfile);
        o = opts_for(script);
        o.name = "zeros";
        o.out_cap = 1000;
        assert_int_equal(spawn_run(&o, &r, &err), -DISTILL_EIO);
        assert_string_equal(err.msg, "zeros: more than 1000 bytes on stdout");
        spawn_result_release(&r);
        char *pid = NULL;
        size_t len;
        assert_int_equal(read_file(pidfile, &pid, &len), 0);
        assert_orphan_gone((pid_t)atoi(pid));
        free(pid);
        free(script);
        assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);

        /* stderr is for messages: its head is kept and the run succeeds */
        o = opts_for("head -c 200000 /dev/zero | tr '\\0' x >&2; echo done");
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(spawn_check_exit(&o, &r, &err), 0);
        assert_int_equal(r.err.len, SPAWN_STDERR_KEEP);
        assert_string_equal(strbuf_str(&r.out), "done\n");
        spawn_result_release(&r);

        /* an extra descriptor has its own cap */
        o = opts_for("head -c 101 /dev/zero >&3");
        o.extra[0] = (struct spawn_capture){3, 100};
        o.n_extra = 1;
        assert_int_equal(spawn_run(&o, &r, &err), -DISTILL_EIO);
        assert_string_equal(err.msg, "sh: more than 100 bytes on fd 3");
        spawn_result_release(&r);

        fixture_cleanup(dir);
        free(pidfile);
        free(dir);
        assert_no_children();
}

static void test_stdin(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;

        struct spawn_opts o = opts_for("cat");
        o.input = "line one\nline two";
        o.input_len = strlen(o.input);
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.out), "line one\nline two");
        spawn_result_release(&r);

        /* without input, stdin is /dev/null */
        o = opts_for("cat");
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(r.out.len, 0);
        spawn_result_release(&r);

        /* a child that never reads its input */
        o = opts_for("exit 0");
        o.input = "unread";
        o.input_len = 6;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(spawn_exit_code(&r), 0);
        spawn_result_release(&r);
        assert_no_children();
}

/* Far more than a pipe holds, in and out at once and on stderr too: nothing may wait for the
 * other side. */
static void test_large_stdin_while_writing(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;
        size_t n = 8u << 20;
        char *in = malloc(n);
        for (size_t i = 0; i < n; i++)
                in[i] = "0123456789abcdef\n"[i % 17];

        struct spawn_opts o =
            opts_for("head -c 300000 /dev/zero | tr '\\0' e >&2 & tr a-f A-F; wait");
        o.input = in;
        o.input_len = n;
        o.out_cap = n;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(spawn_check_exit(&o, &r, &err), 0);
        assert_int_equal(r.out.len, n);
        for (size_t i = 0; i < n; i++) {
                char want = in[i] >= 'a' && in[i] <= 'f' ? (char)(in[i] - 32) : in[i];
                if (r.out.buf[i] != want)
                        fail_msg("byte %zu is %c, not %c", i, r.out.buf[i], want);
        }
        assert_int_equal(r.err.len, SPAWN_STDERR_KEEP);
        spawn_result_release(&r);
        free(in);
        assert_no_children();
}

static void test_missing_program(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;

        char *abs[] = {"/nonexistent/program", NULL};
        struct spawn_opts o = {.argv = abs, .timeout_s = 5, .out_cap = 100};
        assert_int_equal(spawn_run(&o, &r, &err), -DISTILL_EIO);
        assert_string_equal(err.msg,
                            "/nonexistent/program: cannot execute: No such file or directory");
        spawn_result_release(&r);

        char *bare[] = {"distill-no-such-program", NULL};
        o.argv = bare;
        o.name = "the helper";
        assert_int_equal(spawn_run(&o, &r, &err), -DISTILL_EIO);
        assert_string_equal(err.msg,
                            "the helper: cannot execute distill-no-such-program: No such file "
                            "or directory");
        spawn_result_release(&r);
        assert_no_children();
}

static void test_fixed_environment(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;
        char *env[] = {"env", NULL};

        setenv("DISTILL_TEST_SECRET", "ours", 1);
        setenv("DISTILL_TEST_PASSED", "passed on", 1);
        unsetenv("DISTILL_TEST_UNSET");

        /* nothing of ours by default */
        struct spawn_opts o = {.argv = env, .timeout_s = 30, .out_cap = 1u << 20};
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.out), "PATH=/usr/bin:/bin\nLANG=C\n");
        spawn_result_release(&r);

        /* exactly what the caller gives */
        char *mine[] = {"ONLY=this", NULL};
        o.envp = mine;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.out), "ONLY=this\n");
        spawn_result_release(&r);

        char *empty[] = {NULL};
        o.envp = empty;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.out), "");
        spawn_result_release(&r);

        /* and the variables it names, when they are set here */
        const char *pass[] = {"DISTILL_TEST_PASSED", "DISTILL_TEST_UNSET", NULL};
        o.envp = NULL;
        o.pass_env = pass;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.out),
                            "PATH=/usr/bin:/bin\nLANG=C\nDISTILL_TEST_PASSED=passed on\n");
        spawn_result_release(&r);

        /* a passed variable replaces the entry of the same name */
        const char *pass_path[] = {"DISTILL_TEST_PASSED", NULL};
        char *base[] = {"A=1", "DISTILL_TEST_PASSED=theirs", NULL};
        o.envp = base;
        o.pass_env = pass_path;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.out), "A=1\nDISTILL_TEST_PASSED=passed on\n");
        spawn_result_release(&r);

        unsetenv("DISTILL_TEST_SECRET");
        unsetenv("DISTILL_TEST_PASSED");
        assert_no_children();
}

/* The descriptor number the n-th open from now gets. */
static int nth_free_fd(int n)
{
        int fds[16], nth;
        assert_true(n <= 16);
        for (int i = 0; i < n; i++)
                fds[i] = fcntl(0, F_DUPFD_CLOEXEC, 0);
        nth = fds[n - 1];
        for (int i = 0; i < n; i++)
                close(fds[i]);
        assert_true(nth >= 3);
        return nth;
}

static void test_status_fd(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;

        struct spawn_opts o = opts_for("echo '[GNUPG:] NEWSIG' >&3; echo out; echo err >&2");
        o.extra[0] = (struct spawn_capture){3, 1u << 20};
        o.n_extra = 1;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.extra[0]), "[GNUPG:] NEWSIG\n");
        assert_string_equal(strbuf_str(&r.out), "out\n");
        assert_string_equal(strbuf_str(&r.err), "err\n");
        spawn_result_release(&r);

        /* two, the first numbered where our write end for the second lies: spawn_run opens
         * stdin and then a pipe for each of stdout, stderr and the extra ones, lowest numbers
         * first, so that is the 9th free number (bash: dash's redirections stop at fd 9) */
        int target = nth_free_fd(9);
        char *script = xasprintf("printf a >&%d; printf b >&3", target);
        char *two[] = {"bash", "-c", script, NULL};
        o = opts_for("");
        o.argv = two;
        o.extra[0] = (struct spawn_capture){target, 100};
        o.extra[1] = (struct spawn_capture){3, 100};
        o.n_extra = 2;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_int_equal(spawn_check_exit(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.extra[0]), "a");
        assert_string_equal(strbuf_str(&r.extra[1]), "b");
        spawn_result_release(&r);
        free(script);

        /* standard descriptors are not extra ones */
        o = opts_for("true");
        o.extra[0] = (struct spawn_capture){2, 100};
        o.n_extra = 1;
        assert_int_equal(spawn_run(&o, &r, &err), -DISTILL_EINTERNAL);
        spawn_result_release(&r);
        assert_no_children();
}

/* A descriptor we opened without O_CLOEXEC does not reach the child, nor do the other ends of
 * its pipes; the child gets 0-2 and the extra ones it was promised. */
static void test_no_descriptor_leaks(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;
        int leaky = open("/dev/null", O_RDONLY);
        assert_true(leaky >= 0);
        assert_int_equal(dup2(leaky, 20), 20);
        int low = dup(leaky); /* the lowest free number, no O_CLOEXEC */
        assert_true(low >= 3);

        struct spawn_opts o =
            opts_for("for f in $(seq 0 40); do [ -e /dev/fd/$f ] && printf '%s ' $f; done; true");
        o.extra[0] = (struct spawn_capture){3, 100};
        o.n_extra = 1;
        assert_int_equal(spawn_run(&o, &r, &err), 0);
        assert_string_equal(strbuf_str(&r.out), "0 1 2 3 ");
        spawn_result_release(&r);

        close(20);
        close(low);
        close(leaky);
        assert_no_children();
}

/* With our own 0-2 closed, the pipes land there and must still reach the right numbers. */
static void test_closed_standard_descriptors(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct spawn_result r;

        fflush(stdout);
        fflush(stderr);
        int saved[3];
        for (int fd = 0; fd < 3; fd++) {
                saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 50);
                close(fd);
        }
        struct spawn_opts o = opts_for("cat; echo to-err >&2; echo to-3 >&3");
        o.input = "from stdin\n";
        o.input_len = strlen(o.input);
        o.extra[0] = (struct spawn_capture){3, 100};
        o.n_extra = 1;
        int ret = spawn_run(&o, &r, &err);
        for (int fd = 0; fd < 3; fd++) {
                dup2(saved[fd], fd);
                close(saved[fd]);
        }
        assert_int_equal(ret, 0);
        assert_string_equal(strbuf_str(&r.out), "from stdin\n");
        assert_string_equal(strbuf_str(&r.err), "to-err\n");
        assert_string_equal(strbuf_str(&r.extra[0]), "to-3\n");
        spawn_result_release(&r);
        assert_no_children();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_exit_status),
            cmocka_unit_test(test_killed_by_signal),
            cmocka_unit_test(test_timeout_kills_process_group),
            cmocka_unit_test(test_capture_stdout_stderr),
            cmocka_unit_test(test_output_caps),
            cmocka_unit_test(test_stdin),
            cmocka_unit_test(test_large_stdin_while_writing),
            cmocka_unit_test(test_missing_program),
            cmocka_unit_test(test_fixed_environment),
            cmocka_unit_test(test_status_fd),
            cmocka_unit_test(test_no_descriptor_leaks),
            cmocka_unit_test(test_closed_standard_descriptors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
