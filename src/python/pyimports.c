/* Python import scanner: a tokenizer for Python 3 source (the rules of CPython 3.11's
 * Parser/tokenizer.c and of its f-string parser; for 3.12 and newer, f-strings as 3.12's
 * tokenizer reads them, PEP 701) feeding a small statement recogniser.
 *
 * The lexer yields one logical line at a time (INDENT/DEDENT tokens first, NEWLINE last). The
 * recogniser keeps a stack of blocks, one per INDENT, each saying whether it is inside a def
 * (function depth), inside a try/if/with/for/while/match body (nested depth) and which `try` body
 * encloses it. Whether a `try` guards its body is only known once its handlers have been read, so
 * imports remember their innermost try and `guarded` is resolved at the end. Names bound by
 * imports are likewise only all known at the end, so `NAME.attr` uses and calls through a bound
 * `import_module` are kept as candidates and resolved then. */
#include "distill/python/pyimports.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BRACKETS        200 /* bracket nesting, as CPython's MAXLEVEL */
#define MAX_INDENT          100 /* block nesting, as CPython's MAXINDENT */
#define MAX_FSTRING_NESTING 8   /* 3.11: f-strings nested in replacement fields */
#define MAX_FSTRING_LEVEL   150 /* 3.12: the same, as CPython's MAXFSTRINGLEVEL */
#define MAX_EXPR_NESTING    3   /* 3.12: fields nested in format specs, as CPython's */
#define MAX_LAMBDAS         256 /* lambdas open at once in one statement */
#define TABSIZE             8

/* T_FOPEN/T_FCLOSE wrap the tokens of an f-string replacement field (they have no text). */
enum tok_type {
        T_NAME,
        T_NUMBER,
        T_STRING,
        T_OP,
        T_FOPEN,
        T_FCLOSE,
        T_NEWLINE,
        T_INDENT,
        T_DEDENT,
        T_END
};

enum {
        TF_FSTRING = 1u << 0,
        TF_BYTES = 1u << 1,
        TF_BACKSLASH = 1u << 2, /* the literal holds an escape: its value is not its text */
};

/* Kept small (20 bytes): a logical line of a 16 MiB file may hold millions of tokens. */
struct tok {
        uint32_t off; /* into the source */
        uint32_t len;
        uint32_t line, col;
        uint8_t type; /* enum tok_type */
        uint8_t flags;
        uint8_t body_skip; /* T_STRING: prefix and opening quote(s) before the contents */
        uint8_t body_trim; /* T_STRING: closing quote(s) after them */
};
_Static_assert(PYIMPORTS_MAX_SOURCE < UINT32_MAX, "token offsets are 32-bit");

struct toks {
        struct tok *v;
        size_t n, alloc;
};

struct bracket {
        char ch;
        unsigned line, col;
};

struct lexer {
        const char *src;
        size_t end; /* one past the last byte this lexer may read */
        const char *name;
        struct distill_error *err;
        size_t pos;
        unsigned line;
        size_t line_start;
        int indent[MAX_INDENT + 1];
        int altindent[MAX_INDENT + 1]; /* tabs counted as 1: CPython's consistency check */
        int n_indent;                  /* indent[0] == 0 is the module level */
        struct bracket brackets[MAX_BRACKETS];
        int n_brackets;
        int fnesting;
        enum py_grammar grammar;
};

/* --- tokens ------------------------------------------------------------------------------- */

static struct tok *toks_push(struct toks *t, enum tok_type type, size_t off, size_t len,
                             unsigned line, unsigned col)
{
        if (t->n == t->alloc) {
                t->alloc = t->alloc ? 2 * t->alloc : 256;
                t->v = xrealloc(t->v, t->alloc * sizeof(*t->v));
        }
        struct tok *k = &t->v[t->n++];
        *k = (struct tok){.off = (uint32_t)off,
                          .len = (uint32_t)len,
                          .line = line,
                          .col = col,
                          .type = (uint8_t)type};
        return k;
}

static bool tok_is(const char *src, const struct tok *t, enum tok_type type, const char *text)
{
        size_t n = strlen(text);
        return t->type == type && t->len == n && memcmp(src + t->off, text, n) == 0;
}

static bool is_op(const char *src, const struct tok *t, const char *text)
{
        return tok_is(src, t, T_OP, text);
}

static bool is_kw(const char *src, const struct tok *t, const char *text)
{
        return tok_is(src, t, T_NAME, text);
}

static bool is_open_bracket(const char *src, const struct tok *t)
{
        return t->type == T_FOPEN ||
               (t->type == T_OP && t->len == 1 && memchr("([{", src[t->off], 3));
}

static bool is_close_bracket(const char *src, const struct tok *t)
{
        return t->type == T_FCLOSE ||
               (t->type == T_OP && t->len == 1 && memchr(")]}", src[t->off], 3));
}

/* --- lexer -------------------------------------------------------------------------------- */

static unsigned lx_col(const struct lexer *lx, size_t off)
{
        return (unsigned)(off - lx->line_start + 1);
}

static int lx_error(struct lexer *lx, unsigned line, unsigned col, const char *msg)
{
        return distill_error_set(lx->err, DISTILL_EUSAGE, "%s:%u:%u: %s", lx->name, line, col, msg);
}

/* Consumes the line break at `p` (\n, \r\n or \r) and starts a new line. */
static size_t lx_newline_at(struct lexer *lx, size_t p)
{
        if (lx->src[p] == '\r' && p + 1 < lx->end && lx->src[p + 1] == '\n')
                p++;
        lx->line++;
        lx->line_start = p + 1;
        return p + 1;
}

