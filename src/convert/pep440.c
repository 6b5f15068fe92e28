/* PEP 440 versions and specifiers as packaging 23.0 reads them (pep440.h says where PEP 440 is
 * followed instead). packaging matches regular expressions; here one scanner walks the same
 * grammar, taking at each choice the branch the regular expression engine finds first — which,
 * for this grammar, is also the only one that can lead to a match. */
#include "distill/convert/pep440.h"

#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static char lower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_alnum(char c)
{
        char l = lower(c);
        return is_digit(c) || (l >= 'a' && l <= 'z');
}

/* Python's \s on the ASCII range (str.isspace: also the four separators 0x1c to 0x1f). */
static bool is_space(char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static bool is_sep(char c)
{
        return c == '-' || c == '_' || c == '.';
}

static size_t skip_digits(const char *s, size_t p)
{
        while (is_digit(s[p]))
                p++;
        return p;
}

/* The length of the first of `words` (longest first where one is a prefix of another) that
 * starts s[p], case-insensitively; 0 when none does. */
static size_t match_word(const char *s, size_t p, const char *const *words)
{
        for (; *words; words++) {
                size_t n = strlen(*words), i = 0;
                while (i < n && lower(s[p + i]) == (*words)[i])
                        i++;
                if (i == n)
                        return n;
        }
        return 0;
}

static const char *const pre_words[] = {"preview", "alpha", "beta", "pre", "rc",
                                        "a",       "b",     "c",    NULL};
static const char *const post_words[] = {"post", "rev", "r", NULL};
static const char *const dev_words[] = {"dev", NULL};

struct span {
        size_t b, e; /* [b, e) in the scanned string; b == e: absent */
};

/* What the scanner found; the spans of a part it did not see stay empty. */
struct capture {
        bool has_epoch, has_pre, has_post, has_dev, has_local, wildcard;
        struct span epoch, pre_l, pre_n, post_n, dev_n, local;
        struct span release[PEP440_MAX_PARTS];
        size_t n_release; /* may exceed PEP440_MAX_PARTS: only the first are kept */
};

struct grammar {
        bool local;         /* a +local part (Version, and == != specifiers) */
        bool wildcard;      /* a trailing .* instead of the suffixes (== and != specifiers) */
        size_t min_release; /* components (2 for ~=) */
};

/* `sep? WORD sep? digits?` at p: the end, or p when WORD is not there. */
static size_t scan_suffix(const char *s, size_t p, const char *const *words, struct span *word,
                          struct span *num)
{
        size_t q = p + (is_sep(s[p]) ? 1 : 0);
        size_t w = match_word(s, q, words);
        if (!w)
                return p;
        *word = (struct span){q, q + w};
        q += w;
        if (is_sep(s[q]))
                q++;
        *num = (struct span){q, skip_digits(s, q)};
        return num->e;
}

/* The version grammar from s[p]: the end of the longest-first match, or SIZE_MAX when none. */
static size_t scan_version(const char *s, size_t p, const struct grammar *g, struct capture *c)
{
        memset(c, 0, sizeof(*c));
        if (lower(s[p]) == 'v')
                p++;
        if (!is_digit(s[p]))
                return SIZE_MAX;
        size_t d = skip_digits(s, p);
        if (s[d] == '!' && is_digit(s[d + 1])) {
                c->has_epoch = true;
                c->epoch = (struct span){p, d};
                p = d + 1;
        }
        for (;;) {
                size_t e = skip_digits(s, p);
                if (c->n_release < PEP440_MAX_PARTS)
                        c->release[c->n_release] = (struct span){p, e};
                c->n_release++;
                p = e;
                if (s[p] != '.' || !is_digit(s[p + 1]))
                        break;
                p++;
        }
        if (c->n_release < g->min_release)
                return SIZE_MAX;
        if (g->wildcard && s[p] == '.' && s[p + 1] == '*') {
                c->wildcard = true;
                return p + 2;
        }
        struct span word;
        size_t q = scan_suffix(s, p, pre_words, &c->pre_l, &c->pre_n);
        c->has_pre = q != p;
        p = q;
        if (s[p] == '-' && is_digit(s[p + 1])) {
                c->has_post = true;
                c->post_n = (struct span){p + 1, skip_digits(s, p + 1)};
                p = c->post_n.e;
        } else {
                q = scan_suffix(s, p, post_words, &word, &c->post_n);
                c->has_post = q != p;
                p = q;
        }
        q = scan_suffix(s, p, dev_words, &word, &c->dev_n);
        c->has_dev = q != p;
        p = q;
        if (g->local && s[p] == '+' && is_alnum(s[p + 1])) {
                c->has_local = true;
                q = p + 1;
                for (;;) {
                        while (is_alnum(s[q]))
                                q++;
                        if (!is_sep(s[q]) || !is_alnum(s[q + 1]))
                                break;
                        q++;
                }
                c->local = (struct span){p + 1, q};
                p = q;
        }
        return p;
}

static struct pep440_num make_num(const char *text, struct span sp)
{
        while (sp.b < sp.e && text[sp.b] == '0')
                sp.b++;
        return (struct pep440_num){(uint16_t)sp.b, (uint16_t)(sp.e - sp.b)};
}

static enum pep440_pre pre_kind(const char *text, struct span w)
{
        switch (text[w.b]) {
        case 'a':
                return PEP440_PRE_A;
        case 'b':
                return PEP440_PRE_B;
        default: /* c, rc, pre, preview */
                return PEP440_PRE_RC;
        }
}

static void fill_local(struct pep440_version *v, struct span sp)
{
        size_t p = sp.b;
        while (p < sp.e && v->n_local < PEP440_MAX_PARTS) {
                size_t e = p;
                bool numeric = true;
                while (e < sp.e && !is_sep(v->text[e])) {
                        numeric = numeric && is_digit(v->text[e]);
                        e++;
                }
                struct pep440_local *l = &v->local[v->n_local++];
                l->numeric = numeric;
                if (numeric) {
                        struct pep440_num n = make_num(v->text, (struct span){p, e});
                        l->off = n.off;
                        l->len = n.len;
                } else {
                        l->off = (uint16_t)p;
                        l->len = (uint16_t)(e - p);
                }
                p = e + 1;
        }
}

/* s without the whitespace around it: [*b, *e). */
static void trim(const char *s, size_t *b, size_t *e)
{
        size_t n = strlen(s);
        *b = 0;
        while (*b < n && is_space(s[*b]))
                ++*b;
        while (n > *b && is_space(s[n - 1]))
                n--;
        *e = n;
}

static int parse_trimmed(const char *s, size_t len, struct pep440_version *v, const char *what,
                         size_t col0, struct distill_error *err)
{
        memset(v, 0, sizeof(*v));
        if (len > PEP440_MAX_LEN)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s \"%.40s...\": longer than %d bytes", what, s,
                                         PEP440_MAX_LEN);
        for (size_t i = 0; i < len; i++)
                v->text[i] = lower(s[i]);
        v->text[len] = '\0';
        static const struct grammar g = {.local = true, .min_release = 1};
        struct capture c;
        size_t end = scan_version(v->text, 0, &g, &c);
        if (end != len) {
                size_t col = end == SIZE_MAX ? 0 : end;
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s \"%s\" is not a PEP 440 version (column %zu)", what,
                                         v->text, col0 + col + 1);
        }
        if (c.n_release > PEP440_MAX_PARTS)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s \"%s\": more than %d release components", what,
                                         v->text, PEP440_MAX_PARTS);
        v->epoch = make_num(v->text, c.epoch);
        v->n_release = c.n_release;
        for (size_t i = 0; i < c.n_release; i++)
                v->release[i] = make_num(v->text, c.release[i]);
        if (c.has_pre) {
                v->pre = pre_kind(v->text, c.pre_l);
                v->pre_n = make_num(v->text, c.pre_n);
        }
        v->has_post = c.has_post;
        v->post = make_num(v->text, c.post_n);
        v->has_dev = c.has_dev;
        v->dev = make_num(v->text, c.dev_n);
        v->has_local = c.has_local;
        if (c.has_local)
                fill_local(v, c.local);
        return 0;
}

