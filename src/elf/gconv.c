/* glibc's iconv module configuration (docs/architecture.md, "iconv and gconv"): gconv_conf.c's
 * reading of gconv-modules and gconv_charset.c's normalisation of the names iconv_open() gets. */
#include "distill/elf/gconv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define GCONV_MAX_LINE 4096

char *gconv_normalize(const char *name)
{
        /* the charset of "NAME//TRANSLIT" or "NAME//IGNORE" is NAME */
        size_t n = strnlen(name, GCONV_MAX_NAME_LEN + 1);
        const char *slashes = strstr(name, "//");
        if (slashes && (size_t)(slashes - name) < n)
                n = (size_t)(slashes - name);
        if (n > GCONV_MAX_NAME_LEN)
                return NULL;
        char *out = xmalloc(n + 3);
        size_t w = 0, slash_count = 0, kept = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)name[i];
                if (isalnum(c) || strchr("_-.,:", c)) {
                        out[w++] = (char)toupper(c);
                        kept++;
                } else if (c == '/') {
                        if (++slash_count == 3)
                                break;
                        out[w++] = '/';
                }
        }
        if (kept == 0) {
                free(out);
                return NULL;
        }
        while (slash_count++ < 2)
                out[w++] = '/';
        out[w] = '\0';
        return out;
}

/* A word of a configuration line, upper-cased as glibc stores charset names. */
static char *upper_word(const char *s, size_t n)
{
        char *w = xstrndup(s, n);
        for (char *p = w; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        return w;
}

static bool has_so_suffix(const char *f)
{
        size_t n = strlen(f);
        return n >= 3 && strcmp(f + n - 3, ".so") == 0;
}

static void add_alias(struct gconv_db *db, char *const *words, size_t n)
{
        if (n < 3)
                return;
        cleanup_free char *from = upper_word(words[1], strlen(words[1]));
        cleanup_free char *to = upper_word(words[2], strlen(words[2]));
        /* a name that is a module's own is not an alias; the first definition stays */
        if (strmap_has(&db->modules, from) || strmap_has(&db->aliases, from))
                return;
        strmap_put(&db->aliases, from, xstrdup(to));
}

static void add_module(struct gconv_db *db, char *const *words, size_t n, const char *dir)
{
        if (n < 4)
                return;
        cleanup_free char *from = upper_word(words[1], strlen(words[1]));
        cleanup_free char *to = upper_word(words[2], strlen(words[2]));
        const char *file = words[3];
        /* a module line that repeats an alias's name is ignored, as glibc does */
        if (strmap_has(&db->aliases, from))
                return;
        char *path = file[0] == '/'
                         ? xasprintf("%s%s", file, has_so_suffix(file) ? "" : ".so")
                         : xasprintf("%s/%s%s", dir, file, has_so_suffix(file) ? "" : ".so");
        const char *ends[2] = {from, to};
        for (size_t i = 0; i < 2; i++)
                if (strcmp(ends[i], "INTERNAL") != 0 && !strmap_has(&db->modules, ends[i]))
                        strmap_put(&db->modules, ends[i], xstrdup(path));
        free(path);
}

/* One line, comment cut: its whitespace-separated words (at most five matter). */
static void parse_line(struct gconv_db *db, char *line, const char *dir)
{
        char *hash = strchr(line, '#');
        if (hash)
                *hash = '\0';
        char *words[5];
        size_t n = 0;
        for (char *p = line; *p && n < 5;) {
                while (*p && isspace((unsigned char)*p))
                        p++;
                if (!*p)
                        break;
                char *start = p;
                while (*p && !isspace((unsigned char)*p))
                        p++;
                if (*p)
                        *p++ = '\0';
                if (strlen(start) > GCONV_MAX_NAME_LEN)
                        return; /* no charset or file name is that long */
                words[n++] = start;
        }
        if (n == 0)
                return;
        if (strcmp(words[0], "alias") == 0)
                add_alias(db, words, n);
        else if (strcmp(words[0], "module") == 0)
                add_module(db, words, n, dir);
}

void gconv_db_parse(struct gconv_db *db, const char *text, size_t len, const char *dir)
{
        size_t i = 0;
        while (i < len && db->n_lines < GCONV_MAX_LINES) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
                db->n_lines++;
                if (n <= GCONV_MAX_LINE && !memchr(text + i, '\0', n)) {
                        cleanup_free char *line = xstrndup(text + i, n);
                        parse_line(db, line, dir);
                }
                i += n + 1;
        }
}

const char *gconv_module_for(const struct gconv_db *db, const char *name)
{
        cleanup_free char *norm = gconv_normalize(name);
        if (!norm)
                return NULL;
        const char *file = strmap_get(&db->modules, norm);
        if (file)
                return file;
        const char *target = strmap_get(&db->aliases, norm);
        return target ? strmap_get(&db->modules, target) : NULL;
}

void gconv_db_release(struct gconv_db *db)
{
        strmap_clear(&db->aliases, free);
        strmap_clear(&db->modules, free);
        db->n_lines = 0;
}

static int read_config(const struct image_view *v, const char *path, const char *dir,
                       struct gconv_db *db, struct strvec *files, struct distill_error *err)
{
        char *data = NULL;
        size_t len = 0;
        int r = v->read(v->ud, path, &data, &len, err);
        if (r < 0)
                return r;
        gconv_db_parse(db, data, len, dir);
        free(data);
        strvec_push(files, path);
        return 0;
}

int gconv_db_load(const struct image_view *v, const char *dir, struct gconv_db *db,
                  struct strvec *files, struct distill_error *err)
{
        cleanup_free char *main_conf = xasprintf("%s/gconv-modules", dir);
        cleanup_free char *cache = xasprintf("%s/gconv-modules.cache", dir);
        cleanup_free char *conf_dir = xasprintf("%s/gconv-modules.d", dir);
        const struct imagens_node *node = imagens_get(v->ns, main_conf);
        if (!node || node->type != IMAGENS_FILE)
                return 0;
        struct strvec config = STRVEC_INIT, names = STRVEC_INIT;
        int r = read_config(v, main_conf, dir, db, &config, err);
        if (r >= 0 && imagens_get(v->ns, conf_dir) && imagens_list_dir(v->ns, conf_dir, &names) < 0)
                r = distill_error_set(err, DISTILL_EIO, "%s: cannot list", conf_dir);
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                size_t n = strlen(names.v[i]);
                if (n <= 5 || strcmp(names.v[i] + n - 5, ".conf") != 0)
                        continue;
                cleanup_free char *path = xasprintf("%s/%s", conf_dir, names.v[i]);
                node = imagens_get(v->ns, path);
                if (node && node->type == IMAGENS_FILE)
                        r = read_config(v, path, dir, db, &config, err);
        }
        node = imagens_get(v->ns, cache);
        if (r >= 0 && node && node->type == IMAGENS_FILE)
                strvec_push(files, cache);
        else
                for (size_t i = 0; i < config.n; i++)
                        strvec_push(files, config.v[i]);
        strvec_clear(&config);
        strvec_clear(&names);
        return r < 0 ? r : 0;
}
