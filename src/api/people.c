#include "core/common.h"

#include <string.h>

#include "api/api.h"
#include "store/people.h"

#define PEOPLE_PAGE_DEFAULT 50
#define PEOPLE_PAGE_MAX     200

/* A filter value from the query string, bounded (256 characters, as the
 * OpenAPI document's maxLength counts them); replies 400 when too long. */
static int filter(http_req *r, const char *name, const char **out)
{
    const char *v = http_query(r, name);
    *out = v && *v ? v : NULL;
    if (v && people_filter_too_long(v)) {
        http_reply_error(r, 400, "bad_request", "%s is longer than 256 characters", name);
        return 0;
    }
    return 1;
}

/* Replies with the JSON text in b (handed over) or the error. */
static void reply_text(http_req *r, hail_err e, buf *b)
{
    if (e) {
        buf_release(b);
        http_reply_err(r, e);
        return;
    }
    size_t len;
    char *body = buf_detach(b, &len);
    http_reply_take(r, 200, "application/json", body, len);
}

static void list(http_req *r, const char *account, const char *opportunity)
{
    people_query q = {0};
    char raw[API_CURSOR_MAX], key[API_CURSOR_MAX];
    if (!api_page_params(r, PEOPLE_PAGE_DEFAULT, PEOPLE_PAGE_MAX, &q.limit, raw) ||
        !filter(r, "q", &q.q) || !filter(r, "owner", &q.owner))
        return;
    if (!account && !filter(r, "account", &account))
        return;
    if (!opportunity && !filter(r, "opportunity", &opportunity))
        return;
    if (*raw && people_cursor_parse(raw, &q, key, sizeof key)) {
        http_reply_err(r, HAIL_EINVAL);
        return;
    }
    if (q.owner && !strcmp(q.owner, "me"))
        q.owner = r->user_email;
    q.account = account;
    q.opportunity = opportunity;
    db *d = api_db(r);
    if (!d)
        return;
    /* Written straight to text: a page of people is the API's hottest reply. */
    buf b = BUF_INIT(PEOPLE_PAGE_MAX * 64 * 1024);
    char next[PEOPLE_CURSOR_MAX], cursor[API_CURSOR_MAX];
    int n;
    hail_err e = buf_puts(&b, "{\"data\":[");
    if (!e)
        e = people_list_text(d, &q, &b, next, &n);
    if (!e && *next) {
        api_cursor_encode(next, cursor);
        e = buf_printf(&b, "],\"next_cursor\":\"%s\"}", cursor);
    } else if (!e) {
        e = buf_puts(&b, "],\"next_cursor\":null}");
    }
    reply_text(r, e, &b);
}

void api_people_list(http_req *r)
{
    list(r, NULL, NULL);
}

void api_account_people(http_req *r)
{
    list(r, r->param[0], NULL);
}

void api_opportunity_people(http_req *r)
{
    list(r, NULL, r->param[0]);
}

void api_people_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    buf b = BUF_INIT(64 * 1024);
    hail_err e = people_get_text(d, id, &b);
    reply_text(r, e, &b);
}
