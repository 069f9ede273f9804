#include "core/common.h"

/* /api/v1/holidays: the admin holiday calendar (days on which no campaign
 * sends and tasks are not due), and /api/v1/time-zones: the zones a user or
 * a campaign may name (docs/campaigns.md "Time"). Any user reads them;
 * admins change the holidays. */
#include "api/api.h"
#include "core/cadence.h"
#include "core/timeutil.h"
#include "store/holidays.h"

/* HolidayWrite. */
const api_member api_holidays_put_body[] = {
    {"name", API_STRING, true, false, 1, 200, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* A day from the query (name) or def when absent; replies 400 and returns 0
 * when bad. */
static int query_day(http_req *r, const char *name, int64_t def, int64_t *out)
{
    const char *v = http_query(r, name);
    if (!v) {
        *out = def;
        return 1;
    }
    if (holiday_parse_day(v, out)) {
        http_reply_error(r, 400, "bad_request", "%s: %s", name, hail_errmsg());
        return 0;
    }
    return 1;
}

void api_holidays_list(http_req *r)
{
    int y, m, dd;
    time_civil_from_days(time_now_us() / US_PER_SEC / 86400, &y, &m, &dd);
    int64_t from, to;
    if (!query_day(r, "from", time_days_from_civil(y, 1, 1), &from) ||
        !query_day(r, "to", time_days_from_civil(y + 1, 12, 31), &to))
        return;
    if (from > to) {
        char f[11], t[11];
        holiday_format_day(from, f);
        holiday_format_day(to, t);
        http_reply_error(r, 400, "bad_request", "from (%s) is after to (%s)", f, t);
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a = NULL;
    hail_err e = holidays_list_json(d, from, to, &a);
    api_reply_list(r, e, a);
}

/* The {day} path parameter; replies 400 and returns 0 when it is not a date. */
static int path_day(http_req *r, int64_t *day)
{
    if (r->nparams < 1 || holiday_parse_day(r->param[0], day)) {
        http_reply_error(r, 400, "bad_request", "%s", hail_errmsg());
        return 0;
    }
    return 1;
}

void api_holidays_put(http_req *r)
{
    int64_t day;
    if (!path_day(r, &day))
        return;
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[2];
    if (api_body_check(r, body, api_holidays_put_body, v)) {
        json_t *h = NULL;
        hail_err e = holidays_put(d, day, json_string_value(v[0]), r->user_id, time_now_us(), &h);
        api_reply(r, e, 200, h);
    }
    json_decref(body);
}

void api_holidays_delete(http_req *r)
{
    int64_t day;
    if (!path_day(r, &day))
        return;
    db *d = api_db(r);
    if (!d)
        return;
    hail_err e = holidays_delete(d, day);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

void api_time_zones(http_req *r)
{
    const char *const *names;
    size_t n;
    hail_err e = tz_names(&names, &n);
    json_t *a = e ? NULL : json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(names[i]))) {
            json_decref(a);
            a = NULL;
        }
    if (!e && !a)
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    api_reply_list(r, e, a);
}
