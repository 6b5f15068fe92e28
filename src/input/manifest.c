/* The manifest (README, "Manifest"): YAML read with libyaml's document API, validated key by key.
 *
 * The file is hostile input: it is capped in size, a first pass over the event stream refuses
 * aliases (the "billion laughs" expansion), non-standard tags, several documents and deep nesting
 * before the document tree is built, and every value is checked for type and shape. Every error
 * names "file:line:col" (1-based) of the offending node. */
#include "distill/input/manifest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "distill/base/arch.h"
#include "distill/base/dockerignore.h"
#include "distill/base/names.h"
#include "distill/base/wildmatch.h"
#include "distill/base/yamldoc.h"

#define MANIFEST_MAX_BYTES    (1024 * 1024)
#define NAME_TOTAL_LENGTH_MAX 255
#define TAG_LENGTH_MAX        128

struct ctx {
        const char *file; /* as given, for messages */
        const char *dir;  /* absolute directory of the manifest */
        struct yamldoc *doc;
        struct manifest *m;
        struct distill_error *err;
};

/* ---- messages and node helpers ---- */

/* An invalid-manifest error at node n; yields -DISTILL_EUSAGE where it is returned. */
#define fail_at(c, n, ...) yaml_fail_at((c)->err, (c)->file, (n), __VA_ARGS__)

static yaml_node_t *node_at(const struct ctx *c, int index)
{
        return yamldoc_node(c->doc, index);
}

/* ---- typed getters ---- */

/* A string scalar: not null, no embedded NUL, and (unless allow_empty) not empty. The result
 * points into the document. */
static int get_str(struct ctx *c, const yaml_node_t *n, const char *what, bool allow_empty,
                   const char **out)
{
        if (n->type != YAML_SCALAR_NODE || yaml_is_null(n))
                return fail_at(c, n, "%s must be a string, not %s", what, yaml_kind_name(n));
        if (strlen(yaml_scalar(n)) != n->data.scalar.length)
                return fail_at(c, n, "%s contains a NUL character", what);
        if (!allow_empty && n->data.scalar.length == 0)
                return fail_at(c, n, "%s must not be empty", what);
        *out = yaml_scalar(n);
        return 0;
}

static int get_dup(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        const char *s;
        int r = get_str(c, n, what, false, &s);
        if (r < 0)
                return r;
        free(*out);
        *out = xstrdup(s);
        return 0;
}

/* Integers are plain decimal scalars (a quoted "1" is a string). */
static int get_uint(struct ctx *c, const yaml_node_t *n, const char *what, unsigned long max,
                    unsigned long *out)
{
        if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
            yaml_is_null(n))
                return fail_at(c, n, "%s must be an integer, not %s", what,
                               n->type == YAML_SCALAR_NODE && !yaml_is_null(n) ? "a quoted string"
                                                                               : yaml_kind_name(n));
        const char *s = yaml_scalar(n);
        unsigned long v = 0;
        if (!*s)
                return fail_at(c, n, "%s must be an integer", what);
        for (; *s; s++) {
                if (!isdigit((unsigned char)*s))
                        return fail_at(c, n, "%s must be an integer, not \"%s\"", what,
                                       yaml_scalar(n));
                v = v * 10 + (unsigned long)(*s - '0');
                if (v > max)
                        return fail_at(c, n, "%s is too large (at most %lu)", what, max);
        }
        *out = v;
        return 0;
}

static int get_bool(struct ctx *c, const yaml_node_t *n, const char *what, bool *out)
{
        if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
                const char *s = yaml_scalar(n);
                if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
                        *out = true;
                        return 0;
                }
                if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
                        *out = false;
                        return 0;
                }
        }
        return fail_at(c, n, "%s must be true or false", what);
}

/* One of a fixed set of words; returns the index. */
/* One of the NULL-terminated `choices`: its index in *out. */
static int get_choice(struct ctx *c, const yaml_node_t *n, const char *what,
                      const char *const *choices, int *out)
{
        const char *s;
        int r = get_str(c, n, what, false, &s);
        if (r < 0)
                return r;
        struct strbuf list = STRBUF_INIT;
        for (int i = 0; choices[i]; i++) {
                if (!strcmp(s, choices[i])) {
                        *out = i;
                        strbuf_release(&list);
                        return 0;
                }
                strbuf_addf(&list, "%s%s",
                            i == 0           ? ""
                            : choices[i + 1] ? ", "
                                             : " or ",
                            choices[i]);
        }
        r = fail_at(c, n, "%s must be %s, not \"%s\"", what, list.buf, s);
        strbuf_release(&list);
        return r;
}

#define CHOICES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* An absolute path inside the image, lexically normalised. */
static int get_image_path(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        const char *s;
        int r = get_str(c, n, what, false, &s);
        if (r < 0)
                return r;
        if (s[0] != '/')
                return fail_at(c, n, "%s must be an absolute path, not \"%s\"", what, s);
        free(*out);
        *out = path_normalize(s);
        return 0;
}

/* A host path, relative to the manifest's directory unless absolute; it must exist (and be a
 * directory when want_dir) so that mistakes surface here, with a position. */
static int get_host_path(struct ctx *c, const yaml_node_t *n, const char *what, bool want_dir,
                         char **out)
{
        const char *s;
        struct stat st;
        int r = get_str(c, n, what, false, &s);
        if (r < 0)
                return r;
        char *joined = s[0] == '/' ? xstrdup(s) : path_join(c->dir, s);
        char *path = path_normalize(joined);
        free(joined);
        if (stat(path, &st) < 0) {
                int e = errno;
                r = fail_at(c, n, "%s \"%s\" (%s): %s", what, s, path, strerror(e));
                free(path);
                return r;
        }
        if (want_dir && !S_ISDIR(st.st_mode)) {
                r = fail_at(c, n, "%s \"%s\" (%s) is not a directory", what, s, path);
                free(path);
                return r;
        }
        free(*out);
        *out = path;
        return 0;
}

static int expect_list(struct ctx *c, const yaml_node_t *n, const char *what, const char *of)
{
        if (n->type != YAML_SEQUENCE_NODE)
                return fail_at(c, n, "%s must be a list of %s, not %s", what, of,
                               yaml_kind_name(n));
        return 0;
}

#define for_each_item(c, seq, it, item)                                                            \
        for (yaml_node_item_t *it = (seq)->data.sequence.items.start;                              \
             it < (seq)->data.sequence.items.top && ((item) = node_at((c), *it), 1); it++)

typedef int (*item_fn)(struct ctx *c, const yaml_node_t *n, const char *what, char **out);

/* A list whose items each go through fn (which also checks the item's type); the results are
 * appended to sv. */
static int get_list(struct ctx *c, const yaml_node_t *n, const char *what, const char *of,
                    item_fn fn, struct strvec *sv)
{
        yaml_node_t *item;
        size_t i = 0;
        int r = expect_list(c, n, what, of);
        if (r < 0)
                return r;
        for_each_item(c, n, it, item)
        {
                if (item->type != YAML_SCALAR_NODE || yaml_is_null(item))
                        return fail_at(c, item, "%s must be a list of %s (item %zu is %s)", what,
                                       of, i + 1, yaml_kind_name(item));
                char *what_i = xasprintf("%s[%zu]", what, i);
                char *val = NULL;
                r = fn(c, item, what_i, &val);
                free(what_i);
                if (r < 0) {
                        free(val);
                        return r;
                }
                strvec_push_nodup(sv, val);
                i++;
        }
        return 0;
}

