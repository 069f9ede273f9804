#include "core/common.h"

/* Emails and attachments: store/emails.h. */
#include "store/emails.h"

#include "core/buf.h"
#include "core/timeutil.h"
#include "store/dbread.h"

static char *dup_col(db_st *st, int i)
{
    const char *s = db_col_text(st, i);
    return strdup(s ? s : "");
}

hail_err emails_insert(db *d, const email_new *e, int64_t now, int64_t *id)
{
    db_st *st = db_stmt(
        d, "INSERT INTO emails (person_id, user_id, sender_id, channel_id, template_id, status,"
           " to_address, to_domain, cc, bcc, subject, body_html, commercial, send_at, time_zone,"
           " next_attempt_at, created_at, updated_at, campaign_id, campaign_member_id,"
           " campaign_step, task_id, in_reply_to, refs)"
           " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
           " $17, $18, $19, $20, $21, $22, $23) RETURNING id");
    if (!st)
        return db_fail(d, "emails: add");
    db_bind_i64(st, 1, e->person_id);
    db_bind_i64(st, 2, e->user_id);
    db_bind_i64(st, 3, e->sender_id);
    db_bind_i64(st, 4, e->channel_id);
    if (e->template_id)
        db_bind_i64(st, 5, e->template_id);
    else
        db_bind_null(st, 5);
    db_bind_text(st, 6, e->status, -1);
    db_bind_text(st, 7, e->to_address, -1);
    db_bind_text(st, 8, e->to_domain, -1);
    db_bind_text(st, 9, e->cc ? e->cc : "[]", -1);
    db_bind_text(st, 10, e->bcc ? e->bcc : "[]", -1);
    db_bind_text(st, 11, e->subject, -1);
    db_bind_text(st, 12, e->body_html, -1);
    db_bind_i64(st, 13, e->commercial ? 1 : 0);
    if (e->send_at)
        db_bind_i64(st, 14, e->send_at);
    else
        db_bind_null(st, 14);
    db_bind_text(st, 15, e->time_zone, -1);
    if (!strcmp(e->status, "scheduled"))
        db_bind_i64(st, 16, e->next_attempt_at);
    else
        db_bind_null(st, 16);
    db_bind_i64(st, 17, now);
    const int64_t refs_ids[] = {e->campaign_id, e->campaign_member_id,
                                e->campaign_id ? e->campaign_step : 0, e->task_id};
    for (int i = 0; i < 4; i++)
        if (refs_ids[i] || (i == 2 && e->campaign_id))
            db_bind_i64(st, 18 + i, refs_ids[i]);
        else
            db_bind_null(st, 18 + i);
    db_bind_text(st, 22, e->in_reply_to, -1);
    db_bind_text(st, 23, e->refs, -1);
    int rc = db_step(st);
    hail_err err = HAIL_OK;
    if (rc == DB_ROW)
        *id = db_col_i64(st, 0);
    else
        err = db_fail(d, "emails: add");
    db_reset(st);
    return err;
}

hail_err emails_attach(db *d, int64_t email_id, const char *filename, const char *content_type,
                       const void *data, size_t size)
{
    db_st *st = db_stmt(d, "INSERT INTO email_attachments (email_id, filename, content_type, size,"
                           " data) VALUES ($1, $2, $3, $4, $5)");
    if (!st)
        return db_fail(d, "emails: attach");
    db_bind_i64(st, 1, email_id);
    db_bind_text(st, 2, filename, -1);
    db_bind_text(st, 3, content_type, -1);
    db_bind_i64(st, 4, (int64_t)size);
    db_bind_blob(st, 5, data ? data : "", size);
    return db_step_done(d, st, "emails: attach");
}

