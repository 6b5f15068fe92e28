/* Results for people and for machines, printed from data that may be hostile (a plan.json or
 * an image someone else built): text with control characters escaped so that a name cannot
 * forge lines, JSON strings that stay valid when the bytes are not UTF-8. */
#ifndef DISTILL_OUTPUT_H
#define DISTILL_OUTPUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include "distill/base/error.h"

/* s with bytes below 0x20 and 0x7f written as \xNN. */
void output_clean(FILE *out, const char *s);
/* printf, then as output_clean; a final newline of the format is kept as a newline. */
void output_cleanf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A JSON string of s (json null for NULL); bytes that do not decode as UTF-8 become '?', so the
 * same input always gives the same valid document. */
json_t *json_string_lossy(const char *s);
/* Prints root (indented by 2, keys in insertion order) and a newline, and releases root.
 * DISTILL_EIO when writing fails. */
int output_json(json_t *root, FILE *out, struct distill_error *err);

/* "12.3 MB": decimal units (as `du --si` and the registries count), one decimal. */
void output_human_bytes(uint64_t bytes, char buf[16]);

#endif
