/* Rules loader (docs/architecture.md, "Rules"): YAML files read with libyaml's document API and
 * validated against the schema of include/distill/rules.h. Rules files are data a user may write,
 * so every value is checked (type, known keys, known conditions and generators, known variables)
 * and every error names file:line:col. */
#include "distill/input/rules.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "distill/base/names.h"
#include "distill/base/wildmatch.h"
#include "distill/base/yamldoc.h"

/* A rules file is a few kilobytes; these caps only stop hostile or runaway input. */
#define RULES_MAX_FILE_SIZE     (1024 * 1024)
#define RULES_MAX_RULES         4096
#define RULES_MAX_LIST_ITEMS    1024
#define RULES_MAX_FILES_PER_DIR 1024

static const char *const known_vars[] = {"triplet", "arch", "pyver", "ldso"};

struct rules_ctx {
        const char *file;
        struct yamldoc *doc;
        struct ruleset *rs;
        struct strmap *names; /* rule name → origin (borrowed from the rule) */
        struct distill_error *err;
};

/* An invalid-rules error at `node`; yields -DISTILL_EUSAGE where it is returned. */
#define node_error(c, node, ...) yaml_fail_at((c)->err, (c)->file, (node), __VA_ARGS__)

/* A non-empty string scalar without NUL bytes (libyaml allows \0 escapes). */
static int want_string(struct rules_ctx *c, const yaml_node_t *node, const char *what,
                       const char **out)
{
        if (node->type != YAML_SCALAR_NODE)
                return node_error(c, node, "%s must be a string, not %s", what,
                                  yaml_kind_name(node));
        if (node->data.scalar.length == 0)
                return node_error(c, node, "%s must not be empty", what);
        if (strlen(yaml_scalar(node)) != node->data.scalar.length)
                return node_error(c, node, "%s contains a NUL byte", what);
        *out = yaml_scalar(node);
        return 0;
}

/* ${name} references must name a known variable and be closed; the values come later
 * (rules_expand), per architecture. */
static int check_variables(struct rules_ctx *c, const yaml_node_t *node, const char *s)
{
        for (const char *p = strstr(s, "${"); p; p = strstr(p, "${")) {
                const char *close = strchr(p + 2, '}');
                if (!close)
                        return node_error(c, node, "unterminated ${ in '%s'", s);
                size_t len = (size_t)(close - (p + 2));
                bool known = false;
                for (size_t i = 0; i < sizeof(known_vars) / sizeof(known_vars[0]); i++)
                        if (strlen(known_vars[i]) == len && !strncmp(known_vars[i], p + 2, len))
                                known = true;
                if (!known)
                        return node_error(c, node,
                                          "unknown variable ${%.*s} (known: ${triplet}, ${arch}, "
                                          "${pyver}, ${ldso})",
                                          (int)len, p + 2);
                p = close + 1;
        }
        return 0;
}

/* A rule's glob: its variables known, and well formed, since a malformed glob matches nothing
 * and the rule would silently never apply. */
static int check_path_glob(struct rules_ctx *c, const yaml_node_t *node, const char *s)
{
        struct distill_error bad = {0};
        int r = check_variables(c, node, s);
        if (r == 0 && wildmatch_check(s, &bad) < 0)
                r = node_error(c, node, "%s", bad.msg);
        return r;
}

/* Rule names appear in `why` output and messages: keep them to one plain word. */
static bool valid_rule_name(const char *s)
{
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' ||
                      *p == '-' || *p == '.' || *p == '_'))
                        return false;
        return true;
}

/* A module name that may hold ${var} for a value expanded later: valid once each variable
 * stands for an identifier. */
static bool valid_module_name(const char *s)
{
        struct strbuf sb = STRBUF_INIT;
        bool ok = true;
        for (const char *p = s; *p && ok; p++) {
                if (p[0] == '$' && p[1] == '{') {
                        const char *end = strchr(p, '}');
                        ok = end != NULL;
                        strbuf_addch(&sb, 'v');
                        p = end ? end : p;
                        continue;
                }
                strbuf_addch(&sb, *p);
        }
        ok = ok && py_module_name_valid(strbuf_str(&sb));
        strbuf_release(&sb);
        return ok;
}

