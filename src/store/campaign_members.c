#include "core/common.h"

/* Campaign members (store/campaigns.h, the members part); the campaigns
 * themselves are in store/campaigns.c. */
#include "store/campaigns.h"

#include "core/timeutil.h"
#include "store/campaigns_sql.h"
#include "store/dbread.h"

/* Whether the campaign c is visible: $2 (1 for an admin), $3 (the user's
 * id), $4 (1 for a manager). */
#define VIS_234                                                                                    \
    "(CAST($2 AS BIGINT) = 1 OR c.owner_id = $3 OR c.sharing = 'everyone' OR"                      \
    " ((c.sharing = 'teams' OR CAST($4 AS BIGINT) = 1) AND c.owner_id IN"                          \
    " (SELECT m2.user_id FROM team_members m1 JOIN team_members m2 ON m2.team_id = m1.team_id"     \
    " WHERE m1.user_id = $3)))"

/* ---- members ---- */

hail_err camp_db_candidate(db *d, int64_t person_id, camp_candidate *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT p.active, p.deleted, coalesce(p.email, ''),"
                           " trim(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '')),"
                           " CASE WHEN u.person_id IS NULL THEN 0 ELSE 1 END"
                           " FROM people p LEFT JOIN people_unsubscribed u ON u.person_id = p.id"
                           " WHERE p.id = $1");
    if (!st)
        return db_fail(d, "campaigns: person");
    db_bind_i64(st, 1, person_id);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        out->exists = 1;
        out->active = db_col_int(st, 0) && !db_col_int(st, 1);
        out->email = strdup(db_col_text(st, 2));
        out->name = strdup(db_col_text(st, 3));
        out->unsubscribed = db_col_int(st, 4);
        if (!out->email || !out->name)
            e = hail_errf(HAIL_ENOMEM, "out of memory");
    } else if (rc == DB_ERROR) {
        e = db_fail(d, "campaigns: person");
    }
    db_reset(st);
    return e;
}

void camp_candidate_free(camp_candidate *c)
{
    free(c->email);
    free(c->name);
    c->email = c->name = NULL;
}

hail_err camp_db_member_insert(db *d, int64_t campaign_id, int64_t person_id, int64_t added_by,
                               int64_t start_at, const char *launch_time, const char *pause_reason,
                               int64_t now, int64_t *id_out)
{
    *id_out = 0;
    db_st *st = db_stmt(d, "INSERT INTO campaign_members (campaign_id, person_id, added_by, status,"
                           " step_position, launch_time, start_at, paused_at, pause_reason,"
                           " created_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9,"
                           " $9) ON CONFLICT (campaign_id, person_id)"
                           " WHERE status IN ('scheduled', 'active', 'paused') DO NOTHING"
                           " RETURNING id");
    if (!st)
        return db_fail(d, "campaigns: add a member");
    db_bind_i64(st, 1, campaign_id);
    db_bind_i64(st, 2, person_id);
    db_bind_i64(st, 3, added_by);
    db_bind_text_ref(st, 4, pause_reason ? "paused" : "active", -1);
    db_bind_text_ref(st, 5, launch_time, -1);
    db_bind_i64(st, 6, start_at);
    if (pause_reason)
        db_bind_i64(st, 7, now);
    else
        db_bind_null(st, 7);
    db_bind_text_ref(st, 8, pause_reason, -1);
    db_bind_i64(st, 9, now);
    int rc = db_step(st);
    if (rc == DB_ROW)
        *id_out = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "campaigns: add a member") : HAIL_OK;
}

