/* libFuzzer target: the manifest parser (libyaml, then every section's checks) on arbitrary
 * bytes, as if read from /nonexistent-fuzz/manifest.yaml (relative app paths then name nothing). */
#include <stddef.h>
#include <stdint.h>

#include "distill/input/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct manifest *m = NULL;
        struct distill_error err = {0};
        if (manifest_load_text("/nonexistent-fuzz/manifest.yaml", (const char *)data, size, &m,
                               &err) == 0)
                manifest_free(m);
        return 0;
}
