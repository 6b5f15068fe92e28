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
#include "distill/cli/why.h"
#include "distill/core/plan.h"
#include "fixture.h"

static const char DIGEST[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

#define SSL_SO "/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so"
#define LIBDIR "/usr/lib/x86_64-linux-gnu"

static void add(struct plan *plan, const char *path, enum plan_type type, const char *target,
                const char *pkg, enum plan_reason_kind kind, const char *from, const char *detail,
                uint64_t size)
{
        struct plan_entry e = {0};
        e.path = (char *)path;
        e.type = type;
        e.mode = type == PLAN_DIR ? 0755 : type == PLAN_SYMLINK ? 0777 : 0644;
        e.target = (char *)target;
        e.pkg = (char *)pkg;
        e.pkg_path = (char *)(pkg ? path : NULL);
        e.reason = kind;
        e.reason_from = (char *)from;
        e.reason_detail = (char *)detail;
        if (type == PLAN_FILE) {
                e.size = size;
                memcpy(e.digest, DIGEST, sizeof(e.digest));
        }
        bool added = false;
        plan_add(plan, &e, &added);
        assert_true(added);
}

static void add_file(struct plan *plan, const char *path, const char *pkg,
                     enum plan_reason_kind kind, const char *from, const char *detail)
{
        add(plan, path, PLAN_FILE, NULL, pkg, kind, from, detail, 100);
}

static void add_link(struct plan *plan, const char *path, const char *target, const char *pkg,
                     enum plan_reason_kind kind, const char *from, const char *detail)
{
        add(plan, path, PLAN_SYMLINK, target, pkg, kind, from, detail, 0);
}

/* A plan with the chains of the examples: ELF, imports, links, a rule, seeds. */
static struct plan *sample_plan(void)
{
        struct plan *p = plan_new();
        add(p, "/app", PLAN_DIR, NULL, NULL, PLAN_R_SEED, "/app", "python.app /app", 0);
        add_file(p, "/app/main.py", NULL, PLAN_R_SEED, "/app/main.py", "python.app /app");
        add_file(p, "/usr/bin/python3.11", "python3.11-minimal", PLAN_R_SEED, "/usr/bin/python3.11",
                 "python.interpreter");
        add_file(p, "/usr/lib/python3.11/ssl.py", "libpython3.11-stdlib", PLAN_R_PYTHON_IMPORT,
                 "/app/main.py", "import ssl at line 3");
        add_file(p, SSL_SO, "libpython3.11-stdlib", PLAN_R_PYTHON_IMPORT,
                 "/usr/lib/python3.11/ssl.py", "import _ssl at line 99");
        add_file(p, LIBDIR "/libssl.so.3", "libssl3", PLAN_R_ELF_NEEDED, SSL_SO,
                 "NEEDED libssl.so.3");
        add_file(p, "/usr/lib/python3.11/flask/templates/x.html", "python3-flask",
                 PLAN_R_PYTHON_IMPORT, "/app/main.py", "data of package flask");
        add(p, "/usr/lib/python3.11", PLAN_DIR, NULL, NULL, PLAN_R_PARENT,
            "/usr/lib/python3.11/ssl.py", NULL, 0);
        /* merged /usr and a library reached through symlinks */
        add_link(p, "/lib", "usr/lib", NULL, PLAN_R_GENERATED, NULL, "merged /usr");
        add(p, "/usr/lib", PLAN_DIR, NULL, NULL, PLAN_R_GENERATED, "/lib", "merged /usr", 0);
        add_link(p, LIBDIR "/libz.so.1", "libz.so.1.2.13", "zlib1g", PLAN_R_LINK,
                 "/usr/bin/python3.11", "symlink on the way to " LIBDIR "/libz.so.1.2.13");
        add_file(p, LIBDIR "/libz.so.1.2.13", "zlib1g", PLAN_R_ELF_NEEDED, "/usr/bin/python3.11",
                 "NEEDED libz.so.1");
        add_file(p, LIBDIR "/ld-linux-x86-64.so.2", "libc6", PLAN_R_ELF_NEEDED,
                 "/usr/bin/python3.11", "PT_INTERP /lib64/ld-linux-x86-64.so.2");
        /* a link kept for another requester than its destination's first reason */
        add_link(p, LIBDIR "/libssl.so", "libssl.so.3", "libssl-dev", PLAN_R_LINK, SSL_SO,
                 "symlink on the way to " LIBDIR "/libssl.so.3-other");
        /* an absolute link target: resolved inside the image root */
        add_link(p, "/opt/lib", "/usr/lib/x86_64-linux-gnu", NULL, PLAN_R_INCLUDE, "files.include",
                 "files.include /opt/**");
        /* rules, generated files, package metadata */
        add_file(p, "/usr/lib/ssl/openssl.cnf", "openssl", PLAN_R_RULE, "rule openssl-config",
                 "OpenSSL reads it at startup");
        add_file(p, "/etc/ssl/certs/ca-certificates.crt", NULL, PLAN_R_GENERATED,
                 "rule openssl-ca-bundle", "CA bundle");
        add_file(p, "/var/lib/dpkg/status.d/zlib1g", NULL, PLAN_R_PKG_METADATA, "zlib1g",
                 "dpkg status stanza, for scanners");
        add_file(p, "/usr/share/foo/data", "foo", PLAN_R_INCLUDE, "files.include",
                 "files.include /usr/share/foo/*");
        /* a symlink loop (never resolvable) */
        add_link(p, "/loop/a", "b", NULL, PLAN_R_INCLUDE, "files.include", "x");
        add_link(p, "/loop/b", "a", NULL, PLAN_R_INCLUDE, "files.include", "x");
        return p;
}

/* why_explain's output as a string; *rc gets its return value. */
static char *why_text(struct plan *plan, const char *path, bool json, int *rc)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        struct distill_error err = {0};
        *rc = why_explain(plan, path, json, f, &err);
        fclose(f);
        if (*rc < 0)
                fail_msg("why_explain %s: %s", path, err.msg);
        return buf;
}

