#include "core/common.h"

/* Channels, senders, blocked domains: store/channels.h. */
#include "store/channels.h"

#include "core/timeutil.h"

static char *dup_col(db_st *st, int i)
{
    const char *s = db_col_text(st, i);
    return s ? strdup(s) : NULL;
}

static hail_err blob_col(db_st *st, int i, unsigned char **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (db_col_null(st, i))
        return HAIL_OK;
    size_t len = db_col_bytes(st, i);
    const void *p = db_col_blob(st, i);
    if (!len)
        return HAIL_OK;
    if (!(*out = malloc(len)))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    memcpy(*out, p, len);
    *n = len;
    return HAIL_OK;
}

#define CHANNEL_COLS                                                                               \
    "id, name, kind, is_default,"                                                                  \
    " smtp_host, smtp_port, smtp_tls, smtp_username, smtp_password,"                               \
    " imap_host, imap_port, imap_tls, imap_username, imap_password, imap_folder,"                  \
    " imap_sent_folder, per_minute, per_hour, per_day, per_domain_per_hour"

static hail_err endpoint_cols(db_st *st, int i, ch_endpoint *ep, int imap)
{
    ep->host = dup_col(st, i);
    ep->port = db_col_int(st, i + 1);
    ep->tls = dup_col(st, i + 2);
    ep->username = dup_col(st, i + 3);
    hail_err e = blob_col(st, i + 4, &ep->password, &ep->password_len);
    if (imap) {
        ep->folder = dup_col(st, i + 5);
        ep->sent_folder = dup_col(st, i + 6);
    }
    return e;
}

hail_err channels_get(db *d, int64_t id, channel_row *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT " CHANNEL_COLS ", updated_at, smtp_status, smtp_checked_at"
                           " FROM channels WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        hail_err e = rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "channels: get");
        db_reset(st);
        return e;
    }
    out->id = db_col_i64(st, 0);
    out->name = dup_col(st, 1);
    out->kind = dup_col(st, 2);
    out->is_default = db_col_int(st, 3);
    hail_err e = endpoint_cols(st, 4, &out->smtp, 0);
    if (!e)
        e = endpoint_cols(st, 9, &out->imap, 1);
    out->per_minute = db_col_i64(st, 16);
    out->per_hour = db_col_i64(st, 17);
    out->per_day = db_col_i64(st, 18);
    out->per_domain_per_hour = db_col_i64(st, 19);
    out->updated_at = db_col_i64(st, 20);
    const char *ss = db_col_text(st, 21);
    out->smtp_state = !ss ? 0 : !strcmp(ss, "ok") ? 1 : 2;
    out->smtp_checked_at = db_col_i64(st, 22);
    db_reset(st);
    if (!e && (!out->name || !out->kind))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    if (e)
        channel_row_free(out);
    return e;
}

static void endpoint_free(ch_endpoint *ep)
{
    free(ep->host);
    free(ep->tls);
    free(ep->username);
    if (ep->password)
        memset(ep->password, 0, ep->password_len);
    free(ep->password);
    free(ep->folder);
    free(ep->sent_folder);
    memset(ep, 0, sizeof *ep);
}

void channel_row_free(channel_row *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->kind);
    endpoint_free(&r->smtp);
    endpoint_free(&r->imap);
    memset(r, 0, sizeof *r);
}

hail_err channels_sent_count(db *d, int64_t channel_id, const char *domain, int64_t since,
                             int64_t *count)
{
    *count = 0;
    db_st *st = domain ? db_stmt(d, "SELECT count(*) FROM emails WHERE channel_id = $1"
                                    " AND to_domain = $2 AND sent_at > $3")
                       : db_stmt(d, "SELECT count(*) FROM emails WHERE channel_id = $1"
                                    " AND sent_at > $2");
    if (!st)
        return HAIL_EDB;
    int i = 1;
    db_bind_i64(st, i++, channel_id);
    if (domain)
        db_bind_text(st, i++, domain, -1);
    db_bind_i64(st, i, since);
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW)
        *count = db_col_i64(st, 0);
    else
        e = db_fail(d, "channels: sent count");
    db_reset(st);
    return e;
}

