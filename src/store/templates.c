#include "core/common.h"

#include "store/templates.h"

#include "core/buf.h"
#include "core/timeutil.h"

hail_err tmpl_db_insert(db *d, int64_t owner_id, const tmpl_write *w, int64_t *id_out)
{
    db_st *st = db_stmt(d, "INSERT INTO templates (owner_id, name, category, subject, body_html,"
                           " sharing, archived, commercial, created_at, updated_at)"
                           " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id");
    if (!st)
        return db_fail(d, "templates: insert");
    db_bind_i64(st, 1, owner_id);
    db_bind_text_ref(st, 2, w->name, -1);
    db_bind_text_ref(st, 3, w->category ? w->category : "", -1);
    db_bind_text_ref(st, 4, w->subject, -1);
    db_bind_text_ref(st, 5, w->body_html, -1);
    db_bind_text_ref(st, 6, w->sharing, -1);
    db_bind_i64(st, 7, w->archived == 1);
    db_bind_i64(st, 8, w->commercial != 0);
    db_bind_i64(st, 9, time_now_us());
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW)
        *id_out = db_col_i64(st, 0);
    else
        e = db_fail(d, "templates: insert");
    db_reset(st);
    return e;
}

hail_err tmpl_db_update(db *d, int64_t id, const tmpl_write *w)
{
    db_st *st = db_stmt(d, "UPDATE templates SET name = COALESCE(CAST($1 AS TEXT), name),"
                           " category = COALESCE(CAST($2 AS TEXT), category),"
                           " subject = COALESCE(CAST($3 AS TEXT), subject),"
                           " body_html = COALESCE(CAST($4 AS TEXT), body_html),"
                           " sharing = COALESCE(CAST($5 AS TEXT), sharing),"
                           " commercial = CASE WHEN CAST($6 AS BIGINT) < 0 THEN commercial"
                           " ELSE CAST($6 AS BIGINT) END,"
                           " archived = CASE WHEN CAST($7 AS BIGINT) < 0 THEN archived"
                           " ELSE CAST($7 AS BIGINT) END,"
                           " updated_at = $8 WHERE id = $9");
    if (!st)
        return db_fail(d, "templates: update");
    db_bind_text_ref(st, 1, w->name, -1);
    db_bind_text_ref(st, 2, w->category, -1);
    db_bind_text_ref(st, 3, w->subject, -1);
    db_bind_text_ref(st, 4, w->body_html, -1);
    db_bind_text_ref(st, 5, w->sharing, -1);
    db_bind_i64(st, 6, w->commercial);
    db_bind_i64(st, 7, w->archived);
    db_bind_i64(st, 8, time_now_us());
    db_bind_i64(st, 9, id);
    hail_err e = db_step_done(d, st, "templates: update");
    if (!e && db_changes(d) == 0)
        e = HAIL_ENOTFOUND;
    return e;
}

hail_err tmpl_db_delete(db *d, int64_t id)
{
    db_st *st = db_stmt(d, "DELETE FROM template_favorites WHERE template_id = $1");
    if (!st)
        return db_fail(d, "templates: delete");
    db_bind_i64(st, 1, id);
    hail_err e = db_step_done(d, st, "templates: delete");
    if (e)
        return e;
    if (!(st = db_stmt(d, "DELETE FROM templates WHERE id = $1")))
        return db_fail(d, "templates: delete");
    db_bind_i64(st, 1, id);
    e = db_step_done(d, st, "templates: delete");
    if (!e && db_changes(d) == 0)
        e = HAIL_ENOTFOUND;
    return e;
}

/* Whether user $1 (admin: $2 = 1) may see template t. */
#define VISIBLE                                                                                    \
    "(t.owner_id = $1 OR CAST($2 AS BIGINT) = 1 OR t.sharing = 'everyone'"                         \
    " OR (t.sharing = 'teams' AND EXISTS (SELECT 1 FROM team_members a"                            \
    " JOIN team_members b ON b.team_id = a.team_id"                                                \
    " WHERE a.user_id = t.owner_id AND b.user_id = $1)))"

