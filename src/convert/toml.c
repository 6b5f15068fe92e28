/* TOML 1.0 reader (toml.h). One pass over the text, recursive only for arrays and inline tables
 * (capped). What may be redefined follows Python's tomllib, the oracle the unit test runs,
 * whose flags are kept per key path; here they are kept per table, which comes to the same:
 * - a table made by a [header] is "defined": no second [header] for it, no dotted key through it;
 * - a table that dotted keys went through in one section (the lines after one header) is sealed
 *   from the next header on: no [header] for it, no dotted key from another section through it,
 *   though a [header] may still define tables below it;
 * - inline tables and arrays written as values carry no table_info at all: nothing extends them;
 * - an array made by [[header]] has a table_info; paths through it reach its last element. */
#include "distill/convert/toml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"

struct table_info {
        bool defined;          /* by a [header], or an element of a [[header]] array */
        bool array_of_tables;  /* the array a [[header]] appends to */
        size_t dotted_section; /* the first section whose dotted keys went through it, or 0 */
};

struct parser {
        const char *name;
        const char *s; /* the text with CRLF turned into LF, as the specification allows */
        size_t len;
        size_t pos;
        struct distill_error *err;
        struct strmap info; /* "%p" of a json_t → its struct table_info */
        json_t *root;
        json_t *current; /* the table the last header opened */
        size_t section;  /* 1 before the first header, +1 at each */
        size_t n_values;
        unsigned nesting;
};

struct key_part {
        char *s;
        size_t n;
        size_t pos;
};

struct key {
        struct key_part v[TOML_MAX_KEY_PARTS];
        size_t n;
};

static void key_release(struct key *k)
{
        for (size_t i = 0; i < k->n; i++)
                free(k->v[i].s);
        k->n = 0;
}

/* ---- positions and errors ---- */

static void position(const struct parser *p, size_t pos, unsigned long *line, unsigned long *col)
{
        *line = 1;
        *col = 1;
        for (size_t i = 0; i < pos && i < p->len; i++) {
                unsigned char c = (unsigned char)p->s[i];
                if (c == '\n') {
                        ++*line;
                        *col = 1;
                } else if ((c & 0xc0) != 0x80) {
                        ++*col;
                }
        }
}

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, size_t pos, const char *fmt,
                                                      ...)
{
        char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        unsigned long line, col;
        position(p, pos, &line, &col);
        int r = distill_error_set(p->err, DISTILL_EUSAGE, "%s:%lu:%lu: %s", p->name, line, col,
                                  msg ? msg : fmt);
        free(msg);
        return r;
}

/* A key for messages: parts joined with dots, those that are not bare quoted, anything that is
 * not printable ASCII shown as '?', cut at 200 bytes. */
static char *key_text(const struct key *k, size_t n_parts)
{
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < n_parts && sb.len < 200; i++) {
                bool bare = k->v[i].n > 0;
                for (size_t j = 0; j < k->v[i].n; j++) {
                        char c = k->v[i].s[j];
                        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '_' || c == '-'))
                                bare = false;
                }
                if (i)
                        strbuf_addch(&sb, '.');
                if (!bare)
                        strbuf_addch(&sb, '"');
                for (size_t j = 0; j < k->v[i].n && j < 100; j++) {
                        unsigned char c = (unsigned char)k->v[i].s[j];
                        strbuf_addch(&sb, c >= 0x20 && c < 0x7f ? (char)c : '?');
                }
                if (!bare)
                        strbuf_addch(&sb, '"');
        }
        return strbuf_detach(&sb);
}

/* ---- characters ---- */

static int at(const struct parser *p, size_t i)
{
        return i < p->len ? (unsigned char)p->s[i] : -1;
}

static int peek(const struct parser *p)
{
        return at(p, p->pos);
}

static bool starts(const struct parser *p, const char *lit)
{
        size_t n = strlen(lit);
        return p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0;
}

static bool is_control(int c)
{
        return (c >= 0 && c < 0x20) || c == 0x7f;
}

