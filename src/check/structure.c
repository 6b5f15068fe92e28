/* structure: container-structure-test files run against an image
 * (include/distill/check/structure.h). */
#include "distill/check/structure.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "distill/base/yamldoc.h"
#include "distill/check/sandbox.h"
#include "distill/check/verify.h"
#include "distill/image/tree.h"

/* --- reading ------------------------------------------------------------------------------- */

struct sctx {
        struct yamldoc *doc;
        const char *file;
        struct distill_error *err;
};

static size_t seq_len(const yaml_node_t *n)
{
        return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static int want_string(struct sctx *c, yaml_node_t *n, const char *what, char **out)
{
        if (!n || n->type != YAML_SCALAR_NODE)
                return yaml_fail_at(c->err, c->file, n, "%s must be a string, not %s", what,
                                    n ? yaml_kind_name(n) : "nothing");
        if (strlen(yaml_scalar(n)) != n->data.scalar.length)
                return yaml_fail_at(c->err, c->file, n, "%s contains a NUL byte", what);
        free(*out);
        *out = xstrdup(yaml_scalar(n));
        return 0;
}

static int want_bool(struct sctx *c, yaml_node_t *n, const char *what, bool *out)
{
        const char *s = n->type == YAML_SCALAR_NODE ? yaml_scalar(n) : "";
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
                *out = true;
        else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
                *out = false;
        else
                return yaml_fail_at(c->err, c->file, n, "%s must be true or false", what);
        return 0;
}

static int want_int(struct sctx *c, yaml_node_t *n, const char *what, long min, long max, long *out)
{
        const char *s = n->type == YAML_SCALAR_NODE ? yaml_scalar(n) : "";
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (!*s || *end || errno || v < min || v > max)
                return yaml_fail_at(c->err, c->file, n, "%s must be a number from %ld to %ld", what,
                                    min, max);
        *out = v;
        return 0;
}

/* glibc's regcomp copies a sub-expression once per repetition an interval asks for, nested
 * intervals multiplying: the product of every interval's count (an upper bound) is capped. */
static bool intervals_bounded(const char *re)
{
        unsigned long product = 1;
        for (const char *p = strchr(re, '{'); p; p = strchr(p + 1, '{')) {
                char *end;
                unsigned long lo = strtoul(p + 1, &end, 10);
                unsigned long hi = lo;
                if (end == p + 1)
                        continue; /* a literal brace */
                if (*end == ',')
                        hi = end[1] == '}' ? lo : strtoul(end + 1, &end, 10);
                if (hi > STRUCTURE_MAX_REPEAT)
                        return false;
                product *= hi ? hi : 1;
                if (product > STRUCTURE_MAX_REPEAT)
                        return false;
        }
        return true;
}

/* A repetition of a repetition ("a+++", "a*{2}"), which POSIX leaves undefined, makes glibc's
 * regcomp build a tree exponential in the run's length: refused. Bracket expressions and escaped
 * characters are literals. */
static bool repeats_repetition(const char *re)
{
        bool after_repeat = false;
        for (const char *p = re; *p; p++) {
                if (*p == '\\' && p[1]) {
                        p++;
                        after_repeat = false;
                        continue;
                }
                if (*p == '[') {
                        p++;
                        if (*p == '^')
                                p++;
                        if (*p == ']')
                                p++;
                        while (*p && *p != ']')
                                p++;
                        if (!*p)
                                return false; /* regcomp says what is wrong */
                        after_repeat = false;
                        continue;
                }
                bool repeat = *p == '*' || *p == '+' || *p == '?' || *p == '{';
                if (repeat && after_repeat)
                        return true;
                if (*p == '{') {
                        const char *close = strchr(p, '}');
                        if (close)
                                p = close;
                }
                after_repeat = repeat;
        }
        return false;
}

static int compile_check(struct sctx *c, yaml_node_t *n, const char *re)
{
        if (repeats_repetition(re))
                return yaml_fail_at(c->err, c->file, n,
                                    "regular expression '%.40s': a repetition of a repetition", re);
        if (strlen(re) > STRUCTURE_MAX_REGEX || !intervals_bounded(re))
                return yaml_fail_at(c->err, c->file, n,
                                    "regular expression '%.40s…': longer than %d bytes or "
                                    "repeating more than %d times",
                                    re, STRUCTURE_MAX_REGEX, STRUCTURE_MAX_REPEAT);
        regex_t rx;
        int e = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
        if (e) {
                char msg[256];
                regerror(e, &rx, msg, sizeof(msg));
                return yaml_fail_at(c->err, c->file, n, "regular expression '%s': %s", re, msg);
        }
        regfree(&rx);
        return 0;
}

static int want_strings(struct sctx *c, yaml_node_t *n, const char *what, bool regex,
                        struct strvec *out)
{
        if (yaml_is_null(n))
                return 0;
        if (n->type != YAML_SEQUENCE_NODE)
                return yaml_fail_at(c->err, c->file, n, "%s must be a list, not %s", what,
                                    yaml_kind_name(n));
        if (seq_len(n) > STRUCTURE_MAX_TESTS)
                return yaml_fail_at(c->err, c->file, n, "%s: too many items", what);
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
                yaml_node_t *item = yamldoc_node(c->doc, *it);
                char *s = NULL;
                int r = want_string(c, item, what, &s);
                if (r >= 0 && regex)
                        r = compile_check(c, item, s);
                if (r < 0) {
                        free(s);
                        return r;
                }
                strvec_push_nodup(out, s);
        }
        return 0;
}