/* ---- mappings: shape, duplicates, unknown keys ---- */

static void join_words(char *buf, size_t size, const char *const *words)
{
        size_t len = 0;
        buf[0] = '\0';
        for (size_t i = 0; words[i] && len < size; i++)
                len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", words[i]);
}

/* Every key a non-empty string, no key twice, and (when allowed is given) every key known. */
static int check_mapping(struct ctx *c, const yaml_node_t *n, const char *what,
                         const char *const *allowed)
{
        struct strmap seen = STRMAP_INIT;
        int r = 0;

        if (n->type != YAML_MAPPING_NODE)
                return fail_at(c, n, "%s must be a mapping, not %s", what, yaml_kind_name(n));
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = node_at(c, p->key);
                const char *key;
                if (k->type != YAML_SCALAR_NODE || yaml_is_null(k)) {
                        r = fail_at(c, k, "keys of %s must be strings, not %s", what,
                                    yaml_kind_name(k));
                        break;
                }
                if (k->data.scalar.length == 0) {
                        r = fail_at(c, k, "keys of %s must not be empty", what);
                        break;
                }
                if ((r = get_str(c, k, "a key", false, &key)) < 0)
                        break;
                yaml_node_t *first = strmap_get(&seen, key);
                if (first) {
                        r = fail_at(
                            c, k, "duplicate key \"%s\" in %s (first at line %zu, column %zu)", key,
                            what, first->start_mark.line + 1, first->start_mark.column + 1);
                        break;
                }
                strmap_put(&seen, key, k);
                if (!allowed)
                        continue;
                bool known = false;
                for (size_t i = 0; allowed[i] && !known; i++)
                        known = !strcmp(allowed[i], key);
                if (!known) {
                        char list[512];
                        join_words(list, sizeof(list), allowed);
                        r = fail_at(c, k, "unknown key \"%s\" in %s (expected one of: %s)", key,
                                    what, list);
                        break;
                }
        }
        strmap_clear(&seen, NULL);
        return r;
}

/* The value of key in a mapping already checked by check_mapping; NULL when absent. */
static yaml_node_t *lookup(const struct ctx *c, const yaml_node_t *map, const char *key,
                           yaml_node_t **key_node)
{
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = node_at(c, p->key);
                if (!strcmp(yaml_scalar(k), key)) {
                        if (key_node)
                                *key_node = k;
                        return node_at(c, p->value);
                }
        }
        return NULL;
}

/* ---- grammars ---- */

