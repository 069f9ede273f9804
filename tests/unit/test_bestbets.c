#include "core/common.h"

/* Unit tests for Best Bets: the pure scoring of core/bestbets (weights, decay,
 * an order that does not change with time, stars, flames) and the store on
 * both engines: activity_record keeps the state (machine events and other
 * types change nothing), `hail bestbets rebuild`'s one pass gives the same
 * state, and the first page is a range read of best_bets_owner (EXPLAIN). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/bestbets.h"
#include "store/bestbets.h"
#include "svc/activity.h"
#define ENGINE_FIXTURE_NAME "bestbets"
#include "engine_fixture.h"

#define DAY   BB_US_PER_DAY
#define HOUR  (DAY / 24)
#define T_NOW (BB_EPOCH_US + 700 * DAY)

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-9 * (fabs(want) > 1 ? fabs(want) : 1))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void test_kinds_and_weights(void **state)
{
    (void)state;
    assert_int_equal(bb_kind_of("email_open"), BB_OPEN);
    assert_int_equal(bb_kind_of("email_click"), BB_CLICK);
    assert_int_equal(bb_kind_of("email_reply"), BB_REPLY);
    assert_int_equal(bb_kind_of("email_send"), -1);
    assert_int_equal(bb_kind_of("email_autoreply"), -1);
    assert_int_equal(bb_kind_of(NULL), -1);
    assert_string_equal(bb_kind_type(BB_REPLY), "email_reply");
    assert_true(bb_weight(BB_REPLY) > bb_weight(BB_CLICK));
    assert_true(bb_weight(BB_CLICK) > bb_weight(BB_OPEN));
}

static void test_decay(void **state)
{
    (void)state;
    bb_state s = {0};
    assert_true(bb_score(&s, T_NOW) == 0.0);
    assert_int_equal(bb_flames(&s, T_NOW), 0);
    bb_add(&s, BB_REPLY, T_NOW);
    near(bb_score(&s, T_NOW), 4.0);
    near(bb_score(&s, T_NOW + 14 * DAY), 2.0);
    near(bb_score(&s, T_NOW + 28 * DAY), 1.0);
    near(bb_urgency(&s, T_NOW + DAY), 2.0);
    bb_add(&s, BB_OPEN, T_NOW + 14 * DAY);
    near(bb_score(&s, T_NOW + 14 * DAY), 3.0);
    assert_int_equal(s.count[BB_REPLY], 1);
    assert_int_equal(s.count[BB_OPEN], 1);
    assert_int_equal(s.at[BB_OPEN], T_NOW + 14 * DAY);
    assert_int_equal(s.last_at, T_NOW + 14 * DAY);
}

/* Events in any order give the same state. */
static void test_order_of_events(void **state)
{
    (void)state;
    int64_t t[] = {T_NOW - 40 * DAY, T_NOW - 3 * HOUR, T_NOW - 9 * DAY, T_NOW - 2 * DAY};
    bb_kind k[] = {BB_REPLY, BB_OPEN, BB_CLICK, BB_OPEN};
    bb_state a = {0}, b = {0};
    for (int i = 0; i < 4; i++)
        bb_add(&a, k[i], t[i]);
    for (int i = 3; i >= 0; i--)
        bb_add(&b, k[i], t[i]);
    near(a.key, b.key);
    near(bb_urgency(&a, T_NOW), bb_urgency(&b, T_NOW));
    assert_int_equal(a.last_at, b.last_at);
    double want =
        4 * exp2(-40.0 / 14) + exp2(-3.0 / 24 / 14) + 2 * exp2(-9.0 / 14) + exp2(-2.0 / 14);
    near(bb_score(&a, T_NOW), want);
    near(bb_urgency(&a, T_NOW), 4 * exp2(-40.0) + exp2(-3.0 / 24) + 2 * exp2(-9.0) + exp2(-2.0));
}

/* The key orders people as their scores do, at any time: a reply a month ago
 * against two opens this week swaps places as the weeks pass, key or not. */
