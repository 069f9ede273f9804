#include "core/common.h"

/* Reports: store/reports.h. */
#include "store/reports.h"

#include "core/cadence.h"
#include "core/timeutil.h"
#include "store/visibility.h"

/* A quarter hour in µs: the log is grouped by these (every zone offset in
 * use is a whole number of them, so one never straddles a local midnight). */
#define QUARTER_US "900000000"
#define QUARTER    INT64_C(900000000)

static const char *const kind_names[] = {"templates", "campaigns", "users", "teams"};

int report_kind_parse(const char *name)
{
    for (int i = 0; name && i < (int)(sizeof kind_names / sizeof *kind_names); i++)
        if (!strcmp(name, kind_names[i]))
            return i;
    return -1;
}

const char *report_kind_name(report_kind k)
{
    return kind_names[k];
}

/* ---- the statements ---- */

#define R_TYPES                                                                                    \
    "a.type IN ('email_send', 'email_open', 'email_click', 'email_reply', 'email_bounce', "        \
    "'unsubscribe', 'call')"
#define R_ACT(key, join, scope)                                                                    \
    "SELECT " key ", a.type, a.machine, a.occurred_at / " QUARTER_US ", c.outcome, COUNT(*) "      \
    "FROM activities a LEFT JOIN calls c ON c.id = a.call_id AND a.type = 'call' " join            \
    "WHERE a.occurred_at >= $1 AND a.occurred_at < $2 AND " R_TYPES scope                          \
    " GROUP BY 1, 2, 3, 4, 5"
/* an unsubscribe names its email, not the email's template or campaign */
#define R_EMAIL "LEFT JOIN emails e ON e.id = a.email_id AND a.type = 'unsubscribe' "
#define R_TEAM  "JOIN team_members tm ON tm.user_id = a.user_id "
#define R_ACT_KIND(scope_any, scope_sqlite_or_pg)                                                  \
    {R_ACT("COALESCE(a.template_id, e.template_id)", R_EMAIL, ""),                                 \
     R_ACT("COALESCE(a.template_id, e.template_id)", R_EMAIL, scope_sqlite_or_pg)},                \
        {R_ACT("COALESCE(a.campaign_id, e.campaign_id)", R_EMAIL, ""),                             \
         R_ACT("COALESCE(a.campaign_id, e.campaign_id)", R_EMAIL, scope_sqlite_or_pg)},            \
        {R_ACT("a.user_id", "", scope_any), R_ACT("a.user_id", "", scope_sqlite_or_pg)},           \
    {                                                                                              \
        R_ACT("tm.team_id", R_TEAM, ""), R_ACT("tm.team_id", R_TEAM, scope_sqlite_or_pg)           \
    }

/* The covered users are one parameter: a JSON array on SQLite (json_each);
 * on PostgreSQL an array, whose size the planner sees (from jsonb it guesses
 * 100 users and reads by time alone). */
static const char *const act_sql[2][4][2] = {
    {R_ACT_KIND(" AND a.user_id IS NOT NULL", " AND " VIS_USER_IN_SQLITE("a.user_id", "$3"))},
    {R_ACT_KIND(" AND a.user_id IS NOT NULL", " AND a.user_id = ANY (CAST($3 AS BIGINT[]))")},
};

#define R_TASKS(key, join, scope)                                                                  \
    "SELECT " key ", t.completed_at / " QUARTER_US ", COUNT(*) FROM tasks t " join                 \
    "WHERE t.status <> 'open' AND t.status = 'complete' AND t.completed_at >= $1 "                 \
    "AND t.completed_at < $2 AND " scope " GROUP BY 1, 2"
