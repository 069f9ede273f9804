#include "core/common.h"

#include "svc/tasks.h"

#include "core/timeutil.h"

/* PLACEHOLDER (lead): the insert only. Helper D replaces this file. */
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
