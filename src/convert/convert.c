/* `distill convert` (convert.h): read the Dockerfile and its context, choose the interpreter's
 * release, map requirements and Alpine packages onto the package source, write the manifest
 * with a comment on every line that came from somewhere, and report. */
#include "distill/convert/convert.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include "distill/base/names.h"
#include "distill/base/arch.h"
#include "distill/base/dockerignore.h"
#include "distill/base/yamldoc.h"
#include "distill/convert/alpine.h"
#include "distill/convert/conversion.h"
#include "distill/convert/dockerfile.h"
#include "distill/convert/instructions.h"
#include "distill/convert/pychanges.h"
#include "distill/convert/pydist.h"
#include "distill/convert/release.h"
#include "distill/convert/reqmap.h"
#include "distill/input/manifest.h"
#include "distill/input/rules.h"
#include "distill/python/pyimports.h"
#include "distill/python/wheel.h"
#include "distill/source/apt.h"
#include "distill/source/source.h"
#include "distill/source/source_apt.h"

#define CONVERT_MAX_APP_FILES   100000
#define CONVERT_DEBIAN_MIRROR   "http://deb.debian.org/debian"
#define CONVERT_SECURITY_MIRROR "http://deb.debian.org/debian-security"
#define CONVERT_KEYRING         "/usr/share/keyrings/debian-archive-keyring.gpg"
#define CONVERT_SITE_PACKAGES   "site-packages" /* beside the manifest */

/* Everything one run holds; released by convert_release. */
struct convert {
        const struct convert_options *opt;
        struct conversion cv;
        char *dockerfile; /* absolute */
        char *output;     /* absolute */
        char *output_dir;
        struct dockerfile *df;
        struct dockerignore *di;
        const char *arch;

        /* the target */
        struct source *src;
        struct release_python py;
        char *root;        /* sysroot source: its root */
        char *source_yaml; /* the manifest's `source:` value */
        char *release;     /* "bookworm", or NULL for a sysroot */
        struct pydist_index *dists;

        /* the image's command */
        char *entry_script;             /* python.entrypoint */
        char *entry_module;             /* python.module */
        struct strvec image_entrypoint; /* image.entrypoint when the derived one is not enough */
        struct strvec image_cmd;
        char *command_origin;

        size_t unmapped;
        char *pip_command;
};

static void convert_release(struct convert *c)
{
        conversion_release(&c->cv);
        free(c->dockerfile);
        free(c->output);
        free(c->output_dir);
        dockerfile_free(c->df);
        dockerignore_free(c->di);
        if (c->src)
                source_free(c->src);
        release_python_release(&c->py);
        free(c->root);
        free(c->source_yaml);
        free(c->release);
        pydist_index_free(c->dists);
        free(c->entry_script);
        free(c->entry_module);
        strvec_clear(&c->image_entrypoint);
        strvec_clear(&c->image_cmd);
        free(c->command_origin);
        free(c->pip_command);
}

static char *absolute(const char *path)
{
        if (path[0] == '/')
                return path_normalize(path);
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd)))
                return path_normalize(path);
        cleanup_free char *joined = path_join(cwd, path);
        return path_normalize(joined);
}

/* ---- reading ------------------------------------------------------------------------------- */

static int read_dockerfile(struct convert *c, struct distill_error *err)
{
        cleanup_free char *text = NULL;
        size_t len;
        int r = read_file_capped(c->dockerfile, DOCKERFILE_MAX_SIZE, &text, &len);
        if (r == -EFBIG)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %d bytes",
                                         c->dockerfile, DOCKERFILE_MAX_SIZE);
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "reading %s", c->dockerfile);
        return dockerfile_parse(c->cv.dockerfile_name, text, len, NULL, 0, &c->df, err);
}

static int read_dockerignore(struct convert *c, struct distill_error *err)
{
        cleanup_free char *path = path_join(c->cv.context, ".dockerignore");
        if (access(path, F_OK) < 0)
                return 0;
        c->cv.dockerignore = xstrdup(path);
        return dockerignore_load(path, &c->di, err);
}

/* ---- the target: release, interpreter, package source ------------------------------------- */

/* The codename of the host's Debian release (/etc/os-release), or NULL. */
static char *host_codename(void)
{
        cleanup_free char *data = NULL;
        size_t len;
        if (read_file_capped("/etc/os-release", 1 << 16, &data, &len) < 0)
                return NULL;
        for (char *line = data; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (!strncmp(line, "VERSION_CODENAME=", 17))
                        return xstrdup(line + 17);
                line = nl ? nl + 1 : NULL;
        }
        return NULL;
}

static char *apt_source_yaml(const char *codename, bool host)
{
        if (host)
                return xstrdup("{apt: {sources: host}}");
        return xasprintf("\n  apt:\n    sources:\n"
                         "      - {uri: %s, suites: [%s, %s-updates], components: [main],\n"
                         "         signed-by: %s}\n"
                         "      - {uri: %s, suites: [%s-security], components: [main],\n"
                         "         signed-by: %s}",
                         CONVERT_DEBIAN_MIRROR, codename, codename, CONVERT_KEYRING,
                         CONVERT_SECURITY_MIRROR, codename, CONVERT_KEYRING);
}

/* What a manifest with `source: YAML` builds from: its package source, the apt configuration
 * (for the Contents indexes beside the Packages ones) and its cache directory. */
struct apt_target {
        struct source *src;
        struct apt_config cfg;
        char *cache;
};

