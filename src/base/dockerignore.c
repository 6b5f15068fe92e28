/* .dockerignore as Docker reads and matches it (see the header for the sources followed).
 *
 * patternmatcher turns each pattern into a Go regular expression by a textual rewrite (a star
 * becomes a class of everything but '/' repeated, '?' one such character, a double star "any
 * directories", a few metacharacters are escaped, '[' ']' and backslash escapes pass through) and
 * lets Go's regexp parser make of the result what it will: "[?]" becomes "[[^/]]", a class of '[',
 * '^' and '/' followed by a literal ']'. To agree on every such case this module does the same
 * rewrite, then reads the Go expression with Go's grammar (classes, escapes, repetition rules,
 * errors) and writes the equivalent POSIX extended expression for regcomp. Go matches runes where
 * regcomp, in the C locale, matches bytes: a single-rune item becomes an alternation of UTF-8 byte
 * sequences, and a path's invalid bytes are read, as Go reads them, as U+FFFD. */
#include "distill/base/dockerignore.h"

#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_RUNE       0x10FFFFu
#define GROUP_DEPTH    64 /* nesting of ( in a Go expression (the rewrite makes one level) */
#define CLASS_MAX_RUNS 4096

/* ---- UTF-8, as Go's unicode/utf8 decodes it ---- */

/* The length of the valid sequence at s (n bytes available) and its rune, or 0. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
        size_t len;
        uint32_t v, min;

        if (n == 0)
                return 0;
        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        if (s[0] >= 0xC2 && s[0] <= 0xDF) {
                len = 2, v = s[0] & 0x1F, min = 0x80;
        } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
                len = 3, v = s[0] & 0x0F, min = 0x800;
        } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
                len = 4, v = s[0] & 0x07, min = 0x10000;
        } else {
                return 0;
        }
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                v = v << 6 | (s[i] & 0x3F);
        }
        if (v < min || v > MAX_RUNE || (v >= 0xD800 && v <= 0xDFFF))
                return 0;
        *cp = v;
        return len;
}

static size_t utf8_encode(uint32_t cp, unsigned char *out)
{
        if (cp < 0x80) {
                out[0] = (unsigned char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (unsigned char)(0xC0 | cp >> 6);
                out[1] = (unsigned char)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (unsigned char)(0xE0 | cp >> 12);
                out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                out[2] = (unsigned char)(0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (unsigned char)(0xF0 | cp >> 18);
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (cp & 0x3F));
        return 4;
}

static bool utf8_valid(const char *s, size_t n)
{
        uint32_t cp;
        for (size_t i = 0, l; i < n; i += l)
                if ((l = utf8_decode((const unsigned char *)s + i, n - i, &cp)) == 0)
                        return false;
        return true;
}

/* The path as Go's regexp sees it: every byte that starts no valid sequence is U+FFFD. NULL
 * when the path is valid already. */
static char *utf8_as_go_reads(const char *s)
{
        size_t n = strlen(s);
        if (utf8_valid(s, n))
                return NULL;
        struct strbuf sb = STRBUF_INIT;
        uint32_t cp;
        for (size_t i = 0, l; i < n; i += l) {
                l = utf8_decode((const unsigned char *)s + i, n - i, &cp);
                if (l == 0) {
                        strbuf_adds(&sb, "\xEF\xBF\xBD");
                        l = 1;
                } else {
                        strbuf_add(&sb, s + i, l);
                }
        }
        return strbuf_detach(&sb);
}

/* ---- Go's strings.TrimSpace and path/filepath.Clean ---- */

static bool go_is_space(uint32_t r)
{
        switch (r) {
        case '\t':
        case '\n':
        case '\v':
        case '\f':
        case '\r':
        case ' ':
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
                return true;
        default:
                return r >= 0x2000 && r <= 0x200A;
        }
}

/* A copy of s[0, n) without leading and trailing white space (s is valid UTF-8). */
static char *go_trim_space(const char *s, size_t n)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t start = 0, end = n, l;
        uint32_t cp;
        while (start < end && (l = utf8_decode(u + start, end - start, &cp)) && go_is_space(cp))
                start += l;
        while (end > start) {
                size_t b = end - 1;
                while (b > start && (u[b] & 0xC0) == 0x80 && end - b < 4)
                        b--;
                if (!utf8_decode(u + b, end - b, &cp) || !go_is_space(cp))
                        break;
                end = b;
        }
        return xstrndup(s + start, end - start);
}

/* Lexical cleaning: one slash between elements, no "." elements, ".." eating the element before
 * it (kept at the start of a relative path, dropped at the root), "." for nothing. */
static char *go_clean(const char *p)
{
        bool rooted = p[0] == '/';
        struct strvec el = STRVEC_INIT;
        size_t kept_dotdot = 0; /* leading ".." of a relative path, which nothing removes */
        for (const char *s = p; *s;) {
                const char *e = strchr(s, '/');
                size_t n = e ? (size_t)(e - s) : strlen(s);
                if (n == 0 || (n == 1 && s[0] == '.')) {
                        /* nothing */
                } else if (n == 2 && s[0] == '.' && s[1] == '.') {
                        if (el.n > kept_dotdot) {
                                free(el.v[--el.n]);
                                el.v[el.n] = NULL;
                        } else if (!rooted) {
                                strvec_push(&el, "..");
                                kept_dotdot++;
                        }
                } else {
                        strvec_push_nodup(&el, xstrndup(s, n));
                }
                s += n;
                if (*s == '/')
                        s++;
        }
        struct strbuf sb = STRBUF_INIT;
        if (rooted)
                strbuf_addch(&sb, '/');
        for (size_t i = 0; i < el.n; i++) {
                if (i > 0)
                        strbuf_addch(&sb, '/');
                strbuf_adds(&sb, el.v[i]);
        }
        if (sb.len == 0)
                strbuf_addch(&sb, '.');
        strvec_clear(&el);
        return strbuf_detach(&sb);
}

/* ---- filepath.Match's syntax check (what it reports as ErrBadPattern) ---- */

/* getEsc: one character of a class, possibly escaped, with something after it. */
static bool class_char_ok(const char *c, size_t n, size_t *i)
{
        uint32_t cp;
        if (*i >= n || c[*i] == '-' || c[*i] == ']')
                return false;
        if (c[*i] == '\\' && ++*i >= n)
                return false;
        size_t l = utf8_decode((const unsigned char *)c + *i, n - *i, &cp);
        if (l == 0)
                return false;
        *i += l;
        return *i < n;
}

