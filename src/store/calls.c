#include "core/common.h"

/* The calls' tables: store/calls.h. */
#include "store/calls.h"

#include "core/buf.h"
#include "core/timeutil.h"
#include "store/dbread.h"

static char *dup_or_null(db_st *st, int i)
{
    return db_col_null(st, i) ? NULL : strdup(db_col_text(st, i));
}

static void person_name(db_st *st, int first, char out[512])
{
    const char *fn = db_col_text(st, first), *ln = db_col_text(st, first + 1);
    snprintf(out, 512, "%s%s%s", fn ? fn : "", fn && *fn && ln && *ln ? " " : "", ln ? ln : "");
}

/* Finishes a write that must change one row: HAIL_ENOTFOUND when none. */
static hail_err one_row(db *d, db_st *st, const char *what)
{
    if (!st)
        return db_fail(d, what);
    hail_err e = db_step_done(d, st, what);
    if (!e && db_changes(d) == 0)
        return HAIL_ENOTFOUND;
    return e;
}

/* ---- outcomes and reasons ---- */

static json_t *outcome_json(db *d, db_st *st)
{
    (void)d;
    return json_pack("{sI ss sb sI}", "id", (json_int_t)db_col_i64(st, 0), "name",
                     db_col_text(st, 1), "answered", db_col_int(st, 2) != 0, "position",
                     (json_int_t)db_col_i64(st, 3));
}

static json_t *reason_json(db *d, db_st *st)
{
    (void)d;
    return json_pack("{sI ss sI}", "id", (json_int_t)db_col_i64(st, 0), "name", db_col_text(st, 1),
                     "position", (json_int_t)db_col_i64(st, 3));
}

hail_err calls_choices_list(db *d, call_list_kind k, json_t **out)
{
    db_st *st = k == CALL_OUTCOMES
                    ? db_stmt(d, "SELECT id, name, answered, position FROM call_outcomes"
                                 " WHERE archived = 0 ORDER BY position, id")
                    : db_stmt(d, "SELECT id, name, 0, position FROM call_reasons"
                                 " WHERE archived = 0 ORDER BY position, id");
    if (!st) {
        *out = NULL;
        return db_fail(d, "calls: choices");
    }
    return db_all_json(d, st, k == CALL_OUTCOMES ? outcome_json : reason_json, out,
                       "calls: choices");
}

hail_err calls_choice_get(db *d, call_list_kind k, int64_t id, json_t **out)
{
    db_st *st = k == CALL_OUTCOMES
                    ? db_stmt(d, "SELECT id, name, answered, position FROM call_outcomes"
                                 " WHERE id = $1 AND archived = 0")
                    : db_stmt(d, "SELECT id, name, 0, position FROM call_reasons"
                                 " WHERE id = $1 AND archived = 0");
    if (!st) {
        *out = NULL;
        return db_fail(d, "calls: choice");
    }
    db_bind_i64(st, 1, id);
    return db_one_json(d, st, k == CALL_OUTCOMES ? outcome_json : reason_json, out,
                       "calls: choice");
}

hail_err calls_choice_insert(db *d, call_list_kind k, const char *name, int answered,
                             int64_t position, int64_t now, int64_t *id)
{
    db_st *st = k == CALL_OUTCOMES
                    ? db_stmt(d, "INSERT INTO call_outcomes (name, answered, position, created_at)"
                                 " VALUES ($1, $2, CASE WHEN $3 >= 0 THEN $3 ELSE (SELECT"
                                 " coalesce(max(position), 0) + 1 FROM call_outcomes) END, $4)"
                                 " RETURNING id")
                    : db_stmt(d, "INSERT INTO call_reasons (name, position, created_at)"
                                 " VALUES ($1, CASE WHEN $2 >= 0 THEN $2 ELSE (SELECT"
                                 " coalesce(max(position), 0) + 1 FROM call_reasons) END, $3)"
                                 " RETURNING id");
    if (!st)
        return db_fail(d, "calls: add a choice");
    int n = 1;
    db_bind_text(st, n++, name, -1);
    if (k == CALL_OUTCOMES)
        db_bind_i64(st, n++, answered ? 1 : 0);
    db_bind_i64(st, n++, position);
    db_bind_i64(st, n, now);
    if (db_step(st) != DB_ROW) {
        hail_err e = db_fail(d, "calls: add a choice");
        db_reset(st);
        return e;
    }
    *id = db_col_i64(st, 0);
    db_reset(st);
    return HAIL_OK;
}