hail_err emails_recipient(db *d, int64_t person_id, email_recipient *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT active, deleted, email, trim(coalesce(first_name, '') || ' ' ||"
                           " coalesce(last_name, '')) FROM people WHERE id = $1");
    if (!st)
        return db_fail(d, "people: read");
    db_bind_i64(st, 1, person_id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE
                   ? hail_errf(HAIL_ENOTFOUND, "no person with id %lld", (long long)person_id)
                   : db_fail(d, "people: read");
    }
    out->active = db_col_int(st, 0) && !db_col_int(st, 1);
    out->email = dup_col(st, 2);
    out->name = dup_col(st, 3);
    db_reset(st);
    if (!out->email || !out->name) {
        email_recipient_free(out);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

void email_recipient_free(email_recipient *r)
{
    free(r->email);
    free(r->name);
    memset(r, 0, sizeof *r);
}

hail_err emails_load(db *d, int64_t id, email_row *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(
        d, "SELECT e.id, e.person_id, e.user_id, e.sender_id, e.channel_id, e.template_id,"
           " e.status, e.to_address, e.to_domain, trim(coalesce(p.first_name, '') || ' ' ||"
           " coalesce(p.last_name, '')), e.cc, e.bcc, e.subject, e.body_html, e.message_id,"
           " e.lease_owner, e.time_zone, e.commercial, e.attempts, e.send_at, e.next_attempt_at,"
           " e.lease_until, e.in_reply_to, e.refs FROM emails e JOIN people p ON p.id = e.person_id"
           " WHERE e.id = $1");
    if (!st)
        return db_fail(d, "emails: read");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE ? hail_errf(HAIL_ENOTFOUND, "no email with id %lld", (long long)id)
                             : db_fail(d, "emails: read");
    }
    out->id = db_col_i64(st, 0);
    out->person_id = db_col_i64(st, 1);
    out->user_id = db_col_i64(st, 2);
    out->sender_id = db_col_i64(st, 3);
    out->channel_id = db_col_i64(st, 4);
    out->template_id = db_col_i64(st, 5);
    snprintf(out->status, sizeof out->status, "%s", db_col_text(st, 6));
    out->to_address = dup_col(st, 7);
    out->to_domain = dup_col(st, 8);
    out->to_name = dup_col(st, 9);
    out->cc = dup_col(st, 10);
    out->bcc = dup_col(st, 11);
    out->subject = dup_col(st, 12);
    out->body_html = dup_col(st, 13);
    out->message_id = db_col_null(st, 14) ? NULL : dup_col(st, 14);
    out->lease_owner = db_col_null(st, 15) ? NULL : dup_col(st, 15);
    out->time_zone = db_col_null(st, 16) ? NULL : dup_col(st, 16);
    out->commercial = db_col_int(st, 17);
    out->attempts = db_col_i64(st, 18);
    out->send_at = db_col_i64(st, 19);
    out->next_attempt_at = db_col_i64(st, 20);
    out->lease_until = db_col_i64(st, 21);
    out->in_reply_to = db_col_null(st, 22) ? NULL : dup_col(st, 22);
    out->refs = db_col_null(st, 23) ? NULL : dup_col(st, 23);
    db_reset(st);
    if (!out->to_address || !out->to_domain || !out->to_name || !out->cc || !out->bcc ||
        !out->subject || !out->body_html) {
        email_row_free(out);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

void email_row_free(email_row *r)
{
    free(r->to_address);
    free(r->to_domain);
    free(r->to_name);
    free(r->cc);
    free(r->bcc);
    free(r->subject);
    free(r->body_html);
    free(r->message_id);
    free(r->lease_owner);
    free(r->time_zone);
    free(r->in_reply_to);
    free(r->refs);
    memset(r, 0, sizeof *r);
}

hail_err emails_attachments(db *d, int64_t email_id, int with_data, email_attachment **out,
                            size_t *n)
{
    *out = NULL;
    *n = 0;
    db_st *st = db_stmt(d, "SELECT id, filename, content_type, size, data FROM email_attachments"
                           " WHERE email_id = $1 ORDER BY id");
    if (!st)
        return db_fail(d, "emails: attachments");
    db_bind_i64(st, 1, email_id);
    size_t cap = 0;
    int rc;
    hail_err e = HAIL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 4;
            email_attachment *a = realloc(*out, nc * sizeof *a);
            if (!a) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            *out = a;
            cap = nc;
        }
        email_attachment *a = &(*out)[*n];
        memset(a, 0, sizeof *a);
        (*n)++;
        a->id = db_col_i64(st, 0);
        a->filename = dup_col(st, 1);
        a->content_type = dup_col(st, 2);
        a->size = (size_t)db_col_i64(st, 3);
        if (with_data) {
            size_t len = db_col_bytes(st, 4);
            a->data = malloc(len ? len : 1);
            if (a->data && len)
                memcpy(a->data, db_col_blob(st, 4), len);
            a->size = len;
        }
        if (!a->filename || !a->content_type || (with_data && !a->data)) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
            break;
        }
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "emails: attachments");
    db_reset(st);
    if (e) {
        email_attachments_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

void email_attachments_free(email_attachment *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].filename);
        free(a[i].content_type);
        free(a[i].data);
    }
    free(a);
}

