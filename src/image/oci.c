/* output: an OCI image layout (image-spec v1.1; docs/architecture.md, "OCI output"): oci-layout,
 * config and manifest blobs, index.json naming the full reference. Keys are added in a fixed order
 * and dumped with insertion order kept (jansson >= 2.8), so the same inputs give the same digests.
 */
#include "distill/image/oci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "distill/base/arch.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "dev"
#endif

#define MT_INDEX       "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG      "application/vnd.oci.image.config.v1+json"
#define MT_LAYER_GZIP  "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_LAYER_ZSTD  "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_EMPTY       "application/vnd.oci.empty.v1+json"
#define REF_ANNOTATION "org.opencontainers.image.ref.name"

void rfc3339_utc(int64_t epoch, char buf[32])
{
        time_t t = (time_t)epoch;
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                strcpy(buf, "1970-01-01T00:00:00Z");
}

/* JSON strings must be valid UTF-8; the first value that is not is reported. */
struct json_ctx {
        const char *bad_utf8;
};

static json_t *jstr(struct json_ctx *c, const char *s)
{
        json_t *v = json_string(s);
        if (!v) {
                if (!c->bad_utf8)
                        c->bad_utf8 = s;
                return json_null();
        }
        return v;
}

static json_t *jstrvec(struct json_ctx *c, const struct strvec *sv)
{
        json_t *a = json_array();
        for (size_t i = 0; i < sv->n; i++)
                json_array_append_new(a, jstr(c, sv->v[i]));
        return a;
}

static json_t *descriptor(const char *media_type, const char *hex, uint64_t size)
{
        json_t *d = json_object();
        char *digest = xasprintf("sha256:%s", hex);
        json_object_set_new(d, "mediaType", json_string(media_type));
        json_object_set_new(d, "digest", json_string(digest));
        json_object_set_new(d, "size", json_integer((json_int_t)size));
        free(digest);
        return d;
}

/* "8080" and "8080/tcp" both mean the TCP port; the config wants "port/proto". */
static char *port_key(const char *port)
{
        return strchr(port, '/') ? xstrdup(port) : xasprintf("%s/tcp", port);
}

static json_t *container_config(struct json_ctx *c, const struct image_config *cfg)
{
        json_t *o = json_object();
        if (cfg->user && *cfg->user)
                json_object_set_new(o, "User", jstr(c, cfg->user));
        if (cfg->exposed_ports.n) {
                json_t *ports = json_object();
                for (size_t i = 0; i < cfg->exposed_ports.n; i++) {
                        char *key = port_key(cfg->exposed_ports.v[i]);
                        json_t *probe = jstr(c, key);
                        json_decref(probe);
                        json_object_set_new(ports, key, json_object());
                        free(key);
                }
                json_object_set_new(o, "ExposedPorts", ports);
        }
        if (cfg->env.n)
                json_object_set_new(o, "Env", jstrvec(c, &cfg->env));
        if (cfg->entrypoint.n)
                json_object_set_new(o, "Entrypoint", jstrvec(c, &cfg->entrypoint));
        if (cfg->cmd.n)
                json_object_set_new(o, "Cmd", jstrvec(c, &cfg->cmd));
        if (cfg->workdir)
                json_object_set_new(o, "WorkingDir", jstr(c, cfg->workdir));
        if (cfg->label_keys.n) {
                json_t *labels = json_object();
                for (size_t i = 0; i < cfg->label_keys.n; i++) {
                        const char *v = i < cfg->label_values.n ? cfg->label_values.v[i] : "";
                        json_t *probe = jstr(c, cfg->label_keys.v[i]);
                        json_decref(probe);
                        json_object_set_new(labels, cfg->label_keys.v[i], jstr(c, v));
                }
                json_object_set_new(o, "Labels", labels);
        }
        if (cfg->volumes.n) {
                json_t *volumes = json_object();
                for (size_t i = 0; i < cfg->volumes.n; i++) {
                        json_t *probe = jstr(c, cfg->volumes.v[i]);
                        json_decref(probe);
                        json_object_set_new(volumes, cfg->volumes.v[i], json_object());
                }
                json_object_set_new(o, "Volumes", volumes);
        }
        if (cfg->stop_signal)
                json_object_set_new(o, "StopSignal", jstr(c, cfg->stop_signal));
        return o;
}

/* The platform as the image spec names it (Go's GOARCH and variant), not Debian's name. */
static void set_platform(json_t *o, const struct arch_info *ai)
{
        json_object_set_new(o, "architecture", json_string(ai->oci));
        json_object_set_new(o, "os", json_string("linux"));
        if (ai->oci_variant)
                json_object_set_new(o, "variant", json_string(ai->oci_variant));
}

