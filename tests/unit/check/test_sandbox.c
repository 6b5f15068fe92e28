/* The sandbox on a tree made here: a static program compiled at test time reports who it runs
 * as, where, with which environment, and what it may write. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/base/arch.h"
#include "distill/check/sandbox.h"
#include "fixture.h"

static char *tmp;  /* the test's scratch directory */
static char *dir;  /* sandbox_make_dir's */
static char *root; /* the tree */

static const char probe_c[] =
    "#include <errno.h>\n#include <fcntl.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
    "#include <string.h>\n#include <unistd.h>\n"
    "static int can_write(const char *p) {\n"
    "  int fd = open(p, O_WRONLY | O_CREAT, 0600);\n"
    "  if (fd < 0) return errno;\n"
    "  close(fd); return 0;\n}\n"
    "int main(int argc, char **argv) {\n"
    "  if (argc > 1 && !strcmp(argv[1], \"exit\")) return atoi(argv[2]);\n"
    "  if (argc > 1 && !strcmp(argv[1], \"sleep\")) { sleep(60); return 0; }\n"
    "  char cwd[256];\n"
    "  if (!getcwd(cwd, sizeof cwd)) return 99;\n"
    "  printf(\"uid=%d gid=%d cwd=%s HOME=%s FOO=%s PATH=%s\\n\", (int)getuid(), (int)getgid(),\n"
    "         cwd, getenv(\"HOME\"), getenv(\"FOO\"), getenv(\"PATH\") ? getenv(\"PATH\") : "
    "\"-\");\n"
    "  printf(\"root=%d tmp=%d home=%d secret=%d\\n\", can_write(\"/x\"), can_write(\"/tmp/x\"),\n"
    "         can_write(\"/home/u/x\"), open(\"/secret\", O_RDONLY) < 0 ? errno : 0);\n"
    "  fprintf(stderr, \"to stderr\\n\");\n"
    "  return 0;\n}\n";

static int group_setup(void **state)
{
        (void)state;
        struct distill_error err = {0};
        fixture_require_root();
        tmp = fixture_tmpdir();
        if (sandbox_make_dir(&dir, &err) < 0) {
                print_error("%s\n", err.msg);
                return -1;
        }
        root = path_join(dir, "root");
        char *src = path_join(tmp, "probe.c");
        fixture_write(src, probe_c);
        /* the image's layout: root-owned, a 0600 root-only file, the mount points */
        int r = fixture_sh("mkdir -p '%s/bin' '%s/tmp' '%s/proc' '%s/dev' '%s/home/u' '%s/srv' && "
                           "cc -static -O -o '%s/bin/probe' '%s' && echo s > '%s/secret' && "
                           "chmod 600 '%s/secret' && chmod 755 '%s' && chown 1000:1000 '%s/home/u'",
                           root, root, root, root, root, root, root, src, root, root, root, root);
        free(src);
        return r == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
        (void)state;
        fixture_cleanup(tmp);
        rm_rf(dir);
        free(tmp);
        free(dir);
        free(root);
        return 0;
}

/* timeout_s: short only where the test wants the timeout; otherwise generous, so that a slow or
 * busy machine never turns a passing run into a killed one */
static int run_for(const char *const *args, unsigned timeout_s, struct spawn_result *res,
                   struct distill_error *err)
{
        struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
        for (size_t i = 0; args[i]; i++)
                strvec_push(&argv, args[i]);
        strvec_push(&env, "FOO=bar baz");
        strvec_push(&env, "HOME=/home/u");
        struct sandbox_spec s = {.root = root,
                                 .arch = arch_host(),
                                 .uid = 1000,
                                 .gid = 1000,
                                 .home = "/home/u",
                                 .workdir = "/srv",
                                 .env = &env,
                                 .argv = &argv,
                                 .timeout_s = timeout_s};
        int r = sandbox_run(&s, res, err);
        strvec_clear(&argv);
        strvec_clear(&env);
        return r;
}

static int run(const char *const *args, struct spawn_result *res, struct distill_error *err)
{
        return run_for(args, 120, res, err);
}

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_runs_as_the_image(void **state)
{
        (void)state;
        struct spawn_result res;
        struct distill_error err = {0};
        int r = run(ARGV("/bin/probe"), &res, &err);
        if (r < 0)
                print_error("%s\n", err.msg);
        assert_int_equal(r, 0);
        assert_int_equal(spawn_exit_code(&res), 0);
        /* exactly the given environment (no PATH of ours), the workdir, UID/GID 1000 */
        assert_non_null(strstr(res.out.buf, "uid=1000 gid=1000 cwd=/srv HOME=/home/u FOO=bar baz"
                                            " PATH=-\n"));
        /* the root is read-only (EROFS 30), /tmp and the home writable, a 0600 root file
         * unreadable (EACCES 13) */
        assert_non_null(strstr(res.out.buf, "root=30 tmp=0 home=0 secret=13\n"));
        assert_string_equal(res.err.buf, "to stderr\n");
        spawn_result_release(&res);
}

static void test_exit_status_and_timeout(void **state)
{
        (void)state;
        struct spawn_result res;
        struct distill_error err = {0};
        assert_int_equal(run(ARGV("/bin/probe", "exit", "7"), &res, &err), 0);
        assert_int_equal(spawn_exit_code(&res), 7);
        assert_false(res.timed_out);
        spawn_result_release(&res);

        assert_int_equal(run_for(ARGV("/bin/probe", "sleep"), 2, &res, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "killed after 2 s"));
        assert_true(res.timed_out);
        spawn_result_release(&res);

        /* a program that is not in the tree: the sandbox started, the exec failed */
        assert_int_equal(run(ARGV("/bin/nothing"), &res, &err), 0);
        assert_int_not_equal(spawn_exit_code(&res), 0);
        assert_non_null(strstr(res.err.buf, "/bin/nothing"));
        spawn_result_release(&res);
}

static void test_setup_failure(void **state)
{
        (void)state;
        struct spawn_result res;
        struct distill_error err = {0};
        char *saved = root;
        root = path_join(dir, "missing");
        int r = run(ARGV("/bin/probe"), &res, &err);
        free(root);
        root = saved;
        assert_int_equal(r, -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "bubblewrap could not set up the sandbox"));
        spawn_result_release(&res);
}

static void test_command_line(void **state)
{
        (void)state;
        struct strvec v = STRVEC_INIT;
        strvec_push(&v, "/usr/bin/python3");
        strvec_push(&v, "/app/t.py");
        char *line = sandbox_command_line(&v);
        assert_string_equal(line, "/usr/bin/python3 /app/t.py");
        free(line);
        strvec_clear(&v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_runs_as_the_image),
            cmocka_unit_test(test_exit_status_and_timeout),
            cmocka_unit_test(test_setup_failure),
            cmocka_unit_test(test_command_line),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
