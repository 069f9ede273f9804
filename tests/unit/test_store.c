#include "core/common.h"

/* Unit tests for store/db: opening, migrations, schema versions, kv, statements. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <time.h>

#include "core/err.h"
#include "core/buf.h"
#include "store/db.h"
#include "store/people.h"
#include "store/schema.h"

#include "db_fixture.h"
#include "pg_fixture.h"

typedef struct {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/hail-test-store-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/hail.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Runs SQL on the file directly, as another program would. */
static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        print_error("raw_exec: %s\n", err ? err : "?");
    sqlite3_free(err);
    assert_int_equal(rc, SQLITE_OK);
    assert_int_equal(sqlite3_close(h), SQLITE_OK);
}

static int count_rows(db *d, const char *sql)
{
    db_st *st;
    assert_non_null(st = db_prepare(d, sql));
    assert_int_equal(db_step(st), DB_ROW);
    int n = db_col_int(st, 0);
    db_st_free(st);
    return n;
}

static int user_version(db *d)
{
    return count_rows(d, "PRAGMA user_version");
}

/* The message for a database newer than this hail. */
static const char *newer_message(const char *path, int version)
{
    static char m[1024];
    snprintf(m, sizeof m,
             "%s has schema version %d, newer than this hail understands (%d); run a newer hail",
             path, version, db_schema_latest());
    return m;
}

static void test_create_and_migrate(void **state)
{
    fixture *f = *state;
    assert_true(db_schema_latest() >= 1);
    assert_false(file_exists(f->path));
    db *d = NULL;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    assert_non_null(d);
    assert_true(file_exists(f->path));
    assert_int_equal(db_schema_version(d), db_schema_latest());
    assert_int_equal(user_version(d), db_schema_latest());
    assert_string_equal(db_path(d), f->path);
    /* the tables and the people indexes are there */
    static const char *const tables[] = {
        "kv",       "teams",          "users",  "team_members", "api_tokens",
        "sessions", "login_failures", "people", "sync_runs",    "people_search"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
                 tables[i]);
        assert_int_equal(count_rows(d, sql), 1);
    }
    assert_int_equal(count_rows(d, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                   " AND name LIKE 'people_%'"),
                     4);
    /* WAL mode */
    db_st *st;
    assert_non_null(st = db_prepare(d, "PRAGMA journal_mode"));
    assert_int_equal(db_step(st), DB_ROW);
    assert_string_equal(db_col_text(st, 0), "wal");
    db_st_free(st);
    db_close(d);

    /* reopening works, with and without DB_MIGRATE */
    assert_int_equal(db_open(f->path, 0, &d), HAIL_OK);
    assert_int_equal(db_schema_version(d), db_schema_latest());
    db_close(d);
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    assert_int_equal(db_schema_version(d), db_schema_latest());
    assert_int_equal(user_version(d), db_schema_latest());
    db_close(d);
}

static void test_missing_file_without_migrate(void **state)
{
    fixture *f = *state;
    db *d = (db *)1;
    assert_int_not_equal(db_open(f->path, 0, &d), HAIL_OK);
    assert_null(d);
    /* not created as a side effect */
    assert_false(file_exists(f->path));
}

static void test_newer_schema_refused(void **state)
{
    fixture *f = *state;
    db *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    db_close(d);
    int newer = db_schema_latest() + 3;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", newer);
    raw_exec(f->path, sql);

    d = (db *)1;
    hail_errclear();
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_ESCHEMA);
    assert_null(d);
    assert_string_equal(hail_errmsg(), newer_message(f->path, newer));

    d = (db *)1;
    hail_errclear();
    assert_int_equal(db_open(f->path, 0, &d), HAIL_ESCHEMA);
    assert_null(d);
    /* Without DB_MIGRATE too (it said "this hail needs N", as if N were newer). */
    assert_string_equal(hail_errmsg(), newer_message(f->path, newer));

    /* the refused open changed nothing */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), newer);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static void test_older_schema_needs_migrate(void **state)
{
    fixture *f = *state;
    /* A database at version 0: an empty SQLite file that hail never migrated. */
    FILE *fp = fopen(f->path, "wb");
    assert_non_null(fp);
    fclose(fp);
    db *d = (db *)1;
    hail_errclear();
    assert_int_equal(db_open(f->path, 0, &d), HAIL_ESCHEMA);
    assert_null(d);
    char want[1024];
    snprintf(want, sizeof want, "%s has schema version 0; this hail needs %d", f->path,
             db_schema_latest());
    assert_string_equal(hail_errmsg(), want);
    /* with DB_MIGRATE it is brought up to date */
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    assert_int_equal(db_schema_version(d), db_schema_latest());
    assert_int_equal(user_version(d), db_schema_latest());
    assert_int_equal(count_rows(d, "SELECT count(*) FROM people"), 0);
    db_close(d);
    assert_int_equal(db_open(f->path, 0, &d), HAIL_OK);
    db_close(d);
}

