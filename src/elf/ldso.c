/* The dependency closure of an ELF object inside the image, computed the way glibc 2.36's ld.so
 * loads it (docs/architecture.md, "ld.so search"; glibc elf/dl-load.c _dl_map_object, open_path,
 * open_verify): objects are mapped breadth first, each DT_NEEDED is first matched against the
 * objects already loaded, then searched along RPATH chain / RUNPATH / cache / default dirs, each
 * dir with its hwcaps subdirs. */
#include "distill/elf/ldso.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/base/arch.h"

#define LDSO_MAX_OBJECTS 4096

/* Every CPU an architecture's images may run on, as glibc 2.36's ld.so tells them apart
 * (sysdeps/x86/cpu-features.c, elf/dl-hwcaps.c): the glibc-hwcaps levels (a CPU supports a tail
 * of the list), the legacy HWCAP names (in `ld.so --help` order, highest bit first; a CPU sets
 * some of them and the glibc.cpu.hwcap_mask tunable may mask any) and the names $PLATFORM /
 * AT_PLATFORM may take. */
struct cpu_space {
        const char *const *levels;
        const char *const *legacy;
        const char *const *platforms;
};

/* x86-64: the levels by ISA; HWCAP_X86_64 on every CPU and HWCAP_X86_AVX512_1 on Intel
 * AVX-512; AT_PLATFORM "x86_64", which ld.so replaces by "haswell" (Intel with AVX2, FMA,
 * BMI1/2, LZCNT, MOVBE, POPCNT) or "xeon_phi" (Intel with AVX512ER/PF). */
static const char *const amd64_levels[] = {"x86-64-v4", "x86-64-v3", "x86-64-v2", NULL};
static const char *const amd64_legacy[] = {"avx512_1", "x86_64", NULL};
static const char *const amd64_platforms[] = {"haswell", "xeon_phi", "x86_64", NULL};
/* aarch64 has no glibc-hwcaps names and no important HWCAP bits in 2.36: only AT_PLATFORM. */
static const char *const arm64_platforms[] = {"aarch64", NULL};
/* i386: HWCAP_X86_SSE2 when the CPU has SSE2; ld.so sets the platform to i686 (CMOV) or i586
 * (CX8). */
static const char *const i386_legacy[] = {"sse2", NULL};
static const char *const i386_platforms[] = {"i686", "i586", NULL};
static const char *const none[] = {NULL};

static size_t count_names(const char *const *v)
{
        size_t n = 0;
        while (v[n])
                n++;
        return n;
}

void ldso_cpu_subdirs(const struct ldso_cpu *cpu, struct strvec *out)
{
        for (size_t i = 0; i < cpu->n_levels; i++) {
                char *sub = xasprintf("glibc-hwcaps/%s", cpu->levels[i]);
                if (strvec_contains(out, sub))
                        free(sub);
                else
                        strvec_push_nodup(out, sub);
        }
        /* _dl_important_hwcaps: the components are the HWCAP names from the lowest bit up, then
         * the platform, then "tls"; every non-empty subset is a subdirectory, its components
         * written from the last to the first, subsets in descending order of their bit mask. */
        const char *comp[LDSO_CPU_MAX_NAMES + 2];
        size_t n = 0;
        for (size_t i = cpu->n_legacy; i-- > 0;)
                comp[n++] = cpu->legacy[i];
        if (cpu->platform)
                comp[n++] = cpu->platform;
        comp[n++] = "tls";
        for (unsigned long mask = (1UL << n) - 1; mask > 0; mask--) {
                struct strbuf sb = STRBUF_INIT;
                for (size_t i = n; i-- > 0;) {
                        if (!(mask & (1UL << i)))
                                continue;
                        if (sb.len)
                                strbuf_addch(&sb, '/');
                        strbuf_adds(&sb, comp[i]);
                }
                if (strvec_contains(out, sb.buf))
                        strbuf_release(&sb);
                else
                        strvec_push_nodup(out, strbuf_detach(&sb));
        }
}

static void keep_common(struct strvec *common, const struct strvec *mine)
{
        struct strvec kept = STRVEC_INIT;
        for (size_t i = 0; i < common->n; i++)
                if (strvec_contains(mine, common->v[i]))
                        strvec_push(&kept, common->v[i]);
        strvec_clear(common);
        *common = kept;
}