hail_err calls_choice_update(db *d, call_list_kind k, int64_t id, const char *name, int answered,
                             int64_t position)
{
    db_st *st = k == CALL_OUTCOMES
                    ? db_stmt(d, "UPDATE call_outcomes SET name = coalesce($1, name),"
                                 " answered = CASE WHEN $2 >= 0 THEN $2 ELSE answered END,"
                                 " position = CASE WHEN $3 >= 0 THEN $3 ELSE position END"
                                 " WHERE id = $4 AND archived = 0")
                    : db_stmt(d, "UPDATE call_reasons SET name = coalesce($1, name),"
                                 " position = CASE WHEN $2 >= 0 THEN $2 ELSE position END"
                                 " WHERE id = $3 AND archived = 0");
    if (!st)
        return db_fail(d, "calls: change a choice");
    int n = 1;
    db_bind_text(st, n++, name, -1);
    if (k == CALL_OUTCOMES)
        db_bind_i64(st, n++, answered);
    db_bind_i64(st, n++, position);
    db_bind_i64(st, n, id);
    return one_row(d, st, "calls: change a choice");
}

hail_err calls_choice_archive(db *d, call_list_kind k, int64_t id)
{
    db_st *st =
        k == CALL_OUTCOMES
            ? db_stmt(d, "UPDATE call_outcomes SET archived = 1 WHERE id = $1 AND archived = 0")
            : db_stmt(d, "UPDATE call_reasons SET archived = 1 WHERE id = $1 AND archived = 0");
    if (st)
        db_bind_i64(st, 1, id);
    return one_row(d, st, "calls: archive a choice");
}

/* ---- caller ids ---- */

static json_t *caller_id_json(db *d, db_st *st)
{
    (void)d;
    json_t *o = json_pack("{sI ss ss sb}", "id", (json_int_t)db_col_i64(st, 0), "number",
                          db_col_text(st, 1), "label", db_col_text(st, 2), "is_default",
                          db_col_int(st, 3) != 0);
    if (o)
        json_object_set_new(o, "created_at", db_json_time(st, 4));
    return o;
}

hail_err calls_caller_ids_list(db *d, json_t **out)
{
    db_st *st = db_stmt(d, "SELECT id, number, label, is_default, created_at FROM caller_ids"
                           " ORDER BY id");
    if (!st) {
        *out = NULL;
        return db_fail(d, "calls: caller ids");
    }
    return db_all_json(d, st, caller_id_json, out, "calls: caller ids");
}

hail_err calls_caller_id_get(db *d, int64_t id, json_t **out)
{
    db_st *st = db_stmt(d, "SELECT id, number, label, is_default, created_at FROM caller_ids"
                           " WHERE id = $1");
    if (!st) {
        *out = NULL;
        return db_fail(d, "calls: caller id");
    }
    db_bind_i64(st, 1, id);
    return db_one_json(d, st, caller_id_json, out, "calls: caller id");
}

hail_err calls_caller_id_insert(db *d, const char *number, const char *label, int64_t now,
                                int64_t *id)
{
    db_st *st = db_stmt(d, "INSERT INTO caller_ids (number, label, is_default, created_at)"
                           " VALUES ($1, $2, 0, $3) RETURNING id");
    if (!st)
        return db_fail(d, "calls: add a caller id");
    db_bind_text(st, 1, number, -1);
    db_bind_text(st, 2, label, -1);
    db_bind_i64(st, 3, now);
    if (db_step(st) != DB_ROW) {
        hail_err e = db_fail(d, "calls: add a caller id");
        db_reset(st);
        return e;
    }
    *id = db_col_i64(st, 0);
    db_reset(st);
    return HAIL_OK;
}

hail_err calls_caller_id_update(db *d, int64_t id, const char *number, const char *label)
{
    db_st *st = db_stmt(d, "UPDATE caller_ids SET number = coalesce($1, number),"
                           " label = coalesce($2, label) WHERE id = $3");
    if (st) {
        db_bind_text(st, 1, number, -1);
        db_bind_text(st, 2, label, -1);
        db_bind_i64(st, 3, id);
    }
    return one_row(d, st, "calls: change a caller id");
}

