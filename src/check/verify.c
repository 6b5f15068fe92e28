/* verify: an image distill wrote, proved sound after the fact (include/distill/check/verify.h). */
#include "distill/check/verify.h"

#include <elf.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "distill/base/digest.h"
#include "distill/check/structure.h"
#include "distill/core/imagens.h"
#include "distill/elf/elf.h"
#include "distill/elf/ldcache.h"
#include "distill/elf/ldso.h"
#include "distill/image/rootfs.h"
#include "distill/input/manifest.h"
#include "distill/python/pyimports.h"
#include "distill/python/pyprobe.h"

#define MAX_SMALL_FILE (16u << 20) /* passwd, md5sums, ld.so.cache, a script's first line */
#define STATUS_DIR     "/var/lib/dpkg/status.d"

void verify_add(struct verify_finding **v, size_t *n, const char *check, char *message)
{
        *v = xrealloc(*v, (*n + 1) * sizeof(**v));
        (*v)[(*n)++] = (struct verify_finding){.check = xstrdup(check), .message = message};
}

void verify_addv(struct verify_finding **v, size_t *n, const char *check, const char *fmt,
                 va_list ap)
{
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                abort(); /* as xasprintf: out of memory */
        verify_add(v, n, check, s);
}

static void findings_free(struct verify_finding *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].check);
                free(v[i].message);
        }
        free(v);
}

void verify_report_release(struct verify_report *rep)
{
        findings_free(rep->problems, rep->n_problems);
        findings_free(rep->notes, rep->n_notes);
        *rep = (struct verify_report){0};
}

/* What every check reads: the image, its namespace, its user. */
struct vctx {
        const struct imageread *img;
        struct imagens *ns;
        struct verify_report *rep;
        bool debug; /* the debug variant: busybox under /busybox */
        bool has_user;
        unsigned uid, gid;
        char *home;    /* the user's home, NULL when not known */
        char *arch;    /* Debian architecture */
        char *program; /* the entrypoint's program, resolved, when it is ELF (dlopens from it) */
        struct strmap elf_cache; /* path → struct elf_cached * */
        struct strmap listed;    /* every path the status.d md5sums list */
};

struct elf_cached {
        int is_elf;
        struct elf_info info;
};

static void problem(struct vctx *c, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(struct vctx *c, const char *check, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        verify_addv(&c->rep->problems, &c->rep->n_problems, check, fmt, ap);
        va_end(ap);
}

static void note(struct vctx *c, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(struct vctx *c, const char *check, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        verify_addv(&c->rep->notes, &c->rep->n_notes, check, fmt, ap);
        va_end(ap);
}

static bool under(const char *path, const char *dir)
{
        return dir && path_has_prefix(path, dir);
}

/* The entry a path names with every link followed, or NULL. */
static const struct imageread_entry *resolve(const struct vctx *c, const char *path, char **final)
{
        struct imagens_resolved res = {0};
        struct distill_error err = {0};
        const struct imageread_entry *e = NULL;
        if (final)
                *final = NULL;
        if (imagens_resolve(c->ns, path, true, &res, &err) == 0 && res.node) {
                e = imageread_get(c->img, res.node->path);
                if (final)
                        *final = xstrdup(res.node->path);
        }
        imagens_resolved_release(&res);
        return e;
}

static int read_small(const struct vctx *c, const char *path, char **data, size_t *len)
{
        const struct imageread_entry *e = resolve(c, path, NULL);
        struct distill_error err = {0};
        if (!e || !S_ISREG(e->mode))
                return -1;
        return imageread_read(c->img, e, MAX_SMALL_FILE, data, len, &err) < 0 ? -1 : 0;
}

/* --- the user ------------------------------------------------------------------------------ */

struct pw {
        char *name;
        unsigned uid, gid;
        char *home;
};

/* One /etc/passwd line: name:password:uid:gid:gecos:home:shell. */
static bool parse_passwd_line(char *line, struct pw *pw)
{
        char *f[7];
        size_t n = 0;
        /* strsep keeps empty fields, which strtok would merge */
        char *rest = line;
        while (n < 7 && rest)
                f[n++] = strsep(&rest, ":");
        if (n < 6)
                return false;
        char *end;
        unsigned long uid = strtoul(f[2], &end, 10);
        if (*end || !*f[2])
                return false;
        unsigned long gid = strtoul(f[3], &end, 10);
        if (*end || !*f[3])
                return false;
        pw->name = f[0];
        pw->uid = (unsigned)uid;
        pw->gid = (unsigned)gid;
        pw->home = f[5];
        return true;
}

/* Finds the user: by name, or by number (a number that no entry has still runs, but then the
 * user is not in /etc/passwd, which is the problem). */
static bool find_user(const char *passwd, const char *user, struct pw *out, char **copy)
{
        char *text = xstrdup(passwd);
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct pw pw;
                if (!parse_passwd_line(line, &pw))
                        continue;
                char num[16];
                snprintf(num, sizeof(num), "%u", pw.uid);
                if (!strcmp(pw.name, user) || !strcmp(num, user)) {
                        *out = pw;
                        *copy = text;
                        return true;
                }
        }
        free(text);
        return false;
}

bool verify_passwd_lookup(const char *passwd, const char *user, unsigned *uid, unsigned *gid,
                          char **home)
{
        struct pw pw;
        cleanup_free char *copy = NULL;
        if (!find_user(passwd, user, &pw, &copy))
                return false;
        *uid = pw.uid;
        *gid = pw.gid;
        *home = xstrdup(pw.home);
        return true;
}

char *verify_default_user(const char *passwd)
{
        cleanup_free char *text = xstrdup(passwd);
        char *save = NULL, *found = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct pw pw;
                if (!parse_passwd_line(line, &pw) || pw.uid == 0 || !strcmp(pw.name, "nobody"))
                        continue;
                free(found);
                found = xstrdup(pw.name);
        }
        return found ? found : xstrdup("root");
}

