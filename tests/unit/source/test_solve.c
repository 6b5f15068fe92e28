/* Tests for solve: closure and apt's choices on handmade dpkg roots and handmade Packages indexes,
 * and apt itself as the oracle on the real host root and on the host's archive indexes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/source/solve.h"
#include "fixture.h"

/* What apt would install on an empty system, with none of this host's apt settings that change
 * the choice (recommends, suggests, pinning). */
#define APT_SIM                                                                                    \
        "apt-get -s -o Dir::State::status=/dev/null -o APT::Install-Recommends=0 "                 \
        "-o APT::Install-Suggests=0 -o Dir::Etc::Preferences=/dev/null "                           \
        "-o Dir::Etc::PreferencesParts=/dev/null install "

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

        /* (package names as policy has them: two characters at least) */
        root_open(&r, "Package: pm\nVersion: 1\nArchitecture: amd64\nDepends: pc, px, pa\n\n"
                      "Package: pa\nVersion: 1\nArchitecture: amd64\n\n"
                      "Package: pc\nVersion: 1\nArchitecture: amd64\n\n"
                      "Package: px\nVersion: 1\nArchitecture: amd64\nDepends: pm\n\n"
                      "Package: pb\nVersion: 1\nArchitecture: amd64\n");
        strvec_push(&names, "pm");
        strvec_push(&names, "px"); /* requested twice through the dependency cycle */
        assert_int_equal(solve_candidates(r.src, &names, &set, &err), 0);
        assert_int_equal(set.n, 4);
        const char *sorted[] = {"pa", "pc", "pm", "px"};
        for (size_t i = 0; i < 4; i++) {
                assert_string_equal(set.pkgs[i]->name, sorted[i]);
                assert_true(pkgset_contains(&set, sorted[i]));
        }
        assert_false(pkgset_contains(&set, "pb"));
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
            APT_SIM "python3.11-minimal libpython3.11-stdlib 2>/dev/null | "
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

/* --- the solver over Packages indexes (the apt source) ------------------------------------- */

/* solve never reaches the backend: every call is an error a test would see. */
static int unused_prepare(void *impl, struct source *src, struct source_pkg *const *pkgs, size_t n,
                          struct distill_error *err)
{
        (void)impl, (void)src, (void)pkgs, (void)n;
        return distill_error_set(err, DISTILL_EINTERNAL, "test backend: prepare not expected");
}

static int unused_lstat(void *impl, const char *pkg_path, struct source_stat *st,
                        struct distill_error *err)
{
        (void)impl, (void)st;
        return distill_error_set(err, DISTILL_EINTERNAL, "test backend: lstat %s", pkg_path);
}

static int unused_open_file(void *impl, const char *pkg_path, int *fd, struct distill_error *err)
{
        (void)impl, (void)fd;
        return distill_error_set(err, DISTILL_EINTERNAL, "test backend: open %s", pkg_path);
}

static const struct source_backend unused_backend = {
    .prepare = unused_prepare,
    .lstat = unused_lstat,
    .open_file = unused_open_file,
    .free = free,
};

/* `stanzas` (blank-line separated, as in root_open) with the fields a Packages index adds:
 * Filename (naming the suite, so tests can tell which index a package came from), Size and a
 * SHA256. Caller frees. */
static char *index_text(const char *suite, const char *stanzas)
{
        struct strbuf out = STRBUF_INIT;
        const char *p = stanzas;
        unsigned n = 0;

        while (*p) {
                const char *end = strstr(p, "\n\n");
                size_t len = end ? (size_t)(end - p) + 1 : strlen(p);
                const char *name = strstr(p, "Package: ");
                if (!name || name >= p + len)
                        fail_msg("test stanza without Package: %.*s", (int)len, p);
                name += 9;
                strbuf_add(&out, p, len);
                if (out.buf[out.len - 1] != '\n')
                        strbuf_addch(&out, '\n');
                strbuf_addf(&out,
                            "Filename: pool/%s/%.*s_%u.deb\nSize: %u\n"
                            "SHA256: %064x\n\n",
                            suite, (int)strcspn(name, "\n"), name, n, 1000 + n, n + 1);
                n++;
                p += len;
                while (*p == '\n')
                        p++;
        }
        return strbuf_detach(&out);
}

