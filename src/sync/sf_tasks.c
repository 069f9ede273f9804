#include "core/common.h"

/* Reminder tasks both ways with Salesforce (sync/sf_tasks.h). */
#include "sync/sf_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/cadence.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/outbox.h"
#include "store/sfdc.h"
#include "sync/sf_outbox.h"

#define PUSH_BATCH   50
#define DELETE_BATCH 50
#define SWEEP_BATCH  100
#define NAME_MAX_B   200  /* hail's task name (api/tasks.c) */
#define DETAILS_MAX  4000 /* hail's task details */
#define SF_DESC_MAX  32000
#define DEFAULT_HOUR 9
/* The first poll reads Tasks changed this long before it, for the clocks of
 * hail and Salesforce. */
#define FIRST_MARGIN_US (INT64_C(600) * 1000000)

/* ---- pure parts ---- */

const char *sf_task_status_out(const char *status)
{
    return status && !strcmp(status, "open") ? "Not Started" : "Completed";
}

const char *sf_task_priority_out(const char *priority)
{
    return priority && !strcmp(priority, "high") ? "High" : "Normal";
}

const char *sf_task_status_in(const char *sf_status)
{
    if (!sf_status || !*sf_status)
        return NULL;
    return !strcmp(sf_status, "Completed") ? "complete" : "open";
}

const char *sf_task_priority_in(const char *sf_priority)
{
    if (!sf_priority)
        return NULL;
    if (!strcmp(sf_priority, "High"))
        return "high";
    if (!strcmp(sf_priority, "Normal") || !strcmp(sf_priority, "Low"))
        return "normal";
    return NULL;
}

const char *sf_task_type_out(const char *type)
{
    if (type && !strcmp(type, "call"))
        return "Call";
    if (type && !strcmp(type, "email"))
        return "Email";
    return "Other";
}

const char *sf_task_type_in(const char *sf_type)
{
    if (sf_type && !strcmp(sf_type, "Call"))
        return "call";
    if (sf_type && !strcmp(sf_type, "Email"))
        return "email";
    return "custom";
}

static const tz *zone(const char *name)
{
    const tz *z = NULL;
    if (!name || tz_get(name, &z) != HAIL_OK) {
        hail_errclear();
        if (tz_get("UTC", &z) != HAIL_OK)
            hail_errclear();
    }
    return z;
}

