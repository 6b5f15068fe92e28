#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/input/rules.h"
#include "fixture.h"

static const struct rule *find_rule(const struct ruleset *rs, const char *name, size_t *index)
{
        for (size_t i = 0; i < rs->n; i++)
                if (!strcmp(rs->rules[i].name, name)) {
                        if (index)
                                *index = i;
                        return &rs->rules[i];
                }
        return NULL;
}

static char *shipped_rules_dir(void)
{
        return path_join(fixture_source_dir(), "manifests/rules");
}

static const char *env_value(const struct rule *r, const char *key)
{
        for (size_t i = 0; i < r->n_env; i++)
                if (!strcmp(r->env[i].key, key))
                        return r->env[i].value;
        return NULL;
}

static void test_shipped_rules(void **state)
{
        (void)state;
        struct strvec dirs = STRVEC_INIT;
        strvec_push_nodup(&dirs, shipped_rules_dir());
        struct ruleset rs = {0};
        struct distill_error err = {0};
        int r = rules_load(&dirs, &rs, &err);
        if (r < 0)
                fail_msg("rules_load: %s", err.msg);

        const struct rule *gcc = find_rule(&rs, "libgcc_s", NULL);
        assert_non_null(gcc);
        /* glibc's: only an image with glibc needs it (not a static base) */
        assert_int_equal(gcc->when, RULE_WHEN_FILE);
        assert_string_equal(gcc->when_value, "/usr/lib/${triplet}/libc.so.6");
        assert_true(strvec_contains(&gcc->packages, "libgcc-s1"));
        assert_true(strvec_contains(&gcc->paths, "/usr/lib/${triplet}/libgcc_s.so.1"));
        assert_non_null(strstr(gcc->reason, "pthread_exit"));
        assert_non_null(strstr(gcc->origin, "core.yaml:"));

        const struct rule *os = find_rule(&rs, "os-identity", NULL);
        assert_non_null(os);
        assert_int_equal(os->when, RULE_WHEN_ALWAYS);
        assert_true(strvec_contains(&os->packages, "base-files"));
        assert_true(strvec_contains(&os->paths, "/etc/debian_version"));
        assert_true(strvec_contains(&os->paths, "/etc/os-release"));
        assert_true(strvec_contains(&os->paths, "/usr/lib/os-release"));

        const struct rule *loc = find_rule(&rs, "c-utf8-locale", NULL);
        assert_non_null(loc);
        assert_int_equal(loc->when, RULE_WHEN_ENV);
        assert_string_equal(loc->when_value, "LANG=C.UTF-8");
        /* and glibc kept: both conditions must hold */
        assert_int_equal(loc->n_also, 1);
        assert_int_equal(loc->also[0].cond, RULE_WHEN_FILE);
        assert_string_equal(loc->also[0].value, "/usr/lib/${triplet}/libc.so.6");
        assert_true(strvec_contains(&loc->packages, "libc-bin"));
        /* the locale by name: its directory is whichever glibc finds in the release */
        assert_int_equal(loc->locales.n, 1);
        assert_string_equal(loc->locales.v[0], "C.UTF-8");
        assert_false(strvec_contains(&loc->paths, "/usr/lib/locale/C.utf8/**"));

        const struct rule *ssl = find_rule(&rs, "openssl-ca-bundle", NULL);
        assert_non_null(ssl);
        assert_int_equal(ssl->when, RULE_WHEN_FILE);
        assert_string_equal(ssl->when_value, "/usr/lib/${triplet}/libssl.so.*");
        assert_true(strvec_contains(&ssl->packages, "ca-certificates"));
        assert_true(strvec_contains(&ssl->packages, "openssl"));
        assert_true(strvec_contains(&ssl->paths, "/etc/ssl/openssl.cnf"));
        assert_true(strvec_contains(&ssl->paths, "/usr/lib/ssl/openssl.cnf"));
        assert_int_equal(ssl->generate.n, 1);
        assert_string_equal(ssl->generate.v[0], RULE_GENERATE_CA_BUNDLE);
        assert_int_equal(ssl->n_env, 1);
        assert_string_equal(env_value(ssl, "SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt");

        const struct rule *py = find_rule(&rs, "python-landmarks", NULL);
        assert_non_null(py);
        assert_int_equal(py->when, RULE_WHEN_PYTHON);
        assert_null(py->when_value);
        assert_true(strvec_contains(&py->paths, "/usr/lib/python${pyver}/os.py"));
        assert_true(strvec_contains(&py->paths, "/usr/lib/python${pyver}/lib-dynload"));
        assert_int_equal(py->packages.n, 0);

        /* every rule has a reason that `why` can print */
        for (size_t i = 0; i < rs.n; i++)
                assert_true(strlen(rs.rules[i].reason) > 20);

        rules_release(&rs);
        strvec_clear(&dirs);
}

/* A user rules dir comes after the shipped one, its files in name order, and its rules join the
 * set with every field. */
static void test_user_dir_after_shipped(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        char *b = path_join(tmp, "b-second.yaml");
        char *a = path_join(tmp, "a-first.yaml");
        char *ignored = path_join(tmp, "notes.txt");
        fixture_write(b, "rules:\n"
                         "  - name: zoneinfo\n"
                         "    when: {module: zoneinfo}\n"
                         "    add:\n"
                         "      packages: [tzdata]\n"
                         "      paths: [/usr/share/zoneinfo/**]\n"
                         "    reason: zoneinfo reads the tz database\n");
        fixture_write(a, "rules:\n"
                         "  - name: popen\n"
                         "    when: {attribute: os.popen}\n"
                         "    add: {modules: [subprocess]}\n"
                         "    reason: os.popen imports subprocess lazily\n"
                         "  - name: amd64-only\n"
                         "    when: {arch: amd64}\n"
                         "    add: {paths: ['/usr/lib64/${ldso}']}\n"
                         "    reason: the loader link\n");
        fixture_write(ignored, "rules: [this is not yaml a rules file: {\n");

        struct strvec dirs = STRVEC_INIT;
        strvec_push_nodup(&dirs, shipped_rules_dir());
        strvec_push(&dirs, tmp);
        struct ruleset rs = {0};
        struct distill_error err = {0};
        int r = rules_load(&dirs, &rs, &err);
        if (r < 0)
                fail_msg("rules_load: %s", err.msg);

        size_t i_gcc, i_popen, i_amd, i_zone;
        assert_non_null(find_rule(&rs, "libgcc_s", &i_gcc));
        const struct rule *popen = find_rule(&rs, "popen", &i_popen);
        const struct rule *amd = find_rule(&rs, "amd64-only", &i_amd);
        const struct rule *zone = find_rule(&rs, "zoneinfo", &i_zone);
        assert_non_null(popen);
        assert_non_null(amd);
        assert_non_null(zone);
        assert_true(i_gcc < i_popen);
        assert_true(i_popen < i_amd);
        assert_true(i_amd < i_zone);

        assert_int_equal(popen->when, RULE_WHEN_ATTRIBUTE);
        assert_string_equal(popen->when_value, "os.popen");
        assert_true(strvec_contains(&popen->modules, "subprocess"));
        assert_int_equal(amd->when, RULE_WHEN_ARCH);
        assert_string_equal(amd->when_value, "amd64");
        assert_int_equal(zone->when, RULE_WHEN_MODULE);
        assert_string_equal(zone->when_value, "zoneinfo");
        assert_true(strvec_contains(&zone->packages, "tzdata"));

        char *origin = xasprintf("%s:2:5", a);
        assert_string_equal(popen->origin, origin);
        free(origin);

        rules_release(&rs);
        strvec_clear(&dirs);
        fixture_cleanup(tmp);
        free(a);
        free(b);
        free(ignored);
        free(tmp);
}

/* Loads one file with the given text and expects a DISTILL_EUSAGE error "FILE:LINE:COL: ..."
 * containing `needle`. */
static void expect_error(const char *text, int line, int col, const char *needle)
{
        char *tmp = fixture_tmpdir();
        char *file = path_join(tmp, "bad.yaml");
        fixture_write(file, text);
        struct strvec dirs = STRVEC_INIT;
        strvec_push(&dirs, tmp);
        struct ruleset rs = {0};
        struct distill_error err = {0};
        int r = rules_load(&dirs, &rs, &err);
        assert_int_equal(r, -DISTILL_EUSAGE);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        char *prefix = xasprintf("%s:%d:%d: ", file, line, col);
        if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || !strstr(err.msg, needle))
                fail_msg("expected '%s...%s', got '%s'", prefix, needle, err.msg);
        assert_int_equal(rs.n, 0);
        free(prefix);
        strvec_clear(&dirs);
        fixture_cleanup(tmp);
        free(file);
        free(tmp);
}

