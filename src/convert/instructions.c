/* The final stage of a Dockerfile, carried instruction by instruction (instructions.h). */
#include "distill/convert/instructions.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define INSTRUCTIONS_MAX_PORTS 1024 /* an EXPOSE range expands to at most this many */
#define INSTRUCTIONS_MAX_GLOB  4096 /* files one COPY source pattern may name */

struct walk {
        const struct dockerfile *df;
        const struct dockerignore *di;
        struct conversion *cv;
        const struct df_instruction *in; /* the one being carried */
        /* apk add --virtual NAME: the packages under each name, dropped by `apk del NAME` */
        struct strmap virtual_groups; /* name → struct strvec * */
};

static void report(struct walk *w, enum cv_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(struct walk *w, enum cv_outcome o, const char *fmt, ...)
{
        va_list ap;
        char *detail = NULL;
        va_start(ap, fmt);
        if (vasprintf(&detail, fmt, ap) < 0)
                detail = NULL;
        va_end(ap);
        cv_report(w->cv, w->in->line, w->in->text, o, "%s", detail ? detail : "");
        free(detail);
}

static char *origin_of(const struct walk *w)
{
        return xasprintf("%s:%d", w->cv->dockerfile_name, w->in->line);
}

/* ---- FROM ---------------------------------------------------------------------------------- */

char *instructions_python_of_image(const char *image)
{
        /* [docker.io/][library/]python:TAG[@digest] */
        const char *p = image;
        if (!strncmp(p, "docker.io/", 10))
                p += 10;
        else if (!strncmp(p, "index.docker.io/", 16))
                p += 16;
        if (!strncmp(p, "library/", 8))
                p += 8;
        if (strncmp(p, "python:", 7))
                return NULL;
        const char *tag = p + 7;
        size_t n = strspn(tag, "0123456789");
        if (!n)
                return NULL;
        if (tag[n] == '.') {
                size_t m = strspn(tag + n + 1, "0123456789");
                if (m)
                        return xstrndup(tag, n + 1 + m);
        }
        return xstrndup(tag, n);
}

static void carry_from(struct walk *w, const struct df_stage *stage)
{
        struct conversion *cv = w->cv;
        free(cv->from_image);
        cv->from_image = xstrdup(stage->image);
        free(cv->from_python);
        cv->from_python = instructions_python_of_image(stage->image);
        cv->from_alpine = strstr(stage->image, "alpine") != NULL;
        if (cv->from_python)
                report(w, CV_CONVERTED,
                       "Python %s%s: the image's interpreter comes from the package source "
                       "(see python.interpreter)",
                       cv->from_python, cv->from_alpine ? " on Alpine (musl)" : "");
        else if (!strncmp(stage->image, "alpine", 6))
                report(w, CV_CONVERTED,
                       "an Alpine base: the image is built from Debian packages instead; its "
                       "python3 comes from the package source");
        else
                report(w, CV_REVIEW,
                       "%s is not the official python image: the image's interpreter is the "
                       "package source's python3; check what the base image brought",
                       stage->image);
}

/* ---- RUN ----------------------------------------------------------------------------------- */

void instructions_split_commands(const char *cmd, struct strvec *out)
{
        struct strbuf piece = STRBUF_INIT;
        char quote = 0;
        for (const char *p = cmd;; p++) {
                bool end = *p == '\0';
                bool split = false;
                size_t skip = 0;
                if (!end && !quote) {
                        if ((p[0] == '&' && p[1] == '&') || (p[0] == '|' && p[1] == '|'))
                                split = true, skip = 1;
                        else if (*p == ';' || *p == '\n')
                                split = true;
                }
                if (end || split) {
                        char *s = strbuf_detach(&piece);
                        char *b = s;
                        while (isspace((unsigned char)*b))
                                b++;
                        size_t len = strlen(b);
                        while (len && isspace((unsigned char)b[len - 1]))
                                b[--len] = '\0';
                        if (*b)
                                strvec_push(out, b);
                        free(s);
                        if (end)
                                return;
                        p += skip;
                        continue;
                }
                if (quote) {
                        if (*p == quote)
                                quote = 0;
                        else if (*p == '\\' && quote == '"' && p[1])
                                strbuf_addch(&piece, *p++);
                } else if (*p == '\'' || *p == '"') {
                        quote = *p;
                } else if (*p == '\\' && p[1]) {
                        strbuf_addch(&piece, *p++);
                }
                strbuf_addch(&piece, *p);
        }
}

static bool is_python_program(const char *argv0)
{
        const char *base = path_basename(argv0);
        if (strncmp(base, "python", 6))
                return false;
        const char *v = base + 6;
        /* python, python3, python3.11 */
        return !*v || strspn(v, "0123456789.") == strlen(v);
}

static bool is_pip_program(const char *argv0)
{
        const char *base = path_basename(argv0);
        return !strcmp(base, "pip") || !strncmp(base, "pip3", 4);
}

/* pip's options that take a value (the next word when not written --opt=value) */
static bool pip_option_takes_value(const char *opt)
{
        static const char *const with_value[] = {"-i",
                                                 "--index-url",
                                                 "--extra-index-url",
                                                 "-f",
                                                 "--find-links",
                                                 "--trusted-host",
                                                 "--target",
                                                 "-t",
                                                 "--prefix",
                                                 "--root",
                                                 "--platform",
                                                 "--python-version",
                                                 "--implementation",
                                                 "--abi",
                                                 "--only-binary",
                                                 "--no-binary",
                                                 "--progress-bar",
                                                 "--cache-dir",
                                                 "--src",
                                                 "--upgrade-strategy",
                                                 "--log",
                                                 "--proxy",
                                                 "--retries",
                                                 "--timeout",
                                                 "--exists-action",
                                                 "--cert",
                                                 "--client-cert",
                                                 "--global-option",
                                                 "--install-option",
                                                 "--config-settings",
                                                 "-C",
                                                 "--python",
                                                 "--report",
                                                 NULL};
        for (size_t i = 0; with_value[i]; i++)
                if (!strcmp(opt, with_value[i]))
                        return true;
        return false;
}

/* A path pip reads, relative to WORKDIR, back to the context file COPY put there; NULL when no
 * COPY of the context brought it. */
static char *context_path_of(const struct conversion *cv, const char *image_path)
{
        cleanup_free char *joined = path_join(cv->workdir ? cv->workdir : "/", image_path);
        cleanup_free char *abs = path_normalize(image_path[0] == '/' ? image_path : joined);
        for (size_t i = cv->n_copies; i-- > 0;) {
                const struct cv_copy *c = &cv->copies[i];
                if (c->is_dir && path_has_prefix(abs, c->to)) {
                        const char *rest = abs + strlen(c->to);
                        while (*rest == '/')
                                rest++;
                        if (!strcmp(c->from, "."))
                                return xstrdup(*rest ? rest : ".");
                        return *rest ? path_join(c->from, rest) : xstrdup(c->from);
                }
                if (!c->is_dir && !strcmp(abs, c->to))
                        return xstrdup(c->from);
        }
        return NULL;
}

/* `pip install …`: requirement files, requirements, the project itself. `args` starts after
 * "install". Returns false when a word is not understood. */
static bool carry_pip_install(struct walk *w, char *const *args, size_t n, struct strbuf *what)
{
        struct conversion *cv = w->cv;
        cleanup_free char *origin = origin_of(w);
        for (size_t i = 0; i < n; i++) {
                const char *a = args[i];
                const char *file = NULL;
                bool constraint = false;
                if (!strcmp(a, "-r") || !strcmp(a, "--requirement") || !strcmp(a, "-c") ||
                    !strcmp(a, "--constraint")) {
                        if (i + 1 >= n)
                                return false;
                        constraint = a[1] == 'c' || !strcmp(a, "--constraint");
                        file = args[++i];
                } else if (!strncmp(a, "--requirement=", 14)) {
                        file = a + 14;
                } else if (!strncmp(a, "-r", 2) && a[2]) {
                        file = a + 2;
                } else if (!strncmp(a, "--constraint=", 13)) {
                        file = a + 13, constraint = true;
                }
                if (file) {
                        cleanup_free char *ctx = context_path_of(cv, file);
                        if (!ctx) {
                                strbuf_addf(
                                    what, "%s is not a file COPY brought from the context; ", file);
                                return false;
                        }
                        if (!constraint) {
                                strvec_push(&cv->requirement_files, ctx);
                                strvec_push(&cv->requirement_file_origins, origin);
                        }
                        strbuf_addf(what, "%s %s; ", constraint ? "constraints" : "requirements",
                                    ctx);
                        continue;
                }
                if (a[0] == '-') {
                        if (!strchr(a, '=') && pip_option_takes_value(a))
                                i++;
                        continue; /* --no-cache-dir, --upgrade, -q …: how pip runs */
                }
                if (!strcmp(a, ".") || !strcmp(a, "./") || a[0] == '/' || !strncmp(a, "./", 2)) {
                        cv->install_project = true;
                        strbuf_addf(what, "the project %s (its pyproject.toml); ", a);
                        continue;
                }
                if (!strcmp(a, "pip") || !strcmp(a, "setuptools") || !strcmp(a, "wheel")) {
                        strbuf_addf(what, "%s dropped (a build tool); ", a);
                        continue;
                }
                cv_add_requirement(cv, a, origin);
                strbuf_addf(what, "requirement %s; ", a);
        }
        return true;
}

/* `apk del` of a virtual group: its packages were for building only */
static void forget_apk(struct conversion *cv, const char *name)
{
        size_t k = 0;
        for (size_t i = 0; i < cv->apk.n; i++) {
                if (!strcmp(cv->apk.v[i], name)) {
                        free(cv->apk.v[i]);
                        free(cv->apk_origins.v[i]);
                        continue;
                }
                cv->apk.v[k] = cv->apk.v[i];
                cv->apk_origins.v[k++] = cv->apk_origins.v[i];
        }
        cv->apk.n = cv->apk_origins.n = k;
        if (cv->apk.v) {
                cv->apk.v[k] = NULL;
                cv->apk_origins.v[k] = NULL;
        }
}

/* `poetry install` installs poetry.lock; `uv sync` uv.lock; `uv pip install` is pip's */
static bool carry_lock_install(struct walk *w, char *const *argv, size_t n, struct strbuf *what)
{
        struct conversion *cv = w->cv;
        bool poetry = !strcmp(path_basename(argv[0]), "poetry");
        if (!poetry && n >= 3 && !strcmp(argv[1], "pip") && !strcmp(argv[2], "install"))
                return carry_pip_install(w, argv + 3, n - 3, what);
        if (n >= 2 && poetry && !strcmp(argv[1], "config")) {
                strbuf_adds(what, "poetry config dropped; ");
                return true;
        }
        if (n < 2 || strcmp(argv[1], poetry ? "install" : "sync"))
                return false;
        const char *lock = poetry ? "poetry.lock" : "uv.lock";
        cleanup_free char *ctx = context_path_of(cv, lock);
        cleanup_free char *origin = origin_of(w);
        if (ctx) {
                strvec_push(&cv->lock_files, ctx);
                strvec_push(&cv->lock_file_origins, origin);
                strbuf_addf(what, "the packages %s pins; ", ctx);
        } else {
                cv->install_project = true;
                strbuf_addf(what, "no %s was copied: the project's pyproject.toml; ", lock);
        }
        return true;
}

static bool carry_apk(struct walk *w, char *const *argv, size_t n, struct strbuf *what)
{
        struct conversion *cv = w->cv;
        size_t i = 1;
        while (i < n && argv[i][0] == '-')
                i++; /* apk --no-cache add */
        if (i >= n)
                return false;
        const char *verb = argv[i++];
        if (!strcmp(verb, "update") || !strcmp(verb, "upgrade") || !strcmp(verb, "cache")) {
                strbuf_addf(what, "apk %s dropped; ", verb);
                return true;
        }
        if (!strcmp(verb, "del")) {
                for (; i < n; i++) {
                        struct strvec *group = strmap_get(&w->virtual_groups, argv[i]);
                        for (size_t g = 0; group && g < group->n; g++)
                                forget_apk(cv, group->v[g]);
                        strbuf_addf(what, "apk del %s: %s; ", argv[i],
                                    group ? "its build-time packages are not carried"
                                          : "removed again");
                }
                return true;
        }
        if (strcmp(verb, "add"))
                return false;
        cleanup_free char *origin = origin_of(w);
        struct strvec *group = NULL;
        for (; i < n; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "--virtual") || !strcmp(a, "-t")) {
                        if (i + 1 >= n)
                                return false;
                        group = xcalloc(1, sizeof(*group));
                        struct strvec *old = strmap_put(&w->virtual_groups, argv[++i], group);
                        if (old) {
                                strvec_clear(old);
                                free(old);
                        }
                        continue;
                }
                if (a[0] == '-') {
                        if (!strcmp(a, "--repository") || !strcmp(a, "-X"))
                                i++;
                        continue;
                }
                strvec_push(&cv->apk, a);
                strvec_push(&cv->apk_origins, origin);
                if (group)
                        strvec_push(group, a);
        }
        strbuf_addf(what, "apk add: packages mapped below; ");
        return true;
}

