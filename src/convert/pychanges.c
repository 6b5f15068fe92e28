/* Standard-library changes between Python versions (pychanges.h). */
#include "distill/convert/pychanges.h"

#include <stdlib.h>
#include <string.h>

#include "distill/base/yamldoc.h"
#include "distill/convert/release.h"

#define PYCHANGES_MAX_FILE (1 << 20)

struct pychange_version {
        char *version;
        struct strvec removed, deprecated;
};

struct pychanges {
        struct pychange_version *v;
        size_t n;
};

void pychanges_free(struct pychanges *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].version);
                strvec_clear(&c->v[i].removed);
                strvec_clear(&c->v[i].deprecated);
        }
        free(c->v);
        free(c);
}

static int load_names(const char *file, struct yamldoc *doc, const yaml_node_t *n,
                      struct strvec *into, struct distill_error *err)
{
        if (n->type != YAML_SEQUENCE_NODE)
                return yaml_fail_at(err, file, n, "expected a list of module names, not %s",
                                    yaml_kind_name(n));
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
                yaml_node_t *item = yamldoc_node(doc, *i);
                if (item->type != YAML_SCALAR_NODE || !*yaml_scalar(item))
                        return yaml_fail_at(err, file, item, "expected a module name");
                strvec_push(into, yaml_scalar(item));
        }
        return 0;
}

static int load_version(const char *file, struct yamldoc *doc, const yaml_node_t *k,
                        const yaml_node_t *v, struct pychange_version *out,
                        struct distill_error *err)
{
        if (k->type != YAML_SCALAR_NODE || v->type != YAML_MAPPING_NODE)
                return yaml_fail_at(err, file, k, "expected \"X.Y\": {removed: [...]}");
        out->version = xstrdup(yaml_scalar(k));
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
                yaml_node_t *key = yamldoc_node(doc, p->key);
                yaml_node_t *val = yamldoc_node(doc, p->value);
                const char *name = key->type == YAML_SCALAR_NODE ? yaml_scalar(key) : "";
                struct strvec *into = !strcmp(name, "removed")      ? &out->removed
                                      : !strcmp(name, "deprecated") ? &out->deprecated
                                                                    : NULL;
                if (!into)
                        return yaml_fail_at(err, file, key, "unknown key \"%s\"", name);
                int r = load_names(file, doc, val, into, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_document(const char *file, struct yamldoc *doc, struct pychanges *c,
                         struct distill_error *err)
{
        yaml_node_t *root = yamldoc_root(doc);
        if (!root || root->type != YAML_MAPPING_NODE)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: expected a mapping", file);
        yaml_node_t *versions = NULL;
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = yamldoc_node(doc, p->key);
                const char *key = k->type == YAML_SCALAR_NODE ? yaml_scalar(k) : "";
                if (!strcmp(key, "versions"))
                        versions = yamldoc_node(doc, p->value);
                else if (strcmp(key, "version"))
                        return yaml_fail_at(err, file, k, "unknown key \"%s\"", key);
        }
        if (!versions || versions->type != YAML_MAPPING_NODE)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: no `versions` mapping", file);
        for (yaml_node_pair_t *p = versions->data.mapping.pairs.start;
             p < versions->data.mapping.pairs.top; p++) {
                c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
                memset(&c->v[c->n], 0, sizeof(*c->v));
                c->n++;
                int r = load_version(file, doc, yamldoc_node(doc, p->key),
                                     yamldoc_node(doc, p->value), &c->v[c->n - 1], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pychanges_load(const char *path, struct pychanges **out, struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len;
        int r = read_file_capped(path, PYCHANGES_MAX_FILE, &data, &len);
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "reading %s", path);
        struct yamldoc doc;
        if ((r = yamldoc_load(&doc, path, "stdlib changes", data, len, err)) < 0)
                return r;
        struct pychanges *c = xcalloc(1, sizeof(*c));
        r = load_document(path, &doc, c, err);
        yamldoc_release(&doc);
        if (r < 0) {
                pychanges_free(c);
                return r;
        }
        *out = c;
        return 0;
}

/* "distutils.core" is under "distutils"; "tkinter.tix" only under itself */
static bool module_under(const char *module, const char *listed)
{
        size_t n = strlen(listed);
        return !strncmp(module, listed, n) && (module[n] == '\0' || module[n] == '.');
}

static void add_hits(const struct pychange_version *v, const struct strvec *listed, bool removed,
                     const struct strvec *imports, struct strvec *seen, struct pychange_hit **hits,
                     size_t *n)
{
        for (size_t i = 0; i < imports->n; i++) {
                for (size_t j = 0; j < listed->n; j++) {
                        if (!module_under(imports->v[i], listed->v[j]))
                                continue;
                        char *key = xasprintf("%s %s", imports->v[i], removed ? "r" : "d");
                        bool dup = strvec_contains(seen, key);
                        if (!dup)
                                strvec_push(seen, key);
                        free(key);
                        if (dup)
                                continue;
                        *hits = xrealloc(*hits, (*n + 1) * sizeof(**hits));
                        (*hits)[(*n)++] = (struct pychange_hit){
                            .module = xstrdup(imports->v[i]),
                            .listed = xstrdup(listed->v[j]),
                            .version = xstrdup(v->version),
                            .removed = removed,
                        };
                }
        }
}

void pychanges_between(const struct pychanges *c, const char *from, const char *to,
                       const struct strvec *imports, struct pychange_hit **hits, size_t *n)
{
        struct strvec seen = STRVEC_INIT;
        *hits = NULL;
        *n = 0;
        for (size_t i = 0; i < c->n; i++) {
                const struct pychange_version *v = &c->v[i];
                if (release_compare_xy(v->version, from) <= 0 ||
                    release_compare_xy(v->version, to) > 0)
                        continue;
                add_hits(v, &v->removed, true, imports, &seen, hits, n);
                add_hits(v, &v->deprecated, false, imports, &seen, hits, n);
        }
        strvec_clear(&seen);
}

void pychange_hits_free(struct pychange_hit *hits, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(hits[i].module);
                free(hits[i].listed);
                free(hits[i].version);
        }
        free(hits);
}
