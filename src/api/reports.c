#include "core/common.h"

/* GET /api/v1/reports/{kind}: store/reports.h, docs/insight.md "Reports".
 * JSON, or CSV with Accept: text/csv or ?format=csv (&table=rows|series). */
#include "api/api.h"
#include "core/cadence.h"
#include "core/timeutil.h"
#include "store/reports.h"

/* "YYYY-MM-DD" → days since 1970-01-01; 0 when s is not a real date. */
static int parse_day(const char *s, int64_t *out)
{
    int y, m, d, n = 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        s[4] != '-' || s[7] != '-' || y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int64_t day = time_days_from_civil(y, m, d);
    int yy, mm, dd;
    time_civil_from_days(day, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
        return 0; /* 2026-02-30 */
    *out = day;
    return 1;
}

static void day_text(int64_t day, char out[16])
{
    int y, m, d;
    time_civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

static int day_param(http_req *r, const char *name, int64_t *out, int *given)
{
    const char *s = http_query(r, name);
    *given = s != NULL;
    if (s && !parse_day(s, out)) {
        http_reply_error(r, 400, "bad_request", "%s must be a date as YYYY-MM-DD, not '%.64s'",
                         name, s);
        return 0;
    }
    return 1;
}

static int wants_csv(http_req *r, int *csv)
{
    const char *f = http_query(r, "format");
    if (f) {
        if (strcmp(f, "json") && strcmp(f, "csv")) {
            http_reply_error(r, 400, "bad_request", "format must be json or csv, not '%.64s'", f);
            return 0;
        }
        *csv = !strcmp(f, "csv");
        return 1;
    }
    const char *accept = http_header(r, "Accept");
    *csv = accept && strstr(accept, "text/csv") != NULL;
    return 1;
}

void api_reports_get(http_req *r)
{
    const char *kind = r->param[0];
    int k = report_kind_parse(kind);
    if (k < 0) {
        http_reply_error(r, 404, "not_found",
                         "no report '%.64s': the reports are templates, campaigns, users and teams",
                         kind);
        return;
    }
    report_query q = {.kind = (report_kind)k};
    int csv = 0, series = 0, has_from, has_to;
    const char *interval = http_query(r, "interval");
    const char *id = http_query(r, "id");
    const char *table = http_query(r, "table");
    if (!day_param(r, "from", &q.from_day, &has_from) || !day_param(r, "to", &q.to_day, &has_to) ||
        !wants_csv(r, &csv))
        return;
    if (interval && strcmp(interval, "day") && strcmp(interval, "week")) {
        http_reply_error(r, 400, "bad_request", "interval must be day or week, not '%.64s'",
                         interval);
        return;
    }
    q.week = interval && !strcmp(interval, "week");
    if (table && strcmp(table, "rows") && strcmp(table, "series")) {
        http_reply_error(r, 400, "bad_request", "table must be rows or series, not '%.64s'", table);
        return;
    }
    series = table && !strcmp(table, "series");
    if (id) {
        char *end;
        errno = 0;
        long long v = strtoll(id, &end, 10);
        if (!*id || *end || errno || v <= 0 || id[0] == '+') {
            http_reply_error(r, 400, "bad_request", "id must be a positive integer, not '%.64s'",
                             id);
            return;
        }
        q.id = v;
    }
    char zone[256];
    db *d = api_db_zone(r, zone);
    if (!d)
        return;
    const tz *z = NULL;
    if (tz_get(zone, &z) != HAIL_OK) {
        snprintf(zone, sizeof zone, "UTC");
        tz_get(zone, &z);
    }
    q.time_zone = zone;
    /* defaults: the last 30 days, today included */
    if (!has_to)
        q.to_day = has_from ? q.from_day + 29 : tz_local_day(z, time_now_us());
    if (!has_from)
        q.from_day = q.to_day - 29;
    char from[16], to[16];
    day_text(q.from_day, from);
    day_text(q.to_day, to);
    if (q.from_day > q.to_day) {
        http_reply_error(r, 400, "bad_request", "from (%s) is after to (%s)", from, to);
        return;
    }
    if (q.to_day - q.from_day + 1 > REPORT_MAX_DAYS) {
        http_reply_error(r, 400, "bad_request",
                         "a report covers at most %d days; from %s to %s is %lld days",
                         REPORT_MAX_DAYS, from, to, (long long)(q.to_day - q.from_day + 1));
        return;
    }
    email_viewer v = {r->user_id, r->user_role};
    json_t *out = NULL;
    hail_err e = reports_get(d, &v, &q, &out);
    if (e || !csv) {
        api_reply(r, e, 200, out);
        return;
    }
    buf b;
    buf_init(&b, 64u << 20);
    e = reports_csv(out, series, &b);
    if (e) {
        buf_release(&b);
        json_decref(out);
        http_reply_err(r, e);
        return;
    }
    char name[160];
    snprintf(name, sizeof name, "attachment; filename=\"hail-%s%s-%s-%s.csv\"", kind,
             series ? "-series" : "", from, to);
    json_decref(out);
    size_t len;
    char *body = buf_detach(&b, &len);
    http_reply_take(r, 200, "text/csv; charset=utf-8", body, len);
    http_add_header(r, "Content-Disposition", name);
}
