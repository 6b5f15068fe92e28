/* The SBOM of a small plan: packages, purls, licences, Python distributions, files with SHA-1
 * (against coreutils' sha1sum), verification codes, relationships, reproducibility. The schemas
 * and Trivy check real builds (tests/integration/test_sbom.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "distill/base/digest.h"
#include "distill/base/util.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/image/sbom.h"
#include "fixture.h"

#define DIGEST_TAIL "5a481e834c3cd8fbc5b2ec7145f2c5c0d674d7d500846940190b144b399f39"
#define DIGEST      "7a" DIGEST_TAIL

struct world {
        char *tmp;
        struct store *st;
        struct plan *plan;
};

static const char copyright_dep5[] =
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
    "Upstream-Name: demo\n"
    "\n"
    "Files: *\n"
    "Copyright: 2020 Someone\n"
    "License: GPL-2+\n"
    "\n"
    "Files: lib/*\n"
    "Copyright: 2021 Someone Else\n"
    "License: Expat or Apache-2.0\n"
    "\n"
    "Files: odd/*\n"
    "Copyright: 2022 A Third\n"
    "License: public-domain\n"
    "\n"
    "License: public-domain\n"
    " Do what you like.\n";

static void add(struct world *w, const char *path, enum plan_type type, const char *data,
                const char *pkg, enum plan_reason_kind reason, const char *from)
{
        struct distill_error err = {0};
        struct plan_entry e = {.path = (char *)path,
                               .type = type,
                               .mode = type == PLAN_DIR ? 0755 : 0644,
                               .pkg = (char *)pkg,
                               .reason = reason,
                               .reason_from = (char *)from};
        if (type == PLAN_FILE) {
                e.size = strlen(data);
                assert_int_equal(store_put_mem(w->st, data, e.size, e.digest, &err), 0);
        } else if (type == PLAN_SYMLINK) {
                e.target = (char *)data;
        }
        plan_add(w->plan, &e, NULL);
}

static void add_package(struct plan *plan, const char *name, const char *version, const char *arch,
                        const char *source, bool kept)
{
        plan->packages = xrealloc(plan->packages, (plan->n_packages + 1) * sizeof(*plan->packages));
        plan->packages[plan->n_packages++] = (struct plan_package){.name = xstrdup(name),
                                                                   .version = xstrdup(version),
                                                                   .arch = xstrdup(arch),
                                                                   .source = xstrdup(source),
                                                                   .kept = kept};
}

static int setup(void **state)
{
        struct world *w = xcalloc(1, sizeof(*w));
        struct distill_error err = {0};
        w->tmp = fixture_tmpdir();
        cleanup_free char *sdir = path_join(w->tmp, "store");
        assert_int_equal(store_open(sdir, &w->st, &err), 0);
        w->plan = plan_new();
        w->plan->arch = xstrdup("amd64");
        /* sorted by name, as the plan keeps them */
        add_package(w->plan, "base-files", "12.4+deb12u11", "amd64", NULL, true);
        add_package(w->plan, "libfoo1", "1:2.0-1", "amd64", "foo (2.0-1)", true);
        add_package(w->plan, "python3-bar", "1.5-2", "all", "bar", true);
        add_package(w->plan, "unused", "1.0", "amd64", NULL, false);

        add(w, "/etc/os-release", PLAN_SYMLINK, "../usr/lib/os-release", "base-files", PLAN_R_RULE,
            NULL);
        add(w, "/usr/lib/os-release", PLAN_FILE,
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
            "base-files", PLAN_R_RULE, NULL);
        add(w, "/usr/lib/libfoo.so.1", PLAN_FILE, "foo library bytes", "libfoo1", PLAN_R_ELF_NEEDED,
            "/usr/lib/python3/dist-packages/bar/_bar.so");
        add(w, "/usr/share/doc/libfoo1/copyright", PLAN_FILE, copyright_dep5, "libfoo1",
            PLAN_R_PKG_METADATA, NULL);
        add(w, "/usr/lib/python3/dist-packages/bar/_bar.so", PLAN_FILE, "bar extension",
            "python3-bar", PLAN_R_PYTHON_IMPORT, "/app/main.py");
        add(w, "/usr/lib/python3/dist-packages/Bar_Lib-1.5.egg-info/PKG-INFO", PLAN_FILE,
            "Metadata-Version: 2.1\nName: Bar_Lib\nVersion: 1.5\n\nName: not this\n", "python3-bar",
            PLAN_R_PY_METADATA, NULL);
        add(w, "/usr/share/doc/python3-bar/copyright", PLAN_FILE, "This is not machine-readable.\n",
            "python3-bar", PLAN_R_PKG_METADATA, NULL);
        add(w, "/usr/local/lib/python3.11/site-packages/baz-0.3.dist-info/METADATA", PLAN_FILE,
            "Metadata-Version: 2.1\r\nName: baz\r\nVersion: 0.3\r\n", NULL, PLAN_R_INCLUDE, NULL);
        add(w, "/app/main.py", PLAN_FILE, "import bar\n", NULL, PLAN_R_SEED, NULL);
        add(w, "/app", PLAN_DIR, NULL, NULL, PLAN_R_PARENT, NULL);
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        struct world *w = *state;
        plan_free(w->plan);
        store_free(w->st);
        fixture_cleanup(w->tmp);
        free(w->tmp);
        free(w);
        return 0;
}

