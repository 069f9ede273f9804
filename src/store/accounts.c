#include "core/common.h"

/* Accounts and opportunities, counted from the active people that carry
 * their ids (docs/store.md, "Accounts"). The account list reads
 * account_companies (schema migration 3): per account and company, how many
 * active people; triggers on people keep it in the transaction of every
 * single-row write, and a bulk load counts afterwards (accounts_rebuild, at
 * the end of this file). So a page is, per account, one seek (primary key, or with q the
 * NOCASE company index) and the account's few rows: O(limit log n) whatever
 * the accounts' sizes. One account's opportunities and one opportunity are
 * read from the people (people_account / people_opportunity indexes):
 * O(that account's or opportunity's people). */
#include "store/accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fold.h"
#include "core/utf8.h"

/* The next account after $1 (the first page: after ''; an empty id is no account). */
static const char sql_next_account[] = "SELECT account_id FROM account_companies"
                                       " WHERE account_id > $1 ORDER BY account_id LIMIT 1";

/* The next (company, account) after ($1, $2) whose company is below $3, all
 * compared case-insensitively (ASCII, SQLite's NOCASE). The row value is part
 * of the index search, so a later page starts where the last one stopped. */
static const char sql_next_company[] =
    "SELECT company, account_id FROM account_companies INDEXED BY account_companies_company"
    " WHERE (company, account_id) > ($1 COLLATE NOCASE, $2) AND company < $3 COLLATE NOCASE"
    " ORDER BY company COLLATE NOCASE, account_id LIMIT 1";
/* PostgreSQL: the same on lower(company) (under "C": ASCII folding, as
 * NOCASE), the account_companies_company index's expression. An account
 * with two spellings of one company ("ACME", "acme") comes first under the
 * smaller, as on SQLite (whose index ends with the binary primary key). */
static const char sql_next_company_pg[] =
    "SELECT company, account_id FROM account_companies"
    " WHERE (lower(company), account_id) > (lower($1 COLLATE \"C\"), $2) AND lower(company) < $3"
    " ORDER BY lower(company), account_id, company LIMIT 1";

/* An account's active people by company ('' for none first, then binary order). */
static const char sql_account_companies[] = "SELECT company, people FROM account_companies"
                                            " WHERE account_id = $1 ORDER BY company";

/* An account's largest opportunities (most people first, then id). */
static const char sql_account_opportunities[] =
    "SELECT sfdc_opportunity_id, count(*) AS n FROM people WHERE active = 1"
    " AND sfdc_account_id IS NOT NULL AND sfdc_account_id = $1"
    " AND sfdc_opportunity_id IS NOT NULL"
    " GROUP BY sfdc_opportunity_id ORDER BY n DESC, sfdc_opportunity_id LIMIT $2";

/* An opportunity's active people, counted by account (NULL first). */
static const char sql_opportunity_accounts[] =
    "SELECT sfdc_account_id, count(*) FROM people WHERE active = 1"
    " AND sfdc_opportunity_id IS NOT NULL AND sfdc_opportunity_id = $1"
    " GROUP BY sfdc_account_id ORDER BY sfdc_account_id";

/* The same as sql_account_companies, counted from the people (an account
 * the rebuild after a bulk load has not reached yet). */
static const char sql_people_companies[] =
    "SELECT coalesce(company, ''), count(*) FROM people WHERE active = 1"
    " AND sfdc_account_id IS NOT NULL AND sfdc_account_id = $1"
    " GROUP BY 1 ORDER BY 1";

const char *accounts_sql(int i)
{
    static const char *const all[] = {sql_next_account,         sql_next_company,
                                      sql_account_companies,    sql_account_opportunities,
                                      sql_opportunity_accounts, sql_people_companies};
    return i >= 0 && i < (int)(sizeof all / sizeof *all) ? all[i] : NULL;
}

/* What one account's people say about it. */
typedef struct summary {
    long long people;
    char *name;  /* the most common non-empty company (the smallest on a tie), or NULL */
    char *match; /* with q: the smallest company (NOCASE) that starts with q, or NULL */
} summary;

static void summary_free(summary *s)
{
    free(s->name);
    free(s->match);
    s->name = s->match = NULL;
}

static int starts_nocase(const char *s, const char *q, size_t qlen)
{
    return strlen(s) >= qlen && strncasecmp(s, q, qlen) == 0;
}

