#include "core/common.h"

/* Reading people: one person, lists with filters, and search (one word: a
 * range scan of people_search; several words: docs/people.md). The writing
 * side and the keys are in people.c. */
#include "store/people.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fold.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "store/people_keys.h"
#include "store/schema.h"

/* ---- reading ---- */

#define PERSON_COLS                                                                                \
    "p.id, p.marketo_id, p.first_name, p.last_name, p.email, p.phone, p.title, p.company,"         \
    " p.source, p.linkedin_url, p.sfdc_lead_id, p.sfdc_contact_id, p.sfdc_account_id,"             \
    " p.sfdc_opportunity_id, p.owner_email, p.time_zone, p.active, p.created_at, p.updated_at"

/* Writes the person whose columns start at column `at` of st as a JSON
 * object: the one serializer of a person (people_get parses its output). */
static hail_err person_write(buf *b, db_st *st, int at)
{
    hail_err e = buf_putc(b, '{');
    if (!e)
        e = jsonw_key(b, "id");
    if (!e)
        e = jsonw_int(b, db_col_i64(st, at));
    if (!e)
        e = buf_putc(b, ',');
    if (!e)
        e = jsonw_key(b, "marketo_id");
    if (!e)
        e = jsonw_int(b, db_col_i64(st, at + 1));
    for (int i = 0; !e && i < PF_COUNT; i++) {
        const char *v = db_col_text(st, at + i + 2);
        if (!(e = buf_putc(b, ',')) && !(e = jsonw_key(b, person_json_field[i])))
            e = jsonw_str(b, v, v ? (size_t)db_col_bytes(st, at + i + 2) : 0);
    }
    char c[TIME_ISO_LEN], u[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, at + PF_COUNT + 3), c);
    time_format_iso(db_col_i64(st, at + PF_COUNT + 4), u);
    if (!e)
        e = buf_printf(b, ",\"active\":%s,\"created_at\":\"%s\",\"updated_at\":\"%s\"}",
                       db_col_int(st, at + PF_COUNT + 2) ? "true" : "false", c, u);
    return e;
}

/* Parses text written by person_write (one object, or objects joined by commas
 * inside brackets) back into jansson for callers that want a tree. */
static hail_err parse_written(const buf *b, json_t **out)
{
    json_error_t err;
    *out = json_loadb(b->data ? b->data : "", b->len, 0, &err);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "people: %s", err.text);
}

hail_err people_get_text(db *d, int64_t id, buf *out)
{
    db_st *st = db_stmt(d, "SELECT " PERSON_COLS " FROM people p WHERE p.id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    hail_err e;
    if (rc == DB_ROW)
        e = person_write(out, st, 0);
    else if (rc == DB_DONE)
        e = hail_errf(HAIL_ENOTFOUND, "no person with id %lld", (long long)id);
    else
        e = db_fail(d, "people: get");
    db_reset(st);
    return e;
}

hail_err people_get(db *d, int64_t id, json_t **out)
{
    *out = NULL;
    buf b = BUF_INIT(1 << 20);
    hail_err e = people_get_text(d, id, &b);
    if (!e)
        e = parse_written(&b, out);
    buf_release(&b);
    return e;
}

hail_err people_fields(db *d, int64_t id, json_t *data)
{
    /* The columns of person_json_field, in its order. */
    db_st *st = db_stmt(d, "SELECT p.first_name, p.last_name, p.email, p.phone, p.title, p.company,"
                           " p.source, p.linkedin_url, p.sfdc_lead_id, p.sfdc_contact_id,"
                           " p.sfdc_account_id, p.sfdc_opportunity_id, p.owner_email,"
                           " p.time_zone FROM people p WHERE p.id = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        for (int i = 0; i < PF_COUNT && !e; i++) {
            const char *v = db_col_text(st, i);
            json_t *x = v && *v ? json_string(v) : json_null();
            if (!x) /* not UTF-8 (never stored so): left out */
                x = json_null();
            e = json_object_set_new(data, person_json_field[i], x) ? HAIL_ENOMEM : HAIL_OK;
        }
    } else if (rc == DB_DONE) {
        e = hail_errf(HAIL_ENOTFOUND, "no person with id %lld", (long long)id);
    } else {
        e = db_fail(d, "people: get");
    }
    db_reset(st);
    return e;
}

