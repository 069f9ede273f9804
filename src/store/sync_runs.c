#include "core/common.h"

/* The sync_runs table: store/sync_runs.h. */
#include "store/sync_runs.h"

#include "core/timeutil.h"

hail_err sync_runs_begin(db *d, const char *source, const char *kind, const char *origin,
                         int64_t now_us, int64_t *id)
{
    *id = 0;
    hail_err e = db_begin(d);
    if (e)
        return e;
    db_st *st = db_stmt(d, "UPDATE sync_runs SET status = 'failed', finished_at = $1,"
                           " error = 'interrupted: the process ended before the sync"
                           " finished' WHERE source = $2 AND status = 'running'");
    if (!st) {
        e = HAIL_EDB;
        goto out;
    }
    db_bind_i64(st, 1, now_us);
    db_bind_text(st, 2, source, -1);
    if ((e = db_step_done(d, st, "sync_runs: close stale")))
        goto out;
    st = db_stmt(d, "INSERT INTO sync_runs (source, kind, origin, status, started_at)"
                    " VALUES ($1, $2, $3, 'running', $4) RETURNING id");
    if (!st) {
        e = HAIL_EDB;
        goto out;
    }
    db_bind_text(st, 1, source, -1);
    db_bind_text(st, 2, kind, -1);
    db_bind_text(st, 3, origin, -1);
    db_bind_i64(st, 4, now_us);
    if (db_step(st) == DB_ROW)
        *id = db_col_i64(st, 0);
    else
        e = db_fail(d, "sync_runs: insert");
    db_reset(st);
out:
    if (!e)
        e = db_commit(d);
    if (e && db_in_tx(d))
        db_rollback(d);
    return e;
}

hail_err sync_runs_progress(db *d, int64_t id, const sync_run_counts *c)
{
    db_st *st = db_stmt(d, "UPDATE sync_runs SET people_seen = $1, people_written = $2,"
                           " people_deactivated = $3, api_calls = $4 WHERE id = $5");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, (int64_t)c->seen);
    db_bind_i64(st, 2, (int64_t)c->written);
    db_bind_i64(st, 3, (int64_t)c->deactivated);
    db_bind_i64(st, 4, (int64_t)c->api_calls);
    db_bind_i64(st, 5, id);
    return db_step_done(d, st, "sync_runs: progress");
}

hail_err sync_runs_finish(db *d, int64_t id, const char *status, const sync_run_counts *c,
                          const char *error, int64_t now_us)
{
    db_st *st = db_stmt(d, "UPDATE sync_runs SET status = $1, finished_at = $2,"
                           " people_seen = $3, people_written = $4,"
                           " people_deactivated = $5, api_calls = $6, error = $7"
                           " WHERE id = $8");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, status, -1);
    db_bind_i64(st, 2, now_us);
    db_bind_i64(st, 3, (int64_t)c->seen);
    db_bind_i64(st, 4, (int64_t)c->written);
    db_bind_i64(st, 5, (int64_t)c->deactivated);
    db_bind_i64(st, 6, (int64_t)c->api_calls);
    db_bind_text(st, 7, error, -1);
    db_bind_i64(st, 8, id);
    return db_step_done(d, st, "sync_runs: finish");
}

static json_t *iso_or_null(int64_t us)
{
    if (us <= 0)
        return json_null();
    char t[TIME_ISO_LEN];
    time_format_iso(us, t);
    return json_string(t);
}

static json_t *text_or_null(db_st *st, int i)
{
    const char *s = db_col_text(st, i);
    return s ? json_string(s) : json_null();
}

static json_t *run_json(db *d, db_st *st)
{
    (void)d;
    return json_pack(
        "{s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o}", "id", (json_int_t)db_col_i64(st, 0),
        "kind", text_or_null(st, 1), "origin", text_or_null(st, 2), "status", text_or_null(st, 3),
        "started_at", iso_or_null(db_col_i64(st, 4)), "finished_at", iso_or_null(db_col_i64(st, 5)),
        "people_seen", (json_int_t)db_col_i64(st, 6), "people_written",
        (json_int_t)db_col_i64(st, 7), "people_deactivated", (json_int_t)db_col_i64(st, 8),
        "api_calls", (json_int_t)db_col_i64(st, 9), "error", text_or_null(st, 10));
}

hail_err sync_runs_last_json(db *d, const char *source, json_t **out)
{
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT id, kind, origin, status, started_at, finished_at,"
                           " people_seen, people_written, people_deactivated, api_calls,"
                           " error FROM sync_runs WHERE source = $1"
                           " ORDER BY id DESC LIMIT 1");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, source, -1);
    hail_err e = db_one_json(d, st, run_json, out, "sync_runs: last");
    if (e == HAIL_ENOTFOUND) {
        *out = json_null();
        return HAIL_OK;
    }
    if (!e && !*out)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    return e;
}
