/* TEMPORARY until src/sync lands: replaced by the real handlers. */
#include "api/api.h"

void api_sync_marketo_get(http_req *r)
{
    http_reply_error(r, 503, "unavailable", "sync not built yet");
}

void api_sync_marketo_post(http_req *r)
{
    http_reply_error(r, 503, "unavailable", "sync not built yet");
}
