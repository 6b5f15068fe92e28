/* ELF facts read by distill compared with binutils' readelf on objects built by cc; damaged
 * files must give a clean DISTILL_EINTEGRITY error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/elf/elf.h"
#include "fixture.h"

static char *tmp;

/* Python that loads sys.argv[1] into `b` and lists its ELF64 dynamic entries as
 * (file offset, tag, value) in `ents`. */
#define DYN_ENTRIES_PY                                                                             \
        "import struct,sys\n"                                                                      \
        "b=bytearray(open(sys.argv[1],'rb').read())\n"                                             \
        "phoff,=struct.unpack_from('<Q',b,0x20)\n"                                                 \
        "phent,phnum=struct.unpack_from('<HH',b,0x36)\n"                                           \
        "for i in range(phnum):\n"                                                                 \
        "  t,f,off,va,pa,fsz=struct.unpack_from('<IIQQQQ',b,phoff+i*phent)\n"                      \
        "  if t==2: dyn,dsz=off,fsz\n"                                                             \
        "ents=[(dyn+k*16,)+struct.unpack_from('<qQ',b,dyn+k*16) for k in range(dsz//16)]\n"

static int setup(void **state)
{
        (void)state;
        tmp = fixture_tmpdir();
        cleanup_free char *b = xasprintf("%s/b.c", tmp);
        cleanup_free char *a = xasprintf("%s/a.c", tmp);
        cleanup_free char *m = xasprintf("%s/m.c", tmp);
        fixture_write(b, "int fb(void){return 2;}\n");
        fixture_write(a, "#include <stdio.h>\nint fb(void); int fa(void){puts(\"a\"); return "
                         "fb();}\n");
        fixture_write(m, "int fa(void); int main(void){return fa();}\n");
        int r =
            fixture_sh("cd %s && cc -shared -fPIC -Wl,-soname,libB.so.1 -o libB.so.1 b.c && "
                       "cc -shared -fPIC -Wl,-soname,libA.so.1 -Wl,-rpath,'$ORIGIN/../x:/opt/$LIB' "
                       "-Wl,-z,now -o libA.so.1 a.c ./libB.so.1 && "
                       "cc -Wl,--disable-new-dtags,-rpath,/opt/r1:/opt/r2 -o prog m.c ./libA.so.1 "
                       "./libB.so.1",
                       tmp);
        assert_int_equal(r, 0);
        /* binutils 2.40 ignores -z nodeflib: set DF_1_NODEFLIB in the existing DT_FLAGS_1. */
        r = fixture_sh("/usr/bin/python3.11 - %s/libA.so.1 <<'EOF'\n%sEOF\n", tmp,
                       DYN_ENTRIES_PY "fl=[(o,v) for o,t,v in ents if t==0x6ffffffb][0]\n"
                                      "struct.pack_into('<qQ',b,fl[0],0x6ffffffb,fl[1]|0x800)\n"
                                      "open(sys.argv[1],'wb').write(b)\n");
        assert_int_equal(r, 0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        fixture_cleanup(tmp);
        free(tmp);
        return 0;
}

/* The value after `key` on its readelf line ("key [value]" or "[key value]"), or NULL. */
static char *readelf_value(const char *out, const char *key)
{
        const char *p = strstr(out, key);
        if (!p)
                return NULL;
        p += strlen(key);
        while (*p == ' ')
                p++;
        if (*p == '[')
                p++;
        size_t n = strcspn(p, "]\n");
        return xstrndup(p, n);
}

static void readelf_needed(const char *out, struct strvec *needed)
{
        const char *p = out;
        while ((p = strstr(p, "(NEEDED)")) != NULL) {
                char *v = readelf_value(p, "Shared library:");
                assert_non_null(v);
                strvec_push_nodup(needed, v);
                p++;
        }
}

static void assert_str_or_null(const char *want, const char *got)
{
        if (!want)
                assert_null(got);
        else {
                assert_non_null(got);
                assert_string_equal(want, got);
        }
}

/* Reads `file` with both entry points and checks every field against readelf. */
static void check_against_readelf(const char *file)
{
        cleanup_free char *dyn = fixture_sh_out("readelf -dW %s", file);
        cleanup_free char *phdr = fixture_sh_out("readelf -lW %s", file);
        assert_non_null(dyn);
        assert_non_null(phdr);
        cleanup_free char *interp = readelf_value(phdr, "Requesting program interpreter:");
        cleanup_free char *soname = readelf_value(dyn, "Library soname:");
        cleanup_free char *rpath = readelf_value(dyn, "Library rpath:");
        cleanup_free char *runpath = readelf_value(dyn, "Library runpath:");
        struct strvec needed = STRVEC_INIT;
        readelf_needed(dyn, &needed);
        bool nodeflib = strstr(dyn, "(FLAGS_1)") && strstr(strstr(dyn, "(FLAGS_1)"), "NODEFLIB");

        char *data;
        size_t len;
        assert_int_equal(read_file(file, &data, &len), 0);
        for (int pass = 0; pass < 2; pass++) {
                struct elf_info info;
                struct distill_error err = {0};
                int r;
                if (pass == 0) {
                        int fd = open(file, O_RDONLY);
                        assert_true(fd >= 0);
                        r = elf_read_fd(fd, file, &info, &err);
                        close(fd);
                } else {
                        r = elf_read_mem(data, len, file, &info, &err);
                }
                assert_int_equal(r, 1);
                assert_int_equal(info.elfclass, ELFCLASS64);
                assert_int_equal(info.data, ELFDATA2LSB);
                assert_int_equal(info.machine, EM_X86_64);
                assert_true(info.has_dynamic);
                assert_str_or_null(interp, info.interp);
                assert_str_or_null(soname, info.soname);
                assert_str_or_null(rpath, info.rpath);
                assert_str_or_null(runpath, info.runpath);
                assert_int_equal(info.needed.n, needed.n);
                for (size_t i = 0; i < needed.n; i++)
                        assert_string_equal(info.needed.v[i], needed.v[i]);
                assert_int_equal((info.flags_1 & DF_1_NODEFLIB) != 0, nodeflib);
                elf_info_release(&info);
        }
        free(data);
        strvec_clear(&needed);
}

static void test_fields_program(void **state)
{
        (void)state;
        cleanup_free char *f = xasprintf("%s/prog", tmp);
        check_against_readelf(f);
        /* and the expected values themselves, so a readelf parse slip cannot hide a bug */
        struct elf_info info;
        struct distill_error err = {0};
        int fd = open(f, O_RDONLY);
        assert_int_equal(elf_read_fd(fd, f, &info, &err), 1);
        close(fd);
        assert_string_equal(info.interp, "/lib64/ld-linux-x86-64.so.2");
        assert_string_equal(info.rpath, "/opt/r1:/opt/r2");
        assert_null(info.runpath);
        assert_true(strvec_contains(&info.needed, "libA.so.1"));
        assert_true(strvec_contains(&info.needed, "libc.so.6"));
        elf_info_release(&info);
}

static void test_fields_library(void **state)
{
        (void)state;
        cleanup_free char *f = xasprintf("%s/libA.so.1", tmp);
        check_against_readelf(f);
        struct elf_info info;
        struct distill_error err = {0};
        int fd = open(f, O_RDONLY);
        assert_int_equal(elf_read_fd(fd, f, &info, &err), 1);
        close(fd);
        assert_null(info.interp);
        assert_int_equal(info.type, ET_DYN);
        assert_string_equal(info.soname, "libA.so.1");
        assert_string_equal(info.runpath, "$ORIGIN/../x:/opt/$LIB");
        assert_null(info.rpath);
        assert_true(info.flags_1 & DF_1_NODEFLIB);
        elf_info_release(&info);
}

static void test_fields_32bit(void **state)
{
        (void)state;
        assert_int_equal(fixture_sh("cd %s && cc -m32 -shared -fPIC -nostdlib "
                                    "-Wl,-soname,lib32.so.1 -o lib32.so.1 b.c",
                                    tmp),
                         0);
        cleanup_free char *f = xasprintf("%s/lib32.so.1", tmp);
        struct elf_info info;
        struct distill_error err = {0};
        int fd = open(f, O_RDONLY);
        assert_int_equal(elf_read_fd(fd, f, &info, &err), 1);
        close(fd);
        assert_int_equal(info.elfclass, ELFCLASS32);
        assert_int_equal(info.machine, EM_386);
        assert_string_equal(info.soname, "lib32.so.1");
        elf_info_release(&info);
}

/* Patches a copy of `src` with a small Python script (offsets from the ELF64 headers). */
static void patch_copy(const char *src, const char *dst, const char *script)
{
        cleanup_free char *py = xasprintf("%s/patch.py", tmp);
        fixture_write(py, script);
        assert_int_equal(fixture_sh("cp %s %s && /usr/bin/python3.11 %s %s", src, dst, py, dst), 0);
}

static void test_no_section_headers(void **state)
{
        (void)state;
        cleanup_free char *src = xasprintf("%s/libA.so.1", tmp);
        cleanup_free char *dst = xasprintf("%s/libA-noshdr.so", tmp);
        /* What sstrip does to the headers: e_shoff, e_shnum, e_shstrndx zero. */
        patch_copy(src, dst,
                   "import struct,sys\n"
                   "b=bytearray(open(sys.argv[1],'rb').read())\n"
                   "struct.pack_into('<Q',b,0x28,0)\n"
                   "struct.pack_into('<HHH',b,0x3a,0,0,0)\n"
                   "open(sys.argv[1],'wb').write(b)\n");
        cleanup_free char *hdr = fixture_sh_out("readelf -hW %s", dst);
        assert_non_null(strstr(hdr, "Number of section headers:         0"));
        struct elf_info info;
        struct distill_error err = {0};
        int fd = open(dst, O_RDONLY);
        int r = elf_read_fd(fd, dst, &info, &err);
        close(fd);
        assert_int_equal(r, 1);
        assert_true(info.has_dynamic);
        assert_string_equal(info.soname, "libA.so.1");
        assert_string_equal(info.runpath, "$ORIGIN/../x:/opt/$LIB");
        assert_true(strvec_contains(&info.needed, "libB.so.1"));
        assert_true(strvec_contains(&info.needed, "libc.so.6"));
        assert_true(info.flags_1 & DF_1_NODEFLIB);
        elf_info_release(&info);
}

/* With DT_RPATH and DT_RUNPATH both present glibc ignores DT_RPATH: the FLAGS_1 entry of a
 * copy of libA is turned into a DT_RPATH pointing at its RUNPATH string. */
static void test_rpath_dropped_with_runpath(void **state)
{
        (void)state;
        cleanup_free char *src = xasprintf("%s/libA.so.1", tmp);
        cleanup_free char *dst = xasprintf("%s/libA-both.so", tmp);
        patch_copy(src, dst,
                   DYN_ENTRIES_PY "rp=[v for o,t,v in ents if t==29][0]\n"
                                  "fl=[o for o,t,v in ents if t==0x6ffffffb][0]\n"
                                  "struct.pack_into('<qQ',b,fl,15,rp)\n"
                                  "open(sys.argv[1],'wb').write(b)\n");
        cleanup_free char *dyn = fixture_sh_out("readelf -dW %s", dst);
        assert_non_null(strstr(dyn, "Library rpath:"));
        assert_non_null(strstr(dyn, "Library runpath:"));
        struct elf_info info;
        struct distill_error err = {0};
        int fd = open(dst, O_RDONLY);
        assert_int_equal(elf_read_fd(fd, dst, &info, &err), 1);
        close(fd);
        assert_null(info.rpath);
        assert_string_equal(info.runpath, "$ORIGIN/../x:/opt/$LIB");
        elf_info_release(&info);
}

static void expect_integrity(const void *buf, size_t len, const char *name)
{
        struct elf_info info;
        struct distill_error err = {0};
        int r = elf_read_mem(buf, len, name, &info, &err);
        assert_int_equal(r, -DISTILL_EINTEGRITY);
        assert_int_equal(err.code, DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, name));
        assert_non_null(strstr(err.msg, "truncated or corrupt ELF"));

        /* the same through a file descriptor */
        cleanup_free char *f = xasprintf("%s/cut", tmp);
        FILE *fp = fopen(f, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(buf, 1, len, fp), len);
        fclose(fp);
        int fd = open(f, O_RDONLY);
        memset(&err, 0, sizeof(err));
        r = elf_read_fd(fd, name, &info, &err);
        close(fd);
        assert_int_equal(r, -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, name));
}

