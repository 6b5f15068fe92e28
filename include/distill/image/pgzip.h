/* pgzip: deterministic parallel gzip. The stream is cut into PGZIP_CHUNK-byte chunks, each
 * compressed by libdeflate (its gzip API, not hand-written deflate) into a gzip member of its
 * own, on several threads, and the members are written in order. A gzip file may hold several
 * members (RFC 1952 §2.2); gzip -t, Python's gzip, Go's compress/gzip and the image tools read
 * them as one stream. The bytes depend on the input, the level, the chunk size and libdeflate's
 * version — never on the number of threads or on how the input was split into writes. */
#ifndef DISTILL_PGZIP_H
#define DISTILL_PGZIP_H

#include <stddef.h>
#include "distill/base/error.h"

#define PGZIP_CHUNK       (1u << 20)
#define PGZIP_MIN_LEVEL   1
#define PGZIP_MAX_LEVEL   12 /* libdeflate's range; 6 is zlib's default's equal */
#define PGZIP_MAX_THREADS 32 /* each in-flight chunk holds about 2 MiB */

/* Receives the compressed bytes in order, from the thread that calls pgzip_write/finish:
 * 0, or -errno (the error is kept and returned by the call that triggered it). */
typedef int (*pgzip_sink)(void *ud, const void *buf, size_t len);

struct pgzip;

/* threads 0: pgzip_threads(). DISTILL_EUSAGE for a level out of range. */
int pgzip_open(int level, unsigned threads, pgzip_sink sink, void *ud, struct pgzip **out,
               struct distill_error *err);
int pgzip_write(struct pgzip *z, const void *buf, size_t len, struct distill_error *err);
/* The last chunk (an empty stream still gets one member), every member written. */
int pgzip_finish(struct pgzip *z, struct distill_error *err);
void pgzip_free(struct pgzip *z);

/* DISTILL_THREADS when it is a number from 1 to PGZIP_MAX_THREADS, else the online CPUs (at
 * most PGZIP_MAX_THREADS). */
unsigned pgzip_threads(void);
/* "libdeflate 1.14, 1048576-byte members": what the bytes depend on besides input and level. */
const char *pgzip_identity(void);

#endif
