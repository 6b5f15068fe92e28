/* `distill build`: manifest → source → solve → select → rootfs → layer → output, written into a
 * temporary sibling of OUT and renamed into place only when complete. */
#include "distill/cli/build.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "distill/base/stagetime.h"
#include "distill/check/check.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/image/layer.h"
#include "distill/image/oci.h"
#include "distill/image/sbom.h"
#include "distill/image/publish.h"
#include "distill/image/dockerarchive.h"
#include "distill/image/rootfs.h"
#include "distill/image/tree.h"
#include "distill/input/manifest.h"
#include "distill/input/rules.h"
#include "distill/select/select.h"
#include "distill/select/unkept.h"
#include "distill/source/lock.h"
#include "distill/source/solve.h"
#include "distill/source/source.h"
#include "distill/source/source_apt.h"

struct build_ctx {
        const struct build_options *opt;
        struct manifest *m;
        const char *arch;
        const char *ref;
        int64_t epoch;
        char *tmp_out; /* temporary sibling of OUT */
        struct ruleset rules;
        struct source *src;
        struct pkgset candidates;
        struct store *st;
        struct plan *plan;
        struct layer_desc layers[2]; /* runtime, then app (image.layers: split) */
        size_t n_layers;
        struct oci_written written;
        struct timespec started;
        char lock_digest[SHA256_HEX_LEN + 1]; /* of the --locked file, "" without one */
        struct stage_times times; /* where the build's time went (-v, --json "timings") */
        struct stage_timer lap;   /* started when the stage now running began */
        struct stage_timer run;   /* started with the build */
        json_t *summaries;        /* --json: one object per architecture, printed with the
                                   * timings once the output is in place */
};

/* The time since the previous stage ended was stage `name`'s: consecutive stages leave no gap. */
static void stage_done(struct build_ctx *b, const char *name)
{
        stage_times_lap(&b->times, name, &b->lap);
}

