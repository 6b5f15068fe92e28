/* An image root filesystem written out as a directory (tree.h). */
#include "distill/image/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "distill/core/roottree.h"

struct tree_dir_mode {
        char *path;
        unsigned mode;
};

struct tree {
        char *dir;
        int rootfd; /* O_PATH of the root directory */
        struct timespec times[2];
        bool chown_ok; /* we are root */
        /* the parent directory of the last entry: plans come in path order, so most entries
         * share their predecessor's parent */
        char *parent;
        int parentfd;
        struct tree_dir_mode *dirs; /* modes applied by tree_finish, deepest first */
        size_t n_dirs, cap_dirs;
};

const char *tree_path(const struct tree *t)
{
        return t->dir;
}

int tree_open(const char *dir, int64_t epoch, struct tree **out, struct distill_error *err)
{
        struct tree *t = xcalloc(1, sizeof(*t));

        *out = NULL;
        t->rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (t->rootfd < 0) {
                int e = errno;
                free(t);
                return distill_error_errno(err, DISTILL_EIO, e, "cannot open %s", dir);
        }
        t->dir = xstrdup(dir);
        t->parentfd = -1;
        t->times[0] = t->times[1] = (struct timespec){.tv_sec = (time_t)epoch};
        t->chown_ok = geteuid() == 0;
        *out = t;
        return 0;
}

void tree_free(struct tree *t)
{
        if (!t)
                return;
        if (t->parentfd >= 0)
                close(t->parentfd);
        close(t->rootfd);
        for (size_t i = 0; i < t->n_dirs; i++)
                free(t->dirs[i].path);
        free(t->dirs);
        free(t->parent);
        free(t->dir);
        free(t);
}

static void remember_dir(struct tree *t, const char *path, unsigned mode)
{
        if (t->n_dirs == t->cap_dirs) {
                t->cap_dirs = t->cap_dirs ? 2 * t->cap_dirs : 256;
                t->dirs = xrealloc(t->dirs, t->cap_dirs * sizeof(*t->dirs));
        }
        t->dirs[t->n_dirs++] = (struct tree_dir_mode){xstrdup(path), mode};
}

static int opened_or_error(struct tree *t, int fd, const char *dir, struct distill_error *err)
{
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s in %s", dir,
                                           t->dir);
        return fd;
}

/* Open (and create where missing) the directory `dir` inside the tree. */
static int open_dir_creating(struct tree *t, const char *dir, struct distill_error *err)
{
        int fd = roottree_open(t->rootfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT)
                return opened_or_error(t, fd, dir, err);
        cleanup_free char *parent = path_dirname(dir);
        int pfd = open_dir_creating(t, parent, err);
        if (pfd < 0)
                return pfd;
        const char *leaf = path_basename(dir);
        if (mkdirat(pfd, leaf, 0755) == 0) {
                if (t->chown_ok && fchownat(pfd, leaf, 0, 0, AT_SYMLINK_NOFOLLOW) < 0) {
                        int e = errno;
                        close(pfd);
                        return distill_error_errno(err, DISTILL_EIO, e, "cannot chown %s in %s",
                                                   dir, t->dir);
                }
                remember_dir(t, dir, 0755);
        } else if (errno != EEXIST) {
                int e = errno;
                close(pfd);
                return distill_error_errno(err, DISTILL_EIO, e, "cannot create %s in %s", dir,
                                           t->dir);
        }
        fd = openat(pfd, leaf, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(pfd);
        errno = e;
        return opened_or_error(t, fd, dir, err);
}

/* The parent directory of an image path, and its last component. */
static int parent_of(struct tree *t, const char *path, const char **leaf, struct distill_error *err)
{
        cleanup_free char *dir = path_dirname(path);
        *leaf = path_basename(path);
        if (path[0] != '/' || !**leaf || !strcmp(*leaf, ".") || !strcmp(*leaf, ".."))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: not a usable path in %s", path,
                                         t->dir);
        if (t->parent && !strcmp(t->parent, dir))
                return t->parentfd;
        if (t->parentfd >= 0)
                close(t->parentfd);
        free(t->parent);
        t->parent = NULL;
        t->parentfd = open_dir_creating(t, dir, err);
        if (t->parentfd < 0)
                return t->parentfd;
        t->parent = xstrdup(dir);
        return t->parentfd;
}

