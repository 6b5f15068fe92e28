/* Dockerfile parser (include/distill/convert/dockerfile.h), following BuildKit's frontend: the
 * line reader with its parser directives, comments and continuations; each instruction's line
 * parser (JSON or shell form, whitespace-split words, quote-aware words, key=value pairs); the
 * flag rules; then the dispatcher's scoping (global ARGs for FROM lines, stage ARGs, ENV
 * inherited by a stage built FROM another) and the shell lexer's single-word substitution for
 * the instructions that support it. Heredocs are refused. */
#include "distill/convert/dockerfile.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Substitution can multiply its input (ENV X=$X$X doubles X each time): one word's result and
 * the sum of every result are capped. */
#define MAX_WORD       (1024 * 1024)
#define MAX_EXPANDED   (64 * 1024 * 1024)
#define MAX_UNSET_VARS 64
#define MAX_SHOWN_WORD 120 /* bytes of a word quoted in an error message */

enum kind {
        K_ADD,
        K_ARG,
        K_CMD,
        K_COPY,
        K_ENTRYPOINT,
        K_ENV,
        K_EXPOSE,
        K_FROM,
        K_HEALTHCHECK,
        K_LABEL,
        K_MAINTAINER,
        K_ONBUILD,
        K_RUN,
        K_SHELL,
        K_STOPSIGNAL,
        K_USER,
        K_VOLUME,
        K_WORKDIR,
};

/* BuildKit's line parsers: how an instruction's arguments are split. */
enum shape {
        SHAPE_MAYBE_JSON,      /* RUN CMD ENTRYPOINT SHELL: a JSON array, else the text */
        SHAPE_MAYBE_JSON_LIST, /* COPY ADD VOLUME: a JSON array, else whitespace-split words */
        SHAPE_WORDS,           /* FROM EXPOSE: whitespace-split words */
        SHAPE_STRING,          /* USER WORKDIR STOPSIGNAL MAINTAINER: the whole text */
        SHAPE_NAME_VALUE,      /* ENV LABEL: k=v words, or the legacy `k v` */
        SHAPE_NAME_OR_VALUE,   /* ARG: k or k=v words */
        SHAPE_HEALTH,          /* HEALTHCHECK: NONE, or CMD and a maybe-JSON command */
        SHAPE_ONBUILD,         /* ONBUILD: another instruction, kept as text */
};

enum flag_type { FLAG_STRING, FLAG_BOOL, FLAG_LIST };

struct flag_spec {
        const char *name;
        enum flag_type type;
};

static const struct flag_spec no_flags[] = {{NULL, FLAG_STRING}};
static const struct flag_spec add_flags[] = {{"chown", FLAG_STRING},    {"chmod", FLAG_STRING},
                                             {"link", FLAG_BOOL},       {"keep-git-dir", FLAG_BOOL},
                                             {"checksum", FLAG_STRING}, {"exclude", FLAG_LIST},
                                             {"unpack", FLAG_BOOL},     {NULL, FLAG_STRING}};
static const struct flag_spec copy_flags[] = {
    {"chown", FLAG_STRING}, {"chmod", FLAG_STRING}, {"from", FLAG_STRING}, {"link", FLAG_BOOL},
    {"parents", FLAG_BOOL}, {"exclude", FLAG_LIST}, {NULL, FLAG_STRING}};
static const struct flag_spec from_flags[] = {{"platform", FLAG_STRING}, {NULL, FLAG_STRING}};
static const struct flag_spec run_flags[] = {{"mount", FLAG_LIST},
                                             {"network", FLAG_STRING},
                                             {"security", FLAG_STRING},
                                             {"device", FLAG_LIST},
                                             {NULL, FLAG_STRING}};
static const struct flag_spec health_flags[] = {
    {"interval", FLAG_STRING},       {"timeout", FLAG_STRING}, {"start-period", FLAG_STRING},
    {"start-interval", FLAG_STRING}, {"retries", FLAG_STRING}, {NULL, FLAG_STRING}};

struct keyword {
        const char *name;
        enum kind kind;
        enum shape shape;
        const struct flag_spec *flags;
        bool substitutes; /* the reference's "Environment replacement" list, and ARG */
};

static const struct keyword keywords[] = {
    {"ADD", K_ADD, SHAPE_MAYBE_JSON_LIST, add_flags, true},
    {"ARG", K_ARG, SHAPE_NAME_OR_VALUE, no_flags, true},
    {"CMD", K_CMD, SHAPE_MAYBE_JSON, no_flags, false},
    {"COPY", K_COPY, SHAPE_MAYBE_JSON_LIST, copy_flags, true},
    {"ENTRYPOINT", K_ENTRYPOINT, SHAPE_MAYBE_JSON, no_flags, false},
    {"ENV", K_ENV, SHAPE_NAME_VALUE, no_flags, true},
    {"EXPOSE", K_EXPOSE, SHAPE_WORDS, no_flags, true},
    {"FROM", K_FROM, SHAPE_WORDS, from_flags, true},
    {"HEALTHCHECK", K_HEALTHCHECK, SHAPE_HEALTH, health_flags, false},
    {"LABEL", K_LABEL, SHAPE_NAME_VALUE, no_flags, true},
    {"MAINTAINER", K_MAINTAINER, SHAPE_STRING, no_flags, false},
    {"ONBUILD", K_ONBUILD, SHAPE_ONBUILD, no_flags, false},
    {"RUN", K_RUN, SHAPE_MAYBE_JSON, run_flags, false},
    {"SHELL", K_SHELL, SHAPE_MAYBE_JSON, no_flags, false},
    {"STOPSIGNAL", K_STOPSIGNAL, SHAPE_STRING, no_flags, true},
    {"USER", K_USER, SHAPE_STRING, no_flags, true},
    {"VOLUME", K_VOLUME, SHAPE_MAYBE_JSON_LIST, no_flags, true},
    {"WORKDIR", K_WORKDIR, SHAPE_STRING, no_flags, true},
};

/* BuildKit predefines these in the global scope (docs: "Automatic platform ARGs"). */
static const char *const platform_args[] = {
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
    "BUILDPLATFORM",  "BUILDOS",  "BUILDARCH",  "BUILDVARIANT",
};

/* What a stage's substitutions see. */
struct stage_scope {
        struct strmap env;  /* ENV name → value (owned) */
        struct strmap args; /* stage ARG name → value (owned), or NULL: declared, no value */
        size_t v_alloc;     /* capacity of the stage's instruction array */
};

struct parser {
        const char *name;
        struct dockerfile *df;
        struct distill_error *err;
        struct strmap build_args;   /* name → value (borrowed) */
        struct strmap globals;      /* global ARG → value (owned), or NULL: declared, no value */
        struct stage_scope *scopes; /* parallel to df->stages */
        size_t stages_alloc;
        size_t n_instructions;
        size_t expanded; /* bytes substitution has produced */
        bool directives_done;
};

