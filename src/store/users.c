#include "core/common.h"

#include "store/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"

int user_role_valid(const char *role)
{
    return role && (!strcmp(role, "admin") || !strcmp(role, "manager") || !strcmp(role, "rep"));
}

static void copy_col(char *dst, size_t n, db_st *st, int col)
{
    const char *v = db_col_text(st, col);
    snprintf(dst, n, "%s", v ? v : "");
}

hail_err users_create(db *d, const char *email, const char *name, const char *role,
                      const char *password_hash, int64_t *id_out)
{
    db_st *st = db_stmt(d, "INSERT INTO users (email, name, role, password_hash, active,"
                           " created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)"
                           " RETURNING id");
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, email, -1);
    db_bind_text_ref(st, 2, name, -1);
    db_bind_text_ref(st, 3, role, -1);
    db_bind_text(st, 4, password_hash, -1);
    db_bind_i64(st, 5, time_now_us());
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW) {
        if (id_out)
            *id_out = db_col_i64(st, 0);
    } else {
        e = db_fail(d, "users: create");
        if (e == HAIL_EEXIST)
            e = hail_errf(HAIL_EEXIST, "a user with email %s already exists", email);
    }
    db_reset(st);
    return e;
}

#define USER_COLS "id, email, name, role, active, password_hash IS NOT NULL, password_hash"

static void user_from_row(db_st *st, user *u)
{
    u->id = db_col_i64(st, 0);
    copy_col(u->email, sizeof u->email, st, 1);
    copy_col(u->name, sizeof u->name, st, 2);
    copy_col(u->role, sizeof u->role, st, 3);
    u->active = db_col_int(st, 4);
    u->has_password = db_col_int(st, 5);
}

static hail_err user_one(db *d, db_st *st, user *out, char **password_hash)
{
    hail_err e = HAIL_OK;
    int rc = db_step(st);
    if (rc == DB_ROW) {
        user_from_row(st, out);
        if (password_hash) {
            const char *h = db_col_text(st, 6);
            *password_hash = h ? strdup(h) : NULL;
        }
    } else if (rc == DB_DONE) {
        e = hail_errf(HAIL_ENOTFOUND, "no such user");
    } else {
        e = db_fail(d, "users: get");
    }
    db_reset(st);
    return e;
}

hail_err users_get(db *d, int64_t id, user *out)
{
    db_st *st = db_stmt(d, "SELECT " USER_COLS " FROM users WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    hail_err e = user_one(d, st, out, NULL);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(HAIL_ENOTFOUND, "no user with id %lld", (long long)id);
    return e;
}

hail_err users_get_by_email(db *d, const char *email, user *out, char **password_hash)
{
    if (password_hash)
        *password_hash = NULL;
    /* Emails compare without regard to ASCII case (SQLite: the column is
     * NOCASE; PostgreSQL: lower() under "C", the users_email index). */
    db_st *st = db_stmt(d, DB_SQL(d, "SELECT " USER_COLS " FROM users WHERE email = $1",
                                  "SELECT " USER_COLS " FROM users"
                                  " WHERE lower(email) = lower($1 COLLATE \"C\")"));
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, email, -1);
    hail_err e = user_one(d, st, out, password_hash);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(HAIL_ENOTFOUND, "no user with email %s", email);
    return e;
}

hail_err users_update(db *d, int64_t id, const char *name, const char *role, int active,
                      const char *password_hash)
{
    db_st *st = db_stmt(d, "UPDATE users SET name = coalesce($1, name),"
                           " role = coalesce($2, role),"
                           " active = CASE WHEN $3 < 0 THEN active ELSE $3 END,"
                           " password_hash = coalesce($4, password_hash),"
                           " updated_at = $5 WHERE id = $6");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, name, -1);
    db_bind_text(st, 2, role, -1);
    db_bind_i64(st, 3, active);
    db_bind_text(st, 4, password_hash, -1);
    db_bind_i64(st, 5, time_now_us());
    db_bind_i64(st, 6, id);
    hail_err e = db_step_done(d, st, "users: update");
    if (!e && db_changes(d) == 0)
        e = hail_errf(HAIL_ENOTFOUND, "no user with id %lld", (long long)id);
    return e;
}