/* [{key: K, value: V, isRegex: B}] */
static int want_kvs(struct sctx *c, yaml_node_t *n, const char *what, struct structure_kvs *out)
{
        if (yaml_is_null(n))
                return 0;
        if (n->type != YAML_SEQUENCE_NODE)
                return yaml_fail_at(c->err, c->file, n, "%s must be a list, not %s", what,
                                    yaml_kind_name(n));
        if (seq_len(n) > STRUCTURE_MAX_TESTS)
                return yaml_fail_at(c->err, c->file, n, "%s: too many items", what);
        if (out->v)
                return yaml_fail_at(c->err, c->file, n, "%s is given twice", what);
        out->v = xcalloc(seq_len(n) + 1, sizeof(*out->v));
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
                yaml_node_t *item = yamldoc_node(c->doc, *it);
                if (item->type != YAML_MAPPING_NODE)
                        return yaml_fail_at(c->err, c->file, item,
                                            "%s: each item is a mapping of key and value", what);
                struct structure_kv *kv = &out->v[out->n++];
                for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
                     p < item->data.mapping.pairs.top; p++) {
                        yaml_node_t *k = yamldoc_node(c->doc, p->key);
                        yaml_node_t *v = yamldoc_node(c->doc, p->value);
                        const char *key = k->type == YAML_SCALAR_NODE ? yaml_scalar(k) : "";
                        int r;
                        if (!strcmp(key, "key"))
                                r = want_string(c, v, "key", &kv->key);
                        else if (!strcmp(key, "value"))
                                r = want_string(c, v, "value", &kv->value);
                        else if (!strcmp(key, "isRegex"))
                                r = want_bool(c, v, "isRegex", &kv->is_regex);
                        else
                                r = yaml_fail_at(c->err, c->file, k, "%s: unknown key '%s'", what,
                                                 key);
                        if (r < 0)
                                return r;
                }
                if (!kv->key)
                        return yaml_fail_at(c->err, c->file, item, "%s: an item without key", what);
                if (!kv->value)
                        kv->value = xstrdup("");
                if (kv->is_regex) {
                        int r = compile_check(c, item, kv->value);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static void kvs_free(struct structure_kvs *kv)
{
        for (size_t i = 0; i < kv->n; i++) {
                free(kv->v[i].key);
                free(kv->v[i].value);
        }
        free(kv->v);
}

static int parse_file_test(struct sctx *c, yaml_node_t *n, bool content,
                           struct structure_file_test *t)
{
        const char *what = content ? "fileContentTests" : "fileExistenceTests";
        t->should_exist = true;
        t->uid = t->gid = -1;
        if (n->type != YAML_MAPPING_NODE)
                return yaml_fail_at(c->err, c->file, n, "%s: each test is a mapping", what);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = yamldoc_node(c->doc, p->key);
                yaml_node_t *v = yamldoc_node(c->doc, p->value);
                const char *key = k->type == YAML_SCALAR_NODE ? yaml_scalar(k) : "";
                int r;
                if (!strcmp(key, "name"))
                        r = want_string(c, v, "name", &t->name);
                else if (!strcmp(key, "path"))
                        r = want_string(c, v, "path", &t->path);
                else if (!content && !strcmp(key, "shouldExist"))
                        r = want_bool(c, v, "shouldExist", &t->should_exist);
                else if (!content && !strcmp(key, "permissions"))
                        r = want_string(c, v, "permissions", &t->permissions);
                else if (!content && !strcmp(key, "uid"))
                        r = want_int(c, v, "uid", 0, 0xffffffffL, &t->uid);
                else if (!content && !strcmp(key, "gid"))
                        r = want_int(c, v, "gid", 0, 0xffffffffL, &t->gid);
                else if (!content && !strcmp(key, "isExecutableBy")) {
                        r = want_string(c, v, "isExecutableBy", &t->executable_by);
                        if (r >= 0 && strcmp(t->executable_by, "owner") &&
                            strcmp(t->executable_by, "group") &&
                            strcmp(t->executable_by, "other") && strcmp(t->executable_by, "any"))
                                r = yaml_fail_at(c->err, c->file, v,
                                                 "isExecutableBy must be owner, group, other or "
                                                 "any");
                } else if (content && !strcmp(key, "expectedContents"))
                        r = want_strings(c, v, "expectedContents", true, &t->expected);
                else if (content && !strcmp(key, "excludedContents"))
                        r = want_strings(c, v, "excludedContents", true, &t->excluded);
                else
                        r = yaml_fail_at(c->err, c->file, k, "%s: unknown key '%s'", what, key);
                if (r < 0)
                        return r;
        }
        if (!t->name)
                return yaml_fail_at(c->err, c->file, n, "%s: a test without a name", what);
        if (!t->path || t->path[0] != '/')
                return yaml_fail_at(c->err, c->file, n, "%s: %s needs an absolute path", what,
                                    t->name);
        return 0;
}

