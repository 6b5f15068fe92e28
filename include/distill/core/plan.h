/* The plan (docs/architecture.md, "The plan"): a sorted map from image path to entry, each with the
 * reason it is there. Written to OUT/plan.json; `why` and `report` read what was built from it. */
#ifndef DISTILL_PLAN_H
#define DISTILL_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/core/store.h"

enum plan_type { PLAN_FILE, PLAN_DIR, PLAN_SYMLINK, PLAN_HARDLINK };

enum plan_reason_kind {
        PLAN_R_SEED,       /* interpreter, binaries, app files, stdlib: full */
        PLAN_R_INCLUDE,    /* files.include / files.add */
        PLAN_R_ELF_NEEDED, /* DT_NEEDED or PT_INTERP of another entry */
        PLAN_R_LINK,       /* a symlink on the way to another entry */
        PLAN_R_RULE,       /* a rule fired */
        PLAN_R_PYTHON_IMPORT,
        PLAN_R_GENERATED,      /* written by distill: passwd, CA bundle, ... */
        PLAN_R_PKG_METADATA,   /* status.d, md5sums, copyright of a kept package */
        PLAN_R_PARENT,         /* parent directory of another entry */
        PLAN_R_PY_C_IMPORT,    /* a module named in a kept extension module's strings */
        PLAN_R_PY_COMPUTED,    /* a computed import narrowed by literals, or a listed package */
        PLAN_R_PY_ENTRY_POINT, /* an entry point of a group kept code names */
        PLAN_R_PY_CODEC,       /* a codec module a literal encoding name finds */
        PLAN_R_PY_DATA_PATH,   /* a file or directory an absolute path literal names, a
                                * gettext catalogue of a literal domain */
        PLAN_R_PY_LIBRARY,     /* a shared library ctypes loads by a literal name */
        PLAN_R_PY_METADATA,    /* a distribution's metadata asked for by name */
        PLAN_R_PY_ALIAS,       /* a module a meta-path finder provides under another name */
        PLAN_R_ELF_PATH,       /* a file an ELF object's read-only strings name by path */
        PLAN_R_ELF_ICONV,      /* the gconv module iconv loads for a charset an object names */
        PLAN_R_OBSERVED,       /* opened, executed or imported by the check run (check.trace) */
};

struct plan_entry {
        char *path; /* absolute image path, normalised */
        enum plan_type type;
        unsigned mode; /* permission bits (no file type) */
        unsigned uid;
        unsigned gid;
        uint64_t size;                   /* files only */
        char *target;                    /* symlink target, or hardlink target path */
        char digest[SHA256_HEX_LEN + 1]; /* files: SHA-256 of the content in the store */
        char *pkg;                       /* owning package, NULL for generated/app files */
        char *pkg_path; /* the path as the package lists it (dpkg's), or the host source path of
                         * an app/add file */
        enum plan_reason_kind reason;
        char *reason_from;   /* the entry or seed that caused it */
        char *reason_detail; /* "NEEDED libssl.so.3", "rule ssl-ca-bundle: …" */
};

/* Regular files and their bytes. */
struct plan_count {
        uint64_t files;
        uint64_t bytes;
};

struct plan_package {
        char *name;
        char *version;
        char *arch;
        char *source;
        bool kept;      /* at least one of its files is in the image */
        char *added_by; /* NULL when the manifest asked for it (or a dependency); else the rule */
        /* the package's regular files the image leaves out: what `keep: all` would add (recorded
         * by select, since report never re-resolves) */
        struct plan_count unkept;
};

/* What made the image: recorded so that `report A B` can say why two images differ. NULL when
 * not known (a plan from a dry resolve, or an older plan.json). */
struct plan_provenance {
        char *distill_version;
        char *rules_digest; /* "sha256:…" */
        char *lock_digest;  /* "sha256:…" of the lockfile a --locked build followed */
};

struct plan {
        struct strmap entries;      /* path → struct plan_entry * */
        struct plan_entry **sorted; /* cache for plan_sorted(); NULL when stale */
        size_t n_sorted;