/* ACCOUNTS_DIRTY_KEY's value (NULL: account_companies is right). */
static hail_err dirty_read(db *d, char **dirty)
{
    return db_kv_get(d, ACCOUNTS_DIRTY_KEY, dirty);
}

/* 1 when account_companies holds the account's right counts. */
static int rebuilt(const char *dirty, const char *id)
{
    return !dirty || (dirty[0] == '>' && strcmp(id, dirty + 1) <= 0);
}

/* q: lower-case ASCII prefix (NULL: no q). from_people: count the people
 * rather than read account_companies. */
static hail_err summarize(db *d, const char *id, const char *q, int from_people, summary *s)
{
    *s = (summary){0};
    db_st *st = from_people ? db_stmt(d, sql_people_companies) : db_stmt(d, sql_account_companies);
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, id, -1);
    size_t qlen = q ? strlen(q) : 0;
    long long best = 0;
    const char *match = NULL;
    hail_err e = HAIL_OK;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        const char *c = db_col_text(st, 0);
        long long n = db_col_i64(st, 1);
        s->people += n;
        if (!c || !*c)
            continue;
        if (n > best) {
            char *copy = strdup(c);
            if (!copy) {
                e = HAIL_ENOMEM;
                break;
            }
            free(s->name);
            s->name = copy;
            best = n;
        }
        if (q && starts_nocase(c, q, qlen) && (!match || strcasecmp(c, match) < 0)) {
            char *copy = strdup(c);
            if (!copy) {
                e = HAIL_ENOMEM;
                break;
            }
            free(s->match);
            s->match = copy;
            match = copy;
        }
    }
    if (!e && rc != DB_ROW && rc != DB_DONE)
        e = db_fail(d, "accounts: people of an account");
    db_reset(st);
    if (e)
        summary_free(s);
    return e;
}

static json_t *account_json(const char *id, const summary *s)
{
    return json_pack("{s:s,s:s?,s:I}", "id", id, "name", s->name, "people_count",
                     (json_int_t)s->people);
}

/* The position after which a page starts: the account (and with q, the
 * company it was found under). Cursors: "a<account>", and with q
 * "c<company bytes>:<company><account>". */
typedef struct position {
    char *company;
    char *account;
} position;

static void position_free(position *p)
{
    free(p->company);
    free(p->account);
    p->company = p->account = NULL;
}

static hail_err position_set(position *p, const char *company, const char *account)
{
    char *c = company ? strdup(company) : NULL, *a = strdup(account);
    if ((company && !c) || !a) {
        free(c);
        free(a);
        return HAIL_ENOMEM;
    }
    position_free(p);
    p->company = c;
    p->account = a;
    return HAIL_OK;
}

static void cursor_write(char next[ACCOUNTS_CURSOR_MAX], const position *p)
{
    int n;
    if (p->company)
        n = snprintf(next, ACCOUNTS_CURSOR_MAX, "c%zu:%s%s", strlen(p->company), p->company,
                     p->account);
    else
        n = snprintf(next, ACCOUNTS_CURSOR_MAX, "a%s", p->account);
    if (n < 0 || n >= ACCOUNTS_CURSOR_MAX)
        next[0] = '\0'; /* cannot happen: stored values are at most 1,024 bytes */
}

static hail_err cursor_read(const char *raw, const char *q, position *p)
{
    *p = (position){0};
    if (!raw || !*raw)
        return position_set(p, q ? q : NULL, "");
    if ((raw[0] != 'a' && raw[0] != 'c') || !utf8_is_valid(raw, strlen(raw)))
        return hail_errf(HAIL_EINVAL, "cursor is not valid");
    if ((raw[0] == 'c') != (q != NULL))
        return hail_errf(HAIL_EINVAL, "cursor is not valid for this query");
    if (raw[0] == 'a')
        return position_set(p, NULL, raw + 1);
    char *end;
    unsigned long long n = strtoull(raw + 1, &end, 10);
    if (end == raw + 1 || *end != ':' || raw[1] < '0' || raw[1] > '9' || n > strlen(end + 1))
        return hail_errf(HAIL_EINVAL, "cursor is not valid");
    char *company = strndup(end + 1, (size_t)n);
    if (!company)
        return HAIL_ENOMEM;
    /* A position of another q would list what this one does not have. */
    int ok = starts_nocase(company, q, strlen(q));
    hail_err e = ok ? position_set(p, company, end + 1 + n)
                    : hail_errf(HAIL_EINVAL, "cursor is not valid for this query");
    free(company);
    return e;
}

