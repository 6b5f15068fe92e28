/* Which Debian package ships a Python distribution: the *.dist-info / *.egg-info entries that
 * dpkg's file lists or an archive's Contents indexes name, by PEP 503 name. */
#include "distill/convert/pydist.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/names.h"
#include "distill/core/roottree.h"
#include "distill/source/source.h"

#define TEXT_MAX          ((size_t)256 << 20) /* a reduced Contents index or a dpkg file list */
#define ENTRIES_MAX       (1u << 20)          /* distinct (package, entry) pairs of an index */
#define PER_NAME_MAX      4096                /* packages shipping one distribution */
#define NAME_MAX_LEN      255                 /* a distribution name or version */
#define METADATA_HEAD_MAX (64u << 10)         /* the headers of a METADATA / PKG-INFO */

struct bucket {
        struct pydist_entry *v;
        size_t n, alloc;
};

struct pydist_index {
        struct strmap by_name; /* normalised name → struct bucket */
        size_t n_entries;
};

/* ------------------------------------------------------------------------------------------ */
/* Names and paths                                                                              */

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

/* Printable ASCII without blanks: what a wheel or egg name and version are made of. */
static bool is_name_text(const char *s, size_t n)
{
        if (n == 0 || n > NAME_MAX_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] > '~')
                        return false;
        return true;
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
        size_t k = strlen(suffix);
        return n > k && memcmp(s + n - k, suffix, k) == 0;
}

int pydist_parse_path(const char *s, size_t n, char **name, char **version, char **info_path)
{
        *name = *version = *info_path = NULL;
        if (n > 0 && s[0] == '/') {
                s++;
                n--;
        }
        size_t base = 0;
        size_t end = py_dist_info_prefix(s, n, &base);
        if (end == 0 || (end < n && s[end] != '/'))
                return 0;
        size_t stem_len = (end - base) - (has_suffix(s + base, end - base, ".dist-info") ? 10 : 9);
        const char *stem = s + base;
        const char *dash = memchr(stem, '-', stem_len);
        size_t name_len = dash ? (size_t)(dash - stem) : stem_len;
        if (!is_name_text(stem, name_len))
                return 0;
        const char *ver = NULL;
        size_t ver_len = 0;
        if (dash) {
                /* NAME-VERSION[-pyX.Y[-PLATFORM]]: the version ends at the next '-' */
                ver = dash + 1;
                const char *rest = stem + stem_len;
                const char *dash2 = memchr(ver, '-', (size_t)(rest - ver));
                ver_len = (size_t)((dash2 ? dash2 : rest) - ver);
                if (ver_len > 0 && !is_name_text(ver, ver_len))
                        return 0;
        }
        *name = pep503_normalize(stem, name_len);
        *version = ver_len > 0 ? xstrndup(ver, ver_len) : NULL;
        *info_path = xasprintf("/%.*s", (int)end, s);
        return 1;
}

