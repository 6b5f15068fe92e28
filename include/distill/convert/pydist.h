/* Which Debian package ships a Python distribution, found from the package source itself — the
 * sysroot source's file lists (the ones it read once) or the archive's Contents indexes
 * (apt_fetch_python_contents) — by the *.dist-info / *.egg-info entries the packages install in
 * /usr/lib/python3/dist-packages or /usr/lib/python3.N/dist-packages (py_dist_info_prefix; not
 * pypy's, not python2's). Never a hand-kept table.
 *
 * An entry's name is read as importlib.metadata and pkg_resources read it: the part before the
 * first '-' of NAME-VERSION.dist-info, NAME-VERSION[-pyX.Y].egg-info (a directory or a file) or
 * NAME.egg-info; the version is the part up to the next '-' (as Debian writes it, which is not
 * always PEP 440: "1.0.0+repack"). A name without a version has its version read from the
 * entry's METADATA / PKG-INFO "Version:" when the source is a sysroot; from a Contents index
 * (names only, no file to read) it stays NULL and the caller decides what an unknown version
 * means. */
#ifndef DISTILL_PYDIST_H
#define DISTILL_PYDIST_H

#include <stdbool.h>
#include <stddef.h>

#include "distill/base/error.h"
#include "distill/base/util.h"

struct pydist_entry {
        char *name;    /* PEP 503-normalised: lower case, runs of -_. as one "-" */
        char *version; /* from the entry's name, or its METADATA/PKG-INFO; NULL when unknown */
        char *package; /* Debian binary package, without an ":arch" qualifier */
        char *path;    /* image path of the .dist-info or .egg-info ("/usr/lib/python3/…") */
};

struct pydist_index;

struct source;
/* The packages of an opened sysroot source (source_open_sysroot: dpkg's installed packages and
 * their file lists, read once, diversions applied); a versionless entry's METADATA/PKG-INFO is
 * read inside the source's root (symlinks resolved within it). */
int pydist_index_source(struct source *src, struct pydist_index **out, struct distill_error *err);

/* Contents indexes (whole, or as apt_fetch_python_contents reduced them): lines
 * "PATH<blanks>[AREA/]SECTION/PKG[,[AREA/]SECTION/PKG…]", the free-text header older archives
 * put before their "FILE  LOCATION" line skipped. */
int pydist_index_contents(const char *const *filtered_contents_paths, size_t n,
                          struct pydist_index **out, struct distill_error *err);

/* Every entry shipping normalized_name (sorted by package, then path), NULL and *n_out 0 for
 * none. Pointers stay valid until pydist_index_free. */
const struct pydist_entry *pydist_lookup(const struct pydist_index *idx,
                                         const char *normalized_name, size_t *n_out);
void pydist_index_free(struct pydist_index *idx);

/* ---- the pieces, for tests, fuzzing and the requirement reader ---- */

/* What a path says: 1 when s[0..n) (with or without its leading '/') is a .dist-info/.egg-info
 * entry or a file under one, filling *name (normalised), *version (NULL when the name has none)
 * and *info_path (the entry's image path); 0 for any other path; all three owned by the caller. */
int pydist_parse_path(const char *s, size_t n, char **name, char **version, char **info_path);

/* One Contents line: 1 with *path (as written, no leading '/') and the packages appended to
 * *packages; 0 for a line of another shape (blank, header text, "FILE  LOCATION"); -1 for a
 * location naming an invalid package. */
int pydist_parse_contents_line(const char *line, size_t len, char **path, struct strvec *packages);

/* An index built from text in memory: Contents text (shown names it in messages), or one dpkg
 * file list of `package` (rootfd, when >= 0, is the open root directory in which versionless
 * entries' METADATA/PKG-INFO is read). pydist_index_new makes an empty one. */
struct pydist_index *pydist_index_new(void);
int pydist_index_add_contents(struct pydist_index *idx, const char *text, size_t len,
                              const char *shown, struct distill_error *err);
int pydist_index_add_list(struct pydist_index *idx, const char *package, const char *text,
                          size_t len, int rootfd, const char *shown, struct distill_error *err);

#endif
