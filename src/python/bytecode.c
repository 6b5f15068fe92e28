/* Bytecode (docs/architecture.md, "Root filesystem policy"): unchecked-hash .pyc files compiled by
 * an interpreter of exactly the image's version and magic number, in one run for all files. The
 * interpreter itself does the compiling and the pyc layout; distill only chooses which one. */
#include "distill/python/bytecode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/digest.h"

/* Compiles a canary exactly as the real jobs are compiled and prints the pyc header: magic (4
 * bytes), flags (4), source hash (8). */
static const char canary_script[] =
    "import sys\n"
    "sys.path[:] = [p for p in sys.path if p]\n"
    "import importlib.util, importlib._bootstrap_external as be\n"
    "src = b'x = 1\\n'\n"
    "code = compile(src, '<canary>', 'exec', dont_inherit=True, optimize=0)\n"
    "data = be._code_to_hash_pyc(code, importlib.util.source_hash(src), checked=False)\n"
    "sys.stdout.write(data[:16].hex())\n";

/* Jobs arrive on stdin as NUL-separated triples (image path, source, output); one status line
 * per job comes back: "INDEX ok", "INDEX syntax MESSAGE" (the file does not compile) or
 * "INDEX io MESSAGE" (distill's own files are unreadable: fatal). Code objects are dropped after
 * each job so that one file's constants cannot change how the next one marshals. */
static const char compile_script[] =
    "import sys\n"
    "sys.path[:] = [p for p in sys.path if p]\n"
    "import os, importlib.util, importlib._bootstrap_external as be\n"
    "def report(i, kind, msg=''):\n"
    "    line = '%d %s %s' % (i, kind, ' '.join(str(msg).split()))\n"
    "    sys.stdout.buffer.write(line.rstrip().encode('utf-8', 'backslashreplace') + b'\\n')\n"
    "fields = sys.stdin.buffer.read().split(b'\\0')\n"
    "for i in range(len(fields) // 3):\n"
    "    name, src, dst = (os.fsdecode(f) for f in fields[3 * i:3 * i + 3])\n"
    "    try:\n"
    "        with open(src, 'rb') as f:\n"
    "            source = f.read()\n"
    "    except OSError as e:\n"
    "        report(i, 'io', e)\n"
    "        continue\n"
    "    try:\n"
    "        code = compile(source, name, 'exec', dont_inherit=True, optimize=0)\n"
    "    except Exception as e:\n"
    "        report(i, 'syntax', '%s: %s' % (type(e).__name__, e))\n"
    "        continue\n"
    "    data = be._code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)\n"
    "    del code\n"
    "    try:\n"
    "        with open(dst, 'wb') as f:\n"
    "            f.write(data)\n"
    "    except OSError as e:\n"
    "        report(i, 'io', e)\n"
    "        continue\n"
    "    del data, source\n"
    "    report(i, 'ok')\n"
    "sys.stdout.flush()\n";

/* How the compiler runs. Before 3.11, marshal writes a frozenset constant (`x in {"a", "b"}`)
 * in its iteration order, which string hash randomisation changes from run to run: the .pyc of
 * Python 3.9 are reproducible only with PYTHONHASHSEED=0. -I would ignore that variable (it
 * implies -E), and guards nothing here: the environment is ours whole. -s and -S keep the user
 * and site directories away; the scripts drop sys.path[0] (the working directory). */
static char *const compiler_env[] = {"PATH=/usr/bin:/bin", "LANG=C", "PYTHONHASHSEED=0", NULL};
#define COMPILER_FLAGS "-s", "-S", "-B", "-c"

/* Version strings name a host file (/usr/bin/pythonX.Y): digits and one dot only. */
static bool is_plain_version(const char *v)
{
        int dots = 0;
        if (!v || !*v || *v == '.')
                return false;
        for (const char *p = v; *p; p++) {
                if (*p == '.')
                        dots++;
                else if (*p < '0' || *p > '9')
                        return false;
        }
        return dots == 1 && v[strlen(v) - 1] != '.';
}

