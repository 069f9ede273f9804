#include "core/common.h"

#include "svc/activity.h"

#include "sched/scheduler.h"
#include "store/bestbets.h"

#include <string.h>

#include "core/timeutil.h"

static const struct {
    const char *type, *name;
} types[] = {
    {ACT_EMAIL_SEND, "Send Sales Email"},
    {ACT_EMAIL_OPEN, "Open Sales Email"},
    {ACT_EMAIL_CLICK, "Click Sales Email"},
    {ACT_EMAIL_REPLY, "Reply to Sales Email"},
    {ACT_EMAIL_AUTOREPLY, "Auto-reply to Sales Email"},
    {ACT_EMAIL_BOUNCE, "Sales Email Bounced"},
    {ACT_CALL, "Receive Sales Call"},
    {ACT_CAMPAIGN_ADD, "Add to Sales Campaign"},
    {ACT_CAMPAIGN_REMOVE, "Remove from Sales Campaign"},
    {ACT_UNSUBSCRIBE, "Unsubscribe from Sales Email"},
    {ACT_RESUBSCRIBE, "Resubscribe to Sales Email"},
};

const char *const activity_types[] = {
    ACT_EMAIL_SEND,      ACT_EMAIL_OPEN,   ACT_EMAIL_CLICK, ACT_EMAIL_REPLY,
    ACT_EMAIL_AUTOREPLY, ACT_EMAIL_BOUNCE, ACT_CALL,        ACT_CAMPAIGN_ADD,
    ACT_CAMPAIGN_REMOVE, ACT_UNSUBSCRIBE,  ACT_RESUBSCRIBE, NULL,
};

const char *activity_type_name(const char *type)
{
    if (!type)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i].type, type))
            return types[i].name;
    return NULL;
}

static void bind_ref(db_st *st, int i, int64_t v)
{
    if (v > 0)
        db_bind_i64(st, i, v);
    else
        db_bind_null(st, i);
}

hail_err activity_record(db *d, const activity *a, int64_t *id_out)
{
    if (!db_in_tx(d))
        return hail_errf(HAIL_EINVAL, "an activity is recorded inside its cause's transaction");
    if (!activity_type_name(a->type))
        return hail_errf(HAIL_EINVAL, "unknown activity type '%.40s'", a->type ? a->type : "");
    if (a->person_id <= 0)
        return hail_errf(HAIL_EINVAL, "an activity needs a person");
    char *attrs = NULL;
    if (a->attrs && !(attrs = json_dumps(a->attrs, JSON_COMPACT)))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    int64_t now = time_now_us();
    /* owner is set here (migration 8's trigger would set it with a second
     * write of the row: an UPDATE after the INSERT on SQLite) */
    db_st *st = db_stmt(d, "INSERT INTO activities (type, person_id, user_id, email_id, "
                           "template_id, campaign_id, call_id, occurred_at, machine, attrs, "
                           "created_at, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                           "$11, (SELECT lower(p.owner_email) FROM people p WHERE p.id = $2)) "
                           "RETURNING id");
    if (!st) {
        free(attrs);
        return db_fail(d, "recording an activity");
    }
    db_bind_text(st, 1, a->type, -1);
    db_bind_i64(st, 2, a->person_id);
    bind_ref(st, 3, a->user_id);
    bind_ref(st, 4, a->email_id);
    bind_ref(st, 5, a->template_id);
    bind_ref(st, 6, a->campaign_id);
    bind_ref(st, 7, a->call_id);
    db_bind_i64(st, 8, a->occurred_at > 0 ? a->occurred_at : now);
    db_bind_i64(st, 9, a->machine ? 1 : 0);
    db_bind_text(st, 10, attrs ? attrs : "{}", -1);
    db_bind_i64(st, 11, now);
    hail_err e = HAIL_OK;
    int64_t id = 0;
    if (db_step(st) == DB_ROW)
        id = db_col_i64(st, 0);
    else
        e = db_fail(d, "recording an activity");
    db_reset(st);
    free(attrs);
    /* Its effects on campaigns commit with it (a reply ends a campaign). */
    if (!e)
        e = sched_on_activity(d, a, id);
    /* So does its person's Best Bets state (human opens, clicks, replies). */
    if (!e)
        e = bestbets_on_event(d, a->person_id, a->type, a->occurred_at > 0 ? a->occurred_at : now,
                              a->machine);
    if (!e && id_out)
        *id_out = id;
    return e;
}

