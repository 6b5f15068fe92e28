/* glibc's iconv modules (docs/architecture.md, "iconv and gconv"): which shared object
 * iconv_open() loads for a charset name, answered from the gconv-modules configuration files the
 * image's libc6 ships, read as glibc 2.36's gconv_conf.c reads them. Input is package data:
 * every line is bounded and a malformed one is skipped, as glibc skips it. */
#ifndef DISTILL_GCONV_H
#define DISTILL_GCONV_H

#include <stdbool.h>
#include <stddef.h>

#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/core/imageview.h"

struct gconv_db {
        struct strmap aliases; /* normalised alias → normalised charset */
        struct strmap modules; /* normalised charset (either end of a module line) → file path */
        size_t n_lines;        /* lines taken, capped by GCONV_MAX_LINES */
};

#define GCONV_MAX_LINES    65536
#define GCONV_MAX_NAME_LEN 255

/* Reads one configuration file's text (gconv-modules, gconv-modules.d/NAME.conf) into db:
 * `alias FROM TO` and `module FROM TO FILE [COST]` lines; FILE without ".so" gets it, and a
 * relative FILE is taken in `dir` (the gconv directory, for the files of gconv-modules.d
 * too). As in glibc, an alias whose name is a module's is ignored, and so is the first of two
 * definitions of the same alias. */
void gconv_db_parse(struct gconv_db *db, const char *text, size_t len, const char *dir);

/* The gconv directory's configuration as the image's glibc reads it: gconv-modules, then the
 * files of gconv-modules.d whose name ends in ".conf", in name order; their image paths, and
 * gconv-modules.cache when the image's libc has one (glibc reads only the cache then), go to
 * *files. A directory without gconv-modules leaves db empty. */
int gconv_db_load(const struct image_view *v, const char *dir, struct gconv_db *db,
                  struct strvec *files, struct distill_error *err);

/* The charset name iconv_open() looks up for `name` ("Shift_JIS" → "SHIFT_JIS//"): its part
 * before any "//" suffix, characters other than letters, digits and "_-.,:" dropped, upper case,
 * terminated by "//" (gconv_charset.c's strip). NULL for a name that leaves nothing. */
char *gconv_normalize(const char *name);

/* The module file iconv_open() loads to convert from or to `name`, or NULL when none does
 * (a charset glibc has built in — UTF-8, ASCII, UCS-4, … —, or an unknown one). */
const char *gconv_module_for(const struct gconv_db *db, const char *name);

void gconv_db_release(struct gconv_db *db);

#endif
