/* Reading .deb files (docs/architecture.md, ".deb files") with libarchive: the outer ar archive is
 * read once, and its control.tar.* and data.tar.* members are opened as nested archives whose read
 * callback pulls bytes from the outer member, so nothing is unpacked to disk.
 *
 * All or nothing: every regular file of data.tar goes through a store writer whose blob stays
 * under a temporary name (store_writer_finish) until the whole archive has been read and checked;
 * only then are the blobs committed. A refusal anywhere aborts them all, so the store never holds
 * bytes of a refused .deb. This keeps a single decompression pass (data.tar.xz dominates the cost
 * of reading a .deb) at the price of holding one temporary file per new blob until the end. */
#include "distill/source/debfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "distill/base/digest.h"
#include "distill/base/names.h"
#include "distill/base/util.h"
#include "distill/source/deb822.h"

/* Caps against hostile archives; real Debian packages stay far below them. */
#define DEB_MAX_AR_MEMBERS      64
#define DEB_MAX_ENTRIES         200000
#define DEB_MAX_PATH            4096
#define DEB_MAX_TOTAL           (UINT64_C(8) << 30)
#define DEB_MAX_CONTROL_ENTRIES 4096
#define DEB_MAX_CONTROL         (1u << 20)
#define DEB_MAX_SCRIPT          (4u << 20)
#define DEB_MAX_ALTS            4096
#define DEB_MAX_SLAVES          1024
#define DEB_IO_CHUNK            65536

#define DEB_INDEX_FORMAT 1

/* ---------------------------------------------------------------------------------------------
 * Names in messages: entry names are attacker-chosen, so control bytes are escaped. */

static char *printable(const char *s)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "");
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f || *p == '\\')
                        strbuf_addf(&sb, "\\x%02x", *p);
                else
                        strbuf_addch(&sb, (char)*p);
                if (sb.len > 512) {
                        strbuf_adds(&sb, "...");
                        break;
                }
        }
        return strbuf_detach(&sb);
}

static bool has_control_char(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return true;
        return false;
}

/* ---------------------------------------------------------------------------------------------
 * Releasing */

static void alternative_release(struct deb_alternative *a)
{
        free(a->link);
        free(a->name);
        free(a->path);
        strvec_clear(&a->slave_links);
        strvec_clear(&a->slave_names);
        strvec_clear(&a->slave_paths);
}

static void alternatives_free(struct deb_alternative *alts, size_t n)
{
        for (size_t i = 0; i < n; i++)
                alternative_release(&alts[i]);
        free(alts);
}

static void member_release(struct deb_member *m)
{
        free(m->path);
        free(m->link_target);
        free(m->hardlink_of);
}

void deb_index_release(struct deb_index *idx)
{
        if (!idx)
                return;
        free(idx->control);
        free(idx->package);
        free(idx->version);
        free(idx->arch);
        for (size_t i = 0; i < idx->n_members; i++)
                member_release(&idx->members[i]);
        free(idx->members);
        alternatives_free(idx->alts, idx->n_alts);
        strvec_clear(&idx->warnings);
        memset(idx, 0, sizeof(*idx));
}

/* ---------------------------------------------------------------------------------------------
 * update-alternatives in maintainer scripts.
 *
 * A small POSIX-shell lexer: words with '…' / "…" quoting and backslash escapes, backslash-newline
 * continuations, comments, separators (; & | ( ) newline), redirections (whose fd number and target
 * are not arguments) and here-documents (whose bodies are not commands). It does not execute
 * anything: a word that needs expansion ($, `) is only flagged. */

struct sh_word {
        char *text;
        bool has_var;
};

struct sh_command {
        struct sh_word *words;
        size_t n, alloc;
        unsigned line; /* line of the first word */
};

struct sh_lexer {
        const char *s;
        size_t len, pos;
        unsigned line;
        char *heredoc_delim; /* pending here-document delimiter, skipped at the next newline */
        bool heredoc_strip_tabs;
        bool unterminated;
};

static void command_clear(struct sh_command *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->words[i].text);
        c->n = 0;
}