static int oci_arch(const char *arch, const char *out_dir, const struct arch_info **ai,
                    struct distill_error *err)
{
        *ai = arch_lookup(arch);
        if (!arch || !*arch)
                return distill_error_set(err, DISTILL_EINTERNAL, "%s: no architecture", out_dir);
        if (!*ai || !(*ai)->oci)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: architecture %s has no name in the OCI image spec",
                                         out_dir, arch);
        return 0;
}

static json_t *image_config_json(struct json_ctx *c, const struct image_config *cfg,
                                 const struct arch_info *ai, const struct layer_desc *layers,
                                 size_t n_layers)
{
        char created[32];
        rfc3339_utc(cfg->created, created);

        json_t *root = json_object();
        json_object_set_new(root, "created", json_string(created));
        set_platform(root, ai);
        json_object_set_new(root, "config", container_config(c, cfg));

        json_t *rootfs = json_object();
        json_t *diff_ids = json_array();
        for (size_t i = 0; i < n_layers; i++) {
                char *d = xasprintf("sha256:%s", layers[i].diff_id);
                json_array_append_new(diff_ids, json_string(d));
                free(d);
        }
        json_object_set_new(rootfs, "type", json_string("layers"));
        json_object_set_new(rootfs, "diff_ids", diff_ids);
        json_object_set_new(root, "rootfs", rootfs);

        json_t *history = json_array();
        for (size_t i = 0; i < n_layers; i++) {
                json_t *h = json_object();
                json_object_set_new(h, "created", json_string(created));
                json_object_set_new(h, "created_by", json_string("distill " DISTILL_VERSION));
                json_array_append_new(history, h);
        }
        json_object_set_new(root, "history", history);
        return root;
}

static json_t *manifest_json(const struct image_config *cfg, const struct oci_written *res,
                             uint64_t config_size, const struct layer_desc *layers, size_t n_layers)
{
        json_t *m = json_object();
        json_object_set_new(m, "schemaVersion", json_integer(2));
        json_object_set_new(m, "mediaType", json_string(MT_MANIFEST));
        json_object_set_new(m, "config", descriptor(MT_CONFIG, res->config_digest, config_size));
        json_t *ls = json_array();
        for (size_t i = 0; i < n_layers; i++)
                json_array_append_new(
                    ls,
                    descriptor(layers[i].compression == LAYER_ZSTD ? MT_LAYER_ZSTD : MT_LAYER_GZIP,
                               layers[i].digest, layers[i].size));
        json_object_set_new(m, "layers", ls);
        if (cfg->annotation_keys.n) {
                json_t *ann = json_object();
                for (size_t i = 0; i < cfg->annotation_keys.n; i++)
                        json_object_set_new(ann, cfg->annotation_keys.v[i],
                                            json_string(i < cfg->annotation_values.n
                                                            ? cfg->annotation_values.v[i]
                                                            : ""));
                json_object_set_new(m, "annotations", ann);
        }
        return m;
}

/* Compact JSON text of a document (which is consumed). */
static char *dump_compact(json_t *doc)
{
        char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (!text)
                abort(); /* only allocation failure: every value was validated when built */
        return text;
}

/* Store a blob under OUT/blobs/sha256/<hex>, atomically. */
static int write_blob(const char *out_dir, const char *text, char hex[SHA256_HEX_LEN + 1],
                      uint64_t *size, struct distill_error *err)
{
        size_t len = strlen(text);
        sha256_hex(text, len, hex);
        char *dir = xasprintf("%s/blobs/sha256", out_dir);
        char *path = xasprintf("%s/%s", dir, hex);
        int e = mkdir_p(dir, 0755);
        if (e == 0)
                e = write_file_atomic(path, text, len, 0644);
        int r = e < 0 ? distill_error_errno(err, DISTILL_EIO, -e, "writing %s", path) : 0;
        if (size)
                *size = len;
        free(path);
        free(dir);
        return r;
}

static int write_text(const char *out_dir, const char *name, const char *text,
                      struct distill_error *err)
{
        char *path = xasprintf("%s/%s", out_dir, name);
        int e = write_file_atomic(path, text, strlen(text), 0644);
        int r = e < 0 ? distill_error_errno(err, DISTILL_EIO, -e, "writing %s", path) : 0;
        free(path);
        return r;
}

int oci_write_image(const char *out_dir, const struct image_config *cfg,
                    const struct layer_desc *layers, size_t n_layers, struct oci_written *res,
                    struct distill_error *err)
{
        struct json_ctx c = {NULL};
        uint64_t config_size = 0;
        int r;