/* Version 0 with tables in it is another application's file: refused with
 * and without DB_MIGRATE, and left as it was. */
static void test_another_application_refused(void **state)
{
    fixture *f = *state;
    raw_exec(f->path, "CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (7)");
    char want[1024];
    snprintf(want, sizeof want,
             "%s holds tables of another application (schema version 0); use a new file", f->path);
    for (unsigned flags = 0; flags <= DB_MIGRATE; flags += DB_MIGRATE) {
        db *d = (db *)1;
        hail_errclear();
        assert_int_equal(db_open(f->path, flags, &d), HAIL_ESCHEMA);
        assert_null(d);
        assert_string_equal(hail_errmsg(), want);
    }
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT (SELECT count(*) FROM sqlite_master),"
                                        " (SELECT x FROM unrelated)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    assert_int_equal(sqlite3_column_int(st, 1), 7);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static void test_not_a_database(void **state)
{
    fixture *f = *state;
    FILE *fp = fopen(f->path, "wb");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database at all\n", fp);
    fclose(fp);
    db *d = (db *)1;
    hail_err e = db_open(f->path, DB_MIGRATE, &d);
    assert_int_not_equal(e, HAIL_OK);
    assert_null(d);
    char want[1024];
    snprintf(want, sizeof want, "cannot use database %s: file is not a database", f->path);
    assert_string_equal(hail_errmsg(), want);
}

static void test_missing_indexes_recreated(void **state)
{
    fixture *f = *state;
    db *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    assert_int_equal(schema_drop_people_indexes(d), HAIL_OK);
    assert_int_equal(count_rows(d, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                   " AND name LIKE 'people_%'"),
                     0);
    db_close(d);
    /* e.g. a bulk load was interrupted: the next migrating open repairs it */
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    assert_int_equal(count_rows(d, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                   " AND name LIKE 'people_%'"),
                     4);
    db_close(d);
}

static void test_kv(void **state)
{
    fixture *f = *state;
    db *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    char *v = (char *)1;
    assert_int_equal(db_kv_get(d, "missing", &v), HAIL_OK);
    assert_null(v);

    assert_int_equal(db_kv_set(d, "marketo.cursor", "abc"), HAIL_OK);
    assert_int_equal(db_kv_get(d, "marketo.cursor", &v), HAIL_OK);
    assert_string_equal(v, "abc");
    free(v);

    /* overwrite */
    assert_int_equal(db_kv_set(d, "marketo.cursor", "J\xc3\xbcrgen \xe2\x9c\x93"), HAIL_OK);
    assert_int_equal(db_kv_get(d, "marketo.cursor", &v), HAIL_OK);
    assert_string_equal(v, "J\xc3\xbcrgen \xe2\x9c\x93");
    free(v);
    assert_int_equal(count_rows(d, "SELECT count(*) FROM kv"), 1);

    /* keys are separate */
    assert_int_equal(db_kv_set(d, "other", ""), HAIL_OK);
    assert_int_equal(db_kv_get(d, "other", &v), HAIL_OK);
    assert_string_equal(v, "");
    free(v);
    assert_int_equal(db_kv_get(d, "marketo.cursor", &v), HAIL_OK);
    assert_string_equal(v, "J\xc3\xbcrgen \xe2\x9c\x93");
    free(v);

    /* delete, and deleting again is fine */
    assert_int_equal(db_kv_del(d, "marketo.cursor"), HAIL_OK);
    assert_int_equal(db_kv_get(d, "marketo.cursor", &v), HAIL_OK);
    assert_null(v);
    assert_int_equal(db_kv_del(d, "marketo.cursor"), HAIL_OK);
    assert_int_equal(db_kv_del(d, "never-set"), HAIL_OK);

    /* persists across reopen */
    assert_int_equal(db_kv_set(d, "persist", "yes"), HAIL_OK);
    db_close(d);
    assert_int_equal(db_open(f->path, 0, &d), HAIL_OK);
    assert_int_equal(db_kv_get(d, "persist", &v), HAIL_OK);
    assert_string_equal(v, "yes");
    free(v);
    assert_int_equal(db_kv_get(d, "other", &v), HAIL_OK);
    assert_string_equal(v, "");
    free(v);

    /* a rolled-back set is not kept */
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_true(db_in_tx(d));
    assert_int_equal(db_kv_set(d, "persist", "no"), HAIL_OK);
    assert_int_equal(db_kv_get(d, "persist", &v), HAIL_OK);
    assert_string_equal(v, "no");
    free(v);
    db_rollback(d);
    assert_false(db_in_tx(d));
    assert_int_equal(db_kv_get(d, "persist", &v), HAIL_OK);
    assert_string_equal(v, "yes");
    free(v);
    /* and a committed one is */
    assert_int_equal(db_begin(d), HAIL_OK);
    assert_int_equal(db_kv_set(d, "persist", "committed"), HAIL_OK);
    assert_int_equal(db_commit(d), HAIL_OK);
    assert_false(db_in_tx(d));
    db_rollback(d); /* harmless outside a transaction */
    db_close(d);
    assert_int_equal(db_open(f->path, 0, &d), HAIL_OK);
    assert_int_equal(db_kv_get(d, "persist", &v), HAIL_OK);
    assert_string_equal(v, "committed");
    free(v);
    db_close(d);
}

static const char sql_select_param[] = "SELECT $1";

static void test_stmt_cache(void **state)
{
    fixture *f = *state;
    db *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    db_st *a = db_stmt(d, sql_select_param);
    assert_non_null(a);
    db_st *b = db_stmt(d, sql_select_param);
    assert_ptr_equal(a, b);

    /* it comes back reset, with bindings cleared */
    db_bind_i64(a, 1, 42);
    assert_int_equal(db_step(a), DB_ROW);
    assert_int_equal(db_col_int(a, 0), 42);
    db_st *c = db_stmt(d, sql_select_param); /* mid-iteration */
    assert_ptr_equal(c, a);
    assert_int_equal(db_step(c), DB_ROW);
    assert_true(db_col_null(c, 0));
    db_reset(c);

    /* a different string is a different statement */
    static const char other[] = "SELECT $1 + 1";
    db_st *o = db_stmt(d, other);
    assert_non_null(o);
    assert_ptr_not_equal(o, a);
    assert_ptr_equal(db_stmt(d, other), o);
    assert_ptr_equal(db_stmt(d, sql_select_param), a);

    /* bad SQL: NULL with a message, and the cache is not poisoned */
    static const char bad[] = "SELEKT nonsense";
    hail_errclear();
    assert_null(db_stmt(d, bad));
    assert_string_equal(hail_errmsg(), "prepare: near \"SELEKT\": syntax error");
    assert_null(db_stmt(d, bad));
    assert_ptr_equal(db_stmt(d, sql_select_param), a);

    /* "$N" parameters must appear in order: binding by number would go to the
     * wrong place otherwise (SQLite numbers them by first appearance). */
    static const char out_of_order[] = "SELECT $2, $1";
    hail_errclear();
    assert_null(db_stmt(d, out_of_order));
    assert_string_equal(hail_errmsg(), "statement parameters out of order");
    static const char in_order_reused[] = "SELECT $1, $2, $1";
    db_st *r = db_stmt(d, in_order_reused);
    assert_non_null(r);
    db_bind_i64(r, 1, 7);
    db_bind_i64(r, 2, 8);
    assert_int_equal(db_step(r), DB_ROW);
    assert_int_equal(db_col_int(r, 0), 7);
    assert_int_equal(db_col_int(r, 1), 8);
    assert_int_equal(db_col_int(r, 2), 7);
    db_reset(r);

    /* many distinct statements keep working */
    static char texts[60][32];
    db_st *sts[60];
    for (int i = 0; i < 60; i++) {
        snprintf(texts[i], sizeof texts[i], "SELECT %d", i);
        sts[i] = db_stmt(d, texts[i]);
        assert_non_null(sts[i]);
    }
    for (int i = 0; i < 60; i++) {
        db_st *s = db_stmt(d, texts[i]);
        assert_ptr_equal(s, sts[i]);
        assert_int_equal(db_step(s), DB_ROW);
        assert_int_equal(db_col_int(s, 0), i);
        db_reset(s);
    }
    db_close(d);
}

static const char sql_team_insert[] = "INSERT INTO teams(name, created_at) VALUES($1, 0)";

static void test_unique_violation_is_conflict(void **state)
{
    fixture *f = *state;
    db *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    db_st *st = db_stmt(d, sql_team_insert);
    assert_non_null(st);
    db_bind_text(st, 1, "Sales", -1);
    assert_int_equal(db_step_done(d, st, "team insert"), HAIL_OK);
    st = db_stmt(d, sql_team_insert);
    db_bind_text(st, 1, "SALES", -1); /* NOCASE unique */
    assert_int_equal(db_step_done(d, st, "team insert"), HAIL_EEXIST);
    assert_string_equal(hail_errmsg(), "team insert: UNIQUE constraint failed: teams.name");
    /* NULL binds as NULL: NOT NULL constraint is a database error, not a conflict */
    st = db_stmt(d, sql_team_insert);
    db_bind_text(st, 1, NULL, 0);
    hail_err e = db_step_done(d, st, "team insert");
    assert_int_not_equal(e, HAIL_OK);
    assert_int_not_equal(e, HAIL_EEXIST);
    assert_int_equal(count_rows(d, "SELECT count(*) FROM teams"), 1);
    db_close(d);
}

static void test_exec(void **state)
{
    fixture *f = *state;
    db *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    assert_int_equal(
        db_exec(d, "CREATE TABLE t(x); INSERT INTO t VALUES(1); INSERT INTO t VALUES(2)"), HAIL_OK);
    assert_int_equal(count_rows(d, "SELECT sum(x) FROM t"), 3);
    hail_errclear();
    assert_int_equal(db_exec(d, "INSERT INTO nosuch VALUES(1)"), HAIL_EDB);
    assert_string_equal(hail_errmsg(), "no such table: nosuch");
    db_close(d);
}

/* Opening (with migration) while another connection holds the write lock —
 * a sync or an import running — must not wait for it. */
static void test_migrating_open_does_not_wait_for_writers(void **state)
{
    fixture *f = *state;
    db *w, *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &w), HAIL_OK);
    assert_int_equal(db_begin(w), HAIL_OK);
    assert_int_equal(db_kv_set(w, "busy", "1"), HAIL_OK);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_true(b.tv_sec - a.tv_sec < 2); /* the busy timeout is 10 s */
    db_close(d);
    db_rollback(w);
    db_close(w);
}

