#include "core/common.h"

/* Unit tests for store/outbox (the log consumers' cursors, batches in
 * flight, skips and re-queues): a new consumer starts at the beginning of
 * the log; rows come in commit order with the person's ids; a finished batch
 * moves the cursor and counts; skips are recorded with their reasons and a
 * re-queued one comes first; a batch left in flight is listed with its ids;
 * the cursor never moves back. On SQLite and on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "store/outbox.h"
#include "svc/activity.h"
#define ENGINE_FIXTURE_NAME "outbox"
#include "engine_fixture.h"

static int64_t add_person(db *d, int64_t mid, const char *lead)
{
    db_st *st = db_stmt(d, "INSERT INTO people (marketo_id, email, first_name, sfdc_lead_id,"
                           " active, created_at, updated_at) VALUES ($1, 'p@example.com', 'Pat',"
                           " $2, 1, 0, 0) RETURNING id");
    assert_non_null(st);
    db_bind_i64(st, 1, mid);
    if (lead)
        db_bind_text(st, 2, lead, -1);
    else
        db_bind_null(st, 2);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t id = db_col_i64(st, 0);
    db_reset(st);
    return id;
}

static int64_t record(db *d, const char *type, int64_t person)
{
    activity a = {.type = type, .person_id = person, .occurred_at = INT64_C(1764000000000000)};
    int64_t id = 0;
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(activity_record(d, &a, &id), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    return id;
}

/* PostgreSQL's horizon is the cluster's (see test_feed.c): waits until the
 * consumer can read at least want rows. */
static void read_wait(db *d, const char *consumer, int limit, size_t want, outbox_row **rows,
                      size_t *n, feed_pos *end)
{
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(outbox_read(d, consumer, limit, rows, n, end), HAIL_OK);
        if (*n >= want)
            return;
        outbox_rows_free(*rows, *n);
        free(*rows);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("the outbox never had %zu rows", want);
}

static int64_t one_i64(db *d, const char *sql, const char *consumer)
{
    db_st *st = db_stmt(d, sql);
    assert_non_null(st);
    db_bind_text(st, 1, consumer, -1);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t v = db_col_i64(st, 0);
    db_reset(st);
    return v;
}

