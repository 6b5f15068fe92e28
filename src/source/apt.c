/* Debian archives (docs/architecture.md, "Package sources"): the host's apt sources and settings,
 * InRelease verified by gpgv against exactly the source's keyring with nothing outside the signed
 * block, Packages indexes checked against the SHA-256 the verified InRelease lists, and a
 * content-addressed download cache (temp file, hash check, rename). */
#include "distill/source/apt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <jansson.h>

#include "distill/base/digest.h"
#include "distill/base/names.h"
#include "distill/base/spawn.h"
#include "distill/source/deb822.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "dev"
#endif

#define SOURCES_FILE_MAX     (4u << 20)   /* one sources file */
#define SOURCES_ENTRIES_MAX  4096         /* entries of a whole configuration */
#define APT_DUMP_MAX         (32u << 20)  /* `apt-config dump` output */
#define INRELEASE_MAX        (64u << 20)  /* an InRelease file (bookworm's: 150 KiB) */
#define RELEASE_FILES_MAX    1000000      /* SHA256 lines of one Release */
#define RELEASE_NAME_MAX     256          /* Label, Suite, Codename values kept */
#define PLAIN_INDEX_MAX      (4ull << 30) /* a decompressed Packages or Contents index */
#define INDEX_LINE_MAX       (64u << 10)  /* a Contents line kept (a path is at most 4 KiB) */
#define CHILD_TIMEOUT_S      120          /* they answer within seconds: this long is stuck */
#define GPGV_STATUS_MAX      (1u << 20)   /* gpgv's --status-fd lines */
#define DEARMOR_OUT_MAX      (1u << 20)   /* gpg --dearmor writes to a file; stdout stays empty */
#define HTTP_MAX_REDIRECTS   5
#define HTTP_CONNECT_TIMEOUT 30L
#define HTTP_STALL_SECONDS   60L /* abort a transfer slower than 1 byte/s for this long */

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                                */

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static char *trim(char *s)
{
        while (is_space(*s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && is_space(s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* Split on whitespace into sv (copies). */
static void split_words(const char *s, struct strvec *sv)
{
        while (*s) {
                while (is_space(*s))
                        s++;
                const char *b = s;
                while (*s && !is_space(*s))
                        s++;
                if (s > b)
                        strvec_push_nodup(sv, xstrndup(b, (size_t)(s - b)));
        }
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t ls = strlen(s), lx = strlen(suffix);
        return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static bool starts_with(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* apt's boolean spellings (apt-pkg StringToBool). */
static int parse_bool(const char *v, int *out)
{
        static const char *const yes[] = {"yes", "true", "with", "on", "enable", "1"};
        static const char *const no[] = {"no", "false", "without", "off", "disable", "0"};
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                if (strcasecmp(v, yes[i]) == 0) {
                        *out = 1;
                        return 0;
                }
                if (strcasecmp(v, no[i]) == 0) {
                        *out = 0;
                        return 0;
                }
        }
        return -1;
}

/* SHA-256 and size of a file: 0 or -errno. */
static int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size)
{
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        return sha256_hex_fd(fd, hex, size);
}

static bool file_exists(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ------------------------------------------------------------------------------------------ */
/* What child processes (gpgv, gpg --dearmor, apt-config dump) say on stderr                    */

/* The first line of a child's stderr, for an error message. */
static char *first_line(const struct strbuf *sb)
{
        const char *s = strbuf_str(sb);
        size_t n = strcspn(s, "\n");
        return xstrndup(s, n > 512 ? 512 : n);
}

/* Every stderr line joined with "; " (gpgv's reasons span several lines). */
static char *joined_lines(const struct strbuf *sb)
{
        struct strbuf o = STRBUF_INIT;
        const char *s = strbuf_str(sb);
        while (*s && o.len < 1500) {
                size_t n = strcspn(s, "\n");
                if (n > 0) {
                        if (o.len)
                                strbuf_adds(&o, "; ");
                        strbuf_add(&o, s, n);
                }
                s += n;
                if (*s == '\n')
                        s++;
        }
        return strbuf_detach(&o);
}

/* ------------------------------------------------------------------------------------------ */
/* Sources configuration                                                                        */

static void entry_release(struct apt_source_entry *e)
{
        free(e->uri);
        free(e->suite);
        strvec_clear(&e->components);
        strvec_clear(&e->archs);
        free(e->signed_by);
        free(e->origin);
}

void apt_config_clear_sources(struct apt_config *cfg)
{
        for (size_t i = 0; i < cfg->n; i++)
                entry_release(&cfg->v[i]);
        free(cfg->v);
        cfg->v = NULL;
        cfg->n = 0;
}

void apt_config_release(struct apt_config *cfg)
{
        if (!cfg)
                return;
        apt_config_clear_sources(cfg);
        free(cfg->http_proxy);
        free(cfg->https_proxy);
        strvec_clear(&cfg->default_keyrings);
        for (size_t i = 0; i < cfg->temp_files.n; i++) {
                unlink(cfg->temp_files.v[i]);
                char *dir = path_dirname(cfg->temp_files.v[i]);
                rmdir(dir);
                free(dir);
        }
        strvec_clear(&cfg->temp_files);
        memset(cfg, 0, sizeof(*cfg));
}

static bool is_root_dir(const char *root)
{
        return strspn(root, "/") == strlen(root);
}

/* A path named inside the configuration of `root`, as seen from here. */
static char *under_root(const char *root, const char *path)
{
        return is_root_dir(root) ? xstrdup(path) : path_join(root, path);
}

/* What one declaration says, before it becomes one entry per URI and suite. */
struct source_decl {
        struct strvec uris, suites, components, archs;
        char *signed_by_file; /* resolved keyring path, or NULL */
        int check_valid_until;
};

static void decl_release(struct source_decl *d)
{
        strvec_clear(&d->uris);
        strvec_clear(&d->suites);
        strvec_clear(&d->components);
        strvec_clear(&d->archs);
        free(d->signed_by_file);
}

/* Options that would let apt use an index nobody signed. */
static bool is_insecure_option(const char *name)
{
        return strcasecmp(name, "trusted") == 0 || strcasecmp(name, "allow-insecure") == 0 ||
               strcasecmp(name, "allow-weak") == 0 ||
               strcasecmp(name, "allow-downgrade-to-insecure") == 0;
}

static int refuse_insecure(const char *name, const char *value, const char *origin,
                           struct distill_error *err)
{
        int b = 0;
        if (parse_bool(value, &b) < 0)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: %s: not a boolean: \"%s\"",
                                         origin, name, value);
        if (b)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: %s=%s refused: distill never builds from indexes "
                                         "it cannot verify",
                                         origin, name, value);
        return 0;
}

/* Signed-By as a keyring path (fingerprints select keys of apt's default keyrings, which gpgv
 * cannot restrict to: refused). */
static int set_signed_by_path(struct source_decl *d, const char *root, const char *value,
                              const char *origin, struct distill_error *err)
{
        struct strvec words = STRVEC_INIT;
        split_words(value, &words);
        int ret = 0;
        if (words.n != 1 || strchr(words.v[0], ',')) {
                ret = distill_error_set(err, DISTILL_EUSAGE,
                                        "%s: Signed-By: only one keyring file is supported, got "
                                        "\"%s\"",
                                        origin, value);
        } else if (words.v[0][0] != '/') {
                ret = distill_error_set(err, DISTILL_EUSAGE,
                                        "%s: Signed-By: \"%s\" is not an absolute keyring path "
                                        "(fingerprints are not supported)",
                                        origin, words.v[0]);
        } else {
                free(d->signed_by_file);
                d->signed_by_file = under_root(root, words.v[0]);
        }
        strvec_clear(&words);
        return ret;
}

/* Turn a declaration into entries, one per URI and suite. */
static int add_decl(struct apt_config *cfg, const struct source_decl *d, const char *origin,
                    struct distill_error *err)
{
        if (d->uris.n == 0)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: no URI", origin);
        if (d->suites.n == 0)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: no suite", origin);
        for (size_t s = 0; s < d->suites.n; s++) {
                bool flat = ends_with(d->suites.v[s], "/");
                if (flat && d->components.n > 0)
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s: suite \"%s\" is a flat repository (ends "
                                                 "with /) and takes no components",
                                                 origin, d->suites.v[s]);
                if (!flat && d->components.n == 0)
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s: suite \"%s\" needs at least one component",
                                                 origin, d->suites.v[s]);
        }
        for (size_t u = 0; u < d->uris.n; u++) {
                for (size_t s = 0; s < d->suites.n; s++) {
                        if (cfg->n >= SOURCES_ENTRIES_MAX)
                                return distill_error_set(err, DISTILL_EUSAGE,
                                                         "%s: more than %d sources", origin,
                                                         SOURCES_ENTRIES_MAX);
                        cfg->v = xrealloc(cfg->v, (cfg->n + 1) * sizeof(*cfg->v));
                        struct apt_source_entry *e = &cfg->v[cfg->n++];
                        memset(e, 0, sizeof(*e));
                        const char *uri = d->uris.v[u];
                        size_t ul = strlen(uri);
                        while (ul > 0 && uri[ul - 1] == '/')
                                ul--;
                        e->uri = xstrndup(uri, ul);
                        e->suite = xstrdup(d->suites.v[s]);
                        for (size_t c = 0; c < d->components.n; c++)
                                strvec_push(&e->components, d->components.v[c]);
                        for (size_t a = 0; a < d->archs.n; a++)
                                strvec_push(&e->archs, d->archs.v[a]);
                        e->signed_by = d->signed_by_file ? xstrdup(d->signed_by_file) : NULL;
                        e->check_valid_until = d->check_valid_until;
                        e->origin = xstrdup(origin);
                }
        }
        return 0;
}

/* Split "a,b,c" into sv. */
static void split_commas(const char *s, struct strvec *sv)
{
        while (*s) {
                size_t n = strcspn(s, ",");
                if (n > 0)
                        strvec_push_nodup(sv, xstrndup(s, n));
                s += n;
                if (*s == ',')
                        s++;
        }
}

/* The bracketed options of a one-line entry: "arch=amd64 signed-by=/k.gpg". */
static int parse_list_options(char *opts, const char *root, struct source_decl *d,
                              const char *origin, struct distill_error *err)
{
        struct strvec words = STRVEC_INIT;
        int ret = 0;
        split_words(opts, &words);
        for (size_t i = 0; i < words.n && ret == 0; i++) {
                char *w = words.v[i];
                char *eq = strchr(w, '=');
                if (!eq || eq == w) {
                        ret = distill_error_set(err, DISTILL_EUSAGE,
                                                "%s: malformed option \"%s\" (want name=value)",
                                                origin, w);
                        break;
                }
                *eq = '\0';
                const char *value = eq + 1;
                size_t nl = strlen(w);
                bool modifier = nl > 0 && (w[nl - 1] == '+' || w[nl - 1] == '-');
                if (is_insecure_option(w)) {
                        ret = refuse_insecure(w, value, origin, err);
                } else if (strcasecmp(w, "arch") == 0) {
                        strvec_clear(&d->archs);
                        split_commas(value, &d->archs);
                } else if (modifier && strncasecmp(w, "arch", 4) == 0 && nl == 5) {
                        ret = distill_error_set(err, DISTILL_EUSAGE,
                                                "%s: option %s= is not supported (use arch=)",
                                                origin, w);
                } else if (strcasecmp(w, "signed-by") == 0) {
                        ret = set_signed_by_path(d, root, value, origin, err);
                } else if (strcasecmp(w, "check-valid-until") == 0) {
                        int b;
                        if (parse_bool(value, &b) < 0)
                                ret = distill_error_set(
                                    err, DISTILL_EUSAGE,
                                    "%s: check-valid-until: not a boolean: \"%s\"", origin, value);
                        else
                                d->check_valid_until = b;
                }
                /* lang=, target=, pdiffs=, by-hash=, … change nothing distill reads */
        }
        strvec_clear(&words);
        return ret;
}

static int parse_list_line(struct apt_config *cfg, const char *root, char *line, const char *origin,
                           struct distill_error *err)
{
        char *hash = strchr(line, '#');
        if (hash)
                *hash = '\0';
        char *p = trim(line);
        if (!*p)
                return 0;
        size_t tl = strcspn(p, " \t");
        if (tl == 7 && strncmp(p, "deb-src", 7) == 0)
                return 0;
        if (!(tl == 3 && strncmp(p, "deb", 3) == 0))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: unknown entry type \"%.*s\" (want deb or deb-src)",
                                         origin, (int)tl, p);
        p += tl;
        while (is_space(*p))
                p++;

        struct source_decl d = {.check_valid_until = -1};
        int ret = 0;
        if (*p == '[') {
                char *close = strchr(p, ']');
                if (!close) {
                        ret = distill_error_set(err, DISTILL_EUSAGE, "%s: unterminated [ options",
                                                origin);
                        goto cleanup;
                }
                *close = '\0';
                ret = parse_list_options(p + 1, root, &d, origin, err);
                if (ret < 0)
                        goto cleanup;
                p = close + 1;
        }
        struct strvec words = STRVEC_INIT;
        split_words(p, &words);
        if (words.n < 2) {
                strvec_clear(&words);
                ret = distill_error_set(err, DISTILL_EUSAGE,
                                        "%s: want \"deb URI SUITE [COMPONENT…]\"", origin);
                goto cleanup;
        }
        strvec_push(&d.uris, words.v[0]);
        strvec_push(&d.suites, words.v[1]);
        for (size_t i = 2; i < words.n; i++)
                strvec_push(&d.components, words.v[i]);
        strvec_clear(&words);
        ret = add_decl(cfg, &d, origin, err);
cleanup:
        decl_release(&d);
        return ret;
}

