#include "core/common.h"

#include <string.h>

#include "api/api.h"
#include "auth/auth.h"
#include "store/users.h"

/* Users manage their own tokens; admins see and revoke everyone's. */

static int is_admin(http_req *r)
{
    return strcmp(r->user_role, "admin") == 0;
}

void api_tokens_list(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    const char *all = http_query(r, "all");
    int64_t who = all && !strcmp(all, "true") && is_admin(r) ? 0 : r->user_id;
    hail_err e = tokens_list_json(d, who, &a);
    api_reply_list(r, e, a);
}

void api_tokens_create(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    const char *name = NULL;
    json_t *body = NULL;
    if (r->body.len) {
        if (!(body = http_json_body(r)))
            return;
        static const char *const allowed[] = {"name", NULL};
        if (!api_only_members(r, body, allowed)) {
            json_decref(body);
            return;
        }
        json_t *n = json_object_get(body, "name");
        if (n && (!json_is_string(n) || json_string_length(n) > 100)) {
            http_reply_error(r, 400, "bad_request",
                             "name must be a string of at most 100 characters");
            json_decref(body);
            return;
        }
        name = json_string_value(n);
    }
    char token[AUTH_TOKEN_MAX];
    int64_t id;
    hail_err e = auth_token_create(d, r->user_email, name, token, &id);
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
    hail_err e = tokens_revoke(d, id, is_admin(r) ? 0 : r->user_id);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}
