#include "core/common.h"

#include "store/triggers.h"

#include "core/timeutil.h"

/* The SQL of triggers (store/triggers.h). */

static hail_err oom(void)
{
    return hail_errf(HAIL_ENOMEM, "out of memory");
}

static hail_err no_trigger(int64_t id)
{
    return hail_errf(HAIL_ENOTFOUND, "no trigger with id %lld", (long long)id);
}

static json_t *iso_or_null(db_st *st, int col)
{
    if (db_col_null(st, col))
        return json_null();
    char iso[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, col), iso);
    return json_string(iso);
}

static json_t *int_or_null(db_st *st, int col)
{
    return db_col_null(st, col) ? json_null() : json_integer(db_col_i64(st, col));
}

static json_t *text_or_null(db_st *st, int col)
{
    return db_col_null(st, col) ? json_null() : json_string(db_col_text(st, col));
}

void trig_rows_free(trig_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].name);
        free(rows[i].action);
        json_decref(rows[i].config);
    }
    free(rows);
}

hail_err trig_db_create(db *d, const trig_write *w, int64_t now, int64_t *id)
{
    db_st *st = db_stmt(d, "INSERT INTO triggers (name, filter_id, action, config, secret,"
                           " enabled, created_by, created_at, updated_at, start_id)"
                           " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8,"
                           " (SELECT coalesce(max(id), 0) FROM activities)) RETURNING id");
    if (!st)
        return db_fail(d, "triggers: create");
    db_bind_text(st, 1, w->name, -1);
    db_bind_i64(st, 2, w->filter_id);
    db_bind_text(st, 3, w->action, -1);
    db_bind_text(st, 4, w->config ? w->config : "{}", -1);
    if (w->secret)
        db_bind_blob(st, 5, w->secret, w->secret_n);
    else
        db_bind_null(st, 5);
    db_bind_i64(st, 6, w->enabled < 0 ? 1 : w->enabled);
    if (w->created_by)
        db_bind_i64(st, 7, w->created_by);
    else
        db_bind_null(st, 7);
    db_bind_i64(st, 8, now);
    int rc = db_step(st);
    if (rc == DB_ROW)
        *id = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ROW ? HAIL_OK : db_fail(d, "triggers: create");
}

hail_err trig_db_update(db *d, int64_t id, const trig_write *w, int64_t now)
{
    db_st *st =
        db_stmt(d, "UPDATE triggers SET name = coalesce($1, name),"
                   " filter_id = CASE WHEN CAST($2 AS BIGINT) = 0 THEN filter_id ELSE $2 END,"
                   " action = coalesce($3, action), config = coalesce($4, config),"
                   " secret = CASE WHEN CAST($5 AS INTEGER) = 1 THEN $6 ELSE secret END,"
                   " enabled = CASE WHEN CAST($7 AS INTEGER) < 0 THEN enabled ELSE $7 END,"
                   " updated_at = $8 WHERE id = $9");
    if (!st)
        return db_fail(d, "triggers: update");
    if (w->name)
        db_bind_text(st, 1, w->name, -1);
    else
        db_bind_null(st, 1);
    db_bind_i64(st, 2, w->filter_id);
    if (w->action)
        db_bind_text(st, 3, w->action, -1);
    else
        db_bind_null(st, 3);
    if (w->config)
        db_bind_text(st, 4, w->config, -1);
    else
        db_bind_null(st, 4);
    db_bind_i64(st, 5, w->set_secret ? 1 : 0);
    if (w->set_secret && w->secret)
        db_bind_blob(st, 6, w->secret, w->secret_n);
    else
        db_bind_blob(st, 6, "", 0);
    db_bind_i64(st, 7, w->enabled);
    db_bind_i64(st, 8, now);
    db_bind_i64(st, 9, id);
    hail_err e = db_step_done(d, st, "triggers: update");
    if (e)
        return e;
    if (!db_changes(d))
        return no_trigger(id);
    if (w->set_secret && !w->secret) {
        /* no secret: NULL, not an empty value */
        db_st *s2 = db_stmt(d, "UPDATE triggers SET secret = NULL WHERE id = $1");
        if (!s2)
            return db_fail(d, "triggers: update");
        db_bind_i64(s2, 1, id);
        return db_step_done(d, s2, "triggers: update");
    }
    return HAIL_OK;
}

