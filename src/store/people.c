#include "core/common.h"

#include "store/people.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cadence.h"
#include "core/fold.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "store/accounts.h"
#include "store/db_sqlite.h"
#include "store/people_keys.h"
#include "store/schema.h"

const char *const person_marketo_field[PF_COUNT] = {
    "firstName",
    "lastName",
    "email",
    "phone",
    "title",
    "company",
    "leadSource",
    "linkedInProfileURL",
    "sfdcLeadId",
    "sfdcContactId",
    "sfdcAccountId",
    "sfdcOpptyId",
    "leadOwnerEmailAddress",
    "timeZone",
};

const char *const person_json_field[PF_COUNT] = {
    "first_name",   "last_name",       "email",           "phone",
    "title",        "company",         "source",          "linkedin_url",
    "sfdc_lead_id", "sfdc_contact_id", "sfdc_account_id", "sfdc_opportunity_id",
    "owner_email",  "time_zone",
};

int person_field_by_marketo_name(const char *name, size_t len)
{
    for (int i = 0; i < PF_COUNT; i++)
        if (strlen(person_marketo_field[i]) == len &&
            memcmp(person_marketo_field[i], name, len) == 0)
            return i;
    if (len == 9 && memcmp(name, "time_zone", 9) == 0)
        return PF_TIME_ZONE;
    return -1;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* Fast path: eight ASCII bytes (no NUL) at a time. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & UINT64_C(0x8080808080808080)) ||
                ((w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080)))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c == 0)
                return 0;
            i++;
            continue;
        }
        size_t k;
        unsigned cp;
        if ((c & 0xE0) == 0xC0) {
            k = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        /* reject overlong forms, surrogates and out-of-range code points */
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return 0;
        i += k + 1;
    }
    return 1;
}

hail_err person_in_validate(const person_in *p)
{
    if (p->marketo_id <= 0)
        return hail_errf(HAIL_EINVAL, "id must be a positive integer");
    for (int i = 0; i < PF_COUNT; i++) {
        if (!p->f[i])
            continue;
        if (p->len[i] > PERSON_FIELD_MAX)
            return hail_errf(HAIL_EINVAL, "%s is longer than %d bytes", person_marketo_field[i],
                             PERSON_FIELD_MAX);
        if (!utf8_valid((const unsigned char *)p->f[i], p->len[i]))
            return hail_errf(HAIL_EINVAL, "%s is not valid UTF-8", person_marketo_field[i]);
    }
    return HAIL_OK;
}

int person_in_check_time_zone(person_in *p, char *warn, size_t warnsize)
{
    const char *v = p->f[PF_TIME_ZONE];
    size_t n = p->len[PF_TIME_ZONE];
    char name[72];
    if (!v || n == 0)
        return 0;
    if (n < sizeof name) {
        memcpy(name, v, n);
        name[n] = '\0';
        if (tz_valid(name))
            return 0;
    }
    snprintf(warn, warnsize,
             "unknown time zone '%.*s%s' (not in the system's tz database; an IANA name such "
             "as Europe/Berlin is expected): stored as null",
             (int)(n > 64 ? 64 : n), v, n > 64 ? "…" : "");
    p->f[PF_TIME_ZONE] = NULL;
    p->len[PF_TIME_ZONE] = 0;
    return 1;
}

/* ---- search keys ----
 *
 * people_search holds, for each active person, the distinct folded keys
 * "first last", "last", email and company (core/fold.h), cut to
 * SEARCH_KEY_MAX bytes. A prefix search is one range scan of its primary key
 * in (key, person_id) order: a page costs O(page), however many match. A
 * person matching through two keys is listed once, under the smallest of its
 * keys that match (search_accept). */

/* Cuts a folded key to at most SEARCH_KEY_MAX bytes at a character boundary. */
size_t people_cut_key(const char *k, size_t n)
{
    if (n <= SEARCH_KEY_MAX)
        return n;
    n = SEARCH_KEY_MAX;
    while (n > 0 && ((unsigned char)k[n] & 0xC0) == 0x80)
        n--;
    while (n > 0 && k[n - 1] == ' ')
        n--;
    return n;
}

/* Folds a (and " " b) into out; returns the length (0 = no key). */
static size_t fold_pair(const char *a, size_t alen, const char *b, size_t blen, char *out)
{
    char in[FOLD_BUF];
    size_t n = 0;
    if (a && alen) {
        memcpy(in, a, alen);
        n = alen;
    }
    if (b && blen) {
        if (n)
            in[n++] = ' ';
        memcpy(in + n, b, blen);
        n += blen;
    }
    return n ? fold_key(in, n, out) : 0;
}

static void add_key(search_keys *k, const char *a, size_t alen, const char *b, size_t blen)
{
    char *dst = k->full[k->n];
    size_t n = fold_pair(a, alen, b, blen, dst);
    if (n == 0)
        return;
    size_t cut = people_cut_key(dst, n);
    /* The same value twice (a company named like the person) is one key; two
     * values sharing only their cut are both kept, so each full value is
     * checked against a long query (they share one people_search row). */
    for (int i = 0; i < k->n; i++)
        if (k->full_len[i] == n && memcmp(k->full[i], dst, n) == 0)
            return;
    k->full_len[k->n] = n;
    k->len[k->n] = cut;
    k->n++;
}

/* The keys of a person given as field values (first, last, email, company). */
void people_keys(search_keys *k, const char *const v[4], const size_t len[4])
{
    k->n = 0;
    add_key(k, v[0], len[0], v[1], len[1]);
    add_key(k, v[1], len[1], NULL, 0);
    add_key(k, v[2], len[2], NULL, 0);
    add_key(k, v[3], len[3], NULL, 0);
}

static void person_in_keys(search_keys *k, const person_in *p)
{
    const char *v[4] = {p->f[PF_FIRST_NAME], p->f[PF_LAST_NAME], p->f[PF_EMAIL], p->f[PF_COMPANY]};
    size_t len[4] = {p->len[PF_FIRST_NAME], p->len[PF_LAST_NAME], p->len[PF_EMAIL],
                     p->len[PF_COMPANY]};
    for (int i = 0; i < 4; i++)
        if (!v[i])
            len[i] = 0;
    people_keys(k, v, len);
}

/* SQL function hail_search_key(a [, b]): the cut folded key of a (and " " b),
 * or NULL. Used to rebuild people_search in one statement after a bulk load. */
static void sql_search_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *a = (const char *)sqlite3_value_text(argv[0]);
    size_t alen = a ? (size_t)sqlite3_value_bytes(argv[0]) : 0;
    const char *b = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
    size_t blen = b ? (size_t)sqlite3_value_bytes(argv[1]) : 0;
    if (alen > PERSON_FIELD_MAX || blen > PERSON_FIELD_MAX) {
        sqlite3_result_error(ctx, "hail_search_key: value too long", -1);
        return;
    }
    char out[FOLD_BUF];
    size_t n = people_cut_key(out, fold_pair(a, alen, b, blen, out));
    if (n == 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_text(ctx, out, (int)n, SQLITE_TRANSIENT);
}