/* The union of the subdirectories of every CPU in the space (most capable first, so a
 * directory's primary object is the best variant), the ones every CPU searches, and the
 * platform names. */
static void fill_subdirs(const struct cpu_space *space, struct ldso_config *cfg)
{
        size_t n_levels = count_names(space->levels);
        size_t n_legacy = count_names(space->legacy);
        bool first = true;
        for (size_t p = 0; space->platforms[p]; p++) {
                strvec_push(&cfg->platforms, space->platforms[p]);
                for (size_t skip = 0; skip <= n_levels; skip++) {
                        for (unsigned long set = 1UL << n_legacy; set-- > 0;) {
                                struct ldso_cpu cpu = {.platform = space->platforms[p]};
                                for (size_t i = skip; i < n_levels; i++)
                                        cpu.levels[cpu.n_levels++] = space->levels[i];
                                for (size_t i = 0; i < n_legacy; i++)
                                        if (set & (1UL << (n_legacy - 1 - i)))
                                                cpu.legacy[cpu.n_legacy++] = space->legacy[i];
                                struct strvec mine = STRVEC_INIT;
                                ldso_cpu_subdirs(&cpu, &mine);
                                for (size_t i = 0; i < mine.n; i++)
                                        if (!strvec_contains(&cfg->subdirs, mine.v[i]))
                                                strvec_push(&cfg->subdirs, mine.v[i]);
                                if (first) {
                                        cfg->universal_subdirs = mine;
                                        first = false;
                                } else {
                                        keep_common(&cfg->universal_subdirs, &mine);
                                        strvec_clear(&mine);
                                }
                        }
                }
        }
}

int ldso_config_for_arch(const char *arch, struct ldso_config *cfg, struct distill_error *err)
{
        static const struct {
                const char *arch;
                struct cpu_space space;
        } spaces[] = {
            {"amd64", {amd64_levels, amd64_legacy, amd64_platforms}},
            {"arm64", {none, none, arm64_platforms}},
            {"i386", {none, i386_legacy, i386_platforms}},
        };
        const struct arch_info *ai = arch_lookup(arch);
        const struct cpu_space *space = NULL;

        memset(cfg, 0, sizeof(*cfg));
        for (size_t i = 0; ai && i < sizeof(spaces) / sizeof(spaces[0]); i++)
                if (!strcmp(spaces[i].arch, ai->deb))
                        space = &spaces[i].space;
        if (!space)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "architecture %s: no ld.so configuration known "
                                         "(supported: amd64, arm64, i386)",
                                         arch);
        cfg->elfclass = ai->elfclass;
        cfg->machine = ai->machine;
        /* Debian's glibc sets $LIB to the multiarch dir (not lib64 as ld.so(8) says) */
        cfg->lib_token = xasprintf("lib/%s", ai->triplet);
        fill_subdirs(space, cfg);
        strvec_push_nodup(&cfg->default_dirs, xasprintf("/lib/%s", ai->triplet));
        strvec_push_nodup(&cfg->default_dirs, xasprintf("/usr/lib/%s", ai->triplet));
        strvec_push(&cfg->default_dirs, "/lib");
        strvec_push(&cfg->default_dirs, "/usr/lib");
        return 0;
}

void ldso_config_release(struct ldso_config *cfg)
{
        if (!cfg)
                return;
        free(cfg->lib_token);
        cfg->lib_token = NULL;
        strvec_clear(&cfg->platforms);
        strvec_clear(&cfg->subdirs);
        strvec_clear(&cfg->universal_subdirs);
        strvec_clear(&cfg->cache_dirs);
        strvec_clear(&cfg->default_dirs);
}

/* One loaded object while the closure is computed. */
struct lobj {
        char *path;
        char *real_path;
        struct strvec links;
        char *needed_by;
        char *needed_name;
        struct strvec variants;
        char *variant_of;
        const struct elf_info *info; /* owned by the context's cache */
        int loader;                  /* l_loader: the object whose NEEDED mapped it, -1 none */
        struct strvec names;         /* l_libname: names it was requested by */
        char *origin;                /* $ORIGIN */
        bool is_interp;
};

struct cached_info {
        int rc; /* 1 ELF, 0 not ELF */
        struct elf_info info;
};

