#include "core/common.h"

/* Unit tests for core/throttle: rolling windows, the send that must leave
 * a full window first, several rules at once, rules switched off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/throttle.h"

#define SEC INT64_C(1000000)
#define NOW (INT64_C(1700000000) * SEC)

static void test_offset(void **state)
{
    (void)state;
    assert_int_equal(throttle_kth_offset(0, 10), 0);
    assert_int_equal(throttle_kth_offset(9, 10), 0);
    /* 10 sent, 10 allowed: the oldest must leave for one more. */
    assert_int_equal(throttle_kth_offset(10, 10), 0);
    /* 12 sent (the limit was lowered): the third oldest. */
    assert_int_equal(throttle_kth_offset(12, 10), 2);
    assert_int_equal(throttle_kth_offset(5, 0), 0);
}

static void test_below_limit_now(void **state)
{
    (void)state;
    throttle_rule r = {.limit = 10, .window_us = 60 * SEC, .count = 9};
    assert_false(throttle_rule_full(&r));
    assert_int_equal(throttle_at(&r, 1, NOW), 0);
}

static void test_full_window_waits_for_oldest(void **state)
{
    (void)state;
    /* 10 a minute, 10 sent, the oldest 45 s ago: one more in 15 s. */
    throttle_rule r = {.limit = 10, .window_us = 60 * SEC, .count = 10, .kth_at = NOW - 45 * SEC};
    assert_true(throttle_rule_full(&r));
    assert_int_equal(throttle_at(&r, 1, NOW), NOW + 15 * SEC);
}

static void test_latest_rule_wins(void **state)
{
    (void)state;
    throttle_rule r[] = {
        /* per minute: free in 10 s */
        {.limit = 5, .window_us = 60 * SEC, .count = 5, .kth_at = NOW - 50 * SEC},
        /* per hour: not full */
        {.limit = 100, .window_us = 3600 * SEC, .count = 40},
        /* per day (rolling 24 h): free in 2 h */
        {.limit = 40, .window_us = 86400 * SEC, .count = 40, .kth_at = NOW - 22 * 3600 * SEC},
        /* per domain per hour: off */
        {.limit = 0, .window_us = 3600 * SEC, .count = 1000},
    };
    assert_int_equal(throttle_at(r, 4, NOW), NOW + 2 * 3600 * SEC);
    r[2].count = 39;
    assert_int_equal(throttle_at(r, 4, NOW), NOW + 10 * SEC);
    r[0].limit = -1;
    assert_int_equal(throttle_at(r, 4, NOW), 0);
}

static void test_never_now_when_full(void **state)
{
    (void)state;
    /* A send time whose window already ended (a stale count, another
     * node's clock): still not now, a moment later. */
    throttle_rule r = {.limit = 1, .window_us = 60 * SEC, .count = 1, .kth_at = NOW - 90 * SEC};
    assert_int_equal(throttle_at(&r, 1, NOW), NOW + 1);
    assert_int_equal(throttle_at(NULL, 0, NOW), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset),
        cmocka_unit_test(test_below_limit_now),
        cmocka_unit_test(test_full_window_waits_for_oldest),
        cmocka_unit_test(test_latest_rule_wins),
        cmocka_unit_test(test_never_now_when_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
