/* pyreq: PEP 508 requirement lines, PEP 503 names, markers for a target interpreter, and
 * requirements.txt files as pip reads them (comments, continuations, includes and their cycles,
 * hashes, editables, URLs, global options, ${VAR}); plus the oracle: thousands of generated
 * versions, specifiers, markers and requirement lines on which distill must answer as Python's
 * packaging does (tests/unit/convert/packaging_oracle.py, run by /usr/bin/python3.11). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/names.h"
#include "distill/base/spawn.h"
#include "distill/base/util.h"
#include "distill/convert/pep440.h"
#include "distill/convert/pyreq.h"
#include "fixture.h"

static void assert_contains(const char *s, const char *needle)
{
        if (!strstr(s, needle))
                fail_msg("\"%s\" lacks \"%s\"", s, needle);
}

static struct pyreq parse_ok(const char *line)
{
        struct pyreq r;
        struct distill_error err = {0};
        if (pyreq_parse_line(line, "req.txt:1", &r, &err) < 0)
                fail_msg("\"%s\": %s", line, err.msg);
        return r;
}

static void parse_fails(const char *line, const char *msg)
{
        struct pyreq r;
        struct distill_error err = {0};
        if (pyreq_parse_line(line, "req.txt:7", &r, &err) == 0)
                fail_msg("\"%s\" parsed", line);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        assert_contains(err.msg, "req.txt:7: ");
        assert_contains(err.msg, msg);
}

static void test_names(void **state)
{
        (void)state;
        static const char *const cases[][2] = {{"Foo_Bar", "foo-bar"},
                                               {"foo.bar-baz", "foo-bar-baz"},
                                               {"A__B--c..D", "a-b-c-d"},
                                               {"requests", "requests"},
                                               {"zope.interface", "zope-interface"}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cleanup_free char *n = pep503_normalize(cases[i][0], strlen(cases[i][0]));
                assert_string_equal(n, cases[i][1]);
        }
}

static void test_requirement_parts(void **state)
{
        (void)state;
        struct pyreq r = parse_ok("  Foo_Bar [ security , Socks,security] (>= 1.0, !=1.3.*, <2) ;"
                                  " python_version < '3.12' and extra == \"tests\" ");
        assert_string_equal(r.name, "Foo_Bar");
        assert_string_equal(r.normalized, "foo-bar");
        assert_int_equal(r.extras.n, 2);
        assert_string_equal(r.extras.v[0], "security");
        assert_string_equal(r.extras.v[1], "Socks");
        assert_string_equal(r.specifier, ">= 1.0,!=1.3.*,<2");
        assert_string_equal(r.marker, "python_version < '3.12' and extra == \"tests\"");
        assert_null(r.url);
        assert_string_equal(r.origin, "req.txt:1");
        pyreq_release(&r);

        r = parse_ok("name");
        assert_string_equal(r.specifier, "");
        assert_null(r.marker);
        assert_int_equal(r.extras.n, 0);
        pyreq_release(&r);

        r = parse_ok("pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee ; "
                     "python_version >= '3'");
        assert_string_equal(r.url, "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee");
        assert_string_equal(r.marker, "python_version >= '3'");
        pyreq_release(&r);

        r = parse_ok("foo>=1.0,");
        assert_string_equal(r.specifier, ">=1.0,");
        pyreq_release(&r);
}

static void test_requirement_errors(void **state)
{
        (void)state;
        parse_fails("", "Expected package name");
        parse_fails("-foo",
                    "Expected package name at the start of dependency specifier (column 1)");
        parse_fails("foo[a b]", "Expected comma between extra names");
        parse_fails("foo[a,]", "Expected extra name after comma");
        parse_fails("foo[a", "Expected closing RIGHT_BRACKET (column 4)");
        parse_fails("foo (>=1.0", "Expected closing RIGHT_PARENTHESIS");
        parse_fails("foo >=1.0.*", "Expected end or semicolon (after version specifier)");
        parse_fails("foo bar", "Expected end or semicolon (after name and no valid version");
        parse_fails("foo; python_version", "Expected marker operator");
        parse_fails("foo; os_name == posix", "Expected a marker variable or quoted string");
        parse_fails("foo; os_name=='a' garbage", "Expected end of dependency specifier");
        parse_fails("foo @ https:foo", "Invalid URL");
        parse_fails("foo @ file:/x", "Invalid URL given");
        parse_fails("foo @ https://h/x;python_version<'3' x", "Expected end or semicolon");
        parse_fails("foo===1,2", "is not a PEP 440 version specifier");
        parse_fails("foo; os_name == 'a\\'", "backslash");
        /* nesting is capped */
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "foo; ");
        for (int i = 0; i < 40; i++)
                strbuf_addch(&sb, '(');
        parse_fails(sb.buf, "parentheses nested too deep");
        strbuf_release(&sb);
}

