#include "core/common.h"

#include "store/track.h"

#include "core/timeutil.h"

hail_err track_store_writer_setup(db *d)
{
    return db_engine_of(d) == DB_SQLITE ? db_exec(d, "PRAGMA wal_autocheckpoint=0;") : HAIL_OK;
}

hail_err track_store_key(db *d, const char *candidate, char out[65])
{
    db_st *st = db_stmt(d, "INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3) "
                           "ON CONFLICT (key) DO NOTHING");
    if (!st)
        return db_fail(d, "storing the tracking key");
    db_bind_text_ref(st, 1, TRACK_KEY_KV, -1);
    db_bind_text_ref(st, 2, candidate, -1);
    db_bind_i64(st, 3, time_now_us());
    hail_err e = db_step_done(d, st, "storing the tracking key");
    if (e)
        return e;
    char *v = NULL;
    if ((e = db_kv_get(d, TRACK_KEY_KV, &v)))
        return e;
    if (!v || strlen(v) != 64) {
        free(v);
        return hail_errf(HAIL_EIO, "the tracking key in kv '%s' is damaged", TRACK_KEY_KV);
    }
    memcpy(out, v, 65);
    free(v);
    return HAIL_OK;
}

hail_err track_store_email(db *d, int64_t email_id, track_email *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT user_id, sent_at, status, opens, machine_opens, links "
                           "FROM emails WHERE id = $1");
    if (!st)
        return db_fail(d, "reading an email");
    db_bind_i64(st, 1, email_id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "reading an email");
    }
    out->id = email_id;
    out->user_id = db_col_i64(st, 0);
    out->sent_at = db_col_null(st, 1) ? 0 : db_col_i64(st, 1);
    snprintf(out->status, sizeof out->status, "%s", db_col_text(st, 2));
    out->opens = db_col_i64(st, 3);
    out->machine_opens = db_col_i64(st, 4);
    const char *links = db_col_text(st, 5);
    out->links = links ? json_loadb(links, db_col_bytes(st, 5), 0, NULL) : NULL;
    db_reset(st);
    if (!json_is_array(out->links)) {
        json_decref(out->links);
        out->links = json_array(); /* a damaged list has no links */
        if (!out->links)
            return HAIL_ENOMEM;
    }
    return HAIL_OK;
}

void track_email_release(track_email *e)
{
    json_decref(e->links);
    e->links = NULL;
}

hail_err track_store_recent_clicks(db *d, int64_t email_id, int64_t since, json_t *set)
{
    db_st *st = db_stmt(d, "SELECT attrs FROM activities "
                           "WHERE email_id = $1 AND type = 'email_click' AND occurred_at >= $2");
    if (!st)
        return db_fail(d, "reading an email's clicks");
    db_bind_i64(st, 1, email_id);
    db_bind_i64(st, 2, since);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        json_t *a = json_loadb(db_col_text(st, 0), db_col_bytes(st, 0), 0, NULL);
        const char *link = json_string_value(json_object_get(a, "link"));
        if (link)
            json_object_set_new(set, link, json_true());
        json_decref(a);
    }
    db_reset(st);
    return rc == DB_DONE ? HAIL_OK : db_fail(d, "reading an email's clicks");
}

hail_err track_store_count(db *d, int64_t email_id, char kind, int machine, int64_t at)
{
    db_st *st;
    if (machine)
        st = kind == 'c'
                 ? db_stmt(d, "UPDATE emails SET machine_clicks = machine_clicks + 1 WHERE id = $1")
                 : db_stmt(d, "UPDATE emails SET machine_opens = machine_opens + 1 WHERE id = $1");
    else
        st = kind == 'c' ? db_stmt(d, "UPDATE emails SET clicks = clicks + 1, "
                                      "first_click_at = COALESCE(first_click_at, $1), "
                                      "last_click_at = $1 WHERE id = $2")
                         : db_stmt(d, "UPDATE emails SET opens = opens + 1, "
                                      "first_open_at = COALESCE(first_open_at, $1), "
                                      "last_open_at = $1 WHERE id = $2");
    if (!st)
        return db_fail(d, "counting a tracking hit");
    if (machine) {
        db_bind_i64(st, 1, email_id);
    } else {
        db_bind_i64(st, 1, at);
        db_bind_i64(st, 2, email_id);
    }
    return db_step_done(d, st, "counting a tracking hit");
}
