/* The staging store (DESIGN "Staging store"): content-addressed bytes (SHA-256, OpenSSL) of every
 * file that may enter the image, read once from the source. Blobs live at DIR/<hex>, written to a
 * temporary name and renamed, so a killed build never leaves a half-written blob under its name. */
#ifndef DISTILL_STORE_H
#define DISTILL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "distill/error.h"

#define SHA256_HEX_LEN 64

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

/* One-shot digests (OpenSSL EVP), lowercase hex. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);
int md5_hex_fd(int fd, char hex[33]);

#endif
