/* sysroot package source: the packages dpkg installed under a root directory.
 *
 * The status file is parsed here rather than by repo_add_debdb because we must drop every stanza
 * that is not really installed, keep each stanza's text for the image's status.d, and hand libsolv
 * only the fields it needs (libsolv 0.7.23 overflows a stack buffer on long SHA384/SHA512 values,
 * docs/architecture.md, "libsolv 0.7.23", so hostile fields never reach it). Every file under the
 * root is opened with roottree_open (openat2 RESOLVE_IN_ROOT) so that symlinks inside the sysroot
 * cannot reach the build host. */
#include "distill/source/source.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>

#include "distill/base/digest.h"
#include "distill/base/names.h"
#include "distill/core/imagens.h"
#include "distill/core/roottree.h"
#include "distill/source/deb822.h"

/* Bounds for hostile input. Real Debian 12 hosts: status ≈ 1 MiB, longest stanza a few KiB,
 * largest .list a few MiB. */
#define MAX_STATUS_SIZE   ((size_t)512 << 20)
#define MAX_LIST_SIZE     ((size_t)256 << 20)
#define MAX_DIVERT_SIZE   ((size_t)64 << 20)
#define MAX_LINE_LEN      (1 << 20) /* a line of an alternatives file */
#define MAX_PATH_LEN      4096
#define MAX_FILES_PER_PKG (1u << 22)
#define MAX_PACKAGES      (1u << 20)
#define MAX_LINK_LEN      4096
#define MAX_ALT_FILES     65536
#define MAX_ALT_SIZE      ((size_t)4 << 20)
#define MAX_ALT_SLAVES    1024
#define MAX_ALT_CHOICES   4096
#define MAX_ALT_NAME      255

struct diversion {
        char *to;
        char *by; /* package name, or ":" for a local diversion */
};

struct source {
        char *root;
        char *arch;
        int rootfd;
        Pool *pool;
        Repo *repo;
        struct source_pkg *pkgs; /* sorted by name, native architecture first */
        size_t n;
        struct source_pkg **by_solvable; /* index p - repo->start */
        struct source_alt *alts;         /* sorted by name */
        size_t n_alts;
        const struct source_backend *backend; /* NULL for a sysroot */
        void *impl;
};

/* --- reading files inside the root ------------------------------------------------------- */

/* "/usr/bin/x" → "usr/bin/x" (normalised; "." for the root itself). Caller frees. */
static char *root_relative(const char *path)
{
        char *norm = path_normalize(path);
        char *rel = xstrdup(norm[1] ? norm + 1 : ".");
        free(norm);
        return rel;
}

/* Reads a regular file of the root (size-capped). 0 or -errno; -EFBIG when over the cap. */
static int read_in_root(int rootfd, const char *rel, size_t max, char **data, size_t *len)
{
        cleanup_close int fd = roottree_open(rootfd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t)st.st_size > max)
                return -EFBIG;
        return read_fd_capped(fd, max, data, len);
}

static int read_error(struct source *src, const char *rel, int e, struct distill_error *err)
{
        if (e == -EFBIG)
                return distill_error_set(err, DISTILL_EIO, "%s/%s: file too large", src->root, rel);
        if (e == -EINVAL)
                return distill_error_set(err, DISTILL_EIO, "%s/%s: not a regular file", src->root,
                                         rel);
        return distill_error_errno(err, DISTILL_EIO, -e, "%s/%s", src->root, rel);
}

/* --- status file ------------------------------------------------------------------------- */

/* dpkg's status file and Packages indexes: deb822 without comments. */
static const struct deb822_format status_format = {.error_code = DISTILL_EIO};

/* Fields libsolv's repo_deb.c turns into solvable data; nothing else is handed to it. */
static const char *const solv_fields[] = {
    "Package",  "Version",   "Architecture", "Multi-Arch", "Source",     "Depends",  "Pre-Depends",
    "Provides", "Conflicts", "Breaks",       "Replaces",   "Recommends", "Suggests", "Enhances",
};

/* Fields the image's status.d stanza must not carry: they describe this host's dpkg state. */
static bool field_dropped_from_stanza(const struct deb822_field *f)
{
        static const char *const dropped[] = {"Status", "Conffiles", "Config-Version"};
        for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
                if (deb822_field_is(f, dropped[i]))
                        return true;
        return false;
}

/* "install ok installed" (or "hold ok installed": held packages are just as installed). A
 * package whose triggers are pending or awaited is configured and its files are all there (dpkg
 * and apt count it as installed): seen while another package is being installed beside a build. */
static bool status_is_installed(const char *status)
{
        char want[32], flag[32], state[32], extra;
        if (sscanf(status, "%31s %31s %31s %c", want, flag, state, &extra) != 3)
                return false;
        return (strcmp(want, "install") == 0 || strcmp(want, "hold") == 0) &&
               strcmp(flag, "ok") == 0 &&
               (strcmp(state, "installed") == 0 || strcmp(state, "triggers-pending") == 0 ||
                strcmp(state, "triggers-awaited") == 0);
}

struct pkg_vec {
        struct source_pkg *v;
        size_t n, alloc;
};

struct status_ctx {
        struct source *src;
        const char *path; /* for messages: ROOT/var/lib/dpkg/status */
        struct pkg_vec *pkgs;
        struct strbuf *solv_text;
        struct distill_error *err;
        const char *base_uri; /* a Packages index (no Status; Filename, Size, SHA256 kept) */
};

static int stanza_required(struct status_ctx *c, const struct deb822_stanza *st, const char *name,
                           bool (*valid)(const char *), char **out)
{
        const struct deb822_field *f = deb822_get(st, name);
        if (!f)
                return distill_error_set(c->err, DISTILL_EIO, "%s:%u: stanza has no %s field",
                                         c->path, st->line, name);
        *out = deb822_folded(f);
        if (f->n_lines > 1 || !valid(*out)) {
                free(*out);
                *out = NULL;
                return distill_error_set(c->err, DISTILL_EIO, "%s:%u: invalid %s value", c->path,
                                         f->line, name);
        }
        return 0;
}

static void append_solv_stanza(struct strbuf *out, const struct deb822_stanza *st)
{
        for (size_t i = 0; i < sizeof(solv_fields) / sizeof(solv_fields[0]); i++) {
                const struct deb822_field *f = deb822_get(st, solv_fields[i]);
                if (!f)
                        continue;
                char *v = deb822_folded(f);
                strbuf_addf(out, "%s: %s\n", solv_fields[i], v);
                free(v);
        }
        strbuf_addch(out, '\n');
}

static void pkg_release(struct source_pkg *pkg);

