/* rootfs: the generated files and the policy of docs/architecture.md, "Root filesystem policy" and
 * "usrmerge", applied to the plan that select produced. After this stage the plan is final. */
#ifndef DISTILL_ROOTFS_H
#define DISTILL_ROOTFS_H

#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/input/manifest.h"
#include "distill/source/solve.h"
#include "distill/source/source.h"

/* Adds (reason PLAN_R_GENERATED): the usrmerge links /bin /sbin /lib (and /lib64 where the
 * architecture's loader lives there) → usr/…; /etc/passwd, /etc/group (root, the manifest user,
 * nobody; shells /sbin/nologin), /etc/nsswitch.conf; /tmp 1777; /root 0700; /proc 0555 and /dev
 * 0755 (empty mount points); /home 0755 and the user's home 0700 owned by the user; the CA bundle
 * when plan->generate asks for "ca-bundle" (only the ca-certificates package's
 * /usr/share/ca-certificates/mozilla/ *.crt files, C-locale order); /var/lib/dpkg/status.d/<pkg>,
 * <pkg>.md5sums and /usr/share/doc/<pkg>/copyright for every kept package (reason
 * PLAN_R_PKG_METADATA), md5sums listing only kept files by their dpkg path. Enforces: no shell or
 * package manager (DISTILL_EUSAGE naming the entry and its reason), setuid, setgid and sticky bits
 * cleared outside /tmp (each reported in plan->warnings), group/other write bits cleared, every
 * entry root-owned except the home; adds every missing parent directory (0755, PLAN_R_PARENT);
 * marks plan->packages[].kept. */
int rootfs_finalize(struct plan *plan, const struct manifest *m, struct source *src,
                    struct store *st, struct distill_error *err);

/* The image user's home (its passwd entry's), an image path. Caller frees. */
char *rootfs_user_home(const struct manifest *m);

/* Names that must never be in the image as non-directories (sh, bash, dash, busybox, dpkg,
 * dpkg-*, apt, apt-*, …). */
bool rootfs_is_forbidden_name(const char *basename);

#endif
