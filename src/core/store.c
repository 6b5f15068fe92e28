/* The staging store: content-addressed blobs under one directory (docs/architecture.md, "The
 * staging store"). */
#include "distill/core/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/util.h"

#define STORE_CHUNK 65536

struct store {
        char *dir;
};

int store_open(const char *dir, struct store **out, struct distill_error *err)
{
        int e = mkdir_p(dir, 0755);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "staging store %s", dir);
        struct store *st = xcalloc(1, sizeof(*st));
        st->dir = xstrdup(dir);
        *out = st;
        return 0;
}

void store_free(struct store *st)
{
        if (!st)
                return;
        free(st->dir);
        free(st);
}

const char *store_dir(const struct store *st)
{
        return st->dir;
}

char *store_blob_path(const struct store *st, const char *hex)
{
        return xasprintf("%s/%s", st->dir, hex);
}

/* A blob being written: a temporary file in the store's directory and the running digest. */
struct pending_blob {
        char *tmp;
        int fd;
        struct digest *md;
        uint64_t size;
};

static int pending_start(const struct store *st, struct pending_blob *pb, struct distill_error *err)
{
        pb->tmp = xasprintf("%s/tmp.XXXXXX", st->dir);
        pb->fd = mkstemp(pb->tmp);
        pb->md = NULL;
        pb->size = 0;
        if (pb->fd < 0) {
                int e = errno;
                free(pb->tmp);
                pb->tmp = NULL;
                return distill_error_errno(err, DISTILL_EIO, e, "staging store %s: temporary file",
                                           st->dir);
        }
        /* mkstemp creates 0600; blobs are read later by other tools (rootfs, .pyc) as is. */
        fchmod(pb->fd, 0644);
        pb->md = digest_sha256();
        return 0;
}

static int pending_add(const struct store *st, struct pending_blob *pb, const void *data,
                       size_t len, struct distill_error *err)
{
        int e = write_all(pb->fd, data, len);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "staging store %s: writing %s",
                                           st->dir, pb->tmp);
        digest_update(pb->md, data, len);
        pb->size += len;
        return 0;
}

static void pending_abort(struct pending_blob *pb)
{
        if (pb->fd >= 0)
                close(pb->fd);
        if (pb->tmp) {
                unlink(pb->tmp);
                free(pb->tmp);
        }
        digest_free(pb->md);
        pb->fd = -1;
        pb->tmp = NULL;
        pb->md = NULL;
}

/* Give the temporary file its content name; an existing blob already holds the same bytes. */
static int pending_commit(const struct store *st, struct pending_blob *pb,
                          char hex[SHA256_HEX_LEN + 1], struct distill_error *err)
{
        int fd = pb->fd;
        pb->fd = -1;
        digest_finish_hex(pb->md, hex);
        pb->md = NULL;
        if (close(fd) < 0) {
                int e = errno;
                pending_abort(pb);
                return distill_error_errno(err, DISTILL_EIO, e, "staging store %s: closing blob",
                                           st->dir);
        }
        char *final = store_blob_path(st, hex);
        struct stat sb;
        int ret = 0;
        if (stat(final, &sb) == 0 && S_ISREG(sb.st_mode)) {
                unlink(pb->tmp);
        } else if (rename(pb->tmp, final) < 0) {
                ret = distill_error_errno(err, DISTILL_EIO, errno, "staging store: renaming to %s",
                                          final);
                unlink(pb->tmp);
        }
        free(final);
        free(pb->tmp);
        pb->tmp = NULL;
        return ret;
}

int store_put_fd(struct store *st, int fd, const char *name, char hex[SHA256_HEX_LEN + 1],
                 uint64_t *size, struct distill_error *err)
{
        struct pending_blob pb;
        char *buf = NULL;
        int ret = pending_start(st, &pb, err);
        if (ret < 0)
                return ret;
        buf = xmalloc(STORE_CHUNK);
        for (;;) {
                ssize_t r = read(fd, buf, STORE_CHUNK);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        ret = distill_error_errno(err, DISTILL_EIO, errno, "reading %s", name);
                        goto fail;
                }
                if (r == 0)
                        break;
                ret = pending_add(st, &pb, buf, (size_t)r, err);
                if (ret < 0)
                        goto fail;
        }
        free(buf);
        if (size)
                *size = pb.size;
        return pending_commit(st, &pb, hex, err);