hail_err channels_sent_at_offset(db *d, int64_t channel_id, const char *domain, int64_t since,
                                 int64_t offset, int64_t *at)
{
    *at = 0;
    db_st *st = domain ? db_stmt(d, "SELECT sent_at FROM emails WHERE channel_id = $1"
                                    " AND to_domain = $2 AND sent_at > $3"
                                    " ORDER BY sent_at LIMIT 1 OFFSET $4")
                       : db_stmt(d, "SELECT sent_at FROM emails WHERE channel_id = $1"
                                    " AND sent_at > $2 ORDER BY sent_at LIMIT 1 OFFSET $3");
    if (!st)
        return HAIL_EDB;
    int i = 1;
    db_bind_i64(st, i++, channel_id);
    if (domain)
        db_bind_text(st, i++, domain, -1);
    db_bind_i64(st, i++, since);
    db_bind_i64(st, i, offset);
    hail_err e = HAIL_OK;
    int rc = db_step(st);
    if (rc == DB_ROW)
        *at = db_col_i64(st, 0);
    else if (rc == DB_ERROR)
        e = db_fail(d, "channels: sent at offset");
    db_reset(st);
    return e;
}

hail_err senders_row_get(db *d, int64_t id, sender_row *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT id, user_id, channel_id, address, display_name,"
                           " signature_html FROM senders WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        hail_err e = rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "senders: get");
        db_reset(st);
        return e;
    }
    out->id = db_col_i64(st, 0);
    out->user_id = db_col_i64(st, 1);
    out->channel_id = db_col_i64(st, 2);
    out->address = dup_col(st, 3);
    out->display_name = dup_col(st, 4);
    out->signature_html = dup_col(st, 5);
    db_reset(st);
    if (!out->address || !out->display_name || !out->signature_html) {
        sender_row_free(out);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

void sender_row_free(sender_row *s)
{
    if (!s)
        return;
    free(s->address);
    free(s->display_name);
    free(s->signature_html);
    memset(s, 0, sizeof *s);
}

hail_err blocked_domains_has(db *d, const char *domain, int *found)
{
    *found = 0;
    db_st *st = db_stmt(d, "SELECT 1 FROM blocked_domains WHERE domain = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, domain, -1);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW)
        *found = 1;
    else if (rc == DB_ERROR)
        e = db_fail(d, "blocked_domains: lookup");
    db_reset(st);
    return e;
}

/* ---- for the API ---- */

static void bind_text_or_null(db_st *st, int i, const char *s)
{
    if (s)
        db_bind_text(st, i, s, -1);
    else
        db_bind_null(st, i);
}

static void bind_pos_or_null(db_st *st, int i, int64_t v)
{
    if (v > 0)
        db_bind_i64(st, i, v);
    else
        db_bind_null(st, i);
}

static void bind_blob_or_null(db_st *st, int i, const unsigned char *p, size_t n)
{
    if (p)
        db_bind_blob(st, i, p, n);
    else
        db_bind_null(st, i);
}

/* An INSERT/UPDATE … RETURNING id: *id (may be NULL) gets it; no row is
 * HAIL_ENOTFOUND (an update of a missing id), a taken unique key HAIL_EEXIST. */
static hail_err save_step(db *d, db_st *st, int64_t *id, const char *what)
{
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        if (id)
            *id = db_col_i64(st, 0);
    } else if (rc == DB_DONE) {
        e = HAIL_ENOTFOUND;
    } else {
        e = db_last_error(d) == DB_ERR_UNIQUE ? HAIL_EEXIST : db_fail(d, what);
    }
    db_reset(st);
    return e;
}

/* A DELETE by id: HAIL_ENOTFOUND when nothing was deleted. */
static hail_err delete_step(db *d, db_st *st, const char *what)
{
    hail_err e = db_step_done(d, st, what);
    if (!e && db_changes(d) == 0)
        e = HAIL_ENOTFOUND;
    return e;
}

hail_err channels_save(db *d, const channel_row *r, int reset_smtp, int reset_imap, int64_t now,
                       int64_t *id)
{
    if (id)
        *id = r->id;
    db_st *st =
        r->id ? db_stmt(d, "UPDATE channels SET name = $1, kind = $2,"
                           " smtp_host = $3, smtp_port = $4, smtp_tls = $5, smtp_username = $6,"
                           " smtp_password = $7, imap_host = $8, imap_port = $9, imap_tls = $10,"
                           " imap_username = $11, imap_password = $12, imap_folder = $13,"
                           " imap_sent_folder = $14, per_minute = $15, per_hour = $16,"
                           " per_day = $17, per_domain_per_hour = $18, updated_at = $19,"
                           " smtp_status = CASE WHEN $20 = 1 THEN NULL ELSE smtp_status END,"
                           " smtp_error = CASE WHEN $20 = 1 THEN NULL ELSE smtp_error END,"
                           " smtp_checked_at = CASE WHEN $20 = 1 THEN NULL"
                           " ELSE smtp_checked_at END,"
                           " imap_status = CASE WHEN $21 = 1 THEN NULL ELSE imap_status END,"
                           " imap_error = CASE WHEN $21 = 1 THEN NULL ELSE imap_error END,"
                           " imap_uidvalidity = CASE WHEN $21 = 1 THEN NULL"
                           " ELSE imap_uidvalidity END,"
                           " imap_last_uid = CASE WHEN $21 = 1 THEN NULL ELSE imap_last_uid END"
                           " WHERE id = $22 RETURNING id")
              : db_stmt(d, "INSERT INTO channels (name, kind, smtp_host, smtp_port, smtp_tls,"
                           " smtp_username, smtp_password, imap_host, imap_port, imap_tls,"
                           " imap_username, imap_password, imap_folder, imap_sent_folder,"
                           " per_minute, per_hour, per_day, per_domain_per_hour, updated_at,"
                           " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
                           " $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, r->name, -1);
    db_bind_text(st, 2, r->kind, -1);
    const ch_endpoint *sm = &r->smtp, *im = &r->imap;
    bind_text_or_null(st, 3, sm->host);
    bind_pos_or_null(st, 4, sm->host ? sm->port : 0);
    bind_text_or_null(st, 5, sm->host ? sm->tls : NULL);
    bind_text_or_null(st, 6, sm->host ? sm->username : NULL);
    bind_blob_or_null(st, 7, sm->host ? sm->password : NULL, sm->password_len);
    bind_text_or_null(st, 8, im->host);
    bind_pos_or_null(st, 9, im->host ? im->port : 0);
    bind_text_or_null(st, 10, im->host ? im->tls : NULL);
    bind_text_or_null(st, 11, im->host ? im->username : NULL);
    bind_blob_or_null(st, 12, im->host ? im->password : NULL, im->password_len);
    bind_text_or_null(st, 13, im->host ? im->folder : NULL);
    bind_text_or_null(st, 14, im->host ? im->sent_folder : NULL);
    bind_pos_or_null(st, 15, r->per_minute);
    bind_pos_or_null(st, 16, r->per_hour);
    bind_pos_or_null(st, 17, r->per_day);
    bind_pos_or_null(st, 18, r->per_domain_per_hour);
    db_bind_i64(st, 19, now);
    if (r->id) {
        db_bind_i64(st, 20, reset_smtp);
        db_bind_i64(st, 21, reset_imap);
        db_bind_i64(st, 22, r->id);
    }
    return save_step(d, st, id, "channels: save");
}

hail_err channels_delete(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "DELETE FROM channels WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    return delete_step(d, st, "channels: delete");
}

/* Steps a count(*) statement with its bindings made. */
static hail_err count_step(db *d, db_st *st, int64_t *n, const char *what)
{
    *n = 0;
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW)
        *n = db_col_i64(st, 0);
    else
        e = db_fail(d, what);
    db_reset(st);
    return e;
}

hail_err channels_usage(db *d, int64_t id, int64_t *senders, int64_t *emails)
{
    *senders = *emails = 0;
    db_st *st = db_stmt(d, "SELECT count(*) FROM senders WHERE channel_id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    hail_err e = count_step(d, st, senders, "channels: senders");
    if (e)
        return e;
    if (!(st = db_stmt(d, "SELECT count(*) FROM emails WHERE channel_id = $1")))
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    return count_step(d, st, emails, "channels: emails");
}

hail_err channels_default_id(db *d, int64_t *id)
{
    *id = 0;
    db_st *st = db_stmt(d, "SELECT id FROM channels WHERE is_default = 1 ORDER BY id LIMIT 1");
    if (!st)
        return HAIL_EDB;
    hail_err e = HAIL_OK;
    int rc = db_step(st);
    if (rc == DB_ROW)
        *id = db_col_i64(st, 0);
    else if (rc == DB_ERROR)
        e = db_fail(d, "channels: default");
    db_reset(st);
    return e;
}

hail_err channels_set_smtp_status(db *d, int64_t id, const char *state, const char *error,
                                  int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE channels SET smtp_status = $1, smtp_error = $2,"
                           " smtp_checked_at = $3 WHERE id = $4");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, state, -1);
    bind_text_or_null(st, 2, error);
    db_bind_i64(st, 3, now);
    db_bind_i64(st, 4, id);
    return db_step_done(d, st, "channels: smtp status");
}