/* Without a passwd entry the home is the directory under /home the user owns, if any. */
static char *home_owned_by(const struct vctx *c, unsigned uid)
{
        struct strvec names = STRVEC_INIT;
        char *home = NULL;
        if (uid && imagens_list_dir(c->ns, "/home", &names) == 0)
                for (size_t i = 0; i < names.n && !home; i++) {
                        cleanup_free char *p = xasprintf("/home/%s", names.v[i]);
                        const struct imageread_entry *e = imageread_get(c->img, p);
                        if (e && S_ISDIR(e->mode) && e->uid == uid)
                                home = xstrdup(p);
                }
        strvec_clear(&names);
        return home;
}

static void check_user(struct vctx *c)
{
        cleanup_free char *passwd = NULL;
        size_t len;
        if (read_small(c, "/etc/passwd", &passwd, &len) < 0) {
                problem(c, "user", "/etc/passwd: not in the image");
                return;
        }
        const char *cfg_user = imageread_config_string(c->img, "User");
        cleanup_free char *user = NULL;
        if (c->img->form == IMAGEREAD_ROOTFS)
                user = verify_default_user(passwd);
        else
                user = xstrdup(cfg_user && *cfg_user ? cfg_user : "root");
        char *colon = strchr(user, ':');
        if (colon)
                *colon = '\0';
        struct pw pw;
        cleanup_free char *copy = NULL;
        if (!find_user(passwd, user, &pw, &copy)) {
                problem(c, "user", "the config's user %s is not in /etc/passwd", user);
                char *end;
                unsigned long uid = strtoul(user, &end, 10);
                if (!*end && *user) {
                        c->has_user = true;
                        c->uid = c->gid = (unsigned)uid;
                        c->home = home_owned_by(c, c->uid);
                }
                return;
        }
        c->has_user = true;
        c->uid = pw.uid;
        c->gid = pw.gid;
        if (colon) {
                char *end;
                unsigned long g = strtoul(colon + 1, &end, 10);
                if (!*end)
                        c->gid = (unsigned)g;
        }
        if (pw.uid != 0 && pw.home && pw.home[0] == '/' && strcmp(pw.home, "/"))
                c->home = path_normalize(pw.home);
}

/* --- the file system policy ---------------------------------------------------------------- */

static bool writable_by_user(const struct vctx *c, const struct imageread_entry *e)
{
        if (S_ISLNK(e->mode))
                return false;
        if (c->uid == 0)
                return false; /* root writes everything: nothing to say per file */
        return (e->uid == c->uid && (e->mode & S_IWUSR)) ||
               (e->gid == c->gid && (e->mode & S_IWGRP)) || (e->mode & S_IWOTH);
}

static void check_entries(struct vctx *c)
{
        size_t n;
        const char **paths = imageread_paths(c->img, &n);
        for (size_t i = 0; i < n; i++) {
                const struct imageread_entry *e = imageread_get(c->img, paths[i]);
                const char *p = e->path;
                bool in_tmp = under(p, "/tmp");
                bool in_home = under(p, c->home);
                if (!S_ISDIR(e->mode) && rootfs_is_forbidden_name(path_basename(p)) &&
                    !(c->debug && under(p, MANIFEST_DEBUG_DIR)))
                        problem(c, "shell", "%s: a shell or package manager", p);
                if (!in_tmp && !S_ISDIR(e->mode) && (e->mode & (S_ISUID | S_ISGID)))
                        problem(c, "mode", "%s: %s%s", p, e->mode & S_ISUID ? "setuid" : "",
                                (e->mode & (S_ISUID | S_ISGID)) == (S_ISUID | S_ISGID)
                                    ? " and setgid"
                                : e->mode & S_ISGID ? "setgid"
                                                    : "");
                if (!in_tmp && (S_ISCHR(e->mode) || S_ISBLK(e->mode)))
                        problem(c, "mode", "%s: a device", p);
                if (!in_tmp && !S_ISLNK(e->mode) && (e->mode & S_IWOTH))
                        problem(c, "mode", "%s: world-writable (mode %04o)", p, e->mode & 07777);
                else if (!in_tmp && !in_home && c->has_user && writable_by_user(c, e))
                        problem(c, "writable", "%s: writable by the image user %u:%u", p, c->uid,
                                c->gid);
                if (!in_home && (e->uid || e->gid))
                        problem(c, "owner", "%s: owned by %u:%u, not root", p, e->uid, e->gid);
        }
        free(paths);
}

