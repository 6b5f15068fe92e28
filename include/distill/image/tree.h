/* tree: an image root filesystem written out as a directory, for running it (the check's
 * sandbox) or handing it over as it is. Every path is resolved inside the tree (core/roottree),
 * so a symbolic link already written — absolute targets included — never leads a later write
 * to the build host's files. Links keep their targets exactly as the image has them. */
#ifndef DISTILL_TREE_H
#define DISTILL_TREE_H
#include <stdbool.h>
#include <stdint.h>
#include "distill/base/error.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"

struct tree;

/* `dir` must exist and be empty; it becomes the root directory (mode 0755, owner root when we
 * are root). Modes are applied as given; owners only when we are root (chown needs it). */
int tree_open(const char *dir, int64_t epoch, struct tree **out, struct distill_error *err);
/* Directory modes and mtimes are applied last (a 0555 directory still takes its children). */
int tree_finish(struct tree *t, struct distill_error *err);
void tree_free(struct tree *t);
const char *tree_path(const struct tree *t);

/* Each adds one entry at an image path whose parent directories exist in the tree, or are
 * created (0755, root) when missing. An entry already at that path is left as it is: the first
 * writer wins (the plan first, then the packages' other files for a trace tree). */
int tree_put_dir(struct tree *t, const char *path, unsigned mode, unsigned uid, unsigned gid,
                 struct distill_error *err);
int tree_put_symlink(struct tree *t, const char *path, const char *target, unsigned uid,
                     unsigned gid, struct distill_error *err);
/* The bytes come from `fd` (read to its end). */
int tree_put_file(struct tree *t, const char *path, int fd, unsigned mode, unsigned uid,
                  unsigned gid, struct distill_error *err);
/* `target`: the image path of an entry already written. */
int tree_put_hardlink(struct tree *t, const char *path, const char *target,
                      struct distill_error *err);
/* Whether something (of any type) is at the image path, without following a final link. */
bool tree_has(const struct tree *t, const char *path);

/* Every plan entry (path order, as plan_sorted gives), file bytes from the store. */
int tree_put_plan(struct tree *t, struct plan_entry *const *entries, size_t n,
                  const struct store *st, struct distill_error *err);

/* What a tree written without root cannot hold, for whoever reads it later (verify): every
 * entry's type, mode, owner and link target, as an mtree(5) specification (libarchive's mtree
 * writer). */
int tree_write_mtree(struct plan_entry *const *entries, size_t n, const char *path,
                     struct distill_error *err);

#endif