static void command_push(struct sh_command *c, char *text, bool has_var)
{
        if (c->n == c->alloc) {
                c->alloc = c->alloc ? 2 * c->alloc : 16;
                c->words = xrealloc(c->words, c->alloc * sizeof(*c->words));
        }
        c->words[c->n].text = text;
        c->words[c->n].has_var = has_var;
        c->n++;
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

static bool is_separator(char c)
{
        return c == ';' || c == '&' || c == '|' || c == '(' || c == ')';
}

static bool ends_word(char c)
{
        return is_blank(c) || c == '\n' || is_separator(c) || c == '<' || c == '>';
}

/* Skip the body of a pending here-document: lines up to one equal to the delimiter. */
static void skip_heredoc(struct sh_lexer *lx)
{
        while (lx->pos < lx->len) {
                size_t start = lx->pos;
                const char *nl = memchr(lx->s + start, '\n', lx->len - start);
                size_t end = nl ? (size_t)(nl - lx->s) : lx->len;
                lx->pos = nl ? end + 1 : end;
                lx->line++;
                if (lx->heredoc_strip_tabs)
                        while (start < end && lx->s[start] == '\t')
                                start++;
                size_t dlen = strlen(lx->heredoc_delim);
                if (end - start == dlen && memcmp(lx->s + start, lx->heredoc_delim, dlen) == 0)
                        break;
        }
        free(lx->heredoc_delim);
        lx->heredoc_delim = NULL;
}

#define SH_MAX_NESTING 32

static bool lex_subst(struct sh_lexer *lx, struct strbuf *sb, int nesting);
static bool lex_backquote(struct sh_lexer *lx, struct strbuf *sb);

/* The rest of a '…' string (the opening quote consumed). */
static bool lex_squote(struct sh_lexer *lx, struct strbuf *sb)
{
        const char *body = lx->s + lx->pos;
        const char *end = memchr(body, '\'', lx->len - lx->pos);
        if (!end)
                return false;
        for (const char *p = body; p < end; p++)
                if (*p == '\n')
                        lx->line++;
        strbuf_add(sb, body, (size_t)(end - body));
        lx->pos = (size_t)(end - lx->s) + 1;
        return true;
}

/* The rest of a "…" string (the opening quote consumed): \ escapes only $ ` " \ and newline;
 * $( ) and ` ` inside are command substitutions with their own quoting. */
static bool lex_dquote(struct sh_lexer *lx, struct strbuf *sb, bool *has_var, int nesting)
{
        for (;;) {
                if (lx->pos >= lx->len)
                        return false;
                char d = lx->s[lx->pos];
                if (d == '"') {
                        lx->pos++;
                        return true;
                }
                if (d == '\\' && lx->pos + 1 < lx->len && strchr("$`\"\\\n", lx->s[lx->pos + 1])) {
                        if (lx->s[lx->pos + 1] == '\n')
                                lx->line++;
                        else
                                strbuf_addch(sb, lx->s[lx->pos + 1]);
                        lx->pos += 2;
                        continue;
                }
                if (d == '$' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '(') {
                        *has_var = true;
                        strbuf_adds(sb, "$(");
                        lx->pos += 2;
                        if (!lex_subst(lx, sb, nesting + 1))
                                return false;
                        continue;
                }
                if (d == '`') {
                        *has_var = true;
                        lx->pos++;
                        if (!lex_backquote(lx, sb))
                                return false;
                        continue;
                }
                if (d == '$')
                        *has_var = true;
                if (d == '\n')
                        lx->line++;
                strbuf_addch(sb, d);
                lx->pos++;
        }
}

/* The rest of a `…` substitution (the opening backquote consumed). */
static bool lex_backquote(struct sh_lexer *lx, struct strbuf *sb)
{
        strbuf_addch(sb, '`');
        while (lx->pos < lx->len) {
                char c = lx->s[lx->pos];
                if (c == '\\' && lx->pos + 1 < lx->len) {
                        strbuf_add(sb, lx->s + lx->pos, 2);
                        if (lx->s[lx->pos + 1] == '\n')
                                lx->line++;
                        lx->pos += 2;
                        continue;
                }
                if (c == '\n')
                        lx->line++;
                strbuf_addch(sb, c);
                lx->pos++;
                if (c == '`')
                        return true;
        }
        return false;
}

/* The rest of a $( … ) substitution (the "$(" consumed): up to the matching ')', with quotes
 * and nested substitutions honoured. Its text is kept only for the record: a word containing
 * it is never used. */
static bool lex_subst(struct sh_lexer *lx, struct strbuf *sb, int nesting)
{
        int depth = 1;
        bool has_var;
        if (nesting > SH_MAX_NESTING)
                return false;
        while (lx->pos < lx->len) {
                char c = lx->s[lx->pos];
                if (c == '\\' && lx->pos + 1 < lx->len) {
                        if (lx->s[lx->pos + 1] == '\n')
                                lx->line++;
                        strbuf_add(sb, lx->s + lx->pos, 2);
                        lx->pos += 2;
                        continue;
                }
                lx->pos++;
                if (c == '\'') {
                        if (!lex_squote(lx, sb))
                                return false;
                        continue;
                }
                if (c == '"') {
                        if (!lex_dquote(lx, sb, &has_var, nesting))
                                return false;
                        continue;
                }
                if (c == '`') {
                        if (!lex_backquote(lx, sb))
                                return false;
                        continue;
                }
                if (c == '\n')
                        lx->line++;
                strbuf_addch(sb, c);
                if (c == '(')
                        depth++;
                else if (c == ')' && --depth == 0)
                        return true;
        }
        return false;
}

/* One word at lx->pos; returns false on an unterminated quote or substitution. */
static bool lex_word(struct sh_lexer *lx, struct strbuf *sb, bool *has_var, bool *quoted)
{
        strbuf_reset(sb);
        strbuf_adds(sb, "");
        *has_var = false;
        *quoted = false;
        while (lx->pos < lx->len) {
                char c = lx->s[lx->pos];
                if (ends_word(c))
                        break;
                if (c == '\\') {
                        if (lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '\n') {
                                lx->line++;
                        } else if (lx->pos + 1 < lx->len) {
                                strbuf_addch(sb, lx->s[lx->pos + 1]);
                                *quoted = true;
                        }
                        lx->pos += 2;
                        continue;
                }
                lx->pos++;
                if (c == '\'') {
                        *quoted = true;
                        if (!lex_squote(lx, sb))
                                return false;
                        continue;
                }
                if (c == '"') {
                        *quoted = true;
                        if (!lex_dquote(lx, sb, has_var, 0))
                                return false;
                        continue;
                }
                if (c == '`') {
                        *has_var = true;
                        if (!lex_backquote(lx, sb))
                                return false;
                        continue;
                }
                if (c == '$' && lx->pos < lx->len && lx->s[lx->pos] == '(') {
                        *has_var = true;
                        strbuf_adds(sb, "$(");
                        lx->pos++;
                        if (!lex_subst(lx, sb, 0))
                                return false;
                        continue;
                }
                if (c == '$')
                        *has_var = true;
                strbuf_addch(sb, c);
        }
        return true;
}

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* The next simple command (words up to a separator or newline). Returns false at the end of the
 * script or on an unterminated quote (lx->unterminated). */
static bool next_command(struct sh_lexer *lx, struct sh_command *cmd)
{
        struct strbuf sb = STRBUF_INIT;
        bool drop_next = false, heredoc_next = false, heredoc_tabs = false;
        bool got_any = false;

        command_clear(cmd);
        cmd->line = lx->line;
        while (lx->pos < lx->len) {
                char c = lx->s[lx->pos];
                if (is_blank(c)) {
                        lx->pos++;
                        continue;
                }
                if (c == '\\' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '\n') {
                        lx->pos += 2;
                        lx->line++;
                        continue;
                }
                if (c == '\n') {
                        lx->pos++;
                        lx->line++;
                        if (lx->heredoc_delim)
                                skip_heredoc(lx);
                        got_any = true;
                        break;
                }
                if (c == '#') {
                        const char *nl = memchr(lx->s + lx->pos, '\n', lx->len - lx->pos);
                        lx->pos = nl ? (size_t)(nl - lx->s) : lx->len;
                        continue;
                }
                if (is_separator(c)) {
                        lx->pos++;
                        if (lx->pos < lx->len && lx->s[lx->pos] == c && c != '(' && c != ')')
                                lx->pos++;
                        got_any = true;
                        break;
                }
                if (c == '<' || c == '>') {
                        /* A redirection operator (<, >, >>, <<, <<-, >&, <&, >|, <>): its target
                         * word is not an argument; << starts a here-document. */
                        bool heredoc =
                            c == '<' && lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '<';
                        lx->pos++;
                        while (lx->pos < lx->len && strchr("<>&|", lx->s[lx->pos]))
                                lx->pos++;
                        if (heredoc && lx->pos < lx->len && lx->s[lx->pos] == '-') {
                                heredoc_tabs = true;
                                lx->pos++;
                        }
                        drop_next = true;
                        heredoc_next = heredoc;
                        continue;
                }
                bool has_var, quoted;
                unsigned word_line = lx->line;
                if (!lex_word(lx, &sb, &has_var, &quoted)) {
                        lx->unterminated = true;
                        strbuf_release(&sb);
                        return false;
                }
                got_any = true;
                if (heredoc_next) {
                        free(lx->heredoc_delim);
                        lx->heredoc_delim = xstrdup(sb.buf);
                        lx->heredoc_strip_tabs = heredoc_tabs;
                        heredoc_next = heredoc_tabs = false;
                        drop_next = false;
                        continue;
                }
                if (drop_next) {
                        drop_next = false;
                        continue;
                }
                /* "2>/dev/null": an unquoted number right before a redirection is its fd. */
                if (!quoted && lx->pos < lx->len &&
                    (lx->s[lx->pos] == '<' || lx->s[lx->pos] == '>') && all_digits(sb.buf))
                        continue;
                if (cmd->n == 0)
                        cmd->line = word_line;
                command_push(cmd, strbuf_detach(&sb), has_var);
        }
        strbuf_release(&sb);
        return got_any || cmd->n > 0;
}

static bool is_update_alternatives(const char *w)
{
        const char *base = strrchr(w, '/');
        return strcmp(base ? base + 1 : w, "update-alternatives") == 0;
}

static bool valid_alt_path(const char *p)
{
        return p[0] == '/' && strlen(p) < DEB_MAX_PATH && !has_control_char(p);
}

static bool valid_alt_name(const char *n)
{
        if (!*n || strlen(n) > 255 || strchr(n, '/') || has_control_char(n))
                return false;
        for (const char *p = n; *p; p++)
                if (is_blank(*p))
                        return false;
        return true;
}

static bool parse_priority(const char *s, long *out)
{
        if (!*s)
                return false;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || *end || v < INT_MIN || v > INT_MAX)
                return false;
        *out = v;
        return true;
}

