#include "core/common.h"

/* /api/v1/blocked-domains: the admin's list of domains no email goes to (a
 * domain blocks its subdomains too). Users read it; admins change it. */
#include "api/api.h"
#include "mail/delivery.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX     1000

/* BlockedDomainCreate. */
const api_member api_blocked_domains_create_body[] = {
    {"domain", API_STRING, true, false, 1, 253, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

void api_blocked_domains_list(http_req *r)
{
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    /* The position is the last domain: "d<domain>". */
    if (*raw && raw[0] != 'd') {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a;
    char *next = NULL;
    hail_err e = delivery_blocked_page(d, *raw ? raw + 1 : NULL, limit, &a, &next);
    char c[300] = "";
    if (next)
        snprintf(c, sizeof c, "d%s", next);
    free(next);
    api_reply_page(r, e, a, c);
}

void api_blocked_domains_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[2];
    if (api_body_check(r, body, api_blocked_domains_create_body, v)) {
        delivery_caller c = {.user_id = r->user_id, .admin = 1};
        json_t *b;
        hail_err e = delivery_blocked_add(d, &c, json_string_value(v[0]), &b);
        api_reply(r, e, 201, b);
    }
    json_decref(body);
}

void api_blocked_domains_delete(http_req *r)
{
    db *d = r->nparams > 0 ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = delivery_blocked_remove(d, r->param[0]);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}
