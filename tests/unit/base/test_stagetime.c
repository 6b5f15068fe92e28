/* stagetime against the clocks themselves: a sleep is wall time and no CPU, a spinning thread's
 * own CLOCK_THREAD_CPUTIME_ID and a waited-for child's rusage are counted as CPU time, laps chain
 * without a gap, and stages accumulate by name in the order first timed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "distill/base/stagetime.h"

static double thread_cpu_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Burns `*(double *)arg` seconds of this thread's CPU, then reports what it burned. */
static void *spin(void *arg)
{
        double *want = arg;
        double start = thread_cpu_now();
        uint64_t x = 0;
        while (thread_cpu_now() - start < *want) {
                for (int i = 0; i < 10000; i++)
                        x += (uint64_t)i;
                __asm__ volatile("" : : "r"(x)); /* the loop's work is not optimised away */
        }
        *want = thread_cpu_now() - start;
        return NULL;
}

static void test_sleep_is_wall_not_cpu(void **state)
{
        (void)state;
        struct stage_timer t;
        double wall, cpu;
        stage_timer_start(&t);
        nanosleep(&(struct timespec){.tv_nsec = 150 * 1000 * 1000}, NULL);
        stage_timer_elapsed(&t, &wall, &cpu);
        assert_true(wall >= 0.15); /* the kernel sleeps at least that long: no upper bound,
                                    * which would depend on the machine's load */
        assert_true(cpu >= 0);
        assert_true(cpu < 0.05);
}

static void test_other_threads_count_as_cpu(void **state)
{
        (void)state;
        struct stage_timer t;
        pthread_t th;
        double burned = 0.2, wall, cpu;
        stage_timer_start(&t);
        assert_int_equal(pthread_create(&th, NULL, spin, &burned), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        stage_timer_elapsed(&t, &wall, &cpu);
        /* the spinning thread's own clock is the oracle: the process clock includes it */
        assert_true(burned >= 0.2);
        assert_true(cpu >= burned);
        assert_true(wall >= burned - 0.001); /* one thread cannot burn CPU faster than time */
}

static void test_waited_children_count_as_cpu(void **state)
{
        (void)state;
        struct stage_timer t;
        struct rusage before, after;
        double wall, cpu;
        assert_int_equal(getrusage(RUSAGE_CHILDREN, &before), 0);
        stage_timer_start(&t);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                double burn = 0.2;
                spin(&burn);
                _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        stage_timer_elapsed(&t, &wall, &cpu);
        assert_int_equal(getrusage(RUSAGE_CHILDREN, &after), 0);
        /* the kernel's account of the child is the oracle */
        double child = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
                       (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
                       (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
                       (double)(after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
        assert_true(child >= 0.19);
        assert_true(cpu >= child);
        assert_true(wall >= 0.19);
}

static void test_stages_accumulate_in_order(void **state)
{
        (void)state;
        struct stage_times st = STAGE_TIMES_INIT;
        assert_null(stage_times_get(&st, "solve"));
        stage_times_add(&st, "solve", 1.0, 0.5);
        stage_times_add(&st, "select", 2.0, 1.5);
        stage_times_add(&st, "solve", 0.25, 0.25);
        /* a stage name is copied: the caller's buffer may change */
        char name[] = "layers";
        stage_times_add(&st, name, 3.0, 6.0);
        name[0] = 'x';
        assert_int_equal(st.n, 3);
        assert_string_equal(st.v[0].name, "solve");
        assert_string_equal(st.v[1].name, "select");
        assert_string_equal(st.v[2].name, "layers");
        const struct stage_time *s = stage_times_get(&st, "solve");
        assert_non_null(s);
        assert_true(s->wall_s == 1.25 && s->cpu_s == 0.75);
        assert_true(stage_times_get(&st, "layers")->cpu_s == 6.0);
        assert_null(stage_times_get(&st, "xayers"));
        /* NULL records nothing */
        stage_times_add(NULL, "solve", 1, 1);
        for (int i = 0; i < 100; i++) {
                char many[16];
                snprintf(many, sizeof(many), "s%d", i);
                stage_times_add(&st, many, 0, 0);
        }
        assert_int_equal(st.n, 103);
        assert_string_equal(st.v[102].name, "s99");
        stage_times_release(&st);
        assert_int_equal(st.n, 0);
        assert_null(st.v);
}

static void test_laps_chain_without_gap(void **state)
{
        (void)state;
        struct stage_times st = STAGE_TIMES_INIT;
        struct stage_timer whole, lap;
        double burn = 0.05, wall, cpu;
        stage_timer_start(&whole);
        lap = whole;
        spin(&burn);
        stage_times_lap(&st, "a", &lap);
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
        stage_times_lap(&st, "b", &lap);
        stage_times_lap(NULL, "not recorded", &lap);
        spin(&burn);
        stage_times_lap(&st, "a", &lap);
        stage_timer_elapsed(&whole, &wall, &cpu);
        const struct stage_time *a = stage_times_get(&st, "a"), *b = stage_times_get(&st, "b");
        assert_int_equal(st.n, 2);
        assert_true(a->cpu_s >= 0.1);
        assert_true(b->wall_s >= 0.05);
        assert_true(b->cpu_s < 0.05);
        /* the laps cover the whole interval up to the last lap, which ends before `whole` is
         * read (how much earlier depends on scheduling, so only this side is asserted) */
        assert_true(a->wall_s + b->wall_s <= wall);
        assert_true(a->wall_s + b->wall_s >= 0.15); /* two spins and the sleep, at least */
        assert_true(a->cpu_s + b->cpu_s <= cpu);
        stage_times_release(&st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sleep_is_wall_not_cpu),
            cmocka_unit_test(test_other_threads_count_as_cpu),
            cmocka_unit_test(test_waited_children_count_as_cpu),
            cmocka_unit_test(test_stages_accumulate_in_order),
            cmocka_unit_test(test_laps_chain_without_gap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
