#include "core/common.h"

/* /api/v1/campaigns and their members, /api/v1/people/{id}/campaigns and
 * /api/v1/me/campaigns/pause|resume (svc/campaigns.h; docs/campaigns.md). */
#include "api/api.h"
#include "core/timeutil.h"
#include "svc/campaigns.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

static const char *const sharings[] = {"private", "teams", "everyone", NULL};
static const char *const step_types[] = {"auto_email", "manual_email", "call",
                                         "linkedin",   "custom",       NULL};
static const char *const send_options[] = {"fixed", "same_as_previous", "at_launch", "task", NULL};
static const char *const priorities[] = {"normal", "high", NULL};
static const char *const linkedin_kinds[] = {"inmail", "connect", NULL};
static const char *const member_statuses[] = {"scheduled", "active",  "paused",  "finished",
                                              "replied",   "bounced", "removed", "unsubscribed",
                                              "stopped",   NULL};

static const api_member settings_members[] = {
    {"time_zone", API_STRING, false, false, 1, 64, NULL},
    {"use_person_time_zone", API_BOOL, false, false, 0, 0, NULL},
    {"skip_weekends", API_BOOL, false, false, 0, 0, NULL},
    {"end_on_reply", API_BOOL, false, false, 0, 0, NULL},
    {"reply_is_success", API_BOOL, false, false, 0, 0, NULL},
    {"remove_on_bounce", API_BOOL, false, false, 0, 0, NULL},
    {"ignore_out_of_office", API_BOOL, false, false, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* One step (each item of "steps", checked as "steps[i]"). */
enum { S_DAY, S_TYPE, S_TEMPLATE, S_OPTION, S_TIME, S_FOLLOW, S_NAME, S_DETAILS, S_PRIO, S_KIND };
static const api_member step_members[] = {
    [S_DAY] = {"day", API_INT, true, false, 1, 365, NULL},
    [S_TYPE] = {"type", API_STRING, true, false, 0, 0, step_types},
    [S_TEMPLATE] = {"template_id", API_ID, false, true, 0, 0, NULL},
    [S_OPTION] = {"send_option", API_STRING, false, true, 0, 0, send_options},
    [S_TIME] = {"send_time", API_STRING, false, true, 5, 5, NULL},
    [S_FOLLOW] = {"follow_up", API_BOOL, false, false, 0, 0, NULL},
    [S_NAME] = {"name", API_STRING, false, false, 0, 200, NULL},
    [S_DETAILS] = {"details", API_STRING, false, false, 0, 2000, NULL},
    [S_PRIO] = {"priority", API_STRING, false, false, 0, 0, priorities},
    [S_KIND] = {"linkedin_kind", API_STRING, false, true, 0, 0, linkedin_kinds},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

enum { W_NAME, W_CATEGORY, W_SHARING, W_SENDER, W_SETTINGS, W_STEPS };
const api_member api_campaigns_create_body[] = {
    [W_NAME] = {"name", API_STRING, true, false, 1, 200, NULL},
    [W_CATEGORY] = {"category", API_STRING, false, false, 0, 100, NULL},
    [W_SHARING] = {"sharing", API_STRING, false, false, 0, 0, sharings},
    [W_SENDER] = {"sender_id", API_ID, false, true, 0, 0, NULL},
    [W_SETTINGS] = {"settings", API_OBJECT, false, false, 0, 0, API_MEMBERS(settings_members)},
    [W_STEPS] = {"steps", API_ARRAY, false, false, 0, CAMP_STEPS_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};
const api_member api_campaigns_update_body[] = {
    [W_NAME] = {"name", API_STRING, false, false, 1, 200, NULL},
    [W_CATEGORY] = {"category", API_STRING, false, false, 0, 100, NULL},
    [W_SHARING] = {"sharing", API_STRING, false, false, 0, 0, sharings},
    [W_SENDER] = {"sender_id", API_ID, false, true, 0, 0, NULL},
    [W_SETTINGS] = {"settings", API_OBJECT, false, false, 0, 0, API_MEMBERS(settings_members)},
    [W_STEPS] = {"steps", API_ARRAY, false, false, 0, CAMP_STEPS_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

enum { A_PEOPLE, A_ACCOUNT, A_OPP, A_START, A_LAUNCH };
const api_member api_campaigns_members_add_body[] = {
    [A_PEOPLE] = {"person_ids", API_IDS, false, false, 0, CAMP_MEMBERS_MAX, NULL},
    [A_ACCOUNT] = {"account_id", API_STRING, false, false, 1, 64, NULL},
    [A_OPP] = {"opportunity_id", API_STRING, false, false, 1, 64, NULL},
    [A_START] = {"start_at", API_STRING, false, true, 1, 64, NULL},
    [A_LAUNCH] = {"launch_time", API_STRING, false, true, 5, 5, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

const api_member api_campaigns_members_remove_body[] = {
    {"member_ids", API_IDS, true, false, 0, CAMP_MEMBERS_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

static camp_user caller(http_req *r)
{
    camp_user u = {r->user_id, r->user_role};
    return u;
}

static void reply_refusal(http_req *r, const camp_refusal *ref)
{
    http_reply_error(r, ref->status, ref->code, "%s", ref->message);
}

static const char *str_or_null(json_t *v)
{
    return v ? json_string_value(v) : NULL;
}

/* The steps of a body into *out (strings borrowed from body); replies 400
 * and returns 0 on a bad item. */
static int parse_steps(http_req *r, json_t *a, camp_step **out, size_t *n)
{
    *n = json_array_size(a);
    *out = calloc(*n + 1, sizeof **out);
    if (!*out) {
        http_reply_err(r, HAIL_ENOMEM);
        return 0;
    }
    for (size_t i = 0; i < *n; i++) {
        char name[32];
        snprintf(name, sizeof name, "steps[%zu]", i);
        const api_member wrap[] = {
            {name, API_OBJECT, true, false, 0, 0, API_MEMBERS(step_members)},
            {NULL, API_STRING, false, false, 0, 0, NULL},
        };
        json_t *body = json_pack("{sO}", name, json_array_get(a, i));
        json_t *obj[1];
        int ok = body && api_body_check(r, body, wrap, obj);
        if (!body)
            http_reply_err(r, HAIL_ENOMEM);
        json_decref(body);
        if (!ok) {
            free(*out);
            *out = NULL;
            return 0;
        }
        json_t *o = json_array_get(a, i);
        json_t *v[S_KIND + 1];
        for (size_t k = 0; k <= S_KIND; k++) {
            v[k] = json_object_get(o, step_members[k].name);
            if (json_is_null(v[k]))
                v[k] = NULL;
        }
        camp_step *s = &(*out)[i];
        s->day = (int)json_integer_value(v[S_DAY]);
        s->type = json_string_value(v[S_TYPE]);
        s->template_id = v[S_TEMPLATE] ? json_integer_value(v[S_TEMPLATE]) : 0;
        s->send_option = str_or_null(v[S_OPTION]);
        s->send_time = str_or_null(v[S_TIME]);
        s->follow_up = v[S_FOLLOW] && json_is_true(v[S_FOLLOW]);
        s->name = str_or_null(v[S_NAME]);
        s->details = str_or_null(v[S_DETAILS]);
        s->priority = str_or_null(v[S_PRIO]);
        s->linkedin_kind = str_or_null(v[S_KIND]);
    }
    return 1;
}

static int flag(json_t *settings, const char *name)
{
    json_t *v = json_object_get(settings, name);
    return v ? json_is_true(v) : -1;
}

/* A create or update body into p; replies and returns 0 on bad input. */
static int parse_write(http_req *r, json_t *body, const api_member *members, camp_patch *p,
                       camp_step **steps)
{
    json_t *val[W_STEPS + 1];
    *steps = NULL;
    camp_patch_init(p);
    if (!api_body_check(r, body, members, val))
        return 0;
    p->name = str_or_null(val[W_NAME]);
    p->category = str_or_null(val[W_CATEGORY]);
    p->sharing = str_or_null(val[W_SHARING]);
    if (json_object_get(body, "sender_id"))
        p->sender_id = val[W_SENDER] ? json_integer_value(val[W_SENDER]) : 0;
    if (val[W_SETTINGS]) {
        json_t *s = val[W_SETTINGS];
        p->time_zone = str_or_null(json_object_get(s, "time_zone"));
        p->use_person_time_zone = flag(s, "use_person_time_zone");
        p->skip_weekends = flag(s, "skip_weekends");
        p->end_on_reply = flag(s, "end_on_reply");
        p->reply_is_success = flag(s, "reply_is_success");
        p->remove_on_bounce = flag(s, "remove_on_bounce");
        p->ignore_out_of_office = flag(s, "ignore_out_of_office");
    }
    if (val[W_STEPS]) {
        if (!parse_steps(r, val[W_STEPS], steps, &p->nsteps))
            return 0;
        p->steps = *steps;
        p->has_steps = 1;
    }
    return 1;
}

static void reply_campaign(http_req *r, db *d, int64_t id, int status)
{
    camp_user u = caller(r);
    json_t *j = NULL;
    hail_err e = campaign_get(d, &u, id, &j);
    api_reply(r, e, status, j);
}

void api_campaigns_create(http_req *r)
{
    json_t *body = http_json_body(r);
    if (!body)
        return;
    camp_patch p;
    camp_step *steps = NULL;
    db *d = NULL;
    if (!parse_write(r, body, api_campaigns_create_body, &p, &steps) || !(d = api_db(r))) {
        free(steps);
        json_decref(body);
        return;
    }
    camp_user u = caller(r);
    camp_refusal ref;
    int64_t id = 0;
    hail_err e = campaign_create(d, &u, &p, &ref, &id);
    free(steps);
    json_decref(body);
    if (e)
        http_reply_err(r, e);
    else if (ref.status)
        reply_refusal(r, &ref);
    else
        reply_campaign(r, d, id, 201);
}

void api_campaigns_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    json_t *body = http_json_body(r);
    if (!body)
        return;
    camp_patch p;
    camp_step *steps = NULL;
    db *d = NULL;
    if (!parse_write(r, body, api_campaigns_update_body, &p, &steps) || !(d = api_db(r))) {
        free(steps);
        json_decref(body);
        return;
    }
    camp_user u = caller(r);
    camp_refusal ref;
    hail_err e = campaign_update(d, &u, id, &p, &ref);
    free(steps);
    json_decref(body);
    if (e)
        http_reply_err(r, e);
    else if (ref.status)
        reply_refusal(r, &ref);
    else
        reply_campaign(r, d, id, 200);
}

void api_campaigns_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (d)
        reply_campaign(r, d, id, 200);
}

void api_campaigns_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    camp_user u = caller(r);
    camp_refusal ref;
    hail_err e = campaign_delete(d, &u, id, &ref);
    if (e)
        http_reply_err(r, e);
    else if (ref.status)
        reply_refusal(r, &ref);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

/* ?name= one of words (NULL when absent); replies 400 and returns 0 when bad. */
static int query_one_of(http_req *r, const char *name, const char *const *words, const char *list,
                        const char **out)
{
    *out = http_query(r, name);
    if (!*out)
        return 1;
    for (const char *const *w = words; *w; w++)
        if (!strcmp(*w, *out))
            return 1;
    http_reply_error(r, 400, "bad_request", "%s must be %s, not '%.64s'", name, list, *out);
    return 0;
}

void api_campaigns_list(http_req *r)
{
    static const char *const views[] = {"mine", "shared", "all", NULL};
    static const char *const camp_statuses[] = {"active", "paused", "stopped", NULL};
    int limit;
    char raw[API_CURSOR_MAX];
    const char *view, *status;
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw) ||
        !query_one_of(r, "view", views, "mine, shared or all", &view) ||
        !query_one_of(r, "status", camp_statuses, "active, paused or stopped", &status))
        return;
    int64_t before = api_cursor_id(raw, 'c');
    if (before < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    const char *q = http_query(r, "q");
    if (q && (!*q || strlen(q) > 200)) {
        http_reply_error(r, 400, "bad_request", "q must be 1 to 200 bytes");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    camp_user u = caller(r);
    json_t *a = NULL;
    int64_t next = 0;
    hail_err e = campaign_list(d, &u, view, status, q, before, limit, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "c%lld", (long long)next);
    api_reply_page(r, e, a, c);
}

static void action(http_req *r, const char *what)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    camp_user u = caller(r);
    camp_refusal ref;
    hail_err e = campaign_action(d, &u, id, what, &ref);
    if (e)
        http_reply_err(r, e);
    else if (ref.status)
        reply_refusal(r, &ref);
    else
        reply_campaign(r, d, id, 200);
}

void api_campaigns_pause(http_req *r)
{
    action(r, "pause");
}

void api_campaigns_resume(http_req *r)
{
    action(r, "resume");
}

void api_campaigns_stop(http_req *r)
{
    action(r, "stop");
}

void api_campaigns_report(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    camp_user u = caller(r);
    json_t *j = NULL;
    hail_err e = campaign_report(d, &u, id, &j);
    api_reply(r, e, 200, j);
}

void api_campaigns_members_list(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    int limit;
    char raw[API_CURSOR_MAX];
    const char *status;
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw) ||
        !query_one_of(r, "status", member_statuses,
                      "scheduled, active, paused, finished, replied, bounced, removed, "
                      "unsubscribed or stopped",
                      &status))
        return;
    int64_t after = api_cursor_id(raw, 'm');
    if (after < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    camp_user u = caller(r);
    json_t *a = NULL;
    int64_t next = 0;
    hail_err e = campaign_members_page(d, &u, id, status, after, limit, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "m%lld", (long long)next);
    api_reply_page(r, e, a, c);
}

void api_campaigns_members_add(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[A_LAUNCH + 1];
    int64_t *ids = NULL;
    size_t n = 0;
    camp_add_result *res = NULL;
    json_t *out = NULL;
    db *d = NULL;
    if (!api_body_check(r, body, api_campaigns_members_add_body, val))
        goto done;
    if (!!val[A_PEOPLE] + !!val[A_ACCOUNT] + !!val[A_OPP] != 1) {
        http_reply_error(r, 400, "bad_request",
                         "give exactly one of person_ids, account_id and opportunity_id");
        goto done;
    }
    if (val[A_PEOPLE] && !json_array_size(val[A_PEOPLE])) {
        http_reply_error(r, 400, "bad_request", "person_ids must name at least one person");
        goto done;
    }
    int64_t start_at = 0;
    if (val[A_START] && time_parse_iso(json_string_value(val[A_START]),
                                       json_string_length(val[A_START]), &start_at) != HAIL_OK) {
        http_reply_error(r, 400, "bad_request",
                         "start_at '%.64s' is not a date and time such as 2026-03-01T08:30:00Z",
                         json_string_value(val[A_START]));
        goto done;
    }
    const char *launch = str_or_null(val[A_LAUNCH]);
    if (launch && !(isdigit((unsigned char)launch[0]) && isdigit((unsigned char)launch[1]) &&
                    launch[2] == ':' && isdigit((unsigned char)launch[3]) &&
                    isdigit((unsigned char)launch[4]) &&
                    (launch[0] - '0') * 10 + (launch[1] - '0') < 24 && launch[3] < '6')) {
        http_reply_error(r, 400, "bad_request",
                         "launch_time '%.16s' is not a time of day (HH:MM, 00:00 to 23:59)",
                         launch);
        goto done;
    }
    if (!(d = api_db(r)))
        goto done;
    camp_user u = caller(r);
    camp_refusal ref;
    hail_err e = HAIL_OK;
    if (val[A_PEOPLE]) {
        n = json_array_size(val[A_PEOPLE]);
        ids = calloc(n, sizeof *ids);
        if (!ids) {
            http_reply_err(r, HAIL_ENOMEM);
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            ids[i] = json_integer_value(json_array_get(val[A_PEOPLE], i));
    } else {
        /* The campaign first: one the caller may not see is a 404 before
         * anything is said about the account. */
        json_t *probe = NULL;
        if ((e = campaign_get(d, &u, id, &probe))) {
            http_reply_err(r, e);
            goto done;
        }
        json_decref(probe);
        e = campaign_people_of(d, val[A_ACCOUNT] ? "account" : "opportunity",
                               json_string_value(val[A_ACCOUNT] ? val[A_ACCOUNT] : val[A_OPP]),
                               &ids, &n, &ref);
        if (e || ref.status) {
            if (e)
                http_reply_err(r, e);
            else
                reply_refusal(r, &ref);
            goto done;
        }
    }
    res = calloc(n, sizeof *res);
    if (!res) {
        http_reply_err(r, HAIL_ENOMEM);
        goto done;
    }
    e = campaign_members_add(d, &u, id, ids, n, start_at, launch, res, &ref);
    if (e) {
        http_reply_err(r, e);
        goto done;
    }
    if (ref.status) {
        reply_refusal(r, &ref);
        goto done;
    }
    json_t *results = json_array();
    int added = 0, refused = 0;
    for (size_t i = 0; results && i < n; i++) {
        if (res[i].member_id) {
            added++;
            json_array_append_new(
                results, json_pack("{sI ss sI}", "person_id", (json_int_t)res[i].person_id,
                                   "status", "added", "member_id", (json_int_t)res[i].member_id));
        } else {
            refused++;
            json_array_append_new(results,
                                  json_pack("{sI ss ss ss}", "person_id",
                                            (json_int_t)res[i].person_id, "status", "refused",
                                            "reason", res[i].reason, "message", res[i].message));
        }
    }
    out = json_pack("{so si si}", "results", results, "added", added, "refused", refused);
    api_reply(r, out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory"), 200, out);
done:
    free(ids);
    free(res);
    json_decref(body);
}

void api_campaigns_members_remove(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[1];
    db *d = NULL;
    if (!api_body_check(r, body, api_campaigns_members_remove_body, val) || !(d = api_db(r))) {
        json_decref(body);
        return;
    }
    size_t n = json_array_size(val[0]);
    int64_t *ids = calloc(n + 1, sizeof *ids);
    if (!ids) {
        json_decref(body);
        http_reply_err(r, HAIL_ENOMEM);
        return;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = json_integer_value(json_array_get(val[0], i));
    json_decref(body);
    camp_user u = caller(r);
    camp_refusal ref;
    size_t removed = 0;
    hail_err e = campaign_members_remove(d, &u, id, ids, n, 0, &removed, &ref);
    free(ids);
    if (e)
        http_reply_err(r, e);
    else
        api_reply(r, HAIL_OK, 200, json_pack("{sI}", "removed", (json_int_t)removed));
}

void api_campaigns_member_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    int64_t member = id ? api_param_id(r, 1) : 0;
    db *d = member ? api_db(r) : NULL;
    if (!d)
        return;
    camp_user u = caller(r);
    camp_refusal ref;
    size_t removed = 0;
    hail_err e = campaign_members_remove(d, &u, id, &member, 1, 1, &removed, &ref);
    if (e)
        http_reply_err(r, e);
    else if (ref.status)
        reply_refusal(r, &ref);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

static void member_action(http_req *r, const char *what)
{
    int64_t id = api_param_id(r, 0);
    int64_t member = id ? api_param_id(r, 1) : 0;
    db *d = member ? api_db(r) : NULL;
    if (!d)
        return;
    camp_user u = caller(r);
    camp_refusal ref;
    json_t *j = NULL;
    hail_err e = campaign_member_action(d, &u, id, member, what, &ref, &j);
    if (!e && ref.status)
        reply_refusal(r, &ref);
    else
        api_reply(r, e, 200, j);
}

void api_campaigns_member_pause(http_req *r)
{
    member_action(r, "pause");
}

void api_campaigns_member_resume(http_req *r)
{
    member_action(r, "resume");
}

void api_person_campaigns(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    camp_user u = caller(r);
    json_t *a = NULL;
    hail_err e = campaign_person(d, &u, id, &a);
    api_reply_list(r, e, a);
}

static void leave(http_req *r, int pause)
{
    db *d = api_db(r);
    if (!d)
        return;
    camp_user u = caller(r);
    size_t n = 0;
    hail_err e = campaign_leave(d, &u, pause, &n);
    api_reply(r, e, 200, e ? NULL : json_pack("{sI}", pause ? "paused" : "resumed", (json_int_t)n));
}

void api_me_campaigns_pause(http_req *r)
{
    leave(r, 1);
}

void api_me_campaigns_resume(http_req *r)
{
    leave(r, 0);
}
