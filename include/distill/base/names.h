/* The grammars of the names distill reads from manifests, rules, package indexes and .deb
 * control files, each defined once. All are ASCII byte tests, independent of the locale. */
#ifndef DISTILL_NAMES_H
#define DISTILL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define NAMES_DEB_MAX    255  /* longest package name or version accepted (hostile input) */
#define NAMES_ARCH_MAX   64   /* longest architecture name */
#define NAMES_MODULE_MAX 1024 /* longest dotted module name */
#define NAMES_LOCALE_MAX 255  /* longest locale name: one directory name */

/* A Debian package name (policy 5.6.1): at least two characters of a-z 0-9 + - ., the first
 * alphanumeric. dpkg itself also takes upper case, '_' and one character; Debian's archive has
 * no such name, and every one of them is refused here. */
bool deb_package_name_valid(const char *s);

/* A Debian version (policy 5.6.12): [epoch:]upstream[-revision]. The epoch is digits; the
 * upstream version starts with a digit and holds alphanumerics and . + ~ - (a '-' only when a
 * revision follows); the revision, after the last '-', is alphanumerics and + . ~. Stricter than
 * dpkg only in refusing ':' inside the upstream version, which policy no longer allows. */
bool deb_version_valid(const char *s);

/* A Debian architecture name ("amd64", "all", "kfreebsd-amd64"): a-z 0-9 -, the first
 * alphanumeric. */
bool deb_arch_name_valid(const char *s);

/* A dotted Python module name as the import system finds modules in files: non-empty
 * components of letters, digits, '_' and non-ASCII bytes (PEP 3131 identifiers), none starting
 * with a digit; '-' inside a component too (_sysconfigdata__x86_64-linux-gnu is imported by
 * name through importlib though it is no identifier). */
bool py_module_name_valid(const char *s);

/* An environment variable name as POSIX shells take it: letters, digits and '_', not starting
 * with a digit; the first n bytes of s. */
bool env_var_name_valid(const char *s, size_t n);

/* Where a Python 3 distribution's metadata lies, as Debian packages install it: a *.dist-info or
 * *.egg-info entry (directory or file) directly in usr/lib/python3/dist-packages or
 * usr/lib/python3.N/dist-packages — not pypy's, not python2's, not site-packages. s[0..n) is a
 * path without its leading '/' (a Contents index line or a dpkg file list entry with the '/'
 * skipped), and the entry ends at a '/', a blank or the end. Returns the length of the prefix
 * naming the entry ("usr/lib/python3/dist-packages/Flask-2.2.2.egg-info"), 0 for any other
 * path. *base_off gets the offset of the entry's own name within it. */
size_t py_dist_info_prefix(const char *s, size_t n, size_t *base_off);

/* A locale name glibc's setlocale() looks up as a directory of its locale path ("C.UTF-8",
 * "de_DE.UTF-8@euro"): 1 to NAMES_LOCALE_MAX bytes, no '/' (glibc refuses one), not "." or
 * "..", and not one glibc has built in (C, POSIX). */
bool libc_locale_name_valid(const char *s);

/* A Python distribution name as PEP 503 compares them: runs of '-', '_' and '.' become one '-',
 * letters lower case (re.sub(r"[-_.]+", "-", name).lower()), over s[0..n). Caller frees. */
char *pep503_normalize(const char *s, size_t n);

#endif