static void test_truncated(void **state)
{
        (void)state;
        cleanup_free char *f = xasprintf("%s/libA.so.1", tmp);
        char *data;
        size_t len;
        assert_int_equal(read_file(f, &data, &len), 0);
        size_t cuts[] = {10, 64, 200, len / 2, len - 1};
        for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
                char name[64];
                snprintf(name, sizeof(name), "libA-cut-%zu", cuts[i]);
                expect_integrity(data, cuts[i], name);
        }
        free(data);
}

static void test_garbage_with_magic(void **state)
{
        (void)state;
        unsigned char buf[4096];
        uint32_t x = 12345;
        for (size_t i = 0; i < sizeof(buf); i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (unsigned char)(x >> 16);
        }
        memcpy(buf, ELFMAG, SELFMAG);
        expect_integrity(buf, sizeof(buf), "garbage.so");
        /* a valid-looking identification but garbage after it */
        buf[EI_CLASS] = ELFCLASS64;
        buf[EI_DATA] = ELFDATA2LSB;
        buf[EI_VERSION] = EV_CURRENT;
        expect_integrity(buf, sizeof(buf), "garbage64.so");
}

/* Random single-byte damage in the headers and dynamic section: any result but a crash, and an
 * error is always EINTEGRITY. */
static void test_mutations_never_crash(void **state)
{
        (void)state;
        cleanup_free char *f = xasprintf("%s/libA.so.1", tmp);
        char *data;
        size_t len;
        assert_int_equal(read_file(f, &data, &len), 0);
        char *copy = xmalloc(len);
        /* the same without section headers, so the PT_DYNAMIC path is attacked too */
        char *noshdr = xmalloc(len);
        memcpy(noshdr, data, len);
        memset(noshdr + 0x28, 0, 8);
        memset(noshdr + 0x3a, 0, 6);
        uint32_t x = 777;
        int errors = 0;
        for (int iter = 0; iter < 6000; iter++) {
                memcpy(copy, iter < 3000 ? data : noshdr, len);
                for (int k = 0; k < 4; k++) {
                        x = x * 1103515245u + 12345u;
                        size_t pos = (x >> 8) % (iter % 2 ? len : 1024);
                        x = x * 1103515245u + 12345u;
                        copy[pos] = (char)(x >> 16);
                }
                struct elf_info info;
                struct distill_error err = {0};
                int r = elf_read_mem(copy, len, "mutant", &info, &err);
                if (r < 0) {
                        assert_int_equal(err.code, DISTILL_EINTEGRITY);
                        errors++;
                } else if (r == 1) {
                        elf_info_release(&info);
                }
        }
        assert_true(errors > 0);
        free(noshdr);
        free(copy);
        free(data);
}