static void test_key_orders_at_any_time(void **state)
{
    (void)state;
    bb_state old = {0}, fresh = {0};
    bb_add(&old, BB_REPLY, T_NOW - 30 * DAY);
    bb_add(&old, BB_CLICK, T_NOW - 29 * DAY);
    bb_add(&fresh, BB_OPEN, T_NOW - DAY);
    bb_add(&fresh, BB_OPEN, T_NOW);
    for (int d = 0; d < 200; d += 7) {
        int64_t at = T_NOW + d * DAY;
        assert_int_equal(old.key > fresh.key, bb_score(&old, at) > bb_score(&fresh, at));
    }
    assert_true(fresh.key > old.key);
}

static void test_stars(void **state)
{
    (void)state;
    double top = 10.0;
    assert_int_equal(bb_stars(top, top), 3);
    assert_int_equal(bb_stars(top + log(0.5001), top), 3);
    assert_int_equal(bb_stars(top + log(0.49), top), 2);
    assert_int_equal(bb_stars(top + log(0.1501), top), 2);
    assert_int_equal(bb_stars(top + log(0.14), top), 1);
    assert_int_equal(bb_stars(top - 500, top), 1);
    assert_int_equal(bb_stars(NAN, top), 0);
}

static void test_flames(void **state)
{
    (void)state;
    bb_state s = {0};
    bb_add(&s, BB_OPEN, T_NOW - HOUR); /* one fresh event: recent and concentrated */
    assert_int_equal(bb_flames(&s, T_NOW), 3);
    assert_int_equal(bb_flames(&s, T_NOW + 2 * DAY), 1); /* within the week, no longer fresh */
    assert_int_equal(bb_flames(&s, T_NOW + 7 * DAY), 0); /* past the week */
    /* steady engagement for two months and one open today: recent, not concentrated */
    bb_state steady = {0};
    for (int i = 60; i > 8; i -= 3)
        bb_add(&steady, BB_CLICK, T_NOW - i * DAY);
    assert_int_equal(bb_flames(&steady, T_NOW), 0);
    bb_add(&steady, BB_OPEN, T_NOW - HOUR);
    assert_int_equal(bb_flames(&steady, T_NOW), 2);
    /* a burst today */
    bb_state burst = {0};
    bb_add(&burst, BB_REPLY, T_NOW - 200 * DAY);
    for (int i = 0; i < 4; i++)
        bb_add(&burst, BB_CLICK, T_NOW - i * HOUR);
    assert_int_equal(bb_flames(&burst, T_NOW), 3);
}

/* ---- the store, on both engines ---- */

static void exec(db *d, const char *sql)
{
    if (db_exec(d, sql))
        fail_msg("%s: %s", sql, hail_errmsg());
}

static int64_t add_person(db *d, int64_t marketo_id, const char *owner)
{
    db_st *st = db_stmt(d, "INSERT INTO people (marketo_id, email, owner_email, active, created_at,"
                           " updated_at) VALUES ($1, 'p@example.com', $2, 1, 0, 0) RETURNING id");
    assert_non_null(st);
    db_bind_i64(st, 1, marketo_id);
    db_bind_text(st, 2, owner, -1);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_reset(st);
    return id;
}

