/* Requirements onto Debian packages (reqmap.h). */
#include "distill/convert/reqmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "distill/convert/pep440.h"
#include "distill/convert/pyproject.h"

#define REQMAP_MAX_METADATA (4u << 20)
#define REQMAP_MAX_REQS     10000

static int collect_requirement_file(struct conversion *cv, const char *rel,
                                    struct distill_error *err)
{
        cleanup_free char *path = path_join(cv->context, rel);
        struct pyreq_list list = {0};
        int r = pyreq_read_file(path, &list, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < list.n; i++) {
                const struct pyreq *q = &list.v[i];
                if (q->constraint)
                        continue; /* constrains what something else asks for; asks for nothing */
                /* the origin relative to the context, as the user knows the file */
                const char *origin = q->origin;
                if (path_has_prefix(origin, cv->context))
                        origin += strlen(cv->context) + 1;
                if (q->url) {
                        cv_add_requirement(cv, q->url, origin);
                        struct cv_requirement *c = &cv->reqs[cv->n_reqs - 1];
                        c->outcome = CV_MANUAL;
                        c->detail =
                            xasprintf("%s is not a package: install it into "
                                      "python.site-packages",
                                      q->editable ? "an editable install" : "a URL or path");
                        continue;
                }
                struct strbuf text = STRBUF_INIT;
                strbuf_adds(&text, q->name);
                for (size_t e = 0; e < q->extras.n; e++)
                        strbuf_addf(&text, "%c%s", e ? ',' : '[', q->extras.v[e]);
                if (q->extras.n)
                        strbuf_addch(&text, ']');
                strbuf_adds(&text, q->specifier);
                if (q->marker)
                        strbuf_addf(&text, "; %s", q->marker);
                cv_add_requirement(cv, strbuf_str(&text), origin);
                strbuf_release(&text);
        }
        pyreq_list_release(&list);
        return 0;
}

static int collect_project(struct conversion *cv, const char *rel, const char *origin_fallback,
                           int (*reader)(const char *, struct pyproject_reqs *,
                                         struct distill_error *),
                           struct distill_error *err)
{
        cleanup_free char *path = path_join(cv->context, rel);
        struct pyproject_reqs reqs = {0};
        int r = reader(path, &reqs, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < reqs.n; i++)
                cv_add_requirement(cv, reqs.v[i].requirement,
                                   reqs.v[i].origin ? reqs.v[i].origin : origin_fallback);
        for (size_t i = 0; i < reqs.notes.n; i++)
                cv_note(cv, "%s: %s", rel, reqs.notes.v[i]);
        if (reqs.requires_python)
                cv_note(cv, "%s: requires-python %s", rel, reqs.requires_python);
        pyproject_reqs_release(&reqs);
        return 0;
}

int reqmap_collect(struct conversion *cv, struct distill_error *err)
{
        int r = 0;
        for (size_t i = 0; i < cv->requirement_files.n && r == 0; i++)
                r = collect_requirement_file(cv, cv->requirement_files.v[i], err);
        for (size_t i = 0; i < cv->lock_files.n && r == 0; i++) {
                const char *rel = cv->lock_files.v[i];
                bool poetry = !strcmp(path_basename(rel), "poetry.lock");
                r = collect_project(cv, rel, cv->lock_file_origins.v[i],
                                    poetry ? poetry_lock_read : uv_lock_read, err);
        }
        if (r == 0 && cv->install_project && !cv->lock_files.n)
                r = collect_project(cv, "pyproject.toml", "pyproject.toml", pyproject_read, err);
        return r;
}

/* Debian ships a distribution for the default interpreter under /usr/lib/python3; several
 * packages may (python3-foo and a -dbg or pypy twin): python3-* first, then by name. */
static const struct pydist_entry *best_entry(const struct pydist_entry *v, size_t n)
{
        const struct pydist_entry *best = NULL;
        for (size_t i = 0; i < n; i++) {
                bool py3 = !strncmp(v[i].package, "python3-", 8);
                if (!best || (py3 && strncmp(best->package, "python3-", 8)))
                        best = &v[i];
        }
        return best;
}

/* The Requires-Dist lines of a distribution's metadata, for its extras (sysroot only) */
static char *read_metadata(const char *root, const struct pydist_entry *e)
{
        static const char *const names[] = {"METADATA", "PKG-INFO", "", NULL};
        for (size_t i = 0; names[i]; i++) {
                cleanup_free char *rel =
                    *names[i] ? path_join(e->path, names[i]) : xstrdup(e->path);
                cleanup_free char *path = path_join(root, rel);
                char *data = NULL;
                size_t len;
                if (read_file_capped(path, REQMAP_MAX_METADATA, &data, &len) == 0)
                        return data;
        }
        return NULL;
}

/* The requirements an extra brings: "Requires-Dist: X; extra == 'name'" in METADATA, or the
 * [name] section of an egg-info's requires.txt. */
