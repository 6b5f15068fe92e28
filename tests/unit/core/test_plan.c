#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/core/plan.h"
#include "fixture.h"

static const char DIGEST_A[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

static struct plan_entry dir_entry(const char *path)
{
        struct plan_entry e = {0};
        e.path = (char *)path;
        e.type = PLAN_DIR;
        e.mode = 0755;
        e.reason = PLAN_R_PARENT;
        return e;
}

static void test_add_first_wins_put_remove(void **state)
{
        (void)state;
        struct plan *plan = plan_new();
        struct plan_entry e = {0};
        char path[64];
        bool added = false;

        strcpy(path, "/usr/lib/libx.so.1");
        e.path = path;
        e.type = PLAN_FILE;
        e.mode = 0644;
        e.size = 6;
        memcpy(e.digest, DIGEST_A, sizeof(e.digest));
        e.reason = PLAN_R_ELF_NEEDED;
        e.reason_from = "/usr/bin/a";
        e.reason_detail = "NEEDED libx.so.1";
        struct plan_entry *stored = plan_add(plan, &e, &added);
        assert_true(added);
        assert_ptr_not_equal(stored->path, path); /* a deep copy */
        assert_ptr_not_equal(stored->reason_detail, e.reason_detail);
        path[1] = 'X'; /* the caller's buffer no longer matters */
        assert_ptr_equal(plan_get(plan, "/usr/lib/libx.so.1"), stored);

        /* First reason wins. */
        strcpy(path, "/usr/lib/libx.so.1");
        e.reason = PLAN_R_RULE;
        e.reason_from = "/usr/bin/b";
        struct plan_entry *again = plan_add(plan, &e, &added);
        assert_false(added);
        assert_ptr_equal(again, stored);
        assert_int_equal(stored->reason, PLAN_R_ELF_NEEDED);
        assert_string_equal(stored->reason_from, "/usr/bin/a");

        /* plan_put replaces. */
        e.reason = PLAN_R_GENERATED;
        e.reason_from = NULL;
        e.reason_detail = NULL;
        e.mode = 0600;
        struct plan_entry *put = plan_put(plan, &e);
        assert_int_equal(plan_get(plan, "/usr/lib/libx.so.1")->reason, PLAN_R_GENERATED);
        assert_ptr_equal(plan_get(plan, "/usr/lib/libx.so.1"), put);
        assert_int_equal(put->mode, 0600);
        assert_null(put->reason_from);
        assert_int_equal(plan->entries.n, 1);

        struct plan_entry d = dir_entry("/usr");
        plan_add(plan, &d, NULL);
        assert_int_equal(plan->entries.n, 2);
        assert_non_null(plan_get(plan, "/usr"));
        plan_free(plan);
}

static void test_sorted_order_and_invalidation(void **state)
{
        (void)state;
        struct plan *plan = plan_new();
        /* strcmp order: "-" (0x2d) sorts before "/" (0x2f), and parents before children. */
        const char *paths[] = {"/usr/lib/x", "/usr", "/",         "/usr/lib-foo",
                               "/usr/lib",   "/etc", "/usr/lib/a"};
        const char *want[] = {"/",          "/etc",      "/usr", "/usr/lib", "/usr/lib-foo",
                              "/usr/lib/a", "/usr/lib/x"};
        for (size_t i = 0; i < 7; i++) {
                struct plan_entry d = dir_entry(paths[i]);
                plan_add(plan, &d, NULL);
        }
        /* Enough entries to force the map to grow and rehash. */
        for (int i = 0; i < 200; i++) {
                char *p = xasprintf("/z/%03d", i);
                struct plan_entry d = dir_entry(p);
                plan_add(plan, &d, NULL);
                free(p);
        }
        size_t n;
        struct plan_entry *const *s = plan_sorted(plan, &n);
        assert_int_equal(n, 207);
        for (size_t i = 0; i < 7; i++)
                assert_string_equal(s[i]->path, want[i]);
        for (size_t i = 1; i < n; i++)
                assert_true(strcmp(s[i - 1]->path, s[i]->path) < 0);
        /* Cached until the plan changes. */
        assert_ptr_equal(plan_sorted(plan, NULL), s);

        struct plan_entry d = dir_entry("/a");
        plan_add(plan, &d, NULL);
        s = plan_sorted(plan, &n);
        assert_int_equal(n, 208);
        assert_string_equal(s[1]->path, "/a");
        for (int i = 0; i < 200; i++) {
                char *p = xasprintf("/z/%03d", i);
                assert_non_null(plan_get(plan, p));
                free(p);
        }
        plan_free(plan);
}

static void test_helpers(void **state)
{
        (void)state;
        struct plan *plan = plan_new();
        plan_set_env(plan, "SSL_CERT_FILE", "/etc/ssl/a.pem");
        plan_set_env(plan, "SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt");
        assert_string_equal(strmap_get(&plan->env, "SSL_CERT_FILE"),
                            "/etc/ssl/certs/ca-certificates.crt");
        assert_string_equal(plan_type_name(PLAN_HARDLINK), "hardlink");
        assert_string_equal(plan_reason_name(PLAN_R_ELF_NEEDED), "elf-needed");
        assert_string_equal(plan_reason_name(PLAN_R_PKG_METADATA), "pkg-metadata");
        assert_string_equal(plan_reason_name((enum plan_reason_kind)99), "unknown");
        plan_free(plan);
}

static struct plan *sample_plan(void)
{
        struct plan *plan = plan_new();
        plan->arch = xstrdup("amd64");
        strvec_push(&plan->requested, "python3.11-minimal");
        strvec_push(&plan->rule_packages, "ca-certificates");
        strvec_push(&plan->warnings, "setuid bit cleared on /usr/bin/x");
        strvec_push(&plan->generate, "ca-bundle");
        plan_set_env(plan, "SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt");
        plan_set_env(plan, "A", "é \"quoted\"");
        plan->packages = xcalloc(2, sizeof(*plan->packages));
        plan->packages[0] = (struct plan_package){xstrdup("libc6"),
                                                  xstrdup("2.36-9+deb12u4"),
                                                  xstrdup("amd64"),
                                                  xstrdup("glibc"),
                                                  true,
                                                  NULL,
                                                  {3, 4096}};
        plan->packages[1] = (struct plan_package){
            xstrdup("ca-certificates"), xstrdup("20230311"), xstrdup("all"), NULL, false,
            xstrdup("ssl-ca-bundle"), {0, 0}};
        plan->n_packages = 2;
        plan->stdlib_dir = xstrdup("/usr/lib/python3.11");
        plan->stdlib_unkept = (struct plan_count){512, 9999999999ull};
        plan->provenance.distill_version = xstrdup("0.1.0");
        plan->provenance.rules_digest = xasprintf("sha256:%s", DIGEST_A);

        struct plan_entry d = dir_entry("/usr");
        plan_add(plan, &d, NULL);
        struct plan_entry f = {.path = "/usr/bin/python3.11",
                               .type = PLAN_FILE,
                               .mode = 04755,
                               .uid = 0,
                               .gid = 4294967295u,
                               .size = 6,
                               .pkg = "python3.11-minimal",
                               .pkg_path = "/usr/bin/python3.11",
                               .reason = PLAN_R_SEED};
        memcpy(f.digest, DIGEST_A, sizeof(f.digest));
        plan_add(plan, &f, NULL);
        struct plan_entry s = {.path = "/usr/bin/python3",
                               .type = PLAN_SYMLINK,
                               .mode = 0777,
                               .target = "python3.11",
                               .reason = PLAN_R_LINK,
                               .reason_from = "/usr/bin/python3.11",
                               .reason_detail = "link on the way"};
        plan_add(plan, &s, NULL);
        struct plan_entry h = {.path = "/usr/bin/py",
                               .type = PLAN_HARDLINK,
                               .mode = 0755,
                               .uid = 1000,
                               .gid = 1000,
                               .target = "/usr/bin/python3.11",
                               .reason = PLAN_R_INCLUDE};
        plan_add(plan, &h, NULL);
        return plan;
}

static void assert_str_or_null_equal(const char *a, const char *b)
{
        if (!a || !b)
                assert_ptr_equal(a, b);
        else
                assert_string_equal(a, b);
}

static void assert_plans_equal(struct plan *a, struct plan *b)
{
        assert_str_or_null_equal(a->arch, b->arch);
        assert_int_equal(a->n_packages, b->n_packages);
        for (size_t i = 0; i < a->n_packages; i++) {
                struct plan_package *p = &a->packages[i], *q = &b->packages[i];
                assert_string_equal(p->name, q->name);
                assert_str_or_null_equal(p->version, q->version);
                assert_str_or_null_equal(p->arch, q->arch);
                assert_str_or_null_equal(p->source, q->source);
                assert_str_or_null_equal(p->added_by, q->added_by);
                assert_int_equal(p->kept, q->kept);
                assert_int_equal(p->unkept.files, q->unkept.files);
                assert_int_equal(p->unkept.bytes, q->unkept.bytes);
        }
        assert_str_or_null_equal(a->stdlib_dir, b->stdlib_dir);
        assert_int_equal(a->stdlib_unkept.files, b->stdlib_unkept.files);
        assert_int_equal(a->stdlib_unkept.bytes, b->stdlib_unkept.bytes);
        assert_str_or_null_equal(a->provenance.distill_version, b->provenance.distill_version);
        assert_str_or_null_equal(a->provenance.rules_digest, b->provenance.rules_digest);
        assert_str_or_null_equal(a->provenance.lock_digest, b->provenance.lock_digest);
        const struct strvec *va[] = {&a->requested, &a->rule_packages, &a->warnings, &a->generate};
        const struct strvec *vb[] = {&b->requested, &b->rule_packages, &b->warnings, &b->generate};
        for (size_t k = 0; k < 4; k++) {
                assert_int_equal(va[k]->n, vb[k]->n);
                for (size_t i = 0; i < va[k]->n; i++)
                        assert_string_equal(va[k]->v[i], vb[k]->v[i]);
        }
        assert_int_equal(a->env.n, b->env.n);
        for (size_t i = 0; i < a->env.cap; i++)
                if (a->env.slots[i].key)
                        assert_string_equal(a->env.slots[i].value,
                                            strmap_get(&b->env, a->env.slots[i].key));
        size_t na, nb;
        struct plan_entry *const *ea = plan_sorted(a, &na);
        struct plan_entry *const *eb = plan_sorted(b, &nb);
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++) {
                assert_string_equal(ea[i]->path, eb[i]->path);
                assert_int_equal(ea[i]->type, eb[i]->type);
                assert_int_equal(ea[i]->mode, eb[i]->mode);
                assert_int_equal(ea[i]->uid, eb[i]->uid);
                assert_int_equal(ea[i]->gid, eb[i]->gid);
                assert_int_equal(ea[i]->size, eb[i]->size);
                assert_string_equal(ea[i]->digest, eb[i]->digest);
                assert_str_or_null_equal(ea[i]->target, eb[i]->target);
                assert_str_or_null_equal(ea[i]->pkg, eb[i]->pkg);
                assert_str_or_null_equal(ea[i]->pkg_path, eb[i]->pkg_path);
                assert_int_equal(ea[i]->reason, eb[i]->reason);
                assert_str_or_null_equal(ea[i]->reason_from, eb[i]->reason_from);
                assert_str_or_null_equal(ea[i]->reason_detail, eb[i]->reason_detail);
        }
}

