#include "core/common.h"

/* Unit tests for store/insight: a person's panel (the grid by type and week
 * in the viewer's zone, human and machine apart; all-time summary of human
 * events; upcoming steps and open tasks), an account's and an opportunity's
 * panel aggregating the active people each viewer sees (rep, manager,
 * admin, another team's rep), not found for a person outside the scope and
 * an account with none in it, the aggregated history paged newest first,
 * and every query on its index (EXPLAIN). On SQLite and on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/timeutil.h"
#include "store/insight.h"
#define ENGINE_FIXTURE_NAME "insight"
#include "engine_fixture.h"

#define HOUR (INT64_C(3600) * US_PER_SEC)
#define DAY  (24 * HOUR)

static int64_t U(const char *s)
{
    int64_t us = 0;
    assert_int_equal(time_parse_iso(s, strlen(s), &us), HAIL_OK);
    return us;
}

static int64_t one_id(db *d, const char *sql, const char *a, const char *b, int64_t c)
{
    db_st *st = db_prepare(d, sql);
    if (!st)
        fail_msg("%s: %s", sql, hail_errmsg());
    if (a)
        db_bind_text(st, 1, a, -1);
    if (b)
        db_bind_text(st, 2, b, -1);
    if (c)
        db_bind_i64(st, b ? 3 : 2, c);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t v = db_col_i64(st, 0);
    db_st_free(st);
    return v;
}

static void exec(db *d, const char *sql)
{
    if (db_exec(d, sql))
        fail_msg("%s: %s", sql, hail_errmsg());
}

typedef struct world {
    int64_t admin, rep1, mgr, rep2;
    int64_t ann, bob, cat;
    int64_t act[8];
} world;

static int64_t user(db *d, const char *email, const char *role)
{
    return one_id(d,
                  "INSERT INTO users (email, name, role, created_at, updated_at)"
                  " VALUES ($1, 'U', $2, 0, 0) RETURNING id",
                  email, role, 0);
}

static int64_t person(db *d, const char *first, const char *owner, const char *opp)
{
    return one_id(d,
                  "INSERT INTO people (marketo_id, first_name, last_name, email, owner_email,"
                  " sfdc_account_id, sfdc_opportunity_id, active, created_at, updated_at)"
                  " VALUES ((SELECT coalesce(max(marketo_id), 0) + 1 FROM people), $1, 'Lee',"
                  " 'p@x.example', $2, 'ACC1', $3, 1, 0, 0) RETURNING id",
                  first, owner, 0) +
           0 * (opp != NULL);
}

static int64_t act(db *d, const char *type, int64_t who, const char *when, int machine)
{
    db_st *st = db_prepare(d, "INSERT INTO activities (type, person_id, occurred_at, machine,"
                              " attrs, created_at) VALUES ($1, $2, $3, $4, '{}', 0) RETURNING id");
    assert_non_null(st);
    db_bind_text(st, 1, type, -1);
    db_bind_i64(st, 2, who);
    db_bind_i64(st, 3, U(when));
    db_bind_i64(st, 4, machine);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_st_free(st);
    return id;
}

/* rep1 and mgr in team East (rep1 owns Ann and Bob), rep2 in West (owns
 * Cat); all three in account ACC1, Ann and Cat in opportunity OPP1. */
