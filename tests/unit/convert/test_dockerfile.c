/* The Dockerfile parser against the Dockerfile reference's own examples and BuildKit's behaviour
 * (directives, comments, continuations, JSON and shell forms, ARG scoping, substitution,
 * multi-stage builds, heredocs refused, hostile input), and the shell-form argv against /bin/sh
 * itself: every command line it accepts must split as sh splits it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "distill/convert/dockerfile.h"
#include "fixture.h"

static struct dockerfile *parse_with(const char *text, const struct df_kv *args, size_t n_args)
{
        struct dockerfile *df = NULL;
        struct distill_error err = {0};
        int r = dockerfile_parse("Dockerfile", text, strlen(text), args, n_args, &df, &err);
        if (r != 0)
                fail_msg("parsing:\n%s\nfailed: %s", text, err.msg);
        assert_non_null(df);
        return df;
}

static struct dockerfile *parse(const char *text)
{
        return parse_with(text, NULL, 0);
}

/* Parsing len bytes of text must fail with DISTILL_EUSAGE, "Dockerfile:LINE: ...want...". */
static void expect_error_len(const char *text, size_t len, int line, const char *want)
{
        struct dockerfile *df = NULL;
        struct distill_error err = {0};
        int r = dockerfile_parse("Dockerfile", text, len, NULL, 0, &df, &err);
        char *prefix = line > 0 ? xasprintf("Dockerfile:%d: ", line) : xstrdup("Dockerfile");
        if (r != -DISTILL_EUSAGE || strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
            !strstr(err.msg, want))
                fail_msg("parsing:\n%.300s\nexpected %s...%s\ngot %d: %s", text, prefix, want, r,
                         err.msg);
        assert_null(df);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        if (getenv("SHOW_ERRORS"))
                fprintf(stderr, "%s\n", err.msg);
        free(prefix);
}

static void expect_error(const char *text, int line, const char *want)
{
        expect_error_len(text, strlen(text), line, want);
}

static const struct df_instruction *ins(const struct dockerfile *df, size_t stage, size_t i)
{
        assert_true(stage < df->n_stages);
        assert_true(i < df->stages[stage].n);
        return &df->stages[stage].v[i];
}

/* The value of key among an instruction's pairs (fails when absent). */
static const char *kv(const struct df_instruction *in, const char *key)
{
        for (size_t i = 0; i < in->n_kv; i++)
                if (strcmp(in->kv[i].key, key) == 0)
                        return in->kv[i].value;
        fail_msg("%s has no pair %s", in->text, key);
        return NULL;
}

static bool has_warning(const struct dockerfile *df, const char *want)
{
        for (size_t i = 0; i < df->warnings.n; i++)
                if (strstr(df->warnings.v[i], want))
                        return true;
        return false;
}

static void test_directives(void **state)
{
        (void)state;
        struct dockerfile *df = parse("# syntax=docker/dockerfile:1\n"
                                      "# ESCAPE=`\n"
                                      "#  check  =  skip=all  \n"
                                      "FROM alpine\n"
                                      "RUN a `\n"
                                      "  b\n");
        assert_int_equal(df->escape, '`');
        assert_int_equal(df->n_directives, 3);
        assert_string_equal(df->directives[0].key, "syntax");
        assert_string_equal(df->directives[0].value, "docker/dockerfile:1");
        assert_string_equal(df->directives[1].key, "escape");
        assert_string_equal(df->directives[2].key, "check");
        assert_string_equal(df->directives[2].value, "skip=all");
        assert_string_equal(ins(df, 0, 1)->args.v[0], "a   b");
        assert_int_equal(ins(df, 0, 1)->line, 5);
        dockerfile_free(df);

        /* a BOM is skipped; blanks before the # are allowed */
        df = parse("\xEF\xBB\xBF  # escape=`\nFROM x\n");
        assert_int_equal(df->escape, '`');
        dockerfile_free(df);

        /* An unknown directive is a comment and ends them; so do a comment, a blank line and an
         * instruction: the escape lines below are comments. */
        const char *not_directives[] = {
            "# unknowndirective=value\n# escape=`\nFROM x\nRUN a \\\n b\n",
            "# a comment\n# escape=`\nFROM x\nRUN a \\\n b\n",
            "\n# escape=`\nFROM x\nRUN a \\\n b\n",
            "FROM x\n# escape=`\nRUN a \\\n b\n",
            "# escape=\\\n# a comment\n# escape=`\nFROM x\nRUN a \\\n b\n",
        };
        for (size_t i = 0; i < sizeof(not_directives) / sizeof(*not_directives); i++) {
                df = parse(not_directives[i]);
                assert_int_equal(df->escape, '\\');
                const struct df_instruction *run = ins(df, 0, 1);
                assert_string_equal(run->args.v[0], "a  b");
                dockerfile_free(df);
        }

        expect_error("# escape=`\n# Escape=\\\nFROM x\n", 2,
                     "only one escape parser directive can be used");
        expect_error("# syntax=a\n# syntax=b\nFROM x\n", 2,
                     "only one syntax parser directive can be used");
        expect_error("# escape=x\nFROM x\n", 1, "invalid escape token 'x' does not match");
}