static void apt_target_release(struct apt_target *t)
{
        if (t->src)
                source_free(t->src);
        apt_config_release(&t->cfg);
        free(t->cache);
        memset(t, 0, sizeof(*t));
}

static int open_apt_target(struct convert *c, const char *source_yaml, struct apt_target *t,
                           struct distill_error *err)
{
        memset(t, 0, sizeof(*t));
        cleanup_free char *text = xasprintf(
            "version: 1\nsource: %s\narch: %s\npackages: [python3]\n", source_yaml, c->arch);
        cleanup_free char *name = path_join(c->output_dir, "(convert)");
        struct manifest *m = NULL;
        int r = manifest_load_text(name, text, strlen(text), &m, err);
        if (r < 0)
                return r;
        r = source_open_apt(m, c->arch, !c->opt->json, &t->src, err);
        if (r == 0)
                r = source_apt_config(m, &t->cfg, err);
        t->cache = xstrdup(m->apt.cache);
        manifest_free(m);
        if (r < 0)
                apt_target_release(t);
        return r;
}

static int index_apt_dists(struct convert *c, const struct apt_target *t, struct distill_error *err)
{
        struct apt_fetch_options fo = {.cache_dir = t->cache,
                                       .arch = c->arch,
                                       .now = (int64_t)time(NULL),
                                       .progress = !c->opt->json};
        char **paths = NULL;
        size_t n = 0;
        int r = apt_fetch_python_contents(&t->cfg, &fo, &paths, &n, err);
        if (r == 0)
                r = pydist_index_contents((const char *const *)paths, n, &c->dists, err);
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
        return r;
}

static int choose_sysroot(struct convert *c, struct distill_error *err)
{
        c->root = absolute(c->opt->sysroot ? c->opt->sysroot : "/");
        int r = source_open_sysroot(c->root, c->arch, &c->src, err);
        if (r < 0)
                return r;
        if ((r = release_python_of(c->src, &c->py, err)) < 0)
                return distill_error_prefix(err, "sysroot %s: ", c->root);
        const char *want = c->opt->python ? c->opt->python : c->cv.from_python;
        if (c->opt->python && release_compare_xy(c->py.xy, c->opt->python) != 0)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "--python %s: the sysroot %s has Python %s; use "
                                         "--source apt to build from the Debian release that "
                                         "ships %s",
                                         c->opt->python, c->root, c->py.xy, c->opt->python);
        if (want && release_compare_xy(c->py.xy, want) < 0)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: FROM %s needs Python %s, and the sysroot %s has "
                                         "%s, which is older: use --source apt (a release with "
                                         "Python >= %s), never a silent downgrade",
                                         c->cv.dockerfile_name, c->cv.from_image, want, c->root,
                                         c->py.xy, want);
        c->source_yaml =
            strcmp(c->root, "/") ? xasprintf("{sysroot: %s}", c->root) : xstrdup("{sysroot: /}");
        return pydist_index_source(c->src, &c->dists, err);
}

static void note_support(struct convert *c, const struct debian_release *rel, int64_t today)
{
        if (debian_release_security(rel, today))
                return;
        char end[32] = "?", lts[32] = "?";
        time_t t = (time_t)(rel->eol * 86400);
        strftime(end, sizeof(end), "%Y-%m-%d", gmtime(&t));
        t = (time_t)(rel->eol_lts * 86400);
        if (rel->eol_lts >= 0)
                strftime(lts, sizeof(lts), "%Y-%m-%d", gmtime(&t));
        cv_note(&c->cv,
                "Debian %s (%s) reached its end of life on %s: it gets no regular security "
                "updates%s%s%s",
                rel->version, rel->codename, end,
                rel->eol_lts >= 0 ? (debian_release_supported(rel, today) ? ", only LTS ones until "
                                                                          : "; its LTS ended on ")
                                  : "",
                rel->eol_lts >= 0 ? lts : "",
                debian_release_supported(rel, today) ? "" : "; move to a newer Python");
}

/* --source apt: the release that ships --python exactly, or by default the oldest supported
 * one whose Python is at least the Dockerfile's. */
static int choose_release(struct convert *c, struct distill_error *err)
{
        struct debian_releases rels = {0};
        int r = debian_releases_load(RELEASE_DISTRO_INFO, &rels, err);
        if (r < 0)
                return r;
        int64_t today = (int64_t)time(NULL) / 86400;
        cleanup_free char *host = host_codename();
        const char *want = c->opt->python ? c->opt->python : c->cv.from_python;
        struct strbuf tried = STRBUF_INIT;
        struct apt_target target = {0};
        /* --python: newest first (the exact version may be in an old release); else oldest
         * supported first */
        for (size_t k = 0; k < rels.n && !c->src; k++) {
                const struct debian_release *rel =
                    c->opt->python ? &rels.v[rels.n - 1 - k] : &rels.v[k];
                if (c->opt->python ? rel->release < 0 || rel->release > today
                                   : !debian_release_supported(rel, today))
                        continue;
                bool is_host = host && !strcmp(host, rel->codename);
                if (!want && !is_host)
                        continue; /* no version asked: the host's own release */
                cleanup_free char *yaml = apt_source_yaml(rel->codename, is_host);
                struct distill_error e = {0};
                apt_target_release(&target);
                if (open_apt_target(c, yaml, &target, &e) < 0) {
                        strbuf_addf(&tried, "; %s: %s", rel->codename, e.msg);
                        if (c->opt->python)
                                continue;
                        debian_releases_release(&rels);
                        strbuf_release(&tried);
                        *err = e;
                        return -e.code; /* target was released by the failed open */
                }
                struct release_python py;
                if (release_python_of(target.src, &py, &e) < 0) {
                        strbuf_addf(&tried, "; %s: %s", rel->codename, e.msg);
                        continue;
                }
                bool fits = !want || (c->opt->python ? release_compare_xy(py.xy, want) == 0
                                                     : release_compare_xy(py.xy, want) >= 0);
                strbuf_addf(&tried, "; %s has %s", rel->codename, py.xy);
                if (!fits) {
                        release_python_release(&py);
                        continue;
                }
                c->src = target.src; /* the source is the conversion's now */
                target.src = NULL;
                c->py = py;
                c->release = xstrdup(rel->codename);
                c->source_yaml = xstrdup(yaml);
                note_support(c, rel, today);
        }
        debian_releases_release(&rels);
        if (!c->src) {
                r = distill_error_set(err, DISTILL_ERESOLVE, "no %sDebian release %s Python %s%s",
                                      c->opt->python ? "" : "supported ",
                                      c->opt->python ? "ships" : "has", want ? want : "3",
                                      strbuf_str(&tried));
                strbuf_release(&tried);
                apt_target_release(&target);
                return r;
        }
        strbuf_release(&tried);
        /* the chosen release's configuration and cache, for its Contents indexes */
        r = index_apt_dists(c, &target, err);
        apt_target_release(&target);
        return r;
}