static world make_world(db *d)
{
    world w;
    w.admin = user(d, "admin@example.com", "admin");
    w.rep1 = user(d, "rep1@example.com", "rep");
    w.mgr = user(d, "mgr@example.com", "manager");
    w.rep2 = user(d, "rep2@example.com", "rep");
    exec(d, "INSERT INTO teams (name, created_at) VALUES ('East', 0), ('West', 0)");
    db_st *st = db_prepare(d, "INSERT INTO team_members (team_id, user_id) VALUES"
                              " ((SELECT id FROM teams WHERE name = 'East'), $1),"
                              " ((SELECT id FROM teams WHERE name = 'East'), $2),"
                              " ((SELECT id FROM teams WHERE name = 'West'), $3)");
    assert_non_null(st);
    db_bind_i64(st, 1, w.rep1);
    db_bind_i64(st, 2, w.mgr);
    db_bind_i64(st, 3, w.rep2);
    assert_int_equal(db_step(st), DB_DONE);
    db_st_free(st);
    w.ann = person(d, "Ann", "Rep1@Example.com", NULL);
    w.bob = person(d, "Bob", "rep1@example.com", NULL);
    w.cat = person(d, "Cat", "rep2@example.com", NULL);
    exec(d, "UPDATE people SET sfdc_opportunity_id = 'OPP1' WHERE first_name IN ('Ann', 'Cat')");
    w.act[0] = act(d, "email_send", w.ann, "2026-03-02T03:00:00Z", 0);
    w.act[1] = act(d, "email_open", w.ann, "2026-02-25T12:00:00Z", 0);
    w.act[2] = act(d, "email_open", w.ann, "2026-02-25T12:01:00Z", 1);
    w.act[3] = act(d, "email_reply", w.ann, "2025-06-01T00:00:00Z", 0);
    w.act[4] = act(d, "email_open", w.ann, "2026-03-04T14:30:00Z", 1); /* machine: not last */
    w.act[5] = act(d, "email_send", w.bob, "2026-03-03T10:00:00Z", 0);
    w.act[6] = act(d, "call", w.cat, "2026-03-03T11:00:00Z", 0);
    w.act[7] = act(d, "email_click", w.cat, "2026-03-03T12:00:00Z", 0);
    return w;
}

static json_t *panel(db *d, const email_viewer *v, const insight_target *t, const char *zone)
{
    json_t *j = NULL;
    hail_err e = insight_get(d, v, t, zone, U("2026-03-04T15:00:00Z"), &j);
    if (e)
        fail_msg("insight_get: %s", hail_errmsg());
    return j;
}

static json_t *row(json_t *j, const char *type)
{
    size_t i;
    json_t *r;
    json_array_foreach(
        json_object_get(j, "rows"), i,
        r) if (!strcmp(json_string_value(json_object_get(r, "type")), type)) return r;
    fail_msg("no row %s", type);
    return NULL;
}

static int64_t cell(json_t *j, const char *type, const char *kind, int week)
{
    return json_integer_value(json_array_get(json_object_get(row(j, type), kind), (size_t)week));
}

static int64_t num(json_t *j, const char *obj, const char *key)
{
    return json_integer_value(json_object_get(obj ? json_object_get(j, obj) : j, key));
}

static void test_person_panel(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    email_viewer admin = {w.admin, "admin"};
    insight_target t = {.kind = INSIGHT_PERSON, .person_id = w.ann};
    json_t *j = panel(d, &admin, &t, "UTC");
    assert_string_equal(json_string_value(json_object_get(j, "time_zone")), "UTC");
    assert_int_equal(json_array_size(json_object_get(j, "weeks")), 13);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "weeks"), 12), "start")),
                        "2026-03-02");
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 11);
    assert_int_equal(cell(j, "email_send", "human", 12), 1);
    assert_int_equal(cell(j, "email_open", "human", 11), 1);
    assert_int_equal(cell(j, "email_open", "machine", 11), 1);
    assert_int_equal(cell(j, "email_open", "machine", 12), 1);
    assert_int_equal(cell(j, "email_open", "human", 12), 0);
    assert_int_equal(num(j, "totals", "human"), 2);
    assert_int_equal(num(j, "totals", "machine"), 2);
    assert_int_equal(num(j, "summary", "emails_sent"), 1);
    assert_int_equal(num(j, "summary", "opens"), 1);
    assert_int_equal(num(j, "summary", "replies"), 1); /* older than the grid */
    assert_int_equal(num(j, "summary", "calls"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "summary"), "last_activity_at")),
        "2026-03-02T03:00:00Z");
    assert_int_equal(num(j, NULL, "people"), 1);
    json_decref(j);
    /* in New York the Monday-03:00-UTC send is last week's */
    j = panel(d, &admin, &t, "America/New_York");
    assert_string_equal(json_string_value(json_object_get(j, "time_zone")), "America/New_York");
    assert_int_equal(cell(j, "email_send", "human", 11), 1);
    assert_int_equal(cell(j, "email_send", "human", 12), 0);
    json_decref(j);
    /* an unknown zone: UTC */
    j = panel(d, &admin, &t, "Nowhere/Special");
    assert_string_equal(json_string_value(json_object_get(j, "time_zone")), "UTC");
    json_decref(j);
}