static void extra_requirements(const char *root, const struct pydist_entry *e, const char *extra,
                               const struct pyreq_env *env, struct strvec *out)
{
        cleanup_free char *meta = read_metadata(root, e);
        for (char *line = meta; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (!strncmp(line, "Requires-Dist:", 14)) {
                        struct pyreq q = {0};
                        struct distill_error ignored = {0};
                        bool yes = false;
                        if (pyreq_parse_line(line + 14, NULL, &q, &ignored) == 0) {
                                if (q.marker &&
                                    pyreq_marker_eval(q.marker, env, extra, &yes, &ignored) == 0 &&
                                    yes && strstr(q.marker, "extra")) {
                                        cleanup_free char *text =
                                            xasprintf("%s%s", q.name, q.specifier);
                                        strvec_push(out, text);
                                }
                                pyreq_release(&q);
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
        if (out->n)
                return;
        cleanup_free char *rel = path_join(e->path, "requires.txt");
        cleanup_free char *path = path_join(root, rel);
        cleanup_free char *req = NULL;
        size_t len;
        if (read_file_capped(path, REQMAP_MAX_METADATA, &req, &len) < 0)
                return;
        bool in_section = false;
        for (char *line = req; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (line[0] == '[') {
                        size_t n = strcspn(line + 1, ":]");
                        in_section = strlen(extra) == n && !strncmp(line + 1, extra, n);
                } else if (in_section && *line) {
                        strvec_push(out, line);
                }
                line = nl ? nl + 1 : NULL;
        }
}

static void map_one(struct conversion *cv, size_t index, const struct reqmap_target *t,
                    size_t *unmapped)
{
        struct cv_requirement *c = &cv->reqs[index];
        if (c->outcome != CV_REVIEW) { /* decided when read (a URL, an editable) */
                if (c->outcome == CV_MANUAL)
                        ++*unmapped;
                return;
        }
        struct pyreq q = {0};
        struct distill_error err = {0};
        cleanup_free char *why = NULL;
        if (pyreq_parse_line(c->text, c->origin, &q, &err) < 0) {
                c->outcome = CV_REVIEW;
                c->detail = xstrdup(err.msg);
                return;
        }
        c->name = xstrdup(q.normalized);
        bool applies = true;
        if (q.marker && pyreq_marker_eval(q.marker, t->env, NULL, &applies, &err) < 0) {
                c->outcome = CV_REVIEW;
                c->detail = xstrdup(err.msg);
                goto out;
        }
        if (!applies) {
                c->outcome = CV_DROPPED;
                c->detail = xasprintf("its marker is false for Python %s on %s",
                                      t->env->python_full_version, t->env->platform_machine);
                goto out;
        }
        size_t n = 0;
        const struct pydist_entry *found = pydist_lookup(t->dists, q.normalized, &n);
        const struct pydist_entry *e = best_entry(found, n);
        if (!e) {
                c->outcome = CV_MANUAL;
                c->detail = xstrdup("no Debian package of the source ships this distribution: "
                                    "install it into python.site-packages");
                ++*unmapped;
                goto out;
        }
        c->package = xstrdup(e->package);
        c->version = xstrdup(e->version);
        bool ok = true;
        if (*q.specifier && e->version &&
            pep440_satisfies(e->version, q.specifier, &ok, &err) < 0) {
                c->outcome = CV_CONVERTED;
                c->detail = xasprintf("%s %s: not a PEP 440 version, %s not checked", e->package,
                                      e->version, q.specifier);
        } else if (!ok) {
                c->outcome = CV_MANUAL;
                c->detail = xasprintf("%s ships %s %s, which is not %s: install it into "
                                      "python.site-packages",
                                      e->package, q.name, e->version, q.specifier);
                ++*unmapped;
                goto out;
        } else {
                c->outcome = CV_CONVERTED;
                c->detail = xasprintf("%s ships %s %s%s%s", e->package, q.name,
                                      e->version ? e->version : "(version not in its metadata)",
                                      *q.specifier && !e->version ? ", not checked against " : "",
                                      *q.specifier && !e->version ? q.specifier : "");
        }
        why = xasprintf("%s (%s)", c->text, c->origin);
        cv_add_package(cv, e->package, why);
        /* an extra's requirements are requirements too */
        for (size_t x = 0; x < q.extras.n && cv->n_reqs < REQMAP_MAX_REQS; x++) {
                if (!t->root) {
                        cv_note(cv,
                                "%s: the requirements of extra [%s] are not read from an "
                                "archive source; add their packages if the app needs them",
                                c->text, q.extras.v[x]);
                        continue;
                }
                struct strvec more = STRVEC_INIT;
                extra_requirements(t->root, e, q.extras.v[x], t->env, &more);
                cleanup_free char *origin = xasprintf("%s[%s]", c->origin, q.extras.v[x]);
                for (size_t m = 0; m < more.n; m++)
                        cv_add_requirement(cv, more.v[m], origin);
                strvec_clear(&more);
        }
out:
        pyreq_release(&q);
}

size_t reqmap_map(struct conversion *cv, const struct reqmap_target *t)
{
        size_t unmapped = 0;
        /* the list grows as extras bring more; index, not pointer */
        for (size_t i = 0; i < cv->n_reqs; i++)
                map_one(cv, i, t, &unmapped);
        return unmapped;
}