/* A sources file's text: capped in size, no NUL byte. */
static int read_sources_text(const char *path, const char *shown, char **data, size_t *len,
                             struct distill_error *err)
{
        int e = read_file_capped(path, SOURCES_FILE_MAX, data, len);
        if (e < 0)
                return distill_error_errno(err, e == -EFBIG ? DISTILL_EUSAGE : DISTILL_EIO, -e,
                                           "%s", shown);
        if (memchr(*data, '\0', *len)) {
                free(*data);
                *data = NULL;
                return distill_error_set(err, DISTILL_EUSAGE, "%s: NUL byte", shown);
        }
        return 0;
}

static int parse_list_file(struct apt_config *cfg, const char *root, const char *path,
                           const char *shown, struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len;
        int e = read_sources_text(path, shown, &data, &len, err);
        if (e < 0)
                return e;
        int lineno = 0;
        char *p = data;
        while (p && *p) {
                char *nl = strchr(p, '\n');
                if (nl)
                        *nl = '\0';
                lineno++;
                cleanup_free char *origin = xasprintf("%s:%d", shown, lineno);
                int ret = parse_list_line(cfg, root, p, origin, err);
                if (ret < 0)
                        return ret;
                p = nl ? nl + 1 : NULL;
        }
        return 0;
}

/* deb822 .sources files (sources.list(5)): comment lines allowed, as apt allows them. */
static const struct deb822_format sources_format = {.error_code = DISTILL_EUSAGE, .comments = true};

/* An inline armored key as a deb822 field value: first line empty, "." for empty lines. */
static int write_inline_key(struct apt_config *cfg, const struct deb822_field *f,
                            const char *origin, char **path, struct distill_error *err)
{
        struct strbuf key = STRBUF_INIT;
        struct strvec lines = STRVEC_INIT;
        deb822_lines(f, DEB822_DOT_IS_EMPTY, &lines);
        for (size_t i = 0; i < lines.n; i++) {
                strbuf_adds(&key, lines.v[i]);
                if (key.len > 0)
                        strbuf_addch(&key, '\n');
        }
        strvec_clear(&lines);
        char *dir = temp_dir_make("key");
        if (!dir) {
                strbuf_release(&key);
                return distill_error_errno(err, DISTILL_EIO, errno,
                                           "%s: directory for the inline Signed-By key", origin);
        }
        char *file = path_join(dir, "signed-by.asc");
        free(dir);
        int e = write_file_atomic(file, key.buf ? key.buf : "", key.len, 0600);
        strbuf_release(&key);
        strvec_push(&cfg->temp_files, file); /* released (and the directory removed) either way */
        if (e < 0) {
                free(file);
                return distill_error_errno(err, DISTILL_EIO, -e, "%s: writing the inline key",
                                           origin);
        }
        *path = file;
        return 0;
}

/* The words of a field's value, on however many lines, appended to sv. */
static void field_words(const struct deb822_field *f, struct strvec *sv)
{
        cleanup_free char *v = deb822_folded(f);
        split_words(v, sv);
}

static int stanza_to_entries(struct apt_config *cfg, const char *root,
                             const struct deb822_stanza *st, const char *shown,
                             struct distill_error *err)
{
        cleanup_free char *origin = xasprintf("%s:%u", shown, st->line);
        const struct deb822_field *f;
        struct source_decl d = {.check_valid_until = -1};
        int ret = 0;

        if ((f = deb822_get(st, "Enabled"))) {
                cleanup_free char *v = deb822_folded(f);
                int b;
                if (parse_bool(v, &b) < 0)
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s:%u: Enabled: not a boolean", shown, f->line);
                if (!b)
                        return 0;
        }
        struct strvec types = STRVEC_INIT;
        if ((f = deb822_get(st, "Types")))
                field_words(f, &types);
        bool deb = strvec_contains(&types, "deb");
        for (size_t i = 0; i < types.n && ret == 0; i++)
                if (strcmp(types.v[i], "deb") != 0 && strcmp(types.v[i], "deb-src") != 0)
                        ret = distill_error_set(err, DISTILL_EUSAGE,
                                                "%s:%u: unknown type \"%s\" (want deb or deb-src)",
                                                shown, f->line, types.v[i]);
        if (!f && ret == 0)
                ret = distill_error_set(err, DISTILL_EUSAGE, "%s: stanza without Types", origin);
        strvec_clear(&types);
        if (ret < 0 || !deb)
                return ret;

        for (size_t i = 0; i < st->n; i++) {
                const struct deb822_field *g = &st->fields[i];
                cleanup_free char *name = xstrndup(g->name, g->name_len);
                if (!is_insecure_option(name))
                        continue;
                cleanup_free char *v = deb822_folded(g);
                cleanup_free char *where = xasprintf("%s:%u", shown, g->line);
                if ((ret = refuse_insecure(name, v, where, err)) < 0)
                        goto cleanup;
        }
        if ((f = deb822_get(st, "URIs")))
                field_words(f, &d.uris);
        if ((f = deb822_get(st, "Suites")))
                field_words(f, &d.suites);
        if ((f = deb822_get(st, "Components")))
                field_words(f, &d.components);
        if ((f = deb822_get(st, "Architectures")))
                field_words(f, &d.archs);
        if ((f = deb822_get(st, "Check-Valid-Until"))) {
                cleanup_free char *v = deb822_folded(f);
                int b;
                if (parse_bool(v, &b) < 0) {
                        ret = distill_error_set(err, DISTILL_EUSAGE,
                                                "%s:%u: Check-Valid-Until: not a boolean: \"%s\"",
                                                shown, f->line, v);
                        goto cleanup;
                }
                d.check_valid_until = b;
        }
        if ((f = deb822_get(st, "Signed-By"))) {
                cleanup_free char *where = xasprintf("%s:%u", shown, f->line);
                cleanup_free char *v = deb822_folded(f);
                if (strstr(v, "-----BEGIN PGP PUBLIC KEY BLOCK-----"))
                        ret = write_inline_key(cfg, f, where, &d.signed_by_file, err);
                else
                        ret = set_signed_by_path(&d, root, v, where, err);
                if (ret < 0)
                        goto cleanup;
        }
        ret = add_decl(cfg, &d, origin, err);
cleanup:
        decl_release(&d);
        return ret;
}