static void test_upcoming(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    exec(d, "INSERT INTO campaigns (owner_id, name, sharing, created_at, updated_at)"
            " VALUES (1, 'Spring', 'private', 0, 0), (1, 'Halted', 'private', 0, 0)");
    exec(d, "UPDATE campaigns SET status = 'paused' WHERE name = 'Halted'");
    exec(d, "INSERT INTO campaign_steps (campaign_id, position, day, type)"
            " SELECT id, 0, 1, 'manual_email' FROM campaigns UNION ALL"
            " SELECT id, 1, 4, 'call' FROM campaigns");
    char sql[512];
    /* Ann: Spring step 1 due in 2 days, Halted (a paused campaign) due sooner;
     * Bob: Spring step 0 due tomorrow, then 25 tasks */
    snprintf(sql, sizeof sql,
             "INSERT INTO campaign_members (campaign_id, person_id, status, step_position,"
             " next_due_at, created_at, updated_at) VALUES"
             " ((SELECT id FROM campaigns WHERE name = 'Spring'), %lld, 'active', 1, %lld, 0, 0),"
             " ((SELECT id FROM campaigns WHERE name = 'Halted'), %lld, 'active', 0, %lld, 0, 0),"
             " ((SELECT id FROM campaigns WHERE name = 'Spring'), %lld, 'active', 0, %lld, 0, 0)",
             (long long)w.ann, (long long)(U("2026-03-06T09:00:00Z")), (long long)w.ann,
             (long long)(U("2026-03-05T09:00:00Z")), (long long)w.bob,
             (long long)(U("2026-03-05T10:00:00Z")));
    exec(d, sql);
    for (int i = 0; i < 25; i++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO tasks (type, name, person_id, assignee_id, due_at, priority,"
                 " status, created_at, updated_at) VALUES ('call', 'T%02d', %lld, %lld, %lld,"
                 " '%s', '%s', 0, 0)",
                 i, (long long)(i % 2 ? w.ann : w.bob), (long long)w.rep1,
                 (long long)(U("2026-03-01T00:00:00Z") + (25 - i) * HOUR),
                 i == 24 ? "high" : "normal", i == 23 ? "complete" : "open");
        exec(d, sql);
    }
    email_viewer admin = {w.admin, "admin"};
    insight_target t = {.kind = INSIGHT_PERSON, .person_id = w.ann};
    json_t *j = panel(d, &admin, &t, "UTC");
    json_t *steps = json_object_get(j, "upcoming_steps");
    assert_int_equal(json_array_size(steps), 1); /* not the paused campaign's */
    json_t *s = json_array_get(steps, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "campaign"), "name")),
                        "Spring");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "person"), "name")),
                        "Ann Lee");
    assert_int_equal(num(s, "step", "position"), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "step"), "type")),
                        "call");
    assert_int_equal(num(s, "step", "day"), 4);
    assert_string_equal(json_string_value(json_object_get(s, "due_at")), "2026-03-06T09:00:00Z");
    assert_int_equal(num(j, "summary", "campaigns_active"), 2);
    json_t *tasks = json_object_get(j, "upcoming_tasks");
    assert_int_equal(json_array_size(tasks), 11); /* Ann's open ones (odd i, 23 done) */
    assert_string_equal(json_string_value(json_object_get(json_array_get(tasks, 0), "name")),
                        "T21");
    json_decref(j);
    /* the account: 20 of 24 open tasks, soonest first; both members' steps */
    t = (insight_target){.kind = INSIGHT_ACCOUNT, .sfdc_id = "ACC1"};
    j = panel(d, &admin, &t, "UTC");
    tasks = json_object_get(j, "upcoming_tasks");
    assert_int_equal(json_array_size(tasks), INSIGHT_UPCOMING_MAX);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tasks, 0), "name")),
                        "T24");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tasks, 0), "priority")),
                        "high");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tasks, 1), "name")),
                        "T22");
    steps = json_object_get(j, "upcoming_steps");
    assert_int_equal(json_array_size(steps), 2);
    assert_int_equal(num(json_array_get(steps, 0), "person", "id"), w.bob);
    assert_int_equal(num(json_array_get(steps, 1), "person", "id"), w.ann);
    json_decref(j);
}

