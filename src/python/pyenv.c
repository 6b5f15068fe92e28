/* The image's interpreter made runnable on the build host (pyenv.h). */
#include "distill/python/pyenv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/digest.h"
#include "distill/source/source.h"

struct tree_ctx {
        const struct image_view *v;
        struct pyenv *env;
};

static int copy_fd_to_path(int in, const char *dst, unsigned mode, struct distill_error *err)
{
        cleanup_close int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

        if (out < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot create %s", dst);
        int e = copy_fd(in, out);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot copy to %s", dst);
        return 0;
}

/* An absolute link target made relative to the link's directory, so that inside the tree it
 * still means the image root and never the build host's. */
static char *relative_link_target(const char *link_path, const char *target)
{
        struct strbuf sb = STRBUF_INIT;
        if (target[0] != '/')
                return xstrdup(target);
        for (const char *p = strchr(link_path + 1, '/'); p; p = strchr(p + 1, '/'))
                strbuf_adds(&sb, "../");
        strbuf_adds(&sb, target[1] ? target + 1 : ".");
        return strbuf_detach(&sb);
}

/* Put one namespace entry into the tree at its image path. Absolute symlink targets are
 * re-rooted at the tree, so nothing run from it can reach the build host's files by a link. */
static int materialize_node(struct tree_ctx *c, const struct imagens_node *node,
                            struct distill_error *err)
{
        cleanup_free char *dst = path_join(c->env->tree, node->path);
        cleanup_free char *parent = path_dirname(dst);
        int r = 0;

        /* a thousand files share a few dozen directories: create each once */
        if (!strmap_has(&c->env->tree_dirs, parent)) {
                r = mkdir_p(parent, 0755);
                if (r < 0)
                        return distill_error_errno(err, DISTILL_EIO, -r, "cannot create %s",
                                                   parent);
                strmap_put(&c->env->tree_dirs, parent, NULL);
        }
        switch (node->type) {
        case IMAGENS_DIR:
                r = mkdir_p(dst, 0755);
                if (r >= 0)
                        strmap_put(&c->env->tree_dirs, dst, NULL);
                if (r < 0)
                        return distill_error_errno(err, DISTILL_EIO, -r, "cannot create %s", dst);
                return 0;
        case IMAGENS_SYMLINK: {
                cleanup_free char *target = relative_link_target(node->path, node->target);
                if (symlink(target, dst) < 0 && errno != EEXIST)
                        return distill_error_errno(err, DISTILL_EIO, errno, "symlink %s", dst);
                return 0;
        }
        case IMAGENS_FILE: {
                struct plan_entry *e = plan_get(c->v->plan, node->path);
                /* Store blobs are 0644: executables (the loader is run directly) are copied so
                 * that they keep an execute bit; everything else shares the blob's inode. */
                if (e && e->digest[0] && !(node->mode & 0111)) {
                        cleanup_free char *blob = store_blob_path(c->v->st, e->digest);
                        if (link(blob, dst) == 0 || errno == EEXIST)
                                return 0;
                }
                if (node->owner && !(node->mode & 0111)) {
                        cleanup_free char *blob = source_blob_path(c->v->src, node->src_path);
                        if (blob && (link(blob, dst) == 0 || errno == EEXIST))
                                return 0;
                }
                struct stat sb;
                if (lstat(dst, &sb) == 0)
                        return 0; /* already there through another path */
                cleanup_close int fd = -1;
                r = c->v->open(c->v->ud, node, &fd, err);
                if (r < 0)
                        return r;
                return copy_fd_to_path(fd, dst, 0755, err);
        }
        }
        return 0;
}

struct tree_walk {
        struct tree_ctx *c;
        const char *dir;
        struct strvec paths;
};

static void collect_under(const struct imagens_node *node, void *ud)
{
        struct tree_walk *w = ud;
        if (path_has_prefix(node->path, w->dir) && !strstr(node->path, "/__pycache__/"))
                strvec_push(&w->paths, node->path);
}

/* What the interpreter needs to run from a tree — the plan so far (the interpreter and its ELF
 * closure), the usrmerge links and every file of its standard library — in path order. */
static void tree_nodes(struct tree_ctx *c, const char *stdlib, struct strvec *paths)
{
        size_t n_tops;
        const struct usrmerge_top *tops = usrmerge_tops(&n_tops);
        struct tree_walk w = {c, stdlib, STRVEC_INIT};
        size_t n;

        for (size_t i = 0; i < n_tops; i++)
                if (imagens_get(c->v->ns, tops[i].path))
                        strvec_push(paths, tops[i].path);
        struct plan_entry *const *all = plan_sorted(c->v->plan, &n);
        for (size_t i = 0; i < n; i++)
                if (imagens_get(c->v->ns, all[i]->path))
                        strvec_push(paths, all[i]->path);
        imagens_foreach(c->v->ns, collect_under, &w);
        for (size_t i = 0; i < w.paths.n; i++)
                strvec_push(paths, w.paths.v[i]);
        strvec_clear(&w.paths);
        strvec_sort_unique(paths);
}

/* A tree's identity: every node's path, type, and link target or content (the source's
 * content-addressed blob). NULL when some file has no stable identity. */
static char *tree_key(struct tree_ctx *c, const struct strvec *paths)
{
        struct strbuf sb = STRBUF_INIT;
        char hex[SHA256_HEX_LEN + 1];

        strbuf_adds(&sb, "distill-tree 1\n");
        for (size_t i = 0; i < paths->n; i++) {
                const struct imagens_node *node = imagens_get(c->v->ns, paths->v[i]);
                strbuf_addf(&sb, "%s %d %o ", node->path, (int)node->type, node->mode & 0111);
                if (node->type == IMAGENS_SYMLINK) {
                        strbuf_adds(&sb, node->target);
                } else if (node->type == IMAGENS_FILE) {
                        cleanup_free char *blob =
                            node->owner ? source_blob_path(c->v->src, node->src_path) : NULL;
                        if (!blob) {
                                strbuf_release(&sb);
                                return NULL;
                        }
                        strbuf_adds(&sb, path_basename(blob));
                }
                strbuf_addch(&sb, '\n');
        }
        sha256_hex(sb.buf, sb.len, hex);
        strbuf_release(&sb);
        return xstrdup(hex);
}

static int fill_tree(struct tree_ctx *c, const struct strvec *paths, struct distill_error *err)
{
        int r = mkdir_p(c->env->tree, 0755);
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "cannot create %s", c->env->tree);
        for (size_t i = 0; i < paths->n && r >= 0; i++)
                r = materialize_node(c, imagens_get(c->v->ns, paths->v[i]), err);
        return r < 0 ? r : 0;
}

