/* instructions: each kind of instruction carried into a conversion, on Dockerfiles parsed by
 * dockerfile_parse over a build context generated here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/dockerignore.h"
#include "distill/base/util.h"
#include "distill/convert/instructions.h"
#include "fixture.h"

struct world {
        char *context;
        struct conversion cv;
        struct dockerfile *df;
        struct dockerignore *di;
};

static int setup(void **state)
{
        struct world *w = xcalloc(1, sizeof(*w));
        w->context = fixture_tmpdir();
        char *p;
#define FILE_AT(rel, text)                                                                         \
        p = path_join(w->context, rel);                                                            \
        fixture_write(p, text);                                                                    \
        free(p)
        FILE_AT("requirements.txt", "flask\n");
        FILE_AT("app/main.py", "import json\n");
        FILE_AT("app/util.py", "");
        FILE_AT("conf/settings.ini", "[x]\n");
        FILE_AT("a.py", "");
        FILE_AT("b.py", "");
        FILE_AT("secret.env", "x");
        FILE_AT("poetry.lock", "");
#undef FILE_AT
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        struct world *w = *state;
        fixture_cleanup(w->context);
        free(w->context);
        free(w);
        return 0;
}

static void convert(struct world *w, const char *dockerfile, const char *ignore)
{
        struct distill_error err = {0};
        conversion_init(&w->cv);
        w->cv.dockerfile_name = "Dockerfile";
        w->cv.context = xstrdup(w->context);
        if (dockerfile_parse("Dockerfile", dockerfile, strlen(dockerfile), NULL, 0, &w->df, &err) <
            0)
                fail_msg("%s", err.msg);
        w->di = NULL;
        if (ignore && dockerignore_parse(".dockerignore", ignore, strlen(ignore), &w->di, &err) < 0)
                fail_msg("%s", err.msg);
        if (instructions_convert(w->df, w->di, &w->cv, &err) < 0)
                fail_msg("%s", err.msg);
}

static void release(struct world *w)
{
        conversion_release(&w->cv);
        dockerfile_free(w->df);
        dockerignore_free(w->di);
}

/* The report entry of the instruction at `line` (the first), its outcome and detail. */
static const char *outcome_at(struct world *w, int line, const char **detail)
{
        for (size_t i = 0; i < json_array_size(w->cv.report); i++) {
                json_t *it = json_array_get(w->cv.report, i);
                if (json_integer_value(json_object_get(it, "line")) != line)
                        continue;
                if (detail)
                        *detail = json_string_value(json_object_get(it, "detail"));
                return json_string_value(json_object_get(it, "outcome"));
        }
        fail_msg("no report entry at line %d", line);
        return NULL;
}

static void test_python_of_image(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
            {"python:3.9-alpine3.15", "3.9"},
            {"python:3.11.4-slim-bookworm", "3.11"},
            {"docker.io/library/python:3.12", "3.12"},
            {"python:3", "3"},
            {"python:latest", NULL},
            {"pypy:3.9", NULL},
            {"alpine:3.15", NULL},
            {"myregistry/python:3.9", NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                char *v = instructions_python_of_image(cases[i][0]);
                if (cases[i][1])
                        assert_string_equal(v, cases[i][1]);
                else
                        assert_null(v);
                free(v);
        }
}

static void test_split_commands(void **state)
{
        (void)state;
        struct strvec v = STRVEC_INIT;
        instructions_split_commands("apk add a && pip install 'x&&y' ; echo \"a;b\" || true\n"
                                    "rm -rf /tmp/*",
                                    &v);
        assert_int_equal(v.n, 5);
        assert_string_equal(v.v[0], "apk add a");
        assert_string_equal(v.v[1], "pip install 'x&&y'");
        assert_string_equal(v.v[2], "echo \"a;b\"");
        assert_string_equal(v.v[3], "true");
        assert_string_equal(v.v[4], "rm -rf /tmp/*");
        strvec_clear(&v);
        instructions_split_commands("  ", &v);
        assert_int_equal(v.n, 0);
        strvec_clear(&v);
}

