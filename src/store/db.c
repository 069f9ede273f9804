#include "core/common.h"

#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/db_pg.h"
#include "store/db_sqlite.h"
#include "store/people.h"
#include "store/schema.h"

/* A prepared statement of either engine. */
struct db_st {
    db *d;
    sqlite3_stmt *lite; /* SQLite */
    pg_st *pg;          /* PostgreSQL */
};

/* Prepared statements, cached per connection in an open-addressing table
 * keyed by the SQL text's address. The set of statements is the program's
 * SQL literals (plus a few built once), so the table grows to hold them all
 * instead of evicting: nothing is ever prepared twice (on PostgreSQL, again
 * only after a reconnect). */
struct stmt_slot {
    const char *sql;
    db_st *st;
};

/* How long a connection waits for the write lock, and how (see db_set_wait). */
#define WAIT_POLL_US        1000                    /* a waiting writer retries every 1 ms */
#define WAIT_DEFAULT_US     (INT64_C(10) * 1000000) /* CLI, sync: 10 s */
#define WAIT_INTERACTIVE_US (INT64_C(2) * 1000000)  /* HTTP threads (db_thread): 2 s */
#define WAIT_LOG_US         (INT64_C(100) * 1000)   /* a longer wait is logged */

struct db {
    db_engine engine;
    sqlite3 *h;  /* SQLite */
    pg_conn *pg; /* PostgreSQL (NULL while disconnected) */
    char *path;  /* the target as given (may hold a password) */
    char *name;  /* the same, redacted, for messages */
    int version;
    struct stmt_slot *cache; /* cap slots, a power of two, at most half full */
    size_t cap, used;
    int interactive;    /* an HTTP thread's connection: short wait, limited waiters */
    int no_wait;        /* db_begin_try: do not wait at all */
    int beginning;      /* inside db_begin: a wait for the write lock */
    int counted;        /* this connection is counted in waiters */
    int overflow;       /* waits past the cap: only while the lock changes hands */
    int wait_fd;        /* the "-wait" file (see others_waiting); -1 not open, -2 none */
    int signalled;      /* holds a shared lock on it while waiting */
    int64_t wait_max;   /* µs */
    int64_t wait_start; /* µs (monotonic) of the first busy retry */
    int64_t tx_start;   /* µs (monotonic) when the write lock was taken */
    db_tx_hook tx_hook; /* db_set_tx_hook */
};

/* HTTP threads waiting for the write lock right now, and how many may: the
 * rest are refused at once, so waiting writes never hold every HTTP thread
 * and reads (and /healthz) always find one free. */
static atomic_int waiters;
static atomic_int waiters_max = 4;
/* When a connection of this process last took the write lock (µs, monotonic).
 * Past the cap a writer still waits while the lock keeps changing hands (a
 * burst of short writes: it gets in within milliseconds), and gives up as
 * soon as nobody has taken it for STUCK_US (a long holder: then it would only
 * tie up an HTTP thread). */
static atomic_int_least64_t last_acquired;
#define STUCK_US 200000

static atomic_int sync_normal; /* 1: PRAGMA synchronous=NORMAL */

hail_err db_set_sync(const char *mode)
{
    if (mode && *mode && strcasecmp(mode, "normal") && strcasecmp(mode, "full"))
        return hail_errf(HAIL_EINVAL, "HAIL_DB_SYNC must be full or normal, not '%.40s'", mode);
    atomic_store(&sync_normal, mode && !strcasecmp(mode, "normal"));
    return HAIL_OK;
}

void db_set_interactive_waiters(int max)
{
    atomic_store(&waiters_max, max < 1 ? 1 : max);
}

static void waiter_done(db *d)
{
    if (d->counted) {
        atomic_fetch_sub(&waiters, 1);
        d->counted = 0;
    }
}

/* Writers waiting, across processes: a writer waiting for SQLite's write lock
 * holds a shared flock() on "<database>-wait" meanwhile; a bulk writer that
 * cannot take it exclusively knows someone waits, commits early and pauses
 * until they are in. flock() locks go with the process, so a crash leaves
 * none behind. */
static int wait_file(db *d)
{
    if (d->wait_fd == -1) {
        size_t n = strlen(d->path) + sizeof "-wait";
        char *p = malloc(n);
        int fd = -1;
        if (p) {
            snprintf(p, n, "%s-wait", d->path);
            fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            free(p);
        }
        d->wait_fd = fd >= 0 ? fd : -2;
    }
    return d->wait_fd;
}

static void signal_waiting(db *d)
{
    int fd = wait_file(d);
    if (fd >= 0 && !d->signalled && flock(fd, LOCK_SH | LOCK_NB) == 0)
        d->signalled = 1;
}

