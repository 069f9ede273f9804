#include "core/common.h"

/* Unit tests for store/people: the writer, validation, list/search, cursors,
 * the people_search keys (row by row, bulk rebuild, healing) and get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dirent.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fold.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "store/db_pg.h"
#include "store/people.h"
#include "store/schema.h"
#include "db_fixture.h"
#include "pg_fixture.h"

typedef db_fixture fixture;

/* Stored search keys are cut to this many bytes (SEARCH_KEY_MAX in people.c). */
#define KEY_MAX 64

/* ---- fixture: a fresh migrated database in a temp directory ---- */

static int setup(void **state)
{
    return db_fixture_setup(state, "people");
}

static int teardown(void **state)
{
    return db_fixture_teardown(state);
}

/* ---- helpers ---- */

static void set(person_in *p, enum person_field f, const char *v)
{
    p->f[f] = v;
    p->len[f] = v ? strlen(v) : 0;
}

static person_in mk(int64_t id, const char *first, const char *last, const char *email,
                    const char *company, const char *owner)
{
    person_in p;
    memset(&p, 0, sizeof p);
    p.marketo_id = id;
    set(&p, PF_FIRST_NAME, first);
    set(&p, PF_LAST_NAME, last);
    set(&p, PF_EMAIL, email);
    set(&p, PF_COMPANY, company);
    set(&p, PF_OWNER_EMAIL, owner);
    return p;
}

static people_writer *wopen(db *d, unsigned flags)
{
    people_writer *w = NULL;
    assert_int_equal(people_writer_open(d, flags, &w), HAIL_OK);
    assert_non_null(w);
    return w;
}

static void put(people_writer *w, const person_in *p)
{
    hail_err e = people_writer_put(w, p);
    if (e) {
        print_error("put %lld: %s\n", (long long)p->marketo_id, hail_errmsg());
        fail();
    }
}

static void counts(db *d, int64_t want_total, int64_t want_active)
{
    int64_t total = -1, active = -1;
    assert_int_equal(people_count(d, &total, &active), HAIL_OK);
    assert_int_equal(total, want_total);
    assert_int_equal(active, want_active);
}

/* hail id of a Marketo id, via SQL (-1 if absent) */
static int64_t hail_id(db *d, int64_t marketo_id)
{
    db_st *st;
    assert_non_null(st = db_prepare(d, "SELECT id FROM people WHERE marketo_id = $1"));
    db_bind_i64(st, 1, marketo_id);
    int64_t id = db_step(st) == DB_ROW ? db_col_i64(st, 0) : -1;
    db_st_free(st);
    return id;
}

static json_t *get(db *d, int64_t marketo_id)
{
    int64_t id = hail_id(d, marketo_id);
    assert_true(id > 0);
    json_t *o = NULL;
    assert_int_equal(people_get(d, id, &o), HAIL_OK);
    assert_non_null(o);
    return o;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    return json_is_null(v) ? NULL : json_string_value(v);
}

static int jactive(json_t *o)
{
    json_t *v = json_object_get(o, "active");
    assert_true(json_is_boolean(v));
    return json_is_true(v);
}

/* One integer from SQL. */
static int64_t sql_int(db *d, const char *sql)
{
    db_st *st;
    if (!(st = db_prepare(d, sql))) {
        print_error("%s: %s\n", sql, hail_errmsg());
        fail();
    }
    assert_int_equal(db_step(st), DB_ROW);
    int64_t v = db_col_i64(st, 0);
    db_st_free(st);
    return v;
}

/* The rows of a query as text: columns joined by '|', one row a line (NULL as
 * "NULL"). Caller frees. */
static char *sql_text(db *d, const char *sql)
{
    db_st *st;
    if (!(st = db_prepare(d, sql))) {
        print_error("%s: %s\n", sql, hail_errmsg());
        fail();
    }
    size_t cap = 256, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        for (int c = 0; c < db_col_count(st); c++) {
            const char *v = db_col_text(st, c);
            size_t vl = v ? (size_t)db_col_bytes(st, c) : 4;
            if (!v)
                v = "NULL";
            while (n + vl + 3 > cap) {
                cap *= 2;
                s = realloc(s, cap);
                assert_non_null(s);
            }
            if (c)
                s[n++] = '|';
            memcpy(s + n, v, vl);
            n += vl;
        }
        s[n++] = '\n';
    }
    assert_int_equal(rc, DB_DONE);
    db_st_free(st);
    s[n] = '\0';
    return s;
}

/* The search keys of one person (by Marketo id), in key order, as "a|b|c". */
static char *keys_of(db *d, int64_t marketo_id)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(group_concat(key, '|'), '') FROM (SELECT s.key FROM people_search s"
             " JOIN people p ON p.id = s.person_id WHERE p.marketo_id = %lld ORDER BY 1)",
             (long long)marketo_id);
    char *s = sql_text(d, sql);
    size_t n = strlen(s);
    if (n && s[n - 1] == '\n')
        s[n - 1] = '\0';
    return s;
}

static void expect_keys(db *d, int64_t marketo_id, const char *want)
{
    char *got = keys_of(d, marketo_id);
    if (strcmp(got, want) != 0) {
        print_error("keys of %lld: got [%s], want [%s]\n", (long long)marketo_id, got, want);
        free(got);
        fail();
    }
    free(got);
}

/* (key, Marketo id) of every search row: comparable across databases. */
static char *search_dump(db *d)
{
    return sql_text(d, "SELECT s.key, p.marketo_id FROM people_search s"
                       " JOIN people p ON p.id = s.person_id ORDER BY 1, 2");
}

static int64_t search_rows(db *d)
{
    return sql_int(d, "SELECT count(*) FROM people_search");
}

/* The keys maintained row by row are exactly what a rebuild makes, every row
 * belongs to an active person, and no key is longer than KEY_MAX bytes. */
static void assert_search_consistent(db *d)
{
    assert_int_equal(sql_int(d, "SELECT count(*) FROM people_search s"
                                " LEFT JOIN people p ON p.id = s.person_id"
                                " WHERE p.id IS NULL OR p.active <> 1"),
                     0);
    assert_true(sql_int(d, "SELECT coalesce(max(length(CAST(key AS BLOB))), 0)"
                           " FROM people_search") <= KEY_MAX);
    assert_int_equal(sql_int(d, "SELECT count(*) FROM people_search WHERE key = ''"
                                " OR key LIKE ' %' OR key LIKE '% '"),
                     0);
    char *before = sql_text(d, "SELECT key, person_id FROM people_search ORDER BY 1, 2");
    assert_int_equal(people_rebuild_search(d), HAIL_OK);
    char *after = sql_text(d, "SELECT key, person_id FROM people_search ORDER BY 1, 2");
    if (strcmp(before, after) != 0) {
        print_error("search keys differ from a rebuild:\n--- maintained\n%s--- rebuilt\n%s", before,
                    after);
        free(before);
        free(after);
        fail();
    }
    free(before);
    free(after);
}

/* Empties people and its search keys (ids are reused after this). */
static void wipe(db *d)
{
    assert_int_equal(db_exec(d, "DELETE FROM people; DELETE FROM people_search;"), HAIL_OK);
}

static int bulk_flag(db *d)
{
    char *v = NULL;
    assert_int_equal(db_kv_get(d, PEOPLE_BULK_KEY, &v), HAIL_OK);
    int set = v != NULL;
    free(v);
    return set;
}

/* Marketo ids of the people one list call returns, as "1,2,3"; next (if not
 * NULL, PEOPLE_CURSOR_MAX bytes) gets the cursor. */
static void list_ids(db *d, const people_query *q, char *out, size_t outsz, char *next)
{
    json_t *arr = json_array();
    char nx[PEOPLE_CURSOR_MAX];
    memset(nx, 'X', sizeof nx);
    hail_err e = people_list(d, q, arr, nx);
    if (e) {
        print_error("people_list: %s\n", hail_errmsg());
        fail();
    }
    assert_non_null(memchr(nx, '\0', sizeof nx));
    size_t n = 0, i;
    json_t *o;
    out[0] = '\0';
    json_array_foreach(arr, i, o)
    {
        assert_true(jactive(o));
        n += (size_t)snprintf(out + n, outsz - n, "%s%lld", i ? "," : "",
                              (long long)json_integer_value(json_object_get(o, "marketo_id")));
        assert_true(n < outsz);
    }
    if (next)
        memcpy(next, nx, PEOPLE_CURSOR_MAX);
    json_decref(arr);
}

/* All matches of q (one page of 200), in the order listed. */
static void expect_q(db *d, const char *q, const char *want)
{
    people_query pq = {.q = q, .limit = 200};
    char got[4096], next[PEOPLE_CURSOR_MAX];
    list_ids(d, &pq, got, sizeof got, next);
    if (strcmp(got, want) != 0) {
        print_error("q='%s': got [%s], want [%s]\n", q, got, want);
        fail();
    }
    assert_string_equal(next, "");
}

static int index_count(db *d)
{
    return (int)sql_int(d,
                        "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                        " AND name IN ('people_account', 'people_opportunity', 'people_owner_ci')");
}

/* ---- a test-side model of the search keys ---- */

static int keycmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static size_t t_cut(const char *k, size_t n)
{
    if (n <= KEY_MAX)
        return n;
    n = KEY_MAX;
    while (n > 0 && ((unsigned char)k[n] & 0xC0) == 0x80)
        n--;
    while (n > 0 && k[n - 1] == ' ')
        n--;
    return n;
}

/* The key a person is listed under for q: the smallest (cut) key among
 * fold("first last"), fold(last), fold(email), fold(company) whose full folded
 * value starts with fold(q). 0 if the person does not match. */
static int t_match_key(const char *first, const char *last, const char *email, const char *company,
                       const char *q, char out[KEY_MAX + 1])
{
    char fq[1100];
    size_t fql = fold_key(q, strlen(q), fq);
    const char *src[4][2] = {{first, last}, {last, NULL}, {email, NULL}, {company, NULL}};
    char raw[2100], full[2100], best[KEY_MAX + 1];
    size_t best_len = 0;
    int found = 0;
    for (int i = 0; i < 4; i++) {
        size_t n = 0;
        for (int j = 0; j < 2; j++) {
            const char *s = src[i][j];
            if (!s || !*s)
                continue;
            size_t l = strlen(s);
            assert_true(n + l + 1 < sizeof raw);
            if (n)
                raw[n++] = ' ';
            memcpy(raw + n, s, l);
            n += l;
        }
        if (!n)
            continue;
        size_t fl = fold_key(raw, n, full);
        if (fl == 0 || fl < fql || memcmp(full, fq, fql) != 0)
            continue;
        size_t kl = t_cut(full, fl);
        if (!found || keycmp(full, kl, best, best_len) < 0) {
            memcpy(best, full, kl);
            best_len = kl;
            found = 1;
        }
    }
    if (found) {
        memcpy(out, best, best_len);
        out[best_len] = '\0';
    }
    return found;
}

static int t_match_json(json_t *o, const char *q, char out[KEY_MAX + 1])
{
    return t_match_key(jstr(o, "first_name"), jstr(o, "last_name"), jstr(o, "email"),
                       jstr(o, "company"), q, out);
}

/* ---- writer ---- */

static void test_insert_unchanged_update(void **state)
{
    fixture *f = *state;
    person_in p = mk(1001, "Ada", "Lovelace", "ada@example.com", "Analytical", "rep@corp.com");
    set(&p, PF_TITLE, "Countess");

    people_writer *w = wopen(f->d, 0);
    put(w, &p);
    const people_stats *st = people_writer_stats(w);
    assert_int_equal(st->seen, 1);
    assert_int_equal(st->inserted, 1);
    assert_int_equal(st->updated, 0);
    assert_int_equal(st->unchanged, 0);
    assert_ptr_equal(people_writer_db(w), f->d);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 1, 1);

    json_t *o = get(f->d, 1001);
    assert_string_equal(jstr(o, "first_name"), "Ada");
    assert_string_equal(jstr(o, "title"), "Countess");
    assert_true(jactive(o));
    json_decref(o);
    expect_keys(f->d, 1001, "ada lovelace|ada@example.com|analytical|lovelace");

    /* the same record again: unchanged */
    w = wopen(f->d, 0);
    put(w, &p);
    st = people_writer_stats(w);
    assert_int_equal(st->seen, 1);
    assert_int_equal(st->unchanged, 1);
    assert_int_equal(st->inserted, 0);
    assert_int_equal(st->updated, 0);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);

    /* a changed field: updated */
    set(&p, PF_TITLE, "Mathematician");
    w = wopen(f->d, 0);
    put(w, &p);
    st = people_writer_stats(w);
    assert_int_equal(st->updated, 1);
    assert_int_equal(st->unchanged, 0);
    assert_int_equal(st->inserted, 0);
    assert_int_equal(st->deactivated, 0);
    /* a field that goes from a value to null is a change too */
    set(&p, PF_COMPANY, NULL);
    put(w, &p);
    assert_int_equal(st->updated, 2);
    /* a value differing only in case is a change */
    set(&p, PF_FIRST_NAME, "ADA");
    put(w, &p);
    assert_int_equal(st->updated, 3);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 1, 1);

    o = get(f->d, 1001);
    assert_string_equal(jstr(o, "title"), "Mathematician");
    assert_null(jstr(o, "company"));
    assert_string_equal(jstr(o, "first_name"), "ADA");
    assert_null(jstr(o, "time_zone"));
    json_decref(o);
    /* the time zone alone changing is a change too */
    w = wopen(f->d, 0);
    set(&p, PF_TIME_ZONE, "Asia/Kolkata");
    put(w, &p);
    put(w, &p);
    st = people_writer_stats(w);
    assert_int_equal(st->updated, 1);
    assert_int_equal(st->unchanged, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    o = get(f->d, 1001);
    assert_string_equal(jstr(o, "time_zone"), "Asia/Kolkata");
    json_decref(o);
    /* the keys follow: the company is gone, the name folds as before */
    expect_keys(f->d, 1001, "ada lovelace|ada@example.com|lovelace");
    expect_q(f->d, "analytical", "");
    expect_q(f->d, "ada", "1001");
    assert_search_consistent(f->d);
}