/* ---- every statement hail uses, on one connection ----
 *
 * The SQL passed to db_stmt() is collected from the sources under $HAIL_SRC:
 * the argument after the connection is string literals, or names of string
 * constants / macros (static const char x[] = "..."; #define X "...") that
 * are, in turn, literals. A call whose SQL is built at run time must be
 * listed in dynamic_sql and covered some other way below. */

static const char *const dynamic_sql[] = {
    "list_sql[m]", /* people lists: covered by people_list_text over every filter combination */
    "spec_sql",    /* store/lease.c: a job table's row-lease SQL, built once per spec:
                      tests/unit/test_lease.c runs it on both engines */
};

typedef struct {
    char **sql;
    size_t n, cap;
    size_t sites;
    /* DB_SQL(d, sqlite, postgres): each engine's text, for its engine only */
    char **lite;
    size_t nlite, caplite;
    char **pg;
    size_t npg, cappg;
} sql_set;

static void set_add(char ***v, size_t *n, size_t *cap, char *text)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = realloc(*v, *cap * sizeof **v);
        assert_non_null(*v);
    }
    (*v)[(*n)++] = text;
}

/* The top-level comma-separated arguments of the call whose '(' is at open:
 * up to 3, as [start, end) pairs. Returns how many. */
static int call_args(char *open, char *starts[3], char *ends[3])
{
    int depth = 0, n = 0;
    starts[0] = open + 1;
    for (char *q = open + 1; *q; q++) {
        if (*q == '"') {
            for (q++; *q && *q != '"'; q++)
                if (*q == '\\' && q[1])
                    q++;
            continue;
        }
        if (*q == '(')
            depth++;
        else if (*q == ')' && depth > 0)
            depth--;
        else if ((*q == ',' || *q == ')') && depth == 0) {
            if (n < 3)
                ends[n] = q;
            n++;
            if (*q == ')')
                return n;
            if (n < 3)
                starts[n] = q + 1;
        }
    }
    return -1;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t k;
    while (b && (k = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (cap - n < 2) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            }
            b = nb;
        }
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    *len = n;
    return b;
}

