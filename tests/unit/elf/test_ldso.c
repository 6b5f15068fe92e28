/* ldso_closure against the real ld.so: every case builds a fixture root with cc-made objects,
 * the host's loader and libc, asks ld.so (in trace mode, chrooted into the fixture) what it
 * loads, and compares that set of paths with distill's answer on the same tree. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "distill/elf/ldcache.h"
#include "distill/elf/ldso.h"
#include "fixture.h"

struct fx {
        char *dir;  /* scratch */
        char *src;  /* sources and build outputs */
        char *root; /* the image */
};

static const char oracle_py[] =
    "import os, sys\n"
    "root, prog = sys.argv[1], sys.argv[2]\n"
    "os.chroot(root)\n"
    "os.chdir('/')\n"
    "ldso = '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'\n"
    "# trace mode (what ldd uses) prints 'NAME => not found' instead of stopping\n"
    "os.execve(ldso, [ldso, prog], {'LD_TRACE_LOADED_OBJECTS': '1'})\n";

static void sh_ok(const char *cmd)
{
        int r = fixture_sh("%s", cmd);
        if (r != 0)
                fail_msg("command failed (%d): %s", r, cmd);
}

static void fx_init(struct fx *f)
{
        fixture_require_root();
        f->dir = fixture_tmpdir();
        f->src = xasprintf("%s/src", f->dir);
        f->root = xasprintf("%s/root", f->dir);
        cleanup_free char *p = NULL;
        p = xasprintf("%s/b.c", f->src);
        fixture_write(p, "int fb(void){return 2;}\n");
        free(p);
        p = xasprintf("%s/a.c", f->src);
        fixture_write(p, "int fb(void); int fa(void){return fb();}\n");
        free(p);
        p = xasprintf("%s/m.c", f->src);
        fixture_write(p, "int fa(void); int main(void){return fa();}\n");
        free(p);
        p = xasprintf("%s/oracle.py", f->dir);
        fixture_write(p, oracle_py);
        free(p);
        p = xasprintf("set -e; R=%s; mkdir -p $R/lib/x86_64-linux-gnu $R/lib64; "
                      "cp $(readlink -f /lib64/ld-linux-x86-64.so.2) "
                      "$R/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2; "
                      "cp $(readlink -f /lib/x86_64-linux-gnu/libc.so.6) "
                      "$R/lib/x86_64-linux-gnu/libc.so.6; "
                      "ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "
                      "$R/lib64/ld-linux-x86-64.so.2",
                      f->root);
        sh_ok(p);
}

static void fx_free(struct fx *f)
{
        fixture_cleanup(f->dir);
        free(f->dir);
        free(f->src);
        free(f->root);
}

/* Runs a shell command in the source dir (printf-style). */
static void __attribute__((format(printf, 2, 3))) fx_sh(struct fx *f, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *cmd = NULL;
        if (vasprintf(&cmd, fmt, ap) < 0)
                abort();
        va_end(ap);
        cleanup_free char *full = xasprintf("set -e; cd %s; R=%s; %s", f->src, f->root, cmd);
        free(cmd);
        sh_ok(full);
}

/* What the real ld.so loads for `prog`: found paths and not-found names. */
static void oracle(struct fx *f, const char *prog, struct strvec *found, struct strvec *missing)
{
        /* as root (fx_init requires it): chroot needs no user namespace, which a container or
         * user.max_user_namespaces=0 may not allow */
        cleanup_free char *out = fixture_sh_out("/usr/bin/python3.11 %s/oracle.py %s %s 2>&1; true",
                                                f->dir, f->root, prog);
        if (!out)
                fail_msg("ld.so oracle did not run for %s", prog);
        char *save = NULL;
        for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                while (*line == '\t' || *line == ' ')
                        line++;
                if (strstr(line, "error while loading"))
                        fail_msg("ld.so: %s", line);
                char *arrow = strstr(line, " => ");
                if (arrow) {
                        char *rhs = arrow + 4;
                        if (!strncmp(rhs, "not found", 9)) {
                                strvec_push_nodup(missing, xstrndup(line, (size_t)(arrow - line)));
                                continue;
                        }
                        /* ld.so itself: run by its real path, it also prints the PT_INTERP
                         * name it is known by in a normal start, on the left */
                        if (line[0] == '/') {
                                strvec_push_nodup(found, xstrndup(line, (size_t)(arrow - line)));
                                continue;
                        }
                        strvec_push_nodup(found, xstrndup(rhs, strcspn(rhs, " ")));
                } else if (line[0] == '/') {
                        strvec_push_nodup(found, xstrndup(line, strcspn(line, " ")));
                }
        }
        strvec_sort(found);
        strvec_sort(missing);
}

static int closure(struct fx *f, const char *prog, const char *main_exe, struct ldso_result *res,
                   struct distill_error *err)
{
        struct ldso_config cfg;
        struct imagens *ns = imagens_new();
        assert_int_equal(ldso_config_for_arch("amd64", &cfg, err), 0);
        assert_int_equal(fixture_imagens_add_tree(ns, f->root, err), 0);
        int r = ldso_closure(&cfg, ns, fixture_ldso_load_host, NULL, prog, main_exe, res, err);
        ldso_config_release(&cfg);
        imagens_free(ns);
        return r;
}

/* The loaded set as ld.so would print it: every object but the root and hwcaps variants. */
static void distill_set(const struct ldso_result *res, struct strvec *paths)
{
        for (size_t i = 1; i < res->n; i++)
                if (!res->objs[i].variant_of)
                        strvec_push(paths, res->objs[i].path);
        strvec_sort(paths);
}

static void assert_same_set(const struct strvec *want, const struct strvec *got)
{
        bool same = want->n == got->n;
        for (size_t i = 0; same && i < want->n; i++)
                same = strcmp(want->v[i], got->v[i]) == 0;
        if (same)
                return;
        for (size_t i = 0; i < want->n; i++)
                print_error("ld.so:   %s\n", want->v[i]);
        for (size_t i = 0; i < got->n; i++)
                print_error("distill: %s\n", got->v[i]);
        fail_msg("ld.so and distill disagree");
}

/* Runs both and asserts the same loaded set; returns distill's result for further checks. */
static void compare_found(struct fx *f, const char *prog, struct ldso_result *res)
{
        struct strvec want = STRVEC_INIT, missing = STRVEC_INIT, got = STRVEC_INIT;
        oracle(f, prog, &want, &missing);
        assert_int_equal(missing.n, 0);
        struct distill_error err = {0};
        int r = closure(f, prog, NULL, res, &err);
        if (r < 0)
                fail_msg("ldso_closure: %s", err.msg);
        distill_set(res, &got);
        assert_same_set(&want, &got);
        strvec_clear(&want);
        strvec_clear(&missing);
        strvec_clear(&got);
}

