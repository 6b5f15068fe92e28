/* PEP 508 requirements and markers as packaging 23.0's hand-written parser takes them (its
 * tokenizer's regular expressions, \b word boundaries included, are emulated on ASCII), and
 * requirements.txt as pip 23.0's req_file.py reads it. pyreq.h lists where they are departed
 * from. */
#include "distill/convert/pyreq.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/names.h"
#include "distill/base/arch.h"
#include "distill/convert/pep440.h"

/* Characters */

/* Python's \s and str.isspace() on ASCII. */
static bool is_space(char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static bool is_alnum(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A word character of Python's \b: non-ASCII bytes stand for the letters they mostly are. */
static bool is_word(char c)
{
        return is_alnum(c) || c == '_' || (unsigned char)c >= 0x80;
}

/* Tokenizer: packaging's DEFAULT_RULES, each a test at pos. */

struct tok {
        const char *s;
        size_t len, pos;
        const char *what;   /* "requirement", "marker" */
        const char *origin; /* for messages */
};

static bool boundary(const struct tok *t, size_t p)
{
        bool before = p > 0 && is_word(t->s[p - 1]);
        bool after = p < t->len && is_word(t->s[p]);
        return before != after;
}

static void ws(struct tok *t)
{
        while (t->pos < t->len && (t->s[t->pos] == ' ' || t->s[t->pos] == '\t'))
                t->pos++;
}

static bool is_ws(const struct tok *t)
{
        return t->pos < t->len && (t->s[t->pos] == ' ' || t->s[t->pos] == '\t');
}

/* Python's $: the end, or just before a newline that ends the string. */
static bool at_end(const struct tok *t)
{
        return t->pos == t->len || (t->pos + 1 == t->len && t->s[t->pos] == '\n');
}

static bool at_char(const struct tok *t, char c)
{
        return t->pos < t->len && t->s[t->pos] == c;
}

/* \bWORD\b */
static bool at_keyword(const struct tok *t, const char *word)
{
        size_t n = strlen(word);
        return t->pos + n <= t->len && !strncmp(t->s + t->pos, word, n) && boundary(t, t->pos) &&
               boundary(t, t->pos + n);
}

/* \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b: its length, 0 when none. */
static size_t identifier(const struct tok *t)
{
        size_t p = t->pos;
        if (p >= t->len || !is_alnum(t->s[p]) || !boundary(t, p))
                return 0;
        size_t e = p + 1;
        while (e < t->len && (is_alnum(t->s[e]) || strchr("._-", t->s[e])))
                e++;
        while (e > p && !boundary(t, e)) /* the regex backs off to a word boundary */
                e--;
        return e - p;
}

static int syntax_error(const struct tok *t, size_t col, const char *msg, struct distill_error *err)
{
        return distill_error_set(err, DISTILL_EUSAGE, "%s: invalid %s \"%.200s\": %s (column %zu)",
                                 t->origin ? t->origin : t->what, t->what, t->s, msg, col + 1);
}

/* Markers */

struct marker_ctx {
        struct tok t;
        const struct pyreq_env *env; /* NULL: syntax only */
        const char *extra;
        int depth;
        struct distill_error *err;
};

struct operand {
        bool variable;
        const char *name; /* the variable's normal name */
        char *value;      /* a quoted string's content */
};

static const struct {
        const char *spelling, *name;
} variables[] = {
    {"python_version", "python_version"},
    {"python_full_version", "python_full_version"},
    {"os_name", "os_name"},
    {"os.name", "os_name"},
    {"sys_platform", "sys_platform"},
    {"sys.platform", "sys_platform"},
    {"platform_release", "platform_release"},
    {"platform_system", "platform_system"},
    {"platform_version", "platform_version"},
    {"platform.version", "platform_version"},
    {"platform_machine", "platform_machine"},
    {"platform.machine", "platform_machine"},
    {"platform_python_implementation", "platform_python_implementation"},
    {"platform.python_implementation", "platform_python_implementation"},
    {"python_implementation", "platform_python_implementation"},
    {"implementation_name", "implementation_name"},
    {"implementation_version", "implementation_version"},
    {"extra", "extra"},
};

static const char *env_value(const struct marker_ctx *m, const char *name)
{
        const struct pyreq_env *e = m->env;
        if (!strcmp(name, "python_version"))
                return e->python_version;
        if (!strcmp(name, "python_full_version"))
                return e->python_full_version;
        if (!strcmp(name, "implementation_version"))
                return e->implementation_version;
        if (!strcmp(name, "os_name"))
                return e->os_name;
        if (!strcmp(name, "sys_platform"))
                return e->sys_platform;
        if (!strcmp(name, "platform_release"))
                return e->platform_release;
        if (!strcmp(name, "platform_system"))
                return e->platform_system;
        if (!strcmp(name, "platform_version"))
                return e->platform_version;
        if (!strcmp(name, "platform_machine"))
                return e->platform_machine;
        if (!strcmp(name, "platform_python_implementation"))
                return e->platform_python_implementation;
        if (!strcmp(name, "implementation_name"))
                return e->implementation_name;
        return m->extra ? m->extra : ""; /* extra */
}

static int parse_operand(struct marker_ctx *m, struct operand *o)
{
        struct tok *t = &m->t;
        memset(o, 0, sizeof(*o));
        if (boundary(t, t->pos))
                for (size_t i = 0; i < sizeof(variables) / sizeof(variables[0]); i++) {
                        size_t n = strlen(variables[i].spelling);
                        if (t->pos + n <= t->len &&
                            !strncmp(t->s + t->pos, variables[i].spelling, n) &&
                            boundary(t, t->pos + n)) {
                                o->variable = true;
                                o->name = variables[i].name;
                                t->pos += n;
                                return 0;
                        }
                }
        if (at_char(t, '\'') || at_char(t, '"')) {
                const char *close = memchr(t->s + t->pos + 1, t->s[t->pos], t->len - t->pos - 1);
                if (close) {
                        size_t b = t->pos + 1, e = (size_t)(close - t->s);
                        for (size_t i = b; i < e; i++)
                                if (strchr("\\\r\n", t->s[i]) || !t->s[i])
                                        return syntax_error(t, i,
                                                            "a backslash, CR, LF or NUL in a "
                                                            "quoted string is not supported",
                                                            m->err);
                        o->value = xstrndup(t->s + b, e - b);
                        t->pos = e + 1;
                        return 0;
                }
        }
        return syntax_error(t, t->pos, "Expected a marker variable or quoted string", m->err);
}

enum marker_op { OP_VERSION, OP_IN, OP_NOT_IN };

static int parse_op(struct marker_ctx *m, char *op, size_t size)
{
        struct tok *t = &m->t;
        if (at_keyword(t, "in")) {
                t->pos += 2;
                snprintf(op, size, "in");
                return 0;
        }
        if (at_keyword(t, "not")) {
                t->pos += 3;
                if (!is_ws(t))
                        return syntax_error(t, t->pos, "Expected whitespace after 'not'", m->err);
                ws(t);
                if (!at_keyword(t, "in"))
                        return syntax_error(t, t->pos, "Expected 'in' after 'not'", m->err);
                t->pos += 2;
                snprintf(op, size, "not in");
                return 0;
        }
        static const char *const ops[] = {"===", "==", "~=", "!=", "<=", ">=", "<", ">"};
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
                if (!strncmp(t->s + t->pos, ops[i], strlen(ops[i]))) {
                        t->pos += strlen(ops[i]);
                        snprintf(op, size, "%s", ops[i]);
                        return 0;
                }
        return syntax_error(t, t->pos,
                            "Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, "
                            "not in",
                            m->err);
}

/* PEP 508: a version comparison when the operator and the right side make a specifier and the
 * left side is a version, else Python's string comparison. */
static int compare_values(const char *lhs, const char *op, const char *rhs, bool *out,
                          struct distill_error *err)
{
        if (strcmp(op, "in") && strcmp(op, "not in") && strlen(rhs) < PEP440_MAX_LEN) {
                struct pep440_spec *spec = xmalloc(sizeof(*spec));
                struct pep440_version *v = xmalloc(sizeof(*v));
                struct distill_error ignored;
                cleanup_free char *text = xasprintf("%s%s", op, rhs);
                bool versions = pep440_spec_parse(text, spec, &ignored) == 0 &&
                                pep440_parse(lhs, v, &ignored) == 0;
                if (versions)
                        *out = pep440_spec_contains(spec, v);
                free(spec);
                free(v);
                if (versions)
                        return 0;
        }
        int c = strcmp(lhs, rhs);
        if (!strcmp(op, "in"))
                *out = strstr(rhs, lhs) != NULL;
        else if (!strcmp(op, "not in"))
                *out = strstr(rhs, lhs) == NULL;
        else if (!strcmp(op, "=="))
                *out = c == 0;
        else if (!strcmp(op, "!="))
                *out = c != 0;
        else if (!strcmp(op, "<"))
                *out = c < 0;
        else if (!strcmp(op, "<="))
                *out = c <= 0;
        else if (!strcmp(op, ">"))
                *out = c > 0;
        else if (!strcmp(op, ">="))
                *out = c >= 0;
        else
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "\"%.100s\" %s \"%.100s\": neither versions nor strings "
                                         "compare with %s",
                                         lhs, op, rhs, op);
        return 0;
}

static int eval_item(struct marker_ctx *m, size_t col, struct operand *l, const char *op,
                     struct operand *r, bool *out)
{
        if (!m->env) /* packaging's Marker() takes these; its evaluate() goes wrong on them */
                return 0;
        if (l->variable == r->variable)
                return syntax_error(
                    &m->t, col,
                    l->variable ? "compares two variables" : "compares two quoted strings", m->err);
        const char *name = l->variable ? l->name : r->name;
        const char *value = env_value(m, name);
        cleanup_free char *lv = xstrdup(l->variable ? value : l->value);
        cleanup_free char *rv = xstrdup(r->variable ? value : r->value);
        if (!strcmp(name, "extra")) { /* PEP 685: extras compare by their normal names */
                char *nl = pep503_normalize(lv, strlen(lv)), *nr = pep503_normalize(rv, strlen(rv));
                free(lv);
                free(rv);
                lv = nl;
                rv = nr;
        }
        int ret = compare_values(lv, op, rv, out, m->err);
        if (ret < 0)
                return distill_error_prefix(m->err, "%s: marker \"%.200s\" (column %zu): ",
                                            m->t.origin ? m->t.origin : "marker", m->t.s, col + 1);
        return 0;
}

static int parse_marker(struct marker_ctx *m, bool *out);

static int parse_item(struct marker_ctx *m, bool *out)
{
        struct tok *t = &m->t;
        struct operand l, r = {0};
        char op[8];
        ws(t);
        size_t col = t->pos;
        int ret = parse_operand(m, &l);
        if (ret < 0)
                return ret;
        ws(t);
        ret = parse_op(m, op, sizeof(op));
        if (ret == 0) {
                ws(t);
                ret = parse_operand(m, &r);
        }
        if (ret == 0) {
                ws(t);
                *out = true;
                ret = eval_item(m, col, &l, op, &r, out);
        }
        free(l.value);
        free(r.value);
        return ret;
}

static int parse_atom(struct marker_ctx *m, bool *out)
{
        struct tok *t = &m->t;
        ws(t);
        if (!at_char(t, '('))
                return parse_item(m, out);
        size_t open = t->pos;
        if (++m->depth > PYREQ_MAX_MARKER_DEPTH)
                return syntax_error(t, open, "parentheses nested too deep", m->err);
        t->pos++;
        ws(t);
        int ret = parse_marker(m, out);
        if (ret < 0)
                return ret;
        ws(t);
        if (!at_char(t, ')'))
                return syntax_error(t, open, "Expected closing RIGHT_PARENTHESIS", m->err);
        t->pos++;
        m->depth--;
        ws(t);
        return 0;
}

/* marker_atom (BOOLOP marker_atom)*: `and` binds tighter than `or`; every item is evaluated,
 * as packaging does, so that an undefined comparison is an error wherever it is. */
static int parse_marker(struct marker_ctx *m, bool *out)
{
        bool any = false, all = false, v = false;
        int ret = parse_atom(m, &all);
        while (ret == 0) {
                bool is_or = at_keyword(&m->t, "or");
                if (!is_or && !at_keyword(&m->t, "and"))
                        break;
                m->t.pos += is_or ? 2 : 3;
                if ((ret = parse_atom(m, &v)) < 0)
                        break;
                if (is_or) {
                        any = any || all;
                        all = v;
                } else
                        all = all && v;
        }
        if (ret == 0)
                *out = any || all;
        return ret;
}

static int marker_run(const char *marker, const struct pyreq_env *env, const char *extra,
                      bool *result, struct distill_error *err)
{
        size_t len = strlen(marker);
        if (len > PYREQ_MAX_LINE)
                return distill_error_set(err, DISTILL_EUSAGE, "marker longer than %u bytes",
                                         PYREQ_MAX_LINE);
        struct marker_ctx m = {.t = {.s = marker, .len = len, .what = "marker"},
                               .env = env,
                               .extra = extra,
                               .err = err};
        bool value = false;
        int ret = parse_marker(&m, &value);
        if (ret < 0)
                return ret;
        ws(&m.t);
        if (!at_end(&m.t))
                return syntax_error(&m.t, m.t.pos, "Expected end of marker", err);
        if (result)
                *result = value;
        return 0;
}

int pyreq_marker_eval(const char *marker, const struct pyreq_env *env, const char *extra,
                      bool *result, struct distill_error *err)
{
        return marker_run(marker, env, extra, result, err);
}

int pyreq_marker_check(const char *marker, struct distill_error *err)
{
        return marker_run(marker, NULL, NULL, NULL, err);
}

void pyreq_env_init(struct pyreq_env *env, const char *python_full_version, const char *debian_arch)
{
        memset(env, 0, sizeof(*env));
        snprintf(env->python_full_version, sizeof(env->python_full_version), "%s",
                 python_full_version);
        /* platform.python_version_tuple()[:2] */
        const char *dot = strchr(python_full_version, '.');
        const char *dot2 = dot ? strchr(dot + 1, '.') : NULL;
        size_t n = dot2 ? (size_t)(dot2 - python_full_version) : strlen(python_full_version);
        snprintf(env->python_version, sizeof(env->python_version), "%.*s", (int)n,
                 python_full_version);
        /* sys.implementation.version formatted by packaging: a release candidate's level is
         * "candidate", whose first letter it keeps */
        const char *rc = strstr(python_full_version, "rc");
        if (rc)
                snprintf(env->implementation_version, sizeof(env->implementation_version),
                         "%.*sc%s", (int)(rc - python_full_version), python_full_version, rc + 2);
        else
                snprintf(env->implementation_version, sizeof(env->implementation_version), "%s",
                         python_full_version);
        env->implementation_name = "cpython";
        env->platform_python_implementation = "CPython";
        env->sys_platform = "linux";
        env->platform_system = "Linux";
        env->os_name = "posix";
        const struct arch_info *ai = arch_lookup(debian_arch);
        env->platform_machine = ai ? ai->uname : "";
        env->platform_release = "";
        env->platform_version = "";
}

/* Requirements */

void pyreq_release(struct pyreq *r)
{
        free(r->name);
        free(r->normalized);
        strvec_clear(&r->extras);
        free(r->specifier);
        free(r->marker);
        free(r->url);
        strvec_clear(&r->hashes);
        free(r->origin);
        memset(r, 0, sizeof(*r));
}

/* urllib.parse's view of a URL, as much as Requirement's check needs. */
struct url_parts {
        size_t scheme_len; /* 0: none */
        bool has_netloc;   /* "//" after the scheme */
        size_t netloc_b, netloc_e;
};

static void url_split(const char *url, struct url_parts *u)
{
        memset(u, 0, sizeof(*u));
        size_t i = strcspn(url, ":");
        if (url[i] == ':' && i > 0 && ((url[0] | 0x20) >= 'a' && (url[0] | 0x20) <= 'z')) {
                size_t k = 0;
                while (k < i && (is_alnum(url[k]) || strchr("+-.", url[k])))
                        k++;
                if (k == i)
                        u->scheme_len = i;
        }
        size_t rest = u->scheme_len ? u->scheme_len + 1 : 0;
        if (!strncmp(url + rest, "//", 2)) {
                u->has_netloc = true;
                u->netloc_b = rest + 2;
                u->netloc_e = u->netloc_b + strcspn(url + u->netloc_b, "/?#");
        }
}

/* Requirement's URL check: a file: URL that urlunparse(urlparse(url)) gives back unchanged,
 * else one with a scheme and a network location. */
static int url_check(const struct tok *t, const char *url, size_t col, struct distill_error *err)
{
        struct url_parts u;
        url_split(url, &u);
        for (const char *p = url; *p; p++)
                if ((unsigned char)*p < 0x20)
                        return syntax_error(t, col, "a control character in the URL", err);
        size_t nb = u.netloc_b, ne = u.netloc_e;
        bool open = memchr(url + nb, '[', ne - nb), close = memchr(url + nb, ']', ne - nb);
        if (u.has_netloc && open != close)
                return syntax_error(t, col, "Invalid IPv6 URL", err);
        if (u.scheme_len == 4 && !strncasecmp(url, "file", 4)) {
                /* what urlunparse drops or adds: an empty query or fragment, the "//" */
                const char *rest = url + ne;
                const char *hash = strchr(rest, '#');
                const char *query = rest + strcspn(rest, "?#");
                if (*query != '?')
                        query = NULL;
                bool same = !strncmp(url, "file:", 5) && u.has_netloc &&
                            (ne > nb || strncmp(rest, "//", 2)) && (!hash || hash[1]) &&
                            (!query || (query[1] && query[1] != '#'));
                if (!same)
                        return syntax_error(t, col, "Invalid URL given", err);
                return 0;
        }
        if (!u.scheme_len || !u.has_netloc || ne == nb)
                return syntax_error(t, col, "Invalid URL", err);
        return 0;
}

static void push_extra(struct strvec *extras, const char *s, size_t n)
{
        char *e = xstrndup(s, n);
        if (strvec_contains(extras, e))
                free(e);
        else
                strvec_push_nodup(extras, e);
}

static int parse_extras(struct tok *t, struct strvec *extras, struct distill_error *err)
{
        if (!at_char(t, '['))
                return 0;
        size_t open = t->pos++;
        ws(t);
        size_t n = identifier(t);
        if (n) {
                push_extra(extras, t->s + t->pos, n);
                t->pos += n;
                for (;;) {
                        ws(t);
                        if (identifier(t))
                                return syntax_error(t, t->pos, "Expected comma between extra names",
                                                    err);
                        if (!at_char(t, ','))
                                break;
                        t->pos++;
                        ws(t);
                        if (!(n = identifier(t)))
                                return syntax_error(t, t->pos, "Expected extra name after comma",
                                                    err);
                        push_extra(extras, t->s + t->pos, n);
                        t->pos += n;
                }
        }
        ws(t);
        if (!at_char(t, ']'))
                return syntax_error(t, open, "Expected closing RIGHT_BRACKET", err);
        t->pos++;
        return 0;
}

/* (SPECIFIER (WS? COMMA WS? SPECIFIER)*)? in optional parentheses: the specifiers joined as
 * packaging joins them (their text and the commas, without the whitespace between). */
static int parse_specifier(struct tok *t, struct strbuf *spec, struct distill_error *err)
{
        bool paren = at_char(t, '(');
        size_t open = t->pos;
        if (paren) {
                t->pos++;
                ws(t);
        }
        size_t n;
        while ((n = pep440_scan_spec(t->s + t->pos))) {
                strbuf_add(spec, t->s + t->pos, n);
                t->pos += n;
                ws(t);
                if (!at_char(t, ','))
                        break;
                strbuf_addch(spec, ',');
                t->pos++;
                ws(t);
        }
        if (paren) {
                ws(t);
                if (!at_char(t, ')'))
                        return syntax_error(t, open, "Expected closing RIGHT_PARENTHESIS", err);
                t->pos++;
        }
        return 0;
}

/* SEMICOLON marker WS?: the marker's text in *marker. */
static int parse_requirement_marker(struct tok *t, size_t span, const char *after, char **marker,
                                    struct distill_error *err)
{
        if (!at_char(t, ';')) {
                char msg[96];
                snprintf(msg, sizeof(msg), "Expected end or semicolon (after %s)", after);
                return syntax_error(t, span, msg, err);
        }
        t->pos++;
        struct marker_ctx m = {.t = *t, .err = err};
        bool ignored;
        int ret = parse_marker(&m, &ignored);
        if (ret < 0)
                return ret;
        size_t b = t->pos, e = m.t.pos;
        while (b < e && (t->s[b] == ' ' || t->s[b] == '\t'))
                b++;
        while (e > b && (t->s[e - 1] == ' ' || t->s[e - 1] == '\t'))
                e--;
        *marker = xstrndup(t->s + b, e - b);
        t->pos = m.t.pos;
        ws(t);
        return 0;
}

static int parse_details(struct tok *t, struct pyreq *r, struct strbuf *spec,
                         struct distill_error *err)
{
        if (at_char(t, '@')) {
                t->pos++;
                ws(t);
                size_t b = t->pos;
                while (t->pos < t->len && t->s[t->pos] != ' ' && t->s[t->pos] != '\t')
                        t->pos++;
                if (t->pos == b)
                        return syntax_error(t, b, "Expected URL after @", err);
                r->url = xstrndup(t->s + b, t->pos - b);
                int ret = url_check(t, r->url, b, err);
                if (ret < 0 || at_end(t))
                        return ret;
                if (!is_ws(t))
                        return syntax_error(t, t->pos, "Expected whitespace after URL", err);
                ws(t);
                if (at_end(t))
                        return 0;
                return parse_requirement_marker(t, b, "URL and whitespace", &r->marker, err);
        }
        size_t b = t->pos;
        int ret = parse_specifier(t, spec, err);
        if (ret < 0)
                return ret;
        ws(t);
        if (at_end(t))
                return 0;
        return parse_requirement_marker(
            t, b, spec->len ? "version specifier" : "name and no valid version specifier",
            &r->marker, err);
}

int pyreq_parse_line(const char *line, const char *origin, struct pyreq *out,
                     struct distill_error *err)
{
        size_t len = strlen(line);
        struct tok t = {.s = line, .len = len, .what = "requirement", .origin = origin};
        if (len > PYREQ_MAX_LINE)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: requirement longer than %u bytes",
                                         origin ? origin : "requirement", PYREQ_MAX_LINE);
        struct pyreq r = {0};
        struct strbuf spec = STRBUF_INIT;
        int ret;
        ws(&t);
        size_t n = identifier(&t);
        if (!n) {
                ret = syntax_error(&t, t.pos,
                                   "Expected package name at the start of dependency "
                                   "specifier",
                                   err);
                goto out;
        }
        r.name = xstrndup(line + t.pos, n);
        t.pos += n;
        ws(&t);
        if ((ret = parse_extras(&t, &r.extras, err)) < 0)
                goto out;
        ws(&t);
        if ((ret = parse_details(&t, &r, &spec, err)) < 0)
                goto out;
        if (!at_end(&t)) {
                ret = syntax_error(&t, t.pos, "Expected end of dependency specifier", err);
                goto out;
        }
        struct pep440_specset set;
        if ((ret = pep440_specset_parse(strbuf_str(&spec), &set, err)) < 0) {
                distill_error_prefix(err, "%s: invalid requirement \"%.200s\": ",
                                     origin ? origin : "requirement", line);
                goto out;
        }
        pep440_specset_release(&set);
        r.normalized = pep503_normalize(r.name, strlen(r.name));
        r.specifier = strbuf_detach(&spec);
        r.origin = xstrdup(origin);
        *out = r;
        return 0;
out:
        strbuf_release(&spec);
        pyreq_release(&r);
        return ret;
}

