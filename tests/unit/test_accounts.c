#include "core/common.h"

/* Unit tests for store/accounts: the account list (plain and q), its
 * cursors and bound, one account, one opportunity, and the query plans
 * (every page a bounded index search, never a scan of the table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "core/err.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/people.h"
#include "db_fixture.h"

typedef db_fixture fixture;

static int setup(void **state)
{
    return db_fixture_setup(state, "accounts");
}

static int teardown(void **state)
{
    return db_fixture_teardown(state);
}

static void set(person_in *p, enum person_field fl, const char *v)
{
    p->f[fl] = v;
    p->len[fl] = v ? strlen(v) : 0;
}

/* One person: company, account, opportunity; active when owner is set. */
static void put(people_writer *w, int64_t id, const char *company, const char *account,
                const char *opp, const char *owner)
{
    person_in p;
    memset(&p, 0, sizeof p);
    p.marketo_id = id;
    set(&p, PF_FIRST_NAME, "P");
    set(&p, PF_COMPANY, company);
    set(&p, PF_SFDC_ACCOUNT_ID, account);
    set(&p, PF_SFDC_OPPORTUNITY_ID, opp);
    set(&p, PF_OWNER_EMAIL, owner);
    if (people_writer_put(w, &p)) {
        print_error("put %lld: %s\n", (long long)id, hail_errmsg());
        fail();
    }
}

static const char *R = "rep@example.com";

static void load(db *d)
{
    people_writer *w = NULL;
    assert_int_equal(people_writer_open(d, 0, &w), HAIL_OK);
    /* A1: Acme Corp x2, ACME x1 (the name: Acme Corp), one with no company */
    put(w, 1, "Acme Corp", "A1", "O1", R);
    put(w, 2, "Acme Corp", "A1", "O1", R);
    put(w, 3, "ACME", "A1", "O2", R);
    put(w, 4, NULL, "A1", NULL, R);
    /* A2: Beta x3 (with 12, 13), Alpha x1 */
    put(w, 5, "Beta", "A2", NULL, R);
    put(w, 6, "Alpha", "A2", NULL, R);
    /* A3: nobody has a company: no name */
    put(w, 7, NULL, "A3", "O3", R);
    /* A4: only inactive people: no account */
    put(w, 8, "Gone Inc", "A4", "O4", NULL);
    /* A5: an odd id, a company with '@' (the NOCASE range's edge) */
    put(w, 9, "x@y", "A5 ü/?%", NULL, R);
    put(w, 10, "xA", "A6", NULL, R);
    /* no account at all */
    put(w, 11, "Acme Corp", NULL, "O5", R);
    /* O3 also on A2 twice: O3's account is A2 */
    put(w, 12, "Beta", "A2", "O3", R);
    put(w, 13, "Beta", "A2", "O3", R);
    /* an inactive person of A1 counts for nothing */
    put(w, 14, "Zeta", "A1", NULL, NULL);
    /* A7: a tie between Gamma and Delta: the smallest, Delta; an empty
     * company is no name */
    put(w, 15, "Gamma", "A7", NULL, R);
    put(w, 16, "Delta", "A7", NULL, R);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
}

/* The listing as "id:name:count,…" plus "|" and the raw next cursor. */
static void list(db *d, const char *q, const char *cursor, int limit, char *out, size_t cap,
                 char next[ACCOUNTS_CURSOR_MAX])
{
    json_t *a = json_array();
    accounts_query aq = {.q = q, .cursor = cursor, .limit = limit};
    hail_err e = accounts_list(d, &aq, a, next);
    if (e) {
        print_error("accounts_list(%s): %s\n", q ? q : "", hail_errmsg());
        fail();
    }
    size_t n = 0;
    out[0] = '\0';
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        n += (size_t)snprintf(out + n, cap - n, "%s%s:%s:%lld", i ? "," : "",
                              json_string_value(json_object_get(v, "id")), name ? name : "null",
                              (long long)json_integer_value(json_object_get(v, "people_count")));
        assert_true(n < cap);
    }
    json_decref(a);
}