static void test_comments_and_continuations(void **state)
{
        (void)state;
        struct dockerfile *df = parse("FROM alpine\n"
                                      "# a comment\n"
                                      "   # an indented comment\n"
                                      "RUN apk add \\\n"
                                      "# a comment inside\n"
                                      "      # another\n"
                                      "    gnupg \\\n"
                                      "\n"
                                      "    curl\n"
                                      "USER app\n");
        const struct df_instruction *run = ins(df, 0, 1);
        assert_string_equal(run->keyword, "RUN");
        assert_int_equal(run->line, 4);
        assert_int_equal(run->form, DF_FORM_SHELL);
        assert_string_equal(run->args.v[0], "apk add     gnupg     curl");
        assert_string_equal(run->text, "RUN apk add     gnupg     curl");
        assert_int_equal(ins(df, 0, 2)->line, 10);
        assert_true(has_warning(df, "Dockerfile:4: empty continuation lines"));
        dockerfile_free(df);

        /* an escaped escape ends the line; blanks after the escape still continue it; CRLF */
        df = parse("FROM x\r\nRUN echo a\\\\\r\nRUN b \\  \t\r\n  c\r\n");
        assert_int_equal(df->stages[0].n, 3);
        assert_string_equal(ins(df, 0, 1)->args.v[0], "echo a\\\\");
        assert_string_equal(ins(df, 0, 2)->args.v[0], "b   c");
        dockerfile_free(df);

        /* a continuation at the end of the file: BuildKit ends the instruction there; distill
         * refuses a file cut short (the issue's hostile inputs) */
        expect_error("FROM x\nRUN echo hi \\", 2, "unterminated line continuation");
        expect_error("FROM x\nRUN echo hi \\\n# only a comment follows\n\n", 2,
                     "unterminated line continuation");
        expect_error("FROM x\nRUN \\", 2, "unterminated line continuation");

        expect_error("", 1, "file with no instructions");
        expect_error("# only\n\n  # comments\n", 3, "file with no instructions");
}

static void test_forms(void **state)
{
        (void)state;
        struct dockerfile *df =
            parse("FROM python:3.11\n"
                  "CMD [\"python\", \"-m\", \"pkg.mod\"]\n"
                  "CMD python app.py\n"
                  "CMD  [ \"a b\" , \"\\u00e9\\\"\" ]  \n"
                  "CMD [\"a\", 'b']\n"
                  "ENTRYPOINT [\"x\"] trailing text\n"
                  "COPY [\"a b\", \"c\", \"/dst/\"]\n"
                  "COPY a  b\t/dst/\n"
                  "SHELL [\"/bin/bash\", \"-c\"]\n"
                  "HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://localhost/ || exit 1\n"
                  "HEALTHCHECK CMD [\"/bin/check\"]\n"
                  "HEALTHCHECK NONE\n"
                  "VOLUME [\"/data\"]\n"
                  "VOLUME /a /b\n"
                  "RUN --mount=type=cache,target=/root/.cache --network=none pip install x\n"
                  "CMD []\n"
                  "ENTRYPOINT\n");
        const struct df_stage *st = &df->stages[0];
        assert_int_equal(st->n, 17);
        assert_int_equal(st->v[1].form, DF_FORM_JSON);
        assert_int_equal(st->v[1].args.n, 3);
        assert_string_equal(st->v[1].args.v[2], "pkg.mod");
        assert_int_equal(st->v[2].form, DF_FORM_SHELL);
        assert_int_equal(st->v[2].args.n, 1);
        assert_string_equal(st->v[2].args.v[0], "python app.py");
        assert_int_equal(st->v[3].form, DF_FORM_JSON);
        assert_string_equal(st->v[3].args.v[0], "a b");
        assert_string_equal(st->v[3].args.v[1], "\xc3\xa9\"");
        /* not JSON: single quotes */
        assert_int_equal(st->v[4].form, DF_FORM_SHELL);
        assert_string_equal(st->v[4].args.v[0], "[\"a\", 'b']");
        /* Go's json.Decoder stops after the array */
        assert_int_equal(st->v[5].form, DF_FORM_JSON);
        assert_int_equal(st->v[5].args.n, 1);
        assert_int_equal(st->v[6].form, DF_FORM_JSON);
        assert_string_equal(st->v[6].args.v[0], "a b");
        assert_int_equal(st->v[7].form, DF_FORM_SHELL);
        assert_int_equal(st->v[7].args.n, 3);
        assert_string_equal(st->v[7].args.v[2], "/dst/");
        assert_int_equal(st->v[8].form, DF_FORM_JSON);
        assert_int_equal(st->v[9].form, DF_FORM_SHELL);
        assert_string_equal(st->v[9].args.v[0], "curl -f http://localhost/ || exit 1");
        assert_int_equal(st->v[9].flags.n, 2);
        assert_string_equal(st->v[9].flags.v[0], "--interval=5s");
        assert_int_equal(st->v[10].form, DF_FORM_JSON);
        assert_string_equal(st->v[10].args.v[0], "/bin/check");
        assert_int_equal(st->v[11].form, DF_FORM_NONE);
        assert_int_equal(st->v[11].args.n, 0);
        assert_int_equal(st->v[12].form, DF_FORM_JSON);
        assert_int_equal(st->v[13].form, DF_FORM_SHELL);
        assert_int_equal(st->v[13].args.n, 2);
        assert_string_equal(st->v[14].flags.v[0], "--mount=type=cache,target=/root/.cache");
        assert_string_equal(st->v[14].flags.v[1], "--network=none");
        assert_string_equal(st->v[14].args.v[0], "pip install x");
        assert_int_equal(st->v[15].form, DF_FORM_JSON);
        assert_int_equal(st->v[15].args.n, 0);
        assert_int_equal(st->v[16].form, DF_FORM_NONE);
        dockerfile_free(df);

        expect_error("FROM x\nCMD [\"a\", 1]\n", 2, "arrays must be comprised of strings only");
        expect_error("FROM x\nRUN [\"a\\u0000b\"]\n", 2, "NUL character");
        expect_error("FROM x\nSHELL /bin/bash -c\n", 2,
                     "SHELL requires the arguments to be in "
                     "JSON form");
        expect_error("FROM x\nHEALTHCHECK FOO bar\n", 2, "unknown type \"FOO\" in HEALTHCHECK");
        expect_error("FROM x\nHEALTHCHECK NONE x\n", 2, "HEALTHCHECK NONE takes no arguments");
        expect_error("FROM x\nHEALTHCHECK CMD\n", 2, "missing command after HEALTHCHECK CMD");
        expect_error("FROM x\nCOPY a\n", 2, "COPY requires at least two arguments");
        expect_error("FROM x\nADD [\"a\"]\n", 2, "ADD requires at least two arguments");
        expect_error("FROM x\nUSER\n", 2, "USER requires exactly one argument");
        expect_error("FROM x\nEXPOSE\n", 2, "EXPOSE requires at least one argument");
        expect_error("FROM x\nVOLUME [\"\"]\n", 2, "VOLUME specified can not be an empty string");
}