/* pip's forms: URLs, paths, wheels, editables */

static bool ends_with_ci(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && !strcasecmp(s + n - m, suffix);
}

/* pip's is_url: a scheme pip downloads or checks out from. */
static bool pip_is_url(const char *s)
{
        static const char *const schemes[] = {
            "http",     "https",          "file",      "ftp",      "git+http",  "git+https",
            "git+ssh",  "git+git",        "git+file",  "hg+file",  "hg+http",   "hg+https",
            "hg+ssh",   "hg+static-http", "svn+ssh",   "svn+http", "svn+https", "svn+svn",
            "svn+file", "bzr+http",       "bzr+https", "bzr+ssh",  "bzr+sftp",  "bzr+ftp",
            "bzr+lp",   "bzr+file",
        };
        const char *colon = strchr(s, ':');
        if (!colon)
                return false;
        size_t n = (size_t)(colon - s);
        for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
                if (strlen(schemes[i]) == n && !strncasecmp(s, schemes[i], n))
                        return true;
        return false;
}

static bool looks_like_path(const char *s, size_t n)
{
        return memchr(s, '/', n) || (n && s[0] == '.');
}

static bool is_archive(const char *s)
{
        static const char *const ext[] = {".zip",      ".whl",    ".tar.bz2", ".tbz",
                                          ".tar.xz",   ".txz",    ".tlz",     ".tar.lz",
                                          ".tar.lzma", ".tar.gz", ".tgz",     ".tar"};
        for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
                if (ends_with_ci(s, ext[i]))
                        return true;
        return false;
}

