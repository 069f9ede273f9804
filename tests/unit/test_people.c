/* Unit tests for store/people: the writer, validation, list/search and get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "core/err.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "store/people.h"

/* ---- fixture: a fresh migrated database in a temp directory ---- */

typedef struct {
    char dir[64];
    char path[128];
    db *d;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/hail-test-people-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/hail.db", f->dir);
    if (db_open(f->path, DB_MIGRATE, &f->d) != HAIL_OK) {
        rmdir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    db_close(f->d);
    DIR *dh = opendir(f->dir);
    if (dh) {
        struct dirent *de;
        while ((de = readdir(dh))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
            unlink(p);
        }
        closedir(dh);
    }
    rmdir(f->dir);
    free(f);
    return 0;
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
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db_sqlite(d), "SELECT id FROM people WHERE marketo_id = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, marketo_id);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
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

/* Marketo ids of the people one list call returns, as "1,2,3". */
static void list_ids(db *d, const people_query *q, char *out, size_t outsz, int64_t *next)
{
    json_t *arr = json_array();
    int64_t nx = -1;
    hail_err e = people_list(d, q, arr, &nx);
    if (e) {
        print_error("people_list: %s\n", hail_errmsg());
        fail();
    }
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
        *next = nx;
    json_decref(arr);
}

static void expect_q(db *d, const char *q, const char *want)
{
    people_query pq = {.q = q, .limit = 200};
    char got[4096];
    list_ids(d, &pq, got, sizeof got, NULL);
    if (strcmp(got, want) != 0) {
        print_error("q='%s': got [%s], want [%s]\n", q, got, want);
        fail();
    }
}

static int index_count(db *d)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db_sqlite(d),
                                        "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                        " AND name IN ('people_k_name', 'people_k_last',"
                                        " 'people_k_email', 'people_k_company', 'people_account',"
                                        " 'people_opportunity', 'people_owner')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
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
    json_decref(o);
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
    expect_q(f->d, "shared@example.com", "21,22");
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

    /* same id twice in one bulk load where the second clears the owner */
    db_exec(f->d, "DELETE FROM people");
    w = wopen(f->d, PW_BULK);
    person_in c = mk(41, "C", "C", NULL, NULL, "rep@corp.com");
    put(w, &c);
    set(&c, PF_OWNER_EMAIL, NULL);
    put(w, &c);
    assert_int_equal(people_writer_stats(w)->deactivated, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, 1, 0);
}

static void test_bulk_drops_and_rebuilds_indexes(void **state)
{
    fixture *f = *state;
    assert_int_equal(index_count(f->d), 7);
    people_writer *w = wopen(f->d, PW_BULK);
    /* empty table: the secondary indexes are gone during the load */
    assert_int_equal(index_count(f->d), 0);
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
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    /* rebuilt after close */
    assert_int_equal(index_count(f->d), 7);
    counts(f->d, 300, 300);
    expect_q(f->d, "name150", "150");
    expect_q(f->d, "p299@", "299");

    /* the indexes are in the file, not just this connection */
    db_close(f->d);
    assert_int_equal(db_open(f->path, 0, &f->d), HAIL_OK);
    assert_int_equal(index_count(f->d), 7);

    /* not empty: PW_BULK leaves the indexes alone */
    w = wopen(f->d, PW_BULK);
    assert_int_equal(index_count(f->d), 7);
    person_in p = mk(301, "Late", "Comer", NULL, NULL, "rep@corp.com");
    put(w, &p);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    assert_int_equal(index_count(f->d), 7);

    /* without PW_BULK on an empty table they stay too */
    db_exec(f->d, "DELETE FROM people");
    w = wopen(f->d, 0);
    assert_int_equal(index_count(f->d), 7);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);

    /* a rolled-back bulk load keeps them */
    w = wopen(f->d, PW_BULK);
    assert_int_equal(index_count(f->d), 0);
    put(w, &p);
    assert_int_equal(people_writer_close(w, 0), HAIL_OK);
    assert_int_equal(index_count(f->d), 7);
    counts(f->d, 0, 0);
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
    assert_int_equal(index_count(f->d), 7);

    /* the writer's transaction is not visible to another connection until commit */
    w = wopen(f->d, 0);
    put(w, &b);
    db *other;
    assert_int_equal(db_open(f->path, 0, &other), HAIL_OK);
    counts(other, 1, 1);
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(other, 2, 2);
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
        assert_non_null(strstr(hail_errmsg(), "lastName"));
    }
    /* an embedded NUL */
    person_in q = p;
    q.f[PF_COMPANY] = "a\0b";
    q.len[PF_COMPANY] = 3;
    assert_int_equal(person_in_validate(&q), HAIL_EINVAL);
    assert_non_null(strstr(hail_errmsg(), "company"));

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
    assert_non_null(strstr(hail_errmsg(), "title"));

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
    /* first name, case- and accent-insensitive */
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
    /* company */
    expect_q(f->d, "acme", "1,4");
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
    /* prefix, not substring; no match */
    expect_q(f->d, "arcia", "");
    expect_q(f->d, "smithx", "");
    expect_q(f->d, "inactive", "");
    expect_q(f->d, "jose.inactive", "");
    expect_q(f->d, "zzz", "");
    /* a query with nothing to search for lists everyone active */
    expect_q(f->d, "", "1,2,3,4,6,7");
    expect_q(f->d, "   ", "1,2,3,4,6,7");
}

