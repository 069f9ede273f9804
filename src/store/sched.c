#include "core/common.h"

/* The scheduler's SQL: store/sched.h. */
#include "store/sched.h"

#include <stdlib.h>
#include <string.h>

static char *dup_col(db_st *st, int i)
{
    const char *s = db_col_text(st, i);
    return strdup(s ? s : "");
}

static void copy_col(db_st *st, int i, char *out, size_t n)
{
    const char *s = db_col_null(st, i) ? NULL : db_col_text(st, i);
    snprintf(out, n, "%s", s ? s : "");
}

static int64_t i64_or0(db_st *st, int i)
{
    return db_col_null(st, i) ? 0 : db_col_i64(st, i);
}

static void bind_or_null(db_st *st, int i, int64_t v)
{
    if (v)
        db_bind_i64(st, i, v);
    else
        db_bind_null(st, i);
}

static hail_err done(db *d, db_st *st, const char *what)
{
    if (!st)
        return db_fail(d, what);
    return db_step_done(d, st, what);
}

void sched_steps_free(sched_step *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].name);
        free(s[i].details);
        free(s[i].template_name);
    }
    free(s);
}

hail_err sched_steps_load(db *d, int64_t campaign_id, sched_step **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    db_st *st = db_stmt(d, "SELECT s.position, s.day, s.type, s.template_id, s.send_option,"
                           " s.send_time, s.follow_up, s.name, s.details, s.priority,"
                           " s.linkedin_kind, t.name FROM campaign_steps s"
                           " LEFT JOIN templates t ON t.id = s.template_id"
                           " WHERE s.campaign_id = $1 ORDER BY s.position");
    if (!st)
        return db_fail(d, "campaign steps: read");
    db_bind_i64(st, 1, campaign_id);
    size_t cap = 0;
    sched_step *v = NULL;
    hail_err e = HAIL_OK;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            sched_step *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        sched_step *s = &v[*n];
        memset(s, 0, sizeof *s);
        s->position = db_col_int(st, 0);
        s->day = db_col_int(st, 1);
        copy_col(st, 2, s->type, sizeof s->type);
        s->template_id = i64_or0(st, 3);
        copy_col(st, 4, s->send_option, sizeof s->send_option);
        copy_col(st, 5, s->send_time, sizeof s->send_time);
        s->follow_up = db_col_int(st, 6);
        s->name = dup_col(st, 7);
        s->details = dup_col(st, 8);
        copy_col(st, 9, s->priority, sizeof s->priority);
        copy_col(st, 10, s->linkedin_kind, sizeof s->linkedin_kind);
        s->template_name = dup_col(st, 11);
        (*n)++;
        if (!s->name || !s->details || !s->template_name) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
            break;
        }
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "campaign steps: read");
    db_reset(st);
    if (e) {
        sched_steps_free(v, *n);
        *n = 0;
        return e;
    }
    *out = v;
    return HAIL_OK;
}

