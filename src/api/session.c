#include "core/common.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "auth/auth.h"
#include "core/buf.h"
#include "core/cadence.h"
#include "core/timeutil.h"
#include "store/panel.h"
#include "store/users.h"
#include "svc/campaigns.h"
#include "svc/settings.h"

typedef struct forwarded {
    buf list;
    int bad; /* too long: use the peer */
} forwarded;

static enum MHD_Result add_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    forwarded *f = cls;
    if (key && value && !strcasecmp(key, "X-Forwarded-For") &&
        ((f->list.len && buf_putc(&f->list, ',')) || buf_puts(&f->list, value)))
        f->bad = 1;
    return MHD_YES;
}

/* The client address sign-in limits count against (see auth_client_address).
 * Every X-Forwarded-For header counts, in order, as one list: a proxy that
 * adds its own header line must not let the client's line speak for it. */
static void client_address(http_req *r, char *out, size_t n)
{
    forwarded f = {.list = BUF_INIT(16384)};
    if (auth_proxies_count())
        MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_forwarded, &f);
    auth_client_address(r->client, f.list.len && !f.bad ? buf_cstr(&f.list) : NULL, out, n);
    buf_release(&f.list);
}

static void set_cookie(http_req *r, const char *value, int64_t max_age_s)
{
    char c[256];
    /* SameSite=Strict, unless an admin allowed origins to frame the panel and
     * the cookie is Secure (docs/insight.md): then None, or the framed panel
     * would never be signed in. Writes still need the X-CSRF-Token header. */
    db *d = settings()->cookie_secure ? api_db(r) : NULL;
    const char *site = d && panel_embedding_on(d) ? "None" : "Strict";
    snprintf(c, sizeof c, "%s=%s; Path=/; HttpOnly; SameSite=%s; Max-Age=%lld%s",
             AUTH_SESSION_COOKIE, value, site, (long long)max_age_s,
             settings()->cookie_secure ? "; Secure" : "");
    http_add_header(r, "Set-Cookie", c);
}

static void reply_retry(http_req *r, int64_t retry);

static json_t *session_json(db *d, int64_t user_id, const char *csrf, int64_t expires_at)
{
    json_t *u = NULL;
    if (users_json(d, user_id, &u))
        return NULL;
    char exp[TIME_ISO_LEN];
    time_format_iso(expires_at, exp);
    return json_pack("{s:o,s:s,s:s}", "user", u, "csrf_token", csrf, "expires_at", exp);
}

/* docs/openapi.json's SessionCreate. */
const api_member api_session_create_body[] = {
    {"email", API_STRING, true, false, 0, 254, NULL},
    {"password", API_STRING, true, false, 0, AUTH_PASSWORD_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

void api_session_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[sizeof api_session_create_body / sizeof *api_session_create_body];
    if (!api_body_check(r, body, api_session_create_body, v))
        goto out;
    const char *email = json_string_value(v[0]);
    const char *password = json_string_value(v[1]);
    user u;
    char session[AUTH_TOKEN_MAX], csrf[64];
    int64_t expires = 0, retry = 0;
    char client[80];
    client_address(r, client, sizeof client);
    hail_err e = auth_login(d, email, password, client, &u, session, csrf, &expires, &retry);
    if (e == HAIL_EQUOTA) {
        reply_retry(r, retry);
        goto out;
    }
    if (e) {
        http_reply_err(r, e);
        goto out;
    }
    set_cookie(r, session, AUTH_SESSION_TTL_US / US_PER_SEC);
    json_t *j = session_json(d, u.id, csrf, expires);
    if (!j)
        http_reply_err(r, HAIL_ENOMEM);
    else
        http_reply_json(r, 201, j);
out:
    json_decref(body);
}

void api_session_get(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    if (!r->via_session) {
        http_reply_error(r, 404, "not_found", "token callers have no session");
        return;
    }
    user u;
    char csrf[64];
    int64_t exp;
    hail_err e = auth_session(d, http_cookie(r, AUTH_SESSION_COOKIE), &u, csrf, &exp);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    json_t *j = session_json(d, u.id, csrf, exp);
    if (!j)
        http_reply_err(r, HAIL_ENOMEM);
    else
        http_reply_json(r, 200, j);
}

void api_session_delete(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    const char *cookie = http_cookie(r, AUTH_SESSION_COOKIE);
    if (!r->via_session || !cookie) {
        http_reply_error(r, 404, "not_found", "token callers have no session");
        return;
    }
    hail_err e = auth_logout(d, cookie);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    set_cookie(r, "", 0);
    http_reply_raw(r, 204, NULL, "", 0);
}

void api_me(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *u = NULL;
    hail_err e = users_json(d, r->user_id, &u);
    /* issue 9, B: on leave since (POST /api/v1/me/campaigns/pause), or null */
    int64_t leave = 0;
    if (!e && !(e = campaign_leave_since(d, r->user_id, &leave))) {
        char t[TIME_ISO_LEN];
        time_format_iso(leave, t);
        json_object_set_new(u, "campaigns_paused_at", leave ? json_string(t) : json_null());
    }
    api_reply(r, e, 200, u);
}

static void reply_retry(http_req *r, int64_t retry)
{
    char ra[32];
    snprintf(ra, sizeof ra, "%lld", (long long)retry);
    http_add_header(r, "Retry-After", ra);
    http_reply_error(r, 429, "rate_limited", "%s", hail_errmsg());
}

/* PATCH /api/v1/me {"current_password", "password"} and/or {"time_zone"}:
 * a user changes their own password (their other sessions end; the one
 * making the change stays) or their time zone (issue 9). */
const api_member api_me_update_body[] = {
    {"current_password", API_STRING, false, false, 0, AUTH_PASSWORD_MAX, NULL},
    {"password", API_STRING, false, false, AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX, NULL},
    {"time_zone", API_STRING, false, false, 1, 255, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

void api_me_update(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[sizeof api_me_update_body / sizeof *api_me_update_body];
    if (!api_body_check(r, body, api_me_update_body, v))
        goto out;
    const char *zone = json_string_value(v[2]);
    if (!zone || v[0] || v[1]) {
        if (!v[0] && (v[1] || !zone)) {
            http_reply_error(r, 400, "bad_request", "%s",
                             v[1] ? "current_password is required"
                                  : "nothing to change: give time_zone, or current_password "
                                    "and password");
            goto out;
        }
        if (!v[1]) {
            http_reply_error(r, 400, "bad_request", "password is required");
            goto out;
        }
    }
    if (zone && !tz_valid(zone)) {
        const tz *z;
        tz_get(zone, &z);
        http_reply_error(r, 422, "unknown_time_zone", "%s", hail_errmsg());
        goto out;
    }
    hail_err e = HAIL_OK;
    if (v[0]) {
        char client[80];
        client_address(r, client, sizeof client);
        int64_t retry = 0;
        e = auth_password_change(
            d, r->user_id, json_string_value(v[0]), json_string_value(v[1]), client,
            r->via_session ? http_cookie(r, AUTH_SESSION_COOKIE) : NULL, &retry);
        if (e == HAIL_EQUOTA) {
            reply_retry(r, retry);
            goto out;
        }
    }
    if (!e && zone)
        e = users_set_time_zone(d, r->user_id, zone);
    if (e)
        http_reply_err(r, e);
    else
        api_me(r);
out:
    json_decref(body);
}