hail_err camp_db_member_get(db *d, int64_t member_id, camp_member *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT id, campaign_id, person_id, added_by, paused_at, status,"
                           " pause_reason FROM campaign_members WHERE id = $1");
    if (!st)
        return db_fail(d, "campaigns: member");
    db_bind_i64(st, 1, member_id);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        out->id = db_col_i64(st, 0);
        out->campaign_id = db_col_i64(st, 1);
        out->person_id = db_col_i64(st, 2);
        out->added_by = db_col_i64(st, 3);
        out->paused_at = db_col_i64(st, 4);
        snprintf(out->status, sizeof out->status, "%s", db_col_text(st, 5));
        snprintf(out->pause_reason, sizeof out->pause_reason, "%s",
                 db_col_null(st, 6) ? "" : db_col_text(st, 6));
    }
    db_reset(st);
    return rc == DB_ROW    ? HAIL_OK
           : rc == DB_DONE ? HAIL_ENOTFOUND
                           : db_fail(d, "campaigns: member");
}

/* Steps a one-row UPDATE: 1 changed, 0 not, -1 failed (hail_errmsg set). */
static int changed(db *d, db_st *st, const char *what)
{
    if (!st) {
        db_fail(d, what);
        return -1;
    }
    if (db_step_done(d, st, what))
        return -1;
    return db_changes(d) > 0;
}

int camp_db_member_pause(db *d, int64_t member_id, const char *reason, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE campaign_members SET status = 'paused', paused_at = $1,"
                           " pause_reason = $2, next_due_at = NULL, updated_at = $1"
                           " WHERE id = $3 AND status IN ('scheduled', 'active')");
    if (st) {
        db_bind_i64(st, 1, now);
        db_bind_text_ref(st, 2, reason, -1);
        db_bind_i64(st, 3, member_id);
    }
    return changed(d, st, "campaigns: pause a member");
}

int camp_db_member_activate(db *d, int64_t member_id)
{
    db_st *st = db_stmt(d, "UPDATE campaign_members SET status = 'active', pause_reason = NULL,"
                           " paused_until = NULL, updated_at = $1"
                           " WHERE id = $2 AND status = 'paused'");
    if (st) {
        db_bind_i64(st, 1, time_now_us());
        db_bind_i64(st, 2, member_id);
    }
    return changed(d, st, "campaigns: resume a member");
}

hail_err camp_db_member_resumed(db *d, int64_t member_id)
{
    db_st *st = db_stmt(d, "UPDATE campaign_members SET paused_at = NULL WHERE id = $1");
    if (!st)
        return db_fail(d, "campaigns: resume a member");
    db_bind_i64(st, 1, member_id);
    return db_step_done(d, st, "campaigns: resume a member");
}

hail_err camp_db_member_set_reason(db *d, int64_t member_id, const char *reason)
{
    db_st *st = db_stmt(d, "UPDATE campaign_members SET pause_reason = $1 WHERE id = $2"
                           " AND status = 'paused'");
    if (!st)
        return db_fail(d, "campaigns: pause a member");
    db_bind_text_ref(st, 1, reason, -1);
    db_bind_i64(st, 2, member_id);
    return db_step_done(d, st, "campaigns: pause a member");
}

int camp_db_member_end(db *d, int64_t member_id, const char *status, const char *end_reason,
                       int64_t by, int64_t now)
{
    db_st *st = db_stmt(d, "UPDATE campaign_members SET status = $1, end_reason = $2,"
                           " ended_at = $3, next_due_at = NULL, updated_at = $3"
                           " WHERE id = $4 AND status IN ('scheduled', 'active', 'paused')");
    if (st) {
        db_bind_text_ref(st, 1, status, -1);
        db_bind_text_ref(st, 2, end_reason, -1);
        db_bind_i64(st, 3, now);
        db_bind_i64(st, 4, member_id);
    }
    int c = changed(d, st, "campaigns: end a member");
    if (c != 1)
        return c;
    st = db_stmt(d, "UPDATE tasks SET status = 'skipped', completed_at = $1, completed_by = $2,"
                    " updated_at = $1 WHERE member_id = $3 AND status = 'open'");
    if (st) {
        db_bind_i64(st, 1, now);
        if (by > 0)
            db_bind_i64(st, 2, by);
        else
            db_bind_null(st, 2);
        db_bind_i64(st, 3, member_id);
    }
    return changed(d, st, "campaigns: skip a member's tasks") < 0 ? -1 : 1;
}