/* One SQL text per engine and combination of filters, built once, so every
 * list query is a cached prepared statement. Bit 0: q (search order), 1:
 * owner, 2: account, 3: opportunity. Parameters are numbered in order of
 * appearance (see db_stmt); list_param records which number each value got.
 * The PostgreSQL texts differ in three places: JOIN for SQLite's CROSS JOIN
 * (PostgreSQL's planner orders joins itself), lower() for NOCASE, and a LIMIT
 * on the search, which a server cannot step lazily (search_list fetches it
 * in growing chunks). */
enum {
    LP_KEY,
    LP_HI,
    LP_AFTER_KEY,
    LP_AFTER,
    LP_OWNER,
    LP_ACCOUNT,
    LP_OPPORTUNITY,
    LP_LIMIT,
    LP__COUNT
};
enum { ENGINE_SQLITE, ENGINE_PG, ENGINES };
static char *list_sqls[ENGINES][16];
static int list_param[ENGINES][16][LP__COUNT];
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static int engine(db *d)
{
    return db_engine_of(d) == DB_POSTGRES ? ENGINE_PG : ENGINE_SQLITE;
}

static void build_list_sql(void)
{
    for (int i = 0; i < ENGINES * 16; i++) {
        int g = i / 16, m = i % 16;
        char s[1024];
        int *lp = list_param[g][m], k = 1, n;
        if (m & 1) {
            lp[LP_KEY] = k++;
            lp[LP_HI] = k++;
            lp[LP_AFTER_KEY] = k++;
            lp[LP_AFTER] = k++;
            /* CROSS JOIN keeps the key range the outer loop whatever the
             * filters: the owner index must not turn a page into a sort. */
            n = snprintf(s, sizeof s,
                         "SELECT s.key, " PERSON_COLS " FROM people_search s"
                         " %s people p ON p.id = s.person_id"
                         " WHERE s.key >= $%d AND s.key < $%d AND (s.key, s.person_id) > ($%d, $%d)"
                         " AND p.active = 1",
                         g == ENGINE_PG ? "JOIN" : "CROSS JOIN", lp[LP_KEY], lp[LP_HI],
                         lp[LP_AFTER_KEY], lp[LP_AFTER]);
        } else {
            lp[LP_AFTER] = k++;
            n = snprintf(s, sizeof s,
                         "SELECT " PERSON_COLS " FROM people p WHERE p.active = 1 AND p.id > $%d",
                         lp[LP_AFTER]);
        }
        if (m & 2) {
            /* Served by people_owner_ci (NOCASE, or on lower(owner_email);
             * partial on active = 1). */
            lp[LP_OWNER] = k++;
            n += snprintf(s + n, sizeof s - (size_t)n,
                          g == ENGINE_PG ? " AND lower(p.owner_email) = lower($%d COLLATE \"C\")"
                                         : " AND p.owner_email = $%d COLLATE NOCASE",
                          lp[LP_OWNER]);
        }
        if (m & 4) {
            lp[LP_ACCOUNT] = k++;
            n += snprintf(s + n, sizeof s - (size_t)n, " AND p.sfdc_account_id = $%d",
                          lp[LP_ACCOUNT]);
        }
        if (m & 8) {
            lp[LP_OPPORTUNITY] = k++;
            n += snprintf(s + n, sizeof s - (size_t)n, " AND p.sfdc_opportunity_id = $%d",
                          lp[LP_OPPORTUNITY]);
        }
        if (m & 1 && g == ENGINE_SQLITE) {
            /* No LIMIT: rows are stepped lazily and some are skipped (search_accept). */
            snprintf(s + n, sizeof s - (size_t)n, " ORDER BY s.key, s.person_id");
        } else if (m & 1) {
            lp[LP_LIMIT] = k++;
            snprintf(s + n, sizeof s - (size_t)n, " ORDER BY s.key, s.person_id LIMIT $%d",
                     lp[LP_LIMIT]);
        } else {
            lp[LP_LIMIT] = k++;
            snprintf(s + n, sizeof s - (size_t)n, " ORDER BY p.id LIMIT $%d", lp[LP_LIMIT]);
        }
        list_sqls[g][m] = strdup(s);
    }
}

