#include "core/common.h"

/* The live feed's reads of the activity log: store/feed.h. */
#include "store/feed.h"

#include <string.h>

#include "core/buf.h"
#include "core/timeutil.h"

int feed_pos_cmp(feed_pos a, feed_pos b)
{
    if (a.xact != b.xact)
        return a.xact < b.xact ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id;
}

/* The columns of a FeedEvent, then the position's xact (see row_read). */
#define FEED_COLS                                                                                  \
    "a.id, a.type, a.person_id, a.user_id, a.email_id, a.template_id, a.campaign_id, a.call_id,"   \
    " a.occurred_at, a.machine, a.attrs, p.id, p.first_name, p.last_name, p.company, p.email,"     \
    " p.owner_email, p.sfdc_account_id, p.sfdc_opportunity_id, u.name, e.subject, c.name"
#define FEED_FROM                                                                                  \
    " FROM activities a LEFT JOIN people p ON p.id = a.person_id"                                  \
    " LEFT JOIN users u ON u.id = a.user_id LEFT JOIN emails e ON e.id = a.email_id"               \
    " LEFT JOIN campaigns c ON c.id = a.campaign_id"
#define XACT_SQLITE ", 0"
#define XACT_PG     ", CAST(CAST(a.xact AS text) AS BIGINT)"

static void ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static json_t *ref_json(db_st *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_integer(db_col_i64(st, i));
}

static json_t *text_json(db_st *st, int i)
{
    const char *s = db_col_text(st, i);
    return s ? json_string(s) : json_null();
}

static char *text_dup(db_st *st, int i, int *oom)
{
    const char *s = db_col_text(st, i);
    if (!s)
        return NULL;
    char *c = strdup(s);
    if (!c)
        *oom = 1;
    return c;
}

/* One row of FEED_COLS + xact into *r. */
static hail_err row_read(db_st *st, feed_row *r)
{
    memset(r, 0, sizeof *r);
    r->pos.id = db_col_i64(st, 0);
    r->pos.xact = db_col_i64(st, 22);
    r->person_id = db_col_i64(st, 2);
    r->user_id = db_col_null(st, 3) ? 0 : db_col_i64(st, 3);
    r->machine = db_col_int(st, 9) != 0;
    int oom = 0;
    r->type = text_dup(st, 1, &oom);
    r->owner = text_dup(st, 16, &oom);
    if (r->owner)
        ascii_lower(r->owner);
    r->account = text_dup(st, 17, &oom);
    r->opportunity = text_dup(st, 18, &oom);

    char when[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, 8), when);
    json_error_t jerr;
    json_t *attrs = json_loads(db_col_text(st, 10) ? db_col_text(st, 10) : "{}", 0, &jerr);
    if (!attrs)
        attrs = json_object();
    json_t *person =
        json_pack("{sI so so so so so}", "id", (json_int_t)r->person_id, "first_name",
                  text_json(st, 12), "last_name", text_json(st, 13), "company", text_json(st, 14),
                  "email", text_json(st, 15), "owner_email", text_json(st, 16));
    json_t *user = db_col_null(st, 3) ? json_null()
                                      : json_pack("{sI so}", "id", (json_int_t)r->user_id, "name",
                                                  text_json(st, 19));
    json_t *email = db_col_null(st, 4) ? json_null()
                                       : json_pack("{sI so}", "id", (json_int_t)db_col_i64(st, 4),
                                                   "subject", text_json(st, 20));
    json_t *camp = db_col_null(st, 6) ? json_null()
                                      : json_pack("{sI so}", "id", (json_int_t)db_col_i64(st, 6),
                                                  "name", text_json(st, 21));
    r->event = json_pack(
        "{sI ss sI so so so so so ss sb so so so so so}", "id", (json_int_t)r->pos.id, "type",
        r->type ? r->type : "", "person_id", (json_int_t)r->person_id, "user_id", ref_json(st, 3),
        "email_id", ref_json(st, 4), "template_id", ref_json(st, 5), "campaign_id", ref_json(st, 6),
        "call_id", ref_json(st, 7), "occurred_at", when, "machine", r->machine, "attrs", attrs,
        "person", person ? person : json_null(), "user", user ? user : json_null(), "email",
        email ? email : json_null(), "campaign", camp ? camp : json_null());
    if (!r->event || oom || !person || !user || !email || !camp) {
        feed_rows_free(r, 1);
        memset(r, 0, sizeof *r);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

void feed_rows_free(feed_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].owner);
        free(rows[i].account);
        free(rows[i].opportunity);
        free(rows[i].type);
        json_decref(rows[i].event);
    }
}