/* Blanks comments (keeping string and character literals). */
static void strip_comments(char *s)
{
    for (char *p = s; *p; p++) {
        if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (*p && *p != q) {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (!*p)
                return;
        } else if (p[0] == '/' && p[1] == '*') {
            char *e = strstr(p + 2, "*/");
            char *end = e ? e + 2 : p + strlen(p);
            memset(p, ' ', (size_t)(end - p));
            p = end - 1;
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n')
                *p++ = ' ';
            if (!*p)
                return;
        }
    }
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int append_text(char **out, size_t *len, const char *s, size_t n)
{
    char *nb = realloc(*out, *len + n + 1);
    if (!nb)
        return -1;
    memcpy(nb + *len, s, n);
    *len += n;
    nb[*len] = '\0';
    *out = nb;
    return 0;
}

static int resolve_name(const char *file, const char *name, size_t nlen, char **out, size_t *len,
                        int depth);

/* Concatenates the tokens of [p, end): string literals and names that resolve
 * to literals. -1 when anything else is there. */
static int concat_tokens(const char *file, const char *p, const char *end, char **out, size_t *len,
                         int depth)
{
    int any = 0;
    while (p < end) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || (*p == '\\' && p[1] == '\n')) {
            p++;
            continue;
        }
        if (*p == '"') {
            p++;
            while (p < end && *p != '"') {
                char c = *p;
                if (c == '\\' && p + 1 < end) {
                    p++;
                    c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
                }
                if (append_text(out, len, &c, 1))
                    return -1;
                p++;
            }
            if (p >= end)
                return -1;
            p++;
            any = 1;
            continue;
        }
        if (ident_char(*p) && !(*p >= '0' && *p <= '9')) {
            const char *q = p;
            while (q < end && ident_char(*q))
                q++;
            if (resolve_name(file, p, (size_t)(q - p), out, len, depth + 1))
                return -1;
            p = q;
            any = 1;
            continue;
        }
        return -1;
    }
    return any ? 0 : -1;
}

