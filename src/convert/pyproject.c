/* pyproject.toml, poetry.lock and uv.lock as PEP 508 requirements (pyproject.h). The lock files
 * are walked as graphs from what the project asks for: uv.lock from its root package, a Poetry
 * 2.0 lock (which records no groups) from the pyproject.toml beside it. */
#include "distill/convert/pyproject.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/base/names.h"
#include "distill/convert/toml.h"

#define TEXT_MAX   4096 /* longest requirement, version or marker taken from a file */
#define MARKER_MAX 2048 /* a lock's combined marker longer than this is dropped (noted) */

/* ---- results ---- */

static void add_req(struct pyproject_reqs *r, char *requirement, char *origin)
{
        r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
        r->v[r->n].requirement = requirement;
        r->v[r->n].origin = origin;
        r->n++;
}

__attribute__((format(printf, 2, 3))) static void note(struct pyproject_reqs *r, const char *fmt,
                                                       ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        strvec_push_nodup(&r->notes, s);
}

void pyproject_reqs_release(struct pyproject_reqs *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->v[i].requirement);
                free(r->v[i].origin);
        }
        free(r->v);
        free(r->requires_python);
        strvec_clear(&r->notes);
        memset(r, 0, sizeof(*r));
}

/* ---- text checks ---- */

/* Non-empty, at most TEXT_MAX bytes, no control characters: safe to put in a manifest comment. */
static bool safe_text(const char *s)
{
        size_t n = 0;
        if (!s || !*s)
                return false;
        for (; s[n]; n++)
                if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f || n >= TEXT_MAX)
                        return false;
        return true;
}

/* PEP 508's name: letters and digits, with '.', '_' and '-' inside. */
static bool dist_name_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 200 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
                        return false;
        return true;
}

static const char *string_at(const json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

/* ---- Poetry constraints ---- */

static bool version_text_valid(const char *v)
{
        if (!isdigit((unsigned char)v[0]) || strlen(v) > 128)
                return false;
        for (const char *p = v; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr(".+!_-*", *p))
                        return false;
        return true;
}

/* The release numbers a version starts with ("1.2.3rc1" → 1 2 3); count 0 when none. */
struct release {
        long n[8];
        int count;
        bool more; /* something follows the numbers (a pre-release, a local part) */
};

static struct release release_of(const char *v)
{
        struct release r = {.count = 0};
        const char *p = v;
        while (r.count < 8 && isdigit((unsigned char)*p)) {
                char *end;
                errno = 0;
                long x = strtol(p, &end, 10);
                if (errno || x > 1000000000L)
                        return (struct release){.count = 0};
                r.n[r.count++] = x;
                p = end;
                if (*p != '.' || !isdigit((unsigned char)p[1]))
                        break;
                p++;
        }
        r.more = *p != '\0';
        return r;
}

/* n[0..count) padded with zeros to three numbers (or count, when longer). */
static void add_release(struct strbuf *sb, const long *n, int count)
{
        for (int i = 0; i < (count > 3 ? count : 3); i++)
                strbuf_addf(sb, "%s%ld", i ? "." : "", i < count ? n[i] : 0);
}

/* >=LOWER,<UPPER where UPPER is the release with number `bump` incremented and those after it
 * dropped. */
static void add_range(struct strbuf *sb, const char *v, const struct release *r, int bump)
{
        long upper[8];
        strbuf_adds(sb, ">=");
        if (r->more || r->count >= 3)
                strbuf_adds(sb, v);
        else
                add_release(sb, r->n, r->count);
        for (int i = 0; i <= bump; i++)
                upper[i] = i < r->count ? r->n[i] : 0;
        upper[bump]++;
        strbuf_adds(sb, ",<");
        add_release(sb, upper, bump + 1);
}

static int single_constraint(const char *c, struct strbuf *sb, const char **why)
{
        static const char *const ops[] = {"===", "==", "!=", "<=", ">=", "~=", "<>", "<", ">", "="};
        if (strcmp(c, "*") == 0)
                return 0;
        if (sb->len)
                strbuf_addch(sb, ',');
        if (c[0] == '^' || (c[0] == '~' && c[1] != '=')) {
                const char *v = c + 1;
                struct release r = release_of(v);
                if (!version_text_valid(v) || r.count == 0) {
                        *why = "not a version after ^ or ~";
                        return -1;
                }
                int bump;
                if (c[0] == '~')
                        bump = r.count == 1 ? 0 : 1;
                else if (r.n[0] > 0 || r.count == 1)
                        bump = 0;
                else if ((r.count > 1 && r.n[1] > 0) || r.count == 2)
                        bump = 1;
                else
                        bump = 2;
                add_range(sb, v, &r, bump);
                return 0;
        }
        const char *op = "";
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
                if (strncmp(c, ops[i], strlen(ops[i])) == 0) {
                        op = ops[i];
                        break;
                }
        const char *v = c + strlen(op);
        if (!version_text_valid(v)) {
                *why = "not a version constraint";
                return -1;
        }
        size_t vn = strlen(v);
        bool wildcard = vn >= 2 && strcmp(v + vn - 2, ".*") == 0;
        if (strchr(v, '*') && !wildcard) {
                *why = "'*' only ends a version";
                return -1;
        }
        if (!strcmp(op, "=") || !strcmp(op, ""))
                op = "==";
        else if (!strcmp(op, "<>"))
                op = "!=";
        if (wildcard && !strcmp(op, "==")) {
                /* "1.2.*" → >=1.2.0,<1.3.0: the last given number is the one that moves */
                cleanup_free char *base = xstrndup(v, vn - 2);
                struct release r = release_of(base);
                if (r.count == 0 || r.more) {
                        *why = "not a version before .*";
                        return -1;
                }
                add_range(sb, base, &r, r.count - 1);
                return 0;
        }
        if (wildcard && strcmp(op, "!=") != 0) {
                *why = "a wildcard version goes only with == or !=";
                return -1;
        }
        strbuf_addf(sb, "%s%s", op, v);
        return 0;
}

static bool is_operator(const char *t)
{
        return *t && strspn(t, "<>=!~^") == strlen(t);
}

int poetry_constraint_pep440(const char *constraint, char **out, const char **why)
{
        *out = NULL;
        *why = NULL;
        if (!safe_text(constraint) && *constraint) {
                *why = "not a version constraint";
                return -1;
        }
        if (strchr(constraint, '|')) {
                *why = "an alternative (||) has no single PEP 440 form";
                return -1;
        }
        struct strbuf sb = STRBUF_INIT;
        cleanup_free char *copy = xstrdup(constraint);
        /* items split at commas and blanks, an operator standing alone joined to its version */
        struct strvec items = STRVEC_INIT;
        char *save = NULL, *pending = NULL;
        for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
                if (pending) {
                        strvec_push_nodup(&items, xasprintf("%s%s", pending, t));
                        pending = NULL;
                } else if (is_operator(t)) {
                        pending = t;
                } else {
                        strvec_push(&items, t);
                }
        }
        int r = 0;
        if (pending) {
                *why = "an operator without a version";
                r = -1;
        }
        for (size_t i = 0; r == 0 && i < items.n; i++)
                r = single_constraint(items.v[i], &sb, why);
        strvec_clear(&items);
        if (r < 0) {
                strbuf_release(&sb);
                return -1;
        }
        strbuf_addch(&sb, '\0');
        sb.len--;
        *out = strbuf_detach(&sb);
        return 0;
}

