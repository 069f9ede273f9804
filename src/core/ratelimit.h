/* A sliding-window rate limit: at most `limit` events in any `window_us`.
 * Pure: the caller passes the time, so it is unit-tested without sleeping. */
#ifndef HAIL_CORE_RATELIMIT_H
#define HAIL_CORE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct {
    int64_t *times; /* ring of the last `limit` event times */
    size_t limit;
    size_t head, count;
    int64_t window_us;
} ratelimit;

hail_err ratelimit_init(ratelimit *rl, size_t limit, int64_t window_us);
void ratelimit_release(ratelimit *rl);
/* How long to wait from `now` before one more event fits (0 = now). */
int64_t ratelimit_wait_us(const ratelimit *rl, int64_t now);
/* Records an event at `now`. */
void ratelimit_record(ratelimit *rl, int64_t now);

#endif
