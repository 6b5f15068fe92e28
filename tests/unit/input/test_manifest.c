/* Manifest parsing and validation: every key, the defaults, and errors that name file:line:col
 * (the expected position is computed from the text the test writes). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/input/manifest.h"
#include "fixture.h"

static char *tmp;

static int group_setup(void **state)
{
        (void)state;
        tmp = fixture_tmpdir();
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        fixture_cleanup(tmp);
        free(tmp);
        return 0;
}

/* Writes TEXT as TMP/NAME and returns the path (caller frees). */
static char *write_manifest(const char *name, const char *text)
{
        char *path = path_join(tmp, name);
        fixture_write(path, text);
        return path;
}

/* "LINE:COL" (1-based) of the first occurrence of needle in text. */
static char *pos_of(const char *text, const char *needle)
{
        const char *hit = strstr(text, needle);
        assert_non_null(hit);
        int line = 1, col = 1;
        for (const char *p = text; p < hit; p++) {
                if (*p == '\n') {
                        line++;
                        col = 1;
                } else {
                        col++;
                }
        }
        return xasprintf("%d:%d", line, col);
}

/* Loading text must fail with DISTILL_EUSAGE, at the position of needle, with a message that
 * contains want. */
static void expect_usage_error(const char *text, const char *needle, const char *want)
{
        char *path = write_manifest("bad.yaml", text);
        char *pos = pos_of(text, needle);
        char *prefix = xasprintf("%s:%s: ", path, pos);
        struct distill_error err = {0};
        struct manifest *m = NULL;

        int r = manifest_load(path, &m, &err);
        if (r != -DISTILL_EUSAGE || !strstr(err.msg, prefix) || !strstr(err.msg, want))
                print_error("manifest:\n%s\nexpected %s...%s\ngot %d: %s\n", text, prefix, want, r,
                            err.msg);
        assert_int_equal(r, -DISTILL_EUSAGE);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        assert_null(m);
        assert_non_null(strstr(err.msg, prefix));
        assert_non_null(strstr(err.msg, want));
        if (getenv("SHOW_ERRORS"))
                fprintf(stderr, "%s\n", err.msg);
        free(prefix);
        free(pos);
        free(path);
}

static struct manifest *load_ok(const char *text)
{
        char *path = write_manifest("ok.yaml", text);
        struct distill_error err = {0};
        struct manifest *m = NULL;
        int r = manifest_load(path, &m, &err);
        if (r != 0)
                print_error("unexpected error: %s\n", err.msg);
        assert_int_equal(r, 0);
        assert_non_null(m);
        free(path);
        return m;
}

static void make_host_tree(void)
{
        assert_int_equal(fixture_sh("mkdir -p '%s/app/pkg' '%s/site' '%s/myrules' && "
                                    "touch '%s/app/main.py' '%s/add.conf' '%s/not-a-dir'",
                                    tmp, tmp, tmp, tmp, tmp, tmp),
                         0);
}