/* A #define or a char array constant of the file, as text. */
static int resolve_name(const char *file, const char *name, size_t nlen, char **out, size_t *len,
                        int depth)
{
    char nm[128];
    if (depth > 8 || nlen >= sizeof nm)
        return -1;
    memcpy(nm, name, nlen);
    nm[nlen] = '\0';
    name = nm;
    for (const char *p = strstr(file, "#define"); p; p = strstr(p + 1, "#define")) {
        const char *n = p + 7;
        while (*n == ' ' || *n == '\t')
            n++;
        if (strncmp(n, name, nlen) != 0 || ident_char(n[nlen]) || n[nlen] == '(')
            continue;
        const char *e = n + nlen;
        while (*e && !(*e == '\n' && e[-1] != '\\'))
            e++;
        return concat_tokens(file, n + nlen, e, out, len, depth);
    }
    for (const char *p = strstr(file, name); p; p = strstr(p + 1, name)) {
        if ((p > file && ident_char(p[-1])) || ident_char(p[nlen]))
            continue;
        const char *q = p + nlen;
        if (strncmp(q, "[] =", 4) != 0)
            continue;
        const char *e = strchr(q, ';');
        if (!e)
            return -1;
        return concat_tokens(file, q + 4, e, out, len, depth);
    }
    return -1;
}