static void test_flags(void **state)
{
        (void)state;
        struct dockerfile *df = parse("FROM x AS build\nFROM y\n"
                                      "COPY --link --chmod=644 --from=\"build\" -- --a b\n");
        const struct df_instruction *copy = ins(df, 1, 1);
        assert_int_equal(copy->flags.n, 3);
        assert_string_equal(copy->flags.v[0], "--link");
        assert_string_equal(copy->flags.v[2], "--from=build");
        /* "--" ends the flags */
        assert_string_equal(copy->args.v[0], "--a");
        dockerfile_free(df);

        expect_error("FROM x\nCOPY --foo=x a b\n", 2, "COPY: unknown flag: foo");
        expect_error("FROM x\nCOPY --chown a b\n", 2, "missing a value on flag: chown");
        expect_error("FROM x\nCOPY --from=a --from=b a b\n", 2, "duplicate flag specified: from");
        expect_error("FROM x\nCOPY --link=maybe a b\n", 2, "expecting boolean value for flag link");
        expect_error("FROM x\nUSER --name=a app\n", 2, "USER: unknown flag: name");
        expect_error("FROM --foo=bar x\n", 1, "FROM: unknown flag: foo");
        expect_error("FROM x\nRUN --mount echo\n", 2, "missing a value on flag: mount");
}