const char *people_list_sql(const people_query *q)
{
    pthread_once(&list_once, build_list_sql);
    int m = (q->q ? 1 : 0) | (q->owner ? 2 : 0) | (q->account ? 4 : 0) | (q->opportunity ? 8 : 0);
    return list_sqls[ENGINE_SQLITE][m];
}

static int starts_with(const char *s, size_t n, const char *p, size_t pn)
{
    return n >= pn && memcmp(s, p, pn) == 0;
}

static int keycmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

/* ---- multi-word search ----
 *
 * q is folded and split into words. A person matches when q's words can be
 * cut into runs of consecutive words, each run a prefix of one of the
 * person's keys: "muller noah" = "muller" (last name) + "noah" ("first
 * last"); "noah acme corp" = "noah" + "acme corp" (company). One word (or a
 * whole q that is a prefix of a key, as before) is one run.
 *
 * One word of q, the driver, is scanned: every match has a key starting with
 * the run that holds the driver, so with a key starting with "w_j … w_i" for
 * some j <= i (i the driver). Those few prefix ranges (nested ones merged)
 * are scanned in key order and every candidate is checked against all the
 * words. The driver is the word whose ranges hold the fewest keys (counted up
 * to a cap: choose_driver), and the cursor names it so that later pages scan
 * the same ranges. A call examines at most SEARCH_SCAN_MAX candidates; when
 * it stops there the page is short (even empty) and the cursor resumes after
 * the last candidate examined. */

#define Q_CHARS_MAX      256
#define Q_BYTES_MAX      (4 * Q_CHARS_MAX)
#define Q_WORDS_MAX      (Q_BYTES_MAX / 2 + 1)
#define SEARCH_SCAN_MAX  2000
#define SEARCH_PROBE_CAP 1000
#define SEARCH_PROBE_MAX 8 /* words considered as driver */

typedef struct search_q {
    char text[Q_BYTES_MAX + 1]; /* folded q: words joined by one space */
    size_t len;
    int nw;
    size_t off[Q_WORDS_MAX], wlen[Q_WORDS_MAX];
    int driver;
    int nr; /* ranges to scan: prefixes text[r_off..+r_len), cut, ascending, disjoint */
    size_t r_off[Q_WORDS_MAX], r_len[Q_WORDS_MAX];
} search_q;

static void split_words(search_q *s)
{
    s->nw = 0;
    for (size_t i = 0; i < s->len;) {
        size_t j = i;
        while (j < s->len && s->text[j] != ' ')
            j++;
        s->off[s->nw] = i;
        s->wlen[s->nw] = j - i;
        s->nw++;
        i = j + 1;
    }
}

/* The ranges of driver i: the prefixes "w_j … w_i" (j <= i) cut like stored
 * keys; a prefix of another covers it, so only the shortest of nested ones
 * stays, and they are sorted. */
static void driver_ranges(search_q *s, int i)
{
    size_t end = s->off[i] + s->wlen[i];
    s->driver = i;
    s->nr = 0;
    for (int j = i; j >= 0; j--) {
        size_t off = s->off[j], len = people_cut_key(s->text + off, end - off);
        int covered = 0;
        for (int r = 0; r < s->nr && !covered; r++)
            covered = starts_with(s->text + off, len, s->text + s->r_off[r], s->r_len[r]);
        if (covered)
            continue;
        int kept = 0;
        for (int r = 0; r < s->nr; r++)
            if (!starts_with(s->text + s->r_off[r], s->r_len[r], s->text + off, len)) {
                s->r_off[kept] = s->r_off[r];
                s->r_len[kept] = s->r_len[r];
                kept++;
            }
        /* insert sorted */
        int at = kept;
        while (at > 0 &&
               keycmp(s->text + off, len, s->text + s->r_off[at - 1], s->r_len[at - 1]) < 0) {
            s->r_off[at] = s->r_off[at - 1];
            s->r_len[at] = s->r_len[at - 1];
            at--;
        }
        s->r_off[at] = off;
        s->r_len[at] = len;
        s->nr = kept + 1;
    }
}