static void progress(const struct build_ctx *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void progress(const struct build_ctx *b, const char *fmt, ...)
{
        va_list ap;
        struct timespec now;

        if (b->opt->verbosity < 0)
                return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double t = (double)(now.tv_sec - b->started.tv_sec) +
                   (double)(now.tv_nsec - b->started.tv_nsec) / 1e9;
        fprintf(stderr, "[%6.2fs] ", t);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* OUT is written to ".NAME.distill-XXXXXX" beside it, so the final rename stays on one
 * filesystem and a failed build never leaves a partial OUT. */
static int make_temp_sibling(struct build_ctx *b, struct distill_error *err)
{
        const char *out = b->opt->out;
        cleanup_free char *dir = path_dirname(out);
        const char *base = path_basename(out);

        if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
                return distill_error_set(err, DISTILL_EUSAGE, "-o %s: not a usable output name",
                                         out);
        struct stat sb;
        if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "-o %s: the directory %s does not exist", out, dir);
        b->tmp_out = xasprintf("%s/.%s.distill-XXXXXX", dir, base);
        if (!mkdtemp(b->tmp_out)) {
                int e = errno;
                free(b->tmp_out);
                b->tmp_out = NULL;
                return distill_error_errno(err, DISTILL_EIO, e,
                                           "cannot create a directory beside %s", out);
        }
        return 0;
}

static int check_out_absent(const struct build_options *opt, struct distill_error *err)
{
        struct stat sb;
        if (lstat(opt->out, &sb) == 0 && !opt->force)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s exists; use --force to replace it", opt->out);
        return 0;
}

static int load_rules(struct build_ctx *b, struct distill_error *err)
{
        struct strvec dirs = STRVEC_INIT;
        char *shipped;
        int r = rules_shipped_dir(&shipped, err);
        if (r < 0)
                return r;
        strvec_push_nodup(&dirs, shipped);
        for (size_t i = 0; i < b->m->rules.n; i++)
                strvec_push(&dirs, b->m->rules.v[i]);
        for (size_t i = 0; i < b->opt->rules_dirs.n; i++)
                strvec_push(&dirs, b->opt->rules_dirs.v[i]);
        r = rules_load(&dirs, &b->rules, err);
        strvec_clear(&dirs);
        if (r >= 0 && b->opt->no_package_rules)
                rules_drop_scope(&b->rules, RULE_SCOPE_PACKAGE);
        return r;
}

/* --locked: the lock's packages are the candidate set, no solver involved. */
static int locked_candidates(struct source *src, struct pkgset *out)
{
        out->n = source_count(src);
        out->pkgs = xcalloc(out->n + 1, sizeof(*out->pkgs));
        for (size_t i = 0; i < out->n; i++)
                out->pkgs[i] = source_pkg_at(src, i);
        return 0;
}

/* solve wide: the manifest's packages plus every package a loaded rule names that the source
 * has, so that select never needs to go back to the solver. `pins`: a lock's versions, for
 * `lock --update` and `lock --check`. */
static int solve_pins(struct build_ctx *b, const struct solve_pin *pins, size_t n_pins,
                      struct distill_error *err)
{
        struct strvec names = STRVEC_INIT;
        int r;

        for (size_t i = 0; i < b->m->packages.n; i++)
                strvec_push(&names, b->m->packages.v[i]);
        if (b->m->debug && !strvec_contains(&names, MANIFEST_DEBUG_PACKAGE))
                strvec_push(&names, MANIFEST_DEBUG_PACKAGE);
        for (size_t i = 0; i < b->rules.n; i++) {
                const struct rule *rule = &b->rules.rules[i];
                for (size_t j = 0; j < rule->packages.n; j++) {
                        const char *p = rule->packages.v[j];
                        if (source_find(b->src, p) && !strvec_contains(&names, p))
                                strvec_push(&names, p);
                }
        }
        if (b->opt->locked)
                r = locked_candidates(b->src, &b->candidates);
        else
                r = solve_pinned(b->src, &names, pins, n_pins, &b->candidates, err);
        strvec_clear(&names);
        return r;
}

static int solve(struct build_ctx *b, struct distill_error *err)
{
        return solve_pins(b, NULL, 0, err);
}

/* A new plan that knows the candidate set: what the manifest asked for, what the rules added. */
static void plan_start(struct build_ctx *b)
{
        struct plan *plan = plan_new();

        plan->arch = xstrdup(b->arch);
        for (size_t i = 0; i < b->m->packages.n; i++)
                strvec_push(&plan->requested, b->m->packages.v[i]);
        for (size_t i = 0; i < b->rules.n; i++) {
                const struct rule *rule = &b->rules.rules[i];
                for (size_t j = 0; j < rule->packages.n; j++) {
                        const char *p = rule->packages.v[j];
                        if (source_find(b->src, p) && !strvec_contains(&plan->rule_packages, p))
                                strvec_push(&plan->rule_packages, p);
                }
        }
        strvec_sort(&plan->rule_packages);
        plan->n_packages = b->candidates.n;
        plan->packages = xcalloc(b->candidates.n + 1, sizeof(*plan->packages));
        for (size_t i = 0; i < b->candidates.n; i++) {
                const struct source_pkg *p = b->candidates.pkgs[i];
                struct plan_package *pp = &plan->packages[i];
                pp->name = xstrdup(p->name);
                pp->version = xstrdup(p->version);
                pp->arch = xstrdup(p->arch);
                pp->source = p->source ? xstrdup(p->source) : NULL;
                if (!strvec_contains(&plan->requested, p->name)) {
                        for (size_t k = 0; k < b->rules.n && !pp->added_by; k++)
                                if (strvec_contains(&b->rules.rules[k].packages, p->name))
                                        pp->added_by = xstrdup(b->rules.rules[k].name);
                }
        }
        if (b->plan)
                plan_free(b->plan);
        b->plan = plan;
}

static void env_push(struct strvec *env, const char *key, const char *value)
{
        size_t klen = strlen(key);
        for (size_t i = 0; i < env->n; i++) {
                if (strncmp(env->v[i], key, klen) == 0 && env->v[i][klen] == '=') {
                        free(env->v[i]);
                        env->v[i] = xasprintf("%s=%s", key, value);
                        return;
                }
        }
        strvec_push_nodup(env, xasprintf("%s=%s", key, value));
}

static void annotation_push(struct image_config *cfg, const char *key, char *value)
{
        strvec_push(&cfg->annotation_keys, key);
        strvec_push_nodup(&cfg->annotation_values, value);
}

/* What made the image, in its manifest's annotations, so that two images' differences can be
 * explained: distill's version, the rules' digest, and the lockfile's when the build followed
 * one. Annotations rather than config Labels: they describe this artifact and are read from the
 * registry without the config blob, and an image built FROM this one does not inherit them
 * (Labels are, and a derived image's packages are no longer what the lock pinned). Keys in the
 * io.distill namespace, as the image spec asks of keys that are not its own
 * (org.opencontainers.image.version is the packaged software's version, not the builder's). */
static void annotate(const struct build_ctx *b, struct image_config *cfg)
{
        const struct plan_provenance *pv = &b->plan->provenance;
        if (pv->distill_version)
                annotation_push(cfg, "io.distill.version", xstrdup(pv->distill_version));
        if (pv->rules_digest)
                annotation_push(cfg, "io.distill.rules.digest", xstrdup(pv->rules_digest));
        if (pv->lock_digest)
                annotation_push(cfg, "io.distill.lock.digest", xstrdup(pv->lock_digest));
}

static void image_config_fill(struct build_ctx *b, struct image_config *cfg)
{
        const struct manifest *m = b->m;

        memset(cfg, 0, sizeof(*cfg));
        cfg->arch = b->arch;
        cfg->user = m->user.root ? xstrdup("0:0") : xasprintf("%u:%u", m->user.uid, m->user.gid);
        env_push(&cfg->env, "PATH",
                 m->debug ? "/usr/local/bin:/usr/bin:/bin:" MANIFEST_DEBUG_DIR
                          : "/usr/local/bin:/usr/bin:/bin");
        env_push(&cfg->env, "LANG", "C.UTF-8");
        {
                const char **keys = strmap_sorted_keys(&b->plan->env);
                for (size_t i = 0; keys[i]; i++)
                        env_push(&cfg->env, keys[i], strmap_get(&b->plan->env, keys[i]));
                free(keys);
        }
        for (size_t i = 0; i < m->image.n_env; i++)
                env_push(&cfg->env, m->image.env[i].key, m->image.env[i].value);

        if (m->image.has_entrypoint) {
                for (size_t i = 0; i < m->image.entrypoint.n; i++)
                        strvec_push(&cfg->entrypoint, m->image.entrypoint.v[i]);
        } else if (m->debug && !m->has_python && !m->binaries.n) {
                /* a debug base starts a shell, as distroless's :debug images do */
                strvec_push(&cfg->entrypoint, MANIFEST_DEBUG_DIR "/sh");
        } else if (m->has_python) {
                strvec_push(&cfg->entrypoint, m->python.interpreter);
                if (m->python.entrypoint) {
                        strvec_push(&cfg->entrypoint, m->python.entrypoint);
                } else if (m->python.module) {
                        strvec_push(&cfg->entrypoint, "-m");
                        strvec_push(&cfg->entrypoint, m->python.module);
                }
        }
        for (size_t i = 0; i < m->image.cmd.n; i++)
                strvec_push(&cfg->cmd, m->image.cmd.v[i]);
        cfg->workdir = m->image.workdir;
        for (size_t i = 0; i < m->image.n_labels; i++) {
                strvec_push(&cfg->label_keys, m->image.labels[i].key);
                strvec_push(&cfg->label_values, m->image.labels[i].value);
        }
        for (size_t i = 0; i < m->image.exposed_ports.n; i++)
                strvec_push(&cfg->exposed_ports, m->image.exposed_ports.v[i]);
        for (size_t i = 0; i < m->image.volumes.n; i++)
                strvec_push(&cfg->volumes, m->image.volumes.v[i]);
        cfg->stop_signal = m->image.stop_signal;
        cfg->created = b->epoch;
        annotate(b, cfg);
}

static void image_config_release(struct image_config *cfg)
{
        free((char *)cfg->user);
        strvec_clear(&cfg->env);
        strvec_clear(&cfg->entrypoint);
        strvec_clear(&cfg->cmd);
        strvec_clear(&cfg->label_keys);
        strvec_clear(&cfg->label_values);
        strvec_clear(&cfg->exposed_ports);
        strvec_clear(&cfg->volumes);
        strvec_clear(&cfg->annotation_keys);
        strvec_clear(&cfg->annotation_values);
}

/* The app layer's own entries (image.layers: split): what the manifest brings from the host —
 * everything under python.app's and site-packages' image directories and each files.add path —
 * and the .pyc compiled from them. Everything else (package files and what is generated for
 * them) is the runtime layer, which an app edit leaves unchanged. */
static bool under_app_root(const struct build_ctx *b, const char *path)
{
        const struct manifest *m = b->m;
        for (size_t i = 0; i < m->python.n_app; i++)
                if (path_has_prefix(path, m->python.app[i].to))
                        return true;
        for (size_t i = 0; i < m->n_add; i++)
                if (path_has_prefix(path, m->add[i].to))
                        return true;
        if (m->python.site_packages.n && strncmp(path, "/usr/local/lib/python", 21) == 0) {
                const char *rest = strchr(path + 21, '/');
                return rest &&
                       (!strcmp(rest, "/dist-packages") || !strncmp(rest, "/dist-packages/", 15));
        }
        return false;
}

static bool is_app_entry(const struct build_ctx *b, const struct plan_entry *e)
{
        if (e->pkg)
                return false;
        if (under_app_root(b, e->path))
                return true;
        /* bytecode follows its source's layer */
        return e->reason == PLAN_R_GENERATED && e->type == PLAN_FILE && e->reason_from &&
               strstr(e->path, "/__pycache__/") && under_app_root(b, e->reason_from);
}

/* The entries of each layer, in path order: the runtime layer, then (split, when the manifest
 * brings files of its own) the app layer with the directories above its entries. */
static size_t split_layers(const struct build_ctx *b, struct plan_entry *const *all, size_t n,
                           struct plan_entry ***lists, size_t counts[2])
{
        bool split = b->m->image.layers == MANIFEST_LAYERS_SPLIT;
        struct strmap app_dirs = STRMAP_INIT;
        lists[0] = xcalloc(n + 1, sizeof(**lists));
        lists[1] = xcalloc(n + 1, sizeof(**lists));
        counts[0] = counts[1] = 0;
        for (size_t i = 0; i < n; i++) {
                if (!split || !is_app_entry(b, all[i]))
                        continue;
                /* every directory above it, so that the layer unpacks on its own */
                cleanup_free char *dir = path_dirname(all[i]->path);
                while (strcmp(dir, "/") != 0 && !strmap_has(&app_dirs, dir)) {
                        strmap_put(&app_dirs, dir, NULL);
                        char *up = path_dirname(dir);
                        free(dir);
                        dir = up;
                }
        }
        for (size_t i = 0; i < n; i++) {
                bool app = split && is_app_entry(b, all[i]);
                if (!app)
                        lists[0][counts[0]++] = all[i];
                if (app || (all[i]->type == PLAN_DIR && strmap_has(&app_dirs, all[i]->path)))
                        lists[1][counts[1]++] = all[i];
        }
        strmap_clear(&app_dirs, NULL);
        return counts[1] ? 2 : 1;
}

static int write_layer(struct build_ctx *b, struct distill_error *err)
{
        size_t n, counts[2];
        struct plan_entry **lists[2];
        struct plan_entry *const *all = plan_sorted(b->plan, &n);
        cleanup_free char *blobs = xasprintf("%s/blobs/sha256", b->tmp_out);
        cleanup_free char *cache = manifest_cache_dir(b->m);
        int r = mkdir_p(blobs, 0755);

        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "cannot create %s", blobs);
        /* The root directory is implicit in a layer. */
        size_t skip = (n > 0 && strcmp(all[0]->path, "/") == 0) ? 1 : 0;
        b->n_layers = split_layers(b, all + skip, n - skip, lists, counts);
        for (size_t i = 0; i < b->n_layers && r >= 0; i++) {
                struct stage_timer t;
                double wall, cpu;
                stage_timer_start(&t);
                r = layer_write_cached(lists[i], counts[i], b->st, b->epoch, blobs, cache,
                                       b->m->image.zstd ? LAYER_ZSTD : LAYER_GZIP,
                                       b->m->image.compression_level, &b->layers[i], err);
                stage_timer_elapsed(&t, &wall, &cpu);
                stage_times_add(&b->times, i ? "layers.app" : "layers.runtime", wall, cpu);
                if (r >= 0)
                        progress(b,
                                 "layer %zu (%s): %zu entries, %llu bytes tar, %llu bytes gzip%s",
                                 i + 1, i ? "app" : "runtime", counts[i],
                                 (unsigned long long)b->layers[i].tar_size,
                                 (unsigned long long)b->layers[i].size,
                                 b->layers[i].cached ? " (cached blob, not compressed again)" : "");
        }
        free(lists[0]);
        free(lists[1]);
        stage_done(b, "layers");
        return r;
}

