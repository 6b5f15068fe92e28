/* WHEEL and RECORD files as pip writes them, and the pip command for the image's platform: the
 * RECORD reader against Python's csv module, the command's words against what a POSIX shell
 * makes of them, and its platforms against pip itself choosing among wheels built here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/python/wheel.h"
#include "fixture.h"

static char *tmp;

static int setup(void **state)
{
        (void)state;
        tmp = fixture_tmpdir();
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        fixture_cleanup(tmp);
        free(tmp);
        return 0;
}

static const char *musl_of(const char *text)
{
        static struct wheel_info w;
        struct distill_error err = {0};
        wheel_info_release(&w);
        assert_int_equal(wheel_parse(text, strlen(text), "WHEEL", &w, &err), 0);
        return wheel_musllinux_tag(&w);
}

static void test_wheel_tags(void **state)
{
        (void)state;
        struct wheel_info w;
        struct distill_error err = {0};
        const char *text = "Wheel-Version: 1.0\r\n"
                           "Generator: bdist_wheel (0.40.0)\r\n"
                           "Root-Is-Purelib: false\r\n"
                           "Tag: cp311-cp311-manylinux_2_17_x86_64\r\n"
                           "Tag: cp311-cp311-manylinux2014_x86_64\r\n";
        assert_int_equal(wheel_parse(text, strlen(text), "WHEEL", &w, &err), 0);
        assert_string_equal(w.wheel_version, "1.0");
        assert_false(w.root_is_purelib);
        assert_int_equal(w.tags.n, 2);
        assert_string_equal(w.tags.v[1], "cp311-cp311-manylinux2014_x86_64");
        assert_null(wheel_musllinux_tag(&w));
        wheel_info_release(&w);

        assert_string_equal(musl_of("Wheel-Version: 1.0\nTag: cp311-cp311-musllinux_1_1_x86_64\n"),
                            "cp311-cp311-musllinux_1_1_x86_64");
        assert_string_equal(musl_of("Tag: cp311-cp311-manylinux_2_17_x86_64\n"
                                    "Tag: cp311-cp311-musllinux_1_2_aarch64\n"),
                            "cp311-cp311-musllinux_1_2_aarch64");
        /* a compressed set in one tag */
        assert_string_equal(musl_of("Tag: cp311-abi3-manylinux_2_17_x86_64.musllinux_1_1_x86_64\n"),
                            "cp311-abi3-manylinux_2_17_x86_64.musllinux_1_1_x86_64");
        assert_null(musl_of("Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"));
        assert_null(musl_of("Tag: py2.py3-none-any\n\nbody: musllinux_1_1_x86_64\n"));
        assert_null(musl_of("Tag: cp311-cp311-linux_x86_64\n"));
        assert_null(musl_of(""));
        musl_of(""); /* releases the last one */
}

static void expect_bad(const char *text, size_t len, const char *where)
{
        struct wheel_info w;
        struct distill_error err = {0};
        assert_int_equal(wheel_parse(text, len, "x/WHEEL", &w, &err), -DISTILL_EINTEGRITY);
        if (!strstr(err.msg, where))
                fail_msg("expected \"%s\" in: %s", where, err.msg);
        assert_int_equal(w.tags.n, 0);
}

static void test_wheel_hostile(void **state)
{
        (void)state;
        expect_bad("Wheel-Version: 1.0\nno colon here\n", 33, "x/WHEEL:2: expected");
        expect_bad("Tag: cp311-musllinux_1_1_x86_64\n", 32, "x/WHEEL:1: Tag is not");
        expect_bad("Tag: cp311-cp311-linux x86_64\n", 30, "x/WHEEL:1: Tag is not");
        expect_bad("Tag: a-b-c-d\n", 13, "x/WHEEL:1: Tag");
        expect_bad(" folded\n", 8, "x/WHEEL:1: continuation");
        expect_bad(": value\n", 8, "x/WHEEL:1: expected");
        expect_bad("Tag: a-b-c\0\n", 12, "a NUL byte");
        struct strbuf sb = STRBUF_INIT;
        for (int i = 0; i <= WHEEL_MAX_TAGS; i++)
                strbuf_adds(&sb, "Tag: py3-none-any\n");
        expect_bad(sb.buf, sb.len, "too many Tag lines");
        strbuf_reset(&sb);
        strbuf_adds(&sb, "Generator: ");
        for (int i = 0; i < WHEEL_MAX_LINE; i++)
                strbuf_addch(&sb, 'x');
        expect_bad(sb.buf, sb.len, "x/WHEEL:1: line too long");
        strbuf_release(&sb);
        char *big = xcalloc(1, WHEEL_MAX_FILE_SIZE + 2);
        memset(big, '\n', WHEEL_MAX_FILE_SIZE + 1);
        expect_bad(big, WHEEL_MAX_FILE_SIZE + 1, "larger than");
        free(big);
}