static int parse_command_test(struct sctx *c, yaml_node_t *n, struct structure_command_test *t)
{
        char *command = NULL;
        struct strvec args = STRVEC_INIT;
        int r = 0;
        t->exit_code = 0;
        if (n->type != YAML_MAPPING_NODE)
                return yaml_fail_at(c->err, c->file, n, "commandTests: each test is a mapping");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             r >= 0 && p < n->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yamldoc_node(c->doc, p->key);
                yaml_node_t *v = yamldoc_node(c->doc, p->value);
                const char *key = k->type == YAML_SCALAR_NODE ? yaml_scalar(k) : "";
                if (!strcmp(key, "name"))
                        r = want_string(c, v, "name", &t->name);
                else if (!strcmp(key, "command"))
                        r = want_string(c, v, "command", &command);
                else if (!strcmp(key, "args"))
                        r = want_strings(c, v, "args", false, &args);
                else if (!strcmp(key, "envVars"))
                        r = want_kvs(c, v, "envVars", &t->env);
                else if (!strcmp(key, "expectedOutput"))
                        r = want_strings(c, v, key, true, &t->expected_output);
                else if (!strcmp(key, "excludedOutput"))
                        r = want_strings(c, v, key, true, &t->excluded_output);
                else if (!strcmp(key, "expectedError"))
                        r = want_strings(c, v, key, true, &t->expected_error);
                else if (!strcmp(key, "excludedError"))
                        r = want_strings(c, v, key, true, &t->excluded_error);
                else if (!strcmp(key, "exitCode"))
                        r = want_int(c, v, "exitCode", 0, 255, &t->exit_code);
                else if (!strcmp(key, "setup") || !strcmp(key, "teardown"))
                        r = yaml_fail_at(c->err, c->file, k,
                                         "commandTests: %s is not supported: the image's root is "
                                         "read-only and every command starts from it afresh",
                                         key);
                else
                        r = yaml_fail_at(c->err, c->file, k, "commandTests: unknown key '%s'", key);
        }
        if (r >= 0 && !t->name)
                r = yaml_fail_at(c->err, c->file, n, "commandTests: a test without a name");
        if (r >= 0 && !command)
                r = yaml_fail_at(c->err, c->file, n, "commandTests: %s has no command", t->name);
        if (r >= 0) {
                strvec_push(&t->argv, command);
                for (size_t i = 0; i < args.n; i++)
                        strvec_push(&t->argv, args.v[i]);
        }
        free(command);
        strvec_clear(&args);
        return r;
}

