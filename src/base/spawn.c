/* Child processes: posix_spawn into a process group of its own, an environment built from what
 * the caller states, stdin from a memfd, and a poll loop that reads every output until the child
 * has closed them all, bounded by one deadline for the whole run. */
#include "distill/base/spawn.h"

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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STDERR_LINES   12 /* of stderr quoted by spawn_check_exit */
#define EXTRA_FD_LIMIT 64 /* the numbers below an extra descriptor are closed one by one */
/* Reaping polls: the child normally exits as it closes its outputs, so the first look or two
 * find it; one that lingers is looked at less and less often. */
#define WAIT_PAUSE_MS    1
#define WAIT_PAUSE_MAXMS 64

/* One descriptor the child writes to and we read. */
struct stream {
        int fd;        /* our (read) end, -1 once closed */
        int child_end; /* the write end, until the child has it */
        int child_fd;  /* the number it has in the child */
        struct strbuf *sb;
        size_t cap;
        bool keep_head; /* past cap: keep the first cap bytes instead of failing */
        char what[16];  /* "stdout", "fd 3" */
};

static const char *prog_name(const struct spawn_opts *o)
{
        return o->name ? o->name : o->argv[0];
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
        if (*fd >= 0) {
                close(*fd);
                *fd = -1;
        }
}

/* Mistakes of the caller, not of the child: caught before anything starts. */
static int check_opts(const struct spawn_opts *o, struct distill_error *err)
{
        if (!o->argv || !o->argv[0])
                return distill_error_set(err, DISTILL_EINTERNAL, "spawn: no program to run");
        if (o->timeout_s == 0)
                return distill_error_set(err, DISTILL_EINTERNAL, "spawn %s: no timeout",
                                         prog_name(o));
        if (o->n_extra > SPAWN_EXTRA_MAX)
                return distill_error_set(err, DISTILL_EINTERNAL, "spawn %s: %zu extra descriptors",
                                         prog_name(o), o->n_extra);
        for (size_t i = 0; i < o->n_extra; i++) {
                int fd = o->extra[i].child_fd;
                bool repeated = false;
                for (size_t j = 0; j < i; j++)
                        repeated |= o->extra[j].child_fd == fd;
                if (fd < 3 || fd >= EXTRA_FD_LIMIT || repeated)
                        return distill_error_set(err, DISTILL_EINTERNAL,
                                                 "spawn %s: cannot capture fd %d", prog_name(o),
                                                 fd);
        }
        return 0;
}

/* ---- the environment ---------------------------------------------------------------------- */

static bool names_variable(const char *entry, const char *name)
{
        size_t n = strlen(name);
        return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* An entry of envp that a passed variable set here replaces. */
static bool is_overridden(const struct spawn_opts *o, const char *entry)
{
        for (size_t i = 0; o->pass_env && o->pass_env[i]; i++)
                if (names_variable(entry, o->pass_env[i]) && getenv(o->pass_env[i]))
                        return true;
        return false;
}

static void build_environment(const struct spawn_opts *o, struct strvec *env)
{
        static char *const minimal[] = {"PATH=/usr/bin:/bin", "LANG=C", NULL};
        char *const *base = o->envp ? o->envp : minimal;

        for (size_t i = 0; base[i]; i++)
                if (!is_overridden(o, base[i]))
                        strvec_push(env, base[i]);
        for (size_t i = 0; o->pass_env && o->pass_env[i]; i++) {
                const char *value = getenv(o->pass_env[i]);
                if (value)
                        strvec_push_nodup(env, xasprintf("%s=%s", o->pass_env[i], value));
        }
}

/* ---- descriptors -------------------------------------------------------------------------- */

/* The lowest descriptor number the child does not get from us: 3, or above the extra ones. */
static int first_unmapped_fd(const struct spawn_opts *o)
{
        int free_from = 3;
        for (size_t i = 0; i < o->n_extra; i++)
                if (o->extra[i].child_fd >= free_from)
                        free_from = o->extra[i].child_fd + 1;
        return free_from;
}

/* Every descriptor the child gets from us is moved to `free_from` or above first: below, it
 * could be the target of an earlier dup2 in the child (an extra descriptor numbered where one of
 * our pipes happens to lie) and be overwritten before its own dup2. */
static int lift_fd(int *fd, int free_from)
{
        if (*fd >= free_from)
                return 0;
        int up = fcntl(*fd, F_DUPFD_CLOEXEC, free_from);
        if (up < 0)
                return -errno;
        close(*fd);
        *fd = up;
        return 0;
}

/* A memfd holding `len` bytes of data, positioned at its start: 0 or -errno. */
static int memfd_holding(const char *data, size_t len, int *fd)
{
        *fd = memfd_create("distill-spawn-stdin", MFD_CLOEXEC);
        if (*fd < 0)
                return -errno;
        int e = write_all(*fd, data, len);
        if (e == 0 && lseek(*fd, 0, SEEK_SET) < 0)
                e = -errno;
        return e;
}

/* stdin comes from a memfd rather than a pipe: no deadlock against a child that writes before it
 * has read everything, and no SIGPIPE for us when it exits without reading. */
static int open_stdin(const struct spawn_opts *o, int free_from, int *fd, struct distill_error *err)
{
        int e = 0;

        if (!o->input) {
                *fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (*fd < 0)
                        e = -errno;
        } else {
                e = memfd_holding(o->input, o->input_len, fd);
        }
        if (e == 0)
                e = lift_fd(fd, free_from);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "%s: stdin", prog_name(o));
        return 0;
}

