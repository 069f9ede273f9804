#include <string.h>

#include "api/api.h"
#include "store/people.h"

#define PEOPLE_PAGE_DEFAULT 50
#define PEOPLE_PAGE_MAX 200

/* A filter value from the query string, bounded; replies 400 when too long. */
static int filter(http_req *r, const char *name, const char **out)
{
    const char *v = http_query(r, name);
    *out = v && *v ? v : NULL;
    if (v && strlen(v) > 256) {
        http_reply_error(r, 400, "bad_request", "%s is longer than 256 characters", name);
        return 0;
    }
    return 1;
}

static void list(http_req *r, const char *account, const char *opportunity)
{
    people_query q = {0};
    if (!api_page_params(r, PEOPLE_PAGE_DEFAULT, PEOPLE_PAGE_MAX, &q.limit, &q.after_id) ||
        !filter(r, "q", &q.q) || !filter(r, "owner", &q.owner))
        return;
    if (!account && !filter(r, "account", &account))
        return;
    if (!opportunity && !filter(r, "opportunity", &opportunity))
        return;
    if (q.owner && !strcmp(q.owner, "me"))
        q.owner = r->user_email;
    q.account = account;
    q.opportunity = opportunity;
    db *d = api_db(r);
    if (!d)
        return;
    json_t *data = json_array();
    int64_t next = 0;
    hail_err e = data ? people_list(d, &q, data, &next) : HAIL_ENOMEM;
    if (e) {
        json_decref(data);
        http_reply_err(r, e);
        return;
    }
    char cursor[32];
    if (next)
        api_cursor_encode(next, cursor);
    http_reply_json(r, 200, json_pack("{s:o,s:s?}", "data", data, "next_cursor",
                                      next ? cursor : NULL));
}

void api_people_list(http_req *r)
{
    list(r, NULL, NULL);
}

void api_account_people(http_req *r)
{
    list(r, r->param[0], NULL);
}

void api_opportunity_people(http_req *r)
{
    list(r, NULL, r->param[0]);
}

void api_people_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *p = NULL;
    hail_err e = people_get(d, id, &p);
    api_reply(r, e, 200, p);
}
