/* `distill build`: the pipeline of docs/architecture.md end to end, writing OUT atomically. */
#ifndef DISTILL_BUILD_H
#define DISTILL_BUILD_H

#include <stdbool.h>
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

#endif