static void collect_file(const char *path, sql_set *set)
{
    size_t n;
    char *src = read_all(path, &n);
    assert_non_null(src);
    strip_comments(src);
    for (char *p = strstr(src, "db_stmt("); p; p = strstr(p + 1, "db_stmt(")) {
        if (p > src && ident_char(p[-1]))
            continue;
        /* the second argument: from the first top-level comma to the closing parenthesis */
        char *a = p + 8, *comma = NULL, *close = NULL;
        int depth = 0;
        for (char *q = a; *q; q++) {
            if (*q == '"') {
                for (q++; *q && *q != '"'; q++)
                    if (*q == '\\' && q[1])
                        q++;
                continue;
            }
            if (*q == '(' || *q == '[')
                depth++;
            else if ((*q == ')' || *q == ']') && depth > 0)
                depth--;
            else if (*q == ',' && depth == 0 && !comma)
                comma = q;
            else if (*q == ')' && depth == 0) {
                close = q;
                break;
            }
        }
        assert_non_null(close);
        if (!comma)
            continue;
        /* the definition of db_stmt itself */
        if (strstr(path, "store/db.c") && strncmp(comma + 1, " const char *sql", 16) == 0)
            continue;
        set->sites++;
        char *text = NULL;
        size_t len = 0;
        char *arg = comma + 1;
        while (*arg == ' ' || *arg == '\n')
            arg++;
        if (!strncmp(arg, "DB_SQL(", 7)) {
            /* DB_SQL(d, sqlite, postgres): each text for its own engine */
            char *st[3], *en[3];
            assert_int_equal(call_args(arg + 6, st, en), 3);
            char *pg = NULL;
            size_t pglen = 0;
            if (concat_tokens(src, st[1], en[1], &text, &len, 0) ||
                concat_tokens(src, st[2], en[2], &pg, &pglen, 0))
                fail_msg("%s: DB_SQL() with SQL this test cannot read: %.80s", path, arg);
            set_add(&set->lite, &set->nlite, &set->caplite, text);
            set_add(&set->pg, &set->npg, &set->cappg, pg);
            continue;
        }
        if (concat_tokens(src, comma + 1, close, &text, &len, 0) == 0) {
            if (set->n == set->cap) {
                set->cap = set->cap ? set->cap * 2 : 64;
                set->sql = realloc(set->sql, set->cap * sizeof *set->sql);
                assert_non_null(set->sql);
            }
            set->sql[set->n++] = text;
            continue;
        }
        free(text);
        char expr[128];
        const char *b = comma + 1;
        while (*b == ' ' || *b == '\n')
            b++;
        snprintf(expr, sizeof expr, "%.*s", (int)(close - b), b);
        int known = 0;
        for (size_t i = 0; i < sizeof dynamic_sql / sizeof dynamic_sql[0]; i++)
            known |= strcmp(expr, dynamic_sql[i]) == 0;
        if (!known)
            fail_msg("%s: db_stmt() with SQL this test cannot read: %s", path, expr);
    }
    free(src);
}

static void collect_dir(const char *dir, sql_set *set)
{
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        size_t l = strlen(de->d_name);
        if (S_ISDIR(st.st_mode))
            collect_dir(p, set);
        else if (l > 2 && strcmp(de->d_name + l - 2, ".c") == 0)
            collect_file(p, set);
    }
    closedir(dh);
}

/* A people list for each of the 16 combinations of filters (each builds its
 * SQL once). */