/* A source over one index per suite: suites[i] holds stanzas[i]. */
static struct source *indexes_open(const char *const *suites, const char *const *stanzas, size_t n)
{
        struct source_index_text *texts = xcalloc(n, sizeof(*texts));
        char **owned = xcalloc(n, sizeof(*owned));
        struct distill_error err = {0};
        struct source *src = NULL;

        for (size_t i = 0; i < n; i++) {
                owned[i] = index_text(suites[i], stanzas[i]);
                texts[i] = (struct source_index_text){owned[i], strlen(owned[i]), suites[i],
                                                      "http://deb.example/debian"};
        }
        int rc =
            source_open_indexes("amd64", texts, n, &unused_backend, xcalloc(1, 16), &src, &err);
        for (size_t i = 0; i < n; i++)
                free(owned[i]);
        free(owned);
        free(texts);
        if (rc != 0)
                fail_msg("source_open_indexes: %s", err.msg);
        return src;
}

static struct source *index_open(const char *stanzas)
{
        const char *suite = "stable";
        return indexes_open(&suite, &stanzas, 1);
}

static void assert_index_solves_to(const char *stanzas, const char *request, const char *want)
{
        struct source *src = index_open(stanzas);
        int rc;
        char *got = solve_names(src, &request, 1, &rc);
        if (rc != 0 || strcmp(got, want) != 0)
                fail_msg("solving %s over an index: got '%s', want '%s'", request, got, want);
        free(got);
        source_free(src);
}

/* The one package named `name` in a solved set; fails unless there is exactly one. */
static const struct source_pkg *the_one(const struct pkgset *set, const char *name)
{
        const struct source_pkg *found = NULL;
        for (size_t i = 0; i < set->n; i++) {
                if (strcmp(set->pkgs[i]->name, name) != 0)
                        continue;
                if (found)
                        fail_msg("%s chosen twice: %s and %s", name, found->version,
                                 set->pkgs[i]->version);
                found = set->pkgs[i];
        }
        if (!found)
                fail_msg("%s not chosen", name);
        return found;
}

static void solve_or_fail(struct source *src, const char *request, struct pkgset *set)
{
        struct strvec names = STRVEC_INIT;
        struct distill_error err = {0};
        strvec_push(&names, request);
        if (solve_candidates(src, &names, set, &err) != 0)
                fail_msg("solving %s: %s", request, err.msg);
        strvec_clear(&names);
}

static void test_index_or_group_first_alternative(void **state)
{
        (void)state;
        assert_index_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\n"
                               "Depends: zz | aa\n\n"
                               "Package: aa\nVersion: 1\nArchitecture: amd64\n\n"
                               "Package: zz\nVersion: 1\nArchitecture: amd64\n",
                               "app", "app zz");
        assert_index_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\n"
                               "Depends: zz | aa\n\n"
                               "Package: aa\nVersion: 1\nArchitecture: amd64\n",
                               "app", "aa app");
}

static void test_index_real_package_over_provider(void **state)
{
        (void)state;
        assert_index_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\nDepends: foo\n\n"
                               "Package: aaa\nVersion: 1\nArchitecture: amd64\nProvides: foo\n\n"
                               "Package: foo\nVersion: 1\nArchitecture: amd64\n",
                               "app", "app foo");
}

/* apt's order among the providers of a purely virtual package: the best Priority, whatever the
 * names; with equal priorities any one of them, never both. */
static void test_index_virtual_provider_by_priority(void **state)
{
        (void)state;
        assert_index_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\nDepends: virt\n\n"
                               "Package: bbb\nVersion: 1\nArchitecture: amd64\n"
                               "Priority: optional\nProvides: virt\n\n"
                               "Package: ccc\nVersion: 1\nArchitecture: amd64\n"
                               "Priority: required\nProvides: virt\n",
                               "app", "app ccc");
        assert_index_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\nDepends: virt\n\n"
                               "Package: bbb\nVersion: 1\nArchitecture: amd64\n"
                               "Priority: required\nProvides: virt\n\n"
                               "Package: ccc\nVersion: 1\nArchitecture: amd64\n"
                               "Priority: optional\nProvides: virt\n",
                               "app", "app bbb");

        struct source *src =
            index_open("Package: app\nVersion: 1\nArchitecture: amd64\nDepends: virt\n\n"
                       "Package: bbb\nVersion: 1\nArchitecture: amd64\n"
                       "Priority: optional\nProvides: virt\n\n"
                       "Package: ccc\nVersion: 1\nArchitecture: amd64\n"
                       "Priority: optional\nProvides: virt\n");
        const char *req = "app";
        int rc;
        char *got = solve_names(src, &req, 1, &rc);
        if (rc != 0 || (strcmp(got, "app bbb") != 0 && strcmp(got, "app ccc") != 0))
                fail_msg("equal priorities: got '%s', want 'app bbb' or 'app ccc'", got);
        free(got);
        source_free(src);
}

