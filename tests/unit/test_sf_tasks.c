/* Reminder tasks both ways with Salesforce: the mapping of sync/sf_tasks.c
 * (statuses, priorities, types, dates in the assignee's zone, the Task
 * record) and the store of store/sfdc_tasks.c on both engines (what is
 * still to push, agreeing, bringing changes in, the link to a deleted Task,
 * the tombstones of deleted tasks) with the plans of its frequent reads. */
#include "core/common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>

#include "core/timeutil.h"
#include "store/sfdc_tasks.h"
#include "store/tasks.h"
#include "sync/sf_tasks.h"

#define ENGINE_FIXTURE_NAME "sf_tasks"
#include "engine_fixture.h"
#include "plan.h"

static int64_t at(const char *iso)
{
    int64_t us = 0;
    if (time_parse_iso(iso, strlen(iso), &us))
        fail_msg("%s: %s", iso, hail_errmsg());
    return us;
}

static void assert_iso(int64_t us, const char *want)
{
    char got[TIME_ISO_LEN];
    time_format_iso(us, got);
    assert_string_equal(got, want);
}

static void test_mapping(void **state)
{
    (void)state;
    assert_string_equal(sf_task_status_out("open"), "Not Started");
    assert_string_equal(sf_task_status_out("complete"), "Completed");
    assert_string_equal(sf_task_status_out("skipped"), "Completed");
    assert_string_equal(sf_task_status_in("Completed"), "complete");
    assert_string_equal(sf_task_status_in("Not Started"), "open");
    assert_string_equal(sf_task_status_in("In Progress"), "open");
    assert_string_equal(sf_task_status_in("Deferred"), "open");
    assert_null(sf_task_status_in(NULL));
    assert_null(sf_task_status_in(""));
    assert_string_equal(sf_task_priority_out("high"), "High");
    assert_string_equal(sf_task_priority_out("normal"), "Normal");
    assert_string_equal(sf_task_priority_in("High"), "high");
    assert_string_equal(sf_task_priority_in("Normal"), "normal");
    assert_string_equal(sf_task_priority_in("Low"), "normal");
    assert_null(sf_task_priority_in("Urgent"));
    assert_null(sf_task_priority_in(NULL));
    assert_string_equal(sf_task_type_out("call"), "Call");
    assert_string_equal(sf_task_type_out("email"), "Email");
    assert_string_equal(sf_task_type_out("linkedin"), "Other");
    assert_string_equal(sf_task_type_out("custom"), "Other");
    assert_string_equal(sf_task_type_in("Call"), "call");
    assert_string_equal(sf_task_type_in("Email"), "email");
    assert_string_equal(sf_task_type_in("Meeting"), "custom");
    assert_string_equal(sf_task_type_in(NULL), "custom");
}