static int priority_rank(const struct deb822_field *f)
{
        static const char *const order[] = {"required", "important", "standard", "optional",
                                            "extra"};
        if (!f)
                return SOURCE_PRIORITY_NONE;
        cleanup_free char *v = deb822_folded(f);
        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
                if (strcmp(v, order[i]) == 0)
                        return (int)i + 1;
        return SOURCE_PRIORITY_NONE;
}

static bool valid_pool_path(const char *s)
{
        /* relative, no "..", no control characters: it is appended to the archive's URI */
        if (!*s || s[0] == '/' || strstr(s, "..") || strlen(s) > 1024)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= ' ' || *p == '\\' || *p == '?' || *p == '#')
                        return false;
        return true;
}

/* A Packages stanza says where its .deb is and what it hashes to. */
static int index_location(struct status_ctx *c, const struct deb822_stanza *st,
                          struct source_pkg *pkg)
{
        cleanup_free char *size = NULL;
        int r;
        if ((r = stanza_required(c, st, "Filename", valid_pool_path, &pkg->filename)) < 0 ||
            (r = stanza_required(c, st, "SHA256", sha256_hex_valid, &pkg->sha256)) < 0)
                return r;
        const struct deb822_field *f = deb822_get(st, "Size");
        if (!f)
                return distill_error_set(c->err, DISTILL_EIO, "%s:%u: stanza has no Size field",
                                         c->path, st->line);
        size = deb822_folded(f);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(size, &end, 10);
        if (errno || *end || !*size || v > (1ULL << 40))
                return distill_error_set(c->err, DISTILL_EIO, "%s:%u: invalid Size", c->path,
                                         f->line);
        pkg->size = v;
        pkg->base_uri = xstrdup(c->base_uri);
        return 0;
}

/* The stanza as the image's status.d carries it: every field but this host's dpkg state. */
static char *status_d_text(const struct deb822_stanza *st)
{
        struct strbuf text = STRBUF_INIT;
        for (size_t i = 0; i < st->n; i++) {
                const struct deb822_field *f = &st->fields[i];
                if (field_dropped_from_stanza(f))
                        continue;
                strbuf_add(&text, f->raw, f->raw_len);
                if (text.buf[text.len - 1] != '\n')
                        strbuf_addch(&text, '\n');
        }
        return strbuf_detach(&text);
}

static int stanza_done(struct status_ctx *c, const struct deb822_stanza *st)
{
        const struct deb822_field *status = deb822_get(st, "Status");
        struct source_pkg pkg = {0};
        int r;

        if (!c->base_uri) {
                if (!status)
                        return distill_error_set(c->err, DISTILL_EIO,
                                                 "%s:%u: stanza has no Status field", c->path,
                                                 st->line);
                char *status_value = deb822_folded(status);
                bool keep = status_is_installed(status_value);
                free(status_value);
                if (!keep)
                        return 0;
        }
        if ((r = stanza_required(c, st, "Package", deb_package_name_valid, &pkg.name)) < 0 ||
            (r = stanza_required(c, st, "Version", deb_version_valid, &pkg.version)) < 0 ||
            (r = stanza_required(c, st, "Architecture", deb_arch_name_valid, &pkg.arch)) < 0) {
                free(pkg.name);
                free(pkg.version);
                return r;
        }
        const struct deb822_field *f;
        if ((f = deb822_get(st, "Multi-Arch")))
                pkg.multiarch = deb822_folded(f);
        if ((f = deb822_get(st, "Source")))
                pkg.source = deb822_folded(f);
        pkg.priority_rank = priority_rank(deb822_get(st, "Priority"));
        if (c->base_uri && (r = index_location(c, st, &pkg)) < 0) {
                pkg_release(&pkg);
                return r;
        }

        /* An archive package's status.d stanza is its .deb's own control file (source_prepare
         * fills it); copying every index stanza would be wasted. */
        if (!c->base_uri)
                pkg.stanza = status_d_text(st);

        if (c->pkgs->n >= MAX_PACKAGES) {
                free(pkg.name);
                free(pkg.version);
                free(pkg.arch);
                free(pkg.multiarch);
                free(pkg.source);
                free(pkg.stanza);
                return distill_error_set(c->err, DISTILL_EIO, "%s:%u: more than %u packages",
                                         c->path, st->line, MAX_PACKAGES);
        }
        if (c->pkgs->n == c->pkgs->alloc) {
                c->pkgs->alloc = c->pkgs->alloc ? c->pkgs->alloc * 2 : 256;
                c->pkgs->v = xrealloc(c->pkgs->v, c->pkgs->alloc * sizeof(*c->pkgs->v));
        }
        c->pkgs->v[c->pkgs->n++] = pkg;
        append_solv_stanza(c->solv_text, st);
        return 0;
}

static int parse_status(struct status_ctx *c, const char *data, size_t len)
{
        struct deb822_reader *rd = deb822_open(data, len, c->path, &status_format);
        struct deb822_stanza st;
        int r;
        while ((r = deb822_next(rd, &st, c->err)) > 0)
                if ((r = stanza_done(c, &st)) < 0)
                        break;
        deb822_close(rd);
        return r;
}

/* --- diversions and file lists ----------------------------------------------------------- */

static void diversion_free(void *p)
{
        struct diversion *d = p;
        if (!d)
                return;
        free(d->to);
        free(d->by);
        free(d);
}

/* dpkg paths are absolute and normalised; anything else is refused rather than guessed at. */
static bool valid_dpkg_path(const char *p, size_t len)
{
        if (len == 0 || len > MAX_PATH_LEN || p[0] != '/')
                return false;
        if (memchr(p, '\0', len))
                return false;
        if (len > 1 && p[len - 1] == '/')
                return false;
        for (size_t i = 0; i < len; i++) {
                if (p[i] != '/')
                        continue;
                const char *c = p + i + 1;
                size_t rest = len - i - 1;
                if ((rest >= 1 && c[0] == '/') || (rest == 1 && c[0] == '.') ||
                    (rest >= 2 && c[0] == '.' && c[1] == '/') ||
                    (rest == 2 && c[0] == '.' && c[1] == '.') ||
                    (rest >= 3 && c[0] == '.' && c[1] == '.' && c[2] == '/'))
                        return false;
        }
        return true;
}

/* Calls fn for each line (without its newline). Returns fn's error or 0. */
typedef int (*line_fn)(void *ctx, const char *line, size_t len, unsigned lineno);
static int for_each_line(const char *data, size_t len, line_fn fn, void *ctx)
{
        size_t pos = 0;
        unsigned lineno = 0;
        while (pos < len) {
                const char *line = data + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t line_len = nl ? (size_t)(nl - line) : len - pos;
                int r = fn(ctx, line, line_len, ++lineno);
                if (r < 0)
                        return r;
                pos += nl ? line_len + 1 : line_len;
        }
        return 0;
}

struct divert_ctx {
        const char *path;
        struct strmap *map;
        char *lines[3];
        struct distill_error *err;
};

