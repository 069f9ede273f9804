#include "core/common.h"

#include "store/dbread.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"

json_t *db_json_time(db_st *st, int i)
{
    if (db_col_null(st, i))
        return json_null();
    char t[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, i), t);
    return json_string(t);
}

json_t *db_json_text(db_st *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_string(db_col_text(st, i));
}

json_t *db_json_int(db_st *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_integer(db_col_i64(st, i));
}

hail_err db_row_by_id(db *d, db_st *st, int64_t id, const char *what)
{
    if (!st)
        return db_fail(d, what);
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc == DB_ROW)
        return HAIL_OK;
    hail_err e = rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, what);
    db_reset(st);
    return e;
}

hail_err db_text_by_id(db *d, db_st *st, int64_t id, const char *what, char **out)
{
    *out = NULL;
    hail_err e = db_row_by_id(d, st, id, what);
    if (e)
        return e;
    if (!(*out = strdup(db_col_text(st, 0))))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    db_reset(st);
    return e;
}

void dbq_init(dbq *q, const char *select)
{
    *q = (dbq){.sql = BUF_INIT(1 << 16)};
    q->e = buf_puts(&q->sql, select);
}

static int dbq_add(dbq *q, dbq_arg a)
{
    if (q->e)
        return 0;
    if (q->n == q->cap) {
        int cap = q->cap ? q->cap * 2 : 8;
        dbq_arg *na = realloc(q->args, (size_t)cap * sizeof *na);
        if (!na) {
            q->e = HAIL_ENOMEM;
            return 0;
        }
        q->args = na;
        q->cap = cap;
    }
    q->args[q->n] = a;
    return ++q->n;
}

int dbq_i64(dbq *q, int64_t v)
{
    return dbq_add(q, (dbq_arg){0, v, NULL});
}

int dbq_text(dbq *q, const char *s)
{
    return dbq_add(q, (dbq_arg){1, 0, s});
}

void dbq_printf(dbq *q, const char *fmt, ...)
{
    if (q->e)
        return;
    va_list ap;
    va_start(ap, fmt);
    q->e = buf_vprintf(&q->sql, fmt, ap);
    va_end(ap);
}

void dbq_user_visible(dbq *q, const char *col, int64_t user_id, const char *role)
{
    if (!strcmp(role, "admin"))
        return;
    int n = dbq_i64(q, user_id);
    if (!strcmp(role, "manager"))
        dbq_printf(q,
                   " AND (%s = $%d OR %s IN (SELECT m2.user_id FROM"
                   " team_members m1 JOIN team_members m2 ON m2.team_id = m1.team_id"
                   " WHERE m1.user_id = $%d))",
                   col, n, col, n);
    else
        dbq_printf(q, " AND %s = $%d", col, n);
}

hail_err dbq_page(db *d, dbq *q, const char *order, db_row_json_fn row, int limit, json_t **out,
                  int64_t *next, const char *what)
{
    *out = NULL;
    *next = 0;
    dbq_printf(q, " ORDER BY %s LIMIT %d", order, limit + 1);
    hail_err e = q->e ? hail_errf(HAIL_ENOMEM, "out of memory") : HAIL_OK;
    db_st *st = e ? NULL : db_prepare(d, buf_cstr(&q->sql));
    if (!e && !st)
        e = db_fail(d, what);
    for (int i = 0; !e && i < q->n; i++) {
        if (q->args[i].is_text)
            db_bind_text(st, i + 1, q->args[i].s, -1);
        else
            db_bind_i64(st, i + 1, q->args[i].i);
    }
    if (!e)
        e = db_all_json(d, st, row, out, what);
    db_st_free(st);
    buf_release(&q->sql);
    free(q->args);
    if (e) {
        json_decref(*out);
        *out = NULL;
    } else if ((int)json_array_size(*out) > limit) {
        json_array_remove(*out, (size_t)limit);
        *next = json_integer_value(json_object_get(json_array_get(*out, limit - 1), "id"));
    }
    return e;
}
