/* ELF facts the loader uses, read with libelf (docs/architecture.md, "libelf"). Input is hostile:
 * every offset and string is checked, sizes are capped, and a bad file gives an error, never a
 * crash. */
#ifndef DISTILL_ELF_H
#define DISTILL_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

struct elf_info {
        int elfclass;         /* ELFCLASS32 / ELFCLASS64 */
        int data;             /* ELFDATA2LSB / ELFDATA2MSB */
        unsigned machine;     /* e_machine */
        unsigned type;        /* e_type: ET_EXEC, ET_DYN, ... */
        unsigned osabi;       /* e_ident[EI_OSABI] */
        char *interp;         /* PT_INTERP or NULL */
        struct strvec needed; /* DT_NEEDED in order */
        char *rpath;          /* DT_RPATH or NULL (NULL too when DT_RUNPATH exists, as glibc) */
        char *runpath;        /* DT_RUNPATH or NULL */
        char *soname;         /* DT_SONAME or NULL */
        uint64_t flags_1;     /* DT_FLAGS_1, 0 when absent */
        bool has_dynamic;
};

#define ELF_MAX_FILE_SIZE (1ULL << 31)

/* Returns 1 and fills *out for an ELF object, 0 for a file that is not ELF (no error set),
 * negative with err set (DISTILL_EINTEGRITY, naming `name`) for a corrupt or truncated ELF. */
int elf_read_fd(int fd, const char *name, struct elf_info *out, struct distill_error *err);
int elf_read_mem(const void *buf, size_t len, const char *name, struct elf_info *out,
                 struct distill_error *err);
bool elf_has_magic(const void *buf, size_t len);

#define ELF_MAX_STRINGS       (1u << 20)
#define ELF_MAX_STRING_LEN    4096
#define ELF_MAX_STRINGS_BYTES ((size_t)64 << 20)
/* The NUL-terminated printable strings (at least min_len bytes) of an ELF object's read-only
 * data, in file order, appended to *out (capped in count and bytes). Returns 1 for ELF, 0 for a
 * file that is not ELF, negative with err set for a corrupt one. */
int elf_read_strings(int fd, const char *name, size_t min_len, struct strvec *out,
                     struct distill_error *err);
/* Whether the object's dynamic symbol table holds `symbol` undefined, i.e. the object calls it
 * from another one (iconv_open from libc): 1 yes, 0 no (also for a file that is not ELF or has
 * no section headers), negative with err set for a corrupt one. */
int elf_imports_symbol(int fd, const char *name, const char *symbol, struct distill_error *err);
/* Whether the object was linked against musl libc, not glibc: a musl loader as PT_INTERP
 * ("/lib/ld-musl-x86_64.so.1"), a NEEDED musl libc as Alpine names it ("libc.musl-x86_64.so.1")
 * or its loader ("ld-musl-*"), or NEEDED plain "libc.so" (upstream musl's SONAME, which
 * musl-gcc -shared records) with no GLIBC_ version need — glibc's libc.so is a linker script,
 * never a NEEDED, and glibc objects need GLIBC_ versions of libc.so.6. A static object or one
 * needing no libc says nothing and is not flagged. Returns 1 and *evidence ("NEEDED
 * libc.musl-x86_64.so.1"; caller frees), 0 when there is none or the file is not ELF, negative
 * with err set for a corrupt ELF. */
int elf_musl_evidence(int fd, const char *name, char **evidence, struct distill_error *err);
void elf_info_release(struct elf_info *info);

#endif