static void test_empty_string_is_null(void **state)
{
    fixture *f = *state;
    person_in p = mk(7, "Eve", "", "eve@example.com", NULL, "rep@corp.com");
    set(&p, PF_PHONE, "");
    people_writer *w = wopen(f->d, 0);
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    json_t *o = get(f->d, 7);
    assert_null(jstr(o, "last_name"));
    assert_null(jstr(o, "phone"));
    json_decref(o);
    /* and "" vs NULL compare equal: no spurious update */
    set(&p, PF_PHONE, NULL);
    set(&p, PF_LAST_NAME, NULL);
    w = wopen(f->d, 0);
    put(w, &p);
    assert_int_equal(people_writer_stats(w)->unchanged, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    /* no key for the empty last name: "first last" is just "eve" */
    expect_keys(f->d, 7, "eve|eve@example.com");
    assert_search_consistent(f->d);
}

static void test_clearing_owner_deactivates(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, 0);
    person_in a = mk(1, "Alice", "Archer", "alice@a.com", "A Co", "rep@corp.com");
    person_in b = mk(2, "Bob", "Baker", "bob@b.com", "B Co", "rep@corp.com");
    put(w, &a);
    put(w, &b);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 2, 2);

    /* owner cleared (null) */
    set(&a, PF_OWNER_EMAIL, NULL);
    w = wopen(f->d, 0);
    put(w, &a);
    const people_stats *st = people_writer_stats(w);
    assert_int_equal(st->updated, 1);
    assert_int_equal(st->deactivated, 1);
    /* the same again: unchanged, not deactivated a second time */
    put(w, &a);
    assert_int_equal(st->unchanged, 1);
    assert_int_equal(st->deactivated, 1);
    /* owner cleared as an empty string */
    set(&b, PF_OWNER_EMAIL, "");
    put(w, &b);
    assert_int_equal(st->deactivated, 2);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 2, 0);

    json_t *o = get(f->d, 1);
    assert_false(jactive(o));
    assert_null(jstr(o, "owner_email"));
    assert_string_equal(jstr(o, "first_name"), "Alice"); /* the row and its data stay */
    json_decref(o);
    o = get(f->d, 2);
    assert_false(jactive(o));
    json_decref(o);

    char ids[256];
    people_query q = {.limit = 200};
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "");
    expect_q(f->d, "alice", "");
    expect_q(f->d, "b co", "");
    assert_int_equal(search_rows(f->d), 0); /* an inactive person has no keys */

    /* an owner again: back in the active set */
    set(&a, PF_OWNER_EMAIL, "other@corp.com");
    w = wopen(f->d, 0);
    put(w, &a);
    assert_int_equal(people_writer_stats(w)->updated, 1);
    assert_int_equal(people_writer_stats(w)->deactivated, 0);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 2, 1);
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1");
    expect_q(f->d, "alice", "1");
    expect_keys(f->d, 1, "a co|alice archer|alice@a.com|archer");
    expect_keys(f->d, 2, "");
    assert_search_consistent(f->d);
}

static void test_deactivate(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, 0);
    person_in a = mk(10, "Carl", "Cook", "carl@c.com", "C Co", "rep@corp.com");
    person_in b = mk(11, "Dana", "Dunn", "dana@d.com", "D Co", "rep@corp.com");
    person_in c = mk(12, "Ed", "Eng", "ed@e.com", "E Co", NULL); /* never active */
    put(w, &a);
    put(w, &b);
    put(w, &c);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 3, 2);

    w = wopen(f->d, 0);
    assert_int_equal(people_writer_deactivate(w, 10, 1), HAIL_OK);
    const people_stats *st = people_writer_stats(w);
    assert_int_equal(st->deactivated, 1);
    /* again: already out, not counted twice */
    assert_int_equal(people_writer_deactivate(w, 10, 1), HAIL_OK);
    assert_int_equal(st->deactivated, 1);
    /* unknown ids are ignored */
    assert_int_equal(people_writer_deactivate(w, 999999, 1), HAIL_OK);
    assert_int_equal(st->deactivated, 1);
    /* a person already outside the active set that is now deleted in
     * Marketo did not leave the active set here */
    assert_int_equal(people_writer_deactivate(w, 12, 1), HAIL_OK);
    assert_int_equal(st->deactivated, 1);
    /* deleted = 0 (e.g. owner removed upstream) */
    assert_int_equal(people_writer_deactivate(w, 11, 0), HAIL_OK);
    assert_int_equal(st->deactivated, 2);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 3, 0);

    json_t *o = get(f->d, 10);
    assert_false(jactive(o));
    assert_string_equal(jstr(o, "first_name"), "Carl");
    json_decref(o);
    char ids[256];
    people_query q = {.limit = 200};
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "");
    assert_int_equal(search_rows(f->d), 0);
    expect_q(f->d, "carl", "");
    expect_q(f->d, "dunn", "");

    /* a deleted person that comes back (same record) is written and active again */
    w = wopen(f->d, 0);
    put(w, &a);
    assert_int_equal(people_writer_stats(w)->unchanged, 0);
    assert_int_equal(people_writer_stats(w)->updated, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 3, 1);
    o = get(f->d, 10);
    assert_true(jactive(o));
    json_decref(o);
    expect_q(f->d, "carl", "10");
    expect_keys(f->d, 10, "c co|carl cook|carl@c.com|cook");
    assert_search_consistent(f->d);
}

static void test_duplicate_emails_are_two_people(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, 0);
    person_in a = mk(21, "Sam", "One", "shared@example.com", "X", "rep@corp.com");
    person_in b = mk(22, "Sam", "Two", "shared@example.com", "X", "rep@corp.com");
    put(w, &a);
    put(w, &b);
    assert_int_equal(people_writer_stats(w)->inserted, 2);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 2, 2);
    /* the same key for both: in id order */
    expect_q(f->d, "shared@example.com", "21,22");
    expect_q(f->d, "sam", "21,22"); /* "sam one" < "sam two" */
    expect_keys(f->d, 21, "one|sam one|shared@example.com|x");
    assert_search_consistent(f->d);
    assert_true(hail_id(f->d, 21) != hail_id(f->d, 22));
}

static void test_bulk_same_id_twice_second_wins(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, PW_BULK);
    person_in a = mk(31, "First", "Version", "v1@example.com", "Old Co", "rep@corp.com");
    person_in b = mk(31, "Second", "Version", "v2@example.com", "New Co", "rep@corp.com");
    person_in other = mk(32, "Other", "Person", "o@example.com", "O", "rep@corp.com");
    put(w, &a);
    put(w, &other);
    put(w, &b);
    const people_stats *st = people_writer_stats(w);
    assert_int_equal(st->seen, 3);
    assert_int_equal(st->inserted, 2);
    assert_int_equal(st->updated, 1);
    /* and the identical record a third time is unchanged */
    put(w, &b);
    assert_int_equal(st->unchanged, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 2, 2);
    json_t *o = get(f->d, 31);
    assert_string_equal(jstr(o, "first_name"), "Second");
    assert_string_equal(jstr(o, "email"), "v2@example.com");
    assert_string_equal(jstr(o, "company"), "New Co");
    json_decref(o);
    /* search keys follow the second version */
    expect_q(f->d, "second", "31");
    expect_q(f->d, "first", "");
    expect_q(f->d, "new co", "31");
    expect_q(f->d, "old", "");
    expect_q(f->d, "v1@", "");
    expect_keys(f->d, 31, "new co|second version|v2@example.com|version");
    assert_false(bulk_flag(f->d));
    assert_search_consistent(f->d);

    /* same id twice in one bulk load where the second clears the owner */
    wipe(f->d);
    w = wopen(f->d, PW_BULK);
    person_in c = mk(41, "C", "C", NULL, NULL, "rep@corp.com");
    put(w, &c);
    set(&c, PF_OWNER_EMAIL, NULL);
    put(w, &c);
    assert_int_equal(people_writer_stats(w)->deactivated, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 1, 0);
    assert_int_equal(search_rows(f->d), 0);
}

static void test_bulk_skips_and_rebuilds_search_keys(void **state)
{
    fixture *f = *state;
    assert_int_equal(index_count(f->d), 3);
    people_writer *w = wopen(f->d, PW_BULK);
    /* empty table: the search keys are skipped and the load is marked; the
     * secondary indexes stay (building them at the end would hold the write
     * lock for a whole-table sort) */
    assert_int_equal(index_count(f->d), 3);
    assert_true(bulk_flag(f->d));
    for (int i = 1; i <= 300; i++) {
        char first[32], email[64];
        snprintf(first, sizeof first, "Name%d", i);
        snprintf(email, sizeof email, "p%d@example.com", i);
        person_in p = mk(i, first, "Bulk", email, "Bulk Co", "rep@corp.com");
        put(w, &p);
        if (i % 100 == 0)
            assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    }
    assert_int_equal(people_writer_stats(w)->inserted, 300);
    assert_int_equal(search_rows(f->d), 0);
    assert_true(bulk_flag(f->d));
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    /* four keys each: "nameN bulk", "bulk", "pN@example.com", "bulk co" */
    assert_int_equal(search_rows(f->d), 1200);
    assert_false(bulk_flag(f->d));
    expect_keys(f->d, 7, "bulk|bulk co|name7 bulk|p7@example.com");
    /* rebuilt after close */
    assert_int_equal(index_count(f->d), 3);
    counts(f->d, 300, 300);
    expect_q(f->d, "name150", "150");
    expect_q(f->d, "p299@", "299");

    /* the indexes are in the file, not just this connection */
    db_close(f->d);
    assert_int_equal(db_open(f->path, 0, &f->d), HAIL_OK);
    assert_int_equal(index_count(f->d), 3);

    /* not empty: PW_BULK leaves the indexes alone */
    w = wopen(f->d, PW_BULK);
    assert_int_equal(index_count(f->d), 3);
    person_in p = mk(301, "Late", "Comer", NULL, NULL, "rep@corp.com");
    assert_false(bulk_flag(f->d));
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    assert_int_equal(index_count(f->d), 3);
    expect_q(f->d, "late", "301"); /* written row by row */
    assert_search_consistent(f->d);

    /* without PW_BULK on an empty table they stay too */
    wipe(f->d);
    w = wopen(f->d, 0);
    assert_int_equal(index_count(f->d), 3);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);

    /* a rolled-back bulk load keeps them */
    w = wopen(f->d, PW_BULK);
    assert_int_equal(index_count(f->d), 3);
    put(w, &p);
    assert_int_equal(people_writer_close(w, 0), HAIL_OK);
    assert_int_equal(index_count(f->d), 3);
    counts(f->d, 0, 0);
    assert_int_equal(search_rows(f->d), 0);
    assert_false(bulk_flag(f->d));
}

static void test_rollback(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, 0);
    for (int i = 1; i <= 5; i++) {
        person_in p = mk(i, "Roll", "Back", NULL, NULL, "rep@corp.com");
        put(w, &p);
    }
    assert_int_equal(people_writer_close(w, 0), HAIL_OK);
    counts(f->d, 0, 0);
    assert_false(db_in_tx(f->d));
    assert_int_equal(search_rows(f->d), 0);

    /* a checkpoint keeps what came before it; the rest is rolled back */
    w = wopen(f->d, PW_BULK);
    person_in a = mk(1, "Kept", "One", NULL, NULL, "rep@corp.com");
    put(w, &a);
    assert_int_equal(db_kv_set(people_writer_db(w), "cursor", "after-1"), HAIL_OK);
    assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    person_in b = mk(2, "Lost", "Two", NULL, NULL, "rep@corp.com");
    put(w, &b);
    set(&a, PF_TITLE, "changed after the checkpoint");
    put(w, &a);
    assert_int_equal(db_kv_set(people_writer_db(w), "cursor", "after-2"), HAIL_OK);
    assert_int_equal(people_writer_close(w, 0), HAIL_OK);
    assert_false(db_in_tx(f->d));
    counts(f->d, 1, 1);
    json_t *o = get(f->d, 1);
    assert_null(jstr(o, "title"));
    json_decref(o);
    char *v = NULL;
    assert_int_equal(db_kv_get(f->d, "cursor", &v), HAIL_OK);
    assert_string_equal(v, "after-1");
    free(v);
    assert_int_equal(index_count(f->d), 3);
    /* the search keys are those of what was kept */
    assert_false(bulk_flag(f->d));
    expect_q(f->d, "kept", "1");
    expect_q(f->d, "lost", "");
    assert_search_consistent(f->d);

    /* the writer's transaction is not visible to another connection until commit */
    w = wopen(f->d, 0);
    put(w, &b);
    db *other;
    assert_int_equal(db_open(f->path, 0, &other), HAIL_OK);
    counts(other, 1, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(other, 2, 2);
    expect_q(other, "lost", "2");
    db_close(other);
}

static void test_validate(void **state)
{
    fixture *f = *state;
    person_in p = mk(1, "Ok", "Fine", "ok@example.com", NULL, "rep@corp.com");
    assert_int_equal(person_in_validate(&p), HAIL_OK);

    /* ids */
    p.marketo_id = 0;
    assert_int_equal(person_in_validate(&p), HAIL_EINVAL);
    p.marketo_id = -5;
    assert_int_equal(person_in_validate(&p), HAIL_EINVAL);
    p.marketo_id = INT64_MAX;
    assert_int_equal(person_in_validate(&p), HAIL_OK);
    p.marketo_id = 1;

    /* invalid UTF-8, each naming the field */
    static const char *const bad[] = {
        "\xff",
        "abc\xc3",
        "\xc3(",
        "\x80"
        "abc",
        "\xc0\xaf",
        "\xe0\x80\xaf",
        "\xed\xa0\x80",
        "\xf4\x90\x80\x80",
        "\xf8\x88\x80\x80\x80",
        "\xe2\x82",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        person_in q = p;
        set(&q, PF_LAST_NAME, bad[i]);
        hail_errclear();
        if (person_in_validate(&q) != HAIL_EINVAL) {
            print_error("bad UTF-8 #%zu accepted\n", i);
            fail();
        }
        assert_string_equal(hail_errmsg(), "lastName is not valid UTF-8");
    }
    /* an embedded NUL */
    person_in q = p;
    q.f[PF_COMPANY] = "a\0b";
    q.len[PF_COMPANY] = 3;
    assert_int_equal(person_in_validate(&q), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "company is not valid UTF-8");

    /* valid multi-byte text is fine, including 4-byte sequences at the very end */
    static const char *const good[] = {
        "Jos\xc3\xa9",
        "\xe6\x97\xa5\xe6\x9c\xac",
        "smile \xf0\x9f\x98\x80",
        "\xf4\x8f\xbf\xbf",
        "\xc3\xa9",
        "\xef\xbf\xbd",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        person_in g = p;
        set(&g, PF_TITLE, good[i]);
        if (person_in_validate(&g) != HAIL_OK) {
            print_error("good UTF-8 #%zu rejected: %s\n", i, hail_errmsg());
            fail();
        }
    }

    /* length: PERSON_FIELD_MAX is fine, one more is not */
    char *big = malloc(PERSON_FIELD_MAX + 2);
    assert_non_null(big);
    memset(big, 'x', PERSON_FIELD_MAX + 1);
    big[PERSON_FIELD_MAX + 1] = '\0';
    person_in l = p;
    l.f[PF_TITLE] = big;
    l.len[PF_TITLE] = PERSON_FIELD_MAX;
    assert_int_equal(person_in_validate(&l), HAIL_OK);
    l.len[PF_TITLE] = PERSON_FIELD_MAX + 1;
    assert_int_equal(person_in_validate(&l), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "title is longer than 1024 bytes");

    /* the writer refuses them and writes nothing */
    people_writer *w = wopen(f->d, 0);
    assert_int_equal(people_writer_put(w, &l), HAIL_EINVAL);
    person_in bad_id = p;
    bad_id.marketo_id = 0;
    assert_int_equal(people_writer_put(w, &bad_id), HAIL_EINVAL);
    person_in bad_utf = p;
    set(&bad_utf, PF_FIRST_NAME, "\xff");
    assert_int_equal(people_writer_put(w, &bad_utf), HAIL_EINVAL);
    /* a maximal record (every field at the limit) is written */
    person_in m = p;
    for (int i = 0; i < PF_COUNT; i++) {
        m.f[i] = big;
        m.len[i] = PERSON_FIELD_MAX;
    }
    put(w, &m);
    assert_int_equal(people_writer_stats(w)->inserted, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 1, 1);
    json_t *o = get(f->d, 1);
    assert_int_equal(strlen(jstr(o, "first_name")), PERSON_FIELD_MAX);
    json_decref(o);
    free(big);
}

