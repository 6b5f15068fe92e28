/* The final stage of a parsed Dockerfile carried into a conversion (conversion.h), instruction
 * by instruction: FROM's interpreter, the context's files COPY and ADD bring, what RUN installs
 * (apk, pip, a venv) or sets up (accounts, caches), the image settings, and the command. Reads
 * nothing but the build context (to tell files from directories and expand COPY's globs). */
#ifndef DISTILL_INSTRUCTIONS_H
#define DISTILL_INSTRUCTIONS_H

#include "distill/base/error.h"
#include "distill/base/dockerignore.h"
#include "distill/convert/conversion.h"
#include "distill/convert/dockerfile.h"

/* `di` is the context's .dockerignore or NULL. Fails only on what makes the Dockerfile
 * unusable (no stage); everything else becomes a report entry. */
int instructions_convert(const struct dockerfile *df, const struct dockerignore *di,
                         struct conversion *cv, struct distill_error *err);

/* "python:3.9-alpine3.15" → "3.9" (also "docker.io/library/python:3.11.4-slim", "python:3"
 * gives "3"); NULL when the image is not the official python image or names no version. */
char *instructions_python_of_image(const char *image);

/* The top-level simple commands of a shell command list, split at `&&`, `||`, `;` and line
 * breaks outside quotes; each piece trimmed. */
void instructions_split_commands(const char *cmd, struct strvec *out);

#endif
