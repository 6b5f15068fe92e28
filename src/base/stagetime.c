/* stagetime: per-stage wall and CPU time, accumulated by name. */
#include "distill/base/stagetime.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "distill/base/util.h"

/* CPU: every thread of this process, plus the children it has waited for (the interpreter that
 * compiles bytecode, the proving run's container), which CLOCK_PROCESS_CPUTIME_ID leaves out. */
static void read_clocks(struct timespec *wall, struct timespec *cpu)
{
        struct rusage children;
        clock_gettime(CLOCK_MONOTONIC, wall);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, cpu);
        if (getrusage(RUSAGE_CHILDREN, &children) < 0)
                return;
        long usec = children.ru_utime.tv_usec + children.ru_stime.tv_usec;
        cpu->tv_sec += children.ru_utime.tv_sec + children.ru_stime.tv_sec + usec / 1000000;
        cpu->tv_nsec += (usec % 1000000) * 1000;
        if (cpu->tv_nsec >= 1000000000) {
                cpu->tv_sec++;
                cpu->tv_nsec -= 1000000000;
        }
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
        double s = (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
        return s > 0 ? s : 0;
}

void stage_timer_start(struct stage_timer *t)
{
        read_clocks(&t->wall, &t->cpu);
}

void stage_timer_elapsed(const struct stage_timer *t, double *wall_s, double *cpu_s)
{
        struct timespec wall, cpu;
        read_clocks(&wall, &cpu);
        *wall_s = seconds_between(&t->wall, &wall);
        *cpu_s = seconds_between(&t->cpu, &cpu);
}

static struct stage_time *find(const struct stage_times *st, const char *name)
{
        for (size_t i = 0; i < st->n; i++)
                if (strcmp(st->v[i].name, name) == 0)
                        return &st->v[i];
        return NULL;
}

void stage_times_add(struct stage_times *st, const char *name, double wall_s, double cpu_s)
{
        if (!st)
                return;
        struct stage_time *s = find(st, name);
        if (!s) {
                if (st->n == st->alloc) {
                        st->alloc = st->alloc ? 2 * st->alloc : 16;
                        st->v = xrealloc(st->v, st->alloc * sizeof(*st->v));
                }
                s = &st->v[st->n++];
                *s = (struct stage_time){.name = xstrdup(name)};
        }
        s->wall_s += wall_s;
        s->cpu_s += cpu_s;
}

void stage_times_lap(struct stage_times *st, const char *name, struct stage_timer *t)
{
        struct timespec wall, cpu;
        read_clocks(&wall, &cpu);
        stage_times_add(st, name, seconds_between(&t->wall, &wall), seconds_between(&t->cpu, &cpu));
        t->wall = wall;
        t->cpu = cpu;
}

const struct stage_time *stage_times_get(const struct stage_times *st, const char *name)
{
        return find(st, name);
}

void stage_times_release(struct stage_times *st)
{
        for (size_t i = 0; i < st->n; i++)
                free(st->v[i].name);
        free(st->v);
        *st = (struct stage_times)STAGE_TIMES_INIT;
}
