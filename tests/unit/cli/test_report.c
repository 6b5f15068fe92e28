#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "distill/base/util.h"
#include "distill/cli/report.h"
#include "distill/cli/reportdiff.h"
#include "fixture.h"

static const char DA[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
static const char DB[] = "1111111111111111111111111111111111111111111111111111111111111111";

static void add_file(struct plan *plan, const char *path, const char *pkg, uint64_t size,
                     const char *digest)
{
        struct plan_entry e = {.path = (char *)path,
                               .type = PLAN_FILE,
                               .mode = 0644,
                               .size = size,
                               .pkg = (char *)pkg,
                               .reason = PLAN_R_SEED};
        memcpy(e.digest, digest, sizeof(e.digest));
        plan_add(plan, &e, NULL);
}

static struct plan *image(const char *ssl_version, uint64_t ssl_size, bool with_extra)
{
        struct plan *plan = plan_new();
        plan->arch = xstrdup("amd64");
        plan->packages = xcalloc(4, sizeof(*plan->packages));
        plan->packages[0] = (struct plan_package){
            .name = xstrdup("evil\npkg"), .version = xstrdup("1"), .kept = true};
        plan->packages[1] = (struct plan_package){
            .name = xstrdup("libssl3"), .version = xstrdup(ssl_version), .kept = true};
        plan->n_packages = 2;
        if (with_extra) {
                plan->packages[2] = (struct plan_package){
                    .name = xstrdup("extra"), .version = xstrdup("9"), .kept = true};
                plan->n_packages = 3;
                add_file(plan, "/usr/lib/extra.so", "extra", 5, DA);
        }
        plan->provenance.distill_version = xstrdup("0.1.0");
        plan->provenance.rules_digest = xstrdup("sha256:r");
        add_file(plan, "/usr/lib/libssl.so.3", "libssl3", ssl_size,
                 strcmp(ssl_version, "3.0.1") == 0 ? DA : DB);
        add_file(plan, "/usr/lib/evil\nfile", "evil\npkg", 10, DA);
        add_file(plan, "/etc/removed", NULL, 4, DA);
        return plan;
}

static char *run_compare(struct plan *a, struct plan *b, bool json)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct distill_error err = {0};
        assert_int_equal(report_compare(a, "A", b, "B", json, f, &err), 0);
        fclose(f);
        return buf;
}

static void test_compare_text_versions_first(void **state)
{
        (void)state;
        struct plan *a = image("3.0.1", 100, false);
        struct plan *b = image("3.0.2", 130, true);
        char *text = run_compare(a, b, false);
        const char *first = strstr(text, "package versions changed: 1\n  libssl3  3.0.1 → 3.0.2\n");
        assert_non_null(first);
        assert_true(first < strstr(text, "made by"));
        assert_non_null(strstr(text, "  + extra 9\n"));
        /* a hostile name cannot forge a line */
        assert_null(strstr(text, "evil\npkg"));
        assert_non_null(strstr(text, "total  3 → 4 files"));
        assert_non_null(strstr(text, "  ~ +30 B      /usr/lib/libssl.so.3\n"));
        free(text);
        plan_free(a);
        plan_free(b);
}

static void test_compare_json(void **state)
{
        (void)state;
        struct plan *a = image("3.0.1", 100, false);
        struct plan *b = image("3.0.2", 130, true);
        char *text = run_compare(a, b, true);
        json_error_t jerr;
        json_t *d = json_loads(text, 0, &jerr);
        assert_non_null(d);
        json_t *changed = json_object_get(json_object_get(d, "packages"), "changed");
        assert_int_equal(json_array_size(changed), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(changed, 0), "to")),
                            "3.0.2");
        json_t *files = json_object_get(d, "files");
        assert_int_equal(json_array_size(json_object_get(files, "added")), 1);
        assert_int_equal(json_array_size(json_object_get(files, "changed")), 1);
        assert_int_equal(json_array_size(json_object_get(files, "removed")), 0);
        assert_false(json_is_true(json_object_get(d, "identical")));
        json_decref(d);
        free(text);

        text = run_compare(a, a, true);
        d = json_loads(text, 0, &jerr);
        assert_true(json_is_true(json_object_get(d, "identical")));
        json_decref(d);
        free(text);
        plan_free(a);
        plan_free(b);
}

static void test_image_json_sums(void **state)
{
        (void)state;
        struct plan *a = image("3.0.1", 100, true);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct distill_error err = {0};
        struct report_options o = {.json = true};
        assert_int_equal(report_image(a, "A", &o, f, &err), 0);
        fclose(f);
        json_error_t jerr;
        json_t *d = json_loads(buf, 0, &jerr);
        assert_non_null(d);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "total"), "bytes")),
                         119);
        json_int_t sum = 0;
        json_t *p;
        size_t i;
        json_array_foreach(json_object_get(d, "packages"), i, p) sum +=
            json_integer_value(json_object_get(p, "bytes"));
        assert_int_equal(sum, 119);
        json_decref(d);
        free(buf);

        /* an SVG that cannot be written: I/O error naming it, and no report printed */
        char *tmp = fixture_tmpdir();
        char *svg = xasprintf("%s/no/dir/x.svg", tmp);
        buf = NULL;
        f = open_memstream(&buf, &len);
        o.svg = svg;
        assert_int_equal(report_image(a, "A", &o, f, &err), -DISTILL_EIO);
        fclose(f);
        assert_non_null(strstr(err.msg, svg));
        assert_int_equal(len, 0);
        free(buf);
        free(svg);
        fixture_cleanup(tmp);
        free(tmp);
        plan_free(a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_compare_text_versions_first),
            cmocka_unit_test(test_compare_json),
            cmocka_unit_test(test_image_json_sums),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
