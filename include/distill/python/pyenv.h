/* The image's interpreter made runnable on the build host, and what it says of itself: run in
 * place from a sysroot (which holds its package files at their image paths), or from a tree
 * made for it — the interpreter, its ELF closure, the usrmerge links and its whole standard
 * library at their image paths — and probed once (pyprobe). */
#ifndef DISTILL_PYENV_H
#define DISTILL_PYENV_H

#include <stdbool.h>

#include "distill/core/imageview.h"
#include "distill/python/pyprobe.h"

struct pyenv {
        char *tree;              /* the tree made for it; NULL when run from the sysroot */
        bool tree_owned;         /* removed by pyenv_release (not a cached one) */
        struct strmap tree_dirs; /* directories of the tree created so far */
        struct pyrun run;        /* how to run it (its loader, or qemu-user) */
        struct py_probe probe;
        bool have_probe;
};

/* interp: the interpreter's image path (resolved), ldso: its PT_INTERP, stdlib:
 * /usr/lib/pythonX.Y. The plan so far must hold the interpreter's ELF closure. An archive
 * source keeps the tree in its cache under the tree's identity, so a warm build reuses it. */
int pyenv_open(const struct image_view *v, const char *interp, const char *ldso, const char *arch,
               const char *pyver, const char *stdlib, struct pyenv *env, struct distill_error *err);
void pyenv_release(struct pyenv *env);

#endif