static int parse_sources_file(struct apt_config *cfg, const char *root, const char *path,
                              const char *shown, struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len;
        int ret = read_sources_text(path, shown, &data, &len, err);
        if (ret < 0)
                return ret;
        struct deb822_reader *rd = deb822_open(data, len, shown, &sources_format);
        struct deb822_stanza st;
        while ((ret = deb822_next(rd, &st, err)) > 0)
                if ((ret = stanza_to_entries(cfg, root, &st, shown, err)) < 0)
                        break;
        deb822_close(rd);
        return ret;
}

/* apt's settings: `apt-config dump` prints one `Name "value";` line per option. */
static void set_proxy(char **slot, const char *value)
{
        free(*slot);
        *slot = NULL;
        /* "DIRECT" (and an empty value) mean: no proxy */
        if (*value && strcasecmp(value, "DIRECT") != 0)
                *slot = xstrdup(value);
}

static bool in_path(const char *prog)
{
        cleanup_free char *found = spawn_find_program(prog);
        return found != NULL;
}

static int read_apt_settings(struct apt_config *cfg, struct distill_error *err)
{
        if (!in_path("apt-config"))
                return 0; /* not an apt host: apt's defaults */
        char *argv[] = {"apt-config", "dump", NULL};
        /* APT_CONFIG names a further configuration file apt reads; apt-config must report what
         * apt itself would use here, so that variable is passed, and nothing else of ours
         * changes what `dump` prints. */
        static const char *const apt_env[] = {"APT_CONFIG", NULL};
        struct spawn_opts opts = {.argv = argv,
                                  .pass_env = apt_env,
                                  .timeout_s = CHILD_TIMEOUT_S,
                                  .out_cap = APT_DUMP_MAX};
        struct spawn_result r;
        int ret = spawn_run(&opts, &r, err);
        if (ret < 0)
                goto cleanup;
        if (spawn_exit_code(&r) != 0) {
                cleanup_free char *why = first_line(&r.err);
                ret = distill_error_set(err, DISTILL_EIO, "apt-config dump failed (exit %d): %s",
                                        spawn_exit_code(&r), why);
                goto cleanup;
        }
        char *p = r.out.buf;
        while (p && *p) {
                char *nl = strchr(p, '\n');
                if (nl)
                        *nl = '\0';
                char *line = p;
                p = nl ? nl + 1 : NULL;
                char *sp = strchr(line, ' ');
                if (!sp)
                        continue;
                *sp = '\0';
                char *q1 = strchr(sp + 1, '"'), *q2 = strrchr(sp + 1, '"');
                if (!q1 || q2 <= q1)
                        continue;
                *q2 = '\0';
                const char *value = q1 + 1;
                if (strcasecmp(line, "Acquire::http::Proxy") == 0) {
                        set_proxy(&cfg->http_proxy, value);
                } else if (strcasecmp(line, "Acquire::https::Proxy") == 0) {
                        set_proxy(&cfg->https_proxy, value);
                } else if (strcasecmp(line, "Acquire::Check-Valid-Until") == 0) {
                        int b;
                        if (parse_bool(value, &b) == 0)
                                cfg->check_valid_until = b;
                }
        }
cleanup:
        spawn_result_release(&r);
        return ret;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* The names in dir (sorted, C order), or none when it does not exist. */
static int list_dir(const char *dir, struct strvec *names, struct distill_error *err)
{
        struct dirent **ents = NULL;
        int n = scandir(dir, &ents, NULL, cmp_names);
        if (n < 0) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                return distill_error_errno(err, DISTILL_EIO, errno, "%s", dir);
        }
        for (int i = 0; i < n; i++) {
                if (ents[i]->d_name[0] != '.')
                        strvec_push(names, ents[i]->d_name);
                free(ents[i]);
        }
        free(ents);
        return 0;
}

static int find_default_keyrings(const char *root, struct strvec *out, struct distill_error *err)
{
        cleanup_free char *legacy = under_root(root, "/etc/apt/trusted.gpg");
        if (file_exists(legacy))
                strvec_push(out, legacy);
        cleanup_free char *dir = under_root(root, "/etc/apt/trusted.gpg.d");
        struct strvec names = STRVEC_INIT;
        int ret = list_dir(dir, &names, err);
        for (size_t i = 0; ret == 0 && i < names.n; i++) {
                if (!ends_with(names.v[i], ".gpg") && !ends_with(names.v[i], ".asc"))
                        continue;
                char *path = path_join(dir, names.v[i]);
                if (file_exists(path))
                        strvec_push_nodup(out, path);
                else
                        free(path);
        }
        strvec_clear(&names);
        return ret;
}

int apt_config_from_host(const char *root, struct apt_config *out, struct distill_error *err)
{
        memset(out, 0, sizeof(*out));
        out->check_valid_until = true;
        if (!root || !*root)
                root = "/";
        int ret = 0;
        struct strvec names = STRVEC_INIT;
        cleanup_free char *list = under_root(root, "/etc/apt/sources.list");
        cleanup_free char *dir = under_root(root, "/etc/apt/sources.list.d");

        if (file_exists(list) && (ret = parse_list_file(out, root, list, list, err)) < 0)
                goto cleanup;
        if ((ret = list_dir(dir, &names, err)) < 0)
                goto cleanup;
        for (size_t i = 0; i < names.n; i++) {
                bool is_list = ends_with(names.v[i], ".list");
                bool is_sources = ends_with(names.v[i], ".sources");
                if (!is_list && !is_sources)
                        continue; /* apt ignores other names too (*.disabled, *.save, …) */
                cleanup_free char *path = path_join(dir, names.v[i]);
                if (!file_exists(path))
                        continue;
                ret = is_list ? parse_list_file(out, root, path, path, err)
                              : parse_sources_file(out, root, path, path, err);
                if (ret < 0)
                        goto cleanup;
        }
        if (is_root_dir(root) && (ret = read_apt_settings(out, err)) < 0)
                goto cleanup;
        ret = find_default_keyrings(root, &out->default_keyrings, err);
cleanup:
        strvec_clear(&names);
        if (ret < 0)
                apt_config_release(out);
        return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* InRelease: the signed block only, verified by gpgv                                           */

static const char BEGIN_SIGNED[] = "-----BEGIN PGP SIGNED MESSAGE-----";
static const char BEGIN_SIGNATURE[] = "-----BEGIN PGP SIGNATURE-----";
static const char END_SIGNATURE[] = "-----END PGP SIGNATURE-----";

static bool line_is(const char *line, size_t len, const char *what)
{
        return len == strlen(what) && memcmp(line, what, len) == 0;
}

/* gpgv verifies the signed block and ignores whatever surrounds it; apt would then parse bytes
 * nobody signed. The file must be exactly one clearsigned message. Inside it every text line that
 * starts with '-' is dash-escaped ("- -"), so the only lines starting with "-----" are the armor
 * lines, in this order. */
static int check_only_signed_block(const char *data, size_t len, const char *shown,
                                   struct distill_error *err)
{
        if (memchr(data, '\0', len))
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s: NUL byte in InRelease",
                                         shown);
        const char *nl = memchr(data, '\n', len);
        if (!nl || !line_is(data, (size_t)(nl - data), BEGIN_SIGNED))
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s:1: bytes outside the signed block (the file must "
                                         "start with \"%s\")",
                                         shown, BEGIN_SIGNED);
        enum { IN_TEXT, IN_SIGNATURE, AFTER_SIGNATURE } state = IN_TEXT;
        size_t pos = (size_t)(nl - data) + 1;
        int lineno = 2;
        for (; pos < len; lineno++) {
                const char *line = data + pos;
                const char *end = memchr(line, '\n', len - pos);
                size_t ll = end ? (size_t)(end - line) : len - pos;
                if (state == AFTER_SIGNATURE)
                        return distill_error_set(err, DISTILL_EINTEGRITY,
                                                 "%s:%d: bytes outside the signed block (after "
                                                 "the signature)",
                                                 shown, lineno);
                if (ll >= 5 && memcmp(line, "-----", 5) == 0) {
                        if (state == IN_TEXT && line_is(line, ll, BEGIN_SIGNATURE))
                                state = IN_SIGNATURE;
                        else if (state == IN_SIGNATURE && line_is(line, ll, END_SIGNATURE))
                                state = AFTER_SIGNATURE;
                        else
                                return distill_error_set(err, DISTILL_EINTEGRITY,
                                                         "%s:%d: unexpected armor line \"%.*s\" "
                                                         "(InRelease must be one clearsigned "
                                                         "message)",
                                                         shown, lineno, (int)(ll > 80 ? 80 : ll),
                                                         line);
                }
                pos += ll + (end ? 1 : 0);
        }
        if (state != AFTER_SIGNATURE)
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s: no complete signature block",
                                         shown);
        return 0;
}

static char *absolute_path(const char *path)
{
        if (path[0] == '/')
                return xstrdup(path);
        char *cwd = getcwd(NULL, 0);
        char *abs = cwd ? path_join(cwd, path) : xasprintf("./%s", path);
        free(cwd);
        return abs;
}

static bool keyring_is_armored(const char *path)
{
        if (ends_with(path, ".asc"))
                return true;
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
        char buf[128];
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (n <= 0)
                return false;
        buf[n] = '\0';
        const char *p = buf;
        while (is_space(*p))
                p++;
        return starts_with(p, "-----BEGIN PGP PUBLIC KEY BLOCK-----");
}