static void expect_why(struct plan *plan, const char *path, int want_rc, const char *want)
{
        int rc = 0;
        char *got = why_text(plan, path, false, &rc);
        if (rc != want_rc)
                fail_msg("why %s returned %d, not %d:\n%s", path, rc, want_rc, got);
        assert_string_equal(got, want);
        free(got);
}

static void test_chain_elf_import_seed(void **state)
{
        (void)state;
        struct plan *p = sample_plan();
        expect_why(p, LIBDIR "/libssl.so.3", 0,
                   LIBDIR "/libssl.so.3  (package libssl3)\n"
                          "  ← NEEDED libssl.so.3 by " SSL_SO "\n"
                          "  ← import _ssl in /usr/lib/python3.11/ssl.py:99\n"
                          "  ← import ssl in /app/main.py:3\n"
                          "  ← seed (python.app /app)\n");
        /* normalised: repeated slashes and "." */
        expect_why(p, "//usr/lib/./x86_64-linux-gnu//libssl.so.3", 0,
                   "//usr/lib/./x86_64-linux-gnu//libssl.so.3 is " LIBDIR
                   "/libssl.so.3 in the image\n" LIBDIR "/libssl.so.3  (package libssl3)\n"
                   "  ← NEEDED libssl.so.3 by " SSL_SO "\n"
                   "  ← import _ssl in /usr/lib/python3.11/ssl.py:99\n"
                   "  ← import ssl in /app/main.py:3\n"
                   "  ← seed (python.app /app)\n");
        /* a detail that is not "import M at line N" is plain text */
        expect_why(p, "/usr/lib/python3.11/flask/templates/x.html", 0,
                   "/usr/lib/python3.11/flask/templates/x.html  (package python3-flask)\n"
                   "  ← data of package flask in /app/main.py\n"
                   "  ← seed (python.app /app)\n");
        /* a parent directory continues at the child that needed it */
        expect_why(p, "/usr/lib/python3.11", 0,
                   "/usr/lib/python3.11\n"
                   "  ← parent directory of /usr/lib/python3.11/ssl.py\n"
                   "  ← import ssl in /app/main.py:3\n"
                   "  ← seed (python.app /app)\n");
        expect_why(p, LIBDIR "/ld-linux-x86-64.so.2", 0,
                   LIBDIR "/ld-linux-x86-64.so.2  (package libc6)\n"
                          "  ← PT_INTERP /lib64/ld-linux-x86-64.so.2 by /usr/bin/python3.11\n"
                          "  ← seed (python.interpreter)\n");
        plan_free(p);
}

