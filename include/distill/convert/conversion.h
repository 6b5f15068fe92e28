/* What `distill convert` makes of a Dockerfile, between reading it and writing the manifest: the
 * image's settings, the app's files, the requirements to map, the packages chosen, and the
 * report — for each instruction what it became or why it was dropped. */
#ifndef DISTILL_CONVERSION_H
#define DISTILL_CONVERSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "distill/base/util.h"

/* What became of one instruction (or of one requirement, package, file). */
enum cv_outcome {
        CV_CONVERTED, /* carried into the manifest */
        CV_DROPPED,   /* not needed in a distroless image; the detail says why */
        CV_MANUAL,    /* needs a step distill cannot take (fetched content, another stage) */
        CV_REVIEW,    /* not understood: check what it did and carry it by hand */
        CV_REFUSED,   /* cannot carry over as written (needs a shell) */
};

struct cv_copy {     /* a COPY/ADD of the build context */
        char *from;  /* relative to the context ("." for all of it) */
        char *to;    /* absolute image path */
        bool is_dir; /* the source is a directory (its contents are copied) */
        int line;
};

struct cv_requirement { /* one requirement to map onto a package */
        char *text;     /* PEP 508 as written ("flask>=2.2") */
        char *origin;   /* "requirements.txt:3" or "Dockerfile:9" */
        /* filled by reqmap */
        char *name;    /* normalised */
        char *package; /* the Debian package, or NULL */
        char *version; /* the distribution's version in that package */
        enum cv_outcome outcome;
        char *detail; /* what was found, or why not */
};

struct conversion {
        const char *dockerfile_name; /* as messages name it ("Dockerfile") */
        char *context;               /* absolute */

        /* the final stage */
        char *from_image;  /* "python:3.9-alpine3.15" */
        char *from_python; /* "3.9" when FROM names a python image, else NULL */
        bool from_alpine;  /* an Alpine (musl) base */
        struct strvec env; /* "KEY=value", in order, a key set twice keeps its last value */
        char *workdir;     /* absolute; NULL until a WORKDIR */
        char *user;        /* USER's name, NULL when none (root) */
        struct strvec label_keys, label_values;
        struct strvec ports; /* "8080/tcp" */
        struct strvec volumes;
        char *stop_signal;
        struct strvec entrypoint, cmd; /* exec form (a shell form is converted or refused) */
        bool has_entrypoint, has_cmd;
        int entrypoint_line, cmd_line;

        struct cv_copy *copies;
        size_t n_copies;
        char *dockerignore; /* the context's .dockerignore, absolute, or NULL */
        char *venv;         /* RUN python -m venv DIR */

        struct strvec requirement_files; /* context-relative, in install order */
        struct strvec requirement_file_origins;
        bool install_project;     /* pip install . : the context's pyproject.toml */
        struct strvec lock_files; /* poetry.lock, uv.lock (context-relative) that
                                   * `poetry install` / `uv sync` install from */
        struct strvec lock_file_origins;
        struct cv_requirement *reqs;
        size_t n_reqs;
        struct strvec apk; /* Alpine packages, as written, for mapping */
        struct strvec apk_origins;

        /* the manifest's packages with why each is there */
        struct strvec packages, package_why;
        struct strvec packages_whole; /* those kept whole (`keep: all`): what apk installed */
        struct strvec notes;          /* warnings for the report and the manifest's head */

        json_t *report; /* array of {line, instruction, outcome, detail} */
};

void conversion_init(struct conversion *cv);
void conversion_release(struct conversion *cv);
const char *cv_outcome_name(enum cv_outcome o); /* "converted", "dropped", … */
/* One report entry; `line` 0 for none. */
void cv_report(struct conversion *cv, int line, const char *instruction, enum cv_outcome o,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void cv_note(struct conversion *cv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cv_add_requirement(struct conversion *cv, const char *text, const char *origin);
void cv_add_package(struct conversion *cv, const char *package, const char *why);
/* A package the Dockerfile installed as a whole (apk add): kept whole, as the Alpine image had
 * it, rather than only what the closure reaches (a data package such as tzdata is reached by
 * no import). */
void cv_add_whole_package(struct conversion *cv, const char *package, const char *why);
/* KEY's value in env, NULL when unset. */
const char *cv_env_get(const struct conversion *cv, const char *key);
void cv_env_set(struct conversion *cv, const char *key, const char *value);

#endif
