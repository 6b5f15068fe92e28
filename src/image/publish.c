/* Publishing through skopeo (publish.h). */
#include "distill/image/publish.h"

#include <errno.h>
#include <limits.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/digest.h"
#include "distill/base/spawn.h"
#include "distill/image/oci.h"
#include "distill/image/registry.h"
#include "distill/input/manifest.h"

#define PUBLISH_TIMEOUT_S 3600 /* a large image to a slow registry */

/* The reference index.json gives the layout's top image (the index, for several
 * architectures), and whether it is an index. */
static int layout_ref(const char *out, char **ref, bool *index, struct distill_error *err)
{
        cleanup_free char *path = path_join(out, "index.json");
        json_error_t jerr;
        json_t *idx = json_load_file(path, 0, &jerr);
        *ref = NULL;
        if (!idx)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s is not an image distill wrote: %s: %s", out, path,
                                         jerr.text);
        json_t *first = json_array_get(json_object_get(idx, "manifests"), 0);
        const char *name = json_string_value(json_object_get(json_object_get(first, "annotations"),
                                                             "org.opencontainers.image.ref.name"));
        const char *type = json_string_value(json_object_get(first, "mediaType"));
        if (name)
                *ref = xstrdup(name);
        *index = type && strstr(type, "image.index");
        json_decref(idx);
        if (!*ref)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: index.json names no image",
                                         path);
        return 0;
}

/* skopeo's transport for what `distill build` wrote at out. */
static int source_of(const char *out, char **src, bool *index, struct distill_error *err)
{
        struct stat sb;
        *index = false;
        if (stat(out, &sb) < 0)
                return distill_error_errno(err, DISTILL_EUSAGE, errno, "cannot publish %s", out);
        if (S_ISREG(sb.st_mode)) {
                *src = xasprintf("docker-archive:%s", out);
                return 0;
        }
        cleanup_free char *layout = path_join(out, "oci-layout");
        if (!S_ISDIR(sb.st_mode) || access(layout, F_OK) < 0)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s is not an image (an OCI layout or a docker-archive): "
                                         "a root filesystem tree cannot be published; build it "
                                         "with --format oci",
                                         out);
        cleanup_free char *ref = NULL;
        int r = layout_ref(out, &ref, index, err);
        if (r < 0)
                return r;
        *src = xasprintf("oci:%s:%s", out, ref);
        return 0;
}

static const char *const credentials[] = {
    "HOME",        "XDG_RUNTIME_DIR", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG",
    "http_proxy",  "https_proxy",     "no_proxy",           "HTTP_PROXY",
    "HTTPS_PROXY", "NO_PROXY",        "SSL_CERT_FILE",      "SSL_CERT_DIR",
    NULL};

/* skopeo copy SRC docker://TARGET, keeping every digest; the digest skopeo pushed in
 * digest[] when asked. */
static int skopeo_copy(const char *skopeo, const char *src, const char *target, bool tls_verify,
                       bool all, char digest[7 + SHA256_HEX_LEN + 1], struct distill_error *err)
{
        cleanup_free char *digestfile = xasprintf("%s/distill-digest-XXXXXX", temp_base());
        int fd = mkstemp(digestfile);
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot make %s", digestfile);
        close(fd);
        cleanup_free char *to = xasprintf("docker://%s", target);
        cleanup_free char *tls = xasprintf("--dest-tls-verify=%s", tls_verify ? "true" : "false");
        /* --preserve-digests: the registry gets exactly the manifest (and index) distill wrote,
         * so the digest pushed is the one the build printed */
        char *argv[] = {(char *)skopeo,
                        "copy",
                        "--quiet",
                        "--retry-times",
                        "2",
                        tls,
                        "--digestfile",
                        digestfile,
                        "--preserve-digests",
                        all ? "--all" : "--quiet",
                        (char *)src,
                        to,
                        NULL};
        struct spawn_opts o = {.argv = argv,
                               .name = "skopeo copy",
                               .pass_env = credentials,
                               .timeout_s = PUBLISH_TIMEOUT_S,
                               .out_cap = 1 << 20};
        struct spawn_result sr;
        int r = spawn_run(&o, &sr, err);
        if (r >= 0)
                r = spawn_check_exit(&o, &sr, err);
        spawn_result_release(&sr);
        if (r < 0 || !digest) {
                unlink(digestfile);
                return r;
        }
        cleanup_free char *text = NULL;
        size_t len;
        int e = read_file_capped(digestfile, 256, &text, &len);
        unlink(digestfile);
        if (e < 0 || len != 7 + SHA256_HEX_LEN || strncmp(text, "sha256:", 7))
                return distill_error_set(
                    err, DISTILL_EIO, "skopeo pushed %s but reported no manifest digest", target);
        memcpy(digest, text, len);
        digest[len] = '\0';
        return 0;
}

