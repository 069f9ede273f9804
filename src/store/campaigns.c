#include "core/common.h"

#include "store/campaigns.h"

#include "core/timeutil.h"
#include "store/campaigns_sql.h"
#include "store/dbread.h"

/* Whether the campaign c is visible: $1 (1 for an admin), $2 (the user's
 * id), $3 (1 for a manager). */
#define VIS_123                                                                                    \
    "(CAST($1 AS BIGINT) = 1 OR c.owner_id = $2 OR c.sharing = 'everyone' OR"                      \
    " ((c.sharing = 'teams' OR CAST($3 AS BIGINT) = 1) AND c.owner_id IN"                          \
    " (SELECT m2.user_id FROM team_members m1 JOIN team_members m2 ON m2.team_id = m1.team_id"     \
    " WHERE m1.user_id = $2)))"

static const char *const statuses[] = {"scheduled", "active",  "paused",  "finished",
                                       "replied",   "bounced", "removed", "unsubscribed",
                                       "stopped",   NULL};

hail_err camp_db_load(db *d, int64_t id, int64_t user_id, const char *role, camp_row *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(
        d, "SELECT c.id, c.owner_id, c.sender_id, c.paused_at, c.name, c.category, c.sharing,"
           " c.status, c.time_zone, c.use_person_time_zone, c.skip_weekends, c.end_on_reply,"
           " c.reply_is_success, c.remove_on_bounce, c.ignore_out_of_office,"
           " CASE WHEN " VIS_123 " THEN 1 ELSE 0 END,"
           " CASE WHEN u.campaigns_paused_at IS NULL THEN 0 ELSE 1 END,"
           " (SELECT count(*) FROM campaign_steps s WHERE s.campaign_id = c.id),"
           " CASE WHEN EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = c.id)"
           " THEN 1 ELSE 0 END"
           " FROM campaigns c JOIN users u ON u.id = c.owner_id WHERE c.id = $4");
    if (!st)
        return db_fail(d, "campaigns: read");
    bind_viewer(st, 1, 2, 3, user_id, role);
    db_bind_i64(st, 4, id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "campaigns: read");
    }
    out->id = db_col_i64(st, 0);
    out->owner_id = db_col_i64(st, 1);
    out->sender_id = db_col_i64(st, 2);
    out->paused_at = db_col_i64(st, 3);
    snprintf(out->name, sizeof out->name, "%s", db_col_text(st, 4));
    snprintf(out->category, sizeof out->category, "%s", db_col_text(st, 5));
    snprintf(out->sharing, sizeof out->sharing, "%s", db_col_text(st, 6));
    snprintf(out->status, sizeof out->status, "%s", db_col_text(st, 7));
    snprintf(out->time_zone, sizeof out->time_zone, "%s", db_col_text(st, 8));
    out->use_person_time_zone = db_col_int(st, 9);
    out->skip_weekends = db_col_int(st, 10);
    out->end_on_reply = db_col_int(st, 11);
    out->reply_is_success = db_col_int(st, 12);
    out->remove_on_bounce = db_col_int(st, 13);
    out->ignore_out_of_office = db_col_int(st, 14);
    out->visible = db_col_int(st, 15);
    out->owner_on_leave = db_col_int(st, 16);
    out->steps = db_col_int(st, 17);
    out->members_ever = db_col_int(st, 18);
    db_reset(st);
    return HAIL_OK;
}

static void bind_write(db_st *st, int first, const camp_write *w)
{
    db_bind_text_ref(st, first, w->name, -1);
    db_bind_text_ref(st, first + 1, w->category ? w->category : "", -1);
    db_bind_text_ref(st, first + 2, w->sharing, -1);
    if (w->sender_id > 0)
        db_bind_i64(st, first + 3, w->sender_id);
    else
        db_bind_null(st, first + 3);
    db_bind_text_ref(st, first + 4, w->time_zone, -1);
    db_bind_i64(st, first + 5, w->use_person_time_zone != 0);
    db_bind_i64(st, first + 6, w->skip_weekends != 0);
    db_bind_i64(st, first + 7, w->end_on_reply != 0);
    db_bind_i64(st, first + 8, w->reply_is_success != 0);
    db_bind_i64(st, first + 9, w->remove_on_bounce != 0);
    db_bind_i64(st, first + 10, w->ignore_out_of_office != 0);
}

