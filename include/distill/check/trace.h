/* trace (check.trace): the check's commands run first in a tree that holds every file of the
 * candidate packages besides the planned image, watched twice — by the kernel (strace of every
 * process the command starts: open, openat, openat2, execve, execveat) and, for Python, by an
 * audit hook (sys.addaudithook: import, open, ctypes.dlopen) that a .pth file of the tree loads.
 * What they saw becomes select's observed seeds. */
#ifndef DISTILL_TRACE_H
#define DISTILL_TRACE_H
#include <stdbool.h>
#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"
#include "distill/select/select.h"
#include "distill/source/solve.h"
#include "distill/source/source.h"

#define TRACE_MOUNT "/.distill-trace" /* where the events directory appears in the sandbox */

struct trace_tree {
        char *root;   /* DIR/root: the tree the commands run in */
        char *events; /* DIR/events, with a directory per command run */
        unsigned uid, gid;
        /* set by trace_next_run: */
        char *run_events;     /* DIR/events/N: strace's files and the hook's log, owned by the
                               * image user, bound at TRACE_MOUNT */
        struct strvec tracer; /* strace … -o DIR/events/N/strace -- */
};

/* Make the tree under `dir` (sandbox_make_dir's): the plan's entries first, then every other
 * file of the candidate packages, and — when python_hook — the audit hook and its .pth file in
 * /usr/lib/python3/dist-packages. Needs strace (an error naming its Debian package when it is
 * not installed). */
int trace_tree_make(const char *dir, struct plan *plan, const struct store *st, struct source *src,
                    const struct pkgset *candidates, bool python_hook, unsigned uid, unsigned gid,
                    int64_t epoch, struct trace_tree *out, struct distill_error *err);
void trace_tree_release(struct trace_tree *t);

/* Before each command: a fresh events directory (so one command's sandbox setup never falls
 * inside another's run) and the tracer that writes into it. */
int trace_next_run(struct trace_tree *t, size_t index, struct distill_error *err);

/* Read what the last run reported into `obs` (added to what it holds): every file opened or
 * program executed from the moment the command started (bubblewrap's own setup is not the
 * program's), every module imported, every library ctypes loaded by path. */
int trace_collect(const struct trace_tree *t, struct select_observed *obs,
                  struct distill_error *err);

/* One line of strace output (-ttt -y -xx): the time, the call, the path it names (made absolute
 * from the directory descriptor's decoded path when relative). 1 when the line is an open or an
 * exec with a path, 0 when it is something else. *call and *path are the caller's to free. */
int trace_parse_strace_line(const char *line, double *t, char **call, char **path);

/* Whether a Python command line turns off the site module (-S), under which no .pth file — and
 * so no audit hook — is loaded. (-I keeps site: only the user's site directory goes.) */
bool trace_argv_disables_site(const struct strvec *argv);

#endif
