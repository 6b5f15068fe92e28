/* distill.lock (JSON): per architecture every package of the candidate set with name, version,
 * architecture, filename, size, SHA-256 and source URI. `build --locked` builds exactly that
 * set from the cache, with no network and no solver. */
#ifndef DISTILL_LOCK_H
#define DISTILL_LOCK_H

#include "distill/source/solve.h"
#include "distill/source/source.h"

/* Record `arch`'s set into the lock at `path` (created, or updated keeping other
 * architectures), atomically. The packages must come from an archive source. */
int lock_write(const char *path, const char *arch, const struct pkgset *set,
               struct distill_error *err);

struct lock_entry {
        char *name, *version, *arch, *filename, *sha256, *source;
        uint64_t size;
        char *stanza; /* the entry as a Packages index stanza, for source_open_indexes */
};

struct lock_set {
        struct lock_entry *v;
        size_t n;
};

/* The entries of `arch` (hostile input: types, sizes, hashes and paths checked; errors name the
 * file and the entry; DISTILL_EUSAGE). No entry for `arch` is DISTILL_EUSAGE too. */
int lock_read(const char *path, const char *arch, struct lock_set *out, struct distill_error *err);
void lock_set_release(struct lock_set *set);

#endif
