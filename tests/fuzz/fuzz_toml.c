/* libFuzzer target: the TOML reader on arbitrary bytes (and, for what it accepts, the JSON
 * tree it hands back walked in full). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "distill/convert/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct distill_error err = {0};
        json_t *doc = NULL;
        if (toml_parse("fuzz.toml", (const char *)data, size, &doc, &err) == 0) {
                char *text = json_dumps(doc, JSON_COMPACT);
                free(text);
                json_decref(doc);
        }
        return 0;
}