static const struct ldso_object *find_obj(const struct ldso_result *res, const char *path)
{
        for (size_t i = 0; i < res->n; i++)
                if (!strcmp(res->objs[i].path, path))
                        return &res->objs[i];
        fail_msg("no object %s in the closure", path);
        return NULL;
}

/* Runs both; distill may keep more (what other CPUs load) but keeps everything this host's ld.so
 * loads. Returns distill's result for further checks. */
static void closure_covers_ldso(struct fx *f, const char *prog, struct ldso_result *res)
{
        struct strvec want = STRVEC_INIT, missing = STRVEC_INIT;
        oracle(f, prog, &want, &missing);
        assert_int_equal(missing.n, 0);
        struct distill_error err = {0};
        if (closure(f, prog, NULL, res, &err) < 0)
                fail_msg("ldso_closure: %s", err.msg);
        for (size_t i = 0; i < want.n; i++)
                find_obj(res, want.v[i]);
        strvec_clear(&want);
        strvec_clear(&missing);
}

/* libB.so.1 and libA.so.1 (NEEDED libB) built in src with extra link flags for libA. */
static void build_ab(struct fx *f, const char *a_flags)
{
        fx_sh(f,
              "cc -shared -fPIC -Wl,-soname,libB.so.1 -o libB.so.1 b.c && "
              "cc -shared -fPIC -Wl,-soname,libA.so.1 %s -o libA.so.1 a.c ./libB.so.1",
              a_flags);
}

static void build_prog(struct fx *f, const char *flags)
{
        fx_sh(f, "cc %s -o $R/prog m.c ./libA.so.1 -Wl,-rpath-link,.", flags);
}

static void test_transitive_rpath(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,--disable-new-dtags,-rpath,/opt/lib");
        fx_sh(&f, "mkdir -p $R/opt/lib && cp libA.so.1 libB.so.1 $R/opt/lib/");
        struct ldso_result res;
        compare_found(&f, "/prog", &res);
        const struct ldso_object *b = find_obj(&res, "/opt/lib/libB.so.1");
        assert_string_equal(b->needed_by, "/opt/lib/libA.so.1");
        assert_string_equal(b->needed_name, "libB.so.1");
        /* ld.so matched libc's NEEDED ld-linux-x86-64.so.2 to itself by SONAME */
        const struct ldso_object *ld = &res.objs[res.n - 1];
        assert_string_equal(ld->path, "/lib64/ld-linux-x86-64.so.2");
        assert_string_equal(ld->needed_name, "PT_INTERP");
        assert_string_equal(ld->real_path, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        assert_int_equal(ld->links.n, 1);
        assert_string_equal(ld->links.v[0], "/lib64/ld-linux-x86-64.so.2");
        assert_string_equal(res.objs[0].path, "/prog");
        ldso_result_release(&res);
        fx_free(&f);
}

/* The RPATH chain goes up through every loader: libC (NEEDED by libB) is found through the
 * RPATH of libA, which loaded libB; neither libB nor the program name that dir. */
static void test_rpath_chain_through_libraries(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        fx_sh(&f, "echo 'int fc(void){return 3;}' > c.c && "
                  "echo 'int fc(void); int fb(void){return fc();}' > b2.c && "
                  "cc -shared -fPIC -Wl,-soname,libC.so.1 -o libC.so.1 c.c && "
                  "cc -shared -fPIC -Wl,-soname,libB.so.1 -o libB.so.1 b2.c ./libC.so.1 && "
                  "cc -shared -fPIC -Wl,-soname,libA.so.1 -Wl,--disable-new-dtags,-rpath,/opt/deep "
                  "-o libA.so.1 a.c ./libB.so.1");
        build_prog(&f, "-Wl,--disable-new-dtags,-rpath,/opt/lib");
        fx_sh(&f, "mkdir -p $R/opt/lib $R/opt/deep && cp libA.so.1 $R/opt/lib/ && "
                  "cp libB.so.1 libC.so.1 $R/opt/deep/");
        struct ldso_result res;
        compare_found(&f, "/prog", &res);
        const struct ldso_object *c = find_obj(&res, "/opt/deep/libC.so.1");
        assert_string_equal(c->needed_by, "/opt/deep/libB.so.1");
        ldso_result_release(&res);
        fx_free(&f);
}

/* A requester with DT_RUNPATH ignores every DT_RPATH, the program's included. */
static void test_runpath_disables_rpath_chain(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "-Wl,-rpath,/nonexistent");
        build_prog(&f, "-Wl,--disable-new-dtags,-rpath,/opt/lib");
        fx_sh(&f, "mkdir -p $R/opt/lib && cp libA.so.1 libB.so.1 $R/opt/lib/");
        struct strvec found = STRVEC_INIT, missing = STRVEC_INIT;
        oracle(&f, "/prog", &found, &missing);
        assert_int_equal(missing.n, 1);
        assert_string_equal(missing.v[0], "libB.so.1");
        struct ldso_result res;
        struct distill_error err = {0};
        assert_int_equal(closure(&f, "/prog", NULL, &res, &err), -DISTILL_ERESOLVE);
        assert_string_equal(res.missing_name, "libB.so.1");
        ldso_result_release(&res);
        strvec_clear(&found);
        strvec_clear(&missing);
        fx_free(&f);
}

static void test_runpath_not_transitive(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,-rpath,/opt/lib");
        fx_sh(&f, "mkdir -p $R/opt/lib && cp libA.so.1 libB.so.1 $R/opt/lib/");
        struct strvec found = STRVEC_INIT, missing = STRVEC_INIT;
        oracle(&f, "/prog", &found, &missing);
        assert_int_equal(missing.n, 1);
        assert_string_equal(missing.v[0], "libB.so.1");
        assert_true(strvec_contains(&found, "/opt/lib/libA.so.1"));

        struct ldso_result res;
        struct distill_error err = {0};
        assert_int_equal(closure(&f, "/prog", NULL, &res, &err), -DISTILL_ERESOLVE);
        assert_string_equal(res.missing_name, "libB.so.1");
        assert_string_equal(res.missing_by, "/opt/lib/libA.so.1");
        assert_non_null(strstr(err.msg, "libB.so.1 (NEEDED by /opt/lib/libA.so.1) was not found"));
        ldso_result_release(&res);
        strvec_clear(&found);
        strvec_clear(&missing);
        fx_free(&f);
}

/* libA and libB need each other: each is loaded once. */
static void test_needed_cycle(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        fx_sh(&f,
              "echo 'int fa(void); int fb(void){return 2;} int g(void){return fa();}' > bc.c && "
              "cc -shared -fPIC -Wl,-soname,libA.so.1 -o stubA.so a.c && "
              "cc -shared -fPIC -Wl,-soname,libB.so.1 -o libB.so.1 bc.c ./stubA.so && "
              "cc -shared -fPIC -Wl,-soname,libA.so.1 -o libA.so.1 a.c ./libB.so.1");
        build_prog(&f, "-Wl,--disable-new-dtags,-rpath,/opt/lib");
        fx_sh(&f, "mkdir -p $R/opt/lib && cp libA.so.1 libB.so.1 $R/opt/lib/ && "
                  "readelf -d libB.so.1 | grep -q 'NEEDED.*libA.so.1'");
        struct ldso_result res;
        compare_found(&f, "/prog", &res);
        assert_int_equal(res.n, 5); /* prog, libA, libc, libB, ld.so */
        ldso_result_release(&res);
        fx_free(&f);
}