/* gpgv reads binary keyrings only; an armored one is converted into the scratch homedir. */
static int keyring_for_gpgv(const char *keyring, const char *home, int index, char **out,
                            struct distill_error *err)
{
        cleanup_free char *abs = absolute_path(keyring);
        if (access(abs, R_OK) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "keyring %s", keyring);
        if (!keyring_is_armored(abs)) {
                *out = abs;
                abs = NULL;
                return 0;
        }
        char *bin = xasprintf("%s/keyring-%d.gpg", home, index);
        char *argv[] = {"gpg",
                        "--batch",
                        "--no-options",
                        "--no-default-keyring",
                        "--homedir",
                        (char *)home,
                        "--yes",
                        "--output",
                        bin,
                        "--dearmor",
                        abs,
                        NULL};
        /* no envp: gpg needs nothing of ours, its arguments name all it uses (a scratch
         * --homedir, --no-options, the two files), and its messages come untranslated */
        struct spawn_opts opts = {
            .argv = argv, .timeout_s = CHILD_TIMEOUT_S, .out_cap = DEARMOR_OUT_MAX};
        struct spawn_result r;
        int ret = spawn_run(&opts, &r, err);
        if (ret == 0 && spawn_exit_code(&r) != 0) {
                cleanup_free char *why = joined_lines(&r.err);
                ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                        "keyring %s: gpg --dearmor failed (exit %d): %s", keyring,
                                        spawn_exit_code(&r), why);
        }
        if (ret == 0)
                *out = bin;
        else
                free(bin);
        spawn_result_release(&r);
        return ret;
}

/* What gpgv's status lines say about the signatures (gpg doc/DETAILS). Like apt: at least one
 * good signature with a strong digest, none bad; a signature by a key outside the keyring
 * (ERRSIG with rc 9, NO_PUBKEY) is tolerated next to a good one. */
struct signature_verdict {
        int signatures, good, missing_key, weak, bad;
        char bad_detail[256];
};

static void parse_gpgv_status(const char *s, struct signature_verdict *v)
{
        memset(v, 0, sizeof(*v));
        while (*s) {
                size_t n = strcspn(s, "\n");
                cleanup_free char *line = xstrndup(s, n);
                s += n;
                if (*s == '\n')
                        s++;
                if (!starts_with(line, "[GNUPG:] "))
                        continue;
                struct strvec w = STRVEC_INIT;
                split_words(line + 9, &w);
                if (w.n == 0) {
                        strvec_clear(&w);
                        continue;
                }
                const char *kw = w.v[0];
                if (strcmp(kw, "NEWSIG") == 0) {
                        v->signatures++;
                } else if (strcmp(kw, "VALIDSIG") == 0) {
                        /* VALIDSIG fpr date ts expire version reserved pkalgo hashalgo … */
                        long hash = w.n > 8 ? strtol(w.v[8], NULL, 10) : 0;
                        if (hash == 1 || hash == 2 || hash == 3) /* MD5, SHA-1, RIPEMD-160 */
                                v->weak++;
                        else
                                v->good++;
                } else if (strcmp(kw, "ERRSIG") == 0) {
                        /* ERRSIG keyid pkalgo hashalgo class time rc [fpr] */
                        if (w.n > 6 && strcmp(w.v[6], "9") == 0) {
                                v->missing_key++;
                        } else {
                                v->bad++;
                                snprintf(v->bad_detail, sizeof(v->bad_detail), "%s", line + 9);
                        }
                } else if (strcmp(kw, "BADSIG") == 0 || strcmp(kw, "EXPKEYSIG") == 0 ||
                           strcmp(kw, "REVKEYSIG") == 0 || strcmp(kw, "EXPSIG") == 0) {
                        v->bad++;
                        snprintf(v->bad_detail, sizeof(v->bad_detail), "%s", line + 9);
                }
                strvec_clear(&w);
        }
}

static void describe_keyrings(const struct strvec *keyrings, struct strbuf *sb)
{
        for (size_t i = 0; i < keyrings->n; i++) {
                if (i)
                        strbuf_adds(sb, ", ");
                if (i == 4 && keyrings->n > 5) {
                        strbuf_addf(sb, "… (%zu keyrings)", keyrings->n);
                        break;
                }
                strbuf_adds(sb, keyrings->v[i]);
        }
}

/* shown names the file in messages (its URL when it is a download's temp file). */
static int verify_inrelease(const char *inrelease_path, const char *shown,
                            const struct strvec *keyrings, char **plaintext, size_t *len,
                            struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t dlen;
        int ret = 0;
        char *home = NULL;
        struct strvec argv = STRVEC_INIT;
        struct spawn_result r = {0};

        if (!keyrings || keyrings->n == 0)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: no keyring to verify it with (no Signed-By and no "
                                         "default apt keyring)",
                                         shown);
        int e = read_file_capped(inrelease_path, INRELEASE_MAX, &data, &dlen);
        if (e < 0)
                return distill_error_errno(err, e == -EFBIG ? DISTILL_EINTEGRITY : DISTILL_EIO, -e,
                                           "%s", shown);
        if ((ret = check_only_signed_block(data, dlen, shown, err)) < 0)
                return ret;

        home = temp_dir_make("gpgv");
        if (!home)
                return distill_error_errno(err, DISTILL_EIO, errno, "scratch directory for gpgv");
        strvec_push(&argv, "gpgv");
        strvec_push(&argv, "--homedir");
        strvec_push(&argv, home);
        strvec_push(&argv, "--status-fd");
        strvec_push(&argv, "3");
        for (size_t i = 0; i < keyrings->n; i++) {
                char *k = NULL;
                if ((ret = keyring_for_gpgv(keyrings->v[i], home, (int)i, &k, err)) < 0)
                        goto cleanup;
                strvec_push(&argv, "--keyring");
                strvec_push_nodup(&argv, k);
        }
        strvec_push(&argv, "--output");
        strvec_push(&argv, "-");
        strvec_push_nodup(&argv, absolute_path(inrelease_path));
        /* no envp: as for gpg --dearmor, the arguments name all gpgv uses (a scratch --homedir,
         * exactly these keyrings), and its messages come untranslated */
        struct spawn_opts opts = {.argv = argv.v,
                                  .timeout_s = CHILD_TIMEOUT_S,
                                  .out_cap = INRELEASE_MAX,
                                  .extra = {{.child_fd = 3, .cap = GPGV_STATUS_MAX}},
                                  .n_extra = 1};
        if ((ret = spawn_run(&opts, &r, err)) < 0)
                goto cleanup;

        struct signature_verdict v;
        parse_gpgv_status(strbuf_str(&r.extra[0]), &v);
        bool accepted = v.good > 0 && v.bad == 0 &&
                        v.signatures == v.good + v.missing_key + v.weak &&
                        (spawn_exit_code(&r) == 0 || v.missing_key > 0);
        if (!accepted) {
                struct strbuf kr = STRBUF_INIT;
                describe_keyrings(keyrings, &kr);
                cleanup_free char *why = joined_lines(&r.err);
                const char *reason = v.bad               ? "bad signature"
                                     : v.weak && !v.good ? "only weak-digest signatures"
                                     : v.missing_key     ? "not signed by a key of the keyring"
                                                         : "signature not verified";
                ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                        "%s: %s (keyring %s; gpgv exit %d: %s)", shown, reason,
                                        strbuf_str(&kr), spawn_exit_code(&r), why);
                strbuf_release(&kr);
                goto cleanup;
        }
        *len = r.out.len;
        *plaintext = strbuf_detach(&r.out);
cleanup:
        spawn_result_release(&r);
        strvec_clear(&argv);
        if (home)
                rm_rf(home);
        free(home);
        return ret;
}

