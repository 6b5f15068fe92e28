/* What ldconfig does for the image, without running anything in it: read the image's
 * ld.so.conf for the directories the cache lists (so that the ELF closure searches them exactly
 * when the image gets a cache), and build /etc/ld.so.cache for the libraries kept there. */
#ifndef DISTILL_LDCONFIG_H
#define DISTILL_LDCONFIG_H

#include "distill/core/imageview.h"
#include "distill/elf/ldso.h"

struct ldconfig_dirs {
        struct strvec scan; /* ldconfig's scan order: ld.so.conf dirs, then the system dirs,
                             * each directory once */
        struct strvec conf; /* the ld.so.conf files read: the image keeps them */
};

/* Reads /etc/ld.so.conf of the namespace into dirs, and adds to cfg->cache_dirs the ld.so.conf
 * directories that are not system directories. */
int ldconfig_scan_dirs(const struct image_view *v, struct ldso_config *cfg,
                       struct ldconfig_dirs *dirs, struct distill_error *err);
void ldconfig_dirs_release(struct ldconfig_dirs *dirs);

/* The cache of the shared objects the plan keeps in the scanned directories and their
 * glibc-hwcaps subdirectories, as ldconfig would write it for arch. */
int ldconfig_cache(const struct image_view *v, const struct ldconfig_dirs *dirs, const char *arch,
                   char **data, size_t *len, size_t *n_entries, struct distill_error *err);

#endif