/* 1 when q's words can be cut into runs that are each a prefix of a key. */
static int words_match(const search_q *s, const search_keys *k)
{
    unsigned char reach[Q_WORDS_MAX + 1];
    memset(reach, 0, (size_t)s->nw + 1);
    reach[0] = 1;
    for (int i = 0; i < s->nw && !reach[s->nw]; i++) {
        if (!reach[i])
            continue;
        for (int c = 0; c < k->n; c++) {
            const char *f = k->full[c];
            size_t fl = k->full_len[c], pos = 0;
            for (int e = i; e < s->nw; e++) {
                const char *w = s->text + s->off[e];
                size_t wl = s->wlen[e];
                if (!starts_with(f + pos, fl - pos, w, wl))
                    break;
                reach[e + 1] = 1;
                if (pos + wl >= fl || f[pos + wl] != ' ')
                    break;
                pos += wl + 1;
            }
        }
    }
    return reach[s->nw];
}

/* 1 when a full key value starts with a run ending at the driver. */
static int driver_key(const search_q *s, const char *f, size_t fl)
{
    size_t end = s->off[s->driver] + s->wlen[s->driver];
    for (int j = s->driver; j >= 0; j--)
        if (starts_with(f, fl, s->text + s->off[j], end - s->off[j]))
            return 1;
    return 0;
}

/* A search row (key, person…) is shown when the person matches every word,
 * and only under the smallest of the person's keys the driver's ranges hold,
 * so a person matching twice is listed once. */
static int search_accept(db_st *st, const search_q *s)
{
    const char *key = db_col_text(st, 0);
    size_t klen = (size_t)db_col_bytes(st, 0);
    static const int cols[4] = {PF_FIRST_NAME, PF_LAST_NAME, PF_EMAIL, PF_COMPANY};
    const char *v[4];
    size_t len[4];
    for (int i = 0; i < 4; i++) {
        v[i] = db_col_text(st, 1 + cols[i] + 2);
        len[i] = v[i] ? (size_t)db_col_bytes(st, 1 + cols[i] + 2) : 0;
    }
    search_keys k;
    people_keys(&k, v, len);
    const char *best = NULL;
    size_t best_len = 0;
    int row_matches = 0;
    for (int i = 0; i < k.n; i++) {
        if (!driver_key(s, k.full[i], k.full_len[i]))
            continue; /* (a key cut at SEARCH_KEY_MAX can match a longer q only here) */
        if (k.len[i] == klen && memcmp(k.full[i], key, klen) == 0)
            row_matches = 1;
        if (!best || keycmp(k.full[i], k.len[i], best, best_len) < 0) {
            best = k.full[i];
            best_len = k.len[i];
        }
    }
    return row_matches && best_len == klen && memcmp(best, key, klen) == 0 &&
           (s->nw == 1 || words_match(s, &k));
}

/* Keys that start with lo, counted up to cap. A prefix range is key >= lo
 * AND key < its successor (fold_prefix_upper: valid UTF-8, as PostgreSQL
 * text must be; the same text on both engines, an index range on both). */
static hail_err probe(db *d, const char *lo, size_t len, int cap, int64_t *count)
{
    db_st *st = db_stmt(d, "SELECT count(*) FROM (SELECT 1 FROM people_search"
                           " WHERE key >= $1 AND key < $2 LIMIT $3) AS probe");
    if (!st)
        return HAIL_EDB;
    char hi[SEARCH_KEY_MAX + 2];
    size_t hl = fold_prefix_upper(lo, len, hi);
    db_bind_text_ref(st, 1, lo, (int)len);
    db_bind_text_ref(st, 2, hi, (int)hl);
    db_bind_i64(st, 3, cap);
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW)
        *count = db_col_i64(st, 0);
    else
        e = db_fail(d, "people: search probe");
    db_reset(st);
    return e;
}

