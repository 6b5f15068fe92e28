/* `distill report OUT`: the composition of one image. Every table is computed by core/planstats
 * over the plan's regular files, so each one sums to the total. */
#include "distill/cli/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "distill/base/output.h"
#include "distill/base/util.h"
#include "distill/cli/treemap.h"
#include "distill/core/planstats.h"

/* ---- JSON ---- */

static json_t *count_json(uint64_t files, uint64_t bytes)
{
        json_t *o = json_object();
        json_object_set_new(o, "files", json_integer((json_int_t)files));
        json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
        return o;
}

static void set_count(json_t *o, uint64_t files, uint64_t bytes)
{
        json_object_set_new(o, "files", json_integer((json_int_t)files));
        json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
}

static json_t *provenance_json(const struct plan_provenance *pv)
{
        json_t *o = json_object();
        json_object_set_new(o, "distill_version", json_string_lossy(pv->distill_version));
        json_object_set_new(o, "rules_digest", json_string_lossy(pv->rules_digest));
        json_object_set_new(o, "lock_digest", json_string_lossy(pv->lock_digest));
        return o;
}

static json_t *packages_json(const struct planstats *st)
{
        json_t *a = json_array();
        for (size_t i = 0; i < st->packages.n; i++) {
                const struct planstats_row *r = &st->packages.rows[i];
                const struct plan_package *p = r->pkg;
                json_t *o = json_object();
                json_object_set_new(o, "name", json_string_lossy(r->name));
                json_object_set_new(o, "package", json_boolean(p != NULL));
                json_object_set_new(o, "version", json_string_lossy(p ? p->version : NULL));
                json_object_set_new(o, "kept", json_boolean(r->files > 0));
                set_count(o, r->files, r->bytes);
                if (p)
                        json_object_set_new(o, "unkept",
                                            count_json(p->unkept.files, p->unkept.bytes));
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *table_json(const struct planstats_table *t, const char *key)
{
        json_t *a = json_array();
        for (size_t i = 0; i < t->n; i++) {
                json_t *o = json_object();
                json_object_set_new(o, key, json_string_lossy(t->rows[i].name));
                set_count(o, t->rows[i].files, t->rows[i].bytes);
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *largest_json(const struct planstats *st)
{
        json_t *a = json_array();
        for (size_t i = 0; i < st->n_largest; i++) {
                const struct plan_entry *e = st->largest[i];
                json_t *o = json_object();
                json_object_set_new(o, "path", json_string_lossy(e->path));
                json_object_set_new(o, "bytes", json_integer((json_int_t)e->size));
                json_object_set_new(o, "package", json_string_lossy(e->pkg));
                json_object_set_new(o, "reason", json_string_lossy(plan_reason_name(e->reason)));
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *would_add_json(const struct plan *plan, const struct planstats *st)
{
        json_t *o = json_object();
        if (plan->stdlib_dir) {
                json_t *s = count_json(plan->stdlib_unkept.files, plan->stdlib_unkept.bytes);
                json_object_set_new(s, "dir", json_string_lossy(plan->stdlib_dir));
                json_object_set_new(o, "stdlib_full", s);
        }
        json_t *w = count_json(st->packages_unkept.files, st->packages_unkept.bytes);
        json_t *a = json_array();
        for (size_t i = 0; i < st->packages.n; i++) {
                const struct plan_package *p = st->packages.rows[i].pkg;
                if (!p || !p->unkept.files)
                        continue;
                json_t *e = count_json(p->unkept.files, p->unkept.bytes);
                json_object_set_new(e, "name", json_string_lossy(p->name));
                json_array_append_new(a, e);
        }
        json_object_set_new(w, "packages", a);
        json_object_set_new(o, "whole_packages", w);
        return o;
}

static int report_json(struct plan *plan, const char *name, const struct planstats *st, FILE *out,
                       struct distill_error *err)
{
        json_t *root = json_object();
        json_object_set_new(root, "image", json_string_lossy(name));
        json_object_set_new(root, "arch", json_string_lossy(plan->arch));
        json_object_set_new(root, "provenance", provenance_json(&plan->provenance));
        json_t *t = count_json(st->total.files, st->total.bytes);
        json_object_set_new(t, "entries", json_integer((json_int_t)st->entries));
        json_object_set_new(t, "directories", json_integer((json_int_t)st->directories));
        json_object_set_new(t, "symlinks", json_integer((json_int_t)st->symlinks));
        json_object_set_new(t, "hardlinks", json_integer((json_int_t)st->hardlinks));
        json_object_set_new(root, "total", t);
        json_object_set_new(root, "packages", packages_json(st));
        json_object_set_new(root, "top_directories", table_json(&st->top_dirs, "path"));
        json_object_set_new(root, "directories", table_json(&st->dirs, "path"));
        json_object_set_new(root, "reason_groups", table_json(&st->groups, "group"));
        json_t *kinds = table_json(&st->reasons, "kind");
        for (size_t i = 0; i < json_array_size(kinds); i++) {
                json_t *o = json_array_get(kinds, i);
                for (size_t k = 0; k < PLAN_REASON_COUNT; k++)
                        if (strcmp(plan_reason_name(k),
                                   json_string_value(json_object_get(o, "kind"))) == 0)
                                json_object_set_new(
                                    o, "group",
                                    json_string(plan_reason_group_name(plan_reason_group(k))));
        }
        json_object_set_new(root, "reasons", kinds);
        json_object_set_new(root, "largest", largest_json(st));
        json_object_set_new(root, "would_add", would_add_json(plan, st));
        return output_json(root, out, err);
}

/* ---- text ---- */

static void percent(uint64_t part, uint64_t total, char buf[16])
{
        if (!total)
                snprintf(buf, 16, "-");
        else
                snprintf(buf, 16, "%.1f%%", 100.0 * (double)part / (double)total);
}

static void text_row(FILE *out, const char *label, uint64_t files, uint64_t bytes, uint64_t total)
{
        char human[16], share[16];
        output_human_bytes(bytes, human);
        percent(bytes, total, share);
        output_cleanf(out, "  %-44s %7" PRIu64 " %12" PRIu64 " %9s %6s\n", label, files, bytes,
                      human, share);
}

static void text_heading(FILE *out, const char *title)
{
        fprintf(out, "\n%-46s %7s %12s %9s %6s\n", title, "files", "bytes", "", "share");
}

static void text_table(FILE *out, const char *title, const struct planstats_table *t,
                       uint64_t total)
{
        text_heading(out, title);
        for (size_t i = 0; i < t->n; i++)
                text_row(out, t->rows[i].name, t->rows[i].files, t->rows[i].bytes, total);
}

static void text_packages(FILE *out, const struct planstats *st)
{
        text_heading(out, "by package");
        for (size_t i = 0; i < st->packages.n; i++) {
                const struct planstats_row *r = &st->packages.rows[i];
                if (!r->files)
                        continue; /* a candidate the image keeps nothing of */
                cleanup_free char *label = r->pkg && r->pkg->version
                                               ? xasprintf("%s %s", r->name, r->pkg->version)
                                               : xstrdup(r->name);
                text_row(out, label, r->files, r->bytes, st->total.bytes);
        }
}

static void text_reasons(FILE *out, const struct planstats *st)
{
        text_table(out, "by reason", &st->groups, st->total.bytes);
        text_heading(out, "by reason kind");
        for (size_t i = 0; i < st->reasons.n; i++) {
                const struct planstats_row *r = &st->reasons.rows[i];
                text_row(out, r->name, r->files, r->bytes, st->total.bytes);
        }
}

static void text_largest(FILE *out, const struct planstats *st)
{
        fprintf(out, "\nlargest files\n");
        for (size_t i = 0; i < st->n_largest; i++) {
                const struct plan_entry *e = st->largest[i];
                char human[16];
                output_human_bytes(e->size, human);
                output_cleanf(out, "  %9s  %s  (%s, %s)\n", human, e->path,
                              e->pkg ? e->pkg : "no package", plan_reason_name(e->reason));
        }
}

static int cmp_unkept(const void *a, const void *b)
{
        const struct plan_package *x = *(const struct plan_package *const *)a;
        const struct plan_package *y = *(const struct plan_package *const *)b;
        if (x->unkept.bytes != y->unkept.bytes)
                return x->unkept.bytes > y->unkept.bytes ? -1 : 1;
        return strcmp(x->name, y->name);
}

static void text_would_add(FILE *out, const struct plan *plan, const struct planstats *st)
{
        char human[16];
        fprintf(out, "\nwhat the alternatives would add\n");
        if (plan->stdlib_dir) {
                output_human_bytes(plan->stdlib_unkept.bytes, human);
                output_cleanf(out,
                              "  python.stdlib: full          %7" PRIu64 " files %9s  (%s, "
                              "sources before bytecode)\n",
                              plan->stdlib_unkept.files, human, plan->stdlib_dir);
        }
        output_human_bytes(st->packages_unkept.bytes, human);
        fprintf(out, "  whole packages (keep: all)   %7" PRIu64 " files %9s\n",
                st->packages_unkept.files, human);
        const struct plan_package **v = xcalloc(st->packages.n + 1, sizeof(*v));
        size_t n = 0;
        for (size_t i = 0; i < st->packages.n; i++)
                if (st->packages.rows[i].pkg && st->packages.rows[i].pkg->unkept.files)
                        v[n++] = st->packages.rows[i].pkg;
        qsort(v, n, sizeof(*v), cmp_unkept);
        for (size_t i = 0; i < n && i < 10; i++) {
                output_human_bytes(v[i]->unkept.bytes, human);
                output_cleanf(out, "    %-26s %7" PRIu64 " files %9s\n", v[i]->name,
                              v[i]->unkept.files, human);
        }
        if (n > 10)
                fprintf(out, "    … and %zu more packages (--json lists them all)\n", n - 10);
        free(v);
}

static void report_text(struct plan *plan, const char *name, const struct planstats *st, FILE *out)
{
        char human[16];
        output_human_bytes(st->total.bytes, human);
        output_cleanf(out, "image      %s (%s)\n", name, plan->arch ? plan->arch : "?");
        fprintf(out,
                "total      %" PRIu64 " files, %" PRIu64 " bytes (%s); %" PRIu64
                " entries with %" PRIu64 " directories, %" PRIu64 " symlinks, %" PRIu64
                " hardlinks\n",
                st->total.files, st->total.bytes, human, st->entries, st->directories, st->symlinks,
                st->hardlinks);
        if (plan->provenance.distill_version)
                output_cleanf(out, "built by   distill %s, rules %s%s%s\n",
                              plan->provenance.distill_version,
                              plan->provenance.rules_digest ? plan->provenance.rules_digest : "?",
                              plan->provenance.lock_digest ? ", lock " : "",
                              plan->provenance.lock_digest ? plan->provenance.lock_digest : "");
        text_packages(out, st);
        text_table(out, "by top-level directory", &st->top_dirs, st->total.bytes);
        text_table(out, "by directory", &st->dirs, st->total.bytes);
        text_reasons(out, st);
        text_largest(out, st);
        text_would_add(out, plan, st);
}

/* ---- SVG ---- */

static int report_svg(const char *name, const struct planstats *st, const char *path,
                      struct distill_error *err)
{
        struct treemap_item *items = xcalloc(st->packages.n + 1, sizeof(*items));
        char **details = xcalloc(st->packages.n + 1, sizeof(*details));
        size_t n = 0;
        for (size_t i = 0; i < st->packages.n; i++) {
                const struct planstats_row *r = &st->packages.rows[i];
                if (!r->bytes)
                        continue;
                details[n] = xasprintf("%s%s%" PRIu64 " files", r->pkg ? r->pkg->version : "",
                                       r->pkg ? ", " : "", r->files);
                items[n] = (struct treemap_item){
                    .label = r->name, .detail = details[n], .bytes = r->bytes};
                n++;
        }
        char human[16];
        output_human_bytes(st->total.bytes, human);
        cleanup_free char *title =
            xasprintf("%s: %s in %" PRIu64 " files, by package", name, human, st->total.files);
        int r = treemap_write_svg(items, n, title, path, err);
        for (size_t i = 0; i < n; i++)
                free(details[i]);
        free(details);
        free(items);
        return r;
}

int report_image(struct plan *plan, const char *name, const struct report_options *o, FILE *out,
                 struct distill_error *err)
{
        struct planstats st;
        int r = 0;
        planstats_compute(plan, REPORT_LARGEST, &st);
        if (o->svg)
                r = report_svg(name, &st, o->svg, err);
        if (r >= 0 && o->json) {
                r = report_json(plan, name, &st, out, err);
        } else if (r >= 0) {
                report_text(plan, name, &st, out);
                if (fflush(out) != 0 || ferror(out))
                        r = distill_error_set(err, DISTILL_EIO, "writing the report failed");
        }
        planstats_release(&st);
        return r;
}
