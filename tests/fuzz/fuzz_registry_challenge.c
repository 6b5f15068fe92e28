/* libFuzzer target: a registry's WWW-Authenticate challenge (hostile: any server answers it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/image/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const keys[] = {"realm", "service", "scope", "error"};
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                char *v = registry_challenge_param(text, keys[i]);
                if (v && strlen(v) > size)
                        abort(); /* a parameter cannot be longer than the challenge */
                free(v);
        }
        free(text);
        return 0;
}