static void test_arg_scoping(void **state)
{
        (void)state;
        const char *text = "ARG BASE=python\n"
                           "ARG TAG=3.9-alpine3.15\n"
                           "ARG NOVALUE\n"
                           "FROM ${BASE}:${TAG} AS app\n"
                           "ARG TAG\n"
                           "ARG NOVALUE\n"
                           "ARG LOCAL=here-${TAG}\n"
                           "WORKDIR /srv/$TAG/${BASE}\n";
        struct dockerfile *df = parse(text);
        assert_int_equal(df->n_global_args, 3);
        assert_string_equal(df->global_args[1].value, "3.9-alpine3.15");
        assert_null(df->global_args[2].value);
        assert_string_equal(df->stages[0].image, "python:3.9-alpine3.15");
        assert_string_equal(ins(df, 0, 0)->args.v[0], "python:3.9-alpine3.15");
        assert_string_equal(kv(ins(df, 0, 1), "TAG"), "3.9-alpine3.15");
        assert_null(kv(ins(df, 0, 2), "NOVALUE"));
        assert_string_equal(kv(ins(df, 0, 3), "LOCAL"), "here-3.9-alpine3.15");
        /* BASE was not declared again in the stage: unset there */
        const struct df_instruction *wd = ins(df, 0, 4);
        assert_string_equal(wd->args.v[0], "/srv/3.9-alpine3.15/");
        assert_int_equal(wd->unset_vars.n, 1);
        assert_string_equal(wd->unset_vars.v[0], "BASE");
        dockerfile_free(df);

        /* build args override the defaults, global and in the stage; undeclared ones are not
         * visible */
        struct df_kv args[] = {{(char *)"TAG", (char *)"3.11-slim"},
                               {(char *)"LOCAL", (char *)"given"},
                               {(char *)"OTHER", (char *)"x"}};
        df = parse_with("ARG TAG=3.9\nFROM python:$TAG\nARG TAG=3.10\nARG LOCAL=default\n"
                        "USER $TAG-$LOCAL-$OTHER\n",
                        args, 3);
        assert_string_equal(df->stages[0].image, "python:3.11-slim");
        assert_string_equal(kv(ins(df, 0, 1), "TAG"), "3.11-slim");
        assert_string_equal(kv(ins(df, 0, 2), "LOCAL"), "given");
        assert_string_equal(ins(df, 0, 3)->args.v[0], "3.11-slim-given-");
        dockerfile_free(df);

        /* a global ARG's default substitutes the ones before it */
        df = parse("ARG A=1\nARG B=${A}2\nFROM img:$B\n");
        assert_string_equal(df->stages[0].image, "img:12");
        dockerfile_free(df);

        /* the automatic platform ARGs, when given, are visible in FROM */
        struct df_kv plat[] = {{(char *)"BUILDPLATFORM", (char *)"linux/amd64"}};
        df = parse_with("FROM --platform=$BUILDPLATFORM golang AS build\nARG BUILDPLATFORM\n"
                        "USER $BUILDPLATFORM\n",
                        plat, 1);
        assert_string_equal(df->stages[0].platform, "linux/amd64");
        assert_string_equal(ins(df, 0, 0)->flags.v[0], "--platform=linux/amd64");
        assert_string_equal(ins(df, 0, 2)->args.v[0], "linux/amd64");
        dockerfile_free(df);
        df = parse("FROM --platform=$BUILDPLATFORM golang\n");
        assert_string_equal(df->stages[0].platform, "");
        assert_string_equal(ins(df, 0, 0)->unset_vars.v[0], "BUILDPLATFORM");
        dockerfile_free(df);

        /* the reference's ARG examples: ENV wins over ARG */
        df = parse("FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\n"
                   "USER $CONT_IMG_VER\n");
        assert_string_equal(ins(df, 0, 3)->args.v[0], "v1.0.0");
        dockerfile_free(df);
        const char *ver = "FROM ubuntu\nARG CONT_IMG_VER\n"
                          "ENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\n";
        df = parse(ver);
        assert_string_equal(kv(ins(df, 0, 2), "CONT_IMG_VER"), "v1.0.0");
        dockerfile_free(df);
        struct df_kv v2[] = {{(char *)"CONT_IMG_VER", (char *)"v2.0.1"}};
        df = parse_with(ver, v2, 1);
        assert_string_equal(kv(ins(df, 0, 2), "CONT_IMG_VER"), "v2.0.1");
        dockerfile_free(df);

        expect_error("ARG IMG\nFROM $IMG\n", 2, "base name ($IMG) should not be blank");
        expect_error("FROM x\nARG =v\n", 2, "ARG names can not be blank");
        expect_error("FROM x\nARG\n", 2, "ARG requires at least one argument");
        expect_error("ARG A\n", 1, "no FROM instruction");
        expect_error("RUN true\nFROM x\n", 1, "RUN before the first FROM: no build stage");
}

