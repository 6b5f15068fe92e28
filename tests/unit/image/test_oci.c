#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "distill/base/arch.h"
#include "distill/base/util.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/image/layer.h"
#include "distill/image/oci.h"
#include "fixture.h"

#define REF "localhost/test:latest"
#ifndef DISTILL_VERSION /* the build passes it to the library and the tests alike */
#define DISTILL_VERSION "dev"
#endif

struct world {
        char *tmp;
        struct store *st;
        struct plan *plan;
        struct image_config cfg;
};

static void add_entry(struct world *w, const char *path, enum plan_type type, unsigned mode,
                      const char *data_or_target)
{
        struct distill_error err = {0};
        struct plan_entry e = {.path = (char *)path, .type = type, .mode = mode};
        if (type == PLAN_FILE) {
                e.size = strlen(data_or_target);
                assert_int_equal(store_put_mem(w->st, data_or_target, e.size, e.digest, &err), 0);
        } else if (type == PLAN_SYMLINK) {
                e.target = (char *)data_or_target;
        }
        if (strncmp(path, "/home/app", 9) == 0)
                e.uid = e.gid = 1000;
        plan_add(w->plan, &e, NULL);
}

static int setup(void **state)
{
        struct world *w = xcalloc(1, sizeof(*w));
        struct distill_error err = {0};
        w->tmp = fixture_tmpdir();
        char *sdir = path_join(w->tmp, "store");
        assert_int_equal(store_open(sdir, &w->st, &err), 0);
        free(sdir);
        w->plan = plan_new();
        add_entry(w, "/etc", PLAN_DIR, 0755, NULL);
        add_entry(w, "/etc/hello.txt", PLAN_FILE, 0644, "hello from distill\n");
        add_entry(w, "/home", PLAN_DIR, 0755, NULL);
        add_entry(w, "/home/app", PLAN_DIR, 0755, NULL);
        add_entry(w, "/usr", PLAN_DIR, 0755, NULL);
        add_entry(w, "/usr/bin", PLAN_DIR, 0755, NULL);
        add_entry(w, "/usr/bin/tool", PLAN_FILE, 0755, "#!/bin/sh\necho hi\n");
        add_entry(w, "/usr/bin/tool-link", PLAN_SYMLINK, 0777, "tool");

        struct image_config *c = &w->cfg;
        c->arch = "amd64";
        c->user = "1000:1000";
        strvec_push(&c->env, "PATH=/usr/local/bin:/usr/bin:/bin");
        strvec_push(&c->env, "LANG=C.UTF-8");
        strvec_push(&c->entrypoint, "/usr/bin/tool");
        strvec_push(&c->entrypoint, "--flag");
        c->workdir = "/home/app";
        strvec_push(&c->label_keys, "org.opencontainers.image.title");
        strvec_push(&c->label_values, "test");
        strvec_push(&c->exposed_ports, "8080");
        strvec_push(&c->volumes, "/data");
        c->stop_signal = "SIGINT";
        c->created = 1700000000;
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        struct world *w = *state;
        plan_free(w->plan);
        store_free(w->st);
        strvec_clear(&w->cfg.env);
        strvec_clear(&w->cfg.entrypoint);
        strvec_clear(&w->cfg.cmd);
        strvec_clear(&w->cfg.label_keys);
        strvec_clear(&w->cfg.label_values);
        strvec_clear(&w->cfg.exposed_ports);
        strvec_clear(&w->cfg.volumes);
        strvec_clear(&w->cfg.annotation_keys);
        strvec_clear(&w->cfg.annotation_values);
        fixture_cleanup(w->tmp);
        free(w->tmp);
        free(w);
        return 0;
}

/* One image under ref: its blobs, then index.json, as a build writes them. */
static int write_layout(const char *out_dir, const char *ref, const struct image_config *cfg,
                        const struct layer_desc *layers, size_t n_layers, struct oci_written *res,
                        struct distill_error *err)
{
        int r = oci_write_image(out_dir, cfg, layers, n_layers, res, err);
        if (r < 0)
                return r;
        const char *archs[] = {cfg->arch};
        return oci_write_index(out_dir, ref, archs, res, 1, err);
}

