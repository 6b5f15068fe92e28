/* What distill knows of each Debian architecture, in one table: its GNU multiarch triplet, the
 * ELF class, machine and byte order of its objects, the name and variant the OCI image spec
 * uses for it, the qemu-user name that runs it on another host, the machine name its kernel
 * reports (uname -m, which PEP 508 markers call platform_machine and manylinux wheel tags
 * use), and whether manylinux wheels exist for it. */
#ifndef DISTILL_ARCH_H
#define DISTILL_ARCH_H

#include <stdbool.h>

/* Which ld.so.cache flag scheme glibc uses for the architecture's libraries. */
enum arch_family {
        ARCH_FAMILY_X86,
        ARCH_FAMILY_ARM,
        ARCH_FAMILY_POWERPC,
        ARCH_FAMILY_S390,
        ARCH_FAMILY_RISCV,
        ARCH_FAMILY_MIPS,
        ARCH_FAMILY_SPARC,
        ARCH_FAMILY_LOONGARCH,
};

struct arch_info {
        const char *deb;         /* Debian architecture: "amd64" */
        const char *triplet;     /* GNU multiarch triplet: "x86_64-linux-gnu" */
        int elfclass;            /* ELFCLASS64 */
        unsigned machine;        /* EM_X86_64 */
        bool big_endian;         /* the byte order of its ELF objects and ld.so.cache */
        enum arch_family family; /* the ld.so.cache flags of its libraries */
        const char *oci;         /* OCI (Go GOARCH) name: "amd64", "386", "arm"; NULL: none */
        const char *oci_variant; /* "v7" for armhf, NULL when the OCI platform has none */
        const char *qemu;        /* qemu-user name: qemu-NAME-static runs it; NULL: none */
        const char *uname;       /* uname -m on a native kernel, Python's platform.machine() and
                                  * PEP 508's platform_machine: "x86_64", "armv7l" */
        bool manylinux;          /* PEP 600 wheel platform tags exist for it (manylinux_2_36_UNAME,
                                  * UNAME being the field above); pip's packaging accepts no
                                  * manylinux tag for the others */
};

/* The entry for a Debian architecture name, NULL when distill does not know it. */
const struct arch_info *arch_lookup(const char *deb);
/* The Debian architecture of the machine distill runs on (dpkg --print-architecture, from the
 * kernel's machine name), NULL when that machine name has none. */
const char *arch_host(void);
/* Every known architecture, in table order, ending with an entry whose deb is NULL. */
const struct arch_info *arch_all(void);

#endif
