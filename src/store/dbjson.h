/* A column of a result row as a JSON value, NULL as null: the little
 * converters the store's JSON readers share. */
#ifndef HAIL_STORE_DBJSON_H
#define HAIL_STORE_DBJSON_H

#include <jansson.h>

#include "store/db.h"

/* Epoch µs as an RFC 3339 UTC string (core/timeutil.h time_format_iso). */
json_t *db_json_time(db_st *st, int i);
/* Text as a string. */
json_t *db_json_text(db_st *st, int i);
/* An integer (an id, a count). */
json_t *db_json_int(db_st *st, int i);

#endif
