/* The apt source (docs/architecture.md, "Package sources"): packages from Debian archives. Indexes
 * come verified from aptrepo; the candidate packages' .debs are fetched into the content-addressed
 * cache (hash-checked), read once with libarchive into a persistent staging store, and their
 * file index is saved beside them keyed by the .deb's hash — so a warm build decompresses
 * nothing. */
#include "distill/source/source_apt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "distill/core/store.h"
#include "distill/source/apt.h"
#include "distill/source/debfile.h"
#include "distill/source/lock.h"

struct apt_impl {
        struct apt_config cfg;
        char *cache;
        bool progress;
        struct store *store;    /* CACHE/store: extracted .deb members */
        struct deb_index *debs; /* one per prepared package */
        size_t n_debs;
        struct strmap members; /* dpkg path → const struct deb_member * */
};

static void apt_impl_free(void *p)
{
        struct apt_impl *a = p;
        if (!a)
                return;
        for (size_t i = 0; i < a->n_debs; i++)
                deb_index_release(&a->debs[i]);
        free(a->debs);
        strmap_clear(&a->members, NULL);
        if (a->store)
                store_free(a->store);
        apt_config_release(&a->cfg);
        free(a->cache);
        free(a);
}

/* The cached index of a .deb, or a fresh read of it (then saved for the next build). */
static int index_deb(struct apt_impl *a, const struct source_pkg *pkg, const char *deb_path,
                     struct deb_index *idx, struct distill_error *err)
{
        cleanup_free char *dir = path_join(a->cache, "debindex");
        cleanup_free char *path = xasprintf("%s/%s.json", dir, pkg->sha256);
        int r;

        if (access(path, R_OK) == 0) {
                r = deb_index_load(path, a->store, idx, err);
                if (r >= 0)
                        return r;
                if (err->code != DISTILL_EINTEGRITY)
                        return r;
                /* a blob went missing from the store: read the .deb again */
                err->code = 0;
        }
        cleanup_free char *name = xasprintf("%s_%s_%s.deb", pkg->name, pkg->version, pkg->arch);
        r = debfile_read(deb_path, name, a->store, idx, err);
        if (r < 0)
                return r;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "cannot create %s", dir);
        return deb_index_save(idx, path, err);
}

static int apt_prepare(void *impl, struct source *src, struct source_pkg *const *pkgs, size_t n,
                       struct distill_error *err)
{
        struct apt_impl *a = impl;
        int r = 0;

        a->debs = xcalloc(n + 1, sizeof(*a->debs));
        for (size_t i = 0; i < n; i++) {
                struct source_pkg *pkg = pkgs[i];
                cleanup_free char *url = xasprintf("%s/%s", pkg->base_uri, pkg->filename);
                cleanup_free char *deb = NULL;
                if (a->progress)
                        fprintf(stderr, "[%zu/%zu] %s %s\n", i + 1, n, pkg->name, pkg->version);
                r = apt_fetch_verified(&a->cfg, a->cache, url, pkg->sha256, pkg->size, &deb, err);
                if (r < 0)
                        return r;
                struct deb_index *idx = &a->debs[a->n_debs];
                r = index_deb(a, pkg, deb, idx, err);
                if (r < 0)
                        return distill_error_prefix(err, "%s: ", pkg->name);
                a->n_debs++;
                if (strcmp(idx->package, pkg->name) != 0 || strcmp(idx->version, pkg->version) != 0)
                        return distill_error_set(
                            err, DISTILL_EINTEGRITY, "%s: the .deb is %s %s, the index said %s %s",
                            url, idx->package, idx->version, pkg->name, pkg->version);
                /* status.d carries the package's own control stanza, as distroless does */
                free(pkg->stanza);
                pkg->stanza = xstrdup(idx->control);
                strvec_clear(&pkg->files);
                for (size_t m = 0; m < idx->n_members; m++) {
                        const struct deb_member *mem = &idx->members[m];
                        strvec_push(&pkg->files, mem->path);
                        if (!strmap_has(&a->members, mem->path) || mem->type != SOURCE_DIR)
                                strmap_put(&a->members, mem->path, (void *)mem);
                }
                for (size_t k = 0; k < idx->n_alts; k++) {
                        const struct deb_alternative *alt = &idx->alts[k];
                        source_add_alternative(src, alt->name, alt->link, alt->path, alt->priority,
                                               &alt->slave_names, &alt->slave_links,
                                               &alt->slave_paths);
                }
        }
        return 0;
}

/* The member a dpkg path names, its directory part resolved through the members' own
 * symlinks (as the kernel would in an unpacked tree: /usr/share/doc/libgcc-s1 is a link to
 * gcc-12-base), absolute targets from the image root, `..` clamped, a bounded number of links.
 * The last component is not followed. */
