#include "core/common.h"

/* The outbox's store: store/outbox.h, docs/outbox.md. */
#include "store/outbox.h"

#include <string.h>

#include "core/buf.h"
#include "core/timeutil.h"

#define OB_COLS                                                                                    \
    "a.id, a.type, a.person_id, a.user_id, a.email_id, a.template_id, a.campaign_id, a.call_id,"   \
    " a.occurred_at, a.machine, a.attrs, p.marketo_id, p.email, p.sfdc_lead_id,"                   \
    " p.sfdc_contact_id, p.sfdc_account_id, p.sfdc_opportunity_id, u.name, u.email, e.subject,"    \
    " t.name, c.name, k.outcome, k.number_dialed, k.notes, k.duration_s"
#define OB_FROM                                                                                    \
    " FROM activities a LEFT JOIN people p ON p.id = a.person_id"                                  \
    " LEFT JOIN users u ON u.id = a.user_id LEFT JOIN emails e ON e.id = a.email_id"               \
    " LEFT JOIN templates t ON t.id = a.template_id"                                               \
    " LEFT JOIN campaigns c ON c.id = a.campaign_id LEFT JOIN calls k ON k.id = a.call_id"
/* the position's xact, column 26 */
#define OB_XACT_SQLITE ", 0"
#define OB_XACT_PG     ", CAST(CAST(a.xact AS text) AS BIGINT)"
#define OB_XACT_COL    26

#define REASON_MAX 1000

static int64_t ref(db_st *st, int i)
{
    return db_col_null(st, i) ? 0 : db_col_i64(st, i);
}

static char *dup_col(db_st *st, int i, int *oom)
{
    const char *s = db_col_text(st, i);
    if (!s)
        return NULL;
    char *c = strdup(s);
    if (!c)
        *oom = 1;
    return c;
}

void outbox_rows_free(outbox_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        outbox_row *r = &rows[i];
        free(r->type);
        json_decref(r->attrs);
        free(r->person_email);
        free(r->sfdc_lead_id);
        free(r->sfdc_contact_id);
        free(r->sfdc_account_id);
        free(r->sfdc_opportunity_id);
        free(r->user_name);
        free(r->user_email);
        free(r->email_subject);
        free(r->template_name);
        free(r->campaign_name);
        free(r->call_outcome);
        free(r->call_number);
        free(r->call_notes);
    }
}

static hail_err row_read(db_st *st, outbox_row *r, int retry)
{
    memset(r, 0, sizeof *r);
    int oom = 0;
    r->pos.id = db_col_i64(st, 0);
    r->pos.xact = db_col_i64(st, OB_XACT_COL);
    r->retry = retry;
    r->type = dup_col(st, 1, &oom);
    r->person_id = db_col_i64(st, 2);
    r->user_id = ref(st, 3);
    r->email_id = ref(st, 4);
    r->template_id = ref(st, 5);
    r->campaign_id = ref(st, 6);
    r->call_id = ref(st, 7);
    r->occurred_at = db_col_i64(st, 8);
    r->machine = db_col_int(st, 9) != 0;
    const char *attrs = db_col_text(st, 10);
    json_error_t jerr;
    r->attrs = json_loads(attrs ? attrs : "{}", 0, &jerr);
    if (!json_is_object(r->attrs)) {
        json_decref(r->attrs);
        r->attrs = json_object();
    }
    r->marketo_id = ref(st, 11);
    r->person_email = dup_col(st, 12, &oom);
    r->sfdc_lead_id = dup_col(st, 13, &oom);
    r->sfdc_contact_id = dup_col(st, 14, &oom);
    r->sfdc_account_id = dup_col(st, 15, &oom);
    r->sfdc_opportunity_id = dup_col(st, 16, &oom);
    r->user_name = dup_col(st, 17, &oom);
    r->user_email = dup_col(st, 18, &oom);
    r->email_subject = dup_col(st, 19, &oom);
    r->template_name = dup_col(st, 20, &oom);
    r->campaign_name = dup_col(st, 21, &oom);
    r->call_outcome = dup_col(st, 22, &oom);
    r->call_number = dup_col(st, 23, &oom);
    r->call_notes = dup_col(st, 24, &oom);
    r->call_duration_s = ref(st, 25);
    if (oom || !r->type || !r->attrs) {
        outbox_rows_free(r, 1);
        memset(r, 0, sizeof *r);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

/* Appends the rows of st (stepped to the end) to *rows. */
static hail_err rows_append(db *d, db_st *st, int retry, outbox_row **rows, size_t *n, size_t *cap,
                            const char *what)
{
    hail_err e = HAIL_OK;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 64;
            outbox_row *nr = realloc(*rows, ncap * sizeof *nr);
            if (!nr) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            *rows = nr;
            *cap = ncap;
        }
        if ((e = row_read(st, &(*rows)[*n], retry)))
            break;
        (*n)++;
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, what);
    db_reset(st);
    return e;
}

