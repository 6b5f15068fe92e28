#include "distill/base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void out_of_memory(void)
{
        /* Allocation failure is not a recoverable input error; as in git's xmalloc we stop. */
        fputs("distill: out of memory\n", stderr);
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                out_of_memory();
        return p;
}

void *xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                out_of_memory();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                out_of_memory();
        return p;
}

char *xstrdup(const char *s)
{
        if (!s)
                return NULL; /* as the value it copies: never a made-up "" */
        char *p = strdup(s);
        if (!p)
                out_of_memory();
        return p;
}

char *xstrndup(const char *s, size_t n)
{
        char *p = strndup(s, n);
        if (!p)
                out_of_memory();
        return p;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *p;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (r < 0)
                out_of_memory();
        return p;
}

void cleanup_closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

void cleanup_fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

/* strbuf */

void strbuf_grow(struct strbuf *sb, size_t extra)
{
        size_t need = sb->len + extra + 1;
        if (need <= sb->alloc)
                return;
        size_t alloc = sb->alloc ? sb->alloc : 64;
        while (alloc < need)
                alloc *= 2;
        bool fresh = !sb->buf;
        sb->buf = xrealloc(sb->buf, alloc);
        sb->alloc = alloc;
        if (fresh)
                sb->buf[0] = '\0'; /* the header's promise: always terminated */
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
        strbuf_grow(sb, len);
        if (len)
                memcpy(sb->buf + sb->len, data, len);
        sb->len += len;
        sb->buf[sb->len] = '\0';
}

