/* The interpreter probe (DESIGN "Python import closure"): run the image's own interpreter once —
 * through the tree's ld.so when the architecture is the host's, under qemu-user -L otherwise — and
 * ask it what only it knows (builtin and frozen modules, extension suffixes, cache tag, magic
 * number, default sys.path). A per-version table answers when it cannot run. */
#include "distill/pyprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "distill/arch.h"

#define TREE_MAX_LINKS     40
#define PYRUN_MAX_STDOUT   (256u << 20) /* the probe prints a few KB; the compiler a line per job */
#define PYRUN_KEEP_STDERR  (64u << 10)
#define PYRUN_STDERR_LINES 12
#define PROBE_MAX_ITEMS    100000
#define PROBE_MAX_STRING   4096

/* Resolve an image path inside the host directory `tree`, following symlinks as the image would:
 * absolute targets restart at the tree root and ".." is clamped there, so nothing ever escapes to
 * the build host's own files. Components that do not exist are kept as written (running the
 * result then fails cleanly). Returns the host path TREE + resolved image path. */
static char *tree_resolve(const char *tree, const char *image_path)
{
        struct strbuf done = STRBUF_INIT; /* resolved prefix: no symlinks left in it */
        char *pending = xstrdup(image_path);
        size_t pos = 0;
        int links = 0;

        strbuf_adds(&done, "");
        for (;;) {
                while (pending[pos] == '/')
                        pos++;
                if (!pending[pos])
                        break;
                size_t end = pos;
                while (pending[end] && pending[end] != '/')
                        end++;
                const char *comp = pending + pos;
                size_t clen = end - pos;
                if (clen == 1 && comp[0] == '.') {
                        pos = end;
                        continue;
                }
                if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
                        char *slash = strrchr(done.buf, '/');
                        if (slash) {
                                done.len = (size_t)(slash - done.buf);
                                done.buf[done.len] = '\0';
                        }
                        pos = end;
                        continue;
                }
                size_t oldlen = done.len;
                strbuf_addch(&done, '/');
                strbuf_add(&done, comp, clen);

                char *host = xasprintf("%s%s", tree, done.buf);
                char target[PATH_MAX];
                struct stat st;
                ssize_t n = -1;
                if (links < TREE_MAX_LINKS && lstat(host, &st) == 0 && S_ISLNK(st.st_mode))
                        n = readlink(host, target, sizeof(target) - 1);
                free(host);
                if (n > 0) {
                        target[n] = '\0';
                        links++;
                        done.len = oldlen;
                        done.buf[oldlen] = '\0';
                        char *next = target[0] == '/'
                                         ? xasprintf("%s%s", target, pending + end)
                                         : xasprintf("%s/%s%s", done.buf, target, pending + end);
                        free(pending);
                        pending = next;
                        pos = 0;
                        strbuf_reset(&done);
                        continue;
                }
                pos = end;
        }
        char *result = xasprintf("%s%s", tree, done.len ? done.buf : "/");
        strbuf_release(&done);
        free(pending);
        return result;
}

