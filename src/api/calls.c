#include "core/common.h"

/* Calls and the dialer (docs/calls.md): the call log, outcomes and
 * reasons, the caller-id pool, local presence, voicemail drops, the call
 * settings and the dialer's webhook. The rules are svc/calls.c's. */
#include "api/api.h"
#include "api/call_body.h"
#include "core/timeutil.h"
#include "store/calls.h"
#include "svc/calls.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

const char *const api_call_statuses[] = {"completed", "no_answer", "cancelled", "failed", NULL};
static const char *const event_types[] = {"ringing", "answered", "ended", NULL};

/* The members a create and its update share, in one list each: REQ is
 * whether the create requires them (an update requires none). Each entry
 * ends with a comma. */
#define OUTCOME_MEMBERS(REQ)                                                                       \
    {"name", API_STRING, REQ, false, 1, 200, NULL},                                                \
        {"answered", API_BOOL, REQ, false, 0, 0, NULL},                                            \
        {"position", API_INT, false, false, 0, 100000, NULL},
#define REASON_MEMBERS(REQ)                                                                        \
    {"name", API_STRING, REQ, false, 1, 200, NULL},                                                \
        {"position", API_INT, false, false, 0, 100000, NULL},
#define CALLER_ID_MEMBERS(REQ)                                                                     \
    {"number", API_STRING, REQ, false, 1, 64, NULL},                                               \
        {"label", API_STRING, false, false, 0, 200, NULL},                                         \
        {"is_default", API_BOOL, false, false, 0, 0, NULL},

/* CallInput: POST /api/v1/calls (and a call task's completion, D). Sized so
 * that a body of every member at its longest, \uXXXX-escaped, stays
 * under 64 KB. */
const api_member api_calls_input_body[] = {{"person_id", API_ID, true, false, 0, 0, NULL},
                                           API_CALL_MEMBERS(true) API_END_MEMBERS};
const api_member api_calls_update_body[] = {API_CALL_MEMBERS(false) API_END_MEMBERS};

const api_member api_calls_start_body[] = {{"person_id", API_ID, true, false, 0, 0, NULL},
                                           API_END_MEMBERS};

const api_member api_call_outcomes_create_body[] = {OUTCOME_MEMBERS(true) API_END_MEMBERS};
const api_member api_call_outcomes_update_body[] = {OUTCOME_MEMBERS(false) API_END_MEMBERS};
const api_member api_call_reasons_create_body[] = {REASON_MEMBERS(true) API_END_MEMBERS};
const api_member api_call_reasons_update_body[] = {REASON_MEMBERS(false) API_END_MEMBERS};
const api_member api_caller_ids_create_body[] = {CALLER_ID_MEMBERS(true) API_END_MEMBERS};
const api_member api_caller_ids_update_body[] = {CALLER_ID_MEMBERS(false) API_END_MEMBERS};

