/* docker-archive from OCI blobs: read back with libarchive, manifest.json names the config and
 * each layer, the config is the blob's bytes, each layer.tar hashes to its diff_id (gzip and
 * zstd blobs alike), repositories maps the reference's repository and tag, and the archive is
 * the same bytes twice. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/digest.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/image/dockerarchive.h"
#include "distill/image/layer.h"
#include "fixture.h"

struct member {
        char *name;
        char *data;
        size_t len;
};

/* Every regular member of the tar, in order. */
static size_t read_members(const char *path, struct member *out, size_t max)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        size_t n = 0;
        archive_read_support_format_tar(a);
        assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK && n < max) {
                if (archive_entry_filetype(e) != AE_IFREG)
                        continue;
                size_t len = (size_t)archive_entry_size(e);
                out[n].name = xstrdup(archive_entry_pathname(e));
                out[n].data = xmalloc(len + 1);
                assert_int_equal(archive_read_data(a, out[n].data, len), (la_ssize_t)len);
                out[n].data[len] = '\0';
                out[n].len = len;
                n++;
        }
        archive_read_free(a);
        return n;
}

static const struct member *find(const struct member *m, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(m[i].name, name))
                        return &m[i];
        return NULL;
}

static void test_archive(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        char *blobs = path_join(tmp, "blobs"), *staging = path_join(tmp, "staging");
        struct distill_error err = {0};
        struct store *st = NULL;
        struct plan *plan = plan_new();
        struct layer_desc layers[2];
        assert_int_equal(fixture_sh("mkdir -p '%s'", blobs), 0);
        assert_int_equal(store_open(staging, &st, &err), 0);
        struct plan_entry d = {.path = "/etc", .type = PLAN_DIR, .mode = 0755};
        struct plan_entry f = {.path = "/etc/hostname", .type = PLAN_FILE, .mode = 0644, .size = 6};
        assert_int_equal(store_put_mem(st, "image\n", 6, f.digest, &err), 0);
        plan_add(plan, &d, NULL);
        plan_add(plan, &f, NULL);
        size_t n;
        struct plan_entry *const *all = plan_sorted(plan, &n);
        assert_int_equal(layer_write_as(all, n, st, 0, blobs, LAYER_GZIP, 0, &layers[0], &err), 0);
        assert_int_equal(layer_write_as(all, 1, st, 0, blobs, LAYER_ZSTD, 0, &layers[1], &err), 0);
        const char *config = "{\"architecture\":\"amd64\"}";
        char config_hex[SHA256_HEX_LEN + 1];
        sha256_hex(config, strlen(config), config_hex);
        char *config_path = path_join(blobs, config_hex);
        fixture_write(config_path, config);

        char *a = path_join(tmp, "a.tar"), *b = path_join(tmp, "b.tar");
        int r = docker_archive_write(blobs, "localhost/app:1.0", config_hex, layers, 2, 0, a, &err);
        if (r < 0)
                print_error("%s\n", err.msg);
        assert_int_equal(r, 0);
        assert_int_equal(
            docker_archive_write(blobs, "localhost/app:1.0", config_hex, layers, 2, 0, b, &err), 0);
        assert_int_equal(fixture_sh("cmp -s '%s' '%s'", a, b), 0);

        struct member m[16] = {0};
        size_t count = read_members(a, m, 16);
        const struct member *man = find(m, count, "manifest.json");
        assert_non_null(man);
        json_t *j = json_loads(man->data, 0, NULL);
        json_t *e = json_array_get(j, 0);
        char *config_name = xasprintf("%s.json", config_hex);
        assert_string_equal(json_string_value(json_object_get(e, "Config")), config_name);
        assert_string_equal(json_string_value(json_array_get(json_object_get(e, "RepoTags"), 0)),
                            "localhost/app:1.0");
        const struct member *cfg = find(m, count, config_name);
        assert_non_null(cfg);
        assert_string_equal(cfg->data, config);
        for (size_t i = 0; i < 2; i++) {
                const char *name =
                    json_string_value(json_array_get(json_object_get(e, "Layers"), i));
                const struct member *l = find(m, count, name);
                assert_non_null(l);
                char hex[SHA256_HEX_LEN + 1];
                sha256_hex(l->data, l->len, hex);
                assert_string_equal(hex, layers[i].diff_id);
                assert_int_equal(l->len, layers[i].tar_size);
        }
        json_decref(j);
        const struct member *repos = find(m, count, "repositories");
        assert_non_null(repos);
        json_t *rj = json_loads(repos->data, 0, NULL);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(rj, "localhost/app"), "1.0")),
            layers[1].diff_id);
        json_decref(rj);

        for (size_t i = 0; i < count; i++) {
                free(m[i].name);
                free(m[i].data);
        }
        free(config_name);
        free(config_path);
        free(a);
        free(b);
        plan_free(plan);
        store_free(st);
        free(blobs);
        free(staging);
        fixture_cleanup(tmp);
        free(tmp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_archive),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