static json_t *user_row_json(db *d, db_st *st)
{
    user u;
    user_from_row(st, &u);
    char created[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, 7), created);
    json_t *teams = json_array();
    db_st *ts = db_stmt(d, DB_SQL(d,
                                  "SELECT t.id, t.name FROM teams t JOIN team_members m"
                                  " ON m.team_id = t.id WHERE m.user_id = $1 ORDER BY t.name",
                                  "SELECT t.id, t.name FROM teams t JOIN team_members m"
                                  " ON m.team_id = t.id WHERE m.user_id = $1"
                                  " ORDER BY lower(t.name)"));
    if (ts) {
        db_bind_i64(ts, 1, u.id);
        while (db_step(ts) == DB_ROW)
            json_array_append_new(teams, json_pack("{s:I,s:s}", "id", (json_int_t)db_col_i64(ts, 0),
                                                   "name", db_col_text(ts, 1)));
        db_reset(ts);
    }
    const char *tz = db_col_text(st, 8);
    return json_pack("{s:I,s:s,s:s,s:s,s:b,s:b,s:o,s:s,s:s}", "id", (json_int_t)u.id, "email",
                     u.email, "name", u.name, "role", u.role, "active", u.active, "has_password",
                     u.has_password, "teams", teams, "created_at", created, "time_zone",
                     tz && *tz ? tz : "UTC");
}

hail_err users_set_time_zone(db *d, int64_t id, const char *time_zone)
{
    db_st *st = db_stmt(d, "UPDATE users SET time_zone = $1 WHERE id = $2");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, time_zone, -1);
    db_bind_i64(st, 2, id);
    hail_err e = db_step_done(d, st, "users: time zone");
    if (!e && db_changes(d) == 0)
        e = hail_errf(HAIL_ENOTFOUND, "no user with id %lld", (long long)id);
    return e;
}

hail_err users_time_zone(db *d, int64_t id, char out[256])
{
    db_st *st = db_stmt(d, "SELECT time_zone FROM users WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    snprintf(out, 256, "%s", "UTC");
    if (rc == DB_ROW) {
        const char *v = db_col_text(st, 0);
        if (v && *v)
            snprintf(out, 256, "%s", v);
    } else if (rc == DB_DONE)
        e = hail_errf(HAIL_ENOTFOUND, "no user with id %lld", (long long)id);
    else
        e = db_fail(d, "users: time zone");
    db_reset(st);
    return e;
}

hail_err users_json(db *d, int64_t id, json_t **out)
{
    db_st *st = db_stmt(d, "SELECT " USER_COLS ", created_at, time_zone FROM users WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    hail_err e = db_one_json(d, st, user_row_json, out, "users: get");
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(HAIL_ENOTFOUND, "no user with id %lld", (long long)id);
    return e;
}

hail_err users_list_json(db *d, json_t **out)
{
    db_st *st = db_stmt(d, "SELECT " USER_COLS ", created_at, time_zone FROM users ORDER BY id");
    if (!st)
        return (*out = NULL), HAIL_EDB;
    return db_all_json(d, st, user_row_json, out, "users: list");
}

/* Cuts a list fetched with one row more than the page: *more tells whether
 * that extra row was there (and drops it). */
static void page_cut(json_t *a, int limit, int *more)
{
    *more = json_array_size(a) > (size_t)limit;
    if (*more)
        json_array_remove(a, (size_t)limit);
}

static int64_t last_id(json_t *a)
{
    return json_integer_value(json_object_get(json_array_get(a, json_array_size(a) - 1), "id"));
}

hail_err users_page_json(db *d, int64_t after_id, int limit, json_t **out, int64_t *next)
{
    *next = 0;
    /* The primary key orders and bounds the scan: a page costs O(limit). */
    db_st *st = db_stmt(d, "SELECT " USER_COLS ", created_at, time_zone FROM users WHERE id > $1"
                           " ORDER BY id LIMIT $2");
    if (!st)
        return (*out = NULL), HAIL_EDB;
    db_bind_i64(st, 1, after_id);
    db_bind_i64(st, 2, limit + 1);
    hail_err e = db_all_json(d, st, user_row_json, out, "users: page");
    int more;
    if (!e) {
        page_cut(*out, limit, &more);
        if (more)
            *next = last_id(*out);
    }
    return e;
}

hail_err users_count_admins(db *d, int64_t *n)
{
    db_st *st = db_stmt(d, "SELECT count(*) FROM users WHERE role = 'admin' AND active = 1");
    if (!st)
        return HAIL_EDB;
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW)
        *n = db_col_i64(st, 0);
    else
        e = db_fail(d, "users: count admins");
    db_reset(st);
    return e;
}

/* ---- teams ---- */

hail_err teams_create(db *d, const char *name, int64_t *id_out)
{
    db_st *st = db_stmt(d, "INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id");
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, name, -1);
    db_bind_i64(st, 2, time_now_us());
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW) {
        if (id_out)
            *id_out = db_col_i64(st, 0);
    } else {
        e = db_fail(d, "teams: create");
        if (e == HAIL_EEXIST)
            e = hail_errf(HAIL_EEXIST, "a team named %s already exists", name);
    }
    db_reset(st);
    return e;
}