bool tree_has(const struct tree *t, const char *path)
{
        cleanup_free char *dir = path_dirname(path);
        struct stat sb;
        if (!strcmp(path, "/"))
                return true;
        cleanup_close int pfd = roottree_open(t->rootfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return pfd >= 0 && fstatat(pfd, path_basename(path), &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The parent's descriptor of a path about to be made; 0 (nothing to make) when something is
 * there already: the first writer wins. */
static int new_leaf(struct tree *t, const char *path, const char **leaf, int *pfd,
                    struct distill_error *err)
{
        struct stat sb;
        *pfd = parent_of(t, path, leaf, err);
        if (*pfd < 0)
                return *pfd;
        return fstatat(*pfd, *leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : 1;
}

static int set_owner(struct tree *t, int pfd, const char *leaf, unsigned uid, unsigned gid,
                     const char *path, struct distill_error *err)
{
        if (t->chown_ok && fchownat(pfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot chown %s in %s", path,
                                           t->dir);
        return 0;
}

int tree_put_dir(struct tree *t, const char *path, unsigned mode, unsigned uid, unsigned gid,
                 struct distill_error *err)
{
        const char *leaf;
        if (!strcmp(path, "/")) {
                remember_dir(t, "/", mode);
                return 0;
        }
        int pfd, r = new_leaf(t, path, &leaf, &pfd, err);
        if (r <= 0)
                return r;
        /* owner-writable until tree_finish, so that its children can be made as any user */
        if (mkdirat(pfd, leaf, 0700) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot create %s in %s", path,
                                           t->dir);
        remember_dir(t, path, mode);
        return set_owner(t, pfd, leaf, uid, gid, path, err);
}

int tree_put_symlink(struct tree *t, const char *path, const char *target, unsigned uid,
                     unsigned gid, struct distill_error *err)
{
        const char *leaf;
        int pfd, r = new_leaf(t, path, &leaf, &pfd, err);
        if (r <= 0)
                return r;
        if (symlinkat(target, pfd, leaf) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno,
                                           "cannot create the link %s in %s", path, t->dir);
        r = set_owner(t, pfd, leaf, uid, gid, path, err);
        if (r >= 0 && utimensat(pfd, leaf, t->times, AT_SYMLINK_NOFOLLOW) < 0)
                r = distill_error_errno(err, DISTILL_EIO, errno, "cannot set the time of %s in %s",
                                        path, t->dir);
        return r;
}

int tree_put_file(struct tree *t, const char *path, int fd, unsigned mode, unsigned uid,
                  unsigned gid, struct distill_error *err)
{
        const char *leaf;
        int pfd, r = new_leaf(t, path, &leaf, &pfd, err);
        if (r <= 0)
                return r;
        cleanup_close int out =
            openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot create %s in %s", path,
                                           t->dir);
        int e = copy_fd(fd, out);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot write %s in %s", path,
                                           t->dir);
        /* owner first: chown clears set-id bits */
        if (t->chown_ok && fchown(out, uid, gid) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot chown %s in %s", path,
                                           t->dir);
        if (fchmod(out, mode & 07777) < 0 || futimens(out, t->times) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno,
                                           "cannot set the mode of %s in %s", path, t->dir);
        return 0;
}

int tree_put_hardlink(struct tree *t, const char *path, const char *target,
                      struct distill_error *err)
{
        const char *leaf;
        cleanup_free char *tdir = path_dirname(target);
        cleanup_close int tfd = roottree_open(t->rootfd, tdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno,
                                           "%s: the hard link's target %s is not in %s", path,
                                           target, t->dir);
        int pfd, r = new_leaf(t, path, &leaf, &pfd, err);
        if (r <= 0)
                return r;
        if (linkat(tfd, path_basename(target), pfd, leaf, 0) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot link %s to %s in %s",
                                           path, target, t->dir);
        return 0;
}

int tree_finish(struct tree *t, struct distill_error *err)
{
        for (size_t i = t->n_dirs; i-- > 0;) {
                const char *path = t->dirs[i].path;
                cleanup_close int fd =
                    roottree_open(t->rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s in %s",
                                                   path, t->dir);
                if (fchmod(fd, t->dirs[i].mode & 07777) < 0 || futimens(fd, t->times) < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno,
                                                   "cannot set the mode of %s in %s", path, t->dir);
        }
        return 0;
}

int tree_put_plan(struct tree *t, struct plan_entry *const *entries, size_t n,
                  const struct store *st, struct distill_error *err)
{
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct plan_entry *e = entries[i];
                switch (e->type) {
                case PLAN_DIR:
                        r = tree_put_dir(t, e->path, e->mode, e->uid, e->gid, err);
                        break;
                case PLAN_SYMLINK:
                        r = tree_put_symlink(t, e->path, e->target, e->uid, e->gid, err);
                        break;
                case PLAN_HARDLINK:
                        r = tree_put_hardlink(t, e->path, e->target, err);
                        break;
                case PLAN_FILE: {
                        cleanup_close int fd = -1;
                        r = store_open_blob(st, e->digest, &fd, err);
                        if (r >= 0)
                                r = tree_put_file(t, e->path, fd, e->mode, e->uid, e->gid, err);
                        break;
                }
                }
        }
        return r < 0 ? r : 0;
}

int tree_write_mtree(struct plan_entry *const *entries, size_t n, const char *path,
                     struct distill_error *err)
{
        struct archive *a = archive_write_new();
        int r = 0;

        if (archive_write_set_format_mtree(a) != ARCHIVE_OK ||
            archive_write_set_options(a, "!all,type,mode,uid,gid,link") != ARCHIVE_OK ||
            archive_write_open_filename(a, path) != ARCHIVE_OK) {
                r = distill_error_set(err, DISTILL_EIO, "writing %s: %s", path,
                                      archive_error_string(a));
                goto out;
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct plan_entry *pe = entries[i];
                struct archive_entry *e = archive_entry_new();
                cleanup_free char *name = xasprintf(".%s", strcmp(pe->path, "/") ? pe->path : "");
                archive_entry_set_pathname(e, name);
                archive_entry_set_uid(e, pe->uid);
                archive_entry_set_gid(e, pe->gid);
                archive_entry_set_perm(e, pe->mode & 07777);
                switch (pe->type) {
                case PLAN_DIR:
                        archive_entry_set_filetype(e, AE_IFDIR);
                        break;
                case PLAN_SYMLINK:
                        archive_entry_set_filetype(e, AE_IFLNK);
                        archive_entry_set_symlink(e, pe->target);
                        break;
                case PLAN_FILE:
                case PLAN_HARDLINK:
                        archive_entry_set_filetype(e, AE_IFREG);
                        break;
                }
                if (archive_write_header(a, e) != ARCHIVE_OK)
                        r = distill_error_set(err, DISTILL_EIO, "writing %s: %s", path,
                                              archive_error_string(a));
                archive_entry_free(e);
        }
        if (archive_write_close(a) != ARCHIVE_OK && r >= 0)
                r = distill_error_set(err, DISTILL_EIO, "writing %s: %s", path,
                                      archive_error_string(a));
out:
        archive_write_free(a);
        return r;
}