static void list_every_filter(db *d)
{
    for (int m = 0; m < 16; m++) {
        people_query q = {.q = (m & 1) ? "ab" : NULL,
                          .owner = (m & 2) ? "rep@example.com" : NULL,
                          .account = (m & 4) ? "001A" : NULL,
                          .opportunity = (m & 8) ? "006B" : NULL,
                          .limit = 10};
        buf out = BUF_INIT(1 << 20);
        char next[PEOPLE_CURSOR_MAX];
        int count;
        assert_int_equal(people_list_text(d, &q, &out, next, &count), HAIL_OK);
        buf_release(&out);
    }
}

/* SQL of db.c's SQLite branch only: never sent to PostgreSQL. */
static int sql_is_sqlite_only(const char *sql)
{
    return !strcmp(sql, "BEGIN IMMEDIATE");
}

static void test_every_statement_prepares_on_one_connection(void **state)
{
    fixture *f = *state;
    const char *src = getenv("HAIL_SRC");
    if (!src || !*src)
        src = ".";
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/src", src);
    sql_set set = {0};
    collect_dir(dir, &set);
    /* The collector must actually find hail's statements (dozens of them). */
    print_message("%zu db_stmt() calls, %zu with SQL read from the source, %zu per engine\n",
                  set.sites, set.n, set.nlite);
    assert_true(set.n >= 40);
    assert_true(set.sites >= set.n);

    db *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    for (size_t i = 0; i < set.n + set.nlite; i++) {
        const char *sql = i < set.n ? set.sql[i] : set.lite[i - set.n];
        hail_errclear();
        if (!db_stmt(d, sql))
            fail_msg("cannot prepare (%s): %s", hail_errmsg(), sql);
    }
    /* The people lists build their SQL once per combination of filters. */
    list_every_filter(d);
    assert_true(db_stmt_count(d) >= set.n + set.nlite + 16);
    /* …and every one of them is still there, cached, on the same connection. */
    for (size_t i = 0; i < set.n; i++) {
        size_t before = db_stmt_count(d);
        assert_non_null(db_stmt(d, set.sql[i]));
        assert_int_equal(db_stmt_count(d), before);
    }
    db_close(d);

    /* On PostgreSQL (the test cluster): every text both engines share and
     * every PostgreSQL variant, on one connection. */
    if (pg_fixture_admin()) {
        char name[64], target[512];
        assert_int_equal(
            pg_fixture_create("hail_unit_store", name, sizeof name, target, sizeof target), 0);
        if (db_open(target, DB_MIGRATE, &d))
            fail_msg("%s: %s", name, hail_errmsg());
        size_t prepared = 0;
        for (size_t i = 0; i < set.n + set.npg; i++) {
            const char *sql = i < set.n ? set.sql[i] : set.pg[i - set.n];
            if (sql_is_sqlite_only(sql))
                continue;
            hail_errclear();
            if (!db_stmt(d, sql))
                fail_msg("cannot prepare on PostgreSQL (%s): %s", hail_errmsg(), sql);
            prepared++;
        }
        print_message("%zu statements prepared on PostgreSQL\n", prepared);
        assert_true(prepared >= set.n);
        list_every_filter(d);
        db_close(d);
        pg_fixture_drop(name);
    } else {
        print_message("PostgreSQL part skipped: HAIL_TEST_PG_URL is not set\n");
    }
    for (size_t i = 0; i < set.n; i++)
        free(set.sql[i]);
    free(set.sql);
    for (size_t i = 0; i < set.npg; i++)
        free(set.pg[i]);
    free(set.pg);
    for (size_t i = 0; i < set.nlite; i++)
        free(set.lite[i]);
    free(set.lite);
}

/* Far more distinct statements than the old cache's 128 fixed slots, all of
 * them used again afterwards: the cache grows, nothing fails or is prepared
 * twice. */