hail_err people_register_functions(sqlite3 *h)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    if (sqlite3_create_function_v2(h, "hail_search_key", 1, flags, NULL, sql_search_key, NULL, NULL,
                                   NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(h, "hail_search_key", 2, flags, NULL, sql_search_key, NULL, NULL,
                                   NULL) != SQLITE_OK)
        return hail_errf(HAIL_EDB, "cannot register SQL functions: %s", sqlite3_errmsg(h));
    return HAIL_OK;
}

static hail_err search_write(db *d, const search_keys *k, int64_t id, int add)
{
    db_st *st = add ? db_stmt(d, "INSERT INTO people_search (key, person_id)"
                                 " VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    : db_stmt(d, "DELETE FROM people_search WHERE key = $1"
                                 " AND person_id = $2");
    if (!st)
        return HAIL_EDB;
    for (int i = 0; i < k->n; i++) {
        db_bind_text_ref(st, 1, k->full[i], (int)k->len[i]);
        db_bind_i64(st, 2, id);
        hail_err e = db_step_done(d, st, "people: search keys");
        if (e)
            return e;
    }
    return HAIL_OK;
}

/* ---- writing ---- */

/* PostgreSQL, a bulk load into an empty table: the records waiting for the
 * next COPY (their field bytes in arena). */
typedef struct pg_rec {
    int64_t marketo_id;
    size_t off[PF_COUNT];
    size_t len[PF_COUNT];
    unsigned nulls; /* bit i: field i is null */
} pg_rec;

struct people_writer {
    db *d;
    unsigned flags;
    int empty_at_start; /* table was empty: inserts need no lookup */
    int bulk;           /* a bulk load into an empty table */
    int keys_later;     /* SQLite bulk: search keys skipped, built at close
                           (PostgreSQL bulk: COPY'd with their rows) */
    int pg;             /* the database is PostgreSQL */
    people_stats st;
    /* PostgreSQL bulk: records not yet sent (pg_flush) */
    pg_rec *recs;
    size_t nrecs, caprecs;
    buf arena, copy, ids;
    db_st *ids_st;            /* takes a batch's ids */
    int stage;                /* PostgreSQL bulk into a non-empty table: batches
                                 through people_stage (stage_flush) */
    db_st *merge_st;          /* stage_flush's upsert */
    uint32_t *slot;           /* the batch's records by Marketo id (stage) */
    people_writer *next_bulk; /* bulk_writers */
};

/* The open bulk writers, so that a transaction hook (which gets only the
 * connection) finds its writer: at most one per connection. */
static pthread_mutex_t bulk_mu = PTHREAD_MUTEX_INITIALIZER;
static people_writer *bulk_writers;

static void bulk_register(people_writer *w, int on)
{
    pthread_mutex_lock(&bulk_mu);
    people_writer **at = &bulk_writers;
    while (*at && *at != w)
        at = &(*at)->next_bulk;
    if (on && !*at) {
        w->next_bulk = NULL;
        *at = w;
    } else if (!on && *at) {
        *at = w->next_bulk;
    }
    pthread_mutex_unlock(&bulk_mu);
}

static people_writer *bulk_writer_of(db *d)
{
    pthread_mutex_lock(&bulk_mu);
    people_writer *w = bulk_writers;
    while (w && w->d != d)
        w = w->next_bulk;
    pthread_mutex_unlock(&bulk_mu);
    return w;
}

static hail_err pg_flush(people_writer *w);
static hail_err stage_open(people_writer *w);

/* PostgreSQL, a bulk writer into a non-empty table: the waiting records go
 * in before each commit. */
static hail_err stage_tx_hook(db *d, int begin)
{
    people_writer *w = begin ? NULL : bulk_writer_of(d);
    return w ? pg_flush(w) : HAIL_OK;
}

/* PostgreSQL: the statement that takes a batch's ids from the sequence of
 * people.id, named in its text (a call of pg_get_serial_sequence per row
 * costs ~5x the nextval). */
static hail_err pg_ids_prepare(people_writer *w)
{
    db_st *st = db_prepare(w->d, "SELECT pg_get_serial_sequence('people', 'id')");
    const char *seq = st && db_step(st) == DB_ROW ? db_col_text(st, 0) : NULL;
    hail_err e = HAIL_OK;
    buf sql = BUF_INIT(SIZE_MAX);
    if (!seq) {
        e = db_fail(w->d, "people: ids");
    } else {
        e = buf_puts(&sql, "SELECT nextval('");
        for (const char *c = seq; !e && *c; c++)
            e = *c == '\'' ? buf_puts(&sql, "''") : buf_putc(&sql, *c);
        if (!e)
            e = buf_puts(&sql, "') FROM generate_series(1, CAST($1 AS BIGINT))");
    }
    db_st_free(st);
    if (!e && !(w->ids_st = db_prepare(w->d, buf_cstr(&sql))))
        e = db_fail(w->d, "people: ids");
    buf_release(&sql);
    return e;
}

/* PostgreSQL: a bulk writer's transactions say so to the account_companies
 * triggers with the setting hail.bulk (SET LOCAL: it ends with the
 * transaction, and no other session sees it). Before each commit the rows
 * still waiting for their COPY go in, so whoever commits (the full sync
 * saves its checkpoints itself) commits them too, with the mark that the
 * counts are to be rebuilt. The search keys go in with their rows. */
static hail_err bulk_tx_hook_pg(db *d, int begin)
{
    if (begin)
        return db_exec(d, "SET LOCAL hail.bulk = 'on';");
    people_writer *w = bulk_writer_of(d);
    hail_err e = w ? pg_flush(w) : HAIL_OK;
    if (!e)
        e = db_kv_set(d, ACCOUNTS_DIRTY_KEY, "");
    return e;
}

/* A bulk writer's transactions (db_set_tx_hook): PEOPLE_BULK_TX_KEY from
 * BEGIN to just before COMMIT, so the account_companies triggers skip its
 * writes while another connection's still count (it never sees the row);
 * committed with its rows, the marks that the search keys and the counts
 * are to be rebuilt (the latter from the first account on). A crash leaves
 * the marks, and no transaction mark: the next open rebuilds. */
static hail_err bulk_tx_hook(db *d, int begin)
{
    if (begin)
        return db_kv_set(d, PEOPLE_BULK_TX_KEY, "1");
    hail_err e = db_kv_del(d, PEOPLE_BULK_TX_KEY);
    if (!e)
        e = db_kv_set(d, PEOPLE_BULK_KEY, "1");
    if (!e)
        e = db_kv_set(d, ACCOUNTS_DIRTY_KEY, "");
    return e;
}