static int choose_target(struct convert *c, struct distill_error *err)
{
        int r = c->opt->source == CONVERT_SOURCE_SYSROOT ? choose_sysroot(c, err)
                                                         : choose_release(c, err);
        if (r < 0)
                return r;
        const char *from = c->cv.from_python;
        if (from && release_compare_xy(c->py.xy, from) != 0)
                cv_note(&c->cv,
                        "the Dockerfile's Python is %s, the image's is %s (%s): code and wheels "
                        "built for %s may behave differently; see the stdlib changes below, and "
                        "--python %s --source apt to keep %s",
                        from, c->py.xy, c->release ? c->release : "the sysroot", from, from, from);
        return 0;
}

/* ---- the command --------------------------------------------------------------------------- */

static bool is_python_argv0(const char *argv0)
{
        const char *base = path_basename(argv0);
        if (strncmp(base, "python", 6))
                return false;
        return strspn(base + 6, "0123456789.") == strlen(base + 6);
}

static void push_all(struct strvec *into, char *const *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                strvec_push(into, v[i]);
}

/* A console script of a requirement ("gunicorn") runs as `python -m NAME` when the package is
 * one of the mapped requirements. */
static bool is_requirement(const struct conversion *cv, const char *name)
{
        for (size_t i = 0; i < cv->n_reqs; i++)
                if (cv->reqs[i].name && cv->reqs[i].package && !strcmp(cv->reqs[i].name, name))
                        return true;
        return false;
}

static void resolve_command(struct convert *c)
{
        struct conversion *cv = &c->cv;
        struct strvec argv = STRVEC_INIT;
        if (cv->has_entrypoint)
                push_all(&argv, cv->entrypoint.v, cv->entrypoint.n);
        size_t n_ep = argv.n;
        if (cv->has_cmd)
                push_all(&argv, cv->cmd.v, cv->cmd.n);
        int line = cv->has_entrypoint ? cv->entrypoint_line : cv->cmd_line;
        c->command_origin = xasprintf("%s:%d", cv->dockerfile_name, line);
        if (!argv.n) {
                cv_note(cv, "the Dockerfile sets no CMD or ENTRYPOINT: set python.entrypoint");
                strvec_clear(&argv);
                return;
        }
        size_t i = 1, rest;
        if (is_python_argv0(argv.v[0])) {
                for (; i < argv.n && argv.v[i][0] == '-' && strcmp(argv.v[i], "-m"); i++) {
                        if (!strcmp(argv.v[i], "-u")) {
                                cv_env_set(cv, "PYTHONUNBUFFERED", "1");
                                cv_note(cv, "python -u became PYTHONUNBUFFERED=1");
                        } else if (!strcmp(argv.v[i], "-B")) {
                                cv_note(cv,
                                        "python -B dropped: the image's .pyc are made at build");
                        } else {
                                cv_note(cv,
                                        "python option %s dropped: set it in image.entrypoint "
                                        "if the app needs it",
                                        argv.v[i]);
                        }
                }
                if (i + 1 < argv.n && !strcmp(argv.v[i], "-m")) {
                        c->entry_module = xstrdup(argv.v[i + 1]);
                        rest = i + 2;
                } else if (i < argv.n) {
                        cleanup_free char *joined =
                            path_join(cv->workdir ? cv->workdir : "/", argv.v[i]);
                        c->entry_script = path_normalize(argv.v[i][0] == '/' ? argv.v[i] : joined);
                        rest = i + 1;
                } else {
                        cv_note(cv, "the command starts the interactive interpreter: set "
                                    "python.entrypoint");
                        strvec_clear(&argv);
                        return;
                }
        } else {
                cleanup_free char *name =
                    pep503_normalize(path_basename(argv.v[0]), strlen(path_basename(argv.v[0])));
                if (!is_requirement(cv, name)) {
                        cv_report(cv, line, argv.v[0], CV_REVIEW,
                                  "the command runs %s, not a Python script or a requirement's "
                                  "command: set python.entrypoint (or list the program under "
                                  "binaries) by hand",
                                  argv.v[0]);
                        strvec_clear(&argv);
                        return;
                }
                c->entry_module = xstrdup(name);
                cv_note(cv,
                        "%s runs as `python -m %s` (its console script needs no shell "
                        "wrapper)",
                        argv.v[0], name);
                rest = 1;
        }
        /* arguments the ENTRYPOINT fixed stay fixed; CMD's stay overridable */
        if (cv->has_entrypoint && cv->has_cmd && rest < n_ep) {
                strvec_push(&c->image_entrypoint, c->py.interpreter);
                if (c->entry_module) {
                        strvec_push(&c->image_entrypoint, "-m");
                        strvec_push(&c->image_entrypoint, c->entry_module);
                } else {
                        strvec_push(&c->image_entrypoint, c->entry_script);
                }
                for (size_t k = rest; k < n_ep; k++)
                        strvec_push(&c->image_entrypoint, argv.v[k]);
                rest = n_ep;
        }
        for (size_t k = rest; k < argv.n; k++)
                strvec_push(&c->image_cmd, argv.v[k]);
        strvec_clear(&argv);
}