static void expect_all(db *d, const char *q, int limit, const char *want)
{
    char all[8192] = "", page[4096], next[ACCOUNTS_CURSOR_MAX], cursor[ACCOUNTS_CURSOR_MAX] = "";
    for (int pages = 0;; pages++) {
        assert_true(pages < 100);
        list(d, q, cursor, limit, page, sizeof page, next);
        size_t used = strlen(all);
        snprintf(all + used, sizeof all - used, "%s%s", *all && *page ? "," : "", page);
        if (!*next)
            break;
        memcpy(cursor, next, sizeof cursor);
    }
    assert_string_equal(all, want);
}

static void test_list(void **state)
{
    fixture *f = *state;
    load(f->d);
    char page[4096], next[ACCOUNTS_CURSOR_MAX];
    const char *all = "A1:Acme Corp:4,A2:Beta:4,A3:null:1,A5 \xc3\xbc/?%:x@y:1,A6:xA:1,A7:Delta:2";
    list(f->d, NULL, NULL, 200, page, sizeof page, next);
    assert_string_equal(page, all);
    assert_string_equal(next, "");
    /* a page that ends exactly at the end says so */
    list(f->d, NULL, "", 6, page, sizeof page, next);
    assert_string_equal(next, "");
    list(f->d, NULL, "", 4, page, sizeof page, next);
    assert_string_equal(next, "aA5 \xc3\xbc/?%");
    for (int limit = 1; limit <= 7; limit++)
        expect_all(f->d, NULL, limit, all);
    /* a blank q is no q */
    expect_all(f->d, "  ", 2, all);
}

static void test_list_q(void **state)
{
    fixture *f = *state;
    load(f->d);
    /* A1 once, under the smallest of ACME / Acme Corp (NOCASE: "acme") */
    expect_all(f->d, "acme", 1, "A1:Acme Corp:4");
    expect_all(f->d, " AcMe ", 50, "A1:Acme Corp:4");
    expect_all(f->d, "acme c", 50, "A1:Acme Corp:4");
    /* company order (ACME, Acme Corp, Alpha), not id order; each account once */
    expect_all(f->d, "a", 1, "A1:Acme Corp:4,A2:Beta:4");
    expect_all(f->d, "al", 1, "A2:Beta:4");
    expect_all(f->d, "b", 1, "A2:Beta:4");
    expect_all(f->d, "d", 1, "A7:Delta:2");
    expect_all(f->d, "g", 1, "A7:Delta:2");
    /* the range after '@' is '[', not 'A' (which NOCASE reads as 'a') */
    expect_all(f->d, "x@", 1, "A5 \xc3\xbc/?%:x@y:1");
    expect_all(f->d, "x", 1, "A5 \xc3\xbc/?%:x@y:1,A6:xA:1");
    expect_all(f->d, "xa", 1, "A6:xA:1");
    /* inactive people and people without an account are no match */
    expect_all(f->d, "gone", 1, "");
    expect_all(f->d, "zeta", 1, "");
    expect_all(f->d, "\xff\xff", 1, "");
}

static void test_cursor_errors(void **state)
{
    fixture *f = *state;
    load(f->d);
    static const struct {
        const char *q, *cursor, *msg;
    } bad[] = {
        {NULL, "zz", "cursor is not valid"},
        {"acme", "x", "cursor is not valid"},
        {"acme", "c", "cursor is not valid"},
        {"acme", "c99:acme", "cursor is not valid"},
        {"acme", "c-1:acme", "cursor is not valid"},
        {"acme", "aA1", "cursor is not valid for this query"},
        {NULL, "c4:acmeA1", "cursor is not valid for this query"},
        {"beta", "c4:acmeA1", "cursor is not valid for this query"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *a = json_array();
        char next[ACCOUNTS_CURSOR_MAX];
        accounts_query aq = {.q = bad[i].q, .cursor = bad[i].cursor, .limit = 5};
        assert_int_equal(accounts_list(f->d, &aq, a, next), HAIL_EINVAL);
        assert_string_equal(hail_errmsg(), bad[i].msg);
        assert_int_equal(json_array_size(a), 0);
        json_decref(a);
    }
}

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    assert_non_null(s);
    return s;
}