int emails_due_exists(db *d, int64_t now)
{
    db_st *st =
        db_stmt(d, "SELECT 1 FROM emails WHERE status = 'scheduled' AND next_attempt_at <= $1"
                   " AND (lease_until IS NULL OR lease_until <= $1) LIMIT 1");
    if (!st)
        return -1;
    db_bind_i64(st, 1, now);
    int rc = db_step(st);
    db_reset(st);
    if (rc == DB_ERROR) {
        db_fail(d, "emails: due");
        return -1;
    }
    return rc == DB_ROW;
}

lease_rows emails_due_rows = {
    .table = "emails",
    .where = "status = 'scheduled' AND next_attempt_at <= $3",
    .order = "next_attempt_at, id",
};

/* Runs an UPDATE expected to change one row: 1 changed, 0 none, -1 error. */
static int changed(db *d, db_st *st, const char *what)
{
    if (!st || db_step_done(d, st, what))
        return -1;
    return db_changes(d) > 0;
}

int emails_mark_sending(db *d, int64_t id, const char *owner, const char *message_id,
                        const char *links, int64_t until, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE emails SET status = 'sending', message_id = $1, links = $2,"
                           " lease_until = $3, attempts = attempts + 1, updated_at = $4"
                           " WHERE id = $5 AND lease_owner = $6 AND status = 'scheduled'");
    if (!st)
        return -1;
    db_bind_text(st, 1, message_id, -1);
    db_bind_text(st, 2, links, -1);
    db_bind_i64(st, 3, until);
    db_bind_i64(st, 4, now);
    db_bind_i64(st, 5, id);
    db_bind_text(st, 6, owner, -1);
    return changed(d, st, "emails: sending");
}

int emails_mark_sent(db *d, int64_t id, const char *owner, const char *reply, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE emails SET status = 'sent', sent_at = $1, smtp_reply = $2,"
                           " lease_owner = NULL, lease_until = NULL, failed_reason = NULL,"
                           " updated_at = $1 WHERE id = $3 AND lease_owner = $4"
                           " AND status = 'sending'");
    if (!st)
        return -1;
    db_bind_i64(st, 1, now);
    db_bind_text(st, 2, reply && *reply ? reply : NULL, -1);
    db_bind_i64(st, 3, id);
    db_bind_text(st, 4, owner, -1);
    return changed(d, st, "emails: sent");
}

int emails_mark_failed(db *d, int64_t id, const char *owner, const char *reason, const char *reply,
                       int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE emails SET status = 'failed', failed_reason = $1,"
                           " smtp_reply = coalesce($2, smtp_reply), lease_owner = NULL,"
                           " lease_until = NULL, next_attempt_at = NULL, updated_at = $3"
                           " WHERE id = $4 AND lease_owner = $5"
                           " AND status IN ('scheduled', 'sending')");
    if (!st)
        return -1;
    db_bind_text(st, 1, reason, -1);
    db_bind_text(st, 2, reply && *reply ? reply : NULL, -1);
    db_bind_i64(st, 3, now);
    db_bind_i64(st, 4, id);
    db_bind_text(st, 5, owner, -1);
    return changed(d, st, "emails: failed");
}

int emails_reschedule(db *d, int64_t id, const char *owner, int64_t at, const char *reply,
                      int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE emails SET status = 'scheduled', next_attempt_at = $1,"
                           " smtp_reply = coalesce($2, smtp_reply), lease_owner = NULL,"
                           " lease_until = NULL, updated_at = $3 WHERE id = $4"
                           " AND lease_owner = $5 AND status IN ('scheduled', 'sending')");
    if (!st)
        return -1;
    db_bind_i64(st, 1, at);
    db_bind_text(st, 2, reply && *reply ? reply : NULL, -1);
    db_bind_i64(st, 3, now);
    db_bind_i64(st, 4, id);
    db_bind_text(st, 5, owner, -1);
    return changed(d, st, "emails: reschedule");
}

