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
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/db.h"
#include "store/db_pg.h"
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