/* Versions of one package spread over two indexes: the relation decides, not the index order. */
static void test_index_versioned_dependency_across_indexes(void **state)
{
        (void)state;
        const char *suites[] = {"stable", "other"};
        const char *newer[] = {"Package: app\nVersion: 1\nArchitecture: amd64\n"
                               "Depends: lib (>= 2)\n\n"
                               "Package: lib\nVersion: 1.0\nArchitecture: amd64\n",
                               "Package: lib\nVersion: 2.5\nArchitecture: amd64\n"};
        const char *older[] = {"Package: app\nVersion: 1\nArchitecture: amd64\n"
                               "Depends: lib (<< 2)\n\n"
                               "Package: lib\nVersion: 1.0\nArchitecture: amd64\n",
                               "Package: lib\nVersion: 2.5\nArchitecture: amd64\n"};
        struct pkgset set = {0};

        struct source *src = indexes_open(suites, newer, 2);
        solve_or_fail(src, "app", &set);
        assert_int_equal(set.n, 2);
        const struct source_pkg *lib = the_one(&set, "lib");
        assert_string_equal(lib->version, "2.5");
        assert_non_null(strstr(lib->filename, "pool/other/"));
        pkgset_release(&set);
        source_free(src);

        /* an upper bound takes the older one: the relation is read, not just "newest" */
        src = indexes_open(suites, older, 2);
        solve_or_fail(src, "app", &set);
        assert_int_equal(set.n, 2);
        lib = the_one(&set, "lib");
        assert_string_equal(lib->version, "1.0");
        assert_non_null(strstr(lib->filename, "pool/stable/"));
        pkgset_release(&set);
        source_free(src);
}

/* A package in two suites (stable and its updates): one of it in the set, the newest. */
static void test_index_two_suites_newest_once(void **state)
{
        (void)state;
        const char *suites[] = {"stable", "stable-updates"};
        const char *orders[][2] = {
            {"Package: app\nVersion: 1.0\nArchitecture: amd64\nDepends: base\n\n"
             "Package: base\nVersion: 1\nArchitecture: all\n",
             "Package: app\nVersion: 1.1\nArchitecture: amd64\nDepends: base\n"},
            /* the newer version first, and the same base in both suites */
            {"Package: app\nVersion: 1.1\nArchitecture: amd64\nDepends: base\n\n"
             "Package: base\nVersion: 1\nArchitecture: all\n",
             "Package: base\nVersion: 1\nArchitecture: all\n\n"
             "Package: app\nVersion: 1.0\nArchitecture: amd64\nDepends: base\n"},
        };
        for (size_t k = 0; k < 2; k++) {
                struct pkgset set = {0};
                struct source *src = indexes_open(suites, orders[k], 2);
                solve_or_fail(src, "app", &set);
                if (set.n != 2)
                        fail_msg("order %zu: %zu packages chosen, want app and base", k, set.n);
                const struct source_pkg *app = the_one(&set, "app");
                assert_string_equal(app->version, "1.1");
                assert_string_equal(the_one(&set, "base")->name, "base");
                /* the chosen one is what source_find answers once prepared (prepare marks it
                 * selected, then reaches the test backend, whose error proves it was called) */
                struct distill_error err = {0};
                struct source_pkg *chosen[] = {(struct source_pkg *)app};
                assert_int_equal(source_prepare(src, chosen, 1, &err), -DISTILL_EINTERNAL);
                assert_ptr_equal(source_find(src, "app"), app);
                pkgset_release(&set);
                source_free(src);
        }

        /* Reached as a dependency (where solve adds its apt-choice favours), the newest version
         * still wins, in either index order: stable-security listed before stable, as the
         * host's /var/lib/apt/lists sorts them. */
        const char *dep_orders[][2] = {
            {"Package: app\nVersion: 1\nArchitecture: amd64\nDepends: lib\n\n"
             "Package: lib\nVersion: 2\nArchitecture: amd64\n",
             "Package: lib\nVersion: 1\nArchitecture: amd64\n"},
            {"Package: app\nVersion: 1\nArchitecture: amd64\nDepends: lib\n\n"
             "Package: lib\nVersion: 1\nArchitecture: amd64\n",
             "Package: lib\nVersion: 2\nArchitecture: amd64\n"},
        };
        const char *dep_suites[][2] = {{"stable-security", "stable"},
                                       {"stable", "stable-security"}};
        for (size_t k = 0; k < 2; k++) {
                struct pkgset set = {0};
                struct source *src = indexes_open(dep_suites[k], dep_orders[k], 2);
                solve_or_fail(src, "app", &set);
                const struct source_pkg *lib = the_one(&set, "lib");
                if (strcmp(lib->version, "2") != 0)
                        fail_msg("lib from %s before %s: chose version %s, want 2",
                                 dep_suites[k][0], dep_suites[k][1], lib->version);
                pkgset_release(&set);
                source_free(src);
        }
}

