#include "core/common.h"

/* Unit tests for the pure Marketo rules of sync/: error classes, envelopes,
 * backoff bounds, export windows, the quota reset time, checkpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/timeutil.h"
#include "sync/marketo.h"

static int64_t at(const char *iso)
{
    int64_t t = 0;
    assert_int_equal(time_parse_iso(iso, strlen(iso), &t), HAIL_OK);
    return t;
}

/* ---- error classes ---- */

static void test_classify(void **state)
{
    assert_int_equal(mkto_classify("601"), MKTO_RENEW);
    assert_int_equal(mkto_classify("602"), MKTO_RENEW);
    const char *retry[] = {"604", "608", "611", "713"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(mkto_classify(retry[i]), MKTO_RETRY);
    assert_int_equal(mkto_classify("606"), MKTO_RATE);
    assert_int_equal(mkto_classify("615"), MKTO_RATE);
    assert_int_equal(mkto_classify("607"), MKTO_QUOTA);
    assert_int_equal(mkto_classify("1029"), MKTO_EXPORT_FULL);
    const char *fatal[] = {"609",  "610", "612", "701",  "702", "1003",
                           "1006", "",    "60",  "6010", "?"};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        assert_int_equal(mkto_classify(fatal[i]), MKTO_FATAL);
    assert_int_equal(mkto_classify(NULL), MKTO_FATAL);
}

/* ---- envelopes ---- */

static json_t *parse(const char *s)
{
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_envelope_success(void **state)
{
    json_t *j = parse("{\"requestId\":\"a#1\",\"success\":true,\"result\":[{\"id\":1},{\"id\":2}],"
                      "\"moreResult\":true,\"nextPageToken\":\"ABC\","
                      "\"warnings\":[\"No assets found\",{\"code\":\"1\",\"message\":\"m\"}]}");
    mkto_envelope env;
    assert_int_equal(mkto_envelope_parse(j, &env), HAIL_OK);
    assert_true(env.success);
    assert_non_null(env.result);
    assert_int_equal(json_array_size(env.result), 2);
    assert_true(env.more);
    assert_string_equal(env.next_page, "ABC");
    assert_int_equal(env.warnings, 2);
    assert_string_equal(env.code, "");
    json_decref(j);

    /* Marketo leaves result out when there is nothing; moreResult may be absent. */
    j = parse("{\"requestId\":\"a#1\",\"success\":true,\"nextPageToken\":\"T\"}");
    assert_int_equal(mkto_envelope_parse(j, &env), HAIL_OK);
    assert_true(env.success);
    assert_null(env.result);
    assert_false(env.more);
    json_decref(j);
}

static void test_envelope_errors(void **state)
{
    json_t *j = parse("{\"requestId\":\"a#1\",\"success\":false,"
                      "\"errors\":[{\"code\":\"602\",\"message\":\"Access token expired\"}]}");
    mkto_envelope env;
    assert_int_equal(mkto_envelope_parse(j, &env), HAIL_OK);
    assert_false(env.success);
    assert_string_equal(env.code, "602");
    assert_string_equal(env.message, "Access token expired");
    assert_int_equal(mkto_classify(env.code), MKTO_RENEW);
    json_decref(j);

    /* A numeric code is read as its digits. */
    j = parse("{\"success\":false,\"errors\":[{\"code\":1029,\"message\":\"Too many jobs\"}]}");
    assert_int_equal(mkto_envelope_parse(j, &env), HAIL_OK);
    assert_string_equal(env.code, "1029");
    assert_int_equal(mkto_classify(env.code), MKTO_EXPORT_FULL);
    json_decref(j);

    /* A failure without errors still is a failure (and not retried). */
    j = parse("{\"success\":false}");
    assert_int_equal(mkto_envelope_parse(j, &env), HAIL_OK);
    assert_false(env.success);
    assert_int_equal(mkto_classify(env.code), MKTO_FATAL);
    json_decref(j);

    /* Not an envelope at all. */
    j = parse("[1,2]");
    assert_int_equal(mkto_envelope_parse(j, &env), HAIL_EREMOTE);
    json_decref(j);
    j = parse("{\"result\":[]}");
    assert_int_equal(mkto_envelope_parse(j, &env), HAIL_EREMOTE);
    json_decref(j);
}

static void test_record_skipped(void **state)
{
    char msg[128];
    json_t *j = parse("{\"status\":\"skipped\",\"reasons\":[{\"code\":\"1004\","
                      "\"message\":\"Lead not found\"}]}");
    assert_int_equal(mkto_record_skipped(j, msg, sizeof msg), 1);
    assert_string_equal(msg, "1004 Lead not found");
    json_decref(j);
    j = parse("{\"status\":\"skipped\",\"errors\":[{\"code\":\"1003\",\"message\":\"bad\"}]}");
    assert_int_equal(mkto_record_skipped(j, msg, sizeof msg), 1);
    assert_string_equal(msg, "1003 bad");
    json_decref(j);
    j = parse("{\"status\":\"skipped\"}");
    assert_int_equal(mkto_record_skipped(j, msg, sizeof msg), 1);
    assert_string_equal(msg, "no reason given");
    json_decref(j);
    j = parse("{\"status\":\"added\",\"id\":5}");
    assert_int_equal(mkto_record_skipped(j, msg, sizeof msg), 0);
    json_decref(j);
    j = parse("{\"id\":5,\"email\":\"a@b\"}");
    assert_int_equal(mkto_record_skipped(j, msg, sizeof msg), 0);
    json_decref(j);
}

/* ---- backoff ---- */

static void test_backoff_bounds(void **state)
{
    const int64_t base = 500000, cap = 30 * US_PER_SEC;
    int64_t prev_max = 0;
    for (int a = 0; a < 20; a++) {
        int64_t d = base;
        for (int i = 0; i < a && d < cap; i++)
            d *= 2;
        if (d > cap)
            d = cap;
        /* Equal jitter: at least half the step, never more than the step. */
        const uint32_t rnds[] = {0, 1, 7, 250000, 123456789u, 0x7fffffffu, UINT32_MAX};
        for (size_t k = 0; k < sizeof rnds / sizeof rnds[0]; k++) {
            int64_t v = mkto_backoff_us(a, base, cap, rnds[k]);
            assert_true(v >= d / 2 && v <= d && v <= cap);
        }
        /* The floor doubles until the cap. */
        int64_t lo = mkto_backoff_us(a, base, cap, 0);
        assert_int_equal(lo, d / 2);
        assert_true(lo >= prev_max);
        prev_max = lo;
    }
    assert_true(mkto_backoff_us(0, base, cap, 0) >= base / 2);
    assert_true(mkto_backoff_us(0, base, cap, UINT32_MAX) <= base);
    assert_true(mkto_backoff_us(40, base, cap, UINT32_MAX) <= cap);
    assert_true(mkto_backoff_us(-3, base, cap, 0) == base / 2);
}

/* ---- export windows ---- */

static void check_windows(int64_t since, int64_t until, size_t expect)
{
    size_t n = 0;
    int64_t start = since, end, prev_end = since;
    while (mkto_window_at(start, until, &end)) {
        assert_int_equal(start, prev_end); /* contiguous, no gap or overlap */
        assert_true(end > start);
        assert_true(end - start <= MKTO_WINDOW_MAX_US);
        assert_true(end <= until);
        prev_end = end;
        start = end;
        n++;
    }
    if (since < until)
        assert_int_equal(prev_end, until); /* up to now exactly */
    assert_int_equal(n, expect);
    assert_int_equal(mkto_window_count(since, until), expect);
}

static void test_windows(void **state)
{
    int64_t d = 86400 * US_PER_SEC;
    int64_t s = at("2010-01-01T00:00:00Z");
    check_windows(s, s, 0);
    check_windows(s, s - 1, 0);
    check_windows(s, s + 1, 1);
    check_windows(s, s + 31 * d, 1);
    check_windows(s, s + 31 * d + 1, 2);
    check_windows(s, s + 62 * d, 2);
    check_windows(s, s + 365 * d, 12); /* 11 × 31 = 341 < 365 ≤ 372 */
    /* 2010-01-01 .. 2026-01-01: 5844 days → 189 windows */
    check_windows(s, at("2026-01-01T00:00:00Z"), 189);
    int64_t end;
    assert_int_equal(mkto_window_at(s, s + 40 * d, &end), 1);
    assert_int_equal(end, s + 31 * d);
}

/* ---- quota reset ---- */

static void test_quota_reset(void **state)
{
    /* Summer: CDT (UTC-5), midnight local is 05:00 UTC. */
    assert_int_equal(mkto_quota_reset_us(at("2024-07-01T12:00:00Z")), at("2024-07-02T05:00:00Z"));
    /* 04:59 UTC is still the evening before in Chicago. */
    assert_int_equal(mkto_quota_reset_us(at("2024-07-02T04:59:59Z")), at("2024-07-02T05:00:00Z"));
    assert_int_equal(mkto_quota_reset_us(at("2024-07-02T05:00:00Z")), at("2024-07-03T05:00:00Z"));
    /* Winter: CST (UTC-6). */
    assert_int_equal(mkto_quota_reset_us(at("2024-01-15T03:00:00Z")), at("2024-01-15T06:00:00Z"));
    assert_int_equal(mkto_quota_reset_us(at("2024-01-15T07:00:00Z")), at("2024-01-16T06:00:00Z"));
    /* DST starts 2024-03-10 02:00 CST: the next midnight is in CDT. */
    assert_int_equal(mkto_quota_reset_us(at("2024-03-10T07:00:00Z")), at("2024-03-11T05:00:00Z"));
    /* The evening before the change: midnight is still CST. */
    assert_int_equal(mkto_quota_reset_us(at("2024-03-10T03:00:00Z")), at("2024-03-10T06:00:00Z"));
    /* DST ends 2024-11-03 02:00 CDT. */
    assert_int_equal(mkto_quota_reset_us(at("2024-11-03T04:30:00Z")), at("2024-11-03T05:00:00Z"));
    assert_int_equal(mkto_quota_reset_us(at("2024-11-03T08:00:00Z")), at("2024-11-04T06:00:00Z"));
    /* Always in the future, at most 25 h away. */
    for (int64_t t = at("2023-01-01T00:00:00Z"); t < at("2025-01-01T00:00:00Z");
         t += 3 * 3600 * US_PER_SEC + 17 * US_PER_SEC) {
        int64_t r = mkto_quota_reset_us(t);
        assert_true(r > t && r - t <= 25 * 3600 * US_PER_SEC);
    }
}

/* ---- checkpoints ---- */

static void test_checkpoint_full_roundtrip(void **state)
{
    mkto_checkpoint c;
    memset(&c, 0, sizeof c);
    c.mode = MKTO_MODE_FULL;
    c.started_us = at("2026-01-02T03:04:05Z");
    c.since_us = at("2010-01-01");
    c.until_us = c.started_us;
    c.next_us = at("2012-03-01");
    c.prev_success_us = at("2025-12-31");
    c.njobs = 3;
    for (size_t i = 0; i < c.njobs; i++) {
        c.jobs[i].start_us = c.next_us + (int64_t)i * MKTO_WINDOW_MAX_US;
        c.jobs[i].end_us = c.jobs[i].start_us + MKTO_WINDOW_MAX_US;
        snprintf(c.jobs[i].export_id, sizeof c.jobs[i].export_id, "ce45a7a1-f19d-4ce2-882c-%zu", i);
        c.jobs[i].enqueued = i < 2;
    }
    c.jobs[2].export_id[0] = '\0';
    c.offset = 123456789012ULL;
    c.records = 4242;
    snprintf(c.header, sizeof c.header, "%s", mkto_fields_csv());
    snprintf(c.sha, sizeof c.sha, "00ff");
    char *text = mkto_checkpoint_encode(&c);
    assert_non_null(text);
    mkto_checkpoint d;
    assert_int_equal(mkto_checkpoint_decode(text, &d), HAIL_OK);
    assert_int_equal(d.mode, MKTO_MODE_FULL);
    assert_int_equal(d.started_us, c.started_us);
    assert_int_equal(d.since_us, c.since_us);
    assert_int_equal(d.until_us, c.until_us);
    assert_int_equal(d.next_us, c.next_us);
    assert_int_equal(d.prev_success_us, c.prev_success_us);
    assert_int_equal(d.njobs, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(d.jobs[i].start_us, c.jobs[i].start_us);
        assert_int_equal(d.jobs[i].end_us, c.jobs[i].end_us);
        assert_string_equal(d.jobs[i].export_id, c.jobs[i].export_id);
        assert_int_equal(d.jobs[i].enqueued, c.jobs[i].enqueued);
    }
    assert_true(d.offset == c.offset);
    assert_true(d.records == c.records);
    assert_string_equal(d.header, c.header);
    assert_string_equal(d.sha, "00ff");
    free(text);
}

static void test_checkpoint_incr_roundtrip(void **state)
{
    mkto_checkpoint c;
    memset(&c, 0, sizeof c);
    c.mode = MKTO_MODE_INCR;
    c.started_us = 1700000000000000;
    c.phase = MKTO_PHASE_DELETED;
    c.since_inc_us = 1690000000000000;
    snprintf(c.token, sizeof c.token, "GIYDAOBNGEYS2MBWKQ3DOOJTHE6Q====");
    char *text = mkto_checkpoint_encode(&c);
    assert_non_null(text);
    mkto_checkpoint d;
    assert_int_equal(mkto_checkpoint_decode(text, &d), HAIL_OK);
    assert_int_equal(d.mode, MKTO_MODE_INCR);
    assert_int_equal(d.phase, MKTO_PHASE_DELETED);
    assert_int_equal(d.since_inc_us, c.since_inc_us);
    assert_int_equal(d.started_us, c.started_us);
    assert_string_equal(d.token, c.token);
    free(text);
}

static void test_checkpoint_rejects(void **state)
{
    mkto_checkpoint d;
    const char *bad[] = {
        "",
        "not json",
        "[]",
        "{\"v\":2,\"mode\":\"incr\",\"started\":1,\"phase\":\"changes\",\"isince\":1,\"token\":"
        "\"\"}",
        "{\"v\":1,\"mode\":\"sideways\",\"started\":1,\"phase\":\"changes\",\"isince\":1,"
        "\"token\":\"\"}",
        "{\"v\":1,\"mode\":\"incr\",\"started\":1,\"phase\":\"changes\",\"isince\":1}",
        /* full without its jobs */
        "{\"v\":1,\"mode\":\"full\",\"started\":1,\"phase\":\"changes\",\"isince\":1,"
        "\"token\":\"\",\"since\":1,\"until\":2,\"smart\":0,\"next\":1,\"prev\":0,"
        "\"offset\":0,\"records\":0,\"header\":\"\",\"sha\":\"\"}",
        /* a negative offset */
        "{\"v\":1,\"mode\":\"full\",\"started\":1,\"phase\":\"changes\",\"isince\":1,"
        "\"token\":\"\",\"since\":1,\"until\":2,\"smart\":0,\"next\":1,\"prev\":0,\"jobs\":[],"
        "\"offset\":-5,\"records\":0,\"header\":\"\",\"sha\":\"\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mkto_checkpoint_decode(bad[i], &d), HAIL_EINVAL);
        assert_int_equal(d.mode, MKTO_MODE_NONE);
    }
}

static void test_sha_state_roundtrip(void **state)
{
    const char *text = "id,firstName\n1,Ana\n2,\"O'Brien, \"\"Bo\"\"\"\n3,null\n";
    size_t n = strlen(text);
    unsigned char want[crypto_hash_sha256_BYTES], got[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(want, (const unsigned char *)text, n);
    for (size_t cut = 0; cut <= n; cut += 7) {
        crypto_hash_sha256_state s, t;
        crypto_hash_sha256_init(&s);
        crypto_hash_sha256_update(&s, (const unsigned char *)text, cut);
        char hex[512];
        mkto_sha_encode(&s, hex, sizeof hex);
        assert_int_equal(strlen(hex), 2 * (32 + 8 + 64));
        memset(&t, 0xAB, sizeof t);
        assert_int_equal(mkto_sha_decode(hex, &t), HAIL_OK);
        crypto_hash_sha256_update(&t, (const unsigned char *)text + cut, n - cut);
        crypto_hash_sha256_final(&t, got);
        assert_memory_equal(want, got, sizeof want);
    }
    crypto_hash_sha256_state t;
    assert_int_equal(mkto_sha_decode("abc", &t), HAIL_EINVAL);
    char junk[209];
    memset(junk, 'z', 208);
    junk[208] = '\0';
    assert_int_equal(mkto_sha_decode(junk, &t), HAIL_EINVAL);
}

/* ---- fields and records ---- */

static void test_fields(void **state)
{
    assert_string_equal(mkto_fields[0], "id");
    for (int i = 0; i < PF_TIME_ZONE; i++)
        assert_string_equal(mkto_fields[i + 1], person_marketo_field[i]);
    assert_int_equal(MKTO_NFIELDS, PF_TIME_ZONE + 1); /* the time zone only when configured */
    assert_string_equal(mkto_field_name(PF_EMAIL, NULL), "email");
    assert_null(mkto_field_name(PF_TIME_ZONE, NULL));
    assert_string_equal(mkto_field_name(PF_TIME_ZONE, "tz__c"), "tz__c");
    /* HAIL_MARKETO_TIME_ZONE_FIELD: a REST name, not one the sync reads already. */
    assert_true(mkto_field_name_ok("timeZone"));
    assert_true(mkto_field_name_ok("Time_Zone__c"));
    const char *bad[] = {
        "",    "id",  "email", "leadOwnerEmailAddress",
        "a,b", "a b", "a&b=c", "x2345678901234567890123456789012345678901234567890123456789012345"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(mkto_field_name_ok(bad[i]));
    /* The comma list names the same fields in the same order. */
    char expect[512] = "";
    size_t n = 0;
    for (int i = 0; i < MKTO_NFIELDS; i++)
        n += (size_t)snprintf(expect + n, sizeof expect - n, "%s%s", i ? "," : "", mkto_fields[i]);
    assert_string_equal(mkto_fields_csv(), expect);
}

static void test_person_from_json(void **state)
{
    char scratch[1024];
    person_in p;
    json_t *j = parse("{\"id\":42,\"firstName\":\"Zoë\",\"lastName\":null,\"phone\":5551234,"
                      "\"sfdcAccountId\":\"001A\",\"leadOwnerEmailAddress\":\"rep@x.com\","
                      "\"title\":true,\"company\":\"null\"}");
    assert_int_equal(mkto_person_from_json(j, NULL, &p, scratch, sizeof scratch), HAIL_OK);
    assert_int_equal(p.marketo_id, 42);
    assert_int_equal(p.len[PF_FIRST_NAME], strlen("Zoë"));
    assert_memory_equal(p.f[PF_FIRST_NAME], "Zoë", p.len[PF_FIRST_NAME]);
    assert_null(p.f[PF_LAST_NAME]); /* null */
    assert_null(p.f[PF_EMAIL]);     /* missing means null */
    assert_string_equal(p.f[PF_PHONE], "5551234");
    assert_string_equal(p.f[PF_TITLE], "true");
    assert_string_equal(p.f[PF_COMPANY], "null"); /* a string is a string */
    assert_string_equal(p.f[PF_OWNER_EMAIL], "rep@x.com");
    assert_null(p.f[PF_TIME_ZONE]); /* no time zone field configured */
    json_decref(j);

    /* The time zone from the configured field; unknown zones become null. */
    j = parse("{\"id\":5,\"tz__c\":\"Asia/Kolkata\",\"timeZone\":\"Europe/Paris\"}");
    assert_int_equal(mkto_person_from_json(j, "tz__c", &p, scratch, sizeof scratch), HAIL_OK);
    assert_string_equal(p.f[PF_TIME_ZONE], "Asia/Kolkata");
    char why[200];
    assert_int_equal(person_in_check_time_zone(&p, why, sizeof why), 0);
    assert_string_equal(p.f[PF_TIME_ZONE], "Asia/Kolkata");
    json_decref(j);
    j = parse("{\"id\":6,\"tz__c\":\"Mars/Olympus_Mons\"}");
    assert_int_equal(mkto_person_from_json(j, "tz__c", &p, scratch, sizeof scratch), HAIL_OK);
    assert_int_equal(person_in_check_time_zone(&p, why, sizeof why), 1);
    assert_null(p.f[PF_TIME_ZONE]);
    assert_int_equal(p.len[PF_TIME_ZONE], 0);
    assert_string_equal(why, "unknown time zone 'Mars/Olympus_Mons' (not in the system's tz "
                             "database; an IANA name such as Europe/Berlin is expected): stored "
                             "as null");
    json_decref(j);

    j = parse("{\"id\":\"77\"}");
    assert_int_equal(mkto_person_from_json(j, NULL, &p, scratch, sizeof scratch), HAIL_OK);
    assert_int_equal(p.marketo_id, 77);
    assert_null(p.f[PF_OWNER_EMAIL]);
    json_decref(j);

    const char *bad[] = {"{\"email\":\"a@b\"}", "{\"id\":0}", "{\"id\":-3}", "{\"id\":\"x\"}"};
    for (size_t i = 0; i < 4; i++) {
        j = parse(bad[i]);
        assert_int_equal(mkto_person_from_json(j, NULL, &p, scratch, sizeof scratch), HAIL_EINVAL);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_envelope_success),
        cmocka_unit_test(test_envelope_errors),
        cmocka_unit_test(test_record_skipped),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_quota_reset),
        cmocka_unit_test(test_checkpoint_full_roundtrip),
        cmocka_unit_test(test_checkpoint_incr_roundtrip),
        cmocka_unit_test(test_checkpoint_rejects),
        cmocka_unit_test(test_sha_state_roundtrip),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_person_from_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