static void signal_done(db *d)
{
    if (d->signalled) {
        flock(d->wait_fd, LOCK_UN);
        d->signalled = 0;
    }
}

static int others_waiting(db *d)
{
    int fd = wait_file(d);
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        flock(fd, LOCK_UN);
        return 0;
    }
    return errno == EWOULDBLOCK;
}

/* SQLite's busy handler: poll every millisecond (SQLite's own backs off to
 * 100 ms sleeps, and a bulk writer's pause between batches is a few ms) until
 * the connection's wait is over. */
static int on_busy(void *arg, int count)
{
    db *d = arg;
    if (d->no_wait)
        return 0;
    int64_t now = time_mono_us();
    if (count == 0) {
        d->wait_start = now;
        d->overflow = 0;
        if (d->interactive && d->beginning && !d->counted) {
            if (atomic_fetch_add(&waiters, 1) >= atomic_load(&waiters_max)) {
                atomic_fetch_sub(&waiters, 1);
                d->overflow = 1;
            } else {
                d->counted = 1;
            }
        }
        if (d->beginning)
            signal_waiting(d);
    }
    if (now - d->wait_start >= d->wait_max ||
        (d->overflow && now - atomic_load(&last_acquired) >= STUCK_US)) {
        waiter_done(d);
        return 0;
    }
    time_sleep_us(WAIT_POLL_US, NULL);
    return 1;
}

sqlite3 *db_sqlite(db *d)
{
    return d->h;
}

db_engine db_engine_of(db *d)
{
    return d->engine;
}

const char *db_path(db *d)
{
    return d->path;
}

const char *db_name(db *d)
{
    return d->name;
}

int db_schema_version(db *d)
{
    return d->version;
}

hail_err db_fail(db *d, const char *what)
{
    if (d->engine == DB_POSTGRES)
        return d->pg ? pg_fail(d->pg, what)
                     : hail_errf(HAIL_EUNAVAIL,
                                 "the database cannot be reached; try again in a moment");
    int rc = sqlite3_extended_errcode(d->h);
    const char *msg = sqlite3_errmsg(d->h);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return hail_errf(HAIL_EEXIST, "%s: %s", what, msg);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
        /* Plain words for whoever sees it (an HTTP client gets a 503). */
        log_warn("store: %s: %s", what, msg);
        return hail_errf(HAIL_EUNAVAIL, "the database is busy; try again in a moment");
    }
    return hail_errf(HAIL_EDB, "%s: %s", what, msg);
}

db_errkind db_last_error(db *d)
{
    if (d->engine == DB_POSTGRES)
        return d->pg ? pg_errkind(d->pg) : DB_ERR_CONNECTION;
    int rc = sqlite3_extended_errcode(d->h);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return DB_ERR_UNIQUE;
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return DB_ERR_FOREIGN_KEY;
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return DB_ERR_BUSY;
    return DB_ERR_OTHER;
}

int64_t db_changes(db *d)
{
    if (d->engine == DB_POSTGRES)
        return d->pg ? pg_changes(d->pg) : 0;
    return sqlite3_changes64(d->h);
}

/* PostgreSQL: a broken connection is dropped with its statements, and the
 * next statement or transaction connects again. */
static void pg_drop(db *d)
{
    for (size_t i = 0; i < d->cap; i++) {
        if (d->cache[i].st && d->cache[i].st->pg) {
            pg_st_free(d->cache[i].st->pg);
            d->cache[i].st->pg = NULL;
        }
    }
    pg_disconnect(d->pg);
    d->pg = NULL;
}

static hail_err pg_ready(db *d)
{
    if (d->pg && pg_broken(d->pg)) {
        if (pg_in_tx(d->pg))
            return pg_fail(d->pg, "query"); /* the transaction is lost: the caller rolls back */
        log_warn("store: lost the connection to %s; reconnecting", d->name);
        pg_drop(d);
    }
    if (!d->pg) {
        hail_err e = pg_connect(d->path, &d->pg);
        if (e) {
            d->pg = NULL;
            return e;
        }
    }
    return HAIL_OK;
}

hail_err db_exec(db *d, const char *sql)
{
    if (d->engine == DB_POSTGRES) {
        hail_err e = pg_ready(d);
        return e ? e : pg_exec(d->pg, sql);
    }
    char *err = NULL;
    if (sqlite3_exec(d->h, sql, NULL, NULL, &err) != SQLITE_OK) {
        hail_err e = hail_errf(HAIL_EDB, "%s", err ? err : sqlite3_errmsg(d->h));
        sqlite3_free(err);
        return e;
    }
    return HAIL_OK;
}

static size_t stmt_hash(const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15u;
    return (size_t)(h ^ (h >> 29));
}

