/* libFuzzer target: the ELF reader, the read-only-data string reader, the imported-symbol
 * lookup and the musl evidence (version needs) on arbitrary bytes, through a memfd as select
 * hands them a file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "distill/base/util.h"
#include "distill/elf/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write_all(fd, data, size) == 0) {
                struct distill_error err = {0};
                struct strvec strings = STRVEC_INIT;
                struct elf_info info;
                if (elf_read_fd(fd, "fuzz.so", &info, &err) == 1)
                        elf_info_release(&info);
                elf_read_strings(fd, "fuzz.so", 2, &strings, &err);
                elf_imports_symbol(fd, "fuzz.so", "iconv_open", &err);
                char *evidence = NULL;
                elf_musl_evidence(fd, "fuzz.so", &evidence, &err);
                free(evidence);
                strvec_clear(&strings);
        }
        close(fd);
        return 0;
}