/* Steps st to the end into a new array of rows. */
static hail_err rows_all(db *d, db_st *st, feed_row **rows, size_t *n, const char *what)
{
    *rows = NULL;
    *n = 0;
    size_t cap = 0;
    hail_err e = HAIL_OK;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            feed_row *nr = realloc(*rows, ncap * sizeof *nr);
            if (!nr) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            *rows = nr;
            cap = ncap;
        }
        if ((e = row_read(st, &(*rows)[*n])))
            break;
        (*n)++;
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, what);
    db_reset(st);
    if (e) {
        feed_rows_free(*rows, *n);
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return e;
}

hail_err feed_read_after(db *d, feed_pos after, int limit, feed_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    /* SQLite: the primary key; PostgreSQL: activities_xact (xact, id). */
    db_st *st = db_stmt(d, DB_SQL(d,
                                  "SELECT " FEED_COLS XACT_SQLITE FEED_FROM
                                  " WHERE a.id > $1 ORDER BY a.id LIMIT $2",
                                  "SELECT " FEED_COLS XACT_PG FEED_FROM
                                  " WHERE (a.xact, a.id) > (CAST($1 AS xid8), $2)"
                                  " AND a.xact < pg_snapshot_xmin(pg_current_snapshot())"
                                  " ORDER BY a.xact, a.id LIMIT $3"));
    if (!st)
        return db_fail(d, "reading the feed");
    feed_bind_after(d, st, after, limit);
    return rows_all(d, st, rows, n, "reading the feed");
}

void feed_bind_after(db *d, db_st *st, feed_pos after, int64_t limit)
{
    if (db_engine_of(d) == DB_POSTGRES) {
        db_bind_i64(st, 1, after.xact);
        db_bind_i64(st, 2, after.id);
        db_bind_i64(st, 3, limit);
    } else {
        db_bind_i64(st, 1, after.id);
        db_bind_i64(st, 2, limit);
    }
}

hail_err feed_horizon(db *d, feed_pos *out)
{
    out->xact = out->id = 0;
    db_st *st = db_stmt(d, DB_SQL(d, "SELECT 0, id FROM activities ORDER BY id DESC LIMIT 1",
                                  "SELECT CAST(CAST(xact AS text) AS BIGINT), id FROM activities"
                                  " WHERE xact < pg_snapshot_xmin(pg_current_snapshot())"
                                  " ORDER BY xact DESC, id DESC LIMIT 1"));
    if (!st)
        return db_fail(d, "reading the feed");
    int rc = db_step(st);
    if (rc == DB_ROW) {
        out->xact = db_col_i64(st, 0);
        out->id = db_col_i64(st, 1);
    }
    db_reset(st);
    return rc == DB_ERROR ? db_fail(d, "reading the feed") : HAIL_OK;
}

hail_err feed_position(db *d, int64_t id, feed_pos *out)
{
    out->xact = 0;
    out->id = id;
    db_st *st = db_stmt(
        d, DB_SQL(d, "SELECT 0 FROM activities WHERE id = $1",
                  "SELECT CAST(CAST(xact AS text) AS BIGINT) FROM activities WHERE id = $1"));
    if (!st)
        return db_fail(d, "reading the feed");
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc == DB_ROW)
        out->xact = db_col_i64(st, 0);
    db_reset(st);
    if (rc == DB_ERROR)
        return db_fail(d, "reading the feed");
    if (rc != DB_ROW)
        return hail_errf(HAIL_ENOTFOUND, "no activity with id %lld", (long long)id);
    return HAIL_OK;
}

