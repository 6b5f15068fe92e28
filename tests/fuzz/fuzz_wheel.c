/* libFuzzer target: the WHEEL and RECORD readers on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "distill/python/wheel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct wheel_info w;
        struct distill_error err = {0};
        if (wheel_parse((const char *)data, size, "WHEEL", &w, &err) == 0) {
                (void)wheel_musllinux_tag(&w);
                wheel_info_release(&w);
        }
        (void)wheel_record_lists((const char *)data, size, "RECORD", "foo/_x.so", &err);
        return 0;
}
