#include "core/common.h"

/* inbound_messages, matching and the IMAP state of channels: store/inbound.h. */
#include "store/inbound.h"

static char *dup_col(db_st *st, int i)
{
    const char *s = db_col_text(st, i);
    return s && !db_col_null(st, i) ? strdup(s) : NULL;
}

static void bind_opt_i64(db_st *st, int i, int64_t v)
{
    if (v)
        db_bind_i64(st, i, v);
    else
        db_bind_null(st, i);
}

hail_err inbound_insert(db *d, const inbound_row *r, int64_t *id)
{
    db_st *st = db_stmt(d, "INSERT INTO inbound_messages (channel_id, source, imap_uid, "
                           "message_id, kind, email_id, person_id, return_date, detail, "
                           "received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                           "RETURNING id");
    if (!st)
        return db_fail(d, "inbound: insert");
    bind_opt_i64(st, 1, r->channel_id);
    db_bind_text(st, 2, r->source, -1);
    bind_opt_i64(st, 3, r->imap_uid);
    db_bind_text(st, 4, r->message_id, -1);
    db_bind_text(st, 5, r->kind, -1);
    bind_opt_i64(st, 6, r->email_id);
    bind_opt_i64(st, 7, r->person_id);
    db_bind_text(st, 8, r->return_date, -1);
    db_bind_text(st, 9, r->detail ? r->detail : "{}", -1);
    db_bind_i64(st, 10, r->received_at);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return db_fail(d, "inbound: insert");
    }
    *id = db_col_i64(st, 0);
    db_reset(st);
    return HAIL_OK;
}

hail_err inbound_find_message_id(db *d, const char *message_id, int64_t *id, char **kind,
                                 int64_t *email_id, int64_t *person_id, char **return_date,
                                 char **detail)
{
    *id = 0;
    *kind = *return_date = *detail = NULL;
    *email_id = *person_id = 0;
    db_st *st = db_stmt(d, "SELECT id, kind, email_id, person_id, return_date, detail "
                           "FROM inbound_messages WHERE message_id = $1 ORDER BY id LIMIT 1");
    if (!st)
        return db_fail(d, "inbound: find");
    db_bind_text(st, 1, message_id, -1);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        *id = db_col_i64(st, 0);
        *kind = dup_col(st, 1);
        *email_id = db_col_i64(st, 2);
        *person_id = db_col_i64(st, 3);
        *return_date = dup_col(st, 4);
        *detail = dup_col(st, 5);
    }
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "inbound: find") : HAIL_OK;
}

static hail_err email_one(db *d, db_st *st, const char *what, int64_t *email_id, int64_t *person_id)
{
    *email_id = *person_id = 0;
    int rc = db_step(st);
    if (rc == DB_ROW) {
        *email_id = db_col_i64(st, 0);
        *person_id = db_col_i64(st, 1);
    }
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, what) : HAIL_OK;
}

hail_err inbound_email_by_message_id(db *d, const char *message_id, int64_t *email_id,
                                     int64_t *person_id)
{
    db_st *st = db_stmt(d, "SELECT id, person_id FROM emails WHERE message_id = $1 "
                           "AND status IN ('sending', 'sent', 'bounced')");
    if (!st)
        return db_fail(d, "inbound: email by Message-ID");
    db_bind_text(st, 1, message_id, -1);
    return email_one(d, st, "inbound: email by Message-ID", email_id, person_id);
}

hail_err inbound_email_by_id(db *d, int64_t id, int64_t *email_id, int64_t *person_id)
{
    db_st *st = db_stmt(d, "SELECT id, person_id FROM emails WHERE id = $1 "
                           "AND status IN ('sending', 'sent', 'bounced')");
    if (!st)
        return db_fail(d, "inbound: email by id");
    db_bind_i64(st, 1, id);
    return email_one(d, st, "inbound: email by id", email_id, person_id);
}

