/* One command inside an image root filesystem, through bubblewrap (sandbox.h). */
#include "distill/check/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/arch.h"
#include "distill/core/roottree.h"

#define QEMU_IN_SANDBOX "/dev/.distill-qemu"

int sandbox_make_dir(char **dir, struct distill_error *err)
{
        struct statvfs sv;

        *dir = temp_dir_make("run");
        if (!*dir)
                return distill_error_errno(err, DISTILL_EIO, errno,
                                           "cannot make a directory for the check's tree under "
                                           "%s (set TMPDIR)",
                                           temp_base());
        int r = 0;
        if (chmod(*dir, 0711) < 0)
                r = distill_error_errno(err, DISTILL_EIO, errno, "cannot chmod %s", *dir);
        else if (statvfs(*dir, &sv) == 0 && (sv.f_flag & ST_NOEXEC))
                r = distill_error_set(err, DISTILL_EIO,
                                      "%s is on a file system mounted noexec, where the check's "
                                      "programs cannot run: set TMPDIR to another directory",
                                      *dir);
        if (r < 0) {
                rm_rf(*dir);
                free(*dir);
                *dir = NULL;
        }
        return r;
}

char *sandbox_command_line(const struct strvec *argv)
{
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < argv->n; i++) {
                if (i)
                        strbuf_addch(&sb, ' ');
                strbuf_adds(&sb, argv->v[i]);
        }
        return strbuf_detach(&sb);
}

static bool binfmt_runs(const char *qemu_name)
{
        cleanup_free char *path = xasprintf("/proc/sys/fs/binfmt_misc/qemu-%s", qemu_name);
        cleanup_free char *text = NULL;
        size_t len;
        /* "F" (fix binary): the kernel opened the emulator when it was registered, so it runs
         * inside any mount namespace, the sandbox's included */
        return read_file_capped(path, 1 << 16, &text, &len) == 0 &&
               strncmp(text, "enabled", 7) == 0 && strstr(text, "\nflags: ") &&
               strchr(strstr(text, "\nflags: ") + 8, 'F') != NULL;
}

static const char *env_get(const struct strvec *env, const char *key)
{
        size_t klen = strlen(key);
        for (size_t i = 0; i < env->n; i++)
                if (!strncmp(env->v[i], key, klen) && env->v[i][klen] == '=')
                        return env->v[i] + klen + 1;
        return NULL;
}

/* qemu-user runs a path, not a name looked up on PATH: find argv[0] in the tree as the
 * image's execvp would. */
static char *program_in_tree(const struct sandbox_spec *s)
{
        const char *prog = s->argv->v[0];
        if (strchr(prog, '/'))
                return xstrdup(prog);
        const char *path = env_get(s->env, "PATH");
        cleanup_free char *dirs = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
        char *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                cleanup_free char *image = path_join(d, prog);
                cleanup_free char *host = roottree_host_path(s->root, image);
                if (d[0] == '/' && access(host, X_OK) == 0)
                        return xstrdup(image);
        }
        return xstrdup(prog);
}

/* How the image's programs run here: nothing in front (same architecture, or binfmt_misc), or
 * qemu-ARCH-static bound into the sandbox. */
static int emulator_for(const struct sandbox_spec *s, char **qemu, struct distill_error *err)
{
        const char *host = arch_host();
        const struct arch_info *ai = arch_lookup(s->arch);

        *qemu = NULL;
        if (host && !strcmp(host, s->arch))
                return 0;
        if (!ai || !ai->qemu)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "cannot run the check of an %s image on this %s host: "
                                         "qemu-user has no emulator for it",
                                         s->arch, host ? host : "unknown");
        if (binfmt_runs(ai->qemu))
                return 0;
        cleanup_free char *name = xasprintf("qemu-%s-static", ai->qemu);
        *qemu = spawn_find_program(name);
        if (!*qemu)
                return distill_error_set(err, DISTILL_EIO,
                                         "cannot run the check of an %s image on this %s host: "
                                         "%s is not installed (Debian package qemu-user-static) "
                                         "and binfmt_misc has no fix-binary entry for it",
                                         s->arch, host ? host : "unknown", name);
        return 0;
}

static void push_all(struct strvec *v, const char *const *words)
{
        for (size_t i = 0; words[i]; i++)
                strvec_push(v, words[i]);
}