static json_t *iso_or_null(db_st *st, int i)
{
    if (db_col_null(st, i))
        return json_null();
    char t[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, i), t);
    return json_string(t);
}

static json_t *text_or_null(db_st *st, int i)
{
    const char *s = db_col_text(st, i);
    return s ? json_string(s) : json_null();
}

static json_t *int_or_null(db_st *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_integer(db_col_i64(st, i));
}

#define CHANNEL_JSON_COLS                                                                          \
    CHANNEL_COLS ", smtp_status, smtp_error, smtp_checked_at, imap_status, imap_error,"            \
                 " imap_polled_at, imap_uidvalidity, imap_last_uid, created_at, updated_at"

static json_t *channel_row_json(db *d, db_st *st)
{
    (void)d;
    json_t *smtp = json_null(), *imap = json_null();
    if (!db_col_null(st, 4))
        smtp = json_pack("{s:o,s:I,s:o,s:o,s:b}", "host", text_or_null(st, 4), "port",
                         (json_int_t)db_col_i64(st, 5), "tls", text_or_null(st, 6), "username",
                         text_or_null(st, 7), "password_set", !db_col_null(st, 8));
    if (!db_col_null(st, 9))
        imap = json_pack("{s:o,s:I,s:o,s:o,s:b,s:o,s:o}", "host", text_or_null(st, 9), "port",
                         (json_int_t)db_col_i64(st, 10), "tls", text_or_null(st, 11), "username",
                         text_or_null(st, 12), "password_set", !db_col_null(st, 13), "folder",
                         text_or_null(st, 14), "sent_folder", text_or_null(st, 15));
    const char *ss = db_col_text(st, 20), *is = db_col_text(st, 23);
    return json_pack(
        "{s:I,s:o,s:o,s:b,s:o,s:o,s:{s:o,s:o,s:o,s:o},s:{s:{s:s,s:o,s:o},s:{s:s,s:o,s:o,s:o,s:o}},"
        "s:o,s:o}",
        "id", (json_int_t)db_col_i64(st, 0), "name", text_or_null(st, 1), "kind",
        text_or_null(st, 2), "is_default", db_col_int(st, 3) != 0, "smtp", smtp, "imap", imap,
        "throttles", "per_minute", int_or_null(st, 16), "per_hour", int_or_null(st, 17), "per_day",
        int_or_null(st, 18), "per_domain_per_hour", int_or_null(st, 19), "status", "smtp", "state",
        ss ? ss : "never", "error", text_or_null(st, 21), "checked_at", iso_or_null(st, 22), "imap",
        "state", is ? is : "never", "error", text_or_null(st, 24), "polled_at", iso_or_null(st, 25),
        "uidvalidity", int_or_null(st, 26), "last_uid", int_or_null(st, 27), "created_at",
        iso_or_null(st, 28), "updated_at", iso_or_null(st, 29));
}

