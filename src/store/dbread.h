/* Small helpers the store's readers share: a column as a JSON value (NULL
 * as null), and the one row of a lookup by id. */
#ifndef HAIL_STORE_DBREAD_H
#define HAIL_STORE_DBREAD_H

#include <jansson.h>

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

#endif
