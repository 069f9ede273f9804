#include "core/common.h"

#include "svc/tasks.h"

#include "core/cadence.h"
#include "core/timeutil.h"
#include "mail/send.h"
#include "mail/templates.h"
#include "sched/scheduler.h"
#include "svc/calls.h"

hail_err task_create_tx(db *d, const task_new *t, int64_t *id_out)
{
    if (!db_in_tx(d))
        return hail_errf(HAIL_EINVAL, "task_create_tx needs a transaction");
    db_st *st = db_stmt(d, "INSERT INTO tasks (type, name, person_id, assignee_id, created_by,"
                           " campaign_id, member_id, step_position, template_id, due_at, priority,"
                           " details, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5,"
                           " $6, $7, $8, $9, $10, $11, $12, 'open', $13, $13) RETURNING id");
    if (!st)
        return HAIL_EDB;
    const int64_t ids[] = {t->person_id, t->assignee_id, t->created_by, t->campaign_id,
                           t->member_id};
    db_bind_text(st, 1, t->type, -1);
    db_bind_text(st, 2, t->name, -1);
    for (int i = 0; i < 5; i++)
        if (ids[i])
            db_bind_i64(st, 3 + i, ids[i]);
        else
            db_bind_null(st, 3 + i);
    if (t->member_id)
        db_bind_i64(st, 8, t->step_position);
    else
        db_bind_null(st, 8);
    if (t->template_id)
        db_bind_i64(st, 9, t->template_id);
    else
        db_bind_null(st, 9);
    db_bind_i64(st, 10, t->due_at);
    db_bind_text(st, 11, t->priority ? t->priority : "normal", -1);
    db_bind_text(st, 12, t->details ? t->details : "", -1);
    db_bind_i64(st, 13, time_now_us());
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW) {
        if (id_out)
            *id_out = db_col_i64(st, 0);
    } else {
        e = db_fail(d, "tasks: add");
    }
    db_reset(st);
    return e;
}

/* ---- time zones ---- */

void task_zone_at(const char *name, int64_t now, tasks_zone *out)
{
    const tz *z = NULL;
    if (!name || tz_get(name, &z) != HAIL_OK)
        tz_get("UTC", &z);
    civil c;
    tz_to_local(z, now, &c);
    int64_t day = tz_local_day(z, now);
    static const int add[4] = {0, 1, 2, 8};
    out->name = name;
    for (int k = 0; k < 4; k++)
        out->start[k] = tz_day_start(z, day + add[k]);
    out->off_us = (int64_t)c.utc_offset_s * US_PER_SEC;
}

/* The zones of a query: [0] UTC for anyone not listed, then each user zone. */
typedef struct zones {
    char **names;
    size_t n;
    tasks_zone *z;
} zones;