/* --- the entrypoint ------------------------------------------------------------------------ */

static const char *env_path(const struct imageread *img)
{
        json_t *env = json_object_get(json_object_get(img->config, "config"), "Env");
        const char *path = "/usr/local/bin:/usr/bin:/bin";
        for (size_t i = 0; i < json_array_size(env); i++) {
                const char *e = json_string_value(json_array_get(env, i));
                if (e && !strncmp(e, "PATH=", 5))
                        path = e + 5;
        }
        return path;
}

/* The program a command starts: itself when it has a slash, else the first hit on PATH. */
static char *find_program(const struct vctx *c, const char *name)
{
        if (strchr(name, '/'))
                return xstrdup(name);
        cleanup_free char *path = xstrdup(env_path(c->img));
        char *save = NULL;
        for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                cleanup_free char *cand = xasprintf("%s/%s", d, name);
                const struct imageread_entry *e = resolve(c, cand, NULL);
                if (e && S_ISREG(e->mode))
                        return xstrdup(cand);
        }
        return NULL;
}

static int load_elf(void *ud, const struct imagens_node *node, struct elf_info *info,
                    struct distill_error *err);

/* The program's interpreter: an ELF's PT_INTERP, a script's #! line. */
static void check_interpreter(struct vctx *c, const char *prog, const char *real)
{
        const struct imageread_entry *e = imageread_get(c->img, real);
        const struct imagens_node *node = imagens_get(c->ns, real);
        struct elf_info info = {0};
        struct distill_error err = {0};
        char *interp = NULL;
        int r = node ? load_elf(c, node, &info, &err) : -1;
        if (r > 0) {
                interp = xstrdup(info.interp);
                if (!info.interp || info.type == ET_EXEC || info.type == ET_DYN)
                        c->program = xstrdup(real);
                elf_info_release(&info);
        } else if (r == 0) {
                cleanup_free char *data = NULL;
                size_t len;
                if (imageread_read(c->img, e, MAX_SMALL_FILE, &data, &len, &err) >= 0 && len > 2 &&
                    data[0] == '#' && data[1] == '!') {
                        char *p = data + 2;
                        p += strspn(p, " \t");
                        interp = xstrndup(p, strcspn(p, " \t\n"));
                }
        }
        if (!interp)
                return;
        const struct imageread_entry *ie = resolve(c, interp, NULL);
        if (!ie)
                problem(c, "entrypoint", "%s: its interpreter %s is not in the image", prog,
                        interp);
        else if (!S_ISREG(ie->mode) || !(ie->mode & 0111))
                problem(c, "entrypoint", "%s: its interpreter %s is not an executable file", prog,
                        interp);
        free(interp);
}

static void check_entrypoint(struct vctx *c)
{
        json_t *cfg = json_object_get(c->img->config, "config");
        json_t *argv = json_object_get(cfg, "Entrypoint");
        if (!json_array_size(argv))
                argv = json_object_get(cfg, "Cmd");
        const char *arg0 = json_string_value(json_array_get(argv, 0));
        if (!arg0) {
                problem(c, "entrypoint", "the config has no Entrypoint and no Cmd");
                return;
        }
        cleanup_free char *prog = find_program(c, arg0);
        cleanup_free char *real = NULL;
        const struct imageread_entry *e = prog ? resolve(c, prog, &real) : NULL;
        if (!e) {
                problem(c, "entrypoint", "%s: not in the image", arg0);
                return;
        }
        if (!S_ISREG(e->mode) || !(e->mode & 0111)) {
                problem(c, "entrypoint", "%s: not an executable file", arg0);
                return;
        }
        check_interpreter(c, arg0, real);
        /* python SCRIPT: the script is the program */
        const char *arg1 = json_string_value(json_array_get(argv, 1));
        if (!strncmp(path_basename(real), "python", 6) && arg1 && arg1[0] == '/') {
                const struct imageread_entry *s = resolve(c, arg1, NULL);
                if (!s || !S_ISREG(s->mode))
                        problem(c, "entrypoint", "%s: the script %s is not in the image", arg0,
                                arg1);
        }
}

/* --- ELF ----------------------------------------------------------------------------------- */

static void elf_cached_free(void *p)
{
        struct elf_cached *ce = p;
        if (ce && ce->is_elf > 0)
                elf_info_release(&ce->info);
        free(ce);
}

static void copy_strvec(struct strvec *to, const struct strvec *from)
{
        *to = (struct strvec)STRVEC_INIT;
        for (size_t i = 0; i < from->n; i++)
                strvec_push(to, from->v[i]);
}

