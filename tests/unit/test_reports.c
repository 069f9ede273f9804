#include "core/common.h"

/* Reports (store/reports.h) on both engines: the statements use their
 * indexes (EXPLAIN: the covered users' time range, an admin's time range,
 * tasks_done), quarter-hour buckets fold into the viewer's local days even in
 * a zone 5:45 ahead of UTC, weeks start on Monday, machine opens stay apart,
 * and the CSV is RFC 4180 with formula-safe cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/timeutil.h"
#include "store/reports.h"
#define ENGINE_FIXTURE_NAME "reports"
#include "engine_fixture.h"

static int64_t one_id(db *d, const char *sql)
{
    db_st *st = db_prepare(d, sql);
    if (!st)
        fail_msg("%s: %s", sql, hail_errmsg());
    assert_int_equal(db_step(st), DB_ROW);
    int64_t v = db_col_i64(st, 0);
    db_st_free(st);
    return v;
}

static void exec(db *d, const char *sql)
{
    if (db_exec(d, sql) != HAIL_OK)
        fail_msg("%s: %s", sql, hail_errmsg());
}

static int64_t add_user(db *d, const char *email, const char *role, const char *zone)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO users (email, name, role, time_zone, created_at, updated_at)"
             " VALUES ('%s', 'User %s', '%s', '%s', 0, 0) RETURNING id",
             email, email, role, zone);
    return one_id(d, sql);
}

static void add_activity(db *d, const char *type, int64_t person, int64_t user, int64_t at,
                         int machine)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO activities (type, person_id, user_id, occurred_at, machine, attrs,"
             " created_at) VALUES ('%s', %lld, %lld, %lld, %d, '{}', 0)",
             type, (long long)person, (long long)user, (long long)at, machine);
    exec(d, sql);
}

static int64_t day_of(int y, int m, int dd)
{
    return time_days_from_civil(y, m, dd);
}

/* UTC µs of y-m-d hh:mm. */
static int64_t utc(int y, int m, int dd, int hh, int mm)
{
    return (day_of(y, m, dd) * 86400 + hh * 3600 + mm * 60) * US_PER_SEC;
}

/* The plan of sql (bound as a report binds it) names one of "a|b". */
static void uses_index(db *d, int pg, const char *sql, int scoped, const char *index)
{
    char ex[4096];
    snprintf(ex, sizeof ex, "%s %s", pg ? "EXPLAIN" : "EXPLAIN QUERY PLAN", sql);
    db_st *st = db_prepare(d, ex);
    if (!st)
        fail_msg("%s: %s", ex, hail_errmsg());
    db_bind_i64(st, 1, utc(2026, 3, 1, 0, 0));
    db_bind_i64(st, 2, utc(2026, 4, 1, 0, 0));
    if (scoped)
        db_bind_text(st, 3, pg ? "{1,2}" : "[1,2]", -1);
    int found = 0;
    char plan[8192] = "";
    while (db_step(st) == DB_ROW) {
        const char *line = db_col_text(st, pg ? 0 : 3);
        char alt[128];
        snprintf(alt, sizeof alt, "%s", index);
        for (char *save = NULL, *one = strtok_r(alt, "|", &save); line && one;
             one = strtok_r(NULL, "|", &save))
            found |= strstr(line, one) != NULL;
        size_t used = strlen(plan);
        snprintf(plan + used, sizeof plan - used, "%s | ", line ? line : "");
    }
    db_st_free(st);
    if (!found) {
        fprintf(stderr, "plan: %s\n", plan);
        fail_msg("%s does not use %s", sql, index);
    }
}