/* Doubles the table (or makes the first one). */
static int stmt_grow(db *d)
{
    size_t cap = d->cap ? d->cap * 2 : 64;
    struct stmt_slot *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < d->cap; i++) {
        if (!d->cache[i].sql)
            continue;
        size_t j = stmt_hash(d->cache[i].sql) & (cap - 1);
        while (t[j].sql)
            j = (j + 1) & (cap - 1);
        t[j] = d->cache[i];
    }
    free(d->cache);
    d->cache = t;
    d->cap = cap;
    return 0;
}

static sqlite3_stmt *lite_prepare(db *d, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        hail_errf(HAIL_EDB, "prepare: %s", sqlite3_errmsg(d->h));
        log_error("store: cannot prepare: %s: %s", sqlite3_errmsg(d->h), sql);
        return NULL;
    }
    /* SQLite numbers "$N" parameters by first appearance, not by N: insist
     * they match so binding by number is always right. */
    int n = sqlite3_bind_parameter_count(st);
    for (int i = 1; i <= n; i++) {
        const char *name = sqlite3_bind_parameter_name(st, i);
        char want[16];
        snprintf(want, sizeof want, "$%d", i);
        if (!name || strcmp(name, want) != 0) {
            log_error("store: parameter %d is %s, not %s, in: %s", i, name ? name : "?", want, sql);
            sqlite3_finalize(st);
            hail_errf(HAIL_EDB, "statement parameters out of order");
            return NULL;
        }
    }
    return st;
}

/* Prepares sql on the engine into st (a cached slot whose engine statement
 * is missing: new, or dropped with a lost PostgreSQL connection). */
static int stmt_prepare(db *d, db_st *st, const char *sql)
{
    if (d->engine == DB_SQLITE)
        return (st->lite = lite_prepare(d, sql)) ? 0 : -1;
    if (pg_ready(d))
        return -1;
    return (st->pg = pg_prepare(d->pg, sql)) ? 0 : -1;
}

/* A new statement for sql, prepared (NULL with hail_errmsg set). */
static db_st *stmt_new(db *d, const char *sql)
{
    db_st *st = calloc(1, sizeof *st);
    if (!st) {
        hail_errf(HAIL_ENOMEM, "out of memory");
        return NULL;
    }
    st->d = d;
    if (stmt_prepare(d, st, sql)) {
        free(st);
        return NULL;
    }
    return st;
}

db_st *db_stmt(db *d, const char *sql)
{
    if (d->engine == DB_POSTGRES && d->pg && pg_broken(d->pg) && !pg_in_tx(d->pg) && pg_ready(d))
        return NULL;
    if (d->cap) {
        for (size_t i = stmt_hash(sql) & (d->cap - 1);; i = (i + 1) & (d->cap - 1)) {
            struct stmt_slot *s = &d->cache[i];
            if (s->sql == sql) {
                db_st *st = s->st;
                if (st->lite) {
                    sqlite3_reset(st->lite);
                    sqlite3_clear_bindings(st->lite);
                } else if (st->pg) {
                    pg_reset(st->pg);
                    pg_clear_bindings(st->pg);
                } else if (stmt_prepare(d, st, sql)) {
                    return NULL;
                }
                return st;
            }
            if (!s->sql)
                break;
        }
    }
    if ((d->used + 1) * 2 > d->cap && stmt_grow(d) != 0) {
        hail_errf(HAIL_ENOMEM, "out of memory");
        return NULL;
    }
    db_st *st = stmt_new(d, sql);
    if (!st)
        return NULL;
    size_t i = stmt_hash(sql) & (d->cap - 1);
    while (d->cache[i].sql)
        i = (i + 1) & (d->cap - 1);
    d->cache[i].sql = sql;
    d->cache[i].st = st;
    d->used++;
    return st;
}

db_st *db_prepare(db *d, const char *sql)
{
    if (d->engine == DB_POSTGRES && d->pg && pg_broken(d->pg) && !pg_in_tx(d->pg) && pg_ready(d))
        return NULL;
    return stmt_new(d, sql);
}

void db_st_free(db_st *st)
{
    if (!st)
        return;
    if (st->lite)
        sqlite3_finalize(st->lite);
    if (st->pg)
        pg_st_free(st->pg);
    free(st);
}

size_t db_stmt_count(db *d)
{
    return d->used;
}

/* ---- statements: one branch per call, no table of functions ---- */

void db_bind_i64(db_st *st, int i, int64_t v)
{
    if (st->lite)
        sqlite3_bind_int64(st->lite, i, (sqlite3_int64)v);
    else
        pg_bind_i64(st->pg, i, v);
}

void db_bind_double(db_st *st, int i, double v)
{
    if (st->lite)
        sqlite3_bind_double(st->lite, i, v);
    else
        pg_bind_double(st->pg, i, v);
}