static void test_dist_info_name(void **state)
{
        (void)state;
        char *dist, *version;
        assert_int_equal(wheel_dist_info_name("foo_bar-1.2.3.dist-info", &dist, &version), 0);
        assert_string_equal(dist, "foo_bar");
        assert_string_equal(version, "1.2.3");
        free(dist);
        free(version);
        assert_int_equal(wheel_dist_info_name("Pillow-10.0.0.post1.dist-info", &dist, &version), 0);
        assert_string_equal(dist, "Pillow");
        assert_string_equal(version, "10.0.0.post1");
        free(dist);
        free(version);
        static const char *const bad[] = {"foo.dist-info",    "-1.0.dist-info", "foo-.dist-info",
                                          "foo-1.0.egg-info", ".dist-info",     "foo-1.0"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                assert_int_equal(wheel_dist_info_name(bad[i], &dist, &version), -1);
                assert_null(dist);
                assert_null(version);
        }
}

/* Rows written by Python's csv module (as pip writes RECORD): every path it wrote is listed,
 * whatever commas, quotes or spaces it holds; a path it did not write is not. */
static void test_record_against_csv(void **state)
{
        (void)state;
        static const char *const paths[] = {"foo/__init__.py",
                                            "foo/_x.cpython-311-x86_64-linux-gnu.so",
                                            "foo/a,b.txt",
                                            "foo/say \"hi\".txt",
                                            "foo/\"q\",x, y.dat",
                                            "../../bin/foo",
                                            "foo-1.0.dist-info/RECORD"};
        cleanup_free char *record = xasprintf("%s/RECORD", tmp);
        struct strbuf script = STRBUF_INIT;
        strbuf_adds(&script, "import csv,sys\nw=csv.writer(open(sys.argv[1],'w',newline=''))\n"
                             "for p in sys.stdin.read().split('\\0'):\n"
                             "  w.writerow([p, '' if p.endswith('RECORD') else 'sha256=x', ''])\n");
        cleanup_free char *py = xasprintf("%s/w.py", tmp);
        fixture_write(py, script.buf);
        strbuf_release(&script);
        struct strbuf in = STRBUF_INIT;
        for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
                if (i)
                        strbuf_addch(&in, '\0');
                strbuf_adds(&in, paths[i]);
        }
        cleanup_free char *input = xasprintf("%s/paths", tmp);
        FILE *f = fopen(input, "w");
        assert_non_null(f);
        fwrite(in.buf, 1, in.len, f);
        fclose(f);
        strbuf_release(&in);
        assert_int_equal(fixture_sh("/usr/bin/python3.11 %s %s <%s", py, record, input), 0);

        char *text = NULL;
        size_t len = 0;
        assert_int_equal(read_file(record, &text, &len), 0);
        struct distill_error err = {0};
        for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
                if (wheel_record_lists(text, len, record, paths[i], &err) != 1)
                        fail_msg("%s not found in:\n%s", paths[i], text);
        assert_int_equal(wheel_record_lists(text, len, record, "foo/a", &err), 0);
        assert_int_equal(wheel_record_lists(text, len, record, "foo", &err), 0);
        assert_int_equal(wheel_record_lists(text, len, record, "sha256=x", &err), 0);
        free(text);

        const char *bad = "ok.py,,\n\"unterminated,,\n";
        assert_int_equal(wheel_record_lists(bad, strlen(bad), "R", "x", &err), -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, "R:2:"));
        bad = "\"a\"b,,\n";
        assert_int_equal(wheel_record_lists(bad, strlen(bad), "R", "x", &err), -DISTILL_EINTEGRITY);
}

