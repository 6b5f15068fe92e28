/* libFuzzer target: the SBOM's reader of machine-readable copyright files (DEP-5) on arbitrary
 * bytes, with the LicenseRef list it builds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/image/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* the deb822 reader takes no NUL byte; the build skips such copyright files too */
        if (memchr(data, '\0', size))
                return 0;
        struct strvec refs = STRVEC_INIT;
        char *e = sbom_dep5_license((const char *)data, size, "fuzz", "pkg", &refs);
        free(e);
        strvec_clear(&refs);
        return 0;
}