static int parse_metadata(struct sctx *c, yaml_node_t *n, struct structure_metadata *m)
{
        m->present = true;
        if (n->type != YAML_MAPPING_NODE)
                return yaml_fail_at(c->err, c->file, n, "metadataTest must be a mapping");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = yamldoc_node(c->doc, p->key);
                yaml_node_t *v = yamldoc_node(c->doc, p->value);
                const char *key = k->type == YAML_SCALAR_NODE ? yaml_scalar(k) : "";
                int r;
                if (!strcmp(key, "envVars") || !strcmp(key, "env"))
                        r = want_kvs(c, v, key, &m->env);
                else if (!strcmp(key, "labels"))
                        r = want_kvs(c, v, key, &m->labels);
                else if (!strcmp(key, "exposedPorts"))
                        r = want_strings(c, v, key, false, &m->exposed_ports);
                else if (!strcmp(key, "unexposedPorts"))
                        r = want_strings(c, v, key, false, &m->unexposed_ports);
                else if (!strcmp(key, "volumes"))
                        r = want_strings(c, v, key, false, &m->volumes);
                else if (!strcmp(key, "unmountedVolumes"))
                        r = want_strings(c, v, key, false, &m->unmounted_volumes);
                else if (!strcmp(key, "entrypoint")) {
                        m->has_entrypoint = true;
                        r = want_strings(c, v, key, false, &m->entrypoint);
                } else if (!strcmp(key, "cmd")) {
                        m->has_cmd = true;
                        r = want_strings(c, v, key, false, &m->cmd);
                } else if (!strcmp(key, "workdir"))
                        r = want_string(c, v, key, &m->workdir);
                else if (!strcmp(key, "user"))
                        r = want_string(c, v, key, &m->user);
                else
                        r = yaml_fail_at(c->err, c->file, k, "metadataTest: unknown key '%s'", key);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_tests(struct sctx *c, yaml_node_t *n, const char *what, struct structure_tests *t)
{
        if (yaml_is_null(n))
                return 0;
        if (n->type != YAML_SEQUENCE_NODE)
                return yaml_fail_at(c->err, c->file, n, "%s must be a list, not %s", what,
                                    yaml_kind_name(n));
        size_t count = seq_len(n);
        if (count + t->n_files + t->n_commands > STRUCTURE_MAX_TESTS)
                return yaml_fail_at(c->err, c->file, n, "more than %d tests", STRUCTURE_MAX_TESTS);
        bool commands = !strcmp(what, "commandTests");
        bool content = !strcmp(what, "fileContentTests");
        if (commands)
                t->commands =
                    xrealloc(t->commands, (t->n_commands + count + 1) * sizeof(*t->commands));
        else
                t->files = xrealloc(t->files, (t->n_files + count + 1) * sizeof(*t->files));
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
                yaml_node_t *item = yamldoc_node(c->doc, *it);
                int r;
                if (commands) {
                        struct structure_command_test *ct = &t->commands[t->n_commands++];
                        *ct = (struct structure_command_test){0};
                        r = parse_command_test(c, item, ct);
                } else {
                        struct structure_file_test *ft = &t->files[t->n_files++];
                        *ft = (struct structure_file_test){0};
                        r = parse_file_test(c, item, content, ft);
                        if (!content)
                                t->n_existence = t->n_files;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int structure_load(const char *file, const char *data, size_t len, struct structure_tests **out,
                   struct distill_error *err)
{
        struct yamldoc doc = {0};
        struct structure_tests *t = xcalloc(1, sizeof(*t));
        struct sctx c = {.doc = &doc, .file = file, .err = err};
        t->file = xstrdup(file);
        *out = NULL;
        int r = yamldoc_load(&doc, file, "structure test file", data, len, err);
        if (r < 0)
                goto out;
        yaml_node_t *root = yamldoc_root(&doc);
        if (!root || root->type != YAML_MAPPING_NODE) {
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "%s:1:1: a structure test file is a "
                                      "mapping (schemaVersion, "
                                      "fileExistenceTests, …)",
                                      file);
                goto out;
        }
        /* existence tests first: the content tests follow them in t->files */
        static const char *const order[] = {"schemaVersion",    "fileExistenceTests",
                                            "fileContentTests", "commandTests",
                                            "metadataTest",     "globalEnvVars"};
        bool version = false;
        for (size_t o = 0; o < sizeof(order) / sizeof(order[0]) && r >= 0; o++) {
                for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
                     r >= 0 && p < root->data.mapping.pairs.top; p++) {
                        yaml_node_t *k = yamldoc_node(&doc, p->key);
                        yaml_node_t *v = yamldoc_node(&doc, p->value);
                        const char *key = k->type == YAML_SCALAR_NODE ? yaml_scalar(k) : "";
                        bool known = false;
                        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
                                known |= !strcmp(key, order[i]);
                        if (!known) {
                                r = yaml_fail_at(err, file, k,
                                                 "unknown key '%s' (known: schemaVersion, "
                                                 "fileExistenceTests, fileContentTests, "
                                                 "commandTests, metadataTest, globalEnvVars)",
                                                 key);
                                break;
                        }
                        if (strcmp(key, order[o]))
                                continue;
                        if (o == 0) {
                                char *s = NULL;
                                r = want_string(&c, v, key, &s);
                                if (r >= 0 && strncmp(s, "2.", 2))
                                        r = yaml_fail_at(err, file, v,
                                                         "schemaVersion %s: distill reads 2.0.0",
                                                         s);
                                free(s);
                                version = true;
                        } else if (o == 4) {
                                r = parse_metadata(&c, v, &t->metadata);
                        } else if (o == 5) {
                                r = want_kvs(&c, v, key, &t->global_env);
                        } else {
                                r = parse_tests(&c, v, key, t);
                        }
                }
        }
        if (r >= 0 && !version)
                r = distill_error_set(err, DISTILL_EUSAGE, "%s: no schemaVersion (2.0.0)", file);
out:
        yamldoc_release(&doc);
        if (r < 0) {
                structure_tests_free(t);
                return r;
        }
        *out = t;
        return 0;
}

int structure_load_file(const char *file, struct structure_tests **out, struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len;
        int e = read_file_capped(file, STRUCTURE_MAX_FILE, &data, &len);
        if (e < 0)
                return distill_error_errno(err, e == -EFBIG ? DISTILL_EUSAGE : DISTILL_EIO, -e,
                                           "cannot read %s", file);
        return structure_load(file, data, len, out, err);
}

void structure_tests_free(struct structure_tests *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n_files; i++) {
                struct structure_file_test *f = &t->files[i];
                free(f->name);
                free(f->path);
                free(f->permissions);
                free(f->executable_by);
                strvec_clear(&f->expected);
                strvec_clear(&f->excluded);
        }
        free(t->files);
        for (size_t i = 0; i < t->n_commands; i++) {
                struct structure_command_test *ct = &t->commands[i];
                free(ct->name);
                strvec_clear(&ct->argv);
                kvs_free(&ct->env);
                strvec_clear(&ct->expected_output);
                strvec_clear(&ct->excluded_output);
                strvec_clear(&ct->expected_error);
                strvec_clear(&ct->excluded_error);
        }
        free(t->commands);
        kvs_free(&t->global_env);
        struct structure_metadata *m = &t->metadata;
        kvs_free(&m->env);
        kvs_free(&m->labels);
        strvec_clear(&m->exposed_ports);
        strvec_clear(&m->unexposed_ports);
        strvec_clear(&m->volumes);
        strvec_clear(&m->unmounted_volumes);
        strvec_clear(&m->entrypoint);
        strvec_clear(&m->cmd);
        free(m->workdir);
        free(m->user);
        free(t->file);
        free(t);
}