hail_err camp_db_insert(db *d, int64_t owner_id, const camp_write *w, int64_t *id_out)
{
    db_st *st = db_stmt(d, "INSERT INTO campaigns (owner_id, name, category, sharing, sender_id,"
                           " time_zone, use_person_time_zone, skip_weekends, end_on_reply,"
                           " reply_is_success, remove_on_bounce, ignore_out_of_office, created_at,"
                           " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
                           " $13, $13) RETURNING id");
    if (!st)
        return db_fail(d, "campaigns: insert");
    db_bind_i64(st, 1, owner_id);
    bind_write(st, 2, w);
    db_bind_i64(st, 13, time_now_us());
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW)
        *id_out = db_col_i64(st, 0);
    else
        e = db_fail(d, "campaigns: insert");
    db_reset(st);
    return e;
}

hail_err camp_db_update(db *d, int64_t id, const camp_write *w)
{
    db_st *st = db_stmt(d, "UPDATE campaigns SET name = $1, category = $2, sharing = $3,"
                           " sender_id = $4, time_zone = $5, use_person_time_zone = $6,"
                           " skip_weekends = $7, end_on_reply = $8, reply_is_success = $9,"
                           " remove_on_bounce = $10, ignore_out_of_office = $11, updated_at = $12"
                           " WHERE id = $13");
    if (!st)
        return db_fail(d, "campaigns: update");
    bind_write(st, 1, w);
    db_bind_i64(st, 12, time_now_us());
    db_bind_i64(st, 13, id);
    hail_err e = db_step_done(d, st, "campaigns: update");
    if (!e && db_changes(d) == 0)
        e = HAIL_ENOTFOUND;
    return e;
}

hail_err camp_db_delete(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "DELETE FROM campaign_steps WHERE campaign_id = $1");
    if (!st)
        return db_fail(d, "campaigns: delete");
    db_bind_i64(st, 1, id);
    hail_err e = db_step_done(d, st, "campaigns: delete");
    if (e)
        return e;
    st = db_stmt(d, "DELETE FROM campaigns WHERE id = $1");
    if (!st)
        return db_fail(d, "campaigns: delete");
    db_bind_i64(st, 1, id);
    e = db_step_done(d, st, "campaigns: delete");
    if (!e && db_changes(d) == 0)
        e = HAIL_ENOTFOUND;
    return e;
}

