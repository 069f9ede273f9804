/* The store: one database behind a small, backend-neutral interface.
 *
 * Two engines: an embedded SQLite file (WAL; the default, DIR/hail.db) and
 * PostgreSQL (libpq) for several `hail serve` nodes over one database. db_open
 * picks the engine from its target: a postgres:// or postgresql:// URL or a
 * libpq "key=value ..." string means PostgreSQL, anything else is a SQLite
 * path (docs/store.md).
 *
 * Services and the store's own query files use db_stmt() for cached prepared
 * statements, db_bind_* / db_step / db_col_* on them, db_begin()/db_commit()/
 * db_rollback() for short write transactions, and db_fail() to turn the
 * engine's error into a hail_err. Nothing above store/ sees SQL, and no file
 * outside store/ calls sqlite3_* or PQ* (a lint test checks). A db handle
 * belongs to one thread at a time; the HTTP server gives each of its threads
 * its own (db_thread()).
 *
 * SQL is written once for both engines wherever the dialects agree: $1..
 * placeholders (numbered in order of first use), ON CONFLICT, RETURNING,
 * integer epoch-microsecond timestamps, integer ids, CAST($n AS BIGINT) where
 * PostgreSQL cannot infer a parameter's type. Where they differ the variant
 * is visible at the query: DB_SQL(d, "sqlite text", "postgresql text").
 */
#ifndef HAIL_STORE_DB_H
#define HAIL_STORE_DB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct db db;
/* A prepared statement of one connection (see db_stmt). */
typedef struct db_st db_st;

typedef enum db_engine {
    DB_SQLITE = 1,
    DB_POSTGRES = 2,
} db_engine;

enum {
    DB_MIGRATE = 1, /* create the database if needed and bring the schema up to date */
};

/* The schema version this binary writes (the same on both engines). */
int db_schema_latest(void);

/* The engine a target names (see the top of this file). */
db_engine db_target_engine(const char *target);
/* target as it may be shown (logs, errors, --help): a PostgreSQL URL or
 * key=value string with its password replaced by "***"; a path as is.
 * Writes at most size bytes (always terminated). */
void db_target_redact(const char *target, char *out, size_t size);

/* Opens (and with DB_MIGRATE creates and migrates) the database at target.
 * A database written by a newer hail is refused with HAIL_ESCHEMA, as is one
 * that holds another application's tables; an unreachable server, a refused
 * login or a missing database fail with HAIL_EIO. Every message is one line
 * naming the redacted target, never the password. */
hail_err db_open(const char *target, unsigned flags, db **out);
void db_close(db *d);

/* A connection for the calling thread to the database at target, opened on
 * first use and closed when the thread exits. SQLite connections from here
 * (the HTTP threads') never checkpoint the WAL: run a checkpointer beside
 * them. */
hail_err db_thread(const char *target, db **out);

/* SQLite: a thread that checkpoints the WAL of the database twice a second
 * (passive: it never waits for readers or writers), so that no request pays
 * for a checkpoint. `hail serve` runs one. PostgreSQL: nothing to do (*out
 * is NULL, and stop accepts NULL). Stop joins the thread. */
typedef struct db_checkpointer db_checkpointer;
hail_err db_checkpointer_start(const char *target, db_checkpointer **out);
void db_checkpointer_stop(db_checkpointer *c);

db_engine db_engine_of(db *d);
/* The per-engine variant of a statement, chosen at the query. */
#define DB_SQL(d, sqlite_sql, postgres_sql)                                                        \
    (db_engine_of(d) == DB_POSTGRES ? (postgres_sql) : (sqlite_sql))
/* What db_open was given (with a PostgreSQL password: never print it). */
const char *db_path(db *d);
/* The same, redacted, for messages. */
const char *db_name(db *d);
int db_schema_version(db *d);

/* A prepared statement for sql, cached per connection and keyed by the
 * string's address (pass string literals, or text built once and kept). It
 * comes back reset with its bindings cleared; NULL (with hail_errmsg set) if
 * the engine rejects it. The cache grows as needed: there is no limit. */