/* q trimmed and lower-cased (ASCII) into *lo, and into *hi the first text
 * past its NOCASE prefix range (valid UTF-8, as PostgreSQL text must be; ""
 * when there is none). *lo stays NULL when q is absent or blank. */
static hail_err prefix_range(const char *q, char **lo, char **hi)
{
    *lo = *hi = NULL;
    if (!q)
        return HAIL_OK;
    while (*q == ' ' || *q == '\t')
        q++;
    size_t n = strlen(q);
    while (n && (q[n - 1] == ' ' || q[n - 1] == '\t'))
        n--;
    if (!n)
        return HAIL_OK;
    char *l = strndup(q, n), *h = malloc(n + 2);
    if (!l || !h) {
        free(l);
        free(h);
        return HAIL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (l[i] >= 'A' && l[i] <= 'Z')
            l[i] = (char)(l[i] - 'A' + 'a');
    size_t k = fold_prefix_upper(l, n, h);
    /* NOCASE folds A-Z to a-z: the next folded text after '@' is '[' */
    if (k && h[k - 1] == 'A')
        h[k - 1] = '[';
    *lo = l;
    *hi = h;
    return HAIL_OK;
}

/* The candidate after p: the next account (no q) or the next (company,
 * account) pair of q's range, into c; *found 0 when there is none. */
static hail_err next_candidate(db *d, const position *p, const char *q, const char *hi, position *c,
                               int *found)
{
    *found = 0;
    db_st *st = q ? db_stmt(d, DB_SQL(d, sql_next_company, sql_next_company_pg))
                  : db_stmt(d, sql_next_account);
    if (!st)
        return HAIL_EDB;
    if (q) {
        db_bind_text_ref(st, 1, p->company, -1);
        db_bind_text_ref(st, 2, p->account, -1);
        db_bind_text_ref(st, 3, hi, -1);
    } else {
        db_bind_text_ref(st, 1, p->account, -1);
    }
    hail_err e = HAIL_OK;
    int rc = db_step(st);
    if (rc == DB_ROW) {
        const char *company = q ? db_col_text(st, 0) : NULL;
        const char *account = db_col_text(st, q ? 1 : 0);
        if (!account || (q && !company))
            e = HAIL_ENOMEM; /* the only way SQLite returns NULL for a non-NULL value */
        else if (!(e = position_set(c, company, account)))
            *found = 1;
    } else if (rc != DB_DONE) {
        e = db_fail(d, "accounts: list");
    }
    db_reset(st);
    return e;
}

hail_err accounts_list(db *d, const accounts_query *aq, json_t *out, char next[ACCOUNTS_CURSOR_MAX])
{
    next[0] = '\0';
    char *q, *hi;
    hail_err e = prefix_range(aq->q, &q, &hi);
    if (e)
        return e;
    position at = {0}, cand = {0}, last = {0};
    char *dirty = NULL;
    e = cursor_read(aq->cursor, q, &at);
    if (!e)
        e = dirty_read(d, &dirty);
    int n = 0, examined = 0;
    /* A q that is not UTF-8 starts no stored company: an empty page. */
    if (q && !utf8_is_valid(q, strlen(q)))
        hi[0] = '\0';
    while (!e && !(q && !*hi)) {
        int found;
        if ((e = next_candidate(d, &at, q, hi, &cand, &found)) || !found)
            break;
        /* After a bulk load, until the rebuild reaches them, accounts are
         * left out (in id order: all that follow). */
        if (!rebuilt(dirty, cand.account)) {
            if (!q)
                break;
            examined++;
            if ((e = position_set(&at, cand.company, cand.account)))
                break;
            if (examined >= ACCOUNTS_SCAN_MAX) {
                cursor_write(next, &at);
                break;
            }
            continue;
        }
        if (!q && n == aq->limit) {
            cursor_write(next, &last); /* more follow; no need to count them */
            break;
        }
        examined++;
        summary s;
        if ((e = summarize(d, cand.account, q, 0, &s)))
            break;
        /* An account is listed once: under the smallest of its companies that start with q. */
        int accept = s.people > 0 && (!q || (s.match && !strcasecmp(s.match, cand.company)));
        if (accept && n == aq->limit) {
            summary_free(&s);
            cursor_write(next, &last);
            break;
        }
        if (accept) {
            json_t *j = account_json(cand.account, &s);
            if (!j || json_array_append_new(out, j))
                e = HAIL_ENOMEM;
            else if (!(e = position_set(&last, cand.company, cand.account)))
                n++;
        }
        summary_free(&s);
        if (!e)
            e = position_set(&at, cand.company, cand.account);
        /* Bounded: past ACCOUNTS_SCAN_MAX candidates the page stops short and
         * the cursor resumes after the last one examined. */
        if (!e && examined >= ACCOUNTS_SCAN_MAX) {
            cursor_write(next, &at);
            break;
        }
    }
    position_free(&at);
    position_free(&cand);
    position_free(&last);
    free(dirty);
    free(q);
    free(hi);
    return e;
}

hail_err accounts_get(db *d, const char *id, json_t **out)
{
    *out = NULL;
    /* Text that is not UTF-8 matches nothing stored (and PostgreSQL refuses it). */
    if (!utf8_is_valid(id, strlen(id)))
        return HAIL_ENOTFOUND;
    summary s;
    char *dirty = NULL;
    hail_err e = dirty_read(d, &dirty);
    if (e)
        return e;
    e = summarize(d, id, NULL, !rebuilt(dirty, id), &s);
    free(dirty);
    if (e)
        return e;
    if (!s.people) {
        summary_free(&s);
        return HAIL_ENOTFOUND;
    }
    json_t *j = account_json(id, &s), *opps = json_array();
    summary_free(&s);
    db_st *st = db_stmt(d, sql_account_opportunities);
    if (!j || !opps || !st) {
        json_decref(j);
        json_decref(opps);
        return st ? HAIL_ENOMEM : HAIL_EDB;
    }
    db_bind_text_ref(st, 1, id, -1);
    db_bind_i64(st, 2, ACCOUNT_OPPORTUNITIES_MAX + 1);
    int rc, n = 0, more = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (n == ACCOUNT_OPPORTUNITIES_MAX) {
            more = 1;
            break;
        }
        json_t *o = json_pack("{s:s,s:I}", "id", db_col_text(st, 0), "people_count",
                              (json_int_t)db_col_i64(st, 1));
        if (!o || json_array_append_new(opps, o)) {
            e = HAIL_ENOMEM;
            break;
        }
        n++;
    }
    if (!e && rc != DB_ROW && rc != DB_DONE)
        e = db_fail(d, "accounts: opportunities of an account");
    db_reset(st);
    if (!e && (json_object_set_new(j, "opportunities", opps) ||
               json_object_set_new(j, "more_opportunities", json_boolean(more))))
        e = HAIL_ENOMEM;
    else if (e)
        json_decref(opps);
    if (e)
        json_decref(j);
    else
        *out = j;
    return e;
}

