#include "core/common.h"

#include "store/tasks.h"

#include "core/buf.h"
#include "core/timeutil.h"
#include "store/dbread.h"
#include "store/sfdc_tasks.h"

#define TASK_SELECT                                                                                \
    "SELECT t.id, t.type, t.name, t.person_id, p.first_name, p.last_name, p.email, p.phone,"       \
    " p.company, t.assignee_id, u.name, t.campaign_id, c.name, t.step_position, t.template_id,"    \
    " tp.name, t.due_at, t.priority, t.details, t.status, t.completed_at, t.email_id, t.call_id,"  \
    " t.created_at, t.updated_at, t.sfdc_task_id"
#define TASK_FROM                                                                                  \
    " FROM tasks t JOIN users u ON u.id = t.assignee_id LEFT JOIN people p ON p.id = t.person_id"  \
    " LEFT JOIN campaigns c ON c.id = t.campaign_id LEFT JOIN templates tp"                        \
    " ON tp.id = t.template_id"
#define TASK_COLS TASK_SELECT TASK_FROM
/* The page's extra columns after TASK_SELECT's 26: the local day, the priority rank. */
#define COL_DAY   26
#define COL_PRIO  27
#define PRIO_RANK "CASE t.priority WHEN 'high' THEN 0 ELSE 1 END"

static int changed(db *d, db_st *st, const char *what)
{
    if (!st || db_step_done(d, st, what))
        return -1;
    return db_changes(d) > 0;
}

static int is_admin(const tasks_viewer *v)
{
    return !v || !strcmp(v->role, "admin");
}

static int is_manager(const tasks_viewer *v)
{
    return v && !strcmp(v->role, "manager");
}

static void copy_text(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s ? s : "");
}

#define LOAD_COLS                                                                                  \
    "SELECT t.id, t.person_id, t.assignee_id, t.campaign_id, t.member_id, t.template_id,"          \
    " t.step_position, t.due_at, t.type, t.status FROM tasks t WHERE t.id = $1"

static const char sql_load_admin[] = LOAD_COLS;
static const char sql_load_manager[] =
    LOAD_COLS " AND (t.assignee_id = $2 OR t.assignee_id IN (SELECT m2.user_id FROM team_members m1"
              " JOIN team_members m2 ON m2.team_id = m1.team_id WHERE m1.user_id = $2))";
static const char sql_load_rep[] = LOAD_COLS " AND t.assignee_id = $2";

hail_err tasks_load(db *d, const tasks_viewer *v, int64_t id, task_row *out)
{
    memset(out, 0, sizeof *out);
    int admin = is_admin(v);
    db_st *st = admin           ? db_stmt(d, sql_load_admin)
                : is_manager(v) ? db_stmt(d, sql_load_manager)
                                : db_stmt(d, sql_load_rep);
    if (!st)
        return db_fail(d, "tasks: read");
    db_bind_i64(st, 1, id);
    if (!admin)
        db_bind_i64(st, 2, v->user_id);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        out->id = db_col_i64(st, 0);
        out->person_id = db_col_i64(st, 1);
        out->assignee_id = db_col_i64(st, 2);
        out->campaign_id = db_col_i64(st, 3);
        out->member_id = db_col_i64(st, 4);
        out->template_id = db_col_i64(st, 5);
        out->step_position = db_col_int(st, 6);
        out->due_at = db_col_i64(st, 7);
        copy_text(out->type, sizeof out->type, db_col_text(st, 8));
        copy_text(out->status, sizeof out->status, db_col_text(st, 9));
    }
    db_reset(st);
    if (rc == DB_ROW)
        return HAIL_OK;
    if (rc == DB_DONE)
        return hail_errf(HAIL_ENOTFOUND, "no task with id %lld", (long long)id);
    return db_fail(d, "tasks: read");
}

static const char *text_or_empty(db_st *st, int i)
{
    const char *s = db_col_text(st, i);
    return s ? s : "";
}

/* {id, name} from columns id_col and name_col, or null. */
static json_t *ref_or_null(db_st *st, int id_col, int name_col)
{
    if (db_col_null(st, id_col))
        return json_null();
    return json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, id_col), "name",
                     text_or_empty(st, name_col));
}

