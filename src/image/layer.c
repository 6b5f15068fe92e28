/* layer: a deterministic tar of plan entries, compressed, with both digests (docs/architecture.md,
 * "OCI output").
 *
 * The tar archive writes through tar_write_cb, which hashes the uncompressed stream (diff_id)
 * and hands it to the compressor: image/pgzip for gzip (libdeflate, in parallel chunks), or a
 * second libarchive archive in format_raw with the zstd filter. Both end in blob_write, which
 * hashes the compressed bytes (digest) and writes them to a temporary file. */
#include "distill/image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/digest.h"
#include "distill/image/pgzip.h"

#define LAYER_CHUNK 65536

struct layer_ctx {
        struct archive *gz; /* format_raw + zstd */
        struct pgzip *pz;   /* gzip */
        struct distill_error pz_err;
        struct digest *tar_md;
        struct digest *blob_md;
        uint64_t tar_size;
        uint64_t blob_size;
        int blob_fd;
        int write_errno; /* first failed write(2) of the blob, 0 if none */
};

/* 0 or -errno */
static int blob_write(struct layer_ctx *ctx, const void *buf, size_t len)
{
        int e = write_all(ctx->blob_fd, buf, len);
        if (e < 0) {
                ctx->write_errno = -e;
                return e;
        }
        digest_update(ctx->blob_md, buf, len);
        ctx->blob_size += len;
        return 0;
}

static int blob_sink(void *ud, const void *buf, size_t len)
{
        return blob_write(ud, buf, len);
}

static la_ssize_t blob_write_cb(struct archive *a, void *opaque, const void *buf, size_t len)
{
        int e = blob_write(opaque, buf, len);
        if (e < 0) {
                archive_set_error(a, -e, "writing the layer blob");
                return -1;
        }
        return (la_ssize_t)len;
}

static la_ssize_t tar_write_cb(struct archive *a, void *opaque, const void *buf, size_t len)
{
        struct layer_ctx *ctx = opaque;
        digest_update(ctx->tar_md, buf, len);
        ctx->tar_size += len;
        if (ctx->pz) {
                if (pgzip_write(ctx->pz, buf, len, &ctx->pz_err) < 0) {
                        archive_set_error(a, EIO, "gzip: %s", ctx->pz_err.msg);
                        return -1;
                }
                return (la_ssize_t)len;
        }
        if (!ctx->gz)
                return (la_ssize_t)len; /* the diff_id alone */
        la_ssize_t w = archive_write_data(ctx->gz, buf, len);
        if (w < 0 || (size_t)w != len) {
                archive_set_error(a, EIO, "gzip: %s", archive_error_string(ctx->gz));
                return -1;
        }
        return (la_ssize_t)len;
}

static int archive_fail(struct archive *a, const char *what, const char *path,
                        struct distill_error *err)
{
        const char *msg = archive_error_string(a);
        return distill_error_set(err, DISTILL_EIO, "layer: %s%s%s: %s", what, path ? " " : "",
                                 path ? path : "", msg ? msg : "unknown libarchive error");
}

/* The compressed side: gzip through pgzip (members with no name and no timestamp), or zstd
 * through libarchive's filter in zstd's multi-threaded mode, with no padding after the stream. */
int layer_level(enum layer_compression c, int level)
{
        return level ? level : c == LAYER_ZSTD ? LAYER_ZSTD_LEVEL : LAYER_GZIP_LEVEL;
}

static int open_compressor(struct layer_ctx *ctx, enum layer_compression c, int level,
                           struct distill_error *err)
{
        if (c == LAYER_GZIP)
                return pgzip_open(level, 0, blob_sink, ctx, &ctx->pz, err);
        if (level < 1 || level > 19)
                return distill_error_set(err, DISTILL_EUSAGE, "zstd level %d: expected 1 to 19",
                                         level);
        char lvl[4], threads[4];
        snprintf(lvl, sizeof(lvl), "%d", level);
        snprintf(threads, sizeof(threads), "%u", pgzip_threads());
        struct archive *b = archive_write_new();
        ctx->gz = b;
        if (archive_write_set_format_raw(b) != ARCHIVE_OK ||
            archive_write_add_filter_zstd(b) != ARCHIVE_OK ||
            archive_write_set_filter_option(b, "zstd", "compression-level", lvl) != ARCHIVE_OK ||
            /* zstd's multi-threaded mode: the same bytes for any number of workers >= 1 (not
             * the single-threaded mode's), so the count is the machine's */
            archive_write_set_filter_option(b, "zstd", "threads", threads) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(b, LAYER_CHUNK) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(b, 1) != ARCHIVE_OK ||
            archive_write_open(b, ctx, NULL, blob_write_cb, NULL) != ARCHIVE_OK)
                return archive_fail(b, "zstd setup", NULL, err);
        /* format_raw wants one regular-file header before data; its name is never written. */
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, "layer.tar");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        int r = archive_write_header(b, e);
        archive_entry_free(e);
        if (r != ARCHIVE_OK)
                return archive_fail(b, "zstd setup", NULL, err);
        return 0;
}

