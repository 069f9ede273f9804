/* Small helpers the store's readers share: a column as a JSON value (NULL
 * as null), and the one row of a lookup by id. */
#ifndef HAIL_STORE_DBREAD_H
#define HAIL_STORE_DBREAD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/db.h"

/* Epoch µs as an RFC 3339 UTC string (core/timeutil.h time_format_iso). */
json_t *db_json_time(db_st *st, int i);
/* Text as a string. */
json_t *db_json_text(db_st *st, int i);
/* An integer (an id, a count). */
json_t *db_json_int(db_st *st, int i);

/* Binds id to $1 of st (a db_stmt, or NULL when preparing it failed) and
 * steps it. HAIL_OK: a row to read, then db_reset(st). Otherwise st is
 * reset and the result is HAIL_ENOTFOUND (no row) or the database error
 * (db_fail with what). */
hail_err db_row_by_id(db *d, db_st *st, int64_t id, const char *what);
/* The same for a row whose first column is text: *out gets a copy (free it;
 * NULL on error). */
hail_err db_text_by_id(db *d, db_st *st, int64_t id, const char *what, char **out);

/* ---- a list query with optional filters, built at run time ----
 *
 *   dbq q;
 *   dbq_init(&q, "SELECT … WHERE 1 = 1");
 *   if (f->person_id)
 *       dbq_printf(&q, " AND c.person_id = $%d", dbq_i64(&q, f->person_id));
 *   …
 *   e = dbq_page(d, &q, row, limit, out, next, "calls: list");
 *
 * Parameters are numbered in order of first use; the first error (out of
 * memory) sticks and is returned by dbq_page, which always releases q. */
typedef struct dbq_arg {
    int is_text;
    int64_t i;
    const char *s; /* borrowed: must outlive the query */
} dbq_arg;
typedef struct dbq {
    buf sql;
    dbq_arg *args;
    int n, cap;
    hail_err e;
} dbq;

void dbq_init(dbq *q, const char *select);
/* A parameter; returns its number ($n), 0 after an error. */
int dbq_i64(dbq *q, int64_t v);
int dbq_text(dbq *q, const char *s);
void dbq_printf(dbq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* " AND (col is the viewer's, or a member's of a team the viewer manages)"
 * for a manager, " AND col = viewer" for a rep, nothing for an admin. */
void dbq_user_visible(dbq *q, const char *col, int64_t user_id, const char *role);
/* Appends " ORDER BY order LIMIT limit + 1", runs the query and gives the
 * first limit rows as row(d, st) objects in *out (NULL on error); *next
 * gets the "id" of the last of them when more follow (else 0). */
hail_err dbq_page(db *d, dbq *q, const char *order, db_row_json_fn row, int limit, json_t **out,
                  int64_t *next, const char *what);

#endif
