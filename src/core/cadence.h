/* Campaign time math, pure (issue 9; docs/campaigns.md "Time"): IANA time
 * zones read from the system tz database (TZif files under
 * /usr/share/zoneinfo, or $TZDIR), business days with weekends and an
 * admin holiday calendar, and the moment a campaign step is due.
 *
 * Owner: helper A. Others call only what is declared here.
 */
#ifndef HAIL_CORE_CADENCE_H
#define HAIL_CORE_CADENCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* A loaded time zone. tz_get() loads a zone once per process and keeps it
 * (thread-safe); the pointer stays valid for the life of the process.
 * HAIL_EINVAL ("unknown time zone 'X'") for a name that is not a zone file
 * (names are checked: letters, digits, '/', '_', '-', '+'; no "..").
 * "UTC" always exists. */
typedef struct tz tz;
hail_err tz_get(const char *name, const tz **out);
/* 1 when name is a zone tz_get accepts. */
int tz_valid(const char *name);
const char *tz_name(const tz *z);
/* The names of the zones in the system's tz database, sorted: the Zone
 * lines of tzdata.zi (else the zones of zone1970.tab) and "UTC". Read once
 * per process and kept; HAIL_EIO when neither file can be read. */
hail_err tz_names(const char *const **names, size_t *n);

/* Local civil time. */
typedef struct civil {
    int year, month, day; /* 1-based month and day */
    int hour, minute, second;
    int wday;         /* 0 = Sunday … 6 = Saturday */
    int utc_offset_s; /* seconds east of UTC at that moment */
} civil;

/* UTC µs -> local civil time in z. */
void tz_to_local(const tz *z, int64_t utc_us, civil *out);
/* Local date and time in z -> UTC µs. A time that does not exist (the
 * spring-forward gap) moves forward by the gap (02:30 -> 03:30); a time
 * that exists twice (fall back) takes the first (the earlier UTC). */
int64_t tz_from_local(const tz *z, int year, int month, int day, int hour, int minute);

/* The local date in z of a UTC moment, as days since 1970-01-01 (as
 * core/timeutil.h time_days_from_civil). */
int64_t tz_local_day(const tz *z, int64_t utc_us);
/* The UTC µs at which local day `day` begins in z (its 00:00, or the first
 * moment after a gap at midnight). A local day is [start(day), start(day+1)). */
int64_t tz_day_start(const tz *z, int64_t day);

/* Days since 1970-01-01 (as core/timeutil.h time_days_from_civil). */
typedef struct calendar {
    int skip_weekends;      /* Saturday and Sunday are not business days */
    const int64_t *holiday; /* sorted days on which nothing is due */
    size_t nholiday;
} calendar;

int cal_is_business_day(const calendar *c, int64_t day);
/* day itself when it is a business day, else the next one. */
int64_t cal_next_business_day(const calendar *c, int64_t day);
/* The business day n business days after day (n >= 0; n = 0: day itself
 * when it is a business day, else the next one). Without skip_weekends,
 * every day but a holiday counts. */
int64_t cal_add_business_days(const calendar *c, int64_t day, int n);

/* When a step is due. base_us: when the previous step ran (the member's
 * start for the first step). days: the step's day minus the previous step's
 * day (0: the same day; the first step's days is its day - 1). minute: the
 * local minute of the day to run at (0..1439), or -1 for "the same time of
 * day as base" (the "same time as the previous email" option, and steps
 * without a time).
 *
 * The due day is cal_add_business_days(local date of base, days) in z; the
 * result is that day at minute in z. When that moment is before not_before
 * (e.g. "now": a step whose time already passed today), it moves to the
 * next business day at the same minute — never earlier than not_before,
 * and never in a pile-up of overdue steps. With minute -1 (no time of its
 * own; base's seconds are kept too) a late step runs at not_before itself
 * when that is a business day in z, else on the next business day at
 * base's time of day. A minute in a DST gap moves forward by the gap; one
 * that exists twice takes the first. */
#define CADENCE_MAX_DAYS 100000 /* days past it count as this many */
int64_t cadence_due(const tz *z, const calendar *c, int64_t base_us, int days, int minute,
                    int64_t not_before_us);

/* Parses "HH:MM" (00:00..23:59) into minutes; -1 when bad. */
int cadence_parse_hhmm(const char *s);

#endif
