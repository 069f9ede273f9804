#include "core/common.h"

/* Unit tests for core/ratelimit: a sliding window, driven with explicit times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/ratelimit.h"
#include "core/timeutil.h"

#define WINDOW (20 * US_PER_SEC)
#define T0     INT64_C(5000000000) /* an arbitrary monotonic start */

static void test_burst_then_wait(void **state)
{
    ratelimit rl;
    assert_int_equal(ratelimit_init(&rl, 100, WINDOW), HAIL_OK);
    /* 100 fit immediately */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(ratelimit_wait_us(&rl, T0), 0);
        ratelimit_record(&rl, T0);
    }
    /* the 101st waits exactly until the oldest leaves the window */
    assert_int_equal(ratelimit_wait_us(&rl, T0), WINDOW);
    assert_int_equal(ratelimit_wait_us(&rl, T0 + 1), WINDOW - 1);
    assert_int_equal(ratelimit_wait_us(&rl, T0 + 7 * US_PER_SEC), 13 * US_PER_SEC);
    assert_int_equal(ratelimit_wait_us(&rl, T0 + WINDOW - 1), 1);
    assert_int_equal(ratelimit_wait_us(&rl, T0 + WINDOW), 0);
    assert_int_equal(ratelimit_wait_us(&rl, T0 + WINDOW + 12345), 0);
    ratelimit_release(&rl);
}

static void test_sliding(void **state)
{
    ratelimit rl;
    assert_int_equal(ratelimit_init(&rl, 100, WINDOW), HAIL_OK);
    /* 100 events spread 100 ms apart: t = 0 .. 9.9 s */
    for (int i = 0; i < 100; i++) {
        int64_t t = T0 + i * 100000;
        assert_int_equal(ratelimit_wait_us(&rl, t), 0);
        ratelimit_record(&rl, t);
    }
    int64_t now = T0 + 9900000;
    /* full: the event at 0 leaves at 20 s */
    assert_int_equal(ratelimit_wait_us(&rl, now), WINDOW - 9900000);
    now = T0 + WINDOW;
    assert_int_equal(ratelimit_wait_us(&rl, now), 0);
    ratelimit_record(&rl, now);
    /* only one slot was freed: the next waits for the event at 0.1 s */
    assert_int_equal(ratelimit_wait_us(&rl, now), 100000);
    /* after partial expiry (events at 0.1 .. 5.0 s gone by 25.0 s), 50 fit */
    now = T0 + 25 * US_PER_SEC;
    for (int i = 0; i < 50; i++) {
        assert_int_equal(ratelimit_wait_us(&rl, now), 0);
        ratelimit_record(&rl, now);
    }
    /* the 51st waits for the event at 5.1 s: until 25.1 s */
    assert_int_equal(ratelimit_wait_us(&rl, now), 100000);
    assert_int_equal(ratelimit_wait_us(&rl, now + 50000), 50000);
    /* never more than 100 in any 20 s window: simulate a greedy client */
    ratelimit_release(&rl);
}

static void test_greedy_client_never_exceeds(void **state)
{
    ratelimit rl;
    assert_int_equal(ratelimit_init(&rl, 100, WINDOW), HAIL_OK);
    enum { N = 2000 };
    static int64_t at[N];
    int64_t now = T0;
    for (int i = 0; i < N; i++) {
        int64_t w = ratelimit_wait_us(&rl, now);
        assert_true(w >= 0);
        now += w;
        assert_int_equal(ratelimit_wait_us(&rl, now), 0);
        ratelimit_record(&rl, now);
        at[i] = now;
        now += (i * 7919) % 150000; /* irregular gaps */
    }
    /* any 101 consecutive events span at least the window */
    for (int i = 100; i < N; i++)
        assert_true(at[i] - at[i - 100] >= WINDOW);
    /* and the client was not held back more than needed: each wait ended
     * exactly when the 100th-previous event left the window, or was 0 */
    for (int i = 100; i < N; i++) {
        int64_t prev = at[i - 1] + ((i - 1) * 7919) % 150000;
        int64_t need = at[i - 100] + WINDOW;
        assert_int_equal(at[i], prev > need ? prev : need);
    }
    ratelimit_release(&rl);
}

static void test_small_limits(void **state)
{
    ratelimit rl;
    assert_int_equal(ratelimit_init(&rl, 1, 1000), HAIL_OK);
    assert_int_equal(ratelimit_wait_us(&rl, 0), 0);
    ratelimit_record(&rl, 0);
    assert_int_equal(ratelimit_wait_us(&rl, 0), 1000);
    assert_int_equal(ratelimit_wait_us(&rl, 999), 1);
    ratelimit_record(&rl, 1000);
    assert_int_equal(ratelimit_wait_us(&rl, 1000), 1000);
    ratelimit_release(&rl);

    /* limit 0 is taken as 1, not as "never" or "unlimited" */
    assert_int_equal(ratelimit_init(&rl, 0, 1000), HAIL_OK);
    assert_int_equal(ratelimit_wait_us(&rl, 0), 0);
    ratelimit_record(&rl, 0);
    assert_int_equal(ratelimit_wait_us(&rl, 0), 1000);
    ratelimit_release(&rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_wait),
        cmocka_unit_test(test_sliding),
        cmocka_unit_test(test_greedy_client_never_exceeds),
        cmocka_unit_test(test_small_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