static bool is_ident_start(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
        return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

/* r, u, b, f, rb, br, fr, rf in any case. */
static bool is_string_prefix(const char *s, size_t n, unsigned *flags)
{
        bool r = false, u = false, b = false, f = false;
        if (n == 0 || n > 2)
                return false;
        for (size_t i = 0; i < n; i++) {
                bool *seen;
                switch (s[i] | 0x20) {
                case 'r':
                        seen = &r;
                        break;
                case 'u':
                        seen = &u;
                        break;
                case 'b':
                        seen = &b;
                        break;
                case 'f':
                        seen = &f;
                        break;
                default:
                        return false;
                }
                if (*seen)
                        return false;
                *seen = true;
        }
        if ((u && n > 1) || (b && f))
                return false;
        *flags = (b ? TF_BYTES : 0) | (f ? TF_FSTRING : 0);
        return true;
}

/* A position tracker for walking the inside of a string that may span lines. */
struct cursor {
        size_t at;
        unsigned line;
        size_t line_start;
};

static void cursor_advance(const char *src, struct cursor *c, size_t to)
{
        for (; c->at < to; c->at++) {
                char ch = src[c->at];
                if (ch == '\n' || (ch == '\r' && src[c->at + 1] != '\n')) {
                        c->line++;
                        c->line_start = c->at + 1;
                }
        }
}

static int lex_fstring_fields(struct lexer *lx, struct cursor *cur, size_t *pp, size_t end,
                              bool raw, int recurse, struct toks *out);
static int lex_fstring_pep701(struct lexer *lx, size_t start, unsigned flags, bool raw,
                              struct toks *out);

/* Reads a string literal whose prefix starts at `start` and whose quote is at lx->pos. 3.11
 * rules: an f-string ends at its first unescaped closing quote like any string, and its
 * replacement fields are then tokenized in place, wrapped in parentheses. 3.12 rules (PEP 701):
 * an f-string is read field by field, its end found only after the fields it holds. */
static int lex_string(struct lexer *lx, size_t start, unsigned flags, struct toks *out)
{
        const char *s = lx->src;
        unsigned line = lx->line, col = lx_col(lx, start);
        size_t line_start = lx->line_start;
        bool raw =
            memchr(s + start, 'r', lx->pos - start) || memchr(s + start, 'R', lx->pos - start);
        char q = s[lx->pos];
        bool triple = lx->pos + 2 < lx->end && s[lx->pos + 1] == q && s[lx->pos + 2] == q;
        size_t p = lx->pos + (triple ? 3 : 1), body = p, body_end;
        const char *unterminated =
            triple ? "unterminated triple-quoted string literal" : "unterminated string literal";

        if ((flags & TF_FSTRING) && lx->grammar >= PY_GRAMMAR_3_12)
                return lex_fstring_pep701(lx, start, flags, raw, out);
        for (;;) {
                if (p >= lx->end)
                        return lx_error(lx, line, col, unterminated);
                char c = s[p];
                if (c == '\\') {
                        flags |= TF_BACKSLASH;
                        if (p + 1 >= lx->end)
                                return lx_error(lx, line, col, unterminated);
                        if (s[p + 1] == '\n' || s[p + 1] == '\r')
                                p = lx_newline_at(lx, p + 1);
                        else
                                p += 2;
                } else if (c == '\n' || c == '\r') {
                        if (!triple)
                                return lx_error(lx, line, col, unterminated);
                        p = lx_newline_at(lx, p);
                } else if (c == q &&
                           (!triple || (p + 2 < lx->end && s[p + 1] == q && s[p + 2] == q))) {
                        body_end = p;
                        p += triple ? 3 : 1;
                        break;
                } else {
                        p++;
                }
        }
        struct tok *t = toks_push(out, T_STRING, start, p - start, line, col);
        t->flags = (uint8_t)flags;
        t->body_skip = (uint8_t)(body - start);
        t->body_trim = (uint8_t)(p - body_end);
        lx->pos = p;
        if (!(flags & TF_FSTRING))
                return 0;

        struct cursor cur = {start, line, line_start};
        size_t fp = body;
        return lex_fstring_fields(lx, &cur, &fp, body_end, raw, 0, out);
}

static void lex_number(struct lexer *lx, struct toks *out)
{
        const char *s = lx->src;
        size_t p = lx->pos;
        char c1 = p + 1 < lx->end ? (char)(s[p + 1] | 0x20) : 0;
        if (s[p] == '0' && (c1 == 'x' || c1 == 'o' || c1 == 'b')) {
                const char *digits = c1 == 'x'   ? "0123456789abcdefABCDEF_"
                                     : c1 == 'o' ? "01234567_"
                                                 : "01_";
                p += 2;
                while (p < lx->end && s[p] && strchr(digits, s[p]))
                        p++;
        } else {
                while (p < lx->end && (is_digit(s[p]) || s[p] == '_'))
                        p++;
                if (p < lx->end && s[p] == '.') {
                        p++;
                        while (p < lx->end && (is_digit(s[p]) || s[p] == '_'))
                                p++;
                }
                if (p < lx->end && (s[p] | 0x20) == 'e') {
                        size_t q = p + 1;
                        if (q < lx->end && (s[q] == '+' || s[q] == '-'))
                                q++;
                        if (q < lx->end && is_digit(s[q])) {
                                p = q;
                                while (p < lx->end && (is_digit(s[p]) || s[p] == '_'))
                                        p++;
                        }
                }
                if (p < lx->end && (s[p] | 0x20) == 'j')
                        p++;
        }
        toks_push(out, T_NUMBER, lx->pos, p - lx->pos, lx->line, lx_col(lx, lx->pos));
        lx->pos = p;
}

static size_t op_length(const char *s, size_t avail)
{
        static const char *const ops3[] = {"...", "**=", "//=", ">>=", "<<="};
        static const char *const ops2[] = {"!=", "%=", "&=", "**", "*=", "+=", "-=",
                                           "->", "//", "/=", ":=", "<<", "<=", "<>",
                                           "==", ">=", ">>", "@=", "^=", "|="};
        for (size_t i = 0; avail >= 3 && i < sizeof(ops3) / sizeof(*ops3); i++)
                if (memcmp(s, ops3[i], 3) == 0)
                        return 3;
        for (size_t i = 0; avail >= 2 && i < sizeof(ops2) / sizeof(*ops2); i++)
                if (memcmp(s, ops2[i], 2) == 0)
                        return 2;
        return 1;
}

static int lex_bracket(struct lexer *lx, struct toks *out)
{
        char c = lx->src[lx->pos];
        unsigned col = lx_col(lx, lx->pos);
        if (strchr("([{", c)) {
                if (lx->n_brackets >= MAX_BRACKETS)
                        return lx_error(lx, lx->line, col, "too many nested parentheses");
                lx->brackets[lx->n_brackets++] = (struct bracket){c, lx->line, col};
        } else {
                if (lx->n_brackets == 0)
                        return distill_error_set(lx->err, DISTILL_EUSAGE,
                                                 "%s:%u:%u: unmatched '%c'", lx->name, lx->line,
                                                 col, c);
                struct bracket *b = &lx->brackets[lx->n_brackets - 1];
                char want = b->ch == '(' ? ')' : b->ch == '[' ? ']' : '}';
                if (c != want)
                        return distill_error_set(
                            lx->err, DISTILL_EUSAGE,
                            "%s:%u:%u: closing parenthesis '%c' does not match "
                            "opening parenthesis '%c' on line %u",
                            lx->name, lx->line, col, c, b->ch, b->line);
                lx->n_brackets--;
        }
        toks_push(out, T_OP, lx->pos, 1, lx->line, col);
        lx->pos++;
        return 0;
}

/* One token starting at a non-blank byte that is not a line break, comment or backslash. */
static int lex_token(struct lexer *lx, struct toks *out)
{
        const char *s = lx->src;
        unsigned char c = (unsigned char)s[lx->pos];

        if (is_ident_start(c)) {
                size_t start = lx->pos, p = start;
                unsigned flags;
                while (p < lx->end && is_ident_char((unsigned char)s[p]))
                        p++;
                if (p < lx->end && (s[p] == '\'' || s[p] == '"') &&
                    is_string_prefix(s + start, p - start, &flags)) {
                        lx->pos = p;
                        return lex_string(lx, start, flags, out);
                }
                toks_push(out, T_NAME, start, p - start, lx->line, lx_col(lx, start));
                lx->pos = p;
                return 0;
        }
        if (is_digit(c) ||
            (c == '.' && lx->pos + 1 < lx->end && is_digit((unsigned char)s[lx->pos + 1]))) {
                lex_number(lx, out);
                return 0;
        }
        if (c == '\'' || c == '"')
                return lex_string(lx, lx->pos, 0, out);
        if (strchr("()[]{}", c))
                return lex_bracket(lx, out);
        /* Anything else is an operator; stray bytes ($, ?, `) too: they cannot change structure. */
        size_t n = op_length(s + lx->pos, lx->end - lx->pos);
        toks_push(out, T_OP, lx->pos, n, lx->line, lx_col(lx, lx->pos));
        lx->pos += n;
        return 0;
}

/* Tokenizes the expression of a replacement field, [start, end), wrapped in T_FOPEN/T_FCLOSE so
 * the recogniser treats it as one bracketed group. `cur` is at `start`. */
static int lex_fexpr(struct lexer *lx, const struct cursor *cur, size_t start, size_t end,
                     struct toks *out)
{
        if (lx->fnesting >= MAX_FSTRING_NESTING)
                return lx_error(lx, cur->line, (unsigned)(start - cur->line_start + 1),
                                "f-string: expressions nested too deeply");
        struct lexer *child = xmalloc(sizeof(*child));
        child->src = lx->src;
        child->end = end;
        child->name = lx->name;
        child->err = lx->err;
        child->pos = start;
        child->line = cur->line;
        child->line_start = cur->line_start;
        child->n_indent = 0;
        child->n_brackets = 0;
        child->fnesting = lx->fnesting + 1;

        int r = 0;
        toks_push(out, T_FOPEN, start, 0, child->line, lx_col(child, start));
        while (child->pos < child->end) {
                char c = lx->src[child->pos];
                if (c == ' ' || c == '\t' || c == '\f') {
                        child->pos++;
                } else if (c == '\n' || c == '\r') {
                        child->pos = lx_newline_at(child, child->pos);
                } else if (c == '\\' || c == '#') {
                        r = lx_error(child, child->line, lx_col(child, child->pos),
                                     c == '#'
                                         ? "f-string expression part cannot include '#'"
                                         : "f-string expression part cannot include a backslash");
                        goto out;
                } else if ((r = lex_token(child, out)) < 0) {
                        goto out;
                }
        }
        if (child->n_brackets > 0) {
                struct bracket *b = &child->brackets[child->n_brackets - 1];
                r = distill_error_set(lx->err, DISTILL_EUSAGE,
                                      "%s:%u:%u: f-string: '%c' was never closed", lx->name,
                                      b->line, b->col, b->ch);
                goto out;
        }
        toks_push(out, T_FCLOSE, end, 0, child->line, lx_col(child, end));
out:
        free(child);
        return r;
}

static int fstring_error(struct lexer *lx, struct cursor *cur, size_t at, const char *msg)
{
        const char *s = lx->src;
        if (at >= cur->at) {
                cursor_advance(s, cur, at);
                return lx_error(lx, cur->line, (unsigned)(at - cur->line_start + 1), msg);
        }
        /* behind the cursor: count the line breaks back to `at`, then find its line start */
        unsigned line = cur->line;
        for (size_t i = at; i < cur->at; i++)
                if (s[i] == '\n' || (s[i] == '\r' && s[i + 1] != '\n'))
                        line--;
        size_t ls = at;
        while (ls > 0 && s[ls - 1] != '\n' && s[ls - 1] != '\r')
                ls--;
        return lx_error(lx, line, (unsigned)(at - ls + 1), msg);
}

/* Scans the replacement field whose expression starts at *pp (just after its '{'), CPython
 * 3.11's fstring_find_expr: the expression ends at a top-level '!', ':', '=' or '}' (but not
 * inside brackets or nested strings, nor at "!=", "==", "<=", ">="). `cur` only moves forward,
 * so that lines are counted once however many fields a string has. */
static int lex_fstring_field(struct lexer *lx, struct cursor *cur, size_t *pp, size_t end, bool raw,
                             int recurse, struct toks *out)
{
        const char *s = lx->src;
        size_t p = *pp, start = p;
        char quote = 0;
        bool triple = false;
        int nested = 0;

        if (recurse >= 2)
                return fstring_error(lx, cur, start - 1, "f-string: expressions nested too deeply");
        for (; p < end; p++) {
                char c = s[p];
                if (c == '\\')
                        return fstring_error(lx, cur, p,
                                             "f-string expression part cannot include a backslash");
                if (quote) {
                        if (c == quote && !triple) {
                                quote = 0;
                        } else if (c == quote && p + 2 < end && s[p + 1] == quote &&
                                   s[p + 2] == quote) {
                                quote = 0;
                                p += 2;
                        }
                        continue;
                }
                if (c == '\'' || c == '"') {
                        quote = c;
                        triple = p + 2 < end && s[p + 1] == c && s[p + 2] == c;
                        if (triple)
                                p += 2;
                        continue;
                }
                if (c == '[' || c == '(' || c == '{') {
                        if (++nested >= MAX_BRACKETS)
                                return fstring_error(lx, cur, p,
                                                     "f-string: too many nested parenthesis");
                } else if (c == ']' || c == ')' || (c == '}' && nested > 0)) {
                        if (--nested < 0)
                                break; /* reported below as a missing '}' */
                } else if (nested == 0 && strchr("!:}=<>", c)) {
                        if (p + 1 < end && s[p + 1] == '=' && strchr("!=<>", c)) {
                                p++;
                                continue;
                        }
                        if (c == '<' || c == '>')
                                continue;
                        break;
                }
        }
        if (quote)
                return fstring_error(lx, cur, start, "f-string: unterminated string");
        if (p >= end || nested < 0)
                return fstring_error(lx, cur, start - 1, "f-string: expecting '}'");
        size_t blank = start;
        while (blank < p && strchr(" \t\f\r\n", s[blank]))
                blank++;
        if (blank == p)
                return fstring_error(lx, cur, p, "f-string: empty expression not allowed");

        cursor_advance(s, cur, start);
        int r = lex_fexpr(lx, cur, start, p, out);
        if (r < 0)
                return r;

        if (s[p] == '=') { /* self-documenting `{x = }`: blanks may follow the '=' */
                p++;
                while (p < end && strchr(" \t\f\r\n\v", s[p]))
                        p++;
        }
        if (p < end && s[p] == '!') {
                p += 2; /* the conversion character */
                if (p > end)
                        p = end;
        }
        if (p < end && s[p] == ':') {
                p++;
                if ((r = lex_fstring_fields(lx, cur, &p, end, raw, recurse + 1, out)) < 0)
                        return r;
        }
        if (p >= end || s[p] != '}')
                return fstring_error(lx, cur, start - 1, "f-string: expecting '}'");
        *pp = p + 1;
        return 0;
}

/* The literal parts of an f-string (recurse 0) or of a format spec (recurse > 0, which ends at
 * the '}' closing its field): CPython 3.11's fstring_find_literal. */
static int lex_fstring_fields(struct lexer *lx, struct cursor *cur, size_t *pp, size_t end,
                              bool raw, int recurse, struct toks *out)
{
        const char *s = lx->src;
        size_t p = *pp;
        int r;

        while (p < end) {
                char c = s[p++];
                if (!raw && c == '\\' && p < end) {
                        c = s[p++];
                        if (c == 'N' && p < end && s[p] == '{') {
                                while (p < end && s[p++] != '}')
                                        ;
                                continue;
                        }
                }
                if (c != '{' && c != '}')
                        continue;
                if (recurse == 0 && p < end && s[p] == c) {
                        p++; /* a doubled brace is a literal one */
                        continue;
                }
                if (c == '}') {
                        if (recurse == 0)
                                return fstring_error(lx, cur, p - 1,
                                                     "f-string: single '}' is not allowed");
                        p--; /* the end of this format spec */
                        break;
                }
                if ((r = lex_fstring_field(lx, cur, &p, end, raw, recurse, out)) < 0)
                        return r;
        }
        *pp = p;
        return 0;
}

/* --- f-strings by PEP 701 (3.12 and newer) ----------------------------------------------- */

/* An f-string being read: 3.12's tokenizer mode for it. */
struct fstring {
        char quote;
        bool triple, raw;
        unsigned line, col; /* of its prefix, where errors about the whole string point */
        unsigned flags;
};

static int lex_pep701_field(struct lexer *lx, struct fstring *fs, int nest, struct toks *out);

static bool at_fstring_end(const struct lexer *lx, const struct fstring *fs, size_t p)
{
        const char *s = lx->src;
        return s[p] == fs->quote &&
               (!fs->triple || (p + 2 < lx->end && s[p + 1] == fs->quote && s[p + 2] == fs->quote));
}

static int fstring_unterminated(struct lexer *lx, const struct fstring *fs)
{
        return lx_error(lx, fs->line, fs->col,
                        fs->triple ? "unterminated triple-quoted f-string literal"
                                   : "unterminated f-string literal");
}

/* The literal text of an f-string (in_spec false: up to its closing quote) or of a format spec
 * (in_spec: up to the '}' closing its field), reading the replacement fields it holds at field
 * nesting `nest`: 3.12's tok_get_fstring_mode. Leaves lx->pos at the quote or the '}'. */
static int lex_pep701_middle(struct lexer *lx, struct fstring *fs, bool in_spec, int nest,
                             struct toks *out)
{
        const char *s = lx->src;
        bool unicode_name = false; /* inside \N{...}, whose '}' is text */
        int r;

        for (;;) {
                size_t p = lx->pos;
                if (p >= lx->end)
                        return fstring_unterminated(lx, fs);
                char c = s[p];
                if (at_fstring_end(lx, fs, p)) {
                        if (in_spec)
                                return lx_error(lx, lx->line, lx_col(lx, p),
                                                "f-string: expecting '}'");
                        return 0;
                }
                if (c == '\n' || c == '\r') {
                        if (!fs->triple)
                                /* a single-quoted string's format spec ends at the line's end
                                 * (the field then wants its '}'); its text may not */
                                return in_spec ? 0 : fstring_unterminated(lx, fs);
                        lx->pos = lx_newline_at(lx, p);
                } else if (c == '{') {
                        if (!in_spec && s[p + 1] == '{') {
                                lx->pos = p + 2; /* a doubled brace is a literal one */
                                continue;
                        }
                        if ((r = lex_pep701_field(lx, fs, nest, out)) < 0)
                                return r;
                } else if (c == '}') {
                        if (unicode_name) {
                                unicode_name = false;
                                lx->pos = p + 1;
                        } else if (in_spec) {
                                return 0;
                        } else if (s[p + 1] == '}') {
                                lx->pos = p + 2;
                        } else {
                                return lx_error(lx, lx->line, lx_col(lx, p),
                                                "f-string: single '}' is not allowed");
                        }
                } else if (c == '\\') {
                        fs->flags |= TF_BACKSLASH;
                        char n = s[p + 1]; /* the copy is NUL-terminated */
                        if (p + 1 >= lx->end)
                                return fstring_unterminated(lx, fs);
                        if (n == '{' || n == '}') {
                                lx->pos = p + 1; /* the brace is read as a brace */
                        } else if (!fs->raw && n == 'N' && s[p + 2] == '{') {
                                unicode_name = true;
                                lx->pos = p + 3;
                        } else if (n == '\n' || n == '\r') {
                                lx->pos = lx_newline_at(lx, p + 1);
                        } else {
                                lx->pos = p + 2; /* an escaped quote does not end the string */
                        }
                } else {
                        lx->pos = p + 1;
                }
        }
}

/* Blanks, line breaks, comments and line continuations inside a replacement field: the field's
 * brace is open, so its code may span lines as inside any bracket. */
static int skip_field_blanks(struct lexer *lx)
{
        const char *s = lx->src;
        while (lx->pos < lx->end) {
                char c = s[lx->pos];
                if (c == ' ' || c == '\t' || c == '\f') {
                        lx->pos++;
                } else if (c == '\n' || c == '\r') {
                        lx->pos = lx_newline_at(lx, lx->pos);
                } else if (c == '#') {
                        while (lx->pos < lx->end && s[lx->pos] != '\n' && s[lx->pos] != '\r')
                                lx->pos++;
                } else if (c == '\\') {
                        char n = s[lx->pos + 1];
                        if (n != '\n' && n != '\r')
                                return lx_error(
                                    lx, lx->line, lx_col(lx, lx->pos),
                                    "unexpected character after line continuation character");
                        lx->pos = lx_newline_at(lx, lx->pos + 1);
                } else {
                        break;
                }
        }
        return 0;
}

/* Whether the byte at p ends a field's expression: '}', ':', a conversion's '!' or a
 * self-documenting '=' at the field's own bracket level. */
static bool ends_field_expr(const struct lexer *lx, size_t p, int level)
{
        const char *s = lx->src;
        if (lx->n_brackets != level)
                return false;
        return s[p] == '}' || s[p] == ':' || ((s[p] == '!' || s[p] == '=') && s[p + 1] != '=');
}

/* The replacement field whose '{' is at lx->pos, at field nesting `nest` (0 in the string's
 * text, 1 in that field's format spec, ...): its expression is ordinary code, whatever quotes,
 * backslashes, comments and f-strings it holds, tokenized between T_FOPEN and T_FCLOSE; then a
 * '=', a conversion and a format spec may follow. */
static int lex_pep701_field(struct lexer *lx, struct fstring *fs, int nest, struct toks *out)
{
        const char *s = lx->src;
        unsigned line = lx->line, col = lx_col(lx, lx->pos);
        int r;

        if (nest >= MAX_EXPR_NESTING)
                return lx_error(lx, line, col, "f-string: expressions nested too deeply");
        if (lx->n_brackets >= MAX_BRACKETS)
                return lx_error(lx, line, col, "too many nested parentheses");
        lx->brackets[lx->n_brackets++] = (struct bracket){'{', line, col};
        int level = lx->n_brackets;
        lx->pos++;

        size_t fopen = out->n;
        toks_push(out, T_FOPEN, lx->pos, 0, lx->line, lx_col(lx, lx->pos));
        for (;;) {
                if ((r = skip_field_blanks(lx)) < 0)
                        return r;
                if (lx->pos >= lx->end)
                        return lx_error(lx, line, col, "f-string: expecting '}'");
                if (ends_field_expr(lx, lx->pos, level))
                        break;
                if ((r = lex_token(lx, out)) < 0)
                        return r;
        }
        if (out->n == fopen + 1)
                return distill_error_set(lx->err, DISTILL_EUSAGE,
                                         "%s:%u:%u: f-string: valid expression required before "
                                         "'%c'",
                                         lx->name, lx->line, lx_col(lx, lx->pos), s[lx->pos]);
        toks_push(out, T_FCLOSE, lx->pos, 0, lx->line, lx_col(lx, lx->pos));

        if (s[lx->pos] == '=') {
                lx->pos++;
                if ((r = skip_field_blanks(lx)) < 0)
                        return r;
        }
        if (s[lx->pos] == '!') {
                size_t p = ++lx->pos;
                while (p < lx->end && is_ident_char((unsigned char)s[p]))
                        p++;
                if (p == lx->pos)
                        return lx_error(lx, lx->line, lx_col(lx, p),
                                        "f-string: missing conversion character");
                lx->pos = p;
                if ((r = skip_field_blanks(lx)) < 0)
                        return r;
        }
        if (s[lx->pos] == ':') {
                lx->pos++;
                if ((r = lex_pep701_middle(lx, fs, true, nest + 1, out)) < 0)
                        return r;
                if ((r = skip_field_blanks(lx)) < 0)
                        return r;
        }
        if (lx->pos >= lx->end || s[lx->pos] != '}')
                return lx_error(lx, line, col, "f-string: expecting '}'");
        lx->n_brackets--;
        lx->pos++;
        return 0;
}

/* An f-string whose prefix starts at `start` and whose quote is at lx->pos, by 3.12's rules: one
 * T_STRING for its whole text, then a T_FOPEN…T_FCLOSE group for each field, as in 3.11. */
static int lex_fstring_pep701(struct lexer *lx, size_t start, unsigned flags, bool raw,
                              struct toks *out)
{
        const char *s = lx->src;
        struct fstring fs = {.quote = s[lx->pos],
                             .raw = raw,
                             .line = lx->line,
                             .col = lx_col(lx, start),
                             .flags = flags};
        fs.triple =
            lx->pos + 2 < lx->end && s[lx->pos + 1] == fs.quote && s[lx->pos + 2] == fs.quote;
        size_t quotes = fs.triple ? 3 : 1, body = lx->pos + quotes;

        if (lx->fnesting >= MAX_FSTRING_LEVEL)
                return lx_error(lx, fs.line, fs.col, "too many nested f-strings");
        /* filled in once the end is known: the fields' tokens may move the array */
        size_t at = out->n;
        toks_push(out, T_STRING, start, 0, fs.line, fs.col);
        lx->pos = body;
        lx->fnesting++;
        int r = lex_pep701_middle(lx, &fs, false, 0, out);
        lx->fnesting--;
        if (r < 0)
                return r;
        size_t body_end = lx->pos;
        lx->pos += quotes;
        struct tok *t = &out->v[at];
        t->len = (uint32_t)(lx->pos - start);
        t->flags = (uint8_t)fs.flags;
        t->body_skip = (uint8_t)(body - start);
        t->body_trim = (uint8_t)(lx->pos - body_end);
        return 0;
}

/* Reads the indentation of the next non-blank line and emits INDENT/DEDENT tokens; at end of
 * input, the closing DEDENTs and T_END. */
static int lex_indentation(struct lexer *lx, struct toks *out)
{
        const char *s = lx->src;
        for (;;) {
                size_t p = lx->pos;
                int col = 0, altcol = 0;
                for (; p < lx->end; p++) {
                        if (s[p] == ' ') {
                                col++;
                                altcol++;
                        } else if (s[p] == '\t') {
                                col = (col / TABSIZE + 1) * TABSIZE;
                                altcol++;
                        } else if (s[p] == '\f') {
                                col = altcol = 0;
                        } else {
                                break;
                        }
                }
                if (p >= lx->end) {
                        lx->pos = p;
                        for (; lx->n_indent > 0; lx->n_indent--)
                                toks_push(out, T_DEDENT, p, 0, lx->line, lx_col(lx, p));
                        toks_push(out, T_END, p, 0, lx->line, lx_col(lx, p));
                        return 0;
                }
                if (s[p] == '#' || s[p] == '\n' || s[p] == '\r') {
                        while (p < lx->end && s[p] != '\n' && s[p] != '\r')
                                p++;
                        lx->pos = p < lx->end ? lx_newline_at(lx, p) : p;
                        continue;
                }
                lx->pos = p;
                unsigned ucol = lx_col(lx, p);
                int top = lx->indent[lx->n_indent], alttop = lx->altindent[lx->n_indent];
                if (col == top) {
                        if (altcol != alttop)
                                goto tab_error;
                } else if (col > top) {
                        if (lx->n_indent >= MAX_INDENT)
                                return lx_error(lx, lx->line, ucol,
                                                "too many levels of indentation");
                        if (altcol <= alttop)
                                goto tab_error;
                        lx->n_indent++;
                        lx->indent[lx->n_indent] = col;
                        lx->altindent[lx->n_indent] = altcol;
                        toks_push(out, T_INDENT, p, 0, lx->line, ucol);
                } else {
                        while (lx->n_indent > 0 && col < lx->indent[lx->n_indent]) {
                                lx->n_indent--;
                                toks_push(out, T_DEDENT, p, 0, lx->line, ucol);
                        }
                        if (col != lx->indent[lx->n_indent])
                                return lx_error(
                                    lx, lx->line, ucol,
                                    "unindent does not match any outer indentation level");
                        if (altcol != lx->altindent[lx->n_indent])
                                goto tab_error;
                }
                return 0;
        tab_error:
                return lx_error(lx, lx->line, ucol,
                                "inconsistent use of tabs and spaces in indentation");
        }
}

/* The next logical line into `out` (cleared): INDENT/DEDENT tokens, the line's tokens, NEWLINE;
 * or the final DEDENTs and T_END. */
static int lex_logical_line(struct lexer *lx, struct toks *out)
{
        const char *s = lx->src;
        int r;

        out->n = 0;
        if ((r = lex_indentation(lx, out)) < 0)
                return r;
        if (out->n > 0 && out->v[out->n - 1].type == T_END)
                return 0;
        for (;;) {
                if (lx->pos >= lx->end) {
                        if (lx->n_brackets > 0) {
                                struct bracket *b = &lx->brackets[lx->n_brackets - 1];
                                return distill_error_set(lx->err, DISTILL_EUSAGE,
                                                         "%s:%u:%u: '%c' was never closed",
                                                         lx->name, b->line, b->col, b->ch);
                        }
                        toks_push(out, T_NEWLINE, lx->pos, 0, lx->line, lx_col(lx, lx->pos));
                        return 0;
                }
                char c = s[lx->pos];
                if (c == ' ' || c == '\t' || c == '\f') {
                        lx->pos++;
                } else if (c == '#') {
                        while (lx->pos < lx->end && s[lx->pos] != '\n' && s[lx->pos] != '\r')
                                lx->pos++;
                } else if (c == '\n' || c == '\r') {
                        unsigned line = lx->line, col = lx_col(lx, lx->pos);
                        size_t off = lx->pos;
                        lx->pos = lx_newline_at(lx, lx->pos);
                        if (lx->n_brackets == 0) {
                                toks_push(out, T_NEWLINE, off, 0, line, col);
                                return 0;
                        }
                } else if (c == '\\') {
                        size_t n = lx->pos + 1;
                        if (n >= lx->end)
                                return lx_error(lx, lx->line, lx_col(lx, lx->pos),
                                                "unexpected EOF after line continuation character");
                        if (s[n] != '\n' && s[n] != '\r')
                                return lx_error(
                                    lx, lx->line, lx_col(lx, lx->pos),
                                    "unexpected character after line continuation character");
                        lx->pos = lx_newline_at(lx, n);
                } else if ((r = lex_token(lx, out)) < 0) {
                        return r;
                }
        }
}

/* --- recogniser --------------------------------------------------------------------------- */

struct block {
        int scope;        /* the innermost def or class (index into scanner.scopes), -1 none */
        int if_loaded;    /* the module M of an enclosing `if "M" in sys.modules:` (index into
                           * scanner.loaded_names), -1 none */
        bool decorated;   /* the statements before the next one were decorators... */
        bool registers;   /* ...one of which may register what it decorates */
        bool in_function; /* inside a def or lambda body */
        bool nested;      /* inside the body or a clause of a try/if/with/for/while/match */
        bool is_match;    /* the body of a match statement: `case` is a keyword here */
        int try_ctx;      /* innermost try body enclosing this block in its scope, -1 for none */
        int pending_try;  /* the last `try` opened at this level, for its `except` clauses */
        bool main_block;  /* inside `if __name__ == "__main__":` */
        int handler_try;  /* innermost try whose ImportError handler holds this block, -1 */
};

struct try_rec {
        int parent;
        bool guards; /* has a handler catching ImportError */
};

struct import_rec {
        struct py_import imp;
        int try_ctx;
        char *bound_callee; /* a call through this name: kept only if it names import_module */
};

struct attr_use {
        char *name;
        char *attr;
        unsigned line;
        enum py_import_depth depth;
        int scope;
};

#define MAX_CALL_ARGS   8
#define MAX_LITERAL_LEN 4096
#define MAX_LITERALS    100000 /* per file: a data table may hold many */

struct call_arg {
        char *keyword; /* NULL for a positional argument */
        char *literal; /* the value of a plain string literal, or NULL */
        char *prefix;  /* a computed string's literal prefix ("" for none), when not a literal */
        enum py_prefix_base base;
        bool names_own_path; /* mentions __path__ or __file__ */
        bool has_number;     /* a decimal integer literal, in `number` */
        long number;
};

/* A call seen in an expression, classified in finish() once every binding is known. */
struct call_rec {
        char *callee;  /* the dotted name as written before '(': "codecs.lookup", "s.encode" */
        bool on_value; /* a method of an expression's value: "x".encode(…), f().select(…) */
        unsigned line, col;
        enum py_import_depth depth;
        int try_ctx;
        int scope;
        struct call_arg args[MAX_CALL_ARGS];
        size_t n_args;
};

struct string_rec {
        struct py_literal lit;
        int try_ctx;
};

struct scanner {
        const char *src;
        struct block blocks[MAX_INDENT + 2];
        int n_blocks;
        struct block next_block; /* the body a header ending the previous line opened */
        bool have_next_block;
        struct try_rec *tries;
        size_t n_tries, alloc_tries;
        struct import_rec *imports;
        size_t n_imports, alloc_imports;
        struct attr_use *uses;
        size_t n_uses, alloc_uses;
        struct strmap seen_uses;
        struct call_rec *calls;
        size_t n_calls, alloc_calls;
        struct string_rec *strings;
        size_t n_strings, alloc_strings;
        struct strmap seen_strings;
        struct strmap bindings; /* name → struct strvec of modules, in source order */
        struct py_scope *scopes;
        size_t n_scopes, alloc_scopes;
        struct py_ref *refs;
        size_t n_refs, alloc_refs;
        struct strmap seen_refs; /* "scope kind main name" */
        bool in_all; /* reading `__all__ = [...]`: its strings are exports, not lookups */
        struct strvec loaded_names; /* the M of each `if "M" in sys.modules:` */
};

#define GROW(arr, n, alloc)                                                                        \
        do {                                                                                       \
                if ((n) == (alloc)) {                                                              \
                        (alloc) = (alloc) ? 2 * (alloc) : 16;                                      \
                        (arr) = xrealloc((arr), (alloc) * sizeof(*(arr)));                         \
                }                                                                                  \
        } while (0)

static char *tok_str(const struct scanner *sc, const struct tok *t)
{
        return xstrndup(sc->src + t->off, t->len);
}

static enum py_import_depth depth_of(bool in_function, bool nested)
{
        return in_function ? PY_DEPTH_FUNCTION : nested ? PY_DEPTH_NESTED : PY_DEPTH_MODULE;
}

static struct import_rec *add_import(struct scanner *sc, enum py_import_kind kind,
                                     const struct tok *at, const struct block *ctx, bool in_lambda)
{
        GROW(sc->imports, sc->n_imports, sc->alloc_imports);
        struct import_rec *r = &sc->imports[sc->n_imports++];
        memset(r, 0, sizeof(*r));
        r->imp.kind = kind;
        r->imp.line = at->line;
        r->imp.col = at->col;
        r->imp.depth = depth_of(ctx->in_function || in_lambda, ctx->nested);
        r->try_ctx = in_lambda ? -1 : ctx->try_ctx;
        r->imp.main_block = ctx->main_block;
        r->imp.try_id = r->try_ctx + 1;
        r->imp.fallback_for = in_lambda ? 0 : ctx->handler_try + 1;
        r->imp.scope = ctx->scope;
        return r;
}

/* An import under `if "M" in sys.modules:` of M itself (or from it) loads nothing new. */
static void mark_if_loaded(struct scanner *sc, struct import_rec *r, const struct block *ctx)
{
        if (ctx->if_loaded < 0 || r->imp.level != 0 || !r->imp.module)
                return;
        const char *m = sc->loaded_names.v[ctx->if_loaded];
        size_t n = strlen(m);
        r->imp.if_loaded = strncmp(r->imp.module, m, n) == 0 &&
                           (r->imp.module[n] == '\0' || r->imp.module[n] == '.');
}

static void bind(struct scanner *sc, const char *name, const char *module)
{
        struct strvec *mods = strmap_get(&sc->bindings, name);
        if (!mods) {
                mods = xcalloc(1, sizeof(*mods));
                strmap_put(&sc->bindings, name, mods);
        }
        if (!strvec_contains(mods, module))
                strvec_push(mods, module);
}

/* A dotted name at *j (NAME ('.' NAME)*) appended to `sb`; false if there is none. */
static bool read_dotted(struct scanner *sc, const struct toks *t, size_t *j, struct strbuf *sb)
{
        if (t->v[*j].type != T_NAME)
                return false;
        strbuf_add(sb, sc->src + t->v[*j].off, t->v[*j].len);
        (*j)++;
        while (is_op(sc->src, &t->v[*j], ".") && t->v[*j + 1].type == T_NAME) {
                strbuf_addch(sb, '.');
                strbuf_add(sb, sc->src + t->v[*j + 1].off, t->v[*j + 1].len);
                *j += 2;
        }
        return true;
}

/* import a.b [as c], d ... — one entry per module. */
static void parse_import(struct scanner *sc, const struct toks *t, size_t i, size_t end,
                         const struct block *ctx)
{
        size_t j = i + 1;
        while (j < end) {
                struct strbuf mod = STRBUF_INIT;
                if (!read_dotted(sc, t, &j, &mod)) {
                        strbuf_release(&mod);
                        return;
                }
                struct import_rec *r = add_import(sc, PY_IMPORT, &t->v[i], ctx, false);
                r->imp.module = strbuf_detach(&mod);
                mark_if_loaded(sc, r, ctx);
                if (j + 1 < end && is_kw(sc->src, &t->v[j], "as") && t->v[j + 1].type == T_NAME) {
                        cleanup_free char *as = tok_str(sc, &t->v[j + 1]);
                        bind(sc, as, r->imp.module);
                        j += 2;
                } else {
                        cleanup_free char *top =
                            xstrndup(r->imp.module, strcspn(r->imp.module, "."));
                        bind(sc, top, top);
                }
                if (j >= end || !is_op(sc->src, &t->v[j], ","))
                        return;
                j++;
        }
}

/* from [.]*[a.b] import (x [as y], z,) | * */
static void parse_from(struct scanner *sc, const struct toks *t, size_t i, size_t end,
                       const struct block *ctx)
{
        size_t j = i + 1;
        int level = 0;
        struct strbuf mod = STRBUF_INIT;

        for (;; j++) {
                if (j < end && is_op(sc->src, &t->v[j], "."))
                        level++;
                else if (j < end && is_op(sc->src, &t->v[j], "..."))
                        level += 3;
                else
                        break;
        }
        if (j < end && !is_kw(sc->src, &t->v[j], "import"))
                read_dotted(sc, t, &j, &mod);
        if (j >= end || !is_kw(sc->src, &t->v[j], "import")) {
                strbuf_release(&mod);
                return;
        }
        j++;
        struct import_rec *r = add_import(sc, PY_FROM, &t->v[i], ctx, false);
        r->imp.module = strbuf_detach(&mod);
        r->imp.level = level;
        mark_if_loaded(sc, r, ctx);
        if (j < end && is_op(sc->src, &t->v[j], "*")) {
                strvec_push(&r->imp.names, "*");
                return;
        }
        bool paren = j < end && is_op(sc->src, &t->v[j], "(");
        if (paren)
                j++;
        while (j < end && t->v[j].type == T_NAME) {
                cleanup_free char *name = tok_str(sc, &t->v[j]);
                const char *bound = name;
                cleanup_free char *as = NULL;
                j++;
                if (j + 1 < end && is_kw(sc->src, &t->v[j], "as") && t->v[j + 1].type == T_NAME) {
                        as = tok_str(sc, &t->v[j + 1]);
                        bound = as;
                        j += 2;
                }
                strvec_push(&r->imp.names, name);
                if (level == 0 && r->imp.module[0]) {
                        cleanup_free char *full = xasprintf("%s.%s", r->imp.module, name);
                        bind(sc, bound, full);
                }
                if (j >= end || !is_op(sc->src, &t->v[j], ","))
                        break;
                j++;
        }
}

/* A call `f("literal", ...)` whose first argument is one plain string token: returns that token. */
static const struct tok *literal_first_arg(const struct scanner *sc, const struct toks *t,
                                           size_t paren, size_t end)
{
        if (paren + 2 >= end || !is_op(sc->src, &t->v[paren], "("))
                return NULL;
        const struct tok *s = &t->v[paren + 1], *after = &t->v[paren + 2];
        if (s->type != T_STRING || (s->flags & (TF_FSTRING | TF_BYTES | TF_BACKSLASH)))
                return NULL;
        if (!is_op(sc->src, after, ")") && !is_op(sc->src, after, ","))
                return NULL;
        return s;
}

static void add_call(struct scanner *sc, enum py_import_kind kind, const struct tok *at,
                     const struct tok *lit, const struct block *ctx, bool in_lambda,
                     const char *callee)
{
        struct import_rec *r = add_import(sc, kind, at, ctx, in_lambda);
        const char *s = sc->src + lit->off + lit->body_skip;
        size_t n = lit->len - lit->body_skip - lit->body_trim, dots = 0;
        while (dots < n && s[dots] == '.')
                dots++;
        r->imp.level = (int)dots;
        r->imp.module = xstrndup(s + dots, n - dots);
        r->bound_callee = callee ? xstrdup(callee) : NULL;
}

static void add_use(struct scanner *sc, const struct tok *name, const struct tok *attr,
                    enum py_import_depth depth, int scope)
{
        cleanup_free char *key =
            xasprintf("%d %.*s.%.*s", scope, (int)name->len, sc->src + name->off, (int)attr->len,
                      sc->src + attr->off);
        if (strmap_has(&sc->seen_uses, key))
                return;
        strmap_put(&sc->seen_uses, key, NULL);
        GROW(sc->uses, sc->n_uses, sc->alloc_uses);
        sc->uses[sc->n_uses++] =
            (struct attr_use){tok_str(sc, name), tok_str(sc, attr), name->line, depth, scope};
}

#define MAX_REFS 200000 /* per file */

/* A name the code of a scope uses, once per scope and kind. */
static void add_ref(struct scanner *sc, enum py_ref_kind kind, const char *s, size_t n,
                    const struct block *ctx)
{
        if (sc->n_refs >= MAX_REFS || n == 0 || n > 255)
                return;
        cleanup_free char *key =
            xasprintf("%d %d %d %.*s", ctx->scope, (int)kind, ctx->main_block, (int)n, s);
        if (strmap_has(&sc->seen_refs, key))
                return;
        strmap_put(&sc->seen_refs, key, NULL);
        GROW(sc->refs, sc->n_refs, sc->alloc_refs);
        sc->refs[sc->n_refs++] = (struct py_ref){.kind = kind,
                                                 .name = xstrndup(s, n),
                                                 .scope = ctx->scope,
                                                 .main_block = ctx->main_block};
}

static bool is_keyword_name(const struct scanner *sc, const struct tok *t)
{
        static const char *const kws[] = {
            "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
            "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
            "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
            "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
        for (size_t k = 0; k < sizeof(kws) / sizeof(*kws); k++)
                if (is_kw(sc->src, t, kws[k]))
                        return true;
        return false;
}

/* Whether the dotted name ending at i is an annotation: `x: a.b.name = value`. */
static bool annotates(const char *src, const struct toks *t, size_t a, size_t i)
{
        while (i >= a + 2 && is_op(src, &t->v[i - 1], ".") && t->v[i - 2].type == T_NAME)
                i -= 2;
        return i > a && is_op(src, &t->v[i - 1], ":");
}

/* Whether the '(' at `open` groups (as in `(m).shape`) rather than calls or subscripts. */
static bool is_grouping_paren(const struct scanner *sc, const struct toks *t, size_t a, size_t open)
{
        if (!is_op(sc->src, &t->v[open], "("))
                return false;
        if (open == a)
                return true;
        const struct tok *before = &t->v[open - 1];
        switch (before->type) {
        case T_NAME:
                return is_keyword_name(sc, before);
        case T_OP:
                return !is_close_bracket(sc->src, before);
        case T_FOPEN:
                return true;
        default:
                return false;
        }
}

/* For the name at i, the index of the '.' of `name.attr` or `(name).attr`, or SIZE_MAX. */
static size_t attribute_dot(const struct scanner *sc, const struct toks *t, size_t a, size_t b,
                            size_t i)
{
        size_t lo = i, hi = i + 1;
        while (lo > a && hi < b && is_op(sc->src, &t->v[hi], ")") &&
               is_grouping_paren(sc, t, a, lo - 1)) {
                lo--;
                hi++;
        }
        if (lo > a && is_op(sc->src, &t->v[lo - 1], "."))
                return SIZE_MAX; /* `x.name.attr`: name is an attribute itself */
        if (hi + 1 < b && is_op(sc->src, &t->v[hi], ".") && t->v[hi + 1].type == T_NAME)
                return hi;
        return SIZE_MAX;
}

/* --- calls and literals ------------------------------------------------------------------ */

static size_t matching_close(const struct scanner *sc, const struct toks *t, size_t open,
                             size_t end);

static bool is_plain_string(const struct tok *t)
{
        return t->type == T_STRING && !(t->flags & (TF_FSTRING | TF_BYTES | TF_BACKSLASH));
}

static char *string_body(const struct scanner *sc, const struct tok *t)
{
        return xstrndup(sc->src + t->off + t->body_skip, t->len - t->body_skip - t->body_trim);
}

static bool is_dotted_name(const char *s)
{
        size_t n = strlen(s), i = 0;
        if (n == 0 || n > 255)
                return false;
        while (s[i] == '.')
                i++;
        if (s[i] == '\0')
                return false;
        bool start = true;
        for (; s[i]; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '.') {
                        if (start)
                                return false;
                        start = true;
                } else if (is_ident_start(c) || (!start && is_digit(c))) {
                        start = false;
                } else {
                        return false;
                }
        }
        return !start;
}

/* A literal that may name a codec or a library rather than a module: "euc-jp", "enchant-2",
 * "gtk+-3.0". */
static bool is_name_word(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 128 || !(is_ident_start((unsigned char)s[0])) || s[n - 1] == '.' ||
            s[n - 1] == '-' || strstr(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (!is_ident_char((unsigned char)*p) && !strchr(".+-", *p))
                        return false;
        return true;
}

/* "pkg.sub." : a package's name written to have a module's name appended to it
 * (`packages = ('docutils.parsers.rst.languages.', '')`, later `import_module(package + name)`). */
static bool is_package_prefix(const char *s)
{
        size_t n = strlen(s);
        if (n < 2 || s[0] == '.' || s[n - 1] != '.' || n > 256)
                return false;
        cleanup_free char *name = xstrndup(s, n - 1);
        return is_dotted_name(name);
}

/* A string that can name an attribute: getattr(obj, "method"). */
static bool is_identifier(const char *s)
{
        if (!is_ident_start((unsigned char)s[0]))
                return false;
        for (const char *p = s + 1; *p; p++)
                if (!is_ident_char((unsigned char)*p))
                        return false;
        return true;
}

/* An absolute path as a literal names it; a placeholder cuts it to the directory before it. */
static char *literal_path(const char *s)
{
        if (s[0] != '/' || s[1] == '\0' || s[1] == '/')
                return NULL;
        size_t n = strcspn(s, "%{*?[");
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == ' ')
                        return NULL;
        if (s[n] == '\0')
                return xstrdup(s);
        while (n > 0 && s[n - 1] != '/')
                n--;
        return n > 1 ? xstrndup(s, n - 1) : NULL;
}

/* One string literal: the plain tokens [i, j) written next to each other ("a" "b" is "ab"). */
static void add_string(struct scanner *sc, const struct toks *t, size_t i, size_t j,
                       const struct block *ctx, bool in_lambda)
{
        if (sc->n_strings >= MAX_LITERALS)
                return;
        struct strbuf sb = STRBUF_INIT;
        for (size_t k = i; k < j; k++) {
                const struct tok *p = &t->v[k];
                if (p->len > MAX_LITERAL_LEN || sb.len > MAX_LITERAL_LEN) {
                        strbuf_release(&sb);
                        return;
                }
                strbuf_add(&sb, sc->src + p->off + p->body_skip,
                           p->len - p->body_skip - p->body_trim);
        }
        cleanup_free char *body = strbuf_detach(&sb);
        const struct tok *first = &t->v[i];
        enum py_literal_kind kind;
        char *value;
        if (is_identifier(body) && !sc->in_all)
                add_ref(sc, PY_REF_STRING, body, strlen(body), ctx);
        char *colon = strchr(body, ':');
        if (colon && colon > body && is_dotted_name(colon + 1) && colon[1] != '.') {
                /* "pkg.mod:attr" (entry points, apipkg, import strings): the module part */
                *colon = '\0';
                if (!is_dotted_name(body))
                        *colon = ':';
        }
        if (is_dotted_name(body) || is_name_word(body) || is_package_prefix(body)) {
                kind = PY_LIT_NAME;
                value = xstrdup(body);
        } else if ((value = literal_path(body))) {
                kind = PY_LIT_PATH;
        } else {
                return;
        }
        cleanup_free char *key = xasprintf("%d %d %s", ctx->scope, (int)kind, value);
        if (strmap_has(&sc->seen_strings, key)) {
                free(value);
                return;
        }
        strmap_put(&sc->seen_strings, key, NULL);
        GROW(sc->strings, sc->n_strings, sc->alloc_strings);
        sc->strings[sc->n_strings++] = (struct string_rec){
            .lit = {.kind = kind,
                    .value = value,
                    .line = first->line,
                    .col = first->col,
                    .depth = depth_of(ctx->in_function || in_lambda, ctx->nested),
                    .scope = ctx->scope},
            .try_ctx = in_lambda ? -1 : ctx->try_ctx};
}

/* The literal text before the first placeholder of a computed string: f"pkg.{x}", "pkg.%s" % x,
 * "pkg." + x, "pkg.{}".format(x), __name__ + "." + x, f"{__name__}.{x}". NULL when the argument
 * does not start with a literal part. */
static char *computed_prefix(const struct scanner *sc, const struct toks *t, size_t a, size_t b,
                             enum py_prefix_base *base)
{
        const struct tok *k = &t->v[a];
        *base = PY_PREFIX_ABSOLUTE;
        if (b - a >= 3 && k->type == T_NAME && is_op(sc->src, &t->v[a + 1], "+") &&
            is_plain_string(&t->v[a + 2]) &&
            (is_kw(sc->src, k, "__name__") || is_kw(sc->src, k, "__package__"))) {
                *base = is_kw(sc->src, k, "__name__") ? PY_PREFIX_MODULE : PY_PREFIX_PACKAGE;
                return string_body(sc, &t->v[a + 2]);
        }
        if (k->type != T_STRING || (k->flags & (TF_BYTES | TF_BACKSLASH)) || b - a < 2)
                return NULL;
        cleanup_free char *body = string_body(sc, k);
        if (k->flags & TF_FSTRING) {
                const char *p = body;
                if (strncmp(p, "{__name__}", 10) == 0 || strncmp(p, "{__package__}", 13) == 0) {
                        *base = p[3] == 'n' ? PY_PREFIX_MODULE : PY_PREFIX_PACKAGE;
                        p = strchr(p, '}') + 1;
                }
                return xstrndup(p, strcspn(p, "{}"));
        }
        const struct tok *op = &t->v[a + 1];
        if (is_op(sc->src, op, "%"))
                return xstrndup(body, strcspn(body, "%"));
        if (is_op(sc->src, op, "+"))
                return xstrdup(body);
        if (b - a >= 4 && is_op(sc->src, op, ".") && is_kw(sc->src, &t->v[a + 2], "format") &&
            is_op(sc->src, &t->v[a + 3], "("))
                return xstrndup(body, strcspn(body, "{"));
        return NULL;
}

static void parse_call_arg(const struct scanner *sc, const struct toks *t, size_t a, size_t b,
                           struct call_arg *arg)
{
        memset(arg, 0, sizeof(*arg));
        if (b - a >= 3 && t->v[a].type == T_NAME && is_op(sc->src, &t->v[a + 1], "=")) {
                arg->keyword = tok_str(sc, &t->v[a]);
                a += 2;
        }
        for (size_t j = a; j < b; j++)
                if (is_kw(sc->src, &t->v[j], "__path__") || is_kw(sc->src, &t->v[j], "__file__"))
                        arg->names_own_path = true;
        if (b - a == 1 && is_plain_string(&t->v[a])) {
                arg->literal = string_body(sc, &t->v[a]);
                return;
        }
        if (b - a == 1 && t->v[a].type == T_NUMBER && t->v[a].len < 4) {
                cleanup_free char *digits = tok_str(sc, &t->v[a]);
                char *end = NULL;
                arg->number = strtol(digits, &end, 10);
                arg->has_number = end && *end == '\0';
        }
        arg->prefix = computed_prefix(sc, t, a, b, &arg->base);
        if (!arg->prefix)
                arg->prefix = xstrdup("");
}

/* A call `name(…)` or `a.b.name(…)` whose name token is at i: its callee and arguments. */
static void add_call_rec(struct scanner *sc, const struct toks *t, size_t a, size_t b, size_t i,
                         const struct block *ctx, bool in_lambda)
{
        size_t open = i + 1, close = matching_close(sc, t, open, b);
        if (close == SIZE_MAX)
                return;
        size_t first = i;
        while (first >= a + 2 && is_op(sc->src, &t->v[first - 1], ".") &&
               t->v[first - 2].type == T_NAME)
                first -= 2;
        struct strbuf callee = STRBUF_INIT;
        for (size_t j = first; j <= i; j++)
                strbuf_add(&callee, sc->src + t->v[j].off, t->v[j].len);
        GROW(sc->calls, sc->n_calls, sc->alloc_calls);
        struct call_rec *c = &sc->calls[sc->n_calls++];
        memset(c, 0, sizeof(*c));
        c->callee = strbuf_detach(&callee);
        c->on_value = first > a && is_op(sc->src, &t->v[first - 1], ".");
        c->line = t->v[i].line;
        c->col = t->v[i].col;
        c->depth = depth_of(ctx->in_function || in_lambda, ctx->nested);
        c->try_ctx = in_lambda ? -1 : ctx->try_ctx;
        c->scope = ctx->scope;
        int depth = 0;
        size_t start = open + 1;
        for (size_t j = open + 1; j <= close && c->n_args < MAX_CALL_ARGS; j++) {
                const struct tok *k = &t->v[j];
                if (j < close && is_open_bracket(sc->src, k)) {
                        depth++;
                } else if (j < close && is_close_bracket(sc->src, k)) {
                        depth--;
                } else if (j == close || (depth == 0 && is_op(sc->src, k, ","))) {
                        if (j > start)
                                parse_call_arg(sc, t, start, j, &c->args[c->n_args++]);
                        start = j + 1;
                }
        }
}

/* Whether the tokens [a, b) hold `seq` (NULL-terminated texts) from index at on. */
static bool tokens_are(const struct scanner *sc, const struct toks *t, size_t at, size_t b,
                       const char *const *seq)
{
        for (size_t k = 0; seq[k]; k++, at++)
                if (at >= b || t->v[at].len != strlen(seq[k]) ||
                    memcmp(sc->src + t->v[at].off, seq[k], t->v[at].len) != 0)
                        return false;
        return true;
}

/* A module name only looked up among the loaded ones, never imported by that code:
 * sys.modules.get("x"), sys.modules["x"], "x" in sys.modules. */
static bool names_loaded_module(const struct scanner *sc, const struct toks *t, size_t a, size_t b,
                                size_t i, size_t j)
{
        static const char *const get[] = {"sys", ".", "modules", ".", "get", "(", NULL};
        static const char *const item[] = {"sys", ".", "modules", "[", NULL};
        static const char *const in[] = {"in", "sys", ".", "modules", NULL};
        static const char *const not_in[] = {"not", "in", "sys", ".", "modules", NULL};
        return (i >= a + 6 && tokens_are(sc, t, i - 6, b, get)) ||
               (i >= a + 4 && tokens_are(sc, t, i - 4, b, item)) || tokens_are(sc, t, j, b, in) ||
               tokens_are(sc, t, j, b, not_in);
}

struct lambda {
        int depth;
        bool body;
};

/* Scans the expression tokens [a, b) for import calls and `name.attr` uses. Lambda bodies are
 * function depth: a body starts at its ':' and ends at a ',', ':', `for`, `as` or closing bracket
 * at the lambda's own bracket depth. */
static int scan_expr(struct scanner *sc, const struct toks *t, size_t a, size_t b,
                     const struct block *ctx, const char *name, struct distill_error *err)
{
        const char *src = sc->src;
        struct lambda lambdas[MAX_LAMBDAS];
        int n_lambdas = 0, depth = 0, n_bodies = 0;

#define END_LAMBDA_BODIES(d)                                                                       \
        while (n_lambdas > 0 && lambdas[n_lambdas - 1].depth >= (d) &&                             \
               lambdas[n_lambdas - 1].body) {                                                      \
                n_lambdas--;                                                                       \
                n_bodies--;                                                                        \
        }

        for (size_t i = a; i < b; i++) {
                const struct tok *k = &t->v[i];
                if (k->type == T_OP || k->type == T_FOPEN || k->type == T_FCLOSE) {
                        if (is_open_bracket(src, k)) {
                                depth++;
                        } else if (is_close_bracket(src, k)) {
                                END_LAMBDA_BODIES(depth);
                                while (n_lambdas > 0 && lambdas[n_lambdas - 1].depth >= depth)
                                        n_lambdas--; /* an unfinished parameter list */
                                depth--;
                        } else if (is_op(src, k, ",")) {
                                END_LAMBDA_BODIES(depth);
                        } else if (is_op(src, k, ":")) {
                                END_LAMBDA_BODIES(depth);
                                if (n_lambdas > 0 && lambdas[n_lambdas - 1].depth == depth) {
                                        lambdas[n_lambdas - 1].body = true;
                                        n_bodies++;
                                }
                        }
                        continue;
                }
                if (k->type == T_STRING) {
                        /* one literal of the tokens written next to each other; a run that
                         * holds or meets an f-string or bytes is no name */
                        size_t j = i + 1;
                        bool plain = is_plain_string(k);
                        for (; j < b && t->v[j].type == T_STRING; j++)
                                plain = plain && is_plain_string(&t->v[j]);
                        if (plain && !(j < b && t->v[j].type == T_FOPEN) &&
                            !(i > a && t->v[i - 1].type == T_FCLOSE) &&
                            !names_loaded_module(sc, t, a, b, i, j))
                                add_string(sc, t, i, j, ctx, n_bodies > 0);
                        i = j - 1;
                        continue;
                }
                if (k->type != T_NAME)
                        continue;
                if (i + 1 < b && is_op(src, &t->v[i + 1], "(") && !is_keyword_name(sc, k) &&
                    sc->n_calls < MAX_LITERALS)
                        add_call_rec(sc, t, a, b, i, ctx, n_bodies > 0);
                if (is_kw(src, k, "lambda")) {
                        if (n_lambdas >= MAX_LAMBDAS)
                                return distill_error_set(err, DISTILL_EUSAGE,
                                                         "%s:%u:%u: too many nested lambdas", name,
                                                         k->line, k->col);
                        lambdas[n_lambdas++] = (struct lambda){depth, false};
                        continue;
                }
                if (is_kw(src, k, "for") || is_kw(src, k, "async") || is_kw(src, k, "as")) {
                        END_LAMBDA_BODIES(depth);
                        continue;
                }
                bool attr = i > a && is_op(src, &t->v[i - 1], ".");
                /* `obj.name = value` sets an attribute: it calls nothing named name (but in
                 * `x: mod.Type = value` it is the annotation's) */
                bool stored = attr && depth == 0 && i + 1 < b && is_op(src, &t->v[i + 1], "=") &&
                              !annotates(src, t, a, i);
                if (!is_keyword_name(sc, k) && !stored)
                        add_ref(sc, attr ? PY_REF_ATTR : PY_REF_NAME, src + k->off, k->len, ctx);
                if (i > a && is_op(src, &t->v[i - 1], "."))
                        continue;
                bool in_lambda = n_bodies > 0;
                const struct tok *lit;
                if (is_kw(src, k, "__import__") && (lit = literal_first_arg(sc, t, i + 1, b))) {
                        add_call(sc, PY_DUNDER_IMPORT, k, lit, ctx, in_lambda, NULL);
                } else if (is_kw(src, k, "importlib") && i + 3 < b &&
                           is_op(src, &t->v[i + 1], ".") &&
                           is_kw(src, &t->v[i + 2], "import_module") &&
                           (lit = literal_first_arg(sc, t, i + 3, b))) {
                        add_call(sc, PY_IMPORTLIB_CALL, k, lit, ctx, in_lambda, NULL);
                } else if ((lit = literal_first_arg(sc, t, i + 1, b)) && !is_keyword_name(sc, k)) {
                        cleanup_free char *callee = tok_str(sc, k);
                        add_call(sc, PY_IMPORTLIB_CALL, k, lit, ctx, in_lambda, callee);
                }
                size_t dot = attribute_dot(sc, t, a, b, i);
                if (dot != SIZE_MAX)
                        add_use(sc, k, &t->v[dot + 1],
                                depth_of(ctx->in_function || in_lambda, ctx->nested), ctx->scope);
        }
#undef END_LAMBDA_BODIES
        return 0;
}

/* The ':' ending a compound statement's header, or SIZE_MAX. */
static size_t header_colon(const struct scanner *sc, const struct toks *t, size_t i)
{
        int depth = 0, lambdas = 0;
        for (size_t j = i; j < t->n && t->v[j].type != T_NEWLINE; j++) {
                const struct tok *k = &t->v[j];
                if (is_open_bracket(sc->src, k))
                        depth++;
                else if (is_close_bracket(sc->src, k))
                        depth--;
                else if (depth == 0 && is_kw(sc->src, k, "lambda"))
                        lambdas++;
                else if (depth == 0 && is_op(sc->src, k, ":")) {
                        if (lambdas == 0)
                                return j;
                        lambdas--;
                } else if (depth == 0 && is_op(sc->src, k, ";"))
                        return SIZE_MAX;
        }
        return SIZE_MAX;
}

/* The end of the simple statement at i: its ';' or the NEWLINE. */
static size_t statement_end(const struct scanner *sc, const struct toks *t, size_t i)
{
        int depth = 0;
        for (; t->v[i].type != T_NEWLINE; i++) {
                const struct tok *k = &t->v[i];
                if (is_open_bracket(sc->src, k))
                        depth++;
                else if (is_close_bracket(sc->src, k))
                        depth--;
                else if (depth == 0 && is_op(sc->src, k, ";"))
                        break;
        }
        return i;
}

/* The index of the bracket closing the one at `open`, or SIZE_MAX. */
static size_t matching_close(const struct scanner *sc, const struct toks *t, size_t open,
                             size_t end)
{
        int depth = 0;
        for (size_t j = open; j < end; j++) {
                if (is_open_bracket(sc->src, &t->v[j]))
                        depth++;
                else if (is_close_bracket(sc->src, &t->v[j]) && --depth == 0)
                        return j;
        }
        return SIZE_MAX;
}

static void strip_parens(const struct scanner *sc, const struct toks *t, size_t *a, size_t *b)
{
        while (*b - *a >= 2 && is_op(sc->src, &t->v[*a], "(") &&
               matching_close(sc, t, *a, *b) == *b - 1) {
                (*a)++;
                (*b)--;
        }
}

static bool is_guard_name(const struct scanner *sc, const struct toks *t, size_t a, size_t b)
{
        static const char *const names[] = {"ImportError", "ModuleNotFoundError", "Exception",
                                            "BaseException"};
        strip_parens(sc, t, &a, &b);
        if (b - a != 1)
                return false;
        for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++)
                if (is_kw(sc->src, &t->v[a], names[k]))
                        return true;
        return false;
}