/* Picks the driver: the word (of the first SEARCH_PROBE_MAX) whose ranges
 * hold the fewest keys; the earliest on a tie. Counted up to
 * SEARCH_PROBE_CAP keys a range, and when even the best reaches that, once
 * more up to 16 times as many: two common words are where the choice
 * matters most. */
static hail_err choose_driver(db *d, search_q *s)
{
    int best = 0;
    for (int cap = SEARCH_PROBE_CAP; s->nw > 1 && cap <= 16 * SEARCH_PROBE_CAP; cap *= 16) {
        int64_t best_cost = -1;
        for (int i = 0; i < s->nw && i < SEARCH_PROBE_MAX; i++) {
            driver_ranges(s, i);
            int64_t cost = 0, c = 0;
            for (int r = 0; r < s->nr; r++) {
                hail_err e = probe(d, s->text + s->r_off[r], s->r_len[r], cap, &c);
                if (e)
                    return e;
                cost += c;
            }
            if (best_cost < 0 || cost < best_cost) {
                best = i;
                best_cost = cost;
            }
        }
        if (best_cost < cap)
            break;
    }
    driver_ranges(s, best);
    return HAIL_OK;
}

/* q (or another filter) past 256 characters (core/utf8) or 1,024 bytes. */
int people_filter_too_long(const char *q)
{
    size_t n = strlen(q);
    return n > Q_BYTES_MAX || utf8_chars(q) > Q_CHARS_MAX;
}

static void search_cursor(char next[PEOPLE_CURSOR_MAX], const search_q *s, int64_t id,
                          const char *key)
{
    if (s->nw > 1)
        snprintf(next, PEOPLE_CURSOR_MAX, "w%d.%lld:%s", s->driver, (long long)id, key);
    else
        snprintf(next, PEOPLE_CURSOR_MAX, "s%lld:%s", (long long)id, key);
}

static void bind_filters(db_st *st, const int *lp, int m, const people_query *q)
{
    if (m & 2)
        db_bind_text_ref(st, lp[LP_OWNER], q->owner, -1);
    if (m & 4)
        db_bind_text_ref(st, lp[LP_ACCOUNT], q->account, -1);
    if (m & 8)
        db_bind_text_ref(st, lp[LP_OPPORTUNITY], q->opportunity, -1);
}

