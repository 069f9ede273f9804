#include "core/common.h"

#include "store/dbjson.h"

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