/* ---- Alpine packages ----------------------------------------------------------------------- */

static int map_alpine(struct convert *c, struct distill_error *err)
{
        struct conversion *cv = &c->cv;
        if (!cv->apk.n)
                return 0;
        cleanup_free char *rules = NULL;
        int r = rules_shipped_dir(&rules, err);
        if (r < 0)
                return r;
        cleanup_free char *path = path_join(rules, ALPINE_PACKAGES_FILE);
        struct alpine_map *map = NULL;
        if ((r = alpine_map_load(path, &map, err)) < 0)
                return r;
        for (size_t i = 0; i < cv->apk.n; i++) {
                struct alpine_answer a;
                alpine_map_lookup(map, cv->apk.v[i], &a);
                int line = atoi(strrchr(cv->apk_origins.v[i], ':') + 1);
                cleanup_free char *what = xasprintf("apk add %s", cv->apk.v[i]);
                const char *debian = NULL;
                switch (a.kind) {
                case ALPINE_DROP:
                        cv_report(cv, line, what, CV_DROPPED, "%s", a.reason);
                        break;
                case ALPINE_PYTHON:
                        cv_add_requirement(cv, a.distribution, cv->apk_origins.v[i]);
                        cv_report(cv, line, what, CV_CONVERTED,
                                  "the Python distribution %s, mapped as a requirement",
                                  a.distribution);
                        break;
                case ALPINE_DEBIAN:
                        for (size_t k = 0; k < a.debian->n && !debian; k++)
                                if (source_find(c->src, a.debian->v[k]))
                                        debian = a.debian->v[k];
                        if (debian) {
                                cleanup_free char *why =
                                    xasprintf("apk add %s (%s)", a.name, cv->apk_origins.v[i]);
                                cv_add_whole_package(cv, debian, why);
                                cv_report(cv, line, what, CV_CONVERTED,
                                          "Debian package %s, kept whole", debian);
                        } else {
                                cv_report(cv, line, what, CV_REVIEW,
                                          "none of its Debian counterparts is in the source");
                        }
                        break;
                case ALPINE_UNKNOWN:
                        cv_report(cv, line, what, CV_REVIEW,
                                  "no known Debian counterpart: add the package that ships "
                                  "the same files to packages:");
                        break;
                }
                alpine_answer_release(&a);
        }
        alpine_map_free(map);
        return 0;
}

/* ---- stdlib changes between the Dockerfile's Python and the image's ----------------------- */

static void app_imports(struct convert *c, struct strvec *imports)
{
        struct conversion *cv = &c->cv;
        for (size_t i = 0; i < cv->n_copies; i++) {
                const struct cv_copy *cp = &cv->copies[i];
                cleanup_free char *host = path_join(cv->context, cp->from);
                struct strvec files = STRVEC_INIT;
                struct distill_error ignored = {0};
                if (cp->is_dir) {
                        if (dockerignore_walk(c->di, host, &files, &ignored) < 0)
                                continue;
                } else {
                        strvec_push(&files, "");
                }
                for (size_t f = 0; f < files.n && f < CONVERT_MAX_APP_FILES; f++) {
                        size_t len = strlen(files.v[f]);
                        const char *name = *files.v[f] ? files.v[f] : cp->from;
                        if (strlen(name) < 3 || strcmp(name + strlen(name) - 3, ".py"))
                                continue;
                        cleanup_free char *path = len ? path_join(host, files.v[f]) : xstrdup(host);
                        cleanup_free char *src = NULL;
                        size_t n;
                        if (read_file_capped(path, PYIMPORTS_MAX_SOURCE, &src, &n) < 0)
                                continue;
                        struct py_scan scan = {0};
                        if (pyimports_scan(src, n, path, py_grammar_of(c->cv.from_python), &scan,
                                           &ignored) < 0)
                                continue;
                        for (size_t k = 0; k < scan.n_imports; k++)
                                if (scan.imports[k].level == 0 && *scan.imports[k].module &&
                                    !strvec_contains(imports, scan.imports[k].module))
                                        strvec_push(imports, scan.imports[k].module);
                        py_scan_release(&scan);
                }
                strvec_clear(&files);
        }
}

