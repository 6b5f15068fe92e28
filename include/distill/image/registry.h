/* registry: the few calls of the OCI distribution API that skopeo 1.9 cannot make for distill —
 * reading and writing one manifest by tag or digest, byte for byte — over libcurl, with the
 * credentials skopeo reads (containers-auth.json(5): REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, then Docker's
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json; "auths" entries only, not credential
 * helpers) and the registry's own challenge: HTTP Basic, or a Bearer token from the realm it
 * names. publish uses it for the referrers tag schema (distribution-spec 1.1), since skopeo
 * 1.9 re-serialises an index it cannot push unchanged and drops the descriptors' artifactType. */
#ifndef DISTILL_REGISTRY_H
#define DISTILL_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include "distill/base/error.h"

#define REGISTRY_MAX_MANIFEST (4u << 20) /* the distribution spec's suggested limit */

struct registry;

/* ref: "host[:port]/path/name[:tag|@digest]" as skopeo's docker:// takes it (no host: Docker
 * Hub, "library/" for a single name). tls_verify false: HTTPS without verification, falling
 * back to plain HTTP, as skopeo's --tls-verify=false. DISTILL_EUSAGE for a bad reference or an
 * unreadable credentials file. */
int registry_open(const char *ref, bool tls_verify, struct registry **out,
                  struct distill_error *err);
void registry_free(struct registry *reg);
/* "127.0.0.1:5000/hello": what messages name. */
const char *registry_name(const struct registry *reg);

/* GET /v2/<name>/manifests/<reference>. *found false (and 0) for 404; the body and its
 * Content-Type otherwise (caller frees both). DISTILL_EIO naming the registry for anything else. */
int registry_get_manifest(struct registry *reg, const char *reference, const char *accept,
                          char **body, size_t *len, char **media_type, bool *found,
                          struct distill_error *err);
/* PUT /v2/<name>/manifests/<reference> with exactly these bytes. */
int registry_put_manifest(struct registry *reg, const char *reference, const char *media_type,
                          const char *body, size_t len, struct distill_error *err);

/* For tests: a WWW-Authenticate value's scheme ("Bearer") and parameter, or NULL. Caller
 * frees. */
char *registry_challenge_param(const char *challenge, const char *key);

#endif
