#include "core/common.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "svc/teams.h"

/* Handlers parse and reply; svc/teams.c does the work in its transactions. */

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

/* The body of POST and PATCH, as docs/openapi.json's TeamWrite says. */
const api_member api_teams_body[] = {
    {"name", API_STRING, true, false, 1, 100, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

static const char *team_name(http_req *r, json_t *body)
{
    json_t *v[sizeof api_teams_body / sizeof *api_teams_body];
    return api_body_check(r, body, api_teams_body, v) ? json_string_value(v[0]) : NULL;
}

static void reply_team(http_req *r, db *d, int64_t id, int status)
{
    json_t *t = NULL;
    hail_err e = team_get(d, id, &t);
    api_reply(r, e, status, t);
}

void api_teams_list(http_req *r)
{
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    /* The position is the last team's name: "n<name>". */
    if (*raw && raw[0] != 'n') {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    char *next = NULL;
    hail_err e = team_page(d, *raw ? raw + 1 : NULL, limit, &a, &next);
    char c[API_CURSOR_MAX] = "";
    /* A name is at most 100 characters (400 bytes): it always fits. */
    if (next && strlen(next) + 2 <= sizeof c * 3 / 4 - 2)
        snprintf(c, sizeof c, "n%s", next);
    free(next);
    api_reply_page(r, e, a, c);
}

void api_teams_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    const char *name = team_name(r, body);
    if (name) {
        json_t *t;
        hail_err e = team_create(d, name, &t);
        api_reply(r, e, 201, t);
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
        json_t *t;
        hail_err e = team_rename(d, id, name, &t);
        api_reply(r, e, 200, t);
    }
    json_decref(body);
}

void api_teams_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = team_delete(d, id);
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
    hail_err e = team_member_add(d, id, uid, &t);
    api_reply(r, e, 200, t);
}

void api_teams_member_remove(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    int64_t uid = id ? api_param_id(r, 1) : 0;
    db *d = uid ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *t;
    hail_err e = team_member_remove(d, id, uid, &t);
    api_reply(r, e, 200, t);
}
