/* select over a generated sysroot: seeds, ELF closure with reasons, rules (built-in and a test
 * rules directory of its own), excludes, and the "add package X" hint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/input/manifest.h"
#include "distill/input/rules.h"
#include "distill/select/select.h"
#include "distill/source/solve.h"
#include "distill/source/source.h"
#include "fixture.h"

struct world {
        char *dir;
        char *root;
};

static void add_pkg(const char *root, const char *name, const char *depends, const char *files)
{
        char *status = xasprintf("%s/var/lib/dpkg/status", root);
        FILE *f = fopen(status, "a");
        assert_non_null(f);
        fprintf(f,
                "Package: %s\nStatus: install ok installed\nPriority: optional\n"
                "Maintainer: t <t@example.invalid>\nArchitecture: amd64\nVersion: 1.0\n%s%s%s"
                "Description: test package %s\n\n",
                name, depends ? "Depends: " : "", depends ? depends : "", depends ? "\n" : "",
                name);
        fclose(f);
        char *list = xasprintf("%s/var/lib/dpkg/info/%s.list", root, name);
        fixture_write(list, files);
        free(list);
        free(status);
}

static int setup_world(void **state)
{
        struct world *w = xcalloc(1, sizeof(*w));
        w->dir = fixture_tmpdir();
        w->root = xasprintf("%s/root", w->dir);
        const char *R = w->root;
        const char *D = w->dir;
        const char *T = "x86_64-linux-gnu";

        assert_int_equal(
            fixture_sh(
                "set -e; cd %s; mkdir -p root/var/lib/dpkg/info root/lib/%s "
                "root/lib64 root/usr/lib/%s root/usr/bin root/usr/share/tool "
                "root/usr/share/doc/tool root/etc root/usr/lib/locale/C.utf8 src rules;"
                "cp -L /lib/%s/libc.so.6 root/lib/%s/libc.so.6;"
                "cp -L /lib64/ld-linux-x86-64.so.2 root/lib/%s/ld-linux-x86-64.so.2;"
                "ln -s /lib/%s/ld-linux-x86-64.so.2 root/lib64/ld-linux-x86-64.so.2;"
                "cp -L /lib/%s/libgcc_s.so.1 root/lib/%s/libgcc_s.so.1;"
                "printf '%%s\\n' '#include <iconv.h>' "
                "'const char *foo_paths[] = {\"/usr/share/foo/foo.conf\", "
                "\"/etc/libc.conf\", \"/usr/share/bar/bar.conf\", \"/usr/share/foo\", "
                "\"/etc/foodb:/usr/share/foo/db\"};' "
                "'const char *foo_cs[] = {\"Foo-Char\", \"BAR-CS\"};' "
                "'int foo(void){iconv_t cd = iconv_open(\"UTF-8\", foo_cs[0]);' "
                "'return foo_paths[1][0] + (cd == (iconv_t)-1);}' > src/foo.c;"
                "mkdir -p root/usr/lib/%s/gconv;"
                "printf 'alias FOO-CHAR// FOO-CS//\\nmodule FOO-CS// INTERNAL FOOCS 1\\n"
                "module BAZ-CS// INTERNAL BAZCS 1\\n' > root/usr/lib/%s/gconv/gconv-modules;"
                "printf 'module BAR-CS// INTERNAL BARCS 1\\n' > root/usr/lib/%s/gconv/b.conf;"
                "mkdir root/usr/lib/%s/gconv/gconv-modules.d;"
                "mv root/usr/lib/%s/gconv/b.conf root/usr/lib/%s/gconv/gconv-modules.d/;"
                "for m in FOOCS BARCS BAZCS; do echo $m > root/usr/lib/%s/gconv/$m.so; done;"
                "echo 'const char *tool_cs = \"BAZ-CS\";' > src/cs.c;"
                "mkdir -p root/usr/share/foo root/usr/share/bar;"
                "echo conf > root/usr/share/foo/foo.conf;"
                "echo other > root/usr/share/foo/other.conf;"
                "echo conf > root/usr/share/bar/bar.conf; echo conf > root/etc/libc.conf;"
                "echo db > root/etc/foodb; echo db > root/usr/share/foo/db.bin;"
                "echo db > root/usr/share/foo/db.bin.old; echo db > root/usr/share/foo/dbx.bin;"
                "ln -s foo.conf root/usr/share/foo/foo-alias.conf;"
                "ln -s other.conf root/usr/share/foo/other-alias.conf;"
                "mkdir -p root/usr/share/fooalias; ln -s ../foo/foo.conf "
                "root/usr/share/fooalias/foo.conf;"
                "echo 'int bar(void){return 2;}' > src/bar.c;"
                "echo 'int foo(void); int main(void){return foo();}' > src/tool.c;"
                "echo 'int bar(void); int main(void){return bar();}' > src/tool2.c;"
                "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o "
                "root/usr/lib/%s/libfoo.so.1.0.0 src/foo.c;"
                "ln -s libfoo.so.1.0.0 root/usr/lib/%s/libfoo.so.1;"
                "cc -shared -fPIC -Wl,-soname,libbar.so.1 -o root/usr/lib/%s/libbar.so.1 "
                "src/bar.c;"
                "cc -o root/usr/bin/tool src/tool.c src/cs.c -Lroot/usr/lib/%s -l:libfoo.so.1;"
                "cc -o root/usr/bin/tool2 src/tool2.c -Lroot/usr/lib/%s -l:libbar.so.1;"
                "echo data > root/usr/share/tool/data.txt;"
                "echo doc > root/usr/share/doc/tool/README;"
                "echo copyright > root/usr/share/doc/tool/copyright;"
                "echo 12.0 > root/etc/debian_version;"
                "printf 'ID=debian\\nVERSION_ID=\"12\"\\n' > root/usr/lib/os-release;"
                "ln -s ../usr/lib/os-release root/etc/os-release;"
                "echo ctype > root/usr/lib/locale/C.utf8/LC_CTYPE",
                D, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T),
            0);
        char *libdir = xasprintf("/lib/%s", T);
        char *files = xasprintf(
            "/.\n/lib\n%s\n%s/libc.so.6\n%s/ld-linux-x86-64.so.2\n/lib64\n"
            "/lib64/ld-linux-x86-64.so.2\n/etc\n/etc/libc.conf\n/usr\n/usr/lib\n/usr/lib/%s\n"
            "/usr/lib/%s/gconv\n/usr/lib/%s/gconv/gconv-modules\n/usr/lib/%s/gconv/FOOCS.so\n"
            "/usr/lib/%s/gconv/BARCS.so\n/usr/lib/%s/gconv/BAZCS.so\n"
            "/usr/lib/%s/gconv/gconv-modules.d\n/usr/lib/%s/gconv/gconv-modules.d/b.conf\n",
            libdir, libdir, libdir, T, T, T, T, T, T, T, T);
        add_pkg(R, "libc6", "libgcc-s1", files);
        free(files);
        files = xasprintf("/.\n/lib\n%s\n%s/libgcc_s.so.1\n", libdir, libdir);
        add_pkg(R, "libgcc-s1", "libc6", files);
        free(files);
        free(libdir);
        files = xasprintf("/.\n/usr\n/usr/lib\n/usr/lib/%s\n/usr/lib/%s/libfoo.so.1.0.0\n"
                          "/usr/lib/%s/libfoo.so.1\n/usr/share\n/usr/share/foo\n"
                          "/usr/share/foo/foo.conf\n/usr/share/foo/other.conf\n"
                          "/usr/share/foo/foo-alias.conf\n/usr/share/foo/other-alias.conf\n"
                          "/etc\n/etc/foodb\n/usr/share/foo/db.bin\n/usr/share/foo/db.bin.old\n"
                          "/usr/share/foo/dbx.bin\n"
                          "/usr/share/fooalias\n/usr/share/fooalias/foo.conf\n",
                          T, T, T);
        add_pkg(R, "libfoo1", "libc6", files);
        free(files);
        files = xasprintf("/.\n/usr\n/usr/lib\n/usr/lib/%s\n/usr/lib/%s/libbar.so.1\n/usr/share\n"
                          "/usr/share/bar\n/usr/share/bar/bar.conf\n",
                          T, T);
        add_pkg(R, "libbar1", "libc6", files);
        free(files);
        add_pkg(R, "tool", "libfoo1, libc6",
                "/.\n/usr\n/usr/bin\n/usr/bin/tool\n/usr/bin/tool2\n/usr/share\n"
                "/usr/share/tool\n/usr/share/tool/data.txt\n/usr/share/doc\n"
                "/usr/share/doc/tool\n/usr/share/doc/tool/README\n"
                "/usr/share/doc/tool/copyright\n");
        add_pkg(R, "base-files", NULL,
                "/.\n/etc\n/etc/debian_version\n/etc/os-release\n/usr\n/usr/lib\n"
                "/usr/lib/os-release\n");
        add_pkg(R, "libc-bin", "libc6",
                "/.\n/usr\n/usr/lib\n/usr/lib/locale\n/usr/lib/locale/C.utf8\n"
                "/usr/lib/locale/C.utf8/LC_CTYPE\n");
        char *rule = xasprintf("%s/rules/tool.yaml", D);
        fixture_write(rule, "rules:\n"
                            "  - name: tool-data\n"
                            "    when: {file: /usr/bin/tool}\n"
                            "    add: {paths: [/usr/share/tool/*.txt]}\n"
                            "    reason: tool reads its data file at start-up\n");
        free(rule);
        *state = w;
        return 0;
}

static int teardown_world(void **state)
{
        struct world *w = *state;
        fixture_cleanup(w->dir);
        free(w->dir);
        free(w->root);
        free(w);
        return 0;
}

struct built {
        struct manifest *m;
        struct source *src;
        struct pkgset set;
        struct ruleset rules;
        struct store *st;
        struct plan *plan;
};

static int run_select_observed(struct world *w, const char *binary,
                               const struct select_observed *obs, struct built *b,
                               struct distill_error *err)
{
        char *mpath = xasprintf("%s/m.yaml", w->dir);
        char *text = xasprintf("version: 1\nsource: {sysroot: %s}\narch: amd64\n"
                               "packages: [tool]\nbinaries: [%s]\nrules: [rules]\n",
                               w->root, binary);
        fixture_write(mpath, text);
        free(text);
        memset(b, 0, sizeof(*b));
        assert_int_equal(manifest_load(mpath, &b->m, err), 0);
        free(mpath);
        struct strvec dirs = STRVEC_INIT;
        char *builtin = xasprintf("%s/manifests/rules", fixture_source_dir());
        strvec_push(&dirs, builtin);
        free(builtin);
        strvec_push(&dirs, b->m->rules.v[0]);
        if (rules_load(&dirs, &b->rules, err) != 0)
                fail_msg("rules_load: %s", err->msg);
        strvec_clear(&dirs);
        assert_int_equal(source_open_sysroot(w->root, "amd64", &b->src, err), 0);
        struct strvec names = STRVEC_INIT;
        strvec_push(&names, "tool");
        strvec_push(&names, "libgcc-s1");
        strvec_push(&names, "base-files");
        strvec_push(&names, "libc-bin");
        assert_int_equal(solve_candidates(b->src, &names, &b->set, err), 0);
        strvec_clear(&names);
        char *staging = xasprintf("%s/staging-%s", w->dir, path_basename(binary));
        assert_int_equal(store_open(staging, &b->st, err), 0);
        free(staging);
        b->plan = plan_new();
        return select_plan(b->m, "amd64", b->src, &b->set, &b->rules, b->st, obs, b->plan, err);
}

static int run_select(struct world *w, const char *binary, struct built *b,
                      struct distill_error *err)
{
        return run_select_observed(w, binary, NULL, b, err);
}

static void release(struct built *b)
{
        plan_free(b->plan);
        store_free(b->st);
        pkgset_release(&b->set);
        source_free(b->src);
        rules_release(&b->rules);
        manifest_free(b->m);
}

static void test_closure_with_reasons(void **state)
{
        struct world *w = *state;
        struct distill_error err = {0};
        struct built b;
        int r = run_select(w, "/usr/bin/tool", &b, &err);
        if (r < 0)
                fail_msg("select: %s", err.msg);

        struct plan_entry *e = plan_get(b.plan, "/usr/bin/tool");
        assert_non_null(e);
        assert_int_equal(e->reason, PLAN_R_SEED);
        assert_string_equal(e->pkg, "tool");

        e = plan_get(b.plan, "/usr/lib/x86_64-linux-gnu/libfoo.so.1.0.0");
        assert_non_null(e);
        assert_int_equal(e->type, PLAN_FILE);
        assert_int_equal(e->reason, PLAN_R_ELF_NEEDED);
        assert_string_equal(e->reason_from, "/usr/bin/tool");
        assert_string_equal(e->reason_detail, "NEEDED libfoo.so.1");
        e = plan_get(b.plan, "/usr/lib/x86_64-linux-gnu/libfoo.so.1");
        assert_non_null(e);
        assert_int_equal(e->type, PLAN_SYMLINK);
        assert_string_equal(e->target, "libfoo.so.1.0.0");

        /* libc through usrmerge: the package lists /lib/…, the image has it under /usr/lib */
        e = plan_get(b.plan, "/usr/lib/x86_64-linux-gnu/libc.so.6");
        assert_non_null(e);
        assert_string_equal(e->pkg, "libc6");
        assert_string_equal(e->pkg_path, "/lib/x86_64-linux-gnu/libc.so.6");
        assert_null(plan_get(b.plan, "/lib/x86_64-linux-gnu/libc.so.6"));
        /* PT_INTERP and its link */
        e = plan_get(b.plan, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        assert_non_null(e);
        assert_int_equal(e->reason, PLAN_R_ELF_NEEDED);
        e = plan_get(b.plan, "/usr/lib64/ld-linux-x86-64.so.2");
        assert_non_null(e);
        assert_int_equal(e->type, PLAN_SYMLINK);

        /* built-in rules: libgcc_s always; LANG=C.UTF-8 → libc-bin's C.utf8; os identity */
        e = plan_get(b.plan, "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1");
        assert_non_null(e);
        assert_int_equal(e->reason, PLAN_R_RULE);
        assert_non_null(plan_get(b.plan, "/usr/lib/locale/C.utf8/LC_CTYPE"));
        assert_non_null(plan_get(b.plan, "/etc/debian_version"));
        /* the test's own rules directory takes effect */
        e = plan_get(b.plan, "/usr/share/tool/data.txt");
        assert_non_null(e);
        assert_int_equal(e->reason, PLAN_R_RULE);
        assert_string_equal(e->reason_from, "rule tool-data");
        assert_string_equal(e->reason_detail, "tool reads its data file at start-up");

        /* not needed: not kept */
        assert_null(plan_get(b.plan, "/usr/bin/tool2"));
        assert_null(plan_get(b.plan, "/usr/share/doc/tool/README"));
        /* every kept file has its bytes in the store */
        size_t n;
        struct plan_entry *const *all = plan_sorted(b.plan, &n);
        for (size_t i = 0; i < n; i++) {
                if (all[i]->type != PLAN_FILE)
                        continue;
                char *p = store_blob_path(b.st, all[i]->digest);
                assert_int_equal(access(p, R_OK), 0);
                free(p);
        }
        release(&b);
}