static void test_links_rules_generated(void **state)
{
        (void)state;
        struct plan *p = sample_plan();
        /* a symlink entry asked for is explained itself, then the entry it leads to */
        expect_why(p, LIBDIR "/libz.so.1", 0,
                   LIBDIR "/libz.so.1 → libz.so.1.2.13  (package zlib1g)\n"
                          "  ← symlink on the way to " LIBDIR "/libz.so.1.2.13\n"
                          "  ← NEEDED libz.so.1 by /usr/bin/python3.11\n"
                          "  ← seed (python.interpreter)\n");
        /* a path through a directory symlink: the link is shown, then the entry */
        expect_why(p, "/lib/x86_64-linux-gnu/libz.so.1.2.13", 0,
                   "/lib/x86_64-linux-gnu/libz.so.1.2.13 is " LIBDIR
                   "/libz.so.1.2.13 in the image\n"
                   "  via /lib → usr/lib\n" LIBDIR "/libz.so.1.2.13  (package zlib1g)\n"
                   "  ← NEEDED libz.so.1 by /usr/bin/python3.11\n"
                   "  ← seed (python.interpreter)\n");
        /* ".." after a symlink is the target's parent; an absolute target starts at the image
         * root, not the host's */
        expect_why(p, "/opt/lib/../x86_64-linux-gnu/libz.so.1.2.13", 0,
                   "/opt/lib/../x86_64-linux-gnu/libz.so.1.2.13 is " LIBDIR
                   "/libz.so.1.2.13 in the image\n"
                   "  via /opt/lib → /usr/lib/x86_64-linux-gnu\n" LIBDIR
                   "/libz.so.1.2.13  (package zlib1g)\n"
                   "  ← NEEDED libz.so.1 by /usr/bin/python3.11\n"
                   "  ← seed (python.interpreter)\n");
        /* ".." above the root is clamped; ".." after /lib is /usr (lexically it would be /) */
        expect_why(p, "/../../lib/../bin/python3.11", 0,
                   "/../../lib/../bin/python3.11 is /usr/bin/python3.11 in the image\n"
                   "  via /lib → usr/lib\n"
                   "/usr/bin/python3.11  (package python3.11-minimal)\n"
                   "  ← seed (python.interpreter)\n");
        expect_why(p, "/lib/../usr/lib/ssl/openssl.cnf", 1,
                   "/lib/../usr/lib/ssl/openssl.cnf is not in the image\n");
        /* a link whose destination was kept for someone else names its own requester */
        expect_why(p, LIBDIR "/libssl.so", 0,
                   LIBDIR "/libssl.so → libssl.so.3  (package libssl-dev)\n"
                          "  ← symlink on the way to " LIBDIR "/libssl.so.3-other for " SSL_SO "\n"
                          "  ← import _ssl in /usr/lib/python3.11/ssl.py:99\n"
                          "  ← import ssl in /app/main.py:3\n"
                          "  ← seed (python.app /app)\n");
        expect_why(p, "/usr/lib/ssl/openssl.cnf", 0,
                   "/usr/lib/ssl/openssl.cnf  (package openssl)\n"
                   "  ← rule openssl-config: OpenSSL reads it at startup\n");
        expect_why(p, "/etc/ssl/certs/ca-certificates.crt", 0,
                   "/etc/ssl/certs/ca-certificates.crt\n"
                   "  ← generated: CA bundle (for rule openssl-ca-bundle)\n");
        expect_why(p, "/usr/lib", 0,
                   "/usr/lib\n"
                   "  ← generated: merged /usr (for /lib)\n"
                   "  ← generated: merged /usr\n");
        expect_why(p, "/var/lib/dpkg/status.d/zlib1g", 0,
                   "/var/lib/dpkg/status.d/zlib1g\n"
                   "  ← package metadata of zlib1g: dpkg status stanza, for scanners\n");
        expect_why(p, "/usr/share/foo/data", 0,
                   "/usr/share/foo/data  (package foo)\n"
                   "  ← files.include /usr/share/foo/*\n");
        expect_why(p, "usr/bin/python3.11", 0,
                   "usr/bin/python3.11 is /usr/bin/python3.11 in the image\n"
                   "/usr/bin/python3.11  (package python3.11-minimal)\n"
                   "  ← seed (python.interpreter)\n");
        plan_free(p);
}

static void test_not_in_image(void **state)
{
        (void)state;
        struct plan *p = sample_plan();
        expect_why(p, "/usr/bin/perl", 1, "/usr/bin/perl is not in the image\n");
        /* resolving through the plan never falls back to the host: /etc/passwd exists here */
        expect_why(p, "/etc/passwd", 1, "/etc/passwd is not in the image\n");
        /* an implicit directory (a parent that is no entry) is not in the image either */
        expect_why(p, "/usr/share", 1, "/usr/share is not in the image\n");
        /* a file used as a directory */
        expect_why(p, "/app/main.py/x", 1, "/app/main.py/x is not in the image\n");
        /* a symlink loop terminates */
        expect_why(p, "/loop/a/x", 1, "/loop/a/x is not in the image\n");
        /* control characters cannot forge output lines */
        expect_why(p, "/x\nseed", 1, "/x\\x0aseed is not in the image\n");

        int rc = 0;
        char *js = why_text(p, "/usr/bin/perl", true, &rc);
        assert_int_equal(rc, 1);
        json_error_t jerr;
        json_t *root = json_loads(js, 0, &jerr);
        assert_non_null(root);
        assert_string_equal(json_string_value(json_object_get(root, "path")), "/usr/bin/perl");
        assert_true(json_is_false(json_object_get(root, "in_image")));
        assert_int_equal(json_array_size(json_object_get(root, "chain")), 0);
        json_decref(root);
        free(js);

        struct distill_error err = {0};
        assert_int_equal(why_explain(p, "", false, stdout, &err), -DISTILL_EUSAGE);
        plan_free(p);
}

