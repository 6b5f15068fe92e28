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
/* Several architectures' sets in one atomic write (`lock --update`: all or nothing). */
int lock_write_archs(const char *path, const char *const *archs, const struct pkgset *sets,
                     size_t n, struct distill_error *err);

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
/* The architectures the lock at `path` pins, sorted (errors as lock_read). */
int lock_architectures(const char *path, struct strvec *out, struct distill_error *err);
/* The entry named `name`, or NULL. */
const struct lock_entry *lock_find(const struct lock_set *set, const char *name);

/* Solver pins for every entry of a lock: kept at its version unless `update` names it (update
 * NULL: none kept). The array points into `set`; caller frees it. */
struct solve_pin *lock_pins(const struct lock_set *set, const struct strvec *update);

enum lock_change_kind { LOCK_CHANGED, LOCK_ADDED, LOCK_REMOVED };
struct lock_change {
        enum lock_change_kind kind;
        const char *name;
        const char *old_version; /* NULL when added */
        const char *new_version; /* NULL when removed */
};
/* What differs between a lock's entries and a solved set, by package name, sorted by name.
 * The strings point into `old` and `now`; *out is the caller's to free (NULL when none). */
size_t lock_diff(const struct lock_set *old, const struct pkgset *now, struct lock_change **out);

#endif