static void test_substitution(void **state)
{
        (void)state;
        struct dockerfile *df = parse("FROM busybox\n"
                                      "ENV E=e EMPTY=\n"
                                      "LABEL a=${E:-d} b=${U:-d} c=${EMPTY:-d} d=${EMPTY-d}"
                                      " e=${U-d} f=${E:+w} g=${EMPTY:+w} h=${EMPTY+w}"
                                      " i=${U+w} j=${E:?m} k=${EMPTY?x} l=${E}_x m=$E_x"
                                      " n=\\$E o='$E' p=\"$E\" q=\"\\$E\" r=a$ s=${U:-${E:-x}}"
                                      " t=${U:-\"a b\"} u=$1$@\n"
                                      "ENV FOO=/bar\n"
                                      "WORKDIR ${FOO}\n"
                                      "ADD . $FOO\n"
                                      "COPY \\$FOO /quux\n"
                                      "EXPOSE $PORT 9090/udp\n");
        const struct df_instruction *label = ins(df, 0, 2);
        const char *want[][2] = {
            {"a", "e"}, {"b", "d"},   {"c", "d"},  {"d", ""},  {"e", "d"},  {"f", "w"},
            {"g", ""},  {"h", "w"},   {"i", ""},   {"j", "e"}, {"k", ""},   {"l", "e_x"},
            {"m", ""},  {"n", "$E"},  {"o", "$E"}, {"p", "e"}, {"q", "$E"}, {"r", "a$"},
            {"s", "e"}, {"t", "a b"}, {"u", ""},
        };
        assert_int_equal(label->n_kv, sizeof(want) / sizeof(*want));
        for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
                if (strcmp(kv(label, want[i][0]), want[i][1]) != 0)
                        fail_msg("%s: \"%s\", expected \"%s\"", want[i][0], kv(label, want[i][0]),
                                 want[i][1]);
        /* the reference's example */
        assert_string_equal(ins(df, 0, 4)->args.v[0], "/bar");
        assert_string_equal(ins(df, 0, 5)->args.v[1], "/bar");
        assert_string_equal(ins(df, 0, 6)->args.v[0], "$FOO");
        assert_string_equal(ins(df, 0, 7)->args.v[0], "");
        assert_string_equal(ins(df, 0, 7)->unset_vars.v[0], "PORT");
        assert_string_equal(ins(df, 0, 7)->args.v[1], "9090/udp");
        dockerfile_free(df);

        /* the reference's ENV examples: a pair sees the values from before its instruction */
        df = parse("FROM x\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n"
                   "ENV MY_NAME=\"John Doe\" MY_DOG=Rex\\ The\\ Dog \\\n    MY_CAT=fluffy\n"
                   "ENV MY_VAR my-value and more\n"
                   "LABEL \"com.example.vendor\"=\"ACME Incorporated\" version=1.0\n");
        assert_string_equal(kv(ins(df, 0, 2), "def"), "hello");
        assert_string_equal(kv(ins(df, 0, 3), "ghi"), "bye");
        assert_string_equal(kv(ins(df, 0, 4), "MY_NAME"), "John Doe");
        assert_string_equal(kv(ins(df, 0, 4), "MY_DOG"), "Rex The Dog");
        assert_string_equal(kv(ins(df, 0, 4), "MY_CAT"), "fluffy");
        assert_string_equal(kv(ins(df, 0, 5), "MY_VAR"), "my-value and more");
        assert_true(has_warning(df, "Dockerfile:7: ENV: the legacy"));
        assert_string_equal(kv(ins(df, 0, 6), "com.example.vendor"), "ACME Incorporated");
        dockerfile_free(df);

        /* what is not substituted: RUN, CMD, ONBUILD, MAINTAINER */
        df = parse("FROM x\nENV E=e\nRUN echo $E\nCMD [\"$E\"]\nONBUILD RUN echo $E\n"
                   "MAINTAINER \"$E\"\n");
        assert_string_equal(ins(df, 0, 2)->args.v[0], "echo $E");
        assert_string_equal(ins(df, 0, 3)->args.v[0], "$E");
        assert_string_equal(ins(df, 0, 4)->args.v[0], "RUN echo $E");
        assert_string_equal(ins(df, 0, 5)->args.v[0], "\"$E\"");
        dockerfile_free(df);

        /* the backtick escape: a backslash is literal */
        df = parse("# escape=`\nFROM x\nENV A=a\nWORKDIR c:\\$A `$A\n");
        assert_string_equal(ins(df, 0, 2)->args.v[0], "c:\\a $A");
        dockerfile_free(df);

        /* flags of COPY and ADD are substituted, booleans left alone */
        df = parse("FROM x AS build\nFROM y\nARG U=app\nARG S=build\n"
                   "COPY --chown=$U:$U --from=${S} --link a /dst/\n");
        const struct df_instruction *copy = ins(df, 1, 3);
        assert_string_equal(copy->flags.v[0], "--chown=app:app");
        assert_string_equal(copy->flags.v[1], "--from=build");
        assert_string_equal(copy->flags.v[2], "--link");
        dockerfile_free(df);

        expect_error("FROM x\nUSER ${U:?user must be set}\n", 2, "U: user must be set");
        expect_error("FROM x\nENV EMPTY=\nUSER ${EMPTY:?}\n", 3,
                     "EMPTY: is not allowed to be empty");
        expect_error("FROM x\nUSER ${U?}\n", 2, "U: is not allowed to be unset");
        expect_error("FROM x\nUSER ${}\n", 2, "bad substitution");
        expect_error("FROM x\nUSER ${:a}\n", 2, "bad substitution");
        expect_error("FROM x\nUSER ${a\n", 2, "missing '}'");
        expect_error("FROM x\nUSER ${a:-b\n", 2, "missing '}'");
        expect_error("FROM x\nUSER ${a!b}\n", 2, "missing ':' in substitution");
        expect_error("FROM x\nUSER ${a:=b}\n", 2, "unsupported modifier (=) in substitution");
        expect_error("FROM x\nUSER ${a#b}\n", 2, "pattern matching is not supported");
        expect_error("FROM x\nUSER 'a\n", 2, "matching single-quote");
        expect_error("FROM x\nUSER \"a\n", 2, "matching double-quote");
        expect_error("FROM x\nENV a=\"b\n", 2, "matching double-quote");
}