static hail_err cursor_ensure(db *d, const char *consumer)
{
    db_st *st = db_stmt(d, DB_SQL(d,
                                  "INSERT INTO log_cursors (consumer, updated_at) VALUES ($1, $2)"
                                  " ON CONFLICT (consumer) DO NOTHING",
                                  "INSERT INTO log_cursors (consumer, updated_at) VALUES ($1, $2)"
                                  " ON CONFLICT (consumer) DO NOTHING"));
    if (!st)
        return db_fail(d, "starting an outbox");
    db_bind_text(st, 1, consumer, -1);
    db_bind_i64(st, 2, time_now_us());
    return db_step_done(d, st, "starting an outbox");
}

hail_err outbox_cursor(db *d, const char *consumer, feed_pos *out)
{
    out->xact = out->id = 0;
    db_st *st = db_stmt(d, "SELECT pos_xact, pos_id FROM log_cursors WHERE consumer = $1");
    if (!st)
        return db_fail(d, "reading an outbox's position");
    db_bind_text(st, 1, consumer, -1);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        out->xact = db_col_i64(st, 0);
        out->id = db_col_i64(st, 1);
    }
    db_reset(st);
    if (rc == DB_ERROR)
        return db_fail(d, "reading an outbox's position");
    return rc == DB_ROW ? HAIL_OK : cursor_ensure(d, consumer);
}

/* Appends up to limit final rows after `after`; *end the last one's position
 * (unchanged when none). */
static hail_err log_after(db *d, feed_pos after, int limit, outbox_row **rows, size_t *n,
                          size_t *cap, feed_pos *end)
{
    db_st *st = db_stmt(d, DB_SQL(d,
                                  "SELECT " OB_COLS OB_XACT_SQLITE OB_FROM
                                  " WHERE a.id > $1 ORDER BY a.id LIMIT $2",
                                  "SELECT " OB_COLS OB_XACT_PG OB_FROM
                                  " WHERE (a.xact, a.id) > (CAST($1 AS xid8), $2)"
                                  " AND a.xact < pg_snapshot_xmin(pg_current_snapshot())"
                                  " ORDER BY a.xact, a.id LIMIT $3"));
    if (!st)
        return db_fail(d, "reading an outbox");
    feed_bind_after(d, st, after, limit);
    size_t first = *n;
    hail_err e = rows_append(d, st, 0, rows, n, cap, "reading an outbox");
    if (!e && *n > first)
        *end = (*rows)[*n - 1].pos;
    return e;
}

