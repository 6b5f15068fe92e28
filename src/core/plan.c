/* The plan: path → entry with its reason, and its plan.json form (docs/architecture.md, "The
 * plan"). */
#include "distill/core/plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "distill/base/digest.h"

/* plan.json is written by distill; anything far bigger is not ours. */
#define PLAN_JSON_MAX_BYTES (512u << 20)
#define PLAN_MAX_PATH       4096

static char *dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static struct plan_entry *entry_dup(const struct plan_entry *e)
{
        struct plan_entry *c = xcalloc(1, sizeof(*c));
        *c = *e;
        c->path = xstrdup(e->path);
        c->target = dup_or_null(e->target);
        c->pkg = dup_or_null(e->pkg);
        c->pkg_path = dup_or_null(e->pkg_path);
        c->reason_from = dup_or_null(e->reason_from);
        c->reason_detail = dup_or_null(e->reason_detail);
        c->digest[SHA256_HEX_LEN] = '\0';
        return c;
}

void plan_entry_release(struct plan_entry *e)
{
        if (!e)
                return;
        free(e->path);
        free(e->target);
        free(e->pkg);
        free(e->pkg_path);
        free(e->reason_from);
        free(e->reason_detail);
        free(e);
}

static void entry_release_void(void *p)
{
        plan_entry_release(p);
}

struct plan *plan_new(void)
{
        struct plan *plan = xcalloc(1, sizeof(*plan));
        return plan;
}

static void package_release(struct plan_package *p)
{
        free(p->name);
        free(p->version);
        free(p->arch);
        free(p->source);
        free(p->added_by);
}

void plan_free(struct plan *plan)
{
        if (!plan)
                return;
        strmap_clear(&plan->entries, entry_release_void);
        free(plan->sorted);
        free(plan->arch);
        strvec_clear(&plan->requested);
        strvec_clear(&plan->rule_packages);
        for (size_t i = 0; i < plan->n_packages; i++)
                package_release(&plan->packages[i]);
        free(plan->packages);
        strvec_clear(&plan->warnings);
        strmap_clear(&plan->env, free);
        strvec_clear(&plan->generate);
        free(plan->stdlib_dir);
        free(plan->provenance.distill_version);
        free(plan->provenance.rules_digest);
        free(plan->provenance.lock_digest);
        free(plan);
}

static void invalidate_sorted(struct plan *plan)
{
        free(plan->sorted);
        plan->sorted = NULL;
        plan->n_sorted = 0;
}

struct plan_entry *plan_get(const struct plan *plan, const char *path)
{
        return strmap_get(&plan->entries, path);
}

struct plan_entry *plan_add(struct plan *plan, const struct plan_entry *e, bool *added)
{
        struct plan_entry *old = plan_get(plan, e->path);
        if (added)
                *added = old == NULL;
        if (old)
                return old;
        struct plan_entry *c = entry_dup(e);
        strmap_put(&plan->entries, c->path, c);
        invalidate_sorted(plan);
        return c;
}

struct plan_entry *plan_put(struct plan *plan, const struct plan_entry *e)
{
        struct plan_entry *c = entry_dup(e);
        struct plan_entry *old = strmap_put(&plan->entries, c->path, c);
        plan_entry_release(old);
        invalidate_sorted(plan);
        return c;
}

/* util's strmap has no delete (linear probing needs a backward shift that depends on its hash),
 * so the map is rebuilt without the key. Removals are rare (pruning a handful of paths). */
static int cmp_entry_path(const void *a, const void *b)
{
        const struct plan_entry *x = *(struct plan_entry *const *)a;
        const struct plan_entry *y = *(struct plan_entry *const *)b;
        return strcmp(x->path, y->path);
}

struct plan_entry *const *plan_sorted(struct plan *plan, size_t *n)
{
        if (!plan->sorted) {
                size_t k = 0;
                plan->sorted = xcalloc(plan->entries.n + 1, sizeof(*plan->sorted));
                for (size_t i = 0; i < plan->entries.cap; i++)
                        if (plan->entries.slots[i].key)
                                plan->sorted[k++] = plan->entries.slots[i].value;
                qsort(plan->sorted, k, sizeof(*plan->sorted), cmp_entry_path);
                plan->n_sorted = k;
        }
        if (n)
                *n = plan->n_sorted;
        return plan->sorted;
}