/* The image's config and manifest blobs, and its plan: OUT/plan.json, or with several
 * architectures OUT/plan-ARCH.json each (plan.json stays the first architecture's). */
static int write_image(struct build_ctx *b, bool first, bool multi, struct distill_error *err)
{
        struct image_config cfg;
        int r;

        image_config_fill(b, &cfg);
        r = oci_write_image(b->tmp_out, &cfg, b->layers, b->n_layers, &b->written, err);
        image_config_release(&cfg);
        if (r < 0)
                return r;
        if (multi) {
                cleanup_free char *name = xasprintf("plan-%s.json", b->arch);
                cleanup_free char *path = path_join(b->tmp_out, name);
                r = plan_write_json(b->plan, path, err);
                if (r < 0 || !first)
                        return r;
        }
        cleanup_free char *plan_json = path_join(b->tmp_out, "plan.json");
        return plan_write_json(b->plan, plan_json, err);
}

/* The SBOMs of one architecture's image (src/image/sbom.c): attached to its manifest as
 * referrers, and beside the image — OUT/sbom.spdx.json and OUT/sbom.cdx.json in an OCI layout
 * (the first architecture's, as plan.json; with several also OUT/sbom-ARCH.*), OUT.spdx.json and
 * OUT.cdx.json beside a docker-archive or rootfs OUT (publish moves them). */
static int write_sbom(struct build_ctx *b, bool first, bool multi, struct distill_error *err)
{
        cleanup_free char *ref = multi ? oci_arch_ref(b->ref, b->arch) : xstrdup(b->ref);
        struct sbom_image img = {
            .ref = ref, .manifest_digest = b->written.manifest_digest, .created = b->epoch};
        struct sbom_docs docs = {NULL, NULL};
        int r = sbom_make(b->plan, b->st, &img, &docs, err);
        if (r >= 0)
                r = oci_write_referrer(b->tmp_out, &b->written, SBOM_SPDX_MEDIA_TYPE, docs.spdx,
                                       b->epoch, err);
        if (r >= 0)
                r = oci_write_referrer(b->tmp_out, &b->written, SBOM_CYCLONEDX_MEDIA_TYPE, docs.cdx,
                                       b->epoch, err);
        if (r >= 0 && multi) {
                cleanup_free char *spdx = xasprintf("%s/sbom-%s.spdx.json", b->tmp_out, b->arch);
                cleanup_free char *cdx = xasprintf("%s/sbom-%s.cdx.json", b->tmp_out, b->arch);
                r = sbom_write(&docs, spdx, cdx, err);
        }
        if (r >= 0 && first) {
                cleanup_free char *spdx = path_join(b->tmp_out, "sbom.spdx.json");
                cleanup_free char *cdx = path_join(b->tmp_out, "sbom.cdx.json");
                r = sbom_write(&docs, spdx, cdx, err);
        }
        sbom_docs_release(&docs);
        return r;
}

/* A docker-archive's or rootfs's SBOMs and plan go beside OUT, as its mtree does:
 * OUT.spdx.json, OUT.cdx.json, OUT.plan.json (what why and report read). */
static int publish_beside(const struct build_ctx *b, struct distill_error *err)
{
        static const char *const names[] = {"spdx.json", "cdx.json", "plan.json"};
        for (size_t i = 0; i < 3; i++) {
                cleanup_free char *name = xasprintf(i < 2 ? "sbom.%s" : "%s", names[i]);
                cleanup_free char *from = path_join(b->tmp_out, name);
                cleanup_free char *dest = xasprintf("%s.%s", b->opt->out, names[i]);
                if (rename(from, dest) < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno,
                                                   "cannot rename %s to %s", from, dest);
        }
        return 0;
}

/* What goes to OUT: the temporary sibling itself (an OCI layout), or the one file or tree made
 * in it. */
static char *finished_output(const struct build_ctx *b)
{
        switch (b->opt->format) {
        case BUILD_FORMAT_DOCKER_ARCHIVE:
                return path_join(b->tmp_out, "image.tar");
        case BUILD_FORMAT_ROOTFS:
                return path_join(b->tmp_out, "rootfs");
        case BUILD_FORMAT_OCI:
                break;
        }
        return xstrdup(b->tmp_out);
}

/* Move the finished output into place. An existing OUT (only with --force) is exchanged
 * atomically, then removed; the temporary sibling goes. A rootfs written by a user who cannot
 * set owners has them in OUT.mtree, moved after OUT. */
static int publish(struct build_ctx *b, struct distill_error *err)
{
        const char *out = b->opt->out;
        cleanup_free char *done = finished_output(b);
        struct stat sb;

        if (lstat(out, &sb) == 0) {
                if (!b->opt->force)
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s exists; use --force to replace it", out);
                if (renameat2(AT_FDCWD, done, AT_FDCWD, out, RENAME_EXCHANGE) < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno, "cannot replace %s",
                                                   out);
                /* `done` now names the old output */
                rm_rf(done);
        } else if (rename(done, out) < 0) {
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot rename %s to %s", done,
                                           out);
        }
        if (b->opt->format == BUILD_FORMAT_ROOTFS) {
                /* moving the tree changed its own ".." and so its time */
                struct timespec t[2] = {{.tv_sec = (time_t)b->epoch}, {.tv_sec = (time_t)b->epoch}};
                utimensat(AT_FDCWD, out, t, AT_SYMLINK_NOFOLLOW);
        }
        if (b->opt->format == BUILD_FORMAT_ROOTFS) {
                /* moving the tree changed its own ".." and so its time */
                struct timespec t[2] = {{.tv_sec = (time_t)b->epoch}, {.tv_sec = (time_t)b->epoch}};
                utimensat(AT_FDCWD, out, t, AT_SYMLINK_NOFOLLOW);
        }
        cleanup_free char *mtree = path_join(b->tmp_out, "rootfs.mtree");
        if (b->opt->format == BUILD_FORMAT_ROOTFS && lstat(mtree, &sb) == 0) {
                cleanup_free char *dest = xasprintf("%s.mtree", out);
                if (rename(mtree, dest) < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno,
                                                   "cannot rename %s to %s", mtree, dest);
        }
        if (b->opt->format != BUILD_FORMAT_OCI) {
                int r = publish_beside(b, err);
                if (r < 0)
                        return r;
                rm_rf(b->tmp_out);
        }
        free(b->tmp_out);
        b->tmp_out = NULL;
        return 0;
}

static bool in_app_code(const struct manifest *m, const char *warning)
{
        for (size_t i = 0; i < m->python.n_app; i++) {
                cleanup_free char *needle = xasprintf("(%s/", m->python.app[i].to);
                if (strstr(warning, needle))
                        return true;
        }
        return false;
}

/* Unresolved imports in library code are mostly other platforms' modules (winreg, msvcrt)
 * behind runtime checks: counted here, listed by `distill resolve` and in plan.json (-v lists
 * them too). Guarded ones in app code and everything else are printed. */