static bool is_space(int c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* BuildKit's reWhitespace, which splits the keyword and whitespace-delimited arguments. */
static bool is_sep(int c)
{
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_name_char(int c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
}

static bool is_platform_arg(const char *name)
{
        for (size_t i = 0; i < sizeof(platform_args) / sizeof(*platform_args); i++)
                if (strcmp(name, platform_args[i]) == 0)
                        return true;
        return false;
}

static void free_kvs(struct df_kv *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

static void instruction_release(struct df_instruction *ins)
{
        free(ins->keyword);
        free(ins->text);
        strvec_clear(&ins->flags);
        strvec_clear(&ins->args);
        free_kvs(ins->kv, ins->n_kv);
        strvec_clear(&ins->unset_vars);
        memset(ins, 0, sizeof(*ins));
}

static void kv_push(struct df_kv **v, size_t *n, char *key, char *value)
{
        *v = xrealloc(*v, (*n + 1) * sizeof(**v));
        (*v)[*n].key = key;
        (*v)[*n].value = value;
        ++*n;
}

void dockerfile_free(struct dockerfile *df)
{
        if (!df)
                return;
        free(df->name);
        free_kvs(df->directives, df->n_directives);
        free_kvs(df->global_args, df->n_global_args);
        for (size_t i = 0; i < df->n_stages; i++) {
                struct df_stage *st = &df->stages[i];
                free(st->image);
                free(st->name);
                free(st->platform);
                for (size_t j = 0; j < st->n; j++)
                        instruction_release(&st->v[j]);
                free(st->v);
        }
        free(df->stages);
        strvec_clear(&df->warnings);
        free(df);
}

static int stage_by_name(const struct dockerfile *df, const char *ref, size_t before)
{
        for (size_t i = 0; i < before && i < df->n_stages; i++)
                if (df->stages[i].name && strcasecmp(df->stages[i].name, ref) == 0)
                        return (int)i;
        return -1;
}

int dockerfile_stage_index(const struct dockerfile *df, const char *ref, size_t before)
{
        int i = stage_by_name(df, ref, before);
        if (i >= 0)
                return i;
        size_t k = 0, n = strlen(ref);
        if (n == 0 || n > 9 || strspn(ref, "0123456789") != n)
                return -1;
        k = strtoul(ref, NULL, 10);
        return k < before && k < df->n_stages ? (int)k : -1;
}

/* ---- messages ---- */

static int fail_at(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct parser *p, int line, const char *fmt, ...)
{
        char msg[3072];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return distill_error_set(p->err, DISTILL_EUSAGE, "%s:%d: %s", p->name, line, msg);
}

static void warn_at(struct parser *p, int line, const char *what)
{
        strvec_push_nodup(&p->df->warnings, xasprintf("%s:%d: %s", p->name, line, what));
}

/* ---- substitution: BuildKit's shell lexer, one word, quotes removed ---- */

struct lex {
        struct parser *p;
        const struct stage_scope *scope; /* NULL: the global scope of FROM lines */
        struct df_instruction *ins;      /* collects unset variables */
        const char *s;
        size_t n, i;
        char esc;
        int depth;
        char msg[512];
};

static int lex_fail(struct lex *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lex_fail(struct lex *lx, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(lx->msg, sizeof(lx->msg), fmt, ap);
        va_end(ap);
        return -1;
}

static int lex_put(struct lex *lx, struct strbuf *out, const char *data, size_t n)
{
        if (out->len + n > MAX_WORD)
                return lex_fail(lx, "the substituted word is longer than %d bytes", MAX_WORD);
        strbuf_add(out, data, n);
        return 0;
}

/* The value a name has where the word is substituted, or NULL when it is unset. Stages see
 * their ENV (which wins, as the reference says) and their ARGs; FROM lines see the global
 * ARGs, a declared one without value being empty there as in BuildKit. */
static const char *lex_lookup(const struct lex *lx, const char *name)
{
        const struct parser *p = lx->p;
        if (lx->scope) {
                if (strmap_has(&lx->scope->env, name))
                        return strmap_get(&lx->scope->env, name);
                return strmap_get(&lx->scope->args, name);
        }
        if (strmap_has(&p->globals, name)) {
                const char *v = strmap_get(&p->globals, name);
                return v ? v : "";
        }
        if (is_platform_arg(name))
                return strmap_get(&p->build_args, name);
        return NULL;
}

static void note_unset(struct lex *lx, const char *name)
{
        struct strvec *u = &lx->ins->unset_vars;
        if (u->n < MAX_UNSET_VARS && !strvec_contains(u, name))
                strvec_push(u, name);
}

/* A parameter name at lx->i: letters, digits and _; a run of digits; or one special
 * parameter character. Returns it (caller frees); "" when there is none. */
static char *lex_name(struct lex *lx)
{
        size_t start = lx->i;
        if (lx->i < lx->n && lx->s[lx->i] >= '0' && lx->s[lx->i] <= '9') {
                while (lx->i < lx->n && lx->s[lx->i] >= '0' && lx->s[lx->i] <= '9')
                        lx->i++;
        } else if (lx->i < lx->n && strchr("@*#?-$!", lx->s[lx->i])) {
                lx->i++;
        } else {
                while (lx->i < lx->n && is_name_char((unsigned char)lx->s[lx->i]))
                        lx->i++;
        }
        return xstrndup(lx->s + start, lx->i - start);
}

static int lex_until(struct lex *lx, int stop, struct strbuf *out);

/* The word of ${NAME<op>word}, up to its closing brace. */
static int lex_operand(struct lex *lx, struct strbuf *word)
{
        if (++lx->depth > DOCKERFILE_MAX_NESTING)
                return lex_fail(lx, "substitutions nested deeper than %d levels",
                                DOCKERFILE_MAX_NESTING);
        int r = lex_until(lx, '}', word);
        lx->depth--;
        return r;
}

static int lex_braced(struct lex *lx, struct strbuf *out)
{
        lx->i++; /* { */
        if (lx->i >= lx->n)
                return lex_fail(lx, "syntax error: missing '}'");
        if (strchr("{}:", lx->s[lx->i]))
                return lex_fail(lx, "syntax error: bad substitution");
        cleanup_free char *name = lex_name(lx);
        if (lx->i >= lx->n)
                return lex_fail(lx, "syntax error: missing '}'");
        char op = lx->s[lx->i++];
        bool colon = false;
        if (op == '}') {
                const char *v = lex_lookup(lx, name);
                if (!v)
                        note_unset(lx, name);
                return v ? lex_put(lx, out, v, strlen(v)) : 0;
        }
        if (op == ':') {
                if (lx->i >= lx->n)
                        return lex_fail(lx, "syntax error: missing '}'");
                colon = true;
                op = lx->s[lx->i++];
                if (op != '-' && op != '+' && op != '?')
                        return lex_fail(lx, "unsupported modifier (%c) in substitution", op);
        } else if (op == '#' || op == '%' || op == '/') {
                return lex_fail(lx,
                                "unsupported substitution ${%s%c...}: pattern matching is "
                                "not supported",
                                name, op);
        } else if (op != '-' && op != '+' && op != '?') {
                return lex_fail(lx, "missing ':' in substitution");
        }
        struct strbuf word = STRBUF_INIT;
        int r = lex_operand(lx, &word);
        if (r < 0)
                goto done;
        const char *v = lex_lookup(lx, name);
        /* With a colon, an empty value counts as unset. */
        bool set = v && (!colon || *v);
        const char *result = NULL;
        switch (op) {
        case '-':
                result = set ? v : strbuf_str(&word);
                break;
        case '+':
                result = set ? strbuf_str(&word) : "";
                break;
        default: /* '?' */
                if (!set) {
                        const char *why = word.len ? word.buf
                                          : !v     ? "is not allowed to be unset"
                                                   : "is not allowed to be empty";
                        r = lex_fail(lx, "%s: %s", name, why);
                        goto done;
                }
                result = v;
        }
        r = lex_put(lx, out, result, strlen(result));
done:
        strbuf_release(&word);
        return r;
}

static int lex_dollar(struct lex *lx, struct strbuf *out)
{
        lx->i++; /* $ */
        if (lx->i < lx->n && lx->s[lx->i] == '{')
                return lex_braced(lx, out);
        cleanup_free char *name = lex_name(lx);
        if (!*name)
                return lex_put(lx, out, "$", 1);
        const char *v = lex_lookup(lx, name);
        if (!v)
                note_unset(lx, name);
        return v ? lex_put(lx, out, v, strlen(v)) : 0;
}

static int lex_single_quote(struct lex *lx, struct strbuf *out)
{
        lx->i++;
        const char *end = memchr(lx->s + lx->i, '\'', lx->n - lx->i);
        if (!end)
                return lex_fail(lx, "unexpected end of statement while looking for matching "
                                    "single-quote");
        size_t len = (size_t)(end - (lx->s + lx->i));
        int r = lex_put(lx, out, lx->s + lx->i, len);
        lx->i += len + 1;
        return r;
}

/* Inside double quotes the escape character only escapes ", $ and itself. */
static int lex_double_quote(struct lex *lx, struct strbuf *out)
{
        lx->i++;
        for (;;) {
                if (lx->i >= lx->n)
                        return lex_fail(lx, "unexpected end of statement while looking for "
                                            "matching double-quote");
                char ch = lx->s[lx->i];
                int r;
                if (ch == '"') {
                        lx->i++;
                        return 0;
                }
                if (ch == '$') {
                        r = lex_dollar(lx, out);
                } else {
                        lx->i++;
                        if (ch == lx->esc) {
                                if (lx->i >= lx->n)
                                        continue;
                                char next = lx->s[lx->i];
                                if (next == '"' || next == '$' || next == lx->esc)
                                        ch = lx->s[lx->i++];
                        }
                        r = lex_put(lx, out, &ch, 1);
                }
                if (r < 0)
                        return r;
        }
}

/* Up to stop (-1: the end of the word), which is consumed. */
static int lex_until(struct lex *lx, int stop, struct strbuf *out)
{
        while (lx->i < lx->n) {
                char ch = lx->s[lx->i];
                int r;
                if (stop >= 0 && ch == stop) {
                        lx->i++;
                        return 0;
                }
                if (ch == '\'') {
                        r = lex_single_quote(lx, out);
                } else if (ch == '"') {
                        r = lex_double_quote(lx, out);
                } else if (ch == '$') {
                        r = lex_dollar(lx, out);
                } else {
                        lx->i++;
                        if (ch == lx->esc) {
                                if (lx->i >= lx->n)
                                        break; /* a trailing escape is dropped */
                                ch = lx->s[lx->i++];
                        }
                        r = lex_put(lx, out, &ch, 1);
                }
                if (r < 0)
                        return r;
        }
        if (stop >= 0)
                return lex_fail(lx, "syntax error: missing '}'");
        return 0;
}

/* word with quotes removed and variables substituted from scope (NULL: the global scope). */
static int substitute(struct parser *p, const struct stage_scope *scope, struct df_instruction *ins,
                      const char *word, char **out)
{
        struct lex lx = {
            .p = p, .scope = scope, .ins = ins, .s = word, .n = strlen(word), .esc = p->df->escape};
        struct strbuf sb = STRBUF_INIT;
        if (lex_until(&lx, -1, &sb) < 0) {
                strbuf_release(&sb);
                return fail_at(p, ins->line, "%s: failed to process \"%.*s%s\": %s", ins->keyword,
                               MAX_SHOWN_WORD, word, strlen(word) > MAX_SHOWN_WORD ? "..." : "",
                               lx.msg);
        }
        p->expanded += sb.len;
        if (p->expanded > MAX_EXPANDED) {
                strbuf_release(&sb);
                return fail_at(p, ins->line,
                               "%s: variable substitution produces more than %d bytes in all",
                               ins->keyword, MAX_EXPANDED);
        }
        *out = strbuf_detach(&sb);
        return 0;
}

/* Replaces *s by its substitution. */
static int substitute_in_place(struct parser *p, const struct stage_scope *scope,
                               struct df_instruction *ins, char **s)
{
        char *v = NULL;
        int r = substitute(p, scope, ins, *s, &v);
        if (r < 0)
                return r;
        free(*s);
        *s = v;
        return 0;
}

/* ---- line parsers ---- */

/* BuildKit's parseWords: whitespace-separated words, quotes and escapes kept for the lexer. */
static void parse_words(const char *s, char esc, struct strvec *out)
{
        enum { SPACES, WORD, QUOTE } phase = SPACES;
        struct strbuf w = STRBUF_INIT;
        bool blank_ok = false;
        char quote = 0;
        size_t n = strlen(s);

        for (size_t i = 0; i <= n; i++) {
                char ch = i < n ? s[i] : '\0';
                if (phase == SPACES) {
                        if (i == n)
                                break;
                        if (is_space((unsigned char)ch))
                                continue;
                        phase = WORD;
                }
                if (i == n) {
                        if (blank_ok || w.len)
                                strvec_push_nodup(out, strbuf_detach(&w));
                        break;
                }
                if (phase == WORD) {
                        if (is_space((unsigned char)ch)) {
                                phase = SPACES;
                                if (blank_ok || w.len)
                                        strvec_push_nodup(out, strbuf_detach(&w));
                                strbuf_reset(&w);
                                blank_ok = false;
                                continue;
                        }
                        if (ch == '\'' || ch == '"') {
                                quote = ch;
                                blank_ok = true;
                                phase = QUOTE;
                        }
                        if (ch == esc) {
                                if (i + 1 == n)
                                        continue;
                                strbuf_addch(&w, ch);
                                ch = s[++i];
                        }
                        strbuf_addch(&w, ch);
                        continue;
                }
                if (ch == quote)
                        phase = WORD;
                if (ch == esc && quote != '\'') {
                        if (i + 1 == n) {
                                phase = WORD;
                                continue;
                        }
                        strbuf_addch(&w, ch);
                        ch = s[++i];
                }
                strbuf_addch(&w, ch);
        }
        strbuf_release(&w);
}

/* BuildKit's reWhitespace.Split of an already trimmed string. */
static void split_whitespace(const char *s, struct strvec *out)
{
        while (*s) {
                size_t n = 0;
                while (s[n] && !is_sep((unsigned char)s[n]))
                        n++;
                strvec_push_nodup(out, xstrndup(s, n));
                s += n;
                while (*s && is_sep((unsigned char)*s))
                        s++;
        }
}

/* 1 with the items when rest is a JSON array of strings (text after it is ignored, as Go's
 * json.Decoder does), 0 when it is not JSON (shell form), <0 on an array of non-strings. */
static int parse_json(struct parser *p, int line, const char *rest, struct strvec *items)
{
        while (is_space((unsigned char)*rest))
                rest++;
        if (*rest != '[')
                return 0;
        json_error_t jerr;
        json_t *a = json_loadb(rest, strlen(rest), JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &jerr);
        if (!a)
                return 0;
        if (!json_is_array(a)) {
                json_decref(a);
                return 0;
        }
        size_t i;
        json_t *v;
        int r = 1;
        json_array_foreach(a, i, v)
        {
                if (!json_is_string(v)) {
                        r = fail_at(p, line,
                                    "when using JSON array syntax, arrays must be "
                                    "comprised of strings only");
                        break;
                }
                if (strlen(json_string_value(v)) != json_string_length(v)) {
                        r = fail_at(p, line, "a JSON string contains a NUL character");
                        break;
                }
                strvec_push(items, json_string_value(v));
        }
        json_decref(a);
        if (r < 0)
                strvec_clear(items);
        return r;
}

/* BuildKit's extractBuilderFlags: the leading --words (quotes and backslashes removed), up to
 * the first other word or a lone "--"; returns where the arguments start. */
static const char *extract_flags(const char *line, struct strvec *flags)
{
        enum { SPACES, WORD, QUOTE } phase = SPACES;
        struct strbuf w = STRBUF_INIT;
        bool blank_ok = false;
        char quote = 0;
        size_t n = strlen(line);
        const char *rest = line + n;

        for (size_t i = 0; i <= n; i++) {
                char ch = i < n ? line[i] : '\0';
                if (phase == SPACES) {
                        if (i == n)
                                break;
                        if (is_space((unsigned char)ch))
                                continue;
                        if (ch != '-' || i + 1 == n || line[i + 1] != '-') {
                                rest = line + i;
                                break;
                        }
                        phase = WORD;
                }
                if (i == n) {
                        if (strcmp(strbuf_str(&w), "--") != 0 && (blank_ok || w.len))
                                strvec_push(flags, strbuf_str(&w));
                        break;
                }
                if (phase == WORD) {
                        if (is_space((unsigned char)ch)) {
                                phase = SPACES;
                                if (strcmp(strbuf_str(&w), "--") == 0) {
                                        rest = line + i;
                                        break;
                                }
                                if (blank_ok || w.len)
                                        strvec_push(flags, strbuf_str(&w));
                                strbuf_reset(&w);
                                blank_ok = false;
                                continue;
                        }
                        if (ch == '\'' || ch == '"') {
                                quote = ch;
                                blank_ok = true;
                                phase = QUOTE;
                                continue;
                        }
                        if (ch == '\\') {
                                if (i + 1 == n)
                                        continue;
                                ch = line[++i];
                        }
                        strbuf_addch(&w, ch);
                        continue;
                }
                if (ch == quote) {
                        phase = WORD;
                        continue;
                }
                if (ch == '\\') {
                        if (i + 1 == n) {
                                phase = WORD;
                                continue;
                        }
                        ch = line[++i];
                }
                strbuf_addch(&w, ch);
        }
        strbuf_release(&w);
        return rest;
}

/* BuildKit's BFlags.Parse against the instruction's flags. */
static int check_flags(struct parser *p, int line, const char *keyword,
                       const struct flag_spec *spec, const struct strvec *flags)
{
        struct strvec used = STRVEC_INIT;
        int r = 0;
        for (size_t i = 0; i < flags->n && r == 0; i++) {
                const char *arg = flags->v[i] + 2;
                const char *eq = strchr(arg, '=');
                cleanup_free char *name = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
                const char *value = eq ? eq + 1 : "";
                const struct flag_spec *f = spec;
                while (f->name && strcmp(f->name, name) != 0)
                        f++;
                if (!f->name) {
                        r = fail_at(p, line, "%s: unknown flag: %s", keyword, name);
                } else if (f->type != FLAG_LIST && strvec_contains(&used, name)) {
                        r = fail_at(p, line, "%s: duplicate flag specified: %s", keyword, name);
                } else if (f->type == FLAG_BOOL) {
                        if (eq && !*value)
                                r = fail_at(p, line, "%s: missing a value on flag: %s", keyword,
                                            name);
                        else if (*value && strcasecmp(value, "true") != 0 &&
                                 strcasecmp(value, "false") != 0)
                                r = fail_at(p, line,
                                            "%s: expecting boolean value for flag %s, not: %s",
                                            keyword, name, value);
                } else if (!eq) {
                        r = fail_at(p, line, "%s: missing a value on flag: %s", keyword, name);
                }
                if (f->name)
                        strvec_push(&used, name);
        }
        strvec_clear(&used);
        return r;
}

/* The flag's type, for substitution: booleans are not substituted. */
static enum flag_type flag_type_of(const struct flag_spec *spec, const char *flag)
{
        const char *arg = flag + 2;
        size_t n = strcspn(arg, "=");
        for (; spec->name; spec++)
                if (strlen(spec->name) == n && strncmp(spec->name, arg, n) == 0)
                        return spec->type;
        return FLAG_BOOL;
}

/* A heredoc word as BuildKit finds them: [n]<<[-]NAME, NAME not empty and without '<'. */
static bool is_heredoc_word(const char *w, size_t n)
{
        size_t i = 0;
        while (i < n && w[i] >= '0' && w[i] <= '9')
                i++;
        if (n - i < 2 || w[i] != '<' || w[i + 1] != '<')
                return false;
        i += 2;
        if (i < n && w[i] == '-')
                i++;
        return i < n && !memchr(w + i, '<', n - i);
}

/* The first heredoc word of line (its words split as the shell would, quotes kept), or NULL. */
static char *find_heredoc(const char *line)
{
        const char *s = line;
        while (*s) {
                while (*s && is_space((unsigned char)*s))
                        s++;
                const char *start = s;
                int braces = 0;
                while (*s && (braces > 0 || !is_space((unsigned char)*s))) {
                        if (*s == '\\' && s[1]) {
                                s += 2;
                                continue;
                        }
                        if (*s == '\'' || *s == '"') {
                                const char *end = strchr(s + 1, *s);
                                s = end ? end + 1 : s + strlen(s);
                                continue;
                        }
                        if (s[0] == '$' && s[1] == '{') {
                                braces++;
                                s += 2;
                                continue;
                        }
                        if (*s == '}' && braces > 0)
                                braces--;
                        s++;
                }
                if (s > start && is_heredoc_word(start, (size_t)(s - start)))
                        return xstrndup(start, (size_t)(s - start));
        }
        return NULL;
}

static int refuse_heredoc(struct parser *p, int line, const char *keyword, const char *text)
{
        cleanup_free char *word = find_heredoc(text);
        if (!word)
                return 0;
        return fail_at(p, line,
                       "heredocs are not supported: %s %.*s: write the content to a file in "
                       "the build context and COPY it, or use a plain RUN line",
                       keyword, MAX_SHOWN_WORD, word);
}

static const struct keyword *find_keyword(const char *s, size_t n)
{
        for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++)
                if (strlen(keywords[i].name) == n && strncasecmp(keywords[i].name, s, n) == 0)
                        return &keywords[i];
        return NULL;
}

/* A maybe-JSON command (RUN CMD ENTRYPOINT SHELL and HEALTHCHECK CMD's). */
static int parse_command(struct parser *p, struct df_instruction *ins, const char *rest)
{
        if (!*rest) {
                ins->form = DF_FORM_NONE;
                return 0;
        }
        int r = parse_json(p, ins->line, rest, &ins->args);
        if (r < 0)
                return r;
        if (r > 0) {
                ins->form = DF_FORM_JSON;
                return 0;
        }
        ins->form = DF_FORM_SHELL;
        strvec_push(&ins->args, rest);
        return 0;
}

static int parse_name_value(struct parser *p, struct df_instruction *ins, const char *rest)
{
        struct strvec words = STRVEC_INIT;
        int r = 0;
        parse_words(rest, p->df->escape, &words);
        if (words.n == 0) {
                r = fail_at(p, ins->line, "%s requires at least one argument", ins->keyword);
        } else if (!strchr(words.v[0], '=')) {
                /* the legacy `KEY value...` form: the value is the rest of the line */
                size_t k = 0;
                while (rest[k] && !is_sep((unsigned char)rest[k]))
                        k++;
                size_t v = k;
                while (rest[v] && is_sep((unsigned char)rest[v]))
                        v++;
                if (!rest[v]) {
                        r = fail_at(p, ins->line, "%s must have two arguments", ins->keyword);
                } else {
                        kv_push(&ins->kv, &ins->n_kv, xstrndup(rest, k), xstrdup(rest + v));
                        cleanup_free char *w =
                            xasprintf("%s: the legacy \"%s key value\" form is deprecated; "
                                      "write \"%s key=value\"",
                                      ins->keyword, ins->keyword, ins->keyword);
                        warn_at(p, ins->line, w);
                }
        } else {
                for (size_t i = 0; i < words.n && r == 0; i++) {
                        char *eq = strchr(words.v[i], '=');
                        if (!eq)
                                r = fail_at(p, ins->line,
                                            "%s: syntax error - can't find = in \"%.*s\". Must "
                                            "be of the form: name=value",
                                            ins->keyword, MAX_SHOWN_WORD, words.v[i]);
                        else if (eq == words.v[i])
                                r = fail_at(p, ins->line, "%s names can not be blank",
                                            ins->keyword);
                        else
                                kv_push(&ins->kv, &ins->n_kv,
                                        xstrndup(words.v[i], (size_t)(eq - words.v[i])),
                                        xstrdup(eq + 1));
                }
        }
        strvec_clear(&words);
        return r;
}

static int parse_arg(struct parser *p, struct df_instruction *ins, const char *rest)
{
        struct strvec words = STRVEC_INIT;
        int r = 0;
        parse_words(rest, p->df->escape, &words);
        if (words.n == 0)
                r = fail_at(p, ins->line, "ARG requires at least one argument");
        for (size_t i = 0; i < words.n && r == 0; i++) {
                char *eq = strchr(words.v[i], '=');
                if (eq == words.v[i])
                        r = fail_at(p, ins->line, "ARG names can not be blank");
                else if (eq)
                        kv_push(&ins->kv, &ins->n_kv,
                                xstrndup(words.v[i], (size_t)(eq - words.v[i])), xstrdup(eq + 1));
                else
                        kv_push(&ins->kv, &ins->n_kv, xstrdup(words.v[i]), NULL);
        }
        strvec_clear(&words);
        return r;
}

static int parse_from(struct parser *p, struct df_instruction *ins, const char *rest)
{
        split_whitespace(rest, &ins->args);
        if (ins->args.n == 3 && strcasecmp(ins->args.v[1], "AS") == 0) {
                const char *name = ins->args.v[2];
                bool ok = (name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z');
                for (const char *c = name; *c && ok; c++)
                        ok = is_name_char((unsigned char)*c) || *c == '-' || *c == '.';
                if (!ok)
                        return fail_at(p, ins->line,
                                       "invalid name for build stage: \"%.*s\", name can't start "
                                       "with a number or contain symbols",
                                       MAX_SHOWN_WORD, name);
                return 0;
        }
        if (ins->args.n != 1)
                return fail_at(p, ins->line, "FROM requires either one or three arguments");
        return 0;
}

static int parse_healthcheck(struct parser *p, struct df_instruction *ins, const char *rest,
                             bool *none)
{
        size_t sep = 0;
        while (rest[sep] && !is_space((unsigned char)rest[sep]))
                sep++;
        if (sep == 0)
                return fail_at(p, ins->line, "HEALTHCHECK requires at least one argument");
        const char *cmd = rest + sep;
        while (is_space((unsigned char)*cmd))
                cmd++;
        if (sep == 4 && strncasecmp(rest, "NONE", 4) == 0) {
                *none = true;
                if (*cmd)
                        return fail_at(p, ins->line, "HEALTHCHECK NONE takes no arguments");
                ins->form = DF_FORM_NONE;
                return 0;
        }
        if (sep != 3 || strncasecmp(rest, "CMD", 3) != 0)
                return fail_at(p, ins->line, "unknown type \"%.*s\" in HEALTHCHECK (try CMD)",
                               (int)(sep > MAX_SHOWN_WORD ? MAX_SHOWN_WORD : sep), rest);
        int r = parse_command(p, ins, cmd);
        if (r == 0 && ins->args.n == 0)
                r = fail_at(p, ins->line, "missing command after HEALTHCHECK CMD");
        return r;
}

/* ONBUILD keeps its trigger as text; BuildKit only refuses these triggers when parsing. */
static int parse_onbuild(struct parser *p, struct df_instruction *ins, const char *rest,
                         const char *text)
{
        if (!*rest)
                return fail_at(p, ins->line, "ONBUILD requires at least one argument");
        size_t n = 0;
        while (rest[n] && !is_sep((unsigned char)rest[n]))
                n++;
        const struct keyword *kw = find_keyword(rest, n);
        if (kw && kw->kind == K_ONBUILD)
                return fail_at(p, ins->line,
                               "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (kw && (kw->kind == K_FROM || kw->kind == K_MAINTAINER))
                return fail_at(p, ins->line, "%s isn't allowed as an ONBUILD trigger", kw->name);
        if (kw && (kw->kind == K_RUN || kw->kind == K_COPY || kw->kind == K_ADD)) {
                struct strvec items = STRVEC_INIT;
                const char *args = extract_flags(rest + n, &items);
                strvec_clear(&items);
                int r = parse_json(p, ins->line, args, &items);
                strvec_clear(&items);
                if (r < 0)
                        return r;
                if (r == 0 && (r = refuse_heredoc(p, ins->line, "ONBUILD", rest)) < 0)
                        return r;
        }
        /* the trigger as written: the text without its leading "ONBUILD" and blanks */
        const char *e = text;
        while (is_space((unsigned char)*e))
                e++;
        e += strlen("ONBUILD");
        while (is_space((unsigned char)*e))
                e++;
        strvec_push(&ins->args, e);
        return 0;
}

/* One instruction's text (continuations joined) split by its line parser, before scoping and
 * substitution. */
static int parse_instruction(struct parser *p, const char *text, int line,
                             struct df_instruction *ins, const struct keyword **kwp)
{
        const char *s = text;
        while (is_space((unsigned char)*s))
                s++;
        size_t n = 0;
        while (s[n] && !is_sep((unsigned char)s[n]))
                n++;
        const struct keyword *kw = find_keyword(s, n);
        if (!kw)
                return fail_at(p, line, "unknown instruction: %.*s",
                               (int)(n > MAX_SHOWN_WORD ? MAX_SHOWN_WORD : n), s);
        *kwp = kw;
        ins->keyword = xstrdup(kw->name);
        ins->line = line;
        ins->text = xstrdup(s);

        cleanup_free char *rest = xstrdup(extract_flags(s + n, &ins->flags));
        size_t len = strlen(rest);
        while (len > 0 && is_space((unsigned char)rest[len - 1]))
                rest[--len] = '\0';
        const char *args = rest;
        while (is_space((unsigned char)*args))
                args++;

        bool health_none = false;
        int r = 0;
        switch (kw->shape) {
        case SHAPE_MAYBE_JSON:
                r = parse_command(p, ins, args);
                if (r == 0 && kw->kind == K_RUN && ins->args.n == 0)
                        r = fail_at(p, line, "RUN requires at least one argument");
                if (r == 0 && kw->kind == K_SHELL && ins->form != DF_FORM_JSON)
                        r = fail_at(p, line, "SHELL requires the arguments to be in JSON form");
                if (r == 0 && kw->kind == K_SHELL && ins->args.n == 0)
                        r = fail_at(p, line, "SHELL requires at least one argument");
                break;
        case SHAPE_MAYBE_JSON_LIST:
                r = parse_json(p, line, args, &ins->args);
                if (r > 0) {
                        ins->form = DF_FORM_JSON;
                        r = 0;
                } else if (r == 0) {
                        ins->form = DF_FORM_SHELL;
                        split_whitespace(args, &ins->args);
                }
                if (r == 0 && kw->kind != K_VOLUME && ins->args.n < 2)
                        r = fail_at(p, line,
                                    "%s requires at least two arguments, but %s provided. "
                                    "Destination could not be determined",
                                    kw->name, ins->args.n ? "only one was" : "none were");
                if (r == 0 && kw->kind == K_VOLUME && ins->args.n == 0)
                        r = fail_at(p, line, "VOLUME requires at least one argument");
                break;
        case SHAPE_WORDS:
                if (kw->kind == K_FROM) {
                        r = parse_from(p, ins, args);
                } else {
                        split_whitespace(args, &ins->args);
                        if (ins->args.n == 0)
                                r = fail_at(p, line, "%s requires at least one argument", kw->name);
                }
                break;
        case SHAPE_STRING:
                if (!*args)
                        r = fail_at(p, line, "%s requires exactly one argument", kw->name);
                else
                        strvec_push(&ins->args, args);
                break;
        case SHAPE_NAME_VALUE:
                r = parse_name_value(p, ins, args);
                break;
        case SHAPE_NAME_OR_VALUE:
                r = parse_arg(p, ins, args);
                break;
        case SHAPE_HEALTH:
                r = parse_healthcheck(p, ins, args, &health_none);
                break;
        case SHAPE_ONBUILD:
                r = parse_onbuild(p, ins, args, s);
                break;
        }
        if (r < 0)
                return r;
        /* BuildKit parses no flags for HEALTHCHECK NONE, so it accepts any. */
        if (!health_none && (r = check_flags(p, line, kw->name, kw->flags, &ins->flags)) < 0)
                return r;
        if ((kw->kind == K_RUN || kw->kind == K_COPY || kw->kind == K_ADD) &&
            ins->form != DF_FORM_JSON)
                return refuse_heredoc(p, line, kw->name, s);
        return 0;
}

/* ---- scoping and substitution (BuildKit's dispatcher) ---- */

static void scope_free_value(void *v)
{
        free(v);
}

static void scope_release(struct stage_scope *sc)
{
        strmap_clear(&sc->env, scope_free_value);
        strmap_clear(&sc->args, scope_free_value);
}

/* A replacement for a map value; the previous one is freed. */
static void map_set(struct strmap *m, const char *key, const char *value)
{
        free(strmap_put(m, key, value ? xstrdup(value) : NULL));
}

/* ARGs before the first FROM, each substituted with the ones before it. */
static int global_arg(struct parser *p, struct df_instruction *ins)
{
        for (size_t i = 0; i < ins->n_kv; i++) {
                struct df_kv *kv = &ins->kv[i];
                int r;
                if (kv->value && (r = substitute_in_place(p, NULL, ins, &kv->value)) < 0)
                        return r;
                if (strmap_has(&p->build_args, kv->key)) {
                        free(kv->value);
                        kv->value = xstrdup(strmap_get(&p->build_args, kv->key));
                }
                map_set(&p->globals, kv->key, kv->value);
                kv_push(&p->df->global_args, &p->df->n_global_args, kv->key, kv->value);
                kv->key = kv->value = NULL;
        }
        return 0;
}

/* A stage's ARG: substituted as one instruction, then its value is the build arg, else its
 * default, else the global ARG's value. */
static int stage_arg(struct parser *p, struct stage_scope *sc, struct df_instruction *ins)
{
        for (size_t i = 0; i < ins->n_kv; i++) {
                int r = substitute_in_place(p, sc, ins, &ins->kv[i].key);
                if (r == 0 && ins->kv[i].value)
                        r = substitute_in_place(p, sc, ins, &ins->kv[i].value);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ins->n_kv; i++) {
                struct df_kv *kv = &ins->kv[i];
                if (strmap_has(&p->build_args, kv->key)) {
                        free(kv->value);
                        kv->value = xstrdup(strmap_get(&p->build_args, kv->key));
                } else if (!kv->value && strmap_has(&p->globals, kv->key)) {
                        kv->value = xstrdup(strmap_get(&p->globals, kv->key));
                }
                map_set(&sc->args, kv->key, kv->value);
        }
        return 0;
}

/* ENV and LABEL: every pair substituted with the values from before the instruction. */
static int stage_pairs(struct parser *p, struct stage_scope *sc, struct df_instruction *ins,
                       bool is_env)
{
        for (size_t i = 0; i < ins->n_kv; i++) {
                int r = substitute_in_place(p, sc, ins, &ins->kv[i].key);
                if (r == 0)
                        r = substitute_in_place(p, sc, ins, &ins->kv[i].value);
                if (r < 0)
                        return r;
                if (!*ins->kv[i].key)
                        return fail_at(p, ins->line, "%s names can not be blank", ins->keyword);
        }
        for (size_t i = 0; is_env && i < ins->n_kv; i++)
                map_set(&sc->env, ins->kv[i].key, ins->kv[i].value);
        return 0;
}

/* The values of the flags that take one (booleans are left alone). */
static int substitute_flags(struct parser *p, const struct stage_scope *sc,
                            struct df_instruction *ins, const struct flag_spec *spec)
{
        for (size_t i = 0; i < ins->flags.n; i++) {
                char *eq = strchr(ins->flags.v[i], '=');
                if (!eq || flag_type_of(spec, ins->flags.v[i]) == FLAG_BOOL)
                        continue;
                char *value = NULL;
                int r = substitute(p, sc, ins, eq + 1, &value);
                if (r < 0)
                        return r;
                char *flag =
                    xasprintf("%.*s=%s", (int)(eq - ins->flags.v[i]), ins->flags.v[i], value);
                free(value);
                free(ins->flags.v[i]);
                ins->flags.v[i] = flag;
        }
        return 0;
}

static int substitute_args(struct parser *p, const struct stage_scope *sc,
                           struct df_instruction *ins)
{
        for (size_t i = 0; i < ins->args.n; i++) {
                int r = substitute_in_place(p, sc, ins, &ins->args.v[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int begin_stage(struct parser *p, struct df_instruction *ins)
{
        struct dockerfile *df = p->df;
        cleanup_free char *written = xstrdup(ins->args.v[0]);
        int r = substitute_flags(p, NULL, ins, from_flags);
        if (r == 0)
                r = substitute_in_place(p, NULL, ins, &ins->args.v[0]);
        if (r < 0)
                return r;
        if (!*ins->args.v[0])
                return fail_at(p, ins->line, "base name (%.*s) should not be blank", MAX_SHOWN_WORD,
                               written);
        char *name = NULL;
        if (ins->args.n == 3) {
                name = xstrdup(ins->args.v[2]);
                for (char *c = name; *c; c++)
                        if (*c >= 'A' && *c <= 'Z')
                                *c = (char)(*c - 'A' + 'a');
                if (stage_by_name(df, name, df->n_stages) >= 0) {
                        r = fail_at(p, ins->line, "duplicate stage name \"%s\"", name);
                        free(name);
                        return r;
                }
        }
        if (df->n_stages == p->stages_alloc) {
                p->stages_alloc = p->stages_alloc ? 2 * p->stages_alloc : 4;
                df->stages = xrealloc(df->stages, p->stages_alloc * sizeof(*df->stages));
                p->scopes = xrealloc(p->scopes, p->stages_alloc * sizeof(*p->scopes));
        }
        struct df_stage *st = &df->stages[df->n_stages];
        struct stage_scope *sc = &p->scopes[df->n_stages];
        memset(st, 0, sizeof(*st));
        memset(sc, 0, sizeof(*sc));
        st->image = xstrdup(ins->args.v[0]);
        st->name = name;
        st->line = ins->line;
        for (size_t i = 0; i < ins->flags.n; i++)
                if (strncmp(ins->flags.v[i], "--platform=", 11) == 0)
                        st->platform = xstrdup(ins->flags.v[i] + 11);
        st->base = stage_by_name(df, st->image, df->n_stages);
        if (st->base >= 0) {
                const struct strmap *env = &p->scopes[st->base].env;
                for (size_t i = 0; i < env->cap; i++) {
                        if (!env->slots[i].key)
                                continue;
                        p->expanded += strlen(env->slots[i].value);
                        map_set(&sc->env, env->slots[i].key, env->slots[i].value);
                }
        }
        df->n_stages++;
        if (p->expanded > MAX_EXPANDED)
                return fail_at(p, ins->line,
                               "FROM: the inherited environment makes more than "
                               "%d bytes in all",
                               MAX_EXPANDED);
        return 0;
}

static void stage_append(struct parser *p, struct df_instruction *ins)
{
        struct df_stage *st = &p->df->stages[p->df->n_stages - 1];
        struct stage_scope *sc = &p->scopes[p->df->n_stages - 1];
        if (st->n == sc->v_alloc) {
                sc->v_alloc = sc->v_alloc ? 2 * sc->v_alloc : 8;
                st->v = xrealloc(st->v, sc->v_alloc * sizeof(*st->v));
        }
        st->v[st->n++] = *ins;
        memset(ins, 0, sizeof(*ins));
}

/* Places a parsed instruction: a global ARG, a new stage, or the current stage's next one,
 * substituted in the scope it is in. Takes ins over (it is released either way). */
static int dispatch(struct parser *p, const struct keyword *kw, struct df_instruction *ins)
{
        struct dockerfile *df = p->df;
        int r = 0;
        if (df->n_stages == 0 && kw->kind == K_ARG) {
                r = global_arg(p, ins);
                instruction_release(ins);
                return r;
        }
        if (kw->kind == K_FROM) {
                r = begin_stage(p, ins);
                if (r == 0)
                        stage_append(p, ins);
                instruction_release(ins);
                return r;
        }
        if (df->n_stages == 0) {
                r = fail_at(p, ins->line,
                            "%s before the first FROM: no build stage in current "
                            "context",
                            ins->keyword);
                instruction_release(ins);
                return r;
        }
        struct stage_scope *sc = &p->scopes[df->n_stages - 1];
        switch (kw->kind) {
        case K_ARG:
                r = stage_arg(p, sc, ins);
                break;
        case K_ENV:
        case K_LABEL:
                r = stage_pairs(p, sc, ins, kw->kind == K_ENV);
                break;
        case K_MAINTAINER:
                warn_at(p, ins->line, "MAINTAINER is deprecated: use a LABEL");
                break;
        default:
                if (!kw->substitutes)
                        break;
                r = substitute_flags(p, sc, ins, kw->flags);
                if (r == 0)
                        r = substitute_args(p, sc, ins);
                if (r == 0 && kw->kind == K_VOLUME)
                        for (size_t i = 0; i < ins->args.n && r == 0; i++)
                                if (!*ins->args.v[i])
                                        r = fail_at(p, ins->line,
                                                    "VOLUME specified can not be "
                                                    "an empty string");
        }
        if (r == 0)
                stage_append(p, ins);
        instruction_release(ins);
        return r;
}

/* ---- the line reader ---- */

struct reader {
        const char *text;
        size_t len, pos;
        int line; /* of the last line read */
};

/* The next physical line without its line-end bytes: 1, 0 at the end, <0 when too long. */
static int read_line(struct parser *p, struct reader *rd, const char **s, size_t *n)
{
        if (rd->pos >= rd->len)
                return 0;
        const char *start = rd->text + rd->pos;
        const char *nl = memchr(start, '\n', rd->len - rd->pos);
        size_t k = nl ? (size_t)(nl - start) : rd->len - rd->pos;
        rd->pos += k + (nl ? 1 : 0);
        rd->line++;
        if (k > DOCKERFILE_MAX_LINE)
                return fail_at(p, rd->line, "dockerfile line greater than max allowed size of %d",
                               DOCKERFILE_MAX_LINE);
        while (k > 0 && start[k - 1] == '\r')
                k--;
        *s = start;
        *n = k;
        return 1;
}

static void skip_blanks(const char **s, size_t *n)
{
        while (*n > 0 && is_space((unsigned char)**s)) {
                ++*s;
                --*n;
        }
}

/* Go's \s (RE2): no \v. */
static bool is_re_space(int c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* A parser directive (`# key=value`) while they are still looked for: only the lines before
 * anything else; an unknown key or any other line ends them (an unknown one is a comment). */
static int directive(struct parser *p, int line, const char *s, size_t n)
{
        if (p->directives_done)
                return 0;
        p->directives_done = true;
        if (n == 0 || s[0] != '#')
                return 0;
        size_t i = 1;
        while (i < n && is_re_space((unsigned char)s[i]))
                i++;
        size_t k0 = i;
        if (i >= n || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
                return 0;
        while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                         (s[i] >= '0' && s[i] <= '9')))
                i++;
        size_t k1 = i;
        while (i < n && is_re_space((unsigned char)s[i]))
                i++;
        if (i >= n || s[i] != '=')
                return 0;
        i++;
        while (i < n && is_re_space((unsigned char)s[i]))
                i++;
        size_t end = n;
        while (end > i && is_re_space((unsigned char)s[end - 1]))
                end--;
        if (end == i)
                return 0;
        cleanup_free char *key = xstrndup(s + k0, k1 - k0);
        for (char *c = key; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                        *c = (char)(*c - 'A' + 'a');
        if (strcmp(key, "syntax") != 0 && strcmp(key, "escape") != 0 && strcmp(key, "check") != 0)
                return 0;
        struct dockerfile *df = p->df;
        for (size_t d = 0; d < df->n_directives; d++)
                if (strcmp(df->directives[d].key, key) == 0)
                        return fail_at(p, line, "only one %s parser directive can be used", key);
        cleanup_free char *value = xstrndup(s + i, end - i);
        if (strcmp(key, "escape") == 0) {
                if (strcmp(value, "`") != 0 && strcmp(value, "\\") != 0)
                        return fail_at(p, line,
                                       "invalid escape token '%.*s' does not match ` or \\",
                                       MAX_SHOWN_WORD, value);
                df->escape = value[0];
        }
        kv_push(&df->directives, &df->n_directives, xstrdup(key), xstrdup(value));
        p->directives_done = false;
        return 0;
}

static bool is_comment_line(const char *s, size_t n)
{
        skip_blanks(&s, &n);
        return n > 0 && s[0] == '#';
}

/* BuildKit's line continuation: the escape character last but for blanks, not itself escaped
 * (or alone on the line). Trims it off. */
static bool trim_continuation(char esc, const char *s, size_t *n)
{
        size_t k = *n;
        while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
                k--;
        if (k == 0 || s[k - 1] != esc || (k >= 2 && s[k - 2] == esc))
                return false;
        *n = k - 1;
        return true;
}

/* Parses one instruction's joined text and hands it to the dispatcher. */
static int instruction(struct parser *p, const struct strbuf *text, int line)
{
        if (++p->n_instructions > DOCKERFILE_MAX_INSTRUCTIONS)
                return fail_at(p, line, "more than %d instructions", DOCKERFILE_MAX_INSTRUCTIONS);
        /* What a manifest and a report are written in must be UTF-8; jansson checks it. */
        json_t *utf8 = json_stringn(strbuf_str(text), text->len);
        if (!utf8)
                return fail_at(p, line, "the instruction is not valid UTF-8");
        json_decref(utf8);
        struct df_instruction ins = {0};
        const struct keyword *kw = NULL;
        int r = parse_instruction(p, strbuf_str(text), line, &ins, &kw);
        if (r < 0) {
                instruction_release(&ins);
                return r;
        }
        return dispatch(p, kw, &ins);
}

static int parse_lines(struct parser *p, const char *text, size_t len)
{
        struct reader rd = {.text = text, .len = len};
        struct strbuf ins = STRBUF_INIT;
        const char *s;
        size_t n;
        int r;

        while ((r = read_line(p, &rd, &s, &n)) > 0) {
                if (rd.line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
                        s += 3;
                        n -= 3;
                }
                skip_blanks(&s, &n);
                if ((r = directive(p, rd.line, s, n)) < 0)
                        break;
                if (n > 0 && s[0] == '#')
                        n = 0;
                int start = rd.line;
                bool more = trim_continuation(p->df->escape, s, &n);
                if (!more && n == 0)
                        continue;
                strbuf_reset(&ins);
                strbuf_add(&ins, s, n);
                bool empty_continuation = false;
                while (more) {
                        if ((r = read_line(p, &rd, &s, &n)) <= 0)
                                break;
                        if (is_comment_line(s, n))
                                continue;
                        const char *t = s;
                        size_t tn = n;
                        skip_blanks(&t, &tn);
                        if (tn == 0) {
                                empty_continuation = true;
                                continue;
                        }
                        more = trim_continuation(p->df->escape, s, &n);
                        strbuf_add(&ins, s, n);
                }
                if (r < 0)
                        break;
                /* BuildKit ends the instruction there; a file cut short mid-instruction is
                 * more likely than one meant so, and the command would lose what followed */
                if (more) {
                        r = fail_at(p, start,
                                    "unterminated line continuation: the file ends before "
                                    "the instruction does");
                        break;
                }
                if (empty_continuation)
                        warn_at(p, start,
                                "empty continuation lines are deprecated and will "
                                "become errors in a future BuildKit release");
                if ((r = instruction(p, &ins, start)) < 0)
                        break;
        }
        strbuf_release(&ins);
        if (r < 0)
                return r;
        int last = rd.line > 0 ? rd.line : 1;
        if (p->n_instructions == 0)
                return fail_at(p, last, "file with no instructions");
        if (p->df->n_stages == 0)
                return fail_at(p, last,
                               "no FROM instruction: the Dockerfile has no stage "
                               "to build");
        return 0;
}

int dockerfile_parse(const char *name, const char *text, size_t len, const struct df_kv *build_args,
                     size_t n_build_args, struct dockerfile **out, struct distill_error *err)
{
        *out = NULL;
        if (len > DOCKERFILE_MAX_SIZE)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: larger than %d bytes: not a Dockerfile", name,
                                         DOCKERFILE_MAX_SIZE);
        const char *nul = memchr(text, '\0', len);
        if (nul) {
                int line = 1;
                for (const char *c = text; c < nul; c++)
                        line += *c == '\n';
                return distill_error_set(err, DISTILL_EUSAGE, "%s:%d: a NUL byte: not a Dockerfile",
                                         name, line);
        }
        struct dockerfile *df = xcalloc(1, sizeof(*df));
        df->name = xstrdup(name);
        df->escape = '\\';
        struct parser p = {.name = name, .df = df, .err = err};
        for (size_t i = 0; i < n_build_args; i++)
                strmap_put(&p.build_args, build_args[i].key,
                           build_args[i].value ? build_args[i].value : (void *)"");

        int r = parse_lines(&p, text, len);

        for (size_t i = 0; i < df->n_stages; i++)
                scope_release(&p.scopes[i]);
        free(p.scopes);
        strmap_clear(&p.globals, scope_free_value);
        strmap_clear(&p.build_args, NULL);
        if (r < 0) {
                dockerfile_free(df);
                return r;
        }
        *out = df;
        return 0;
}

/* ---- shell-form commands as argv ---- */

static bool word_in(const char *w, const char *const *list)
{
        for (; *list; list++)
                if (strcmp(w, *list) == 0)
                        return true;
        return false;
}

static const char *const shell_keywords[] = {
    "!",  "{",  "}",    "case",  "do",    "done", "elif", "else",     "esac",   "fi", "for",
    "if", "in", "then", "until", "while", "[[",   "]]",   "function", "select", NULL};
/* Builtins that act on the shell itself, so that no program of that name can stand in. */
static const char *const shell_builtins[] = {
    ".",    ":",        "alias",  "bg",      "break",   "cd",     "command", "continue",
    "eval", "exit",     "export", "fg",      "getopts", "hash",   "jobs",    "local",
    "read", "readonly", "return", "set",     "shift",   "source", "times",   "trap",
    "type", "ulimit",   "umask",  "unalias", "unset",   "wait",   NULL};

struct argv_word {
        struct strbuf text;
        bool started;        /* a word is open (possibly empty: "") */
        bool quoted;         /* some of it was quoted or escaped */
        size_t plain_prefix; /* bytes before the first quoted or escaped one */
};

/* `NAME=...` with NAME and '=' unquoted: an assignment, not a command. */
static bool is_assignment(const struct argv_word *w)
{
        const char *s = strbuf_str(&w->text);
        const char *eq = strchr(s, '=');
        if (!eq || eq == s || (s[0] >= '0' && s[0] <= '9'))
                return false;
        if (w->quoted && (size_t)(eq - s) >= w->plain_prefix)
                return false;
        for (const char *c = s; c < eq; c++)
                if (!is_name_char((unsigned char)*c))
                        return false;
        return true;
}

static const char *end_word(struct argv_word *w, struct strvec *words)
{
        if (!w->started)
                return NULL;
        if (words->n == 0 && !w->quoted && word_in(strbuf_str(&w->text), shell_keywords))
                return "uses a shell keyword";
        if (words->n == 0 && is_assignment(w))
                return "sets a variable for the command";
        strvec_push_nodup(words, strbuf_detach(&w->text));
        w->started = w->quoted = false;
        w->plain_prefix = 0;
        return NULL;
}

static void word_add(struct argv_word *w, char c, bool quoted)
{
        if (!w->started) {
                w->started = true;
                w->plain_prefix = 0;
        }
        if (quoted && !w->quoted) {
                w->quoted = true;
                w->plain_prefix = w->text.len;
        }
        strbuf_addch(&w->text, c);
}

static void word_open_quoted(struct argv_word *w)
{
        if (!w->started)
                w->started = true;
        if (!w->quoted) {
                w->quoted = true;
                w->plain_prefix = w->text.len;
        }
}

/* What an unquoted operator character means for the shell, or NULL when it is literal. */
static const char *shell_operator(const char *s)
{
        switch (s[0]) {
        case '|':
                return s[1] == '|' ? "uses ||" : "uses a pipe";
        case '&':
                return s[1] == '&' ? "uses &&" : "runs a command in the background";
        case ';':
                return "chains commands with ;";
        case '>':
                return "redirects output";
        case '<':
                return "redirects input";
        case '`':
                return "uses command substitution";
        case '$':
                if (s[1] == '(')
                        return "uses command substitution";
                if (s[1] == '\0' || is_space((unsigned char)s[1]))
                        return NULL;
                return "expands $VAR";
        case '*':
        case '?':
        case '[':
                return "uses a glob";
        case '(':
        case ')':
                return "uses a subshell";
        }
        return NULL;
}

int dockerfile_shell_argv(const char *cmd, struct strvec *argv, const char **why)
{
        struct strvec words = STRVEC_INIT;
        struct argv_word w = {STRBUF_INIT, false, false, 0};
        const char *fail = NULL;
        const char *s = cmd;

        while (*s && !fail) {
                char c = *s;
                if (is_space((unsigned char)c)) {
                        fail = end_word(&w, &words);
                        s++;
                        /* a newline separates commands as ; does */
                        if (!fail && c == '\n') {
                                s += strspn(s, " \t\r\n");
                                if (*s)
                                        fail = "runs several commands";
                        }
                        continue;
                }
                if (!w.started && c == '#') {
                        s += strcspn(s, "\n");
                        continue;
                }
                if (!w.started && c == '~') {
                        fail = "expands ~";
                        break;
                }
                if (c == '\\') {
                        if (s[1] == '\n') {
                                s += 2;
                        } else if (s[1]) {
                                word_add(&w, s[1], true);
                                s += 2;
                        } else {
                                word_add(&w, '\\', false);
                                s++;
                        }
                        continue;
                }
                if (c == '\'') {
                        const char *end = strchr(s + 1, '\'');
                        if (!end) {
                                fail = "has an unterminated quote";
                                break;
                        }
                        word_open_quoted(&w);
                        strbuf_add(&w.text, s + 1, (size_t)(end - s - 1));
                        s = end + 1;
                        continue;
                }
                if (c == '"') {
                        word_open_quoted(&w);
                        for (s++; *s && *s != '"' && !fail; s++) {
                                if (*s == '$' && shell_operator(s))
                                        fail = shell_operator(s);
                                else if (*s == '`')
                                        fail = "uses command substitution";
                                else if (*s == '\\' && s[1] && strchr("$`\"\\\n", s[1])) {
                                        if (s[1] != '\n')
                                                strbuf_addch(&w.text, s[1]);
                                        s++;
                                } else
                                        strbuf_addch(&w.text, *s);
                        }
                        if (!fail && !*s)
                                fail = "has an unterminated quote";
                        if (!fail)
                                s++;
                        continue;
                }
                if ((fail = shell_operator(s)) != NULL)
                        break;
                word_add(&w, c, false);
                s++;
        }
        if (!fail)
                fail = end_word(&w, &words);
        strbuf_release(&w.text);

        size_t first = 0;
        while (!fail && first < words.n && strcmp(words.v[first], "exec") == 0)
                first++;
        if (!fail && first == words.n)
                fail = "is empty";
        if (!fail && words.v[first][0] == '-')
                fail = "passes options to exec";
        if (!fail && word_in(words.v[first], shell_builtins))
                fail = "uses a shell builtin";
        if (fail) {
                strvec_clear(&words);
                *why = fail;
                return -1;
        }
        for (size_t i = first; i < words.n; i++) {
                strvec_push_nodup(argv, words.v[i]);
                words.v[i] = NULL;
        }
        for (size_t i = 0; i < first; i++)
                free(words.v[i]);
        free(words.v);
        return 0;
}