/* Run the canary with `run`; 0 when its pyc header carries probe's magic and the unchecked-hash
 * flags. */
static int check_compiler(const struct pyrun *run, const struct py_probe *probe,
                          struct distill_error *err)
{
        const char *args[] = {COMPILER_FLAGS, canary_script, NULL};
        char *out = NULL;
        size_t len = 0;
        int ret = pyrun_exec_env(run, args, compiler_env, NULL, 0, PYRUN_DEFAULT_TIMEOUT, &out,
                                 &len, err);
        if (ret < 0)
                return ret;
        if (len != 32) {
                ret = distill_error_set(err, DISTILL_EIO,
                                        "%s: compiling a canary printed %zu bytes, not a pyc "
                                        "header",
                                        run->argv.v[run->argv.n - 1], len);
        } else if (strncmp(out, probe->magic_hex, 8) != 0) {
                ret = distill_error_set(err, DISTILL_EIO,
                                        "%s writes pyc magic %.8s, the image's interpreter "
                                        "expects %s",
                                        run->argv.v[run->argv.n - 1], out, probe->magic_hex);
        } else if (strncmp(out + 8, "01000000", 8) != 0) {
                ret = distill_error_set(err, DISTILL_EIO,
                                        "%s: canary pyc flags %.8s are not unchecked-hash",
                                        run->argv.v[run->argv.n - 1], out + 8);
        }
        free(out);
        return ret;
}

int bytecode_choose_compiler(const struct pyrun *image, const struct py_probe *probe,
                             struct pyrun *host, const struct pyrun **chosen,
                             struct distill_error *err)
{
        struct strbuf why = STRBUF_INIT;
        struct distill_error e = {0};
        int ret;

        memset(host, 0, sizeof(*host));
        *chosen = NULL;
        if (!probe || !probe->magic_hex || !is_plain_version(probe->version))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "bytecode: no interpreter probe with a version and a "
                                         "magic number");

        if (image && image->argv.n > 0 && !image->is_emulated) {
                if (check_compiler(image, probe, &e) == 0) {
                        *chosen = image;
                        return 0;
                }
                strbuf_addf(&why, "the image's interpreter: %s; ", e.msg);
        }

        char *host_python = xasprintf("/usr/bin/python%s", probe->version);
        if (access(host_python, X_OK) == 0) {
                strvec_push(&host->argv, host_python);
                host->is_host_python = true;
                if (check_compiler(host, probe, &e) == 0) {
                        free(host_python);
                        strbuf_release(&why);
                        *chosen = host;
                        return 0;
                }
                strbuf_addf(&why, "host %s: %s; ", host_python, e.msg);
                pyrun_release(host);
        } else {
                strbuf_addf(&why, "no host %s; ", host_python);
        }
        free(host_python);

        if (image && image->argv.n > 0 && image->is_emulated) {
                if (check_compiler(image, probe, &e) == 0) {
                        strbuf_release(&why);
                        *chosen = image;
                        return 0;
                }
                strbuf_addf(&why, "the image's interpreter under emulation: %s; ", e.msg);
        }
        if (why.len >= 2) /* drop the last "; " */
                why.buf[why.len - 2] = '\0';
        ret = distill_error_set(err, DISTILL_EIO,
                                "no interpreter can compile bytecode for Python %s (magic %s): %s",
                                probe->version, probe->magic_hex, strbuf_str(&why));
        strbuf_release(&why);
        return ret;
}

/* importlib.util.cache_from_source: DIR/__pycache__/STEM.TAG.pyc, STEM the name up to its last
 * dot. */