struct alt_list {
        struct deb_alternative *v;
        size_t n, alloc;
};

/* Interpret one update-alternatives command (words after the program name). Problems that would
 * make update-alternatives fail are reported as warnings and the command is skipped; only the
 * caps are errors. */
static int parse_ua_command(const struct sh_command *cmd, size_t first, const char *name,
                            struct alt_list *list, struct strvec *warnings,
                            struct distill_error *err)
{
        struct deb_alternative alt = {0};
        bool have_install = false;
        const char *problem = NULL;
        int ret = 0;

        for (size_t i = first; i < cmd->n; i++)
                if (strcmp(cmd->words[i].text, "--install") == 0)
                        have_install = true;
        if (!have_install)
                return 0; /* --remove, --set, --query …: nothing to install */
        for (size_t i = first - 1; i < cmd->n; i++)
                if (cmd->words[i].has_var) {
                        strvec_push_nodup(
                            warnings,
                            xasprintf("%s:%u: update-alternatives --install uses shell variables; "
                                      "skipped",
                                      name, cmd->line));
                        return 0;
                }

        have_install = false;
        for (size_t i = first; i < cmd->n && !problem;) {
                const char *w = cmd->words[i].text;
                if (strcmp(w, "--install") == 0) {
                        if (have_install) {
                                problem = "two --install actions";
                        } else if (i + 4 >= cmd->n) {
                                problem = "--install needs LINK NAME PATH PRIORITY";
                        } else if (!valid_alt_path(cmd->words[i + 1].text) ||
                                   !valid_alt_name(cmd->words[i + 2].text) ||
                                   !valid_alt_path(cmd->words[i + 3].text)) {
                                problem = "invalid --install LINK, NAME or PATH";
                        } else if (!parse_priority(cmd->words[i + 4].text, &alt.priority)) {
                                problem = "invalid --install PRIORITY";
                        } else {
                                alt.link = xstrdup(cmd->words[i + 1].text);
                                alt.name = xstrdup(cmd->words[i + 2].text);
                                alt.path = xstrdup(cmd->words[i + 3].text);
                                have_install = true;
                        }
                        i += 5;
                } else if (strcmp(w, "--slave") == 0) {
                        if (!have_install) {
                                problem = "--slave before --install";
                        } else if (i + 3 >= cmd->n) {
                                problem = "--slave needs LINK NAME PATH";
                        } else if (!valid_alt_path(cmd->words[i + 1].text) ||
                                   !valid_alt_name(cmd->words[i + 2].text) ||
                                   !valid_alt_path(cmd->words[i + 3].text)) {
                                problem = "invalid --slave LINK, NAME or PATH";
                        } else if (alt.slave_links.n >= DEB_MAX_SLAVES) {
                                ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                                        "%s:%u: more than %d --slave links", name,
                                                        cmd->line, DEB_MAX_SLAVES);
                                goto out;
                        } else {
                                strvec_push(&alt.slave_links, cmd->words[i + 1].text);
                                strvec_push(&alt.slave_names, cmd->words[i + 2].text);
                                strvec_push(&alt.slave_paths, cmd->words[i + 3].text);
                        }
                        i += 4;
                } else if (strcmp(w, "--altdir") == 0 || strcmp(w, "--admindir") == 0 ||
                           strcmp(w, "--instdir") == 0 || strcmp(w, "--root") == 0 ||
                           strcmp(w, "--log") == 0) {
                        problem = "a non-default alternatives directory";
                } else if (strncmp(w, "--", 2) == 0) {
                        i++; /* --quiet, --verbose, --force, --debug, --skip-auto */
                } else {
                        problem = "unexpected argument";
                }
        }
        if (problem) {
                strvec_push_nodup(warnings, xasprintf("%s:%u: update-alternatives: %s; skipped",
                                                      name, cmd->line, problem));
                goto out;
        }
        if (list->n >= DEB_MAX_ALTS) {
                ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                        "%s:%u: more than %d update-alternatives --install", name,
                                        cmd->line, DEB_MAX_ALTS);
                goto out;
        }
        if (list->n == list->alloc) {
                list->alloc = list->alloc ? 2 * list->alloc : 4;
                list->v = xrealloc(list->v, list->alloc * sizeof(*list->v));
        }
        list->v[list->n++] = alt;
        return 0;
out:
        alternative_release(&alt);
        return ret;
}

int debfile_parse_alternatives(const char *script, size_t len, const char *name,
                               struct deb_alternative **out, size_t *n, struct strvec *warnings,
                               struct distill_error *err)
{
        struct sh_lexer lx = {.s = script, .len = len, .line = 1};
        struct sh_command cmd = {0};
        struct alt_list list = {0};
        int ret = 0;

        *out = NULL;
        *n = 0;
        if (len > DEB_MAX_SCRIPT)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: maintainer script larger than %u bytes", name,
                                         DEB_MAX_SCRIPT);
        if (memchr(script, '\0', len))
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: maintainer script contains a NUL byte", name);
        while (next_command(&lx, &cmd)) {
                for (size_t i = 0; i < cmd.n; i++) {
                        if (!is_update_alternatives(cmd.words[i].text))
                                continue;
                        ret = parse_ua_command(&cmd, i + 1, name, &list, warnings, err);
                        break;
                }
                if (ret < 0)
                        goto cleanup;
        }
        if (lx.unterminated)
                strvec_push_nodup(
                    warnings,
                    xasprintf("%s:%u: unterminated quote or substitution; rest of script not read",
                              name, lx.line));
        *out = list.v;
        *n = list.n;
        list.v = NULL;
        list.n = 0;
cleanup:
        command_clear(&cmd);
        free(cmd.words);
        free(lx.heredoc_delim);
        alternatives_free(list.v, list.n);
        return ret;
}

/* ---------------------------------------------------------------------------------------------
 * Reading a .deb */

#define PATH_DROPPED ((void *)UINTPTR_MAX)

struct deb_reader {
        const char *name; /* the .deb, for messages */
        struct store *st;
        struct archive *outer;
        const char *member; /* current ar member, for messages */
        char member_name[64];
        struct distill_error *err;

        struct deb_index idx;
        size_t members_alloc;
        struct strmap paths;   /* dpkg path → member index + 1, or PATH_DROPPED */
        struct strmap parents; /* every ancestor directory of a listed path */

        struct store_writer **pending; /* finished, uncommitted blobs */
        size_t n_pending, pending_alloc;
        struct strmap pending_hex; /* digests among `pending` */

        uint64_t total;
        size_t entries;
        char *postinst;
        size_t postinst_len;

        char outer_buf[DEB_IO_CHUNK];
        char data_buf[DEB_IO_CHUNK];
};