/* One simple command of a RUN. Returns false when it is not understood. */
static bool carry_run_command(struct walk *w, char *const *argv, size_t n, struct strbuf *what)
{
        struct conversion *cv = w->cv;
        const char *prog = path_basename(argv[0]);
        if (!strcmp(prog, "apk"))
                return carry_apk(w, argv, n, what);
        if (is_pip_program(argv[0]) && n >= 2 && !strcmp(argv[1], "install"))
                return carry_pip_install(w, argv + 2, n - 2, what);
        if (is_python_program(argv[0]) && n >= 4 && !strcmp(argv[1], "-m") &&
            !strcmp(argv[2], "pip") && !strcmp(argv[3], "install"))
                return carry_pip_install(w, argv + 4, n - 4, what);
        if (!strcmp(prog, "poetry") || !strcmp(prog, "uv"))
                return carry_lock_install(w, argv, n, what);
        if (is_pip_program(argv[0]) && n >= 2 && !strcmp(argv[1], "cache")) {
                strbuf_adds(what, "pip cache dropped; ");
                return true;
        }
        if ((is_python_program(argv[0]) && n >= 4 && !strcmp(argv[1], "-m") &&
             (!strcmp(argv[2], "venv") || !strcmp(argv[2], "virtualenv"))) ||
            (!strcmp(prog, "virtualenv") && n >= 2)) {
                free(cv->venv);
                cv->venv = xstrdup(argv[n - 1]);
                strbuf_addf(what, "venv %s: its packages are the requirements; ", cv->venv);
                return true;
        }
        if (is_python_program(argv[0]) && n >= 3 && !strcmp(argv[1], "-m") &&
            !strcmp(argv[2], "compileall")) {
                strbuf_adds(what, "compileall dropped: distill compiles the .pyc itself; ");
                return true;
        }
        static const char *const accounts[] = {"adduser", "addgroup", "useradd", "groupadd",
                                               "deluser", "delgroup", "usermod", NULL};
        for (size_t i = 0; accounts[i]; i++) {
                if (!strcmp(prog, accounts[i])) {
                        strbuf_addf(what,
                                    "%s dropped: distill writes the user's account (UID/GID "
                                    "1000); ",
                                    prog);
                        return true;
                }
        }
        if (!strcmp(prog, "rm")) {
                strbuf_adds(what, "rm dropped: nothing distill does not select is in the image; ");
                return true;
        }
        return false;
}

