/* libFuzzer target: a .dockerignore file and paths matched against it. The input is the file,
 * then, after a NUL byte, NUL-separated paths. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/dockerignore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        const char *nul = memchr(text, '\0', size);
        size_t text_len = nul ? (size_t)(nul - text) : size;
        struct dockerignore *di = NULL;
        struct distill_error err = {0};
        if (dockerignore_parse("fuzz", text, text_len, &di, &err) < 0)
                return 0;
        if (!nul) {
                dockerignore_excluded(di, "a/b/c");
                dockerignore_free(di);
                return 0;
        }
        char *paths = malloc(size - text_len);
        if (!paths) {
                dockerignore_free(di);
                return 0;
        }
        memcpy(paths, nul + 1, size - text_len - 1);
        paths[size - text_len - 1] = '\0';
        int n = 0;
        for (char *p = paths; p < paths + (size - text_len - 1) && n < 64; p += strlen(p) + 1, n++)
                if (*p && strlen(p) < 4096)
                        dockerignore_excluded(di, p);
        free(paths);
        dockerignore_free(di);
        return 0;
}