#define R_TASK_TEAM "JOIN team_members tm ON tm.user_id = t.assignee_id "
/* an admin's: every user's range of tasks_done rather than a scan */
#define R_TASK_ALL "t.assignee_id IN (SELECT id FROM users)"
#define R_TASK_KIND(scoped)                                                                        \
    {R_TASKS("t.template_id", "", R_TASK_ALL), R_TASKS("t.template_id", "", scoped)},              \
        {R_TASKS("t.campaign_id", "", R_TASK_ALL), R_TASKS("t.campaign_id", "", scoped)},          \
        {R_TASKS("t.assignee_id", "", R_TASK_ALL), R_TASKS("t.assignee_id", "", scoped)},          \
    {                                                                                              \
        R_TASKS("tm.team_id", R_TASK_TEAM, R_TASK_ALL), R_TASKS("tm.team_id", R_TASK_TEAM, scoped) \
    }

static const char *const task_sql[2][4][2] = {
    {R_TASK_KIND(VIS_USER_IN_SQLITE("t.assignee_id", "$3"))},
    {R_TASK_KIND("t.assignee_id = ANY (CAST($3 AS BIGINT[]))")},
};

const char *reports_activity_sql(db *d, report_kind k, int scoped)
{
    return act_sql[db_engine_of(d) == DB_POSTGRES][k][!!scoped];
}

const char *reports_tasks_sql(db *d, report_kind k, int scoped)
{
    return task_sql[db_engine_of(d) == DB_POSTGRES][k][!!scoped];
}

/* ---- counting ---- */

typedef struct metrics {
    int64_t sent, opens, machine_opens, clicks, machine_clicks, replies, bounces, unsubscribes;
    int64_t calls, tasks;
    json_t *outcomes; /* {"<outcome>": n}, or NULL before the first call */
} metrics;

typedef struct row {
    int64_t id;
    char *name;
    metrics m;
} row;

typedef struct report {
    const report_query *q;
    const tz *z;
    row *rows;
    size_t nrows, cap, last;
    int fixed; /* users/teams: the rows are known up front; others are left out */
    metrics *series;
    size_t nseries;
    int64_t first_bucket_day; /* the day the first series bucket starts on */
} report;

static void metrics_free(metrics *m)
{
    json_decref(m->outcomes);
    m->outcomes = NULL;
}

static row *find_row(report *r, int64_t id)
{
    /* the statements' rows mostly come key by key: try the last one first */
    if (r->last < r->nrows && r->rows[r->last].id == id)
        return &r->rows[r->last];
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].id == id) {
            r->last = i;
            return &r->rows[i];
        }
    return NULL;
}

static hail_err add_row(report *r, int64_t id, const char *name, row **out)
{
    if (r->nrows == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        row *n = realloc(r->rows, cap * sizeof *n);
        if (!n)
            return HAIL_ENOMEM;
        r->rows = n;
        r->cap = cap;
    }
    row *w = &r->rows[r->nrows];
    memset(w, 0, sizeof *w);
    w->id = id;
    if (name && !(w->name = strdup(name)))
        return HAIL_ENOMEM;
    r->nrows++;
    if (out)
        *out = w;
    return HAIL_OK;
}

static int64_t week_start(int64_t day)
{
    /* 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays */
    int64_t dow = ((day + 3) % 7 + 7) % 7;
    return day - dow;
}

static metrics *bucket(report *r, int64_t quarter)
{
    int64_t day = tz_local_day(r->z, quarter * QUARTER);
    if (day < r->q->from_day)
        day = r->q->from_day;
    if (day > r->q->to_day)
        day = r->q->to_day;
    int64_t i =
        r->q->week ? (week_start(day) - r->first_bucket_day) / 7 : day - r->first_bucket_day;
    return &r->series[i];
}

static hail_err add_outcome(metrics *m, const char *outcome, int64_t n)
{
    if (!m->outcomes && !(m->outcomes = json_object()))
        return HAIL_ENOMEM;
    json_t *had = json_object_get(m->outcomes, outcome);
    int64_t v = (had ? json_integer_value(had) : 0) + n;
    return json_object_set_new(m->outcomes, outcome, json_integer(v)) ? HAIL_ENOMEM : HAIL_OK;
}