hail_err inbound_email_by_recipient(db *d, const char *address, const char *subject, int64_t since,
                                    int64_t *email_id, int64_t *person_id)
{
    db_st *st = db_stmt(
        d, DB_SQL(d,
                  "SELECT id, person_id FROM emails WHERE to_address = $1 COLLATE NOCASE "
                  "AND status IN ('sent', 'bounced') AND sent_at >= $2 "
                  "AND ($3 IS NULL OR subject = $3 COLLATE NOCASE) ORDER BY sent_at DESC, id DESC "
                  "LIMIT 1",
                  "SELECT id, person_id FROM emails WHERE lower(to_address) = lower($1) "
                  "AND status IN ('sent', 'bounced') AND sent_at >= $2 "
                  "AND (CAST($3 AS TEXT) IS NULL OR lower(subject) = lower($3)) "
                  "ORDER BY sent_at DESC, id DESC LIMIT 1"));
    if (!st)
        return db_fail(d, "inbound: email by recipient");
    db_bind_text(st, 1, address, -1);
    db_bind_i64(st, 2, since);
    db_bind_text(st, 3, subject, -1);
    return email_one(d, st, "inbound: email by recipient", email_id, person_id);
}

hail_err inbound_person_by_address(db *d, const char *address, int64_t *person_id)
{
    *person_id = 0;
    db_st *st = db_stmt(d, DB_SQL(d,
                                  "SELECT id FROM people WHERE email = $1 COLLATE NOCASE "
                                  "AND email IS NOT NULL ORDER BY id LIMIT 1",
                                  "SELECT id FROM people WHERE lower(email) = lower($1) "
                                  "AND email IS NOT NULL ORDER BY id LIMIT 1"));
    if (!st)
        return db_fail(d, "inbound: person by address");
    db_bind_text(st, 1, address, -1);
    int rc = db_step(st);
    if (rc == DB_ROW)
        *person_id = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "inbound: person by address") : HAIL_OK;
}

/* Runs st (its $1 and $2 bound to a and b), which returns no rows. */
static hail_err run_i64_2(db *d, db_st *st, int64_t a, int64_t b, const char *what)
{
    if (!st)
        return db_fail(d, what);
    db_bind_i64(st, 1, a);
    db_bind_i64(st, 2, b);
    int rc = db_step(st);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, what) : HAIL_OK;
}

hail_err inbound_email_replied(db *d, int64_t email_id, int64_t at)
{
    db_st *st = db_stmt(d, "UPDATE emails SET replied_at = COALESCE(replied_at, $1), "
                           "updated_at = $1 WHERE id = $2");
    return run_i64_2(d, st, at, email_id, "inbound: email replied");
}

hail_err inbound_email_bounced(db *d, int64_t email_id, int64_t at)
{
    db_st *st = db_stmt(d, "UPDATE emails SET status = 'bounced', "
                           "bounced_at = COALESCE(bounced_at, $1), updated_at = $1 "
                           "WHERE id = $2 AND status IN ('sending', 'sent', 'bounced')");
    return run_i64_2(d, st, at, email_id, "inbound: email bounced");
}

/* ---- IMAP state ---- */

hail_err inbound_lease_channel(db *d, const char *owner, int64_t now, int64_t due,
                               int64_t lease_until, int64_t *channel_id)
{
    *channel_id = 0;
    /* A read first: with nothing due (most of the time; always without an
     * IMAP inbox) the poller never asks for the write lock, which on SQLite
     * would queue it behind a bulk import every second. */
    db_st *st = db_stmt(d, "SELECT 1 FROM channels WHERE imap_host IS NOT NULL AND imap_host <> '' "
                           "AND (lease_owner = $1 OR lease_until IS NULL OR lease_until < $2) "
                           "AND (imap_polled_at IS NULL OR imap_polled_at <= $3) LIMIT 1");
    if (!st)
        return db_fail(d, "inbound: look for a channel due");
    db_bind_text(st, 1, owner, -1);
    db_bind_i64(st, 2, now);
    db_bind_i64(st, 3, due);
    int due_rc = db_step(st);
    db_reset(st);
    if (due_rc == DB_ERROR)
        return db_fail(d, "inbound: look for a channel due");
    if (due_rc == DB_DONE)
        return HAIL_OK;
    st = db_stmt(d,
                 "UPDATE channels SET lease_owner = $1, lease_until = $2 WHERE id = ("
                 "SELECT id FROM channels WHERE imap_host IS NOT NULL AND imap_host <> '' "
                 "AND (lease_until IS NULL OR lease_until < $3 OR lease_owner = $1) "
                 "AND (imap_polled_at IS NULL OR imap_polled_at <= $4) "
                 "ORDER BY COALESCE(imap_polled_at, 0), id LIMIT 1) "
                 "AND (lease_until IS NULL OR lease_until < $3 OR lease_owner = $1) RETURNING id");
    if (!st)
        return db_fail(d, "inbound: lease a channel");
    db_bind_text(st, 1, owner, -1);
    db_bind_i64(st, 2, lease_until);
    db_bind_i64(st, 3, now);
    db_bind_i64(st, 4, due);
    int rc = db_step(st);
    if (rc == DB_ROW)
        *channel_id = db_col_i64(st, 0);
    if (rc == DB_ROW)
        rc = db_step(st);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "inbound: lease a channel") : HAIL_OK;
}