/* ---- referrers (the SBOMs) ---- */

#define MT_INDEX        "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define MAX_REFERRERS   64
#define MAX_REFERRERS_S "64"

struct referrer {
        json_t *descriptor; /* mediaType, digest, size, artifactType, annotations */
        char *subject;      /* "sha256:…" of the image it describes */
};

/* A blob of the layout, named by a descriptor's digest (checked: it is a path component). */
static int read_blob(const char *out, const char *digest, json_t **doc, struct distill_error *err)
{
        if (!digest || strncmp(digest, "sha256:", 7) || !sha256_hex_valid(digest + 7))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: a descriptor's digest is not "
                                         "sha256:<64 hex digits>",
                                         out);
        cleanup_free char *path = xasprintf("%s/blobs/sha256/%s", out, digest + 7);
        cleanup_free char *text = NULL;
        size_t len;
        int e = read_file_capped(path, REGISTRY_MAX_MANIFEST, &text, &len);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "%s", path);
        json_error_t jerr;
        *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(*doc)) {
                json_decref(*doc);
                *doc = NULL;
                return distill_error_set(err, DISTILL_EUSAGE, "%s: not a JSON object: %s", path,
                                         jerr.text);
        }
        return 0;
}

/* The referrers index.json lists (unnamed image indexes), as the descriptors the referrers API
 * returns: the artifact manifest's mediaType, digest and size, with its artifactType and
 * annotations. */
static int add_referrer(const char *out, json_t *d, struct referrer *v, size_t *n,
                        struct distill_error *err)
{
        json_t *m = NULL;
        const char *digest = json_string_value(json_object_get(d, "digest"));
        int r = read_blob(out, digest, &m, err);
        if (r < 0)
                return r;
        const char *subject =
            json_string_value(json_object_get(json_object_get(m, "subject"), "digest"));
        const char *type = json_string_value(json_object_get(m, "artifactType"));
        if (!subject || !type || strncmp(subject, "sha256:", 7) || !sha256_hex_valid(subject + 7) ||
            !json_is_integer(json_object_get(d, "size")) || *n >= MAX_REFERRERS) {
                json_decref(m);
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: referrer %s has no artifactType, subject or size (or "
                                         "more than " MAX_REFERRERS_S " referrers)",
                                         out, digest);
        }
        json_t *desc = json_object();
        json_object_set_new(desc, "mediaType", json_string(MT_MANIFEST));
        json_object_set(desc, "digest", json_object_get(d, "digest"));
        json_object_set(desc, "size", json_object_get(d, "size"));
        json_object_set_new(desc, "artifactType", json_string(type));
        if (json_is_object(json_object_get(m, "annotations")))
                json_object_set(desc, "annotations", json_object_get(m, "annotations"));
        v[*n] = (struct referrer){desc, xstrdup(subject)};
        (*n)++;
        json_decref(m);
        return 0;
}

