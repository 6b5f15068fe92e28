/* The proving run and its trace (check.h). */
#include "distill/check/check.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "distill/check/sandbox.h"
#include "distill/check/trace.h"
#include "distill/image/tree.h"

/* The environment a runtime gives the process: the config's Env, and HOME from the user's
 * passwd entry when the config has none (as Docker, podman and runc's tools do). */
static void run_environment(const struct check_spec *c, struct strvec *env)
{
        bool has_home = false;
        for (size_t i = 0; i < c->env->n; i++) {
                strvec_push(env, c->env->v[i]);
                has_home |= strncmp(c->env->v[i], "HOME=", 5) == 0;
        }
        if (!has_home)
                strvec_push_nodup(env, xasprintf("HOME=%s", c->home));
}

static void describe_failure(const struct spawn_result *res, struct strbuf *output)
{
        strbuf_reset(output);
        if (res->out.len)
                strbuf_add(output, res->out.buf, res->out.len);
        if (res->err.len)
                strbuf_add(output, res->err.buf, res->err.len);
}

/* One command in `root`. 0 when it exited 0. */
static int run_one(const struct check_spec *c, size_t i, const char *root, const char *stage,
                   const struct trace_tree *trace, struct strbuf *output, struct distill_error *err)
{
        struct strvec env = STRVEC_INIT;
        struct spawn_result res;
        run_environment(c, &env);
        struct sandbox_spec s = {.root = root,
                                 .arch = c->arch,
                                 .uid = c->uid,
                                 .gid = c->gid,
                                 .home = c->home,
                                 .workdir = c->workdir,
                                 .env = &env,
                                 .argv = &c->commands[i],
                                 .timeout_s = c->timeout_s,
                                 .writable_host = trace ? trace->run_events : NULL,
                                 .writable_at = trace ? TRACE_MOUNT : NULL,
                                 .tracer = trace ? &trace->tracer : NULL};
        cleanup_free char *line = sandbox_command_line(&c->commands[i]);
        int r = sandbox_run(&s, &res, err);
        strvec_clear(&env);
        if (r < 0) {
                bool timed_out = res.timed_out;
                describe_failure(&res, output);
                spawn_result_release(&res);
                if (timed_out)
                        return distill_error_set(err, DISTILL_EVERIFY,
                                                 "check.run[%zu] \"%s\" ran past check.timeout "
                                                 "(%u s) %s and was killed",
                                                 i, line, c->timeout_s, stage);
                return r;
        }
        int code = spawn_exit_code(&res);
        if (code != 0) {
                describe_failure(&res, output);
                cleanup_free char *how = code > 128 ? xasprintf("killed by signal %d", code - 128)
                                                    : xasprintf("exit status %d", code);
                r = distill_error_set(err, DISTILL_EVERIFY,
                                      "check.run[%zu] \"%s\" failed %s (%s)%s", i, line, stage, how,
                                      output->len ? "; its output is above" : ", printing nothing");
        }
        spawn_result_release(&res);
        return r;
}

int check_prove(const struct check_spec *c, struct plan *plan, const struct store *st,
                struct strbuf *output, struct distill_error *err)
{
        cleanup_free char *dir = NULL;
        cleanup_free char *root = NULL;
        struct tree *tr = NULL;
        size_t n;
        int r = sandbox_make_dir(&dir, err);
        if (r < 0)
                return r;
        root = path_join(dir, "root");
        if (mkdir(root, 0755) < 0) {
                r = distill_error_errno(err, DISTILL_EIO, errno, "cannot make %s", root);
                goto out;
        }
        r = tree_open(root, c->epoch, &tr, err);
        if (r < 0)
                goto out;
        struct plan_entry *const *all = plan_sorted(plan, &n);
        r = tree_put_plan(tr, all, n, st, err);
        if (r >= 0)
                r = tree_finish(tr, err);
        tree_free(tr);
        /* each command starts from the image as built: the root is read-only and /tmp and the
         * home are fresh tmpfs each time, so one command cannot prepare the next */
        for (size_t i = 0; i < c->n_commands && r >= 0; i++)
                r = run_one(c, i, root, "in the image", NULL, output, err);
out:
        rm_rf(dir);
        return r;
}

int check_trace(const struct check_spec *c, struct plan *plan, const struct store *st,
                struct source *src, const struct pkgset *candidates, struct select_observed *obs,
                struct strbuf *output, struct distill_error *err)
{
        cleanup_free char *dir = NULL;
        struct trace_tree t = {0};
        int r;

        for (size_t i = 0; i < c->n_commands; i++)
                if (c->python && trace_argv_disables_site(&c->commands[i])) {
                        cleanup_free char *line = sandbox_command_line(&c->commands[i]);
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "check.trace: check.run[%zu] \"%s\" turns off "
                                                 "Python's site module (-S), so the audit hook "
                                                 "that traces imports would never load: drop -S, "
                                                 "or set trace: false",
                                                 i, line);
                }
        r = sandbox_make_dir(&dir, err);
        if (r < 0)
                return r;
        r = trace_tree_make(dir, plan, st, src, candidates, c->python, c->uid, c->gid, c->epoch, &t,
                            err);
        for (size_t i = 0; i < c->n_commands && r >= 0; i++) {
                r = trace_next_run(&t, i, err);
                if (r >= 0)
                        r = run_one(c, i, t.root, "in the trace tree (every candidate file)", &t,
                                    output, err);
                if (r >= 0)
                        r = trace_collect(&t, obs, err);
        }
        trace_tree_release(&t);
        rm_rf(dir);
        return r;
}

int check_parse_command(const char *text, struct strvec *argv, struct distill_error *err)
{
        const char *p = text;
        while (*p == ' ' || *p == '\t')
                p++;
        if (*p == '[') {
                json_error_t jerr;
                json_t *a = json_loads(text, 0, &jerr);
                size_t i;
                json_t *item;
                if (!a || !json_is_array(a) || json_array_size(a) == 0) {
                        json_decref(a);
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "--check-run %s: expected a non-empty JSON array "
                                                 "of strings%s%s",
                                                 text, a ? "" : ": ", a ? "" : jerr.text);
                }
                json_array_foreach(a, i, item)
                {
                        if (!json_is_string(item)) {
                                json_decref(a);
                                return distill_error_set(err, DISTILL_EUSAGE,
                                                         "--check-run %s: item %zu is not a "
                                                         "string",
                                                         text, i + 1);
                        }
                        strvec_push(argv, json_string_value(item));
                }
                json_decref(a);
                return 0;
        }
        cleanup_free char *copy = xstrdup(text);
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                strvec_push(argv, w);
        if (!argv->n)
                return distill_error_set(err, DISTILL_EUSAGE, "--check-run: the command is empty");
        return 0;
}
