/* What pip leaves of a wheel in a site-packages directory (the binary distribution format, PyPA
 * "Recording installed projects"): a distribution's NAME-VERSION.dist-info directory, its WHEEL
 * file (the tags the wheel was built for) and its RECORD (the files it installed); and the pip
 * command that installs distributions for the image's interpreter and glibc instead of the
 * host's. Input is hostile: sizes, counts and line lengths are capped. */
#ifndef DISTILL_WHEEL_H
#define DISTILL_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

#define WHEEL_MAX_FILE_SIZE ((size_t)1 << 16) /* a WHEEL file: a few lines */
#define WHEEL_MAX_TAGS      1024
#define WHEEL_MAX_LINE      4096
#define WHEEL_MAX_RECORD    ((size_t)64 << 20) /* RECORD: a line per installed file */

struct wheel_info {
        char *wheel_version;  /* Wheel-Version:, or NULL */
        struct strvec tags;   /* every Tag: line as written ("cp311-cp311-musllinux_1_2_x86_64") */
        bool root_is_purelib; /* Root-Is-Purelib: true */
};

/* Reads a WHEEL file's "Key: value" lines (`name` for messages). A line that is not of that
 * form, a Tag that is not INTERPRETER-ABI-PLATFORM, a NUL byte or too many tags is
 * DISTILL_EINTEGRITY naming name:line. */
int wheel_parse(const char *text, size_t len, const char *name, struct wheel_info *out,
                struct distill_error *err);
void wheel_info_release(struct wheel_info *w);
/* The first tag whose platform (or one of a compressed set "a.b") is musllinux_*: the wheel
 * was built against musl libc. NULL when none is. */
const char *wheel_musllinux_tag(const struct wheel_info *w);

/* "foo_bar-1.2.3.dist-info" → *dist "foo_bar", *version "1.2.3" (caller frees both): 0, or -1
 * when the name is not of that form. */
int wheel_dist_info_name(const char *dirname, char **dist, char **version);
/* Whether a RECORD (CSV rows "path,hash,size", the path quoted when it must be) lists
 * `relpath`, a path relative to the directory holding the .dist-info: 1 yes, 0 no, negative
 * with err set (naming name:line) for a malformed row. */
int wheel_record_lists(const char *text, size_t len, const char *name, const char *relpath,
                       struct distill_error *err);

/* The command that installs `requirements` ("flask==3.0.0") into target_dir for the image
 * rather than the build host: binary wheels only, for CPython python_version ("3.11", ABI
 * cp311) and the manylinux platforms a glibc_version ("2.36") system on debian_arch ("amd64")
 * accepts — "--platform manylinux_2_36_x86_64" first, then each older glibc down to
 * manylinux_2_17 (manylinux_2_5 on x86) with the legacy manylinux2014/2010/1 names, since pip
 * takes --platform literally and most wheels are built for an old glibc. Arguments are quoted
 * for a POSIX shell where they need it. NULL when the versions are not "MAJOR.MINOR" or the
 * architecture has no manylinux name. Caller frees. */
char *wheel_pip_target_command(const char *target_dir, const char *python_version,
                               const char *glibc_version, const char *debian_arch,
                               const char *const *requirements, size_t n);

#endif