static int load_elf(void *ud, const struct imagens_node *node, struct elf_info *info,
                    struct distill_error *err)
{
        struct vctx *c = ud;
        struct elf_cached *ce = strmap_get(&c->elf_cache, node->path);
        if (!ce) {
                const struct imageread_entry *e = imageread_get(c->img, node->path);
                ce = xcalloc(1, sizeof(*ce));
                if (e && S_ISREG(e->mode) && e->size >= 4) {
                        cleanup_free char *data = NULL;
                        size_t len;
                        int r = imageread_read(c->img, e, ELF_MAX_FILE_SIZE, &data, &len, err);
                        if (r >= 0)
                                r = elf_read_mem(data, len, node->path, &ce->info, err);
                        if (r < 0) {
                                free(ce);
                                return r;
                        }
                        ce->is_elf = r;
                }
                strmap_put(&c->elf_cache, node->path, ce);
        }
        if (ce->is_elf <= 0)
                return 0;
        *info = ce->info;
        info->interp = xstrdup(ce->info.interp);
        info->rpath = xstrdup(ce->info.rpath);
        info->runpath = xstrdup(ce->info.runpath);
        info->soname = xstrdup(ce->info.soname);
        copy_strvec(&info->needed, &ce->info.needed);
        return 1;
}

/* The directories an /etc/ld.so.cache in the image lists beyond the default ones. */
static void cache_dirs(struct vctx *c, struct ldso_config *cfg)
{
        cleanup_free char *data = NULL;
        size_t len;
        struct ldcache_entry *ents = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        if (read_small(c, "/etc/ld.so.cache", &data, &len) < 0)
                return;
        if (ldcache_parse(data, len, "/etc/ld.so.cache", &ents, &n, &err) < 0) {
                problem(c, "elf", "%s", err.msg);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                cleanup_free char *dir = path_dirname(ents[i].path);
                if (!strvec_contains(&cfg->default_dirs, dir) &&
                    !strvec_contains(&cfg->cache_dirs, dir))
                        strvec_push(&cfg->cache_dirs, dir);
        }
        ldcache_entries_free(ents, n);
}

static int check_elf(struct vctx *c, struct distill_error *err)
{
        struct ldso_config cfg = {0};
        int r = ldso_config_for_arch(c->arch, &cfg, err);
        if (r < 0)
                return r;
        cache_dirs(c, &cfg);
        size_t n;
        const char **paths = imageread_paths(c->img, &n);
        for (size_t i = 0; i < n; i++) {
                const struct imagens_node *node = imagens_get(c->ns, paths[i]);
                if (!node || node->type != IMAGENS_FILE)
                        continue;
                struct elf_info info = {0};
                struct distill_error e = {0};
                r = load_elf(c, node, &info, &e);
                if (r < 0) {
                        problem(c, "elf", "%s", e.msg);
                        continue;
                }
                if (r == 0)
                        continue;
                bool dynamic = info.has_dynamic || info.interp;
                bool ours = info.elfclass == cfg.elfclass && info.machine == cfg.machine;
                bool program = info.interp != NULL;
                elf_info_release(&info);
                if (!dynamic)
                        continue;
                if (!ours) {
                        note(c, "elf", "%s: another architecture's object, not resolved", paths[i]);
                        continue;
                }
                struct ldso_result res = {0};
                const char *main_exe = program ? NULL : c->program;
                r = ldso_closure(&cfg, c->ns, load_elf, c, paths[i], main_exe, &res, &e);
                if (r < 0 && res.missing_name)
                        problem(c, "elf", "%s: NEEDED %s (of %s) not found by the ld.so rules",
                                paths[i], res.missing_name, res.missing_by);
                else if (r < 0)
                        problem(c, "elf", "%s", e.msg);
                ldso_result_release(&res);
        }
        free(paths);
        ldso_config_release(&cfg);
        return 0;
}

/* --- Python -------------------------------------------------------------------------------- */

struct pyctx {
        struct vctx *c;
        struct py_probe probe;
        enum py_grammar grammar;
};

static bool path_exists(const struct vctx *c, const char *path)
{
        return resolve(c, path, NULL) != NULL;
}

static bool is_dir(const struct vctx *c, const char *path)
{
        const struct imageread_entry *e = resolve(c, path, NULL);
        return e && S_ISDIR(e->mode);
}

/* A module file in dir: NAME.py, NAME.pyc, NAME<extension suffix>. */
static bool module_file_in(const struct pyctx *p, const char *dir, const char *name)
{
        cleanup_free char *py = xasprintf("%s/%s.py", dir, name);
        cleanup_free char *pyc = xasprintf("%s/%s.pyc", dir, name);
        if (path_exists(p->c, py) || path_exists(p->c, pyc))
                return true;
        for (size_t i = 0; i < p->probe.ext_suffixes.n; i++) {
                cleanup_free char *so = xasprintf("%s/%s%s", dir, name, p->probe.ext_suffixes.v[i]);
                if (path_exists(p->c, so))
                        return true;
        }
        return false;
}

/* Whether `module` (dotted, absolute) is found as the import system would: builtin or frozen
 * first, then the search dirs; a package's submodules in the package's directories (every
 * portion of a namespace package). A plain module stops the walk: it may put submodules in
 * sys.modules itself (os.path). */
