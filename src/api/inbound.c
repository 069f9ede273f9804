#include "core/common.h"

#include "api/api.h"
#include "auth/auth.h"
#include "core/timeutil.h"
#include "mail/inbound.h"
#include "svc/settings.h"

/* Whether the request carries the inbound token (HAIL_INBOUND_TOKEN) as its
 * bearer token, compared in constant time. */
static int inbound_token_ok(http_req *r)
{
    const char *want = settings()->inbound_token;
    const char *authz = http_header(r, "Authorization");
    if (!want || !*want || !authz || strncasecmp(authz, "Bearer ", 7) != 0)
        return 0;
    const char *tok = authz + 7;
    while (*tok == ' ')
        tok++;
    return auth_secure_equal(tok, want);
}

/* POST /api/v1/inbound — a raw RFC 5322 message (Content-Type:
 * message/rfc822) from an MTA or an admin: classified, matched to our email
 * and its effects recorded (mail/inbound.h). */
void api_inbound_post(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    if (!inbound_token_ok(r)) {
        int who = api_authenticate(r, d);
        if (who < 0)
            return;
        if (who == 0) {
            http_add_header(r, "WWW-Authenticate", "Bearer");
            http_reply_error(r, 401, "unauthorized", "authentication required");
            return;
        }
        if (strcmp(r->user_role, "admin") != 0) {
            http_reply_error(r, 403, "forbidden", "this needs the admin role or the inbound token");
            return;
        }
    }
    const char *ct = http_header(r, "Content-Type");
    size_t n = ct ? strcspn(ct, "; \t") : 0;
    if (!ct || n != strlen("message/rfc822") || strncasecmp(ct, "message/rfc822", n) != 0) {
        http_reply_error(r, 415, "unsupported_media_type",
                         "send the raw message with Content-Type: message/rfc822");
        return;
    }
    if (r->body.len == 0) {
        http_reply_error(r, 400, "bad_request", "the message is empty");
        return;
    }
    inbound_src src = {.source = "api"};
    json_t *out = NULL;
    hail_err e = inbound_process(d, r->body.data, r->body.len, &src, time_now_us(), &out);
    api_reply(r, e, 200, out);
}