hail_err emails_leased(db *d, email_lease **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    db_st *st = db_stmt(d, "SELECT id, status, lease_owner, lease_until FROM emails"
                           " WHERE lease_owner IS NOT NULL ORDER BY id");
    if (!st)
        return db_fail(d, "emails: leased");
    size_t cap = 0;
    int rc;
    hail_err e = HAIL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            email_lease *a = realloc(*out, nc * sizeof *a);
            if (!a) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            *out = a;
            cap = nc;
        }
        email_lease *l = &(*out)[(*n)++];
        l->id = db_col_i64(st, 0);
        snprintf(l->status, sizeof l->status, "%s", db_col_text(st, 1));
        snprintf(l->owner, sizeof l->owner, "%s", db_col_text(st, 2));
        l->until = db_col_i64(st, 3);
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "emails: leased");
    db_reset(st);
    if (e) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return e;
}

int emails_lease_take(db *d, int64_t id, const char *old, const char *owner, int64_t until)
{
    db_st *st = db_stmt(d, "UPDATE emails SET lease_owner = $1, lease_until = $2"
                           " WHERE id = $3 AND lease_owner = $4");
    if (!st)
        return -1;
    db_bind_text(st, 1, owner, -1);
    db_bind_i64(st, 2, until);
    db_bind_i64(st, 3, id);
    db_bind_text(st, 4, old, -1);
    return changed(d, st, "emails: take a lease");
}

int emails_lease_drop(db *d, int64_t id, const char *old)
{
    db_st *st = db_stmt(d, "UPDATE emails SET lease_owner = NULL, lease_until = NULL"
                           " WHERE id = $1 AND lease_owner = $2 AND status = 'scheduled'");
    if (!st)
        return -1;
    db_bind_i64(st, 1, id);
    db_bind_text(st, 2, old, -1);
    return changed(d, st, "emails: drop a lease");
}

/* ---- the API's side ---- */

#define SUMMARY_COLS                                                                               \
    "SELECT e.id, e.person_id, p.first_name, p.last_name, e.to_address, e.subject, e.status,"      \
    " e.sender_id, s.address, s.display_name, e.user_id, e.template_id, e.campaign_id,"            \
    " e.created_at, e.send_at, e.sent_at, e.opens, e.first_open_at, e.last_open_at, e.clicks,"     \
    " e.first_click_at, e.last_click_at, e.replied_at, e.bounced_at, e.machine_opens,"             \
    " e.machine_clicks, e.failed_reason, e.next_attempt_at"                                        \
    " FROM emails e JOIN people p ON p.id = e.person_id JOIN senders s ON s.id = e.sender_id"

static json_t *summary_row(db *d, db_st *st)
{
    (void)d;
    const char *fn = db_col_text(st, 2), *ln = db_col_text(st, 3);
    char name[512];
    snprintf(name, sizeof name, "%s%s%s", fn ? fn : "", fn && *fn && ln && *ln ? " " : "",
             ln ? ln : "");
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_integer(db_col_i64(st, 0)));
    json_object_set_new(o, "person",
                        json_pack("{sI ss ss}", "id", (json_int_t)db_col_i64(st, 1), "name", name,
                                  "email", db_col_text(st, 4)));
    json_object_set_new(o, "subject", json_string(db_col_text(st, 5)));
    json_object_set_new(o, "status", json_string(db_col_text(st, 6)));
    json_object_set_new(o, "sender",
                        json_pack("{sI ss ss}", "id", (json_int_t)db_col_i64(st, 7), "address",
                                  db_col_text(st, 8), "display_name", db_col_text(st, 9)));
    json_object_set_new(o, "user_id", json_integer(db_col_i64(st, 10)));
    json_object_set_new(o, "template_id", db_json_int(st, 11));
    json_object_set_new(o, "campaign_id", db_json_int(st, 12));
    json_object_set_new(o, "created_at", db_json_time(st, 13));
    /* When it is due: send_at as asked, else (a retry, a throttle) the next attempt. */
    json_object_set_new(o, "send_at", db_json_time(st, db_col_null(st, 14) ? 27 : 14));
    json_object_set_new(o, "sent_at", db_json_time(st, 15));
    json_t *op = json_object(), *cl = json_object();
    if (op) {
        json_object_set_new(op, "count", json_integer(db_col_i64(st, 16)));
        json_object_set_new(op, "first", db_json_time(st, 17));
        json_object_set_new(op, "last", db_json_time(st, 18));
    }
    if (cl) {
        json_object_set_new(cl, "count", json_integer(db_col_i64(st, 19)));
        json_object_set_new(cl, "first", db_json_time(st, 20));
        json_object_set_new(cl, "last", db_json_time(st, 21));
    }
    json_object_set_new(o, "opened", op);
    json_object_set_new(o, "clicked", cl);
    json_object_set_new(o, "replied_at", db_json_time(st, 22));
    json_object_set_new(o, "bounced_at", db_json_time(st, 23));
    json_object_set_new(o, "machine_opens", json_integer(db_col_i64(st, 24)));
    json_object_set_new(o, "machine_clicks", json_integer(db_col_i64(st, 25)));
    json_object_set_new(o, "failed_reason",
                        db_col_null(st, 26) ? json_null() : json_string(db_col_text(st, 26)));
    return o;
}