void plan_set_env(struct plan *plan, const char *key, const char *value)
{
        free(strmap_put(&plan->env, key, xstrdup(value)));
}

static const char *const type_names[] = {
    [PLAN_FILE] = "file",
    [PLAN_DIR] = "dir",
    [PLAN_SYMLINK] = "symlink",
    [PLAN_HARDLINK] = "hardlink",
};

static const char *const reason_names[] = {
    [PLAN_R_SEED] = "seed",
    [PLAN_R_INCLUDE] = "include",
    [PLAN_R_ELF_NEEDED] = "elf-needed",
    [PLAN_R_LINK] = "link",
    [PLAN_R_RULE] = "rule",
    [PLAN_R_PYTHON_IMPORT] = "python-import",
    [PLAN_R_GENERATED] = "generated",
    [PLAN_R_PKG_METADATA] = "pkg-metadata",
    [PLAN_R_PARENT] = "parent",
    [PLAN_R_PY_C_IMPORT] = "python-c-import",
    [PLAN_R_PY_COMPUTED] = "python-computed-import",
    [PLAN_R_PY_ENTRY_POINT] = "python-entry-point",
    [PLAN_R_PY_CODEC] = "python-codec",
    [PLAN_R_PY_DATA_PATH] = "python-data-path",
    [PLAN_R_PY_LIBRARY] = "python-ctypes-library",
    [PLAN_R_PY_METADATA] = "python-metadata",
    [PLAN_R_PY_ALIAS] = "python-alias-import",
    [PLAN_R_ELF_PATH] = "elf-string-path",
    [PLAN_R_ELF_ICONV] = "elf-iconv-charset",
    [PLAN_R_OBSERVED] = "observed",
};

#define N_TYPES   (sizeof(type_names) / sizeof(type_names[0]))
#define N_REASONS (sizeof(reason_names) / sizeof(reason_names[0]))

bool plan_has_under(struct plan *plan, const char *dir)
{
        size_t n;
        struct plan_entry *const *all = plan_sorted(plan, &n);
        for (size_t i = 0; i < n; i++)
                if (strcmp(all[i]->path, dir) != 0 && path_has_prefix(all[i]->path, dir))
                        return true;
        return false;
}

const char *plan_type_name(enum plan_type t)
{
        return (unsigned)t < N_TYPES ? type_names[t] : "unknown";
}

const char *plan_reason_name(enum plan_reason_kind k)
{
        return (unsigned)k < N_REASONS ? reason_names[k] : "unknown";
}

static const enum plan_reason_group reason_groups[] = {
    [PLAN_R_SEED] = PLAN_G_MANIFEST,       [PLAN_R_INCLUDE] = PLAN_G_MANIFEST,
    [PLAN_R_ELF_NEEDED] = PLAN_G_ELF,      [PLAN_R_LINK] = PLAN_G_STRUCTURE,
    [PLAN_R_RULE] = PLAN_G_RULE,           [PLAN_R_PYTHON_IMPORT] = PLAN_G_IMPORT,
    [PLAN_R_GENERATED] = PLAN_G_GENERATED, [PLAN_R_PKG_METADATA] = PLAN_G_GENERATED,
    [PLAN_R_PARENT] = PLAN_G_STRUCTURE,    [PLAN_R_PY_C_IMPORT] = PLAN_G_IMPORT,
    [PLAN_R_PY_COMPUTED] = PLAN_G_IMPORT,  [PLAN_R_PY_ENTRY_POINT] = PLAN_G_IMPORT,
    [PLAN_R_PY_CODEC] = PLAN_G_IMPORT,     [PLAN_R_PY_DATA_PATH] = PLAN_G_IMPORT,
    [PLAN_R_PY_LIBRARY] = PLAN_G_IMPORT,   [PLAN_R_PY_METADATA] = PLAN_G_IMPORT,
    [PLAN_R_PY_ALIAS] = PLAN_G_IMPORT,     [PLAN_R_ELF_PATH] = PLAN_G_ELF,
    [PLAN_R_ELF_ICONV] = PLAN_G_ELF,       [PLAN_R_OBSERVED] = PLAN_G_OBSERVED,
};

static const char *const group_names[] = {
    [PLAN_G_MANIFEST] = "manifest",   [PLAN_G_ELF] = "elf",
    [PLAN_G_IMPORT] = "import",       [PLAN_G_RULE] = "rule",
    [PLAN_G_GENERATED] = "generated", [PLAN_G_OBSERVED] = "observed",
    [PLAN_G_STRUCTURE] = "structure",
};