hail_err calls_caller_id_set_default(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "UPDATE caller_ids SET is_default = CASE WHEN id = $1 THEN 1 ELSE 0"
                           " END WHERE is_default = 1 OR id = $1");
    if (st)
        db_bind_i64(st, 1, id);
    return one_row(d, st, "calls: default caller id");
}

hail_err calls_caller_id_clear_default(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "UPDATE caller_ids SET is_default = 0 WHERE id = $1");
    if (st)
        db_bind_i64(st, 1, id);
    return one_row(d, st, "calls: default caller id");
}

hail_err calls_caller_id_delete(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "DELETE FROM caller_ids WHERE id = $1");
    if (st)
        db_bind_i64(st, 1, id);
    return one_row(d, st, "calls: delete a caller id");
}

hail_err calls_caller_id_has_default(db *d, int *has)
{
    db_st *st = db_stmt(d, "SELECT count(*) FROM caller_ids WHERE is_default = 1");
    if (!st || db_step(st) != DB_ROW) {
        hail_err e = db_fail(d, "calls: default caller id");
        if (st)
            db_reset(st);
        return e;
    }
    *has = db_col_i64(st, 0) > 0;
    db_reset(st);
    return HAIL_OK;
}

void calls_strings_free(char **s)
{
    if (!s)
        return;
    for (char **p = s; *p; p++)
        free(*p);
    free(s);
}

hail_err calls_caller_id_pool(db *d, char ***numbers, long *def)
{
    *numbers = NULL;
    *def = -1;
    db_st *st = db_stmt(d, "SELECT number, is_default FROM caller_ids ORDER BY id");
    if (!st)
        return db_fail(d, "calls: caller ids");
    size_t n = 0, cap = 8;
    char **a = calloc(cap + 1, sizeof *a);
    if (!a) {
        db_reset(st);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (n == cap) {
            char **b = realloc(a, (cap * 2 + 1) * sizeof *a);
            if (!b) {
                db_reset(st);
                calls_strings_free(a);
                return hail_errf(HAIL_ENOMEM, "out of memory");
            }
            a = b;
            cap *= 2;
        }
        a[n] = strdup(db_col_text(st, 0));
        if (!a[n]) {
            db_reset(st);
            calls_strings_free(a);
            return hail_errf(HAIL_ENOMEM, "out of memory");
        }
        if (db_col_int(st, 1) && *def < 0)
            *def = (long)n;
        a[++n] = NULL;
    }
    hail_err e = rc == DB_DONE ? HAIL_OK : db_fail(d, "calls: caller ids");
    db_reset(st);
    if (e) {
        calls_strings_free(a);
        *def = -1;
        return e;
    }
    *numbers = a;
    return HAIL_OK;
}

/* ---- voicemail drops ---- */

#define DROP_COLS                                                                                  \
    "SELECT v.id, v.name, v.content_type, v.size, v.owner_id, u.name, v.created_at"                \
    " FROM voicemail_drops v JOIN users u ON u.id = v.owner_id"

static json_t *drop_json(db *d, db_st *st)
{
    (void)d;
    json_t *o = json_pack("{sI ss ss sI s{sI ss}}", "id", (json_int_t)db_col_i64(st, 0), "name",
                          db_col_text(st, 1), "content_type", db_col_text(st, 2), "size",
                          (json_int_t)db_col_i64(st, 3), "owner", "id",
                          (json_int_t)db_col_i64(st, 4), "name", db_col_text(st, 5));
    if (o)
        json_object_set_new(o, "created_at", db_json_time(st, 6));
    return o;
}

hail_err calls_drops_list(db *d, json_t **out)
{
    db_st *st = db_stmt(d, DROP_COLS " ORDER BY v.id");
    if (!st) {
        *out = NULL;
        return db_fail(d, "calls: voicemail drops");
    }
    return db_all_json(d, st, drop_json, out, "calls: voicemail drops");
}

hail_err calls_drop_get(db *d, int64_t id, json_t **out)
{
    db_st *st = db_stmt(d, DROP_COLS " WHERE v.id = $1");
    if (!st) {
        *out = NULL;
        return db_fail(d, "calls: voicemail drop");
    }
    db_bind_i64(st, 1, id);
    return db_one_json(d, st, drop_json, out, "calls: voicemail drop");
}