/* qemu-ARCH-static on PATH or in /usr/bin; the bare name when absent (pyrun_exec then explains). */
static char *find_qemu(const char *qemu_arch)
{
        char *name = xasprintf("qemu-%s-static", qemu_arch);
        const char *path = getenv("PATH");
        struct strbuf dirs = STRBUF_INIT;
        strbuf_addf(&dirs, "%s:/usr/bin", path && *path ? path : "");
        char *save = NULL;
        for (char *dir = strtok_r(dirs.buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                if (dir[0] != '/')
                        continue; /* a relative PATH entry would depend on the cwd */
                char *cand = path_join(dir, name);
                if (access(cand, X_OK) == 0) {
                        strbuf_release(&dirs);
                        free(name);
                        return cand;
                }
                free(cand);
        }
        strbuf_release(&dirs);
        return name;
}

int pyrun_prepare(const char *tree, const char *interp, const char *ldso, const char *arch,
                  struct pyrun *run, struct distill_error *err)
{
        memset(run, 0, sizeof(*run));
        if (!tree || !interp || interp[0] != '/')
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "interpreter probe: need a tree and an absolute "
                                         "interpreter path (got %s)",
                                         interp ? interp : "(none)");
        const struct arch_info *ai = arch_lookup(arch);
        if (!ai)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "interpreter probe: unsupported architecture %s",
                                         arch ? arch : "(none)");
        char *real = realpath(tree, NULL);
        if (!real)
                return distill_error_errno(err, DISTILL_EIO, errno, "interpreter tree %s", tree);
        /* "/" as the tree would make every stripped path start with "//" */
        if (strcmp(real, "/") == 0)
                real[0] = '\0';
        run->tree = real;

        char *interp_host = tree_resolve(run->tree, interp);
        const char *host_arch = arch_host();
        if (host_arch && strcmp(host_arch, ai->deb) == 0) {
                if (ldso && *ldso) {
                        strvec_push_nodup(&run->argv, tree_resolve(run->tree, ldso));
                        strvec_push(&run->argv, "--inhibit-cache");
                        strvec_push(&run->argv, "--library-path");
                        strvec_push_nodup(&run->argv,
                                          xasprintf("%s/usr/lib/%s:%s/lib/%s:%s/usr/lib:%s/lib",
                                                    run->tree, ai->triplet, run->tree, ai->triplet,
                                                    run->tree, run->tree));
                }
                /* without a loader the interpreter is static and runs directly */
        } else {
                if (!ai->qemu) {
                        free(interp_host);
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "interpreter probe: %s cannot run on this %s "
                                                 "host, and qemu-user has no emulator for it",
                                                 ai->deb, host_arch ? host_arch : "unknown");
                }
                run->is_emulated = true;
                strvec_push_nodup(&run->argv, find_qemu(ai->qemu));
                strvec_push(&run->argv, "-L");
                strvec_push(&run->argv, run->tree[0] ? run->tree : "/");
        }
        strvec_push_nodup(&run->argv, interp_host);
        return 0;
}

void pyrun_release(struct pyrun *run)
{
        if (!run)
                return;
        free(run->tree);
        strvec_clear(&run->argv);
        memset(run, 0, sizeof(*run));
}

/* ---- running ---------------------------------------------------------------------------- */

/* "INTERP" or "INTERP (via LOADER)" for messages; fits the caller's buffer. */
static const char *run_name(const struct pyrun *run, char *buf, size_t size)
{
        if (run->argv.n == 0)
                return "(nothing)";
        if (run->argv.n == 1)
                return run->argv.v[0];
        snprintf(buf, size, "%s (via %s)", run->argv.v[run->argv.n - 1], run->argv.v[0]);
        return buf;
}

/* stdin comes from a memfd rather than a pipe: no deadlock against a child that writes before
 * reading everything, and no SIGPIPE when it exits early. */
static int input_fd(const char *input, size_t len, int *fd, struct distill_error *err)
{
        if (!input) {
                *fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (*fd < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno, "/dev/null");
                return 0;
        }
        int m = memfd_create("distill-pyrun-stdin", MFD_CLOEXEC);
        if (m < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "memfd_create");
        size_t off = 0;
        while (off < len) {
                ssize_t w = write(m, input + off, len - off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        int e = w < 0 ? errno : EIO;
                        close(m);
                        return distill_error_errno(err, DISTILL_EIO, e, "buffering stdin");
                }
                off += (size_t)w;
        }
        if (lseek(m, 0, SEEK_SET) < 0) {
                int e = errno;
                close(m);
                return distill_error_errno(err, DISTILL_EIO, e, "buffering stdin");
        }
        *fd = m;
        return 0;
}