static void test_scope(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    email_viewer admin = {w.admin, "admin"}, rep1 = {w.rep1, "rep"}, mgr = {w.mgr, "manager"},
                 rep2 = {w.rep2, "rep"};
    insight_target acc = {.kind = INSIGHT_ACCOUNT, .sfdc_id = "ACC1"};
    struct {
        const email_viewer *v;
        int64_t people, human, machine, sent, calls;
    } cases[] = {
        {&admin, 3, 5, 2, 2, 1},
        {&rep1, 2, 3, 2, 2, 0},
        {&mgr, 2, 3, 2, 2, 0},
        {&rep2, 1, 2, 0, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *j = panel(d, cases[i].v, &acc, "UTC");
        assert_int_equal(num(j, NULL, "people"), cases[i].people);
        assert_int_equal(num(j, "totals", "human"), cases[i].human);
        assert_int_equal(num(j, "totals", "machine"), cases[i].machine);
        assert_int_equal(num(j, "summary", "emails_sent"), cases[i].sent);
        assert_int_equal(num(j, "summary", "calls"), cases[i].calls);
        json_decref(j);
    }
    insight_target opp = {.kind = INSIGHT_OPPORTUNITY, .sfdc_id = "OPP1"};
    json_t *j = panel(d, &rep1, &opp, "UTC");
    assert_int_equal(num(j, NULL, "people"), 1);
    json_decref(j);
    /* not found: outside the scope, unknown, an inactive person's account */
    insight_target cat = {.kind = INSIGHT_PERSON, .person_id = w.cat};
    j = NULL;
    assert_int_equal(insight_get(d, &rep1, &cat, "UTC", 0, &j), HAIL_ENOTFOUND);
    char msg[64];
    snprintf(msg, sizeof msg, "no person with id %lld", (long long)w.cat);
    assert_string_equal(hail_errmsg(), msg);
    assert_null(j);
    insight_target none = {.kind = INSIGHT_ACCOUNT, .sfdc_id = "ACC2"};
    assert_int_equal(insight_get(d, &admin, &none, "UTC", 0, &j), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no account with id ACC2");
    exec(d, "UPDATE people SET active = 0 WHERE first_name = 'Cat'");
    assert_int_equal(insight_get(d, &rep2, &acc, "UTC", 0, &j), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no account with id ACC1");
    assert_int_equal(insight_get(d, &rep2, &opp, "UTC", 0, &j), HAIL_ENOTFOUND);
    assert_string_equal(hail_errmsg(), "no opportunity with id OPP1");
}

static void test_history(void **state)
{
    db *d = efx(state)->f.d;
    world w = make_world(d);
    email_viewer admin = {w.admin, "admin"}, rep1 = {w.rep1, "rep"};
    insight_target acc = {.kind = INSIGHT_ACCOUNT, .sfdc_id = "ACC1"};
    int64_t before = 0, next = 0, got[16];
    size_t n = 0;
    do {
        json_t *a = NULL;
        assert_int_equal(insight_history(d, &admin, &acc, before, 3, &a, &next), HAIL_OK);
        assert_true(json_array_size(a) <= 3);
        size_t i;
        json_t *x;
        json_array_foreach(a, i, x)
        {
            assert_true(n < 16);
            got[n++] = json_integer_value(json_object_get(x, "id"));
        }
        json_decref(a);
        before = next;
    } while (next);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(got[i], w.act[7 - i]);
    json_t *a = NULL;
    assert_int_equal(insight_history(d, &rep1, &acc, 0, 50, &a, &next), HAIL_OK);
    assert_int_equal(json_array_size(a), 6); /* Ann's and Bob's */
    assert_int_equal(next, 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "id")), w.act[5]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "type_name")),
                        "Send Sales Email");
    json_decref(a);
}

/* EXPLAIN of insight_sql(i) with its parameters: the plan as one line. */
static void plan_of(db *d, int pg, int i, char *plan, size_t n)
{
    const char *sql = insight_sql(d, i);
    size_t len = strlen(sql) + 32;
    char *ex = malloc(len);
    assert_non_null(ex);
    snprintf(ex, len, "%s %s", pg ? "EXPLAIN" : "EXPLAIN QUERY PLAN", sql);
    db_st *st = db_prepare(d, ex);
    if (!st)
        fail_msg("%s: %s", ex, hail_errmsg());
    if (i <= 1)
        db_bind_text(st, 1, "ACC1", -1);
    else
        db_bind_text(st, 1, "[1,2,3]", -1);
    if (i == 3 || i == 4 || i == 6)
        db_bind_i64(st, 2, i == 6 ? INT64_MAX : 20);
    if (i == 6)
        db_bind_i64(st, 3, 51);
    plan[0] = '\0';
    while (db_step(st) == DB_ROW) {
        const char *line = db_col_text(st, pg ? 0 : 3);
        size_t used = strlen(plan);
        snprintf(plan + used, n - used, "%s | ", line ? line : "");
    }
    db_st_free(st);
    free(ex);
}