static void test_get(void **state)
{
    fixture *f = *state;
    load(f->d);
    json_t *j;
    assert_int_equal(accounts_get(f->d, "A1", &j), HAIL_OK);
    char *s = dump(j);
    assert_string_equal(s, "{\"id\":\"A1\",\"more_opportunities\":false,\"name\":\"Acme Corp\","
                           "\"opportunities\":[{\"id\":\"O1\",\"people_count\":2},"
                           "{\"id\":\"O2\",\"people_count\":1}],\"people_count\":4}");
    free(s);
    assert_int_equal(accounts_get(f->d, "A3", &j), HAIL_OK);
    s = dump(j);
    assert_string_equal(s, "{\"id\":\"A3\",\"more_opportunities\":false,\"name\":null,"
                           "\"opportunities\":[{\"id\":\"O3\",\"people_count\":1}],"
                           "\"people_count\":1}");
    free(s);
    assert_int_equal(accounts_get(f->d, "A4", &j), HAIL_ENOTFOUND);
    assert_null(j);
    assert_int_equal(accounts_get(f->d, "a1", &j), HAIL_ENOTFOUND);

    assert_int_equal(opportunities_get(f->d, "O3", &j), HAIL_OK);
    s = dump(j);
    assert_string_equal(s, "{\"account_id\":\"A2\",\"id\":\"O3\",\"people_count\":3}");
    free(s);
    assert_int_equal(opportunities_get(f->d, "O5", &j), HAIL_OK);
    s = dump(j);
    assert_string_equal(s, "{\"account_id\":null,\"id\":\"O5\",\"people_count\":1}");
    free(s);
    assert_int_equal(opportunities_get(f->d, "O4", &j), HAIL_ENOTFOUND);
    assert_int_equal(opportunities_get(f->d, "nope", &j), HAIL_ENOTFOUND);
}

/* An account with more opportunities than a reply lists: the largest 100. */
static void test_opportunities_bounded(void **state)
{
    fixture *f = *state;
    people_writer *w = NULL;
    assert_int_equal(people_writer_open(f->d, 0, &w), HAIL_OK);
    char opp[32];
    int id = 1;
    for (int i = 0; i < 150; i++) {
        snprintf(opp, sizeof opp, "O%03d", i);
        put(w, id++, "Big", "BIG", opp, R);
        if (i == 149) /* the last one by id, but the largest */
            put(w, id++, "Big", "BIG", opp, R);
    }
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    json_t *j;
    assert_int_equal(accounts_get(f->d, "BIG", &j), HAIL_OK);
    json_t *o = json_object_get(j, "opportunities");
    assert_int_equal(json_array_size(o), ACCOUNT_OPPORTUNITIES_MAX);
    assert_true(json_is_true(json_object_get(j, "more_opportunities")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "id")), "O149");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(o, 0), "people_count")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 1), "id")), "O000");
    assert_string_equal(json_string_value(json_object_get(json_array_get(o, 99), "id")), "O098");
    assert_int_equal(json_integer_value(json_object_get(j, "people_count")), 151);
    json_decref(j);
}

/* A q listing where most candidates are accounts already listed: a page
 * examines at most ACCOUNTS_SCAN_MAX, stops short with a cursor, and walking
 * the cursors lists every account once. */
static void test_q_scan_bounded(void **state)
{
    fixture *f = *state;
    people_writer *w = NULL;
    assert_int_equal(people_writer_open(f->d, 0, &w), HAIL_OK);
    enum { N = 1100 };
    char acct[32];
    for (int i = 0; i < N; i++) {
        snprintf(acct, sizeof acct, "ACC%05d", i);
        put(w, 2 * i + 1, "Dup A", acct, NULL, R);
        put(w, 2 * i + 2, "Dup B", acct, NULL, R);
    }
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    char page[65536], next[ACCOUNTS_CURSOR_MAX], cursor[ACCOUNTS_CURSOR_MAX] = "";
    int seen = 0, pages = 0, short_pages = 0;
    for (;; pages++) {
        assert_true(pages < 50);
        list(f->d, "dup", cursor, 200, page, sizeof page, next);
        int n = 0;
        for (const char *p = page; *p; p++)
            n += *p == ':';
        n /= 2;
        if (*next && n < 200)
            short_pages++;
        seen += n;
        if (!*next)
            break;
        memcpy(cursor, next, sizeof cursor);
    }
    assert_int_equal(seen, N);
    assert_true(short_pages >= 1);
}