static const char sql_ids_active[] = "SELECT id FROM campaign_members WHERE campaign_id = $1"
                                     " AND status IN ('scheduled', 'active') ORDER BY id";
static const char sql_ids_paused_reason[] =
    "SELECT id FROM campaign_members WHERE campaign_id = $1 AND status = 'paused'"
    " AND pause_reason = $2 ORDER BY id";
static const char sql_ids_in[] = "SELECT id FROM campaign_members WHERE campaign_id = $1"
                                 " AND status IN ('scheduled', 'active', 'paused') ORDER BY id";
static const char sql_ids_owner_active[] =
    "SELECT m.id FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id"
    " WHERE c.owner_id = $1 AND m.status IN ('scheduled', 'active') ORDER BY m.id";
static const char sql_ids_owner_reason[] =
    "SELECT m.id FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id"
    " WHERE c.owner_id = $1 AND m.status = 'paused' AND m.pause_reason = $2 ORDER BY m.id";

hail_err camp_db_member_ids(db *d, camp_select sel, int64_t key, const char *reason, int64_t **ids,
                            size_t *n)
{
    *ids = NULL;
    *n = 0;
    db_st *st = NULL;
    switch (sel) {
    case CAMP_SEL_ACTIVE:
        st = db_stmt(d, sql_ids_active);
        break;
    case CAMP_SEL_PAUSED_REASON:
        st = db_stmt(d, sql_ids_paused_reason);
        break;
    case CAMP_SEL_IN:
        st = db_stmt(d, sql_ids_in);
        break;
    case CAMP_SEL_OWNER_ACTIVE:
        st = db_stmt(d, sql_ids_owner_active);
        break;
    case CAMP_SEL_OWNER_REASON:
        st = db_stmt(d, sql_ids_owner_reason);
        break;
    }
    if (!st)
        return db_fail(d, "campaigns: members");
    db_bind_i64(st, 1, key);
    if (sel == CAMP_SEL_PAUSED_REASON || sel == CAMP_SEL_OWNER_REASON)
        db_bind_text_ref(st, 2, reason, -1);
    size_t cap = 0, count = 0;
    int64_t *a = NULL;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 64;
            int64_t *na = realloc(a, nc * sizeof *na);
            if (!na) {
                db_reset(st);
                free(a);
                return hail_errf(HAIL_ENOMEM, "out of memory");
            }
            a = na;
            cap = nc;
        }
        a[count++] = db_col_i64(st, 0);
    }
    db_reset(st);
    if (rc == DB_ERROR) {
        free(a);
        return db_fail(d, "campaigns: members");
    }
    *ids = a;
    *n = count;
    return HAIL_OK;
}

#define MEMBER_SELECT                                                                              \
    "SELECT m.id, m.campaign_id, m.person_id,"                                                     \
    " trim(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '')), p.email, p.company,"   \
    " m.status, m.step_position, m.next_due_at, m.waiting_task_id, m.paused_until,"                \
    " m.pause_reason, m.success, m.end_reason, m.added_by, ua.name, m.created_at, m.ended_at,"     \
    " s.day, s.type, CASE WHEN s.position IS NULL THEN 0 ELSE 1 END, c.name"                       \
    " FROM campaign_members m JOIN people p ON p.id = m.person_id"                                 \
    " JOIN campaigns c ON c.id = m.campaign_id"                                                    \
    " LEFT JOIN users ua ON ua.id = m.added_by"                                                    \
    " LEFT JOIN campaign_steps s ON s.campaign_id = m.campaign_id"                                 \
    " AND s.position = m.step_position"

