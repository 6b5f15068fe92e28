/* libFuzzer target: the container-structure-test YAML reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "distill/check/structure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct structure_tests *t = NULL;
        struct distill_error err = {0};
        if (structure_load("fuzz.yaml", (const char *)data, size, &t, &err) == 0)
                structure_tests_free(t);
        return 0;
}
