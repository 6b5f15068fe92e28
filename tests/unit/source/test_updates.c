#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/base/util.h"
#include "distill/source/updates.h"
#include "fixture.h"

/* libsolv's order against dpkg's own (dpkg --compare-versions) as the oracle: epochs, tildes,
 * revisions, letters against digits, security suffixes. */
static void test_version_order_matches_dpkg(void **state)
{
        (void)state;
        static const char *const pairs[][2] = {
            {"1.0", "1.0"},
            {"1.0", "1.0-1"},
            {"1.0-1", "1.0-1+deb12u1"},
            {"1.0~rc1", "1.0"},
            {"1.0~~", "1.0~"},
            {"1:0.9", "2.0"},
            {"2.36-9+deb12u4", "2.36-9+deb12u10"},
            {"1.0a", "1.0+"},
            {"1.0.0", "1.0"},
            {"3.0.11-1~deb12u2", "3.0.11-1"},
            {"0:1.2", "1.2"},
            {"1.2-3", "1.2-3.1"},
        };
        for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
                const char *a = pairs[i][0], *b = pairs[i][1];
                int ours = deb_version_compare(a, b);
                int dpkg = fixture_sh("dpkg --compare-versions '%s' lt '%s'", a, b) == 0   ? -1
                           : fixture_sh("dpkg --compare-versions '%s' eq '%s'", a, b) == 0 ? 0
                                                                                           : 1;
                if ((ours > 0) - (ours < 0) != dpkg)
                        fail_msg("%s vs %s: libsolv %d, dpkg %d", a, b, ours, dpkg);
                /* and antisymmetric */
                int back = deb_version_compare(b, a);
                assert_int_equal((back > 0) - (back < 0), -dpkg);
        }
}

static void test_security_suites(void **state)
{
        (void)state;
        /* Debian's security archive */
        assert_true(
            release_is_security("Debian-Security", "bookworm-security", "bookworm-security"));
        /* older Debian: suite stable/updates, the Label still says so */
        assert_true(release_is_security("Debian-Security", "stable", "bookworm"));
        /* Ubuntu's: Label "Ubuntu", the suite says it */
        assert_true(release_is_security("Ubuntu", "jammy-security", "jammy"));
        assert_true(release_is_security(NULL, NULL, "trixie-security"));
        /* not: the main suite, updates, backports, a name merely containing the word */
        assert_false(release_is_security("Debian", "stable", "bookworm"));
        assert_false(release_is_security("Debian", "stable-updates", "bookworm-updates"));
        assert_false(release_is_security("Debian Backports", "bookworm-backports", NULL));
        assert_false(release_is_security(NULL, "security-tools", "x-securityish"));
        assert_false(release_is_security(NULL, NULL, NULL));
}

struct index_fixture {
        char *tmp;
        struct apt_source_entry src;
        struct apt_index idx[3];
};

static void index_at(struct index_fixture *f, size_t i, const char *name, const char *text,
                     const char *label, const char *suite)
{
        char *path = path_join(f->tmp, name);
        fixture_write(path, text);
        f->idx[i] = (struct apt_index){.source = &f->src,
                                       .packages_path = path,
                                       .label = label ? xstrdup(label) : NULL,
                                       .suite = suite ? xstrdup(suite) : NULL};
}

static void index_fixture_release(struct index_fixture *f, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(f->idx[i].packages_path);
                free(f->idx[i].label);
                free(f->idx[i].suite);
                free(f->idx[i].codename);
        }
        fixture_cleanup(f->tmp);
        free(f->tmp);
}

