#include "core/common.h"

/* Unit tests for Admin -> Integrations: the outbox settings (svc/integrations:
 * defaults, validation with whole messages, storage, the subject's
 * rendering) and the outbox status, skips and "retry now"
 * (store/outbox_admin), with the skips page's plan on outbox_skips_at, and
 * the reminder tasks' counts of the Salesforce status with their plans on
 * indexes. On SQLite and on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "store/outbox_admin.h"
#include "svc/activity.h"
#include "svc/integrations.h"
#define ENGINE_FIXTURE_NAME "integrations"
#include "engine_fixture.h"
#include "plan.h"

static void exec(db *d, const char *sql)
{
    assert_int_equal(db_exec(d, sql), HAIL_OK);
}

static void test_settings_defaults_and_round_trip(void **state)
{
    db *d = efx(state)->f.d;
    integrations_settings s;
    assert_int_equal(integrations_settings_load(d, &s), HAIL_OK);
    assert_int_equal(s.marketo_send_machine, 1);
    assert_int_equal(s.sf_types_n, 3);
    assert_string_equal(s.sf_types[0], "email_send");
    assert_string_equal(s.sf_types[1], "email_reply");
    assert_string_equal(s.sf_types[2], "call");
    assert_true(integrations_sf_logs(&s, ACT_CALL));
    assert_false(integrations_sf_logs(&s, ACT_EMAIL_OPEN));
    assert_string_equal(s.sf_subject, "{{activity_type}}: {{activity_subject}}");
    assert_null(s.sf_external_id);
    json_t *j = integrations_settings_json(&s);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"marketo_machine\":\"flagged\",\"salesforce_external_id\":null,"
                              "\"salesforce_subject\":\"{{activity_type}}: {{activity_subject}}\","
                              "\"salesforce_types\":[\"email_send\",\"email_reply\",\"call\"]}");
    free(text);
    json_decref(j);
    integrations_settings_free(&s);

    /* Stored in activity_types order, without duplicates. */
    json_t *types = json_pack("[sss]", "call", "email_open", "call");
    assert_int_equal(
        integrations_settings_put(d, "skip", types, "{{sales_person}} - {{person_email}}"),
        HAIL_OK);
    json_decref(types);
    exec(d, "INSERT INTO kv(key, value, updated_at) VALUES ('integrations.salesforce.external_id',"
            " 'missing', 0)");
    assert_int_equal(integrations_settings_load(d, &s), HAIL_OK);
    assert_int_equal(s.marketo_send_machine, 0);
    assert_int_equal(s.sf_types_n, 2);
    assert_string_equal(s.sf_types[0], "email_open");
    assert_string_equal(s.sf_types[1], "call");
    assert_string_equal(s.sf_subject, "{{sales_person}} - {{person_email}}");
    assert_string_equal(s.sf_external_id, "missing");
    integrations_settings_free(&s);

    /* NULL leaves a setting as it is; an empty list logs nothing. */
    types = json_array();
    assert_int_equal(integrations_settings_put(d, NULL, types, NULL), HAIL_OK);
    json_decref(types);
    assert_int_equal(integrations_settings_load(d, &s), HAIL_OK);
    assert_int_equal(s.marketo_send_machine, 0);
    assert_int_equal(s.sf_types_n, 0);
    assert_string_equal(s.sf_subject, "{{sales_person}} - {{person_email}}");
    integrations_settings_free(&s);

    /* A stored value this version does not understand reads as the default. */
    exec(d, "UPDATE kv SET value = 'nonsense' WHERE key = 'integrations.salesforce.types'");
    exec(d, "UPDATE kv SET value = 'sometimes' WHERE key = 'integrations.marketo.machine'");
    assert_int_equal(integrations_settings_load(d, &s), HAIL_OK);
    assert_int_equal(s.marketo_send_machine, 1);
    assert_int_equal(s.sf_types_n, 3);
    integrations_settings_free(&s);
}

static void put_fails(db *d, const char *machine, const char *types, const char *subject,
                      const char *message)
{
    json_t *t = types ? json_loads(types, JSON_DECODE_ANY, NULL) : NULL;
    if (types)
        assert_non_null(t);
    assert_int_equal(integrations_settings_put(d, machine, t, subject), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), message);
    json_decref(t);
}

