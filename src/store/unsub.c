#include "core/common.h"

#include "store/unsub.h"

#include "core/timeutil.h"

hail_err unsub_store_state(db *d, int64_t person_id, int64_t *since, char *source, size_t n)
{
    *since = 0;
    if (n)
        source[0] = '\0';
    db_st *st = db_stmt(d, "SELECT since, source FROM people_unsubscribed WHERE person_id = $1");
    if (!st)
        return db_fail(d, "reading an unsubscribe");
    db_bind_i64(st, 1, person_id);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        *since = db_col_i64(st, 0);
        snprintf(source, n, "%s", db_col_text(st, 1));
    }
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "reading an unsubscribe") : HAIL_OK;
}

hail_err unsub_store_set(db *d, int64_t person_id, int64_t since, const char *source)
{
    db_st *st;
    if (since) {
        st = db_stmt(d, "INSERT INTO people_unsubscribed (person_id, since, source) "
                        "VALUES ($1, $2, $3) ON CONFLICT (person_id) DO NOTHING");
        if (!st)
            return db_fail(d, "recording an unsubscribe");
        db_bind_i64(st, 1, person_id);
        db_bind_i64(st, 2, since);
        db_bind_text(st, 3, source, -1);
    } else {
        st = db_stmt(d, "DELETE FROM people_unsubscribed WHERE person_id = $1");
        if (!st)
            return db_fail(d, "recording a resubscribe");
        db_bind_i64(st, 1, person_id);
    }
    return db_step_done(d, st, "recording an unsubscribe");
}

hail_err unsub_store_add(db *d, int64_t person_id, const char *action, const char *source,
                         int64_t user_id, int64_t email_id, int64_t at)
{
    db_st *st = db_stmt(d, "INSERT INTO unsubscribes (person_id, action, source, user_id, "
                           "email_id, at) VALUES ($1, $2, $3, $4, $5, $6)");
    if (!st)
        return db_fail(d, "recording an unsubscribe");
    db_bind_i64(st, 1, person_id);
    db_bind_text(st, 2, action, -1);
    db_bind_text(st, 3, source, -1);
    if (user_id)
        db_bind_i64(st, 4, user_id);
    else
        db_bind_null(st, 4);
    if (email_id)
        db_bind_i64(st, 5, email_id);
    else
        db_bind_null(st, 5);
    db_bind_i64(st, 6, at);
    return db_step_done(d, st, "recording an unsubscribe");
}

static json_t *history_row(db *d, db_st *st)
{
    (void)d;
    char at[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, 0), at);
    json_t *user = db_col_null(st, 3) ? json_null() : json_integer(db_col_i64(st, 3));
    json_t *email = db_col_null(st, 4) ? json_null() : json_integer(db_col_i64(st, 4));
    return json_pack("{ss ss ss so so}", "at", at, "action", db_col_text(st, 1), "source",
                     db_col_text(st, 2), "user_id", user, "email_id", email);
}

hail_err unsub_store_history(db *d, int64_t person_id, json_t **out)
{
    db_st *st = db_stmt(d, "SELECT at, action, source, user_id, email_id FROM unsubscribes "
                           "WHERE person_id = $1 ORDER BY id DESC");
    if (!st) {
        *out = json_array();
        return db_fail(d, "reading unsubscribes");
    }
    db_bind_i64(st, 1, person_id);
    return db_all_json(d, st, history_row, out, "reading unsubscribes");
}

hail_err unsub_store_person(db *d, int64_t person_id)
{
    db_st *st = db_stmt(d, "SELECT 1 FROM people WHERE id = $1");
    if (!st)
        return db_fail(d, "reading a person");
    db_bind_i64(st, 1, person_id);
    int rc = db_step(st);
    db_reset(st);
    if (rc == DB_ERROR)
        return db_fail(d, "reading a person");
    return rc == DB_ROW ? HAIL_OK : HAIL_ENOTFOUND;
}

hail_err unsub_store_email(db *d, int64_t email_id, int64_t *person_id, char *to, size_t n)
{
    *person_id = 0;
    if (n)
        to[0] = '\0';
    db_st *st = db_stmt(d, "SELECT person_id, to_address FROM emails WHERE id = $1");
    if (!st)
        return db_fail(d, "reading an email");
    db_bind_i64(st, 1, email_id);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        *person_id = db_col_i64(st, 0);
        snprintf(to, n, "%s", db_col_text(st, 1));
    }
    db_reset(st);
    if (rc == DB_ERROR)
        return db_fail(d, "reading an email");
    return rc == DB_ROW ? HAIL_OK : HAIL_ENOTFOUND;
}