static int divert_line(void *vc, const char *line, size_t len, unsigned lineno)
{
        struct divert_ctx *c = vc;
        unsigned slot = (lineno - 1) % 3;

        if (slot < 2 && !valid_dpkg_path(line, len))
                return distill_error_set(c->err, DISTILL_EIO, "%s:%u: invalid path", c->path,
                                         lineno);
        if (slot == 2) {
                char *by = xstrndup(line, len);
                if (strcmp(by, ":") != 0 && !deb_package_name_valid(by)) {
                        free(by);
                        return distill_error_set(c->err, DISTILL_EIO, "%s:%u: invalid package name",
                                                 c->path, lineno);
                }
                struct diversion *d = xmalloc(sizeof(*d));
                d->to = c->lines[1];
                d->by = by;
                diversion_free(strmap_put(c->map, c->lines[0], d));
                free(c->lines[0]);
                c->lines[0] = c->lines[1] = NULL;
                return 0;
        }
        c->lines[slot] = xstrndup(line, len);
        return 0;
}

static int load_diversions(struct source *src, struct strmap *map, struct distill_error *err)
{
        const char *rel = "var/lib/dpkg/diversions";
        cleanup_free char *data = NULL;
        cleanup_free char *display = path_join(src->root, rel);
        size_t len;
        int r = read_in_root(src->rootfd, rel, MAX_DIVERT_SIZE, &data, &len);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return read_error(src, rel, r, err);
        struct divert_ctx c = {.path = display, .map = map, .err = err};
        r = for_each_line(data, len, divert_line, &c);
        if (r == 0 && (c.lines[0] || c.lines[1]))
                r = distill_error_set(err, DISTILL_EIO, "%s: truncated entry (entries are 3 lines)",
                                      display);
        free(c.lines[0]);
        free(c.lines[1]);
        return r;
}

struct list_ctx {
        const char *path;
        struct source_pkg *pkg;
        const struct strmap *diversions;
        struct distill_error *err;
};

/* Does the diversion record `by` (a package name) name this package? */
static bool diverted_by(const struct diversion *d, const struct source_pkg *pkg)
{
        size_t n = strcspn(d->by, ":");
        return n == strlen(pkg->name) && strncmp(d->by, pkg->name, n) == 0 && n > 0;
}

static int list_line(void *vc, const char *line, size_t len, unsigned lineno)
{
        struct list_ctx *c = vc;

        if (len == 0 || (len == 2 && line[0] == '/' && line[1] == '.'))
                return 0;
        if (!valid_dpkg_path(line, len))
                return distill_error_set(c->err, DISTILL_EIO, "%s:%u: invalid path", c->path,
                                         lineno);
        if (c->pkg->files.n >= MAX_FILES_PER_PKG)
                return distill_error_set(c->err, DISTILL_EIO, "%s:%u: more than %u files", c->path,
                                         lineno, MAX_FILES_PER_PKG);
        char *path = xstrndup(line, len);
        const struct diversion *d = strmap_get(c->diversions, path);
        if (d && !diverted_by(d, c->pkg)) {
                free(path);
                path = xstrdup(d->to);
        }
        strvec_push_nodup(&c->pkg->files, path);
        return 0;
}

static int load_file_list(struct source *src, struct source_pkg *pkg,
                          const struct strmap *diversions, struct distill_error *err)
{
        bool same = pkg->multiarch && strcmp(pkg->multiarch, "same") == 0;
        cleanup_free char *qualified =
            xasprintf("var/lib/dpkg/info/%s:%s.list", pkg->name, pkg->arch);
        cleanup_free char *plain = xasprintf("var/lib/dpkg/info/%s.list", pkg->name);
        /* dpkg names the list by the qualified name for Multi-Arch: same; try the other spelling
         * too, as older dpkg databases may not have been converted. */
        const char *first = same ? qualified : plain;
        const char *second = same ? plain : qualified;
        const char *rel = first;
        cleanup_free char *data = NULL;
        size_t len;

        int r = read_in_root(src->rootfd, rel, MAX_LIST_SIZE, &data, &len);
        if (r == -ENOENT) {
                rel = second;
                r = read_in_root(src->rootfd, rel, MAX_LIST_SIZE, &data, &len);
                if (r == -ENOENT)
                        rel = first;
        }
        if (r < 0) {
                read_error(src, rel, r, err);
                return distill_error_prefix(err, "file list of %s", pkg->name);
        }
        if (memchr(data, '\0', len))
                return distill_error_set(err, DISTILL_EIO, "%s/%s: contains a NUL byte", src->root,
                                         rel);
        cleanup_free char *display = path_join(src->root, rel);
        struct list_ctx c = {.path = display, .pkg = pkg, .diversions = diversions, .err = err};
        return for_each_line(data, len, list_line, &c);
}

/* --- libsolv ----------------------------------------------------------------------------- */

static int load_into_pool(struct source *src, struct strbuf *solv_text, const char *status_path,
                          struct distill_error *err)
{
        src->pool = pool_create();
        pool_setdisttype(src->pool, DISTTYPE_DEB);
        pool_setarch(src->pool, src->arch);
        src->repo = repo_create(src->pool, src->root ? "sysroot" : "archive");
        if (solv_text->len) {
                FILE *fp = fmemopen(solv_text->buf, solv_text->len, "r");
                if (!fp)
                        return distill_error_errno(err, DISTILL_EINTERNAL, errno, "fmemopen");
                int r = repo_add_debpackages(src->repo, fp, 0);
                fclose(fp);
                if (r != 0)
                        return distill_error_set(err, DISTILL_EIO, "%s: libsolv: %s", status_path,
                                                 pool_errstr(src->pool));
        }
        pool_addfileprovides(src->pool);
        pool_createwhatprovides(src->pool);
        return 0;
}

static bool pkg_is_native(const struct source *src, const struct source_pkg *pkg)
{
        return strcmp(pkg->arch, src->arch) == 0 || strcmp(pkg->arch, "all") == 0;
}

static int cmp_pkg(const void *a, const void *b, void *vsrc)
{
        const struct source_pkg *x = a, *y = b;
        const struct source *src = vsrc;
        int c = strcmp(x->name, y->name);
        if (c)
                return c;
        bool nx = pkg_is_native(src, x), ny = pkg_is_native(src, y);
        if (nx != ny)
                return nx ? -1 : 1;
        return strcmp(x->arch, y->arch);
}

/* Stanzas went to libsolv in file order, one solvable each: bind them by that order and check
 * that name and architecture agree, so a libsolv parsing difference cannot mislabel packages. */
static int bind_solvables(struct source *src, struct source_pkg *in_file_order, size_t n,
                          struct distill_error *err)
{
        Pool *pool = src->pool;
        Repo *repo = src->repo;