db_st *db_stmt(db *d, const char *sql);
/* A statement that is not cached, for SQL built at run time or run once
 * (a temporary table's, EXPLAIN in tests, `hail db copy`'s per-table
 * statements). NULL with hail_errmsg set if the engine rejects it. Free it
 * with db_st_free (NULL is fine) before the db is closed. */
db_st *db_prepare(db *d, const char *sql);
void db_st_free(db_st *st);
/* How many statements the connection has cached (for tests). */
size_t db_stmt_count(db *d);

/* Binding, 1-based as the $N. Text and blobs are copied unless the _ref
 * variant is used, whose value must stay valid until the statement is reset
 * or stepped to its end. NULL text binds NULL; len -1 means strlen. */
void db_bind_i64(db_st *st, int i, int64_t v);
void db_bind_double(db_st *st, int i, double v);
void db_bind_text(db_st *st, int i, const char *s, int len);
void db_bind_text_ref(db_st *st, int i, const char *s, int len);
void db_bind_blob(db_st *st, int i, const void *p, size_t n);
void db_bind_null(db_st *st, int i);

/* Steps: DB_ROW with a row to read, DB_DONE at the end, DB_ERROR on failure
 * (then db_fail(d, what) makes the hail_err). On PostgreSQL the first step
 * runs the statement and the rows come from its result. */
enum { DB_ERROR = -1, DB_DONE = 0, DB_ROW = 1 };
int db_step(db_st *st);
/* Ends a statement's run early and keeps its bindings (db_stmt clears them). */
void db_reset(db_st *st);

/* Columns of the current row, 0-based. Text and blobs stay valid until the
 * next step or reset. NULL reads as 0 / NULL / 0 bytes. Booleans (PostgreSQL
 * t/f) read as 1/0 through db_col_i64 and db_col_int. */
int64_t db_col_i64(db_st *st, int i);
int db_col_int(db_st *st, int i);
double db_col_double(db_st *st, int i);
const char *db_col_text(db_st *st, int i);
const void *db_col_blob(db_st *st, int i);
size_t db_col_bytes(db_st *st, int i); /* of the text or blob */
int db_col_null(db_st *st, int i);
int db_col_count(db_st *st);

/* Rows changed by the last INSERT/UPDATE/DELETE this connection finished. */
int64_t db_changes(db *d);

/* The kind of the last error on this connection, for the callers that treat
 * one kind specially (db_fail already maps unique violations and busy). */
typedef enum db_errkind {
    DB_ERR_OTHER = 0,
    DB_ERR_UNIQUE,      /* unique or primary key violation */
    DB_ERR_FOREIGN_KEY, /* foreign key violation */
    DB_ERR_BUSY,        /* lock wait, deadlock, serialization failure */
    DB_ERR_CONNECTION,  /* the server went away (PostgreSQL) */
} db_errkind;
db_errkind db_last_error(db *d);

/* Runs SQL with no results (may hold several statements). */
hail_err db_exec(db *d, const char *sql);

/* Transactions. Rollback never fails from the caller's point of view (it is
 * the cleanup path).
 *
 * SQLite: BEGIN IMMEDIATE, so writers are serialized and a transaction's
 * reads stay true until it commits. PostgreSQL: BEGIN (read committed, with a
 * statement and lock timeout): rows are locked as they are written, so a
 * read-then-write that must not interleave with another node's takes a lock
 * first: db_lock, or SELECT … FOR UPDATE in a per-engine variant.
 *
 * Waiting for the SQLite write lock: a connection from db_thread() (an HTTP thread)
 * waits at most 2 s, and only a few HTTP threads wait at once (the others are
 * refused at once, so reads always find a free thread); any other connection
 * (CLI, sync) waits up to 10 s. A write that cannot get the lock in time fails
 * with HAIL_EUNAVAIL ("the database is busy; try again in a moment"). */
hail_err db_begin(db *d);
/* A transaction that does not wait at all for SQLite's write lock:
 * HAIL_EUNAVAIL at once when another connection writes (for best-effort
 * writes on a read path). PostgreSQL: db_begin with no lock wait. */