static void test_origin_through_symlink(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "-Wl,-rpath,'$ORIGIN'");
        build_prog(&f, "-Wl,-rpath,/opt/dir1");
        /* libA is found as dir1/libA.so.1 -> ../real/libA.so.1; libB exists only in dir1 */
        fx_sh(&f, "mkdir -p $R/opt/dir1 $R/opt/real && cp libA.so.1 $R/opt/real/ && "
                  "ln -s ../real/libA.so.1 $R/opt/dir1/libA.so.1 && cp libB.so.1 $R/opt/dir1/");
        struct ldso_result res;
        compare_found(&f, "/prog", &res);
        const struct ldso_object *a = find_obj(&res, "/opt/dir1/libA.so.1");
        assert_string_equal(a->real_path, "/opt/real/libA.so.1");
        assert_int_equal(a->links.n, 1);
        assert_string_equal(a->links.v[0], "/opt/dir1/libA.so.1");
        find_obj(&res, "/opt/dir1/libB.so.1");
        ldso_result_release(&res);
        fx_free(&f);
}

static void test_origin_of_program(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib'");
        fx_sh(&f, "mkdir -p $R/app/bin $R/app/lib && mv $R/prog $R/app/bin/prog && "
                  "cp libA.so.1 libB.so.1 $R/app/lib/");
        struct ldso_result res;
        compare_found(&f, "/app/bin/prog", &res);
        find_obj(&res, "/app/bin/../lib/libB.so.1");
        ldso_result_release(&res);
        fx_free(&f);
}

static void test_lib_token_in_runpath(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "-Wl,-rpath,'/opt/${LIB}'");
        build_prog(&f, "-Wl,-rpath,'/opt/$LIB'");
        fx_sh(&f, "mkdir -p $R/opt/lib/x86_64-linux-gnu && "
                  "cp libA.so.1 libB.so.1 $R/opt/lib/x86_64-linux-gnu/");
        struct ldso_result res;
        compare_found(&f, "/prog", &res);
        find_obj(&res, "/opt/lib/x86_64-linux-gnu/libA.so.1");
        find_obj(&res, "/opt/lib/x86_64-linux-gnu/libB.so.1");
        ldso_result_release(&res);
        fx_free(&f);
}

static void test_soname_symlink_chain(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,--disable-new-dtags,-rpath,/opt/lib");
        /* zlib1g style: the SONAME link, an intermediate link, the real file */
        fx_sh(&f, "mkdir -p $R/opt/lib && cp libA.so.1 $R/opt/lib/ && "
                  "cp libB.so.1 $R/opt/lib/libB.so.1.2.13 && "
                  "ln -s libB.so.1.2 $R/opt/lib/libB.so.1 && "
                  "ln -s libB.so.1.2.13 $R/opt/lib/libB.so.1.2");
        struct ldso_result res;
        compare_found(&f, "/prog", &res);
        const struct ldso_object *b = find_obj(&res, "/opt/lib/libB.so.1");
        assert_string_equal(b->real_path, "/opt/lib/libB.so.1.2.13");
        assert_int_equal(b->links.n, 2);
        assert_string_equal(b->links.v[0], "/opt/lib/libB.so.1");
        assert_string_equal(b->links.v[1], "/opt/lib/libB.so.1.2");
        ldso_result_release(&res);
        fx_free(&f);
}

static void test_wrong_class_and_machine_skipped(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,-rpath,/opt/c32:/opt/arm:/opt/good");
        /* a 32-bit libA that claims x86-64 as its machine (only the class differs), then one
         * whose e_machine says AArch64, then the right one */
        fx_sh(&f, "mkdir -p $R/opt/c32 $R/opt/arm $R/opt/good && "
                  "cc -m32 -shared -fPIC -nostdlib -Wl,-soname,libA.so.1 -o $R/opt/c32/libA.so.1 "
                  "b.c && printf '\\076\\000' | dd of=$R/opt/c32/libA.so.1 bs=1 seek=18 "
                  "conv=notrunc status=none && cp libA.so.1 $R/opt/arm/ && "
                  "printf '\\267\\000' | dd of=$R/opt/arm/libA.so.1 bs=1 seek=18 conv=notrunc "
                  "status=none && cp libA.so.1 libB.so.1 $R/opt/good/ && "
                  "cp libB.so.1 $R/lib/x86_64-linux-gnu/");
        cleanup_free char *hdr = fixture_sh_out("readelf -h %s/opt/arm/libA.so.1", f.root);
        assert_non_null(strstr(hdr, "AArch64"));
        cleanup_free char *hdr32 = fixture_sh_out("readelf -h %s/opt/c32/libA.so.1", f.root);
        assert_non_null(strstr(hdr32, "ELF32"));
        assert_non_null(strstr(hdr32, "X86-64"));
        struct ldso_result res;
        compare_found(&f, "/prog", &res);
        find_obj(&res, "/opt/good/libA.so.1");
        ldso_result_release(&res);
        fx_free(&f);
}

static void test_not_elf_candidate_stops(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,-rpath,/opt/bad:/opt/good");
        fx_sh(&f, "mkdir -p $R/opt/bad $R/opt/good && echo 'not a library' > "
                  "$R/opt/bad/libA.so.1 && cp libA.so.1 libB.so.1 $R/opt/good/");
        /* ld.so does not go on past a file it cannot load as ELF */
        cleanup_free char *out =
            fixture_sh_out("/usr/bin/python3.11 %s/oracle.py %s /prog 2>&1; true", f.dir, f.root);
        assert_non_null(out);
        assert_non_null(strstr(out, "/opt/bad/libA.so.1"));
        assert_null(strstr(out, "/opt/good/libA.so.1"));
        struct ldso_result res;
        struct distill_error err = {0};
        assert_int_equal(closure(&f, "/prog", NULL, &res, &err), -DISTILL_ERESOLVE);
        assert_non_null(strstr(err.msg, "/opt/bad/libA.so.1"));
        ldso_result_release(&res);
        fx_free(&f);
}