static void test_indexes(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    int64_t u = add_user(d, "a@example.com", "rep", "UTC");
    /* a year of activity by 1,000 users: two users in one month are a small part of it */
    char sql[1024];
    snprintf(
        sql, sizeof sql,
        "INSERT INTO activities (type, person_id, user_id, occurred_at, machine, attrs,"
        " created_at) WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
        " WHERE i < 19999) SELECT CASE WHEN i %% 3 = 0 THEN 'email_send' ELSE 'email_open'"
        " END, 1 + i %% 7, %lld + i %% 1000, %lld + CAST(i AS BIGINT) * %lld, 0, '{}', 0 FROM n",
        (long long)u, (long long)utc(2026, 1, 1, 0, 0), (long long)(1577 * US_PER_SEC));
    exec(d, sql);
    exec(d, "ANALYZE");
    if (x->pg)
        exec(d, "SET enable_seqscan = off");
    for (int k = REPORT_TEMPLATES; k <= REPORT_TEAMS; k++) {
        /* teams: from the team members to each one's activity, by user either way */
        uses_index(d, x->pg, reports_activity_sql(d, k, 1), 1,
                   k == REPORT_TEAMS ? "activities_user_time|activities_user"
                                     : "activities_user_time");
        uses_index(d, x->pg, reports_activity_sql(d, k, 0), 0,
                   k == REPORT_TEMPLATES || k == REPORT_CAMPAIGNS
                       ? "activities_time"
                       : "activities_time|activities_user_time");
        uses_index(d, x->pg, reports_tasks_sql(d, k, 1), 1, "tasks_done");
        uses_index(d, x->pg, reports_tasks_sql(d, k, 0), 0, "tasks_done");
    }
    if (x->pg)
        exec(d, "SET enable_seqscan = on");
}

static json_t *series_at(json_t *rep, size_t i)
{
    return json_array_get(json_object_get(rep, "series"), i);
}