hail_err teams_get_by_name(db *d, const char *name, int64_t *id_out)
{
    db_st *st =
        db_stmt(d, DB_SQL(d, "SELECT id FROM teams WHERE name = $1",
                          "SELECT id FROM teams WHERE lower(name) = lower($1 COLLATE \"C\")"));
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, name, -1);
    hail_err e = HAIL_OK;
    int rc = db_step(st);
    if (rc == DB_ROW)
        *id_out = db_col_i64(st, 0);
    else if (rc == DB_DONE)
        e = hail_errf(HAIL_ENOTFOUND, "no team named %s", name);
    else
        e = db_fail(d, "teams: get");
    db_reset(st);
    return e;
}

static hail_err changed_one(db *d, db_st *st, const char *what, int64_t id)
{
    hail_err e = db_step_done(d, st, what);
    if (!e && db_changes(d) == 0)
        e = hail_errf(HAIL_ENOTFOUND, "no team with id %lld", (long long)id);
    return e;
}

hail_err teams_rename(db *d, int64_t id, const char *name)
{
    db_st *st = db_stmt(d, "UPDATE teams SET name = $1 WHERE id = $2");
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, name, -1);
    db_bind_i64(st, 2, id);
    hail_err e = changed_one(d, st, "teams: rename", id);
    if (e == HAIL_EEXIST)
        e = hail_errf(HAIL_EEXIST, "a team named %s already exists", name);
    return e;
}

hail_err teams_delete(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "DELETE FROM teams WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    return changed_one(d, st, "teams: delete", id);
}

static json_t *team_row_json(db *d, db_st *st)
{
    int64_t id = db_col_i64(st, 0);
    char created[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, 2), created);
    json_t *members = json_array();
    db_st *ms = db_stmt(d, DB_SQL(d,
                                  "SELECT u.id, u.email, u.name FROM users u JOIN team_members m"
                                  " ON m.user_id = u.id WHERE m.team_id = $1 ORDER BY u.email",
                                  "SELECT u.id, u.email, u.name FROM users u JOIN team_members m"
                                  " ON m.user_id = u.id WHERE m.team_id = $1"
                                  " ORDER BY lower(u.email)"));
    if (ms) {
        db_bind_i64(ms, 1, id);
        while (db_step(ms) == DB_ROW)
            json_array_append_new(
                members, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)db_col_i64(ms, 0), "email",
                                   db_col_text(ms, 1), "name", db_col_text(ms, 2)));
        db_reset(ms);
    }
    return json_pack("{s:I,s:s,s:o,s:s}", "id", (json_int_t)id, "name", db_col_text(st, 1),
                     "members", members, "created_at", created);
}

