/* reqmap: requirements read from a build context and mapped onto the distributions an index
 * says packages ship — found, too old, an extra's requirements from METADATA, a marker false for
 * the target, an unknown name, a URL — and the packages the manifest gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/convert/reqmap.h"
#include "fixture.h"

/* Contents lines as the archive writes them (pydist reads the same from a sysroot's lists) */
static const char contents[] =
    "usr/lib/python3/dist-packages/Flask-2.2.2.egg-info/PKG-INFO   python/python3-flask\n"
    "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO  python/python3-requests\n"
    "usr/lib/python3/dist-packages/PySocks-1.7.1.egg-info/PKG-INFO  python/python3-socks\n"
    "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA  python/python3-yaml\n";

static const struct cv_requirement *find(const struct conversion *cv, const char *text)
{
        for (size_t i = 0; i < cv->n_reqs; i++)
                if (!strcmp(cv->reqs[i].text, text))
                        return &cv->reqs[i];
        fail_msg("no requirement %s", text);
        return NULL;
}

static void test_map(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *ctx = path_join(dir, "context");
        char *root = path_join(dir, "root");
        char *p = path_join(ctx, "requirements.txt");
        fixture_write(
            p,
            "# the app's requirements\n"
            "-r base.txt\n"
            "Flask>=2.0,<3  # the server\n"
            "flask>=3.0 ; python_version >= '3.12'\n"
            "requests[socks]==2.28.1 \\\n"
            "    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n"
            "git+https://example.com/lib.git#egg=lib\n");
        free(p);
        p = path_join(ctx, "base.txt");
        fixture_write(p, "pyyaml>=6\nno-such-thing==1.0\nRequests>=3\n");
        free(p);
        /* the extra's requirements, where a sysroot keeps the distribution's metadata */
        p = path_join(root, "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/requires.txt");
        fixture_write(p, "charset_normalizer<3,>=2\n\n[socks]\nPySocks!=1.5.7,>=1.5.6\n\n"
                         "[use_chardet_on_py3]\nchardet<6,>=3.0.2\n");
        free(p);

        struct conversion cv;
        conversion_init(&cv);
        cv.dockerfile_name = "Dockerfile";
        cv.context = xstrdup(ctx);
        strvec_push(&cv.requirement_files, "requirements.txt");
        strvec_push(&cv.requirement_file_origins, "Dockerfile:3");
        struct distill_error err = {0};
        if (reqmap_collect(&cv, &err) < 0)
                fail_msg("%s", err.msg);
        /* -r first, then the file's own lines; origins relative to the context */
        assert_string_equal(cv.reqs[0].text, "pyyaml>=6");
        assert_string_equal(cv.reqs[0].origin, "base.txt:1");

        struct pydist_index *idx = pydist_index_new();
        if (pydist_index_add_contents(idx, contents, strlen(contents), "Contents", &err) < 0)
                fail_msg("%s", err.msg);
        struct pyreq_env env;
        pyreq_env_init(&env, "3.11.2", "amd64");
        struct reqmap_target t = {.dists = idx, .env = &env, .root = root};
        size_t unmapped = reqmap_map(&cv, &t);

        const struct cv_requirement *q = find(&cv, "Flask>=2.0,<3");
        assert_int_equal(q->outcome, CV_CONVERTED);
        assert_string_equal(q->package, "python3-flask");
        assert_string_equal(q->version, "2.2.2");
        assert_string_equal(q->origin, "requirements.txt:3");
        q = find(&cv, "flask>=3.0; python_version >= '3.12'");
        assert_int_equal(q->outcome, CV_DROPPED); /* a 3.12 marker on 3.11 */
        q = find(&cv, "Requests>=3");
        assert_int_equal(q->outcome, CV_MANUAL);
        assert_non_null(
            strstr(q->detail, "python3-requests ships Requests 2.28.1, which is not >=3"));
        q = find(&cv, "no-such-thing==1.0");
        assert_int_equal(q->outcome, CV_MANUAL);
        assert_null(q->package);
        q = find(&cv, "requests[socks]==2.28.1");
        assert_int_equal(q->outcome, CV_CONVERTED);
        /* the extra brought PySocks, mapped in turn; not chardet, another extra's */
        q = find(&cv, "PySocks!=1.5.7,>=1.5.6");
        assert_string_equal(q->origin, "requirements.txt:5[socks]");
        assert_string_equal(q->package, "python3-socks");
        for (size_t i = 0; i < cv.n_reqs; i++)
                assert_null(strstr(cv.reqs[i].text, "chardet"));
        q = find(&cv, "git+https://example.com/lib.git#egg=lib");
        assert_int_equal(q->outcome, CV_MANUAL);
        assert_int_equal(unmapped, 3); /* Requests>=3, no-such-thing, the git URL */

        /* each package once, with the first requirement that asked for it */
        static const char *const want[] = {"python3-yaml", "python3-flask", "python3-requests",
                                           "python3-socks"};
        assert_int_equal(cv.packages.n, 4);
        for (size_t i = 0; i < 4; i++)
                assert_string_equal(cv.packages.v[i], want[i]);
        assert_non_null(strstr(cv.package_why.v[0], "pyyaml>=6 (base.txt:1)"));

        pydist_index_free(idx);
        conversion_release(&cv);
        free(ctx);
        free(root);
        fixture_cleanup(dir);
        free(dir);
}

static void test_bad_file_names_its_line(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *p = path_join(dir, "requirements.txt");
        fixture_write(p, "flask\nflask[>=2\n");
        struct conversion cv;
        conversion_init(&cv);
        cv.dockerfile_name = "Dockerfile";
        cv.context = xstrdup(dir);
        strvec_push(&cv.requirement_files, "requirements.txt");
        strvec_push(&cv.requirement_file_origins, "Dockerfile:3");
        struct distill_error err = {0};
        assert_int_equal(reqmap_collect(&cv, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "requirements.txt:2"));
        conversion_release(&cv);
        free(p);
        fixture_cleanup(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_map),
            cmocka_unit_test(test_bad_file_names_its_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