/* Runs one DELETE of the rows of trigger id. */
static hail_err del(db *d, db_st *st, int64_t id)
{
    if (!st)
        return db_fail(d, "triggers: delete");
    db_bind_i64(st, 1, id);
    return db_step_done(d, st, "triggers: delete");
}

hail_err trig_db_delete(db *d, int64_t id)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    if (!(e = del(d, db_stmt(d, "DELETE FROM webhook_deliveries WHERE trigger_id = $1"), id)) &&
        !(e = del(d, db_stmt(d, "DELETE FROM trigger_fires WHERE trigger_id = $1"), id)) &&
        !(e = del(d, db_stmt(d, "DELETE FROM triggers WHERE id = $1"), id)) && !db_changes(d))
        e = no_trigger(id);
    if (e) {
        db_rollback(d);
        return e;
    }
    return db_commit(d);
}

#define TRIG_COLS                                                                                  \
    "t.id, t.name, t.filter_id, t.action, t.config, CASE WHEN t.secret IS NULL THEN 0 ELSE 1 "     \
    "END, t.enabled,"                                                                              \
    " t.created_by, t.created_at, t.updated_at,"                                                   \
    " (SELECT count(*) FROM trigger_fires f WHERE f.trigger_id = t.id),"                           \
    " (SELECT count(*) FROM webhook_deliveries w WHERE w.trigger_id = t.id"                        \
    "  AND w.status = 'pending'),"                                                                 \
    " (SELECT count(*) FROM webhook_deliveries w WHERE w.trigger_id = t.id"                        \
    "  AND w.status = 'failed')"

static json_t *trig_json(db *d, db_st *st)
{
    (void)d;
    json_t *config = json_loads(db_col_text(st, 4), 0, NULL);
    if (!json_is_object(config)) {
        json_decref(config);
        config = json_object();
    }
    if (!strcmp(db_col_text(st, 3), "webhook"))
        json_object_set_new(config, "secret_set", json_boolean(db_col_int(st, 5)));
    return json_pack(
        "{sI ss sI ss so sb so so so sI sI sI}", "id", (json_int_t)db_col_i64(st, 0), "name",
        db_col_text(st, 1), "filter_id", (json_int_t)db_col_i64(st, 2), "action",
        db_col_text(st, 3), "config", config, "enabled", db_col_int(st, 6) != 0, "created_by",
        int_or_null(st, 7), "created_at", iso_or_null(st, 8), "updated_at", iso_or_null(st, 9),
        "fires", (json_int_t)db_col_i64(st, 10), "deliveries_pending",
        (json_int_t)db_col_i64(st, 11), "deliveries_failed", (json_int_t)db_col_i64(st, 12));
}

hail_err trig_db_get(db *d, int64_t id, json_t **out)
{
    db_st *st = db_stmt(d, "SELECT " TRIG_COLS " FROM triggers t WHERE t.id = $1");
    if (!st)
        return db_fail(d, "triggers: get");
    db_bind_i64(st, 1, id);
    hail_err e = db_one_json(d, st, trig_json, out, "triggers: get");
    return e == HAIL_ENOTFOUND ? no_trigger(id) : e;
}

/* Fills a page: at most limit rows of st; *next the last id when one more came. */
static hail_err page(db *d, db_st *st, db_row_json_fn row, int limit, int idcol, json_t **out,
                     int64_t *next, const char *what)
{
    *next = 0;
    *out = json_array();
    if (!*out) {
        db_reset(st);
        return oom();
    }
    int rc, n = 0;
    int64_t last = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (n == limit) {
            *next = last;
            break;
        }
        json_t *j = row(d, st);
        if (!j) {
            db_reset(st);
            return oom();
        }
        json_array_append_new(*out, j);
        last = db_col_i64(st, idcol);
        n++;
    }
    db_reset(st);
    if (rc == DB_ERROR)
        return db_fail(d, what);
    return HAIL_OK;
}

hail_err trig_db_page(db *d, int64_t after, int limit, json_t **out, int64_t *next)
{
    db_st *st =
        db_stmt(d, "SELECT " TRIG_COLS " FROM triggers t WHERE t.id > $1 ORDER BY t.id LIMIT $2");
    if (!st)
        return db_fail(d, "triggers: list");
    db_bind_i64(st, 1, after);
    db_bind_i64(st, 2, limit + 1);
    return page(d, st, trig_json, limit, 0, out, next, "triggers: list");
}