static bool is_digit(int c)
{
        return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_oct(int c)
{
        return c >= '0' && c <= '7';
}

static bool is_bin(int c)
{
        return c == '0' || c == '1';
}

static bool is_bare_key_char(int c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
               c == '-';
}

static void skip_ws(struct parser *p)
{
        while (peek(p) == ' ' || peek(p) == '\t')
                p->pos++;
}

static int skip_comment(struct parser *p)
{
        if (peek(p) != '#')
                return 0;
        for (p->pos++; p->pos < p->len && p->s[p->pos] != '\n'; p->pos++)
                if (is_control(peek(p)) && peek(p) != '\t')
                        return fail(p, p->pos, "control character U+%04X in a comment",
                                    (unsigned)peek(p));
        return 0;
}

/* Blanks, newlines and comments, as arrays allow between their values. */
static int skip_array_space(struct parser *p)
{
        for (;;) {
                while (peek(p) == ' ' || peek(p) == '\t' || peek(p) == '\n')
                        p->pos++;
                if (peek(p) != '#')
                        return 0;
                int r = skip_comment(p);
                if (r < 0)
                        return r;
        }
}

/* Offset of the first byte of s[0..len) that does not begin a well-formed UTF-8 sequence (no
 * overlong forms, no surrogates, nothing above U+10FFFF), or len. */
static size_t utf8_invalid_at(const char *s, size_t len)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t i = 0;
        while (i < len) {
                unsigned char c = u[i];
                size_t n;
                unsigned char lo = 0x80, hi = 0xbf;
                if (c < 0x80) {
                        i++;
                        continue;
                } else if (c >= 0xc2 && c <= 0xdf) {
                        n = 1;
                } else if (c >= 0xe0 && c <= 0xef) {
                        n = 2;
                        if (c == 0xe0)
                                lo = 0xa0;
                        else if (c == 0xed)
                                hi = 0x9f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n = 3;
                        if (c == 0xf0)
                                lo = 0x90;
                        else if (c == 0xf4)
                                hi = 0x8f;
                } else {
                        return i;
                }
                if (len - i <= n || u[i + 1] < lo || u[i + 1] > hi)
                        return i;
                for (size_t k = 2; k <= n; k++)
                        if ((u[i + k] & 0xc0) != 0x80)
                                return i;
                i += n + 1;
        }
        return len;
}

static void add_utf8(struct strbuf *sb, uint32_t cp)
{
        char b[4];
        size_t n;
        if (cp < 0x80) {
                b[0] = (char)cp;
                n = 1;
        } else if (cp < 0x800) {
                b[0] = (char)(0xc0 | (cp >> 6));
                b[1] = (char)(0x80 | (cp & 0x3f));
                n = 2;
        } else if (cp < 0x10000) {
                b[0] = (char)(0xe0 | (cp >> 12));
                b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                b[2] = (char)(0x80 | (cp & 0x3f));
                n = 3;
        } else {
                b[0] = (char)(0xf0 | (cp >> 18));
                b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                b[3] = (char)(0x80 | (cp & 0x3f));
                n = 4;
        }
        strbuf_add(sb, b, n);
}

/* ---- values and tables ---- */

static int count_value(struct parser *p)
{
        if (++p->n_values > TOML_MAX_VALUES)
                return fail(p, p->pos, "more than %u values", (unsigned)TOML_MAX_VALUES);
        return 0;
}

/* jansson fails only on exhausted memory here (every string is valid UTF-8 by construction):
 * treated as xmalloc does. */
static json_t *must(json_t *j)
{
        if (!j)
                abort();
        return j;
}

static void set_member(json_t *obj, const struct key_part *k, json_t *value)
{
        if (json_object_setn_new(obj, k->s, k->n, value) < 0)
                abort();
}

static struct table_info *info_of(struct parser *p, const json_t *j)
{
        char k[32];
        snprintf(k, sizeof(k), "%p", (const void *)j);
        return strmap_get(&p->info, k);
}

/* A table (or [[header]] array) the document's structure makes, with its info. */
static json_t *new_structural(struct parser *p, json_t *j, struct table_info init)
{
        char k[32];
        struct table_info *info = xmalloc(sizeof(*info));
        *info = init;
        snprintf(k, sizeof(k), "%p", (void *)j);
        strmap_put(&p->info, k, info);
        return j;
}

static bool sealed(const struct parser *p, const struct table_info *info)
{
        return info->dotted_section && info->dotted_section < p->section;
}