hail_err inbound_release_channel(db *d, int64_t channel_id, const char *owner)
{
    db_st *st = db_stmt(d, "UPDATE channels SET lease_owner = NULL, lease_until = NULL "
                           "WHERE id = $1 AND lease_owner = $2");
    if (!st)
        return db_fail(d, "inbound: release a channel");
    db_bind_i64(st, 1, channel_id);
    db_bind_text(st, 2, owner, -1);
    int rc = db_step(st);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "inbound: release a channel") : HAIL_OK;
}

hail_err inbound_renew_channel(db *d, int64_t channel_id, const char *owner, int64_t lease_until,
                               int *kept)
{
    *kept = 0;
    db_st *st = db_stmt(d, "UPDATE channels SET lease_until = $1 WHERE id = $2 "
                           "AND lease_owner = $3");
    if (!st)
        return db_fail(d, "inbound: renew a lease");
    db_bind_i64(st, 1, lease_until);
    db_bind_i64(st, 2, channel_id);
    db_bind_text(st, 3, owner, -1);
    int rc = db_step(st);
    db_reset(st);
    if (rc == DB_ERROR)
        return db_fail(d, "inbound: renew a lease");
    *kept = db_changes(d) > 0;
    return HAIL_OK;
}

hail_err inbound_set_last_uid(db *d, int64_t channel_id, int64_t uid)
{
    db_st *st = db_stmt(d, "UPDATE channels SET imap_last_uid = $1 WHERE id = $2");
    return run_i64_2(d, st, uid, channel_id, "inbound: last UID");
}

hail_err inbound_imap_state(db *d, int64_t channel_id, int64_t *uidvalidity, int64_t *last_uid)
{
    *uidvalidity = *last_uid = 0;
    db_st *st = db_stmt(d, "SELECT imap_uidvalidity, imap_last_uid FROM channels WHERE id = $1");
    if (!st)
        return db_fail(d, "inbound: IMAP state");
    db_bind_i64(st, 1, channel_id);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        *uidvalidity = db_col_i64(st, 0);
        *last_uid = db_col_i64(st, 1);
    }
    db_reset(st);
    if (rc == DB_DONE)
        return hail_errf(HAIL_ENOTFOUND, "no channel with id %lld", (long long)channel_id);
    return rc == DB_ERROR ? db_fail(d, "inbound: IMAP state") : HAIL_OK;
}

hail_err inbound_imap_record(db *d, int64_t channel_id, const char *state, const char *error,
                             int64_t polled_at, int64_t uidvalidity, int64_t last_uid)
{
    db_st *st =
        db_stmt(d, "UPDATE channels SET imap_status = $1, imap_error = $2, imap_polled_at = $3, "
                   "imap_uidvalidity = CASE WHEN CAST($4 AS BIGINT) >= 0 THEN CAST($4 AS BIGINT) "
                   "ELSE imap_uidvalidity END, imap_last_uid = CASE WHEN CAST($5 AS BIGINT) >= 0 "
                   "THEN CAST($5 AS BIGINT) ELSE imap_last_uid END WHERE id = $6");
    if (!st)
        return db_fail(d, "inbound: record a poll");
    db_bind_text(st, 1, state, -1);
    db_bind_text(st, 2, error, -1);
    db_bind_i64(st, 3, polled_at);
    db_bind_i64(st, 4, uidvalidity);
    db_bind_i64(st, 5, last_uid);
    db_bind_i64(st, 6, channel_id);
    int rc = db_step(st);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "inbound: record a poll") : HAIL_OK;
}