static json_t *member_row(db_st *st, int with_campaign)
{
    const char *status = db_col_text(st, 6);
    int running =
        !strcmp(status, "scheduled") || !strcmp(status, "active") || !strcmp(status, "paused");
    json_t *next = running && db_col_int(st, 20)
                       ? json_pack("{sI sI ss}", "position", (json_int_t)db_col_i64(st, 7), "day",
                                   (json_int_t)db_col_i64(st, 18), "type", db_col_text(st, 19))
                       : json_null();
    json_t *added = db_col_null(st, 14) ? json_null()
                                        : json_pack("{sI so}", "id", (json_int_t)db_col_i64(st, 14),
                                                    "name", db_json_text(st, 15));
    json_t *o = json_pack(
        "{sI sI s{sI ss so so} ss sI so so so so so sb so so so so}", "id",
        (json_int_t)db_col_i64(st, 0), "campaign_id", (json_int_t)db_col_i64(st, 1), "person", "id",
        (json_int_t)db_col_i64(st, 2), "name", db_col_text(st, 3), "email", db_json_text(st, 4),
        "company", db_json_text(st, 5), "status", status, "step_position",
        (json_int_t)db_col_i64(st, 7), "next_step", next, "next_due_at", db_json_time(st, 8),
        "waiting_task_id", db_json_int(st, 9), "paused_until", db_json_time(st, 10), "pause_reason",
        db_json_text(st, 11), "success", db_col_int(st, 12), "end_reason", db_json_text(st, 13),
        "added_by", added, "created_at", db_json_time(st, 16), "ended_at", db_json_time(st, 17));
    if (o && with_campaign)
        json_object_set_new(
            o, "campaign",
            json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, 1), "name", db_col_text(st, 21)));
    return o;
}

/* Runs st (bound) and appends each row as a Member to a new array; with
 * limit > 0 at most limit rows and *more when another followed. */
static hail_err members_run(db *d, db_st *st, int with_campaign, int limit, json_t **out,
                            int64_t *last, int *more)
{
    *out = NULL;
    json_t *a = json_array();
    int rc, n = 0;
    if (more)
        *more = 0;
    while (a && (rc = db_step(st)) == DB_ROW) {
        if (limit > 0 && n == limit) {
            if (more)
                *more = 1;
            break;
        }
        json_array_append_new(a, member_row(st, with_campaign));
        if (last)
            *last = db_col_i64(st, 0);
        n++;
    }
    db_reset(st);
    if (!a)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    if (rc == DB_ERROR) {
        json_decref(a);
        return db_fail(d, "campaigns: members");
    }
    *out = a;
    return HAIL_OK;
}

hail_err camp_db_member_json(db *d, int64_t member_id, json_t **out)
{
    *out = NULL;
    db_st *st = db_stmt(d, MEMBER_SELECT " WHERE m.id = $1");
    if (!st)
        return db_fail(d, "campaigns: member");
    db_bind_i64(st, 1, member_id);
    json_t *a = NULL;
    hail_err e = members_run(d, st, 0, 0, &a, NULL, NULL);
    if (e)
        return e;
    if (!json_array_size(a)) {
        json_decref(a);
        return HAIL_ENOTFOUND;
    }
    *out = json_incref(json_array_get(a, 0));
    json_decref(a);
    return HAIL_OK;
}

hail_err camp_db_members_page(db *d, int64_t campaign_id, const char *status, int64_t after_id,
                              int limit, json_t **out, int64_t *next)
{
    *next = 0;
    db_st *st = db_stmt(d, DB_SQL(d,
                                  MEMBER_SELECT " WHERE m.campaign_id = $1 AND ($2 IS NULL OR"
                                                " m.status = $2) AND m.id > $3 ORDER BY m.id"
                                                " LIMIT $4",
                                  MEMBER_SELECT " WHERE m.campaign_id = $1 AND (CAST($2 AS TEXT)"
                                                " IS NULL OR m.status = $2) AND m.id > $3"
                                                " ORDER BY m.id LIMIT $4"));
    if (!st)
        return db_fail(d, "campaigns: members");
    db_bind_i64(st, 1, campaign_id);
    db_bind_text_ref(st, 2, status, -1);
    db_bind_i64(st, 3, after_id);
    db_bind_i64(st, 4, limit + 1);
    int64_t last = 0;
    int more = 0;
    hail_err e = members_run(d, st, 0, limit, out, &last, &more);
    if (!e && more)
        *next = last;
    return e;
}

