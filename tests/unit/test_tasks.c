#include "core/common.h"

/* Unit tests for svc/tasks and store/tasks, on SQLite and PostgreSQL: the
 * queues (overdue, today, tomorrow, next 7 days) at a given "now" in the
 * assignee's time zone, with their counts and order (high priority first
 * within a day); filters; visibility (reps their own, managers their teams'
 * users', admins all) and who may assign whom; complete, skip, reschedule and
 * delete (a campaign step's task is not deleted); completing an email task
 * queues its email in the same transaction (task_id on the email, email_id
 * on the task) and a refusal leaves the task open; a call task needs its
 * call; the queue queries use their indexes (EXPLAIN). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/cadence.h"
#include "core/timeutil.h"
#include "store/tasks.h"
#include "svc/tasks.h"
#define ENGINE_FIXTURE_NAME "tasks"
#include "engine_fixture.h"

#define HOUR (INT64_C(3600) * US_PER_SEC)
#define DAY  (24 * HOUR)

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

static int64_t add_person(db *d, int64_t mkto, const char *email)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO people (marketo_id, first_name, last_name, email, phone, company, active,"
             " created_at, updated_at) VALUES (%lld, 'Ann', 'Lee', %s%s%s, '+1 212 555 0100',"
             " 'Acme', 1, 0, 0) RETURNING id",
             (long long)mkto, email ? "'" : "", email ? email : "NULL", email ? "'" : "");
    return one_id(d, sql);
}

typedef struct world {
    int64_t admin, manager, rep, rep2, sender, person, template_id;
} world;

static world make_world(db *d)
{
    world w;
    w.admin = add_user(d, "admin@example.com", "admin", "UTC");
    w.manager = add_user(d, "boss@example.com", "manager", "UTC");
    w.rep = add_user(d, "rep@example.com", "rep", "UTC");
    w.rep2 = add_user(d, "rep2@example.com", "rep", "UTC");
    exec(d, "INSERT INTO teams (name, created_at) VALUES ('east', 0)");
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO team_members (team_id, user_id) SELECT id, %lld FROM teams UNION ALL"
             " SELECT id, %lld FROM teams",
             (long long)w.manager, (long long)w.rep);
    exec(d, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO senders (user_id, address, display_name, channel_id, created_at,"
             " updated_at) VALUES (%lld, 'rep@sales.example.com', 'Rita Rep', 1, 0, 0)"
             " RETURNING id",
             (long long)w.rep);
    w.sender = one_id(d, sql);
    w.person = add_person(d, 1, "ann@example.org");
    snprintf(sql, sizeof sql,
             "INSERT INTO templates (owner_id, name, subject, body_html, sharing, commercial,"
             " created_at, updated_at) VALUES (%lld, 'Intro', 'Hello {{first_name}}',"
             " '<p>Hi {{first_name}} at {{company}}</p>', 'private', 1, 0, 0) RETURNING id",
             (long long)w.rep);
    w.template_id = one_id(d, sql);
    return w;
}

static int64_t add_task(db *d, const tasks_viewer *v, const char *type, const char *name,
                        int64_t assignee, int64_t person, int64_t due, const char *priority)
{
    task_new t = {.type = type,
                  .name = name,
                  .assignee_id = assignee,
                  .person_id = person,
                  .due_at = due,
                  .priority = priority};
    int64_t id = 0;
    if (task_create(d, v, &t, &id) != HAIL_OK)
        fail_msg("task_create %s: %s", name, hail_errmsg());
    return id;
}

/* The ids of a queue's page, "1,2,3". */
static void queue_ids(db *d, const tasks_viewer *v, tasks_queue queue, int64_t assignee,
                      int64_t now, char *out, size_t n)
{
    tasks_query q = {.queue = queue, .assignee_id = assignee, .limit = 50};
    json_t *a = NULL;
    tasks_key next;
    if (task_list(d, v, &q, now, &a, &next) != HAIL_OK)
        fail_msg("task_list: %s", hail_errmsg());
    out[0] = 0;
    size_t i;
    json_t *t;
    json_array_foreach(a, i, t)
    {
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%lld", i ? "," : "",
                 (long long)json_integer_value(json_object_get(t, "id")));
    }
    json_decref(a);
}