static void test_cycle_and_depth_terminate(void **state)
{
        (void)state;
        struct plan *p = plan_new();
        add_file(p, "/a", NULL, PLAN_R_ELF_NEEDED, "/b", "NEEDED a");
        add_file(p, "/b", NULL, PLAN_R_PYTHON_IMPORT, "/c", "import b at line 1");
        add_file(p, "/c", NULL, PLAN_R_ELF_NEEDED, "/a", "NEEDED c");
        add_file(p, "/self", NULL, PLAN_R_PARENT, "/self", NULL);
        expect_why(p, "/a", 0,
                   "/a\n"
                   "  ← NEEDED a by /b\n"
                   "  ← import b in /c:1\n"
                   "  ← NEEDED c by /a\n"
                   "  (loops back to /a)\n");
        expect_why(p, "/self", 0,
                   "/self\n  ← parent directory of /self\n  (loops back to /self)\n");

        /* 100 entries each needed by the next: the chain is cut at 64 */
        for (int i = 0; i < 100; i++) {
                char path[32], from[32];
                snprintf(path, sizeof(path), "/d/%03d", i);
                snprintf(from, sizeof(from), "/d/%03d", i + 1);
                add_file(p, path, NULL, PLAN_R_ELF_NEEDED, from, "NEEDED x");
        }
        int rc = 0;
        char *out = why_text(p, "/d/000", false, &rc);
        assert_int_equal(rc, 0);
        size_t arrows = 0;
        for (const char *s = out; (s = strstr(s, "←")) != NULL; s++)
                arrows++;
        assert_int_equal(arrows, 64);
        assert_non_null(strstr(out, "  (chain cut after 64 links)\n"));
        free(out);

        char *js = why_text(p, "/a", true, &rc);
        json_error_t jerr;
        json_t *root = json_loads(js, 0, &jerr);
        assert_non_null(root);
        assert_int_equal(json_array_size(json_object_get(root, "chain")), 3);
        assert_string_equal(json_string_value(json_object_get(root, "cut")), "cycle");
        json_decref(root);
        free(js);
        plan_free(p);
}

static const char *jget(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        assert_non_null(v);
        return json_is_null(v) ? NULL : json_string_value(v);
}

static void test_json_form(void **state)
{
        (void)state;
        struct plan *p = sample_plan();
        int rc = 0;
        char *js = why_text(p, "/lib/x86_64-linux-gnu/libssl.so.3", true, &rc);
        assert_int_equal(rc, 0);
        json_error_t jerr;
        json_t *root = json_loads(js, 0, &jerr);
        if (!root)
                fail_msg("%s: %s", js, jerr.text);
        assert_string_equal(jget(root, "path"), "/lib/x86_64-linux-gnu/libssl.so.3");
        assert_true(json_is_true(json_object_get(root, "in_image")));
        assert_string_equal(jget(root, "resolved"), LIBDIR "/libssl.so.3");
        json_t *links = json_object_get(root, "links");
        assert_int_equal(json_array_size(links), 1);
        assert_string_equal(jget(json_array_get(links, 0), "path"), "/lib");
        assert_string_equal(jget(json_array_get(links, 0), "target"), "usr/lib");
        assert_null(jget(root, "cut"));

        json_t *chain = json_object_get(root, "chain");
        assert_int_equal(json_array_size(chain), 4);
        static const char *const want[4][5] = {
            {LIBDIR "/libssl.so.3", "elf-needed", SSL_SO, "NEEDED libssl.so.3", "libssl3"},
            {SSL_SO, "python-import", "/usr/lib/python3.11/ssl.py", "import _ssl at line 99",
             "libpython3.11-stdlib"},
            {"/usr/lib/python3.11/ssl.py", "python-import", "/app/main.py", "import ssl at line 3",
             "libpython3.11-stdlib"},
            {"/app/main.py", "seed", "/app/main.py", "python.app /app", NULL},
        };
        static const char *const keys[5] = {"path", "kind", "from", "detail", "package"};
        for (size_t i = 0; i < 4; i++) {
                json_t *item = json_array_get(chain, i);
                for (size_t k = 0; k < 5; k++) {
                        const char *got = jget(item, keys[k]);
                        if (!want[i][k])
                                assert_null(got);
                        else
                                assert_string_equal(got, want[i][k]);
                }
        }
        json_decref(root);
        free(js);
        plan_free(p);
}

static char *report_text(struct plan *plan, bool json)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        struct distill_error err = {0};
        int r = resolve_report(plan, json, f, &err);
        fclose(f);
        if (r < 0)
                fail_msg("resolve_report: %s", err.msg);
        return buf;
}