hail_err calls_drop_insert(db *d, int64_t owner, const char *name, const char *type,
                           const void *data, size_t n, int64_t now, int64_t *id)
{
    db_st *st = db_stmt(d, "INSERT INTO voicemail_drops (owner_id, name, content_type, size,"
                           " data, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id");
    if (!st)
        return db_fail(d, "calls: add a voicemail drop");
    db_bind_i64(st, 1, owner);
    db_bind_text(st, 2, name, -1);
    db_bind_text(st, 3, type, -1);
    db_bind_i64(st, 4, (int64_t)n);
    db_bind_blob(st, 5, data, n);
    db_bind_i64(st, 6, now);
    if (db_step(st) != DB_ROW) {
        hail_err e = db_fail(d, "calls: add a voicemail drop");
        db_reset(st);
        return e;
    }
    *id = db_col_i64(st, 0);
    db_reset(st);
    return HAIL_OK;
}

hail_err calls_drop_audio(db *d, int64_t id, char **data, size_t *n, const char **type,
                          int64_t *owner)
{
    *data = NULL;
    *n = 0;
    db_st *st = db_stmt(d, "SELECT data, content_type, owner_id FROM voicemail_drops"
                           " WHERE id = $1");
    if (!st)
        return db_fail(d, "calls: voicemail audio");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        hail_err e = rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "calls: voicemail audio");
        db_reset(st);
        return e;
    }
    size_t len = db_col_bytes(st, 0);
    char *p = malloc(len ? len : 1);
    if (!p) {
        db_reset(st);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    if (len)
        memcpy(p, db_col_blob(st, 0), len);
    *type = !strcmp(db_col_text(st, 1), "audio/mpeg") ? "audio/mpeg" : "audio/wav";
    if (owner)
        *owner = db_col_i64(st, 2);
    db_reset(st);
    *data = p;
    *n = len;
    return HAIL_OK;
}

hail_err calls_drop_delete(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "DELETE FROM voicemail_drops WHERE id = $1");
    if (st)
        db_bind_i64(st, 1, id);
    return one_row(d, st, "calls: delete a voicemail drop");
}

hail_err calls_drop_exists(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "SELECT 1 FROM voicemail_drops WHERE id = $1");
    if (!st)
        return db_fail(d, "calls: voicemail drop");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    hail_err e = rc == DB_ROW ? HAIL_OK : rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "drop");
    db_reset(st);
    return e;
}

/* ---- calls ---- */

void calls_row_free(call_row *c)
{
    free(c->number_dialed);
    free(c->caller_id);
    free(c->outcome);
    free(c->reason);
    free(c->notes);
    free(c->recording_url);
    free(c->answered_by);
    free(c->provider_call_id);
    free(c->status);
    memset(c, 0, sizeof *c);
}

static void bind_opt_id(db_st *st, int i, int64_t v)
{
    if (v)
        db_bind_i64(st, i, v);
    else
        db_bind_null(st, i);
}

static void bind_opt_i64(db_st *st, int i, int64_t v)
{
    if (v >= 0)
        db_bind_i64(st, i, v);
    else
        db_bind_null(st, i);
}

/* The columns after id, in the order calls_insert and calls_update bind them. */
static void bind_call(db_st *st, const call_row *c)
{
    db_bind_i64(st, 1, c->person_id);
    db_bind_i64(st, 2, c->user_id);
    bind_opt_id(st, 3, c->task_id);
    bind_opt_id(st, 4, c->campaign_id);
    db_bind_text(st, 5, c->number_dialed, -1);
    db_bind_text(st, 6, c->caller_id, -1);
    bind_opt_id(st, 7, c->outcome_id);
    db_bind_text(st, 8, c->outcome, -1);
    bind_opt_id(st, 9, c->reason_id);
    db_bind_text(st, 10, c->reason, -1);
    db_bind_text(st, 11, c->notes ? c->notes : "", -1);
    bind_opt_i64(st, 12, c->started_at);
    bind_opt_i64(st, 13, c->duration_s);
    db_bind_text(st, 14, c->recording_url, -1);
    db_bind_text(st, 15, c->status, -1);
    db_bind_text(st, 16, c->answered_by, -1);
    bind_opt_id(st, 17, c->voicemail_drop_id);
    db_bind_text(st, 18, c->provider_call_id, -1);
    db_bind_i64(st, 19, c->logged);
    db_bind_i64(st, 20, c->created_at);
    db_bind_i64(st, 21, c->updated_at);
}