static hail_err zones_load(db *d, int64_t assignee_id, int64_t now, zones *out)
{
    memset(out, 0, sizeof *out);
    hail_err e = tasks_zone_names(d, assignee_id, &out->names, &out->n);
    if (e)
        return e;
    out->z = calloc(out->n + 1, sizeof *out->z);
    if (!out->z) {
        tasks_zone_names_free(out->names, out->n);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    /* One assignee: their zone alone (no CASE). */
    if (assignee_id && out->n == 1) {
        task_zone_at(out->names[0], now, &out->z[0]);
        out->n = 1;
        return HAIL_OK;
    }
    task_zone_at("UTC", now, &out->z[0]);
    for (size_t i = 0; i < out->n; i++)
        task_zone_at(out->names[i], now, &out->z[i + 1]);
    return HAIL_OK;
}

static size_t zones_count(const zones *zs, int64_t assignee_id)
{
    return assignee_id && zs->n == 1 ? 1 : zs->n + 1;
}

static void zones_free(zones *zs)
{
    tasks_zone_names_free(zs->names, zs->n);
    free(zs->z);
}

/* ---- reading ---- */

hail_err task_list(db *d, const tasks_viewer *v, tasks_query *q, int64_t now, json_t **out,
                   tasks_key *next)
{
    zones zs;
    hail_err e = zones_load(d, q->assignee_id, now, &zs);
    if (e)
        return e;
    q->zones = zs.z;
    q->nzones = zones_count(&zs, q->assignee_id);
    e = tasks_page(d, v, q, out, next);
    q->zones = NULL;
    q->nzones = 0;
    zones_free(&zs);
    return e;
}

hail_err task_counts(db *d, const tasks_viewer *v, int64_t assignee_id, int64_t now, json_t **out)
{
    zones zs;
    hail_err e = zones_load(d, assignee_id, now, &zs);
    if (e)
        return e;
    tasks_query q = {
        .assignee_id = assignee_id, .zones = zs.z, .nzones = zones_count(&zs, assignee_id)};
    int64_t c[4];
    e = tasks_counts(d, v, &q, c);
    zones_free(&zs);
    if (e)
        return e;
    *out = json_pack("{sI sI sI sI}", "overdue", (json_int_t)c[0], "today", (json_int_t)c[1],
                     "tomorrow", (json_int_t)c[2], "next_7_days", (json_int_t)c[3]);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

hail_err task_get(db *d, const tasks_viewer *v, int64_t id, json_t **out)
{
    task_row row;
    hail_err e = tasks_load(d, v, id, &row);
    return e ? e : tasks_json(d, id, out);
}

/* ---- changes ---- */

/* Whether v may give tasks to user_id (active). */
static hail_err check_assignee(db *d, const tasks_viewer *v, int64_t user_id)
{
    int ok = tasks_user_active(d, user_id);
    if (ok < 0)
        return HAIL_EDB;
    if (!ok)
        return hail_errf(HAIL_EINVAL, "assignee %lld is not an active user", (long long)user_id);
    if (user_id == v->user_id || !strcmp(v->role, "admin"))
        return HAIL_OK;
    if (!strcmp(v->role, "manager")) {
        int same = tasks_same_team(d, v->user_id, user_id);
        if (same < 0)
            return HAIL_EDB;
        if (same)
            return HAIL_OK;
        return hail_errf(HAIL_EFORBIDDEN,
                         "user %lld is not in one of your teams: managers give tasks to their "
                         "teams' users only",
                         (long long)user_id);
    }
    return hail_errf(HAIL_EFORBIDDEN, "reps give tasks to themselves only");
}

static hail_err check_person(db *d, int64_t person_id)
{
    int ok = tasks_person_exists(d, person_id);
    if (ok < 0)
        return HAIL_EDB;
    return ok ? HAIL_OK : hail_errf(HAIL_EINVAL, "no person with id %lld", (long long)person_id);
}

static hail_err finish_tx(db *d, hail_err e)
{
    if (!e)
        e = db_commit(d);
    if (e && db_in_tx(d))
        db_rollback(d);
    return e;
}

hail_err task_create(db *d, const tasks_viewer *v, task_new *t, int64_t *id)
{
    if (!t->assignee_id)
        t->assignee_id = v->user_id;
    t->created_by = v->user_id;
    t->campaign_id = t->member_id = t->template_id = 0;
    hail_err e = check_assignee(d, v, t->assignee_id);
    if (!e && t->person_id)
        e = check_person(d, t->person_id);
    if (e)
        return e;
    if ((e = db_begin(d)))
        return e;
    return finish_tx(d, task_create_tx(d, t, id));
}

/* Loads an open task v may see inside the transaction. */
static hail_err load_open(db *d, const tasks_viewer *v, int64_t id, task_row *row)
{
    hail_err e = tasks_load(d, v, id, row);
    if (!e && strcmp(row->status, "open") != 0)
        e = hail_errf(HAIL_EBUSY, "task %lld is %s: only an open task changes", (long long)id,
                      !strcmp(row->status, "complete") ? "complete" : "skipped");
    return e;
}

static hail_err changed_or(db *d, int rc, int64_t id)
{
    if (rc < 0)
        return db_fail(d, "tasks: change");
    return rc ? HAIL_OK : hail_errf(HAIL_EBUSY, "task %lld is no longer open", (long long)id);
}

hail_err task_update(db *d, const tasks_viewer *v, int64_t id, const task_change *c)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    task_row row;
    e = load_open(d, v, id, &row);
    if (!e && c->assignee_id && c->assignee_id != row.assignee_id)
        e = check_assignee(d, v, c->assignee_id);
    if (!e && c->person_id)
        e = check_person(d, c->person_id);
    if (!e)
        e = changed_or(d, tasks_change(d, id, c, time_now_us()), id);
    return finish_tx(d, e);
}

hail_err task_reschedule(db *d, const tasks_viewer *v, int64_t id, int64_t due_at)
{
    task_change c = {.due_at = due_at};
    return task_update(d, v, id, &c);
}

hail_err task_delete(db *d, const tasks_viewer *v, int64_t id)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    task_row row;
    e = tasks_load(d, v, id, &row);
    if (!e && row.member_id)
        e = hail_errf(HAIL_EBUSY,
                      "task %lld was made by a campaign step and its person waits on it: skip "
                      "it instead",
                      (long long)id);
    if (!e) {
        int rc = tasks_delete(d, id);
        e = rc < 0 ? db_fail(d, "tasks: delete") : HAIL_OK;
    }
    return finish_tx(d, e);
}

hail_err task_skip(db *d, const tasks_viewer *v, int64_t id)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    task_row row;
    e = load_open(d, v, id, &row);
    if (!e)
        e = changed_or(d, tasks_finish(d, id, "skipped", v->user_id, 0, 0, time_now_us()), id);
    if (!e)
        e = sched_task_done(d, id, 1);
    return finish_tx(d, e);
}

