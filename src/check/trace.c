/* check.trace: a tree of every candidate file, strace and a Python audit hook (trace.h). */
#include "distill/check/trace.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/spawn.h"
#include "distill/core/imagens.h"
#include "distill/image/tree.h"

#define HOOK_DIR     "/usr/lib/python3/dist-packages"
#define HOOK_MODULE  "_distill_trace"
#define HOOK_LOG     "python.log"
#define STRACE_FILES "strace"
#define EVENTS_MAX   (256u << 20) /* of each log file */

/* Loaded by site through its .pth line. It must not import anything site has not imported
 * already (that would be observed too) and must never raise into the program. */
static const char hook_source[] =
    "# distill check.trace: reports what this interpreter imports and opens\n"
    "import atexit, os, sys\n"
    "def _install():\n"
    "    fd = os.open('" TRACE_MOUNT "/" HOOK_LOG "',\n"
    "                 os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)\n"
    "    def hook(event, args):\n"
    "        try:\n"
    "            if event == 'import':\n"
    "                kind, what = 'import', args[0]\n"
    "            elif event == 'open':\n"
    "                kind, what = 'open', args[0]\n"
    "                if isinstance(what, int):\n"
    "                    return\n"
    "                what = os.fsdecode(os.fspath(what))\n"
    "                if not what.startswith('/'):\n"
    "                    what = os.path.join(os.getcwd(), what)\n"
    "            elif event == 'ctypes.dlopen':\n"
    "                kind, what = 'dlopen', args[0]\n"
    "                if what is None:\n"
    "                    return\n"
    "                what = os.fsdecode(what)\n"
    "            else:\n"
    "                return\n"
    "            line = kind + '\\t' + what.encode('utf-8', 'surrogateescape').hex() + '\\n'\n"
    "            os.write(fd, line.encode('ascii'))\n"
    "        except Exception:\n"
    "            pass\n"
    "    def loaded():\n"
    "        # importlib.import_module raises no import event: what is in sys.modules at exit\n"
    "        for name, mod in list(sys.modules.items()):\n"
    "            spec = getattr(mod, '__spec__', None)\n"
    "            origin = getattr(spec, 'origin', None)\n"
    "            # loaded from a file under this name (not frozen, built in, or an alias)\n"
    "            if getattr(spec, 'name', None) == name and str(origin).startswith('/'):\n"
    "                hook('import', (name,))\n"
    "    atexit.register(loaded)\n"
    "    sys.addaudithook(hook)\n"
    "_install()\n"
    "del _install\n";

void trace_tree_release(struct trace_tree *t)
{
        free(t->root);
        free(t->events);
        free(t->run_events);
        strvec_clear(&t->tracer);
        memset(t, 0, sizeof(*t));
}

static int put_package_file(struct tree *tr, struct source *src, const struct source_pkg *pkg,
                            const char *dpkg_path, struct distill_error *err)
{
        cleanup_free char *canon = usrmerge_canonical(dpkg_path);
        struct source_stat sst = {0};
        cleanup_close int fd = -1;
        int r;

        if (!canon || tree_has(tr, canon))
                return 0;
        r = source_lstat(src, dpkg_path, &sst, err);
        if (r < 0 && err->code == DISTILL_ERESOLVE) {
                err->code = 0; /* listed by dpkg, removed by the admin (path-exclude) */
                return 0;
        }
        if (r < 0)
                return r;
        switch (sst.type) {
        case SOURCE_DIR:
                r = tree_put_dir(tr, canon, sst.mode & 0755, 0, 0, err);
                break;
        case SOURCE_SYMLINK:
                r = tree_put_symlink(tr, canon, sst.link_target, 0, 0, err);
                break;
        case SOURCE_REG:
                r = source_open_file(src, dpkg_path, &fd, err);
                if (r >= 0)
                        r = tree_put_file(tr, canon, fd, sst.mode & 0755, 0, 0, err);
                break;
        case SOURCE_OTHER:
                break;
        }
        free(sst.link_target);
        if (r < 0)
                return distill_error_prefix(err, "trace tree, %s of %s: ", dpkg_path, pkg->name);
        return 0;
}