static void add_stream(struct stream *s, int child_fd, struct strbuf *sb, size_t cap,
                       bool keep_head)
{
        s->fd = s->child_end = -1;
        s->child_fd = child_fd;
        s->sb = sb;
        s->cap = cap;
        s->keep_head = keep_head;
        if (child_fd == 1)
                snprintf(s->what, sizeof(s->what), "stdout");
        else if (child_fd == 2)
                snprintf(s->what, sizeof(s->what), "stderr");
        else
                snprintf(s->what, sizeof(s->what), "fd %d", child_fd);
}

static int open_pipes(const struct spawn_opts *o, struct stream *s, size_t ns, int free_from,
                      struct distill_error *err)
{
        for (size_t i = 0; i < ns; i++) {
                int p[2], e;
                if (pipe2(p, O_CLOEXEC) < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno, "%s: pipe for its %s",
                                                   prog_name(o), s[i].what);
                s[i].fd = p[0];
                s[i].child_end = p[1];
                if ((e = lift_fd(&s[i].child_end, free_from)) < 0)
                        return distill_error_errno(err, DISTILL_EIO, -e, "%s: pipe for its %s",
                                                   prog_name(o), s[i].what);
        }
        return 0;
}

static bool is_child_target(const struct stream *s, size_t ns, int fd)
{
        for (size_t i = 0; i < ns; i++)
                if (s[i].child_fd == fd)
                        return true;
        return false;
}

/* The child gets stdin and the streams at their numbers and nothing else of ours: descriptors
 * opened elsewhere in this process without O_CLOEXEC are closed too. */
static void map_descriptors(posix_spawn_file_actions_t *fa, int in, const struct stream *s,
                            size_t ns, int free_from)
{
        posix_spawn_file_actions_adddup2(fa, in, 0);
        for (size_t i = 0; i < ns; i++)
                posix_spawn_file_actions_adddup2(fa, s[i].child_end, s[i].child_fd);
        for (int fd = 3; fd < free_from; fd++)
                if (!is_child_target(s, ns, fd))
                        posix_spawn_file_actions_addclose(fa, fd);
        posix_spawn_file_actions_addclosefrom_np(fa, free_from);
}

/* ---- running ------------------------------------------------------------------------------ */

static int start_child(const struct spawn_opts *o, int in, const struct stream *s, size_t ns,
                       int free_from, char *const *envp, pid_t *pid, struct distill_error *err)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none, dflt;

        posix_spawn_file_actions_init(&fa);
        map_descriptors(&fa, in, s, ns, free_from);
        posix_spawnattr_init(&at);
        /* what we block or ignore is not the child's business: it dies of a closed pipe or of
         * being told to stop as it would when started from a shell */
        sigemptyset(&none);
        sigemptyset(&dflt);
        sigaddset(&dflt, SIGPIPE);
        sigaddset(&dflt, SIGINT);
        sigaddset(&dflt, SIGTERM);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &dflt);
        /* its own process group, so that killing it kills whatever it started too */
        posix_spawnattr_setpgroup(&at, 0);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                          POSIX_SPAWN_SETPGROUP);
        int e = posix_spawnp(pid, o->argv[0], &fa, &at, o->argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        if (e == 0)
                return 0;
        *pid = -1;
        /* every message starts with the name, so that callers can prefix their context */
        if (strcmp(prog_name(o), o->argv[0]) == 0)
                return distill_error_errno(err, DISTILL_EIO, e, "%s: cannot execute", o->argv[0]);
        return distill_error_errno(err, DISTILL_EIO, e, "%s: cannot execute %s", prog_name(o),
                                   o->argv[0]);
}

