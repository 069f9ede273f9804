#include "core/common.h"

#include <math.h>

#include "api/api.h"
#include "sync/sync.h"

/* interval_s is a number of seconds: a whole one is served as an integer
 * (300, not 300.0), as docs/openapi.json's SyncStatus says. */
static json_t *status_json(db *d)
{
    json_t *j = sync_status_json(d);
    json_t *iv = json_object_get(j, "interval_s");
    double s = json_number_value(iv);
    if (json_is_real(iv) && s == floor(s) && fabs(s) < 1e15)
        json_object_set_new(j, "interval_s", json_integer((json_int_t)s));
    return j;
}

void api_sync_marketo_get(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *j = status_json(d);
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
    json_t *j = status_json(d);
    if (!j)
        http_reply_err(r, HAIL_EDB);
    else
        http_reply_json(r, 202, j);
}