/* EXPLAIN QUERY PLAN of sql: the detail lines joined by '\n'. Caller frees. */
static char *plan_of(db *d, const char *sql)
{
    char *eqp = malloc(strlen(sql) + 32);
    assert_non_null(eqp);
    snprintf(eqp, strlen(sql) + 32, "EXPLAIN QUERY PLAN %s", sql);
    db_st *st;
    if (!(st = db_prepare(d, eqp))) {
        print_error("%s: %s\n", eqp, hail_errmsg());
        fail();
    }
    free(eqp);
    size_t cap = 4096, n = 0;
    char *out = calloc(1, cap);
    assert_non_null(out);
    while (db_step(st) == DB_ROW) {
        n += (size_t)snprintf(out + n, cap - n, "%s\n", db_col_text(st, 3));
        assert_true(n < cap);
    }
    db_st_free(st);
    return out;
}

static void expect_plan(db *d, int i, const char *want, const char *const *banned)
{
    char *plan = plan_of(d, accounts_sql(i));
    int bad = !strstr(plan, want);
    for (; banned && *banned; banned++)
        bad |= strstr(plan, *banned) != NULL;
    if (bad) {
        print_error("plan of %s:\n%swant '%s'\n", accounts_sql(i), plan, want);
        free(plan);
        fail();
    }
    free(plan);
}

/* Every page is index searches: one seek per candidate (the row value of
 * the q cursor is part of the search) and one range of each account's rows
 * of account_companies; no statement scans a table or sorts it. */
static void test_plans(void **state)
{
    fixture *f = *state;
    load(f->d);
    static const char *const no_scan_no_sort[] = {"SCAN", "TEMP B-TREE", NULL};
    static const char *const no_scan[] = {"SCAN", NULL};
    expect_plan(f->d, 0, "SEARCH account_companies USING PRIMARY KEY (account_id>?)",
                no_scan_no_sort);
    expect_plan(f->d, 1,
                "SEARCH account_companies USING COVERING INDEX account_companies_company "
                "((company,account_id)>(?,?) AND company<?)",
                no_scan_no_sort);
    expect_plan(f->d, 2, "SEARCH account_companies USING PRIMARY KEY (account_id=?)",
                no_scan_no_sort);
    /* the account's or the opportunity's people only, grouped in a temporary tree */
    expect_plan(f->d, 3, "SEARCH people USING INDEX people_account (sfdc_account_id=?)", no_scan);
    expect_plan(f->d, 4, "SEARCH people USING INDEX people_opportunity (sfdc_opportunity_id=?)",
                no_scan);
    /* an account the rebuild after a bulk load has not reached: its people */
    expect_plan(f->d, 5, "SEARCH people USING INDEX people_account (sfdc_account_id=?)", no_scan);
    assert_null(accounts_sql(6));
}

/* account_companies as the people say it should be, and as it is. */
static void expect_counts_follow(db *d)
{
    static const char want_sql[] =
        "SELECT coalesce(group_concat(r, ';'), '') FROM (SELECT sfdc_account_id || '|' ||"
        " coalesce(company, '') || '|' || count(*) AS r FROM people WHERE active = 1"
        " AND sfdc_account_id IS NOT NULL GROUP BY sfdc_account_id, coalesce(company, '')"
        " ORDER BY sfdc_account_id, coalesce(company, ''))";
    static const char got_sql[] =
        "SELECT coalesce(group_concat(r, ';'), '') FROM (SELECT account_id || '|' || company"
        " || '|' || people AS r FROM account_companies ORDER BY account_id, company)";
    char want[4096], got[4096];
    const char *sql[2] = {want_sql, got_sql};
    char *out[2] = {want, got};
    for (int i = 0; i < 2; i++) {
        db_st *st;
        assert_non_null(st = db_prepare(d, sql[i]));
        assert_int_equal(db_step(st), DB_ROW);
        snprintf(out[i], 4096, "%s", db_col_text(st, 0));
        db_st_free(st);
    }
    assert_string_equal(got, want);
}

/* The triggers keep the counts through every kind of write: new people,
 * changed company or account, deactivation, reactivation, deletion, a bulk
 * load; and a database from before gets its counts in the migration. */