/* Whether `except <tokens [a, colon)>` catches ImportError: bare, one of the names, or a tuple
 * with one of them as a direct element. */
static bool handler_guards(const struct scanner *sc, const struct toks *t, size_t a, size_t colon)
{
        if (a < colon && is_op(sc->src, &t->v[a], "*"))
                a++;
        size_t b = a;
        int depth = 0;
        for (; b < colon; b++) {
                if (is_open_bracket(sc->src, &t->v[b]))
                        depth++;
                else if (is_close_bracket(sc->src, &t->v[b]))
                        depth--;
                else if (depth == 0 && is_kw(sc->src, &t->v[b], "as"))
                        break;
        }
        if (a == b)
                return true;
        if (is_guard_name(sc, t, a, b))
                return true;
        strip_parens(sc, t, &a, &b);
        size_t elem = a;
        depth = 0;
        for (size_t j = a; j <= b; j++) {
                if (j < b && is_open_bracket(sc->src, &t->v[j]))
                        depth++;
                else if (j < b && is_close_bracket(sc->src, &t->v[j]))
                        depth--;
                else if (j == b || (depth == 0 && is_op(sc->src, &t->v[j], ","))) {
                        if (j == b && elem == a)
                                return false; /* not a tuple */
                        if (j > elem && is_guard_name(sc, t, elem, j))
                                return true;
                        elem = j + 1;
                }
        }
        return false;
}