static char *pyc_path_for(const char *image_path, const char *tag)
{
        char *dir = path_dirname(image_path);
        const char *tail = path_basename(image_path);
        const char *dot = strrchr(tail, '.');
        char *almost;
        if (!dot)
                almost = xasprintf("%s%s", tail, tag);
        else if (dot == tail)
                almost = xasprintf("%s.%s", dot + 1, tag);
        else
                almost = xasprintf("%.*s.%s", (int)(dot - tail), tail, tag);
        char *cache = path_join(dir, "__pycache__");
        char *file = xasprintf("%s.pyc", almost);
        char *res = path_join(cache, file);
        free(dir);
        free(almost);
        free(cache);
        free(file);
        return res;
}

static void reset_job(struct pyc_job *job)
{
        free(job->pyc_path);
        free(job->error);
        job->pyc_path = NULL;
        job->error = NULL;
        job->pyc_digest[0] = '\0';
        job->pyc_size = 0;
}

/* Parse the compiler's status lines into jobs; every job must be answered exactly once. */
static int read_statuses(char *text, struct pyc_job *jobs, size_t n, bool *done,
                         struct distill_error *err)
{
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *end = NULL;
                errno = 0;
                unsigned long long i = strtoull(line, &end, 10);
                if (errno || end == line || *end != ' ' || i >= n || done[i])
                        return distill_error_set(err, DISTILL_EIO,
                                                 "bytecode compiler: unexpected status line "
                                                 "\"%.200s\"",
                                                 line);
                const char *kind = end + 1;
                done[i] = true;
                if (strncmp(kind, "ok", 2) == 0 && (kind[2] == '\0' || kind[2] == ' '))
                        continue;
                if (strncmp(kind, "syntax ", 7) == 0) {
                        jobs[i].error = xasprintf("%s: %s", jobs[i].image_path, kind + 7);
                        continue;
                }
                if (strncmp(kind, "io ", 3) == 0)
                        return distill_error_set(err, DISTILL_EIO, "bytecode for %s: %s",
                                                 jobs[i].image_path, kind + 3);
                return distill_error_set(err, DISTILL_EIO,
                                         "bytecode compiler: unexpected status \"%.200s\"", line);
        }
        for (size_t i = 0; i < n; i++)
                if (!done[i])
                        return distill_error_set(err, DISTILL_EIO,
                                                 "bytecode compiler did not report %s",
                                                 jobs[i].image_path);
        return 0;
}

static int store_output(struct store *st, const char *tmp, struct pyc_job *job,
                        struct distill_error *err)
{
        cleanup_close int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "bytecode for %s: %s",
                                           job->image_path, tmp);
        int ret = store_put_fd(st, fd, tmp, job->pyc_digest, &job->pyc_size, err);
        if (ret < 0)
                return distill_error_prefix(err, "bytecode for %s: ", job->image_path);
        return 0;
}

int bytecode_compile(const struct pyrun *compiler, const struct py_probe *probe, struct store *st,
                     struct pyc_job *jobs, size_t n, struct distill_error *err)
{
        struct strvec tmps = STRVEC_INIT;
        struct strbuf input = STRBUF_INIT;
        bool *done = NULL;
        char *out = NULL;
        size_t out_len = 0;
        int ret = 0;