/* Mapping keys must be string scalars, and unique: libyaml does not check either. */
static int check_mapping_keys(struct rules_ctx *c, const yaml_node_t *map)
{
        for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top;
             a++) {
                yaml_node_t *ka = yamldoc_node(c->doc, a->key);
                const char *s;
                int r = want_string(c, ka, "a key", &s);
                if (r < 0)
                        return r;
                for (yaml_node_pair_t *b = map->data.mapping.pairs.start; b < a; b++) {
                        yaml_node_t *kb = yamldoc_node(c->doc, b->key);
                        if (!strcmp(yaml_scalar(kb), s))
                                return node_error(c, ka, "duplicate key '%s'", s);
                }
        }
        return 0;
}

enum list_kind { LIST_PACKAGES, LIST_PATHS, LIST_MODULES, LIST_LOCALES, LIST_GENERATE };

static int check_list_item(struct rules_ctx *c, const yaml_node_t *item, enum list_kind kind,
                           const char *s)
{
        switch (kind) {
        case LIST_PACKAGES:
                if (!deb_package_name_valid(s))
                        return node_error(c, item, "'%s' is not a valid package name", s);
                return 0;
        case LIST_PATHS:
                if (s[0] != '/')
                        return node_error(c, item, "path '%s' must be absolute", s);
                return check_path_glob(c, item, s);
        case LIST_MODULES:
                if (!valid_module_name(s))
                        return node_error(c, item, "'%s' is not a valid Python module name", s);
                return check_variables(c, item, s);
        case LIST_LOCALES:
                if (!libc_locale_name_valid(s))
                        return node_error(c, item,
                                          "'%s' is not a locale glibc looks up in a directory", s);
                return 0;
        case LIST_GENERATE:
                if (strcmp(s, RULE_GENERATE_CA_BUNDLE) != 0)
                        return node_error(c, item, "unknown generator '%s' (known: %s)", s,
                                          RULE_GENERATE_CA_BUNDLE);
                return 0;
        }
        return 0;
}

static int parse_list(struct rules_ctx *c, const yaml_node_t *node, const char *key,
                      enum list_kind kind, struct strvec *out)
{
        if (yaml_is_null(node))
                return 0;
        if (node->type != YAML_SEQUENCE_NODE)
                return node_error(c, node, "add.%s must be a list, not %s", key,
                                  yaml_kind_name(node));
        size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
        if (n > RULES_MAX_LIST_ITEMS)
                return node_error(c, node, "add.%s has %zu items (at most %d)", key, n,
                                  RULES_MAX_LIST_ITEMS);
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++) {
                yaml_node_t *item = yamldoc_node(c->doc, *it);
                const char *s;
                int r = want_string(c, item, key, &s);
                if (r < 0)
                        return r;
                r = check_list_item(c, item, kind, s);
                if (r < 0)
                        return r;
                if (!strvec_contains(out, s))
                        strvec_push(out, s);
        }
        return 0;
}

static int parse_env(struct rules_ctx *c, const yaml_node_t *node, struct rule *rule)
{
        if (yaml_is_null(node))
                return 0;
        if (node->type != YAML_MAPPING_NODE)
                return node_error(c, node, "add.env must be a mapping, not %s",
                                  yaml_kind_name(node));
        int r = check_mapping_keys(c, node);
        if (r < 0)
                return r;
        size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
        if (n > RULES_MAX_LIST_ITEMS)
                return node_error(c, node, "add.env has %zu keys (at most %d)", n,
                                  RULES_MAX_LIST_ITEMS);
        rule->env = xcalloc(n ? n : 1, sizeof(*rule->env));
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = yamldoc_node(c->doc, p->key);
                yaml_node_t *v = yamldoc_node(c->doc, p->value);
                const char *key = yaml_scalar(k);
                if (!env_var_name_valid(key, strlen(key)))
                        return node_error(c, k, "'%s' is not a valid environment variable name",
                                          key);
                if (v->type != YAML_SCALAR_NODE)
                        return node_error(c, v, "add.env.%s must be a string, not %s", key,
                                          yaml_kind_name(v));
                if (strlen(yaml_scalar(v)) != v->data.scalar.length)
                        return node_error(c, v, "add.env.%s contains a NUL byte", key);
                rule->env[rule->n_env].key = xstrdup(key);
                rule->env[rule->n_env].value = xstrdup(yaml_scalar(v));
                rule->n_env++;
        }
        return 0;
}