static void test_settings_validation(void **state)
{
    db *d = efx(state)->f.d;
    put_fails(d, "maybe", NULL, NULL,
              "marketo_machine must be \"flagged\" or \"skip\", not \"maybe\"");
    put_fails(d, NULL, "[\"call\", \"fax\"]", NULL,
              "salesforce_types[1] must be one of email_send, email_open, email_click, "
              "email_reply, email_autoreply, email_bounce, call, campaign_add, campaign_remove, "
              "unsubscribe, resubscribe, not \"fax\"");
    put_fails(d, NULL, "[7]", NULL,
              "salesforce_types[0] must be one of email_send, email_open, email_click, "
              "email_reply, email_autoreply, email_bounce, call, campaign_add, campaign_remove, "
              "unsubscribe, resubscribe");
    put_fails(d, NULL, "\"call\"", NULL, "salesforce_types must be an array of activity types");
    put_fails(d, NULL, NULL, "", "salesforce_subject must not be empty");
    put_fails(d, NULL, NULL, "{{activity_type",
              "salesforce_subject is not a valid template: line 1: a tag opened with {{ is never "
              "closed with }}");
    put_fails(d, NULL, NULL, "Call with {{first_name}}",
              "salesforce_subject uses {{first_name}}, which is not one of its variables: "
              "activity_type, activity_subject, sales_campaign_name, sales_person, person_email");
    char big[1100];
    memset(big, 'x', 1001);
    big[1001] = '\0';
    put_fails(d, NULL, NULL, big, "salesforce_subject must be at most 1000 characters, not 1001");
    /* A bad member stores nothing, not even the good ones beside it. */
    put_fails(d, "skip", "[\"call\"]", "{{nope}}",
              "salesforce_subject uses {{nope}}, which is not one of its variables: "
              "activity_type, activity_subject, sales_campaign_name, sales_person, person_email");
    integrations_settings s;
    assert_int_equal(integrations_settings_load(d, &s), HAIL_OK);
    assert_int_equal(s.marketo_send_machine, 1);
    assert_int_equal(s.sf_types_n, 3);
    integrations_settings_free(&s);
}

static void test_subject_render(void **state)
{
    (void)state;
    json_t *data = json_pack("{ss ss}", "activity_type", "Send Sales Email", "activity_subject",
                             "Q3 <pricing> & terms");
    char *out = NULL;
    assert_int_equal(integrations_subject_render(INTEG_SF_SUBJECT_DEFAULT, data, &out), HAIL_OK);
    assert_string_equal(out, "Send Sales Email: Q3 <pricing> & terms");
    free(out);
    /* Cut to 255 characters, never inside one ("é" is two bytes). */
    char lng[700];
    for (int i = 0; i < 300; i++)
        memcpy(lng + 2 * i, "\xc3\xa9", 2);
    lng[600] = '\0';
    json_object_set_new(data, "activity_subject", json_string(lng));
    assert_int_equal(integrations_subject_render("{{activity_subject}}", data, &out), HAIL_OK);
    assert_int_equal(strlen(out), 510);
    free(out);
    json_decref(data);
}

/* A person and n activities; returns the first activity's id. */
static int64_t seed(db *d, int n)
{
    exec(d, "INSERT INTO people (marketo_id, email, first_name, last_name, active, created_at,"
            " updated_at) VALUES (501, 'pat@example.com', 'Pat', 'Lee', 1, 0, 0)");
    db_st *st = db_stmt(d, "SELECT id FROM people WHERE marketo_id = 501");
    assert_int_equal(db_step(st), DB_ROW);
    int64_t person = db_col_i64(st, 0);
    db_reset(st);
    int64_t first = 0;
    assert_int_equal(db_begin(d), HAIL_OK);
    for (int i = 0; i < n; i++) {
        activity a = {.type = i % 2 ? ACT_EMAIL_OPEN : ACT_EMAIL_SEND,
                      .person_id = person,
                      .occurred_at = INT64_C(1764000000000000) + i};
        int64_t id = 0;
        assert_int_equal(activity_record(d, &a, &id), HAIL_OK);
        if (!first)
            first = id;
    }
    assert_int_equal(db_commit(d), HAIL_OK);
    return first;
}