static int note_stdlib_changes(struct convert *c, struct distill_error *err)
{
        const char *from = c->cv.from_python;
        if (!from || release_compare_xy(from, c->py.xy) >= 0)
                return 0;
        cleanup_free char *rules = NULL;
        int r = rules_shipped_dir(&rules, err);
        if (r < 0)
                return r;
        cleanup_free char *path = path_join(rules, PYCHANGES_FILE);
        struct pychanges *changes = NULL;
        if ((r = pychanges_load(path, &changes, err)) < 0)
                return r;
        struct strvec imports = STRVEC_INIT;
        app_imports(c, &imports);
        struct pychange_hit *hits = NULL;
        size_t n = 0;
        pychanges_between(changes, from, c->py.xy, &imports, &hits, &n);
        for (size_t i = 0; i < n; i++)
                cv_note(&c->cv, "the app imports %s, which Python %s %s%s", hits[i].module,
                        hits[i].version, hits[i].removed ? "removed" : "deprecated",
                        hits[i].removed ? ": it fails to import in the image" : "");
        if (!n)
                cv_note(&c->cv,
                        "no module the app imports was removed or deprecated between "
                        "Python %s and %s",
                        from, c->py.xy);
        pychange_hits_free(hits, n);
        strvec_clear(&imports);
        pychanges_free(changes);
        return 0;
}

/* ---- writing the manifest ------------------------------------------------------------------ */

/* A path of the context as the manifest (in its own directory) names it. */
static char *manifest_relative(const struct convert *c, const char *context_rel)
{
        cleanup_free char *abs = path_join(c->cv.context, context_rel);
        cleanup_free char *norm = path_normalize(abs);
        if (!strcmp(norm, c->output_dir))
                return xstrdup(".");
        if (path_has_prefix(norm, c->output_dir)) {
                const char *rest = norm + strlen(c->output_dir);
                while (*rest == '/')
                        rest++;
                return xasprintf("./%s", rest);
        }
        return xstrdup(norm);
}

#define CONVERT_COMMENT_WIDTH 98

/* Comment lines, the text wrapped at spaces to the width (a word longer than it stays whole) */
static void put_comment(struct strbuf *sb, const char *indent, const char *text)
{
        size_t room = CONVERT_COMMENT_WIDTH - strlen(indent) - 2;
        for (const char *p = text; *p;) {
                size_t n = strcspn(p, "\n");
                if (n > room) {
                        size_t cut = room;
                        while (cut > 0 && p[cut] != ' ')
                                cut--;
                        if (cut == 0)
                                cut = strcspn(p + room, " \n") + room;
                        n = cut < n ? cut : n;
                }
                strbuf_addf(sb, "%s# %.*s\n", indent, (int)n, p);
                p += n;
                while (*p == ' ' || *p == '\n')
                        p++;
        }
}

static void put_scalar(struct strbuf *sb, const char *s)
{
        char *t = yaml_scalar_text(s);
        strbuf_adds(sb, t);
        free(t);
}

static void put_flow_list(struct strbuf *sb, const struct strvec *v)
{
        strbuf_addch(sb, '[');
        for (size_t i = 0; i < v->n; i++) {
                if (i)
                        strbuf_adds(sb, ", ");
                put_scalar(sb, v->v[i]);
        }
        strbuf_addch(sb, ']');
}

static void put_line_comment(struct strbuf *sb, const char *comment)
{
        if (comment && *comment)
                strbuf_addf(sb, "  # %s", comment);
        strbuf_addch(sb, '\n');
}

static void write_head(const struct convert *c, struct strbuf *sb)
{
        const struct conversion *cv = &c->cv;
        strbuf_addf(sb, "# Converted by `distill convert` from %s (FROM %s).\n",
                    cv->dockerfile_name, cv->from_image ? cv->from_image : "?");
        strbuf_adds(sb, "# Comments say which line each setting came from; `distill convert "
                        "--json` gives the\n# whole report.\n");
        for (size_t i = 0; i < cv->notes.n; i++)
                put_comment(sb, "", cv->notes.v[i]);
        strbuf_adds(sb, "version: 1\n");
        /* a flow mapping on the line, or a block starting on the next */
        strbuf_addf(sb, "source:%s%s\n", c->source_yaml[0] == '\n' ? "" : " ", c->source_yaml);
        strbuf_addf(sb, "arch: %s\n", c->arch);
}

static void write_packages(const struct convert *c, struct strbuf *sb)
{
        const struct conversion *cv = &c->cv;
        strbuf_adds(sb, "packages:\n  - ");
        put_scalar(sb, c->py.minimal);
        cleanup_free char *why = xasprintf("the interpreter, Python %s%s%s", c->py.full,
                                           c->release ? " of " : "", c->release ? c->release : "");
        put_line_comment(sb, why);
        for (size_t i = 0; i < cv->packages.n; i++) {
                bool whole = strvec_contains(&cv->packages_whole, cv->packages.v[i]);
                strbuf_adds(sb, whole ? "  - {name: " : "  - ");
                put_scalar(sb, cv->packages.v[i]);
                strbuf_adds(sb, whole ? ", keep: all}" : "");
                put_line_comment(sb, cv->package_why.v[i]);
        }
        for (size_t i = 0; i < cv->n_reqs; i++) {
                const struct cv_requirement *q = &cv->reqs[i];
                if (q->outcome != CV_MANUAL)
                        continue;
                cleanup_free char *line = xasprintf("UNMAPPED %s (%s): %s", q->text, q->origin,
                                                    q->detail ? q->detail : "");
                put_comment(sb, "  ", line);
        }
}