static void test_copies_and_requirements(void **state)
{
        struct world *w = *state;
        convert(w,
                "FROM python:3.9-alpine\n"                                              /* 1 */
                "WORKDIR /srv\n"                                                        /* 2 */
                "COPY requirements.txt .\n"                                             /* 3 */
                "RUN pip install --no-cache-dir -r requirements.txt gunicorn==21.2 .\n" /* 4 */
                "COPY app/ ./app/\n"                                                    /* 5 */
                "COPY conf/settings.ini /etc/app.ini\n"                                 /* 6 */
                "COPY *.py lib/\n"                                                      /* 7 */
                "COPY secret.env /etc/\n"                                               /* 8 */
                "ADD https://example.com/x.tar.gz /opt/\n"                              /* 9 */
                "ADD vendor.tar.gz /opt/\n"                                             /* 10 */
                "COPY --from=builder /venv /venv\n"                                     /* 11 */
                "COPY --chown=app:app . .\n",                                           /* 12 */
                "secret.env\n");
        struct conversion *cv = &w->cv;
        assert_string_equal(cv->from_python, "3.9");
        assert_true(cv->from_alpine);
        assert_string_equal(cv->workdir, "/srv");
        /* requirements.txt went to /srv/requirements.txt and pip read it from there */
        assert_int_equal(cv->requirement_files.n, 1);
        assert_string_equal(cv->requirement_files.v[0], "requirements.txt");
        assert_string_equal(cv->requirement_file_origins.v[0], "Dockerfile:4");
        assert_int_equal(cv->n_reqs, 1);
        assert_string_equal(cv->reqs[0].text, "gunicorn==21.2");
        assert_true(cv->install_project);
        /* each copy: from (context-relative), to, directory or not */
        struct {
                const char *from, *to;
                bool dir;
        } want[] = {
            {"requirements.txt", "/srv/requirements.txt", false},
            {"app", "/srv/app", true},
            {"conf/settings.ini", "/etc/app.ini", false},
            {"a.py", "/srv/lib/a.py", false},
            {"b.py", "/srv/lib/b.py", false},
            {".", "/srv", true},
        };
        assert_int_equal(cv->n_copies, sizeof(want) / sizeof(*want));
        for (size_t i = 0; i < cv->n_copies; i++) {
                assert_string_equal(cv->copies[i].from, want[i].from);
                assert_string_equal(cv->copies[i].to, want[i].to);
                assert_int_equal(cv->copies[i].is_dir, want[i].dir);
        }
        const char *detail;
        assert_string_equal(outcome_at(w, 8, &detail), "converted");
        assert_non_null(strstr(detail, "secret.env is excluded by .dockerignore"));
        assert_string_equal(outcome_at(w, 9, &detail), "manual");
        assert_non_null(strstr(detail, "fetched at build time"));
        assert_string_equal(outcome_at(w, 10, &detail), "manual");
        assert_non_null(strstr(detail, "ADD unpacks vendor.tar.gz"));
        assert_string_equal(outcome_at(w, 11, &detail), "manual");
        assert_non_null(strstr(detail, "image builder"));
        assert_string_equal(outcome_at(w, 12, &detail), "converted");
        assert_non_null(strstr(detail, "--chown/--chmod dropped"));
        release(w);
}

static void test_run_commands(void **state)
{
        struct world *w = *state;
        convert(w,
                "FROM python:3.11-alpine\n"                          /* 1 */
                "RUN addgroup -S app && adduser -S app -G app\n"     /* 2 */
                "RUN apk add --no-cache libpq py3-yaml \\\n"         /* 3 */
                "    && apk add --virtual .bd gcc musl-dev\n"        /* 4 */
                "RUN apk del .bd && rm -rf /var/cache/apk/*\n"       /* 5 */
                "RUN python -m venv /venv\n"                         /* 6 */
                "RUN pip install --upgrade pip setuptools wheel\n"   /* 7 */
                "RUN curl -sSL https://x | sh\n"                     /* 8 */
                "RUN make all\n"                                     /* 9 */
                "COPY poetry.lock .\n"                               /* 10 */
                "RUN poetry install --no-root\n"                     /* 11 */
                "RUN [\"python\", \"-m\", \"compileall\", \".\"]\n", /* 12 */
                NULL);
        struct conversion *cv = &w->cv;
        assert_string_equal(outcome_at(w, 2, NULL), "converted");
        /* the virtual group's packages are gone again; the others stay for mapping */
        assert_int_equal(cv->apk.n, 2);
        assert_string_equal(cv->apk.v[0], "libpq");
        assert_string_equal(cv->apk.v[1], "py3-yaml");
        assert_string_equal(cv->apk_origins.v[0], "Dockerfile:3");
        assert_string_equal(cv->venv, "/venv");
        assert_int_equal(cv->n_reqs, 0); /* pip, setuptools, wheel are build tools */
        const char *detail;
        assert_string_equal(outcome_at(w, 8, &detail), "review");
        assert_non_null(strstr(detail, "pipe"));
        assert_string_equal(outcome_at(w, 9, &detail), "review");
        assert_non_null(strstr(detail, "`make all` not understood"));
        assert_int_equal(cv->lock_files.n, 1);
        assert_string_equal(cv->lock_files.v[0], "poetry.lock");
        assert_string_equal(outcome_at(w, 12, NULL), "converted");
        release(w);
}