        if (!compiler || !probe || !probe->cache_tag || !st)
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "bytecode: no compiler, probe or store");
        for (size_t i = 0; i < n; i++) {
                reset_job(&jobs[i]);
                if (!jobs[i].image_path || jobs[i].image_path[0] != '/' ||
                    !sha256_hex_valid(jobs[i].src_digest))
                        return distill_error_set(err, DISTILL_EINTERNAL,
                                                 "bytecode job %zu: needs an absolute image path "
                                                 "and a source digest (%s)",
                                                 i, jobs[i].image_path ? jobs[i].image_path : "");
        }
        if (n == 0)
                return 0;

        for (size_t i = 0; i < n; i++) {
                char *tmp = xasprintf("%s/.pyc-XXXXXX", store_dir(st));
                int fd = mkstemp(tmp);
                if (fd < 0) {
                        ret = distill_error_errno(err, DISTILL_EIO, errno, "bytecode: %s", tmp);
                        free(tmp);
                        goto cleanup;
                }
                close(fd);
                strvec_push_nodup(&tmps, tmp);
                char *src = store_blob_path(st, jobs[i].src_digest);
                strbuf_add(&input, jobs[i].image_path, strlen(jobs[i].image_path) + 1);
                strbuf_add(&input, src, strlen(src) + 1);
                strbuf_add(&input, tmp, strlen(tmp) + 1);
                free(src);
        }

        const char *args[] = {COMPILER_FLAGS, compile_script, NULL};
        /* generous: a whole stdlib under qemu-user compiles at a few files per second */
        unsigned timeout = PYRUN_DEFAULT_TIMEOUT + (n > 100000 ? 100000u : (unsigned)n);
        ret = pyrun_exec_env(compiler, args, compiler_env, input.buf, input.len, timeout, &out,
                             &out_len, err);
        if (ret < 0) {
                distill_error_prefix(err, "compiling %zu Python files: ", n);
                goto cleanup;
        }
        done = xcalloc(n, sizeof(*done));
        if ((ret = read_statuses(out, jobs, n, done, err)) < 0)
                goto cleanup;
        for (size_t i = 0; i < n; i++) {
                if (jobs[i].error)
                        continue;
                if ((ret = store_output(st, tmps.v[i], &jobs[i], err)) < 0)
                        goto cleanup;
                jobs[i].pyc_path = pyc_path_for(jobs[i].image_path, probe->cache_tag);
        }
        ret = 0;

cleanup:
        for (size_t i = 0; i < tmps.n; i++)
                unlink(tmps.v[i]);
        if (ret < 0)
                for (size_t i = 0; i < n; i++)
                        reset_job(&jobs[i]);
        strvec_clear(&tmps);
        strbuf_release(&input);
        free(done);
        free(out);
        return ret;
}

void pyc_job_release(struct pyc_job *job)
{
        if (job)
                reset_job(job);
}

/* ---- the .pyc cache ---------------------------------------------------------------------- */

/* An entry is this line, naming the .pyc bytes that follow by their SHA-256, then the bytes: a
 * truncated or altered entry no longer matches its line and is a miss, never shipped. */
#define PYC_ENTRY_TAG        "distill-pyc 1 "
#define PYC_ENTRY_TAG_LEN    (sizeof(PYC_ENTRY_TAG) - 1)
#define PYC_ENTRY_HEADER_LEN (PYC_ENTRY_TAG_LEN + SHA256_HEX_LEN + 1)
#define PYC_ENTRY_MAX        ((size_t)256 << 20)
#define PYC_HEADER_LEN       16

/* What decides a .pyc's bytes beyond the key's own fields: how distill runs the compiler (its
 * script, flags and environment). Changing any of them starts a new set of entries. */
static void compile_recipe(char hex[SHA256_HEX_LEN + 1])
{
        static const char *const flags[] = {COMPILER_FLAGS};
        struct digest *d = digest_sha256();
        digest_update(d, compile_script, sizeof(compile_script));
        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) - 1; i++)
                digest_update(d, flags[i], strlen(flags[i]) + 1);
        for (size_t i = 0; compiler_env[i]; i++)
                digest_update(d, compiler_env[i], strlen(compiler_env[i]) + 1);
        digest_finish_hex(d, hex);
}

/* The cache tag names a directory: letters, digits, '.', '_' and '-', not starting with a dot. */
static bool is_plain_tag(const char *tag)
{
        size_t len = tag ? strlen(tag) : 0;
        if (len == 0 || len > 64 || tag[0] == '.')
                return false;
        return strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
               len;
}

static bool is_magic_hex(const char *magic)
{
        return magic && strlen(magic) == 8 && strspn(magic, "0123456789abcdef") == 8;
}