int pep440_parse(const char *s, struct pep440_version *v, struct distill_error *err)
{
        size_t b, e;
        trim(s, &b, &e);
        return parse_trimmed(s + b, e - b, v, "version", b, err);
}

static int cmp_num(const char *ta, struct pep440_num a, const char *tb, struct pep440_num b)
{
        if (a.len != b.len)
                return a.len < b.len ? -1 : 1;
        int r = memcmp(ta + a.off, tb + b.off, a.len);
        return (r > 0) - (r < 0);
}

static int cmp_int(int a, int b)
{
        return (a > b) - (a < b);
}

/* The release without its trailing zeros: how many components count. */
static size_t release_len(const struct pep440_version *v)
{
        size_t n = v->n_release;
        while (n > 0 && v->release[n - 1].len == 0)
                n--;
        return n;
}

static int cmp_release(const struct pep440_version *a, const struct pep440_version *b)
{
        int r = cmp_num(a->text, a->epoch, b->text, b->epoch);
        if (r)
                return r;
        size_t na = release_len(a), nb = release_len(b);
        for (size_t i = 0; i < na && i < nb; i++)
                if ((r = cmp_num(a->text, a->release[i], b->text, b->release[i])))
                        return r;
        return cmp_int(na > nb, nb > na);
}

/* The rank of the pre part in _cmpkey: a dev release without pre or post part sorts before
 * every pre-release (-1), a version without pre part after them all (1). */