static void note_refusal(struct deb_reader *r, const char *entry, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_refusal(struct deb_reader *r, const char *entry, const char *fmt, ...)
{
        cleanup_free char *why = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&why, fmt, ap);
        va_end(ap);
        if (n < 0)
                abort();
        if (entry) {
                cleanup_free char *shown = printable(entry);
                distill_error_format(r->err, DISTILL_EINTEGRITY, "%s: %s: '%s': %s", r->name,
                                     r->member, shown, why);
                return;
        }
        distill_error_format(r->err, DISTILL_EINTEGRITY, "%s: %s: %s", r->name, r->member, why);
}

/* A DISTILL_EINTEGRITY error naming the .deb, the ar member and (if given) the entry; yields
 * -DISTILL_EINTEGRITY where it is returned (see distill_error_set). */
#define refuse(r, entry, ...) (note_refusal((r), (entry), __VA_ARGS__), -DISTILL_EINTEGRITY)

static int archive_failure(struct deb_reader *r, struct archive *a, const char *what)
{
        const char *msg = archive_error_string(a);
        return refuse(r, NULL, "%s: %s", what, msg ? msg : "unknown libarchive error");
}

/* The inner archive's read callback: the bytes of the current outer (ar) member. */
static la_ssize_t read_outer_member(struct archive *inner, void *ctx, const void **buf)
{
        struct deb_reader *r = ctx;
        la_ssize_t n = archive_read_data(r->outer, r->outer_buf, sizeof(r->outer_buf));
        if (n < 0) {
                const char *msg = archive_error_string(r->outer);
                archive_set_error(inner, EIO, "%s", msg ? msg : "reading the ar member failed");
                return -1;
        }
        *buf = r->outer_buf;
        return n;
}

/* A tar reader over the current ar member. The filters are the compressions deb(5) allows,
 * all built into libarchive (filter_all would also allow external decompressor programs). */
static int open_inner(struct deb_reader *r, struct archive **out)
{
        struct archive *a = archive_read_new();
        if (!a)
                abort();
        archive_read_support_format_tar(a);
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_xz(a);
        archive_read_support_filter_lzma(a);
        archive_read_support_filter_bzip2(a);
        archive_read_support_filter_zstd(a);
        if (archive_read_open(a, r, NULL, read_outer_member, NULL) != ARCHIVE_OK) {
                int ret = archive_failure(r, a, "not a (compressed) tar archive");
                archive_read_free(a);
                return ret;
        }
        *out = a;
        return 0;
}

/* Read an inner entry's data into memory, refusing more than `cap` bytes. */
static int read_entry_mem(struct deb_reader *r, struct archive *a, const char *entry, size_t cap,
                          char **data, size_t *len)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "");
        for (;;) {
                la_ssize_t n = archive_read_data(a, r->data_buf, sizeof(r->data_buf));
                if (n < 0) {
                        strbuf_release(&sb);
                        return archive_failure(r, a, entry);
                }
                if (n == 0)
                        break;
                if (sb.len + (size_t)n > cap) {
                        strbuf_release(&sb);
                        return refuse(r, entry, "larger than %zu bytes", cap);
                }
                strbuf_add(&sb, r->data_buf, (size_t)n);
        }
        *len = sb.len;
        *data = strbuf_detach(&sb);
        return 0;
}

/* --- debian-binary ---------------------------------------------------------------------------- */

static int read_debian_binary(struct deb_reader *r)
{
        char buf[64];
        size_t len = 0;
        for (;;) {
                la_ssize_t n = archive_read_data(r->outer, buf + len, sizeof(buf) - len);
                if (n < 0)
                        return archive_failure(r, r->outer, "reading");
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == sizeof(buf))
                        return refuse(r, NULL, "format version longer than %zu bytes",
                                      sizeof(buf) - 1);
        }
        /* dpkg accepts format 2.x: "2.", digits, newline. */
        size_t i = 2;
        if (len >= 4 && buf[0] == '2' && buf[1] == '.') {
                while (i < len && buf[i] >= '0' && buf[i] <= '9')
                        i++;
                if (i > 2 && i == len - 1 && buf[i] == '\n')
                        return 0;
        }
        buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
        cleanup_free char *shown = printable(buf);
        return refuse(r, NULL, "unsupported format version '%s' (want \"2.0\\n\")", shown);
}

/* --- control.tar ------------------------------------------------------------------------------ */

/* A .deb's control file (deb-control(5)): one stanza, no comments. */
static const struct deb822_format control_format = {.error_code = DISTILL_EINTEGRITY};

/* The stanza's text for status.d: trailing blank lines and blanks dropped, ending in one "\n". */
static char *control_text(const struct deb822_stanza *st)
{
        size_t len = st->raw_len;
        while (len > 0 &&
               (st->raw[len - 1] == '\n' || st->raw[len - 1] == '\r' || is_blank(st->raw[len - 1])))
                len--;
        struct strbuf sb = STRBUF_INIT;
        strbuf_add(&sb, st->raw, len);
        strbuf_addch(&sb, '\n');
        return strbuf_detach(&sb);
}

/* The first line of each named field, NULL for a missing one. */
static void control_fields(const struct deb822_stanza *st, const char *const *names, size_t n,
                           char **values)
{
        for (size_t i = 0; i < n; i++) {
                const struct deb822_field *f = deb822_get(st, names[i]);
                values[i] = f ? deb822_first_line(f) : NULL;
        }
}

/* Keep the stanza and the fields that name the package. */
static int take_control(struct deb_reader *r, char *data, size_t len)
{
        static const char *const fields[] = {"Package", "Version", "Architecture"};
        char **dest[] = {&r->idx.package, &r->idx.version, &r->idx.arch};
        bool (*const valid[])(const char *) = {deb_package_name_valid, deb_version_valid,
                                               deb_arch_name_valid};
        char *values[3] = {NULL, NULL, NULL};
        cleanup_free char *shown = xasprintf("%s: %s: control", r->name, r->member);
        struct deb822_reader *rd = deb822_open(data, len, shown, &control_format);
        struct deb822_stanza st;
        int ret = deb822_next(rd, &st, r->err);
        if (ret == 0)
                ret = refuse(r, "control", "empty");
        if (ret > 0) {
                r->idx.control = control_text(&st);
                control_fields(&st, fields, 3, values);
                /* the stanza is gone once the reader moves on */
                ret = deb822_next(rd, &st, r->err);
                if (ret > 0)
                        ret = refuse(r, "control", "more than one stanza");
        }
        deb822_close(rd);
        free(data);
        for (size_t i = 0; i < 3; i++) {
                *dest[i] = values[i];
                if (ret < 0)
                        continue;
                if (!values[i])
                        ret = refuse(r, "control", "no %s field", fields[i]);
                else if (!valid[i](values[i])) {
                        cleanup_free char *printed = printable(values[i]);
                        ret = refuse(r, "control", "invalid %s '%s'", fields[i], printed);
                }
        }
        return ret;
}

/* "./control" and "control" name the same entry. */
static const char *control_entry_name(const char *raw)
{
        if (strncmp(raw, "./", 2) == 0)
                raw += 2;
        return raw;
}

