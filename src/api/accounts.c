#include "core/common.h"

#include <string.h>

#include "api/api.h"
#include "core/utf8.h"
#include "store/accounts.h"
#include "store/people.h"

#define ACCOUNTS_PAGE_DEFAULT 50
#define ACCOUNTS_PAGE_MAX     200
#define ID_SHOWN_MAX          100 /* characters of an unknown id a 404 repeats */

/* A Salesforce id from the path, as a 404 names it: up to ID_SHOWN_MAX
 * characters, then "…"; an id that is not UTF-8 matches nothing stored and
 * is not repeated. */
static void reply_unknown(http_req *r, const char *what, const char *id)
{
    json_t *probe = json_string(id);
    if (!probe) {
        http_reply_error(r, 404, "not_found", "no %s with that id (it is not UTF-8)", what);
        return;
    }
    json_decref(probe);
    size_t n = 0, chars = 0;
    while (id[n] && chars < ID_SHOWN_MAX) {
        n++;
        while (((unsigned char)id[n] & 0xC0) == 0x80)
            n++;
        chars++;
    }
    http_reply_error(r, 404, "not_found", "no %s with id %.*s%s", what, (int)n, id,
                     id[n] ? "\xe2\x80\xa6" : "");
}

void api_accounts_list(http_req *r)
{
    accounts_query q = {0};
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, ACCOUNTS_PAGE_DEFAULT, ACCOUNTS_PAGE_MAX, &q.limit, raw))
        return;
    const char *v = http_query(r, "q");
    if (v && people_filter_too_long(v)) {
        http_reply_error(r, 400, "bad_request", "q is longer than 256 characters");
        return;
    }
    q.q = v;
    q.cursor = raw;
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a = json_array();
    char next[ACCOUNTS_CURSOR_MAX];
    hail_err e = a ? accounts_list(d, &q, a, next) : HAIL_ENOMEM;
    api_reply_page(r, e, a, next);
}

void api_accounts_get(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *j;
    hail_err e = accounts_get(d, r->param[0], &j);
    if (e == HAIL_ENOTFOUND)
        reply_unknown(r, "account", r->param[0]);
    else
        api_reply(r, e, 200, j);
}

void api_opportunities_get(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *j;
    hail_err e = opportunities_get(d, r->param[0], &j);
    if (e == HAIL_ENOTFOUND)
        reply_unknown(r, "opportunity", r->param[0]);
    else
        api_reply(r, e, 200, j);
}
