/* libFuzzer target: check.trace's reader of strace's lines, the -S detection over the input's
 * words, and --check-run's parser on the whole input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/check/check.h"
#include "distill/check/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *copy = xstrndup((const char *)data, size);
        struct distill_error err = {0};
        struct strvec argv = STRVEC_INIT;

        check_parse_command(copy, &argv, &err);
        trace_argv_disables_site(&argv);
        strvec_clear(&argv);
        for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                double t;
                char *call, *path;
                if (trace_parse_strace_line(line, &t, &call, &path)) {
                        free(call);
                        free(path);
                }
        }
        free(copy);
        return 0;
}