int apt_verify_inrelease(const char *inrelease_path, const struct strvec *keyrings,
                         char **plaintext, size_t *len, struct distill_error *err)
{
        return verify_inrelease(inrelease_path, inrelease_path, keyrings, plaintext, len, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Release (the verified plaintext)                                                             */

struct release_file {
        char *path;
        char sha256[SHA256_HEX_LEN + 1];
        uint64_t size;
};

struct release {
        bool has_valid_until;
        int64_t date, valid_until;
        struct strvec archs, components;
        struct release_file *files;
        size_t n_files, alloc_files;
        bool all_in_arch_indexes;       /* No-Support-for-Architecture-all: Packages */
        char *label, *suite, *codename; /* NULL when the Release has none */
};

static void release_free(struct release *rel)
{
        strvec_clear(&rel->archs);
        strvec_clear(&rel->components);
        free(rel->label);
        free(rel->suite);
        free(rel->codename);
        for (size_t i = 0; i < rel->n_files; i++)
                free(rel->files[i].path);
        free(rel->files);
        memset(rel, 0, sizeof(*rel));
}

static const struct release_file *release_find(const struct release *rel, const char *path)
{
        for (size_t i = 0; i < rel->n_files; i++)
                if (strcmp(rel->files[i].path, path) == 0)
                        return &rel->files[i];
        return NULL;
}

/* RFC 2822 dates as apt writes and reads them ("Sat, 10 May 2025 08:26:57 UTC"), in the C
 * locale whatever the process's locale is. */
static int parse_release_date(const char *s, int64_t *out)
{
        locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
        if (!c)
                return -1;
        locale_t old = uselocale(c);
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        while (is_space(*s))
                s++;
        const char *end = isalpha((unsigned char)*s) ? strptime(s, "%a, %d %b %Y %H:%M:%S", &tm)
                                                     : strptime(s, "%d %b %Y %H:%M:%S", &tm);
        uselocale(old);
        freelocale(c);
        if (!end)
                return -1;
        while (is_space(*end))
                end++;
        long offset = 0;
        if (strcmp(end, "UTC") == 0 || strcmp(end, "GMT") == 0 || strcmp(end, "Z") == 0 ||
            *end == '\0') {
                offset = 0;
        } else if ((end[0] == '+' || end[0] == '-') && strlen(end) == 5 &&
                   strspn(end + 1, "0123456789") == 4) {
                long hh = (end[1] - '0') * 10 + (end[2] - '0');
                long mm = (end[3] - '0') * 10 + (end[4] - '0');
                offset = (hh * 3600 + mm * 60) * (end[0] == '-' ? -1 : 1);
        } else {
                return -1;
        }
        time_t t = timegm(&tm);
        if (t == (time_t)-1)
                return -1;
        *out = (int64_t)t - offset;
        return 0;
}

static int parse_sha256_line(struct release *rel, char *line, const char *shown, int lineno,
                             struct distill_error *err)
{
        struct strvec w = STRVEC_INIT;
        split_words(line, &w);
        int ret = 0;
        char *endp = NULL;
        unsigned long long size = 0;
        if (w.n != 3 || !sha256_hex_valid(w.v[0])) {
                ret = distill_error_set(err, DISTILL_EUSAGE,
                                        "%s:%d: malformed SHA256 line (want \"HASH SIZE PATH\")",
                                        shown, lineno);
                goto out;
        }
        errno = 0;
        size = strtoull(w.v[1], &endp, 10);
        if (errno || *endp || !isdigit((unsigned char)w.v[1][0])) {
                ret = distill_error_set(err, DISTILL_EUSAGE, "%s:%d: bad size \"%s\"", shown,
                                        lineno, w.v[1]);
                goto out;
        }
        if (rel->n_files >= RELEASE_FILES_MAX) {
                ret = distill_error_set(err, DISTILL_EUSAGE, "%s:%d: more than %d files listed",
                                        shown, lineno, RELEASE_FILES_MAX);
                goto out;
        }
        if (rel->n_files == rel->alloc_files) {
                rel->alloc_files = rel->alloc_files ? 2 * rel->alloc_files : 64;
                rel->files = xrealloc(rel->files, rel->alloc_files * sizeof(*rel->files));
        }
        struct release_file *f = &rel->files[rel->n_files++];
        memcpy(f->sha256, w.v[0], SHA256_HEX_LEN + 1);
        f->size = size;
        f->path = xstrdup(w.v[2]);
out:
        strvec_clear(&w);
        return ret;
}

/* Release files: deb822 without comments, of which the first stanza counts. Its SHA256 list
 * makes it larger than other stanzas: it may fill the whole file. */
static const struct deb822_format release_format = {.error_code = DISTILL_EUSAGE,
                                                    .max_stanza = INRELEASE_MAX};

/* "SHA256:" then one "HASH SIZE PATH" per line (the first line is usually empty). */
static int parse_sha256_list(struct release *rel, const struct deb822_field *f, const char *shown,
                             struct distill_error *err)
{
        struct deb822_line l = DEB822_LINE_INIT;
        while (deb822_next_line(f, &l)) {
                if (l.len == 0)
                        continue;
                cleanup_free char *line = xstrndup(l.s, l.len);
                int ret = parse_sha256_line(rel, line, shown, (int)l.line, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

/* Label, Suite, Codename: one line each, kept for callers that tell a security suite from the
 * others (`distill outdated`); capped, as the rest of the signed text is. */
static void release_set_name(char **slot, const struct deb822_field *f)
{
        char *v = deb822_first_line(f);
        if (strlen(v) > RELEASE_NAME_MAX)
                v[RELEASE_NAME_MAX] = '\0';
        free(*slot);
        *slot = v;
}

static int parse_release_field(struct release *rel, const struct deb822_field *f, const char *shown,
                               struct distill_error *err)
{
        if (deb822_field_is(f, "SHA256"))
                return parse_sha256_list(rel, f, shown, err);
        if (deb822_field_is(f, "Architectures")) {
                field_words(f, &rel->archs);
        } else if (deb822_field_is(f, "Components")) {
                field_words(f, &rel->components);
        } else if (deb822_field_is(f, "Date")) {
                cleanup_free char *v = deb822_first_line(f);
                if (parse_release_date(v, &rel->date) < 0)
                        return distill_error_set(err, DISTILL_EUSAGE, "%s:%u: bad Date \"%.80s\"",
                                                 shown, f->line, v);
        } else if (deb822_field_is(f, "Valid-Until")) {
                cleanup_free char *v = deb822_first_line(f);
                if (parse_release_date(v, &rel->valid_until) < 0)
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s:%u: bad Valid-Until \"%.80s\"", shown, f->line,
                                                 v);
                rel->has_valid_until = true;
        } else if (deb822_field_is(f, "Label")) {
                release_set_name(&rel->label, f);
        } else if (deb822_field_is(f, "Suite")) {
                release_set_name(&rel->suite, f);
        } else if (deb822_field_is(f, "Codename")) {
                release_set_name(&rel->codename, f);
        } else if (deb822_field_is(f, "No-Support-for-Architecture-all")) {
                cleanup_free char *v = deb822_first_line(f);
                rel->all_in_arch_indexes = strcmp(v, "Packages") == 0;
        }
        return 0;
}

/* The first stanza of the verified text: the fields distill uses. */
static int parse_release(const char *text, size_t len, const char *shown, struct release *rel,
                         struct distill_error *err)
{
        memset(rel, 0, sizeof(*rel));
        struct deb822_reader *rd = deb822_open(text, len, shown, &release_format);
        struct deb822_stanza st;
        int ret = deb822_next(rd, &st, err);
        bool found = ret > 0;
        for (size_t i = 0; found && ret >= 0 && i < st.n; i++)
                ret = parse_release_field(rel, &st.fields[i], shown, err);
        if (ret >= 0 && !(found && deb822_get(&st, "SHA256")))
                ret = distill_error_set(err, DISTILL_EUSAGE,
                                        "%s: no SHA256 field (distill checks indexes by SHA-256)",
                                        shown);
        deb822_close(rd);
        if (ret < 0) {
                release_free(rel);
                return ret;
        }
        return 0;
}

static void format_date(int64_t t, char *buf, size_t n)
{
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
                snprintf(buf, n, "@%lld", (long long)t);
}

/* ------------------------------------------------------------------------------------------ */
/* Downloads (libcurl)                                                                          */

struct fetcher {
        CURL *curl;
        const struct apt_config *cfg; /* proxies; may be NULL */
        bool progress;
        bool tty;
        char errbuf[CURL_ERROR_SIZE];
};

struct transfer {
        int fd;
        struct digest *md;
        uint64_t written;
        uint64_t cap;
        int too_big_code; /* DISTILL_EINTEGRITY when cap is the size the index promised */
        bool too_big;
        int write_errno;
        char *etag;
        char *last_modified;
        const char *label; /* for the progress bar */
};

enum http_outcome { HTTP_FETCHED, HTTP_NOT_MODIFIED };

static int fetcher_init(struct fetcher *f, const struct apt_config *cfg, bool progress,
                        struct distill_error *err)
{
        static bool curl_ready;
        memset(f, 0, sizeof(*f));
        if (!curl_ready) {
                if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                        return distill_error_set(err, DISTILL_EINTERNAL,
                                                 "libcurl initialisation failed");
                curl_ready = true;
        }
        f->curl = curl_easy_init();
        if (!f->curl)
                return distill_error_set(err, DISTILL_EINTERNAL, "curl_easy_init failed");
        f->cfg = cfg;
        f->progress = progress;
        f->tty = progress && isatty(STDERR_FILENO);
        return 0;
}

static void fetcher_release(struct fetcher *f)
{
        if (f->curl)
                curl_easy_cleanup(f->curl);
        f->curl = NULL;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        struct transfer *t = userdata;
        size_t n = size * nmemb;
        if (t->written + n > t->cap) {
                t->too_big = true;
                return 0; /* aborts the transfer */
        }
        int e = write_all(t->fd, ptr, n);
        if (e < 0) {
                t->write_errno = -e;
                return 0;
        }
        if (t->md)
                digest_update(t->md, ptr, n);
        t->written += n;
        return n;
}

static void set_header_value(char **slot, const char *line, size_t name_len, size_t len)
{
        const char *v = line + name_len;
        size_t n = len - name_len;
        while (n > 0 && is_space(*v)) {
                v++;
                n--;
        }
        while (n > 0 && is_space(v[n - 1]))
                n--;
        free(*slot);
        *slot = n > 0 && n < 1024 ? xstrndup(v, n) : NULL;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
        struct transfer *t = userdata;
        size_t n = size * nmemb;
        if (n >= 5 && strncasecmp(line, "HTTP/", 5) == 0) { /* a new response (redirect) */
                free(t->etag);
                free(t->last_modified);
                t->etag = t->last_modified = NULL;
        } else if (n > 5 && strncasecmp(line, "ETag:", 5) == 0) {
                set_header_value(&t->etag, line, 5, n);
        } else if (n > 14 && strncasecmp(line, "Last-Modified:", 14) == 0) {
                set_header_value(&t->last_modified, line, 14, n);
        }
        return n;
}

static int on_progress(void *userdata, curl_off_t total, curl_off_t now, curl_off_t ut,
                       curl_off_t un)
{
        (void)ut;
        (void)un;
        const struct transfer *t = userdata;
        if (total <= 0)
                return 0;
        int width = 30, filled = (int)(now * width / total);
        if (filled > width)
                filled = width;
        fprintf(stderr, "\r  [%.*s%*s] %3d%% %.60s", filled,
                "==============================", width - filled, "", (int)(now * 100 / total),
                t->label);
        return 0;
}

static const char *proxy_for(const struct fetcher *f, const char *url)
{
        if (!f->cfg)
                return NULL;
        if (starts_with(url, "http://"))
                return f->cfg->http_proxy;
        /* apt's https method falls back to the http proxy setting */
        if (starts_with(url, "https://"))
                return f->cfg->https_proxy ? f->cfg->https_proxy : f->cfg->http_proxy;
        return NULL;
}

/* GET url into t (conditional when etag/last_modified are given). */
static int http_get(struct fetcher *f, const char *url, const char *etag, const char *last_modified,
                    struct transfer *t, enum http_outcome *outcome, struct distill_error *err)
{
        CURL *c = f->curl;
        struct curl_slist *headers = NULL;
        int ret = 0;

        curl_easy_reset(c); /* keeps the connection cache */
        f->errbuf[0] = '\0';
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRECTS);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, HTTP_STALL_SECONDS);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "distill/" DISTILL_VERSION);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->errbuf);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
        const char *proxy = proxy_for(f, url);
        if (proxy)
                curl_easy_setopt(c, CURLOPT_PROXY, proxy);
        if (etag) {
                char *h = xasprintf("If-None-Match: %s", etag);
                headers = curl_slist_append(headers, h);
                free(h);
        }
        if (last_modified) {
                char *h = xasprintf("If-Modified-Since: %s", last_modified);
                headers = curl_slist_append(headers, h);
                free(h);
        }
        if (headers)
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        if (f->tty) {
                curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
                curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
                curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
        }

        CURLcode rc = curl_easy_perform(c);
        if (f->tty)
                fputs("\r\033[K", stderr);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (t->too_big) {
                ret = distill_error_set(err, t->too_big_code,
                                        "%s: larger than the %llu bytes expected", url,
                                        (unsigned long long)t->cap);
        } else if (t->write_errno) {
                ret = distill_error_errno(err, DISTILL_EIO, t->write_errno,
                                          "%s: writing the download", url);
        } else if (rc != CURLE_OK) {
                ret = distill_error_set(err, DISTILL_EIO, "%s: %s", url,
                                        f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc));
        } else if (code == 304 && (etag || last_modified)) {
                *outcome = HTTP_NOT_MODIFIED;
        } else if (code == 0 || (code >= 200 && code < 300)) {
                *outcome = HTTP_FETCHED;
        } else {
                ret = distill_error_set(err, DISTILL_EIO, "%s: unexpected HTTP status %ld", url,
                                        code);
        }
        if (ret == 0 && f->progress)
                fprintf(stderr, "%s %s%s\n", *outcome == HTTP_NOT_MODIFIED ? "Hit" : "Get", url,
                        *outcome == HTTP_NOT_MODIFIED ? " (not modified)" : "");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(headers);
        return ret;
}

