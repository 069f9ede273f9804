#include "core/common.h"

#include "store/bestbets.h"

#include <math.h>

#include "core/bestbets.h"
#include "core/timeutil.h"

static const char *const filter_names[] = {"", "leads", "contacts", "account_contacts",
                                           "opportunity_contacts"};

int bestbets_filter_parse(const char *s)
{
    if (!s || !*s)
        return BB_FILTER_ALL;
    for (int i = 1; i < (int)(sizeof filter_names / sizeof *filter_names); i++)
        if (!strcmp(filter_names[i], s))
            return i;
    return -1;
}

#define STATE_COLS                                                                                 \
    "b.rank_key, b.u_sum, b.u_at, b.last_at, b.opens, b.open_at, b.clicks, b.click_at, "           \
    "b.replies, b.reply_at"

/* Who is listed: the owner's active people with no unsubscribe. */
#define LISTED                                                                                     \
    " FROM best_bets b JOIN people p ON p.id = b.person_id"                                        \
    " WHERE b.owner = $1 AND p.active = 1 AND p.deleted = 0"                                       \
    " AND NOT EXISTS (SELECT 1 FROM people_unsubscribed u WHERE u.person_id = b.person_id)"

#define FILTERED                                                                                   \
    " AND (CAST($2 AS BIGINT) = 0"                                                                 \
    " OR (CAST($2 AS BIGINT) = 1 AND coalesce(p.sfdc_lead_id, '') <> ''"                           \
    "   AND coalesce(p.sfdc_contact_id, '') = '')"                                                 \
    " OR (CAST($2 AS BIGINT) = 2 AND coalesce(p.sfdc_contact_id, '') <> '')"                       \
    " OR (CAST($2 AS BIGINT) = 3 AND coalesce(p.sfdc_contact_id, '') <> ''"                        \
    "   AND coalesce(p.sfdc_account_id, '') <> '')"                                                \
    " OR (CAST($2 AS BIGINT) = 4 AND coalesce(p.sfdc_opportunity_id, '') <> ''))"

#define LIST_COLS                                                                                  \
    "SELECT b.person_id, " STATE_COLS ", p.first_name, p.last_name, p.email, p.phone, p.title,"    \
    " p.company, p.owner_email, p.sfdc_lead_id, p.sfdc_contact_id, p.sfdc_account_id,"             \
    " p.sfdc_opportunity_id"

#define ORDER " ORDER BY b.rank_key DESC, b.person_id DESC"

#define FIRST_PAGE LIST_COLS LISTED FILTERED ORDER " LIMIT $3"

const char *bestbets_first_page_sql(void)
{
    return FIRST_PAGE;
}

/* Reads the state columns starting at column i. */
static void read_state(db_st *st, int i, bb_state *s)
{
    memset(s, 0, sizeof *s);
    s->key = db_col_double(st, i);
    s->u_sum = db_col_double(st, i + 1);
    s->u_at = db_col_i64(st, i + 2);
    s->last_at = db_col_i64(st, i + 3);
    for (int k = 0; k < BB_KINDS; k++) {
        s->count[k] = db_col_i64(st, i + 4 + 2 * k);
        s->at[k] = db_col_i64(st, i + 5 + 2 * k);
    }
    s->has = s->count[BB_OPEN] + s->count[BB_CLICK] + s->count[BB_REPLY] > 0;
}

static json_t *text_or_null(db_st *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_string(db_col_text(st, i));
}

static json_t *iso(int64_t us)
{
    if (us <= 0)
        return json_null();
    char b[TIME_ISO_LEN];
    time_format_iso(us, b);
    return json_string(b);
}

static json_t *row_json(db_st *st, double top_key, int64_t now)
{
    bb_state s;
    read_state(st, 1, &s);
    json_t *why = json_array();
    static const bb_kind order[] = {BB_REPLY, BB_CLICK, BB_OPEN};
    for (size_t i = 0; why && i < sizeof order / sizeof *order; i++) {
        bb_kind k = order[i];
        if (s.count[k] > 0)
            json_array_append_new(why, json_pack("{ss sI so}", "type", bb_kind_type(k), "count",
                                                 (json_int_t)s.count[k], "last_at", iso(s.at[k])));
    }
    json_t *person = json_pack(
        "{sI so so so so so so so so so so so}", "id", (json_int_t)db_col_i64(st, 0), "first_name",
        text_or_null(st, 11), "last_name", text_or_null(st, 12), "email", text_or_null(st, 13),
        "phone", text_or_null(st, 14), "title", text_or_null(st, 15), "company",
        text_or_null(st, 16), "owner_email", text_or_null(st, 17), "sfdc_lead_id",
        text_or_null(st, 18), "sfdc_contact_id", text_or_null(st, 19), "sfdc_account_id",
        text_or_null(st, 20), "sfdc_opportunity_id", text_or_null(st, 21));
    double score = round(bb_score(&s, now) * 1000.0) / 1000.0;
    return json_pack("{so si si sf so so}", "person", person, "stars", bb_stars(s.key, top_key),
                     "flames", bb_flames(&s, now), "score", score, "last_at", iso(s.last_at), "why",
                     why);
}