static void carry_run(struct walk *w)
{
        const struct df_instruction *in = w->in;
        struct strvec pieces = STRVEC_INIT;
        struct strbuf what = STRBUF_INIT;
        const char *problem = NULL;
        char *bad = NULL;

        if (in->form == DF_FORM_JSON) {
                if (!in->args.n || !carry_run_command(w, in->args.v, in->args.n, &what))
                        problem = "not understood";
        } else {
                instructions_split_commands(in->args.n ? in->args.v[0] : "", &pieces);
                for (size_t i = 0; i < pieces.n && !problem; i++) {
                        struct strvec argv = STRVEC_INIT;
                        const char *why = NULL;
                        if (dockerfile_shell_argv(pieces.v[i], &argv, &why) < 0) {
                                problem = why;
                                bad = xstrdup(pieces.v[i]);
                        } else if (!argv.n || !carry_run_command(w, argv.v, argv.n, &what)) {
                                problem = "not understood";
                                bad = xstrdup(pieces.v[i]);
                        }
                        strvec_clear(&argv);
                }
        }
        if (problem)
                report(w, CV_REVIEW,
                       "%s%s%s%s: what it does is not carried; check it and add what "
                       "it installs by hand (packages:, files.add:)",
                       bad ? "`" : "", bad ? bad : "", bad ? "` " : "", problem);
        else {
                size_t len = what.len;
                while (len && (what.buf[len - 1] == ' ' || what.buf[len - 1] == ';'))
                        len--;
                report(w, CV_CONVERTED, "%.*s", (int)len, strbuf_str(&what));
        }
        free(bad);
        strbuf_release(&what);
        strvec_clear(&pieces);
}

