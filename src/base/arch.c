/* One row per Debian architecture distill knows. The OCI names are Go's GOARCH values (the
 * image spec's platform.architecture) with the variant containerd and the registries use for
 * 32-bit ARM; architectures Go has no GOARCH for have none, so no OCI image is made for them. */
#include "distill/base/arch.h"

#include <elf.h>
#include <string.h>
#include <sys/utsname.h>

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

static const struct arch_info table[] = {
    {"amd64", "x86_64-linux-gnu", ELFCLASS64, EM_X86_64, false, ARCH_FAMILY_X86, "amd64", NULL,
     "x86_64", "x86_64", true},
    {"i386", "i386-linux-gnu", ELFCLASS32, EM_386, false, ARCH_FAMILY_X86, "386", NULL, "i386",
     "i686", true},
    {"x32", "x86_64-linux-gnux32", ELFCLASS32, EM_X86_64, false, ARCH_FAMILY_X86, NULL, NULL, NULL,
     "x86_64", false},
    {"arm64", "aarch64-linux-gnu", ELFCLASS64, EM_AARCH64, false, ARCH_FAMILY_ARM, "arm64", NULL,
     "aarch64", "aarch64", true},
    {"armhf", "arm-linux-gnueabihf", ELFCLASS32, EM_ARM, false, ARCH_FAMILY_ARM, "arm", "v7", "arm",
     "armv7l", true},
    {"armel", "arm-linux-gnueabi", ELFCLASS32, EM_ARM, false, ARCH_FAMILY_ARM, "arm", "v5", "arm",
     "armv5tel", false},
    {"ppc64el", "powerpc64le-linux-gnu", ELFCLASS64, EM_PPC64, false, ARCH_FAMILY_POWERPC,
     "ppc64le", NULL, "ppc64le", "ppc64le", true},
    {"ppc64", "powerpc64-linux-gnu", ELFCLASS64, EM_PPC64, true, ARCH_FAMILY_POWERPC, "ppc64", NULL,
     "ppc64", "ppc64", true},
    {"powerpc", "powerpc-linux-gnu", ELFCLASS32, EM_PPC, true, ARCH_FAMILY_POWERPC, NULL, NULL,
     "ppc", "ppc", false},
    {"s390x", "s390x-linux-gnu", ELFCLASS64, EM_S390, true, ARCH_FAMILY_S390, "s390x", NULL,
     "s390x", "s390x", true},
    {"riscv64", "riscv64-linux-gnu", ELFCLASS64, EM_RISCV, false, ARCH_FAMILY_RISCV, "riscv64",
     NULL, "riscv64", "riscv64", true},
    {"mips64el", "mips64el-linux-gnuabi64", ELFCLASS64, EM_MIPS, false, ARCH_FAMILY_MIPS,
     "mips64le", NULL, "mips64el", "mips64", false},
    {"mipsel", "mipsel-linux-gnu", ELFCLASS32, EM_MIPS, false, ARCH_FAMILY_MIPS, "mipsle", NULL,
     "mipsel", "mips", false},
    {"sparc64", "sparc64-linux-gnu", ELFCLASS64, EM_SPARCV9, true, ARCH_FAMILY_SPARC, NULL, NULL,
     "sparc64", "sparc64", false},
    {"loong64", "loongarch64-linux-gnu", ELFCLASS64, EM_LOONGARCH, false, ARCH_FAMILY_LOONGARCH,
     "loong64", NULL, "loongarch64", "loongarch64", true},
    {NULL, NULL, 0, 0, false, 0, NULL, NULL, NULL, NULL, false},
};

const struct arch_info *arch_all(void)
{
        return table;
}

const struct arch_info *arch_lookup(const char *deb)
{
        for (const struct arch_info *a = table; deb && a->deb; a++)
                if (!strcmp(a->deb, deb))
                        return a;
        return NULL;
}

const char *arch_host(void)
{
        /* uname's machine → dpkg's architecture (a 64-bit kernel may report "armv8l" for a
         * 32-bit personality) */
        static const struct {
                const char *machine, *deb;
        } map[] = {
            {"x86_64", "amd64"},    {"aarch64", "arm64"},       {"arm64", "arm64"},
            {"i386", "i386"},       {"i486", "i386"},           {"i586", "i386"},
            {"i686", "i386"},       {"armv7l", "armhf"},        {"armv8l", "armhf"},
            {"armv6l", "armel"},    {"armv5tel", "armel"},      {"ppc64le", "ppc64el"},
            {"ppc64", "ppc64"},     {"s390x", "s390x"},         {"riscv64", "riscv64"},
            {"mips64", "mips64el"}, {"loongarch64", "loong64"},
        };
        struct utsname u;
        if (uname(&u) < 0)
                return NULL;
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (!strcmp(u.machine, map[i].machine))
                        return map[i].deb;
        return NULL;
}