static int read_referrers(const char *out, struct referrer *v, size_t *n, struct distill_error *err)
{
        json_t *idx = NULL, *entry, *list = NULL, *d;
        size_t i, j;
        cleanup_free char *path = path_join(out, "index.json");
        json_error_t jerr;
        int r = 0;

        *n = 0;
        idx = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!idx)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: %s", path, jerr.text);
        json_array_foreach(json_object_get(idx, "manifests"), i, entry)
        {
                const char *type = json_string_value(json_object_get(entry, "mediaType"));
                if (r < 0 || !type || strcmp(type, MT_INDEX) ||
                    json_object_get(json_object_get(entry, "annotations"),
                                    "org.opencontainers.image.ref.name"))
                        continue; /* an image (or the named index of several) */
                r = read_blob(out, json_string_value(json_object_get(entry, "digest")), &list, err);
                json_array_foreach(r < 0 ? NULL : json_object_get(list, "manifests"), j, d)
                {
                        if (r >= 0)
                                r = add_referrer(out, d, v, n, err);
                }
                json_decref(list);
                list = NULL;
        }
        json_decref(idx);
        return r;
}

/* A layout beside OUT that names each artifact manifest (OUT is never written): its blobs are
 * OUT's, through a link. */
static int referrers_layout(const char *out, const struct referrer *v, size_t n, char **dir,
                            struct distill_error *err)
{
        *dir = temp_dir_make("referrers");
        if (!*dir)
                return distill_error_errno(err, DISTILL_EIO, errno,
                                           "cannot make a temporary directory");
        cleanup_free char *abs = realpath(out, NULL);
        cleanup_free char *blobs = abs ? path_join(abs, "blobs") : NULL;
        cleanup_free char *link = path_join(*dir, "blobs");
        if (!blobs || symlink(blobs, link) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s: cannot link its blobs",
                                           out);
        json_t *manifests = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *d = json_object();
                json_object_set_new(d, "mediaType", json_string(MT_MANIFEST));
                json_object_set(d, "digest", json_object_get(v[i].descriptor, "digest"));
                json_object_set(d, "size", json_object_get(v[i].descriptor, "size"));
                cleanup_free char *name = xasprintf("r%zu", i);
                json_t *ann = json_object();
                json_object_set_new(ann, "org.opencontainers.image.ref.name", json_string(name));
                json_object_set_new(d, "annotations", ann);
                json_array_append_new(manifests, d);
        }
        json_t *idx = json_object();
        json_object_set_new(idx, "schemaVersion", json_integer(2));
        json_object_set_new(idx, "manifests", manifests);
        char *text = json_dumps(idx, JSON_COMPACT);
        json_decref(idx);
        cleanup_free char *index = path_join(*dir, "index.json");
        cleanup_free char *layout = path_join(*dir, "oci-layout");
        static const char version[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        int e = write_file_atomic(layout, version, strlen(version), 0644);
        if (!e)
                e = write_file_atomic(index, text, strlen(text), 0644);
        free(text);
        return e < 0 ? distill_error_errno(err, DISTILL_EIO, -e, "%s", *dir) : 0;
}

/* The referrers tag's index for one subject: what the registry already lists there (other
 * tools' referrers stay), plus distill's, each digest once. */