/* --- running ------------------------------------------------------------------------------- */

struct rctx {
        const struct imageread *img;
        struct imagens *ns;
        struct verify_report *rep;
};

static void fail(struct rctx *c, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct rctx *c, const char *name, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        char *msg = xasprintf("%s: %s", name, s);
        free(s);
        verify_add(&c->rep->problems, &c->rep->n_problems, "tests", msg);
}

static void pass(struct rctx *c, const char *name)
{
        verify_add(&c->rep->notes, &c->rep->n_notes, "tests", xasprintf("%s: passed", name));
}

void structure_mode_string(unsigned mode, char out[16])
{
        size_t w = 0;
        if (S_ISDIR(mode))
                out[w++] = 'd';
        if (S_ISLNK(mode))
                out[w++] = 'L';
        if (S_ISCHR(mode) || S_ISBLK(mode))
                out[w++] = 'D';
        if (S_ISFIFO(mode))
                out[w++] = 'p';
        if (S_ISSOCK(mode))
                out[w++] = 'S';
        if (mode & S_ISUID)
                out[w++] = 'u';
        if (mode & S_ISGID)
                out[w++] = 'g';
        if (S_ISCHR(mode))
                out[w++] = 'c';
        if (mode & S_ISVTX)
                out[w++] = 't';
        if (!w)
                out[w++] = '-';
        static const char rwx[] = "rwxrwxrwx";
        for (int i = 0; i < 9; i++)
                out[w++] = (mode & (1u << (8 - i))) ? rwx[i] : '-';
        out[w] = '\0';
}

/* The entry at a path, links on the way followed (not a final one, as lstat). */
static const struct imageread_entry *lookup(const struct rctx *c, const char *path,
                                            bool follow_last)
{
        struct imagens_resolved res = {0};
        struct distill_error err = {0};
        const struct imageread_entry *e = NULL;
        cleanup_free char *norm = path_normalize(path);
        if (!strcmp(norm, "/"))
                return imageread_get(c->img, "/");
        if (imagens_resolve(c->ns, norm, follow_last, &res, &err) == 0 && res.node)
                e = imageread_get(c->img, res.node->path);
        imagens_resolved_release(&res);
        return e;
}

