/* Small shared helpers: allocation that aborts on exhaustion (as git's xmalloc), growable strings
 * (git's strbuf idiom), string vectors, a string-keyed hash map, cleanup attributes. */
#ifndef DISTILL_UTIL_H
#define DISTILL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "distill/base/error.h"

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s); /* NULL for NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline void cleanup_freep(void *p)
{
        extern void free(void *);
        free(*(void **)p);
}
#define cleanup_free __attribute__((cleanup(cleanup_freep)))

void cleanup_closep(int *fd);
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
void cleanup_fclosep(FILE **f);
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))

struct strbuf {
        char *buf; /* always NUL-terminated once initialised */
        size_t len;
        size_t alloc;
};
#define STRBUF_INIT                                                                                \
        {                                                                                          \
                NULL, 0, 0                                                                         \
        }
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb); /* caller owns the result; sb is reset */
void strbuf_release(struct strbuf *sb);
const char *strbuf_str(const struct strbuf *sb); /* "" when empty */

struct strvec {
        char **v; /* NULL-terminated when n > 0 */
        size_t n;
        size_t alloc;
};
#define STRVEC_INIT                                                                                \
        {                                                                                          \
                NULL, 0, 0                                                                         \
        }
void strvec_push(struct strvec *sv, const char *s); /* copies s */
void strvec_push_nodup(struct strvec *sv, char *s); /* takes ownership of s */
bool strvec_contains(const struct strvec *sv, const char *s);
void strvec_sort(struct strvec *sv); /* strcmp order (C locale) */
void strvec_sort_unique(struct strvec *sv);
void strvec_clear(struct strvec *sv);

/* Hash map from string to pointer. Keys are copied; values are owned by the caller. */
struct strmap_entry {
        char *key;
        void *value;
        uint64_t hash; /* of key: probes compare it before the string */
};
struct strmap {
        struct strmap_entry *slots;
        size_t cap;
        size_t n;
};
#define STRMAP_INIT                                                                                \
        {                                                                                          \
                NULL, 0, 0                                                                         \
        }
void *strmap_get(const struct strmap *m, const char *key);
bool strmap_has(const struct strmap *m, const char *key);
/* Returns the previous value (NULL if none). */
void *strmap_put(struct strmap *m, const char *key, void *value);
/* Iterate: for (size_t i = 0; i < m.cap; i++) if (m.slots[i].key) ... */
/* Sorted array of the keys (pointers into the map; valid until the map changes). Caller frees
 * the array. */
const char **strmap_sorted_keys(const struct strmap *m);
void strmap_clear(struct strmap *m, void (*free_value)(void *));

/* Path helpers over plain strings (no filesystem access). */
bool path_has_prefix(const char *path,
                     const char *dir); /* dir "/usr" matches "/usr" and "/usr/x" */
char *path_join(const char *a, const char *b);
char *path_dirname(const char *path); /* "/a/b" → "/a", "/a" → "/", "a" → "." */
const char *path_basename(const char *path);
/* Lexical normalisation of an absolute path: collapses //, ., and .. (clamped at /). */
char *path_normalize(const char *path);

/* Files */
/* Whole files and descriptors, NUL-terminated; 0, -errno, or -EFBIG past cap bytes. */
int read_fd_capped(int fd, size_t cap, char **data, size_t *len);
int read_file_capped(const char *path, size_t cap, char **data, size_t *len);
int read_file(const char *path, char **data, size_t *len); /* no cap */
int write_all(int fd, const void *data, size_t len);       /* 0 or -errno; retries EINTR */
/* Everything readable from `in` appended to `out` (copy_file_range where the kernel can, else
 * read and write): 0 or -errno. */
int copy_fd(int in, int out);
/* PATH.tmp.XXXXXX written, fsync'ed and renamed over PATH: 0 or -errno. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* The same, for content written by fill(fd, ud) (0 or -errno). durable false skips the fsync:
 * for entries that check themselves (a crash may leave a short file under the final name). */
int write_file_atomic_with(const char *path, unsigned mode, bool durable,
                           int (*fill)(int fd, void *ud), void *ud);
int mkdir_p(const char *path, unsigned mode); /* 0 or -errno */
/* Where distill's temporary files go: $TMPDIR when it is absolute (a relative one would depend
 * on the working directory), else /tmp. */
const char *temp_base(void);
/* mkdtemp of temp_base()/distill-WHAT-XXXXXX (mode 0700); NULL with errno set. Caller frees. */
char *temp_dir_make(const char *what);
int rm_rf(const char *path); /* 0 or -errno; never follows links */
/* SOURCE_DATE_EPOCH (reproducible-builds.org), 0 when unset; DISTILL_EUSAGE when it is not
 * seconds from 0 to 253402300799. */
int source_date_epoch(int64_t *epoch, struct distill_error *err);

#endif