hail_err sched_member_load(db *d, int64_t id, sched_member *m)
{
    memset(m, 0, sizeof *m);
    db_st *st = db_stmt(
        d, "SELECT m.id, m.campaign_id, m.person_id, m.status, m.step_position, m.next_due_at,"
           " m.waiting_task_id, m.launch_time, m.start_at, m.paused_at, m.paused_until,"
           " m.pause_reason, m.last_email_id, m.last_email_at, m.last_step_at, m.created_at,"
           " c.owner_id, c.sender_id, c.status, c.name, c.time_zone, c.use_person_time_zone,"
           " p.time_zone, c.skip_weekends, c.end_on_reply, c.reply_is_success,"
           " c.remove_on_bounce, c.ignore_out_of_office, u.role, u.campaigns_paused_at"
           " FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id"
           " JOIN users u ON u.id = c.owner_id JOIN people p ON p.id = m.person_id"
           " WHERE m.id = $1");
    if (!st)
        return db_fail(d, "campaign members: read");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE
                   ? hail_errf(HAIL_ENOTFOUND, "no campaign member with id %lld", (long long)id)
                   : db_fail(d, "campaign members: read");
    }
    m->id = db_col_i64(st, 0);
    m->campaign_id = db_col_i64(st, 1);
    m->person_id = db_col_i64(st, 2);
    copy_col(st, 3, m->status, sizeof m->status);
    m->step_position = db_col_int(st, 4);
    m->next_due_at = i64_or0(st, 5);
    m->waiting_task_id = i64_or0(st, 6);
    copy_col(st, 7, m->launch_time, sizeof m->launch_time);
    m->start_at = i64_or0(st, 8);
    m->paused_at = i64_or0(st, 9);
    m->paused_until = i64_or0(st, 10);
    copy_col(st, 11, m->pause_reason, sizeof m->pause_reason);
    m->last_email_id = i64_or0(st, 12);
    m->last_email_at = i64_or0(st, 13);
    m->last_step_at = i64_or0(st, 14);
    m->created_at = db_col_i64(st, 15);
    m->owner_id = db_col_i64(st, 16);
    m->sender_id = i64_or0(st, 17);
    copy_col(st, 18, m->campaign_status, sizeof m->campaign_status);
    copy_col(st, 19, m->campaign_name, sizeof m->campaign_name);
    copy_col(st, 20, m->time_zone, sizeof m->time_zone);
    if (db_col_int(st, 21) && !db_col_null(st, 22) && *db_col_text(st, 22))
        copy_col(st, 22, m->time_zone, sizeof m->time_zone);
    m->skip_weekends = db_col_int(st, 23);
    m->end_on_reply = db_col_int(st, 24);
    m->reply_is_success = db_col_int(st, 25);
    m->remove_on_bounce = db_col_int(st, 26);
    m->ignore_out_of_office = db_col_int(st, 27);
    copy_col(st, 28, m->owner_role, sizeof m->owner_role);
    m->owner_paused_at = i64_or0(st, 29);
    db_reset(st);
    return HAIL_OK;
}

int sched_due_exists(db *d, int64_t now)
{
    db_st *st = db_stmt(d, "SELECT 1 FROM campaign_members WHERE next_due_at IS NOT NULL"
                           " AND next_due_at <= $1 LIMIT 1");
    if (!st) {
        db_fail(d, "campaign members: due");
        return -1;
    }
    db_bind_i64(st, 1, now);
    int rc = db_step(st);
    if (rc == DB_ERROR)
        db_fail(d, "campaign members: due");
    db_reset(st);
    return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

static const char due_sqlite[] = "SELECT id FROM campaign_members WHERE next_due_at IS NOT NULL"
                                 " AND next_due_at <= $1 ORDER BY next_due_at LIMIT $2";
static const char due_pg[] = "SELECT id FROM campaign_members WHERE next_due_at IS NOT NULL"
                             " AND next_due_at <= $1 ORDER BY next_due_at LIMIT $2"
                             " FOR UPDATE SKIP LOCKED";

const char *sched_due_sql(db *d)
{
    return DB_SQL(d, due_sqlite, due_pg);
}

hail_err sched_due_claim(db *d, int64_t now, int limit, int64_t *ids, int *n)
{
    *n = 0;
    db_st *st = db_stmt(d, DB_SQL(d, due_sqlite, due_pg));
    if (!st)
        return db_fail(d, "campaign members: claim");
    db_bind_i64(st, 1, now);
    db_bind_i64(st, 2, limit);
    int rc;
    while ((rc = db_step(st)) == DB_ROW)
        if (*n < limit)
            ids[(*n)++] = db_col_i64(st, 0);
    hail_err e = rc == DB_ERROR ? db_fail(d, "campaign members: claim") : HAIL_OK;
    db_reset(st);
    return e;
}

hail_err sched_member_set_due(db *d, int64_t id, int64_t due, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE campaign_members SET next_due_at = $1, updated_at = $2"
                           " WHERE id = $3");
    if (st) {
        bind_or_null(st, 1, due);
        db_bind_i64(st, 2, now);
        db_bind_i64(st, 3, id);
    }
    return done(d, st, "campaign members: due");
}