static void run_existence(struct rctx *c, const struct structure_file_test *t)
{
        const struct imageread_entry *e = lookup(c, t->path, false);
        if (!t->should_exist) {
                if (e)
                        fail(c, t->name, "%s exists", t->path);
                else
                        pass(c, t->name);
                return;
        }
        if (!e) {
                fail(c, t->name, "%s does not exist", t->path);
                return;
        }
        char mode[16];
        structure_mode_string(e->mode, mode);
        unsigned bits = t->executable_by ? !strcmp(t->executable_by, "owner")   ? 0100
                                           : !strcmp(t->executable_by, "group") ? 010
                                           : !strcmp(t->executable_by, "other") ? 01
                                                                                : 0111
                                         : 0;
        if (t->permissions && strcmp(t->permissions, mode))
                fail(c, t->name, "%s has permissions %s, not %s", t->path, mode, t->permissions);
        else if (t->uid >= 0 && e->uid != (unsigned long)t->uid)
                fail(c, t->name, "%s is owned by uid %u, not %ld", t->path, e->uid, t->uid);
        else if (t->gid >= 0 && e->gid != (unsigned long)t->gid)
                fail(c, t->name, "%s is owned by gid %u, not %ld", t->path, e->gid, t->gid);
        else if (bits && !(e->mode & bits))
                fail(c, t->name, "%s is not executable by %s (%s)", t->path, t->executable_by,
                     mode);
        else
                pass(c, t->name);
}

static bool matches(const char *re, const char *text)
{
        regex_t rx;
        if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB))
                return false; /* compiled when read */
        bool m = regexec(&rx, text, 0, NULL, 0) == 0;
        regfree(&rx);
        return m;
}

/* Every expected pattern found and no excluded one: NULL, or what went wrong (caller frees). */
static char *match_all(const char *what, const char *text, const struct strvec *expected,
                       const struct strvec *excluded)
{
        for (size_t i = 0; i < expected->n; i++)
                if (!matches(expected->v[i], text))
                        return xasprintf("%s does not match '%s'", what, expected->v[i]);
        for (size_t i = 0; i < excluded->n; i++)
                if (matches(excluded->v[i], text))
                        return xasprintf("%s matches the excluded '%s'", what, excluded->v[i]);
        return NULL;
}

static void run_content(struct rctx *c, const struct structure_file_test *t)
{
        const struct imageread_entry *e = lookup(c, t->path, true);
        if (!e || !S_ISREG(e->mode)) {
                fail(c, t->name, "%s is not a file in the image", t->path);
                return;
        }
        cleanup_free char *data = NULL;
        size_t len;
        struct distill_error err = {0};
        if (imageread_read(c->img, e, STRUCTURE_MAX_CONTENT, &data, &len, &err) < 0) {
                fail(c, t->name, "%s", err.msg);
                return;
        }
        cleanup_free char *why = match_all(t->path, data, &t->expected, &t->excluded);
        if (why)
                fail(c, t->name, "%s", why);
        else
                pass(c, t->name);
}

static json_t *config_member(const struct rctx *c, const char *key)
{
        return json_object_get(json_object_get(c->img->config, "config"), key);
}

static const char *env_lookup(json_t *env, const char *key)
{
        size_t kl = strlen(key);
        const char *found = NULL;
        for (size_t i = 0; i < json_array_size(env); i++) {
                const char *e = json_string_value(json_array_get(env, i));
                if (e && !strncmp(e, key, kl) && e[kl] == '=')
                        found = e + kl + 1;
        }
        return found;
}

static bool array_equals(json_t *a, const struct strvec *v)
{
        if (json_array_size(a) != v->n)
                return false;
        for (size_t i = 0; i < v->n; i++) {
                const char *s = json_string_value(json_array_get(a, i));
                if (!s || strcmp(s, v->v[i]))
                        return false;
        }
        return true;
}

static char *joined(const struct strvec *v)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_addch(&sb, '[');
        for (size_t i = 0; i < v->n; i++)
                strbuf_addf(&sb, "%s\"%s\"", i ? ", " : "", v->v[i]);
        strbuf_addch(&sb, ']');
        return strbuf_detach(&sb);
}

static bool has_key_port(json_t *obj, const char *port)
{
        if (json_object_get(obj, port))
                return true;
        cleanup_free char *tcp = xasprintf("%s/tcp", port);
        return json_object_get(obj, tcp) != NULL;
}