_Static_assert(sizeof(reason_groups) / sizeof(reason_groups[0]) == N_REASONS,
               "every reason kind has a group");
_Static_assert(N_REASONS == PLAN_REASON_COUNT, "PLAN_REASON_COUNT follows the enum");

enum plan_reason_group plan_reason_group(enum plan_reason_kind k)
{
        return (unsigned)k < N_REASONS ? reason_groups[k] : PLAN_G_STRUCTURE;
}

const char *plan_reason_group_name(enum plan_reason_group g)
{
        return (unsigned)g < PLAN_G_COUNT ? group_names[g] : "unknown";
}

static int lookup_name(const char *const *names, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (names[i] && strcmp(names[i], s) == 0)
                        return (int)i;
        return -1;
}

/* ---- writing ---- */

/* JSON strings must be UTF-8; the first string that is not is reported instead of dropped. */
struct writer {
        const char *bad_utf8;
};

static json_t *str_value(struct writer *w, const char *value)
{
        if (!value)
                return json_null();
        json_t *s = json_string(value);
        if (!s) {
                if (!w->bad_utf8)
                        w->bad_utf8 = value;
                return json_null();
        }
        return s;
}

static void set_str(struct writer *w, json_t *obj, const char *key, const char *value)
{
        json_object_set_new(obj, key, str_value(w, value));
}

static json_t *strvec_to_json(struct writer *w, const struct strvec *sv)
{
        json_t *a = json_array();
        for (size_t i = 0; i < sv->n; i++)
                json_array_append_new(a, str_value(w, sv->v[i]));
        return a;
}

static json_t *count_to_json(const struct plan_count *c)
{
        json_t *o = json_object();
        json_object_set_new(o, "files", json_integer((json_int_t)c->files));
        json_object_set_new(o, "bytes", json_integer((json_int_t)c->bytes));
        return o;
}

static json_t *package_to_json(struct writer *w, const struct plan_package *p)
{
        json_t *o = json_object();
        set_str(w, o, "name", p->name);
        set_str(w, o, "version", p->version);
        set_str(w, o, "arch", p->arch);
        set_str(w, o, "source", p->source);
        json_object_set_new(o, "kept", json_boolean(p->kept));
        set_str(w, o, "added_by", p->added_by);
        json_object_set_new(o, "unkept", count_to_json(&p->unkept));
        return o;
}

static json_t *provenance_to_json(struct writer *w, const struct plan_provenance *pv)
{
        json_t *o = json_object();
        if (pv->distill_version)
                set_str(w, o, "distill_version", pv->distill_version);
        if (pv->rules_digest)
                set_str(w, o, "rules_digest", pv->rules_digest);
        if (pv->lock_digest)
                set_str(w, o, "lock_digest", pv->lock_digest);
        return o;
}

/* Optional fields are left out rather than written as null, to keep a large plan readable. */
static json_t *entry_to_json(struct writer *w, const struct plan_entry *e)
{
        char mode[8];
        json_t *o = json_object();

        snprintf(mode, sizeof(mode), "%04o", e->mode & 07777);
        set_str(w, o, "path", e->path);
        set_str(w, o, "type", plan_type_name(e->type));
        set_str(w, o, "mode", mode);
        json_object_set_new(o, "uid", json_integer(e->uid));
        json_object_set_new(o, "gid", json_integer(e->gid));
        if (e->type == PLAN_FILE) {
                json_object_set_new(o, "size", json_integer((json_int_t)e->size));
                set_str(w, o, "digest", e->digest);
        }
        if (e->target)
                set_str(w, o, "target", e->target);
        if (e->pkg)
                set_str(w, o, "package", e->pkg);
        if (e->pkg_path)
                set_str(w, o, "package_path", e->pkg_path);
        json_t *r = json_object();
        set_str(w, r, "kind", plan_reason_name(e->reason));
        if (e->reason_from)
                set_str(w, r, "from", e->reason_from);
        if (e->reason_detail)
                set_str(w, r, "detail", e->reason_detail);
        json_object_set_new(o, "reason", r);
        return o;
}

