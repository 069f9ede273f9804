#include "core/common.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "svc/activity.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

/* GET /api/v1/people/{id}/activities?type=&limit=&cursor= — newest first. */
void api_person_activities(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    int64_t before = api_cursor_id(raw, 'a');
    if (before < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    const char *type = http_query(r, "type");
    if (type && !activity_type_name(type)) {
        http_reply_error(r, 400, "bad_request",
                         "type must be one of email_send, email_open, email_click, email_reply, "
                         "email_autoreply, email_bounce, call, campaign_add, campaign_remove, "
                         "unsubscribe, resubscribe");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a = NULL;
    int64_t next = 0;
    hail_err e = activity_person_page(d, id, type, before, limit, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "a%lld", (long long)next);
    api_reply_page(r, e, a, c);
}