static void test_field_names(void **state)
{
    assert_int_equal(person_field_by_marketo_name("email", 5), PF_EMAIL);
    assert_int_equal(person_field_by_marketo_name("leadOwnerEmailAddress", 21), PF_OWNER_EMAIL);
    assert_int_equal(person_field_by_marketo_name("sfdcOpptyId", 11), PF_SFDC_OPPORTUNITY_ID);
    assert_int_equal(person_field_by_marketo_name("emailx", 5), PF_EMAIL); /* len counts */
    assert_int_equal(person_field_by_marketo_name("emai", 4), -1);
    assert_int_equal(person_field_by_marketo_name("Email", 5), -1);
    assert_int_equal(person_field_by_marketo_name("", 0), -1);
    for (int i = 0; i < PF_COUNT; i++)
        assert_int_equal(
            person_field_by_marketo_name(person_marketo_field[i], strlen(person_marketo_field[i])),
            i);
}

/* ---- reading ---- */

static void load_search_set(db *d)
{
    people_writer *w = wopen(d, 0);
    person_in p;
    p = mk(1, "Jos\xc3\xa9",
           "Garc\xc3\xad"
           "a",
           "jose.garcia@acme.example",
           "Acme \xc3\x91"
           "and\xc3\xba",
           "Rep.One@Corp.com");
    set(&p, PF_SFDC_ACCOUNT_ID, "001A");
    set(&p, PF_SFDC_OPPORTUNITY_ID, "006X");
    put(w, &p);
    p = mk(2, "Hans", "M\xc3\xbcller", "hans@mueller.example", "M\xc3\xbcller GmbH",
           "rep.two@corp.com");
    set(&p, PF_SFDC_ACCOUNT_ID, "001B");
    put(w, &p);
    p = mk(3, "Jose", "Smith", "jsmith@other.example", "Other Inc", "rep.one@corp.com");
    set(&p, PF_SFDC_ACCOUNT_ID, "001A");
    put(w, &p);
    p = mk(4, "Zo\xc3\xab", "O'Brien", "zoe@acme.example", "Acme", "rep.two@corp.com");
    set(&p, PF_SFDC_ACCOUNT_ID, "001A");
    set(&p, PF_SFDC_OPPORTUNITY_ID, "006X");
    put(w, &p);
    /* inactive: never found */
    p = mk(5, "Jose", "Inactive", "jose.inactive@acme.example", "Acme", NULL);
    set(&p, PF_SFDC_ACCOUNT_ID, "001A");
    put(w, &p);
    /* NFD-encoded name */
    p = mk(6,
           "Rene\xcc\x81"
           "e",
           "Dupont", NULL, NULL, "REP.ONE@CORP.COM");
    put(w, &p);
    /* last name only */
    p = mk(7, NULL, "Nakamura", "n@jp.example", NULL, "rep.two@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
}

static void test_search(void **state)
{
    fixture *f = *state;
    load_search_set(f->d);
    /* the keys, folded and deduplicated ("nakamura" once for name and last) */
    expect_keys(f->d, 1, "acme nandu|garcia|jose garcia|jose.garcia@acme.example");
    expect_keys(f->d, 6, "dupont|renee dupont");
    expect_keys(f->d, 7, "n@jp.example|nakamura");
    expect_keys(f->d, 5, "");
    assert_search_consistent(f->d);
    /* first name, case- and accent-insensitive ("jose garcia" < "jose smith") */
    expect_q(f->d, "jose", "1,3");
    expect_q(f->d, "JOSE", "1,3");
    expect_q(f->d, "Jos\xc3\xa9", "1,3");
    expect_q(f->d, "Jose\xcc\x81", "1,3");
    expect_q(f->d, "jo", "1,3");
    /* "first last" */
    expect_q(f->d, "jose garcia", "1");
    expect_q(f->d,
             "Jos\xc3\xa9 Garc\xc3\xad"
             "a",
             "1");
    expect_q(f->d, "jose   g", "1");
    expect_q(f->d, "  jose s  ", "3");
    expect_q(f->d, "hans m", "2");
    /* last name */
    expect_q(f->d, "garc", "1");
    expect_q(f->d, "MULLER", "2");
    expect_q(f->d, "m\xc3\xbcll", "2");
    expect_q(f->d, "o'brien", "4");
    expect_q(f->d, "nakamura", "7");
    /* email */
    expect_q(f->d, "jose.garcia@", "1");
    expect_q(f->d, "HANS@MUELLER", "2");
    expect_q(f->d, "zoe@", "4");
    /* company: "acme" (4) sorts before "acme nandu" (1) */
    expect_q(f->d, "acme", "4,1");
    expect_q(f->d, "acme nandu", "1");
    expect_q(f->d, "Acme \xc3\xb1", "1");
    expect_q(f->d, "muller gmbh", "2");
    expect_q(f->d, "other", "3");
    /* Zoë, Renée (NFD stored) */
    expect_q(f->d, "zoe", "4");
    expect_q(f->d, "Zo\xc3\xab", "4");
    expect_q(f->d, "renee", "6");
    expect_q(f->d,
             "Ren\xc3\xa9"
             "e",
             "6");
    /* one letter: each person once, under its smallest matching key */
    expect_q(f->d, "j", "1,3"); /* "jose garcia", "jose smith" ("jsmith@…" not again) */
    expect_q(f->d, "o", "4,3"); /* "o'brien" < "other inc" */
    expect_q(f->d, "n", "7");   /* "n@jp.example" < "nakamura" */
    expect_q(f->d, "h", "2");   /* "hans muller" < "hans@mueller.example" */
    expect_q(f->d, "m", "2");   /* "muller" < "muller gmbh" */
    expect_q(f->d, "a", "4,1");
    expect_q(f->d, "d", "6");
    expect_q(f->d, "r", "6");
    expect_q(f->d, "s", "3");
    /* prefix, not substring; no match */
    expect_q(f->d, "arcia", "");
    expect_q(f->d, "smithx", "");
    expect_q(f->d, "inactive", "");
    expect_q(f->d, "jose.inactive", "");
    expect_q(f->d, "zzz", "");
    expect_q(f->d, "\xe6\x97\xa5", "");
    /* a query with nothing to search for lists everyone active, in id order */
    expect_q(f->d, "", "1,2,3,4,6,7");
    expect_q(f->d, "   ", "1,2,3,4,6,7");
}

/* Results come in the order of the key each person matched under, then id. */
static void test_search_order(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, 0);
    person_in p;
    p = mk(1, "Sam", "Young", NULL, NULL, "rep@corp.com"); /* "sam young" */
    put(w, &p);
    p = mk(2, "Xavier", "Saab", NULL, NULL, "rep@corp.com"); /* "saab" */
    put(w, &p);
    p = mk(3, "Tom", "Stone", "sa@x.example", NULL, "rep@corp.com"); /* "sa@x…" < "stone" */
    put(w, &p);
    p = mk(4, "Smith", "Smithers", NULL, NULL, "rep@corp.com"); /* "smith smithers" */
    put(w, &p);
    p = mk(5, "Ann", "Other", NULL, "Same Co", "rep@corp.com");
    put(w, &p);
    p = mk(6, "Bob", "Other", NULL, "Same Co", "rep@corp.com");
    put(w, &p);
    p = mk(7, "Abe", "Zed", NULL, "Saab", "rep@corp.com"); /* company "saab": same key as 2 */
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    assert_search_consistent(f->d);

    /* "sa@x.example" < "saab"(2) = "saab"(7) < "sam young" < "same co"(5, 6)
     * < "smith smithers" < "stone"(3, already listed) */
    expect_q(f->d, "s", "3,2,7,1,5,6,4");
    expect_q(f->d, "sa", "3,2,7,1,5,6");
    expect_q(f->d, "sam", "1,5,6");
    expect_q(f->d, "same", "5,6");
    expect_q(f->d, "st", "3"); /* only "stone" matches here */
    expect_q(f->d, "o", "5,6");
    /* and without q the same people in id order */
    expect_q(f->d, "", "1,2,3,4,5,6,7");

    /* page by page the order is the same */
    people_query q = {.q = "s", .limit = 2};
    char ids[64], next[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX], all[256] = "";
    for (int pages = 0;; pages++) {
        assert_true(pages < 10);
        list_ids(f->d, &q, ids, sizeof ids, next);
        size_t used = strlen(all);
        snprintf(all + used, sizeof all - used, "%s%s", *all && *ids ? "," : "", ids);
        if (!*next)
            break;
        assert_int_equal(next[0], 's');
        assert_int_equal(people_cursor_parse(next, &q, kb, sizeof kb), HAIL_OK);
    }
    assert_string_equal(all, "3,2,7,1,5,6,4");
}

/* A person matching q through several keys is listed once. */
static void test_search_no_duplicates(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, 0);
    /* "smith smithers", "smithers", "smith@smithers.example", "smithco" */
    person_in p = mk(1, "Smith", "Smithers", "smith@smithers.example", "SmithCo", "rep@corp.com");
    put(w, &p);
    /* a key between two of person 1's keys */
    p = mk(2, "Ann", "Smithee", NULL, NULL, "rep@corp.com");
    put(w, &p);
    /* a company named like the person: one key, not two rows */
    p = mk(3, "Jane", "Doe", "jane@doe.example", "Jane Doe", "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, "smith smithers|smith@smithers.example|smithco|smithers");
    expect_keys(f->d, 3, "doe|jane doe|jane@doe.example");
    assert_search_consistent(f->d);

    expect_q(f->d, "smi", "1,2"); /* "smith smithers" < "smithee" */
    expect_q(f->d, "smith", "1,2");
    expect_q(f->d, "smithe", "2,1"); /* "smithee" < "smithers" */
    expect_q(f->d, "smithers", "1");
    expect_q(f->d, "smith@", "1");
    expect_q(f->d, "jane", "3");
    expect_q(f->d, "jane doe", "3");

    /* paging: the skipped rows (person 1 again under "smithco", "smithers")
     * neither fill a page nor make a spurious next page */
    people_query q = {.q = "smi", .limit = 1};
    char ids[64], next[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX], want[PEOPLE_CURSOR_MAX];
    list_ids(f->d, &q, ids, sizeof ids, next);
    assert_string_equal(ids, "1");
    snprintf(want, sizeof want, "s%lld:smith smithers", (long long)hail_id(f->d, 1));
    assert_string_equal(next, want);
    assert_int_equal(people_cursor_parse(next, &q, kb, sizeof kb), HAIL_OK);
    list_ids(f->d, &q, ids, sizeof ids, next);
    assert_string_equal(ids, "2");
    assert_string_equal(next, ""); /* person 1 under "smithers" is not another page */
    q.limit = 2;
    q.after_id = 0;
    q.after_key = NULL;
    list_ids(f->d, &q, ids, sizeof ids, next);
    assert_string_equal(ids, "1,2");
    assert_string_equal(next, "");

    /* the smithers query alone: one person, one page */
    q = (people_query){.q = "smithers", .limit = 1};
    list_ids(f->d, &q, ids, sizeof ids, next);
    assert_string_equal(ids, "1");
    assert_string_equal(next, "");
}

/* The keys follow every write: update, owner cleared or changed, deactivate,
 * reactivate, rollback. */
static void test_search_keys_follow_writes(void **state)
{
    fixture *f = *state;
    char ids[64];

    /* the same id twice in one load into an empty table, not bulk: the
     * second version replaces the keys of the first */
    people_writer *w = wopen(f->d, 0);
    person_in a = mk(1, "Alice", "Archer", "alice@a.example", "A Co", "rep@corp.com");
    person_in v1 = mk(2, "Temp", "Name", "temp@t.example", NULL, "rep@corp.com");
    put(w, &v1);
    put(w, &a);
    person_in b = mk(2, "Bob", "Brown", "bob@b.example", "B Co", "rep@corp.com");
    put(w, &b);
    assert_int_equal(people_writer_stats(w)->updated, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, "a co|alice archer|alice@a.example|archer");
    expect_keys(f->d, 2, "b co|bob brown|bob@b.example|brown");
    expect_q(f->d, "temp", "");
    expect_q(f->d, "name", "");
    assert_search_consistent(f->d);

    /* renamed: the old name, email and company are no longer found */
    w = wopen(f->d, 0);
    set(&a, PF_FIRST_NAME, "Alicia");
    set(&a, PF_LAST_NAME, "Brown");
    set(&a, PF_EMAIL, "alicia@b.example");
    set(&a, PF_COMPANY, NULL);
    put(w, &a);
    assert_int_equal(people_writer_stats(w)->updated, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, "alicia brown|alicia@b.example|brown");
    expect_q(f->d, "archer", "");
    expect_q(f->d, "alice", "");
    expect_q(f->d, "a co", "");
    expect_q(f->d, "alicia", "1");
    /* the same key: in hail id order, and Marketo id 2 was written first */
    assert_true(hail_id(f->d, 2) < hail_id(f->d, 1));
    expect_q(f->d, "brown", "2,1");
    expect_q(f->d, "b", "2,1"); /* "b co" < "brown" */
    assert_search_consistent(f->d);

    /* a change outside the searched fields keeps the keys */
    w = wopen(f->d, 0);
    set(&a, PF_TITLE, "CTO");
    put(w, &a);
    assert_int_equal(people_writer_stats(w)->updated, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, "alicia brown|alicia@b.example|brown");

    /* owner changed: still active, still found, under the new owner */
    w = wopen(f->d, 0);
    set(&a, PF_OWNER_EMAIL, "new@corp.com");
    put(w, &a);
    assert_int_equal(people_writer_stats(w)->deactivated, 0);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, "alicia brown|alicia@b.example|brown");
    people_query q = {.q = "brown", .owner = "NEW@corp.com", .limit = 10};
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1");
    q.owner = "rep@corp.com";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "2");

    /* owner cleared: the keys go, the other person's same key stays */
    w = wopen(f->d, 0);
    set(&a, PF_OWNER_EMAIL, NULL);
    put(w, &a);
    assert_int_equal(people_writer_stats(w)->deactivated, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, "");
    expect_keys(f->d, 2, "b co|bob brown|bob@b.example|brown");
    expect_q(f->d, "alicia", "");
    expect_q(f->d, "brown", "2");
    assert_search_consistent(f->d);

    /* renamed while inactive, then an owner again: the new keys only */
    w = wopen(f->d, 0);
    set(&a, PF_LAST_NAME, "Cole");
    put(w, &a);
    assert_int_equal(search_rows(f->d), 4);
    set(&a, PF_OWNER_EMAIL, "rep@corp.com");
    put(w, &a);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, "alicia cole|alicia@b.example|cole");
    expect_q(f->d, "brown", "2");
    expect_q(f->d, "cole", "1");
    assert_search_consistent(f->d);

    /* deactivated (deleted in Marketo): gone; back with the same record: found */
    w = wopen(f->d, 0);
    assert_int_equal(people_writer_deactivate(w, 1, 1), HAIL_OK);
    assert_int_equal(people_writer_deactivate(w, 1, 1), HAIL_OK); /* twice: no harm */
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, "");
    expect_q(f->d, "cole", "");
    assert_search_consistent(f->d);
    w = wopen(f->d, 0);
    put(w, &a);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_q(f->d, "cole", "1");
    expect_keys(f->d, 1, "alicia cole|alicia@b.example|cole");

    /* deactivated without delete; an inactive person's deleted flag changing
     * does not touch anyone's keys */
    w = wopen(f->d, 0);
    assert_int_equal(people_writer_deactivate(w, 1, 0), HAIL_OK);
    assert_int_equal(people_writer_deactivate(w, 1, 1), HAIL_OK);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, "");
    expect_keys(f->d, 2, "b co|bob brown|bob@b.example|brown");
    assert_search_consistent(f->d);

    /* a rolled-back rename leaves the keys as they were */
    w = wopen(f->d, 0);
    set(&b, PF_LAST_NAME, "Gone");
    put(w, &b);
    assert_int_equal(people_writer_deactivate(w, 2, 1), HAIL_OK);
    assert_int_equal(people_writer_close(w, 0), HAIL_OK);
    expect_keys(f->d, 2, "b co|bob brown|bob@b.example|brown");
    expect_q(f->d, "gone", "");
    expect_q(f->d, "bob", "2");
    assert_search_consistent(f->d);
}