        const struct arch_info *ai;
        memset(res, 0, sizeof(*res)); /* no referrers yet */
        if ((r = oci_arch(cfg->arch, out_dir, &ai, err)) < 0)
                return r;
        json_t *config = image_config_json(&c, cfg, ai, layers, n_layers);
        if (c.bad_utf8) {
                json_decref(config);
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: image config value '%s' is not valid UTF-8", out_dir,
                                         c.bad_utf8);
        }
        char *text = dump_compact(config);
        r = write_blob(out_dir, text, res->config_digest, &config_size, err);
        free(text);
        if (r < 0)
                return r;
        text = dump_compact(manifest_json(cfg, res, config_size, layers, n_layers));
        r = write_blob(out_dir, text, res->manifest_digest, &res->manifest_size, err);
        free(text);
        return r;
}

int oci_write_referrer(const char *out_dir, struct oci_written *subject, const char *artifact_type,
                       const char *text, int64_t created, struct distill_error *err)
{
        char blob[SHA256_HEX_LEN + 1], empty[SHA256_HEX_LEN + 1], created_s[32];
        uint64_t blob_size = 0;
        int r;

        if (subject->n_referrers >= OCI_MAX_REFERRERS ||
            strlen(artifact_type) >= sizeof(subject->referrers[0].artifact_type))
                return distill_error_set(err, DISTILL_EINTERNAL, "%s: too many referrers", out_dir);
        if ((r = write_blob(out_dir, text, blob, &blob_size, err)) < 0)
                return r;
        if ((r = write_blob(out_dir, "{}", empty, NULL, err)) < 0)
                return r;
        rfc3339_utc(created, created_s);
        json_t *m = json_object();
        json_object_set_new(m, "schemaVersion", json_integer(2));
        json_object_set_new(m, "mediaType", json_string(MT_MANIFEST));
        json_object_set_new(m, "artifactType", json_string(artifact_type));
        /* the empty JSON object: an artifact's config (image-spec 1.1 manifest.md) */
        json_t *config = descriptor(MT_EMPTY, empty, 2);
        json_object_set_new(config, "data", json_string("e30=")); /* "{}" */
        json_object_set_new(m, "config", config);
        json_t *layers = json_array();
        json_array_append_new(layers, descriptor(artifact_type, blob, blob_size));
        json_object_set_new(m, "layers", layers);
        json_object_set_new(
            m, "subject",
            descriptor(subject->manifest_media_type[0] ? subject->manifest_media_type : MT_MANIFEST,
                       subject->manifest_digest, subject->manifest_size));
        json_t *ann = json_object();
        json_object_set_new(ann, "org.opencontainers.image.created", json_string(created_s));
        json_object_set_new(m, "annotations", ann);
        char *manifest = dump_compact(m);
        struct oci_referrer *ref = &subject->referrers[subject->n_referrers];
        r = write_blob(out_dir, manifest, ref->digest, &ref->size, err);
        free(manifest);
        if (r < 0)
                return r;
        strcpy(ref->artifact_type, artifact_type);
        subject->n_referrers++;
        return 0;
}

void oci_split_ref(const char *ref, char **repo, char **tag)
{
        const char *at = strchr(ref, '@');
        size_t len = at ? (size_t)(at - ref) : strlen(ref);
        const char *slash = memrchr(ref, '/', len);
        const char *colon = memrchr(ref, ':', len);
        /* a colon before the last slash is a registry's port */
        if (colon && (!slash || colon > slash)) {
                *repo = xstrndup(ref, (size_t)(colon - ref));
                *tag = xstrndup(colon + 1, len - (size_t)(colon + 1 - ref));
        } else {
                *repo = xstrndup(ref, len);
                *tag = NULL;
        }
}

char *oci_arch_ref(const char *ref, const char *arch)
{
        const char *at = strchr(ref, '@');
        if (at)
                return xasprintf("%.*s:%s", (int)(at - ref), ref, arch);
        cleanup_free char *repo = NULL, *tag = NULL;
        oci_split_ref(ref, &repo, &tag);
        return tag ? xasprintf("%s-%s", ref, arch) : xasprintf("%s:%s", ref, arch);
}

static json_t *platform_descriptor(struct json_ctx *c, const char *media_type, const char *hex,
                                   uint64_t size, const struct arch_info *ai, const char *ref)
{
        json_t *d = descriptor(media_type, hex, size);
        if (ai) {
                json_t *platform = json_object();
                set_platform(platform, ai);
                json_object_set_new(d, "platform", platform);
        }
        if (ref) {
                json_t *ann = json_object();
                json_object_set_new(ann, REF_ANNOTATION, jstr(c, ref));
                json_object_set_new(d, "annotations", ann);
        }
        return d;
}

