#include "core/common.h"

/* Channel throttles: core/throttle.h. */
#include "core/throttle.h"

int64_t throttle_kth_offset(int64_t count, int64_t limit)
{
    return count >= limit && limit > 0 ? count - limit : 0;
}

int throttle_rule_full(const throttle_rule *r)
{
    return r->limit > 0 && r->count >= r->limit;
}

int64_t throttle_at(const throttle_rule *rules, size_t n, int64_t now)
{
    int64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const throttle_rule *r = &rules[i];
        if (!throttle_rule_full(r))
            continue;
        int64_t t = r->kth_at + r->window_us;
        /* A send time in the future (clock skew between nodes) or one that
         * has already left the window still holds the mail for a moment:
         * the counts say the window is full. */
        if (t <= now)
            t = now + 1;
        if (t > at)
            at = t;
    }
    return at;
}