static const struct deb_member *member(struct apt_impl *a, const char *pkg_path,
                                       struct distill_error *err)
{
        const struct deb_member *m = strmap_get(&a->members, pkg_path);
        if (m)
                return m;
        char *path = path_normalize(pkg_path);
        for (int links = 0; links < 40 && !m;) {
                const char *last = strrchr(path, '/');
                bool followed = false;
                /* the longest directory prefix that is a symlink member */
                for (const char *p = last; p && p > path && !followed; p--) {
                        if (*p != '/')
                                continue;
                        cleanup_free char *prefix = xstrndup(path, (size_t)(p - path));
                        const struct deb_member *d = strmap_get(&a->members, prefix);
                        if (!d || d->type != SOURCE_SYMLINK)
                                continue;
                        cleanup_free char *dir = path_dirname(prefix);
                        cleanup_free char *target = d->link_target[0] == '/'
                                                        ? xstrdup(d->link_target)
                                                        : path_join(dir, d->link_target);
                        cleanup_free char *joined = xasprintf("%s%s", target, p);
                        free(path);
                        path = path_normalize(joined);
                        followed = true;
                        links++;
                }
                m = strmap_get(&a->members, path);
                if (!followed)
                        break;
        }
        free(path);
        if (!m)
                distill_error_set(err, DISTILL_ERESOLVE, "%s is in no fetched package", pkg_path);
        return m;
}

static int apt_lstat(void *impl, const char *pkg_path, struct source_stat *st,
                     struct distill_error *err)
{
        struct apt_impl *a = impl;
        const struct deb_member *m = member(a, pkg_path, err);
        memset(st, 0, sizeof(*st));
        if (!m)
                return -err->code;
        st->type = m->type;
        st->mode = m->mode;
        st->size = m->size;
        st->link_target = m->link_target ? xstrdup(m->link_target) : NULL;
        return 0;
}

static int apt_open_file(void *impl, const char *pkg_path, int *fd, struct distill_error *err)
{
        struct apt_impl *a = impl;
        const struct deb_member *m = member(a, pkg_path, err);
        *fd = -1;
        if (!m)
                return -err->code;
        if (m->type != SOURCE_REG)
                return distill_error_set(err, DISTILL_EIO, "%s: not a regular file", pkg_path);
        return store_open_blob(a->store, m->digest, fd, err);
}

static char *apt_blob_path(void *impl, const char *pkg_path)
{
        struct apt_impl *a = impl;
        struct distill_error scratch = {0};
        const struct deb_member *m = member(a, pkg_path, &scratch);
        return m && m->type == SOURCE_REG ? store_blob_path(a->store, m->digest) : NULL;
}

static const char *apt_cache_dir(void *impl)
{
        return ((struct apt_impl *)impl)->cache;
}

static const struct source_backend apt_backend = {
    .prepare = apt_prepare,
    .lstat = apt_lstat,
    .open_file = apt_open_file,
    .blob_path = apt_blob_path,
    .cache_dir = apt_cache_dir,
    .free = apt_impl_free,
};

int source_apt_config(const struct manifest *m, struct apt_config *cfg, struct distill_error *err)
{
        int r;
        if (m->apt.host) {
                r = apt_config_from_host("/", cfg, err);
                if (r >= 0 && cfg->n == 0)
                        r = distill_error_set(err, DISTILL_EUSAGE,
                                              "%s: sources: host, but this host's apt "
                                              "configuration lists no deb source",
                                              m->path);
                return r;
        }
        /* settings (proxies, Check-Valid-Until, default keyrings) still come from the host */
        r = apt_config_from_host("/", cfg, err);
        if (r < 0)
                return r;
        apt_config_clear_sources(cfg);
        for (size_t i = 0; i < m->apt.n; i++)
                cfg->n += m->apt.v[i].suites.n;
        cfg->v = xcalloc(cfg->n + 1, sizeof(*cfg->v));
        size_t k = 0;
        for (size_t i = 0; i < m->apt.n; i++) {
                const struct manifest_apt_source *ms = &m->apt.v[i];
                for (size_t s = 0; s < ms->suites.n; s++) {
                        struct apt_source_entry *e = &cfg->v[k++];
                        e->uri = xstrdup(ms->uri);
                        e->suite = xstrdup(ms->suites.v[s]);
                        for (size_t c = 0; c < ms->components.n; c++)
                                strvec_push(&e->components, ms->components.v[c]);
                        e->signed_by = ms->signed_by ? xstrdup(ms->signed_by) : NULL;
                        e->check_valid_until = -1;
                        e->origin = xstrdup(ms->origin);
                }
        }
        return 0;
}

