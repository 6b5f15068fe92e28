/* /etc/ld.so.cache written by distill in glibc's "glibc-ld.so.cache1.1" format
 * (docs/architecture.md, "ld.so.cache format"), for any architecture, from the libraries the image
 * keeps — what `ldconfig -r` would write for the same tree, without running anything inside it. */
#ifndef DISTILL_LDCACHE_H
#define DISTILL_LDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

struct ldcache_entry {
        char *soname;  /* key */
        char *path;    /* value: "DIR/SONAME" as ldconfig records it */
        int32_t flags; /* FLAG_ELF_LIBC6 | the architecture's bits (0x0303 on x86-64) */
        uint64_t hwcap;
        char *hwcaps_subdir; /* "x86-64-v3" for a glibc-hwcaps entry (bit 62 of hwcap), else
                              * NULL; ldcache_serialize writes the extension from it */
};

struct ldcache_lib {        /* one candidate library file in a scanned directory */
        const char *dir;    /* the directory it was found in (image path, as scanned) */
        const char *name;   /* its file name in that dir */
        const char *soname; /* DT_SONAME, NULL when absent */
        int elfclass;
        unsigned machine;
        unsigned e_flags;          /* for architectures whose flags choose the cache flag */
        const char *hwcaps_subdir; /* "x86-64-v3" when found in DIR/glibc-hwcaps/x86-64-v3 */
        /* Added: the directory entry is a symlink (ldconfig treats a link named after the
         * soname, or a "libfoo.so" link, as a link: the file wins over it, and a "libfoo.so"
         * link becomes its own entry keyed "libfoo.so" as ldconfig does). */
        bool is_link;
        unsigned isa_level; /* x86 GNU_PROPERTY_X86_ISA_1_NEEDED level, 0 when unmarked */
};

/* The entry set ldconfig would derive from these libraries: one entry per (soname, dir) taking
 * the path DIR/SONAME, ordered as glibc's cache requires (descending _dl_cache_libcmp), flags
 * from class/machine for `arch`.
 * `dir` may be the scanned dir with `hwcaps_subdir` set, or already end in
 * "/glibc-hwcaps/<hwcaps_subdir>"; hwcaps entries take the file name (not the soname) as glibc
 * 2.33+ does. Libraries must be given in ldconfig's directory scan order (ld.so.conf dirs, then
 * the system dirs, each dir once): entries that tie in the sort keep that order. Names that are
 * not ldconfig DSO names and machines ldconfig for `arch` rejects are skipped. */
int ldcache_entries(const struct ldcache_lib *libs, size_t n, const char *arch,
                    struct ldcache_entry **out, size_t *n_out, struct distill_error *err);
/* Serialise to the new format (header, entries, string table, hwcaps extension when any entry
 * has a hwcaps subdir). Bytes are deterministic (the generator string is fixed). */
int ldcache_serialize(const struct ldcache_entry *e, size_t n, const char *arch, char **data,
                      size_t *len, struct distill_error *err);
/* Parse a cache file (hostile input: every offset bounds-checked), for tests and `verify`. */
int ldcache_parse(const char *data, size_t len, const char *name, struct ldcache_entry **out,
                  size_t *n_out, struct distill_error *err);
void ldcache_entries_free(struct ldcache_entry *e, size_t n);

/* ldconfig's file-name test (glibc _dl_is_dso): lib*.so*, ld-*.so*, ld.so.*, ld64.so.* */
bool ldcache_is_dso_name(const char *name);
/* glibc's _dl_cache_libcmp: like strcmp, but runs of digits compare as numbers. */
int ldcache_libcmp(const char *a, const char *b);
/* The cache flags ldconfig (built for Debian architecture `arch`) gives an object of this class,
 * machine and e_flags; -1 when that ldconfig skips such objects or the arch is unknown. */
int32_t ldcache_lib_flags(const char *arch, int elfclass, unsigned machine, unsigned e_flags);

/* Directories named by an ld.so.conf (with `include` globs, relative to the including file's
 * dir, sorted), read through a callback that returns a file's bytes from the image, and a callback
 * listing a directory for globbing. Depth-limited. Callbacks return 0, -ENOENT for a missing
 * file/dir (a missing conf_path gives no dirs, as ldconfig), or another negative errno (an
 * error). `data` from `read` is malloc'ed and freed here; `names` are plain entry names. Each
 * dir is listed once, in first-seen order; "dir=type" suffixes and trailing '/' are dropped;
 * `hwcap` lines are ignored. */
typedef int (*ldcache_read_fn)(void *ud, const char *image_path, char **data, size_t *len);
typedef int (*ldcache_list_fn)(void *ud, const char *image_dir, struct strvec *names);
int ldcache_conf_dirs(const char *conf_path, ldcache_read_fn read, ldcache_list_fn list, void *ud,
                      struct strvec *dirs, struct distill_error *err);

#endif