/* The name (and "==version") a wheel's file name carries: NAME-VER(-BUILD)?-PY-ABI-PLAT.whl. */
static void wheel_name(const char *url, struct pyreq *r)
{
        size_t n = strcspn(url, "?#");
        const char *b = url + n;
        while (b > url && b[-1] != '/')
                b--;
        cleanup_free char *file = xstrndup(b, (size_t)(url + n - b));
        if (!ends_with_ci(file, ".whl"))
                return;
        size_t dashes = 0;
        for (const char *p = file; *p; p++)
                dashes += *p == '-';
        const char *d1 = strchr(file, '-');
        if ((dashes != 4 && dashes != 5) || d1 == file)
                return;
        const char *d2 = strchr(d1 + 1, '-');
        r->name = xstrndup(file, (size_t)(d1 - file));
        for (char *p = r->name; *p; p++)
                if (*p == '_')
                        *p = '-';
        r->normalized = pep503_normalize(r->name, strlen(r->name));
        free(r->specifier);
        r->specifier = xasprintf("==%.*s", (int)(d2 - d1 - 1), d1 + 1);
}

/* #egg=NAME in a URL: its name when it is one. */
static void egg_name(const char *url, struct pyreq *r)
{
        const char *frag = strchr(url, '#');
        for (const char *p = frag; p && (p = strstr(p, "egg=")); p += 4) {
                if (p[-1] != '#' && p[-1] != '&')
                        continue;
                size_t n = strcspn(p + 4, "&");
                cleanup_free char *v = xstrndup(p + 4, n);
                struct tok t = {.s = v, .len = n};
                size_t id = identifier(&t);
                if (id && id == strcspn(v, "[")) {
                        r->name = xstrndup(v, id);
                        r->normalized = pep503_normalize(r->name, strlen(r->name));
                }
                return;
        }
}

