#include "core/common.h"

/* Unit tests for store/feed (the live feed's reads of the log): commit
 * order and the horizon on both engines, and on PostgreSQL that a row whose
 * transaction is still open holds back every row after it (a smaller id
 * committing after a larger one is neither skipped nor repeated); a
 * FeedEvent's JSON; the filters and the visibility scope on the page and
 * on a single row. On SQLite and on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/auth.h"
#include "store/feed.h"
#include "svc/activity.h"
#include "svc/feed.h"
#define ENGINE_FIXTURE_NAME "feed"
#include "engine_fixture.h"
#include "plan.h"

static int64_t add_user(db *d, const char *email, const char *role, const char *team)
{
    int64_t id = 0;
    assert_int_equal(auth_user_add(d, email, "Ann Example", role, team, NULL, -1, NULL, &id),
                     HAIL_OK);
    return id;
}

static int64_t add_person(db *d, int64_t mid, const char *owner, const char *account)
{
    db_st *st = db_stmt(d, "INSERT INTO people (marketo_id, email, first_name, owner_email, "
                           "sfdc_account_id, active, created_at, updated_at) VALUES ($1, "
                           "'p@example.com', 'Pat', $2, $3, 1, 0, 0) RETURNING id");
    assert_non_null(st);
    db_bind_i64(st, 1, mid);
    db_bind_text(st, 2, owner, -1);
    db_bind_text(st, 3, account, -1);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_reset(st);
    return id;
}

/* Records one activity; with commit 0 the transaction stays open. */
static int64_t record(db *d, const char *type, int64_t person, int64_t uid, int machine, int commit)
{
    activity a = {.type = type,
                  .person_id = person,
                  .user_id = uid,
                  .machine = machine,
                  .occurred_at = INT64_C(1764000000000000)};
    int64_t id = 0;
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(activity_record(d, &a, &id), HAIL_OK);
    if (commit)
        assert_int_equal(db_commit(d), HAIL_OK);
    return id;
}

/* PostgreSQL's horizon is the cluster's: a writing transaction of another
 * test's database (ctest runs them side by side on one server) holds it
 * back for a while. Waits (up to 30 s) until the rows after `after` number
 * at least want; returns how many there are then. */
static size_t wait_rows(db *d, feed_pos after, size_t want)
{
    for (int i = 0; i < 3000; i++) {
        feed_row *rows;
        size_t n;
        assert_int_equal(feed_read_after(d, after, 100, &rows, &n), HAIL_OK);
        feed_rows_free(rows, n);
        free(rows);
        if (n >= want)
            return n;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void read_ids(db *d, feed_pos after, int64_t *ids, size_t *n, feed_pos *last)
{
    feed_row *rows;
    assert_int_equal(feed_read_after(d, after, 100, &rows, n), HAIL_OK);
    for (size_t i = 0; i < *n; i++) {
        ids[i] = rows[i].pos.id;
        if (i)
            assert_true(feed_pos_cmp(rows[i - 1].pos, rows[i].pos) < 0);
    }
    if (*n && last)
        *last = rows[*n - 1].pos;
    feed_rows_free(rows, *n);
    free(rows);
}

static void test_commit_order_and_event_json(void **state)
{
    db *d = efx(state)->f.d;
    feed_pos h;
    assert_int_equal(feed_horizon(d, &h), HAIL_OK);
    assert_true(h.id == 0 && h.xact == 0);
    int64_t ann = add_user(d, "ann@example.com", "rep", NULL);
    int64_t p = add_person(d, 1, "ANN@example.com", "001A");
    int64_t a1 = record(d, ACT_EMAIL_OPEN, p, ann, 0, 1);
    int64_t a2 = record(d, ACT_CALL, p, 0, 1, 1);
    assert_int_equal(wait_rows(d, (feed_pos){0, 0}, 2), 2);
    assert_int_equal(feed_horizon(d, &h), HAIL_OK);
    assert_int_equal(h.id, a2);
    feed_pos pos;
    assert_int_equal(feed_position(d, a1, &pos), HAIL_OK);
    assert_int_equal(pos.id, a1);
    assert_true(feed_pos_cmp(pos, h) < 0);
    assert_int_equal(feed_position(d, a2 + 100, &pos), HAIL_ENOTFOUND);
    char msg[64];
    snprintf(msg, sizeof msg, "no activity with id %lld", (long long)(a2 + 100));
    assert_string_equal(hail_errmsg(), msg);

    feed_row *rows;
    size_t n;
    assert_int_equal(feed_read_after(d, (feed_pos){0, 0}, 100, &rows, &n), HAIL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].pos.id, a1);
    assert_int_equal(rows[0].user_id, ann);
    assert_string_equal(rows[0].owner, "ann@example.com");
    assert_string_equal(rows[0].account, "001A");
    assert_null(rows[0].opportunity);
    assert_int_equal(rows[1].machine, 1);
    char *s = json_dumps(rows[0].event, JSON_COMPACT | JSON_SORT_KEYS);
    char want[1024];
    snprintf(want, sizeof want,
             "{\"attrs\":{},\"call_id\":null,\"campaign\":null,\"campaign_id\":null,\"email\":null,"
             "\"email_id\":null,\"id\":%lld,\"machine\":false,\"occurred_at\":\"2025-11-24T16:00:"
             "00Z\",\"person\":{\"company\":null,\"email\":\"p@example.com\",\"first_name\":"
             "\"Pat\",\"id\":%lld,\"last_name\":null,\"owner_email\":\"ANN@example.com\"},"
             "\"person_id\":%lld,\"template_id\":null,\"type\":\"email_open\",\"user\":{\"id\":%"
             "lld,\"name\":\"Ann Example\"},\"user_id\":%lld}",
             (long long)a1, (long long)p, (long long)p, (long long)ann, (long long)ann);
    assert_string_equal(s, want);
    free(s);
    feed_rows_free(rows, n);
    free(rows);

    /* After the last one: nothing; after the first: the second. */
    int64_t ids[8];
    read_ids(d, h, ids, &n, NULL);
    assert_int_equal(n, 0);
    assert_int_equal(feed_position(d, a1, &pos), HAIL_OK);
    read_ids(d, pos, ids, &n, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], a2);
}

