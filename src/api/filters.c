#include "core/common.h"

/* /api/v1/filters: saved filters over people by activity, their people
 * paged, and a preview of a definition (docs/outbox.md "Filters and
 * triggers", store/filters.h). Any signed-in user: a filter is read by its
 * owner, those who cover the owner and, when shared, everyone; changed by
 * its owner or an admin. Its people are always only those the caller sees
 * (store/visibility.h). */
#include "api/api.h"
#include "core/timeutil.h"
#include "store/filters.h"

#define PAGE_DEFAULT 50
#define LIST_DEFAULT 100

static const api_member definition_members[] = {
    {"conditions", API_ARRAY, true, false, 0, FILTER_MAX_CONDITIONS, NULL},
    {"owner_email", API_EMAIL, false, true, 3, 254, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* FilterCreate. */
const api_member api_filters_create_body[] = {
    {"name", API_STRING, true, false, 1, FILTER_NAME_MAX, NULL},
    {"shared", API_BOOL, false, false, 0, 0, NULL},
    {"definition", API_OBJECT, true, false, 0, 0, API_MEMBERS(definition_members)},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* FilterUpdate. */
const api_member api_filters_update_body[] = {
    {"name", API_STRING, false, false, 1, FILTER_NAME_MAX, NULL},
    {"shared", API_BOOL, false, false, 0, 0, NULL},
    {"definition", API_OBJECT, false, false, 0, 0, API_MEMBERS(definition_members)},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* FilterPreview. */
const api_member api_filters_preview_body[] = {
    {"definition", API_OBJECT, true, false, 0, 0, API_MEMBERS(definition_members)},
    {"limit", API_INT, false, false, 1, FILTER_PAGE_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

static int64_t positive(const char *s)
{
    if (!s || *s < '1' || *s > '9')
        return 0;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - (*s - '0')) / 10)
            return 0;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* ?limit= (1..max, default def) and ?after= (a positive id, 0 when absent);
 * replies 400 and returns 0 when bad. */
static int page_query(http_req *r, int def, int max, int *limit, int64_t *after)
{
    const char *v = http_query(r, "limit");
    int64_t l = def;
    if (v && ((l = positive(v)) < 1 || l > max)) {
        http_reply_error(r, 400, "bad_request",
                         "limit must be an integer from 1 to %d, not '%.64s'", max, v);
        return 0;
    }
    *limit = (int)l;
    *after = 0;
    if ((v = http_query(r, "after")) && !(*after = positive(v))) {
        http_reply_error(r, 400, "bad_request", "after must be a positive integer, not '%.64s'", v);
        return 0;
    }
    return 1;
}

/* A store error about the definition, as a 400 naming the member under
 * "definition.". */
static void reply_def_err(http_req *r, hail_err e)
{
    const char *m = hail_errmsg();
    if (e == HAIL_EINVAL && (!strncmp(m, "conditions", 10) || !strncmp(m, "owner_email", 11)))
        http_reply_error(r, 400, "bad_request", "definition.%s", m);
    else if (e == HAIL_EINVAL)
        http_reply_error(r, 400, "bad_request", "definition: %s", m);
    else
        http_reply_err(r, e);
}

static int is_admin(http_req *r)
{
    return !strcmp(r->user_role, "admin");
}

/* The filter {id} from the path if the caller may read it (404 otherwise,
 * as for an unknown id); with edit, only for its owner or an admin (403).
 * Replies and returns NULL on failure; *dp gets the connection. */
static json_t *load(http_req *r, int edit, db **dp)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return NULL;
    db *d = api_db(r);
    if (!d)
        return NULL;
    *dp = d;
    json_t *f = NULL;
    hail_err e = filter_get(d, id, &f);
    if (e) {
        http_reply_err(r, e);
        return NULL;
    }
    int64_t owner = json_integer_value(json_object_get(f, "owner_id"));
    int readable = owner == r->user_id || is_admin(r) || json_is_true(json_object_get(f, "shared"));
    if (!readable) {
        email_viewer v = {r->user_id, r->user_role};
        vis_scope s;
        if ((e = vis_scope_load(d, &v, &s))) {
            json_decref(f);
            http_reply_err(r, e);
            return NULL;
        }
        readable = vis_covers_user(&s, owner);
        vis_scope_free(&s);
    }
    if (!readable) {
        json_decref(f);
        http_reply_error(r, 404, "not_found", "no filter with id %" PRId64, id);
        return NULL;
    }
    if (edit && owner != r->user_id && !is_admin(r)) {
        json_decref(f);
        http_reply_error(r, 403, "forbidden", "only the filter's owner or an admin may change it");
        return NULL;
    }
    return f;
}

/* GET /api/v1/filters?limit=&after= */
void api_filters_list(http_req *r)
{
    int limit;
    int64_t after;
    if (!page_query(r, LIST_DEFAULT, FILTER_PAGE_MAX, &limit, &after))
        return;
    db *d = api_db(r);
    if (!d)
        return;
    email_viewer v = {r->user_id, r->user_role};
    vis_scope s;
    hail_err e = vis_scope_load(d, &v, &s);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    json_t *a = NULL;
    int64_t next = 0;
    e = filter_list(d, r->user_id, &s, after, limit, &a, &next);
    vis_scope_free(&s);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    api_reply(r, HAIL_OK, 200,
              json_pack("{s:o,s:o}", "data", a, "next", next ? json_integer(next) : json_null()));
}

/* POST /api/v1/filters */
void api_filters_create(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[3];
    if (api_body_check(r, body, api_filters_create_body, v)) {
        json_t *f = NULL;
        hail_err e = filter_create(d, r->user_id, json_string_value(v[0]), json_is_true(v[1]), v[2],
                                   time_now_us(), &f);
        if (e)
            reply_def_err(r, e);
        else
            api_reply(r, HAIL_OK, 201, f);
    }
    json_decref(body);
}

/* GET /api/v1/filters/{id} */
void api_filters_get(http_req *r)
{
    db *d;
    json_t *f = load(r, 0, &d);
    if (f)
        api_reply(r, HAIL_OK, 200, f);
}

/* PUT /api/v1/filters/{id} */
void api_filters_update(http_req *r)
{
    db *d;
    json_t *f = load(r, 1, &d);
    if (!f)
        return;
    int64_t id = json_integer_value(json_object_get(f, "id"));
    json_decref(f);
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *v[3];
    if (api_body_check(r, body, api_filters_update_body, v)) {
        json_t *out = NULL;
        hail_err e = filter_update(d, id, v[0] ? json_string_value(v[0]) : NULL,
                                   v[1] ? json_is_true(v[1]) : -1, v[2], time_now_us(), &out);
        if (e)
            reply_def_err(r, e);
        else
            api_reply(r, HAIL_OK, 200, out);
    }
    json_decref(body);
}

/* DELETE /api/v1/filters/{id} */
void api_filters_delete(http_req *r)
{
    db *d;
    json_t *f = load(r, 1, &d);
    if (!f)
        return;
    hail_err e = filter_delete(d, json_integer_value(json_object_get(f, "id")));
    json_decref(f);
    if (e)
        http_reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

/* A page of definition's people that the caller sees; with count_cap, the
 * count too. Replies. */
static void people(http_req *r, db *d, const json_t *definition, int limit, int64_t after,
                   int count_cap)
{
    email_viewer v = {r->user_id, r->user_role};
    vis_scope s;
    hail_err e = vis_scope_load(d, &v, &s);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    json_t *a = NULL;
    int64_t next = 0, count = 0;
    int more = 0;
    e = filter_people_page(d, definition, &s, after, limit, time_now_us(), &a, &next, count_cap,
                           &count, &more);
    vis_scope_free(&s);
    if (e) {
        reply_def_err(r, e);
        return;
    }
    json_t *j = json_pack("{s:o,s:o}", "data", a, "next", next ? json_integer(next) : json_null());
    if (j && count_cap &&
        (json_object_set_new(j, "count", json_integer(count)) ||
         json_object_set_new(j, "count_more", json_boolean(more)))) {
        json_decref(j);
        j = NULL;
    }
    api_reply(r, j ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory"), 200, j);
}

/* GET /api/v1/filters/{id}/people?limit=&after= */
void api_filters_people(http_req *r)
{
    int limit;
    int64_t after;
    if (!page_query(r, PAGE_DEFAULT, FILTER_PAGE_MAX, &limit, &after))
        return;
    db *d;
    json_t *f = load(r, 0, &d);
    if (!f)
        return;
    people(r, d, json_object_get(f, "definition"), limit, after, 0);
    json_decref(f);
}

/* POST /api/v1/filters/preview */
void api_filters_preview(http_req *r)
{
    db *d = api_db(r);
    json_t *body = d ? http_json_body(r) : NULL;
    if (!body)
        return;
    json_t *v[2];
    if (api_body_check(r, body, api_filters_preview_body, v))
        people(r, d, v[0], v[1] ? (int)json_integer_value(v[1]) : PAGE_DEFAULT, 0,
               FILTER_COUNT_CAP);
    json_decref(body);
}
