#include "core/common.h"

/* Unit tests for core/cadence: the TZif reader on the system tz database
 * (America/New_York, Europe/Berlin, Australia/Sydney, Asia/Kolkata across
 * their DST changes both ways), the POSIX TZ footer (far-future times and
 * hand-written zone files under a TZDIR of our own), business days with
 * weekends and holidays, and cadence_due. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/stat.h>

#include "core/cadence.h"
#include "core/err.h"
#include "core/timeutil.h"

/* "YYYY-MM-DDTHH:MM:SSZ" -> µs */
static int64_t U(const char *s)
{
    int64_t us = 0;
    if (time_parse_iso(s, strlen(s), &us)) {
        print_error("bad time literal %s\n", s);
        fail();
    }
    return us;
}

static int64_t D(int y, int m, int d)
{
    return time_days_from_civil(y, m, d);
}

static const tz *Z(const char *name)
{
    const tz *z = NULL;
    if (tz_get(name, &z)) {
        print_error("tz_get(%s): %s\n", name, hail_errmsg());
        fail();
    }
    return z;
}

static void assert_iso(int64_t us, const char *want)
{
    char got[TIME_ISO_LEN];
    time_format_iso(us, got);
    if (strcmp(got, want) != 0) {
        print_error("got %s, want %s\n", got, want);
        fail();
    }
}

/* the local civil time of utc in zone, as "YYYY-MM-DD HH:MM:SS off wday" */
static void assert_local(const char *zone, const char *utc, const char *want)
{
    civil c;
    tz_to_local(Z(zone), U(utc), &c);
    char got[64];
    snprintf(got, sizeof got, "%04d-%02d-%02d %02d:%02d:%02d %d %d", c.year, c.month, c.day, c.hour,
             c.minute, c.second, c.utc_offset_s, c.wday);
    if (strcmp(got, want) != 0) {
        print_error("%s at %s: got '%s', want '%s'\n", zone, utc, got, want);
        fail();
    }
}

static void test_zone_names(void **state)
{
    const tz *a = Z("America/New_York"), *b = Z("America/New_York");
    assert_ptr_equal(a, b); /* loaded once, kept */
    assert_string_equal(tz_name(a), "America/New_York");
    assert_string_equal(tz_name(Z("UTC")), "UTC");
    assert_true(tz_valid("Europe/Berlin"));
    assert_true(tz_valid("Australia/Sydney"));
    assert_true(tz_valid("Asia/Kolkata"));
    assert_true(tz_valid("Etc/GMT+5"));

    const char *bad[] = {"Nowhere/City",      "",
                         "../etc/passwd",     "/etc/passwd",
                         "America/../UTC",    "America//New_York",
                         "America/New_York/", "zone1970.tab",
                         "tzdata.zi",         "America/New York",
                         "America",           "right/UTC",
                         "Europe/Berlin\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const tz *z = (const tz *)0x1;
        assert_false(tz_valid(bad[i]));
        assert_int_equal(tz_get(bad[i], &z), HAIL_EINVAL);
        assert_ptr_equal(z, (const tz *)0x1);
    }
    const tz *z;
    assert_int_equal(tz_get("Nowhere/City", &z), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "unknown time zone 'Nowhere/City'");
    assert_int_equal(tz_get(NULL, &z), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "unknown time zone ''");
    assert_false(tz_valid(NULL));
}

static void *get_zones(void *arg)
{
    const char *names[] = {"Europe/Paris", "Asia/Tokyo", "America/Chicago", "Africa/Cairo"};
    const tz **out = arg;
    for (int i = 0; i < 200; i++)
        for (int j = 0; j < 4; j++)
            if (tz_get(names[j], &out[j]))
                return NULL;
    return arg;
}

static void test_zone_cache_threads(void **state)
{
    enum { N = 6 };
    pthread_t th[N];
    const tz *got[N][4];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&th[i], NULL, get_zones, got[i]), 0);
    for (int i = 0; i < N; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_non_null(r);
    }
    for (int i = 1; i < N; i++)
        for (int j = 0; j < 4; j++)
            assert_ptr_equal(got[i][j], got[0][j]);
}