/* ---- pyproject.toml ---- */

static int wrong_type(const char *path, const char *key, const char *what,
                      struct distill_error *err)
{
        return distill_error_set(err, DISTILL_EUSAGE, "%s: %s must be %s", path, key, what);
}

/* python_version / python_full_version clauses for a Poetry python constraint, or NULL. */
static char *python_marker(const char *constraint)
{
        char *spec;
        const char *why;
        if (poetry_constraint_pep440(constraint, &spec, &why) < 0)
                return NULL;
        struct strbuf sb = STRBUF_INIT;
        char *save = NULL;
        for (char *c = strtok_r(spec, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
                size_t op = strspn(c, "<>=!~");
                struct release r = release_of(c + op);
                /* "== 3.8" means any 3.8.x: python_version; a full version needs the full one */
                const char *var = r.count <= 2 ? "python_version" : "python_full_version";
                strbuf_addf(&sb, "%s%s %.*s \"%s\"", sb.len ? " and " : "", var, (int)op, c,
                            c + op);
        }
        free(spec);
        return sb.len ? strbuf_detach(&sb) : (strbuf_release(&sb), NULL);
}

static void add_clause(struct strbuf *markers, const char *clause)
{
        strbuf_addf(markers, "%s(%s)", markers->len ? " and " : "", clause);
}

/* Which of [tool.poetry.extras] list NAME (for the note on an optional dependency). */
static char *extras_listing(const json_t *extras, const char *name)
{
        struct strbuf sb = STRBUF_INIT;
        const char *extra;
        json_t *list;
        cleanup_free char *norm = pep503_normalize(name, strlen(name));
        json_object_foreach((json_t *)extras, extra, list)
        {
                size_t i;
                json_t *v;
                json_array_foreach(list, i, v)
                {
                        cleanup_free char *n = json_is_string(v)
                                                   ? pep503_normalize(json_string_value(v),
                                                                      strlen(json_string_value(v)))
                                                   : NULL;
                        if (n && strcmp(n, norm) == 0)
                                strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", extra);
                }
        }
        return sb.len ? strbuf_detach(&sb) : (strbuf_release(&sb), xstrdup("none"));
}

static int poetry_table_dep(const char *path, const char *name, const char *where,
                            const json_t *dep, const json_t *extras, struct pyproject_reqs *out,
                            struct distill_error *err)
{
        static const char *const unmappable[] = {"git", "path", "url", "file"};
        for (size_t i = 0; i < sizeof(unmappable) / sizeof(unmappable[0]); i++)
                if (json_object_get(dep, unmappable[i])) {
                        note(out,
                             "%s: %s is a %s dependency: not a package index's, not mapped to a "
                             "Debian package",
                             path, where, unmappable[i]);
                        return 0;
                }
        if (json_is_true(json_object_get(dep, "optional"))) {
                cleanup_free char *in = extras_listing(extras, name);
                note(out,
                     "%s: %s is optional (installed only with the project's extras: %s): skipped",
                     path, where, in);
                return 0;
        }
        const json_t *version = json_object_get(dep, "version");
        if (version && !json_is_string(version))
                return wrong_type(path, where, "a table whose version is a string", err);
        char *spec;
        const char *why;
        if (poetry_constraint_pep440(version ? json_string_value(version) : "*", &spec, &why) < 0) {
                note(out, "%s: %s: version \"%s\": %s; taken without a version", path, where,
                     json_string_value(version), why);
                spec = xstrdup("");
        }
        struct strbuf req = STRBUF_INIT, markers = STRBUF_INIT;
        strbuf_adds(&req, name);
        const json_t *ex = json_object_get(dep, "extras");
        if (json_array_size(ex)) {
                size_t i;
                json_t *e;
                strbuf_addch(&req, '[');
                json_array_foreach(ex, i, e)
                {
                        if (!json_is_string(e) || !dist_name_valid(json_string_value(e))) {
                                strbuf_release(&req);
                                free(spec);
                                return wrong_type(path, where, "a table whose extras are names",
                                                  err);
                        }
                        strbuf_addf(&req, "%s%s", i ? "," : "", json_string_value(e));
                }
                strbuf_addch(&req, ']');
        }
        strbuf_adds(&req, spec);
        free(spec);
        const char *python = string_at(dep, "python");
        if (python) {
                cleanup_free char *m = python_marker(python);
                if (m)
                        add_clause(&markers, m);
                else
                        note(out, "%s: %s: python \"%s\" has no marker form: left out", path, where,
                             python);
        }
        const char *platform = string_at(dep, "platform");
        if (platform && safe_text(platform) && !strchr(platform, '"')) {
                cleanup_free char *m = xasprintf("sys_platform == \"%s\"", platform);
                add_clause(&markers, m);
        }
        const char *m = string_at(dep, "markers");
        if (m && safe_text(m))
                add_clause(&markers, m);
        if (markers.len)
                strbuf_addf(&req, "; %s", markers.buf);
        strbuf_release(&markers);
        add_req(out, strbuf_detach(&req), xasprintf("%s: %s", path, where));
        return 0;
}

static int poetry_dependencies(const char *path, const json_t *poetry, struct pyproject_reqs *out,
                               struct distill_error *err)
{
        const json_t *deps = json_object_get(poetry, "dependencies");
        const json_t *extras = json_object_get(poetry, "extras");
        const char *name;
        json_t *dep;
        int r;
        json_object_foreach((json_t *)deps, name, dep)
        {
                if (strcasecmp(name, "python") == 0)
                        continue;
                cleanup_free char *where = xasprintf("tool.poetry.dependencies.%s", name);
                if (!dist_name_valid(name))
                        return wrong_type(path, where, "named by a distribution name", err);
                if (json_is_string(dep)) {
                        char *spec;
                        const char *why;
                        if (poetry_constraint_pep440(json_string_value(dep), &spec, &why) < 0) {
                                note(out, "%s: %s: version \"%s\": %s; taken without a version",
                                     path, where, json_string_value(dep), why);
                                spec = xstrdup("");
                        }
                        add_req(out, xasprintf("%s%s", name, spec),
                                xasprintf("%s: %s", path, where));
                        free(spec);
                } else if (json_is_object(dep)) {
                        if ((r = poetry_table_dep(path, name, where, dep, extras, out, err)) < 0)
                                return r;
                } else if (json_is_array(dep)) {
                        size_t i;
                        json_t *alt;
                        json_array_foreach(dep, i, alt)
                        {
                                cleanup_free char *w = xasprintf("%s[%zu]", where, i);
                                if (!json_is_object(alt))
                                        return wrong_type(path, w, "a table", err);
                                if ((r = poetry_table_dep(path, name, w, alt, extras, out, err)) <
                                    0)
                                        return r;
                        }
                } else {
                        return wrong_type(path, where, "a version string, a table or a list", err);
                }
        }
        return 0;
}

static void poetry_group_notes(const char *path, const json_t *poetry, struct pyproject_reqs *out)
{
        if (json_object_size(json_object_get(poetry, "dev-dependencies")))
                note(out,
                     "%s: tool.poetry.dev-dependencies skipped: development dependencies are "
                     "not installed in the image",
                     path);
        const char *group;
        json_t *g;
        json_object_foreach(json_object_get(poetry, "group"), group, g)
        {
                if (strcmp(group, "main") == 0)
                        continue;
                note(out, "%s: tool.poetry.group.%s skipped: only the main group is installed",
                     path, group);
        }
}

static int project_dependencies(const char *path, const json_t *project, struct pyproject_reqs *out,
                                struct distill_error *err)
{
        const json_t *deps = json_object_get(project, "dependencies");
        size_t i;
        json_t *d;
        if (!json_is_array(deps))
                return wrong_type(path, "project.dependencies", "an array of strings", err);
        json_array_foreach(deps, i, d)
        {
                if (!json_is_string(d) || !safe_text(json_string_value(d))) {
                        cleanup_free char *where = xasprintf("project.dependencies[%zu]", i);
                        return wrong_type(path, where, "a PEP 508 requirement string", err);
                }
                add_req(out, xstrdup(json_string_value(d)),
                        xasprintf("%s: project.dependencies[%zu]", path, i));
        }
        return 0;
}

static void project_notes(const char *path, const json_t *doc, const json_t *project,
                          struct pyproject_reqs *out)
{
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(project, "dynamic"), i, d)
        {
                if (json_is_string(d) && strcmp(json_string_value(d), "dependencies") == 0)
                        note(out,
                             "%s: project.dependencies is dynamic (the build backend computes "
                             "it): not read",
                             path);
        }
        const json_t *optional = json_object_get(project, "optional-dependencies");
        if (json_object_size(optional)) {
                struct strbuf sb = STRBUF_INIT;
                const char *extra;
                json_t *v;
                json_object_foreach((json_t *)optional, extra, v)
                {
                        strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", extra);
                }
                note(out,
                     "%s: project.optional-dependencies skipped (extras %s): installed only when "
                     "asked for",
                     path, sb.buf);
                strbuf_release(&sb);
        }
        if (json_object_size(json_object_get(doc, "dependency-groups")))
                note(out, "%s: dependency-groups skipped: not installed with the project", path);
}

