#include "core/common.h"

#include <string.h>

#include "api/api.h"
#include "store/users.h"

/* Team changes are single statements: no service transaction needed. */

static const char *team_name(http_req *r, json_t *body)
{
    static const char *const allowed[] = {"name", NULL};
    if (!api_only_members(r, body, allowed))
        return NULL;
    const char *name = json_string_value(json_object_get(body, "name"));
    if (!name || !*name || strlen(name) > 100) {
        http_reply_error(r, 400, "bad_request", "name (1 to 100 characters) is required");
        return NULL;
    }
    return name;
}

static void reply_team(http_req *r, db *d, int64_t id, int status)
{
    json_t *t = NULL;
    hail_err e = teams_json(d, id, &t);
    api_reply(r, e, status, t);
}

void api_teams_list(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    hail_err e = teams_list_json(d, &a);
    api_reply_list(r, e, a);
}

void api_teams_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    const char *name = team_name(r, body);
    int64_t id;
    if (name) {
        hail_err e = teams_create(d, name, &id);
        if (e)
            http_reply_err(r, e);
        else
            reply_team(r, d, id, 201);
    }
    json_decref(body);
}

void api_teams_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (d)
        reply_team(r, d, id, 200);
}

void api_teams_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    const char *name = team_name(r, body);
    if (name) {
        hail_err e = teams_rename(d, id, name);
        if (e)
            http_reply_err(r, e);
        else
            reply_team(r, d, id, 200);
    }
    json_decref(body);
}

void api_teams_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = teams_delete(d, id);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

void api_teams_member_add(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    int64_t uid = id ? api_param_id(r, 1) : 0;
    db *d = uid ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *t;
    user u;
    hail_err e = teams_json(d, id, &t);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    json_decref(t);
    if ((e = users_get(d, uid, &u)) || (e = teams_add_member(d, id, uid)))
        http_reply_err(r, e);
    else
        reply_team(r, d, id, 200);
}

void api_teams_member_remove(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    int64_t uid = id ? api_param_id(r, 1) : 0;
    db *d = uid ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = teams_remove_member(d, id, uid);
    if (e)
        http_reply_err(r, e);
    else
        reply_team(r, d, id, 200);
}