static bool eval(const char *marker, const char *full, const char *arch, const char *extra)
{
        struct pyreq_env env;
        pyreq_env_init(&env, full, arch);
        struct distill_error err = {0};
        bool result;
        if (pyreq_marker_eval(marker, &env, extra, &result, &err) < 0)
                fail_msg("\"%s\": %s", marker, err.msg);
        return result;
}

static void test_env(void **state)
{
        (void)state;
        struct pyreq_env env;
        pyreq_env_init(&env, "3.12.0rc1", "armhf");
        assert_string_equal(env.python_version, "3.12");
        assert_string_equal(env.python_full_version, "3.12.0rc1");
        assert_string_equal(env.implementation_version, "3.12.0c1");
        assert_string_equal(env.platform_machine, "armv7l");
        assert_string_equal(env.platform_release, "");
        assert_string_equal(env.sys_platform, "linux");
        assert_string_equal(env.implementation_name, "cpython");
        assert_string_equal(env.platform_python_implementation, "CPython");
        static const char *const machines[][2] = {
            {"amd64", "x86_64"},    {"arm64", "aarch64"}, {"armhf", "armv7l"},    {"i386", "i686"},
            {"ppc64el", "ppc64le"}, {"s390x", "s390x"},   {"riscv64", "riscv64"}, {"vax", ""}};
        for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
                pyreq_env_init(&env, "3.11.2", machines[i][0]);
                assert_string_equal(env.platform_machine, machines[i][1]);
        }
}

static void test_markers(void **state)
{
        (void)state;
        /* the target's interpreter, not the host's */
        assert_true(eval("python_version < '3.10'", "3.9.2", "amd64", NULL));
        assert_false(eval("python_version < '3.10'", "3.11.2", "amd64", NULL));
        /* version comparison, not string comparison: "3.9" > "3.10" as strings */
        assert_true(eval("python_version > '3.9'", "3.10.1", "amd64", NULL));
        assert_true(eval("python_full_version >= '3.11.0rc1'", "3.11.2", "amd64", NULL));
        assert_true(eval("platform_machine == 'aarch64'", "3.11.2", "arm64", NULL));
        assert_true(eval("'3.8' < python_version", "3.11.2", "amd64", NULL));
        /* and binds tighter than or; parentheses */
        assert_true(eval("os_name == 'nt' and sys_platform == 'win32' or os_name == 'posix'",
                         "3.11.2", "amd64", NULL));
        assert_false(eval("os_name == 'nt' and (sys_platform == 'win32' or os_name == 'posix')",
                          "3.11.2", "amd64", NULL));
        /* in, not in, string fallback where one side is no version */
        assert_true(
            eval("'lin' in sys_platform and 'win' not in sys_platform", "3.11.2", "amd64", NULL));
        assert_true(eval("platform_release >= ''", "3.11.2", "amd64", NULL));
        assert_true(eval("os_name < 'posix2'", "3.11.2", "amd64", NULL));
        /* extras compare by their normal names; no extra is "" */
        assert_true(eval("extra == 'Te_St'", "3.11.2", "amd64", "te.st"));
        assert_false(eval("extra == 'tests'", "3.11.2", "amd64", NULL));
        assert_true(eval("extra == ''", "3.11.2", "amd64", NULL));
        /* the dotted and legacy spellings */
        assert_true(eval("os.name == 'posix' and python_implementation == 'CPython'", "3.11.2",
                         "amd64", NULL));
}

