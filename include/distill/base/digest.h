/* Digests through OpenSSL's EVP interface, as lowercase hex: the one place bytes become a
 * digest string, and the one test of what a SHA-256 string looks like. */
#ifndef DISTILL_DIGEST_H
#define DISTILL_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64
#define MD5_HEX_LEN    32
#define SHA1_HEX_LEN   40 /* what SPDX 2.3 requires of every file */

/* A running digest; allocation failure aborts, as xmalloc does. */
struct digest;
struct digest *digest_sha256(void);
struct digest *digest_md5(void);
struct digest *digest_sha1(void);
void digest_update(struct digest *d, const void *data, size_t len);
/* Writes the digest as lowercase hex (SHA256_HEX_LEN, SHA1_HEX_LEN or MD5_HEX_LEN digits and a
 * NUL) and frees d. */
void digest_finish_hex(struct digest *d, char *hex);
void digest_free(struct digest *d); /* abandons a digest; NULL is fine */

void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);
void sha1_hex(const void *data, size_t len, char hex[SHA1_HEX_LEN + 1]);
/* The digest of everything left to read on fd, and how many bytes that was (size may be NULL):
 * 0 or -errno. */
int sha256_hex_fd(int fd, char hex[SHA256_HEX_LEN + 1], uint64_t *size);
int md5_hex_fd(int fd, char hex[MD5_HEX_LEN + 1]);

/* Exactly SHA256_HEX_LEN lowercase hex digits, as every digest distill writes. */
bool sha256_hex_valid(const char *s);

#endif