static void skip_add(db *d, const char *consumer, int64_t id, const char *reason, int64_t at)
{
    db_st *st = db_stmt(d, "INSERT INTO outbox_skips(consumer, activity_id, reason, at)"
                           " VALUES ($1, $2, $3, $4)");
    assert_non_null(st);
    db_bind_text_ref(st, 1, consumer, -1);
    db_bind_i64(st, 2, id);
    db_bind_text_ref(st, 3, reason, -1);
    db_bind_i64(st, 4, at);
    assert_int_equal(db_step_done(d, st, "test"), HAIL_OK);
}

static void test_status_backlog_skips_retry(void **state)
{
    db *d = efx(state)->f.d;
    int64_t first = seed(d, 10);

    /* Never run: no row, the whole log is the backlog. */
    outbox_status s;
    assert_int_equal(outbox_admin_status(d, "marketo", &s), HAIL_OK);
    assert_int_equal(s.started, 0);
    assert_int_equal(s.backlog, 10);
    assert_int_equal(s.backlog_capped, 0);
    assert_int_equal(s.in_flight, 0);
    assert_null(s.last_error);
    outbox_status_free(&s);

    /* A worker's state: 4 read, one batch in flight, an error, waiting. */
    char sql[1024];
    int64_t xact = 0;
    if (efx(state)->pg) {
        db_st *st = db_stmt(d, "SELECT CAST(CAST(xact AS text) AS BIGINT) FROM activities"
                               " WHERE id = $1");
        db_bind_i64(st, 1, first + 3);
        assert_int_equal(db_step(st), DB_ROW);
        xact = db_col_i64(st, 0);
        db_reset(st);
    }
    snprintf(sql, sizeof sql,
             "INSERT INTO log_cursors(consumer, pos_xact, pos_id, sent, skipped, calls,"
             " last_ok_at, last_error, last_error_at, waiting_until, updated_at)"
             " VALUES ('marketo', %lld, %lld, 3, 1, 2, 1000, 'Marketo answered 607 (daily quota"
             " reached)', 2000, 99000000, 2000)",
             (long long)xact, (long long)(first + 3));
    exec(d, sql);
    exec(d, "INSERT INTO outbox_batches(consumer, end_xact, end_id, activity_ids, started_at)"
            " VALUES ('marketo', 0, 0, '[]', 5)");
    skip_add(d, "marketo", first + 1, "1004 Lead not found", 100);
    skip_add(d, "marketo", first + 2, "no Marketo id", 300);
    skip_add(d, "marketo", first + 3, "no Marketo id", 300);
    skip_add(d, "salesforce", first, "no Salesforce id", 50);
    exec(d, "INSERT INTO outbox_retry(consumer, activity_id) VALUES ('marketo', 0)");

    assert_int_equal(outbox_admin_status(d, "marketo", &s), HAIL_OK);
    assert_int_equal(s.started, 1);
    assert_int_equal(s.pos.id, first + 3);
    assert_int_equal(s.sent, 3);
    assert_int_equal(s.skipped, 1);
    assert_int_equal(s.calls, 2);
    assert_int_equal(s.last_ok_at, 1000);
    assert_string_equal(s.last_error, "Marketo answered 607 (daily quota reached)");
    assert_int_equal(s.last_error_at, 2000);
    assert_int_equal(s.waiting_until, 99000000);
    assert_int_equal(s.backlog, 6);
    assert_int_equal(s.in_flight, 1);
    assert_int_equal(s.skips, 3);
    assert_int_equal(s.retry_queued, 1);
    outbox_status_free(&s);

    /* Newest first, two to a page, ties on `at` by activity id. */
    json_t *rows = NULL;
    int more = 0;
    assert_int_equal(outbox_admin_skips(d, "marketo", 0, 0, 2, &rows, &more), HAIL_OK);
    assert_int_equal(json_array_size(rows), 2);
    assert_int_equal(more, 1);
    json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1);
    assert_int_equal(json_integer_value(json_object_get(r0, "activity_id")), first + 3);
    assert_int_equal(json_integer_value(json_object_get(r1, "activity_id")), first + 2);
    assert_string_equal(json_string_value(json_object_get(r0, "reason")), "no Marketo id");
    assert_string_equal(json_string_value(json_object_get(r0, "type")), "email_open");
    assert_string_equal(json_string_value(json_object_get(r0, "person_name")), "Pat Lee");
    assert_string_equal(json_string_value(json_object_get(r0, "person_email")), "pat@example.com");
    assert_int_equal(json_integer_value(json_object_get(r0, "at")), 300);
    json_decref(rows);
    assert_int_equal(outbox_admin_skips(d, "marketo", 300, first + 2, 2, &rows, &more), HAIL_OK);
    assert_int_equal(json_array_size(rows), 1);
    assert_int_equal(more, 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "activity_id")),
                     first + 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "reason")),
                        "1004 Lead not found");
    json_decref(rows);

    /* Retry now: the three move to outbox_retry, the error and the wait go;
     * Salesforce's skip stays. */
    int64_t moved = 0;
    assert_int_equal(outbox_admin_retry(d, "marketo", &moved), HAIL_OK);
    assert_int_equal(moved, 3);
    assert_int_equal(outbox_admin_status(d, "marketo", &s), HAIL_OK);
    assert_int_equal(s.skips, 0);
    assert_int_equal(s.retry_queued, 4);
    assert_null(s.last_error);
    assert_int_equal(s.last_error_at, 0);
    assert_int_equal(s.waiting_until, 0);
    assert_int_equal(s.sent, 3);
    outbox_status_free(&s);
    assert_int_equal(outbox_admin_status(d, "salesforce", &s), HAIL_OK);
    assert_int_equal(s.started, 0);
    assert_int_equal(s.skips, 1);
    outbox_status_free(&s);
    /* Again: nothing to move, no error. */
    assert_int_equal(outbox_admin_retry(d, "marketo", &moved), HAIL_OK);
    assert_int_equal(moved, 0);
}