/* PostgreSQL: X takes the smaller id but commits after Y; a reader by id
 * alone would have read Y, moved past X's id and never seen X. */
static void test_pg_open_transaction_holds_the_horizon(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    /* Two people: writes of one person's activities may wait for each
     * other (per-person state kept in activity_record's transaction). */
    int64_t p = add_person(d, 1, "a@example.com", NULL);
    int64_t q = add_person(d, 2, "a@example.com", NULL);
    int64_t a0 = record(d, ACT_EMAIL_SEND, p, 0, 0, 1);
    assert_int_equal(wait_rows(d, (feed_pos){0, 0}, 1), 1);
    feed_pos start;
    assert_int_equal(feed_horizon(d, &start), HAIL_OK);
    assert_int_equal(start.id, a0);

    db *d2;
    assert_int_equal(db_open(x->url, 0, &d2), HAIL_OK);
    int64_t ax = record(d2, ACT_EMAIL_OPEN, q, 0, 0, 0); /* open */
    int64_t ay = record(d, ACT_EMAIL_CLICK, p, 0, 0, 1); /* committed */
    assert_true(ax < ay);

    int64_t ids[8];
    size_t n;
    read_ids(d, start, ids, &n, NULL);
    assert_int_equal(n, 0); /* Y waits for X */
    feed_pos h;
    assert_int_equal(feed_horizon(d, &h), HAIL_OK);
    assert_int_equal(feed_pos_cmp(h, start), 0);

    assert_int_equal(db_commit(d2), HAIL_OK);
    assert_int_equal(wait_rows(d, start, 2), 2);
    feed_pos last = start;
    read_ids(d, start, ids, &n, &last);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], ax);
    assert_int_equal(ids[1], ay);
    read_ids(d, last, ids, &n, NULL);
    assert_int_equal(n, 0);

    /* A rolled-back transaction holds nothing back once it is gone. */
    record(d2, ACT_EMAIL_OPEN, q, 0, 0, 0);
    int64_t az = record(d, ACT_EMAIL_REPLY, p, 0, 0, 1);
    read_ids(d, last, ids, &n, NULL);
    assert_int_equal(n, 0);
    db_rollback(d2);
    assert_int_equal(wait_rows(d, last, 1), 1);
    read_ids(d, last, ids, &n, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], az);
    db_close(d2);
}

static void page_ids(db *d, const feed_filter *f, int64_t before, int limit, int64_t *ids,
                     size_t *n, int64_t *next)
{
    feed_row *rows;
    assert_int_equal(feed_list(d, f, before, limit, &rows, n, next), HAIL_OK);
    for (size_t i = 0; i < *n; i++) {
        ids[i] = rows[i].pos.id;
        assert_true(feed_filter_match(f, &rows[i])); /* the page and the stream agree */
    }
    feed_rows_free(rows, *n);
    free(rows);
}