static void record(db *d, const char *type, int64_t person, int64_t at, int machine)
{
    activity a = {.type = type, .person_id = person, .occurred_at = at, .machine = machine};
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(activity_record(d, &a, NULL), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
}

typedef struct row {
    int64_t person;
    double key, u_sum;
    int64_t u_at, last_at, opens, clicks, replies, reply_at;
} row;

static int rows(db *d, row *out, int max)
{
    db_st *st = db_prepare(d, "SELECT person_id, rank_key, u_sum, u_at, last_at, opens, clicks,"
                              " replies, reply_at, owner FROM best_bets ORDER BY person_id");
    assert_non_null(st);
    int n = 0;
    while (db_step(st) == DB_ROW && n < max) {
        row *r = &out[n++];
        r->person = db_col_i64(st, 0);
        r->key = db_col_double(st, 1);
        r->u_sum = db_col_double(st, 2);
        r->u_at = db_col_i64(st, 3);
        r->last_at = db_col_i64(st, 4);
        r->opens = db_col_i64(st, 5);
        r->clicks = db_col_i64(st, 6);
        r->replies = db_col_i64(st, 7);
        r->reply_at = db_col_i64(st, 8);
        assert_string_equal(db_col_text(st, 9), "rep@example.com");
    }
    db_st_free(st);
    return n;
}

static void test_updates_and_rebuild_agree(void **state)
{
    db *d = efx(state)->f.d;
    int64_t p[3];
    for (int i = 0; i < 3; i++)
        p[i] = add_person(d, 100 + i, "Rep@Example.com");
    record(d, ACT_EMAIL_OPEN, p[0], T_NOW - 3 * DAY, 0);
    record(d, ACT_EMAIL_REPLY, p[0], T_NOW - 2 * HOUR, 0);
    record(d, ACT_EMAIL_CLICK, p[0], T_NOW - 20 * DAY, 0); /* older than the others */
    record(d, ACT_EMAIL_OPEN, p[1], T_NOW - HOUR, 0);
    record(d, ACT_EMAIL_OPEN, p[1], T_NOW - 400 * DAY, 0);
    /* nothing for machine events or other types */
    record(d, ACT_EMAIL_OPEN, p[2], T_NOW, 1);
    record(d, ACT_EMAIL_CLICK, p[2], T_NOW, 1);
    record(d, ACT_EMAIL_SEND, p[2], T_NOW, 0);
    record(d, ACT_EMAIL_AUTOREPLY, p[2], T_NOW, 0);
    row inc[4], reb[4];
    assert_int_equal(rows(d, inc, 4), 2);
    assert_int_equal(inc[0].person, p[0]);
    assert_int_equal(inc[0].opens, 1);
    assert_int_equal(inc[0].clicks, 1);
    assert_int_equal(inc[0].replies, 1);
    assert_int_equal(inc[0].reply_at, T_NOW - 2 * HOUR);
    assert_int_equal(inc[0].last_at, T_NOW - 2 * HOUR);
    assert_int_equal(inc[1].opens, 2);
    int64_t n = -1;
    assert_int_equal(bestbets_rebuild(d, T_NOW, &n), HAIL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows(d, reb, 4), 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(reb[i].person, inc[i].person);
        near(reb[i].key, inc[i].key);
        /* the same urgency, once decayed to one time */
        bb_state a = {.has = 1, .u_sum = inc[i].u_sum, .u_at = inc[i].u_at};
        bb_state b = {.has = 1, .u_sum = reb[i].u_sum, .u_at = reb[i].u_at};
        near(bb_urgency(&a, T_NOW), bb_urgency(&b, T_NOW));
        assert_int_equal(reb[i].last_at, inc[i].last_at);
        assert_int_equal(reb[i].opens, inc[i].opens);
        assert_int_equal(reb[i].clicks, inc[i].clicks);
        assert_int_equal(reb[i].replies, inc[i].replies);
        assert_int_equal(reb[i].reply_at, inc[i].reply_at);
    }
    /* the list: reply first, stars and flames from the formula */
    json_t *a = json_array();
    char next[BESTBETS_CURSOR_MAX];
    bestbets_query q = {.owner = "REP@example.com", .limit = 1, .now = T_NOW};
    assert_int_equal(bestbets_list(d, &q, a, next), HAIL_OK);
    assert_int_equal(json_array_size(a), 1);
    json_t *first = json_array_get(a, 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(first, "person"), "id")),
                     p[0]);
    assert_int_equal(json_integer_value(json_object_get(first, "stars")), 3);
    assert_int_equal(json_integer_value(json_object_get(first, "flames")), 3);
    assert_true(*next);
    q.cursor = next;
    char next2[BESTBETS_CURSOR_MAX];
    assert_int_equal(bestbets_list(d, &q, a, next2), HAIL_OK);
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(next2, "");
    q.cursor = "1,x";
    assert_int_equal(bestbets_list(d, &q, a, next2), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "cursor is not one this list gave");
    json_decref(a);
}