static void run_metadata(struct rctx *c, const struct structure_metadata *m)
{
        const char *name = "metadataTest";
        size_t before = c->rep->n_problems;
        json_t *env = config_member(c, "Env");
        for (size_t i = 0; i < m->env.n; i++) {
                const struct structure_kv *kv = &m->env.v[i];
                const char *v = env_lookup(env, kv->key);
                if (!v || (kv->is_regex ? !matches(kv->value, v) : strcmp(v, kv->value) != 0))
                        fail(c, name, "Env %s is %s%s%s, not %s'%s'", kv->key, v ? "'" : "",
                             v ? v : "unset", v ? "'" : "", kv->is_regex ? "matching " : "",
                             kv->value);
        }
        json_t *labels = config_member(c, "Labels");
        for (size_t i = 0; i < m->labels.n; i++) {
                const struct structure_kv *kv = &m->labels.v[i];
                const char *v = json_string_value(json_object_get(labels, kv->key));
                if (!v || (kv->is_regex ? !matches(kv->value, v) : strcmp(v, kv->value) != 0))
                        fail(c, name, "label %s is %s, not '%s'", kv->key, v ? v : "unset",
                             kv->value);
        }
        json_t *ports = config_member(c, "ExposedPorts");
        for (size_t i = 0; i < m->exposed_ports.n; i++)
                if (!has_key_port(ports, m->exposed_ports.v[i]))
                        fail(c, name, "port %s is not exposed", m->exposed_ports.v[i]);
        for (size_t i = 0; i < m->unexposed_ports.n; i++)
                if (has_key_port(ports, m->unexposed_ports.v[i]))
                        fail(c, name, "port %s is exposed", m->unexposed_ports.v[i]);
        json_t *volumes = config_member(c, "Volumes");
        for (size_t i = 0; i < m->volumes.n; i++)
                if (!json_object_get(volumes, m->volumes.v[i]))
                        fail(c, name, "no volume %s", m->volumes.v[i]);
        for (size_t i = 0; i < m->unmounted_volumes.n; i++)
                if (json_object_get(volumes, m->unmounted_volumes.v[i]))
                        fail(c, name, "volume %s is mounted", m->unmounted_volumes.v[i]);
        if (m->has_entrypoint && !array_equals(config_member(c, "Entrypoint"), &m->entrypoint)) {
                cleanup_free char *want = joined(&m->entrypoint);
                fail(c, name, "the entrypoint is not %s", want);
        }
        if (m->has_cmd && !array_equals(config_member(c, "Cmd"), &m->cmd)) {
                cleanup_free char *want = joined(&m->cmd);
                fail(c, name, "the cmd is not %s", want);
        }
        const char *wd = json_string_value(config_member(c, "WorkingDir"));
        if (m->workdir && strcmp(wd ? wd : "", m->workdir))
                fail(c, name, "the working directory is '%s', not '%s'", wd ? wd : "", m->workdir);
        const char *user = json_string_value(config_member(c, "User"));
        if (m->user && strcmp(user ? user : "", m->user))
                fail(c, name, "the user is '%s', not '%s'", user ? user : "", m->user);
        if (c->rep->n_problems == before)
                pass(c, name);
}

/* The image written out as a tree the sandbox runs (owners as they are: we run as root). */
static int materialise(const struct imageread *img, const char *root, struct distill_error *err)
{
        struct tree *t = NULL;
        size_t n;
        int r = tree_open(root, 0, &t, err);
        if (r < 0)
                return r;
        const char **paths = imageread_paths(img, &n);
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct imageread_entry *e = imageread_get(img, paths[i]);
                if (!strcmp(e->path, "/"))
                        continue;
                if (S_ISDIR(e->mode)) {
                        r = tree_put_dir(t, e->path, e->mode & 07777, e->uid, e->gid, err);
                } else if (S_ISLNK(e->mode)) {
                        r = tree_put_symlink(t, e->path, e->target, e->uid, e->gid, err);
                } else if (S_ISREG(e->mode)) {
                        int fd;
                        r = imageread_open_fd(img, e, &fd, err);
                        if (r >= 0) {
                                r = tree_put_file(t, e->path, fd, e->mode & 07777, e->uid, e->gid,
                                                  err);
                                close(fd);
                        }
                }
        }
        free(paths);
        if (r >= 0)
                r = tree_finish(t, err);
        tree_free(t);
        return r;
}

struct run_as {
        unsigned uid, gid;
        char *home;
};

static void image_user(const struct imageread *img, struct run_as *u)
{
        const char *user = imageread_config_string(img, "User");
        cleanup_free char *passwd = NULL;
        size_t len;
        struct distill_error err = {0};
        const struct imageread_entry *pe = imageread_get(img, "/etc/passwd");
        if (pe && S_ISREG(pe->mode))
                imageread_read(img, pe, 1u << 20, &passwd, &len, &err);
        cleanup_free char *name = img->form == IMAGEREAD_ROOTFS || !user || !*user
                                      ? verify_default_user(passwd ? passwd : "")
                                      : xstrdup(user);
        if (img->form != IMAGEREAD_ROOTFS && (!user || !*user)) {
                free(name);
                name = xstrdup("root");
        }
        char *colon = strchr(name, ':');
        if (colon)
                *colon = '\0';
        *u = (struct run_as){.home = xstrdup("/root")};
        char *home = NULL;
        if (passwd && verify_passwd_lookup(passwd, name, &u->uid, &u->gid, &home)) {
                free(u->home);
                u->home = home;
        } else {
                u->uid = u->gid = (unsigned)strtoul(name, NULL, 10);
        }
        if (colon)
                u->gid = (unsigned)strtoul(colon + 1, NULL, 10);
}