static void marker_fails(const char *marker, const char *msg)
{
        struct pyreq_env env;
        pyreq_env_init(&env, "3.11.2", "amd64");
        struct distill_error err = {0};
        bool result;
        if (pyreq_marker_eval(marker, &env, NULL, &result, &err) == 0)
                fail_msg("\"%s\" evaluated", marker);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        assert_contains(err.msg, msg);
}

static void test_marker_errors(void **state)
{
        (void)state;
        marker_fails("os_name ~= 'posix'", "neither versions nor strings compare with ~=");
        marker_fails("os_name == 'posix' or os_name === 'x'", "compare with ===");
        marker_fails("'a' == 'b'", "compares two quoted strings");
        marker_fails("os_name == sys_platform", "compares two variables");
        marker_fails("os_name == 'posix' garbage", "Expected end of marker (column 20)");
        marker_fails("os_name notin 'x'", "Expected marker operator");
        marker_fails("os_name not'in' 'x'", "Expected whitespace after 'not'");
        marker_fails("(os_name == 'a'", "Expected closing RIGHT_PARENTHESIS (column 1)");
        marker_fails("extras == 'x'", "Expected a marker variable");
        /* syntax alone: what packaging's Marker() takes */
        struct distill_error err = {0};
        assert_int_equal(pyreq_marker_check("'a' == 'b'", &err), 0);
        assert_int_equal(pyreq_marker_check("os_name ~= 'x'", &err), 0);
}

/* requirements.txt */

static char *dir;

static int setup(void **state)
{
        (void)state;
        dir = fixture_tmpdir();
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        fixture_cleanup(dir);
        free(dir);
        return 0;
}

static char *write_file(const char *name, const char *content)
{
        char *path = path_join(dir, name);
        fixture_write(path, content);
        return path;
}

static void put_file(const char *name, const char *content)
{
        free(write_file(name, content));
}

static struct pyreq *find(const struct pyreq_list *l, const char *normalized)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].normalized && !strcmp(l->v[i].normalized, normalized))
                        return &l->v[i];
        fail_msg("no requirement %s", normalized);
        return NULL;
}