static int pre_rank(const struct pep440_version *v)
{
        if (v->pre == PEP440_PRE_NONE)
                return !v->has_post && v->has_dev ? -1 : 1;
        return 0;
}

static int cmp_local(const struct pep440_version *a, const struct pep440_version *b)
{
        if (a->has_local != b->has_local)
                return a->has_local ? 1 : -1;
        for (size_t i = 0; i < a->n_local && i < b->n_local; i++) {
                const struct pep440_local *x = &a->local[i], *y = &b->local[i];
                int r;
                if (x->numeric != y->numeric)
                        return x->numeric ? 1 : -1; /* alphanumeric segments sort first */
                if (x->numeric)
                        r = cmp_num(a->text, (struct pep440_num){x->off, x->len}, b->text,
                                    (struct pep440_num){y->off, y->len});
                else {
                        size_t n = x->len < y->len ? x->len : y->len;
                        r = memcmp(a->text + x->off, b->text + y->off, n);
                        r = r ? (r > 0) - (r < 0) : cmp_int(x->len, y->len);
                }
                if (r)
                        return r;
        }
        return cmp_int((int)(a->n_local > b->n_local), (int)(b->n_local > a->n_local));
}

static int compare(const struct pep440_version *a, const struct pep440_version *b, bool with_local)
{
        int r = cmp_release(a, b);
        if (r)
                return r;
        int ra = pre_rank(a), rb = pre_rank(b);
        if (ra != rb)
                return cmp_int(ra, rb);
        if (ra == 0) {
                if ((r = cmp_int(a->pre, b->pre)) ||
                    (r = cmp_num(a->text, a->pre_n, b->text, b->pre_n)))
                        return r;
        }
        if (a->has_post != b->has_post)
                return a->has_post ? 1 : -1;
        if (a->has_post && (r = cmp_num(a->text, a->post, b->text, b->post)))
                return r;
        if (a->has_dev != b->has_dev)
                return a->has_dev ? -1 : 1;
        if (a->has_dev && (r = cmp_num(a->text, a->dev, b->text, b->dev)))
                return r;
        return with_local ? cmp_local(a, b) : 0;
}