static void test_filters_and_scope(void **state)
{
    db *d = efx(state)->f.d;
    int64_t ann = add_user(d, "ann@example.com", "rep", "A");
    int64_t bob = add_user(d, "bob@example.com", "rep", "B");
    int64_t pa = add_person(d, 1, "Ann@Example.com", "001A");
    int64_t pb = add_person(d, 2, "bob@example.com", NULL);
    int64_t e1 = record(d, ACT_EMAIL_OPEN, pa, 0, 0, 1);
    int64_t e2 = record(d, ACT_EMAIL_OPEN, pa, 0, 1, 1);   /* machine */
    int64_t e3 = record(d, ACT_EMAIL_SEND, pb, ann, 0, 1); /* Ann emails Bob's person */
    int64_t e4 = record(d, ACT_CALL, pb, bob, 0, 1);

    email_viewer v = {ann, "rep"};
    feed_query q = {.human_only = 1};
    vis_scope s;
    assert_int_equal(feed_scope_load(d, &v, &q, &s), HAIL_OK);
    feed_filter f = {.scope = &s, .human_only = 1};
    int64_t ids[8], next;
    size_t n;
    page_ids(d, &f, 0, 50, ids, &n, &next);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], e3);
    assert_int_equal(ids[1], e1);
    assert_int_equal(next, 0);
    f.human_only = 0;
    page_ids(d, &f, 0, 2, ids, &n, &next);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], e3);
    assert_int_equal(ids[1], e2);
    assert_int_equal(next, e2);
    page_ids(d, &f, next, 2, ids, &n, &next);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], e1);
    assert_int_equal(next, 0);
    f.account = "001A";
    page_ids(d, &f, 0, 50, ids, &n, &next);
    assert_int_equal(n, 2);
    f.account = NULL;
    f.person_id = pb;
    page_ids(d, &f, 0, 50, ids, &n, &next);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], e3);
    vis_scope_free(&s);

    /* An admin, filtered by type. */
    email_viewer root = {add_user(d, "root@example.com", "admin", NULL), "admin"};
    assert_int_equal(feed_scope_load(d, &root, &q, &s), HAIL_OK);
    char *types[] = {"call", "email_send"};
    feed_filter g = {.scope = &s, .types = types, .ntypes = 2, .human_only = 1};
    page_ids(d, &g, 0, 50, ids, &n, &next);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], e4);
    assert_int_equal(ids[1], e3);
    vis_scope_free(&s);
    /* scope=mine: an admin alone owns nothing here and did nothing. */
    q.mine = 1;
    assert_int_equal(feed_scope_load(d, &root, &q, &s), HAIL_OK);
    assert_int_equal(s.all, 0);
    g.scope = &s;
    page_ids(d, &g, 0, 50, ids, &n, &next);
    assert_int_equal(n, 0);
    vis_scope_free(&s);
}

/* The plan of sql (EXPLAIN) with its five parameters bound (an owner or
 * user, machine, before, no type list, a limit): it reads index and does not
 * sort. */
static void plan_reads(db *d, int pg, const char *sql, int text_key, const char *index)
{
    db_st *st = plan_prepare(d, pg, sql);
    if (text_key)
        db_bind_text(st, 1, "rep@example.com", -1);
    else
        db_bind_i64(st, 1, 3);
    db_bind_i64(st, 2, 0);
    db_bind_i64(st, 3, INT64_C(1) << 40);
    db_bind_null(st, 4);
    db_bind_i64(st, 5, 51);
    char plan[4096];
    plan_read(st, pg, plan, sizeof plan);
    if (!strstr(plan, index))
        fail_msg("%s does not read %s: %s", sql, index, plan);
    if (strstr(plan, pg ? "Sort" : "TEMP B-TREE"))
        fail_msg("%s sorts: %s", sql, plan);
}

/* A rep's page reads each covered owner's and user's newest rows of one
 * machine value, human rows only for a human-only page, through an index
 * led by (owner or user, machine): no scan of machine rows to find human
 * ones. */
static void test_key_reads_use_their_indexes(void **state)
{
    engine_fixture *x = efx(state);
    db *d = x->f.d;
    if (x->pg && db_exec(d, "SET enable_seqscan = off"))
        fail_msg("%s", hail_errmsg());
    plan_reads(d, x->pg, x->pg ? feed_sql_by_owner_pg : feed_sql_by_owner_sqlite, 1,
               x->pg ? "activities_owner"
                     : "USING INDEX activities_owner (owner=? AND machine=? AND id<?)");
    plan_reads(d, x->pg, x->pg ? feed_sql_by_user_pg : feed_sql_by_user_sqlite, 0,
               x->pg ? "activities_user"
                     : "USING INDEX activities_user (user_id=? AND machine=? AND id<?)");
    if (x->pg && db_exec(d, "SET enable_seqscan = on"))
        fail_msg("%s", hail_errmsg());
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_commit_order_and_event_json),
        ON_SQLITE(test_filters_and_scope),
        ON_SQLITE(test_key_reads_use_their_indexes),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_commit_order_and_event_json),
        ON_PG(test_pg_open_transaction_holds_the_horizon),
        ON_PG(test_filters_and_scope),
        ON_PG(test_key_reads_use_their_indexes),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
