#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "distill/base/util.h"
#include "distill/cli/outdated.h"
#include "distill/core/plan.h"
#include "fixture.h"

struct world {
        char *tmp;
        struct apt_source_entry src;
        struct apt_index idx[2];
        struct archive_versions *av;
        struct plan *plan;
};

static void package(struct plan *plan, const char *name, const char *version, bool kept)
{
        struct plan_package *p = &plan->packages[plan->n_packages++];
        p->name = xstrdup(name);
        p->version = xstrdup(version);
        p->arch = xstrdup("amd64");
        p->kept = kept;
}

static int setup(void **state)
{
        struct world *w = xcalloc(1, sizeof(*w));
        struct distill_error err = {0};
        w->tmp = fixture_tmpdir();
        w->src.suite = "test";
        char *main_path = path_join(w->tmp, "main");
        char *sec_path = path_join(w->tmp, "security");
        fixture_write(main_path, "Package: libc6\nVersion: 0.9\n\n"
                                 "Package: greet-data\nVersion: 1.1\n\n"
                                 "Package: hello\nVersion: 1.0\n\n"
                                 "Package: libgreet1\nVersion: 1.0\n\n"
                                 "Package: tzdata\nVersion: 2024a\n");
        fixture_write(sec_path, "Package: libgreet1\nVersion: 1.0+sec1\n\n"
                                "Package: libssl3\nVersion: 3.0.2\n");
        w->idx[0] = (struct apt_index){.source = &w->src,
                                       .packages_path = main_path,
                                       .label = xstrdup("Debian"),
                                       .suite = xstrdup("test")};
        w->idx[1] = (struct apt_index){.source = &w->src,
                                       .packages_path = sec_path,
                                       .label = xstrdup("Debian-Security"),
                                       .suite = xstrdup("test-security")};
        if (archive_versions_read(w->idx, 2, &w->av, &err) < 0)
                fail_msg("archive_versions_read: %s", err.msg);

        /* sorted by name, as a plan's candidate set is */
        w->plan = plan_new();
        w->plan->arch = xstrdup("amd64");
        w->plan->packages = xcalloc(8, sizeof(*w->plan->packages));
        package(w->plan, "gone-pkg", "1.0", true);
        package(w->plan, "greet-data", "1.0", false);
        package(w->plan, "hello", "1.0", true);
        package(w->plan, "libc6", "1.0", true);
        package(w->plan, "libgreet1", "1.0", true);
        package(w->plan, "libssl3", "3.0.1", true);
        package(w->plan, "tzdata", "2024a", false);
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        struct world *w = *state;
        archive_versions_free(w->av);
        for (size_t i = 0; i < 2; i++) {
                free(w->idx[i].packages_path);
                free(w->idx[i].label);
                free(w->idx[i].suite);
        }
        plan_free(w->plan);
        fixture_cleanup(w->tmp);
        free(w->tmp);
        free(w);
        return 0;
}

static char *printed(const struct outdated_report *r, bool json)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        outdated_print(r, json, f);
        fclose(f);
        return buf;
}

static void test_compare(void **state)
{
        struct world *w = *state;
        struct outdated_report r;
        outdated_compare(w->plan, w->av, &r);
        assert_int_equal(r.n, 7);
        /* kept first, each group by name */
        static const char *const order[] = {"gone-pkg", "hello",      "libc6", "libgreet1",
                                            "libssl3",  "greet-data", "tzdata"};
        static const enum outdated_status status[] = {
            OUTDATED_GONE,   OUTDATED_CURRENT, OUTDATED_DOWNGRADE, OUTDATED_UPDATE,
            OUTDATED_UPDATE, OUTDATED_UPDATE,  OUTDATED_CURRENT};
        for (size_t i = 0; i < r.n; i++) {
                assert_string_equal(r.items[i].name, order[i]);
                assert_int_equal(r.items[i].status, status[i]);
                assert_int_equal(r.items[i].kept, i < 5);
        }
        /* libgreet1 and libssl3 (both from the security suite); greet-data is not kept */
        assert_int_equal(r.kept_updates, 2);
        assert_int_equal(r.kept_security_updates, 2);
        assert_null(r.items[0].newest);
        outdated_report_release(&r);
}