static int read_pyproject_doc(const char *path, const json_t *doc, struct pyproject_reqs *out,
                              struct distill_error *err)
{
        const json_t *project = json_object_get(doc, "project");
        const json_t *poetry = json_object_get(json_object_get(doc, "tool"), "poetry");
        int r;
        if (project && !json_is_object(project))
                return wrong_type(path, "project", "a table", err);
        if (poetry && !json_is_object(poetry))
                return wrong_type(path, "tool.poetry", "a table", err);
        const json_t *pdeps = json_object_get(poetry, "dependencies");
        if (pdeps && !json_is_object(pdeps))
                return wrong_type(path, "tool.poetry.dependencies", "a table", err);
        const json_t *rp = json_object_get(project, "requires-python");
        if (rp && (!json_is_string(rp) || !safe_text(json_string_value(rp))))
                return wrong_type(path, "project.requires-python", "a version specifier", err);
        if (rp)
                out->requires_python = xstrdup(json_string_value(rp));
        if (json_object_get(project, "dependencies")) {
                if ((r = project_dependencies(path, project, out, err)) < 0)
                        return r;
                if (json_object_size(pdeps) > (json_object_get(pdeps, "python") ? 1u : 0u))
                        note(out,
                             "%s: tool.poetry.dependencies not read: project.dependencies "
                             "declares the requirements",
                             path);
        } else if (pdeps) {
                if ((r = poetry_dependencies(path, poetry, out, err)) < 0)
                        return r;
        }
        const char *python = string_at(pdeps, "python");
        if (!out->requires_python && python) {
                const char *why;
                if (poetry_constraint_pep440(python, &out->requires_python, &why) < 0)
                        note(out, "%s: tool.poetry.dependencies.python \"%s\": %s", path, python,
                             why);
        }
        project_notes(path, doc, project, out);
        poetry_group_notes(path, poetry, out);
        if (out->n == 0 && !json_object_get(project, "dependencies") && !pdeps)
                note(out, "%s: declares no dependencies ([project] or [tool.poetry])", path);
        return 0;
}

