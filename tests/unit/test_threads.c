#include "core/common.h"

/* Stop flags shared between threads: a thread sleeping with time_sleep_us()
 * wakes early when another thread sets its stop flag (an atomic_int; under
 * ThreadSanitizer, make test-tsan, a plain or volatile int is a race). */
#include <setjmp.h>
#include <pthread.h>

#include <cmocka.h>

#include "core/timeutil.h"

typedef struct sleeper {
    atomic_int stop;
    int woke_early;
    int64_t slept_us;
} sleeper;

static void *sleep_main(void *arg)
{
    sleeper *s = arg;
    int64_t t0 = time_mono_us();
    s->woke_early = time_sleep_us(60 * US_PER_SEC, &s->stop);
    s->slept_us = time_mono_us() - t0;
    return NULL;
}

static void test_stop_wakes_a_sleeping_thread(void **state)
{
    sleeper s = {.stop = 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, sleep_main, &s), 0);
    time_sleep_us(50 * 1000, NULL);
    atomic_store(&s.stop, 1);
    pthread_join(t, NULL);
    assert_int_equal(s.woke_early, 1);
    /* It checks the flag at least every 100 ms; 10 s is slack for a loaded box. */
    assert_true(s.slept_us < 10 * US_PER_SEC);
}

static void test_sleep_without_stop(void **state)
{
    atomic_int stop = 0;
    int64_t t0 = time_mono_us();
    assert_int_equal(time_sleep_us(20 * 1000, &stop), 0);
    assert_int_equal(time_sleep_us(1000, NULL), 0);
    assert_true(time_mono_us() - t0 >= 21 * 1000);
    atomic_store(&stop, 1);
    assert_int_equal(time_sleep_us(60 * US_PER_SEC, &stop), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_wakes_a_sleeping_thread),
        cmocka_unit_test(test_sleep_without_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
