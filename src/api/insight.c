#include "core/common.h"

/* The insight panels over the API (docs/insight.md "Panels"): a person's,
 * a Salesforce account's and opportunity's panel, and the aggregated
 * history of an account / opportunity. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/timeutil.h"
#include "store/insight.h"

#define HISTORY_DEFAULT 50
#define HISTORY_MAX     200
#define SFDC_ID_SHOWN   100 /* an unknown id longer than this is not repeated */

static email_viewer viewer(http_req *r)
{
    return (email_viewer){.user_id = r->user_id, .role = r->user_role};
}

/* 1 when a Salesforce id from the path is short and plain enough to repeat
 * in a message (letters, digits, '-', '_', '.'). */
static int repeatable(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++) {
        char c = id[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return n > 0 && n <= SFDC_ID_SHOWN;
}

/* e as the reply, with a 404 for an account / opportunity naming its id. */
static void reply_err(http_req *r, hail_err e, const insight_target *t)
{
    if (e != HAIL_ENOTFOUND || t->kind == INSIGHT_PERSON) {
        http_reply_err(r, e);
        return;
    }
    const char *what = t->kind == INSIGHT_ACCOUNT ? "account" : "opportunity";
    if (repeatable(t->sfdc_id))
        http_reply_error(r, 404, "not_found", "no %s with id %s among the people you see", what,
                         t->sfdc_id);
    else
        http_reply_error(r, 404, "not_found", "no %s with that id among the people you see", what);
}

static void panel(http_req *r, const insight_target *t)
{
    char zone[256];
    db *d = api_db_zone(r, zone);
    if (!d)
        return;
    email_viewer v = viewer(r);
    json_t *j = NULL;
    hail_err e = insight_get(d, &v, t, zone, time_now_us(), &j);
    if (e)
        reply_err(r, e, t);
    else
        api_reply(r, HAIL_OK, 200, j);
}

/* GET /api/v1/people/{id}/insight */
void api_person_insight(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    insight_target t = {.kind = INSIGHT_PERSON, .person_id = id};
    panel(r, &t);
}

/* GET /api/v1/accounts/{id}/insight */
void api_account_insight(http_req *r)
{
    insight_target t = {.kind = INSIGHT_ACCOUNT, .sfdc_id = r->param[0]};
    panel(r, &t);
}

/* GET /api/v1/opportunities/{id}/insight */
void api_opportunity_insight(http_req *r)
{
    insight_target t = {.kind = INSIGHT_OPPORTUNITY, .sfdc_id = r->param[0]};
    panel(r, &t);
}

/* ?limit=, and the position: ?cursor= (as /people/{id}/activities) or
 * ?before=<activity id>. Replies 400 and returns 0 on bad input. */
static int history_params(http_req *r, int *limit, int64_t *before)
{
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, HISTORY_DEFAULT, HISTORY_MAX, limit, raw))
        return 0;
    *before = api_cursor_id(raw, 'a');
    if (*before < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return 0;
    }
    const char *b = http_query(r, "before");
    if (!b)
        return 1;
    if (*raw) {
        http_reply_error(r, 400, "bad_request", "give cursor or before, not both");
        return 0;
    }
    char *end = NULL;
    long long v = (*b >= '0' && *b <= '9') ? strtoll(b, &end, 10) : 0;
    if (!end || *end || v <= 0 || v == LLONG_MAX) {
        http_reply_error(r, 400, "bad_request",
                         "before must be an activity id (a positive integer)");
        return 0;
    }
    *before = v;
    return 1;
}

static void history(http_req *r, const insight_target *t)
{
    int limit;
    int64_t before;
    if (!history_params(r, &limit, &before))
        return;
    db *d = api_db(r);
    if (!d)
        return;
    email_viewer v = viewer(r);
    json_t *a = NULL;
    int64_t next = 0;
    hail_err e = insight_history(d, &v, t, before, limit, &a, &next);
    if (e) {
        reply_err(r, e, t);
        return;
    }
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "a%lld", (long long)next);
    api_reply_page(r, HAIL_OK, a, c);
}

/* GET /api/v1/accounts/{id}/activities */
void api_account_activities(http_req *r)
{
    insight_target t = {.kind = INSIGHT_ACCOUNT, .sfdc_id = r->param[0]};
    history(r, &t);
}

/* GET /api/v1/opportunities/{id}/activities */
void api_opportunity_activities(http_req *r)
{
    insight_target t = {.kind = INSIGHT_OPPORTUNITY, .sfdc_id = r->param[0]};
    history(r, &t);
}