/* Patches DF_1_NODEFLIB into DT_FLAGS_1 of an ELF64 file (binutils 2.40 ignores -z nodeflib). */
static void set_nodeflib(struct fx *f, const char *file)
{
        fx_sh(f,
              "/usr/bin/python3.11 - %s <<'EOF'\n"
              "import struct,sys\n"
              "b=bytearray(open(sys.argv[1],'rb').read())\n"
              "phoff,=struct.unpack_from('<Q',b,0x20)\n"
              "phent,phnum=struct.unpack_from('<HH',b,0x36)\n"
              "for i in range(phnum):\n"
              "  t,fl,off,va,pa,fsz=struct.unpack_from('<IIQQQQ',b,phoff+i*phent)\n"
              "  if t==2: dyn,dsz=off,fsz\n"
              "for k in range(dsz//16):\n"
              "  t,v=struct.unpack_from('<qQ',b,dyn+k*16)\n"
              "  if t==0x6ffffffb: struct.pack_into('<qQ',b,dyn+k*16,t,v|0x800)\n"
              "open(sys.argv[1],'wb').write(b)\n"
              "EOF\n"
              "readelf -d %s | grep -q NODEFLIB",
              file, file);
}

static void test_nodeflib(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        /* libA (RUNPATH /opt/lib, FLAGS_1 NOW|NODEFLIB) needs libB, which is only in a default
         * dir: ld.so does not look there for libA. */
        build_ab(&f, "-Wl,-z,now -Wl,-rpath,/opt/lib");
        set_nodeflib(&f, "libA.so.1");
        build_prog(&f, "-Wl,-rpath,/opt/lib");
        fx_sh(&f, "mkdir -p $R/opt/lib && cp libA.so.1 $R/opt/lib/ && "
                  "cp libB.so.1 $R/lib/x86_64-linux-gnu/");
        struct strvec found = STRVEC_INIT, missing = STRVEC_INIT;
        oracle(&f, "/prog", &found, &missing);
        assert_int_equal(missing.n, 1);
        assert_string_equal(missing.v[0], "libB.so.1");
        struct ldso_result res;
        struct distill_error err = {0};
        assert_int_equal(closure(&f, "/prog", NULL, &res, &err), -DISTILL_ERESOLVE);
        assert_string_equal(res.missing_name, "libB.so.1");
        assert_string_equal(res.missing_by, "/opt/lib/libA.so.1");
        ldso_result_release(&res);

        /* libB next to libA, reached through libA's RUNPATH: found by both */
        fx_sh(&f, "cp libB.so.1 $R/opt/lib/");
        compare_found(&f, "/prog", &res);
        find_obj(&res, "/opt/lib/libB.so.1");
        ldso_result_release(&res);
        strvec_clear(&found);
        strvec_clear(&missing);
        fx_free(&f);
}

static void test_hwcaps_variants(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,-rpath,/opt/lib");
        /* the baseline libA needs libB (from /opt/lib via its own RUNPATH); the x86-64-v2 copy
         * needs nothing extra: both closures are kept, whichever the CPU picks */
        fx_sh(
            &f,
            "mkdir -p $R/opt/lib/glibc-hwcaps/x86-64-v2 && "
            "cc -shared -fPIC -Wl,-soname,libA.so.1 -Wl,-rpath,/opt/lib -o $R/opt/lib/libA.so.1 "
            "a.c ./libB.so.1 && cp libB.so.1 $R/opt/lib/ && "
            "cc -shared -fPIC -Wl,-soname,libA.so.1 -o "
            "$R/opt/lib/glibc-hwcaps/x86-64-v2/libA.so.1 a.c -Wl,--unresolved-symbols=ignore-all");
        struct strvec want = STRVEC_INIT, missing = STRVEC_INIT;
        oracle(&f, "/prog", &want, &missing);
        struct ldso_result res;
        struct distill_error err = {0};
        if (closure(&f, "/prog", NULL, &res, &err) < 0)
                fail_msg("%s", err.msg);
        const struct ldso_object *a = find_obj(&res, "/opt/lib/glibc-hwcaps/x86-64-v2/libA.so.1");
        assert_int_equal(a->variants.n, 1);
        assert_string_equal(a->variants.v[0], "/opt/lib/libA.so.1");
        const struct ldso_object *base = find_obj(&res, "/opt/lib/libA.so.1");
        assert_string_equal(base->variant_of, "/opt/lib/glibc-hwcaps/x86-64-v2/libA.so.1");
        find_obj(&res, "/opt/lib/libB.so.1");
        /* whatever ld.so chose on this CPU is in distill's answer */
        for (size_t i = 0; i < want.n; i++)
                find_obj(&res, want.v[i]);
        ldso_result_release(&res);
        strvec_clear(&want);
        strvec_clear(&missing);
        fx_free(&f);
}

/* $PLATFORM takes a value per CPU kind ("haswell" on Intel with AVX2, "x86_64" on others):
 * the copy for every platform is kept, and the one this host's ld.so loads is among them. */
static void test_platform_token_in_runpath(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "-Wl,-rpath,'/opt/${PLATFORM}/lib'");
        build_prog(&f, "-Wl,-rpath,'/opt/$PLATFORM/lib'");
        struct ldso_config cfg;
        struct distill_error err = {0};
        assert_int_equal(ldso_config_for_arch("amd64", &cfg, &err), 0);
        assert_true(strvec_contains(&cfg.platforms, "x86_64"));
        assert_true(strvec_contains(&cfg.platforms, "haswell"));
        for (size_t i = 0; i < cfg.platforms.n; i++)
                fx_sh(&f, "mkdir -p $R/opt/%s/lib && cp libA.so.1 libB.so.1 $R/opt/%s/lib/",
                      cfg.platforms.v[i], cfg.platforms.v[i]);
        struct ldso_result res;
        closure_covers_ldso(&f, "/prog", &res);
        for (size_t i = 0; i < cfg.platforms.n; i++) {
                cleanup_free char *a = xasprintf("/opt/%s/lib/libA.so.1", cfg.platforms.v[i]);
                cleanup_free char *b = xasprintf("/opt/%s/lib/libB.so.1", cfg.platforms.v[i]);
                find_obj(&res, a);
                find_obj(&res, b);
        }
        ldso_result_release(&res);
        ldso_config_release(&cfg);
        fx_free(&f);
}

/* $PLATFORM in a DT_NEEDED path: one object per platform, the host's among them. */
static void test_platform_token_in_needed(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        fx_sh(&f, "cc -shared -fPIC -Wl,-soname,'/opt/$PLATFORM/libB.so.1' -o libB.so.1 b.c && "
                  "cc -shared -fPIC -Wl,-soname,libA.so.1 -o libA.so.1 a.c ./libB.so.1 && "
                  "cp libA.so.1 $R/lib/x86_64-linux-gnu/");
        /* the link editor cannot follow that NEEDED: libA's symbols are resolved at run time */
        build_prog(&f, "-Wl,--allow-shlib-undefined");
        struct ldso_config cfg;
        struct distill_error err = {0};
        assert_int_equal(ldso_config_for_arch("amd64", &cfg, &err), 0);
        for (size_t i = 0; i < cfg.platforms.n; i++)
                fx_sh(&f, "mkdir -p $R/opt/%s && cp libB.so.1 $R/opt/%s/", cfg.platforms.v[i],
                      cfg.platforms.v[i]);
        struct ldso_result res;
        closure_covers_ldso(&f, "/prog", &res);
        for (size_t i = 0; i < cfg.platforms.n; i++) {
                cleanup_free char *b = xasprintf("/opt/%s/libB.so.1", cfg.platforms.v[i]);
                find_obj(&res, b);
        }
        ldso_result_release(&res);
        ldso_config_release(&cfg);
        fx_free(&f);
}