static bool chunk_ok(const char *c, size_t n)
{
        size_t i = 0;
        while (i < n) {
                if (c[i] == '[') {
                        int nrange = 0;
                        if (++i < n && c[i] == '^')
                                i++;
                        for (;;) {
                                if (i < n && c[i] == ']' && nrange > 0) {
                                        i++;
                                        break;
                                }
                                if (!class_char_ok(c, n, &i))
                                        return false;
                                if (c[i] == '-' && (++i, !class_char_ok(c, n, &i)))
                                        return false;
                                nrange++;
                        }
                } else if (c[i] == '\\') {
                        if (++i >= n)
                                return false;
                        i++;
                } else {
                        i++;
                }
        }
        return true;
}

/* Match checks every chunk (the text between unbracketed runs of '*') whatever the name, so the
 * pattern is bad exactly when one of its chunks is. */
static bool filepath_pattern_ok(const char *p)
{
        while (*p) {
                while (*p == '*')
                        p++;
                bool inrange = false;
                size_t i = 0;
                for (; p[i]; i++) {
                        if (p[i] == '\\') {
                                if (p[i + 1])
                                        i++;
                        } else if (p[i] == '[') {
                                inrange = true;
                        } else if (p[i] == ']') {
                                inrange = false;
                        } else if (p[i] == '*' && !inrange) {
                                break;
                        }
                }
                if (!chunk_ok(p, i))
                        return false;
                p += i;
        }
        return true;
}

/* ---- patternmatcher's rewrite to a Go regular expression ---- */

enum match_type { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX, MATCH_REGEX };

static enum match_type go_regexp_of(const char *pat, struct strbuf *re)
{
        const unsigned char *s = (const unsigned char *)pat;
        size_t n = strlen(pat), i = 0, l;
        uint32_t ch;
        enum match_type type = MATCH_EXACT;

        strbuf_addch(re, '^');
        /* text/scanner skips a byte order mark that starts its input */
        if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
                i = 3;
        for (int k = 0; i < n; k++) {
                l = utf8_decode(s + i, n - i, &ch);
                const char *at = pat + i;
                i += l;
                if (ch == '*') {
                        if (i < n && s[i] == '*') {
                                i++;
                                if (i < n && s[i] == '/')
                                        i++;
                                if (i == n) {
                                        if (type == MATCH_EXACT) {
                                                type = MATCH_PREFIX;
                                        } else {
                                                strbuf_adds(re, ".*");
                                                type = MATCH_REGEX;
                                        }
                                } else {
                                        strbuf_adds(re, "(.*/)?");
                                        type = MATCH_REGEX;
                                }
                                if (k == 0)
                                        type = MATCH_SUFFIX;
                        } else {
                                strbuf_adds(re, "[^/]*");
                                type = MATCH_REGEX;
                        }
                } else if (ch == '?') {
                        strbuf_adds(re, "[^/]");
                        type = MATCH_REGEX;
                } else if (ch < 0x80 && strchr(".+()$", (int)ch)) {
                        /* patternmatcher means to escape "|{}" too, but its bitmap of them
                         * overflows a byte: they reach Go's regexp as they are */
                        strbuf_addch(re, '\\');
                        strbuf_addch(re, (char)ch);
                } else if (ch == '\\') {
                        if (i < n) {
                                strbuf_addch(re, '\\');
                                l = utf8_decode(s + i, n - i, &ch);
                                strbuf_add(re, pat + i, l);
                                i += l;
                                type = MATCH_REGEX;
                        } else {
                                strbuf_addch(re, '\\');
                        }
                } else if (ch == '[' || ch == ']') {
                        strbuf_addch(re, (char)ch);
                        type = MATCH_REGEX;
                } else {
                        strbuf_add(re, at, l);
                }
        }
        if (type == MATCH_REGEX)
                strbuf_addch(re, '$');
        return type;
}

/* ---- a Go regular expression (Perl flags, as regexp.Compile) to a POSIX extended one ---- */

struct runeset { /* ranges [v[2i], v[2i+1]] */
        uint32_t *v;
        size_t n, alloc;
};

static void rs_add(struct runeset *s, uint32_t lo, uint32_t hi)
{
        if (s->n + 2 > s->alloc) {
                s->alloc = s->alloc ? 2 * s->alloc : 16;
                s->v = xrealloc(s->v, s->alloc * sizeof(*s->v));
        }
        s->v[s->n++] = lo;
        s->v[s->n++] = hi;
}