/* The search: the driver's ranges in key order, rows checked one by one. */
static hail_err search_list(db *d, const people_query *q, search_q *s, int m, buf *out,
                            char next[PEOPLE_CURSOR_MAX], int *count)
{
    hail_err e;
    if (q->after_key && (q->after_word < 0 || q->after_word >= s->nw))
        return hail_errf(HAIL_EINVAL, "cursor is not valid for this query");
    if (q->after_key)
        driver_ranges(s, q->after_word);
    else if ((e = choose_driver(d, s)))
        return e;
    int g = engine(d);
    char *const *list_sql = list_sqls[g];
    db_st *st = db_stmt(d, list_sql[m]);
    if (!st)
        return HAIL_EDB;
    const int *lp = list_param[g][m];
    const char *after_key = q->after_key ? q->after_key : "";
    size_t after_len = strlen(after_key);
    int n = 0, examined = 0, full = 0, rc = DB_DONE;
    int64_t last = 0, seen = q->after_id;
    char last_key[SEARCH_KEY_MAX + 1] = "", seen_key[SEARCH_KEY_MAX + 1];
    snprintf(seen_key, sizeof seen_key, "%s", after_key);
    e = HAIL_OK;
    for (int r = 0; r < s->nr && !full && !e && examined < SEARCH_SCAN_MAX; r++) {
        const char *lo = s->text + s->r_off[r];
        size_t lolen = s->r_len[r];
        /* A range wholly before the cursor has nothing left. */
        if (keycmp(after_key, after_len, lo, lolen) > 0 &&
            !starts_with(after_key, after_len, lo, lolen))
            continue;
        char hi[SEARCH_KEY_MAX + 2];
        size_t hl = fold_prefix_upper(lo, lolen, hi);
        /* SQLite steps the range lazily in one run. PostgreSQL runs it a
         * chunk at a time, each after the last row of the one before: a page
         * first, then more as rows are skipped. */
        int64_t chunk = q->limit + 1, got = 0;
        db_bind_text_ref(st, lp[LP_KEY], lo, (int)lolen);
        db_bind_text_ref(st, lp[LP_HI], hi, (int)hl);
        /* A cursor before the range binds the range's start: PostgreSQL
         * starts its index scan at the row bound (key, id) > (…) and does
         * not take the larger of it and key >= lo (a bound of ('', 0) read
         * the index from its start: seconds at 1M people). Ids are >= 1. */
        int before = keycmp(after_key, after_len, lo, lolen) < 0;
        db_bind_text_ref(st, lp[LP_AFTER_KEY], before ? lo : after_key,
                         (int)(before ? lolen : after_len));
        db_bind_i64(st, lp[LP_AFTER], before ? 0 : q->after_id);
        bind_filters(st, lp, m, q);
        for (int more = 1; more;) {
            more = 0;
            if (g == ENGINE_PG)
                db_bind_i64(st, lp[LP_LIMIT], chunk);
            got = 0;
            while ((rc = db_step(st)) == DB_ROW) {
                got++;
                examined++;
                seen = db_col_i64(st, 1);
                snprintf(seen_key, sizeof seen_key, "%s", db_col_text(st, 0));
                if (search_accept(st, s)) {
                    if (n == q->limit) {
                        search_cursor(next, s, last, last_key);
                        full = 1;
                        break;
                    }
                    if ((n && (e = buf_putc(out, ','))) || (e = person_write(out, st, 1)))
                        break;
                    last = seen;
                    memcpy(last_key, seen_key, sizeof last_key);
                    n++;
                }
                if (examined >= SEARCH_SCAN_MAX)
                    break;
            }
            if (!e && rc != DB_ROW && rc != DB_DONE)
                e = db_fail(d, "people: list");
            db_reset(st);
            if (g == ENGINE_PG && !e && rc == DB_DONE && got == chunk &&
                examined < SEARCH_SCAN_MAX) {
                /* The chunk was full: the range goes on after its last row. */
                db_bind_text(st, lp[LP_AFTER_KEY], seen_key, -1);
                db_bind_i64(st, lp[LP_AFTER], seen);
                chunk = chunk * 4 < SEARCH_SCAN_MAX ? chunk * 4 : SEARCH_SCAN_MAX;
                more = 1;
            }
        }
    }
    /* Stopped at the bound: the next page resumes after the last row examined. */
    if (!e && !full && examined >= SEARCH_SCAN_MAX)
        search_cursor(next, s, seen, seen_key);
    *count = n;
    return e;
}

/* The plain list: id order, one more row than the page tells whether more follow. */
static hail_err plain_list(db *d, const people_query *q, int m, buf *out,
                           char next[PEOPLE_CURSOR_MAX], int *count)
{
    int g = engine(d);
    char *const *list_sql = list_sqls[g];
    db_st *st = db_stmt(d, list_sql[m]);
    if (!st)
        return HAIL_EDB;
    const int *lp = list_param[g][m];
    db_bind_i64(st, lp[LP_AFTER], q->after_id);
    db_bind_i64(st, lp[LP_LIMIT], q->limit + 1);
    bind_filters(st, lp, m, q);
    int rc, n = 0;
    int64_t last = 0;
    hail_err e = HAIL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        if (n == q->limit) {
            snprintf(next, PEOPLE_CURSOR_MAX, "i%lld", (long long)last);
            break;
        }
        if ((n && (e = buf_putc(out, ','))) || (e = person_write(out, st, 0)))
            break;
        last = db_col_i64(st, 0);
        n++;
    }
    if (!e && rc != DB_ROW && rc != DB_DONE)
        e = db_fail(d, "people: list");
    db_reset(st);
    *count = n;
    return e;
}

static int valid(const char *s)
{
    return !s || utf8_is_valid(s, strlen(s));
}