/* CACHE/pyc/TAG/KK/KEY.pyc, KEY the SHA-256 of every input of the compilation (NUL-separated:
 * no image path can make two inputs read alike); NULL when the probe names no usable tag or
 * magic number. */
static char *cache_entry_path(const char *cache_dir, const struct py_probe *probe,
                              const struct pyc_job *job)
{
        char recipe[SHA256_HEX_LEN + 1], key[SHA256_HEX_LEN + 1];
        struct strbuf sb = STRBUF_INIT;

        if (!cache_dir || !probe || !is_plain_tag(probe->cache_tag) ||
            !is_magic_hex(probe->magic_hex) || !job->image_path ||
            !sha256_hex_valid(job->src_digest))
                return NULL;
        compile_recipe(recipe);
        const char *const fields[] = {"distill-pyc 1",  recipe,          probe->magic_hex,
                                      probe->cache_tag, job->image_path, job->src_digest,
                                      "optimize 0",     "unchecked-hash"};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                strbuf_add(&sb, fields[i], strlen(fields[i]) + 1);
        sha256_hex(sb.buf, sb.len, key);
        strbuf_release(&sb);
        return xasprintf("%s/pyc/%s/%.2s/%s.pyc", cache_dir, probe->cache_tag, key, key);
}

/* The .pyc bytes of an entry when it is whole and fits the probe: its digest line matches the
 * bytes, and they start with the magic number and the unchecked-hash flags. */
static bool entry_is_sound(const char *data, size_t len, const char *magic_hex)
{
        char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1], head[9];
        if (len < PYC_ENTRY_HEADER_LEN + PYC_HEADER_LEN ||
            memcmp(data, PYC_ENTRY_TAG, PYC_ENTRY_TAG_LEN) != 0 ||
            data[PYC_ENTRY_HEADER_LEN - 1] != '\n')
                return false;
        memcpy(want, data + PYC_ENTRY_TAG_LEN, SHA256_HEX_LEN);
        want[SHA256_HEX_LEN] = '\0';
        const unsigned char *pyc = (const unsigned char *)data + PYC_ENTRY_HEADER_LEN;
        size_t pyc_len = len - PYC_ENTRY_HEADER_LEN;
        sha256_hex(pyc, pyc_len, got);
        snprintf(head, sizeof(head), "%02x%02x%02x%02x", pyc[0], pyc[1], pyc[2], pyc[3]);
        return sha256_hex_valid(want) && strcmp(want, got) == 0 && strcmp(head, magic_hex) == 0 &&
               memcmp(pyc + 4, "\1\0\0\0", 4) == 0;
}

int bytecode_cache_get(const char *cache_dir, const struct py_probe *probe, struct store *st,
                       struct pyc_job *job, struct distill_error *err)
{
        cleanup_free char *path = cache_entry_path(cache_dir, probe, job);
        cleanup_free char *data = NULL;
        size_t len = 0;

        reset_job(job);
        if (!path || read_file_capped(path, PYC_ENTRY_MAX, &data, &len) < 0 ||
            !entry_is_sound(data, len, probe->magic_hex))
                return 0;
        int r = store_put_mem(st, data + PYC_ENTRY_HEADER_LEN, len - PYC_ENTRY_HEADER_LEN,
                              job->pyc_digest, err);
        if (r < 0) {
                reset_job(job);
                return distill_error_prefix(err, "bytecode for %s: ", job->image_path);
        }
        job->pyc_size = len - PYC_ENTRY_HEADER_LEN;
        job->pyc_path = pyc_path_for(job->image_path, probe->cache_tag);
        return 1;
}

struct entry_bytes {
        const char *header;
        const char *pyc;
        size_t len;
};

static int fill_entry(int fd, void *ud)
{
        const struct entry_bytes *b = ud;
        int e = write_all(fd, b->header, PYC_ENTRY_HEADER_LEN);
        return e ? e : write_all(fd, b->pyc, b->len);
}

