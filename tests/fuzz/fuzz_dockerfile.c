/* libFuzzer target: the Dockerfile parser on arbitrary bytes, with a build arg and a platform
 * ARG given (so both the build-arg and the predefined paths run), and the shell-form argv on
 * every shell-form command it parsed. */
#include <stddef.h>
#include <stdint.h>

#include "distill/convert/dockerfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct df_kv args[] = {{(char *)"TAG", (char *)"3.11"},
                               {(char *)"TARGETARCH", (char *)"amd64"}};
        struct dockerfile *df = NULL;
        struct distill_error err = {0};
        if (dockerfile_parse("fuzz/Dockerfile", (const char *)data, size, args, 2, &df, &err) != 0)
                return 0;
        for (size_t s = 0; s < df->n_stages; s++) {
                for (size_t i = 0; i < df->stages[s].n; i++) {
                        const struct df_instruction *in = &df->stages[s].v[i];
                        if (in->form != DF_FORM_SHELL || in->args.n != 1)
                                continue;
                        struct strvec argv = STRVEC_INIT;
                        const char *why = NULL;
                        dockerfile_shell_argv(in->args.v[0], &argv, &why);
                        strvec_clear(&argv);
                }
                (void)dockerfile_stage_index(df, "build", s);
        }
        dockerfile_free(df);
        return 0;
}