static void test_counts_follow_writes(void **state)
{
    fixture *f = *state;
    people_writer *w = NULL;
    assert_int_equal(people_writer_open(f->d, PW_BULK, &w), HAIL_OK);
    put(w, 1, "Acme", "A1", NULL, R);
    put(w, 2, "Acme", "A1", NULL, R);
    put(w, 3, NULL, "A1", NULL, R);
    put(w, 4, "", "A2", NULL, R);
    put(w, 5, "Beta", NULL, NULL, R);
    put(w, 6, "Gone", "A3", NULL, NULL);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_counts_follow(f->d);
    assert_int_equal(people_writer_open(f->d, 0, &w), HAIL_OK);
    put(w, 1, "Acme Corp", "A1", NULL, R); /* company */
    put(w, 2, "Acme", "A2", NULL, R);      /* account */
    put(w, 5, "Beta", "A2", NULL, R);      /* an account at last */
    put(w, 6, "Gone", "A3", NULL, R);      /* active again */
    put(w, 3, NULL, "A1", "O1", R);        /* nothing the counts hold */
    assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    expect_counts_follow(f->d);
    put(w, 4, "", NULL, NULL, R);                                 /* no account any more */
    put(w, 1, "Acme Corp", "A1", NULL, NULL);                     /* no owner: inactive */
    assert_int_equal(people_writer_deactivate(w, 2, 1), HAIL_OK); /* deleted in Marketo */
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_counts_follow(f->d);
    char page[1024], next[ACCOUNTS_CURSOR_MAX];
    list(f->d, NULL, NULL, 50, page, sizeof page, next);
    assert_string_equal(page, "A1:null:1,A2:Beta:1,A3:Gone:1");
    assert_int_equal(db_exec(f->d, "DELETE FROM people WHERE id IN (SELECT id FROM people"
                                   " WHERE marketo_id IN (5, 6))"),
                     HAIL_OK);
    expect_counts_follow(f->d);
    list(f->d, NULL, NULL, 50, page, sizeof page, next);
    assert_string_equal(page, "A1:null:1");

    /* a database at schema 2 with people: migration 3 counts them */
    load(f->d);
    assert_int_equal(db_exec(f->d,
                             "DROP TABLE account_companies; DROP TRIGGER account_companies_insert;"
                             " DROP TRIGGER account_companies_update;"
                             " DROP TRIGGER account_companies_delete; DROP TABLE leases;"
                             /* migration 5's tables */
                             " DROP TABLE activities; DROP TABLE email_attachments;"
                             /* migration 8's trigger on people reads activities */
                             " DROP TRIGGER activities_owner_change;"
                             " DROP TABLE emails; DROP TABLE template_favorites;"
                             " DROP TABLE templates; DROP TABLE senders; DROP TABLE channels;"
                             " DROP TABLE unsubscribes; DROP TABLE people_unsubscribed;"
                             " DROP TABLE blocked_domains; DROP TABLE inbound_messages;"
                             /* migration 6's */
                             " DROP TABLE campaign_members; DROP TABLE campaign_steps;"
                             " DROP TABLE campaigns; DROP TABLE holidays; DROP TABLE tasks;"
                             " DROP TABLE calls; DROP TABLE call_outcomes; DROP TABLE call_reasons;"
                             " DROP TABLE caller_ids; DROP TABLE voicemail_drops;"
                             " DROP TABLE dialer_events; ALTER TABLE users DROP COLUMN time_zone;"
                             " ALTER TABLE users DROP COLUMN campaigns_paused_at;"
                             " ALTER TABLE people DROP COLUMN time_zone;"
                             /* migration 7's (P: the panel's indexes) */
                             " DROP INDEX panel_sfdc_lead; DROP INDEX panel_sfdc_contact;"
                             /* migration 7's */
                             " DROP TABLE best_bets; DROP TRIGGER best_bets_owner_change;"
                             /* migration 9's: the outbox, triggers, filters */
                             " DROP TABLE log_cursors; DROP TABLE outbox_batches;"
                             " DROP TABLE outbox_skips; DROP TABLE outbox_retry;"
                             " DROP TABLE triggers; DROP TABLE trigger_fires;"
                             " DROP TABLE webhook_deliveries; DROP TABLE filters;"
                             /* migration 10's (its tasks columns went with tasks) */
                             " DROP TABLE sfdc_task_deletes;"
                             " PRAGMA user_version = 2"),
                     HAIL_OK);
    db_close(f->d);
    f->d = NULL;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &f->d), HAIL_OK);
    expect_counts_follow(f->d);
}

