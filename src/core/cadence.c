#include "core/common.h"

#include "core/cadence.h"

#include <string.h>

#include "core/timeutil.h"

/* PLACEHOLDER (lead): UTC only, every day a business day. Helper A replaces
 * this file with the real tz database reader and calendar. */

struct tz {
    const char *name;
};
static const tz utc = {"UTC"};

hail_err tz_get(const char *name, const tz **out)
{
    if (!name || strcmp(name, "UTC") != 0)
        return hail_errf(HAIL_EINVAL, "unknown time zone '%s'", name ? name : "");
    *out = &utc;
    return HAIL_OK;
}

int tz_valid(const char *name)
{
    return name && !strcmp(name, "UTC");
}

const char *tz_name(const tz *z)
{
    return z->name;
}

void tz_to_local(const tz *z, int64_t utc_us, civil *out)
{
    (void)z;
    memset(out, 0, sizeof *out);
    int64_t s = utc_us / US_PER_SEC, day = s / 86400, rem = s % 86400;
    time_civil_from_days(day, &out->year, &out->month, &out->day);
    out->hour = (int)(rem / 3600);
    out->minute = (int)(rem % 3600 / 60);
    out->second = (int)(rem % 60);
    out->wday = (int)((day + 4) % 7);
}

int64_t tz_from_local(const tz *z, int year, int month, int day, int hour, int minute)
{
    (void)z;
    return (time_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60) *
           US_PER_SEC;
}

int cal_is_business_day(const calendar *c, int64_t day)
{
    (void)c;
    (void)day;
    return 1;
}

int64_t cal_next_business_day(const calendar *c, int64_t day)
{
    (void)c;
    return day;
}

int64_t cal_add_business_days(const calendar *c, int64_t day, int n)
{
    (void)c;
    return day + n;
}

int64_t cadence_due(const tz *z, const calendar *c, int64_t base_us, int days, int minute,
                    int64_t not_before_us)
{
    (void)z;
    (void)c;
    int64_t day = base_us / US_PER_SEC / 86400 + days;
    int64_t t = minute < 0 ? base_us + (int64_t)days * 86400 * US_PER_SEC
                           : (day * 86400 + minute * 60) * US_PER_SEC;
    return t < not_before_us ? not_before_us : t;
}

int cadence_parse_hhmm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '9' ||
        s[4] < '0' || s[4] > '9' || h > 23 || m > 59)
        return -1;
    return h * 60 + m;
}