hail_err calls_insert(db *d, const call_row *c, int64_t *id)
{
    db_st *st = db_stmt(d, "INSERT INTO calls (person_id, user_id, task_id, campaign_id,"
                           " number_dialed, caller_id, outcome_id, outcome, reason_id, reason,"
                           " notes, started_at, duration_s, recording_url, status, answered_by,"
                           " voicemail_drop_id, provider_call_id, logged, created_at, updated_at)"
                           " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                           " $15, $16, $17, $18, $19, $20, $21) RETURNING id");
    if (!st)
        return db_fail(d, "calls: log a call");
    bind_call(st, c);
    if (db_step(st) != DB_ROW) {
        hail_err e = db_fail(d, "calls: log a call");
        db_reset(st);
        return e;
    }
    *id = db_col_i64(st, 0);
    db_reset(st);
    return HAIL_OK;
}

hail_err calls_update(db *d, const call_row *c)
{
    db_st *st = db_stmt(d, "UPDATE calls SET person_id = $1, user_id = $2, task_id = $3,"
                           " campaign_id = $4, number_dialed = $5, caller_id = $6,"
                           " outcome_id = $7, outcome = $8, reason_id = $9, reason = $10,"
                           " notes = $11, started_at = $12, duration_s = $13,"
                           " recording_url = $14, status = $15, answered_by = $16,"
                           " voicemail_drop_id = $17, provider_call_id = $18, logged = $19,"
                           " created_at = $20, updated_at = $21 WHERE id = $22");
    if (!st)
        return db_fail(d, "calls: change a call");
    bind_call(st, c);
    db_bind_i64(st, 22, c->id);
    return one_row(d, st, "calls: change a call");
}