static int push_referrers_index(struct registry *reg, const char *subject, const struct referrer *v,
                                size_t n, struct distill_error *err)
{
        cleanup_free char *tag = xasprintf("sha256-%s", subject + 7);
        char *body = NULL, *type = NULL;
        size_t len = 0;
        bool found = false;
        int r = registry_get_manifest(reg, tag, MT_INDEX, &body, &len, &type, &found, err);
        if (r < 0)
                return r;
        json_t *have = found ? json_loadb(body, len, 0, NULL) : NULL;
        free(body);
        free(type);
        json_t *manifests = json_array();
        json_t *d;
        size_t i;
        json_array_foreach(json_object_get(have, "manifests"), i, d)
        {
                if (json_is_object(d) && json_is_string(json_object_get(d, "digest")))
                        json_array_append(manifests, d);
        }
        json_decref(have);
        for (size_t k = 0; k < n; k++) {
                if (strcmp(v[k].subject, subject) != 0)
                        continue;
                const char *dig = json_string_value(json_object_get(v[k].descriptor, "digest"));
                bool dup = false;
                json_array_foreach(manifests, i, d)
                {
                        dup = dup || !strcmp(json_string_value(json_object_get(d, "digest")), dig);
                }
                if (!dup)
                        json_array_append(manifests, v[k].descriptor);
        }
        json_t *idx = json_object();
        json_object_set_new(idx, "schemaVersion", json_integer(2));
        json_object_set_new(idx, "mediaType", json_string(MT_INDEX));
        json_object_set_new(idx, "manifests", manifests);
        char *text = json_dumps(idx, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(idx);
        r = registry_put_manifest(reg, tag, MT_INDEX, text, strlen(text), err);
        free(text);
        return r;
}

/* The artifact manifests v[] (their blobs in the layout at `blobs_of`) to dest's repository by
 * digest, then each subject's referrers tag index through reg (dest's registry). */
static int push_referrers(const char *skopeo, struct registry *reg, const char *blobs_of,
                          struct referrer *v, size_t n, const char *dest, bool tls_verify,
                          struct publish_result *res, struct distill_error *err)
{
        cleanup_free char *dir = NULL, *repo = NULL, *tag = NULL;
        int r;

        oci_split_ref(dest, &repo, &tag);
        if ((r = referrers_layout(blobs_of, v, n, &dir, err)) < 0)
                goto out;
        for (size_t i = 0; i < n && r >= 0; i++) {
                cleanup_free char *src = xasprintf("oci:%s:r%zu", dir, i);
                cleanup_free char *target = xasprintf(
                    "%s@%s", repo, json_string_value(json_object_get(v[i].descriptor, "digest")));
                r = skopeo_copy(skopeo, src, target, tls_verify, false, NULL, err);
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                bool first = true;
                for (size_t k = 0; k < i; k++)
                        first = first && strcmp(v[k].subject, v[i].subject) != 0;
                if (!first)
                        continue;
                r = push_referrers_index(reg, v[i].subject, v, n, err);
                if (r >= 0)
                        strvec_push_nodup(&res->referrer_tags,
                                          xasprintf("sha256-%s", v[i].subject + 7));
        }
        if (r >= 0)
                res->n_referrers = n;
out:
        if (dir)
                rm_rf(dir);
        return r;
}

static void referrers_release(struct referrer *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                json_decref(v[i].descriptor);
                free(v[i].subject);
        }
}

/* An OCI layout's referrers, as the build attached them. */
static int layout_referrers_push(const char *skopeo, const char *out, const char *dest,
                                 bool tls_verify, struct publish_result *res,
                                 struct distill_error *err)
{
        struct referrer v[MAX_REFERRERS];
        struct registry *reg = NULL;
        size_t n = 0;
        int r = read_referrers(out, v, &n, err);
        if (r >= 0 && n > 0)
                r = registry_open(dest, tls_verify, &reg, err);
        if (r >= 0 && n > 0)
                r = push_referrers(skopeo, reg, out, v, n, dest, tls_verify, res, err);
        registry_free(reg);
        referrers_release(v, n);
        return r;
}

/* A docker-archive's SBOMs (OUT.spdx.json, OUT.cdx.json beside it) made into referrers of the
 * manifest skopeo pushed — Docker's schema 2, whose digest only the push gives — in a temporary
 * layout, then pushed as a layout's are. */
static int archive_referrers_push(const char *skopeo, const char *out, const char *dest,
                                  bool tls_verify, struct publish_result *res,
                                  struct distill_error *err)
{
        static const struct {
                const char *suffix, *type;
        } sboms[] = {{"spdx.json", "application/spdx+json"},
                     {"cdx.json", "application/vnd.cyclonedx+json"}};
        struct oci_written subject = {0};
        struct referrer v[2];
        size_t n = 0;
        struct registry *reg = NULL;
        char *body = NULL, *type = NULL;
        size_t len = 0;
        bool found = false;
        int64_t created = 0;
        cleanup_free char *dir = temp_dir_make("archive-sboms");
        int r =
            dir ? 0
                : distill_error_errno(err, DISTILL_EIO, errno, "cannot make a temporary directory");

