#include "core/common.h"

#include "api/api.h"
#include "core/utf8.h"
#include "mail/templates.h"

/* /api/v1/templates and POST /api/v1/emails/preview: the handlers read and
 * check the request, the service (mail/templates.h) does the rest. */

#define PAGE_DEFAULT 50
#define PAGE_MAX     200
#define Q_MAX        256 /* characters of ?q= */

static const char *const sharing_values[] = {"private", "teams", "everyone", NULL};

/* POST: as docs/openapi.json's TemplateCreate says. */
const api_member api_templates_create_body[] = {
    {"name", API_STRING, true, false, 1, 200, NULL},
    {"category", API_STRING, false, false, 0, 100, NULL},
    {"subject", API_STRING, true, false, 1, 998, NULL},
    {"body_html", API_STRING, true, false, 0, 1048576, NULL},
    {"sharing", API_STRING, false, false, 0, 0, sharing_values},
    {"commercial", API_BOOL, false, false, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* PATCH: TemplateUpdate, every member optional, and archived. */
const api_member api_templates_update_body[] = {
    {"name", API_STRING, false, false, 1, 200, NULL},
    {"category", API_STRING, false, false, 0, 100, NULL},
    {"subject", API_STRING, false, false, 1, 998, NULL},
    {"body_html", API_STRING, false, false, 0, 1048576, NULL},
    {"sharing", API_STRING, false, false, 0, 0, sharing_values},
    {"commercial", API_BOOL, false, false, 0, 0, NULL},
    {"archived", API_BOOL, false, false, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

const api_member api_templates_preview_body[] = {
    {"person_id", API_ID, true, false, 0, 0, NULL},
    {"sender_id", API_ID, false, true, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

const api_member api_emails_preview_body[] = {
    {"person_id", API_ID, true, false, 0, 0, NULL},
    {"sender_id", API_ID, false, true, 0, 0, NULL},
    {"subject", API_STRING, false, false, 0, 998, NULL},
    {"body_html", API_STRING, false, false, 0, 1048576, NULL},
    {"template_id", API_ID, false, true, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

#define NMEMBERS 8

static const char *str(json_t *v)
{
    return v ? json_string_value(v) : NULL;
}

static int flag(json_t *v)
{
    return v ? json_is_true(v) : -1;
}

static int64_t id_of(json_t *v)
{
    return v ? (int64_t)json_integer_value(v) : 0;
}

void api_templates_list(http_req *r)
{
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &limit, raw))
        return;
    int64_t before = api_cursor_id(raw, 't');
    if (before < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    const char *view = http_query(r, "view");
    if (view && strcmp(view, "mine") && strcmp(view, "shared") && strcmp(view, "favorites") &&
        strcmp(view, "archived")) {
        http_reply_error(r, 400, "bad_request",
                         "view must be mine, shared, favorites or archived, not '%.64s'", view);
        return;
    }
    const char *q = http_query(r, "q");
    if (q && !*q)
        q = NULL;
    if (q && utf8_chars(q) > Q_MAX) {
        http_reply_error(r, 400, "bad_request", "q is longer than %d characters", Q_MAX);
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *a = NULL;
    int64_t next = 0;
    hail_err e = templates_list(d, r->user_id, r->user_role, view, q, before, limit, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "t%lld", (long long)next);
    api_reply_page(r, e, a, c);
}

static int write_of(http_req *r, json_t *body, const api_member *m, tmpl_write *w)
{
    json_t *v[NMEMBERS] = {0};
    if (!api_body_check(r, body, m, v))
        return 0;
    *w = (tmpl_write){.name = str(v[0]),
                      .category = str(v[1]),
                      .subject = str(v[2]),
                      .body_html = str(v[3]),
                      .sharing = str(v[4]),
                      .commercial = flag(v[5]),
                      .archived = m == api_templates_update_body ? flag(v[6]) : -1};
    return 1;
}

void api_templates_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    tmpl_write w;
    if (write_of(r, body, api_templates_create_body, &w)) {
        if (!w.sharing)
            w.sharing = "private";
        if (w.commercial < 0)
            w.commercial = 1;
        json_t *t = NULL;
        hail_err e = templates_create(d, r->user_id, &w, &t);
        api_reply(r, e, 201, t);
    }
    json_decref(body);
}

void api_templates_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    json_t *t = NULL;
    hail_err e = templates_get(d, id, r->user_id, r->user_role, &t);
    api_reply(r, e, 200, t);
}

void api_templates_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    tmpl_write w;
    if (write_of(r, body, api_templates_update_body, &w)) {
        json_t *t = NULL;
        hail_err e = templates_update(d, id, r->user_id, r->user_role, &w, &t);
        api_reply(r, e, 200, t);
    }
    json_decref(body);
}

void api_templates_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = templates_delete(d, id, r->user_id, r->user_role);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

static void favorite(http_req *r, int on)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    hail_err e = templates_favorite(d, id, r->user_id, r->user_role, on);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

void api_templates_favorite_put(http_req *r)
{
    favorite(r, 1);
}

void api_templates_favorite_delete(http_req *r)
{
    favorite(r, 0);
}

void api_templates_preview(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[NMEMBERS] = {0};
    if (api_body_check(r, body, api_templates_preview_body, v)) {
        json_t *out = NULL;
        hail_err e = templates_preview(d, r->user_id, r->user_role, id, id_of(v[0]), id_of(v[1]),
                                       NULL, NULL, &out);
        api_reply(r, e, 200, out);
    }
    json_decref(body);
}

void api_emails_preview(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[NMEMBERS] = {0};
    if (!api_body_check(r, body, api_emails_preview_body, v)) {
        json_decref(body);
        return;
    }
    int64_t tid = id_of(v[4]);
    const char *subject = str(v[2]), *html = str(v[3]);
    if (tid && html)
        http_reply_error(r, 400, "bad_request", "give body_html or template_id, not both");
    else if (!tid && !html)
        http_reply_error(r, 400, "bad_request", "body_html or template_id is required");
    else if (!tid && !subject)
        http_reply_error(r, 400, "bad_request", "subject is required with body_html");
    else {
        json_t *out = NULL;
        hail_err e = templates_preview(d, r->user_id, r->user_role, tid, id_of(v[0]), id_of(v[1]),
                                       subject, html, &out);
        api_reply(r, e, 200, out);
    }
    json_decref(body);
}