static bool is_lower_alnum(char ch)
{
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* As useradd's default NAME_REGEX, without the trailing '$'. */
static bool user_name_valid(const char *s)
{
        if (strlen(s) > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
                return false;
        for (s++; *s; s++)
                if (!is_lower_alnum(*s) && *s != '_' && *s != '-')
                        return false;
        return true;
}

/* ---- image_ref_valid: distribution/reference, as docker normalises names ---- */

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+ */
static bool path_component_valid(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0)
                return false;
        for (;;) {
                size_t start = i;
                while (i < n && is_lower_alnum(s[i]))
                        i++;
                if (i == start)
                        return false;
                if (i == n)
                        return true;
                if (s[i] == '.')
                        i++;
                else if (s[i] == '_')
                        i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
                else if (s[i] == '-')
                        while (i < n && s[i] == '-')
                                i++;
                else
                        return false;
        }
}

static bool is_alnum_ascii(char ch)
{
        return isascii((unsigned char)ch) && isalnum((unsigned char)ch);
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool domain_component_valid(const char *s, size_t n)
{
        if (n == 0 || !is_alnum_ascii(s[0]) || !is_alnum_ascii(s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum_ascii(s[i]) && s[i] != '-')
                        return false;
        return true;
}

/* host[:port], host := domain-name | '[' IPv6 ']' */
static bool domain_valid(const char *s, size_t n, const char **why)
{
        size_t host_end = n;
        const char *colon = memrchr(s, ':', n);

        if (n > 0 && s[0] == '[') {
                const char *close = memchr(s, ']', n);
                if (!close || close == s + 1) {
                        *why = "invalid IPv6 address in the registry host";
                        return false;
                }
                for (const char *p = s + 1; p < close; p++)
                        if (!isxdigit((unsigned char)*p) && *p != ':') {
                                *why = "invalid IPv6 address in the registry host";
                                return false;
                        }
                host_end = (size_t)(close - s) + 1;
                if (host_end < n && s[host_end] != ':') {
                        *why = "invalid registry host";
                        return false;
                }
        } else {
                if (colon)
                        host_end = (size_t)(colon - s);
                for (size_t i = 0, start = 0; i <= host_end; i++) {
                        if (i < host_end && s[i] != '.')
                                continue;
                        if (!domain_component_valid(s + start, i - start)) {
                                *why = "invalid registry host";
                                return false;
                        }
                        start = i + 1;
                }
        }
        if (host_end < n) {
                size_t port_len = n - host_end - 1;
                if (port_len == 0) {
                        *why = "empty registry port";
                        return false;
                }
                for (size_t i = host_end + 1; i < n; i++)
                        if (!isdigit((unsigned char)s[i])) {
                                *why = "invalid registry port";
                                return false;
                        }
        }
        return true;
}

static bool tag_valid(const char *s, size_t n, const char **why)
{
        if (n == 0) {
                *why = "empty tag";
                return false;
        }
        if (n > TAG_LENGTH_MAX) {
                *why = "tag longer than 128 characters";
                return false;
        }
        for (size_t i = 0; i < n; i++) {
                bool word = is_alnum_ascii(s[i]) || s[i] == '_';
                if (!word && (i == 0 || (s[i] != '.' && s[i] != '-'))) {
                        *why = "invalid tag (letters, digits, '_', '.', '-'; not starting with '.' "
                               "or '-')";
                        return false;
                }
        }
        return true;
}

/* algorithm := component ([+._-] component)*, component := [A-Za-z][A-Za-z0-9]*; then ':' and
 * hex. The registered algorithms have a fixed lower-case hex length (OCI image-spec). */
static bool digest_valid(const char *s, const char **why)
{
        const char *colon = strchr(s, ':');
        *why = "invalid digest (expected algorithm:hex, e.g. sha256:<64 hex digits>)";
        if (!colon || colon == s)
                return false;
        bool need_alpha = true;
        for (const char *p = s; p < colon; p++) {
                if (need_alpha) {
                        if (!isascii((unsigned char)*p) || !isalpha((unsigned char)*p))
                                return false;
                        need_alpha = false;
                } else if (*p == '+' || *p == '.' || *p == '_' || *p == '-') {
                        need_alpha = true;
                } else if (!is_alnum_ascii(*p)) {
                        return false;
                }
        }
        if (need_alpha)
                return false;
        const char *hex = colon + 1;
        size_t algo_len = (size_t)(colon - s), hex_len = strlen(hex);
        size_t want = 0;
        bool lower_only = false;
        if (algo_len == 6 && !memcmp(s, "sha256", 6))
                want = 64, lower_only = true;
        else if (algo_len == 6 && !memcmp(s, "sha512", 6))
                want = 128, lower_only = true;
        if (want ? hex_len != want : hex_len < 32)
                return false;
        for (const char *p = hex; *p; p++) {
                bool ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
                          (!lower_only && *p >= 'A' && *p <= 'F');
                if (!ok)
                        return false;
        }
        return true;
}

static bool has_upper(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] >= 'A' && s[i] <= 'Z')
                        return true;
        return false;
}

bool image_ref_valid(const char *ref, const char **why)
{
        const char *dummy;
        if (!why)
                why = &dummy;
        *why = NULL;
        if (!ref || !*ref) {
                *why = "empty reference";
                return false;
        }

        const char *at = strchr(ref, '@');
        size_t name_tag_len = at ? (size_t)(at - ref) : strlen(ref);
        if (at && !digest_valid(at + 1, why))
                return false;

        /* The tag is after the last ':' that follows the last '/' (a ':' before it is a port). */
        const char *slash = memrchr(ref, '/', name_tag_len);
        const char *after_slash = slash ? slash + 1 : ref;
        const char *colon = memchr(after_slash, ':', name_tag_len - (size_t)(after_slash - ref));
        size_t name_len = colon ? (size_t)(colon - ref) : name_tag_len;
        if (colon && !tag_valid(colon + 1, name_tag_len - name_len - 1, why))
                return false;
        if (name_len == 0) {
                *why = "missing repository name";
                return false;
        }
        if (name_len > NAME_TOTAL_LENGTH_MAX) {
                *why = "repository name longer than 255 characters";
                return false;
        }

        /* As docker: the first component is a registry host when it has a '.' or a ':' or is
         * "localhost"; otherwise it is part of the repository path. */
        const char *path = ref;
        const char *first_slash = memchr(ref, '/', name_len);
        if (first_slash) {
                size_t dlen = (size_t)(first_slash - ref);
                bool is_domain = memchr(ref, '.', dlen) || memchr(ref, ':', dlen) ||
                                 (dlen == 9 && !memcmp(ref, "localhost", 9)) ||
                                 (dlen > 0 && ref[0] == '[');
                if (is_domain) {
                        if (!domain_valid(ref, dlen, why))
                                return false;
                        path = first_slash + 1;
                }
        }
        size_t path_len = name_len - (size_t)(path - ref);
        if (has_upper(path, path_len)) {
                *why = "repository name must be lowercase";
                return false;
        }
        for (size_t i = 0, start = 0; i <= path_len; i++) {
                if (i < path_len && path[i] != '/')
                        continue;
                if (!path_component_valid(path + start, i - start)) {
                        *why = i == start ? "empty component in the repository name"
                                          : "invalid repository name component (lowercase "
                                            "letters and digits, separated by '.', '_', '__' "
                                            "or '-')";
                        return false;
                }
                start = i + 1;
        }
        return true;
}

/* ---- sections ---- */

static int parse_apt_entry(struct ctx *c, const yaml_node_t *n, size_t i)
{
        static const char *const keys[] = {"uri", "suites", "components", "signed-by", NULL};
        struct manifest_apt_source *e = &c->m->apt.v[c->m->apt.n];
        cleanup_free char *what = xasprintf("source.apt.sources[%zu]", i);
        yaml_node_t *v;
        int r = check_mapping(c, n, what, keys);

        if (r < 0)
                return r;
        c->m->apt.n++;
        e->origin =
            xasprintf("%s:%zu:%zu", c->m->path, n->start_mark.line + 1, n->start_mark.column + 1);
        if (!(v = lookup(c, n, "uri", NULL)))
                return fail_at(c, n, "%s needs uri", what);
        if ((r = get_dup(c, v, "uri", &e->uri)) < 0)
                return r;
        if (strncmp(e->uri, "http://", 7) != 0 && strncmp(e->uri, "https://", 8) != 0 &&
            strncmp(e->uri, "file:/", 6) != 0)
                return fail_at(c, v, "uri \"%s\" must be http://, https:// or file:/", e->uri);
        while (strlen(e->uri) > 1 && e->uri[strlen(e->uri) - 1] == '/')
                e->uri[strlen(e->uri) - 1] = '\0';
        if (!(v = lookup(c, n, "suites", NULL)))
                return fail_at(c, n, "%s needs suites", what);
        if ((r = get_list(c, v, "suites", "strings", get_dup, &e->suites)) < 0)
                return r;
        if (e->suites.n == 0)
                return fail_at(c, v, "suites must not be empty");
        if ((v = lookup(c, n, "components", NULL)) &&
            (r = get_list(c, v, "components", "strings", get_dup, &e->components)) < 0)
                return r;
        if ((v = lookup(c, n, "signed-by", NULL))) {
                const char *s;
                if ((r = get_str(c, v, "signed-by", false, &s)) < 0)
                        return r;
                e->signed_by = s[0] == '/' ? path_normalize(s) : path_join(c->dir, s);
                if (access(e->signed_by, R_OK) != 0)
                        return fail_at(c, v, "signed-by \"%s\" (%s): %s", s, e->signed_by,
                                       strerror(errno));
        }
        return 0;
}

/* source.apt: {sources: host | [{uri, suites, components, signed-by}], cache: DIR} */
static int parse_apt(struct ctx *c, const yaml_node_t *n)
{
        static const char *const keys[] = {"sources", "cache", NULL};
        struct manifest *m = c->m;
        yaml_node_t *v, *k = NULL;
        int r = check_mapping(c, n, "source.apt", keys);

        if (r < 0)
                return r;
        m->source_kind = MANIFEST_SOURCE_APT;
        if (!(v = lookup(c, n, "sources", &k)))
                return fail_at(c, n, "source.apt needs sources (host, or a list)");
        if (v->type == YAML_SCALAR_NODE) {
                const char *s;
                if ((r = get_str(c, v, "source.apt.sources", false, &s)) < 0)
                        return r;
                if (strcmp(s, "host") != 0)
                        return fail_at(c, v,
                                       "source.apt.sources must be host or a list, not \"%s\"", s);
                m->apt.host = true;
        } else {
                if ((r = expect_list(c, v, "source.apt.sources", "mappings")) < 0)
                        return r;
                size_t count = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
                if (count == 0 || count > 256)
                        return fail_at(c, v, "source.apt.sources needs 1 to 256 entries");
                m->apt.v = xcalloc(count, sizeof(*m->apt.v));
                yaml_node_t *item;
                size_t i = 0;
                for_each_item(c, v, it, item)
                {
                        if ((r = parse_apt_entry(c, item, i++)) < 0)
                                return r;
                }
        }
        if ((v = lookup(c, n, "cache", NULL))) {
                const char *s;
                if ((r = get_str(c, v, "source.apt.cache", false, &s)) < 0)
                        return r;
                m->apt.cache = s[0] == '/' ? path_normalize(s) : path_join(c->dir, s);
        }
        return 0;
}

static char *default_cache_dir(void)
{
        const char *env = getenv("DISTILL_CACHE");
        if (env && *env)
                return xstrdup(env);
        env = getenv("XDG_CACHE_HOME");
        if (env && env[0] == '/')
                return path_join(env, "distill");
        env = getenv("HOME");
        return path_join(env && env[0] == '/' ? env : "/root", ".cache/distill");
}

static int parse_source(struct ctx *c, const yaml_node_t *n)
{
        static const char *const keys[] = {"sysroot", "apt", NULL};
        yaml_node_t *k_sysroot = NULL, *k_apt = NULL;
        int r = check_mapping(c, n, "source", keys);
        if (r < 0)
                return r;
        yaml_node_t *sysroot = lookup(c, n, "sysroot", &k_sysroot);
        yaml_node_t *apt = lookup(c, n, "apt", &k_apt);
        if (sysroot && apt)
                return fail_at(c, k_apt, "source takes exactly one of sysroot or apt, not both");
        if (apt)
                return parse_apt(c, apt);
        if (!sysroot)
                return fail_at(c, n, "source needs sysroot (or apt)");
        const char *s;
        if ((r = get_str(c, sysroot, "source.sysroot", false, &s)) < 0)
                return r;
        char *joined = s[0] == '/' ? xstrdup(s) : path_join(c->dir, s);
        free(c->m->sysroot);
        c->m->sysroot = path_normalize(joined);
        free(joined);
        return 0;
}

static int arch_item(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        int r = get_dup(c, n, what, out);
        if (r == 0 && !deb_arch_name_valid(*out))
                r = fail_at(c, n, "%s \"%s\" is not a Debian architecture name", what, *out);
        return r;
}

static int parse_arch(struct ctx *c, const yaml_node_t *n)
{
        int r;
        if (n->type == YAML_SCALAR_NODE && !yaml_is_null(n)) {
                char *a = NULL;
                if ((r = arch_item(c, n, "arch", &a)) < 0) {
                        free(a);
                        return r;
                }
                strvec_push_nodup(&c->m->arch, a);
                return 0;
        }
        if (n->type != YAML_SEQUENCE_NODE)
                return fail_at(c, n, "arch must be a string or a list of strings, not %s",
                               yaml_kind_name(n));
        if ((r = get_list(c, n, "arch", "strings", arch_item, &c->m->arch)) < 0)
                return r;
        if (c->m->arch.n == 0)
                return fail_at(c, n, "arch must name at least one architecture");
        for (size_t i = 0; i < c->m->arch.n; i++)
                for (size_t j = 0; j < i; j++)
                        if (!strcmp(c->m->arch.v[i], c->m->arch.v[j]))
                                return fail_at(c, node_at(c, n->data.sequence.items.start[i]),
                                               "arch \"%s\" is listed twice", c->m->arch.v[i]);
        return 0;
}

static int package_item(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        int r = get_dup(c, n, what, out);
        if (r == 0 && !deb_package_name_valid(*out))
                r = fail_at(c, n,
                            "%s \"%s\" is not a valid Debian package name (lower case letters, "
                            "digits, '+', '-', '.'; at least two characters)",
                            what, *out);
        return r;
}

/* packages: names, or {name: P, keep: needed|all}. A keep left unsaid is decided once the whole
 * manifest is read (apply_defaults). */
static int parse_packages(struct ctx *c, const yaml_node_t *n)
{
        static const char *const keys[] = {"name", "keep", NULL};
        struct manifest *m = c->m;
        yaml_node_t *item;
        size_t i = 0;
        int r = expect_list(c, n, "packages", "package names or {name, keep} mappings");
        if (r < 0)
                return r;
        size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        m->package_keep = xcalloc(count ? count : 1, sizeof(*m->package_keep));
        for_each_item(c, n, it, item)
        {
                cleanup_free char *what = xasprintf("packages[%zu]", i);
                char *name = NULL;
                int keep = -1;
                yaml_node_t *v;
                if (item->type == YAML_MAPPING_NODE) {
                        if ((r = check_mapping(c, item, what, keys)) < 0)
                                return r;
                        if (!(v = lookup(c, item, "name", NULL)))
                                return fail_at(c, item, "%s needs name: the package", what);
                        cleanup_free char *what_name = xasprintf("%s.name", what);
                        if ((r = package_item(c, v, what_name, &name)) < 0) {
                                free(name);
                                return r;
                        }
                        cleanup_free char *what_keep = xasprintf("%s.keep", what);
                        if ((v = lookup(c, item, "keep", NULL)) &&
                            (r = get_choice(c, v, what_keep, CHOICES("needed", "all"), &keep)) <
                                0) {
                                free(name);
                                return r;
                        }
                } else if (item->type == YAML_SCALAR_NODE && !yaml_is_null(item)) {
                        if ((r = package_item(c, item, what, &name)) < 0) {
                                free(name);
                                return r;
                        }
                } else {
                        return fail_at(c, item,
                                       "packages must be a list of package names or {name, keep} "
                                       "mappings (item %zu is %s)",
                                       i + 1, yaml_kind_name(item));
                }
                if (strvec_contains(&m->packages, name)) {
                        r = fail_at(c, item, "%s: package %s is listed twice", what, name);
                        free(name);
                        return r;
                }
                strvec_push_nodup(&m->packages, name);
                m->package_keep[i++] = keep < 0 ? MANIFEST_KEEP_UNSAID : (enum manifest_keep)keep;
        }
        return 0;
}

static int module_item(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        int r = get_dup(c, n, what, out);
        if (r == 0 && !py_module_name_valid(*out))
                r = fail_at(c, n, "%s \"%s\" is not a dotted Python module name", what, *out);
        return r;
}

/* A module glob ("tests", "pkg.tests.*"): a module name where '*', '?' and [...] may stand. */
static int module_glob_item(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        struct distill_error bad = {0};
        int r = get_dup(c, n, what, out);
        if (r < 0)
                return r;
        cleanup_free char *plain = xstrdup(*out);
        for (char *p = plain; *p; p++)
                if (strchr("*?[]!^-", *p))
                        *p = 'x';
        if (!py_module_name_valid(plain))
                return fail_at(c, n, "%s \"%s\" is not a module name or module glob", what, *out);
        if (wildmatch_check(*out, &bad) < 0)
                return fail_at(c, n, "%s: %s", what, bad.msg);
        return 0;
}

static int image_path_item(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        return get_image_path(c, n, what, out);
}

static int host_dir_item(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        return get_host_path(c, n, what, true, out);
}

/* Globs match absolute image paths, so a relative one could never match, and neither could a
 * malformed one: refuse both. */
static int glob_item(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        struct distill_error bad = {0};
        int r = get_dup(c, n, what, out);
        if (r == 0 && (*out)[0] != '/')
                r = fail_at(c, n, "%s \"%s\" must be an absolute image path pattern", what, *out);
        if (r == 0 && wildmatch_check(*out, &bad) < 0)
                r = fail_at(c, n, "%s: %s", what, bad.msg);
        return r;
}

/* files.add mode: octal digits, written as 0644, 644, 0o644 or "0755". */
static int get_mode(struct ctx *c, const yaml_node_t *n, const char *what, int *out)
{
        const char *s;
        int r = get_str(c, n, what, false, &s);
        if (r < 0)
                return r;
        if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
                s += 2;
        long v = 0;
        size_t digits = 0;
        for (; *s; s++, digits++) {
                if (*s < '0' || *s > '7' || digits >= 6)
                        return fail_at(c, n, "%s must be an octal mode such as 0644, not \"%s\"",
                                       what, yaml_scalar(n));
                v = v * 8 + (*s - '0');
        }
        if (digits == 0 || v > 0777)
                return fail_at(c, n, "%s must be an octal permission mode between 0 and 0777",
                               what);
        *out = (int)v;
        return 0;
}

/* python.app[].dockerignore: read now, so that a bad pattern is reported at the manifest's
 * position; the directory holding the file is the build context, and from must lie inside it. */
static int get_dockerignore(struct ctx *c, const yaml_node_t *n, const yaml_node_t *from,
                            const char *what_i, struct manifest_copy *cp)
{
        cleanup_free char *what = xasprintf("%s.dockerignore", what_i);
        struct distill_error e = {0};
        struct dockerignore *di = NULL;
        int r = get_host_path(c, n, what, false, &cp->dockerignore);
        if (r < 0)
                return r;
        if (dockerignore_load(cp->dockerignore, &di, &e) < 0)
                return fail_at(c, n, "%s: %s", what, e.msg);
        dockerignore_free(di);
        cleanup_free char *context = path_dirname(cp->dockerignore);
        if (!path_has_prefix(cp->from, context))
                return fail_at(c, from,
                               "%s.from %s is not inside %s, the build context of %s (the "
                               "directory holding it)",
                               what_i, cp->from, context, what);
        return 0;
}

/* A list of {from, to[, mode]} (python.app, files.add). */
static int parse_copies(struct ctx *c, const yaml_node_t *n, const char *what, bool with_mode,
                        struct manifest_copy **out, size_t *n_out)
{
        static const char *const app_keys[] = {"from", "to", "dockerignore", NULL};
        static const char *const add_keys[] = {"from", "to", "mode", "link", NULL};
        yaml_node_t *item;
        int r = expect_list(c, n, what, "{from, to} mappings");
        if (r < 0)
                return r;
        size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        *out = xcalloc(count ? count : 1, sizeof(**out));
        for_each_item(c, n, it, item)
        {
                size_t i = *n_out;
                struct manifest_copy *cp = &(*out)[i];
                cleanup_free char *what_i = xasprintf("%s[%zu]", what, i);
                cp->mode = -1;
                cp->origin = yaml_origin(c->file, item);
                (*n_out)++;
                if ((r = check_mapping(c, item, what_i, with_mode ? add_keys : app_keys)) < 0)
                        return r;
                yaml_node_t *from = lookup(c, item, "from", NULL);
                yaml_node_t *to = lookup(c, item, "to", NULL);
                yaml_node_t *mode = with_mode ? lookup(c, item, "mode", NULL) : NULL;
                yaml_node_t *link = with_mode ? lookup(c, item, "link", NULL) : NULL;
                cleanup_free char *what_to = xasprintf("%s.to", what_i);
                if (link) {
                        /* {to, link}: a symbolic link the image gets (python3 → python3.11) */
                        if (!to || from || mode)
                                return fail_at(c, item,
                                               "%s: a link takes to and link, and neither from "
                                               "nor mode",
                                               what_i);
                        cleanup_free char *what_link = xasprintf("%s.link", what_i);
                        if ((r = get_dup(c, link, what_link, &cp->link)) < 0)
                                return r;
                        if (!*cp->link || strlen(cp->link) >= 4096)
                                return fail_at(c, link,
                                               "%s must be a link target (1 to 4095 "
                                               "bytes)",
                                               what_link);
                        r = get_image_path(c, to, what_to, &cp->to);
                        if (r == 0 && !strcmp(cp->to, "/"))
                                r = fail_at(c, to, "%s cannot be / itself", what_to);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!from || !to)
                        return fail_at(c, item, "%s needs both from and to", what_i);
                cleanup_free char *what_from = xasprintf("%s.from", what_i);
                if ((r = get_host_path(c, from, what_from, false, &cp->from)) < 0)
                        return r;
                if ((r = get_image_path(c, to, what_to, &cp->to)) < 0)
                        return r;
                yaml_node_t *ignore = with_mode ? NULL : lookup(c, item, "dockerignore", NULL);
                if (ignore && (r = get_dockerignore(c, ignore, from, what_i, cp)) < 0)
                        return r;
                if (mode) {
                        cleanup_free char *what_mode = xasprintf("%s.mode", what_i);
                        if ((r = get_mode(c, mode, what_mode, &cp->mode)) < 0)
                                return r;
                }
        }
        return 0;
}

static int parse_python(struct ctx *c, const yaml_node_t *n)
{
        static const char *const keys[] = {
            "interpreter",   "app",      "entrypoint",      "module",
            "stdlib",        "imports",  "locales",         "include-modules",
            "site-packages", "bytecode", "exclude-modules", NULL};
        struct manifest *m = c->m;
        yaml_node_t *v, *k_module = NULL;
        int r, choice;

        if ((r = check_mapping(c, n, "python", keys)) < 0)
                return r;
        m->has_python = true;
        if ((v = lookup(c, n, "interpreter", NULL)) &&
            (r = get_image_path(c, v, "python.interpreter", &m->python.interpreter)) < 0)
                return r;
        if ((v = lookup(c, n, "app", NULL)) &&
            (r = parse_copies(c, v, "python.app", false, &m->python.app, &m->python.n_app)) < 0)
                return r;

        yaml_node_t *entry = lookup(c, n, "entrypoint", NULL);
        yaml_node_t *module = lookup(c, n, "module", &k_module);
        if (entry && module)
                return fail_at(c, k_module, "python takes entrypoint or module, not both");
        if (!entry && !module)
                return fail_at(c, n,
                               "python needs entrypoint (a script path in the image) or "
                               "module (a module name)");
        if (entry && (r = get_image_path(c, entry, "python.entrypoint", &m->python.entrypoint)) < 0)
                return r;
        if (module && (r = module_item(c, module, "python.module", &m->python.module)) < 0)
                return r;

        if ((v = lookup(c, n, "stdlib", NULL))) {
                if ((r = get_choice(c, v, "python.stdlib", CHOICES("full", "imports"), &choice)) <
                    0)
                        return r;
                m->python.stdlib = choice ? MANIFEST_STDLIB_IMPORTS : MANIFEST_STDLIB_FULL;
        }
        if ((v = lookup(c, n, "imports", NULL))) {
                static const enum manifest_imports depths[] = {
                    MANIFEST_IMPORTS_DEEP, MANIFEST_IMPORTS_SHALLOW, MANIFEST_IMPORTS_ALL};
                if ((r = get_choice(c, v, "python.imports", CHOICES("deep", "shallow", "all"),
                                    &choice)) < 0)
                        return r;
                m->python.imports = depths[choice];
        }
        if ((v = lookup(c, n, "locales", NULL))) {
                if ((r = get_choice(c, v, "python.locales", CHOICES("image", "all"), &choice)) < 0)
                        return r;
                m->python.all_locales = choice == 1;
        }
        if ((v = lookup(c, n, "exclude-modules", NULL)) &&
            (r = get_list(c, v, "python.exclude-modules", "module globs", module_glob_item,
                          &m->python.exclude_modules)) < 0)
                return r;
        if ((v = lookup(c, n, "include-modules", NULL)) &&
            (r = get_list(c, v, "python.include-modules", "module names", module_item,
                          &m->python.include_modules)) < 0)
                return r;
        if ((v = lookup(c, n, "site-packages", NULL)) &&
            (r = get_list(c, v, "python.site-packages", "directories", host_dir_item,
                          &m->python.site_packages)) < 0)
                return r;
        if ((v = lookup(c, n, "bytecode", NULL)) &&
            (r = get_bool(c, v, "python.bytecode", &m->python.bytecode)) < 0)
                return r;
        return 0;
}

static int parse_files(struct ctx *c, const yaml_node_t *n, bool *has_exclude)
{
        static const char *const keys[] = {"include", "exclude", "add", NULL};
        struct manifest *m = c->m;
        yaml_node_t *v;
        int r;

        if ((r = check_mapping(c, n, "files", keys)) < 0)
                return r;
        if ((v = lookup(c, n, "include", NULL)) &&
            (r = get_list(c, v, "files.include", "glob patterns", glob_item, &m->include)) < 0)
                return r;
        if ((v = lookup(c, n, "exclude", NULL))) {
                *has_exclude = true;
                if ((r = get_list(c, v, "files.exclude", "glob patterns", glob_item, &m->exclude)) <
                    0)
                        return r;
        }
        if ((v = lookup(c, n, "add", NULL)) &&
            (r = parse_copies(c, v, "files.add", true, &m->add, &m->n_add)) < 0)
                return r;
        return 0;
}

static int get_id(struct ctx *c, const yaml_node_t *n, const char *what, unsigned *out)
{
        unsigned long v;
        int r = get_uint(c, n, what, 65535, &v);
        if (r < 0)
                return r;
        if (v == 0)
                return fail_at(c, n, "%s 0 (root) is refused: the image runs as a non-root user",
                               what);
        if (v > 65533)
                return fail_at(c, n, "%s must be between 1 and 65533 (65534 is nobody)", what);
        *out = (unsigned)v;
        return 0;
}

static int parse_user(struct ctx *c, const yaml_node_t *n)
{
        static const char *const keys[] = {"name", "uid", "gid", "root", NULL};
        struct manifest *m = c->m;
        yaml_node_t *v;
        int r;

        if ((r = check_mapping(c, n, "user", keys)) < 0)
                return r;
        if ((v = lookup(c, n, "name", NULL))) {
                if ((r = get_dup(c, v, "user.name", &m->user.name)) < 0)
                        return r;
                if (!user_name_valid(m->user.name))
                        return fail_at(c, v,
                                       "user.name \"%s\" is not a valid user name "
                                       "([a-z_][a-z0-9_-]*, at most 32 characters)",
                                       m->user.name);
                if (!strcmp(m->user.name, "root") || !strcmp(m->user.name, "nobody"))
                        return fail_at(c, v, "user.name \"%s\" is reserved", m->user.name);
        }
        if ((v = lookup(c, n, "uid", NULL)) && (r = get_id(c, v, "user.uid", &m->user.uid)) < 0)
                return r;
        if ((v = lookup(c, n, "gid", NULL)) && (r = get_id(c, v, "user.gid", &m->user.gid)) < 0)
                return r;
        if ((v = lookup(c, n, "root", NULL)) &&
            (r = get_bool(c, v, "user.root", &m->user.root)) < 0)
                return r;
        return 0;
}

/* A string→string mapping in manifest order (image.env, image.labels). Duplicates were refused by
 * check_mapping. */
static int parse_kv(struct ctx *c, const yaml_node_t *n, const char *what, bool env_names,
                    struct manifest_kv **out, size_t *n_out)
{
        int r = check_mapping(c, n, what, NULL);
        if (r < 0)
                return r;
        size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
        *out = xcalloc(count ? count : 1, sizeof(**out));
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
                const char *key = yaml_scalar(k), *value;
                if (env_names && !env_var_name_valid(key, strlen(key)))
                        return fail_at(c, k,
                                       "%s key \"%s\" is not a valid variable name "
                                       "([A-Za-z_][A-Za-z0-9_]*)",
                                       what, key);
                cleanup_free char *what_v = xasprintf("%s.%s", what, key);
                if (v->type != YAML_SCALAR_NODE || yaml_is_null(v))
                        return fail_at(c, v,
                                       "%s must be a string, not %s (write \"\" for an empty "
                                       "value)",
                                       what_v, yaml_kind_name(v));
                if ((r = get_str(c, v, what_v, true, &value)) < 0)
                        return r;
                (*out)[*n_out].key = xstrdup(key);
                (*out)[*n_out].value = xstrdup(value);
                (*n_out)++;
        }
        return 0;
}

