/* libFuzzer target: a Dockerfile parsed and carried into a conversion (instructions_convert:
 * RUN's command splitting and argv, COPY's destinations, EXPOSE's ranges, USER, the command),
 * over a build context that does not exist, so nothing on disk is read. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/convert/instructions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct dockerfile *df = NULL;
        struct distill_error err = {0};
        if (dockerfile_parse("Dockerfile", (const char *)data, size, NULL, 0, &df, &err) < 0)
                return 0;
        struct conversion cv;
        conversion_init(&cv);
        cv.dockerfile_name = "Dockerfile";
        cv.context = strdup("/nonexistent-distill-fuzz-context");
        instructions_convert(df, NULL, &cv, &err);
        conversion_release(&cv);
        dockerfile_free(df);
        return 0;
}