/* ---- COPY and ADD -------------------------------------------------------------------------- */

static const char *flag_value(const struct df_instruction *in, const char *name)
{
        size_t n = strlen(name);
        for (size_t i = 0; i < in->flags.n; i++)
                if (!strncmp(in->flags.v[i], name, n) && in->flags.v[i][n] == '=')
                        return in->flags.v[i] + n + 1;
        return NULL;
}

static bool is_url(const char *s)
{
        return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) || !strncmp(s, "git@", 4);
}

static bool is_local_archive(const char *s)
{
        static const char *const ext[] = {".tar",    ".tar.gz", ".tgz",     ".tar.bz2", ".tbz2",
                                          ".tar.xz", ".txz",    ".tar.zst", NULL};
        size_t n = strlen(s);
        for (size_t i = 0; ext[i]; i++) {
                size_t k = strlen(ext[i]);
                if (n > k && !strcmp(s + n - k, ext[i]))
                        return true;
        }
        return false;
}

static char *image_dest(const struct conversion *cv, const char *dest)
{
        if (dest[0] == '/')
                return path_normalize(dest);
        cleanup_free char *joined = path_join(cv->workdir ? cv->workdir : "/", dest);
        return path_normalize(joined);
}

static void add_copy(struct conversion *cv, const char *from, const char *to, bool is_dir, int line)
{
        cv->copies = xrealloc(cv->copies, (cv->n_copies + 1) * sizeof(*cv->copies));
        cv->copies[cv->n_copies++] = (struct cv_copy){
            .from = xstrdup(from), .to = xstrdup(to), .is_dir = is_dir, .line = line};
}

