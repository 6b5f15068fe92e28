/* A directory on disk that holds an image root (a sysroot, the interpreter's tree), and image
 * paths resolved inside it as the image would resolve them: symlinks followed (at most 40, as the
 * kernel), absolute targets restarting at the root, ".." clamped at the root — so no path ever
 * reaches the build host's own files. core/imagens does the same for the in-memory namespace. */
#ifndef DISTILL_ROOTTREE_H
#define DISTILL_ROOTTREE_H

#include <stdbool.h>

#define ROOTTREE_MAX_LINKS    40 /* as the kernel's MAXSYMLINKS */
#define ROOTTREE_MAX_LINK_LEN 4096

/* openat(rootfd, path, flags) with `path` (absolute or relative: both mean "from the root")
 * resolved inside the root. A final symlink is followed unless flags has O_NOFOLLOW. Uses
 * openat2(RESOLVE_IN_ROOT); where the kernel (< 5.6) or valgrind lacks it, an equivalent
 * user-space walk. Returns the fd, or -1 with errno set (ELOOP past the link limit). */
int roottree_open(int rootfd, const char *path, int flags);

/* The host path of image path `path` inside the directory `tree`: tree + the path with every
 * symlink resolved inside the root. Components that do not exist are kept as written (opening
 * the result then fails cleanly). Caller frees. */
char *roottree_host_path(const char *tree, const char *path);

/* Tests force the user-space walk with this switch. */
void roottree_set_userspace_resolve(bool on);

#endif
