/* What the archive offers now (`distill outdated`): the newest version of every package of the
 * verified Packages indexes, the suite it comes from, and whether that suite is a security suite
 * — told from the suite's own signed Release fields, never from a list of names kept here. */
#ifndef DISTILL_UPDATES_H
#define DISTILL_UPDATES_H

#include <stdbool.h>
#include <stddef.h>
#include "distill/base/error.h"
#include "distill/source/apt.h"

/* Debian's version order (deb-version(7)) as libsolv's pool_evrcmp_str compares it in a
 * DISTTYPE_DEB pool: < 0, 0 or > 0 as a is older than, the same as, or newer than b. */
int deb_version_compare(const char *a, const char *b);

/* A security suite: a Label naming security ("Debian-Security"), or a Suite or Codename ending in
 * "-security" (Debian's "bookworm-security", Ubuntu's "jammy-security", whose Label is plain
 * "Ubuntu"). Any argument may be NULL. */
bool release_is_security(const char *label, const char *suite, const char *codename);

struct archive_offer {
        char *version;
        char *suite; /* the Release's Suite, else its Codename, else the source's suite */
        bool security;
};

struct archive_versions;

/* Reads every index (hostile input: deb822's caps; a stanza without Package or Version is
 * DISTILL_EIO naming the file and line). Where several suites offer the newest version, a
 * security suite is named. */
int archive_versions_read(const struct apt_index *idx, size_t n, struct archive_versions **out,
                          struct distill_error *err);
/* The newest version of `name` in any index, or NULL when no index has it. Valid until
 * archive_versions_free. */
const struct archive_offer *archive_versions_newest(const struct archive_versions *av,
                                                    const char *name);
void archive_versions_free(struct archive_versions *av);

#endif