static hail_err read_row(db_st *st, trig_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = db_col_i64(st, 0);
    r->filter_id = db_col_i64(st, 1);
    r->created_by = db_col_null(st, 2) ? 0 : db_col_i64(st, 2);
    r->name = strdup(db_col_text(st, 3));
    r->action = strdup(db_col_text(st, 4));
    r->config = json_loads(db_col_text(st, 5), 0, NULL);
    r->enabled = db_col_int(st, 6);
    r->start_id = db_col_i64(st, 7);
    if (!json_is_object(r->config)) {
        json_decref(r->config);
        r->config = json_object();
    }
    if (!r->name || !r->action || !r->config) {
        free(r->name);
        free(r->action);
        json_decref(r->config);
        memset(r, 0, sizeof *r);
        return oom();
    }
    return HAIL_OK;
}

hail_err trig_db_row(db *d, int64_t id, trig_row *out)
{
    db_st *st =
        db_stmt(d, "SELECT id, filter_id, created_by, name, action, config, enabled, start_id"
                   " FROM triggers WHERE id = $1");
    if (!st)
        return db_fail(d, "triggers: row");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    hail_err e = rc == DB_ROW    ? read_row(st, out)
                 : rc == DB_DONE ? no_trigger(id)
                                 : db_fail(d, "triggers: row");
    db_reset(st);
    return e;
}

hail_err trig_db_enabled(db *d, trig_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    db_st *st =
        db_stmt(d, "SELECT id, filter_id, created_by, name, action, config, enabled, start_id"
                   " FROM triggers WHERE enabled = 1 ORDER BY id");
    if (!st)
        return db_fail(d, "triggers: enabled");
    size_t cap = 0;
    int rc;
    hail_err e = HAIL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            trig_row *p = realloc(*rows, nc * sizeof *p);
            if (!p) {
                e = oom();
                break;
            }
            *rows = p;
            cap = nc;
        }
        if ((e = read_row(st, &(*rows)[*n])))
            break;
        (*n)++;
    }
    db_reset(st);
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "triggers: enabled");
    if (e) {
        trig_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return e;
}

hail_err trig_db_secret(db *d, int64_t id, unsigned char **sealed, size_t *n)
{
    *sealed = NULL;
    *n = 0;
    db_st *st = db_stmt(d, "SELECT secret FROM triggers WHERE id = $1");
    if (!st)
        return db_fail(d, "triggers: secret");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW && !db_col_null(st, 0)) {
        size_t len = db_col_bytes(st, 0);
        *sealed = malloc(len ? len : 1);
        if (!*sealed)
            e = oom();
        else {
            memcpy(*sealed, db_col_blob(st, 0), len);
            *n = len;
        }
    } else if (rc == DB_DONE)
        e = no_trigger(id);
    else if (rc != DB_ROW)
        e = db_fail(d, "triggers: secret");
    db_reset(st);
    return e;
}

/* ---- firings ---- */

