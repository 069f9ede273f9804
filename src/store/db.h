/* The store: one SQLite database (WAL) behind a small interface.
 *
 * Services and the store's own query files use db_stmt() for cached prepared
 * statements, db_begin()/db_commit()/db_rollback() for short write
 * transactions, and db_fail() to turn an SQLite error into a hail_err. Nothing
 * above store/ sees SQL. A db handle belongs to one thread at a time; the HTTP
 * server gives each of its threads its own (db_thread()).
 *
 * SQL is written so PostgreSQL accepts it too: $1.. placeholders, ON CONFLICT,
 * RETURNING, integer epoch-microsecond timestamps, integer ids.
 */
#ifndef HAIL_STORE_DB_H
#define HAIL_STORE_DB_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include "core/err.h"

typedef struct db db;

enum {
    DB_MIGRATE = 1, /* create the file if needed and bring the schema up to date */
};

/* The schema version this binary writes. */
int db_schema_latest(void);

/* Opens (and with DB_MIGRATE creates and migrates) the database at path.
 * A database written by a newer hail is refused with HAIL_ESCHEMA. */
hail_err db_open(const char *path, unsigned flags, db **out);
void db_close(db *d);

/* A connection for the calling thread to the database at path, opened on
 * first use and closed when the thread exits. Such connections (the HTTP
 * threads') never checkpoint the WAL: run a checkpointer beside them. */
hail_err db_thread(const char *path, db **out);

/* A thread that checkpoints the WAL of the database at path twice a second
 * (passive: it never waits for readers or writers), so that no request pays
 * for a checkpoint. `hail serve` runs one. Stop joins the thread. */
typedef struct db_checkpointer db_checkpointer;
hail_err db_checkpointer_start(const char *path, db_checkpointer **out);
void db_checkpointer_stop(db_checkpointer *c);

sqlite3 *db_sqlite(db *d);
const char *db_path(db *d);
int db_schema_version(db *d);

/* A prepared statement for sql, cached per connection and keyed by the
 * string's address (pass string literals, or text built once and kept). It
 * comes back reset with its bindings cleared; NULL (with hail_errmsg set) if
 * SQLite rejects it. The cache grows as needed: there is no limit. */
sqlite3_stmt *db_stmt(db *d, const char *sql);
/* How many statements the connection has cached (for tests). */
size_t db_stmt_count(db *d);

/* Runs SQL with no results (may hold several statements). */
hail_err db_exec(db *d, const char *sql);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Rollback never fails from the caller's
 * point of view (it is the cleanup path).
 *
 * Waiting for the write lock: a connection from db_thread() (an HTTP thread)
 * waits at most 2 s, and only a few HTTP threads wait at once (the others are
 * refused at once, so reads always find a free thread); any other connection
 * (CLI, sync) waits up to 10 s. A write that cannot get the lock in time fails
 * with HAIL_EUNAVAIL ("the database is busy; try again in a moment"). */
hail_err db_begin(db *d);
/* BEGIN IMMEDIATE without waiting at all: HAIL_EUNAVAIL at once when another
 * connection writes (for best-effort writes on a read path). */
hail_err db_begin_try(db *d);
hail_err db_commit(db *d);
void db_rollback(db *d);
int db_in_tx(db *d);

/* Work done in every transaction of one connection: hook(d, 1) right after
 * its BEGIN, hook(d, 0) right before its COMMIT (a failure of either ends
 * the transaction: rolled back, or left for the caller to roll back). NULL:
 * none. The bulk people writer keeps a mark in it that only its own
 * transactions ever see (store/people.c). */
typedef hail_err (*db_tx_hook)(db *d, int begin);
void db_set_tx_hook(db *d, db_tx_hook hook);

/* How many HTTP threads may wait for the write lock at once (default 4);
 * `hail serve` sets half its thread pool. */
void db_set_interactive_waiters(int max);

/* Bulk writers (import, full sync) yield the write lock: they commit as soon
 * as another writer waits for it (after DB_BULK_MIN_US of work; hail's
 * writers say so through a flock() on "<database>-wait") and at the latest
 * after DB_BULK_HOLD_US (for a waiter that cannot say so: another program),
 * then pause (db_bulk_pause) until the waiting writers are in, and begin
 * again. A bulk writer checks db_bulk_due() at least every DB_BULK_STEP_US of
 * work. Commits are as rare as before when nobody waits (each costs an fsync
 * with synchronous=FULL). */
#define DB_BULK_HOLD_US      (INT64_C(100) * 1000)
#define DB_BULK_MIN_US       (INT64_C(2) * 1000)
#define DB_BULK_STEP_US      (INT64_C(5) * 1000)
#define DB_BULK_GAP_US       (INT64_C(1) * 1000)
#define DB_BULK_PAUSE_MAX_US (INT64_C(100) * 1000)
/* µs since this connection's transaction took the write lock (0 if none). */
int64_t db_tx_held_us(db *d);
/* 1 when a bulk writer should commit now (see above). Cheap: one flock(). */
int db_bulk_due(db *d);
/* The pause between two bulk transactions: DB_BULK_GAP_US, or until the
 * writers waiting are in (at most DB_BULK_PAUSE_MAX_US). */
void db_bulk_pause(db *d);

/* Records SQLite's current error for `what` and returns HAIL_EDB (or
 * HAIL_EEXIST for a unique-constraint failure, HAIL_EUNAVAIL with a plain
 * message when the database stayed locked past the wait). */
hail_err db_fail(db *d, const char *what);

/* Steps a statement expected to finish (INSERT/UPDATE/DELETE). */
hail_err db_step_done(db *d, sqlite3_stmt *st, const char *what);

/* Binds text or NULL when s is NULL. */
int db_bind_text(sqlite3_stmt *st, int i, const char *s, int len);

/* Turns the current row of st into a JSON value (NULL on out of memory). */
typedef json_t *(*db_row_json_fn)(db *d, sqlite3_stmt *st);

/* Steps st once: *out gets row(d, st) for a row, HAIL_ENOTFOUND (with no
 * message: the caller names what was missing) when there is none. Resets st. */
hail_err db_one_json(db *d, sqlite3_stmt *st, db_row_json_fn row, json_t **out, const char *what);

/* Steps st to the end, appending row(d, st) for each row to a new array *out
 * (always set; the caller releases it). Resets st. */
hail_err db_all_json(db *d, sqlite3_stmt *st, db_row_json_fn row, json_t **out, const char *what);

/* A small key/value table for settings and sync checkpoints. */
hail_err db_kv_get(db *d, const char *key, char **out); /* *out NULL if unset; free() it */
hail_err db_kv_set(db *d, const char *key, const char *value);
hail_err db_kv_del(db *d, const char *key);

#endif