hail_err tmpl_db_access(db *d, int64_t id, int64_t user_id, int admin, tmpl_access *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT t.owner_id, t.archived, t.commercial, " VISIBLE
                           " FROM templates t WHERE t.id = $3");
    if (!st)
        return db_fail(d, "templates: read");
    db_bind_i64(st, 1, user_id);
    db_bind_i64(st, 2, admin ? 1 : 0);
    db_bind_i64(st, 3, id);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        out->owner_id = db_col_i64(st, 0);
        out->archived = db_col_int(st, 1) != 0;
        out->commercial = db_col_int(st, 2) != 0;
        out->visible = db_col_int(st, 3) != 0;
    } else {
        e = rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "templates: read");
    }
    db_reset(st);
    return e;
}

static char *dup_col(db_st *st, int i)
{
    const char *v = db_col_text(st, i);
    return strdup(v ? v : "");
}

hail_err tmpl_db_texts(db *d, int64_t id, char **name, char **subject, char **body_html)
{
    *name = *subject = *body_html = NULL;
    db_st *st = db_stmt(d, "SELECT name, subject, body_html FROM templates WHERE id = $1");
    if (!st)
        return db_fail(d, "templates: read");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        *name = dup_col(st, 0);
        *subject = dup_col(st, 1);
        *body_html = dup_col(st, 2);
        if (!*name || !*subject || !*body_html)
            e = HAIL_ENOMEM;
    } else {
        e = rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "templates: read");
    }
    db_reset(st);
    if (e) {
        free(*name);
        free(*subject);
        free(*body_html);
        *name = *subject = *body_html = NULL;
    }
    return e;
}

static hail_err analytics(db *d, int64_t id, json_t **out)
{
    db_st *st = db_stmt(d, "SELECT count(*),"
                           " COALESCE(SUM(CASE WHEN opens > 0 THEN 1 ELSE 0 END), 0),"
                           " COALESCE(SUM(CASE WHEN clicks > 0 THEN 1 ELSE 0 END), 0),"
                           " COALESCE(SUM(CASE WHEN replied_at IS NOT NULL THEN 1 ELSE 0 END), 0),"
                           " COALESCE(SUM(CASE WHEN status = 'bounced' THEN 1 ELSE 0 END), 0)"
                           " FROM emails WHERE template_id = $1"
                           " AND (sent_at IS NOT NULL OR status = 'bounced')");
    if (!st)
        return db_fail(d, "templates: analytics");
    db_bind_i64(st, 1, id);
    if (db_step(st) != DB_ROW)
        return db_fail(d, "templates: analytics");
    int64_t sent = db_col_i64(st, 0), replies = db_col_i64(st, 3);
    *out = json_pack("{sI sI sI sI sI sf}", "sent", (json_int_t)sent, "opens",
                     (json_int_t)db_col_i64(st, 1), "clicks", (json_int_t)db_col_i64(st, 2),
                     "replies", (json_int_t)replies, "bounces", (json_int_t)db_col_i64(st, 4),
                     "success_rate", sent ? (double)replies / (double)sent : 0.0);
    db_reset(st);
    return *out ? HAIL_OK : HAIL_ENOMEM;
}

/* The columns of a template row, as row_json reads them; $1 is the user
 * whose favorite it is. */
#define TMPL_COLS                                                                                  \
    "t.id, t.owner_id, u.name, t.name, t.category, t.subject, t.body_html, t.sharing,"             \
    " t.archived, t.commercial, t.created_at, t.updated_at,"                                       \
    " EXISTS (SELECT 1 FROM template_favorites f WHERE f.template_id = t.id AND f.user_id = $1)"

