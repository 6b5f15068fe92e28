/* A Dockerfile parsed as BuildKit parses it (the Dockerfile reference is the spec): parser
 * directives, comments, line continuations, JSON and shell forms, ARG scoping and the variable
 * substitution of the instructions that support it, multi-stage builds. Heredocs are refused.
 * The input is hostile: sizes, lines, instruction counts, substitution depth and output are
 * capped, and every error is DISTILL_EUSAGE naming file:line. */
#ifndef DISTILL_CONVERT_DOCKERFILE_H
#define DISTILL_CONVERT_DOCKERFILE_H

#include <stddef.h>

#include "distill/base/error.h"
#include "distill/base/util.h"

#define DOCKERFILE_MAX_SIZE         (16 * 1024 * 1024) /* bytes of input */
#define DOCKERFILE_MAX_LINE         65535              /* bytes of one physical line (BuildKit's) */
#define DOCKERFILE_MAX_INSTRUCTIONS 65536
#define DOCKERFILE_MAX_NESTING      32 /* ${a:-${b:-...}} levels */

/* How the arguments were written: not applicable, a JSON array (exec form), or shell form. */
enum df_form { DF_FORM_NONE, DF_FORM_JSON, DF_FORM_SHELL };

struct df_kv {
        char *key;
        char *value; /* NULL only for an ARG without a value (no default, no build arg) */
};

struct df_instruction {
        char *keyword; /* upper case: "FROM", "RUN", "COPY", ... */
        int line;      /* 1-based line where it starts */
        char *text;    /* as written (BuildKit's "Original"): continuation lines joined, comment
                        * lines inside them dropped, leading blanks removed */
        struct strvec flags; /* "--name=value" (or "--name" for a boolean written bare), in
                              * order; the values of FROM's, COPY's and ADD's flags after
                              * substitution, the others as written */
        enum df_form form;   /* RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK CMD: JSON or SHELL;
                              * COPY, ADD, VOLUME: JSON when written as an array, else SHELL;
                              * every other instruction (and HEALTHCHECK NONE, a bare CMD or
                              * ENTRYPOINT): NONE */
        struct strvec args;  /* JSON form: the items (for COPY, ADD and VOLUME after
                              * substitution); shell form of RUN, CMD, ENTRYPOINT and
                              * HEALTHCHECK: one item, the command text, unexpanded; otherwise
                              * the words after quote removal and substitution: COPY/ADD
                              * sources then destination, EXPOSE ports, VOLUME paths, USER,
                              * WORKDIR and STOPSIGNAL their one value, FROM image [AS name]
                              * (the image substituted); MAINTAINER its text; ONBUILD one item,
                              * the trigger instruction as written (not substituted); ENV, LABEL,
                              * ARG none (see kv); HEALTHCHECK NONE none */
        struct df_kv *kv;    /* ENV, LABEL and ARG pairs after substitution, in order (ENV and
                              * LABEL in both `K=V ...` and the legacy `K V` form) */
        size_t n_kv;
        struct strvec unset_vars; /* variables its substitution found unset ($X, ${X}; at most
                                   * 64, each once): BuildKit's UndefinedVar — they may come
                                   * from the base image's ENV, which a parser cannot see */
};

struct df_stage {
        char *image;    /* FROM's image after substitution of the global ARGs */
        char *name;     /* from `AS name`, lower-cased, or NULL */
        char *platform; /* --platform after substitution, or NULL */
        int line;       /* of the FROM */
        int base;       /* index of the earlier stage FROM names (its ENV is inherited), or -1 */
        struct df_instruction *v; /* the FROM itself first, then the stage's instructions */
        size_t n;
};

struct dockerfile {
        char *name;               /* as given to dockerfile_parse, for messages */
        char escape;              /* '\\' or '`' (the escape directive) */
        struct df_kv *directives; /* parser directives found: "syntax", "escape", "check"
                                   * (keys lower-cased), in order */
        size_t n_directives;
        struct df_kv *global_args; /* the ARGs before the first FROM, values after
                                    * substitution and build args (NULL: no value) */
        size_t n_global_args;
        struct df_stage *stages; /* in order; the last one is the image built */
        size_t n_stages;
        struct strvec warnings; /* "file:line: ..." for what BuildKit warns about or
                                 * tolerates: empty continuation lines, MAINTAINER, legacy
                                 * `ENV K V` (a continuation at the end of the file, which
                                 * BuildKit tolerates, is an error here) */
};

/* Parses text (len bytes, no NUL required; NUL bytes are an error) read from name. build_args
 * are the --build-arg values: they override the defaults of the ARGs that declare them (an
 * undeclared one is ignored), except BuildKit's automatic platform ARGs (TARGETPLATFORM,
 * TARGETOS, TARGETARCH, TARGETVARIANT and their BUILD* twins), which are visible in FROM lines
 * when given here, as BuildKit predefines them, and in a stage that declares them. Returns 0 and
 * *out (free with dockerfile_free), or -DISTILL_EUSAGE with a "name:line: ..." message. */
int dockerfile_parse(const char *name, const char *text, size_t len, const struct df_kv *build_args,
                     size_t n_build_args, struct dockerfile **out, struct distill_error *err);
void dockerfile_free(struct dockerfile *df);

/* The index of the stage a COPY --from= or FROM names: a stage name (case-insensitive) among
 * the first `before` stages, or a decimal stage index below `before`; -1 when it names none
 * (then it is an image). */
int dockerfile_stage_index(const struct dockerfile *df, const char *ref, size_t before);

/* A shell-form command as an argv when it is a plain command line (words, quotes, backslash
 * escapes, a trailing comment, a leading `exec`), as /bin/sh -c would run it; pushes the words
 * onto argv and returns 0. Returns -1 with *why (a static string: "uses a pipe", "uses &&",
 * "expands $VAR", "redirects output", "uses a glob", ...) and argv untouched when it needs a
 * shell. */
int dockerfile_shell_argv(const char *cmd, struct strvec *argv, const char **why);

#endif