static int read_control_tar(struct deb_reader *r)
{
        struct archive *a = NULL;
        struct archive_entry *e;
        size_t count = 0;
        int ret = open_inner(r, &a);
        if (ret < 0)
                return ret;
        for (;;) {
                int rc = archive_read_next_header(a, &e);
                if (rc == ARCHIVE_EOF)
                        break;
                if (rc != ARCHIVE_OK) {
                        ret = archive_failure(r, a, "reading an entry header");
                        goto cleanup;
                }
                if (++count > DEB_MAX_CONTROL_ENTRIES) {
                        ret = refuse(r, NULL, "more than %d entries", DEB_MAX_CONTROL_ENTRIES);
                        goto cleanup;
                }
                const char *raw = archive_entry_pathname(e);
                const char *nm = raw ? control_entry_name(raw) : "";
                bool is_control = strcmp(nm, "control") == 0;
                bool is_postinst = strcmp(nm, "postinst") == 0;
                if (!is_control && !is_postinst)
                        continue; /* md5sums, conffiles, other scripts: not needed */
                if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) {
                        ret = refuse(r, raw, "not a regular file");
                        goto cleanup;
                }
                if ((is_control && r->idx.control) || (is_postinst && r->postinst)) {
                        ret = refuse(r, raw, "listed twice");
                        goto cleanup;
                }
                char *data = NULL;
                size_t len = 0;
                ret = read_entry_mem(r, a, raw, is_control ? DEB_MAX_CONTROL : DEB_MAX_SCRIPT,
                                     &data, &len);
                if (ret < 0)
                        goto cleanup;
                if (is_control) {
                        ret = take_control(r, data, len);
                        if (ret < 0)
                                goto cleanup;
                } else {
                        r->postinst = data;
                        r->postinst_len = len;
                }
        }
        if (!r->idx.control)
                ret = refuse(r, NULL, "no control file");
cleanup:
        archive_read_free(a);
        return ret;
}

/* --- data.tar --------------------------------------------------------------------------------- */

/* The dpkg path of a data.tar entry name ("./usr/bin/x" → "/usr/bin/x", "./" → "/"), or NULL with
 * *why set when the name is refused. */
static char *member_path(const char *raw, const char **why)
{
        if (!raw || !*raw) {
                *why = "empty name";
                return NULL;
        }
        if (strlen(raw) > DEB_MAX_PATH) {
                *why = "name longer than 4096 bytes";
                return NULL;
        }
        if (has_control_char(raw)) {
                *why = "control character in name";
                return NULL;
        }
        if (raw[0] == '/') {
                *why = "absolute name";
                return NULL;
        }
        size_t len = strlen(raw);
        const char *p = raw;
        if (strcmp(p, ".") == 0 || strcmp(p, "./") == 0)
                return xstrdup("/");
        if (strncmp(p, "./", 2) == 0)
                p += 2, len -= 2;
        if (len > 0 && p[len - 1] == '/')
                len--;
        if (len == 0) {
                *why = "empty name";
                return NULL;
        }
        for (size_t i = 0; i < len;) {
                size_t j = i;
                while (j < len && p[j] != '/')
                        j++;
                size_t clen = j - i;
                if (clen == 0) {
                        *why = "empty path component";
                        return NULL;
                }
                if ((clen == 1 && p[i] == '.') || (clen == 2 && p[i] == '.' && p[i + 1] == '.')) {
                        *why = "'.' or '..' path component";
                        return NULL;
                }
                if (clen >= 4 && strncmp(p + i, ".wh.", 4) == 0) {
                        *why = "whiteout name (.wh.)";
                        return NULL;
                }
                i = j + 1;
        }
        char *out = xmalloc(len + 2);
        out[0] = '/';
        memcpy(out + 1, p, len);
        out[len + 1] = '\0';
        return out;
}

/* Whether a symlink at `path` with `target` climbs above the image root when resolved lexically
 * from the link's directory (absolute targets start at the root). */
static bool symlink_escapes_root(const char *path, const char *target)
{
        long depth = 0;
        if (target[0] != '/')
                for (const char *p = path + 1; *p; p++)
                        if (*p == '/')
                                depth++;
        for (const char *p = target; *p;) {
                const char *slash = strchr(p, '/');
                size_t clen = slash ? (size_t)(slash - p) : strlen(p);
                if (clen == 2 && p[0] == '.' && p[1] == '.') {
                        if (--depth < 0)
                                return true;
                } else if (clen > 0 && !(clen == 1 && p[0] == '.')) {
                        depth++;
                }
                if (!slash)
                        break;
                p = slash + 1;
        }
        return false;
}

static struct deb_member *member_at(struct deb_reader *r, void *slot)
{
        return &r->idx.members[(uintptr_t)slot - 1];
}

static struct deb_member *add_member(struct deb_reader *r, char *path)
{
        if (r->idx.n_members == r->members_alloc) {
                r->members_alloc = r->members_alloc ? 2 * r->members_alloc : 64;
                r->idx.members =
                    xrealloc(r->idx.members, r->members_alloc * sizeof(*r->idx.members));
        }
        struct deb_member *m = &r->idx.members[r->idx.n_members++];
        memset(m, 0, sizeof(*m));
        m->path = path;
        strmap_put(&r->paths, path, (void *)(uintptr_t)r->idx.n_members);
        return m;
}

/* Refuse a path below a non-directory of this archive, or a non-directory where the archive
 * already has entries below; record the ancestors. */
static int check_ancestors(struct deb_reader *r, const char *raw, const char *path, bool is_dir)
{
        if (!is_dir && strmap_has(&r->parents, path))
                return refuse(r, raw, "not a directory, but other entries lie below %s", path);
        cleanup_free char *prefix = xstrdup(path);
        for (char *s = prefix + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                void *slot = strmap_get(&r->paths, prefix);
                if (slot == PATH_DROPPED || (slot && member_at(r, slot)->type != SOURCE_DIR)) {
                        int ret = refuse(r, raw, "below %s, which is not a directory", prefix);
                        return ret;
                }
                if (!strmap_has(&r->parents, prefix))
                        strmap_put(&r->parents, prefix, NULL);
                *s = '/';
        }
        return 0;
}

static void warn(struct deb_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct deb_reader *r, const char *fmt, ...)
{
        va_list ap;
        char *msg;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        strvec_push_nodup(&r->idx.warnings, msg);
}

static unsigned strip_special_bits(struct deb_reader *r, const char *path, unsigned perm)
{
        if (perm & S_ISUID)
                warn(r, "stripped setuid from %s", path);
        if (perm & S_ISGID)
                warn(r, "stripped setgid from %s", path);
        if (perm & S_ISVTX)
                warn(r, "stripped sticky bit from %s", path);
        return perm & 0777;
}

/* File capabilities would survive into the image's semantics; other xattrs are not kept. */
static int check_xattrs(struct deb_reader *r, struct archive_entry *e, const char *raw,
                        const char *path)
{
        const char *xname;
        const void *value;
        size_t size;
        if (archive_entry_xattr_reset(e) == 0)
                return 0;
        while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
                if (strcmp(xname, "security.capability") == 0)
                        return refuse(r, raw, "file capabilities (security.capability)");
                cleanup_free char *shown = printable(xname);
                warn(r, "dropped extended attribute %s from %s", shown, path);
        }
        return 0;
}