static void test_not_elf(void **state)
{
        (void)state;
        struct elf_info info;
        struct distill_error err = {0};
        const char *text = "#!/bin/sh\necho hello\n";
        assert_int_equal(elf_read_mem(text, strlen(text), "script", &info, &err), 0);
        assert_int_equal(err.code, 0);
        assert_int_equal(elf_read_mem("\x7f"
                                      "EL",
                                      3, "short", &info, &err),
                         0);
        assert_int_equal(elf_read_mem("", 0, "empty", &info, &err), 0);
        assert_false(elf_has_magic("\x7f"
                                   "ELX",
                                   4));
        assert_true(elf_has_magic("\x7f"
                                  "ELF",
                                  4));

        cleanup_free char *f = xasprintf("%s/a.c", tmp);
        int fd = open(f, O_RDONLY);
        assert_int_equal(elf_read_fd(fd, f, &info, &err), 0);
        close(fd);
        assert_int_equal(err.code, 0);
        /* a directory is not ELF either */
        fd = open(tmp, O_RDONLY | O_DIRECTORY);
        assert_int_equal(elf_read_fd(fd, tmp, &info, &err), 0);
        close(fd);
}

/* The strings of the read-only data, compared with binutils' own `strings` over the same
 * sections; a writable array is not among them; an object without section headers still gives
 * its read-only segments' strings; a file that is not ELF gives none. */
