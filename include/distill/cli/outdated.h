/* `distill outdated MANIFEST|OUT`: which packages of an image the archive now offers in a newer
 * version, and from which suite (a security suite or not). The indexes are refreshed and
 * verified exactly as a build verifies them (apt.h); the versions built come from OUT's
 * plan.json, or from a dry resolve of MANIFEST (pinned by the distill.lock beside it when there
 * is one). */
#ifndef DISTILL_OUTDATED_H
#define DISTILL_OUTDATED_H

#include <stdbool.h>
#include <stdio.h>
#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/source/updates.h"

struct plan;

struct outdated_options {
        const char *target;   /* MANIFEST, or an OUT directory holding plan.json */
        const char *manifest; /* --manifest: the sources of OUT's packages (required with OUT:
                               * plan.json does not record where its packages came from) */
        const char *arch;     /* --arch: for MANIFEST (OUT's plan says its own) */
        const struct strvec *rules_dirs; /* --rules, --no-package-rules: for MANIFEST's resolve, */
        bool no_package_rules;           /* as its build would be run */
        bool json;
        bool exit_code; /* --exit-code: DISTILL_EOUTDATED when a kept package has an update */
};

enum outdated_status {
        OUTDATED_CURRENT,   /* the archive's newest is the version built */
        OUTDATED_UPDATE,    /* the archive has a newer version */
        OUTDATED_DOWNGRADE, /* the archive's newest is older than the version built */
        OUTDATED_GONE,      /* no index offers the package any more */
};

struct outdated_item {
        const char *name, *arch, *version; /* borrowed from the plan */
        bool kept;                         /* in the image (else only in the candidate set) */
        enum outdated_status status;
        const struct archive_offer *newest; /* borrowed from the archive_versions; NULL: gone */
};

struct outdated_report {
        const char *arch;
        struct outdated_item *items; /* the kept packages first, each group by name */
        size_t n;
        size_t kept_updates, kept_security_updates;
};

/* Every package of the plan's candidate set against what the archive offers. */
void outdated_compare(const struct plan *plan, const struct archive_versions *av,
                      struct outdated_report *out);
void outdated_report_release(struct outdated_report *r);
/* Text: the kept packages with an update or a downgrade, then, apart, the candidates that are
 * not kept; nothing when every package is current. JSON: {"arch", "kept":[…], "not_kept":[…],
 * "kept_updates", "kept_security_updates"}, every package with name, arch, version, status
 * ("current", "update", "downgrade", "gone") and, unless gone, newest, suite, security. */
void outdated_print(const struct outdated_report *r, bool json, FILE *out);

/* The whole command. With opt->exit_code, a kept package with an update is -DISTILL_EOUTDATED
 * (exit 7) once the report is printed. */
int outdated_run(const struct outdated_options *opt, struct distill_error *err);

#endif
