#include "core/common.h"

/* Unit tests for core/timeutil: ISO-8601 parsing/formatting and civil dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/timeutil.h"

#define S(x) ((int64_t)(x)*US_PER_SEC)

static int64_t parse_ok(const char *s)
{
    int64_t us = -12345;
    hail_err e = time_parse_iso(s, strlen(s), &us);
    if (e) {
        print_error("time_parse_iso('%s') failed: %s\n", s, hail_errmsg());
        fail();
    }
    return us;
}

static void parse_bad(const char *s)
{
    int64_t us = 0;
    hail_err e = time_parse_iso(s, strlen(s), &us);
    if (e != HAIL_EINVAL) {
        print_error("time_parse_iso('%s') = %d (%lld), want HAIL_EINVAL\n", s, e, (long long)us);
        fail();
    }
}

static void test_parse_forms(void **state)
{
    const int64_t t0 = S(1709251200);  /* 2024-03-01T00:00:00Z */
    const int64_t t10 = S(1709287200); /* 2024-03-01T10:00:00Z */
    assert_int_equal(parse_ok("2024-03-01"), t0);
    assert_int_equal(parse_ok("2024-03-01T10:00:00Z"), t10);
    assert_int_equal(parse_ok("2024-03-01T10:00:00z"), t10);
    assert_int_equal(parse_ok("2024-03-01T10:00:00+0000"), t10);
    assert_int_equal(parse_ok("2024-03-01T10:00:00+00:00"), t10);
    assert_int_equal(parse_ok("2024-03-01T10:00:00-00:00"), t10);
    assert_int_equal(parse_ok("2024-03-01T10:00:00"), t10);
    assert_int_equal(parse_ok("2024-03-01 10:00:00"), t10);
    assert_int_equal(parse_ok("2024-03-01T10:00Z"), t10);
    /* offsets: local time minus offset is UTC */
    assert_int_equal(parse_ok("2024-03-01T10:00:00-05:30"), t10 + S(5 * 3600 + 30 * 60));
    assert_int_equal(parse_ok("2024-03-01T10:00:00-0530"), t10 + S(5 * 3600 + 30 * 60));
    assert_int_equal(parse_ok("2024-03-01T10:00:00+01:00"), t10 - S(3600));
    assert_int_equal(parse_ok("2024-03-01T01:00:00+02:00"), S(1709251200 - 3600));
    /* crossing a date line backwards into the previous month */
    assert_int_equal(parse_ok("2024-03-01T00:30:00+01:00"), t0 - S(1800));
    assert_int_equal(parse_ok("2024-03-01T23:59:59Z"), t0 + S(86399));
}

static void test_parse_fractions(void **state)
{
    const int64_t t10 = S(1709287200);
    assert_int_equal(parse_ok("2024-03-01T10:00:00.123Z"), t10 + 123000);
    assert_int_equal(parse_ok("2024-03-01T10:00:00.5Z"), t10 + 500000);
    assert_int_equal(parse_ok("2024-03-01T10:00:00.000001Z"), t10 + 1);
    assert_int_equal(parse_ok("2024-03-01T10:00:00.123456+0000"), t10 + 123456);
    assert_int_equal(parse_ok("2024-03-01T10:00:00.999999+00:00"), t10 + 999999);
    /* beyond microseconds: truncated, not rounded into the next second */
    assert_int_equal(parse_ok("2024-03-01T10:00:00.9999999Z"), t10 + 999999);
    assert_int_equal(parse_ok("2024-03-01T10:00:00.123-05:30"), t10 + S(19800) + 123000);
    assert_int_equal(parse_ok("2024-03-01 10:00:00.25"), t10 + 250000);
    /* before the epoch the fraction still counts forward */
    assert_int_equal(parse_ok("1969-12-31T23:59:59.5Z"), -500000);
    parse_bad("2024-03-01T10:00:00.Z");
    parse_bad("2024-03-01T10:00:00.");
}

static void test_parse_rejects(void **state)
{
    parse_bad("");
    parse_bad("2024");
    parse_bad("2024-03");
    parse_bad("2024-02-30");
    parse_bad("2023-02-29");
    parse_bad("2024-13-01");
    parse_bad("2024-00-10");
    parse_bad("2024-01-00");
    parse_bad("2024-01-32");
    parse_bad("2024-04-31");
    parse_bad("1900-02-29");
    parse_bad("2100-02-29");
    parse_bad("2024-03-01T24:00:00Z");
    parse_bad("2024-03-01T24:00");
    parse_bad("2024-03-01T10:60:00Z");
    parse_bad("2024-03-01T10:00:61Z");
    parse_bad("2024-03-01T10:00:00Zjunk");
    parse_bad("2024-03-01T10:00:00Z ");
    parse_bad("2024-03-01junk");
    parse_bad("2024-03-01T");
    parse_bad("2024-03-01T10");
    parse_bad("2024-03-01T10:0");
    parse_bad("2024-03-01T10:00:00+5");
    parse_bad("2024-03-01T10:00:00+24:00");
    parse_bad("2024-03-01T10:00:00+01:60");
    parse_bad("2024-03-01T10:00:00 +01:00");
    parse_bad("2024-3-1");
    parse_bad("24-03-01");
    parse_bad("2024/03/01");
    parse_bad("x2024-03-01");
    parse_bad(" 2024-03-01");
    parse_bad("2024-03-01X10:00:00Z");
    parse_bad("not a date");

    /* The error names the input. */
    int64_t us;
    assert_int_equal(time_parse_iso("2024-02-30", 10, &us), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "not an ISO-8601 date-time: '2024-02-30'");

    /* Length is honoured: the bytes after len are not read. */
    assert_int_equal(time_parse_iso("2024-03-01T10:00:00Zjunk", 20, &us), HAIL_OK);
    assert_int_equal(us, S(1709287200));
    assert_int_equal(time_parse_iso("2024-03-01T10:00:00Z", 10, &us), HAIL_OK);
    assert_int_equal(us, S(1709251200));
    assert_int_equal(time_parse_iso("2024-03-01T10:00:00Z", 9, &us), HAIL_EINVAL);
}