hail_err opportunities_get(db *d, const char *id, json_t **out)
{
    *out = NULL;
    if (!utf8_is_valid(id, strlen(id)))
        return HAIL_ENOTFOUND;
    db_st *st = db_stmt(d, sql_opportunity_accounts);
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, id, -1);
    long long people = 0, best = 0;
    char *account = NULL;
    hail_err e = HAIL_OK;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        const char *a = db_col_text(st, 0);
        long long n = db_col_i64(st, 1);
        people += n;
        /* the most common account; rows come in id order, so a tie keeps the smallest */
        if (a && *a && n > best) {
            char *copy = strdup(a);
            if (!copy) {
                e = HAIL_ENOMEM;
                break;
            }
            free(account);
            account = copy;
            best = n;
        }
    }
    if (!e && rc != DB_ROW && rc != DB_DONE)
        e = db_fail(d, "accounts: people of an opportunity");
    db_reset(st);
    if (!e && !people)
        e = HAIL_ENOTFOUND;
    if (!e && !(*out = json_pack("{s:s,s:s?,s:I}", "id", id, "account_id", account, "people_count",
                                 (json_int_t)people)))
        e = HAIL_ENOMEM;
    free(account);
    return e;
}

/* ---- the rebuild after a bulk load ----
 *
 * A range of accounts at a time, from the mark on (">id": after id; "": from
 * the first): the range's rows of account_companies deleted and counted
 * again from its people, in one transaction that moves the mark on. Another
 * connection's writes meanwhile go through the triggers: before the range's
 * transaction they are counted in it, after it they update right counts. */

/* The account the range ends with: that of the ($3 + 1)th person from the
 * start ($1, excluded when $2). */
static const char sql_rebuild_end[] =
    "SELECT sfdc_account_id FROM people WHERE sfdc_account_id IS NOT NULL"
    " AND sfdc_account_id >= $1 AND NOT ($2 AND sfdc_account_id = $1)"
    " ORDER BY sfdc_account_id LIMIT 1 OFFSET $3";