int pep440_compare(const struct pep440_version *a, const struct pep440_version *b)
{
        return compare(a, b, true);
}

bool pep440_is_prerelease(const struct pep440_version *v)
{
        return v->pre != PEP440_PRE_NONE || v->has_dev;
}

bool pep440_is_postrelease(const struct pep440_version *v)
{
        return v->has_post;
}

static void add_num(struct strbuf *sb, const char *text, struct pep440_num n)
{
        if (n.len)
                strbuf_add(sb, text + n.off, n.len);
        else
                strbuf_addch(sb, '0');
}

char *pep440_normalize(const struct pep440_version *v)
{
        static const char *const pre_names[] = {"", "a", "b", "rc"};
        struct strbuf sb = STRBUF_INIT;
        if (v->epoch.len) {
                add_num(&sb, v->text, v->epoch);
                strbuf_addch(&sb, '!');
        }
        for (size_t i = 0; i < v->n_release; i++) {
                if (i)
                        strbuf_addch(&sb, '.');
                add_num(&sb, v->text, v->release[i]);
        }
        if (v->pre != PEP440_PRE_NONE) {
                strbuf_adds(&sb, pre_names[v->pre]);
                add_num(&sb, v->text, v->pre_n);
        }
        if (v->has_post) {
                strbuf_adds(&sb, ".post");
                add_num(&sb, v->text, v->post);
        }
        if (v->has_dev) {
                strbuf_adds(&sb, ".dev");
                add_num(&sb, v->text, v->dev);
        }
        for (size_t i = 0; i < v->n_local; i++) {
                strbuf_addch(&sb, i ? '.' : '+');
                const struct pep440_local *l = &v->local[i];
                if (l->numeric)
                        add_num(&sb, v->text, (struct pep440_num){l->off, l->len});
                else
                        strbuf_add(&sb, v->text + l->off, l->len);
        }
        return strbuf_detach(&sb);
}

/* Specifiers */

static const struct {
        const char *text;
        enum pep440_op op;
} ops[] = {
    /* the order of packaging's operator alternation: the first that leads to a match wins */
    {"~=", PEP440_OP_COMPATIBLE}, {"==", PEP440_OP_EQ},         {"!=", PEP440_OP_NE},
    {"<=", PEP440_OP_LE},         {">=", PEP440_OP_GE},         {"<", PEP440_OP_LT},
    {">", PEP440_OP_GT},          {"===", PEP440_OP_ARBITRARY},
};

static struct grammar op_grammar(enum pep440_op op)
{
        switch (op) {
        case PEP440_OP_EQ:
        case PEP440_OP_NE:
                return (struct grammar){.local = true, .wildcard = true, .min_release = 1};
        case PEP440_OP_COMPATIBLE:
                return (struct grammar){.min_release = 2};
        default:
                return (struct grammar){.min_release = 1};
        }
}

/* The version of a specifier after its operator, from s[p]: [*vb, end) is the version, the
 * end is returned (SIZE_MAX: no match). */
static size_t scan_spec_version(const char *s, size_t p, enum pep440_op op, size_t *vb)
{
        while (is_space(s[p]))
                p++;
        *vb = p;
        if (op == PEP440_OP_ARBITRARY) {
                while (s[p] && !is_space(s[p]) && s[p] != ';' && s[p] != ')')
                        p++;
                return p;
        }
        struct grammar g = op_grammar(op);
        struct capture c;
        return scan_version(s, p, &g, &c);
}

size_t pep440_scan_spec(const char *s)
{
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                size_t n = strlen(ops[i].text), vb;
                if (strncmp(s, ops[i].text, n))
                        continue;
                size_t end = scan_spec_version(s, n, ops[i].op, &vb);
                if (end != SIZE_MAX)
                        return end;
        }
        return 0;
}

