/* distill.lock: the candidate set pinned by name, version and .deb hash. */
#include "distill/source/lock.h"

#include <errno.h>
#include <stdlib.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#define LOCK_VERSION  1
#define LOCK_MAX_SIZE (64u << 20)

static json_t *entry_json(const struct source_pkg *p)
{
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(p->name));
        json_object_set_new(o, "version", json_string(p->version));
        json_object_set_new(o, "architecture", json_string(p->arch));
        json_object_set_new(o, "filename", json_string(p->filename));
        json_object_set_new(o, "size", json_integer((json_int_t)p->size));
        json_object_set_new(o, "sha256", json_string(p->sha256));
        json_object_set_new(o, "source", json_string(p->base_uri));
        return o;
}

static int check_archive_packages(const struct pkgset *set, struct distill_error *err)
{
        for (size_t i = 0; i < set->n; i++)
                if (!set->pkgs[i]->filename || !set->pkgs[i]->sha256 || !set->pkgs[i]->base_uri)
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s has no archive location: lock files pin "
                                                 "packages of an apt source",
                                                 set->pkgs[i]->name);
        return 0;
}

int lock_write_archs(const char *path, const char *const *archs, const struct pkgset *sets,
                     size_t n, struct distill_error *err)
{
        json_error_t jerr;
        json_t *root = NULL;
        int r = 0;

        for (size_t k = 0; k < n; k++)
                if ((r = check_archive_packages(&sets[k], err)) < 0)
                        return r;
        if (access(path, F_OK) == 0) {
                root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
                if (!root || !json_is_object(root) ||
                    !json_is_object(json_object_get(root, "architectures"))) {
                        json_decref(root);
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s: not a distill lock file (%s)", path,
                                                 root ? "no architectures" : jerr.text);
                }
        } else {
                root = json_object();
                json_object_set_new(root, "version", json_integer(LOCK_VERSION));
                json_object_set_new(root, "architectures", json_object());
        }
        for (size_t k = 0; k < n; k++) {
                json_t *list = json_array();
                for (size_t i = 0; i < sets[k].n; i++)
                        json_array_append_new(list, entry_json(sets[k].pkgs[i]));
                json_object_set_new(json_object_get(root, "architectures"), archs[k], list);
        }
        char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
        json_decref(root);
        if (!text)
                return distill_error_set(err, DISTILL_EINTERNAL, "cannot encode %s", path);
        size_t len = strlen(text);
        text = xrealloc(text, len + 2);
        text[len++] = '\n';
        int e = write_file_atomic(path, text, len, 0644);
        free(text);
        if (e < 0)
                r = distill_error_errno(err, DISTILL_EIO, -e, "cannot write %s", path);
        return r;
}

int lock_write(const char *path, const char *arch, const struct pkgset *set,
               struct distill_error *err)
{
        return lock_write_archs(path, &arch, set, 1, err);
}

static bool safe_token(const char *s, size_t max)
{
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
                        return false;
        return true;
}

static int get_field(const char *path, size_t i, json_t *o, const char *key, char **out,
                     struct distill_error *err)
{
        json_t *v = json_object_get(o, key);
        if (!json_is_string(v) || !safe_token(json_string_value(v), 1024))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: entry %zu: \"%s\" must be a non-empty string "
                                         "without blanks",
                                         path, i, key);
        *out = xstrdup(json_string_value(v));
        return 0;
}

static int read_entry(const char *path, size_t i, json_t *o, struct lock_entry *e,
                      struct distill_error *err)
{
        int r;
        if (!json_is_object(o))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: entry %zu is not an object",
                                         path, i);
        if ((r = get_field(path, i, o, "name", &e->name, err)) < 0 ||
            (r = get_field(path, i, o, "version", &e->version, err)) < 0 ||
            (r = get_field(path, i, o, "architecture", &e->arch, err)) < 0 ||
            (r = get_field(path, i, o, "filename", &e->filename, err)) < 0 ||
            (r = get_field(path, i, o, "sha256", &e->sha256, err)) < 0 ||
            (r = get_field(path, i, o, "source", &e->source, err)) < 0)
                return r;
        json_t *size = json_object_get(o, "size");
        if (!json_is_integer(size) || json_integer_value(size) < 0)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: entry %zu: \"size\" must be a non-negative integer",
                                         path, i);
        e->size = (uint64_t)json_integer_value(size);
        return 0;
}