static json_t *plan_to_json(struct writer *w, struct plan *plan)
{
        json_t *root = json_object();
        set_str(w, root, "arch", plan->arch);
        json_object_set_new(root, "provenance", provenance_to_json(w, &plan->provenance));

        json_t *pkgs = json_array();
        for (size_t i = 0; i < plan->n_packages; i++)
                json_array_append_new(pkgs, package_to_json(w, &plan->packages[i]));
        json_object_set_new(root, "packages", pkgs);
        json_object_set_new(root, "requested", strvec_to_json(w, &plan->requested));
        json_object_set_new(root, "rule_packages", strvec_to_json(w, &plan->rule_packages));

        /* The env map is unordered; sorted keys keep plan.json reproducible. */
        json_t *env = json_object();
        const char **keys = strmap_sorted_keys(&plan->env);
        for (size_t i = 0; keys[i]; i++) {
                json_t *key_ok = json_string(keys[i]);
                if (!key_ok && !w->bad_utf8)
                        w->bad_utf8 = keys[i];
                json_decref(key_ok);
                set_str(w, env, keys[i], strmap_get(&plan->env, keys[i]));
        }
        free(keys);
        json_object_set_new(root, "env", env);
        json_object_set_new(root, "warnings", strvec_to_json(w, &plan->warnings));
        json_object_set_new(root, "generate", strvec_to_json(w, &plan->generate));
        if (plan->stdlib_dir) {
                json_t *o = json_object();
                set_str(w, o, "dir", plan->stdlib_dir);
                json_object_set_new(o, "unkept", count_to_json(&plan->stdlib_unkept));
                json_object_set_new(root, "stdlib", o);
        }

        size_t n;
        struct plan_entry *const *sorted = plan_sorted(plan, &n);
        json_t *entries = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(entries, entry_to_json(w, sorted[i]));
        json_object_set_new(root, "entries", entries);
        return root;
}

int plan_write_json(struct plan *plan, const char *path, struct distill_error *err)
{
        struct writer w = {NULL};
        json_t *root = plan_to_json(&w, plan);
        if (w.bad_utf8) {
                json_decref(root);
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: '%s' is not valid UTF-8 and cannot be recorded", path,
                                         w.bad_utf8);
        }
        /* jansson >= 2.8 keeps insertion order; JSON_SORT_KEYS must stay off. */
        char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        json_decref(root);
        if (!text)
                return distill_error_set(err, DISTILL_EINTERNAL, "%s: cannot encode the plan",
                                         path);
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, text);
        strbuf_addch(&sb, '\n');
        free(text);
        int e = write_file_atomic(path, sb.buf, sb.len, 0644);
        strbuf_release(&sb);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "writing %s", path);
        return 0;
}

/* ---- reading (hostile input) ---- */

struct reader {
        const char *file;
        struct distill_error *err;
};

static int bad(struct reader *rd, const char *where, const char *what)
{
        return distill_error_set(rd->err, DISTILL_EUSAGE, "%s: %s: %s", rd->file, where, what);
}

/* A string without embedded NULs (jansson accepts \u0000), or NULL for absent/null when
 * optional. */
static int get_string(struct reader *rd, json_t *obj, const char *key, bool optional,
                      const char *where, const char **out)
{
        json_t *v = json_object_get(obj, key);
        *out = NULL;
        if (!v || json_is_null(v)) {
                if (optional)
                        return 0;
                char *msg = xasprintf("missing '%s'", key);
                int r = bad(rd, where, msg);
                free(msg);
                return r;
        }
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
                char *msg = xasprintf("'%s' must be a string", key);
                int r = bad(rd, where, msg);
                free(msg);
                return r;
        }
        *out = json_string_value(v);
        return 0;
}

static int get_uint(struct reader *rd, json_t *obj, const char *key, json_int_t max,
                    const char *where, json_int_t *out)
{
        json_t *v = json_object_get(obj, key);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
                char *msg =
                    xasprintf("'%s' must be an integer from 0 to %" JSON_INTEGER_FORMAT, key, max);
                int r = bad(rd, where, msg);
                free(msg);
                return r;
        }
        *out = json_integer_value(v);
        return 0;
}

static int read_strvec(struct reader *rd, json_t *root, const char *key, struct strvec *sv)
{
        json_t *a = json_object_get(root, key);
        if (!a)
                return 0;
        if (!json_is_array(a))
                return bad(rd, key, "must be an array of strings");
        for (size_t i = 0; i < json_array_size(a); i++) {
                json_t *v = json_array_get(a, i);
                if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
                        char *where = xasprintf("%s[%zu]", key, i);
                        int r = bad(rd, where, "must be a string");
                        free(where);
                        return r;
                }
                strvec_push(sv, json_string_value(v));
        }
        return 0;
}

