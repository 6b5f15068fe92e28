/* The manifest (README, "Manifest"), parsed with libyaml and validated. Read-only after
 * manifest_load. */
#ifndef DISTILL_MANIFEST_H
#define DISTILL_MANIFEST_H

#include <stdbool.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

enum manifest_stdlib { MANIFEST_STDLIB_FULL, MANIFEST_STDLIB_IMPORTS };
enum manifest_imports { MANIFEST_IMPORTS_DEEP, MANIFEST_IMPORTS_SHALLOW, MANIFEST_IMPORTS_ALL };
enum manifest_layers { MANIFEST_LAYERS_SPLIT, MANIFEST_LAYERS_SINGLE };
/* packages[].keep: needed (what the closure reaches) or all (every file of the package). A
 * manifest with no python and no binaries section builds a base: its packages default to all. */
enum manifest_keep {
        MANIFEST_KEEP_NEEDED,
        MANIFEST_KEEP_ALL,
        MANIFEST_KEEP_UNSAID, /* only while parsing: the default is applied last */
};

struct manifest_copy { /* python.app, files.add */
        char *from;    /* absolute host path (relative ones are resolved against the manifest dir);
                        * NULL for a link */
        char *dockerignore; /* python.app: absolute path of a .dockerignore whose directory
                             * is the build context (from lies inside it): only what Docker's
                             * COPY would send is copied; NULL for none */
        char *link;         /* files.add {to, link}: a symbolic link to this target, as written */
        char *to;           /* absolute image path, normalised */
        int mode;           /* files.add mode, -1 when not given */
        char *origin;       /* "file:line:col" of the entry, for messages */
};

struct manifest_kv {
        char *key;
        char *value;
};

enum manifest_source_kind { MANIFEST_SOURCE_SYSROOT, MANIFEST_SOURCE_APT };

struct manifest_apt_source { /* source.apt.sources items (instead of `host`) */
        char *uri;
        struct strvec suites;
        struct strvec components;
        char *signed_by; /* absolute keyring path, or NULL for apt's default keyrings */
        char *origin;    /* "file:line:col" */
};

struct manifest {
        char *path; /* as given */
        char *dir;  /* absolute directory of the manifest */
        int version;

        enum manifest_source_kind source_kind;
        char *sysroot; /* source.sysroot, absolute; "/" by default */
        struct {
                bool host; /* sources: host — the build host's apt configuration */
                struct manifest_apt_source *v;
                size_t n;
                char *cache; /* absolute; default $XDG_CACHE_HOME/distill or ~/.cache/distill */
        } apt;
        struct strvec arch; /* at least one entry; default: the host's dpkg architecture */
        struct strvec packages;
        enum manifest_keep *package_keep; /* parallel to packages, defaults applied */
        struct strvec binaries;           /* absolute image paths */
        bool debug; /* debug: true — Debian's busybox-static under /busybox, its applet links,
                     * /busybox on PATH (the one place a shell may be) */

        bool has_python;
        struct {
                char *interpreter; /* default /usr/bin/python3 when a python section exists */
                struct manifest_copy *app;
                size_t n_app;
                char *entrypoint; /* image path of the script, or NULL */
                char *module;     /* or a module name, or NULL */
                enum manifest_stdlib stdlib;
                enum manifest_imports imports;
                bool all_locales; /* python.locales: all — every gettext catalogue of a literal
                                   * domain, not only those of the image's locales */
                struct strvec include_modules;
                struct strvec exclude_modules; /* globs: never kept, nor what only they need */
                struct strvec site_packages;   /* absolute host paths */
                bool bytecode;
        } python;

        struct strvec include; /* globs over candidate package files (image paths) */
        struct strvec exclude;
        struct manifest_copy *add;
        size_t n_add;

        struct strvec rules; /* absolute directories */

        struct {
                char *name;
                unsigned uid;
                unsigned gid;
                bool root; /* user.root: the image runs as root (0:0); the account above is
                            * still made, and runs nothing */
        } user;

        struct {
                char *ref; /* full reference, e.g. localhost/app:latest */
                struct strvec entrypoint;
                bool has_entrypoint;
                struct strvec cmd;
                struct manifest_kv *env; /* in manifest order; keys unique */
                size_t n_env;
                char *workdir;
                struct manifest_kv *labels;
                size_t n_labels;
                struct strvec exposed_ports; /* "8080/tcp" */
                char *stop_signal;           /* image.stop-signal as written, or NULL */
                struct strvec volumes;       /* image.volumes: absolute image paths */
                enum manifest_layers layers;
                bool zstd; /* image.compression: zstd (else gzip) */
                int compression_level; /* image.compression-level, 0 for the default */
        } image;

        struct {                    /* check: the proving run */
                struct strvec *run; /* commands, each an argv, run in the finished image */
                size_t n_run;
                bool trace;         /* run them first in a tree of every candidate file and keep
                                     * what they touched */
                unsigned timeout_s; /* per command */
        } check;
};

#define MANIFEST_DEBUG_PACKAGE         "busybox-static"
#define MANIFEST_DEBUG_DIR             "/busybox"
#define MANIFEST_CHECK_TIMEOUT_DEFAULT 300
#define MANIFEST_CHECK_TIMEOUT_MAX     86400

/* Parse and validate. Errors: DISTILL_EUSAGE with "file:line:col: message" for malformed YAML,
 * unknown keys, wrong types, missing values, a bad image.ref, app paths that do not exist;
 * DISTILL_EIO when the file cannot be read. */
int manifest_load(const char *path, struct manifest **out, struct distill_error *err);
/* The same from text already read; `path` names it in messages and places relative paths. */
int manifest_load_text(const char *path, const char *data, size_t len, struct manifest **out,
                       struct distill_error *err);
void manifest_free(struct manifest *m);

/* The image reference grammar (distribution/reference): [domain[:port]/]path[:tag][@digest].
 * Returns true when valid; on false, *why says what is wrong (static string). */
bool image_ref_valid(const char *ref, const char **why);

/* distill's cache directory: the apt source's cache when the manifest has one, else
 * $DISTILL_CACHE, $XDG_CACHE_HOME/distill or ~/.cache/distill. Caller frees. */
char *manifest_cache_dir(const struct manifest *m);

/* Whether an image path matches one of files.exclude's globs. */
bool manifest_excludes(const struct manifest *m, const char *path);

/* "3.11" from "/usr/bin/python3.11"; NULL when the basename is not pythonX.Y. Caller frees. */
char *manifest_python_version(const struct manifest *m);

#endif