hail_err channels_json(db *d, int64_t id, json_t **out)
{
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT " CHANNEL_JSON_COLS " FROM channels WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    return db_one_json(d, st, channel_row_json, out, "channels: get");
}

/* Cuts a page fetched with limit + 1 rows; *next the last id kept when more follow. */
static void page_cut_id(json_t *a, int limit, int64_t *next)
{
    *next = 0;
    if (json_array_size(a) > (size_t)limit) {
        json_array_remove(a, (size_t)limit);
        *next = json_integer_value(json_object_get(json_array_get(a, (size_t)limit - 1), "id"));
    }
}

hail_err channels_page_json(db *d, int64_t after_id, int limit, json_t **out, int64_t *next)
{
    *next = 0;
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT " CHANNEL_JSON_COLS " FROM channels WHERE id > $1"
                           " ORDER BY id LIMIT $2");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, after_id);
    db_bind_i64(st, 2, limit + 1);
    hail_err e = db_all_json(d, st, channel_row_json, out, "channels: page");
    if (!e)
        page_cut_id(*out, limit, next);
    return e;
}

hail_err senders_save(db *d, const sender_row *s, int64_t now, int64_t *id)
{
    if (id)
        *id = s->id;
    db_st *st = s->id ? db_stmt(d, "UPDATE senders SET user_id = $1, address = $2,"
                                   " display_name = $3, signature_html = $4, channel_id = $5,"
                                   " updated_at = $6 WHERE id = $7 RETURNING id")
                      : db_stmt(d, "INSERT INTO senders (user_id, address, display_name,"
                                   " signature_html, channel_id, updated_at, created_at)"
                                   " VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, s->user_id);
    db_bind_text(st, 2, s->address, -1);
    db_bind_text(st, 3, s->display_name, -1);
    db_bind_text(st, 4, s->signature_html ? s->signature_html : "", -1);
    db_bind_i64(st, 5, s->channel_id);
    db_bind_i64(st, 6, now);
    if (s->id)
        db_bind_i64(st, 7, s->id);
    return save_step(d, st, id, "senders: save");
}

hail_err senders_delete(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "DELETE FROM senders WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    return delete_step(d, st, "senders: delete");
}

hail_err senders_email_count(db *d, int64_t id, int64_t *n)
{
    *n = 0;
    db_st *st = db_stmt(d, "SELECT count(*) FROM emails WHERE sender_id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    return count_step(d, st, n, "senders: emails");
}

hail_err senders_campaign_count(db *d, int64_t id, int64_t *n)
{
    *n = 0;
    db_st *st = db_stmt(d, "SELECT count(*) FROM campaigns WHERE sender_id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    return count_step(d, st, n, "senders: campaigns");
}

#define SENDER_JSON_COLS                                                                           \
    "s.id, s.user_id, s.address, s.display_name, s.signature_html, s.channel_id, c.name"

static json_t *sender_row_json(db *d, db_st *st)
{
    (void)d;
    return json_pack("{s:I,s:I,s:o,s:o,s:o,s:I,s:o}", "id", (json_int_t)db_col_i64(st, 0),
                     "user_id", (json_int_t)db_col_i64(st, 1), "address", text_or_null(st, 2),
                     "display_name", text_or_null(st, 3), "signature_html", text_or_null(st, 4),
                     "channel_id", (json_int_t)db_col_i64(st, 5), "channel_name",
                     text_or_null(st, 6));
}

hail_err senders_json(db *d, int64_t id, json_t **out)
{
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT " SENDER_JSON_COLS " FROM senders s"
                           " JOIN channels c ON c.id = s.channel_id WHERE s.id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    return db_one_json(d, st, sender_row_json, out, "senders: get");
}

hail_err senders_page_json(db *d, int64_t user_id, int64_t after_id, int limit, json_t **out,
                           int64_t *next)
{
    *next = 0;
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT " SENDER_JSON_COLS " FROM senders s"
                           " JOIN channels c ON c.id = s.channel_id"
                           " WHERE s.id > $1 AND (CAST($2 AS BIGINT) = 0 OR s.user_id = $2)"
                           " ORDER BY s.id LIMIT $3");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, after_id);
    db_bind_i64(st, 2, user_id);
    db_bind_i64(st, 3, limit + 1);
    hail_err e = db_all_json(d, st, sender_row_json, out, "senders: page");
    if (!e)
        page_cut_id(*out, limit, next);
    return e;
}

hail_err blocked_domains_add(db *d, const char *domain, int64_t user_id, int64_t now)
{
    db_st *st = db_stmt(d, "INSERT INTO blocked_domains (domain, created_by, created_at)"
                           " VALUES ($1, $2, $3) ON CONFLICT (domain) DO NOTHING");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, domain, -1);
    bind_pos_or_null(st, 2, user_id);
    db_bind_i64(st, 3, now);
    hail_err e = db_step_done(d, st, "blocked_domains: add");
    if (!e && db_changes(d) == 0)
        e = HAIL_EEXIST;
    return e;
}