/* COPY's sources may be globs (Go's filepath.Match, which glob(3) follows but for braces). */
/* A source as a path relative to the context: "./a/" → "a", "/" and "." → "." */
static char *context_relative(const char *src)
{
        while (*src == '/')
                src++;
        cleanup_free char *abs = path_join("/", src);
        cleanup_free char *norm = path_normalize(abs);
        return xstrdup(norm[1] ? norm + 1 : ".");
}

static void expand_source(const struct conversion *cv, const char *src, struct strvec *out)
{
        cleanup_free char *norm = context_relative(src);
        if (!strpbrk(norm, "*?[")) {
                strvec_push(out, norm);
                return;
        }
        cleanup_free char *pattern = path_join(cv->context, norm);
        glob_t g = {0};
        if (glob(pattern, GLOB_NOESCAPE | GLOB_NOSORT, NULL, &g) == 0) {
                size_t base = strlen(cv->context) + 1;
                for (size_t i = 0; i < g.gl_pathc && i < INSTRUCTIONS_MAX_GLOB; i++)
                        if (strlen(g.gl_pathv[i]) > base)
                                strvec_push(out, g.gl_pathv[i] + base);
                strvec_sort(out);
        }
        globfree(&g);
}

static void carry_copy(struct walk *w)
{
        const struct df_instruction *in = w->in;
        struct conversion *cv = w->cv;
        bool add = !strcmp(in->keyword, "ADD");
        const char *from = flag_value(in, "--from");
        if (from) {
                int stage = dockerfile_stage_index(w->df, from, w->df->n_stages);
                report(w, CV_MANUAL,
                       "copies from %s %s: build that content and add it with files.add or "
                       "python.site-packages",
                       stage >= 0 ? "build stage" : "image", from);
                return;
        }
        if (in->args.n < 2) {
                report(w, CV_REVIEW, "no source and destination");
                return;
        }
        const char *dest = in->args.v[in->args.n - 1];
        cleanup_free char *to = image_dest(cv, dest);
        /* BuildKit copies into a directory when the destination says so (a trailing slash, ".")
         * or already is one (the workdir, where an earlier COPY put a directory) */
        bool dest_dir = !*dest || dest[strlen(dest) - 1] == '/' || !strcmp(dest, ".") ||
                        in->args.n > 2 || (cv->workdir && !strcmp(to, cv->workdir)) ||
                        !strcmp(to, "/");
        for (size_t i = 0; i < cv->n_copies && !dest_dir; i++)
                dest_dir = cv->copies[i].is_dir && !strcmp(cv->copies[i].to, to);
        struct strbuf what = STRBUF_INIT;
        bool manual = false;
        for (size_t i = 0; i + 1 < in->args.n; i++) {
                const char *src = in->args.v[i];
                if (add && is_url(src)) {
                        strbuf_addf(&what,
                                    "%s is fetched at build time: download it into the "
                                    "context and COPY it; ",
                                    src);
                        manual = true;
                        continue;
                }
                if (add && is_local_archive(src)) {
                        strbuf_addf(&what,
                                    "ADD unpacks %s: unpack it into the context and COPY "
                                    "the directory; ",
                                    src);
                        manual = true;
                        continue;
                }
                struct strvec matches = STRVEC_INIT;
                expand_source(cv, src, &matches);
                if (!matches.n)
                        strbuf_addf(&what, "%s matches nothing in the context; ", src);
                for (size_t m = 0; m < matches.n; m++) {
                        const char *rel = matches.v[m];
                        if (strcmp(rel, ".") && w->di && dockerignore_excluded(w->di, rel)) {
                                strbuf_addf(&what, "%s is excluded by .dockerignore; ", rel);
                                continue;
                        }
                        cleanup_free char *host = path_join(cv->context, rel);
                        struct stat st;
                        if (stat(host, &st) < 0) {
                                strbuf_addf(&what, "%s is not in the context; ", rel);
                                continue;
                        }
                        bool is_dir = S_ISDIR(st.st_mode);
                        cleanup_free char *target = is_dir || !(dest_dir || matches.n > 1)
                                                        ? xstrdup(to)
                                                        : path_join(to, path_basename(rel));
                        add_copy(cv, rel, target, is_dir, in->line);
                        strbuf_addf(&what, "%s → %s%s; ", rel, target,
                                    is_dir ? " (python.app)" : "");
                }
                strvec_clear(&matches);
        }
        if (flag_value(in, "--chown") || flag_value(in, "--chmod"))
                strbuf_adds(&what, "--chown/--chmod dropped: the app's files are root-owned and "
                                   "read-only, the user's home is writable; ");
        size_t len = what.len;
        while (len && (what.buf[len - 1] == ' ' || what.buf[len - 1] == ';'))
                len--;
        report(w, manual ? CV_MANUAL : CV_CONVERTED, "%.*s", (int)len, strbuf_str(&what));
        strbuf_release(&what);
}