static void print_warnings(const struct build_ctx *b)
{
        size_t library_unresolved = 0;

        if (b->opt->verbosity < 0)
                return;
        if (b->m->image.zstd)
                fprintf(stderr, "note: tar+zstd layers: skopeo, podman and containerd read them; "
                                "umoci 0.4.7 and oci-image-tool do not\n");
        for (size_t i = 0; i < b->plan->warnings.n; i++) {
                const char *w = b->plan->warnings.v[i];
                bool quiet_kind = strncmp(w, "unresolved ", 11) == 0 && !in_app_code(b->m, w);
                if (quiet_kind && b->opt->verbosity < 1) {
                        library_unresolved++;
                        continue;
                }
                fprintf(stderr, "warning: %s\n", w);
        }
        if (library_unresolved)
                fprintf(stderr,
                        "note: %zu imports in library code resolve to nothing in the image "
                        "(other platforms' modules, optional dependencies); `distill resolve` "
                        "or -v lists them\n",
                        library_unresolved);
}

/* The Python modules (source and extension files) each mechanism of the closure kept. */
static const enum plan_reason_kind python_mechanisms[] = {
    PLAN_R_PYTHON_IMPORT,  PLAN_R_PY_C_IMPORT, PLAN_R_PY_COMPUTED,
    PLAN_R_PY_ENTRY_POINT, PLAN_R_PY_CODEC,    PLAN_R_PY_LIBRARY,
    PLAN_R_PY_DATA_PATH,   PLAN_R_PY_METADATA, PLAN_R_PY_ALIAS,
};
#define N_PY_MECHANISMS (sizeof(python_mechanisms) / sizeof(python_mechanisms[0]))

static bool is_python_module_file(const char *path)
{
        size_t n = strlen(path);
        return (n > 3 && strcmp(path + n - 3, ".py") == 0) ||
               (n > 3 && strcmp(path + n - 3, ".so") == 0 && strstr(path, "/python"));
}

/* counts[i]: files of python_mechanisms[i] (modules for the import mechanisms, any file for
 * data, metadata and libraries). */
static void count_mechanisms(struct plan_entry *const *all, size_t n,
                             size_t counts[N_PY_MECHANISMS])
{
        memset(counts, 0, N_PY_MECHANISMS * sizeof(*counts));
        for (size_t i = 0; i < n; i++) {
                if (all[i]->type != PLAN_FILE)
                        continue;
                for (size_t k = 0; k < N_PY_MECHANISMS; k++) {
                        enum plan_reason_kind kind = python_mechanisms[k];
                        bool data = kind == PLAN_R_PY_DATA_PATH || kind == PLAN_R_PY_METADATA ||
                                    kind == PLAN_R_PY_LIBRARY;
                        if (all[i]->reason == kind && (data || is_python_module_file(all[i]->path)))
                                counts[k]++;
                }
        }
}

static size_t count_observed(struct plan *plan, uint64_t *bytes);

/* The proving run's commands: --check-run's when given, else the manifest's check.run. */
static size_t n_check_commands(const struct build_ctx *b)
{
        return b->opt->n_check_run ? b->opt->n_check_run : b->m->check.n_run;
}

static bool has_check(const struct build_ctx *b)
{
        return n_check_commands(b) > 0;
}

static void summarise(struct build_ctx *b)
{
        size_t n, files = 0, kept = 0;
        uint64_t bytes = 0;
        struct plan_entry *const *all = plan_sorted(b->plan, &n);

        for (size_t i = 0; i < n; i++) {
                if (all[i]->type == PLAN_FILE) {
                        files++;
                        bytes += all[i]->size;
                }
        }
        for (size_t i = 0; i < b->plan->n_packages; i++)
                kept += b->plan->packages[i].kept;
        size_t counts[N_PY_MECHANISMS];
        count_mechanisms(all, n, counts);
        uint64_t observed_bytes;
        size_t observed = count_observed(b->plan, &observed_bytes);
        print_warnings(b);
        if (b->opt->json) {
                json_t *o = json_object();
                cleanup_free char *manifest = xasprintf("sha256:%s", b->written.manifest_digest);
                json_object_set_new(o, "ref", json_string(b->ref));
                json_object_set_new(o, "arch", json_string(b->arch));
                json_object_set_new(o, "out", json_string(b->opt->out));
                json_object_set_new(o, "manifest_digest", json_string(manifest));
                json_t *layers = json_array();
                uint64_t layer_bytes = 0;
                for (size_t i = 0; i < b->n_layers; i++) {
                        json_t *l = json_object();
                        cleanup_free char *digest = xasprintf("sha256:%s", b->layers[i].digest);
                        cleanup_free char *diff_id = xasprintf("sha256:%s", b->layers[i].diff_id);
                        json_object_set_new(l, "digest", json_string(digest));
                        json_object_set_new(l, "diff_id", json_string(diff_id));
                        json_object_set_new(l, "size", json_integer((json_int_t)b->layers[i].size));
                        json_object_set_new(l, "cached", json_boolean(b->layers[i].cached));
                        json_array_append_new(layers, l);
                        layer_bytes += b->layers[i].size;
                }
                json_object_set_new(o, "layers", layers);
                json_object_set_new(o, "entries", json_integer((json_int_t)n));
                json_object_set_new(o, "files", json_integer((json_int_t)files));
                json_object_set_new(o, "file_bytes", json_integer((json_int_t)bytes));
                json_object_set_new(o, "layer_bytes", json_integer((json_int_t)layer_bytes));
                json_object_set_new(o, "packages_candidate",
                                    json_integer((json_int_t)b->plan->n_packages));
                json_object_set_new(o, "packages_kept", json_integer((json_int_t)kept));
                json_t *mech = json_object();
                for (size_t k = 0; k < N_PY_MECHANISMS; k++)
                        json_object_set_new(mech, plan_reason_name(python_mechanisms[k]),
                                            json_integer((json_int_t)counts[k]));
                json_object_set_new(o, "python_files_by_reason", mech);
                json_object_set_new(o, "check_commands",
                                    json_integer((json_int_t)n_check_commands(b)));
                json_object_set_new(o, "observed_entries", json_integer((json_int_t)observed));
                json_object_set_new(o, "observed_bytes", json_integer((json_int_t)observed_bytes));
                if (b->m->has_python) {
                        json_object_set_new(o, "python_defs",
                                            json_integer((json_int_t)b->plan->py_defs));
                        json_object_set_new(o, "python_defs_reached",
                                            json_integer((json_int_t)b->plan->py_defs_reached));
                        json_object_set_new(o, "bytecode_compiled",
                                            json_integer((json_int_t)b->plan->pyc_compiled));
                        json_object_set_new(o, "bytecode_cached",
                                            json_integer((json_int_t)b->plan->pyc_cached));
                }
                if (!b->summaries)
                        b->summaries = json_array();
                json_array_append_new(b->summaries, o);
                return;
        }
        printf("image      %s (%s)\n", b->ref, b->arch);
        printf("output     %s (%s)\n", b->opt->out,
               b->opt->format == BUILD_FORMAT_DOCKER_ARCHIVE ? "docker-archive"
               : b->opt->format == BUILD_FORMAT_ROOTFS       ? "root filesystem"
                                                             : "OCI layout");
        printf("manifest   sha256:%s\n", b->written.manifest_digest);
        for (size_t i = 0; i < b->n_layers; i++)
                printf("layer      sha256:%s (%s, %llu bytes %s%s)\n", b->layers[i].digest,
                       i ? "app" : "runtime", (unsigned long long)b->layers[i].size,
                       b->layers[i].compression == LAYER_ZSTD ? "zstd" : "gzip",
                       b->layers[i].cached ? ", cached" : "");
        printf("contents   %zu entries, %zu files, %llu bytes\n", n, files,
               (unsigned long long)bytes);
        printf("packages   %zu candidates, %zu kept\n", b->plan->n_packages, kept);
        if (has_check(b))
                printf("check      %zu command(s) ran in the image and passed\n",
                       n_check_commands(b));
        if (b->m->check.trace && has_check(b))
                printf("observed   %zu entries, %llu bytes kept only because the check run "
                       "touched them\n",
                       observed, (unsigned long long)observed_bytes);
        if (!b->m->has_python)
                return;
        printf("python    ");
        for (size_t k = 0; k < N_PY_MECHANISMS; k++)
                printf(" %s %zu%s", plan_reason_name(python_mechanisms[k]), counts[k],
                       k + 1 < N_PY_MECHANISMS ? "," : "\n");
        printf("python     %zu of %zu defs of the kept code reachable\n", b->plan->py_defs_reached,
               b->plan->py_defs);
}

