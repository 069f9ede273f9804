#include "store/people.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fold.h"
#include "core/timeutil.h"
#include "store/schema.h"

const char *const person_marketo_field[PF_COUNT] = {
    "firstName", "lastName", "email",        "phone",     "title",         "company",
    "leadSource", "linkedInProfileURL", "sfdcLeadId", "sfdcContactId", "sfdcAccountId",
    "sfdcOpptyId", "leadOwnerEmailAddress",
};

const char *const person_json_field[PF_COUNT] = {
    "first_name",   "last_name",       "email",           "phone",
    "title",        "company",         "source",          "linkedin_url",
    "sfdc_lead_id", "sfdc_contact_id", "sfdc_account_id", "sfdc_opportunity_id",
    "owner_email",
};

int person_field_by_marketo_name(const char *name, size_t len)
{
    for (int i = 0; i < PF_COUNT; i++)
        if (strlen(person_marketo_field[i]) == len && memcmp(person_marketo_field[i], name, len) == 0)
            return i;
    return -1;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
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

/* ---- writing ---- */

struct people_writer {
    db *d;
    unsigned flags;
    int empty_at_start; /* table was empty: inserts need no lookup */
    int indexes_dropped;
    people_stats st;
    int64_t now;
};

hail_err people_writer_open(db *d, unsigned flags, people_writer **out)
{
    *out = NULL;
    people_writer *w = calloc(1, sizeof *w);
    if (!w)
        return HAIL_ENOMEM;
    w->d = d;
    w->flags = flags;
    hail_err e = db_begin(d);
    if (e) {
        free(w);
        return e;
    }
    sqlite3_stmt *st = db_stmt(d, "SELECT EXISTS (SELECT 1 FROM people)");
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        e = db_fail(d, "people: count");
        goto fail;
    }
    w->empty_at_start = sqlite3_column_int(st, 0) == 0;
    sqlite3_reset(st);
    if ((flags & PW_BULK) && w->empty_at_start) {
        if ((e = schema_drop_people_indexes(d)))
            goto fail;
        w->indexes_dropped = 1;
    }
    *out = w;
    return HAIL_OK;
fail:
    db_rollback(d);
    free(w);
    return e;
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

/* Binds the folded key of up to two values joined by a space. */
static void bind_key(sqlite3_stmt *st, int idx, const char *a, size_t alen, const char *b,
                     size_t blen)
{
    if (!a)
        alen = 0;
    if (!b)
        blen = 0;
    if (alen + blen == 0) {
        sqlite3_bind_null(st, idx);
        return;
    }
    char stackbuf[2 * PERSON_FIELD_MAX + 4];
    char in[2 * PERSON_FIELD_MAX + 2];
    size_t n = 0;
    if (alen) {
        memcpy(in, a, alen);
        n = alen;
    }
    if (blen) {
        if (n)
            in[n++] = ' ';
        memcpy(in + n, b, blen);
        n += blen;
    }
    size_t k = fold_key(in, n, stackbuf);
    if (k == 0)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_text(st, idx, stackbuf, (int)k, SQLITE_TRANSIENT);
}

/* Binds the 13 fields at 1..13, active at 14, keys at 15..18. */
static void bind_person(sqlite3_stmt *st, const person_in *p)
{
    for (int i = 0; i < PF_COUNT; i++) {
        if (p->f[i] && p->len[i] > 0)
            sqlite3_bind_text(st, i + 1, p->f[i], (int)p->len[i], SQLITE_STATIC);
        else
            sqlite3_bind_null(st, i + 1);
    }
    sqlite3_bind_int(st, 14, nonempty(p, PF_OWNER_EMAIL));
    bind_key(st, 15, p->f[PF_FIRST_NAME], p->len[PF_FIRST_NAME], p->f[PF_LAST_NAME],
             p->len[PF_LAST_NAME]);
    bind_key(st, 16, p->f[PF_LAST_NAME], p->len[PF_LAST_NAME], NULL, 0);
    bind_key(st, 17, p->f[PF_EMAIL], p->len[PF_EMAIL], NULL, 0);
    bind_key(st, 18, p->f[PF_COMPANY], p->len[PF_COMPANY], NULL, 0);
}

static const char sql_insert[] =
    "INSERT INTO people (first_name, last_name, email, phone, title, company, source,"
    " linkedin_url, sfdc_lead_id, sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id,"
    " owner_email, active, k_name, k_last, k_email, k_company, marketo_id, created_at,"
    " updated_at, deleted)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
    " $19, $20, $20, 0)";

static const char sql_update[] =
    "UPDATE people SET first_name = $1, last_name = $2, email = $3, phone = $4, title = $5,"
    " company = $6, source = $7, linkedin_url = $8, sfdc_lead_id = $9, sfdc_contact_id = $10,"
    " sfdc_account_id = $11, sfdc_opportunity_id = $12, owner_email = $13, active = $14,"
    " k_name = $15, k_last = $16, k_email = $17, k_company = $18, updated_at = $19, deleted = 0"
    " WHERE marketo_id = $20";

static const char sql_lookup[] =
    "SELECT active, deleted, first_name, last_name, email, phone, title, company, source,"
    " linkedin_url, sfdc_lead_id, sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id,"
    " owner_email FROM people WHERE marketo_id = $1";

/* 1 if the stored row equals the record, 0 if it differs, -1 if absent. */
static int compare_existing(people_writer *w, const person_in *p, int *was_active, hail_err *e)
{
    sqlite3_stmt *st = db_stmt(w->d, sql_lookup);
    if (!st) {
        *e = HAIL_EDB;
        return -1;
    }
    sqlite3_bind_int64(st, 1, p->marketo_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return -1;
    }
    if (rc != SQLITE_ROW) {
        *e = db_fail(w->d, "people: lookup");
        sqlite3_reset(st);
        return -1;
    }
    *was_active = sqlite3_column_int(st, 0);
    int same = sqlite3_column_int(st, 1) == 0 && *was_active == nonempty(p, PF_OWNER_EMAIL);
    for (int i = 0; same && i < PF_COUNT; i++) {
        const char *v = (const char *)sqlite3_column_text(st, i + 2);
        size_t vl = (size_t)sqlite3_column_bytes(st, i + 2);
        int in_null = !p->f[i] || p->len[i] == 0;
        if (!v)
            same = in_null;
        else
            same = !in_null && vl == p->len[i] && memcmp(v, p->f[i], vl) == 0;
    }
    sqlite3_reset(st);
    return same;
}

hail_err people_writer_put(people_writer *w, const person_in *p)
{
    hail_err e = person_in_validate(p);
    if (e)
        return e;
    w->st.seen++;
    int64_t now = time_now_us();
    int was_active = 0, existing = -1;
    if (!w->empty_at_start) {
        e = HAIL_OK;
        existing = compare_existing(w, p, &was_active, &e);
        if (e)
            return e;
        if (existing == 1) {
            w->st.unchanged++;
            return HAIL_OK;
        }
    }
    if (existing == -1) {
        sqlite3_stmt *st = db_stmt(w->d, sql_insert);
        if (!st)
            return HAIL_EDB;
        bind_person(st, p);
        sqlite3_bind_int64(st, 19, p->marketo_id);
        sqlite3_bind_int64(st, 20, now);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) {
            w->st.inserted++;
            return HAIL_OK;
        }
        if (sqlite3_extended_errcode(db_sqlite(w->d)) != SQLITE_CONSTRAINT_UNIQUE)
            return db_fail(w->d, "people: insert");
        /* The same id twice in one load: compare and update like any other. */
        existing = compare_existing(w, p, &was_active, &e);
        if (e)
            return e;
        if (existing == 1) {
            w->st.unchanged++;
            return HAIL_OK;
        }
    }
    sqlite3_stmt *st = db_stmt(w->d, sql_update);
    if (!st)
        return HAIL_EDB;
    bind_person(st, p);
    sqlite3_bind_int64(st, 19, now);
    sqlite3_bind_int64(st, 20, p->marketo_id);
    if ((e = db_step_done(w->d, st, "people: update")))
        return e;
    w->st.updated++;
    if (was_active && !nonempty(p, PF_OWNER_EMAIL))
        w->st.deactivated++;
    return HAIL_OK;
}

