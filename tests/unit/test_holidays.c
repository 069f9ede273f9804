#include "core/common.h"

/* Unit tests for store/holidays on both engines: the days the scheduler
 * reads (holidays_days), put (add and rename), delete, date parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define ENGINE_FIXTURE_NAME "holidays"
#include "engine_fixture.h"

#include "core/cadence.h"
#include "core/timeutil.h"
#include "store/holidays.h"

static int64_t D(int y, int m, int d)
{
    return time_days_from_civil(y, m, d);
}

static void test_parse_format(void **state)
{
    (void)state;
    int64_t day = 0;
    assert_int_equal(holiday_parse_day("2028-02-29", &day), HAIL_OK);
    assert_int_equal(day, D(2028, 2, 29));
    assert_int_equal(holiday_parse_day("1900-01-01", &day), HAIL_OK);
    assert_int_equal(day, D(1900, 1, 1));
    char out[11];
    holiday_format_day(D(2026, 12, 25), out);
    assert_string_equal(out, "2026-12-25");
    holiday_format_day(D(1969, 12, 31), out);
    assert_string_equal(out, "1969-12-31");
    const char *bad[] = {"2027-02-29", "2026-04-31", "2026-12-25 ", "2026/12/25", "26-12-25",
                         "1899-12-31", "2026-00-01", "2026-12-00",  "",           "２０２６-12-25"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        day = 42;
        assert_int_equal(holiday_parse_day(bad[i], &day), HAIL_EINVAL);
        assert_int_equal(day, 42);
    }
    assert_int_equal(holiday_parse_day("2026-02-30", &day), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "'2026-02-30' is not a date: YYYY-MM-DD, e.g. 2026-12-25");
    assert_int_equal(holiday_parse_day(NULL, &day), HAIL_EINVAL);
}

static void test_days(void **state)
{
    db *d = efx(state)->f.d;
    int64_t *days = (int64_t *)1;
    size_t n = 9;
    assert_int_equal(holidays_days(d, D(2026, 1, 1), D(2027, 12, 31), &days, &n), HAIL_OK);
    assert_null(days);
    assert_int_equal(n, 0);

    /* more than the first allocation, out of order */
    for (int i = 39; i >= 0; i--)
        assert_int_equal(holidays_put(d, D(2026, 1, 1) + 7 * i, "Weekly", 0, 1, NULL), HAIL_OK);
    json_t *h = NULL;
    assert_int_equal(holidays_put(d, D(2028, 2, 29), "Leap", 3, 2, &h), HAIL_OK);
    char *s = json_dumps(h, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(s, "{\"day\":\"2028-02-29\",\"name\":\"Leap\"}");
    free(s);
    json_decref(h);
    assert_int_equal(holidays_days(d, D(2026, 1, 1), D(2030, 1, 1), &days, &n), HAIL_OK);
    assert_int_equal(n, 41);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(days[i], D(2026, 1, 1) + 7 * (int64_t)i);
    assert_int_equal(days[40], D(2028, 2, 29));
    /* the days feed a calendar as they are */
    calendar c = {1, days, n};
    assert_int_equal(cal_next_business_day(&c, D(2026, 1, 1)), D(2026, 1, 2));
    assert_int_equal(cal_add_business_days(&c, D(2028, 2, 28), 1), D(2028, 3, 1));
    free(days);

    /* inclusive bounds */
    assert_int_equal(holidays_days(d, D(2026, 1, 8), D(2026, 1, 15), &days, &n), HAIL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(days[0], D(2026, 1, 8));
    assert_int_equal(days[1], D(2026, 1, 15));
    free(days);
    assert_int_equal(holidays_days(d, D(2026, 1, 9), D(2026, 1, 14), &days, &n), HAIL_OK);
    assert_int_equal(n, 0);
    free(days);

    /* rename, delete */
    assert_int_equal(holidays_put(d, D(2026, 1, 8), "Renamed", 0, 3, NULL), HAIL_OK);
    json_t *a = NULL;
    assert_int_equal(holidays_list_json(d, D(2026, 1, 8), D(2026, 1, 8), &a), HAIL_OK);
    s = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(s, "[{\"day\":\"2026-01-08\",\"name\":\"Renamed\"}]");
    free(s);
    json_decref(a);
    assert_int_equal(holidays_delete(d, D(2026, 1, 8)), HAIL_OK);
    assert_int_equal(holidays_delete(d, D(2026, 1, 8)), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "2026-01-08 is not a holiday");
    assert_int_equal(holidays_days(d, D(2026, 1, 1), D(2026, 1, 31), &days, &n), HAIL_OK);
    assert_int_equal(n, 4);
    free(days);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        cmocka_unit_test(test_parse_format),
        ON_SQLITE(test_days),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_days),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
