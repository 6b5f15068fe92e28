/* Bytecode (docs/architecture.md, "Root filesystem policy"): unchecked-hash .pyc files
 * (reproducible, no mtime), co_filename the in-image path, compiled by an interpreter of exactly
 * the image's version and magic number — never a hand-written compiler. */
#ifndef DISTILL_BYTECODE_H
#define DISTILL_BYTECODE_H

#include <stdint.h>
#include "distill/core/imageview.h"
#include "distill/core/store.h"
#include "distill/python/pyenv.h"
#include "distill/python/pyprobe.h"

struct pyc_job {
        const char *image_path; /* "/usr/lib/python3.11/os.py" */
        const char *src_digest; /* store blob of the source */
        char *pyc_path;         /* filled: "/usr/lib/python3.11/__pycache__/os.cpython-311.pyc" */
        char pyc_digest[SHA256_HEX_LEN + 1]; /* filled: store blob of the .pyc */
        uint64_t pyc_size;                   /* filled */
        char *error; /* filled when this file does not compile (SyntaxError):
                      * reported, not fatal — Python would not import it either */
};

/* Choose the compiler: the image's interpreter (`image`, same architecture) when it runs, else a
 * host CPython whose magic number equals probe->magic_hex (checked by compiling a canary and
 * reading its header), else the image's interpreter under qemu (also `image`, prepared for the
 * foreign architecture). *chosen points at image or host (host is filled when used). */
int bytecode_choose_compiler(const struct pyrun *image, const struct py_probe *probe,
                             struct pyrun *host, const struct pyrun **chosen,
                             struct distill_error *err);

/* Compile every job in one interpreter run: sources are read from the store, .pyc bytes are put
 * into the store. The pyc path uses probe->cache_tag. */
int bytecode_compile(const struct pyrun *compiler, const struct py_probe *probe, struct store *st,
                     struct pyc_job *jobs, size_t n, struct distill_error *err);
void pyc_job_release(struct pyc_job *job);

/* The .pyc cache, so that a warm build compiles nothing: an entry per compiled job at
 * CACHE_DIR/pyc/<cache_tag>/<2 hex>/<key>.pyc, the key a SHA-256 of everything the bytes depend
 * on — the source's digest, the in-image path (co_filename), the magic number and cache tag, the
 * optimisation level (0), the invalidation mode (unchecked-hash) and how distill runs the
 * compiler. An entry is a line naming the .pyc bytes by their SHA-256, then the bytes; it is
 * written under a temporary name and renamed, so builds may share a cache.
 *
 * get: 1 with the job filled (pyc_path, pyc_digest, pyc_size; the bytes put into st) on a hit;
 * 0 on a miss — no entry, no cache_dir, or an entry that fails its checks (its digest line, the
 * probe's magic number, the unchecked-hash flags): such an entry is never used, and the put
 * after compiling replaces it. */
int bytecode_cache_get(const char *cache_dir, const struct py_probe *probe, struct store *st,
                       struct pyc_job *job, struct distill_error *err);
/* Keep a compiled job's .pyc (nothing for a job that did not compile, or without cache_dir). */
int bytecode_cache_put(const char *cache_dir, const struct py_probe *probe, const struct store *st,
                       const struct pyc_job *job, struct distill_error *err);

/* .pyc files for every module the plan keeps that the interpreter imports from a sys.path
 * entry or an app directory (not the entry script: it runs as __main__), as generated entries
 * beside each source in __pycache__. A module that does not compile is a warning: Python would
 * not import it either. With cache_dir (NULL: none), the cache answers what it holds and only
 * the rest is compiled (one interpreter run, none when everything was cached); the plan's
 * pyc_compiled and pyc_cached count both. */
int bytecode_for_plan(const struct image_view *v, const struct pyenv *py,
                      const struct strvec *app_dirs, const char *entry_script,
                      const char *cache_dir, struct distill_error *err);

#endif
