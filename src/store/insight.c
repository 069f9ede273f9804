#include "core/common.h"

/* The insight panels: store/insight.h, docs/insight.md "Panels". */
#include "store/insight.h"

#include <stdio.h>
#include <string.h>

#include "core/cadence.h"
#include "core/timeutil.h"
#include "core/velocity.h"
#include "store/visibility.h"
#include "svc/activity.h"

/* Every query below takes the panel's people as $1: a JSON array of ids
 * ("[3,17]") the engine expands (SQLite json_each; PostgreSQL reads it as
 * an array literal "{3,17}", which its planner counts, where it would guess
 * 100 rows for a set-returning function), so one prepared text serves a
 * person and an account of thousands. (Whole literals: unit/test_store
 * reads them.) */
#define IN_IDS_SQLITE " IN (SELECT value FROM json_each($1))"
#define IN_IDS_PG     " = ANY (CAST(translate($1, '[]', '{}') AS BIGINT[]))"

/* The active people of an account / opportunity (people_account,
 * people_opportunity) with their owners: the viewer's scope is applied to
 * them with vis_covers_owner, the one rule. */
#define SQL_ACCOUNT_PEOPLE                                                                         \
    "SELECT id, owner_email FROM people WHERE sfdc_account_id = $1 AND active = 1"
#define SQL_OPPORTUNITY_PEOPLE                                                                     \
    "SELECT id, owner_email FROM people WHERE sfdc_opportunity_id = $1 AND active = 1"

/* Every activity of the people (activities_insight holds every column read:
 * a range per person, no table rows). The grid keeps the last 13 weeks; the
 * summary counts all of them. */
#define GRID_SELECT     "SELECT type, occurred_at, machine FROM activities"
#define SQL_GRID_SQLITE GRID_SELECT " INDEXED BY activities_insight WHERE person_id" IN_IDS_SQLITE
#define SQL_GRID_PG     GRID_SELECT " WHERE person_id" IN_IDS_PG

/* The next step of each running membership (campaign_members_person), in an
 * active campaign, soonest first. */
#define STEPS_SELECT                                                                               \
    "SELECT m.id, m.next_due_at, c.id, c.name, s.position, s.type, s.day, p.id, p.first_name,"     \
    " p.last_name FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id"                \
    " JOIN campaign_steps s ON s.campaign_id = m.campaign_id AND s.position = m.step_position"     \
    " JOIN people p ON p.id = m.person_id WHERE m.person_id"
#define STEPS_WHERE                                                                                \
    " AND m.status IN ('scheduled', 'active') AND m.next_due_at IS NOT NULL"                       \
    " AND c.status = 'active' ORDER BY m.next_due_at, m.id LIMIT $2"
#define SQL_STEPS_SQLITE STEPS_SELECT IN_IDS_SQLITE STEPS_WHERE
#define SQL_STEPS_PG     STEPS_SELECT IN_IDS_PG STEPS_WHERE

/* Open tasks of the people (tasks_person), soonest due first. */
#define TASKS_SELECT                                                                               \
    "SELECT t.id, t.name, t.type, t.due_at, t.priority, p.id, p.first_name, p.last_name"           \
    " FROM tasks t JOIN people p ON p.id = t.person_id WHERE t.person_id"
#define TASKS_WHERE      " AND t.status = 'open' ORDER BY t.due_at, t.id LIMIT $2"
#define SQL_TASKS_SQLITE TASKS_SELECT IN_IDS_SQLITE TASKS_WHERE
#define SQL_TASKS_PG     TASKS_SELECT IN_IDS_PG TASKS_WHERE

/* Campaigns the people are in now (running or paused). */
#define CAMPAIGNS_SELECT                                                                           \
    "SELECT count(DISTINCT m.campaign_id) FROM campaign_members m WHERE m.person_id"
#define CAMPAIGNS_WHERE      " AND m.status IN ('scheduled', 'active', 'paused')"
#define SQL_CAMPAIGNS_SQLITE CAMPAIGNS_SELECT IN_IDS_SQLITE CAMPAIGNS_WHERE
#define SQL_CAMPAIGNS_PG     CAMPAIGNS_SELECT IN_IDS_PG CAMPAIGNS_WHERE

/* A page of the people's history: the ids from activities_person alone (a
 * range per person, merged and cut), then those rows (SQLite: CROSS JOIN
 * keeps the page outermost), in the columns activity_row_json reads. */
#define HISTORY_SELECT                                                                             \
    "SELECT a.id, a.type, a.person_id, a.user_id, a.email_id, a.template_id, a.campaign_id,"       \
    " a.call_id, a.occurred_at, a.machine, a.attrs FROM (SELECT id FROM activities"