/* select over the world with /usr/bin/tool as the binary; fails the test on an error. */
static void select_tool(struct world *w, struct built *b)
{
        struct distill_error err = {0};
        if (run_select(w, "/usr/bin/tool", b, &err) < 0)
                fail_msg("select: %s", err.msg);
}

/* The entry at path, kept with reason kind. */
static struct plan_entry *expect_kept(struct plan *plan, const char *path,
                                      enum plan_reason_kind kind)
{
        struct plan_entry *e = plan_get(plan, path);
        if (!e)
                fail_msg("%s not kept", path);
        if (e->reason != kind)
                fail_msg("%s kept as %s, expected %s", path, plan_reason_name(e->reason),
                         plan_reason_name(kind));
        return e;
}

/* What a traced run touched joins after the static closure: a file it opened is kept with the
 * reason "observed" (through the links on its way); what was kept anyway keeps its reason; an
 * excluded file stays out with a warning; a directory it listed is kept for itself only when
 * nothing below it is kept; paths outside the packages are ignored. */
static void test_observed(void **state)
{
        struct select_observed obs = {0};
        struct distill_error err = {0};
        struct built b;
        static const char *const seen[] = {
            "/usr/share/foo/other-alias.conf", "open /usr/share/foo/other-alias.conf",
            "/usr/bin/tool", "exec /usr/bin/tool",
            "/usr/share/doc/tool/README", "open /usr/share/doc/tool/README",
            "/usr/share/fooalias", "open /usr/share/fooalias",
            "/usr/share/foo", "open /usr/share/foo",
            "/proc/self/maps", "open /proc/self/maps",
            "/bin/../usr/share/tool/data.txt", "open /usr/share/tool/data.txt",
            NULL};
        for (size_t i = 0; seen[i]; i += 2)
                strmap_put(&obs.paths, seen[i], xstrdup(seen[i + 1]));
        if (run_select_observed(*state, "/usr/bin/tool", &obs, &b, &err) < 0)
                fail_msg("select: %s", err.msg);
        struct plan_entry *e = expect_kept(b.plan, "/usr/share/foo/other.conf", PLAN_R_OBSERVED);
        assert_string_equal(e->reason_from, "check.trace");
        assert_string_equal(e->reason_detail,
                            "observed by the check run: open /usr/share/foo/other-alias.conf");
        expect_kept(b.plan, "/usr/share/foo/other-alias.conf", PLAN_R_OBSERVED);
        expect_kept(b.plan, "/usr/bin/tool", PLAN_R_SEED);
        expect_kept(b.plan, "/usr/share/tool/data.txt", PLAN_R_RULE);
        assert_null(plan_get(b.plan, "/usr/share/doc/tool/README"));
        bool warned = false;
        for (size_t i = 0; i < b.plan->warnings.n; i++)
                warned |= strstr(b.plan->warnings.v[i],
                                 "/usr/share/doc/tool/README: observed by the check run") != NULL;
        assert_true(warned);
        /* nothing below it is kept: the listed directory is, for itself */
        expect_kept(b.plan, "/usr/share/fooalias", PLAN_R_OBSERVED);
        /* foo.conf is kept (a path in libfoo): its directory is only a parent */
        expect_kept(b.plan, "/usr/share/foo/foo.conf", PLAN_R_ELF_PATH);
        assert_null(plan_get(b.plan, "/usr/share/foo"));
        assert_null(plan_get(b.plan, "/proc/self/maps"));
        release(&b);
        select_observed_release(&obs);
}