static void test_pip_command_text(void **state)
{
        (void)state;
        const char *reqs[] = {"foo==1.0", "bar_baz==2.0"};
        cleanup_free char *arm =
            wheel_pip_target_command("/src/site", "3.11", "2.19", "arm64", reqs, 2);
        assert_string_equal(arm, "pip install --target /src/site --only-binary=:all: "
                                 "--python-version 3.11 --implementation cp --abi cp311 "
                                 "--platform manylinux_2_19_aarch64 "
                                 "--platform manylinux_2_18_aarch64 "
                                 "--platform manylinux_2_17_aarch64 "
                                 "--platform manylinux2014_aarch64 foo==1.0 bar_baz==2.0");
        cleanup_free char *amd = wheel_pip_target_command("/sp", "3.9", "2.36", "amd64", reqs, 1);
        assert_non_null(strstr(amd, "--python-version 3.9 --implementation cp --abi cp39 "
                                    "--platform manylinux_2_36_x86_64 --platform "
                                    "manylinux_2_35_x86_64 "));
        assert_non_null(strstr(amd, "--platform manylinux_2_17_x86_64 --platform "
                                    "manylinux2014_x86_64 --platform manylinux_2_16_x86_64 "));
        assert_non_null(strstr(amd, "--platform manylinux_2_12_x86_64 --platform "
                                    "manylinux2010_x86_64 "));
        assert_non_null(strstr(amd, "--platform manylinux_2_5_x86_64 --platform "
                                    "manylinux1_x86_64 foo==1.0"));
        assert_null(strstr(amd, "manylinux_2_4_"));
        cleanup_free char *i386 = wheel_pip_target_command("/sp", "3.13", "2.41", "i386", reqs, 0);
        assert_non_null(strstr(i386, "--abi cp313 --platform manylinux_2_41_i686 "));
        cleanup_free char *armhf =
            wheel_pip_target_command("/sp", "3.11", "2.36", "armhf", NULL, 0);
        assert_non_null(strstr(armhf, "manylinux_2_36_armv7l"));

        assert_null(wheel_pip_target_command("/sp", "3", "2.36", "amd64", reqs, 1));
        assert_null(wheel_pip_target_command("/sp", "3.11", "2.36-9", "amd64", reqs, 1));
        assert_null(wheel_pip_target_command("/sp", "3.11", "2.36", "mipsel", reqs, 1));
        assert_null(wheel_pip_target_command("/sp", "3.11", "2.36", "vax", reqs, 1));
        assert_null(wheel_pip_target_command(NULL, "3.11", "2.36", "amd64", reqs, 1));
}