static void pending_push(struct deb_reader *r, struct store_writer *w, const char *hex)
{
        if (r->n_pending == r->pending_alloc) {
                r->pending_alloc = r->pending_alloc ? 2 * r->pending_alloc : 64;
                r->pending = xrealloc(r->pending, r->pending_alloc * sizeof(*r->pending));
        }
        r->pending[r->n_pending++] = w;
        strmap_put(&r->pending_hex, hex, NULL);
}

/* Stream a regular file's bytes into an uncommitted blob. */
static int store_entry_data(struct deb_reader *r, struct archive *a, const char *raw,
                            struct deb_member *m, uint64_t declared)
{
        struct store_writer *w = NULL;
        uint64_t got = 0;
        int ret = store_writer_start(r->st, &w, r->err);
        if (ret < 0)
                return ret;
        for (;;) {
                la_ssize_t n = archive_read_data(a, r->data_buf, sizeof(r->data_buf));
                if (n < 0) {
                        ret = archive_failure(r, a, raw);
                        goto fail;
                }
                if (n == 0)
                        break;
                got += (uint64_t)n;
                if (got > declared) {
                        ret = refuse(r, raw, "more data than the declared %" PRIu64 " bytes",
                                     declared);
                        goto fail;
                }
                ret = store_writer_add(w, r->data_buf, (size_t)n, r->err);
                if (ret < 0)
                        goto fail;
        }
        if (got != declared) {
                ret = refuse(r, raw, "%" PRIu64 " bytes of the declared %" PRIu64, got, declared);
                goto fail;
        }
        ret = store_writer_finish(w, m->digest, NULL, r->err);
        if (ret < 0)
                goto fail;
        m->size = got;
        /* Bytes already in the store (from before this read) or pending need no second copy. */
        if (store_has_blob(r->st, m->digest) || strmap_has(&r->pending_hex, m->digest)) {
                store_writer_abort(w);
                return 0;
        }
        pending_push(r, w, m->digest);
        return 0;
fail:
        store_writer_abort(w);
        return ret;
}

static int add_hardlink(struct deb_reader *r, struct archive_entry *e, const char *raw, char *path)
{
        const char *why = NULL;
        const char *raw_target = archive_entry_hardlink(e);
        cleanup_free char *target = member_path(raw_target, &why);
        if (!target) {
                free(path);
                return refuse(r, raw, "hardlink target: %s", why);
        }
        void *slot = strmap_get(&r->paths, target);
        if (!slot || slot == PATH_DROPPED || member_at(r, slot)->type != SOURCE_REG) {
                free(path);
                cleanup_free char *shown = printable(target);
                return refuse(r, raw, "hardlink to %s, which is not an earlier regular file",
                              shown);
        }
        size_t ti = (uintptr_t)slot - 1;
        unsigned perm = strip_special_bits(r, path, archive_entry_perm(e));
        struct deb_member *m = add_member(r, path);
        const struct deb_member *t = &r->idx.members[ti];
        m->type = SOURCE_REG;
        m->mode = perm;
        m->size = t->size;
        memcpy(m->digest, t->digest, sizeof(m->digest));
        m->hardlink_of = xstrdup(t->hardlink_of ? t->hardlink_of : t->path);
        return 0;
}

static const char *dropped_kind(unsigned type)
{
        switch (type) {
        case AE_IFCHR:
                return "character device";
        case AE_IFBLK:
                return "block device";
        case AE_IFIFO:
                return "FIFO";
        case AE_IFSOCK:
                return "socket";
        default:
                return NULL;
        }
}

static int read_data_entry(struct deb_reader *r, struct archive *a, struct archive_entry *e)
{
        const char *raw = archive_entry_pathname(e);
        const char *why = NULL;
        char *path = member_path(raw, &why);
        if (!path)
                return refuse(r, raw ? raw : "", "%s", why);
        unsigned type = archive_entry_filetype(e);
        bool hardlink = archive_entry_hardlink(e) != NULL;

        if (strcmp(path, "/") == 0) {
                free(path);
                if (type != AE_IFDIR || hardlink)
                        return refuse(r, raw, "the image root is not a directory");
                return 0; /* not listed */
        }
        int ret = check_xattrs(r, e, raw, path);
        if (ret < 0)
                goto fail;

        void *slot = strmap_get(&r->paths, path);
        if (slot) {
                bool both_dirs = slot != PATH_DROPPED && type == AE_IFDIR && !hardlink &&
                                 member_at(r, slot)->type == SOURCE_DIR;
                if (!both_dirs) {
                        ret = refuse(r, raw, "duplicate path %s", path);
                        goto fail;
                }
                /* A directory listed twice: the later entry's permissions win, as with tar. */
                member_at(r, slot)->mode = strip_special_bits(r, path, archive_entry_perm(e));
                free(path);
                return 0;
        }
        ret = check_ancestors(r, raw, path, type == AE_IFDIR && !hardlink);
        if (ret < 0)
                goto fail;

        if (hardlink)
                return add_hardlink(r, e, raw, path);

        const char *kind = dropped_kind(type);
        if (kind) {
                warn(r, "dropped %s %s", kind, path);
                strmap_put(&r->paths, path, PATH_DROPPED);
                free(path);
                return 0;
        }

        struct deb_member *m;
        switch (type) {
        case AE_IFDIR:
                m = add_member(r, path);
                m->type = SOURCE_DIR;
                m->mode = strip_special_bits(r, path, archive_entry_perm(e));
                return 0;
        case AE_IFLNK: {
                const char *target = archive_entry_symlink(e);
                if (!target || !*target || strlen(target) > DEB_MAX_PATH ||
                    has_control_char(target)) {
                        ret = refuse(r, raw, "empty, overlong or unprintable symlink target");
                        goto fail;
                }
                if (symlink_escapes_root(path, target)) {
                        cleanup_free char *shown = printable(target);
                        ret = refuse(r, raw, "symlink to %s leaves the image root", shown);
                        goto fail;
                }
                m = add_member(r, path);
                m->type = SOURCE_SYMLINK;
                m->mode = archive_entry_perm(e) & 0777;
                m->link_target = xstrdup(target);
                return 0;
        }
        case AE_IFREG: {
                uint64_t size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0
                                    ? (uint64_t)archive_entry_size(e)
                                    : 0;
                if (size > DEB_MAX_TOTAL - r->total) {
                        ret =
                            refuse(r, raw, "total size of regular files exceeds %" PRIu64 " bytes",
                                   DEB_MAX_TOTAL);
                        goto fail;
                }
                r->total += size;
                unsigned perm = strip_special_bits(r, path, archive_entry_perm(e));
                m = add_member(r, path);
                m->type = SOURCE_REG;
                m->mode = perm;
                return store_entry_data(r, a, raw, m, size);
        }
        default:
                ret = refuse(r, raw, "unsupported entry type 0%o", type);
                goto fail;
        }
fail:
        free(path);
        return ret;
}