/* A library only in a glibc-hwcaps subdir of its RUNPATH dir, the baseline in a default dir:
 * a CPU without that level goes on to the default dir, so both are kept. */
static void test_hwcaps_only_variant_search_goes_on(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,-rpath,/opt/lib");
        fx_sh(&f, "mkdir -p $R/opt/lib/glibc-hwcaps/x86-64-v4 && "
                  "cp libA.so.1 $R/opt/lib/glibc-hwcaps/x86-64-v4/ && "
                  "cp libA.so.1 libB.so.1 $R/lib/x86_64-linux-gnu/");
        struct ldso_result res;
        closure_covers_ldso(&f, "/prog", &res);
        const struct ldso_object *v4 = find_obj(&res, "/opt/lib/glibc-hwcaps/x86-64-v4/libA.so.1");
        assert_null(v4->variant_of);
        assert_int_equal(v4->variants.n, 1);
        assert_string_equal(v4->variants.v[0], "/lib/x86_64-linux-gnu/libA.so.1");
        find_obj(&res, "/lib/x86_64-linux-gnu/libB.so.1");
        ldso_result_release(&res);
        fx_free(&f);
}

/* Every glibc-hwcaps variant is kept (the CPU of the image's host picks at run time), each with
 * its own dependencies; the one this host's ld.so maps is among them. */
static void test_hwcaps_every_variant(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,-rpath,/opt/lib");
        fx_sh(&f, "echo 'int fc(void){return 3;}' > c.c && "
                  "cc -shared -fPIC -Wl,-soname,libC.so.1 -o libC.so.1 c.c && "
                  "mkdir -p $R/opt/lib && cp libB.so.1 libC.so.1 $R/opt/lib/ && "
                  "cc -shared -fPIC -Wl,-soname,libA.so.1 -Wl,-rpath,/opt/lib -o "
                  "$R/opt/lib/libA.so.1 a.c ./libB.so.1 && "
                  "for v in 2 3 4; do mkdir -p $R/opt/lib/glibc-hwcaps/x86-64-v$v; done && "
                  "cc -shared -fPIC -Wl,-soname,libA.so.1 -Wl,-rpath,/opt/lib -o "
                  "$R/opt/lib/glibc-hwcaps/x86-64-v2/libA.so.1 a.c ./libB.so.1 && "
                  "cc -shared -fPIC -Wl,-soname,libA.so.1 -Wl,-rpath,/opt/lib -o "
                  "$R/opt/lib/glibc-hwcaps/x86-64-v3/libA.so.1 a.c ./libB.so.1 && "
                  "cc -shared -fPIC -Wl,-soname,libA.so.1 -Wl,-rpath,/opt/lib -o "
                  "$R/opt/lib/glibc-hwcaps/x86-64-v4/libA.so.1 a.c ./libB.so.1 "
                  "-Wl,--no-as-needed ./libC.so.1");
        struct strvec want = STRVEC_INIT, missing = STRVEC_INIT;
        oracle(&f, "/prog", &want, &missing);
        assert_int_equal(missing.n, 0);
        struct ldso_result res;
        struct distill_error err = {0};
        if (closure(&f, "/prog", NULL, &res, &err) < 0)
                fail_msg("%s", err.msg);
        static const char *const all[] = {"/opt/lib/glibc-hwcaps/x86-64-v4/libA.so.1",
                                          "/opt/lib/glibc-hwcaps/x86-64-v3/libA.so.1",
                                          "/opt/lib/glibc-hwcaps/x86-64-v2/libA.so.1",
                                          "/opt/lib/libA.so.1"};
        size_t primaries = 0;
        for (size_t i = 0; i < 4; i++)
                primaries += find_obj(&res, all[i])->variant_of == NULL;
        assert_int_equal(primaries, 1);
        /* the first subdir in search order is the primary, the others hang off it */
        assert_int_equal(find_obj(&res, all[0])->variants.n, 3);
        /* libC is needed by the v4 variant only: kept all the same */
        find_obj(&res, "/opt/lib/libC.so.1");
        bool ldso_pick_kept = false;
        for (size_t i = 0; i < want.n; i++) {
                find_obj(&res, want.v[i]);
                for (size_t k = 0; k < 4; k++)
                        ldso_pick_kept |= !strcmp(want.v[i], all[k]);
        }
        assert_true(ldso_pick_kept);
        ldso_result_release(&res);
        strvec_clear(&want);
        strvec_clear(&missing);
        fx_free(&f);
}

/* An ld.so.cache written by ldcache for the given (dir, file, soname) triples. */
static void write_cache(struct fx *f, const struct ldcache_lib *libs, size_t n)
{
        struct ldcache_entry *e;
        size_t ne;
        struct distill_error err = {0};
        assert_int_equal(ldcache_entries(libs, n, "amd64", &e, &ne, &err), 0);
        char *data;
        size_t len;
        assert_int_equal(ldcache_serialize(e, ne, "amd64", &data, &len, &err), 0);
        cleanup_free char *p = xasprintf("%s/etc/ld.so.cache", f->root);
        cleanup_free char *dir = xasprintf("%s/etc", f->root);
        mkdir_p(dir, 0755);
        assert_int_equal(write_file_atomic(p, data, len, 0644), 0);
        free(data);
        ldcache_entries_free(e, ne);
}

#define CACHE_LIB(d, s)                                                                            \
        {                                                                                          \
                .dir = d, .name = s, .soname = s, .elfclass = ELFCLASS64, .machine = EM_X86_64     \
        }

static int closure_with_cache(struct fx *f, const char *cache_dir, struct ldso_result *res,
                              struct distill_error *err)
{
        struct ldso_config cfg;
        struct imagens *ns = imagens_new();
        assert_int_equal(ldso_config_for_arch("amd64", &cfg, err), 0);
        strvec_push(&cfg.cache_dirs, cache_dir);
        strvec_push(&cfg.cache_dirs, "/lib/x86_64-linux-gnu");
        assert_int_equal(fixture_imagens_add_tree(ns, f->root, err), 0);
        int r = ldso_closure(&cfg, ns, fixture_ldso_load_host, NULL, "/prog", NULL, res, err);
        ldso_config_release(&cfg);
        imagens_free(ns);
        return r;
}

/* A lib only in a non-default dir is found through the cache (cfg.cache_dirs), as ld.so finds
 * it through the ld.so.cache ldcache writes, and not without one. */