/* Paths compiled into a library: a file of its own package and one of a package it depends on
 * are kept, with the string's reason; one of an unrelated package and a directory are not; the
 * elements of a search list are paths too, and a base name names its files with one more
 * extension. */
static void test_paths_in_elf_strings(void **state)
{
        struct built b;
        select_tool(*state, &b);
        struct plan_entry *e = expect_kept(b.plan, "/usr/share/foo/foo.conf", PLAN_R_ELF_PATH);
        assert_string_equal(e->reason_from, "/usr/lib/x86_64-linux-gnu/libfoo.so.1.0.0");
        expect_kept(b.plan, "/etc/libc.conf", PLAN_R_ELF_PATH);
        assert_null(plan_get(b.plan, "/usr/share/bar/bar.conf"));
        assert_null(plan_get(b.plan, "/usr/share/foo/other.conf"));
        /* a search list: a file, and a base name the library adds one extension to */
        expect_kept(b.plan, "/etc/foodb", PLAN_R_ELF_PATH);
        expect_kept(b.plan, "/usr/share/foo/db.bin", PLAN_R_ELF_PATH);
        assert_null(plan_get(b.plan, "/usr/share/foo/db.bin.old"));
        assert_null(plan_get(b.plan, "/usr/share/foo/dbx.bin"));
        release(&b);
}

