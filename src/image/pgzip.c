/* Deterministic parallel gzip through libdeflate (pgzip.h).
 *
 * Chunk i lives in slot i % n_slots until its member is written; the writer fills one chunk at
 * a time, hands full ones to the workers and, before reusing a slot, writes every member up to
 * the one that slot held, in chunk order. Workers only compress: the sink is only ever called
 * by the writer's thread. */
#include "distill/image/pgzip.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>

#include "distill/base/util.h"

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_DONE };

struct slot {
        unsigned char *in;
        size_t in_len;
        unsigned char *out;
        size_t out_cap, out_len; /* out_len 0 after compression: libdeflate failed */
        size_t chunk;            /* the chunk it holds */
        enum slot_state state;
};

struct pgzip {
        int level;
        pgzip_sink sink;
        void *ud;
        struct slot *slots;
        size_t n_slots;
        size_t filling;  /* the chunk being filled (its slot is filling % n_slots) */
        size_t next_out; /* the next chunk whose member goes to the sink */
        /* worker threads; none when there is one thread (the writer compresses) */
        pthread_t *threads;
        size_t n_threads;
        struct libdeflate_compressor *inline_compressor;
        pthread_mutex_t lock;
        pthread_cond_t queued; /* a slot became SLOT_QUEUED, or stopping */
        pthread_cond_t done;   /* a slot became SLOT_DONE */
        size_t queue_head;     /* the lowest chunk not yet taken by a worker */
        size_t queue_tail;     /* one past the highest chunk queued */
        bool stopping;
        bool failed; /* a worker could not allocate its compressor */
};

unsigned pgzip_threads(void)
{
        const char *s = getenv("DISTILL_THREADS");
        if (s && *s) {
                char *end;
                long v = strtol(s, &end, 10);
                if (!*end && v >= 1 && v <= PGZIP_MAX_THREADS)
                        return (unsigned)v;
        }
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
                return 1;
        return n > PGZIP_MAX_THREADS ? PGZIP_MAX_THREADS : (unsigned)n;
}

const char *pgzip_identity(void)
{
        static char id[64];
        if (!id[0])
                snprintf(id, sizeof(id), "libdeflate %s, %u-byte members",
                         LIBDEFLATE_VERSION_STRING, PGZIP_CHUNK);
        return id;
}

static void compress_slot(struct libdeflate_compressor *c, struct slot *s)
{
        s->out_len = c ? libdeflate_gzip_compress(c, s->in, s->in_len, s->out, s->out_cap) : 0;
}

static void *worker(void *arg)
{
        struct pgzip *z = arg;
        struct libdeflate_compressor *c = libdeflate_alloc_compressor(z->level);

        pthread_mutex_lock(&z->lock);
        if (!c)
                z->failed = true;
        for (;;) {
                while (!z->stopping && z->queue_head == z->queue_tail)
                        pthread_cond_wait(&z->queued, &z->lock);
                if (z->queue_head == z->queue_tail)
                        break; /* stopping, nothing left */
                struct slot *s = &z->slots[z->queue_head % z->n_slots];
                z->queue_head++;
                pthread_mutex_unlock(&z->lock);
                compress_slot(c, s);
                pthread_mutex_lock(&z->lock);
                s->state = SLOT_DONE;
                pthread_cond_broadcast(&z->done);
        }
        pthread_mutex_unlock(&z->lock);
        libdeflate_free_compressor(c);
        return NULL;
}

static int alloc_slots(struct pgzip *z, struct distill_error *err)
{
        struct libdeflate_compressor *probe = libdeflate_alloc_compressor(z->level);
        if (!probe)
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "libdeflate: cannot make a level-%d compressor", z->level);
        size_t bound = libdeflate_gzip_compress_bound(probe, PGZIP_CHUNK);
        if (z->n_threads == 0)
                z->inline_compressor = probe;
        else
                libdeflate_free_compressor(probe);
        z->slots = xcalloc(z->n_slots, sizeof(*z->slots));
        for (size_t i = 0; i < z->n_slots; i++) {
                z->slots[i].in = xmalloc(PGZIP_CHUNK);
                z->slots[i].out = xmalloc(bound);
                z->slots[i].out_cap = bound;
        }
        return 0;
}

static int start_workers(struct pgzip *z, struct distill_error *err)
{
        z->threads = xcalloc(z->n_threads, sizeof(*z->threads));
        for (size_t i = 0; i < z->n_threads; i++) {
                int e = pthread_create(&z->threads[i], NULL, worker, z);
                if (e) {
                        z->n_threads = i; /* the ones started are joined by pgzip_free */
                        return distill_error_errno(err, DISTILL_EINTERNAL, e,
                                                   "cannot start a compression thread");
                }
        }
        return 0;
}

