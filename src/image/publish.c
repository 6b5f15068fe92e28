/* Publishing through skopeo (publish.h). */
#include "distill/image/publish.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/spawn.h"
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

int publish_image(const char *out, const char *dest, bool tls_verify, struct publish_result *res,
                  struct distill_error *err)
{
        static const char *const credentials[] = {
            "HOME",        "XDG_RUNTIME_DIR", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG",
            "http_proxy",  "https_proxy",     "no_proxy",           "HTTP_PROXY",
            "HTTPS_PROXY", "NO_PROXY",        "SSL_CERT_FILE",      "SSL_CERT_DIR",
            NULL};
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
        cleanup_free char *digestfile = xasprintf("%s/distill-digest-XXXXXX", temp_base());
        int fd = mkstemp(digestfile);
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot make %s", digestfile);
        close(fd);
        cleanup_free char *target = xasprintf("docker://%s", dest);
        cleanup_free char *tls = xasprintf("--dest-tls-verify=%s", tls_verify ? "true" : "false");
        /* --preserve-digests: the registry gets exactly the manifest (and index) distill wrote,
         * so the digest pushed is the one the build printed */
        char *argv[] = {skopeo,
                        "copy",
                        "--quiet",
                        "--retry-times",
                        "2",
                        tls,
                        "--digestfile",
                        digestfile,
                        "--preserve-digests",
                        res->index ? "--all" : "--quiet",
                        src,
                        target,
                        NULL};
        struct spawn_opts o = {.argv = argv,
                               .name = "skopeo copy",
                               .pass_env = credentials,
                               .timeout_s = PUBLISH_TIMEOUT_S,
                               .out_cap = 1 << 20};
        struct spawn_result sr;
        r = spawn_run(&o, &sr, err);
        if (r >= 0)
                r = spawn_check_exit(&o, &sr, err);
        spawn_result_release(&sr);
        if (r < 0) {
                unlink(digestfile);
                return distill_error_prefix(err, "publishing %s to %s: ", out, dest);
        }
        cleanup_free char *digest = NULL;
        size_t len;
        int e = read_file_capped(digestfile, 256, &digest, &len);
        unlink(digestfile);
        if (e < 0 || len != sizeof(res->digest) - 1 || strncmp(digest, "sha256:", 7))
                return distill_error_set(err, DISTILL_EIO,
                                         "skopeo pushed %s but reported no manifest digest", dest);
        memcpy(res->digest, digest, len);
        return 0;
}