/* A library that calls iconv_open keeps the gconv module of each charset its strings name, and
 * the configuration glibc finds it by; a program that names one but never calls iconv does
 * not. */
static void test_iconv_charsets_in_elf_strings(void **state)
{
        struct built b;
        select_tool(*state, &b);
#define G "/usr/lib/x86_64-linux-gnu/gconv"
        /* through the alias FOO-CHAR, spelt "Foo-Char" */
        struct plan_entry *e = expect_kept(b.plan, G "/FOOCS.so", PLAN_R_ELF_ICONV);
        assert_string_equal(e->reason_from, "/usr/lib/x86_64-linux-gnu/libfoo.so.1.0.0");
        expect_kept(b.plan, G "/BARCS.so", PLAN_R_ELF_ICONV); /* defined in gconv-modules.d */
        /* no cache: the configuration itself */
        expect_kept(b.plan, G "/gconv-modules.d/b.conf", PLAN_R_ELF_ICONV);
        /* named by the program, which does not call iconv */
        assert_null(plan_get(b.plan, G "/BAZCS.so"));
#undef G
        release(&b);
}

/* Another name for a kept file, in a directory the image has, is kept as the link it is; a link
 * to a file not kept, or in a directory the image lacks, is not. */
static void test_alias_links(void **state)
{
        struct built b;
        select_tool(*state, &b);
        struct plan_entry *e = expect_kept(b.plan, "/usr/share/foo/foo-alias.conf", PLAN_R_LINK);
        assert_int_equal(e->type, PLAN_SYMLINK);
        assert_string_equal(e->reason_from, "/usr/share/foo/foo.conf");
        assert_null(plan_get(b.plan, "/usr/share/foo/other-alias.conf"));
        assert_null(plan_get(b.plan, "/usr/share/fooalias/foo.conf"));
        assert_null(plan_get(b.plan, "/usr/share/fooalias"));
        release(&b);
}

