#include "core/common.h"

/* /api/v1/channels: delivery channels (maildir, smtp) with their optional
 * IMAP inbox and throttles. Any user reads them (no secrets: passwords are
 * write-only, shown as password_set); admins change them. The rules are
 * mail/delivery.c's. */
#include "api/api.h"
#include "mail/delivery.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

static const char *const tls_modes[] = {"starttls", "tls", "none", NULL};

/* docs/openapi.json's ChannelSmtp, ChannelImap, ChannelThrottles. */
static const api_member smtp_members[] = {
    {"host", API_STRING, false, false, 1, 253, NULL},
    {"port", API_INT, false, false, 1, 65535, NULL},
    {"tls", API_STRING, false, false, 0, 0, tls_modes},
    {"username", API_STRING, false, true, 0, 254, NULL},
    {"password", API_STRING, false, true, 0, 1024, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

static const api_member imap_members[] = {
    {"host", API_STRING, false, false, 1, 253, NULL},
    {"port", API_INT, false, false, 1, 65535, NULL},
    {"tls", API_STRING, false, false, 0, 0, tls_modes},
    {"username", API_STRING, false, true, 0, 254, NULL},
    {"password", API_STRING, false, true, 0, 1024, NULL},
    {"folder", API_STRING, false, false, 1, 200, NULL},
    {"sent_folder", API_STRING, false, false, 1, 200, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

static const api_member throttle_members[] = {
    {"per_minute", API_INT, false, true, 1, 1000000, NULL},
    {"per_hour", API_INT, false, true, 1, 1000000, NULL},
    {"per_day", API_INT, false, true, 1, 1000000, NULL},
    {"per_domain_per_hour", API_INT, false, true, 1, 1000000, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

static const char *const kinds[] = {"maildir", "smtp", NULL};

/* ChannelCreate and ChannelUpdate. */
const api_member api_channels_create_body[] = {
    {"name", API_STRING, true, false, 1, 100, NULL},
    {"kind", API_STRING, true, false, 0, 0, kinds},
    {"smtp", API_OBJECT, false, true, 0, 0, API_MEMBERS(smtp_members)},
    {"imap", API_OBJECT, false, true, 0, 0, API_MEMBERS(imap_members)},
    {"throttles", API_OBJECT, false, false, 0, 0, API_MEMBERS(throttle_members)},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

const api_member api_channels_update_body[] = {
    {"name", API_STRING, false, false, 1, 100, NULL},
    {"kind", API_STRING, false, false, 0, 0, kinds},
    {"smtp", API_OBJECT, false, true, 0, 0, API_MEMBERS(smtp_members)},
    {"imap", API_OBJECT, false, true, 0, 0, API_MEMBERS(imap_members)},
    {"throttles", API_OBJECT, false, false, 0, 0, API_MEMBERS(throttle_members)},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

#define N_MEMBERS (sizeof api_channels_create_body / sizeof *api_channels_create_body)

void api_channels_list(http_req *r)
{
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    int64_t after = api_cursor_id(raw, 'c');
    if (after < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    int64_t next;
    hail_err e = delivery_channel_page(d, after, limit, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "c%lld", (long long)next);
    api_reply_page(r, e, a, c);
}

void api_channels_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[N_MEMBERS];
    if (api_body_check(r, body, api_channels_create_body, v)) {
        json_t *c;
        hail_err e = delivery_channel_create(d, body, &c);
        api_reply(r, e, 201, c);
    }
    json_decref(body);
}

void api_channels_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *c;
    hail_err e = delivery_channel_get(d, id, &c);
    api_reply(r, e, 200, c);
}

void api_channels_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[N_MEMBERS];
    if (api_body_check(r, body, api_channels_update_body, v)) {
        json_t *c;
        hail_err e = delivery_channel_update(d, id, body, &c);
        api_reply(r, e, 200, c);
    }
    json_decref(body);
}

void api_channels_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = delivery_channel_delete(d, id);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

/* ChannelTest. */
const api_member api_channels_test_body[] = {
    {"to", API_EMAIL, true, false, 3, 254, NULL},
    {"from", API_EMAIL, false, false, 3, 254, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

void api_channels_test(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[3];
    if (api_body_check(r, body, api_channels_test_body, v)) {
        const char *to = json_string_value(v[0]);
        json_t *res;
        hail_err e = delivery_channel_test(d, id, v[1] ? json_string_value(v[1]) : to, to, &res);
        api_reply(r, e, 200, res);
    }
    json_decref(body);
}