/* Written to a temporary name in the entry's directory and renamed: readers see a whole entry
 * or none, and two builds writing the same key write the same bytes. Not fsync'ed: an entry a
 * crash leaves short fails its digest line and is compiled again. */
static int write_entry(const char *path, const char *pyc_digest, const char *pyc, size_t len)
{
        cleanup_free char *dir = path_dirname(path);
        char header[PYC_ENTRY_HEADER_LEN + 1];
        int e = mkdir_p(dir, 0755);
        if (e < 0)
                return e;
        snprintf(header, sizeof(header), "%s%s\n", PYC_ENTRY_TAG, pyc_digest);
        struct entry_bytes b = {header, pyc, len};
        return write_file_atomic_with(path, 0644, false, fill_entry, &b);
}

int bytecode_cache_put(const char *cache_dir, const struct py_probe *probe, const struct store *st,
                       const struct pyc_job *job, struct distill_error *err)
{
        cleanup_free char *path = cache_entry_path(cache_dir, probe, job);
        cleanup_free char *pyc = NULL;
        size_t len = 0;

        if (!path || job->error || !sha256_hex_valid(job->pyc_digest))
                return 0;
        int r = store_read_blob(st, job->pyc_digest, &pyc, &len, err);
        if (r < 0)
                return distill_error_prefix(err, "bytecode cache for %s: ", job->image_path);
        if (len > PYC_ENTRY_MAX - PYC_ENTRY_HEADER_LEN)
                return 0; /* a get could not read it back */
        int e = write_entry(path, job->pyc_digest, pyc, len);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "bytecode cache for %s: %s",
                                           job->image_path, path);
        return 0;
}

/* What bytecode_for_plan reads. */
struct bytecode_plan {
        const struct image_view *v;
        const struct pyenv *py;
        const struct strvec *app_dirs;
        const char *entry_script;
};

static bool under_search_path(const struct bytecode_plan *c, const char *path)
{
        cleanup_free char *dir = path_dirname(path);
        for (size_t i = 0; i < c->py->probe.sys_path.n; i++)
                if (path_has_prefix(dir, c->py->probe.sys_path.v[i]))
                        return true;
        for (size_t i = 0; i < c->app_dirs->n; i++)
                if (path_has_prefix(dir, c->app_dirs->v[i]))
                        return true;
        return false;
}

/* The kept source file a .py entry stands for — itself, or the file a .py symlink leads to
 * (Python caches bytecode beside the path it imported, /usr/lib/python3.11/sitecustomize.py,
 * not beside the link's target) — when it is a module the interpreter can import. */
static const struct plan_entry *bytecode_source(const struct bytecode_plan *c,
                                                const struct plan_entry *e)
{
        size_t len = strlen(e->path);
        if (len < 4 || strcmp(e->path + len - 3, ".py") != 0 ||
            (c->entry_script && strcmp(e->path, c->entry_script) == 0) ||
            strstr(e->path, "/__pycache__/") || !under_search_path(c, e->path))
                return NULL;
        if (e->type == PLAN_FILE)
                return e;
        if (e->type != PLAN_SYMLINK)
                return NULL;
        struct imagens_resolved res = {0};
        struct distill_error scratch = {0};
        const struct plan_entry *target = NULL;
        if (imagens_resolve(c->v->ns, e->path, true, &res, &scratch) == 0 && res.node &&
            res.node->type == IMAGENS_FILE)
                target = plan_get(c->v->plan, res.path);
        imagens_resolved_release(&res);
        return target && target->type == PLAN_FILE ? target : NULL;
}

/* The jobs the cache answers are filled from it; the others (misses, which need a compiler) are
 * compiled in one run and their .pyc kept in the cache. */