static void test_cache_dir_finds_lib(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "");
        fx_sh(&f, "mkdir -p $R/opt/cachelib && cp libA.so.1 libB.so.1 $R/opt/cachelib/");
        struct strvec want = STRVEC_INIT, missing = STRVEC_INIT, got = STRVEC_INIT;
        oracle(&f, "/prog", &want, &missing);
        assert_int_equal(missing.n, 1); /* no cache: ld.so misses libA too */
        struct ldso_result res;
        struct distill_error err = {0};
        assert_int_equal(closure(&f, "/prog", NULL, &res, &err), -DISTILL_ERESOLVE);
        assert_string_equal(res.missing_name, "libA.so.1");
        ldso_result_release(&res);
        strvec_clear(&want);
        strvec_clear(&missing);

        const struct ldcache_lib libs[] = {CACHE_LIB("/opt/cachelib", "libA.so.1"),
                                           CACHE_LIB("/opt/cachelib", "libB.so.1"),
                                           CACHE_LIB("/lib/x86_64-linux-gnu", "libc.so.6")};
        write_cache(&f, libs, 3);
        oracle(&f, "/prog", &want, &missing);
        assert_int_equal(missing.n, 0);
        if (closure_with_cache(&f, "/opt/cachelib", &res, &err) < 0)
                fail_msg("%s", err.msg);
        distill_set(&res, &got);
        assert_same_set(&want, &got);
        find_obj(&res, "/opt/cachelib/libA.so.1");
        find_obj(&res, "/opt/cachelib/libB.so.1");
        ldso_result_release(&res);
        strvec_clear(&want);
        strvec_clear(&missing);
        strvec_clear(&got);
        fx_free(&f);
}

/* DF_1_NODEFLIB: cache entries under system dirs are skipped for that loader, entries in other
 * dirs are used (docs/architecture.md, "ld.so search", step 5). */
static void test_nodeflib_with_cache(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "-Wl,-z,now");
        set_nodeflib(&f, "libA.so.1");
        build_prog(&f, "");
        fx_sh(&f, "mkdir -p $R/opt/cachelib && cp libA.so.1 $R/opt/cachelib/ && "
                  "cp libB.so.1 $R/lib/x86_64-linux-gnu/");
        const struct ldcache_lib sys[] = {CACHE_LIB("/opt/cachelib", "libA.so.1"),
                                          CACHE_LIB("/lib/x86_64-linux-gnu", "libB.so.1"),
                                          CACHE_LIB("/lib/x86_64-linux-gnu", "libc.so.6")};
        write_cache(&f, sys, 3);
        struct strvec want = STRVEC_INIT, missing = STRVEC_INIT, got = STRVEC_INIT;
        oracle(&f, "/prog", &want, &missing);
        assert_int_equal(missing.n, 1);
        assert_string_equal(missing.v[0], "libB.so.1");
        struct ldso_result res;
        struct distill_error err = {0};
        assert_int_equal(closure_with_cache(&f, "/opt/cachelib", &res, &err), -DISTILL_ERESOLVE);
        assert_string_equal(res.missing_name, "libB.so.1");
        assert_string_equal(res.missing_by, "/opt/cachelib/libA.so.1");
        ldso_result_release(&res);
        strvec_clear(&want);
        strvec_clear(&missing);

        /* libB in the non-system cache dir: found by both */
        fx_sh(&f, "rm $R/lib/x86_64-linux-gnu/libB.so.1 && cp libB.so.1 $R/opt/cachelib/");
        const struct ldcache_lib opt[] = {CACHE_LIB("/opt/cachelib", "libA.so.1"),
                                          CACHE_LIB("/opt/cachelib", "libB.so.1"),
                                          CACHE_LIB("/lib/x86_64-linux-gnu", "libc.so.6")};
        write_cache(&f, opt, 3);
        oracle(&f, "/prog", &want, &missing);
        assert_int_equal(missing.n, 0);
        if (closure_with_cache(&f, "/opt/cachelib", &res, &err) < 0)
                fail_msg("%s", err.msg);
        distill_set(&res, &got);
        assert_same_set(&want, &got);
        find_obj(&res, "/opt/cachelib/libB.so.1");
        ldso_result_release(&res);
        strvec_clear(&want);
        strvec_clear(&missing);
        strvec_clear(&got);
        fx_free(&f);
}

/* A dlopen'ed object's NEEDED are searched along its own RPATH and then the program's RPATH. */
static void test_dlopen_root_uses_main_rpath(void **state)
{
        (void)state;
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,--disable-new-dtags,-rpath,/opt/mlib");
        fx_sh(&f, "mkdir -p $R/opt/ext $R/opt/mlib && cp libA.so.1 $R/opt/ext/mod.so && "
                  "cp libB.so.1 $R/opt/mlib/");
        struct ldso_result res;
        struct distill_error err = {0};
        if (closure(&f, "/opt/ext/mod.so", "/prog", &res, &err) < 0)
                fail_msg("%s", err.msg);
        assert_string_equal(res.objs[0].path, "/opt/ext/mod.so");
        const struct ldso_object *b = find_obj(&res, "/opt/mlib/libB.so.1");
        assert_string_equal(b->needed_by, "/opt/ext/mod.so");
        ldso_result_release(&res);

        /* the program's RUNPATH is not used for it */
        build_prog(&f, "-Wl,-rpath,/opt/mlib");
        assert_int_equal(closure(&f, "/opt/ext/mod.so", "/prog", &res, &err), -DISTILL_ERESOLVE);
        assert_string_equal(res.missing_name, "libB.so.1");
        ldso_result_release(&res);
        fx_free(&f);
}

static void test_config(void **state)
{
        (void)state;
        struct ldso_config cfg;
        struct distill_error err = {0};
        assert_int_equal(ldso_config_for_arch("amd64", &cfg, &err), 0);
        assert_int_equal(cfg.elfclass, ELFCLASS64);
        assert_int_equal(cfg.machine, EM_X86_64);
        assert_string_equal(cfg.lib_token, "lib/x86_64-linux-gnu");
        assert_int_equal(cfg.platforms.n, 3);
        assert_string_equal(cfg.subdirs.v[0], "glibc-hwcaps/x86-64-v4");
        assert_string_equal(cfg.subdirs.v[3], "tls/haswell/avx512_1/x86_64");
        assert_true(strvec_contains(&cfg.subdirs, "x86_64/x86_64"));
        assert_true(strvec_contains(&cfg.subdirs, "xeon_phi"));
        /* the HWCAP names may be masked and the platform varies: only tls is everywhere */
        assert_int_equal(cfg.universal_subdirs.n, 1);
        assert_string_equal(cfg.universal_subdirs.v[0], "tls");
        assert_int_equal(cfg.default_dirs.n, 4);
        assert_string_equal(cfg.default_dirs.v[0], "/lib/x86_64-linux-gnu");
        assert_string_equal(cfg.default_dirs.v[3], "/usr/lib");
        assert_int_equal(cfg.cache_dirs.n, 0);
        ldso_config_release(&cfg);
        assert_int_equal(ldso_config_for_arch("arm64", &cfg, &err), 0);
        assert_int_equal(cfg.machine, EM_AARCH64);
        assert_string_equal(cfg.default_dirs.v[1], "/usr/lib/aarch64-linux-gnu");
        assert_int_equal(cfg.subdirs.n, 3); /* tls/aarch64, tls, aarch64: one platform */
        assert_int_equal(cfg.universal_subdirs.n, 3);
        ldso_config_release(&cfg);
        assert_int_equal(ldso_config_for_arch("i386", &cfg, &err), 0);
        assert_int_equal(cfg.elfclass, ELFCLASS32);
        assert_string_equal(cfg.lib_token, "lib/i386-linux-gnu");
        ldso_config_release(&cfg);
        assert_int_equal(ldso_config_for_arch("vax", &cfg, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "vax"));
}

