/* `distill convert` (README, "Converting a Dockerfile"): the final stage of a Dockerfile turned
 * into a commented manifest and a report of what each instruction became. */
#ifndef DISTILL_CONVERT_H
#define DISTILL_CONVERT_H

#include <stdbool.h>
#include "distill/base/error.h"

enum convert_source { CONVERT_SOURCE_SYSROOT, CONVERT_SOURCE_APT };

struct convert_options {
        const char *dockerfile; /* path; default "Dockerfile" in the context */
        const char *context;    /* build context directory; default the Dockerfile's directory */
        const char *output;     /* manifest path; default "distill.yaml" in the context */
        enum convert_source source;
        const char *python;  /* --python X.Y, or NULL: the oldest supported release >= FROM's */
        const char *sysroot; /* --source sysroot: its root ("/") */
        const char *arch;    /* Debian architecture; NULL: the host's */
        bool force;          /* replace an existing output */
        bool json;           /* the report as JSON on stdout */
};

/* Writes the manifest and prints the report. Returns 0 when the manifest builds as written,
 * -DISTILL_ERESOLVE when some requirement is unmapped (the manifest is still written, with the
 * unmapped ones marked), another negative kind on bad input (no manifest written). */
int convert_run(const struct convert_options *opt, struct distill_error *err);

#endif