static int parse_add(struct rules_ctx *c, const yaml_node_t *node, struct rule *rule)
{
        if (node->type != YAML_MAPPING_NODE)
                return node_error(c, node, "add must be a mapping, not %s", yaml_kind_name(node));
        int r = check_mapping_keys(c, node);
        if (r < 0)
                return r;
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = yamldoc_node(c->doc, p->key);
                yaml_node_t *v = yamldoc_node(c->doc, p->value);
                const char *key = yaml_scalar(k);
                if (!strcmp(key, "packages"))
                        r = parse_list(c, v, key, LIST_PACKAGES, &rule->packages);
                else if (!strcmp(key, "paths"))
                        r = parse_list(c, v, key, LIST_PATHS, &rule->paths);
                else if (!strcmp(key, "modules"))
                        r = parse_list(c, v, key, LIST_MODULES, &rule->modules);
                else if (!strcmp(key, "ignore-in-functions"))
                        r = parse_list(c, v, key, LIST_MODULES, &rule->ignore_in_functions);
                else if (!strcmp(key, "ignore-computed-in"))
                        r = parse_list(c, v, key, LIST_MODULES, &rule->ignore_computed_in);
                else if (!strcmp(key, "locales"))
                        r = parse_list(c, v, key, LIST_LOCALES, &rule->locales);
                else if (!strcmp(key, "generate"))
                        r = parse_list(c, v, key, LIST_GENERATE, &rule->generate);
                else if (!strcmp(key, "env"))
                        r = parse_env(c, v, rule);
                else
                        r = node_error(c, k,
                                       "unknown key 'add.%s' (known: packages, paths, modules, "
                                       "ignore-in-functions, ignore-computed-in, locales, "
                                       "generate, env)",
                                       key);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const struct {
        const char *key;
        enum rule_cond cond;
} when_kinds[] = {
    {"module", RULE_WHEN_MODULE}, {"attribute", RULE_WHEN_ATTRIBUTE}, {"file", RULE_WHEN_FILE},
    {"env", RULE_WHEN_ENV},       {"arch", RULE_WHEN_ARCH},           {"python", RULE_WHEN_PYTHON},
};

static int check_when_value(struct rules_ctx *c, const yaml_node_t *v, enum rule_cond cond,
                            const char *s)
{
        switch (cond) {
        case RULE_WHEN_MODULE:
        case RULE_WHEN_ATTRIBUTE:
                /* an attribute is module.name, which has the module syntax */
                if (!valid_module_name(s))
                        return node_error(c, v, "'%s' is not a valid Python name", s);
                if (cond == RULE_WHEN_ATTRIBUTE && !strchr(s, '.'))
                        return node_error(c, v, "attribute '%s' must be module.attribute", s);
                return 0;
        case RULE_WHEN_FILE:
                if (s[0] != '/')
                        return node_error(c, v, "file '%s' must be an absolute path glob", s);
                return check_path_glob(c, v, s);
        case RULE_WHEN_ENV: {
                const char *eq = strchr(s, '=');
                if (!env_var_name_valid(s, eq ? (size_t)(eq - s) : strlen(s)))
                        return node_error(c, v, "env condition '%s' must be KEY or KEY=VALUE", s);
                return 0;
        }
        case RULE_WHEN_ARCH:
                if (!deb_package_name_valid(s) && strcmp(s, "all") != 0)
                        return node_error(c, v, "'%s' is not a Debian architecture name", s);
                return 0;
        default:
                return 0;
        }
}

/* One key of a when mapping: its kind and checked value (NULL for python). */
static int parse_condition(struct rules_ctx *c, const yaml_node_pair_t *p, enum rule_cond *cond,
                           char **value)
{
        yaml_node_t *k = yamldoc_node(c->doc, p->key);
        yaml_node_t *v = yamldoc_node(c->doc, p->value);
        const char *key = yaml_scalar(k);
        size_t i;
        for (i = 0; i < sizeof(when_kinds) / sizeof(when_kinds[0]); i++)
                if (!strcmp(when_kinds[i].key, key))
                        break;
        if (i == sizeof(when_kinds) / sizeof(when_kinds[0]))
                return node_error(c, k,
                                  "unknown condition '%s' (known: module, attribute, file, env, "
                                  "arch, python)",
                                  key);
        *cond = when_kinds[i].cond;
        *value = NULL;
        const char *s;
        int r = want_string(c, v, key, &s);
        if (r < 0)
                return r;
        if (*cond == RULE_WHEN_PYTHON) {
                /* {python: false} would read as a negation we do not implement */
                if (strcmp(s, "true") != 0)
                        return node_error(c, v, "python condition must be 'true'");
                return 0;
        }
        r = check_when_value(c, v, *cond, s);
        if (r < 0)
                return r;
        *value = xstrdup(s);
        return 0;
}

/* when: always, or a mapping of conditions that must all hold ({env: LANG=C.UTF-8, file: …}). */
static int parse_when(struct rules_ctx *c, const yaml_node_t *node, struct rule *rule)
{
        if (node->type == YAML_SCALAR_NODE) {
                if (!strcmp(yaml_scalar(node), "always")) {
                        rule->when = RULE_WHEN_ALWAYS;
                        return 0;
                }
                return node_error(c, node,
                                  "unknown condition '%s' (always, or a mapping of module, "
                                  "attribute, file, env, arch, python)",
                                  yaml_scalar(node));
        }
        if (node->type != YAML_MAPPING_NODE)
                return node_error(c, node, "when must be 'always' or a mapping, not %s",
                                  yaml_kind_name(node));
        size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
        if (n == 0)
                return node_error(c, node, "when must have at least one condition");
        int r = check_mapping_keys(c, node);
        if (r < 0)
                return r;
        yaml_node_pair_t *p = node->data.mapping.pairs.start;
        r = parse_condition(c, p, &rule->when, &rule->when_value);
        if (r < 0 || n == 1)
                return r;
        rule->also = xcalloc(n - 1, sizeof(*rule->also));
        for (p++; p < node->data.mapping.pairs.top && r >= 0; p++) {
                struct rule_when *w = &rule->also[rule->n_also++];
                r = parse_condition(c, p, &w->cond, &w->value);
        }
        return r;
}

static void rule_release(struct rule *r)
{
        free(r->name);
        free(r->origin);
        free(r->when_value);
        for (size_t i = 0; i < r->n_also; i++)
                free(r->also[i].value);
        free(r->also);
        strvec_clear(&r->packages);
        strvec_clear(&r->paths);
        strvec_clear(&r->locales);
        strvec_clear(&r->modules);
        strvec_clear(&r->ignore_in_functions);
        strvec_clear(&r->ignore_computed_in);
        strvec_clear(&r->generate);
        for (size_t i = 0; i < r->n_env; i++) {
                free(r->env[i].key);
                free(r->env[i].value);
        }
        free(r->env);
        free(r->reason);
        memset(r, 0, sizeof(*r));
}

static int parse_rule_fields(struct rules_ctx *c, const yaml_node_t *node, struct rule *rule)
{
        const yaml_node_t *when = NULL;
        int r = check_mapping_keys(c, node);
        if (r < 0)
                return r;
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = yamldoc_node(c->doc, p->key);
                yaml_node_t *v = yamldoc_node(c->doc, p->value);
                const char *key = yaml_scalar(k);
                const char *s;
                if (!strcmp(key, "name")) {
                        r = want_string(c, v, "name", &s);
                        if (r == 0 && !valid_rule_name(s))
                                r = node_error(c, v,
                                               "rule name '%s' must be lowercase letters, digits, "
                                               "'-', '_', '+' or '.'",
                                               s);
                        if (r == 0)
                                rule->name = xstrdup(s);
                } else if (!strcmp(key, "reason")) {
                        r = want_string(c, v, "reason", &s);
                        if (r == 0)
                                rule->reason = xstrdup(s);
                } else if (!strcmp(key, "when")) {
                        when = v;
                        r = parse_when(c, v, rule);
                } else if (!strcmp(key, "add")) {
                        r = parse_add(c, v, rule);
                } else if (!strcmp(key, "scope")) {
                        r = want_string(c, v, "scope", &s);
                        if (r == 0 && !strcmp(s, "package"))
                                rule->scope = RULE_SCOPE_PACKAGE;
                        else if (r == 0 && strcmp(s, "core") != 0)
                                r = node_error(c, v, "scope must be core or package, not '%s'", s);
                } else {
                        r = node_error(
                            c, k, "unknown key '%s' (known: name, when, add, reason, scope)", key);
                }
                if (r < 0)
                        return r;
        }
        if (!rule->name)
                return node_error(c, node, "rule has no name");
        if (!rule->reason)
                return node_error(c, node, "rule '%s' has no reason", rule->name);
        if (!when)
                return node_error(c, node, "rule '%s' has no when", rule->name);
        return 0;
}