/* One specifier, s[0, len) without surrounding whitespace; col0 for messages. */
static int spec_parse(const char *s, size_t len, size_t col0, struct pep440_spec *spec,
                      struct distill_error *err)
{
        memset(spec, 0, sizeof(*spec));
        if (len > PEP440_MAX_LEN)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "specifier \"%.40s...\" (column %zu): longer than %d "
                                         "bytes",
                                         s, col0 + 1, PEP440_MAX_LEN);
        char buf[PEP440_MAX_LEN + 1];
        memcpy(buf, s, len);
        buf[len] = '\0';
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                size_t n = strlen(ops[i].text), vb;
                if (strncmp(buf, ops[i].text, n))
                        continue;
                if (scan_spec_version(buf, n, ops[i].op, &vb) != len)
                        continue;
                spec->op = ops[i].op;
                memcpy(spec->text, buf + vb, len - vb + 1);
                size_t vlen = len - vb;
                spec->wildcard = vlen >= 2 && !strcmp(spec->text + vlen - 2, ".*") &&
                                 spec->op != PEP440_OP_ARBITRARY;
                if (spec->wildcard)
                        vlen -= 2;
                struct distill_error ignored;
                spec->has_version =
                    parse_trimmed(spec->text, vlen, &spec->version, "version", 0, &ignored) == 0;
                if (!spec->has_version && spec->op != PEP440_OP_ARBITRARY)
                        return distill_error_set(err, DISTILL_EINTERNAL,
                                                 "specifier \"%s\": its version does not parse",
                                                 buf);
                return 0;
        }
        return distill_error_set(err, DISTILL_EUSAGE,
                                 "\"%s\" (column %zu) is not a PEP 440 version specifier", buf,
                                 col0 + 1);
}

int pep440_spec_parse(const char *s, struct pep440_spec *spec, struct distill_error *err)
{
        size_t b, e;
        trim(s, &b, &e);
        return spec_parse(s + b, e - b, b, spec, err);
}

/* v's release starts with prefix's (v padded with zeros), epochs equal: PEP 440's prefix
 * match, local part ignored. */
static bool prefix_match(const struct pep440_version *v, const struct pep440_version *prefix,
                         size_t n)
{
        if (cmp_num(v->text, v->epoch, prefix->text, prefix->epoch))
                return false;
        static const struct pep440_num zero = {0, 0};
        for (size_t i = 0; i < n; i++) {
                struct pep440_num x = i < v->n_release ? v->release[i] : zero;
                if (cmp_num(v->text, x, prefix->text, prefix->release[i]))
                        return false;
        }
        return true;
}

static bool same_base(const struct pep440_version *a, const struct pep440_version *b)
{
        return cmp_release(a, b) == 0;
}

static bool equal(const struct pep440_spec *spec, const struct pep440_version *v)
{
        if (spec->wildcard)
                return prefix_match(v, &spec->version, spec->version.n_release);
        return compare(v, &spec->version, spec->version.has_local) == 0;
}

bool pep440_spec_contains(const struct pep440_spec *spec, const struct pep440_version *v)
{
        const struct pep440_version *sv = &spec->version;
        switch (spec->op) {
        case PEP440_OP_COMPATIBLE:
                return compare(v, sv, false) >= 0 && prefix_match(v, sv, sv->n_release - 1);
        case PEP440_OP_EQ:
                return equal(spec, v);
        case PEP440_OP_NE:
                return !equal(spec, v);
        case PEP440_OP_LE:
                return compare(v, sv, false) <= 0;
        case PEP440_OP_GE:
                return compare(v, sv, false) >= 0;
        case PEP440_OP_LT:
                /* <3.1 admits no pre-release of 3.1 itself unless it names one */
                if (compare(v, sv, true) >= 0)
                        return false;
                return pep440_is_prerelease(sv) || !pep440_is_prerelease(v) || !same_base(v, sv);
        case PEP440_OP_GT:
                /* >3.1 admits neither 3.1.post1 (unless it names a post release) nor 3.1+local */
                if (compare(v, sv, true) <= 0)
                        return false;
                if (!sv->has_post && v->has_post && same_base(v, sv))
                        return false;
                return !v->has_local || !same_base(v, sv);
        case PEP440_OP_ARBITRARY: {
                cleanup_free char *norm = pep440_normalize(v);
                return !strcasecmp(norm, spec->text);
        }
        }
        return false;
}

