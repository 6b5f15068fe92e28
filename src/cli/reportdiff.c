/* `distill report A B`: why two images differ. Package versions first (the usual reason a
 * nightly rebuild changed), then what made them (distill, rules, lockfile), then where the
 * bytes moved: per package, and file by file. Both plans are read, never re-resolved. */
#include "distill/cli/reportdiff.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "distill/base/output.h"
#include "distill/base/util.h"
#include "distill/core/planstats.h"

struct file_change {
        const struct plan_entry *a, *b; /* NULL on the side where it is absent */
        int64_t delta;                  /* size(b) - size(a) */
};

struct pkg_change {
        const char *name;
        const struct plan_package *a, *b; /* kept packages; NULL where not kept */
};

struct bytes_change {
        const char *name; /* a package, or a no-package row */
        uint64_t from, to;
};

struct diff {
        struct bytes_change *bytes; /* rows whose bytes differ, by name */
        size_t n_bytes;
        struct file_change *added, *removed, *changed;
        size_t n_added, n_removed, n_changed;
        struct pkg_change *pkgs; /* every package kept on either side, by name */
        size_t n_pkgs;
        struct planstats sa, sb;
};

static void push_change(struct file_change *v, size_t *n, struct file_change c)
{
        v[(*n)++] = c;
}

static int64_t size_of(const struct plan_entry *e)
{
        return e && e->type == PLAN_FILE ? (int64_t)e->size : 0;
}

static bool same_file(const struct plan_entry *a, const struct plan_entry *b)
{
        if (a->type != b->type)
                return false;
        if (a->type == PLAN_FILE)
                return strcmp(a->digest, b->digest) == 0;
        return true;
}

/* Merges the two path-ordered entry lists. Only regular files carry bytes; a path whose type
 * changed (a file became a link) is a change too. */
static void diff_files(struct plan *a, struct plan *b, struct diff *d)
{
        size_t na, nb, i = 0, j = 0;
        struct plan_entry *const *ea = plan_sorted(a, &na);
        struct plan_entry *const *eb = plan_sorted(b, &nb);
        d->removed = xcalloc(na + 1, sizeof(*d->removed));
        d->changed = xcalloc(na + 1, sizeof(*d->changed));
        d->added = xcalloc(nb + 1, sizeof(*d->added));
        while (i < na || j < nb) {
                int c = i == na ? 1 : j == nb ? -1 : strcmp(ea[i]->path, eb[j]->path);
                if (c < 0) {
                        if (ea[i]->type == PLAN_FILE)
                                push_change(d->removed, &d->n_removed,
                                            (struct file_change){ea[i], NULL, -size_of(ea[i])});
                        i++;
                } else if (c > 0) {
                        if (eb[j]->type == PLAN_FILE)
                                push_change(d->added, &d->n_added,
                                            (struct file_change){NULL, eb[j], size_of(eb[j])});
                        j++;
                } else {
                        if (!same_file(ea[i], eb[j]) &&
                            (ea[i]->type == PLAN_FILE || eb[j]->type == PLAN_FILE))
                                push_change(d->changed, &d->n_changed,
                                            (struct file_change){ea[i], eb[j],
                                                                 size_of(eb[j]) - size_of(ea[i])});
                        i++;
                        j++;
                }
        }
}

static int cmp_change(const void *x, const void *y)
{
        const struct file_change *p = x, *q = y;
        uint64_t dp = p->delta < 0 ? (uint64_t)-p->delta : (uint64_t)p->delta;
        uint64_t dq = q->delta < 0 ? (uint64_t)-q->delta : (uint64_t)q->delta;
        if (dp != dq)
                return dp > dq ? -1 : 1;
        const char *a = p->a ? p->a->path : p->b->path, *b = q->a ? q->a->path : q->b->path;
        return strcmp(a, b);
}

static const struct plan_package *kept_package(const struct plan *p, const char *name)
{
        for (size_t i = 0; i < p->n_packages; i++)
                if (p->packages[i].kept && p->packages[i].name &&
                    strcmp(p->packages[i].name, name) == 0)
                        return &p->packages[i];
        return NULL;
}

static int cmp_pkg_change(const void *x, const void *y)
{
        return strcmp(((const struct pkg_change *)x)->name, ((const struct pkg_change *)y)->name);
}