static void test_multistage(void **state)
{
        (void)state;
        struct dockerfile *df = parse("FROM python:3.11 AS Build\n"
                                      "ENV VENV=/venv\n"
                                      "RUN python -m venv $VENV\n"
                                      "FROM build AS test\n"
                                      "WORKDIR $VENV\n"
                                      "ENV VENV=/other\n"
                                      "FROM python:3.11-slim\n"
                                      "COPY --from=build /venv /venv\n"
                                      "WORKDIR /x$VENV\n");
        assert_int_equal(df->n_stages, 3);
        assert_string_equal(df->stages[0].name, "build");
        assert_string_equal(df->stages[0].image, "python:3.11");
        assert_int_equal(df->stages[0].base, -1);
        assert_int_equal(df->stages[0].line, 1);
        assert_string_equal(ins(df, 0, 0)->keyword, "FROM");
        assert_string_equal(ins(df, 0, 0)->args.v[2], "Build");
        assert_int_equal(df->stages[1].base, 0);
        assert_string_equal(ins(df, 1, 1)->args.v[0], "/venv");
        assert_null(df->stages[2].name);
        assert_int_equal(df->stages[2].base, -1);
        assert_string_equal(ins(df, 2, 1)->flags.v[0], "--from=build");
        assert_string_equal(ins(df, 2, 2)->args.v[0], "/x");
        assert_int_equal(dockerfile_stage_index(df, "BUILD", 2), 0);
        assert_int_equal(dockerfile_stage_index(df, "test", 2), 1);
        assert_int_equal(dockerfile_stage_index(df, "test", 1), -1);
        assert_int_equal(dockerfile_stage_index(df, "1", 2), 1);
        assert_int_equal(dockerfile_stage_index(df, "2", 2), -1);
        assert_int_equal(dockerfile_stage_index(df, "python", 3), -1);
        dockerfile_free(df);

        expect_error("FROM a AS x\nFROM b AS X\n", 2, "duplicate stage name \"x\"");
        expect_error("FROM a AS 1x\n", 1, "invalid name for build stage: \"1x\"");
        expect_error("FROM a AS x$y\n", 1, "invalid name for build stage");
        expect_error("FROM a b\n", 1, "FROM requires either one or three arguments");
        expect_error("FROM\n", 1, "FROM requires either one or three arguments");
}

static void test_heredocs(void **state)
{
        (void)state;
        expect_error("FROM x\nRUN <<EOF\necho hi\nEOF\n", 2,
                     "heredocs are not supported: RUN <<EOF");
        expect_error("FROM x\nCOPY <<EOF /etc/x\ncontent\nEOF\n", 2,
                     "heredocs are not supported: COPY <<EOF");
        expect_error("FROM x\nRUN --network=none cat <<-'EOT' > f\n\tx\nEOT\n", 2,
                     "heredocs are not supported: RUN <<-'EOT'");
        expect_error("FROM x\nRUN python3 2<<\"PY\"\nprint(1)\nPY\n", 2, "2<<\"PY\"");
        expect_error("FROM x\nONBUILD ADD <<EOF /x\nEOF\n", 2, "heredocs are not supported");
        /* not heredocs, as BuildKit tells them apart */
        struct dockerfile *df = parse("FROM x\nRUN echo '<<EOF'\nRUN echo $((1<<2))\n"
                                      "RUN [\"cat\", \"<<EOF\"]\nCMD cat <<EOF\n");
        assert_int_equal(df->stages[0].n, 5);
        dockerfile_free(df);
}

static void test_other_instructions(void **state)
{
        (void)state;
        struct dockerfile *df = parse("from alpine:3.15\n"
                                      "maintainer Jane Doe <jane@example.com>\n"
                                      "onbuild  ADD . /app/src\n"
                                      "Stopsignal SIGTERM\n"
                                      "USER app:app\n"
                                      "WORKDIR /my dir\n");
        const struct df_instruction *m = ins(df, 0, 1);
        assert_string_equal(m->keyword, "MAINTAINER");
        assert_string_equal(m->args.v[0], "Jane Doe <jane@example.com>");
        assert_true(has_warning(df, "Dockerfile:2: MAINTAINER is deprecated"));
        assert_string_equal(ins(df, 0, 2)->keyword, "ONBUILD");
        assert_string_equal(ins(df, 0, 2)->args.v[0], "ADD . /app/src");
        assert_string_equal(ins(df, 0, 3)->args.v[0], "SIGTERM");
        assert_string_equal(ins(df, 0, 4)->args.v[0], "app:app");
        assert_string_equal(ins(df, 0, 5)->args.v[0], "/my dir");
        dockerfile_free(df);

        expect_error("FROM x\nFOO bar\n", 2, "unknown instruction: FOO");
        expect_error("FROM x\nRUN a \\\n  b\n\nfoo\n", 5, "unknown instruction: foo");
        expect_error("FROM x\nONBUILD ONBUILD RUN x\n", 2, "ONBUILD ONBUILD");
        expect_error("FROM x\nONBUILD FROM y\n", 2, "FROM isn't allowed as an ONBUILD trigger");
        expect_error("FROM x\nONBUILD\n", 2, "ONBUILD requires at least one argument");
        expect_error("FROM x\nENV A\n", 2, "ENV must have two arguments");
        expect_error("FROM x\nENV A=1 B\n", 2, "can't find = in \"B\"");
        expect_error("FROM x\nLABEL =x\n", 2, "LABEL names can not be blank");
}

/* The shape of the issue's Dockerfiles, end to end. */
static void test_alpine_app(void **state)
{
        (void)state;
        struct dockerfile *df =
            parse("# syntax=docker/dockerfile:1\n"
                  "ARG PYTHON_VERSION=3.9\n"
                  "FROM python:${PYTHON_VERSION}-alpine3.15\n"
                  "LABEL org.opencontainers.image.title=\"web\" maintainer=\"team@example.com\"\n"
                  "ENV PYTHONDONTWRITEBYTECODE=1 \\\n    PYTHONUNBUFFERED=1\n"
                  "RUN addgroup -S app && adduser -S app -G app\n"
                  "WORKDIR /app\n"
                  "COPY requirements.txt .\n"
                  "RUN pip install --no-cache-dir -r requirements.txt\n"
                  "COPY --chown=app:app . .\n"
                  "USER app\n"
                  "EXPOSE 8000\n"
                  "CMD [\"python\", \"-m\", \"web.server\"]\n");
        assert_int_equal(df->n_stages, 1);
        const struct df_stage *st = &df->stages[0];
        assert_string_equal(st->image, "python:3.9-alpine3.15");
        assert_int_equal(st->n, 11);
        assert_string_equal(kv(&st->v[2], "PYTHONUNBUFFERED"), "1");
        assert_int_equal(st->v[3].line, 7);
        assert_string_equal(st->v[7].flags.v[0], "--chown=app:app");
        assert_string_equal(st->v[7].args.v[0], ".");
        assert_string_equal(st->v[10].args.v[2], "web.server");
        dockerfile_free(df);
}