/* ---- matching ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int feed_filter_match(const feed_filter *f, const feed_row *row)
{
    if (f->human_only && row->machine)
        return 0;
    if (f->person_id && row->person_id != f->person_id)
        return 0;
    if (f->account && (!row->account || strcmp(row->account, f->account)))
        return 0;
    if (f->opportunity && (!row->opportunity || strcmp(row->opportunity, f->opportunity)))
        return 0;
    if (f->ntypes) {
        size_t i = 0;
        while (i < f->ntypes && strcmp(f->types[i], row->type ? row->type : ""))
            i++;
        if (i == f->ntypes)
            return 0;
    }
    const vis_scope *s = f->scope;
    if (s->all)
        return 1;
    /* vis_covers_owner / vis_covers_user without a copy per call: the
     * owner is lowercased already, and the scope's lists are sorted. */
    if (row->owner && s->nemails &&
        bsearch(&row->owner, s->emails, s->nemails, sizeof *s->emails, cmp_str))
        return 1;
    return row->user_id && s->nusers &&
           bsearch(&row->user_id, s->user_ids, s->nusers, sizeof *s->user_ids, cmp_i64);
}

/* ---- the page ---- */

/* $1 before, $2 all, $3 owners, $4 users (store/visibility.h's
 * VIS_OWNER_IN_* and VIS_USER_IN_*, written out: unit/test_store reads these
 * texts), $5 person, $6 account, $7 opportunity, $8 types (a JSON array), $9
 * human only; then a narrowing that lets an index lead; $10 the limit. */
#define LIST_WHERE_SQLITE                                                                          \
    " WHERE a.id < $1 AND ($2 = 1"                                                                 \
    " OR p.owner_email COLLATE NOCASE IN (SELECT value FROM json_each($3))"                        \
    " OR a.user_id IN (SELECT value FROM json_each($4)))"                                          \
    " AND ($5 = 0 OR a.person_id = $5) AND ($6 IS NULL OR p.sfdc_account_id = $6)"                 \
    " AND ($7 IS NULL OR p.sfdc_opportunity_id = $7)"                                              \
    " AND ($8 IS NULL OR a.type IN (SELECT value FROM json_each($8))) AND ($9 = 0 OR a.machine = " \
    "0)"
#define LIST_WHERE_PG                                                                              \
    " WHERE a.id < $1 AND (CAST($2 AS BIGINT) = 1"                                                 \
    " OR lower(p.owner_email) IN (SELECT jsonb_array_elements_text(CAST($3 AS jsonb)))"            \
    " OR a.user_id IN (SELECT CAST(jsonb_array_elements_text(CAST($4 AS jsonb)) AS BIGINT)))"      \
    " AND (CAST($5 AS BIGINT) = 0 OR a.person_id = $5)"                                            \
    " AND (CAST($6 AS TEXT) IS NULL OR p.sfdc_account_id = $6)"                                    \
    " AND (CAST($7 AS TEXT) IS NULL OR p.sfdc_opportunity_id = $7)"                                \
    " AND (CAST($8 AS TEXT) IS NULL"                                                               \
    " OR a.type IN (SELECT jsonb_array_elements_text(CAST($8 AS jsonb))))"                         \
    " AND (CAST($9 AS BIGINT) = 0 OR a.machine = 0)"
#define LIST_ORDER     " ORDER BY a.id DESC LIMIT $10"
#define NARROW_PERSON  " AND a.person_id = $5"
#define NARROW_ACCOUNT " AND a.person_id IN (SELECT id FROM people WHERE sfdc_account_id = $6)"
#define NARROW_OPPORTUNITY                                                                         \
    " AND a.person_id IN (SELECT id FROM people WHERE sfdc_opportunity_id = $7)"
/* the candidates of a rep's or manager's page (see candidates): $10 their
 * ids, $11 the limit (parameters come in order) */
#define NARROW_IDS_SQLITE " AND a.id IN (SELECT value FROM json_each($10))"
#define NARROW_IDS_PG     " AND a.id = ANY(CAST($10 AS BIGINT[]))"
#define IDS_ORDER         " ORDER BY a.id DESC LIMIT $11"
#define LIST_SQLITE       "SELECT " FEED_COLS XACT_SQLITE FEED_FROM LIST_WHERE_SQLITE
#define LIST_PG           "SELECT " FEED_COLS XACT_PG FEED_FROM LIST_WHERE_PG