static json_t *row_json(db *d, db_st *st)
{
    char c[TIME_ISO_LEN], u[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, 10), c);
    time_format_iso(db_col_i64(st, 11), u);
    json_t *a = NULL;
    if (analytics(d, db_col_i64(st, 0), &a))
        return NULL;
    return json_pack("{sI s{sI ss} ss ss ss ss ss sb sb sb ss ss so}", "id",
                     (json_int_t)db_col_i64(st, 0), "owner", "id", (json_int_t)db_col_i64(st, 1),
                     "name", db_col_text(st, 2) ? db_col_text(st, 2) : "", "name",
                     db_col_text(st, 3), "category", db_col_text(st, 4), "subject",
                     db_col_text(st, 5), "body_html", db_col_text(st, 6), "sharing",
                     db_col_text(st, 7), "archived", db_col_int(st, 8) != 0, "commercial",
                     db_col_int(st, 9) != 0, "favorite", db_col_int(st, 12) != 0, "created_at", c,
                     "updated_at", u, "analytics", a);
}

hail_err tmpl_db_json(db *d, int64_t id, int64_t user_id, json_t **out)
{
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT " TMPL_COLS " FROM templates t JOIN users u ON u.id = t.owner_id"
                           " WHERE t.id = $2");
    if (!st)
        return db_fail(d, "templates: read");
    db_bind_i64(st, 1, user_id);
    db_bind_i64(st, 2, id);
    /* row_json runs a statement of its own: read the row into memory first. */
    int rc = db_step(st);
    if (rc == DB_ERROR)
        return db_fail(d, "templates: read");
    if (rc == DB_DONE) {
        db_reset(st);
        return HAIL_ENOTFOUND;
    }
    json_t *j = row_json(d, st);
    db_reset(st);
    *out = j;
    return j ? HAIL_OK : HAIL_ENOMEM;
}

/* The list, one text per view; parameters: $1 the user, $2 admin, $3 the
 * LIKE pattern or NULL, $4 the id before which the page starts (0: none),
 * $5 the limit. */
#define PAGE_HEAD                                                                                  \
    "SELECT " TMPL_COLS " FROM templates t JOIN users u ON u.id = t.owner_id WHERE " VISIBLE " AN" \
    "D "
#define PAGE_TAIL                                                                                  \
    " AND (CAST($3 AS TEXT) IS NULL OR lower(t.name) LIKE $3 ESCAPE '\\'"                          \
    " OR lower(t.category) LIKE $3 ESCAPE '\\' OR lower(t.subject) LIKE $3 ESCAPE '\\')"           \
    " AND (CAST($4 AS BIGINT) = 0 OR t.id < $4) ORDER BY t.id DESC LIMIT $5"

/* The statement of a view (NULL: not one). */
static db_st *page_stmt(db *d, const char *view)
{
    if (!view || !*view)
        return db_stmt(d, PAGE_HEAD "t.archived = 0" PAGE_TAIL);
    if (!strcmp(view, "mine"))
        return db_stmt(d, PAGE_HEAD "t.archived = 0 AND t.owner_id = $1" PAGE_TAIL);
    if (!strcmp(view, "shared"))
        return db_stmt(d, PAGE_HEAD "t.archived = 0 AND t.owner_id <> $1" PAGE_TAIL);
    if (!strcmp(view, "favorites"))
        return db_stmt(d, PAGE_HEAD "t.archived = 0 AND EXISTS (SELECT 1 FROM template_favorites g"
                                    " WHERE g.template_id = t.id AND g.user_id = $1)" PAGE_TAIL);
    if (!strcmp(view, "archived"))
        return db_stmt(d, PAGE_HEAD "t.archived = 1" PAGE_TAIL);
    return NULL;
}

