/* libFuzzer target: the Python tokenizer and recogniser (imports, calls and literals) on
 * arbitrary bytes. Any crash, leak or undefined behaviour is a finding. */
#include <stddef.h>
#include <stdint.h>

#include "distill/python/pyimports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct py_scan scan;
        struct distill_error err = {0};
        if (pyimports_scan((const char *)data, size, "fuzz.py", &scan, &err) == 0)
                py_scan_release(&scan);
        return 0;
}
