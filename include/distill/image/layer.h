/* layer: stream plan entries from the staging store into a deterministic tar (libarchive
 * pax_restricted), gzip through image/pgzip (libdeflate, parallel deterministic members) or
 * zstd through libarchive (format_raw + zstd filter, fixed level),
 * hashing both streams with OpenSSL: diff_id (uncompressed) and digest (blob). */
#ifndef DISTILL_LAYER_H
#define DISTILL_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include "distill/core/plan.h"
#include "distill/core/store.h"

/* image.compression: gzip (every consumer) or zstd (OCI tar+zstd: skopeo, podman, containerd
 * read it; umoci 0.4.7 and oci-image-tool do not). */
enum layer_compression { LAYER_GZIP, LAYER_ZSTD };

struct layer_desc {
        char digest[SHA256_HEX_LEN + 1];  /* of the gzip blob */
        char diff_id[SHA256_HEX_LEN + 1]; /* of the uncompressed tar */
        uint64_t size;                    /* blob size */
        uint64_t tar_size;
        bool cached; /* the blob came from the cache: it was not compressed again */
        enum layer_compression compression;
};

#define LAYER_GZIP_LEVEL 6 /* libdeflate 1-12; 6 gives blobs no larger than gzip -6's */
#define LAYER_ZSTD_LEVEL 3 /* 1-19 */

/* The level for `c` (image.compression-level), 0 meaning the default above. */
int layer_level(enum layer_compression c, int level);

/* Write the entries (in the given order, which must be path-sorted with parents first) as one
 * layer blob into blobs_dir/<digest> (atomically: temp file + rename). Every mtime is `epoch`,
 * numeric uid/gid from the entry, uname/gname empty, no atime/ctime/xattrs. */
int layer_write(struct plan_entry *const *entries, size_t n, const struct store *st, int64_t epoch,
                const char *blobs_dir, struct layer_desc *out, struct distill_error *err);
/* The same compressed with `c` at `level` (0: the default; layer_write is gzip at 6). zstd:
 * libzstd's multi-threaded mode on pgzip_threads() workers, whose output does not depend on the
 * worker count, so the bytes depend on the level and libzstd's version alone. A level out of the compressor's range is DISTILL_EUSAGE. */
int layer_write_as(struct plan_entry *const *entries, size_t n, const struct store *st,
                   int64_t epoch, const char *blobs_dir, enum layer_compression c, int level,
                   struct layer_desc *out, struct distill_error *err);

/* The same, with a cache of compressed blobs under cache_dir/layers/: the tar is made once to
 * learn its diff_id; a blob cached for that diff_id by the same compressor (algorithm, level and
 * the library versions libarchive reports) whose bytes still hash to the digest recorded for it
 * is taken as it is (out->cached), so an unchanged layer is never compressed twice. A miss
 * compresses as layer_write does and records the blob (temporary file and rename: a killed
 * build leaves no half-written entry). */
int layer_write_cached(struct plan_entry *const *entries, size_t n, const struct store *st,
                       int64_t epoch, const char *blobs_dir, const char *cache_dir,
                       enum layer_compression c, int level, struct layer_desc *out,
                       struct distill_error *err);

#endif