hail_err calls_row_get(db *d, int64_t id, call_row *c)
{
    memset(c, 0, sizeof *c);
    db_st *st = db_stmt(d, "SELECT id, person_id, user_id, task_id, campaign_id, number_dialed,"
                           " caller_id, outcome_id, outcome, reason_id, reason, notes, started_at,"
                           " duration_s, recording_url, status, answered_by, voicemail_drop_id,"
                           " provider_call_id, logged, created_at, updated_at FROM calls"
                           " WHERE id = $1");
    if (!st)
        return db_fail(d, "calls: read a call");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        hail_err e = rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "calls: read a call");
        db_reset(st);
        return e;
    }
    c->id = db_col_i64(st, 0);
    c->person_id = db_col_i64(st, 1);
    c->user_id = db_col_i64(st, 2);
    c->task_id = db_col_i64(st, 3);
    c->campaign_id = db_col_i64(st, 4);
    c->number_dialed = dup_or_null(st, 5);
    c->caller_id = dup_or_null(st, 6);
    c->outcome_id = db_col_i64(st, 7);
    c->outcome = dup_or_null(st, 8);
    c->reason_id = db_col_i64(st, 9);
    c->reason = dup_or_null(st, 10);
    c->notes = strdup(db_col_null(st, 11) ? "" : db_col_text(st, 11));
    c->started_at = db_col_null(st, 12) ? -1 : db_col_i64(st, 12);
    c->duration_s = db_col_null(st, 13) ? -1 : db_col_i64(st, 13);
    c->recording_url = dup_or_null(st, 14);
    c->status = strdup(db_col_text(st, 15));
    c->answered_by = dup_or_null(st, 16);
    c->voicemail_drop_id = db_col_i64(st, 17);
    c->provider_call_id = dup_or_null(st, 18);
    c->logged = db_col_int(st, 19);
    c->created_at = db_col_i64(st, 20);
    c->updated_at = db_col_i64(st, 21);
    db_reset(st);
    if (!c->notes || !c->status) {
        calls_row_free(c);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

hail_err calls_by_provider_id(db *d, const char *pid, int64_t *id)
{
    *id = 0;
    db_st *st = db_stmt(d, "SELECT id FROM calls WHERE provider_call_id = $1");
    if (!st)
        return db_fail(d, "calls: provider id");
    db_bind_text(st, 1, pid, -1);
    int rc = db_step(st);
    if (rc == DB_ROW)
        *id = db_col_i64(st, 0);
    hail_err e = rc == DB_ERROR ? db_fail(d, "calls: provider id") : HAIL_OK;
    db_reset(st);
    return e;
}

#define CALL_COLS                                                                                  \
    "SELECT c.id, c.person_id, p.first_name, p.last_name, c.user_id, u.name, c.number_dialed,"     \
    " c.caller_id, c.outcome_id, c.outcome, o.answered, c.reason_id, c.reason, c.notes,"           \
    " c.started_at, c.duration_s, c.recording_url, c.status, c.answered_by,"                       \
    " c.voicemail_drop_id, v.name, c.task_id, c.campaign_id, c.created_at, c.updated_at"           \
    " FROM calls c JOIN people p ON p.id = c.person_id JOIN users u ON u.id = c.user_id"           \
    " LEFT JOIN call_outcomes o ON o.id = c.outcome_id"                                            \
    " LEFT JOIN voicemail_drops v ON v.id = c.voicemail_drop_id"

static json_t *call_json(db *d, db_st *st)
{
    (void)d;
    char name[512];
    person_name(st, 2, name);
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_integer(db_col_i64(st, 0)));
    json_object_set_new(o, "person",
                        json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, 1), "name", name));
    json_object_set_new(
        o, "user",
        json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, 4), "name", db_col_text(st, 5)));
    json_object_set_new(o, "number_dialed", db_json_text(st, 6));
    json_object_set_new(o, "caller_id", db_json_text(st, 7));
    json_object_set_new(o, "outcome",
                        db_col_null(st, 8) || db_col_null(st, 9)
                            ? json_null()
                            : json_pack("{sI ss sb}", "id", (json_int_t)db_col_i64(st, 8), "name",
                                        db_col_text(st, 9), "answered", db_col_int(st, 10) != 0));
    json_object_set_new(o, "reason",
                        db_col_null(st, 11) || db_col_null(st, 12)
                            ? json_null()
                            : json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, 11), "name",
                                        db_col_text(st, 12)));
    json_object_set_new(o, "notes", json_string(db_col_null(st, 13) ? "" : db_col_text(st, 13)));
    json_object_set_new(o, "started_at", db_json_time(st, 14));
    json_object_set_new(o, "duration_s", db_json_int(st, 15));
    json_object_set_new(o, "recording_url", db_json_text(st, 16));
    json_object_set_new(o, "status", json_string(db_col_text(st, 17)));
    json_object_set_new(o, "answered_by", db_json_text(st, 18));
    json_object_set_new(o, "voicemail_drop",
                        db_col_null(st, 19) || db_col_null(st, 20)
                            ? json_null()
                            : json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, 19), "name",
                                        db_col_text(st, 20)));
    json_object_set_new(o, "task_id", db_json_int(st, 21));
    json_object_set_new(o, "campaign_id", db_json_int(st, 22));
    json_object_set_new(o, "created_at", db_json_time(st, 23));
    json_object_set_new(o, "updated_at", db_json_time(st, 24));
    return o;
}

hail_err calls_json(db *d, int64_t id, json_t **out)
{
    db_st *st = db_stmt(d, CALL_COLS " WHERE c.id = $1");
    if (!st) {
        *out = NULL;
        return db_fail(d, "calls: read a call");
    }
    db_bind_i64(st, 1, id);
    return db_one_json(d, st, call_json, out, "calls: read a call");
}

int calls_visible(db *d, const email_viewer *v, int64_t id)
{
    db_st *st = db_stmt(d, "SELECT c.user_id = $1 OR $2 = 'admin' OR ($2 = 'manager' AND"
                           " c.user_id IN (SELECT m2.user_id FROM team_members m1 JOIN"
                           " team_members m2 ON m2.team_id = m1.team_id WHERE m1.user_id = $1))"
                           " FROM calls c WHERE c.id = $3");
    if (!st)
        return 0;
    db_bind_i64(st, 1, v->user_id);
    db_bind_text(st, 2, v->role, -1);
    db_bind_i64(st, 3, id);
    int ok = db_step(st) == DB_ROW && db_col_int(st, 0);
    db_reset(st);
    return ok;
}