/* One covered owner's (activities_owner) or user's (activities_user) newest
 * activities below $3 with machine $2 (both indexes lead with it, so a
 * human-only page reads only human rows) that the type filter lets through:
 * $1 the owner / user, $4 types (a JSON array; NULL: all), $5 the limit. */
#define KEY_FILTER_SQLITE                                                                          \
    " AND machine = $2 AND id < $3 AND ($4 IS NULL OR type IN (SELECT value FROM json_each($4)))"  \
    " ORDER BY id DESC LIMIT $5"
#define KEY_FILTER_PG                                                                              \
    " AND machine = $2 AND id < $3 AND (CAST($4 AS TEXT) IS NULL"                                  \
    " OR type IN (SELECT jsonb_array_elements_text(CAST($4 AS jsonb))))"                           \
    " ORDER BY id DESC LIMIT $5"
const char feed_sql_by_owner_sqlite[] =
    "SELECT id FROM activities WHERE owner = $1" KEY_FILTER_SQLITE;
const char feed_sql_by_owner_pg[] = "SELECT id FROM activities WHERE owner = $1" KEY_FILTER_PG;
const char feed_sql_by_user_sqlite[] =
    "SELECT id FROM activities WHERE user_id = $1" KEY_FILTER_SQLITE;
const char feed_sql_by_user_pg[] = "SELECT id FROM activities WHERE user_id = $1" KEY_FILTER_PG;

static int cmp_i64_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x > y ? -1 : x < y;
}

/* Appends st's ids (one key's, newest first) to ids. */
static hail_err key_ids(db *d, db_st *st, int64_t **ids, size_t *n, size_t *cap)
{
    hail_err e = HAIL_OK;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 64;
            int64_t *ni = realloc(*ids, ncap * sizeof *ni);
            if (!ni) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            *ids = ni;
            *cap = ncap;
        }
        (*ids)[(*n)++] = db_col_i64(st, 0);
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "reading the feed");
    db_reset(st);
    return e;
}

/* A rep's or manager's page without a person / account / opportunity
 * filter: the newest `want` ids below `before` of each covered owner
 * (activities.owner, kept by migration 8's triggers) and of each covered
 * user, merged newest first and cut to `want` — a superset of the page's
 * ids, read in range reads of at most `want` rows per owner and user,
 * however rare the viewer's people are in the log. The ids go to *list as
 * the statement's parameter: a JSON array (SQLite) or an array literal
 * (PostgreSQL); NULL when there are none. */
static hail_err candidates(db *d, const feed_filter *f, int64_t before, const char *types,
                           int64_t want, char **list)
{
    *list = NULL;
    int pg = db_engine_of(d) == DB_POSTGRES;
    db_st *own = db_stmt(d, DB_SQL(d, feed_sql_by_owner_sqlite, feed_sql_by_owner_pg));
    db_st *usr = own ? db_stmt(d, DB_SQL(d, feed_sql_by_user_sqlite, feed_sql_by_user_pg)) : NULL;
    if (!own || !usr)
        return db_fail(d, "reading the feed");
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    hail_err e = HAIL_OK;
    const vis_scope *s = f->scope;
    /* human rows (machine 0), and machine ones too unless human only: each
     * its own range, merged below */
    int machines = f->human_only ? 1 : 2;
    for (size_t i = 0; !e && i < s->nemails + s->nusers; i++) {
        db_st *st = i < s->nemails ? own : usr;
        for (int m = 0; !e && m < machines; m++) {
            if (i < s->nemails)
                db_bind_text_ref(st, 1, s->emails[i], -1);
            else
                db_bind_i64(st, 1, s->user_ids[i - s->nemails]);
            db_bind_i64(st, 2, m);
            db_bind_i64(st, 3, before);
            db_bind_text_ref(st, 4, types, -1);
            db_bind_i64(st, 5, want);
            e = key_ids(d, st, &ids, &n, &cap);
        }
    }
    if (!e && n) {
        qsort(ids, n, sizeof *ids, cmp_i64_desc);
        buf b;
        buf_init(&b, SIZE_MAX);
        e = buf_putc(&b, pg ? '{' : '[');
        /* an activity both on a covered owner's person and by a covered user
         * comes twice: once is enough */
        size_t kept = 0;
        for (size_t i = 0; !e && i < n && kept < (size_t)want; i++) {
            if (i && ids[i] == ids[i - 1])
                continue;
            e = buf_printf(&b, "%s%lld", kept ? "," : "", (long long)ids[i]);
            kept++;
        }
        if (!e)
            e = buf_putc(&b, pg ? '}' : ']');
        if (e) {
            buf_release(&b);
            e = hail_errf(HAIL_ENOMEM, "out of memory");
        } else if (!(*list = buf_detach(&b, NULL)))
            e = hail_errf(HAIL_ENOMEM, "out of memory");
    }
    free(ids);
    return e;
}