hail_err people_writer_deactivate(people_writer *w, int64_t marketo_id, int deleted)
{
    /* Only someone who was active leaves the active set (stats.deactivated);
     * an inactive person may still have its deleted flag changed below. */
    sqlite3_stmt *st = db_stmt(w->d, "SELECT active FROM people WHERE marketo_id = $1");
    if (!st)
        return HAIL_EDB;
    sqlite3_bind_int64(st, 1, marketo_id);
    int rc = sqlite3_step(st);
    int was_active = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(w->d, "people: deactivate");
    st = db_stmt(w->d, "UPDATE people SET active = 0, deleted = $1, updated_at = $2"
                       " WHERE marketo_id = $3 AND (active = 1 OR deleted <> $1)");
    if (!st)
        return HAIL_EDB;
    sqlite3_bind_int(st, 1, deleted ? 1 : 0);
    sqlite3_bind_int64(st, 2, time_now_us());
    sqlite3_bind_int64(st, 3, marketo_id);
    hail_err e = db_step_done(w->d, st, "people: deactivate");
    if (!e && was_active && sqlite3_changes(db_sqlite(w->d)) > 0)
        w->st.deactivated++;
    return e;
}

hail_err people_writer_checkpoint(people_writer *w)
{
    hail_err e = db_commit(w->d);
    if (e)
        return e;
    return db_begin(w->d);
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
    if (w->indexes_dropped) {
        /* Building each index from sorted data beats maintaining it row by row. */
        hail_err e2 = schema_ensure_indexes(w->d);
        if (!e)
            e = e2;
    }
    free(w);
    return e;
}

