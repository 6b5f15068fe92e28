/* `distill why` and `distill resolve`: read the plan that was built and explain it. Nothing here
 * looks at the build host: paths are resolved through the plan's own symlink entries. */
#include "distill/cli/why.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "distill/base/output.h"
#include "distill/core/imagens.h"
#include "distill/core/planstats.h"

/* A reason chain longer than this is a damaged plan, not an explanation. */
#define WHY_MAX_CHAIN 64

/* ---- resolving paths through the plan's symlinks ---- */

static enum imagens_node_type node_type_of(enum plan_type t)
{
        switch (t) {
        case PLAN_DIR:
                return IMAGENS_DIR;
        case PLAN_SYMLINK:
                return IMAGENS_SYMLINK;
        case PLAN_FILE:
        case PLAN_HARDLINK:
                break;
        }
        return IMAGENS_FILE;
}

/* The plan as an image namespace, so imagens does the resolving (one resolver for the whole
 * tool). An entry the namespace refuses (a path under a symlink in a damaged plan) is left out:
 * it could not be reached through the image's paths either. */
static struct imagens *namespace_of_plan(struct plan *plan)
{
        struct imagens *ns = imagens_new();
        size_t n = 0;
        struct plan_entry *const *all = plan_sorted(plan, &n);

        for (size_t i = 0; i < n; i++) {
                const struct plan_entry *e = all[i];
                struct distill_error ignored = {0};
                imagens_add(ns, e->path, node_type_of(e->type), e->target, e->mode, e->size, e->pkg,
                            NULL, &ignored);
        }
        return ns;
}

struct why_ctx {
        struct plan *plan;
        struct imagens *ns; /* built on first use */
};

/* The plan entry a path names, following the plan's symlinks on the way (not the last
 * component: a symlink entry is explained itself). *links receives the symlinks traversed. */
static struct plan_entry *lookup_entry(struct why_ctx *c, const char *path, struct strvec *links)
{
        cleanup_free char *abs = path[0] == '/' ? xstrdup(path) : xasprintf("/%s", path);
        bool has_dotdot =
            strstr(abs, "/../") || (strlen(abs) >= 3 && !strcmp(abs + strlen(abs) - 3, "/.."));

        /* ".." after a symlink means the link target's parent, so only a path without ".."
         * may be normalised lexically. */
        if (!has_dotdot) {
                cleanup_free char *norm = path_normalize(abs);
                struct plan_entry *e = plan_get(c->plan, norm);
                if (e)
                        return e;
        }
        if (!c->ns)
                c->ns = namespace_of_plan(c->plan);
        struct imagens_resolved res = {0};
        struct distill_error ignored = {0};
        if (imagens_resolve(c->ns, abs, false, &res, &ignored) < 0)
                return NULL; /* a symlink loop: the path does not exist in the image */
        struct plan_entry *e = res.node ? plan_get(c->plan, res.path) : NULL;
        if (e && links)
                for (size_t i = 0; i < res.links.n; i++)
                        strvec_push(links, res.links.v[i]);
        imagens_resolved_release(&res);
        return e;
}

/* ---- following reasons ---- */

/* "import MODULE at line N" → module and line; anything else is plain text. */
static bool parse_import_detail(const char *detail, char **module, unsigned long *line)
{
        static const char prefix[] = "import ";
        static const char middle[] = " at line ";

        if (!detail || strncmp(detail, prefix, sizeof(prefix) - 1) != 0)
                return false;
        const char *mod = detail + sizeof(prefix) - 1;
        const char *at = strstr(mod, middle);
        if (!at || at == mod)
                return false;
        const char *num = at + sizeof(middle) - 1;
        if (*num < '0' || *num > '9')
                return false;
        char *end = NULL;
        unsigned long n = strtoul(num, &end, 10);
        if (*end != '\0' || memchr(mod, ' ', (size_t)(at - mod)))
                return false;
        *module = xstrndup(mod, (size_t)(at - mod));
        *line = n;
        return true;
}

static const char *link_destination(const struct plan_entry *e)
{
        static const char prefix[] = "symlink on the way to ";
        if (e->reason_detail && strncmp(e->reason_detail, prefix, sizeof(prefix) - 1) == 0)
                return e->reason_detail + sizeof(prefix) - 1;
        return NULL;
}

/* The entry that caused `e`, or NULL when the chain ends there (a seed, a rule, the manifest).
 * A symlink kept on the way to an entry for the same requester continues at that entry, whose
 * reason says what the requester wanted (NEEDED, import) rather than only who asked. */
