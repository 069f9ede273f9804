#include "core/common.h"

#include <stddef.h>

#include "api/api.h"
#include "core/timeutil.h"

extern const char hail_openapi_json[];
extern const size_t hail_openapi_json_len;

void api_healthz(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    api_ctx *ctx = r->app;
    char started[TIME_ISO_LEN];
    time_format_iso(ctx->started_at, started);
    http_reply_json(r, 200,
                    json_pack("{s:s,s:s,s:i,s:s}", "status", "ok", "version", HAIL_VERSION,
                              "schema_version", db_schema_version(d), "started_at", started));
}

void api_openapi(http_req *r)
{
    http_reply_raw(r, 200, "application/json", hail_openapi_json, hail_openapi_json_len);
}