static void test_read_finish_skip_retry(void **state)
{
    db *d = efx(state)->f.d;
    feed_pos at;
    assert_int_equal(outbox_cursor(d, "marketo", &at), HAIL_OK);
    assert_true(at.xact == 0 && at.id == 0);

    int64_t p = add_person(d, 77, "00Q1");
    int64_t q = add_person(d, 78, NULL);
    int64_t a1 = record(d, ACT_EMAIL_OPEN, p);
    int64_t a2 = record(d, ACT_CALL, q);
    int64_t a3 = record(d, ACT_EMAIL_REPLY, p);

    outbox_row *rows;
    size_t n;
    feed_pos end;
    read_wait(d, "marketo", 2, 2, &rows, &n, &end);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].pos.id, a1);
    assert_int_equal(rows[1].pos.id, a2);
    assert_string_equal(rows[0].type, ACT_EMAIL_OPEN);
    assert_int_equal(rows[0].marketo_id, 77);
    assert_string_equal(rows[0].sfdc_lead_id, "00Q1");
    assert_null(rows[1].sfdc_lead_id);
    assert_int_equal(rows[1].retry, 0);
    assert_true(feed_pos_cmp(end, rows[1].pos) == 0);
    outbox_rows_free(rows, n);
    free(rows);

    /* a batch in flight, then finished: one delivered, one skipped */
    int64_t ids[] = {a1, a2}, bid = 0;
    assert_int_equal(outbox_batch_begin(d, "marketo", ids, 2, end, &bid), HAIL_OK);
    assert_true(bid > 0);
    outbox_batch *b;
    size_t nb;
    assert_int_equal(outbox_batches(d, "marketo", &b, &nb), HAIL_OK);
    assert_int_equal(nb, 1);
    assert_int_equal(b[0].id, bid);
    assert_int_equal(b[0].n, 2);
    assert_int_equal(b[0].activity_ids[1], a2);
    assert_true(feed_pos_cmp(b[0].end, end) == 0);
    outbox_batches_free(b, nb);

    outbox_result res[] = {{a1, NULL, 0, 0}, {a2, "1004 Lead not found", 0, 0}};
    assert_int_equal(outbox_batch_finish(d, "marketo", bid, end, res, 2, 1), HAIL_OK);
    assert_int_equal(outbox_batches(d, "marketo", &b, &nb), HAIL_OK);
    assert_int_equal(nb, 0);
    outbox_batches_free(b, nb);
    assert_int_equal(
        one_i64(d, "SELECT sent * 100 + skipped * 10 + calls FROM log_cursors WHERE consumer = $1",
                "marketo"),
        111);
    assert_int_equal(one_i64(d,
                             "SELECT count(*) FROM outbox_skips WHERE consumer = $1"
                             " AND reason = '1004 Lead not found'",
                             "marketo"),
                     1);

    /* what is left to read of what was recorded: a3 */
    int64_t last, unread;
    assert_int_equal(outbox_last_id(d, &last), HAIL_OK);
    assert_int_equal(last, a3);
    assert_int_equal(outbox_unread(d, "marketo", last, &unread), HAIL_OK);
    assert_int_equal(unread, 1);
    assert_int_equal(outbox_unread(d, "marketo", a2, &unread), HAIL_OK);
    assert_int_equal(unread, 0);

    /* the next read starts after the batch */
    read_wait(d, "marketo", 10, 1, &rows, &n, &end);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].pos.id, a3);
    outbox_rows_free(rows, n);
    free(rows);

    /* "retry now": the skipped record comes first, marked */
    db_st *st = db_stmt(d, "INSERT INTO outbox_retry (consumer, activity_id) SELECT consumer,"
                           " activity_id FROM outbox_skips WHERE consumer = $1");
    assert_non_null(st);
    db_bind_text(st, 1, "marketo", -1);
    assert_int_equal(db_step_done(d, st, "test"), HAIL_OK);
    read_wait(d, "marketo", 10, 2, &rows, &n, &end);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].pos.id, a2);
    assert_int_equal(rows[0].retry, 1);
    assert_int_equal(rows[1].pos.id, a3);
    assert_int_equal(rows[1].retry, 0);
    outbox_rows_free(rows, n);
    free(rows);
    /* a3 passes (not for this destination): neither sent nor skipped */
    outbox_result res2[] = {{a2, NULL, 0, 1}, {a3, NULL, 1, 0}};
    assert_int_equal(outbox_batch_finish(d, "marketo", 0, end, res2, 2, 1), HAIL_OK);
    assert_int_equal(
        one_i64(d, "SELECT sent * 100 + skipped * 10 + calls FROM log_cursors WHERE consumer = $1",
                "marketo"),
        212);
    assert_int_equal(one_i64(d, "SELECT count(*) FROM outbox_skips WHERE consumer = $1", "marketo"),
                     0);
    assert_int_equal(one_i64(d, "SELECT count(*) FROM outbox_retry WHERE consumer = $1", "marketo"),
                     0);
    assert_int_equal(outbox_read(d, "marketo", 10, &rows, &n, &end), HAIL_OK);
    assert_int_equal(n, 0);
    assert_null(rows);
    assert_int_equal(outbox_unread(d, "marketo", last, &unread), HAIL_OK);
    assert_int_equal(unread, 0);

    /* another consumer has its own cursor; the cursor never moves back */
    assert_int_equal(outbox_cursor(d, "salesforce", &at), HAIL_OK);
    assert_true(at.id == 0);
    feed_pos back = {0, a1};
    assert_int_equal(outbox_advance(d, "marketo", back, 0), HAIL_OK);
    assert_int_equal(outbox_cursor(d, "marketo", &at), HAIL_OK);
    assert_int_equal(at.id, a3);

    /* rows by id, for a reconcile */
    int64_t want[] = {a3, a1};
    assert_int_equal(outbox_read_ids(d, want, 2, &rows, &n), HAIL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].pos.id, a3);
    assert_int_equal(rows[1].pos.id, a1);
    outbox_rows_free(rows, n);
    free(rows);
}

static void test_errors_and_waiting(void **state)
{
    db *d = efx(state)->f.d;
    int64_t until;
    assert_int_equal(outbox_waiting_until(d, "marketo", &until), HAIL_OK);
    assert_int_equal(until, 0);
    assert_int_equal(outbox_note_error(d, "marketo", "607 Daily quota reached", 12345), HAIL_OK);
    assert_int_equal(outbox_waiting_until(d, "marketo", &until), HAIL_OK);
    assert_int_equal(until, 12345);
    db_st *st = db_stmt(d, "SELECT last_error FROM log_cursors WHERE consumer = 'marketo'");
    assert_non_null(st);
    assert_int_equal(db_step(st), DB_ROW);
    assert_string_equal(db_col_text(st, 0), "607 Daily quota reached");
    db_reset(st);
    /* a success clears the error and the wait */
    assert_int_equal(outbox_batch_finish(d, "marketo", 0, (feed_pos){0, 0}, NULL, 0, 1), HAIL_OK);
    assert_int_equal(outbox_waiting_until(d, "marketo", &until), HAIL_OK);
    assert_int_equal(until, 0);
    assert_int_equal(db_step(st), DB_ROW);
    assert_true(db_col_null(st, 0));
    db_reset(st);
}

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        ON_SQLITE(test_read_finish_skip_retry),
        ON_SQLITE(test_errors_and_waiting),
    };
    const struct CMUnitTest pg_tests[] = {
        ON_PG(test_read_finish_skip_retry),
        ON_PG(test_errors_and_waiting),
    };
    int failed = cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