int pgzip_open(int level, unsigned threads, pgzip_sink sink, void *ud, struct pgzip **out,
               struct distill_error *err)
{
        *out = NULL;
        if (level < PGZIP_MIN_LEVEL || level > PGZIP_MAX_LEVEL)
                return distill_error_set(err, DISTILL_EUSAGE, "gzip level %d: expected %d to %d",
                                         level, PGZIP_MIN_LEVEL, PGZIP_MAX_LEVEL);
        if (threads == 0)
                threads = pgzip_threads();
        if (threads > PGZIP_MAX_THREADS)
                threads = PGZIP_MAX_THREADS;
        struct pgzip *z = xcalloc(1, sizeof(*z));
        z->level = level;
        z->sink = sink;
        z->ud = ud;
        z->n_threads = threads > 1 ? threads : 0;
        /* a chunk per worker plus two (the one being filled, the one being written), so every
         * worker stays busy while the writer drains; memory stays threads x 2 MiB */
        z->n_slots = threads > 1 ? (size_t)threads + 2 : 1;
        pthread_mutex_init(&z->lock, NULL);
        pthread_cond_init(&z->queued, NULL);
        pthread_cond_init(&z->done, NULL);
        int r = alloc_slots(z, err);
        if (r >= 0 && z->n_threads)
                r = start_workers(z, err);
        if (r < 0) {
                pgzip_free(z);
                return r;
        }
        *out = z;
        return 0;
}

/* Write chunk z->next_out's member, waiting for it to be compressed. */
static int drain_one(struct pgzip *z, struct distill_error *err)
{
        struct slot *s = &z->slots[z->next_out % z->n_slots];
        pthread_mutex_lock(&z->lock);
        while (s->state != SLOT_DONE)
                pthread_cond_wait(&z->done, &z->lock);
        pthread_mutex_unlock(&z->lock);
        if (s->out_len == 0)
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "libdeflate could not compress chunk %zu", s->chunk);
        int e = z->sink(z->ud, s->out, s->out_len);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "writing the gzip stream");
        s->state = SLOT_FREE;
        s->in_len = 0;
        z->next_out++;
        return 0;
}

/* Hand the chunk being filled to a worker (or compress it here), then move to the next one,
 * draining the member that held the next chunk's slot. */
static int submit(struct pgzip *z, struct distill_error *err)
{
        struct slot *s = &z->slots[z->filling % z->n_slots];
        s->chunk = z->filling;
        if (z->n_threads == 0) {
                compress_slot(z->inline_compressor, s);
                s->state = SLOT_DONE;
        } else {
                pthread_mutex_lock(&z->lock);
                s->state = SLOT_QUEUED;
                z->queue_tail = z->filling + 1;
                pthread_cond_signal(&z->queued);
                pthread_mutex_unlock(&z->lock);
        }
        z->filling++;
        while (z->next_out + z->n_slots <= z->filling) {
                int r = drain_one(z, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pgzip_write(struct pgzip *z, const void *buf, size_t len, struct distill_error *err)
{
        const unsigned char *p = buf;
        while (len > 0) {
                struct slot *s = &z->slots[z->filling % z->n_slots];
                size_t room = PGZIP_CHUNK - s->in_len;
                size_t n = len < room ? len : room;
                memcpy(s->in + s->in_len, p, n);
                s->in_len += n;
                p += n;
                len -= n;
                if (s->in_len == PGZIP_CHUNK) {
                        int r = submit(z, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int pgzip_finish(struct pgzip *z, struct distill_error *err)
{
        struct slot *s = &z->slots[z->filling % z->n_slots];
        int r = 0;
        if (s->in_len > 0 || z->filling == 0)
                r = submit(z, err);
        while (r >= 0 && z->next_out < z->filling)
                r = drain_one(z, err);
        if (r >= 0 && z->failed)
                r = distill_error_set(err, DISTILL_EINTERNAL,
                                      "libdeflate: a worker could not make its compressor");
        return r;
}

void pgzip_free(struct pgzip *z)
{
        if (!z)
                return;
        pthread_mutex_lock(&z->lock);
        z->stopping = true;
        /* chunks still queued are compressed and dropped: only an error path gets here so */
        pthread_cond_broadcast(&z->queued);
        pthread_mutex_unlock(&z->lock);
        for (size_t i = 0; i < z->n_threads; i++)
                pthread_join(z->threads[i], NULL);
        free(z->threads);
        for (size_t i = 0; z->slots && i < z->n_slots; i++) {
                free(z->slots[i].in);
                free(z->slots[i].out);
        }
        free(z->slots);
        libdeflate_free_compressor(z->inline_compressor);
        pthread_cond_destroy(&z->queued);
        pthread_cond_destroy(&z->done);
        pthread_mutex_destroy(&z->lock);
        free(z);
}
