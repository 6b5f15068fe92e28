/* libFuzzer target: the distill.lock readers (lock_architectures, then lock_read of each
 * architecture it lists) on arbitrary bytes, handed over through a memfd. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "distill/source/lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int fd = memfd_create("fuzz-lock", 0);
        if (fd < 0)
                return 0;
        if (write_all(fd, data, size) == 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                struct strvec archs = STRVEC_INIT;
                struct distill_error err = {0};
                if (lock_architectures(path, &archs, &err) == 0) {
                        for (size_t i = 0; i < archs.n; i++) {
                                struct lock_set set = {0};
                                if (lock_read(path, archs.v[i], &set, &err) == 0) {
                                        for (size_t k = 0; k < set.n; k++)
                                                (void)lock_find(&set, set.v[k].name);
                                        lock_set_release(&set);
                                }
                        }
                }
                strvec_clear(&archs);
        }
        close(fd);
        return 0;
}
