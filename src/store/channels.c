#include "core/common.h"

/* Channels, senders, blocked domains: store/channels.h. */
#include "store/channels.h"

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
    db_st *st = db_stmt(d, "SELECT " CHANNEL_COLS " FROM channels WHERE id = $1");
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