static void test_error_unknown_key(void **state)
{
        (void)state;
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    reason: because\n"
                     "    adds: {paths: [/a]}\n",
                     5, 5, "unknown key 'adds'");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add: {path: [/a]}\n"
                     "    reason: because\n",
                     4, 11, "unknown key 'add.path'");
        expect_error("rule:\n  - name: x\n", 1, 1, "unknown key 'rule'");
}

static void test_error_bad_locale(void **state)
{
        (void)state;
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add: {locales: [C.UTF-8, ../../etc]}\n"
                     "    reason: because\n",
                     4, 30, "'../../etc' is not a locale glibc looks up in a directory");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add: {locales: [POSIX]}\n"
                     "    reason: because\n",
                     4, 21, "'POSIX' is not a locale");
}

static void test_error_bad_when(void **state)
{
        (void)state;
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: sometimes\n"
                     "    reason: because\n",
                     3, 11, "unknown condition 'sometimes'");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: {package: tzdata}\n"
                     "    reason: because\n",
                     3, 12, "unknown condition 'package'");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: {}\n"
                     "    reason: because\n",
                     3, 11, "at least one condition");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: {module: a, frobs: /b}\n"
                     "    reason: because\n",
                     3, 23, "unknown condition 'frobs'");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: {module: a, file: b}\n"
                     "    reason: because\n",
                     3, 29, "must be an absolute path glob");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: {python: false}\n"
                     "    reason: because\n",
                     3, 20, "must be 'true'");
}