        if ((size_t)repo->nsolvables != n || (n && (size_t)(repo->end - repo->start) != n))
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "libsolv read %d packages from %zu stanzas",
                                         repo->nsolvables, n);
        for (size_t i = 0; i < n; i++) {
                Solvable *s = pool_id2solvable(pool, repo->start + (Id)i);
                if (strcmp(pool_id2str(pool, s->name), in_file_order[i].name) != 0 ||
                    strcmp(pool_id2str(pool, s->arch), in_file_order[i].arch) != 0)
                        return distill_error_set(err, DISTILL_EINTERNAL,
                                                 "libsolv solvable %zu is %s, expected %s", i,
                                                 pool_id2str(pool, s->name), in_file_order[i].name);
                in_file_order[i].solvable = repo->start + (Id)i;
        }
        return 0;
}

static void pkg_release(struct source_pkg *pkg)
{
        free(pkg->base_uri);
        free(pkg->filename);
        free(pkg->sha256);
        free(pkg->name);
        free(pkg->version);
        free(pkg->arch);
        free(pkg->multiarch);
        free(pkg->source);
        free(pkg->stanza);
        strvec_clear(&pkg->files);
}

/* --- alternatives (var/lib/dpkg/alternatives/<name>, update-alternatives(1) "FILES") ------ *
 * Layout: status ("auto"/"manual"), master link, then (slave name, slave link) line pairs up to
 * an empty line; then one block per alternative: path, priority, one line per slave (its path,
 * or empty when this alternative has none); an empty line where a path would start ends it. */

static void alt_release(struct source_alt *a)
{
        free(a->name);
        free(a->link);
        strvec_clear(&a->slave_names);
        strvec_clear(&a->slave_links);
        for (size_t i = 0; i < a->n_choices; i++) {
                free(a->choices[i].path);
                strvec_clear(&a->choices[i].slaves);
        }
        free(a->choices);
}

struct alt_reader {
        const char *display; /* ROOT/var/lib/dpkg/alternatives/NAME, for messages */
        const char *data;
        size_t len, pos;
        unsigned lineno;
        struct distill_error *err;
};

/* The next line without its newline; -1 (error set) at end of file, which the format never
 * allows: every file ends with the empty line closing the alternatives. */
static int alt_next_line(struct alt_reader *r, const char **line, size_t *len)
{
        if (r->pos >= r->len)
                return distill_error_set(r->err, DISTILL_EIO, "%s:%u: unexpected end of file",
                                         r->display, r->lineno + 1);
        const char *p = r->data + r->pos;
        const char *nl = memchr(p, '\n', r->len - r->pos);
        if (!nl)
                return distill_error_set(r->err, DISTILL_EIO, "%s:%u: line without a newline",
                                         r->display, r->lineno + 1);
        *line = p;
        *len = (size_t)(nl - p);
        r->pos += *len + 1;
        r->lineno++;
        if (*len > MAX_LINE_LEN)
                return distill_error_set(r->err, DISTILL_EIO, "%s:%u: line too long", r->display,
                                         r->lineno);
        return 0;
}

static int alt_path_line(struct alt_reader *r, const char *what, bool empty_ok, char **out)
{
        const char *line;
        size_t len;
        int rc = alt_next_line(r, &line, &len);
        if (rc < 0)
                return rc;
        if (len == 0 && empty_ok) {
                *out = xstrdup("");
                return 0;
        }
        if (!valid_dpkg_path(line, len))
                return distill_error_set(r->err, DISTILL_EIO, "%s:%u: invalid %s", r->display,
                                         r->lineno, what);
        *out = xstrndup(line, len);
        return 0;
}

/* dpkg's own rule for alternative and slave names: no '/', no blanks, not empty. */
static bool valid_alt_name(const char *s, size_t len)
{
        if (len == 0 || len > MAX_ALT_NAME || !strcmp(s, ".") || !strcmp(s, ".."))
                return false;
        for (size_t i = 0; i < len; i++)
                if (s[i] == '/' || isspace((unsigned char)s[i]) || (unsigned char)s[i] < 0x20)
                        return false;
        return true;
}

static int alt_parse_header(struct alt_reader *r, struct source_alt *a)
{
        const char *line;
        size_t len;
        int rc = alt_next_line(r, &line, &len);
        if (rc < 0)
                return rc;
        if (len == 4 && !memcmp(line, "auto", 4))
                a->manual = false;
        else if (len == 6 && !memcmp(line, "manual", 6))
                a->manual = true;
        else
                return distill_error_set(r->err, DISTILL_EIO,
                                         "%s:%u: status must be \"auto\" or \"manual\"", r->display,
                                         r->lineno);
        if ((rc = alt_path_line(r, "master link", false, &a->link)) < 0)
                return rc;
        for (;;) {
                if ((rc = alt_next_line(r, &line, &len)) < 0)
                        return rc;
                if (len == 0)
                        return 0;
                if (!valid_alt_name(line, len))
                        return distill_error_set(r->err, DISTILL_EIO, "%s:%u: invalid slave name",
                                                 r->display, r->lineno);
                if (a->slave_names.n >= MAX_ALT_SLAVES)
                        return distill_error_set(r->err, DISTILL_EIO, "%s:%u: more than %d slaves",
                                                 r->display, r->lineno, MAX_ALT_SLAVES);
                char *name = xstrndup(line, len);
                if (strvec_contains(&a->slave_names, name)) {
                        free(name);
                        return distill_error_set(r->err, DISTILL_EIO, "%s:%u: duplicate slave name",
                                                 r->display, r->lineno);
                }
                strvec_push_nodup(&a->slave_names, name);
                char *link;
                if ((rc = alt_path_line(r, "slave link", false, &link)) < 0)
                        return rc;
                strvec_push_nodup(&a->slave_links, link);
        }
}

static int alt_parse_priority(struct alt_reader *r, long *out)
{
        const char *line;
        size_t len;
        int rc = alt_next_line(r, &line, &len);
        if (rc < 0)
                return rc;
        cleanup_free char *text = xstrndup(line, len);
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        if (!len || *end || errno || isspace((unsigned char)text[0]))
                return distill_error_set(r->err, DISTILL_EIO, "%s:%u: invalid priority \"%s\"",
                                         r->display, r->lineno, text);
        *out = v;
        return 0;
}

