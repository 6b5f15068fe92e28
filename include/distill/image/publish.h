/* publish: an image distill wrote (an OCI layout, with its index when several architectures, or
 * a docker-archive file) sent to a registry through skopeo, with the user's registry credentials
 * as skopeo reads them (REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker).
 * docs/architecture.md, "Publishing". */
#ifndef DISTILL_PUBLISH_H
#define DISTILL_PUBLISH_H
#include <stdbool.h>
#include "distill/base/digest.h"
#include "distill/base/error.h"

struct publish_result {
        char digest[7 + SHA256_HEX_LEN + 1]; /* "sha256:…" of the manifest (or index) pushed */
        bool index;                          /* a multi-architecture image index, pushed whole */
};

/* out: what `distill build` wrote; dest: a reference ("registry:5000/app:1.0"). tls_verify false
 * for a plain-HTTP registry. A failed push is DISTILL_EIO with skopeo's reason; an OUT that is
 * not an image (a rootfs tree, anything else) or a bad reference is DISTILL_EUSAGE. */
int publish_image(const char *out, const char *dest, bool tls_verify, struct publish_result *res,
                  struct distill_error *err);

#endif