/* The visibility condition for v, its parameter at $n (v->user_id). */
hail_err emails_list(db *d, const email_viewer *v, const email_filter *f, json_t **out,
                     int64_t *next)
{
    dbq q;
    dbq_init(&q, SUMMARY_COLS " WHERE 1 = 1");
    if (f->person_id)
        dbq_printf(&q, " AND e.person_id = $%d", dbq_i64(&q, f->person_id));
    if (f->sender_id)
        dbq_printf(&q, " AND e.sender_id = $%d", dbq_i64(&q, f->sender_id));
    if (f->account)
        dbq_printf(&q, " AND p.sfdc_account_id = $%d", dbq_text(&q, f->account));
    if (f->opportunity)
        dbq_printf(&q, " AND p.sfdc_opportunity_id = $%d", dbq_text(&q, f->opportunity));
    if (f->status)
        dbq_printf(&q, " AND e.status = $%d", dbq_text(&q, f->status));
    if (f->before_id)
        dbq_printf(&q, " AND e.id < $%d", dbq_i64(&q, f->before_id));
    dbq_user_visible(&q, "e.user_id", v->user_id, v->role);
    return dbq_page(d, &q, "e.id DESC", summary_row, f->limit, out, next, "emails: list");
}

static const char sql_summary_admin[] = SUMMARY_COLS " WHERE e.id = $1";
static const char sql_summary_manager[] =
    SUMMARY_COLS " WHERE e.id = $1 AND (e.user_id = $2 OR e.user_id IN (SELECT m2.user_id FROM"
                 " team_members m1 JOIN team_members m2 ON m2.team_id = m1.team_id"
                 " WHERE m1.user_id = $2))";
static const char sql_summary_rep[] = SUMMARY_COLS " WHERE e.id = $1 AND e.user_id = $2";

hail_err emails_summary(db *d, const email_viewer *v, int64_t id, json_t **out)
{
    int admin = !strcmp(v->role, "admin");
    db_st *st = admin                         ? db_stmt(d, sql_summary_admin)
                : !strcmp(v->role, "manager") ? db_stmt(d, sql_summary_manager)
                                              : db_stmt(d, sql_summary_rep);
    if (!st)
        return db_fail(d, "emails: read");
    db_bind_i64(st, 1, id);
    if (!admin)
        db_bind_i64(st, 2, v->user_id);
    hail_err e = db_one_json(d, st, summary_row, out, "emails: read");
    if (e == HAIL_ENOTFOUND)
        return hail_errf(HAIL_ENOTFOUND, "no email with id %lld", (long long)id);
    return e;
}