hail_err teams_json(db *d, int64_t id, json_t **out)
{
    db_st *st = db_stmt(d, "SELECT id, name, created_at FROM teams WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    hail_err e = db_one_json(d, st, team_row_json, out, "teams: get");
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(HAIL_ENOTFOUND, "no team with id %lld", (long long)id);
    return e;
}

hail_err teams_list_json(db *d, json_t **out)
{
    db_st *st = db_stmt(d, DB_SQL(d, "SELECT id, name, created_at FROM teams ORDER BY name",
                                  "SELECT id, name, created_at FROM teams ORDER BY lower(name)"));
    if (!st)
        return (*out = NULL), HAIL_EDB;
    return db_all_json(d, st, team_row_json, out, "teams: list");
}

hail_err teams_page_json(db *d, const char *after_name, int limit, json_t **out, char **next)
{
    *next = NULL;
    /* name is UNIQUE COLLATE NOCASE (PostgreSQL: the unique index on
     * lower(name)): its index orders and bounds the scan. */
    db_st *st = db_stmt(d, DB_SQL(d,
                                  "SELECT id, name, created_at FROM teams WHERE name > $1"
                                  " ORDER BY name LIMIT $2",
                                  "SELECT id, name, created_at FROM teams"
                                  " WHERE lower(name) > lower($1 COLLATE \"C\")"
                                  " ORDER BY lower(name) LIMIT $2"));
    if (!st)
        return (*out = NULL), HAIL_EDB;
    db_bind_text_ref(st, 1, after_name ? after_name : "", -1);
    db_bind_i64(st, 2, limit + 1);
    hail_err e = db_all_json(d, st, team_row_json, out, "teams: page");
    int more;
    if (!e) {
        page_cut(*out, limit, &more);
        const char *last =
            json_string_value(json_object_get(json_array_get(*out, limit - 1), "name"));
        if (more && !(*next = strdup(last ? last : ""))) {
            json_decref(*out);
            *out = NULL;
            e = HAIL_ENOMEM;
        }
    }
    return e;
}

hail_err teams_add_member(db *d, int64_t team, int64_t user_id)
{
    /* A missing team or user adds nothing rather than failing on the foreign
     * key: on PostgreSQL a failed statement aborts the caller's transaction,
     * and the checks below need it. */
    db_st *st = db_stmt(d, "INSERT INTO team_members (team_id, user_id)"
                           " SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT)"
                           " WHERE EXISTS (SELECT 1 FROM teams WHERE id = $1)"
                           " AND EXISTS (SELECT 1 FROM users WHERE id = $2)"
                           " ON CONFLICT DO NOTHING");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, team);
    db_bind_i64(st, 2, user_id);
    hail_err e = db_step_done(d, st, "teams: add member");
    if (!e && db_changes(d) == 0) {
        /* Already a member, or one of the two is missing. */
        json_t *t = NULL;
        e = teams_json(d, team, &t);
        json_decref(t);
        user u;
        if (!e)
            e = users_get(d, user_id, &u); /* "no user with id N" when missing */
    } else if (e == HAIL_EDB && (db_last_error(d) == DB_ERR_FOREIGN_KEY)) {
        /* Deleted meanwhile: name the id that is missing. */
        /* Name the id that is missing. */
        json_t *t = NULL;
        e = teams_json(d, team, &t);
        json_decref(t);
        if (!e)
            e = hail_errf(HAIL_ENOTFOUND, "no user with id %lld", (long long)user_id);
    }
    return e;
}