/* What the parsed pool depends on: the architecture and, in order, each verified index's
 * SHA-256 and the URI its Filename fields are relative to. */
static char *index_cache_key(const char *arch, const struct apt_index *idx, size_t n)
{
        struct strbuf sb = STRBUF_INIT;
        char hex[SHA256_HEX_LEN + 1];
        strbuf_addf(&sb, "distill-solv 1\n%s\n", arch);
        for (size_t i = 0; i < n; i++)
                strbuf_addf(&sb, "%s %s\n", idx[i].sha256, idx[i].source->uri);
        sha256_hex(sb.buf, sb.len, hex);
        strbuf_release(&sb);
        return xstrdup(hex);
}

int source_open_apt(const struct manifest *m, const char *arch, bool progress, struct source **out,
                    struct distill_error *err)
{
        struct apt_impl *a = xcalloc(1, sizeof(*a));
        struct apt_index *idx = NULL;
        size_t n_idx = 0;
        struct source_index_text *texts = NULL;
        char **data = NULL;
        cleanup_free char *store_dir = NULL;
        cleanup_free char *solv_dir = NULL;
        cleanup_free char *key = NULL;
        int r;

        *out = NULL;
        a->cache = xstrdup(m->apt.cache);
        a->progress = progress;
        r = source_apt_config(m, &a->cfg, err);
        if (r < 0)
                goto fail;
        store_dir = path_join(a->cache, "store");
        r = store_open(store_dir, &a->store, err);
        if (r < 0)
                goto fail;
        struct apt_fetch_options opt = {
            .cache_dir = a->cache, .arch = arch, .now = (int64_t)time(NULL), .progress = progress};
        r = apt_fetch_indexes(&a->cfg, &opt, &idx, &n_idx, err);
        if (r < 0)
                goto fail;
        /* the same verified indexes parse to the same pool: reuse it */
        solv_dir = path_join(a->cache, "solv");
        key = index_cache_key(arch, idx, n_idx);
        if (source_load_cached(solv_dir, key, arch, &apt_backend, a, out) == 1) {
                a = NULL;
                r = 0;
                goto fail;
        }
        texts = xcalloc(n_idx + 1, sizeof(*texts));
        data = xcalloc(n_idx + 1, sizeof(*data));
        for (size_t i = 0; i < n_idx; i++) {
                size_t len = 0;
                int e = read_file(idx[i].packages_path, &data[i], &len);
                if (e < 0) {
                        r = distill_error_errno(err, DISTILL_EIO, -e, "%s", idx[i].packages_path);
                        goto fail;
                }
                texts[i] = (struct source_index_text){data[i], len, idx[i].packages_path,
                                                      idx[i].source->uri};
        }
        r = source_open_indexes(arch, texts, n_idx, &apt_backend, a, out, err);
        a = NULL; /* owned by the source now (freed by it on failure too) */
        if (r >= 0)
                r = source_save_cached(*out, solv_dir, key, err);
        if (r < 0 && *out) {
                source_free(*out);
                *out = NULL;
        }
fail:
        for (size_t i = 0; data && i < n_idx; i++)
                free(data[i]);
        free(data);
        free(texts);
        apt_indexes_free(idx, n_idx);
        if (a)
                apt_impl_free(a);
        return r;
}

int source_open_apt_locked(const struct manifest *m, const char *arch, const char *lock_path,
                           bool progress, struct source **out, struct distill_error *err)
{
        struct apt_impl *a = xcalloc(1, sizeof(*a));
        struct lock_set set = {0};
        struct source_index_text *texts = NULL;
        cleanup_free char *store_dir = NULL;
        int r;

        *out = NULL;
        a->cache = xstrdup(m->apt.cache);
        a->progress = progress;
        /* no index is read and no solver runs: the lock names every package and its hash */
        r = source_apt_config(m, &a->cfg, err);
        if (r < 0)
                goto fail;
        store_dir = path_join(a->cache, "store");
        r = store_open(store_dir, &a->store, err);
        if (r < 0)
                goto fail;
        r = lock_read(lock_path, arch, &set, err);
        if (r < 0)
                goto fail;
        texts = xcalloc(set.n + 1, sizeof(*texts));
        for (size_t i = 0; i < set.n; i++)
                texts[i] = (struct source_index_text){set.v[i].stanza, strlen(set.v[i].stanza),
                                                      lock_path, set.v[i].source};
        r = source_open_indexes(arch, texts, set.n, &apt_backend, a, out, err);
        a = NULL;
fail:
        free(texts);
        lock_set_release(&set);
        if (a)
                apt_impl_free(a);
        return r;
}