/* A temp file next to its final name: never a name a reader could take for a verified file. */
static int open_temp(const char *dir, char **tmp, struct distill_error *err)
{
        *tmp = xasprintf("%s/.tmp-XXXXXX", dir);
        int fd = mkostemp(*tmp, O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                free(*tmp);
                *tmp = NULL;
                return distill_error_errno(err, DISTILL_EIO, e, "temp file in %s", dir);
        }
        fchmod(fd, 0644);
        return fd;
}

/* Close a finished temp file and give it its final name; on failure the caller's cleanup
 * removes the temp file (*tmp stays set). */
static int commit_temp(int *fd, char **tmp, const char *final, struct distill_error *err)
{
        int e = close(*fd);
        *fd = -1;
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s", *tmp);
        if (rename(*tmp, final) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s", final);
        free(*tmp);
        *tmp = NULL;
        return 0;
}

/* CACHE/<sha256>: a present file must still match; otherwise url is downloaded into a temp file
 * in the same directory, its size and SHA-256 checked, and renamed. */
static int fetch_blob(struct fetcher *f, const char *url, const char *dir, const char *sha256,
                      uint64_t size, char **path_out, struct distill_error *err)
{
        char want[SHA256_HEX_LEN + 1];
        if (!sha256_hex_valid(sha256))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: \"%s\" is not a SHA-256", url,
                                         sha256);
        memcpy(want, sha256, sizeof(want));
        int e = mkdir_p(dir, 0755);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "%s", dir);
        char *path = path_join(dir, want);
        char got[SHA256_HEX_LEN + 1];
        uint64_t got_size = 0;
        int ret = 0;
        char *tmp = NULL;
        int fd = -1;
        struct transfer t = {0};

        if (file_exists(path)) {
                if ((e = sha256_file(path, got, &got_size)) < 0) {
                        ret = distill_error_errno(err, DISTILL_EIO, -e, "%s", path);
                } else if (strcmp(got, want) != 0 || got_size != size) {
                        ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                                "%s: cached file no longer matches: SHA-256 %s "
                                                "(%llu bytes), expected %s (%llu bytes); remove "
                                                "it to download %s again",
                                                path, got, (unsigned long long)got_size, want,
                                                (unsigned long long)size, url);
                }
                goto cleanup;
        }
        if ((fd = open_temp(dir, &tmp, err)) < 0) {
                ret = fd;
                goto cleanup;
        }
        t.fd = fd;
        t.md = digest_sha256();
        t.cap = size;
        t.too_big_code = DISTILL_EINTEGRITY;
        t.label = path_basename(url);
        enum http_outcome outcome;
        if ((ret = http_get(f, url, NULL, NULL, &t, &outcome, err)) < 0)
                goto cleanup;
        digest_finish_hex(t.md, got);
        t.md = NULL;
        if (t.written != size || strcmp(got, want) != 0) {
                ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                        "%s: SHA-256 %s (%llu bytes) does not match the expected "
                                        "%s (%llu bytes)",
                                        url, got, (unsigned long long)t.written, want,
                                        (unsigned long long)size);
                goto cleanup;
        }
        ret = commit_temp(&fd, &tmp, path, err);
cleanup:
        if (fd >= 0)
                close(fd);
        if (tmp) {
                unlink(tmp);
                free(tmp);
        }
        digest_free(t.md);
        free(t.etag);
        free(t.last_modified);
        if (ret == 0)
                *path_out = path;
        else
                free(path);
        return ret;
}

int apt_fetch_verified(const struct apt_config *cfg, const char *cache_dir, const char *url,
                       const char *sha256, uint64_t size, char **path, struct distill_error *err)
{
        struct fetcher f;
        int ret = fetcher_init(&f, cfg, false, err);
        if (ret < 0)
                return ret;
        cleanup_free char *dir = path_join(cache_dir, "debs");
        ret = fetch_blob(&f, url, dir, sha256, size, path, err);
        fetcher_release(&f);
        return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* Indexes                                                                                      */

static bool is_flat(const struct apt_source_entry *src)
{
        return ends_with(src->suite, "/");
}

/* A flat repository's directory under its URI: "./" is the URI itself. */
static const char *flat_dir(const struct apt_source_entry *src)
{
        const char *s = src->suite;
        while (starts_with(s, "./"))
                s += 2;
        return s;
}

/* What the files the Release lists are relative to (ends with "/"). */
static char *release_base_url(const struct apt_source_entry *src)
{
        return is_flat(src) ? xasprintf("%s/%s", src->uri, flat_dir(src))
                            : xasprintf("%s/dists/%s/", src->uri, src->suite);
}

/* A readable, collision-free directory name for a source: "deb.debian.org_debian_bookworm-"
 * and a hash of the exact URI and suite. */
static char *cache_key(const struct apt_source_entry *src)
{
        struct strbuf sb = STRBUF_INIT;
        const char *u = strstr(src->uri, "://");
        u = u ? u + 3 : src->uri;
        cleanup_free char *readable = xasprintf("%s_%s", u, src->suite);
        for (const char *p = readable; *p && sb.len < 96; p++)
                strbuf_addch(&sb, isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? *p : '_');
        struct digest *md = digest_sha256();
        digest_update(md, src->uri, strlen(src->uri));
        digest_update(md, "\n", 1);
        digest_update(md, src->suite, strlen(src->suite));
        char hex[SHA256_HEX_LEN + 1];
        digest_finish_hex(md, hex);
        strbuf_addf(&sb, "-%.12s", hex);
        return strbuf_detach(&sb);
}

struct validators {
        char *etag;
        char *last_modified;
};

static void validators_release(struct validators *v)
{
        free(v->etag);
        free(v->last_modified);
        v->etag = v->last_modified = NULL;
}

static void read_validators(const char *meta, const char *url, struct validators *v)
{
        json_error_t jerr;
        json_t *root = json_load_file(meta, 0, &jerr);
        if (!root)
                return;
        const char *u = json_string_value(json_object_get(root, "url"));
        const char *etag = json_string_value(json_object_get(root, "etag"));
        const char *lm = json_string_value(json_object_get(root, "last_modified"));
        if (u && strcmp(u, url) == 0) {
                v->etag = etag ? xstrdup(etag) : NULL;
                v->last_modified = lm ? xstrdup(lm) : NULL;
        }
        json_decref(root);
}

static void write_validators(const char *meta, const char *url, const struct transfer *t)
{
        json_t *root = json_pack("{s:s, s:s?, s:s?}", "url", url, "etag", t->etag, "last_modified",
                                 t->last_modified);
        char *text = root ? json_dumps(root, JSON_SORT_KEYS) : NULL;
        if (text)
                write_file_atomic(meta, text, strlen(text), 0644); /* an optimisation only */
        free(text);
        json_decref(root);
}

static bool valid_until_checked(const struct apt_config *cfg, const struct apt_source_entry *src)
{
        if (src->check_valid_until >= 0)
                return src->check_valid_until != 0;
        return cfg->check_valid_until;
}

/* Bring DIR/InRelease up to date with one (conditional) request, verify it and parse the
 * verified text. A new copy replaces the cached one only once it passed every check. */
static int update_release(struct fetcher *f, const struct apt_config *cfg,
                          const struct apt_source_entry *src, const struct apt_fetch_options *opt,
                          const char *dir, struct release *rel, struct distill_error *err)
{
        cleanup_free char *base = release_base_url(src);
        cleanup_free char *url = xasprintf("%sInRelease", base);
        cleanup_free char *cached = path_join(dir, "InRelease");
        cleanup_free char *meta = path_join(dir, "InRelease.json");
        struct validators v = {0};
        struct transfer t = {0};
        struct strvec own_keyring = STRVEC_INIT;
        const struct strvec *keyrings = &cfg->default_keyrings;
        char *tmp = NULL, *text = NULL, *shown = NULL;
        size_t text_len = 0;
        int fd = -1, ret = 0;
        enum http_outcome outcome = HTTP_FETCHED;

        if (src->signed_by) {
                strvec_push(&own_keyring, src->signed_by);
                keyrings = &own_keyring;
        }
        if (file_exists(cached) && !starts_with(url, "file:"))
                read_validators(meta, url, &v);
        if ((fd = open_temp(dir, &tmp, err)) < 0) {
                ret = fd;
                goto cleanup;
        }
        t.fd = fd;
        t.cap = INRELEASE_MAX;
        t.too_big_code = DISTILL_EINTEGRITY;
        t.label = url;
        if ((ret = http_get(f, url, v.etag, v.last_modified, &t, &outcome, err)) < 0)
                goto cleanup;
        close(fd);
        fd = -1;
        const char *verified = outcome == HTTP_NOT_MODIFIED ? cached : tmp;
        shown = xasprintf("%s%s (%s)", url, outcome == HTTP_NOT_MODIFIED ? " [cached]" : "",
                          src->origin);
        if ((ret = verify_inrelease(verified, shown, keyrings, &text, &text_len, err)) < 0)
                goto cleanup;
        if ((ret = parse_release(text, text_len, url, rel, err)) < 0)
                goto cleanup;
        if (rel->has_valid_until && valid_until_checked(cfg, src) && rel->valid_until < opt->now) {
                char until[64], now[64];
                format_date(rel->valid_until, until, sizeof(until));
                format_date(opt->now, now, sizeof(now));
                ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                        "%s: expired: Valid-Until %s is before now (%s) — a "
                                        "stale or replayed archive; for a snapshot mirror set "
                                        "check-valid-until=no on the source (%s)",
                                        url, until, now, src->origin);
                release_free(rel);
                goto cleanup;
        }
        if (outcome == HTTP_FETCHED) {
                if (rename(tmp, cached) < 0) {
                        ret = distill_error_errno(err, DISTILL_EIO, errno, "%s", cached);
                        release_free(rel);
                        goto cleanup;
                }
                free(tmp);
                tmp = NULL;
                if (!starts_with(url, "file:"))
                        write_validators(meta, url, &t);
        }
cleanup:
        if (fd >= 0)
                close(fd);
        if (tmp) {
                unlink(tmp);
                free(tmp);
        }
        free(text);
        free(shown);
        free(t.etag);
        free(t.last_modified);
        validators_release(&v);
        strvec_clear(&own_keyring);
        return ret;
}