hail_err camp_db_person_members(db *d, int64_t person_id, int64_t user_id, const char *role,
                                json_t **out)
{
    db_st *st =
        db_stmt(d, MEMBER_SELECT " WHERE m.person_id = $1 AND " VIS_234 " ORDER BY m.id DESC");
    if (!st)
        return db_fail(d, "campaigns: a person's campaigns");
    db_bind_i64(st, 1, person_id);
    bind_viewer(st, 2, 3, 4, user_id, role);
    return members_run(d, st, 1, 0, out, NULL, NULL);
}

int camp_db_person_exists(db *d, int64_t person_id)
{
    db_st *st = db_stmt(d, "SELECT 1 FROM people WHERE id = $1");
    if (!st)
        return 0;
    db_bind_i64(st, 1, person_id);
    int rc = db_step(st);
    db_reset(st);
    return rc == DB_ROW;
}

static const char sql_people_of_account[] =
    "SELECT id FROM people WHERE sfdc_account_id = $1 AND deleted = 0 ORDER BY id LIMIT $2";
static const char sql_people_of_opportunity[] =
    "SELECT id FROM people WHERE sfdc_opportunity_id = $1 AND deleted = 0 ORDER BY id LIMIT $2";

hail_err camp_db_people_of(db *d, const char *kind, const char *sfid, size_t max, int64_t **ids,
                           size_t *n)
{
    *ids = NULL;
    *n = 0;
    db_st *st = !strcmp(kind, "account") ? db_stmt(d, sql_people_of_account)
                                         : db_stmt(d, sql_people_of_opportunity);
    if (!st)
        return db_fail(d, "campaigns: people");
    db_bind_text_ref(st, 1, sfid, -1);
    db_bind_i64(st, 2, (int64_t)max + 1);
    int64_t *a = calloc(max + 1, sizeof *a);
    if (!a) {
        db_reset(st);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    size_t count = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW && count <= max)
        a[count++] = db_col_i64(st, 0);
    db_reset(st);
    if (rc == DB_ERROR) {
        free(a);
        return db_fail(d, "campaigns: people");
    }
    *ids = a;
    *n = count;
    return HAIL_OK;
}

hail_err camp_db_leave_get(db *d, int64_t user_id, int64_t *at)
{
    *at = 0;
    db_st *st = db_stmt(d, "SELECT campaigns_paused_at FROM users WHERE id = $1");
    if (!st)
        return db_fail(d, "users: read");
    db_bind_i64(st, 1, user_id);
    int rc = db_step(st);
    if (rc == DB_ROW)
        *at = db_col_i64(st, 0);
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "users: read") : HAIL_OK;
}

hail_err camp_db_leave_set(db *d, int64_t user_id, int64_t at)
{
    db_st *st = db_stmt(d, "UPDATE users SET campaigns_paused_at = $1 WHERE id = $2");
    if (!st)
        return db_fail(d, "users: leave");
    if (at)
        db_bind_i64(st, 1, at);
    else
        db_bind_null(st, 1);
    db_bind_i64(st, 2, user_id);
    return db_step_done(d, st, "users: leave");
}

hail_err camp_db_user_tz(db *d, int64_t user_id, char *out, size_t n)
{
    snprintf(out, n, "UTC");
    db_st *st = db_stmt(d, "SELECT time_zone FROM users WHERE id = $1");
    if (!st)
        return db_fail(d, "users: read");
    db_bind_i64(st, 1, user_id);
    int rc = db_step(st);
    if (rc == DB_ROW && !db_col_null(st, 0) && *db_col_text(st, 0))
        snprintf(out, n, "%s", db_col_text(st, 0));
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "users: read") : HAIL_OK;
}