static json_t *find(json_t *array, const char *key, const char *value)
{
        size_t i;
        json_t *v;
        json_array_foreach(array, i, v)
        {
                const char *s = json_string_value(json_object_get(v, key));
                if (s && strcmp(s, value) == 0)
                        return v;
        }
        return NULL;
}

static const char *str(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static bool related(json_t *rels, const char *a, const char *type, const char *b)
{
        size_t i;
        json_t *r;
        json_array_foreach(rels, i, r)
        {
                if (strcmp(str(r, "spdxElementId"), a) == 0 &&
                    strcmp(str(r, "relationshipType"), type) == 0 &&
                    strcmp(str(r, "relatedSpdxElement"), b) == 0)
                        return true;
        }
        return false;
}

static void make(struct world *w, struct sbom_docs *docs)
{
        struct distill_error err = {0};
        struct sbom_image img = {
            .ref = "localhost/demo:1.0", .manifest_digest = DIGEST, .created = 1700000000};
        assert_int_equal(sbom_make(w->plan, w->st, &img, docs, &err), 0);
}

static void test_spdx(void **state)
{
        struct world *w = *state;
        struct sbom_docs docs = {NULL, NULL};
        make(w, &docs);
        json_error_t jerr;
        json_t *doc = json_loads(docs.spdx, 0, &jerr);
        assert_non_null(doc);
        assert_string_equal(str(doc, "spdxVersion"), "SPDX-2.3");
        assert_string_equal(str(json_object_get(doc, "creationInfo"), "created"),
                            "2023-11-14T22:13:20Z");
        /* uuid.uuid5(uuid.NAMESPACE_URL, DIGEST) */
        cleanup_free char *want_uuid = fixture_sh_out(
            "/usr/bin/python3.11 -c 'import uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, \"%s\"))'",
            DIGEST);
        want_uuid[strcspn(want_uuid, "\n")] = '\0';
        assert_non_null(strstr(str(doc, "documentNamespace"), want_uuid));

        json_t *pkgs = json_object_get(doc, "packages");
        assert_null(find(pkgs, "name", "unused"));
        json_t *foo = find(pkgs, "name", "libfoo1");
        assert_non_null(foo);
        assert_string_equal(str(foo, "versionInfo"), "1:2.0-1");
        assert_string_equal(str(foo, "licenseDeclared"),
                            "GPL-2.0-or-later AND (MIT OR Apache-2.0) AND "
                            "LicenseRef-libfoo1-public-domain");
        json_t *ref = json_array_get(json_object_get(foo, "externalRefs"), 0);
        assert_string_equal(str(ref, "referenceLocator"),
                            "pkg:deb/debian/libfoo1@1%3A2.0-1?arch=amd64&distro=debian-12");
        assert_true(json_is_true(json_object_get(foo, "filesAnalyzed")));
        assert_non_null(find(json_object_get(doc, "hasExtractedLicensingInfos"), "licenseId",
                             "LicenseRef-libfoo1-public-domain"));
        json_t *bar = find(pkgs, "name", "python3-bar");
        assert_string_equal(str(bar, "licenseDeclared"), "NOASSERTION");

        /* files: ./-relative, SHA1 as sha1sum gives it, SHA256 */
        json_t *files = json_object_get(doc, "files");
        json_t *lib = find(files, "fileName", "./usr/lib/libfoo.so.1");
        assert_non_null(lib);
        cleanup_free char *want_sha1 = fixture_sh_out("printf 'foo library bytes' | sha1sum");
        want_sha1[SHA1_HEX_LEN] = '\0';
        json_t *sums = json_object_get(lib, "checksums");
        assert_string_equal(str(find(sums, "algorithm", "SHA1"), "checksumValue"), want_sha1);
        assert_non_null(find(sums, "algorithm", "SHA256"));
        assert_null(find(files, "fileName", "./etc/os-release")); /* a symlink */
        assert_null(find(files, "fileName", "./app"));

        /* the verification code of libfoo1: its two files' SHA-1s, sorted, concatenated */
        cleanup_free char *want_code = fixture_sh_out(
            "(printf 'foo library bytes' | sha1sum; printf '%%s' '%s' | sha1sum) | cut -c1-40 "
            "| sort | tr -d '\\n' | sha1sum",
            copyright_dep5);
        want_code[SHA1_HEX_LEN] = '\0';
        assert_string_equal(
            str(json_object_get(foo, "packageVerificationCode"), "packageVerificationCodeValue"),
            want_code);

        /* relationships */
        json_t *rels = json_object_get(doc, "relationships");
        json_t *image = find(pkgs, "primaryPackagePurpose", "CONTAINER");
        json_t *baz = find(pkgs, "name", "baz");
        json_t *barlib = find(pkgs, "name", "Bar_Lib");
        assert_non_null(baz);
        assert_non_null(barlib);
        assert_string_equal(str(barlib, "versionInfo"), "1.5");
        assert_true(related(rels, "SPDXRef-DOCUMENT", "DESCRIBES", str(image, "SPDXID")));
        assert_true(related(rels, str(image, "SPDXID"), "CONTAINS", str(foo, "SPDXID")));
        assert_true(related(rels, str(bar, "SPDXID"), "CONTAINS", str(barlib, "SPDXID")));
        assert_true(related(rels, str(image, "SPDXID"), "CONTAINS", str(baz, "SPDXID")));
        assert_true(related(rels, str(foo, "SPDXID"), "CONTAINS", str(lib, "SPDXID")));
        json_t *main_py = find(files, "fileName", "./app/main.py");
        assert_true(related(rels, str(image, "SPDXID"), "CONTAINS", str(main_py, "SPDXID")));
        /* libfoo.so.1 is there because python3-bar's extension needs it */
        assert_true(related(rels, str(bar, "SPDXID"), "DEPENDS_ON", str(foo, "SPDXID")));
        assert_false(related(rels, str(foo, "SPDXID"), "DEPENDS_ON", str(bar, "SPDXID")));
        json_decref(doc);
        sbom_docs_release(&docs);
}

static void test_cyclonedx(void **state)
{
        struct world *w = *state;
        struct sbom_docs docs = {NULL, NULL};
        make(w, &docs);
        json_error_t jerr;
        json_t *doc = json_loads(docs.cdx, 0, &jerr);
        assert_non_null(doc);
        assert_string_equal(str(doc, "specVersion"), "1.5");
        assert_int_equal(strncmp(str(doc, "serialNumber"), "urn:uuid:", 9), 0);
        assert_int_equal(str(doc, "serialNumber")[9 + 14], '5'); /* version 5 */
        json_t *comps = json_object_get(doc, "components");
        json_t *os = find(comps, "type", "operating-system");
        assert_string_equal(str(os, "name"), "debian");
        assert_string_equal(str(os, "version"), "12");
        json_t *bar = find(comps, "name", "python3-bar");
        assert_string_equal(str(bar, "purl"),
                            "pkg:deb/debian/python3-bar@1.5-2?arch=all&distro=debian-12");
        /* a distribution a Debian package ships is described inside it */
        json_t *inner = find(json_object_get(bar, "components"), "name", "Bar_Lib");
        assert_non_null(inner);
        assert_string_equal(str(inner, "purl"), "pkg:pypi/bar-lib@1.5");
        assert_null(find(comps, "name", "Bar_Lib"));
        json_t *baz = find(comps, "name", "baz");
        assert_string_equal(str(baz, "purl"), "pkg:pypi/baz@0.3");
        json_t *foo = find(comps, "name", "libfoo1");
        json_t *lic = json_array_get(json_object_get(foo, "licenses"), 0);
        assert_non_null(str(lic, "expression"));
        json_t *deps = json_object_get(doc, "dependencies");
        json_t *bar_deps = find(deps, "ref", str(bar, "bom-ref"));
        assert_non_null(bar_deps);
        json_t *on = json_object_get(bar_deps, "dependsOn");
        bool has_foo = false;
        for (size_t i = 0; i < json_array_size(on); i++)
                has_foo |=
                    strcmp(json_string_value(json_array_get(on, i)), str(foo, "bom-ref")) == 0;
        assert_true(has_foo);
        json_decref(doc);
        sbom_docs_release(&docs);
}

/* The same plan and digest give the same bytes; another digest another serial number. */
static void test_reproducible(void **state)
{
        struct world *w = *state;
        struct sbom_docs a = {NULL, NULL}, b = {NULL, NULL};
        make(w, &a);
        make(w, &b);
        assert_string_equal(a.spdx, b.spdx);
        assert_string_equal(a.cdx, b.cdx);
        sbom_docs_release(&b);
        struct distill_error err = {0};
        struct sbom_image img = {.ref = "localhost/demo:1.0",
                                 .manifest_digest = "00" DIGEST_TAIL,
                                 .created = 1700000000};
        assert_int_equal(sbom_make(w->plan, w->st, &img, &b, &err), 0);
        assert_string_not_equal(a.cdx, b.cdx);
        sbom_docs_release(&a);
        sbom_docs_release(&b);
}

static void test_license_ids(void **state)
{
        (void)state;
        char buf[64];
        assert_string_equal(sbom_spdx_license_id("GPL-2", buf, sizeof(buf)), "GPL-2.0-only");
        assert_string_equal(sbom_spdx_license_id("LGPL-2.1+", buf, sizeof(buf)),
                            "LGPL-2.1-or-later");
        assert_string_equal(sbom_spdx_license_id("bsd-3-clause", buf, sizeof(buf)), "BSD-3-Clause");
        assert_string_equal(sbom_spdx_license_id("Expat", buf, sizeof(buf)), "MIT");
        assert_null(sbom_spdx_license_id("GPL-2.x", buf, sizeof(buf)));
        assert_null(sbom_spdx_license_id("public-domain", buf, sizeof(buf)));

        /* not machine-readable; a "with … exception" line stays one LicenseRef */
        assert_null(sbom_dep5_license("Plain text\n", 11, "t", "p", NULL));
        static const char with[] = "Format: https://www.debian.org/doc/packaging-manuals/"
                                   "copyright-format/1.0/\n\nFiles: *\nLicense: GPL-3+ with "
                                   "GCC exception\n";
        struct strvec refs = STRVEC_INIT;
        cleanup_free char *e = sbom_dep5_license(with, strlen(with), "t", "gcc", &refs);
        assert_string_equal(e, "LicenseRef-gcc-GPL-3--with-GCC-exception");
        assert_int_equal(refs.n, 2);
        assert_string_equal(refs.v[1], "GPL-3+ with GCC exception");
        strvec_clear(&refs);
}

static void test_uuid5(void **state)
{
        (void)state;
        char u[37];
        sbom_uuid5("http://python.org/", u);
        /* uuid.uuid5(uuid.NAMESPACE_URL, "http://python.org/") */
        cleanup_free char *want = fixture_sh_out("/usr/bin/python3.11 -c 'import uuid; "
                                                 "print(uuid.uuid5(uuid.NAMESPACE_URL, "
                                                 "\"http://python.org/\"))'");
        want[strcspn(want, "\n")] = '\0';
        assert_string_equal(u, want);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_spdx, setup, teardown),
            cmocka_unit_test_setup_teardown(test_cyclonedx, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reproducible, setup, teardown),
            cmocka_unit_test(test_license_ids),
            cmocka_unit_test(test_uuid5),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
