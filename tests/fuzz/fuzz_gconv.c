/* libFuzzer target: the gconv-modules reader on arbitrary bytes, then lookups of the names the
 * input itself holds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/elf/gconv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct gconv_db db = {0};
        gconv_db_parse(&db, (const char *)data, size, "/g");
        /* every word of the input is also a name a program might give iconv_open */
        char *copy = xstrndup((const char *)data, size);
        for (char *save = NULL, *w = strtok_r(copy, " \t\n", &save); w;
             w = strtok_r(NULL, " \t\n", &save)) {
                gconv_module_for(&db, w);
                free(gconv_normalize(w));
        }
        free(copy);
        gconv_db_release(&db);
        return 0;
}