static void test_full_manifest(void **state)
{
        (void)state;
        make_host_tree();
        const char *text = "version: 1\n"
                           "source: {sysroot: ./root/../sysroot}\n"
                           "arch: [amd64, arm64]\n"
                           "packages: [python3.11-minimal, libpython3.11-stdlib, g++-12, tzdata]\n"
                           "binaries: [/usr/bin/env, /usr//lib/./x/../y]\n"
                           "python:\n"
                           "  interpreter: /usr/bin/python3.11\n"
                           "  app: [{from: ./app, to: /srv/app/}, {from: app/main.py, to: /m.py}]\n"
                           "  entrypoint: /srv/app/main.py\n"
                           "  stdlib: imports\n"
                           "  imports: shallow\n"
                           "  include-modules: [json, email.mime.text]\n"
                           "  exclude-modules: [tests, \"pkg.tests.*\", \"_test_[ab]?\"]\n"
                           "  locales: all\n"
                           "  site-packages: [site]\n"
                           "  bytecode: false\n"
                           "files:\n"
                           "  include: [/usr/share/zoneinfo/**]\n"
                           "  exclude: [/usr/share/doc/**]\n"
                           "  add:\n"
                           "    - {from: add.conf, to: /etc/app.conf, mode: 0640}\n"
                           "    - {from: add.conf, to: /etc/b.conf, mode: \"0755\"}\n"
                           "    - {from: add.conf, to: /etc/c.conf}\n"
                           "rules: [myrules]\n"
                           "user: {name: app_user, uid: 2000, gid: 3000}\n"
                           "image:\n"
                           "  ref: registry.example.com:5000/team/app:1.0\n"
                           "  entrypoint: [/usr/bin/python3.11, /srv/app/main.py]\n"
                           "  cmd: [--port, \"8080\", \"\"]\n"
                           "  env: {ZED: last, LANG: C.UTF-8, EMPTY: \"\"}\n"
                           "  workdir: /srv/app\n"
                           "  labels: {org.opencontainers.image.title: app, b: \"2\"}\n"
                           "  exposed-ports: [8080, \"53/udp\", 8080/tcp, \"9000/tcp\"]\n"
                           "  stop-signal: SIGQUIT\n"
                           "  volumes: [/data, /srv/cache]\n"
                           "  layers: single\n";
        struct manifest *m = load_ok(text);
        char real[PATH_MAX];
        assert_non_null(realpath(tmp, real));

        assert_string_equal(m->dir, real);
        assert_int_equal(m->version, 1);
        char *sysroot = xasprintf("%s/sysroot", real);
        assert_string_equal(m->sysroot, sysroot);
        free(sysroot);
        assert_int_equal(m->arch.n, 2);
        assert_string_equal(m->arch.v[0], "amd64");
        assert_string_equal(m->arch.v[1], "arm64");
        assert_int_equal(m->packages.n, 4);
        assert_string_equal(m->packages.v[0], "python3.11-minimal");
        assert_string_equal(m->packages.v[2], "g++-12");
        assert_int_equal(m->binaries.n, 2);
        assert_string_equal(m->binaries.v[1], "/usr/lib/y");

        assert_true(m->has_python);
        assert_string_equal(m->python.interpreter, "/usr/bin/python3.11");
        assert_int_equal(m->python.n_app, 2);
        char *app = xasprintf("%s/app", real);
        assert_string_equal(m->python.app[0].from, app);
        free(app);
        assert_string_equal(m->python.app[0].to, "/srv/app");
        assert_int_equal(m->python.app[0].mode, -1);
        char *app_pos = pos_of(text, "{from: ./app");
        char *origin = xasprintf("%s/ok.yaml:%s", tmp, app_pos);
        free(app_pos);
        assert_string_equal(m->python.app[0].origin, origin);
        free(origin);
        char *main_py = xasprintf("%s/app/main.py", real);
        assert_string_equal(m->python.app[1].from, main_py);
        free(main_py);
        assert_string_equal(m->python.entrypoint, "/srv/app/main.py");
        assert_null(m->python.module);
        assert_int_equal(m->python.stdlib, MANIFEST_STDLIB_IMPORTS);
        assert_int_equal(m->python.imports, MANIFEST_IMPORTS_SHALLOW);
        assert_int_equal(m->python.include_modules.n, 2);
        assert_string_equal(m->python.include_modules.v[1], "email.mime.text");
        assert_int_equal(m->python.exclude_modules.n, 3);
        assert_true(m->python.all_locales);
        assert_string_equal(m->python.exclude_modules.v[1], "pkg.tests.*");
        assert_int_equal(m->python.site_packages.n, 1);
        char *site = xasprintf("%s/site", real);
        assert_string_equal(m->python.site_packages.v[0], site);
        free(site);
        assert_false(m->python.bytecode);

        assert_int_equal(m->include.n, 1);
        assert_string_equal(m->include.v[0], "/usr/share/zoneinfo/**");
        assert_int_equal(m->exclude.n, 1);
        assert_string_equal(m->exclude.v[0], "/usr/share/doc/**");
        assert_int_equal(m->n_add, 3);
        assert_string_equal(m->add[0].to, "/etc/app.conf");
        assert_int_equal(m->add[0].mode, 0640);
        assert_int_equal(m->add[1].mode, 0755);
        assert_int_equal(m->add[2].mode, -1);
        assert_int_equal(m->rules.n, 1);
        char *rules = xasprintf("%s/myrules", real);
        assert_string_equal(m->rules.v[0], rules);
        free(rules);

        assert_string_equal(m->user.name, "app_user");
        assert_int_equal(m->user.uid, 2000);
        assert_int_equal(m->user.gid, 3000);

        assert_string_equal(m->image.ref, "registry.example.com:5000/team/app:1.0");
        assert_true(m->image.has_entrypoint);
        assert_int_equal(m->image.entrypoint.n, 2);
        assert_string_equal(m->image.entrypoint.v[1], "/srv/app/main.py");
        assert_int_equal(m->image.cmd.n, 3);
        assert_string_equal(m->image.cmd.v[1], "8080");
        assert_string_equal(m->image.cmd.v[2], "");
        assert_int_equal(m->image.n_env, 3);
        assert_string_equal(m->image.env[0].key, "ZED"); /* manifest order, not sorted */
        assert_string_equal(m->image.env[0].value, "last");
        assert_string_equal(m->image.env[1].key, "LANG");
        assert_string_equal(m->image.env[1].value, "C.UTF-8");
        assert_string_equal(m->image.env[2].value, "");
        assert_string_equal(m->image.workdir, "/srv/app");
        assert_int_equal(m->image.n_labels, 2);
        assert_string_equal(m->image.labels[0].key, "org.opencontainers.image.title");
        assert_string_equal(m->image.labels[1].value, "2");
        assert_int_equal(m->image.exposed_ports.n, 3);
        assert_string_equal(m->image.exposed_ports.v[0], "8080/tcp");
        assert_string_equal(m->image.exposed_ports.v[1], "53/udp");
        assert_string_equal(m->image.exposed_ports.v[2], "9000/tcp");
        assert_int_equal(m->image.layers, MANIFEST_LAYERS_SINGLE);
        assert_string_equal(m->image.stop_signal, "SIGQUIT");
        assert_int_equal(m->image.volumes.n, 2);
        assert_string_equal(m->image.volumes.v[1], "/srv/cache");

        char *ver = manifest_python_version(m);
        assert_string_equal(ver, "3.11");
        free(ver);
        manifest_free(m);
}