static json_t *task_row_json(db *d, db_st *st)
{
    (void)d;
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_integer(db_col_i64(st, 0)));
    json_object_set_new(o, "type", json_string(text_or_empty(st, 1)));
    json_object_set_new(o, "name", json_string(text_or_empty(st, 2)));
    if (db_col_null(st, 3)) {
        json_object_set_new(o, "person", json_null());
    } else {
        const char *fn = text_or_empty(st, 4), *ln = text_or_empty(st, 5);
        char name[1024];
        snprintf(name, sizeof name, "%s%s%s", fn, *fn && *ln ? " " : "", ln);
        json_t *p = json_object();
        if (p) {
            json_object_set_new(p, "id", json_integer(db_col_i64(st, 3)));
            json_object_set_new(p, "name", json_string(name));
            json_object_set_new(p, "email", db_json_text(st, 6));
            json_object_set_new(p, "phone", db_json_text(st, 7));
            json_object_set_new(p, "company", db_json_text(st, 8));
        }
        json_object_set_new(o, "person", p ? p : json_null());
    }
    json_object_set_new(
        o, "assignee",
        json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, 9), "name", text_or_empty(st, 10)));
    json_object_set_new(o, "campaign", ref_or_null(st, 11, 12));
    json_object_set_new(o, "step_position", db_json_int(st, 13));
    json_object_set_new(o, "template", ref_or_null(st, 14, 15));
    json_object_set_new(o, "due_at", db_json_time(st, 16));
    json_object_set_new(o, "priority", json_string(text_or_empty(st, 17)));
    json_object_set_new(o, "details", json_string(text_or_empty(st, 18)));
    json_object_set_new(o, "status", json_string(text_or_empty(st, 19)));
    json_object_set_new(o, "completed_at", db_json_time(st, 20));
    json_object_set_new(o, "email_id", db_json_int(st, 21));
    json_object_set_new(o, "call_id", db_json_int(st, 22));
    json_object_set_new(o, "created_at", db_json_time(st, 23));
    json_object_set_new(o, "updated_at", db_json_time(st, 24));
    /* linked to a Salesforce Task (store/sfdc_tasks.h); "gone:…" once that
     * Task was deleted there */
    const char *sf = db_col_null(st, 25) ? NULL : db_col_text(st, 25);
    json_object_set_new(o, "salesforce_task_id",
                        sf && strncmp(sf, SFDC_GONE, strlen(SFDC_GONE)) ? json_string(sf)
                                                                        : json_null());
    return o;
}

hail_err tasks_json(db *d, int64_t id, json_t **out)
{
    db_st *st = db_stmt(d, TASK_COLS " WHERE t.id = $1");
    if (!st)
        return db_fail(d, "tasks: read");
    db_bind_i64(st, 1, id);
    hail_err e = db_one_json(d, st, task_row_json, out, "tasks: read");
    if (e == HAIL_ENOTFOUND)
        return hail_errf(HAIL_ENOTFOUND, "no task with id %lld", (long long)id);
    return e;
}

/* ---- queues ---- */

hail_err tasks_zone_names(db *d, int64_t assignee_id, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    db_st *st = assignee_id ? db_stmt(d, "SELECT DISTINCT time_zone FROM users WHERE id = $1")
                            : db_stmt(d, "SELECT DISTINCT time_zone FROM users ORDER BY time_zone");
    if (!st)
        return db_fail(d, "tasks: time zones");
    if (assignee_id)
        db_bind_i64(st, 1, assignee_id);
    size_t cap = 0;
    char **a = NULL;
    int rc;
    hail_err e = HAIL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **x = realloc(a, nc * sizeof *x);
            if (!x) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            a = x;
            cap = nc;
        }
        if (!(a[*n] = strdup(text_or_empty(st, 0)))) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "tasks: time zones");
    db_reset(st);
    if (e) {
        tasks_zone_names_free(a, *n);
        *n = 0;
        return e;
    }
    *names = a;
    return HAIL_OK;
}

void tasks_zone_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* SQL with its parameters, numbered in order of first use. */
typedef struct qb {
    buf b;
    tasks_sql *s;
    hail_err e;
} qb;

static void qb_puts(qb *q, const char *s)
{
    if (!q->e)
        q->e = buf_puts(&q->b, s);
}