static int parse_rule(struct rules_ctx *c, const yaml_node_t *node)
{
        if (node->type != YAML_MAPPING_NODE)
                return node_error(c, node, "a rule must be a mapping, not %s",
                                  yaml_kind_name(node));
        if (c->rs->n >= RULES_MAX_RULES)
                return node_error(c, node, "too many rules (at most %d)", RULES_MAX_RULES);

        struct rule rule = {0};
        rule.origin = yaml_origin(c->file, node);
        int r = parse_rule_fields(c, node, &rule);
        if (r < 0)
                goto fail;
        const char *first = strmap_get(c->names, rule.name);
        if (first) {
                r = node_error(c, node, "duplicate rule name '%s' (first defined at %s)", rule.name,
                               first);
                goto fail;
        }
        c->rs->rules = xrealloc(c->rs->rules, (c->rs->n + 1) * sizeof(*c->rs->rules));
        c->rs->rules[c->rs->n++] = rule;
        /* the origin string is owned by the rule, whose storage may move: keep a copy */
        strmap_put(c->names, rule.name, xstrdup(rule.origin));
        return 0;
fail:
        rule_release(&rule);
        return r;
}

static int parse_document(struct rules_ctx *c)
{
        yaml_node_t *root = yamldoc_root(c->doc);
        if (!root || yaml_is_null(root))
                return 0; /* an empty file holds no rules */
        if (root->type != YAML_MAPPING_NODE)
                return node_error(c, root, "a rules file must be a mapping with 'rules', not %s",
                                  yaml_kind_name(root));
        int r = check_mapping_keys(c, root);
        if (r < 0)
                return r;
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = yamldoc_node(c->doc, p->key);
                yaml_node_t *v = yamldoc_node(c->doc, p->value);
                if (strcmp(yaml_scalar(k), "rules") != 0)
                        return node_error(c, k, "unknown key '%s' (known: rules)", yaml_scalar(k));
                if (yaml_is_null(v))
                        continue;
                if (v->type != YAML_SEQUENCE_NODE)
                        return node_error(c, v, "rules must be a list, not %s", yaml_kind_name(v));
                for (yaml_node_item_t *it = v->data.sequence.items.start;
                     it < v->data.sequence.items.top; it++) {
                        r = parse_rule(c, yamldoc_node(c->doc, *it));
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int read_rules_file(const char *file, char **data, size_t *len, struct distill_error *err)
{
        struct stat st;
        if (stat(file, &st) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s", file);
        if (!S_ISREG(st.st_mode))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: not a regular file", file);
        if (st.st_size > RULES_MAX_FILE_SIZE)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: %lld bytes, larger than the %d-byte limit for a "
                                         "rules file",
                                         file, (long long)st.st_size, RULES_MAX_FILE_SIZE);
        int r = read_file(file, data, len);
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "%s", file);
        if (*len > RULES_MAX_FILE_SIZE) {
                free(*data);
                *data = NULL;
                return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %d bytes", file,
                                         RULES_MAX_FILE_SIZE);
        }
        return 0;
}