static void test_defaults(void **state)
{
        (void)state;
        struct manifest *m = load_ok("version: 1\n");
        char *host = fixture_sh_out("dpkg --print-architecture");
        assert_non_null(host);
        host[strcspn(host, "\n")] = '\0';

        assert_string_equal(m->sysroot, "/");
        assert_int_equal(m->arch.n, 1);
        assert_string_equal(m->arch.v[0], host);
        assert_int_equal(m->packages.n, 0);
        assert_int_equal(m->binaries.n, 0);
        assert_false(m->has_python);
        assert_null(m->python.interpreter);
        assert_int_equal(m->include.n, 0);
        assert_int_equal(m->exclude.n, 3);
        assert_string_equal(m->exclude.v[0], "/usr/share/doc/**");
        assert_string_equal(m->exclude.v[1], "/usr/share/man/**");
        assert_string_equal(m->exclude.v[2], "/usr/share/locale/**");
        assert_int_equal(m->n_add, 0);
        assert_int_equal(m->rules.n, 0);
        assert_string_equal(m->user.name, "nonroot");
        assert_int_equal(m->user.uid, 1000);
        assert_int_equal(m->user.gid, 1000);
        assert_string_equal(m->image.ref, "localhost/distill:latest");
        assert_false(m->image.has_entrypoint);
        assert_int_equal(m->image.cmd.n, 0);
        assert_int_equal(m->image.n_env, 0);
        assert_string_equal(m->image.workdir, "/");
        assert_int_equal(m->image.layers, MANIFEST_LAYERS_SPLIT);
        assert_null(manifest_python_version(m));
        free(host);
        manifest_free(m);
}

static void test_python_defaults(void **state)
{
        (void)state;
        make_host_tree();
        struct manifest *m = load_ok("version: 1\n"
                                     "arch: arm64\n"
                                     "python:\n"
                                     "  module: app.main\n"
                                     "  app: [{from: app, to: /opt/app}]\n"
                                     "files: {exclude: []}\n");
        assert_true(m->has_python);
        assert_int_equal(m->arch.n, 1);
        assert_string_equal(m->arch.v[0], "arm64");
        assert_string_equal(m->python.interpreter, "/usr/bin/python3");
        assert_string_equal(m->python.module, "app.main");
        assert_null(m->python.entrypoint);
        assert_int_equal(m->python.stdlib, MANIFEST_STDLIB_IMPORTS);
        assert_int_equal(m->python.imports, MANIFEST_IMPORTS_DEEP);
        assert_true(m->python.bytecode);
        /* An explicit empty exclude list replaces the default one. */
        assert_int_equal(m->exclude.n, 0);
        /* workdir defaults to the first app's destination. */
        assert_string_equal(m->image.workdir, "/opt/app");
        assert_null(manifest_python_version(m)); /* /usr/bin/python3: the caller follows it */
        manifest_free(m);
        m = load_ok("version: 1\npython:\n  module: app.main\n  imports: all\n");
        assert_int_equal(m->python.imports, MANIFEST_IMPORTS_ALL);
        manifest_free(m);
}

static void test_relative_manifest_path(void **state)
{
        (void)state;
        make_host_tree();
        char *path = write_manifest("rel.yaml", "version: 1\nrules: [myrules]\n");
        char cwd[PATH_MAX], real[PATH_MAX];
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(tmp), 0);
        struct distill_error err = {0};
        struct manifest *m = NULL;
        int r = manifest_load("rel.yaml", &m, &err);
        assert_int_equal(chdir(cwd), 0);
        assert_int_equal(r, 0);
        assert_non_null(realpath(tmp, real));
        assert_string_equal(m->path, "rel.yaml");
        assert_string_equal(m->dir, real);
        char *rules = xasprintf("%s/myrules", real);
        assert_string_equal(m->rules.v[0], rules);
        free(rules);
        manifest_free(m);
        free(path);
}

struct error_case {
        const char *text;
        const char *needle; /* where the error must point */
        const char *want;   /* part of the message */
};

/* packages: names or {name, keep}; a base (no python, no binaries) keeps them whole by default;
 * files.add {to, link} */
