/* Alpine packages onto Debian ones (alpine.h). */
#include "distill/convert/alpine.h"

#include <stdlib.h>
#include <string.h>

#include "distill/base/yamldoc.h"

#define ALPINE_MAX_FILE (1 << 20)

struct alpine_map {
        struct strmap drop;          /* name → reason (char *) */
        struct strmap drop_suffixes; /* "-dev" → reason */
        struct strmap packages;      /* name → struct strvec * */
};

static void free_strvec(void *p)
{
        strvec_clear(p);
        free(p);
}

void alpine_map_free(struct alpine_map *m)
{
        if (!m)
                return;
        strmap_clear(&m->drop, free);
        strmap_clear(&m->drop_suffixes, free);
        strmap_clear(&m->packages, free_strvec);
        free(m);
}

struct loader {
        const char *file;
        struct yamldoc *doc;
        struct alpine_map *map;
        struct distill_error *err;
};

static int expect(struct loader *l, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
        if (n->type == type)
                return 0;
        return yaml_fail_at(l->err, l->file, n, "%s must be %s, not %s", what,
                            type == YAML_MAPPING_NODE    ? "a mapping"
                            : type == YAML_SEQUENCE_NODE ? "a list"
                                                         : "a string",
                            yaml_kind_name(n));
}

/* drop / drop-suffixes: name → reason */
static int load_reasons(struct loader *l, const yaml_node_t *n, const char *what,
                        struct strmap *into)
{
        int r = expect(l, n, YAML_MAPPING_NODE, what);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             r == 0 && p < n->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yamldoc_node(l->doc, p->key);
                yaml_node_t *v = yamldoc_node(l->doc, p->value);
                if ((r = expect(l, k, YAML_SCALAR_NODE, what)) < 0 ||
                    (r = expect(l, v, YAML_SCALAR_NODE, what)) < 0)
                        break;
                if (strmap_has(into, yaml_scalar(k)))
                        return yaml_fail_at(l->err, l->file, k, "%s: \"%s\" is listed twice", what,
                                            yaml_scalar(k));
                strmap_put(into, yaml_scalar(k), xstrdup(yaml_scalar(v)));
        }
        return r;
}

static int load_packages(struct loader *l, const yaml_node_t *n)
{
        int r = expect(l, n, YAML_MAPPING_NODE, "packages");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             r == 0 && p < n->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yamldoc_node(l->doc, p->key);
                yaml_node_t *v = yamldoc_node(l->doc, p->value);
                if ((r = expect(l, k, YAML_SCALAR_NODE, "packages")) < 0 ||
                    (r = expect(l, v, YAML_SEQUENCE_NODE, "packages.NAME")) < 0)
                        break;
                if (strmap_has(&l->map->packages, yaml_scalar(k)) ||
                    strmap_has(&l->map->drop, yaml_scalar(k)))
                        return yaml_fail_at(l->err, l->file, k, "packages: \"%s\" is listed twice",
                                            yaml_scalar(k));
                struct strvec *debian = xcalloc(1, sizeof(*debian));
                strmap_put(&l->map->packages, yaml_scalar(k), debian);
                for (yaml_node_item_t *i = v->data.sequence.items.start;
                     i < v->data.sequence.items.top; i++) {
                        yaml_node_t *item = yamldoc_node(l->doc, *i);
                        if ((r = expect(l, item, YAML_SCALAR_NODE, "a Debian package")) < 0)
                                return r;
                        strvec_push(debian, yaml_scalar(item));
                }
                if (!debian->n)
                        return yaml_fail_at(l->err, l->file, v, "packages.%s lists no package",
                                            yaml_scalar(k));
        }
        return r;
}

static int load_document(struct loader *l)
{
        yaml_node_t *root = yamldoc_root(l->doc);
        if (!root)
                return distill_error_set(l->err, DISTILL_EUSAGE, "%s: empty", l->file);
        int r = expect(l, root, YAML_MAPPING_NODE, "the file");
        bool versioned = false;
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             r == 0 && p < root->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yamldoc_node(l->doc, p->key);
                yaml_node_t *v = yamldoc_node(l->doc, p->value);
                const char *key = k->type == YAML_SCALAR_NODE ? yaml_scalar(k) : "";
                if (!strcmp(key, "version")) {
                        if (v->type != YAML_SCALAR_NODE || strcmp(yaml_scalar(v), "1"))
                                return yaml_fail_at(l->err, l->file, v, "version must be 1");
                        versioned = true;
                } else if (!strcmp(key, "drop")) {
                        r = load_reasons(l, v, "drop", &l->map->drop);
                } else if (!strcmp(key, "drop-suffixes")) {
                        r = load_reasons(l, v, "drop-suffixes", &l->map->drop_suffixes);
                } else if (!strcmp(key, "packages")) {
                        r = load_packages(l, v);
                } else {
                        return yaml_fail_at(l->err, l->file, k, "unknown key \"%s\"", key);
                }
        }
        if (r == 0 && !versioned)
                return distill_error_set(l->err, DISTILL_EUSAGE, "%s: no `version: 1`", l->file);
        return r;
}

int alpine_map_load(const char *path, struct alpine_map **out, struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len;
        int r = read_file_capped(path, ALPINE_MAX_FILE, &data, &len);
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "reading %s", path);
        struct yamldoc doc;
        if ((r = yamldoc_load(&doc, path, "Alpine package map", data, len, err)) < 0)
                return r;
        struct alpine_map *map = xcalloc(1, sizeof(*map));
        struct loader l = {.file = path, .doc = &doc, .map = map, .err = err};
        r = load_document(&l);
        yamldoc_release(&doc);
        if (r < 0) {
                alpine_map_free(map);
                return r;
        }
        *out = map;
        return 0;
}

/* apk's constraint operators: name=1.2-r0, name~1.2, name>1, name<2, name>=1 */
static char *strip_constraint(const char *apk)
{
        return xstrndup(apk, strcspn(apk, "=~<>"));
}

static const char *suffix_reason(const struct alpine_map *m, const char *name)
{
        const char **keys = strmap_sorted_keys(&m->drop_suffixes);
        const char *reason = NULL;
        size_t n = strlen(name);
        for (size_t i = 0; keys[i] && !reason; i++) {
                size_t k = strlen(keys[i]);
                if (n > k && !strcmp(name + n - k, keys[i]))
                        reason = strmap_get(&m->drop_suffixes, keys[i]);
        }
        free(keys);
        return reason;
}

void alpine_map_lookup(const struct alpine_map *m, const char *apk, struct alpine_answer *a)
{
        memset(a, 0, sizeof(*a));
        a->name = strip_constraint(apk);
        const char *reason;
        if ((reason = strmap_get(&m->drop, a->name))) {
                a->kind = ALPINE_DROP;
                a->reason = reason;
        } else if ((a->debian = strmap_get(&m->packages, a->name))) {
                a->kind = ALPINE_DEBIAN;
        } else if ((reason = suffix_reason(m, a->name))) {
                a->kind = ALPINE_DROP;
                a->reason = reason;
        } else if (!strncmp(a->name, "py3-", 4) && a->name[4]) {
                a->kind = ALPINE_PYTHON;
                a->distribution = xstrdup(a->name + 4);
        } else {
                a->kind = ALPINE_UNKNOWN;
        }
}

void alpine_answer_release(struct alpine_answer *a)
{
        free(a->name);
        free(a->distribution);
        memset(a, 0, sizeof(*a));
}
