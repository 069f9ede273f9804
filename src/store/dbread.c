#include "core/common.h"

#include "store/dbread.h"

#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"

json_t *db_json_time(db_st *st, int i)
{
    if (db_col_null(st, i))
        return json_null();
    char t[TIME_ISO_LEN];
    time_format_iso(db_col_i64(st, i), t);
    return json_string(t);
}

json_t *db_json_text(db_st *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_string(db_col_text(st, i));
}

json_t *db_json_int(db_st *st, int i)
{
    return db_col_null(st, i) ? json_null() : json_integer(db_col_i64(st, i));
}

hail_err db_row_by_id(db *d, db_st *st, int64_t id, const char *what)
{
    if (!st)
        return db_fail(d, what);
    db_bind_i64(st, 1, id);
    int rc = db_step(st);
    if (rc == DB_ROW)
        return HAIL_OK;
    hail_err e = rc == DB_DONE ? HAIL_ENOTFOUND : db_fail(d, what);
    db_reset(st);
    return e;
}

hail_err db_text_by_id(db *d, db_st *st, int64_t id, const char *what, char **out)
{
    *out = NULL;
    hail_err e = db_row_by_id(d, st, id, what);
    if (e)
        return e;
    if (!(*out = strdup(db_col_text(st, 0))))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    db_reset(st);
    return e;
}