static void test_package_keep_and_links(void **state)
{
        (void)state;
        struct manifest *m = load_ok("version: 1\npackages: [libc6, {name: tzdata, keep: needed}, "
                                     "{name: libssl3}]\nfiles:\n  add:\n"
                                     "    - {to: /usr/bin/python, link: python3.11}\n");
        assert_int_equal(m->packages.n, 3);
        assert_string_equal(m->packages.v[1], "tzdata");
        assert_int_equal(m->package_keep[0], MANIFEST_KEEP_ALL);
        assert_int_equal(m->package_keep[1], MANIFEST_KEEP_NEEDED);
        assert_int_equal(m->package_keep[2], MANIFEST_KEEP_ALL);
        assert_int_equal(m->n_add, 1);
        assert_null(m->add[0].from);
        assert_string_equal(m->add[0].to, "/usr/bin/python");
        assert_string_equal(m->add[0].link, "python3.11");
        manifest_free(m);

        m = load_ok("version: 1\npackages: [libc6, {name: tzdata, keep: all}]\n"
                    "binaries: [/usr/bin/true]\n");
        assert_int_equal(m->package_keep[0], MANIFEST_KEEP_NEEDED);
        assert_int_equal(m->package_keep[1], MANIFEST_KEEP_ALL);
        manifest_free(m);

        expect_usage_error("version: 1\npackages: [{keep: all}]\n", "{keep", "needs name");
        expect_usage_error("version: 1\npackages: [{name: tzdata, keep: some}]\n", "some",
                           "packages[0].keep");
        expect_usage_error("version: 1\npackages: [{name: tzdata, kept: all}]\n", "kept",
                           "unknown key \"kept\" in packages[0]");
        expect_usage_error("version: 1\npackages: [{name: Tz}]\n", "Tz",
                           "packages[0].name \"Tz\" is not a valid Debian package name");
        expect_usage_error("version: 1\npackages: [tzdata, {name: tzdata}]\n", "{name: tzdata}",
                           "package tzdata is listed twice");
        expect_usage_error("version: 1\npackages: [[a]]\n", "[a]]",
                           "packages must be a list of package names or {name, keep}");
        expect_usage_error("version: 1\nfiles:\n  add: [{to: /x, link: y, mode: 0644}]\n",
                           "{to: /x", "a link takes to and link, and neither from nor mode");
        expect_usage_error("version: 1\nfiles:\n  add: [{to: /x, link: \"\"}]\n", "\"\"",
                           "files.add[0].link must not be empty");
}

/* check: one argv, or a list of them; trace and timeout */
static void test_check_section(void **state)
{
        (void)state;
        struct manifest *m = load_ok("version: 1\ncheck:\n  run: [/usr/bin/python3, /app/t.py]\n");
        assert_int_equal(m->check.n_run, 1);
        assert_int_equal(m->check.run[0].n, 2);
        assert_string_equal(m->check.run[0].v[1], "/app/t.py");
        assert_false(m->check.trace);
        assert_int_equal(m->check.timeout_s, MANIFEST_CHECK_TIMEOUT_DEFAULT);
        manifest_free(m);

        m = load_ok("version: 1\ncheck:\n  run:\n    - [/bin/a]\n    - [/bin/b, -x, \"\"]\n"
                    "  trace: true\n  timeout: 30\n");
        assert_int_equal(m->check.n_run, 2);
        assert_string_equal(m->check.run[0].v[0], "/bin/a");
        assert_int_equal(m->check.run[1].n, 3);
        assert_string_equal(m->check.run[1].v[2], "");
        assert_true(m->check.trace);
        assert_int_equal(m->check.timeout_s, 30);
        manifest_free(m);

        m = load_ok("version: 1\n");
        assert_int_equal(m->check.n_run, 0);
        assert_false(m->image.zstd);
        manifest_free(m);
        m = load_ok("version: 1\ndebug: true\nuser: {root: true}\n");
        assert_true(m->debug);
        assert_true(m->user.root);
        manifest_free(m);
        expect_usage_error("version: 1\ndebug: sometimes\n", "sometimes", "debug");
        m = load_ok("version: 1\nimage: {compression: zstd, layers: single}\n");
        assert_true(m->image.zstd);
        assert_int_equal(m->image.layers, MANIFEST_LAYERS_SINGLE);
        manifest_free(m);
        expect_usage_error("version: 1\nimage: {compression: xz}\n", "xz", "image.compression");
        m = load_ok("version: 1\nimage: {compression: zstd, compression-level: 19}\n");
        assert_int_equal(m->image.compression_level, 19);
        manifest_free(m);
        m = load_ok("version: 1\nimage: {compression-level: 9}\n");
        assert_int_equal(m->image.compression_level, 9);
        assert_false(m->image.zstd);
        manifest_free(m);
        expect_usage_error("version: 1\nimage: {compression-level: 13}\n", "13",
                           "image.compression-level is too large (at most 12)");
        expect_usage_error("version: 1\nimage: {compression-level: 0}\n", "0",
                           "image.compression-level must be 1 to 12 for gzip");
        expect_usage_error("version: 1\nimage: {compression-level: fast}\n", "fast",
                           "image.compression-level must be an integer");

        expect_usage_error("version: 1\ncheck: {trace: true}\n", "{trace", "check needs run");
        expect_usage_error("version: 1\ncheck:\n  run: []\n", "[]", "check.run is empty");
        expect_usage_error("version: 1\ncheck:\n  run: [[/bin/a], /bin/b]\n", "/bin/b]",
                           "check.run[1] must be a list of strings");
        expect_usage_error("version: 1\ncheck:\n  run: [/bin/a, [x]]\n", "[x]",
                           "check.run must be a list of strings (item 2 is a list)");
        expect_usage_error("version: 1\ncheck:\n  run: [[/bin/a], []]\n", "[]]",
                           "check.run[1] is an empty command");
        expect_usage_error("version: 1\ncheck:\n  run: [/bin/a]\n  timeout: 0\n", "0\n",
                           "check.timeout must be at least 1 second");
        expect_usage_error("version: 1\ncheck:\n  run: [/bin/a]\n  trace: maybe\n", "maybe",
                           "check.trace");
        expect_usage_error("version: 1\ncheck:\n  run: [/bin/a]\n  tracing: true\n", "tracing",
                           "unknown key \"tracing\" in check");
}