static void test_index_impossible_request(void **state)
{
        (void)state;
        struct source *src = index_open("Package: app\nVersion: 1\nArchitecture: amd64\n"
                                        "Depends: base, missing-lib\n\n"
                                        "Package: base\nVersion: 1\nArchitecture: amd64\n");
        const char *req = "app";
        int rc;
        char *got = solve_names(src, &req, 1, &rc);
        assert_int_equal(rc, -DISTILL_ERESOLVE);
        /* libsolv's text: "nothing provides missing-lib needed by app-1.amd64" */
        if (!strstr(got, "nothing provides missing-lib") || !strstr(got, "app"))
                fail_msg("unexpected message: %s", got);
        free(got);
        source_free(src);
}

static void test_index_predepends_not_recommends(void **state)
{
        (void)state;
        assert_index_solves_to("Package: app\nVersion: 1\nArchitecture: amd64\n"
                               "Pre-Depends: pre\nDepends: dep\nRecommends: rec\n"
                               "Suggests: sug\nEnhances: enh\n\n"
                               "Package: pre\nVersion: 1\nArchitecture: amd64\n"
                               "Pre-Depends: pre2\n\n"
                               "Package: pre2\nVersion: 1\nArchitecture: amd64\n\n"
                               "Package: dep\nVersion: 1\nArchitecture: amd64\n"
                               "Recommends: rec2\n\n"
                               "Package: rec\nVersion: 1\nArchitecture: amd64\n\n"
                               "Package: rec2\nVersion: 1\nArchitecture: amd64\n\n"
                               "Package: sug\nVersion: 1\nArchitecture: amd64\n\n"
                               "Package: enh\nVersion: 1\nArchitecture: amd64\n",
                               "app", "app dep pre pre2");
}

static void test_index_architecture(void **state)
{
        (void)state;
        /* Architecture: all is installable; an i386 package is not, even when newer */
        struct pkgset set = {0};
        struct source *src =
            index_open("Package: app\nVersion: 1\nArchitecture: amd64\nDepends: libx, data\n\n"
                       "Package: libx\nVersion: 2\nArchitecture: i386\nMulti-Arch: same\n\n"
                       "Package: libx\nVersion: 1\nArchitecture: amd64\nMulti-Arch: same\n\n"
                       "Package: data\nVersion: 1\nArchitecture: all\n");
        solve_or_fail(src, "app", &set);
        assert_int_equal(set.n, 3);
        const struct source_pkg *libx = the_one(&set, "libx");
        assert_string_equal(libx->arch, "amd64");
        assert_string_equal(libx->version, "1");
        assert_string_equal(the_one(&set, "data")->arch, "all");
        pkgset_release(&set);
        source_free(src);

        /* only the i386 build exists: nothing installable provides it */
        src = index_open("Package: app\nVersion: 1\nArchitecture: amd64\nDepends: libx\n\n"
                         "Package: libx\nVersion: 1\nArchitecture: i386\n");
        const char *req = "app";
        int rc;
        char *got = solve_names(src, &req, 1, &rc);
        if (rc != -DISTILL_ERESOLVE || !strstr(got, "libx"))
                fail_msg("i386-only dependency: rc %d, '%s'", rc, got);
        free(got);
        /* nor can it be requested by name */
        req = "libx";
        got = solve_names(src, &req, 1, &rc);
        if (rc != -DISTILL_ERESOLVE)
                fail_msg("requesting an i386-only package: rc %d, '%s'", rc, got);
        free(got);
        source_free(src);
}