#define X10 "xxxxxxxxxx"
#define X60 X10 X10 X10 X10 X10 X10

/* Keys are cut to 64 bytes; a longer query is checked against the full value. */
static void test_search_long_values(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, 0);
    /* two people whose only key is the same once cut: X60 "alph" */
    person_in p = mk(1, NULL, X60 "alpha-long-tail", NULL, NULL, "rep@corp.com");
    put(w, &p);
    p = mk(2, NULL, X60 "alpha-other-tail", NULL, NULL, "rep@corp.com");
    put(w, &p);
    /* a three-byte character across byte 64: cut before it, at 62 */
    p = mk(3, NULL,
           "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
           "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
           NULL, NULL, "rep@corp.com");
    put(w, &p);
    /* a space at byte 64: cut, then trimmed */
    p = mk(4, NULL,
           "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww"
           " tail",
           NULL, NULL, "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_keys(f->d, 1, X60 "alph");
    expect_keys(f->d, 2, X60 "alph");
    expect_keys(f->d, 3, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
    expect_keys(f->d, 4, "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww");
    assert_search_consistent(f->d);

    /* up to the cut both match; past it only the right one */
    expect_q(f->d, X60 "al", "1,2");
    expect_q(f->d, X60 "alph", "1,2");
    expect_q(f->d, X60 "alpha", "1,2");
    expect_q(f->d, X60 "alpha-", "1,2");
    expect_q(f->d, X60 "alpha-l", "1");
    expect_q(f->d, X60 "alpha-o", "2");
    expect_q(f->d, X60 "ALPHA-LONG", "1");
    expect_q(f->d, X60 "alpha-other-tail", "2");
    expect_q(f->d, X60 "alpha-long-tail", "1");
    expect_q(f->d, X60 "alpha-long-tailx", "");
    expect_q(f->d, X60 "alpha-x", "");
    expect_q(f->d, X60 "alphx", "");
    /* trailing white space in a long query is trimmed, up to the 256-byte limit */
    char q256[257];
    memset(q256, ' ', 256);
    memcpy(q256, X60 "alpha-long", 70);
    q256[256] = '\0';
    expect_q(f->d, q256, "1");

    /* the cut before a multi-byte character */
    const char *y62 = "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy";
    char q[256];
    snprintf(q, sizeof q, "%s", y62);
    expect_q(f->d, q, "3");
    snprintf(q, sizeof q, "%s\xe6\x97\xa5", y62);
    expect_q(f->d, q, "3");
    snprintf(q, sizeof q, "%s\xe6\x97\xa5\xe6\x9c\xac", y62);
    expect_q(f->d, q, "3");
    snprintf(q, sizeof q, "%s\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", y62);
    expect_q(f->d, q, "3");
    snprintf(q, sizeof q, "%s\xe6\x97\xa5\xe6\x97\xa5", y62);
    expect_q(f->d, q, "");
    snprintf(q, sizeof q, "%s\xe6\x9c\xac", y62);
    expect_q(f->d, q, "");
    snprintf(q, sizeof q, "%sy", y62);
    expect_q(f->d, q, "");

    /* the cut at a space */
    const char *w63 = "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww";
    snprintf(q, sizeof q, "%s", w63);
    expect_q(f->d, q, "4");
    snprintf(q, sizeof q, "%s t", w63);
    expect_q(f->d, q, "4");
    snprintf(q, sizeof q, "%s   tail", w63);
    expect_q(f->d, q, "4");
    snprintf(q, sizeof q, "%s x", w63);
    expect_q(f->d, q, "");
    snprintf(q, sizeof q, "%sw", w63);
    expect_q(f->d, q, "");

    /* paging through two people under the same cut key */
    people_query pq = {.q = X60 "alpha", .limit = 1};
    char ids[64], next[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX], want[PEOPLE_CURSOR_MAX];
    list_ids(f->d, &pq, ids, sizeof ids, next);
    assert_string_equal(ids, "1");
    snprintf(want, sizeof want, "s%lld:" X60 "alph", (long long)hail_id(f->d, 1));
    assert_string_equal(next, want);
    assert_int_equal(people_cursor_parse(next, &pq, kb, sizeof kb), HAIL_OK);
    list_ids(f->d, &pq, ids, sizeof ids, next);
    assert_string_equal(ids, "2");
    assert_string_equal(next, "");

    /* every field at PERSON_FIELD_MAX: one key of 64 "z", found once */
    wipe(f->d);
    char *big = malloc(PERSON_FIELD_MAX);
    assert_non_null(big);
    memset(big, 'z', PERSON_FIELD_MAX);
    person_in m = mk(9, NULL, NULL, NULL, NULL, "rep@corp.com");
    for (int i = 0; i < PF_OWNER_EMAIL; i++) {
        m.f[i] = big;
        m.len[i] = PERSON_FIELD_MAX;
    }
    w = wopen(f->d, 0);
    put(w, &m);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    free(big);
    assert_int_equal(search_rows(f->d), 1);
    assert_int_equal(sql_int(f->d, "SELECT length(key) FROM people_search"), KEY_MAX);
    memset(q256, 'z', 256);
    expect_q(f->d, q256, "9");
    q256[200] = ' '; /* "zzz… zzz": two words, each starting the value */
    expect_q(f->d, q256, "9");
    q256[201] = 'y'; /* "zzz… yzz…": the second word starts no value */
    expect_q(f->d, q256, "");
    assert_search_consistent(f->d);
}

static void test_filters(void **state)
{
    fixture *f = *state;
    load_search_set(f->d);
    char ids[256], next[PEOPLE_CURSOR_MAX], want[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX];
    people_query q = {.limit = 200};

    q.owner = "rep.one@corp.com";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1,3,6");
    q.owner = "REP.ONE@corp.COM";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1,3,6");
    q.owner = "rep.one@corp";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "");
    q.owner = NULL;

    q.account = "001A";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1,3,4"); /* 5 is inactive */
    q.account = "001a";                /* ids are exact */
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "");
    q.account = NULL;

    q.opportunity = "006X";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1,4");
    q.opportunity = NULL;

    /* combined */
    q.account = "001A";
    q.owner = "rep.two@corp.com";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "4");
    q.owner = NULL;
    q.q = "jose";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1,3");
    q.opportunity = "006X";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1");
    q.owner = "Rep.Two@Corp.Com";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "");

    /* with q, each filter alone and in key order */
    q = (people_query){.q = "acme", .limit = 200};
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "4,1");
    q.owner = "REP.ONE@CORP.COM";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1");
    q.owner = NULL;
    q.opportunity = "006X";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "4,1");
    q.opportunity = NULL;
    q.account = "001B";
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "");
    q = (people_query){.q = "a", .owner = "rep.two@corp.com", .limit = 200};
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "4");
    q = (people_query){.q = "n", .owner = "rep.two@corp.com", .account = "001A", .limit = 200};
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "");

    /* limit and id cursors */
    people_query l = {.limit = 3};
    list_ids(f->d, &l, ids, sizeof ids, next);
    assert_string_equal(ids, "1,2,3");
    snprintf(want, sizeof want, "i%lld", (long long)hail_id(f->d, 3));
    assert_string_equal(next, want);
    assert_int_equal(people_cursor_parse(next, &l, kb, sizeof kb), HAIL_OK);
    assert_int_equal(l.after_id, hail_id(f->d, 3));
    assert_null(l.after_key);
    list_ids(f->d, &l, ids, sizeof ids, next);
    assert_string_equal(ids, "4,6,7");
    assert_string_equal(next, ""); /* exactly the rest: no further page */
    l.limit = 1;
    l.after_id = 0;
    list_ids(f->d, &l, ids, sizeof ids, next);
    assert_string_equal(ids, "1");
    snprintf(want, sizeof want, "i%lld", (long long)hail_id(f->d, 1));
    assert_string_equal(next, want);

    /* limit and search cursors, with a filter */
    people_query s = {.q = "jose", .account = "001A", .limit = 1};
    list_ids(f->d, &s, ids, sizeof ids, next);
    assert_string_equal(ids, "1");
    snprintf(want, sizeof want, "s%lld:jose garcia", (long long)hail_id(f->d, 1));
    assert_string_equal(next, want);
    assert_int_equal(people_cursor_parse(next, &s, kb, sizeof kb), HAIL_OK);
    assert_int_equal(s.after_id, hail_id(f->d, 1));
    assert_string_equal(s.after_key, "jose garcia");
    list_ids(f->d, &s, ids, sizeof ids, next);
    assert_string_equal(ids, "3");
    assert_string_equal(next, "");

    /* too long a query is refused; 256 bytes is fine */
    char longq[300];
    memset(longq, 'a', sizeof longq - 1);
    longq[sizeof longq - 1] = '\0';
    people_query lq = {.q = longq, .limit = 10};
    json_t *arr = json_array();
    assert_int_equal(people_list(f->d, &lq, arr, next), HAIL_EINVAL);
    assert_int_equal(json_array_size(arr), 0);
    longq[257] = '\0';
    assert_int_equal(people_list(f->d, &lq, arr, next), HAIL_EINVAL);
    longq[256] = '\0';
    assert_int_equal(people_list(f->d, &lq, arr, next), HAIL_OK);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

static void test_cursor_parse(void **state)
{
    (void)state;
    char kb[PEOPLE_CURSOR_MAX];
    people_query q = {.after_key = "stale"};
    assert_int_equal(people_cursor_parse("i5", &q, kb, sizeof kb), HAIL_OK);
    assert_int_equal(q.after_id, 5);
    assert_null(q.after_key);
    assert_int_equal(people_cursor_parse("i0", &q, kb, sizeof kb), HAIL_OK);
    assert_int_equal(q.after_id, 0);
    assert_int_equal(people_cursor_parse("i9223372036854775807", &q, kb, sizeof kb), HAIL_OK);
    assert_int_equal(q.after_id, INT64_MAX);

    assert_int_equal(people_cursor_parse("s7:jose garcia", &q, kb, sizeof kb), HAIL_OK);
    assert_int_equal(q.after_id, 7);
    assert_ptr_equal(q.after_key, kb);
    assert_string_equal(q.after_key, "jose garcia");
    assert_int_equal(people_cursor_parse("s12:a:b", &q, kb, sizeof kb), HAIL_OK);
    assert_int_equal(q.after_id, 12);
    assert_string_equal(q.after_key, "a:b");
    assert_int_equal(people_cursor_parse("s3:jos\xc3\xa9", &q, kb, sizeof kb), HAIL_OK);
    assert_string_equal(q.after_key, "jos\xc3\xa9");
    /* back to an id cursor: the key is dropped */
    assert_int_equal(people_cursor_parse("i8", &q, kb, sizeof kb), HAIL_OK);
    assert_null(q.after_key);

    /* the key must fit keybuf with its NUL */
    char small[5];
    assert_int_equal(people_cursor_parse("s1:abcd", &q, small, sizeof small), HAIL_OK);
    assert_string_equal(q.after_key, "abcd");
    assert_int_equal(people_cursor_parse("s1:abcde", &q, small, sizeof small), HAIL_EINVAL);

    static const char *const bad[] = {
        "",   "i",    "s",  "x5",    "5",     "I5",   "S5:a",  "i5x",  "i-1",
        "ix", "i5:a", "s5", "s:abc", "s-1:a", "sx:a", "s5x:a", "s5;a",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (people_cursor_parse(bad[i], &q, kb, sizeof kb) != HAIL_EINVAL) {
            print_error("cursor '%s' accepted\n", bad[i]);
            fail();
        }
    }
}

/* A cursor only continues the kind of listing it came from. */
static void test_cursor_mismatch(void **state)
{
    fixture *f = *state;
    load_search_set(f->d);
    char ids[64], icur[PEOPLE_CURSOR_MAX], scur[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX];
    people_query l = {.limit = 1};
    list_ids(f->d, &l, ids, sizeof ids, icur);
    assert_int_equal(icur[0], 'i');
    people_query s = {.q = "jose", .limit = 1};
    list_ids(f->d, &s, ids, sizeof ids, scur);
    assert_int_equal(scur[0], 's');

    json_t *arr = json_array();
    char next[PEOPLE_CURSOR_MAX];
    /* an id cursor with q */
    people_query q = {.q = "jose", .limit = 10};
    assert_int_equal(people_cursor_parse(icur, &q, kb, sizeof kb), HAIL_OK);
    assert_int_equal(people_list(f->d, &q, arr, next), HAIL_EINVAL);
    /* a search cursor without q, with a blank q, or with only filters */
    q = (people_query){.limit = 10};
    assert_int_equal(people_cursor_parse(scur, &q, kb, sizeof kb), HAIL_OK);
    assert_int_equal(people_list(f->d, &q, arr, next), HAIL_EINVAL);
    q.q = "   ";
    assert_int_equal(people_list(f->d, &q, arr, next), HAIL_EINVAL);
    q.q = NULL;
    q.owner = "rep.one@corp.com";
    assert_int_equal(people_list(f->d, &q, arr, next), HAIL_EINVAL);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    /* each with its own kind: fine */
    assert_int_equal(people_cursor_parse(icur, &l, kb, sizeof kb), HAIL_OK);
    list_ids(f->d, &l, ids, sizeof ids, NULL);
    assert_string_equal(ids, "2");
    assert_int_equal(people_cursor_parse(scur, &s, kb, sizeof kb), HAIL_OK);
    list_ids(f->d, &s, ids, sizeof ids, next);
    assert_string_equal(ids, "3");
    assert_string_equal(next, "");

    /* a search cursor stays valid when the person it points at is gone */
    s = (people_query){.q = "jose", .limit = 1};
    assert_int_equal(people_cursor_parse(scur, &s, kb, sizeof kb), HAIL_OK);
    people_writer *w = wopen(f->d, 0);
    assert_int_equal(people_writer_deactivate(w, 1, 1), HAIL_OK);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    list_ids(f->d, &s, ids, sizeof ids, next);
    assert_string_equal(ids, "3");
    assert_string_equal(next, "");
}