static void test_plans_use_indexes(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    make_world(d);
    /* enough other rows that a plan reflects the indexes, not a tiny table */
    exec(d, "INSERT INTO people (marketo_id, email, owner_email, sfdc_account_id,"
            " sfdc_opportunity_id, active, created_at, updated_at)"
            " WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000)"
            " SELECT 1000 + i, 'f@x.example', 'rep' || (i % 20) || '@example.com',"
            " 'ACC' || (i % 400 + 10), 'OPP' || (i % 800 + 10), 1, 0, 0 FROM c");
    exec(d, "INSERT INTO activities (type, person_id, occurred_at, machine, attrs, created_at)"
            " WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10000)"
            " SELECT 'email_send', (SELECT max(id) FROM people) - i % 2000, i, 0, '{}', 0 FROM c");
    exec(d, "INSERT INTO campaigns (owner_id, name, sharing, created_at, updated_at)"
            " VALUES (1, 'Filler', 'private', 0, 0)");
    exec(d, "INSERT INTO campaign_members (campaign_id, person_id, status, next_due_at,"
            " created_at, updated_at) SELECT (SELECT max(id) FROM campaigns), id, 'active', id,"
            " 0, 0 FROM people WHERE marketo_id > 1000");
    exec(d, "INSERT INTO tasks (type, name, person_id, assignee_id, due_at, created_at,"
            " updated_at) SELECT 'call', 't', id, 1, id, 0, 0 FROM people WHERE marketo_id > 1000");
    exec(d, "ANALYZE");
    if (x->pg)
        exec(d, "SET enable_seqscan = off");
    /* the index each query reads its table by (PostgreSQL may read the grid
     * through activities_person until VACUUM has marked the pages all-visible
     * for an index-only scan, and a history page through either: both are a
     * range per person) */
    const char *want[] = {"people_account",
                          "people_opportunity",
                          x->pg ? "activities_insight|activities_person" : "activities_insight",
                          "campaign_members_person",
                          "tasks_person",
                          "campaign_members_person",
                          x->pg ? "activities_person|activities_insight" : "activities_person"};
    const char *tables[] = {"people", "activities", "campaign_members", "tasks"};
    char plan[8192];
    for (int i = 0; insight_sql(d, i); i++) {
        assert_true((size_t)i < sizeof want / sizeof *want);
        plan_of(d, x->pg, i, plan, sizeof plan);
        char alt[64];
        snprintf(alt, sizeof alt, "%s", want[i]);
        int found = 0;
        for (char *save = NULL, *one = strtok_r(alt, "|", &save); one;
             one = strtok_r(NULL, "|", &save))
            found |= strstr(plan, one) != NULL;
        if (!found)
            fail_msg("insight_sql(%d) does not use %s: %s", i, want[i], plan);
        for (size_t k = 0; k < sizeof tables / sizeof *tables; k++) {
            char scan[64];
            snprintf(scan, sizeof scan, x->pg ? "Seq Scan on %s " : "SCAN %s", tables[k]);
            const char *p = strstr(plan, scan);
            /* SQLite: "SCAN t USING COVERING INDEX" would be a whole index: none either */
            if (p && (x->pg || p[strlen(scan)] == ' ' || p[strlen(scan)] == '\0'))
                fail_msg("insight_sql(%d) scans %s: %s", i, tables[k], plan);
        }
    }
    if (x->pg)
        exec(d, "SET enable_seqscan = on");
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_person_panel), ON_SQLITE(test_upcoming),          ON_SQLITE(test_scope),
        ON_SQLITE(test_history),      ON_SQLITE(test_plans_use_indexes),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_person_panel), ON_PG(test_upcoming),          ON_PG(test_scope),
        ON_PG(test_history),      ON_PG(test_plans_use_indexes),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
