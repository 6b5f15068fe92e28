/* Paths inside the image root (docs/architecture.md, "Paths inside the image"). An image namespace
 * is the set of entries the image could contain (the candidate packages' files); resolution follows
 * symlinks inside it with a depth limit, clamps ".." at the root, treats absolute link targets as
 * relative to the root, and never looks at the build host's filesystem. */
#ifndef DISTILL_IMAGENS_H
#define DISTILL_IMAGENS_H

#include <stdbool.h>
#include <stdint.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

enum imagens_node_type { IMAGENS_FILE, IMAGENS_DIR, IMAGENS_SYMLINK };

struct imagens_node {
        char *path; /* normalised absolute image path (the key) */
        enum imagens_node_type type;
        char *target;  /* symlink target as written */
        unsigned mode; /* permission bits */
        uint64_t size;
        char *owner;    /* owning package, NULL for none (directories, fixture trees) */
        char *src_path; /* where the bytes come from: the package's dpkg path, or a host path for
                         * app and added files */
};

struct imagens;

struct imagens *imagens_new(void);
void imagens_free(struct imagens *ns);

/* Add an entry at `path` (absolute; normalised here). Parent directories are created implicitly.
 * Adding a path that exists: two directories merge; the identical symlink or file from the same
 * owner is a no-op; anything else is DISTILL_EUSAGE naming both owners. */
int imagens_add(struct imagens *ns, const char *path, enum imagens_node_type type,
                const char *target, unsigned mode, uint64_t size, const char *owner,
                const char *src_path, struct distill_error *err);

/* Exact lookup, no symlink resolution. */
const struct imagens_node *imagens_get(const struct imagens *ns, const char *path);
/* Calls fn for every node in path order. */
void imagens_foreach(const struct imagens *ns, void (*fn)(const struct imagens_node *, void *),
                     void *ud);
/* The names directly inside directory `dir` (sorted). */
int imagens_list_dir(const struct imagens *ns, const char *dir, struct strvec *names);

struct imagens_resolved {
        const struct imagens_node *node; /* final entry, NULL when the path does not exist */
        char *path;                      /* final resolved path (symlinks followed) */
        struct strvec links;             /* every symlink entry traversed, in order */
};

#define IMAGENS_MAX_LINKS 40

/* Resolve `path` (absolute) inside the namespace. Returns 0 (node may be NULL when the path does
 * not exist), or DISTILL_ERESOLVE for a symlink loop or more than IMAGENS_MAX_LINKS links.
 * With follow_last false the final component is not followed (lstat semantics). */
int imagens_resolve(const struct imagens *ns, const char *path, bool follow_last,
                    struct imagens_resolved *res, struct distill_error *err);
void imagens_resolved_release(struct imagens_resolved *res);

/* The canonical (symlink-resolved) path of a directory in the namespace, or NULL when path
 * leads to no directory. */
char *imagens_resolve_dir(const struct imagens *ns, const char *path);

/* The usrmerge canonical form of a package path: /bin, /sbin, /lib, /lib64 and /libx32-style
 * top directories move under /usr ("/lib/x86_64-linux-gnu/libc.so.6" → "/usr/lib/…"). The top
 * directories themselves ("/lib") map to NULL: in the image they are symlinks. Caller frees. */
char *usrmerge_canonical(const char *path);
/* The top-level directories of merged-/usr, each a symlink into /usr: "/bin" → "usr/bin". */
struct usrmerge_top {
        const char *path;
        const char *target;
};
const struct usrmerge_top *usrmerge_tops(size_t *n);
/* True for the top-level names that become usrmerge symlinks ("/bin" → "usr/bin"). */
bool usrmerge_is_top_link(const char *path, const char **target);

#endif