int pydist_parse_contents_line(const char *line, size_t len, char **path, struct strvec *packages)
{
        *path = NULL;
        while (len > 0 && (is_blank(line[len - 1]) || line[len - 1] == '\n'))
                len--;
        size_t loc = len;
        while (loc > 0 && !is_blank(line[loc - 1]))
                loc--;
        size_t path_end = loc;
        while (path_end > 0 && is_blank(line[path_end - 1]))
                path_end--;
        if (loc == 0 || path_end == 0 || loc == len)
                return 0;
        struct strvec found = STRVEC_INIT;
        for (size_t i = loc; i < len;) {
                const char *item = line + i;
                const char *comma = memchr(item, ',', len - i);
                size_t item_len = comma ? (size_t)(comma - item) : len - i;
                i += item_len + (comma ? 1 : 0);
                const char *slash = NULL;
                for (size_t k = 0; k < item_len; k++)
                        if (item[k] == '/')
                                slash = item + k;
                if (!slash) {
                        strvec_clear(&found); /* "FILE  LOCATION", or prose */
                        return 0;
                }
                size_t pkg_len = item_len - (size_t)(slash + 1 - item);
                cleanup_free char *pkg = xstrndup(slash + 1, pkg_len);
                if (pkg_len > NAMES_DEB_MAX || !deb_package_name_valid(pkg)) {
                        strvec_clear(&found);
                        return -1;
                }
                strvec_push(&found, pkg);
        }
        for (size_t i = 0; i < found.n; i++)
                strvec_push(packages, found.v[i]);
        strvec_clear(&found);
        *path = xstrndup(line, path_end);
        return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Versions of versionless entries: their METADATA / PKG-INFO, inside the root                  */

/* The first bytes of a file: headers come first, the description after them may be long. */
static int read_head(int fd, char *buf, size_t cap, size_t *len)
{
        *len = 0;
        while (*len < cap) {
                ssize_t r = read(fd, buf + *len, cap - *len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        break;
                *len += (size_t)r;
        }
        return 0;
}

/* "Version:" of the header block (core metadata is RFC 822 headers up to the first empty
 * line; field names are case-insensitive). */
static char *header_version(const char *text, size_t len)
{
        for (size_t i = 0; i < len;) {
                const char *line = text + i;
                const char *nl = memchr(line, '\n', len - i);
                size_t ll = nl ? (size_t)(nl - line) : len - i;
                i += ll + 1;
                while (ll > 0 && line[ll - 1] == '\r')
                        ll--;
                if (ll == 0)
                        break;
                if (ll > 8 && strncasecmp(line, "Version:", 8) == 0) {
                        const char *v = line + 8;
                        size_t vl = ll - 8;
                        while (vl > 0 && is_blank(*v)) {
                                v++;
                                vl--;
                        }
                        while (vl > 0 && is_blank(v[vl - 1]))
                                vl--;
                        return is_name_text(v, vl) ? xstrndup(v, vl) : NULL;
                }
        }
        return NULL;
}

/* The version a versionless entry's metadata file gives, NULL when there is none to read. */
static char *metadata_version(int rootfd, const char *info_path)
{
        cleanup_free char *file = NULL;
        size_t n = strlen(info_path);
        if (has_suffix(info_path, n, ".dist-info")) {
                file = xasprintf("%s/METADATA", info_path);
        } else {
                /* an .egg-info is a directory holding PKG-INFO, or the PKG-INFO itself */
                cleanup_close int fd =
                    roottree_open(rootfd, info_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0)
                        return NULL;
                file =
                    S_ISDIR(st.st_mode) ? xasprintf("%s/PKG-INFO", info_path) : xstrdup(info_path);
        }
        cleanup_close int fd = roottree_open(rootfd, file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return NULL;
        cleanup_free char *buf = xmalloc(METADATA_HEAD_MAX);
        size_t len = 0;
        if (read_head(fd, buf, METADATA_HEAD_MAX, &len) < 0)
                return NULL;
        return header_version(buf, len);
}

/* ------------------------------------------------------------------------------------------ */
/* The index                                                                                    */

static void entry_release(struct pydist_entry *e)
{
        free(e->name);
        free(e->version);
        free(e->package);
        free(e->path);
}

static void bucket_free(void *p)
{
        struct bucket *b = p;
        for (size_t i = 0; b && i < b->n; i++)
                entry_release(&b->v[i]);
        if (b)
                free(b->v);
        free(b);
}

struct pydist_index *pydist_index_new(void)
{
        return xcalloc(1, sizeof(struct pydist_index));
}

void pydist_index_free(struct pydist_index *idx)
{
        if (!idx)
                return;
        strmap_clear(&idx->by_name, bucket_free);
        free(idx);
}

const struct pydist_entry *pydist_lookup(const struct pydist_index *idx,
                                         const char *normalized_name, size_t *n_out)
{
        const struct bucket *b = idx ? strmap_get(&idx->by_name, normalized_name) : NULL;
        *n_out = b ? b->n : 0;
        return b && b->n ? b->v : NULL;
}

static int entry_cmp(const char *pkg_a, const char *path_a, const struct pydist_entry *b)
{
        int c = strcmp(pkg_a, b->package);
        return c ? c : strcmp(path_a, b->path);
}

/* One (package, entry) pair, once, kept in (package, path) order. Takes name, version and path. */
static int add_entry(struct pydist_index *idx, char *name, char *version, const char *package,
                     char *path, int rootfd, const char *where, struct distill_error *err)
{
        struct bucket *b = strmap_get(&idx->by_name, name);
        size_t at = 0;
        int ret = 0;
        if (b) {
                while (at < b->n && entry_cmp(package, path, &b->v[at]) > 0)
                        at++;
                if (at < b->n && entry_cmp(package, path, &b->v[at]) == 0)
                        goto drop; /* another file of the same entry */
                if (b->n >= PER_NAME_MAX) {
                        ret = distill_error_set(err, DISTILL_EUSAGE,
                                                "%s: more than %d packages ship the Python "
                                                "distribution \"%s\"",
                                                where, PER_NAME_MAX, name);
                        goto drop;
                }
        }
        if (idx->n_entries >= ENTRIES_MAX) {
                ret =
                    distill_error_set(err, DISTILL_EUSAGE, "%s: more than %u Python distributions",
                                      where, ENTRIES_MAX);
                goto drop;
        }
        if (!b) {
                b = xcalloc(1, sizeof(*b));
                strmap_put(&idx->by_name, name, b);
        }
        if (b->n == b->alloc) {
                b->alloc = b->alloc ? 2 * b->alloc : 2;
                b->v = xrealloc(b->v, b->alloc * sizeof(*b->v));
        }
        memmove(&b->v[at + 1], &b->v[at], (b->n - at) * sizeof(*b->v));
        if (!version && rootfd >= 0)
                version = metadata_version(rootfd, path);
        b->v[at] = (struct pydist_entry){
            .name = name, .version = version, .package = xstrdup(package), .path = path};
        b->n++;
        idx->n_entries++;
        return 0;
drop:
        free(name);
        free(version);
        free(path);
        return ret;
}

/* Calls fn for each line of text[0..len) with its number; stops at the first error. */
typedef int (*line_fn)(void *ctx, const char *line, size_t len, unsigned lineno);

static int for_each_line(const char *text, size_t len, line_fn fn, void *ctx)
{
        unsigned lineno = 0;
        for (size_t i = 0; i < len;) {
                const char *line = text + i;
                const char *nl = memchr(line, '\n', len - i);
                size_t ll = nl ? (size_t)(nl - line) : len - i;
                i += ll + 1;
                int r = fn(ctx, line, ll, ++lineno);
                if (r < 0)
                        return r;
        }
        return 0;
}

struct text_ctx {
        struct pydist_index *idx;
        const char *shown;
        const char *package; /* a file list's package */
        int rootfd;
        struct strvec packages; /* scratch: a Contents line's packages */
        struct distill_error *err;
};

static int contents_line(void *vc, const char *line, size_t len, unsigned lineno)
{
        struct text_ctx *c = vc;
        /* the path test first: it rejects almost every line of a whole index, header included */
        if (py_dist_info_prefix(line, len, NULL) == 0)
                return 0;
        cleanup_free char *path = NULL;
        strvec_clear(&c->packages);
        int r = pydist_parse_contents_line(line, len, &path, &c->packages);
        if (r <= 0)
                return distill_error_set(
                    c->err, DISTILL_EUSAGE, "%s:%u: %s (want \"PATH  SECTION/PACKAGE[,…]\")",
                    c->shown, lineno, r < 0 ? "invalid package name" : "no package location");
        char *name, *version, *info;
        if (pydist_parse_path(path, strlen(path), &name, &version, &info) == 0)
                return 0; /* an entry name that is no NAME[-VERSION] */
        cleanup_free char *where = xasprintf("%s:%u", c->shown, lineno);
        for (size_t i = 0; i < c->packages.n; i++) {
                bool last = i + 1 == c->packages.n;
                r = add_entry(c->idx, last ? name : xstrdup(name),
                              last ? version : xstrdup(version), c->packages.v[i],
                              last ? info : xstrdup(info), -1, where, c->err);
                if (r < 0) {
                        if (!last) {
                                free(name);
                                free(version);
                                free(info);
                        }
                        return r;
                }
        }
        return 0;
}

int pydist_index_add_contents(struct pydist_index *idx, const char *text, size_t len,
                              const char *shown, struct distill_error *err)
{
        if (memchr(text, '\0', len))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: NUL byte in a Contents index",
                                         shown);
        struct text_ctx c = {.idx = idx, .shown = shown, .rootfd = -1, .err = err};
        int r = for_each_line(text, len, contents_line, &c);
        strvec_clear(&c.packages);
        return r;
}

static int list_line(void *vc, const char *line, size_t len, unsigned lineno)
{
        struct text_ctx *c = vc;
        if (len == 0 || (len == 2 && line[0] == '/' && line[1] == '.'))
                return 0;
        if (line[0] != '/')
                return distill_error_set(c->err, DISTILL_EIO, "%s:%u: not an absolute path",
                                         c->shown, lineno);
        char *name, *version, *info;
        if (pydist_parse_path(line, len, &name, &version, &info) == 0)
                return 0;
        cleanup_free char *where = xasprintf("%s:%u", c->shown, lineno);
        return add_entry(c->idx, name, version, c->package, info, c->rootfd, where, c->err);
}

int pydist_index_add_list(struct pydist_index *idx, const char *package, const char *text,
                          size_t len, int rootfd, const char *shown, struct distill_error *err)
{
        if (memchr(text, '\0', len))
                return distill_error_set(err, DISTILL_EIO, "%s: NUL byte in a file list", shown);
        struct text_ctx c = {
            .idx = idx, .shown = shown, .package = package, .rootfd = rootfd, .err = err};
        return for_each_line(text, len, list_line, &c);
}

int pydist_index_contents(const char *const *filtered_contents_paths, size_t n,
                          struct pydist_index **out, struct distill_error *err)
{
        struct pydist_index *idx = pydist_index_new();
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                const char *path = filtered_contents_paths[i];
                cleanup_free char *text = NULL;
                size_t len = 0;
                int e = read_file_capped(path, TEXT_MAX, &text, &len);
                if (e < 0)
                        ret = distill_error_errno(err, e == -EFBIG ? DISTILL_EUSAGE : DISTILL_EIO,
                                                  -e, "%s", path);
                else
                        ret = pydist_index_add_contents(idx, text, len, path, err);
        }
        if (ret < 0) {
                pydist_index_free(idx);
                return ret;
        }
        *out = idx;
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* A sysroot's packages                                                                         */

int pydist_index_source(struct source *src, struct pydist_index **out, struct distill_error *err)
{
        const char *root = source_root(src);
        cleanup_close int rootfd = open(root, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
        if (rootfd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "sysroot %s", root);
        struct pydist_index *idx = pydist_index_new();
        int ret = 0;
        for (size_t i = 0; ret == 0 && i < source_count(src); i++) {
                const struct source_pkg *p = source_pkg_at(src, i);
                for (size_t f = 0; ret == 0 && f < p->files.n; f++) {
                        const char *path = p->files.v[f];
                        char *name, *version, *info;
                        if (pydist_parse_path(path, strlen(path), &name, &version, &info) == 0)
                                continue;
                        cleanup_free char *where = xasprintf("%s: %s", p->name, path);
                        ret = add_entry(idx, name, version, p->name, info, rootfd, where, err);
                }
        }
        if (ret < 0) {
                pydist_index_free(idx);
                return ret;
        }
        *out = idx;
        return 0;
}