static void test_newest_across_suites(void **state)
{
        (void)state;
        struct index_fixture f = {.tmp = fixture_tmpdir(), .src = {.suite = "from-source"}};
        index_at(&f, 0, "main",
                 "Package: libfoo\nVersion: 1.0-1\nArchitecture: amd64\n\n"
                 "Package: libbar\nVersion: 2.0-1\n\n"
                 "Package: both\nVersion: 3.0\n\n"
                 "Package: old\nVersion: 1:0.5\n",
                 "Debian", "stable");
        index_at(&f, 1, "security",
                 "Package: libfoo\nVersion: 1.0-1+deb12u1\n\n"
                 "Package: libbar\nVersion: 1.9-1\n\n"
                 "Package: both\nVersion: 3.0\n",
                 "Debian-Security", "stable-security");
        index_at(&f, 2, "nolabel", "Package: old\nVersion: 2.0\n\nPackage: only\nVersion: 1\n",
                 NULL, NULL);
        struct archive_versions *av = NULL;
        struct distill_error err = {0};
        if (archive_versions_read(f.idx, 3, &av, &err) < 0)
                fail_msg("archive_versions_read: %s", err.msg);

        const struct archive_offer *o = archive_versions_newest(av, "libfoo");
        assert_string_equal(o->version, "1.0-1+deb12u1");
        assert_string_equal(o->suite, "stable-security");
        assert_true(o->security);
        /* the security suite's older version does not win */
        o = archive_versions_newest(av, "libbar");
        assert_string_equal(o->version, "2.0-1");
        assert_false(o->security);
        /* the same version in both: the security suite is named */
        o = archive_versions_newest(av, "both");
        assert_string_equal(o->version, "3.0");
        assert_true(o->security);
        /* an epoch outranks a higher upstream version: 1:0.5 > 2.0 */
        o = archive_versions_newest(av, "old");
        assert_string_equal(o->version, "1:0.5");
        assert_string_equal(o->suite, "stable");
        /* a Release without Suite or Codename: the source's suite */
        o = archive_versions_newest(av, "only");
        assert_string_equal(o->suite, "from-source");
        assert_null(archive_versions_newest(av, "absent"));
        archive_versions_free(av);
        index_fixture_release(&f, 3);
}

static void test_hostile_index(void **state)
{
        (void)state;
        struct index_fixture f = {.tmp = fixture_tmpdir(), .src = {.suite = "s"}};
        index_at(&f, 0, "noversion", "Package: a\nVersion: 1\n\nPackage: b\nArchitecture: all\n",
                 NULL, "s");
        struct archive_versions *av = NULL;
        struct distill_error err = {0};
        assert_int_equal(archive_versions_read(f.idx, 1, &av, &err), -DISTILL_EIO);
        assert_null(av);
        cleanup_free char *want =
            xasprintf("%s:4: a stanza without Package or Version", f.idx[0].packages_path);
        assert_string_equal(err.msg, want);
        index_fixture_release(&f, 1);

        f = (struct index_fixture){.tmp = fixture_tmpdir(), .src = {.suite = "s"}};
        struct strbuf long_version = STRBUF_INIT;
        strbuf_addf(&long_version, "Package: a\nVersion: ");
        for (int i = 0; i < 300; i++)
                strbuf_addch(&long_version, '1');
        strbuf_addch(&long_version, '\n');
        index_at(&f, 0, "long", long_version.buf, NULL, "s");
        strbuf_release(&long_version);
        memset(&err, 0, sizeof(err));
        assert_int_equal(archive_versions_read(f.idx, 1, &av, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, ":1: an empty Package, or a Version empty or longer"));
        index_fixture_release(&f, 1);

        f = (struct index_fixture){.tmp = fixture_tmpdir(), .src = {.suite = "s"}};
        index_at(&f, 0, "missing", "", NULL, "s");
        unlink(f.idx[0].packages_path);
        memset(&err, 0, sizeof(err));
        assert_int_equal(archive_versions_read(f.idx, 1, &av, &err), -DISTILL_EIO);
        index_fixture_release(&f, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_version_order_matches_dpkg),
            cmocka_unit_test(test_security_suites),
            cmocka_unit_test(test_newest_across_suites),
            cmocka_unit_test(test_hostile_index),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