/* ---- image settings ------------------------------------------------------------------------ */

static void carry_env(struct walk *w)
{
        struct conversion *cv = w->cv;
        struct strbuf what = STRBUF_INIT;
        for (size_t i = 0; i < w->in->n_kv; i++) {
                const char *k = w->in->kv[i].key, *v = w->in->kv[i].value ? w->in->kv[i].value : "";
                if (!strcmp(k, "PATH")) {
                        strbuf_addf(&what, "PATH dropped: the image's PATH is distill's (no "
                                           "/usr/local, no venv); ");
                        continue;
                }
                if (!strncmp(k, "PIP_", 4) || !strcmp(k, "VIRTUAL_ENV")) {
                        strbuf_addf(&what, "%s dropped: pip and venvs are not in the image; ", k);
                        continue;
                }
                cv_env_set(cv, k, v);
                if (!strcmp(k, "PYTHONDONTWRITEBYTECODE"))
                        strbuf_addf(&what,
                                    "%s kept (the image's .pyc are compiled at build and "
                                    "stay); ",
                                    k);
                else
                        strbuf_addf(&what, "%s; ", k);
        }
        size_t len = what.len;
        while (len && (what.buf[len - 1] == ' ' || what.buf[len - 1] == ';'))
                len--;
        report(w, CV_CONVERTED, "image.env: %.*s", (int)len, strbuf_str(&what));
        strbuf_release(&what);
}

static void carry_labels(struct walk *w)
{
        struct conversion *cv = w->cv;
        for (size_t i = 0; i < w->in->n_kv; i++) {
                const char *k = w->in->kv[i].key, *v = w->in->kv[i].value ? w->in->kv[i].value : "";
                bool replaced = false;
                for (size_t j = 0; j < cv->label_keys.n && !replaced; j++) {
                        if (strcmp(cv->label_keys.v[j], k))
                                continue;
                        free(cv->label_values.v[j]);
                        cv->label_values.v[j] = xstrdup(v);
                        replaced = true;
                }
                if (!replaced) {
                        strvec_push(&cv->label_keys, k);
                        strvec_push(&cv->label_values, v);
                }
        }
        report(w, CV_CONVERTED, "image.labels");
}