hail_err people_writer_open(db *d, unsigned flags, people_writer **out)
{
    *out = NULL;
    people_writer *w = calloc(1, sizeof *w);
    if (!w)
        return HAIL_ENOMEM;
    w->d = d;
    w->flags = flags;
    w->pg = db_engine_of(d) == DB_POSTGRES;
    buf_init(&w->arena, SIZE_MAX);
    buf_init(&w->copy, SIZE_MAX);
    buf_init(&w->ids, SIZE_MAX);
    hail_err e = db_begin(d);
    if (e) {
        free(w);
        return e;
    }
    db_st *st = db_stmt(d, "SELECT EXISTS (SELECT 1 FROM people)");
    if (!st || db_step(st) != DB_ROW) {
        e = db_fail(d, "people: count");
        goto fail;
    }
    w->empty_at_start = db_col_int(st, 0) == 0;
    db_reset(st);
    if ((flags & PW_BULK) && w->empty_at_start && w->pg) {
        /* Rows go in with COPY, a batch at a time, their search keys with
         * them; the counts are rebuilt at the end. */
        if ((e = db_exec(d, "DELETE FROM people_search;")) || (e = bulk_tx_hook_pg(d, 1)))
            goto fail;
        if ((e = pg_ids_prepare(w)))
            goto fail;
        bulk_register(w, 1);
        db_set_tx_hook(d, bulk_tx_hook_pg);
        w->bulk = 1;
    } else if ((flags & PW_BULK) && w->pg) {
        /* Not empty: batches are COPY'd into a staging table and merged
         * with one upsert each (the triggers count as for any writer). */
        if ((e = stage_open(w)))
            goto fail;
        bulk_register(w, 1);
        db_set_tx_hook(d, stage_tx_hook);
        w->stage = 1;
    } else if ((flags & PW_BULK) && w->empty_at_start) {
        /* The flag is committed with the first rows: an interrupted bulk load
         * leaves it set, and the next open rebuilds what was skipped. No
         * search key can be of use (their people are gone). The
         * account/opportunity/owner indexes stay: kept up row by row, in
         * short transactions, they cost ~6% more CPU, while a CREATE INDEX
         * at the end would hold the write lock as long as it takes to sort
         * the whole table. */
        if ((e = db_exec(d, "DELETE FROM people_search;")) ||
            (e = db_kv_set(d, PEOPLE_BULK_KEY, "1")) || (e = bulk_tx_hook(d, 1)))
            goto fail;
        /* From here on every transaction of this connection carries the
         * mark that silences the account_companies triggers, and every
         * commit the marks of what is left to rebuild, whoever commits
         * (the full sync commits itself between checkpoints). */
        db_set_tx_hook(d, bulk_tx_hook);
        w->bulk = w->keys_later = 1;
    }
    *out = w;
    return HAIL_OK;
fail:
    db_rollback(d);
    db_st_free(w->ids_st);
    db_st_free(w->merge_st);
    free(w->slot);
    buf_release(&w->arena);
    buf_release(&w->copy);
    buf_release(&w->ids);
    free(w);
    return e;
}

hail_err people_writer_flush(people_writer *w)
{
    return w->nrecs ? pg_flush(w) : HAIL_OK;
}

const people_stats *people_writer_stats(const people_writer *w)
{
    return &w->st;
}

db *people_writer_db(people_writer *w)
{
    return w->d;
}

static int nonempty(const person_in *p, int f)
{
    return p->f[f] && p->len[f] > 0;
}

/* Binds the PF_COUNT fields at 1..14 and active at 15. */
static void bind_person(db_st *st, const person_in *p)
{
    for (int i = 0; i < PF_COUNT; i++) {
        if (p->f[i] && p->len[i] > 0)
            db_bind_text_ref(st, i + 1, p->f[i], (int)p->len[i]);
        else
            db_bind_null(st, i + 1);
    }
    db_bind_i64(st, PF_COUNT + 1, nonempty(p, PF_OWNER_EMAIL));
}

static const char sql_insert[] =
    "INSERT INTO people (first_name, last_name, email, phone, title, company, source,"
    " linkedin_url, sfdc_lead_id, sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id,"
    " owner_email, time_zone, active, marketo_id, created_at, updated_at, deleted)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, 0)"
    " RETURNING id";

static const char sql_update[] =
    "UPDATE people SET first_name = $1, last_name = $2, email = $3, phone = $4, title = $5,"
    " company = $6, source = $7, linkedin_url = $8, sfdc_lead_id = $9, sfdc_contact_id = $10,"
    " sfdc_account_id = $11, sfdc_opportunity_id = $12, owner_email = $13, time_zone = $14,"
    " active = $15, updated_at = $16, deleted = 0 WHERE id = $17";

static const char sql_lookup[] =
    "SELECT active, deleted, first_name, last_name, email, phone, title, company, source,"
    " linkedin_url, sfdc_lead_id, sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id,"
    " owner_email, time_zone, id FROM people WHERE marketo_id = $1";

/* What is stored for a Marketo id. */
typedef struct existing {
    int found, same, active;
    int64_t id;
    search_keys keys; /* of the stored row, when active */
} existing;

static hail_err lookup(people_writer *w, const person_in *p, existing *x)
{
    x->found = x->same = 0;
    db_st *st = db_stmt(w->d, sql_lookup);
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, p->marketo_id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE ? HAIL_OK : db_fail(w->d, "people: lookup");
    }
    x->found = 1;
    x->id = db_col_i64(st, PF_COUNT + 2);
    x->active = db_col_int(st, 0);
    int same = db_col_int(st, 1) == 0 && x->active == nonempty(p, PF_OWNER_EMAIL);
    for (int i = 0; same && i < PF_COUNT; i++) {
        const char *v = db_col_text(st, i + 2);
        size_t vl = (size_t)db_col_bytes(st, i + 2);
        int in_null = !p->f[i] || p->len[i] == 0;
        if (!v)
            same = in_null;
        else
            same = !in_null && vl == p->len[i] && memcmp(v, p->f[i], vl) == 0;
    }
    x->same = same;
    x->keys.n = 0;
    if (!same && x->active && !w->keys_later) {
        static const int cols[4] = {PF_FIRST_NAME, PF_LAST_NAME, PF_EMAIL, PF_COMPANY};
        const char *v[4];
        size_t len[4];
        for (int i = 0; i < 4; i++) {
            v[i] = db_col_text(st, cols[i] + 2);
            len[i] = v[i] ? (size_t)db_col_bytes(st, cols[i] + 2) : 0;
        }
        people_keys(&x->keys, v, len);
    }
    db_reset(st);
    return HAIL_OK;
}

static hail_err pg_add(people_writer *w, const person_in *p);

hail_err people_writer_put(people_writer *w, const person_in *p)
{
    hail_err e = person_in_validate(p);
    return e ? e : people_writer_put_valid(w, p);
}