hail_err sched_member_advance(db *d, int64_t id, const sched_advance *a, int64_t now)
{
    /* Without the status when it stays: an UPDATE naming status rewrites the
     * entries of the indexes on it (campaign_members_campaign and the
     * partial campaign_members_once) even when its value is the same. */
    db_st *st = a->status ? db_stmt(d, "UPDATE campaign_members SET status = $1,"
                                       " step_position = $2, waiting_task_id = $3,"
                                       " last_email_id = coalesce($4, last_email_id),"
                                       " last_email_at = coalesce($5, last_email_at),"
                                       " last_step_at = $6, next_due_at = $7, updated_at = $8"
                                       " WHERE id = $9")
                          : db_stmt(d, "UPDATE campaign_members SET step_position = $1,"
                                       " waiting_task_id = $2,"
                                       " last_email_id = coalesce($3, last_email_id),"
                                       " last_email_at = coalesce($4, last_email_at),"
                                       " last_step_at = $5, next_due_at = $6, updated_at = $7"
                                       " WHERE id = $8");
    if (st) {
        int k = 0; /* the first parameter after status */
        if (a->status)
            db_bind_text(st, ++k, a->status, -1);
        db_bind_i64(st, k + 1, a->step_position);
        bind_or_null(st, k + 2, a->waiting_task_id);
        bind_or_null(st, k + 3, a->last_email_id);
        bind_or_null(st, k + 4, a->last_email_at);
        bind_or_null(st, k + 5, a->last_step_at);
        bind_or_null(st, k + 6, a->next_due_at);
        db_bind_i64(st, k + 7, now);
        db_bind_i64(st, k + 8, id);
    }
    return done(d, st, "campaign members: advance");
}

hail_err sched_member_end(db *d, int64_t id, const char *status, const char *end_reason,
                          int success, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE campaign_members SET status = $1, end_reason = $2,"
                           " success = $3, ended_at = $4, next_due_at = NULL, updated_at = $4"
                           " WHERE id = $5");
    if (st) {
        db_bind_text(st, 1, status, -1);
        db_bind_text(st, 2, end_reason, -1);
        db_bind_i64(st, 3, success ? 1 : 0);
        db_bind_i64(st, 4, now);
        db_bind_i64(st, 5, id);
    }
    return done(d, st, "campaign members: end");
}

hail_err sched_member_pause(db *d, int64_t id, const char *reason, int64_t until, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE campaign_members SET status = 'paused', pause_reason = $1,"
                           " paused_at = $2, paused_until = $3, next_due_at = $3, updated_at = $2"
                           " WHERE id = $4");
    if (st) {
        db_bind_text(st, 1, reason, -1);
        db_bind_i64(st, 2, now);
        bind_or_null(st, 3, until);
        db_bind_i64(st, 4, id);
    }
    return done(d, st, "campaign members: pause");
}

hail_err sched_member_unpause(db *d, int64_t id, int64_t start_at, int64_t last_step_at,
                              int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE campaign_members SET status = 'active', start_at = $1,"
                           " last_step_at = $2, paused_at = NULL, paused_until = NULL,"
                           " pause_reason = NULL, updated_at = $3 WHERE id = $4");
    if (st) {
        bind_or_null(st, 1, start_at);
        bind_or_null(st, 2, last_step_at);
        db_bind_i64(st, 3, now);
        db_bind_i64(st, 4, id);
    }
    return done(d, st, "campaign members: resume");
}

hail_err sched_person_members(db *d, int64_t person_id, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    db_st *st = db_stmt(d, "SELECT id FROM campaign_members WHERE person_id = $1"
                           " AND status IN ('scheduled', 'active', 'paused') ORDER BY id");
    if (!st)
        return db_fail(d, "campaign members: of a person");
    db_bind_i64(st, 1, person_id);
    size_t cap = 0;
    hail_err e = HAIL_OK;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 4;
            int64_t *nv = realloc(*ids, nc * sizeof *nv);
            if (!nv) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            *ids = nv;
            cap = nc;
        }
        (*ids)[(*n)++] = db_col_i64(st, 0);
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "campaign members: of a person");
    db_reset(st);
    if (e) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return e;
}

hail_err sched_member_cancel_emails(db *d, int64_t member_id, int64_t *cancelled)
{
    db_st *st = db_stmt(d, "DELETE FROM emails WHERE campaign_member_id = $1"
                           " AND status = 'scheduled' AND lease_owner IS NULL");
    if (st)
        db_bind_i64(st, 1, member_id);
    hail_err e = done(d, st, "emails: cancel a member's");
    if (!e && cancelled)
        *cancelled = db_changes(d);
    return e;
}

