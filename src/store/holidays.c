#include "core/common.h"

#include "store/holidays.h"

#include "core/timeutil.h"

/* The admin holiday calendar (docs/campaigns.md "Time"). Days are their
 * 'YYYY-MM-DD' text: with four-digit years the text sorts as the days do,
 * so ranges compare as text on both engines. */

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : dm[m - 1];
}

hail_err holiday_parse_day(const char *s, int64_t *day)
{
    int ok = s && strlen(s) == 10 && s[4] == '-' && s[7] == '-';
    for (int i = 0; ok && i < 10; i++)
        ok = i == 4 || i == 7 || isdigit((unsigned char)s[i]);
    int y = 0, m = 0, d = 0;
    if (ok) {
        y = atoi(s);
        m = (s[5] - '0') * 10 + (s[6] - '0');
        d = (s[8] - '0') * 10 + (s[9] - '0');
        ok = y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
    }
    if (!ok)
        return hail_errf(HAIL_EINVAL, "'%.40s%s' is not a date: YYYY-MM-DD, e.g. 2026-12-25",
                         s ? s : "", s && strlen(s) > 40 ? "…" : "");
    *day = time_days_from_civil(y, m, d);
    return HAIL_OK;
}

void holiday_format_day(int64_t day, char out[11])
{
    int y, m, d;
    time_civil_from_days(day, &y, &m, &d);
    if (y < 0)
        y = 0;
    if (y > 9999)
        y = 9999;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static db_st *range_stmt(db *d, int64_t from_day, int64_t to_day, char from[11], char to[11])
{
    db_st *st = db_stmt(d, "SELECT day, name FROM holidays WHERE day >= $1 AND day <= $2"
                           " ORDER BY day");
    if (!st)
        return NULL;
    holiday_format_day(from_day, from);
    holiday_format_day(to_day, to);
    db_bind_text(st, 1, from, -1);
    db_bind_text(st, 2, to, -1);
    return st;
}

hail_err holidays_days(db *d, int64_t from_day, int64_t to_day, int64_t **days, size_t *n)
{
    *days = NULL;
    *n = 0;
    char from[11], to[11];
    db_st *st = range_stmt(d, from_day, to_day, from, to);
    if (!st)
        return HAIL_EDB;
    size_t cap = 0;
    int rc;
    hail_err e = HAIL_OK;
    while ((rc = db_step(st)) == DB_ROW) {
        int64_t day;
        if (holiday_parse_day(db_col_text(st, 0), &day))
            continue; /* not written by hail: not a day */
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            int64_t *p = realloc(*days, nc * sizeof *p);
            if (!p) {
                e = hail_errf(HAIL_ENOMEM, "out of memory");
                break;
            }
            *days = p;
            cap = nc;
        }
        (*days)[(*n)++] = day;
    }
    if (!e && rc == DB_ERROR)
        e = db_fail(d, "holidays: days");
    db_reset(st);
    if (e) {
        free(*days);
        *days = NULL;
        *n = 0;
    }
    return e;
}

static json_t *holiday_row_json(db *d, db_st *st)
{
    (void)d;
    return json_pack("{s:s,s:s}", "day", db_col_text(st, 0) ? db_col_text(st, 0) : "", "name",
                     db_col_text(st, 1) ? db_col_text(st, 1) : "");
}

hail_err holidays_list_json(db *d, int64_t from_day, int64_t to_day, json_t **out)
{
    *out = NULL;
    char from[11], to[11];
    db_st *st = range_stmt(d, from_day, to_day, from, to);
    if (!st)
        return HAIL_EDB;
    return db_all_json(d, st, holiday_row_json, out, "holidays: list");
}

hail_err holidays_put(db *d, int64_t day, const char *name, int64_t user_id, int64_t now,
                      json_t **out)
{
    if (out)
        *out = NULL;
    char text[11];
    holiday_format_day(day, text);
    db_st *st = db_stmt(d, "INSERT INTO holidays (day, name, created_by, created_at)"
                           " VALUES ($1, $2, $3, $4)"
                           " ON CONFLICT (day) DO UPDATE SET name = excluded.name");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, text, -1);
    db_bind_text(st, 2, name, -1);
    if (user_id > 0)
        db_bind_i64(st, 3, user_id);
    else
        db_bind_null(st, 3);
    db_bind_i64(st, 4, now);
    hail_err e = db_step_done(d, st, "holidays: put");
    if (!e && out && !(*out = json_pack("{s:s,s:s}", "day", text, "name", name)))
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    return e;
}

hail_err holidays_delete(db *d, int64_t day)
{
    char text[11];
    holiday_format_day(day, text);
    db_st *st = db_stmt(d, "DELETE FROM holidays WHERE day = $1");
    if (!st)
        return HAIL_EDB;
    db_bind_text(st, 1, text, -1);
    hail_err e = db_step_done(d, st, "holidays: delete");
    if (!e && db_changes(d) == 0)
        e = hail_errf(HAIL_ENOTFOUND, "%s is not a holiday", text);
    return e;
}