/* ---- reading ---- */

#define PERSON_COLS                                                                              \
    "id, marketo_id, first_name, last_name, email, phone, title, company, source,"              \
    " linkedin_url, sfdc_lead_id, sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id,"       \
    " owner_email, active, created_at, updated_at"

static json_t *row_to_json(db *d, sqlite3_stmt *st)
{
    (void)d;
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
    json_object_set_new(o, "marketo_id", json_integer(sqlite3_column_int64(st, 1)));
    for (int i = 0; i < PF_COUNT; i++) {
        const char *v = (const char *)sqlite3_column_text(st, i + 2);
        json_t *j = v ? json_stringn(v, (size_t)sqlite3_column_bytes(st, i + 2)) : json_null();
        json_object_set_new(o, person_json_field[i], j ? j : json_null());
    }
    json_object_set_new(o, "active", json_boolean(sqlite3_column_int(st, 15)));
    char ts[TIME_ISO_LEN];
    time_format_iso(sqlite3_column_int64(st, 16), ts);
    json_object_set_new(o, "created_at", json_string(ts));
    time_format_iso(sqlite3_column_int64(st, 17), ts);
    json_object_set_new(o, "updated_at", json_string(ts));
    return o;
}

hail_err people_get(db *d, int64_t id, json_t **out)
{
    *out = NULL;
    sqlite3_stmt *st = db_stmt(d, "SELECT " PERSON_COLS " FROM people WHERE id = $1");
    if (!st)
        return HAIL_EDB;
    sqlite3_bind_int64(st, 1, id);
    hail_err e = db_one_json(d, st, row_to_json, out, "people: get");
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(HAIL_ENOTFOUND, "no person with id %lld", (long long)id);
    return e;
}

/* One SQL text per combination of filters, built once, so every list query is
 * a cached prepared statement. Bit 0: q, 1: owner, 2: account, 3: opportunity.
 * Parameters are numbered in order of appearance (see db_stmt); list_param
 * records which number each value got. */