static void test_paging(void **state)
{
    fixture *f = *state;
    enum { N = 457 };
    static struct {
        char first[16], email[32];
        const char *company, *owner;
        int active;
    } pg[N + 1];
    people_writer *w = wopen(f->d, PW_BULK);
    int active_n = 0;
    for (int i = 1; i <= N; i++) {
        /* keys that interleave: "pN page", "page", "pN@page.example", "paging co" */
        snprintf(pg[i].first, sizeof pg[i].first, "P%d", i);
        snprintf(pg[i].email, sizeof pg[i].email, "p%d@page.example", i);
        pg[i].company = i % 4 ? "Paging Co" : "Page";
        pg[i].owner = i % 7 == 0 ? NULL : i % 2 ? "rep@corp.com" : "Other@Corp.com";
        pg[i].active = pg[i].owner != NULL;
        person_in p = mk(10000 + i, i % 5 ? pg[i].first : NULL, "Page", i % 3 ? NULL : pg[i].email,
                         pg[i].company, pg[i].owner);
        put(w, &p);
        active_n += pg[i].active;
    }
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    /* deactivate some more afterwards, row by row */
    w = wopen(f->d, 0);
    for (int i = 5; i <= N; i += 50) {
        if (pg[i].active) {
            assert_int_equal(people_writer_deactivate(w, 10000 + i, 1), HAIL_OK);
            pg[i].active = 0;
            active_n--;
        }
    }
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, N, active_n);
    assert_search_consistent(f->d);

    static const int limits[] = {1, 7, 10, 50, 200};
    static const char *const queries[] = {NULL, "paging", "p", "p1", "page", "P3@", "p45", "zz"};
    static const char *const owners[] = {NULL, "REP@corp.COM"};
    for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++) {
        const char *qs = queries[qi];
        for (size_t oi = 0; oi < sizeof owners / sizeof owners[0]; oi++) {
            /* who should be listed, by the model */
            int want = 0;
            char key[KEY_MAX + 1];
            for (int i = 1; i <= N; i++)
                want += pg[i].active && (!owners[oi] || strcasecmp(pg[i].owner, owners[oi]) == 0) &&
                        (!qs || t_match_key(i % 5 ? pg[i].first : NULL, "Page",
                                            i % 3 ? NULL : pg[i].email, pg[i].company, qs, key));
            if (!qs && !owners[oi])
                assert_int_equal(want, active_n);
            for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++) {
                static unsigned char seen[N + 1];
                memset(seen, 0, sizeof seen);
                people_query q = {.q = qs, .owner = owners[oi], .limit = limits[li]};
                int got = 0, pages = 0;
                int64_t last_id = 0;
                char last_key[KEY_MAX + 1] = "", kb[PEOPLE_CURSOR_MAX];
                for (;;) {
                    json_t *arr = json_array();
                    char next[PEOPLE_CURSOR_MAX];
                    assert_int_equal(people_list(f->d, &q, arr, next), HAIL_OK);
                    assert_true(json_array_size(arr) <= (size_t)limits[li]);
                    size_t i;
                    json_t *o;
                    json_array_foreach(arr, i, o)
                    {
                        int64_t id = json_integer_value(json_object_get(o, "id"));
                        int64_t mid = json_integer_value(json_object_get(o, "marketo_id"));
                        assert_true(jactive(o));
                        int k = (int)(mid - 10000);
                        assert_true(k >= 1 && k <= N);
                        assert_true(pg[k].active);
                        assert_int_equal(seen[k], 0); /* exactly once */
                        seen[k] = 1;
                        if (owners[oi])
                            assert_int_equal(strcasecmp(jstr(o, "owner_email"), owners[oi]), 0);
                        if (!qs) {
                            assert_true(id > last_id); /* in id order */
                        } else {
                            /* in (matching key, id) order */
                            assert_true(t_match_json(o, qs, key));
                            int c = strcmp(key, last_key);
                            if (c < 0 || (c == 0 && id <= last_id)) {
                                print_error("q=%s: (%s, %lld) after (%s, %lld)\n", qs, key,
                                            (long long)id, last_key, (long long)last_id);
                                fail();
                            }
                            snprintf(last_key, sizeof last_key, "%s", key);
                        }
                        last_id = id;
                        got++;
                    }
                    pages++;
                    if (*next) {
                        char want_next[PEOPLE_CURSOR_MAX];
                        if (qs)
                            snprintf(want_next, sizeof want_next, "s%lld:%s", (long long)last_id,
                                     last_key);
                        else
                            snprintf(want_next, sizeof want_next, "i%lld", (long long)last_id);
                        assert_int_equal(json_array_size(arr), (size_t)limits[li]);
                        assert_string_equal(next, want_next);
                    }
                    json_decref(arr);
                    if (!*next)
                        break;
                    assert_int_equal(people_cursor_parse(next, &q, kb, sizeof kb), HAIL_OK);
                    assert_true(pages < 10000);
                }
                if (got != want) {
                    print_error("q=%s owner=%s limit=%d: got %d, want %d\n", qs ? qs : "-",
                                owners[oi] ? owners[oi] : "-", limits[li], got, want);
                    fail();
                }
                int want_pages = (want + limits[li] - 1) / limits[li];
                assert_int_equal(pages, want_pages ? want_pages : 1);
            }
        }
    }
}

/* ---- the search keys after a bulk load ---- */

/* An interrupted bulk load: the process dies after a checkpoint, with rows
 * committed but no search keys. */
static int crash_child(const char *path)
{
    db *d;
    if (db_open(path, 0, &d))
        return 2;
    people_writer *w;
    if (people_writer_open(d, PW_BULK, &w))
        return 3;
    for (int i = 1; i <= 40; i++) {
        char first[32];
        snprintf(first, sizeof first, "Crash%d", i);
        person_in p = mk(i, first, "Victim", NULL, "Crash Co", "rep@corp.com");
        if (people_writer_put(w, &p))
            return 4;
        if (i == 30 && people_writer_checkpoint(w))
            return 5;
    }
    return 0; /* no people_writer_close, no db_close */
}

static void test_bulk_interrupted_is_healed(void **state)
{
    fixture *f = *state;
    db_close(f->d);
    f->d = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(crash_child(f->path));
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* as left: 30 rows, marked, no keys (the indexes were kept); an open
     * without DB_MIGRATE does not repair */
    db *d;
    assert_int_equal(db_open(f->path, 0, &d), HAIL_OK);
    counts(d, 30, 30);
    assert_true(bulk_flag(d));
    assert_int_equal(search_rows(d), 0);
    assert_int_equal(index_count(d), 3);
    expect_q(d, "crash", "");
    db_close(d);

    /* the next migrating open rebuilds them */
    assert_int_equal(db_open(f->path, DB_MIGRATE, &f->d), HAIL_OK);
    counts(f->d, 30, 30);
    assert_false(bulk_flag(f->d));
    assert_int_equal(index_count(f->d), 3);
    assert_int_equal(search_rows(f->d), 90); /* "crashN victim", "victim", "crash co" */
    expect_q(f->d, "crash3", "3,30");        /* "crash3 victim" < "crash30 victim" */
    expect_q(f->d, "crash31", "");
    expect_q(f->d, "victim",
             "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30");
    expect_keys(f->d, 7, "crash co|crash7 victim|victim");
    assert_search_consistent(f->d);

    /* and row-by-row writing carries on from there */
    people_writer *w = wopen(f->d, 0);
    person_in p = mk(3, "Crash3", "Survivor", NULL, "Crash Co", "rep@corp.com");
    put(w, &p);
    p = mk(41, "Late", "Arrival", NULL, NULL, "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_q(f->d, "crash3", "3,30");
    expect_q(f->d, "survivor", "3");
    expect_q(f->d, "late", "41");
    assert_search_consistent(f->d);
}

/* The same, simulated by hand: the mark set and the keys gone. */
static void test_bulk_mark_heals_on_migrating_open(void **state)
{
    fixture *f = *state;
    load_search_set(f->d);
    char *before = search_dump(f->d);
    assert_true(strlen(before) > 0);

    assert_int_equal(db_kv_set(f->d, PEOPLE_BULK_KEY, "1"), HAIL_OK);
    assert_int_equal(db_exec(f->d, "DELETE FROM people_search"), HAIL_OK);
    assert_int_equal(schema_drop_people_indexes(f->d), HAIL_OK);
    expect_q(f->d, "jose", "");
    db_close(f->d);
    f->d = NULL;

    assert_int_equal(db_open(f->path, 0, &f->d), HAIL_OK);
    expect_q(f->d, "jose", "");
    assert_true(bulk_flag(f->d));
    db_close(f->d);
    f->d = NULL;

    assert_int_equal(db_open(f->path, DB_MIGRATE, &f->d), HAIL_OK);
    assert_false(bulk_flag(f->d));
    assert_int_equal(index_count(f->d), 3);
    char *after = search_dump(f->d);
    assert_string_equal(after, before);
    free(after);
    free(before);
    expect_q(f->d, "jose", "1,3");
    expect_q(f->d, "acme", "4,1");

    /* without the mark, a migrating open leaves the keys alone */
    char *again = search_dump(f->d);
    db_close(f->d);
    f->d = NULL;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &f->d), HAIL_OK);
    char *again2 = search_dump(f->d);
    assert_string_equal(again, again2);
    free(again);
    free(again2);
}

/* The mark: set while a bulk load runs, re-set at each checkpoint, cleared at
 * close. */
static void test_bulk_mark(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, PW_BULK);
    db *wd = people_writer_db(w);
    assert_true(bulk_flag(wd));
    person_in p = mk(1, "Mark", "One", NULL, NULL, "rep@corp.com");
    put(w, &p);
    /* as if a server had started, rebuilt the keys and cleared the mark */
    assert_int_equal(db_kv_del(wd, PEOPLE_BULK_KEY), HAIL_OK);
    assert_false(bulk_flag(wd));
    assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    assert_true(bulk_flag(wd));
    p = mk(2, "Mark", "Two", NULL, NULL, "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    assert_true(bulk_flag(wd));
    assert_int_equal(search_rows(wd), 0);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    assert_false(bulk_flag(f->d));
    expect_q(f->d, "mark", "1,2");
    assert_search_consistent(f->d);

    /* a bulk load rolled back before any checkpoint leaves no mark */
    wipe(f->d);
    w = wopen(f->d, PW_BULK);
    put(w, &p);
    assert_int_equal(people_writer_close(w, 0), HAIL_OK);
    assert_false(bulk_flag(f->d));
    counts(f->d, 0, 0);
    assert_int_equal(search_rows(f->d), 0);
    assert_int_equal(index_count(f->d), 3);
}

/* A generated set of people with the awkward cases: accents, NFD, CJK, long
 * values cut inside a character or at a space, empty and null fields, keys
 * shared between fields and people. */
#define LONG_A X60 "\xc3\xa9t\xc3\xa9 long"
#define LONG_B                                                                                     \
    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"                               \
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
#define LONG_C "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww tail"
#define LONG_D "Company " X60 " Alpha"
#define LONG_E X60 "xxxxxxxxxx@e.example"

static const char *const g_first[] = {"Ana",
                                      "Jos\xc3\xa9",
                                      "Rene\xcc\x81"
                                      "e",
                                      NULL,
                                      "",
                                      "  Spaced   Out ",
                                      "\xc3\x86sa",
                                      "Smith",
                                      "\xe6\x97\xa5\xe6\x9c\xac",
                                      LONG_A,
                                      "Zo\xc3\xab"};
static const char *const g_last[] = {"Smith",
                                     "Smithers",
                                     "M\xc3\xbcller",
                                     NULL,
                                     "",
                                     "O'Brien",
                                     "Garc\xc3\xad"
                                     "a",
                                     LONG_B,
                                     LONG_C};
static const char *const g_email[] = {
    NULL, "", "a@x.example", "SMITH@Example.com", LONG_E, "ana@smith.example"};
static const char *const g_company[] = {NULL,
                                        "Acme",
                                        "Smith",
                                        "Acme \xc3\x91"
                                        "and\xc3\xba",
                                        "",
                                        LONG_D,
                                        "Ana Smith",
                                        LONG_C};
static const char *const g_owner[] = {"rep@corp.com", "rep@corp.com", NULL, "", "Other@corp.com"};
#define G_N(a) ((int)(sizeof a / sizeof a[0]))

static person_in gen(int i, int variant)
{
    return mk(
        i, g_first[(i * 7 + variant * 3) % G_N(g_first)], g_last[(i * 5 + variant) % G_N(g_last)],
        g_email[(i * 3 + variant * 5) % G_N(g_email)],
        g_company[(i * 11 + variant * 2) % G_N(g_company)], g_owner[(i + variant) % G_N(g_owner)]);
}

enum { G_COUNT = 300 };

/* The initial load (i in [from, to]) and the changes on top of it. */
static void gen_load(people_writer *w, int from, int to)
{
    for (int i = from; i <= to; i++) {
        person_in p = gen(i, 0);
        put(w, &p);
    }
}

static void gen_changes(people_writer *w)
{
    for (int i = 1; i <= G_COUNT; i++) {
        if (i % 9 == 0) {
            person_in p = gen(i, 1);
            put(w, &p);
        }
        if (i % 11 == 0)
            assert_int_equal(people_writer_deactivate(w, i, i % 2), HAIL_OK);
        if (i % 13 == 0) {
            person_in p = gen(i, 2);
            set(&p, PF_OWNER_EMAIL, NULL);
            put(w, &p);
        }
        if (i % 17 == 0) {
            person_in p = gen(i, 0);
            set(&p, PF_OWNER_EMAIL, "back@corp.com");
            put(w, &p);
        }
    }
    assert_int_equal(people_writer_deactivate(w, 999999, 1), HAIL_OK);
}

static const char people_dump_sql[] =
    "SELECT marketo_id, first_name, last_name, email, company, owner_email, active, deleted"
    " FROM people ORDER BY marketo_id";

/* The keys after a PW_BULK load equal those after a row-by-row load of the
 * same people (ids may differ: compared by Marketo id). */
