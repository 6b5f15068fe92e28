/* deb822(5) control data: one line at a time over the caller's buffer, fields recorded as spans
 * of it. Duplicate names are found through a small hash table per stanza rather than by
 * comparing every pair, so a hostile file of many 256-field stanzas stays linear. */
#include "distill/source/deb822.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A power of two at least twice DEB822_MAX_FIELDS: the probe sequences stay short. */
#define NAME_SLOTS 512

struct deb822_reader {
        const char *data;
        size_t len;
        const char *display;
        struct deb822_format fmt;
        size_t pos;    /* offset of the next line */
        unsigned line; /* number of the last line read */
        bool nul_checked;
        size_t n_stanzas;

        struct deb822_field fields[DEB822_MAX_FIELDS];
        size_t n;
        /* name table of the current stanza: a slot is in use when its stamp is the stanza's */
        unsigned short slot_field[NAME_SLOTS];
        unsigned slot_stamp[NAME_SLOTS];
        unsigned stamp;
};

struct deb822_reader *deb822_open(const char *data, size_t len, const char *display,
                                  const struct deb822_format *fmt)
{
        struct deb822_reader *r = xcalloc(1, sizeof(*r));
        r->data = data;
        r->len = len;
        r->display = display;
        r->fmt = *fmt;
        if (!r->fmt.max_stanza)
                r->fmt.max_stanza = DEB822_MAX_STANZA;
        return r;
}

void deb822_close(struct deb822_reader *r)
{
        free(r);
}

/* --- names ----------------------------------------------------------------------------------- */

