#include "core/common.h"

#include "api/api.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/log.h"

db *api_db(http_req *r)
{
    api_ctx *ctx = r->app;
    db *d;
    hail_err e = db_thread(ctx->db_path, &d);
    if (e) {
        log_error("api: cannot open database: %s", hail_errmsg());
        http_reply_error(r, 503, "unavailable", "database unavailable");
        return NULL;
    }
    return d;
}

int64_t api_param_id(http_req *r, int i)
{
    if (i >= r->nparams)
        return 0;
    const char *s = r->param[i];
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s < '1' || *s > '9' || *end || v <= 0) {
        http_reply_error(r, 404, "not_found", "no such id: %.40s", s);
        return 0;
    }
    return v;
}

void api_cursor_encode(const char *raw, char out[API_CURSOR_MAX])
{
    size_t n = strlen(raw);
    if (sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) > API_CURSOR_MAX)
        n = 0; /* cannot happen: store cursors are short */
    sodium_bin2base64(out, API_CURSOR_MAX, (const unsigned char *)raw, n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int cursor_decode(const char *s, char raw[API_CURSOR_MAX])
{
    size_t n;
    if (strlen(s) >= API_CURSOR_MAX ||
        sodium_base642bin((unsigned char *)raw, API_CURSOR_MAX - 1, s, strlen(s), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return 0;
    raw[n] = '\0';
    return n > 0 && strlen(raw) == n; /* no NUL inside */
}

int api_page_params(http_req *r, int def, int max, int *limit, char raw[API_CURSOR_MAX])
{
    *limit = def;
    raw[0] = '\0';
    const char *l = http_query(r, "limit");
    if (l) {
        char *end;
        long v = strtol(l, &end, 10);
        if (!*l || *end || v < 1 || v > max) {
            http_reply_error(r, 400, "bad_request", "limit must be an integer from 1 to %d", max);
            return 0;
        }
        *limit = (int)v;
    }
    const char *c = http_query(r, "cursor");
    if (c && *c && !cursor_decode(c, raw)) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return 0;
    }
    return 1;
}

void api_reply(http_req *r, hail_err e, int status, json_t *j)
{
    if (e) {
        json_decref(j);
        http_reply_err(r, e);
    } else if (!j) {
        http_reply_err(r, HAIL_ENOMEM);
    } else {
        http_reply_json(r, status, j);
    }
}

void api_reply_list(http_req *r, hail_err e, json_t *a)
{
    api_reply(r, e, 200, e ? a : json_pack("{s:o}", "data", a));
}

int api_only_members(http_req *r, json_t *body, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, key);
        if (!ok) {
            http_reply_error(r, 400, "bad_request", "unknown member '%.64s'", key);
            return 0;
        }
    }
    return 1;
}

static int is_safe_method(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS");
}

/* Establishes who is calling: a bearer token, else the session cookie.
 * Returns 1 when r->user_* are set, 0 when no credentials were offered, -1
 * after replying with an error. */
static int authenticate(http_req *r, db *d)
{
    const char *authz = http_header(r, "Authorization");
    user u;
    hail_err e;
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0) {
            http_add_header(r, "WWW-Authenticate", "Bearer");
            http_reply_error(r, 401, "unauthorized", "use 'Authorization: Bearer <token>'");
            return -1;
        }
        const char *tok = authz + 7;
        while (*tok == ' ')
            tok++;
        e = auth_bearer(d, tok, &u);
        if (e) {
            http_add_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
            http_reply_err(r, e);
            return -1;
        }
    } else {
        const char *cookie = http_cookie(r, AUTH_SESSION_COOKIE);
        if (!cookie)
            return 0;
        char csrf[64];
        int64_t exp;
        e = auth_session(d, cookie, &u, csrf, &exp);
        if (e) {
            http_reply_err(r, e);
            return -1;
        }
        /* A cookie rides along on cross-site requests; a header does not. */
        if (!is_safe_method(r->method)) {
            const char *sent = http_header(r, "X-CSRF-Token");
            if (!sent || !auth_secure_equal(sent, csrf)) {
                http_reply_error(r, 403, "csrf", "missing or wrong X-CSRF-Token header");
                return -1;
            }
        }
        r->via_session = 1;
    }
    r->user_id = u.id;
    snprintf(r->user_email, sizeof r->user_email, "%s", u.email);
    snprintf(r->user_role, sizeof r->user_role, "%s", u.role);
    return 1;
}

static void dispatch(http_req *r)
{
    /* body_limit() already routed this request (the server calls it first). */
    if (r->resp_failed)
        return; /* out of memory while routing: the server replies 500 */
    if (!r->route) {
        if (r->method_mismatch) {
            http_add_header(r, "Allow", r->allow);
            http_reply_error(r, 405, "method_not_allowed", "%s is not allowed here (allowed: %s)",
                             r->method, r->allow);
        } else {
            http_reply_error(r, 404, "not_found", "no such resource");
        }
        return;
    }
    /* Who is calling comes first: an anonymous caller learns nothing about
     * the body a route takes (not even its limit) before it is told to sign
     * in. The server has read at most the route's limit plus a bounded
     * discard of any body by now, or nothing of a huge declared one. */
    if (r->route->auth != AUTH_ANON) {
        db *d = api_db(r);
        if (!d)
            return;
        int who = authenticate(r, d);
        if (who < 0)
            return;
        if (who == 0) {
            http_add_header(r, "WWW-Authenticate", "Bearer");
            http_reply_error(r, 401, "unauthorized", "authentication required");
            return;
        }
        if (r->route->auth == AUTH_ADMIN && strcmp(r->user_role, "admin") != 0) {
            http_reply_error(r, 403, "forbidden", "this needs the admin role");
            return;
        }
    }
    if (r->route->max_body == 0 && http_has_body(r)) {
        http_reply_error(r, 400, "bad_request", "this operation takes no request body");
        return;
    }
    if (r->too_large) {
        http_reply_error(r, 413, "too_large", "request body is larger than %zu bytes",
                         r->route->max_body);
        return;
    }
    r->route->fn(r);
}

/* Routes the request once, on its first callback; dispatch() uses the result. */
static size_t body_limit(http_req *r)
{
    router_match(api_routes(), r);
    return r->route ? r->route->max_body : 0;
}

void api_app_init(http_app *app, api_ctx *ctx)
{
    app->handle = dispatch;
    app->body_limit = body_limit;
    app->ctx = ctx;
    app->access_log = 1;
}
