/* Image paths inside a directory on disk. The user-space walk is the definition of the rules;
 * openat2(RESOLVE_IN_ROOT) is the kernel's implementation of the same rules, used when present
 * (tests run both and compare). */
#include "distill/core/roottree.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "distill/base/util.h"

static bool force_userspace_resolve;

void roottree_set_userspace_resolve(bool on)
{
        force_userspace_resolve = on;
}

/* Opens the directory made of `parts` (no symlinks among them: they were resolved already)
 * starting at the root. */
static int open_resolved_dir(int rootfd, const struct strvec *parts)
{
        int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        for (size_t i = 0; fd >= 0 && i < parts->n; i++) {
                int next = openat(fd, parts->v[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int e = errno;
                close(fd);
                fd = next;
                errno = e;
        }
        return fd;
}

/* Pushes the components of `path` in front of the pending ones (stored reversed: the next
 * component is the last element). */
static void push_components(struct strvec *pending, const char *path)
{
        struct strvec parts = STRVEC_INIT;
        const char *p = path;
        while (*p) {
                size_t n = strcspn(p, "/");
                if (n)
                        strvec_push_nodup(&parts, xstrndup(p, n));
                p += n;
                while (*p == '/')
                        p++;
        }
        for (size_t i = parts.n; i-- > 0;)
                strvec_push_nodup(pending, parts.v[i]);
        free(parts.v);
}

/* The walk: one component at a time with O_NOFOLLOW; only resolved directories are ever opened,
 * so nothing outside the root is reached. With `resolved`, it receives the resolved components
 * (on failure: those resolved so far, then the rest as written). */
static int walk_in_root(int rootfd, const char *path, int flags, struct strvec *resolved)
{
        struct strvec pending = STRVEC_INIT, done = STRVEC_INIT;
        int dirfd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int follows = 0, result = -1, e = 0;

        push_components(&pending, path);
        if (pending.n == 0) {
                result = openat(rootfd, ".", flags);
                e = errno;
        }
        while (dirfd >= 0 && pending.n > 0) {
                char *c = pending.v[--pending.n];
                bool last = pending.n == 0;
                struct stat st;
                if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0) {
                        if (c[1] == '.' && done.n > 0) {
                                free(done.v[--done.n]);
                                close(dirfd);
                                dirfd = open_resolved_dir(rootfd, &done);
                        }
                        if (last) {
                                result = dirfd >= 0 ? openat(dirfd, ".", flags) : -1;
                                e = errno;
                        }
                        free(c);
                        continue;
                }
                if (fstatat(dirfd, c, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        e = errno;
                        strvec_push_nodup(&done, c);
                        break;
                }
                if (S_ISLNK(st.st_mode) && (!last || !(flags & O_NOFOLLOW))) {
                        char target[ROOTTREE_MAX_LINK_LEN + 1];
                        ssize_t n = readlinkat(dirfd, c, target, sizeof(target));
                        if (n < 0 || n > ROOTTREE_MAX_LINK_LEN || ++follows > ROOTTREE_MAX_LINKS) {
                                e = n < 0 ? errno : ELOOP;
                                strvec_push_nodup(&done, c);
                                break;
                        }
                        free(c);
                        target[n] = '\0';
                        if (target[0] == '/') {
                                strvec_clear(&done);
                                close(dirfd);
                                dirfd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        }
                        push_components(&pending, target);
                        if (pending.n == 0) { /* a link to "/" as the last component */
                                result = openat(dirfd, ".", flags);
                                e = errno;
                        }
                        continue;
                }
                if (last) {
                        result = openat(dirfd, c, flags | O_NOFOLLOW);
                        e = errno;
                        strvec_push_nodup(&done, c);
                        break;
                }
                int next = openat(dirfd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        e = errno;
                        strvec_push_nodup(&done, c);
                        break;
                }
                close(dirfd);
                dirfd = next;
                strvec_push_nodup(&done, c);
        }
        if (dirfd < 0 && !e)
                e = errno;
        if (dirfd >= 0)
                close(dirfd);
        if (resolved) {
                for (size_t i = 0; i < done.n; i++)
                        strvec_push(resolved, done.v[i]);
                for (size_t i = pending.n; i-- > 0;)
                        strvec_push(resolved, pending.v[i]);
        }
        strvec_clear(&pending);
        strvec_clear(&done);
        if (result < 0)
                errno = e ? e : ENOENT;
        return result;
}

int roottree_open(int rootfd, const char *path, int flags)
{
        static bool openat2_missing;
        struct open_how how = {
            .flags = (uint64_t)flags,
            .mode = 0,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        for (int attempt = 0; !openat2_missing && !force_userspace_resolve; attempt++) {
                long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
                if (fd < 0 && errno == ENOSYS) {
                        openat2_missing = true;
                        break;
                }
                /* EAGAIN: a concurrent rename raced the resolution; the kernel asks us to retry */
                if (fd < 0 && errno == EAGAIN && attempt < 16)
                        continue;
                return (int)fd;
        }
        return walk_in_root(rootfd, path, flags, NULL);
}

char *roottree_host_path(const char *tree, const char *path)
{
        struct strvec parts = STRVEC_INIT, kept = STRVEC_INIT;
        struct strbuf out = STRBUF_INIT;
        int rootfd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (rootfd >= 0) {
                int fd = walk_in_root(rootfd, path, O_PATH | O_CLOEXEC, &parts);
                if (fd >= 0)
                        close(fd);
                close(rootfd);
        } else {
                struct strvec reversed = STRVEC_INIT;
                push_components(&reversed, path);
                for (size_t i = reversed.n; i-- > 0;)
                        strvec_push(&parts, reversed.v[i]);
                strvec_clear(&reversed);
        }
        /* "." and ".." remain only in the part kept as written: apply them by name, clamped */
        for (size_t i = 0; i < parts.n; i++) {
                if (strcmp(parts.v[i], "..") == 0) {
                        if (kept.n > 0)
                                free(kept.v[--kept.n]);
                } else if (strcmp(parts.v[i], ".") != 0) {
                        strvec_push(&kept, parts.v[i]);
                }
        }
        strbuf_adds(&out, tree);
        while (out.len > 0 && out.buf[out.len - 1] == '/')
                out.buf[--out.len] = '\0';
        for (size_t i = 0; i < kept.n; i++) {
                strbuf_addch(&out, '/');
                strbuf_adds(&out, kept.v[i]);
        }
        if (kept.n == 0)
                strbuf_addch(&out, '/');
        strvec_clear(&parts);
        strvec_clear(&kept);
        return strbuf_detach(&out);
}
