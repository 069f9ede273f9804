#include "core/common.h"

/* A person's unsubscribes over the API: the state and history, a manual
 * unsubscribe by any user, a resubscribe by an admin (docs/mail.md). */
#include "api/api.h"

#include "mail/unsub.h"

void api_person_unsubscribes(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *out;
    hail_err e = unsub_get(d, id, &out);
    api_reply(r, e, 200, out);
}

static void change(http_req *r, const char *action)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *out;
    hail_err e = unsub_change(d, id, action, UNSUB_MANUAL, r->user_id, 0, &out);
    api_reply(r, e, 200, out);
}

void api_person_unsubscribe(http_req *r)
{
    change(r, "unsubscribe");
}

void api_person_resubscribe(http_req *r)
{
    change(r, "resubscribe");
}