static void bind_text(db_st *st, int i, const char *s, int len, int copy)
{
    if (!s)
        db_bind_null(st, i);
    else if (st->lite)
        sqlite3_bind_text(st->lite, i, s, len, copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
    else
        pg_bind_text(st->pg, i, s, len, copy);
}

void db_bind_text(db_st *st, int i, const char *s, int len)
{
    bind_text(st, i, s, len, 1);
}

void db_bind_text_ref(db_st *st, int i, const char *s, int len)
{
    bind_text(st, i, s, len, 0);
}

void db_bind_blob(db_st *st, int i, const void *p, size_t n)
{
    if (st->lite)
        sqlite3_bind_blob64(st->lite, i, n ? p : "", (sqlite3_uint64)n, SQLITE_TRANSIENT);
    else
        pg_bind_blob(st->pg, i, p, n);
}

void db_bind_null(db_st *st, int i)
{
    if (st->lite)
        sqlite3_bind_null(st->lite, i);
    else
        pg_bind_null(st->pg, i);
}

int db_step(db_st *st)
{
    if (!st->lite) {
        int rc = pg_step(st->pg);
        return rc;
    }
    switch (sqlite3_step(st->lite)) {
    case SQLITE_ROW:
        return DB_ROW;
    case SQLITE_DONE:
        return DB_DONE;
    default:
        return DB_ERROR;
    }
}

void db_reset(db_st *st)
{
    if (st->lite)
        sqlite3_reset(st->lite);
    else
        pg_reset(st->pg);
}

int64_t db_col_i64(db_st *st, int i)
{
    return st->lite ? (int64_t)sqlite3_column_int64(st->lite, i) : pg_col_i64(st->pg, i);
}

int db_col_int(db_st *st, int i)
{
    return st->lite ? sqlite3_column_int(st->lite, i) : (int)pg_col_i64(st->pg, i);
}

double db_col_double(db_st *st, int i)
{
    return st->lite ? sqlite3_column_double(st->lite, i) : pg_col_double(st->pg, i);
}

const char *db_col_text(db_st *st, int i)
{
    return st->lite ? (const char *)sqlite3_column_text(st->lite, i) : pg_col_text(st->pg, i);
}

const void *db_col_blob(db_st *st, int i)
{
    return st->lite ? sqlite3_column_blob(st->lite, i) : pg_col_blob(st->pg, i);
}

size_t db_col_bytes(db_st *st, int i)
{
    return st->lite ? (size_t)sqlite3_column_bytes(st->lite, i) : pg_col_bytes(st->pg, i);
}

int db_col_null(db_st *st, int i)
{
    return st->lite ? sqlite3_column_type(st->lite, i) == SQLITE_NULL : pg_col_null(st->pg, i);
}

int db_col_count(db_st *st)
{
    return st->lite ? sqlite3_column_count(st->lite) : pg_col_count(st->pg);
}

hail_err db_step_done(db *d, db_st *st, const char *what)
{
    int rc = db_step(st);
    hail_err e = rc == DB_ERROR ? db_fail(d, what) : HAIL_OK;
    db_reset(st);
    return e;
}

hail_err db_one_json(db *d, db_st *st, db_row_json_fn row, json_t **out, const char *what)
{
    *out = NULL;
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        if (!(*out = row(d, st)))
            e = HAIL_ENOMEM;
    } else if (rc == DB_DONE) {
        e = HAIL_ENOTFOUND;
    } else {
        e = db_fail(d, what);
    }
    db_reset(st);
    return e;
}

hail_err db_all_json(db *d, db_st *st, db_row_json_fn row, json_t **out, const char *what)
{
    *out = json_array();
    if (!*out) {
        db_reset(st);
        return HAIL_ENOMEM;
    }
    int rc;
    hail_err e = HAIL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        json_t *j = row(d, st);
        if (!j || json_array_append_new(*out, j)) {
            e = HAIL_ENOMEM;
            break;
        }
    }
    if (!e && rc != DB_DONE)
        e = db_fail(d, what);
    db_reset(st);
    return e;
}

static hail_err begin(db *d)
{
    if (d->engine == DB_POSTGRES) {
        hail_err e = pg_ready(d);
        if (!e)
            e = pg_begin(d->pg, d->no_wait ? 0 : (int)(d->wait_max / 1000));
        d->tx_start = time_mono_us();
        if (!e && d->tx_hook && (e = d->tx_hook(d, 1)))
            db_rollback(d);
        return e;
    }
    db_st *st = db_stmt(d, "BEGIN IMMEDIATE");
    int64_t t0 = time_mono_us();
    d->beginning = 1;
    d->wait_start = 0;
    hail_err e = st ? db_step_done(d, st, "begin") : HAIL_EDB;
    d->beginning = 0;
    waiter_done(d);
    signal_done(d);
    d->tx_start = time_mono_us();
    if (!e)
        atomic_store(&last_acquired, d->tx_start);
    /* A long wait for the lock is worth knowing about (a bulk writer that
     * does not yield, another program holding the database). */
    if (d->wait_start && d->tx_start - t0 >= WAIT_LOG_US)
        log_warn("store: a write waited %lld ms for the database%s",
                 (long long)((d->tx_start - t0) / 1000), e ? " and gave up" : "");
    if (!e && d->tx_hook && (e = d->tx_hook(d, 1)))
        db_rollback(d);
    return e;
}