/* The file's part of ruleset.digest: "NAME\0LENGTH\n" then its bytes, so that no two sequences
 * of files hash alike. */
static void digest_rules_file(struct digest *md, const char *file, const char *data, size_t len)
{
        const char *name = path_basename(file);
        char size[32];
        int n = snprintf(size, sizeof(size), "%zu\n", len);
        digest_update(md, name, strlen(name) + 1);
        digest_update(md, size, (size_t)n);
        digest_update(md, data, len);
}

static int load_file(const char *file, struct ruleset *rs, struct strmap *names, struct digest *md,
                     struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len = 0;
        int r = read_rules_file(file, &data, &len, err);
        if (r < 0)
                return r;
        digest_rules_file(md, file, data, len);

        struct yamldoc doc;
        if ((r = yamldoc_load(&doc, file, "rules file", data, len, err)) < 0)
                return r;
        struct rules_ctx c = {.file = file, .doc = &doc, .rs = rs, .names = names, .err = err};
        r = parse_document(&c);
        yamldoc_release(&doc);
        return r;
}

static bool is_yaml_name(const char *name)
{
        size_t n = strlen(name);
        return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".yaml");
}

static int list_rules_dir(const char *dir, struct strvec *files, struct distill_error *err)
{
        DIR *d = opendir(dir);
        if (!d)
                return distill_error_errno(err, DISTILL_EIO, errno, "rules directory %s", dir);
        struct strvec names = STRVEC_INIT;
        struct dirent *de;
        int r = 0;
        errno = 0;
        while ((de = readdir(d))) {
                if (!is_yaml_name(de->d_name))
                        continue;
                if (names.n >= RULES_MAX_FILES_PER_DIR) {
                        r = distill_error_set(err, DISTILL_EUSAGE,
                                              "rules directory %s: more than %d files", dir,
                                              RULES_MAX_FILES_PER_DIR);
                        goto out;
                }
                strvec_push(&names, de->d_name);
        }
        if (errno) {
                r = distill_error_errno(err, DISTILL_EIO, errno, "reading rules directory %s", dir);
                goto out;
        }
        strvec_sort(&names);
        for (size_t i = 0; i < names.n; i++)
                strvec_push_nodup(files, path_join(dir, names.v[i]));
out:
        strvec_clear(&names);
        closedir(d);
        return r;
}