/* Write a whole layout (one layer) to tmp/<name>; returns the OUT path. */
static char *write_image(struct world *w, const char *name, struct layer_desc *layer,
                         struct oci_written *res)
{
        struct distill_error err = {0};
        char *out = path_join(w->tmp, name);
        char *blobs = xasprintf("%s/blobs/sha256", out);
        assert_int_equal(mkdir_p(blobs, 0755), 0);
        size_t n;
        struct plan_entry *const *entries = plan_sorted(w->plan, &n);
        if (layer_write(entries, n, w->st, w->cfg.created, blobs, layer, &err) != 0)
                fail_msg("layer_write: %s", err.msg);
        if (write_layout(out, REF, &w->cfg, layer, 1, res, &err) != 0)
                fail_msg("oci_write_layout: %s", err.msg);
        free(blobs);
        return out;
}

static json_t *load_json(const char *path)
{
        json_error_t jerr;
        json_t *j = json_load_file(path, 0, &jerr);
        if (!j)
                fail_msg("%s: %s", path, jerr.text);
        return j;
}

static void test_rfc3339(void **state)
{
        (void)state;
        char buf[32];
        rfc3339_utc(0, buf);
        assert_string_equal(buf, "1970-01-01T00:00:00Z");
        rfc3339_utc(1767225600, buf);
        assert_string_equal(buf, "2026-01-01T00:00:00Z");
        rfc3339_utc(1700000000, buf);
        assert_string_equal(buf, "2023-11-14T22:13:20Z");
}

static void test_layout_files(void **state)
{
        struct world *w = *state;
        struct layer_desc layer;
        struct oci_written res;
        char *out = write_image(w, "img", &layer, &res);

        char *layout = NULL;
        size_t len;
        char *p = path_join(out, "oci-layout");
        assert_int_equal(read_file(p, &layout, &len), 0);
        assert_string_equal(layout, "{\"imageLayoutVersion\":\"1.0.0\"}");
        free(layout);
        free(p);

        /* Every blob hashes to its name (manifest, config, layer). */
        assert_int_equal(fixture_sh("cd '%s/blobs/sha256' && for f in *; do "
                                    "echo \"$f  $f\"; done | sha256sum -c --quiet",
                                    out),
                         0);
        char *count = fixture_sh_out("ls '%s/blobs/sha256' | wc -l", out);
        assert_int_equal(atoi(count), 3);
        free(count);

        /* The config: fixed key order, compact, omitted fields absent. */
        char *cpath = xasprintf("%s/blobs/sha256/%s", out, res.config_digest);
        char *config = NULL;
        assert_int_equal(read_file(cpath, &config, &len), 0);
        char *want = xasprintf(
            "{\"created\":\"2023-11-14T22:13:20Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
            "\"config\":{\"User\":\"1000:1000\",\"ExposedPorts\":{\"8080/tcp\":{}},\"Env\":["
            "\"PATH=/usr/local/bin:/usr/bin:/bin\",\"LANG=C.UTF-8\"],\"Entrypoint\":["
            "\"/usr/bin/tool\",\"--flag\"],\"WorkingDir\":\"/home/app\",\"Labels\":{"
            "\"org.opencontainers.image.title\":\"test\"},\"Volumes\":{\"/data\":{}},"
            "\"StopSignal\":\"SIGINT\"},\"rootfs\":{\"type\":\"layers\","
            "\"diff_ids\":[\"sha256:%s\"]},\"history\":[{\"created\":\"2023-11-14T22:13:20Z\","
            "\"created_by\":\"distill %s\"}]}",
            layer.diff_id, DISTILL_VERSION);
        assert_string_equal(config, want);
        free(want);
        free(config);
        free(cpath);

        /* The manifest names the config and the layer by digest and size. */
        char *mpath = xasprintf("%s/blobs/sha256/%s", out, res.manifest_digest);
        json_t *m = load_json(mpath);
        assert_int_equal(json_integer_value(json_object_get(m, "schemaVersion")), 2);
        assert_string_equal(json_string_value(json_object_get(m, "mediaType")),
                            "application/vnd.oci.image.manifest.v1+json");
        json_t *l0 = json_array_get(json_object_get(m, "layers"), 0);
        assert_string_equal(json_string_value(json_object_get(l0, "mediaType")),
                            "application/vnd.oci.image.layer.v1.tar+gzip");
        char *ld = xasprintf("sha256:%s", layer.digest);
        assert_string_equal(json_string_value(json_object_get(l0, "digest")), ld);
        assert_int_equal(json_integer_value(json_object_get(l0, "size")), layer.size);
        assert_null(json_object_get(m, "annotations")); /* none asked for */
        free(ld);
        json_decref(m);
        char *msize = fixture_sh_out("stat -c %%s '%s'", mpath);
        assert_int_equal(strtoull(msize, NULL, 10), res.manifest_size);
        free(msize);
        free(mpath);

        /* index.json: the full reference and the platform. */
        char *ipath = path_join(out, "index.json");
        json_t *idx = load_json(ipath);
        json_t *d = json_array_get(json_object_get(idx, "manifests"), 0);
        assert_string_equal(json_string_value(json_object_get(idx, "mediaType")),
                            "application/vnd.oci.image.index.v1+json");
        assert_string_equal(json_string_value(json_object_get(json_object_get(d, "annotations"),
                                                              "org.opencontainers.image.ref.name")),
                            REF);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(d, "platform"), "architecture")),
            "amd64");
        json_decref(idx);
        free(ipath);
        free(out);
}