hail_err db_begin(db *d)
{
    return begin(d);
}

hail_err db_begin_try(db *d)
{
    d->no_wait = 1;
    hail_err e = begin(d);
    d->no_wait = 0;
    return e;
}

void db_set_tx_hook(db *d, db_tx_hook hook)
{
    d->tx_hook = hook;
}

hail_err db_commit(db *d)
{
    if (d->tx_hook && db_in_tx(d)) {
        hail_err e = d->tx_hook(d, 0);
        if (e)
            return e;
    }
    if (d->engine == DB_POSTGRES)
        return d->pg ? pg_commit(d->pg) : db_fail(d, "commit");
    db_st *st = db_stmt(d, "COMMIT");
    return st ? db_step_done(d, st, "commit") : HAIL_EDB;
}

void db_rollback(db *d)
{
    if (d->engine == DB_POSTGRES) {
        if (d->pg)
            pg_rollback(d->pg);
        return;
    }
    if (!sqlite3_get_autocommit(d->h))
        sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
}

int64_t db_tx_held_us(db *d)
{
    return db_in_tx(d) ? time_mono_us() - d->tx_start : 0;
}

int db_in_tx(db *d)
{
    if (d->engine == DB_POSTGRES)
        return d->pg && pg_in_tx(d->pg);
    return !sqlite3_get_autocommit(d->h);
}

hail_err db_lock(db *d, const char *name)
{
    if (d->engine == DB_SQLITE)
        return HAIL_OK;
    return d->pg ? pg_lock(d->pg, name) : db_fail(d, "lock");
}

int db_bulk_due(db *d)
{
    int64_t held = db_tx_held_us(d);
    if (d->engine == DB_POSTGRES)
        return held >= DB_BULK_HOLD_PG_US;
    return held >= DB_BULK_HOLD_US || (held >= DB_BULK_MIN_US && others_waiting(d));
}

void db_bulk_pause(db *d)
{
    if (d->engine == DB_POSTGRES)
        return; /* nobody waits for a bulk writer's row locks */
    /* Until every writer that was waiting got its turn (bounded), else a
     * moment for one that does not say it waits (another program). */
    int64_t t0 = time_mono_us();
    do
        time_sleep_us(DB_BULK_GAP_US, NULL);
    while (others_waiting(d) && time_mono_us() - t0 < DB_BULK_PAUSE_MAX_US);
}

hail_err db_bulk_run(db *d, int64_t rows, db_bulk_step step, void *ctx)
{
    int done = 0;
    hail_err e = HAIL_OK;
    while (!e && !done) {
        if ((e = db_begin(d)))
            break;
        while (!e && !done && !db_bulk_due(d)) {
            int64_t t0 = time_mono_us();
            if ((e = step(d, ctx, rows, &done)))
                break;
            int64_t took = time_mono_us() - t0;
            if (took < DB_BULK_STEP_US / 2 && rows < (1 << 20))
                rows *= 2;
            else if (took > DB_BULK_STEP_US && rows > 64)
                rows /= 2;
        }
        if (!e)
            e = db_commit(d);
        if (e)
            db_rollback(d);
        else if (!done)
            db_bulk_pause(d);
    }
    return e;
}

/* ---- COPY (PostgreSQL) ---- */

static hail_err copy_sqlite(void)
{
    return hail_errf(HAIL_EINVAL, "COPY is a PostgreSQL statement");
}

hail_err db_copy_begin(db *d, const char *copy_sql)
{
    if (d->engine != DB_POSTGRES)
        return copy_sqlite();
    hail_err e = pg_ready(d);
    return e ? e : pg_copy_begin(d->pg, copy_sql);
}

hail_err db_copy_put(db *d, const char *data, size_t n)
{
    if (d->engine != DB_POSTGRES)
        return copy_sqlite();
    return d->pg ? pg_copy_put(d->pg, data, n) : db_fail(d, "copy");
}

hail_err db_copy_end(db *d)
{
    if (d->engine != DB_POSTGRES)
        return copy_sqlite();
    return d->pg ? pg_copy_end(d->pg) : db_fail(d, "copy");
}