static int load_inputs(struct build_ctx *b, struct distill_error *err)
{
        int r;

        progress(b, "manifest %s", b->opt->manifest);
        r = manifest_load(b->opt->manifest, &b->m, err);
        if (r < 0)
                return r;
        /* the variants every base has, without a manifest each */
        b->m->debug |= b->opt->debug;
        b->m->user.root |= b->opt->root;
        b->arch = b->opt->arch ? b->opt->arch : b->m->arch.v[0];
        b->ref = b->opt->tag ? b->opt->tag : b->m->image.ref;
        const char *why = NULL;
        if (!image_ref_valid(b->ref, &why))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "--tag %s is not a valid reference: %s", b->ref, why);
        if (b->m->arch.n > 1 && !b->opt->arch && b->m->source_kind != MANIFEST_SOURCE_APT)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: a sysroot holds one architecture's packages; "
                                         "several architectures need the apt source (or pass "
                                         "--arch)",
                                         b->m->path);
        return source_date_epoch(&b->epoch, err);
}

/* What made the image, in the plan (for `report A B`) and from there in the annotations. */
static void record_provenance(struct build_ctx *b)
{
        struct plan_provenance *pv = &b->plan->provenance;
        free(pv->distill_version);
        free(pv->rules_digest);
        free(pv->lock_digest);
        pv->distill_version = xstrdup(DISTILL_VERSION);
        pv->rules_digest = xasprintf("sha256:%s", b->rules.digest);
        pv->lock_digest = b->lock_digest[0] ? xasprintf("sha256:%s", b->lock_digest) : NULL;
}

static double stage_wall(const struct build_ctx *b, const char *name)
{
        const struct stage_time *s = stage_times_get(&b->times, name);
        return s ? s->wall_s : 0;
}

static double stage_cpu(const struct build_ctx *b, const char *name)
{
        const struct stage_time *s = stage_times_get(&b->times, name);
        return s ? s->cpu_s : 0;
}

static int select_and_finalize(struct build_ctx *b, const struct select_observed *observed,
                               struct distill_error *err)
{
        double bytecode_wall = stage_wall(b, "bytecode"), bytecode_cpu = stage_cpu(b, "bytecode");
        stage_times_add(&b->times, "select", 0, 0); /* listed before its bytecode stage */
        int r = select_plan_timed(b->m, b->arch, b->src, &b->candidates, &b->rules, b->st, observed,
                                  b->plan, &b->times, err);
        stage_done(b, "select");
        /* the .pyc compilation is a stage of its own, recorded apart by select_plan_timed */
        stage_times_add(&b->times, "select", bytecode_wall - stage_wall(b, "bytecode"),
                        bytecode_cpu - stage_cpu(b, "bytecode"));
        if (r >= 0)
                r = rootfs_finalize(b->plan, b->m, b->src, b->st, err);
        if (r >= 0)
                r = unkept_record(b->plan, b->m, b->src, &b->candidates, err);
        if (r >= 0)
                record_provenance(b);
        stage_done(b, "rootfs");
        return r;
}

/* The SHA-256 of the lockfile's bytes (io.distill.lock.digest). */
static int digest_lock(const char *path, char hex[SHA256_HEX_LEN + 1], struct distill_error *err)
{
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s", path);
        int e = sha256_hex_fd(fd, hex, NULL);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "%s", path);
        return 0;
}

/* source → solve → select → rootfs: the final plan, with the staging store in b->tmp_out. */
static int make_plan(struct build_ctx *b, struct distill_error *err)
{
        int r = load_rules(b, err);
        if (r < 0)
                return r;
        if (b->m->source_kind == MANIFEST_SOURCE_APT && b->opt->locked) {
                r = digest_lock(b->opt->locked, b->lock_digest, err);
                if (r < 0)
                        return r;
                progress(b, "source %s (%s), cache %s", b->opt->locked, b->arch, b->m->apt.cache);
                r = source_open_apt_locked(b->m, b->arch, b->opt->locked, b->opt->verbosity >= 0,
                                           &b->src, err);
        } else if (b->m->source_kind == MANIFEST_SOURCE_APT) {
                progress(b, "source apt (%s), cache %s", b->arch, b->m->apt.cache);
                r = source_open_apt(b->m, b->arch, b->opt->verbosity >= 0, &b->src, err);
        } else if (b->opt->locked) {
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "--locked needs an apt source (source: {apt: …})");
        } else {
                progress(b, "source sysroot %s (%s)", b->m->sysroot, b->arch);
                r = source_open_sysroot(b->m->sysroot, b->arch, &b->src, err);
        }
        stage_done(b, "source");
        if (r < 0)
                return r;
        r = solve(b, err);
        stage_done(b, "solve");
        if (r < 0)
                return r;
        plan_start(b);
        progress(b, "solve: %zu candidate packages", b->candidates.n);
        r = source_prepare(b->src, b->candidates.pkgs, b->candidates.n, err);
        if (r < 0)
                return r;
        if (b->m->source_kind == MANIFEST_SOURCE_APT)
                progress(b, "fetched and indexed %zu packages", b->candidates.n);

        cleanup_free char *staging = path_join(b->tmp_out, "staging");
        r = store_open(staging, &b->st, err);
        stage_done(b, "fetch");
        if (r < 0)
                return r;
        r = select_and_finalize(b, NULL, err);
        if (r < 0)
                return r;
        progress(b, "select: %zu entries", b->plan->entries.n);
        if (b->plan->pyc_compiled || b->plan->pyc_cached)
                progress(b, "bytecode: %zu compiled, %zu from the cache", b->plan->pyc_compiled,
                         b->plan->pyc_cached);
        return 0;
}

static void release_arch_state(struct build_ctx *b)
{
        if (b->st)
                store_free(b->st);
        b->st = NULL;
        if (b->plan)
                plan_free(b->plan);
        b->plan = NULL;
        pkgset_release(&b->candidates);
        if (b->src)
                source_free(b->src);
        b->src = NULL;
        rules_release(&b->rules);
}

static void check_spec_fill(const struct build_ctx *b, const struct image_config *cfg, char **home,
                            struct check_spec *c)
{
        const struct manifest *m = b->m;
        bool cli = b->opt->n_check_run > 0;

        *home = m->user.root ? xstrdup("/root") : rootfs_user_home(m);
        *c = (struct check_spec){.arch = b->arch,
                                 .uid = m->user.root ? 0 : m->user.uid,
                                 .gid = m->user.root ? 0 : m->user.gid,
                                 .home = *home,
                                 .workdir = cfg->workdir ? cfg->workdir : "/",
                                 .env = &cfg->env,
                                 .commands = cli ? b->opt->check_run : m->check.run,
                                 .n_commands = n_check_commands(b),
                                 .timeout_s = m->check.timeout_s,
                                 .epoch = b->epoch,
                                 .python = m->has_python};
}

static void show_check_output(const struct strbuf *output)
{
        if (!output->len)
                return;
        fputs("--- the check's output ---\n", stderr);
        fwrite(output->buf, 1, output->len, stderr);
        if (output->buf[output->len - 1] != '\n')
                fputc('\n', stderr);
        fputs("---\n", stderr);
}

static size_t count_observed(struct plan *plan, uint64_t *bytes)
{
        size_t n, count = 0;
        struct plan_entry *const *all = plan_sorted(plan, &n);
        *bytes = 0;
        for (size_t i = 0; i < n; i++) {
                if (all[i]->reason != PLAN_R_OBSERVED)
                        continue;
                count++;
                *bytes += all[i]->type == PLAN_FILE ? all[i]->size : 0;
        }
        return count;
}