static int read_data_tar(struct deb_reader *r)
{
        struct archive *a = NULL;
        struct archive_entry *e;
        int ret = open_inner(r, &a);
        if (ret < 0)
                return ret;
        for (;;) {
                int rc = archive_read_next_header(a, &e);
                if (rc == ARCHIVE_EOF)
                        break;
                if (rc != ARCHIVE_OK) {
                        ret = archive_failure(r, a, "reading an entry header");
                        goto cleanup;
                }
                if (++r->entries > DEB_MAX_ENTRIES) {
                        ret = refuse(r, NULL, "more than %d entries", DEB_MAX_ENTRIES);
                        goto cleanup;
                }
                ret = read_data_entry(r, a, e);
                if (ret < 0)
                        goto cleanup;
        }
cleanup:
        archive_read_free(a);
        return ret;
}

/* --- the outer ar archive --------------------------------------------------------------------- */

static bool member_is(const char *name, const char *base, const char *const *suffixes)
{
        size_t blen = strlen(base);
        if (strncmp(name, base, blen) != 0)
                return false;
        for (; *suffixes; suffixes++)
                if (strcmp(name + blen, *suffixes) == 0)
                        return true;
        return false;
}

static const char *const control_suffixes[] = {"", ".gz", ".xz", ".zst", NULL};
static const char *const data_suffixes[] = {"", ".gz", ".xz", ".zst", ".bz2", ".lzma", NULL};

enum deb_stage { WANT_DEBIAN_BINARY, WANT_CONTROL, WANT_DATA, DONE };

static const char *stage_member(enum deb_stage s)
{
        switch (s) {
        case WANT_DEBIAN_BINARY:
                return "debian-binary";
        case WANT_CONTROL:
                return "control.tar";
        default:
                return "data.tar";
        }
}

static int read_ar(struct deb_reader *r)
{
        enum deb_stage stage = WANT_DEBIAN_BINARY;
        struct archive_entry *e;
        size_t count = 0;
        char *name = r->member_name;
        int ret;

        r->member = "ar archive";
        while (stage != DONE) {
                int rc = archive_read_next_header(r->outer, &e);
                if (rc == ARCHIVE_EOF)
                        break;
                if (rc != ARCHIVE_OK) {
                        r->member = "ar archive";
                        return archive_failure(r, r->outer, "reading a member header");
                }
                if (++count > DEB_MAX_AR_MEMBERS)
                        return refuse(r, NULL, "more than %d members", DEB_MAX_AR_MEMBERS);
                const char *raw = archive_entry_pathname(e);
                snprintf(name, sizeof(r->member_name), "%s", raw ? raw : "");
                size_t nlen = strlen(name);
                if (nlen > 0 && name[nlen - 1] == '/')
                        name[nlen - 1] = '\0';
                r->member = name;
                if (stage == WANT_DEBIAN_BINARY) {
                        if (strcmp(name, "debian-binary") != 0)
                                return refuse(r, NULL, "first member is not debian-binary");
                        ret = read_debian_binary(r);
                        stage = WANT_CONTROL;
                } else if (name[0] == '_') {
                        continue; /* deb(5): ignored */
                } else if (stage == WANT_CONTROL &&
                           member_is(name, "control.tar", control_suffixes)) {
                        ret = read_control_tar(r);
                        stage = WANT_DATA;
                } else if (stage == WANT_DATA && member_is(name, "data.tar", data_suffixes)) {
                        ret = read_data_tar(r);
                        stage = DONE;
                } else {
                        return refuse(r, NULL, "unexpected member (expected %s)",
                                      stage_member(stage));
                }
                if (ret < 0)
                        return ret;
        }
        if (stage != DONE) {
                r->member = stage_member(stage);
                return refuse(r, NULL, "missing member");
        }
        return 0;
}

static int by_member_path(const void *a, const void *b)
{
        return strcmp(((const struct deb_member *)a)->path, ((const struct deb_member *)b)->path);
}

static void reader_release(struct deb_reader *r)
{
        for (size_t i = 0; i < r->n_pending; i++)
                store_writer_abort(r->pending[i]);
        free(r->pending);
        strmap_clear(&r->pending_hex, NULL);
        strmap_clear(&r->paths, NULL);
        strmap_clear(&r->parents, NULL);
        free(r->postinst);
        deb_index_release(&r->idx);
        if (r->outer)
                archive_read_free(r->outer);
}

/* Everything passed: give the pending blobs their content names. */
static int commit_pending(struct deb_reader *r)
{
        int ret = 0;
        for (size_t i = 0; i < r->n_pending; i++) {
                struct store_writer *w = r->pending[i];
                r->pending[i] = NULL;
                if (ret < 0)
                        store_writer_abort(w);
                else
                        ret = store_writer_commit(w, r->err);
        }
        r->n_pending = 0;
        return ret;
}

int debfile_read(const char *deb_path, const char *name, struct store *st, struct deb_index *out,
                 struct distill_error *err)
{
        struct deb_reader *r = xcalloc(1, sizeof(*r));
        int ret;
        cleanup_close int fd = -1;

        memset(out, 0, sizeof(*out));
        r->name = name;
        r->st = st;
        r->err = err;
        fd = open(deb_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                ret =
                    distill_error_errno(err, DISTILL_EIO, errno, "%s: opening %s", name, deb_path);
                goto cleanup;
        }
        r->outer = archive_read_new();
        if (!r->outer)
                abort();
        archive_read_support_format_ar(r->outer);
        if (archive_read_open_fd(r->outer, fd, DEB_IO_CHUNK) != ARCHIVE_OK) {
                r->member = "ar archive";
                ret = archive_failure(r, r->outer, "not a .deb");
                goto cleanup;
        }
        ret = read_ar(r);
        if (ret < 0)
                goto cleanup;
        if (r->postinst) {
                cleanup_free char *script_name = xasprintf("%s: postinst", name);
                ret =
                    debfile_parse_alternatives(r->postinst, r->postinst_len, script_name,
                                               &r->idx.alts, &r->idx.n_alts, &r->idx.warnings, err);
                if (ret < 0)
                        goto cleanup;
        }
        ret = commit_pending(r);
        if (ret < 0)
                goto cleanup;
        qsort(r->idx.members, r->idx.n_members, sizeof(*r->idx.members), by_member_path);
        *out = r->idx;
        memset(&r->idx, 0, sizeof(r->idx));
cleanup:
        reader_release(r);
        free(r);
        return ret;
}

/* ---------------------------------------------------------------------------------------------
 * The index as JSON */

static const char *type_name(enum source_ftype t)
{
        switch (t) {
        case SOURCE_REG:
                return "reg";
        case SOURCE_DIR:
                return "dir";
        case SOURCE_SYMLINK:
                return "symlink";
        default:
                return "other";
        }
}

static json_t *strvec_json(const struct strvec *sv)
{
        json_t *a = json_array();
        for (size_t i = 0; i < sv->n; i++)
                json_array_append_new(a, json_string(sv->v[i]));
        return a;
}