static void test_json_round_trip(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        char *p1 = path_join(tmp, "plan.json");
        char *p2 = path_join(tmp, "plan2.json");
        struct distill_error err = {0};
        struct plan *plan = sample_plan();
        assert_int_equal(plan_write_json(plan, p1, &err), 0);

        struct plan *back = NULL;
        assert_int_equal(plan_read_json(p1, &back, &err), 0);
        assert_plans_equal(plan, back);
        /* Writing what was read gives the same bytes: fixed key order, sorted entries, env. */
        assert_int_equal(plan_write_json(back, p2, &err), 0);
        assert_int_equal(fixture_sh("cmp -s '%s' '%s'", p1, p2), 0);

        /* The documented shape: top-level keys in order, sorted entries, octal modes. */
        char *keys = fixture_sh_out("/usr/bin/python3.11 -c 'import json,sys; d=json.load(open("
                                    "sys.argv[1])); print(\",\".join(d)); "
                                    "print(\",\".join(e[\"path\"] for e in d[\"entries\"])); "
                                    "print(d[\"entries\"][1][\"mode\"], "
                                    "\",\".join(d[\"entries\"][1]))' '%s'",
                                    p1);
        assert_non_null(keys);
        assert_string_equal(keys, "arch,provenance,packages,requested,rule_packages,env,warnings,"
                                  "generate,stdlib,entries\n"
                                  "/usr,/usr/bin/py,/usr/bin/python3,/usr/bin/python3.11\n"
                                  "0755 path,type,mode,uid,gid,target,reason\n");
        free(keys);
        assert_int_equal(fixture_sh("grep -q '\"mode\": \"4755\"' '%s'", p1), 0);
        /* No temporary file left beside plan.json. */
        char *ls = fixture_sh_out("LC_ALL=C ls '%s'", tmp);
        assert_string_equal(ls, "plan.json\nplan2.json\n");
        free(ls);

        plan_free(back);
        plan_free(plan);
        fixture_cleanup(tmp);
        free(p1);
        free(p2);
        free(tmp);
}