        if (r >= 0)
                r = source_date_epoch(&created, err);
        if (r >= 0)
                r = registry_open(dest, tls_verify, &reg, err);
        if (r >= 0)
                r = registry_get_manifest(
                    reg, res->digest,
                    "application/vnd.docker.distribution.manifest.v2+json, " MT_MANIFEST, &body,
                    &len, &type, &found, err);
        if (r >= 0 && (!found || !type || strlen(type) >= sizeof(subject.manifest_media_type)))
                r = distill_error_set(err, DISTILL_EIO,
                                      "%s: the manifest just pushed (%s) is not served",
                                      registry_name(reg), res->digest);
        if (r >= 0) {
                memcpy(subject.manifest_digest, res->digest + 7, SHA256_HEX_LEN + 1);
                subject.manifest_size = len;
                strcpy(subject.manifest_media_type, type);
        }
        for (size_t i = 0; i < 2 && r >= 0; i++) {
                cleanup_free char *path = xasprintf("%s.%s", out, sboms[i].suffix);
                cleanup_free char *text = NULL;
                size_t tlen;
                int e = read_file_capped(path, 256u << 20, &text, &tlen);
                if (e == -ENOENT)
                        continue; /* built before distill wrote SBOMs */
                if (e < 0 || strlen(text) != tlen) {
                        r = distill_error_errno(err, DISTILL_EIO, e < 0 ? -e : EINVAL, "%s", path);
                        break;
                }
                r = oci_write_referrer(dir, &subject, sboms[i].type, text, created, err);
        }
        for (size_t i = 0; i < subject.n_referrers && r >= 0; i++) {
                json_t *d = json_object();
                json_object_set_new(d, "digest",
                                    json_sprintf("sha256:%s", subject.referrers[i].digest));
                json_object_set_new(d, "size", json_integer((json_int_t)subject.referrers[i].size));
                r = add_referrer(dir, d, v, &n, err);
                json_decref(d);
        }
        if (r >= 0 && n > 0)
                r = push_referrers(skopeo, reg, dir, v, n, dest, tls_verify, res, err);
        referrers_release(v, n);
        registry_free(reg);
        free(body);
        free(type);
        if (dir)
                rm_rf(dir);
        return r;
}

void publish_result_release(struct publish_result *res)
{
        strvec_clear(&res->referrer_tags);
}

int publish_image(const char *out, const char *dest, bool tls_verify, struct publish_result *res,
                  struct distill_error *err)
{
        cleanup_free char *skopeo = spawn_find_program("skopeo");
        cleanup_free char *src = NULL;
        const char *why = NULL;
        int r;

        memset(res, 0, sizeof(*res));
        if (!image_ref_valid(dest, &why))
                return distill_error_set(err, DISTILL_EUSAGE, "%s is not a valid reference: %s",
                                         dest, why);
        if (!skopeo)
                return distill_error_set(err, DISTILL_EIO,
                                         "publishing needs skopeo, which is not installed "
                                         "(Debian package skopeo)");
        r = source_of(out, &src, &res->index, err);
        if (r < 0)
                return r;
        r = skopeo_copy(skopeo, src, dest, tls_verify, res->index, res->digest, err);
        if (r < 0)
                return distill_error_prefix(err, "publishing %s to %s: ", out, dest);
        if (strncmp(src, "oci:", 4) == 0)
                r = layout_referrers_push(skopeo, out, dest, tls_verify, res, err);
        else
                r = archive_referrers_push(skopeo, out, dest, tls_verify, res, err);
        return r < 0 ? distill_error_prefix(err, "publishing the SBOMs of %s to %s: ", out, dest)
                     : 0;
}
