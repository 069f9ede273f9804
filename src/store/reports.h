/* Reports: per template, campaign, user or team over a date range — emails
 * sent, human opens and clicks (machine ones apart), replies, bounces,
 * unsubscribes, calls by outcome, tasks completed — with a time series by day
 * or week (docs/insight.md "Reports").
 *
 * Everything is read from the activity log (and tasks for "tasks
 * completed"), counting only the activity of users the viewer covers
 * (store/visibility.h: a rep themself, a manager their teams' members, an
 * admin everyone). Days are the viewer's local days; a report's range is
 * [start of from, start of to + 1) in that zone. The log is read grouped by
 * UTC quarter hours (every zone offset in use is a multiple of 15 minutes),
 * so the database does the counting and C only folds quarter hours into
 * local days.
 */
#ifndef HAIL_STORE_REPORTS_H
#define HAIL_STORE_REPORTS_H

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/db.h"
#include "store/emails.h" /* email_viewer */

typedef enum report_kind {
    REPORT_TEMPLATES,
    REPORT_CAMPAIGNS,
    REPORT_USERS,
    REPORT_TEAMS,
} report_kind;

/* "templates" → REPORT_TEMPLATES …; -1 when name is none of them. */
int report_kind_parse(const char *name);
const char *report_kind_name(report_kind k);

#define REPORT_MAX_DAYS 366

typedef struct report_query {
    report_kind kind;
    int64_t from_day, to_day; /* days since 1970-01-01, inclusive, local to time_zone */
    int week;                 /* 1: weekly series (weeks start on Monday), 0: daily */
    int64_t id;               /* one template/campaign/user/team; 0: all */
    const char *time_zone;    /* the viewer's zone (NULL or unknown: UTC) */
} report_query;

/* The report for v:
 * {"kind","from","to","interval","time_zone",
 *  "rows":[{"id","name",METRICS}] (by name),
 *  "series":[{"start":"YYYY-MM-DD",METRICS}] (each day or week from the one
 *            holding from; the sum of the rows)}
 * with METRICS "sent","opens","machine_opens","clicks","machine_clicks",
 * "replies","bounces","unsubscribes","calls":{"<outcome>":n…,"total":n},
 * "tasks_completed". Rows: users — every covered user; teams — every team
 * the viewer is in (admins: all), counting only covered users' activity;
 * templates/campaigns — those with activity in the range. q->id not one of
 * them: HAIL_ENOTFOUND ("no template with id N"). */
hail_err reports_get(db *d, const email_viewer *v, const report_query *q, json_t **out);

/* A report as CSV (RFC 4180, CRLF; a cell that a spreadsheet would read as
 * a formula — starting with = + - @ tab or CR — gets a leading '): its rows
 * (series 0) or its series (1), one column per metric, calls as a total
 * then one column per outcome. */
hail_err reports_csv(const json_t *rep, int series, buf *out);

/* The two statements a report runs (activities, then tasks), for EXPLAIN in
 * tests: scoped is 0 for an admin (no user list, $3 absent). */
const char *reports_activity_sql(db *d, report_kind k, int scoped);
const char *reports_tasks_sql(db *d, report_kind k, int scoped);

#endif