char *spawn_find_program(const char *name)
{
        const char *path = getenv("PATH");
        struct strbuf dirs = STRBUF_INIT;
        char *save = NULL, *found = NULL;

        strbuf_addf(&dirs, "%s:/usr/bin", path && *path ? path : "");
        for (char *dir = strtok_r(dirs.buf, ":", &save); dir && !found;
             dir = strtok_r(NULL, ":", &save)) {
                if (dir[0] != '/')
                        continue;
                char *cand = path_join(dir, name);
                if (access(cand, X_OK) == 0)
                        found = cand;
                else
                        free(cand);
        }
        strbuf_release(&dirs);
        return found;
}

static int timed_out(const struct spawn_opts *o, struct distill_error *err)
{
        return distill_error_set(err, DISTILL_EIO, "%s: killed after %u s", prog_name(o),
                                 o->timeout_s);
}

/* Take what is there on one stream; closes it at end of file. */
static int read_stream(const struct spawn_opts *o, struct stream *s, struct distill_error *err)
{
        char buf[65536];
        ssize_t r = read(s->fd, buf, sizeof(buf));
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s: reading its %s",
                                           prog_name(o), s->what);
        if (r == 0) {
                close_fd(&s->fd);
                return 0;
        }
        size_t keep = (size_t)r;
        if (s->sb->len + keep > s->cap) {
                if (!s->keep_head)
                        return distill_error_set(err, DISTILL_EIO, "%s: more than %zu bytes on %s",
                                                 prog_name(o), s->cap, s->what);
                keep = s->sb->len < s->cap ? s->cap - s->sb->len : 0;
        }
        strbuf_add(s->sb, buf, keep);
        return 0;
}

/* Read every stream until the child (and whatever it started) has closed them all. All are
 * read together: a child blocked writing one while we waited on another would never finish. */
static int collect_output(const struct spawn_opts *o, struct stream *s, size_t ns,
                          long long deadline, struct distill_error *err)
{
        struct pollfd pfd[2 + SPAWN_EXTRA_MAX];
        int ret;

        for (;;) {
                size_t open = 0;
                for (size_t i = 0; i < ns; i++) {
                        pfd[i] = (struct pollfd){.fd = s[i].fd, .events = POLLIN};
                        open += s[i].fd >= 0;
                }
                if (open == 0)
                        return 0;
                long long left = deadline - now_ms();
                if (left <= 0)
                        return timed_out(o, err);
                int n = poll(pfd, (nfds_t)ns, left > INT_MAX ? INT_MAX : (int)left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno, "%s: poll",
                                                   prog_name(o));
                for (size_t i = 0; i < ns; i++)
                        if (s[i].fd >= 0 && pfd[i].revents &&
                            (ret = read_stream(o, &s[i], err)) < 0)
                                return ret;
        }
}

/* Reap the child by the deadline: having closed its outputs, it normally exits at once, but
 * it need not. 1 when reaped, 0 when the deadline passed, or an error. */
static int reap_by(const struct spawn_opts *o, pid_t pid, long long deadline, int *status,
                   struct distill_error *err)
{
        long pause_ms = WAIT_PAUSE_MS;

        for (;;) {
                pid_t w = waitpid(pid, status, WNOHANG);
                if (w == pid)
                        return 1;
                if (w < 0 && errno != EINTR)
                        return distill_error_errno(err, DISTILL_EIO, errno, "%s: waitpid",
                                                   prog_name(o));
                long long left = deadline - now_ms();
                if (left <= 0)
                        return 0;
                if (pause_ms > left)
                        pause_ms = (long)left;
                struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000};
                nanosleep(&ts, NULL); /* woken early by a signal: look again */
                if (pause_ms < WAIT_PAUSE_MAXMS)
                        pause_ms *= 2;
        }
}