static int spawn_child(char *const argv[], int in, int out, int errfd, pid_t *pid,
                       struct distill_error *err)
{
        static char *const envp[] = {"PATH=/usr/bin:/bin", "LANG=C", NULL};
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none, dflt;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in, 0);
        posix_spawn_file_actions_adddup2(&fa, out, 1);
        posix_spawn_file_actions_adddup2(&fa, errfd, 2);
        posix_spawnattr_init(&at);
        sigemptyset(&none);
        sigemptyset(&dflt);
        sigaddset(&dflt, SIGPIPE);
        sigaddset(&dflt, SIGINT);
        sigaddset(&dflt, SIGTERM);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &dflt);
        /* its own process group, so a timeout kills whatever it started too */
        posix_spawnattr_setpgroup(&at, 0);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                          POSIX_SPAWN_SETPGROUP);
        int e = posix_spawn(pid, argv[0], &fa, &at, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        if (e != 0)
                return distill_error_errno(err, DISTILL_EIO, e, "cannot execute %s", argv[0]);
        return 0;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what is available on fd into sb (up to cap bytes kept); *open cleared at EOF. */
static int drain(int fd, struct strbuf *sb, size_t cap, bool *open, bool *overflow)
{
        char buf[65536];
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -errno;
        if (r == 0) {
                *open = false;
                return 0;
        }
        size_t keep = (size_t)r;
        if (sb->len + keep > cap) {
                keep = sb->len < cap ? cap - sb->len : 0;
                *overflow = true;
        }
        strbuf_add(sb, buf, keep);
        return 0;
}

/* The first lines of stderr, for an error message. */
static char *stderr_head(const struct strbuf *sb)
{
        const char *s = strbuf_str(sb);
        size_t end = 0;
        int lines = 0;
        while (s[end] && lines < PYRUN_STDERR_LINES) {
                if (s[end] == '\n')
                        lines++;
                end++;
        }
        while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == ' '))
                end--;
        return end ? xstrndup(s, end) : xstrdup("(no output on stderr)");
}

int pyrun_exec_timeout(const struct pyrun *run, const char *const *args, const char *input,
                       size_t input_len, unsigned timeout_s, char **out, size_t *out_len,
                       struct distill_error *err)
{
        struct strvec argv = STRVEC_INIT;
        struct strbuf so = STRBUF_INIT, se = STRBUF_INIT;
        int in = -1, po[2] = {-1, -1}, pe[2] = {-1, -1};
        pid_t pid = -1;
        int ret = 0;
        char name[2 * PATH_MAX];

        *out = NULL;
        if (out_len)
                *out_len = 0;
        if (!run || run->argv.n == 0)
                return distill_error_set(err, DISTILL_EINTERNAL, "no interpreter prepared");
        if (!strchr(run->argv.v[0], '/'))
                return distill_error_set(err, DISTILL_EIO,
                                         "cannot run %s: %s not found on PATH or in /usr/bin "
                                         "(install qemu-user-static to run a foreign interpreter)",
                                         run_name(run, name, sizeof(name)), run->argv.v[0]);
        for (size_t i = 0; i < run->argv.n; i++)
                strvec_push(&argv, run->argv.v[i]);
        for (size_t i = 0; args && args[i]; i++)
                strvec_push(&argv, args[i]);

