/* `distill outdated`: the packages of an image (OUT's plan, or a dry resolve of a manifest)
 * against the newest versions the freshly verified indexes offer. */
#include "distill/cli/outdated.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "distill/cli/build.h"
#include "distill/core/plan.h"
#include "distill/input/manifest.h"
#include "distill/source/apt.h"
#include "distill/source/source_apt.h"

static enum outdated_status status_of(const char *built, const struct archive_offer *newest)
{
        if (!newest)
                return OUTDATED_GONE;
        int c = deb_version_compare(newest->version, built);
        return c > 0 ? OUTDATED_UPDATE : c < 0 ? OUTDATED_DOWNGRADE : OUTDATED_CURRENT;
}

static const char *status_name(enum outdated_status s)
{
        switch (s) {
        case OUTDATED_UPDATE:
                return "update";
        case OUTDATED_DOWNGRADE:
                return "downgrade";
        case OUTDATED_GONE:
                return "gone";
        case OUTDATED_CURRENT:
                break;
        }
        return "current";
}

void outdated_compare(const struct plan *plan, const struct archive_versions *av,
                      struct outdated_report *out)
{
        memset(out, 0, sizeof(*out));
        out->arch = plan->arch;
        out->items = xcalloc(plan->n_packages + 1, sizeof(*out->items));
        /* two passes over the name-sorted candidate set: the kept packages, then the others */
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < plan->n_packages; i++) {
                        const struct plan_package *p = &plan->packages[i];
                        if (p->kept != (pass == 0))
                                continue;
                        struct outdated_item *it = &out->items[out->n++];
                        it->name = p->name;
                        it->arch = p->arch;
                        it->version = p->version;
                        it->kept = p->kept;
                        it->newest = archive_versions_newest(av, p->name);
                        it->status = status_of(p->version, it->newest);
                        if (it->kept && it->status == OUTDATED_UPDATE) {
                                out->kept_updates++;
                                out->kept_security_updates += it->newest->security;
                        }
                }
        }
}

void outdated_report_release(struct outdated_report *r)
{
        free(r->items);
        memset(r, 0, sizeof(*r));
}

static json_t *item_json(const struct outdated_item *it)
{
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(it->name));
        json_object_set_new(o, "arch", json_string(it->arch ? it->arch : ""));
        json_object_set_new(o, "version", json_string(it->version));
        json_object_set_new(o, "status", json_string(status_name(it->status)));
        if (it->newest) {
                json_object_set_new(o, "newest", json_string(it->newest->version));
                json_object_set_new(o, "suite", json_string(it->newest->suite));
                json_object_set_new(o, "security", json_boolean(it->newest->security));
        }
        return o;
}