int lock_read(const char *path, const char *arch, struct lock_set *out, struct distill_error *err)
{
        json_error_t jerr;
        int r = 0;

        memset(out, 0, sizeof(*out));
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return distill_error_set(err, errno == ENOENT ? DISTILL_EIO : DISTILL_EUSAGE,
                                         "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        json_t *list = json_object_get(json_object_get(root, "architectures"), arch);
        if (!json_is_integer(json_object_get(root, "version")) ||
            json_integer_value(json_object_get(root, "version")) != LOCK_VERSION) {
                r = distill_error_set(err, DISTILL_EUSAGE, "%s: not a version %d distill lock",
                                      path, LOCK_VERSION);
                goto done;
        }
        if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 100000) {
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "%s: no packages for architecture %s (run distill lock "
                                      "--arch %s)",
                                      path, arch, arch);
                goto done;
        }
        out->v = xcalloc(json_array_size(list), sizeof(*out->v));
        for (size_t i = 0; i < json_array_size(list) && r >= 0; i++) {
                r = read_entry(path, i, json_array_get(list, i), &out->v[i], err);
                out->n++;
                if (r < 0)
                        break;
                const struct lock_entry *e = &out->v[i];
                /* the source module validates these fields like any Packages index */
                out->v[i].stanza = xasprintf("Package: %s\nVersion: %s\nArchitecture: %s\n"
                                             "Filename: %s\nSize: %llu\nSHA256: %s\n\n",
                                             e->name, e->version, e->arch, e->filename,
                                             (unsigned long long)e->size, e->sha256);
        }
done:
        json_decref(root);
        if (r < 0)
                lock_set_release(out);
        return r;
}

void lock_set_release(struct lock_set *set)
{
        for (size_t i = 0; i < set->n; i++) {
                struct lock_entry *e = &set->v[i];
                free(e->name);
                free(e->version);
                free(e->arch);
                free(e->filename);
                free(e->sha256);
                free(e->source);
                free(e->stanza);
        }
        free(set->v);
        memset(set, 0, sizeof(*set));
}

int lock_architectures(const char *path, struct strvec *out, struct distill_error *err)
{
        json_error_t jerr;
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return distill_error_set(err, errno == ENOENT ? DISTILL_EIO : DISTILL_EUSAGE,
                                         "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        json_t *archs = json_object_get(root, "architectures");
        int r = 0;
        if (!json_is_object(archs) || json_object_size(archs) > 64) {
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "%s: \"architectures\" must be an object of at most 64 "
                                      "architectures",
                                      path);
        } else {
                const char *key;
                json_t *v;
                json_object_foreach(archs, key, v)
                {
                        strvec_push(out, key);
                }
                strvec_sort(out);
        }
        json_decref(root);
        return r;
}

const struct lock_entry *lock_find(const struct lock_set *set, const char *name)
{
        for (size_t i = 0; i < set->n; i++)
                if (strcmp(set->v[i].name, name) == 0)
                        return &set->v[i];
        return NULL;
}

struct solve_pin *lock_pins(const struct lock_set *set, const struct strvec *update)
{
        struct solve_pin *pins = xcalloc(set->n + 1, sizeof(*pins));
        for (size_t i = 0; i < set->n; i++)
                pins[i] = (struct solve_pin){set->v[i].name, set->v[i].version,
                                             update && !strvec_contains(update, set->v[i].name)};
        return pins;
}

static int cmp_change(const void *a, const void *b)
{
        const struct lock_change *x = a, *y = b;
        return strcmp(x->name, y->name);
}

size_t lock_diff(const struct lock_set *old, const struct pkgset *now, struct lock_change **out)
{
        struct strmap before = STRMAP_INIT, after = STRMAP_INIT;
        size_t n = 0;

        *out = NULL;
        for (size_t i = 0; i < old->n; i++)
                if (!strmap_has(&before, old->v[i].name))
                        strmap_put(&before, old->v[i].name, (void *)&old->v[i]);
        for (size_t i = 0; i < now->n; i++)
                strmap_put(&after, now->pkgs[i]->name, now->pkgs[i]);
        struct lock_change *v = xcalloc(old->n + now->n + 1, sizeof(*v));
        for (size_t i = 0; i < now->n; i++) {
                const struct source_pkg *p = now->pkgs[i];
                /* one change per name, however many architectures carry it */
                if (i > 0 && strcmp(now->pkgs[i - 1]->name, p->name) == 0)
                        continue;
                const struct lock_entry *e = strmap_get(&before, p->name);
                if (!e)
                        v[n++] = (struct lock_change){LOCK_ADDED, p->name, NULL, p->version};
                else if (strcmp(e->version, p->version) != 0)
                        v[n++] =
                            (struct lock_change){LOCK_CHANGED, p->name, e->version, p->version};
        }
        for (size_t i = 0; i < old->n; i++) {
                const struct lock_entry *e = &old->v[i];
                if (!strmap_has(&after, e->name)) {
                        v[n++] = (struct lock_change){LOCK_REMOVED, e->name, e->version, NULL};
                        strmap_put(&after, e->name, (void *)e);
                }
        }
        strmap_clear(&before, NULL);
        strmap_clear(&after, NULL);
        if (n == 0) {
                free(v);
                return 0;
        }
        qsort(v, n, sizeof(*v), cmp_change);
        *out = v;
        return n;
}