static void test_bulk_keys_equal_row_by_row(void **state)
{
    fixture *f = *state;
    /* 1. bulk: all of it in one PW_BULK writer, with a checkpoint */
    people_writer *w = wopen(f->d, PW_BULK);
    gen_load(w, 1, G_COUNT / 2);
    assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    gen_load(w, G_COUNT / 2 + 1, G_COUNT);
    gen_changes(w);
    assert_int_equal(search_rows(f->d), 0);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);

    /* 2. row by row, one writer on an empty table (inserts without lookup) */
    char path2[160];
    snprintf(path2, sizeof path2, "%s/rows.db", f->dir);
    db *d2;
    assert_int_equal(db_open(path2, DB_MIGRATE, &d2), HAIL_OK);
    w = wopen(d2, 0);
    gen_load(w, 1, G_COUNT);
    gen_changes(w);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);

    /* 3. row by row, the changes in a second writer (updates with lookup) */
    char path3[160];
    snprintf(path3, sizeof path3, "%s/rows2.db", f->dir);
    db *d3;
    assert_int_equal(db_open(path3, DB_MIGRATE, &d3), HAIL_OK);
    w = wopen(d3, 0);
    gen_load(w, 1, G_COUNT);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    w = wopen(d3, 0);
    gen_changes(w);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);

    char *p1 = sql_text(f->d, people_dump_sql), *p2 = sql_text(d2, people_dump_sql),
         *p3 = sql_text(d3, people_dump_sql);
    assert_string_equal(p1, p2);
    assert_string_equal(p1, p3);
    free(p1);
    free(p2);
    free(p3);
    int64_t active = sql_int(f->d, "SELECT count(*) FROM people WHERE active = 1");
    assert_true(active > 50 && active < G_COUNT);

    char *s1 = search_dump(f->d), *s2 = search_dump(d2), *s3 = search_dump(d3);
    if (strcmp(s1, s2) != 0 || strcmp(s1, s3) != 0) {
        print_error("--- bulk\n%s--- row by row\n%s--- row by row, 2 writers\n%s", s1, s2, s3);
        fail();
    }
    free(s1);
    free(s2);
    free(s3);
    assert_search_consistent(f->d);
    assert_search_consistent(d2);
    assert_search_consistent(d3);

    /* and the same answers */
    static const char *const qs[] = {
        "smith",        "a",       "acme",     "ana",  "x",   X60 "ete", X60 "xx", "y", "w", "jose",
        "\xe6\x97\xa5", "company", "spaced o", "aesa", "zoe", "muller",  "o"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        people_query q = {.q = qs[i], .limit = 200};
        char a[4096], b[4096], c[4096];
        list_ids(f->d, &q, a, sizeof a, NULL);
        list_ids(d2, &q, b, sizeof b, NULL);
        list_ids(d3, &q, c, sizeof c, NULL);
        assert_string_equal(a, b);
        assert_string_equal(a, c);
    }
    db_close(d2);
    db_close(d3);
}

static void test_get_json_shape(void **state)
{
    fixture *f = *state;
    int64_t before = time_now_us();
    person_in p = mk(424242, "Grace", "Hopper", "grace@navy.example", NULL, "rep@corp.com");
    set(&p, PF_TITLE, "Rear Admiral");
    set(&p, PF_SFDC_LEAD_ID, "00Q123");
    people_writer *w = wopen(f->d, 0);
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);

    int64_t id = hail_id(f->d, 424242);
    json_t *o = NULL;
    assert_int_equal(people_get(f->d, id, &o), HAIL_OK);
    static const char *const keys[] = {
        "id",
        "marketo_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "company",
        "source",
        "linkedin_url",
        "sfdc_lead_id",
        "sfdc_contact_id",
        "sfdc_account_id",
        "sfdc_opportunity_id",
        "owner_email",
        "time_zone",
        "active",
        "created_at",
        "updated_at",
    };
    const size_t nkeys = sizeof keys / sizeof keys[0];
    assert_int_equal(json_object_size(o), nkeys);
    for (size_t i = 0; i < nkeys; i++) {
        if (!json_object_get(o, keys[i])) {
            print_error("key %s missing\n", keys[i]);
            fail();
        }
    }
    assert_true(json_is_integer(json_object_get(o, "id")));
    assert_int_equal(json_integer_value(json_object_get(o, "id")), id);
    assert_true(json_is_integer(json_object_get(o, "marketo_id")));
    assert_int_equal(json_integer_value(json_object_get(o, "marketo_id")), 424242);
    assert_string_equal(jstr(o, "first_name"), "Grace");
    assert_string_equal(jstr(o, "last_name"), "Hopper");
    assert_string_equal(jstr(o, "email"), "grace@navy.example");
    assert_string_equal(jstr(o, "title"), "Rear Admiral");
    assert_string_equal(jstr(o, "sfdc_lead_id"), "00Q123");
    assert_string_equal(jstr(o, "owner_email"), "rep@corp.com");
    static const char *const nulls[] = {"phone",
                                        "company",
                                        "source",
                                        "linkedin_url",
                                        "sfdc_contact_id",
                                        "sfdc_account_id",
                                        "sfdc_opportunity_id",
                                        "time_zone"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        assert_true(json_is_null(json_object_get(o, nulls[i])));
    assert_true(json_is_true(json_object_get(o, "active")));
    /* timestamps: ISO-8601 UTC, around now */
    static const char *const ts[] = {"created_at", "updated_at"};
    for (int i = 0; i < 2; i++) {
        const char *s = jstr(o, ts[i]);
        assert_non_null(s);
        assert_int_equal(strlen(s), TIME_ISO_LEN - 1);
        assert_int_equal(s[strlen(s) - 1], 'Z');
        int64_t us;
        assert_int_equal(time_parse_iso(s, strlen(s), &us), HAIL_OK);
        assert_true(us >= before - US_PER_SEC && us <= time_now_us() + US_PER_SEC);
    }
    /* list objects have the same shape */
    json_t *arr = json_array();
    people_query q = {.limit = 10};
    char next[PEOPLE_CURSOR_MAX];
    assert_int_equal(people_list(f->d, &q, arr, next), HAIL_OK);
    assert_int_equal(json_array_size(arr), 1);
    assert_true(json_equal(json_array_get(arr, 0), o));
    assert_string_equal(next, "");
    json_decref(arr);
    /* and so do search results */
    arr = json_array();
    q.q = "grace";
    assert_int_equal(people_list(f->d, &q, arr, next), HAIL_OK);
    assert_int_equal(json_array_size(arr), 1);
    assert_true(json_equal(json_array_get(arr, 0), o));
    json_decref(arr);
    json_decref(o);

    /* unknown id */
    o = (json_t *)1;
    assert_int_equal(people_get(f->d, id + 1000, &o), HAIL_ENOTFOUND);
    assert_null(o);
}

static void test_text_round_trip(void **state)
{
    fixture *f = *state;
    /* Values come back byte for byte (no folding, trimming or truncation). */
    person_in p = mk(9, "  Padded  ", "\xe6\x97\xa5\xe6\x9c\xac", "MiXeD@Case.Example",
                     "Quote \"and\" comma, Co", "rep@corp.com");
    set(&p, PF_LINKEDIN_URL, "https://www.linkedin.com/in/x?y=1&z=\xc3\xa9");
    people_writer *w = wopen(f->d, 0);
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    json_t *o = get(f->d, 9);
    assert_string_equal(jstr(o, "first_name"), "  Padded  ");
    assert_string_equal(jstr(o, "last_name"), "\xe6\x97\xa5\xe6\x9c\xac");
    assert_string_equal(jstr(o, "email"), "MiXeD@Case.Example");
    assert_string_equal(jstr(o, "company"), "Quote \"and\" comma, Co");
    assert_string_equal(jstr(o, "linkedin_url"), "https://www.linkedin.com/in/x?y=1&z=\xc3\xa9");
    json_decref(o);
    expect_q(f->d, "padded", "9");
    expect_q(f->d, "mixed@case", "9");
    expect_q(f->d, "\xe6\x97\xa5", "9");
    expect_q(f->d, "quote \"and\" comma, co", "9");
    expect_keys(f->d, 9,
                "mixed@case.example|padded \xe6\x97\xa5\xe6\x9c\xac|quote \"and\" comma, co|"
                "\xe6\x97\xa5\xe6\x9c\xac");
}

/* The text forms: what people_list/people_get return, as JSON text appended
 * to a buffer, with every character escaped so it parses back. */