enum body_kind { BODY_NONE, BODY_NESTED, BODY_DEF, BODY_CLASS, BODY_MATCH };

static size_t process_statements(struct scanner *sc, const struct toks *t, size_t i,
                                 struct block *blk, const char *name, struct distill_error *err,
                                 int *r);

static bool is_main_literal(const char *src, const struct tok *t)
{
        if (t->type != T_STRING || t->len < 10)
                return false;
        size_t body = t->len - t->body_skip - t->body_trim;
        /* a plain '…' or "…" literal (no prefix): body_skip is exactly the one quote */
        return t->body_skip == 1 && body == 8 && memcmp(src + t->off + 1, "__main__", 8) == 0;
}

/* `if __name__ == "__main__":` (either operand order) between tokens a and colon. */
static bool is_main_test(const struct scanner *sc, const struct toks *t, size_t a, size_t colon)
{
        const char *src = sc->src;
        if (colon != a + 3 || !is_op(src, &t->v[a + 1], "=="))
                return false;
        return (is_kw(src, &t->v[a], "__name__") && is_main_literal(src, &t->v[a + 2])) ||
               (is_main_literal(src, &t->v[a]) && is_kw(src, &t->v[a + 2], "__name__"));
}

/* A decorator that only changes how a def is looked up or called, never registers it
 * anywhere: the def is reached by its name, like an undecorated one. */