#define COLS                                                                                       \
    "id, type, person_id, user_id, email_id, template_id, campaign_id, call_id, occurred_at, "     \
    "machine, attrs"

static json_t *ref_json(db_st *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_integer(db_col_i64(st, i));
}

json_t *activity_row_json(db *d, db_st *st)
{
    (void)d;
    char when[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, 8), when);
    const char *type = db_col_text(st, 1);
    const char *name = activity_type_name(type);
    json_error_t jerr;
    json_t *attrs = json_loads(db_col_text(st, 10), 0, &jerr);
    if (!attrs)
        attrs = json_object();
    return json_pack("{sI ss ss? sI so so so so so ss sb so}", "id", (json_int_t)db_col_i64(st, 0),
                     "type", type, "type_name", name, "person_id", (json_int_t)db_col_i64(st, 2),
                     "user_id", ref_json(st, 3), "email_id", ref_json(st, 4), "template_id",
                     ref_json(st, 5), "campaign_id", ref_json(st, 6), "call_id", ref_json(st, 7),
                     "occurred_at", when, "machine", db_col_int(st, 9) != 0, "attrs", attrs);
}

static int person_exists(db *d, int64_t id, hail_err *e)
{
    db_st *st = db_stmt(d, "SELECT 1 FROM people WHERE id = $1");
    if (!st) {
        *e = db_fail(d, "reading a person");
        return 0;
    }
    db_bind_i64(st, 1, id);
    int r = db_step(st);
    db_reset(st);
    if (r == DB_ERROR)
        *e = db_fail(d, "reading a person");
    return r == DB_ROW;
}

hail_err activity_person_page(db *d, int64_t person_id, const char *type, int64_t before_id,
                              int limit, json_t **out, int64_t *next)
{
    *out = NULL;
    *next = 0;
    hail_err e = HAIL_OK;
    if (!person_exists(d, person_id, &e))
        return e ? e : hail_errf(HAIL_ENOTFOUND, "no person with id %lld", (long long)person_id);
    /* activities_person (person_id, id) serves both forms, newest first. */
    db_st *st = type ? db_stmt(d, "SELECT " COLS " FROM activities WHERE person_id = $1 AND id < $2"
                                  " AND type = $3 ORDER BY id DESC LIMIT $4")
                     : db_stmt(d, "SELECT " COLS " FROM activities WHERE person_id = $1 AND id < $2"
                                  " ORDER BY id DESC LIMIT $3");
    if (!st)
        return db_fail(d, "reading activities");
    db_bind_i64(st, 1, person_id);
    db_bind_i64(st, 2, before_id > 0 ? before_id : INT64_MAX);
    if (type) {
        db_bind_text(st, 3, type, -1);
        db_bind_i64(st, 4, limit + 1);
    } else {
        db_bind_i64(st, 3, limit + 1);
    }
    json_t *a;
    if ((e = db_all_json(d, st, activity_row_json, &a, "reading activities")))
        return e;
    if (json_array_size(a) > (size_t)limit) {
        json_array_remove(a, (size_t)limit);
        *next = json_integer_value(json_object_get(json_array_get(a, (size_t)limit - 1), "id"));
    }
    *out = a;
    return HAIL_OK;
}

hail_err activity_after(db *d, int64_t after_id, int limit, json_t **out)
{
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT " COLS " FROM activities WHERE id > $1 ORDER BY id LIMIT $2");
    if (!st)
        return db_fail(d, "reading activities");
    db_bind_i64(st, 1, after_id);
    db_bind_i64(st, 2, limit);
    return db_all_json(d, st, activity_row_json, out, "reading activities");
}

hail_err activity_email(db *d, int64_t email_id, json_t **out)
{
    *out = NULL;
    /* activities_email (email_id, type) WHERE email_id IS NOT NULL */
    db_st *st = db_stmt(d, "SELECT " COLS " FROM activities WHERE email_id = $1 ORDER BY id");
    if (!st)
        return db_fail(d, "reading activities");
    db_bind_i64(st, 1, email_id);
    return db_all_json(d, st, activity_row_json, out, "reading activities");
}