hail_err teams_remove_member(db *d, int64_t team, int64_t user_id)
{
    db_st *st = db_stmt(d, "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, team);
    db_bind_i64(st, 2, user_id);
    hail_err e = db_step_done(d, st, "teams: remove member");
    if (!e && db_changes(d) == 0) {
        /* An unknown team is named as such, as when adding. */
        json_t *t = NULL;
        e = teams_json(d, team, &t);
        json_decref(t);
        if (!e)
            e = hail_errf(HAIL_ENOTFOUND, "user %lld is not in team %lld", (long long)user_id,
                          (long long)team);
    }
    return e;
}

hail_err teams_set_for_user(db *d, int64_t user_id, const int64_t *teams, size_t n)
{
    db_st *st = db_stmt(d, "DELETE FROM team_members WHERE user_id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, user_id);
    hail_err e = db_step_done(d, st, "teams: clear");
    for (size_t i = 0; !e && i < n; i++)
        e = teams_add_member(d, teams[i], user_id);
    return e;
}

/* ---- tokens ---- */

hail_err tokens_insert(db *d, int64_t user_id, const unsigned char hash[TOKEN_HASH_LEN],
                       const char *prefix, const char *name, int64_t *id_out)
{
    db_st *st = db_stmt(d, "INSERT INTO api_tokens (user_id, token_hash, prefix, name,"
                           " created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, user_id);
    db_bind_blob(st, 2, hash, TOKEN_HASH_LEN);
    db_bind_text_ref(st, 3, prefix, -1);
    db_bind_text(st, 4, name, -1);
    db_bind_i64(st, 5, time_now_us());
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW) {
        if (id_out)
            *id_out = db_col_i64(st, 0);
    } else {
        e = db_fail(d, "tokens: insert");
    }
    db_reset(st);
    return e;
}

hail_err tokens_lookup(db *d, const unsigned char hash[TOKEN_HASH_LEN], user *out,
                       int64_t *token_id, int64_t *last_used)
{
    db_st *st = db_stmt(d, "SELECT u.id, u.email, u.name, u.role, u.active,"
                           " u.password_hash IS NOT NULL, t.id, t.last_used_at"
                           " FROM api_tokens t JOIN users u ON u.id = t.user_id"
                           " WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
                           " AND u.active = 1");
    if (!st)
        return HAIL_EDB;
    db_bind_blob(st, 1, hash, TOKEN_HASH_LEN);
    hail_err e = HAIL_OK;
    int rc = db_step(st);
    if (rc == DB_ROW) {
        user_from_row(st, out);
        *token_id = db_col_i64(st, 6);
        *last_used = db_col_i64(st, 7); /* NULL reads as 0 */
    } else if (rc == DB_DONE)
        e = hail_errf(HAIL_EAUTH, "invalid or revoked API token");
    else
        e = db_fail(d, "tokens: lookup");
    db_reset(st);
    return e;
}

hail_err tokens_touch(db *d, int64_t token_id, int64_t now, int64_t not_before)
{
    /* A hint is not worth waiting for: while another connection holds the
     * write lock (a bulk import), give up at once (db_begin_try's
     * HAIL_EUNAVAIL) instead of queueing the request behind it; a later
     * request writes it. Inside a caller's transaction it is one more write. */
    int own = !db_in_tx(d);
    hail_err e = own ? db_begin_try(d) : HAIL_OK;
    if (e)
        return e;
    db_st *st = db_stmt(d, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2"
                           " AND (last_used_at IS NULL OR last_used_at <= $3)");
    if (!st)
        e = HAIL_EDB;
    if (!e) {
        db_bind_i64(st, 1, now);
        db_bind_i64(st, 2, token_id);
        db_bind_i64(st, 3, not_before);
        e = db_step_done(d, st, "tokens: touch");
    }
    if (own) {
        if (!e)
            e = db_commit(d);
        if (e)
            db_rollback(d);
    }
    return e;
}

hail_err tokens_revoke(db *d, int64_t id, int64_t user_id)
{
    db_st *st = db_stmt(d, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2"
                           " AND (CAST($3 AS BIGINT) = 0 OR user_id = $3) AND revoked_at IS NULL");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, time_now_us());
    db_bind_i64(st, 2, id);
    db_bind_i64(st, 3, user_id);
    hail_err e = db_step_done(d, st, "tokens: revoke");
    if (!e && db_changes(d) == 0)
        e = hail_errf(HAIL_ENOTFOUND, "no active token with id %lld", (long long)id);
    return e;
}

hail_err tokens_revoke_hash(db *d, const unsigned char hash[TOKEN_HASH_LEN])
{
    db_st *st = db_stmt(d, "UPDATE api_tokens SET revoked_at = $1 WHERE token_hash = $2"
                           " AND revoked_at IS NULL");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, time_now_us());
    db_bind_blob(st, 2, hash, TOKEN_HASH_LEN);
    hail_err e = db_step_done(d, st, "tokens: revoke");
    if (!e && db_changes(d) == 0)
        e = hail_errf(HAIL_ENOTFOUND, "no such active token");
    return e;
}

hail_err tokens_revoke_user(db *d, int64_t user_id, int64_t *count)
{
    db_st *st = db_stmt(d, "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2"
                           " AND revoked_at IS NULL");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, time_now_us());
    db_bind_i64(st, 2, user_id);
    hail_err e = db_step_done(d, st, "tokens: revoke");
    if (!e && count)
        *count = db_changes(d);
    return e;
}