static bool is_plain_decorator(const struct scanner *sc, const struct toks *t, size_t at)
{
        static const char *const plain[] = {
            "property",       "staticmethod",     "classmethod", "cached_property",
            "abstractmethod", "abstractproperty", "overload",    "wraps",
            "setter",         "getter",           "deleter",     "final",
            "override",       "contextmanager",   "lru_cache",   "cache"};
        size_t j = at + 1, last = SIZE_MAX;
        while (t->v[j].type == T_NAME) {
                last = j;
                if (!is_op(sc->src, &t->v[j + 1], ".") || t->v[j + 2].type != T_NAME)
                        break;
                j += 2;
        }
        if (last == SIZE_MAX)
                return false;
        for (size_t k = 0; k < sizeof(plain) / sizeof(*plain); k++)
                if (is_kw(sc->src, &t->v[last], plain[k]))
                        return true;
        return false;
}

/* A scope of a def or class statement (its name is the token after the keyword), or of a
 * binding (its name is the target). */
static int add_scope(struct scanner *sc, const struct tok *n, const struct block *blk,
                     bool is_class, bool is_binding, bool registered)
{
        if (n->type != T_NAME || sc->n_scopes >= MAX_REFS)
                return blk->scope;
        GROW(sc->scopes, sc->n_scopes, sc->alloc_scopes);
        sc->scopes[sc->n_scopes] = (struct py_scope){.name = tok_str(sc, n),
                                                     .parent = blk->scope,
                                                     .is_class = is_class,
                                                     .is_binding = is_binding,
                                                     .decorated = registered,
                                                     .line = n->line};
        return (int)sc->n_scopes++;
}

