/* Reading .deb files with libarchive (docs/architecture.md, ".deb files"): the outer ar archive,
 * control.tar.* (the control stanza, md5sums, postinst for alternatives) and data.tar.*, read
 * straight into the staging store — never unpacked by tar to disk. Members are hostile: `..`
 * components, absolute names, links leaving the image root, hardlinks to anything but an earlier
 * regular file, and duplicate paths are refused with DISTILL_EINTEGRITY and nothing kept;
 * setuid/setgid bits are stripped and device nodes and FIFOs dropped, each reported. */
#ifndef DISTILL_DEBFILE_H
#define DISTILL_DEBFILE_H

#include <stdint.h>
#include "distill/core/store.h"
#include "distill/source/source.h"

struct deb_member {
        char *path;             /* dpkg path: "/usr/bin/python3.11" ("/" is not listed) */
        enum source_ftype type; /* SOURCE_REG, SOURCE_DIR, SOURCE_SYMLINK */
        unsigned mode;          /* permission bits after stripping setuid/setgid */
        uint64_t size;
        char *link_target; /* symlinks: the target as written; hardlinks: NULL */
        char *hardlink_of; /* a hardlink: the dpkg path of the earlier regular file, else NULL */
        char digest[SHA256_HEX_LEN + 1]; /* regular files (and hardlinks): store blob */
};

struct deb_alternative { /* update-alternatives --install LINK NAME PATH PRIORITY [--slave …] */
        char *link;
        char *name;
        char *path;
        long priority;
        struct strvec slave_links, slave_names, slave_paths;
};

struct deb_index {
        char *control; /* the control file's stanza, ending in "\n" */
        char *package, *version, *arch;
        struct deb_member *members; /* in path order */
        size_t n_members;
        struct deb_alternative *alts;
        size_t n_alts;
        struct strvec warnings; /* "stripped setuid from /usr/bin/x", "dropped FIFO /x" */
};

/* Read `deb_path` (`name` for messages): every regular file's bytes go into `st`. */
int debfile_read(const char *deb_path, const char *name, struct store *st, struct deb_index *out,
                 struct distill_error *err);
/* Persist / load the index as JSON (jansson) so a warm build decompresses nothing; load checks
 * every blob it names exists in `st` (DISTILL_EINTEGRITY otherwise). Writes atomically. */
int deb_index_save(const struct deb_index *idx, const char *path, struct distill_error *err);
int deb_index_load(const char *path, const struct store *st, struct deb_index *out,
                   struct distill_error *err);
void deb_index_release(struct deb_index *idx);

/* The `update-alternatives --install` lines of a maintainer script (backslash continuations,
 * several per script, --slave groups; lines using shell variables are skipped and reported). */
int debfile_parse_alternatives(const char *script, size_t len, const char *name,
                               struct deb_alternative **out, size_t *n, struct strvec *warnings,
                               struct distill_error *err);

#endif