static void write_python(const struct convert *c, struct strbuf *sb)
{
        const struct conversion *cv = &c->cv;
        strbuf_adds(sb, "python:\n  interpreter: ");
        put_scalar(sb, c->py.interpreter);
        strbuf_addch(sb, '\n');
        bool any_app = false;
        for (size_t i = 0; i < cv->n_copies; i++)
                any_app |= cv->copies[i].is_dir;
        if (any_app) {
                strbuf_adds(sb, "  app:\n");
                for (size_t i = 0; i < cv->n_copies; i++) {
                        const struct cv_copy *cp = &cv->copies[i];
                        if (!cp->is_dir)
                                continue;
                        cleanup_free char *from = manifest_relative(c, cp->from);
                        strbuf_adds(sb, "    - {from: ");
                        put_scalar(sb, from);
                        strbuf_adds(sb, ", to: ");
                        put_scalar(sb, cp->to);
                        if (c->cv.dockerignore) {
                                cleanup_free char *di = manifest_relative(c, ".dockerignore");
                                strbuf_adds(sb, ", dockerignore: ");
                                put_scalar(sb, di);
                        }
                        strbuf_adds(sb, "}");
                        cleanup_free char *why =
                            xasprintf("COPY (%s:%d)", cv->dockerfile_name, cp->line);
                        put_line_comment(sb, why);
                }
        }
        if (c->entry_script) {
                strbuf_adds(sb, "  entrypoint: ");
                put_scalar(sb, c->entry_script);
                put_line_comment(sb, c->command_origin);
        } else if (c->entry_module) {
                strbuf_adds(sb, "  module: ");
                put_scalar(sb, c->entry_module);
                put_line_comment(sb, c->command_origin);
        }
        if (c->unmapped) {
                put_comment(sb, "  ",
                            "the requirements no package of the source satisfies; "
                            "fill the directory, from the manifest's directory, with:");
                /* one line, whatever its length: it is meant to be copied */
                strbuf_addf(sb, "  # %s\n", c->pip_command);
                strbuf_addf(sb, "  site-packages: [./%s]\n", CONVERT_SITE_PACKAGES);
        }
}

static bool covered_by_app(const struct conversion *cv, const struct cv_copy *file)
{
        for (size_t i = 0; i < cv->n_copies; i++) {
                const struct cv_copy *d = &cv->copies[i];
                if (!d->is_dir)
                        continue;
                /* the same context file lands at the same place through the directory */
                bool from_inside = !strcmp(d->from, ".") || path_has_prefix(file->from, d->from);
                if (!from_inside)
                        continue;
                const char *rest = strcmp(d->from, ".") ? file->from + strlen(d->from) : file->from;
                while (*rest == '/')
                        rest++;
                cleanup_free char *via = path_join(d->to, rest);
                if (!strcmp(via, file->to))
                        return true;
        }
        return false;
}

static void write_files(const struct convert *c, struct strbuf *sb)
{
        const struct conversion *cv = &c->cv;
        bool header = false;
        for (size_t i = 0; i < cv->n_copies; i++) {
                const struct cv_copy *cp = &cv->copies[i];
                if (cp->is_dir || covered_by_app(cv, cp))
                        continue;
                if (!header)
                        strbuf_adds(sb, "files:\n  add:\n");
                header = true;
                cleanup_free char *from = manifest_relative(c, cp->from);
                strbuf_adds(sb, "    - {from: ");
                put_scalar(sb, from);
                strbuf_adds(sb, ", to: ");
                put_scalar(sb, cp->to);
                strbuf_adds(sb, "}");
                cleanup_free char *why = xasprintf("COPY (%s:%d)", cv->dockerfile_name, cp->line);
                put_line_comment(sb, why);
        }
}

static void put_kv_block(struct strbuf *sb, const char *key, const struct strvec *keys,
                         const struct strvec *values)
{
        if (!keys->n)
                return;
        strbuf_addf(sb, "  %s:\n", key);
        for (size_t i = 0; i < keys->n; i++) {
                strbuf_adds(sb, "    ");
                put_scalar(sb, keys->v[i]);
                strbuf_adds(sb, ": ");
                put_scalar(sb, values->v[i]);
                strbuf_addch(sb, '\n');
        }
}

static char *image_ref(const struct convert *c)
{
        const char *base = path_basename(c->cv.context);
        struct strbuf name = STRBUF_INIT;
        for (const char *p = base; *p; p++) {
                char ch = (char)tolower((unsigned char)*p);
                if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
                        strbuf_addch(&name, ch);
                else if (name.len && name.buf[name.len - 1] != '-')
                        strbuf_addch(&name, '-');
        }
        while (name.len && name.buf[name.len - 1] == '-')
                name.buf[--name.len] = '\0';
        char *ref = xasprintf("localhost/%s:latest", name.len ? strbuf_str(&name) : "app");
        strbuf_release(&name);
        return ref;
}