static int read_env(struct reader *rd, json_t *root, struct plan *plan)
{
        json_t *env = json_object_get(root, "env");
        const char *key;
        json_t *v;
        if (!env)
                return 0;
        if (!json_is_object(env))
                return bad(rd, "env", "must be an object of strings");
        json_object_foreach(env, key, v)
        {
                if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
                    !*key || strchr(key, '=')) {
                        char *where = xasprintf("env.%s", key);
                        int r = bad(rd, where, "must be a string with a valid name");
                        free(where);
                        return r;
                }
                plan_set_env(plan, key, json_string_value(v));
        }
        return 0;
}

static bool is_image_path(const char *p)
{
        return p[0] == '/' && strlen(p) < PLAN_MAX_PATH;
}

/* {"files": N, "bytes": N}; absent (an older plan) reads as zero. */
static int read_count(struct reader *rd, json_t *o, const char *key, const char *where,
                      struct plan_count *c)
{
        json_int_t files, bytes;
        json_t *v = json_object_get(o, key);
        int r;
        if (!v)
                return 0;
        cleanup_free char *at = xasprintf("%s.%s", where, key);
        if (!json_is_object(v))
                return bad(rd, at, "must be an object");
        if ((r = get_uint(rd, v, "files", INT64_MAX, at, &files)) < 0 ||
            (r = get_uint(rd, v, "bytes", INT64_MAX, at, &bytes)) < 0)
                return r;
        c->files = (uint64_t)files;
        c->bytes = (uint64_t)bytes;
        return 0;
}

static int read_package(struct reader *rd, json_t *o, size_t i, struct plan_package *p)
{
        cleanup_free char *where = xasprintf("packages[%zu]", i);
        const char *name, *version, *arch, *source, *added_by;
        int r;

        if (!json_is_object(o))
                return bad(rd, where, "must be an object");
        if ((r = get_string(rd, o, "name", false, where, &name)) < 0 ||
            (r = get_string(rd, o, "version", true, where, &version)) < 0 ||
            (r = get_string(rd, o, "arch", true, where, &arch)) < 0 ||
            (r = get_string(rd, o, "source", true, where, &source)) < 0 ||
            (r = get_string(rd, o, "added_by", true, where, &added_by)) < 0)
                return r;
        json_t *kept = json_object_get(o, "kept");
        if (kept && !json_is_boolean(kept))
                return bad(rd, where, "'kept' must be true or false");
        /* checked before anything is copied: a failure leaves nothing to free */
        struct plan_count unkept = {0, 0};
        if ((r = read_count(rd, o, "unkept", where, &unkept)) < 0)
                return r;
        p->name = xstrdup(name);
        p->version = dup_or_null(version);
        p->arch = dup_or_null(arch);
        p->source = dup_or_null(source);
        p->added_by = dup_or_null(added_by);
        p->kept = kept && json_is_true(kept);
        p->unkept = unkept;
        return 0;
}

static int read_provenance(struct reader *rd, json_t *root, struct plan *plan)
{
        json_t *o = json_object_get(root, "provenance");
        const char *version, *rules, *lock;
        int r;
        if (!o)
                return 0;
        if (!json_is_object(o))
                return bad(rd, "provenance", "must be an object");
        if ((r = get_string(rd, o, "distill_version", true, "provenance", &version)) < 0 ||
            (r = get_string(rd, o, "rules_digest", true, "provenance", &rules)) < 0 ||
            (r = get_string(rd, o, "lock_digest", true, "provenance", &lock)) < 0)
                return r;
        plan->provenance.distill_version = dup_or_null(version);
        plan->provenance.rules_digest = dup_or_null(rules);
        plan->provenance.lock_digest = dup_or_null(lock);
        return 0;
}

static int read_stdlib(struct reader *rd, json_t *root, struct plan *plan)
{
        json_t *o = json_object_get(root, "stdlib");
        const char *dir;
        int r;
        if (!o)
                return 0;
        if (!json_is_object(o))
                return bad(rd, "stdlib", "must be an object");
        if ((r = get_string(rd, o, "dir", false, "stdlib", &dir)) < 0)
                return r;
        if (!is_image_path(dir))
                return bad(rd, "stdlib", "'dir' must be an absolute image path");
        plan->stdlib_dir = xstrdup(dir);
        return read_count(rd, o, "unkept", "stdlib", &plan->stdlib_unkept);
}

