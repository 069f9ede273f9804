#include "core/common.h"

/* Unit tests for the PostgreSQL engine (store/db_pg.c behind store/db.c):
 * connection errors, the schema (migrating, refusing a newer or another
 * application's database), values both ways, errors as hail codes, locks,
 * COPY and a lost connection. They need a PostgreSQL server:
 * HAIL_TEST_PG_URL is an admin URL (postgresql://postgres@127.0.0.1:PORT/
 * postgres); each run creates its databases (hail_unit_<pid>_<n>) and drops
 * them at the end. Without it the test is skipped (exit 77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/db.h"
#include "store/accounts.h"
#include "store/db_pg.h"
#include "store/people.h"
#include "store/schema.h"
#include "store/users.h"

static const char *admin_url;
static pg_conn *admin;
static char (*made)[64]; /* databases to drop at the end */
static int nmade;

/* The admin target with its database replaced by name (URL or key=value). */
static void target_for(char *out, size_t size, const char *name)
{
    const char *a = admin_url;
    const char *scheme = strstr(a, "://");
    if (!scheme) {
        snprintf(out, size, "%s dbname=%s", a, name);
        return;
    }
    const char *path = strchr(scheme + 3, '/');
    const char *query = strchr(scheme + 3, '?');
    if (path && query && query < path)
        path = NULL;
    size_t head = path ? (size_t)(path - a) : query ? (size_t)(query - a) : strlen(a);
    snprintf(out, size, "%.*s/%s%s", (int)head, a, name, query ? query : "");
}

/* The admin URL with user:password instead of its user (URL form only:
 * NULL when the admin target is key=value). */
static int target_as(char *out, size_t size, const char *role, const char *pw, const char *name)
{
    char base[512];
    target_for(base, sizeof base, name);
    const char *scheme = strstr(base, "://");
    if (!scheme)
        return 0;
    const char *host = scheme + 3, *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        host = at + 1;
    snprintf(out, size, "%.*s%s:%s@%s", (int)(scheme + 3 - base), base, role, pw, host);
    return 1;
}

static void admin_exec(const char *sql)
{
    hail_err e = pg_exec(admin, sql);
    if (e)
        fail_msg("%s: %s", sql, hail_errmsg());
}