static void write_user_and_image(const struct convert *c, struct strbuf *sb)
{
        const struct conversion *cv = &c->cv;
        if (cv->user) {
                strbuf_adds(sb, "user: {name: ");
                put_scalar(sb, cv->user);
                strbuf_adds(sb, "}");
                put_line_comment(sb, "USER; UID/GID 1000 (distill's policy)");
        }
        strbuf_adds(sb, "image:\n  ref: ");
        cleanup_free char *ref = image_ref(c);
        put_scalar(sb, ref);
        strbuf_addch(sb, '\n');
        if (c->image_entrypoint.n) {
                strbuf_adds(sb, "  entrypoint: ");
                put_flow_list(sb, &c->image_entrypoint);
                put_line_comment(sb, c->command_origin);
        }
        if (c->image_cmd.n) {
                strbuf_adds(sb, "  cmd: ");
                put_flow_list(sb, &c->image_cmd);
                put_line_comment(sb, c->command_origin);
        }
        struct strvec keys = STRVEC_INIT, values = STRVEC_INIT;
        for (size_t i = 0; i < cv->env.n; i++) {
                const char *eq = strchr(cv->env.v[i], '=');
                strvec_push_nodup(&keys, xstrndup(cv->env.v[i], (size_t)(eq - cv->env.v[i])));
                strvec_push(&values, eq + 1);
        }
        put_kv_block(sb, "env", &keys, &values);
        strvec_clear(&keys);
        strvec_clear(&values);
        if (cv->workdir) {
                strbuf_adds(sb, "  workdir: ");
                put_scalar(sb, cv->workdir);
                strbuf_addch(sb, '\n');
        }
        put_kv_block(sb, "labels", &cv->label_keys, &cv->label_values);
        if (cv->ports.n) {
                strbuf_adds(sb, "  exposed-ports: ");
                put_flow_list(sb, &cv->ports);
                strbuf_addch(sb, '\n');
        }
        if (cv->volumes.n) {
                strbuf_adds(sb, "  volumes: ");
                put_flow_list(sb, &cv->volumes);
                strbuf_addch(sb, '\n');
        }
        if (cv->stop_signal) {
                strbuf_adds(sb, "  stop-signal: ");
                put_scalar(sb, cv->stop_signal);
                strbuf_addch(sb, '\n');
        }
}

static char *manifest_text(const struct convert *c)
{
        struct strbuf sb = STRBUF_INIT;
        write_head(c, &sb);
        write_packages(c, &sb);
        write_python(c, &sb);
        write_files(c, &sb);
        write_user_and_image(c, &sb);
        return strbuf_detach(&sb);
}

/* ---- the report ---------------------------------------------------------------------------- */

static json_t *report_json(const struct convert *c, bool builds)
{
        const struct conversion *cv = &c->cv;
        json_t *o = json_object();
        json_object_set_new(o, "dockerfile", json_string(c->dockerfile));
        json_object_set_new(o, "manifest", json_string(c->output));
        json_t *py = json_object();
        json_object_set_new(py, "from",
                            cv->from_python ? json_string(cv->from_python) : json_null());
        json_object_set_new(py, "image", json_string(c->py.xy));
        json_object_set_new(py, "full", json_string(c->py.full));
        json_object_set_new(py, "interpreter", json_string(c->py.interpreter));
        json_object_set_new(py, "release", c->release ? json_string(c->release) : json_null());
        json_object_set_new(o, "python", py);
        json_object_set_new(o, "instructions", json_incref(cv->report));
        json_t *reqs = json_array();
        for (size_t i = 0; i < cv->n_reqs; i++) {
                const struct cv_requirement *q = &cv->reqs[i];
                json_t *r = json_object();
                json_object_set_new(r, "requirement", json_string(q->text));
                json_object_set_new(r, "origin", json_string(q->origin));
                json_object_set_new(r, "outcome", json_string(cv_outcome_name(q->outcome)));
                json_object_set_new(r, "package",
                                    q->package ? json_string(q->package) : json_null());
                json_object_set_new(r, "version",
                                    q->version ? json_string(q->version) : json_null());
                json_object_set_new(r, "detail", json_string(q->detail ? q->detail : ""));
                json_array_append_new(reqs, r);
        }
        json_object_set_new(o, "requirements", reqs);
        json_t *notes = json_array();
        for (size_t i = 0; i < cv->notes.n; i++)
                json_array_append_new(notes, json_string(cv->notes.v[i]));
        json_object_set_new(o, "notes", notes);
        json_object_set_new(o, "site-packages-command",
                            c->pip_command ? json_string(c->pip_command) : json_null());
        json_object_set_new(o, "builds", json_boolean(builds));
        return o;
}

static void print_report_text(const struct convert *c, bool builds)
{
        const struct conversion *cv = &c->cv;
        size_t n = json_array_size(cv->report);
        for (size_t i = 0; i < n; i++) {
                json_t *it = json_array_get(cv->report, i);
                long long line = json_integer_value(json_object_get(it, "line"));
                const char *text = json_string_value(json_object_get(it, "instruction"));
                const char *detail = json_string_value(json_object_get(it, "detail"));
                printf("%s:%lld: %-9s %.60s%s\n", cv->dockerfile_name, line,
                       json_string_value(json_object_get(it, "outcome")), text,
                       strlen(text) > 60 ? "…" : "");
                if (detail && *detail)
                        printf("    %s\n", detail);
        }
        for (size_t i = 0; i < cv->n_reqs; i++) {
                const struct cv_requirement *q = &cv->reqs[i];
                printf("%s: %-9s requirement %s\n    %s\n", q->origin, cv_outcome_name(q->outcome),
                       q->text, q->detail ? q->detail : "");
        }
        for (size_t i = 0; i < cv->notes.n; i++)
                printf("note: %s\n", cv->notes.v[i]);
        if (c->pip_command)
                printf("fill python.site-packages, in %s, with:\n    %s\n", c->output_dir,
                       c->pip_command);
        printf("wrote %s (%s)\n", c->output,
               builds ? "builds as written" : "some requirements are unmapped: see above");
}

/* ---- driver -------------------------------------------------------------------------------- */