static void ids_are(db *d, const tasks_viewer *v, tasks_queue queue, int64_t assignee, int64_t now,
                    const int64_t *want, size_t n)
{
    char got[512], exp[512] = "";
    queue_ids(d, v, queue, assignee, now, got, sizeof got);
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(exp);
        snprintf(exp + used, sizeof exp - used, "%s%lld", i ? "," : "", (long long)want[i]);
    }
    if (strcmp(got, exp) != 0)
        fail_msg("queue %d: got [%s], want [%s]", (int)queue, got, exp);
}

static void counts_are(db *d, const tasks_viewer *v, int64_t assignee, int64_t now, int overdue,
                       int today, int tomorrow, int next7)
{
    json_t *c = NULL;
    assert_int_equal(task_counts(d, v, assignee, now, &c), HAIL_OK);
    char *got = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
    char want[256];
    snprintf(want, sizeof want, "{\"next_7_days\":%d,\"overdue\":%d,\"today\":%d,\"tomorrow\":%d}",
             next7, overdue, today, tomorrow);
    assert_string_equal(got, want);
    free(got);
    json_decref(c);
}

/* 2026-03-04 (a Wednesday) 00:00 UTC. */
static int64_t day0(void)
{
    return time_days_from_civil(2026, 3, 4) * DAY;
}

static void test_queues_utc(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    tasks_viewer rep = {w.rep, "rep"};
    int64_t t0 = day0(), now = t0 + 10 * HOUR;
    int64_t yesterday = add_task(d, &rep, "custom", "late", w.rep, 0, t0 - HOUR, NULL);
    int64_t today_late =
        add_task(d, &rep, "call", "evening call", w.rep, w.person, t0 + 23 * HOUR, NULL);
    int64_t today_early = add_task(d, &rep, "custom", "morning", w.rep, 0, t0, NULL);
    int64_t today_high = add_task(d, &rep, "custom", "urgent", w.rep, 0, t0 + 20 * HOUR, "high");
    int64_t tomorrow = add_task(d, &rep, "linkedin", "connect", w.rep, w.person, t0 + DAY, NULL);
    int64_t day3 = add_task(d, &rep, "custom", "day 3", w.rep, 0, t0 + 3 * DAY + HOUR, NULL);
    int64_t day3_high =
        add_task(d, &rep, "custom", "day 3 high", w.rep, 0, t0 + 3 * DAY + 2 * HOUR, "high");
    int64_t day7 = add_task(d, &rep, "custom", "day 7", w.rep, 0, t0 + 8 * DAY - 1, NULL);
    int64_t day8 = add_task(d, &rep, "custom", "day 8", w.rep, 0, t0 + 8 * DAY, NULL);

    ids_are(d, &rep, TQ_OVERDUE, 0, now, (int64_t[]){yesterday}, 1);
    /* today: high priority first, then by due time */
    ids_are(d, &rep, TQ_TODAY, w.rep, now, (int64_t[]){today_high, today_early, today_late}, 3);
    ids_are(d, &rep, TQ_TOMORROW, 0, now, (int64_t[]){tomorrow}, 1);
    ids_are(d, &rep, TQ_NEXT_7_DAYS, 0, now, (int64_t[]){tomorrow, day3_high, day3, day7}, 4);
    ids_are(d, &rep, TQ_OPEN, 0, now,
            (int64_t[]){yesterday, today_high, today_early, today_late, tomorrow, day3_high, day3,
                        day7, day8},
            9);
    counts_are(d, &rep, 0, now, 1, 3, 1, 4);
    counts_are(d, &rep, w.rep, now, 1, 3, 1, 4);
    /* a day later, today's are overdue */
    counts_are(d, &rep, w.rep, now + DAY, 4, 1, 0, 4);

    /* filters */
    tasks_query q = {.queue = TQ_OPEN, .type = "call", .limit = 50};
    json_t *a;
    tasks_key next;
    assert_int_equal(task_list(d, &rep, &q, now, &a, &next), HAIL_OK);
    assert_int_equal(json_array_size(a), 1);
    json_t *t = json_array_get(a, 0);
    assert_int_equal(json_integer_value(json_object_get(t, "id")), today_late);
    char *s = json_dumps(json_object_get(t, "person"), JSON_COMPACT | JSON_SORT_KEYS);
    char want[256];
    snprintf(want, sizeof want,
             "{\"company\":\"Acme\",\"email\":\"ann@example.org\",\"id\":%lld,\"name\":\"Ann "
             "Lee\",\"phone\":\"+1 212 555 0100\"}",
             (long long)w.person);
    assert_string_equal(s, want);
    free(s);
    assert_true(json_is_null(json_object_get(t, "campaign")));
    assert_string_equal(json_string_value(json_object_get(t, "due_at")), "2026-03-04T23:00:00Z");
    assert_string_equal(json_string_value(json_object_get(t, "status")), "open");
    json_decref(a);
    q = (tasks_query){.queue = TQ_OPEN, .person_id = w.person, .limit = 1};
    assert_int_equal(task_list(d, &rep, &q, now, &a, &next), HAIL_OK);
    assert_int_equal(json_array_size(a), 1);
    assert_int_equal(next.set, 1);
    assert_int_equal(next.id, today_late);
    json_decref(a);
    /* a task added before the position does not shift the next page */
    add_task(d, &rep, "custom", "earlier", w.rep, w.person, t0 - DAY, NULL);
    q.after = next;
    assert_int_equal(task_list(d, &rep, &q, now, &a, &next), HAIL_OK);
    assert_int_equal(json_array_size(a), 1);
    assert_int_equal(next.set, 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "id")), tomorrow);
    json_decref(a);
}

