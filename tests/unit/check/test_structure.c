/* structure: the container-structure-test reader (fields, defaults, the errors with
 * file:line:col) and Go's FileMode strings, as `os.FileMode(m).String()` prints them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "distill/check/structure.h"

static int load(const char *text, struct structure_tests **t, struct distill_error *err)
{
        return structure_load("t.yaml", text, strlen(text), t, err);
}

static void test_reads_every_kind(void **state)
{
        (void)state;
        struct structure_tests *t;
        struct distill_error err = {0};
        int r = load("schemaVersion: 2.0.0\n"
                     "commandTests:\n"
                     "  - name: c\n"
                     "    command: /bin/x\n"
                     "    args: [a, b]\n"
                     "    envVars: [{key: K, value: V}]\n"
                     "    expectedOutput: ['^ok$']\n"
                     "fileContentTests:\n"
                     "  - name: fc\n"
                     "    path: /etc/f\n"
                     "    excludedContents: ['x+']\n"
                     "fileExistenceTests:\n"
                     "  - name: fe\n"
                     "    path: /bin/sh\n"
                     "    shouldExist: false\n"
                     "  - name: fe2\n"
                     "    path: /etc\n"
                     "    permissions: drwxr-xr-x\n"
                     "    uid: 0\n"
                     "    isExecutableBy: any\n"
                     "metadataTest:\n"
                     "  env: [{key: PATH, value: '/usr/.*', isRegex: true}]\n"
                     "  entrypoint: []\n"
                     "  user: '1000'\n"
                     "globalEnvVars: [{key: G, value: '1'}]\n",
                     &t, &err);
        if (r < 0)
                print_error("%s\n", err.msg);
        assert_int_equal(r, 0);
        /* existence tests first, whatever the file's order */
        assert_int_equal(t->n_existence, 2);
        assert_int_equal(t->n_files, 3);
        assert_string_equal(t->files[0].name, "fe");
        assert_false(t->files[0].should_exist);
        assert_int_equal(t->files[0].uid, -1);
        assert_true(t->files[1].should_exist);
        assert_string_equal(t->files[1].permissions, "drwxr-xr-x");
        assert_int_equal(t->files[1].uid, 0);
        assert_int_equal(t->files[1].gid, -1);
        assert_string_equal(t->files[2].excluded.v[0], "x+");
        assert_int_equal(t->n_commands, 1);
        assert_int_equal(t->commands[0].argv.n, 3);
        assert_string_equal(t->commands[0].argv.v[2], "b");
        assert_int_equal(t->commands[0].exit_code, 0);
        assert_string_equal(t->commands[0].env.v[0].value, "V");
        assert_true(t->metadata.present);
        assert_true(t->metadata.env.v[0].is_regex);
        assert_true(t->metadata.has_entrypoint);
        assert_int_equal(t->metadata.entrypoint.n, 0);
        assert_false(t->metadata.has_cmd);
        assert_string_equal(t->metadata.user, "1000");
        assert_null(t->metadata.workdir);
        assert_string_equal(t->global_env.v[0].key, "G");
        structure_tests_free(t);
}

static void expect_error(const char *text, const char *msg)
{
        struct structure_tests *t = NULL;
        struct distill_error err = {0};
        assert_int_equal(load(text, &t, &err), -DISTILL_EUSAGE);
        assert_null(t);
        if (!strstr(err.msg, msg))
                print_error("got: %s\nwant: %s\n", err.msg, msg);
        assert_non_null(strstr(err.msg, msg));
}

static void test_errors(void **state)
{
        (void)state;
        expect_error("fileExistenceTests: []\n", "t.yaml: no schemaVersion");
        expect_error("schemaVersion: 1.0.0\n", "t.yaml:1:16: schemaVersion 1.0.0");
        expect_error("schemaVersion: 2.0.0\nbogus: 1\n", "t.yaml:2:1: unknown key 'bogus'");
        expect_error("schemaVersion: 2.0.0\nfileExistenceTests:\n  - path: /x\n",
                     "t.yaml:3:5: fileExistenceTests: a test without a name");
        expect_error("schemaVersion: 2.0.0\nfileExistenceTests:\n  - {name: n, path: x}\n",
                     "needs an absolute path");
        expect_error("schemaVersion: 2.0.0\nfileContentTests:\n"
                     "  - {name: n, path: /x, expectedContents: ['a(']}\n",
                     "t.yaml:3:44: regular expression 'a('");
        expect_error("schemaVersion: 2.0.0\ncommandTests:\n"
                     "  - {name: n, command: /x, setup: [[a]]}\n",
                     "t.yaml:3:28: commandTests: setup is not supported");
        expect_error("schemaVersion: 2.0.0\ncommandTests:\n  - {name: n}\n", "n has no command");
        expect_error("schemaVersion: 2.0.0\ncommandTests:\n  - {name: n, command: x, exitCode: "
                     "300}\n",
                     "exitCode must be a number from 0 to 255");
        expect_error("schemaVersion: 2.0.0\nfileExistenceTests:\n"
                     "  - {name: n, path: /x, isExecutableBy: me}\n",
                     "isExecutableBy must be owner, group, other or any");
        expect_error("schemaVersion: 2.0.0\nmetadataTest: [1]\n", "metadataTest must be a mapping");
        expect_error("- a\n", "a structure test file is a mapping");
        /* what would make glibc's regcomp build an exponential tree (found by fuzz_structure) */
        expect_error("schemaVersion: 2.0.0\nfileContentTests:\n"
                     "  - {name: n, path: /x, expectedContents: ['a+++']}\n",
                     "a repetition of a repetition");
        expect_error("schemaVersion: 2.0.0\nfileContentTests:\n"
                     "  - {name: n, path: /x, expectedContents: ['(a{50}){50}']}\n",
                     "repeating more than 1000 times");
        expect_error("schemaVersion: 2.0.0\nmetadataTest:\n  env: []\n  envVars: [{key: a}]\n",
                     "envVars is given twice");
        /* aliases are refused by yamldoc, before anything expands */
        expect_error("schemaVersion: &v 2.0.0\nx: *v\n", "t.yaml:");
}

static void expect_mode(unsigned mode, const char *want)
{
        char got[16];
        structure_mode_string(mode, got);
        assert_string_equal(got, want);
}

static void test_go_file_modes(void **state)
{
        (void)state;
        expect_mode(S_IFREG | 0644, "-rw-r--r--");
        expect_mode(S_IFREG | 0755, "-rwxr-xr-x");
        expect_mode(S_IFDIR | 0755, "drwxr-xr-x");
        expect_mode(S_IFDIR | 01777, "dtrwxrwxrwx");
        expect_mode(S_IFLNK | 0777, "Lrwxrwxrwx");
        expect_mode(S_IFREG | 04755, "urwxr-xr-x");
        expect_mode(S_IFREG | 02755, "grwxr-xr-x");
        expect_mode(S_IFCHR | 0666, "Dcrw-rw-rw-");
        expect_mode(S_IFBLK | 0660, "Drw-rw----");
        expect_mode(S_IFIFO | 0600, "prw-------");
        expect_mode(S_IFSOCK | 0755, "Srwxr-xr-x");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reads_every_kind),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_go_file_modes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