static void test_settings_and_command(void **state)
{
        struct world *w = *state;
        convert(w,
                "ARG PORT=8000\n"                                             /* 1 */
                "FROM python:3.11 AS base\n"                                  /* 2 */
                "ENV APP_MODE=prod PATH=/venv/bin:$PATH PIP_NO_CACHE_DIR=1\n" /* 3 */
                "FROM base\n"                                                 /* 4 */
                "ARG PORT\n"                                                  /* 5 */
                "EXPOSE ${PORT} 9000-9002/udp 80/sctp\n"                      /* 6 */
                "LABEL a=1 b=\"two words\"\n"                                 /* 7 */
                "LABEL a=3\n"                                                 /* 8 */
                "USER 1001:1001\n"                                            /* 9 */
                "WORKDIR app\n"                                               /* 10 */
                "VOLUME [\"/data\"]\n"                                        /* 11 */
                "STOPSIGNAL SIGQUIT\n"                                        /* 12 */
                "HEALTHCHECK CMD curl -f http://localhost/ || exit 1\n"       /* 13 */
                "SHELL [\"/bin/bash\", \"-c\"]\n"                             /* 14 */
                "ONBUILD RUN echo hi\n"                                       /* 15 */
                "ENTRYPOINT [\"python\", \"-u\", \"main.py\"]\n"              /* 16 */
                "CMD serve --port 8000\n"                                           /* 17 */
                "CMD echo $HOME | tee /tmp/x\n",                              /* 18 */
                NULL);
        struct conversion *cv = &w->cv;
        /* ENV of the stage built FROM carries; PATH and pip's settings do not */
        assert_string_equal(cv_env_get(cv, "APP_MODE"), "prod");
        assert_null(cv_env_get(cv, "PATH"));
        assert_null(cv_env_get(cv, "PIP_NO_CACHE_DIR"));
        assert_int_equal(cv->ports.n, 4);
        assert_string_equal(cv->ports.v[0], "8000/tcp");
        assert_string_equal(cv->ports.v[1], "9000/udp");
        assert_string_equal(cv->ports.v[3], "9002/udp");
        const char *detail;
        assert_string_equal(outcome_at(w, 6, &detail), "review");
        assert_non_null(strstr(detail, "80/sctp"));
        assert_int_equal(cv->label_keys.n, 2);
        assert_string_equal(cv->label_values.v[0], "3");
        assert_string_equal(cv->label_values.v[1], "two words");
        assert_string_equal(cv->user, "app"); /* a numeric USER has no name to keep */
        assert_string_equal(cv->workdir, "/app");
        assert_string_equal(cv->volumes.v[0], "/data");
        assert_string_equal(cv->stop_signal, "SIGQUIT");
        assert_string_equal(outcome_at(w, 13, NULL), "dropped");
        assert_string_equal(outcome_at(w, 14, NULL), "dropped");
        assert_string_equal(outcome_at(w, 15, NULL), "dropped");
        assert_true(cv->has_entrypoint);
        assert_int_equal(cv->entrypoint.n, 3);
        assert_string_equal(cv->entrypoint.v[2], "main.py");
        /* the shell-form CMD of line 17 became exec form; line 18's needs a shell: refused,
         * the earlier CMD stays */
        assert_string_equal(outcome_at(w, 17, NULL), "converted");
        assert_string_equal(outcome_at(w, 18, &detail), "refused");
        assert_non_null(strstr(detail, "no shell"));
        assert_int_equal(cv->cmd.n, 3);
        assert_string_equal(cv->cmd.v[1], "--port");
        release(w);
}

static void test_stages(void **state)
{
        struct world *w = *state;
        convert(w,
                "FROM python:3.11 AS build\n"
                "RUN pip wheel -w /wheels .\n"
                "FROM python:3.11-slim\n"
                "COPY --from=build /wheels /wheels\n"
                "CMD [\"python\", \"-m\", \"app\"]\n",
                NULL);
        const char *detail;
        assert_string_equal(outcome_at(w, 1, &detail), "dropped");
        assert_non_null(strstr(detail, "build stage build"));
        assert_string_equal(outcome_at(w, 4, &detail), "manual");
        assert_non_null(strstr(detail, "build stage build"));
        /* the build stage's RUN was never looked at */
        for (size_t i = 0; i < json_array_size(w->cv.report); i++)
                assert_int_not_equal(
                    json_integer_value(json_object_get(json_array_get(w->cv.report, i), "line")),
                    2);
        assert_string_equal(w->cv.from_image, "python:3.11-slim");
        release(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_python_of_image),
            cmocka_unit_test(test_split_commands),
            cmocka_unit_test_setup_teardown(test_copies_and_requirements, setup, teardown),
            cmocka_unit_test_setup_teardown(test_run_commands, setup, teardown),
            cmocka_unit_test_setup_teardown(test_settings_and_command, setup, teardown),
            cmocka_unit_test_setup_teardown(test_stages, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