/* "8080", 8080, "8080/tcp" or "53/udp" → "8080/tcp" */
static int port_item(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        const char *s, *proto = "tcp";
        int r = get_str(c, n, what, false, &s);
        if (r < 0)
                return r;
        const char *slash = strchr(s, '/');
        size_t digits = slash ? (size_t)(slash - s) : strlen(s);
        unsigned long port = 0;
        bool ok = digits > 0 && digits <= 5;
        for (size_t i = 0; ok && i < digits; i++) {
                ok = isdigit((unsigned char)s[i]);
                port = port * 10 + (unsigned long)(s[i] - '0');
        }
        if (slash) {
                proto = slash + 1;
                ok = ok && (!strcmp(proto, "tcp") || !strcmp(proto, "udp"));
        }
        if (!ok || port == 0 || port > 65535)
                return fail_at(c, n, "%s \"%s\" must be PORT or PORT/tcp or PORT/udp (1-65535)",
                               what, s);
        *out = xasprintf("%lu/%s", port, proto);
        return 0;
}

static int any_str_item(struct ctx *c, const yaml_node_t *n, const char *what, char **out)
{
        const char *s;
        int r = get_str(c, n, what, true, &s);
        if (r == 0)
                *out = xstrdup(s);
        return r;
}

/* image.stop-signal: a signal name (SIGTERM or TERM) or number, as the image config's
 * StopSignal takes it; runtimes refuse an unknown one only when the container stops. */