/* The email of an email task, inside the transaction. */
static hail_err complete_email(db *d, const tasks_viewer *v, const task_row *row,
                               const task_completion *c, task_refusal *ref, int64_t *email_id)
{
    if (!row->person_id)
        return hail_errf(HAIL_EINVAL, "task %lld has no person to email", (long long)row->id);
    int64_t sender = c->sender_id;
    hail_err e = HAIL_OK;
    if (!sender && (e = tasks_sender_for(d, row->campaign_id, row->assignee_id, v->user_id,
                                         !strcmp(v->role, "admin"), &sender)))
        return e;
    if (!sender) {
        ref->code = "no_sender";
        snprintf(ref->message, sizeof ref->message,
                 "you have no sender identity to send task %lld's email from: add one under "
                 "Senders",
                 (long long)row->id);
        return HAIL_OK;
    }
    send_request q = {
        .user_id = v->user_id,
        .role = v->role,
        .person_id = row->person_id,
        .sender_id = sender,
        .template_id = row->template_id,
        .subject = c->subject,
        .body_html = c->body_html,
        .cc = c->cc,
        .bcc = c->bcc,
        .in_tx = 1,
        .campaign_id = row->campaign_id,
        .campaign_member_id = row->member_id,
        .campaign_step = row->member_id ? row->step_position : 0,
        .task_id = row->id,
    };
    send_result res;
    if ((e = send_create(d, &q, &res)))
        return e;
    if (res.refused) {
        ref->code = res.refused;
        snprintf(ref->message, sizeof ref->message, "%s", res.message);
        return HAIL_OK;
    }
    *email_id = res.email_id;
    return HAIL_OK;
}

/* The call of a call task, inside the transaction. */
static hail_err complete_call(db *d, const tasks_viewer *v, const task_row *row,
                              const task_completion *c, int64_t *call_id)
{
    if (!c->call)
        return hail_errf(HAIL_EINVAL,
                         "call is required: a call task is completed by logging its call");
    json_t *in = json_deep_copy(c->call);
    if (!in)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    if (!json_object_get(in, "person_id") && row->person_id)
        json_object_set_new(in, "person_id", json_integer(row->person_id));
    hail_err e = call_log_tx(d, v->user_id, v->role, in, row->id, row->campaign_id, call_id);
    json_decref(in);
    return e;
}

hail_err task_complete(db *d, const tasks_viewer *v, int64_t id, const task_completion *c,
                       task_refusal *ref)
{
    memset(ref, 0, sizeof *ref);
    hail_err e = db_begin(d);
    if (e)
        return e;
    task_row row;
    int64_t email_id = 0, call_id = 0;
    e = load_open(d, v, id, &row);
    if (!e && !strcmp(row.type, TASK_EMAIL))
        e = complete_email(d, v, &row, c, ref, &email_id);
    else if (!e && !strcmp(row.type, TASK_CALL))
        e = complete_call(d, v, &row, c, &call_id);
    if (!e && ref->code) {
        db_rollback(d);
        return HAIL_OK;
    }
    if (!e)
        e = changed_or(
            d, tasks_finish(d, id, "complete", v->user_id, email_id, call_id, time_now_us()), id);
    if (!e)
        e = sched_task_done(d, id, 0);
    return finish_tx(d, e);
}

hail_err task_email_draft(db *d, const tasks_viewer *v, int64_t id, json_t **out)
{
    *out = NULL;
    task_row row;
    hail_err e = tasks_load(d, v, id, &row);
    if (e)
        return e;
    if (strcmp(row.type, TASK_EMAIL) != 0)
        return hail_errf(HAIL_EINVAL, "task %lld is a %s task, not an email task", (long long)id,
                         row.type);
    if (!row.person_id)
        return hail_errf(HAIL_EINVAL, "task %lld has no person to email", (long long)id);
    int64_t sender = 0;
    if ((e = tasks_sender_for(d, row.campaign_id, row.assignee_id, v->user_id,
                              !strcmp(v->role, "admin"), &sender)))
        return e;
    json_t *tpl = json_null();
    json_t *p = NULL;
    if (row.template_id) {
        tmpl t;
        if ((e = templates_for_use(d, row.template_id, v->user_id, v->role, &t)))
            return e;
        tpl = json_pack("{sI ss}", "id", (json_int_t)t.id, "name", t.name);
        tmpl_free(&t);
        e = templates_preview(d, v->user_id, v->role, row.template_id, row.person_id, sender, NULL,
                              NULL, &p);
    } else {
        p = json_pack("{ss ss s[] s[]}", "subject", "", "html", "", "unfilled", "prompts");
        if (!p)
            e = hail_errf(HAIL_ENOMEM, "out of memory");
    }
    if (e || !tpl) {
        json_decref(tpl);
        json_decref(p);
        return e ? e : hail_errf(HAIL_ENOMEM, "out of memory");
    }
    json_object_del(p, "text");
    json_object_set_new(p, "sender_id", sender ? json_integer(sender) : json_null());
    json_object_set_new(p, "template", tpl);
    *out = p;
    return HAIL_OK;
}