static int put_hook(struct tree *tr, struct distill_error *err)
{
        static const char pth[] = "import " HOOK_MODULE "\n";
        cleanup_close int src = memfd_create("hook", MFD_CLOEXEC);
        cleanup_close int line = memfd_create("pth", MFD_CLOEXEC);
        int e;

        if (src < 0 || line < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "memfd for the trace hook");
        if ((e = write_all(src, hook_source, sizeof(hook_source) - 1)) < 0 ||
            (e = write_all(line, pth, sizeof(pth) - 1)) < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "writing the trace hook");
        lseek(src, 0, SEEK_SET);
        lseek(line, 0, SEEK_SET);
        int r = tree_put_file(tr, HOOK_DIR "/" HOOK_MODULE ".py", src, 0644, 0, 0, err);
        if (r >= 0)
                r = tree_put_file(tr, HOOK_DIR "/" HOOK_MODULE ".pth", line, 0644, 0, 0, err);
        return r;
}

static void tracer_argv(const char *strace, const char *events, struct strvec *argv)
{
        strvec_clear(argv);
        static const char *const opts[] = {
            /* every process, one file each (lines never interleave), only calls that
             * succeeded, unix times, descriptors decoded to their paths, every byte of a
             * string in hex (no quoting to undo) */
            "-f",
            "-ff",
            "-qq",
            "-z",
            "-ttt",
            "-y",
            "-xx",
            "-s",
            "4096",
            "-e",
            "trace=open,openat,openat2,execve,execveat",
            "-e",
            "signal=none",
            NULL};
        strvec_push(argv, strace);
        for (size_t i = 0; opts[i]; i++)
                strvec_push(argv, opts[i]);
        strvec_push(argv, "-o");
        strvec_push_nodup(argv, path_join(events, STRACE_FILES));
        strvec_push(argv, "--");
}

int trace_tree_make(const char *dir, struct plan *plan, const struct store *st, struct source *src,
                    const struct pkgset *candidates, bool python_hook, unsigned uid, unsigned gid,
                    int64_t epoch, struct trace_tree *out, struct distill_error *err)
{
        cleanup_free char *strace = spawn_find_program("strace");
        struct tree *tr = NULL;
        size_t n;
        int r;

        memset(out, 0, sizeof(*out));
        if (!strace)
                return distill_error_set(err, DISTILL_EIO,
                                         "check.trace needs strace, which is not installed "
                                         "(Debian package strace)");
        out->root = path_join(dir, "root");
        out->events = path_join(dir, "events");
        out->uid = uid;
        out->gid = gid;
        if (mkdir(out->root, 0755) < 0 || mkdir(out->events, 0755) < 0) {
                r = distill_error_errno(err, DISTILL_EIO, errno, "cannot make %s", dir);
                goto fail;
        }
        r = tree_open(out->root, epoch, &tr, err);
        if (r < 0)
                goto fail;
        struct plan_entry *const *all = plan_sorted(plan, &n);
        r = tree_put_plan(tr, all, n, st, err);
        for (size_t i = 0; i < candidates->n && r >= 0; i++) {
                const struct source_pkg *pkg = candidates->pkgs[i];
                for (size_t k = 0; k < pkg->files.n && r >= 0; k++)
                        r = put_package_file(tr, src, pkg, pkg->files.v[k], err);
        }
        if (r >= 0)
                r = tree_put_dir(tr, TRACE_MOUNT, 0755, 0, 0, err);
        if (r >= 0 && python_hook)
                r = put_hook(tr, err);
        if (r >= 0)
                r = tree_finish(tr, err);
        tree_free(tr);
        if (r >= 0)
                return 0;
fail:
        trace_tree_release(out);
        return r;
}

int trace_next_run(struct trace_tree *t, size_t index, struct distill_error *err)
{
        cleanup_free char *strace = spawn_find_program("strace");
        cleanup_free char *name = xasprintf("%zu", index);

        free(t->run_events);
        t->run_events = path_join(t->events, name);
        if (!strace)
                return distill_error_set(err, DISTILL_EIO,
                                         "check.trace needs strace, which is not installed "
                                         "(Debian package strace)");
        if (mkdir(t->run_events, 0700) < 0 || chown(t->run_events, t->uid, t->gid) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot make %s",
                                           t->run_events);
        tracer_argv(strace, t->run_events, &t->tracer);
        return 0;
}

