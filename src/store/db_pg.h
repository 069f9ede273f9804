/* Private to store/: the PostgreSQL engine (store/db_pg.c, libpq), called by
 * store/db.c's dispatch when a db's engine is DB_POSTGRES. Nothing outside
 * store/ includes this.
 *
 * Statements are prepared on the server once per connection (PQprepare,
 * named "s<N>"); parameters are sent as text (blobs in binary); results come
 * back as text and are read row by row from the PGresult of the first step.
 * Every error is kept on the connection (SQLSTATE + message) for pg_fail and
 * pg_errkind. Messages never contain the password.
 */
#ifndef HAIL_STORE_DB_PG_H
#define HAIL_STORE_DB_PG_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/db.h"

typedef struct pg_conn pg_conn;
typedef struct pg_st pg_st;

/* Connects to target (URL or key=value). HAIL_EIO with a one-line message
 * naming the redacted target (unreachable, login refused, no such database). */
hail_err pg_connect(const char *target, pg_conn **out);
void pg_disconnect(pg_conn *c);

/* Opening work of db_open on PostgreSQL, after pg_connect: the schema
 * version (table hail_schema), refusing a newer one or another application's
 * database (tables but no hail_schema), and with DB_MIGRATE the migrations
 * under pg_advisory_lock so that nodes starting at once migrate once.
 * *version gets the version the database is at when done. */
hail_err pg_open_schema(pg_conn *c, const char *name, unsigned flags, int *version);

pg_st *pg_prepare(pg_conn *c, const char *sql); /* NULL with hail_errf set */
void pg_st_free(pg_st *s);
void pg_bind_i64(pg_st *s, int i, int64_t v);
void pg_bind_double(pg_st *s, int i, double v);
void pg_bind_text(pg_st *s, int i, const char *v, int len, int copy);
void pg_bind_blob(pg_st *s, int i, const void *p, size_t n);
void pg_bind_null(pg_st *s, int i);
void pg_clear_bindings(pg_st *s);
int pg_step(pg_st *s); /* DB_ROW / DB_DONE / DB_ERROR */
void pg_reset(pg_st *s);
int64_t pg_col_i64(pg_st *s, int i);
double pg_col_double(pg_st *s, int i);
const char *pg_col_text(pg_st *s, int i);
const void *pg_col_blob(pg_st *s, int i);
size_t pg_col_bytes(pg_st *s, int i);
int pg_col_null(pg_st *s, int i);
int pg_col_count(pg_st *s);

int64_t pg_changes(pg_conn *c);
hail_err pg_exec(pg_conn *c, const char *sql); /* several statements allowed */
int pg_in_tx(pg_conn *c);
/* BEGIN with statement_timeout/lock_timeout set for the transaction
 * (lock_wait_ms 0: do not wait for row locks at all). */
hail_err pg_begin(pg_conn *c, int lock_wait_ms);
hail_err pg_commit(pg_conn *c);
void pg_rollback(pg_conn *c);
hail_err pg_lock(pg_conn *c, const char *name);
/* The last error as a hail_err for `what` (see db_fail). */
hail_err pg_fail(pg_conn *c, const char *what);
db_errkind pg_errkind(pg_conn *c);
/* 1 when the connection is broken: db.c drops it and its statements, and the
 * next use reconnects. */
int pg_broken(pg_conn *c);

hail_err pg_copy_begin(pg_conn *c, const char *sql);
hail_err pg_copy_put(pg_conn *c, const char *data, size_t n);
hail_err pg_copy_end(pg_conn *c);

#endif