void strbuf_adds(struct strbuf *sb, const char *s)
{
        strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
        strbuf_add(sb, &c, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
        va_list ap;
        int n;

        /* a real (unused) buffer rather than NULL: gcc 12 under -fsanitize=undefined warns of a
         * "null format string" for vsnprintf(NULL, 0, ...) and -Werror would stop that build */
        char probe;
        va_start(ap, fmt);
        n = vsnprintf(&probe, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        strbuf_grow(sb, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        sb->len += (size_t)n;
}

void strbuf_reset(struct strbuf *sb)
{
        sb->len = 0;
        if (sb->buf)
                sb->buf[0] = '\0';
}

char *strbuf_detach(struct strbuf *sb)
{
        char *p = sb->buf ? sb->buf : xstrdup("");
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
        return p;
}

void strbuf_release(struct strbuf *sb)
{
        free(sb->buf);
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
}

const char *strbuf_str(const struct strbuf *sb)
{
        return sb->buf ? sb->buf : "";
}

/* strvec */

void strvec_push_nodup(struct strvec *sv, char *s)
{
        if (sv->n + 2 > sv->alloc) {
                sv->alloc = sv->alloc ? sv->alloc * 2 : 8;
                sv->v = xrealloc(sv->v, sv->alloc * sizeof(*sv->v));
        }
        sv->v[sv->n++] = s;
        sv->v[sv->n] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
        strvec_push_nodup(sv, xstrdup(s));
}

bool strvec_contains(const struct strvec *sv, const char *s)
{
        for (size_t i = 0; i < sv->n; i++)
                if (strcmp(sv->v[i], s) == 0)
                        return true;
        return false;
}

static int cmp_strp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void strvec_sort(struct strvec *sv)
{
        if (sv->n > 1)
                qsort(sv->v, sv->n, sizeof(*sv->v), cmp_strp);
}

void strvec_sort_unique(struct strvec *sv)
{
        size_t out = 0;

        strvec_sort(sv);
        for (size_t i = 0; i < sv->n; i++) {
                if (out > 0 && strcmp(sv->v[out - 1], sv->v[i]) == 0) {
                        free(sv->v[i]);
                        continue;
                }
                sv->v[out++] = sv->v[i];
        }
        sv->n = out;
        if (sv->v)
                sv->v[sv->n] = NULL;
}

void strvec_clear(struct strvec *sv)
{
        for (size_t i = 0; i < sv->n; i++)
                free(sv->v[i]);
        free(sv->v);
        sv->v = NULL;
        sv->n = sv->alloc = 0;
}

/* strmap: open addressing, linear probing, FNV-1a */

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ULL;
        }
        return h;
}

/* The key's slot, or the empty slot where it would go. The stored hashes spare a strcmp for
 * nearly every slot probed past: most lookups (is this path in the plan?) are misses. */
static struct strmap_entry *strmap_slot(const struct strmap *m, const char *key, uint64_t h)
{
        size_t i = h & (m->cap - 1);
        while (m->slots[i].key && (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
                i = (i + 1) & (m->cap - 1);
        return &m->slots[i];
}

void *strmap_get(const struct strmap *m, const char *key)
{
        if (!m->cap)
                return NULL;
        struct strmap_entry *e = strmap_slot(m, key, hash_str(key));
        return e->key ? e->value : NULL;
}

bool strmap_has(const struct strmap *m, const char *key)
{
        return m->cap && strmap_slot(m, key, hash_str(key))->key != NULL;
}

static void strmap_rehash(struct strmap *m)
{
        struct strmap old = *m;

        m->cap = old.cap ? old.cap * 2 : 64;
        m->slots = xcalloc(m->cap, sizeof(*m->slots));
        for (size_t i = 0; i < old.cap; i++) {
                if (!old.slots[i].key)
                        continue;
                *strmap_slot(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
        }
        free(old.slots);
}

void *strmap_put(struct strmap *m, const char *key, void *value)
{
        /* at most half full: linear probing's misses stay short */
        if ((m->n + 1) * 2 > m->cap)
                strmap_rehash(m);
        uint64_t h = hash_str(key);
        struct strmap_entry *e = strmap_slot(m, key, h);
        if (e->key) {
                void *prev = e->value;
                e->value = value;
                return prev;
        }
        e->key = xstrdup(key);
        e->value = value;
        e->hash = h;
        m->n++;
        return NULL;
}

static int cmp_cstrp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **strmap_sorted_keys(const struct strmap *m)
{
        const char **keys = xcalloc(m->n + 1, sizeof(*keys));
        size_t k = 0;

        for (size_t i = 0; i < m->cap; i++)
                if (m->slots[i].key)
                        keys[k++] = m->slots[i].key;
        qsort(keys, k, sizeof(*keys), cmp_cstrp);
        return keys;
}

void strmap_clear(struct strmap *m, void (*free_value)(void *))
{
        for (size_t i = 0; i < m->cap; i++) {
                if (!m->slots[i].key)
                        continue;
                free(m->slots[i].key);
                if (free_value)
                        free_value(m->slots[i].value);
        }
        free(m->slots);
        m->slots = NULL;
        m->cap = m->n = 0;
}

/* paths */

bool path_has_prefix(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        if (n == 1 && dir[0] == '/')
                return path[0] == '/';
        return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

char *path_join(const char *a, const char *b)
{
        size_t la = strlen(a);
        while (la > 0 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        return xasprintf("%.*s/%s", (int)la, a, b);
}

char *path_dirname(const char *path)
{
        const char *slash = strrchr(path, '/');
        if (!slash)
                return xstrdup(".");
        if (slash == path)
                return xstrdup("/");
        return xstrndup(path, (size_t)(slash - path));
}

const char *path_basename(const char *path)
{
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

char *path_normalize(const char *path)
{
        struct strbuf out = STRBUF_INIT;
        const char *p = path;

        strbuf_addch(&out, '/');
        while (*p) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if (n == 0)
                        break;
                if (n == 1 && p[0] == '.') {
                        /* nothing */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        while (out.len > 1 && out.buf[out.len - 1] != '/')
                                out.len--;
                        if (out.len > 1)
                                out.len--; /* drop the slash too, unless at root */
                        out.buf[out.len] = '\0';
                } else {
                        if (out.len > 1)
                                strbuf_addch(&out, '/');
                        strbuf_add(&out, p, n);
                }
                p = end;
        }
        return strbuf_detach(&out);
}

/* files */

int read_fd_capped(int fd, size_t cap, char **data, size_t *len)
{
        struct strbuf sb = STRBUF_INIT;
        char buf[65536];
        for (;;) {
                ssize_t r = read(fd, buf, sizeof(buf));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        strbuf_release(&sb);
                        return -e;
                }
                if (r == 0)
                        break;
                if ((size_t)r > cap - sb.len) {
                        strbuf_release(&sb);
                        return -EFBIG;
                }
                strbuf_add(&sb, buf, (size_t)r);
        }
        strbuf_grow(&sb, 0);
        sb.buf[sb.len] = '\0'; /* an empty file never went through strbuf_add */
        *len = sb.len;
        *data = strbuf_detach(&sb);
        return 0;
}

int read_file_capped(const char *path, size_t cap, char **data, size_t *len)
{
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return read_fd_capped(fd, cap, data, len);
}

int read_file(const char *path, char **data, size_t *len)
{
        return read_file_capped(path, SIZE_MAX, data, len);
}

int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t w = write(fd, p, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                p += w;
                len -= (size_t)w;
        }
        return 0;
}

int write_file_atomic_with(const char *path, unsigned mode, bool durable,
                           int (*fill)(int fd, void *ud), void *ud)
{
        char *tmp = xasprintf("%s.tmp.XXXXXX", path);
        int fd = mkstemp(tmp);
        int e = 0;

        if (fd < 0) {
                e = -errno;
                free(tmp);
                return e;
        }
        e = fchmod(fd, mode) < 0 ? -errno : 0;
        if (!e)
                e = fill(fd, ud);
        /* the data reaches the disk before the name does: a crash leaves the old file or the
         * new one, never an empty one under the final name */
        if (!e && durable && fsync(fd) < 0)
                e = -errno;
        if (close(fd) < 0 && !e)
                e = -errno;
        if (!e && rename(tmp, path) < 0)
                e = -errno;
        if (e)
                unlink(tmp);
        free(tmp);
        return e;
}

struct bytes_to_write {
        const void *data;
        size_t len;
};

static int fill_bytes(int fd, void *ud)
{
        const struct bytes_to_write *b = ud;
        return write_all(fd, b->data, b->len);
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
        struct bytes_to_write b = {data, len};
        return write_file_atomic_with(path, mode, true, fill_bytes, &b);
}

int copy_fd(int in, int out)
{
        char buf[65536];

        for (;;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
                if (n == 0)
                        return 0;
                if (n > 0)
                        continue;
                if (errno == EINTR)
                        continue;
                if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP &&
                    errno != EBADF)
                        return -errno;
                break; /* not between these two files: read and write */
        }
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n == 0)
                        return 0;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                int e = write_all(out, buf, (size_t)n);
                if (e < 0)
                        return e;
        }
}

const char *temp_base(void)
{
        const char *tmp = getenv("TMPDIR");
        return tmp && tmp[0] == '/' ? tmp : "/tmp";
}

char *temp_dir_make(const char *what)
{
        char *templ = xasprintf("%s/distill-%s-XXXXXX", temp_base(), what);
        if (!mkdtemp(templ)) {
                int e = errno;
                free(templ);
                errno = e;
                return NULL;
        }
        return templ;
}

int mkdir_p(const char *path, unsigned mode)
{
        char *p = xstrdup(path);
        int e = 0;

        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST) {
                        e = -errno;
                        break;
                }
                *s = '/';
        }
        if (!e && mkdir(p, mode) < 0 && errno != EEXIST)
                e = -errno;
        free(p);
        return e;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag == FTW_DP)
                return rmdir(path) < 0 ? -1 : 0;
        return unlink(path) < 0 ? -1 : 0;
}

int rm_rf(const char *path)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlink(path) < 0 ? -errno : 0;
        if (nftw(path, rm_entry, 64, FTW_DEPTH | FTW_PHYS) < 0)
                return -errno;
        return 0;
}

int source_date_epoch(int64_t *epoch, struct distill_error *err)
{
        const char *s = getenv("SOURCE_DATE_EPOCH");
        char *end;

        *epoch = 0;
        if (!s || !*s)
                return 0;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || *end || v < 0 || v > 253402300799LL)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "SOURCE_DATE_EPOCH=%s: expected seconds since 1970 "
                                         "(0 to 253402300799)",
                                         s);
        *epoch = v;
        return 0;
}