/* "8080", "8080/tcp", "53/udp", "8000-8002/tcp" */
static void carry_expose(struct walk *w)
{
        struct conversion *cv = w->cv;
        struct strbuf bad = STRBUF_INIT;
        for (size_t i = 0; i < w->in->args.n; i++) {
                const char *a = w->in->args.v[i];
                const char *slash = strchr(a, '/');
                const char *proto = slash ? slash + 1 : "tcp";
                char *end;
                unsigned long lo = strtoul(a, &end, 10), hi = lo;
                if (*end == '-')
                        hi = strtoul(end + 1, &end, 10);
                bool ok = end != a && (*end == '\0' || end == slash) && lo >= 1 && hi <= 65535 &&
                          lo <= hi && hi - lo < INSTRUCTIONS_MAX_PORTS &&
                          (!strcmp(proto, "tcp") || !strcmp(proto, "udp"));
                if (!ok) {
                        strbuf_addf(&bad, "%s ", a);
                        continue;
                }
                for (unsigned long p = lo; p <= hi; p++) {
                        char *port = xasprintf("%lu/%s", p, proto);
                        if (!strvec_contains(&cv->ports, port))
                                strvec_push(&cv->ports, port);
                        free(port);
                }
        }
        if (bad.len)
                report(w, CV_REVIEW,
                       "not carried: %s(image.exposed-ports takes PORT, PORT/tcp, "
                       "PORT/udp)",
                       strbuf_str(&bad));
        else
                report(w, CV_CONVERTED, "image.exposed-ports");
        strbuf_release(&bad);
}

static void carry_user(struct walk *w)
{
        struct conversion *cv = w->cv;
        const char *spec = w->in->args.n ? w->in->args.v[0] : "";
        cleanup_free char *name = xstrndup(spec, strcspn(spec, ":"));
        free(cv->user);
        cv->user = NULL;
        if (!strcmp(name, "root") || !strcmp(name, "0")) {
                report(w, CV_DROPPED,
                       "the image runs as its user, UID/GID 1000 (distill's "
                       "policy; user.root: true runs it as root)");
                return;
        }
        if (strspn(name, "0123456789") == strlen(name)) {
                report(w, CV_CONVERTED,
                       "user %s has no name: the image's user is \"app\", "
                       "UID/GID 1000 (distill's policy)",
                       name);
                cv->user = xstrdup("app");
                return;
        }
        cv->user = xstrdup(name);
        report(w, CV_CONVERTED, "user %s, with UID/GID 1000 (distill's policy)", name);
}

static void carry_workdir(struct walk *w)
{
        struct conversion *cv = w->cv;
        const char *dir = w->in->args.n ? w->in->args.v[0] : "/";
        char *abs = image_dest(cv, dir);
        free(cv->workdir);
        cv->workdir = abs;
        report(w, CV_CONVERTED, "image.workdir %s", abs);
}

/* CMD and ENTRYPOINT: exec form as is; a shell form only when it is a plain command line */
static void carry_command(struct walk *w, bool entrypoint)
{
        struct conversion *cv = w->cv;
        struct strvec *into = entrypoint ? &cv->entrypoint : &cv->cmd;
        struct strvec argv = STRVEC_INIT;
        if (w->in->form == DF_FORM_JSON) {
                for (size_t i = 0; i < w->in->args.n; i++)
                        strvec_push(&argv, w->in->args.v[i]);
        } else if (w->in->form == DF_FORM_SHELL) {
                const char *why = NULL;
                if (dockerfile_shell_argv(w->in->args.v[0], &argv, &why) < 0) {
                        report(w, CV_REFUSED,
                               "the shell form %s, and a distroless image has no shell: write "
                               "it as an exec form (JSON array) without shell syntax",
                               why);
                        return;
                }
        }
        strvec_clear(into);
        for (size_t i = 0; i < argv.n; i++)
                strvec_push(into, argv.v[i]);
        strvec_clear(&argv);
        if (entrypoint) {
                cv->has_entrypoint = true;
                cv->entrypoint_line = w->in->line;
                /* an ENTRYPOINT resets the CMD an earlier stage set */
        } else {
                cv->has_cmd = true;
                cv->cmd_line = w->in->line;
        }
        report(w, CV_CONVERTED, "%s%s",
               w->in->form == DF_FORM_SHELL ? "rewritten in exec form; " : "",
               "the image's command (see python.entrypoint / image.cmd)");
}

