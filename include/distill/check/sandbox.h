/* sandbox: one command run inside an image root filesystem as the image runs it — as the
 * image's user, with the image's environment and working directory, the root read-only, fresh
 * tmpfs on /tmp and on the user's home, its own /proc and /dev, and no network (every namespace
 * unshared) — through Debian's bubblewrap. Used by the proving run (check.run), its trace, and
 * `verify --tests` commandTests. A foreign architecture's image runs under qemu-user: binfmt_misc
 * when the kernel has it, else qemu-ARCH-static bound into the sandbox. */
#ifndef DISTILL_SANDBOX_H
#define DISTILL_SANDBOX_H
#include <stdbool.h>
#include "distill/base/error.h"
#include "distill/base/spawn.h"
#include "distill/base/util.h"

#define SANDBOX_OUTPUT_KEEP (64u << 10) /* of stdout and of stderr each; the rest is dropped */

struct sandbox_spec {
        const char *root;          /* host path of the tree (see sandbox_make_dir) */
        const char *arch;          /* the image's Debian architecture */
        unsigned uid, gid;         /* the image user */
        const char *home;          /* image path of its home: a fresh tmpfs, 0700 */
        const char *workdir;       /* image path */
        const struct strvec *env;  /* "KEY=VALUE": exactly the environment it gets */
        const struct strvec *argv; /* argv[0] absolute, or found on the env's PATH in the tree */
        unsigned timeout_s;
        const char *writable_host; /* a host directory bound read-write at writable_at (a trace's */
        const char *writable_at;   /* event log), or NULL */
        const struct strvec *tracer; /* argv run before bwrap (strace … --), or NULL */
};

/* A private directory for trees the sandbox runs: bubblewrap, started as the image user,
 * resolves the root's path with that user's rights, and OUT's directory need not be searchable
 * by it. Made under $TMPDIR (or /tmp), mode 0711 (searchable, not listable); refused when that
 * file system does not allow programs to run. Caller removes it (rm_rf) and frees *dir. */
int sandbox_make_dir(char **dir, struct distill_error *err);

/* Run the command to completion: 0 when it ran (whatever its exit status: spawn_exit_code),
 * otherwise an error — bubblewrap or qemu-user missing, the sandbox could not be set up, the
 * command ran past its timeout (its whole process tree killed). `res` holds what it wrote to
 * stdout and stderr (each capped at SANDBOX_OUTPUT_KEEP) either way: release it always. */
int sandbox_run(const struct sandbox_spec *s, struct spawn_result *res, struct distill_error *err);

/* The command as one line for messages ("/usr/bin/python3 /app/t.py"). Caller frees. */
char *sandbox_command_line(const struct strvec *argv);

#endif