hail_err sched_member_skip_tasks(db *d, int64_t member_id, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE tasks SET status = 'skipped', completed_at = $1,"
                           " updated_at = $1 WHERE member_id = $2 AND status = 'open'");
    if (st) {
        db_bind_i64(st, 1, now);
        db_bind_i64(st, 2, member_id);
    }
    return done(d, st, "tasks: skip a member's");
}

hail_err sched_task_info(db *d, int64_t task_id, int64_t *member_id, int *step_position,
                         int64_t *email_id)
{
    *member_id = 0;
    *step_position = 0;
    *email_id = 0;
    db_st *st = db_stmt(d, "SELECT member_id, step_position, email_id FROM tasks WHERE id = $1");
    if (!st)
        return db_fail(d, "tasks: read");
    db_bind_i64(st, 1, task_id);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        *member_id = i64_or0(st, 0);
        *step_position = db_col_int(st, 1);
        *email_id = i64_or0(st, 2);
    }
    hail_err e = rc == DB_ERROR ? db_fail(d, "tasks: read") : HAIL_OK;
    db_reset(st);
    return e;
}

hail_err sched_owner_sender(db *d, int64_t user_id, int64_t *sender_id)
{
    *sender_id = 0;
    db_st *st = db_stmt(d, "SELECT id FROM senders WHERE user_id = $1 ORDER BY id LIMIT 1");
    if (!st)
        return db_fail(d, "senders: read");
    db_bind_i64(st, 1, user_id);
    int rc = db_step(st);
    if (rc == DB_ROW)
        *sender_id = db_col_i64(st, 0);
    hail_err e = rc == DB_ERROR ? db_fail(d, "senders: read") : HAIL_OK;
    db_reset(st);
    return e;
}

void sched_thread_free(sched_thread *t)
{
    free(t->subject);
    free(t->body_html);
    free(t->message_id);
    free(t->refs);
    free(t->from_address);
    free(t->from_name);
    memset(t, 0, sizeof *t);
}

hail_err sched_thread_load(db *d, int64_t email_id, sched_thread *t)
{
    memset(t, 0, sizeof *t);
    db_st *st = db_stmt(d, "SELECT e.subject, e.body_html, e.message_id, e.refs, s.address,"
                           " s.display_name, coalesce(e.sent_at, e.send_at, e.created_at)"
                           " FROM emails e JOIN senders s ON s.id = e.sender_id WHERE e.id = $1");
    if (!st)
        return db_fail(d, "emails: read");
    db_bind_i64(st, 1, email_id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE
                   ? hail_errf(HAIL_ENOTFOUND, "no email with id %lld", (long long)email_id)
                   : db_fail(d, "emails: read");
    }
    t->subject = dup_col(st, 0);
    t->body_html = dup_col(st, 1);
    t->message_id = db_col_null(st, 2) ? NULL : dup_col(st, 2);
    t->refs = db_col_null(st, 3) ? NULL : dup_col(st, 3);
    t->from_address = dup_col(st, 4);
    t->from_name = dup_col(st, 5);
    t->at = db_col_i64(st, 6);
    db_reset(st);
    if (!t->subject || !t->body_html || !t->from_address || !t->from_name) {
        sched_thread_free(t);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

hail_err sched_email_set_message_id(db *d, int64_t email_id, const char *message_id)
{
    db_st *st = db_stmt(d, "UPDATE emails SET message_id = $1 WHERE id = $2"
                           " AND message_id IS NULL");
    if (st) {
        db_bind_text(st, 1, message_id, -1);
        db_bind_i64(st, 2, email_id);
    }
    return done(d, st, "emails: Message-ID");
}

hail_err sched_sender_address(db *d, int64_t sender_id, char *out, size_t n)
{
    out[0] = '\0';
    db_st *st = db_stmt(d, "SELECT address FROM senders WHERE id = $1");
    if (!st)
        return db_fail(d, "senders: read");
    db_bind_i64(st, 1, sender_id);
    int rc = db_step(st);
    if (rc == DB_ROW)
        copy_col(st, 0, out, n);
    hail_err e = rc == DB_ERROR ? db_fail(d, "senders: read") : HAIL_OK;
    db_reset(st);
    return e;
}
