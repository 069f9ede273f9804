#include "core/common.h"

#include "core/ratelimit.h"

#include <stdlib.h>

hail_err ratelimit_init(ratelimit *rl, size_t limit, int64_t window_us)
{
    rl->limit = limit ? limit : 1;
    rl->times = calloc(rl->limit, sizeof *rl->times);
    rl->head = rl->count = 0;
    rl->window_us = window_us;
    return rl->times ? HAIL_OK : HAIL_ENOMEM;
}

void ratelimit_release(ratelimit *rl)
{
    free(rl->times);
    rl->times = NULL;
}

int64_t ratelimit_wait_us(const ratelimit *rl, int64_t now)
{
    if (rl->count < rl->limit)
        return 0;
    /* The oldest of the last `limit` events must have left the window. */
    int64_t oldest = rl->times[rl->head];
    int64_t free_at = oldest + rl->window_us;
    return free_at > now ? free_at - now : 0;
}

void ratelimit_record(ratelimit *rl, int64_t now)
{
    if (rl->count < rl->limit) {
        rl->times[(rl->head + rl->count) % rl->limit] = now;
        rl->count++;
    } else {
        rl->times[rl->head] = now;
        rl->head = (rl->head + 1) % rl->limit;
    }
}
