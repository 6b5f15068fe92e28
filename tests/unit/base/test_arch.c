/* The architecture table against dpkg-architecture (triplet, word size, byte order), qemu-user's
 * installed emulators, dpkg's own idea of this host, and the OCI names images must carry. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/base/arch.h"
#include "distill/base/util.h"
#include "fixture.h"

static char *dpkg_arch(const char *arch, const char *var)
{
        char *out = fixture_sh_out("dpkg-architecture -a %s -q%s 2>/dev/null", arch, var);
        if (!out || !*out)
                fail_msg("dpkg-architecture -a %s -q%s printed nothing", arch, var);
        out[strcspn(out, "\n")] = '\0';
        return out;
}

static void test_table_matches_dpkg_architecture(void **state)
{
        (void)state;
        size_t n = 0;
        for (const struct arch_info *a = arch_all(); a->deb; a++, n++) {
                cleanup_free char *triplet = dpkg_arch(a->deb, "DEB_HOST_MULTIARCH");
                cleanup_free char *bits = dpkg_arch(a->deb, "DEB_HOST_ARCH_BITS");
                cleanup_free char *endian = dpkg_arch(a->deb, "DEB_HOST_ARCH_ENDIAN");
                assert_string_equal(a->triplet, triplet);
                assert_int_equal(a->elfclass, !strcmp(bits, "64") ? ELFCLASS64 : ELFCLASS32);
                assert_int_equal(a->big_endian, !strcmp(endian, "big"));
                assert_ptr_equal(arch_lookup(a->deb), a);
        }
        assert_true(n >= 10);
        assert_null(arch_lookup("vax"));
        assert_null(arch_lookup(NULL));
}

/* Every qemu name is an emulator qemu-user-static installs. */
static void test_qemu_names_exist(void **state)
{
        (void)state;
        for (const struct arch_info *a = arch_all(); a->deb; a++) {
                if (!a->qemu)
                        continue;
                cleanup_free char *path = xasprintf("/usr/bin/qemu-%s-static", a->qemu);
                if (access(path, X_OK) != 0)
                        fail_msg("%s: %s is not installed by qemu-user-static", a->deb, path);
        }
        assert_string_equal(arch_lookup("arm64")->qemu, "aarch64");
}

static void test_host_is_dpkgs(void **state)
{
        (void)state;
        cleanup_free char *dpkg = fixture_sh_out("dpkg --print-architecture");
        assert_non_null(dpkg);
        dpkg[strcspn(dpkg, "\n")] = '\0';
        assert_non_null(arch_host());
        assert_string_equal(arch_host(), dpkg);
}

/* uname -m as a native kernel reports it (PEP 508's platform_machine): this host's, and the
 * names Python's platform.machine() gives on Debian's release architectures. */
static void test_machine_names(void **state)
{
        (void)state;
        cleanup_free char *m = fixture_sh_out("uname -m");
        assert_non_null(m);
        m[strcspn(m, "\n")] = '\0';
        assert_string_equal(arch_lookup(arch_host())->uname, m);
        static const struct {
                const char *deb, *machine;
        } want[] = {
            {"amd64", "x86_64"},    {"arm64", "aarch64"}, {"armhf", "armv7l"},    {"i386", "i686"},
            {"ppc64el", "ppc64le"}, {"s390x", "s390x"},   {"riscv64", "riscv64"},
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                assert_string_equal(arch_lookup(want[i].deb)->uname, want[i].machine);
        for (const struct arch_info *a = arch_all(); a->deb; a++)
                assert_non_null(a->uname);
}

/* Go's GOARCH (the OCI platform's architecture) and the variants for 32-bit ARM; Debian's own
 * names would make a registry or runtime pick the wrong image or none. */
static void test_oci_names(void **state)
{
        (void)state;
        static const struct {
                const char *deb, *oci, *variant;
        } want[] = {
            {"amd64", "amd64", NULL},     {"i386", "386", NULL},
            {"x32", NULL, NULL},          {"arm64", "arm64", NULL},
            {"armhf", "arm", "v7"},       {"armel", "arm", "v5"},
            {"ppc64el", "ppc64le", NULL}, {"ppc64", "ppc64", NULL},
            {"powerpc", NULL, NULL},      {"s390x", "s390x", NULL},
            {"riscv64", "riscv64", NULL}, {"mips64el", "mips64le", NULL},
            {"mipsel", "mipsle", NULL},   {"sparc64", NULL, NULL},
            {"loong64", "loong64", NULL},
        };
        size_t n = 0;
        for (const struct arch_info *a = arch_all(); a->deb; a++)
                n++;
        assert_int_equal(n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < n; i++) {
                const struct arch_info *a = arch_lookup(want[i].deb);
                assert_non_null(a);
                if (want[i].oci)
                        assert_string_equal(a->oci, want[i].oci);
                else
                        assert_null(a->oci);
                if (want[i].variant)
                        assert_string_equal(a->oci_variant, want[i].variant);
                else
                        assert_null(a->oci_variant);
        }
}

/* The machine names PEP 600 tags carry, as packaging's _manylinux accepts them (uname -m of
 * the interpreter's ABI; armel and the MIPS and SPARC ports have no manylinux tag). */
static void test_manylinux_names(void **state)
{
        (void)state;
        static const struct {
                const char *deb, *manylinux;
        } want[] = {
            {"amd64", "x86_64"},    {"i386", "i686"},       {"x32", NULL},
            {"arm64", "aarch64"},   {"armhf", "armv7l"},    {"armel", NULL},
            {"ppc64el", "ppc64le"}, {"ppc64", "ppc64"},     {"powerpc", NULL},
            {"s390x", "s390x"},     {"riscv64", "riscv64"}, {"mips64el", NULL},
            {"mipsel", NULL},       {"sparc64", NULL},      {"loong64", "loongarch64"},
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                const struct arch_info *a = arch_lookup(want[i].deb);
                assert_non_null(a);
                /* the tag's architecture is the uname name, where the tags exist */
                assert_int_equal(a->manylinux, want[i].manylinux != NULL);
                if (want[i].manylinux)
                        assert_string_equal(a->uname, want[i].manylinux);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table_matches_dpkg_architecture),
            cmocka_unit_test(test_qemu_names_exist),
            cmocka_unit_test(test_host_is_dpkgs),
            cmocka_unit_test(test_oci_names),
            cmocka_unit_test(test_manylinux_names),
            cmocka_unit_test(test_machine_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