/* check.trace: run the commands in a tree of every candidate file, then select again with what
 * they touched. */
static int trace_and_reselect(struct build_ctx *b, struct distill_error *err)
{
        struct image_config cfg;
        struct check_spec spec;
        struct select_observed obs = {0};
        struct strbuf output = STRBUF_INIT;
        cleanup_free char *home = NULL;
        uint64_t bytes;

        image_config_fill(b, &cfg);
        check_spec_fill(b, &cfg, &home, &spec);
        progress(b, "check.trace: %zu command(s) in a tree of every candidate file",
                 spec.n_commands);
        int r = check_trace(&spec, b->plan, b->st, b->src, &b->candidates, &obs, &output, err);
        image_config_release(&cfg);
        stage_done(b, "trace");
        if (r == -DISTILL_EVERIFY)
                show_check_output(&output);
        strbuf_release(&output);
        if (r >= 0) {
                progress(b, "check.trace: observed %zu paths and %zu modules", obs.paths.n,
                         obs.modules.n);
                plan_start(b);
                r = select_and_finalize(b, &obs, err);
        }
        select_observed_release(&obs);
        if (r >= 0)
                progress(b, "check.trace: %zu entries kept only because the run touched them",
                         count_observed(b->plan, &bytes));
        return r;
}

/* check.run: the finished image must run every command, or nothing is written. */
static int prove(struct build_ctx *b, struct distill_error *err)
{
        struct image_config cfg;
        struct check_spec spec;
        struct strbuf output = STRBUF_INIT;
        cleanup_free char *home = NULL;

        image_config_fill(b, &cfg);
        check_spec_fill(b, &cfg, &home, &spec);
        progress(b, "check.run: %zu command(s) in the image, as UID %u", spec.n_commands, spec.uid);
        int r = check_prove(&spec, b->plan, b->st, &output, err);
        image_config_release(&cfg);
        stage_done(b, "check");
        if (r == -DISTILL_EVERIFY)
                show_check_output(&output);
        strbuf_release(&output);
        return r;
}

/* --format rootfs: the image as a directory tree; its owners too when we are root, else in an
 * mtree file published as OUT.mtree. */
static int write_rootfs(struct build_ctx *b, struct distill_error *err)
{
        cleanup_free char *dir = path_join(b->tmp_out, "rootfs");
        struct tree *t = NULL;
        size_t n;
        struct plan_entry *const *all = plan_sorted(b->plan, &n);

        if (mkdir(dir, 0755) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot create %s", dir);
        int r = tree_open(dir, b->epoch, &t, err);
        if (r >= 0)
                r = tree_put_plan(t, all, n, b->st, err);
        if (r >= 0)
                r = tree_finish(t, err);
        tree_free(t);
        if (r >= 0 && geteuid() != 0) {
                cleanup_free char *mtree = path_join(b->tmp_out, "rootfs.mtree");
                r = tree_write_mtree(all, n, mtree, err);
        }
        progress(b, "rootfs: %zu entries written", n);
        stage_done(b, "rootfs");
        return r;
}

/* One architecture's plan, layer and image blobs. */
static int build_arch(struct build_ctx *b, const char *arch, bool first, bool multi,
                      struct distill_error *err)
{
        b->arch = arch;
        int r = make_plan(b, err);
        if (r < 0)
                return r;
        if (has_check(b) && b->m->check.trace) {
                r = trace_and_reselect(b, err);
                if (r < 0)
                        return r;
        }
        if (has_check(b)) {
                r = prove(b, err);
                if (r < 0)
                        return r;
        }
        if (b->opt->format == BUILD_FORMAT_ROOTFS) {
                r = write_rootfs(b, err);
                if (r < 0)
                        return r;
        }
        r = write_layer(b, err);
        if (r < 0)
                return r;
        r = write_image(b, first, multi, err);
        if (r < 0)
                return r;
        r = write_sbom(b, first, multi, err);
        if (r < 0)
                return r;
        store_free(b->st);
        b->st = NULL;
        cleanup_free char *staging = path_join(b->tmp_out, "staging");
        r = rm_rf(staging);
        stage_done(b, "output");
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "cannot remove %s", staging);
        summarise(b);
        return 0;
}

/* Each stage (in the order it first ran) followed by its parts ("select" by "select.elf", …),
 * into order[] (b->times.n slots); returns how many. */
static size_t stages_grouped(const struct build_ctx *b, size_t *order)
{
        size_t n = 0;
        for (size_t i = 0; i < b->times.n; i++) {
                const char *name = b->times.v[i].name;
                if (strchr(name, '.'))
                        continue;
                order[n++] = i;
                size_t len = strlen(name);
                for (size_t k = 0; k < b->times.n; k++) {
                        const char *part = b->times.v[k].name;
                        if (strncmp(part, name, len) == 0 && part[len] == '.')
                                order[n++] = k;
                }
        }
        return n;
}

/* {"STAGE": {"wall_s": W, "cpu_s": C}, …, "total": …} */
static json_t *timings_json(const struct build_ctx *b)
{
        json_t *o = json_object();
        cleanup_free size_t *order = xcalloc(b->times.n + 1, sizeof(*order));
        size_t n = stages_grouped(b, order);
        double wall, cpu;
        for (size_t i = 0; i < n; i++) {
                const struct stage_time *s = &b->times.v[order[i]];
                json_object_set_new(o, s->name,
                                    json_pack("{s:f,s:f}", "wall_s", s->wall_s, "cpu_s", s->cpu_s));
        }
        stage_timer_elapsed(&b->run, &wall, &cpu);
        json_object_set_new(o, "total", json_pack("{s:f,s:f}", "wall_s", wall, "cpu_s", cpu));
        return o;
}

static void print_summaries(const struct build_ctx *b)
{
        for (size_t i = 0; b->summaries && i < json_array_size(b->summaries); i++) {
                json_t *o = json_array_get(b->summaries, i);
                json_object_set_new(o, "timings", timings_json(b));
                json_dumpf(o, stdout, JSON_COMPACT);
                fputc('\n', stdout);
        }
}

/* -v: each stage with its parts indented under it; select.staging, counted inside the other
 * select parts, says so. */
static void print_timings(const struct build_ctx *b)
{
        double wall, cpu;
        if (b->opt->verbosity < 1)
                return;
        cleanup_free size_t *order = xcalloc(b->times.n + 1, sizeof(*order));
        size_t n = stages_grouped(b, order);
        fprintf(stderr, "time       %-20s %9s %9s\n", "stage", "wall s", "CPU s");
        for (size_t i = 0; i < n; i++) {
                const struct stage_time *s = &b->times.v[order[i]];
                bool part = strchr(s->name, '.') != NULL;
                fprintf(stderr, "time       %s%-*s %9.3f %9.3f%s\n", part ? "  " : "",
                        part ? 18 : 20, s->name, s->wall_s, s->cpu_s,
                        strcmp(s->name, "select.staging") == 0 ? "  (within the select parts)"
                                                               : "");
        }
        stage_timer_elapsed(&b->run, &wall, &cpu);
        fprintf(stderr, "time       %-20s %9.3f %9.3f\n", "total", wall, cpu);
}