hail_err db_begin_try(db *d);
hail_err db_commit(db *d);
void db_rollback(db *d);
int db_in_tx(db *d);

/* Inside a transaction: waits until no other transaction (any connection,
 * any node) holds the lock called name, and holds it until this one ends.
 * PostgreSQL: pg_advisory_xact_lock on a 64-bit hash of name. SQLite: nothing
 * to do (BEGIN IMMEDIATE already serializes writers). */
hail_err db_lock(db *d, const char *name);

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
/* SQLite durability of connections opened from now on (HAIL_DB_SYNC, read
 * once into the settings): "full" (the default: fsync on every commit) or
 * "normal" (not power-safe), any case; NULL or "" is full. HAIL_EINVAL with
 * the variable's message for another value (the mode is then unchanged). */
hail_err db_set_sync(const char *mode);

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
/* 1 when a bulk writer should commit now (see above). Cheap: one flock().
 * PostgreSQL (row locks: nobody waits for a bulk writer): after
 * DB_BULK_HOLD_PG_US, to keep transactions bounded. */
#define DB_BULK_HOLD_PG_US (INT64_C(2) * 1000000)
int db_bulk_due(db *d);
/* The pause between two bulk transactions: DB_BULK_GAP_US, or until the
 * writers waiting are in (at most DB_BULK_PAUSE_MAX_US). */
void db_bulk_pause(db *d);

/* Bulk work in short transactions: step(d, ctx, rows, &done) does about
 * `rows` rows of the work and sets done at the end. As many steps go in one
 * transaction as fit before db_bulk_due; rows starts at first_rows and is
 * doubled or halved (64 .. 2^20) so that a step takes DB_BULK_STEP_US / 2 to
 * DB_BULK_STEP_US; db_bulk_pause comes between transactions. A failing step
 * or commit rolls its transaction back and ends the run. */
typedef hail_err (*db_bulk_step)(db *d, void *ctx, int64_t rows, int *done);
hail_err db_bulk_run(db *d, int64_t first_rows, db_bulk_step step, void *ctx);

/* PostgreSQL only: COPY … FROM STDIN in text format, for bulk loads (the
 * people sync, `hail db copy`). begin runs the COPY statement; put sends
 * rows (any split; each row ends with '\n'); end finishes it and reports the
 * server's verdict. HAIL_EINVAL on SQLite. db_copy_field appends one field in
 * COPY text format to b (NULL -> \N; backslash, tab, newline, CR escaped),
 * preceded by a tab unless first. */
struct buf;
hail_err db_copy_begin(db *d, const char *copy_sql);
hail_err db_copy_put(db *d, const char *data, size_t n);
hail_err db_copy_end(db *d);
hail_err db_copy_field(struct buf *b, const char *s, size_t n, int first);

/* Records the engine's last error for `what` and returns HAIL_EDB (or
 * HAIL_EEXIST for a unique-constraint failure, HAIL_EUNAVAIL with a plain
 * message when the database stayed locked past the wait or the PostgreSQL
 * server cannot be reached). */
hail_err db_fail(db *d, const char *what);

/* Steps a statement expected to finish (INSERT/UPDATE/DELETE); resets it. */
hail_err db_step_done(db *d, db_st *st, const char *what);

/* Turns the current row of st into a JSON value (NULL on out of memory). */
typedef json_t *(*db_row_json_fn)(db *d, db_st *st);

/* Steps st once: *out gets row(d, st) for a row, HAIL_ENOTFOUND (with no
 * message: the caller names what was missing) when there is none. Resets st. */
hail_err db_one_json(db *d, db_st *st, db_row_json_fn row, json_t **out, const char *what);

/* Steps st to the end, appending row(d, st) for each row to a new array *out
 * (always set; the caller releases it). Resets st. */
hail_err db_all_json(db *d, db_st *st, db_row_json_fn row, json_t **out, const char *what);

/* A small key/value table for settings and sync checkpoints. */
hail_err db_kv_get(db *d, const char *key, char **out); /* *out NULL if unset; free() it */
hail_err db_kv_set(db *d, const char *key, const char *value);
hail_err db_kv_del(db *d, const char *key);

#endif