/* _strip_extras: a trailing [extras] of a path. */
static void strip_extras(char *path, struct strvec *extras)
{
        size_t n = strlen(path);
        char *open = strrchr(path, '[');
        if (n < 3 || path[n - 1] != ']' || !open || open == path ||
            strchr(open, ']') != path + n - 1)
                return;
        for (char *p = open + 1; p < path + n - 1;) {
                size_t k = strcspn(p, ",]");
                size_t b = 0, e = k;
                while (b < e && is_space(p[b]))
                        b++;
                while (e > b && is_space(p[e - 1]))
                        e--;
                if (e > b)
                        push_extra(extras, p + b, e - b);
                p += k + (p[k] == ',');
                if (p[0] == ']')
                        break;
        }
        *open = '\0';
}

int pyreq_parse_pip_arg(const char *arg, const char *origin, bool editable, struct pyreq *out,
                        struct distill_error *err)
{
        const char *where = origin ? origin : "requirement";
        size_t len = strlen(arg);
        if (len > PYREQ_MAX_LINE)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: requirement longer than %u bytes", where,
                                         PYREQ_MAX_LINE);
        struct pyreq r = {0};
        bool url = pip_is_url(arg);
        /* pip splits a URL's marker at "; ", anything else's at ";" */
        const char *semi = editable ? NULL : strstr(arg, url ? "; " : ";");
        cleanup_free char *name = xstrndup(arg, semi ? (size_t)(semi - arg) : len);
        size_t b = 0, e = strlen(name);
        while (b < e && is_space(name[b]))
                b++;
        while (e > b && is_space(name[e - 1]))
                e--;
        name[e] = '\0';
        const char *n = name + b;
        const char *at = strchr(n, '@');
        bool path = !url && (looks_like_path(n, strlen(n)) || is_archive(n)) &&
                    !(at && !looks_like_path(n, (size_t)(at - n)));
        if (!editable && !url && !path)
                return pyreq_parse_line(arg, origin, out, err);
        if (!*n)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: an empty %s", where,
                                         editable ? "editable requirement" : "requirement");
        if (semi) {
                const char *mk = semi + (url ? 2 : 1);
                while (is_space(*mk))
                        mk++;
                if (*mk) {
                        int ret = pyreq_marker_check(mk, err);
                        if (ret < 0)
                                return distill_error_prefix(err, "%s: ", where);
                        r.marker = xstrdup(mk);
                        for (size_t k = strlen(r.marker); k && is_space(r.marker[k - 1]); k--)
                                r.marker[k - 1] = '\0';
                }
        }
        r.url = xstrdup(n);
        if (!url)
                strip_extras(r.url, &r.extras);
        r.editable = editable;
        r.specifier = xstrdup("");
        wheel_name(r.url, &r);
        if (!r.name)
                egg_name(r.url, &r);
        r.origin = xstrdup(origin);
        *out = r;
        return 0;
}