/* The words a POSIX shell reads back from the command are exactly the arguments given. */
static void test_pip_command_quoting(void **state)
{
        (void)state;
        cleanup_free char *bin = xasprintf("%s/bin", tmp);
        cleanup_free char *fake = xasprintf("%s/pip", bin);
        fixture_write(fake, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
        assert_int_equal(fixture_sh("chmod +x %s", fake), 0);
        const char *dir = "/tmp/a dir/it's $HOME `x` \"q\"";
        const char *reqs[] = {"foo[extra]>=1.0,<2", "bar; python_version<'3.12'"};
        cleanup_free char *cmd = wheel_pip_target_command(dir, "3.11", "2.17", "amd64", reqs, 2);
        assert_non_null(cmd);
        cleanup_free char *cmd_file = xasprintf("%s/cmd", tmp);
        fixture_write(cmd_file, cmd);
        cleanup_free char *out = fixture_sh_out("PATH=%s:$PATH sh -c \"$(cat %s)\"", bin, cmd_file);
        assert_non_null(out);
        cleanup_free char *want = xasprintf(
            "install\n--target\n%s\n--only-binary=:all:\n--python-version\n3.11\n"
            "--implementation\ncp\n--abi\ncp311\n--platform\nmanylinux_2_17_x86_64\n--platform\n"
            "manylinux2014_x86_64\n",
            dir);
        assert_int_equal(strncmp(out, want, strlen(want)), 0);
        assert_non_null(strstr(out, "\nfoo[extra]>=1.0,<2\nbar; python_version<'3.12'\n"));
}

/* pip itself, offline, chooses among wheels built here: the command installs wheels made for
 * any glibc up to the target's, including legacy-tagged ones, and none made for a newer glibc
 * or for musl. */
static void test_pip_command_against_pip(void **state)
{
        (void)state;
        cleanup_free char *wheels = xasprintf("%s/wheels", tmp);
        cleanup_free char *maker = xasprintf("%s/mkwheel.py", tmp);
        fixture_write(maker,
                      "import sys, zipfile\n"
                      "out, name, plat = sys.argv[1:]\n"
                      "tag = 'cp311-cp311-' + plat\n"
                      "with zipfile.ZipFile('%s/%s-1.0-%s.whl' % (out, name, tag), 'w') as z:\n"
                      "  di = name + '-1.0.dist-info/'\n"
                      "  z.writestr(name + '/__init__.py', '')\n"
                      "  z.writestr(di + 'METADATA', 'Metadata-Version: 2.1\\nName: %s\\n"
                      "Version: 1.0\\n' % name)\n"
                      "  z.writestr(di + 'WHEEL', 'Wheel-Version: 1.0\\nGenerator: t\\n"
                      "Root-Is-Purelib: false\\nTag: %s\\n' % tag)\n"
                      "  z.writestr(di + 'RECORD', '')\n");
        static const struct {
                const char *name, *platform;
        } made[] = {
            {"old2014", "manylinux_2_17_x86_64.manylinux2014_x86_64"},
            {"legacy1", "manylinux1_x86_64"},
            {"exact", "manylinux_2_36_x86_64"},
            {"newer", "manylinux_2_38_x86_64"},
            {"musl", "musllinux_1_1_x86_64"},
        };
        assert_int_equal(fixture_sh("mkdir -p %s", wheels), 0);
        for (size_t i = 0; i < sizeof(made) / sizeof(*made); i++)
                assert_int_equal(fixture_sh("/usr/bin/python3.11 %s %s %s %s", maker, wheels,
                                            made[i].name, made[i].platform),
                                 0);
        static const char *const fit[] = {"old2014==1.0", "legacy1==1.0", "exact==1.0"};
        static const char *const newer[] = {"newer==1.0"}, *const musl[] = {"musl==1.0"};
        static const struct {
                const char *const *reqs;
                size_t n;
                int installs;
        } cases[] = {{fit, 3, 1}, {newer, 1, 0}, {musl, 1, 0}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                cleanup_free char *target = xasprintf("%s/target%zu", tmp, i);
                cleanup_free char *cmd = wheel_pip_target_command(target, "3.11", "2.36", "amd64",
                                                                  cases[i].reqs, cases[i].n);
                assert_non_null(cmd);
                int r = fixture_sh("cd %s && env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null "
                                   "/usr/bin/python3.11 -m %s --no-index --find-links %s -q "
                                   ">/dev/null 2>&1",
                                   tmp, cmd, wheels);
                if ((r == 0) != cases[i].installs)
                        fail_msg("pip %s: %s", cases[i].installs ? "refused" : "installed", cmd);
        }
        assert_int_equal(fixture_sh("test -f %s/target0/old2014/__init__.py && "
                                    "test -f %s/target0/legacy1/__init__.py && "
                                    "test -f %s/target0/exact/__init__.py",
                                    tmp, tmp, tmp),
                         0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_wheel_tags),
            cmocka_unit_test(test_wheel_hostile),
            cmocka_unit_test(test_dist_info_name),
            cmocka_unit_test(test_record_against_csv),
            cmocka_unit_test(test_pip_command_text),
            cmocka_unit_test(test_pip_command_quoting),
            cmocka_unit_test(test_pip_command_against_pip),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
