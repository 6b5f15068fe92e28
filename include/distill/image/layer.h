/* layer: stream plan entries from the staging store into a deterministic tar (libarchive
 * pax_restricted), gzip through libarchive (format_raw + gzip filter, no timestamp, fixed level),
 * hashing both streams with OpenSSL: diff_id (uncompressed) and digest (blob). */
#ifndef DISTILL_LAYER_H
#define DISTILL_LAYER_H

#include <stdint.h>
#include "distill/core/plan.h"
#include "distill/core/store.h"

struct layer_desc {
        char digest[SHA256_HEX_LEN + 1];  /* of the gzip blob */
        char diff_id[SHA256_HEX_LEN + 1]; /* of the uncompressed tar */
        uint64_t size;                    /* blob size */
        uint64_t tar_size;
};

#define LAYER_GZIP_LEVEL 6

/* Write the entries (in the given order, which must be path-sorted with parents first) as one
 * layer blob into blobs_dir/<digest> (atomically: temp file + rename). Every mtime is `epoch`,
 * numeric uid/gid from the entry, uname/gname empty, no atime/ctime/xattrs. */
int layer_write(struct plan_entry *const *entries, size_t n, const struct store *st, int64_t epoch,
                const char *blobs_dir, struct layer_desc *out, struct distill_error *err);

#endif