static void diff_packages(const struct plan *a, const struct plan *b, struct diff *d)
{
        d->pkgs = xcalloc(a->n_packages + b->n_packages + 1, sizeof(*d->pkgs));
        const struct plan *sides[2] = {a, b};
        for (size_t s = 0; s < 2; s++) {
                for (size_t i = 0; i < sides[s]->n_packages; i++) {
                        const struct plan_package *p = &sides[s]->packages[i];
                        if (!p->kept || !p->name || (s == 1 && kept_package(a, p->name)))
                                continue;
                        d->pkgs[d->n_pkgs++] = (struct pkg_change){
                            p->name, kept_package(a, p->name), kept_package(b, p->name)};
                }
        }
        qsort(d->pkgs, d->n_pkgs, sizeof(*d->pkgs), cmp_pkg_change);
}

static bool version_changed(const struct pkg_change *c)
{
        if (!c->a || !c->b)
                return false;
        const char *va = c->a->version ? c->a->version : "";
        const char *vb = c->b->version ? c->b->version : "";
        return strcmp(va, vb) != 0;
}

static uint64_t row_bytes(const struct planstats_table *t, const char *name)
{
        const struct planstats_row *r = planstats_find(t, name);
        return r ? r->bytes : 0;
}

static int cmp_bytes_change(const void *x, const void *y)
{
        return strcmp(((const struct bytes_change *)x)->name,
                      ((const struct bytes_change *)y)->name);
}

/* The rows (packages and the no-package rows) whose bytes differ, by name; the names are the
 * planstats rows'. */
static void diff_bytes(struct diff *d)
{
        d->bytes = xcalloc(d->sa.packages.n + d->sb.packages.n + 1, sizeof(*d->bytes));
        for (size_t s = 0; s < 2; s++) {
                const struct planstats_table *t = s ? &d->sb.packages : &d->sa.packages;
                for (size_t i = 0; i < t->n; i++) {
                        const char *name = t->rows[i].name;
                        uint64_t from = row_bytes(&d->sa.packages, name);
                        uint64_t to = row_bytes(&d->sb.packages, name);
                        /* B's rows that A also has were counted from A's side */
                        if (from == to || (s == 1 && planstats_find(&d->sa.packages, name)))
                                continue;
                        d->bytes[d->n_bytes++] = (struct bytes_change){name, from, to};
                }
        }
        qsort(d->bytes, d->n_bytes, sizeof(*d->bytes), cmp_bytes_change);
}

/* ---- JSON ---- */

static json_t *str_or_null(const char *s)
{
        return json_string_lossy(s);
}

static json_t *side_json(const char *name, const struct plan *p, const struct planstats *s)
{
        json_t *o = json_object();
        json_object_set_new(o, "image", str_or_null(name));
        json_object_set_new(o, "arch", str_or_null(p->arch));
        json_object_set_new(o, "files", json_integer((json_int_t)s->total.files));
        json_object_set_new(o, "bytes", json_integer((json_int_t)s->total.bytes));
        json_object_set_new(o, "distill_version", str_or_null(p->provenance.distill_version));
        json_object_set_new(o, "rules_digest", str_or_null(p->provenance.rules_digest));
        json_object_set_new(o, "lock_digest", str_or_null(p->provenance.lock_digest));
        return o;
}

static json_t *packages_json(const struct diff *d)
{
        json_t *o = json_object(), *changed = json_array(), *added = json_array(),
               *removed = json_array();
        for (size_t i = 0; i < d->n_pkgs; i++) {
                const struct pkg_change *c = &d->pkgs[i];
                json_t *e = json_object();
                json_object_set_new(e, "name", str_or_null(c->name));
                if (c->a)
                        json_object_set_new(e, "from", str_or_null(c->a->version));
                if (c->b)
                        json_object_set_new(e, "to", str_or_null(c->b->version));
                json_t *into = version_changed(c) ? changed
                               : !c->a            ? added
                               : !c->b            ? removed
                                                  : NULL;
                if (into)
                        json_array_append_new(into, e);
                else
                        json_decref(e);
        }
        json_object_set_new(o, "changed", changed);
        json_object_set_new(o, "added", added);
        json_object_set_new(o, "removed", removed);
        return o;
}