/* The manifest's annotations: in the order given, after the layers; skopeo reads them. */
static void test_manifest_annotations(void **state)
{
        struct world *w = *state;
        struct layer_desc layer;
        struct oci_written res;
        strvec_push(&w->cfg.annotation_keys, "io.distill.version");
        strvec_push(&w->cfg.annotation_values, "1.2.3");
        strvec_push(&w->cfg.annotation_keys, "io.distill.rules.digest");
        strvec_push(&w->cfg.annotation_values, "sha256:abc");
        char *out = write_image(w, "annotated", &layer, &res);
        char *mpath = xasprintf("%s/blobs/sha256/%s", out, res.manifest_digest);
        char *text = NULL;
        size_t len;
        assert_int_equal(read_file(mpath, &text, &len), 0);
        assert_non_null(strstr(text, "],\"annotations\":{\"io.distill.version\":\"1.2.3\","
                                     "\"io.distill.rules.digest\":\"sha256:abc\"}}"));
        char *seen = fixture_sh_out("skopeo inspect --raw 'oci:%s:%s' | /usr/bin/python3.11 -c "
                                    "'import json,sys; "
                                    "print(json.load(sys.stdin)[\"annotations\"]"
                                    "[\"io.distill.version\"])'",
                                    out, REF);
        assert_non_null(seen);
        assert_string_equal(seen, "1.2.3\n");
        free(seen);
        free(text);
        free(mpath);
        free(out);
}