/* ---- strings ---- */

static int parse_escape(struct parser *p, bool multiline, struct strbuf *sb)
{
        size_t start = p->pos;
        int c = at(p, p->pos + 1);
        if (multiline && (c == ' ' || c == '\t' || c == '\n')) {
                /* a line-ending backslash: it and all blanks and newlines after it go */
                p->pos++;
                skip_ws(p);
                if (peek(p) < 0)
                        return 0;
                if (peek(p) != '\n')
                        return fail(p, start, "a backslash followed by blanks must end the line");
                while (peek(p) == ' ' || peek(p) == '\t' || peek(p) == '\n')
                        p->pos++;
                return 0;
        }
        static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
        const char *m = c > 0 ? strchr(from, c) : NULL;
        if (m) {
                strbuf_addch(sb, to[m - from]);
                p->pos += 2;
                return 0;
        }
        if (c != 'u' && c != 'U')
                return fail(p, start, "invalid escape sequence in a string");
        size_t n = c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (size_t i = 0; i < n; i++) {
                int h = at(p, p->pos + 2 + i);
                if (!is_hex(h))
                        return fail(p, start, "\\%c needs %zu hexadecimal digits", c, n);
                cp = cp * 16 + (uint32_t)(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return fail(p, start, "\\%c escape U+%X is not a Unicode scalar value", c,
                            (unsigned)cp);
        add_utf8(sb, cp);
        p->pos += 2 + n;
        return 0;
}

/* After the opening quote(s); leaves pos after the closing ones. */
static int parse_basic_body(struct parser *p, bool multiline, struct strbuf *sb, size_t start)
{
        for (;;) {
                int c = peek(p);
                if (c < 0)
                        return fail(p, start, "unterminated string");
                if (c == '"') {
                        if (!multiline) {
                                p->pos++;
                                return 0;
                        }
                        if (starts(p, "\"\"\"")) {
                                p->pos += 3;
                                return 0;
                        }
                } else if (c == '\\') {
                        int r = parse_escape(p, multiline, sb);
                        if (r < 0)
                                return r;
                        continue;
                } else if (c == '\n' && !multiline) {
                        return fail(p, start, "unterminated string (it ends before the line)");
                } else if (is_control(c) && c != '\t' && c != '\n') {
                        return fail(p, p->pos, "control character U+%04X in a string", (unsigned)c);
                }
                strbuf_addch(sb, (char)c);
                p->pos++;
        }
}

static int parse_literal_body(struct parser *p, bool multiline, struct strbuf *sb, size_t start)
{
        for (;;) {
                int c = peek(p);
                if (c < 0)
                        return fail(p, start, "unterminated string");
                if (c == '\'' && (!multiline || starts(p, "'''"))) {
                        p->pos += multiline ? 3 : 1;
                        return 0;
                }
                if (c == '\n' && !multiline)
                        return fail(p, start, "unterminated string (it ends before the line)");
                if (is_control(c) && c != '\t' && c != '\n')
                        return fail(p, p->pos, "control character U+%04X in a string", (unsigned)c);
                strbuf_addch(sb, (char)c);
                p->pos++;
        }
}

/* Any of the four string forms, pos at the first quote. */
static int parse_string(struct parser *p, bool allow_multiline, struct strbuf *sb)
{
        size_t start = p->pos;
        char q = p->s[p->pos];
        bool multiline = allow_multiline && starts(p, q == '"' ? "\"\"\"" : "'''");
        int r;
        p->pos += multiline ? 3 : 1;
        if (multiline && peek(p) == '\n')
                p->pos++; /* a newline right after the opening quotes is trimmed */
        if (q == '"')
                r = parse_basic_body(p, multiline, sb, start);
        else
                r = parse_literal_body(p, multiline, sb, start);
        if (r < 0 || !multiline)
                return r;
        /* up to two quotes right before the closing three belong to the string */
        for (int i = 0; i < 2 && peek(p) == q; i++) {
                strbuf_addch(sb, q);
                p->pos++;
        }
        return 0;
}

/* ---- keys ---- */

static int parse_key(struct parser *p, struct key *k)
{
        k->n = 0;
        for (;;) {
                if (k->n == TOML_MAX_KEY_PARTS)
                        return fail(p, p->pos, "a key of more than %d parts", TOML_MAX_KEY_PARTS);
                struct key_part *part = &k->v[k->n];
                part->pos = p->pos;
                int c = peek(p);
                if (is_bare_key_char(c)) {
                        size_t b = p->pos;
                        while (is_bare_key_char(peek(p)))
                                p->pos++;
                        part->s = xstrndup(p->s + b, p->pos - b);
                        part->n = p->pos - b;
                } else if (c == '"' || c == '\'') {
                        struct strbuf sb = STRBUF_INIT;
                        int r = parse_string(p, false, &sb);
                        if (r < 0) {
                                strbuf_release(&sb);
                                return r;
                        }
                        part->n = sb.len;
                        strbuf_addch(&sb, '\0'); /* an empty key still gets its buffer */
                        part->s = strbuf_detach(&sb);
                } else {
                        return fail(p, p->pos,
                                    "expected a key (letters, digits, '-', '_' or a quoted "
                                    "string)");
                }
                k->n++;
                skip_ws(p);
                if (peek(p) != '.')
                        return 0;
                p->pos++;
                skip_ws(p);
        }
}

/* ---- scalars ---- */

/* D(_?D)* at i: the end of the match, or i. */
static size_t digits_at(const struct parser *p, size_t i, bool (*digit)(int))
{
        if (!digit(at(p, i)))
                return i;
        for (i++;;) {
                if (digit(at(p, i)))
                        i++;
                else if (at(p, i) == '_' && digit(at(p, i + 1)))
                        i += 2;
                else
                        return i;
        }
}

static char *without_underscores(const char *s, size_t n)
{
        char *out = xmalloc(n + 1);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (s[i] != '_')
                        out[k++] = s[i];
        out[k] = '\0';
        return out;
}

/* An integer or a float, as the grammar's regular expressions match them (the longest match:
 * what is left, "0123"'s "123", makes the line invalid). *out stays NULL when nothing matches. */
static int parse_number(struct parser *p, json_t **out)
{
        size_t b = p->pos, i = b, end = b;
        int base = 10;
        bool is_float = false;
        if (at(p, i) == '0' &&
            (at(p, i + 1) == 'x' || at(p, i + 1) == 'o' || at(p, i + 1) == 'b')) {
                int x = at(p, i + 1);
                base = x == 'x' ? 16 : x == 'o' ? 8 : 2;
                end = digits_at(p, i + 2, base == 16 ? is_hex : base == 8 ? is_oct : is_bin);
                if (end > i + 2)
                        b = i + 2;
                else
                        base = 10;
        }
        if (base == 10) {
                if (at(p, i) == '+' || at(p, i) == '-')
                        i++;
                if (at(p, i) == '0')
                        i++;
                else if (at(p, i) >= '1' && at(p, i) <= '9')
                        i = digits_at(p, i, is_digit);
                else
                        return 0;
                if (at(p, i) == '.' && (end = digits_at(p, i + 1, is_digit)) > i + 1) {
                        i = end;
                        is_float = true;
                }
                if (at(p, i) == 'e' || at(p, i) == 'E') {
                        size_t j = i + 1;
                        if (at(p, j) == '+' || at(p, j) == '-')
                                j++;
                        if ((end = digits_at(p, j, is_digit)) > j) {
                                i = end;
                                is_float = true;
                        }
                }
                end = i;
        }
        int r = count_value(p);
        if (r < 0)
                return r;
        cleanup_free char *text = without_underscores(p->s + b, end - b);
        char *stop;
        errno = 0;
        if (is_float) {
                double d = strtod(text, &stop);
                if (isnan(d))
                        *out = must(json_string("nan"));
                else if (isinf(d))
                        *out = must(json_string(d > 0 ? "inf" : "-inf"));
                else
                        *out = must(json_real(d));
        } else {
                long long v = strtoll(text, &stop, base);
                if (errno == ERANGE)
                        return fail(p, p->pos, "integer out of the 64-bit range");
                *out = must(json_integer(v));
        }
        p->pos = end;
        return 0;
}

static bool two_digits(const struct parser *p, size_t i, int max, int *v)
{
        if (!is_digit(at(p, i)) || !is_digit(at(p, i + 1)))
                return false;
        *v = (at(p, i) - '0') * 10 + at(p, i + 1) - '0';
        return *v <= max;
}

struct clock {
        int hour, minute, second;
        long micro;
};

/* HH:MM:SS[.fraction] at i: the end of the match, or 0. */
static size_t time_at(const struct parser *p, size_t i, struct clock *t)
{
        if (!two_digits(p, i, 23, &t->hour) || at(p, i + 2) != ':' ||
            !two_digits(p, i + 3, 59, &t->minute) || at(p, i + 5) != ':' ||
            !two_digits(p, i + 6, 59, &t->second))
                return 0;
        i += 8;
        t->micro = 0;
        if (at(p, i) == '.' && is_digit(at(p, i + 1))) {
                int n = 0;
                for (i++; is_digit(at(p, i)); i++)
                        if (n < 6) {
                                t->micro = t->micro * 10 + at(p, i) - '0';
                                n++;
                        }
                for (; n < 6; n++)
                        t->micro *= 10;
        }
        return i;
}

static void add_clock(struct strbuf *sb, const struct clock *t)
{
        strbuf_addf(sb, "%02d:%02d:%02d", t->hour, t->minute, t->second);
        if (t->micro)
                strbuf_addf(sb, ".%06ld", t->micro);
}

static int days_in_month(int year, int month)
{
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return month == 2 && leap ? 29 : days[month - 1];
}

/* A date-time, date or time: *out stays NULL when none starts at pos. */
static int parse_datetime(struct parser *p, json_t **out)
{
        size_t i = p->pos;
        struct clock t;
        struct strbuf sb = STRBUF_INIT;
        int year = 0, month, day;
        for (int k = 0; k < 4; k++)
                year = is_digit(at(p, i + k)) && year >= 0 ? year * 10 + at(p, i + k) - '0' : -1;
        if (year < 0 || at(p, i + 4) != '-' || !two_digits(p, i + 5, 12, &month) || month < 1 ||
            at(p, i + 7) != '-' || !two_digits(p, i + 8, 31, &day) || day < 1) {
                size_t end = time_at(p, i, &t);
                if (!end)
                        return 0;
                int r = count_value(p);
                if (r < 0)
                        return r;
                add_clock(&sb, &t);
                *out = must(json_string(sb.buf));
                strbuf_release(&sb);
                p->pos = end;
                return 0;
        }
        if (year < 1 || day > days_in_month(year, month))
                return fail(p, p->pos, "invalid date");
        int r = count_value(p);
        if (r < 0)
                return r;
        strbuf_addf(&sb, "%04d-%02d-%02d", year, month, day);
        i += 10;
        int c = at(p, i);
        size_t end;
        if ((c == 'T' || c == 't' || c == ' ') && (end = time_at(p, i + 1, &t))) {
                strbuf_addch(&sb, 'T');
                add_clock(&sb, &t);
                i = end;
                int oh, om;
                if (at(p, i) == 'Z' || at(p, i) == 'z') {
                        strbuf_addch(&sb, 'Z');
                        i++;
                } else if ((at(p, i) == '+' || at(p, i) == '-') && two_digits(p, i + 1, 23, &oh) &&
                           at(p, i + 3) == ':' && two_digits(p, i + 4, 59, &om)) {
                        if (oh || om)
                                strbuf_addf(&sb, "%c%02d:%02d", at(p, i), oh, om);
                        else
                                strbuf_addch(&sb, 'Z');
                        i += 6;
                }
        }
        *out = must(json_string(sb.buf));
        strbuf_release(&sb);
        p->pos = i;
        return 0;
}

/* ---- arrays and inline tables ---- */

static int parse_value(struct parser *p, json_t **out);

static int parse_array(struct parser *p, json_t **out)
{
        json_t *a = must(json_array());
        int r;
        p->pos++;
        if ((r = skip_array_space(p)) < 0)
                goto fail;
        while (peek(p) != ']') {
                json_t *v;
                if ((r = parse_value(p, &v)) < 0)
                        goto fail;
                json_array_append_new(a, v);
                if ((r = skip_array_space(p)) < 0)
                        goto fail;
                if (peek(p) == ']')
                        break;
                if (peek(p) != ',') {
                        r = fail(p, p->pos, "expected ',' or ']' after an array element");
                        goto fail;
                }
                p->pos++;
                if ((r = skip_array_space(p)) < 0)
                        goto fail;
        }
        p->pos++;
        *out = a;
        return 0;
fail:
        json_decref(a);
        return r;
}

/* key = value inside an inline table: dotted keys may extend only the tables that dotted keys
 * of this same inline table made. */
static int inline_insert(struct parser *p, json_t *obj, const struct key *k, json_t *value)
{
        json_t *t = obj;
        for (size_t i = 0; i + 1 < k->n; i++) {
                json_t *child = json_object_getn(t, k->v[i].s, k->v[i].n);
                if (!child) {
                        child = new_structural(p, must(json_object()), (struct table_info){0});
                        set_member(t, &k->v[i], child);
                } else if (!json_is_object(child) || !info_of(p, child)) {
                        cleanup_free char *name = key_text(k, i + 1);
                        json_decref(value);
                        return fail(p, k->v[i].pos, "%s is already %s: cannot extend it", name,
                                    json_is_object(child) ? "an inline table" : "a value");
                }
                t = child;
        }
        const struct key_part *stem = &k->v[k->n - 1];
        if (json_object_getn(t, stem->s, stem->n)) {
                cleanup_free char *name = key_text(k, k->n);
                json_decref(value);
                return fail(p, stem->pos, "key %s defined twice", name);
        }
        set_member(t, stem, value);
        return 0;
}

static int parse_inline_table(struct parser *p, json_t **out)
{
        json_t *obj = must(json_object());
        struct key k = {.n = 0};
        int r;
        p->pos++;
        skip_ws(p);
        if (peek(p) == '}') {
                p->pos++;
                *out = obj;
                return 0;
        }
        for (;;) {
                json_t *v;
                if ((r = parse_key(p, &k)) < 0)
                        goto fail;
                if (peek(p) != '=') {
                        r = fail(p, p->pos, "expected '=' after a key");
                        goto fail;
                }
                p->pos++;
                skip_ws(p);
                if ((r = parse_value(p, &v)) < 0 || (r = inline_insert(p, obj, &k, v)) < 0)
                        goto fail;
                key_release(&k);
                skip_ws(p);
                if (peek(p) == '}')
                        break;
                if (peek(p) != ',') {
                        r = fail(p, p->pos,
                                 "expected ',' or '}' after a value of an inline table (which "
                                 "fits on one line)");
                        goto fail;
                }
                p->pos++;
                skip_ws(p);
        }
        p->pos++;
        *out = obj;
        return 0;
fail:
        key_release(&k);
        json_decref(obj);
        return r;
}

/* In the order tomllib tries them: strings, booleans, arrays, inline tables, date-times,
 * numbers, inf and nan. */
static int parse_value(struct parser *p, json_t **out)
{
        int c = peek(p), r;
        *out = NULL;
        if (c == '"' || c == '\'') {
                struct strbuf sb = STRBUF_INIT;
                if ((r = count_value(p)) < 0 || (r = parse_string(p, true, &sb)) < 0) {
                        strbuf_release(&sb);
                        return r;
                }
                *out = must(json_stringn(sb.buf ? sb.buf : "", sb.len));
                strbuf_release(&sb);
                return 0;
        }
        if (starts(p, "true") || starts(p, "false")) {
                if ((r = count_value(p)) < 0)
                        return r;
                *out = must(json_boolean(c == 't'));
                p->pos += c == 't' ? 4 : 5;
                return 0;
        }
        if (c == '[' || c == '{') {
                if (p->nesting >= TOML_MAX_NESTING)
                        return fail(p, p->pos, "arrays and inline tables nested more than %d deep",
                                    TOML_MAX_NESTING);
                if ((r = count_value(p)) < 0)
                        return r;
                p->nesting++;
                r = c == '[' ? parse_array(p, out) : parse_inline_table(p, out);
                p->nesting--;
                return r;
        }
        if ((r = parse_datetime(p, out)) < 0 || *out)
                return r;
        if ((r = parse_number(p, out)) < 0 || *out)
                return r;
        static const char *const special[] = {"inf", "nan", "+inf", "-inf", "+nan", "-nan"};
        for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
                if (starts(p, special[i])) {
                        if ((r = count_value(p)) < 0)
                                return r;
                        const char *s = special[i];
                        bool nan = strstr(s, "nan") != NULL;
                        *out = must(json_string(nan ? "nan" : s[0] == '-' ? "-inf" : "inf"));
                        p->pos += strlen(s);
                        return 0;
                }
        return fail(p, p->pos, "expected a value");
}

/* ---- statements ---- */

/* The table a [header]'s part i leads to from t: created when absent, the last element of an
 * array of tables. Refused: values and inline tables or arrays. */
static int header_step(struct parser *p, const struct key *k, size_t i, json_t **t)
{
        json_t *child = json_object_getn(*t, k->v[i].s, k->v[i].n);
        if (!child) {
                child = new_structural(p, must(json_object()), (struct table_info){0});
                set_member(*t, &k->v[i], child);
                *t = child;
                return 0;
        }
        struct table_info *info = info_of(p, child);
        if (!info || !(json_is_object(child) || json_is_array(child))) {
                cleanup_free char *name = key_text(k, i + 1);
                return fail(p, k->v[i].pos, "%s is already %s: a header cannot extend it", name,
                            json_is_object(child)  ? "an inline table"
                            : json_is_array(child) ? "an inline array"
                                                   : "a value");
        }
        if (json_is_array(child))
                child = json_array_get(child, json_array_size(child) - 1);
        *t = child;
        return 0;
}

static int open_table(struct parser *p, const struct key *k)
{
        json_t *t = p->root;
        int r;
        for (size_t i = 0; i + 1 < k->n; i++)
                if ((r = header_step(p, k, i, &t)) < 0)
                        return r;
        const struct key_part *stem = &k->v[k->n - 1];
        json_t *child = json_object_getn(t, stem->s, stem->n);
        struct table_info *info = child ? info_of(p, child) : NULL;
        if (child && (!info || info->defined || info->array_of_tables || sealed(p, info))) {
                cleanup_free char *name = key_text(k, k->n);
                const char *why = !json_is_object(child) && !json_is_array(child) ? "a value"
                                  : !info                 ? "an inline table or array"
                                  : info->array_of_tables ? "an array of tables"
                                  : info->defined         ? "a table defined by a header"
                                                          : "a table defined by dotted keys";
                return fail(p, stem->pos, "table [%s] defined twice: it is already %s", name, why);
        }
        if (!child) {
                child = new_structural(p, must(json_object()), (struct table_info){0});
                set_member(t, stem, child);
                info = info_of(p, child);
        }
        info->defined = true;
        p->current = child;
        return 0;
}

static int open_array_table(struct parser *p, const struct key *k)
{
        json_t *t = p->root;
        int r;
        for (size_t i = 0; i + 1 < k->n; i++)
                if ((r = header_step(p, k, i, &t)) < 0)
                        return r;
        const struct key_part *stem = &k->v[k->n - 1];
        json_t *array = json_object_getn(t, stem->s, stem->n);
        if (array) {
                struct table_info *info = info_of(p, array);
                if (!info || !info->array_of_tables) {
                        cleanup_free char *name = key_text(k, k->n);
                        return fail(p, stem->pos,
                                    "[[%s]]: %s is already %s, not an array of tables", name, name,
                                    json_is_array(array)    ? "an inline array"
                                    : json_is_object(array) ? "a table"
                                                            : "a value");
                }
        } else {
                array = new_structural(p, must(json_array()),
                                       (struct table_info){.array_of_tables = true});
                set_member(t, stem, array);
        }
        json_t *element =
            new_structural(p, must(json_object()), (struct table_info){.defined = true});
        json_array_append_new(array, element);
        p->current = element;
        return 0;
}

static int header(struct parser *p)
{
        struct key k = {.n = 0};
        bool array = at(p, p->pos + 1) == '[';
        int r;
        p->section++;
        p->pos += array ? 2 : 1;
        skip_ws(p);
        if ((r = count_value(p)) < 0 || (r = parse_key(p, &k)) < 0)
                goto out;
        if (!starts(p, array ? "]]" : "]")) {
                r = fail(p, p->pos, "expected '%s' to close the table header", array ? "]]" : "]");
                goto out;
        }
        p->pos += array ? 2 : 1;
        r = array ? open_array_table(p, &k) : open_table(p, &k);
out:
        key_release(&k);
        return r;
}

static int key_value(struct parser *p)
{
        struct key k = {.n = 0};
        json_t *value = NULL;
        json_t *t = p->current;
        int r;
        if ((r = parse_key(p, &k)) < 0)
                goto out;
        if (peek(p) != '=') {
                r = fail(p, p->pos, "expected '=' after a key");
                goto out;
        }
        p->pos++;
        skip_ws(p);
        if ((r = parse_value(p, &value)) < 0)
                goto out;
        for (size_t i = 0; i + 1 < k.n; i++) {
                json_t *child = json_object_getn(t, k.v[i].s, k.v[i].n);
                if (!child) {
                        child = new_structural(p, must(json_object()),
                                               (struct table_info){.dotted_section = p->section});
                        set_member(t, &k.v[i], child);
                        t = child;
                        continue;
                }
                struct table_info *info = info_of(p, child);
                if (!json_is_object(child) || !info || info->defined || sealed(p, info)) {
                        cleanup_free char *name = key_text(&k, i + 1);
                        r = fail(p, k.v[i].pos, "dotted key cannot extend %s: it is %s", name,
                                 json_is_array(child)     ? "an array"
                                 : !json_is_object(child) ? "a value"
                                 : !info                  ? "an inline table"
                                 : info->defined          ? "a table defined by a header"
                                                 : "a table defined by dotted keys elsewhere");
                        goto out;
                }
                if (!info->dotted_section)
                        info->dotted_section = p->section;
                t = child;
        }
        const struct key_part *stem = &k.v[k.n - 1];
        if (json_object_getn(t, stem->s, stem->n)) {
                cleanup_free char *name = key_text(&k, k.n);
                r = fail(p, stem->pos, "key %s defined twice", name);
                goto out;
        }
        set_member(t, stem, value);
        value = NULL;
out:
        json_decref(value);
        key_release(&k);
        return r;
}

static int parse_document(struct parser *p)
{
        int r;
        for (;;) {
                skip_ws(p);
                int c = peek(p);
                if (c < 0)
                        return 0;
                if (c == '\n') {
                        p->pos++;
                        continue;
                }
                if (is_bare_key_char(c) || c == '"' || c == '\'') {
                        if ((r = key_value(p)) < 0)
                                return r;
                } else if (c == '[') {
                        if ((r = header(p)) < 0)
                                return r;
                } else if (c != '#') {
                        return fail(p, p->pos, "expected a key, a [table] header or a comment");
                }
                skip_ws(p);
                if ((r = skip_comment(p)) < 0)
                        return r;
                if (peek(p) < 0)
                        return 0;
                if (peek(p) != '\n')
                        return fail(p, p->pos, "expected the end of the line");
                p->pos++;
        }
}

int toml_parse(const char *name, const char *text, size_t len, json_t **out,
               struct distill_error *err)
{
        struct parser p = {.name = name, .err = err, .section = 1};
        *out = NULL;
        if (len > TOML_MAX_SIZE)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %u bytes", name,
                                         (unsigned)TOML_MAX_SIZE);
        char *s = xmalloc(len + 1);
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
                        s[n++] = text[i];
        s[n] = '\0';
        p.s = s;
        p.len = n;
        size_t bad = utf8_invalid_at(s, n);
        int r;
        if (bad < n) {
                r = fail(&p, bad, "not valid UTF-8");
                goto out;
        }
        p.root = must(json_object());
        p.current = p.root;
        r = parse_document(&p);
        if (r < 0)
                json_decref(p.root);
        else
                *out = p.root;
out:
        strmap_clear(&p.info, free);
        free(s);
        return r;
}

int toml_read_file(const char *path, json_t **out, struct distill_error *err)
{
        char *data = NULL;
        size_t len = 0;
        *out = NULL;
        int e = read_file_capped(path, TOML_MAX_SIZE, &data, &len);
        if (e == -EFBIG)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %u bytes", path,
                                         (unsigned)TOML_MAX_SIZE);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot read %s", path);
        int r = toml_parse(path, data, len, out, err);
        free(data);
        return r;
}