static json_t *index_json(const struct deb_index *idx)
{
        json_t *members = json_array();
        for (size_t i = 0; i < idx->n_members; i++) {
                const struct deb_member *m = &idx->members[i];
                json_t *o =
                    json_pack("{s:s, s:s, s:I, s:I}", "path", m->path, "type", type_name(m->type),
                              "mode", (json_int_t)m->mode, "size", (json_int_t)m->size);
                if (m->link_target)
                        json_object_set_new(o, "link_target", json_string(m->link_target));
                if (m->hardlink_of)
                        json_object_set_new(o, "hardlink_of", json_string(m->hardlink_of));
                if (m->type == SOURCE_REG)
                        json_object_set_new(o, "digest", json_string(m->digest));
                json_array_append_new(members, o);
        }
        json_t *alts = json_array();
        for (size_t i = 0; i < idx->n_alts; i++) {
                const struct deb_alternative *a = &idx->alts[i];
                json_array_append_new(alts, json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "link",
                                                      a->link, "name", a->name, "path", a->path,
                                                      "priority", (json_int_t)a->priority,
                                                      "slave_links", strvec_json(&a->slave_links),
                                                      "slave_names", strvec_json(&a->slave_names),
                                                      "slave_paths", strvec_json(&a->slave_paths)));
        }
        return json_pack("{s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "format", DEB_INDEX_FORMAT,
                         "control", idx->control, "package", idx->package, "version", idx->version,
                         "arch", idx->arch, "members", members, "alternatives", alts, "warnings",
                         strvec_json(&idx->warnings));
}

int deb_index_save(const struct deb_index *idx, const char *path, struct distill_error *err)
{
        if (!idx->control || !idx->package || !idx->version || !idx->arch)
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "%s: saving an incomplete .deb index", path);
        json_t *root = index_json(idx);
        if (!root)
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "%s: .deb index not representable as JSON", path);
        char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(root);
        if (!text)
                return distill_error_set(err, DISTILL_EINTERNAL, "%s: serialising .deb index",
                                         path);
        int e = write_file_atomic(path, text, strlen(text), 0644);
        free(text);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "writing %s", path);
        return 0;
}

static int bad_index(struct distill_error *err, const char *path, const char *what, size_t i)
{
        return distill_error_set(err, DISTILL_EINTEGRITY, "%s: .deb index: %s (entry %zu)", path,
                                 what, i);
}

static int strvec_from_json(json_t *a, struct strvec *sv)
{
        size_t i;
        json_t *v;
        if (!json_is_array(a))
                return -1;
        json_array_foreach(a, i, v)
        {
                if (!json_is_string(v))
                        return -1;
                strvec_push(sv, json_string_value(v));
        }
        return 0;
}

static int load_member(json_t *o, const char *path, size_t i, const struct store *st,
                       struct deb_member *m, struct distill_error *err)
{
        const char *p, *type, *target = NULL, *hardlink = NULL, *digest = NULL;
        json_int_t mode, size;
        if (json_unpack(o, "{s:s, s:s, s:I, s:I, s?s, s?s, s?s}", "path", &p, "type", &type, "mode",
                        &mode, "size", &size, "link_target", &target, "hardlink_of", &hardlink,
                        "digest", &digest) != 0)
                return bad_index(err, path, "malformed member", i);
        if (p[0] != '/' || mode < 0 || mode > 0777 || size < 0)
                return bad_index(err, path, "invalid member path, mode or size", i);
        m->path = xstrdup(p);
        m->mode = (unsigned)mode;
        m->size = (uint64_t)size;
        if (strcmp(type, "reg") == 0) {
                m->type = SOURCE_REG;
                if (!digest || !sha256_hex_valid(digest))
                        return bad_index(err, path, "regular file without a digest", i);
                memcpy(m->digest, digest, SHA256_HEX_LEN + 1);
                cleanup_free char *blob = store_blob_path(st, digest);
                struct stat sb;
                if (stat(blob, &sb) < 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != m->size)
                        return distill_error_set(err, DISTILL_EINTEGRITY,
                                                 "%s: .deb index: blob %s of %s missing from the "
                                                 "store or of the wrong size",
                                                 path, digest, p);
                if (hardlink)
                        m->hardlink_of = xstrdup(hardlink);
        } else if (strcmp(type, "dir") == 0) {
                m->type = SOURCE_DIR;
        } else if (strcmp(type, "symlink") == 0) {
                m->type = SOURCE_SYMLINK;
                if (!target)
                        return bad_index(err, path, "symlink without a target", i);
                m->link_target = xstrdup(target);
        } else {
                return bad_index(err, path, "unknown member type", i);
        }
        return 0;
}

static int load_alternative(json_t *o, const char *path, size_t i, struct deb_alternative *a,
                            struct distill_error *err)
{
        const char *link, *name, *target;
        json_int_t prio;
        json_t *sl, *sn, *sp;
        if (json_unpack(o, "{s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "link", &link, "name", &name,
                        "path", &target, "priority", &prio, "slave_links", &sl, "slave_names", &sn,
                        "slave_paths", &sp) != 0 ||
            prio < INT_MIN || prio > INT_MAX)
                return bad_index(err, path, "malformed alternative", i);
        a->link = xstrdup(link);
        a->name = xstrdup(name);
        a->path = xstrdup(target);
        a->priority = (long)prio;
        if (strvec_from_json(sl, &a->slave_links) < 0 ||
            strvec_from_json(sn, &a->slave_names) < 0 ||
            strvec_from_json(sp, &a->slave_paths) < 0 || a->slave_links.n != a->slave_names.n ||
            a->slave_links.n != a->slave_paths.n)
                return bad_index(err, path, "malformed alternative slaves", i);
        return 0;
}

int deb_index_load(const char *path, const struct store *st, struct deb_index *out,
                   struct distill_error *err)
{
        json_error_t jerr;
        struct deb_index idx = {0};
        int ret = 0;
        const char *control, *package, *version, *arch;
        json_t *members, *alts, *warnings, *v;
        int format;
        size_t i;

        memset(out, 0, sizeof(*out));
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                if (access(path, F_OK) < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno, "reading %s", path);
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s:%d:%d: %s", path, jerr.line,
                                         jerr.column, jerr.text);
        }
        if (json_unpack(root, "{s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "format", &format,
                        "control", &control, "package", &package, "version", &version, "arch",
                        &arch, "members", &members, "alternatives", &alts, "warnings",
                        &warnings) != 0 ||
            format != DEB_INDEX_FORMAT || !json_is_array(members) || !json_is_array(alts)) {
                ret = distill_error_set(err, DISTILL_EINTEGRITY, "%s: not a .deb index (format %d)",
                                        path, DEB_INDEX_FORMAT);
                goto cleanup;
        }
        idx.control = xstrdup(control);
        idx.package = xstrdup(package);
        idx.version = xstrdup(version);
        idx.arch = xstrdup(arch);
        if (strvec_from_json(warnings, &idx.warnings) < 0) {
                ret = bad_index(err, path, "malformed warnings", 0);
                goto cleanup;
        }
        idx.members = xcalloc(json_array_size(members) + 1, sizeof(*idx.members));
        json_array_foreach(members, i, v)
        {
                idx.n_members = i + 1;
                ret = load_member(v, path, i, st, &idx.members[i], err);
                if (ret < 0)
                        goto cleanup;
        }
        idx.alts = xcalloc(json_array_size(alts) + 1, sizeof(*idx.alts));
        json_array_foreach(alts, i, v)
        {
                idx.n_alts = i + 1;
                ret = load_alternative(v, path, i, &idx.alts[i], err);
                if (ret < 0)
                        goto cleanup;
        }
        *out = idx;
        memset(&idx, 0, sizeof(idx));
cleanup:
        deb_index_release(&idx);
        json_decref(root);
        return ret;
}