/* `NAME = value` or `NAME[key] = value` outside any def, calling nothing (no call, yield or
 * await; one target): returns the index of its '=', else SIZE_MAX. */
static size_t binding_eq(const struct scanner *sc, const struct toks *t, size_t i, size_t end)
{
        const char *src = sc->src;
        if (t->v[i].type != T_NAME || is_keyword_name(sc, &t->v[i]))
                return SIZE_MAX;
        size_t eq = i + 1;
        if (eq < end && is_op(src, &t->v[eq], "[")) {
                size_t close = matching_close(sc, t, eq, end);
                if (close == SIZE_MAX)
                        return SIZE_MAX;
                eq = close + 1;
        }
        if (eq >= end || !is_op(src, &t->v[eq], "="))
                return SIZE_MAX;
        int depth = 0;
        for (size_t j = i + 1; j < end; j++) {
                const struct tok *k = &t->v[j];
                if (is_open_bracket(src, k)) {
                        if (is_op(src, k, "(") && !is_grouping_paren(sc, t, i, j))
                                return SIZE_MAX;
                        depth++;
                } else if (is_close_bracket(src, k)) {
                        depth--;
                } else if ((j > eq && depth == 0 && is_op(src, k, "=")) || is_kw(src, k, "yield") ||
                           is_kw(src, k, "await")) {
                        return SIZE_MAX;
                }
        }
        return eq;
}

/* `if "M" in sys.modules:` between tokens a and colon: the body's imports of M load nothing. */
static void loaded_test(struct scanner *sc, const struct toks *t, size_t a, size_t colon,
                        struct block *body)
{
        static const char *const in[] = {"in", "sys", ".", "modules", NULL};
        if (colon != a + 5 || !is_plain_string(&t->v[a]) || !tokens_are(sc, t, a + 1, colon, in))
                return;
        cleanup_free char *name = string_body(sc, &t->v[a]);
        if (!is_dotted_name(name) || name[0] == '.')
                return;
        strvec_push(&sc->loaded_names, name);
        body->if_loaded = (int)sc->loaded_names.n - 1;
}

