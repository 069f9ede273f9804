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

#include "core/log.h"
#include "core/timeutil.h"
#include "store/people.h"
#include "store/schema.h"

/* Prepared statements, cached per connection in an open-addressing table
 * keyed by the SQL text's address. The set of statements is the program's
 * SQL literals (plus a few built once), so the table grows to hold them all
 * instead of evicting: nothing is ever prepared twice. */
struct stmt_slot {
    const char *sql;
    sqlite3_stmt *st;
};

/* How long a connection waits for the write lock, and how (see db_set_wait). */
#define WAIT_POLL_US        1000                    /* a waiting writer retries every 1 ms */
#define WAIT_DEFAULT_US     (INT64_C(10) * 1000000) /* CLI, sync: 10 s */
#define WAIT_INTERACTIVE_US (INT64_C(2) * 1000000)  /* HTTP threads (db_thread): 2 s */
#define WAIT_LOG_US         (INT64_C(100) * 1000)   /* a longer wait is logged */

struct db {
    sqlite3 *h;
    char *path;
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

const char *db_path(db *d)
{
    return d->path;
}

int db_schema_version(db *d)
{
    return d->version;
}

hail_err db_fail(db *d, const char *what)
{
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

hail_err db_exec(db *d, const char *sql)
{
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

static sqlite3_stmt *stmt_prepare(db *d, const char *sql)
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

sqlite3_stmt *db_stmt(db *d, const char *sql)
{
    if (d->cap) {
        for (size_t i = stmt_hash(sql) & (d->cap - 1);; i = (i + 1) & (d->cap - 1)) {
            struct stmt_slot *s = &d->cache[i];
            if (s->sql == sql) {
                sqlite3_reset(s->st);
                sqlite3_clear_bindings(s->st);
                return s->st;
            }
            if (!s->sql)
                break;
        }
    }
    if ((d->used + 1) * 2 > d->cap && stmt_grow(d) != 0) {
        hail_errf(HAIL_ENOMEM, "out of memory");
        return NULL;
    }
    sqlite3_stmt *st = stmt_prepare(d, sql);
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

size_t db_stmt_count(db *d)
{
    return d->used;
}

int db_bind_text(sqlite3_stmt *st, int i, const char *s, int len)
{
    if (!s)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, len, SQLITE_TRANSIENT);
}

hail_err db_step_done(db *d, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    hail_err e = HAIL_OK;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        e = db_fail(d, what);
    sqlite3_reset(st);
    return e;
}

hail_err db_one_json(db *d, sqlite3_stmt *st, db_row_json_fn row, json_t **out, const char *what)
{
    *out = NULL;
    int rc = sqlite3_step(st);
    hail_err e = HAIL_OK;
    if (rc == SQLITE_ROW) {
        if (!(*out = row(d, st)))
            e = HAIL_ENOMEM;
    } else if (rc == SQLITE_DONE) {
        e = HAIL_ENOTFOUND;
    } else {
        e = db_fail(d, what);
    }
    sqlite3_reset(st);
    return e;
}

hail_err db_all_json(db *d, sqlite3_stmt *st, db_row_json_fn row, json_t **out, const char *what)
{
    *out = json_array();
    if (!*out) {
        sqlite3_reset(st);
        return HAIL_ENOMEM;
    }
    int rc;
    hail_err e = HAIL_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *j = row(d, st);
        if (!j || json_array_append_new(*out, j)) {
            e = HAIL_ENOMEM;
            break;
        }
    }
    if (!e && rc != SQLITE_DONE)
        e = db_fail(d, what);
    sqlite3_reset(st);
    return e;
}

static hail_err begin(db *d)
{
    sqlite3_stmt *st = db_stmt(d, "BEGIN IMMEDIATE");
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
    sqlite3_stmt *st = db_stmt(d, "COMMIT");
    return st ? db_step_done(d, st, "commit") : HAIL_EDB;
}

void db_rollback(db *d)
{
    if (!sqlite3_get_autocommit(d->h))
        sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
}

int64_t db_tx_held_us(db *d)
{
    return db_in_tx(d) ? time_mono_us() - d->tx_start : 0;
}

int db_in_tx(db *d)
{
    return !sqlite3_get_autocommit(d->h);
}

int db_bulk_due(db *d)
{
    int64_t held = db_tx_held_us(d);
    return held >= DB_BULK_HOLD_US || (held >= DB_BULK_MIN_US && others_waiting(d));
}

void db_bulk_pause(db *d)
{
    /* Until every writer that was waiting got its turn (bounded), else a
     * moment for one that does not say it waits (another program). */
    int64_t t0 = time_mono_us();
    do
        time_sleep_us(DB_BULK_GAP_US, NULL);
    while (others_waiting(d) && time_mono_us() - t0 < DB_BULK_PAUSE_MAX_US);
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
                         d->path, d->version, latest);
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
        log_info("store: %s migrated to schema version %d", d->path, v);
    }
    d->version = latest;
    return HAIL_OK;
}