static unsigned char ascii_lower(unsigned char c)
{
        return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* FNV-1a over the lower-cased name: equal for names that compare equal case-insensitively. */
static unsigned name_hash(const char *name, size_t len)
{
        unsigned h = 2166136261u;
        for (size_t i = 0; i < len; i++)
                h = (h ^ ascii_lower((unsigned char)name[i])) * 16777619u;
        return h;
}

static bool same_name(const struct deb822_field *f, const char *name, size_t len, unsigned hash)
{
        return f->hash == hash && f->name_len == len && strncasecmp(f->name, name, len) == 0;
}

/* deb822(5): US-ASCII without control characters, space and colon. */
static bool name_char_valid(char c)
{
        return c >= '!' && c <= '~' && c != ':';
}

static void start_stanza(struct deb822_reader *r)
{
        r->n = 0;
        if (++r->stamp == 0) { /* wrapped: stale stamps could match again */
                memset(r->slot_stamp, 0, sizeof(r->slot_stamp));
                r->stamp = 1;
        }
}

/* Enters field i in the name table; false when the stanza already has that name. */
static bool remember_name(struct deb822_reader *r, size_t i)
{
        const struct deb822_field *f = &r->fields[i];
        for (unsigned s = f->hash & (NAME_SLOTS - 1);; s = (s + 1) & (NAME_SLOTS - 1)) {
                if (r->slot_stamp[s] != r->stamp) {
                        r->slot_stamp[s] = r->stamp;
                        r->slot_field[s] = (unsigned short)i;
                        return true;
                }
                if (same_name(&r->fields[r->slot_field[s]], f->name, f->name_len, f->hash))
                        return false;
        }
}

/* --- lines ----------------------------------------------------------------------------------- */

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* Blanks and the CR of a CRLF line end are no part of a value. */
static bool is_trimmed(char c)
{
        return is_blank(c) || c == '\r';
}

static bool line_is_blank(const char *p, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (!is_trimmed(p[i]))
                        return false;
        return true;
}

static int parse_field_line(struct deb822_reader *r, const char *line, size_t len, size_t with_nl,
                            struct distill_error *err)
{
        const char *colon = memchr(line, ':', len);
        int code = r->fmt.error_code;

        if (line[0] == '#')
                return distill_error_set(err, code, "%s:%u: comment line (this file has none)",
                                         r->display, r->line);
        if (!colon)
                return distill_error_set(err, code, "%s:%u: expected 'Field: value'", r->display,
                                         r->line);
        if (colon == line)
                return distill_error_set(err, code, "%s:%u: empty field name", r->display, r->line);
        for (const char *p = line; p < colon; p++)
                if (!name_char_valid(*p))
                        return distill_error_set(err, code,
                                                 "%s:%u: invalid character in field name",
                                                 r->display, r->line);
        if (line[0] == '-')
                return distill_error_set(err, code, "%s:%u: field name starts with '-'", r->display,
                                         r->line);
        if (r->n == DEB822_MAX_FIELDS)
                return distill_error_set(err, code, "%s:%u: more than %d fields in one stanza",
                                         r->display, r->line, DEB822_MAX_FIELDS);
        size_t name_len = (size_t)(colon - line);
        r->fields[r->n] = (struct deb822_field){
            .name = line,
            .name_len = name_len,
            .raw = line,
            .raw_len = with_nl,
            .line = r->line,
            .n_lines = 1,
            .hash = name_hash(line, name_len),
        };
        if (!remember_name(r, r->n))
                return distill_error_set(err, code, "%s:%u: duplicate field %.*s", r->display,
                                         r->line, (int)name_len, line);
        r->n++;
        return 0;
}

/* A continuation line extends the last field over it (and over any comment lines before it). */
static int continue_field(struct deb822_reader *r, size_t line_end, struct distill_error *err)
{
        if (r->n == 0)
                return distill_error_set(err, r->fmt.error_code,
                                         "%s:%u: continuation line outside a field", r->display,
                                         r->line);
        struct deb822_field *f = &r->fields[r->n - 1];
        f->raw_len = line_end - (size_t)(f->raw - r->data);
        f->n_lines++;
        return 0;
}

static int count_stanza(struct deb822_reader *r, struct distill_error *err)
{
        if (r->n_stanzas == DEB822_MAX_STANZAS)
                return distill_error_set(err, r->fmt.error_code, "%s:%u: more than %u stanzas",
                                         r->display, r->line, DEB822_MAX_STANZAS);
        r->n_stanzas++;
        return 0;
}

int deb822_next(struct deb822_reader *r, struct deb822_stanza *st, struct distill_error *err)
{
        size_t start = 0;
        unsigned start_line = 0;
        int ret;

        if (!r->nul_checked) {
                if (r->len && memchr(r->data, '\0', r->len))
                        return distill_error_set(err, r->fmt.error_code, "%s: contains a NUL byte",
                                                 r->display);
                r->nul_checked = true;
        }
        start_stanza(r);
        while (r->pos < r->len) {
                const char *line = r->data + r->pos;
                const char *nl = memchr(line, '\n', r->len - r->pos);
                size_t len = nl ? (size_t)(nl - line) : r->len - r->pos;
                size_t with_nl = nl ? len + 1 : len;
                r->line++;
                if (len > DEB822_MAX_LINE)
                        return distill_error_set(err, r->fmt.error_code,
                                                 "%s:%u: line longer than %zu bytes", r->display,
                                                 r->line, DEB822_MAX_LINE);
                if (line_is_blank(line, len)) {
                        r->pos += with_nl;
                        if (r->n)
                                break;
                        continue;
                }
                if (r->fmt.comments && line[0] == '#') {
                        r->pos += with_nl;
                        continue;
                }
                if (is_blank(line[0])) {
                        ret = continue_field(r, r->pos + with_nl, err);
                } else {
                        if (!r->n) {
                                start = r->pos;
                                start_line = r->line;
                                if ((ret = count_stanza(r, err)) < 0)
                                        return ret;
                        }
                        ret = parse_field_line(r, line, len, with_nl, err);
                }
                if (ret < 0)
                        return ret;
                r->pos += with_nl;
                if (r->n && r->pos - start > r->fmt.max_stanza)
                        return distill_error_set(err, r->fmt.error_code,
                                                 "%s:%u: stanza larger than %zu bytes", r->display,
                                                 start_line, r->fmt.max_stanza);
        }
        if (!r->n)
                return 0;
        const struct deb822_field *last = &r->fields[r->n - 1];
        *st = (struct deb822_stanza){
            .fields = r->fields,
            .n = r->n,
            .line = start_line,
            .raw = r->data + start,
            .raw_len = (size_t)(last->raw + last->raw_len - (r->data + start)),
        };
        return 1;
}

/* --- fields ---------------------------------------------------------------------------------- */

const struct deb822_field *deb822_get(const struct deb822_stanza *st, const char *name)
{
        size_t len = strlen(name);
        unsigned hash = name_hash(name, len);
        for (size_t i = 0; i < st->n; i++)
                if (same_name(&st->fields[i], name, len, hash))
                        return &st->fields[i];
        return NULL;
}

bool deb822_field_is(const struct deb822_field *f, const char *name)
{
        size_t len = strlen(name);
        return f->name_len == len && strncasecmp(f->name, name, len) == 0;
}

bool deb822_next_line(const struct deb822_field *f, struct deb822_line *l)
{
        size_t pos;
        if (!l->s) {
                pos = f->name_len + 1;
                l->line = f->line;
        } else {
                pos = l->next;
                if (pos >= f->raw_len)
                        return false;
                l->line++;
                /* only comment lines start with '#' after the first: continuations start blank */
                while (f->raw[pos] == '#') {
                        const char *nl = memchr(f->raw + pos, '\n', f->raw_len - pos);
                        pos = (size_t)(nl - f->raw) + 1; /* a continuation line follows it */
                        l->line++;
                }
        }
        const char *nl = memchr(f->raw + pos, '\n', f->raw_len - pos);
        size_t end = nl ? (size_t)(nl - f->raw) : f->raw_len;
        l->next = nl ? end + 1 : end;
        while (pos < end && is_trimmed(f->raw[pos]))
                pos++;
        while (end > pos && is_trimmed(f->raw[end - 1]))
                end--;
        l->s = f->raw + pos;
        l->len = end - pos;
        return true;
}

char *deb822_first_line(const struct deb822_field *f)
{
        struct deb822_line l = DEB822_LINE_INIT;
        deb822_next_line(f, &l);
        return xstrndup(l.s, l.len);
}

static bool has_blank_run(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (s[i] == '\t' || s[i] == '\r' || (s[i] == ' ' && i + 1 < len && s[i + 1] == ' '))
                        return true;
        return false;
}

char *deb822_folded(const struct deb822_field *f)
{
        struct deb822_line l = DEB822_LINE_INIT;
        deb822_next_line(f, &l);
        /* the common case: one line, single spaces (an index has a few hundred thousand) */
        if (f->n_lines == 1 && !has_blank_run(l.s, l.len))
                return xstrndup(l.s, l.len);

        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "");
        do {
                bool pending_space = sb.len > 0;
                for (size_t i = 0; i < l.len; i++) {
                        if (is_trimmed(l.s[i])) {
                                pending_space = true;
                                continue;
                        }
                        if (pending_space && sb.len > 0)
                                strbuf_addch(&sb, ' ');
                        pending_space = false;
                        strbuf_addch(&sb, l.s[i]);
                }
        } while (deb822_next_line(f, &l));
        return strbuf_detach(&sb);
}

void deb822_lines(const struct deb822_field *f, unsigned flags, struct strvec *out)
{
        struct deb822_line l = DEB822_LINE_INIT;
        bool first = true;
        while (deb822_next_line(f, &l)) {
                bool dot = !first && l.len == 1 && l.s[0] == '.';
                strvec_push_nodup(out, (flags & DEB822_DOT_IS_EMPTY) && dot ? xstrdup("")
                                                                            : xstrndup(l.s, l.len));
                first = false;
        }
}
