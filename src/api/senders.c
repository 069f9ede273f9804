#include "core/common.h"

/* /api/v1/senders: sender identities (address, display name, signature,
 * channel). A user manages their own; admins anyone's. The rules are
 * mail/delivery.c's. */
#include "api/api.h"
#include "mail/delivery.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     200

/* SenderCreate and SenderUpdate. */
const api_member api_senders_create_body[] = {
    {"address", API_EMAIL, true, false, 3, 254, NULL},
    {"display_name", API_STRING, true, false, 1, 200, NULL},
    {"signature_html", API_STRING, false, false, 0, 4000, NULL},
    {"channel_id", API_INT, false, false, 1, INT32_MAX, NULL},
    {"user_id", API_INT, false, false, 1, INT32_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

const api_member api_senders_update_body[] = {
    {"address", API_EMAIL, false, false, 3, 254, NULL},
    {"display_name", API_STRING, false, false, 1, 200, NULL},
    {"signature_html", API_STRING, false, false, 0, 4000, NULL},
    {"channel_id", API_INT, false, false, 1, INT32_MAX, NULL},
    {"user_id", API_INT, false, false, 1, INT32_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

#define N_MEMBERS (sizeof api_senders_create_body / sizeof *api_senders_create_body)

static delivery_caller caller(http_req *r)
{
    return (delivery_caller){.user_id = r->user_id, .admin = !strcmp(r->user_role, "admin")};
}

void api_senders_list(http_req *r)
{
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    int64_t after = api_cursor_id(raw, 's');
    if (after < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    delivery_caller c = caller(r);
    int64_t user = c.admin ? 0 : c.user_id;
    const char *u = http_query(r, "user");
    if (u) {
        char *end;
        errno = 0;
        long long v = strtoll(u, &end, 10);
        if (*u < '1' || *u > '9' || *end || errno) {
            http_reply_error(r, 400, "bad_request", "user must be a positive integer, not '%.40s'",
                             u);
            return;
        }
        if (v != c.user_id && !c.admin) {
            http_reply_error(r, 403, "forbidden", "only admins may list another user's senders");
            return;
        }
        user = v;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    int64_t next;
    hail_err e = delivery_sender_page(d, user, after, limit, &a, &next);
    char cur[32] = "";
    if (next)
        snprintf(cur, sizeof cur, "s%lld", (long long)next);
    api_reply_page(r, e, a, cur);
}

void api_senders_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[N_MEMBERS];
    if (api_body_check(r, body, api_senders_create_body, v)) {
        delivery_caller c = caller(r);
        json_t *s;
        hail_err e = delivery_sender_create(d, &c, body, &s);
        api_reply(r, e, 201, s);
    }
    json_decref(body);
}

void api_senders_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    delivery_caller c = caller(r);
    json_t *s;
    hail_err e = delivery_sender_get(d, &c, id, &s);
    api_reply(r, e, 200, s);
}

void api_senders_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[N_MEMBERS];
    if (api_body_check(r, body, api_senders_update_body, v)) {
        delivery_caller c = caller(r);
        json_t *s;
        hail_err e = delivery_sender_update(d, &c, id, body, &s);
        api_reply(r, e, 200, s);
    }
    json_decref(body);
}

void api_senders_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    delivery_caller c = caller(r);
    hail_err e = delivery_sender_delete(d, &c, id);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}
