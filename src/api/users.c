#include "core/common.h"

#include <string.h>

#include "api/api.h"
#include "auth/auth.h"
#include "store/users.h"

#define MAX_TEAMS    100
#define PAGE_DEFAULT 50
#define PAGE_MAX     200

/* The request members, as docs/openapi.json's UserCreate and UserUpdate say. */
static const char *const roles[] = {"admin", "manager", "rep", NULL};
enum { M_EMAIL, M_NAME, M_ROLE, M_PASSWORD, M_TEAMS };
const api_member api_users_create_body[] = {
    [M_EMAIL] = {"email", API_EMAIL, true, false, 3, 254, NULL},
    [M_NAME] = {"name", API_STRING, true, false, 1, 200, NULL},
    [M_ROLE] = {"role", API_STRING, true, false, 0, 0, roles},
    [M_PASSWORD] = {"password", API_STRING, false, false, AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX,
                    NULL},
    [M_TEAMS] = {"teams", API_IDS, false, false, 0, MAX_TEAMS, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};
enum { U_NAME, U_ROLE, U_PASSWORD, U_ACTIVE, U_TEAMS };
const api_member api_users_update_body[] = {
    [U_NAME] = {"name", API_STRING, false, false, 1, 200, NULL},
    [U_ROLE] = {"role", API_STRING, false, false, 0, 0, roles},
    [U_PASSWORD] = {"password", API_STRING, false, false, AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX,
                    NULL},
    [U_ACTIVE] = {"active", API_BOOL, false, false, 0, 0, NULL},
    [U_TEAMS] = {"teams", API_IDS, false, false, 0, MAX_TEAMS, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* The team ids of a checked "teams" member: the count, -1 if absent. */
static int team_ids(json_t *t, int64_t *ids)
{
    if (!t)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(t, i, v) ids[i] = json_integer_value(v);
    return (int)json_array_size(t);
}

static void reply_user(http_req *r, db *d, int64_t id, int status)
{
    json_t *u = NULL;
    hail_err e = users_json(d, id, &u);
    api_reply(r, e, status, u);
}

void api_users_list(http_req *r)
{
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    int64_t after = api_cursor_id(raw, 'u');
    if (after < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    int64_t next;
    hail_err e = users_page_json(d, after, limit, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "u%lld", (long long)next);
    api_reply_page(r, e, a, c);
}

void api_users_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[sizeof api_users_create_body / sizeof *api_users_create_body];
    if (!api_body_check(r, body, api_users_create_body, v))
        goto out;
    int64_t teams[MAX_TEAMS];
    int nteams = team_ids(v[M_TEAMS], teams);
    int64_t id;
    hail_err e = auth_user_add(d, json_string_value(v[M_EMAIL]), json_string_value(v[M_NAME]),
                               json_string_value(v[M_ROLE]), NULL, teams, nteams,
                               json_string_value(v[M_PASSWORD]), &id);
    if (e) {
        http_reply_err(r, e);
        goto out;
    }
    reply_user(r, d, id, 201);
out:
    json_decref(body);
}

void api_users_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (d)
        reply_user(r, d, id, 200);
}

void api_users_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[sizeof api_users_update_body / sizeof *api_users_update_body];
    if (!api_body_check(r, body, api_users_update_body, v))
        goto out;
    int64_t teams[MAX_TEAMS];
    int nteams = team_ids(v[U_TEAMS], teams);
    int active = v[U_ACTIVE] ? json_is_true(v[U_ACTIVE]) : -1;
    hail_err e = auth_user_update(d, id, json_string_value(v[U_NAME]), json_string_value(v[U_ROLE]),
                                  active, json_string_value(v[U_PASSWORD]), teams, nteams);
    if (e)
        http_reply_err(r, e);
    else
        reply_user(r, d, id, 200);
out:
    json_decref(body);
}

void api_users_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = auth_user_update(d, id, NULL, NULL, 0, NULL, NULL, -1);
    if (e)
        http_reply_err(r, e);
    else
        reply_user(r, d, id, 200);
}