static void build_argv(const struct sandbox_spec *s, const char *bwrap, const char *setpriv,
                       const char *qemu, struct strvec *argv)
{
        if (setpriv) {
                strvec_push(argv, setpriv);
                strvec_push_nodup(argv, xasprintf("--reuid=%u", s->uid));
                strvec_push_nodup(argv, xasprintf("--regid=%u", s->gid));
                push_all(argv, (const char *const[]){"--clear-groups", "--", NULL});
        }
        for (size_t i = 0; s->tracer && i < s->tracer->n; i++)
                strvec_push(argv, s->tracer->v[i]);
        strvec_push(argv, bwrap);
        push_all(argv, (const char *const[]){"--unshare-all",
                                             "--unshare-user",
                                             "--die-with-parent",
                                             "--new-session",
                                             "--ro-bind",
                                             s->root,
                                             "/",
                                             "--proc",
                                             "/proc",
                                             "--dev",
                                             "/dev",
                                             "--perms",
                                             "1777",
                                             "--tmpfs",
                                             "/tmp",
                                             "--perms",
                                             "0700",
                                             "--tmpfs",
                                             s->home,
                                             NULL});
        if (s->writable_host)
                push_all(argv,
                         (const char *const[]){"--bind", s->writable_host, s->writable_at, NULL});
        if (qemu)
                push_all(argv, (const char *const[]){"--ro-bind", qemu, QEMU_IN_SANDBOX, NULL});
        strvec_push(argv, "--uid");
        strvec_push_nodup(argv, xasprintf("%u", s->uid));
        strvec_push(argv, "--gid");
        strvec_push_nodup(argv, xasprintf("%u", s->gid));
        push_all(argv, (const char *const[]){"--chdir", s->workdir, "--clearenv", NULL});
        for (size_t i = 0; i < s->env->n; i++) {
                const char *eq = strchr(s->env->v[i], '=');
                if (!eq)
                        continue;
                strvec_push(argv, "--setenv");
                strvec_push_nodup(argv, xstrndup(s->env->v[i], (size_t)(eq - s->env->v[i])));
                strvec_push(argv, eq + 1);
        }
        strvec_push(argv, "--");
        if (qemu) {
                strvec_push(argv, QEMU_IN_SANDBOX);
                strvec_push_nodup(argv, program_in_tree(s));
        } else {
                strvec_push(argv, s->argv->v[0]);
        }
        for (size_t i = 1; i < s->argv->n; i++)
                strvec_push(argv, s->argv->v[i]);
}

int sandbox_run(const struct sandbox_spec *s, struct spawn_result *res, struct distill_error *err)
{
        cleanup_free char *bwrap = spawn_find_program("bwrap");
        cleanup_free char *setpriv = NULL;
        cleanup_free char *qemu = NULL;
        cleanup_free char *line = sandbox_command_line(s->argv);
        struct strvec argv = STRVEC_INIT;
        int r;

        memset(res, 0, sizeof(*res));
        if (!bwrap)
                return distill_error_set(err, DISTILL_EIO,
                                         "cannot run \"%s\" in the image: bubblewrap (bwrap) is "
                                         "not installed (Debian package bubblewrap)",
                                         line);
        /* as root, bubblewrap would map the image user onto root and show every file as the
         * user's own: it is started as the image user instead, as a runtime would run it */
        if (geteuid() == 0) {
                setpriv = spawn_find_program("setpriv");
                if (!setpriv)
                        return distill_error_set(err, DISTILL_EIO,
                                                 "cannot run \"%s\" in the image as UID %u: "
                                                 "setpriv is not installed (Debian package "
                                                 "util-linux)",
                                                 line, s->uid);
        }
        r = emulator_for(s, &qemu, err);
        if (r < 0)
                return r;
        build_argv(s, bwrap, setpriv, qemu, &argv);
        struct spawn_opts o = {.argv = argv.v,
                               .name = line,
                               .timeout_s = s->timeout_s,
                               .out_cap = SANDBOX_OUTPUT_KEEP,
                               .out_keep_head = true,
                               .err_cap = SANDBOX_OUTPUT_KEEP};
        r = spawn_run(&o, res, err);
        strvec_clear(&argv);
        if (r < 0)
                return distill_error_prefix(err, "check: ");
        /* bubblewrap's own failures exit 1 with "bwrap: …" (the command's exec failing is its
         * own: "bwrap: execvp …", exit 1 too, and is the command's failure) */
        const char *msg = res->err.buf ? res->err.buf : "";
        if (spawn_exit_code(res) == 1 && !strncmp(msg, "bwrap: ", 7) &&
            strncmp(msg, "bwrap: execvp ", 14) != 0)
                return distill_error_set(err, DISTILL_EIO,
                                         "bubblewrap could not set up the sandbox for \"%s\": "
                                         "%.*s(the tree %s must be reachable by UID %u)",
                                         line, (int)res->err.len, res->err.buf ? res->err.buf : "",
                                         s->root, s->uid);
        return 0;
}