static void test_file(void **state)
{
        (void)state;
        put_file("sub/base.txt", "# base\nsix==1.16.0 # pinned\n"
                                 "-c ../constraints.txt\n");
        put_file("constraints.txt", "urllib3<2\n-r more.txt\n");
        put_file("more.txt", "idna\n");
        cleanup_free char *main = write_file(
            "requirements.txt",
            "\xef\xbb\xbf# comment line \\\n"
            "-r sub/base.txt\n"
            "\n"
            "   \n"
            "Flask[async] >=2.0 ; python_version >= '3.8'   # a comment\n"
            "requests==2.31.0 \\\n"
            "    --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f "
            "\\\n"
            "    --hash=sha256:942c5a758f98d790eaed1a29cb6eefc7ffb0d1cf7af05c3d2791656dbd6ad1e1\n"
            "frag @ https://h/frag-1.0.tar.gz#sha256=ab\n"
            "-i https://pypi.example/simple --trusted-host=pypi.example\n"
            "--extra-index url2\n"
            "--pre\n"
            "-e git+https://github.com/x/y.git@v1#egg=Y_Pkg\n"
            "./vendored/pkg[extra1]\n"
            "https://example.com/dist/Some_Pkg-1.2.3-py3-none-any.whl\n"
            "gunicorn ; sys_platform == 'linux' \n"
            "pkg-${VERSION_SUFFIX}==${PKG_VERSION} ; os_name == '${UNSET}$x{Y}'\n"
            "trailing \\");
        struct strmap env = STRMAP_INIT;
        strmap_put(&env, "VERSION_SUFFIX", "x");
        strmap_put(&env, "PKG_VERSION", "1.0");
        strmap_put(&env, "UNSET", "");
        struct pyreq_list l;
        struct distill_error err = {0};
        if (pyreq_read_file_env(main, &env, &l, &err) < 0)
                fail_msg("%s", err.msg);
        strmap_clear(&env, NULL);

        struct pyreq *r = find(&l, "six");
        assert_string_equal(r->specifier, "==1.16.0");
        cleanup_free char *six_origin = xasprintf("%s/sub/base.txt:2", dir);
        assert_string_equal(r->origin, six_origin);
        assert_false(r->constraint);
        r = find(&l, "urllib3");
        assert_true(r->constraint);
        r = find(&l, "idna"); /* -r inside a -c file is not a constraint, as in pip */
        assert_false(r->constraint);

        r = find(&l, "flask");
        assert_string_equal(r->extras.v[0], "async");
        assert_string_equal(r->specifier, ">=2.0");
        assert_string_equal(r->marker, "python_version >= '3.8'");
        cleanup_free char *flask_origin = xasprintf("%s:5", main);
        assert_string_equal(r->origin, flask_origin);

        r = find(&l, "requests");
        assert_int_equal(r->hashes.n, 2);
        assert_string_equal(r->hashes.v[1], "sha256:942c5a758f98d790eaed1a29cb6eefc7ffb0d1cf7af05c3"
                                            "d2791656dbd6ad1e1");
        cleanup_free char *req_origin = xasprintf("%s:6", main);
        assert_string_equal(r->origin, req_origin);

        r = find(&l, "frag"); /* a '#' after no whitespace starts no comment */
        assert_string_equal(r->url, "https://h/frag-1.0.tar.gz#sha256=ab");

        r = find(&l, "y-pkg");
        assert_true(r->editable);
        assert_string_equal(r->url, "git+https://github.com/x/y.git@v1#egg=Y_Pkg");

        bool path_seen = false;
        for (size_t i = 0; i < l.n; i++)
                if (l.v[i].url && !strcmp(l.v[i].url, "./vendored/pkg")) {
                        path_seen = true;
                        assert_null(l.v[i].name);
                        assert_string_equal(l.v[i].extras.v[0], "extra1");
                        assert_false(l.v[i].editable);
                }
        assert_true(path_seen);

        r = find(&l, "some-pkg");
        assert_string_equal(r->specifier, "==1.2.3");
        assert_non_null(r->url);

        r = find(&l, "gunicorn");
        assert_string_equal(r->marker, "sys_platform == 'linux'");
        r = find(&l, "pkg-x");
        assert_string_equal(r->name, "pkg-x");
        assert_string_equal(r->marker, "os_name == '${UNSET}$x{Y}'");
        assert_string_equal(r->specifier, "==1.0");
        find(&l, "trailing");
        assert_int_equal(l.n, 12);

        /* the global options, each with where it was */
        assert_int_equal(l.ignored.n, 4);
        cleanup_free char *idx = xasprintf("%s:10: --index-url https://pypi.example/simple "
                                           "(ignored: the packages come from Debian",
                                           main);
        assert_contains(l.ignored.v[0], idx);
        assert_contains(l.ignored.v[1], "--trusted-host pypi.example (ignored");
        assert_contains(l.ignored.v[2], ":11: --extra-index-url url2 (ignored");
        assert_contains(l.ignored.v[3], ":12: --pre (ignored: pre-release selection");
        pyreq_list_release(&l);
}

static void file_fails_n(const char *content, size_t n, const char *msg)
{
        cleanup_free char *path = path_join(dir, "bad.txt");
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(content, 1, n, f), n);
        fclose(f);
        struct pyreq_list l;
        struct distill_error err = {0};
        if (pyreq_read_file(path, &l, &err) == 0)
                fail_msg("\"%s\" was read", content);
        assert_contains(err.msg, msg);
}

static void file_fails(const char *content, const char *msg)
{
        file_fails_n(content, strlen(content), msg);
}