static void test_read_strings(void **state)
{
        (void)state;
        cleanup_free char *src = xasprintf("%s/strs.c", tmp);
        cleanup_free char *so = xasprintf("%s/libstrs.so", tmp);
        cleanup_free char *noshdr = xasprintf("%s/libstrs-noshdr.so", tmp);
        fixture_write(src, "const char *imports[] = {\"fractions\", \"collections.abc\", "
                           "\"_cffi_backend\"};\n"
                           "char writable[] = \"writable.name\";\n"
                           "const char *get(int i) { return imports[i]; }\n");
        assert_int_equal(fixture_sh("cc -shared -fPIC -O0 -o %s %s", so, src), 0);
        for (int variant = 0; variant < 2; variant++) {
                const char *file = so;
                if (variant == 1) {
                        patch_copy(so, noshdr,
                                   "import struct,sys\n"
                                   "b=bytearray(open(sys.argv[1],'rb').read())\n"
                                   "struct.pack_into('<Q',b,0x28,0)\n"
                                   "struct.pack_into('<HHH',b,0x3a,0,0,0)\n"
                                   "open(sys.argv[1],'wb').write(b)\n");
                        file = noshdr;
                }
                struct strvec got = STRVEC_INIT;
                struct distill_error err = {0};
                int fd = open(file, O_RDONLY);
                assert_true(fd >= 0);
                assert_int_equal(elf_read_strings(fd, file, 4, &got, &err), 1);
                close(fd);
                assert_true(strvec_contains(&got, "fractions"));
                assert_true(strvec_contains(&got, "collections.abc"));
                assert_true(strvec_contains(&got, "_cffi_backend"));
                assert_false(strvec_contains(&got, "writable.name"));
                if (variant == 0) {
                        /* what binutils finds in .rodata is what distill finds */
                        cleanup_free char *oracle =
                            fixture_sh_out("objcopy -O binary --only-section=.rodata %s "
                                           "/dev/stdout | strings -a -n 4",
                                           file);
                        assert_non_null(oracle);
                        for (char *line = strtok(oracle, "\n"); line; line = strtok(NULL, "\n"))
                                assert_true(strvec_contains(&got, line));
                }
                strvec_clear(&got);
        }
        struct strvec none = STRVEC_INIT;
        struct distill_error err = {0};
        int fd = open(src, O_RDONLY);
        assert_int_equal(elf_read_strings(fd, src, 4, &none, &err), 0);
        close(fd);
        assert_int_equal(none.n, 0);
}