static void print_json(const struct outdated_report *r, FILE *out)
{
        json_t *root = json_object();
        json_t *kept = json_array(), *not_kept = json_array();
        json_object_set_new(root, "arch", json_string(r->arch ? r->arch : ""));
        for (size_t i = 0; i < r->n; i++)
                json_array_append_new(r->items[i].kept ? kept : not_kept, item_json(&r->items[i]));
        json_object_set_new(root, "kept", kept);
        json_object_set_new(root, "not_kept", not_kept);
        json_object_set_new(root, "kept_updates", json_integer((json_int_t)r->kept_updates));
        json_object_set_new(root, "kept_security_updates",
                            json_integer((json_int_t)r->kept_security_updates));
        json_dumpf(root, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        json_decref(root);
}

static void print_item(const struct outdated_item *it, FILE *out)
{
        switch (it->status) {
        case OUTDATED_UPDATE:
                fprintf(out, "  %s %s -> %s (%s, %s)\n", it->name, it->version, it->newest->version,
                        it->newest->suite, it->newest->security ? "security update" : "update");
                break;
        case OUTDATED_DOWNGRADE:
                fprintf(out,
                        "  %s %s: the archive's newest is the older %s (%s): a downgrade, "
                        "not an update\n",
                        it->name, it->version, it->newest->version, it->newest->suite);
                break;
        case OUTDATED_GONE:
                fprintf(out, "  %s %s: no index offers it any more\n", it->name, it->version);
                break;
        case OUTDATED_CURRENT:
                break;
        }
}

/* The items of one group that are not current, under a heading printed only when there is one. */
static void print_group(const struct outdated_report *r, bool kept, const char *heading, FILE *out)
{
        bool any = false;
        for (size_t i = 0; i < r->n; i++) {
                const struct outdated_item *it = &r->items[i];
                if (it->kept != kept || it->status == OUTDATED_CURRENT)
                        continue;
                if (!any)
                        fprintf(out, "%s\n", heading);
                any = true;
                print_item(it, out);
        }
}

void outdated_print(const struct outdated_report *r, bool json, FILE *out)
{
        if (json) {
                print_json(r, out);
                return;
        }
        print_group(r, true, "kept in the image:", out);
        print_group(r, false,
                    "candidates not kept (an update there cannot change the image):", out);
}

/* distill.lock beside the manifest, when there is one */
static char *lock_beside(const char *manifest)
{
        cleanup_free char *dir = path_dirname(manifest);
        char *lock = path_join(dir, "distill.lock");
        if (access(lock, F_OK) == 0)
                return lock;
        free(lock);
        return NULL;
}

/* What a build of the manifest would keep: pinned by its lock when it has one, else what the
 * indexes (just verified) resolve to. */
static int resolve_manifest(const struct outdated_options *opt, const char *arch,
                            struct plan **plan, struct distill_error *err)
{
        cleanup_free char *lock = lock_beside(opt->manifest);
        struct build_options b = {.manifest = opt->manifest,
                                  .arch = arch,
                                  .locked = lock,
                                  .verbosity = -1,
                                  .no_package_rules = opt->no_package_rules};
        for (size_t i = 0; opt->rules_dirs && i < opt->rules_dirs->n; i++)
                strvec_push(&b.rules_dirs, opt->rules_dirs->v[i]);
        int r = build_resolve(&b, plan, err);
        strvec_clear(&b.rules_dirs);
        return r;
}

/* Refresh and verify the indexes of the manifest's sources for `arch`, and read them. */
static int archive_now(const struct manifest *m, const char *arch, struct archive_versions **av,
                       struct distill_error *err)
{
        struct apt_config cfg = {0};
        struct apt_index *idx = NULL;
        size_t n = 0;
        int r = source_apt_config(m, &cfg, err);
        if (r >= 0) {
                struct apt_fetch_options fo = {
                    .cache_dir = m->apt.cache, .arch = arch, .now = (int64_t)time(NULL)};
                r = apt_fetch_indexes(&cfg, &fo, &idx, &n, err);
        }
        if (r >= 0)
                r = archive_versions_read(idx, n, av, err);
        apt_indexes_free(idx, n);
        apt_config_release(&cfg);
        return r;
}

int outdated_run(const struct outdated_options *opt_in, struct distill_error *err)
{
        struct outdated_options opt = *opt_in;
        struct manifest *m = NULL;
        struct plan *plan = NULL;
        struct archive_versions *av = NULL;
        struct outdated_report rep = {0};
        cleanup_free char *path = NULL;
        int r = plan_json_of_output(opt.target, &path, err);

        if (r < 0)
                return r;
        if (path) {
                if (!opt.manifest)
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s: an OUT's plan does not record where its "
                                                 "packages came from: pass --manifest MANIFEST",
                                                 opt.target);
                r = plan_read_json(path, &plan, err);
        } else {
                opt.manifest = opt.target;
        }
        if (r >= 0)
                r = manifest_load(opt.manifest, &m, err);
        if (r >= 0 && m->source_kind != MANIFEST_SOURCE_APT)
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "%s: distill outdated asks Debian archives: it needs an apt "
                                      "source (source: {apt: …})",
                                      m->path);
        const char *arch = plan ? plan->arch : opt.arch ? opt.arch : m ? m->arch.v[0] : NULL;
        /* the indexes first: an unsigned or stale one is refused before anything is resolved */
        if (r >= 0)
                r = archive_now(m, arch, &av, err);
        if (r >= 0 && !plan)
                r = resolve_manifest(&opt, arch, &plan, err);
        if (r >= 0) {
                outdated_compare(plan, av, &rep);
                outdated_print(&rep, opt.json, stdout);
                fflush(stdout);
                if (!opt.json && !rep.kept_updates)
                        fprintf(stderr, "no package kept in the image has a newer version\n");
                if (opt.exit_code && rep.kept_updates)
                        r = distill_error_set(err, DISTILL_EOUTDATED,
                                              "%zu package(s) kept in the image have a newer "
                                              "version (%zu from a security suite)",
                                              rep.kept_updates, rep.kept_security_updates);
        }
        outdated_report_release(&rep);
        archive_versions_free(av);
        if (plan)
                plan_free(plan);
        if (m)
                manifest_free(m);
        return r;
}