static void test_leap_years(void **state)
{
    assert_int_equal(parse_ok("2024-02-29"), S(1709164800));
    assert_int_equal(parse_ok("2024-02-29T12:00:00Z"), S(1709164800 + 43200));
    assert_int_equal(parse_ok("2000-02-29"), S(951868800 - 86400));
    /* 2024-02-29 is followed by 2024-03-01 */
    assert_int_equal(parse_ok("2024-03-01") - parse_ok("2024-02-29"), S(86400));
    assert_int_equal(parse_ok("2023-03-01") - parse_ok("2023-02-28"), S(86400));
}

static void test_format(void **state)
{
    char out[TIME_ISO_LEN];
    time_format_iso(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    time_format_iso(S(1709287200) + 999999, out); /* whole seconds, truncated */
    assert_string_equal(out, "2024-03-01T10:00:00Z");
    time_format_iso(S(4102444799), out);
    assert_string_equal(out, "2099-12-31T23:59:59Z");
    time_format_iso(S(1709164800), out);
    assert_string_equal(out, "2024-02-29T00:00:00Z");
    time_format_iso(S(951868800), out);
    assert_string_equal(out, "2000-03-01T00:00:00Z");
    /* before the epoch: floor, not toward zero */
    time_format_iso(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
    time_format_iso(S(-1), out);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
    time_format_iso(S(-86400), out);
    assert_string_equal(out, "1969-12-31T00:00:00Z");
    assert_int_equal(strlen(out), TIME_ISO_LEN - 1);
}

static void test_round_trip(void **state)
{
    const int64_t lo = 0, hi = S(4102444799); /* 1970-01-01 .. 2099-12-31T23:59:59 */
    char out[TIME_ISO_LEN];
    int n = 0;
    /* an odd step so every hour, minute and second value comes up */
    for (int64_t t = lo; t <= hi; t += S(86400 * 3 + 3600 * 5 + 60 * 7 + 11)) {
        time_format_iso(t, out);
        int64_t back = parse_ok(out);
        if (back != t) {
            print_error("%lld -> %s -> %lld\n", (long long)t, out, (long long)back);
            fail();
        }
        n++;
    }
    assert_true(n > 10000);
    for (int64_t t = hi - S(5000); t <= hi; t += S(1)) {
        time_format_iso(t, out);
        assert_int_equal(parse_ok(out), t);
    }
    for (int64_t t = lo; t <= S(5000); t += S(1)) {
        time_format_iso(t, out);
        assert_int_equal(parse_ok(out), t);
    }
    /* parse -> format gives the canonical form */
    time_format_iso(parse_ok("2024-03-01T10:00:00.5-05:30"), out);
    assert_string_equal(out, "2024-03-01T15:30:00Z");
    time_format_iso(parse_ok("1970-01-01"), out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
}

static int dim(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

static void test_civil_days(void **state)
{
    assert_int_equal(time_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(time_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(time_days_from_civil(2024, 2, 29), 19782);
    assert_int_equal(time_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(time_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(time_days_from_civil(9999, 12, 31), 2932896);

    /* Inverse over 100k consecutive days around the epoch, and every day is
     * the successor of the one before. */
    int py, pm, pd;
    time_civil_from_days(-50001, &py, &pm, &pd);
    for (int64_t z = -50000; z < 50000; z++) {
        int y, m, d;
        time_civil_from_days(z, &y, &m, &d);
        assert_true(m >= 1 && m <= 12);
        assert_true(d >= 1 && d <= dim(y, m));
        assert_int_equal(time_days_from_civil(y, m, d), z);
        if (d > 1) {
            assert_true(y == py && m == pm && d == pd + 1);
        } else if (m > 1) {
            assert_true(y == py && m == pm + 1 && pd == dim(py, pm));
        } else {
            assert_true(y == py + 1 && pm == 12 && pd == 31);
        }
        py = y;
        pm = m;
        pd = d;
    }
    /* and around year 0 / 10000 too */
    for (int64_t z = -719162 - 800; z < -719162 + 800; z++) {
        int y, m, d;
        time_civil_from_days(z, &y, &m, &d);
        assert_int_equal(time_days_from_civil(y, m, d), z);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),   cmocka_unit_test(test_parse_fractions),
        cmocka_unit_test(test_parse_rejects), cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_format),        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_civil_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