static int run_pipeline(struct build_ctx *b, struct distill_error *err)
{
        int r = load_inputs(b, err);
        stage_done(b, "manifest");
        if (r < 0)
                return r;
        r = check_out_absent(b->opt, err);
        if (r < 0)
                return r;
        r = make_temp_sibling(b, err);
        if (r < 0)
                return r;
        /* --arch picks one; otherwise every architecture of the manifest, combined at output */
        struct strvec archs = STRVEC_INIT;
        if (b->opt->arch)
                strvec_push(&archs, b->opt->arch);
        else
                for (size_t i = 0; i < b->m->arch.n; i++)
                        strvec_push(&archs, b->m->arch.v[i]);
        if (b->m->image.zstd && b->opt->format == BUILD_FORMAT_DOCKER_ARCHIVE) {
                strvec_clear(&archs);
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: image.compression zstd cannot go into a "
                                         "docker-archive (the format has no zstd layers): use "
                                         "gzip, or the OCI layout",
                                         b->m->path);
        }
        if (archs.n > 1 && b->opt->format != BUILD_FORMAT_OCI) {
                strvec_clear(&archs);
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "--format %s holds one image: %s names several "
                                         "architectures, which need the OCI layout (an image "
                                         "index), or pick one with --arch",
                                         b->opt->format == BUILD_FORMAT_ROOTFS ? "rootfs"
                                                                               : "docker-archive",
                                         b->m->path);
        }
        struct oci_written *images = xcalloc(archs.n, sizeof(*images));
        for (size_t i = 0; i < archs.n && r >= 0; i++) {
                r = build_arch(b, archs.v[i], i == 0, archs.n > 1, err);
                images[i] = b->written;
                if (i + 1 < archs.n)
                        release_arch_state(b);
        }
        if (r >= 0)
                r = oci_write_index(b->tmp_out, b->ref, (const char *const *)archs.v, images,
                                    archs.n, err);
        if (r >= 0 && b->opt->format == BUILD_FORMAT_DOCKER_ARCHIVE) {
                cleanup_free char *blobs = xasprintf("%s/blobs/sha256", b->tmp_out);
                cleanup_free char *tar = path_join(b->tmp_out, "image.tar");
                r = docker_archive_write(blobs, b->ref, images[0].config_digest, b->layers,
                                         b->n_layers, b->epoch, tar, err);
        }
        free(images);
        strvec_clear(&archs);
        if (r < 0)
                return r;
        r = publish(b, err);
        stage_done(b, "output");
        if (r < 0)
                return r;
        print_summaries(b);
        if (b->opt->push) {
                struct publish_result pushed;
                progress(b, "push %s", b->opt->push);
                r = publish_image(b->opt->out, b->opt->push, b->opt->tls_verify, &pushed, err);
                if (r >= 0)
                        printf("pushed     %s@%s\n", b->opt->push, pushed.digest);
                for (size_t i = 0; r >= 0 && i < pushed.referrer_tags.n; i++)
                        printf("sboms      %zu referrers under the tag %s\n", pushed.n_referrers,
                               pushed.referrer_tags.v[i]);
                publish_result_release(&pushed);
                stage_done(b, "push");
                if (r < 0)
                        return r;
        }
        progress(b, "done");
        print_timings(b);
        return 0;
}

static void build_ctx_release(struct build_ctx *b)
{
        if (b->st)
                store_free(b->st);
        if (b->tmp_out) {
                rm_rf(b->tmp_out);
                free(b->tmp_out);
        }
        if (b->plan)
                plan_free(b->plan);
        pkgset_release(&b->candidates);
        if (b->src)
                source_free(b->src);
        rules_release(&b->rules);
        if (b->m)
                manifest_free(b->m);
        stage_times_release(&b->times);
        json_decref(b->summaries);
}

int build_resolve(const struct build_options *opt, struct plan **out, struct distill_error *err)
{
        struct build_ctx b = {.opt = opt};
        int r;

        clock_gettime(CLOCK_MONOTONIC, &b.started);
        stage_timer_start(&b.run);
        b.lap = b.run;
        *out = NULL;
        r = load_inputs(&b, err);
        if (r < 0)
                goto cleanup;
        b.tmp_out = temp_dir_make("resolve");
        if (!b.tmp_out) {
                r = distill_error_errno(err, DISTILL_EIO, errno,
                                        "cannot create a directory under %s", temp_base());
                goto cleanup;
        }
        r = make_plan(&b, err);
        if (r >= 0) {
                *out = b.plan;
                b.plan = NULL;
        }
cleanup:
        build_ctx_release(&b);
        return r;
}

int build_run(const struct build_options *opt, struct distill_error *err)
{
        struct build_ctx b = {.opt = opt};
        int r;

        clock_gettime(CLOCK_MONOTONIC, &b.started);
        stage_timer_start(&b.run);
        b.lap = b.run;
        r = run_pipeline(&b, err);
        build_ctx_release(&b);
        return r;
}

/* The manifest and rules of `distill lock`, which pins packages of an apt source only. */
static int lock_inputs(struct build_ctx *b, struct distill_error *err)
{
        int r = load_inputs(b, err);
        if (r >= 0 && b->m->source_kind != MANIFEST_SOURCE_APT)
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "%s: distill lock pins packages of an apt source "
                                      "(source: {apt: …})",
                                      b->m->path);
        return r < 0 ? r : load_rules(b, err);
}

int build_lock(const struct build_options *opt, const char *lock_path, struct distill_error *err)
{
        struct build_ctx b = {.opt = opt};
        int r;

        clock_gettime(CLOCK_MONOTONIC, &b.started);
        r = lock_inputs(&b, err);
        for (size_t i = 0; r >= 0 && i < b.m->arch.n; i++) {
                const char *arch = opt->arch ? opt->arch : b.m->arch.v[i];
                progress(&b, "lock %s", arch);
                b.arch = arch;
                r = source_open_apt(b.m, arch, opt->verbosity >= 0, &b.src, err);
                if (r >= 0)
                        r = solve(&b, err);
                if (r >= 0)
                        r = lock_write(lock_path, arch, &b.candidates, err);
                if (r >= 0)
                        progress(&b, "%s: %zu packages", arch, b.candidates.n);
                pkgset_release(&b.candidates);
                source_free(b.src);
                b.src = NULL;
                if (opt->arch)
                        break;
        }
        build_ctx_release(&b);
        return r;
}

/* The architectures a lock command covers: --arch, or every one of the manifest's. */
static void lock_archs(const struct build_ctx *b, struct strvec *out)
{
        if (b->opt->arch)
                strvec_push(out, b->opt->arch);
        else
                for (size_t i = 0; i < b->m->arch.n; i++)
                        strvec_push(out, b->m->arch.v[i]);
}

/* An update must never take a version below the lock's (the solver is told so); a lower
 * version the archive offers *instead* (a rollback, a stale or hostile mirror) is reported. */
static void report_downgrades(struct build_ctx *b, const struct lock_set *old)
{
        for (size_t i = 0; i < old->n; i++) {
                const struct lock_entry *e = &old->v[i];
                const char *newest = solve_newest_version(b->src, e->name);
                if (newest && solve_vercmp(b->src, newest, e->version) < 0)
                        fprintf(stderr,
                                "distill: %s: %s: the archive offers %s, lower than the locked "
                                "%s (a downgrade): not taken\n",
                                b->arch, e->name, newest, e->version);
        }
}

/* Why a package of the lock has no version to stay at, for the solver's failure: its locked
 * version is gone and nothing at or above it is offered. */
static void explain_gone(struct build_ctx *b, const struct lock_set *old, struct strbuf *why)
{
        for (size_t i = 0; i < old->n; i++) {
                const struct lock_entry *e = &old->v[i];
                const char *newest = solve_newest_version(b->src, e->name);
                if (solve_find_version(b->src, e->name, e->version) ||
                    (newest && solve_vercmp(b->src, newest, e->version) > 0))
                        continue;
                strbuf_addf(why, "%s %s is no longer served (the archive offers %s%s); ", e->name,
                            e->version, newest ? newest : "no version",
                            newest ? ", a downgrade, not taken" : "");
        }
}

/* A package --update did not name moves only when a named one needs it: one whose locked
 * version vanished must be named to move. */
static int check_unnamed_moves(struct build_ctx *b, const struct lock_set *old,
                               const struct strvec *names, const struct lock_change *ch,
                               size_t n_ch, struct distill_error *err)
{
        for (size_t i = 0; names->n && i < n_ch; i++) {
                if (ch[i].kind != LOCK_CHANGED || strvec_contains(names, ch[i].name))
                        continue;
                const struct lock_entry *e = lock_find(old, ch[i].name);
                if (e && !solve_find_version(b->src, e->name, e->version))
                        return distill_error_set(err, DISTILL_ERESOLVE,
                                                 "%s: %s: the locked %s is no longer served (the "
                                                 "archive offers %s): name it to update it "
                                                 "(distill lock --update %s)",
                                                 b->arch, e->name, e->version, ch[i].new_version,
                                                 e->name);
        }
        return 0;
}