hail_err db_open(const char *path, unsigned flags, db **out)
{
    *out = NULL;
    db *d = calloc(1, sizeof *d);
    if (!d)
        return HAIL_ENOMEM;
    d->path = strdup(path);
    d->wait_fd = -1;
    int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (flags & DB_MIGRATE)
        oflags |= SQLITE_OPEN_CREATE;
    hail_err e;
    if (!d->path) {
        e = HAIL_ENOMEM;
        goto fail;
    }
    if (sqlite3_open_v2(path, &d->h, oflags, NULL) != SQLITE_OK) {
        e = hail_errf(HAIL_EIO, "cannot open database %s: %s", path,
                      d->h ? sqlite3_errmsg(d->h) : "out of memory");
        goto fail;
    }
    d->wait_max = WAIT_DEFAULT_US;
    sqlite3_busy_handler(d->h, on_busy, d);
    if ((e = people_register_functions(d->h)))
        goto fail;
    sqlite3_extended_result_codes(d->h, 1);
    const char *sync = getenv("HAIL_DB_SYNC");
    if (sync && *sync && strcasecmp(sync, "normal") && strcasecmp(sync, "full")) {
        e = hail_errf(HAIL_EINVAL, "HAIL_DB_SYNC must be full or normal, not '%.40s'", sync);
        goto fail;
    }
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
             "PRAGMA cache_size=-16000; PRAGMA wal_autocheckpoint=4000;",
             sync && strcasecmp(sync, "normal") == 0 ? "NORMAL" : "FULL");
    if ((e = db_exec(d, pragmas))) {
        e = hail_errf(HAIL_EIO, "cannot use database %s: %s", path, hail_errmsg());
        goto fail;
    }
    d->version = read_version(d);
    if (d->version < 0) {
        e = hail_errf(HAIL_EIO, "%s is not a hail database", path);
        goto fail;
    }
    if (flags & DB_MIGRATE) {
        if ((e = migrate(d)))
            goto fail;
        if ((e = schema_ensure_indexes(d)))
            goto fail;
    } else if (d->version > schema_latest()) {
        e = migrate(d); /* refuses it, in the same words as with DB_MIGRATE */
        goto fail;
    } else if (d->version != schema_latest()) {
        e = hail_errf(HAIL_ESCHEMA, "%s has schema version %d; this hail needs %d", path,
                      d->version, schema_latest());
        goto fail;
    }
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
    for (size_t i = 0; i < d->cap; i++)
        if (d->cache[i].st)
            sqlite3_finalize(d->cache[i].st);
    free(d->cache);
    if (d->h)
        sqlite3_close(d->h);
    free(d->path);
    free(d);
}

/* One connection per thread per path (a server has one path). */
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

hail_err db_thread(const char *path, db **out)
{
    pthread_once(&thread_once, thread_key_make);
    db *d = pthread_getspecific(thread_key);
    if (d && strcmp(d->path, path) == 0) {
        *out = d;
        return HAIL_OK;
    }
    if (d) {
        db_close(d);
        pthread_setspecific(thread_key, NULL);
    }
    hail_err e = db_open(path, 0, &d);
    if (e)
        return e;
    /* Server threads read through a shared memory map instead of copying
     * pages into each connection's cache (+23% search throughput measured).
     * They never checkpoint: the commit that crosses the WAL threshold pays
     * for the checkpoint (100+ ms after a bulk load grew the WAL), and a
     * request must not. The checkpointer thread (db_checkpointer_start) does. */
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
    sqlite3_stmt *st = db_stmt(d, "SELECT value FROM kv WHERE key = $1");
    if (!st)
        return HAIL_EDB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    hail_err e = HAIL_OK;
    if (rc == SQLITE_ROW) {
        *out = strdup((const char *)sqlite3_column_text(st, 0));
        if (!*out)
            e = HAIL_ENOMEM;
    } else if (rc != SQLITE_DONE) {
        e = db_fail(d, "kv get");
    }
    sqlite3_reset(st);
    return e;
}

hail_err db_kv_set(db *d, const char *key, const char *value)
{
    sqlite3_stmt *st = db_stmt(d, "INSERT INTO kv(key, value, updated_at) VALUES($1, $2, $3) "
                                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                                  "updated_at = excluded.updated_at");
    if (!st)
        return HAIL_EDB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, time_now_us());
    return db_step_done(d, st, "kv set");
}

hail_err db_kv_del(db *d, const char *key)
{
    sqlite3_stmt *st = db_stmt(d, "DELETE FROM kv WHERE key = $1");
    if (!st)
        return HAIL_EDB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
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
    pthread_join(c->thread, NULL);
    free(c->path);
    free(c);
}