static void run_command(struct rctx *c, const struct structure_tests *tests,
                        const struct structure_command_test *t, const char *root,
                        const struct run_as *u)
{
        struct strvec env = STRVEC_INIT;
        json_t *cenv = config_member(c, "Env");
        for (size_t i = 0; i < json_array_size(cenv); i++)
                if (json_string_value(json_array_get(cenv, i)))
                        strvec_push(&env, json_string_value(json_array_get(cenv, i)));
        if (!json_array_size(cenv))
                strvec_push(&env, "PATH=/usr/local/bin:/usr/bin:/bin");
        for (size_t i = 0; i < tests->global_env.n; i++)
                strvec_push_nodup(&env, xasprintf("%s=%s", tests->global_env.v[i].key,
                                                  tests->global_env.v[i].value));
        for (size_t i = 0; i < t->env.n; i++)
                strvec_push_nodup(&env, xasprintf("%s=%s", t->env.v[i].key, t->env.v[i].value));
        const char *wd = json_string_value(config_member(c, "WorkingDir"));
        const char *arch = json_string_value(json_object_get(c->img->config, "architecture"));
        struct sandbox_spec s = {.root = root,
                                 .arch = arch ? arch : "amd64",
                                 .uid = u->uid,
                                 .gid = u->gid,
                                 .home = u->home,
                                 .workdir = wd && *wd ? wd : "/",
                                 .env = &env,
                                 .argv = &t->argv,
                                 .timeout_s = STRUCTURE_CMD_TIMEOUT};
        struct spawn_result res;
        struct distill_error err = {0};
        int r = sandbox_run(&s, &res, &err);
        strvec_clear(&env);
        if (r < 0) {
                fail(c, t->name, "%s", err.msg);
                spawn_result_release(&res);
                return;
        }
        int code = spawn_exit_code(&res);
        const char *out = strbuf_str(&res.out);
        const char *errs = strbuf_str(&res.err);
        cleanup_free char *why = NULL;
        if (t->exit_code >= 0 && code != t->exit_code)
                why =
                    xasprintf("exit status %d, not %ld (stderr: %.200s)", code, t->exit_code, errs);
        if (!why)
                why = match_all("stdout", out, &t->expected_output, &t->excluded_output);
        if (!why)
                why = match_all("stderr", errs, &t->expected_error, &t->excluded_error);
        if (why)
                fail(c, t->name, "%s", why);
        else
                pass(c, t->name);
        spawn_result_release(&res);
}

static int run_commands(struct rctx *c, const struct structure_tests *t, struct distill_error *err)
{
        cleanup_free char *dir = NULL;
        int r = sandbox_make_dir(&dir, err);
        if (r < 0)
                return distill_error_prefix(err, "%s: commandTests cannot run: ", t->file);
        cleanup_free char *root = path_join(dir, "root");
        struct run_as u = {0};
        if (mkdir(root, 0755) < 0) {
                r = distill_error_errno(err, DISTILL_EIO, errno, "cannot make %s", root);
                goto out;
        }
        r = materialise(c->img, root, err);
        if (r < 0)
                goto out;
        image_user(c->img, &u);
        for (size_t i = 0; i < t->n_commands; i++)
                run_command(c, t, &t->commands[i], root, &u);
out:
        free(u.home);
        rm_rf(dir);
        return r;
}

int structure_run(const struct structure_tests *t, const struct imageread *img,
                  struct verify_report *rep, struct distill_error *err)
{
        struct rctx c = {.img = img, .rep = rep};
        int r = imageread_namespace(img, &c.ns, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->n_files; i++) {
                if (i < t->n_existence)
                        run_existence(&c, &t->files[i]);
                else
                        run_content(&c, &t->files[i]);
        }
        if (t->metadata.present) {
                if (img->form == IMAGEREAD_ROOTFS)
                        fail(&c, "metadataTest", "%s is a rootfs tree: it has no image config",
                             img->source);
                else
                        run_metadata(&c, &t->metadata);
        }
        if (t->n_commands)
                r = run_commands(&c, t, err);
        imagens_free(c.ns);
        return r;
}