int pyproject_read(const char *path, struct pyproject_reqs *out, struct distill_error *err)
{
        json_t *doc;
        memset(out, 0, sizeof(*out));
        int r = toml_read_file(path, &doc, err);
        if (r < 0)
                return r;
        r = read_pyproject_doc(path, doc, out, err);
        json_decref(doc);
        if (r < 0)
                pyproject_reqs_release(out);
        return r;
}

/* ---- lock files as graphs ---- */

/* When a package is needed: always, or when one of the conjunctions holds, each a sorted set of
 * the markers on the edges of one path. Sets, not text, so that a cycle adds nothing new and the
 * walk ends; a conjunction that contains another is dropped (it adds nothing either). */
struct condition {
        bool always;
        struct strvec *conj;
        size_t n;
};

#define CONDITION_MAX 16 /* conjunctions, and markers in one; past it: always (noted) */

struct lock_node {
        json_t *pkg;
        char *name; /* normalised */
        const char *version;
        bool reached, queued;
        struct condition when;
        struct strvec extras;
};

struct lock_graph {
        const char *path;
        struct lock_node *v;
        size_t n;
        struct strmap by_name; /* normalised name → struct strvec of indexes ("%zu") */
        size_t *queue;
        size_t head, tail;
        struct pyproject_reqs *out;
        bool marker_capped;
        /* the edges of one package to the reach callback */
        void (*edges)(struct lock_graph *g, size_t from);
};

static void condition_release(struct condition *c)
{
        for (size_t i = 0; i < c->n; i++)
                strvec_clear(&c->conj[i]);
        free(c->conj);
        memset(c, 0, sizeof(*c));
}