static void lower_ascii(const char *in, char *out, size_t n)
{
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

/* The cursor: "<rank_key>,<person_id>" of the last row shown. */
static int cursor_parse(const char *c, double *key, int64_t *id)
{
    char *end;
    errno = 0;
    *key = strtod(c, &end);
    if (end == c || *end != ',' || errno || !isfinite(*key))
        return 0;
    const char *p = end + 1;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (end == p || *end || errno || v <= 0)
        return 0;
    *id = v;
    return 1;
}

hail_err bestbets_list(db *d, const bestbets_query *q, json_t *out, char next[BESTBETS_CURSOR_MAX])
{
    next[0] = '\0';
    double ckey = 0;
    int64_t cid = 0;
    int first = !q->cursor || !*q->cursor;
    if (!first && !cursor_parse(q->cursor, &ckey, &cid))
        return hail_errf(HAIL_EINVAL, "cursor is not one this list gave");
    char owner[512];
    lower_ascii(q->owner ? q->owner : "", owner, sizeof owner);

    /* The owner's best, for the stars (relative to all their people). */
    db_st *st = db_stmt(d, "SELECT b.rank_key" LISTED ORDER " LIMIT 1");
    if (!st)
        return db_fail(d, "reading Best Bets");
    db_bind_text(st, 1, owner, -1);
    int r = db_step(st);
    double top = r == DB_ROW ? db_col_double(st, 0) : 0;
    db_reset(st);
    if (r == DB_ERROR)
        return db_fail(d, "reading Best Bets");
    if (r == DB_DONE)
        return HAIL_OK;

    st = first ? db_stmt(d, FIRST_PAGE)
               : db_stmt(d, LIST_COLS LISTED FILTERED
                         " AND (b.rank_key, b.person_id) < (CAST($3 AS DOUBLE PRECISION),"
                         " CAST($4 AS BIGINT))" ORDER " LIMIT $5");
    if (!st)
        return db_fail(d, "reading Best Bets");
    db_bind_text(st, 1, owner, -1);
    db_bind_i64(st, 2, q->filter);
    if (first) {
        db_bind_i64(st, 3, q->limit + 1);
    } else {
        db_bind_double(st, 3, ckey);
        db_bind_i64(st, 4, cid);
        db_bind_i64(st, 5, q->limit + 1);
    }
    int n = 0;
    double last_key = 0;
    int64_t last_id = 0;
    while ((r = db_step(st)) == DB_ROW) {
        if (n == q->limit) {
            snprintf(next, BESTBETS_CURSOR_MAX, "%.17g,%lld", last_key, (long long)last_id);
            break;
        }
        json_t *j = row_json(st, top, q->now);
        if (!j || json_array_append_new(out, j)) {
            db_reset(st);
            return hail_errf(HAIL_ENOMEM, "out of memory");
        }
        last_key = db_col_double(st, 1);
        last_id = db_col_i64(st, 0);
        n++;
    }
    db_reset(st);
    if (r == DB_ERROR)
        return db_fail(d, "reading Best Bets");
    return HAIL_OK;
}

hail_err bestbets_covered_users(db *d, const vis_scope *s, json_t *out)
{
#define COVERED_COLS  "SELECT id, name, email, role FROM users WHERE active = 1"
#define COVERED_ORDER " ORDER BY name, id"
/* VIS_USER_IN_SQLITE / _PG written out: unit/test_store reads every
 * statement's SQL from the sources, which function-like macros hide. */
#define COVERED_IN_SQLITE " AND id IN (SELECT value FROM json_each($1))"
#define COVERED_IN_PG                                                                              \
    " AND id IN (SELECT CAST(jsonb_array_elements_text(CAST($1 AS jsonb)) AS BIGINT))"
    db_st *st = s->all ? db_stmt(d, COVERED_COLS COVERED_ORDER)
                       : db_stmt(d, DB_SQL(d, COVERED_COLS COVERED_IN_SQLITE COVERED_ORDER,
                                           COVERED_COLS COVERED_IN_PG COVERED_ORDER));
    if (!st)
        return db_fail(d, "listing users");
    if (!s->all)
        db_bind_text(st, 1, s->user_ids_json, -1);
    int r;
    while ((r = db_step(st)) == DB_ROW) {
        json_t *u =
            json_pack("{sI ss ss ss}", "id", (json_int_t)db_col_i64(st, 0), "name",
                      db_col_text(st, 1), "email", db_col_text(st, 2), "role", db_col_text(st, 3));
        if (!u || json_array_append_new(out, u)) {
            db_reset(st);
            return hail_errf(HAIL_ENOMEM, "out of memory");
        }
    }
    db_reset(st);
    return r == DB_ERROR ? db_fail(d, "listing users") : HAIL_OK;
}

static void bind_time(db_st *st, int i, int64_t t)
{
    if (t > 0)
        db_bind_i64(st, i, t);
    else
        db_bind_null(st, i);
}

hail_err bestbets_on_event(db *d, int64_t person_id, const char *type, int64_t occurred_at,
                           int machine)
{
    int k = bb_kind_of(type);
    if (machine || k < 0)
        return HAIL_OK; /* machine events never raise a score */
    /* The row, made if needed and locked (PostgreSQL: the upsert locks it). */
    db_st *st = db_stmt(
        d, "INSERT INTO best_bets (person_id, owner, rank_key, u_sum, u_at, last_at, opens, "
           "clicks, replies) SELECT id, lower(coalesce(owner_email, '')), 0, 0, 0, 0, 0, 0, 0 "
           "FROM people WHERE id = $1 ON CONFLICT (person_id) DO UPDATE SET owner = excluded.owner"
           " RETURNING rank_key, u_sum, u_at, last_at, opens, open_at, clicks, click_at, "
           "replies, reply_at");
    if (!st)
        return db_fail(d, "updating Best Bets");
    db_bind_i64(st, 1, person_id);
    int r = db_step(st);
    bb_state s;
    if (r == DB_ROW) {
        /* read_state reads columns with the b. prefix's order */
        read_state(st, 0, &s);
    }
    db_reset(st);
    if (r == DB_ERROR)
        return db_fail(d, "updating Best Bets");
    if (r == DB_DONE)
        return HAIL_OK; /* no such person */
    bb_add(&s, (bb_kind)k, occurred_at);
    st = db_stmt(d, "UPDATE best_bets SET rank_key = $1, u_sum = $2, u_at = $3, last_at = $4,"
                    " opens = $5, open_at = $6, clicks = $7, click_at = $8, replies = $9,"
                    " reply_at = $10 WHERE person_id = $11");
    if (!st)
        return db_fail(d, "updating Best Bets");
    db_bind_double(st, 1, s.key);
    db_bind_double(st, 2, s.u_sum);
    db_bind_i64(st, 3, s.u_at);
    db_bind_i64(st, 4, s.last_at);
    for (int i = 0; i < BB_KINDS; i++) {
        db_bind_i64(st, 5 + 2 * i, s.count[i]);
        bind_time(st, 6 + 2 * i, s.at[i]);
    }
    db_bind_i64(st, 11, person_id);
    return db_step_done(d, st, "updating Best Bets");
}

/* One pass over the human scored events, grouped by person: the sums of
 * core/bestbets.h decayed to now ($2), the rank key as ln(S(now)) plus the
 * key of now ($1), counts and newest times per kind. A term is never less
 * than 2^-1000 of its weight (PostgreSQL refuses an underflow): an event
 * that old weighs nothing anyway. */
#define W_CASE                                                                                     \
    "(CASE a.type WHEN 'email_open' THEN CAST($3 AS DOUBLE PRECISION)"                             \
    " WHEN 'email_click' THEN CAST($4 AS DOUBLE PRECISION)"                                        \
    " ELSE CAST($5 AS DOUBLE PRECISION) END)"
#define REBUILD_A                                                                                  \
    "INSERT INTO best_bets (person_id, owner, rank_key, u_sum, u_at, last_at, opens, open_at,"     \
    " clicks, click_at, replies, reply_at)"                                                        \
    " SELECT g.pid, lower(coalesce(p.owner_email, '')), ln(g.s) + CAST($1 AS DOUBLE PRECISION),"   \
    " g.u, CAST($2 AS BIGINT), g.last_at, g.o, g.o_at, g.c, g.c_at, g.r, g.r_at"                   \
    " FROM (SELECT a.person_id AS pid,"                                                            \
    " sum(" W_CASE " * power(2.0, "
#define REBUILD_B                                                                                  \
    "((a.occurred_at - CAST($2 AS BIGINT)) / CAST($6 AS DOUBLE PRECISION), -1000.0))) AS s,"       \
    " sum(" W_CASE " * power(2.0, "
#define REBUILD_C                                                                                  \
    "((a.occurred_at - CAST($2 AS BIGINT)) / CAST($7 AS DOUBLE PRECISION), -1000.0))) AS u,"       \
    " max(a.occurred_at) AS last_at,"                                                              \
    " sum(CASE WHEN a.type = 'email_open' THEN 1 ELSE 0 END) AS o,"                                \
    " max(CASE WHEN a.type = 'email_open' THEN a.occurred_at END) AS o_at,"                        \
    " sum(CASE WHEN a.type = 'email_click' THEN 1 ELSE 0 END) AS c,"                               \
    " max(CASE WHEN a.type = 'email_click' THEN a.occurred_at END) AS c_at,"                       \
    " sum(CASE WHEN a.type = 'email_reply' THEN 1 ELSE 0 END) AS r,"                               \
    " max(CASE WHEN a.type = 'email_reply' THEN a.occurred_at END) AS r_at"                        \
    " FROM activities a WHERE a.person_id >= CAST($8 AS BIGINT)"                                   \
    " AND a.person_id < CAST($9 AS BIGINT) AND a.machine = 0"                                      \
    " AND a.type IN ('email_open', 'email_click', 'email_reply')"                                  \
    " GROUP BY "
#define REBUILD_D ") g JOIN people p ON p.id = g.pid WHERE g.s > 0"
/* Both group by person_id along activities_insight (person_id, occurred_at,
 * type, machine: every column read here), so SQLite reads that index alone,
 * in order, with no sort and no table lookups (EXPLAIN in test_bestbets). */
#define REBUILD_SQLITE REBUILD_A "max" REBUILD_B "max" REBUILD_C "a.person_id" REBUILD_D
#define REBUILD_PG     REBUILD_A "greatest" REBUILD_B "greatest" REBUILD_C "a.person_id" REBUILD_D

const char *bestbets_rebuild_sql(db *d)
{
    return DB_SQL(d, REBUILD_SQLITE, REBUILD_PG);
}

/* PostgreSQL: a rebuild's transaction keeps activity_record's updates of
 * best_bets (ROW EXCLUSIVE) out until it commits, and waits for those in
 * flight: an event committed before the lock is in the rebuild's reads (its
 * row's update is replaced), one committed after adds itself to the rebuilt
 * row, so none is counted twice or lost. Readers are not held up. SQLite:
 * BEGIN IMMEDIATE already serializes writers. */
static hail_err lock_for_rebuild(db *d)
{
    if (db_engine_of(d) != DB_POSTGRES)
        return HAIL_OK;
    return db_exec(d, "LOCK TABLE best_bets IN EXCLUSIVE MODE");
}

/* Rows for the people with ids in [lo, hi) recomputed from the log, inside
 * the caller's transaction; *n gets how many it wrote. */
static hail_err rebuild_range(db *d, int64_t now, int64_t lo, int64_t hi, int64_t *n)
{
    db_st *st = db_stmt(d, "DELETE FROM best_bets WHERE person_id >= $1 AND person_id < $2");
    if (!st)
        return db_fail(d, "rebuilding Best Bets");
    db_bind_i64(st, 1, lo);
    db_bind_i64(st, 2, hi);
    hail_err e = db_step_done(d, st, "rebuilding Best Bets");
    if (e)
        return e;
    st = db_stmt(d, DB_SQL(d, REBUILD_SQLITE, REBUILD_PG));
    if (!st)
        return db_fail(d, "rebuilding Best Bets");
    db_bind_double(st, 1, bb_time_key(now, BB_HALF_LIFE_US));
    db_bind_i64(st, 2, now);
    db_bind_double(st, 3, bb_weight(BB_OPEN));
    db_bind_double(st, 4, bb_weight(BB_CLICK));
    db_bind_double(st, 5, bb_weight(BB_REPLY));
    db_bind_double(st, 6, (double)BB_HALF_LIFE_US);
    db_bind_double(st, 7, (double)BB_URGENT_HALF_LIFE_US);
    db_bind_i64(st, 8, lo);
    db_bind_i64(st, 9, hi);
    if ((e = db_step_done(d, st, "rebuilding Best Bets")))
        return e;
    *n = db_changes(d);
    return HAIL_OK;
}

hail_err bestbets_rebuild(db *d, int64_t now, int64_t *people)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    int64_t n = 0;
    /* Everything, so a catch-up in progress (bestbets_catchup_step) is done too. */
    if ((e = lock_for_rebuild(d)) || (e = rebuild_range(d, now, 0, INT64_MAX, &n)) ||
        (e = db_kv_del(d, BESTBETS_CATCHUP_KEY))) {
        db_rollback(d);
        return e;
    }
    if ((e = db_commit(d)))
        return e;
    if (people)
        *people = n;
    return HAIL_OK;
}