static void test_new_york(void **state)
{
    const char *ny = "America/New_York";
    /* spring forward 2026-03-08 02:00 EST -> 03:00 EDT */
    assert_local(ny, "2026-03-08T06:59:59Z", "2026-03-08 01:59:59 -18000 0");
    assert_local(ny, "2026-03-08T07:00:00Z", "2026-03-08 03:00:00 -14400 0");
    /* fall back 2026-11-01 02:00 EDT -> 01:00 EST */
    assert_local(ny, "2026-11-01T05:59:59Z", "2026-11-01 01:59:59 -14400 0");
    assert_local(ny, "2026-11-01T06:00:00Z", "2026-11-01 01:00:00 -18000 0");
    /* a gap moves forward by the gap; an overlap takes the first */
    assert_iso(tz_from_local(Z(ny), 2026, 3, 8, 2, 30), "2026-03-08T07:30:00Z");
    assert_iso(tz_from_local(Z(ny), 2026, 3, 8, 1, 59), "2026-03-08T06:59:00Z");
    assert_iso(tz_from_local(Z(ny), 2026, 3, 8, 3, 0), "2026-03-08T07:00:00Z");
    assert_iso(tz_from_local(Z(ny), 2026, 11, 1, 1, 30), "2026-11-01T05:30:00Z");
    assert_iso(tz_from_local(Z(ny), 2026, 11, 1, 2, 0), "2026-11-01T07:00:00Z");
    /* history: local mean time before 1883, EST in 1900 */
    assert_local(ny, "1880-01-01T12:00:00Z", "1880-01-01 07:03:58 -17762 4");
    assert_local(ny, "1900-01-01T12:00:00Z", "1900-01-01 07:00:00 -18000 1");
    /* past the last transition of the file: the POSIX footer
     * (EST5EDT,M3.2.0,M11.1.0); 2100's second Sunday of March is the 14th */
    assert_local(ny, "2100-03-14T06:59:59Z", "2100-03-14 01:59:59 -18000 0");
    assert_local(ny, "2100-03-14T07:00:00Z", "2100-03-14 03:00:00 -14400 0");
    assert_local(ny, "2100-11-07T05:59:59Z", "2100-11-07 01:59:59 -14400 0");
    assert_local(ny, "2100-11-07T06:00:00Z", "2100-11-07 01:00:00 -18000 0");
    assert_iso(tz_from_local(Z(ny), 2100, 3, 14, 2, 30), "2100-03-14T07:30:00Z");
    assert_iso(tz_from_local(Z(ny), 2100, 11, 7, 1, 30), "2100-11-07T05:30:00Z");
    /* a day of 23 hours and one of 25 */
    assert_iso(tz_day_start(Z(ny), D(2026, 3, 8)), "2026-03-08T05:00:00Z");
    assert_iso(tz_day_start(Z(ny), D(2026, 3, 9)), "2026-03-09T04:00:00Z");
    assert_iso(tz_day_start(Z(ny), D(2026, 11, 2)), "2026-11-02T05:00:00Z");
    assert_int_equal(tz_local_day(Z(ny), U("2026-03-09T03:59:59Z")), D(2026, 3, 8));
    assert_int_equal(tz_local_day(Z(ny), U("2026-03-09T04:00:00Z")), D(2026, 3, 9));
}

static void test_berlin(void **state)
{
    const char *b = "Europe/Berlin";
    assert_local(b, "2026-03-29T00:59:59Z", "2026-03-29 01:59:59 3600 0");
    assert_local(b, "2026-03-29T01:00:00Z", "2026-03-29 03:00:00 7200 0");
    assert_local(b, "2026-10-25T00:59:59Z", "2026-10-25 02:59:59 7200 0");
    assert_local(b, "2026-10-25T01:00:00Z", "2026-10-25 02:00:00 3600 0");
    assert_iso(tz_from_local(Z(b), 2026, 3, 29, 2, 30), "2026-03-29T01:30:00Z");
    assert_iso(tz_from_local(Z(b), 2026, 10, 25, 2, 30), "2026-10-25T00:30:00Z");
    assert_iso(tz_from_local(Z(b), 2026, 10, 25, 3, 0), "2026-10-25T02:00:00Z");
    /* footer (CET-1CEST,M3.5.0,M10.5.0/3): 2090's last Sunday of March is the 26th */
    assert_local(b, "2090-03-26T00:59:59Z", "2090-03-26 01:59:59 3600 0");
    assert_local(b, "2090-03-26T01:00:00Z", "2090-03-26 03:00:00 7200 0");
    /* a new year's eve */
    assert_local(b, "2026-12-31T23:00:00Z", "2027-01-01 00:00:00 3600 5");
}