/* One record, inserted or compared and updated (the per-row path). */
static hail_err put_row(people_writer *w, const person_in *p)
{
    hail_err e;
    int64_t now = time_now_us();
    int active = nonempty(p, PF_OWNER_EMAIL);
    existing x = {0};
    /* PostgreSQL: a failed insert would end the transaction, so always look
     * first (SQLite: an empty table needs no look until an insert fails). */
    if ((!w->empty_at_start || w->pg) && (e = lookup(w, p, &x)))
        return e;
    if (x.found && x.same) {
        w->st.unchanged++;
        return HAIL_OK;
    }
    search_keys keys;
    if (!x.found) {
        db_st *st = db_stmt(w->d, sql_insert);
        if (!st)
            return HAIL_EDB;
        bind_person(st, p);
        db_bind_i64(st, PF_COUNT + 2, p->marketo_id);
        db_bind_i64(st, PF_COUNT + 3, now);
        int rc = db_step(st);
        int64_t id = rc == DB_ROW ? db_col_i64(st, 0) : 0;
        db_reset(st);
        if (rc == DB_ROW) {
            w->st.inserted++;
            if (active && !w->keys_later) {
                person_in_keys(&keys, p);
                return search_write(w->d, &keys, id, 1);
            }
            return HAIL_OK;
        }
        if (db_last_error(w->d) != DB_ERR_UNIQUE)
            return db_fail(w->d, "people: insert");
        /* The same id twice in one load: compare and update like any other. */
        if ((e = lookup(w, p, &x)))
            return e;
        if (x.same) {
            w->st.unchanged++;
            return HAIL_OK;
        }
    }
    db_st *st = db_stmt(w->d, sql_update);
    if (!st)
        return HAIL_EDB;
    bind_person(st, p);
    db_bind_i64(st, PF_COUNT + 2, now);
    db_bind_i64(st, PF_COUNT + 3, x.id);
    if ((e = db_step_done(w->d, st, "people: update")))
        return e;
    w->st.updated++;
    if (x.active && !active)
        w->st.deactivated++;
    if (w->keys_later)
        return HAIL_OK;
    if ((e = search_write(w->d, &x.keys, x.id, 0)))
        return e;
    if (!active)
        return HAIL_OK;
    person_in_keys(&keys, p);
    return search_write(w->d, &keys, x.id, 1);
}

hail_err people_writer_put_valid(people_writer *w, const person_in *p)
{
    w->st.seen++;
    return (w->pg && w->bulk) || w->stage ? pg_add(w, p) : put_row(w, p);
}

/* ---- PostgreSQL: the bulk load into an empty table ----
 *
 * Records wait in the writer (their bytes in an arena) until PG_BATCH_ROWS
 * of them or PG_BATCH_BYTES are there, or a commit comes (the transaction
 * hook): then ids are taken from the table's sequence (so a writer beside
 * this one never gets the same), the rows go in with one COPY into people,
 * and their search keys (people_keys, as on SQLite) with one COPY into
 * people_search. The batch runs under a savepoint: the same Marketo id
 * twice (in one batch, or in two) fails the COPY on the unique marketo_id,
 * and the batch is then written again record by record (insert or compare
 * and update, like any other writer). */

#define PG_BATCH_ROWS  4096
#define PG_BATCH_BYTES (4u << 20)

static const char sql_pg_copy_people[] =
    "COPY people (id, marketo_id, first_name, last_name, email, phone, title, company, source,"
    " linkedin_url, sfdc_lead_id, sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id,"
    " owner_email, time_zone, active, deleted, created_at, updated_at) FROM STDIN";
static const char sql_pg_copy_search[] = "COPY people_search (key, person_id) FROM STDIN";

static uint32_t *stage_slot(people_writer *w, int64_t marketo_id);

static hail_err pg_add(people_writer *w, const person_in *p)
{
    if (w->stage && *stage_slot(w, p->marketo_id)) {
        /* Twice in one batch: the first goes in first (one upsert cannot
         * change a row twice). */
        hail_err e = pg_flush(w);
        if (e)
            return e;
    }
    if (w->nrecs == w->caprecs) {
        size_t cap = w->caprecs ? w->caprecs * 2 : 256;
        pg_rec *r = realloc(w->recs, cap * sizeof *r);
        if (!r)
            return HAIL_ENOMEM;
        w->recs = r;
        w->caprecs = cap;
    }
    pg_rec *r = &w->recs[w->nrecs];
    r->marketo_id = p->marketo_id;
    r->nulls = 0;
    for (int i = 0; i < PF_COUNT; i++) {
        r->off[i] = w->arena.len;
        r->len[i] = 0;
        if (!nonempty(p, i)) {
            r->nulls |= 1u << i;
            continue;
        }
        hail_err e = buf_append(&w->arena, p->f[i], p->len[i]);
        if (e)
            return e;
        r->len[i] = p->len[i];
    }
    w->nrecs++;
    if (w->stage)
        *stage_slot(w, p->marketo_id) = (uint32_t)w->nrecs;
    else
        w->st.inserted++; /* unless the batch fails on a Marketo id seen before */
    if (w->nrecs >= PG_BATCH_ROWS || w->arena.len >= PG_BATCH_BYTES)
        return pg_flush(w);
    return HAIL_OK;
}

/* A waiting record as a person_in (pointing into the arena). */
static void pg_rec_person(const people_writer *w, const pg_rec *r, person_in *p)
{
    p->marketo_id = r->marketo_id;
    for (int i = 0; i < PF_COUNT; i++) {
        p->f[i] = r->nulls & (1u << i) ? NULL : w->arena.data + r->off[i];
        p->len[i] = r->len[i];
    }
}

/* Appends the search-key rows of one person (each cut key once). */
static hail_err copy_keys(buf *b, const search_keys *k, int64_t id)
{
    char idtext[24];
    int idlen = snprintf(idtext, sizeof idtext, "\t%lld\n", (long long)id);
    for (int i = 0; i < k->n; i++) {
        int dup = 0;
        for (int j = 0; j < i && !dup; j++)
            dup = k->len[j] == k->len[i] && memcmp(k->full[j], k->full[i], k->len[i]) == 0;
        if (dup)
            continue;
        hail_err e = db_copy_field(b, k->full[i], k->len[i], 1);
        if (!e)
            e = buf_append(b, idtext, (size_t)idlen);
        if (e)
            return e;
    }
    return HAIL_OK;
}

static hail_err copy_i64(buf *b, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "\t%lld", (long long)v);
    return buf_append(b, t, (size_t)n);
}

