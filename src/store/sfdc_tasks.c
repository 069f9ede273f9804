#include "core/common.h"

/* Reminder tasks and their Salesforce Tasks (store/sfdc_tasks.h). */
#include "store/sfdc_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_READ                                                                                  \
    "SELECT t.id, t.person_id, t.assignee_id, t.due_at, t.updated_at, t.type, t.status,"           \
    " t.priority, t.name, t.details, t.sfdc_task_id,"                                              \
    " coalesce(nullif(p.sfdc_contact_id, ''), nullif(p.sfdc_lead_id, '')), u.time_zone,"           \
    " t.sfdc_synced_at"                                                                            \
    " FROM tasks t JOIN users u ON u.id = t.assignee_id LEFT JOIN people p ON p.id = t.person_id"

const char sfdc_tasks_dirty_sql[] =
    TASK_READ " WHERE t.campaign_id IS NULL AND (t.sfdc_synced_at IS NULL OR t.sfdc_synced_at <>"
              " t.updated_at) AND t.id > $1 ORDER BY t.id LIMIT $2";

static char *dup_col(db_st *st, int i)
{
    const char *s = db_col_null(st, i) ? NULL : db_col_text(st, i);
    return s ? strdup(s) : NULL;
}

void sfdc_task_release(sfdc_task *t)
{
    free(t->name);
    free(t->details);
    free(t->sfdc_task_id);
    free(t->who);
    free(t->time_zone);
    memset(t, 0, sizeof *t);
}

void sfdc_tasks_free(sfdc_task *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sfdc_task_release(&t[i]);
    free(t);
}

static hail_err read_row(db_st *st, sfdc_task *t)
{
    memset(t, 0, sizeof *t);
    t->id = db_col_i64(st, 0);
    t->person_id = db_col_i64(st, 1);
    t->assignee_id = db_col_i64(st, 2);
    t->due_at = db_col_i64(st, 3);
    t->updated_at = db_col_i64(st, 4);
    const char *s;
    snprintf(t->type, sizeof t->type, "%s", (s = db_col_text(st, 5)) ? s : "");
    snprintf(t->status, sizeof t->status, "%s", (s = db_col_text(st, 6)) ? s : "");
    snprintf(t->priority, sizeof t->priority, "%s", (s = db_col_text(st, 7)) ? s : "");
    t->name = dup_col(st, 8);
    t->details = dup_col(st, 9);
    t->sfdc_task_id = dup_col(st, 10);
    t->who = dup_col(st, 11);
    t->time_zone = dup_col(st, 12);
    t->synced_at = db_col_null(st, 13) ? 0 : db_col_i64(st, 13);
    if (!t->name || !t->details || (!db_col_null(st, 10) && !t->sfdc_task_id) ||
        (!db_col_null(st, 11) && !t->who) || (!db_col_null(st, 12) && !t->time_zone)) {
        sfdc_task_release(t);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

hail_err sfdc_tasks_dirty(db *d, int64_t after, size_t max, sfdc_task **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    db_st *st = db_stmt(d, sfdc_tasks_dirty_sql);
    if (!st)
        return db_fail(d, "reading tasks to send to Salesforce");
    db_bind_i64(st, 1, after);
    db_bind_i64(st, 2, (int64_t)max);
    sfdc_task *a = max ? calloc(max, sizeof *a) : NULL;
    if (max && !a) {
        db_reset(st);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    hail_err e = HAIL_OK;
    int rc;
    while (!e && *n < max && (rc = db_step(st)) == DB_ROW)
        if (!(e = read_row(st, &a[*n])))
            (*n)++;
    if (!e && *n < max && rc == DB_ERROR)
        e = db_fail(d, "reading tasks to send to Salesforce");
    db_reset(st);
    if (e) {
        sfdc_tasks_free(a, *n);
        *n = 0;
        return e;
    }
    *out = a;
    return HAIL_OK;
}

static hail_err one(db *d, db_st *st, sfdc_task *out, int *found)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    if (!st)
        return db_fail(d, "reading a task");
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW && !(e = read_row(st, out)))
        *found = 1;
    else if (rc == DB_ERROR)
        e = db_fail(d, "reading a task");
    db_reset(st);
    return e;
}

hail_err sfdc_task_by_sfdc(db *d, const char *sfdc_id, sfdc_task *out, int *found)
{
    /* hail keeps the form Salesforce answered with (18 characters); a link
     * kept in the 15-character form is found by the prefix. */
    size_t len = strlen(sfdc_id);
    db_st *st = db_stmt(d, TASK_READ " WHERE t.sfdc_task_id IN ($1, $2)");
    if (st) {
        db_bind_text(st, 1, sfdc_id, (int)len);
        db_bind_text(st, 2, sfdc_id, (int)(len > 15 ? 15 : len));
    }
    return one(d, st, out, found);
}

static int changed(db *d, db_st *st, const char *what)
{
    if (!st || db_step_done(d, st, what))
        return -1;
    return db_changes(d) > 0;
}

int sfdc_task_agreed(db *d, int64_t id, const char *sfdc_id, int64_t seen)
{
    db_st *st = db_stmt(d, "UPDATE tasks SET sfdc_task_id = coalesce($1, sfdc_task_id),"
                           " sfdc_synced_at = updated_at WHERE id = $2 AND updated_at = $3");
    if (!st)
        return -1;
    db_bind_text(st, 1, sfdc_id, -1);
    db_bind_i64(st, 2, id);
    db_bind_i64(st, 3, seen);
    return changed(d, st, "recording a task sent to Salesforce");
}

int sfdc_task_unlink(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "UPDATE tasks SET sfdc_task_id = 'gone:' || sfdc_task_id,"
                           " sfdc_synced_at = updated_at WHERE id = $1 AND sfdc_task_id IS NOT NULL"
                           " AND sfdc_task_id NOT LIKE 'gone:%'");
    if (!st)
        return -1;
    db_bind_i64(st, 1, id);
    return changed(d, st, "unlinking a task from Salesforce");
}