/* ---- reading what was seen ---- */

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* A string as strace -xx prints it, from just after its opening delimiter to `close`: \xHH
 * escapes (other characters taken as they are). *end points after the delimiter. NULL when the
 * string is not closed or decodes to something with a NUL. */
static char *decode_strace_string(const char *p, char close, const char **end)
{
        struct strbuf sb = STRBUF_INIT;
        while (*p && *p != close) {
                if (p[0] == '\\' && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
                        int c = hexval(p[2]) * 16 + hexval(p[3]);
                        if (c == 0)
                                break;
                        strbuf_addch(&sb, (char)c);
                        p += 4;
                } else {
                        strbuf_addch(&sb, *p++);
                }
        }
        if (*p != close) {
                strbuf_release(&sb);
                return NULL;
        }
        *end = p + 1;
        return strbuf_detach(&sb);
}

static bool takes_dirfd(const char *call)
{
        return !strcmp(call, "openat") || !strcmp(call, "openat2") || !strcmp(call, "execveat");
}

static bool is_traced_call(const char *call)
{
        return !strcmp(call, "open") || takes_dirfd(call) || !strcmp(call, "execve");
}

int trace_parse_strace_line(const char *line, double *t, char **call, char **path)
{
        char *end;
        const char *p;
        cleanup_free char *dir = NULL;
        cleanup_free char *name = NULL;

        *call = *path = NULL;
        *t = strtod(line, &end);
        if (end == line || *end != ' ')
                return 0;
        p = end + 1;
        const char *open_paren = p;
        while (islower((unsigned char)*open_paren) || isdigit((unsigned char)*open_paren) ||
               *open_paren == '_')
                open_paren++;
        if (*open_paren != '(' || open_paren == p)
                return 0;
        *call = xstrndup(p, (size_t)(open_paren - p));
        if (!is_traced_call(*call))
                goto not_ours;
        p = open_paren + 1;
        if (takes_dirfd(*call)) {
                /* "AT_FDCWD<\x2f…>, " or "3<\x2f…>, ": the directory the path is relative to */
                const char *comma = strstr(p, ", ");
                const char *lt = strchr(p, '<');
                if (!comma)
                        goto not_ours;
                if (lt && lt < comma) {
                        const char *after;
                        dir = decode_strace_string(lt + 1, '>', &after);
                }
                p = comma + 2;
        }
        if (*p != '"')
                goto not_ours;
        const char *after;
        name = decode_strace_string(p + 1, '"', &after);
        if (!name || !*name)
                goto not_ours;
        if (name[0] == '/')
                *path = path_normalize(name);
        else if (dir && dir[0] == '/') {
                cleanup_free char *joined = path_join(dir, name);
                *path = path_normalize(joined);
        } else {
                goto not_ours; /* relative to something strace could not name */
        }
        return 1;
not_ours:
        free(*call);
        *call = NULL;
        return 0;
}

struct strace_event {
        double t;
        bool exec;
        char *path;
};

static void add_observed(struct strmap *map, const char *key, char *event)
{
        if (strmap_has(map, key)) {
                free(event);
                return;
        }
        strmap_put(map, key, event);
}

/* Every strace file; events before the program's first exec are bubblewrap's (its own loader,
 * the host's libraries, the sandbox's setup) and are dropped. */
static int collect_strace(const struct trace_tree *t, struct select_observed *obs,
                          struct distill_error *err)
{
        cleanup_free char *bwrap = spawn_find_program("bwrap");
        struct strace_event *ev = NULL;
        size_t n = 0, cap = 0;
        double start = -1;
        int r = 0;