static int parse_stop_signal(struct ctx *c, const yaml_node_t *n)
{
        const char *s;
        int r = get_str(c, n, "image.stop-signal", false, &s);
        if (r < 0)
                return r;
        const char *name = strncmp(s, "SIG", 3) ? s : s + 3;
        bool ok = false;
        if (*name && strspn(name, "0123456789") == strlen(name)) {
                ok = strlen(name) <= 2 && atoi(name) >= 1 && atoi(name) <= 64;
        } else {
                for (int sig = 1; sig < NSIG && !ok; sig++) {
                        const char *abbrev = sigabbrev_np(sig);
                        ok = abbrev && !strcmp(abbrev, name);
                }
        }
        if (!ok)
                return fail_at(c, n,
                               "image.stop-signal \"%s\" is not a signal (SIGTERM, TERM or 15)", s);
        c->m->image.stop_signal = xstrdup(s);
        return 0;
}

static int parse_image(struct ctx *c, const yaml_node_t *n)
{
        static const char *const keys[] = {"ref",         "entrypoint",  "cmd",           "env",
                                           "workdir",     "labels",      "exposed-ports", "layers",
                                           "compression", "stop-signal", "volumes",
                                           "compression-level", NULL};
        struct manifest *m = c->m;
        yaml_node_t *v;
        int r, choice;

        if ((r = check_mapping(c, n, "image", keys)) < 0)
                return r;
        if ((v = lookup(c, n, "ref", NULL))) {
                const char *why;
                if ((r = get_dup(c, v, "image.ref", &m->image.ref)) < 0)
                        return r;
                if (!image_ref_valid(m->image.ref, &why))
                        return fail_at(c, v, "image.ref \"%s\" is not a valid reference: %s",
                                       m->image.ref, why);
        }
        if ((v = lookup(c, n, "entrypoint", NULL))) {
                m->image.has_entrypoint = true;
                if ((r = get_list(c, v, "image.entrypoint", "strings", any_str_item,
                                  &m->image.entrypoint)) < 0)
                        return r;
        }
        if ((v = lookup(c, n, "cmd", NULL)) &&
            (r = get_list(c, v, "image.cmd", "strings", any_str_item, &m->image.cmd)) < 0)
                return r;
        if ((v = lookup(c, n, "env", NULL)) &&
            (r = parse_kv(c, v, "image.env", true, &m->image.env, &m->image.n_env)) < 0)
                return r;
        if ((v = lookup(c, n, "workdir", NULL)) &&
            (r = get_image_path(c, v, "image.workdir", &m->image.workdir)) < 0)
                return r;
        if ((v = lookup(c, n, "labels", NULL)) &&
            (r = parse_kv(c, v, "image.labels", false, &m->image.labels, &m->image.n_labels)) < 0)
                return r;
        if ((v = lookup(c, n, "exposed-ports", NULL))) {
                struct strvec ports = STRVEC_INIT;
                r = get_list(c, v, "image.exposed-ports", "ports", port_item, &ports);
                for (size_t i = 0; i < ports.n; i++)
                        if (!strvec_contains(&m->image.exposed_ports, ports.v[i]))
                                strvec_push(&m->image.exposed_ports, ports.v[i]);
                strvec_clear(&ports);
                if (r < 0)
                        return r;
        }
        if ((v = lookup(c, n, "stop-signal", NULL)) && (r = parse_stop_signal(c, v)) < 0)
                return r;
        if ((v = lookup(c, n, "volumes", NULL)) &&
            (r = get_list(c, v, "image.volumes", "absolute paths", image_path_item,
                          &m->image.volumes)) < 0)
                return r;
        if ((v = lookup(c, n, "layers", NULL))) {
                if ((r = get_choice(c, v, "image.layers", CHOICES("split", "single"), &choice)) < 0)
                        return r;
                m->image.layers = choice ? MANIFEST_LAYERS_SINGLE : MANIFEST_LAYERS_SPLIT;
        }
        if ((v = lookup(c, n, "compression", NULL))) {
                if ((r = get_choice(c, v, "image.compression", CHOICES("gzip", "zstd"), &choice)) <
                    0)
                        return r;
                m->image.zstd = choice == 1;
        }
        if ((v = lookup(c, n, "compression-level", NULL))) {
                unsigned long level;
                unsigned long max = m->image.zstd ? 19 : 12;
                if ((r = get_uint(c, v, "image.compression-level", max, &level)) < 0)
                        return r;
                if (level < 1)
                        return fail_at(c, v, "image.compression-level must be 1 to %lu for %s",
                                       max, m->image.zstd ? "zstd" : "gzip");
                m->image.compression_level = (int)level;
        }
        return 0;
}