static void test_text_output(void **state)
{
    fixture *f = *state;
    static const char nasty[] = "tab\there \"quoted\" back\\slash /\n\r\x01\x1f"
                                "\xe2\x80\xa8 \xf0\x9f\x98\x80 end";
    people_writer *w = wopen(f->d, 0);
    person_in p = mk(1, "Text", "One", "one@text.example", NULL, "rep@corp.com");
    set(&p, PF_TITLE, nasty);
    put(w, &p);
    p = mk(2, "Text", "Two", NULL, "Text \"Co\"", "rep@corp.com");
    put(w, &p);
    p = mk(3, "Text", "Three", NULL, NULL, "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);

    /* one person, appended after what the buffer held */
    buf b = BUF_INIT(1 << 20);
    assert_int_equal(buf_puts(&b, "X"), HAIL_OK);
    assert_int_equal(people_get_text(f->d, hail_id(f->d, 1), &b), HAIL_OK);
    assert_int_equal(b.data[0], 'X');
    json_error_t err;
    json_t *t = json_loadb(b.data + 1, b.len - 1, 0, &err);
    assert_non_null(t);
    json_t *o = get(f->d, 1);
    assert_true(json_equal(t, o));
    assert_string_equal(jstr(o, "title"), nasty);
    json_decref(t);
    json_decref(o);
    /* unknown: an error, nothing appended */
    size_t len = b.len;
    assert_int_equal(people_get_text(f->d, 999, &b), HAIL_ENOTFOUND);
    assert_int_equal(b.len, len);
    buf_release(&b);

    /* lists: objects joined by commas, no brackets, the same as people_list */
    static const char *const qs[] = {NULL, "text", "one@", "text \"co"};
    for (size_t qi = 0; qi < sizeof qs / sizeof qs[0]; qi++) {
        for (int limit = 1; limit <= 4; limit++) {
            people_query q = {.q = qs[qi], .limit = limit};
            char next_t[PEOPLE_CURSOR_MAX], next_j[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX];
            for (int pages = 0;; pages++) {
                assert_true(pages < 10);
                buf lb = BUF_INIT(1 << 20);
                assert_int_equal(buf_putc(&lb, '['), HAIL_OK);
                int count = -1;
                assert_int_equal(people_list_text(f->d, &q, &lb, next_t, &count), HAIL_OK);
                assert_int_equal(buf_putc(&lb, ']'), HAIL_OK);
                json_t *arr = json_loadb(lb.data, lb.len, 0, &err);
                if (!arr) {
                    print_error("not JSON (%s): %s\n", err.text, lb.data);
                    fail();
                }
                buf_release(&lb);
                json_t *want = json_array();
                assert_int_equal(people_list(f->d, &q, want, next_j), HAIL_OK);
                assert_true(json_equal(arr, want));
                assert_int_equal(count, (int)json_array_size(want));
                assert_string_equal(next_t, next_j);
                json_decref(arr);
                json_decref(want);
                if (!*next_t)
                    break;
                assert_int_equal(people_cursor_parse(next_t, &q, kb, sizeof kb), HAIL_OK);
            }
        }
    }
    /* nothing found: nothing appended */
    buf lb = BUF_INIT(1 << 20);
    people_query q = {.q = "nobody", .limit = 10};
    char next[PEOPLE_CURSOR_MAX];
    int count = -1;
    assert_int_equal(people_list_text(f->d, &q, &lb, next, &count), HAIL_OK);
    assert_int_equal(count, 0);
    assert_int_equal(lb.len, 0);
    assert_string_equal(next, "");
    buf_release(&lb);
    expect_q(f->d, "text \"co\"", "2");
}

/* Two of a person's values that share their first 64 bytes are both checked
 * against a long query (they share one people_search row). */
static void test_search_long_shared_prefix(void **state)
{
    fixture *f = *state;
    char x60[61], email[128], company[128], q[128];
    memset(x60, 'x', 60);
    x60[60] = '\0';
    snprintf(email, sizeof email, "%saaaa@one.example", x60);
    snprintf(company, sizeof company, "%saaaa-two co", x60);
    snprintf(q, sizeof q, "%saaaa-two", x60);
    people_writer *w = wopen(f->d, 0);
    person_in p = mk(1, "Ann", "Long", email, company, "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_q(f->d, q, "1");
    snprintf(q, sizeof q, "%saaaa@one", x60);
    expect_q(f->d, q, "1");
}

/* A search never lists an inactive person, even when the search keys are
 * stale (a server rebuilt them in the middle of a bulk load). */
static void test_search_skips_inactive_with_stale_keys(void **state)
{
    fixture *f = *state;
    people_writer *w = wopen(f->d, PW_BULK);
    person_in p = mk(1, "Stale", "Person", NULL, NULL, "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    assert_int_equal(people_rebuild_search(f->d), HAIL_OK);
    assert_int_equal(people_writer_deactivate(w, 1, 1), HAIL_OK);
    assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    expect_q(f->d, "stale", "");
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    expect_q(f->d, "stale", "");
}

/* ---- the owner filter's index ---- */

/* EXPLAIN QUERY PLAN of sql: the detail lines joined by '\n'. Caller frees. */
static char *plan_of(db *d, const char *sql)
{
    char *eqp = malloc(strlen(sql) + 32);
    assert_non_null(eqp);
    memcpy(eqp, "EXPLAIN QUERY PLAN ", 19);
    memcpy(eqp + 19, sql, strlen(sql) + 1);
    db_st *st;
    if (!(st = db_prepare(d, eqp))) {
        print_error("%s: %s\n", eqp, hail_errmsg());
        fail();
    }
    free(eqp);
    size_t cap = 1024, n = 0;
    char *out = calloc(1, cap);
    assert_non_null(out);
    while (db_step(st) == DB_ROW) {
        const char *detail = db_col_text(st, 3);
        size_t l = strlen(detail);
        while (n + l + 2 > cap) {
            out = realloc(out, cap *= 2);
            assert_non_null(out);
        }
        memcpy(out + n, detail, l);
        n += l;
        out[n++] = '\n';
        out[n] = '\0';
    }
    db_st_free(st);
    return out;
}

static void expect_plan(db *d, const people_query *q, const char *want, const char *banned)
{
    char *plan = plan_of(d, people_list_sql(q));
    if (!strstr(plan, want) || (banned && strstr(plan, banned))) {
        print_error("plan:\n%swant '%s', not '%s'\n", plan, want, banned ? banned : "");
        free(plan);
        fail();
    }
    free(plan);
}

/* "My people" (owner = me, compared case-insensitively) is an index range,
 * with and without q and with the cursor (the id bound is part of the
 * index search), and a database from before gets the index on open. */
static void test_owner_filter_uses_index(void **state)
{
    fixture *f = *state;
    load_search_set(f->d);
    people_query q = {.owner = "rep.one@corp.com", .limit = 2};
    expect_plan(f->d, &q, "SEARCH p USING INDEX people_owner_ci (owner_email=? AND rowid>?)",
                "SCAN");
    expect_plan(f->d, &q, "people_owner_ci", "INTEGER PRIMARY KEY");
    q.q = "jo";
    expect_plan(f->d, &q, "SEARCH s USING PRIMARY KEY (key>? AND key<?)", "SCAN");
    expect_plan(f->d, &q, "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)", "SCAN");
    q.q = NULL;
    q.account = "001A";
    expect_plan(f->d, &q, "SEARCH p USING INDEX", "SCAN");
    q.account = NULL;

    /* paging with the filter, any case */
    char ids[256], next[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX], all[1024] = "";
    q.owner = "REP.one@CORP.com";
    for (int pages = 0;; pages++) {
        assert_true(pages < 5);
        list_ids(f->d, &q, ids, sizeof ids, next);
        size_t used = strlen(all);
        snprintf(all + used, sizeof all - used, "%s%s", *all && *ids ? "," : "", ids);
        if (!*next)
            break;
        assert_int_equal(people_cursor_parse(next, &q, kb, sizeof kb), HAIL_OK);
    }
    assert_string_equal(all, "1,3,6");

    /* a database from before: a binary people_owner, which the NOCASE
     * comparison cannot use (the table was scanned) */
    assert_int_equal(db_exec(f->d, "DROP INDEX people_owner_ci;"
                                   "CREATE INDEX people_owner ON people(owner_email);"),
                     HAIL_OK);
    q = (people_query){.owner = "rep.one@corp.com", .limit = 2};
    expect_plan(f->d, &q, "SEARCH p USING INTEGER PRIMARY KEY (rowid>?)", "people_owner");
    db_close(f->d);
    f->d = NULL;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &f->d), HAIL_OK);
    assert_int_equal(
        sql_int(f->d, "SELECT count(*) FROM sqlite_master WHERE name = 'people_owner'"), 0);
    assert_int_equal(index_count(f->d), 3);
    expect_plan(f->d, &q, "SEARCH p USING INDEX people_owner_ci (owner_email=? AND rowid>?)",
                "SCAN");
    expect_plan(f->d, &q, "people_owner_ci", "INTEGER PRIMARY KEY");
    q.limit = 200;
    list_ids(f->d, &q, ids, sizeof ids, NULL);
    assert_string_equal(ids, "1,3,6");
}

/* ---- several words ---- */

static void load_words_set(db *d)
{
    people_writer *w = wopen(d, 0);
    person_in p;
    p = mk(1, "Noah", "M\xc3\xbcller", "noah.mueller@acme.example", "Acme Corp", "rep@corp.com");
    put(w, &p);
    /* "muller" is his company, not his name */
    p = mk(2, "Noah", "Smith", "ns@x.example", "Muller Bau", "rep@corp.com");
    put(w, &p);
    p = mk(3, "Anna", "M\xc3\xbcller", "anna@y.example", "Zeta", "rep@corp.com");
    put(w, &p);
    /* inactive: never listed */
    p = mk(4, "Noah", "M\xc3\xbcller", "noah@inactive.example", "Acme Corp", NULL);
    put(w, &p);
    p = mk(5, "Mary Ann", "Jones", "mj@acme.example", "Acme Corp", "rep@corp.com");
    put(w, &p);
    p = mk(6, "Hans", "van der Berg", "hans@berg.example", "Berg Holding", "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
}

static void test_search_words(void **state)
{
    fixture *f = *state;
    load_words_set(f->d);
    /* one word: as before (a prefix of "first last", last, email or company) */
    expect_q(f->d, "noah", "1,2");
    expect_q(f->d, "muller", "1,3,2");
    /* several: any order, any field, accents and case folded */
    expect_q(f->d, "noah muller", "1,2"); /* 2: Noah of Muller Bau */
    expect_q(f->d, "muller noah", "1,2");
    expect_q(f->d, "M\xc3\x9cLLER Noah", "1,2");
    expect_q(f->d, "noah mul", "1,2");
    expect_q(f->d, "mu no", "1,2");
    expect_q(f->d, "smith noah", "2");
    expect_q(f->d, "noah smith", "2");
    expect_q(f->d, "noah acme", "1");
    /* three words */
    expect_q(f->d, "acme noah muller", "1");
    expect_q(f->d, "muller acme noah", "1");
    expect_q(f->d, "noah muller bau", "2");
    expect_q(f->d, "anna zeta muller", "3");
    /* a field of several words matches as a phrase, in its own order */
    expect_q(f->d, "noah acme corp", "1");
    expect_q(f->d, "acme corp noah", "1");
    expect_q(f->d, "van der berg", "6");
    expect_q(f->d, "hans van der", "6");
    expect_q(f->d, "van hans", "6");
    expect_q(f->d, "jones mary", "5");
    expect_q(f->d, "mary ann jones", "5");
    expect_q(f->d, "corp acme", "");
    expect_q(f->d, "noah bau muller", "");
    expect_q(f->d, "berg van", "6"); /* "berg holding" + "van der berg" */
    /* repeated words */
    expect_q(f->d, "noah noah", "1,2");
    expect_q(f->d, "muller muller noah", "1,2");
    expect_q(f->d, "noah muller noah", "1,2");
    /* a word matching nothing */
    expect_q(f->d, "noah zzz", "");
    expect_q(f->d, "zzz noah", "");
    expect_q(f->d, "noah muller zzz", "");
    expect_q(f->d, "noah ller", "");
    /* the inactive Noah Müller never shows */
    expect_q(f->d, "noah inactive", "");
    expect_q(f->d, "noah@inactive", "");
}

/* A multi-word search pages like a one-word one: each person once, the same
 * order page by page, cursors naming the scanned word. */
static void test_search_words_paging(void **state)
{
    fixture *f = *state;
    enum { N = 150 };
    people_writer *w = wopen(f->d, 0);
    char first[32], last[32], email[64];
    for (int i = 1; i <= N; i++) {
        /* matches "mueller noah" through several keys each; every 4th is inactive,
         * every 5th lacks "noah" */
        snprintf(first, sizeof first, i % 5 ? "Noah%d" : "Liam%d", i);
        snprintf(last, sizeof last, "Mueller%d", i % 13);
        snprintf(email, sizeof email, "noah.mueller%d@example.com", i);
        person_in p = mk(i, first, last, i % 5 ? email : NULL, i % 2 ? "Mueller Noah GmbH" : NULL,
                         i % 4 ? "rep@corp.com" : NULL);
        put(w, &p);
    }
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    int want_phrase = 0, want_noah = 0;
    for (int i = 1; i <= N; i++) {
        want_phrase += (i % 4) && (i % 5 || i % 2); /* Liam of "Mueller Noah GmbH" too */
        want_noah += (i % 4) && i % 5;
    }
    const char *qs[] = {"mueller noah", "noah mueller", "noah mue noah", "noah mueller noah"};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        int want_n = k == 0 ? want_phrase : want_noah;
        people_query q = {.q = qs[k], .limit = 200};
        char one[2048], next[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX];
        list_ids(f->d, &q, one, sizeof one, next);
        assert_string_equal(next, "");
        int n = 0;
        for (char *c = one; *c; c++)
            n += *c == ',';
        assert_int_equal(n + 1, want_n);
        for (int limit = 1; limit <= 50; limit += 7) {
            char all[4096] = "", ids[2048];
            q = (people_query){.q = qs[k], .limit = limit};
            for (int pages = 0;; pages++) {
                assert_true(pages <= want_n);
                list_ids(f->d, &q, ids, sizeof ids, next);
                size_t used = strlen(all);
                snprintf(all + used, sizeof all - used, "%s%s", *all && *ids ? "," : "", ids);
                if (!*next)
                    break;
                assert_int_equal(next[0], 'w');
                assert_int_equal(people_cursor_parse(next, &q, kb, sizeof kb), HAIL_OK);
            }
            if (strcmp(all, one) != 0) {
                print_error("q='%s' limit %d: pages [%s], one page [%s]\n", qs[k], limit, all, one);
                fail();
            }
        }
    }
    /* a cursor naming a word q does not have */
    people_query q = {.q = "mueller noah", .limit = 5};
    char kb[PEOPLE_CURSOR_MAX], ids[256], next[PEOPLE_CURSOR_MAX];
    assert_int_equal(people_cursor_parse("w2.1:mueller", &q, kb, sizeof kb), HAIL_OK);
    json_t *arr = json_array();
    assert_int_equal(people_list(f->d, &q, arr, next), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "cursor is not valid for this query");
    json_decref(arr);
    assert_int_equal(people_cursor_parse("w1.1:mueller", &q, kb, sizeof kb), HAIL_OK);
    list_ids(f->d, &q, ids, sizeof ids, next);
}

/* Two common words that rarely meet: a call examines a bounded number of
 * candidates, so a page can be short, even empty, with a cursor that resumes
 * where it stopped; walking the pages finds everyone exactly once. */
static void test_search_words_bounded(void **state)
{
    fixture *f = *state;
    enum { N = 5000 };
    people_writer *w = wopen(f->d, 0);
    char email[64];
    for (int i = 1; i <= N; i++) {
        snprintf(email, sizeof email, "p%d@example.com", i);
        person_in p = i % 2 ? mk(i, "Noah", "Aaron", email, NULL, "rep@corp.com")
                            : mk(i, "Zed", "Muller", email, NULL, "rep@corp.com");
        put(w, &p);
    }
    person_in p = mk(N + 1, "Noah", "Muller", "nm@example.com", NULL, "rep@corp.com");
    put(w, &p);
    p = mk(N + 2, "Noah", "Mullins", "nm2@example.com", NULL, "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);

    people_query q = {.q = "noah mul", .limit = 50};
    char ids[256], next[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX], all[1024] = "";
    int pages = 0, empty = 0;
    for (;; pages++) {
        assert_true(pages < 10);
        list_ids(f->d, &q, ids, sizeof ids, next);
        empty += !*ids;
        size_t used = strlen(all);
        snprintf(all + used, sizeof all - used, "%s%s", *all && *ids ? "," : "", ids);
        if (!*next)
            break;
        assert_int_equal(people_cursor_parse(next, &q, kb, sizeof kb), HAIL_OK);
    }
    char want[64];
    snprintf(want, sizeof want, "%d,%d", N + 1, N + 2);
    assert_string_equal(all, want);
    assert_true(pages >= 1); /* 2,500 "noah aaron" and 2,500 "muller": over the bound */
    assert_true(empty >= 1);
}

/* A test-side model of the multi-word rule: q's folded words cut into runs,
 * each run a prefix of one of the person's folded keys. */
static int t_runs_match(char keys[4][256], const char *const *w, int nw, int from)
{
    if (from == nw)
        return 1;
    for (int k = 0; k < 4; k++) {
        char phrase[512] = "";
        for (int e = from; e < nw; e++) {
            size_t pl = strlen(phrase);
            snprintf(phrase + pl, sizeof phrase - pl, "%s%s", pl ? " " : "", w[e]);
            if (strncmp(keys[k], phrase, strlen(phrase)) != 0)
                break;
            if (t_runs_match(keys, w, nw, e + 1))
                return 1;
        }
    }
    return 0;
}

static int t_words_match(const char *first, const char *last, const char *email,
                         const char *company, const char *q)
{
    char fq[512], raw[512], keys[4][256];
    fold_key(q, strlen(q), fq);
    const char *w[64];
    int nw = 0;
    for (char *t = fq; *t;) {
        w[nw++] = t;
        char *sp = strchr(t, ' ');
        if (!sp)
            break;
        *sp = '\0';
        t = sp + 1;
    }
    if (!nw)
        return 1;
    snprintf(raw, sizeof raw, "%s%s%s", first ? first : "", first && last ? " " : "",
             last ? last : "");
    fold_key(raw, strlen(raw), keys[0]);
    const char *one[3] = {last, email, company};
    for (int i = 0; i < 3; i++)
        fold_key(one[i] ? one[i] : "", one[i] ? strlen(one[i]) : 0, keys[i + 1]);
    for (int i = 0; i < 4; i++)
        if (!*keys[i])
            memcpy(keys[i], "\x01", 2); /* no key: matches no word */
    return t_runs_match(keys, w, nw, 0);
}

/* Many people from small pools of names that share words and prefixes, and
 * many queries: the pages of every query (limit 7) list exactly the active
 * people the model says match, each once, in the order of one page. */
static void test_search_words_model(void **state)
{
    fixture *f = *state;
    static const char *const firsts[] = {"Ann", "Anna", "Noah", "Mary Ann", "Jo", NULL};
    static const char *const lasts[] = {"Smith", "M\xc3\xbcller", "van der Berg", "Ann", "Noah"};
    static const char *const companies[] = {"Acme Corp", "Ann Co", "Noah Labs", NULL,
                                            "Smith & Sons"};
    enum { N = 240 };
    struct {
        const char *first, *last, *company;
        char email[48];
        int active;
    } pp[N + 1];
    people_writer *w = wopen(f->d, 0);
    for (int i = 1; i <= N; i++) {
        pp[i].first = firsts[i % 6];
        pp[i].last = lasts[(i / 6) % 5];
        pp[i].company = companies[(i / 30) % 5];
        snprintf(pp[i].email, sizeof pp[i].email, "%s%d@x.example", i % 2 ? "ann" : "noah", i);
        pp[i].active = i % 9 != 0;
        person_in p =
            mk(i, pp[i].first, pp[i].last, pp[i].email, pp[i].company, pp[i].active ? "r@x" : NULL);
        put(w, &p);
    }
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    static const char *const qs[] = {"ann",
                                     "ann smith",
                                     "smith ann",
                                     "ann ann",
                                     "noah ann",
                                     "ann noah",
                                     "mary ann",
                                     "ann mary",
                                     "van der berg",
                                     "berg van",
                                     "ann van",
                                     "van ann",
                                     "acme ann",
                                     "ann acme corp",
                                     "acme corp ann",
                                     "corp acme",
                                     "noah labs ann",
                                     "ann noah labs",
                                     "m a",
                                     "a m n",
                                     "jo smith",
                                     "smith jo",
                                     "smith & ann",
                                     "& smith",
                                     "muller noah",
                                     "noah muller",
                                     "ann co noah",
                                     "no an mu",
                                     "ann zzz",
                                     "zzz",
                                     "a",
                                     "an an an an",
                                     "noah1 ann",
                                     "ann1 smith",
                                     "jo ann co",
                                     "sons smith",
                                     "van der ann",
                                     "der berg",
                                     "M\xc3\x9cLLER ANNA",
                                     "ann  co   smith"};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        char want[2048] = "";
        int want_n = 0;
        for (int i = 1; i <= N; i++)
            if (pp[i].active &&
                t_words_match(pp[i].first, pp[i].last, pp[i].email, pp[i].company, qs[k])) {
                size_t l = strlen(want);
                snprintf(want + l, sizeof want - l, "%s%d", l ? "," : "", i);
                want_n++;
            }
        people_query q = {.q = qs[k], .limit = 7};
        char ids[256], next[PEOPLE_CURSOR_MAX], kb[PEOPLE_CURSOR_MAX], all[4096] = "";
        for (int pages = 0;; pages++) {
            assert_true(pages <= N);
            list_ids(f->d, &q, ids, sizeof ids, next);
            size_t used = strlen(all);
            snprintf(all + used, sizeof all - used, "%s%s", *all && *ids ? "," : "", ids);
            if (!*next)
                break;
            assert_int_equal(people_cursor_parse(next, &q, kb, sizeof kb), HAIL_OK);
        }
        /* the same people, each once (ids sorted to compare with the model) */
        int got[N + 1] = {0}, got_n = 0;
        for (char *t = all; *t;) {
            int id = (int)strtol(t, &t, 10);
            assert_true(id >= 1 && id <= N);
            if (got[id]) {
                print_error("q='%s': %d listed twice\n", qs[k], id);
                fail();
            }
            got[id] = 1;
            got_n++;
            if (*t == ',')
                t++;
        }
        char sorted[2048] = "";
        for (int i = 1; i <= N; i++)
            if (got[i]) {
                size_t l = strlen(sorted);
                snprintf(sorted + l, sizeof sorted - l, "%s%d", l ? "," : "", i);
            }
        if (strcmp(sorted, want) != 0) {
            print_error("q='%s': got [%s], model [%s]\n", qs[k], sorted, want);
            fail();
        }
        assert_int_equal(got_n, want_n);
        /* one page of 200 is the same list in the same order */
        if (want_n <= 200) {
            people_query one = {.q = qs[k], .limit = 200};
            char page[2048];
            list_ids(f->d, &one, page, sizeof page, next);
            assert_string_equal(page, all);
        }
    }
}

/* q is at most 256 characters, however many bytes they take. */
static void test_q_length(void **state)
{
    fixture *f = *state;
    load_words_set(f->d);
    char q[1200];
    memset(q, 'a', 257);
    q[257] = '\0';
    assert_true(people_filter_too_long(q));
    people_query pq = {.q = q, .limit = 10};
    json_t *arr = json_array();
    char next[PEOPLE_CURSOR_MAX];
    assert_int_equal(people_list(f->d, &pq, arr, next), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "q is longer than 256 characters");
    q[256] = '\0';
    assert_false(people_filter_too_long(q));
    assert_int_equal(people_list(f->d, &pq, arr, next), HAIL_OK);
    assert_int_equal(json_array_size(arr), 0);
    /* 256 two-byte characters (512 bytes) are fine; 257 are not */
    size_t n = 0;
    for (int i = 0; i < 256; i++) {
        q[n++] = '\xc3';
        q[n++] = '\xa9';
    }
    q[n] = '\0';
    assert_false(people_filter_too_long(q));
    assert_int_equal(people_list(f->d, &pq, arr, next), HAIL_OK);
    q[n++] = '\xc3';
    q[n++] = '\xa9';
    q[n] = '\0';
    assert_true(people_filter_too_long(q));
    /* 256 words of one letter */
    n = 0;
    for (int i = 0; i < 128; i++) {
        q[n++] = 'n';
        q[n++] = ' ';
    }
    q[n - 1] = '\0';
    assert_int_equal(people_list(f->d, &pq, arr, next), HAIL_OK);
    assert_int_equal(json_array_size(arr), 2); /* Noah Müller, Noah Smith */
    /* more than 1024 bytes is too long whatever they are */
    memset(q, '\x80', 1025);
    q[1025] = '\0';
    assert_true(people_filter_too_long(q));
    json_decref(arr);
}

/* ---- PostgreSQL: the same writer on the other engine ----
 *
 * Run when HAIL_TEST_PG_URL names a server (an admin URL, as for
 * unit/test_pg); skipped otherwise. Each test gets a new database
 * (hail_people_<pid>_<n>), dropped afterwards, and a SQLite fixture beside
 * it: the same records go into both, and the two must hold the same people,
 * search keys and account counts. */

typedef struct pg_fixture {
    db_fixture lite;
    db *d;
    char name[64];
} pg_fixture;

static int pg_setup(void **state)
{
    *state = NULL;
    if (!pg_fixture_admin())
        return 0; /* the test skips */
    pg_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    void *lite = NULL;
    assert_int_equal(db_fixture_setup(&lite, "people-pg"), 0);
    f->lite = *(db_fixture *)lite;
    free(lite);
    char target[512];
    assert_int_equal(
        pg_fixture_create("hail_people", f->name, sizeof f->name, target, sizeof target), 0);
    if (db_open(target, DB_MIGRATE, &f->d) != HAIL_OK)
        fail_msg("%s: %s", f->name, hail_errmsg());
    *state = f;
    return 0;
}

static int pg_teardown(void **state)
{
    pg_fixture *f = *state;
    if (!f)
        return 0;
    db_close(f->d);
    pg_fixture_drop(f->name);
    void *lite = malloc(sizeof(db_fixture));
    memcpy(lite, &f->lite, sizeof f->lite);
    db_fixture_teardown(&lite);
    free(f);
    return 0;
}

/* Everything the two engines must agree on, as comparable text. */
static void expect_same_store(db *lite, db *pg)
{
    static const char *const q[] = {
        "SELECT marketo_id, first_name, last_name, email, phone, title, company, source,"
        " linkedin_url, sfdc_lead_id, sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id,"
        " owner_email, time_zone, active, deleted FROM people ORDER BY marketo_id",
        "SELECT s.key, p.marketo_id FROM people_search s JOIN people p ON p.id = s.person_id"
        " ORDER BY 1, 2",
        "SELECT account_id, company, people FROM account_companies ORDER BY 1, 2",
        "SELECT key FROM kv WHERE key IN ('" PEOPLE_BULK_KEY "', '" PEOPLE_BULK_TX_KEY
        "', 'accounts.rebuild') ORDER BY 1",
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        char *a = sql_text(lite, q[i]), *b = sql_text(pg, q[i]);
        int same = strcmp(a, b) == 0;
        if (!same)
            print_error("%s\n--- SQLite (%zu bytes)\n%.2000s--- PostgreSQL (%zu bytes)\n%.2000s",
                        q[i], strlen(a), a, strlen(b), b);
        free(a);
        free(b);
        assert_true(same);
    }
    /* and the counts are what the people say */
    assert_int_equal(sql_int(pg, "SELECT count(*) FROM (SELECT sfdc_account_id,"
                                 " coalesce(company, ''), count(*) FROM people WHERE active = 1"
                                 " AND sfdc_account_id IS NOT NULL GROUP BY 1, 2"
                                 " EXCEPT SELECT account_id, company, people"
                                 " FROM account_companies) x"),
                     0);
}

/* Person i of a generated load: every 10th has no owner, accounts and
 * companies repeat, a few names are long or need COPY escapes. */
static person_in gen_person(int i, char *bufs, size_t cap)
{
    char *first = bufs, *email = bufs + cap, *acc = bufs + 2 * cap, *co = bufs + 3 * cap;
    if (i % 97 == 0)
        snprintf(first, cap, "Tab\tBack\\slash %d", i);
    else if (i % 89 == 0)
        snprintf(first, cap, "Très-long-prénom-%d-%s", i,
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    else
        snprintf(first, cap, "Name%d", i);
    snprintf(email, cap, "p%d@example.com", i);
    snprintf(acc, cap, "001ACC%04d", i % 1500);
    snprintf(co, cap, "Company %d", i % 3);
    person_in p = mk(i, first, i % 5 ? "Bulk" : "Élan", email, i % 4 ? co : NULL,
                     i % 10 ? "rep@corp.com" : NULL);
    if (i % 7)
        set(&p, PF_SFDC_ACCOUNT_ID, acc);
    if (i % 3 == 0)
        set(&p, PF_TIME_ZONE, i % 2 ? "America/New_York" : "Europe/Berlin");
    return p;
}

/* The same writes on both engines. */
typedef void (*writes_fn)(db *d, people_stats *st);

static void both(pg_fixture *f, writes_fn fn)
{
    if (!f)
        skip(); /* no HAIL_TEST_PG_URL */
    people_stats a, b;
    fn(f->lite.d, &a);
    fn(f->d, &b);
    assert_int_equal(a.seen, b.seen);
    assert_int_equal(a.inserted, b.inserted);
    assert_int_equal(a.updated, b.updated);
    assert_int_equal(a.unchanged, b.unchanged);
    assert_int_equal(a.deactivated, b.deactivated);
    expect_same_store(f->lite.d, f->d);
}

enum { BULK_N = 5000 };

static void bulk_load(db *d, people_stats *st)
{
    people_writer *w = wopen(d, PW_BULK);
    char bufs[4 * 160];
    for (int i = 1; i <= BULK_N; i++) {
        person_in p = gen_person(i, bufs, 160);
        put(w, &p);
        if (i == 4300) {
            /* seen before, in an earlier batch: changed, then the same again */
            person_in again = gen_person(17, bufs, 160);
            set(&again, PF_TITLE, "Changed");
            put(w, &again);
            put(w, &again);
        }
        if (i == 4450) {
            /* twice in one batch, the second taking the owner away */
            person_in twice = gen_person(4449, bufs, 160);
            set(&twice, PF_OWNER_EMAIL, NULL);
            put(w, &twice);
        }
        /* (a batch is sent at 4,096 records or a commit) */
        if (i % 4500 == 0)
            assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    }
    *st = *people_writer_stats(w);
    assert_int_equal(st->seen, BULK_N + 3);
    assert_int_equal(st->inserted, BULK_N);
    assert_int_equal(st->updated, 2);
    assert_int_equal(st->unchanged, 1);
    assert_int_equal(st->deactivated, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
}

/* SQLite: the account counts after a bulk load are the people's, written a
 * range of accounts at a time, and the mark is gone. */
static void test_bulk_counts_accounts(void **state)
{
    fixture *f = *state;
    people_stats st;
    bulk_load(f->d, &st);
    assert_true(sql_int(f->d, "SELECT count(*) FROM account_companies") > 100);
    assert_int_equal(sql_int(f->d, "SELECT count(*) FROM (SELECT sfdc_account_id,"
                                   " coalesce(company, ''), count(*) FROM people WHERE active = 1"
                                   " AND sfdc_account_id IS NOT NULL GROUP BY 1, 2"
                                   " EXCEPT SELECT account_id, company, people"
                                   " FROM account_companies)"),
                     0);
    assert_int_equal(sql_int(f->d, "SELECT count(*) FROM (SELECT account_id, company, people"
                                   " FROM account_companies EXCEPT SELECT sfdc_account_id,"
                                   " coalesce(company, ''), count(*) FROM people WHERE active = 1"
                                   " AND sfdc_account_id IS NOT NULL GROUP BY 1, 2)"),
                     0);
    assert_int_equal(sql_int(f->d, "SELECT count(*) FROM kv WHERE key = 'accounts.rebuild'"), 0);
    assert_int_equal(sql_int(f->d, "SELECT count(*) FROM sqlite_temp_master"), 0);
}

static void test_pg_bulk_load(void **state)
{
    pg_fixture *f = *state;
    both(f, bulk_load);
    counts(f->d, BULK_N, BULK_N - BULK_N / 10 - 1);
    assert_int_equal(sql_int(f->d, "SELECT count(*) FROM people_search"),
                     sql_int(f->lite.d, "SELECT count(*) FROM people_search"));
    /* the keys are what a rebuild makes, on PostgreSQL in C */
    char *before = search_dump(f->d);
    assert_int_equal(db_begin(f->d), HAIL_OK);
    assert_int_equal(people_rebuild_search(f->d), HAIL_OK);
    assert_int_equal(db_commit(f->d), HAIL_OK);
    char *after = search_dump(f->d);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* the bulk setting ended with the writer's transactions */
    char *bulk = sql_text(f->d, "SELECT coalesce(current_setting('hail.bulk', true), '')");
    assert_string_equal(bulk, "\n");
    free(bulk);
}

static void bulk_then_rows(db *d, people_stats *st)
{
    people_stats first;
    bulk_load(d, &first);
    /* not empty now: row by row, the triggers counting */
    people_writer *w = wopen(d, PW_BULK);
    char bufs[4 * 160];
    person_in p = gen_person(21, bufs, 160);
    put(w, &p); /* unchanged */
    set(&p, PF_COMPANY, "Moved Co");
    put(w, &p); /* updated, another company */
    person_in q = gen_person(22, bufs, 160);
    set(&q, PF_OWNER_EMAIL, NULL);
    put(w, &q); /* deactivated */
    person_in n = mk(BULK_N + 1, "New", "Person", "new@example.com", "New Co", "rep@corp.com");
    set(&n, PF_SFDC_ACCOUNT_ID, "001ACC0001");
    put(w, &n); /* inserted */
    assert_int_equal(people_writer_deactivate(w, 23, 1), HAIL_OK);
    *st = *people_writer_stats(w);
    assert_int_equal(st->deactivated, 2);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
}

static void test_pg_rows_after_bulk(void **state)
{
    both(*state, bulk_then_rows);
}

/* The same file again, changed here and there, with new people: a bulk
 * load into a table that is not empty (PostgreSQL: staged and merged). */
static void bulk_reload(db *d, people_stats *st)
{
    people_stats first;
    bulk_load(d, &first);
    people_writer *w = wopen(d, PW_BULK);
    char bufs[4 * 160];
    for (int i = 1; i <= BULK_N + 300; i++) {
        person_in p = gen_person(i, bufs, 160);
        if (i % 13 == 0)
            set(&p, PF_TITLE, "Promoted");
        if (i % 17 == 0)
            set(&p, PF_OWNER_EMAIL, NULL);
        if (i % 19 == 0)
            set(&p, PF_OWNER_EMAIL, "other@corp.com"); /* some inactive ones come back */
        if (i % 23 == 0)
            set(&p, PF_LAST_NAME, "Renamed");
        if (i % 29 == 0)
            set(&p, PF_TIME_ZONE, i % 2 ? "Australia/Sydney" : NULL); /* only the zone changes */
        put(w, &p);
        if (i % 4500 == 0)
            assert_int_equal(people_writer_checkpoint(w), HAIL_OK);
    }
    assert_int_equal(people_writer_deactivate(w, 29, 1), HAIL_OK);
    *st = *people_writer_stats(w);
    assert_int_equal(people_writer_flush(w), HAIL_OK);
    *st = *people_writer_stats(w);
    assert_int_equal(st->inserted, 300);
    assert_true(st->updated > 500 && st->unchanged > 2500 && st->deactivated > 200);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
}

static void test_pg_bulk_reload(void **state)
{
    both(*state, bulk_reload);
}

static void rolled_back(db *d, people_stats *st)
{
    people_writer *w = wopen(d, PW_BULK);
    char bufs[4 * 160];
    for (int i = 1; i <= 100; i++) {
        person_in p = gen_person(i, bufs, 160);
        put(w, &p);
    }
    *st = *people_writer_stats(w);
    assert_int_equal(people_writer_close(w, 0), HAIL_OK);
    counts(d, 0, 0);
}

static void test_pg_bulk_rolled_back(void **state)
{
    both(*state, rolled_back);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_insert_unchanged_update),
        T(test_empty_string_is_null),
        T(test_clearing_owner_deactivates),
        T(test_deactivate),
        T(test_duplicate_emails_are_two_people),
        T(test_bulk_same_id_twice_second_wins),
        T(test_bulk_skips_and_rebuilds_search_keys),
        T(test_rollback),
        T(test_validate),
        cmocka_unit_test(test_field_names),
        T(test_search),
        T(test_search_order),
        T(test_search_no_duplicates),
        T(test_search_keys_follow_writes),
        T(test_search_long_values),
        T(test_search_long_shared_prefix),
        T(test_search_skips_inactive_with_stale_keys),
        T(test_filters),
        cmocka_unit_test(test_cursor_parse),
        T(test_cursor_mismatch),
        T(test_paging),
        T(test_bulk_interrupted_is_healed),
        T(test_bulk_mark_heals_on_migrating_open),
        T(test_bulk_mark),
        T(test_bulk_keys_equal_row_by_row),
        T(test_get_json_shape),
        T(test_text_round_trip),
        T(test_text_output),
        T(test_owner_filter_uses_index),
        T(test_search_words),
        T(test_search_words_paging),
        T(test_search_words_bounded),
        T(test_search_words_model),
        T(test_q_length),
        T(test_bulk_counts_accounts),
        cmocka_unit_test_setup_teardown(test_pg_bulk_load, pg_setup, pg_teardown),
        cmocka_unit_test_setup_teardown(test_pg_rows_after_bulk, pg_setup, pg_teardown),
        cmocka_unit_test_setup_teardown(test_pg_bulk_rolled_back, pg_setup, pg_teardown),
        cmocka_unit_test_setup_teardown(test_pg_bulk_reload, pg_setup, pg_teardown),
    };
#undef T
    /* fsync on every commit is not what these tests are about */
    db_set_sync("normal");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