/* The value of a kv key ("-" when unset). */
static void expect_kv(db *d, const char *key, const char *want)
{
    char *v = NULL;
    assert_int_equal(db_kv_get(d, key, &v), HAIL_OK);
    assert_string_equal(v ? v : "-", want);
    free(v);
}

static long long count_of(db *d, const char *sql)
{
    db_st *st;
    assert_non_null(st = db_prepare(d, sql));
    assert_int_equal(db_step(st), DB_ROW);
    long long n = db_col_i64(st, 0);
    db_st_free(st);
    return n;
}

/* 120 people over accounts B00..B11 and companies C0..C2, some inactive,
 * some without a company or account, id 7 twice (an update in the load). */
static void bulk_people(people_writer *w)
{
    static const char *const companies[] = {"C0", "C1", "C2", NULL};
    for (int i = 1; i <= 120; i++) {
        char account[8];
        snprintf(account, sizeof account, "B%02d", i % 12);
        put(w, i, companies[i % 4], i % 10 == 0 ? NULL : account, NULL, i % 7 == 0 ? NULL : R);
    }
    put(w, 7, "C1", "B03", NULL, R);
}

/* A bulk load leaves the triggers silent and counts after the load: the
 * same counts as the triggers give, and no mark left. */
static void test_bulk_counts(void **state)
{
    fixture *f = *state;
    people_writer *w = NULL;
    assert_int_equal(people_writer_open(f->d, PW_BULK, &w), HAIL_OK);
    bulk_people(w);
    /* in the bulk transaction the triggers did nothing */
    assert_int_equal(count_of(f->d, "SELECT count(*) FROM account_companies"), 0);
    assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    expect_kv(f->d, ACCOUNTS_DIRTY_KEY, "");
    put(w, 121, "C9", "B00", NULL, R);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_kv(f->d, ACCOUNTS_DIRTY_KEY, "-");
    expect_kv(f->d, PEOPLE_BULK_TX_KEY, "-");
    expect_counts_follow(f->d);
    assert_true(count_of(f->d, "SELECT count(*) FROM account_companies") > 12);
    /* and the triggers work again for the next writer */
    assert_int_equal(people_writer_open(f->d, 0, &w), HAIL_OK);
    put(w, 1, "C7", "B11", NULL, R);
    put(w, 122, NULL, "B05", NULL, R);
    assert_int_equal(people_writer_deactivate(w, 2, 1), HAIL_OK);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_counts_follow(f->d);
}

/* A bulk load killed after its last commit, before the rebuild (a child
 * process that exits there): the list holds nothing yet, one account is
 * counted from its people; a rebuild stopped part way lists the accounts it
 * reached; single writes meanwhile are kept; the next open finishes. */