static bool module_found(const struct pyctx *p, const char *module, const struct strvec *search)
{
        cleanup_free char *copy = xstrdup(module);
        char *save = NULL;
        char *first = strtok_r(copy, ".", &save);
        if (!first)
                return true;
        if (py_probe_is_builtin(&p->probe, first) || strvec_contains(&p->probe.frozen, module))
                return true;
        struct strvec dirs = STRVEC_INIT;
        for (size_t i = 0; i < search->n; i++)
                strvec_push(&dirs, search->v[i]);
        bool found = false;
        for (char *part = first; part; part = strtok_r(NULL, ".", &save)) {
                struct strvec next = STRVEC_INIT;
                found = false;
                for (size_t i = 0; i < dirs.n && !found; i++) {
                        cleanup_free char *pkg = xasprintf("%s/%s", dirs.v[i], part);
                        if (is_dir(p->c, pkg)) {
                                strvec_push(&next, pkg);
                                cleanup_free char *init = xasprintf("%s/__init__.py", pkg);
                                cleanup_free char *initc = xasprintf("%s/__init__.pyc", pkg);
                                if (path_exists(p->c, init) || path_exists(p->c, initc))
                                        break; /* a regular package ends the search */
                        } else if (module_file_in(p, dirs.v[i], part)) {
                                found = true;
                        }
                }
                if (found) { /* a module: what follows is its business */
                        strvec_clear(&next);
                        break;
                }
                strvec_clear(&dirs);
                dirs = next;
                if (!dirs.n)
                        break;
                found = true;
        }
        strvec_clear(&dirs);
        return found;
}

/* The package a module file is in ("a.b" for a/b/c.py and for a/b/__init__.py's "a.b"). */
static char *package_of(const char *module, bool is_init)
{
        if (is_init)
                return xstrdup(module);
        const char *dot = strrchr(module, '.');
        return dot ? xstrndup(module, (size_t)(dot - module)) : xstrdup("");
}

static char *absolute_name(const char *package, const struct py_import *im)
{
        if (im->level == 0)
                return xstrdup(im->module);
        cleanup_free char *base = xstrdup(package);
        for (int i = 1; i < im->level; i++) {
                char *dot = strrchr(base, '.');
                if (!dot) {
                        if (!*base)
                                return NULL;
                        base[0] = '\0';
                        continue;
                }
                *dot = '\0';
        }
        if (!*base)
                return *im->module ? xstrdup(im->module) : NULL;
        return *im->module ? xasprintf("%s.%s", base, im->module) : xstrdup(base);
}

/* One kept module: what it imports, and whether the image needs it to import cleanly. */
struct pyfile {
        char *path;
        char *module;         /* dotted name, "" when it is no importable module */
        struct strvec search; /* where its absolute imports are looked up */
        struct py_scan scan;
        bool scanned;
        bool targeted;  /* some kept module imports it */
        bool required;  /* reached from a root through unconditional imports */
        size_t *uncond; /* the modules it imports unconditionally (indexes) */
        size_t n_uncond;
};

static bool unconditional(const struct py_import *im)
{
        return im->depth == PY_DEPTH_MODULE && !im->guarded && !im->fallback_for;
}

static bool import_counts(const struct py_import *im)
{
        return (im->kind == PY_IMPORT || im->kind == PY_FROM) && !im->main_block && !im->if_loaded;
}

static void scan_py_file(struct pyctx *p, struct pyfile *f)
{
        struct vctx *c = p->c;
        const struct imageread_entry *e = imageread_get(c->img, f->path);
        cleanup_free char *src = NULL;
        size_t len;
        struct distill_error err = {0};
        if (imageread_read(c->img, e, PYIMPORTS_MAX_SOURCE, &src, &len, &err) < 0 ||
            pyimports_scan(src, len, f->path, p->grammar, &f->scan, &err) < 0) {
                note(c, "python", "%s", err.msg);
                return;
        }
        f->scanned = true;
}

static char *import_name(const struct pyfile *f, const struct py_import *im)
{
        bool is_init = !strcmp(path_basename(f->path), "__init__.py");
        cleanup_free char *package = package_of(f->module, is_init);
        return absolute_name(package, im);
}

/* An edge to every kept module the import loads: the module, its parent packages, and for
 * `from M import x` a submodule M.x. */
static void link_import(struct pyfile *files, const struct strmap *by_name, size_t from,
                        const struct py_import *im, const char *name)
{
        struct strvec targets = STRVEC_INIT;
        /* the parents, then the module itself */
        for (const char *s = name; (s = strchr(s, '.')); s++)
                strvec_push_nodup(&targets, xstrndup(name, (size_t)(s - name)));
        strvec_push(&targets, name);
        for (size_t i = 0; im->kind == PY_FROM && i < im->names.n; i++)
                strvec_push_nodup(&targets, xasprintf("%s.%s", name, im->names.v[i]));
        for (size_t i = 0; i < targets.n; i++) {
                void *v = strmap_get(by_name, targets.v[i]);
                if (!v)
                        continue;
                size_t to = (size_t)(uintptr_t)v - 1;
                if (to == from)
                        continue;
                files[to].targeted = true;
                if (unconditional(im)) {
                        struct pyfile *f = &files[from];
                        f->uncond = xrealloc(f->uncond, (f->n_uncond + 1) * sizeof(*f->uncond));
                        f->uncond[f->n_uncond++] = to;
                }
        }
        strvec_clear(&targets);
}

