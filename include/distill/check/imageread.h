/* imageread: an image distill wrote, read back as its root file system for `verify` — an OCI
 * layout (index.json, the first image's manifest, config and layer blobs), a docker-archive tar
 * (manifest.json, the config and each layer.tar) or a rootfs directory (with OUT.mtree for the
 * owners and modes a build without root could not set). Layers are applied in order (OCI
 * whiteouts honoured); every blob's digest, size and diff_id are checked while reading, and what
 * does not match becomes a problem, not an error: verify reports it with the rest. Input is
 * hostile: paths are normalised inside the root, counts and sizes are capped, and file bytes go to
 * an unlinked temporary file, never to a host path the archive names. */
#ifndef DISTILL_IMAGEREAD_H
#define DISTILL_IMAGEREAD_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/core/imagens.h"

enum imageread_form { IMAGEREAD_OCI, IMAGEREAD_DOCKER_ARCHIVE, IMAGEREAD_ROOTFS };

#define IMAGEREAD_MAX_ENTRIES (1u << 20)
#define IMAGEREAD_MAX_LAYERS  128
#define IMAGEREAD_MAX_JSON    (4u << 20) /* index, manifest and config blobs */

struct imageread_entry {
        char *path;    /* normalised absolute image path ("/" for the root) */
        unsigned mode; /* st_mode: type and permission bits */
        unsigned uid, gid;
        uint64_t size;   /* regular files */
        char *target;    /* symbolic links: the target as written */
        off_t offset;    /* a layer's file: where its bytes start in the spill file */
        char *host_path; /* a rootfs's file: where its bytes are */
};

struct imageread {
        enum imageread_form form;
        char *source;           /* OUT as given */
        json_t *config;         /* the image config (NULL for a rootfs) */
        json_t *annotations;    /* the image manifest's annotations (OCI), or NULL */
        struct strvec problems; /* digest, size and diff_id mismatches found while reading */
        size_t n_layers;
        /* private */
        struct strmap entries; /* path → struct imageread_entry * */
        int spill_fd;
};

/* Reads OUT (its form told by what it is: a directory with index.json, a directory tree, or a
 * file). DISTILL_EUSAGE for something that is none of the three, DISTILL_EINTEGRITY for an
 * archive that cannot be read, DISTILL_EIO for I/O. *img is freed by imageread_free. */
int imageread_open(const char *out, struct imageread **img, struct distill_error *err);
void imageread_free(struct imageread *img);

/* Exact lookup (no links followed). */
const struct imageread_entry *imageread_get(const struct imageread *img, const char *path);
/* Every path, sorted (C order: parents first); the caller frees the array only. */
const char **imageread_paths(const struct imageread *img, size_t *n);
/* A regular file's bytes (at most cap: DISTILL_EUSAGE when larger); caller frees *data, which
 * is NUL-terminated. */
int imageread_read(const struct imageread *img, const struct imageread_entry *e, size_t cap,
                   char **data, size_t *len, struct distill_error *err);
/* The entry's bytes as a readable descriptor at offset 0 (a memfd copy for a layer's file);
 * caller closes. */
int imageread_open_fd(const struct imageread *img, const struct imageread_entry *e, int *fd,
                      struct distill_error *err);

/* The entries as an image namespace (core/imagens), for resolving paths through links and
 * for the ELF resolver; devices and fifos go in as files. Caller frees. */
int imageread_namespace(const struct imageread *img, struct imagens **ns,
                        struct distill_error *err);

/* A string member of the config's "config" object ("User", "WorkingDir"), or NULL. */
const char *imageread_config_string(const struct imageread *img, const char *key);

#endif