hail_err db_copy_field(buf *b, const char *s, size_t n, int first)
{
    hail_err e = first ? HAIL_OK : buf_putc(b, '\t');
    if (e)
        return e;
    if (!s)
        return buf_append(b, "\\N", 2);
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = NULL;
        switch (s[i]) {
        case '\\':
            esc = "\\\\";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        default:
            continue;
        }
        if ((e = buf_append(b, s + from, i - from)) || (e = buf_append(b, esc, 2)))
            return e;
        from = i + 1;
    }
    return buf_append(b, s + from, n - from);
}

static int read_version(db *d)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(d->h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

int db_schema_latest(void)
{
    return schema_latest();
}

static hail_err migrate(db *d)
{
    int latest = schema_latest();
    if (d->version > latest)
        return hail_errf(HAIL_ESCHEMA,
                         "%s has schema version %d, newer than this hail understands (%d); "
                         "run a newer hail",
                         d->name, d->version, latest);
    for (int v = d->version + 1; v <= latest; v++) {
        hail_err e = db_exec(d, "BEGIN IMMEDIATE");
        if (e)
            return e;
        /* Re-read inside the write lock: another process may have migrated. */
        int cur = read_version(d);
        if (cur >= v) {
            db_exec(d, "COMMIT");
            continue;
        }
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v);
        if ((e = db_exec(d, schema_migration(v))) || (e = db_exec(d, pragma))) {
            hail_err r =
                hail_errf(e, "migration to schema version %d failed: %s", v, hail_errmsg());
            db_rollback(d);
            return r;
        }
        if ((e = db_exec(d, "COMMIT")))
            return e;
        log_info("store: %s migrated to schema version %d", d->name, v);
    }
    d->version = latest;
    return HAIL_OK;
}

/* ---- targets ---- */

db_engine db_target_engine(const char *t)
{
    if (!strncmp(t, "postgres://", 11) || !strncmp(t, "postgresql://", 13))
        return DB_POSTGRES;
    /* libpq's key=value form: the first token is a keyword and '=' */
    size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyz_");
    while (n > 0 && t[n] == ' ')
        n++;
    return n > 0 && t[n] == '=' ? DB_POSTGRES : DB_SQLITE;
}

/* Appends src[0..n) to out (at *len, capacity size, always terminated). */
static void put(char *out, size_t size, size_t *len, const char *src, size_t n)
{
    if (*len + 1 >= size)
        return;
    if (n > size - 1 - *len)
        n = size - 1 - *len;
    memcpy(out + *len, src, n);
    *len += n;
    out[*len] = '\0';
}

/* A URL: the password of user:password@ and any password= parameter. */
static void redact_url(const char *t, char *out, size_t size)
{
    size_t len = 0;
    const char *auth = strstr(t, "://") + 3;
    size_t hostpart = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', hostpart);
    /* the last '@' of the authority: a password may hold '@' unescaped */
    for (const char *p = at; p && p < auth + hostpart;
         p = memchr(p + 1, '@', (size_t)(auth + hostpart - p - 1)))
        at = p;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    const char *p = t;
    if (colon) {
        put(out, size, &len, t, (size_t)(colon + 1 - t));
        put(out, size, &len, "***", 3);
        p = at;
    }
    /* query parameters: password=… up to '&' or the end */
    while (*p) {
        const char *q = strstr(p, "password=");
        if (!q || (q != t && q[-1] != '?' && q[-1] != '&')) {
            if (!q) {
                put(out, size, &len, p, strlen(p));
                break;
            }
            put(out, size, &len, p, (size_t)(q + 9 - p));
            p = q + 9;
            continue;
        }
        put(out, size, &len, p, (size_t)(q + 9 - p));
        put(out, size, &len, "***", 3);
        p = q + 9 + strcspn(q + 9, "&#");
    }
    if (size)
        out[len < size ? len : size - 1] = '\0';
}

/* key=value …: the value of password (plain or 'quoted'). */
static void redact_kv(const char *t, char *out, size_t size)
{
    size_t len = 0;
    const char *p = t;
    while (*p) {
        const char *k = p + strspn(p, " \t\n");
        put(out, size, &len, p, (size_t)(k - p));
        if (!*k)
            break;
        size_t kn = strcspn(k, " \t\n=");
        const char *eq = k + kn + strspn(k + kn, " \t\n");
        if (*eq != '=') { /* not key=value: copy the rest as is */
            put(out, size, &len, k, strlen(k));
            break;
        }
        const char *v = eq + 1 + strspn(eq + 1, " \t\n");
        const char *end = v;
        if (*v == '\'') {
            for (end = v + 1; *end && *end != '\''; end++)
                if (*end == '\\' && end[1])
                    end++;
            if (*end == '\'')
                end++;
        } else {
            end = v + strcspn(v, " \t\n");
        }
        put(out, size, &len, k, (size_t)(v - k));
        if (kn == 8 && !strncmp(k, "password", 8))
            put(out, size, &len, "***", 3);
        else
            put(out, size, &len, v, (size_t)(end - v));
        p = end;
    }
}

