/* The image's ld.so.conf and ld.so.cache, from the namespace and the plan (ldconfig.h). */
#include "distill/elf/ldconfig.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "distill/elf/ldcache.h"

struct conf_reader {
        const struct image_view *v;
        struct ldconfig_dirs *dirs;
};

static int conf_read(void *ud, const char *path, char **data, size_t *len)
{
        struct conf_reader *cr = ud;
        struct distill_error scratch = {0};
        if (!imagens_get(cr->v->ns, path))
                return -ENOENT;
        if (cr->v->read(cr->v->ud, path, data, len, &scratch) < 0)
                return -EIO;
        if (!strvec_contains(&cr->dirs->conf, path))
                strvec_push(&cr->dirs->conf, path);
        return 0;
}

static int conf_list(void *ud, const char *dir, struct strvec *names)
{
        struct conf_reader *cr = ud;
        cleanup_free char *canon = imagens_resolve_dir(cr->v->ns, dir);
        if (!canon)
                return -ENOENT;
        return imagens_list_dir(cr->v->ns, canon, names) < 0 ? -EIO : 0;
}

int ldconfig_scan_dirs(const struct image_view *v, struct ldso_config *cfg,
                       struct ldconfig_dirs *dirs, struct distill_error *err)
{
        struct conf_reader cr = {v, dirs};
        struct strvec conf = STRVEC_INIT;
        struct strvec seen = STRVEC_INIT;
        int r = ldcache_conf_dirs("/etc/ld.so.conf", conf_read, conf_list, &cr, &conf, err);

        if (r < 0)
                return r;
        /* ldconfig scans each directory once (the first spelling of an inode wins) */
        for (size_t pass = 0; pass < 2; pass++) {
                const struct strvec *list = pass == 0 ? &conf : &cfg->default_dirs;
                for (size_t i = 0; i < list->n; i++) {
                        char *canon = imagens_resolve_dir(v->ns, list->v[i]);
                        if (!canon)
                                continue;
                        if (strvec_contains(&seen, canon)) {
                                free(canon);
                                continue;
                        }
                        strvec_push_nodup(&seen, canon);
                        strvec_push(&dirs->scan, list->v[i]);
                        if (pass == 0 && !strvec_contains(&cfg->default_dirs, list->v[i]))
                                strvec_push(&cfg->cache_dirs, list->v[i]);
                }
        }
        strvec_clear(&conf);
        strvec_clear(&seen);
        return 0;
}

void ldconfig_dirs_release(struct ldconfig_dirs *dirs)
{
        strvec_clear(&dirs->scan);
        strvec_clear(&dirs->conf);
}

struct lib_list {
        struct ldcache_lib *v;
        size_t n, alloc;
};

static void lib_list_release(struct lib_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free((char *)l->v[i].dir);
                free((char *)l->v[i].name);
                free((char *)l->v[i].soname);
                free((char *)l->v[i].hwcaps_subdir);
        }
        free(l->v);
}

static void add_lib(struct lib_list *l, const char *scan_dir, const char *name, const char *subdir,
                    const struct elf_info *info, bool is_link)
{
        if (l->n == l->alloc) {
                l->alloc = l->alloc ? l->alloc * 2 : 64;
                l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
        }
        struct ldcache_lib *lib = &l->v[l->n++];
        memset(lib, 0, sizeof(*lib));
        lib->dir = xstrdup(scan_dir);
        lib->name = xstrdup(name);
        lib->soname = info->soname ? xstrdup(info->soname) : NULL;
        lib->elfclass = info->elfclass;
        lib->machine = info->machine;
        lib->hwcaps_subdir = subdir ? xstrdup(subdir) : NULL;
        lib->is_link = is_link;
}

/* The kept shared objects directly in scan_dir (or its glibc-hwcaps/subdir). */
static void collect_libs(const struct image_view *v, const char *scan_dir, const char *subdir,
                         struct lib_list *libs)
{
        cleanup_free char *dir =
            subdir ? xasprintf("%s/glibc-hwcaps/%s", scan_dir, subdir) : xstrdup(scan_dir);
        cleanup_free char *canon = imagens_resolve_dir(v->ns, dir);
        size_t count;

        if (!canon)
                return;
        struct plan_entry *const *all = plan_sorted(v->plan, &count);
        for (size_t i = 0; i < count; i++) {
                const struct plan_entry *e = all[i];
                cleanup_free char *parent = path_dirname(e->path);
                if (strcmp(parent, canon) != 0 || (e->type != PLAN_FILE && e->type != PLAN_SYMLINK))
                        continue;
                const char *name = path_basename(e->path);
                if (!ldcache_is_dso_name(name))
                        continue;
                struct imagens_resolved res = {0};
                struct distill_error scratch = {0};
                struct elf_info info = {0};
                int r = imagens_resolve(v->ns, e->path, true, &res, &scratch);
                if (r == 0 && res.node && res.node->type == IMAGENS_FILE &&
                    v->elf(v->ud, res.node, &info, &scratch) == 1) {
                        if (info.type == ET_DYN)
                                add_lib(libs, scan_dir, name, subdir, &info,
                                        e->type == PLAN_SYMLINK);
                        elf_info_release(&info);
                }
                imagens_resolved_release(&res);
        }
}

int ldconfig_cache(const struct image_view *v, const struct ldconfig_dirs *dirs, const char *arch,
                   char **data, size_t *len, size_t *n_entries, struct distill_error *err)
{
        struct lib_list libs = {0};
        struct ldcache_entry *entries = NULL;

        for (size_t i = 0; i < dirs->scan.n; i++) {
                const char *dir = dirs->scan.v[i];
                collect_libs(v, dir, NULL, &libs);
                cleanup_free char *hw = xasprintf("%s/glibc-hwcaps", dir);
                cleanup_free char *hwc = imagens_resolve_dir(v->ns, hw);
                struct strvec subs = STRVEC_INIT;
                if (hwc && imagens_list_dir(v->ns, hwc, &subs) == 0)
                        for (size_t k = 0; k < subs.n; k++)
                                collect_libs(v, dir, subs.v[k], &libs);
                strvec_clear(&subs);
        }
        int r = ldcache_entries(libs.v, libs.n, arch, &entries, n_entries, err);
        if (r >= 0)
                r = ldcache_serialize(entries, *n_entries, arch, data, len, err);
        ldcache_entries_free(entries, *n_entries);
        lib_list_release(&libs);
        return r < 0 ? r : 0;
}