/* The child and whatever it started share its process group: kill them all. Killing before
 * reaping keeps the group's id from being reused while we use it. */
static void kill_group_and_reap(pid_t pid, int *status)
{
        kill(-pid, SIGKILL);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
}

int spawn_run(const struct spawn_opts *o, struct spawn_result *res, struct distill_error *err)
{
        struct stream s[2 + SPAWN_EXTRA_MAX];
        struct strvec env = STRVEC_INIT;
        size_t ns = 0;
        int in = -1, ret;
        pid_t pid = -1;
        long long deadline = LLONG_MAX;

        memset(res, 0, sizeof(*res));
        if ((ret = check_opts(o, err)) < 0)
                return ret;
        int free_from = first_unmapped_fd(o);
        add_stream(&s[ns++], 1, &res->out, o->out_cap, o->out_keep_head);
        add_stream(&s[ns++], 2, &res->err, o->err_cap ? o->err_cap : SPAWN_STDERR_KEEP, true);
        for (size_t i = 0; i < o->n_extra; i++)
                add_stream(&s[ns++], o->extra[i].child_fd, &res->extra[i], o->extra[i].cap, false);

        if ((ret = open_stdin(o, free_from, &in, err)) < 0 ||
            (ret = open_pipes(o, s, ns, free_from, err)) < 0)
                goto cleanup;
        build_environment(o, &env);
        char *const no_env[] = {NULL};
        if ((ret = start_child(o, in, s, ns, free_from, env.n ? env.v : no_env, &pid, err)) < 0)
                goto cleanup;
        /* only the child may hold the write ends, or we would never see end of file */
        for (size_t i = 0; i < ns; i++)
                close_fd(&s[i].child_end);
        close_fd(&in);

        deadline = now_ms() + (long long)o->timeout_s * 1000;
        if ((ret = collect_output(o, s, ns, deadline, err)) < 0)
                goto cleanup;
        ret = reap_by(o, pid, deadline, &res->status, err);
        if (ret != 0)
                pid = -1; /* reaped, or no longer ours to wait for */
        if (ret == 0)
                ret = timed_out(o, err);
        else if (ret > 0)
                ret = 0;

cleanup:
        /* a failure at or after the deadline is the timeout (collect_output and reap_by both
         * give up exactly then) */
        res->timed_out = ret < 0 && deadline != LLONG_MAX && now_ms() >= deadline;
        if (pid > 0)
                kill_group_and_reap(pid, &res->status);
        for (size_t i = 0; i < ns; i++) {
                close_fd(&s[i].fd);
                close_fd(&s[i].child_end);
        }
        close_fd(&in);
        strvec_clear(&env);
        return ret;
}

void spawn_result_release(struct spawn_result *res)
{
        if (!res)
                return;
        strbuf_release(&res->out);
        strbuf_release(&res->err);
        for (size_t i = 0; i < SPAWN_EXTRA_MAX; i++)
                strbuf_release(&res->extra[i]);
        memset(res, 0, sizeof(*res));
}

int spawn_exit_code(const struct spawn_result *res)
{
        if (WIFSIGNALED(res->status))
                return 128 + WTERMSIG(res->status);
        return WEXITSTATUS(res->status);
}

/* The first lines of stderr, for an error message. */
static char *stderr_head(const struct strbuf *sb)
{
        const char *s = strbuf_str(sb);
        size_t end = 0;
        int lines = 0;
        while (s[end] && lines < STDERR_LINES) {
                if (s[end] == '\n')
                        lines++;
                end++;
        }
        while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == ' '))
                end--;
        return end ? xstrndup(s, end) : xstrdup("(no output on stderr)");
}

int spawn_check_exit(const struct spawn_opts *o, const struct spawn_result *res,
                     struct distill_error *err)
{
        if (WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0)
                return 0;
        cleanup_free char *head = stderr_head(&res->err);
        if (WIFSIGNALED(res->status))
                return distill_error_set(err, DISTILL_EIO, "%s: killed by signal %d (%s): %s",
                                         prog_name(o), WTERMSIG(res->status),
                                         strsignal(WTERMSIG(res->status)), head);
        return distill_error_set(err, DISTILL_EIO, "%s: exit status %d: %s", prog_name(o),
                                 WEXITSTATUS(res->status), head);
}
