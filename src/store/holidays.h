/* The admin holiday calendar: days on which no campaign sends and tasks
 * are not due (issue 9). Owner: helper A. */
#ifndef HAIL_STORE_HOLIDAYS_H
#define HAIL_STORE_HOLIDAYS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* The holidays from from_day to to_day (days since 1970-01-01, inclusive),
 * sorted, into *days (malloc'd; free it) and *n. */
hail_err holidays_days(db *d, int64_t from_day, int64_t to_day, int64_t **days, size_t *n);

#endif