static void test_error_unknown_generate(void **state)
{
        (void)state;
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add:\n"
                     "      generate: [ca-bundle, ld-so-cache]\n"
                     "    reason: because\n",
                     5, 29, "unknown generator 'ld-so-cache'");
}

static void test_error_wrong_types(void **state)
{
        (void)state;
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add: {paths: /usr/lib/x}\n"
                     "    reason: because\n",
                     4, 18, "add.paths must be a list, not a string");
        expect_error("rules:\n"
                     "  - name: [x]\n"
                     "    when: always\n"
                     "    reason: because\n",
                     2, 11, "name must be a string, not a list");
        expect_error("rules: {name: x}\n", 1, 8, "rules must be a list");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add: {env: {SSL_CERT_FILE: [a]}}\n"
                     "    reason: because\n",
                     4, 32, "add.env.SSL_CERT_FILE must be a string");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add: {paths: [usr/lib/x]}\n"
                     "    reason: because\n",
                     4, 19, "must be absolute");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add: {paths: ['/usr/lib/${multiarch}/x']}\n"
                     "    reason: because\n",
                     4, 19, "unknown variable ${multiarch}");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add: {paths: ['/usr/lib/${triplet}/[abc']}\n"
                     "    reason: because\n",
                     4, 19, "the bracket expression \"[abc\" has no closing ']'");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: {file: '/usr/lib/libssl.so.*\\'}\n"
                     "    add: {packages: [openssl]}\n"
                     "    reason: because\n",
                     3, 18, "ends in a backslash that escapes nothing");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n"
                     "    add: {packages: [Not_A_Package]}\n"
                     "    reason: because\n",
                     4, 22, "not a valid package name");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    name: y\n"
                     "    when: always\n"
                     "    reason: because\n",
                     3, 5, "duplicate key 'name'");
}

static void test_error_missing_fields(void **state)
{
        (void)state;
        expect_error("rules:\n"
                     "  - when: always\n"
                     "    reason: because\n",
                     2, 5, "rule has no name");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    when: always\n",
                     2, 5, "rule 'x' has no reason");
        expect_error("rules:\n"
                     "  - name: x\n"
                     "    reason: because\n",
                     2, 5, "rule 'x' has no when");
}

static void test_error_malformed_yaml(void **state)
{
        (void)state;
        expect_error("rules:\n  - name: [x\n", 3, 1, "");
        expect_error("rules: []\n---\nrules: []\n", 2, 1, "only one YAML document");
        /* rules files are read as manifests are: no aliases (the billion-laughs expansion) */
        expect_error("x: &a [1]\nrules: *a\n", 2, 8, "aliases");
}