static json_t *index_doc(json_t *manifests)
{
        json_t *idx = json_object();
        json_object_set_new(idx, "schemaVersion", json_integer(2));
        json_object_set_new(idx, "mediaType", json_string(MT_INDEX));
        json_object_set_new(idx, "manifests", manifests);
        return idx;
}

/* The images' referrers, in one image index listed after the images: a reader that takes the
 * first manifest still finds an image, tools that pick images by name never see the artifacts,
 * and tools that walk the layout's graph (oras) find each artifact's subject. One entry, not
 * one per artifact: oci-image-tool 1.0.0-rc1 drops only every other descriptor that fails its
 * --ref filter (it deletes from the slice it walks), so two unnamed descriptors in a row make
 * "--ref name=REF" not unique. */
static int append_referrers(const char *out_dir, json_t *top, const struct oci_written *images,
                            size_t n, struct distill_error *err)
{
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < images[i].n_referrers; j++) {
                        const struct oci_referrer *ref = &images[i].referrers[j];
                        json_t *d = descriptor(MT_MANIFEST, ref->digest, ref->size);
                        json_object_set_new(d, "artifactType", json_string(ref->artifact_type));
                        json_array_append_new(list, d);
                }
        }
        if (json_array_size(list) == 0) {
                json_decref(list);
                return 0;
        }
        char hex[SHA256_HEX_LEN + 1];
        uint64_t size = 0;
        char *text = dump_compact(index_doc(list));
        int r = write_blob(out_dir, text, hex, &size, err);
        free(text);
        if (r >= 0)
                json_array_append_new(top, descriptor(MT_INDEX, hex, size));
        return r;
}

int oci_write_index(const char *out_dir, const char *ref, const char *const *archs,
                    const struct oci_written *images, size_t n, struct distill_error *err)
{
        struct json_ctx c = {NULL};
        json_t *top = json_array();
        int r;

        if (!ref || !*ref) {
                json_decref(top);
                return distill_error_set(err, DISTILL_EUSAGE, "%s: empty image reference", out_dir);
        }
        cleanup_free const struct arch_info **ai = xcalloc(n ? n : 1, sizeof(*ai));
        for (size_t i = 0; i < n; i++) {
                if ((r = oci_arch(archs[i], out_dir, &ai[i], err)) < 0) {
                        json_decref(top);
                        return r;
                }
        }
        if (n == 1) {
                json_array_append_new(
                    top, platform_descriptor(&c, MT_MANIFEST, images[0].manifest_digest,
                                             images[0].manifest_size, ai[0], ref));
        } else {
                /* an image index under REF, and beside it each architecture's manifest under
                 * REF-ARCH: umoci cannot unpack an index */
                json_t *list = json_array();
                for (size_t i = 0; i < n; i++)
                        json_array_append_new(
                            list, platform_descriptor(&c, MT_MANIFEST, images[i].manifest_digest,
                                                      images[i].manifest_size, ai[i], NULL));
                char hex[SHA256_HEX_LEN + 1];
                uint64_t size = 0;
                char *text = dump_compact(index_doc(list));
                r = write_blob(out_dir, text, hex, &size, err);
                free(text);
                if (r < 0) {
                        json_decref(top);
                        return r;
                }
                json_array_append_new(top, platform_descriptor(&c, MT_INDEX, hex, size, NULL, ref));
                for (size_t i = 0; i < n; i++) {
                        cleanup_free char *aref = oci_arch_ref(ref, archs[i]);
                        json_array_append_new(
                            top, platform_descriptor(&c, MT_MANIFEST, images[i].manifest_digest,
                                                     images[i].manifest_size, ai[i], aref));
                }
        }
        if ((r = append_referrers(out_dir, top, images, n, err)) < 0) {
                json_decref(top);
                return r;
        }
        r = write_text(out_dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", err);
        if (r < 0) {
                json_decref(top);
                return r;
        }
        if (c.bad_utf8) {
                json_decref(top);
                return distill_error_set(err, DISTILL_EUSAGE, "%s: '%s' is not valid UTF-8",
                                         out_dir, c.bad_utf8);
        }
        /* index.json last: a layout is only complete once it names its images */
        char *text = dump_compact(index_doc(top));
        r = write_text(out_dir, "index.json", text, err);
        free(text);
        return r;
}