static int cmp_range(const void *a, const void *b)
{
        const uint32_t *x = a, *y = b;
        return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* sorted, merged, and complemented over [0, MAX_RUNE] when negate */
static void rs_normalise(struct runeset *s, bool negate)
{
        size_t w = 0;
        qsort(s->v, s->n / 2, 2 * sizeof(*s->v), cmp_range);
        for (size_t i = 0; i < s->n; i += 2) {
                if (w > 0 && s->v[i] <= s->v[w - 1] + 1) {
                        if (s->v[i + 1] > s->v[w - 1])
                                s->v[w - 1] = s->v[i + 1];
                        continue;
                }
                s->v[w++] = s->v[i];
                s->v[w++] = s->v[i + 1];
        }
        s->n = w;
        if (!negate)
                return;
        struct runeset c = {0};
        uint32_t next = 0;
        for (size_t i = 0; i < s->n; i += 2) {
                if (s->v[i] > next)
                        rs_add(&c, next, s->v[i] - 1);
                next = s->v[i + 1] + 1;
        }
        if (next <= MAX_RUNE)
                rs_add(&c, next, MAX_RUNE);
        free(s->v);
        *s = c;
}

struct conv {
        const char *s;
        size_t i, n;
        struct strbuf out;
        const char *why;    /* what went wrong */
        bool distill_limit; /* Go accepts it; distill does not reproduce it */
};

static int conv_fail(struct conv *c, const char *why, bool distill_limit)
{
        c->why = why;
        c->distill_limit = distill_limit;
        return -1;
}

/* A bracket expression for a set of bytes (byte 0 never occurs in a path and is left out), with
 * ']' first, '[' '^' '-' last so that none of them is read as syntax; an empty set matches no
 * path at all. */
static void emit_byte_set(struct strbuf *out, const bool set[256])
{
        unsigned count = 0;
        for (unsigned b = 1; b < 256; b++)
                count += set[b];
        if (count == 0) {
                strbuf_adds(out, "[^\x01-\xff]");
                return;
        }
        if (count == 1 && set['^']) {
                strbuf_adds(out, "\\^");
                return;
        }
        bool special[256] = {false};
        special[']'] = special['['] = special['^'] = special['-'] = true;
        strbuf_addch(out, '[');
        if (set[']'])
                strbuf_addch(out, ']');
        else if (set['-'] && set['^'] && count == 2) {
                strbuf_adds(out, "-^]");
                return;
        }
        for (unsigned b = 1; b < 256;) {
                if (!set[b] || special[b]) {
                        b++;
                        continue;
                }
                unsigned e = b;
                while (e + 1 < 256 && set[e + 1] && !special[e + 1])
                        e++;
                strbuf_addch(out, (char)b);
                if (e > b + 1)
                        strbuf_addch(out, '-');
                if (e > b)
                        strbuf_addch(out, (char)e);
                b = e + 1;
        }
        if (set['['])
                strbuf_addch(out, '[');
        if (set['^'])
                strbuf_addch(out, '^');
        if (set['-'])
                strbuf_addch(out, '-');
        strbuf_addch(out, ']');
}

static void emit_byte_range(struct strbuf *out, unsigned lo, unsigned hi)
{
        bool set[256] = {false};
        for (unsigned b = lo; b <= hi; b++)
                set[b] = true;
        if (lo == hi && lo >= 0x80)
                strbuf_addch(out, (char)lo);
        else
                emit_byte_set(out, set);
}

/* The UTF-8 encodings of [lo, hi] (no surrogates, lo >= 0x80) as alternatives of byte-range
 * sequences, split so that each position is one contiguous byte range. */
static void emit_utf8_range(struct strbuf *out, uint32_t lo, uint32_t hi, bool *first)
{
        static const uint32_t limits[] = {0x7F, 0x7FF, 0xFFFF};
        if (lo <= 0xD7FF && hi >= 0xE000) {
                emit_utf8_range(out, lo, 0xD7FF, first);
                emit_utf8_range(out, 0xE000, hi, first);
                return;
        }
        if (lo >= 0xD800 && lo <= 0xDFFF)
                lo = 0xE000;
        if (hi >= 0xD800 && hi <= 0xDFFF)
                hi = 0xD7FF;
        if (lo > hi)
                return;
        for (size_t k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
                if (lo <= limits[k] && hi > limits[k]) {
                        emit_utf8_range(out, lo, limits[k], first);
                        emit_utf8_range(out, limits[k] + 1, hi, first);
                        return;
                }
        }
        unsigned char a[4], b[4];
        size_t len = utf8_encode(lo, a);
        for (size_t i = 1; i < len; i++) {
                uint32_t m = (1u << (6 * i)) - 1;
                if ((lo & ~m) != (hi & ~m)) {
                        if ((lo & m) != 0) {
                                emit_utf8_range(out, lo, lo | m, first);
                                emit_utf8_range(out, (lo | m) + 1, hi, first);
                                return;
                        }
                        if ((hi & m) != m) {
                                emit_utf8_range(out, lo, (hi & ~m) - 1, first);
                                emit_utf8_range(out, hi & ~m, hi, first);
                                return;
                        }
                }
        }
        utf8_encode(hi, b);
        if (!*first)
                strbuf_addch(out, '|');
        *first = false;
        for (size_t i = 0; i < len; i++)
                emit_byte_range(out, a[i], b[i]);
}

/* One rune of the set: a bracket expression for its ASCII part, alternatives for the rest. The
 * paths matched are valid UTF-8 (see utf8_as_go_reads), so "every rune from U+0080 on" needs
 * only the lead byte to tell the length. */
static void emit_runeset(struct strbuf *out, const struct runeset *s)
{
        bool ascii[256] = {false}, any_ascii = false, first = true;
        struct strbuf multi = STRBUF_INIT;
        for (size_t i = 0; i < s->n; i += 2) {
                uint32_t lo = s->v[i], hi = s->v[i + 1];
                for (uint32_t b = lo; b <= hi && b < 0x80; b++)
                        ascii[b] = any_ascii = true;
                if (hi < 0x80)
                        continue;
                if (lo < 0x80)
                        lo = 0x80;
                if (lo == 0x80 && hi == MAX_RUNE) {
                        if (!first)
                                strbuf_addch(&multi, '|');
                        first = false;
                        strbuf_adds(&multi, "[\xC0-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|"
                                            "[\xF0-\xF7][\x80-\xBF]{3}");
                } else {
                        emit_utf8_range(&multi, lo, hi, &first);
                }
        }
        if (multi.len == 0) {
                emit_byte_set(out, ascii);
        } else {
                strbuf_addch(out, '(');
                if (any_ascii) {
                        emit_byte_set(out, ascii);
                        strbuf_addch(out, '|');
                }
                strbuf_add(out, multi.buf, multi.len);
                strbuf_addch(out, ')');
        }
        strbuf_release(&multi);
}

static void out_truncate(struct strbuf *sb, size_t len)
{
        sb->len = len;
        sb->buf[len] = '\0';
}

/* Parentheses around out[at, end): a repetition of a multi-byte literal applies to all of it. */
static void out_group_from(struct strbuf *sb, size_t at)
{
        strbuf_addch(sb, ')');
        strbuf_addch(sb, ')');
        memmove(sb->buf + at + 1, sb->buf + at, sb->len - 2 - at);
        sb->buf[at] = '(';
        sb->buf[sb->len - 1] = ')';
}

enum atom { ATOM_NONE, ATOM_ONE, ATOM_BYTES, ATOM_ASSERT };

/* A literal rune: ASCII metacharacters escaped, a multi-byte rune as its bytes (ATOM_BYTES: a
 * repetition must group it). Runes no valid path holds (NUL, surrogates) match nothing. */
static enum atom emit_literal(struct strbuf *out, uint32_t r)
{
        unsigned char b[4];
        if (r == 0 || (r >= 0xD800 && r <= 0xDFFF) || r > MAX_RUNE) {
                bool none[256] = {false};
                emit_byte_set(out, none);
                return ATOM_ONE;
        }
        if (r >= 0x80) {
                strbuf_add(out, b, utf8_encode(r, b));
                return ATOM_BYTES;
        }
        if (r == '^' || r == '\\') {
                strbuf_addch(out, '\\');
                strbuf_addch(out, (char)r);
        } else if (strchr(".[]()*+?{}|$", (int)r)) {
                strbuf_addch(out, '[');
                strbuf_addch(out, (char)r);
                strbuf_addch(out, ']');
        } else {
                strbuf_addch(out, (char)r);
        }
        return ATOM_ONE;
}

static bool is_octal(char ch)
{
        return ch >= '0' && ch <= '7';
}

static int unhex(uint32_t ch)
{
        if (ch >= '0' && ch <= '9')
                return (int)(ch - '0');
        if (ch >= 'a' && ch <= 'f')
                return (int)(ch - 'a' + 10);
        if (ch >= 'A' && ch <= 'F')
                return (int)(ch - 'A' + 10);
        return -1;
}

static uint32_t next_rune(struct conv *c)
{
        uint32_t r = 0xFFFD;
        size_t l = utf8_decode((const unsigned char *)c->s + c->i, c->n - c->i, &r);
        c->i += l ? l : 1;
        return r;
}

/* Go's parseEscape, at a backslash: the rune a single-character escape stands for. */
static int parse_escape(struct conv *c, uint32_t *out)
{
        static const char invalid[] = "invalid escape sequence";
        if (++c->i >= c->n)
                return conv_fail(c, "trailing backslash at end of expression", false);
        uint32_t ch = next_rune(c);
        if (ch < 0x80 && !((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') && !(ch >= '0' && ch <= '9')) {
                *out = ch;
                return 0;
        }
        switch (ch) {
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
                /* a single non-zero digit would be a backreference */
                if (c->i >= c->n || !is_octal(c->s[c->i]))
                        return conv_fail(c, invalid, false);
                /* fall through */
        case '0':
                *out = ch - '0';
                for (int k = 1; k < 3 && c->i < c->n && is_octal(c->s[c->i]); k++)
                        *out = *out * 8 + (uint32_t)(c->s[c->i++] - '0');
                return 0;
        case 'x': {
                if (c->i >= c->n)
                        return conv_fail(c, invalid, false);
                uint32_t h = next_rune(c);
                if (h == '{') {
                        uint32_t v = 0;
                        int nhex = 0;
                        for (;;) {
                                if (c->i >= c->n)
                                        return conv_fail(c, invalid, false);
                                h = next_rune(c);
                                if (h == '}')
                                        break;
                                if (unhex(h) < 0)
                                        return conv_fail(c, invalid, false);
                                v = v * 16 + (uint32_t)unhex(h);
                                if (v > MAX_RUNE)
                                        return conv_fail(c, invalid, false);
                                nhex++;
                        }
                        if (nhex == 0)
                                return conv_fail(c, invalid, false);
                        *out = v;
                        return 0;
                }
                if (c->i >= c->n)
                        return conv_fail(c, invalid, false);
                uint32_t l = next_rune(c);
                if (unhex(h) < 0 || unhex(l) < 0)
                        return conv_fail(c, invalid, false);
                *out = (uint32_t)(unhex(h) * 16 + unhex(l));
                return 0;
        }
        case 'a':
                *out = '\a';
                return 0;
        case 'f':
                *out = '\f';
                return 0;
        case 'n':
                *out = '\n';
                return 0;
        case 'r':
                *out = '\r';
                return 0;
        case 't':
                *out = '\t';
                return 0;
        case 'v':
                *out = '\v';
                return 0;
        default:
                return conv_fail(c, invalid, false);
        }
}

struct named_group {
        const char *name;
        int sign;
        const uint32_t *r; /* pairs, ended by 0, 0 */
};

static const uint32_t g_digit[] = {'0', '9', 0, 0};
static const uint32_t g_space_perl[] = {'\t', '\n', '\f', '\r', ' ', ' ', 0, 0};
static const uint32_t g_word[] = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z', 0, 0};
static const uint32_t g_alnum[] = {'0', '9', 'A', 'Z', 'a', 'z', 0, 0};
static const uint32_t g_alpha[] = {'A', 'Z', 'a', 'z', 0, 0};
static const uint32_t g_ascii[] = {0, 0x7F, 0, 0};
static const uint32_t g_blank[] = {'\t', '\t', ' ', ' ', 0, 0};
static const uint32_t g_cntrl[] = {0, 0x1F, 0x7F, 0x7F, 0, 0};
static const uint32_t g_graph[] = {'!', '~', 0, 0};
static const uint32_t g_lower[] = {'a', 'z', 0, 0};
static const uint32_t g_print[] = {' ', '~', 0, 0};
static const uint32_t g_punct[] = {'!', '/', ':', '@', '[', '`', '{', '~', 0, 0};
static const uint32_t g_space[] = {'\t', '\r', ' ', ' ', 0, 0};
static const uint32_t g_upper[] = {'A', 'Z', 0, 0};
static const uint32_t g_xdigit[] = {'0', '9', 'A', 'F', 'a', 'f', 0, 0};

static const struct named_group perl_groups[] = {
    {"\\d", 1, g_digit}, {"\\D", -1, g_digit}, {"\\s", 1, g_space_perl}, {"\\S", -1, g_space_perl},
    {"\\w", 1, g_word},  {"\\W", -1, g_word},  {NULL, 0, NULL}};

static const struct named_group posix_groups[] = {
    {"alnum", 1, g_alnum}, {"alpha", 1, g_alpha},   {"ascii", 1, g_ascii}, {"blank", 1, g_blank},
    {"cntrl", 1, g_cntrl}, {"digit", 1, g_digit},   {"graph", 1, g_graph}, {"lower", 1, g_lower},
    {"print", 1, g_print}, {"punct", 1, g_punct},   {"space", 1, g_space}, {"upper", 1, g_upper},
    {"word", 1, g_word},   {"xdigit", 1, g_xdigit}, {NULL, 0, NULL}};

/* The group's runes, added to the set (its complement when sign < 0). */
static void add_group(struct runeset *set, const uint32_t *r, int sign)
{
        struct runeset g = {0};
        for (size_t i = 0; r[i] || r[i + 1]; i += 2)
                rs_add(&g, r[i], r[i + 1]);
        rs_normalise(&g, sign < 0);
        for (size_t i = 0; i < g.n; i += 2)
                rs_add(set, g.v[i], g.v[i + 1]);
        free(g.v);
}

/* \d \D \s \S \w \W at the backslash: added, true. */
static bool perl_class(struct conv *c, struct runeset *set)
{
        if (c->i + 1 >= c->n || c->s[c->i] != '\\')
                return false;
        for (const struct named_group *g = perl_groups; g->name; g++) {
                if (c->s[c->i + 1] == g->name[1]) {
                        add_group(set, g->r, g->sign);
                        c->i += 2;
                        return true;
                }
        }
        return false;
}

static bool unicode_class_escape(const struct conv *c)
{
        return c->i + 1 < c->n && c->s[c->i] == '\\' &&
               (c->s[c->i + 1] == 'p' || c->s[c->i + 1] == 'P');
}

/* [:name:] or [:^name:] at c->i: 1 when read, 0 when not there (the '[' is a literal), or an
 * error for an unknown name. */
static int named_class(struct conv *c, struct runeset *set)
{
        if (c->n - c->i <= 2 || c->s[c->i] != '[' || c->s[c->i + 1] != ':')
                return 0;
        const char *end = memmem(c->s + c->i + 2, c->n - c->i - 2, ":]", 2);
        if (!end)
                return 0;
        const char *name = c->s + c->i + 2;
        size_t len = (size_t)(end - name);
        int sign = 1;
        if (len > 0 && name[0] == '^')
                sign = -1, name++, len--;
        for (const struct named_group *g = posix_groups; g->name; g++) {
                if (strlen(g->name) == len && !memcmp(g->name, name, len)) {
                        add_group(set, g->r, sign);
                        c->i = (size_t)(end - c->s) + 2;
                        return 1;
                }
        }
        return conv_fail(c, "invalid character class range", false);
}

static int class_char(struct conv *c, uint32_t *r)
{
        if (c->i >= c->n)
                return conv_fail(c, "missing closing ]", false);
        if (c->s[c->i] == '\\')
                return parse_escape(c, r);
        *r = next_rune(c);
        return 0;
}

/* Go's parseClass, at '[' (ClassNL is among the Perl flags: a negated class matches '\n'). */
static int parse_class(struct conv *c, struct runeset *set)
{
        bool negate = false, first = true;
        int r;
        c->i++;
        if (c->i < c->n && c->s[c->i] == '^') {
                negate = true;
                c->i++;
        }
        while (c->i >= c->n || c->s[c->i] != ']' || first) {
                first = false;
                if (set->n / 2 > CLASS_MAX_RUNS)
                        return conv_fail(c, "character class too large", true);
                if ((r = named_class(c, set)) < 0)
                        return r;
                if (r > 0)
                        continue;
                if (unicode_class_escape(c))
                        return conv_fail(c, "Unicode classes (\\p, \\P) are not supported", true);
                if (perl_class(c, set))
                        continue;
                uint32_t lo, hi;
                if ((r = class_char(c, &lo)) < 0)
                        return r;
                hi = lo;
                if (c->n - c->i >= 2 && c->s[c->i] == '-' && c->s[c->i + 1] != ']') {
                        c->i++;
                        if ((r = class_char(c, &hi)) < 0)
                                return r;
                        if (hi < lo)
                                return conv_fail(c, "invalid character class range", false);
                }
                rs_add(set, lo, hi);
        }
        c->i++;
        rs_normalise(set, negate);
        return 0;
}

static int emit_class_at(struct conv *c, int (*parse)(struct conv *, struct runeset *))
{
        struct runeset set = {0};
        int r = parse(c, &set);
        if (r == 0)
                emit_runeset(&c->out, &set);
        free(set.v);
        return r;
}

static int parse_dot(struct conv *c, struct runeset *set)
{
        c->i++;
        rs_add(set, '\n', '\n');
        rs_normalise(set, true);
        return 0;
}

static int parse_perl(struct conv *c, struct runeset *set)
{
        perl_class(c, set);
        return 0;
}

/* Go's parseInt: decimal digits without a leading zero; -1 past 1e8. */
static size_t parse_int(const char *s, size_t n, int *v)
{
        size_t i = 0;
        if (n == 0 || s[0] < '0' || s[0] > '9' ||
            (n >= 2 && s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
                return 0;
        *v = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                if (*v >= 0)
                        *v = *v >= 100000000 ? -1 : *v * 10 + (s[i] - '0');
        return i;
}

/* Go's parseRepeat at '{': {n}, {n,} or {n,m}, its length, or 0 when it is none of them (the
 * '{' is then a literal). */
static size_t parse_count(const char *s, size_t n, int *min, int *max)
{
        size_t i = 1, l;
        if ((l = parse_int(s + i, n - i, min)) == 0)
                return 0;
        i += l;
        if (i >= n)
                return 0;
        if (s[i] != ',') {
                *max = *min;
        } else {
                if (++i >= n)
                        return 0;
                if (s[i] == '}') {
                        *max = -1;
                } else {
                        if ((l = parse_int(s + i, n - i, max)) == 0)
                                return 0;
                        i += l;
                        if (*max < 0)
                                *min = -1;
                }
        }
        if (i >= n || s[i] != '}')
                return 0;
        return i + 1;
}

/* A sequence up to ')' (inside a group) or the end; each item is an atom of the output that a
 * following repetition applies to, as in Go's parser. */
static int parse_seq(struct conv *c, bool in_group, int depth)
{
        enum atom atom = ATOM_NONE;
        size_t atom_at = 0;
        bool last_repeat = false;
        int r;

        while (c->i < c->n) {
                char ch = c->s[c->i];
                size_t at = c->out.len;
                if (c->out.len > DOCKERIGNORE_MAX_REGEX)
                        return conv_fail(c, "pattern too large", true);
                int min = 0, max = -1;
                size_t len = 0;
                if (ch == '*' || ch == '+' || ch == '?') {
                        len = 1, min = ch == '+', max = ch == '?' ? 1 : -1;
                } else if (ch == '{' && (len = parse_count(c->s + c->i, c->n - c->i, &min, &max))) {
                        if (min < 0 || min > 1000 || max > 1000 || (max >= 0 && min > max))
                                return conv_fail(c, "invalid repeat count", false);
                }
                if (len > 0) {
                        if (last_repeat)
                                return conv_fail(c, "invalid nested repetition operator", false);
                        if (atom == ATOM_NONE)
                                return conv_fail(c, "missing argument to repetition operator",
                                                 false);
                        const char *op = c->s + c->i;
                        c->i += len;
                        if (c->i < c->n && c->s[c->i] == '?')
                                c->i++; /* non-greedy: the same set of matches */
                        if (atom == ATOM_ASSERT) {
                                /* an empty-width test repeated: either itself or nothing */
                                if (min == 0)
                                        out_truncate(&c->out, atom_at);
                        } else {
                                if (atom == ATOM_BYTES)
                                        out_group_from(&c->out, atom_at);
                                strbuf_add(&c->out, op, len);
                        }
                        last_repeat = true;
                        continue;
                }
                last_repeat = false;
                switch (ch) {
                case '(':
                        if (c->i + 1 < c->n && c->s[c->i + 1] == '?')
                                return conv_fail(c, "flag groups are not supported", true);
                        if (depth >= GROUP_DEPTH)
                                return conv_fail(c, "expression nests too deeply", false);
                        c->i++;
                        strbuf_addch(&c->out, '(');
                        if ((r = parse_seq(c, true, depth + 1)) < 0)
                                return r;
                        if (c->i >= c->n)
                                return conv_fail(c, "missing closing )", false);
                        c->i++;
                        strbuf_addch(&c->out, ')');
                        atom = ATOM_ONE;
                        break;
                case ')':
                        if (in_group)
                                return 0;
                        return conv_fail(c, "unexpected )", false);
                case '|':
                        c->i++;
                        strbuf_addch(&c->out, '|');
                        atom = ATOM_NONE;
                        continue;
                case '^':
                        c->i++;
                        strbuf_addch(&c->out, '^');
                        atom = ATOM_ASSERT;
                        break;
                case '$':
                        c->i++;
                        strbuf_addch(&c->out, '$');
                        atom = ATOM_ASSERT;
                        break;
                case '.':
                        if ((r = emit_class_at(c, parse_dot)) < 0)
                                return r;
                        atom = ATOM_ONE;
                        break;
                case '[':
                        if ((r = emit_class_at(c, parse_class)) < 0)
                                return r;
                        atom = ATOM_ONE;
                        break;
                case '\\': {
                        char e = c->i + 1 < c->n ? c->s[c->i + 1] : 0;
                        const char *assert = e == 'A'   ? "^"
                                             : e == 'z' ? "$"
                                             : e == 'b' ? "\\b"
                                             : e == 'B' ? "\\B"
                                                        : NULL;
                        if (assert) {
                                c->i += 2;
                                strbuf_adds(&c->out, assert);
                                atom = ATOM_ASSERT;
                                break;
                        }
                        if (e == 'C')
                                return conv_fail(c, "invalid escape sequence", false);
                        if (e == 'Q') {
                                /* \Q...\E: literals up to \E or the end (the '$' included) */
                                c->i += 2;
                                const char *q = memmem(c->s + c->i, c->n - c->i, "\\E", 2);
                                size_t stop = q ? (size_t)(q - c->s) : c->n;
                                while (c->i < stop) {
                                        at = c->out.len;
                                        atom = emit_literal(&c->out, next_rune(c));
                                        atom_at = at;
                                }
                                c->i = q ? stop + 2 : c->n;
                                continue;
                        }
                        if (unicode_class_escape(c))
                                return conv_fail(c, "Unicode classes (\\p, \\P) are not supported",
                                                 true);
                        if (e == 'd' || e == 'D' || e == 's' || e == 'S' || e == 'w' || e == 'W') {
                                if ((r = emit_class_at(c, parse_perl)) < 0)
                                        return r;
                                atom = ATOM_ONE;
                                break;
                        }
                        uint32_t lit;
                        if ((r = parse_escape(c, &lit)) < 0)
                                return r;
                        atom = emit_literal(&c->out, lit);
                        break;
                }
                default:
                        atom = emit_literal(&c->out, next_rune(c));
                        break;
                }
                atom_at = at;
        }
        return 0;
}

/* ---- patterns ---- */

struct di_pattern {
        char *text; /* cleaned, without its '!' */
        bool exclusion;
        enum match_type type;
        regex_t re;
};

struct dockerignore {
        struct di_pattern *v;
        size_t n;
        bool exclusions;
        bool only_prefix_exceptions; /* fsutil: no exception with a wildcard in it */
        locale_t c_locale;
};

static bool pattern_match(const struct dockerignore *di, const struct di_pattern *p,
                          const char *path)
{
        size_t plen = strlen(p->text), len = strlen(path);
        switch (p->type) {
        case MATCH_EXACT:
                return strcmp(path, p->text) == 0;
        case MATCH_PREFIX:
                return strncmp(path, p->text, plen - 2) == 0;
        case MATCH_SUFFIX: {
                const char *suffix = p->text + 2;
                size_t sl = plen - 2;
                if (len >= sl && memcmp(path + len - sl, suffix, sl) == 0)
                        return true;
                return sl > 0 && suffix[0] == '/' && strcmp(path, suffix + 1) == 0;
        }
        case MATCH_REGEX:
                break;
        }
        cleanup_free char *go = utf8_as_go_reads(path);
        locale_t old = uselocale(di->c_locale);
        bool m = regexec(&p->re, go ? go : path, 0, NULL, 0) == 0;
        uselocale(old);
        return m;
}

/* Whether the pattern matches path or one of its parent directories. */
static bool pattern_match_or_parent(const struct dockerignore *di, const struct di_pattern *p,
                                    char *path)
{
        if (pattern_match(di, p, path))
                return true;
        char *last = strrchr(path, '/');
        for (char *s = strchr(path, '/'); s && s <= last; s = strchr(s + 1, '/')) {
                *s = '\0';
                bool m = pattern_match(di, p, path);
                *s = '/';
                if (m)
                        return true;
        }
        return false;
}

bool dockerignore_excluded(const struct dockerignore *di, const char *relpath)
{
        cleanup_free char *path = xstrdup(relpath);
        bool matched = false;
        for (size_t i = 0; i < di->n; i++) {
                const struct di_pattern *p = &di->v[i];
                /* an inclusion cannot change a match, nor an exception a non-match */
                if (p->exclusion != matched)
                        continue;
                if (pattern_match_or_parent(di, p, path))
                        matched = !p->exclusion;
        }
        return matched;
}

/* MatchesUsingParentResults: parent[i] says pattern i matched the parent directory (NULL at the
 * top, where the parents are tested instead); mine[i] is filled for the children. */
static bool excluded_with_parent(const struct dockerignore *di, const char *relpath,
                                 const bool *parent, bool *mine)
{
        cleanup_free char *path = xstrdup(relpath);
        bool matched = false;
        for (size_t i = 0; i < di->n; i++) {
                const struct di_pattern *p = &di->v[i];
                bool m = parent && parent[i];
                if (!m) {
                        if (p->exclusion != matched) {
                                mine[i] = false;
                                continue;
                        }
                        m = parent ? pattern_match(di, p, path)
                                   : pattern_match_or_parent(di, p, path);
                }
                mine[i] = m;
                if (m)
                        matched = !p->exclusion;
        }
        return matched;
}

/* A pattern in a message: its first 100 bytes, then "..." ("%.*s%s"). */
#define SHOWN(p) (strlen(p) > 100 ? 100 : (int)strlen(p)), (p), (strlen(p) > 100 ? "..." : "")

static int compile_pattern(struct dockerignore *di, struct di_pattern *p, const char *name,
                           int line, struct distill_error *err)
{
        struct strbuf go = STRBUF_INIT;
        p->type = go_regexp_of(p->text, &go);
        if (p->type != MATCH_REGEX) {
                strbuf_release(&go);
                return 0;
        }
        struct conv c = {.s = go.buf, .n = go.len};
        int r = parse_seq(&c, false, 0);
        if (r == 0 && c.out.len > DOCKERIGNORE_MAX_REGEX)
                r = conv_fail(&c, "pattern too large", true);
        if (r < 0) {
                r = distill_error_set(err, DISTILL_EUSAGE, "%s:%d: pattern \"%.*s%s\": %s%s", name,
                                      line, SHOWN(p->text), c.why,
                                      c.distill_limit ? " (distill does not reproduce what "
                                                        "Docker makes of it)"
                                                      : " (Docker refuses it too)");
        } else {
                locale_t old = uselocale(di->c_locale);
                int e = regcomp(&p->re, strbuf_str(&c.out), REG_EXTENDED | REG_NOSUB);
                uselocale(old);
                if (e != 0) {
                        char msg[256];
                        regerror(e, &p->re, msg, sizeof(msg));
                        r = distill_error_set(err, DISTILL_EINTERNAL,
                                              "%s:%d: pattern \"%.*s%s\": its regular expression "
                                              "does not compile: %s",
                                              name, line, SHOWN(p->text), msg);
                        p->type = MATCH_EXACT; /* nothing to regfree */
                }
        }
        strbuf_release(&c.out);
        strbuf_release(&go);
        return r;
}

/* The length of fsutil's patternWithoutTrailingGlob: without a trailing slash and double star,
 * then without a trailing slash and star. */
static size_t without_trailing_glob(const char *p)
{
        size_t n = strlen(p);
        if (n >= 3 && !strcmp(p + n - 3, "/**"))
                n -= 3;
        if (n >= 2 && !memcmp(p + n - 2, "/*", 2))
                n -= 2;
        return n;
}

static bool has_wildcard_before_trailing_glob(const char *p)
{
        size_t n = without_trailing_glob(p);
        for (size_t i = 0; i < n; i++)
                if (strchr("*[]?^\\", p[i]))
                        return true;
        return false;
}

/* ignorefile.ReadAll's view of one line, then New's: NULL for a line that holds no pattern. */
static char *pattern_of_line(const char *line, size_t len)
{
        if (len > 0 && line[0] == '#')
                return NULL;
        cleanup_free char *t = go_trim_space(line, len);
        if (!*t)
                return NULL;
        bool invert = t[0] == '!';
        cleanup_free char *body = invert ? go_trim_space(t + 1, strlen(t + 1)) : xstrdup(t);
        cleanup_free char *clean = *body ? go_clean(body) : xstrdup("");
        const char *rel = strlen(clean) > 1 && clean[0] == '/' ? clean + 1 : clean;
        cleanup_free char *read = xasprintf("%s%s", invert ? "!" : "", rel);
        /* New trims and cleans again: "/ x" was " x" after the slash went */
        cleanup_free char *again = go_trim_space(read, strlen(read));
        if (!*again)
                return NULL;
        return go_clean(again);
}

static int add_line(struct dockerignore *di, const char *name, int line, const char *text,
                    size_t len, struct distill_error *err)
{
        if (!utf8_valid(text, len))
                return distill_error_set(err, DISTILL_EUSAGE, "%s:%d: not UTF-8", name, line);
        cleanup_free char *pat = pattern_of_line(text, len);
        if (!pat)
                return 0;
        bool exclusion = pat[0] == '!';
        if (exclusion && !pat[1])
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s:%d: illegal exclusion pattern: \"!\"", name, line);
        const char *body = pat + exclusion;
        if (!filepath_pattern_ok(body))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s:%d: pattern \"%.*s%s\": syntax error in pattern", name,
                                         line, SHOWN(body));
        if (di->n >= DOCKERIGNORE_MAX_PATTERNS)
                return distill_error_set(err, DISTILL_EUSAGE, "%s:%d: more than %d patterns", name,
                                         line, DOCKERIGNORE_MAX_PATTERNS);
        struct di_pattern *p = &di->v[di->n];
        memset(p, 0, sizeof(*p));
        p->text = xstrdup(body);
        p->exclusion = exclusion;
        int r = compile_pattern(di, p, name, line, err);
        if (r < 0) {
                free(p->text);
                return r;
        }
        di->n++;
        if (exclusion) {
                di->exclusions = true;
                if (has_wildcard_before_trailing_glob(body))
                        di->only_prefix_exceptions = false;
        }
        return 0;
}

int dockerignore_parse(const char *name, const char *text, size_t len, struct dockerignore **out,
                       struct distill_error *err)
{
        *out = NULL;
        if (len > DOCKERIGNORE_MAX_BYTES)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %d bytes", name,
                                         DOCKERIGNORE_MAX_BYTES);
        if (memchr(text, '\0', len))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: holds a NUL byte", name);
        struct dockerignore *di = xcalloc(1, sizeof(*di));
        di->only_prefix_exceptions = true;
        di->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
        if (!di->c_locale) {
                free(di);
                return distill_error_errno(err, DISTILL_EINTERNAL, errno, "newlocale C");
        }
        size_t lines = 1;
        for (size_t i = 0; i < len; i++)
                lines += text[i] == '\n';
        di->v = xcalloc(lines < DOCKERIGNORE_MAX_PATTERNS ? lines : DOCKERIGNORE_MAX_PATTERNS,
                        sizeof(*di->v));

        int line = 0, r = 0;
        for (size_t start = 0; start < len && r == 0;) {
                const char *nl = memchr(text + start, '\n', len - start);
                size_t end = nl ? (size_t)(nl - text) : len;
                const char *s = text + start;
                size_t n = end - start;
                start = end + 1;
                line++;
                if (n > DOCKERIGNORE_MAX_LINE) {
                        r = distill_error_set(err, DISTILL_EUSAGE,
                                              "%s:%d: line longer than %d bytes", name, line,
                                              DOCKERIGNORE_MAX_LINE);
                        break;
                }
                if (n > 0 && s[n - 1] == '\r')
                        n--;
                if (line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
                        s += 3, n -= 3;
                r = add_line(di, name, line, s, n, err);
        }
        if (r < 0) {
                dockerignore_free(di);
                return r;
        }
        *out = di;
        return 0;
}

int dockerignore_load(const char *path, struct dockerignore **out, struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len = 0;
        *out = NULL;
        int e = read_file_capped(path, DOCKERIGNORE_MAX_BYTES, &data, &len);
        if (e == -EFBIG)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %d bytes", path,
                                         DOCKERIGNORE_MAX_BYTES);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot read %s", path);
        return dockerignore_parse(path, data, len, out, err);
}

void dockerignore_free(struct dockerignore *di)
{
        if (!di)
                return;
        for (size_t i = 0; i < di->n; i++) {
                if (di->v[i].type == MATCH_REGEX)
                        regfree(&di->v[i].re);
                free(di->v[i].text);
        }
        free(di->v);
        if (di->c_locale)
                freelocale(di->c_locale);
        free(di);
}

/* ---- the walk of BuildKit's context sender ---- */

struct walk {
        const struct dockerignore *di;
        struct strvec *out;
        size_t visited;
        struct distill_error *err;
};

struct frame { /* a directory on the way down */
        const char *rel;
        bool sent;
        struct frame *up;
};

/* An excluded directory is still walked when exceptions have wildcards, or when one of them,
 * without its trailing glob, starts with the directory and a slash. */
static bool must_descend_excluded(const struct dockerignore *di, const char *rel)
{
        if (!di->only_prefix_exceptions)
                return true;
        if (!di->exclusions)
                return false;
        size_t rl = strlen(rel);
        for (size_t i = 0; i < di->n; i++) {
                const char *p = di->v[i].text;
                if (!di->v[i].exclusion)
                        continue;
                size_t n = without_trailing_glob(p);
                /* (p[0, n) + "/") starts with (rel + "/") */
                if (n >= rl && !memcmp(p, rel, rl) && (n == rl || p[rl] == '/'))
                        return true;
        }
        return false;
}

static void send_parents(struct walk *w, struct frame *f)
{
        for (; f && !f->sent; f = f->up) {
                strvec_push(w->out, f->rel);
                f->sent = true;
        }
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk_dir(struct walk *w, const char *abs, struct frame *dir, const bool *dir_info,
                    int depth)
{
        struct dirent **names = NULL;
        int n = scandir(abs, &names, NULL, cmp_name), r = 0;
        if (n < 0) {
                /* fsutil forgives an unreadable directory that is not sent itself */
                if (dir && !dir->sent && (errno == EACCES || errno == EPERM))
                        return 0;
                return distill_error_errno(w->err, DISTILL_EIO, errno, "cannot read %s", abs);
        }
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                if (r < 0 || !strcmp(name, ".") || !strcmp(name, ".."))
                        continue;
                cleanup_free char *rel = dir ? xasprintf("%s/%s", dir->rel, name) : xstrdup(name);
                cleanup_free char *path = path_join(abs, name);
                cleanup_free bool *info = xcalloc(w->di->n ? w->di->n : 1, sizeof(bool));
                struct stat st;
                if (++w->visited > DOCKERIGNORE_WALK_MAX) {
                        r = distill_error_set(w->err, DISTILL_EUSAGE, "%s: more than %d entries",
                                              abs, DOCKERIGNORE_WALK_MAX);
                        continue;
                }
                if (lstat(path, &st) < 0) {
                        r = distill_error_errno(w->err, DISTILL_EIO, errno, "%s", path);
                        continue;
                }
                bool is_dir = S_ISDIR(st.st_mode);
                bool excluded = excluded_with_parent(w->di, rel, dir_info, info);
                if (excluded && is_dir && !must_descend_excluded(w->di, rel))
                        continue;
                if (!excluded) {
                        send_parents(w, dir);
                        strvec_push(w->out, rel);
                }
                if (!is_dir)
                        continue;
                if (depth + 1 > DOCKERIGNORE_WALK_DEPTH) {
                        r = distill_error_set(w->err, DISTILL_EUSAGE,
                                              "%s: directories nested too deeply", path);
                        continue;
                }
                struct frame f = {.rel = rel, .sent = !excluded, .up = dir};
                r = walk_dir(w, path, &f, info, depth + 1);
        }
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

int dockerignore_walk(const struct dockerignore *di, const char *dir, struct strvec *out,
                      struct distill_error *err)
{
        struct walk w = {.di = di, .out = out, .err = err};
        int r = walk_dir(&w, dir, NULL, NULL, 0);
        if (r < 0)
                return r;
        strvec_sort(out);
        return 0;
}