/* The plan of sql (bind binds its parameters, NULL: none) names index. */
static void uses_index(engine_fixture *x, const char *sql, void (*bind)(db_st *), const char *index)
{
    db *d = x->f.d;
    if (x->pg)
        exec(d, "SET enable_seqscan = off");
    db_st *st = plan_prepare(d, x->pg, sql);
    if (bind)
        bind(st);
    char plan[8192];
    plan_read(st, x->pg, plan, sizeof plan);
    if (x->pg)
        exec(d, "RESET enable_seqscan");
    if (!plan_names(plan, index))
        fail_msg("%s does not use %s: %s", sql, index, plan);
}

static void bind_skips_page(db_st *st)
{
    db_bind_text_ref(st, 1, "marketo", -1);
    db_bind_i64(st, 2, 1000);
    db_bind_i64(st, 3, 5);
    db_bind_i64(st, 4, 51);
}

/* The skips page reads outbox_skips_at, not the whole table. */
static void test_skips_page_uses_its_index(void **state)
{
    uses_index(efx(state), outbox_admin_skips_sql, bind_skips_page, "outbox_skips_at");
}

/* A user, a person, and tasks as the Salesforce outbox leaves them. */
static void reminder_world(db *d)
{
    exec(d, "INSERT INTO users (id, email, name, role, created_at, updated_at)"
            " VALUES (1, 'rep@example.com', 'Rep', 'rep', 0, 0)");
    exec(d, "INSERT INTO people (id, marketo_id, email, sfdc_contact_id, active, created_at,"
            " updated_at) VALUES (1, 1, 'a@x.example', '003000000000001AAA', 1, 0, 0)");
    exec(d, "INSERT INTO tasks (type, name, person_id, assignee_id, campaign_id, due_at, status,"
            " created_at, updated_at, sfdc_synced_at, sfdc_task_id) VALUES"
            /* linked and agreed */
            " ('call', 'Agreed', 1, 1, NULL, 100, 'open', 10, 10, 10, '00T000000000001AAA'),"
            /* linked, changed in hail since */
            " ('call', 'Changed', 1, 1, NULL, 100, 'open', 10, 20, 10, '00T000000000002AAA'),"
            /* made by hand, never sent */
            " ('custom', 'New', 1, 1, NULL, 100, 'open', 30, 30, NULL, NULL),"
            /* its Task was deleted in Salesforce: no longer linked */
            " ('custom', 'Gone', 1, 1, NULL, 100, 'open', 10, 10, 10, 'gone:00T000000000004AAA'),"
            /* a campaign's: never synced as a reminder */
            " ('email', 'Step', 1, 1, 7, 100, 'open', 10, 10, NULL, NULL),"
            /* closed before the migration: taken as agreed */
            " ('custom', 'Old', 1, 1, NULL, 100, 'complete', 10, 10, 10, NULL)");
    exec(d, "INSERT INTO sfdc_task_deletes (sfdc_task_id, task_id, deleted_at) VALUES"
            " ('00T000000000005AAA', 50, 40), ('00T000000000006AAA', 51, 41)");
}