/* dialer_secret: 16 to 256 characters, or "" to remove it. */
const api_member api_calls_settings_body[] = {
    {"require_outcome", API_BOOL, false, false, 0, 0, NULL},
    {"dialer_secret", API_STRING, false, false, 0, 256, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

const api_member api_dialer_events_body[] = {
    {"event_id", API_STRING, true, false, 1, 200, NULL},
    {"call_id", API_ID, false, false, 0, 0, NULL},
    {"provider_call_id", API_STRING, false, false, 1, 200, NULL},
    {"type", API_STRING, true, false, 0, 0, event_types},
    {"duration_s", API_INT, false, false, 0, 86400, NULL},
    {"recording_url", API_STRING, false, false, 1, 1024, NULL},
    {"answered_by", API_STRING, false, false, 1, 100, NULL},
    {"at", API_STRING, false, false, 1, 64, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

#define MAX_MEMBERS 16

/* Replies for e: the service's input errors are 422 with their code, a
 * failed dialer signature 401; the rest as everywhere. */
static void reply(http_req *r, hail_err e, int status, json_t *j)
{
    if (e == HAIL_EINVAL) {
        json_decref(j);
        http_reply_error(r, 422, calls_errcode(), "%s", hail_errmsg());
        return;
    }
    if (e == HAIL_EAUTH) {
        json_decref(j);
        http_reply_error(r, 401, "unauthorized", "%s", hail_errmsg());
        return;
    }
    api_reply(r, e, status, j);
}

static void reply_204(http_req *r, hail_err e)
{
    if (e)
        reply(r, e, 0, NULL);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

/* The checked body with its null members dropped (null means "as if left
 * out": api.h), or NULL after replying. */
static json_t *checked_body(http_req *r, const api_member *members)
{
    json_t *body = http_json_body(r);
    if (!body)
        return NULL;
    json_t *v[MAX_MEMBERS];
    if (!api_body_check(r, body, members, v)) {
        json_decref(body);
        return NULL;
    }
    const char *k;
    json_t *x;
    void *tmp;
    json_object_foreach_safe(body, tmp, k, x)
    {
        if (json_is_null(x))
            json_object_del(body, k);
    }
    return body;
}

static email_viewer viewer(http_req *r)
{
    return (email_viewer){.user_id = r->user_id, .role = r->user_role};
}

/* ?name= as a positive id: 0 when absent; -1 after replying 400. "me"
 * when me_ok. */
static int64_t query_id(http_req *r, const char *name, int me_ok)
{
    const char *s = http_query(r, name);
    if (!s)
        return 0;
    if (me_ok && !strcmp(s, "me"))
        return r->user_id;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s < '1' || *s > '9' || *end || errno) {
        http_reply_error(r, 400, "bad_request", "%s must be a positive integer%s, not '%.40s'",
                         name, me_ok ? " or me" : "", s);
        return -1;
    }
    return v;
}

/* ---- the call log ---- */

void api_calls_list(http_req *r)
{
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    int64_t before = api_cursor_id(raw, 'c');
    if (before < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    call_filter f = {.before_id = before, .limit = limit};
    if ((f.person_id = query_id(r, "person", 0)) < 0 || (f.user_id = query_id(r, "user", 1)) < 0)
        return;
    f.account = http_query(r, "account");
    f.opportunity = http_query(r, "opportunity");
    if ((f.account && (!*f.account || strlen(f.account) > 18)) ||
        (f.opportunity && (!*f.opportunity || strlen(f.opportunity) > 18))) {
        http_reply_error(r, 400, "bad_request",
                         "account and opportunity must be Salesforce ids (1 to 18 characters)");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    email_viewer v = viewer(r);
    json_t *a;
    int64_t next;
    hail_err e = calls_page(d, &v, &f, &a, &next);
    char cur[32] = "";
    if (next)
        snprintf(cur, sizeof cur, "c%lld", (long long)next);
    api_reply_page(r, e, a, cur);
}

void api_calls_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? checked_body(r, api_calls_input_body) : NULL;
    if (!body)
        return;
    json_t *out;
    hail_err e = calls_log(d, r->user_id, r->user_role, body, &out);
    json_decref(body);
    reply(r, e, 201, out);
}

void api_calls_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    email_viewer v = viewer(r);
    json_t *out;
    hail_err e = calls_get(d, &v, id, &out);
    reply(r, e, 200, out);
}

void api_calls_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? checked_body(r, api_calls_update_body) : NULL;
    if (!body)
        return;
    email_viewer v = viewer(r);
    json_t *out;
    hail_err e = calls_update_call(d, &v, id, body, &out);
    json_decref(body);
    reply(r, e, 200, out);
}

void api_calls_start(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? checked_body(r, api_calls_start_body) : NULL;
    if (!body)
        return;
    json_t *out;
    hail_err e =
        calls_start(d, r->user_id, json_integer_value(json_object_get(body, "person_id")), &out);
    json_decref(body);
    reply(r, e, 201, out);
}

void api_person_dial(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *out;
    hail_err e = calls_dial(d, id, &out);
    reply(r, e, 200, out);
}

/* ---- outcomes and reasons ---- */

static void choices_list(http_req *r, call_list_kind k)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    hail_err e = calls_choices_list(d, k, &a);
    if (e)
        reply(r, e, 0, a);
    else
        api_reply_list(r, e, a);
}

static void choices_create(http_req *r, call_list_kind k, const api_member *members)
{
    db *d = api_db(r);
    json_t *body = d ? checked_body(r, members) : NULL;
    if (!body)
        return;
    json_t *pos = json_object_get(body, "position");
    int64_t id = 0;
    hail_err e = calls_choice_insert(d, k, json_string_value(json_object_get(body, "name")),
                                     json_is_true(json_object_get(body, "answered")),
                                     pos ? json_integer_value(pos) : -1, time_now_us(), &id);
    json_decref(body);
    json_t *out = NULL;
    if (!e)
        e = calls_choice_get(d, k, id, &out);
    reply(r, e, 201, out);
}

static void choices_update(http_req *r, call_list_kind k, const api_member *members)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? checked_body(r, members) : NULL;
    if (!body)
        return;
    json_t *pos = json_object_get(body, "position"), *ans = json_object_get(body, "answered");
    hail_err e =
        calls_choice_update(d, k, id, json_string_value(json_object_get(body, "name")),
                            ans ? json_is_true(ans) : -1, pos ? json_integer_value(pos) : -1);
    json_decref(body);
    json_t *out = NULL;
    if (!e)
        e = calls_choice_get(d, k, id, &out);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(e, "no call %s with id %lld", k == CALL_OUTCOMES ? "outcome" : "reason",
                      (long long)id);
    reply(r, e, 200, out);
}

static void choices_delete(http_req *r, call_list_kind k)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = calls_choice_archive(d, k, id);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(e, "no call %s with id %lld", k == CALL_OUTCOMES ? "outcome" : "reason",
                      (long long)id);
    reply_204(r, e);
}