static int compile_or_reuse(const struct bytecode_plan *c, const char *cache_dir,
                            struct pyc_job *jobs, size_t n, struct distill_error *err)
{
        struct pyc_job *misses = xcalloc(n + 1, sizeof(*misses));
        size_t *from = xcalloc(n + 1, sizeof(*from));
        size_t n_misses = 0;
        struct pyrun host = {0};
        const struct pyrun *compiler = NULL;
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++) {
                r = bytecode_cache_get(cache_dir, &c->py->probe, c->v->st, &jobs[i], err);
                if (r == 0) {
                        misses[n_misses].image_path = jobs[i].image_path;
                        misses[n_misses].src_digest = jobs[i].src_digest;
                        from[n_misses++] = i;
                }
        }
        c->v->plan->pyc_compiled = n_misses;
        c->v->plan->pyc_cached = n - n_misses;
        if (r >= 0 && n_misses > 0) {
                r = bytecode_choose_compiler(&c->py->run, &c->py->probe, &host, &compiler, err);
                if (r >= 0)
                        r = bytecode_compile(compiler, &c->py->probe, c->v->st, misses, n_misses,
                                             err);
        }
        for (size_t k = 0; k < n_misses && r >= 0; k++)
                r = bytecode_cache_put(cache_dir, &c->py->probe, c->v->st, &misses[k], err);
        for (size_t k = 0; k < n_misses; k++) {
                /* the results move to their job */
                struct pyc_job *j = &jobs[from[k]];
                j->pyc_path = misses[k].pyc_path;
                j->error = misses[k].error;
                memcpy(j->pyc_digest, misses[k].pyc_digest, sizeof(j->pyc_digest));
                j->pyc_size = misses[k].pyc_size;
        }
        free(misses);
        free(from);
        pyrun_release(&host);
        return r < 0 ? r : 0;
}

/* Bytecode for every kept module: the .pyc sits beside its source in __pycache__. The entry
 * script runs as __main__ and is never loaded from a .pyc. */
int bytecode_for_plan(const struct image_view *v, const struct pyenv *py,
                      const struct strvec *app_dirs, const char *entry_script,
                      const char *cache_dir, struct distill_error *err)
{
        const struct bytecode_plan bp = {v, py, app_dirs, entry_script};
        const struct bytecode_plan *c = &bp;
        struct pyc_job *jobs = NULL;
        size_t n, n_jobs = 0;
        int r;

        v->plan->pyc_compiled = v->plan->pyc_cached = 0;
        struct plan_entry *const *all = plan_sorted(c->v->plan, &n);
        jobs = xcalloc(n + 1, sizeof(*jobs));
        for (size_t i = 0; i < n; i++) {
                const struct plan_entry *src = bytecode_source(c, all[i]);
                if (!src)
                        continue;
                jobs[n_jobs].image_path = all[i]->path;
                jobs[n_jobs].src_digest = src->digest;
                n_jobs++;
        }
        r = compile_or_reuse(c, cache_dir, jobs, n_jobs, err);
        for (size_t i = 0; i < n_jobs && r >= 0; i++) {
                if (jobs[i].error) {
                        plan_warn(c->v->plan, "no bytecode for %s: %s", jobs[i].image_path,
                                  jobs[i].error);
                        continue;
                }
                struct plan_entry e = {.path = jobs[i].pyc_path,
                                       .type = PLAN_FILE,
                                       .mode = 0644,
                                       .size = jobs[i].pyc_size,
                                       .reason = PLAN_R_GENERATED,
                                       .reason_from = (char *)jobs[i].image_path,
                                       .reason_detail = "bytecode (unchecked-hash .pyc)"};
                memcpy(e.digest, jobs[i].pyc_digest, sizeof(e.digest));
                plan_put(c->v->plan, &e);
        }
        for (size_t i = 0; i < n_jobs; i++)
                pyc_job_release(&jobs[i]);
        free(jobs);
        return r < 0 ? r : 0;
}