static void test_print_text(void **state)
{
        struct world *w = *state;
        struct outdated_report r;
        outdated_compare(w->plan, w->av, &r);
        char *text = printed(&r, false);
        assert_string_equal(text, "kept in the image:\n"
                                  "  gone-pkg 1.0: no index offers it any more\n"
                                  "  libc6 1.0: the archive's newest is the older 0.9 (test): a "
                                  "downgrade, not an update\n"
                                  "  libgreet1 1.0 -> 1.0+sec1 (test-security, security update)\n"
                                  "  libssl3 3.0.1 -> 3.0.2 (test-security, security update)\n"
                                  "candidates not kept (an update there cannot change the image):\n"
                                  "  greet-data 1.0 -> 1.1 (test, update)\n");
        free(text);
        outdated_report_release(&r);
}

/* Every package current: nothing printed at all. */
static void test_print_nothing_when_current(void **state)
{
        struct world *w = *state;
        struct plan *plan = plan_new();
        plan->arch = xstrdup("amd64");
        plan->packages = xcalloc(3, sizeof(*plan->packages));
        package(plan, "hello", "1.0", true);
        package(plan, "tzdata", "2024a", false);
        struct outdated_report r;
        outdated_compare(plan, w->av, &r);
        assert_int_equal(r.kept_updates, 0);
        char *text = printed(&r, false);
        assert_string_equal(text, "");
        free(text);
        outdated_report_release(&r);
        plan_free(plan);
}

static void test_print_json(void **state)
{
        struct world *w = *state;
        struct outdated_report r;
        outdated_compare(w->plan, w->av, &r);
        char *text = printed(&r, true);
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "arch")), "amd64");
        json_t *kept = json_object_get(j, "kept"), *apart = json_object_get(j, "not_kept");
        assert_int_equal(json_array_size(kept), 5);
        assert_int_equal(json_array_size(apart), 2);
        json_t *g = json_array_get(kept, 3);
        assert_string_equal(json_string_value(json_object_get(g, "name")), "libgreet1");
        assert_string_equal(json_string_value(json_object_get(g, "status")), "update");
        assert_string_equal(json_string_value(json_object_get(g, "version")), "1.0");
        assert_string_equal(json_string_value(json_object_get(g, "newest")), "1.0+sec1");
        assert_string_equal(json_string_value(json_object_get(g, "suite")), "test-security");
        assert_true(json_is_true(json_object_get(g, "security")));
        json_t *gone = json_array_get(kept, 0);
        assert_string_equal(json_string_value(json_object_get(gone, "status")), "gone");
        assert_null(json_object_get(gone, "newest"));
        assert_string_equal(json_string_value(json_object_get(json_array_get(kept, 2), "status")),
                            "downgrade");
        assert_int_equal(json_integer_value(json_object_get(j, "kept_updates")), 2);
        assert_int_equal(json_integer_value(json_object_get(j, "kept_security_updates")), 2);
        json_decref(j);
        free(text);
        outdated_report_release(&r);
}

/* OUT without --manifest: a usage error that says what to pass, before any network. */
static void test_out_needs_manifest(void **state)
{
        struct world *w = *state;
        struct outdated_options opt = {.target = w->tmp};
        struct distill_error err = {0};
        /* a directory that is no build output says so */
        assert_int_equal(outdated_run(&opt, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "not an output of distill build"));
        /* an OCI layout's plan records no sources */
        char *layout = path_join(w->tmp, "oci-layout");
        fixture_write(layout, "{\"imageLayoutVersion\":\"1.0.0\"}");
        assert_int_equal(outdated_run(&opt, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "pass --manifest MANIFEST"));
        unlink(layout);
        free(layout);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_compare, setup, teardown),
            cmocka_unit_test_setup_teardown(test_print_text, setup, teardown),
            cmocka_unit_test_setup_teardown(test_print_nothing_when_current, setup, teardown),
            cmocka_unit_test_setup_teardown(test_print_json, setup, teardown),
            cmocka_unit_test_setup_teardown(test_out_needs_manifest, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