        DIR *d = opendir(t->run_events);
        if (!d)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot read %s",
                                           t->run_events);
        for (struct dirent *de; (de = readdir(d)) && r >= 0;) {
                if (strncmp(de->d_name, STRACE_FILES ".", sizeof(STRACE_FILES)))
                        continue;
                cleanup_free char *file = path_join(t->run_events, de->d_name);
                cleanup_free char *data = NULL;
                size_t len;
                int e = read_file_capped(file, EVENTS_MAX, &data, &len);
                if (e < 0) {
                        r = distill_error_errno(err, DISTILL_EIO, -e, "cannot read %s", file);
                        break;
                }
                char *save = NULL;
                for (char *line = strtok_r(data, "\n", &save); line;
                     line = strtok_r(NULL, "\n", &save)) {
                        double when;
                        char *call, *path;
                        if (!trace_parse_strace_line(line, &when, &call, &path))
                                continue;
                        bool exec = strncmp(call, "execve", 6) == 0;
                        free(call);
                        if (exec && (!bwrap || strcmp(path, bwrap)) && (start < 0 || when < start))
                                start = when;
                        if (n == cap) {
                                cap = cap ? 2 * cap : 1024;
                                ev = xrealloc(ev, cap * sizeof(*ev));
                        }
                        ev[n++] = (struct strace_event){when, exec, path};
                }
        }
        closedir(d);
        for (size_t i = 0; i < n; i++) {
                if (r >= 0 && start >= 0 && ev[i].t >= start)
                        add_observed(&obs->paths, ev[i].path,
                                     xasprintf("%s %s", ev[i].exec ? "exec" : "open", ev[i].path));
                free(ev[i].path);
        }
        free(ev);
        return r;
}

static bool is_module_name(const char *s)
{
        if (!*s || *s == '.')
                return false;
        for (const char *p = s; *p; p++)
                if (!(isalnum((unsigned char)*p) || *p == '_' ||
                      (*p == '.' && p[1] && p[1] != '.')))
                        return false;
        return true;
}

static int collect_python(const struct trace_tree *t, struct select_observed *obs,
                          struct distill_error *err)
{
        cleanup_free char *file = path_join(t->run_events, HOOK_LOG);
        cleanup_free char *data = NULL;
        size_t len;
        int e = read_file_capped(file, EVENTS_MAX, &data, &len);
        if (e == -ENOENT)
                return 0; /* no Python ran */
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot read %s", file);
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *tab = strchr(line, '\t');
                if (!tab)
                        continue;
                *tab = '\0';
                struct strbuf what = STRBUF_INIT;
                bool ok = strlen(tab + 1) % 2 == 0;
                for (const char *h = tab + 1; ok && *h; h += 2) {
                        int c = hexval(h[0]) * 16 + hexval(h[1]);
                        ok = hexval(h[0]) >= 0 && hexval(h[1]) >= 0 && c != 0;
                        if (ok)
                                strbuf_addch(&what, (char)c);
                }
                if (ok && !strcmp(line, "import") && is_module_name(what.buf) &&
                    strcmp(what.buf, HOOK_MODULE))
                        add_observed(&obs->modules, what.buf, xasprintf("import %s", what.buf));
                else if (ok && (!strcmp(line, "open") || !strcmp(line, "dlopen")) &&
                         what.buf[0] == '/') {
                        cleanup_free char *norm = path_normalize(what.buf);
                        add_observed(&obs->paths, norm, xasprintf("python %s %s", line, norm));
                }
                strbuf_release(&what);
        }
        return 0;
}

int trace_collect(const struct trace_tree *t, struct select_observed *obs,
                  struct distill_error *err)
{
        int r = collect_strace(t, obs, err);
        return r < 0 ? r : collect_python(t, obs, err);
}

bool trace_argv_disables_site(const struct strvec *argv)
{
        if (!argv->n || strncmp(path_basename(argv->v[0]), "python", 6) != 0)
                return false;
        for (size_t i = 1; i < argv->n; i++) {
                const char *a = argv->v[i];
                if (a[0] != '-' || !a[1] || !strcmp(a, "--"))
                        return false; /* the script, stdin, or the end of the options */
                if (a[1] == '-')
                        continue; /* --long options say nothing of site */
                for (const char *c = a + 1; *c; c++) {
                        if (*c == 'S')
                                return true;
                        if (*c == 'c' || *c == 'm')
                                return false; /* the rest are the program's arguments */
                        if (*c == 'W' || *c == 'X') {
                                if (!c[1])
                                        i++; /* its argument is the next word */
                                break;
                        }
                }
        }
        return false;
}
