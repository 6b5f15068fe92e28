/* A TOML 1.0 reader (https://toml.io/en/v1.0.0) for the files Python projects declare their
 * requirements in: pyproject.toml, poetry.lock and uv.lock. Debian ships no C TOML library.
 *
 * The document becomes a jansson tree: tables and inline tables are objects, arrays and arrays of
 * tables are arrays, strings are strings (every escape decoded), integers are integers (64-bit;
 * a larger one is refused), booleans are booleans. Two TOML types have no JSON counterpart and
 * become strings, by a fixed rule:
 * - date-times, dates and times: canonical RFC 3339 text — "1979-05-27T07:32:00.5Z" is
 *   "1979-05-27T07:32:00.500000Z": 'T' between date and time, the fraction truncated to
 *   microseconds and written with six digits (left out when zero), a zero offset written "Z",
 *   any other "+HH:MM" or "-HH:MM"; a local date "1979-05-27", a local time "07:32:00";
 * - infinities and NaN: "inf", "-inf", "nan" (finite floats are JSON reals).
 * Everything the specification calls invalid is refused, with the rules Python's tomllib applies
 * to redefinitions (a table defined twice, a key set twice, an inline table or a static array
 * extended, a table defined by dotted keys reopened by a header): DISTILL_EUSAGE with
 * "NAME:LINE:COL: message" (COL counts characters, from 1). Input is hostile: the size, the
 * nesting of arrays and inline tables, the parts of a key and the number of values are capped. */
#ifndef DISTILL_CONVERT_TOML_H
#define DISTILL_CONVERT_TOML_H

#include <jansson.h>
#include <stddef.h>

#include "distill/base/error.h"

#define TOML_MAX_SIZE      (32u << 20) /* bytes of one document */
#define TOML_MAX_NESTING   64          /* arrays and inline tables inside each other */
#define TOML_MAX_KEY_PARTS 64          /* dotted parts of one key or table header */
#define TOML_MAX_VALUES    2000000     /* tables, arrays and scalars of one document */

/* Parses text[0..len) (need not be NUL-terminated; NAME names it in messages). On success *out
 * is a new object the caller json_decref()s; on failure *out is NULL. */
int toml_parse(const char *name, const char *text, size_t len, json_t **out,
               struct distill_error *err);
/* The file at PATH, at most TOML_MAX_SIZE bytes: DISTILL_EIO when it cannot be read. */
int toml_read_file(const char *path, json_t **out, struct distill_error *err);

#endif