static int alt_parse_choices(struct alt_reader *r, struct source_alt *a)
{
        size_t cap = 0;
        for (;;) {
                char *path;
                int rc = alt_path_line(r, "alternative path", true, &path);
                if (rc < 0)
                        return rc;
                if (!*path) { /* the closing empty line */
                        free(path);
                        break;
                }
                if (a->n_choices >= MAX_ALT_CHOICES) {
                        free(path);
                        return distill_error_set(r->err, DISTILL_EIO,
                                                 "%s:%u: more than %d alternatives", r->display,
                                                 r->lineno, MAX_ALT_CHOICES);
                }
                if (a->n_choices == cap) {
                        cap = cap ? 2 * cap : 4;
                        a->choices = xrealloc(a->choices, cap * sizeof(*a->choices));
                }
                struct source_alt_choice *c = &a->choices[a->n_choices++];
                memset(c, 0, sizeof(*c));
                c->path = path;
                if ((rc = alt_parse_priority(r, &c->priority)) < 0)
                        return rc;
                for (size_t s = 0; s < a->slave_names.n; s++) {
                        char *slave;
                        if ((rc = alt_path_line(r, "slave path", true, &slave)) < 0)
                                return rc;
                        strvec_push_nodup(&c->slaves, slave);
                }
        }
        if (r->pos != r->len)
                return distill_error_set(r->err, DISTILL_EIO,
                                         "%s:%u: data after the closing empty line", r->display,
                                         r->lineno + 1);
        return 0;
}

static int load_one_alternative(struct source *src, const char *name, struct source_alt *a,
                                struct distill_error *err)
{
        cleanup_free char *rel = xasprintf("var/lib/dpkg/alternatives/%s", name);
        cleanup_free char *display = path_join(src->root, rel);
        cleanup_free char *data = NULL;
        size_t len = 0;
        int rc = read_in_root(src->rootfd, rel, MAX_ALT_SIZE, &data, &len);
        if (rc < 0)
                return read_error(src, rel, rc, err);
        if (memchr(data, '\0', len))
                return distill_error_set(err, DISTILL_EIO, "%s: contains a NUL byte", display);
        struct alt_reader r = {.display = display, .data = data, .len = len, .err = err};
        a->name = xstrdup(name);
        if ((rc = alt_parse_header(&r, a)) < 0)
                return rc;
        return alt_parse_choices(&r, a);
}

static int cmp_alt(const void *a, const void *b)
{
        return strcmp(((const struct source_alt *)a)->name, ((const struct source_alt *)b)->name);
}

static int list_alternatives(struct source *src, struct strvec *names, struct distill_error *err)
{
        const char *rel = "var/lib/dpkg/alternatives";
        int fd = roottree_open(src->rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
                return 0;
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s/%s", src->root, rel);
        DIR *d = fdopendir(fd);
        if (!d) {
                int e = errno;
                close(fd);
                return distill_error_errno(err, DISTILL_EIO, e, "%s/%s", src->root, rel);
        }
        struct dirent *de;
        int rc = 0;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue; /* ".", "..", and dpkg's temporary ".dpkg-tmp"-style files */
                if (names->n >= MAX_ALT_FILES) {
                        rc = distill_error_set(err, DISTILL_EIO, "%s/%s: more than %d files",
                                               src->root, rel, MAX_ALT_FILES);
                        break;
                }
                if (!valid_alt_name(de->d_name, strlen(de->d_name))) {
                        rc = distill_error_set(err, DISTILL_EIO, "%s/%s/%s: invalid name",
                                               src->root, rel, de->d_name);
                        break;
                }
                strvec_push(names, de->d_name);
        }
        closedir(d);
        return rc;
}

static int load_alternatives(struct source *src, struct distill_error *err)
{
        struct strvec names = STRVEC_INIT;
        int rc = list_alternatives(src, &names, err);
        if (rc == 0 && names.n) {
                strvec_sort(&names);
                src->alts = xcalloc(names.n, sizeof(*src->alts));
                for (size_t i = 0; i < names.n && rc == 0; i++) {
                        rc = load_one_alternative(src, names.v[i], &src->alts[i], err);
                        src->n_alts = i + 1; /* released by source_free, even half-filled */
                }
                qsort(src->alts, src->n_alts, sizeof(*src->alts), cmp_alt);
        }
        strvec_clear(&names);
        return rc;
}

/* The source takes the parsed packages, sorted by name (an empty set is valid: nothing
 * installed), and indexes them by solvable. */
static void adopt_packages(struct source *src, struct pkg_vec *pkgs)
{
        if (pkgs->n)
                qsort_r(pkgs->v, pkgs->n, sizeof(*pkgs->v), cmp_pkg, src);
        src->pkgs = pkgs->v;
        src->n = pkgs->n;
        pkgs->v = NULL;
        pkgs->n = 0;
        pkgs->alloc = 0;
        src->by_solvable = xcalloc(src->n ? src->n : 1, sizeof(*src->by_solvable));
        for (size_t i = 0; i < src->n; i++)
                src->by_solvable[src->pkgs[i].solvable - src->repo->start] = &src->pkgs[i];
}

int source_open_sysroot(const char *root, const char *arch, struct source **out,
                        struct distill_error *err)
{
        const char *status_rel = "var/lib/dpkg/status";
        struct source *src = xcalloc(1, sizeof(*src));
        struct strbuf solv_text = STRBUF_INIT;
        struct strmap diversions = STRMAP_INIT;
        struct pkg_vec pkgs = {0};
        char *status_path = NULL;
        char *data = NULL;
        size_t len = 0;
        int r;