/* The day boundaries follow the assignee's zone (when the tz database is
 * there: core/cadence.h). */
static void test_queues_in_zone(void **state)
{
    db *d = efx(state)->f.d;
    if (!tz_valid("America/New_York") || !tz_valid("Asia/Kolkata"))
        skip();
    world w = make_world(d);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE users SET time_zone = 'America/New_York' WHERE id = %lld",
             (long long)w.rep);
    exec(d, sql);
    int64_t ist = add_user(d, "india@example.com", "rep", "Asia/Kolkata");
    tasks_viewer rep = {w.rep, "rep"}, admin = {w.admin, "admin"};
    /* 2026-03-04 03:00 UTC: 22:00 on the 3rd in New York (EST, -5), 08:30 on the 4th in Kolkata. */
    int64_t now = day0() + 3 * HOUR;
    /* New York: the 3rd at 23:30 local (today), the 4th at 04:59 UTC (23:59 local on the 3rd:
     * today), the 4th at 05:00 UTC (00:00 local on the 4th: tomorrow). */
    int64_t ny_today = add_task(d, &rep, "custom", "ny today", w.rep, 0,
                                day0() + 4 * HOUR + 1800 * US_PER_SEC, NULL);
    int64_t ny_edge = add_task(d, &rep, "custom", "ny 23:59", w.rep, 0,
                               day0() + 5 * HOUR - 60 * US_PER_SEC, NULL);
    int64_t ny_tomorrow =
        add_task(d, &rep, "custom", "ny tomorrow", w.rep, 0, day0() + 5 * HOUR, NULL);
    /* Kolkata (+5:30): the 3rd at 18:30 UTC is the 4th at 00:00 local: today; 18:29 is overdue. */
    int64_t in_today = add_task(d, &admin, "custom", "in today", ist, 0,
                                day0() - 5 * HOUR - 1800 * US_PER_SEC, NULL);
    int64_t in_late = add_task(d, &admin, "custom", "in late", ist, 0,
                               day0() - 5 * HOUR - 1860 * US_PER_SEC, NULL);
    ids_are(d, &rep, TQ_TODAY, 0, now, (int64_t[]){ny_today, ny_edge}, 2);
    ids_are(d, &rep, TQ_TOMORROW, w.rep, now, (int64_t[]){ny_tomorrow}, 1);
    ids_are(d, &admin, TQ_TODAY, ist, now, (int64_t[]){in_today}, 1);
    ids_are(d, &admin, TQ_OVERDUE, ist, now, (int64_t[]){in_late}, 1);
    /* every assignee at once: each in their own zone */
    ids_are(d, &admin, TQ_TODAY, 0, now, (int64_t[]){in_today, ny_today, ny_edge}, 3);
    counts_are(d, &admin, 0, now, 1, 3, 1, 1);
    /* the zone's day starts across a DST change: New York springs forward on 2026-03-08 */
    tasks_zone z;
    task_zone_at("America/New_York", time_days_from_civil(2026, 3, 7) * DAY + 12 * HOUR, &z);
    assert_int_equal(z.start[0], time_days_from_civil(2026, 3, 7) * DAY + 5 * HOUR);
    assert_int_equal(z.start[1], time_days_from_civil(2026, 3, 8) * DAY + 5 * HOUR);
    assert_int_equal(z.start[2], time_days_from_civil(2026, 3, 9) * DAY + 4 * HOUR);
    assert_int_equal(z.off_us, -5 * HOUR);
}