/* The batch's rows, then their keys, through COPY (ids already taken). */
static hail_err pg_copy_batch(people_writer *w, const int64_t *ids, int64_t now)
{
    db *d = w->d;
    buf *b = &w->copy;
    buf_reset(b);
    hail_err e = HAIL_OK;
    for (size_t i = 0; !e && i < w->nrecs; i++) {
        const pg_rec *r = &w->recs[i];
        char t[48];
        int n = snprintf(t, sizeof t, "%lld\t%lld", (long long)ids[i], (long long)r->marketo_id);
        e = buf_append(b, t, (size_t)n);
        for (int f = 0; !e && f < PF_COUNT; f++)
            e = db_copy_field(b, r->nulls & (1u << f) ? NULL : w->arena.data + r->off[f], r->len[f],
                              0);
        if (!e)
            e = copy_i64(b, (r->nulls & (1u << PF_OWNER_EMAIL)) ? 0 : 1);
        if (!e)
            e = buf_append(b, "\t0", 2);
        if (!e)
            e = copy_i64(b, now);
        if (!e)
            e = copy_i64(b, now);
        if (!e)
            e = buf_putc(b, '\n');
    }
    if (e || (e = db_copy_begin(d, sql_pg_copy_people)))
        return e;
    e = db_copy_put(d, b->data, b->len);
    hail_err e2 = db_copy_end(d);
    if (e || (e = e2))
        return e;
    buf_reset(b);
    for (size_t i = 0; !e && i < w->nrecs; i++) {
        const pg_rec *r = &w->recs[i];
        if (r->nulls & (1u << PF_OWNER_EMAIL))
            continue; /* not active: no keys */
        person_in p;
        pg_rec_person(w, r, &p);
        search_keys k;
        person_in_keys(&k, &p);
        e = copy_keys(b, &k, ids[i]);
    }
    if (e || !b->len)
        return e;
    if ((e = db_copy_begin(d, sql_pg_copy_search)))
        return e;
    e = db_copy_put(d, b->data, b->len);
    e2 = db_copy_end(d);
    return e ? e : e2;
}

static hail_err stage_flush(people_writer *w);

static hail_err pg_flush(people_writer *w)
{
    if (!w->nrecs)
        return HAIL_OK;
    if (w->stage)
        return stage_flush(w);
    db *d = w->d;
    /* The batch's ids, from the table's own sequence. */
    db_st *st = w->ids_st;
    db_bind_i64(st, 1, (int64_t)w->nrecs);
    buf_reset(&w->ids);
    int rc;
    hail_err e = HAIL_OK;
    while (!e && (rc = db_step(st)) == DB_ROW) {
        int64_t id = db_col_i64(st, 0);
        e = buf_append(&w->ids, &id, sizeof id);
    }
    db_reset(st);
    if (e)
        return e;
    if (rc != DB_DONE || w->ids.len != w->nrecs * sizeof(int64_t))
        return db_fail(d, "people: ids");
    const int64_t *ids = (const int64_t *)(const void *)w->ids.data;
    if ((e = db_exec(d, "SAVEPOINT people_batch;")))
        return e;
    e = pg_copy_batch(w, ids, time_now_us());
    if (!e) {
        e = db_exec(d, "RELEASE SAVEPOINT people_batch;");
    } else if (db_last_error(d) == DB_ERR_UNIQUE) {
        /* A Marketo id seen before: this batch record by record. */
        e = db_exec(d, "ROLLBACK TO SAVEPOINT people_batch; RELEASE SAVEPOINT people_batch;");
        w->st.inserted -= w->nrecs;
        for (size_t i = 0; !e && i < w->nrecs; i++) {
            person_in p;
            pg_rec_person(w, &w->recs[i], &p);
            e = put_row(w, &p);
        }
    }
    w->nrecs = 0;
    buf_reset(&w->arena);
    return e;
}

/* ---- PostgreSQL: a bulk load into a non-empty table ----
 *
 * A batch is COPY'd into the temporary table people_stage and merged with
 * one statement: INSERT … ON CONFLICT (marketo_id) DO UPDATE … WHERE the
 * stored record differs (or is deleted), which returns the rows it wrote; in
 * the same statement the search keys of the changed people that were
 * active are deleted. The keys of the written active people are then
 * COPY'd in, and the stats follow from what came back: inserted or updated
 * (deactivated when it was active and is not), the rest unchanged. A
 * Marketo id twice in one batch ends the batch before the second. */

#define PEOPLE_COLS                                                                                \
    "first_name, last_name, email, phone, title, company, source, linkedin_url, sfdc_lead_id,"     \
    " sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id, owner_email, time_zone"
#define DIFFERS(a, b)                                                                              \
    "(" a ".deleted <> 0 OR " a ".active <> " b ".active OR (" a ".first_name, " a                 \
    ".last_name, " a ".email, " a ".phone, " a ".title, " a ".company, " a ".source, " a           \
    ".linkedin_url, " a ".sfdc_lead_id, " a ".sfdc_contact_id, " a ".sfdc_account_id, " a          \
    ".sfdc_opportunity_id, " a ".owner_email, " a ".time_zone) IS DISTINCT FROM (" b               \
    ".first_name, " b ".last_name, " b ".email, " b ".phone, " b ".title, " b ".company, " b       \
    ".source, " b ".linkedin_url, " b ".sfdc_lead_id, " b ".sfdc_contact_id, " b                   \
    ".sfdc_account_id, " b ".sfdc_opportunity_id, " b ".owner_email, " b ".time_zone))"

static const char sql_stage_merge[] =
    "WITH old AS (SELECT p.id, p.marketo_id, p.active FROM people p"
    "  JOIN people_stage s ON s.marketo_id = p.marketo_id WHERE " DIFFERS(
        "p",
        "s") "),"
             " gone AS (DELETE FROM people_search k USING old"
             "  WHERE k.person_id = old.id AND old.active = 1 RETURNING 1),"
             " up AS (INSERT INTO people (marketo_id, " PEOPLE_COLS ", active, deleted, created_at,"
             "  updated_at) SELECT marketo_id, " PEOPLE_COLS ", active, 0, CAST($1 AS BIGINT),"
             "  CAST($1 AS BIGINT) FROM people_stage"
             "  ON CONFLICT (marketo_id) DO UPDATE SET first_name = EXCLUDED.first_name,"
             "  last_name = EXCLUDED.last_name, email = EXCLUDED.email, phone = EXCLUDED.phone,"
             "  title = EXCLUDED.title, company = EXCLUDED.company, source = EXCLUDED.source,"
             "  linkedin_url = EXCLUDED.linkedin_url, sfdc_lead_id = EXCLUDED.sfdc_lead_id,"
             "  sfdc_contact_id = EXCLUDED.sfdc_contact_id, sfdc_account_id = "
             "EXCLUDED.sfdc_account_id,"
             "  sfdc_opportunity_id = EXCLUDED.sfdc_opportunity_id, owner_email = "
             "EXCLUDED.owner_email, time_zone = EXCLUDED.time_zone,"
             "  active = EXCLUDED.active, deleted = 0, updated_at = EXCLUDED.updated_at"
             "  WHERE " DIFFERS(
                 "people", "EXCLUDED") ""
                                       "  RETURNING id, marketo_id, active, (xmax = 0) AS inserted)"
                                       " SELECT up.id, up.marketo_id, up.active, up.inserted, "
                                       "coalesce(old.active, 0)"
                                       " FROM up LEFT JOIN old ON old.marketo_id = up.marketo_id";

#define STAGE_SLOTS (2 * PG_BATCH_ROWS) /* a batch never holds more than half */