struct ctx {
        const struct ldso_config *cfg;
        const struct imagens *ns;
        ldso_load_fn load;
        void *ud;
        struct strmap infos; /* real path → struct cached_info */
        struct lobj *objs;
        size_t n, alloc;
        /* The main program: an object index, or (for a dlopen'ed root) its own facts. */
        int main_idx;
        const struct elf_info *main_info;
        char *main_origin;
        struct distill_error *err;
};

/* A found file: the path as built, and where it resolves to. */
struct candidate {
        char *path;
        struct imagens_resolved res;
        const struct elf_info *info;
};

static void candidate_release(struct candidate *c)
{
        free(c->path);
        imagens_resolved_release(&c->res);
        memset(c, 0, sizeof(*c));
}

static void cached_info_free(void *p)
{
        struct cached_info *ci = p;
        if (!ci)
                return;
        elf_info_release(&ci->info);
        free(ci);
}

static int get_info(struct ctx *c, const struct imagens_node *node, const struct elf_info **out,
                    struct distill_error *err)
{
        struct cached_info *ci = strmap_get(&c->infos, node->path);
        if (!ci) {
                ci = xcalloc(1, sizeof(*ci));
                int r = c->load(c->ud, node, &ci->info, err);
                if (r < 0) {
                        free(ci);
                        return r;
                }
                ci->rc = r;
                strmap_put(&c->infos, node->path, ci);
        }
        *out = ci->rc == 1 ? &ci->info : NULL;
        return ci->rc;
}

/* What ld.so's open_verify does with an existing file: a wrong class or machine is skipped (the
 * search goes on), anything else that is not a loadable ELF object stops the load. */
enum verdict { CAND_ABSENT, CAND_OK, CAND_SKIP };

static int fatal_candidate(struct distill_error *err, const char *path, const char *why,
                           const char *name, const char *by)
{
        return distill_error_set(err, DISTILL_ERESOLVE,
                                 "%s: %s (ld.so stops there loading %s needed by %s)", path, why,
                                 name, by);
}

static int verify_candidate(struct ctx *c, const char *path, struct candidate *cand,
                            const char *name, const char *by, struct distill_error *err)
{
        struct distill_error tmp = {0};
        memset(cand, 0, sizeof(*cand));
        /* A loop or a missing component is an open() failure for ld.so: not found here. */
        if (imagens_resolve(c->ns, path, true, &cand->res, &tmp) < 0)
                return CAND_ABSENT;
        const struct imagens_node *node = cand->res.node;
        if (!node) {
                imagens_resolved_release(&cand->res);
                return CAND_ABSENT;
        }
        int r;
        if (node->type != IMAGENS_FILE) {
                r = fatal_candidate(err, path, "cannot read file data: Is a directory", name, by);
                goto fail;
        }
        const struct elf_info *info = NULL;
        r = get_info(c, node, &info, err);
        if (r < 0)
                goto fail;
        if (r == 0) {
                r = fatal_candidate(err, path, "invalid ELF header", name, by);
                goto fail;
        }
        if (info->elfclass != c->cfg->elfclass) {
                imagens_resolved_release(&cand->res);
                return CAND_SKIP;
        }
        /* Every architecture configured here is little-endian. */
        if (info->data != ELFDATA2LSB) {
                r = fatal_candidate(err, path, "ELF file data encoding not little-endian", name,
                                    by);
                goto fail;
        }
        if (info->osabi != ELFOSABI_SYSV && info->osabi != ELFOSABI_GNU) {
                r = fatal_candidate(err, path, "ELF file OS ABI invalid", name, by);
                goto fail;
        }
        if (info->machine != c->cfg->machine) {
                imagens_resolved_release(&cand->res);
                return CAND_SKIP;
        }
        if (info->type != ET_DYN && info->type != ET_EXEC) {
                r = fatal_candidate(err, path, "only ET_DYN and ET_EXEC can be loaded", name, by);
                goto fail;
        }
        cand->path = xstrdup(path);
        cand->info = info;
        return CAND_OK;
fail:
        imagens_resolved_release(&cand->res);
        return r;
}

/* $ORIGIN, $PLATFORM, $LIB, also as ${NAME} (glibc elf/dl-load.c is_dst). Returns the length
 * consumed after '$', 0 when `s` does not start with that token. */