static bool subset(const struct strvec *a, const struct strvec *b)
{
        for (size_t i = 0; i < a->n; i++)
                if (!strvec_contains(b, a->v[i]))
                        return false;
        return true;
}

static void condition_set_always(struct condition *c)
{
        condition_release(c);
        c->always = true;
}

/* dst |= conj (taking it): whether dst changed. */
static bool condition_add(struct lock_graph *g, const char *name, struct condition *dst,
                          struct strvec *conj)
{
        if (dst->always) {
                strvec_clear(conj);
                return false;
        }
        if (conj->n == 0) {
                condition_set_always(dst);
                return true;
        }
        for (size_t i = 0; i < dst->n; i++)
                if (subset(&dst->conj[i], conj)) {
                        strvec_clear(conj);
                        return false;
                }
        size_t k = 0;
        for (size_t i = 0; i < dst->n; i++)
                if (subset(conj, &dst->conj[i]))
                        strvec_clear(&dst->conj[i]);
                else
                        dst->conj[k++] = dst->conj[i];
        dst->n = k;
        if (dst->n >= CONDITION_MAX || conj->n > CONDITION_MAX) {
                if (!g->marker_capped)
                        note(g->out,
                             "%s: the markers on the paths to %s (and maybe others) are too many: "
                             "taken without a marker",
                             g->path, name);
                g->marker_capped = true;
                strvec_clear(conj);
                condition_set_always(dst);
                return true;
        }
        dst->conj = xrealloc(dst->conj, (dst->n + 1) * sizeof(*dst->conj));
        dst->conj[dst->n++] = *conj;
        memset(conj, 0, sizeof(*conj));
        return true;
}

/* PEP 508 text of a condition, NULL for always. */
static char *condition_text(const struct condition *c)
{
        if (c->always || c->n == 0)
                return NULL;
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < c->n; i++) {
                const struct strvec *a = &c->conj[i];
                bool wrap = c->n > 1 && a->n > 1;
                strbuf_adds(&sb, i ? " or " : "");
                strbuf_adds(&sb, wrap ? "(" : "");
                for (size_t k = 0; k < a->n; k++)
                        strbuf_addf(&sb, a->n > 1 || c->n > 1 ? "%s(%s)" : "%s%s", k ? " and " : "",
                                    a->v[k]);
                strbuf_adds(&sb, wrap ? ")" : "");
        }
        return strbuf_detach(&sb);
}

static void lock_graph_release(struct lock_graph *g)
{
        for (size_t i = 0; i < g->n; i++) {
                free(g->v[i].name);
                condition_release(&g->v[i].when);
                strvec_clear(&g->v[i].extras);
        }
        free(g->v);
        for (size_t i = 0; i < g->by_name.cap; i++)
                if (g->by_name.slots[i].key) {
                        strvec_clear(g->by_name.slots[i].value);
                        free(g->by_name.slots[i].value);
                }
        strmap_clear(&g->by_name, NULL);
        free(g->queue);
}

/* The [[package]] tables: each a table with a valid name and a version string. */
static int lock_graph_init(struct lock_graph *g, const char *path, const json_t *doc,
                           struct pyproject_reqs *out, struct distill_error *err)
{
        const json_t *packages = json_object_get(doc, "package");
        size_t i;
        json_t *p;
        memset(g, 0, sizeof(*g));
        g->path = path;
        g->out = out;
        if (packages && !json_is_array(packages))
                return wrong_type(path, "package", "an array of tables", err);
        g->v = xcalloc(json_array_size(packages) + 1, sizeof(*g->v));
        g->queue = xcalloc(json_array_size(packages) + 1, sizeof(*g->queue));
        json_array_foreach(packages, i, p)
        {
                const char *name = string_at(p, "name");
                const char *version = string_at(p, "version");
                if (!json_is_object(p) || !name || !dist_name_valid(name) ||
                    (version && !version_text_valid(version)))
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s: package[%zu] needs a distribution name and "
                                                 "a PEP 440 version",
                                                 path, i);
                struct lock_node *node = &g->v[g->n];
                node->pkg = p;
                node->name = pep503_normalize(name, strlen(name));
                node->version = version;
                struct strvec *idx = strmap_get(&g->by_name, node->name);
                if (!idx) {
                        idx = xcalloc(1, sizeof(*idx));
                        strmap_put(&g->by_name, node->name, idx);
                }
                strvec_push_nodup(idx, xasprintf("%zu", g->n));
                g->n++;
        }
        return 0;
}

/* The package at i needed when one of `when` holds, with these extras. */
static void reach_node(struct lock_graph *g, size_t i, struct condition *when, const json_t *extras)
{
        struct lock_node *n = &g->v[i];
        bool changed = !n->reached;
        n->reached = true;
        if (when->always && !n->when.always) {
                condition_set_always(&n->when);
                changed = true;
        }
        for (size_t k = 0; k < when->n && !n->when.always; k++) {
                struct strvec copy = STRVEC_INIT;
                for (size_t a = 0; a < when->conj[k].n; a++)
                        strvec_push(&copy, when->conj[k].v[a]);
                changed |= condition_add(g, n->name, &n->when, &copy);
        }
        size_t k;
        json_t *e;
        json_array_foreach(extras, k, e)
        {
                if (!json_is_string(e))
                        continue;
                cleanup_free char *x =
                    pep503_normalize(json_string_value(e), strlen(json_string_value(e)));
                if (!strvec_contains(&n->extras, x)) {
                        strvec_push(&n->extras, x);
                        changed = true;
                }
        }
        if (changed && !n->queued) {
                n->queued = true;
                g->queue[g->tail] = i;
                g->tail = (g->tail + 1) % (g->n + 1);
        }
}

