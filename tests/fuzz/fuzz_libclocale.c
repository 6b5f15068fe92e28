/* libFuzzer target: glibc's locale-name lookup on arbitrary names (each line of the input), and
 * the codeset normaliser on the raw bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/elf/libclocale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        free(libc_locale_normalize_codeset((const char *)data, size));
        char *copy = xstrndup((const char *)data, size);
        for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
                struct strvec dirs = STRVEC_INIT;
                libc_locale_dirs(l, &dirs);
                if (dirs.n > 16)
                        abort(); /* four parts, two codeset spellings: at most 12 names */
                strvec_clear(&dirs);
        }
        free(copy);
        return 0;
}