static json_int_t num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void test_days_weeks_and_zones(void **state)
{
    db *d = efx(state)->f.d;
    /* Kathmandu is UTC+5:45: 18:14 UTC is 23:59 there, 18:15 UTC the next day */
    int64_t rep = add_user(d, "rep@example.com", "rep", "Asia/Kathmandu");
    int64_t other = add_user(d, "other@example.com", "rep", "UTC");
    add_activity(d, "email_send", 1, rep, utc(2026, 3, 2, 18, 14), 0);
    add_activity(d, "email_send", 1, rep, utc(2026, 3, 2, 18, 15), 0);
    add_activity(d, "email_open", 1, rep, utc(2026, 3, 2, 18, 15), 0);
    add_activity(d, "email_open", 1, rep, utc(2026, 3, 2, 18, 15), 1);
    add_activity(d, "email_send", 1, other, utc(2026, 3, 2, 12, 0), 0);
    email_viewer v = {rep, "rep"};
    report_query q = {.kind = REPORT_USERS,
                      .from_day = day_of(2026, 3, 2),
                      .to_day = day_of(2026, 3, 3),
                      .time_zone = "Asia/Kathmandu"};
    json_t *out;
    assert_int_equal(reports_get(d, &v, &q, &out), HAIL_OK);
    json_t *rows = json_object_get(out, "rows");
    assert_int_equal(json_array_size(rows), 1); /* only the rep's own row */
    json_t *row = json_array_get(rows, 0);
    assert_int_equal(num(row, "id"), rep);
    assert_int_equal(num(row, "sent"), 2);
    assert_int_equal(num(row, "opens"), 1);
    assert_int_equal(num(row, "machine_opens"), 1);
    assert_int_equal(json_array_size(json_object_get(out, "series")), 2);
    assert_string_equal(json_string_value(json_object_get(series_at(out, 0), "start")),
                        "2026-03-02");
    assert_int_equal(num(series_at(out, 0), "sent"), 1);
    assert_int_equal(num(series_at(out, 1), "sent"), 1);
    assert_int_equal(num(series_at(out, 1), "opens"), 1);
    json_decref(out);

    /* weekly: 2026-03-04 is a Wednesday; its week starts on Monday the 2nd */
    q.from_day = day_of(2026, 3, 4);
    q.to_day = day_of(2026, 3, 10);
    q.week = 1;
    add_activity(d, "email_send", 1, rep, utc(2026, 3, 9, 12, 0), 0);
    assert_int_equal(reports_get(d, &v, &q, &out), HAIL_OK);
    assert_int_equal(json_array_size(json_object_get(out, "series")), 2);
    assert_string_equal(json_string_value(json_object_get(series_at(out, 0), "start")),
                        "2026-03-02");
    assert_string_equal(json_string_value(json_object_get(series_at(out, 1), "start")),
                        "2026-03-09");
    assert_int_equal(num(series_at(out, 0), "sent"), 0); /* the 2nd/3rd are before from */
    assert_int_equal(num(series_at(out, 1), "sent"), 1);
    json_decref(out);

    /* an admin sees both users; an unknown team is a whole 404 */
    int64_t admin = add_user(d, "admin@example.com", "admin", "UTC");
    email_viewer a = {admin, "admin"};
    q = (report_query){.kind = REPORT_USERS,
                       .from_day = day_of(2026, 3, 2),
                       .to_day = day_of(2026, 3, 2),
                       .time_zone = "UTC"};
    assert_int_equal(reports_get(d, &a, &q, &out), HAIL_OK);
    assert_int_equal(json_array_size(json_object_get(out, "rows")), 3);
    assert_int_equal(num(series_at(out, 0), "sent"), 3);
    json_decref(out);
    q.kind = REPORT_TEAMS;
    q.id = 42;
    assert_int_equal(reports_get(d, &a, &q, &out), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no team with id 42");
}

static void test_csv(void **state)
{
    (void)state;
    json_t *rep = json_loads(
        "{\"rows\":[{\"id\":7,\"name\":\"=cmd|' /C calc'!A0\",\"sent\":1,\"opens\":2,"
        "\"machine_opens\":3,\"clicks\":4,\"machine_clicks\":5,\"replies\":6,\"bounces\":7,"
        "\"unsubscribes\":8,\"calls\":{\"No answer\":2,\"Booked, \\\"hot\\\"\":1,\"total\":3},"
        "\"tasks_completed\":9},{\"id\":8,\"name\":\"Plain\",\"sent\":0,\"opens\":0,"
        "\"machine_opens\":0,\"clicks\":0,\"machine_clicks\":0,\"replies\":0,\"bounces\":0,"
        "\"unsubscribes\":0,\"calls\":{\"total\":0},\"tasks_completed\":0}],"
        "\"series\":[{\"start\":\"2026-03-02\",\"sent\":1,\"opens\":0,\"machine_opens\":0,"
        "\"clicks\":0,\"machine_clicks\":0,\"replies\":0,\"bounces\":0,\"unsubscribes\":0,"
        "\"calls\":{\"total\":0},\"tasks_completed\":0}]}",
        0, NULL);
    assert_non_null(rep);
    buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(reports_csv(rep, 0, &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b),
                        "id,name,sent,opens,machine_opens,clicks,machine_clicks,replies,bounces,"
                        "unsubscribes,calls,\"calls: Booked, \"\"hot\"\"\",calls: No answer,"
                        "tasks_completed\r\n"
                        "7,\"'=cmd|' /C calc'!A0\",1,2,3,4,5,6,7,8,3,1,2,9\r\n"
                        "8,Plain,0,0,0,0,0,0,0,0,0,0,0,0\r\n");
    buf_reset(&b);
    assert_int_equal(reports_csv(rep, 1, &b), HAIL_OK);
    assert_string_equal(buf_cstr(&b),
                        "start,sent,opens,machine_opens,clicks,machine_clicks,replies,bounces,"
                        "unsubscribes,calls,tasks_completed\r\n"
                        "2026-03-02,1,0,0,0,0,0,0,0,0,0\r\n");
    buf_release(&b);
    json_decref(rep);
    assert_int_equal(report_kind_parse("teams"), REPORT_TEAMS);
    assert_int_equal(report_kind_parse("people"), -1);
    assert_string_equal(report_kind_name(REPORT_CAMPAIGNS), "campaigns");
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_indexes),
        ON_SQLITE(test_days_weeks_and_zones),
        cmocka_unit_test(test_csv),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_indexes),
        ON_PG(test_days_weeks_and_zones),
    };
    int rc = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    rc += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return rc;
}