/* A minimal valid entry with one field replaced by `field` (e.g. "\"mode\": 493"). */
struct hostile_case {
        const char *json;
        const char *expect; /* substring of the error message */
};

static void test_hostile_json(void **state)
{
        (void)state;
        static const struct hostile_case cases[] = {
            {"", "plan.json:"},
            {"[1,2]", "top level"},
            {"{\"arch\": 5, \"entries\": []}", "'arch' must be a string"},
            {"{}", "entries: must be an array"},
            {"{\"entries\": [1]}", "entries[0]: must be an object"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
             "\"gid\":0,\"reason\":{\"kind\":\"parent\"}}, {\"path\":\"relative\",\"type\":"
             "\"dir\",\"mode\":\"0755\",\"uid\":0,\"gid\":0,\"reason\":{\"kind\":\"parent\"}}]}",
             "entries[1]: 'path' must be an absolute"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"fifo\",\"mode\":\"0755\",\"uid\":0,"
             "\"gid\":0,\"reason\":{\"kind\":\"parent\"}}]}",
             "entries[0]: 'type'"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0855\",\"uid\":0,"
             "\"gid\":0,\"reason\":{\"kind\":\"parent\"}}]}",
             "'mode'"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"dir\",\"mode\":493,\"uid\":0,"
             "\"gid\":0,\"reason\":{\"kind\":\"parent\"}}]}",
             "'mode' must be a string"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":-1,"
             "\"gid\":0,\"reason\":{\"kind\":\"parent\"}}]}",
             "'uid' must be an integer"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
             "\"gid\":4294967296,\"reason\":{\"kind\":\"parent\"}}]}",
             "'gid' must be an integer"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"file\",\"mode\":\"0755\",\"uid\":0,"
             "\"gid\":0,\"size\":1,\"digest\":\"../../etc/passwd\",\"reason\":{\"kind\":"
             "\"seed\"}}]}",
             "'digest'"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"file\",\"mode\":\"0755\",\"uid\":0,"
             "\"gid\":0,\"size\":-5,\"digest\":\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af"
             "34d08286a2e846f6be03\",\"reason\":{\"kind\":\"seed\"}}]}",
             "'size'"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"symlink\",\"mode\":\"0777\",\"uid\":0,"
             "\"gid\":0,\"reason\":{\"kind\":\"link\"}}]}",
             "needs a 'target'"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
             "\"gid\":0,\"reason\":\"parent\"}]}",
             "'reason' must be an object"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
             "\"gid\":0,\"reason\":{\"kind\":\"magic\"}}]}",
             "unknown reason kind"},
            {"{\"entries\": [{\"path\":\"/a\\u0000b\",\"type\":\"dir\",\"mode\":\"0755\","
             "\"uid\":0,\"gid\":0,\"reason\":{\"kind\":\"parent\"}}]}",
             "\\u0000 is not allowed"},
            {"{\"entries\": [{\"path\":\"/a\",\"type\":\"dir\",\"mode\":\"0755\",\"uid\":0,"
             "\"gid\":0,\"reason\":{\"kind\":\"parent\"}}, {\"path\":\"/a\",\"type\":\"dir\","
             "\"mode\":\"0755\",\"uid\":0,\"gid\":0,\"reason\":{\"kind\":\"parent\"}}]}",
             "entries[1]: duplicate path"},
            {"{\"packages\": [{\"name\": \"a\"}, {\"version\": \"1\"}], \"entries\": []}",
             "packages[1]: missing 'name'"},
            {"{\"packages\": [{\"name\": \"a\", \"kept\": \"yes\"}], \"entries\": []}",
             "packages[0]: 'kept'"},
            {"{\"requested\": [\"a\", 3], \"entries\": []}", "requested[1]"},
            {"{\"packages\": [{\"name\": \"a\", \"unkept\": {\"files\": 1, \"bytes\": -1}}], "
             "\"entries\": []}",
             "packages[0].unkept: 'bytes'"},
            {"{\"packages\": [{\"name\": \"a\", \"unkept\": []}], \"entries\": []}",
             "packages[0].unkept: must be an object"},
            {"{\"stdlib\": {\"dir\": \"lib\"}, \"entries\": []}", "stdlib: 'dir' must be"},
            {"{\"stdlib\": {\"dir\": \"/l\", \"unkept\": {\"files\": 1}}, \"entries\": []}",
             "stdlib.unkept: 'bytes'"},
            {"{\"provenance\": {\"rules_digest\": 1}, \"entries\": []}",
             "provenance: 'rules_digest'"},
            {"{\"env\": {\"A\": 1}, \"entries\": []}", "env.A"},
            {"{\"arch\": \"a\", \"arch\": \"b\", \"entries\": []}", "duplicate"},
            {"{\"entries\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]"
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
             "plan.json:"},
        };
        char *tmp = fixture_tmpdir();
        char *p = path_join(tmp, "plan.json");
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct distill_error err = {0};
                struct plan *plan = (struct plan *)1;
                fixture_write(p, cases[i].json);
                int r = plan_read_json(p, &plan, &err);
                if (r != -DISTILL_EUSAGE || !strstr(err.msg, cases[i].expect) ||
                    !strstr(err.msg, p))
                        fail_msg("case %zu: r=%d msg=%s", i, r, err.msg);
                assert_null(plan);
        }
        /* A missing file is an I/O error naming the file. */
        struct distill_error err = {0};
        struct plan *plan = NULL;
        char *missing = path_join(tmp, "nope.json");
        assert_int_equal(plan_read_json(missing, &plan, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, missing));
        free(missing);
        free(p);
        fixture_cleanup(tmp);
        free(tmp);
}

static void test_write_rejects_invalid_utf8(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        char *p = path_join(tmp, "plan.json");
        struct plan *plan = plan_new();
        struct plan_entry d = dir_entry("/usr/lib/\xff\xfe");
        plan_add(plan, &d, NULL);
        struct distill_error err = {0};
        assert_int_equal(plan_write_json(plan, p, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "UTF-8"));
        assert_int_not_equal(fixture_sh("test -e '%s'", p), 0);
        plan_free(plan);
        free(p);
        fixture_cleanup(tmp);
        free(tmp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_add_first_wins_put_remove),
            cmocka_unit_test(test_sorted_order_and_invalidation),
            cmocka_unit_test(test_helpers),
            cmocka_unit_test(test_json_round_trip),
            cmocka_unit_test(test_hostile_json),
            cmocka_unit_test(test_write_rejects_invalid_utf8),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