        if ((ret = input_fd(input, input_len, &in, err)) < 0)
                goto cleanup;
        if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
                ret = distill_error_errno(err, DISTILL_EIO, errno, "pipe");
                goto cleanup;
        }
        if ((ret = spawn_child(argv.v, in, po[1], pe[1], &pid, err)) < 0) {
                distill_error_prefix(err, "running %s: ", run_name(run, name, sizeof(name)));
                pid = -1;
                goto cleanup;
        }
        close(po[1]);
        close(pe[1]);
        po[1] = pe[1] = -1;

        long long deadline = now_ms() + (long long)(timeout_s ? timeout_s : 1) * 1000;
        bool out_open = true, err_open = true, overflow = false, err_overflow = false;
        bool timed_out = false;
        while (out_open || err_open) {
                long long left = deadline - now_ms();
                if (left <= 0) {
                        timed_out = true;
                        break;
                }
                struct pollfd pfd[2] = {{out_open ? po[0] : -1, POLLIN, 0},
                                        {err_open ? pe[0] : -1, POLLIN, 0}};
                int n = poll(pfd, 2, left > INT_MAX ? INT_MAX : (int)left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        ret = distill_error_errno(err, DISTILL_EIO, errno, "poll");
                        break;
                }
                if (out_open && pfd[0].revents &&
                    drain(po[0], &so, PYRUN_MAX_STDOUT, &out_open, &overflow) < 0)
                        out_open = false;
                if (err_open && pfd[1].revents &&
                    drain(pe[0], &se, PYRUN_KEEP_STDERR, &err_open, &err_overflow) < 0)
                        err_open = false;
                if (overflow)
                        break;
        }
        if (timed_out || overflow || ret < 0)
                kill(-pid, SIGKILL);

        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        pid = -1;
        if (ret < 0)
                goto cleanup;
        if (timed_out) {
                ret = distill_error_set(err, DISTILL_EIO, "running %s: killed after %u s",
                                        run_name(run, name, sizeof(name)), timeout_s);
                goto cleanup;
        }
        if (overflow) {
                ret =
                    distill_error_set(err, DISTILL_EIO, "running %s: more than %u bytes on stdout",
                                      run_name(run, name, sizeof(name)), PYRUN_MAX_STDOUT);
                goto cleanup;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char *head = stderr_head(&se);
                if (WIFSIGNALED(status))
                        ret = distill_error_set(
                            err, DISTILL_EIO, "running %s: killed by signal %d: %s",
                            run_name(run, name, sizeof(name)), WTERMSIG(status), head);
                else
                        ret = distill_error_set(err, DISTILL_EIO, "running %s: exit status %d: %s",
                                                run_name(run, name, sizeof(name)),
                                                WEXITSTATUS(status), head);
                free(head);
                goto cleanup;
        }
        if (out_len)
                *out_len = so.len;
        strbuf_adds(&so, ""); /* NUL-terminated even when empty */
        *out = strbuf_detach(&so);

cleanup:
        if (pid > 0) {
                kill(-pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        for (int i = 0; i < 2; i++) {
                if (po[i] >= 0)
                        close(po[i]);
                if (pe[i] >= 0)
                        close(pe[i]);
        }
        if (in >= 0)
                close(in);
        strbuf_release(&so);
        strbuf_release(&se);
        strvec_clear(&argv);
        return ret;
}

int pyrun_exec(const struct pyrun *run, const char *const *args, const char *input,
               size_t input_len, char **out, size_t *out_len, struct distill_error *err)
{
        return pyrun_exec_timeout(run, args, input, input_len, PYRUN_DEFAULT_TIMEOUT, out, out_len,
                                  err);
}

/* ---- the probe ---------------------------------------------------------------------------- */

/* Run with -S so that sys.path holds only what getpath computed, then add every directory site
 * would add if it exists in the image: the tree need not hold the image's dist-packages, and
 * whether a site dir exists in the image depends on which packages are kept. -B keeps the probe
 * from writing __pycache__ into the tree. */
static const char probe_script[] =
    "import sys, os, json, site, importlib.util, importlib.machinery\n"
    "try:\n"
    "    import _imp\n"
    "    frozen = list(_imp._frozen_module_names())\n"
    "except (ImportError, AttributeError):\n"
    "    frozen = []\n"
    "path = [p for p in sys.path if p]\n"
    "for p in site.getsitepackages():\n"
    "    if p not in path:\n"
    "        path.append(p)\n"
    "stdlib = getattr(sys, '_stdlib_dir', None) or os.path.dirname(os.__file__)\n"
    "json.dump({'version': '%d.%d' % sys.version_info[:2],\n"
    "           'cache_tag': sys.implementation.cache_tag,\n"
    "           'magic': importlib.util.MAGIC_NUMBER.hex(),\n"
    "           'builtin': sorted(sys.builtin_module_names),\n"
    "           'frozen': frozen,\n"
    "           'ext_suffixes': list(importlib.machinery.EXTENSION_SUFFIXES),\n"
    "           'sys_path': path,\n"
    "           'stdlib_dir': stdlib}, sys.stdout)\n";

static int json_str(json_t *obj, const char *key, const char **out, struct distill_error *err)
{
        json_t *v = json_object_get(obj, key);
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) > PROBE_MAX_STRING ||
            strlen(json_string_value(v)) != json_string_length(v))
                return distill_error_set(err, DISTILL_EIO,
                                         "interpreter probe output: \"%s\" is not a string", key);
        *out = json_string_value(v);
        return 0;
}

