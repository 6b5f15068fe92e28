/* libFuzzer target: archive_versions_read on an arbitrary Packages index (through a memfd, as the
 * reader takes a path), then the versions it kept compared with each other by libsolv. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "distill/base/util.h"
#include "distill/source/updates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int fd = memfd_create("Packages", MFD_CLOEXEC);
        if (fd < 0 || write_all(fd, data, size) < 0)
                abort();
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        struct apt_source_entry src = {.suite = "s"};
        struct apt_index idx = {.source = &src,
                                .packages_path = path,
                                .label = "Debian-Security",
                                .suite = "s-security"};
        struct archive_versions *av = NULL;
        struct distill_error err = {0};
        if (archive_versions_read(&idx, 1, &av, &err) == 0) {
                /* every "Package:"-like word of the input looked up, its version compared with
                 * the previous one's */
                char *copy = xstrndup((const char *)data, size);
                const char *prev = NULL;
                for (char *save = NULL, *w = strtok_r(copy, " \n", &save); w;
                     w = strtok_r(NULL, " \n", &save)) {
                        const struct archive_offer *o = archive_versions_newest(av, w);
                        if (!o)
                                continue;
                        if (prev)
                                deb_version_compare(prev, o->version);
                        prev = o->version;
                }
                free(copy);
                archive_versions_free(av);
        }
        close(fd);
        return 0;
}