static void test_visibility_and_assigning(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    tasks_viewer rep = {w.rep, "rep"}, rep2 = {w.rep2, "rep"}, mgr = {w.manager, "manager"},
                 admin = {w.admin, "admin"};
    int64_t now = day0();
    int64_t a = add_task(d, &rep, "custom", "mine", 0, 0, now, NULL);
    int64_t b = add_task(d, &rep2, "custom", "rep2's", 0, 0, now, NULL);
    int64_t c = add_task(d, &mgr, "custom", "for the team's rep", w.rep, 0, now, NULL);
    int64_t e = add_task(d, &admin, "custom", "for rep2", w.rep2, 0, now, NULL);
    ids_are(d, &rep, TQ_OPEN, 0, now, (int64_t[]){a, c}, 2);
    ids_are(d, &rep2, TQ_OPEN, 0, now, (int64_t[]){b, e}, 2);
    ids_are(d, &mgr, TQ_OPEN, 0, now, (int64_t[]){a, c}, 2);
    ids_are(d, &admin, TQ_OPEN, 0, now, (int64_t[]){a, b, c, e}, 4);
    /* another's assignee filter shows nothing the caller may not see */
    ids_are(d, &rep, TQ_OPEN, w.rep2, now, NULL, 0);
    json_t *j = NULL;
    assert_int_equal(task_get(d, &rep2, a, &j), HAIL_ENOTFOUND);
    char want[128];
    snprintf(want, sizeof want, "no task with id %lld", (long long)a);
    assert_string_equal(hail_errmsg(), want);
    assert_int_equal(task_get(d, &mgr, a, &j), HAIL_OK);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "assignee"), "name")),
                        "User rep@example.com");
    json_decref(j);
    assert_int_equal(task_skip(d, &rep2, a), HAIL_ENOTFOUND);

    task_new t = {.type = "custom", .name = "x", .assignee_id = w.rep2, .due_at = now};
    int64_t id;
    assert_int_equal(task_create(d, &rep, &t, &id), HAIL_EFORBIDDEN);
    assert_string_equal(hail_errmsg(), "reps give tasks to themselves only");
    t.assignee_id = w.rep2;
    assert_int_equal(task_create(d, &mgr, &t, &id), HAIL_EFORBIDDEN);
    snprintf(want, sizeof want,
             "user %lld is not in one of your teams: managers give tasks to their teams' users "
             "only",
             (long long)w.rep2);
    assert_string_equal(hail_errmsg(), want);
    t.assignee_id = 999999;
    assert_int_equal(task_create(d, &admin, &t, &id), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "assignee 999999 is not an active user");
    t.assignee_id = 0;
    t.person_id = 888888;
    assert_int_equal(task_create(d, &rep, &t, &id), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "no person with id 888888");
    /* reassigning follows the same rule */
    task_change ch = {.assignee_id = w.rep2};
    assert_int_equal(task_update(d, &mgr, c, &ch), HAIL_EFORBIDDEN);
    ch.assignee_id = w.manager;
    assert_int_equal(task_update(d, &mgr, c, &ch), HAIL_OK);
    ids_are(d, &rep, TQ_OPEN, 0, now, (int64_t[]){a}, 1);
}

