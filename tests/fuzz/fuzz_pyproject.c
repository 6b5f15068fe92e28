/* libFuzzer target: the pyproject.toml, poetry.lock and uv.lock readers on arbitrary bytes (the
 * first byte picks the reader; the rest is the file, handed over through a memfd). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "distill/convert/pyproject.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        int fd = memfd_create("fuzz-toml", 0);
        if (fd < 0)
                return 0;
        if (write_all(fd, data + 1, size - 1) == 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                struct pyproject_reqs reqs;
                struct distill_error err = {0};
                int r = data[0] % 3 == 0   ? pyproject_read(path, &reqs, &err)
                        : data[0] % 3 == 1 ? poetry_lock_read(path, &reqs, &err)
                                           : uv_lock_read(path, &reqs, &err);
                if (r == 0)
                        pyproject_reqs_release(&reqs);
        }
        close(fd);
        return 0;
}