static struct plan_entry *cause_of(struct why_ctx *c, const struct plan_entry *e, bool *via_dest)
{
        *via_dest = false;
        switch (e->reason) {
        case PLAN_R_SEED:
        case PLAN_R_RULE:
        case PLAN_R_INCLUDE:
                return NULL;
        case PLAN_R_LINK: {
                const char *dest = link_destination(e);
                struct plan_entry *d = dest && dest[0] == '/' ? lookup_entry(c, dest, NULL) : NULL;
                if (d && d != e && d->reason_from && e->reason_from &&
                    strcmp(d->reason_from, e->reason_from) == 0) {
                        *via_dest = true;
                        return d;
                }
                break;
        }
        default:
                break;
        }
        if (!e->reason_from || e->reason_from[0] != '/')
                return NULL;
        return lookup_entry(c, e->reason_from, NULL);
}

static const char *or_empty(const char *s)
{
        return s ? s : "";
}

/* One "← …" line: why `e` is in the image. */
static void print_reason(FILE *out, const struct plan_entry *e, bool via_dest)
{
        const char *from = e->reason_from;
        const char *detail = e->reason_detail;
        cleanup_free char *module = NULL;
        unsigned long line = 0;

        fputs("  ← ", out);
        switch (e->reason) {
        case PLAN_R_SEED:
                output_cleanf(out, "seed (%s)", detail ? detail : or_empty(from));
                break;
        case PLAN_R_ELF_NEEDED:
                output_cleanf(out, "%s by %s", detail ? detail : "NEEDED", or_empty(from));
                break;
        case PLAN_R_LINK:
                output_clean(out, detail ? detail : "symlink");
                if (!via_dest && from)
                        output_cleanf(out, " for %s", from);
                break;
        case PLAN_R_PYTHON_IMPORT:
                if (parse_import_detail(detail, &module, &line))
                        output_cleanf(out, "import %s in %s:%lu", module, or_empty(from), line);
                else
                        output_cleanf(out, "%s in %s", detail ? detail : "import", or_empty(from));
                break;
        case PLAN_R_RULE:
                output_cleanf(out, "%s: %s", from ? from : "rule", or_empty(detail));
                break;
        case PLAN_R_INCLUDE:
                output_clean(out, detail ? detail : or_empty(from));
                break;
        case PLAN_R_GENERATED:
                output_cleanf(out, "generated: %s", detail ? detail : "written by distill");
                if (from)
                        output_cleanf(out, " (for %s)", from);
                break;
        case PLAN_R_PKG_METADATA:
                output_cleanf(out, "package metadata of %s: %s", from ? from : "?",
                              detail ? detail : "dpkg data");
                break;
        case PLAN_R_PARENT:
                output_cleanf(out, "parent directory of %s", or_empty(from));
                break;
        default:
                output_cleanf(out, "%s %s %s", plan_reason_name(e->reason), or_empty(from),
                              or_empty(detail));
                break;
        }
        fputc('\n', out);
}

static void print_head(FILE *out, const char *asked, const struct plan_entry *e,
                       const struct strvec *links, struct plan *plan)
{
        if (links->n > 0 || strcmp(asked, e->path) != 0) {
                output_cleanf(out, "%s is %s in the image\n", asked, e->path);
                for (size_t i = 0; i < links->n; i++) {
                        const struct plan_entry *l = plan_get(plan, links->v[i]);
                        output_cleanf(out, "  via %s → %s\n", links->v[i],
                                      l && l->target ? l->target : "?");
                }
        }
        output_clean(out, e->path);
        if (e->type == PLAN_SYMLINK && e->target)
                output_cleanf(out, " → %s", e->target);
        if (e->pkg)
                output_cleanf(out, "  (package %s)", e->pkg);
        fputc('\n', out);
}

static json_t *chain_item(const struct plan_entry *e)
{
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string_lossy(e->path));
        json_object_set_new(o, "kind", json_string_lossy(plan_reason_name(e->reason)));
        json_object_set_new(o, "from", json_string_lossy(e->reason_from));
        json_object_set_new(o, "detail", json_string_lossy(e->reason_detail));
        json_object_set_new(o, "package", json_string_lossy(e->pkg));
        return o;
}

static json_t *links_json(const struct strvec *links, struct plan *plan)
{
        json_t *a = json_array();
        for (size_t i = 0; i < links->n; i++) {
                const struct plan_entry *l = plan_get(plan, links->v[i]);
                json_t *o = json_object();
                json_object_set_new(o, "path", json_string_lossy(links->v[i]));
                json_object_set_new(o, "target", json_string_lossy(l ? l->target : NULL));
                json_array_append_new(a, o);
        }
        return a;
}

int why_explain(struct plan *plan, const char *path, bool json, FILE *out,
                struct distill_error *err)
{
        if (!plan || !path || !*path || !out)
                return distill_error_set(err, DISTILL_EUSAGE, "why: a plan and a path are needed");