static hail_err count(metrics *m, const char *type, int machine, const char *outcome, int64_t n)
{
    if (!strcmp(type, "email_send"))
        m->sent += n;
    else if (!strcmp(type, "email_open"))
        *(machine ? &m->machine_opens : &m->opens) += n;
    else if (!strcmp(type, "email_click"))
        *(machine ? &m->machine_clicks : &m->clicks) += n;
    else if (!strcmp(type, "email_reply"))
        m->replies += n;
    else if (!strcmp(type, "email_bounce"))
        m->bounces += n;
    else if (!strcmp(type, "unsubscribe"))
        m->unsubscribes += n;
    else if (!strcmp(type, "call")) {
        m->calls += n;
        return add_outcome(m, outcome && *outcome ? outcome : "No outcome", n);
    }
    return HAIL_OK;
}

/* The row of key id, or NULL when the report leaves it out. */
static hail_err row_for(report *r, int64_t id, row **out)
{
    *out = NULL;
    if (r->q->id && id != r->q->id)
        return HAIL_OK;
    if ((*out = find_row(r, id)) || r->fixed)
        return HAIL_OK;
    return add_row(r, id, NULL, out);
}

/* s's users as a PostgreSQL array literal, "{1,2}" (malloc'd; NULL: out of memory). */
static char *pg_array(const vis_scope *s)
{
    buf b;
    buf_init(&b, SIZE_MAX);
    hail_err e = buf_putc(&b, '{');
    for (size_t i = 0; !e && i < s->nusers; i++)
        e = buf_printf(&b, "%s%lld", i ? "," : "", (long long)s->user_ids[i]);
    if (!e)
        e = buf_putc(&b, '}');
    if (e) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

static hail_err bind_range(db *d, db_st *st, const report *r, const vis_scope *s)
{
    db_bind_i64(st, 1, tz_day_start(r->z, r->q->from_day));
    db_bind_i64(st, 2, tz_day_start(r->z, r->q->to_day + 1));
    if (s->all)
        return HAIL_OK;
    if (db_engine_of(d) != DB_POSTGRES) {
        db_bind_text(st, 3, s->user_ids_json, -1);
        return HAIL_OK;
    }
    char *a = pg_array(s);
    if (!a)
        return HAIL_ENOMEM;
    db_bind_text(st, 3, a, -1);
    free(a);
    return HAIL_OK;
}

/* One statement's rows, (key, …) each, into the report: add counts a row
 * of st into the key's row w and its bucket. */
typedef hail_err (*add_fn)(report *r, row *w, db_st *st);

static hail_err read_counts(db *d, report *r, const vis_scope *s, const char *sql, const char *what,
                            add_fn add)
{
    db_st *st = db_prepare(d, sql);
    if (!st)
        return db_fail(d, what);
    hail_err e = bind_range(d, st, r, s);
    int rc = DB_DONE;
    while (!e && (rc = db_step(st)) == DB_ROW) {
        if (db_col_null(st, 0))
            continue;
        row *w;
        if ((e = row_for(r, db_col_i64(st, 0), &w)) || !w)
            continue;
        e = add(r, w, st);
    }
    if (!e && rc != DB_DONE)
        e = db_fail(d, what);
    db_st_free(st);
    return e;
}

/* (key, type, machine, quarter, outcome, n) */
static hail_err add_activities(report *r, row *w, db_st *st)
{
    const char *type = db_col_text(st, 1);
    int machine = db_col_int(st, 2) != 0;
    const char *outcome = db_col_null(st, 4) ? NULL : db_col_text(st, 4);
    int64_t n = db_col_i64(st, 5);
    hail_err e = count(&w->m, type, machine, outcome, n);
    return e ? e : count(bucket(r, db_col_i64(st, 3)), type, machine, outcome, n);
}

/* (key, quarter, n) */
static hail_err add_tasks(report *r, row *w, db_st *st)
{
    int64_t n = db_col_i64(st, 2);
    w->m.tasks += n;
    bucket(r, db_col_i64(st, 1))->tasks += n;
    return HAIL_OK;
}

/* users/teams: the rows the viewer may see, all of them (zeros included). */
static hail_err fixed_rows(db *d, report *r, const email_viewer *v, const vis_scope *s)
{
    db_st *st;
    if (r->q->kind == REPORT_USERS)
        st = db_stmt(d, "SELECT id, name FROM users ORDER BY id");
    else if (s->all)
        st = db_stmt(d, "SELECT id, name FROM teams ORDER BY id");
    else
        st =
            db_stmt(d, "SELECT t.id, t.name FROM teams t JOIN team_members tm ON tm.team_id = t.id "
                       "WHERE tm.user_id = $1 ORDER BY t.id");
    if (!st)
        return db_fail(d, "reports: rows");
    if (r->q->kind == REPORT_TEAMS && !s->all)
        db_bind_i64(st, 1, v->user_id);
    hail_err e = HAIL_OK;
    int rc = DB_DONE;
    while (!e && (rc = db_step(st)) == DB_ROW) {
        int64_t id = db_col_i64(st, 0);
        if (r->q->id && id != r->q->id)
            continue;
        if (r->q->kind == REPORT_USERS && !vis_covers_user(s, id))
            continue;
        e = add_row(r, id, db_col_text(st, 1), NULL);
    }
    if (!e && rc != DB_DONE)
        e = db_fail(d, "reports: rows");
    db_reset(st);
    if (!e && r->q->id && !r->nrows)
        e = hail_errf(HAIL_ENOTFOUND, "no %s with id %lld",
                      r->q->kind == REPORT_USERS ? "user" : "team", (long long)r->q->id);
    return e;
}

/* templates/campaigns: the names of the rows found (and the one asked for). */
static hail_err name_rows(db *d, report *r)
{
    int tmpl = r->q->kind == REPORT_TEMPLATES;
    if (r->q->id && !find_row(r, r->q->id)) {
        hail_err e = add_row(r, r->q->id, NULL, NULL);
        if (e)
            return e;
    }
    db_st *st = tmpl ? db_stmt(d, "SELECT name FROM templates WHERE id = $1")
                     : db_stmt(d, "SELECT name FROM campaigns WHERE id = $1");
    if (!st)
        return db_fail(d, "reports: names");
    hail_err e = HAIL_OK;
    for (size_t i = 0; !e && i < r->nrows; i++) {
        db_bind_i64(st, 1, r->rows[i].id);
        int rc = db_step(st);
        if (rc == DB_ROW) {
            if (!(r->rows[i].name = strdup(db_col_text(st, 0))))
                e = HAIL_ENOMEM;
        } else if (rc != DB_DONE)
            e = db_fail(d, "reports: names");
        else if (r->q->id)
            e = hail_errf(HAIL_ENOTFOUND, "no %s with id %lld", tmpl ? "template" : "campaign",
                          (long long)r->q->id);
        db_reset(st);
    }
    return e;
}

static int cmp_id(int64_t x, int64_t y)
{
    return (x > y) - (x < y);
}

static int cmp_rows(const void *a, const void *b)
{
    const row *x = a, *y = b;
    /* a deleted template's or campaign's activity has no name: last */
    if (!x->name || !y->name)
        return x->name ? -1 : y->name ? 1 : cmp_id(x->id, y->id);
    int c = strcasecmp(x->name, y->name);
    return c ? c : cmp_id(x->id, y->id);
}

static void day_text(int64_t day, char out[11])
{
    int y, m, dd;
    time_civil_from_days(day, &y, &m, &dd);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, dd);
}