static void print_changes(FILE *out, const char *arch, const struct lock_change *ch, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (ch[i].kind == LOCK_CHANGED)
                        fprintf(out, "%s: %s %s → %s\n", arch, ch[i].name, ch[i].old_version,
                                ch[i].new_version);
                else if (ch[i].kind == LOCK_ADDED)
                        fprintf(out, "%s: %s (new) → %s\n", arch, ch[i].name, ch[i].new_version);
                else
                        fprintf(out, "%s: %s %s → (removed)\n", arch, ch[i].name,
                                ch[i].old_version);
        }
}

/* One architecture of `lock --update`: b->src and b->candidates hold the new set. */
static int update_arch(struct build_ctx *b, const char *lock_path, const struct strvec *names,
                       FILE *out, struct distill_error *err)
{
        struct lock_set old = {0};
        struct lock_change *ch = NULL;
        size_t n_ch = 0;
        struct strbuf why = STRBUF_INIT;

        int r = lock_read(lock_path, b->arch, &old, err);
        for (size_t i = 0; r >= 0 && i < names->n; i++)
                if (!lock_find(&old, names->v[i]))
                        r = distill_error_set(err, DISTILL_EUSAGE,
                                              "%s: %s pins no package %s for %s (distill lock "
                                              "--update PKG updates locked packages)",
                                              b->m->path, lock_path, names->v[i], b->arch);
        if (r >= 0)
                r = source_open_apt(b->m, b->arch, b->opt->verbosity >= 0, &b->src, err);
        if (r >= 0) {
                report_downgrades(b, &old);
                cleanup_free struct solve_pin *pins = lock_pins(&old, names->n ? names : NULL);
                r = solve_pins(b, pins, old.n, err);
                if (r < 0) {
                        explain_gone(b, &old, &why);
                        if (why.len)
                                distill_error_prefix(err, "%s: %s", b->arch, why.buf);
                }
        }
        if (r >= 0) {
                n_ch = lock_diff(&old, &b->candidates, &ch);
                r = check_unnamed_moves(b, &old, names, ch, n_ch, err);
        }
        if (r >= 0)
                print_changes(out, b->arch, ch, n_ch);
        free(ch);
        strbuf_release(&why);
        lock_set_release(&old);
        return r;
}

int build_lock_update(const struct build_options *opt, const char *lock_path,
                      const struct strvec *names, FILE *out, struct distill_error *err)
{
        struct build_ctx b = {.opt = opt};
        struct strvec archs = STRVEC_INIT;
        struct source **srcs = NULL;
        struct pkgset *sets = NULL;
        size_t n = 0;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &b.started);
        r = lock_inputs(&b, err);
        if (r >= 0) {
                lock_archs(&b, &archs);
                srcs = xcalloc(archs.n + 1, sizeof(*srcs));
                sets = xcalloc(archs.n + 1, sizeof(*sets));
        }
        /* every architecture solved before anything is written: the lock changes all at once */
        for (size_t i = 0; r >= 0 && i < archs.n; i++, n++) {
                b.arch = archs.v[i];
                progress(&b, "lock --update %s", b.arch);
                r = update_arch(&b, lock_path, names, out, err);
                srcs[i] = b.src;
                sets[i] = b.candidates;
                b.src = NULL;
                b.candidates = (struct pkgset){0};
        }
        if (r >= 0)
                r = lock_write_archs(lock_path, (const char *const *)archs.v, sets, archs.n, err);
        for (size_t i = 0; i < n; i++) {
                pkgset_release(&sets[i]);
                if (srcs[i])
                        source_free(srcs[i]);
        }
        free(sets);
        free(srcs);
        strvec_clear(&archs);
        build_ctx_release(&b);
        return r;
}

/* One architecture of `lock --check`: problems appended to *why, one "; "-terminated item
 * each, every one naming its package. */
static int check_arch(struct build_ctx *b, const char *lock_path, struct strbuf *why,
                      struct distill_error *err)
{
        struct lock_set old = {0};
        struct lock_change *ch = NULL;
        struct solve_pin *pins = NULL;
        struct distill_error solve_err = {0};

        int r = lock_read(lock_path, b->arch, &old, err);
        if (r >= 0)
                r = source_open_apt(b->m, b->arch, b->opt->verbosity >= 0, &b->src, err);
        if (r < 0)
                goto done;
        for (size_t i = 0; i < old.n; i++) {
                const struct lock_entry *e = &old.v[i];
                const struct source_pkg *p = solve_find_version(b->src, e->name, e->version);
                const char *newest = solve_newest_version(b->src, e->name);
                if (!p)
                        strbuf_addf(why, "%s: %s %s is no longer served by the archive (%s%s); ",
                                    b->arch, e->name, e->version, newest ? "it offers " : "",
                                    newest ? newest : "no version at all");
                else if (!p->sha256 || strcmp(p->sha256, e->sha256) != 0)
                        strbuf_addf(why,
                                    "%s: %s %s: the archive serves another .deb (SHA-256 %s, "
                                    "the lock has %s); ",
                                    b->arch, e->name, e->version, p->sha256 ? p->sha256 : "none",
                                    e->sha256);
        }
        /* the manifest solved at the lock's versions: what is needed and what no longer is */
        pins = lock_pins(&old, NULL);
        for (size_t i = 0; i < old.n; i++)
                pins[i].keep = true;
        if (solve_pins(b, pins, old.n, &solve_err) < 0) {
                strbuf_addf(why, "%s: %s; ", b->arch, solve_err.msg);
                goto done;
        }
        size_t n_ch = lock_diff(&old, &b->candidates, &ch);
        for (size_t i = 0; i < n_ch; i++) {
                const struct lock_change *c = &ch[i];
                if (c->kind == LOCK_ADDED)
                        strbuf_addf(why, "%s: %s is needed by the manifest but not locked; ",
                                    b->arch, c->name);
                else if (c->kind == LOCK_REMOVED)
                        strbuf_addf(why, "%s: %s is locked but the manifest no longer needs it; ",
                                    b->arch, c->name);
                else if (solve_find_version(b->src, c->name, c->old_version))
                        strbuf_addf(why, "%s: %s: the lock has %s, the manifest now needs %s; ",
                                    b->arch, c->name, c->old_version, c->new_version);
        }
done:
        free(pins);
        free(ch);
        pkgset_release(&b->candidates);
        if (b->src)
                source_free(b->src);
        b->src = NULL;
        lock_set_release(&old);
        return r;
}

int build_lock_check(const struct build_options *opt, const char *lock_path,
                     struct distill_error *err)
{
        struct build_ctx b = {.opt = opt};
        struct strvec archs = STRVEC_INIT, locked = STRVEC_INIT;
        struct strbuf why = STRBUF_INIT;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &b.started);
        r = lock_inputs(&b, err);
        if (r >= 0)
                r = lock_architectures(lock_path, &locked, err);
        if (r >= 0)
                lock_archs(&b, &archs);
        for (size_t i = 0; r >= 0 && !opt->arch && i < locked.n; i++)
                if (!strvec_contains(&archs, locked.v[i]))
                        strbuf_addf(&why,
                                    "the lock pins architecture %s, which %s does not build; ",
                                    locked.v[i], b.m->path);
        for (size_t i = 0; r >= 0 && i < archs.n; i++) {
                b.arch = archs.v[i];
                if (!strvec_contains(&locked, b.arch)) {
                        strbuf_addf(&why, "%s: no packages locked for this architecture; ", b.arch);
                        continue;
                }
                progress(&b, "lock --check %s", b.arch);
                r = check_arch(&b, lock_path, &why, err);
        }
        if (r >= 0 && why.len) {
                why.buf[why.len - 2] = '\0'; /* the last "; " */
                r = distill_error_set(err, DISTILL_ERESOLVE,
                                      "%s no longer matches %s and its archive: %s", lock_path,
                                      b.m->path, why.buf);
        }
        strbuf_release(&why);
        strvec_clear(&locked);
        strvec_clear(&archs);
        build_ctx_release(&b);
        return r;
}