/* check.run: one argv (a list of strings) or a list of them. */
static int parse_check_run(struct ctx *c, const yaml_node_t *n)
{
        struct manifest *m = c->m;
        yaml_node_t *item;
        int r = expect_list(c, n, "check.run", "strings (one command) or of lists (several)");
        if (r < 0)
                return r;
        if (n->data.sequence.items.start == n->data.sequence.items.top)
                return fail_at(c, n,
                               "check.run is empty: give a command such as "
                               "[/usr/bin/python3, /app/selftest.py]");
        bool several = node_at(c, *n->data.sequence.items.start)->type == YAML_SEQUENCE_NODE;
        size_t count =
            several ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 1;
        m->check.run = xcalloc(count, sizeof(*m->check.run));
        if (!several) {
                m->check.n_run = 1;
                return get_list(c, n, "check.run", "strings", any_str_item, &m->check.run[0]);
        }
        for_each_item(c, n, it, item)
        {
                size_t i = m->check.n_run;
                cleanup_free char *what = xasprintf("check.run[%zu]", i);
                if (item->type != YAML_SEQUENCE_NODE)
                        return fail_at(c, item,
                                       "%s must be a list of strings: check.run is either one "
                                       "command or a list of commands, not a mix",
                                       what);
                m->check.n_run++;
                if ((r = get_list(c, item, what, "strings", any_str_item, &m->check.run[i])) < 0)
                        return r;
                if (m->check.run[i].n == 0)
                        return fail_at(c, item, "%s is an empty command", what);
        }
        return 0;
}