static void test_sydney(void **state)
{
    const char *s = "Australia/Sydney";
    /* DST ends 2026-04-05 03:00 AEDT -> 02:00 AEST; begins 2026-10-04 02:00 -> 03:00 */
    assert_local(s, "2026-04-04T15:59:59Z", "2026-04-05 02:59:59 39600 0");
    assert_local(s, "2026-04-04T16:00:00Z", "2026-04-05 02:00:00 36000 0");
    assert_local(s, "2026-10-03T15:59:59Z", "2026-10-04 01:59:59 36000 0");
    assert_local(s, "2026-10-03T16:00:00Z", "2026-10-04 03:00:00 39600 0");
    assert_iso(tz_from_local(Z(s), 2026, 4, 5, 2, 30), "2026-04-04T15:30:00Z");
    assert_iso(tz_from_local(Z(s), 2026, 10, 4, 2, 30), "2026-10-03T16:30:00Z");
    /* summer spans the new year: the footer in 2100 */
    assert_local(s, "2100-01-01T01:00:00Z", "2100-01-01 12:00:00 39600 5");
    assert_local(s, "2100-07-01T02:00:00Z", "2100-07-01 12:00:00 36000 4");
}

static void test_kolkata(void **state)
{
    const char *k = "Asia/Kolkata";
    assert_local(k, "2026-01-01T00:00:00Z", "2026-01-01 05:30:00 19800 4");
    assert_local(k, "2025-12-31T18:29:59Z", "2025-12-31 23:59:59 19800 3");
    assert_iso(tz_from_local(Z(k), 2026, 1, 1, 0, 0), "2025-12-31T18:30:00Z");
    assert_iso(tz_from_local(Z(k), 2028, 2, 29, 9, 0), "2028-02-29T03:30:00Z");
    assert_local(k, "2200-06-01T00:00:00Z", "2200-06-01 05:30:00 19800 0");
    assert_iso(tz_day_start(Z(k), D(2026, 7, 1)), "2026-06-30T18:30:00Z");
}

static void test_midnight_gap(void **state)
{
    /* America/Havana springs forward at midnight: 2026-03-08 starts at 01:00 */
    assert_iso(tz_day_start(Z("America/Havana"), D(2026, 3, 8)), "2026-03-08T05:00:00Z");
    assert_local("America/Havana", "2026-03-08T05:00:00Z", "2026-03-08 01:00:00 -14400 0");
}

/* ---- zone files of our own, under a TZDIR of the test's ---- */

static char tzdir[256];

static void put32(unsigned char **p, uint32_t v)
{
    (*p)[0] = (unsigned char)(v >> 24);
    (*p)[1] = (unsigned char)(v >> 16);
    (*p)[2] = (unsigned char)(v >> 8);
    (*p)[3] = (unsigned char)v;
    *p += 4;
}

static void put64(unsigned char **p, int64_t v)
{
    put32(p, (uint32_t)((uint64_t)v >> 32));
    put32(p, (uint32_t)v);
}

/* Writes a TZif file: version '1' (32-bit only), '2' or '3' (a 64-bit
 * block and the footer). */
