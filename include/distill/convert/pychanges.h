/* The standard library's removals and deprecations by Python version (the data of
 * manifests/rules/convert/python-stdlib-changes.yaml), and which of them an app moved from one
 * interpreter version to a newer one runs into, from the modules it imports. */
#ifndef DISTILL_PYCHANGES_H
#define DISTILL_PYCHANGES_H

#include <stdbool.h>
#include <stddef.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

#define PYCHANGES_FILE "convert/python-stdlib-changes.yaml" /* under the shipped rules */

struct pychanges;

struct pychange_hit {
        char *module;  /* as the app imports it: "distutils.core" */
        char *listed;  /* the data's entry: "distutils" */
        char *version; /* where it changed: "3.12" */
        bool removed;  /* else deprecated */
};

int pychanges_load(const char *path, struct pychanges **out, struct distill_error *err);
void pychanges_free(struct pychanges *c);
/* The changes of every version after `from` up to and including `to` ("3.9" → "3.11": 3.10 and
 * 3.11) that touch one of `imports` (module names, each counted once, in the data's order of
 * versions). */
void pychanges_between(const struct pychanges *c, const char *from, const char *to,
                       const struct strvec *imports, struct pychange_hit **hits, size_t *n);
void pychange_hits_free(struct pychange_hit *hits, size_t n);

#endif