static int parse_check(struct ctx *c, const yaml_node_t *n)
{
        static const char *const keys[] = {"run", "trace", "timeout", NULL};
        struct manifest *m = c->m;
        yaml_node_t *v;
        unsigned long timeout;
        int r;

        if ((r = check_mapping(c, n, "check", keys)) < 0)
                return r;
        if (!(v = lookup(c, n, "run", NULL)))
                return fail_at(c, n, "check needs run: the command that proves the image works");
        if ((r = parse_check_run(c, v)) < 0)
                return r;
        if ((v = lookup(c, n, "trace", NULL)) &&
            (r = get_bool(c, v, "check.trace", &m->check.trace)) < 0)
                return r;
        if ((v = lookup(c, n, "timeout", NULL))) {
                if ((r = get_uint(c, v, "check.timeout", MANIFEST_CHECK_TIMEOUT_MAX, &timeout)) < 0)
                        return r;
                if (timeout == 0)
                        return fail_at(c, v, "check.timeout must be at least 1 second");
                m->check.timeout_s = (unsigned)timeout;
        }
        return 0;
}

static int apply_defaults(struct ctx *c, struct manifest *m, bool has_exclude)
{
        static const char *const default_exclude[] = {"/usr/share/doc/**", "/usr/share/man/**",
                                                      "/usr/share/locale/**"};
        if (!m->sysroot)
                m->sysroot = xstrdup("/");
        /* a base (no program to start a closure from) keeps its packages whole */
        enum manifest_keep fallback =
            !m->has_python && m->binaries.n == 0 ? MANIFEST_KEEP_ALL : MANIFEST_KEEP_NEEDED;
        for (size_t i = 0; i < m->packages.n; i++)
                if (m->package_keep[i] == MANIFEST_KEEP_UNSAID)
                        m->package_keep[i] = fallback;
        if (m->source_kind == MANIFEST_SOURCE_APT && !m->apt.cache)
                m->apt.cache = default_cache_dir();
        if (m->arch.n == 0) {
                const char *host = arch_host();
                if (!host)
                        return distill_error_set(c->err, DISTILL_EUSAGE,
                                                 "%s: no arch given, and this machine has no "
                                                 "Debian architecture distill knows; set arch",
                                                 c->file);
                strvec_push(&m->arch, host);
        }
        if (m->has_python && !m->python.interpreter)
                m->python.interpreter = xstrdup("/usr/bin/python3");
        if (!has_exclude)
                for (size_t i = 0; i < sizeof(default_exclude) / sizeof(default_exclude[0]); i++)
                        strvec_push(&m->exclude, default_exclude[i]);
        if (!m->user.name)
                m->user.name = xstrdup("nonroot");
        if (!m->image.ref)
                m->image.ref = xstrdup("localhost/distill:latest");
        if (!m->image.workdir)
                m->image.workdir = xstrdup(m->python.n_app ? m->python.app[0].to : "/");
        return 0;
}