static int set_paths(struct convert *c, struct distill_error *err)
{
        const struct convert_options *opt = c->opt;
        struct conversion *cv = &c->cv;
        if (opt->dockerfile)
                c->dockerfile = absolute(opt->dockerfile);
        else {
                cleanup_free char *in = path_join(opt->context ? opt->context : ".", "Dockerfile");
                c->dockerfile = absolute(in);
        }
        cv->dockerfile_name = opt->dockerfile ? opt->dockerfile : "Dockerfile";
        cv->context = opt->context ? absolute(opt->context) : path_dirname(c->dockerfile);
        struct stat st;
        if (stat(cv->context, &st) < 0 || !S_ISDIR(st.st_mode))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "the build context %s is not a directory", cv->context);
        if (opt->output)
                c->output = absolute(opt->output);
        else
                c->output = path_join(cv->context, "distill.yaml");
        c->output_dir = path_dirname(c->output);
        if (stat(c->output_dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: no such directory",
                                         c->output_dir);
        if (!opt->force && access(c->output, F_OK) == 0)
                return distill_error_set(err, DISTILL_EUSAGE, "%s exists; --force replaces it",
                                         c->output);
        const char *arch = opt->arch ? opt->arch : arch_host();
        if (!arch || !arch_lookup(arch))
                return distill_error_set(err, DISTILL_EUSAGE, "unknown architecture %s",
                                         arch ? arch : "(host)");
        c->arch = arch;
        return 0;
}

static int fill_pip_command(struct convert *c)
{
        struct strvec reqs = STRVEC_INIT;
        for (size_t i = 0; i < c->cv.n_reqs; i++)
                if (c->cv.reqs[i].outcome == CV_MANUAL)
                        strvec_push(&reqs, c->cv.reqs[i].text);
        cleanup_free char *dir = xasprintf("./%s", CONVERT_SITE_PACKAGES);
        c->pip_command = wheel_pip_target_command(dir, c->py.xy, c->py.glibc ? c->py.glibc : "2.17",
                                                  c->arch, (const char *const *)reqs.v, reqs.n);
        strvec_clear(&reqs);
        return 0;
}

/* The manifest as written must load: what does not (an entrypoint outside every python.app) is
 * said in the report rather than found by the first build. */
static bool manifest_loads(struct convert *c, const char *text)
{
        struct manifest *m = NULL;
        struct distill_error e = {0};
        int r = manifest_load_text(c->output, text, strlen(text), &m, &e);
        if (r == 0) {
                manifest_free(m);
                return true;
        }
        /* a site-packages directory still to fill is expected */
        if (c->unmapped && strstr(e.msg, CONVERT_SITE_PACKAGES))
                return false;
        cv_note(&c->cv, "the manifest does not load as written: %s", e.msg);
        return false;
}

/* The manifest written into the build context ships with `COPY .` unless .dockerignore
 * excludes it, as any file there would with Docker */
static void note_manifest_in_context(struct convert *c)
{
        const struct conversion *cv = &c->cv;
        if (!path_has_prefix(c->output, cv->context))
                return;
        const char *rel = c->output + strlen(cv->context);
        while (*rel == '/')
                rel++;
        if (c->di && dockerignore_excluded(c->di, rel))
                return;
        for (size_t i = 0; i < cv->n_copies; i++) {
                const struct cv_copy *cp = &cv->copies[i];
                if (cp->is_dir && (!strcmp(cp->from, ".") || path_has_prefix(rel, cp->from))) {
                        cv_note(&c->cv,
                                "%s is in the build context and .dockerignore does not exclude "
                                "it: COPY %s copies it into the image (add it to .dockerignore)",
                                rel, cp->from);
                        return;
                }
        }
}

int convert_run(const struct convert_options *opt, struct distill_error *err)
{
        struct convert c = {.opt = opt};
        conversion_init(&c.cv);
        cleanup_free char *text = NULL;
        int r;
        if ((r = set_paths(&c, err)) < 0 || (r = read_dockerfile(&c, err)) < 0 ||
            (r = read_dockerignore(&c, err)) < 0 ||
            (r = instructions_convert(c.df, c.di, &c.cv, err)) < 0 ||
            (r = reqmap_collect(&c.cv, err)) < 0 || (r = choose_target(&c, err)) < 0 ||
            (r = map_alpine(&c, err)) < 0)
                goto out;
        struct pyreq_env env;
        pyreq_env_init(&env, c.py.full, c.arch);
        struct reqmap_target target = {
            .dists = c.dists, .env = &env, .root = c.release ? NULL : c.root};
        c.unmapped = reqmap_map(&c.cv, &target);
        note_manifest_in_context(&c);
        resolve_command(&c);
        if ((r = note_stdlib_changes(&c, err)) < 0)
                goto out;
        if (c.unmapped)
                fill_pip_command(&c);
        text = manifest_text(&c);
        bool loads = manifest_loads(&c, text);
        free(text);
        text = manifest_text(&c); /* with what loading it noted */
        if ((r = write_file_atomic(c.output, text, strlen(text), 0644)) < 0) {
                r = distill_error_errno(err, DISTILL_EIO, -r, "writing %s", c.output);
                goto out;
        }
        bool builds = loads && !c.unmapped;
        if (opt->json) {
                json_t *o = report_json(&c, builds);
                json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                putchar('\n');
                json_decref(o);
        } else {
                print_report_text(&c, builds);
        }
        if (!builds)
                r = c.unmapped ? distill_error_set(err, DISTILL_ERESOLVE,
                                                   "%zu requirement(s) are not satisfied by a "
                                                   "package of the source: %s names them; fill "
                                                   "python.site-packages",
                                                   c.unmapped, c.output)
                               : distill_error_set(err, DISTILL_ERESOLVE,
                                                   "%s does not build as written: see its notes",
                                                   c.output);
out:
        convert_release(&c);
        return r;
}
