#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/core/planstats.h"

static const char DIGEST[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

static void add(struct plan *plan, const char *path, enum plan_type type, const char *pkg,
                enum plan_reason_kind kind, uint64_t size)
{
        struct plan_entry e = {
            .path = (char *)path,
            .type = type,
            .mode = 0644,
            .pkg = (char *)pkg,
            .reason = kind,
            .target = type == PLAN_SYMLINK || type == PLAN_HARDLINK ? (char *)"/usr/bin/a" : NULL};
        if (type == PLAN_FILE) {
                e.size = size;
                memcpy(e.digest, DIGEST, sizeof(e.digest));
        }
        plan_add(plan, &e, NULL);
}

static struct plan *sample(void)
{
        struct plan *plan = plan_new();
        plan->packages = xcalloc(3, sizeof(*plan->packages));
        plan->packages[0] = (struct plan_package){.name = xstrdup("libc6"),
                                                  .version = xstrdup("2.36"),
                                                  .kept = true,
                                                  .unkept = {10, 1000}};
        plan->packages[1] = (struct plan_package){
            .name = xstrdup("tzdata"), .version = xstrdup("2024a"), .unkept = {5, 50}};
        plan->n_packages = 2;
        add(plan, "/usr", PLAN_DIR, NULL, PLAN_R_PARENT, 0);
        add(plan, "/usr/bin", PLAN_DIR, NULL, PLAN_R_PARENT, 0);
        add(plan, "/usr/bin/a", PLAN_FILE, "libc6", PLAN_R_SEED, 300);
        add(plan, "/usr/bin/b", PLAN_HARDLINK, "libc6", PLAN_R_SEED, 0);
        add(plan, "/usr/lib/x/libc.so.6", PLAN_FILE, "libc6", PLAN_R_ELF_NEEDED, 2000);
        add(plan, "/usr/lib/x/libc.so", PLAN_SYMLINK, "libc6", PLAN_R_LINK, 0);
        add(plan, "/app/main.py", PLAN_FILE, NULL, PLAN_R_SEED, 7);
        add(plan, "/etc/passwd", PLAN_FILE, NULL, PLAN_R_GENERATED, 40);
        add(plan, "/init", PLAN_FILE, NULL, PLAN_R_INCLUDE, 3);
        add(plan, "/usr/lib/python3.11/os.py", PLAN_FILE, "libpython", PLAN_R_PYTHON_IMPORT, 50);
        add(plan, "/usr/lib/python3.11/__pycache__/os.pyc", PLAN_FILE, NULL, PLAN_R_GENERATED, 60);
        return plan;
}

static uint64_t bytes_of(const struct planstats_table *t, const char *name)
{
        const struct planstats_row *r = planstats_find(t, name);
        assert_non_null(r);
        return r->bytes;
}

static void assert_sums(const struct planstats_table *t, const struct plan_count *total)
{
        uint64_t files = 0, bytes = 0;
        for (size_t i = 0; i < t->n; i++) {
                files += t->rows[i].files;
                bytes += t->rows[i].bytes;
        }
        assert_int_equal(files, total->files);
        assert_int_equal(bytes, total->bytes);
}

static void test_every_table_sums_to_the_total(void **state)
{
        (void)state;
        struct plan *plan = sample();
        struct planstats st;
        planstats_compute(plan, 3, &st);
        assert_int_equal(st.total.files, 7);
        assert_int_equal(st.total.bytes, 300 + 2000 + 7 + 40 + 3 + 50 + 60);
        assert_int_equal(st.entries, 11);
        assert_int_equal(st.directories, 2);
        assert_int_equal(st.symlinks, 1);
        assert_int_equal(st.hardlinks, 1);
        const struct planstats_table *tables[] = {&st.packages, &st.top_dirs, &st.dirs, &st.reasons,
                                                  &st.groups};
        for (size_t i = 0; i < 5; i++)
                assert_sums(tables[i], &st.total);
        plan_free(plan);
        planstats_release(&st);
}

static void test_rows(void **state)
{
        (void)state;
        struct plan *plan = sample();
        struct planstats st;
        planstats_compute(plan, 3, &st);

        /* packages by name (a candidate with nothing kept has its row), no-package rows last */
        assert_int_equal(st.packages.n, 5);
        assert_string_equal(st.packages.rows[0].name, "libc6");
        assert_non_null(st.packages.rows[0].pkg);
        assert_string_equal(st.packages.rows[1].name, "libpython");
        assert_null(st.packages.rows[1].pkg); /* named by an entry, not a candidate */
        assert_string_equal(st.packages.rows[2].name, "tzdata");
        assert_int_equal(st.packages.rows[2].files, 0);
        assert_string_equal(st.packages.rows[3].name, PLANSTATS_APP);
        assert_int_equal(st.packages.rows[3].bytes, 7 + 3);
        assert_string_equal(st.packages.rows[4].name, PLANSTATS_GENERATED);
        assert_int_equal(st.packages.rows[4].bytes, 40 + 60);
        assert_int_equal(bytes_of(&st.packages, "libc6"), 2300);
        assert_int_equal(st.packages_unkept.files, 15);
        assert_int_equal(st.packages_unkept.bytes, 1050);

        assert_int_equal(bytes_of(&st.top_dirs, "/usr"), 300 + 2000 + 50 + 60);
        assert_int_equal(bytes_of(&st.top_dirs, "/"), 3);
        assert_int_equal(bytes_of(&st.top_dirs, "/etc"), 40);
        assert_int_equal(bytes_of(&st.dirs, "/usr/lib"), 2000 + 50 + 60);
        assert_int_equal(bytes_of(&st.dirs, "/usr/bin"), 300);
        assert_int_equal(bytes_of(&st.dirs, "/etc"), 40);
        assert_int_equal(bytes_of(&st.dirs, "/"), 3);

        assert_int_equal(bytes_of(&st.reasons, "seed"), 307);
        assert_int_equal(bytes_of(&st.reasons, "elf-needed"), 2000);
        assert_null(planstats_find(&st.reasons, "link")); /* no file has it */
        assert_int_equal(bytes_of(&st.groups, "manifest"), 310);
        assert_int_equal(bytes_of(&st.groups, "generated"), 100);
        assert_int_equal(bytes_of(&st.groups, "import"), 50);

        /* the largest, by size then path, as many as asked */
        assert_int_equal(st.n_largest, 3);
        assert_string_equal(st.largest[0]->path, "/usr/lib/x/libc.so.6");
        assert_string_equal(st.largest[1]->path, "/usr/bin/a");
        assert_string_equal(st.largest[2]->path, "/usr/lib/python3.11/__pycache__/os.pyc");
        plan_free(plan);
        planstats_release(&st);
}

static void test_empty_plan(void **state)
{
        (void)state;
        struct plan *plan = plan_new();
        struct planstats st;
        planstats_compute(plan, 10, &st);
        assert_int_equal(st.total.files, 0);
        assert_int_equal(st.packages.n, 0);
        assert_int_equal(st.n_largest, 0);
        assert_int_equal(st.groups.n, 0);
        planstats_release(&st);
        plan_free(plan);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_table_sums_to_the_total),
            cmocka_unit_test(test_rows),
            cmocka_unit_test(test_empty_plan),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