static void test_errors(void **state)
{
        (void)state;
        make_host_tree();
        static const struct error_case cases[] = {
            /* malformed YAML: the parser's problem mark */
            {"version: 1\nfoo: bar: baz\n", ": baz", "malformed YAML"},
            /* module globs: a module name where wildmatch's metacharacters may stand */
            {"version: 1\npython:\n  module: app\n  exclude-modules: [\"a/b\"]\n", "\"a/b\"",
             "python.exclude-modules[0] \"a/b\" is not a module name or module glob"},
            {"version: 1\npython:\n  module: app\n  exclude-modules: [\"pkg.[ab\"]\n",
             "\"pkg.[ab\"", "python.exclude-modules[0]: "},
            /* unknown keys, top level and nested */
            {"version: 1\nfrobnicate: 1\n", "frobnicate", "unknown key \"frobnicate\""},
            {"version: 1\npython:\n  module: app\n  colour: red\n", "colour",
             "unknown key \"colour\" in python"},
            {"version: 1\nimage: {reff: a}\n", "reff", "unknown key \"reff\" in image"},
            {"version: 1\nfiles:\n  add: [{from: add.conf, to: /x, owner: 0}]\n", "owner",
             "unknown key \"owner\" in files.add[0]"},
            /* wrong types */
            {"version: 1\npackages: python3\n", "python3",
             "packages must be a list of package names or {name, keep} mappings, not a string"},
            {"version: 1\npackages: [libc6, {a: b}]\n", "a: b}",
             "unknown key \"a\" in packages[1]"},
            {"version: 1\npython: [1]\n", "[1]", "python must be a mapping"},
            {"version: 1\npython: {module: m, bytecode: yes}\n", "yes",
             "python.bytecode must be true or false"},
            {"version: \"1\"\n", "\"1\"", "version must be an integer"},
            {"version: 1\narch: {a: b}\n", "{a: b}", "arch must be a string or a list"},
            {"- version\n", "- version", "the manifest must be a mapping"},
            /* missing and bad values */
            {"packages: [libc6]\n", "packages", "missing required key \"version\""},
            {"version: 2\n", "2", "unsupported manifest version 2"},
            {"version: 1\npython:\n  bytecode: true\n", "bytecode", "python needs entrypoint"},
            {"version: 1\npython:\n  entrypoint: /app/main.py\n  module: app.main\n", "module",
             "not both"},
            {"version: 1\npython: {entrypoint: app/main.py}\n", "app/main.py",
             "python.entrypoint must be an absolute path"},
            {"version: 1\npython: {module: 9lives}\n", "9lives", "not a dotted Python module"},
            {"version: 1\npython: {module: \"\"}\n", "\"\"", "python.module must not be empty"},
            {"version: 1\npython: {module: }\n", "}", "python.module must be a string, not null"},
            {"version: 1\npython: {module: a, stdlib: most}\n", "most",
             "python.stdlib must be full or imports"},
            {"version: 1\npython: {module: a, imports: every}\n", "every",
             "python.imports must be deep, shallow or all, not \"every\""},
            {"version: 1\npackages: [Python3]\n", "Python3", "not a valid Debian package name"},
            {"version: 1\nbinaries: [usr/bin/env]\n", "usr/bin/env",
             "binaries[0] must be an absolute path"},
            {"version: 1\nfiles: {include: [\"*.so\"]}\n", "\"*.so\"",
             "absolute image path pattern"},
            {"version: 1\nfiles: {exclude: [/usr/share/doc/**, \"/usr/lib/[abc\"]}\n",
             "\"/usr/lib/[abc\"",
             "files.exclude[1]: glob \"/usr/lib/[abc\": the bracket expression \"[abc\" has no "
             "closing ']'"},
            {"version: 1\nfiles: {include: [\"/usr/[[:alfa:]]*\"]}\n", "\"/usr/[[:alfa:]]*\"",
             "unknown character class \"[:alfa:]\""},
            /* image */
            {"version: 1\nimage:\n  ref: Bad:Ref\n", "Bad:Ref",
             "image.ref \"Bad:Ref\" is not a valid reference: "},
            {"version: 1\nimage: {layers: many}\n", "many", "image.layers must be split or single"},
            {"version: 1\nimage: {workdir: app}\n", "app", "image.workdir must be an absolute"},
            {"version: 1\nimage:\n  env: {LANG: C, 1BAD: x}\n", "1BAD",
             "not a valid variable name"},
            {"version: 1\nimage:\n  env:\n    A: x\n    A: y\n", "A: y", "duplicate key \"A\""},
            {"version: 1\nimage:\n  env: {A: [x]}\n", "[x]", "image.env.A must be a string"},
            {"version: 1\nimage: {exposed-ports: [80/sctp]}\n", "80/sctp",
             "must be PORT or PORT/tcp"},
            {"version: 1\nimage: {exposed-ports: [70000]}\n", "70000", "must be PORT"},
            {"version: 1\nimage: {stop-signal: SIGFOO}\n", "SIGFOO", "is not a signal"},
            {"version: 1\nimage: {stop-signal: \"99\"}\n", "\"99\"", "is not a signal"},
            {"version: 1\nimage: {volumes: [data]}\n", "data", "must be an absolute"},
            /* host paths that do not exist */
            {"version: 1\npython:\n  module: m\n  app:\n    - from: ./missing\n      to: /app\n",
             "./missing", "\"./missing\""},
            {"version: 1\npython:\n  module: m\n  app: [{from: app}]\n", "{from: app}",
             "python.app[0] needs both from and to"},
            {"version: 1\nfiles:\n  add: [{from: nope.conf, to: /etc/x}]\n", "nope.conf",
             "files.add[0].from \"nope.conf\""},
            {"version: 1\nfiles:\n  add: [{from: add.conf, to: /etc/x, mode: 0999}]\n", "0999",
             "must be an octal mode"},
            {"version: 1\nfiles:\n  add: [{from: add.conf, to: /etc/x, mode: 04755}]\n", "04755",
             "between 0 and 0777"},
            {"version: 1\nrules: [myrules, norules]\n", "norules", "rules[1] \"norules\""},
            {"version: 1\npython: {module: m, site-packages: [not-a-dir]}\n", "not-a-dir",
             "is not a directory"},
            /* user */
            {"version: 1\nuser: {uid: 0}\n", "0}", "user.uid 0 (root) is refused"},
            {"version: 1\nuser: {gid: 65534}\n", "65534", "between 1 and 65533"},
            {"version: 1\nuser: {name: Bob}\n", "Bob", "not a valid user name"},
            {"version: 1\nuser: {name: root}\n", "root", "reserved"},
            /* source */
            {"version: 1\nsource:\n  apt: {sources: hots}\n", "hots",
             "source.apt.sources must be host or a list"},
            {"version: 1\nsource:\n  apt: {sources: [{uri: ftp://x, suites: [a]}]}\n", "ftp://x",
             "must be http://, https:// or file:/"},
            {"version: 1\nsource:\n  apt: {sources: [{uri: http://x}]}\n", "{uri", "needs suites"},
            {"version: 1\nsource:\n  apt: {sources: host, mirror: x}\n", "mirror",
             "unknown key \"mirror\""},
            {"version: 1\nsource: {sysroot: \"\"}\n", "\"\"", "source.sysroot must not be empty"},
            /* YAML features a manifest refuses */
            {"version: 1\nx-pkgs: &p [libc6]\npackages: *p\n", "*p", "aliases"},
            {"version: 1\npackages: !custom [libc6]\n", "!custom", "tag \"!custom\""},
            {"version: 1\n---\nversion: 1\n", "---", "only one YAML document"},
            {"version: 1\npackages: [a1]\npackages: [b2]\n", "packages: [b2]",
             "duplicate key \"packages\" in the manifest (first at line 2, column 1)"},
            {"version: 1\nimage:\n  labels: {\"\": x}\n", "\"\"",
             "keys of image.labels must not be empty"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                expect_usage_error(cases[i].text, cases[i].needle, cases[i].want);
}

/* A truncated document: libyaml's problem mark is at the end of the input. */
static void test_malformed_position_at_end(void **state)
{
        (void)state;
        const char *text = "version: 1\npackages: [a1, \"b2\n";
        char *path = write_manifest("eof.yaml", text);
        struct distill_error err = {0};
        struct manifest *m = NULL;
        assert_int_equal(manifest_load(path, &m, &err), -DISTILL_EUSAGE);
        char *want = xasprintf("%s:3:1: malformed YAML", path);
        assert_non_null(strstr(err.msg, want));
        free(want);
        free(path);
}

static void test_deep_nesting(void **state)
{
        (void)state;
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "version: 1\nx: ");
        for (int i = 0; i < 100; i++)
                strbuf_addch(&sb, '[');
        for (int i = 0; i < 100; i++)
                strbuf_addch(&sb, ']');
        strbuf_addch(&sb, '\n');
        /* depth 1 is the root mapping; the 32nd '[' is the first one too deep */
        const char *text = strbuf_str(&sb);
        char *path = write_manifest("deep.yaml", text);
        struct distill_error err = {0};
        struct manifest *m = NULL;
        assert_int_equal(manifest_load(path, &m, &err), -DISTILL_EUSAGE);
        char *want = xasprintf("%s:2:%d: nesting too deep", path, 4 + 31);
        assert_string_equal(err.msg, want);
        free(want);
        free(path);
        strbuf_release(&sb);
}

static void test_size_cap_and_missing_file(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct manifest *m = NULL;
        char *missing = path_join(tmp, "does-not-exist.yaml");
        assert_int_equal(manifest_load(missing, &m, &err), -DISTILL_EIO);
        assert_int_equal(err.code, DISTILL_EIO);
        assert_non_null(strstr(err.msg, missing));
        assert_null(m);
        free(missing);

        char *big = path_join(tmp, "big.yaml");
        assert_int_equal(fixture_sh("{ echo 'version: 1'; head -c 1100000 /dev/zero | tr '\\0' "
                                    "'#'; echo; } > '%s'",
                                    big),
                         0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(manifest_load(big, &m, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "larger than"));
        free(big);
}

static void test_modes_and_ports(void **state)
{
        (void)state;
        make_host_tree();
        struct manifest *m = load_ok("version: 1\n"
                                     "files:\n"
                                     "  add:\n"
                                     "    - {from: add.conf, to: /a, mode: 644}\n"
                                     "    - {from: add.conf, to: /b, mode: 0o600}\n"
                                     "    - {from: /dev/null, to: /c, mode: '0'}\n"
                                     "image:\n"
                                     "  exposed-ports: [\"443\", 443/tcp, 53/udp, 53]\n");
        assert_int_equal(m->add[0].mode, 0644);
        assert_int_equal(m->add[1].mode, 0600);
        assert_int_equal(m->add[2].mode, 0);
        assert_string_equal(m->add[2].from, "/dev/null");
        assert_int_equal(m->image.exposed_ports.n, 3);
        assert_string_equal(m->image.exposed_ports.v[0], "443/tcp");
        assert_string_equal(m->image.exposed_ports.v[1], "53/udp");
        assert_string_equal(m->image.exposed_ports.v[2], "53/tcp");
        manifest_free(m);
}

static void test_image_ref_valid(void **state)
{
        (void)state;
        static const char *const good[] = {
            "localhost/app:latest",
            "registry.example.com:5000/a/b:1.0",
            "a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "ubuntu",
            "ubuntu:22.04",
            "localhost:5000/app",
            "docker.io/library/python:3.11-slim",
            "Registry.Example.COM/app:v1", /* hosts may be upper case */
            "a/b_c/d__e/f-g/h---i/j.k",
            "127.0.0.1:5000/x:_tag",
            "[::1]:5000/x",
            "app:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        };
        char long_tag[200], long_name[300];
        memset(long_tag, 0, sizeof(long_tag));
        memcpy(long_tag, "app:", 4);
        memset(long_tag + 4, 't', 129);
        memset(long_name, 0, sizeof(long_name));
        memset(long_name, 'a', 256);
        const char *bad[] = {
            "Upper/case",
            "upper/Case",
            "a:",
            ":tag",
            "a//b",
            "a-",
            "a/b-:x",
            long_tag,
            long_name,
            "a@sha256:0123",
            "a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "a@md5",
            "a:.tag",
            "a:-tag",
            "a b",
            "",
            "/a",
            "a/",
            "host.example.com:/a",
            "-host.example.com/a",
            "a..b",
            "a___b",
        };
        const char *why;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                bool ok = image_ref_valid(good[i], &why);
                if (!ok)
                        print_error("%s rejected: %s\n", good[i], why);
                assert_true(ok);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                why = NULL;
                bool ok = image_ref_valid(bad[i], &why);
                if (ok)
                        print_error("%s accepted\n", bad[i]);
                assert_false(ok);
                assert_non_null(why);
        }
        /* exactly 128 characters of tag is fine */
        long_tag[4 + 128] = '\0';
        assert_true(image_ref_valid(long_tag, &why));
        /* and the reasons are specific */
        image_ref_valid("Upper/case", &why);
        assert_string_equal(why, "repository name must be lowercase");
        image_ref_valid("a:", &why);
        assert_string_equal(why, "empty tag");
}

static void test_python_version(void **state)
{
        (void)state;
        struct manifest m = {0};
        static const struct {
                const char *interp, *want;
        } cases[] = {
            {"/usr/bin/python3.11", "3.11"}, {"/usr/local/bin/python3.12", "3.12"},
            {"/usr/bin/python3", NULL},      {"/usr/bin/python", NULL},
            {"/usr/bin/python3.11d", NULL},  {"/usr/bin/python3.", NULL},
            {"/usr/bin/pypy3.9", NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                m.python.interpreter = (char *)cases[i].interp;
                char *v = manifest_python_version(&m);
                if (cases[i].want) {
                        assert_non_null(v);
                        assert_string_equal(v, cases[i].want);
                } else {
                        assert_null(v);
                }
                free(v);
        }
}

static void test_apt_source(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *key = xasprintf("%s/key.gpg", dir);
        fixture_write(key, "not checked here");
        char *path = xasprintf("%s/m.yaml", dir);
        fixture_write(path, "version: 1\n"
                            "source:\n"
                            "  apt:\n"
                            "    sources:\n"
                            "      - uri: http://127.0.0.1:8080/debian/\n"
                            "        suites: [stable, stable-updates]\n"
                            "        components: [main]\n"
                            "        signed-by: key.gpg\n"
                            "    cache: cache\n");
        struct manifest *m = NULL;
        struct distill_error err = {0};
        if (manifest_load(path, &m, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(m->source_kind, MANIFEST_SOURCE_APT);
        assert_false(m->apt.host);
        assert_int_equal(m->apt.n, 1);
        assert_string_equal(m->apt.v[0].uri, "http://127.0.0.1:8080/debian");
        assert_int_equal(m->apt.v[0].suites.n, 2);
        assert_string_equal(m->apt.v[0].components.v[0], "main");
        assert_string_equal(m->apt.v[0].signed_by, key);
        char *cache = xasprintf("%s/cache", m->dir);
        assert_string_equal(m->apt.cache, cache);
        manifest_free(m);
        fixture_write(path, "version: 1\nsource: {apt: {sources: host}}\n");
        setenv("DISTILL_CACHE", "/var/cache/distill-test", 1);
        assert_int_equal(manifest_load(path, &m, &err), 0);
        unsetenv("DISTILL_CACHE");
        assert_true(m->apt.host);
        assert_string_equal(m->apt.cache, "/var/cache/distill-test");
        manifest_free(m);
        free(cache);
        free(path);
        free(key);
        fixture_cleanup(dir);
        free(dir);
}

/* python.app[].dockerignore: resolved like from, read at load time; its directory (the build
 * context) must hold from; a bad pattern is reported at the manifest position with the file's
 * own line. */
static void test_app_dockerignore(void **state)
{
        (void)state;
        make_host_tree();
        assert_int_equal(fixture_sh("mkdir -p '%s/ctx/src' '%s/other' && "
                                    "printf 'build\n*.pyc\n!keep.pyc\n' > '%s/ctx/.dockerignore' "
                                    "&& printf 'ok\n[\n' > '%s/ctx/bad.dockerignore'",
                                    tmp, tmp, tmp, tmp),
                         0);
        struct manifest *m =
            load_ok("version: 1\n"
                    "python:\n"
                    "  module: m\n"
                    "  app:\n"
                    "    - {from: ctx/src, to: /app, dockerignore: ctx/.dockerignore}\n"
                    "    - {from: ./ctx, to: /ctx, dockerignore: ./ctx/.dockerignore}\n"
                    "    - {from: app, to: /plain}\n");
        char real[PATH_MAX];
        assert_non_null(realpath(tmp, real));
        char *want = xasprintf("%s/ctx/.dockerignore", real);
        assert_string_equal(m->python.app[0].dockerignore, want);
        assert_string_equal(m->python.app[1].dockerignore, want);
        assert_null(m->python.app[2].dockerignore);
        free(want);
        manifest_free(m);

        expect_usage_error("version: 1\npython:\n  module: m\n"
                           "  app: [{from: other, to: /app, dockerignore: ctx/.dockerignore}]\n",
                           "other", "python.app[0].from ");
        expect_usage_error("version: 1\npython:\n  module: m\n"
                           "  app: [{from: other, to: /app, dockerignore: ctx/.dockerignore}]\n",
                           "other", "is not inside");
        expect_usage_error("version: 1\npython:\n  module: m\n"
                           "  app: [{from: ctx, to: /app, dockerignore: ctx/bad.dockerignore}]\n",
                           "ctx/bad.dockerignore", "python.app[0].dockerignore: ");
        expect_usage_error("version: 1\npython:\n  module: m\n"
                           "  app: [{from: ctx, to: /app, dockerignore: ctx/bad.dockerignore}]\n",
                           "ctx/bad.dockerignore",
                           "bad.dockerignore:2: pattern \"[\": syntax error in pattern");
        expect_usage_error("version: 1\npython:\n  module: m\n"
                           "  app: [{from: ctx, to: /app, dockerignore: ctx/none}]\n",
                           "ctx/none", "python.app[0].dockerignore \"ctx/none\"");
        expect_usage_error("version: 1\nfiles:\n"
                           "  add: [{from: add.conf, to: /x, dockerignore: ctx/.dockerignore}]\n",
                           "dockerignore", "unknown key \"dockerignore\"");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_apt_source),
            cmocka_unit_test(test_full_manifest),
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_python_defaults),
            cmocka_unit_test(test_relative_manifest_path),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_malformed_position_at_end),
            cmocka_unit_test(test_deep_nesting),
            cmocka_unit_test(test_size_cap_and_missing_file),
            cmocka_unit_test(test_modes_and_ports),
            cmocka_unit_test(test_image_ref_valid),
            cmocka_unit_test(test_python_version),
            cmocka_unit_test(test_check_section),
            cmocka_unit_test(test_package_keep_and_links),
            cmocka_unit_test(test_app_dockerignore),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