/* Which modules must import cleanly: those reached through unconditional module-level imports
 * from a root — app code, and every module no kept module imports (the entrypoint, what rules
 * and start-up keep). A module reached only under an `if` (asyncio's windows_events) or from
 * inside a function is kept for a platform or a path the image does not take. */
static void mark_required(struct pyfile *files, size_t n)
{
        size_t *queue = xcalloc(n + 1, sizeof(*queue));
        size_t head = 0, tail = 0;
        for (size_t i = 0; i < n; i++)
                if (!files[i].targeted || !*files[i].module) {
                        files[i].required = true;
                        queue[tail++] = i;
                }
        while (head < tail) {
                struct pyfile *f = &files[queue[head++]];
                for (size_t k = 0; k < f->n_uncond; k++) {
                        struct pyfile *g = &files[f->uncond[k]];
                        if (!g->required) {
                                g->required = true;
                                queue[tail++] = f->uncond[k];
                        }
                }
        }
        free(queue);
}

/* Whether a package's md5sums list a file for the module: the image's own record says it was
 * a module there. */
static bool shipped_as_module(const struct pyctx *p, const struct pyfile *f, const char *module)
{
        cleanup_free char *rel = xstrdup(module);
        for (char *s = rel; *s; s++)
                if (*s == '.')
                        *s = '/';
        for (size_t i = 0; i < f->search.n; i++) {
                cleanup_free char *py = xasprintf("%s/%s.py", f->search.v[i], rel);
                cleanup_free char *init = xasprintf("%s/%s/__init__.py", f->search.v[i], rel);
                if (strmap_has(&p->c->listed, py) || strmap_has(&p->c->listed, init))
                        return true;
        }
        return false;
}

/* `from . import x` may name a submodule or an attribute __init__ sets (multiprocessing's
 * get_start_method): x is missing when no module of that name is in the image but a package
 * shipped one (its md5sums list it). The first such name, else NULL. Frees `name`. */
static char *missing_submodule(const struct pyctx *p, const struct pyfile *f,
                               const struct py_import *im, char *name)
{
        char *missing = NULL;
        if (im->kind == PY_FROM && im->level > 0 && !*im->module)
                for (size_t k = 0; k < im->names.n && !missing; k++) {
                        if (!strcmp(im->names.v[k], "*"))
                                continue;
                        char *sub = xasprintf("%s.%s", name, im->names.v[k]);
                        if (!module_found(p, sub, &f->search) && shipped_as_module(p, f, sub))
                                missing = sub;
                        else
                                free(sub);
                }
        free(name);
        return missing;
}

static void report_py_file(struct pyctx *p, const struct pyfile *f)
{
        struct vctx *c = p->c;
        for (size_t i = 0; i < f->scan.n_imports; i++) {
                const struct py_import *im = &f->scan.imports[i];
                if (!import_counts(im) || im->depth == PY_DEPTH_FUNCTION)
                        continue;
                cleanup_free char *name = import_name(f, im);
                if (name && module_found(p, name, &f->search))
                        name = missing_submodule(p, f, im, name);
                if (!name)
                        continue;
                if (f->required && unconditional(im))
                        problem(c, "python", "%s:%u: import %s: no such module in the image",
                                f->path, im->line, name);
                else
                        note(c, "python", "%s:%u: import %s (%s): not in the image", f->path,
                             im->line, name,
                             im->guarded || im->fallback_for ? "guarded by except ImportError"
                             : !unconditional(im)            ? "under a condition"
                                                  : "in a module imported only conditionally");
        }
}

/* The newest /usr/lib/python3.N with os.py: the image's interpreter version. */
static char *python_version(const struct vctx *c)
{
        char *best = NULL;
        int best_minor = -1;
        struct strvec names = STRVEC_INIT;
        if (imagens_list_dir(c->ns, "/usr/lib", &names) < 0)
                return NULL;
        for (size_t i = 0; i < names.n; i++) {
                int minor;
                char tail;
                if (sscanf(names.v[i], "python3.%d%c", &minor, &tail) != 1)
                        continue;
                cleanup_free char *os = xasprintf("/usr/lib/%s/os.py", names.v[i]);
                if (path_exists(c, os) && minor > best_minor) {
                        best_minor = minor;
                        free(best);
                        best = xasprintf("3.%d", minor);
                }
        }
        strvec_clear(&names);
        return best;
}

/* The sys.path dir a file is under (longest), and its module name there. */
static const char *sys_path_dir(const struct pyctx *p, const char *path, char **module)
{
        const char *best = NULL;
        for (size_t i = 0; i < p->probe.sys_path.n; i++) {
                const char *d = p->probe.sys_path.v[i];
                if (under(path, d) && strcmp(path, d) && (!best || strlen(d) > strlen(best)))
                        best = d;
        }
        *module = NULL;
        if (!best)
                return NULL;
        char *rel = xstrdup(path + strlen(best) + (strcmp(best, "/") ? 1 : 0));
        size_t l = strlen(rel);
        rel[l - 3] = '\0'; /* ".py" */
        if (l >= 12 && !strcmp(rel + l - 12, "/__init__"))
                rel[l - 12] = '\0';
        for (char *s = rel; *s; s++)
                if (*s == '/')
                        *s = '.';
        *module = rel;
        return best;
}

