/* The staging store (docs/architecture.md, "The staging store"): content-addressed bytes (SHA-256,
 * OpenSSL) of every file that may enter the image, read once from the source. Blobs live at
 * DIR/<hex>, written to a temporary name and renamed, so a killed build never leaves a half-written
 * blob under its name. */
#ifndef DISTILL_STORE_H
#define DISTILL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "distill/base/digest.h"
#include "distill/base/error.h"

struct store;

int store_open(const char *dir, struct store **out, struct distill_error *err);
void store_free(struct store *st);
const char *store_dir(const struct store *st);

/* Copy everything readable from fd into the store; hex gets the SHA-256 of the bytes. */
int store_put_fd(struct store *st, int fd, const char *name, char hex[SHA256_HEX_LEN + 1],
                 uint64_t *size, struct distill_error *err);
int store_put_mem(struct store *st, const void *data, size_t len, char hex[SHA256_HEX_LEN + 1],
                  struct distill_error *err);
/* Path of a blob (caller frees); the blob need not exist. */
char *store_blob_path(const struct store *st, const char *hex);
int store_open_blob(const struct store *st, const char *hex, int *fd, struct distill_error *err);
int store_read_blob(const struct store *st, const char *hex, char **data, size_t *len,
                    struct distill_error *err);

/* Streaming writes with a deferred commit: bytes go to a temporary file in the store's directory
 * while they are hashed; nothing appears under a content name before store_writer_commit. A reader
 * that must keep all or nothing (a .deb refused halfway) finishes every blob, then commits them all
 * or aborts them all. */
struct store_writer;
int store_writer_start(struct store *st, struct store_writer **out, struct distill_error *err);
int store_writer_add(struct store_writer *w, const void *data, size_t len,
                     struct distill_error *err);
/* Close the temporary file and compute the digest; the blob stays uncommitted. */
int store_writer_finish(struct store_writer *w, char hex[SHA256_HEX_LEN + 1], uint64_t *size,
                        struct distill_error *err);
/* Rename a finished blob into place (an existing blob already holds the bytes); frees w. */
int store_writer_commit(struct store_writer *w, struct distill_error *err);
/* Remove the temporary file and free w (NULL is fine). */
void store_writer_abort(struct store_writer *w);
/* Whether the blob exists (a regular file under its name). */
bool store_has_blob(const struct store *st, const char *hex);

#endif
