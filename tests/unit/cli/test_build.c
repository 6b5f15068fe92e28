/* build: the whole pipeline on the host's own packages (a base image without Python), the
 * OUT-exists rule, --force replacing atomically, and nothing left behind on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/cli/build.h"
#include "fixture.h"

static char *dir;
static char *manifest;

static int setup(void **state)
{
        (void)state;
        dir = fixture_tmpdir();
        manifest = xasprintf("%s/base.yaml", dir);
        fixture_write(manifest, "version: 1\n"
                                "source: {sysroot: /}\n"
                                "arch: amd64\n"
                                "packages: [libc6]\n"
                                "image: {ref: localhost/base:test}\n");
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        fixture_cleanup(dir);
        free(dir);
        free(manifest);
        return 0;
}

static int count_temp_siblings(void)
{
        int n = 0;
        DIR *d = opendir(dir);
        struct dirent *de;
        while ((de = readdir(d)))
                if (strstr(de->d_name, ".distill-"))
                        n++;
        closedir(d);
        return n;
}

static int build(const char *out, bool force, struct distill_error *err)
{
        struct build_options opt = {
            .manifest = manifest, .out = out, .force = force, .verbosity = -1};
        return build_run(&opt, err);
}

static void test_build_then_refuse_then_force(void **state)
{
        (void)state;
        struct distill_error err = {0};
        char *out = xasprintf("%s/out", dir);
        char *index = xasprintf("%s/index.json", out);
        char *plan = xasprintf("%s/plan.json", out);
        char *marker = xasprintf("%s/marker", out);

        unsetenv("SOURCE_DATE_EPOCH");
        if (build(out, false, &err) < 0)
                fail_msg("build: %s", err.msg);
        assert_int_equal(access(index, R_OK), 0);
        assert_int_equal(access(plan, R_OK), 0);
        char *first = fixture_sh_out("sha256sum < %s", index);
        assert_non_null(first);
        /* the staging store is not part of the output */
        char *staging = xasprintf("%s/staging", out);
        assert_int_equal(access(staging, F_OK), -1);
        free(staging);

        fixture_write(marker, "keep");
        assert_int_equal(build(out, false, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "--force"));
        assert_int_equal(access(marker, R_OK), 0);

        assert_int_equal(build(out, true, &err), 0);
        assert_int_equal(access(marker, F_OK), -1);
        char *second = fixture_sh_out("sha256sum < %s", index);
        assert_string_equal(first, second); /* same inputs, same index */
        assert_int_equal(count_temp_siblings(), 0);

        free(first);
        free(second);
        free(marker);
        free(plan);
        free(index);
        free(out);
}

static void test_bad_epoch_leaves_nothing(void **state)
{
        (void)state;
        struct distill_error err = {0};
        char *out = xasprintf("%s/out-epoch", dir);
        setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
        assert_int_equal(build(out, false, &err), -DISTILL_EUSAGE);
        unsetenv("SOURCE_DATE_EPOCH");
        assert_non_null(strstr(err.msg, "SOURCE_DATE_EPOCH"));
        assert_int_equal(access(out, F_OK), -1);
        assert_int_equal(count_temp_siblings(), 0);
        free(out);
}

static void test_failed_solve_leaves_nothing(void **state)
{
        (void)state;
        struct distill_error err = {0};
        char *bad = xasprintf("%s/bad.yaml", dir);
        char *out = xasprintf("%s/out-bad", dir);
        fixture_write(bad, "version: 1\nsource: {sysroot: /}\narch: amd64\n"
                           "packages: [distill-no-such-package]\n");
        struct build_options opt = {.manifest = bad, .out = out, .verbosity = -1};
        assert_int_equal(build_run(&opt, &err), -DISTILL_ERESOLVE);
        assert_non_null(strstr(err.msg, "distill-no-such-package"));
        assert_int_equal(access(out, F_OK), -1);
        assert_int_equal(count_temp_siblings(), 0);
        free(out);
        free(bad);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_build_then_refuse_then_force),
            cmocka_unit_test(test_bad_epoch_leaves_nothing),
            cmocka_unit_test(test_failed_solve_leaves_nothing),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