hail_err feed_list(db *d, const feed_filter *f, int64_t before, int limit, feed_row **rows,
                   size_t *n, int64_t *next)
{
    *rows = NULL;
    *n = 0;
    *next = 0;
    /* The narrowest filter picks the statement: a person's history
     * (activities_person), an account's or opportunity's people
     * (people_account / people_opportunity, then activities_person), a rep's
     * or manager's owners and users (candidates), else (an admin) the log
     * newest first. */
    char *types = NULL;
    if (f->ntypes) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < f->ntypes; i++)
            json_array_append_new(a, json_string(f->types[i]));
        types = a ? json_dumps(a, JSON_COMPACT) : NULL;
        json_decref(a);
        if (!types)
            return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    int64_t below = before > 0 ? before : INT64_MAX;
    char *ids = NULL;
    int by_key = !f->scope->all && !f->person_id && !f->account && !f->opportunity;
    if (by_key) {
        hail_err e = candidates(d, f, below, types, (int64_t)limit + 1, &ids);
        if (e || !ids) { /* nothing visible below `before` */
            free(types);
            return e;
        }
    }
    db_st *st;
    if (by_key)
        st = db_stmt(
            d, DB_SQL(d, LIST_SQLITE NARROW_IDS_SQLITE IDS_ORDER, LIST_PG NARROW_IDS_PG IDS_ORDER));
    else if (f->person_id)
        st = db_stmt(
            d, DB_SQL(d, LIST_SQLITE NARROW_PERSON LIST_ORDER, LIST_PG NARROW_PERSON LIST_ORDER));
    else if (f->account)
        st = db_stmt(
            d, DB_SQL(d, LIST_SQLITE NARROW_ACCOUNT LIST_ORDER, LIST_PG NARROW_ACCOUNT LIST_ORDER));
    else if (f->opportunity)
        st = db_stmt(d, DB_SQL(d, LIST_SQLITE NARROW_OPPORTUNITY LIST_ORDER,
                               LIST_PG NARROW_OPPORTUNITY LIST_ORDER));
    else
        st = db_stmt(d, DB_SQL(d, LIST_SQLITE LIST_ORDER, LIST_PG LIST_ORDER));
    if (!st) {
        free(types);
        free(ids);
        return db_fail(d, "reading the feed");
    }
    db_bind_i64(st, 1, below);
    db_bind_i64(st, 2, f->scope->all ? 1 : 0);
    db_bind_text_ref(st, 3, f->scope->emails_json, -1);
    db_bind_text_ref(st, 4, f->scope->user_ids_json, -1);
    db_bind_i64(st, 5, f->person_id);
    db_bind_text_ref(st, 6, f->account, -1);
    db_bind_text_ref(st, 7, f->opportunity, -1);
    db_bind_text_ref(st, 8, types, -1);
    db_bind_i64(st, 9, f->human_only ? 1 : 0);
    if (by_key)
        db_bind_text_ref(st, 10, ids, -1);
    db_bind_i64(st, by_key ? 11 : 10, (int64_t)limit + 1);
    hail_err e = rows_all(d, st, rows, n, "reading the feed");
    free(types);
    free(ids);
    if (e)
        return e;
    if (*n > (size_t)limit) {
        feed_rows_free(*rows + limit, *n - (size_t)limit);
        *n = (size_t)limit;
        *next = (*rows)[limit - 1].pos.id;
    }
    return HAIL_OK;
}
