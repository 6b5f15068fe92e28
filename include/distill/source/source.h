/* Package sources (docs/architecture.md, "Package sources"): one interface, answered by a sysroot
 * (the packages installed in a root directory, here) or by Debian archives (source_apt.h). It
 * answers: which packages exist, which files does package P have, which package owns path X
 * (through the usrmerge aliases), give me the bytes of X. */
#ifndef DISTILL_SOURCE_H
#define DISTILL_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <solv/pool.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

struct source_pkg {
        char *name;
        char *version;
        char *arch;      /* "amd64", "all" */
        char *multiarch; /* "same", "foreign", "allowed" or NULL */
        char *source;    /* Source: field as written, or NULL */
        char *stanza; /* the dpkg status stanza minus Status/Conffiles/Config-Version, ending \n */
        struct strvec files; /* dpkg's paths ("/lib/x86_64-linux-gnu/libc.so.6"), in list order,
                              * without "/." ; diversions applied */
        Id solvable;         /* in source_pool() */
        /* archive sources: where the .deb is (from the Packages index) */
        char *base_uri;    /* the source's URI the Filename is relative to, or NULL */
        char *filename;    /* Filename: pool/main/p/python3.11/…deb */
        char *sha256;      /* SHA256: of the .deb */
        uint64_t size;     /* Size: of the .deb */
        bool selected;     /* in the candidate set (set by source_prepare) */
        int priority_rank; /* Priority: required 1, important 2, standard 3, optional 4,
                            * extra 5, absent SOURCE_PRIORITY_NONE */
};

#define SOURCE_PRIORITY_NONE 6

enum source_ftype { SOURCE_REG, SOURCE_DIR, SOURCE_SYMLINK, SOURCE_OTHER };

struct source_stat {
        enum source_ftype type;
        unsigned mode; /* permission bits incl. setuid/setgid/sticky */
        uint64_t size;
        char *link_target; /* symlinks only; caller frees */
};

struct source;

/* A source other than a sysroot (the apt source) supplies its files through a backend:
 * `prepare` gets the candidate packages once solve has chosen them (it fetches and indexes
 * their .debs and fills each package's `files` and `stanza`, calling source_add_alternative for
 * the alternatives their maintainer scripts install); lstat and open_file then answer for dpkg
 * paths of those packages. */
struct source_backend {
        int (*prepare)(void *impl, struct source *src, struct source_pkg *const *pkgs, size_t n,
                       struct distill_error *err);
        int (*lstat)(void *impl, const char *pkg_path, struct source_stat *st,
                     struct distill_error *err);
        int (*open_file)(void *impl, const char *pkg_path, int *fd, struct distill_error *err);
        /* a host file holding exactly the bytes of a regular file (for hard links), or NULL */
        char *(*blob_path)(void *impl, const char *pkg_path);
        /* a directory where derived data may be cached across builds, or NULL */
        const char *(*cache_dir)(void *impl);
        void (*free)(void *impl);
};

struct source_index_text { /* one Packages index */
        const char *text;
        size_t len;
        const char *name;     /* for messages: the index's path */
        const char *base_uri; /* what Filename fields are relative to */
};

/* A source from Packages indexes (several suites and components; several versions of a package
 * may exist, the solver picks one). Takes ownership of `impl` (freed by backend->free). */
int source_open_indexes(const char *arch, const struct source_index_text *indexes, size_t n,
                        const struct source_backend *backend, void *impl, struct source **out,
                        struct distill_error *err);
/* The parsed form of an archive's indexes, cached under DIR by a KEY the caller derives from
 * the indexes' hashes: 1 and *out when it loads exactly, 0 when absent or unusable (then it is
 * removed). On success the source owns `impl`. */
int source_load_cached(const char *dir, const char *key, const char *arch,
                       const struct source_backend *backend, void *impl, struct source **out);
int source_save_cached(struct source *src, const char *dir, const char *key,
                       struct distill_error *err);
/* Called once solve has chosen: marks the packages selected (source_find then prefers them)
 * and lets the backend fetch their files. A sysroot has them already: nothing to do. */
int source_prepare(struct source *src, struct source_pkg *const *pkgs, size_t n,
                   struct distill_error *err);
/* A host file with exactly the bytes of the regular file `pkg_path`, which stays unchanged
 * while the source is open (an archive source's content-addressed store): callers may hard-link
 * it instead of copying. NULL when the source has none (a sysroot's files may change). */
char *source_blob_path(struct source *src, const char *pkg_path);
/* Where a source keeps data across builds (an archive source's cache), or NULL. */
const char *source_cache_dir(struct source *src);
/* For backends: record an alternative (merged with others of the same name). */
void source_add_alternative(struct source *src, const char *name, const char *link,
                            const char *path, long priority, const struct strvec *slave_names,
                            const struct strvec *slave_links, const struct strvec *slave_paths);

/* Open the packages installed under `root` (absolute) for architecture `arch`. Reads
 * var/lib/dpkg/status (keeping only "install ok installed"), info/<pkg>[:arch].list and
 * diversions. Errors name the file and line. */
int source_open_sysroot(const char *root, const char *arch, struct source **out,
                        struct distill_error *err);
void source_free(struct source *src);

Pool *source_pool(struct source *src);
const char *source_root(const struct source *src);
const char *source_arch(const struct source *src);
size_t source_count(const struct source *src);
struct source_pkg *source_pkg_at(struct source *src, size_t i); /* sorted by name */
struct source_pkg *source_find(struct source *src, const char *name);
struct source_pkg *source_by_solvable(struct source *src, Id p);
/* The packages of the source that can satisfy what `pkg` Depends or Pre-Depends on (every
 * provider of every alternative, as libsolv answers), appended to *out without duplicates. */
void source_dependencies(struct source *src, const char *pkg, struct strvec *out);

/* lstat of a dpkg path, resolved inside the root: symlinks in the directory part are followed
 * within the root (never to the build host's files); the last component is not followed. */
int source_lstat(struct source *src, const char *pkg_path, struct source_stat *st,
                 struct distill_error *err);
/* Open a regular file of the root for reading (O_RDONLY|O_CLOEXEC, resolved inside the root).
 * Both: a path missing under the root (dpkg path-exclude leaves listed files absent) is
 * -DISTILL_ERESOLVE; a symlink as last component, a non-regular file or an I/O error is
 * -DISTILL_EIO. */
int source_open_file(struct source *src, const char *pkg_path, int *fd, struct distill_error *err);

/* Alternatives (docs/architecture.md, "Links ld.so and maintainer scripts expect"): links that
 * maintainer scripts would make with update-alternatives. The sysroot source reads them from
 * var/lib/dpkg/alternatives/<name> (link, slaves, and every alternative with its priority and slave
 * paths). */
struct source_alt_choice {
        char *path; /* the alternative's target ("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3") */
        long priority;
        /* parallel to source_alt.slave_links; "" where this choice has none */
        struct strvec slaves;
};

struct source_alt {
        char *name;  /* "libblas.so.3-x86_64-linux-gnu" */
        bool manual; /* status "manual": the admin's choice is the target of
                      * /etc/alternatives/<name>, not the highest priority */
        char *link;  /* master link path ("/usr/lib/x86_64-linux-gnu/libblas.so.3") */
        struct strvec slave_names;
        struct strvec slave_links;
        struct source_alt_choice *choices; /* in file order */
        size_t n_choices;
};

/* Read at source_open_sysroot (a missing alternatives dir means none); a malformed file fails
 * the open with an error naming file:line. */
size_t source_alt_count(const struct source *src);
const struct source_alt *source_alt_at(const struct source *src, size_t i); /* sorted by name */

#endif
