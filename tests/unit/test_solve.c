/* Tests for solve: closure and apt's choices on handmade dpkg roots, and apt itself as the oracle
 * on the real host root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/solve.h"
#include "fixture.h"

/* A dpkg root whose status holds `stanzas` (each gets "Status: install ok installed" and an
 * empty file list). Stanzas are separated by blank lines. */
struct root {
        char *dir;
        struct source *src;
};

static void root_open(struct root *r, const char *stanzas)
{
        struct strbuf status = STRBUF_INIT;
        const char *p = stanzas;

        r->dir = fixture_tmpdir();
        while (*p) {
                const char *end = strstr(p, "\n\n");
                size_t len = end ? (size_t)(end - p) + 1 : strlen(p);
                char *stanza = xstrndup(p, len);
                const char *name = strstr(stanza, "Package: ") + 9;
                char *list = xasprintf("%s/var/lib/dpkg/info/%.*s.list", r->dir,
                                       (int)strcspn(name, "\n"), name);
                fixture_write(list, "/.\n");
                free(list);
                strbuf_addf(&status, "Status: install ok installed\n%s\n", stanza);
                free(stanza);
                p += len;
                while (*p == '\n')
                        p++;
        }
        char *path = xasprintf("%s/var/lib/dpkg/status", r->dir);
        fixture_write(path, strbuf_str(&status));
        free(path);
        strbuf_release(&status);

        struct distill_error err = {0};
        if (source_open_sysroot(r->dir, "amd64", &r->src, &err) != 0)
                fail_msg("source_open_sysroot: %s", err.msg);
}

static void root_close(struct root *r)
{
        source_free(r->src);
        fixture_cleanup(r->dir);
        free(r->dir);
}

/* The solved names joined by spaces, or "ERROR: message". Caller frees. */
static char *solve_names(struct source *src, const char *const *names, size_t n, int *rc)
{
        struct strvec req = STRVEC_INIT;
        struct distill_error err = {0};
        struct pkgset set = {0};
        struct strbuf out = STRBUF_INIT;

        for (size_t i = 0; i < n; i++)
                strvec_push(&req, names[i]);
        *rc = solve_candidates(src, &req, &set, &err);
        if (*rc < 0) {
                strbuf_addf(&out, "ERROR: %s", err.msg);
        } else {
                for (size_t i = 0; i < set.n; i++)
                        strbuf_addf(&out, "%s%s", i ? " " : "", set.pkgs[i]->name);
        }
        pkgset_release(&set);
        strvec_clear(&req);
        return strbuf_detach(&out);
}

static void assert_solves_to(const char *stanzas, const char *request, const char *want)
{
        struct root r;
        int rc;
        root_open(&r, stanzas);
        char *got = solve_names(r.src, &request, 1, &rc);
        if (rc != 0 || strcmp(got, want) != 0)
                fail_msg("solving %s: got '%s', want '%s'", request, got, want);
        free(got);
        root_close(&r);
}

static void test_closure_depends_predepends_not_recommends(void **state)
{
        (void)state;
        assert_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\n"
                         "Depends: liba (>= 1.0), libb\nPre-Depends: pre\n"
                         "Recommends: extra\nSuggests: docs\n\n"
                         "Package: liba\nVersion: 1.5\nArchitecture: amd64\nDepends: deep\n\n"
                         "Package: libb\nVersion: 1\nArchitecture: all\n\n"
                         "Package: pre\nVersion: 1\nArchitecture: amd64\n\n"
                         "Package: deep\nVersion: 1\nArchitecture: amd64\n\n"
                         "Package: extra\nVersion: 1\nArchitecture: amd64\n\n"
                         "Package: docs\nVersion: 1\nArchitecture: amd64\n\n"
                         "Package: unrelated\nVersion: 1\nArchitecture: amd64\n",
                         "app", "app deep liba libb pre");
}