static void test_stmt_cache_has_no_fixed_limit(void **state)
{
    fixture *f = *state;
    enum { N = 1000 };
    db *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    char(*texts)[48] = calloc(N, sizeof *texts);
    db_st **sts = calloc(N, sizeof *sts);
    assert_non_null(texts);
    assert_non_null(sts);
    size_t base = db_stmt_count(d);
    for (int i = 0; i < N; i++) {
        snprintf(texts[i], sizeof texts[i], "SELECT $1 + %d", i);
        hail_errclear();
        sts[i] = db_stmt(d, texts[i]);
        if (!sts[i])
            fail_msg("statement %d: %s", i + 1, hail_errmsg());
    }
    assert_int_equal(db_stmt_count(d), base + N);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            db_st *s = db_stmt(d, texts[i]);
            assert_ptr_equal(s, sts[i]);
            db_bind_i64(s, 1, round);
            assert_int_equal(db_step(s), DB_ROW);
            assert_int_equal(db_col_int(s, 0), i + round);
            db_reset(s);
        }
    }
    assert_int_equal(db_stmt_count(d), base + N);
    db_close(d);
    free(texts);
    free(sts);
}

/* A write that cannot get the lock fails with the plain "busy" error, not
 * SQLite's text, and db_begin_try does not wait. */
static void test_busy_write_is_unavailable(void **state)
{
    fixture *f = *state;
    db *w, *d;
    assert_int_equal(db_open(f->path, DB_MIGRATE, &w), HAIL_OK);
    assert_int_equal(db_open(f->path, DB_MIGRATE, &d), HAIL_OK);
    assert_int_equal(db_begin(w), HAIL_OK);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(db_begin_try(d), HAIL_EUNAVAIL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 500);
    assert_string_equal(hail_errmsg(), "the database is busy; try again in a moment");
    assert_false(db_in_tx(d));
    /* reads do not wait for the writer */
    assert_int_equal(count_rows(d, "SELECT count(*) FROM kv"), 0);
    db_rollback(w);
    assert_int_equal(db_begin_try(d), HAIL_OK);
    assert_true(db_in_tx(d));
    db_rollback(d);
    db_close(d);
    db_close(w);
}

/* Which engine a target names, and its password never shown. */
static void test_target_engine_and_redact(void **state)
{
    (void)state;
    assert_int_equal(db_target_engine("postgres://u:p@h/db"), DB_POSTGRES);
    assert_int_equal(db_target_engine("postgresql://h/db"), DB_POSTGRES);
    assert_int_equal(db_target_engine("host=h dbname=x"), DB_POSTGRES);
    assert_int_equal(db_target_engine("dbname = x"), DB_POSTGRES);
    assert_int_equal(db_target_engine("var/hail.db"), DB_SQLITE);
    assert_int_equal(db_target_engine("/data/a=b/hail.db"), DB_SQLITE);
    assert_int_equal(db_target_engine("Host=h"), DB_SQLITE); /* libpq keywords are lower case */
    static const char *const cases[][2] = {
        {"postgres://hail:s3cret@127.0.0.1:5432/hail", "postgres://hail:***@127.0.0.1:5432/hail"},
        {"postgresql://hail@db/hail", "postgresql://hail@db/hail"},
        {"postgres://u:p@ss:w@rd@h/db", "postgres://u:***@h/db"},
        {"postgres://u@h/db?sslmode=require&password=xyz&x=1",
         "postgres://u@h/db?sslmode=require&password=***&x=1"},
        {"postgres://u@h/db?apassword=keep", "postgres://u@h/db?apassword=keep"},
        {"host=h password=s3cret dbname=x", "host=h password=*** dbname=x"},
        {"host=h password = 'a b\\' c' dbname=x", "host=h password = *** dbname=x"},
        {"dbname=x password=", "dbname=x password=***"},
        {"var/hail.db", "var/hail.db"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        db_target_redact(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    char small[8];
    db_target_redact("postgres://hail:s3cret@h/db", small, sizeof small);
    assert_string_equal(small, "postgre");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_engine_and_redact),
        cmocka_unit_test_setup_teardown(test_create_and_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_without_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_schema_needs_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_another_application_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_indexes_recreated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stmt_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_statement_prepares_on_one_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stmt_cache_has_no_fixed_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_write_is_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_violation_is_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrating_open_does_not_wait_for_writers, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
