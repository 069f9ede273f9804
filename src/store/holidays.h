/* The admin holiday calendar: days on which no campaign sends and tasks
 * are not due (issue 9; docs/campaigns.md "Time"). Owner: helper A.
 * A day is stored as its 'YYYY-MM-DD' text (the holidays table's key). */
#ifndef HAIL_STORE_HOLIDAYS_H
#define HAIL_STORE_HOLIDAYS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* The holidays from from_day to to_day (days since 1970-01-01, inclusive),
 * sorted, into *days (malloc'd; free it) and *n. */
hail_err holidays_days(db *d, int64_t from_day, int64_t to_day, int64_t **days, size_t *n);

/* Parses "YYYY-MM-DD" (a real date, years 1900..9999) into days since
 * 1970-01-01: HAIL_EINVAL "'X' is not a date: YYYY-MM-DD, e.g. 2026-12-25"
 * otherwise. */
hail_err holiday_parse_day(const char *s, int64_t *day);
/* Writes day as "YYYY-MM-DD" (out holds 11 bytes). */
void holiday_format_day(int64_t day, char out[11]);

/* [{"day","name"}] from from_day to to_day, by day. */
hail_err holidays_list_json(db *d, int64_t from_day, int64_t to_day, json_t **out);
/* Adds the holiday, or renames it when the day is one already; *out (may
 * be NULL) gets {"day","name"}. */
hail_err holidays_put(db *d, int64_t day, const char *name, int64_t user_id, int64_t now,
                      json_t **out);
/* HAIL_ENOTFOUND ("2026-12-25 is not a holiday") when it is not one. */
hail_err holidays_delete(db *d, int64_t day);

#endif