static int64_t col(db *d, const char *what, int64_t id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM tasks WHERE id = %lld", what, (long long)id);
    return one_id(d, sql);
}

static void test_complete_skip_delete(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    tasks_viewer rep = {w.rep, "rep"};
    int64_t now = day0();
    int64_t a = add_task(d, &rep, "custom", "a", 0, 0, now, NULL);
    int64_t b = add_task(d, &rep, "linkedin", "b", 0, w.person, now, NULL);
    int64_t c = add_task(d, &rep, "custom", "c", 0, 0, now, NULL);
    task_completion none = {0};
    task_refusal ref;
    assert_int_equal(task_complete(d, &rep, a, &none, &ref), HAIL_OK);
    assert_null(ref.code);
    assert_int_equal(col(d, "count(*)", a), 1);
    json_t *j;
    assert_int_equal(task_get(d, &rep, a, &j), HAIL_OK);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "complete");
    assert_true(json_is_string(json_object_get(j, "completed_at")));
    json_decref(j);
    assert_int_equal(task_complete(d, &rep, a, &none, &ref), HAIL_EBUSY);
    char want[128];
    snprintf(want, sizeof want, "task %lld is complete: only an open task changes", (long long)a);
    assert_string_equal(hail_errmsg(), want);
    assert_int_equal(task_skip(d, &rep, b), HAIL_OK);
    assert_int_equal(task_reschedule(d, &rep, b, now + DAY), HAIL_EBUSY);
    snprintf(want, sizeof want, "task %lld is skipped: only an open task changes", (long long)b);
    assert_string_equal(hail_errmsg(), want);
    assert_int_equal(task_reschedule(d, &rep, c, now + DAY), HAIL_OK);
    assert_int_equal(col(d, "due_at", c), now + DAY);
    ids_are(d, &rep, TQ_DONE, 0, now, (int64_t[]){b, a}, 2);
    tasks_query dq = {.queue = TQ_DONE, .limit = 1};
    tasks_key next;
    json_t *page;
    assert_int_equal(task_list(d, &rep, &dq, now, &page, &next), HAIL_OK);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "id")), b);
    json_decref(page);
    assert_int_equal(next.id, b);
    dq.after = next;
    assert_int_equal(task_list(d, &rep, &dq, now, &page, &next), HAIL_OK);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(page, 0), "id")), a);
    assert_int_equal(next.set, 0);
    json_decref(page);

    /* a campaign step's task is skipped, never deleted */
    assert_int_equal(db_begin(d), HAIL_OK);
    task_new t = {.type = "custom",
                  .name = "step",
                  .assignee_id = w.rep,
                  .member_id = 77,
                  .campaign_id = 5,
                  .step_position = 2,
                  .due_at = now};
    int64_t step;
    assert_int_equal(task_create_tx(d, &t, &step), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    assert_int_equal(task_delete(d, &rep, step), HAIL_EBUSY);
    snprintf(want, sizeof want,
             "task %lld was made by a campaign step and its person waits on it: skip it instead",
             (long long)step);
    assert_string_equal(hail_errmsg(), want);
    assert_int_equal(task_get(d, &rep, step, &j), HAIL_OK);
    assert_int_equal(json_integer_value(json_object_get(j, "step_position")), 2);
    json_decref(j);
    assert_int_equal(task_delete(d, &rep, c), HAIL_OK);
    assert_int_equal(task_get(d, &rep, c, &j), HAIL_ENOTFOUND);
}