/* "a=1 b=2" → "a b". Caller frees. */
static char *strip_versions(const char *words)
{
        struct strbuf out = STRBUF_INIT;
        for (const char *p = words; *p;) {
                size_t len = strcspn(p, " ");
                size_t name = strcspn(p, "= ");
                strbuf_addf(&out, "%s%.*s", out.len ? " " : "", (int)(name < len ? name : len), p);
                p += len;
                while (*p == ' ')
                        p++;
        }
        return strbuf_detach(&out);
}

/* The host's Packages files (/var/lib/apt/lists, after apt-get update), decompressed. */
struct host_indexes {
        struct source_index_text *texts;
        char **data;
        struct strvec paths;
};

static void host_indexes_load(struct host_indexes *h)
{
        char *listing = fixture_sh_out("ls -1 /var/lib/apt/lists/*_Packages "
                                       "/var/lib/apt/lists/*_Packages.* 2>/dev/null; true");
        assert_non_null(listing);
        char *save = NULL;
        memset(h, 0, sizeof(*h));
        for (char *line = strtok_r(listing, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                strvec_push(&h->paths, line);
        free(listing);
        if (h->paths.n == 0)
                fail_msg("no Packages indexes in /var/lib/apt/lists: scripts/setup must run "
                         "apt-get update");
        h->texts = xcalloc(h->paths.n, sizeof(*h->texts));
        h->data = xcalloc(h->paths.n, sizeof(*h->data));
        for (size_t i = 0; i < h->paths.n; i++) {
                const char *path = h->paths.v[i];
                /* apt keeps its lists in whatever compression Acquire::GzipIndexes and
                 * CompressionTypes chose; its own helper reads every one of them */
                h->data[i] = fixture_sh_out("/usr/lib/apt/apt-helper cat-file '%s'", path);
                if (!h->data[i] || !*h->data[i])
                        fail_msg("%s: apt-helper cat-file read nothing", path);
                h->texts[i] = (struct source_index_text){h->data[i], strlen(h->data[i]), path,
                                                         "http://deb.debian.org/debian"};
        }
}

static void host_indexes_release(struct host_indexes *h)
{
        for (size_t i = 0; i < h->paths.n; i++)
                free(h->data[i]);
        free(h->data);
        free(h->texts);
        strvec_clear(&h->paths);
}

/* The archive is the input and apt-get (which reads the same lists) the oracle: same request,
 * same names, same versions. */
static void test_oracle_apt_on_archive_indexes(void **state)
{
        (void)state;
        const char *req[] = {"liblapack3", "python3.11-minimal"};
        struct host_indexes h;
        struct strvec names = STRVEC_INIT;
        struct distill_error err = {0};
        struct pkgset set = {0};
        struct source *src = NULL;

        host_indexes_load(&h);
        int rc = source_open_indexes("amd64", h.texts, h.paths.n, &unused_backend, xcalloc(1, 16),
                                     &src, &err);
        host_indexes_release(&h);
        if (rc != 0)
                fail_msg("source_open_indexes over /var/lib/apt/lists: %s", err.msg);
        for (size_t i = 0; i < 2; i++)
                strvec_push(&names, req[i]);
        if (solve_candidates(src, &names, &set, &err) != 0)
                fail_msg("solve over the archive: %s", err.msg);
        struct strbuf ours = STRBUF_INIT, ours_v = STRBUF_INIT;
        for (size_t i = 0; i < set.n; i++) {
                strbuf_addf(&ours, "%s%s", i ? " " : "", set.pkgs[i]->name);
                strbuf_addf(&ours_v, "%s%s=%s", i ? " " : "", set.pkgs[i]->name,
                            set.pkgs[i]->version);
        }
        pkgset_release(&set);
        strvec_clear(&names);
        source_free(src);

        /* "Inst liblapack3 (3.11.0-2 Debian:12.0/stable [amd64])" */
        char *apt_v = fixture_sh_out(
            APT_SIM "liblapack3 python3.11-minimal 2>/dev/null | "
                    "awk '$1 == \"Inst\" { sub(/:amd64$/, \"\", $2); sub(/^\\(/, \"\", $3); "
                    "print $2 \"=\" $3 }' | LC_ALL=C sort | tr '\\n' ' ' | sed 's/ $//'");
        if (!apt_v || !*apt_v)
                fail_msg("apt-get -s install liblapack3 python3.11-minimal failed or chose "
                         "nothing");
        char *apt = strip_versions(apt_v);
        if (strcmp(ours.buf, apt) != 0) {
                char *only_ours = words_missing_from(ours.buf, apt);
                char *only_apt = words_missing_from(apt, ours.buf);
                fail_msg("solve over the archive differs from apt\n only ours: %s\n only apt: %s",
                         only_ours, only_apt);
        }
        if (strcmp(ours_v.buf, apt_v) != 0) {
                char *only_ours = words_missing_from(ours_v.buf, apt_v);
                char *only_apt = words_missing_from(apt_v, ours_v.buf);
                fail_msg("versions differ from apt\n only ours: %s\n only apt: %s", only_ours,
                         only_apt);
        }
        strbuf_release(&ours);
        strbuf_release(&ours_v);
        free(apt);
        free(apt_v);
}

/* The parsed-index cache gives back the same packages and the same solution; a damaged cache
 * is refused (and removed), never used. */
static void test_index_cache_round_trip_and_damage(void **state)
{
        (void)state;
        const char *stanzas = "Package: app\nVersion: 1.0\nArchitecture: amd64\nPriority: "
                              "optional\nDepends: lib (>= 2) | other\n\n"
                              "Package: lib\nVersion: 2.1\nArchitecture: amd64\nPriority: "
                              "required\nMulti-Arch: same\nSource: libsrc\n\n"
                              "Package: other\nVersion: 1\nArchitecture: all\n";
        char *dir = fixture_tmpdir();
        struct distill_error err = {0};
        struct source *src = index_open(stanzas);
        assert_int_equal(source_save_cached(src, dir, "k1", &err), 0);
        int rc = 0;
        const char *req = "app";
        char *want = solve_names(src, &req, 1, &rc);
        assert_int_equal(rc, 0);

        struct source *cached = NULL;
        assert_int_equal(
            source_load_cached(dir, "k1", "amd64", &unused_backend, xcalloc(1, 16), &cached), 1);
        assert_int_equal(source_count(cached), source_count(src));
        for (size_t i = 0; i < source_count(src); i++) {
                const struct source_pkg *a = source_pkg_at(src, i);
                const struct source_pkg *b = source_pkg_at(cached, i);
                assert_string_equal(a->name, b->name);
                assert_string_equal(a->version, b->version);
                assert_string_equal(a->filename, b->filename);
                assert_string_equal(a->sha256, b->sha256);
                assert_string_equal(a->base_uri, b->base_uri);
                assert_int_equal(a->size, b->size);
                assert_int_equal(a->priority_rank, b->priority_rank);
                assert_true((a->multiarch == NULL) == (b->multiarch == NULL));
                assert_true((a->source == NULL) == (b->source == NULL));
                assert_ptr_equal(source_by_solvable(cached, b->solvable), b);
        }
        char *got = solve_names(cached, &req, 1, &rc);
        assert_int_equal(rc, 0);
        assert_string_equal(got, want);
        free(got);
        source_free(cached);

        /* damage: a package renamed, lines out of order, a bad hash, a missing .pkgs */
        char *pkgs = xasprintf("%s/k1.pkgs", dir);
        char *solv = xasprintf("%s/k1.solv", dir);
        static const char *const damage[] = {
            "sed -i 's/\\tapp\\t/\\tapq\\t/'",
            "sed -i '2{h;d};3{G}'",
            "sed -i '2s/\\t[0-9a-f]\\{64\\}\\t/\\tnot-a-hash\\t/'",
            "rm",
        };
        for (size_t d = 0; d < sizeof(damage) / sizeof(damage[0]); d++) {
                assert_int_equal(source_save_cached(src, dir, "k1", &err), 0);
                assert_int_equal(fixture_sh("%s %s", damage[d], pkgs), 0);
                cached = NULL;
                void *impl = xcalloc(1, 16);
                if (source_load_cached(dir, "k1", "amd64", &unused_backend, impl, &cached) != 0)
                        fail_msg("damage %zu: the damaged cache was used", d);
                free(impl); /* not taken when the cache is refused */
                assert_null(cached);
                /* refused caches are removed */
                assert_int_equal(access(solv, F_OK), -1);
        }
        /* a damaged cache costs a parse, nothing else: impl stays the caller's (freed here) */
        free(solv);
        free(pkgs);
        free(want);
        source_free(src);
        fixture_cleanup(dir);
        free(dir);
}

/* The solved "name=version" list under pins, or "ERROR: message". Caller frees. */
static char *solve_pinned_names(struct source *src, const char *request,
                                const struct solve_pin *pins, size_t n_pins)
{
        struct strvec req = STRVEC_INIT;
        struct distill_error err = {0};
        struct pkgset set = {0};
        struct strbuf out = STRBUF_INIT;

        strvec_push(&req, request);
        if (solve_pinned(src, &req, pins, n_pins, &set, &err) < 0)
                strbuf_addf(&out, "ERROR: %s", err.msg);
        for (size_t i = 0; i < set.n; i++)
                strbuf_addf(&out, "%s%s=%s", i ? " " : "", set.pkgs[i]->name, set.pkgs[i]->version);
        pkgset_release(&set);
        strvec_clear(&req);
        return strbuf_detach(&out);
}

static void assert_pinned(struct source *src, const char *request, const struct solve_pin *pins,
                          size_t n_pins, const char *want)
{
        char *got = solve_pinned_names(src, request, pins, n_pins);
        if (strcmp(got, want) != 0)
                fail_msg("solving %s under %zu pins: got '%s', want '%s'", request, n_pins, got,
                         want);
        free(got);
}

/* lock --update: a kept pin stays at its version (libsolv alone takes the newest), unless a
 * package that may move needs a newer one; a pin not kept moves to the newest. */
static void test_pinned_keep_and_move(void **state)
{
        (void)state;
        const char *suites[] = {"stable", "stable-security"};
        const char *stanzas[] = {"Package: app\nVersion: 1\nArchitecture: amd64\n"
                                 "Depends: lib, tool\n\n"
                                 "Package: lib\nVersion: 1.0\nArchitecture: amd64\n\n"
                                 "Package: tool\nVersion: 1\nArchitecture: amd64\n",
                                 "Package: lib\nVersion: 1.0+deb12u1\nArchitecture: amd64\n\n"
                                 "Package: tool\nVersion: 2\nArchitecture: amd64\n"
                                 "Depends: lib (>= 1.0+deb12u1)\n"};
        struct source *src = indexes_open(suites, stanzas, 2);
        struct solve_pin pins[] = {{"app", "1", true}, {"lib", "1.0", true}, {"tool", "1", true}};

        assert_pinned(src, "app", NULL, 0, "app=1 lib=1.0+deb12u1 tool=2");
        /* everything kept: the lock's versions */
        assert_pinned(src, "app", pins, 3, "app=1 lib=1.0 tool=1");
        /* lib named: it alone moves */
        pins[1].keep = false;
        assert_pinned(src, "app", pins, 3, "app=1 lib=1.0+deb12u1 tool=1");
        /* tool named: its new version needs the newer lib, which moves with it */
        pins[1].keep = true;
        pins[2].keep = false;
        assert_pinned(src, "app", pins, 3, "app=1 lib=1.0+deb12u1 tool=2");
        source_free(src);
}

/* A version below a pin is never taken: not when it is the newest left, not when a dependency
 * asks for it (then the solve fails, naming the package). */
static void test_pinned_never_downgrades(void **state)
{
        (void)state;
        struct source *src = index_open("Package: app\nVersion: 1\nArchitecture: amd64\n"
                                        "Depends: lib\n\n"
                                        "Package: old\nVersion: 1\nArchitecture: amd64\n"
                                        "Depends: lib (<< 2)\n\n"
                                        "Package: lib\nVersion: 1.5\nArchitecture: amd64\n");
        struct solve_pin pins[] = {{"lib", "2", false}};

        assert_pinned(src, "app", NULL, 0, "app=1 lib=1.5");
        char *got = solve_pinned_names(src, "app", pins, 1);
        if (strncmp(got, "ERROR: ", 7) != 0 || !strstr(got, "lib"))
                fail_msg("the lock's lib 2 is gone, 1.5 is a downgrade: got '%s'", got);
        free(got);
        pins[0].keep = true;
        got = solve_pinned_names(src, "old", pins, 1);
        if (strncmp(got, "ERROR: ", 7) != 0 || !strstr(got, "lib"))
                fail_msg("old needs lib << 2 below the pin: got '%s'", got);
        free(got);
        /* a pin at or below what is offered changes nothing */
        pins[0].version = "1.5";
        assert_pinned(src, "app", pins, 1, "app=1 lib=1.5");
        pins[0].version = "1.0";
        pins[0].keep = false;
        assert_pinned(src, "app", pins, 1, "app=1 lib=1.5");
        source_free(src);
}

static void test_versions_offered(void **state)
{
        (void)state;
        const char *suites[] = {"stable", "stable-security"};
        const char *stanzas[] = {"Package: lib\nVersion: 1:1.0\nArchitecture: amd64\n\n"
                                 "Package: other\nVersion: 3\nArchitecture: all\n",
                                 "Package: lib\nVersion: 1:1.0+deb12u1\nArchitecture: amd64\n\n"
                                 "Package: lib\nVersion: 1:1.0~rc1\nArchitecture: amd64\n"};
        struct source *src = indexes_open(suites, stanzas, 2);

        assert_string_equal(solve_newest_version(src, "lib"), "1:1.0+deb12u1");
        assert_string_equal(solve_newest_version(src, "other"), "3");
        assert_null(solve_newest_version(src, "absent"));
        const struct source_pkg *p = solve_find_version(src, "lib", "1:1.0");
        assert_non_null(p);
        assert_non_null(strstr(p->filename, "pool/stable/"));
        assert_non_null(solve_find_version(src, "lib", "1:1.0~rc1"));
        assert_null(solve_find_version(src, "lib", "1.0")); /* the epoch is part of it */
        assert_null(solve_find_version(src, "absent", "1"));
        assert_true(solve_vercmp(src, "1.0~rc1", "1.0") < 0);
        assert_true(solve_vercmp(src, "1:0.1", "2.0") > 0);
        assert_true(solve_vercmp(src, "2.36-9+deb12u4", "2.36-9+deb12u10") < 0);
        assert_int_equal(solve_vercmp(src, "1.0", "1.0"), 0);
        source_free(src);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_index_cache_round_trip_and_damage),
            cmocka_unit_test(test_closure_depends_predepends_not_recommends),
            cmocka_unit_test(test_or_group_first_alternative),
            cmocka_unit_test(test_real_package_over_provider),
            cmocka_unit_test(test_native_architecture_preferred),
            cmocka_unit_test(test_unsatisfiable_version),
            cmocka_unit_test(test_missing_packages),
            cmocka_unit_test(test_pkgset_contains),
            cmocka_unit_test(test_oracle_apt_on_host),
            cmocka_unit_test(test_index_or_group_first_alternative),
            cmocka_unit_test(test_index_real_package_over_provider),
            cmocka_unit_test(test_index_virtual_provider_by_priority),
            cmocka_unit_test(test_index_versioned_dependency_across_indexes),
            cmocka_unit_test(test_index_two_suites_newest_once),
            cmocka_unit_test(test_index_impossible_request),
            cmocka_unit_test(test_index_predepends_not_recommends),
            cmocka_unit_test(test_index_architecture),
            cmocka_unit_test(test_oracle_apt_on_archive_indexes),
            cmocka_unit_test(test_pinned_keep_and_move),
            cmocka_unit_test(test_pinned_never_downgrades),
            cmocka_unit_test(test_versions_offered),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