static void test_missing_library_names_package(void **state)
{
        struct world *w = *state;
        struct distill_error err = {0};
        struct built b;
        int r = run_select(w, "/usr/bin/tool2", &b, &err);
        assert_int_equal(r, -DISTILL_ERESOLVE);
        assert_non_null(strstr(err.msg, "libbar.so.1"));
        assert_non_null(strstr(err.msg, "add libbar1 to packages"));
        release(&b);
}

static void test_seed_not_in_candidates(void **state)
{
        struct world *w = *state;
        struct distill_error err = {0};
        struct built b;
        int r = run_select(w, "/usr/bin/nonexistent", &b, &err);
        assert_int_equal(r, -DISTILL_ERESOLVE);
        assert_non_null(strstr(err.msg, "/usr/bin/nonexistent"));
        release(&b);
}

/* Loads the manifest at mpath and runs select over the host's packages (source: sysroot /). */
static int run_select_host(struct world *w, const char *mpath, const char *name, struct built *b,
                           struct distill_error *err)
{
        memset(b, 0, sizeof(*b));
        if (manifest_load(mpath, &b->m, err) != 0)
                fail_msg("manifest_load: %s", err->msg);
        struct strvec dirs = STRVEC_INIT;
        char *builtin = xasprintf("%s/manifests/rules", fixture_source_dir());
        strvec_push(&dirs, builtin);
        free(builtin);
        if (rules_load(&dirs, &b->rules, err) != 0)
                fail_msg("rules_load: %s", err->msg);
        strvec_clear(&dirs);
        assert_int_equal(source_open_sysroot("/", "amd64", &b->src, err), 0);
        struct strvec names = STRVEC_INIT;
        strvec_push(&names, "python3.11-minimal");
        strvec_push(&names, "base-files"); /* what the built-in rules need */
        strvec_push(&names, "libc-bin");
        if (solve_candidates(b->src, &names, &b->set, err) != 0)
                fail_msg("solve_candidates: %s", err->msg);
        strvec_clear(&names);
        char *staging = xasprintf("%s/staging-%s", w->dir, name);
        assert_int_equal(store_open(staging, &b->st, err), 0);
        free(staging);
        b->plan = plan_new();
        return select_plan(b->m, "amd64", b->src, &b->set, &b->rules, b->st, NULL, b->plan, err);
}