static void test_complete_email(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    tasks_viewer rep = {w.rep, "rep"};
    int64_t now = day0();
    /* an email task from a (pretend) campaign step with the template */
    assert_int_equal(db_begin(d), HAIL_OK);
    task_new t = {.type = "email",
                  .name = "intro",
                  .person_id = w.person,
                  .assignee_id = w.rep,
                  .template_id = w.template_id,
                  .due_at = now};
    int64_t id;
    assert_int_equal(task_create_tx(d, &t, &id), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);

    json_t *draft;
    assert_int_equal(task_email_draft(d, &rep, id, &draft), HAIL_OK);
    char *s = json_dumps(draft, JSON_COMPACT | JSON_SORT_KEYS);
    char want[512];
    snprintf(want, sizeof want,
             "{\"html\":\"<p>Hi Ann at Acme</p>\",\"prompts\":[],\"sender_id\":%lld,\"subject\":"
             "\"Hello Ann\",\"template\":{\"id\":%lld,\"name\":\"Intro\"},\"unfilled\":[]}",
             (long long)w.sender, (long long)w.template_id);
    assert_string_equal(s, want);
    free(s);
    json_decref(draft);

    task_completion c = {.body_html = "<p>Hi Ann, edited</p>"};
    task_refusal ref;
    assert_int_equal(task_complete(d, &rep, id, &c, &ref), HAIL_OK);
    assert_null(ref.code);
    int64_t email = col(d, "email_id", id);
    assert_true(email > 0);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM emails WHERE id = %lld AND task_id = %lld AND status ="
             " 'scheduled' AND subject = 'Hello Ann' AND body_html = '<p>Hi Ann, edited</p>'"
             " AND sender_id = %lld",
             (long long)email, (long long)id, (long long)w.sender);
    assert_int_equal(one_id(d, sql), 1);

    /* refused (no email address): nothing is sent, the task stays open */
    int64_t nomail = add_person(d, 2, NULL);
    int64_t other = add_task(d, &rep, "email", "to nobody", 0, nomail, now, NULL);
    task_completion plain = {.subject = "Hi", .body_html = "<p>Hi</p>"};
    assert_int_equal(task_complete(d, &rep, other, &plain, &ref), HAIL_OK);
    assert_string_equal(ref.code, "no_email");
    snprintf(want, sizeof want, "person %lld has no email address", (long long)nomail);
    assert_string_equal(ref.message, want);
    assert_int_equal(col(d, "count(*)", other), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM tasks WHERE id = %lld AND status = 'open'",
             (long long)other);
    assert_int_equal(one_id(d, sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM emails WHERE task_id = %lld", (long long)other);
    assert_int_equal(one_id(d, sql), 0);

    /* no sender: rep2 has none */
    tasks_viewer rep2 = {w.rep2, "rep"};
    int64_t mine = add_task(d, &rep2, "email", "no sender", 0, w.person, now, NULL);
    assert_int_equal(task_complete(d, &rep2, mine, &plain, &ref), HAIL_OK);
    assert_string_equal(ref.code, "no_sender");
    snprintf(want, sizeof want,
             "you have no sender identity to send task %lld's email from: add one under Senders",
             (long long)mine);
    assert_string_equal(ref.message, want);
    /* a task without a person */
    int64_t nobody = add_task(d, &rep, "email", "nobody", 0, 0, now, NULL);
    assert_int_equal(task_complete(d, &rep, nobody, &plain, &ref), HAIL_EINVAL);
    snprintf(want, sizeof want, "task %lld has no person to email", (long long)nobody);
    assert_string_equal(hail_errmsg(), want);
    /* not an email task */
    int64_t call = add_task(d, &rep, "call", "ring", 0, w.person, now, NULL);
    assert_int_equal(task_email_draft(d, &rep, call, &draft), HAIL_EINVAL);
    snprintf(want, sizeof want, "task %lld is a call task, not an email task", (long long)call);
    assert_string_equal(hail_errmsg(), want);
    /* a call task needs its call */
    assert_int_equal(task_complete(d, &rep, call, &plain, &ref), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(),
                        "call is required: a call task is completed by logging its call");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM tasks WHERE id = %lld AND status = 'open'",
             (long long)call);
    assert_int_equal(one_id(d, sql), 1);
}