int sfdc_task_apply(db *d, int64_t id, const sfdc_task_change *c, int64_t now)
{
    /* status: "open" reopens, "complete" closes an open task (completed by
     * its assignee), NULL leaves it. */
    db_st *st = db_stmt(
        d, "UPDATE tasks SET name = coalesce($1, name), details = coalesce($2, details),"
           " priority = coalesce($3, priority), due_at = coalesce(CAST($4 AS BIGINT), due_at),"
           " completed_at = CASE WHEN $5 = 'open' THEN NULL"
           "   WHEN $5 = 'complete' AND status = 'open' THEN CAST($6 AS BIGINT)"
           "   ELSE completed_at END,"
           " completed_by = CASE WHEN $5 = 'open' THEN NULL"
           "   WHEN $5 = 'complete' AND status = 'open' THEN assignee_id ELSE completed_by END,"
           " status = CASE WHEN $5 = 'open' THEN 'open'"
           "   WHEN $5 = 'complete' AND status = 'open' THEN 'complete' ELSE status END,"
           " updated_at = $6, sfdc_synced_at = $6 WHERE id = $7");
    if (!st)
        return -1;
    db_bind_text(st, 1, c->name, -1);
    db_bind_text(st, 2, c->details, -1);
    db_bind_text(st, 3, c->priority, -1);
    if (c->due_at)
        db_bind_i64(st, 4, c->due_at);
    else
        db_bind_null(st, 4);
    db_bind_text(st, 5, c->status, -1);
    db_bind_i64(st, 6, now);
    db_bind_i64(st, 7, id);
    return changed(d, st, "bringing in a Salesforce Task's change");
}

hail_err sfdc_task_import(db *d, const sfdc_task_new *t, int64_t now, int64_t *id)
{
    db_st *st = db_stmt(d, "INSERT INTO tasks (type, name, person_id, assignee_id, due_at,"
                           " priority, details, status, created_at, updated_at, sfdc_task_id,"
                           " sfdc_synced_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $8,"
                           " $9, $8) RETURNING id");
    if (!st)
        return db_fail(d, "bringing in a Salesforce Task");
    db_bind_text(st, 1, t->type, -1);
    db_bind_text(st, 2, t->name, -1);
    db_bind_i64(st, 3, t->person_id);
    db_bind_i64(st, 4, t->assignee_id);
    db_bind_i64(st, 5, t->due_at);
    db_bind_text(st, 6, t->priority, -1);
    db_bind_text(st, 7, t->details ? t->details : "", -1);
    db_bind_i64(st, 8, now);
    db_bind_text(st, 9, t->sfdc_task_id, -1);
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW)
        *id = db_col_i64(st, 0);
    else
        e = db_fail(d, "bringing in a Salesforce Task");
    db_reset(st);
    return e;
}