static void carry_instruction(struct walk *w)
{
        const struct df_instruction *in = w->in;
        const char *k = in->keyword;
        struct conversion *cv = w->cv;
        if (!strcmp(k, "RUN"))
                carry_run(w);
        else if (!strcmp(k, "COPY") || !strcmp(k, "ADD"))
                carry_copy(w);
        else if (!strcmp(k, "ENV"))
                carry_env(w);
        else if (!strcmp(k, "LABEL"))
                carry_labels(w);
        else if (!strcmp(k, "EXPOSE"))
                carry_expose(w);
        else if (!strcmp(k, "USER"))
                carry_user(w);
        else if (!strcmp(k, "WORKDIR"))
                carry_workdir(w);
        else if (!strcmp(k, "CMD"))
                carry_command(w, false);
        else if (!strcmp(k, "ENTRYPOINT"))
                carry_command(w, true);
        else if (!strcmp(k, "ARG"))
                report(w, CV_CONVERTED, "substituted where the Dockerfile uses it");
        else if (!strcmp(k, "STOPSIGNAL")) {
                free(cv->stop_signal);
                cv->stop_signal = xstrdup(in->args.n ? in->args.v[0] : "");
                report(w, CV_CONVERTED, "image.stop-signal");
        } else if (!strcmp(k, "VOLUME")) {
                for (size_t i = 0; i < in->args.n; i++)
                        if (!strvec_contains(&cv->volumes, in->args.v[i]))
                                strvec_push(&cv->volumes, in->args.v[i]);
                report(w, CV_CONVERTED, "image.volumes");
        } else if (!strcmp(k, "HEALTHCHECK"))
                report(w, CV_DROPPED,
                       "an OCI image has no health check, and this one no shell or tool to run "
                       "one: give the orchestrator a probe (Kubernetes httpGet/tcpSocket)");
        else if (!strcmp(k, "SHELL"))
                report(w, CV_DROPPED, "a distroless image has no shell");
        else if (!strcmp(k, "ONBUILD"))
                report(w, CV_DROPPED, "runs only in images built FROM this one");
        else if (!strcmp(k, "MAINTAINER")) {
                strvec_push(&cv->label_keys, "org.opencontainers.image.authors");
                strvec_push(&cv->label_values, in->args.n ? in->args.v[0] : "");
                report(w, CV_CONVERTED, "label org.opencontainers.image.authors");
        } else
                report(w, CV_REVIEW, "not understood");
}

/* The stages the final one is built on (FROM an earlier stage), oldest first. */
static void stage_chain(const struct dockerfile *df, size_t *chain, size_t *n)
{
        size_t rev[64];
        size_t k = 0;
        for (int s = (int)df->n_stages - 1; s >= 0 && k < 64; s = df->stages[s].base)
                rev[k++] = (size_t)s;
        *n = k;
        for (size_t i = 0; i < k; i++)
                chain[i] = rev[k - 1 - i];
}

static void free_group(void *p)
{
        strvec_clear(p);
        free(p);
}

int instructions_convert(const struct dockerfile *df, const struct dockerignore *di,
                         struct conversion *cv, struct distill_error *err)
{
        if (!df->n_stages)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: no FROM instruction",
                                         cv->dockerfile_name);
        size_t chain[64], n_chain;
        stage_chain(df, chain, &n_chain);
        struct walk w = {.df = df, .di = di, .cv = cv};
        for (size_t s = 0; s < df->n_stages; s++) {
                bool in_chain = false;
                for (size_t c = 0; c < n_chain; c++)
                        in_chain |= chain[c] == s;
                if (in_chain)
                        continue;
                const struct df_stage *st = &df->stages[s];
                cv_report(cv, st->line, st->v[0].text, CV_DROPPED,
                          "build stage %s: only the final stage becomes the image (its "
                          "COPY --from= lines are listed as manual steps)",
                          st->name ? st->name : st->image);
        }
        for (size_t c = 0; c < n_chain; c++) {
                const struct df_stage *st = &df->stages[chain[c]];
                for (size_t i = 0; i < st->n; i++) {
                        w.in = &st->v[i];
                        if (i == 0) {
                                if (st->base < 0)
                                        carry_from(&w, st);
                                else
                                        report(&w, CV_CONVERTED, "continues stage %s",
                                               df->stages[st->base].name
                                                   ? df->stages[st->base].name
                                                   : df->stages[st->base].image);
                                continue;
                        }
                        carry_instruction(&w);
                }
        }
        strmap_clear(&w.virtual_groups, free_group);
        return 0;
}
