/* libFuzzer target: the entry_points.txt reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/python/pymodules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(void *ud, const char *group, const char *module)
{
        (void)group;
        (void)module;
        ++*(size_t *)ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        size_t n = 0;
        pymodules_parse_entry_points(text, count, &n);
        free(text);
        return 0;
}