/* An archive source keeps the tree in its cache under the tree's identity, so a warm build
 * reuses it (its files are hard links into the content-addressed store, and nothing run from it
 * writes to it: the probe and the compiler run with -B). Otherwise it is built beside the
 * staging store and removed with it. */
static int materialize_tree(struct tree_ctx *c, const char *stdlib, struct distill_error *err)
{
        struct strvec paths = STRVEC_INIT;
        const char *cache = source_cache_dir(c->v->src);
        cleanup_free char *key = NULL;
        int r;

        tree_nodes(c, stdlib, &paths);
        key = cache ? tree_key(c, &paths) : NULL;
        if (!key) {
                c->env->tree = xasprintf("%s.tree", store_dir(c->v->st));
                c->env->tree_owned = true;
                rm_rf(c->env->tree);
                r = fill_tree(c, &paths, err);
                strvec_clear(&paths);
                return r;
        }
        cleanup_free char *trees = path_join(cache, "trees");
        char *final = path_join(trees, key);
        struct stat sb;
        if (stat(final, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                c->env->tree = final;
                strvec_clear(&paths);
                return 0;
        }
        r = mkdir_p(trees, 0755);
        if (r < 0) {
                free(final);
                strvec_clear(&paths);
                return distill_error_errno(err, DISTILL_EIO, -r, "cannot create %s", trees);
        }
        /* built under a temporary name and renamed: a killed build leaves no half tree */
        c->env->tree = xasprintf("%s.tmp.XXXXXX", final);
        c->env->tree_owned = true;
        if (!mkdtemp(c->env->tree)) {
                r = distill_error_errno(err, DISTILL_EIO, errno, "cannot create %s", c->env->tree);
        } else {
                r = fill_tree(c, &paths, err);
                if (r >= 0 && rename(c->env->tree, final) < 0 && errno != ENOTEMPTY &&
                    errno != EEXIST)
                        r = distill_error_errno(err, DISTILL_EIO, errno, "cannot rename %s",
                                                c->env->tree);
                if (r >= 0) {
                        rm_rf(c->env->tree); /* gone after the rename; ours when another build got
                                           there first */
                        free(c->env->tree);
                        c->env->tree = final;
                        final = NULL;
                        c->env->tree_owned = false;
                }
        }
        free(final);
        strvec_clear(&paths);
        return r;
}

int pyenv_open(const struct image_view *v, const char *interp, const char *ldso, const char *arch,
               const char *pyver, const char *stdlib, struct pyenv *env, struct distill_error *err)
{
        struct tree_ctx c = {v, env};
        int r;

        memset(env, 0, sizeof(*env));
        /* A sysroot already holds the interpreter's package files at their image paths: it is
         * the tree. Other sources get one materialised from the plan and the standard library. */
        if (source_root(v->src)) {
                r = pyrun_prepare(source_root(v->src), interp, ldso, arch, &env->run, err);
        } else {
                r = materialize_tree(&c, stdlib, err);
                if (r < 0)
                        return r;
                r = pyrun_prepare(env->tree, interp, ldso, arch, &env->run, err);
        }
        if (r < 0)
                return r;
        r = pyprobe_run(&env->run, pyver, arch, &env->probe, err);
        if (r < 0)
                return r;
        env->have_probe = true;
        return 0;
}

void pyenv_release(struct pyenv *env)
{
        if (env->have_probe)
                py_probe_release(&env->probe);
        pyrun_release(&env->run);
        if (env->tree && env->tree_owned)
                rm_rf(env->tree);
        free(env->tree);
        strmap_clear(&env->tree_dirs, NULL);
        memset(env, 0, sizeof(*env));
}
