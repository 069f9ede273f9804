#include "core/common.h"

/* Unit tests for core/velocity: the grid's 13 weeks start on Monday at local
 * midnight in the viewer's zone, the last holds now (also when now is the
 * first moment of a Monday or the last of a Sunday), an activity falls in
 * the week of its local date (a UTC Monday that is still Sunday in New York
 * belongs to the week before there), weeks across daylight-saving changes
 * are 167 / 169 hours long, a +05:30 zone, and the days before 1970. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/cadence.h"
#include "core/timeutil.h"
#include "core/velocity.h"

#define HOUR_US (3600 * INT64_C(1000000))

static int64_t U(const char *s)
{
    int64_t us = 0;
    if (time_parse_iso(s, strlen(s), &us)) {
        print_error("bad time literal %s\n", s);
        fail();
    }
    return us;
}

static const tz *Z(const char *name)
{
    const tz *z = NULL;
    if (tz_get(name, &z)) {
        print_error("no zone %s\n", name);
        fail();
    }
    return z;
}

static int64_t D(int y, int m, int d)
{
    return time_days_from_civil(y, m, d);
}

static void test_monday(void **state)
{
    (void)state;
    assert_int_equal(velocity_monday(D(1970, 1, 1)), D(1969, 12, 29)); /* a Thursday */
    assert_int_equal(velocity_monday(D(2026, 3, 2)), D(2026, 3, 2));   /* a Monday */
    assert_int_equal(velocity_monday(D(2026, 3, 8)), D(2026, 3, 2));   /* a Sunday */
    assert_int_equal(velocity_monday(D(2026, 3, 9)), D(2026, 3, 9));
    assert_int_equal(velocity_monday(D(1969, 12, 28)), D(1969, 12, 22)); /* before 1970 */
    assert_int_equal(velocity_monday(D(1900, 1, 1)), D(1900, 1, 1));     /* a Monday */
}

static void test_weeks_in_utc(void **state)
{
    (void)state;
    velocity_weeks w;
    velocity_weeks_at(Z("UTC"), U("2026-03-04T15:00:00Z"), &w);
    assert_int_equal(w.day[12], D(2026, 3, 2));
    assert_int_equal(w.day[0], D(2025, 12, 8));
    for (int i = 0; i < VELOCITY_WEEKS; i++) {
        assert_int_equal(w.day[i], D(2025, 12, 8) + 7 * i);
        assert_int_equal(w.start_us[i + 1] - w.start_us[i], 168 * HOUR_US);
    }
    assert_int_equal(w.start_us[0], U("2025-12-08T00:00:00Z"));
    assert_int_equal(w.start_us[13], U("2026-03-09T00:00:00Z"));
    assert_int_equal(velocity_week_of(&w, U("2025-12-07T23:59:59Z")), -1);
    assert_int_equal(velocity_week_of(&w, U("2025-12-08T00:00:00Z")), 0);
    assert_int_equal(velocity_week_of(&w, U("2025-12-14T23:59:59Z")), 0);
    assert_int_equal(velocity_week_of(&w, U("2025-12-15T00:00:00Z")), 1);
    assert_int_equal(velocity_week_of(&w, U("2026-03-01T23:59:59Z")), 11);
    assert_int_equal(velocity_week_of(&w, U("2026-03-02T00:00:00Z")), 12);
    assert_int_equal(velocity_week_of(&w, U("2026-03-08T23:59:59Z")), 12);
    assert_int_equal(velocity_week_of(&w, U("2026-03-09T00:00:00Z")), -1);
    /* now at the edges of a week: the same weeks */
    velocity_weeks w2;
    velocity_weeks_at(Z("UTC"), U("2026-03-02T00:00:00Z"), &w2);
    assert_memory_equal(&w, &w2, sizeof w);
    velocity_weeks_at(Z("UTC"), U("2026-03-08T23:59:59Z"), &w2);
    assert_memory_equal(&w, &w2, sizeof w);
    velocity_weeks_at(Z("UTC"), U("2026-03-09T00:00:00Z"), &w2);
    assert_int_equal(w2.day[0], D(2025, 12, 15));
}

static void test_weeks_in_new_york(void **state)
{
    (void)state;
    const tz *ny = Z("America/New_York");
    velocity_weeks w;
    /* Monday 03:00 UTC is Sunday 22:00 in New York: the local week is the
     * one before */
    velocity_weeks_at(ny, U("2026-03-02T03:00:00Z"), &w);
    assert_int_equal(w.day[12], D(2026, 2, 23));
    velocity_weeks_at(ny, U("2026-03-04T15:00:00Z"), &w);
    assert_int_equal(w.day[12], D(2026, 3, 2));
    assert_int_equal(w.start_us[12], U("2026-03-02T05:00:00Z")); /* EST midnight */
    assert_int_equal(velocity_week_of(&w, U("2026-03-02T03:00:00Z")), 11);
    assert_int_equal(velocity_week_of(&w, U("2026-03-02T05:00:00Z")), 12);
    /* the week of 2026-03-08 (DST starts that Sunday): 167 hours, ends at EDT midnight */
    velocity_weeks_at(ny, U("2026-03-12T12:00:00Z"), &w);
    assert_int_equal(w.day[12], D(2026, 3, 9));
    assert_int_equal(w.start_us[12] - w.start_us[11], 167 * HOUR_US);
    assert_int_equal(w.start_us[12], U("2026-03-09T04:00:00Z"));
    assert_int_equal(w.start_us[13], U("2026-03-16T04:00:00Z"));
    /* the week holding 2025-11-02 (DST ends): 169 hours */
    velocity_weeks_at(ny, U("2025-11-05T12:00:00Z"), &w);
    assert_int_equal(w.day[11], D(2025, 10, 27));
    assert_int_equal(w.start_us[12] - w.start_us[11], 169 * HOUR_US);
    assert_int_equal(w.start_us[11], U("2025-10-27T04:00:00Z"));
    assert_int_equal(w.start_us[12], U("2025-11-03T05:00:00Z"));
    assert_int_equal(velocity_week_of(&w, U("2025-11-03T04:30:00Z")), 11); /* Sunday 23:30 EST */
}

static void test_weeks_in_kolkata(void **state)
{
    (void)state;
    const tz *k = Z("Asia/Kolkata"); /* +05:30 */
    velocity_weeks w;
    velocity_weeks_at(k, U("2026-03-01T18:29:59Z"), &w); /* Sunday 23:59:59 there */
    assert_int_equal(w.day[12], D(2026, 2, 23));
    velocity_weeks_at(k, U("2026-03-01T18:30:00Z"), &w); /* Monday 00:00 there */
    assert_int_equal(w.day[12], D(2026, 3, 2));
    assert_int_equal(w.start_us[12], U("2026-03-01T18:30:00Z"));
    assert_int_equal(velocity_week_of(&w, U("2026-03-01T18:29:59Z")), 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monday),
        cmocka_unit_test(test_weeks_in_utc),
        cmocka_unit_test(test_weeks_in_new_york),
        cmocka_unit_test(test_weeks_in_kolkata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