static int qb_add(qb *q, int is_text, int64_t i, const char *s)
{
    tasks_sql *x = q->s;
    if (q->e)
        return 0;
    if (x->n == x->cap) {
        int nc = x->cap ? x->cap * 2 : 16;
        tasks_bind *nb = realloc(x->binds, (size_t)nc * sizeof *nb);
        if (!nb) {
            q->e = HAIL_ENOMEM;
            return 0;
        }
        x->binds = nb;
        x->cap = nc;
    }
    x->binds[x->n] = (tasks_bind){is_text, i, s};
    return ++x->n;
}

static void qb_i64(qb *q, int64_t v)
{
    int n = qb_add(q, 0, v, NULL);
    if (n && !q->e)
        q->e = buf_printf(&q->b, "CAST($%d AS BIGINT)", n);
}

static void qb_text(qb *q, const char *s)
{
    int n = qb_add(q, 1, 0, s);
    if (n && !q->e)
        q->e = buf_printf(&q->b, "$%d", n);
}

/* A value that depends on the assignee's time zone: start[k] (k 0..3) or
 * the offset (k = 4). One zone: a parameter; more: CASE on u.time_zone. */
static int64_t zone_value(const tasks_zone *z, int k)
{
    return k < 4 ? z->start[k] : z->off_us;
}

static void qb_zone(qb *q, const tasks_query *t, int k)
{
    if (t->nzones <= 1) {
        qb_i64(q, zone_value(&t->zones[0], k));
        return;
    }
    qb_puts(q, "CASE u.time_zone");
    for (size_t i = 1; i < t->nzones; i++) {
        qb_puts(q, " WHEN ");
        qb_text(q, t->zones[i].name);
        qb_puts(q, " THEN ");
        qb_i64(q, zone_value(&t->zones[i], k));
    }
    qb_puts(q, " ELSE ");
    qb_i64(q, zone_value(&t->zones[0], k));
    qb_puts(q, " END");
}

/* The smallest (min) or largest start[k] over the zones: a plain range the
 * index can use before the exact per-zone test. */
static int64_t zone_extreme(const tasks_query *t, int k, int max)
{
    int64_t v = t->zones[0].start[k];
    for (size_t i = 1; i < t->nzones; i++)
        if (max ? t->zones[i].start[k] > v : t->zones[i].start[k] < v)
            v = t->zones[i].start[k];
    return v;
}

/* due_at in [start[lo], start[hi]) of the assignee's zone (lo -1: no lower
 * bound). */
static void qb_range(qb *q, const tasks_query *t, int lo, int hi)
{
    if (lo >= 0) {
        qb_puts(q, " AND t.due_at >= ");
        qb_i64(q, zone_extreme(t, lo, 0));
    }
    qb_puts(q, " AND t.due_at < ");
    qb_i64(q, zone_extreme(t, hi, 1));
    if (t->nzones <= 1)
        return;
    if (lo >= 0) {
        qb_puts(q, " AND t.due_at >= ");
        qb_zone(q, t, lo);
    }
    qb_puts(q, " AND t.due_at < ");
    qb_zone(q, t, hi);
}

/* The conditions every query shares: filters and visibility. */
static void qb_where(qb *q, const tasks_viewer *v, const tasks_query *t)
{
    if (t->assignee_id) {
        qb_puts(q, " AND t.assignee_id = ");
        qb_i64(q, t->assignee_id);
    }
    if (t->type) {
        qb_puts(q, " AND t.type = ");
        qb_text(q, t->type);
    }
    if (t->campaign_id) {
        qb_puts(q, " AND t.campaign_id = ");
        qb_i64(q, t->campaign_id);
    }
    if (t->person_id) {
        qb_puts(q, " AND t.person_id = ");
        qb_i64(q, t->person_id);
    }
    if (is_admin(v))
        return;
    int n = qb_add(q, 0, v->user_id, NULL);
    if (!n || q->e)
        return;
    char p[32];
    snprintf(p, sizeof p, "CAST($%d AS BIGINT)", n);
    if (is_manager(v))
        q->e = buf_printf(&q->b,
                          " AND (t.assignee_id = %s OR t.assignee_id IN (SELECT m2.user_id FROM"
                          " team_members m1 JOIN team_members m2 ON m2.team_id = m1.team_id"
                          " WHERE m1.user_id = %s))",
                          p, p);
    else
        q->e = buf_printf(&q->b, " AND t.assignee_id = %s", p);
}