/* The CPU an `ld.so --help` output describes, from its glibc-hwcaps and legacy HWCAP sections
 * (or from only their "supported" lines, as `ld.so --help | grep supported` shows them). The
 * names point into `text`, which is modified. */
static void parse_ldso_help(char *text, struct ldso_cpu *cpu)
{
        enum {
                OTHER,
                LEVELS,
                LEGACY
        } section = strstr(text, "Subdirectories of glibc-hwcaps") ? OTHER : LEVELS;
        memset(cpu, 0, sizeof(*cpu));
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strstr(line, "Subdirectories of glibc-hwcaps")) {
                        section = LEVELS;
                        continue;
                }
                if (strstr(line, "Legacy HWCAP subdirectories")) {
                        section = LEGACY;
                        continue;
                }
                if (line[0] != ' ') {
                        section = OTHER;
                        continue;
                }
                while (*line == ' ')
                        line++;
                char *flags = strchr(line, '(');
                line[strcspn(line, " ")] = '\0';
                bool searched = flags && strstr(flags, "searched");
                bool platform = flags && strstr(flags, "AT_PLATFORM");
                if (platform || !strcmp(line, "tls"))
                        section = LEGACY; /* the first legacy lines, when headers are cut */
                if (section == LEVELS && searched) {
                        assert_true(cpu->n_levels < LDSO_CPU_MAX_NAMES);
                        cpu->levels[cpu->n_levels++] = line;
                } else if (section == LEGACY && platform) {
                        cpu->platform = line;
                } else if (section == LEGACY && searched && strcmp(line, "tls") != 0) {
                        assert_true(cpu->n_legacy < LDSO_CPU_MAX_NAMES);
                        cpu->legacy[cpu->n_legacy++] = line;
                }
        }
}

/* The subdirectories in an LD_DEBUG=libs search path of DIR, in order, each once. */
static void searched_subdirs(const char *search_path, const char *dir, struct strvec *out)
{
        cleanup_free char *copy = xstrndup(search_path, strcspn(search_path, " \t\n"));
        size_t len = strlen(dir);
        char *save = NULL;
        for (char *e = strtok_r(copy, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
                if (strncmp(e, dir, len) != 0 || (e[len] != '/' && e[len] != '\0'))
                        fail_msg("%s: not under %s", e, dir);
                if (e[len] == '/' && !strvec_contains(out, e + len + 1))
                        strvec_push(out, e + len + 1);
        }
}

static void assert_same_list(const struct strvec *want, const struct strvec *got, const char *what)
{
        bool same = want->n == got->n;
        for (size_t i = 0; same && i < want->n; i++)
                same = strcmp(want->v[i], got->v[i]) == 0;
        if (same)
                return;
        for (size_t i = 0; i < want->n; i++)
                print_error("ld.so:   %s\n", want->v[i]);
        for (size_t i = 0; i < got->n; i++)
                print_error("distill: %s\n", got->v[i]);
        fail_msg("%s: ld.so and distill disagree on the subdirectories searched", what);
}

/* Every subdirectory that CPU searches is one distill considers for the architecture, and the
 * ones distill takes as searched everywhere are searched there. */
static void assert_covered(const struct strvec *cpu_subdirs, const char *arch)
{
        struct ldso_config cfg;
        struct distill_error err = {0};
        assert_int_equal(ldso_config_for_arch(arch, &cfg, &err), 0);
        for (size_t i = 0; i < cpu_subdirs->n; i++)
                if (!strvec_contains(&cfg.subdirs, cpu_subdirs->v[i]))
                        fail_msg("%s: %s is searched there but not by distill", arch,
                                 cpu_subdirs->v[i]);
        for (size_t i = 0; i < cfg.universal_subdirs.n; i++)
                if (!strvec_contains(cpu_subdirs, cfg.universal_subdirs.v[i]))
                        fail_msg("%s: %s is not searched on every CPU", arch,
                                 cfg.universal_subdirs.v[i]);
        ldso_config_release(&cfg);
}

/* This host's loader, with CPU features masked by GLIBC_TUNABLES so that other CPUs are seen
 * too: the subdirectories its LD_DEBUG=libs search shows are exactly, in order, the ones
 * ldso_cpu_subdirs computes from what its `ld.so --help` says the CPU supports. */
static void test_subdirs_match_host_ldso(void **state)
{
        (void)state;
        static const struct {
                const char *tunables;
                int max_levels; /* what the mask must leave at most, -1 no bound */
                int max_legacy;
        } masks[] = {
            {"", -1, -1},
            {"glibc.cpu.hwcaps=-AVX512F", 2, -1},
            {"glibc.cpu.hwcaps=-AVX2", 1, -1},
            {"glibc.cpu.hwcaps=-SSE4_2", 0, -1},
            {"glibc.cpu.hwcap_mask=0", -1, 0},
            {"glibc.cpu.hwcaps=-AVX2:glibc.cpu.hwcap_mask=2", 1, 1},
        };
        struct fx f;
        fx_init(&f);
        build_ab(&f, "");
        build_prog(&f, "-Wl,-rpath,/nonexistent");
        for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
                const char *t = masks[m].tunables;
                /* nothing from the caller's environment changes what the loader searches */
                static const char env[] = "env -u LD_HWCAP_MASK -u LD_PRELOAD LD_LIBRARY_PATH=";
                cleanup_free char *help = fixture_sh_out(
                    "%s GLIBC_TUNABLES='%s' /lib64/ld-linux-x86-64.so.2 --help", env, t);
                assert_non_null(help);
                /* libA is nowhere: the failed search through the RUNPATH is what is logged */
                cleanup_free char *log = fixture_sh_out(
                    "cd %s && %s GLIBC_TUNABLES='%s' LD_DEBUG=libs /lib64/ld-linux-x86-64.so.2 "
                    "%s/prog 2>&1 | grep -m1 'search path=/nonexistent'",
                    f.src, env, t, f.root);
                assert_non_null(log);
                struct ldso_cpu cpu;
                parse_ldso_help(help, &cpu);
                if (masks[m].max_levels >= 0 && cpu.n_levels > (size_t)masks[m].max_levels)
                        fail_msg("%s: %zu glibc-hwcaps levels still searched", t, cpu.n_levels);
                if (masks[m].max_legacy >= 0 && cpu.n_legacy > (size_t)masks[m].max_legacy)
                        fail_msg("%s: %zu legacy HWCAPs still searched", t, cpu.n_legacy);
                struct strvec want = STRVEC_INIT, got = STRVEC_INIT;
                searched_subdirs(strstr(log, "search path=") + strlen("search path="),
                                 "/nonexistent", &want);
                ldso_cpu_subdirs(&cpu, &got);
                assert_same_list(&want, &got, *t ? t : "no tunables");
                assert_covered(&got, "amd64");
                strvec_clear(&want);
                strvec_clear(&got);
        }
        fx_free(&f);
}