static int read_packages(struct reader *rd, json_t *root, struct plan *plan)
{
        json_t *a = json_object_get(root, "packages");
        if (!a)
                return 0;
        if (!json_is_array(a))
                return bad(rd, "packages", "must be an array");
        plan->packages = xcalloc(json_array_size(a) + 1, sizeof(*plan->packages));
        for (size_t i = 0; i < json_array_size(a); i++) {
                int r = read_package(rd, json_array_get(a, i), i, &plan->packages[i]);
                if (r < 0)
                        return r;
                plan->n_packages = i + 1;
        }
        return 0;
}

static int parse_mode(const char *s, unsigned *mode)
{
        size_t len = strlen(s);
        unsigned m = 0;
        if (len == 0 || len > 5)
                return -1;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '7')
                        return -1;
                m = m * 8 + (unsigned)(s[i] - '0');
        }
        if (m > 07777)
                return -1;
        *mode = m;
        return 0;
}

/* Fields of one entry; strings point into the JSON document. */
struct entry_fields {
        const char *path, *type, *mode, *digest, *target, *pkg, *pkg_path;
        const char *kind, *from, *detail;
        json_int_t uid, gid, size;
};

static int read_entry_fields(struct reader *rd, json_t *o, const char *where,
                             struct entry_fields *f)
{
        int r;
        if (!json_is_object(o))
                return bad(rd, where, "must be an object");
        if ((r = get_string(rd, o, "path", false, where, &f->path)) < 0 ||
            (r = get_string(rd, o, "type", false, where, &f->type)) < 0 ||
            (r = get_string(rd, o, "mode", false, where, &f->mode)) < 0 ||
            (r = get_uint(rd, o, "uid", UINT32_MAX, where, &f->uid)) < 0 ||
            (r = get_uint(rd, o, "gid", UINT32_MAX, where, &f->gid)) < 0 ||
            (r = get_string(rd, o, "digest", true, where, &f->digest)) < 0 ||
            (r = get_string(rd, o, "target", true, where, &f->target)) < 0 ||
            (r = get_string(rd, o, "package", true, where, &f->pkg)) < 0 ||
            (r = get_string(rd, o, "package_path", true, where, &f->pkg_path)) < 0)
                return r;
        f->size = 0;
        if (json_object_get(o, "size") &&
            (r = get_uint(rd, o, "size", INT64_MAX, where, &f->size)) < 0)
                return r;
        json_t *reason = json_object_get(o, "reason");
        if (!json_is_object(reason))
                return bad(rd, where, "'reason' must be an object");
        if ((r = get_string(rd, reason, "kind", false, where, &f->kind)) < 0 ||
            (r = get_string(rd, reason, "from", true, where, &f->from)) < 0 ||
            (r = get_string(rd, reason, "detail", true, where, &f->detail)) < 0)
                return r;
        return 0;
}

static int read_entry(struct reader *rd, json_t *o, size_t i, struct plan *plan)
{
        cleanup_free char *where = xasprintf("entries[%zu]", i);
        struct entry_fields f = {0};
        struct plan_entry e = {0};
        int r = read_entry_fields(rd, o, where, &f);
        if (r < 0)
                return r;

        if (!is_image_path(f.path))
                return bad(rd, where, "'path' must be an absolute image path");
        int type = lookup_name(type_names, N_TYPES, f.type);
        if (type < 0)
                return bad(rd, where, "'type' must be file, dir, symlink or hardlink");
        int kind = lookup_name(reason_names, N_REASONS, f.kind);
        if (kind < 0)
                return bad(rd, where, "unknown reason kind");
        if (parse_mode(f.mode, &e.mode) < 0)
                return bad(rd, where, "'mode' must be an octal string up to 07777");
        if ((type == PLAN_FILE && !f.digest) || (f.digest && !sha256_hex_valid(f.digest)))
                return bad(rd, where, "a file needs 'digest' (64 lowercase hex digits)");
        if ((type == PLAN_SYMLINK || type == PLAN_HARDLINK) && (!f.target || !*f.target))
                return bad(rd, where, "a link needs a 'target'");
        if (type == PLAN_HARDLINK && !is_image_path(f.target))
                return bad(rd, where, "a hardlink 'target' must be an absolute image path");
        if (plan_get(plan, f.path))
                return bad(rd, where, "duplicate path");

        e.path = (char *)f.path;
        e.type = (enum plan_type)type;
        e.uid = (unsigned)f.uid;
        e.gid = (unsigned)f.gid;
        e.size = (uint64_t)f.size;
        if (f.digest)
                memcpy(e.digest, f.digest, sizeof(e.digest));
        e.target = (char *)f.target;
        e.pkg = (char *)f.pkg;
        e.pkg_path = (char *)f.pkg_path;
        e.reason = (enum plan_reason_kind)kind;
        e.reason_from = (char *)f.from;
        e.reason_detail = (char *)f.detail;
        plan_add(plan, &e, NULL);
        return 0;
}