hail_err camp_db_steps_replace(db *d, int64_t id, const camp_step *steps, size_t n)
{
    db_st *st = db_stmt(d, "DELETE FROM campaign_steps WHERE campaign_id = $1");
    if (!st)
        return db_fail(d, "campaigns: steps");
    db_bind_i64(st, 1, id);
    hail_err e = db_step_done(d, st, "campaigns: steps");
    for (size_t i = 0; !e && i < n; i++) {
        const camp_step *s = &steps[i];
        st = db_stmt(d,
                     "INSERT INTO campaign_steps (campaign_id, position, day, type, template_id,"
                     " send_option, send_time, follow_up, name, details, priority,"
                     " linkedin_kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
        if (!st)
            return db_fail(d, "campaigns: steps");
        db_bind_i64(st, 1, id);
        db_bind_i64(st, 2, (int64_t)i);
        db_bind_i64(st, 3, s->day);
        db_bind_text_ref(st, 4, s->type, -1);
        if (s->template_id > 0)
            db_bind_i64(st, 5, s->template_id);
        else
            db_bind_null(st, 5);
        db_bind_text_ref(st, 6, s->send_option, -1);
        db_bind_text_ref(st, 7, s->send_time, -1);
        db_bind_i64(st, 8, s->follow_up != 0);
        db_bind_text_ref(st, 9, s->name ? s->name : "", -1);
        db_bind_text_ref(st, 10, s->details ? s->details : "", -1);
        db_bind_text_ref(st, 11, s->priority ? s->priority : "normal", -1);
        db_bind_text_ref(st, 12, s->linkedin_kind, -1);
        e = db_step_done(d, st, "campaigns: steps");
    }
    return e;
}

hail_err camp_db_set_status(db *d, int64_t id, const char *status, int64_t now, int64_t by)
{
    db_st *st = db_stmt(d, "UPDATE campaigns SET status = $1, paused_at = $2,"
                           " stopped_by = COALESCE(CAST($3 AS BIGINT), stopped_by), updated_at = $4"
                           " WHERE id = $5");
    if (!st)
        return db_fail(d, "campaigns: status");
    db_bind_text_ref(st, 1, status, -1);
    if (!strcmp(status, "paused"))
        db_bind_i64(st, 2, now);
    else
        db_bind_null(st, 2);
    if (!strcmp(status, "stopped") && by > 0)
        db_bind_i64(st, 3, by);
    else
        db_bind_null(st, 3);
    db_bind_i64(st, 4, now);
    db_bind_i64(st, 5, id);
    return db_step_done(d, st, "campaigns: status");
}

/* {status: count} of a campaign's members, every status present (0s). */
static hail_err member_counts(db *d, int64_t id, json_t **out)
{
    *out = NULL;
    json_t *o = json_object();
    if (!o)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    for (const char *const *s = statuses; *s; s++)
        json_object_set_new(o, *s, json_integer(0));
    db_st *st = db_stmt(d, "SELECT status, count(*) FROM campaign_members WHERE campaign_id = $1"
                           " GROUP BY status");
    if (!st) {
        json_decref(o);
        return db_fail(d, "campaigns: counts");
    }
    db_bind_i64(st, 1, id);
    int rc;
    while ((rc = db_step(st)) == DB_ROW)
        json_object_set_new(o, db_col_text(st, 0), json_integer(db_col_i64(st, 1)));
    db_reset(st);
    if (rc == DB_ERROR) {
        json_decref(o);
        return db_fail(d, "campaigns: counts");
    }
    *out = o;
    return HAIL_OK;
}

static hail_err steps_json(db *d, int64_t id, json_t **out)
{
    *out = NULL;
    db_st *st =
        db_stmt(d, "SELECT s.position, s.day, s.type, s.template_id, t.name, s.send_option,"
                   " s.send_time, s.follow_up, s.name, s.details, s.priority, s.linkedin_kind"
                   " FROM campaign_steps s LEFT JOIN templates t ON t.id = s.template_id"
                   " WHERE s.campaign_id = $1 ORDER BY s.position");
    if (!st)
        return db_fail(d, "campaigns: steps");
    db_bind_i64(st, 1, id);
    json_t *a = json_array();
    int rc;
    while (a && (rc = db_step(st)) == DB_ROW) {
        json_t *tmpl = db_col_null(st, 3)
                           ? json_null()
                           : json_pack("{sI ss}", "id", (json_int_t)db_col_i64(st, 3), "name",
                                       db_col_text(st, 4));
        json_array_append_new(
            a,
            json_pack("{sI sI ss so so so sb ss ss ss so}", "position",
                      (json_int_t)db_col_i64(st, 0), "day", (json_int_t)db_col_i64(st, 1), "type",
                      db_col_text(st, 2), "template", tmpl, "send_option", db_json_text(st, 5),
                      "send_time", db_json_text(st, 6), "follow_up", db_col_int(st, 7), "name",
                      db_col_text(st, 8), "details", db_col_text(st, 9), "priority",
                      db_col_text(st, 10), "linkedin_kind", db_json_text(st, 11)));
    }
    db_reset(st);
    if (!a)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    if (rc == DB_ERROR) {
        json_decref(a);
        return db_fail(d, "campaigns: steps");
    }
    *out = a;
    return HAIL_OK;
}

hail_err camp_db_json(db *d, int64_t id, int detail, json_t **out)
{
    *out = NULL;
    db_st *st = db_stmt(
        d, "SELECT c.id, c.owner_id, u.name, c.name, c.category, c.sharing, c.status,"
           " (SELECT count(*) FROM campaign_steps s WHERE s.campaign_id = c.id),"
           " (SELECT coalesce(max(s.day), 0) FROM campaign_steps s WHERE s.campaign_id = c.id),"
           " c.created_at, c.updated_at, c.sender_id, se.address, se.display_name, c.time_zone,"
           " c.use_person_time_zone, c.skip_weekends, c.end_on_reply, c.reply_is_success,"
           " c.remove_on_bounce, c.ignore_out_of_office"
           " FROM campaigns c JOIN users u ON u.id = c.owner_id"
           " LEFT JOIN senders se ON se.id = c.sender_id WHERE c.id = $1");
    if (!st)
        return db_fail(d, "campaigns: read");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "campaigns: read");
    }
    json_t *o = json_pack(
        "{sI s{sI ss} ss ss ss ss sI sI so so}", "id", (json_int_t)db_col_i64(st, 0), "owner", "id",
        (json_int_t)db_col_i64(st, 1), "name", db_col_text(st, 2), "name", db_col_text(st, 3),
        "category", db_col_text(st, 4), "sharing", db_col_text(st, 5), "status", db_col_text(st, 6),
        "steps_count", (json_int_t)db_col_i64(st, 7), "days", (json_int_t)db_col_i64(st, 8),
        "created_at", db_json_time(st, 9), "updated_at", db_json_time(st, 10));
    if (o && detail) {
        json_object_set_new(o, "sender",
                            db_col_null(st, 11)
                                ? json_null()
                                : json_pack("{sI ss ss}", "id", (json_int_t)db_col_i64(st, 11),
                                            "address", db_col_text(st, 12), "display_name",
                                            db_col_text(st, 13)));
        json_object_set_new(o, "settings",
                            json_pack("{ss sb sb sb sb sb sb}", "time_zone", db_col_text(st, 14),
                                      "use_person_time_zone", db_col_int(st, 15), "skip_weekends",
                                      db_col_int(st, 16), "end_on_reply", db_col_int(st, 17),
                                      "reply_is_success", db_col_int(st, 18), "remove_on_bounce",
                                      db_col_int(st, 19), "ignore_out_of_office",
                                      db_col_int(st, 20)));
    }
    db_reset(st);
    if (!o)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    json_t *counts = NULL, *steps = NULL;
    hail_err e = member_counts(d, id, &counts);
    if (!e)
        json_object_set_new(o, "counts", counts);
    if (!e && detail && !(e = steps_json(d, id, &steps)))
        json_object_set_new(o, "steps", steps);
    if (e) {
        json_decref(o);
        return e;
    }
    *out = o;
    return HAIL_OK;
}