/* The compressed stream's end: pgzip's last members, or the zstd archive closed (second, after
 * the tar, so its trailer comes last). */
static int close_compressor(struct layer_ctx *ctx, struct distill_error *err)
{
        if (ctx->pz)
                return pgzip_finish(ctx->pz, err);
        if (archive_write_close(ctx->gz) != ARCHIVE_OK)
                return archive_fail(ctx->gz, "closing the zstd stream", NULL, err);
        return 0;
}

/* A non-ASCII name would depend on the process locale (a UTF-8 "path" record under a UTF-8
 * locale, a warning and a BINARY record under "C"). pax hdrcharset=BINARY writes the plan's
 * bytes in every locale, but gives every entry a PAX header, so it is used only for layers
 * that need it. */
static bool needs_binary_names(struct plan_entry *const *entries, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *strs[] = {entries[i]->path, entries[i]->target};
                for (size_t k = 0; k < 2; k++)
                        for (const char *c = strs[k]; c && *c; c++)
                                if ((unsigned char)*c >= 0x80)
                                        return true;
        }
        return false;
}

/* The tar side: pax_restricted (PAX headers only when ustar cannot hold a value), blocks of
 * 10240 bytes but the last one not padded: the stream ends with the two zero records, as Go's
 * archive/tar writes it. */
static int open_tar(struct archive **out, struct layer_ctx *ctx, bool binary_names,
                    struct distill_error *err)
{
        struct archive *a = archive_write_new();
        *out = a;
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            (binary_names &&
             archive_write_set_format_option(a, "pax", "hdrcharset", "BINARY") != ARCHIVE_OK) ||
            archive_write_set_bytes_per_block(a, 10240) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
            archive_write_open(a, ctx, NULL, tar_write_cb, NULL) != ARCHIVE_OK)
                return archive_fail(a, "tar setup", NULL, err);
        return 0;
}

/* Stream a store blob into the current tar entry, checking it is exactly the planned bytes. */
static int write_file_data(struct archive *a, const struct plan_entry *pe, const struct store *st,
                           struct distill_error *err)
{
        int fd = -1;
        int r = store_open_blob(st, pe->digest, &fd, err);
        if (r < 0)
                return distill_error_prefix(err, "layer: %s: ", pe->path);
        char *buf = xmalloc(LAYER_CHUNK);
        struct digest *md = digest_sha256();
        uint64_t total = 0;
        for (;;) {
                ssize_t n = read(fd, buf, LAYER_CHUNK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = distill_error_errno(err, DISTILL_EIO, errno,
                                                "layer: reading blob %s of %s", pe->digest,
                                                pe->path);
                        goto out;
                }
                if (n == 0)
                        break;
                /* More bytes than the header announced would be silently cut by libarchive. */
                if (total + (uint64_t)n > pe->size)
                        break;
                digest_update(md, buf, (size_t)n);
                if (archive_write_data(a, buf, (size_t)n) != n) {
                        r = archive_fail(a, "writing", pe->path, err);
                        goto out;
                }
                total += (uint64_t)n;
        }
        struct stat sb = {0};
        if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_size != pe->size || total != pe->size) {
                r = distill_error_set(err, DISTILL_EINTEGRITY,
                                      "layer: %s: the store holds %llu bytes, the plan says %llu",
                                      pe->path, (unsigned long long)sb.st_size,
                                      (unsigned long long)pe->size);
                goto out;
        }
        char hex[SHA256_HEX_LEN + 1];
        digest_finish_hex(md, hex);
        md = NULL;
        if (strcmp(hex, pe->digest) != 0)
                r = distill_error_set(err, DISTILL_EINTEGRITY,
                                      "layer: %s: store blob %s has SHA-256 %s", pe->path,
                                      pe->digest, hex);
