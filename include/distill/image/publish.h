/* publish: an image distill wrote (an OCI layout, with its index when several architectures, or
 * a docker-archive file) sent to a registry through skopeo, with the user's registry credentials
 * as skopeo reads them (REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker).
 * docs/architecture.md, "Publishing". */
#ifndef DISTILL_PUBLISH_H
#define DISTILL_PUBLISH_H
#include <stdbool.h>
#include "distill/base/digest.h"
#include "distill/base/error.h"
#include "distill/base/util.h"

struct publish_result {
        char digest[7 + SHA256_HEX_LEN + 1]; /* "sha256:…" of the manifest (or index) pushed */
        bool index;                          /* a multi-architecture image index, pushed whole */
        size_t n_referrers;                  /* SBOM artifact manifests pushed with it */
        struct strvec referrer_tags; /* "sha256-<hex>": the referrers tag of each image they
                                      * describe (distribution-spec 1.1 referrers tag schema) */
};

/* out: what `distill build` wrote; an OCI layout's referrers (its SBOMs) follow the image: each
 * artifact manifest by digest through skopeo, then the referrers tag schema's index — the one
 * already at sha256-<subject> (another tool's referrers) merged with distill's — written with
 * registry.h, because skopeo 1.9 does not copy referrers and docker-registry 2.8 has no referrers
 * API. A docker-archive has no referrers to push (its SBOMs are beside it, OUT.spdx.json).
 * res is released by publish_result_release.  dest: a reference ("registry:5000/app:1.0"). tls_verify false
 * for a plain-HTTP registry. A failed push is DISTILL_EIO with skopeo's reason; an OUT that is
 * not an image (a rootfs tree, anything else) or a bad reference is DISTILL_EUSAGE. */
int publish_image(const char *out, const char *dest, bool tls_verify, struct publish_result *res,
                  struct distill_error *err);
void publish_result_release(struct publish_result *res);

#endif
