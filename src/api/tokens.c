#include "core/common.h"

#include <string.h>

#include "api/api.h"
#include "svc/tokens.h"

/* Users manage their own tokens; admins see and revoke everyone's. */

static int is_admin(http_req *r)
{
    return strcmp(r->user_role, "admin") == 0;
}

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

void api_tokens_list(http_req *r)
{
    int limit, all, revoked;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw) ||
        !api_query_bool(r, "all", &all) || !api_query_bool(r, "include_revoked", &revoked))
        return;
    int64_t after = api_cursor_id(raw, 't');
    if (after < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    if (all && !is_admin(r)) {
        http_reply_error(r, 403, "forbidden", "all=true needs the admin role");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    int64_t next;
    hail_err e = token_page(d, all ? 0 : r->user_id, revoked, after, limit, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "t%lld", (long long)next);
    api_reply_page(r, e, a, c);
}

/* The body is optional; docs/openapi.json's TokenCreate. */
const api_member api_tokens_create_body[] = {
    {"name", API_STRING, false, true, 1, 100, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

void api_tokens_create(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *v[sizeof api_tokens_create_body / sizeof *api_tokens_create_body] = {NULL};
    json_t *body = NULL;
    if (r->body.len) {
        if (!(body = http_json_body(r)))
            return;
        if (!api_body_check(r, body, api_tokens_create_body, v)) {
            json_decref(body);
            return;
        }
    }
    const char *name = json_string_value(v[0]);
    char token[AUTH_TOKEN_MAX];
    int64_t id;
    hail_err e = token_create(d, r->user_email, name, token, &id);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_json(
            r, 201,
            json_pack("{s:I,s:s,s:s?}", "id", (json_int_t)id, "token", token, "name", name));
    json_decref(body);
}

void api_tokens_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = token_revoke(d, id, is_admin(r) ? 0 : r->user_id);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}