/* The object's musl evidence: 1 and the evidence, or 0 and none. */
static int musl_of(const char *file, char **evidence)
{
        struct distill_error err = {0};
        int fd = open(file, O_RDONLY);
        assert_true(fd >= 0);
        int r = elf_musl_evidence(fd, file, evidence, &err);
        close(fd);
        assert_true(r >= 0);
        assert_int_equal(err.code, 0);
        return r;
}

/* Objects built here by musl-gcc (Debian's musl-tools) and by cc: what each records is first
 * checked with readelf, then distill must flag exactly the musl ones. */
static void test_musl_evidence(void **state)
{
        (void)state;
        cleanup_free char *dir = xasprintf("%s/musl", tmp);
        static const struct {
                const char *name, *text;
        } sources[] = {
            {"uses.c", "#include <stdio.h>\nint f(const char *s){return printf(\"%s\", s);}\n"
                       "int main(void){return f(\"x\");}\n"},
            {"pure.c", "int g(int x){return 2*x;}\n"},
            {"stub.c", "int h(void){return 1;}\n"},
            {"calls.c", "int h(void); int k(void){return h();}\n"},
        };
        for (size_t i = 0; i < sizeof(sources) / sizeof(*sources); i++) {
                cleanup_free char *path = xasprintf("%s/%s", dir, sources[i].name);
                fixture_write(path, sources[i].text);
        }
        /* Alpine's musl is libc.musl-ARCH.so.1; a stub with that SONAME stands for it. A glibc
         * object may also NEED some other "libc.so": its GLIBC_ version needs clear it. */
        int r = fixture_sh(
            "cd %s && "
            "musl-gcc -shared -fPIC -o musl.so uses.c && musl-gcc -o musl.exe uses.c && "
            "musl-gcc -shared -fPIC -o musl-pure.so pure.c && "
            "cc -shared -fPIC -o glibc.so uses.c && cc -shared -fPIC -o glibc-pure.so pure.c && "
            "cc -shared -fPIC -nostdlib -Wl,-soname,libc.musl-x86_64.so.1 "
            "-o libc.musl-x86_64.so.1 stub.c && "
            "cc -shared -fPIC -nostdlib -o alpine.so calls.c ./libc.musl-x86_64.so.1 && "
            "cc -shared -fPIC -nostdlib -Wl,-soname,libc.so -o libc.so stub.c && "
            "cc -shared -fPIC -Wl,--no-as-needed -o glibc-and-libc.so uses.c ./libc.so",
            dir);
        assert_int_equal(r, 0);
        /* what the objects really record */
        assert_int_equal(
            fixture_sh("cd %s && readelf -d musl.so | grep -q 'NEEDED.*\\[libc.so\\]' && "
                       "! readelf -V musl.so | grep -q GLIBC_ && "
                       "readelf -l musl.exe | grep -q 'interpreter: /lib/ld-musl-' && "
                       "readelf -d musl-pure.so | grep -q 'NEEDED.*\\[libc.so\\]' && "
                       "readelf -V glibc.so | grep -q 'File: libc.so.6' && "
                       "readelf -V glibc.so | grep -q 'Name: GLIBC_' && "
                       "! readelf -d glibc-pure.so | grep -q NEEDED && "
                       "readelf -d alpine.so | grep -q 'NEEDED.*libc.musl-x86_64' && "
                       "readelf -d glibc-and-libc.so | grep -q 'NEEDED.*\\[libc.so\\]'",
                       dir),
            0);
        static const struct {
                const char *file, *evidence;
        } cases[] = {
            {"musl.so", "NEEDED libc.so, musl's libc, and no GLIBC_ version"},
            {"musl-pure.so", "NEEDED libc.so, musl's libc, and no GLIBC_ version"},
            {"musl.exe", "PT_INTERP /lib/ld-musl-x86_64.so.1"},
            {"alpine.so", "NEEDED libc.musl-x86_64.so.1"},
            {"glibc.so", NULL},
            {"glibc-pure.so", NULL},
            {"glibc-and-libc.so", NULL},
            {"uses.c", NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                cleanup_free char *file = xasprintf("%s/%s", dir, cases[i].file);
                cleanup_free char *evidence = NULL;
                int got = musl_of(file, &evidence);
                if (!cases[i].evidence) {
                        if (got != 0)
                                fail_msg("%s flagged as musl: %s", cases[i].file, evidence);
                        assert_null(evidence);
                        continue;
                }
                if (got != 1)
                        fail_msg("%s not flagged as musl", cases[i].file);
                assert_string_equal(evidence, cases[i].evidence);
        }
        /* a musl object cut short is an error, not a verdict */
        cleanup_free char *cut = xasprintf("%s/cut.so", dir);
        assert_int_equal(fixture_sh("head -c 200 %s/musl.so >%s", dir, cut), 0);
        struct distill_error err = {0};
        cleanup_free char *evidence = NULL;
        int fd = open(cut, O_RDONLY);
        assert_int_equal(elf_musl_evidence(fd, cut, &evidence, &err), -DISTILL_EINTEGRITY);
        close(fd);
        assert_null(evidence);
        assert_non_null(strstr(err.msg, cut));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields_program),
            cmocka_unit_test(test_fields_library),
            cmocka_unit_test(test_fields_32bit),
            cmocka_unit_test(test_no_section_headers),
            cmocka_unit_test(test_rpath_dropped_with_runpath),
            cmocka_unit_test(test_truncated),
            cmocka_unit_test(test_garbage_with_magic),
            cmocka_unit_test(test_mutations_never_crash),
            cmocka_unit_test(test_not_elf),
            cmocka_unit_test(test_read_strings),
            cmocka_unit_test(test_musl_evidence),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