hail_err blocked_domains_remove(db *d, const char *domain)
{
    db_st *st = db_stmt(d, "DELETE FROM blocked_domains WHERE domain = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, domain, -1);
    hail_err e = db_step_done(d, st, "blocked_domains: remove");
    if (!e && db_changes(d) == 0)
        e = HAIL_ENOTFOUND;
    return e;
}

static json_t *blocked_row_json(db *d, db_st *st)
{
    (void)d;
    return json_pack("{s:o,s:o,s:o}", "domain", text_or_null(st, 0), "created_by",
                     int_or_null(st, 1), "created_at", iso_or_null(st, 2));
}

hail_err blocked_domains_json(db *d, const char *domain, json_t **out)
{
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT domain, created_by, created_at FROM blocked_domains"
                           " WHERE domain = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, domain, -1);
    return db_one_json(d, st, blocked_row_json, out, "blocked_domains: get");
}

hail_err blocked_domains_page_json(db *d, const char *after, int limit, json_t **out, char **next)
{
    *next = NULL;
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT domain, created_by, created_at FROM blocked_domains"
                           " WHERE domain > $1 ORDER BY domain LIMIT $2");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, after ? after : "", -1);
    db_bind_i64(st, 2, limit + 1);
    hail_err e = db_all_json(d, st, blocked_row_json, out, "blocked_domains: page");
    if (!e && json_array_size(*out) > (size_t)limit) {
        json_array_remove(*out, (size_t)limit);
        const char *last =
            json_string_value(json_object_get(json_array_get(*out, (size_t)limit - 1), "domain"));
        if (!(*next = strdup(last ? last : "")))
            e = hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return e;
}