static size_t is_dst(const char *s, const char *ref)
{
        size_t len = strlen(ref);
        bool brace = *s == '{';
        if (brace)
                s++;
        if (strncmp(s, ref, len) != 0)
                return 0;
        if (brace) {
                if (s[len] != '}')
                        return 0;
                return len + 2;
        }
        char nx = s[len];
        if ((nx >= 'a' && nx <= 'z') || (nx >= 'A' && nx <= 'Z') || (nx >= '0' && nx <= '9') ||
            nx == '_')
                return 0;
        return len;
}

static bool has_platform_token(const char *s)
{
        for (const char *p = strchr(s, '$'); p; p = strchr(p + 1, '$'))
                if (is_dst(p + 1, "PLATFORM"))
                        return true;
        return false;
}

static char *expand_dst_with(const struct ctx *c, const char *s, const char *origin,
                             const char *platform)
{
        struct strbuf out = STRBUF_INIT;
        strbuf_grow(&out, strlen(s));
        while (*s) {
                if (*s != '$') {
                        strbuf_addch(&out, *s++);
                        continue;
                }
                size_t n;
                if ((n = is_dst(s + 1, "ORIGIN")) != 0)
                        strbuf_adds(&out, origin);
                else if ((n = is_dst(s + 1, "PLATFORM")) != 0)
                        strbuf_adds(&out, platform);
                else if ((n = is_dst(s + 1, "LIB")) != 0)
                        strbuf_adds(&out, c->cfg->lib_token);
                else
                        strbuf_addch(&out, '$'); /* unknown tokens stay literal, as in glibc */
                s += 1 + n;
        }
        return strbuf_detach(&out);
}

/* The strings `s` expands to on some CPU of the architecture: one, or one per $PLATFORM value
 * when it names the platform (each then holds only on the CPUs that report that platform). */
static void expand_dst(const struct ctx *c, const char *s, const char *origin, struct strvec *out)
{
        if (!has_platform_token(s)) {
                strvec_push_nodup(out, expand_dst_with(c, s, origin, NULL));
                return;
        }
        for (size_t i = 0; i < c->cfg->platforms.n; i++) {
                char *e = expand_dst_with(c, s, origin, c->cfg->platforms.v[i]);
                if (strvec_contains(out, e))
                        free(e);
                else
                        strvec_push_nodup(out, e);
        }
}

/* A search directory; `conditional` when only some CPUs search it (a $PLATFORM expansion). */
struct search_dir {
        char *path;
        bool conditional;
};

struct dirlist {
        struct search_dir *v;
        size_t n, alloc;
};

static bool dirlist_contains(const struct dirlist *l, const char *path)
{
        for (size_t i = 0; i < l->n; i++)
                if (!strcmp(l->v[i].path, path))
                        return true;
        return false;
}

static void dirlist_add(struct dirlist *l, char *path, bool conditional)
{
        if (dirlist_contains(l, path)) {
                free(path);
                return;
        }
        if (l->n == l->alloc) {
                l->alloc = l->alloc ? 2 * l->alloc : 8;
                l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
        }
        l->v[l->n++] = (struct search_dir){path, conditional};
}

static void dirlist_release(struct dirlist *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].path);
        free(l->v);
        memset(l, 0, sizeof(*l));
}

/* Splits a DT_RPATH/DT_RUNPATH value into expanded directories. Empty and relative elements
 * mean the process's working directory, which the image does not fix: they are left out. */
static void split_search_path(const struct ctx *c, const char *list, const char *origin,
                              struct dirlist *dirs)
{
        const char *p = list;
        while (1) {
                const char *end = strchrnul(p, ':');
                cleanup_free char *elem = xstrndup(p, (size_t)(end - p));
                struct strvec expanded = STRVEC_INIT;
                expand_dst(c, elem, origin, &expanded);
                for (size_t i = 0; i < expanded.n; i++) {
                        char *dir = xstrdup(expanded.v[i]);
                        size_t len = strlen(dir);
                        while (len > 1 && dir[len - 1] == '/')
                                dir[--len] = '\0';
                        if (dir[0] == '/')
                                dirlist_add(dirs, dir, expanded.n > 1);
                        else
                                free(dir);
                }
                strvec_clear(&expanded);
                if (!*end)
                        break;
                p = end + 1;
        }
}

