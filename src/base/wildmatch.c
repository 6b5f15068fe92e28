/* Pathname globs with git's wildmatch semantics.
 *
 * git matches recursively and makes that fast by pruning: a '*' whose rest fails on every
 * remaining suffix aborts the whole match, and a single '*' stopped by a '/' aborts back to the
 * latest "**". This is the same pruning written as a loop. After a mismatch only two places are
 * worth resuming from: the latest '*' and the latest "**" followed by '/'. An earlier '*' never
 * needs another try, because whatever more text it could take, a later star can take instead
 * (the elements between them are one byte each, and only a literal '/' in the pattern matches a
 * '/', which pins it to the first '/' in the text). The exception is a single '*' stopped by a
 * '/': only a "**" can cross it, so matching resumes at the latest one. Each resume moves a star
 * one byte (or one directory) further along the text, so the work is bounded by the text's
 * length per resumable star and nothing recurses. */
#include "distill/base/wildmatch.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

enum byte_match {
        BYTE_MATCH,
        BYTE_NOMATCH,
        /* malformed patterns, which match nothing */
        BYTE_UNCLOSED,       /* a bracket expression without its ']' */
        BYTE_UNKNOWN_CLASS,  /* [:name:] with a name POSIX does not define */
        BYTE_LONE_BACKSLASH, /* a backslash that ends the pattern */
};

struct char_class {
        const char *name;
        int (*test)(int c);
};

static const struct char_class char_classes[] = {
    {"alnum", isalnum}, {"alpha", isalpha}, {"blank", isblank}, {"cntrl", iscntrl},
    {"digit", isdigit}, {"graph", isgraph}, {"lower", islower}, {"print", isprint},
    {"punct", ispunct}, {"space", isspace}, {"upper", isupper}, {"xdigit", isxdigit},
};

static const struct char_class *find_char_class(const char *name, size_t len)
{
        for (size_t i = 0; i < sizeof(char_classes) / sizeof(char_classes[0]); i++)
                if (strlen(char_classes[i].name) == len && !memcmp(char_classes[i].name, name, len))
                        return &char_classes[i];
        return NULL;
}

/* ASCII only, so that a pattern means the same under every locale. */
static bool in_char_class(const struct char_class *cc, unsigned char c)
{
        return c < 0x80 && cc->test(c);
}

/* One bracket expression being read, and whether the text byte c is among its members. */
struct bracket {
        const char *p; /* the next unread byte of the expression */
        unsigned char c;
        bool member;
        int range_start; /* the previous plain member, which a '-' can extend; -1 when none */
        enum byte_match fault;
        const char *fault_at;
};

static bool bracket_fails(struct bracket *b, enum byte_match fault, const char *at)
{
        b->fault = fault;
        b->fault_at = at;
        return false;
}

/* A member byte, which a backslash escapes. */
static bool bracket_read_byte(struct bracket *b, unsigned char *out)
{
        if (*b->p == '\\')
                b->p++;
        if (*b->p == '\0')
                return false;
        *out = (unsigned char)*b->p++;
        return true;
}

static bool bracket_single(struct bracket *b)
{
        unsigned char byte;
        if (!bracket_read_byte(b, &byte))
                return false;
        if (byte == b->c)
                b->member = true;
        b->range_start = byte;
        return true;
}

/* "-x" after a plain member: the byte range from that member to x; a reversed range is empty. */
static bool bracket_range(struct bracket *b)
{
        unsigned char last;
        b->p++;
        if (!bracket_read_byte(b, &last))
                return false;
        if (b->range_start <= b->c && b->c <= last)
                b->member = true;
        b->range_start = -1;
        return true;
}

/* "[:name:]"; a "[:" that no ":]" closes before the next ']' is a plain '[' member, as in git. */
static bool bracket_class(struct bracket *b)
{
        const char *name = b->p + 2;
        const char *close = strchrnul(name, ']');
        if (*close == '\0')
                return false;
        if (close == name || close[-1] != ':')
                return bracket_single(b);
        const struct char_class *cc = find_char_class(name, (size_t)(close - 1 - name));
        if (!cc)
                return bracket_fails(b, BYTE_UNKNOWN_CLASS, b->p);
        if (in_char_class(cc, b->c))
                b->member = true;
        b->range_start = -1;
        b->p = close + 1;
        return true;
}

/* *pp is at '['. A ']' right after the '[' (or after the negating '!' or '^') is a member, not
 * the end. */
static enum byte_match match_bracket(const char **pp, unsigned char c)
{
        struct bracket b = {
            .p = *pp + 1, .c = c, .range_start = -1, .fault = BYTE_UNCLOSED, .fault_at = *pp};
        bool negated = *b.p == '!' || *b.p == '^';
        if (negated)
                b.p++;
        for (const char *first = b.p; *b.p != ']' || b.p == first;) {
                bool ok;
                if (b.p[0] == '[' && b.p[1] == ':')
                        ok = bracket_class(&b);
                else if (b.p[0] == '-' && b.range_start >= 0 && b.p[1] && b.p[1] != ']')
                        ok = bracket_range(&b);
                else
                        ok = bracket_single(&b);
                if (!ok) {
                        *pp = b.fault_at;
                        return b.fault;
                }
        }
        *pp = b.p + 1;
        return c != '/' && b.member != negated ? BYTE_MATCH : BYTE_NOMATCH;
}

/* Matches the one-byte element at *pp ('?', a bracket expression, an escaped or a plain byte)
 * against c and moves *pp past it; for a malformed element, *pp is left at the fault. */