/* The first page reads best_bets_owner in order: no sort, no scan of the table. */
static void test_first_page_is_a_range_read(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    exec(d, "INSERT INTO people (id, marketo_id, email, owner_email, active, created_at,"
            " updated_at) SELECT n, n, 'p@example.com', 'u' || (n % 20) || '@example.com', 1, 0, 0"
            " FROM (WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 4000)"
            " SELECT n FROM s) AS g");
    exec(d, "INSERT INTO best_bets (person_id, owner, rank_key, u_sum, u_at, last_at, opens,"
            " clicks, replies) SELECT id, owner_email, id * 0.001, 1, 0, 0, 1, 0, 0 FROM people");
    exec(d, "ANALYZE");
    const char *sql = bestbets_first_page_sql();
    size_t len = strlen(sql) + 32;
    char *ex = malloc(len);
    assert_non_null(ex);
    snprintf(ex, len, "%s %s", x->pg ? "EXPLAIN" : "EXPLAIN QUERY PLAN", sql);
    db_st *st = db_prepare(d, ex);
    if (!st)
        fail_msg("%s: %s", ex, hail_errmsg());
    db_bind_text(st, 1, "u3@example.com", -1);
    db_bind_i64(st, 2, 0);
    db_bind_i64(st, 3, 51);
    char plan[8192] = "";
    while (db_step(st) == DB_ROW) {
        const char *line = db_col_text(st, x->pg ? 0 : 3);
        size_t used = strlen(plan);
        snprintf(plan + used, sizeof plan - used, "%s | ", line ? line : "");
    }
    db_st_free(st);
    free(ex);
    if (!strstr(plan, "best_bets_owner") || strstr(plan, "TEMP B-TREE") || strstr(plan, "Sort") ||
        strstr(plan, "SCAN b ") || strstr(plan, "Seq Scan on best_bets"))
        fail_msg("the first page is not a range read of best_bets_owner: %s", plan);
    /* and the page is right */
    json_t *a = json_array();
    char next[BESTBETS_CURSOR_MAX];
    bestbets_query q = {.owner = "u3@example.com", .limit = 3, .now = T_NOW};
    assert_int_equal(bestbets_list(d, &q, a, next), HAIL_OK);
    assert_int_equal(json_array_size(a), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(json_integer_value(json_object_get(
                             json_object_get(json_array_get(a, i), "person"), "id")),
                         3983 - 20 * (json_int_t)i);
    json_decref(a);
}

/* The rebuild reads activities_insight alone, in person order: no sort, no
 * table lookups (SQLite; PostgreSQL picks its own plan for a whole-table
 * aggregate). */
static void test_rebuild_reads_one_index(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    const char *sql = bestbets_rebuild_sql(d);
    size_t len = strlen(sql) + 32;
    char *ex = malloc(len);
    assert_non_null(ex);
    snprintf(ex, len, "EXPLAIN QUERY PLAN %s", sql);
    db_st *st = db_prepare(d, ex);
    if (!st)
        fail_msg("%s: %s", ex, hail_errmsg());
    char plan[8192] = "";
    while (db_step(st) == DB_ROW) {
        const char *line = db_col_text(st, 3);
        size_t used = strlen(plan);
        snprintf(plan + used, sizeof plan - used, "%s | ", line ? line : "");
    }
    db_st_free(st);
    free(ex);
    if (!strstr(plan, "COVERING INDEX activities_insight") || strstr(plan, "TEMP B-TREE"))
        fail_msg("the rebuild does not read activities_insight alone in order: %s", plan);
}

/* The catch-up: due only with scored events and no state; steps of any size
 * (one here: a few activities each) end with the rows the one-pass rebuild
 * writes; a step repeated (a restart after a kill) counts nothing twice. */
static void test_catchup_in_steps(void **state)
{
    db *d = efx(state)->f.d;
    int64_t from = -1;
    int due = -1;
    assert_int_equal(bestbets_catchup_due(d, &from, &due), HAIL_OK);
    assert_int_equal(due, 0); /* nothing in the log */
    int64_t p[5];
    for (int i = 0; i < 5; i++)
        p[i] = add_person(d, 200 + i, "rep@example.com");
    for (int i = 0; i < 5; i++) {
        record(d, ACT_EMAIL_SEND, p[i], T_NOW - 5 * DAY, 0);
        record(d, ACT_EMAIL_OPEN, p[i], T_NOW - (i + 1) * DAY, 0);
        record(d, ACT_EMAIL_OPEN, p[i], T_NOW - HOUR, 1); /* machine */
        if (i % 2)
            record(d, ACT_EMAIL_CLICK, p[i], T_NOW - i * HOUR, 0);
    }
    row want[8], got[8];
    assert_int_equal(rows(d, want, 8), 5);
    assert_int_equal(bestbets_catchup_due(d, &from, &due), HAIL_OK);
    assert_int_equal(due, 0); /* the state is there */
    exec(d, "DELETE FROM best_bets");
    assert_int_equal(bestbets_catchup_due(d, &from, &due), HAIL_OK);
    assert_int_equal(due, 1);
    assert_int_equal(from, 0);
    bestbets_step s;
    assert_int_equal(bestbets_catchup_step(d, T_NOW, 5, &s), HAIL_OK);
    assert_false(s.done);
    assert_int_equal(s.next, p[1]); /* the 6th activity in person order is p[1]'s */
    assert_int_equal(s.people, 1);
    /* killed here: the next start resumes at p[1] */
    assert_int_equal(bestbets_catchup_due(d, &from, &due), HAIL_OK);
    assert_int_equal(due, 1);
    assert_int_equal(from, p[1]);
    /* an event recorded meanwhile, for a person not yet rebuilt and for one done */
    record(d, ACT_EMAIL_REPLY, p[3], T_NOW - 2 * HOUR, 0);
    record(d, ACT_EMAIL_REPLY, p[0], T_NOW - 2 * HOUR, 0);
    int steps = 0;
    do {
        assert_int_equal(bestbets_catchup_step(d, T_NOW, 5, &s), HAIL_OK);
        steps++;
    } while (!s.done && steps < 20);
    assert_true(s.done);
    assert_int_equal(s.next, INT64_MAX);
    assert_true(steps >= 3);
    assert_int_equal(bestbets_catchup_due(d, &from, &due), HAIL_OK);
    assert_int_equal(due, 0);
    assert_int_equal(rows(d, got, 8), 5);
    int64_t n = 0;
    assert_int_equal(bestbets_rebuild(d, T_NOW, &n), HAIL_OK);
    assert_int_equal(n, 5);
    assert_int_equal(rows(d, want, 8), 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(got[i].person, want[i].person);
        near(got[i].key, want[i].key);
        assert_int_equal(got[i].opens, want[i].opens);
        assert_int_equal(got[i].opens, 1);
        assert_int_equal(got[i].clicks, want[i].clicks);
        assert_int_equal(got[i].replies, want[i].replies);
        assert_int_equal(got[i].last_at, want[i].last_at);
    }
    assert_int_equal(got[0].replies, 1);
    assert_int_equal(got[3].replies, 1);
    /* a one-pass rebuild ends a catch-up in progress */
    exec(d, "DELETE FROM best_bets");
    assert_int_equal(bestbets_catchup_due(d, &from, &due), HAIL_OK);
    assert_int_equal(due, 1);
    assert_int_equal(bestbets_rebuild(d, T_NOW, &n), HAIL_OK);
    assert_int_equal(bestbets_catchup_step(d, T_NOW, 5, &s), HAIL_OK);
    assert_true(s.done);
    assert_int_equal(s.people, 0);
    assert_int_equal(bestbets_catchup_due(d, &from, &due), HAIL_OK);
    assert_int_equal(due, 0);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_kinds_and_weights),
        cmocka_unit_test(test_decay),
        cmocka_unit_test(test_order_of_events),
        cmocka_unit_test(test_key_orders_at_any_time),
        cmocka_unit_test(test_stars),
        cmocka_unit_test(test_flames),
    };
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_updates_and_rebuild_agree),
        ON_SQLITE(test_first_page_is_a_range_read),
        ON_SQLITE(test_rebuild_reads_one_index),
        ON_SQLITE(test_catchup_in_steps),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_updates_and_rebuild_agree),
        ON_PG(test_first_page_is_a_range_read),
        ON_PG(test_catchup_in_steps),
    };
    int failed = cmocka_run_group_tests_name("pure", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgres", pg_tests, NULL, NULL);
    return failed;
}