/* CPUs this host is not: recorded `ld.so --help | grep supported` outputs of an Intel machine
 * with x86-64-v4 (the CachyOS wiki's repository guide, "Example of CPU compatible with
 * x86-64-v4"), of an Intel Haswell-class machine and of the i386 loader on it (glibc 2.33,
 * graysky2/kernel_compiler_patch issue 64), and the LD_DEBUG=libs search path an Intel AVX-512
 * machine logged for /lib/x86_64-linux-gnu (IntelPython/dpnp issue 1149; a glibc before 2.33,
 * so legacy subdirectories only, which 2.36 searches alike). */
static void test_recorded_cpus(void **state)
{
        (void)state;
        char v4_help[] = "  x86-64-v4 (supported, searched)\n"
                         "  x86-64-v3 (supported, searched)\n"
                         "  x86-64-v2 (supported, searched)\n"
                         "  haswell (AT_PLATFORM; supported, searched)\n"
                         "  tls (supported, searched)\n"
                         "  avx512_1 (supported, searched)\n"
                         "  x86_64 (supported, searched)\n";
        static const char avx512_search[] =
            "/lib/x86_64-linux-gnu/tls/haswell/avx512_1/x86_64:/lib/x86_64-linux-gnu/tls/haswell/"
            "avx512_1:/lib/x86_64-linux-gnu/tls/haswell/x86_64:/lib/x86_64-linux-gnu/tls/haswell:"
            "/lib/x86_64-linux-gnu/tls/avx512_1/x86_64:/lib/x86_64-linux-gnu/tls/avx512_1:"
            "/lib/x86_64-linux-gnu/tls/x86_64:/lib/x86_64-linux-gnu/tls:/lib/x86_64-linux-gnu/"
            "haswell/avx512_1/x86_64:/lib/x86_64-linux-gnu/haswell/avx512_1:/lib/x86_64-linux-"
            "gnu/haswell/x86_64:/lib/x86_64-linux-gnu/haswell:/lib/x86_64-linux-gnu/avx512_1/"
            "x86_64:/lib/x86_64-linux-gnu/avx512_1:/lib/x86_64-linux-gnu/x86_64:"
            "/lib/x86_64-linux-gnu";
        char haswell_help[] = "  x86-64-v3 (supported, searched)\n"
                              "  x86-64-v2 (supported, searched)\n"
                              "  haswell (AT_PLATFORM; supported, searched)\n"
                              "  tls (supported, searched)\n"
                              "  x86_64 (supported, searched)\n";
        char i386_help[] = "  i686 (AT_PLATFORM; supported, searched)\n"
                           "  tls (supported, searched)\n"
                           "  sse2 (supported, searched)\n";
        struct ldso_cpu cpu;
        struct strvec got = STRVEC_INIT, want = STRVEC_INIT;

        parse_ldso_help(v4_help, &cpu);
        assert_int_equal(cpu.n_levels, 3);
        assert_string_equal(cpu.platform, "haswell");
        assert_int_equal(cpu.n_legacy, 2);
        ldso_cpu_subdirs(&cpu, &got);
        assert_string_equal(got.v[0], "glibc-hwcaps/x86-64-v4");
        assert_string_equal(got.v[2], "glibc-hwcaps/x86-64-v2");
        strvec_push(&want, "glibc-hwcaps/x86-64-v4");
        strvec_push(&want, "glibc-hwcaps/x86-64-v3");
        strvec_push(&want, "glibc-hwcaps/x86-64-v2");
        searched_subdirs(avx512_search, "/lib/x86_64-linux-gnu", &want);
        assert_same_list(&want, &got, "x86-64-v4 Intel");
        assert_covered(&got, "amd64");
        strvec_clear(&got);
        strvec_clear(&want);

        parse_ldso_help(haswell_help, &cpu);
        assert_int_equal(cpu.n_levels, 2);
        assert_string_equal(cpu.platform, "haswell");
        ldso_cpu_subdirs(&cpu, &got);
        assert_true(strvec_contains(&got, "tls/haswell/x86_64"));
        assert_false(strvec_contains(&got, "x86_64/x86_64"));
        assert_covered(&got, "amd64");
        strvec_clear(&got);

        parse_ldso_help(i386_help, &cpu);
        assert_int_equal(cpu.n_levels, 0);
        assert_string_equal(cpu.platform, "i686");
        ldso_cpu_subdirs(&cpu, &got);
        static const char *const i386_order[] = {"tls/i686/sse2", "tls/i686", "tls/sse2", "tls",
                                                 "i686/sse2",     "i686",     "sse2"};
        for (size_t i = 0; i < 7; i++)
                strvec_push(&want, i386_order[i]);
        assert_same_list(&want, &got, "i386");
        assert_covered(&got, "i386");
        strvec_clear(&got);
        strvec_clear(&want);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_config),
            cmocka_unit_test(test_subdirs_match_host_ldso),
            cmocka_unit_test(test_recorded_cpus),
            cmocka_unit_test(test_transitive_rpath),
            cmocka_unit_test(test_rpath_chain_through_libraries),
            cmocka_unit_test(test_runpath_disables_rpath_chain),
            cmocka_unit_test(test_runpath_not_transitive),
            cmocka_unit_test(test_needed_cycle),
            cmocka_unit_test(test_origin_through_symlink),
            cmocka_unit_test(test_origin_of_program),
            cmocka_unit_test(test_lib_token_in_runpath),
            cmocka_unit_test(test_soname_symlink_chain),
            cmocka_unit_test(test_wrong_class_and_machine_skipped),
            cmocka_unit_test(test_not_elf_candidate_stops),
            cmocka_unit_test(test_nodeflib),
            cmocka_unit_test(test_hwcaps_variants),
            cmocka_unit_test(test_dlopen_root_uses_main_rpath),
            cmocka_unit_test(test_platform_token_in_runpath),
            cmocka_unit_test(test_platform_token_in_needed),
            cmocka_unit_test(test_hwcaps_only_variant_search_goes_on),
            cmocka_unit_test(test_hwcaps_every_variant),
            cmocka_unit_test(test_cache_dir_finds_lib),
            cmocka_unit_test(test_nodeflib_with_cache),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
