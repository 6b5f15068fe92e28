/* The apt source: a struct source whose packages come from Debian archives (aptrepo for the
 * verified indexes, debfile for the .debs), for the manifest's `source: {apt: …}`. */
#ifndef DISTILL_SOURCE_APT_H
#define DISTILL_SOURCE_APT_H

#include <stdbool.h>
#include "distill/input/manifest.h"
#include "distill/source/source.h"

int source_open_apt(const struct manifest *m, const char *arch, bool progress, struct source **out,
                    struct distill_error *err);

/* The packages a lock file pins for `arch`, fetched from the cache (a .deb that is not there is
 * fetched from its recorded source; one whose hash no longer matches is DISTILL_EINTEGRITY). */
int source_open_apt_locked(const struct manifest *m, const char *arch, const char *lock_path,
                           bool progress, struct source **out, struct distill_error *err);

struct apt_config;
/* The apt configuration a manifest's `source: {apt: …}` names (the host's, or its sources with
 * the host's settings), for callers that read more of the archives than packages (convert's
 * Contents indexes). Release with apt_config_release. */
int source_apt_config(const struct manifest *m, struct apt_config *cfg, struct distill_error *err);

#endif