void sf_task_date(int64_t due_at, const char *tzname, char out[11])
{
    const tz *z = zone(tzname);
    int64_t day = z ? tz_local_day(z, due_at) : due_at / (INT64_C(86400) * US_PER_SEC);
    int y, m, d;
    time_civil_from_days(day, &y, &m, &d);
    unsigned yy = (unsigned)y % 10000u, mm = (unsigned)m % 100u, dd = (unsigned)d % 100u;
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%04u-%02u-%02u", yy, mm, dd);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

static int two(const char *s)
{
    return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' ? (s[0] - '0') * 10 + s[1] - '0'
                                                                    : -1;
}

int64_t sf_task_due(const char *date, const char *tzname, int64_t current)
{
    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-')
        return 0;
    int hi = two(date), lo = two(date + 2), m = two(date + 5), d = two(date + 8);
    if (hi < 0 || lo < 0 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    int y = hi * 100 + lo;
    int64_t day = time_days_from_civil(y, m, d);
    int yy, mm, dd;
    time_civil_from_days(day, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
        return 0; /* 2026-02-30 */
    const tz *z = zone(tzname);
    if (!z)
        return 0;
    int64_t tod = (int64_t)DEFAULT_HOUR * 3600 * US_PER_SEC;
    if (current)
        tod = current - tz_day_start(z, tz_local_day(z, current));
    return tz_day_start(z, day) + tod;
}

static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

static json_t *cut_string(const char *s, size_t max)
{
    size_t n = strlen(s ? s : "");
    return json_stringn(s ? s : "", utf8_cut(s ? s : "", n, max));
}

json_t *sf_reminder_record(const sfdc_task *t, int new_task, const char *ext_field)
{
    json_t *r = json_object();
    if (!r)
        return NULL;
    char date[11];
    sf_task_date(t->due_at, t->time_zone, date);
    json_object_set_new(r, "Subject", cut_string(t->name, SF_SUBJECT_MAX));
    json_object_set_new(r, "Status", json_string(sf_task_status_out(t->status)));
    json_object_set_new(r, "Priority", json_string(sf_task_priority_out(t->priority)));
    json_object_set_new(r, "ActivityDate", json_string(date));
    json_object_set_new(r, "Description", cut_string(t->details, SF_DESC_MAX));
    json_object_set_new(r, "Type", json_string(sf_task_type_out(t->type)));
    /* No TaskSubtype: Salesforce makes a Task's "Task", and refuses the field
     * on an update (an upsert repeated after a crash updates). */
    if (new_task && t->who)
        json_object_set_new(r, "WhoId", json_string(t->who));
    if (ext_field) {
        char key[40];
        snprintf(key, sizeof key, SF_TASK_EXT_PREFIX "%lld", (long long)t->id);
        json_object_set_new(r, ext_field, json_string(key));
    }
    return r;
}

/* ---- bringing a Task's values in ---- */

static const char *str(json_t *rec, const char *key)
{
    return json_string_value(json_object_get(rec, key));
}

static int64_t stamp_of(json_t *rec, const char *key)
{
    const char *s = str(rec, key);
    int64_t at = 0;
    if (!s || time_parse_iso(s, strlen(s), &at)) {
        hail_errclear();
        return 0;
    }
    return at;
}

static int by_us(sf_client *s, json_t *rec, const char *key)
{
    const char *by = str(rec, key), *us = sf_client_user(s);
    return by && *us && !strncmp(by, us, 15);
}

/* Sets t to rec's values where they differ (*changed 1 when any did; may be
 * NULL); when none differ, marks t agreed as it is. */
static hail_err apply_remote(db *d, const sfdc_task *t, json_t *rec, int *changed)
{
    if (changed)
        *changed = 0;
    sfdc_task_change c = {0};
    char name[NAME_MAX_B + 1], details[DETAILS_MAX + 1];
    const char *subject = str(rec, "Subject");
    if (subject && *subject) {
        size_t n = utf8_cut(subject, strlen(subject), NAME_MAX_B);
        snprintf(name, sizeof name, "%.*s", (int)n, subject);
        if (strcmp(name, t->name))
            c.name = name;
    }
    json_t *desc = json_object_get(rec, "Description");
    if (json_is_string(desc) || json_is_null(desc)) {
        const char *v = json_is_string(desc) ? json_string_value(desc) : "";
        size_t n = utf8_cut(v, strlen(v), DETAILS_MAX);
        snprintf(details, sizeof details, "%.*s", (int)n, v);
        if (strcmp(details, t->details))
            c.details = details;
    }
    const char *prio = sf_task_priority_in(str(rec, "Priority"));
    if (prio && strcmp(prio, t->priority))
        c.priority = prio;
    const char *status = sf_task_status_in(str(rec, "Status"));
    if (status && !strcmp(status, "complete") && !strcmp(t->status, "open"))
        c.status = "complete";
    else if (status && !strcmp(status, "open") && strcmp(t->status, "open"))
        c.status = "open";
    const char *date = str(rec, "ActivityDate");
    if (date) {
        char now_date[11];
        sf_task_date(t->due_at, t->time_zone, now_date);
        if (strcmp(date, now_date))
            c.due_at = sf_task_due(date, t->time_zone, t->due_at);
    }
    int rc;
    if (c.name || c.details || c.priority || c.status || c.due_at) {
        rc = sfdc_task_apply(d, t->id, &c, time_now_us());
        if (rc > 0 && changed)
            *changed = 1;
        if (rc > 0)
            log_info("salesforce: task %lld changed from Task %s", (long long)t->id,
                     t->sfdc_task_id ? t->sfdc_task_id : "");
    } else {
        rc = sfdc_task_agreed(d, t->id, NULL, t->updated_at);
    }
    return rc < 0 ? HAIL_EDB : HAIL_OK;
}

/* ---- hail -> Salesforce ---- */

/* Salesforce refused task t's write: the message goes to Admin ->
 * Integrations (the consumer's last error) and the log, and the task is
 * taken as agreed until it changes again (it is not retried forever). */
static hail_err refused(db *d, const sfdc_task *t, const char *what)
{
    char msg[1200];
    snprintf(msg, sizeof msg, "task %lld: Salesforce refused its %s: %s", (long long)t->id, what,
             hail_errmsg());
    hail_errclear();
    log_warn("salesforce: %s", msg);
    if (outbox_note_error(d, SF_CONSUMER, msg, 0))
        hail_errclear();
    return sfdc_task_agreed(d, t->id, NULL, t->updated_at) < 0 ? HAIL_EDB : HAIL_OK;
}

static hail_err push_new(sf_client *s, db *d, int ext, const sfdc_task *t)
{
    json_t *rec = sf_reminder_record(t, 1, NULL);
    char *body = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    json_decref(rec);
    if (!body)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    char path[160];
    if (ext)
        snprintf(path, sizeof path, "/sobjects/Task/%s/" SF_TASK_EXT_PREFIX "%lld", SF_EXT_FIELD,
                 (long long)t->id);
    else
        snprintf(path, sizeof path, "/sobjects/Task");
    long st;
    json_t *out = NULL;
    hail_err e = sf_call(s, ext ? "PATCH" : "POST", path, body, &st, &out);
    free(body);
    if (e == HAIL_EREMOTE || e == HAIL_ENOTFOUND)
        return refused(d, t, "new Task");
    if (e)
        return e;
    const char *id = str(out, "id");
    if (!id || !*id) {
        json_decref(out);
        return hail_errf(HAIL_EREMOTE, "Salesforce's answer to a new Task has no id");
    }
    int rc = sfdc_task_agreed(d, t->id, id, t->updated_at);
    json_decref(out);
    return rc < 0 ? HAIL_EDB : HAIL_OK;
}

static hail_err push_linked(sf_client *s, db *d, const sfdc_task *t)
{
    char path[96];
    snprintf(path, sizeof path, "/sobjects/Task/%s", t->sfdc_task_id);
    long st;
    json_t *cur = NULL;
    hail_err e = sf_call(s, "GET", path, NULL, &st, &cur);
    if (e == HAIL_ENOTFOUND) {
        log_info("salesforce: Task %s of task %lld was deleted in Salesforce: the task stays in "
                 "hail, no longer linked",
                 t->sfdc_task_id, (long long)t->id);
        hail_errclear();
        return sfdc_task_unlink(d, t->id) < 0 ? HAIL_EDB : HAIL_OK;
    }
    if (e == HAIL_EREMOTE)
        return refused(d, t, "read");
    if (e)
        return e;
    /* Changed in Salesforce after hail's change: Salesforce's is the later
     * one and wins. */
    if (!by_us(s, cur, "LastModifiedById") && stamp_of(cur, "SystemModstamp") > t->updated_at) {
        e = apply_remote(d, t, cur, NULL);
        json_decref(cur);
        return e;
    }
    json_decref(cur);
    json_t *rec = sf_reminder_record(t, 0, NULL);
    char *body = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    json_decref(rec);
    if (!body)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    e = sf_call(s, "PATCH", path, body, &st, NULL);
    free(body);
    if (e == HAIL_ENOTFOUND) {
        hail_errclear();
        return sfdc_task_unlink(d, t->id) < 0 ? HAIL_EDB : HAIL_OK;
    }
    if (e == HAIL_EREMOTE)
        return refused(d, t, "change");
    if (e)
        return e;
    return sfdc_task_agreed(d, t->id, NULL, t->updated_at) < 0 ? HAIL_EDB : HAIL_OK;
}

static hail_err push_deletes(sf_client *s, db *d, int *did)
{
    char *ids[DELETE_BATCH];
    size_t n = 0;
    hail_err e = sfdc_task_deletes(d, DELETE_BATCH, ids, &n);
    for (size_t i = 0; i < n && !e; i++) {
        char path[96];
        snprintf(path, sizeof path, "/sobjects/Task/%s", ids[i]);
        long st;
        e = sf_call(s, "DELETE", path, NULL, &st, NULL);
        if (e == HAIL_ENOTFOUND || e == HAIL_EREMOTE) {
            /* gone already, or refused: not retried forever */
            if (e == HAIL_EREMOTE)
                log_warn("salesforce: deleting Task %s: %s", ids[i], hail_errmsg());
            hail_errclear();
            e = HAIL_OK;
        }
        if (!e && sfdc_task_delete_done(d, ids[i]) < 0)
            e = HAIL_EDB;
        if (!e)
            *did = 1;
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    return e;
}

hail_err sf_tasks_push(sf_client *s, db *d, int ext, int *did)
{
    *did = 0;
    hail_err e = push_deletes(s, d, did);
    if (e)
        return e;
    sfdc_task *t = NULL;
    size_t n = 0;
    if ((e = sfdc_tasks_dirty(d, 0, PUSH_BATCH, &t, &n)))
        return e;
    for (size_t i = 0; i < n && !e; i++) {
        if (t[i].sfdc_task_id && !strncmp(t[i].sfdc_task_id, SFDC_GONE, strlen(SFDC_GONE)))
            e = sfdc_task_agreed(d, t[i].id, NULL, t[i].updated_at) < 0 ? HAIL_EDB : HAIL_OK;
        else if (t[i].sfdc_task_id)
            e = push_linked(s, d, &t[i]);
        else if (t[i].who)
            e = push_new(s, d, ext, &t[i]);
        else /* no Salesforce person: nothing to link (until it changes again) */
            e = sfdc_task_agreed(d, t[i].id, NULL, t[i].updated_at) < 0 ? HAIL_EDB : HAIL_OK;
        if (!e && (t[i].sfdc_task_id || t[i].who))
            *did = 1;
    }
    sfdc_tasks_free(t, n);
    return e;
}

/* ---- Salesforce -> hail ---- */

typedef struct poll_ctx {
    sf_client *s;
    db *d;
    int64_t from, max_stamp;
    size_t changed, added;
} poll_ctx;

static hail_err import(poll_ctx *p, json_t *rec, const char *sfid)
{
    const char *who = str(rec, "WhoId");
    if (by_us(p->s, rec, "CreatedById") || stamp_of(rec, "CreatedDate") < p->from || !who ||
        strlen(who) < 3)
        return HAIL_OK;
    const char *status = sf_task_status_in(str(rec, "Status"));
    if (status && strcmp(status, "open"))
        return HAIL_OK; /* only open Tasks become hail tasks */
    int contact = !strncmp(who, "003", 3);
    if (!contact && strncmp(who, "00Q", 3))
        return HAIL_OK;
    int64_t people[4];
    size_t np = 0;
    hail_err e = sfdc_people(p->d, contact, who, people, 4, &np);
    if (e || !np)
        return e;
    int64_t owner = 0;
    char *tzname = NULL;
    if ((e = sfdc_person_owner(p->d, people[0], &owner, &tzname)) || !owner) {
        free(tzname);
        if (!e)
            log_info("salesforce: Task %s is on person %lld, who has no owner in hail: not "
                     "brought in",
                     sfid, (long long)people[0]);
        return e;
    }
    const char *subject = str(rec, "Subject");
    char name[NAME_MAX_B + 1], details[DETAILS_MAX + 1];
    if (!subject || !*subject)
        subject = "Salesforce task";
    snprintf(name, sizeof name, "%.*s", (int)utf8_cut(subject, strlen(subject), NAME_MAX_B),
             subject);
    const char *desc = str(rec, "Description");
    desc = desc ? desc : "";
    snprintf(details, sizeof details, "%.*s", (int)utf8_cut(desc, strlen(desc), DETAILS_MAX), desc);
    int64_t now = time_now_us();
    int64_t due = sf_task_due(str(rec, "ActivityDate"), tzname, 0);
    const char *prio = sf_task_priority_in(str(rec, "Priority"));
    sfdc_task_new t = {.type = sf_task_type_in(str(rec, "Type")),
                       .name = name,
                       .details = details,
                       .priority = prio ? prio : "normal",
                       .sfdc_task_id = sfid,
                       .person_id = people[0],
                       .assignee_id = owner,
                       .due_at = due ? due : now};
    int64_t id = 0;
    e = sfdc_task_import(p->d, &t, now, &id);
    free(tzname);
    if (!e) {
        p->added++;
        log_info("salesforce: Task %s brought in as task %lld", sfid, (long long)id);
    }
    return e;
}

static hail_err on_task(void *ctx, json_t *rec)
{
    poll_ctx *p = ctx;
    const char *sfid = str(rec, "Id");
    int64_t at = stamp_of(rec, "SystemModstamp");
    if (!sfid || !at)
        return HAIL_OK;
    if (at > p->max_stamp)
        p->max_stamp = at;
    if (by_us(p->s, rec, "LastModifiedById"))
        return HAIL_OK; /* hail's own write */
    sfdc_task t;
    int found = 0;
    hail_err e = sfdc_task_by_sfdc(p->d, sfid, &t, &found);
    if (e)
        return e;
    if (!found)
        return import(p, rec, sfid);
    /* Both changed since they last agreed: the later change wins (hail's is
     * then sent by the push). */
    int dirty = t.synced_at != t.updated_at;
    if (!(dirty && t.updated_at > at)) {
        int changed = 0;
        e = apply_remote(p->d, &t, rec, &changed);
        p->changed += (size_t)changed;
    }
    sfdc_task_release(&t);
    return e;
}

/* The sweep: a slice of the linked open tasks per poll, from where the last
 * one stopped, asks Salesforce which of their Tasks still exist. A Task
 * deleted there after its task last agreed deletes the task (the later
 * change); a task changed since is left to the push, which keeps it
 * unlinked. */
typedef struct sweep_ctx {
    char **sfids;
    size_t n;
    unsigned char *seen;
} sweep_ctx;

static hail_err on_present(void *ctx, json_t *rec)
{
    sweep_ctx *w = ctx;
    const char *id = str(rec, "Id");
    for (size_t i = 0; id && i < w->n; i++)
        if (!strncmp(w->sfids[i], id, 15))
            w->seen[i] = 1;
    return HAIL_OK;
}

static hail_err sweep(sf_client *s, db *d)
{
    char *v = NULL;
    hail_err e = db_kv_get(d, SF_KV_TASKS_SWEEP, &v);
    if (e)
        return e;
    int64_t after = v ? strtoll(v, NULL, 10) : 0, ids[SWEEP_BATCH];
    free(v);
    char *sfids[SWEEP_BATCH];
    unsigned char seen[SWEEP_BATCH] = {0};
    size_t n = 0;
    if ((e = sfdc_tasks_linked_open(d, after, SWEEP_BATCH, ids, sfids, &n)))
        return e;
    buf q = BUF_INIT(64 * 1024);
    e = buf_printf(&q, "SELECT Id FROM Task WHERE Id IN (");
    for (size_t i = 0; i < n && !e; i++)
        e = buf_printf(&q, "%s'%.18s'", i ? ", " : "", sfids[i]);
    if (!e)
        e = buf_printf(&q, ")");
    sweep_ctx w = {sfids, n, seen};
    if (!e && n)
        e = sf_query(s, q.data, on_present, &w);
    for (size_t i = 0; i < n && !e; i++) {
        if (seen[i])
            continue;
        int rc = sfdc_task_delete_agreed(d, ids[i], sfids[i]);
        if (rc < 0)
            e = HAIL_EDB;
        else if (rc > 0)
            log_info("salesforce: Task %s was deleted in Salesforce: task %lld deleted too",
                     sfids[i], (long long)ids[i]);
    }
    if (!e) {
        char next[24];
        snprintf(next, sizeof next, "%lld", n == SWEEP_BATCH ? (long long)ids[n - 1] : 0LL);
        e = db_kv_set(d, SF_KV_TASKS_SWEEP, next);
    }
    buf_release(&q);
    for (size_t i = 0; i < n; i++)
        free(sfids[i]);
    return e;
}

hail_err sf_tasks_poll(sf_client *s, db *d)
{
    char *since = NULL, *from = NULL;
    hail_err e = db_kv_get(d, SF_KV_TASKS_SINCE, &since);
    if (!e)
        e = db_kv_get(d, SF_KV_TASKS_FROM, &from);
    if (e) {
        free(since);
        return e;
    }
    char iso[TIME_ISO_LEN];
    if (!since || !from) {
        /* The first poll: Tasks changed from a little before now; only Tasks
         * made from then on are brought in as new tasks. */
        time_format_iso(time_now_us() - FIRST_MARGIN_US, iso);
        free(since);
        free(from);
        if ((e = db_kv_set(d, SF_KV_TASKS_FROM, iso)) || (e = db_kv_set(d, SF_KV_TASKS_SINCE, iso)))
            return e;
        since = strdup(iso);
        from = strdup(iso);
        if (!since || !from) {
            free(since);
            free(from);
            return hail_errf(HAIL_ENOMEM, "out of memory");
        }
    }
    poll_ctx p = {.s = s, .d = d};
    if (time_parse_iso(from, strlen(from), &p.from))
        hail_errclear();
    int64_t old = 0;
    if (time_parse_iso(since, strlen(since), &old))
        hail_errclear();
    /* the integration user is known after the first call */
    if (!*sf_client_user(s) && (e = sf_login(s))) {
        free(since);
        free(from);
        return e;
    }
    char soql[512];
    snprintf(soql, sizeof soql,
             "SELECT Id, WhoId, Subject, Status, Priority, ActivityDate, Description, Type,"
             " CreatedDate, CreatedById, SystemModstamp, LastModifiedById FROM Task"
             " WHERE SystemModstamp >= %.20s AND LastModifiedById != '%.18s'"
             " AND TaskSubtype = 'Task' ORDER BY SystemModstamp",
             since, sf_client_user(s));
    e = sf_query(s, soql, on_task, &p);
    if (!e && p.max_stamp > old) {
        time_format_iso(p.max_stamp, iso);
        e = db_kv_set(d, SF_KV_TASKS_SINCE, iso);
    }
    if (p.changed || p.added)
        log_info("salesforce: %zu task change%s and %zu new task%s brought in", p.changed,
                 p.changed == 1 ? "" : "s", p.added, p.added == 1 ? "" : "s");
    free(since);
    free(from);
    return e ? e : sweep(s, d);
}