/* The duplicate is reported at the second definition and names the first one's origin. */
static void test_error_duplicate_across_files(void **state)
{
        (void)state;
        char *d1 = fixture_tmpdir();
        char *d2 = fixture_tmpdir();
        char *f1 = path_join(d1, "one.yaml");
        char *f2 = path_join(d2, "two.yaml");
        fixture_write(f1, "rules:\n"
                          "  - name: shared\n"
                          "    when: always\n"
                          "    reason: first\n");
        fixture_write(f2, "# comment\n"
                          "rules:\n"
                          "  - name: other\n"
                          "    when: always\n"
                          "    reason: fine\n"
                          "  - name: shared\n"
                          "    when: always\n"
                          "    reason: second\n");
        struct strvec dirs = STRVEC_INIT;
        strvec_push(&dirs, d1);
        strvec_push(&dirs, d2);
        struct ruleset rs = {0};
        struct distill_error err = {0};
        assert_int_equal(rules_load(&dirs, &rs, &err), -DISTILL_EUSAGE);
        char *want =
            xasprintf("%s:6:5: duplicate rule name 'shared' (first defined at %s:2:5)", f2, f1);
        assert_string_equal(err.msg, want);
        assert_int_equal(rs.n, 0);
        assert_null(rs.rules);

        free(want);
        strvec_clear(&dirs);
        fixture_cleanup(d1);
        fixture_cleanup(d2);
        free(f1);
        free(f2);
        free(d1);
        free(d2);
}

static void test_error_io_and_size(void **state)
{
        (void)state;
        struct strvec dirs = STRVEC_INIT;
        strvec_push(&dirs, "/nonexistent/distill-rules");
        struct ruleset rs = {0};
        struct distill_error err = {0};
        assert_int_equal(rules_load(&dirs, &rs, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "/nonexistent/distill-rules"));
        strvec_clear(&dirs);

        char *tmp = fixture_tmpdir();
        assert_int_equal(fixture_sh("head -c 2000000 /dev/zero | tr '\\0' '#' > %s/big.yaml", tmp),
                         0);
        strvec_push(&dirs, tmp);
        assert_int_equal(rules_load(&dirs, &rs, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "big.yaml"));
        assert_non_null(strstr(err.msg, "limit"));
        strvec_clear(&dirs);
        fixture_cleanup(tmp);
        free(tmp);
}

static void test_empty_file_and_empty_lists(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        char *f1 = path_join(tmp, "empty.yaml");
        char *f2 = path_join(tmp, "lists.yaml");
        fixture_write(f1, "# nothing yet\n");
        fixture_write(f2, "rules:\n"
                          "  - name: only-env\n"
                          "    when: {env: DEBUG}\n"
                          "    add: {modules: [], paths: ~, env: {PYTHONDEBUG: '1'}}\n"
                          "    reason: debugging\n");
        struct strvec dirs = STRVEC_INIT;
        strvec_push(&dirs, tmp);
        struct ruleset rs = {0};
        struct distill_error err = {0};
        if (rules_load(&dirs, &rs, &err) < 0)
                fail_msg("rules_load: %s", err.msg);
        assert_int_equal(rs.n, 1);
        assert_int_equal(rs.rules[0].when, RULE_WHEN_ENV);
        assert_string_equal(rs.rules[0].when_value, "DEBUG");
        assert_int_equal(rs.rules[0].modules.n, 0);
        assert_int_equal(rs.rules[0].paths.n, 0);
        assert_string_equal(env_value(&rs.rules[0], "PYTHONDEBUG"), "1");
        rules_release(&rs);
        strvec_clear(&dirs);
        fixture_cleanup(tmp);
        free(f1);
        free(f2);
        free(tmp);
}