hail_err people_list_text(db *d, const people_query *q, buf *out, char next[PEOPLE_CURSOR_MAX],
                          int *count)
{
    *count = 0;
    pthread_once(&list_once, build_list_sql);
    next[0] = '\0';
    search_q *s = NULL;
    int m = 0;
    if (q->q) {
        if (people_filter_too_long(q->q))
            return hail_errf(HAIL_EINVAL, "q is longer than %d characters", Q_CHARS_MAX);
        if (!(s = malloc(sizeof *s)))
            return HAIL_ENOMEM;
        s->len = fold_key(q->q, strlen(q->q), s->text);
        if (s->len > 0) {
            split_words(s);
            m |= 1;
        }
    }
    if (q->owner)
        m |= 2;
    if (q->account)
        m |= 4;
    if (q->opportunity)
        m |= 8;
    hail_err e = HAIL_OK;
    /* The cursor must come from the same kind of listing. */
    int search_cursor_given = q->after_key != NULL;
    if (!list_sqls[engine(d)][m])
        e = HAIL_ENOMEM;
    else if (q->after_id && search_cursor_given != (m & 1))
        e = hail_errf(HAIL_EINVAL, "cursor is not valid for this query");
    else if (q->after_key && !valid(q->after_key))
        e = hail_errf(HAIL_EINVAL, "cursor is not valid");
    else if (!valid(q->q) || !valid(q->owner) || !valid(q->account) || !valid(q->opportunity))
        ; /* text that is not UTF-8 matches nothing stored (PostgreSQL refuses it) */
    else if (m & 1)
        e = search_list(d, q, s, m, out, next, count);
    else
        e = plain_list(d, q, m, out, next, count);
    free(s);
    return e;
}

hail_err people_list(db *d, const people_query *q, json_t *out, char next[PEOPLE_CURSOR_MAX])
{
    buf b = BUF_INIT(64 << 20);
    int n;
    json_t *arr = NULL;
    hail_err e = buf_putc(&b, '[');
    if (!e)
        e = people_list_text(d, q, &b, next, &n);
    if (!e)
        e = buf_putc(&b, ']');
    if (!e)
        e = parse_written(&b, &arr);
    if (!e && json_array_extend(out, arr))
        e = HAIL_ENOMEM;
    json_decref(arr);
    buf_release(&b);
    return e;
}

hail_err people_cursor_parse(const char *s, people_query *q, char *keybuf, size_t keycap)
{
    char *end;
    if (s[0] == 'i') {
        long long v = strtoll(s + 1, &end, 10);
        if (end == s + 1 || *end || v < 0)
            return hail_errf(HAIL_EINVAL, "cursor is not valid");
        q->after_id = v;
        q->after_key = NULL;
        q->after_word = 0;
        return HAIL_OK;
    }
    if (s[0] == 's' || s[0] == 'w') {
        /* "s<id>:<key>" (one word) or "w<driver>.<id>:<key>" (several) */
        const char *p = s + 1;
        long long word = 0;
        if (s[0] == 'w') {
            word = strtoll(p, &end, 10);
            if (end == p || *end != '.' || word < 0 || word >= Q_WORDS_MAX)
                return hail_errf(HAIL_EINVAL, "cursor is not valid");
            p = end + 1;
        }
        long long v = strtoll(p, &end, 10);
        if (end == p || *end != ':' || v < 0 || strlen(end + 1) >= keycap)
            return hail_errf(HAIL_EINVAL, "cursor is not valid");
        memcpy(keybuf, end + 1, strlen(end + 1) + 1);
        q->after_id = v;
        q->after_key = keybuf;
        q->after_word = (int)word;
        return HAIL_OK;
    }
    return hail_errf(HAIL_EINVAL, "cursor is not valid");
}

hail_err people_count(db *d, int64_t *total, int64_t *active)
{
    db_st *st = db_stmt(d, "SELECT count(*), coalesce(sum(active), 0) FROM people");
    if (!st)
        return HAIL_EDB;
    hail_err e = HAIL_OK;
    if (db_step(st) == DB_ROW) {
        *total = db_col_i64(st, 0);
        *active = db_col_i64(st, 1);
    } else {
        e = db_fail(d, "people: count");
    }
    db_reset(st);
    return e;
}
