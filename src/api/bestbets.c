#include "core/common.h"

/* GET /api/v1/best-bets: the caller's people ranked by engagement
 * (store/bestbets.h, core/bestbets.h; docs/insight.md "## Best Bets"). */
#include "api/api.h"
#include "core/timeutil.h"
#include "store/bestbets.h"
#include "store/users.h"
#include "store/visibility.h"
#include "svc/activity.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

/* ?user_id=: a positive integer, or absent (0). Replies 400 and returns -1 when bad. */
static int64_t query_user_id(http_req *r)
{
    const char *v = http_query(r, "user_id");
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno || n <= 0 || !isdigit((unsigned char)v[0])) {
        http_reply_error(r, 400, "bad_request", "user_id must be a positive integer, not '%.64s'",
                         v);
        return -1;
    }
    return n;
}

/* The owner's email: the caller's, or a covered user's. Replies and returns 0 when not. */
static int owner_email(http_req *r, db *d, int64_t uid, char out[256])
{
    if (!uid || uid == r->user_id) {
        snprintf(out, 256, "%s", r->user_email);
        return 1;
    }
    email_viewer v = {r->user_id, r->user_role};
    vis_scope s;
    hail_err e = vis_scope_load(d, &v, &s);
    if (e) {
        http_reply_err(r, e);
        return 0;
    }
    int covered = vis_covers_user(&s, uid);
    vis_scope_free(&s);
    user u;
    if (covered && !(e = users_get(d, uid, &u))) {
        snprintf(out, 256, "%s", u.email);
        return 1;
    }
    if (e && e != HAIL_ENOTFOUND) {
        http_reply_err(r, e);
        return 0;
    }
    /* Not covered looks the same as not there. */
    http_reply_error(r, 404, "not_found", "no user with id %lld", (long long)uid);
    return 0;
}

/* why[].type_name from the activity types. */
static void name_types(json_t *rows)
{
    size_t i, k;
    json_t *row, *w;
    json_array_foreach(rows, i, row)
    {
        json_array_foreach(json_object_get(row, "why"), k, w)
        {
            const char *t = json_string_value(json_object_get(w, "type"));
            json_object_set_new(w, "type_name", json_string(activity_type_name(t)));
        }
    }
}

void api_best_bets(http_req *r)
{
    const char *f = http_query(r, "filter");
    int filter = bestbets_filter_parse(f);
    if (filter < 0) {
        http_reply_error(r, 400, "bad_request",
                         "filter must be one of leads, contacts, account_contacts, "
                         "opportunity_contacts, not '%.64s'",
                         f);
        return;
    }
    int64_t uid = query_user_id(r);
    if (uid < 0)
        return;
    bestbets_query q = {.filter = filter, .now = time_now_us()};
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &q.limit, raw))
        return;
    q.cursor = raw;
    db *d = api_db(r);
    if (!d)
        return;
    char owner[256];
    if (!owner_email(r, d, uid, owner))
        return;
    q.owner = owner;
    json_t *a = json_array();
    char next[BESTBETS_CURSOR_MAX];
    hail_err e = a ? bestbets_list(d, &q, a, next) : HAIL_ENOMEM;
    if (e == HAIL_EINVAL) {
        json_decref(a);
        http_reply_error(r, 400, "bad_request", "%s", hail_errmsg());
        return;
    }
    if (e) {
        json_decref(a);
        http_reply_err(r, e);
        return;
    }
    name_types(a);
    json_t *n = json_null();
    if (*next) {
        char c[API_CURSOR_MAX];
        api_cursor_encode(next, c);
        n = json_string(c);
    }
    api_reply(r, HAIL_OK, 200, json_pack("{s:o,s:o}", "data", a, "next", n));
}

/* GET /api/v1/users/covered: whose Best Bets the caller may read (the page's
 * picker): a manager their teams' members and themself, an admin everyone. */
void api_users_covered(http_req *r)
{
    if (strcmp(r->user_role, "admin") && strcmp(r->user_role, "manager")) {
        http_reply_error(r, 403, "forbidden", "this needs the manager or admin role");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    email_viewer v = {r->user_id, r->user_role};
    vis_scope s;
    hail_err e = vis_scope_load(d, &v, &s);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    json_t *a = json_array();
    e = a ? bestbets_covered_users(d, &s, a) : HAIL_ENOMEM;
    vis_scope_free(&s);
    if (e) {
        json_decref(a);
        http_reply_err(r, e);
        return;
    }
    api_reply(r, HAIL_OK, 200, json_pack("{s:o}", "data", a));
}
