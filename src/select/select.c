/* select: KEEP NARROW (docs/architecture.md, "The pipeline"). Builds the image namespace from the
 * candidate packages, then keeps entries breadth-first from the seeds through the ELF closure and
 * the rules until nothing changes. Every kept entry records the entry and detail that caused it. */
#include "distill/select/select.h"

#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/arch.h"
#include "distill/base/dockerignore.h"
#include "distill/base/spawn.h"
#include "distill/base/stagetime.h"
#include "distill/base/wildmatch.h"
#include "distill/core/imagens.h"
#include "distill/elf/elf.h"
#include "distill/elf/gconv.h"
#include "distill/elf/ldconfig.h"
#include "distill/elf/ldso.h"
#include "distill/elf/libclocale.h"
#include "distill/python/bytecode.h"
#include "distill/python/pyenv.h"
#include "distill/python/pyimports.h"
#include "distill/python/pymodules.h"
#include "distill/python/pyprobe.h"
#include "distill/python/wheel.h"

#define SELECT_MAX_APP_FILES 200000

struct elf_cache_entry {
        int is_elf; /* 1 ELF, 0 not */
        struct elf_info info;
};

struct select_ctx {
        const struct manifest *m;
        const char *arch;
        struct source *src;
        const struct pkgset *candidates;
        const struct ruleset *rules;
        struct store *st;
        struct plan *plan;
        struct imagens *ns;
        struct ldso_config ldcfg;
        struct rules_vars vars;
        char *pyver;
        char *interp;            /* resolved image path of python.interpreter, or NULL */
        struct strmap elf_cache; /* real image path → struct elf_cache_entry * */
        struct strvec queue;     /* image paths of kept regular files whose ELF closure is due */
        size_t queue_head;
        struct strmap closure_done; /* paths whose closure was computed or covered */
        struct strmap strings_done; /* ELF paths whose compiled-in paths were looked at */
        struct strmap strings;      /* ELF path → struct strvec * of its read-only strings, read
                                     * once for the Python closure and the compiled-in paths */
        bool *fired;                /* per rule */
        struct strvec env;          /* "KEY=VALUE" of the image config known so far */

        /* Python */
        struct pyenv py; /* the interpreter, runnable here, and its probe */
        struct pymodules *pm;
        char *entry_script; /* python.entrypoint, never compiled: it runs as __main__ */

        struct gconv_db gconv;     /* glibc's iconv modules, read when first needed */
        struct strvec gconv_files; /* the configuration glibc reads to find them */
        bool gconv_loaded;

        struct image_view view;      /* what the helpers read of the image */
        struct ldconfig_dirs ldconf; /* the image's ld.so.conf and the cache's directories */

        struct stage_times *times; /* where select's time goes (NULL: not recorded) */
        struct stage_timer lap;    /* started when the stage now running began */
};

/* Namespace */