fail:
        free(buf);
        pending_abort(&pb);
        return ret;
}

int store_put_mem(struct store *st, const void *data, size_t len, char hex[SHA256_HEX_LEN + 1],
                  struct distill_error *err)
{
        struct pending_blob pb;
        int ret = pending_start(st, &pb, err);
        if (ret < 0)
                return ret;
        ret = pending_add(st, &pb, data, len, err);
        if (ret < 0) {
                pending_abort(&pb);
                return ret;
        }
        return pending_commit(st, &pb, hex, err);
}

static bool is_hex_digest(const char *hex)
{
        size_t i;
        for (i = 0; hex[i]; i++)
                if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
                        return false;
        return i == SHA256_HEX_LEN;
}

int store_open_blob(const struct store *st, const char *hex, int *fd, struct distill_error *err)
{
        if (!is_hex_digest(hex))
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "staging store: '%s' is not a SHA-256 digest", hex);
        cleanup_free char *path = store_blob_path(st, hex);
        int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (f < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "staging store blob %s", path);
        *fd = f;
        return 0;
}

int store_read_blob(const struct store *st, const char *hex, char **data, size_t *len,
                    struct distill_error *err)
{
        if (!is_hex_digest(hex))
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "staging store: '%s' is not a SHA-256 digest", hex);
        cleanup_free char *path = store_blob_path(st, hex);
        int e = read_file(path, data, len);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "staging store blob %s", path);
        return 0;
}

/* A streaming writer: a pending blob whose rename is deferred until the caller commits. */
struct store_writer {
        const struct store *st;
        struct pending_blob pb;
        bool finished;
        char hex[SHA256_HEX_LEN + 1];
};

int store_writer_start(struct store *st, struct store_writer **out, struct distill_error *err)
{
        struct store_writer *w = xcalloc(1, sizeof(*w));
        w->st = st;
        int ret = pending_start(st, &w->pb, err);
        if (ret < 0) {
                free(w);
                return ret;
        }
        *out = w;
        return 0;
}

int store_writer_add(struct store_writer *w, const void *data, size_t len,
                     struct distill_error *err)
{
        if (w->finished)
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "staging store: writing to a finished blob");
        return pending_add(w->st, &w->pb, data, len, err);
}

int store_writer_finish(struct store_writer *w, char hex[SHA256_HEX_LEN + 1], uint64_t *size,
                        struct distill_error *err)
{
        if (w->finished)
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "staging store: blob finished twice");
        int fd = w->pb.fd;
        w->pb.fd = -1;
        digest_finish_hex(w->pb.md, w->hex);
        w->pb.md = NULL;
        w->finished = true;
        if (close(fd) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "staging store %s: closing %s",
                                           w->st->dir, w->pb.tmp);
        memcpy(hex, w->hex, sizeof(w->hex));
        if (size)
                *size = w->pb.size;
        return 0;
}

int store_writer_commit(struct store_writer *w, struct distill_error *err)
{
        if (!w->finished) {
                store_writer_abort(w);
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "staging store: committing an unfinished blob");
        }
        cleanup_free char *final = store_blob_path(w->st, w->hex);
        struct stat sb;
        int ret = 0;
        if (stat(final, &sb) == 0 && S_ISREG(sb.st_mode)) {
                unlink(w->pb.tmp);
        } else if (rename(w->pb.tmp, final) < 0) {
                ret = distill_error_errno(err, DISTILL_EIO, errno, "staging store: renaming to %s",
                                          final);
                unlink(w->pb.tmp);
        }
        free(w->pb.tmp);
        free(w);
        return ret;
}

void store_writer_abort(struct store_writer *w)
{
        if (!w)
                return;
        pending_abort(&w->pb);
        free(w);
}

bool store_has_blob(const struct store *st, const char *hex)
{
        if (!is_hex_digest(hex))
                return false;
        cleanup_free char *path = store_blob_path(st, hex);
        struct stat sb;
        return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}