static bool is_identifier_path(const char *rel)
{
        for (const char *s = rel; *s; s++)
                if (!(*s == '/' || *s == '_' || (*s >= 'a' && *s <= 'z') ||
                      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
                        return false;
        return true;
}

static int check_python(struct vctx *c, struct distill_error *err)
{
        cleanup_free char *version = python_version(c);
        if (!version)
                return 0;
        struct pyctx p = {.c = c, .grammar = py_grammar_of(version)};
        int r = pyprobe_from_table(version, c->arch, &p.probe, err);
        if (r < 0)
                return r;
        size_t n, nf = 0;
        const char **paths = imageread_paths(c->img, &n);
        struct pyfile *files = xcalloc(n + 1, sizeof(*files));
        struct strmap by_name = STRMAP_INIT;
        for (size_t i = 0; i < n; i++) {
                const struct imageread_entry *e = imageread_get(c->img, paths[i]);
                size_t l = strlen(paths[i]);
                if (!S_ISREG(e->mode) || l < 4 || strcmp(paths[i] + l - 3, ".py"))
                        continue;
                struct pyfile *f = &files[nf];
                *f = (struct pyfile){.path = xstrdup(paths[i])};
                const char *dir = sys_path_dir(&p, paths[i], &f->module);
                if (dir) {
                        /* a file no import can name (a script, a name with a dash) is no
                         * module */
                        cleanup_free char *rel =
                            xstrndup(paths[i] + strlen(dir) + 1, l - strlen(dir) - 4);
                        if (!is_identifier_path(rel)) {
                                free(f->module);
                                free(f->path);
                                continue;
                        }
                } else {
                        /* app code: the directory above its packages is sys.path[0] */
                        cleanup_free char *top = path_dirname(paths[i]);
                        for (;;) {
                                cleanup_free char *init = path_join(top, "__init__.py");
                                if (strcmp(top, "/") == 0 || !imageread_get(c->img, init))
                                        break;
                                char *up = path_dirname(top);
                                free(top);
                                top = up;
                        }
                        strvec_push(&f->search, top);
                        struct pyctx tmp = p;
                        tmp.probe.sys_path = (struct strvec){.v = &top, .n = 1};
                        char *mod = NULL;
                        sys_path_dir(&tmp, paths[i], &mod);
                        f->module = mod ? mod : xstrdup("");
                }
                for (size_t k = 0; k < p.probe.sys_path.n; k++)
                        strvec_push(&f->search, p.probe.sys_path.v[k]);
                if (*f->module && !strmap_get(&by_name, f->module))
                        strmap_put(&by_name, f->module, (void *)(uintptr_t)(nf + 1));
                scan_py_file(&p, f);
                nf++;
        }
        for (size_t i = 0; i < nf; i++)
                for (size_t k = 0; k < files[i].scan.n_imports; k++) {
                        const struct py_import *im = &files[i].scan.imports[k];
                        if (!import_counts(im))
                                continue;
                        cleanup_free char *name = import_name(&files[i], im);
                        if (name)
                                link_import(files, &by_name, i, im, name);
                }
        mark_required(files, nf);
        for (size_t i = 0; i < nf; i++) {
                if (files[i].scanned)
                        report_py_file(&p, &files[i]);
                py_scan_release(&files[i].scan);
                strvec_clear(&files[i].search);
                free(files[i].path);
                free(files[i].module);
                free(files[i].uncond);
        }
        free(files);
        strmap_clear(&by_name, NULL);
        free(paths);
        py_probe_release(&p.probe);
        return 0;
}

/* --- dpkg metadata ------------------------------------------------------------------------- */

static void check_md5sums_file(struct vctx *c, const char *list)
{
        cleanup_free char *data = NULL;
        size_t len;
        if (read_small(c, list, &data, &len) < 0) {
                problem(c, "md5sums", "%s: cannot be read", list);
                return;
        }
        char *save = NULL;
        unsigned line_no = 0;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                line_no++;
                if (strlen(line) < MD5_HEX_LEN + 3 || line[MD5_HEX_LEN] != ' ') {
                        problem(c, "md5sums", "%s:%u: not a \"MD5  PATH\" line", list, line_no);
                        continue;
                }
                const char *rel = line + MD5_HEX_LEN + 1;
                rel += strspn(rel, " *");
                cleanup_free char *path = xasprintf("/%s", rel);
                strmap_put(&c->listed, path, NULL);
                const struct imageread_entry *e = resolve(c, path, NULL);
                if (!e || !S_ISREG(e->mode)) {
                        problem(c, "md5sums", "%s: listed in %s but not in the image", path, list);
                        continue;
                }
                cleanup_free char *bytes = NULL;
                size_t blen;
                struct distill_error err = {0};
                if (imageread_read(c->img, e, (size_t)1 << 32, &bytes, &blen, &err) < 0) {
                        problem(c, "md5sums", "%s", err.msg);
                        continue;
                }
                struct digest *d = digest_md5();
                char hex[MD5_HEX_LEN + 1];
                digest_update(d, bytes, blen);
                digest_finish_hex(d, hex);
                if (strncmp(hex, line, MD5_HEX_LEN))
                        problem(c, "md5sums", "%s: md5 %s, %s says %.32s", path, hex, list, line);
        }
}

static void check_md5sums(struct vctx *c)
{
        struct strvec names = STRVEC_INIT;
        if (imagens_list_dir(c->ns, STATUS_DIR, &names) < 0)
                return;
        for (size_t i = 0; i < names.n; i++) {
                size_t l = strlen(names.v[i]);
                if (l <= 8 || strcmp(names.v[i] + l - 8, ".md5sums"))
                        continue;
                cleanup_free char *list = xasprintf("%s/%s", STATUS_DIR, names.v[i]);
                check_md5sums_file(c, list);
        }
        strvec_clear(&names);
}

/* The image's architecture: the config's, else the Architecture: of the libc6 status file. */
static char *image_arch(const struct vctx *c)
{
        const char *a = json_string_value(json_object_get(c->img->config, "architecture"));
        if (a) {
                /* OCI names two Debian architectures differently */
                if (!strcmp(a, "386"))
                        return xstrdup("i386");
                if (!strcmp(a, "arm")) {
                        const char *v =
                            json_string_value(json_object_get(c->img->config, "variant"));
                        return xstrdup(v && !strcmp(v, "v7") ? "armhf" : "armel");
                }
                return xstrdup(a);
        }
        cleanup_free char *status = NULL;
        size_t len;
        if (read_small(c, STATUS_DIR "/libc6", &status, &len) == 0) {
                char *f = strstr(status, "\nArchitecture:");
                if (f) {
                        f += 14;
                        f += strspn(f, " ");
                        return xstrndup(f, strcspn(f, "\n"));
                }
        }
        return xstrdup("amd64");
}

int verify_image(const struct imageread *img, struct verify_report *rep, struct distill_error *err)
{
        struct vctx c = {.img = img, .rep = rep, .elf_cache = STRMAP_INIT, .listed = STRMAP_INIT};
        int r = imageread_namespace(img, &c.ns, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < img->problems.n; i++)
                verify_add(&rep->problems, &rep->n_problems, "digest", xstrdup(img->problems.v[i]));
        c.arch = image_arch(&c);
        c.debug = imageread_get(img, STATUS_DIR "/" MANIFEST_DEBUG_PACKAGE) != NULL;
        check_user(&c);
        check_entries(&c);
        if (img->form != IMAGEREAD_ROOTFS)
                check_entrypoint(&c);
        check_md5sums(&c);
        r = check_elf(&c, err);
        if (r >= 0)
                r = check_python(&c, err);
        strmap_clear(&c.elf_cache, elf_cached_free);
        strmap_clear(&c.listed, NULL);
        imagens_free(c.ns);
        free(c.home);
        free(c.arch);
        free(c.program);
        return r;
}

/* --- the command --------------------------------------------------------------------------- */

static json_t *findings_json(const struct verify_finding *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                json_object_set_new(o, "check", json_string(v[i].check));
                json_object_set_new(o, "message", json_string(v[i].message));
                json_array_append_new(a, o);
        }
        return a;
}