static void test_reminder_tasks_counts(void **state)
{
    db *d = efx(state)->f.d;
    outbox_reminder_tasks t;
    assert_int_equal(outbox_admin_reminder_tasks(d, &t), HAIL_OK);
    assert_int_equal(t.linked, 0);
    assert_int_equal(t.pending, 0);
    assert_int_equal(t.deletes_pending, 0);

    reminder_world(d);
    assert_int_equal(outbox_admin_reminder_tasks(d, &t), HAIL_OK);
    assert_int_equal(t.linked, 2);
    assert_int_equal(t.pending, 2);
    assert_int_equal(t.deletes_pending, 2);

    /* The change is sent and agreed, the new task linked; a delete done. */
    exec(d, "UPDATE tasks SET sfdc_synced_at = updated_at WHERE name = 'Changed'");
    exec(d, "UPDATE tasks SET sfdc_synced_at = updated_at, sfdc_task_id = '00T000000000003AAA'"
            " WHERE name = 'New'");
    exec(d, "DELETE FROM sfdc_task_deletes WHERE sfdc_task_id = '00T000000000005AAA'");
    assert_int_equal(outbox_admin_reminder_tasks(d, &t), HAIL_OK);
    assert_int_equal(t.linked, 3);
    assert_int_equal(t.pending, 0);
    assert_int_equal(t.deletes_pending, 1);
}

/* Each count reads an index: tasks_sfdc for the linked, tasks_sfdc_dirty (the
 * push's own partial index) for the pending, the primary key of
 * sfdc_task_deletes. */
static void test_reminder_tasks_use_indexes(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    reminder_world(d);
    /* 20,000 more tasks, nearly all agreed or from campaigns */
    exec(d, "INSERT INTO tasks (type, name, person_id, assignee_id, campaign_id, due_at, status,"
            " created_at, updated_at, sfdc_synced_at, sfdc_task_id)"
            " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
            " SELECT 'custom', 'T', 1, 1, CASE WHEN i % 2 = 0 THEN 7 END, 100,"
            " CASE WHEN i % 3 = 0 THEN 'open' ELSE 'complete' END, 10, 10,"
            " CASE WHEN i % 100 <> 1 THEN 10 END,"
            " CASE WHEN i % 50 = 0 THEN 'x' || CAST(i AS TEXT) END FROM n");
    exec(d, "ANALYZE");
    uses_index(x, outbox_admin_tasks_linked_sql, NULL, "tasks_sfdc");
    uses_index(x, outbox_admin_tasks_pending_sql, NULL, "tasks_sfdc_dirty");
    uses_index(x, outbox_admin_task_deletes_sql, NULL,
               x->pg ? "sfdc_task_deletes_pkey" : "sqlite_autoindex_sfdc_task_deletes_1");
    outbox_reminder_tasks t;
    assert_int_equal(outbox_admin_reminder_tasks(d, &t), HAIL_OK);
    assert_int_equal(t.linked, 2 + 20000 / 50);
    /* i % 100 = 1 with no campaign (odd i): 200 */
    assert_int_equal(t.pending, 2 + 200);
    assert_int_equal(t.deletes_pending, 2);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_settings_defaults_and_round_trip),
        ON_SQLITE(test_settings_validation),
        cmocka_unit_test(test_subject_render),
        ON_SQLITE(test_status_backlog_skips_retry),
        ON_SQLITE(test_skips_page_uses_its_index),
        ON_SQLITE(test_reminder_tasks_counts),
        ON_SQLITE(test_reminder_tasks_use_indexes),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_settings_defaults_and_round_trip),
        ON_PG(test_settings_validation),
        ON_PG(test_status_backlog_skips_retry),
        ON_PG(test_skips_page_uses_its_index),
        ON_PG(test_reminder_tasks_counts),
        ON_PG(test_reminder_tasks_use_indexes),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