hail_err trig_db_fire(db *d, int64_t trigger_id, int64_t activity_id, int64_t now,
                      const char *outcome, int *fired)
{
    *fired = 0;
    db_st *st = db_stmt(d, "INSERT INTO trigger_fires (trigger_id, activity_id, fired_at, outcome)"
                           " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
    if (!st)
        return db_fail(d, "triggers: fire");
    db_bind_i64(st, 1, trigger_id);
    db_bind_i64(st, 2, activity_id);
    db_bind_i64(st, 3, now);
    db_bind_text(st, 4, outcome, -1);
    hail_err e = db_step_done(d, st, "triggers: fire");
    if (!e)
        *fired = db_changes(d) == 1;
    return e;
}

hail_err trig_db_fire_outcome(db *d, int64_t trigger_id, int64_t activity_id, const char *outcome,
                              int64_t effect_id)
{
    db_st *st = db_stmt(d, "UPDATE trigger_fires SET outcome = $1,"
                           " effect_id = CASE WHEN CAST($2 AS BIGINT) = 0 THEN NULL ELSE $2 END"
                           " WHERE trigger_id = $3 AND activity_id = $4");
    if (!st)
        return db_fail(d, "triggers: fire outcome");
    db_bind_text(st, 1, outcome, -1);
    db_bind_i64(st, 2, effect_id);
    db_bind_i64(st, 3, trigger_id);
    db_bind_i64(st, 4, activity_id);
    return db_step_done(d, st, "triggers: fire outcome");
}

static hail_err one_i64(db *d, db_st *st, int64_t *out, const char *what)
{
    *out = 0;
    if (!st)
        return db_fail(d, what);
    int rc = db_step(st);
    if (rc == DB_ROW && !db_col_null(st, 0))
        *out = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ROW || rc == DB_DONE ? HAIL_OK : db_fail(d, what);
}

hail_err trig_db_is_effect(db *d, int64_t activity_id, int *yes)
{
    db_st *st = db_stmt(d, "SELECT count(*) FROM trigger_fires WHERE effect_id = $1");
    if (st)
        db_bind_i64(st, 1, activity_id);
    int64_t n;
    hail_err e = one_i64(d, st, &n, "triggers: effect");
    *yes = n > 0;
    return e;
}

hail_err trig_db_last_activity(db *d, int64_t *id)
{
    return one_i64(d,
                   db_stmt(d, DB_SQL(d, "SELECT max(id) FROM activities",
                                     "SELECT max(id) FROM activities"
                                     " WHERE xact = pg_current_xact_id()")),
                   id, "triggers: last activity");
}

hail_err trig_db_own_activity(db *d, int64_t after, int64_t *id)
{
    db_st *st = db_stmt(d, DB_SQL(d, "SELECT max(id) FROM activities WHERE id > $1",
                                  "SELECT max(id) FROM activities WHERE xact ="
                                  " pg_current_xact_id() AND id > $1"));
    if (st)
        db_bind_i64(st, 1, after);
    return one_i64(d, st, id, "triggers: own activity");
}

static json_t *fire_json(db *d, db_st *st)
{
    (void)d;
    return json_pack("{sI so so ss* so}", "activity_id", (json_int_t)db_col_i64(st, 0), "person_id",
                     int_or_null(st, 1), "activity_type", text_or_null(st, 2), "outcome",
                     db_col_text(st, 3), "fired_at", iso_or_null(st, 4));
}

hail_err trig_db_fires_page(db *d, int64_t trigger_id, int64_t before, int limit, json_t **out,
                            int64_t *next)
{
    db_st *st =
        db_stmt(d, "SELECT f.activity_id, a.person_id, a.type, f.outcome, f.fired_at"
                   " FROM trigger_fires f LEFT JOIN activities a ON a.id = f.activity_id"
                   " WHERE f.trigger_id = $1 AND (CAST($2 AS BIGINT) = 0 OR f.activity_id < $2)"
                   " ORDER BY f.activity_id DESC LIMIT $3");
    if (!st)
        return db_fail(d, "triggers: fires");
    db_bind_i64(st, 1, trigger_id);
    db_bind_i64(st, 2, before);
    db_bind_i64(st, 3, limit + 1);
    return page(d, st, fire_json, limit, 0, out, next, "triggers: fires");
}

/* ---- webhook deliveries ---- */

lease_rows wh_due_rows = {
    .table = "webhook_deliveries",
    .where = "status = 'pending' AND next_at <= $3",
    .order = "next_at, id",
};

hail_err wh_db_enqueue(db *d, int64_t trigger_id, int64_t activity_id, const char *body,
                       int64_t now, int64_t *id)
{
    db_st *st = db_stmt(d, "INSERT INTO webhook_deliveries (trigger_id, activity_id, body,"
                           " next_at, created_at) VALUES ($1, $2, $3, $4, $4) RETURNING id");
    if (!st)
        return db_fail(d, "webhooks: enqueue");
    db_bind_i64(st, 1, trigger_id);
    db_bind_i64(st, 2, activity_id);
    db_bind_text(st, 3, body, -1);
    db_bind_i64(st, 4, now);
    int rc = db_step(st);
    if (rc == DB_ROW && id)
        *id = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ROW ? HAIL_OK : db_fail(d, "webhooks: enqueue");
}

void wh_row_free(wh_row *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

hail_err wh_db_get(db *d, int64_t id, wh_row *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT id, trigger_id, activity_id, attempts, body"
                           " FROM webhook_deliveries WHERE id = $1");
    if (!st)
        return db_fail(d, "webhooks: get");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        out->id = db_col_i64(st, 0);
        out->trigger_id = db_col_i64(st, 1);
        out->activity_id = db_col_i64(st, 2);
        out->attempts = db_col_int(st, 3);
        out->body = strdup(db_col_text(st, 4));
        if (!out->body)
            e = oom();
    } else if (rc == DB_DONE)
        e = hail_errf(HAIL_ENOTFOUND, "no webhook delivery with id %lld", (long long)id);
    else
        e = db_fail(d, "webhooks: get");
    db_reset(st);
    return e;
}