/* A new empty database; its target into out. */
static void fresh_db(char *out, size_t size)
{
    char(*more)[64] = realloc(made, (size_t)(nmade + 1) * sizeof *made);
    assert_non_null(more);
    made = more;
    snprintf(made[nmade], sizeof made[0], "hail_unit_%d_%d", (int)getpid(), nmade);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", made[nmade]);
    admin_exec(sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", made[nmade]);
    admin_exec(sql);
    target_for(out, size, made[nmade]);
    nmade++;
}

static void expect_open_error(const char *target, unsigned flags, hail_err code,
                              const char *message)
{
    db *d = NULL;
    hail_errclear();
    hail_err e = db_open(target, flags, &d);
    assert_null(d);
    assert_int_equal(e, code);
    assert_string_equal(hail_errmsg(), message);
}

/* ---- connecting ---- */

static void test_connect_refused(void **state)
{
    (void)state;
    expect_open_error("postgresql://hail:sekrit@127.0.0.1:1/hail", DB_MIGRATE, HAIL_EIO,
                      "cannot connect to the database postgresql://hail:***@127.0.0.1:1/hail: "
                      "connection refused");
    expect_open_error("host=127.0.0.1 port=1 user=hail password=sekrit dbname=hail", 0, HAIL_EIO,
                      "cannot connect to the database host=127.0.0.1 port=1 user=hail "
                      "password=*** dbname=hail: connection refused");
}

static void test_connect_missing_database(void **state)
{
    (void)state;
    char t[512], name[512], want[1024];
    target_for(t, sizeof t, "hail_no_such_database");
    db_target_redact(t, name, sizeof name);
    snprintf(want, sizeof want,
             "cannot connect to the database %s: database \"hail_no_such_database\" does not exist",
             name);
    expect_open_error(t, DB_MIGRATE, HAIL_EIO, want);
}

static void test_connect_wrong_password(void **state)
{
    (void)state;
    char role[64], sql[256], t[512], name[512], want[1024];
    /* One fixed name, so that a test cluster can ask it for its password
     * (pg_hba.conf: host all hail_pw_test 127.0.0.1/32 scram-sha-256). */
    snprintf(role, sizeof role, "hail_pw_test");
    snprintf(sql, sizeof sql,
             "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN PASSWORD 'right-password'", role, role);
    admin_exec(sql);
    if (!target_as(t, sizeof t, role, "wrong-sekrit", "postgres")) {
        printf("# skipped the wrong password: HAIL_TEST_PG_URL is not a URL\n");
        return;
    }
    db *d = NULL;
    hail_err e = db_open(t, 0, &d);
    const char *msg = hail_errmsg();
    if (d || (e && !strstr(msg, "password authentication failed"))) {
        /* A server that trusts loopback takes any password. */
        printf("# skipped the wrong password: the server does not ask %s for one\n", role);
        db_close(d);
    } else {
        db_target_redact(t, name, sizeof name);
        snprintf(want, sizeof want,
                 "cannot connect to the database %s: password authentication failed for user "
                 "\"%s\"",
                 name, role);
        assert_int_equal(e, HAIL_EIO);
        assert_string_equal(msg, want);
        assert_null(strstr(msg, "wrong-sekrit"));
    }
    snprintf(sql, sizeof sql, "DROP ROLE %s", role);
    admin_exec(sql);
}

/* ---- the schema ---- */

static int64_t one_int(db *d, const char *sql)
{
    db_st *st = db_stmt(d, sql);
    assert_non_null(st);
    assert_int_equal(db_step(st), DB_ROW);
    int64_t v = db_col_i64(st, 0);
    db_reset(st);
    return v;
}

static void test_migrate_twice(void **state)
{
    (void)state;
    char t[512];
    fresh_db(t, sizeof t);
    db *d = NULL;
    /* Without DB_MIGRATE an empty database is refused. */
    char name[512], want[1024];
    db_target_redact(t, name, sizeof name);
    snprintf(want, sizeof want, "%s has schema version 0; this hail needs %d", name,
             schema_latest());
    expect_open_error(t, 0, HAIL_ESCHEMA, want);
    assert_int_equal(db_open(t, DB_MIGRATE, &d), HAIL_OK);
    assert_int_equal(db_schema_version(d), schema_latest());
    assert_int_equal(db_engine_of(d), DB_POSTGRES);
    db_close(d);
    assert_int_equal(db_open(t, DB_MIGRATE, &d), HAIL_OK);
    assert_int_equal(db_schema_version(d), schema_latest());
    assert_int_equal(one_int(d, "SELECT count(*) FROM hail_schema"), 1);
    assert_int_equal(one_int(d, "SELECT max(version) FROM hail_schema"), schema_latest());
    db_close(d);
    assert_int_equal(db_open(t, 0, &d), HAIL_OK);
    db_close(d);
}

struct opener {
    const char *target;
    hail_err e;
};

static void *open_one(void *arg)
{
    struct opener *o = arg;
    db *d = NULL;
    o->e = db_open(o->target, DB_MIGRATE, &d);
    db_close(d);
    return NULL;
}

static void test_migrate_at_once(void **state)
{
    (void)state;
    char t[512];
    fresh_db(t, sizeof t);
    struct opener o[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        o[i] = (struct opener){t, HAIL_EDB};
        assert_int_equal(pthread_create(&th[i], NULL, open_one, &o[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(o[i].e, HAIL_OK);
    }
    db *d = NULL;
    assert_int_equal(db_open(t, 0, &d), HAIL_OK);
    assert_int_equal(one_int(d, "SELECT count(*) FROM hail_schema"), 1);
    db_close(d);
}

static void test_newer_refused(void **state)
{
    (void)state;
    char t[512], name[512], want[1024], sql[128];
    fresh_db(t, sizeof t);
    db *d = NULL;
    assert_int_equal(db_open(t, DB_MIGRATE, &d), HAIL_OK);
    snprintf(sql, sizeof sql, "UPDATE hail_schema SET version = %d", schema_latest() + 1);
    assert_int_equal(db_exec(d, sql), HAIL_OK);
    db_close(d);
    db_target_redact(t, name, sizeof name);
    snprintf(want, sizeof want,
             "%s has schema version %d, newer than this hail understands (%d); run a newer hail",
             name, schema_latest() + 1, schema_latest());
    expect_open_error(t, DB_MIGRATE, HAIL_ESCHEMA, want);
    expect_open_error(t, 0, HAIL_ESCHEMA, want);
}

static void test_other_application_refused(void **state)
{
    (void)state;
    char t[512], name[512], want[1024];
    fresh_db(t, sizeof t);
    pg_conn *c = NULL;
    assert_int_equal(pg_connect(t, &c), HAIL_OK);
    assert_int_equal(pg_exec(c, "CREATE TABLE invoices (id BIGINT PRIMARY KEY)"), HAIL_OK);
    pg_disconnect(c);
    db_target_redact(t, name, sizeof name);
    snprintf(want, sizeof want,
             "%s holds tables of another application (no hail_schema table); use an empty "
             "database",
             name);
    expect_open_error(t, DB_MIGRATE, HAIL_ESCHEMA, want);
    expect_open_error(t, 0, HAIL_ESCHEMA, want);
}

/* ---- statements ---- */

static int setup_db(void **state)
{
    char t[512];
    fresh_db(t, sizeof t);
    db *d = NULL;
    if (db_open(t, DB_MIGRATE, &d))
        return -1;
    if (db_exec(d, "CREATE TABLE rt (i BIGINT, s TEXT, b BYTEA, f BOOLEAN, x DOUBLE PRECISION)")) {
        db_close(d);
        return -1;
    }
    state[0] = d;
    return 0;
}

static int teardown_db(void **state)
{
    db_close(state[0]);
    return 0;
}

static const char sql_rt_insert[] = "INSERT INTO rt (i, s, b, f, x) VALUES ($1, $2, $3, $4, $5)";
static const char sql_rt_read[] = "SELECT i, s, b, f, x, i IS NULL FROM rt ORDER BY i NULLS LAST";

static void test_values_round_trip(void **state)
{
    db *d = state[0];
    assert_int_equal(db_exec(d, "DELETE FROM rt"), HAIL_OK);
    static const unsigned char blob[] = {0, 'a', 0, 0xff, 0x80, '\\', 'x'};
    const char *text = "Zoë Müller — 東京 \xF0\x9F\x98\x80 tab\there";
    db_st *st = db_stmt(d, sql_rt_insert);
    assert_non_null(st);
    db_bind_i64(st, 1, INT64_MIN);
    db_bind_text(st, 2, text, -1);
    db_bind_blob(st, 3, blob, sizeof blob);
    db_bind_i64(st, 4, 1);
    db_bind_double(st, 5, 0.1);
    assert_int_equal(db_step_done(d, st, "rt: insert"), HAIL_OK);
    assert_int_equal(db_changes(d), 1);
    /* Unbound parameters are NULL; a text of len bytes stops there. */
    st = db_stmt(d, sql_rt_insert);
    db_bind_i64(st, 1, INT64_MAX);
    db_bind_text(st, 2, "abcdef", 3);
    db_bind_i64(st, 4, 0);
    assert_int_equal(db_step_done(d, st, "rt: insert"), HAIL_OK);
    st = db_stmt(d, sql_rt_insert);
    assert_int_equal(db_step_done(d, st, "rt: insert"), HAIL_OK);

    st = db_stmt(d, sql_rt_read);
    assert_int_equal(db_step(st), DB_ROW);
    assert_int_equal(db_col_count(st), 6);
    assert_true(db_col_i64(st, 0) == INT64_MIN);
    assert_string_equal(db_col_text(st, 1), text);
    assert_int_equal(db_col_bytes(st, 1), strlen(text));
    assert_int_equal(db_col_bytes(st, 2), sizeof blob);
    assert_memory_equal(db_col_blob(st, 2), blob, sizeof blob);
    assert_int_equal(db_col_int(st, 3), 1);
    assert_true(db_col_double(st, 4) == 0.1);
    assert_int_equal(db_col_int(st, 5), 0);
    assert_int_equal(db_step(st), DB_ROW);
    assert_true(db_col_i64(st, 0) == INT64_MAX);
    assert_string_equal(db_col_text(st, 1), "abc");
    assert_true(db_col_null(st, 2));
    assert_null(db_col_blob(st, 2));
    assert_int_equal(db_col_bytes(st, 2), 0);
    assert_int_equal(db_col_int(st, 3), 0);
    assert_false(db_col_null(st, 3));
    assert_int_equal(db_step(st), DB_ROW);
    assert_true(db_col_null(st, 0));
    assert_int_equal(db_col_i64(st, 0), 0);
    assert_null(db_col_text(st, 1));
    assert_int_equal(db_col_int(st, 5), 1);
    assert_int_equal(db_step(st), DB_DONE);
    db_reset(st);
}

static void test_unique_violation(void **state)
{
    db *d = state[0];
    int64_t id = 0;
    assert_int_equal(users_create(d, "ada@example.com", "Ada", "admin", NULL, &id), HAIL_OK);
    assert_true(id > 0);
    /* Emails are unique without regard to ASCII case (SQLite's NOCASE). */
    assert_int_equal(users_create(d, "ADA@Example.com", "Ada 2", "rep", NULL, NULL), HAIL_EEXIST);
    assert_string_equal(hail_errmsg(), "a user with email ADA@Example.com already exists");
    assert_int_equal(db_last_error(d), DB_ERR_UNIQUE);
    user u;
    assert_int_equal(users_get_by_email(d, "Ada@EXAMPLE.com", &u, NULL), HAIL_OK);
    assert_true(u.id == id);
    /* A failed statement inside a transaction: the commit says so. */
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(users_create(d, "ada@example.com", "Ada", "admin", NULL, NULL), HAIL_EEXIST);
    assert_int_equal(db_commit(d), HAIL_EDB);
    assert_string_equal(hail_errmsg(), "commit: the transaction was aborted by an earlier error");
    assert_false(db_in_tx(d));
}

static void test_errors(void **state)
{
    db *d = state[0];
    db_st *st = db_stmt(d, "SELECT no_such_column FROM rt");
    assert_null(st);
    assert_string_equal(hail_errmsg(), "prepare: column \"no_such_column\" does not exist");
    st = db_stmt(d, "SELECT CAST($1 AS BIGINT)");
    assert_non_null(st);
    db_bind_text(st, 1, "many", -1);
    assert_int_equal(db_step(st), DB_ERROR);
    assert_int_equal(db_fail(d, "rt: cast"), HAIL_EDB);
    assert_string_equal(hail_errmsg(), "rt: cast: invalid input syntax for type bigint: \"many\"");
    assert_int_equal(db_last_error(d), DB_ERR_OTHER);
    db_reset(st);
}

static void test_lock(void **state)
{
    db *d = state[0];
    db *other = NULL;
    assert_int_equal(db_open(db_path(d), 0, &other), HAIL_OK);
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(db_lock(d, "test.lock"), HAIL_OK);
    /* Held: another connection that does not wait is told the database is busy. */
    assert_int_equal(db_begin_try(other), HAIL_OK);
    assert_int_equal(db_lock(other, "test.lock"), HAIL_EUNAVAIL);
    assert_string_equal(hail_errmsg(), "the database is busy; try again in a moment");
    assert_int_equal(db_last_error(other), DB_ERR_BUSY);
    db_rollback(other);
    /* Another name is another lock. */
    assert_int_equal(db_begin_try(other), HAIL_OK);
    assert_int_equal(db_lock(other, "test.lock2"), HAIL_OK);
    db_rollback(other);
    /* Released with the transaction. */
    assert_int_equal(db_commit(d), HAIL_OK);
    assert_int_equal(db_begin_try(other), HAIL_OK);
    assert_int_equal(db_lock(other, "test.lock"), HAIL_OK);
    assert_int_equal(db_commit(other), HAIL_OK);
    db_close(other);
}

static void test_copy(void **state)
{
    db *d = state[0];
    assert_int_equal(db_exec(d, "DELETE FROM rt"), HAIL_OK);
    buf b = BUF_INIT(1 << 20);
    static const char *const texts[] = {"plain",    "tab\there", "line\nbreak", "back\\slash",
                                        "cr\rhere", NULL,        "Zoë"};
    int n = (int)(sizeof texts / sizeof texts[0]);
    for (int i = 0; i < n; i++) {
        char num[16];
        snprintf(num, sizeof num, "%d", i);
        assert_int_equal(db_copy_field(&b, num, strlen(num), 1), HAIL_OK);
        assert_int_equal(db_copy_field(&b, texts[i], texts[i] ? strlen(texts[i]) : 0, 0), HAIL_OK);
        /* bytea in COPY text format: \x and hex digits */
        assert_int_equal(db_copy_field(&b, "\\x00ff", 6, 0), HAIL_OK);
        assert_int_equal(buf_putc(&b, '\n'), HAIL_OK);
    }
    assert_int_equal(db_copy_begin(d, "COPY rt (i, s, b) FROM STDIN"), HAIL_OK);
    /* Any split of the data. */
    size_t half = b.len / 2;
    assert_int_equal(db_copy_put(d, b.data, half), HAIL_OK);
    assert_int_equal(db_copy_put(d, b.data + half, b.len - half), HAIL_OK);
    assert_int_equal(db_copy_end(d), HAIL_OK);
    assert_int_equal(db_changes(d), n);
    buf_release(&b);
    db_st *st = db_stmt(d, sql_rt_read);
    for (int i = 0; i < n; i++) {
        assert_int_equal(db_step(st), DB_ROW);
        assert_int_equal(db_col_i64(st, 0), i);
        if (texts[i])
            assert_string_equal(db_col_text(st, 1), texts[i]);
        else
            assert_true(db_col_null(st, 1));
        assert_int_equal(db_col_bytes(st, 2), 2);
        assert_memory_equal(db_col_blob(st, 2), "\x00\xff", 2);
    }
    assert_int_equal(db_step(st), DB_DONE);
    db_reset(st);
    /* The server's verdict on bad data, at the end. */
    assert_int_equal(db_copy_begin(d, "COPY rt (i, s) FROM STDIN"), HAIL_OK);
    assert_int_equal(db_copy_put(d, "seven\tx\n", 8), HAIL_OK);
    assert_int_equal(db_copy_end(d), HAIL_EDB);
    assert_string_equal(hail_errmsg(), "copy: invalid input syntax for type bigint: \"seven\"");
    /* A COPY left open is abandoned by the rollback. */
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(db_copy_begin(d, "COPY rt (i, s) FROM STDIN"), HAIL_OK);
    assert_int_equal(db_copy_put(d, "100\tlost\n", 9), HAIL_OK);
    db_rollback(d);
    assert_false(db_in_tx(d));
    assert_int_equal(one_int(d, "SELECT count(*) FROM rt WHERE i = 100"), 0);
}

static void test_connection_lost(void **state)
{
    db *d = state[0];
    int64_t pid = one_int(d, "SELECT pg_backend_pid()");
    /* Prepared before: the failure is in the step (db_stmt of a new
     * statement fails the same way, with NULL). */
    one_int(d, "SELECT 1");
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
    admin_exec(sql);
    /* The backend may take a moment to go. */
    db_st *st = NULL;
    hail_err e = HAIL_OK;
    for (int i = 0; i < 50 && !e; i++) {
        st = db_stmt(d, "SELECT 1");
        if (!st) {
            e = HAIL_EDB;
            break;
        }
        if (db_step(st) == DB_ERROR)
            e = db_fail(d, "select");
        db_reset(st);
        if (!e)
            usleep(20000);
    }
    assert_int_equal(e, HAIL_EUNAVAIL);
    assert_string_equal(hail_errmsg(), "the database cannot be reached; try again in a moment");
    assert_int_equal(db_last_error(d), DB_ERR_CONNECTION);
    /* The next use connects again. */
    assert_int_equal(one_int(d, "SELECT 41 + 1"), 42);

    /* Lost inside a transaction: the transaction is lost, and says so until
     * the caller rolls back; nothing it wrote stays, nothing runs outside it. */
    assert_int_equal(db_exec(d, "DELETE FROM rt"), HAIL_OK);
    assert_int_equal(db_begin(d), HAIL_OK);
    st = db_stmt(d, sql_rt_insert);
    db_bind_i64(st, 1, 7);
    assert_int_equal(db_step_done(d, st, "rt: insert"), HAIL_OK);
    pid = one_int(d, "SELECT pg_backend_pid()");
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
    admin_exec(sql);
    e = HAIL_OK;
    for (int i = 0; i < 50 && !e; i++) {
        st = db_stmt(d, sql_rt_insert);
        if (!st) {
            e = HAIL_EUNAVAIL;
            break;
        }
        db_bind_i64(st, 1, 8);
        e = db_step_done(d, st, "rt: insert");
        if (!e)
            usleep(20000);
    }
    assert_int_equal(e, HAIL_EUNAVAIL);
    assert_string_equal(hail_errmsg(), "the database cannot be reached; try again in a moment");
    assert_true(db_in_tx(d));
    st = db_stmt(d, sql_rt_insert);
    if (st) {
        db_bind_i64(st, 1, 9);
        assert_int_equal(db_step_done(d, st, "rt: insert"), HAIL_EUNAVAIL);
    }
    assert_string_equal(hail_errmsg(), "the database cannot be reached; try again in a moment");
    assert_int_equal(db_commit(d), HAIL_EUNAVAIL);
    assert_string_equal(hail_errmsg(), "the database cannot be reached; try again in a moment");
    db_rollback(d);
    assert_false(db_in_tx(d));
    assert_int_equal(one_int(d, "SELECT count(*) FROM rt"), 0);
}

/* ---- the same answers on both engines ----
 *
 * The same people and teams written into a SQLite database and a PostgreSQL
 * one; every list, search (one and several words, accents, case, owners in
 * any case, filters, every page through the cursors), account page and team
 * page must come out the same: the per-engine SQL (lower() for NOCASE, the
 * search's chunks, the successor bound) changes how, not what. */

typedef struct both {
    char dir[64], path[128];
    db *lite, *pg;
} both;

static void put_both(both *b, people_writer *wl, people_writer *wp, int i)
{
    static const char *const firsts[] = {"José", "Jose",   "Zoë",      "Noah",   "Anna", "Ann",
                                         "Åsa",  "Øyvind", "Mary Ann", "MULLER", "ñandú"};
    static const char *const lasts[] = {"García",  "Garcia", "Müller",       "Muller",    "Smith",
                                        "O'Brien", "Ng",     "van der Berg", "Østergaard"};
    static const char *const companies[] = {"Acme Corp",   "acme corp", "ACME",  "Beta GmbH",
                                            "Café Zürich", "Zeta",      "@home", "[bracket]",
                                            "Ångström AB", NULL,        "acme"};
    static const char *const owners[] = {"rep1@example.com", "REP1@example.com", "Rep2@Example.com",
                                         NULL};
    static const char *const accounts[] = {"001A", "001B", "001C", NULL, "001D"};
    static const char *const opps[] = {"006A", NULL, "006B"};
    char email[64];
    person_in p = {.marketo_id = 1000 + i};
    const char *first = firsts[i % 11], *last = lasts[i % 9];
    snprintf(email, sizeof email, "p%d.%s@x%d.example", i, i % 2 ? "a" : "zz", i % 7);
    const char *v[PF_COUNT] = {0};
    v[PF_FIRST_NAME] = first;
    v[PF_LAST_NAME] = last;
    v[PF_EMAIL] = email;
    v[PF_COMPANY] = companies[i % 11];
    v[PF_OWNER_EMAIL] = owners[i % 4];
    v[PF_SFDC_ACCOUNT_ID] = accounts[i % 5];
    v[PF_SFDC_OPPORTUNITY_ID] = opps[i % 3];
    for (int f = 0; f < PF_COUNT; f++) {
        p.f[f] = v[f];
        p.len[f] = v[f] ? strlen(v[f]) : 0;
    }
    assert_int_equal(people_writer_put(wl, &p), HAIL_OK);
    assert_int_equal(people_writer_put(wp, &p), HAIL_OK);
}

static int setup_both(void **state)
{
    both *b = calloc(1, sizeof *b);
    if (!b)
        return -1;
    snprintf(b->dir, sizeof b->dir, "/tmp/hail-test-pg-XXXXXX");
    if (!mkdtemp(b->dir)) {
        free(b);
        return -1;
    }
    snprintf(b->path, sizeof b->path, "%s/hail.db", b->dir);
    char t[512];
    fresh_db(t, sizeof t);
    if (db_open(b->path, DB_MIGRATE, &b->lite) || db_open(t, DB_MIGRATE, &b->pg))
        return -1;
    people_writer *wl, *wp;
    assert_int_equal(people_writer_open(b->lite, 0, &wl), HAIL_OK);
    assert_int_equal(people_writer_open(b->pg, 0, &wp), HAIL_OK);
    for (int i = 1; i <= 300; i++)
        put_both(b, wl, wp, i);
    assert_int_equal(people_writer_close(wl, 1), HAIL_OK);
    assert_int_equal(people_writer_close(wp, 1), HAIL_OK);
    static const char *const teams[] = {"alpha", "Beta", "beta2", "Åland", "[x]",
                                        "_u",    "Zed",  "zed2",  "@at",   "ALPHA2"};
    for (size_t i = 0; i < sizeof teams / sizeof teams[0]; i++) {
        assert_int_equal(teams_create(b->lite, teams[i], NULL), HAIL_OK);
        assert_int_equal(teams_create(b->pg, teams[i], NULL), HAIL_OK);
    }
    *state = b;
    return 0;
}

static int teardown_both(void **state)
{
    both *b = *state;
    db_close(b->lite);
    db_close(b->pg);
    char p[256];
    static const char *const files[] = {"hail.db", "hail.db-wal", "hail.db-shm", "hail.db-wait"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", b->dir, files[i]);
        unlink(p);
    }
    rmdir(b->dir);
    free(b);
    return 0;
}

/* The ids of a page written by people_list_text, as "1,5,9". */
static void page_ids(const buf *page, char *out, size_t size)
{
    char *text = malloc(page->len + 3);
    assert_non_null(text);
    snprintf(text, page->len + 3, "[%.*s]", (int)page->len, page->data ? page->data : "");
    json_error_t err;
    json_t *a = json_loads(text, 0, &err);
    free(text);
    assert_non_null(a);
    size_t n = 0, i;
    json_t *o;
    out[0] = '\0';
    json_array_foreach(a, i, o)
    {
        n += (size_t)snprintf(out + n, size - n, "%s%lld", i ? "," : "",
                              (long long)json_integer_value(json_object_get(o, "id")));
        assert_true(n < size);
    }
    json_decref(a);
}

/* Every page of one query on one engine, as "ids|cursor;ids|cursor;…". */
static void all_pages(db *d, people_query q, char *out, size_t size)
{
    size_t n = 0;
    char next[PEOPLE_CURSOR_MAX], key[PEOPLE_CURSOR_MAX], ids[4096];
    out[0] = '\0';
    for (int pages = 0; pages < 400; pages++) {
        buf page = BUF_INIT(1 << 20);
        int count;
        hail_err e = people_list_text(d, &q, &page, next, &count);
        if (e)
            fail_msg("people_list_text: %s", hail_errmsg());
        page_ids(&page, ids, sizeof ids);
        buf_release(&page);
        n += (size_t)snprintf(out + n, size - n, "%s|%s;", ids, next);
        assert_true(n < size);
        if (!*next)
            return;
        assert_int_equal(people_cursor_parse(next, &q, key, sizeof key), HAIL_OK);
    }
    fail_msg("more than 400 pages");
}

static void test_same_people_lists(void **state)
{
    both *b = *state;
    static const char *const qs[] = {NULL,          "a",
                                     "j",           "jo",
                                     "jose",        "josé g",
                                     "mu",          "muller",
                                     "m",           "ann",
                                     "mary ann",    "acme",
                                     "acme c",      "café",
                                     "z",           "@",
                                     "[",           "å",
                                     "o'b",         "van der",
                                     "garcia jose", "noah muller",
                                     "x",           "p1",
                                     "ostergaard",  "\xF4\x8F\xBF\xBF",
                                     "e\xCC\x81"};
    static const char *const owners[] = {NULL, "rep1@example.com", "REP2@example.COM"};
    static const char *const accts[] = {NULL, "001A"};
    static const int limits[] = {1, 4, 50};
    size_t size = 1 << 20;
    char *a = malloc(size), *c = malloc(size);
    assert_non_null(a);
    assert_non_null(c);
    int compared = 0;
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        for (size_t o = 0; o < sizeof owners / sizeof owners[0]; o++)
            for (size_t k = 0; k < sizeof accts / sizeof accts[0]; k++)
                for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
                    people_query q = {.q = qs[i],
                                      .owner = owners[o],
                                      .account = accts[k],
                                      .opportunity = k && l == 1 ? "006B" : NULL,
                                      .limit = limits[l]};
                    all_pages(b->lite, q, a, size);
                    all_pages(b->pg, q, c, size);
                    if (strcmp(a, c) != 0)
                        fail_msg("q=%s owner=%s account=%s limit=%d:\nsqlite:     %.300s\n"
                                 "postgresql: %.300s",
                                 qs[i] ? qs[i] : "-", owners[o] ? owners[o] : "-",
                                 accts[k] ? accts[k] : "-", limits[l], a, c);
                    compared++;
                }
    assert_true(compared > 400);
    /* Not every query is empty: the data is there on both. */
    people_query q = {.q = "mu", .limit = 200};
    all_pages(b->pg, q, c, size);
    assert_true(strlen(c) > 100);
    free(a);
    free(c);
}

/* Every page of accounts for q on one engine: the JSON of each page and its cursor. */
static void all_account_pages(db *d, const char *q, int limit, char *out, size_t size)
{
    size_t n = 0;
    char next[ACCOUNTS_CURSOR_MAX] = "";
    out[0] = '\0';
    for (int pages = 0; pages < 100; pages++) {
        accounts_query aq = {.q = q, .cursor = next, .limit = limit};
        json_t *page = json_array();
        char cursor[ACCOUNTS_CURSOR_MAX];
        if (accounts_list(d, &aq, page, cursor))
            fail_msg("accounts_list: %s", hail_errmsg());
        char *text = json_dumps(page, JSON_COMPACT);
        json_decref(page);
        n += (size_t)snprintf(out + n, size - n, "%s|%s;", text, cursor);
        free(text);
        assert_true(n < size);
        if (!*cursor)
            return;
        snprintf(next, sizeof next, "%s", cursor);
    }
    fail_msg("more than 100 pages");
}

static void test_same_accounts_and_teams(void **state)
{
    both *b = *state;
    static const char *const qs[] = {NULL,  "a", "ac", "ACME", "acme c", "b", "c",
                                     "caf", "@", "[",  "å",    "z",      "x", "\xFF"};
    size_t size = 1 << 18;
    char *a = malloc(size), *c = malloc(size);
    assert_non_null(a);
    assert_non_null(c);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        for (int limit = 1; limit <= 3; limit += 2) {
            all_account_pages(b->lite, qs[i], limit, a, size);
            all_account_pages(b->pg, qs[i], limit, c, size);
            if (strcmp(a, c) != 0)
                fail_msg("accounts q=%s limit=%d:\nsqlite:     %.300s\npostgresql: %.300s",
                         qs[i] ? qs[i] : "-", limit, a, c);
        }
    static const char *const ids[] = {"001A", "001B", "001D", "001Z", "006A", "006B", "\xFF"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        json_t *x = NULL, *y = NULL;
        hail_err ex = accounts_get(b->lite, ids[i], &x), ey = accounts_get(b->pg, ids[i], &y);
        assert_int_equal(ex, ey);
        assert_true((!x && !y) || json_equal(x, y));
        json_decref(x);
        json_decref(y);
        ex = opportunities_get(b->lite, ids[i], &x);
        ey = opportunities_get(b->pg, ids[i], &y);
        assert_int_equal(ex, ey);
        assert_true((!x && !y) || json_equal(x, y));
        json_decref(x);
        json_decref(y);
    }
    /* Teams page in NOCASE order on both (PostgreSQL: lower() under "C"). */
    char *after_l = NULL, *after_p = NULL;
    for (int pages = 0; pages < 20; pages++) {
        json_t *x = NULL, *y = NULL;
        char *next_l = NULL, *next_p = NULL;
        assert_int_equal(teams_page_json(b->lite, after_l, 3, &x, &next_l), HAIL_OK);
        assert_int_equal(teams_page_json(b->pg, after_p, 3, &y, &next_p), HAIL_OK);
        size_t k;
        json_t *t;
        json_array_foreach(x, k, t) json_object_del(t, "created_at");
        json_array_foreach(y, k, t) json_object_del(t, "created_at");
        if (!json_equal(x, y)) {
            char *dx = json_dumps(x, JSON_COMPACT), *dy = json_dumps(y, JSON_COMPACT);
            fail_msg("teams page %d:\nsqlite:     %s\npostgresql: %s", pages, dx, dy);
        }
        json_decref(x);
        json_decref(y);
        free(after_l);
        free(after_p);
        after_l = next_l;
        after_p = next_p;
        assert_true((after_l == NULL) == (after_p == NULL));
        if (!after_l)
            break;
    }
    free(a);
    free(c);
}

int main(void)
{
    /* Every version has its PostgreSQL text (checked with or without a server). */
    if (schema_pg_latest() != schema_latest()) {
        fprintf(stderr, "schema_pg.c has %d migrations, schema.c %d\n", schema_pg_latest(),
                schema_latest());
        return 1;
    }
    admin_url = getenv("HAIL_TEST_PG_URL");
    if (!admin_url || !*admin_url) {
        printf("skipped: HAIL_TEST_PG_URL is not set\n");
        return 77;
    }
    if (pg_connect(admin_url, &admin)) {
        fprintf(stderr, "HAIL_TEST_PG_URL: %s\n", hail_errmsg());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_connect_missing_database),
        cmocka_unit_test(test_connect_wrong_password),
        cmocka_unit_test(test_migrate_twice),
        cmocka_unit_test(test_migrate_at_once),
        cmocka_unit_test(test_newer_refused),
        cmocka_unit_test(test_other_application_refused),
        cmocka_unit_test_setup_teardown(test_values_round_trip, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_unique_violation, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_errors, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_lock, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_copy, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_connection_lost, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_same_people_lists, setup_both, teardown_both),
        cmocka_unit_test_setup_teardown(test_same_accounts_and_teams, setup_both, teardown_both),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (int i = 0; i < nmade; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", made[i]);
        if (pg_exec(admin, sql))
            fprintf(stderr, "%s: %s\n", sql, hail_errmsg());
    }
    pg_disconnect(admin);
    free(made);
    return rc;
}
