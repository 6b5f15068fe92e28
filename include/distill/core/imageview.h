/* The image being planned, as the helpers of select read it: the namespace of every candidate
 * file, the plan so far, the stores that hold bytes, and how to open a node and read its ELF
 * facts (cached by select). select owns everything it points to. */
#ifndef DISTILL_IMAGEVIEW_H
#define DISTILL_IMAGEVIEW_H

#include "distill/core/imagens.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"

/* Declared by the stages above core (source/, elf/); the view only carries pointers to them. */
struct source;
struct elf_info;

struct image_view {
        const struct imagens *ns;
        struct plan *plan;
        struct store *st;
        struct source *src;
        void *ud;
        /* a regular file's bytes: a package file from the source, an app file from the host */
        int (*open)(void *ud, const struct imagens_node *node, int *fd, struct distill_error *err);
        /* 1 and a copy the caller releases for an ELF object, 0 for anything else */
        int (*elf)(void *ud, const struct imagens_node *node, struct elf_info *info,
                   struct distill_error *err);
        /* a whole file, by image path, as kept or as a candidate */
        int (*read)(void *ud, const char *path, char **data, size_t *len,
                    struct distill_error *err);
};

#endif