int rules_load(const struct strvec *dirs, struct ruleset *out, struct distill_error *err)
{
        struct ruleset rs = {0};
        struct strmap names = STRMAP_INIT;
        struct strvec files = STRVEC_INIT;
        int r = 0;

        for (size_t i = 0; i < dirs->n && r == 0; i++)
                r = list_rules_dir(dirs->v[i], &files, err);
        struct digest *md = digest_sha256();
        for (size_t i = 0; i < files.n && r == 0; i++)
                r = load_file(files.v[i], &rs, &names, md, err);
        digest_finish_hex(md, rs.digest);

        strmap_clear(&names, free);
        strvec_clear(&files);
        if (r < 0) {
                rules_release(&rs);
                return r;
        }
        *out = rs;
        return 0;
}

/* Set by the build (CMakeLists.txt): the install layout relative to BINDIR, and where the
 * build tree and the checkout's rules are. */
#ifndef DISTILL_RULES_FROM_BINDIR
#define DISTILL_RULES_FROM_BINDIR "../share/distill/rules"
#endif

static bool is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of the running program, symlinks resolved (NULL if /proc is missing). */
static char *program_dir(void)
{
        char *exe = realpath("/proc/self/exe", NULL);
        if (!exe)
                return NULL;
        char *dir = path_dirname(exe);
        free(exe);
        return dir;
}