#define HISTORY_PAGE " AND id < $2 ORDER BY id DESC LIMIT $3) x"
#define SQL_HISTORY_SQLITE                                                                         \
    HISTORY_SELECT " INDEXED BY activities_person WHERE person_id" IN_IDS_SQLITE HISTORY_PAGE      \
                   " CROSS JOIN activities a ON a.id = x.id ORDER BY a.id DESC"
#define SQL_HISTORY_PG                                                                             \
    HISTORY_SELECT " WHERE person_id" IN_IDS_PG HISTORY_PAGE                                       \
                   " JOIN activities a ON a.id = x.id ORDER BY a.id DESC"

const char *insight_sql(db *d, int i)
{
    switch (i) {
    case 0:
        return SQL_ACCOUNT_PEOPLE;
    case 1:
        return SQL_OPPORTUNITY_PEOPLE;
    case 2:
        return DB_SQL(d, SQL_GRID_SQLITE, SQL_GRID_PG);
    case 3:
        return DB_SQL(d, SQL_STEPS_SQLITE, SQL_STEPS_PG);
    case 4:
        return DB_SQL(d, SQL_TASKS_SQLITE, SQL_TASKS_PG);
    case 5:
        return DB_SQL(d, SQL_CAMPAIGNS_SQLITE, SQL_CAMPAIGNS_PG);
    case 6:
        return DB_SQL(d, SQL_HISTORY_SQLITE, SQL_HISTORY_PG);
    default:
        return NULL;
    }
}

/* The panel's people as a JSON array of ids (*ids_json, free it) and how many. */
typedef struct people_set {
    char *ids_json;
    int64_t n;
} people_set;

static hail_err not_found(const insight_target *t)
{
    if (t->kind == INSIGHT_PERSON)
        return hail_errf(HAIL_ENOTFOUND, "no person with id %lld", (long long)t->person_id);
    return hail_errf(HAIL_ENOTFOUND, "no %s with id %.100s",
                     t->kind == INSIGHT_ACCOUNT ? "account" : "opportunity", t->sfdc_id);
}

static hail_err people_load(db *d, const email_viewer *v, const insight_target *t, people_set *out)
{
    out->ids_json = NULL;
    out->n = 0;
    if (t->kind == INSIGHT_PERSON) {
        if (!vis_person(d, v, t->person_id))
            return not_found(t);
        char buf[32];
        snprintf(buf, sizeof buf, "[%lld]", (long long)t->person_id);
        if (!(out->ids_json = strdup(buf)))
            return hail_errf(HAIL_ENOMEM, "out of memory");
        out->n = 1;
        return HAIL_OK;
    }
    vis_scope s;
    hail_err e = vis_scope_load(d, v, &s);
    if (e)
        return e;
    db_st *st = t->kind == INSIGHT_ACCOUNT ? db_stmt(d, SQL_ACCOUNT_PEOPLE)
                                           : db_stmt(d, SQL_OPPORTUNITY_PEOPLE);
    json_t *ids = json_array();
    if (!st || !ids) {
        json_decref(ids);
        vis_scope_free(&s);
        return st ? hail_errf(HAIL_ENOMEM, "out of memory") : db_fail(d, "insight: people");
    }
    db_bind_text(st, 1, t->sfdc_id, -1);
    int rc;
    while (!e && (rc = db_step(st)) == DB_ROW)
        if (vis_covers_owner(&s, db_col_text(st, 1)) &&
            json_array_append_new(ids, json_integer(db_col_i64(st, 0))))
            e = hail_errf(HAIL_ENOMEM, "out of memory");
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "insight: people");
    db_reset(st);
    vis_scope_free(&s);
    out->n = (int64_t)json_array_size(ids);
    if (!e && !out->n)
        e = not_found(t);
    if (!e && !(out->ids_json = json_dumps(ids, JSON_COMPACT)))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    json_decref(ids);
    return e;
}

static json_t *iso_or_null(int64_t us)
{
    if (!us)
        return json_null();
    char when[TIME_ISO_LEN];
    time_format_iso(us, when);
    return json_string(when);
}

static json_t *person_ref(db_st *st, int col)
{
    const char *fn = db_col_text(st, col + 1), *ln = db_col_text(st, col + 2);
    fn = fn ? fn : "";
    ln = ln ? ln : "";
    size_t n = strlen(fn) + strlen(ln) + 2;
    char *name = malloc(n);
    if (!name)
        return NULL;
    snprintf(name, n, "%s%s%s", fn, *fn && *ln ? " " : "", ln);
    json_t *p = json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, col), "name", name);
    free(name);
    return p;
}