static void set_packages(struct plan *p)
{
        static const struct {
                const char *name, *version, *added_by;
                bool kept;
        } pk[] = {
            {"zlib1g", "1:1.2.13.dfsg-1", NULL, true},
            {"libssl3", "3.0.17-1~deb12u2", NULL, true},
            {"debconf", "1.5.82", NULL, false},
            {"openssl", "3.0.17-1~deb12u2", "openssl-config", true},
        };
        p->n_packages = sizeof(pk) / sizeof(pk[0]);
        p->packages = xcalloc(p->n_packages, sizeof(*p->packages));
        for (size_t i = 0; i < p->n_packages; i++) {
                p->packages[i].name = xstrdup(pk[i].name);
                p->packages[i].version = xstrdup(pk[i].version);
                p->packages[i].arch = xstrdup("amd64");
                p->packages[i].kept = pk[i].kept;
                p->packages[i].added_by = pk[i].added_by ? xstrdup(pk[i].added_by) : NULL;
        }
        p->arch = xstrdup("amd64");
        strvec_push(&p->requested, "python3.11-minimal");
        strvec_push(&p->requested, "libpython3.11-stdlib");
        strvec_push(&p->warnings, "unresolved guarded import: simplejson in /app/main.py:7");
        strvec_push(&p->warnings, "setuid bit stripped from /usr/bin/su");
}

static void test_resolve_report(void **state)
{
        (void)state;
        struct plan *p = plan_new();
        set_packages(p);
        add(p, LIBDIR "/libz.so.1.2.13", PLAN_FILE, NULL, "zlib1g", PLAN_R_ELF_NEEDED, "/x",
            "NEEDED libz.so.1", 121280);
        add_link(p, LIBDIR "/libz.so.1", "libz.so.1.2.13", "zlib1g", PLAN_R_LINK, "/x", "l");
        add(p, LIBDIR "/libssl.so.3", PLAN_FILE, NULL, "libssl3", PLAN_R_ELF_NEEDED, "/x",
            "NEEDED libssl.so.3", 1000);
        add(p, LIBDIR "/libcrypto.so.3", PLAN_FILE, NULL, "libssl3", PLAN_R_ELF_NEEDED, "/x",
            "NEEDED libcrypto.so.3", 2000);
        add(p, "/usr/lib/ssl/openssl.cnf", PLAN_FILE, NULL, "openssl", PLAN_R_RULE, "rule o", "r",
            12);
        add(p, "/stray", PLAN_FILE, NULL, "stray-pkg", PLAN_R_RULE, "rule o", "r", 5);
        add(p, "/app/main.py", PLAN_FILE, NULL, NULL, PLAN_R_SEED, "/app/main.py", "app", 7);
        add(p, "/app", PLAN_DIR, NULL, NULL, PLAN_R_SEED, "/app", "app", 0);

        char *txt = report_text(p, false);
        assert_string_equal(txt, "arch: amd64\n"
                                 "requested: libpython3.11-stdlib python3.11-minimal\n"
                                 "packages: 4 candidates, 4 kept\n"
                                 "  debconf    1.5.82            not kept\n"
                                 "  libssl3    3.0.17-1~deb12u2  kept           2 files         "
                                 "3000 bytes\n"
                                 "  openssl    3.0.17-1~deb12u2  kept           1 files           "
                                 "12 bytes  (added by rule openssl-config)\n"
                                 "  stray-pkg  ?                 kept           1 files           "
                                 " 5 bytes  (not a candidate)\n"
                                 "  zlib1g     1:1.2.13.dfsg-1   kept           1 files       "
                                 "121280 bytes\n"
                                 "no package (app and generated): 1 files, 7 bytes\n"
                                 "total: 8 entries (6 files, 1 dirs, 1 symlinks, 0 hardlinks), "
                                 "124304 bytes\n"
                                 "warnings: 2\n"
                                 "  setuid bit stripped from /usr/bin/su\n"
                                 "  unresolved guarded import: simplejson in /app/main.py:7\n");
        free(txt);

        char *js = report_text(p, true);
        json_error_t jerr;
        json_t *root = json_loads(js, 0, &jerr);
        if (!root)
                fail_msg("%s: %s", js, jerr.text);
        assert_string_equal(jget(root, "arch"), "amd64");
        json_t *pk = json_object_get(root, "packages");
        assert_int_equal(json_array_size(pk), 5);
        json_t *ssl = json_array_get(pk, 1);
        assert_string_equal(jget(ssl, "name"), "libssl3");
        assert_string_equal(jget(ssl, "version"), "3.0.17-1~deb12u2");
        assert_true(json_is_true(json_object_get(ssl, "kept")));
        assert_true(json_is_true(json_object_get(ssl, "candidate")));
        assert_int_equal(json_integer_value(json_object_get(ssl, "files")), 2);
        assert_int_equal(json_integer_value(json_object_get(ssl, "bytes")), 3000);
        json_t *deb = json_array_get(pk, 0);
        assert_string_equal(jget(deb, "name"), "debconf");
        assert_true(json_is_false(json_object_get(deb, "kept")));
        assert_string_equal(jget(json_array_get(pk, 2), "added_by"), "openssl-config");
        assert_true(json_is_false(json_object_get(json_array_get(pk, 3), "candidate")));
        json_t *tot = json_object_get(root, "totals");
        assert_int_equal(json_integer_value(json_object_get(tot, "entries")), 8);
        assert_int_equal(json_integer_value(json_object_get(tot, "files")), 6);
        assert_int_equal(json_integer_value(json_object_get(tot, "bytes")), 124304);
        json_t *un = json_object_get(root, "unowned");
        assert_int_equal(json_integer_value(json_object_get(un, "files")), 1);
        json_t *w = json_object_get(root, "warnings");
        assert_int_equal(json_array_size(w), 2);
        assert_string_equal(json_string_value(json_array_get(w, 0)),
                            "setuid bit stripped from /usr/bin/su");
        json_decref(root);
        free(js);
        plan_free(p);
}

