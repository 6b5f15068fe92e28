/* docker-archive: the `docker load` format (moby's "Combined Image JSON + Filesystem Changeset
 * Format", docs/architecture.md "OCI output"), made from an image already written as OCI blobs:
 * manifest.json naming the config and layers, the config under <hex>.json (the same bytes, so
 * the same config digest), each layer uncompressed as <diffid-hex>/layer.tar with the legacy
 * VERSION and json beside it, and `repositories` for old readers. One deterministic tar
 * (libarchive, pax_restricted, every mtime the epoch). */
#ifndef DISTILL_DOCKERARCHIVE_H
#define DISTILL_DOCKERARCHIVE_H
#include <stdint.h>
#include "distill/base/error.h"
#include "distill/image/layer.h"

/* blobs_dir: OUT/blobs/sha256 of the OCI layout; ref "localhost/app:latest"; path: the file to
 * write (created, or replaced). */
int docker_archive_write(const char *blobs_dir, const char *ref, const char *config_hex,
                         const struct layer_desc *layers, size_t n_layers, int64_t epoch,
                         const char *path, struct distill_error *err);

#endif