static void test_filters(void **state)
{
    fixture *f = *state;
    load_search_set(f->d);
    char ids[256];
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

    /* limit */
    people_query l = {.limit = 3};
    int64_t next = -1;
    list_ids(f->d, &l, ids, sizeof ids, &next);
    assert_string_equal(ids, "1,2,3");
    assert_int_equal(next, hail_id(f->d, 3));
    l.after_id = next;
    list_ids(f->d, &l, ids, sizeof ids, &next);
    assert_string_equal(ids, "4,6,7");
    assert_int_equal(next, 0); /* exactly the rest: no further page */
    l.limit = 1;
    l.after_id = 0;
    list_ids(f->d, &l, ids, sizeof ids, &next);
    assert_string_equal(ids, "1");
    assert_int_equal(next, hail_id(f->d, 1));

    /* too long a query is refused */
    char longq[300];
    memset(longq, 'a', sizeof longq - 1);
    longq[sizeof longq - 1] = '\0';
    people_query lq = {.q = longq, .limit = 10};
    json_t *arr = json_array();
    int64_t nx;
    assert_int_equal(people_list(f->d, &lq, arr, &nx), HAIL_EINVAL);
    json_decref(arr);
}

static void test_paging(void **state)
{
    fixture *f = *state;
    enum { N = 457 };
    people_writer *w = wopen(f->d, PW_BULK);
    int active_n = 0;
    for (int i = 1; i <= N; i++) {
        char first[32];
        snprintf(first, sizeof first, "P%d", i);
        /* every 7th has no owner */
        person_in p =
            mk(10000 + i, first, "Page", NULL, "Paging Co", i % 7 ? "rep@corp.com" : NULL);
        put(w, &p);
        active_n += i % 7 != 0;
    }
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    /* deactivate some more afterwards */
    w = wopen(f->d, 0);
    for (int i = 5; i <= N; i += 50) {
        if (i % 7) {
            assert_int_equal(people_writer_deactivate(w, 10000 + i, 1), HAIL_OK);
            active_n--;
        }
    }
    assert_int_equal(people_writer_close(w, 1), HAIL_OK);
    counts(f->d, N, active_n);

    static const int limits[] = {1, 7, 10, 50, 200};
    static const char *const queries[] = {NULL, "paging", "p"};
    for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++) {
        for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++) {
            static unsigned char seen[N + 1];
            memset(seen, 0, sizeof seen);
            people_query q = {.q = queries[qi], .limit = limits[li]};
            int got = 0, pages = 0;
            int64_t last_id = 0;
            for (;;) {
                json_t *arr = json_array();
                int64_t next = -1;
                assert_int_equal(people_list(f->d, &q, arr, &next), HAIL_OK);
                assert_true(json_array_size(arr) <= (size_t)limits[li]);
                size_t i;
                json_t *o;
                json_array_foreach(arr, i, o)
                {
                    int64_t id = json_integer_value(json_object_get(o, "id"));
                    int64_t mid = json_integer_value(json_object_get(o, "marketo_id"));
                    assert_true(id > last_id); /* in id order */
                    last_id = id;
                    assert_true(jactive(o));
                    int k = (int)(mid - 10000);
                    assert_true(k >= 1 && k <= N);
                    assert_int_equal(seen[k], 0); /* exactly once */
                    seen[k] = 1;
                    got++;
                }
                pages++;
                if (next) {
                    assert_int_equal(json_array_size(arr), (size_t)limits[li]);
                    assert_int_equal(next, last_id);
                }
                json_decref(arr);
                if (!next)
                    break;
                q.after_id = next;
                assert_true(pages < 10000);
            }
            assert_int_equal(got, active_n);
            assert_int_equal(pages, (active_n + limits[li] - 1) / limits[li]);
        }
    }
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
                                        "sfdc_opportunity_id"};
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
    int64_t next;
    assert_int_equal(people_list(f->d, &q, arr, &next), HAIL_OK);
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
        T(test_bulk_drops_and_rebuilds_indexes),
        T(test_rollback),
        T(test_validate),
        cmocka_unit_test(test_field_names),
        T(test_search),
        T(test_filters),
        T(test_paging),
        T(test_get_json_shape),
        T(test_text_round_trip),
    };
#undef T
    /* fsync on every commit is not what these tests are about */
    setenv("HAIL_DB_SYNC", "normal", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
