#include "core/common.h"

#include "core/velocity.h"

int64_t velocity_monday(int64_t day)
{
    /* 1970-01-01 was a Thursday: 3 days after a Monday. */
    int64_t since_monday = (day + 3) % 7;
    if (since_monday < 0)
        since_monday += 7;
    return day - since_monday;
}

void velocity_weeks_at(const tz *z, int64_t now_us, velocity_weeks *w)
{
    int64_t monday = velocity_monday(tz_local_day(z, now_us));
    for (int i = 0; i < VELOCITY_WEEKS; i++) {
        w->day[i] = monday - 7 * (int64_t)(VELOCITY_WEEKS - 1 - i);
        w->start_us[i] = tz_day_start(z, w->day[i]);
    }
    w->start_us[VELOCITY_WEEKS] = tz_day_start(z, monday + 7);
}

int velocity_week_of(const velocity_weeks *w, int64_t t_us)
{
    if (t_us < w->start_us[0] || t_us >= w->start_us[VELOCITY_WEEKS])
        return -1;
    int lo = 0, hi = VELOCITY_WEEKS - 1; /* the last start <= t_us */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (w->start_us[mid] <= t_us)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}