static void test_file_errors(void **state)
{
        (void)state;
        cleanup_free char *where = xasprintf("%s/bad.txt:3: ", dir);
        file_fails("a\nb\nfoo >= 1.0 junk\n", where);
        file_fails("a\nb\nfoo >= 1.0 junk\n", "Expected end or semicolon");
        file_fails("--hash=md5:abc\n", "Allowed hash algorithms for --hash");
        file_fails("foo --hash\n", "--hash option requires 1 argument");
        file_fails("foo --hash=sha256\n", "must be a hash name followed by a value");
        file_fails("--no-such-thing\n", "no such option: --no-such-thing");
        file_fails("--pre=1\n", "--pre option does not take a value");
        file_fails("-x\n", "no such option: -x");
        file_fails("--in x\n", "ambiguous option: --in");
        file_fails("foo --hash='sha256:a\n", "No closing quotation");
        file_fails("-r https://example.com/r.txt\n", "a remote requirements file is not fetched");
        file_fails("-r missing.txt\n", "bad.txt:1: cannot read");
        file_fails_n("a\0b\n", 4, "NUL");
        file_fails("\xff\xfe"
                   "a\n",
                   "UTF-16");

        /* cycles, also through -c; the depth and count caps */
        put_file("cycle-a.txt", "x\n-r cycle-b.txt\n");
        put_file("cycle-b.txt", "-c cycle-a.txt\n");
        cleanup_free char *a = path_join(dir, "cycle-a.txt");
        struct pyreq_list l;
        struct distill_error err = {0};
        assert_int_equal(pyreq_read_file(a, &l, &err), -DISTILL_EUSAGE);
        assert_contains(err.msg, "cycle-b.txt:1: ");
        assert_contains(err.msg, "cycle-a.txt includes itself (an include cycle)");
        for (int i = 0; i < 20; i++) {
                cleanup_free char *name = xasprintf("deep-%d.txt", i);
                cleanup_free char *text = xasprintf("-r deep-%d.txt\n", i + 1);
                put_file(name, text);
        }
        cleanup_free char *deep = path_join(dir, "deep-0.txt");
        assert_int_equal(pyreq_read_file(deep, &l, &err), -DISTILL_EUSAGE);
        assert_contains(err.msg, "nested more than 16 deep");
        /* a diamond repeated: every include is read, and counted */
        struct strbuf wide = STRBUF_INIT;
        for (int i = 0; i < 300; i++)
                strbuf_adds(&wide, "-r leaf.txt\n");
        put_file("leaf.txt", "leaf\n");
        cleanup_free char *w = write_file("wide.txt", wide.buf);
        strbuf_release(&wide);
        assert_int_equal(pyreq_read_file(w, &l, &err), -DISTILL_EUSAGE);
        assert_contains(err.msg, "more than 256 requirement files");
}

static void test_pip_args(void **state)
{
        (void)state;
        struct pyreq r;
        struct distill_error err = {0};
        assert_int_equal(
            pyreq_parse_pip_arg("foo @ file:///srv/foo-1.0.tar.gz", NULL, false, &r, &err), 0);
        assert_string_equal(r.name, "foo");
        assert_string_equal(r.url, "file:///srv/foo-1.0.tar.gz");
        pyreq_release(&r);
        assert_int_equal(pyreq_parse_pip_arg("git+https://h/r.git#egg=bar; python_version>'3'",
                                             NULL, false, &r, &err),
                         0);
        assert_string_equal(r.name, "bar");
        assert_string_equal(r.marker, "python_version>'3'");
        pyreq_release(&r);
        assert_int_equal(pyreq_parse_pip_arg("dist/pkg.tar.gz", NULL, false, &r, &err), 0);
        assert_null(r.name);
        assert_string_equal(r.url, "dist/pkg.tar.gz");
        pyreq_release(&r);
        assert_int_equal(pyreq_parse_pip_arg(".", NULL, true, &r, &err), 0);
        assert_true(r.editable);
        pyreq_release(&r);
        assert_true(pyreq_parse_pip_arg("./x; os_name ==", "r.txt:4", false, &r, &err) < 0);
        assert_contains(err.msg, "r.txt:4: ");
}

/* The oracle */

struct tally {
        size_t checked, skipped, failed;
        struct strbuf report;
};

