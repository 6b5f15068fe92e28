/* `distill build`: the pipeline of DESIGN §1 end to end, writing OUT atomically. */
#ifndef DISTILL_BUILD_H
#define DISTILL_BUILD_H

#include <stdbool.h>
#include "distill/error.h"
#include "distill/util.h"

struct build_options {
        const char *manifest;
        const char *out;          /* default: ./distill-out */
        const char *tag;          /* overrides image.ref */
        const char *arch;         /* overrides manifest arch */
        struct strvec rules_dirs; /* --rules DIR */
        bool force;
        int verbosity; /* -1 quiet, 0 normal, 1 verbose */
        bool json;
};

struct plan;

int build_run(const struct build_options *opt, struct distill_error *err);
/* The plan a build would produce (through rootfs), without writing an image: for `resolve` and
 * `why MANIFEST`. The staging store lives in a temporary directory removed before returning. */
int build_resolve(const struct build_options *opt, struct plan **out, struct distill_error *err);

#endif