/* An app whose build context has a .dockerignore: the plan holds what Docker's COPY would copy
 * and nothing else (excluded files and directories absent, '!' exceptions present, the
 * Dockerfile and .dockerignore as the patterns say). The host's python3.11 is the interpreter. */
static void test_app_dockerignore(void **state)
{
        struct world *w = *state;
        assert_int_equal(
            fixture_sh("set -e; cd '%s'; mkdir -p ctx/app/pkg ctx/app/build/keep ctx/app/tests "
                       "ctx/app/docs ctx/app/pkg/__pycache__ ctx/secrets;"
                       "echo 'import pkg.mod' > ctx/app/main.py; touch ctx/app/pkg/__init__.py;"
                       "echo 'X = 1' > ctx/app/pkg/mod.py; echo x > ctx/app/pkg/mod.pyc;"
                       "echo x > ctx/app/pkg/__pycache__/mod.cpython-311.pyc;"
                       "echo x > ctx/app/build/out.o; echo k > ctx/app/build/keep/k.txt;"
                       "echo t > ctx/app/tests/test_x.py; echo r > ctx/app/README.md;"
                       "echo n > ctx/app/NOTES.md; echo d > ctx/app/docs/guide.md;"
                       "echo s > ctx/secrets/key; echo 'FROM x' > ctx/Dockerfile;"
                       "printf '%%s\\n' '# what the image must not get' 'app/build' "
                       "'!app/build/keep' '**/*.pyc' 'app/tests/' 'app/*.md' '!app/README.md' "
                       "secrets Dockerfile > ctx/.dockerignore",
                       w->dir),
            0);
        char *mpath = xasprintf("%s/app.yaml", w->dir);
        fixture_write(mpath, "version: 1\nsource: {sysroot: /}\narch: amd64\n"
                             "packages: [python3.11-minimal]\n"
                             "python:\n"
                             "  interpreter: /usr/bin/python3.11\n"
                             "  app:\n"
                             "    - {from: ctx/app, to: /app, dockerignore: ctx/.dockerignore}\n"
                             "    - {from: ctx, to: /ctx, dockerignore: ctx/.dockerignore}\n"
                             "  entrypoint: /app/main.py\n"
                             "  bytecode: false\n");
        struct built b;
        struct distill_error err = {0};
        if (run_select_host(w, mpath, "app", &b, &err) != 0)
                fail_msg("select_plan: %s", err.msg);
        free(mpath);
        static const char *const present[] = {
            "/app/main.py",     "/app/pkg/__init__.py",     "/app/pkg/mod.py",
            "/app/README.md",   "/app/docs/guide.md",       "/app/build",
            "/app/build/keep",  "/app/build/keep/k.txt",    "/ctx/.dockerignore",
            "/ctx/app/main.py", "/ctx/app/build/keep/k.txt"};
        static const char *const absent[] = {
            "/app/pkg/mod.pyc", "/app/pkg/__pycache__", "/app/build/out.o",
            "/app/tests",       "/app/tests/test_x.py", "/app/NOTES.md",
            "/ctx/secrets",     "/ctx/secrets/key",     "/ctx/Dockerfile",
            "/ctx/app/tests",   "/ctx/app/build/out.o"};
        for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++)
                if (!plan_get(b.plan, present[i]))
                        fail_msg("%s is missing from the plan", present[i]);
        for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
                if (plan_get(b.plan, absent[i]))
                        fail_msg("%s is in the plan, but .dockerignore excludes it", absent[i]);
        release(&b);

        /* from itself excluded: Docker's COPY would not find it */
        mpath = xasprintf("%s/gone.yaml", w->dir);
        fixture_write(mpath,
                      "version: 1\nsource: {sysroot: /}\narch: amd64\n"
                      "packages: [python3.11-minimal]\n"
                      "python:\n"
                      "  interpreter: /usr/bin/python3.11\n"
                      "  app: [{from: ctx/secrets, to: /s, dockerignore: ctx/.dockerignore}]\n"
                      "  module: m\n");
        int r = run_select_host(w, mpath, "gone", &b, &err);
        if (r != -DISTILL_EUSAGE || !strstr(err.msg, "is excluded by"))
                fail_msg("expected \"is excluded by\", got %d: %s", r, err.msg);
        free(mpath);
        release(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_closure_with_reasons),
            cmocka_unit_test(test_observed),
            cmocka_unit_test(test_paths_in_elf_strings),
            cmocka_unit_test(test_iconv_charsets_in_elf_strings),
            cmocka_unit_test(test_alias_links),
            cmocka_unit_test(test_missing_library_names_package),
            cmocka_unit_test(test_seed_not_in_candidates),
            cmocka_unit_test(test_app_dockerignore),
        };
        return cmocka_run_group_tests(tests, setup_world, teardown_world);
}