static int read_entries(struct reader *rd, json_t *root, struct plan *plan)
{
        json_t *a = json_object_get(root, "entries");
        if (!json_is_array(a))
                return bad(rd, "entries", "must be an array");
        for (size_t i = 0; i < json_array_size(a); i++) {
                int r = read_entry(rd, json_array_get(a, i), i, plan);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_from_json(struct reader *rd, json_t *root, struct plan *plan)
{
        const char *arch;
        int r;
        if (!json_is_object(root))
                return bad(rd, "top level", "must be an object");
        if ((r = get_string(rd, root, "arch", true, "top level", &arch)) < 0)
                return r;
        plan->arch = dup_or_null(arch);
        if ((r = read_provenance(rd, root, plan)) < 0 || (r = read_packages(rd, root, plan)) < 0 ||
            (r = read_strvec(rd, root, "requested", &plan->requested)) < 0 ||
            (r = read_strvec(rd, root, "rule_packages", &plan->rule_packages)) < 0 ||
            (r = read_env(rd, root, plan)) < 0 ||
            (r = read_strvec(rd, root, "warnings", &plan->warnings)) < 0 ||
            (r = read_strvec(rd, root, "generate", &plan->generate)) < 0 ||
            (r = read_stdlib(rd, root, plan)) < 0 || (r = read_entries(rd, root, plan)) < 0)
                return r;
        return 0;
}

int plan_json_of_output(const char *out, char **path, struct distill_error *err)
{
        struct stat st;
        cleanup_free char *layout = path_join(out, "oci-layout");
        bool is_dir = stat(out, &st) == 0 && S_ISDIR(st.st_mode);

        *path = NULL;
        if (is_dir && stat(layout, &st) == 0) {
                *path = path_join(out, "plan.json");
                return 0;
        }
        char *beside = xasprintf("%s.plan.json", out);
        if (stat(beside, &st) == 0) {
                *path = beside;
                return 0;
        }
        free(beside);
        if (is_dir)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: not an output of distill build (no oci-layout with "
                                         "plan.json inside, no %s.plan.json beside)",
                                         out, out);
        return 0;
}

int plan_read_json(const char *path, struct plan **out, struct distill_error *err)
{
        struct reader rd = {path, err};
        struct stat st;
        char *data = NULL;
        size_t len = 0;

        *out = NULL;
        if (stat(path, &st) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s", path);
        if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > PLAN_JSON_MAX_BYTES)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: not a regular file of at most %u MiB", path,
                                         PLAN_JSON_MAX_BYTES >> 20);
        int e = read_file_capped(path, PLAN_JSON_MAX_BYTES, &data, &len);
        if (e == -EFBIG)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %u MiB", path,
                                         PLAN_JSON_MAX_BYTES >> 20);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "%s", path);

        json_error_t jerr;
        json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
        free(data);
        if (!root)
                return distill_error_set(err, DISTILL_EUSAGE, "%s:%d:%d: %s", path, jerr.line,
                                         jerr.column, jerr.text);
        struct plan *plan = plan_new();
        int r = plan_from_json(&rd, root, plan);
        json_decref(root);
        if (r < 0) {
                plan_free(plan);
                return r;
        }
        *out = plan;
        return 0;
}

void plan_warn(struct plan *plan, const char *fmt, ...)
{
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                abort(); /* as xmalloc: allocation failure is fatal */
        strvec_push_nodup(&plan->warnings, s);
}
