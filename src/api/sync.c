#include "core/common.h"

#include "api/api.h"
#include "sync/sync.h"

void api_sync_marketo_get(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *j = sync_status_json(d);
    if (!j)
        http_reply_err(r, HAIL_EDB);
    else
        http_reply_json(r, 200, j);
}

void api_sync_marketo_post(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    if (!marketo_configured()) {
        http_reply_error(r, 409, "not_configured",
                         "Marketo is not configured (HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID, "
                         "HAIL_MARKETO_CLIENT_SECRET)");
        return;
    }
    /* The worker runs it; the request only asks. */
    sync_worker_trigger();
    json_t *j = sync_status_json(d);
    if (!j)
        http_reply_err(r, HAIL_EDB);
    else
        http_reply_json(r, 202, j);
}