hail_err wh_db_attempt(db *d, int64_t id, const char *owner, const char *status, int attempts,
                       long http_status, const char *error, int64_t next_at, int64_t now, int *done)
{
    *done = 0;
    db_st *st = db_stmt(
        d, "UPDATE webhook_deliveries SET status = $1, attempts = $2,"
           " last_status = CASE WHEN CAST($3 AS INTEGER) = 0 THEN NULL ELSE $3 END,"
           " last_error = $4, next_at = $5,"
           " delivered_at = CASE WHEN $1 = 'delivered' THEN CAST($6 AS BIGINT) ELSE NULL END,"
           " lease_owner = NULL, lease_until = NULL"
           " WHERE id = $7 AND lease_owner = $8");
    if (!st)
        return db_fail(d, "webhooks: attempt");
    db_bind_text(st, 1, status, -1);
    db_bind_i64(st, 2, attempts);
    db_bind_i64(st, 3, http_status);
    if (error)
        db_bind_text(st, 4, error, -1);
    else
        db_bind_null(st, 4);
    db_bind_i64(st, 5, next_at);
    db_bind_i64(st, 6, now);
    db_bind_i64(st, 7, id);
    db_bind_text(st, 8, owner, -1);
    hail_err e = db_step_done(d, st, "webhooks: attempt");
    if (!e)
        *done = db_changes(d) == 1;
    return e;
}

static json_t *wh_json(db *d, db_st *st)
{
    (void)d;
    return json_pack("{sI sI sI si ss so so so so so}", "id", (json_int_t)db_col_i64(st, 0),
                     "trigger_id", (json_int_t)db_col_i64(st, 1), "activity_id",
                     (json_int_t)db_col_i64(st, 2), "attempts", db_col_int(st, 3), "status",
                     db_col_text(st, 4), "last_status", int_or_null(st, 5), "last_error",
                     text_or_null(st, 6), "next_at",
                     strcmp(db_col_text(st, 4), "pending") ? json_null() : iso_or_null(st, 7),
                     "delivered_at", iso_or_null(st, 8), "created_at", iso_or_null(st, 9));
}

hail_err wh_db_page(db *d, int64_t trigger_id, int64_t before, int limit, json_t **out,
                    int64_t *next)
{
    db_st *st = db_stmt(d, "SELECT id, trigger_id, activity_id, attempts, status, last_status,"
                           " last_error, next_at, delivered_at, created_at"
                           " FROM webhook_deliveries WHERE trigger_id = $1"
                           " AND (CAST($2 AS BIGINT) = 0 OR id < $2) ORDER BY id DESC LIMIT $3");
    if (!st)
        return db_fail(d, "webhooks: list");
    db_bind_i64(st, 1, trigger_id);
    db_bind_i64(st, 2, before);
    db_bind_i64(st, 3, limit + 1);
    return page(d, st, wh_json, limit, 0, out, next, "webhooks: list");
}

hail_err wh_db_count(db *d, int64_t trigger_id, const char *status, int64_t *n)
{
    db_st *st = db_stmt(d, "SELECT count(*) FROM webhook_deliveries"
                           " WHERE trigger_id = $1 AND status = $2");
    if (st) {
        db_bind_i64(st, 1, trigger_id);
        db_bind_text(st, 2, status, -1);
    }
    return one_i64(d, st, n, "webhooks: count");
}

hail_err wh_db_next_due(db *d, int64_t *at)
{
    return one_i64(d,
                   db_stmt(d, "SELECT min(next_at) FROM webhook_deliveries"
                              " WHERE status = 'pending'"),
                   at, "webhooks: next due");
}