void api_call_outcomes_list(http_req *r)
{
    choices_list(r, CALL_OUTCOMES);
}

void api_call_outcomes_create(http_req *r)
{
    choices_create(r, CALL_OUTCOMES, api_call_outcomes_create_body);
}

void api_call_outcomes_update(http_req *r)
{
    choices_update(r, CALL_OUTCOMES, api_call_outcomes_update_body);
}

void api_call_outcomes_delete(http_req *r)
{
    choices_delete(r, CALL_OUTCOMES);
}

void api_call_reasons_list(http_req *r)
{
    choices_list(r, CALL_REASONS);
}

void api_call_reasons_create(http_req *r)
{
    choices_create(r, CALL_REASONS, api_call_reasons_create_body);
}

void api_call_reasons_update(http_req *r)
{
    choices_update(r, CALL_REASONS, api_call_reasons_update_body);
}

void api_call_reasons_delete(http_req *r)
{
    choices_delete(r, CALL_REASONS);
}

/* ---- caller ids ---- */

void api_caller_ids_list(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    hail_err e = calls_caller_ids_list(d, &a);
    if (e)
        reply(r, e, 0, a);
    else
        api_reply_list(r, e, a);
}

void api_caller_ids_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? checked_body(r, api_caller_ids_create_body) : NULL;
    if (!body)
        return;
    json_t *out;
    hail_err e = calls_caller_id_create(d, body, &out);
    json_decref(body);
    reply(r, e, 201, out);
}

void api_caller_ids_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? checked_body(r, api_caller_ids_update_body) : NULL;
    if (!body)
        return;
    json_t *out;
    hail_err e = calls_caller_id_change(d, id, body, &out);
    json_decref(body);
    reply(r, e, 200, out);
}

void api_caller_ids_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (d)
        reply_204(r, calls_caller_id_remove(d, id));
}

/* ---- settings ---- */

void api_calls_settings_get(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *out;
    hail_err e = calls_settings_get(d, &out);
    reply(r, e, 200, out);
}

void api_calls_settings_put(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? checked_body(r, api_calls_settings_body) : NULL;
    if (!body)
        return;
    json_t *req = json_object_get(body, "require_outcome");
    const char *secret = json_string_value(json_object_get(body, "dialer_secret"));
    if (secret && *secret && json_string_length(json_object_get(body, "dialer_secret")) < 16) {
        json_decref(body);
        http_reply_error(r, 400, "bad_request",
                         "dialer_secret must be 16 to 256 characters (\"\" removes it)");
        return;
    }
    json_t *out;
    hail_err e = calls_settings_put(d, req ? json_is_true(req) : -1, secret, &out);
    json_decref(body);
    reply(r, e, 200, out);
}