/* requirements.txt */

struct reader {
        struct pyreq_list *out;
        const struct strmap *env;
        size_t files, depth;
        char *stack[PYREQ_MAX_INCLUDE_DEPTH + 1]; /* real paths of the files being read */
};

enum opt_kind {
        OPT_INDEX,  /* ignored: a package index */
        OPT_BINARY, /* ignored: wheels or sources */
        OPT_PRE,
        OPT_HASHES,  /* --require-hashes */
        OPT_FEATURE, /* --use-feature */
        OPT_BUILD,   /* --install-option, --global-option */
        OPT_CONSTRAINT,
        OPT_REQUIREMENT,
        OPT_EDITABLE,
        OPT_HASH,
};

static const struct pip_option {
        const char *name, *short_name;
        bool value;
        enum opt_kind kind;
} pip_options[] = {
    {"--index-url", "-i", true, OPT_INDEX},
    {"--pypi-url", NULL, true, OPT_INDEX},
    {"--extra-index-url", NULL, true, OPT_INDEX},
    {"--no-index", NULL, false, OPT_INDEX},
    {"--constraint", "-c", true, OPT_CONSTRAINT},
    {"--requirement", "-r", true, OPT_REQUIREMENT},
    {"--editable", "-e", true, OPT_EDITABLE},
    {"--find-links", "-f", true, OPT_INDEX},
    {"--no-binary", NULL, true, OPT_BINARY},
    {"--only-binary", NULL, true, OPT_BINARY},
    {"--prefer-binary", NULL, false, OPT_BINARY},
    {"--require-hashes", NULL, false, OPT_HASHES},
    {"--pre", NULL, false, OPT_PRE},
    {"--trusted-host", NULL, true, OPT_INDEX},
    {"--use-feature", NULL, true, OPT_FEATURE},
    {"--install-option", NULL, true, OPT_BUILD},
    {"--global-option", NULL, true, OPT_BUILD},
    {"--hash", NULL, true, OPT_HASH},
};