static json_t *token_row_json(db *d, db_st *st)
{
    (void)d;
    char created[TIME_ISO_LEN], revoked[TIME_ISO_LEN], used[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, 4), created);
    int is_used = !db_col_null(st, 5);
    if (is_used)
        time_format_iso(db_col_i64(st, 5), used);
    int is_revoked = !db_col_null(st, 6);
    if (is_revoked)
        time_format_iso(db_col_i64(st, 6), revoked);
    return json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s?,s:s?}", "id", (json_int_t)db_col_i64(st, 0),
                     "email", db_col_text(st, 1), "prefix", db_col_text(st, 2), "name",
                     db_col_text(st, 3), "created_at", created, "last_used_at",
                     is_used ? used : NULL, "revoked_at", is_revoked ? revoked : NULL);
}

#define TOKEN_COLS                                                                                 \
    "SELECT t.id, u.email, t.prefix, t.name, t.created_at, t.last_used_at, t.revoked_at"           \
    " FROM api_tokens t JOIN users u ON u.id = t.user_id"

hail_err tokens_page_json(db *d, int64_t user_id, int include_revoked, int64_t after_id, int limit,
                          json_t **out, int64_t *next)
{
    *next = 0;
    /* One owner: the (user_id, id) index orders and bounds the scan; all
     * owners: the primary key does. */
    db_st *st;
    int i = 1;
    if (user_id) {
        st = db_stmt(d, TOKEN_COLS " WHERE t.user_id = $1 AND t.id > $2"
                                   " AND ($3 OR t.revoked_at IS NULL) ORDER BY t.id LIMIT $4");
        if (st)
            db_bind_i64(st, i++, user_id);
    } else {
        st = db_stmt(d, TOKEN_COLS " WHERE t.id > $1 AND ($2 OR t.revoked_at IS NULL)"
                                   " ORDER BY t.id LIMIT $3");
    }
    if (!st)
        return (*out = NULL), HAIL_EDB;
    db_bind_i64(st, i++, after_id);
    db_bind_i64(st, i++, include_revoked != 0);
    db_bind_i64(st, i, limit + 1);
    hail_err e = db_all_json(d, st, token_row_json, out, "tokens: page");
    int more;
    if (!e) {
        page_cut(*out, limit, &more);
        if (more)
            *next = last_id(*out);
    }
    return e;
}

hail_err tokens_list_json(db *d, int64_t user_id, json_t **out)
{
    db_st *st = db_stmt(d, "SELECT t.id, u.email, t.prefix, t.name, t.created_at,"
                           " t.last_used_at, t.revoked_at FROM api_tokens t"
                           " JOIN users u ON u.id = t.user_id"
                           " WHERE CAST($1 AS BIGINT) = 0 OR t.user_id = $1 ORDER BY t.id");
    if (!st)
        return (*out = NULL), HAIL_EDB;
    db_bind_i64(st, 1, user_id);
    return db_all_json(d, st, token_row_json, out, "tokens: list");
}

/* ---- sessions ---- */

hail_err sessions_insert(db *d, int64_t user_id, const unsigned char hash[TOKEN_HASH_LEN],
                         const char *csrf, int64_t expires_at)
{
    db_st *st = db_stmt(d, "INSERT INTO sessions (user_id, token_hash, csrf_token,"
                           " created_at, expires_at) VALUES ($1, $2, $3, $4, $5)");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, user_id);
    db_bind_blob(st, 2, hash, TOKEN_HASH_LEN);
    db_bind_text_ref(st, 3, csrf, -1);
    db_bind_i64(st, 4, time_real_us());
    db_bind_i64(st, 5, expires_at);
    return db_step_done(d, st, "sessions: insert");
}

hail_err sessions_lookup(db *d, const unsigned char hash[TOKEN_HASH_LEN], user *out, char csrf[64],
                         int64_t *expires_at)
{
    db_st *st = db_stmt(d, "SELECT u.id, u.email, u.name, u.role, u.active,"
                           " u.password_hash IS NOT NULL, s.csrf_token, s.expires_at"
                           " FROM sessions s JOIN users u ON u.id = s.user_id"
                           " WHERE s.token_hash = $1 AND s.expires_at > $2"
                           " AND u.active = 1");
    if (!st)
        return HAIL_EDB;
    db_bind_blob(st, 1, hash, TOKEN_HASH_LEN);
    db_bind_i64(st, 2, time_real_us());
    hail_err e = HAIL_OK;
    int rc = db_step(st);
    if (rc == DB_ROW) {
        user_from_row(st, out);
        copy_col(csrf, 64, st, 6);
        *expires_at = db_col_i64(st, 7);
    } else if (rc == DB_DONE) {
        e = hail_errf(HAIL_EAUTH, "session expired or signed out");
    } else {
        e = db_fail(d, "sessions: lookup");
    }
    db_reset(st);
    return e;
}