static void test_dates(void **state)
{
    (void)state;
    char d[11];
    /* 03:00 UTC on the 5th is 22:00 on the 4th in New York */
    sf_task_date(at("2026-12-05T03:00:00Z"), "America/New_York", d);
    assert_string_equal(d, "2026-12-04");
    sf_task_date(at("2026-12-05T03:00:00Z"), "UTC", d);
    assert_string_equal(d, "2026-12-05");
    sf_task_date(at("2026-12-05T03:00:00Z"), NULL, d);
    assert_string_equal(d, "2026-12-05");
    sf_task_date(at("2026-12-05T03:00:00Z"), "Not/A_Zone", d);
    assert_string_equal(d, "2026-12-05");
    sf_task_date(at("2026-12-04T23:30:00Z"), "Asia/Tokyo", d);
    assert_string_equal(d, "2026-12-05");
    /* a new date keeps the local time of day: 10:30 in New York */
    assert_iso(sf_task_due("2026-12-07", "America/New_York", at("2026-12-03T15:30:00Z")),
               "2026-12-07T15:30:00Z");
    /* across the change to daylight time (8 March 2026): still 10:30 local */
    assert_iso(sf_task_due("2026-03-10", "America/New_York", at("2026-03-06T15:30:00Z")),
               "2026-03-10T14:30:00Z");
    /* a new task: 09:00 local */
    assert_iso(sf_task_due("2026-12-10", "America/New_York", 0), "2026-12-10T14:00:00Z");
    assert_iso(sf_task_due("2026-12-10", NULL, 0), "2026-12-10T09:00:00Z");
    const char *bad[] = {"2026-02-30", "2026-13-01", "2026-1-01",  "2026-01-1x",
                         "20261201",   "",           "2026-00-10", "2026/01/10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sf_task_due(bad[i], "UTC", 0), 0);
    assert_int_equal(sf_task_due(NULL, "UTC", 0), 0);
}

static void assert_json(json_t *j, const char *want)
{
    char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    json_decref(j);
}

static void test_record(void **state)
{
    (void)state;
    char name[300];
    /* 127 two-byte characters and one more: cut to 255 bytes on a boundary */
    size_t k = 0;
    for (int i = 0; i < 128; i++) {
        name[k++] = (char)0xC3;
        name[k++] = (char)0xA9;
    }
    name[k] = '\0';
    sfdc_task t = {.id = 42,
                   .due_at = at("2026-12-05T03:00:00Z"),
                   .type = "call",
                   .status = "open",
                   .priority = "high",
                   .name = "Call back",
                   .details = "about \"pricing\"",
                   .who = "00Q000000000001AAA",
                   .time_zone = "America/New_York"};
    assert_json(sf_reminder_record(&t, 1, "Hail_Activity_Id__c"),
                "{\"ActivityDate\":\"2026-12-04\",\"Description\":\"about \\\"pricing\\\"\","
                "\"Hail_Activity_Id__c\":\"task-42\",\"Priority\":\"High\",\"Status\":\"Not "
                "Started\",\"Subject\":\"Call back\",\"Type\":\"Call\","
                "\"WhoId\":\"00Q000000000001AAA\"}");
    snprintf(t.status, sizeof t.status, "skipped");
    snprintf(t.priority, sizeof t.priority, "normal");
    snprintf(t.type, sizeof t.type, "linkedin");
    t.name = name;
    t.details = "";
    t.time_zone = NULL;
    json_t *r = sf_reminder_record(&t, 0, NULL);
    assert_int_equal(strlen(json_string_value(json_object_get(r, "Subject"))), 254);
    json_object_del(r, "Subject");
    assert_json(r, "{\"ActivityDate\":\"2026-12-05\",\"Description\":\"\",\"Priority\":"
                   "\"Normal\",\"Status\":\"Completed\",\"Type\":\"Other\"}");
}

/* ---- the store, on both engines ---- */

static void exec(db *d, const char *sql)
{
    if (db_exec(d, sql))
        fail_msg("%s: %s", sql, hail_errmsg());
}

static int64_t value(db *d, const char *sql)
{
    db_st *st = db_prepare(d, sql);
    if (!st)
        fail_msg("%s: %s", sql, hail_errmsg());
    int64_t v = -1;
    if (db_step(st) == DB_ROW)
        v = db_col_null(st, 0) ? -2 : db_col_i64(st, 0);
    db_st_free(st);
    return v;
}

static char *text(db *d, const char *sql)
{
    db_st *st = db_prepare(d, sql);
    if (!st)
        fail_msg("%s: %s", sql, hail_errmsg());
    char *v = NULL;
    if (db_step(st) == DB_ROW && !db_col_null(st, 0))
        v = strdup(db_col_text(st, 0));
    db_st_free(st);
    return v;
}

/* users 1 (rep, New York), people 1 (lead, owned by the rep) and 2 (none);
 * tasks 1 (person 1), 2 (no person), 3 (a campaign step), 4 (closed). */
static void world(db *d)
{
    exec(d, "INSERT INTO users (id, email, name, role, time_zone, created_at, updated_at)"
            " VALUES (1, 'rep@example.com', 'Rep', 'rep', 'America/New_York', 0, 0)");
    exec(d, "INSERT INTO people (id, marketo_id, email, owner_email, sfdc_lead_id, active,"
            " created_at, updated_at) VALUES (1, 1, 'a@x.example', 'Rep@Example.com',"
            " '00Q000000000001AAA', 1, 0, 0), (2, 2, 'b@x.example', NULL, NULL, 1, 0, 0)");
    /* ids 1 to 4 on a new database (no explicit ids: PostgreSQL's identity) */
    exec(d, "INSERT INTO tasks (type, name, person_id, assignee_id, campaign_id, due_at,"
            " status, details, created_at, updated_at) VALUES"
            " ('custom', 'One', 1, 1, NULL, 100, 'open', '', 10, 10),"
            " ('custom', 'Two', NULL, 1, NULL, 100, 'open', 'd', 10, 10),"
            " ('email', 'Step', 1, 1, 7, 100, 'open', '', 10, 10),"
            " ('custom', 'Four', 1, 1, NULL, 100, 'complete', '', 10, 10)");
}

static void test_store(void **state)
{
    db *d = efx(state)->f.d;
    world(d);
    sfdc_task *t = NULL;
    size_t n = 0;
    assert_int_equal(sfdc_tasks_dirty(d, 0, 10, &t, &n), HAIL_OK);
    /* made by hand, never agreed: 1, 2 and 4 (closed after the migration) */
    assert_int_equal(n, 3);
    assert_int_equal(t[0].id, 1);
    assert_string_equal(t[0].who, "00Q000000000001AAA");
    assert_string_equal(t[0].time_zone, "America/New_York");
    assert_null(t[0].sfdc_task_id);
    assert_int_equal(t[0].synced_at, 0);
    assert_int_equal(t[1].id, 2);
    assert_null(t[1].who);
    assert_int_equal(t[2].id, 4);
    sfdc_tasks_free(t, n);
    assert_int_equal(sfdc_tasks_dirty(d, 1, 1, &t, &n), HAIL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].id, 2);
    sfdc_tasks_free(t, n);

    /* agreeing: only as it was seen */
    assert_int_equal(sfdc_task_agreed(d, 1, "00T000000000001AAA", 9), 0);
    assert_int_equal(sfdc_task_agreed(d, 1, "00T000000000001AAA", 10), 1);
    assert_int_equal(sfdc_task_agreed(d, 2, NULL, 10), 1);
    assert_int_equal(sfdc_task_agreed(d, 4, NULL, 10), 1);
    assert_int_equal(sfdc_tasks_dirty(d, 0, 10, &t, &n), HAIL_OK);
    assert_int_equal(n, 0);
    free(t);

    sfdc_task one;
    int found = 0;
    assert_int_equal(sfdc_task_by_sfdc(d, "00T000000000001AAA", &one, &found), HAIL_OK);
    assert_int_equal(found, 1);
    assert_int_equal(one.id, 1);
    assert_int_equal(one.synced_at, 10);
    sfdc_task_release(&one);
    assert_int_equal(sfdc_task_by_sfdc(d, "00T000000000009AAA", &one, &found), HAIL_OK);
    assert_int_equal(found, 0);

    /* a change brought in: set, agreed at once (nothing to send back) */
    sfdc_task_change c = {
        .name = "One (moved)", .priority = "high", .status = "complete", .due_at = 200};
    assert_int_equal(sfdc_task_apply(d, 1, &c, 50), 1);
    assert_int_equal(sfdc_task_by_sfdc(d, "00T000000000001AAA", &one, &found), HAIL_OK);
    assert_string_equal(one.name, "One (moved)");
    assert_string_equal(one.status, "complete");
    assert_string_equal(one.priority, "high");
    assert_int_equal(one.due_at, 200);
    assert_int_equal(one.updated_at, 50);
    assert_int_equal(one.synced_at, 50);
    sfdc_task_release(&one);
    assert_int_equal(value(d, "SELECT completed_by FROM tasks WHERE id = 1"), 1);
    assert_int_equal(value(d, "SELECT completed_at FROM tasks WHERE id = 1"), 50);
    sfdc_task_change reopen = {.status = "open"};
    assert_int_equal(sfdc_task_apply(d, 1, &reopen, 60), 1);
    assert_int_equal(value(d, "SELECT completed_at FROM tasks WHERE id = 1"), -2);
    assert_int_equal(value(d, "SELECT count(*) FROM tasks WHERE id = 1 AND status = 'open'"), 1);
    assert_int_equal(sfdc_tasks_dirty(d, 0, 10, &t, &n), HAIL_OK);
    assert_int_equal(n, 0);
    free(t);

    /* the sweep's list, and deleting a task whose Task is gone only while
     * agreed */
    int64_t ids[4];
    char *sfids[4];
    assert_int_equal(sfdc_tasks_linked_open(d, 0, 4, ids, sfids, &n), HAIL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 1);
    assert_string_equal(sfids[0], "00T000000000001AAA");
    free(sfids[0]);
    exec(d, "UPDATE tasks SET updated_at = 70 WHERE id = 1");
    assert_int_equal(sfdc_task_delete_agreed(d, 1, "00T000000000001AAA"), 0);

    /* deleted in Salesforce, then found by the push: unlinked for good */
    assert_int_equal(sfdc_task_unlink(d, 1), 1);
    assert_int_equal(sfdc_task_unlink(d, 1), 0);
    char *s = text(d, "SELECT sfdc_task_id FROM tasks WHERE id = 1");
    assert_string_equal(s, SFDC_GONE "00T000000000001AAA");
    free(s);
    assert_int_equal(sfdc_tasks_linked_open(d, 0, 4, ids, sfids, &n), HAIL_OK);
    assert_int_equal(n, 0);
    /* a gone link leaves no tombstone when the task is deleted; a live one does */
    assert_int_equal(tasks_delete(d, 1), 1);
    exec(d, "UPDATE tasks SET sfdc_task_id = '00T000000000004AAA' WHERE id = 4");
    assert_int_equal(tasks_delete(d, 4), 1);
    char *gone[4];
    assert_int_equal(sfdc_task_deletes(d, 4, gone, &n), HAIL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(gone[0], "00T000000000004AAA");
    assert_int_equal(sfdc_task_delete_done(d, gone[0]), 1);
    free(gone[0]);
    assert_int_equal(sfdc_task_deletes(d, 4, gone, &n), HAIL_OK);
    assert_int_equal(n, 0);

    /* a Task made in Salesforce: the person's owner (by email, any case) */
    int64_t owner = 0, id = 0;
    char *tz = NULL;
    assert_int_equal(sfdc_person_owner(d, 1, &owner, &tz), HAIL_OK);
    assert_int_equal(owner, 1);
    assert_string_equal(tz, "America/New_York");
    free(tz);
    assert_int_equal(sfdc_person_owner(d, 2, &owner, &tz), HAIL_OK);
    assert_int_equal(owner, 0);
    assert_null(tz);
    sfdc_task_new nt = {.type = "email",
                        .name = "From Salesforce",
                        .details = "v3",
                        .priority = "high",
                        .sfdc_task_id = "00T000000000005AAA",
                        .person_id = 1,
                        .assignee_id = 1,
                        .due_at = 300};
    assert_int_equal(sfdc_task_import(d, &nt, 80, &id), HAIL_OK);
    assert_int_equal(sfdc_task_by_sfdc(d, "00T000000000005AAA", &one, &found), HAIL_OK);
    assert_int_equal(found, 1);
    assert_int_equal(one.id, id);
    assert_int_equal(one.updated_at, 80);
    assert_int_equal(one.synced_at, 80);
    assert_string_equal(one.status, "open");
    sfdc_task_release(&one);
    /* the link is unique */
    assert_int_not_equal(sfdc_task_import(d, &nt, 90, &id), HAIL_OK);
    hail_errclear();
}

/* The plan of sql with its nbinds integer parameters bound names index. */
static void uses_index(db *d, int pg, const char *sql, int nbinds, const char *index)
{
    db_st *st = plan_prepare(d, pg, sql);
    for (int i = 1; i <= nbinds; i++)
        db_bind_i64(st, i, 5);
    char plan[8192];
    plan_read(st, pg, plan, sizeof plan);
    if (!plan_names(plan, index))
        fail_msg("%s does not use %s: %s", sql, index, plan);
}

static void test_plans(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    world(d);
    /* 20,000 tasks, nearly all agreed or from campaigns */
    exec(d, "INSERT INTO tasks (type, name, person_id, assignee_id, campaign_id, due_at, status,"
            " created_at, updated_at, sfdc_synced_at, sfdc_task_id)"
            " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
            " SELECT 'custom', 'T', 1, 1, CASE WHEN i % 2 = 0 THEN 7 END, 100,"
            " CASE WHEN i % 3 = 0 THEN 'open' ELSE 'complete' END, 10, 10, 10,"
            " CASE WHEN i % 50 = 0 THEN 'x' || CAST(i AS TEXT) END FROM n");
    exec(d, "ANALYZE");
    if (x->pg)
        exec(d, "SET enable_seqscan = off");
    uses_index(d, x->pg, sfdc_tasks_dirty_sql, 2, "tasks_sfdc_dirty");
    uses_index(d, x->pg, sfdc_tasks_linked_open_sql, 2, "tasks_sfdc_open");
    if (x->pg)
        exec(d, "SET enable_seqscan = on");
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        cmocka_unit_test(test_mapping), cmocka_unit_test(test_dates), cmocka_unit_test(test_record),
        ON_SQLITE(test_store),          ON_SQLITE(test_plans),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_store),
        ON_PG(test_plans),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