static int json_strs(json_t *obj, const char *key, struct strvec *out, struct distill_error *err)
{
        json_t *arr = json_object_get(obj, key);
        if (!json_is_array(arr) || json_array_size(arr) > PROBE_MAX_ITEMS)
                return distill_error_set(err, DISTILL_EIO,
                                         "interpreter probe output: \"%s\" is not a list", key);
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
                if (!json_is_string(v) || json_string_length(v) > PROBE_MAX_STRING ||
                    strlen(json_string_value(v)) != json_string_length(v))
                        return distill_error_set(err, DISTILL_EIO,
                                                 "interpreter probe output: %s[%zu] is not a "
                                                 "string",
                                                 key, i);
                strvec_push(out, json_string_value(v));
        }
        return 0;
}

static bool is_magic_hex(const char *s)
{
        if (strlen(s) != 8)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

/* Host path reported by the interpreter → image path. Through the tree's loader, everything of
 * the image lives under TREE; under qemu -L the interpreter may also see image paths directly. */
static char *to_image_path(const struct pyrun *run, const char *p)
{
        size_t tl = strlen(run->tree);
        if (p[0] != '/')
                return NULL;
        if (tl == 0)
                return path_normalize(p);
        if (path_has_prefix(p, run->tree))
                return p[tl] ? path_normalize(p + tl) : xstrdup("/");
        return run->is_emulated ? path_normalize(p) : NULL;
}

static int parse_probe(const struct pyrun *run, const char *text, size_t len, struct py_probe *out,
                       struct distill_error *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        const char *s;
        int ret;
        struct strvec paths = STRVEC_INIT;

        if (!root || !json_is_object(root)) {
                ret = distill_error_set(err, DISTILL_EIO, "interpreter probe output:%d:%d: %s",
                                        jerr.line, jerr.column,
                                        root ? "not a JSON object" : jerr.text);
                goto cleanup;
        }
        if ((ret = json_str(root, "version", &s, err)) < 0)
                goto cleanup;
        out->version = xstrdup(s);
        if ((ret = json_str(root, "cache_tag", &s, err)) < 0)
                goto cleanup;
        out->cache_tag = xstrdup(s);
        if ((ret = json_str(root, "magic", &s, err)) < 0)
                goto cleanup;
        if (!is_magic_hex(s)) {
                ret = distill_error_set(err, DISTILL_EIO,
                                        "interpreter probe output: magic number \"%s\" is not 4 "
                                        "bytes of hex",
                                        s);
                goto cleanup;
        }
        out->magic_hex = xstrdup(s);
        if ((ret = json_strs(root, "builtin", &out->builtin, err)) < 0 ||
            (ret = json_strs(root, "frozen", &out->frozen, err)) < 0 ||
            (ret = json_strs(root, "ext_suffixes", &out->ext_suffixes, err)) < 0 ||
            (ret = json_strs(root, "sys_path", &paths, err)) < 0)
                goto cleanup;
        for (size_t i = 0; i < paths.n; i++) {
                char *ip = to_image_path(run, paths.v[i]);
                if (!ip) {
                        strvec_push_nodup(&out->notes,
                                          xasprintf("sys.path entry %s is outside the tree %s; "
                                                    "dropped",
                                                    paths.v[i], run->tree));
                        continue;
                }
                if (strvec_contains(&out->sys_path, ip))
                        free(ip);
                else
                        strvec_push_nodup(&out->sys_path, ip);
        }
        if ((ret = json_str(root, "stdlib_dir", &s, err)) < 0)
                goto cleanup;
        out->stdlib_dir = to_image_path(run, s);
        if (!out->stdlib_dir) {
                ret = distill_error_set(err, DISTILL_EIO,
                                        "interpreter probe: stdlib directory %s is outside the "
                                        "tree %s",
                                        s, run->tree);
                goto cleanup;
        }
        ret = 0;
cleanup:
        json_decref(root);
        strvec_clear(&paths);
        return ret;
}

static int probe_interpreter(const struct pyrun *run, struct py_probe *out,
                             struct distill_error *err)
{
        const char *args[] = {"-I", "-S", "-B", "-c", probe_script, NULL};
        char *text = NULL;
        size_t len = 0;
        int ret = pyrun_exec(run, args, NULL, 0, &text, &len, err);
        if (ret == 0)
                ret = parse_probe(run, text, len, out, err);
        free(text);
        return ret;
}

int pyprobe_run(const struct pyrun *run, const char *version, const char *arch,
                struct py_probe *out, struct distill_error *err)
{
        struct distill_error why = {0};

        memset(out, 0, sizeof(*out));
        if (run && run->argv.n > 0) {
                if (probe_interpreter(run, out, &why) == 0) {
                        if (version && strcmp(version, out->version) != 0)
                                strvec_push_nodup(&out->notes,
                                                  xasprintf("the interpreter is Python %s, not "
                                                            "%s as expected; using its answers",
                                                            out->version, version));
                        return 0;
                }
                py_probe_release(out);
        } else {
                distill_error_set(&why, DISTILL_EIO, "no interpreter to run");
        }
        struct distill_error table_err = {0};
        if (pyprobe_from_table(version, arch, out, &table_err) < 0)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s, and the interpreter could not run: %s", table_err.msg,
                                         why.msg);
        out->fallback_reason = xstrdup(why.msg);
        return 0;
}