/* Where a decompressed index goes: to the file whole, or only the lines a filter keeps (a
 * Contents index is hundreds of MiB of text of which distill needs a few thousand lines: they are
 * picked out as the text streams by, never held whole). The text written is hashed. */
struct index_writer {
        int fd;
        struct digest *md;
        bool (*keep_line)(const char *line, size_t len); /* NULL: everything */
        struct strbuf line;                              /* a line split across reads */
        bool overlong; /* the current line passed INDEX_LINE_MAX: dropped */
};

static int writer_emit(struct index_writer *w, const char *data, size_t n)
{
        int e = write_all(w->fd, data, n);
        if (e < 0)
                return e;
        digest_update(w->md, data, n);
        return 0;
}

/* One whole line (without its '\n'), kept or not. */
static int writer_line(struct index_writer *w, const char *line, size_t len)
{
        if (!w->keep_line(line, len))
                return 0;
        int e = writer_emit(w, line, len);
        return e < 0 ? e : writer_emit(w, "\n", 1);
}

static int writer_put(struct index_writer *w, const char *buf, size_t n)
{
        if (!w->keep_line)
                return writer_emit(w, buf, n);
        while (n > 0) {
                const char *nl = memchr(buf, '\n', n);
                size_t take = nl ? (size_t)(nl - buf) : n;
                int e = 0;
                if (w->line.len == 0 && !w->overlong && nl) {
                        e = writer_line(w, buf, take); /* the usual case: no copy */
                } else {
                        if (!w->overlong && w->line.len + take <= INDEX_LINE_MAX)
                                strbuf_add(&w->line, buf, take);
                        else
                                w->overlong = true;
                        if (nl) {
                                if (!w->overlong)
                                        e = writer_line(w, w->line.buf, w->line.len);
                                strbuf_reset(&w->line);
                                w->overlong = false;
                        }
                }
                if (e < 0)
                        return e;
                buf += take + (nl ? 1 : 0);
                n -= take + (nl ? 1 : 0);
        }
        return 0;
}

static int writer_finish(struct index_writer *w)
{
        int e = 0;
        if (w->keep_line && w->line.len > 0 && !w->overlong)
                e = writer_line(w, w->line.buf, w->line.len); /* a last line without '\n' */
        strbuf_release(&w->line);
        return e;
}

/* Decompress a verified index (xz, gzip or none: libarchive's raw format with every filter) into
 * plain_dir/name, hashing the text written; keep_line, when given, selects the lines kept. */
static int decompress_index(const char *blob, const char *plain_dir, const char *name,
                            bool (*keep_line)(const char *line, size_t len),
                            char hex[SHA256_HEX_LEN + 1], struct distill_error *err)
{
        char *tmp = NULL, *final = NULL;
        int fd = open_temp(plain_dir, &tmp, err);
        if (fd < 0)
                return fd;
        struct archive *a = archive_read_new();
        struct index_writer w = {.fd = fd, .md = digest_sha256(), .keep_line = keep_line};
        int ret = 0;
        uint64_t total = 0;
        archive_read_support_filter_all(a);
        archive_read_support_format_raw(a);
        archive_read_support_format_empty(a);
        struct archive_entry *entry;
        if (archive_read_open_filename(a, blob, 65536) != ARCHIVE_OK) {
                /* the bytes were verified: a stream that does not even start is the archive's
                 * fault, not the disk's */
                int e = archive_errno(a);
                bool io = e == ENOENT || e == EACCES || e == EIO || e == ENOMEM;
                ret = distill_error_set(err, io ? DISTILL_EIO : DISTILL_EINTEGRITY, "%s: %s", blob,
                                        archive_error_string(a));
                goto cleanup;
        }
        int r = archive_read_next_header(a, &entry);
        if (r == ARCHIVE_OK) {
                char buf[65536];
                la_ssize_t n;
                while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
                        total += (uint64_t)n;
                        if (total > PLAIN_INDEX_MAX) {
                                ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                                        "%s: decompresses to more than %llu bytes",
                                                        blob, (unsigned long long)PLAIN_INDEX_MAX);
                                goto cleanup;
                        }
                        int e = writer_put(&w, buf, (size_t)n);
                        if (e < 0) {
                                ret = distill_error_errno(err, DISTILL_EIO, -e, "%s", tmp);
                                goto cleanup;
                        }
                }
                if (n < 0) {
                        ret = distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s", blob,
                                                archive_error_string(a));
                        goto cleanup;
                }
        } else if (r != ARCHIVE_EOF) {
                ret = distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s", blob,
                                        archive_error_string(a));
                goto cleanup;
        }
        int e = writer_finish(&w);
        if (e < 0) {
                ret = distill_error_errno(err, DISTILL_EIO, -e, "%s", tmp);
                goto cleanup;
        }
        digest_finish_hex(w.md, hex);
        w.md = NULL;
        final = path_join(plain_dir, name);
        ret = commit_temp(&fd, &tmp, final, err);
cleanup:
        if (fd >= 0)
                close(fd);
        if (tmp) {
                unlink(tmp);
                free(tmp);
        }
        archive_read_free(a);
        digest_free(w.md);
        strbuf_release(&w.line);
        free(final);
        return ret;
}

/* The best compression the Release lists of the index at stem ("main/binary-amd64/Packages"). */
static const struct release_file *pick_compressed(const struct release *rel, const char *stem,
                                                  char **path_out)
{
        static const char *const suffixes[] = {".xz", ".gz", ""};
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                char *path = xasprintf("%s%s", stem, suffixes[i]);
                const struct release_file *rf = release_find(rel, path);
                if (rf) {
                        *path_out = path;
                        return rf;
                }
                free(path);
        }
        return NULL;
}

/* The Packages index for one component and architecture. */
static const struct release_file *pick_packages(const struct release *rel, bool flat,
                                                const char *component, const char *arch,
                                                char **path_out)
{
        cleanup_free char *stem =
            flat ? xstrdup("Packages") : xasprintf("%s/binary-%s/Packages", component, arch);
        return pick_compressed(rel, stem, path_out);
}

struct index_list {
        struct apt_index *v;
        size_t n, alloc;
};

