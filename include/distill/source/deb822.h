/* Debian control data (deb822(5)): stanzas of "Name: value" fields, continuation lines starting
 * with a space or a tab, stanzas separated by blank lines. dpkg's status file, Packages indexes,
 * Release files, a .deb's control file and apt's .sources files are all read by this one reader;
 * what each field's value means is left to the caller.
 *
 * The reader works over a caller-owned buffer and copies nothing: a stanza and its fields point
 * into the buffer and into the reader, and stay valid until the next deb822_next call. */
#ifndef DISTILL_DEB822_H
#define DISTILL_DEB822_H

#include <stdbool.h>
#include <stddef.h>

#include "distill/base/error.h"
#include "distill/base/util.h"

/* Caps against hostile input; real Debian files stay far below them. */
#define DEB822_MAX_LINE    ((size_t)1 << 20) /* real Packages indexes have 75 KB Provides lines */
#define DEB822_MAX_FIELDS  256
#define DEB822_MAX_STANZAS (1u << 20)
#define DEB822_MAX_STANZA  ((size_t)8 << 20) /* bytes, unless the format says otherwise */

/* What a kind of file adds to the common syntax. */
struct deb822_format {
        int error_code;    /* the DISTILL_E* kind of a malformed input (EIO, EUSAGE, EINTEGRITY) */
        bool comments;     /* '#' in the first column starts a comment line (apt's .sources) */
        size_t max_stanza; /* bytes of one stanza; 0 for DEB822_MAX_STANZA */
};

struct deb822_field {
        const char *name; /* name_len bytes, not NUL-terminated */
        size_t name_len;
        /* "Name: value\n continuation\n" as in the input, line ends included (and the comment
         * lines between its continuation lines, which are no part of the value) */
        const char *raw;
        size_t raw_len;
        unsigned line;    /* of the "Name:" line */
        unsigned n_lines; /* the field's own line and its continuation lines */
        unsigned hash;    /* of the case-folded name, for lookups */
};

struct deb822_stanza {
        const struct deb822_field *fields; /* in input order, no two with the same name */
        size_t n;                          /* at least 1 */
        unsigned line;                     /* of the first field */
        const char *raw;                   /* first field to the end of the last, as in the input */
        size_t raw_len;
};

struct deb822_reader;

/* A reader over data[0..len) (no NUL byte allowed in it); `display` names the input in messages
 * ("display:line: …") and is borrowed, like data, for the reader's lifetime. */
struct deb822_reader *deb822_open(const char *data, size_t len, const char *display,
                                  const struct deb822_format *fmt);
void deb822_close(struct deb822_reader *r);
/* The next stanza: 1 and *st, 0 at the end of the input, or a negative DISTILL_E* code (the
 * format's error_code) with err naming display:line. Blank lines (spaces, tabs and a CR only)
 * separate stanzas; a field name is made of the characters deb822(5) allows and starts with
 * neither '#' nor '-'; a name appears once per stanza, compared case-insensitively. */
int deb822_next(struct deb822_reader *r, struct deb822_stanza *st, struct distill_error *err);

/* The field called `name`, compared case-insensitively as dpkg and apt do, or NULL. */
const struct deb822_field *deb822_get(const struct deb822_stanza *st, const char *name);
bool deb822_field_is(const struct deb822_field *f, const char *name);

/* The value on the field's own line, without the blanks (and CR) around it; "" when the value
 * starts on the next line. Caller frees. */
char *deb822_first_line(const struct deb822_field *f);
/* The value as deb822(5) reads a folded field: every run of whitespace, line breaks included,
 * becomes one space, and none is left around it. Caller frees. */
char *deb822_folded(const struct deb822_field *f);

/* One line of a value, without the blanks (and CR) around it; not NUL-terminated. */
struct deb822_line {
        const char *s;
        size_t len;
        unsigned line; /* in the input */
        size_t next;   /* private: offset in the field's raw text of the line after it */
};
#define DEB822_LINE_INIT                                                                           \
        {                                                                                          \
                NULL, 0, 0, 0                                                                      \
        }
/* Steps *l (from DEB822_LINE_INIT) through the value's lines: the rest of the field's own line,
 * then each continuation line (comment lines skipped). False after the last. */
bool deb822_next_line(const struct deb822_field *f, struct deb822_line *l);

enum deb822_lines_flags {
        DEB822_DOT_IS_EMPTY = 1, /* a continuation line " ." stands for an empty line, as in
                                  * Description and in an inline Signed-By key */
};
/* The value's lines, as deb822_next_line gives them, appended to out. */
void deb822_lines(const struct deb822_field *f, unsigned flags, struct strvec *out);

#endif