        char *arch;
        struct strvec requested;       /* manifest packages */
        struct strvec rule_packages;   /* packages loaded rules named that the source has */
        struct plan_package *packages; /* the candidate set, sorted by name */
        size_t n_packages;
        struct strvec warnings;          /* reported (setuid stripped, …) */
        struct strmap env;               /* image env added by rules: key → char * value */
        struct strvec generate;          /* generated artifacts requested by rules ("ca-bundle") */
        char *stdlib_dir;                /* "/usr/lib/python3.11" of a Python image, or NULL */
        struct plan_count stdlib_unkept; /* its files the image leaves out (`stdlib: full`) */
        struct plan_provenance provenance;
        size_t py_defs, py_defs_reached; /* defs of the scanned Python code, and how many the
                                          * program can reach (python.imports: deep) */
        size_t pyc_compiled, pyc_cached; /* .pyc compiled by this build, and taken from the
                                          * cache (python/bytecode) */
};

struct plan *plan_new(void);
void plan_free(struct plan *plan);

struct plan_entry *plan_get(const struct plan *plan, const char *path);
/* Insert a deep copy of *e unless the path exists. Returns the stored entry (existing or new);
 * *added (optional) tells which. First reason wins: breadth-first order makes that the shortest. */
struct plan_entry *plan_add(struct plan *plan, const struct plan_entry *e, bool *added);
/* Replace an entry (generated files that override a package's). */
struct plan_entry *plan_put(struct plan *plan, const struct plan_entry *e);
/* Whether an entry lies strictly below directory `dir`. */
bool plan_has_under(struct plan *plan, const char *dir);
/* Entries in path order (strcmp); valid until the plan changes. */
struct plan_entry *const *plan_sorted(struct plan *plan, size_t *n);
void plan_entry_release(struct plan_entry *e);

void plan_set_env(struct plan *plan, const char *key, const char *value);

const char *plan_type_name(enum plan_type t);
const char *plan_reason_name(enum plan_reason_kind k);

/* The mechanisms a reason kind belongs to, as `report` groups them: "manifest" (seeds,
 * includes), "elf" (NEEDED, paths and charsets its objects name), "import" (every Python
 * mechanism), "rule", "generated" (distill's own files and the kept packages' metadata),
 * "observed" (the check run), "structure" (links and parent directories). */
enum plan_reason_group {
        PLAN_G_MANIFEST,
        PLAN_G_ELF,
        PLAN_G_IMPORT,
        PLAN_G_RULE,
        PLAN_G_GENERATED,
        PLAN_G_OBSERVED,
        PLAN_G_STRUCTURE,
        PLAN_G_COUNT,
};
enum plan_reason_group plan_reason_group(enum plan_reason_kind k);
const char *plan_reason_group_name(enum plan_reason_group g);
#define PLAN_REASON_COUNT (PLAN_R_OBSERVED + 1)

/* plan.json: {"arch", "provenance":{distill_version,rules_digest,lock_digest} (when known),
 * "packages":[{name,version,arch,source,kept,added_by,unkept:{files,bytes}}], "requested":[…],
 * "rule_packages":[…], "env":{…} (sorted keys), "warnings":[…], "generate":[…],
 * "stdlib":{dir,unkept:{files,bytes}} (Python images),
 * "entries":[{path,type,mode,uid,gid,size,digest,target,package,package_path,
 * reason:{kind,from,detail}}]} with fixed key order (jansson, JSON_SORT_KEYS off, keys added in
 * order). Entries are in path order; mode is an octal string ("0755"); size and digest only for
 * files; target, package, package_path, from, detail only when set. type: plan_type_name();
 * kind: plan_reason_name(). plan_read_json treats the file as hostile (DISTILL_EUSAGE naming the
 * file and the entry index). */
int plan_write_json(struct plan *plan, const char *path, struct distill_error *err);
/* Where a build output's plan is: OUT/plan.json in an OCI layout (a directory with an
 * oci-layout file), OUT.plan.json beside a docker-archive or rootfs OUT. *path is NULL when
 * OUT is neither and not a directory (a manifest, say); a directory that is no output is
 * DISTILL_EUSAGE. Caller frees *path. */
int plan_json_of_output(const char *out, char **path, struct distill_error *err);
int plan_read_json(const char *path, struct plan **out, struct distill_error *err);

/* Adds a warning to the plan (printf-style): reported after the build and kept in plan.json. */
void plan_warn(struct plan *plan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