static void mismatch(struct tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mismatch(struct tally *t, const char *fmt, ...)
{
        if (t->failed++ < 25) {
                va_list ap;
                va_start(ap, fmt);
                char *s = NULL;
                if (vasprintf(&s, fmt, ap) >= 0)
                        strbuf_addf(&t->report, "  %s\n", s);
                free(s);
                va_end(ap);
        }
}

static const char *str(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

static void oracle_version(struct tally *t, json_t *c)
{
        const char *s = str(c, "s");
        struct pep440_version v;
        struct distill_error err = {0};
        bool valid = pep440_parse(s, &v, &err) == 0;
        if (valid != json_is_true(json_object_get(c, "valid"))) {
                mismatch(t, "version \"%s\": distill says %s", s, valid ? "valid" : err.msg);
                return;
        }
        if (!valid)
                return;
        cleanup_free char *norm = pep440_normalize(&v);
        if (strcmp(norm, str(c, "norm")) ||
            pep440_is_prerelease(&v) != json_is_true(json_object_get(c, "pre")) ||
            pep440_is_postrelease(&v) != json_is_true(json_object_get(c, "post")))
                mismatch(t, "version \"%s\": distill %s pre=%d post=%d, packaging %s", s, norm,
                         pep440_is_prerelease(&v), pep440_is_postrelease(&v), str(c, "norm"));
}

static void oracle_compare(struct tally *t, json_t *c)
{
        struct pep440_version a, b;
        struct distill_error err = {0};
        assert_int_equal(pep440_parse(str(c, "a"), &a, &err), 0);
        assert_int_equal(pep440_parse(str(c, "b"), &b, &err), 0);
        int sign = pep440_compare(&a, &b);
        sign = (sign > 0) - (sign < 0);
        if (sign != json_integer_value(json_object_get(c, "sign")))
                mismatch(t, "compare \"%s\" \"%s\": distill %d", str(c, "a"), str(c, "b"), sign);
}

static void oracle_satisfies(struct tally *t, json_t *c)
{
        const char *version = str(c, "version"), *spec = str(c, "spec");
        json_t *want = json_object_get(c, "result");
        const char *kind = json_is_string(want) ? json_string_value(want) : NULL;
        if (kind && !strcmp(kind, "skip")) {
                t->skipped++;
                return;
        }
        bool ok = false, allow = false;
        struct distill_error err = {0};
        int r = pep440_satisfies(version, spec, &ok, &err);
        if (kind) {
                bool want_spec_error = !strcmp(kind, "invalid-spec");
                if (r == 0 || (want_spec_error != !!strstr(err.msg, "specifier")))
                        mismatch(t, "\"%s\" in \"%s\": packaging %s, distill %s", version, spec,
                                 kind, r == 0 ? (ok ? "true" : "false") : err.msg);
                return;
        }
        if (r == 0)
                r = pep440_satisfies_ex(version, spec, PEP440_PRERELEASES_ALLOW, &allow, &err);
        if (r < 0)
                mismatch(t, "\"%s\" in \"%s\": %s", version, spec, err.msg);
        else if (ok != json_is_true(want) || allow != json_is_true(json_object_get(c, "allow")))
                mismatch(
                    t, "\"%s\" in \"%s\": distill %d (allowing pre-releases %d), packaging %d (%d)",
                    version, spec, ok, allow, json_is_true(want),
                    json_is_true(json_object_get(c, "allow")));
}

static void oracle_marker(struct tally *t, json_t *c)
{
        const char *marker = str(c, "marker"), *want = str(c, "result");
        struct pyreq_env env;
        pyreq_env_init(&env, str(c, "full"), str(c, "arch"));
        bool result = false;
        struct distill_error err = {0};
        int r = pyreq_marker_eval(marker, &env, str(c, "extra"), &result, &err);
        bool syntax_ok = pyreq_marker_check(marker, &(struct distill_error){0}) == 0;
        const char *got = r == 0 ? (result ? "true" : "false") : syntax_ok ? "error" : "invalid";
        const char *expect = want                                         ? want
                             : json_is_true(json_object_get(c, "result")) ? "true"
                                                                          : "false";
        if (strcmp(got, expect))
                mismatch(t, "marker \"%s\" (%s %s extra %s): packaging %s, distill %s (%s)", marker,
                         str(c, "full"), str(c, "arch"), str(c, "extra"), expect, got, err.msg);
}

static bool same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

static void oracle_requirement(struct tally *t, json_t *c)
{
        const char *line = str(c, "line");
        struct pyreq r;
        struct distill_error err = {0};
        bool valid = pyreq_parse_line(line, NULL, &r, &err) == 0;
        if (valid != json_is_true(json_object_get(c, "valid"))) {
                mismatch(t, "requirement \"%s\": distill says %s", line, valid ? "valid" : err.msg);
                if (valid)
                        pyreq_release(&r);
                return;
        }
        if (!valid)
                return;
        json_t *extras = json_object_get(c, "extras");
        bool same = same_str(r.name, str(c, "name")) &&
                    same_str(r.normalized, str(c, "normalized")) &&
                    same_str(r.specifier, str(c, "specifier")) && same_str(r.url, str(c, "url")) &&
                    (r.marker != NULL) == json_is_true(json_object_get(c, "has_marker")) &&
                    r.extras.n == json_array_size(extras);
        for (size_t i = 0; same && i < r.extras.n; i++)
                same = !strcmp(r.extras.v[i], json_string_value(json_array_get(extras, i)));
        if (same && r.marker) {
                struct pyreq_env env;
                pyreq_env_init(&env, "3.11.2", "amd64");
                bool result = false;
                int e = pyreq_marker_eval(r.marker, &env, NULL, &result, &err);
                json_t *want = json_object_get(c, "marker_value");
                same = json_is_string(want) ? e < 0 : e == 0 && result == json_is_true(want);
        }
        if (!same)
                mismatch(t, "requirement \"%s\": distill name %s spec \"%s\" url %s marker %s",
                         line, r.name, r.specifier, r.url, r.marker);
        pyreq_release(&r);
}

static void test_packaging_oracle(void **state)
{
        (void)state;
        cleanup_free char *script =
            path_join(fixture_source_dir(), "tests/unit/convert/packaging_oracle.py");
        char *argv[] = {"/usr/bin/python3.11", script, NULL};
        struct spawn_opts opts = {.argv = argv, .timeout_s = 300, .out_cap = 64u << 20};
        struct spawn_result res = {0};
        struct distill_error err = {0};
        if (spawn_run(&opts, &res, &err) < 0 || spawn_check_exit(&opts, &res, &err) < 0)
                fail_msg("%s (is python3-packaging installed? scripts/setup installs it)", err.msg);
        struct tally t = {0};
        size_t per_kind[5] = {0};
        static const char *const kinds[] = {"version", "compare", "satisfies", "marker",
                                            "requirement"};
        static void (*const check[])(struct tally *, json_t *) = {
            oracle_version, oracle_compare, oracle_satisfies, oracle_marker, oracle_requirement};
        for (char *line = res.out.buf, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                json_error_t jerr;
                json_t *c = json_loads(line, 0, &jerr);
                if (!c)
                        fail_msg("oracle printed \"%.200s\": %s", line, jerr.text);
                const char *kind = str(c, "kind");
                for (size_t k = 0; k < 5; k++)
                        if (kind && !strcmp(kind, kinds[k])) {
                                check[k](&t, c);
                                per_kind[k]++;
                                t.checked++;
                        }
                json_decref(c);
        }
        spawn_result_release(&res);
        print_message("oracle: %zu cases (%zu versions, %zu comparisons, %zu specifier sets, %zu "
                      "markers, %zu requirements), %zu skipped as documented, %zu disagree\n",
                      t.checked, per_kind[0], per_kind[1], per_kind[2], per_kind[3], per_kind[4],
                      t.skipped, t.failed);
        for (size_t k = 0; k < 5; k++)
                assert_true(per_kind[k] >= 500);
        assert_true(t.skipped * 10 < per_kind[2]);
        if (t.failed)
                fail_msg("distill and packaging disagree on %zu cases:\n%s", t.failed,
                         t.report.buf);
        strbuf_release(&t.report);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names),
            cmocka_unit_test(test_requirement_parts),
            cmocka_unit_test(test_requirement_errors),
            cmocka_unit_test(test_env),
            cmocka_unit_test(test_markers),
            cmocka_unit_test(test_marker_errors),
            cmocka_unit_test(test_file),
            cmocka_unit_test(test_file_errors),
            cmocka_unit_test(test_pip_args),
            cmocka_unit_test(test_packaging_oracle),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