static json_t *step_json(db *d, db_st *st)
{
    (void)d;
    const char *cname = db_col_text(st, 3), *stype = db_col_text(st, 5);
    return json_pack("{s{sI ss} sI so s{si ss si} so}", "campaign", "id",
                     (json_int_t)db_col_i64(st, 2), "name", cname ? cname : "", "member_id",
                     (json_int_t)db_col_i64(st, 0), "person", person_ref(st, 7), "step", "position",
                     db_col_int(st, 4), "type", stype ? stype : "", "day", db_col_int(st, 6),
                     "due_at", iso_or_null(db_col_i64(st, 1)));
}

static json_t *task_json(db *d, db_st *st)
{
    (void)d;
    const char *name = db_col_text(st, 1), *type = db_col_text(st, 2), *prio = db_col_text(st, 4);
    return json_pack("{sI ss ss so ss so}", "id", (json_int_t)db_col_i64(st, 0), "name",
                     name ? name : "", "type", type ? type : "", "due_at",
                     iso_or_null(db_col_i64(st, 3)), "priority", prio ? prio : "normal", "person",
                     person_ref(st, 5));
}

static hail_err list(db *d, db_st *st, const char *ids, db_row_json_fn fn, json_t **out,
                     const char *what)
{
    if (!st)
        return db_fail(d, what);
    db_bind_text(st, 1, ids, -1);
    db_bind_i64(st, 2, INSIGHT_UPCOMING_MAX);
    return db_all_json(d, st, fn, out, what);
}

/* The counts of the grid and the summary, one pass over the activities:
 * per type (activity_types order) and week. */
typedef struct tally {
    size_t ntypes;
    int64_t *human, *machine; /* [type * VELOCITY_WEEKS + week] */
    int64_t *all_human;       /* [type], every week: the summary */
    int64_t total_human, total_machine;
    int64_t last_human_at;
} tally;

static hail_err tally_init(tally *t)
{
    memset(t, 0, sizeof *t);
    while (activity_types[t->ntypes])
        t->ntypes++;
    t->human = calloc(t->ntypes * VELOCITY_WEEKS, sizeof *t->human);
    t->machine = calloc(t->ntypes * VELOCITY_WEEKS, sizeof *t->machine);
    t->all_human = calloc(t->ntypes, sizeof *t->all_human);
    if (t->human && t->machine && t->all_human)
        return HAIL_OK;
    return hail_errf(HAIL_ENOMEM, "out of memory");
}

static void tally_free(tally *t)
{
    free(t->human);
    free(t->machine);
    free(t->all_human);
}

static int type_index(const char *type)
{
    if (!type)
        return -1;
    for (int i = 0; activity_types[i]; i++)
        if (!strcmp(activity_types[i], type))
            return i;
    return -1;
}

static hail_err count(db *d, const char *ids, const velocity_weeks *w, tally *t)
{
    db_st *st = db_stmt(d, DB_SQL(d, SQL_GRID_SQLITE, SQL_GRID_PG));
    if (!st)
        return db_fail(d, "insight: activities");
    db_bind_text(st, 1, ids, -1);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        int ti = type_index(db_col_text(st, 0));
        if (ti < 0 || (size_t)ti >= t->ntypes)
            continue;
        int64_t at = db_col_i64(st, 1);
        int machine = db_col_int(st, 2) != 0;
        if (!machine) {
            t->all_human[ti]++;
            if (at > t->last_human_at)
                t->last_human_at = at;
        }
        int wk = velocity_week_of(w, at);
        if (wk < 0)
            continue;
        if (machine) {
            t->machine[ti * VELOCITY_WEEKS + wk]++;
            t->total_machine++;
        } else {
            t->human[ti * VELOCITY_WEEKS + wk]++;
            t->total_human++;
        }
    }
    hail_err e = rc == DB_ERROR ? db_fail(d, "insight: activities") : HAIL_OK;
    db_reset(st);
    return e;
}

