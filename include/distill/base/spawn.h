/* Running a helper program (gpgv, gpg, apt-config, the image's interpreter) with one set of
 * rules: an environment the caller states rather than inherits, its own process group that is
 * killed as a whole on timeout or failure, stdin from memory, stdout, stderr and any extra
 * descriptor captured with size caps, and no other descriptor of ours left open in the child. */
#ifndef DISTILL_SPAWN_H
#define DISTILL_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

/* stderr is for messages: this much of it is kept, the rest read and dropped (a child that
 * succeeds but talks a lot must not fail for it). */
#define SPAWN_STDERR_KEEP (64u << 10)
#define SPAWN_EXTRA_MAX   2

/* A descriptor besides stdout and stderr that the child writes to (gpgv --status-fd 3). */
struct spawn_capture {
        int child_fd; /* 3 or above */
        size_t cap;   /* more is an error */
};

struct spawn_opts {
        char *const *argv; /* argv[0] is looked up in our PATH when it holds no '/' */
        const char *name;  /* the program in messages ("python3 (via ld.so)"); NULL: argv[0] */
        /* The child's environment. NULL: only PATH=/usr/bin:/bin and LANG=C. Never ours, but: */
        char *const *envp;
        /* names of our variables the child gets too, each one only when set here */
        const char *const *pass_env;
        const char *input; /* stdin (input_len bytes); NULL: /dev/null */
        size_t input_len;
        unsigned timeout_s; /* from the start to the child's exit, > 0 */
        size_t out_cap;     /* more on stdout is an error, */
        bool out_keep_head; /* unless this is set: then the rest is read and dropped */
        size_t err_cap;     /* stderr kept (the rest dropped); 0: SPAWN_STDERR_KEEP */
        struct spawn_capture extra[SPAWN_EXTRA_MAX];
        size_t n_extra;
};

struct spawn_result {
        struct strbuf out;                    /* stdout */
        struct strbuf err;                    /* the first SPAWN_STDERR_KEEP bytes of stderr */
        struct strbuf extra[SPAWN_EXTRA_MAX]; /* what it wrote to opts.extra[i].child_fd */
        int status;                           /* wait status once it finished */
        bool timed_out;                       /* it ran past opts.timeout_s and was killed */
};

/* The program `name` as posix_spawnp would find it on our PATH (absolute entries only: a
 * relative one would depend on the working directory), else in /usr/bin; NULL when it is in
 * neither. Caller frees. */
char *spawn_find_program(const char *name);

/* Run the child to completion. 0 when it finished, whatever its exit status (see
 * spawn_exit_code and spawn_check_exit); otherwise an error naming the program — it could not
 * start, ran past its timeout, wrote more than a cap — and its whole process group has been
 * killed and the child reaped. `res` holds what was captured either way: release it always. */
int spawn_run(const struct spawn_opts *opts, struct spawn_result *res, struct distill_error *err);
void spawn_result_release(struct spawn_result *res);

/* The exit status, or 128 + the signal number that killed it (as a shell reports it). */
int spawn_exit_code(const struct spawn_result *res);
/* 0 when the child exited with status 0; otherwise an error naming the program, saying how it
 * ended (exit status, signal) and quoting the first lines of its stderr. */
int spawn_check_exit(const struct spawn_opts *opts, const struct spawn_result *res,
                     struct distill_error *err);

#endif