hail_err emails_detail(db *d, int64_t id, json_t *o)
{
    db_st *st = db_stmt(d, "SELECT e.cc, e.bcc, e.template_id, t.name, e.body_html, e.message_id,"
                           " e.smtp_reply FROM emails e LEFT JOIN templates t"
                           " ON t.id = e.template_id WHERE e.id = $1");
    if (!st)
        return db_fail(d, "emails: read");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE ? hail_errf(HAIL_ENOTFOUND, "no email with id %lld", (long long)id)
                             : db_fail(d, "emails: read");
    }
    json_t *cc = json_loads(db_col_text(st, 0), 0, NULL),
           *bcc = json_loads(db_col_text(st, 1), 0, NULL);
    json_object_set_new(o, "cc", cc ? cc : json_array());
    json_object_set_new(o, "bcc", bcc ? bcc : json_array());
    json_object_set_new(o, "template",
                        db_col_null(st, 2)
                            ? json_null()
                            : json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, 2), "name",
                                        db_col_text(st, 3) ? db_col_text(st, 3) : ""));
    json_object_set_new(o, "campaign", json_null());
    json_object_set_new(o, "html", json_string(db_col_text(st, 4) ? db_col_text(st, 4) : ""));
    json_object_set_new(o, "message_id",
                        db_col_null(st, 5) ? json_null() : json_string(db_col_text(st, 5)));
    json_object_set_new(o, "smtp_reply",
                        db_col_null(st, 6) ? json_null() : json_string(db_col_text(st, 6)));
    db_reset(st);
    email_attachment *a;
    size_t n;
    hail_err e = emails_attachments(d, id, 0, &a, &n);
    if (e)
        return e;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_pack("{sI ss ss sI}", "id", (json_int_t)a[i].id, "filename",
                                             a[i].filename, "content_type", a[i].content_type,
                                             "size", (json_int_t)a[i].size));
    email_attachments_free(a, n);
    if (!arr)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    json_object_set_new(o, "attachments", arr);
    return HAIL_OK;
}

int emails_visible(db *d, const email_viewer *v, int64_t id)
{
    json_t *j = NULL;
    hail_err e = emails_summary(d, v, id, &j);
    json_decref(j);
    return e == HAIL_OK;
}

int emails_edit(db *d, int64_t id, const email_edit *e, int64_t now)
{
    db_st *st = db_stmt(
        d, "UPDATE emails SET status = coalesce($1, status), subject = coalesce($2, subject),"
           " body_html = coalesce($3, body_html), cc = coalesce($4, cc), bcc = coalesce($5, bcc),"
           " time_zone = CASE WHEN $6 = 1 THEN $7 ELSE time_zone END,"
           " send_at = CASE WHEN $6 = 1 THEN CAST($8 AS BIGINT) ELSE send_at END,"
           " next_attempt_at = CASE WHEN coalesce($1, status) = 'scheduled' THEN CAST($9 AS BIGINT)"
           " ELSE NULL END, updated_at = $10"
           " WHERE id = $11 AND status IN ('draft', 'scheduled') AND lease_owner IS NULL");
    if (!st)
        return -1;
    db_bind_text(st, 1, e->status, -1);
    db_bind_text(st, 2, e->subject, -1);
    db_bind_text(st, 3, e->body_html, -1);
    db_bind_text(st, 4, e->cc, -1);
    db_bind_text(st, 5, e->bcc, -1);
    db_bind_i64(st, 6, e->send_at >= 0 ? 1 : 0);
    db_bind_text(st, 7, e->time_zone, -1);
    if (e->send_at > 0)
        db_bind_i64(st, 8, e->send_at);
    else
        db_bind_null(st, 8);
    db_bind_i64(st, 9, e->next_attempt_at);
    db_bind_i64(st, 10, now);
    db_bind_i64(st, 11, id);
    return changed(d, st, "emails: edit");
}

int emails_cancel(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "DELETE FROM emails WHERE id = $1 AND status IN ('draft', 'scheduled')"
                           " AND lease_owner IS NULL");
    if (!st)
        return -1;
    db_bind_i64(st, 1, id);
    return changed(d, st, "emails: cancel");
}

int emails_retry(db *d, int64_t id, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE emails SET status = 'scheduled', next_attempt_at = $1,"
                           " failed_reason = NULL, attempts = 0, updated_at = $1"
                           " WHERE id = $2 AND status = 'failed'");
    if (!st)
        return -1;
    db_bind_i64(st, 1, now);
    db_bind_i64(st, 2, id);
    return changed(d, st, "emails: retry");
}