static void test_bulk_killed(void **state)
{
    fixture *f = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        db *d = NULL;
        people_writer *w = NULL;
        if (db_open(f->path, DB_MIGRATE, &d) || people_writer_open(d, PW_BULK, &w))
            _exit(2);
        bulk_people(w);
        _exit(people_writer_checkpoint(w) == HAIL_OK ? 0 : 3); /* killed */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    expect_kv(f->d, ACCOUNTS_DIRTY_KEY, "");
    expect_kv(f->d, PEOPLE_BULK_TX_KEY, "-"); /* never committed */
    assert_int_equal(count_of(f->d, "SELECT count(*) FROM account_companies"), 0);
    char page[4096], next[ACCOUNTS_CURSOR_MAX];
    list(f->d, NULL, NULL, 50, page, sizeof page, next);
    assert_string_equal(page, "");
    assert_string_equal(next, "");
    list(f->d, "c", NULL, 50, page, sizeof page, next);
    assert_string_equal(page, "");
    /* B03: 3, 15, 27, 39, 51, 75, 87, 99, 111 (no company) and 7 (C1); 63
     * has no owner */
    json_t *a = NULL;
    assert_int_equal(accounts_get(f->d, "B03", &a), HAIL_OK);
    assert_int_equal(json_integer_value(json_object_get(a, "people_count")), 10);
    assert_string_equal(json_string_value(json_object_get(a, "name")), "C1");
    json_decref(a);

    /* part of the rebuild: B00 (8 people), then B01 (10: whole accounts) */
    int done = 0;
    assert_int_equal(accounts_rebuild_step(f->d, 0, &done), HAIL_OK);
    assert_false(done);
    expect_kv(f->d, ACCOUNTS_DIRTY_KEY, ">B00");
    assert_int_equal(accounts_rebuild_step(f->d, 9, &done), HAIL_OK);
    assert_false(done);
    expect_kv(f->d, ACCOUNTS_DIRTY_KEY, ">B01");
    list(f->d, NULL, NULL, 1, page, sizeof page, next);
    assert_string_equal(page, "B00:C0:7");
    char cursor[ACCOUNTS_CURSOR_MAX];
    memcpy(cursor, next, sizeof cursor);
    list(f->d, NULL, cursor, 1, page, sizeof page, next);
    assert_string_equal(page, "B01:C1:9");
    assert_string_equal(next, "");
    /* single writes meanwhile: into a rebuilt account and one not yet */
    people_writer *w = NULL;
    assert_int_equal(people_writer_open(f->d, 0, &w), HAIL_OK);
    put(w, 200, "C5", "B00", NULL, R);
    put(w, 1, "C1", "B09", NULL, R); /* from B01 */
    put(w, 201, "C5", "B10", NULL, R);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    list(f->d, NULL, NULL, 50, page, sizeof page, next);
    assert_string_equal(page, "B00:C0:8,B01:C1:8");

    /* killed again; the next open finishes the rebuild */
    db_close(f->d);
    f->d = NULL;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &f->d), HAIL_OK);
    expect_kv(f->d, ACCOUNTS_DIRTY_KEY, "-");
    expect_counts_follow(f->d);
    list(f->d, NULL, NULL, 50, page, sizeof page, next);
    assert_true(strstr(page, "B11:") != NULL);
}

/* Another connection's single writes while a bulk load is between two of
 * its transactions (and during the rebuild's ranges) go through the
 * triggers and stay counted. */
static void test_bulk_and_single_writes(void **state)
{
    fixture *f = *state;
    db *other = NULL;
    assert_int_equal(db_open(f->path, 0, &other), HAIL_OK);
    people_writer *w = NULL, *w2 = NULL;
    assert_int_equal(people_writer_open(f->d, PW_BULK, &w), HAIL_OK);
    bulk_people(w);
    assert_int_equal(db_commit(f->d), HAIL_OK); /* as the full sync pauses */
    assert_int_equal(people_writer_open(other, 0, &w2), HAIL_OK);
    put(w2, 300, "S", "S1", NULL, R); /* counted by the trigger */
    put(w2, 5, "C9", "B07", NULL, R); /* a bulk-loaded person moves */
    put(w2, 301, "C0", "B00", NULL, R);
    assert_int_equal(people_writer_deactivate(w2, 6, 1), HAIL_OK);
    assert_int_equal(people_writer_close(w2, 1), HAIL_OK);
    assert_int_equal(count_of(other, "SELECT people FROM account_companies"
                                     " WHERE account_id = 'S1'"),
                     1);
    assert_int_equal(db_begin(f->d), HAIL_OK);
    put(w, 302, "C0", "B00", NULL, R);
    put(w, 301, "C2", "B00", NULL, R); /* the other's person, changed in bulk */
    assert_int_equal(count_of(f->d, "SELECT people FROM account_companies"
                                    " WHERE account_id = 'S1'"),
                     1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_counts_follow(f->d);
    expect_counts_follow(other);
    db_close(other);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_list),
        T(test_list_q),
        T(test_cursor_errors),
        T(test_get),
        T(test_opportunities_bounded),
        T(test_q_scan_bounded),
        T(test_plans),
        T(test_counts_follow_writes),
        T(test_bulk_counts),
        T(test_bulk_killed),
        T(test_bulk_and_single_writes),
    };
#undef T
    db_set_sync("normal");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