static enum byte_match match_byte(const char **pp, unsigned char c)
{
        const char *p = *pp;
        switch (*p) {
        case '?':
                *pp = p + 1;
                return c != '/' ? BYTE_MATCH : BYTE_NOMATCH;
        case '[':
                return match_bracket(pp, c);
        case '\\':
                if (p[1] == '\0')
                        return BYTE_LONE_BACKSLASH;
                *pp = p + 2;
                return (unsigned char)p[1] == c ? BYTE_MATCH : BYTE_NOMATCH;
        default:
                *pp = p + 1;
                return (unsigned char)*p == c ? BYTE_MATCH : BYTE_NOMATCH;
        }
}

enum star_kind {
        STAR_SEGMENT,      /* within one path component */
        STAR_REST,         /* a trailing "**": everything left */
        STAR_DIRS,         /* "**" then '/': zero or more directories */
        STAR_DIRS_ESCAPED, /* "**" then an escaped '/': one or more, as git skips zero only for a
                            * plain '/' */
};

/* The run of asterisks [run, end): "**" is special only between slashes or the pattern's ends. */
static enum star_kind classify_stars(const char *pattern, const char *run, const char *end)
{
        if (end - run < 2 || (run > pattern && run[-1] != '/'))
                return STAR_SEGMENT;
        if (end[0] == '\0')
                return STAR_REST;
        if (end[0] == '/')
                return STAR_DIRS;
        if (end[0] == '\\' && end[1] == '/')
                return STAR_DIRS_ESCAPED;
        return STAR_SEGMENT;
}

/* Where to resume after a mismatch: the pattern after a star, and the text that star's next
 * attempt leaves for it. */
struct resume_point {
        const char *p;
        const char *t;
};

struct matcher {
        const char *pattern;
        const char *p;
        const char *t;
        struct resume_point star; /* the latest '*' since the latest "**" (p NULL when none) */
        struct resume_point dirs; /* the latest "**" followed by '/' (p NULL when none) */
};

enum step { STEP_ON, STEP_MATCH, STEP_FAIL };

/* The "**" takes one more directory: the rest of the pattern starts after the next '/'. */
static enum step resume_after_next_dir(struct matcher *m)
{
        if (!m->dirs.p)
                return STEP_FAIL;
        const char *slash = strchr(m->dirs.t, '/');
        if (!slash)
                return STEP_FAIL;
        m->dirs.t = slash + 1;
        m->p = m->dirs.p;
        m->t = m->dirs.t;
        m->star.p = NULL;
        return STEP_ON;
}

static enum step resume_after_mismatch(struct matcher *m)
{
        if (m->star.p && *m->star.t != '\0' && *m->star.t != '/') {
                m->star.t++;
                m->p = m->star.p;
                m->t = m->star.t;
                return STEP_ON;
        }
        return resume_after_next_dir(m);
}

/* Every star first matches nothing; a mismatch later makes it take more. */
static enum step enter_stars(struct matcher *m)
{
        const char *run = m->p;
        while (*m->p == '*')
                m->p++;
        switch (classify_stars(m->pattern, run, m->p)) {
        case STAR_REST:
                return STEP_MATCH;
        case STAR_DIRS:
                m->p++;
                m->dirs = (struct resume_point){m->p, m->t};
                m->star.p = NULL;
                return STEP_ON;
        case STAR_DIRS_ESCAPED:
                m->p += 2;
                m->dirs = (struct resume_point){m->p, m->t};
                m->star.p = NULL;
                return resume_after_next_dir(m);
        case STAR_SEGMENT:
                m->star = (struct resume_point){m->p, m->t};
                return STEP_ON;
        }
        return STEP_FAIL;
}

static enum step match_step(struct matcher *m)
{
        if (*m->p == '*')
                return enter_stars(m);
        if (*m->p == '\0')
                return *m->t == '\0' ? STEP_MATCH : resume_after_mismatch(m);
        /* Out of text with a one-byte element left: resuming any star would only leave less text
         * for the elements since it, so nothing can match. */
        if (*m->t == '\0')
                return STEP_FAIL;
        switch (match_byte(&m->p, (unsigned char)*m->t)) {
        case BYTE_MATCH:
                m->t++;
                return STEP_ON;
        case BYTE_NOMATCH:
                return resume_after_mismatch(m);
        default:
                return STEP_FAIL;
        }
}

bool wildmatch(const char *pattern, const char *path)
{
        struct matcher m = {.pattern = pattern, .p = pattern, .t = path};
        enum step s;
        while ((s = match_step(&m)) == STEP_ON)
                ;
        return s == STEP_MATCH;
}

static int malformed(const char *pattern, enum byte_match fault, const char *at,
                     struct distill_error *err)
{
        switch (fault) {
        case BYTE_UNCLOSED:
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "glob \"%s\": the bracket expression \"%s\" has no "
                                         "closing ']'",
                                         pattern, at);
        case BYTE_UNKNOWN_CLASS: {
                const char *name = at + 2;
                int len = (int)(strchr(name, ']') - 1 - name);
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "glob \"%s\": unknown character class \"[:%.*s:]\" "
                                         "(known: alnum, alpha, blank, cntrl, digit, graph, "
                                         "lower, print, punct, space, upper, xdigit)",
                                         pattern, len, name);
        }
        default:
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "glob \"%s\" ends in a backslash that escapes nothing",
                                         pattern);
        }
}

int wildmatch_check(const char *pattern, struct distill_error *err)
{
        for (const char *p = pattern; *p;) {
                if (*p == '*') {
                        p++;
                        continue;
                }
                enum byte_match r = match_byte(&p, 'x');
                if (r != BYTE_MATCH && r != BYTE_NOMATCH)
                        return malformed(pattern, r, p, err);
        }
        return 0;
}