hail_err camp_db_page(db *d, int64_t user_id, const char *role, const char *view,
                      const char *status, const char *q, int64_t before_id, int limit, json_t **out,
                      int64_t *next)
{
    *out = NULL;
    *next = 0;
    db_st *st =
        db_stmt(d, DB_SQL(d,
                          "SELECT c.id FROM campaigns c WHERE " VIS_123
                          " AND ($4 IS NULL OR c.status = $4) AND ($5 = 0 OR c.id < $5)"
                          " AND ($6 = 0 OR c.owner_id = $2) AND ($7 = 0 OR c.owner_id <> $2)"
                          " AND ($8 IS NULL OR instr(lower(c.name || ' ' || c.category), "
                          "lower($8)) > 0)"
                          " ORDER BY c.id DESC LIMIT $9",
                          "SELECT c.id FROM campaigns c WHERE " VIS_123
                          " AND (CAST($4 AS TEXT) IS NULL OR c.status = $4)"
                          " AND (CAST($5 AS BIGINT) = 0 OR c.id < $5)"
                          " AND (CAST($6 AS BIGINT) = 0 OR c.owner_id = $2)"
                          " AND (CAST($7 AS BIGINT) = 0 OR c.owner_id <> $2)"
                          " AND (CAST($8 AS TEXT) IS NULL"
                          " OR strpos(lower(c.name || ' ' || c.category), lower($8)) > 0)"
                          " ORDER BY c.id DESC LIMIT $9"));
    if (!st)
        return db_fail(d, "campaigns: list");
    bind_viewer(st, 1, 2, 3, user_id, role);
    db_bind_text_ref(st, 4, status, -1);
    db_bind_i64(st, 5, before_id);
    db_bind_i64(st, 6, view && !strcmp(view, "mine"));
    db_bind_i64(st, 7, view && !strcmp(view, "shared"));
    db_bind_text_ref(st, 8, q, -1);
    db_bind_i64(st, 9, limit + 1);
    int64_t *ids = calloc((size_t)limit + 1, sizeof *ids);
    if (!ids) {
        db_reset(st);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    int n = 0, rc;
    while ((rc = db_step(st)) == DB_ROW && n <= limit)
        ids[n++] = db_col_i64(st, 0);
    db_reset(st);
    if (rc == DB_ERROR) {
        free(ids);
        return db_fail(d, "campaigns: list");
    }
    if (n > limit) {
        n = limit;
        *next = ids[n - 1];
    }
    json_t *a = json_array();
    hail_err e = a ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
    for (int i = 0; !e && i < n; i++) {
        json_t *o = NULL;
        if (!(e = camp_db_json(d, ids[i], 0, &o)))
            json_array_append_new(a, o);
    }
    free(ids);
    if (e) {
        json_decref(a);
        return e;
    }
    *out = a;
    return HAIL_OK;
}

hail_err camp_db_report(db *d, int64_t id, json_t **out)
{
    *out = NULL;
    json_t *people = NULL, *steps = NULL;
    hail_err e = member_counts(d, id, &people);
    if (e)
        return e;
    db_st *st = db_stmt(d, "SELECT position, day, type FROM campaign_steps WHERE campaign_id = $1"
                           " ORDER BY position");
    if (!st) {
        json_decref(people);
        return db_fail(d, "campaigns: report");
    }
    db_bind_i64(st, 1, id);
    steps = json_array();
    int rc;
    while (steps && (rc = db_step(st)) == DB_ROW)
        json_array_append_new(
            steps,
            json_pack("{sI sI ss si si si si si si si si}", "position",
                      (json_int_t)db_col_i64(st, 0), "day", (json_int_t)db_col_i64(st, 1), "type",
                      db_col_text(st, 2), "sent", 0, "opened", 0, "clicked", 0, "replied", 0,
                      "bounced", 0, "tasks_open", 0, "tasks_completed", 0, "tasks_skipped", 0));
    db_reset(st);
    if (!steps || rc == DB_ERROR) {
        json_decref(people);
        json_decref(steps);
        return steps ? db_fail(d, "campaigns: report") : hail_errf(HAIL_ENOMEM, "out of memory");
    }
    /* Emails by step: sent (a sent_at, or bounced), opened / clicked (a
     * human open / click: the counters are human-only), replied, bounced. */
    st = db_stmt(d, "SELECT campaign_step,"
                    " sum(CASE WHEN sent_at IS NOT NULL OR status = 'bounced' THEN 1 ELSE 0 END),"
                    " sum(CASE WHEN opens > 0 THEN 1 ELSE 0 END),"
                    " sum(CASE WHEN clicks > 0 THEN 1 ELSE 0 END),"
                    " sum(CASE WHEN replied_at IS NOT NULL THEN 1 ELSE 0 END),"
                    " sum(CASE WHEN status = 'bounced' THEN 1 ELSE 0 END)"
                    " FROM emails WHERE campaign_id = $1 AND campaign_step IS NOT NULL"
                    " GROUP BY campaign_step");
    if (!st)
        e = db_fail(d, "campaigns: report");
    else {
        db_bind_i64(st, 1, id);
        while ((rc = db_step(st)) == DB_ROW) {
            json_t *s = json_array_get(steps, (size_t)db_col_i64(st, 0));
            if (!s || db_col_i64(st, 0) < 0)
                continue;
            static const char *const k[] = {"sent", "opened", "clicked", "replied", "bounced"};
            for (int i = 0; i < 5; i++)
                json_object_set_new(s, k[i], json_integer(db_col_i64(st, i + 1)));
        }
        db_reset(st);
        if (rc == DB_ERROR)
            e = db_fail(d, "campaigns: report");
    }
    if (!e) {
        st = db_stmt(d, "SELECT step_position, status, count(*) FROM tasks WHERE campaign_id = $1"
                        " AND step_position IS NOT NULL GROUP BY step_position, status");
        if (!st)
            e = db_fail(d, "campaigns: report");
        else {
            db_bind_i64(st, 1, id);
            while ((rc = db_step(st)) == DB_ROW) {
                json_t *s = json_array_get(steps, (size_t)db_col_i64(st, 0));
                if (!s || db_col_i64(st, 0) < 0)
                    continue;
                const char *status = db_col_text(st, 1);
                const char *key = !strcmp(status, "open")       ? "tasks_open"
                                  : !strcmp(status, "complete") ? "tasks_completed"
                                                                : "tasks_skipped";
                json_object_set_new(s, key, json_integer(db_col_i64(st, 2)));
            }
            db_reset(st);
            if (rc == DB_ERROR)
                e = db_fail(d, "campaigns: report");
        }
    }
    if (e) {
        json_decref(people);
        json_decref(steps);
        return e;
    }
    *out = json_pack("{so so}", "people", people, "steps", steps);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}
