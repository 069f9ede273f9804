/* Throttles of a delivery channel, pure: from how many emails left in each
 * rolling window and when, the time one more may leave.
 *
 * A rule allows at most `limit` sends in any window of `window_us` ending at
 * the moment of sending (rolling: per_day is the last 24 hours, not the
 * calendar day). The caller counts the sends in (now - window_us, now] and,
 * when the count has reached the limit, passes the time of the send that
 * must drop out of the window first for one more to fit: the one at
 * throttle_kth_offset(count, limit) in oldest-first order. The caller passes
 * the time, so this is tested without a clock or a database.
 */
#ifndef HAIL_CORE_THROTTLE_H
#define HAIL_CORE_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct throttle_rule {
    int64_t limit;     /* <= 0: no limit (the rule is ignored) */
    int64_t window_us; /* e.g. 60 s, 1 h, 24 h */
    int64_t count;     /* sends in (now - window_us, now] */
    int64_t kth_at;    /* when count >= limit: the send time at the offset below */
} throttle_rule;

/* The 0-based offset, oldest first among the sends in the window, of the
 * send whose leaving the window lets one more in: count - limit (0 when the
 * count is below the limit: then no time is needed). */
int64_t throttle_kth_offset(int64_t count, int64_t limit);

/* Whether the rule needs kth_at (its count has reached its limit). */
int throttle_rule_full(const throttle_rule *r);

/* 0 when one more send may leave at now under every rule; else the earliest
 * time (> now) at which every rule allows it: the latest of the full rules'
 * kth_at + window_us. */
int64_t throttle_at(const throttle_rule *rules, size_t n, int64_t now);

#endif