/* One statement at i within block `blk`; returns the index of its ';' or of the NEWLINE. */
static size_t process_statement(struct scanner *sc, const struct toks *t, size_t i,
                                struct block *blk, const char *name, struct distill_error *err,
                                int *r)
{
        const char *src = sc->src;
        const struct tok *k = &t->v[i];
        enum body_kind kind = BODY_NONE;
        struct block header = *blk;
        size_t kw = i, colon = SIZE_MAX;

        if (is_op(src, k, "@")) {
                /* a decorator: it applies to the def or class that follows at this level */
                blk->decorated = true;
                blk->registers = blk->registers || !is_plain_decorator(sc, t, i);
                size_t end = statement_end(sc, t, i);
                *r = scan_expr(sc, t, i, end, blk, name, err);
                return end;
        }
        bool decorated = blk->decorated, registers = blk->registers;
        blk->decorated = blk->registers = false;

        if (k->type == T_NAME) {
                if (is_kw(src, k, "async") && t->v[i + 1].type == T_NAME)
                        kw = i + 1;
                const struct tok *w = &t->v[kw];
                if (is_kw(src, w, "if") || is_kw(src, w, "while") || is_kw(src, w, "for") ||
                    is_kw(src, w, "with") || is_kw(src, w, "try")) {
                        kind = BODY_NESTED;
                } else if (is_kw(src, w, "elif") || is_kw(src, w, "else") ||
                           is_kw(src, w, "except") || is_kw(src, w, "finally")) {
                        kind = BODY_NESTED;
                        header.nested = true; /* evaluated only when the clause is reached */
                } else if (is_kw(src, w, "def")) {
                        kind = BODY_DEF;
                } else if (is_kw(src, w, "class")) {
                        kind = BODY_CLASS;
                } else if (is_kw(src, w, "match") && kw == i) {
                        /* soft keyword: `match x:` ending the line; `match = 1` is not one */
                        size_t c = header_colon(sc, t, i);
                        if (c != SIZE_MAX && c > i + 1 && t->v[c + 1].type == T_NEWLINE)
                                kind = BODY_MATCH;
                } else if (is_kw(src, w, "case") && kw == i && blk->is_match) {
                        kind = BODY_NESTED;
                } else if (is_kw(src, w, "import") && kw == i) {
                        size_t end = statement_end(sc, t, i);
                        parse_import(sc, t, i, end, blk);
                        return end;
                } else if (is_kw(src, w, "from") && kw == i) {
                        size_t end = statement_end(sc, t, i);
                        parse_from(sc, t, i, end, blk);
                        return end;
                }
                if (kind != BODY_NONE && (colon = header_colon(sc, t, i)) == SIZE_MAX)
                        kind = BODY_NONE; /* not a well-formed header: scan it as an expression */
        }
        if (kind == BODY_NONE) {
                size_t end = statement_end(sc, t, i);
                /* __all__ = [...], __all__ += [...], __all__.extend([...]) */
                sc->in_all = is_kw(src, k, "__all__");
                struct block bind = *blk;
                size_t start = i;
                if (!blk->in_function && binding_eq(sc, t, i, end) != SIZE_MAX) {
                        bind.scope = add_scope(sc, k, blk, false, true, false);
                        start = i + 1; /* the name it binds is no use of it */
                }
                *r = scan_expr(sc, t, start, end, &bind, name, err);
                sc->in_all = false;
                return end;
        }

        bool import_handler = false;
        if (is_kw(src, &t->v[kw], "except") && blk->pending_try >= 0 &&
            handler_guards(sc, t, kw + 1, colon)) {
                sc->tries[blk->pending_try].guards = true;
                import_handler = true;
        }
        /* a def's or class's own name is what it binds, not a use of it */
        size_t header_start = (kind == BODY_DEF || kind == BODY_CLASS) ? kw + 2 : kw + 1;
        if ((*r = scan_expr(sc, t, header_start < colon ? header_start : colon, colon, &header,
                            name, err)) < 0)
                return colon;

        struct block body = {.scope = blk->scope,
                             .if_loaded = blk->if_loaded,
                             .in_function = blk->in_function,
                             .nested = blk->nested,
                             .try_ctx = blk->try_ctx,
                             .pending_try = -1,
                             .main_block = blk->main_block,
                             .handler_try = blk->handler_try};
        if (import_handler)
                body.handler_try = blk->pending_try;
        if (is_kw(src, &t->v[kw], "if") && is_main_test(sc, t, kw + 1, colon))
                body.main_block = true;
        if (is_kw(src, &t->v[kw], "if"))
                loaded_test(sc, t, kw + 1, colon, &body);
        switch (kind) {
        case BODY_NESTED:
                body.nested = true;
                if (is_kw(src, &t->v[kw], "try")) {
                        GROW(sc->tries, sc->n_tries, sc->alloc_tries);
                        sc->tries[sc->n_tries] = (struct try_rec){blk->try_ctx, false};
                        body.try_ctx = blk->pending_try = (int)sc->n_tries++;
                }
                break;
        case BODY_DEF:
                body.in_function = true;
                body.try_ctx = -1; /* a try around a def does not guard what its body imports */
                body.handler_try = -1;
                body.scope =
                    add_scope(sc, &t->v[kw + 1], blk, false, false, decorated && registers);
                break;
        case BODY_CLASS:
                body.scope = add_scope(sc, &t->v[kw + 1], blk, true, false, decorated && registers);
                break;
        case BODY_MATCH:
                body.nested = true;
                body.is_match = true;
                break;
        default:
                break;
        }
        if (t->v[colon + 1].type == T_NEWLINE) {
                sc->next_block = body;
                sc->have_next_block = true;
                return colon + 1;
        }
        return process_statements(sc, t, colon + 1, &body, name, err, r);
}

static size_t process_statements(struct scanner *sc, const struct toks *t, size_t i,
                                 struct block *blk, const char *name, struct distill_error *err,
                                 int *r)
{
        while (t->v[i].type != T_NEWLINE) {
                i = process_statement(sc, t, i, blk, name, err, r);
                if (*r < 0)
                        return i;
                if (is_op(sc->src, &t->v[i], ";"))
                        i++;
        }
        return i;
}

/* Applies the line's INDENT/DEDENT tokens to the block stack, then reads its statements. Returns
 * 1 at the end of input. */
static int process_line(struct scanner *sc, const struct toks *t, const char *name,
                        struct distill_error *err)
{
        size_t i = 0;
        for (; t->v[i].type == T_INDENT || t->v[i].type == T_DEDENT; i++) {
                if (t->v[i].type == T_DEDENT) {
                        if (sc->n_blocks > 1)
                                sc->n_blocks--;
                } else {
                        /* an unexpected indent (a syntax error) just continues the block */
                        struct block b =
                            sc->have_next_block ? sc->next_block : sc->blocks[sc->n_blocks - 1];
                        if (!sc->have_next_block)
                                b.pending_try = -1;
                        sc->blocks[sc->n_blocks++] = b;
                }
                sc->have_next_block = false;
        }
        sc->have_next_block = false;
        if (t->v[i].type == T_END)
                return 1;
        int r = 0;
        process_statements(sc, t, i, &sc->blocks[sc->n_blocks - 1], name, err, &r);
        return r;
}

static bool is_guarded(const struct scanner *sc, int try_ctx)
{
        for (; try_ctx >= 0; try_ctx = sc->tries[try_ctx].parent)
                if (sc->tries[try_ctx].guards)
                        return true;
        return false;
}

static bool names_import_module(const struct scanner *sc, const char *callee)
{
        const struct strvec *mods = strmap_get(&sc->bindings, callee);
        return mods && strvec_contains(mods, "importlib.import_module");
}

/* Functions whose string argument names something looked up at run time. `pos` is the
 * argument's position (-1: keyword only), `keyword` its name. */
struct named_arg_fn {
        enum py_literal_kind kind;
        const char *qualified; /* after bindings: "codecs.lookup" */
        int pos;
        const char *keyword;
};

static const struct named_arg_fn named_arg_fns[] = {
    {PY_LIT_CODEC, "codecs.lookup", 0, "encoding"},
    {PY_LIT_CODEC, "codecs.getencoder", 0, "encoding"},
    {PY_LIT_CODEC, "codecs.getdecoder", 0, "encoding"},
    {PY_LIT_CODEC, "codecs.getincrementalencoder", 0, "encoding"},
    {PY_LIT_CODEC, "codecs.getincrementaldecoder", 0, "encoding"},
    {PY_LIT_CODEC, "codecs.getreader", 0, "encoding"},
    {PY_LIT_CODEC, "codecs.getwriter", 0, "encoding"},
    {PY_LIT_CODEC, "codecs.encode", 1, "encoding"},
    {PY_LIT_CODEC, "codecs.decode", 1, "encoding"},
    {PY_LIT_CODEC, "codecs.iterencode", 1, "encoding"},
    {PY_LIT_CODEC, "codecs.iterdecode", 1, "encoding"},
    {PY_LIT_CODEC, "codecs.open", 2, "encoding"},
    {PY_LIT_ENTRY_GROUP, "importlib.metadata.entry_points", -1, "group"},
    {PY_LIT_ENTRY_GROUP, "importlib_metadata.entry_points", -1, "group"},
    {PY_LIT_ENTRY_GROUP, "pkg_resources.iter_entry_points", 0, "group"},
    {PY_LIT_DISTRIBUTION, "importlib.metadata.version", 0, "distribution_name"},
    {PY_LIT_DISTRIBUTION, "importlib.metadata.distribution", 0, "distribution_name"},
    {PY_LIT_DISTRIBUTION, "importlib.metadata.metadata", 0, "distribution_name"},
    {PY_LIT_DISTRIBUTION, "importlib.metadata.files", 0, "distribution_name"},
    {PY_LIT_DISTRIBUTION, "importlib.metadata.requires", 0, "distribution_name"},
    {PY_LIT_DISTRIBUTION, "importlib.metadata.Distribution.from_name", 0, "name"},
    {PY_LIT_DISTRIBUTION, "importlib_metadata.version", 0, "distribution_name"},
    {PY_LIT_DISTRIBUTION, "importlib_metadata.distribution", 0, "distribution_name"},
    {PY_LIT_DISTRIBUTION, "importlib_metadata.metadata", 0, "distribution_name"},
    {PY_LIT_DISTRIBUTION, "pkg_resources.get_distribution", 0, "dist"},
    {PY_LIT_DISTRIBUTION, "pkg_resources.require", 0, NULL},
    {PY_LIT_LIBRARY, "ctypes.CDLL", 0, "name"},
    {PY_LIT_LIBRARY, "ctypes.PyDLL", 0, "name"},
    {PY_LIT_LIBRARY, "ctypes.cdll.LoadLibrary", 0, "name"},
    {PY_LIT_LIBRARY, "ctypes.pydll.LoadLibrary", 0, "name"},
    {PY_LIT_FIND_LIBRARY, "ctypes.util.find_library", 0, "name"},
    {PY_LIT_GETTEXT, "gettext.translation", 0, "domain"},
    {PY_LIT_GETTEXT, "gettext.install", 0, "domain"},
    {PY_LIT_GETTEXT, "gettext.bindtextdomain", 0, "domain"},
    {PY_LIT_GETTEXT, "gettext.textdomain", 0, "domain"},
    {PY_LIT_GETTEXT, "gettext.dgettext", 0, "domain"},
    {PY_LIT_GETTEXT, "gettext.dngettext", 0, "domain"},
    {PY_LIT_COMPUTED, "__import__", 0, "name"},
    {PY_LIT_COMPUTED, "importlib.import_module", 0, "name"},
    {PY_LIT_COMPUTED, "importlib.__import__", 0, "name"},
    {PY_LIT_COMPUTED, "importlib.util.find_spec", 0, "name"},
    {PY_LIT_LIST_PACKAGE, "pkgutil.iter_modules", 0, "path"},
    {PY_LIT_LIST_PACKAGE, "pkgutil.walk_packages", 0, "path"},
    {PY_LIT_LIST_PACKAGE, "os.listdir", 0, "path"},
    {PY_LIT_LIST_PACKAGE, "os.scandir", 0, "path"},
    {PY_LIT_LIST_PACKAGE, "os.walk", 0, "top"},
};

/* Methods whose receiver is any value: matched by their last name when the call is not one of
 * the functions above. */
static const struct named_arg_fn named_arg_methods[] = {
    {PY_LIT_CODEC, "encode", 0, "encoding"},
    {PY_LIT_CODEC, "decode", 0, "encoding"},
    {PY_LIT_ENTRY_GROUP, "select", -1, "group"},
};

/* stevedore's managers take the entry-point group as `namespace`. */
static bool is_stevedore_manager(const char *qualified)
{
        if (strncmp(qualified, "stevedore.", 10) != 0)
                return false;
        const char *last = strrchr(qualified, '.') + 1;
        size_t n = strlen(last);
        return n > 7 && strcmp(last + n - 7, "Manager") == 0;
}

static const struct call_arg *named_arg(const struct call_rec *c, int pos, const char *keyword)
{
        if (pos >= 0 && (size_t)pos < c->n_args) {
                bool positional = true;
                for (int k = 0; k <= pos; k++)
                        positional = positional && !c->args[k].keyword;
                if (positional)
                        return &c->args[pos];
        }
        for (size_t k = 0; keyword && k < c->n_args; k++)
                if (c->args[k].keyword && strcmp(c->args[k].keyword, keyword) == 0)
                        return &c->args[k];
        return NULL;
}