static json_t *metrics_json(json_t *o, const metrics *m)
{
    json_t *calls = m->outcomes ? json_deep_copy(m->outcomes) : json_object();
    if (!o || !calls || json_object_set_new(calls, "total", json_integer(m->calls))) {
        json_decref(calls);
        json_decref(o);
        return NULL;
    }
    const struct {
        const char *name;
        int64_t v;
    } f[] = {{"sent", m->sent},
             {"opens", m->opens},
             {"machine_opens", m->machine_opens},
             {"clicks", m->clicks},
             {"machine_clicks", m->machine_clicks},
             {"replies", m->replies},
             {"bounces", m->bounces},
             {"unsubscribes", m->unsubscribes}};
    int bad = 0;
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        bad |= json_object_set_new(o, f[i].name, json_integer(f[i].v));
    bad |= json_object_set_new(o, "calls", calls);
    bad |= json_object_set_new(o, "tasks_completed", json_integer(m->tasks));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static hail_err report_json(report *r, json_t **out)
{
    char from[11], to[11], start[11];
    day_text(r->q->from_day, from);
    day_text(r->q->to_day, to);
    json_t *rows = json_array(), *series = json_array();
    json_t *o = json_pack("{ss ss ss ss ss so so}", "kind", report_kind_name(r->q->kind), "from",
                          from, "to", to, "interval", r->q->week ? "week" : "day", "time_zone",
                          tz_name(r->z), "rows", rows, "series", series);
    if (!o)
        return HAIL_ENOMEM;
    for (size_t i = 0; i < r->nrows; i++) {
        const row *w = &r->rows[i];
        json_t *j =
            metrics_json(json_pack("{sI ss?}", "id", (json_int_t)w->id, "name", w->name), &w->m);
        if (!j || json_array_append_new(rows, j)) {
            json_decref(o);
            return HAIL_ENOMEM;
        }
    }
    for (size_t i = 0; i < r->nseries; i++) {
        day_text(r->first_bucket_day + (int64_t)i * (r->q->week ? 7 : 1), start);
        json_t *j = metrics_json(json_pack("{ss}", "start", start), &r->series[i]);
        if (!j || json_array_append_new(series, j)) {
            json_decref(o);
            return HAIL_ENOMEM;
        }
    }
    *out = o;
    return HAIL_OK;
}

hail_err reports_get(db *d, const email_viewer *v, const report_query *q, json_t **out)
{
    *out = NULL;
    report r = {.q = q};
    if (!q->time_zone || tz_get(q->time_zone, &r.z) != HAIL_OK)
        tz_get("UTC", &r.z);
    r.first_bucket_day = q->week ? week_start(q->from_day) : q->from_day;
    r.nseries = (size_t)(q->week ? (week_start(q->to_day) - r.first_bucket_day) / 7 + 1
                                 : q->to_day - q->from_day + 1);
    r.series = calloc(r.nseries, sizeof *r.series);
    if (!r.series)
        return HAIL_ENOMEM;
    vis_scope s;
    hail_err e = vis_scope_load(d, v, &s);
    if (e) {
        free(r.series);
        return e;
    }
    r.fixed = q->kind == REPORT_USERS || q->kind == REPORT_TEAMS;
    if (r.fixed)
        e = fixed_rows(d, &r, v, &s);
    if (!e)
        e = read_counts(d, &r, &s, reports_activity_sql(d, q->kind, !s.all), "reports: activities",
                        add_activities);
    if (!e)
        e = read_counts(d, &r, &s, reports_tasks_sql(d, q->kind, !s.all), "reports: tasks",
                        add_tasks);
    if (!e && !r.fixed)
        e = name_rows(d, &r);
    if (!e) {
        if (r.nrows) /* qsort of NULL, 0 is undefined */
            qsort(r.rows, r.nrows, sizeof *r.rows, cmp_rows);
        e = report_json(&r, out);
    }
    for (size_t i = 0; i < r.nrows; i++) {
        free(r.rows[i].name);
        metrics_free(&r.rows[i].m);
    }
    for (size_t i = 0; i < r.nseries; i++)
        metrics_free(&r.series[i]);
    free(r.rows);
    free(r.series);
    vis_scope_free(&s);
    return e;
}

/* ---- CSV ---- */

static hail_err csv_cell(buf *b, const char *s, int first)
{
    hail_err e = first ? HAIL_OK : buf_putc(b, ',');
    /* a spreadsheet would run it as a formula */
    int formula = s[0] && strchr("=+-@\t\r", s[0]);
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (!e && quote)
        e = buf_putc(b, '"');
    if (!e && formula)
        e = buf_putc(b, '\'');
    for (const char *p = s; !e && *p; p++)
        e = *p == '"' ? buf_puts(b, "\"\"") : buf_putc(b, *p);
    if (!e && quote)
        e = buf_putc(b, '"');
    return e;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static hail_err csv_int(buf *b, json_int_t v)
{
    return buf_printf(b, ",%lld", (long long)v);
}

static const char *const csv_metrics[] = {"sent",    "opens",          "machine_opens",
                                          "clicks",  "machine_clicks", "replies",
                                          "bounces", "unsubscribes"};

hail_err reports_csv(const json_t *rep, int series, buf *out)
{
    const json_t *items = json_object_get(rep, series ? "series" : "rows");
    /* every outcome any item has, in name order, one column each */
    json_t *names = json_object();
    if (!names)
        return HAIL_ENOMEM;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *k;
        json_t *n;
        json_object_foreach(json_object_get(it, "calls"), k, n)
        {
            if (strcmp(k, "total"))
                json_object_set(names, k, json_true());
        }
    }
    size_t nout = json_object_size(names), j = 0;
    const char **outcomes = calloc(nout ? nout : 1, sizeof *outcomes);
    hail_err e = outcomes ? HAIL_OK : HAIL_ENOMEM;
    const char *k;
    json_t *n;
    json_object_foreach(names, k, n)
    {
        if (outcomes)
            outcomes[j++] = k;
    }
    if (!e && nout)
        qsort(outcomes, nout, sizeof *outcomes, cmp_str);
    e = e ? e : series ? csv_cell(out, "start", 1) : csv_cell(out, "id", 1);
    if (!e && !series)
        e = csv_cell(out, "name", 0);
    for (size_t m = 0; !e && m < sizeof csv_metrics / sizeof *csv_metrics; m++)
        e = csv_cell(out, csv_metrics[m], 0);
    if (!e)
        e = csv_cell(out, "calls", 0);
    for (size_t o = 0; !e && o < nout; o++) {
        char head[600];
        snprintf(head, sizeof head, "calls: %s", outcomes[o]);
        e = csv_cell(out, head, 0);
    }
    if (!e)
        e = csv_cell(out, "tasks_completed", 0);
    if (!e)
        e = buf_puts(out, "\r\n");
    json_array_foreach(items, i, it)
    {
        if (e)
            break;
        if (series)
            e = csv_cell(out, json_string_value(json_object_get(it, "start")), 1);
        else {
            char id[24];
            snprintf(id, sizeof id, "%lld",
                     (long long)json_integer_value(json_object_get(it, "id")));
            const char *name = json_string_value(json_object_get(it, "name"));
            if (!(e = csv_cell(out, id, 1)))
                e = csv_cell(out, name ? name : "", 0);
        }
        for (size_t m = 0; !e && m < sizeof csv_metrics / sizeof *csv_metrics; m++)
            e = csv_int(out, json_integer_value(json_object_get(it, csv_metrics[m])));
        const json_t *calls = json_object_get(it, "calls");
        if (!e)
            e = csv_int(out, json_integer_value(json_object_get(calls, "total")));
        for (size_t o = 0; !e && o < nout; o++)
            e = csv_int(out, json_integer_value(json_object_get(calls, outcomes[o])));
        if (!e)
            e = csv_int(out, json_integer_value(json_object_get(it, "tasks_completed")));
        if (!e)
            e = buf_puts(out, "\r\n");
    }
    free(outcomes);
    json_decref(names);
    return e;
}