static const char *form_name(enum imageread_form f)
{
        return f == IMAGEREAD_OCI              ? "oci"
               : f == IMAGEREAD_DOCKER_ARCHIVE ? "docker-archive"
                                               : "rootfs";
}

int verify_run(const struct verify_options *o, FILE *to, struct distill_error *err)
{
        struct imageread *img = NULL;
        struct verify_report rep = {0};
        struct structure_tests *tests = NULL;
        int r = 0;

        if (o->tests)
                r = structure_load_file(o->tests, &tests, err);
        if (r >= 0)
                r = imageread_open(o->out, &img, err);
        if (r >= 0)
                r = verify_image(img, &rep, err);
        if (r >= 0 && tests)
                r = structure_run(tests, img, &rep, err);
        if (r < 0)
                goto out;
        if (o->json) {
                json_t *j = json_object();
                json_object_set_new(j, "image", json_string(o->out));
                json_object_set_new(j, "form", json_string(form_name(img->form)));
                json_object_set_new(j, "ok", json_boolean(rep.n_problems == 0));
                json_object_set_new(j, "problems", findings_json(rep.problems, rep.n_problems));
                json_object_set_new(j, "notes", findings_json(rep.notes, rep.n_notes));
                json_dumpf(j, to, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                fputc('\n', to);
                json_decref(j);
        } else {
                for (size_t i = 0; i < rep.n_problems; i++)
                        fprintf(to, "%s: %s\n", rep.problems[i].check, rep.problems[i].message);
                for (size_t i = 0; i < rep.n_notes; i++)
                        fprintf(to, "note: %s: %s\n", rep.notes[i].check, rep.notes[i].message);
                if (!rep.n_problems)
                        fprintf(to, "%s: ok\n", o->out);
        }
        if (rep.n_problems)
                r = distill_error_set(err, DISTILL_EVERIFY, "%s: %zu problem%s", o->out,
                                      rep.n_problems, rep.n_problems == 1 ? "" : "s");
out:
        verify_report_release(&rep);
        imageread_free(img);
        structure_tests_free(tests);
        return r;
}