out:
        digest_free(md);
        free(buf);
        close(fd);
        return r;
}

/* Fill a libarchive entry from a plan entry; *name is the tar name (no leading "/"). */
static int fill_entry(struct archive_entry *ae, const struct plan_entry *pe,
                      const struct strmap *written_files, int64_t epoch, struct distill_error *err)
{
        archive_entry_set_pathname(ae, pe->path + 1);
        archive_entry_set_uid(ae, pe->uid);
        archive_entry_set_gid(ae, pe->gid);
        archive_entry_set_mtime(ae, (time_t)epoch, 0);
        archive_entry_set_perm(ae, pe->mode & 07777);
        switch (pe->type) {
        case PLAN_FILE:
                if (!sha256_hex_valid(pe->digest))
                        return distill_error_set(err, DISTILL_EINTERNAL,
                                                 "layer: %s: file without a content digest",
                                                 pe->path);
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_size(ae, (la_int64_t)pe->size);
                return 0;
        case PLAN_DIR:
                archive_entry_set_filetype(ae, AE_IFDIR);
                return 0;
        case PLAN_SYMLINK:
                if (!pe->target || !*pe->target)
                        return distill_error_set(err, DISTILL_EINTERNAL,
                                                 "layer: %s: symlink without a target", pe->path);
                archive_entry_set_filetype(ae, AE_IFLNK);
                archive_entry_set_symlink(ae, pe->target);
                return 0;
        case PLAN_HARDLINK:
                /* A tar hardlink names an earlier regular file of the same archive. */
                if (!pe->target || pe->target[0] != '/' || !strmap_has(written_files, pe->target))
                        return distill_error_set(err, DISTILL_EINTERNAL,
                                                 "layer: %s: hardlink target %s is not an earlier "
                                                 "file of this layer",
                                                 pe->path, pe->target ? pe->target : "(none)");
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_hardlink(ae, pe->target + 1);
                archive_entry_set_size(ae, 0);
                return 0;
        }
        return distill_error_set(err, DISTILL_EINTERNAL, "layer: %s: unknown entry type %d",
                                 pe->path, (int)pe->type);
}

static int write_entries(struct archive *a, struct plan_entry *const *entries, size_t n,
                         const struct store *st, int64_t epoch, struct distill_error *err)
{
        struct strmap written_files = STRMAP_INIT;
        const char *prev = NULL;
        int r = 0;

        for (size_t i = 0; i < n && r == 0; i++) {
                const struct plan_entry *pe = entries[i];
                if (!pe->path || pe->path[0] != '/') {
                        r = distill_error_set(err, DISTILL_EINTERNAL,
                                              "layer: entry %zu: '%s' is not an absolute path", i,
                                              pe->path ? pe->path : "(null)");
                        break;
                }
                /* Duplicates are forbidden in a layer, and order is what makes it reproducible. */
                if (prev && strcmp(prev, pe->path) >= 0) {
                        r = distill_error_set(err, DISTILL_EINTERNAL,
                                              "layer: entries out of order: %s after %s", pe->path,
                                              prev);
                        break;
                }
                prev = pe->path;
                if (strcmp(pe->path, "/") == 0)
                        continue;

                struct archive_entry *ae = archive_entry_new();
                r = fill_entry(ae, pe, &written_files, epoch, err);
                if (r == 0 && archive_write_header(a, ae) != ARCHIVE_OK)
                        r = archive_fail(a, "writing header of", pe->path, err);
                archive_entry_free(ae);
                if (r == 0 && pe->type == PLAN_FILE) {
                        r = write_file_data(a, pe, st, err);
                        strmap_put(&written_files, pe->path, (void *)pe);
                }
                if (r == 0 && archive_write_finish_entry(a) != ARCHIVE_OK)
                        r = archive_fail(a, "finishing", pe->path, err);
        }
        strmap_clear(&written_files, NULL);
        return r;
}

int layer_write(struct plan_entry *const *entries, size_t n, const struct store *st, int64_t epoch,
                const char *blobs_dir, struct layer_desc *out, struct distill_error *err)
{
        return layer_write_as(entries, n, st, epoch, blobs_dir, LAYER_GZIP, 0, out, err);
}