#ifdef DISTILL_BUILD_TREE
static bool is_build_tree(const char *dir)
{
        cleanup_free char *tree = realpath(DISTILL_BUILD_TREE, NULL);
        return tree && !strcmp(tree, dir);
}
#endif

int rules_shipped_dir(char **out, struct distill_error *err)
{
        const char *env = getenv("DISTILL_RULES_DIR");
        if (env && *env) {
                if (!is_dir(env))
                        return distill_error_set(err, DISTILL_EIO,
                                                 "DISTILL_RULES_DIR=%s is not a directory", env);
                *out = xstrdup(env);
                return 0;
        }
        cleanup_free char *dir = program_dir();
        if (!dir)
                return distill_error_errno(err, DISTILL_EIO, errno,
                                           "cannot find distill's own path (/proc/self/exe) to "
                                           "find its rules; set DISTILL_RULES_DIR");
        cleanup_free char *installed = path_join(dir, DISTILL_RULES_FROM_BINDIR);
        if (is_dir(installed)) {
                *out = path_normalize(installed);
                return 0;
        }
#ifdef DISTILL_BUILD_TREE
        if (is_build_tree(dir) && is_dir(DISTILL_SOURCE_RULES)) {
                *out = xstrdup(DISTILL_SOURCE_RULES);
                return 0;
        }
#endif
        cleanup_free char *shown = path_normalize(installed);
        return distill_error_set(err, DISTILL_EIO,
                                 "distill's rules are not installed: no directory %s; set "
                                 "DISTILL_RULES_DIR",
                                 shown);
}

void rules_release(struct ruleset *rs)
{
        if (!rs)
                return;
        for (size_t i = 0; i < rs->n; i++)
                rule_release(&rs->rules[i]);
        free(rs->rules);
        rs->rules = NULL;
        rs->n = 0;
}

static const char *var_value(const struct rules_vars *vars, const char *name, size_t len,
                             bool *known)
{
        *known = true;
        if (len == 7 && !strncmp(name, "triplet", len))
                return vars->triplet;
        if (len == 4 && !strncmp(name, "arch", len))
                return vars->arch;
        if (len == 5 && !strncmp(name, "pyver", len))
                return vars->pyver;
        if (len == 4 && !strncmp(name, "ldso", len))
                return vars->ldso;
        *known = false;
        return NULL;
}

char *rules_expand(const char *s, const struct rules_vars *vars, const char *origin,
                   struct distill_error *err)
{
        struct strbuf sb = STRBUF_INIT;
        const char *where = origin ? origin : "rule";

        strbuf_adds(&sb, "");
        for (const char *p = s; *p;) {
                if (p[0] != '$' || p[1] != '{') {
                        strbuf_addch(&sb, *p++);
                        continue;
                }
                const char *close = strchr(p + 2, '}');
                if (!close) {
                        distill_error_set(err, DISTILL_EUSAGE, "%s: unterminated ${ in '%s'", where,
                                          s);
                        goto fail;
                }
                size_t len = (size_t)(close - (p + 2));
                bool known;
                const char *value = var_value(vars, p + 2, len, &known);
                if (!known) {
                        distill_error_set(err, DISTILL_EUSAGE, "%s: unknown variable ${%.*s}",
                                          where, (int)len, p + 2);
                        goto fail;
                }
                if (!value) {
                        distill_error_set(err, DISTILL_EUSAGE,
                                          "%s: ${%.*s} has no value here (in '%s')", where,
                                          (int)len, p + 2, s);
                        goto fail;
                }
                strbuf_adds(&sb, value);
                p = close + 1;
        }
        return strbuf_detach(&sb);
fail:
        strbuf_release(&sb);
        return NULL;
}

void rules_drop_scope(struct ruleset *set, enum rule_scope scope)
{
        size_t kept = 0;
        for (size_t i = 0; i < set->n; i++) {
                if (set->rules[i].scope == scope)
                        rule_release(&set->rules[i]);
                else
                        set->rules[kept++] = set->rules[i];
        }
        set->n = kept;
}