static void test_round_trip_same_output(void **state)
{
        (void)state;
        struct plan *p = sample_plan();
        set_packages(p);
        char *dir = fixture_tmpdir();
        cleanup_free char *file = xasprintf("%s/plan.json", dir);
        struct distill_error err = {0};
        if (plan_write_json(p, file, &err) < 0)
                fail_msg("plan_write_json: %s", err.msg);
        struct plan *q = NULL;
        if (plan_read_json(file, &q, &err) < 0)
                fail_msg("plan_read_json: %s", err.msg);

        static const char *const paths[] = {
            LIBDIR "/libssl.so.3",
            LIBDIR "/libz.so.1",
            "/lib/x86_64-linux-gnu/libz.so.1.2.13",
            LIBDIR "/libssl.so",
            "/usr/lib",
            "/usr/lib/ssl/openssl.cnf",
            "/usr/lib/python3.11",
            "/nope",
            "/loop/a/x",
        };
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                for (int json = 0; json < 2; json++) {
                        int r1 = 0, r2 = 0;
                        char *a = why_text(p, paths[i], json, &r1);
                        char *b = why_text(q, paths[i], json, &r2);
                        assert_int_equal(r1, r2);
                        assert_string_equal(a, b);
                        free(a);
                        free(b);
                }
        }
        for (int json = 0; json < 2; json++) {
                char *a = report_text(p, json);
                char *b = report_text(q, json);
                assert_string_equal(a, b);
                free(a);
                free(b);
        }
        plan_free(q);
        plan_free(p);
        fixture_cleanup(dir);
        free(dir);
}

/* An ELF link of a chain ("NEEDED X" / "PT_INTERP X" by FROM) checked against readelf on the
 * requester's bytes (the sysroot is /, so its package path is the host file). */
static void verify_elf_link(struct plan *plan, json_t *item, json_t *next)
{
        const char *from = jget(item, "from");
        const char *detail = jget(item, "detail");
        assert_non_null(from);
        assert_non_null(detail);
        /* the next link of the chain is the requester, its "from" path resolved in the image */
        const struct plan_entry *req = plan_get(plan, next ? jget(next, "path") : from);
        if (!req || !req->pkg_path)
                fail_msg("%s (requester of %s) is no package file in the plan", from,
                         jget(item, "path"));
        if (strncmp(detail, "NEEDED ", 7) == 0) {
                char *out = fixture_sh_out("readelf -d '%s'", req->pkg_path);
                assert_non_null(out);
                cleanup_free char *want = xasprintf("Shared library: [%s]", detail + 7);
                if (!strstr(out, want))
                        fail_msg("readelf -d %s does not list %s", req->pkg_path, want);
                free(out);
        } else if (strncmp(detail, "PT_INTERP ", 10) == 0) {
                char *out = fixture_sh_out("readelf -l '%s'", req->pkg_path);
                assert_non_null(out);
                cleanup_free char *want =
                    xasprintf("Requesting program interpreter: %s]", detail + 10);
                if (!strstr(out, want))
                        fail_msg("readelf -l %s does not show %s", req->pkg_path, want);
                free(out);
        } else {
                fail_msg("unexpected ELF reason %s", detail);
        }
}

/* The host file an image path of a real build came from: its package file (the sysroot is
 * "/"), or the example app's source. */