void db_target_redact(const char *t, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = '\0';
    if (db_target_engine(t) == DB_SQLITE)
        snprintf(out, size, "%s", t);
    else if (strstr(t, "://"))
        redact_url(t, out, size);
    else
        redact_kv(t, out, size);
}

/* ---- opening ---- */

/* 1 when the SQLite file has any table (or cannot tell). */
static int has_tables(db *d)
{
    sqlite3_stmt *st;
    int n = 1;
    if (sqlite3_prepare_v2(d->h, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1, &st,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return n > 0;
}

/* A statement inside a longer transaction keeps a statement journal (the
 * pages it changed, to undo just it on a constraint error). SQLite writes it
 * to a temporary file once it passes 64 KiB, which an insert into a table
 * with many indexes (emails) does in a batch: a write(2) per row, 14% of a
 * scheduler pass. Kept in memory up to 120 KiB instead. SQLite allocates
 * that much in one piece for every statement that journals and frees it when
 * the statement ends, so it must stay small: at 8 MiB the allocation alone
 * made a people import four times slower under ASan (whose allocator maps
 * and unmaps every block over 128 KiB). Must run before SQLite initializes:
 * once, before the first open. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static void sqlite_configure(void)
{
    if (sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 120 << 10) != SQLITE_OK)
        log_warn("sqlite: statement journals spill to disk at the default size");
}

static hail_err open_sqlite(db *d, const char *path, unsigned flags)
{
    pthread_once(&sqlite_once, sqlite_configure);
    int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (flags & DB_MIGRATE)
        oflags |= SQLITE_OPEN_CREATE;
    hail_err e;
    if (sqlite3_open_v2(path, &d->h, oflags, NULL) != SQLITE_OK)
        return hail_errf(HAIL_EIO, "cannot open database %s: %s", path,
                         d->h ? sqlite3_errmsg(d->h) : "out of memory");
    d->wait_max = WAIT_DEFAULT_US;
    sqlite3_busy_handler(d->h, on_busy, d);
    if ((e = people_register_functions(d->h)))
        return e;
    sqlite3_extended_result_codes(d->h, 1);
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
             "PRAGMA cache_size=-16000; PRAGMA wal_autocheckpoint=4000;",
             atomic_load(&sync_normal) ? "NORMAL" : "FULL");
    if ((e = db_exec(d, pragmas)))
        return hail_errf(HAIL_EIO, "cannot use database %s: %s", path, hail_errmsg());
    d->version = read_version(d);
    if (d->version < 0)
        return hail_errf(HAIL_EIO, "%s is not a hail database", path);
    /* Version 0 with tables in it: another application's file. Left as it is. */
    if (d->version == 0 && has_tables(d))
        return hail_errf(HAIL_ESCHEMA,
                         "%s holds tables of another application (schema version 0); "
                         "use a new file",
                         path);
    if (flags & DB_MIGRATE)
        return migrate(d);
    if (d->version > schema_latest())
        return migrate(d); /* refuses it, in the same words as with DB_MIGRATE */
    if (d->version != schema_latest())
        return hail_errf(HAIL_ESCHEMA, "%s has schema version %d; this hail needs %d", path,
                         d->version, schema_latest());
    return HAIL_OK;
}

static hail_err open_postgres(db *d, const char *target, unsigned flags)
{
    d->wait_max = WAIT_DEFAULT_US;
    hail_err e = pg_connect(target, &d->pg);
    if (e) {
        d->pg = NULL;
        return e;
    }
    return pg_open_schema(d->pg, d->name, flags, &d->version);
}

hail_err db_open(const char *target, unsigned flags, db **out)
{
    *out = NULL;
    db *d = calloc(1, sizeof *d);
    if (!d)
        return HAIL_ENOMEM;
    d->engine = db_target_engine(target);
    d->wait_fd = -1;
    char name[1024];
    db_target_redact(target, name, sizeof name);
    hail_err e;
    if (!(d->path = strdup(target)) || !(d->name = strdup(name))) {
        e = HAIL_ENOMEM;
        goto fail;
    }
    e = d->engine == DB_POSTGRES ? open_postgres(d, target, flags) : open_sqlite(d, target, flags);
    if (!e && (flags & DB_MIGRATE))
        e = schema_ensure_indexes(d);
    if (e)
        goto fail;
    *out = d;
    return HAIL_OK;
fail:
    db_close(d);
    return e;
}

void db_close(db *d)
{
    if (!d)
        return;
    waiter_done(d);
    signal_done(d);
    if (d->wait_fd >= 0)
        close(d->wait_fd);
    for (size_t i = 0; i < d->cap; i++) {
        db_st *st = d->cache[i].st;
        if (!st)
            continue;
        if (st->lite)
            sqlite3_finalize(st->lite);
        if (st->pg)
            pg_st_free(st->pg);
        free(st);
    }
    free(d->cache);
    if (d->h)
        sqlite3_close(d->h);
    pg_disconnect(d->pg);
    free(d->path);
    free(d->name);
    free(d);
}

/* One connection per thread per target (a server has one). */
static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_db_free(void *p)
{
    db_close(p);
}

static void thread_key_make(void)
{
    pthread_key_create(&thread_key, thread_db_free);
}

hail_err db_thread(const char *target, db **out)
{
    pthread_once(&thread_once, thread_key_make);
    db *d = pthread_getspecific(thread_key);
    if (d && strcmp(d->path, target) == 0) {
        *out = d;
        return HAIL_OK;
    }
    if (d) {
        db_close(d);
        pthread_setspecific(thread_key, NULL);
    }
    hail_err e = db_open(target, 0, &d);
    if (e)
        return e;
    /* Server threads read through a shared memory map instead of copying
     * pages into each connection's cache (+23% search throughput measured).
     * They never checkpoint: the commit that crosses the WAL threshold pays
     * for the checkpoint (100+ ms after a bulk load grew the WAL), and a
     * request must not. The checkpointer thread (db_checkpointer_start) does. */
    if (d->engine == DB_SQLITE)
        db_exec(d, "PRAGMA mmap_size = 1073741824; PRAGMA wal_autocheckpoint=0;");
    d->interactive = 1;
    d->wait_max = WAIT_INTERACTIVE_US;
    pthread_setspecific(thread_key, d);
    *out = d;
    return HAIL_OK;
}

hail_err db_kv_get(db *d, const char *key, char **out)
{
    *out = NULL;
    db_st *st = db_stmt(d, "SELECT value FROM kv WHERE key = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, key, -1);
    int rc = db_step(st);
    hail_err e = HAIL_OK;
    if (rc == DB_ROW) {
        *out = strdup(db_col_text(st, 0));
        if (!*out)
            e = HAIL_ENOMEM;
    } else if (rc != DB_DONE) {
        e = db_fail(d, "kv get");
    }
    db_reset(st);
    return e;
}

hail_err db_kv_set(db *d, const char *key, const char *value)
{
    db_st *st = db_stmt(d, "INSERT INTO kv(key, value, updated_at) VALUES($1, $2, $3) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                           "updated_at = excluded.updated_at");
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, key, -1);
    db_bind_text_ref(st, 2, value, -1);
    db_bind_i64(st, 3, time_now_us());
    return db_step_done(d, st, "kv set");
}

hail_err db_kv_del(db *d, const char *key)
{
    db_st *st = db_stmt(d, "DELETE FROM kv WHERE key = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_text_ref(st, 1, key, -1);
    return db_step_done(d, st, "kv delete");
}

/* The checkpointer: one thread of `hail serve` with its own connection that
 * copies the WAL back into the database every DB_CHECKPOINT_US (PASSIVE: it
 * never waits for, nor blocks, readers or writers; what it cannot copy now it
 * copies next time). Bulk writers in other processes still checkpoint on their
 * own commits (SQLite's default threshold). */
#define DB_CHECKPOINT_US (500 * 1000)

struct db_checkpointer {
    pthread_t thread;
    atomic_int stop;
    char *path;
};

static void *checkpointer_main(void *arg)
{
    db_checkpointer *c = arg;
    db *d = NULL;
    while (!atomic_load(&c->stop)) {
        if (!d && db_open(c->path, 0, &d))
            log_warn("store: checkpointer: %s", hail_errmsg());
        if (d) {
            int log = 0, done = 0;
            int rc = sqlite3_wal_checkpoint_v2(d->h, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
            if (rc != SQLITE_OK && rc != SQLITE_BUSY)
                log_warn("store: checkpoint: %s", sqlite3_errmsg(d->h));
        }
        time_sleep_us(DB_CHECKPOINT_US, &c->stop);
    }
    db_close(d);
    return NULL;
}

hail_err db_checkpointer_start(const char *path, db_checkpointer **out)
{
    *out = NULL;
    if (db_target_engine(path) == DB_POSTGRES)
        return HAIL_OK;
    db_checkpointer *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        return HAIL_ENOMEM;
    }
    atomic_init(&c->stop, 0);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        free(c->path);
        free(c);
        return hail_errf(HAIL_EIO, "cannot start the checkpointer thread");
    }
    *out = c;
    return HAIL_OK;
}

void db_checkpointer_stop(db_checkpointer *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    pthread_join(c->thread, NULL);
    free(c->path);
    free(c);
}