/* ---- the per-version table ----------------------------------------------------------------- */

/* Debian 12's python3.11 (3.11.2), as it reports itself. */
static const char *const py311_builtin[] = {
    "_abc",         "_ast",      "_bisect",   "_blake2",          "_codecs",
    "_collections", "_csv",      "_datetime", "_elementtree",     "_functools",
    "_heapq",       "_imp",      "_io",       "_locale",          "_md5",
    "_opcode",      "_operator", "_pickle",   "_posixsubprocess", "_random",
    "_sha1",        "_sha256",   "_sha3",     "_sha512",          "_signal",
    "_socket",      "_sre",      "_stat",     "_statistics",      "_string",
    "_struct",      "_symtable", "_thread",   "_tokenize",        "_tracemalloc",
    "_warnings",    "_weakref",  "array",     "atexit",           "binascii",
    "builtins",     "cmath",     "errno",     "faulthandler",     "fcntl",
    "gc",           "grp",       "itertools", "marshal",          "math",
    "posix",        "pwd",       "pyexpat",   "select",           "spwd",
    "sys",          "syslog",    "time",      "unicodedata",      "xxsubtype",
    "zlib",         NULL,
};

static const char *const py311_frozen[] = {
    "_frozen_importlib",
    "_frozen_importlib_external",
    "zipimport",
    "abc",
    "codecs",
    "io",
    "_collections_abc",
    "_sitebuiltins",
    "genericpath",
    "ntpath",
    "posixpath",
    "os.path",
    "os",
    "site",
    "stat",
    "importlib.util",
    "importlib.machinery",
    "runpy",
    "__hello__",
    "__hello_alias__",
    "__phello_alias__",
    "__phello_alias__.spam",
    "__phello__",
    "__phello__.__init__",
    "__phello__.ham",
    "__phello__.ham.__init__",
    "__phello__.ham.eggs",
    "__phello__.spam",
    "__hello_only__",
    NULL,
};