/* libsolv alone takes `aa` (name order); apt takes the first alternative. */
static void test_or_group_first_alternative(void **state)
{
        (void)state;
        const char *pkgs = "Package: app\nVersion: 1\nArchitecture: amd64\nDepends: zz | aa\n\n"
                           "Package: aa\nVersion: 1\nArchitecture: amd64\n\n"
                           "Package: zz\nVersion: 1\nArchitecture: amd64\n";
        assert_solves_to(pkgs, "app", "app zz");
        /* first alternative missing, or only another architecture's: the next one */
        assert_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\n"
                         "Depends: missing | zz386 | zz\n\n"
                         "Package: zz386\nVersion: 1\nArchitecture: i386\n\n"
                         "Package: aa\nVersion: 1\nArchitecture: amd64\nProvides: zz\n\n"
                         "Package: zz\nVersion: 1\nArchitecture: amd64\n",
                         "app", "app zz");
        /* a versioned first alternative that no version satisfies is skipped */
        assert_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\n"
                         "Depends: zz (>= 2) | aa\n\n"
                         "Package: aa\nVersion: 1\nArchitecture: amd64\n\n"
                         "Package: bb\nVersion: 1\nArchitecture: amd64\nProvides: aa\n\n"
                         "Package: zz\nVersion: 1\nArchitecture: amd64\n",
                         "app", "aa app");
}

/* A real package beats a provider that sorts before it. */
static void test_real_package_over_provider(void **state)
{
        (void)state;
        assert_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\nDepends: foo\n\n"
                         "Package: aaa\nVersion: 1\nArchitecture: amd64\nProvides: foo\n\n"
                         "Package: foo\nVersion: 1\nArchitecture: amd64\n",
                         "app", "app foo");
        /* a purely virtual name with one provider is satisfied by it */
        assert_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\nDepends: virt\n\n"
                         "Package: prov\nVersion: 1\nArchitecture: amd64\nProvides: virt\n",
                         "app", "app prov");
}

static void test_native_architecture_preferred(void **state)
{
        (void)state;
        struct root r;
        const char *req = "app";
        struct strvec names = STRVEC_INIT;
        struct distill_error err = {0};
        struct pkgset set = {0};

        root_open(&r, "Package: app\nVersion: 1\nArchitecture: amd64\nDepends: libx\n\n"
                      "Package: libx\nVersion: 1\nArchitecture: i386\nMulti-Arch: same\n\n"
                      "Package: libx\nVersion: 1\nArchitecture: amd64\nMulti-Arch: same\n");
        strvec_push(&names, req);
        assert_int_equal(solve_candidates(r.src, &names, &set, &err), 0);
        assert_int_equal(set.n, 2);
        assert_string_equal(set.pkgs[1]->name, "libx");
        assert_string_equal(set.pkgs[1]->arch, "amd64");
        pkgset_release(&set);
        strvec_clear(&names);
        root_close(&r);
}

static void test_unsatisfiable_version(void **state)
{
        (void)state;
        struct root r;
        const char *req = "app";
        int rc;

        root_open(&r, "Package: app\nVersion: 1\nArchitecture: amd64\nDepends: foo (>= 9)\n\n"
                      "Package: foo\nVersion: 1.0\nArchitecture: amd64\n");
        char *got = solve_names(r.src, &req, 1, &rc);
        assert_int_equal(rc, -DISTILL_ERESOLVE);
        /* libsolv's text: "nothing provides foo >= 9 needed by app-1.amd64" */
        if (!strstr(got, "nothing provides foo >= 9") || !strstr(got, "app"))
                fail_msg("unexpected message: %s", got);
        free(got);
        root_close(&r);
}

static void test_missing_packages(void **state)
{
        (void)state;
        struct root r;
        const char *req[] = {"nosuch", "app", "neither"};
        int rc;

        root_open(&r, "Package: app\nVersion: 1\nArchitecture: amd64\n");
        char *got = solve_names(r.src, req, 3, &rc);
        assert_int_equal(rc, -DISTILL_ERESOLVE);
        if (!strstr(got, "package nosuch does not exist") ||
            !strstr(got, "package neither does not exist"))
                fail_msg("unexpected message: %s", got);
        free(got);
        root_close(&r);
}