hail_err tmpl_db_page(db *d, int64_t user_id, int admin, const char *view, const char *q,
                      int64_t before_id, int limit, json_t **out, int64_t *next)
{
    *out = NULL;
    *next = 0;
    if (view && *view && strcmp(view, "mine") && strcmp(view, "shared") &&
        strcmp(view, "favorites") && strcmp(view, "archived"))
        return hail_errf(HAIL_EINVAL, "unknown view '%.64s'", view);
    buf pat = BUF_INIT(4096);
    hail_err e = HAIL_OK;
    if (q) {
        e = buf_putc(&pat, '%');
        for (const char *p = q; *p && !e; p++) {
            if (*p == '%' || *p == '_' || *p == '\\')
                e = buf_putc(&pat, '\\');
            if (!e)
                e = buf_putc(&pat, (char)tolower((unsigned char)*p));
        }
        if (!e)
            e = buf_putc(&pat, '%');
    }
    db_st *st = e ? NULL : page_stmt(d, view);
    if (!e && !st)
        e = db_fail(d, "templates: list");
    json_t *a = e ? NULL : json_array();
    if (!e && !a)
        e = HAIL_ENOMEM;
    if (!e) {
        db_bind_i64(st, 1, user_id);
        db_bind_i64(st, 2, admin ? 1 : 0);
        if (q)
            db_bind_text(st, 3, buf_cstr(&pat), (int)pat.len);
        else
            db_bind_null(st, 3);
        db_bind_i64(st, 4, before_id);
        db_bind_i64(st, 5, limit + 1);
        /* Rows are read first (an id list), then each is serialized: a row's
         * analytics is a statement of its own. */
        int64_t *ids = malloc(((size_t)limit + 1) * sizeof *ids);
        int n = 0, rc = DB_DONE;
        while (ids && n < limit + 1 && (rc = db_step(st)) == DB_ROW)
            ids[n++] = db_col_i64(st, 0);
        if (!ids)
            e = HAIL_ENOMEM;
        else if (n < limit + 1 && rc == DB_ERROR)
            e = db_fail(d, "templates: list");
        db_reset(st);
        if (n > limit) {
            n = limit;
            *next = ids[n - 1];
        }
        for (int i = 0; i < n && !e; i++) {
            json_t *j = NULL;
            e = tmpl_db_json(d, ids[i], user_id, &j);
            if (!e && json_array_append_new(a, j))
                e = HAIL_ENOMEM;
        }
        free(ids);
    }
    buf_release(&pat);
    if (e)
        json_decref(a);
    else
        *out = a;
    return e;
}

hail_err tmpl_db_favorite(db *d, int64_t user_id, int64_t id, int on)
{
    db_st *st = on ? db_stmt(d, "INSERT INTO template_favorites (user_id, template_id)"
                                " VALUES ($1, $2) ON CONFLICT DO NOTHING")
                   : db_stmt(d, "DELETE FROM template_favorites WHERE user_id = $1"
                                " AND template_id = $2");
    if (!st)
        return db_fail(d, "templates: favorite");
    db_bind_i64(st, 1, user_id);
    db_bind_i64(st, 2, id);
    return db_step_done(d, st, "templates: favorite");
}

hail_err tmpl_db_use_count(db *d, int64_t id, int64_t *n)
{
    db_st *st = db_stmt(d, "SELECT count(*) FROM emails WHERE template_id = $1");
    if (!st)
        return db_fail(d, "templates: use count");
    db_bind_i64(st, 1, id);
    if (db_step(st) != DB_ROW)
        return db_fail(d, "templates: use count");
    *n = db_col_i64(st, 0);
    db_reset(st);
    return HAIL_OK;
}

hail_err tmpl_db_sender(db *d, int64_t sender_id, tmpl_sender *out)
{
    memset(out, 0, sizeof *out);
    db_st *st = db_stmt(d, "SELECT s.user_id, s.address, s.display_name, s.signature_html, u.name"
                           " FROM senders s JOIN users u ON u.id = s.user_id WHERE s.id = $1");
    if (!st)
        return db_fail(d, "senders: read");
    db_bind_i64(st, 1, sender_id);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        out->user_id = db_col_i64(st, 0);
        out->address = dup_col(st, 1);
        out->display_name = dup_col(st, 2);
        out->signature_html = dup_col(st, 3);
        out->user_name = dup_col(st, 4);
        if (!out->address || !out->display_name || !out->signature_html || !out->user_name)
            e = HAIL_ENOMEM;
    } else {
        e = rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, "senders: read");
    }
    db_reset(st);
    if (e)
        tmpl_sender_free(out);
    return e;
}

void tmpl_sender_free(tmpl_sender *s)
{
    free(s->address);
    free(s->display_name);
    free(s->signature_html);
    free(s->user_name);
    memset(s, 0, sizeof *s);
}
