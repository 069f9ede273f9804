#include "core/common.h"

#include <string.h>

#include "api/api.h"
#include "auth/auth.h"
#include "store/users.h"

#define MAX_TEAMS 100

/* Reads an optional "teams": [id, …]; returns the count, -1 if absent, -2
 * after replying 400. */
static int teams_arg(http_req *r, json_t *body, int64_t *ids)
{
    json_t *t = json_object_get(body, "teams");
    if (!t)
        return -1;
    if (!json_is_array(t) || json_array_size(t) > MAX_TEAMS) {
        http_reply_error(r, 400, "bad_request", "teams must be an array of at most %d team ids",
                         MAX_TEAMS);
        return -2;
    }
    size_t i;
    json_t *v;
    json_array_foreach(t, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            http_reply_error(r, 400, "bad_request", "teams must hold team ids (integers)");
            return -2;
        }
        ids[i] = json_integer_value(v);
    }
    return (int)json_array_size(t);
}

/* A string member, or NULL when absent; replies 400 (and sets *bad) when the
 * member is there but not a string. */
static const char *str_member(http_req *r, json_t *body, const char *key, int *bad)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        http_reply_error(r, 400, "bad_request", "%s must be a string", key);
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

static void reply_user(http_req *r, db *d, int64_t id, int status)
{
    json_t *u = NULL;
    hail_err e = users_json(d, id, &u);
    api_reply(r, e, status, u);
}

void api_users_list(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    hail_err e = users_list_json(d, &a);
    api_reply_list(r, e, a);
}

void api_users_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    static const char *const allowed[] = {"email", "name", "role", "password", "teams", NULL};
    if (!api_only_members(r, body, allowed))
        goto out;
    int bad = 0;
    const char *email = str_member(r, body, "email", &bad);
    const char *name = bad ? NULL : str_member(r, body, "name", &bad);
    const char *role = bad ? NULL : str_member(r, body, "role", &bad);
    const char *password = bad ? NULL : str_member(r, body, "password", &bad);
    int64_t teams[MAX_TEAMS];
    int nteams = bad ? -2 : teams_arg(r, body, teams);
    if (bad || nteams == -2)
        goto out;
    if (!email || !name || !role) {
        http_reply_error(r, 400, "bad_request", "email, name and role are required");
        goto out;
    }
    int64_t id;
    hail_err e = auth_user_add(d, email, name, role, NULL, teams, nteams, password, &id);
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
    static const char *const allowed[] = {"name", "role", "password", "active", "teams", NULL};
    if (!api_only_members(r, body, allowed))
        goto out;
    int bad = 0, active = -1;
    const char *name = str_member(r, body, "name", &bad);
    const char *role = bad ? NULL : str_member(r, body, "role", &bad);
    const char *password = bad ? NULL : str_member(r, body, "password", &bad);
    json_t *act = json_object_get(body, "active");
    if (!bad && act) {
        if (!json_is_boolean(act)) {
            http_reply_error(r, 400, "bad_request", "active must be true or false");
            bad = 1;
        } else {
            active = json_is_true(act);
        }
    }
    int64_t teams[MAX_TEAMS];
    int nteams = bad ? -2 : teams_arg(r, body, teams);
    if (bad || nteams == -2)
        goto out;
    hail_err e = auth_user_update(d, id, name, role, active, password, teams, nteams);
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
