/* structure: container-structure-test's YAML schema (schemaVersion 2.0.0) run against an image
 * `verify --tests` read, so that a project's existing test files keep working:
 * fileExistenceTests (path, shouldExist, permissions as Go's FileMode prints them, uid, gid,
 * isExecutableBy), fileContentTests (expectedContents, excludedContents: POSIX extended regular
 * expressions, searched anywhere in the file), metadataTest (envVars/env, labels, exposedPorts,
 * unexposedPorts, volumes, unmountedVolumes, entrypoint, cmd, workdir, user) and commandTests
 * (command, args, envVars, expectedOutput, excludedOutput, expectedError, excludedError,
 * exitCode) run in the image through the proving run's sandbox (check/sandbox: bubblewrap, as
 * the image user, no network). A failing test is a verify problem ("tests: NAME: why"); a
 * passing one a note. */
#ifndef DISTILL_STRUCTURE_H
#define DISTILL_STRUCTURE_H
#include <stdbool.h>
#include <stddef.h>
#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/check/imageread.h"

#define STRUCTURE_MAX_TESTS   4096
#define STRUCTURE_MAX_FILE    (1u << 20)  /* the YAML file */
#define STRUCTURE_MAX_CONTENT (64u << 20) /* a file fileContentTests reads */
#define STRUCTURE_CMD_TIMEOUT 300
#define STRUCTURE_MAX_REGEX   1024 /* bytes of one regular expression */
#define STRUCTURE_MAX_REPEAT  1000 /* the product of its {n,m} counts */

struct structure_kv {
        char *key, *value;
        bool is_regex;
};

struct structure_kvs {
        struct structure_kv *v;
        size_t n;
};

struct structure_file_test {
        char *name, *path;
        bool should_exist;
        char *permissions;      /* "-rw-r--r--", or NULL */
        long uid, gid;          /* -1: not checked */
        char *executable_by;    /* owner, group, other, any, or NULL */
        struct strvec expected; /* fileContentTests */
        struct strvec excluded;
};

struct structure_command_test {
        char *name;
        struct strvec argv; /* command, then args */
        struct structure_kvs env;
        struct strvec expected_output, excluded_output, expected_error, excluded_error;
        long exit_code; /* -1: not checked (the default 0 is set by the reader) */
};

struct structure_metadata {
        bool present;
        struct structure_kvs env, labels;
        struct strvec exposed_ports, unexposed_ports, volumes, unmounted_volumes;
        bool has_entrypoint, has_cmd;
        struct strvec entrypoint, cmd;
        char *workdir, *user; /* NULL: not checked */
};

struct structure_tests {
        char *file;
        struct structure_file_test *files; /* existence tests, then content tests */
        size_t n_existence, n_files;
        struct structure_command_test *commands;
        size_t n_commands;
        struct structure_kvs global_env;
        struct structure_metadata metadata;
};

/* Parse a test file: DISTILL_EUSAGE with file:line:col for malformed YAML, an unknown key, a
 * wrong type, a missing name or path, a regular expression that does not compile, and the
 * schema's parts distill cannot run (setup, teardown, licenseTests). */
int structure_load(const char *file, const char *data, size_t len, struct structure_tests **out,
                   struct distill_error *err);
int structure_load_file(const char *file, struct structure_tests **out, struct distill_error *err);
void structure_tests_free(struct structure_tests *t);

struct verify_report;
/* Run every test against the image, adding a problem per failing test and a note per passing
 * one. Fails (DISTILL_EUSAGE) only when commandTests cannot run at all: no bubblewrap, or a
 * sandbox that cannot be made. */
int structure_run(const struct structure_tests *t, const struct imageread *img,
                  struct verify_report *rep, struct distill_error *err);

/* Go's os.FileMode.String() of an st_mode ("-rwxr-xr-x", "drwxr-xr-x", "dtrwxrwxrwx"). */
void structure_mode_string(unsigned mode, char out[16]);

#endif