static uint32_t *stage_slot(people_writer *w, int64_t marketo_id)
{
    uint64_t h = (uint64_t)marketo_id * UINT64_C(0x9E3779B97F4A7C15);
    size_t i = (size_t)(h >> 40) & (STAGE_SLOTS - 1);
    while (w->slot[i] && w->recs[w->slot[i] - 1].marketo_id != marketo_id)
        i = (i + 1) & (STAGE_SLOTS - 1);
    return &w->slot[i];
}

static hail_err stage_open(people_writer *w)
{
    if (!(w->slot = calloc(STAGE_SLOTS, sizeof *w->slot)))
        return HAIL_ENOMEM;
    hail_err e = db_exec(w->d, "CREATE TEMP TABLE IF NOT EXISTS people_stage ("
                               " marketo_id BIGINT NOT NULL, first_name TEXT COLLATE \"C\","
                               " last_name TEXT COLLATE \"C\", email TEXT COLLATE \"C\","
                               " phone TEXT COLLATE \"C\", title TEXT COLLATE \"C\","
                               " company TEXT COLLATE \"C\", source TEXT COLLATE \"C\","
                               " linkedin_url TEXT COLLATE \"C\", sfdc_lead_id TEXT COLLATE \"C\","
                               " sfdc_contact_id TEXT COLLATE \"C\","
                               " sfdc_account_id TEXT COLLATE \"C\","
                               " sfdc_opportunity_id TEXT COLLATE \"C\","
                               " owner_email TEXT COLLATE \"C\", time_zone TEXT COLLATE \"C\","
                               " active BIGINT NOT NULL)"
                               " ON COMMIT DELETE ROWS;");
    if (!e && !(w->merge_st = db_prepare(w->d, sql_stage_merge)))
        e = db_fail(w->d, "people: merge");
    return e;
}

static hail_err stage_flush(people_writer *w)
{
    db *d = w->d;
    buf *b = &w->copy;
    buf_reset(b);
    hail_err e = db_exec(d, "DELETE FROM people_stage;");
    for (size_t i = 0; !e && i < w->nrecs; i++) {
        const pg_rec *r = &w->recs[i];
        char t[24];
        int n = snprintf(t, sizeof t, "%lld", (long long)r->marketo_id);
        e = buf_append(b, t, (size_t)n);
        for (int f = 0; !e && f < PF_COUNT; f++)
            e = db_copy_field(b, r->nulls & (1u << f) ? NULL : w->arena.data + r->off[f], r->len[f],
                              0);
        if (!e)
            e = buf_append(b, r->nulls & (1u << PF_OWNER_EMAIL) ? "\t0\n" : "\t1\n", 3);
    }
    if (!e && !(e = db_copy_begin(d, "COPY people_stage FROM STDIN"))) {
        e = db_copy_put(d, b->data, b->len);
        hail_err e2 = db_copy_end(d);
        e = e ? e : e2;
    }
    if (e)
        goto out;
    db_st *st = w->merge_st;
    db_bind_i64(st, 1, time_now_us());
    buf_reset(b);
    uint64_t written = 0;
    int rc;
    while (!e && (rc = db_step(st)) == DB_ROW) {
        int64_t id = db_col_i64(st, 0), mid = db_col_i64(st, 1);
        int active = db_col_int(st, 2), inserted = db_col_int(st, 3), was = db_col_int(st, 4);
        written++;
        if (inserted) {
            w->st.inserted++;
        } else {
            w->st.updated++;
            if (was && !active)
                w->st.deactivated++;
        }
        uint32_t k = *stage_slot(w, mid);
        if (!active || !k)
            continue;
        person_in p;
        pg_rec_person(w, &w->recs[k - 1], &p);
        search_keys keys;
        person_in_keys(&keys, &p);
        e = copy_keys(b, &keys, id);
    }
    db_reset(st);
    if (!e && rc != DB_DONE)
        e = db_fail(d, "people: merge");
    if (!e)
        w->st.unchanged += w->nrecs - written;
    if (!e && b->len && !(e = db_copy_begin(d, sql_pg_copy_search))) {
        e = db_copy_put(d, b->data, b->len);
        hail_err e2 = db_copy_end(d);
        e = e ? e : e2;
    }
out:
    memset(w->slot, 0, STAGE_SLOTS * sizeof *w->slot);
    w->nrecs = 0;
    buf_reset(&w->arena);
    return e;
}

hail_err people_writer_deactivate(people_writer *w, int64_t marketo_id, int deleted)
{
    if ((w->pg && w->bulk) || w->stage) {
        /* The person may still wait for its COPY. */
        hail_err e = pg_flush(w);
        if (e)
            return e;
    }
    /* Only someone who was active leaves the active set (stats.deactivated);
     * an inactive person may still have its deleted flag changed below. */
    db_st *st = db_stmt(w->d, "SELECT id, active, first_name, last_name, email, company"
                              " FROM people WHERE marketo_id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, marketo_id);
    int rc = db_step(st);
    if (rc != DB_ROW) {
        db_reset(st);
        return rc == DB_DONE ? HAIL_OK : db_fail(w->d, "people: deactivate");
    }
    int64_t id = db_col_i64(st, 0);
    int was_active = db_col_int(st, 1);
    search_keys keys = {0};
    if (was_active) {
        const char *v[4];
        size_t len[4];
        for (int i = 0; i < 4; i++) {
            v[i] = db_col_text(st, i + 2);
            len[i] = v[i] ? (size_t)db_col_bytes(st, i + 2) : 0;
        }
        people_keys(&keys, v, len);
    }
    db_reset(st);
    st = db_stmt(w->d, "UPDATE people SET active = 0, deleted = $1, updated_at = $2"
                       " WHERE id = $3 AND (active = 1 OR deleted <> $1)");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, deleted ? 1 : 0);
    db_bind_i64(st, 2, time_now_us());
    db_bind_i64(st, 3, id);
    hail_err e = db_step_done(w->d, st, "people: deactivate");
    if (e || !was_active)
        return e;
    w->st.deactivated++;
    return w->keys_later ? HAIL_OK : search_write(w->d, &keys, id, 0);
}

hail_err people_writer_checkpoint(people_writer *w)
{
    /* Re-marked at every checkpoint: a server starting meanwhile may have
     * rebuilt the search keys and cleared the mark. */
    hail_err e = w->keys_later ? db_kv_set(w->d, PEOPLE_BULK_KEY, "1") : HAIL_OK;
    if (!e)
        e = db_commit(w->d);
    if (e)
        return e;
    return db_begin(w->d);
}

hail_err people_writer_yield(people_writer *w)
{
    hail_err e = w->keys_later ? db_kv_set(w->d, PEOPLE_BULK_KEY, "1") : HAIL_OK;
    if (!e)
        e = db_commit(w->d);
    if (e)
        return e;
    db_bulk_pause(w->d);
    return db_begin(w->d);
}

/* Every search key of every active person, in key order (the four keys of
 * people_search; hail_search_key folds them), for the bulk rebuilds. */
