/* `distill build`: the pipeline of docs/architecture.md end to end, writing OUT atomically. */
#ifndef DISTILL_BUILD_H
#define DISTILL_BUILD_H

#include <stdbool.h>
#include <stdio.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

enum build_format {
        BUILD_FORMAT_OCI,            /* an OCI image layout directory */
        BUILD_FORMAT_DOCKER_ARCHIVE, /* a `docker load` tar file */
        BUILD_FORMAT_ROOTFS,         /* the root filesystem as a directory tree */
};

struct build_options {
        const char *manifest;
        enum build_format format;
        const char *out;          /* default: ./distill-out */
        const char *tag;          /* overrides image.ref */
        const char *arch;         /* overrides manifest arch */
        struct strvec rules_dirs; /* --rules DIR */
        bool no_package_rules;    /* --no-package-rules: rules of scope `package` are not loaded */
        bool force;
        const char *locked;       /* --locked: build exactly the set this lock file pins */
        int verbosity;            /* -1 quiet, 0 normal, 1 verbose */
        struct strvec *check_run; /* --check-run: the proving run's commands, instead of the
                                   * manifest's check.run */
        size_t n_check_run;
        const char *push; /* --push REF: publish OUT there once written */
        bool tls_verify;  /* --tls-verify=false for a plain-HTTP registry */
        bool debug;       /* --debug: as the manifest's debug: true */
        bool root;        /* --root: as the manifest's user: {root: true} */
        bool json;
};

struct plan;

int build_run(const struct build_options *opt, struct distill_error *err);
/* The plan a build would produce (through rootfs), without writing an image: for `resolve` and
 * `why MANIFEST`. The staging store lives in a temporary directory removed before returning. */
int build_resolve(const struct build_options *opt, struct plan **out, struct distill_error *err);
/* `distill lock`: solve for every architecture of the manifest (or opt->arch) and write the
 * candidate sets to lock_path. */
int build_lock(const struct build_options *opt, const char *lock_path, struct distill_error *err);
/* `distill lock --update [PKG…]`: re-solve every architecture of the lock (or opt->arch) with the
 * newest versions the verified indexes offer — all packages, or only `names` (the others favoured
 * at their locked versions, moving only when a named one needs it) — never below a locked version
 * (a downgrade offered is reported on stderr and not taken), and rewrite the lock in one atomic
 * write. Each change goes to `out` as "ARCH: NAME OLD → NEW" ("(new)", "(removed)"). Errors:
 * DISTILL_EUSAGE for a name the lock does not pin, DISTILL_ERESOLVE when a package cannot stay
 * (its locked version gone and only lower ones offered; an unnamed one whose version is gone). */
int build_lock_update(const struct build_options *opt, const char *lock_path,
                      const struct strvec *names, FILE *out, struct distill_error *err);
/* `distill lock --check`: DISTILL_ERESOLVE naming each package when the lock no longer matches
 * the manifest (a package it needs that is not locked, one locked it no longer needs, another
 * architecture) or the archive (a locked version, or its .deb, no longer served). */
int build_lock_check(const struct build_options *opt, const char *lock_path,
                     struct distill_error *err);

#endif
