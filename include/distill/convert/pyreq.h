/* Python requirements: PEP 508 dependency specifiers as `packaging` 23.0 parses them, PEP 503
 * names, environment markers evaluated for a target interpreter (not the one running distill),
 * and requirements.txt files as pip 23 reads them.
 *
 * Departures, each refused with a message rather than guessed at: a backslash, CR, LF or NUL
 * inside a marker's quoted string (packaging reads Python escapes there); a comparison of two
 * quoted strings or two variables in a marker (packaging looks the string up as a variable name,
 * or compares with the name); a marker comparison neither a version nor a string comparison
 * can make (`os_name ~= "x"`). When a version operator has a value that is not a version on one
 * side, strings are compared as PEP 508 says (packaging 23.0 raises InvalidVersion). A bare
 * marker (pyreq_marker_eval) must be consumed to its end (packaging 23.0 stops where it can). */
#ifndef DISTILL_PYREQ_H
#define DISTILL_PYREQ_H

#include <stdbool.h>
#include <stddef.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

#define PYREQ_MAX_LINE          (64u << 10) /* a logical line, continuations joined */
#define PYREQ_MAX_FILE          (4u << 20)  /* a requirements file */
#define PYREQ_MAX_INCLUDE_DEPTH 16          /* -r/-c nesting */
#define PYREQ_MAX_FILES         256         /* files read through includes, per top-level file */
#define PYREQ_MAX_REQUIREMENTS  100000      /* requirements, over all files */
#define PYREQ_MAX_MARKER_DEPTH  32          /* nested parentheses in a marker */

struct pyreq {
        char *name;           /* as written; NULL for a URL or path requirement without a name */
        char *normalized;     /* PEP 503 form of name (NULL with it) */
        struct strvec extras; /* as written, in order, each once */
        char *specifier;      /* comma-joined PEP 440 specifiers as written; "" when none */
        char *marker;         /* the marker after ';', NULL when none */
        char *url;            /* `name @ url`, an editable, a URL or a path: not mappable to a
                               * Debian package; NULL for a plain requirement */
        bool editable;        /* -e / --editable */
        bool constraint;      /* from a -c file */
        struct strvec hashes; /* "sha256:HEX", from --hash options */
        char *origin;         /* "path:line" */
};

struct pyreq_list {
        struct pyreq *v;
        size_t n;
        struct strvec ignored; /* "path:line: --index-url URL (ignored: ...)" */
};

/* One PEP 508 requirement ("name[extra] (>=1.0); python_version < '3.12'", "name @ url").
 * origin names it in messages ("requirements.txt:3"; NULL: "requirement"); out is owned by the
 * caller (pyreq_release) on success, untouched on failure. */
int pyreq_parse_line(const char *line, const char *origin, struct pyreq *out,
                     struct distill_error *err);
/* A requirement as pip takes it on a requirements.txt line or its command line: PEP 508, or a
 * URL (http, https, file, ftp, vcs+...), a path ("./pkg", "dist/x-1.0-py3-none-any.whl") or
 * an editable one (editable: the value of -e), which are kept with url set. Their name comes
 * from a wheel's file name or a #egg= fragment when they have one. */
int pyreq_parse_pip_arg(const char *arg, const char *origin, bool editable, struct pyreq *out,
                        struct distill_error *err);
void pyreq_release(struct pyreq *r);

/* A requirements file as pip reads it: comments, continuations, ${VAR} from env (name → char *
 * value; unset or empty: left as written, as pip does), -r/-c includes relative to the including
 * file (cycles refused, depth and count capped; a remote one is an error), --hash options,
 * editables, URLs and paths (kept, flagged), pip's global options (recorded in ignored). An
 * unknown option is an error, as in pip. pyreq_read_file reads with no variable set. */
int pyreq_read_file(const char *path, struct pyreq_list *out, struct distill_error *err);
int pyreq_read_file_env(const char *path, const struct strmap *env, struct pyreq_list *out,
                        struct distill_error *err);
void pyreq_list_release(struct pyreq_list *l);

/* The values markers see on the target (packaging's default_environment, for that machine). */
struct pyreq_env {
        char python_version[32];                    /* "3.11" */
        char python_full_version[32];               /* "3.11.2" */
        char implementation_version[32];            /* "3.11.2"; "3.12.0c1" for "3.12.0rc1" */
        const char *implementation_name;            /* "cpython" */
        const char *platform_python_implementation; /* "CPython" */
        const char *sys_platform;                   /* "linux" */
        const char *platform_system;                /* "Linux" */
        const char *os_name;                        /* "posix" */
        const char *platform_machine;               /* uname -m of the architecture; "" unknown */
        const char *platform_release;               /* "": the kernel is not the image's */
        const char *platform_version;               /* "" */
};
void pyreq_env_init(struct pyreq_env *env, const char *python_full_version,
                    const char *debian_arch);

/* Evaluates a marker ("python_version < '3.12' and extra == 'tests'") for env; extra is the
 * extra being installed (NULL: none, ""). Syntax errors name the column. */
int pyreq_marker_eval(const char *marker, const struct pyreq_env *env, const char *extra,
                      bool *result, struct distill_error *err);
/* The marker's syntax only (what packaging's Marker() accepts). */
int pyreq_marker_check(const char *marker, struct distill_error *err);

#endif