static int parse_root(struct ctx *c, const yaml_node_t *root)
{
        static const char *const keys[] = {"version", "source", "arch",  "packages", "binaries",
                                           "python",  "files",  "rules", "user",     "image",
                                           "check",   "debug",  NULL};
        struct manifest *m = c->m;
        bool has_exclude = false;
        yaml_node_t *v;
        unsigned long version;
        int r;

        if (root->type != YAML_MAPPING_NODE)
                return fail_at(c, root, "the manifest must be a mapping (version: 1, ...), not %s",
                               yaml_kind_name(root));
        if ((r = check_mapping(c, root, "the manifest", keys)) < 0)
                return r;
        if (!(v = lookup(c, root, "version", NULL)))
                return fail_at(c, root, "missing required key \"version\" (version: 1)");
        if ((r = get_uint(c, v, "version", 1000000, &version)) < 0)
                return r;
        if (version != 1)
                return fail_at(c, v, "unsupported manifest version %lu (expected 1)", version);
        m->version = (int)version;

        if ((v = lookup(c, root, "source", NULL)) && (r = parse_source(c, v)) < 0)
                return r;
        if ((v = lookup(c, root, "arch", NULL)) && (r = parse_arch(c, v)) < 0)
                return r;
        if ((v = lookup(c, root, "packages", NULL)) && (r = parse_packages(c, v)) < 0)
                return r;
        if ((v = lookup(c, root, "binaries", NULL)) &&
            (r = get_list(c, v, "binaries", "absolute paths", image_path_item, &m->binaries)) < 0)
                return r;
        if ((v = lookup(c, root, "python", NULL)) && (r = parse_python(c, v)) < 0)
                return r;
        if ((v = lookup(c, root, "files", NULL)) && (r = parse_files(c, v, &has_exclude)) < 0)
                return r;
        if ((v = lookup(c, root, "rules", NULL)) &&
            (r = get_list(c, v, "rules", "directories", host_dir_item, &m->rules)) < 0)
                return r;
        if ((v = lookup(c, root, "user", NULL)) && (r = parse_user(c, v)) < 0)
                return r;
        if ((v = lookup(c, root, "image", NULL)) && (r = parse_image(c, v)) < 0)
                return r;
        if ((v = lookup(c, root, "check", NULL)) && (r = parse_check(c, v)) < 0)
                return r;
        if ((v = lookup(c, root, "debug", NULL)) && (r = get_bool(c, v, "debug", &m->debug)) < 0)
                return r;
        return apply_defaults(c, m, has_exclude);
}

/* ---- loading ---- */

static int read_manifest(const char *path, char **data, size_t *len, struct distill_error *err)
{
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot open manifest %s",
                                           path);
        if (fstat(fd, &st) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot stat manifest %s",
                                           path);
        if (S_ISDIR(st.st_mode))
                return distill_error_set(err, DISTILL_EIO, "manifest %s is a directory", path);
        /* the cap holds whatever st_size says (pipes, /proc) */
        int e = read_fd_capped(fd, MANIFEST_MAX_BYTES, data, len);
        if (e == -EFBIG)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: manifest larger than %d bytes",
                                         path, MANIFEST_MAX_BYTES);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot read manifest %s", path);
        return 0;
}

static char *manifest_dir(const char *path)
{
        char *dir = path_dirname(path);
        char *real = realpath(dir, NULL);
        if (real) {
                free(dir);
                return real;
        }
        if (dir[0] != '/') {
                cleanup_free char *cwd = getcwd(NULL, 0);
                char *joined = cwd ? path_join(cwd, dir) : xstrdup(dir);
                free(dir);
                dir = path_normalize(joined);
                free(joined);
        }
        return dir;
}

int manifest_load_text(const char *path, const char *data, size_t len, struct manifest **out,
                       struct distill_error *err)
{
        struct manifest *m;
        int r;

        *out = NULL;
        if (len > MANIFEST_MAX_BYTES)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: manifest larger than %d bytes",
                                         path, MANIFEST_MAX_BYTES);
        m = xcalloc(1, sizeof(*m));
        m->path = xstrdup(path);
        m->dir = manifest_dir(path);
        m->user.uid = 1000;
        m->user.gid = 1000;
        m->python.bytecode = true;
        m->python.stdlib = MANIFEST_STDLIB_IMPORTS;
        m->python.imports = MANIFEST_IMPORTS_DEEP;
        m->image.layers = MANIFEST_LAYERS_SPLIT;
        m->check.timeout_s = MANIFEST_CHECK_TIMEOUT_DEFAULT;

        struct yamldoc doc;
        struct ctx c = {.file = path, .dir = m->dir, .doc = &doc, .m = m, .err = err};
        if ((r = yamldoc_load(&doc, path, "manifest", data, len, err)) < 0) {
                manifest_free(m);
                return r;
        }
        yaml_node_t *root = yamldoc_root(&doc);
        if (!root)
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "%s:1:1: the manifest is empty (version: 1 is required)",
                                      path);
        else
                r = parse_root(&c, root);
        yamldoc_release(&doc);
        if (r < 0) {
                manifest_free(m);
                return r;
        }
        *out = m;
        return 0;
}

int manifest_load(const char *path, struct manifest **out, struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len = 0;
        int r;

        *out = NULL;
        if ((r = read_manifest(path, &data, &len, err)) < 0)
                return r;
        return manifest_load_text(path, data, len, out, err);
}

static void free_copies(struct manifest_copy *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].from);
                free(v[i].dockerignore);
                free(v[i].link);
                free(v[i].to);
                free(v[i].origin);
        }
        free(v);
}

static void free_kv(struct manifest_kv *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].key);
                free(v[i].value);
        }
        free(v);
}

void manifest_free(struct manifest *m)
{
        if (!m)
                return;
        free(m->path);
        free(m->dir);
        free(m->sysroot);
        for (size_t i = 0; i < m->apt.n; i++) {
                free(m->apt.v[i].uri);
                strvec_clear(&m->apt.v[i].suites);
                strvec_clear(&m->apt.v[i].components);
                free(m->apt.v[i].signed_by);
                free(m->apt.v[i].origin);
        }
        free(m->apt.v);
        free(m->apt.cache);
        strvec_clear(&m->arch);
        strvec_clear(&m->packages);
        free(m->package_keep);
        strvec_clear(&m->binaries);
        free(m->python.interpreter);
        free_copies(m->python.app, m->python.n_app);
        free(m->python.entrypoint);
        free(m->python.module);
        strvec_clear(&m->python.include_modules);
        strvec_clear(&m->python.exclude_modules);
        strvec_clear(&m->python.site_packages);
        strvec_clear(&m->include);
        strvec_clear(&m->exclude);
        free_copies(m->add, m->n_add);
        strvec_clear(&m->rules);
        free(m->user.name);
        free(m->image.ref);
        strvec_clear(&m->image.entrypoint);
        strvec_clear(&m->image.cmd);
        free_kv(m->image.env, m->image.n_env);
        free(m->image.workdir);
        free(m->image.stop_signal);
        strvec_clear(&m->image.volumes);
        free_kv(m->image.labels, m->image.n_labels);
        strvec_clear(&m->image.exposed_ports);
        for (size_t i = 0; i < m->check.n_run; i++)
                strvec_clear(&m->check.run[i]);
        free(m->check.run);
        free(m);
}

char *manifest_cache_dir(const struct manifest *m)
{
        return m->apt.cache ? xstrdup(m->apt.cache) : default_cache_dir();
}

char *manifest_python_version(const struct manifest *m)
{
        if (!m || !m->python.interpreter)
                return NULL;
        const char *base = path_basename(m->python.interpreter);
        if (strncmp(base, "python", 6) != 0)
                return NULL;
        const char *p = base + 6, *major = p;
        while (isdigit((unsigned char)*p))
                p++;
        if (p == major || *p != '.' || p - major > 3)
                return NULL;
        const char *minor = ++p;
        while (isdigit((unsigned char)*p))
                p++;
        if (p == minor || *p || p - minor > 3)
                return NULL;
        return xstrdup(base + 6);
}

bool manifest_excludes(const struct manifest *m, const char *path)
{
        for (size_t i = 0; i < m->exclude.n; i++)
                if (wildmatch(m->exclude.v[i], path))
                        return true;
        return false;
}
