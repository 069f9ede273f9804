#include "core/common.h"

/* /api/v1/triggers: triggers (on an activity matching a saved filter: a
 * webhook, an add to a campaign, or a task), their firings and their
 * webhook delivery log. Admins only (svc/triggers.h says why). A webhook's
 * secret is write-only: answers say config.secret_set. */
#include "api/api.h"
#include "svc/triggers.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

static const char *const actions[] = {"webhook", "add_to_campaign", "create_task", NULL};

/* The config's members are checked per action by svc/triggers.c
 * (trig_check_config): the document's TriggerConfig lists them all. */
static const api_member config_members[] = {
    {"url", API_STRING, false, false, 1, TRIG_URL_MAX, NULL},
    {"secret", API_STRING, false, false, TRIG_SECRET_MIN, TRIG_SECRET_MAX, NULL},
    {"campaign_id", API_ID, false, false, 0, 0, NULL},
    {"task_name", API_STRING, false, false, 1, 200, NULL},
    {"task_type", API_STRING, false, false, 0, 0,
     (const char *const[]){"call", "linkedin", "custom", NULL}},
    {"task_details", API_STRING, false, false, 0, 1000, NULL},
    {"task_priority", API_STRING, false, false, 0, 0,
     (const char *const[]){"normal", "high", NULL}},
    {"due_in_hours", API_INT, false, false, 0, 8760, NULL},
    {"assignee_id", API_ID, false, false, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* TriggerCreate and TriggerUpdate. */
const api_member api_triggers_create_body[] = {
    {"name", API_STRING, true, false, 1, 200, NULL},
    {"filter_id", API_ID, true, false, 0, 0, NULL},
    {"action", API_STRING, true, false, 0, 0, actions},
    {"config", API_OBJECT, true, false, 0, 0, API_MEMBERS(config_members)},
    {"enabled", API_BOOL, false, false, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

const api_member api_triggers_update_body[] = {
    {"name", API_STRING, false, false, 1, 200, NULL},
    {"filter_id", API_ID, false, false, 0, 0, NULL},
    {"action", API_STRING, false, false, 0, 0, actions},
    {"config", API_OBJECT, false, false, 0, 0, API_MEMBERS(config_members)},
    {"enabled", API_BOOL, false, false, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

#define N_MEMBERS (sizeof api_triggers_create_body / sizeof *api_triggers_create_body)

void api_triggers_list(http_req *r)
{
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    int64_t after = api_cursor_id(raw, 't');
    if (after < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    int64_t next;
    hail_err e = trig_list(d, after, limit, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "t%lld", (long long)next);
    api_reply_page(r, e, a, c);
}

void api_triggers_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[N_MEMBERS];
    if (api_body_check(r, body, api_triggers_create_body, v)) {
        json_t *t;
        hail_err e = trig_create(d, r->user_id, body, &t);
        api_reply(r, e, 201, t);
    }
    json_decref(body);
}

void api_triggers_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *t;
    hail_err e = trig_get(d, id, &t);
    api_reply(r, e, 200, t);
}

void api_triggers_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[N_MEMBERS];
    if (api_body_check(r, body, api_triggers_update_body, v)) {
        json_t *t;
        hail_err e = trig_update(d, id, body, &t);
        api_reply(r, e, 200, t);
    }
    json_decref(body);
}

void api_triggers_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = trig_delete(d, id);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

/* The newest-first pages of a trigger (kind 'f' firings, 'd' deliveries). */
static void log_page(http_req *r, char kind,
                     hail_err (*fn)(db *, int64_t, int64_t, int, json_t **, int64_t *))
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    int64_t before = api_cursor_id(raw, kind);
    if (before < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    int64_t next;
    hail_err e = fn(d, id, before, limit, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "%c%lld", kind, (long long)next);
    api_reply_page(r, e, a, c);
}

void api_triggers_fires(http_req *r)
{
    log_page(r, 'f', trig_fires);
}

void api_triggers_deliveries(http_req *r)
{
    log_page(r, 'd', trig_deliveries);
}