static const char *ignored_why(enum opt_kind k)
{
        switch (k) {
        case OPT_INDEX:
                return "the packages come from Debian, not from a package index";
        case OPT_BINARY:
                return "Debian packages are installed, not wheels or source distributions";
        case OPT_PRE:
                return "pre-release selection does not apply to Debian packages";
        case OPT_HASHES:
                return "Debian packages are checked against the archive's signed indexes";
        case OPT_FEATURE:
                return "a pip feature flag";
        default:
                return "a build option of pip";
        }
}

/* What one line's options say. */
struct line_opts {
        struct strvec requirements, constraints, editables, hashes, ignored;
};

static void line_opts_clear(struct line_opts *o)
{
        strvec_clear(&o->requirements);
        strvec_clear(&o->constraints);
        strvec_clear(&o->editables);
        strvec_clear(&o->hashes);
        strvec_clear(&o->ignored);
}

/* shlex.split (POSIX mode, no comments). */
static int shlex_split(const char *s, struct strvec *out, const char *origin,
                       struct distill_error *err)
{
        struct strbuf tok = STRBUF_INIT;
        bool in_tok = false;
        for (const char *p = s;; p++) {
                if (!*p || strchr(" \t\r\n", *p)) {
                        if (in_tok)
                                strvec_push(out, strbuf_str(&tok));
                        strbuf_reset(&tok);
                        in_tok = false;
                        if (!*p)
                                break;
                        continue;
                }
                in_tok = true;
                if (*p == '\\') {
                        if (!p[1])
                                goto no_escaped;
                        strbuf_addch(&tok, *++p);
                } else if (*p == '\'') {
                        const char *q = strchr(p + 1, '\'');
                        if (!q)
                                goto no_closing;
                        strbuf_add(&tok, p + 1, (size_t)(q - p - 1));
                        p = q;
                } else if (*p == '"') {
                        for (p++; *p != '"'; p++) {
                                if (!*p)
                                        goto no_closing;
                                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                                        p++;
                                strbuf_addch(&tok, *p);
                        }
                } else
                        strbuf_addch(&tok, *p);
        }
        strbuf_release(&tok);
        return 0;
no_escaped:
        strbuf_release(&tok);
        return distill_error_set(err, DISTILL_EUSAGE,
                                 "%s: could not split options \"%.200s\": No escaped character",
                                 origin, s);
no_closing:
        strbuf_release(&tok);
        return distill_error_set(err, DISTILL_EUSAGE,
                                 "%s: could not split options \"%.200s\": No closing quotation",
                                 origin, s);
}

/* optparse's long option lookup: exact, else a unique prefix. */
static const struct pip_option *long_option(const char *name, size_t n, const char *origin,
                                            int *ret, struct distill_error *err)
{
        const struct pip_option *found = NULL;
        size_t matches = 0;
        for (size_t i = 0; i < sizeof(pip_options) / sizeof(pip_options[0]); i++) {
                const char *o = pip_options[i].name;
                if (strlen(o) == n && !strncmp(o, name, n))
                        return &pip_options[i];
                if (!strncmp(o, name, n))
                        found = &pip_options[i], matches++;
        }
        if (matches == 1)
                return found;
        *ret = distill_error_set(err, DISTILL_EUSAGE, "%s: %s option: %.*s", origin,
                                 matches ? "ambiguous" : "no such", (int)n, name);
        return NULL;
}

static int apply_option(const struct pip_option *o, const char *value, struct line_opts *lo,
                        const char *origin, struct distill_error *err)
{
        switch (o->kind) {
        case OPT_REQUIREMENT:
                strvec_push(&lo->requirements, value);
                return 0;
        case OPT_CONSTRAINT:
                strvec_push(&lo->constraints, value);
                return 0;
        case OPT_EDITABLE:
                strvec_push(&lo->editables, value);
                return 0;
        case OPT_HASH: {
                const char *colon = strchr(value, ':');
                if (!colon)
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s: Arguments to --hash must be a hash name "
                                                 "followed by a value, like "
                                                 "--hash=sha256:abcde...",
                                                 origin);
                size_t n = (size_t)(colon - value);
                if (!((n == 6 && (!strncmp(value, "sha256", 6) || !strncmp(value, "sha384", 6) ||
                                  !strncmp(value, "sha512", 6)))))
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s: Allowed hash algorithms for --hash are "
                                                 "sha256, sha384, sha512 (not \"%.*s\")",
                                                 origin, (int)n, value);
                strvec_push(&lo->hashes, value);
                return 0;
        }
        default:
                strvec_push_nodup(&lo->ignored,
                                  xasprintf("%s: %s%s%s (ignored: %s)", origin, o->name,
                                            value ? " " : "", value ? value : "",
                                            ignored_why(o->kind)));
                return 0;
        }
}

/* optparse over the shlex'ed options of one line; positional arguments are dropped, as pip
 * drops them. */