hail_err calls_page(db *d, const email_viewer *v, const call_filter *f, json_t **out, int64_t *next)
{
    dbq q;
    dbq_init(&q, CALL_COLS " WHERE 1 = 1");
    if (f->person_id)
        dbq_printf(&q, " AND c.person_id = $%d", dbq_i64(&q, f->person_id));
    if (f->user_id)
        dbq_printf(&q, " AND c.user_id = $%d", dbq_i64(&q, f->user_id));
    if (f->account)
        dbq_printf(&q, " AND p.sfdc_account_id = $%d", dbq_text(&q, f->account));
    if (f->opportunity)
        dbq_printf(&q, " AND p.sfdc_opportunity_id = $%d", dbq_text(&q, f->opportunity));
    if (f->before_id)
        dbq_printf(&q, " AND c.id < $%d", dbq_i64(&q, f->before_id));
    dbq_user_visible(&q, "c.user_id", v->user_id, v->role);
    return dbq_page(d, &q, "c.id DESC", call_json, f->limit, out, next, "calls: list");
}

/* ---- the dialer ---- */

hail_err calls_dialer_event(db *d, const char *event_id, int64_t call_id, const char *kind,
                            int64_t now, int *fresh, int64_t *call_id_seen)
{
    *fresh = 0;
    db_st *st = db_stmt(d, "INSERT INTO dialer_events (event_id, call_id, kind, received_at)"
                           " VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING");
    if (!st)
        return db_fail(d, "calls: dialer event");
    db_bind_text(st, 1, event_id, -1);
    db_bind_i64(st, 2, call_id);
    db_bind_text(st, 3, kind, -1);
    db_bind_i64(st, 4, now);
    hail_err e = db_step_done(d, st, "calls: dialer event");
    if (e)
        return e;
    if (db_changes(d) > 0) {
        *fresh = 1;
        return HAIL_OK;
    }
    if (call_id_seen) {
        db_st *q = db_stmt(d, "SELECT call_id FROM dialer_events WHERE event_id = $1");
        if (!q)
            return db_fail(d, "calls: dialer event");
        db_bind_text(q, 1, event_id, -1);
        *call_id_seen = db_step(q) == DB_ROW ? db_col_i64(q, 0) : 0;
        db_reset(q);
    }
    return HAIL_OK;
}

/* ---- small reads ---- */

hail_err calls_person(db *d, int64_t id, char **name, char **phone)
{
    *name = *phone = NULL;
    db_st *st = db_stmt(d, "SELECT first_name, last_name, phone FROM people WHERE id = $1");
    hail_err e = db_row_by_id(d, st, id, "calls: person");
    if (e)
        return e;
    char nm[512];
    person_name(st, 0, nm);
    *name = strdup(nm);
    *phone = db_col_null(st, 2) || !*db_col_text(st, 2) ? NULL : strdup(db_col_text(st, 2));
    db_reset(st);
    return *name ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

hail_err calls_user(db *d, int64_t id, char **email, char **name)
{
    *email = *name = NULL;
    db_st *st = db_stmt(d, "SELECT email, name FROM users WHERE id = $1");
    hail_err e = db_row_by_id(d, st, id, "calls: user");
    if (e)
        return e;
    *email = strdup(db_col_text(st, 0));
    *name = strdup(db_col_text(st, 1));
    db_reset(st);
    return *email && *name ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

hail_err calls_campaign_name(db *d, int64_t id, char **name)
{
    return db_text_by_id(d, db_stmt(d, "SELECT name FROM campaigns WHERE id = $1"), id,
                         "calls: campaign", name);
}

hail_err calls_outcome_of(db *d, int64_t id, char **name, int *answered)
{
    db_st *st = db_stmt(d, "SELECT name, answered FROM call_outcomes WHERE id = $1"
                           " AND archived = 0");
    *name = NULL;
    hail_err e = db_row_by_id(d, st, id, "calls: outcome");
    if (e)
        return e;
    *answered = db_col_int(st, 1);
    if (!(*name = strdup(db_col_text(st, 0))))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    db_reset(st);
    return e;
}

hail_err calls_reason_of(db *d, int64_t id, char **name)
{
    return db_text_by_id(d,
                         db_stmt(d, "SELECT name FROM call_reasons WHERE id = $1 AND archived = 0"),
                         id, "calls: reason", name);
}