static void test_expand(void **state)
{
        (void)state;
        struct rules_vars vars = {.triplet = "x86_64-linux-gnu",
                                  .arch = "amd64",
                                  .pyver = "3.11",
                                  .ldso = "ld-linux-x86-64.so.2"};
        struct distill_error err = {0};
        char *s = rules_expand("/usr/lib/${triplet}/libssl.so.*", &vars, "f:1:2", &err);
        assert_string_equal(s, "/usr/lib/x86_64-linux-gnu/libssl.so.*");
        free(s);
        s = rules_expand("/usr/lib/python${pyver}/lib-dynload/${arch}/${ldso}${ldso}", &vars,
                         "f:1:2", &err);
        assert_string_equal(s, "/usr/lib/python3.11/lib-dynload/amd64/ld-linux-x86-64.so.2ld-linux-"
                               "x86-64.so.2");
        free(s);
        s = rules_expand("plain $HOME ${", &vars, "f:1:2", &err);
        assert_null(s);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "f:1:2: unterminated"));
        s = rules_expand("no variables, $ alone", &vars, "f:1:2", &err);
        assert_string_equal(s, "no variables, $ alone");
        free(s);
        s = rules_expand("", &vars, "f:1:2", &err);
        assert_string_equal(s, "");
        free(s);

        memset(&err, 0, sizeof(err));
        s = rules_expand("/x/${bogus}/y", &vars, "core.yaml:3:5", &err);
        assert_null(s);
        assert_string_equal(err.msg, "core.yaml:3:5: unknown variable ${bogus}");

        vars.pyver = NULL;
        memset(&err, 0, sizeof(err));
        s = rules_expand("/usr/lib/python${pyver}/os.py", &vars, "python.yaml:4:7", &err);
        assert_null(s);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "python.yaml:4:7: ${pyver} has no value"));
}

/* rules.digest: a function of the files' names and bytes in load order (sha256sum of the same
 * framing as an oracle), not of the directory they sit in; an edited byte or a renamed file
 * changes it. */
static char *digest_of(const char *dir)
{
        struct strvec dirs = STRVEC_INIT;
        strvec_push(&dirs, dir);
        struct ruleset rs = {0};
        struct distill_error err = {0};
        if (rules_load(&dirs, &rs, &err) < 0)
                fail_msg("rules_load: %s", err.msg);
        char *d = xstrdup(rs.digest);
        rules_release(&rs);
        strvec_clear(&dirs);
        return d;
}

static void test_digest(void **state)
{
        (void)state;
        static const char a[] = "rules:\n  - name: a\n    when: always\n    reason: one\n";
        static const char b[] = "rules:\n  - name: b\n    when: always\n    reason: two\n";
        char *d1 = fixture_tmpdir(), *d2 = fixture_tmpdir();
        cleanup_free char *a1 = path_join(d1, "a.yaml"), *b1 = path_join(d1, "b.yaml");
        cleanup_free char *a2 = path_join(d2, "a.yaml"), *b2 = path_join(d2, "b.yaml");
        fixture_write(a1, a);
        fixture_write(b1, b);
        fixture_write(a2, a);
        fixture_write(b2, b);
        cleanup_free char *x = digest_of(d1);
        cleanup_free char *y = digest_of(d2);
        assert_true(sha256_hex_valid(x));
        assert_string_equal(x, y);
        cleanup_free char *oracle = fixture_sh_out(
            "cd %s && for f in a.yaml b.yaml; do printf '%%s\\0%%s\\n' $f $(wc -c <$f); "
            "cat $f; done | sha256sum | cut -c1-64",
            d1);
        assert_non_null(oracle);
        oracle[strcspn(oracle, "\n")] = '\0';
        assert_string_equal(x, oracle);

        fixture_write(b2, "rules:\n  - name: b\n    when: always\n    reason: twO\n");
        cleanup_free char *edited = digest_of(d2);
        assert_string_not_equal(x, edited);
        fixture_write(b2, b);
        cleanup_free char *c2 = path_join(d2, "c.yaml");
        assert_int_equal(rename(b2, c2), 0);
        cleanup_free char *renamed = digest_of(d2);
        assert_string_not_equal(x, renamed);

        fixture_cleanup(d1);
        fixture_cleanup(d2);
        free(d1);
        free(d2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_shipped_rules),
            cmocka_unit_test(test_user_dir_after_shipped),
            cmocka_unit_test(test_error_unknown_key),
            cmocka_unit_test(test_error_bad_when),
            cmocka_unit_test(test_error_bad_locale),
            cmocka_unit_test(test_error_unknown_generate),
            cmocka_unit_test(test_error_wrong_types),
            cmocka_unit_test(test_error_missing_fields),
            cmocka_unit_test(test_error_malformed_yaml),
            cmocka_unit_test(test_error_duplicate_across_files),
            cmocka_unit_test(test_error_io_and_size),
            cmocka_unit_test(test_empty_file_and_empty_lists),
            cmocka_unit_test(test_expand),
            cmocka_unit_test(test_digest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