static void test_pkgset_contains(void **state)
{
        (void)state;
        struct root r;
        struct strvec names = STRVEC_INIT;
        struct distill_error err = {0};
        struct pkgset set = {0};

        root_open(&r, "Package: m\nVersion: 1\nArchitecture: amd64\nDepends: c, x, a\n\n"
                      "Package: a\nVersion: 1\nArchitecture: amd64\n\n"
                      "Package: c\nVersion: 1\nArchitecture: amd64\n\n"
                      "Package: x\nVersion: 1\nArchitecture: amd64\nDepends: m\n\n"
                      "Package: b\nVersion: 1\nArchitecture: amd64\n");
        strvec_push(&names, "m");
        strvec_push(&names, "x"); /* requested twice through the dependency cycle */
        assert_int_equal(solve_candidates(r.src, &names, &set, &err), 0);
        assert_int_equal(set.n, 4);
        const char *sorted[] = {"a", "c", "m", "x"};
        for (size_t i = 0; i < 4; i++) {
                assert_string_equal(set.pkgs[i]->name, sorted[i]);
                assert_true(pkgset_contains(&set, sorted[i]));
        }
        assert_false(pkgset_contains(&set, "b"));
        assert_false(pkgset_contains(&set, ""));
        assert_false(pkgset_contains(&set, "zzz"));
        pkgset_release(&set);
        assert_null(set.pkgs);
        assert_false(pkgset_contains(&set, "a"));
        strvec_clear(&names);
        root_close(&r);
}

/* The space-separated words of `a` that `b` lacks. Caller frees. */
static char *words_missing_from(const char *a, const char *b)
{
        struct strbuf out = STRBUF_INIT;
        char *copy = xstrdup(a);
        char *save = NULL;
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                char *needle = xasprintf(" %s ", w);
                char *hay = xasprintf(" %s ", b);
                if (!strstr(hay, needle))
                        strbuf_addf(&out, "%s ", w);
                free(needle);
                free(hay);
        }
        free(copy);
        return strbuf_detach(&out);
}

/* apt on this host is the oracle: same request, same package set. apt reads the archive indexes
 * (Dir::State::status=/dev/null: nothing counts as installed), we read the host's dpkg status. */
static void test_oracle_apt_on_host(void **state)
{
        (void)state;
        const char *req[] = {"python3.11-minimal", "libpython3.11-stdlib"};
        struct distill_error err = {0};
        struct source *src = NULL;
        int rc;

        if (source_open_sysroot("/", "amd64", &src, &err) != 0)
                fail_msg("source_open_sysroot /: %s", err.msg);
        char *ours = solve_names(src, req, 2, &rc);
        source_free(src);
        if (rc != 0)
                fail_msg("solve on host: %s", ours);
        char *apt = fixture_sh_out(
            "apt-get -s -o Dir::State::status=/dev/null install --no-install-recommends "
            "python3.11-minimal libpython3.11-stdlib 2>/dev/null | "
            "awk '$1 == \"Inst\" { sub(/:amd64$/, \"\", $2); print $2 }' | LC_ALL=C sort | "
            "tr '\\n' ' ' | sed 's/ $//'");
        assert_non_null(apt);
        assert_true(strlen(apt) > 0);
        if (strcmp(ours, apt) != 0) {
                char *only_ours = words_missing_from(ours, apt);
                char *only_apt = words_missing_from(apt, ours);
                fail_msg("solve differs from apt\n only ours: %s\n only apt: %s", only_ours,
                         only_apt);
        }
        free(ours);
        free(apt);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_closure_depends_predepends_not_recommends),
            cmocka_unit_test(test_or_group_first_alternative),
            cmocka_unit_test(test_real_package_over_provider),
            cmocka_unit_test(test_native_architecture_preferred),
            cmocka_unit_test(test_unsatisfiable_version),
            cmocka_unit_test(test_missing_packages),
            cmocka_unit_test(test_pkgset_contains),
            cmocka_unit_test(test_oracle_apt_on_host),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