static int parse_options(const struct strvec *args, struct line_opts *lo, const char *origin,
                         struct distill_error *err)
{
        int ret = 0;
        for (size_t i = 0; i < args->n; i++) {
                const char *a = args->v[i];
                if (!strcmp(a, "--"))
                        break;
                if (!strncmp(a, "--", 2)) {
                        const char *eq = strchr(a, '=');
                        size_t n = eq ? (size_t)(eq - a) : strlen(a);
                        const struct pip_option *o = long_option(a, n, origin, &ret, err);
                        if (!o)
                                return ret;
                        const char *value = NULL;
                        if (o->value) {
                                if (!eq && i + 1 >= args->n)
                                        return distill_error_set(err, DISTILL_EUSAGE,
                                                                 "%s: %s option requires 1 "
                                                                 "argument",
                                                                 origin, o->name);
                                value = eq ? eq + 1 : args->v[++i];
                        } else if (eq)
                                return distill_error_set(err, DISTILL_EUSAGE,
                                                         "%s: %s option does not take a value",
                                                         origin, o->name);
                        if ((ret = apply_option(o, value, lo, origin, err)) < 0)
                                return ret;
                        continue;
                }
                if (a[0] != '-' || !a[1])
                        continue;
                for (const char *c = a + 1; *c; c++) {
                        const struct pip_option *o = NULL;
                        for (size_t k = 0; k < sizeof(pip_options) / sizeof(pip_options[0]); k++)
                                if (pip_options[k].short_name && pip_options[k].short_name[1] == *c)
                                        o = &pip_options[k];
                        if (!o)
                                return distill_error_set(err, DISTILL_EUSAGE,
                                                         "%s: no such option: -%c", origin, *c);
                        /* every short option takes a value: the rest of the word, or the next */
                        const char *value = c[1] ? c + 1 : NULL;
                        if (!value && i + 1 >= args->n)
                                return distill_error_set(err, DISTILL_EUSAGE,
                                                         "%s: -%c option requires 1 argument",
                                                         origin, *c);
                        if (!value)
                                value = args->v[++i];
                        if ((ret = apply_option(o, value, lo, origin, err)) < 0)
                                return ret;
                        break;
                }
        }
        return 0;
}

static int read_one(struct reader *rd, const char *path, bool constraint, const char *from,
                    struct distill_error *err);

static int add_requirement(struct reader *rd, struct pyreq *r, const char *origin,
                           struct distill_error *err)
{
        struct pyreq_list *l = rd->out;
        if (l->n >= PYREQ_MAX_REQUIREMENTS) {
                pyreq_release(r);
                return distill_error_set(err, DISTILL_EUSAGE, "%s: more than %d requirements",
                                         origin, PYREQ_MAX_REQUIREMENTS);
        }
        l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
        l->v[l->n++] = *r;
        return 0;
}

/* One logical line, comments stripped and variables expanded. */
static int handle_line(struct reader *rd, const char *path, size_t lineno, const char *line,
                       bool constraint, struct distill_error *err)
{
        cleanup_free char *origin = xasprintf("%s:%zu", path, lineno);
        /* break_args_options: the arguments end at the first space-separated word that starts
         * with '-' */
        size_t k = 0;
        while (line[k] && !(line[k] == '-' && (k == 0 || line[k - 1] == ' ')))
                k++;
        cleanup_free char *args = xstrndup(line, k ? (line[k] ? k - 1 : k) : 0);
        struct strvec words = STRVEC_INIT;
        struct line_opts lo = {0};
        int ret = shlex_split(line + k, &words, origin, err);
        if (ret == 0)
                ret = parse_options(&words, &lo, origin, err);
        strvec_clear(&words);
        if (ret < 0)
                goto out;
        for (size_t i = 0; i < lo.ignored.n; i++)
                strvec_push(&rd->out->ignored, lo.ignored.v[i]);
        if (*args || lo.editables.n) {
                struct pyreq r;
                bool editable = !*args;
                ret = pyreq_parse_pip_arg(editable ? lo.editables.v[0] : args, origin, editable, &r,
                                          err);
                if (ret < 0)
                        goto out;
                r.constraint = constraint;
                for (size_t i = 0; i < lo.hashes.n; i++)
                        strvec_push(&r.hashes, lo.hashes.v[i]);
                ret = add_requirement(rd, &r, origin, err);
        } else if (lo.requirements.n || lo.constraints.n) {
                bool nested_constraint = !lo.requirements.n;
                const char *inc = nested_constraint ? lo.constraints.v[0] : lo.requirements.v[0];
                size_t scheme = strcspn(inc, ":");
                if (inc[scheme] == ':' && ((scheme == 4 && (!strncasecmp(inc, "http", 4) ||
                                                            !strncasecmp(inc, "file", 4))) ||
                                           (scheme == 5 && !strncasecmp(inc, "https", 5)))) {
                        ret = distill_error_set(err, DISTILL_EUSAGE,
                                                "%s: %s %s: a remote requirements file is not "
                                                "fetched; download it into the build context",
                                                origin, nested_constraint ? "-c" : "-r", inc);
                        goto out;
                }
                /* os.path.join(os.path.dirname(including), inc) */
                const char *slash = strrchr(path, '/');
                cleanup_free char *next =
                    inc[0] == '/' || !slash ? xstrdup(inc)
                                            : xasprintf("%.*s/%s", (int)(slash - path), path, inc);
                ret = read_one(rd, next, nested_constraint, origin, err);
        }
out:
        line_opts_clear(&lo);
        return ret;
}

/* ${NAME} with NAME of [A-Z0-9_]+, replaced when env has a non-empty value for it. */
static char *expand_vars(const char *line, const struct strmap *env)
{
        struct strbuf sb = STRBUF_INIT;
        for (const char *p = line; *p;) {
                size_t n = 0;
                if (p[0] == '$' && p[1] == '{') {
                        while ((p[2 + n] >= 'A' && p[2 + n] <= 'Z') ||
                               (p[2 + n] >= '0' && p[2 + n] <= '9') || p[2 + n] == '_')
                                n++;
                }
                if (n && p[2 + n] == '}' && env) {
                        cleanup_free char *name = xstrndup(p + 2, n);
                        const char *value = strmap_get(env, name);
                        if (value && *value && sb.len + strlen(value) <= PYREQ_MAX_LINE) {
                                strbuf_adds(&sb, value);
                                p += n + 3;
                                continue;
                        }
                }
                strbuf_addch(&sb, *p++);
        }
        return strbuf_detach(&sb);
}