static char *join_candidate(const char *dir, const char *sub, const char *name)
{
        const char *sep = strcmp(dir, "/") == 0 ? "" : "/";
        if (sub)
                return xasprintf("%s%s%s/%s", dir, sep, sub, name);
        return xasprintf("%s%s%s", dir, sep, name);
}

/* The search for one NEEDED name on every CPU at once. Each CPU stops at its first hit; the
 * image must hold whatever any of them loads, so hits in places only some CPUs search (a
 * glibc-hwcaps or legacy subdir, a $PLATFORM dir) are all kept and the search goes on until
 * a hit every CPU reaches. */
struct search {
        struct candidate found; /* the first hit in search order */
        bool have;
        bool settled;           /* a hit that every CPU searches: no CPU looks further */
        struct strvec variants; /* the other hits */
        struct strvec seen;     /* real paths of every hit, so one file counts once */
};

static void search_release(struct search *s)
{
        if (s->have)
                candidate_release(&s->found);
        strvec_clear(&s->variants);
        strvec_clear(&s->seen);
        memset(s, 0, sizeof(*s));
}

/* Takes `cand` (a verified hit); `everywhere` when every CPU searching this far looks there. */
static void record_hit(struct search *s, struct candidate *cand, bool everywhere)
{
        s->settled |= everywhere;
        if (strvec_contains(&s->seen, cand->res.path)) {
                candidate_release(cand);
                return;
        }
        strvec_push(&s->seen, cand->res.path);
        if (!s->have) {
                s->found = *cand;
                s->have = true;
                memset(cand, 0, sizeof(*cand));
                return;
        }
        strvec_push(&s->variants, cand->path);
        candidate_release(cand);
}

/* Searches one directory like open_path: every subdir, then the dir itself. */
static int search_one_dir(struct ctx *c, const struct search_dir *dir, const char *name,
                          const char *by, struct search *s)
{
        size_t nsub = c->cfg->subdirs.n;
        for (size_t i = 0; i <= nsub; i++) {
                const char *sub = i < nsub ? c->cfg->subdirs.v[i] : NULL;
                cleanup_free char *path = join_candidate(dir->path, sub, name);
                struct candidate cand;
                struct distill_error scratch = {0};
                /* Once one variant is found, a broken later one is the runtime CPU's problem
                 * only if it ever gets there: it is not recorded. */
                int r = verify_candidate(c, path, &cand, name, by, s->have ? &scratch : c->err);
                if (r < 0) {
                        if (s->have)
                                continue;
                        return r;
                }
                if (r != CAND_OK)
                        continue;
                bool everywhere =
                    !dir->conditional && (!sub || strvec_contains(&c->cfg->universal_subdirs, sub));
                record_hit(s, &cand, everywhere);
        }
        return 0;
}

