/* output: an OCI image layout (image-spec v1.1): oci-layout, index.json naming the full reference
 * (org.opencontainers.image.ref.name), manifest and config blobs (jansson, fixed key order). */
#ifndef DISTILL_OCI_H
#define DISTILL_OCI_H

#include <stdint.h>
#include "distill/base/util.h"
#include "distill/image/layer.h"

struct image_config {
        const char *arch;  /* "amd64" */
        const char *user;  /* "1000:1000" */
        struct strvec env; /* "KEY=value", in the order to write */
        struct strvec entrypoint;
        struct strvec cmd;
        const char *workdir; /* NULL for none */
        struct strvec label_keys, label_values;
        struct strvec exposed_ports;
        struct strvec volumes;   /* absolute paths */
        const char *stop_signal; /* NULL for none */
        int64_t created;         /* SOURCE_DATE_EPOCH */
        /* the image manifest's annotations (what made the image: io.distill.*), in this order;
         * none when empty */
        struct strvec annotation_keys, annotation_values;
};

#define OCI_MAX_REFERRERS 4

/* An artifact manifest whose subject is an image manifest (image-spec 1.1 referrers). */
struct oci_referrer {
        char digest[SHA256_HEX_LEN + 1];
        uint64_t size;
        char artifact_type[64];
};

struct oci_written {
        char manifest_digest[SHA256_HEX_LEN + 1];
        uint64_t manifest_size;
        /* the manifest's media type for a referrer's subject; "" for an OCI image manifest (a
         * docker-archive pushed by skopeo is Docker's schema 2) */
        char manifest_media_type[96];
        char config_digest[SHA256_HEX_LEN + 1];
        struct oci_referrer referrers[OCI_MAX_REFERRERS]; /* see oci_write_index */
        size_t n_referrers;
};

/* The config and manifest blobs of one image (no index.json); *res starts with no referrers.
 * OUT must exist (the temporary sibling); layers were written into OUT/blobs/sha256 already. */
int oci_write_image(const char *out_dir, const struct image_config *cfg,
                    const struct layer_desc *layers, size_t n_layers, struct oci_written *res,
                    struct distill_error *err);
/* An artifact (an SBOM) attached to the image `subject` wrote: `text` as a blob of media type
 * artifact_type, the empty config, and a manifest with artifactType and subject, recorded in
 * subject->referrers so oci_write_index lists it. `created` (SOURCE_DATE_EPOCH) goes into the
 * org.opencontainers.image.created annotation, which the referrers API reports. */
int oci_write_referrer(const char *out_dir, struct oci_written *subject, const char *artifact_type,
                       const char *text, int64_t created, struct distill_error *err);
/* index.json (and oci-layout): one image under `ref`, or for several architectures an image
 * index under `ref` and each architecture's manifest under oci_arch_ref(ref, arch); then, when
 * the images have referrers, one image index (no ref.name) listing every referrer manifest. */
int oci_write_index(const char *out_dir, const char *ref, const char *const *archs,
                    const struct oci_written *images, size_t n, struct distill_error *err);
/* A reference's repository and tag: "localhost:5000/app:1.0" → "localhost:5000/app", "1.0";
 * *tag NULL when it has none (a digest after '@' is neither). Both caller-freed. */
void oci_split_ref(const char *ref, char **repo, char **tag);
/* "localhost/app:latest" → "localhost/app:latest-arm64" (":arm64" when there is no tag). */
char *oci_arch_ref(const char *ref, const char *arch);
/* "2026-01-01T00:00:00Z" for an epoch (UTC). */
void rfc3339_utc(int64_t epoch, char buf[32]);

#endif