static void test_hostile(void **state)
{
        (void)state;
        /* a 10 MB line */
        struct strbuf line = STRBUF_INIT;
        strbuf_adds(&line, "FROM x\nRUN ");
        for (int i = 0; i < 10 * 1024; i++)
                strbuf_adds(&line,
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assert_true(line.len > 10 * 1024 * 1024);
        expect_error(line.buf, 2, "dockerfile line greater than max allowed size of 65535");
        strbuf_release(&line);

        /* more than the input cap */
        size_t huge = DOCKERFILE_MAX_SIZE + 1;
        char *text = xmalloc(huge + 1);
        memset(text, '\n', huge);
        text[huge] = '\0';
        expect_error_len(text, huge, 0, "larger than");

        /* NUL bytes, binary garbage, invalid UTF-8 (in a comment it is tolerated) */
        expect_error_len("FROM x\nRUN a\0b\n", 14, 2, "a NUL byte");
        expect_error("FROM x\nRUN echo \xff\xfe\n", 2, "not valid UTF-8");
        struct dockerfile *df = parse("# caf\xe9\nFROM x\n");
        dockerfile_free(df);
        srand(12);
        for (int round = 0; round < 200; round++) {
                size_t n = 1 + (size_t)(rand() % 4096);
                for (size_t i = 0; i < n; i++)
                        text[i] = (char)(1 + rand() % 255);
                text[n] = '\0';
                struct distill_error err = {0};
                df = NULL;
                int r = dockerfile_parse("Dockerfile", text, n, NULL, 0, &df, &err);
                assert_int_equal(r, -DISTILL_EUSAGE);
                assert_null(df);
                assert_true(strncmp(err.msg, "Dockerfile:", 11) == 0);
        }

        /* deep nesting: capped, and fine below the cap */
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "FROM x\nUSER ");
        for (int i = 0; i < 1000; i++)
                strbuf_adds(&sb, "${a:-");
        strbuf_adds(&sb, "x");
        for (int i = 0; i < 1000; i++)
                strbuf_adds(&sb, "}");
        expect_error(sb.buf, 2, "nested deeper than 32 levels");
        strbuf_reset(&sb);
        strbuf_adds(&sb, "FROM x\nUSER ");
        for (int i = 0; i < 30; i++)
                strbuf_adds(&sb, "${a:-");
        strbuf_adds(&sb, "deep");
        for (int i = 0; i < 30; i++)
                strbuf_adds(&sb, "}");
        df = parse(sb.buf);
        assert_string_equal(ins(df, 0, 1)->args.v[0], "deep");
        dockerfile_free(df);
        strbuf_reset(&sb);
        strbuf_adds(&sb, "FROM x\nUSER ");
        for (int i = 0; i < 10000; i++)
                strbuf_adds(&sb, "${a:-");
        expect_error(sb.buf, 2, "USER: failed to process");

        /* too many instructions */
        strbuf_reset(&sb);
        strbuf_adds(&sb, "FROM x\n");
        for (int i = 0; i < DOCKERFILE_MAX_INSTRUCTIONS + 5; i++)
                strbuf_adds(&sb, "USER a\n");
        expect_error(sb.buf, DOCKERFILE_MAX_INSTRUCTIONS + 1, "more than 65536 instructions");

        /* ENV X=$X$X doubles X: substitution output is capped */
        strbuf_reset(&sb);
        strbuf_adds(&sb, "FROM x\nENV X=0123456789abcdef\n");
        for (int i = 0; i < 64; i++)
                strbuf_adds(&sb, "ENV X=$X$X\n");
        expect_error(sb.buf, 3 + 16, "the substituted word is longer than");
        /* ... and across stages inheriting it */
        strbuf_reset(&sb);
        strbuf_adds(&sb, "FROM x AS s0\nENV X=0123456789abcdef\n");
        for (int i = 0; i < 16; i++)
                strbuf_adds(&sb, "ENV X=$X$X\n");
        for (int i = 1; i < 200; i++)
                strbuf_addf(&sb, "FROM s%d AS s%d\nENV Y%d=$X\n", i - 1, i, i);
        expect_error(sb.buf, 0, "bytes in all");

        /* an unterminated quote in a flag or a word is an error, not a hang */
        expect_error("FROM x\nCOPY --chown=\"a b\n", 2, "but none were provided");
        strbuf_release(&sb);
        free(text);
}

/* ---- dockerfile_shell_argv, with /bin/sh as the oracle ---- */

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