        struct why_ctx c = {.plan = plan};
        struct strvec links = STRVEC_INIT;
        struct strmap seen = STRMAP_INIT;
        struct plan_entry *e = lookup_entry(&c, path, &links);
        json_t *root = NULL, *chain = NULL;
        int r = 0;

        if (json) {
                root = json_object();
                json_object_set_new(root, "path", json_string_lossy(path));
                json_object_set_new(root, "in_image", json_boolean(e != NULL));
                json_object_set_new(root, "resolved", json_string_lossy(e ? e->path : NULL));
                json_object_set_new(root, "links", links_json(&links, plan));
                chain = json_array();
                json_object_set_new(root, "chain", chain);
        }
        if (!e) {
                if (!json)
                        output_cleanf(out, "%s is not in the image\n", path);
                r = 1;
                goto done;
        }
        if (!json)
                print_head(out, path, e, &links, plan);

        const char *stop = NULL; /* why the chain was cut, if it was */
        for (size_t depth = 0; e; depth++) {
                if (depth >= WHY_MAX_CHAIN) {
                        stop = "depth";
                        if (!json)
                                fprintf(out, "  (chain cut after %d links)\n", WHY_MAX_CHAIN);
                        break;
                }
                strmap_put(&seen, e->path, NULL);
                bool via_dest = false;
                struct plan_entry *next = cause_of(&c, e, &via_dest);
                if (json)
                        json_array_append_new(chain, chain_item(e));
                else
                        print_reason(out, e, via_dest);
                if (next && strmap_has(&seen, next->path)) {
                        stop = "cycle";
                        if (!json)
                                output_cleanf(out, "  (loops back to %s)\n", next->path);
                        break;
                }
                e = next;
        }
        if (json)
                json_object_set_new(root, "cut", json_string_lossy(stop));
done:
        if (json) {
                int w = output_json(root, out, err);
                if (w < 0)
                        r = w;
        }
        strvec_clear(&links);
        strmap_clear(&seen, NULL);
        if (c.ns)
                imagens_free(c.ns);
        return r;
}

/* ---- resolve report ---- */

static bool is_package_row(const struct planstats_row *s)
{
        return s->pkg ||
               (strcmp(s->name, PLANSTATS_APP) != 0 && strcmp(s->name, PLANSTATS_GENERATED) != 0);
}

static bool stat_kept(const struct planstats_row *s)
{
        return s->pkg ? s->pkg->kept : s->files > 0;
}

static struct plan_count unowned_of(const struct planstats *st)
{
        struct plan_count c = {0, 0};
        for (size_t i = 0; i < st->packages.n; i++) {
                if (is_package_row(&st->packages.rows[i]))
                        continue;
                c.files += st->packages.rows[i].files;
                c.bytes += st->packages.rows[i].bytes;
        }
        return c;
}

static void sorted_copy(const struct strvec *in, struct strvec *out)
{
        for (size_t i = 0; i < in->n; i++)
                strvec_push(out, in->v[i]);
        strvec_sort(out);
}

static int resolve_json(struct plan *plan, const struct planstats *st, FILE *out,
                        struct distill_error *err)
{
        json_t *root = json_object();
        json_object_set_new(root, "arch", json_string_lossy(plan->arch));

        struct strvec req = STRVEC_INIT;
        sorted_copy(&plan->requested, &req);
        json_t *a = json_array();
        for (size_t i = 0; i < req.n; i++)
                json_array_append_new(a, json_string_lossy(req.v[i]));
        json_object_set_new(root, "requested", a);
        strvec_clear(&req);

        a = json_array();
        for (size_t i = 0; i < st->packages.n; i++) {
                const struct planstats_row *s = &st->packages.rows[i];
                if (!is_package_row(s))
                        continue;
                json_t *o = json_object();
                json_object_set_new(o, "name", json_string_lossy(s->name));
                json_object_set_new(o, "version",
                                    json_string_lossy(s->pkg ? s->pkg->version : NULL));
                json_object_set_new(o, "arch", json_string_lossy(s->pkg ? s->pkg->arch : NULL));
                json_object_set_new(o, "candidate", json_boolean(s->pkg != NULL));
                json_object_set_new(o, "kept", json_boolean(stat_kept(s)));
                json_object_set_new(o, "added_by",
                                    json_string_lossy(s->pkg ? s->pkg->added_by : NULL));
                json_object_set_new(o, "files", json_integer((json_int_t)s->files));
                json_object_set_new(o, "bytes", json_integer((json_int_t)s->bytes));
                json_array_append_new(a, o);
        }
        json_object_set_new(root, "packages", a);