enum { LP_AFTER, LP_KEY, LP_HI, LP_OWNER, LP_ACCOUNT, LP_OPPORTUNITY, LP_LIMIT, LP__COUNT };
static char *list_sql[16];
static int list_param[16][LP__COUNT];
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static void build_list_sql(void)
{
    for (int m = 0; m < 16; m++) {
        char s[1024];
        int *lp = list_param[m], k = 1;
        lp[LP_AFTER] = k++;
        int n = snprintf(s, sizeof s,
                         "SELECT " PERSON_COLS " FROM people WHERE active = 1 AND id > $1");
        if (m & 1) {
            lp[LP_KEY] = k++;
            lp[LP_HI] = k++;
            n += snprintf(s + n, sizeof s - (size_t)n,
                          " AND ((k_name >= $%d AND k_name < $%d) OR (k_last >= $%d AND k_last < $%d)"
                          " OR (k_email >= $%d AND k_email < $%d)"
                          " OR (k_company >= $%d AND k_company < $%d))",
                          lp[LP_KEY], lp[LP_HI], lp[LP_KEY], lp[LP_HI], lp[LP_KEY], lp[LP_HI],
                          lp[LP_KEY], lp[LP_HI]);
        }
        if (m & 2) {
            lp[LP_OWNER] = k++;
            n += snprintf(s + n, sizeof s - (size_t)n, " AND owner_email = $%d COLLATE NOCASE",
                          lp[LP_OWNER]);
        }
        if (m & 4) {
            lp[LP_ACCOUNT] = k++;
            n += snprintf(s + n, sizeof s - (size_t)n, " AND sfdc_account_id = $%d",
                          lp[LP_ACCOUNT]);
        }
        if (m & 8) {
            lp[LP_OPPORTUNITY] = k++;
            n += snprintf(s + n, sizeof s - (size_t)n, " AND sfdc_opportunity_id = $%d",
                          lp[LP_OPPORTUNITY]);
        }
        lp[LP_LIMIT] = k++;
        snprintf(s + n, sizeof s - (size_t)n, " ORDER BY id LIMIT $%d", lp[LP_LIMIT]);
        list_sql[m] = strdup(s);
    }
}

hail_err people_list(db *d, const people_query *q, json_t *out, int64_t *next_after)
{
    pthread_once(&list_once, build_list_sql);
    *next_after = 0;
    char key[512], hi[513];
    size_t klen = 0;
    int m = 0;
    if (q->q) {
        size_t ql = strlen(q->q);
        if (ql > 256)
            return hail_errf(HAIL_EINVAL, "q is longer than 256 bytes");
        klen = fold_key(q->q, ql, key);
        if (klen > 0)
            m |= 1;
    }
    if (q->owner)
        m |= 2;
    if (q->account)
        m |= 4;
    if (q->opportunity)
        m |= 8;
    if (!list_sql[m])
        return HAIL_ENOMEM;
    sqlite3_stmt *st = db_stmt(d, list_sql[m]);
    if (!st)
        return HAIL_EDB;
    const int *lp = list_param[m];
    sqlite3_bind_int64(st, lp[LP_AFTER], q->after_id);
    if (m & 1) {
        size_t hl = fold_prefix_upper(key, klen, hi);
        sqlite3_bind_text(st, lp[LP_KEY], key, (int)klen, SQLITE_STATIC);
        sqlite3_bind_text(st, lp[LP_HI], hi, (int)hl, SQLITE_STATIC);
    }
    if (m & 2)
        sqlite3_bind_text(st, lp[LP_OWNER], q->owner, -1, SQLITE_STATIC);
    if (m & 4)
        sqlite3_bind_text(st, lp[LP_ACCOUNT], q->account, -1, SQLITE_STATIC);
    if (m & 8)
        sqlite3_bind_text(st, lp[LP_OPPORTUNITY], q->opportunity, -1, SQLITE_STATIC);
    /* Ask for one more than the page to know whether another page follows. */
    sqlite3_bind_int(st, lp[LP_LIMIT], q->limit + 1);
    int rc, n = 0;
    int64_t last = 0;
    hail_err e = HAIL_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == q->limit) {
            *next_after = last;
            break;
        }
        json_t *o = row_to_json(d, st);
        if (!o || json_array_append_new(out, o)) {
            e = HAIL_ENOMEM;
            break;
        }
        last = sqlite3_column_int64(st, 0);
        n++;
    }
    if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = db_fail(d, "people: list");
    sqlite3_reset(st);
    return e;
}

hail_err people_count(db *d, int64_t *total, int64_t *active)
{
    sqlite3_stmt *st = db_stmt(d, "SELECT count(*), coalesce(sum(active), 0) FROM people");
    if (!st)
        return HAIL_EDB;
    hail_err e = HAIL_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *total = sqlite3_column_int64(st, 0);
        *active = sqlite3_column_int64(st, 1);
    } else {
        e = db_fail(d, "people: count");
    }
    sqlite3_reset(st);
    return e;
}