hail_err sfdc_person_owner(db *d, int64_t person_id, int64_t *user_id, char **time_zone)
{
    *user_id = 0;
    *time_zone = NULL;
    db_st *st = db_stmt(d, "SELECT u.id, u.time_zone FROM people p JOIN users u"
                           " ON lower(u.email) = lower(p.owner_email)"
                           " WHERE p.id = $1 AND u.active = 1 ORDER BY u.id LIMIT 1");
    if (!st)
        return db_fail(d, "finding a person's owner");
    db_bind_i64(st, 1, person_id);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        *user_id = db_col_i64(st, 0);
        if (!db_col_null(st, 1) && !(*time_zone = strdup(db_col_text(st, 1))))
            e = hail_errf(HAIL_ENOMEM, "out of memory");
    } else if (rc == DB_ERROR) {
        e = db_fail(d, "finding a person's owner");
    }
    db_reset(st);
    return e;
}

hail_err sfdc_task_deletes(db *d, size_t max, char **ids, size_t *n)
{
    *n = 0;
    db_st *st = db_stmt(d, "SELECT sfdc_task_id FROM sfdc_task_deletes ORDER BY deleted_at"
                           " LIMIT $1");
    if (!st)
        return db_fail(d, "reading Tasks to delete");
    db_bind_i64(st, 1, (int64_t)max);
    hail_err e = HAIL_OK;
    int rc;
    while (*n < max && (rc = db_step(st)) == DB_ROW) {
        if (!(ids[*n] = strdup(db_col_text(st, 0)))) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    if (!e && *n < max && rc == DB_ERROR)
        e = db_fail(d, "reading Tasks to delete");
    db_reset(st);
    if (e) {
        for (size_t i = 0; i < *n; i++)
            free(ids[i]);
        *n = 0;
    }
    return e;
}

int sfdc_task_delete_done(db *d, const char *sfdc_id)
{
    db_st *st = db_stmt(d, "DELETE FROM sfdc_task_deletes WHERE sfdc_task_id = $1");
    if (!st)
        return -1;
    db_bind_text(st, 1, sfdc_id, -1);
    return changed(d, st, "forgetting a deleted Task");
}

const char sfdc_tasks_linked_open_sql[] =
    "SELECT id, sfdc_task_id FROM tasks WHERE sfdc_task_id IS NOT NULL AND status = 'open'"
    " AND id > $1 AND sfdc_task_id NOT LIKE 'gone:%' ORDER BY id LIMIT $2";

hail_err sfdc_tasks_linked_open(db *d, int64_t after, size_t max, int64_t *ids, char **sfids,
                                size_t *n)
{
    *n = 0;
    db_st *st = db_stmt(d, sfdc_tasks_linked_open_sql);
    if (!st)
        return db_fail(d, "reading linked tasks");
    db_bind_i64(st, 1, after);
    db_bind_i64(st, 2, (int64_t)max);
    hail_err e = HAIL_OK;
    int rc;
    while (*n < max && (rc = db_step(st)) == DB_ROW) {
        ids[*n] = db_col_i64(st, 0);
        if (!(sfids[*n] = strdup(db_col_text(st, 1)))) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    if (!e && *n < max && rc == DB_ERROR)
        e = db_fail(d, "reading linked tasks");
    db_reset(st);
    if (e) {
        for (size_t i = 0; i < *n; i++)
            free(sfids[i]);
        *n = 0;
    }
    return e;
}

int sfdc_task_delete_agreed(db *d, int64_t id, const char *sfdc_id)
{
    db_st *st = db_stmt(d, "DELETE FROM tasks WHERE id = $1 AND sfdc_task_id = $2"
                           " AND sfdc_synced_at = updated_at");
    if (!st)
        return -1;
    db_bind_i64(st, 1, id);
    db_bind_text(st, 2, sfdc_id, -1);
    return changed(d, st, "deleting a task whose Task was deleted in Salesforce");
}