static int add_package_files(struct select_ctx *c, struct source_pkg *pkg,
                             struct distill_error *err)
{
        for (size_t i = 0; i < pkg->files.n; i++) {
                const char *dpkg_path = pkg->files.v[i];
                cleanup_free char *canon = usrmerge_canonical(dpkg_path);
                struct source_stat sst = {0};
                int r;

                if (!canon)
                        continue; /* /lib itself: a usrmerge symlink in the image */
                r = source_lstat(c->src, dpkg_path, &sst, err);
                if (r < 0) {
                        /* dpkg lists files an admin may have deleted (path-exclude): they are
                         * simply not available to the image. */
                        if (err->code == DISTILL_ERESOLVE) {
                                err->code = 0;
                                continue;
                        }
                        return r;
                }
                enum imagens_node_type type;
                switch (sst.type) {
                case SOURCE_REG:
                        type = IMAGENS_FILE;
                        break;
                case SOURCE_DIR:
                        type = IMAGENS_DIR;
                        break;
                case SOURCE_SYMLINK:
                        type = IMAGENS_SYMLINK;
                        break;
                default:
                        plan_warn(c->plan,
                                  "dropped %s from %s: not a regular file, "
                                  "directory or symlink",
                                  dpkg_path, pkg->name);
                        free(sst.link_target);
                        continue;
                }
                r = imagens_add(c->ns, canon, type, sst.link_target, sst.mode, sst.size,
                                type == IMAGENS_DIR ? NULL : pkg->name, dpkg_path, err);
                free(sst.link_target);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool ns_has(const struct select_ctx *c, const char *path)
{
        struct imagens_resolved res = {0};
        struct distill_error scratch = {0};
        bool found = imagens_resolve(c->ns, path, true, &res, &scratch) == 0 && res.node;
        imagens_resolved_release(&res);
        return found;
}

static int add_alt_link(struct select_ctx *c, const char *link, const char *target,
                        struct distill_error *err)
{
        cleanup_free char *canon = usrmerge_canonical(link);
        if (!canon || imagens_get(c->ns, canon))
                return 0; /* a package ships that path itself */
        return imagens_add(c->ns, canon, IMAGENS_SYMLINK, target, 0777, 0, NULL, NULL, err);
}

/* The links update-alternatives would make in postinst, recreated from the source's records
 * (never from the build host's /etc/alternatives): as in dpkg's auto mode, the highest priority
 * among the alternatives the candidate packages provide wins. The link points straight at the
 * chosen file (no /etc/alternatives indirection). */
static int add_alternatives(struct select_ctx *c, struct distill_error *err)
{
        for (size_t i = 0; i < source_alt_count(c->src); i++) {
                const struct source_alt *alt = source_alt_at(c->src, i);
                const struct source_alt_choice *best = NULL;
                int r;

                for (size_t j = 0; j < alt->n_choices; j++) {
                        const struct source_alt_choice *ch = &alt->choices[j];
                        cleanup_free char *canon = usrmerge_canonical(ch->path);
                        if (!canon || !ns_has(c, canon))
                                continue;
                        if (!best || ch->priority > best->priority)
                                best = ch;
                }
                if (!best)
                        continue;
                r = add_alt_link(c, alt->link, best->path, err);
                for (size_t k = 0; k < alt->slave_links.n && r >= 0; k++) {
                        if (k >= best->slaves.n || !best->slaves.v[k][0])
                                continue;
                        cleanup_free char *canon = usrmerge_canonical(best->slaves.v[k]);
                        if (canon && ns_has(c, canon))
                                r = add_alt_link(c, alt->slave_links.v[k], best->slaves.v[k], err);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_namespace(struct select_ctx *c, struct distill_error *err)
{
        size_t n_tops;
        const struct usrmerge_top *tops = usrmerge_tops(&n_tops);
        int r;

        c->ns = imagens_new();
        for (size_t i = 0; i < n_tops; i++) {
                r = imagens_add(c->ns, tops[i].path, IMAGENS_SYMLINK, tops[i].target, 0777, 0, NULL,
                                NULL, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->candidates->n; i++) {
                r = add_package_files(c, c->candidates->pkgs[i], err);
                if (r < 0)
                        return r;
        }
        return add_alternatives(c, err);
}

/* Reading bytes: package files come from the source, app and added files from the host. */

static int open_node(struct select_ctx *c, const struct imagens_node *node, int *fd,
                     struct distill_error *err)
{
        if (node->owner)
                return source_open_file(c->src, node->src_path, fd, err);
        *fd = open(node->src_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (*fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s",
                                           node->src_path);
        return 0;
}

static int view_open(void *ud, const struct imagens_node *node, int *fd, struct distill_error *err)
{
        return open_node(ud, node, fd, err);
}

static int load_elf(void *ud, const struct imagens_node *node, struct elf_info *info,
                    struct distill_error *err)
{
        struct select_ctx *c = ud;
        struct elf_cache_entry *ce = strmap_get(&c->elf_cache, node->path);
        int fd = -1;
        int r;

        if (!ce) {
                ce = xcalloc(1, sizeof(*ce));
                r = open_node(c, node, &fd, err);
                if (r < 0) {
                        free(ce);
                        return r;
                }
                r = elf_read_fd(fd, node->path, &ce->info, err);
                close(fd);
                if (r < 0) {
                        free(ce);
                        return r;
                }
                ce->is_elf = r;
                strmap_put(&c->elf_cache, node->path, ce);
        }
        if (!ce->is_elf)
                return 0;
        /* The caller owns *info: hand out a deep copy. */
        memset(info, 0, sizeof(*info));
        *info = ce->info;
        info->interp = ce->info.interp ? xstrdup(ce->info.interp) : NULL;
        info->rpath = ce->info.rpath ? xstrdup(ce->info.rpath) : NULL;
        info->runpath = ce->info.runpath ? xstrdup(ce->info.runpath) : NULL;
        info->soname = ce->info.soname ? xstrdup(ce->info.soname) : NULL;
        memset(&info->needed, 0, sizeof(info->needed));
        for (size_t i = 0; i < ce->info.needed.n; i++)
                strvec_push(&info->needed, ce->info.needed.v[i]);
        return 1;
}

static void free_elf_cache_entry(void *p)
{
        struct elf_cache_entry *ce = p;
        if (ce->is_elf)
                elf_info_release(&ce->info);
        free(ce);
}

/* Keeping entries */

static bool excluded(const struct select_ctx *c, const char *path)
{
        return manifest_excludes(c->m, path);
}

static int stage_node_bytes(struct select_ctx *c, const struct imagens_node *node,
                            struct plan_entry *e, struct distill_error *err)
{
        cleanup_close int fd = -1;
        uint64_t size = 0;
        struct stage_timer t;
        double wall, cpu;
        stage_timer_start(&t);
        int r = open_node(c, node, &fd, err);
        if (r >= 0)
                r = store_put_fd(c->st, fd, node->src_path, e->digest, &size, err);
        /* reading, hashing and copying the kept files: part of whichever select stage keeps them */
        stage_timer_elapsed(&t, &wall, &cpu);
        stage_times_add(c->times, "select.staging", wall, cpu);
        if (r < 0)
                return r;
        e->size = size;
        return 0;
}

static int keep_node(struct select_ctx *c, const struct imagens_node *node,
                     enum plan_reason_kind kind, const char *from, const char *detail,
                     struct distill_error *err)
{
        struct plan_entry e = {0};
        bool added = false;
        int r;

        if (plan_get(c->plan, node->path))
                return 0;
        e.path = node->path;
        e.mode = node->mode & 07777;
        e.pkg = node->owner;
        e.pkg_path = node->owner ? node->src_path : NULL;
        e.reason = kind;
        e.reason_from = (char *)from;
        e.reason_detail = (char *)detail;
        switch (node->type) {
        case IMAGENS_DIR:
                e.type = PLAN_DIR;
                break;
        case IMAGENS_SYMLINK:
                e.type = PLAN_SYMLINK;
                e.target = node->target;
                e.mode = 0777;
                break;
        case IMAGENS_FILE:
                e.type = PLAN_FILE;
                r = stage_node_bytes(c, node, &e, err);
                if (r < 0)
                        return r;
                break;
        }
        plan_add(c->plan, &e, &added);
        if (added && node->type == IMAGENS_FILE)
                strvec_push(&c->queue, node->path);
        return 0;
}

/* Keep `path` as the loader or the interpreter would reach it: every symlink on the way (with the
 * reason "link to …") and the final entry with the given reason. Returns 1 when kept, 0 when the
 * path does not exist in the image namespace. */
static int keep_path(struct select_ctx *c, const char *path, enum plan_reason_kind kind,
                     const char *from, const char *detail, struct distill_error *err)
{
        struct imagens_resolved res = {0};
        int r = imagens_resolve(c->ns, path, true, &res, err);
        if (r < 0)
                return r;
        if (!res.node) {
                imagens_resolved_release(&res);
                return 0;
        }
        cleanup_free char *asked = path_normalize(path);
        for (size_t i = 0; i < res.links.n && r >= 0; i++) {
                const struct imagens_node *link = imagens_get(c->ns, res.links.v[i]);
                if (!link)
                        continue;
                /* The path asked for keeps the caller's reason even when it is a symlink; the
                 * links met on the way are there for it. */
                if (strcmp(link->path, asked) == 0) {
                        r = keep_node(c, link, kind, from, detail, err);
                        continue;
                }
                cleanup_free char *why = xasprintf("symlink on the way to %s", res.path);
                r = keep_node(c, link, PLAN_R_LINK, from, why, err);
        }
        if (r >= 0)
                r = keep_node(c, res.node, kind, from, detail, err);
        imagens_resolved_release(&res);
        return r < 0 ? r : 1;
}

/* Keep every namespace entry under (and including) a directory, minus excludes. */
struct subtree_walk {
        struct select_ctx *c;
        const char *dir;
        struct strvec paths;
};

static void collect_subtree(const struct imagens_node *node, void *ud)
{
        struct subtree_walk *w = ud;
        if (path_has_prefix(node->path, w->dir))
                strvec_push(&w->paths, node->path);
}

static int keep_subtree(struct select_ctx *c, const char *dir, enum plan_reason_kind kind,
                        const char *from, const char *detail, struct distill_error *err)
{
        struct subtree_walk w = {c, dir, STRVEC_INIT};
        int r = 0;

        imagens_foreach(c->ns, collect_subtree, &w);
        for (size_t i = 0; i < w.paths.n && r >= 0; i++) {
                const struct imagens_node *node = imagens_get(c->ns, w.paths.v[i]);
                if (excluded(c, node->path))
                        continue;
                if (node->type == IMAGENS_FILE) {
                        r = keep_path(c, node->path, kind, from, detail, err);
                } else {
                        /* a link is kept as the directory holds it, dangling or not (tzdata's
                         * zoneinfo/localtime names /etc/localtime, which the image lacks) */
                        r = keep_node(c, node, kind, from, detail, err);
                        if (r >= 0 && node->type == IMAGENS_SYMLINK)
                                r = keep_path(c, node->path, kind, from, detail, err);
                }
        }
        strvec_clear(&w.paths);
        return r < 0 ? r : 0;
}

struct glob_walk {
        const char *pattern;
        struct strvec paths;
};

static void collect_glob(const struct imagens_node *node, void *ud)
{
        struct glob_walk *w = ud;
        if (wildmatch(w->pattern, node->path))
                strvec_push(&w->paths, node->path);
}

/* Another name for a kept file: a package's symbolic link, in a directory the image has, that
 * leads to a kept file. A link costs a tar header, and code that lists the directory (glob,
 * os.scandir, pkgutil) then stats the same entries in the image as on a system with the
 * package installed (stevedore globs sys.path for *.dist-info and stats Debian's
 * _sysconfigdata__linux_x86_64-linux-gnu.py link on the way). Nothing is compiled or loaded
 * for it: it comes after the closure and the bytecode. */
static void collect_links(const struct imagens_node *node, void *ud)
{
        if (node->type == IMAGENS_SYMLINK && node->owner)
                strvec_push(ud, node->path);
}

static int keep_alias_links(struct select_ctx *c, struct distill_error *err)
{
        struct strvec links = STRVEC_INIT;
        struct strmap dirs = {0}; /* the directories kept entries are in */
        size_t n;
        struct plan_entry *const *all = plan_sorted(c->plan, &n);
        for (size_t i = 0; i < n; i++) {
                char *dir = path_dirname(all[i]->path);
                strmap_put(&dirs, dir, NULL);
                free(dir);
        }
        int r = 0;
        imagens_foreach(c->ns, collect_links, &links);
        for (size_t i = 0; i < links.n && r >= 0; i++) {
                const char *link = links.v[i];
                cleanup_free char *dir = path_dirname(link);
                if (plan_get(c->plan, link) || !strmap_has(&dirs, dir) || excluded(c, link))
                        continue;
                struct imagens_resolved res = {0};
                struct distill_error scratch = {0};
                const struct plan_entry *target = NULL;
                if (imagens_resolve(c->ns, link, true, &res, &scratch) == 0 && res.node &&
                    res.node->type == IMAGENS_FILE)
                        target = plan_get(c->plan, res.path);
                if (target && target->type == PLAN_FILE) {
                        cleanup_free char *detail = xasprintf(
                            "another name for the kept %s in a directory the image has", res.path);
                        r = keep_path(c, link, PLAN_R_LINK, res.path, detail, err);
                }
                imagens_resolved_release(&res);
        }
        strvec_clear(&links);
        strmap_clear(&dirs, NULL);
        return r < 0 ? r : 0;
}

/* Keep every namespace entry matching a glob. Returns the number of matches. */
static int keep_glob(struct select_ctx *c, const char *pattern, enum plan_reason_kind kind,
                     const char *from, const char *detail, struct distill_error *err)
{
        struct glob_walk w = {pattern, STRVEC_INIT};
        int r = 0;
        size_t kept = 0;

        imagens_foreach(c->ns, collect_glob, &w);
        for (size_t i = 0; i < w.paths.n && r >= 0; i++) {
                const struct imagens_node *node = imagens_get(c->ns, w.paths.v[i]);
                /* No excludes here: files.include and rules name what they want explicitly. */
                kept++;
                /* A directory match keeps the directory alone (a landmark such as lib-dynload);
                 * a double-star pattern under it is how a rule asks for the contents. */
                r = keep_path(c, node->path, kind, from, detail, err);
                /* a link the pattern names is kept even when it leads nowhere in the image
                 * (tzdata's zoneinfo/localtime names the host's /etc/localtime) */
                if (r == 0 && node->type == IMAGENS_SYMLINK)
                        r = keep_node(c, node, kind, from, detail, err);
        }
        strvec_clear(&w.paths);
        if (r < 0)
                return r;
        return (int)(kept > 0x7fffffff ? 0x7fffffff : kept);
}

/* Host files (python.app, files.add): copied with normalised modes (0644, or 0755 when any
 * execute bit is set) so a checkout's umask changes nothing. */

static unsigned normalised_mode(mode_t m)
{
        return (m & 0111) ? 0755 : 0644;
}

static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* musl among the host files (issue 12): an object linked against musl, or a distribution pip
 * installed from a musllinux wheel, cannot run on the image's glibc. The build stops naming the
 * file and the pip command that installs a manylinux build instead. */

/* "2.36" from libc6's Debian version ("2.36-9+deb12u4"): the glibc the image runs. NULL when
 * the source has no libc6 or its version does not start with MAJOR.MINOR. */
static char *image_glibc_version(const struct select_ctx *c)
{
        const struct source_pkg *libc = source_find(c->src, "libc6");
        if (!libc || !libc->version)
                return NULL;
        const char *v = strchr(libc->version, ':');
        v = v ? v + 1 : libc->version;
        size_t major = strspn(v, "0123456789");
        size_t minor = major && v[major] == '.' ? strspn(v + major + 1, "0123456789") : 0;
        return minor ? xstrndup(v, major + 1 + minor) : NULL;
}

/* The distribution whose RECORD, in a *.dist-info directory of `root`, lists host_file:
 * "name==version", or NULL. */
static char *record_owner(const char *root, const char *host_file)
{
        size_t rl = strlen(root);
        if (strncmp(host_file, root, rl) != 0 || host_file[rl] != '/')
                return NULL;
        const char *rel = host_file + rl + 1;
        struct dirent **names = NULL;
        char *owner = NULL;
        int n = scandir(root, &names, NULL, cmp_dirent);
        for (int i = 0; i < n; i++) {
                char *dist = NULL, *version = NULL;
                if (!owner && wheel_dist_info_name(names[i]->d_name, &dist, &version) == 0) {
                        cleanup_free char *record =
                            xasprintf("%s/%s/RECORD", root, names[i]->d_name);
                        cleanup_free char *text = NULL;
                        size_t len = 0;
                        struct distill_error ignored = {0};
                        if (read_file_capped(record, WHEEL_MAX_RECORD, &text, &len) == 0 &&
                            wheel_record_lists(text, len, record, rel, &ignored) == 1)
                                owner = xasprintf("%s==%s", dist, version);
                }
                free(dist);
                free(version);
                free(names[i]);
        }
        free(names);
        return owner;
}

/* ": reinstall it for glibc with: pip install …", or why there is no such command. */
static char *reinstall_advice(const struct select_ctx *c, const char *target,
                              const char *requirement, bool known)
{
        cleanup_free char *glibc = image_glibc_version(c);
        if (!c->pyver)
                return xstrdup(": rebuild it against glibc");
        if (!glibc)
                return xstrdup(": rebuild it against glibc (the source has no libc6 to say which "
                               "manylinux wheels fit)");
        cleanup_free char *cmd =
            wheel_pip_target_command(target, c->pyver, glibc, c->arch, &requirement, 1);
        if (!cmd)
                return xasprintf(": rebuild it against glibc (pip has no manylinux platform for "
                                 "%s)",
                                 c->arch);
        if (known)
                return xasprintf(": reinstall it for glibc with: %s", cmd);
        return xasprintf(": rebuild it against glibc or, if pip installed it, reinstall its "
                         "distribution (DISTRIBUTION==VERSION below) for glibc with: %s",
                         cmd);
}

/* A musl-linked ELF object: -DISTILL_ERESOLVE naming it. root: the python.app or
 * site-packages directory it is under (its *.dist-info say which distribution installed it),
 * NULL for files.add. */
static int refuse_musl_object(struct select_ctx *c, const char *host, const char *root,
                              const char *detail, struct distill_error *err)
{
        cleanup_close int fd = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        cleanup_free char *evidence = NULL;
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s", host);
        int r = elf_musl_evidence(fd, host, &evidence, err);
        if (r <= 0)
                return r;
        cleanup_free char *owner = root ? record_owner(root, host) : NULL;
        cleanup_free char *target = root ? xstrdup(root) : path_dirname(host);
        cleanup_free char *advice =
            reinstall_advice(c, target, owner ? owner : "DISTRIBUTION==VERSION", owner != NULL);
        return distill_error_set(err, DISTILL_ERESOLVE, "%s: %s is linked against musl (%s)%s",
                                 detail, host, evidence, advice);
}

/* NAME-VERSION.dist-info/WHEEL with a musllinux tag: -DISTILL_ERESOLVE naming it. */
static int refuse_musllinux_wheel(struct select_ctx *c, const char *host, const char *detail,
                                  struct distill_error *err)
{
        cleanup_free char *dir = path_dirname(host);
        char *dist = NULL, *version = NULL;
        if (strcmp(path_basename(host), "WHEEL") != 0 ||
            wheel_dist_info_name(path_basename(dir), &dist, &version) < 0)
                return 0;
        cleanup_free char *owner = xasprintf("%s==%s", dist, version);
        free(version);
        cleanup_free char *text = NULL;
        size_t len = 0;
        struct wheel_info w;
        int e = read_file_capped(host, WHEEL_MAX_FILE_SIZE, &text, &len);
        int r = e < 0 ? distill_error_errno(err, DISTILL_EIO, -e, "%s: %s", detail, host)
                      : wheel_parse(text, len, host, &w, err);
        if (r < 0) {
                free(dist);
                return r;
        }
        const char *tag = wheel_musllinux_tag(&w);
        if (tag) {
                cleanup_free char *target = path_dirname(dir);
                cleanup_free char *advice = reinstall_advice(c, target, owner, true);
                r = distill_error_set(err, DISTILL_ERESOLVE,
                                      "%s: %s: %s was installed from a musllinux wheel (Tag: %s)%s",
                                      detail, host, dist, tag, advice);
        }
        wheel_info_release(&w);
        free(dist);
        return r;
}

static int add_host_entry(struct select_ctx *c, const char *host, const char *image, int mode,
                          const char *root, const char *detail, struct distill_error *err)
{
        struct stat sb;
        cleanup_free char *target = NULL;
        int r;

        if (lstat(host, &sb) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s", host);
        if (S_ISDIR(sb.st_mode)) {
                r = imagens_add(c->ns, image, IMAGENS_DIR, NULL, 0755, 0, NULL, NULL, err);
        } else if (S_ISLNK(sb.st_mode)) {
                target = xcalloc(1, (size_t)sb.st_size + 2);
                ssize_t n = readlink(host, target, (size_t)sb.st_size + 1);
                if (n < 0 || n > sb.st_size)
                        return distill_error_errno(err, DISTILL_EIO, errno, "readlink %s", host);
                r = imagens_add(c->ns, image, IMAGENS_SYMLINK, target, 0777, 0, NULL, host, err);
        } else if (S_ISREG(sb.st_mode)) {
                unsigned m = mode >= 0 ? (unsigned)mode : normalised_mode(sb.st_mode);
                if ((r = refuse_musl_object(c, host, root, detail, err)) < 0 ||
                    (r = refuse_musllinux_wheel(c, host, detail, err)) < 0)
                        return r;
                r = imagens_add(c->ns, image, IMAGENS_FILE, NULL, m, (uint64_t)sb.st_size, NULL,
                                host, err);
        } else {
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: only regular files, directories and symlinks can "
                                         "be copied into the image",
                                         host);
        }
        if (r < 0)
                return r;
        const struct imagens_node *node = imagens_get(c->ns, image);
        return keep_node(c, node, PLAN_R_SEED, image, detail, err);
}

/* root: the tree's top (python.app's or site-packages' directory, what pip's --target would
 * name); sent: when the tree comes with a .dockerignore, the paths relative to its build
 * context that Docker would send (dockerignore_walk), rel the one of host; NULL for every path. */
static int add_host_tree(struct select_ctx *c, const char *root, const char *host,
                         const char *image, const char *detail, const struct strmap *sent,
                         const char *rel, size_t *count, int depth, struct distill_error *err)
{
        struct dirent **names = NULL;
        struct stat sb;
        int n, r;

        if (depth > 64)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: directories nested too deeply",
                                         host);
        if (++*count > SELECT_MAX_APP_FILES)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: more than %d files", host,
                                         SELECT_MAX_APP_FILES);
        r = add_host_entry(c, host, image, -1, root, detail, err);
        if (r < 0)
                return r;
        if (lstat(host, &sb) < 0 || !S_ISDIR(sb.st_mode))
                return 0;
        n = scandir(host, &names, NULL, cmp_dirent);
        if (n < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot read %s", host);
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                cleanup_free char *child_rel = !sent  ? NULL
                                               : *rel ? xasprintf("%s/%s", rel, name)
                                                      : xstrdup(name);
                if (r >= 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
                    strcmp(name, "__pycache__") != 0 && (!sent || strmap_has(sent, child_rel))) {
                        cleanup_free char *h = path_join(host, name);
                        cleanup_free char *im = path_join(image, name);
                        r = add_host_tree(c, root, h, im, detail, sent, child_rel, count,
                                          depth + 1, err);
                }
                free(names[i]);
        }
        free(names);
        return r < 0 ? r : 0;
}

/* What `COPY . dest` sends of the app's build context (the directory of its .dockerignore), and
 * where app->from lies in it ("" for the context itself): an error when from is not sent. */
static int app_sent_paths(const struct manifest_copy *app, struct strmap *sent, char **rel,
                          struct distill_error *err)
{
        struct dockerignore *di = NULL;
        struct strvec list = STRVEC_INIT;
        cleanup_free char *context = path_dirname(app->dockerignore);
        int r = dockerignore_load(app->dockerignore, &di, err);
        if (r == 0)
                r = dockerignore_walk(di, context, &list, err);
        dockerignore_free(di);
        for (size_t i = 0; i < list.n; i++)
                strmap_put(sent, list.v[i], sent);
        strvec_clear(&list);
        if (r < 0)
                return distill_error_prefix(err, "%s: python.app: ", app->origin);
        size_t skip = strlen(context);
        const char *from = app->from + skip;
        while (*from == '/')
                from++;
        *rel = xstrdup(from);
        if (**rel && !strmap_has(sent, *rel))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: python.app from %s is excluded by %s: Docker's COPY "
                                         "would not find it",
                                         app->origin, app->from, app->dockerignore);
        return 0;
}

static int add_app(struct select_ctx *c, const struct manifest_copy *app, struct distill_error *err)
{
        size_t count = 0;
        struct strmap sent = STRMAP_INIT;
        cleanup_free char *rel = NULL;
        cleanup_free char *detail = xasprintf("python.app %s", app->to);
        int r = app->dockerignore ? app_sent_paths(app, &sent, &rel, err) : 0;
        if (r == 0)
                r = add_host_tree(c, app->from, app->from, app->to, detail,
                                  app->dockerignore ? &sent : NULL, rel, &count, 0, err);
        strmap_clear(&sent, NULL);
        return r;
}

/* ELF closure */

static bool node_is_program(const struct elf_info *info)
{
        return info->interp != NULL || info->type == ET_EXEC;
}

static int missing_library_hint(struct select_ctx *c, const struct ldso_result *res,
                                struct distill_error *err)
{
        /* Which installed package outside the candidate set has a file of that name? */
        for (size_t i = 0; i < source_count(c->src); i++) {
                struct source_pkg *p = source_pkg_at(c->src, i);
                if (pkgset_contains(c->candidates, p->name))
                        continue;
                for (size_t j = 0; j < p->files.n; j++) {
                        if (strcmp(path_basename(p->files.v[j]), res->missing_name) != 0)
                                continue;
                        return distill_error_set(
                            err, DISTILL_ERESOLVE,
                            "%s (NEEDED by %s) is only in package %s, which is not in the "
                            "candidate set: add %s to packages",
                            res->missing_name, res->missing_by, p->name, p->name);
                }
        }
        return -err->code;
}

static int resolve_file(struct select_ctx *c, const char *path, const struct imagens_node **node,
                        struct distill_error *err);

static void free_strings(void *p)
{
        if (!p)
                return; /* taken by its last reader */
        strvec_clear(p);
        free(p);
}

/* An ELF object's read-only strings (none for a file that is not ELF), read from its bytes
 * once and kept until take_elf_strings hands them over. */
static int elf_strings_of(struct select_ctx *c, const struct imagens_node *node,
                          const struct strvec **out, struct distill_error *err)
{
        struct strvec *strings = strmap_get(&c->strings, node->path);
        if (!strings) {
                cleanup_close int fd = -1;
                int r = open_node(c, node, &fd, err);
                strings = xcalloc(1, sizeof(*strings));
                if (r >= 0)
                        r = elf_read_strings(fd, node->path, 2, strings, err);
                if (r < 0) {
                        free_strings(strings);
                        return r;
                }
                strmap_put(&c->strings, node->path, strings);
        }
        *out = strings;
        return 0;
}

/* The last reader's copy: the cache forgets it. Caller frees. */
static int take_elf_strings(struct select_ctx *c, const struct imagens_node *node,
                            struct strvec **out, struct distill_error *err)
{
        const struct strvec *cached;
        int r = elf_strings_of(c, node, &cached, err);
        if (r < 0)
                return r;
        *out = strmap_put(&c->strings, node->path, NULL);
        return 0;
}

/* A word that may name a charset as programs spell them for iconv_open(): "SJIS", "GBK",
 * "ISO8859-1", "BIG-5", "shift_jis", "Windows-1252". glibc also knows two-letter aliases
 * ("L1", "R8") and plain words ("GREEK"), which in an object's strings are far more often
 * something else (identifiers, table rows, "Dec", "No"): a word counts when it is at least three
 * characters long and has a digit, a dash or an underscore, or is all capitals. */
static bool is_charset_word(const char *s)
{
        size_t n = strlen(s);
        bool marked = false, lower = false;
        if (n < 3 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)s[i];
                if (!isalnum(ch) && !strchr("-_.:", ch))
                        return false;
                marked = marked || isdigit(ch) || ch == '-' || ch == '_';
                lower = lower || islower(ch);
        }
        return marked || !lower;
}

static int load_gconv(struct select_ctx *c, struct distill_error *err)
{
        if (c->gconv_loaded)
                return 0;
        c->gconv_loaded = true;
        cleanup_free char *dir = xasprintf("/usr/lib/%s/gconv", c->vars.triplet);
        return gconv_db_load(&c->view, dir, &c->gconv, &c->gconv_files, err);
}

/* The charsets an object converts with glibc's iconv: when it calls iconv_open, each of its
 * strings that names a charset glibc loads a gconv module for ("SJIS" and "BIG-5" in libzbar,
 * libxml2's table of encoding names) keeps that module and the configuration glibc finds it
 * by. A charset named only in a document (an XML encoding declaration) is covered when the
 * library that parses it lists the names it knows, as libxml2 does. */
static int keep_iconv_modules(struct select_ctx *c, const struct imagens_node *obj,
                              const struct strvec *strings, struct distill_error *err)
{
        int r = load_gconv(c, err);
        if (r < 0 || c->gconv.modules.n == 0)
                return r;
        struct strvec names = STRVEC_INIT, modules = STRVEC_INIT;
        for (size_t i = 0; i < strings->n; i++) {
                const char *module;
                if (!is_charset_word(strings->v[i]) ||
                    !(module = gconv_module_for(&c->gconv, strings->v[i])) ||
                    plan_get(c->plan, module) || strvec_contains(&modules, module))
                        continue;
                strvec_push(&names, strings->v[i]);
                strvec_push(&modules, module);
        }
        int calls_iconv = 0;
        if (modules.n) {
                cleanup_close int fd = -1;
                r = open_node(c, obj, &fd, err);
                if (r >= 0)
                        r = calls_iconv = elf_imports_symbol(fd, obj->path, "iconv_open", err);
        }
        for (size_t i = 0; i < modules.n && calls_iconv > 0 && r >= 0; i++) {
                cleanup_free char *detail =
                    xasprintf("charset '%s' in %s's strings, which calls iconv_open", names.v[i],
                              path_basename(obj->path));
                r = keep_path(c, modules.v[i], PLAN_R_ELF_ICONV, obj->path, detail, err);
                for (size_t k = 0; k < c->gconv_files.n && r >= 0; k++) {
                        if (plan_get(c->plan, c->gconv_files.v[k]))
                                continue;
                        cleanup_free char *why = xasprintf("glibc's iconv finds %s through it",
                                                           path_basename(modules.v[i]));
                        r = keep_path(c, c->gconv_files.v[k], PLAN_R_ELF_ICONV, obj->path, why,
                                      err);
                }
        }
        strvec_clear(&names);
        strvec_clear(&modules);
        return r < 0 ? r : 0;
}

/* What one object's strings may keep: files of its own package or of one it depends on. */
struct named_files {
        struct select_ctx *c;
        const struct imagens_node *obj;
        struct strvec deps;
        bool deps_read;
};

/* A string that may be a compiled-in path: absolute, no placeholder or space, not a program,
 * not a kernel file system. */
static bool may_name_file(const char *s)
{
        return s[0] == '/' && !strchr(s, ' ') && !strchr(s, '%') && !strstr(s, "/bin/") &&
               !strstr(s, "/sbin/") && !path_has_prefix(s, "/proc") &&
               !path_has_prefix(s, "/dev") && !path_has_prefix(s, "/sys");
}

/* Keeps `path` when it leads to a file the object may keep (written: the string as the object
 * has it). Returns 1 when path leads to a regular file, whether kept or not. */
static int keep_named_file(struct named_files *nf, const char *path, const char *written,
                           struct distill_error *err)
{
        struct select_ctx *c = nf->c;
        const struct imagens_node *node;
        struct distill_error scratch = {0};
        if (resolve_file(c, path, &node, &scratch) < 0 || !node)
                return 0;
        if (!node->owner || excluded(c, path) || excluded(c, node->path) ||
            plan_get(c->plan, node->path))
                return 1;
        if (strcmp(node->owner, nf->obj->owner) != 0) {
                if (!nf->deps_read) {
                        source_dependencies(c->src, nf->obj->owner, &nf->deps);
                        nf->deps_read = true;
                }
                if (!strvec_contains(&nf->deps, node->owner))
                        return 1;
        }
        cleanup_free char *detail =
            xasprintf("path '%s' in %s's strings", written, path_basename(nf->obj->path));
        int r = keep_path(c, path, PLAN_R_ELF_PATH, nf->obj->path, detail, err);
        return r < 0 ? r : 1;
}

/* A path that names no file may be a base name the library adds an extension to: libmagic
 * opens "<path>.mgc" for each element of "/etc/magic:/usr/share/misc/magic". The files of the
 * same directory named path + "." + one more component are taken as named. */
static int keep_named_stem(struct named_files *nf, const char *path, const char *written,
                           struct distill_error *err)
{
        cleanup_free char *dir = path_dirname(path);
        cleanup_free char *canon = imagens_resolve_dir(nf->c->ns, dir);
        const char *base = path_basename(path);
        size_t bl = strlen(base);
        struct strvec names = STRVEC_INIT;
        int r = 0;
        if (!canon || !bl || imagens_list_dir(nf->c->ns, canon, &names) < 0)
                return 0;
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                const char *n = names.v[i];
                if (strncmp(n, base, bl) != 0 || n[bl] != '.' || !n[bl + 1] ||
                    strchr(n + bl + 1, '.'))
                        continue;
                cleanup_free char *file = xasprintf("%s/%s", dir, n);
                r = keep_named_file(nf, file, written, err);
        }
        strvec_clear(&names);
        return r < 0 ? r : 0;
}

/* A compiled-in path ("/usr/share/misc/pci.ids", "/etc/foo.conf"), or a search list of them
 * ("/etc/magic:/usr/share/misc/magic"), in an ELF object's read-only strings: each names a
 * file (never a directory, never a program) of the object's own package or of one it depends
 * on, kept unless files.exclude drops it; then the charsets it converts with iconv. */
static int keep_elf_named_files(struct select_ctx *c, const struct imagens_node *obj,
                                struct distill_error *err)
{
        if (!obj->owner)
                return 0;
        struct named_files nf = {c, obj, STRVEC_INIT, false};
        struct strvec *strings = NULL;
        int r = take_elf_strings(c, obj, &strings, err);
        for (size_t i = 0; r >= 0 && i < strings->n; i++) {
                const char *s = strings->v[i];
                if (s[0] != '/')
                        continue;
                cleanup_free char *list = xstrdup(s);
                char *save = NULL;
                for (char *p = strtok_r(list, ":", &save); p && r >= 0;
                     p = strtok_r(NULL, ":", &save)) {
                        if (!may_name_file(p))
                                continue;
                        r = keep_named_file(&nf, p, s, err);
                        if (r == 0)
                                r = keep_named_stem(&nf, p, s, err);
                }
        }
        if (r >= 0)
                r = keep_iconv_modules(c, obj, strings, err);
        if (strings)
                free_strings(strings);
        strvec_clear(&nf.deps);
        return r < 0 ? r : 0;
}

static int keep_elf_closure(struct select_ctx *c, const char *path, struct distill_error *err);

/* A kept file: if it is an ELF object, what ld.so loads for it, then the files its strings
 * name (after the loader's, so that NEEDED and PT_INTERP stay the first reasons). */
static int keep_closure_of(struct select_ctx *c, const char *path, struct distill_error *err)
{
        const struct imagens_node *node = imagens_get(c->ns, path);
        if (!node || node->type != IMAGENS_FILE)
                return 0;
        int r = keep_elf_closure(c, path, err);
        if (r < 0 || strmap_has(&c->strings_done, path))
                return r;
        strmap_put(&c->strings_done, path, NULL);
        struct elf_info info = {0};
        r = load_elf(c, node, &info, err);
        if (r <= 0)
                return r;
        elf_info_release(&info);
        return keep_elf_named_files(c, node, err);
}

static int keep_elf_closure(struct select_ctx *c, const char *path, struct distill_error *err)
{
        const struct imagens_node *node = imagens_get(c->ns, path);
        struct elf_info info = {0};
        struct ldso_result res = {0};
        int r;

        if (strmap_has(&c->closure_done, path))
                return 0;
        strmap_put(&c->closure_done, path, NULL);
        r = load_elf(c, node, &info, err);
        if (r <= 0)
                return r;
        if (!info.has_dynamic && !info.interp) {
                elf_info_release(&info);
                return 0; /* static executables and objects without dynamic section */
        }
        if (info.elfclass != c->ldcfg.elfclass || info.machine != c->ldcfg.machine) {
                elf_info_release(&info);
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: ELF class or machine does not match architecture %s",
                                         path, c->arch);
        }
        /* Shared objects in the image are loaded by the image's program (Python dlopens
         * extension modules): their RPATH chain ends at that program. */
        const char *main_exe = node_is_program(&info) ? NULL : c->interp;
        elf_info_release(&info);

        r = ldso_closure(&c->ldcfg, c->ns, load_elf, c, path, main_exe, &res, err);
        if (r < 0) {
                if (res.missing_name)
                        r = missing_library_hint(c, &res, err);
                ldso_result_release(&res);
                return r;
        }
        for (size_t i = 1; i < res.n && r >= 0; i++) {
                struct ldso_object *o = &res.objs[i];
                cleanup_free char *detail = strcmp(o->needed_name, "PT_INTERP") == 0
                                                ? xasprintf("PT_INTERP %s", o->path)
                                                : xasprintf("NEEDED %s", o->needed_name);
                r = keep_path(c, o->path, PLAN_R_ELF_NEEDED, o->needed_by, detail, err);
                for (size_t v = 0; v < o->variants.n && r >= 0; v++)
                        r = keep_path(c, o->variants.v[v], PLAN_R_ELF_NEEDED, o->needed_by, detail,
                                      err);
                /* Its dependencies are part of this closure already. */
                if (r >= 0 && o->real_path)
                        strmap_put(&c->closure_done, o->real_path, NULL);
        }
        ldso_result_release(&res);
        return r < 0 ? r : 0;
}

static int drain_queue(struct select_ctx *c, struct distill_error *err)
{
        while (c->queue_head < c->queue.n) {
                int r = keep_closure_of(c, c->queue.v[c->queue_head++], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Rules */

/* The value the image env gives the key (klen bytes of key), or NULL: the last assignment
 * wins. */
static const char *env_value(const struct select_ctx *c, const char *key, size_t klen)
{
        for (size_t i = c->env.n; i-- > 0;) {
                const char *e = c->env.v[i];
                if (strncmp(e, key, klen) == 0 && e[klen] == '=')
                        return e + klen + 1;
        }
        return NULL;
}

static bool env_has(const struct select_ctx *c, const char *want)
{
        const char *eq = strchr(want, '=');
        const char *value = env_value(c, want, eq ? (size_t)(eq - want) : strlen(want));
        return value && (!eq || strcmp(value, eq + 1) == 0);
}

static bool plan_has_glob(struct plan *plan, const char *pattern)
{
        size_t n;
        struct plan_entry *const *v = plan_sorted(plan, &n);
        for (size_t i = 0; i < n; i++)
                if (wildmatch(pattern, v[i]->path))
                        return true;
        return false;
}

static int one_condition(struct select_ctx *c, const struct rule *rule, enum rule_cond cond,
                         const char *template, bool *holds, struct distill_error *err)
{
        cleanup_free char *value = NULL;
        *holds = false;
        if (template) {
                value = rules_expand(template, &c->vars, rule->origin, err);
                if (!value) {
                        /* ${pyver} in an image without Python: the condition cannot hold */
                        if (!c->pyver) {
                                err->code = 0;
                                return 0;
                        }
                        return -err->code;
                }
        }
        switch (cond) {
        case RULE_WHEN_ALWAYS:
                *holds = true;
                break;
        case RULE_WHEN_PYTHON:
                *holds = c->interp != NULL;
                break;
        case RULE_WHEN_ARCH:
                *holds = strcmp(value, c->arch) == 0;
                break;
        case RULE_WHEN_ENV:
                *holds = env_has(c, value);
                break;
        case RULE_WHEN_FILE:
                *holds = plan_has_glob(c->plan, value);
                break;
        case RULE_WHEN_MODULE:
                /* the import closure exists exactly when the image has Python */
                *holds = c->pm && pymodules_imported(c->pm, value);
                break;
        case RULE_WHEN_ATTRIBUTE:
                *holds = c->pm && pymodules_attr_used(c->pm, value);
                break;
        }
        return 0;
}

/* Every condition of the rule holds. */
static int rule_condition(struct select_ctx *c, const struct rule *rule, bool *holds,
                          struct distill_error *err)
{
        int r = one_condition(c, rule, rule->when, rule->when_value, holds, err);
        for (size_t i = 0; r >= 0 && *holds && i < rule->n_also; i++)
                r = one_condition(c, rule, rule->also[i].cond, rule->also[i].value, holds, err);
        return r;
}

/* The directory glibc's setlocale() loads for `name` in the image: the first of its candidate
 * names (libclocale) that a candidate package ships under /usr/lib/locale — C.UTF-8 on Debian
 * 11, C.utf8 on 12 and 13 — kept whole. 1 kept, 0 none shipped. */
static int keep_locale(struct select_ctx *c, const struct rule *rule, const char *name,
                       const char *from, struct distill_error *err)
{
        struct strvec dirs = STRVEC_INIT;
        int r = 0;

        libc_locale_dirs(name, &dirs);
        for (size_t i = 0; i < dirs.n && r == 0; i++) {
                cleanup_free char *dir = path_join(LIBC_LOCALE_DIR, dirs.v[i]);
                const struct imagens_node *node = imagens_get(c->ns, dir);
                if (!node || node->type != IMAGENS_DIR)
                        continue;
                r = keep_subtree(c, dir, PLAN_R_RULE, from, rule->reason, err);
                if (r == 0)
                        r = 1;
        }
        if (r == 0) {
                struct strbuf tried = STRBUF_INIT;
                for (size_t i = 0; i < dirs.n; i++)
                        strbuf_addf(&tried, "%s%s", i ? ", " : "", dirs.v[i]);
                plan_warn(c->plan,
                          "rule %s: locale %s: no candidate package ships a directory glibc "
                          "loads for it under " LIBC_LOCALE_DIR " (it tries %s)",
                          rule->name, name, strbuf_str(&tried));
                strbuf_release(&tried);
        }
        strvec_clear(&dirs);
        return r;
}

static int fire_rule(struct select_ctx *c, const struct rule *rule, struct distill_error *err)
{
        cleanup_free char *from = xasprintf("rule %s", rule->name);
        int r;

        for (size_t i = 0; i < rule->packages.n; i++) {
                if (pkgset_contains(c->candidates, rule->packages.v[i]))
                        continue;
                return distill_error_set(err, DISTILL_ERESOLVE,
                                         "rule %s (%s) needs package %s, which the source does "
                                         "not have: install it in the sysroot",
                                         rule->name, rule->origin, rule->packages.v[i]);
        }
        for (size_t i = 0; i < rule->paths.n; i++) {
                cleanup_free char *pattern =
                    rules_expand(rule->paths.v[i], &c->vars, rule->origin, err);
                if (!pattern)
                        return -err->code;
                r = keep_glob(c, pattern, PLAN_R_RULE, from, rule->reason, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        plan_warn(c->plan,
                                  "rule %s: %s matches no file of the "
                                  "candidate packages",
                                  rule->name, pattern);
        }
        for (size_t i = 0; i < rule->locales.n; i++) {
                r = keep_locale(c, rule, rule->locales.v[i], from, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < rule->modules.n && c->pm; i++) {
                cleanup_free char *mod =
                    rules_expand(rule->modules.v[i], &c->vars, rule->origin, err);
                if (!mod)
                        return -err->code;
                pymodules_add_import(c->pm, mod, PLAN_R_RULE, from, rule->reason, false);
        }
        for (size_t i = 0; i < rule->generate.n; i++)
                if (!strvec_contains(&c->plan->generate, rule->generate.v[i]))
                        strvec_push(&c->plan->generate, rule->generate.v[i]);
        for (size_t i = 0; i < rule->n_env; i++) {
                cleanup_free char *probe = xstrdup(rule->env[i].key);
                /* The manifest's own env wins over a rule's. */
                bool set_by_manifest = false;
                for (size_t j = 0; j < c->m->image.n_env; j++)
                        if (strcmp(c->m->image.env[j].key, probe) == 0)
                                set_by_manifest = true;
                if (set_by_manifest)
                        continue;
                plan_set_env(c->plan, rule->env[i].key, rule->env[i].value);
                strvec_push_nodup(&c->env,
                                  xasprintf("%s=%s", rule->env[i].key, rule->env[i].value));
        }
        return 0;
}

/* Follow the ELF and import closures, then fire every rule whose condition holds, until
 * nothing changes. */
static int run_to_fixpoint(struct select_ctx *c, struct distill_error *err)
{
        int r;

        for (;;) {
                bool fired = false;
                r = drain_queue(c, err);
                stage_times_lap(c->times, "select.elf", &c->lap);
                if (r < 0)
                        return r;
                if (c->pm) {
                        r = pymodules_drain(c->pm, err);
                        stage_times_lap(c->times, "select.imports", &c->lap);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                continue; /* new files: their ELF closure first */
                }
                for (size_t i = 0; i < c->rules->n; i++) {
                        bool holds;
                        if (c->fired[i])
                                continue;
                        r = rule_condition(c, &c->rules->rules[i], &holds, err);
                        if (r < 0)
                                return r;
                        if (!holds)
                                continue;
                        c->fired[i] = true;
                        fired = true;
                        r = fire_rule(c, &c->rules->rules[i], err);
                        if (r < 0)
                                return distill_error_prefix(err,
                                                            "rule %s: ", c->rules->rules[i].name);
                }
                stage_times_lap(c->times, "select.rules", &c->lap);
                if (!fired && c->queue_head == c->queue.n)
                        return 0;
        }
}

/* Seeds */

static int seed_program(struct select_ctx *c, const char *path, const char *detail,
                        struct distill_error *err)
{
        int r = keep_path(c, path, PLAN_R_SEED, path, detail, err);
        if (r < 0)
                return r;
        if (r == 0)
                return distill_error_set(err, DISTILL_ERESOLVE,
                                         "%s (%s) is not a file of any candidate package: add "
                                         "the package that ships it to packages",
                                         path, detail);
        return 0;
}

/* Python: the materialised tree, the probe, the closure's callbacks, bytecode */

static int pm_keep(void *ud, const char *path, enum plan_reason_kind kind, const char *from,
                   const char *detail, struct distill_error *err)
{
        return keep_path(ud, path, kind, from, detail, err);
}

/* The regular file an image path leads to, or NULL (no error) when it leads to none. */
static int resolve_file(struct select_ctx *c, const char *path, const struct imagens_node **node,
                        struct distill_error *err)
{
        struct imagens_resolved res = {0};
        int r = imagens_resolve(c->ns, path, true, &res, err);
        *node = r == 0 && res.node && res.node->type == IMAGENS_FILE ? res.node : NULL;
        imagens_resolved_release(&res);
        return r;
}

static int pm_read(void *ud, const char *path, char **data, size_t *len, struct distill_error *err)
{
        struct select_ctx *c = ud;
        const struct imagens_node *node;
        int r = resolve_file(c, path, &node, err);

        if (r < 0)
                return r;
        if (!node)
                return distill_error_set(err, DISTILL_EINTERNAL, "%s is not a file", path);
        if (node->size > PYIMPORTS_MAX_SOURCE)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %u bytes", path,
                                         PYIMPORTS_MAX_SOURCE);
        struct plan_entry *e = plan_get(c->plan, node->path);
        if (e && e->digest[0])
                return store_read_blob(c->st, e->digest, data, len, err);
        cleanup_close int fd = -1;
        r = open_node(c, node, &fd, err);
        if (r < 0)
                return r;
        int rd = read_fd_capped(fd, PYIMPORTS_MAX_SOURCE, data, len);
        if (rd == -EFBIG)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: too large", path);
        if (rd < 0)
                return distill_error_errno(err, DISTILL_EIO, -rd, "read %s", path);
        return 0;
}

static void pm_warn(void *ud, char *msg)
{
        struct select_ctx *c = ud;
        if (strvec_contains(&c->plan->warnings, msg)) {
                free(msg);
                return;
        }
        strvec_push_nodup(&c->plan->warnings, msg);
}

static int probe_interpreter(struct select_ctx *c, const char *stdlib, struct distill_error *err)
{
        struct elf_cache_entry *ce = strmap_get(&c->elf_cache, c->interp);

        if (!ce || !ce->is_elf || !ce->info.interp)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: the interpreter is not a dynamically linked "
                                         "program",
                                         c->interp);
        int r = pyenv_open(&c->view, c->interp, ce->info.interp, c->arch, c->pyver, stdlib, &c->py,
                           err);
        if (r < 0)
                return r;
        if (c->py.probe.from_table)
                plan_warn(c->plan,
                          "the interpreter could not run on this host (%s): "
                          "its modules and sys.path come from the table for "
                          "Python %s",
                          c->py.probe.fallback_reason ? c->py.probe.fallback_reason
                                                      : "no reason given",
                          c->pyver);
        return pyprobe_startup(&c->py.run, &c->env, &c->py.probe, err);
}

/* What this interpreter imports before the program's first line (its probe's sys.modules):
 * the ones it has neither built in nor frozen must be files of the image. Which those are
 * depends on the version (3.9 freezes no site, os, codecs; 3.11 freezes them) and on the
 * image's env (the locale's codec). A -m start runs the module through runpy. */
static void seed_startup_modules(struct select_ctx *c)
{
        const struct py_probe *p = &c->py.probe;
        cleanup_free char *detail =
            xasprintf("Python %s imports it at start-up (the probe's sys.modules)", p->version);

        for (size_t i = 0; i < p->startup.n; i++) {
                const char *mod = p->startup.v[i];
                if (!py_probe_is_builtin(p, mod) && !py_probe_is_frozen(p, mod))
                        pymodules_add_import(c->pm, mod, PLAN_R_SEED, c->interp, detail, true);
        }
        if (c->m->python.module && !py_probe_is_frozen(p, "runpy"))
                pymodules_add_import(c->pm, "runpy", PLAN_R_SEED, "python.module",
                                     "the interpreter runs -m MODULE through runpy", true);
}

/* The module name of an app file, relative to sys.path[0] (or its app directory). */
static char *app_module_name(const char *path, const char *main_dir, const char *app_dir)
{
        const char *base = main_dir && path_has_prefix(path, main_dir) ? main_dir : app_dir;
        const char *rel = path + strlen(base);
        while (*rel == '/')
                rel++;
        char *name = xstrdup(rel);
        size_t n = strlen(name);
        if (n > 3 && strcmp(name + n - 3, ".py") == 0)
                name[n - 3] = '\0';
        n = strlen(name);
        if (n >= 9 && strcmp(name + n - 8, "__init__") == 0 && (n == 8 || name[n - 9] == '/'))
                name[n == 8 ? 0 : n - 9] = '\0';
        for (char *p = name; *p; p++)
                if (*p == '/')
                        *p = '.';
        return name;
}

static int pm_elf_strings(void *ud, const char *path, struct strvec *out, struct distill_error *err)
{
        struct select_ctx *c = ud;
        const struct imagens_node *node;
        const struct strvec *strings;
        int r = resolve_file(c, path, &node, err);
        if (r < 0 || !node)
                return r;
        r = elf_strings_of(c, node, &strings, err);
        for (size_t i = 0; r >= 0 && i < strings->n; i++)
                strvec_push(out, strings->v[i]);
        return r < 0 ? r : 0;
}

static bool is_namespace_file(struct select_ctx *c, const char *path)
{
        const struct imagens_node *node;
        struct distill_error scratch = {0};
        return resolve_file(c, path, &node, &scratch) == 0 && node;
}

/* The directories ld.so searches for a name dlopen() gets from the program: the image's cache
 * (its directories), then the default ones. hwcaps subdirectories are not searched here: a
 * library loaded by name is looked up as its plain file. */
static void dlopen_dirs(const struct select_ctx *c, struct strvec *dirs)
{
        for (size_t i = 0; i < c->ldcfg.cache_dirs.n; i++)
                if (!strvec_contains(dirs, c->ldcfg.cache_dirs.v[i]))
                        strvec_push(dirs, c->ldcfg.cache_dirs.v[i]);
        for (size_t i = 0; i < c->ldcfg.default_dirs.n; i++)
                if (!strvec_contains(dirs, c->ldcfg.default_dirs.v[i]))
                        strvec_push(dirs, c->ldcfg.default_dirs.v[i]);
}

/* ctypes.CDLL(name) is dlopen(name): a path is opened as it is, a file name is searched. For
 * ctypes.util.find_library(short), which answers from `ldconfig -p` in the image, every
 * lib<short>.so.<version> of those directories (the SONAMEs the cache lists). */
static int pm_keep_library(void *ud, const char *name, bool find_library, const char *from,
                           const char *detail, struct distill_error *err)
{
        struct select_ctx *c = ud;
        if (!find_library && strchr(name, '/'))
                /* a relative path is opened from the working directory: nothing to search */
                return name[0] == '/' ? keep_path(c, name, PLAN_R_PY_LIBRARY, from, detail, err)
                                      : 0;
        struct strvec dirs = STRVEC_INIT;
        int kept = 0, r = 0;
        dlopen_dirs(c, &dirs);
        cleanup_free char *stem = xasprintf("lib%s.so.", name);
        for (size_t i = 0; i < dirs.n && r >= 0 && (find_library || !kept); i++) {
                if (!find_library) {
                        cleanup_free char *p = path_join(dirs.v[i], name);
                        if (is_namespace_file(c, p) &&
                            (r = keep_path(c, p, PLAN_R_PY_LIBRARY, from, detail, err)) > 0)
                                kept = 1;
                        continue;
                }
                struct strvec names = STRVEC_INIT;
                if (imagens_list_dir(c->ns, dirs.v[i], &names) == 0) {
                        strvec_sort(&names);
                        for (size_t j = 0; j < names.n && r >= 0; j++) {
                                const char *nm = names.v[j];
                                if (strncmp(nm, stem, strlen(stem)) != 0 ||
                                    !isdigit((unsigned char)nm[strlen(stem)]))
                                        continue;
                                cleanup_free char *p = path_join(dirs.v[i], nm);
                                if (is_namespace_file(c, p) &&
                                    (r = keep_path(c, p, PLAN_R_PY_LIBRARY, from, detail, err)) > 0)
                                        kept = 1;
                        }
                }
                strvec_clear(&names);
        }
        strvec_clear(&dirs);
        return r < 0 ? r : kept;
}

/* Directories of the file system hierarchy and of Python itself: a literal naming one of them
 * says nothing about which of its files a program reads. */
static bool is_hierarchy_dir(const struct select_ctx *c, const char *dir)
{
        static const char *const fhs[] = {
            "/",
            "/bin",
            "/boot",
            "/dev",
            "/etc",
            "/home",
            "/lib",
            "/lib64",
            "/media",
            "/mnt",
            "/opt",
            "/proc",
            "/root",
            "/run",
            "/sbin",
            "/srv",
            "/sys",
            "/tmp",
            "/usr",
            "/usr/bin",
            "/usr/games",
            "/usr/include",
            "/usr/lib",
            "/usr/lib64",
            "/usr/libexec",
            "/usr/local",
            "/usr/sbin",
            "/usr/share",
            "/usr/share/doc",
            "/usr/share/man",
            "/usr/share/info",
            "/usr/share/locale",
            "/usr/src",
            "/var",
            "/var/lib",
            "/var/cache",
            "/var/log",
            "/var/tmp",
            "/etc/ssl",
            "/etc/default",
            "/usr/lib/python3",
        };
        for (size_t i = 0; i < sizeof(fhs) / sizeof(*fhs); i++)
                if (strcmp(dir, fhs[i]) == 0)
                        return true;
        cleanup_free char *usr_multiarch = xasprintf("/usr/%s", c->ldcfg.lib_token);
        cleanup_free char *multiarch = xasprintf("/%s", c->ldcfg.lib_token);
        if (strcmp(dir, usr_multiarch) == 0 || strcmp(dir, multiarch) == 0)
                return true;
        for (size_t i = 0; c->py.have_probe && i < c->py.probe.sys_path.n; i++)
                if (path_has_prefix(c->py.probe.sys_path.v[i], dir))
                        return true; /* sys.path entries and the directories above them */
        return false;
}

struct owner_walk {
        const char *dir;
        const char *owner;
        bool single;
        size_t files;
};

static void check_owner(const struct imagens_node *node, void *ud)
{
        struct owner_walk *w = ud;
        if (node->type == IMAGENS_DIR || !path_has_prefix(node->path, w->dir))
                return;
        w->files++;
        if (!node->owner || (w->owner && strcmp(w->owner, node->owner) != 0))
                w->single = false;
        else
                w->owner = node->owner;
}

/* An absolute path in kept Python code: a file of a candidate package is kept; a directory
 * with its contents only when one package owns everything in it and it is not a hierarchy
 * directory (a package's own data directory, like /usr/share/<pkg>/). files.exclude wins. */
static int pm_keep_data_path(void *ud, const char *path, const char *from, const char *detail,
                             struct distill_error *err)
{
        struct select_ctx *c = ud;
        struct imagens_resolved res = {0};
        int r = imagens_resolve(c->ns, path, true, &res, err);
        if (r < 0)
                return r;
        const struct imagens_node *node = res.node;
        cleanup_free char *resolved = node ? xstrdup(node->path) : NULL;
        imagens_resolved_release(&res);
        if (!node || excluded(c, path) || excluded(c, resolved))
                return 0;
        if (node->type == IMAGENS_FILE)
                return keep_path(c, path, PLAN_R_PY_DATA_PATH, from, detail, err);
        if (node->type != IMAGENS_DIR || is_hierarchy_dir(c, resolved))
                return 0;
        struct owner_walk w = {.dir = resolved, .single = true};
        imagens_foreach(c->ns, check_owner, &w);
        if (!w.single || w.files == 0)
                return 0;
        r = keep_path(c, path, PLAN_R_PY_DATA_PATH, from, detail, err);
        if (r > 0)
                r = keep_subtree(c, resolved, PLAN_R_PY_DATA_PATH, from, detail, err);
        return r < 0 ? r : 1;
}

/* The locale names the image's environment sets, in gettext's order of preference. */
static void image_locales(const struct select_ctx *c, struct strvec *out)
{
        static const char *const keys[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
                const char *set = env_value(c, keys[k], strlen(keys[k]));
                if (!set)
                        continue;
                cleanup_free char *value = xstrdup(set);
                char *save = NULL;
                for (char *l = strtok_r(value, ":", &save); l; l = strtok_r(NULL, ":", &save))
                        if (!strvec_contains(out, l))
                                strvec_push(out, l);
        }
}

static int start_import_closure(struct select_ctx *c, struct distill_error *err)
{
        const struct manifest *m = c->m;
        struct pymodules_options opt = {
            .depth = m->python.imports == MANIFEST_IMPORTS_SHALLOW ? PYMODULES_SHALLOW
                     : m->python.imports == MANIFEST_IMPORTS_ALL   ? PYMODULES_ALL
                                                                   : PYMODULES_DEEP,
            .interpreter = c->interp};
        struct pymodules_cb cb = {.ud = c,
                                  .keep = pm_keep,
                                  .read = pm_read,
                                  .warn = pm_warn,
                                  .elf_strings = pm_elf_strings,
                                  .keep_library = pm_keep_library,
                                  .keep_data_path = pm_keep_data_path};
        cleanup_free char *site = xasprintf("/usr/local/lib/python%s/dist-packages", c->pyver);
        size_t n;

        for (size_t i = 0; i < m->python.n_app; i++)
                strvec_push(&opt.app_dirs, m->python.app[i].to);
        if (m->python.site_packages.n)
                strvec_push(&opt.app_dirs, site);
        opt.main_dir = m->python.entrypoint ? path_dirname(m->python.entrypoint)
                                            : xstrdup(m->image.workdir ? m->image.workdir : "/");
        image_locales(c, &opt.locales);
        for (size_t i = 0; i < m->packages.n; i++)
                strvec_push(&opt.requested, m->packages.v[i]);
        opt.all_locales = m->python.all_locales;
        c->pm = pymodules_new(c->ns, &c->py.probe, &opt, &cb);
        strvec_clear(&opt.app_dirs);
        strvec_clear(&opt.locales);
        strvec_clear(&opt.requested);
        for (size_t i = 0; i < m->python.exclude_modules.n; i++)
                pymodules_exclude(c->pm, m->python.exclude_modules.v[i]);
        /* which imports in library functions are not followed is known before any is read */
        for (size_t i = 0; i < c->rules->n; i++) {
                const struct rule *rule = &c->rules->rules[i];
                bool holds = false;
                if (!rule->ignore_in_functions.n && !rule->ignore_computed_in.n)
                        continue;
                int r = rule_condition(c, rule, &holds, err);
                if (r < 0) {
                        free(opt.main_dir);
                        return r;
                }
                for (size_t k = 0; holds && k < rule->ignore_in_functions.n; k++)
                        pymodules_ignore_in_functions(c->pm, rule->ignore_in_functions.v[k]);
                for (size_t k = 0; holds && k < rule->ignore_computed_in.n; k++)
                        pymodules_ignore_computed_in(c->pm, rule->ignore_computed_in.v[k]);
        }

        if (m->python.entrypoint) {
                c->entry_script = xstrdup(m->python.entrypoint);
                pymodules_add_script(c->pm, m->python.entrypoint, "__main__", true);
        }
        /* Every module of the app is app code: scan it all, whatever imports it. */
        struct plan_entry *const *all = plan_sorted(c->plan, &n);
        for (size_t i = 0; i < n; i++) {
                const char *p = all[i]->path;
                size_t len = strlen(p);
                if (all[i]->type != PLAN_FILE || len < 4 || strcmp(p + len - 3, ".py") != 0 ||
                    (c->entry_script && strcmp(p, c->entry_script) == 0))
                        continue;
                for (size_t a = 0; a < m->python.n_app; a++) {
                        if (!path_has_prefix(p, m->python.app[a].to))
                                continue;
                        cleanup_free char *mod =
                            app_module_name(p, opt.main_dir, m->python.app[a].to);
                        pymodules_add_script(c->pm, p, mod, true);
                        break;
                }
                if (m->python.site_packages.n && path_has_prefix(p, site)) {
                        cleanup_free char *mod = app_module_name(p, NULL, site);
                        pymodules_add_script(c->pm, p, mod, true);
                }
        }
        free(opt.main_dir);
        seed_startup_modules(c);
        if (m->python.module)
                pymodules_add_import(c->pm, m->python.module, PLAN_R_SEED, "python.module",
                                     "python.module", true);
        for (size_t i = 0; i < m->python.include_modules.n; i++)
                pymodules_add_import(c->pm, m->python.include_modules.v[i], PLAN_R_SEED,
                                     "python.include-modules", "python.include-modules", true);
        return pymodules_add_pth_files(c->pm, err);
}

static int seed_python(struct select_ctx *c, struct distill_error *err)
{
        const struct manifest *m = c->m;
        struct imagens_resolved res = {0};
        int r;

        r = seed_program(c, m->python.interpreter, "python.interpreter", err);
        if (r < 0)
                return r;
        r = imagens_resolve(c->ns, m->python.interpreter, true, &res, err);
        if (r < 0)
                return r;
        c->interp = xstrdup(res.path);
        imagens_resolved_release(&res);

        c->pyver = manifest_python_version(m);
        if (!c->pyver) {
                /* /usr/bin/python3 → python3.11: the version is in the link target's name */
                const char *base = path_basename(c->interp);
                if (strncmp(base, "python", 6) == 0 && strchr(base + 6, '.'))
                        c->pyver = xstrdup(base + 6);
        }
        if (!c->pyver)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: python.interpreter %s does not name a pythonX.Y "
                                         "binary",
                                         m->path, m->python.interpreter);
        c->vars.pyver = c->pyver;
        cleanup_free char *stdlib = xasprintf("/usr/lib/python%s", c->pyver);
        if (!imagens_get(c->ns, stdlib))
                return distill_error_set(err, DISTILL_ERESOLVE,
                                         "%s is not in any candidate package: add "
                                         "libpython%s-minimal to packages",
                                         stdlib, c->pyver);
        free(c->plan->stdlib_dir);
        c->plan->stdlib_dir = xstrdup(stdlib);
        r = drain_queue(c, err); /* the interpreter's own libraries, so that it can run */
        if (r < 0)
                return r;
        r = probe_interpreter(c, stdlib, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < m->python.n_app; i++)
                if ((r = add_app(c, &m->python.app[i], err)) < 0)
                        return r;
        for (size_t i = 0; i < m->python.site_packages.n; i++) {
                size_t count = 0;
                /* Debian's interpreter has /usr/local/lib/pythonX.Y/dist-packages on sys.path */
                cleanup_free char *to =
                    xasprintf("/usr/local/lib/python%s/dist-packages", c->pyver);
                r = add_host_tree(c, m->python.site_packages.v[i], m->python.site_packages.v[i], to,
                                  "python.site-packages", NULL, NULL, &count, 0, err);
                if (r < 0)
                        return r;
        }
        if (m->python.entrypoint && !plan_get(c->plan, m->python.entrypoint))
                return distill_error_set(err, DISTILL_ERESOLVE,
                                         "%s: python.entrypoint %s is not inside any python.app "
                                         "directory",
                                         m->path, m->python.entrypoint);
        if (m->python.stdlib == MANIFEST_STDLIB_FULL) {
                r = keep_subtree(c, stdlib, PLAN_R_SEED, stdlib, "python.stdlib: full", err);
                if (r < 0)
                        return r;
        }
        return start_import_closure(c, err);
}

static int compile_bytecode(struct select_ctx *c, struct distill_error *err)
{
        struct strvec app_dirs = STRVEC_INIT;
        cleanup_free char *cache = manifest_cache_dir(c->m);
        for (size_t i = 0; i < c->m->python.n_app; i++)
                strvec_push(&app_dirs, c->m->python.app[i].to);
        int r = bytecode_for_plan(&c->view, &c->py, &app_dirs, c->entry_script, cache, err);
        strvec_clear(&app_dirs);
        return r;
}

/* packages: {name: P, keep: all} (and every package of a base): each of P's files, links and
 * directories, minus files.exclude; the worklist then runs the ELF closure of its objects. */
static int keep_whole_package(struct select_ctx *c, const char *name, struct distill_error *err)
{
        const struct source_pkg *pkg = source_find(c->src, name);
        cleanup_free char *detail = xasprintf("packages: %s, keep: all", name);
        int r = 0;

        if (!pkg)
                return distill_error_set(err, DISTILL_ERESOLVE,
                                         "%s: package %s is not in the source", c->m->path, name);
        for (size_t i = 0; i < pkg->files.n && r >= 0; i++) {
                cleanup_free char *canon = usrmerge_canonical(pkg->files.v[i]);
                const struct imagens_node *node = canon ? imagens_get(c->ns, canon) : NULL;
                if (!node || excluded(c, canon))
                        continue;
                r = keep_node(c, node, PLAN_R_SEED, name, detail, err);
                /* a link's target too, so that it does not dangle (when the image can have it) */
                if (r >= 0 && node->type == IMAGENS_SYMLINK)
                        r = keep_path(c, canon, PLAN_R_SEED, name, detail, err);
        }
        return r < 0 ? r : 0;
}

/* The names busybox answers to, as it lists them itself (busybox --list), run from a copy of
 * the staged binary — directly, or under qemu-user for another architecture (it is static). */
static int busybox_applets(struct select_ctx *c, const struct plan_entry *bb, struct strvec *out,
                           struct distill_error *err)
{
        cleanup_free char *blob = store_blob_path(c->st, bb->digest);
        cleanup_free char *run = xasprintf("%s/busybox.run", store_dir(c->st));
        cleanup_free char *qemu = NULL;
        const char *host = arch_host();
        int r;

        {
                cleanup_close int in = open(blob, O_RDONLY | O_CLOEXEC);
                cleanup_close int outfd = open(run, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
                int e = in < 0 || outfd < 0 ? -errno : copy_fd(in, outfd);
                if (e < 0)
                        return distill_error_errno(err, DISTILL_EIO, -e, "debug: copying %s", blob);
        }
        if (!host || strcmp(host, c->arch) != 0) {
                const struct arch_info *ai = arch_lookup(c->arch);
                cleanup_free char *name =
                    xasprintf("qemu-%s-static", ai && ai->qemu ? ai->qemu : "none");
                qemu = spawn_find_program(name);
                if (!qemu)
                        return distill_error_set(err, DISTILL_EIO,
                                                 "debug: listing busybox's applets for %s needs %s "
                                                 "(Debian package qemu-user-static)",
                                                 c->arch, name);
        }
        char *argv_native[] = {run, "--list", NULL};
        char *argv_qemu[] = {qemu, run, "--list", NULL};
        struct spawn_opts o = {.argv = qemu ? argv_qemu : argv_native,
                               .name = "busybox --list",
                               .timeout_s = 60,
                               .out_cap = 1 << 16};
        struct spawn_result res;
        r = spawn_run(&o, &res, err);
        if (r >= 0)
                r = spawn_check_exit(&o, &res, err);
        if (r >= 0) {
                char *save = NULL;
                for (char *w = strtok_r(res.out.buf, "\n", &save); w;
                     w = strtok_r(NULL, "\n", &save))
                        if (*w && !strchr(w, '/') && strcmp(w, ".") && strcmp(w, "..") &&
                            strcmp(w, "busybox"))
                                strvec_push(out, w);
        }
        spawn_result_release(&res);
        unlink(run);
        return r;
}

/* debug: true — busybox-static's binary at /busybox/busybox with a link for each applet. Its
 * package path is where it is in the image, so that status.d's md5sums name the real file. */
static int seed_debug(struct select_ctx *c, struct distill_error *err)
{
        const struct imagens_node *node = NULL;
        struct strvec applets = STRVEC_INIT;
        int r = resolve_file(c, "/usr/bin/busybox", &node, err);
        if (r < 0)
                return r;
        if (!node || !node->owner || strcmp(node->owner, MANIFEST_DEBUG_PACKAGE) != 0)
                return distill_error_set(err, DISTILL_ERESOLVE,
                                         "%s: debug: true needs %s's /bin/busybox, which the "
                                         "source does not have: install %s",
                                         c->m->path, MANIFEST_DEBUG_PACKAGE,
                                         MANIFEST_DEBUG_PACKAGE);
        struct plan_entry e = {.path = MANIFEST_DEBUG_DIR "/busybox",
                               .type = PLAN_FILE,
                               .mode = 0755,
                               .pkg = node->owner,
                               .pkg_path = MANIFEST_DEBUG_DIR "/busybox",
                               .reason = PLAN_R_SEED,
                               .reason_from = "debug",
                               .reason_detail = "debug: busybox-static's /bin/busybox, under "
                                                "/busybox"};
        r = stage_node_bytes(c, node, &e, err);
        if (r < 0)
                return r;
        plan_add(c->plan, &e, NULL);
        r = busybox_applets(c, &e, &applets, err);
        for (size_t i = 0; i < applets.n && r >= 0; i++) {
                cleanup_free char *path = xasprintf(MANIFEST_DEBUG_DIR "/%s", applets.v[i]);
                struct plan_entry l = {.path = path,
                                       .type = PLAN_SYMLINK,
                                       .mode = 0777,
                                       .target = "busybox",
                                       .pkg = node->owner,
                                       .reason = PLAN_R_SEED,
                                       .reason_from = "debug",
                                       .reason_detail = "debug: a busybox applet"};
                plan_add(c->plan, &l, NULL);
        }
        strvec_clear(&applets);
        return r;
}

/* files.add {to, link}: a link of the manifest's own, replacing whatever a package had there. */
static void add_link_entry(struct select_ctx *c, const char *to, const char *target,
                           const char *detail)
{
        struct plan_entry e = {.path = (char *)to,
                               .type = PLAN_SYMLINK,
                               .mode = 0777,
                               .target = (char *)target,
                               .reason = PLAN_R_INCLUDE,
                               .reason_from = "files.add",
                               .reason_detail = (char *)detail};
        plan_put(c->plan, &e);
}

static int seed_files(struct select_ctx *c, struct distill_error *err)
{
        const struct manifest *m = c->m;
        int r;

        for (size_t i = 0; i < m->packages.n; i++) {
                if (m->package_keep[i] != MANIFEST_KEEP_ALL)
                        continue;
                r = keep_whole_package(c, m->packages.v[i], err);
                if (r < 0)
                        return r;
        }
        if (m->debug) {
                r = seed_debug(c, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < m->binaries.n; i++) {
                r = seed_program(c, m->binaries.v[i], "binaries", err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < m->include.n; i++) {
                cleanup_free char *detail = xasprintf("files.include %s", m->include.v[i]);
                r = keep_glob(c, m->include.v[i], PLAN_R_INCLUDE, "files.include", detail, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        return distill_error_set(err, DISTILL_ERESOLVE,
                                                 "%s: files.include %s matches no file of the "
                                                 "candidate packages",
                                                 m->path, m->include.v[i]);
        }
        for (size_t i = 0; i < m->n_add; i++) {
                cleanup_free char *detail = xasprintf("files.add %s", m->add[i].to);
                if (m->add[i].link) {
                        add_link_entry(c, m->add[i].to, m->add[i].link, detail);
                        continue;
                }
                r = add_host_entry(c, m->add[i].from, m->add[i].to, m->add[i].mode, NULL, detail,
                                   err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void init_env(struct select_ctx *c)
{
        strvec_push(&c->env, "PATH=/usr/local/bin:/usr/bin:/bin");
        strvec_push(&c->env, "LANG=C.UTF-8");
        for (size_t i = 0; i < c->m->image.n_env; i++)
                strvec_push_nodup(
                    &c->env, xasprintf("%s=%s", c->m->image.env[i].key, c->m->image.env[i].value));
}

/* ld.so.cache: the image's loader finds libraries in the ld.so.conf directories only through
 * the cache, so the closure searches those directories exactly when the image gets one — and it
 * always does (for dynamically linked images), written by distill from what it keeps. */

static bool plan_has_dynamic_program(struct select_ctx *c)
{
        size_t n;
        struct plan_entry *const *all = plan_sorted(c->plan, &n);
        for (size_t i = 0; i < n; i++) {
                struct elf_cache_entry *ce = strmap_get(&c->elf_cache, all[i]->path);
                if (all[i]->type == PLAN_FILE && ce && ce->is_elf && ce->info.interp)
                        return true;
        }
        return false;
}

static int write_ld_so_cache(struct select_ctx *c, struct distill_error *err)
{
        size_t n_entries = 0, len = 0;
        char *data = NULL;
        int r;

        if (!plan_has_dynamic_program(c))
                return 0;
        for (size_t i = 0; i < c->ldconf.conf.n; i++) {
                r = keep_path(c, c->ldconf.conf.v[i], PLAN_R_GENERATED, "/etc/ld.so.cache",
                              "ld.so.conf the cache was built from", err);
                if (r < 0)
                        return r;
        }
        r = ldconfig_cache(&c->view, &c->ldconf, c->arch, &data, &len, &n_entries, err);
        if (r >= 0) {
                struct plan_entry e = {.path = "/etc/ld.so.cache",
                                       .type = PLAN_FILE,
                                       .mode = 0644,
                                       .size = len,
                                       .reason = PLAN_R_GENERATED,
                                       .reason_from = "ld.so"};
                cleanup_free char *detail =
                    xasprintf("cache of the %zu libraries kept in the loader's directories "
                              "(what ldconfig would write)",
                              n_entries);
                e.reason_detail = detail;
                r = store_put_mem(c->st, data, len, e.digest, err);
                if (r >= 0)
                        plan_put(c->plan, &e);
        }
        free(data);
        return r < 0 ? r : 0;
}

void select_observed_release(struct select_observed *o)
{
        strmap_clear(&o->modules, free);
        strmap_clear(&o->paths, free);
}

/* Where an observed path leads in the namespace: its real path, when it is a file or directory
 * of the candidate packages (the app and generated files are in the image anyway; /proc, /tmp
 * or the home are not files of the image). NULL otherwise. */
static int observed_target(struct select_ctx *c, const char *path, char **real, bool *is_dir,
                           struct distill_error *err)
{
        struct imagens_resolved res = {0};
        int r = imagens_resolve(c->ns, path, true, &res, err);
        *real = NULL;
        if (r >= 0 && res.node && (res.node->owner || res.node->type == IMAGENS_DIR)) {
                *real = xstrdup(res.path);
                *is_dir = res.node->type == IMAGENS_DIR;
        }
        imagens_resolved_release(&res);
        return r;
}

/* What the check run touched, after the static closure. A directory it only listed is kept
 * for itself only when nothing kept lies below it (otherwise it is there as a parent, as it is
 * without a trace). An excluded path stays out: the manifest said so, and the proving run will
 * tell if the program needs it. */
static int keep_observed(struct select_ctx *c, const struct select_observed *o,
                         struct distill_error *err)
{
        struct strvec dirs = STRVEC_INIT, dir_reals = STRVEC_INIT; /* parallel */
        int r = 0;

        /* modules first: "import x" says more than the open of its file that follows */
        if (c->pm) {
                const char **modules = strmap_sorted_keys(&o->modules);
                for (size_t i = 0; modules[i]; i++) {
                        cleanup_free char *detail =
                            xasprintf("observed by the check run: %s",
                                      (char *)strmap_get(&o->modules, modules[i]));
                        pymodules_add_import(c->pm, modules[i], PLAN_R_OBSERVED, "check.trace",
                                             detail, false);
                }
                free(modules);
                r = run_to_fixpoint(c, err);
        }
        const char **paths = strmap_sorted_keys(&o->paths);
        for (size_t i = 0; paths[i] && r >= 0; i++) {
                const char *event = strmap_get(&o->paths, paths[i]);
                cleanup_free char *real = NULL;
                bool is_dir = false;
                r = observed_target(c, paths[i], &real, &is_dir, err);
                if (r < 0 || !real || plan_get(c->plan, real))
                        continue;
                if (excluded(c, real)) {
                        plan_warn(c->plan,
                                  "%s: observed by the check run (%s), but files.exclude leaves "
                                  "it out",
                                  real, event);
                        continue;
                }
                if (is_dir) {
                        strvec_push(&dirs, paths[i]);
                        strvec_push(&dir_reals, real);
                        continue;
                }
                cleanup_free char *detail = xasprintf("observed by the check run: %s", event);
                r = keep_path(c, paths[i], PLAN_R_OBSERVED, "check.trace", detail, err);
        }
        free(paths);
        if (r >= 0)
                r = run_to_fixpoint(c, err);
        for (size_t i = 0; i < dirs.n && r >= 0; i++) {
                const char *real = dir_reals.v[i];
                if (plan_get(c->plan, real) || plan_has_under(c->plan, real))
                        continue;
                cleanup_free char *detail = xasprintf("observed by the check run: %s",
                                                      (char *)strmap_get(&o->paths, dirs.v[i]));
                r = keep_path(c, dirs.v[i], PLAN_R_OBSERVED, "check.trace", detail, err);
        }
        strvec_clear(&dirs);
        strvec_clear(&dir_reals);
        return r < 0 ? r : 0;
}

int select_plan(const struct manifest *m, const char *arch, struct source *src,
                const struct pkgset *candidates, const struct ruleset *rules, struct store *st,
                const struct select_observed *observed, struct plan *plan,
                struct distill_error *err)
{
        return select_plan_timed(m, arch, src, candidates, rules, st, observed, plan, NULL, err);
}

int select_plan_timed(const struct manifest *m, const char *arch, struct source *src,
                      const struct pkgset *candidates, const struct ruleset *rules,
                      struct store *st, const struct select_observed *observed, struct plan *plan,
                      struct stage_times *times, struct distill_error *err)
{
        struct select_ctx c = {.m = m,
                               .arch = arch,
                               .src = src,
                               .candidates = candidates,
                               .rules = rules,
                               .st = st,
                               .plan = plan,
                               .times = times};
        int r;

        stage_timer_start(&c.lap);

        r = ldso_config_for_arch(arch, &c.ldcfg, err);
        if (r < 0)
                return r;
        c.vars.arch = arch;
        c.vars.triplet = arch_lookup(arch)->triplet; /* known: ldso_config_for_arch took it */
        c.fired = xcalloc(rules->n + 1, sizeof(*c.fired));
        init_env(&c);

        r = build_namespace(&c, err);
        if (r < 0)
                goto cleanup;
        c.view = (struct image_view){.ns = c.ns,
                                     .plan = plan,
                                     .st = st,
                                     .src = src,
                                     .ud = &c,
                                     .open = view_open,
                                     .elf = load_elf,
                                     .read = pm_read};
        r = ldconfig_scan_dirs(&c.view, &c.ldcfg, &c.ldconf, err);
        stage_times_lap(times, "select.namespace", &c.lap);
        if (r < 0)
                goto cleanup;
        if (m->has_python) {
                r = seed_python(&c, err);
                if (r < 0)
                        goto cleanup;
        }
        r = seed_files(&c, err);
        stage_times_lap(times, "select.seeds", &c.lap);
        if (r < 0)
                goto cleanup;
        r = drain_queue(&c, err);
        stage_times_lap(times, "select.elf", &c.lap);
        if (r < 0)
                goto cleanup;
        {
                /* ${ldso}: the basename of the program loader, from the interpreter's PT_INTERP */
                const char *interp_src =
                    c.interp ? c.interp : (m->binaries.n ? m->binaries.v[0] : NULL);
                struct elf_cache_entry *ce =
                    interp_src ? strmap_get(&c.elf_cache, interp_src) : NULL;
                if (ce && ce->is_elf && ce->info.interp)
                        c.vars.ldso = path_basename(ce->info.interp);
        }
        r = run_to_fixpoint(&c, err);
        if (r >= 0 && observed) {
                r = keep_observed(&c, observed, err);
                stage_times_lap(times, "select.observed", &c.lap);
        }
        if (r >= 0 && c.pm) {
                pymodules_finish(c.pm);
                pymodules_def_counts(c.pm, &plan->py_defs, &plan->py_defs_reached);
                stage_times_lap(times, "select.imports", &c.lap);
        }
        if (r >= 0 && c.py.have_probe && m->python.bytecode)
                r = compile_bytecode(&c, err);
        stage_times_lap(times, "bytecode", &c.lap);
        if (r >= 0)
                r = keep_alias_links(&c, err);
        if (r >= 0)
                r = write_ld_so_cache(&c, err);
        stage_times_lap(times, "select.ldcache", &c.lap);

cleanup:
        ldconfig_dirs_release(&c.ldconf);
        gconv_db_release(&c.gconv);
        strvec_clear(&c.gconv_files);
        pymodules_free(c.pm);
        pyenv_release(&c.py);
        free(c.entry_script);
        free(c.fired);
        free(c.pyver);
        free(c.interp);
        strvec_clear(&c.queue);
        strvec_clear(&c.env);
        strmap_clear(&c.closure_done, NULL);
        strmap_clear(&c.strings_done, NULL);
        strmap_clear(&c.strings, free_strings);
        strmap_clear(&c.elf_cache, free_elf_cache_entry);
        ldso_config_release(&c.ldcfg);
        if (c.ns)
                imagens_free(c.ns);
        return r < 0 ? r : 0;
}