static int search_dirs(struct ctx *c, const struct dirlist *dirs, const char *name, const char *by,
                       struct search *s)
{
        for (size_t i = 0; i < dirs->n && !s->settled; i++) {
                int r = search_one_dir(c, &dirs->v[i], name, by, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int search_list(struct ctx *c, const char *list, const char *origin, const char *name,
                       const char *by, struct search *s)
{
        struct dirlist dirs = {0};
        split_search_path(c, list, origin, &dirs);
        int r = search_dirs(c, &dirs, name, by, s);
        dirlist_release(&dirs);
        return r;
}

static int search_fixed_dirs(struct ctx *c, const struct strvec *dirs, bool nodeflib,
                             const char *name, const char *by, struct search *s)
{
        for (size_t i = 0; i < dirs->n && !s->settled; i++) {
                if (nodeflib && strvec_contains(&c->cfg->default_dirs, dirs->v[i]))
                        continue;
                const struct search_dir dir = {dirs->v[i], false};
                int r = search_one_dir(c, &dir, name, by, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The search for a name without '/' (dl-load.c _dl_map_object, docs/architecture.md, "ld.so
 * search"). */
static int search_name(struct ctx *c, int li, const char *name, struct search *s)
{
        const struct lobj *loader = &c->objs[li];
        const char *by = loader->path;
        int r;

        if (!loader->info->runpath) {
                bool did_main = false;
                for (int l = li; l >= 0 && !s->settled; l = c->objs[l].loader) {
                        const struct lobj *o = &c->objs[l];
                        if (!o->info->rpath)
                                continue;
                        if ((r = search_list(c, o->info->rpath, o->origin, name, by, s)) < 0)
                                return r;
                        did_main |= l == c->main_idx;
                }
                if (!did_main && !s->settled) {
                        const struct elf_info *mi =
                            c->main_idx >= 0 ? c->objs[c->main_idx].info : c->main_info;
                        const char *morigin =
                            c->main_idx >= 0 ? c->objs[c->main_idx].origin : c->main_origin;
                        if (mi && mi->rpath &&
                            (r = search_list(c, mi->rpath, morigin, name, by, s)) < 0)
                                return r;
                }
        }
        if (loader->info->runpath && !s->settled &&
            (r = search_list(c, loader->info->runpath, loader->origin, name, by, s)) < 0)
                return r;
        bool nodeflib = (loader->info->flags_1 & DF_1_NODEFLIB) != 0;
        if ((r = search_fixed_dirs(c, &c->cfg->cache_dirs, nodeflib, name, by, s)) < 0)
                return r;
        if (!nodeflib)
                return search_fixed_dirs(c, &c->cfg->default_dirs, false, name, by, s);
        return 0;
}

/* Step 0: an object already loaded whose name, requested name or SONAME matches. */
static int find_loaded(const struct ctx *c, const char *name)
{
        for (size_t i = 0; i < c->n; i++) {
                const struct lobj *o = &c->objs[i];
                if (!strcmp(o->path, name) || strvec_contains(&o->names, name) ||
                    (o->info->soname && !strcmp(o->info->soname, name)))
                        return (int)i;
        }
        return -1;
}

/* ld.so notices the same file opened under another name (_dl_file_id_match_p). */
static int find_by_file(const struct ctx *c, const char *real_path)
{
        for (size_t i = 0; i < c->n; i++)
                if (!strcmp(c->objs[i].real_path, real_path))
                        return (int)i;
        return -1;
}

static int add_object(struct ctx *c, struct candidate *cand, int loader, const char *needed_by,
                      const char *needed_name, const char *origin)
{
        if (c->n >= LDSO_MAX_OBJECTS)
                return distill_error_set(c->err, DISTILL_EINTEGRITY,
                                         "%s: more than %d objects in its ELF closure",
                                         c->objs[0].path, LDSO_MAX_OBJECTS);
        if (c->n == c->alloc) {
                c->alloc = c->alloc ? c->alloc * 2 : 16;
                c->objs = xrealloc(c->objs, c->alloc * sizeof(*c->objs));
        }
        struct lobj *o = &c->objs[c->n];
        memset(o, 0, sizeof(*o));
        o->path = cand->path;
        cand->path = NULL;
        o->real_path = cand->res.path;
        cand->res.path = NULL;
        o->links = cand->res.links;
        memset(&cand->res.links, 0, sizeof(cand->res.links));
        o->info = cand->info;
        o->loader = loader;
        o->needed_by = needed_by ? xstrdup(needed_by) : NULL;
        o->needed_name = needed_name ? xstrdup(needed_name) : NULL;
        o->origin = origin ? xstrdup(origin) : path_dirname(o->path);
        if (needed_name)
                strvec_push(&o->names, needed_name);
        candidate_release(cand);
        return (int)c->n++;
}

static int not_found(struct ctx *c, const char *name, const char *by, struct ldso_result *res)
{
        free(res->missing_name);
        free(res->missing_by);
        res->missing_name = xstrdup(name);
        res->missing_by = xstrdup(by);
        return distill_error_set(c->err, DISTILL_ERESOLVE,
                                 "%s (NEEDED by %s) was not found in the image", name, by);
}

/* Each other hit becomes an object too, so its own NEEDED are followed. */
static int add_variants(struct ctx *c, int primary, const struct strvec *variants, int loader,
                        const char *needed_name)
{
        for (size_t i = 0; i < variants->n; i++) {
                strvec_push(&c->objs[primary].variants, variants->v[i]);
                struct candidate cand;
                struct distill_error scratch = {0};
                int r = verify_candidate(c, variants->v[i], &cand, needed_name,
                                         c->objs[loader].path, &scratch);
                if (r != CAND_OK)
                        continue;
                if (find_by_file(c, cand.res.path) >= 0) {
                        candidate_release(&cand);
                        continue;
                }
                cleanup_free char *by = xstrdup(c->objs[loader].path);
                cleanup_free char *of = xstrdup(c->objs[primary].path);
                r = add_object(c, &cand, loader, by, needed_name, NULL);
                if (r < 0)
                        return r;
                c->objs[r].variant_of = xstrdup(of);
        }
        return 0;
}

/* Looks one expansion of a NEEDED string up; `conditional` when only some CPUs ask for it.
 * Returns 1 when it names an object already loaded. */
static int look_up(struct ctx *c, int li, const char *name, bool conditional, struct search *s)
{
        if (find_loaded(c, name) >= 0)
                return 1;
        if (!strchr(name, '/'))
                return search_name(c, li, name, s);
        /* A path is opened as is; a relative one depends on the working directory. */
        if (name[0] != '/')
                return 0;
        struct candidate cand;
        int r = verify_candidate(c, name, &cand, name, c->objs[li].path, c->err);
        if (r < 0)
                return r;
        if (r == CAND_OK)
                record_hit(s, &cand, !conditional);
        return 0;
}

static int map_needed(struct ctx *c, int li, const char *raw, struct ldso_result *res)
{
        struct strvec names = STRVEC_INIT;
        expand_dst(c, raw, c->objs[li].origin, &names);
        cleanup_free char *by = xstrdup(c->objs[li].path);
        struct search s = {0};
        bool loaded = false;
        int r = 0;

        for (size_t i = 0; i < names.n && r >= 0; i++) {
                s.settled = false; /* each expansion is a search of its own CPUs */
                r = look_up(c, li, names.v[i], names.n > 1, &s);
                loaded |= r == 1;
        }
        if (r < 0)
                goto out;
        r = 0;
        if (!s.have) {
                if (!loaded)
                        r = not_found(c, names.v[0], by, res);
                goto out;
        }
        int idx = find_by_file(c, s.found.res.path);
        if (idx >= 0) {
                if (!strvec_contains(&c->objs[idx].names, names.v[0]))
                        strvec_push(&c->objs[idx].names, names.v[0]);
        } else {
                idx = add_object(c, &s.found, li, by, raw, NULL);
                s.have = idx < 0; /* add_object took the candidate */
        }
        if (idx >= 0)
                idx = add_variants(c, idx, &s.variants, li, raw);
        r = idx < 0 ? idx : 0;
out:
        search_release(&s);
        strvec_clear(&names);
        return r;
}

static int check_arch(struct ctx *c, const char *path, const struct elf_info *info)
{
        if (info->elfclass != c->cfg->elfclass || info->machine != c->cfg->machine)
                return distill_error_set(c->err, DISTILL_EUSAGE,
                                         "%s: ELF class %d machine %u does not match the "
                                         "image's (class %d machine %u)",
                                         path, info->elfclass, info->machine, c->cfg->elfclass,
                                         c->cfg->machine);
        return 0;
}

/* Resolves an image path that must be an ELF object (the root, its interpreter, main_exe). */
static int load_required(struct ctx *c, const char *path, const char *what, struct candidate *cand)
{
        memset(cand, 0, sizeof(*cand));
        int r = imagens_resolve(c->ns, path, true, &cand->res, c->err);
        if (r < 0)
                return r;
        if (!cand->res.node || cand->res.node->type != IMAGENS_FILE) {
                candidate_release(cand);
                return distill_error_set(c->err, DISTILL_ERESOLVE,
                                         "%s (%s) was not found in the image", path, what);
        }
        r = get_info(c, cand->res.node, &cand->info, c->err);
        if (r == 0)
                r = distill_error_set(c->err, DISTILL_EUSAGE, "%s (%s): not an ELF object", path,
                                      what);
        if (r < 0) {
                candidate_release(cand);
                return r;
        }
        cand->path = xstrdup(path);
        return check_arch(c, path, cand->info);
}

static int add_interp(struct ctx *c, struct ldso_result *res)
{
        const char *interp = c->objs[0].info->interp;
        struct candidate cand;
        int r = load_required(c, interp, "PT_INTERP", &cand);
        if (r < 0) {
                candidate_release(&cand);
                if (c->err->code == DISTILL_ERESOLVE) {
                        res->missing_name = xstrdup(interp);
                        res->missing_by = xstrdup(c->objs[0].path);
                        return distill_error_set(c->err, DISTILL_ERESOLVE,
                                                 "%s (PT_INTERP of %s) was not found in the image",
                                                 interp, c->objs[0].path);
                }
                return r;
        }
        r = add_object(c, &cand, -1, c->objs[0].path, "PT_INTERP", NULL);
        if (r < 0)
                return r;
        c->objs[r].is_interp = true;
        return 0;
}

static int load_main_exe(struct ctx *c, const char *main_exe)
{
        struct candidate cand;
        int r = load_required(c, main_exe, "main program", &cand);
        if (r == 0) {
                c->main_info = cand.info;
                c->main_origin = path_dirname(cand.res.path);
        }
        candidate_release(&cand);
        return r;
}

static void lobj_release(struct lobj *o)
{
        free(o->path);
        free(o->real_path);
        strvec_clear(&o->links);
        free(o->needed_by);
        free(o->needed_name);
        strvec_clear(&o->variants);
        free(o->variant_of);
        strvec_clear(&o->names);
        free(o->origin);
}

static void move_out(struct lobj *o, struct ldso_object *dst)
{
        dst->path = o->path;
        dst->real_path = o->real_path;
        dst->links = o->links;
        dst->needed_by = o->needed_by;
        dst->needed_name = o->needed_name;
        dst->variants = o->variants;
        dst->variant_of = o->variant_of;
        free(o->origin);
        strvec_clear(&o->names);
        memset(o, 0, sizeof(*o));
}

static void export_result(struct ctx *c, struct ldso_result *res)
{
        res->objs = xcalloc(c->n ? c->n : 1, sizeof(*res->objs));
        size_t k = 0;
        for (size_t i = 0; i < c->n; i++)
                if (!c->objs[i].is_interp)
                        move_out(&c->objs[i], &res->objs[k++]);
        for (size_t i = 0; i < c->n; i++)
                if (c->objs[i].is_interp)
                        move_out(&c->objs[i], &res->objs[k++]);
        res->n = k;
}

int ldso_closure(const struct ldso_config *cfg, const struct imagens *ns, ldso_load_fn load,
                 void *ud, const char *root_path, const char *main_exe, struct ldso_result *res,
                 struct distill_error *err)
{
        struct distill_error scratch = {0};
        struct ctx c = {
            .cfg = cfg,
            .ns = ns,
            .load = load,
            .ud = ud,
            .main_idx = -1,
            .err = err ? err : &scratch,
        };
        struct candidate root;
        char *root_origin = NULL;
        int r;

        memset(res, 0, sizeof(*res));
        r = load_required(&c, root_path, "root object", &root);
        if (r < 0) {
                candidate_release(&root);
                goto out;
        }
        /* $ORIGIN of the program comes from /proc/self/exe (symlinks resolved); a dlopen'ed
         * object's from the path it was opened by. */
        root_origin = main_exe ? path_dirname(root_path) : path_dirname(root.res.path);
        r = add_object(&c, &root, -1, NULL, NULL, root_origin);
        if (r < 0)
                goto out;
        if (!main_exe)
                c.main_idx = 0;
        else if ((r = load_main_exe(&c, main_exe)) < 0)
                goto out;
        if (c.objs[0].info->interp && (r = add_interp(&c, res)) < 0)
                goto out;

        for (size_t i = 0; i < c.n; i++) {
                /* c.objs may move while NEEDED are mapped: index it each time. */
                for (size_t j = 0; j < c.objs[i].info->needed.n; j++) {
                        r = map_needed(&c, (int)i, c.objs[i].info->needed.v[j], res);
                        if (r < 0)
                                goto out;
                }
        }
        export_result(&c, res);
        r = 0;
out:
        free(root_origin);
        for (size_t i = 0; i < c.n; i++)
                lobj_release(&c.objs[i]);
        free(c.objs);
        free(c.main_origin);
        strmap_clear(&c.infos, cached_info_free);
        return r;
}

void ldso_result_release(struct ldso_result *res)
{
        if (!res)
                return;
        for (size_t i = 0; i < res->n; i++) {
                struct ldso_object *o = &res->objs[i];
                free(o->path);
                free(o->real_path);
                strvec_clear(&o->links);
                free(o->needed_by);
                free(o->needed_name);
                strvec_clear(&o->variants);
                free(o->variant_of);
        }
        free(res->objs);
        free(res->missing_name);
        free(res->missing_by);
        memset(res, 0, sizeof(*res));
}
