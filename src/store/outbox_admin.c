#include "core/common.h"

/* Admin -> Integrations' reads of the outbox tables (store/outbox_admin.h). */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "store/outbox_admin.h"

void outbox_status_free(outbox_status *s)
{
    if (s) {
        free(s->last_error);
        s->last_error = NULL;
    }
}

static int64_t col_opt(db_st *st, int i)
{
    return db_col_null(st, i) ? 0 : db_col_i64(st, i);
}

/* One count from a statement whose parameters are bound. */
static hail_err count_one(db *d, db_st *st, int64_t *out, const char *what)
{
    *out = 0;
    int rc = db_step(st);
    if (rc == DB_ROW)
        *out = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, what) : HAIL_OK;
}

hail_err outbox_admin_status(db *d, const char *consumer, outbox_status *out)
{
    const char *what = "reading the outbox status";
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT pos_xact, pos_id, sent, skipped, calls, last_ok_at, last_error,"
                           " last_error_at, waiting_until FROM log_cursors WHERE consumer = $1");
    if (!st)
        return db_fail(d, what);
    db_bind_text_ref(st, 1, consumer, -1);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        out->started = 1;
        out->pos.xact = db_col_i64(st, 0);
        out->pos.id = db_col_i64(st, 1);
        out->sent = db_col_i64(st, 2);
        out->skipped = db_col_i64(st, 3);
        out->calls = db_col_i64(st, 4);
        out->last_ok_at = col_opt(st, 5);
        if (!db_col_null(st, 6) && !(out->last_error = strdup(db_col_text(st, 6)))) {
            db_reset(st);
            return hail_errf(HAIL_ENOMEM, "out of memory");
        }
        out->last_error_at = col_opt(st, 7);
        out->waiting_until = col_opt(st, 8);
    }
    db_reset(st);
    if (rc == DB_ERROR)
        return db_fail(d, what);

    /* The backlog: rows after the cursor in commit order (on PostgreSQL the
     * ones not yet final too: they are waiting all the same), counted over
     * a LIMIT through the primary key / activities_xact. */
    hail_err e;
    st = db_stmt(d, DB_SQL(d,
                           "SELECT count(*) FROM (SELECT 1 FROM activities WHERE id > $1"
                           " LIMIT $2) AS b",
                           "SELECT count(*) FROM (SELECT 1 FROM activities"
                           " WHERE (xact, id) > (CAST($1 AS xid8), $2) LIMIT $3) AS b"));
    if (!st) {
        e = db_fail(d, what);
        goto fail;
    }
    if (db_engine_of(d) == DB_POSTGRES) {
        db_bind_i64(st, 1, out->pos.xact);
        db_bind_i64(st, 2, out->pos.id);
        db_bind_i64(st, 3, OUTBOX_BACKLOG_CAP + 1);
    } else {
        db_bind_i64(st, 1, out->pos.id);
        db_bind_i64(st, 2, OUTBOX_BACKLOG_CAP + 1);
    }
    if ((e = count_one(d, st, &out->backlog, what)))
        goto fail;
    out->backlog_capped = out->backlog > OUTBOX_BACKLOG_CAP;

    st = db_stmt(d, "SELECT count(*) FROM outbox_batches WHERE consumer = $1");
    if (!st) {
        e = db_fail(d, what);
        goto fail;
    }
    db_bind_text_ref(st, 1, consumer, -1);
    if ((e = count_one(d, st, &out->in_flight, what)))
        goto fail;

    st = db_stmt(d, "SELECT count(*) FROM (SELECT 1 FROM outbox_skips WHERE consumer = $1"
                    " LIMIT $2) AS s");
    if (!st) {
        e = db_fail(d, what);
        goto fail;
    }
    db_bind_text_ref(st, 1, consumer, -1);
    db_bind_i64(st, 2, OUTBOX_BACKLOG_CAP + 1);
    if ((e = count_one(d, st, &out->skips, what)))
        goto fail;

    st = db_stmt(d, "SELECT count(*) FROM (SELECT 1 FROM outbox_retry WHERE consumer = $1"
                    " LIMIT $2) AS r");
    if (!st) {
        e = db_fail(d, what);
        goto fail;
    }
    db_bind_text_ref(st, 1, consumer, -1);
    db_bind_i64(st, 2, OUTBOX_BACKLOG_CAP + 1);
    if ((e = count_one(d, st, &out->retry_queued, what)))
        goto fail;
    return HAIL_OK;
fail:
    outbox_status_free(out);
    return e;
}

const char outbox_admin_skips_sql[] = "SELECT s.activity_id, s.reason, s.at, a.type, a.occurred_at,"
                                      " a.person_id, p.first_name, p.last_name, p.email"
                                      " FROM outbox_skips s"
                                      " LEFT JOIN activities a ON a.id = s.activity_id"
                                      " LEFT JOIN people p ON p.id = a.person_id"
                                      " WHERE s.consumer = $1 AND s.at <= $2"
                                      " AND (s.at < $2 OR s.activity_id < $3)"
                                      " ORDER BY s.at DESC, s.activity_id DESC LIMIT $4";