#define ALL_SEARCH_KEYS                                                                            \
    " SELECT key, id FROM ("                                                                       \
    "  SELECT CASE k.n WHEN 0 THEN hail_search_key(p.first_name, p.last_name)"                     \
    "   WHEN 1 THEN hail_search_key(p.last_name)"                                                  \
    "   WHEN 2 THEN hail_search_key(p.email)"                                                      \
    "   ELSE hail_search_key(p.company) END AS key, p.id AS id"                                    \
    "  FROM people p CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1"                                 \
    "   UNION ALL SELECT 2 UNION ALL SELECT 3) k"                                                  \
    "  WHERE p.active = 1)"                                                                        \
    " WHERE key IS NOT NULL ORDER BY key, id"

/* bulk_finish_search's chunks: the keys of rowids (at, at + rows] of the
 * temporary table; the mark goes with the last. */
struct key_chunks {
    db_st *ins;
    int64_t at, last;
};

static hail_err key_chunk(db *d, void *ctx, int64_t rows, int *done)
{
    struct key_chunks *k = ctx;
    db_bind_i64(k->ins, 1, k->at);
    db_bind_i64(k->ins, 2, k->at + rows);
    hail_err e = db_step_done(d, k->ins, "people: search keys");
    if (e)
        return e;
    k->at += rows;
    if (k->at < k->last)
        return HAIL_OK;
    *done = 1;
    return db_kv_del(d, PEOPLE_BULK_KEY);
}

/* After a bulk load: the search keys of everyone, without holding the write
 * lock for long. The keys are computed and sorted into a temporary table
 * (a read of people: no write lock), then appended to people_search in key
 * order, a short transaction at a time (appending in order stays cheap).
 * The bulk mark goes with the last of them. People written meanwhile by
 * another writer have their keys written by it; a key of the snapshot that
 * has since gone stale is never shown (search_accept re-checks each key
 * against the person's current fields, and only active people are listed). */
static hail_err bulk_finish_search(db *d)
{
    /* The sort is the big part: let SQLite's sorter use a helper thread
     * (measured 6-9% faster; a larger cache was slower and cost memory). */
    db_exec(d, "PRAGMA threads = 2;");
    hail_err e = db_exec(d, "DROP TABLE IF EXISTS temp.bulk_keys;"
                            "CREATE TEMP TABLE bulk_keys AS" ALL_SEARCH_KEYS ";");
    db_exec(d, "PRAGMA threads = 0;");
    if (e)
        return e;
    /* Statements on the temporary table are not cached (db_stmt): the table
     * lives only for this call. */
    int64_t last = 0;
    db_st *st = NULL, *ins = NULL;
    if (!(st = db_prepare(d, "SELECT coalesce(max(rowid), 0) FROM temp.bulk_keys")) ||
        db_step(st) != DB_ROW ||
        !(ins = db_prepare(d, "INSERT INTO people_search (key, person_id)"
                              " SELECT key, id FROM temp.bulk_keys WHERE rowid > $1 AND rowid <= $2"
                              " ON CONFLICT DO NOTHING")))
        e = db_fail(d, "people: search keys");
    else
        last = db_col_i64(st, 0);
    db_st_free(st);
    struct key_chunks k = {ins, 0, last};
    if (!e)
        e = db_bulk_run(d, 2048, key_chunk, &k);
    db_st_free(ins);
    if (e)
        db_rollback(d);
    db_exec(d, "DROP TABLE IF EXISTS temp.bulk_keys;");
    return e;
}

/* bulk_finish_accounts's ranges: after lo, up to the account `rows` rows on. */
struct count_ranges {
    db_st *hi_st, *del, *ins, *del_rest, *ins_rest;
    char *lo, *hi;
};

static hail_err count_range(db *d, void *ctx, int64_t rows, int *done)
{
    struct count_ranges *r = ctx;
    hail_err e = HAIL_OK;
    /* The range: after lo, up to the account `rows` rows on (whole
     * accounts); none there: all that is left. */
    db_bind_text_ref(r->hi_st, 1, r->lo, -1);
    db_bind_i64(r->hi_st, 2, rows);
    int rc = db_step(r->hi_st);
    free(r->hi);
    r->hi = rc == DB_ROW ? strdup(db_col_text(r->hi_st, 0)) : NULL;
    db_reset(r->hi_st);
    if (rc == DB_ERROR || (rc == DB_ROW && !r->hi))
        return rc == DB_ERROR ? db_fail(d, "accounts: counts") : HAIL_ENOMEM;
    for (int i = 0; !e && i < 2; i++) {
        db_st *st = r->hi ? (i ? r->ins : r->del) : (i ? r->ins_rest : r->del_rest);
        db_bind_text_ref(st, 1, r->lo, -1);
        if (r->hi)
            db_bind_text_ref(st, 2, r->hi, -1);
        e = db_step_done(d, st, "accounts: counts");
    }
    if (e)
        return e;
    if (r->hi) {
        size_t n = strlen(r->hi);
        char *mark = malloc(n + 2);
        if (!mark)
            return HAIL_ENOMEM;
        mark[0] = '>';
        memcpy(mark + 1, r->hi, n + 1);
        e = db_kv_set(d, ACCOUNTS_DIRTY_KEY, mark);
        free(mark);
        free(r->lo);
        r->lo = r->hi;
        r->hi = NULL;
    } else {
        e = db_kv_del(d, ACCOUNTS_DIRTY_KEY);
        *done = !e;
    }
    return e;
}

/* SQLite, after a bulk load: the account counts from one pass over the
 * people into a temporary table (a read: no write lock; sorted by account),
 * appended to account_companies a range of accounts at a time in short
 * transactions, each moving the mark on (as accounts_rebuild does, which
 * reads the people an account at a time through people_account: a million
 * random row reads, ~10x slower). The counts are of one moment: if any
 * person was written after it (people.updated_at went past its maximum),
 * the counts are made again by accounts_rebuild from the people as they
 * are. */
