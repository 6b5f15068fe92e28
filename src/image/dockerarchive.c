/* docker-archive from an OCI image's blobs (dockerarchive.h). */
#include "distill/image/dockerarchive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/image/oci.h"

#define CHUNK 65536

static int tar_error(struct archive *a, const char *path, struct distill_error *err)
{
        return distill_error_set(err, DISTILL_EIO, "writing %s: %s", path,
                                 archive_error_string(a) ? archive_error_string(a) : "failed");
}

static struct archive_entry *file_entry(const char *name, int64_t size, int64_t epoch)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, size);
        archive_entry_set_mtime(e, (time_t)epoch, 0);
        return e;
}

static int add_bytes(struct archive *a, const char *name, const void *data, size_t len,
                     int64_t epoch, const char *path, struct distill_error *err)
{
        struct archive_entry *e = file_entry(name, (int64_t)len, epoch);
        int ok = archive_write_header(a, e) == ARCHIVE_OK &&
                 (len == 0 || archive_write_data(a, data, len) == (la_ssize_t)len);
        archive_entry_free(e);
        return ok ? 0 : tar_error(a, path, err);
}

static int add_dir(struct archive *a, const char *name, int64_t epoch, const char *path,
                   struct distill_error *err)
{
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
        archive_entry_set_mtime(e, (time_t)epoch, 0);
        int ok = archive_write_header(a, e) == ARCHIVE_OK;
        archive_entry_free(e);
        return ok ? 0 : tar_error(a, path, err);
}

/* The layer blob, gunzipped on the fly into the entry (its size is the tar's, known). */
static int add_layer(struct archive *a, const char *blobs_dir, const struct layer_desc *l,
                     int64_t epoch, const char *path, struct distill_error *err)
{
        cleanup_free char *blob = xasprintf("%s/%s", blobs_dir, l->digest);
        cleanup_free char *name = xasprintf("%s/layer.tar", l->diff_id);
        struct archive *in = archive_read_new();
        struct archive_entry *ie;
        char buf[CHUNK];
        uint64_t copied = 0;
        int r = 0;

        archive_read_support_filter_gzip(in);
        archive_read_support_filter_zstd(in);
        archive_read_support_format_raw(in);
        if (archive_read_open_filename(in, blob, CHUNK) != ARCHIVE_OK ||
            archive_read_next_header(in, &ie) != ARCHIVE_OK) {
                r = distill_error_set(err, DISTILL_EIO, "reading the layer %s: %s", blob,
                                      archive_error_string(in));
                goto out;
        }
        struct archive_entry *e = file_entry(name, (int64_t)l->tar_size, epoch);
        int ok = archive_write_header(a, e) == ARCHIVE_OK;
        archive_entry_free(e);
        if (!ok) {
                r = tar_error(a, path, err);
                goto out;
        }
        for (;;) {
                la_ssize_t n = archive_read_data(in, buf, sizeof(buf));
                if (n == 0)
                        break;
                if (n < 0) {
                        r = distill_error_set(err, DISTILL_EIO, "reading the layer %s: %s", blob,
                                              archive_error_string(in));
                        goto out;
                }
                if (archive_write_data(a, buf, (size_t)n) != n) {
                        r = tar_error(a, path, err);
                        goto out;
                }
                copied += (uint64_t)n;
        }
        if (copied != l->tar_size)
                r = distill_error_set(err, DISTILL_EINTERNAL,
                                      "the layer %s holds %llu bytes, not the %llu written", blob,
                                      (unsigned long long)copied, (unsigned long long)l->tar_size);
out:
        archive_read_free(in);
        return r;
}

static char *json_text(json_t *j)
{
        char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(j);
        return s;
}

static int write_entries(struct archive *a, const char *blobs_dir, const char *ref,
                         const char *config_hex, const struct layer_desc *layers, size_t n,
                         int64_t epoch, const char *path, struct distill_error *err)
{
        cleanup_free char *config_name = xasprintf("%s.json", config_hex);
        cleanup_free char *config_path = xasprintf("%s/%s", blobs_dir, config_hex);
        cleanup_free char *config = NULL;
        cleanup_free char *repo = NULL, *tag = NULL;
        size_t config_len;
        int r;

        int e = read_file(config_path, &config, &config_len);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot read %s", config_path);
        oci_split_ref(ref, &repo, &tag);
        json_t *layer_names = json_array();
        for (size_t i = 0; i < n; i++) {
                cleanup_free char *name = xasprintf("%s/layer.tar", layers[i].diff_id);
                json_array_append_new(layer_names, json_string(name));
        }
        json_t *entry = json_object();
        json_object_set_new(entry, "Config", json_string(config_name));
        json_t *tags = json_array();
        json_array_append_new(tags, json_string(ref));
        json_object_set_new(entry, "RepoTags", tags);
        json_object_set_new(entry, "Layers", layer_names);
        json_t *manifest = json_array();
        json_array_append_new(manifest, entry);
        cleanup_free char *manifest_text = json_text(manifest);
        json_t *repositories = json_object();
        json_t *tagmap = json_object();
        json_object_set_new(tagmap, tag ? tag : "latest",
                            json_string(n ? layers[n - 1].diff_id : config_hex));
        json_object_set_new(repositories, repo, tagmap);
        cleanup_free char *repositories_text = json_text(repositories);

        r = add_bytes(a, config_name, config, config_len, epoch, path, err);
        for (size_t i = 0; i < n && r >= 0; i++) {
                cleanup_free char *version = xasprintf("%s/VERSION", layers[i].diff_id);
                cleanup_free char *legacy = xasprintf("%s/json", layers[i].diff_id);
                json_t *lj = json_object();
                json_object_set_new(lj, "id", json_string(layers[i].diff_id));
                if (i > 0)
                        json_object_set_new(lj, "parent", json_string(layers[i - 1].diff_id));
                cleanup_free char *lj_text = json_text(lj);
                r = add_dir(a, layers[i].diff_id, epoch, path, err);
                if (r >= 0)
                        r = add_bytes(a, version, "1.0", 3, epoch, path, err);
                if (r >= 0)
                        r = add_bytes(a, legacy, lj_text, strlen(lj_text), epoch, path, err);
                if (r >= 0)
                        r = add_layer(a, blobs_dir, &layers[i], epoch, path, err);
        }
        if (r >= 0)
                r = add_bytes(a, "manifest.json", manifest_text, strlen(manifest_text), epoch, path,
                              err);
        if (r >= 0)
                r = add_bytes(a, "repositories", repositories_text, strlen(repositories_text),
                              epoch, path, err);
        return r;
}

int docker_archive_write(const char *blobs_dir, const char *ref, const char *config_hex,
                         const struct layer_desc *layers, size_t n_layers, int64_t epoch,
                         const char *path, struct distill_error *err)
{
        struct archive *a = archive_write_new();
        int r;

        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open_filename(a, path) != ARCHIVE_OK) {
                r = tar_error(a, path, err);
                archive_write_free(a);
                return r;
        }
        r = write_entries(a, blobs_dir, ref, config_hex, layers, n_layers, epoch, path, err);
        if (archive_write_close(a) != ARCHIVE_OK && r >= 0)
                r = tar_error(a, path, err);
        archive_write_free(a);
        return r;
}