static json_t *skip_row(db *d, db_st *st)
{
    (void)d;
    json_t *o = json_pack("{sI ss sI}", "activity_id", (json_int_t)db_col_i64(st, 0), "reason",
                          db_col_text(st, 1), "at", (json_int_t)db_col_i64(st, 2));
    if (!o)
        return NULL;
    json_object_set_new(o, "type",
                        db_col_null(st, 3) ? json_null() : json_string(db_col_text(st, 3)));
    json_object_set_new(o, "occurred_at",
                        db_col_null(st, 4) ? json_null() : json_integer(db_col_i64(st, 4)));
    json_object_set_new(o, "person_id",
                        db_col_null(st, 5) ? json_null() : json_integer(db_col_i64(st, 5)));
    const char *first = db_col_null(st, 6) ? "" : db_col_text(st, 6);
    const char *last = db_col_null(st, 7) ? "" : db_col_text(st, 7);
    if (*first || *last) {
        size_t n = strlen(first) + strlen(last) + 2;
        char *name = malloc(n);
        if (name) {
            snprintf(name, n, "%s%s%s", first, *first && *last ? " " : "", last);
            json_object_set_new(o, "person_name", json_string(name));
            free(name);
        }
    } else {
        json_object_set_new(o, "person_name", json_null());
    }
    json_object_set_new(o, "person_email",
                        db_col_null(st, 8) ? json_null() : json_string(db_col_text(st, 8)));
    return o;
}

hail_err outbox_admin_skips(db *d, const char *consumer, int64_t before_at, int64_t before_id,
                            int limit, json_t **rows, int *more)
{
    *rows = NULL;
    *more = 0;
    if (before_at <= 0) {
        before_at = INT64_MAX;
        before_id = INT64_MAX;
    }
    /* outbox_skips_at (consumer, at): a range on at, newest first; ties on at
     * are ordered by activity_id. */
    db_st *st = db_stmt(d, outbox_admin_skips_sql);
    if (!st)
        return db_fail(d, "reading the outbox skips");
    db_bind_text_ref(st, 1, consumer, -1);
    db_bind_i64(st, 2, before_at);
    db_bind_i64(st, 3, before_id);
    db_bind_i64(st, 4, (int64_t)limit + 1);
    json_t *a = NULL;
    hail_err e = db_all_json(d, st, skip_row, &a, "reading the outbox skips");
    if (e) {
        json_decref(a);
        return e;
    }
    if (json_array_size(a) > (size_t)limit) {
        json_array_remove(a, (size_t)limit);
        *more = 1;
    }
    *rows = a;
    return HAIL_OK;
}

hail_err outbox_admin_retry(db *d, const char *consumer, int64_t *moved)
{
    const char *what = "re-queuing the outbox skips";
    *moved = 0;
    hail_err e = db_begin(d);
    if (e)
        return e;
    db_st *st = db_stmt(d, "INSERT INTO outbox_retry(consumer, activity_id)"
                           " SELECT consumer, activity_id FROM outbox_skips WHERE consumer = $1"
                           " ON CONFLICT DO NOTHING");
    if (!st) {
        e = db_fail(d, what);
        goto fail;
    }
    db_bind_text_ref(st, 1, consumer, -1);
    if ((e = db_step_done(d, st, what)))
        goto fail;
    st = db_stmt(d, "DELETE FROM outbox_skips WHERE consumer = $1");
    if (!st) {
        e = db_fail(d, what);
        goto fail;
    }
    db_bind_text_ref(st, 1, consumer, -1);
    if ((e = db_step_done(d, st, what)))
        goto fail;
    *moved = db_changes(d);
    st = db_stmt(d, "UPDATE log_cursors SET waiting_until = NULL, last_error = NULL,"
                    " last_error_at = NULL, updated_at = $1 WHERE consumer = $2");
    if (!st) {
        e = db_fail(d, what);
        goto fail;
    }
    db_bind_i64(st, 1, time_now_us());
    db_bind_text_ref(st, 2, consumer, -1);
    if ((e = db_step_done(d, st, what)))
        goto fail;
    return db_commit(d);
fail:
    db_rollback(d);
    *moved = 0;
    return e;
}

/* tasks_sfdc holds the linked tasks (sfdc_task_id set); those whose Task was
 * deleted in Salesforce (SFDC_GONE, "gone:") are left out. */
#define TASKS_LINKED_SQL                                                                           \
    "SELECT count(*) FROM tasks WHERE sfdc_task_id IS NOT NULL"                                    \
    " AND sfdc_task_id NOT LIKE 'gone:%'"
/* tasks_sfdc_dirty's own predicate, word for word, so that the count reads
 * the partial index (store/sfdc_tasks.c sfdc_tasks_dirty_sql's condition). */
#define TASKS_PENDING_SQL                                                                          \
    "SELECT count(*) FROM tasks WHERE campaign_id IS NULL"                                         \
    " AND (sfdc_synced_at IS NULL OR sfdc_synced_at <> updated_at)"
#define TASK_DELETES_SQL "SELECT count(*) FROM sfdc_task_deletes"
const char outbox_admin_tasks_linked_sql[] = TASKS_LINKED_SQL;
const char outbox_admin_tasks_pending_sql[] = TASKS_PENDING_SQL;
const char outbox_admin_task_deletes_sql[] = TASK_DELETES_SQL;

/* One count of a statement without parameters (NULL: it did not prepare). */
static hail_err count_stmt(db *d, db_st *st, int64_t *out, const char *what)
{
    *out = 0;
    return st ? count_one(d, st, out, what) : db_fail(d, what);
}

hail_err outbox_admin_reminder_tasks(db *d, outbox_reminder_tasks *out)
{
    const char *what = "counting the reminder tasks synced with Salesforce";
    memset(out, 0, sizeof *out);
    hail_err e = count_stmt(d, db_stmt(d, TASKS_LINKED_SQL), &out->linked, what);
    if (!e)
        e = count_stmt(d, db_stmt(d, TASKS_PENDING_SQL), &out->pending, what);
    if (!e)
        e = count_stmt(d, db_stmt(d, TASK_DELETES_SQL), &out->deletes_pending, what);
    return e;
}