static hail_err bulk_finish_accounts(db *d)
{
    hail_err e = db_exec(d, "DROP TABLE IF EXISTS temp.bulk_counts;"
                            "CREATE TEMP TABLE bulk_counts (account_id TEXT NOT NULL,"
                            " company TEXT NOT NULL, people INTEGER NOT NULL,"
                            " PRIMARY KEY (account_id, company)) WITHOUT ROWID;"
                            "BEGIN;"
                            "INSERT INTO temp.bulk_counts"
                            " SELECT sfdc_account_id, coalesce(company, ''), count(*) FROM people"
                            " WHERE active = 1 AND sfdc_account_id IS NOT NULL"
                            " GROUP BY 1, 2 ORDER BY 1, 2;"
                            "CREATE TEMP TABLE bulk_counts_at AS"
                            " SELECT coalesce(max(updated_at), 0) AS at FROM people;"
                            "COMMIT;");
    if (e) {
        db_exec(d, "ROLLBACK;");
        db_exec(d, "DROP TABLE IF EXISTS temp.bulk_counts;"
                   "DROP TABLE IF EXISTS temp.bulk_counts_at;");
        return e;
    }
    db_st *hi_st = db_prepare(d, "SELECT account_id FROM temp.bulk_counts WHERE account_id > $1"
                                 " ORDER BY account_id LIMIT 1 OFFSET $2");
    /* Bounded ranges, and the last one (all that follow): two texts each, so
     * that both ends are index bounds (an OR in the bound scans to the end). */
    db_st *del = db_prepare(d, "DELETE FROM account_companies WHERE account_id > $1"
                               " AND account_id <= $2");
    db_st *ins = db_prepare(d, "INSERT INTO account_companies SELECT account_id, company, people"
                               " FROM temp.bulk_counts WHERE account_id > $1 AND account_id <= $2");
    db_st *del_rest = db_prepare(d, "DELETE FROM account_companies WHERE account_id > $1");
    db_st *ins_rest = db_prepare(d, "INSERT INTO account_companies SELECT account_id, company,"
                                    " people FROM temp.bulk_counts WHERE account_id > $1");
    db_st *changed = db_prepare(d, "SELECT (SELECT coalesce(max(updated_at), 0) FROM people)"
                                   " > (SELECT at FROM temp.bulk_counts_at)");
    if (!hi_st || !del || !ins || !del_rest || !ins_rest || !changed)
        e = db_fail(d, "accounts: counts");
    struct count_ranges r = {hi_st, del, ins, del_rest, ins_rest, strdup(""), NULL};
    if (!r.lo)
        e = HAIL_ENOMEM;
    if (!e)
        e = db_bulk_run(d, 1024, count_range, &r);
    free(r.lo);
    free(r.hi);
    int stale = 0;
    if (!e) {
        stale = db_step(changed) == DB_ROW && db_col_int(changed, 0);
        db_reset(changed);
    }
    db_st_free(hi_st);
    db_st_free(del);
    db_st_free(ins);
    db_st_free(del_rest);
    db_st_free(ins_rest);
    db_st_free(changed);
    db_exec(d, "DROP TABLE IF EXISTS temp.bulk_counts; DROP TABLE IF EXISTS temp.bulk_counts_at;");
    if (!e && stale) {
        /* Someone wrote people meanwhile: count from them, exactly. */
        if (!(e = db_begin(d)) && !(e = db_kv_set(d, ACCOUNTS_DIRTY_KEY, "")))
            e = db_commit(d);
        if (e)
            db_rollback(d);
        else
            e = accounts_rebuild(d);
    }
    return e;
}

/* PostgreSQL, after a bulk load: the account counts in one pass over the
 * people (accounts_rebuild goes a range at a time to keep SQLite's write
 * lock short; PostgreSQL has no such lock, and one GROUP BY is ~10x faster).
 * The people are locked against writers meanwhile (SHARE: readers go on),
 * so that no trigger's count is lost between the read and the write. */
static hail_err pg_count_accounts(db *d)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    if ((e = db_exec(d, "LOCK TABLE people IN SHARE MODE;"
                        "DELETE FROM account_companies;"
                        "INSERT INTO account_companies"
                        " SELECT sfdc_account_id, coalesce(company, ''), count(*) FROM people"
                        " WHERE active = 1 AND sfdc_account_id IS NOT NULL GROUP BY 1, 2;")) ||
        (e = db_kv_del(d, ACCOUNTS_DIRTY_KEY)) || (e = db_commit(d)))
        db_rollback(d);
    return e;
}

hail_err people_writer_close(people_writer *w, int commit)
{
    if (!w)
        return HAIL_OK;
    hail_err e = HAIL_OK;
    if (commit)
        e = db_commit(w->d);
    if (!commit || e)
        db_rollback(w->d);
    if (w->stage) {
        db_set_tx_hook(w->d, NULL);
        bulk_register(w, 0);
    }
    if (w->bulk) {
        db_set_tx_hook(w->d, NULL);
        bulk_register(w, 0);
        hail_err e2 = w->pg ? pg_count_accounts(w->d) : bulk_finish_accounts(w->d);
        if (!e2 && w->keys_later)
            e2 = bulk_finish_search(w->d);
        /* Nothing to do unless an index is missing (dropped by hand, or by
         * an interrupted bulk load of an older hail). */
        if (!e2)
            e2 = schema_ensure_indexes(w->d);
        e = e ? e : e2;
    }
    db_st_free(w->ids_st);
    db_st_free(w->merge_st);
    free(w->slot);
    free(w->recs);
    buf_release(&w->arena);
    buf_release(&w->copy);
    buf_release(&w->ids);
    free(w);
    return e;
}

/* PostgreSQL: the keys are made here (people_keys, as every writer makes
 * them; PostgreSQL has no hail_search_key), a batch of people at a time in
 * id order, and COPY'd in. */
static hail_err rebuild_search_pg(db *d)
{
    hail_err e = db_exec(d, "DELETE FROM people_search;");
    buf b = BUF_INIT(SIZE_MAX);
    int64_t after = 0;
    while (!e) {
        db_st *st = db_stmt(d, "SELECT id, first_name, last_name, email, company FROM people"
                               " WHERE active = 1 AND id > $1 ORDER BY id LIMIT 8192");
        if (!st) {
            e = HAIL_EDB;
            break;
        }
        db_bind_i64(st, 1, after);
        buf_reset(&b);
        size_t rows = 0;
        int rc;
        while (!e && (rc = db_step(st)) == DB_ROW) {
            after = db_col_i64(st, 0);
            const char *v[4];
            size_t len[4];
            for (int i = 0; i < 4; i++) {
                v[i] = db_col_text(st, i + 1);
                len[i] = v[i] ? db_col_bytes(st, i + 1) : 0;
                if (len[i] > PERSON_FIELD_MAX)
                    len[i] = 0; /* cannot be stored by hail: no key */
            }
            search_keys k;
            people_keys(&k, v, len);
            e = copy_keys(&b, &k, after);
            rows++;
        }
        db_reset(st);
        if (!e && rc != DB_DONE)
            e = db_fail(d, "people: search keys");
        if (e || !rows)
            break;
        if (b.len && !(e = db_copy_begin(d, sql_pg_copy_search))) {
            e = db_copy_put(d, b.data, b.len);
            hail_err e2 = db_copy_end(d);
            e = e ? e : e2;
        }
    }
    buf_release(&b);
    return e;
}

hail_err people_rebuild_search(db *d)
{
    if (db_engine_of(d) == DB_POSTGRES)
        return rebuild_search_pg(d);
    /* One pass over people (CROSS JOIN keeps it the outer loop), sorted once,
     * appended in key order: far cheaper than a million random inserts. */
    return db_exec(d, "DELETE FROM people_search;"
                      "INSERT INTO people_search (key, person_id)" ALL_SEARCH_KEYS
                      " ON CONFLICT DO NOTHING;");
}