/* A line whose first non-space character is '#' (COMMENT_RE.match). */
static bool comment_line(const char *s, size_t n)
{
        size_t i = 0;
        while (i < n && is_space(s[i]))
                i++;
        return i < n && s[i] == '#';
}

/* ignore_comments and expand_env_variables, then the line itself. */
static int emit(struct reader *rd, const char *path, size_t lineno, const char *line,
                bool constraint, struct distill_error *err)
{
        size_t n = strlen(line);
        for (size_t j = 0; j < n; j++)
                if (line[j] == '#' && (j == 0 || is_space(line[j - 1]))) {
                        n = j;
                        break;
                }
        size_t b = 0;
        while (b < n && is_space(line[b]))
                b++;
        while (n > b && is_space(line[n - 1]))
                n--;
        if (n == b)
                return 0;
        cleanup_free char *stripped = xstrndup(line + b, n - b);
        cleanup_free char *expanded = expand_vars(stripped, rd->env);
        return handle_line(rd, path, lineno, expanded, constraint, err);
}

/* The length of the line break at s (str.splitlines' separators), 0 when none. */
static size_t line_break(const char *s, const char *end)
{
        unsigned char c = (unsigned char)*s;
        if (c == '\r')
                return s + 1 < end && s[1] == '\n' ? 2 : 1;
        if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e))
                return 1;
        if (c == 0xc2 && s + 1 < end && (unsigned char)s[1] == 0x85)
                return 2;
        if (c == 0xe2 && s + 2 < end && (unsigned char)s[1] == 0x80 &&
            ((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9))
                return 3;
        return 0;
}

/* join_lines: a line ending in '\' (not a comment) continues on the next; the joined line
 * has the number of its first. */
static int read_lines(struct reader *rd, const char *path, const char *data, size_t len,
                      bool constraint, struct distill_error *err)
{
        struct strbuf joined = STRBUF_INIT;
        bool joining = false;
        size_t primary = 0, lineno = 0;
        int ret = 0;
        const char *end = data + len;
        for (const char *p = data; p < end && ret == 0;) {
                const char *e = p;
                size_t brk = 0;
                while (e < end && !(brk = line_break(e, end)))
                        e++;
                size_t n = (size_t)(e - p);
                lineno++;
                if (n > PYREQ_MAX_LINE || joined.len + n > PYREQ_MAX_LINE) {
                        ret = distill_error_set(err, DISTILL_EUSAGE,
                                                "%s:%zu: line longer than %u bytes", path,
                                                joining ? primary : lineno, PYREQ_MAX_LINE);
                        break;
                }
                bool comment = comment_line(p, n);
                if (n == 0 || p[n - 1] != '\\' || comment) {
                        if (comment)
                                strbuf_addch(&joined, ' ');
                        strbuf_add(&joined, p, n);
                        ret = emit(rd, path, joining ? primary : lineno, strbuf_str(&joined),
                                   constraint, err);
                        strbuf_reset(&joined);
                        joining = false;
                } else {
                        if (!joining)
                                primary = lineno;
                        joining = true;
                        size_t b = 0;
                        while (b < n && p[b] == '\\')
                                b++;
                        while (n > b && p[n - 1] == '\\')
                                n--;
                        strbuf_add(&joined, p + b, n - b);
                }
                p = e + brk;
        }
        if (ret == 0 && joining)
                ret = emit(rd, path, primary, strbuf_str(&joined), constraint, err);
        strbuf_release(&joined);
        return ret;
}

static int read_one(struct reader *rd, const char *path, bool constraint, const char *from,
                    struct distill_error *err)
{
        const char *by = from ? from : path;
        if (rd->depth >= PYREQ_MAX_INCLUDE_DEPTH)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: %s: requirement files nested more than %d deep", by,
                                         path, PYREQ_MAX_INCLUDE_DEPTH);
        if (++rd->files > PYREQ_MAX_FILES)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: %s: more than %d requirement files", by, path,
                                         PYREQ_MAX_FILES);
        char *real = realpath(path, NULL);
        if (!real)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s%scannot read %s",
                                           from ? from : "", from ? ": " : "", path);
        for (size_t i = 0; i < rd->depth; i++)
                if (!strcmp(rd->stack[i], real)) {
                        free(real);
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s: %s includes itself (an include cycle)", by,
                                                 path);
                }
        char *data = NULL;
        size_t len = 0;
        int r = read_file_capped(path, PYREQ_MAX_FILE, &data, &len);
        if (r < 0) {
                free(real);
                if (r == -EFBIG)
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s: %s is larger than %u "
                                                 "bytes",
                                                 by, path, PYREQ_MAX_FILE);
                return distill_error_errno(err, DISTILL_EIO, -r, "%s%scannot read %s",
                                           from ? from : "", from ? ": " : "", path);
        }
        int ret = 0;
        const char *text = data;
        if (memchr(data, '\0', len))
                ret =
                    distill_error_set(err, DISTILL_EUSAGE, "%s: a NUL byte: not a text file", path);
        else if (len >= 2 && ((unsigned char)data[0] == 0xff || (unsigned char)data[0] == 0xfe) &&
                 ((unsigned char)data[1] == 0xfe || (unsigned char)data[1] == 0xff))
                ret = distill_error_set(err, DISTILL_EUSAGE,
                                        "%s: UTF-16 or UTF-32 text: distill reads UTF-8", path);
        else {
                if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
                        text += 3, len -= 3;
                rd->stack[rd->depth++] = real;
                ret = read_lines(rd, path, text, len, constraint, err);
                rd->depth--;
        }
        free(real);
        free(data);
        return ret;
}

int pyreq_read_file_env(const char *path, const struct strmap *env, struct pyreq_list *out,
                        struct distill_error *err)
{
        memset(out, 0, sizeof(*out));
        struct reader rd = {.out = out, .env = env};
        int ret = read_one(&rd, path, false, NULL, err);
        if (ret < 0)
                pyreq_list_release(out);
        return ret;
}

int pyreq_read_file(const char *path, struct pyreq_list *out, struct distill_error *err)
{
        return pyreq_read_file_env(path, NULL, out, err);
}

void pyreq_list_release(struct pyreq_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                pyreq_release(&l->v[i]);
        free(l->v);
        strvec_clear(&l->ignored);
        memset(l, 0, sizeof(*l));
}