static void test_real_tools_accept_the_layout(void **state)
{
        struct world *w = *state;
        struct layer_desc layer;
        struct oci_written res;
        char *out = write_image(w, "img", &layer, &res);

        assert_int_equal(fixture_sh("oci-image-tool validate --type image --ref name=" REF
                                    " '%s' >/dev/null",
                                    out),
                         0);

        char *js = fixture_sh_out("skopeo inspect --config 'oci:%s:" REF "'", out);
        assert_non_null(js);
        json_t *j = json_loads(js, 0, NULL);
        assert_non_null(j);
        json_t *cc = json_object_get(j, "config");
        assert_string_equal(json_string_value(json_object_get(cc, "User")), "1000:1000");
        assert_string_equal(json_string_value(json_array_get(json_object_get(cc, "Entrypoint"), 0)),
                            "/usr/bin/tool");
        assert_string_equal(json_string_value(json_array_get(json_object_get(cc, "Env"), 1)),
                            "LANG=C.UTF-8");
        assert_null(json_object_get(cc, "Cmd"));
        json_decref(j);
        free(js);

        /* umoci checks the diff_ids while unpacking. */
        char *bundle = path_join(w->tmp, "bundle");
        assert_int_equal(fixture_sh("umoci unpack --rootless --image '%s:" REF "' '%s' "
                                    ">/dev/null 2>&1",
                                    out, bundle),
                         0);
        char *hello = fixture_sh_out("cat '%s/rootfs/etc/hello.txt'", bundle);
        assert_string_equal(hello, "hello from distill\n");
        free(hello);
        char *link = fixture_sh_out("readlink '%s/rootfs/usr/bin/tool-link'", bundle);
        assert_string_equal(link, "tool\n");
        free(link);
        assert_int_equal(fixture_sh("test -x '%s/rootfs/usr/bin/tool'", bundle), 0);
        free(bundle);
        free(out);
}

static void test_umoci_catches_bad_diff_id(void **state)
{
        struct world *w = *state;
        struct layer_desc layer;
        struct oci_written res;
        struct distill_error err = {0};
        char *out = write_image(w, "img", &layer, &res);
        /* Rewrite the config and manifest with a wrong diff_id over the same layer blob. */
        layer.diff_id[0] = layer.diff_id[0] == '0' ? '1' : '0';
        assert_int_equal(write_layout(out, REF, &w->cfg, &layer, 1, &res, &err), 0);
        char *bundle = path_join(w->tmp, "bundle-bad");
        assert_int_not_equal(fixture_sh("umoci unpack --rootless --image '%s:" REF "' '%s' "
                                        ">/dev/null 2>&1",
                                        out, bundle),
                             0);
        free(bundle);
        free(out);
}

static void test_reproducible_and_independent_of_out(void **state)
{
        struct world *w = *state;
        struct layer_desc l1, l2;
        struct oci_written r1, r2, r3;
        char *o1 = write_image(w, "one", &l1, &r1);
        char *o2 = write_image(w, "two", &l2, &r2);
        assert_string_equal(r1.manifest_digest, r2.manifest_digest);
        assert_string_equal(r1.config_digest, r2.config_digest);
        assert_int_equal(fixture_sh("diff -r '%s' '%s'", o1, o2), 0);

        /* Optional fields: no Cmd, no WorkingDir; a different config gives another digest. */
        struct distill_error err = {0};
        w->cfg.workdir = NULL;
        strvec_push(&w->cfg.cmd, "serve");
        assert_int_equal(write_layout(o2, REF, &w->cfg, &l2, 1, &r3, &err), 0);
        assert_string_not_equal(r1.config_digest, r3.config_digest);
        char *cpath = xasprintf("%s/blobs/sha256/%s", o2, r3.config_digest);
        char *config = NULL;
        size_t len;
        assert_int_equal(read_file(cpath, &config, &len), 0);
        assert_null(strstr(config, "WorkingDir"));
        assert_non_null(strstr(config, "\"Cmd\":[\"serve\"]"));
        free(config);
        free(cpath);
        free(o1);
        free(o2);
}

static void test_errors(void **state)
{
        struct world *w = *state;
        struct oci_written res;
        struct distill_error err = {0};
        struct layer_desc none;
        char *missing = path_join(w->tmp, "no/such/dir");
        /* OUT must exist: blobs are created inside it, but a missing parent is an I/O error. */
        char *file = path_join(w->tmp, "file");
        fixture_write(file, "x");
        char *under_file = path_join(file, "out");
        assert_int_equal(write_layout(under_file, REF, &w->cfg, &none, 0, &res, &err),
                         -DISTILL_EIO);
        assert_non_null(strstr(err.msg, under_file));
        assert_int_equal(write_layout(missing, "", &w->cfg, &none, 0, &res, &err), -DISTILL_EUSAGE);
        w->cfg.user = "\xff\xfe";
        assert_int_equal(write_layout(w->tmp, REF, &w->cfg, &none, 0, &res, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "UTF-8"));
        free(under_file);
        free(file);
        free(missing);
}