static int fetch_index(struct fetcher *f, const struct apt_source_entry *src,
                       const struct release *rel, const struct apt_fetch_options *opt,
                       const char *component, const char *arch, struct index_list *out,
                       struct distill_error *err)
{
        bool flat = is_flat(src);
        cleanup_free char *rel_path = NULL;
        const struct release_file *rf = pick_packages(rel, flat, component, arch, &rel_path);
        if (!rf) {
                if (strcmp(arch, "all") == 0)
                        return 0; /* binary-all is optional */
                cleanup_free char *base = release_base_url(src);
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%sInRelease lists no %s%sbinary-%s/Packages index "
                                         "(%s: component or architecture not in this suite?)",
                                         base, flat ? "" : component, flat ? "" : "/", arch,
                                         src->origin);
        }
        cleanup_free char *plain_dir = xasprintf("%s/indexes/plain", opt->cache_dir);
        cleanup_free char *blob_dir = xasprintf("%s/indexes/by-hash", opt->cache_dir);
        cleanup_free char *plain = path_join(plain_dir, rf->sha256);
        char hex[SHA256_HEX_LEN + 1];
        int e = mkdir_p(plain_dir, 0755);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "%s", plain_dir);
        if (file_exists(plain)) {
                if ((e = sha256_file(plain, hex, NULL)) < 0)
                        return distill_error_errno(err, DISTILL_EIO, -e, "%s", plain);
                if (f->progress)
                        fprintf(stderr, "Hit %s (cached)\n", rel_path);
        } else {
                cleanup_free char *base = release_base_url(src);
                cleanup_free char *url = xasprintf("%s%s", base, rel_path);
                cleanup_free char *blob = NULL;
                int ret = fetch_blob(f, url, blob_dir, rf->sha256, rf->size, &blob, err);
                if (ret < 0)
                        return ret;
                if ((ret = decompress_index(blob, plain_dir, rf->sha256, NULL, hex, err)) < 0)
                        return ret;
        }
        if (out->n == out->alloc) {
                out->alloc = out->alloc ? 2 * out->alloc : 8;
                out->v = xrealloc(out->v, out->alloc * sizeof(*out->v));
        }
        struct apt_index *ix = &out->v[out->n++];
        memset(ix, 0, sizeof(*ix));
        ix->source = src;
        ix->component = xstrdup(component);
        ix->arch = xstrdup(arch);
        ix->packages_path = xstrdup(plain);
        ix->label = rel->label ? xstrdup(rel->label) : NULL;
        ix->suite = rel->suite ? xstrdup(rel->suite) : NULL;
        ix->codename = rel->codename ? xstrdup(rel->codename) : NULL;
        memcpy(ix->sha256, hex, sizeof(ix->sha256));
        return 0;
}

/* Which architectures' indexes a source contributes, as apt chooses them. */
static bool wants_arch(const struct apt_source_entry *src, const struct release *rel,
                       const char *arch)
{
        bool all = strcmp(arch, "all") == 0;
        if (!all && src->archs.n > 0 && !strvec_contains(&src->archs, arch))
                return false;
        if (all && rel->all_in_arch_indexes)
                return false; /* the arch indexes carry the arch:all packages already */
        if (rel->archs.n > 0 && !strvec_contains(&rel->archs, arch))
                return false;
        return true;
}

/* The source's verified Release, its InRelease brought up to date in the source's cache
 * directory. */
static int open_release(struct fetcher *f, const struct apt_config *cfg,
                        const struct apt_source_entry *src, const struct apt_fetch_options *opt,
                        struct release *rel, struct distill_error *err)
{
        cleanup_free char *key = cache_key(src);
        cleanup_free char *dir = xasprintf("%s/indexes/%s", opt->cache_dir, key);
        int e = mkdir_p(dir, 0755);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "%s", dir);
        return update_release(f, cfg, src, opt, dir, rel, err);
}

static int fetch_source(struct fetcher *f, const struct apt_config *cfg,
                        const struct apt_source_entry *src, const struct apt_fetch_options *opt,
                        struct index_list *out, struct distill_error *err)
{
        struct release rel;
        int ret = open_release(f, cfg, src, opt, &rel, err);
        if (ret < 0)
                return ret;
        const char *archs[2] = {opt->arch, "all"};
        size_t n_archs = strcmp(opt->arch, "all") == 0 ? 1 : 2;
        for (size_t a = 0; a < n_archs && ret == 0; a++) {
                if (!wants_arch(src, &rel, archs[a]))
                        continue;
                if (is_flat(src)) {
                        if (a == 0)
                                ret = fetch_index(f, src, &rel, opt, "", opt->arch, out, err);
                        continue;
                }
                for (size_t c = 0; c < src->components.n && ret == 0; c++)
                        ret = fetch_index(f, src, &rel, opt, src->components.v[c], archs[a], out,
                                          err);
        }
        release_free(&rel);
        return ret;
}

void apt_indexes_free(struct apt_index *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].component);
                free(v[i].arch);
                free(v[i].packages_path);
                free(v[i].label);
                free(v[i].suite);
                free(v[i].codename);
        }
        free(v);
}

int apt_fetch_indexes(const struct apt_config *cfg, const struct apt_fetch_options *opt,
                      struct apt_index **out, size_t *n_out, struct distill_error *err)
{
        *out = NULL;
        *n_out = 0;
        if (!cfg || !opt || !opt->cache_dir || !opt->arch || !*opt->arch)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "apt_fetch_indexes: cache directory and architecture "
                                         "are required");
        struct fetcher f;
        int ret = fetcher_init(&f, cfg, opt->progress, err);
        if (ret < 0)
                return ret;
        struct index_list list = {0};
        for (size_t i = 0; i < cfg->n && ret == 0; i++)
                ret = fetch_source(&f, cfg, &cfg->v[i], opt, &list, err);
        fetcher_release(&f);
        if (ret < 0) {
                apt_indexes_free(list.v, list.n);
                return ret;
        }
        *out = list.v;
        *n_out = list.n;
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Contents indexes, reduced to where Python distributions keep their metadata                  */

static bool is_python_dist_line(const char *line, size_t len)
{
        return py_dist_info_prefix(line, len, NULL) > 0;
}

/* The Contents index at stem ("main/Contents-amd64"), when the Release lists it: hash-checked as
 * a Packages index is, reduced while it is decompressed, cached under the compressed file's
 * SHA-256. The compressed download is dropped once reduced: nothing reads it again. */
static int fetch_contents(struct fetcher *f, const struct apt_source_entry *src,
                          const struct release *rel, const struct apt_fetch_options *opt,
                          const char *stem, struct strvec *out, bool *listed,
                          struct distill_error *err)
{
        cleanup_free char *rel_path = NULL;
        const struct release_file *rf = pick_compressed(rel, stem, &rel_path);
        if (!rf)
                return 0;
        *listed = true;
        cleanup_free char *dir = xasprintf("%s/indexes/python-contents", opt->cache_dir);
        cleanup_free char *reduced = path_join(dir, rf->sha256);
        int e = mkdir_p(dir, 0755);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "%s", dir);
        if (file_exists(reduced)) {
                if (f->progress)
                        fprintf(stderr, "Hit %s (cached)\n", rel_path);
        } else {
                cleanup_free char *base = release_base_url(src);
                cleanup_free char *url = xasprintf("%s%s", base, rel_path);
                cleanup_free char *blob_dir = xasprintf("%s/indexes/by-hash", opt->cache_dir);
                cleanup_free char *blob = NULL;
                char hex[SHA256_HEX_LEN + 1];
                int ret = fetch_blob(f, url, blob_dir, rf->sha256, rf->size, &blob, err);
                if (ret < 0)
                        return ret;
                ret = decompress_index(blob, dir, rf->sha256, is_python_dist_line, hex, err);
                if (ret < 0)
                        return distill_error_prefix(err, "%s", url);
                unlink(blob);
        }
        if (!strvec_contains(out, reduced))
                strvec_push(out, reduced);
        return 0;
}

/* COMPONENT/Contents-ARCH for each component, or the suite's own Contents-ARCH where no
 * component has one (older archives: one index for all components); a flat repository's
 * Contents-ARCH next to its Packages. */
static int fetch_source_contents(struct fetcher *f, const struct apt_config *cfg,
                                 const struct apt_source_entry *src,
                                 const struct apt_fetch_options *opt, struct strvec *out,
                                 bool *listed, struct distill_error *err)
{
        struct release rel;
        int ret = open_release(f, cfg, src, opt, &rel, err);
        if (ret < 0)
                return ret;
        const char *archs[2] = {opt->arch, "all"};
        size_t n_archs = strcmp(opt->arch, "all") == 0 ? 1 : 2;
        for (size_t a = 0; a < n_archs && ret == 0; a++) {
                /* arch:all packages are in Contents-all whatever the source's arch= says */
                if (a == 0 && src->archs.n > 0 && !strvec_contains(&src->archs, archs[a]))
                        continue;
                bool found = false;
                for (size_t c = 0; c < src->components.n && ret == 0; c++) {
                        cleanup_free char *stem =
                            xasprintf("%s/Contents-%s", src->components.v[c], archs[a]);
                        ret = fetch_contents(f, src, &rel, opt, stem, out, &found, err);
                }
                if (ret == 0 && !found) {
                        cleanup_free char *stem = xasprintf("Contents-%s", archs[a]);
                        ret = fetch_contents(f, src, &rel, opt, stem, out, &found, err);
                }
                *listed = *listed || found;
        }
        release_free(&rel);
        return ret;
}

int apt_fetch_python_contents(const struct apt_config *cfg, const struct apt_fetch_options *opt,
                              char ***paths, size_t *n, struct distill_error *err)
{
        *paths = NULL;
        *n = 0;
        if (!cfg || !opt || !opt->cache_dir || !opt->arch || !*opt->arch)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "apt_fetch_python_contents: cache directory and "
                                         "architecture are required");
        struct fetcher f;
        int ret = fetcher_init(&f, cfg, opt->progress, err);
        if (ret < 0)
                return ret;
        struct strvec out = STRVEC_INIT;
        bool listed = false;
        for (size_t i = 0; i < cfg->n && ret == 0; i++)
                ret = fetch_source_contents(&f, cfg, &cfg->v[i], opt, &out, &listed, err);
        fetcher_release(&f);
        if (ret == 0 && !listed)
                ret = distill_error_set(err, DISTILL_EUSAGE,
                                        "no apt source lists a Contents-%s or Contents-all index "
                                        "in its InRelease (%zu sources, the first from %s): "
                                        "which package ships a Python distribution cannot be "
                                        "found",
                                        opt->arch, cfg->n, cfg->n ? cfg->v[0].origin : "nowhere");
        if (ret < 0) {
                strvec_clear(&out);
                return ret;
        }
        *paths = out.v;
        *n = out.n;
        return 0;
}