int layer_write_as(struct plan_entry *const *entries, size_t n, const struct store *st,
                   int64_t epoch, const char *blobs_dir, enum layer_compression c, int level,
                   struct layer_desc *out, struct distill_error *err)
{
        struct layer_ctx ctx = {.blob_fd = -1};
        struct archive *tar = NULL;
        char *tmp = xasprintf("%s/tmp-layer.XXXXXX", blobs_dir);
        char *final = NULL;
        int r;

        ctx.blob_fd = mkstemp(tmp);
        if (ctx.blob_fd < 0) {
                r = distill_error_errno(err, DISTILL_EIO, errno, "layer: creating %s", tmp);
                free(tmp);
                return r;
        }
        fchmod(ctx.blob_fd, 0644);
        ctx.tar_md = digest_sha256();
        ctx.blob_md = digest_sha256();

        out->compression = c;
        out->cached = false;
        if ((r = open_compressor(&ctx, c, layer_level(c, level), err)) < 0 ||
            (r = open_tar(&tar, &ctx, needs_binary_names(entries, n), err)) < 0 ||
            (r = write_entries(tar, entries, n, st, epoch, err)) < 0)
                goto fail;
        /* Closing the tar flushes its end-of-archive records into the compressor, which is
         * closed second so its trailer comes last. */
        if (archive_write_close(tar) != ARCHIVE_OK) {
                r = archive_fail(tar, "closing the tar stream", NULL, err);
                goto fail;
        }
        if ((r = close_compressor(&ctx, err)) < 0)
                goto fail;
        if (close(ctx.blob_fd) < 0) {
                ctx.blob_fd = -1;
                r = distill_error_errno(err, DISTILL_EIO, errno, "layer: writing %s", tmp);
                goto fail;
        }
        ctx.blob_fd = -1;

        digest_finish_hex(ctx.tar_md, out->diff_id);
        digest_finish_hex(ctx.blob_md, out->digest);
        ctx.tar_md = ctx.blob_md = NULL;
        out->size = ctx.blob_size;
        out->tar_size = ctx.tar_size;
        final = xasprintf("%s/%s", blobs_dir, out->digest);
        if (rename(tmp, final) < 0) {
                r = distill_error_errno(err, DISTILL_EIO, errno, "layer: renaming to %s", final);
                goto fail;
        }
        r = 0;
        goto done;
fail:
        /* Freeing the archives below may still flush into the callbacks; they see fd -1. */
        if (ctx.blob_fd >= 0)
                close(ctx.blob_fd);
        ctx.blob_fd = -1;
        unlink(tmp);
done:
        if (tar)
                archive_write_free(tar);
        if (ctx.gz)
                archive_write_free(ctx.gz);
        pgzip_free(ctx.pz);
        digest_free(ctx.tar_md);
        digest_free(ctx.blob_md);
        free(final);
        free(tmp);
        return r;
}

/* ---- the blob cache ---------------------------------------------------------------------- */

/* The tar alone, for its diff_id and size. */
static int tar_identity(struct plan_entry *const *entries, size_t n, const struct store *st,
                        int64_t epoch, char diff_id[SHA256_HEX_LEN + 1], uint64_t *tar_size,
                        struct distill_error *err)
{
        struct layer_ctx ctx = {.blob_fd = -1, .tar_md = digest_sha256()};
        struct archive *tar = NULL;
        int r = open_tar(&tar, &ctx, needs_binary_names(entries, n), err);
        if (r >= 0)
                r = write_entries(tar, entries, n, st, epoch, err);
        if (r >= 0 && archive_write_close(tar) != ARCHIVE_OK)
                r = archive_fail(tar, "closing the tar stream", NULL, err);
        if (tar)
                archive_write_free(tar);
        if (r >= 0) {
                digest_finish_hex(ctx.tar_md, diff_id);
                ctx.tar_md = NULL;
                *tar_size = ctx.tar_size;
        }
        digest_free(ctx.tar_md);
        return r;
}

/* cache_dir/layers/ALGORITHM-LEVEL-<hash of what else the bytes depend on>: pgzip's identity
 * (libdeflate's version, the member size) for gzip, libarchive's and libzstd's versions for zstd;
 * a blob made by another compressor, or at another level, is another entry. */
static char *compressor_dir(const char *cache_dir, enum layer_compression c, int level)
{
        char hex[SHA256_HEX_LEN + 1];
        cleanup_free char *versions =
            c == LAYER_GZIP
                ? xstrdup(pgzip_identity())
                : xasprintf("%s zstd %s multi-threaded", archive_version_string(),
                            archive_libzstd_version() ? archive_libzstd_version() : "-");
        sha256_hex(versions, strlen(versions), hex);
        hex[16] = '\0';
        return xasprintf("%s/layers/%s-%d-%s", cache_dir, c == LAYER_ZSTD ? "zstd" : "gzip",
                         layer_level(c, level), hex);
}