hail_err outbox_read_after(db *d, feed_pos after, int limit, outbox_row **rows, size_t *n,
                           feed_pos *end)
{
    *rows = NULL;
    *n = 0;
    *end = after;
    size_t cap = 0;
    hail_err e = limit > 0 ? log_after(d, after, limit, rows, n, &cap, end) : HAIL_OK;
    if (e) {
        outbox_rows_free(*rows, *n);
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return e;
}

hail_err outbox_read(db *d, const char *consumer, int limit, outbox_row **rows, size_t *n,
                     feed_pos *end)
{
    *rows = NULL;
    *n = 0;
    size_t cap = 0;
    feed_pos at;
    hail_err e = outbox_cursor(d, consumer, &at);
    if (e)
        return e;
    *end = at;
    if (limit <= 0)
        return HAIL_OK;

    /* the re-queued first: a short list, by its primary key */
    db_st *st = db_stmt(d, DB_SQL(d,
                                  "SELECT " OB_COLS OB_XACT_SQLITE OB_FROM
                                  " JOIN outbox_retry r ON r.activity_id = a.id"
                                  " WHERE r.consumer = $1 ORDER BY r.activity_id LIMIT $2",
                                  "SELECT " OB_COLS OB_XACT_PG OB_FROM
                                  " JOIN outbox_retry r ON r.activity_id = a.id"
                                  " WHERE r.consumer = $1 ORDER BY r.activity_id LIMIT $2"));
    if (!st)
        return db_fail(d, "reading an outbox");
    db_bind_text(st, 1, consumer, -1);
    db_bind_i64(st, 2, limit);
    if ((e = rows_append(d, st, 1, rows, n, &cap, "reading an outbox")))
        goto fail;
    if ((int)*n >= limit)
        return HAIL_OK;

    /* then the log after the cursor, in commit order (store/feed.h) */
    if ((e = log_after(d, at, limit - (int)*n, rows, n, &cap, end)))
        goto fail;
    return HAIL_OK;
fail:
    outbox_rows_free(*rows, *n);
    free(*rows);
    *rows = NULL;
    *n = 0;
    return e;
}

hail_err outbox_read_ids(db *d, const int64_t *ids, size_t nids, outbox_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    size_t cap = 0;
    db_st *st = db_stmt(d, DB_SQL(d, "SELECT " OB_COLS OB_XACT_SQLITE OB_FROM " WHERE a.id = $1",
                                  "SELECT " OB_COLS OB_XACT_PG OB_FROM " WHERE a.id = $1"));
    if (!st)
        return db_fail(d, "reading an outbox");
    hail_err e = HAIL_OK;
    for (size_t i = 0; i < nids && !e; i++) {
        db_bind_i64(st, 1, ids[i]);
        e = rows_append(d, st, 0, rows, n, &cap, "reading an outbox");
    }
    if (e) {
        outbox_rows_free(*rows, *n);
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return e;
}

hail_err outbox_batch_begin(db *d, const char *consumer, const int64_t *activity_ids, size_t n,
                            feed_pos end, int64_t *batch_id)
{
    buf ids;
    buf_init(&ids, (size_t)1 << 20);
    hail_err e = buf_puts(&ids, "[");
    for (size_t i = 0; i < n && !e; i++)
        e = buf_printf(&ids, "%s%lld", i ? "," : "", (long long)activity_ids[i]);
    if (!e)
        e = buf_puts(&ids, "]");
    if (e) {
        buf_release(&ids);
        return e;
    }
    db_st *st = db_stmt(d, "INSERT INTO outbox_batches (consumer, end_xact, end_id, activity_ids,"
                           " started_at) VALUES ($1, $2, $3, $4, $5) RETURNING id");
    if (!st) {
        buf_release(&ids);
        return db_fail(d, "recording a batch in flight");
    }
    db_bind_text(st, 1, consumer, -1);
    db_bind_i64(st, 2, end.xact);
    db_bind_i64(st, 3, end.id);
    db_bind_text(st, 4, buf_cstr(&ids), (int)ids.len);
    db_bind_i64(st, 5, time_now_us());
    int rc = db_step(st);
    if (rc == DB_ROW)
        *batch_id = db_col_i64(st, 0);
    db_reset(st);
    buf_release(&ids);
    return rc == DB_ROW ? HAIL_OK : db_fail(d, "recording a batch in flight");
}

/* Moves the cursor forward to `to` (never back) and adds the counters. */
static hail_err cursor_move(db *d, const char *consumer, feed_pos to, int64_t sent, int64_t skipped,
                            int64_t calls, int ok)
{
    hail_err e = cursor_ensure(d, consumer);
    if (e)
        return e;
    db_st *st =
        db_stmt(d, "UPDATE log_cursors SET"
                   " pos_xact = CASE WHEN pos_xact < $1 OR (pos_xact = $1 AND pos_id < $2) THEN $1"
                   "   ELSE pos_xact END,"
                   " pos_id = CASE WHEN pos_xact < $1 OR (pos_xact = $1 AND pos_id < $2) THEN $2"
                   "   ELSE pos_id END,"
                   " sent = sent + $3, skipped = skipped + $4, calls = calls + $5,"
                   " last_ok_at = CASE WHEN $6 = 1 THEN $7 ELSE last_ok_at END,"
                   " last_error = CASE WHEN $6 = 1 THEN NULL ELSE last_error END,"
                   " last_error_at = CASE WHEN $6 = 1 THEN NULL ELSE last_error_at END,"
                   " waiting_until = CASE WHEN $6 = 1 THEN NULL ELSE waiting_until END,"
                   " updated_at = $7 WHERE consumer = $8");
    if (!st)
        return db_fail(d, "moving an outbox's position");
    db_bind_i64(st, 1, to.xact);
    db_bind_i64(st, 2, to.id);
    db_bind_i64(st, 3, sent);
    db_bind_i64(st, 4, skipped);
    db_bind_i64(st, 5, calls);
    db_bind_i64(st, 6, ok ? 1 : 0);
    db_bind_i64(st, 7, time_now_us());
    db_bind_text(st, 8, consumer, -1);
    return db_step_done(d, st, "moving an outbox's position");
}

/* Records one outcome: a skip (reason), or a delivery (its old skip gone). */
static hail_err result_record(db *d, const char *consumer, const outbox_result *r, int64_t now)
{
    db_st *st;
    if (r->reason && !r->pass) {
        size_t len = strlen(r->reason);
        if (len > REASON_MAX) {
            len = REASON_MAX;
            while (len > 0 && ((unsigned char)r->reason[len] & 0xC0) == 0x80)
                len--; /* not inside a UTF-8 sequence */
        }
        st = db_stmt(d, "INSERT INTO outbox_skips (consumer, activity_id, reason, at)"
                        " VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, activity_id)"
                        " DO UPDATE SET reason = excluded.reason, at = excluded.at");
        if (!st)
            return db_fail(d, "recording a skipped record");
        db_bind_text(st, 1, consumer, -1);
        db_bind_i64(st, 2, r->activity_id);
        db_bind_text(st, 3, r->reason, (int)len);
        db_bind_i64(st, 4, now);
    } else if (!r->retry) {
        return HAIL_OK; /* first read after the cursor: no skip or re-queue to clear */
    } else {
        st = db_stmt(d, "DELETE FROM outbox_skips WHERE consumer = $1 AND activity_id = $2");
        if (!st)
            return db_fail(d, "recording a delivered record");
        db_bind_text(st, 1, consumer, -1);
        db_bind_i64(st, 2, r->activity_id);
    }
    hail_err e = db_step_done(d, st, "recording an outbox result");
    if (e || !r->retry)
        return e;
    st = db_stmt(d, "DELETE FROM outbox_retry WHERE consumer = $1 AND activity_id = $2");
    if (!st)
        return db_fail(d, "recording an outbox result");
    db_bind_text(st, 1, consumer, -1);
    db_bind_i64(st, 2, r->activity_id);
    return db_step_done(d, st, "recording an outbox result");
}

hail_err outbox_batch_finish(db *d, const char *consumer, int64_t batch_id, feed_pos end,
                             const outbox_result *res, size_t n, int64_t calls)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    int64_t now = time_now_us(), skipped = 0, passed = 0;
    for (size_t i = 0; i < n && !e; i++) {
        skipped += res[i].reason != NULL && !res[i].pass;
        passed += res[i].pass;
        e = result_record(d, consumer, &res[i], now);
    }
    if (!e && batch_id) {
        db_st *st = db_stmt(d, "DELETE FROM outbox_batches WHERE id = $1");
        if (!st)
            e = db_fail(d, "ending a batch in flight");
        else {
            db_bind_i64(st, 1, batch_id);
            e = db_step_done(d, st, "ending a batch in flight");
        }
    }
    if (!e)
        e = cursor_move(d, consumer, end, (int64_t)n - skipped - passed, skipped, calls, 1);
    if (!e)
        e = db_commit(d);
    if (e)
        db_rollback(d);
    return e;
}

hail_err outbox_batch_abandon(db *d, int64_t batch_id)
{
    db_st *st = db_stmt(d, "DELETE FROM outbox_batches WHERE id = $1");
    if (!st)
        return db_fail(d, "ending a batch in flight");
    db_bind_i64(st, 1, batch_id);
    return db_step_done(d, st, "ending a batch in flight");
}

void outbox_batches_free(outbox_batch *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(b[i].activity_ids);
    free(b);
}

/* The ids of a batch's JSON array. */
static hail_err ids_parse(const char *text, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    json_error_t jerr;
    json_t *a = json_loads(text ? text : "[]", 0, &jerr);
    if (!json_is_array(a)) {
        json_decref(a);
        return hail_errf(HAIL_EDB, "a batch in flight has no list of activities");
    }
    size_t len = json_array_size(a);
    if (len) {
        *ids = calloc(len, sizeof **ids);
        if (!*ids) {
            json_decref(a);
            return hail_errf(HAIL_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < len; i++)
        if (json_is_integer(json_array_get(a, i)))
            (*ids)[(*n)++] = json_integer_value(json_array_get(a, i));
    json_decref(a);
    return HAIL_OK;
}

hail_err outbox_batches(db *d, const char *consumer, outbox_batch **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    db_st *st = db_stmt(d, "SELECT id, end_xact, end_id, activity_ids, started_at"
                           " FROM outbox_batches WHERE consumer = $1 ORDER BY id");
    if (!st)
        return db_fail(d, "reading batches in flight");
    db_bind_text(st, 1, consumer, -1);
    hail_err e = HAIL_OK;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            outbox_batch *nb = realloc(*out, ncap * sizeof *nb);
            if (!nb) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            *out = nb;
            cap = ncap;
        }
        outbox_batch *b = &(*out)[*n];
        memset(b, 0, sizeof *b);
        b->id = db_col_i64(st, 0);
        b->end.xact = db_col_i64(st, 1);
        b->end.id = db_col_i64(st, 2);
        b->started_at = db_col_i64(st, 4);
        if ((e = ids_parse(db_col_text(st, 3), &b->activity_ids, &b->n)))
            break;
        (*n)++;
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "reading batches in flight");
    db_reset(st);
    if (e) {
        outbox_batches_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

hail_err outbox_note_error(db *d, const char *consumer, const char *message, int64_t waiting_until)
{
    hail_err e = cursor_ensure(d, consumer);
    if (e)
        return e;
    db_st *st = db_stmt(d, "UPDATE log_cursors SET last_error = $1, last_error_at = $2,"
                           " waiting_until = $3, updated_at = $2 WHERE consumer = $4");
    if (!st)
        return db_fail(d, "recording an outbox error");
    size_t len = strlen(message);
    if (len > REASON_MAX) {
        len = REASON_MAX;
        while (len > 0 && ((unsigned char)message[len] & 0xC0) == 0x80)
            len--;
    }
    db_bind_text(st, 1, message, (int)len);
    db_bind_i64(st, 2, time_now_us());
    if (waiting_until)
        db_bind_i64(st, 3, waiting_until);
    else
        db_bind_null(st, 3);
    db_bind_text(st, 4, consumer, -1);
    return db_step_done(d, st, "recording an outbox error");
}

hail_err outbox_last_id(db *d, int64_t *id)
{
    *id = 0;
    db_st *st = db_stmt(d, "SELECT max(id) FROM activities");
    if (!st)
        return db_fail(d, "reading the activity log");
    int rc = db_step(st);
    if (rc == DB_ROW && !db_col_null(st, 0))
        *id = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "reading the activity log") : HAIL_OK;
}

hail_err outbox_unread(db *d, const char *consumer, int64_t upto, int64_t *n)
{
    *n = 0;
    feed_pos at;
    hail_err e = outbox_cursor(d, consumer, &at);
    if (e)
        return e;
    db_st *st = db_stmt(d, DB_SQL(d, "SELECT count(*) FROM activities WHERE id > $1 AND id <= $2",
                                  "SELECT count(*) FROM activities"
                                  " WHERE (xact, id) > (CAST($1 AS xid8), $2) AND id <= $3"));
    if (!st)
        return db_fail(d, "reading the activity log");
    if (db_engine_of(d) == DB_POSTGRES) {
        db_bind_i64(st, 1, at.xact);
        db_bind_i64(st, 2, at.id);
        db_bind_i64(st, 3, upto);
    } else {
        db_bind_i64(st, 1, at.id);
        db_bind_i64(st, 2, upto);
    }
    int rc = db_step(st);
    if (rc == DB_ROW)
        *n = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "reading the activity log") : HAIL_OK;
}

hail_err outbox_waiting_until(db *d, const char *consumer, int64_t *until)
{
    *until = 0;
    db_st *st = db_stmt(d, "SELECT waiting_until FROM log_cursors WHERE consumer = $1");
    if (!st)
        return db_fail(d, "reading an outbox's state");
    db_bind_text(st, 1, consumer, -1);
    int rc = db_step(st);
    if (rc == DB_ROW && !db_col_null(st, 0))
        *until = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "reading an outbox's state") : HAIL_OK;
}

hail_err outbox_advance(db *d, const char *consumer, feed_pos to, int64_t done)
{
    int own = !db_in_tx(d);
    hail_err e = own ? db_begin(d) : HAIL_OK;
    if (e)
        return e;
    e = cursor_move(d, consumer, to, done, 0, 0, 1);
    if (own) {
        if (!e)
            e = db_commit(d);
        if (e)
            db_rollback(d);
    }
    return e;
}