/* ---- voicemail drops ---- */

void api_voicemail_drops_list(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    hail_err e = calls_drops_list(d, &a);
    if (e)
        reply(r, e, 0, a);
    else
        api_reply_list(r, e, a);
}

void api_voicemail_drops_create(http_req *r)
{
    const char *name = http_query(r, "name");
    if (!name || !*name) {
        http_reply_error(r, 400, "bad_request", "name is required (?name=…)");
        return;
    }
    json_t *nm = json_string(name);
    size_t chars = nm ? json_string_length(nm) : 0;
    json_decref(nm);
    if (!chars || chars > 200) {
        http_reply_error(r, 400, "bad_request", "name must be 1 to 200 characters of UTF-8");
        return;
    }
    if (r->body.len == 0) {
        http_reply_error(r, 400, "bad_request", "the body is empty: send the recording");
        return;
    }
    const char *ct = http_header(r, "Content-Type");
    const char *type = NULL;
    int ok = calls_audio_type(ct, r->body.data, r->body.len, &type);
    if (ok == 0) {
        http_reply_error(r, 415, "unsupported_media_type",
                         "Content-Type must be audio/wav or audio/mpeg, not '%.64s'",
                         ct ? ct : "(none)");
        return;
    }
    if (ok < 0) {
        reply(r, HAIL_EINVAL, 0, NULL);
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    int64_t id = 0;
    hail_err e =
        calls_drop_insert(d, r->user_id, name, type, r->body.data, r->body.len, time_now_us(), &id);
    json_t *out = NULL;
    if (!e)
        e = calls_drop_get(d, id, &out);
    reply(r, e, 201, out);
}

void api_voicemail_drops_audio(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    char *data;
    size_t n;
    const char *type;
    hail_err e = calls_drop_audio(d, id, &data, &n, &type, NULL);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(e, "no voicemail drop with id %lld", (long long)id);
    if (e) {
        reply(r, e, 0, NULL);
        return;
    }
    http_reply_take(r, 200, type, data, n);
}

void api_voicemail_drops_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *drop;
    hail_err e = calls_drop_get(d, id, &drop);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(e, "no voicemail drop with id %lld", (long long)id);
    if (!e && strcmp(r->user_role, "admin") != 0 &&
        json_integer_value(json_object_get(json_object_get(drop, "owner"), "id")) != r->user_id)
        e = hail_errf(HAIL_EFORBIDDEN,
                      "only the owner of a voicemail drop, or an admin, may delete it");
    json_decref(drop);
    if (!e)
        e = calls_drop_delete(d, id);
    reply_204(r, e);
}

/* ---- the dialer ---- */

void api_dialer_events(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    /* The signature first: nothing of an unsigned body is read. */
    hail_err e = calls_dialer_verify(d, http_header(r, "X-Hail-Timestamp"),
                                     http_header(r, "X-Hail-Signature"), r->body.data, r->body.len,
                                     time_real_us() / US_PER_SEC);
    if (e) {
        reply(r, e, 0, NULL);
        return;
    }
    json_t *body = checked_body(r, api_dialer_events_body);
    if (!body)
        return;
    if (!json_object_get(body, "call_id") && !json_object_get(body, "provider_call_id")) {
        json_decref(body);
        http_reply_error(r, 400, "bad_request", "call_id or provider_call_id is required");
        return;
    }
    json_t *at = json_object_get(body, "at");
    int64_t t;
    if (at && time_parse_iso(json_string_value(at), json_string_length(at), &t)) {
        http_reply_error(r, 400, "bad_request", "at must be an ISO 8601 time, not '%.64s'",
                         json_string_value(at));
        json_decref(body);
        return;
    }
    json_t *out;
    e = calls_dialer_apply(d, body, &out);
    json_decref(body);
    reply(r, e, 200, out);
}