static json_t *package_bytes_json(const struct diff *d)
{
        json_t *a = json_array();
        for (size_t i = 0; i < d->n_bytes; i++) {
                json_t *e = json_object();
                json_object_set_new(e, "name", str_or_null(d->bytes[i].name));
                json_object_set_new(e, "from", json_integer((json_int_t)d->bytes[i].from));
                json_object_set_new(e, "to", json_integer((json_int_t)d->bytes[i].to));
                json_array_append_new(a, e);
        }
        return a;
}

static json_t *changes_json(const struct file_change *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_object();
                json_object_set_new(e, "path", str_or_null(v[i].a ? v[i].a->path : v[i].b->path));
                if (v[i].a)
                        json_object_set_new(e, "from", json_integer(size_of(v[i].a)));
                if (v[i].b)
                        json_object_set_new(e, "to", json_integer(size_of(v[i].b)));
                json_object_set_new(e, "delta", json_integer(v[i].delta));
                json_array_append_new(a, e);
        }
        return a;
}

static int diff_json(const struct diff *d, struct plan *a, const char *name_a, struct plan *b,
                     const char *name_b, FILE *out, struct distill_error *err)
{
        json_t *root = json_object();
        json_object_set_new(root, "a", side_json(name_a, a, &d->sa));
        json_object_set_new(root, "b", side_json(name_b, b, &d->sb));
        json_object_set_new(root, "identical",
                            json_boolean(!d->n_added && !d->n_removed && !d->n_changed));
        json_object_set_new(root, "packages", packages_json(d));
        json_object_set_new(root, "package_bytes", package_bytes_json(d));
        json_t *files = json_object();
        json_object_set_new(files, "added", changes_json(d->added, d->n_added));
        json_object_set_new(files, "removed", changes_json(d->removed, d->n_removed));
        json_object_set_new(files, "changed", changes_json(d->changed, d->n_changed));
        json_object_set_new(root, "files", files);
        return output_json(root, out, err);
}

/* ---- text ---- */

static void signed_human(int64_t delta, char buf[24])
{
        char h[16];
        output_human_bytes(delta < 0 ? (uint64_t)-delta : (uint64_t)delta, h);
        snprintf(buf, 24, "%c%s", delta < 0 ? '-' : '+', h);
}

static void text_packages(FILE *out, const struct diff *d)
{
        size_t changed = 0, added = 0, removed = 0;
        for (size_t i = 0; i < d->n_pkgs; i++) {
                changed += version_changed(&d->pkgs[i]);
                added += !d->pkgs[i].a;
                removed += !d->pkgs[i].b;
        }
        fprintf(out, "package versions changed: %zu\n", changed);
        for (size_t i = 0; i < d->n_pkgs; i++)
                if (version_changed(&d->pkgs[i]))
                        output_cleanf(out, "  %s  %s → %s\n", d->pkgs[i].name,
                                      d->pkgs[i].a->version ? d->pkgs[i].a->version : "?",
                                      d->pkgs[i].b->version ? d->pkgs[i].b->version : "?");
        fprintf(out, "packages kept only in B: %zu\n", added);
        for (size_t i = 0; i < d->n_pkgs; i++)
                if (!d->pkgs[i].a)
                        output_cleanf(out, "  + %s %s\n", d->pkgs[i].name,
                                      d->pkgs[i].b->version ? d->pkgs[i].b->version : "?");
        fprintf(out, "packages kept only in A: %zu\n", removed);
        for (size_t i = 0; i < d->n_pkgs; i++)
                if (!d->pkgs[i].b)
                        output_cleanf(out, "  - %s %s\n", d->pkgs[i].name,
                                      d->pkgs[i].a->version ? d->pkgs[i].a->version : "?");
}

static void text_provenance_line(FILE *out, const char *what, const char *a, const char *b)
{
        a = a ? a : "none";
        b = b ? b : "none";
        if (strcmp(a, b) == 0)
                output_cleanf(out, "  %-16s same: %s\n", what, a);
        else
                output_cleanf(out, "  %-16s %s → %s\n", what, a, b);
}