static void emit_literal(struct scanner *sc, struct py_scan *out, const struct call_rec *c,
                         enum py_literal_kind kind, const char *value, enum py_prefix_base base)
{
        out->literals = xrealloc(out->literals, (out->n_literals + 1) * sizeof(*out->literals));
        out->literals[out->n_literals++] = (struct py_literal){
            .kind = kind,
            .value = xstrdup(value),
            .base = base,
            .line = c->line,
            .col = c->col,
            .depth = c->depth,
            .guarded = c->try_ctx >= 0 && is_guarded(sc, c->try_ctx),
            .scope = c->scope,
        };
}

/* A computed module name; __import__'s `level` makes its prefix relative ("." per level). */
static void emit_computed(struct scanner *sc, struct py_scan *out, const struct call_rec *c,
                          const char *qualified, const struct call_arg *arg)
{
        const struct call_arg *level =
            strstr(qualified, "__import__") ? named_arg(c, 4, "level") : NULL;
        if (level && level->has_number && level->number > 0 && level->number < 64 &&
            arg->base == PY_PREFIX_ABSOLUTE && arg->prefix[0] != '.') {
                cleanup_free char *rel = xasprintf("%.*s%s", (int)level->number,
                                                   "................................"
                                                   "................................",
                                                   arg->prefix);
                emit_literal(sc, out, c, PY_LIT_COMPUTED, rel, arg->base);
                return;
        }
        emit_literal(sc, out, c, PY_LIT_COMPUTED, arg->prefix, arg->base);
}

/* One call, now that bindings are known: what its literal arguments name. */
static void classify_call(struct scanner *sc, struct py_scan *out, const struct call_rec *c)
{
        const char *dot = strchr(c->callee, '.');
        cleanup_free char *first =
            xstrndup(c->callee, dot ? (size_t)(dot - c->callee) : strlen(c->callee));
        const struct strvec *mods = strmap_get(&sc->bindings, first);
        struct strvec qualified = STRVEC_INIT;
        for (size_t m = 0; mods && m < mods->n; m++)
                strvec_push_nodup(&qualified, xasprintf("%s%s", mods->v[m], dot ? dot : ""));
        if (!mods && strcmp(c->callee, "__import__") == 0)
                strvec_push(&qualified, "__import__");

        bool matched = false;
        size_t before = out->n_literals;
        for (size_t q = 0; q < qualified.n; q++) {
                const char *qn = qualified.v[q];
                for (size_t f = 0; f < sizeof(named_arg_fns) / sizeof(*named_arg_fns); f++) {
                        const struct named_arg_fn *fn = &named_arg_fns[f];
                        if (strcmp(fn->qualified, qn) != 0)
                                continue;
                        matched = true;
                        const struct call_arg *arg = named_arg(c, fn->pos, fn->keyword);
                        if (!arg)
                                continue;
                        if (fn->kind == PY_LIT_COMPUTED) {
                                if (!arg->literal) /* literal names are imports already */
                                        emit_computed(sc, out, c, qn, arg);
                        } else if (fn->kind == PY_LIT_LIST_PACKAGE) {
                                if (arg->names_own_path)
                                        emit_literal(sc, out, c, fn->kind,
                                                     strstr(qn, "walk") ? "walk" : "",
                                                     PY_PREFIX_ABSOLUTE);
                        } else if (arg->literal) {
                                emit_literal(sc, out, c, fn->kind, arg->literal,
                                             PY_PREFIX_ABSOLUTE);
                        } else if (fn->kind == PY_LIT_CODEC) {
                                emit_literal(sc, out, c, PY_LIT_CODEC_COMPUTED, "",
                                             PY_PREFIX_ABSOLUTE);
                        } else if (fn->kind == PY_LIT_FIND_LIBRARY) {
                                emit_literal(sc, out, c, PY_LIT_FIND_LIBRARY_COMPUTED, "",
                                             PY_PREFIX_ABSOLUTE);
                        }
                }
                if (is_stevedore_manager(qn)) {
                        matched = true;
                        const struct call_arg *arg = named_arg(c, 0, "namespace");
                        if (arg && arg->literal)
                                emit_literal(sc, out, c, PY_LIT_ENTRY_GROUP, arg->literal,
                                             PY_PREFIX_ABSOLUTE);
                }
        }
        strvec_clear(&qualified);
        if (!matched && (dot || c->on_value)) {
                const char *last = dot ? strrchr(c->callee, '.') + 1 : c->callee;
                for (size_t f = 0; f < sizeof(named_arg_methods) / sizeof(*named_arg_methods);
                     f++) {
                        const struct named_arg_fn *fn = &named_arg_methods[f];
                        const struct call_arg *arg;
                        if (strcmp(fn->qualified, last) != 0 ||
                            !(arg = named_arg(c, fn->pos, fn->keyword)))
                                continue;
                        if (arg->literal)
                                emit_literal(sc, out, c, fn->kind, arg->literal,
                                             PY_PREFIX_ABSOLUTE);
                        else if (fn->kind == PY_LIT_CODEC)
                                emit_literal(sc, out, c, PY_LIT_CODEC_COMPUTED, "",
                                             PY_PREFIX_ABSOLUTE);
                        matched = true;
                }
        }
        /* open(…, encoding="x"), TextIOWrapper(…, encoding="x"), read_text(encoding="x") */
        bool codec_done = false;
        for (size_t k = before; k < out->n_literals; k++)
                codec_done = codec_done || out->literals[k].kind == PY_LIT_CODEC;
        const struct call_arg *enc = named_arg(c, -1, "encoding");
        if (enc && enc->literal && !codec_done)
                emit_literal(sc, out, c, PY_LIT_CODEC, enc->literal, PY_PREFIX_ABSOLUTE);
}

/* Builds the result from what the pass collected, now that bindings and handlers are known. */
static void finish(struct scanner *sc, struct py_scan *out)
{
        out->n_tries = sc->n_tries;
        out->try_parent = xcalloc(sc->n_tries ? sc->n_tries : 1, sizeof(*out->try_parent));
        for (size_t i = 0; i < sc->n_tries; i++)
                out->try_parent[i] = sc->tries[i].parent + 1;
        out->imports = xcalloc(sc->n_imports ? sc->n_imports : 1, sizeof(*out->imports));
        for (size_t i = 0; i < sc->n_imports; i++) {
                struct import_rec *r = &sc->imports[i];
                if (r->bound_callee && !names_import_module(sc, r->bound_callee)) {
                        free(r->imp.module);
                        strvec_clear(&r->imp.names);
                        continue;
                }
                r->imp.guarded = is_guarded(sc, r->try_ctx);
                out->imports[out->n_imports++] = r->imp;
        }

        struct strmap seen = STRMAP_INIT;
        for (size_t i = 0; i < sc->n_uses; i++) {
                const struct strvec *mods = strmap_get(&sc->bindings, sc->uses[i].name);
                for (size_t m = 0; mods && m < mods->n; m++) {
                        char *q = xasprintf("%s.%s", mods->v[m], sc->uses[i].attr);
                        cleanup_free char *key = xasprintf("%d %s", sc->uses[i].scope, q);
                        if (strmap_has(&seen, key)) {
                                free(q);
                                continue;
                        }
                        strmap_put(&seen, key, NULL);
                        out->attrs = xrealloc(out->attrs, (out->n_attrs + 1) * sizeof(*out->attrs));
                        out->attrs[out->n_attrs++] = (struct py_attr){
                            q, sc->uses[i].line, sc->uses[i].depth, sc->uses[i].scope};
                }
        }
        strmap_clear(&seen, NULL);

        for (size_t i = 0; i < sc->n_calls; i++)
                classify_call(sc, out, &sc->calls[i]);
        for (size_t i = 0; i < sc->n_strings; i++) {
                struct string_rec *r = &sc->strings[i];
                r->lit.guarded = r->try_ctx >= 0 && is_guarded(sc, r->try_ctx);
                out->literals =
                    xrealloc(out->literals, (out->n_literals + 1) * sizeof(*out->literals));
                out->literals[out->n_literals++] = r->lit;
                r->lit.value = NULL; /* moved */
        }
        out->scopes = sc->scopes; /* moved */
        out->n_scopes = sc->n_scopes;
        sc->scopes = NULL;
        sc->n_scopes = 0;
        out->refs = sc->refs;
        out->n_refs = sc->n_refs;
        sc->refs = NULL;
        sc->n_refs = 0;
}

static void call_rec_release(struct call_rec *c)
{
        free(c->callee);
        for (size_t k = 0; k < c->n_args; k++) {
                free(c->args[k].keyword);
                free(c->args[k].literal);
                free(c->args[k].prefix);
        }
}

static void free_strvec(void *p)
{
        strvec_clear(p);
        free(p);
}

static void scanner_release(struct scanner *sc, bool imports_moved)
{
        for (size_t i = 0; i < sc->n_imports; i++) {
                free(sc->imports[i].bound_callee);
                if (!imports_moved) {
                        free(sc->imports[i].imp.module);
                        strvec_clear(&sc->imports[i].imp.names);
                }
        }
        free(sc->imports);
        for (size_t i = 0; i < sc->n_uses; i++) {
                free(sc->uses[i].name);
                free(sc->uses[i].attr);
        }
        free(sc->uses);
        for (size_t i = 0; i < sc->n_calls; i++)
                call_rec_release(&sc->calls[i]);
        free(sc->calls);
        for (size_t i = 0; i < sc->n_strings; i++)
                free(sc->strings[i].lit.value);
        free(sc->strings);
        strmap_clear(&sc->seen_strings, NULL);
        free(sc->tries);
        strmap_clear(&sc->seen_uses, NULL);
        strmap_clear(&sc->bindings, free_strvec);
        for (size_t i = 0; i < sc->n_scopes; i++)
                free(sc->scopes[i].name);
        free(sc->scopes);
        for (size_t i = 0; i < sc->n_refs; i++)
                free(sc->refs[i].name);
        free(sc->refs);
        strmap_clear(&sc->seen_refs, NULL);
        strvec_clear(&sc->loaded_names);
}

enum py_grammar py_grammar_of(const char *version)
{
        unsigned major, minor;
        if (!version || sscanf(version, "%u.%u", &major, &minor) != 2)
                return PY_GRAMMAR_3_12;
        return major > 3 || (major == 3 && minor >= 12) ? PY_GRAMMAR_3_12 : PY_GRAMMAR_3_11;
}

int pyimports_scan(const char *src, size_t len, const char *name, enum py_grammar grammar,
                   struct py_scan *out, struct distill_error *err)
{
        memset(out, 0, sizeof(*out));
        if (len > PYIMPORTS_MAX_SOURCE)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: source too large (%zu bytes, limit %u)", name, len,
                                         PYIMPORTS_MAX_SOURCE);
        const char *nul = memchr(src, '\0', len);
        if (nul) {
                unsigned line = 1;
                const char *ls = src;
                for (const char *p = src; p < nul; p++)
                        if (*p == '\n') {
                                line++;
                                ls = p + 1;
                        }
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s:%u:%u: source contains a NUL byte", name, line,
                                         (unsigned)(nul - ls + 1));
        }

        /* The lexer reads one byte past a token for lookahead; a NUL-terminated copy makes that
         * always safe. */
        char *buf = xmalloc(len + 1);
        memcpy(buf, src, len);
        buf[len] = '\0';

        struct lexer *lx = xcalloc(1, sizeof(*lx));
        lx->src = buf;
        lx->end = len;
        lx->name = name;
        lx->err = err;
        lx->line = 1;
        lx->grammar = grammar;
        if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
                lx->pos = lx->line_start = 3;

        struct scanner sc = {.src = buf, .n_blocks = 1};
        sc.blocks[0] = (struct block){
            .scope = -1, .if_loaded = -1, .try_ctx = -1, .pending_try = -1, .handler_try = -1};
        struct toks line = {0};
        int r;
        for (;;) {
                if ((r = lex_logical_line(lx, &line)) < 0)
                        break;
                if ((r = process_line(&sc, &line, name, err)) != 0)
                        break;
        }
        if (r > 0) {
                finish(&sc, out);
                r = 0;
        }
        scanner_release(&sc, r == 0);
        free(line.v);
        free(lx);
        free(buf);
        return r;
}

void py_scan_release(struct py_scan *scan)
{
        for (size_t i = 0; i < scan->n_imports; i++) {
                free(scan->imports[i].module);
                strvec_clear(&scan->imports[i].names);
        }
        free(scan->imports);
        for (size_t i = 0; i < scan->n_attrs; i++)
                free(scan->attrs[i].qualified);
        free(scan->attrs);
        for (size_t i = 0; i < scan->n_literals; i++)
                free(scan->literals[i].value);
        free(scan->literals);
        free(scan->try_parent);
        for (size_t i = 0; i < scan->n_scopes; i++)
                free(scan->scopes[i].name);
        free(scan->scopes);
        for (size_t i = 0; i < scan->n_refs; i++)
                free(scan->refs[i].name);
        free(scan->refs);
        memset(scan, 0, sizeof(*scan));
}