bool pep440_spec_names_prerelease(const struct pep440_spec *spec)
{
        switch (spec->op) {
        case PEP440_OP_EQ:
        case PEP440_OP_GE:
        case PEP440_OP_LE:
        case PEP440_OP_COMPATIBLE:
        case PEP440_OP_ARBITRARY:
                return spec->has_version && pep440_is_prerelease(&spec->version);
        default:
                return false;
        }
}

void pep440_specset_release(struct pep440_specset *set)
{
        free(set->v);
        set->v = NULL;
        set->n = 0;
}

int pep440_specset_parse(const char *s, struct pep440_specset *set, struct distill_error *err)
{
        set->v = NULL;
        set->n = 0;
        size_t total = strlen(s);
        if (total > PEP440_MAX_SET_LEN)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "version specifiers longer than %u bytes",
                                         PEP440_MAX_SET_LEN);
        size_t pieces = 1;
        for (const char *p = s; *p; p++)
                pieces += *p == ',';
        struct pep440_spec *v = NULL;
        size_t n = 0, b = 0;
        while (b <= total) {
                size_t e = b + strcspn(s + b, ",");
                size_t pb = b, pe = e;
                while (pb < pe && is_space(s[pb]))
                        pb++;
                while (pe > pb && is_space(s[pe - 1]))
                        pe--;
                if (pe > pb) {
                        if (n == PEP440_MAX_SPECIFIERS) {
                                free(v);
                                return distill_error_set(err, DISTILL_EUSAGE,
                                                         "more than %d version specifiers",
                                                         PEP440_MAX_SPECIFIERS);
                        }
                        if (!v)
                                v = xcalloc(pieces < PEP440_MAX_SPECIFIERS ? pieces
                                                                           : PEP440_MAX_SPECIFIERS,
                                            sizeof(*v));
                        int r = spec_parse(s + pb, pe - pb, pb, &v[n], err);
                        if (r < 0) {
                                free(v);
                                return r;
                        }
                        n++;
                }
                b = e + 1;
        }
        set->v = v;
        set->n = n;
        return 0;
}

bool pep440_specset_contains(const struct pep440_specset *set, const struct pep440_version *v,
                             enum pep440_prereleases pre)
{
        bool admitted = pre == PEP440_PRERELEASES_ALLOW;
        for (size_t i = 0; i < set->n && !admitted; i++)
                admitted = pep440_spec_names_prerelease(&set->v[i]);
        if (!admitted && pep440_is_prerelease(v))
                return false;
        for (size_t i = 0; i < set->n; i++)
                if (!pep440_spec_contains(&set->v[i], v))
                        return false;
        return true;
}

int pep440_satisfies_ex(const char *version, const char *specifiers, enum pep440_prereleases pre,
                        bool *ok, struct distill_error *err)
{
        struct pep440_version *v = xmalloc(sizeof(*v));
        struct pep440_specset set;
        int r = pep440_parse(version, v, err);
        if (r == 0)
                r = pep440_specset_parse(specifiers, &set, err);
        if (r == 0) {
                *ok = pep440_specset_contains(&set, v, pre);
                pep440_specset_release(&set);
        }
        free(v);
        return r;
}

int pep440_satisfies(const char *version, const char *specifiers, bool *ok,
                     struct distill_error *err)
{
        return pep440_satisfies_ex(version, specifiers, PEP440_PRERELEASES_AUTO, ok, err);
}