/* A scored human event in the log (the first one found). */
#define ANY_SCORED                                                                                 \
    "SELECT 1 FROM activities WHERE machine = 0"                                                   \
    " AND type IN ('email_open', 'email_click', 'email_reply') LIMIT 1"

/* Begins a transaction that holds the rebuild lock and reads the catch-up's
 * position (*pos NULL: none in progress); rolled back on error. */
static hail_err begin_catchup(db *d, char **pos)
{
    *pos = NULL;
    hail_err e = db_begin(d);
    if (e)
        return e;
    if ((e = lock_for_rebuild(d)) || (e = db_kv_get(d, BESTBETS_CATCHUP_KEY, pos)))
        db_rollback(d);
    return e;
}

hail_err bestbets_catchup_due(db *d, int64_t *from, int *due)
{
    *due = 0;
    *from = 0;
    char *v;
    hail_err e = begin_catchup(d, &v);
    if (e)
        return e;
    if (v) { /* one in progress: resume it */
        *from = strtoll(v, NULL, 10);
        free(v);
        *due = 1;
        db_rollback(d);
        return HAIL_OK;
    }
    /* The log is looked at only when best_bets is empty. */
    db_st *st = db_stmt(d, "SELECT CASE WHEN EXISTS (SELECT 1 FROM best_bets) THEN 0"
                           " WHEN EXISTS (" ANY_SCORED ") THEN 1 ELSE 0 END");
    if (!st) {
        e = db_fail(d, "checking Best Bets");
        db_rollback(d);
        return e;
    }
    int r = db_step(st);
    int start = r == DB_ROW && db_col_i64(st, 0) == 1;
    db_reset(st);
    if (r != DB_ROW) {
        e = db_fail(d, "checking Best Bets");
        db_rollback(d);
        return e;
    }
    if (!start) {
        db_rollback(d);
        return HAIL_OK;
    }
    /* Scored events and no state: a database upgraded to schema 7 (or state
     * lost). The marker makes the work survive a restart until it is done. */
    if ((e = db_kv_set(d, BESTBETS_CATCHUP_KEY, "0")) || (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    *due = 1;
    return HAIL_OK;
}

hail_err bestbets_catchup_step(db *d, int64_t now, int64_t chunk, bestbets_step *out)
{
    memset(out, 0, sizeof *out);
    char *v;
    hail_err e = begin_catchup(d, &v);
    if (e)
        return e;
    if (!v) { /* done meanwhile (another node, or hail bestbets rebuild) */
        db_rollback(d);
        out->done = 1;
        return HAIL_OK;
    }
    int64_t lo = strtoll(v, NULL, 10), hi = INT64_MAX;
    free(v);
    /* The range ends at the person holding the chunk-th activity after lo
     * (activities_insight, in person order), so a step reads about chunk
     * index entries whatever the ids' spread; a person with more than that
     * is a step alone. */
    db_st *st = db_stmt(d, "SELECT person_id FROM activities WHERE person_id >= $1"
                           " ORDER BY person_id LIMIT 1 OFFSET $2");
    if (!st) {
        e = db_fail(d, "rebuilding Best Bets");
        db_rollback(d);
        return e;
    }
    db_bind_i64(st, 1, lo);
    db_bind_i64(st, 2, chunk > 0 ? chunk : 1);
    int r = db_step(st);
    if (r == DB_ROW) {
        hi = db_col_i64(st, 0);
        if (hi <= lo)
            hi = lo + 1;
    }
    db_reset(st);
    if (r == DB_ERROR) {
        e = db_fail(d, "rebuilding Best Bets");
        db_rollback(d);
        return e;
    }
    char next[24];
    snprintf(next, sizeof next, "%lld", (long long)hi);
    if ((e = rebuild_range(d, now, lo, hi, &out->people)) ||
        (e = hi == INT64_MAX ? db_kv_del(d, BESTBETS_CATCHUP_KEY)
                             : db_kv_set(d, BESTBETS_CATCHUP_KEY, next)) ||
        (e = db_commit(d))) {
        db_rollback(d);
        return e;
    }
    out->next = hi;
    out->done = hi == INT64_MAX;
    return HAIL_OK;
}