hail_err sessions_delete(db *d, const unsigned char hash[TOKEN_HASH_LEN])
{
    db_st *st = db_stmt(d, "DELETE FROM sessions WHERE token_hash = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_blob(st, 1, hash, TOKEN_HASH_LEN);
    return db_step_done(d, st, "sessions: delete");
}

hail_err sessions_delete_user(db *d, int64_t user_id)
{
    return sessions_delete_user_except(d, user_id, NULL);
}

hail_err sessions_delete_user_except(db *d, int64_t user_id,
                                     const unsigned char keep[TOKEN_HASH_LEN])
{
    db_st *st = db_stmt(d, "DELETE FROM sessions WHERE user_id = $1"
                           " AND (token_hash <> $2 OR $2 IS NULL)");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, user_id);
    if (keep)
        db_bind_blob(st, 2, keep, TOKEN_HASH_LEN);
    else
        db_bind_null(st, 2);
    return db_step_done(d, st, "sessions: delete");
}

hail_err sessions_delete_expired(db *d, int64_t now, int max)
{
    /* sessions_expires (schema version 2) makes this O(max), whatever the table holds. */
    db_st *st = db_stmt(d, "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
                           " WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, now);
    db_bind_i64(st, 2, max);
    return db_step_done(d, st, "sessions: delete expired");
}

/* ---- failed logins ---- */

hail_err login_failure_record(db *d, const char *key, int64_t at, int64_t *id_out)
{
    /* SQLite's rowid is PostgreSQL's id column (schema_pg.c). */
    db_st *st =
        db_stmt(d, DB_SQL(d, "INSERT INTO login_failures (key, at) VALUES ($1, $2) RETURNING rowid",
                          "INSERT INTO login_failures (key, at) VALUES ($1, $2) RETURNING id"));
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, key, -1);
    db_bind_i64(st, 2, at);
    int rc = db_step(st);
    hail_err e = rc == DB_ROW ? HAIL_OK : db_fail(d, "login failures: record");
    if (!e && id_out)
        *id_out = db_col_i64(st, 0);
    db_reset(st);
    /* Keep the table small: forget failures older than a day (login_failures_at). */
    db_st *gc = db_stmt(d, "DELETE FROM login_failures WHERE at < $1");
    if (!e && gc) {
        db_bind_i64(gc, 1, at - 86400 * US_PER_SEC);
        e = db_step_done(d, gc, "login failures: gc");
    }
    return e;
}

hail_err login_failure_count(db *d, const char *key, int64_t since, int64_t *n, int64_t *oldest)
{
    /* In a transaction, the count stays true until it ends: SQLite's writers
     * are serialized already; PostgreSQL's take the key's lock, so that a
     * count-then-record on another node waits (auth: the sign-in limits). */
    if (db_in_tx(d) && db_engine_of(d) == DB_POSTGRES) {
        size_t len = strlen(key) + sizeof "login_failures:";
        char *name = malloc(len);
        if (!name)
            return HAIL_ENOMEM;
        snprintf(name, len, "login_failures:%s", key);
        hail_err e = db_lock(d, name);
        free(name);
        if (e)
            return e;
    }
    db_st *st = db_stmt(d, "SELECT count(*), min(at) FROM login_failures"
                           " WHERE key = $1 AND at >= $2");
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, key, -1);
    db_bind_i64(st, 2, since);
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW) {
        *n = db_col_i64(st, 0);
        *oldest = db_col_i64(st, 1);
    } else {
        e = db_fail(d, "login failures: count");
    }
    db_reset(st);
    return e;
}

hail_err login_failure_delete(db *d, int64_t id)
{
    db_st *st = db_stmt(d, DB_SQL(d, "DELETE FROM login_failures WHERE rowid = $1",
                                  "DELETE FROM login_failures WHERE id = $1"));
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    return db_step_done(d, st, "login failures: delete");
}

hail_err login_failure_clear(db *d, const char *key)
{
    db_st *st = db_stmt(d, "DELETE FROM login_failures WHERE key = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, key, -1);
    return db_step_done(d, st, "login failures: clear");
}