static void text_provenance(FILE *out, const struct plan *a, const struct plan *b)
{
        fprintf(out, "made by\n");
        text_provenance_line(out, "distill", a->provenance.distill_version,
                             b->provenance.distill_version);
        text_provenance_line(out, "rules", a->provenance.rules_digest, b->provenance.rules_digest);
        text_provenance_line(out, "lockfile", a->provenance.lock_digest, b->provenance.lock_digest);
        text_provenance_line(out, "arch", a->arch, b->arch);
}

static void text_changes(FILE *out, const char *title, char mark, const struct file_change *v,
                         size_t n)
{
        int64_t sum = 0;
        for (size_t i = 0; i < n; i++)
                sum += v[i].delta;
        char h[24];
        signed_human(sum, h);
        fprintf(out, "files %s: %zu (%s)\n", title, n, h);
        for (size_t i = 0; i < n && i < REPORT_DIFF_TEXT_LINES; i++) {
                if (mark == '~')
                        signed_human(v[i].delta, h);
                else
                        output_human_bytes(
                            v[i].delta < 0 ? (uint64_t)-v[i].delta : (uint64_t)v[i].delta, h);
                output_cleanf(out, "  %c %-10s %s\n", mark, h,
                              v[i].a ? v[i].a->path : v[i].b->path);
        }
        if (n > REPORT_DIFF_TEXT_LINES)
                fprintf(out, "  … and %zu more (--json lists them all)\n",
                        n - REPORT_DIFF_TEXT_LINES);
}

static void diff_text(const struct diff *d, const struct plan *a, const char *name_a,
                      const struct plan *b, const char *name_b, FILE *out)
{
        char ha[16], hb[16], delta[24];
        output_cleanf(out, "A  %s\n", name_a);
        output_cleanf(out, "B  %s\n", name_b);
        if (!d->n_added && !d->n_removed && !d->n_changed)
                fprintf(out, "identical: the same files with the same contents\n");
        text_packages(out, d);
        text_provenance(out, a, b);
        output_human_bytes(d->sa.total.bytes, ha);
        output_human_bytes(d->sb.total.bytes, hb);
        signed_human((int64_t)d->sb.total.bytes - (int64_t)d->sa.total.bytes, delta);
        fprintf(out, "total  %" PRIu64 " → %" PRIu64 " files, %s → %s (%s)\n", d->sa.total.files,
                d->sb.total.files, ha, hb, delta);
        fprintf(out, "package bytes changed\n");
        for (size_t i = 0; i < d->n_bytes; i++) {
                const struct bytes_change *c = &d->bytes[i];
                output_human_bytes(c->from, ha);
                output_human_bytes(c->to, hb);
                signed_human((int64_t)c->to - (int64_t)c->from, delta);
                output_cleanf(out, "  %-32s %9s → %9s (%s)\n", c->name, ha, hb, delta);
        }
        text_changes(out, "added", '+', d->added, d->n_added);
        text_changes(out, "removed", '-', d->removed, d->n_removed);
        text_changes(out, "changed", '~', d->changed, d->n_changed);
}

int report_compare(struct plan *a, const char *name_a, struct plan *b, const char *name_b,
                   bool json, FILE *out, struct distill_error *err)
{
        struct diff d = {0};
        int r = 0;
        planstats_compute(a, 0, &d.sa);
        planstats_compute(b, 0, &d.sb);
        diff_files(a, b, &d);
        diff_packages(a, b, &d);
        diff_bytes(&d);
        qsort(d.added, d.n_added, sizeof(*d.added), cmp_change);
        qsort(d.removed, d.n_removed, sizeof(*d.removed), cmp_change);
        qsort(d.changed, d.n_changed, sizeof(*d.changed), cmp_change);
        if (json) {
                r = diff_json(&d, a, name_a, b, name_b, out, err);
        } else {
                diff_text(&d, a, name_a, b, name_b, out);
                if (fflush(out) != 0 || ferror(out))
                        r = distill_error_set(err, DISTILL_EIO, "writing the report failed");
        }
        free(d.added);
        free(d.removed);
        free(d.changed);
        free(d.pkgs);
        free(d.bytes);
        planstats_release(&d.sa);
        planstats_release(&d.sb);
        return r;
}