static char *host_file_of(struct plan *plan, const char *image_path, const char *app_dir)
{
        struct plan_entry *e = plan_get(plan, image_path);
        if (e && e->pkg_path)
                return xstrdup(e->pkg_path);
        if (strncmp(image_path, "/app/", 5) == 0)
                return xasprintf("%s%s", app_dir, image_path + 4);
        /* the source of a frozen module (importlib/util.py) is not in the image, but it is the
         * sysroot's file at that path */
        return access(image_path, R_OK) == 0 ? xstrdup(image_path) : NULL;
}

/* An import link names FILE:LINE: that line of the source holds an import statement, and the
 * imported module's last component appears in the statement (which may continue on the next
 * lines inside parentheses). */
static void verify_import_link(struct plan *plan, json_t *item, const char *app_dir)
{
        const char *from = jget(item, "from"), *detail = jget(item, "detail");
        char module[512];
        unsigned line = 0;
        if (sscanf(detail, "import %511s at line %u", module, &line) != 2)
                fail_msg("import link with detail '%s'", detail);
        cleanup_free char *host = host_file_of(plan, from, app_dir);
        if (!host)
                fail_msg("no host file for %s", from);
        char *data;
        size_t len;
        if (read_file(host, &data, &len) != 0)
                fail_msg("cannot read %s", host);
        char *p = data;
        for (unsigned i = 1; i < line && p; i++) {
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        if (!p)
                fail_msg("%s has no line %u", host, line);
        char *eol = strchrnul(p, '\n');
        cleanup_free char *first = xstrndup(p, (size_t)(eol - p));
        if (!strstr(first, "import"))
                fail_msg("%s:%u is not an import: %s", host, line, first);
        const char *last = strrchr(module, '.') ? strrchr(module, '.') + 1 : module;
        const char *stmt_end = p;
        for (int k = 0; k < 30 && *stmt_end; k++) {
                stmt_end = strchrnul(stmt_end, '\n');
                if (*stmt_end)
                        stmt_end++;
        }
        cleanup_free char *stmt = xstrndup(p, (size_t)(stmt_end - p));
        if (!strstr(stmt, last))
                fail_msg("%s:%u does not import %s: %s", host, line, module, first);
        free(data);
}

/* Every ELF link of the chain is real; returns how many there were. */
static size_t imports_seen;
static size_t *imports_checked = &imports_seen;

static size_t verify_chain(struct plan *plan, const char *path, json_t **root_out)
{
        int rc = 0;
        char *js = why_text(plan, path, true, &rc);
        assert_int_equal(rc, 0);
        json_error_t jerr;
        json_t *root = json_loads(js, 0, &jerr);
        free(js);
        assert_non_null(root);
        json_t *chain = json_object_get(root, "chain");
        assert_true(json_array_size(chain) >= 2);
        size_t n_elf = 0;
        for (size_t i = 0; i < json_array_size(chain); i++) {
                json_t *item = json_array_get(chain, i);
                if (strcmp(jget(item, "kind"), "elf-needed") == 0) {
                        verify_elf_link(plan, item, json_array_get(chain, i + 1));
                        n_elf++;
                } else if (strcmp(jget(item, "kind"), "python-import") == 0 &&
                           strncmp(jget(item, "detail"), "import ", 7) == 0) {
                        cleanup_free char *app =
                            xasprintf("%s/examples/stdlib-app", fixture_source_dir());
                        verify_import_link(plan, item, app);
                        (*imports_checked)++;
                }
        }
        /* every chain of a built image ends at a seed or a rule (or an import made by a frozen
         * module, whose source is not in the image) */
        json_t *last = json_array_get(chain, json_array_size(chain) - 1);
        const char *kind = jget(last, "kind");
        if (strcmp(kind, "seed") != 0 && strcmp(kind, "rule") != 0 &&
            strcmp(kind, "python-import") != 0)
                fail_msg("chain of %s ends at a %s entry", path, kind);
        *root_out = root;
        return n_elf;
}

/* Builds manifests/NAME.yaml with the real distill (ctest sets DISTILL_BIN; unset fails loudly,
 * never skips) and reads its plan.json. *dir gets the scratch directory to clean up. */
static struct plan *build_example(const char *name, char **dir)
{
        const char *bin = getenv("DISTILL_BIN");
        if (!bin || access(bin, X_OK) != 0)
                fail_msg("DISTILL_BIN (%s) must name the built distill; ctest sets it",
                         bin ? bin : "unset");
        *dir = fixture_tmpdir();
        if (fixture_sh("'%s' build '%s/manifests/%s.yaml' -o '%s/out' -q >/dev/null", bin,
                       fixture_source_dir(), name, *dir) != 0)
                fail_msg("distill build of manifests/%s.yaml failed", name);
        cleanup_free char *file = xasprintf("%s/out/plan.json", *dir);
        struct plan *plan = NULL;
        struct distill_error err = {0};
        if (plan_read_json(file, &plan, &err) < 0)
                fail_msg("plan_read_json: %s", err.msg);
        return plan;
}

static void test_real_hello_image(void **state)
{
        (void)state;
        char *dir = NULL;
        struct plan *plan = build_example("hello", &dir);

        /* the real libz file (its version is the host's) */
        size_t n = 0;
        struct plan_entry *const *all = plan_sorted(plan, &n);
        const char *libz = NULL;
        for (size_t i = 0; i < n; i++)
                if (all[i]->type == PLAN_FILE &&
                    strncmp(all[i]->path, LIBDIR "/libz.so.1.", strlen(LIBDIR "/libz.so.1.")) == 0)
                        libz = all[i]->path;
        if (!libz)
                fail_msg("no " LIBDIR "/libz.so.1.* file in the hello plan");

        int rc = 0;
        char *txt = why_text(plan, libz, false, &rc);
        assert_int_equal(rc, 0);
        if (!strstr(txt, "\n  ← NEEDED libz.so.1 by /usr/bin/python3.11\n"))
                fail_msg("unexpected why output:\n%s", txt);
        free(txt);

        json_t *root = NULL;
        assert_true(verify_chain(plan, libz, &root) >= 1);
        json_t *first = json_array_get(json_object_get(root, "chain"), 0);
        assert_string_equal(jget(first, "detail"), "NEEDED libz.so.1");
        assert_string_equal(jget(first, "from"), "/usr/bin/python3.11");
        assert_string_equal(jget(first, "package"), "zlib1g");
        json_decref(root);
        char *raw = fixture_sh_out("readelf -d /usr/bin/python3.11");
        assert_non_null(raw);
        assert_non_null(strstr(raw, "Shared library: [libz.so.1]"));
        free(raw);

        /* the loader, asked for by its PT_INTERP name through the /lib64 link */
        assert_true(verify_chain(plan, "/lib64/ld-linux-x86-64.so.2", &root) >= 1);
        json_decref(root);
        /* every shared object of the image: each ELF link is real */
        for (size_t i = 0; i < n; i++) {
                if (all[i]->reason != PLAN_R_ELF_NEEDED)
                        continue;
                assert_true(verify_chain(plan, all[i]->path, &root) >= 1);
                json_decref(root);
        }
        /* a path that is not in the image */
        txt = why_text(plan, "/usr/bin/perl", false, &rc);
        assert_int_equal(rc, 1);
        free(txt);

        txt = report_text(plan, false);
        assert_non_null(strstr(txt, "\n  zlib1g "));
        assert_non_null(strstr(txt, "packages: "));
        free(txt);
        plan_free(plan);
        fixture_cleanup(dir);
        free(dir);
}

/* The stdlib app: chains through Python imports (ssl.py's `import _ssl`, the app's
 * `import ssl`) down to libssl, each link checked against readelf -d or the source line. */
static void test_real_import_chains(void **state)
{
        (void)state;
        char *dir = NULL;
        struct plan *plan = build_example("stdlib-app", &dir);
        json_t *root = NULL;
        imports_seen = 0;
        assert_true(verify_chain(plan, LIBDIR "/libssl.so.3", &root) >= 1);
        json_decref(root);
        assert_true(imports_seen >= 2); /* ssl.py's import _ssl and the app's import ssl */
        int rc = 0;
        char *txt = why_text(plan, LIBDIR "/libssl.so.3", false, &rc);
        assert_non_null(strstr(txt, "← import _ssl in /usr/lib/python3.11/ssl.py:"));
        assert_non_null(strstr(txt, "← import ssl in /app/main.py:"));
        free(txt);
        /* every import link of every kept module's chain */
        size_t n;
        struct plan_entry *const *all = plan_sorted(plan, &n);
        for (size_t i = 0; i < n; i++) {
                if (all[i]->reason != PLAN_R_PYTHON_IMPORT && all[i]->reason != PLAN_R_ELF_NEEDED)
                        continue;
                /* imports made by frozen modules (os, site) name a source the image lacks */
                if (!all[i]->reason_from || !plan_get(plan, all[i]->reason_from))
                        continue;
                (void)verify_chain(plan, all[i]->path, &root); /* asserts every link itself */
                json_decref(root);
        }
        plan_free(plan);
        fixture_cleanup(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_chain_elf_import_seed),
            cmocka_unit_test(test_links_rules_generated),
            cmocka_unit_test(test_not_in_image),
            cmocka_unit_test(test_cycle_and_depth_terminate),
            cmocka_unit_test(test_json_form),
            cmocka_unit_test(test_resolve_report),
            cmocka_unit_test(test_round_trip_same_output),
            cmocka_unit_test(test_real_hello_image),
            cmocka_unit_test(test_real_import_chains),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