/* An edge with the markers ATOMS from `from` (or from the project, SIZE_MAX) to every package
 * called NAME (only the one at VERSION when the edge names it). */
static void reach(struct lock_graph *g, size_t from, const char *name, const char *version,
                  const struct strvec *atoms, const json_t *extras)
{
        if (!name)
                return;
        cleanup_free char *norm = pep503_normalize(name, strlen(name));
        struct strvec *idx = strmap_get(&g->by_name, norm);
        if (!idx) {
                note(g->out, "%s: %s needs %s, which the lock does not list", g->path,
                     from == SIZE_MAX ? "the project" : g->v[from].name, name);
                return;
        }
        /* the parent's condition, each conjunction with this edge's markers added */
        struct condition parent = {.always = true};
        if (from != SIZE_MAX)
                parent = g->v[from].when;
        struct condition when = {0};
        struct strvec empty = STRVEC_INIT;
        size_t n_conj = parent.always ? 1 : parent.n;
        for (size_t c = 0; c < n_conj; c++) {
                struct strvec conj = STRVEC_INIT;
                const struct strvec *base = parent.always ? &empty : &parent.conj[c];
                for (size_t a = 0; a < base->n; a++)
                        strvec_push(&conj, base->v[a]);
                for (size_t a = 0; atoms && a < atoms->n; a++)
                        if (safe_text(atoms->v[a]) && !strvec_contains(&conj, atoms->v[a]))
                                strvec_push(&conj, atoms->v[a]);
                strvec_sort(&conj);
                condition_add(g, norm, &when, &conj);
        }
        for (size_t k = 0; k < idx->n; k++) {
                size_t i = strtoul(idx->v[k], NULL, 10);
                if (version && g->v[i].version && strcmp(version, g->v[i].version) != 0)
                        continue;
                reach_node(g, i, &when, extras);
        }
        condition_release(&when);
}

/* reach() with at most one marker. */
static void reach1(struct lock_graph *g, size_t from, const char *name, const char *version,
                   const char *marker, const json_t *extras)
{
        struct strvec atoms = STRVEC_INIT;
        if (marker)
                strvec_push(&atoms, marker);
        reach(g, from, name, version, &atoms, extras);
        strvec_clear(&atoms);
}

static void run_closure(struct lock_graph *g)
{
        while (g->head != g->tail) {
                size_t i = g->queue[g->head];
                g->head = (g->head + 1) % (g->n + 1);
                g->v[i].queued = false;
                g->edges(g, i);
        }
}

static bool registry_source(const json_t *pkg, bool uv)
{
        const json_t *source = json_object_get(pkg, "source");
        if (!source)
                return true;
        if (uv)
                return json_object_get(source, "registry") != NULL;
        const char *type = string_at(source, "type");
        return !type || strcmp(type, "legacy") == 0;
}

static void emit(struct lock_graph *g, size_t i, const char *marker, bool uv)
{
        cleanup_free char *own = marker ? NULL : condition_text(&g->v[i].when);
        if (!marker)
                marker = own;
        struct lock_node *n = &g->v[i];
        const char *name = string_at(n->pkg, "name");
        if (!registry_source(n->pkg, uv) || !n->version) {
                note(g->out, "%s: %s comes from %s, not a package index: not mapped", g->path, name,
                     n->version ? "its own source" : "a source without a version");
                return;
        }
        char *req = marker && *marker ? xasprintf("%s==%s; %s", name, n->version, marker)
                                      : xasprintf("%s==%s", name, n->version);
        add_req(g->out, req, xasprintf("%s: package %s %s", g->path, name, n->version));
}

/* ---- uv.lock ---- */

static void uv_edge_list(struct lock_graph *g, size_t from, const json_t *list)
{
        size_t k;
        json_t *d;
        json_array_foreach(list, k, d)
        {
                reach1(g, from, string_at(d, "name"), string_at(d, "version"),
                       string_at(d, "marker"), json_object_get(d, "extra"));
        }
}

static void uv_edges(struct lock_graph *g, size_t from)
{
        const json_t *pkg = g->v[from].pkg;
        uv_edge_list(g, from, json_object_get(pkg, "dependencies"));
        const json_t *optional = json_object_get(pkg, "optional-dependencies");
        for (size_t e = 0; e < g->v[from].extras.n; e++) {
                const char *extra;
                json_t *list;
                json_object_foreach((json_t *)optional, extra, list)
                {
                        cleanup_free char *x = pep503_normalize(extra, strlen(extra));
                        if (strcmp(x, g->v[from].extras.v[e]) == 0)
                                uv_edge_list(g, from, list);
                }
        }
}