static hail_err qb_finish(qb *q, tasks_sql *out)
{
    if (q->e) {
        buf_release(&q->b);
        tasks_sql_free(out);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    out->sql = buf_detach(&q->b, NULL);
    buf_release(&q->b);
    if (!out->sql) {
        tasks_sql_free(out);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

/* The local day of t.due_at in the assignee's zone (by its offset now). */
static void qb_day(qb *q, const tasks_query *t)
{
    qb_puts(q, "(t.due_at + ");
    qb_zone(q, t, 4);
    qb_puts(q, ") / 86400000000");
}

hail_err tasks_page_sql(const tasks_viewer *v, const tasks_query *t, tasks_sql *out)
{
    memset(out, 0, sizeof *out);
    qb q = {BUF_INIT(1 << 16), out, HAIL_OK};
    int done = t->queue == TQ_DONE, one_day = t->queue == TQ_TODAY || t->queue == TQ_TOMORROW;
    qb_puts(&q, TASK_SELECT ", ");
    if (done || one_day)
        qb_puts(&q, "0");
    else
        qb_day(&q, t);
    qb_puts(&q, ", " PRIO_RANK TASK_FROM);
    qb_puts(&q, done ? " WHERE t.status <> 'open'" : " WHERE t.status = 'open'");
    switch (t->queue) {
    case TQ_OVERDUE:
        qb_range(&q, t, -1, 0);
        break;
    case TQ_TODAY:
        qb_range(&q, t, 0, 1);
        break;
    case TQ_TOMORROW:
        qb_range(&q, t, 1, 2);
        break;
    case TQ_NEXT_7_DAYS:
        qb_range(&q, t, 1, 3);
        break;
    default:
        break;
    }
    qb_where(&q, v, t);
    /* After the previous page's last row, in the order below. */
    if (t->after.set && done) {
        qb_puts(&q, " AND (t.completed_at < ");
        qb_i64(&q, t->after.due);
        qb_puts(&q, " OR (t.completed_at = ");
        qb_i64(&q, t->after.due);
        qb_puts(&q, " AND t.id < ");
        qb_i64(&q, t->after.id);
        qb_puts(&q, "))");
    } else if (t->after.set) {
        qb_puts(&q, " AND (");
        if (!one_day) {
            qb_day(&q, t);
            qb_puts(&q, ", ");
        }
        qb_puts(&q, PRIO_RANK ", t.due_at, t.id) > (");
        if (!one_day) {
            qb_i64(&q, t->after.day);
            qb_puts(&q, ", ");
        }
        qb_i64(&q, t->after.prio);
        qb_puts(&q, ", ");
        qb_i64(&q, t->after.due);
        qb_puts(&q, ", ");
        qb_i64(&q, t->after.id);
        qb_puts(&q, ")");
    }
    if (done) {
        qb_puts(&q, " ORDER BY t.completed_at DESC, t.id DESC");
    } else if (one_day) {
        qb_puts(&q, " ORDER BY " PRIO_RANK ", t.due_at, t.id");
    } else {
        /* By local day, high priority first within one. */
        qb_puts(&q, " ORDER BY ");
        qb_day(&q, t);
        qb_puts(&q, ", " PRIO_RANK ", t.due_at, t.id");
    }
    if (!q.e)
        q.e = buf_printf(&q.b, " LIMIT %d", t->limit + 1);
    return qb_finish(&q, out);
}

hail_err tasks_counts_sql(const tasks_viewer *v, const tasks_query *t, tasks_sql *out)
{
    memset(out, 0, sizeof *out);
    qb q = {BUF_INIT(1 << 16), out, HAIL_OK};
    static const int ranges[4][2] = {{-1, 0}, {0, 1}, {1, 2}, {1, 3}};
    qb_puts(&q, "SELECT");
    for (int k = 0; k < 4; k++) {
        qb_puts(&q, k ? ", SUM(CASE WHEN " : " SUM(CASE WHEN ");
        if (ranges[k][0] >= 0) {
            qb_puts(&q, "t.due_at >= ");
            qb_zone(&q, t, ranges[k][0]);
            qb_puts(&q, " AND ");
        }
        qb_puts(&q, "t.due_at < ");
        qb_zone(&q, t, ranges[k][1]);
        qb_puts(&q, " THEN 1 ELSE 0 END)");
    }
    qb_puts(&q, " FROM tasks t JOIN users u ON u.id = t.assignee_id WHERE t.status = 'open'"
                " AND t.due_at < ");
    qb_i64(&q, zone_extreme(t, 3, 1));
    qb_where(&q, v, t);
    return qb_finish(&q, out);
}

void tasks_sql_bind(db_st *st, const tasks_sql *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->binds[i].is_text)
            db_bind_text(st, i + 1, s->binds[i].s, -1);
        else
            db_bind_i64(st, i + 1, s->binds[i].i);
}

void tasks_sql_free(tasks_sql *s)
{
    free(s->sql);
    free(s->binds);
    memset(s, 0, sizeof *s);
}

hail_err tasks_page(db *d, const tasks_viewer *v, const tasks_query *q, json_t **out,
                    tasks_key *next)
{
    *out = NULL;
    memset(next, 0, sizeof *next);
    tasks_sql s;
    hail_err e = tasks_page_sql(v, q, &s);
    if (e)
        return e;
    db_st *st = db_prepare(d, s.sql);
    json_t *a = json_array();
    if (!st || !a) {
        e = st ? hail_errf(HAIL_ENOMEM, "out of memory") : db_fail(d, "tasks: list");
        goto done;
    }
    tasks_sql_bind(st, &s);
    int rc, n = 0;
    tasks_key last = {0};
    while ((rc = db_step(st)) == DB_ROW) {
        if (n == q->limit) {
            *next = last;
            break;
        }
        json_t *o = task_row_json(d, st);
        if (!o || json_array_append_new(a, o)) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
            break;
        }
        n++;
        last = (tasks_key){1, db_col_i64(st, COL_DAY), db_col_i64(st, COL_PRIO),
                           db_col_i64(st, q->queue == TQ_DONE ? 20 : 16), db_col_i64(st, 0)};
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "tasks: list");
done:
    db_st_free(st);
    tasks_sql_free(&s);
    if (e)
        json_decref(a);
    else
        *out = a;
    return e;
}

hail_err tasks_counts(db *d, const tasks_viewer *v, const tasks_query *q, int64_t counts[4])
{
    memset(counts, 0, 4 * sizeof *counts);
    tasks_sql s;
    hail_err e = tasks_counts_sql(v, q, &s);
    if (e)
        return e;
    db_st *st = db_prepare(d, s.sql);
    if (!st) {
        tasks_sql_free(&s);
        return db_fail(d, "tasks: counts");
    }
    tasks_sql_bind(st, &s);
    int rc = db_step(st);
    if (rc == DB_ROW)
        for (int k = 0; k < 4; k++)
            counts[k] = db_col_i64(st, k);
    else if (rc == DB_ERROR)
        e = db_fail(d, "tasks: counts");
    db_st_free(st);
    tasks_sql_free(&s);
    return e;
}

/* ---- changes ---- */

int tasks_change(db *d, int64_t id, const task_change *c, int64_t now)
{
    db_st *st =
        db_stmt(d, "UPDATE tasks SET name = coalesce($1, name), details = coalesce($2, details),"
                   " priority = coalesce($3, priority),"
                   " person_id = coalesce(CAST($4 AS BIGINT), person_id),"
                   " assignee_id = coalesce(CAST($5 AS BIGINT), assignee_id),"
                   " due_at = coalesce(CAST($6 AS BIGINT), due_at), updated_at = $7"
                   " WHERE id = $8 AND status = 'open'");
    if (!st)
        return -1;
    db_bind_text(st, 1, c->name, -1);
    db_bind_text(st, 2, c->details, -1);
    db_bind_text(st, 3, c->priority, -1);
    const int64_t v[] = {c->person_id, c->assignee_id, c->due_at};
    for (int i = 0; i < 3; i++)
        if (v[i])
            db_bind_i64(st, 4 + i, v[i]);
        else
            db_bind_null(st, 4 + i);
    db_bind_i64(st, 7, now);
    db_bind_i64(st, 8, id);
    return changed(d, st, "tasks: change");
}

int tasks_finish(db *d, int64_t id, const char *status, int64_t user_id, int64_t email_id,
                 int64_t call_id, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE tasks SET status = $1, completed_at = $2, completed_by = $3,"
                           " email_id = CAST($4 AS BIGINT), call_id = CAST($5 AS BIGINT),"
                           " updated_at = $2 WHERE id = $6 AND status = 'open'");
    if (!st)
        return -1;
    db_bind_text(st, 1, status, -1);
    db_bind_i64(st, 2, now);
    db_bind_i64(st, 3, user_id);
    if (email_id)
        db_bind_i64(st, 4, email_id);
    else
        db_bind_null(st, 4);
    if (call_id)
        db_bind_i64(st, 5, call_id);
    else
        db_bind_null(st, 5);
    db_bind_i64(st, 6, id);
    return changed(d, st, "tasks: finish");
}