static json_t *week_array(const int64_t *v)
{
    json_t *a = json_array();
    for (int i = 0; a && i < VELOCITY_WEEKS; i++)
        if (json_array_append_new(a, json_integer(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *grid_json(const tally *t, const velocity_weeks *w)
{
    json_t *weeks = json_array(), *rows = json_array();
    for (int i = 0; weeks && i < VELOCITY_WEEKS; i++) {
        int y, m, dd;
        time_civil_from_days(w->day[i], &y, &m, &dd);
        char day[16];
        snprintf(day, sizeof day, "%04d-%02d-%02d", y, m, dd);
        json_array_append_new(weeks, json_pack("{ss}", "start", day));
    }
    for (size_t i = 0; rows && i < t->ntypes; i++)
        json_array_append_new(rows,
                              json_pack("{ss ss so so}", "type", activity_types[i], "type_name",
                                        activity_type_name(activity_types[i]), "human",
                                        week_array(t->human + i * VELOCITY_WEEKS), "machine",
                                        week_array(t->machine + i * VELOCITY_WEEKS)));
    return json_pack("{so so s{sI sI}}", "weeks", weeks, "rows", rows, "totals", "human",
                     (json_int_t)t->total_human, "machine", (json_int_t)t->total_machine);
}

static int64_t human_of(const tally *t, const char *type)
{
    int i = type_index(type);
    return i >= 0 && (size_t)i < t->ntypes ? t->all_human[i] : 0;
}

static hail_err campaigns_active(db *d, const char *ids, int64_t *out)
{
    db_st *st = db_stmt(d, DB_SQL(d, SQL_CAMPAIGNS_SQLITE, SQL_CAMPAIGNS_PG));
    if (!st)
        return db_fail(d, "insight: campaigns");
    db_bind_text(st, 1, ids, -1);
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW)
        *out = db_col_i64(st, 0);
    else
        e = db_fail(d, "insight: campaigns");
    db_reset(st);
    return e;
}

hail_err insight_get(db *d, const email_viewer *v, const insight_target *t, const char *time_zone,
                     int64_t now_us, json_t **out)
{
    *out = NULL;
    const tz *z = NULL;
    if (!time_zone || tz_get(time_zone, &z))
        tz_get("UTC", &z);
    people_set ps;
    hail_err e = people_load(d, v, t, &ps);
    if (e)
        return e;
    velocity_weeks w;
    velocity_weeks_at(z, now_us, &w);
    tally tls, *tl = &tls;
    json_t *steps = NULL, *tasks = NULL;
    int64_t ncampaigns = 0;
    e = tally_init(tl);
    if (!e)
        e = count(d, ps.ids_json, &w, tl);
    if (!e)
        e = list(d, db_stmt(d, DB_SQL(d, SQL_STEPS_SQLITE, SQL_STEPS_PG)), ps.ids_json, step_json,
                 &steps, "insight: upcoming steps");
    if (!e)
        e = list(d, db_stmt(d, DB_SQL(d, SQL_TASKS_SQLITE, SQL_TASKS_PG)), ps.ids_json, task_json,
                 &tasks, "insight: upcoming tasks");
    if (!e)
        e = campaigns_active(d, ps.ids_json, &ncampaigns);
    if (!e) {
        json_t *o = grid_json(tl, &w);
        json_t *summary = json_pack(
            "{sI sI sI sI sI sI sI so}", "emails_sent", (json_int_t)human_of(tl, ACT_EMAIL_SEND),
            "opens", (json_int_t)human_of(tl, ACT_EMAIL_OPEN), "clicks",
            (json_int_t)human_of(tl, ACT_EMAIL_CLICK), "replies",
            (json_int_t)human_of(tl, ACT_EMAIL_REPLY), "bounces",
            (json_int_t)human_of(tl, ACT_EMAIL_BOUNCE), "calls", (json_int_t)human_of(tl, ACT_CALL),
            "campaigns_active", (json_int_t)ncampaigns, "last_activity_at",
            iso_or_null(tl->last_human_at));
        if (o && summary && !json_object_set_new(o, "time_zone", json_string(tz_name(z))) &&
            !json_object_set_new(o, "upcoming_steps", steps) &&
            !json_object_set_new(o, "upcoming_tasks", tasks) &&
            !json_object_set_new(o, "summary", summary) &&
            !json_object_set_new(o, "people", json_integer(ps.n))) {
            *out = o;
        } else {
            json_decref(o);
            json_decref(summary);
            e = hail_errf(HAIL_ENOMEM, "out of memory");
        }
        steps = tasks = NULL; /* json_object_set_new took them, even on failure */
    }
    json_decref(steps);
    json_decref(tasks);
    tally_free(tl);
    free(ps.ids_json);
    return e;
}

hail_err insight_history(db *d, const email_viewer *v, const insight_target *t, int64_t before_id,
                         int limit, json_t **out, int64_t *next)
{
    *out = NULL;
    *next = 0;
    people_set ps;
    hail_err e = people_load(d, v, t, &ps);
    if (e)
        return e;
    db_st *st = db_stmt(d, DB_SQL(d, SQL_HISTORY_SQLITE, SQL_HISTORY_PG));
    if (!st) {
        free(ps.ids_json);
        return db_fail(d, "insight: history");
    }
    db_bind_text(st, 1, ps.ids_json, -1);
    db_bind_i64(st, 2, before_id > 0 ? before_id : INT64_MAX);
    db_bind_i64(st, 3, (int64_t)limit + 1);
    json_t *a;
    e = db_all_json(d, st, activity_row_json, &a, "insight: history");
    free(ps.ids_json);
    if (e)
        return e;
    if (json_array_size(a) > (size_t)limit) {
        json_array_remove(a, (size_t)limit);
        *next = json_integer_value(json_object_get(json_array_get(a, (size_t)limit - 1), "id"));
    }
    *out = a;
    return HAIL_OK;
}