        *out = NULL;
        src->rootfd = -1;
        if (!root || root[0] != '/') {
                r = distill_error_set(err, DISTILL_EUSAGE, "sysroot %s: not an absolute path",
                                      root ? root : "(null)");
                goto cleanup;
        }
        if (!arch || !deb_arch_name_valid(arch)) {
                r = distill_error_set(err, DISTILL_EUSAGE, "invalid architecture '%s'",
                                      arch ? arch : "(null)");
                goto cleanup;
        }
        src->root = path_normalize(root);
        src->arch = xstrdup(arch);
        src->rootfd = open(src->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (src->rootfd < 0) {
                r = distill_error_errno(err, DISTILL_EIO, errno, "sysroot %s", src->root);
                goto cleanup;
        }
        status_path = path_join(src->root, status_rel);
        r = read_in_root(src->rootfd, status_rel, MAX_STATUS_SIZE, &data, &len);
        if (r < 0) {
                r = read_error(src, status_rel, r, err);
                goto cleanup;
        }
        struct status_ctx c = {src, status_path, &pkgs, &solv_text, err, NULL};
        if ((r = parse_status(&c, data, len)) < 0)
                goto cleanup;
        if ((r = load_into_pool(src, &solv_text, status_path, err)) < 0)
                goto cleanup;
        if ((r = bind_solvables(src, pkgs.v, pkgs.n, err)) < 0)
                goto cleanup;
        if ((r = load_diversions(src, &diversions, err)) < 0)
                goto cleanup;
        for (size_t i = 0; i < pkgs.n; i++)
                if ((r = load_file_list(src, &pkgs.v[i], &diversions, err)) < 0)
                        goto cleanup;
        if ((r = load_alternatives(src, err)) < 0)
                goto cleanup;

        adopt_packages(src, &pkgs);
        *out = src;
        src = NULL;
        r = 0;
cleanup:
        for (size_t i = 0; i < pkgs.n; i++)
                pkg_release(&pkgs.v[i]);
        free(pkgs.v);
        strmap_clear(&diversions, diversion_free);
        strbuf_release(&solv_text);
        free(status_path);
        free(data);
        source_free(src);
        return r;
}

void source_free(struct source *src)
{
        if (!src)
                return;
        for (size_t i = 0; i < src->n; i++)
                pkg_release(&src->pkgs[i]);
        free(src->pkgs);
        free(src->by_solvable);
        for (size_t i = 0; i < src->n_alts; i++)
                alt_release(&src->alts[i]);
        free(src->alts);
        if (src->pool)
                pool_free(src->pool);
        if (src->rootfd >= 0)
                close(src->rootfd);
        if (src->backend && src->backend->free)
                src->backend->free(src->impl);
        free(src->root);
        free(src->arch);
        free(src);
}

/* --- queries ----------------------------------------------------------------------------- */

Pool *source_pool(struct source *src)
{
        return src->pool;
}

const char *source_root(const struct source *src)
{
        return src->root;
}

const char *source_arch(const struct source *src)
{
        return src->arch;
}

size_t source_count(const struct source *src)
{
        return src->n;
}

struct source_pkg *source_pkg_at(struct source *src, size_t i)
{
        return i < src->n ? &src->pkgs[i] : NULL;
}

struct source_pkg *source_find(struct source *src, const char *name)
{
        size_t lo = 0, hi = src->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(src->pkgs[mid].name, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        /* the first of equal names is the native-architecture one (cmp_pkg); when an archive
         * has several versions, the one solve selected answers */
        if (lo >= src->n || strcmp(src->pkgs[lo].name, name) != 0)
                return NULL;
        for (size_t i = lo; i < src->n && strcmp(src->pkgs[i].name, name) == 0; i++)
                if (src->pkgs[i].selected)
                        return &src->pkgs[i];
        return &src->pkgs[lo];
}

struct source_pkg *source_by_solvable(struct source *src, Id p)
{
        if (!src->repo || p < src->repo->start || p >= src->repo->end)
                return NULL;
        return src->by_solvable[p - src->repo->start];
}

void source_dependencies(struct source *src, const char *pkg, struct strvec *out)
{
        struct source_pkg *p = source_find(src, pkg);
        if (!p || !src->pool || !src->pool->whatprovides)
                return;
        Pool *pool = src->pool; /* FOR_PROVIDES names it */
        Queue deps;
        queue_init(&deps);
        solvable_lookup_deparray(pool->solvables + p->solvable, SOLVABLE_REQUIRES, &deps, -1);
        for (int i = 0; i < deps.count; i++) {
                if (deps.elements[i] == SOLVABLE_PREREQMARKER)
                        continue;
                Id pp, provider;
                FOR_PROVIDES(provider, pp, deps.elements[i])
                {
                        struct source_pkg *q = source_by_solvable(src, provider);
                        if (q && !strvec_contains(out, q->name))
                                strvec_push(out, q->name);
                }
        }
        queue_free(&deps);
}

static int path_error(struct source *src, const char *pkg_path, int e, struct distill_error *err)
{
        /* a missing path is a resolution failure (dpkg path-exclude leaves listed files absent) */
        int code = (e == ENOENT || e == ENOTDIR) ? DISTILL_ERESOLVE : DISTILL_EIO;
        return distill_error_errno(err, code, e, "%s: %s", src->root, pkg_path);
}

int source_lstat(struct source *src, const char *pkg_path, struct source_stat *st,
                 struct distill_error *err)
{
        if (src->backend)
                return src->backend->lstat(src->impl, pkg_path, st, err);
        cleanup_free char *rel = root_relative(pkg_path);
        cleanup_close int fd = roottree_open(src->rootfd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat sb;

        memset(st, 0, sizeof(*st));
        if (fd < 0)
                return path_error(src, pkg_path, errno, err);
        /* fd may be an O_PATH handle on the symlink itself: stat it, never its target */
        if (fstatat(fd, "", &sb, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
                return path_error(src, pkg_path, errno, err);
        st->mode = sb.st_mode & 07777;
        st->size = (uint64_t)sb.st_size;
        if (S_ISREG(sb.st_mode))
                st->type = SOURCE_REG;
        else if (S_ISDIR(sb.st_mode))
                st->type = SOURCE_DIR;
        else if (S_ISLNK(sb.st_mode))
                st->type = SOURCE_SYMLINK;
        else
                st->type = SOURCE_OTHER;
        if (st->type != SOURCE_SYMLINK)
                return 0;
        char buf[MAX_LINK_LEN + 1];
        ssize_t n = readlinkat(fd, "", buf, sizeof(buf));
        if (n < 0)
                return path_error(src, pkg_path, errno, err);
        if ((size_t)n > MAX_LINK_LEN)
                return distill_error_set(err, DISTILL_EIO, "%s: %s: symlink target too long",
                                         src->root, pkg_path);
        st->link_target = xstrndup(buf, (size_t)n);
        return 0;
}

int source_open_file(struct source *src, const char *pkg_path, int *fdp, struct distill_error *err)
{
        if (src->backend)
                return src->backend->open_file(src->impl, pkg_path, fdp, err);
        cleanup_free char *rel = root_relative(pkg_path);
        /* O_NOFOLLOW: the last component must be the file itself; O_NONBLOCK: a FIFO must not
         * hang the open (it is refused just below). */
        int fd = roottree_open(src->rootfd, rel,
                               O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        struct stat sb;

        *fdp = -1;
        if (fd < 0) {
                if (errno == ELOOP)
                        return distill_error_set(err, DISTILL_EIO,
                                                 "%s: %s: is a symlink, not a regular file",
                                                 src->root, pkg_path);
                return path_error(src, pkg_path, errno, err);
        }
        if (fstat(fd, &sb) < 0) {
                int e = errno;
                close(fd);
                return path_error(src, pkg_path, e, err);
        }
        if (!S_ISREG(sb.st_mode)) {
                close(fd);
                return distill_error_set(err, DISTILL_EIO, "%s: %s: not a regular file", src->root,
                                         pkg_path);
        }
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
                fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        *fdp = fd;
        return 0;
}

size_t source_alt_count(const struct source *src)
{
        return src->n_alts;
}

const struct source_alt *source_alt_at(const struct source *src, size_t i)
{
        return i < src->n_alts ? &src->alts[i] : NULL;
}

/* --- archive sources --------------------------------------------------------------------- */

int source_open_indexes(const char *arch, const struct source_index_text *indexes, size_t n,
                        const struct source_backend *backend, void *impl, struct source **out,
                        struct distill_error *err)
{
        struct source *src = xcalloc(1, sizeof(*src));
        struct strbuf solv_text = STRBUF_INIT;
        struct pkg_vec pkgs = {0};
        int r = 0;

        *out = NULL;
        src->rootfd = -1;
        src->backend = backend;
        src->impl = impl;
        if (!arch || !deb_arch_name_valid(arch)) {
                r = distill_error_set(err, DISTILL_EUSAGE, "invalid architecture '%s'",
                                      arch ? arch : "(null)");
                goto cleanup;
        }
        src->arch = xstrdup(arch);
        for (size_t i = 0; i < n && r >= 0; i++) {
                struct status_ctx c = {src, indexes[i].name,    &pkgs, &solv_text,
                                       err, indexes[i].base_uri};
                r = parse_status(&c, indexes[i].text, indexes[i].len);
        }
        if (r < 0)
                goto cleanup;
        if ((r = load_into_pool(src, &solv_text, "Packages indexes", err)) < 0)
                goto cleanup;
        if ((r = bind_solvables(src, pkgs.v, pkgs.n, err)) < 0)
                goto cleanup;
        adopt_packages(src, &pkgs);
        *out = src;
        src = NULL;
cleanup:
        for (size_t i = 0; i < pkgs.n; i++)
                pkg_release(&pkgs.v[i]);
        free(pkgs.v);
        strbuf_release(&solv_text);
        if (src && !src->backend)
                free(impl);
        source_free(src);
        return r;
}

int source_prepare(struct source *src, struct source_pkg *const *pkgs, size_t n,
                   struct distill_error *err)
{
        for (size_t i = 0; i < n; i++)
                pkgs[i]->selected = true;
        if (!src->backend || !src->backend->prepare)
                return 0;
        int r = src->backend->prepare(src->impl, src, pkgs, n, err);
        if (r < 0)
                return r;
        if (src->n_alts > 1)
                qsort(src->alts, src->n_alts, sizeof(*src->alts), cmp_alt);
        return 0;
}

void source_add_alternative(struct source *src, const char *name, const char *link,
                            const char *path, long priority, const struct strvec *slave_names,
                            const struct strvec *slave_links, const struct strvec *slave_paths)
{
        struct source_alt *a = NULL;
        for (size_t i = 0; i < src->n_alts && !a; i++)
                if (strcmp(src->alts[i].name, name) == 0)
                        a = &src->alts[i];
        if (!a) {
                src->alts = xrealloc(src->alts, (src->n_alts + 1) * sizeof(*src->alts));
                a = &src->alts[src->n_alts++];
                memset(a, 0, sizeof(*a));
                a->name = xstrdup(name);
                a->link = xstrdup(link);
        }
        /* the master's slaves: their names and links, in the first installer's order */
        for (size_t k = 0; slave_names && k < slave_names->n; k++) {
                if (strvec_contains(&a->slave_names, slave_names->v[k]))
                        continue;
                strvec_push(&a->slave_names, slave_names->v[k]);
                strvec_push(&a->slave_links, slave_links->v[k]);
                for (size_t c = 0; c < a->n_choices; c++)
                        strvec_push(&a->choices[c].slaves, "");
        }
        a->choices = xrealloc(a->choices, (a->n_choices + 1) * sizeof(*a->choices));
        struct source_alt_choice *ch = &a->choices[a->n_choices++];
        memset(ch, 0, sizeof(*ch));
        ch->path = xstrdup(path);
        ch->priority = priority;
        for (size_t k = 0; k < a->slave_names.n; k++) {
                const char *p = "";
                for (size_t j = 0; slave_names && j < slave_names->n; j++)
                        if (strcmp(slave_names->v[j], a->slave_names.v[k]) == 0)
                                p = slave_paths->v[j];
                strvec_push(&ch->slaves, p);
        }
}

char *source_blob_path(struct source *src, const char *pkg_path)
{
        if (!src->backend || !src->backend->blob_path)
                return NULL;
        return src->backend->blob_path(src->impl, pkg_path);
}

/* --- the parsed-index cache ------------------------------------------------------------ */

/* Parsing an archive's Packages indexes (60 000 stanzas) costs more than the rest of a warm
 * build. The parse is cached by the indexes' hashes: libsolv's own .solv form of the repo, and
 * beside it one line per solvable with what distill keeps of each package. A cache that does
 * not load exactly (counts, names, architectures, fields) is ignored and rewritten. */

#define SOLV_CACHE_MAGIC "distill-solv-cache 2"

static char *cache_file(const char *dir, const char *key, const char *ext)
{
        return xasprintf("%s/%s.%s", dir, key, ext);
}

static bool split_tabs(char *line, char **fields, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                fields[i] = line;
                char *tab = strchr(line, '\t');
                if (i + 1 < n) {
                        if (!tab)
                                return false;
                        *tab = '\0';
                        line = tab + 1;
                } else if (tab) {
                        return false;
                }
        }
        return true;
}

static char *dup_or_null(const char *s)
{
        return *s ? xstrdup(s) : NULL;
}

static int load_cached_pkgs(const char *path, struct pkg_vec *pkgs)
{
        char *data = NULL;
        size_t len = 0;
        if (read_file(path, &data, &len) < 0)
                return -1;
        char *p = data;
        char *nl = strchr(p, '\n');
        int r = 0;
        if (!nl || strncmp(p, SOLV_CACHE_MAGIC "\n", strlen(SOLV_CACHE_MAGIC) + 1) != 0) {
                free(data);
                return -1;
        }
        for (p = nl + 1; *p && r == 0; p = nl + 1) {
                nl = strchr(p, '\n');
                if (!nl) {
                        r = -1;
                        break;
                }
                *nl = '\0';
                char *fields[11];
                char *end;
                if (!split_tabs(p, fields, 11)) {
                        r = -1;
                        break;
                }
                char **f = fields + 1;
                long index = strtol(fields[0], &end, 10);
                /* names and architectures are checked against libsolv's own data on binding */
                if (*end || index < 0 || !*f[1] || !valid_pool_path(f[6]) ||
                    !sha256_hex_valid(f[7])) {
                        r = -1;
                        break;
                }
                unsigned long long size = strtoull(f[8], &end, 10);
                long prio = strtol(f[5], NULL, 10);
                if (*end || prio < 1 || prio > SOURCE_PRIORITY_NONE || !*f[9]) {
                        r = -1;
                        break;
                }
                if (pkgs->n == pkgs->alloc) {
                        pkgs->alloc = pkgs->alloc ? pkgs->alloc * 2 : 1024;
                        pkgs->v = xrealloc(pkgs->v, pkgs->alloc * sizeof(*pkgs->v));
                }
                struct source_pkg *pkg = &pkgs->v[pkgs->n++];
                memset(pkg, 0, sizeof(*pkg));
                pkg->name = xstrdup(f[0]);
                pkg->version = xstrdup(f[1]);
                pkg->arch = xstrdup(f[2]);
                pkg->multiarch = dup_or_null(f[3]);
                pkg->source = dup_or_null(f[4]);
                pkg->priority_rank = (int)prio;
                pkg->filename = xstrdup(f[6]);
                pkg->sha256 = xstrdup(f[7]);
                pkg->size = size;
                pkg->base_uri = xstrdup(f[9]);
                pkg->solvable = (Id)index; /* relative to the repo until bound */
        }
        free(data);
        return r;
}

int source_load_cached(const char *dir, const char *key, const char *arch,
                       const struct source_backend *backend, void *impl, struct source **out)
{
        cleanup_free char *solv = cache_file(dir, key, "solv");
        cleanup_free char *lines = cache_file(dir, key, "pkgs");
        struct pkg_vec pkgs = {0};
        struct source *src = NULL;
        int r = -1;

        *out = NULL;
        if (!deb_arch_name_valid(arch))
                return 0;
        bool have_solv = access(solv, R_OK) == 0, have_lines = access(lines, R_OK) == 0;
        if (!have_solv || !have_lines) {
                /* half a cache (a killed save) is useless: the next save rewrites both */
                if (have_solv)
                        unlink(solv);
                if (have_lines)
                        unlink(lines);
                return 0;
        }
        if (load_cached_pkgs(lines, &pkgs) < 0)
                goto done;
        src = xcalloc(1, sizeof(*src));
        src->rootfd = -1;
        src->arch = xstrdup(arch);
        src->pool = pool_create();
        pool_setdisttype(src->pool, DISTTYPE_DEB);
        pool_setarch(src->pool, src->arch);
        src->repo = repo_create(src->pool, "archive");
        FILE *fp = fopen(solv, "r");
        if (!fp)
                goto done;
        int added = repo_add_solv(src->repo, fp, 0);
        fclose(fp);
        if (added != 0)
                goto done;
        pool_addfileprovides(src->pool);
        pool_createwhatprovides(src->pool);
        /* each line names its solvable: every solvable once, with the same name and
         * architecture libsolv read from the .solv */
        if ((size_t)src->repo->nsolvables != pkgs.n ||
            (size_t)(src->repo->end - src->repo->start) != pkgs.n)
                goto done;
        src->by_solvable = xcalloc(pkgs.n ? pkgs.n : 1, sizeof(*src->by_solvable));
        for (size_t i = 0; i < pkgs.n; i++) {
                struct source_pkg *pkg = &pkgs.v[i];
                if ((size_t)pkg->solvable >= pkgs.n || src->by_solvable[pkg->solvable])
                        goto done;
                Solvable *sv = pool_id2solvable(src->pool, src->repo->start + pkg->solvable);
                if (strcmp(pool_id2str(src->pool, sv->name), pkg->name) != 0 ||
                    strcmp(pool_id2str(src->pool, sv->arch), pkg->arch) != 0)
                        goto done;
                /* source_find bisects: the lines must be in the source's order */
                if (i > 0 && cmp_pkg(&pkgs.v[i - 1], pkg, src) > 0)
                        goto done;
                src->by_solvable[pkg->solvable] = pkg;
                pkg->solvable += src->repo->start;
        }
        src->pkgs = pkgs.v;
        src->n = pkgs.n;
        pkgs.v = NULL;
        pkgs.n = 0;
        src->backend = backend;
        src->impl = impl;
        *out = src;
        src = NULL;
        r = 1;
done:
        for (size_t i = 0; i < pkgs.n; i++)
                pkg_release(&pkgs.v[i]);
        free(pkgs.v);
        source_free(src); /* its backend is not set yet: impl stays the caller's */
        if (r < 0) {
                unlink(solv);
                unlink(lines);
                return 0;
        }
        return r;
}

static void cache_field(struct strbuf *sb, const char *s, bool last)
{
        strbuf_adds(sb, s ? s : "");
        strbuf_addch(sb, last ? '\n' : '\t');
}

int source_save_cached(struct source *src, const char *dir, const char *key,
                       struct distill_error *err)
{
        cleanup_free char *solv = cache_file(dir, key, "solv");
        cleanup_free char *lines = cache_file(dir, key, "pkgs");
        cleanup_free char *tmp = xasprintf("%s.tmp.XXXXXX", solv);
        struct strbuf sb = STRBUF_INIT;
        int e = mkdir_p(dir, 0755);

        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot create %s", dir);
        strbuf_adds(&sb, SOLV_CACHE_MAGIC "\n");
        for (size_t i = 0; i < src->n; i++) {
                /* in the source's sorted order, each line naming its solvable: loading then
                 * needs no sort */
                const struct source_pkg *p = &src->pkgs[i];
                char prio[16], size[32], index[32];
                if (!p || !p->filename || !p->sha256 || !p->base_uri || strchr(p->base_uri, '\t')) {
                        strbuf_release(&sb);
                        return 0; /* not an archive's packages: nothing to cache */
                }
                snprintf(prio, sizeof(prio), "%d", p->priority_rank);
                snprintf(size, sizeof(size), "%llu", (unsigned long long)p->size);
                snprintf(index, sizeof(index), "%d", (int)(p->solvable - src->repo->start));
                cache_field(&sb, index, false);
                cache_field(&sb, p->name, false);
                cache_field(&sb, p->version, false);
                cache_field(&sb, p->arch, false);
                cache_field(&sb, p->multiarch, false);
                cache_field(&sb, p->source, false);
                cache_field(&sb, prio, false);
                cache_field(&sb, p->filename, false);
                cache_field(&sb, p->sha256, false);
                cache_field(&sb, size, false);
                cache_field(&sb, p->base_uri, true);
        }
        int fd = mkstemp(tmp);
        if (fd < 0) {
                strbuf_release(&sb);
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot create %s", tmp);
        }
        fchmod(fd, 0644); /* as every other cache file (mkstemp makes 0600) */
        FILE *fp = fdopen(fd, "w");
        int bad = !fp || repo_write(src->repo, fp) != 0;
        if (fp && fclose(fp) != 0)
                bad = 1;
        else if (!fp)
                close(fd);
        /* the .pkgs file is written last: a .solv without it is never used */
        if (bad || rename(tmp, solv) < 0 ||
            (e = write_file_atomic(lines, sb.buf, sb.len, 0644)) < 0) {
                unlink(tmp);
                unlink(solv);
                strbuf_release(&sb);
                return distill_error_set(err, DISTILL_EIO, "cannot write the index cache in %s",
                                         dir);
        }
        strbuf_release(&sb);
        return 0;
}

const char *source_cache_dir(struct source *src)
{
        if (!src->backend || !src->backend->cache_dir)
                return NULL;
        return src->backend->cache_dir(src->impl);
}