/* $3: the range's last account; the _rest forms take all that follow. */
static const char sql_rebuild_delete[] =
    "DELETE FROM account_companies WHERE account_id >= $1 AND NOT ($2 AND account_id = $1)"
    " AND account_id <= $3";
static const char sql_rebuild_delete_rest[] =
    "DELETE FROM account_companies WHERE account_id >= $1 AND NOT ($2 AND account_id = $1)";
static const char sql_rebuild_insert[] =
    "INSERT INTO account_companies"
    " SELECT sfdc_account_id, coalesce(company, ''), count(*) FROM people"
    " WHERE active = 1 AND sfdc_account_id IS NOT NULL AND sfdc_account_id >= $1"
    " AND NOT ($2 AND sfdc_account_id = $1) AND sfdc_account_id <= $3 GROUP BY 1, 2";
static const char sql_rebuild_insert_rest[] =
    "INSERT INTO account_companies"
    " SELECT sfdc_account_id, coalesce(company, ''), count(*) FROM people"
    " WHERE active = 1 AND sfdc_account_id IS NOT NULL AND sfdc_account_id >= $1"
    " AND NOT ($2 AND sfdc_account_id = $1) GROUP BY 1, 2";

static void bind_range(db_st *st, const char *lo, int excl, const char *last)
{
    db_bind_text_ref(st, 1, lo, -1);
    db_bind_i64(st, 2, excl);
    if (last)
        db_bind_text_ref(st, 3, last, -1);
}

/* The next range of about `rows` people (whole accounts; < 0: all that is
 * left), in the caller's transaction. *done 1 when no mark is left. */
static hail_err rebuild_range(db *d, int64_t rows, int *done)
{
    *done = 0;
    char *mark = NULL, *last = NULL;
    hail_err e = db_kv_get(d, ACCOUNTS_DIRTY_KEY, &mark);
    if (e)
        return e;
    if (!mark) {
        *done = 1;
        return HAIL_OK;
    }
    int excl = mark[0] == '>';
    const char *lo = excl ? mark + 1 : "";
    if (rows >= 0) {
        db_st *st = db_stmt(d, sql_rebuild_end);
        if (!st) {
            e = HAIL_EDB;
            goto out;
        }
        bind_range(st, lo, excl, NULL);
        db_bind_i64(st, 3, rows);
        int rc = db_step(st);
        if (rc == DB_ROW) {
            const char *v = db_col_text(st, 0);
            if (!v || !(last = strdup(v)))
                e = HAIL_ENOMEM;
        } else if (rc != DB_DONE) {
            e = db_fail(d, "accounts: rebuild");
        }
        db_reset(st);
        if (e)
            goto out;
    }
    for (int i = 0; i < 2 && !e; i++) {
        db_st *st;
        if (i)
            st = last ? db_stmt(d, sql_rebuild_insert) : db_stmt(d, sql_rebuild_insert_rest);
        else
            st = last ? db_stmt(d, sql_rebuild_delete) : db_stmt(d, sql_rebuild_delete_rest);
        if (!st) {
            e = HAIL_EDB;
            break;
        }
        bind_range(st, lo, excl, last);
        e = db_step_done(d, st, "accounts: rebuild");
    }
    if (e)
        goto out;
    if (last) {
        size_t n = strlen(last);
        char *v = malloc(n + 2);
        if (!v) {
            e = HAIL_ENOMEM;
            goto out;
        }
        v[0] = '>';
        memcpy(v + 1, last, n + 1);
        e = db_kv_set(d, ACCOUNTS_DIRTY_KEY, v);
        free(v);
    } else {
        e = db_kv_del(d, ACCOUNTS_DIRTY_KEY);
        *done = !e;
    }
out:
    free(mark);
    free(last);
    return e;
}

hail_err accounts_rebuild_rest(db *d)
{
    int done;
    return rebuild_range(d, -1, &done);
}

hail_err accounts_rebuild_step(db *d, int64_t rows, int *done)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    if ((e = rebuild_range(d, rows, done)) || (e = db_commit(d)))
        db_rollback(d);
    return e;
}

static hail_err rebuild_step(db *d, void *ctx, int64_t rows, int *done)
{
    (void)ctx;
    return rebuild_range(d, rows, done);
}

hail_err accounts_rebuild(db *d)
{
    return db_bulk_run(d, 1024, rebuild_step, NULL);
}