struct py_table {
        const char *version;
        const char *cache_tag;
        const char *magic_hex;
        const char *const *builtin;
        const char *const *frozen;
};

static const struct py_table py_tables[] = {
    {"3.11", "cpython-311", "a70d0d0a", py311_builtin, py311_frozen},
};

static void push_all(struct strvec *sv, const char *const *names)
{
        for (size_t i = 0; names[i]; i++)
                strvec_push(sv, names[i]);
}

int pyprobe_from_table(const char *version, const char *arch, struct py_probe *out,
                       struct distill_error *err)
{
        const struct py_table *t = NULL;
        memset(out, 0, sizeof(*out));
        for (size_t i = 0; i < sizeof(py_tables) / sizeof(py_tables[0]); i++)
                if (version && strcmp(py_tables[i].version, version) == 0)
                        t = &py_tables[i];
        if (!t)
                return distill_error_set(err, DISTILL_EUSAGE, "no probe table for Python %s",
                                         version ? version : "(unknown)");
        const struct arch_info *ai = arch_lookup(arch);
        if (!ai)
                return distill_error_set(err, DISTILL_EUSAGE, "no probe table for architecture %s",
                                         arch ? arch : "(unknown)");
        const char *v = t->version;
        char nodot[16];
        size_t j = 0;
        for (const char *p = v; *p && j + 1 < sizeof(nodot); p++)
                if (*p != '.')
                        nodot[j++] = *p;
        nodot[j] = '\0';

        out->version = xstrdup(v);
        out->cache_tag = xstrdup(t->cache_tag);
        out->magic_hex = xstrdup(t->magic_hex);
        push_all(&out->builtin, t->builtin);
        push_all(&out->frozen, t->frozen);
        strvec_push_nodup(&out->ext_suffixes, xasprintf(".cpython-%s-%s.so", nodot, ai->triplet));
        strvec_push(&out->ext_suffixes, ".abi3.so");
        strvec_push(&out->ext_suffixes, ".so");
        /* getpath's entries, then every directory Debian's site.getsitepackages() names */
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/lib/python%s.zip", nodot));
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/lib/python%s", v));
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/lib/python%s/lib-dynload", v));
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/local/lib/python%s/dist-packages", v));
        strvec_push(&out->sys_path, "/usr/lib/python3/dist-packages");
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/lib/python%s/dist-packages", v));
        out->stdlib_dir = xasprintf("/usr/lib/python%s", v);
        out->from_table = true;
        return 0;
}

bool py_probe_is_builtin(const struct py_probe *p, const char *module)
{
        return p && module && strvec_contains(&p->builtin, module);
}

bool py_probe_is_frozen(const struct py_probe *p, const char *module)
{
        return p && module && strvec_contains(&p->frozen, module);
}

void py_probe_release(struct py_probe *p)
{
        if (!p)
                return;
        free(p->version);
        free(p->cache_tag);
        free(p->magic_hex);
        strvec_clear(&p->builtin);
        strvec_clear(&p->frozen);
        strvec_clear(&p->ext_suffixes);
        strvec_clear(&p->sys_path);
        free(p->stdlib_dir);
        free(p->fallback_reason);
        strvec_clear(&p->notes);
        memset(p, 0, sizeof(*p));
}