int tasks_delete(db *d, int64_t id)
{
    /* A task linked to a Salesforce Task leaves its id for the Salesforce
     * outbox to delete there too (store/sfdc_tasks.h). */
    db_st *st = db_stmt(d, "INSERT INTO sfdc_task_deletes (sfdc_task_id, task_id, deleted_at)"
                           " SELECT sfdc_task_id, id, $1 FROM tasks WHERE id = $2 AND"
                           " sfdc_task_id IS NOT NULL AND sfdc_task_id NOT LIKE 'gone:%'"
                           " ON CONFLICT DO NOTHING");
    if (!st)
        return -1;
    db_bind_i64(st, 1, time_now_us());
    db_bind_i64(st, 2, id);
    if (changed(d, st, "tasks: delete") < 0)
        return -1;
    st = db_stmt(d, "DELETE FROM tasks WHERE id = $1");
    if (!st)
        return -1;
    db_bind_i64(st, 1, id);
    return changed(d, st, "tasks: delete");
}

/* 1 when the statement (its binds set) yields a row, 0 when not, -1 error. */
static int exists(db *d, db_st *st, const char *what)
{
    int rc = db_step(st);
    db_reset(st);
    if (rc == DB_ERROR) {
        db_fail(d, what);
        return -1;
    }
    return rc == DB_ROW;
}