/* The words /bin/sh gives printf for cmd, as "[w1][w2]...". */
static char *sh_words(const char *cmd)
{
        char *script = path_join(tmp, "words.sh");
        char *body = xasprintf("printf '[%%s]' %s\n", cmd);
        fixture_write(script, body);
        char *out = fixture_sh_out("/bin/sh %s", script);
        assert_non_null(out);
        free(body);
        free(script);
        return out;
}

static void test_shell_argv(void **state)
{
        (void)state;
        const char *plain[] = {
            "python app.py",
            "python -m pkg.mod --port 8000",
            "gunicorn -b 0.0.0.0:8000 'app:create_app()'",
            "echo \"a b\" 'c d' e\\ f",
            "python \"\" x",
            "python \"a\\\"b\\\\c\\d\" 'it'\\''s'",
            "python x=1 --opt=\"a b\"",
            "python -c \"print('hi')\"",
            "  python\tapp.py  ",
            "python a\\\nb",
            "python app.py # start it",
            "python a#b {} ] ! % ^ , . : @",
            "python $ end",
        };
        for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++) {
                struct strvec argv = STRVEC_INIT;
                const char *why = NULL;
                if (dockerfile_shell_argv(plain[i], &argv, &why) != 0)
                        fail_msg("\"%s\" refused: %s", plain[i], why);
                struct strbuf got = STRBUF_INIT;
                for (size_t k = 0; k < argv.n; k++)
                        strbuf_addf(&got, "[%s]", argv.v[k]);
                char *want = sh_words(plain[i]);
                if (strcmp(strbuf_str(&got), want) != 0)
                        fail_msg("\"%s\": %s, /bin/sh says %s", plain[i], strbuf_str(&got), want);
                free(want);
                strbuf_release(&got);
                strvec_clear(&argv);
        }

        /* exec is the shell's: the command replaces it */
        struct strvec argv = STRVEC_INIT;
        const char *why = NULL;
        strvec_push(&argv, "kept");
        assert_int_equal(dockerfile_shell_argv("exec python app.py", &argv, &why), 0);
        assert_int_equal(argv.n, 3);
        assert_string_equal(argv.v[0], "kept");
        assert_string_equal(argv.v[1], "python");

        const char *refused[][2] = {
            {"a | b", "uses a pipe"},
            {"a && b", "uses &&"},
            {"a || b", "uses ||"},
            {"a; b", "chains commands with ;"},
            {"a & ", "runs a command in the background"},
            {"a > f", "redirects output"},
            {"a 2>&1", "redirects output"},
            {"a < f", "redirects input"},
            {"echo $HOME", "expands $VAR"},
            {"echo ${HOME}", "expands $VAR"},
            {"echo \"$HOME\"", "expands $VAR"},
            {"echo $(date)", "uses command substitution"},
            {"echo `date`", "uses command substitution"},
            {"echo \"`date`\"", "uses command substitution"},
            {"ls *.py", "uses a glob"},
            {"ls file?", "uses a glob"},
            {"ls [ab]", "uses a glob"},
            {"(a)", "uses a subshell"},
            {"FOO=1 python app.py", "sets a variable for the command"},
            {"cd /app", "uses a shell builtin"},
            {"exec cd /app", "uses a shell builtin"},
            {"if true; then a; fi", "uses a shell keyword"},
            {"~/bin/x", "expands ~"},
            {"python 'unterminated", "has an unterminated quote"},
            {"python \"unterminated", "has an unterminated quote"},
            {"", "is empty"},
            {"exec", "is empty"},
            {"# only a comment", "is empty"},
            {"exec -a name python", "passes options to exec"},
            {"a\nb", "runs several commands"},
        };
        for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
                why = NULL;
                if (dockerfile_shell_argv(refused[i][0], &argv, &why) != -1 || !why ||
                    strcmp(why, refused[i][1]) != 0)
                        fail_msg("\"%s\": expected refused (%s), got %s", refused[i][0],
                                 refused[i][1], why ? why : "accepted");
        }
        /* refused: argv untouched */
        assert_int_equal(argv.n, 3);
        /* quoted, they are words */
        assert_int_equal(dockerfile_shell_argv("echo 'a|b' \"c&&d\" \\> '$X' \"*\"", &argv, &why),
                         0);
        assert_string_equal(argv.v[4], "a|b");
        assert_string_equal(argv.v[7], "$X");
        strvec_clear(&argv);
        /* "FOO"=1 is a command name, not an assignment */
        assert_int_equal(dockerfile_shell_argv("\"FOO\"=1 x", &argv, &why), 0);
        assert_string_equal(argv.v[0], "FOO=1");
        strvec_clear(&argv);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_directives),
            cmocka_unit_test(test_comments_and_continuations),
            cmocka_unit_test(test_forms),
            cmocka_unit_test(test_flags),
            cmocka_unit_test(test_arg_scoping),
            cmocka_unit_test(test_substitution),
            cmocka_unit_test(test_multistage),
            cmocka_unit_test(test_heredocs),
            cmocka_unit_test(test_other_instructions),
            cmocka_unit_test(test_alpine_app),
            cmocka_unit_test(test_hostile),
            cmocka_unit_test(test_shell_argv),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
