#include "distill/base/digest.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#define DIGEST_CHUNK (64u << 10)

static struct digest *digest_start(const EVP_MD *type)
{
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (!md || EVP_DigestInit_ex(md, type, NULL) != 1)
                abort(); /* only allocation can fail here */
        return (struct digest *)md;
}

struct digest *digest_sha256(void)
{
        return digest_start(EVP_sha256());
}

struct digest *digest_md5(void)
{
        return digest_start(EVP_md5());
}

struct digest *digest_sha1(void)
{
        return digest_start(EVP_sha1());
}

void digest_update(struct digest *d, const void *data, size_t len)
{
        EVP_DigestUpdate((EVP_MD_CTX *)d, data, len);
}

void digest_finish_hex(struct digest *d, char *hex)
{
        static const char digits[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        if (EVP_DigestFinal_ex((EVP_MD_CTX *)d, md, &len) != 1)
                abort(); /* cannot fail for SHA-256, SHA-1 or MD5 once initialised */
        EVP_MD_CTX_free((EVP_MD_CTX *)d);
        for (unsigned i = 0; i < len; i++) {
                hex[2 * i] = digits[md[i] >> 4];
                hex[2 * i + 1] = digits[md[i] & 0xf];
        }
        hex[2 * len] = '\0';
}

void digest_free(struct digest *d)
{
        EVP_MD_CTX_free((EVP_MD_CTX *)d);
}

void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
        struct digest *d = digest_sha256();
        digest_update(d, data, len);
        digest_finish_hex(d, hex);
}

void sha1_hex(const void *data, size_t len, char hex[SHA1_HEX_LEN + 1])
{
        struct digest *d = digest_sha1();
        digest_update(d, data, len);
        digest_finish_hex(d, hex);
}

static int digest_fd(struct digest *d, int fd, char *hex, uint64_t *size)
{
        char *buf = malloc(DIGEST_CHUNK);
        uint64_t total = 0;
        if (!buf)
                abort();
        for (;;) {
                ssize_t r = read(fd, buf, DIGEST_CHUNK);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        free(buf);
                        digest_free(d);
                        return -e;
                }
                if (r == 0)
                        break;
                digest_update(d, buf, (size_t)r);
                total += (uint64_t)r;
        }
        free(buf);
        digest_finish_hex(d, hex);
        if (size)
                *size = total;
        return 0;
}

int sha256_hex_fd(int fd, char hex[SHA256_HEX_LEN + 1], uint64_t *size)
{
        return digest_fd(digest_sha256(), fd, hex, size);
}

int md5_hex_fd(int fd, char hex[MD5_HEX_LEN + 1])
{
        return digest_fd(digest_md5(), fd, hex, NULL);
}

bool sha256_hex_valid(const char *s)
{
        size_t i = 0;
        for (; s && s[i]; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return i == SHA256_HEX_LEN;
}