static bool uv_is_root(const json_t *pkg)
{
        const json_t *source = json_object_get(pkg, "source");
        const char *e = string_at(source, "editable"), *v = string_at(source, "virtual");
        return (e && strcmp(e, ".") == 0) || (v && strcmp(v, ".") == 0);
}

static int read_uv_doc(const char *path, const json_t *doc, struct pyproject_reqs *out,
                       struct distill_error *err)
{
        struct lock_graph g;
        int r = lock_graph_init(&g, path, doc, out, err);
        if (r < 0)
                goto out;
        g.edges = uv_edges;
        const json_t *version = json_object_get(doc, "version");
        if (version && json_integer_value(version) != 1)
                note(out, "%s: lock format version %lld read as version 1", path,
                     (long long)json_integer_value(version));
        const char *rp = string_at(doc, "requires-python");
        if (rp && safe_text(rp))
                out->requires_python = xstrdup(rp);
        size_t root = SIZE_MAX;
        for (size_t i = 0; i < g.n && root == SIZE_MAX; i++)
                if (uv_is_root(g.v[i].pkg))
                        root = i;
        if (root == SIZE_MAX) {
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "%s: no root project (a package whose source is "
                                      "{ editable = \".\" } or { virtual = \".\" })",
                                      path);
                goto out;
        }
        struct condition always = {.always = true};
        reach_node(&g, root, &always, NULL);
        run_closure(&g);
        if (json_object_size(json_object_get(g.v[root].pkg, "dev-dependencies")))
                note(out, "%s: the dev-dependencies of %s skipped", path, g.v[root].name);
        if (json_object_size(json_object_get(g.v[root].pkg, "optional-dependencies")))
                note(out,
                     "%s: the optional-dependencies of %s skipped: installed only with its "
                     "extras",
                     path, g.v[root].name);
        for (size_t i = 0; i < g.n; i++)
                if (g.v[i].reached && i != root)
                        emit(&g, i, NULL, true);
out:
        lock_graph_release(&g);
        return r;
}

int uv_lock_read(const char *path, struct pyproject_reqs *out, struct distill_error *err)
{
        json_t *doc;
        memset(out, 0, sizeof(*out));
        int r = toml_read_file(path, &doc, err);
        if (r < 0)
                return r;
        r = read_uv_doc(path, doc, out, err);
        json_decref(doc);
        if (r < 0)
                pyproject_reqs_release(out);
        return r;
}

/* ---- poetry.lock ---- */

/* One [package.dependencies] value: a constraint string, a table, or a list of tables. */
static void poetry_edge(struct lock_graph *g, size_t from, const char *name, const json_t *spec,
                        bool with_optional)
{
        if (json_is_string(spec)) {
                reach(g, from, name, NULL, NULL, NULL);
                return;
        }
        if (json_is_array(spec)) {
                size_t k;
                json_t *alt;
                json_array_foreach(spec, k, alt)
                {
                        poetry_edge(g, from, name, alt, with_optional);
                }
                return;
        }
        if (!json_is_object(spec))
                return;
        if (json_is_true(json_object_get(spec, "optional")) && !with_optional)
                return;
        struct strvec atoms = STRVEC_INIT;
        const char *python = string_at(spec, "python");
        if (python) {
                char *pm = python_marker(python);
                if (pm)
                        strvec_push_nodup(&atoms, pm);
        }
        const char *markers = string_at(spec, "markers");
        if (markers)
                strvec_push(&atoms, markers);
        reach(g, from, name, NULL, &atoms, json_object_get(spec, "extras"));
        strvec_clear(&atoms);
}

/* "PySocks (>=1.5.6,!=1.5.7)" or "name[extra] (...)": the name. */
static char *leading_name(const char *s)
{
        size_t n = 0;
        while (s[n] && (isalnum((unsigned char)s[n]) || strchr("._-", s[n])))
                n++;
        return n ? xstrndup(s, n) : NULL;
}

static void poetry_edges(struct lock_graph *g, size_t from)
{
        const json_t *pkg = g->v[from].pkg;
        const json_t *deps = json_object_get(pkg, "dependencies");
        const char *name;
        json_t *spec;
        json_object_foreach((json_t *)deps, name, spec)
        {
                poetry_edge(g, from, name, spec, false);
        }
        const json_t *extras = json_object_get(pkg, "extras");
        for (size_t e = 0; e < g->v[from].extras.n; e++) {
                const char *extra;
                json_t *list;
                json_object_foreach((json_t *)extras, extra, list)
                {
                        cleanup_free char *x = pep503_normalize(extra, strlen(extra));
                        if (strcmp(x, g->v[from].extras.v[e]) != 0)
                                continue;
                        size_t k;
                        json_t *d;
                        json_array_foreach(list, k, d)
                        {
                                cleanup_free char *dn =
                                    json_is_string(d) ? leading_name(json_string_value(d)) : NULL;
                                const json_t *dspec = NULL;
                                const char *key;
                                json_t *v;
                                json_object_foreach((json_t *)deps, key, v)
                                {
                                        cleanup_free char *a = pep503_normalize(key, strlen(key));
                                        cleanup_free char *b =
                                            dn ? pep503_normalize(dn, strlen(dn)) : NULL;
                                        if (b && strcmp(a, b) == 0)
                                                dspec = v;
                                }
                                if (dspec)
                                        poetry_edge(g, from, dn, dspec, true);
                                else
                                        reach(g, from, dn, NULL, NULL, NULL);
                        }
                }
        }
}

