/* stagetime: where a run's time goes. Each stage accumulates wall time (CLOCK_MONOTONIC) and CPU
 * time (CLOCK_PROCESS_CPUTIME_ID: every thread of the process, so a multi-threaded stage shows
 * more CPU than wall time; plus getrusage(RUSAGE_CHILDREN): the child processes waited for while
 * the stage ran). Stages keep the order in which they were first timed. */
#ifndef DISTILL_STAGETIME_H
#define DISTILL_STAGETIME_H

#include <stddef.h>
#include <time.h>

struct stage_time {
        char *name;
        double wall_s;
        double cpu_s;
};

struct stage_times {
        struct stage_time *v;
        size_t n, alloc;
};

#define STAGE_TIMES_INIT                                                                           \
        {                                                                                          \
                0                                                                                  \
        }

/* The clocks' readings when a stage started. */
struct stage_timer {
        struct timespec wall;
        struct timespec cpu;
};

void stage_timer_start(struct stage_timer *t);
/* Seconds since stage_timer_start, wall and CPU (never negative). */
void stage_timer_elapsed(const struct stage_timer *t, double *wall_s, double *cpu_s);

/* Adds to the stage `name` (created on first use); st NULL: nothing is recorded. */
void stage_times_add(struct stage_times *st, const char *name, double wall_s, double cpu_s);
/* Adds the time since t started to `name` and restarts t, so that consecutive stages chain
 * without a gap; st NULL: only restarts t. */
void stage_times_lap(struct stage_times *st, const char *name, struct stage_timer *t);
/* The stage, or NULL when nothing was recorded under that name. */
const struct stage_time *stage_times_get(const struct stage_times *st, const char *name);
void stage_times_release(struct stage_times *st);

#endif