/* EXPLAIN of a tasks_sql: whether it names index (or one of "a|b"). */
static void uses_index(db *d, int pg, const tasks_sql *s, const char *index)
{
    size_t n = strlen(s->sql) + 32;
    char *ex = malloc(n);
    assert_non_null(ex);
    snprintf(ex, n, "%s %s", pg ? "EXPLAIN" : "EXPLAIN QUERY PLAN", s->sql);
    db_st *st = db_prepare(d, ex);
    if (!st)
        fail_msg("%s: %s", ex, hail_errmsg());
    tasks_sql_bind(st, s);
    int found = 0;
    char plan[16384] = "";
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
    free(ex);
    if (!found) {
        fprintf(stderr, "plan: %s\n", plan);
        fail_msg("%s does not use %s", s->sql, index);
    }
}

static void test_queue_indexes(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    world w = make_world(d);
    tasks_viewer rep = {w.rep, "rep"}, admin = {w.admin, "admin"};
    for (int i = 0; i < 200; i++)
        add_task(d, &admin, "custom", "t", i % 2 ? w.rep : w.rep2, 0, day0() + (i - 100) * HOUR,
                 NULL);
    exec(d, "ANALYZE");
    if (x->pg)
        exec(d, "SET enable_seqscan = off");
    tasks_zone z[2];
    task_zone_at("UTC", day0(), &z[0]);
    task_zone_at("UTC", day0(), &z[1]);
    z[1].name = "UTC";
    struct {
        const tasks_viewer *v;
        tasks_queue queue;
        int64_t assignee;
        size_t nz;
        const char *index;
    } cases[] = {
        {&rep, TQ_TODAY, w.rep, 1, "tasks_queue"},
        /* the planner may pick either: both narrow by due_at among open tasks */
        {&rep, TQ_OVERDUE, 0, 1, "tasks_queue|tasks_open_due"},
        {&admin, TQ_NEXT_7_DAYS, 0, 2, "tasks_open_due"},
        {&admin, TQ_TODAY, 0, 1, "tasks_open_due"},
        {&rep, TQ_DONE, w.rep, 1, "tasks_done"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tasks_query q = {.queue = cases[i].queue,
                         .assignee_id = cases[i].assignee,
                         .zones = z,
                         .nzones = cases[i].nz,
                         .limit = 50};
        tasks_sql s;
        assert_int_equal(tasks_page_sql(cases[i].v, &q, &s), HAIL_OK);
        uses_index(d, x->pg, &s, cases[i].index);
        tasks_sql_free(&s);
    }
    tasks_query q = {.assignee_id = w.rep, .zones = z, .nzones = 1};
    tasks_sql s;
    assert_int_equal(tasks_counts_sql(&rep, &q, &s), HAIL_OK);
    uses_index(d, x->pg, &s, "tasks_queue");
    tasks_sql_free(&s);
    if (x->pg)
        exec(d, "SET enable_seqscan = on");
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_queues_utc),
        ON_SQLITE(test_queues_in_zone),
        ON_SQLITE(test_visibility_and_assigning),
        ON_SQLITE(test_complete_skip_delete),
        ON_SQLITE(test_complete_email),
        ON_SQLITE(test_queue_indexes),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_queues_utc),
        ON_PG(test_queues_in_zone),
        ON_PG(test_visibility_and_assigning),
        ON_PG(test_complete_skip_delete),
        ON_PG(test_complete_email),
        ON_PG(test_queue_indexes),
    };
    int rc = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    rc += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return rc;
}