int tasks_same_team(db *d, int64_t manager_id, int64_t user_id)
{
    db_st *st = db_stmt(d, "SELECT 1 FROM team_members m1 JOIN team_members m2"
                           " ON m2.team_id = m1.team_id WHERE m1.user_id = $1 AND m2.user_id = $2"
                           " LIMIT 1");
    if (!st)
        return -1;
    db_bind_i64(st, 1, manager_id);
    db_bind_i64(st, 2, user_id);
    return exists(d, st, "tasks: teams");
}

int tasks_user_active(db *d, int64_t user_id)
{
    db_st *st = db_stmt(d, "SELECT 1 FROM users WHERE id = $1 AND active = 1");
    if (!st)
        return -1;
    db_bind_i64(st, 1, user_id);
    return exists(d, st, "tasks: users");
}

int tasks_person_exists(db *d, int64_t person_id)
{
    db_st *st = db_stmt(d, "SELECT 1 FROM people WHERE id = $1 AND deleted = 0");
    if (!st)
        return -1;
    db_bind_i64(st, 1, person_id);
    return exists(d, st, "tasks: people");
}

hail_err tasks_sender_for(db *d, int64_t campaign_id, int64_t assignee_id, int64_t user_id,
                          int admin, int64_t *id)
{
    *id = 0;
    db_st *st = db_stmt(
        d, "SELECT s.id FROM senders s WHERE (s.id = (SELECT c.sender_id FROM campaigns c"
           " WHERE c.id = $1) AND ($2 = 1 OR s.user_id = $3)) OR s.user_id = $4 OR s.user_id = $3"
           " ORDER BY CASE WHEN s.id = (SELECT c.sender_id FROM campaigns c WHERE c.id = $1)"
           " THEN 0 WHEN s.user_id = $4 THEN 1 ELSE 2 END, s.id LIMIT 1");
    if (!st)
        return db_fail(d, "tasks: sender");
    db_bind_i64(st, 1, campaign_id);
    db_bind_i64(st, 2, admin ? 1 : 0);
    db_bind_i64(st, 3, user_id);
    /* The assignee's own senders only when the caller may use them. */
    db_bind_i64(st, 4, admin || assignee_id == user_id ? assignee_id : user_id);
    int rc = db_step(st);
    if (rc == DB_ROW)
        *id = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "tasks: sender") : HAIL_OK;
}