/* The config and index name the platform as the image spec does (Go's GOARCH and variant) for
 * every architecture that has such a name, and refuse one that has none. */
static void test_oci_platform_names(void **state)
{
        struct world *w = *state;
        struct layer_desc layer;
        struct oci_written res;
        struct distill_error err = {0};
        cleanup_free char *out = write_image(w, "plat", &layer, &res);
        for (const struct arch_info *a = arch_all(); a->deb; a++) {
                w->cfg.arch = a->deb;
                int r = write_layout(out, REF, &w->cfg, &layer, 1, &res, &err);
                if (!a->oci) {
                        assert_int_equal(r, -DISTILL_EUSAGE);
                        assert_non_null(strstr(err.msg, a->deb));
                        continue;
                }
                assert_int_equal(r, 0);
                cleanup_free char *cpath = xasprintf("%s/blobs/sha256/%s", out, res.config_digest);
                cleanup_free char *ipath = path_join(out, "index.json");
                json_t *config = load_json(cpath), *index = load_json(ipath);
                json_t *platform = json_object_get(
                    json_array_get(json_object_get(index, "manifests"), 0), "platform");
                json_t *sources[] = {config, platform};
                for (size_t i = 0; i < 2; i++) {
                        assert_string_equal(
                            json_string_value(json_object_get(sources[i], "architecture")), a->oci);
                        assert_string_equal(json_string_value(json_object_get(sources[i], "os")),
                                            "linux");
                        const char *variant =
                            json_string_value(json_object_get(sources[i], "variant"));
                        if (a->oci_variant)
                                assert_string_equal(variant, a->oci_variant);
                        else
                                assert_null(variant);
                }
                json_decref(config);
                json_decref(index);
        }
        /* the spec's own validator takes the variant field */
        w->cfg.arch = "armhf";
        assert_int_equal(write_layout(out, REF, &w->cfg, &layer, 1, &res, &err), 0);
        assert_int_equal(fixture_sh("oci-image-tool validate --type image --ref name=" REF
                                    " '%s' >/dev/null",
                                    out),
                         0);
        w->cfg.arch = "amd64";
}

/* References split into repository and tag (a registry's port is not a tag), and the
 * per-architecture references of an index. */
static void test_refs(void **state)
{
        (void)state;
        static const char *const cases[][3] = {
            {"localhost/app:latest", "localhost/app", "latest"},
            {"localhost:5000/app:1.0", "localhost:5000/app", "1.0"},
            {"localhost:5000/app", "localhost:5000/app", NULL},
            {"app@sha256:abc", "app", NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *repo, *tag;
                oci_split_ref(cases[i][0], &repo, &tag);
                assert_string_equal(repo, cases[i][1]);
                if (cases[i][2])
                        assert_string_equal(tag, cases[i][2]);
                else
                        assert_null(tag);
                free(repo);
                free(tag);
        }
        char *a = oci_arch_ref("localhost/app:latest", "arm64");
        char *b = oci_arch_ref("localhost:5000/app", "arm64");
        assert_string_equal(a, "localhost/app:latest-arm64");
        assert_string_equal(b, "localhost:5000/app:arm64");
        free(a);
        free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_refs),
            cmocka_unit_test(test_rfc3339),
            cmocka_unit_test_setup_teardown(test_layout_files, setup, teardown),
            cmocka_unit_test_setup_teardown(test_manifest_annotations, setup, teardown),
            cmocka_unit_test_setup_teardown(test_real_tools_accept_the_layout, setup, teardown),
            cmocka_unit_test_setup_teardown(test_umoci_catches_bad_diff_id, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reproducible_and_independent_of_out, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_oci_platform_names, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