        struct plan_count unowned = unowned_of(st);
        json_t *u = json_object();
        json_object_set_new(u, "files", json_integer((json_int_t)unowned.files));
        json_object_set_new(u, "bytes", json_integer((json_int_t)unowned.bytes));
        json_object_set_new(root, "unowned", u);

        json_t *o = json_object();
        json_object_set_new(o, "entries", json_integer((json_int_t)st->entries));
        json_object_set_new(o, "files", json_integer((json_int_t)st->total.files));
        json_object_set_new(o, "dirs", json_integer((json_int_t)st->directories));
        json_object_set_new(o, "symlinks", json_integer((json_int_t)st->symlinks));
        json_object_set_new(o, "hardlinks", json_integer((json_int_t)st->hardlinks));
        json_object_set_new(o, "bytes", json_integer((json_int_t)st->total.bytes));
        json_object_set_new(root, "totals", o);

        struct strvec warn = STRVEC_INIT;
        sorted_copy(&plan->warnings, &warn);
        a = json_array();
        for (size_t i = 0; i < warn.n; i++)
                json_array_append_new(a, json_string_lossy(warn.v[i]));
        json_object_set_new(root, "warnings", a);
        strvec_clear(&warn);
        return output_json(root, out, err);
}

static void resolve_text(struct plan *plan, const struct planstats *st, FILE *out)
{
        size_t kept = 0, candidates = 0;
        int wname = 0, wver = 0;
        for (size_t i = 0; i < st->packages.n; i++) {
                const struct planstats_row *s = &st->packages.rows[i];
                if (!is_package_row(s))
                        continue;
                int ln = (int)strnlen(s->name, 200);
                int lv = s->pkg && s->pkg->version ? (int)strnlen(s->pkg->version, 200) : 1;
                wname = ln > wname ? ln : wname;
                wver = lv > wver ? lv : wver;
                kept += stat_kept(s);
                candidates += s->pkg != NULL;
        }

        if (plan->arch)
                output_cleanf(out, "arch: %s\n", plan->arch);
        if (plan->requested.n > 0) {
                struct strvec req = STRVEC_INIT;
                sorted_copy(&plan->requested, &req);
                fputs("requested:", out);
                for (size_t i = 0; i < req.n; i++)
                        output_cleanf(out, " %s", req.v[i]);
                fputc('\n', out);
                strvec_clear(&req);
        }
        fprintf(out, "packages: %zu candidates, %zu kept\n", candidates, kept);
        for (size_t i = 0; i < st->packages.n; i++) {
                const struct planstats_row *s = &st->packages.rows[i];
                if (!is_package_row(s))
                        continue;
                const char *ver = s->pkg && s->pkg->version ? s->pkg->version : "?";
                output_cleanf(out, "  %-*s  %-*s  ", wname, s->name, wver, ver);
                if (stat_kept(s))
                        fprintf(out, "kept      %6" PRIu64 " files %12" PRIu64 " bytes", s->files,
                                s->bytes);
                else
                        fputs("not kept", out);
                if (!s->pkg)
                        fputs("  (not a candidate)", out);
                else if (s->pkg->added_by)
                        output_cleanf(out, "  (added by rule %s)", s->pkg->added_by);
                fputc('\n', out);
        }
        struct plan_count unowned = unowned_of(st);
        fprintf(out, "no package (app and generated): %" PRIu64 " files, %" PRIu64 " bytes\n",
                unowned.files, unowned.bytes);
        fprintf(out,
                "total: %" PRIu64 " entries (%" PRIu64 " files, %" PRIu64 " dirs, %" PRIu64
                " symlinks, %" PRIu64 " hardlinks), %" PRIu64 " bytes\n",
                st->entries, st->total.files, st->directories, st->symlinks, st->hardlinks,
                st->total.bytes);

        struct strvec warn = STRVEC_INIT;
        sorted_copy(&plan->warnings, &warn);
        fprintf(out, "warnings: %zu\n", warn.n);
        for (size_t i = 0; i < warn.n; i++)
                output_cleanf(out, "  %s\n", warn.v[i]);
        strvec_clear(&warn);
}

int resolve_report(struct plan *plan, bool json, FILE *out, struct distill_error *err)
{
        if (!plan || !out)
                return distill_error_set(err, DISTILL_EUSAGE, "resolve: no plan to report");
        struct planstats st;
        planstats_compute(plan, 0, &st);
        int r = 0;
        if (json) {
                r = resolve_json(plan, &st, out, err);
        } else {
                resolve_text(plan, &st, out);
                if (ferror(out))
                        r = distill_error_set(err, DISTILL_EIO, "writing the report failed");
        }
        planstats_release(&st);
        return r;
}
