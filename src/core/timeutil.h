/* Time as integer microseconds since the Unix epoch (UTC), the store's unit. */
#ifndef HAIL_CORE_TIMEUTIL_H
#define HAIL_CORE_TIMEUTIL_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/err.h"

#define US_PER_SEC INT64_C(1000000)

/* "Now" for everything the business sees: schedules, due dates, activity
 * times, send times. The wall clock, unless a test clock file is set (the
 * clock seam, HAIL_CLOCK_FILE, docs/cli.md): then it is the RFC 3339 UTC
 * time written in that file, re-read at most every 200 ms (so a change
 * shows within a second). An unreadable or bad file keeps the last good
 * value (the wall clock before the first). */
int64_t time_now_us(void);
/* The real wall clock, whatever the test clock says: sessions, leases of
 * running processes and rate limits use it. */
int64_t time_real_us(void);
/* Sets the test clock file (NULL: none). Called once at start-up, before
 * threads start. */
void time_set_clock_file(const char *path);
/* Monotonic clock, for intervals and rate limits. */
int64_t time_mono_us(void);

/* Parses ISO-8601 / RFC 3339: "2024-03-01", "2024-03-01T10:00:00Z",
 * "2024-03-01T10:00:00.123+0000", "…+01:00", "2024-03-01 10:00:00" (taken as UTC).
 * Returns HAIL_EINVAL on anything else, including impossible dates. */
hail_err time_parse_iso(const char *s, size_t len, int64_t *out_us);

/* Formats as "YYYY-MM-DDTHH:MM:SSZ" (whole seconds). out must hold 21 bytes. */
#define TIME_ISO_LEN 21
void time_format_iso(int64_t us, char out[TIME_ISO_LEN]);

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
int64_t time_days_from_civil(int y, int m, int d);
void time_civil_from_days(int64_t days, int *y, int *m, int *d);

/* Sleeps, returning early (with non-zero) if *stop becomes set (by another
 * thread or a signal handler). stop may be NULL. A flag set by another thread
 * is seen at once when that thread then calls time_sleep_wake(), else within
 * 100 ms. */
int time_sleep_us(int64_t us, const atomic_int *stop);
/* Wakes every time_sleep_us() of the process to look at its stop flag: call it
 * after setting one (a *_stop() before it joins its threads). Not from a
 * signal handler. */
void time_sleep_wake(void);

#endif