static bool cache_lookup(const char *dir, const char *diff_id, char digest[SHA256_HEX_LEN + 1],
                         uint64_t *size)
{
        cleanup_free char *ref = xasprintf("%s/%s", dir, diff_id);
        cleanup_free char *text = NULL;
        size_t len;
        if (read_file_capped(ref, 256, &text, &len) < 0 || len < SHA256_HEX_LEN)
                return false;
        text[SHA256_HEX_LEN] = '\0';
        if (!sha256_hex_valid(text))
                return false;
        cleanup_free char *blob = xasprintf("%s/blobs/%s", dir, text);
        cleanup_close int fd = open(blob, O_RDONLY | O_CLOEXEC);
        char got[SHA256_HEX_LEN + 1];
        uint64_t n = 0;
        if (fd < 0 || sha256_hex_fd(fd, got, &n) < 0 || strcmp(got, text))
                return false;
        memcpy(digest, text, SHA256_HEX_LEN + 1);
        *size = n;
        return true;
}

/* src copied to dst through a temporary name in dst's directory. */
static int copy_into(const char *src, const char *dst, struct distill_error *err)
{
        cleanup_free char *tmp = xasprintf("%s.tmp.XXXXXX", dst);
        cleanup_close int in = open(src, O_RDONLY | O_CLOEXEC);
        int out = mkstemp(tmp);
        int e = in < 0 ? -errno : out < 0 ? -errno : 0;
        if (e == 0)
                e = copy_fd(in, out);
        if (out >= 0) {
                fchmod(out, 0644);
                if (close(out) < 0 && e == 0)
                        e = -errno;
        }
        if (e == 0 && rename(tmp, dst) < 0)
                e = -errno;
        if (e < 0) {
                unlink(tmp);
                return distill_error_errno(err, DISTILL_EIO, -e, "layer: copying %s to %s", src,
                                           dst);
        }
        return 0;
}

static int cache_store(const char *dir, const char *blobs_dir, const struct layer_desc *l,
                       struct distill_error *err)
{
        cleanup_free char *blobs = xasprintf("%s/blobs", dir);
        cleanup_free char *src = xasprintf("%s/%s", blobs_dir, l->digest);
        cleanup_free char *dst = xasprintf("%s/%s", blobs, l->digest);
        cleanup_free char *ref = xasprintf("%s/%s", dir, l->diff_id);
        int e = mkdir_p(blobs, 0755);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "layer: creating %s", blobs);
        int r = copy_into(src, dst, err);
        if (r < 0)
                return r;
        e = write_file_atomic(ref, l->digest, SHA256_HEX_LEN, 0644);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "layer: writing %s", ref);
        return 0;
}

int layer_write_cached(struct plan_entry *const *entries, size_t n, const struct store *st,
                       int64_t epoch, const char *blobs_dir, const char *cache_dir,
                       enum layer_compression c, int level, struct layer_desc *out,
                       struct distill_error *err)
{
        char diff_id[SHA256_HEX_LEN + 1];
        uint64_t tar_size = 0;
        cleanup_free char *dir = compressor_dir(cache_dir, c, level);

        memset(out, 0, sizeof(*out));
        int r = tar_identity(entries, n, st, epoch, diff_id, &tar_size, err);
        if (r < 0)
                return r;
        if (cache_lookup(dir, diff_id, out->digest, &out->size)) {
                cleanup_free char *src = xasprintf("%s/blobs/%s", dir, out->digest);
                cleanup_free char *dst = xasprintf("%s/%s", blobs_dir, out->digest);
                memcpy(out->diff_id, diff_id, sizeof(diff_id));
                out->tar_size = tar_size;
                out->cached = true;
                out->compression = c;
                return copy_into(src, dst, err);
        }
        r = layer_write_as(entries, n, st, epoch, blobs_dir, c, level, out, err);
        if (r < 0)
                return r;
        if (strcmp(out->diff_id, diff_id) != 0)
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "layer: the same entries made two tars (%s, %s)", diff_id,
                                         out->diff_id);
        return cache_store(dir, blobs_dir, out, err);
}