/* The requirements of the pyproject.toml beside the lock as the graph's first edges. */
static int poetry_roots(struct lock_graph *g, const char *pyproject, struct distill_error *err)
{
        struct pyproject_reqs reqs;
        int r = pyproject_read(pyproject, &reqs, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < reqs.n; i++) {
                const char *req = reqs.v[i].requirement;
                cleanup_free char *name = leading_name(req);
                json_t *extras = json_array();
                const char *b = strchr(req, '['), *e = b ? strchr(b, ']') : NULL;
                const char *semi = strchr(req, ';');
                if (b && e && (!semi || b < semi)) {
                        cleanup_free char *list = xstrndup(b + 1, (size_t)(e - b - 1));
                        char *save = NULL;
                        for (char *x = strtok_r(list, ", ", &save); x;
                             x = strtok_r(NULL, ", ", &save))
                                json_array_append_new(extras, json_string(x));
                }
                const char *marker = semi ? semi + 1 : NULL;
                while (marker && *marker == ' ')
                        marker++;
                reach1(g, SIZE_MAX, name, NULL, marker && *marker ? marker : NULL, extras);
                json_decref(extras);
        }
        pyproject_reqs_release(&reqs);
        return 0;
}

/* A 2.0 lock: the main group is what the pyproject.toml beside it needs. */
static int poetry_closure(struct lock_graph *g, struct distill_error *err)
{
        cleanup_free char *dir = path_dirname(g->path);
        cleanup_free char *pyproject = path_join(dir, "pyproject.toml");
        int r;
        if (access(pyproject, F_OK) != 0) {
                note(g->out,
                     "%s: the lock names no groups (lock-version 2.0) and there is no %s to "
                     "start from: every package taken, development ones included",
                     g->path, pyproject);
                for (size_t i = 0; i < g->n; i++)
                        emit(g, i, "", false);
                return 0;
        }
        if ((r = poetry_roots(g, pyproject, err)) < 0)
                return r;
        run_closure(g);
        for (size_t i = 0; i < g->n; i++)
                if (g->v[i].reached)
                        emit(g, i, NULL, false);
        return 0;
}

enum poetry_groups { BY_GROUPS, BY_CATEGORY, BY_CLOSURE };

static const char *poetry_lock_marker(const json_t *pkg)
{
        const json_t *m = json_object_get(pkg, "markers");
        const char *s = json_is_object(m) ? string_at(m, "main") : json_string_value(m);
        return s && safe_text(s) ? s : NULL;
}

static bool in_main_group(const json_t *pkg, enum poetry_groups mode)
{
        if (mode == BY_CATEGORY) {
                const char *c = string_at(pkg, "category");
                return c && strcmp(c, "main") == 0;
        }
        size_t k;
        json_t *grp;
        json_array_foreach(json_object_get(pkg, "groups"), k, grp)
        {
                if (json_is_string(grp) && strcmp(json_string_value(grp), "main") == 0)
                        return true;
        }
        return false;
}

static int read_poetry_doc(const char *path, const json_t *doc, struct pyproject_reqs *out,
                           struct distill_error *err)
{
        struct lock_graph g;
        int r = lock_graph_init(&g, path, doc, out, err);
        if (r < 0)
                goto out;
        g.edges = poetry_edges;
        const char *py = string_at(json_object_get(doc, "metadata"), "python-versions");
        if (py) {
                const char *why;
                if (poetry_constraint_pep440(py, &out->requires_python, &why) < 0)
                        note(out, "%s: metadata.python-versions \"%s\": %s", path, py, why);
        }
        enum poetry_groups mode = BY_CLOSURE;
        for (size_t i = 0; i < g.n; i++) {
                if (json_object_get(g.v[i].pkg, "groups"))
                        mode = BY_GROUPS;
                else if (mode == BY_CLOSURE && json_object_get(g.v[i].pkg, "category"))
                        mode = BY_CATEGORY;
        }
        if (mode != BY_CLOSURE) {
                for (size_t i = 0; i < g.n; i++)
                        if (in_main_group(g.v[i].pkg, mode))
                                emit(&g, i,
                                     mode == BY_GROUPS ? poetry_lock_marker(g.v[i].pkg) : NULL,
                                     false);
                goto out;
        }
        r = poetry_closure(&g, err);
out:
        lock_graph_release(&g);
        return r;
}

int poetry_lock_read(const char *path, struct pyproject_reqs *out, struct distill_error *err)
{
        json_t *doc;
        memset(out, 0, sizeof(*out));
        int r = toml_read_file(path, &doc, err);
        if (r < 0)
                return r;
        r = read_poetry_doc(path, doc, out, err);
        json_decref(doc);
        if (r < 0)
                pyproject_reqs_release(out);
        return r;
}