static void write_zone(const char *name, char version, size_t n, const int64_t *at,
                       const uint8_t *type, size_t ntypes, const int32_t *off, const char *footer)
{
    unsigned char buf[4096], *p = buf;
    for (int block = 0; block < (version == '1' ? 1 : 2); block++) {
        memcpy(p, "TZif", 4);
        p[4] = version == '1' ? 0 : (unsigned char)version;
        memset(p + 5, 0, 15);
        p += 20;
        put32(&p, 0);
        put32(&p, 0);
        put32(&p, 0);
        put32(&p, (uint32_t)n);
        put32(&p, (uint32_t)ntypes);
        put32(&p, 4); /* "ABC\0" */
        for (size_t i = 0; i < n; i++)
            if (block == 0)
                put32(&p, (uint32_t)(int32_t)at[i]);
            else
                put64(&p, at[i]);
        for (size_t i = 0; i < n; i++)
            *p++ = type[i];
        for (size_t i = 0; i < ntypes; i++) {
            put32(&p, (uint32_t)off[i]);
            *p++ = 0;
            *p++ = 0;
        }
        memcpy(p, "ABC", 4);
        p += 4;
    }
    if (version != '1') {
        size_t fl = strlen(footer);
        *p++ = '\n';
        memcpy(p, footer, fl);
        p += fl;
        *p++ = '\n';
    }
    char path[512];
    snprintf(path, sizeof path, "%s/Hail", tzdir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s", tzdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, (size_t)(p - buf), f), (size_t)(p - buf));
    fclose(f);
}

static void write_raw(const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tzdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_own_zone_files(void **state)
{
    snprintf(tzdir, sizeof tzdir, "/tmp/hail-tz-XXXXXX");
    assert_non_null(mkdtemp(tzdir));
    setenv("TZDIR", tzdir, 1);

    /* version 1: two transitions, no footer; after the last, its type */
    int64_t at1[] = {1000000000, 1100000000};
    uint8_t ty1[] = {1, 0};
    int32_t of1[] = {3600, 7200};
    write_zone("Hail/V1", '1', 2, at1, ty1, 2, of1, "");
    assert_local("Hail/V1", "1990-01-01T00:00:00Z", "1990-01-01 01:00:00 3600 1");
    assert_local("Hail/V1", "2002-01-01T00:00:00Z", "2002-01-01 02:00:00 7200 2");
    assert_local("Hail/V1", "2030-01-01T00:00:00Z", "2030-01-01 01:00:00 3600 2");

    /* no transitions at all: the footer rules every time */
    int32_t of2[] = {19800};
    write_zone("Hail/Quoted", '2', 0, NULL, NULL, 1, of2, "<+0530>-5:30");
    assert_local("Hail/Quoted", "2026-01-01T00:00:00Z", "2026-01-01 05:30:00 19800 4");
    write_zone("Hail/West", '2', 0, NULL, NULL, 1, of2, "<-0330>3:30");
    assert_local("Hail/West", "2026-01-01T00:00:00Z", "2025-12-31 20:30:00 -12600 3");

    /* Jn (never Feb 29) and n (counts it), times of day past 24 h and below 0 */
    write_zone("Hail/Julian", '3', 0, NULL, NULL, 1, of2, "AAA-1BBB-2,J60/0,300/-1");
    /* 2028 is a leap year: J60 is March 1; day 300 (0-based) is October 27 */
    assert_local("Hail/Julian", "2028-02-29T22:59:59Z", "2028-02-29 23:59:59 3600 2");
    assert_local("Hail/Julian", "2028-02-29T23:00:00Z", "2028-03-01 01:00:00 7200 3");
    /* the end at day 300 at -1:00 local DST is Oct 26 23:00 +2 = 21:00Z */
    assert_local("Hail/Julian", "2028-10-26T20:59:59Z", "2028-10-26 22:59:59 7200 4");
    assert_local("Hail/Julian", "2028-10-26T21:00:00Z", "2028-10-26 22:00:00 3600 4");
    /* all year DST (RFC 8536's example): J1/0 to J365/25 */
    write_zone("Hail/AllYear", '3', 0, NULL, NULL, 1, of2, "EST5EDT,0/0,J365/25");
    assert_local("Hail/AllYear", "2027-01-01T04:30:00Z", "2027-01-01 00:30:00 -14400 5");
    assert_local("Hail/AllYear", "2027-07-01T04:00:00Z", "2027-07-01 00:00:00 -14400 4");
    /* a DST name with an explicit offset and the fifth week as "last" */
    write_zone("Hail/Fifth", '2', 0, NULL, NULL, 1, of2, "XST3XDT1:30,M2.5.0,M9.5.6/23:30");
    /* last Sunday of February 2026 is the 22nd; last Saturday of September the 26th */
    assert_local("Hail/Fifth", "2026-02-22T04:59:59Z", "2026-02-22 01:59:59 -10800 0");
    assert_local("Hail/Fifth", "2026-02-22T05:00:00Z", "2026-02-22 03:30:00 -5400 0");
    assert_local("Hail/Fifth", "2026-09-27T00:59:59Z", "2026-09-26 23:29:59 -5400 6");
    assert_local("Hail/Fifth", "2026-09-27T01:00:00Z", "2026-09-26 22:00:00 -10800 6");

    /* a transition list, then the footer past its end */
    int64_t at3[] = {U("2020-01-01T00:00:00Z") / US_PER_SEC};
    uint8_t ty3[] = {1};
    int32_t of3[] = {0, 3600};
    write_zone("Hail/Then", '2', 1, at3, ty3, 2, of3, "<+02>-2");
    assert_local("Hail/Then", "2019-12-31T23:59:59Z", "2019-12-31 23:59:59 0 2");
    assert_local("Hail/Then", "2020-01-01T00:00:00Z", "2020-01-01 02:00:00 7200 3");

    /* not zone files, or broken ones: unknown zones */
    write_raw("Hail/Text", "# not a zone file, at least forty-four bytes long\n", 51);
    assert_false(tz_valid("Hail/Text"));
    write_zone("Hail/BadFooter", '2', 0, NULL, NULL, 1, of2, "EST5EDT,M3.2.0");
    assert_false(tz_valid("Hail/BadFooter"));
    write_zone("Hail/BadDate", '2', 0, NULL, NULL, 1, of2, "EST5EDT,M13.2.0,M11.1.0");
    assert_false(tz_valid("Hail/BadDate"));
    write_zone("Hail/NoRule", '2', 0, NULL, NULL, 1, of2, "EST5EDT");
    assert_false(tz_valid("Hail/NoRule"));
    write_zone("Hail/FarOff", '2', 0, NULL, NULL, 1, of2, "<+99>-99");
    assert_false(tz_valid("Hail/FarOff"));
    int64_t at4[] = {2000, 1000}; /* not ascending */
    uint8_t ty4[] = {0, 0};
    write_zone("Hail/Order", '2', 2, at4, ty4, 1, of2, "");
    assert_false(tz_valid("Hail/Order"));
    uint8_t ty5[] = {0, 3}; /* a type past the list */
    int64_t at5[] = {1000, 2000};
    write_zone("Hail/Type", '2', 2, at5, ty5, 1, of2, "");
    assert_false(tz_valid("Hail/Type"));
    /* cut short */
    unsigned char head[60];
    memcpy(head, "TZif2", 5);
    memset(head + 5, 0, sizeof head - 5);
    head[35] = 50; /* 50 transitions that are not there */
    head[39] = 1;
    write_raw("Hail/Short", head, sizeof head);
    assert_false(tz_valid("Hail/Short"));
    char path[512];
    snprintf(path, sizeof path, "%s/Hail", tzdir);
    assert_false(tz_valid("Hail")); /* a directory */

    unsetenv("TZDIR");
    /* zones already loaded stay; new names come from the system again */
    assert_true(tz_valid("Hail/Quoted"));
    assert_true(tz_valid("Pacific/Auckland"));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tzdir);
    assert_int_equal(system(cmd), 0);
}

/* ---- business days ---- */

static void test_business_days(void **state)
{
    int64_t hol[] = {D(2026, 12, 25), D(2027, 1, 1), D(2028, 2, 29)};
    calendar five = {1, hol, 3}, seven = {0, hol, 3}, plain = {1, NULL, 0};
    assert_true(cal_is_business_day(&five, D(2026, 12, 24)));  /* Thursday */
    assert_false(cal_is_business_day(&five, D(2026, 12, 25))); /* holiday */
    assert_false(cal_is_business_day(&five, D(2026, 12, 26))); /* Saturday */
    assert_false(cal_is_business_day(&five, D(2026, 12, 27))); /* Sunday */
    assert_true(cal_is_business_day(&seven, D(2026, 12, 26)));
    assert_false(cal_is_business_day(&seven, D(2026, 12, 25)));
    assert_true(cal_is_business_day(NULL, D(2026, 12, 26)));
    /* Christmas on a Friday, then a weekend: Monday */
    assert_int_equal(cal_next_business_day(&five, D(2026, 12, 25)), D(2026, 12, 28));
    assert_int_equal(cal_next_business_day(&seven, D(2026, 12, 25)), D(2026, 12, 26));
    assert_int_equal(cal_add_business_days(&five, D(2026, 12, 24), 1), D(2026, 12, 28));
    assert_int_equal(cal_add_business_days(&five, D(2026, 12, 24), 0), D(2026, 12, 24));
    assert_int_equal(cal_add_business_days(&five, D(2026, 12, 26), 0), D(2026, 12, 28));
    /* 2026-12-31 Thursday + 1: new year's day is a holiday, then a weekend */
    assert_int_equal(cal_add_business_days(&five, D(2026, 12, 31), 1), D(2027, 1, 4));
    /* month ends: Friday January 30 + 1 is Monday February 2; 31 + 1 with seven days */
    assert_int_equal(cal_add_business_days(&plain, D(2026, 1, 30), 1), D(2026, 2, 2));
    assert_int_equal(cal_add_business_days(&seven, D(2026, 1, 31), 1), D(2026, 2, 1));
    assert_int_equal(cal_add_business_days(&seven, D(2026, 4, 30), 1), D(2026, 5, 1));
    /* leap days: 2028-02-28 (Monday) + 1 is the 29th, unless it is a holiday */
    assert_int_equal(cal_add_business_days(&plain, D(2028, 2, 28), 1), D(2028, 2, 29));
    assert_int_equal(cal_add_business_days(&five, D(2028, 2, 28), 1), D(2028, 3, 1));
    assert_int_equal(cal_add_business_days(&plain, D(2027, 2, 26), 1), D(2027, 3, 1));
    /* ten business days span two weekends */
    assert_int_equal(cal_add_business_days(&plain, D(2026, 6, 1), 10), D(2026, 6, 15));
    assert_int_equal(cal_add_business_days(&seven, D(2026, 6, 1), 10), D(2026, 6, 11));
}

/* The day-by-day definition, to check the stepping one against. */
static int64_t add_slowly(const calendar *c, int64_t day, int n)
{
    day = cal_next_business_day(c, day);
    for (int i = 0; i < n; i++)
        day = cal_next_business_day(c, day + 1);
    return day;
}

static void test_business_days_far(void **state)
{
    /* holidays in runs, on weekends, twice the same day, across years */
    int64_t hol[64];
    size_t n = 0;
    uint32_t x = 12345;
    for (int64_t d = D(2026, 1, 1); n < 60; d += 1 + (x >> 27)) {
        x = x * 1103515245u + 12345u;
        hol[n++] = d;
        if (n % 17 == 0)
            hol[n++] = d; /* a duplicate */
    }
    for (int skip = 0; skip < 2; skip++) {
        calendar c = {skip, hol, n};
        for (int64_t start = D(2025, 12, 20); start < D(2026, 3, 1); start += 3)
            for (int k = 0; k < 400; k += 7)
                assert_int_equal(cal_add_business_days(&c, start, k), add_slowly(&c, start, k));
    }
    /* a step a million business days on costs no more than one a day on */
    calendar five = {1, hol, n};
    int64_t far = cal_add_business_days(&five, D(2026, 1, 1), 1000000);
    assert_int_equal(far, add_slowly(&five, D(2026, 1, 1), 1000000));
    assert_true(cal_is_business_day(&five, far));
    assert_int_equal(cal_add_business_days(&five, D(2026, 1, 1), -5),
                     cal_next_business_day(&five, D(2026, 1, 1)));
    /* cadence_due keeps far steps in range */
    const tz *utc = Z("UTC");
    calendar seven = {0, NULL, 0};
    assert_int_equal(cadence_due(utc, &seven, 0, INT_MAX, 0, 0),
                     cadence_due(utc, &seven, 0, CADENCE_MAX_DAYS, 0, 0));
    assert_iso(cadence_due(utc, &seven, 0, CADENCE_MAX_DAYS, 0, 0), "2243-10-17T00:00:00Z");
    assert_iso(cadence_due(utc, &seven, U("2026-03-01T10:00:00Z"), -3, 600, 0),
               "2026-03-01T10:00:00Z");
}

static void test_parse_hhmm(void **state)
{
    assert_int_equal(cadence_parse_hhmm("00:00"), 0);
    assert_int_equal(cadence_parse_hhmm("09:30"), 570);
    assert_int_equal(cadence_parse_hhmm("23:59"), 1439);
    const char *bad[] = {"24:00", "9:30", "09:60", "09-30", "0930", "09:3a", "+9:30", "", "09:30 "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(cadence_parse_hhmm(bad[i]), -1);
    assert_int_equal(cadence_parse_hhmm(NULL), -1);
}

/* ---- cadence_due ---- */

static void test_due_weekends_holidays(void **state)
{
    const tz *ny = Z("America/New_York");
    int64_t hol[] = {D(2026, 7, 3)}; /* Friday, Independence Day observed */
    calendar five = {1, hol, 1}, seven = {0, NULL, 0};
    /* Thursday 2026-07-02 09:00 EDT, next step one day later at 09:00:
     * Friday is a holiday, then the weekend: Monday the 6th */
    int64_t base = U("2026-07-02T13:00:00Z");
    assert_iso(cadence_due(ny, &five, base, 1, 540, base), "2026-07-06T13:00:00Z");
    assert_iso(cadence_due(ny, &seven, base, 1, 540, base), "2026-07-03T13:00:00Z");
    /* the same day, a later time */
    assert_iso(cadence_due(ny, &five, base, 0, 15 * 60, base), "2026-07-02T19:00:00Z");
    /* the same time as the previous step, two business days on */
    assert_iso(cadence_due(ny, &five, base + 1234567, 2, -1, base), "2026-07-07T13:00:01Z");
    /* a first step (days 0) when the start falls on a Saturday: Monday */
    int64_t sat = U("2026-07-04T15:00:00Z");
    assert_iso(cadence_due(ny, &five, sat, 0, 540, sat), "2026-07-06T13:00:00Z");
    assert_iso(cadence_due(ny, &five, sat, 0, -1, sat), "2026-07-06T15:00:00Z");
    /* the base's local date decides, not its UTC date: Friday 22:00 EDT is
     * Saturday in UTC */
    int64_t fri = U("2026-07-10T02:00:00Z"); /* Thursday 2026-07-09 22:00 EDT */
    assert_iso(cadence_due(ny, &five, fri, 1, 540, fri), "2026-07-10T13:00:00Z");
}

static void test_due_dst(void **state)
{
    calendar five = {1, NULL, 0}, seven = {0, NULL, 0};
    /* New York, a fixed 09:00 across spring forward: 14:00Z then 13:00Z */
    const tz *ny = Z("America/New_York");
    int64_t fri = U("2026-03-06T14:00:00Z");
    assert_iso(cadence_due(ny, &five, fri, 1, 540, fri), "2026-03-09T13:00:00Z");
    /* the same time of day across it: 23 hours later */
    int64_t sat = U("2026-03-07T15:00:00Z");
    assert_iso(cadence_due(ny, &seven, sat, 1, -1, sat), "2026-03-08T14:00:00Z");
    /* a fixed 02:30 on the day of the gap is 03:30 EDT */
    assert_iso(cadence_due(ny, &seven, sat, 1, 150, sat), "2026-03-08T07:30:00Z");
    /* fall back: 01:30 happens twice, the first one counts; 25 hours later */
    int64_t oct31 = U("2026-10-31T05:30:00Z");
    assert_iso(cadence_due(ny, &seven, oct31, 1, 90, oct31), "2026-11-01T05:30:00Z");
    assert_iso(cadence_due(ny, &seven, U("2026-10-31T14:00:00Z"), 1, -1, 0),
               "2026-11-01T15:00:00Z");
    /* Berlin */
    const tz *b = Z("Europe/Berlin");
    int64_t mar27 = U("2026-03-27T08:00:00Z"); /* Friday 09:00 CET */
    assert_iso(cadence_due(b, &five, mar27, 1, 540, mar27), "2026-03-30T07:00:00Z");
    assert_iso(cadence_due(b, &seven, mar27, 2, 150, mar27), "2026-03-29T01:30:00Z");
    assert_iso(cadence_due(b, &seven, U("2026-10-24T00:30:00Z"), 1, -1, 0),
               "2026-10-25T00:30:00Z"); /* 02:30 CEST, then the first 02:30 */
    /* Sydney: DST ends on Sunday 2026-04-05, starts on Sunday 2026-10-04 */
    const tz *s = Z("Australia/Sydney");
    int64_t apr3 = U("2026-04-02T22:00:00Z"); /* Friday 09:00 AEDT */
    assert_iso(cadence_due(s, &five, apr3, 1, 540, apr3), "2026-04-05T23:00:00Z");
    assert_iso(cadence_due(s, &seven, apr3, 2, 150, apr3), "2026-04-04T15:30:00Z");
    assert_iso(cadence_due(s, &seven, apr3, 2 + 182, 150, apr3), "2026-10-03T16:30:00Z");
    /* Kolkata: no DST, a half-hour offset */
    const tz *k = Z("Asia/Kolkata");
    int64_t kb = U("2026-03-06T03:30:00Z"); /* Friday 09:00 IST */
    assert_iso(cadence_due(k, &five, kb, 1, 540, kb), "2026-03-09T03:30:00Z");
    assert_iso(cadence_due(k, &five, kb, 0, 23 * 60 + 59, kb), "2026-03-06T18:29:00Z");
}

static void test_due_month_ends_leap(void **state)
{
    const tz *utc = Z("UTC"), *b = Z("Europe/Berlin");
    calendar five = {1, NULL, 0}, seven = {0, NULL, 0};
    int64_t jan30 = U("2026-01-30T09:00:00Z");
    assert_iso(cadence_due(utc, &five, jan30, 1, 540, jan30), "2026-02-02T09:00:00Z");
    assert_iso(cadence_due(utc, &seven, U("2026-01-31T09:00:00Z"), 1, 540, 0),
               "2026-02-01T09:00:00Z");
    assert_iso(cadence_due(utc, &seven, U("2026-12-31T09:00:00Z"), 1, 540, 0),
               "2027-01-01T09:00:00Z");
    /* leap day 2028-02-29 (a Tuesday) */
    assert_iso(cadence_due(utc, &five, U("2028-02-28T09:00:00Z"), 1, 540, 0),
               "2028-02-29T09:00:00Z");
    assert_iso(cadence_due(utc, &seven, U("2028-02-28T09:00:00Z"), 2, 540, 0),
               "2028-03-01T09:00:00Z");
    assert_iso(cadence_due(utc, &seven, U("2027-02-28T09:00:00Z"), 1, 540, 0),
               "2027-03-01T09:00:00Z");
    /* Berlin's local date at 23:30Z on the 28th is already the 29th */
    assert_iso(cadence_due(b, &five, U("2028-02-28T23:30:00Z"), 1, 540, 0), "2028-03-01T08:00:00Z");
    /* a step a month of business days later (22 days, four weekends) */
    assert_iso(cadence_due(utc, &five, U("2028-02-01T09:00:00Z"), 22, 540, 0),
               "2028-03-02T09:00:00Z");
}

static void test_due_not_before(void **state)
{
    const tz *ny = Z("America/New_York");
    int64_t hol[] = {D(2026, 9, 7)}; /* Labor Day, a Monday */
    calendar five = {1, hol, 1};
    /* added Thursday 2026-09-03 at 10:00 EDT for a 09:00 step on day 1:
     * today's 09:00 passed, so Friday 09:00 */
    int64_t now = U("2026-09-03T14:00:00Z");
    assert_iso(cadence_due(ny, &five, now, 0, 540, now), "2026-09-04T13:00:00Z");
    /* a step at 11:00 today is still ahead */
    assert_iso(cadence_due(ny, &five, now, 0, 660, now), "2026-09-03T15:00:00Z");
    /* added Friday after 09:00: the weekend and Labor Day: Tuesday */
    int64_t fri = U("2026-09-04T14:00:00Z");
    assert_iso(cadence_due(ny, &five, fri, 0, 540, fri), "2026-09-08T13:00:00Z");
    /* a step without a time of its own that is a moment late runs now */
    assert_iso(cadence_due(ny, &five, now, 0, -1, now + 5000), "2026-09-03T14:00:00Z");
    assert_int_equal(cadence_due(ny, &five, now, 0, -1, now + 5000), now + 5000);
    /* resumed after a long pause: the step due weeks ago is not overdue in
     * a pile: it comes at its minute on the first business day from now */
    int64_t later = U("2026-09-24T16:00:00Z"); /* Thursday 12:00 EDT */
    assert_iso(cadence_due(ny, &five, now, 1, 540, later), "2026-09-25T13:00:00Z");
    assert_iso(cadence_due(ny, &five, now, 1, 780, later), "2026-09-24T17:00:00Z");
    assert_int_equal(cadence_due(ny, &five, now, 1, -1, later), later);
    /* late on a Saturday without a time: Monday at base's time of day */
    int64_t sat = U("2026-09-26T16:00:00Z");
    assert_iso(cadence_due(ny, &five, now, 1, -1, sat), "2026-09-28T14:00:00Z");
    /* never earlier than not_before, whatever the inputs */
    for (int m = -1; m < 1440; m += 97)
        for (int d = 0; d < 9; d++)
            assert_true(cadence_due(ny, &five, now, d, m, later) >= later);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_names),     cmocka_unit_test(test_zone_cache_threads),
        cmocka_unit_test(test_new_york),       cmocka_unit_test(test_berlin),
        cmocka_unit_test(test_sydney),         cmocka_unit_test(test_kolkata),
        cmocka_unit_test(test_midnight_gap),   cmocka_unit_test(test_own_zone_files),
        cmocka_unit_test(test_business_days),  cmocka_unit_test(test_business_days_far),
        cmocka_unit_test(test_parse_hhmm),     cmocka_unit_test(test_due_weekends_holidays),
        cmocka_unit_test(test_due_dst),        cmocka_unit_test(test_due_month_ends_leap),
        cmocka_unit_test(test_due_not_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
