#include "core/common.h"

/* The route table and docs/openapi.json (embedded in the binary) describe the
 * same set of operations, and every route declares its access level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <jansson.h>
#include <string.h>

#include "api/api.h"

extern const char hail_openapi_json[];
extern const size_t hail_openapi_json_len;

static json_t *load_doc(void)
{
    json_error_t err;
    json_t *doc = json_loadb(hail_openapi_json, hail_openapi_json_len, 0, &err);
    if (!doc)
        fail_msg("openapi.json does not parse: %s (line %d)", err.text, err.line);
    return doc;
}

static void lower(const char *in, char *out)
{
    while (*in)
        *out++ = (char)tolower((unsigned char)*in++);
    *out = '\0';
}

static void every_route_is_documented(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *paths = json_object_get(doc, "paths");
    assert_non_null(paths);
    for (const route *r = api_routes(); r->method; r++) {
        json_t *p = json_object_get(paths, r->pattern);
        if (!p)
            fail_msg("route %s %s is missing from openapi.json", r->method, r->pattern);
        char m[16];
        lower(r->method, m);
        if (!json_object_get(p, m))
            fail_msg("route %s %s is missing from openapi.json", r->method, r->pattern);
    }
    json_decref(doc);
}

static void every_documented_operation_exists(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op)
        {
            if (!strcmp(method, "parameters"))
                continue;
            int found = 0;
            for (const route *r = api_routes(); r->method; r++) {
                char m[16];
                lower(r->method, m);
                if (!strcmp(m, method) && !strcmp(r->pattern, path))
                    found = 1;
            }
            if (!found)
                fail_msg("openapi.json documents %s %s, which hail does not serve", method, path);
        }
    }
    json_decref(doc);
}

/* Resolves a local "$ref" ("#/components/…") once. */
static json_t *deref(json_t *doc, json_t *v)
{
    const char *ref = json_string_value(json_object_get(v, "$ref"));
    if (!ref)
        return v;
    assert_true(strncmp(ref, "#/", 2) == 0);
    char path[256];
    snprintf(path, sizeof path, "%s", ref + 2);
    json_t *at = doc;
    for (char *p = path, *slash; at && p; p = slash ? slash + 1 : NULL) {
        slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        at = json_object_get(at, p);
    }
    if (!at)
        fail_msg("openapi.json: %s does not resolve", ref);
    return at;
}

static const route *route_of(const char *path, const char *method)
{
    for (const route *r = api_routes(); r->method; r++) {
        char m[16];
        lower(r->method, m);
        if (!strcmp(m, method) && !strcmp(r->pattern, path))
            return r;
    }
    return NULL;
}

/* Salesforce ids, recipients' tokens (/t/, /u/), holidays' days, report
 * kinds and integration names are strings; every other path parameter is a hail id. */
static int string_id_path(const char *path)
{
    return !strncmp(path, "/api/v1/accounts/", 17) ||
           !strncmp(path, "/api/v1/opportunities/", 22) ||
           !strncmp(path, "/api/v1/blocked-domains/", 24) ||
           !strncmp(path, "/api/v1/holidays/", 17) || !strncmp(path, "/api/v1/reports/", 16) ||
           !strncmp(path, "/api/v1/panel/sfdc/", 19) || !strncmp(path, "/t/", 3) ||
           !strncmp(path, "/u/", 3) || !strncmp(path, "/api/v1/integrations/", 21);
}

static void check_path_params(json_t *doc, const char *path, json_t *params)
{
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p)
    {
        p = deref(doc, p);
        if (strcmp(json_string_value(json_object_get(p, "in")), "path") != 0)
            continue;
        json_t *sc = json_object_get(p, "schema");
        const char *type = json_string_value(json_object_get(sc, "type"));
        if (string_id_path(path))
            continue;
        if (!type || strcmp(type, "integer") != 0 ||
            json_integer_value(json_object_get(sc, "minimum")) != 1)
            fail_msg("%s: path parameter %s is not an integer with minimum 1", path,
                     json_string_value(json_object_get(p, "name")));
    }
}

static long long int_or(json_t *o, const char *key, long long dflt)
{
    json_t *v = json_object_get(o, key);
    return v ? (long long)json_integer_value(v) : dflt;
}

/* hail's check of one body (api_body_check with the route's members) and the
 * document's request schema say the same: the same members, required and
 * nullable ones, types, lengths, values and limits; an object member's
 * members the same way, and its schema closed too. */
static void check_members(json_t *doc, const route *r, const api_member *m, json_t *schema)
{
    json_t *props = json_object_get(schema, "properties");
    json_t *required = json_object_get(schema, "required");
    size_t n = 0, nreq = 0;
    for (; m[n].name; n++) {
        const api_member *x = &m[n];
        json_t *p = deref(doc, json_object_get(props, x->name));
        if (!p)
            fail_msg("%s %s: member %s is not documented", r->method, r->pattern, x->name);
        int req = 0;
        size_t i;
        json_t *q;
        json_array_foreach(required, i, q) req |= !strcmp(json_string_value(q), x->name);
        nreq += req;
        const char *type = json_string_value(json_object_get(p, "type"));
        const char *want = x->type == API_BOOL                          ? "boolean"
                           : x->type == API_IDS || x->type == API_ARRAY ? "array"
                           : x->type == API_ID || x->type == API_INT    ? "integer"
                           : x->type == API_OBJECT                      ? "object"
                                                                        : "string";
        int ok = req == x->required &&
                 json_is_true(json_object_get(p, "nullable")) == x->nullable && type &&
                 !strcmp(type, want);
        if (x->type == API_IDS) {
            json_t *items = json_object_get(p, "items");
            const char *it = json_string_value(json_object_get(items, "type"));
            ok = ok && int_or(p, "maxItems", -1) == x->max && it && !strcmp(it, "integer") &&
                 int_or(items, "minimum", 0) == 1;
        } else if (x->type == API_ID) {
            ok = ok && int_or(p, "minimum", 0) == 1;
        } else if (x->type == API_INT) {
            ok = ok && int_or(p, "minimum", -1) == x->min && int_or(p, "maximum", -1) == x->max;
        } else if (x->type == API_OBJECT) {
            ok = ok && json_is_false(json_object_get(p, "additionalProperties"));
            if (ok)
                check_members(doc, r, api_object_members(x), p);
        } else if (x->type == API_ARRAY) {
            ok = ok && int_or(p, "maxItems", -1) == x->max;
        } else if (x->type != API_BOOL && x->one_of) {
            json_t *e = json_object_get(p, "enum");
            size_t k = 0;
            for (; x->one_of[k]; k++) {
                const char *v = json_string_value(json_array_get(e, k));
                ok = ok && v && !strcmp(v, x->one_of[k]);
            }
            ok = ok && json_array_size(e) == k;
        } else if (x->type != API_BOOL) {
            ok = ok && int_or(p, "minLength", 0) == x->min && int_or(p, "maxLength", -1) == x->max;
        }
        if (x->type == API_EMAIL) {
            const char *f = json_string_value(json_object_get(p, "format"));
            ok = ok && json_object_get(p, "pattern") && f && !strcmp(f, "email");
        }
        if (!ok)
            fail_msg("%s %s: member %s differs between hail and the document", r->method,
                     r->pattern, x->name);
    }
    if (json_object_size(props) != n || json_array_size(required) != nreq)
        fail_msg("%s %s: the document has members hail does not take", r->method, r->pattern);
}

static void check_body(json_t *doc, const route *r, json_t *schema)
{
    const api_member *m = api_route_body(r);
    if (!m)
        fail_msg("%s %s takes a body but has no members for api_body_check", r->method, r->pattern);
    check_members(doc, r, m, schema);
}

/* The document describes requests as strictly as hail enforces them: every
 * operation has a unique operationId, every request body is a closed object
 * (additionalProperties false), every id in a path is an integer, and the
 * statuses the dispatcher itself returns are documented where they apply. */
static void operations_are_described_strictly(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *ids = json_object();
    const char *path;
    json_t *item;
    int ops = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        check_path_params(doc, path, json_object_get(item, "parameters"));
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op)
        {
            if (!strcmp(method, "parameters"))
                continue;
            ops++;
            const route *r = route_of(path, method);
            assert_non_null(r);
            check_path_params(doc, path, json_object_get(op, "parameters"));
            const char *id = json_string_value(json_object_get(op, "operationId"));
            if (!id || !*id)
                fail_msg("%s %s has no operationId", method, path);
            if (json_object_get(ids, id))
                fail_msg("operationId %s is used twice", id);
            json_object_set_new(ids, id, json_true());

            json_t *rb = json_object_get(op, "requestBody");
            if ((rb != NULL) != (r->max_body > 0))
                fail_msg("%s %s: requestBody documented %s, body limit %zu", method, path,
                         rb ? "yes" : "no", r->max_body);
            /* A form (the unsubscribe page, RFC 8058) or a raw message (POST
             * /api/v1/inbound: message/rfc822) has no JSON members. */
            if (rb && json_object_get(json_object_get(rb, "content"), "application/json")) {
                json_t *sc =
                    deref(doc, json_object_get(json_object_get(json_object_get(rb, "content"),
                                                               "application/json"),
                                               "schema"));
                if (!json_is_false(json_object_get(sc, "additionalProperties")) ||
                    strcmp(json_string_value(json_object_get(sc, "type")), "object") != 0)
                    fail_msg("%s %s: the request body schema is not a closed object", method, path);
                check_body(doc, r, sc);
            }

            json_t *res = json_object_get(op, "responses");
            const char *need[8];
            int n = 0;
            need[n++] = "400"; /* bad input, or a body where none is taken */
            int signed_in = r->auth == AUTH_USER || r->auth == AUTH_ADMIN;
            if (signed_in)
                need[n++] = "401";
            if (r->auth == AUTH_ADMIN || (signed_in && strcmp(r->method, "GET") != 0))
                need[n++] = "403";
            if (r->max_body > 0)
                need[n++] = "413";
            if (strchr(path, '{') && !string_id_path(path))
                need[n++] = "404";
            if (r->fn != api_openapi)
                need[n++] = "503"; /* the database busy or unavailable */
            for (int k = 0; k < n; k++)
                if (!json_object_get(res, need[k]))
                    fail_msg("%s %s does not document %s", method, path, need[k]);
            const char *status;
            json_t *resp;
            json_object_foreach(res, status, resp)
            {
                resp = deref(doc, resp);
                int has = json_object_get(resp, "content") != NULL;
                if (has != (strcmp(status, "204") != 0))
                    fail_msg("%s %s: %s %s a body schema", method, path, status,
                             has ? "has" : "lacks");
            }
        }
    }
    assert_int_equal(ops, json_object_size(ids));
    json_decref(ids);
    json_decref(doc);
}

static void anonymous_routes_are_few(void **state)
{
    (void)state;
    /* Only these may be called without credentials. */
    const char *allowed[] = {"/healthz", "/api/v1/openapi.json", "/api/v1/session",
                             "/api/v1/inbound" /* checks the inbound token or an admin itself */,
                             "/api/v1/dialer/events" /* checks the dialer's HMAC signature */};
    for (const route *r = api_routes(); r->method; r++) {
        if (r->auth != AUTH_ANON)
            continue;
        int ok = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
            ok |= !strcmp(allowed[i], r->pattern) &&
                  (strcmp(r->pattern, "/api/v1/session") != 0 || !strcmp(r->method, "POST"));
        if (!ok)
            fail_msg("%s %s is anonymous", r->method, r->pattern);
    }
}

/* Bodies past 64 KB, each for a reason: a template's body_html of
 * 1,048,576 characters even written as \uXXXX escapes. */
static const struct {
    const char *method, *pattern;
    size_t max;
} big_bodies[] = {
    {"POST", "/api/v1/templates", 13 << 20},
    {"PATCH", "/api/v1/templates/{id}", 13 << 20},
    {"POST", "/api/v1/emails/preview", 13 << 20},
    /* Emails carry attachments (23 MB, base64) and HTML (1 MB characters). */
    {"POST", "/api/v1/emails", 48u << 20},
    {"PATCH", "/api/v1/emails/{id}", 16u << 20},
    /* Completing an email task sends its HTML (1 MB characters). */
    {"POST", "/api/v1/tasks/{id}/complete", 13 << 20},
    /* A raw message may be as big as mail gets. */
    {"POST", "/api/v1/inbound", 30u << 20},
    /* A campaign: 100 steps of 2,000 + 200 characters (issue 9, B). */
    {"POST", "/api/v1/campaigns", 4u << 20},
    {"PATCH", "/api/v1/campaigns/{id}", 4u << 20},
    /* A voicemail drop's recording (issue 9). */
    {"POST", "/api/v1/voicemail-drops", 10u << 20},
};

static void routes_with_bodies_are_bounded(void **state)
{
    (void)state;
    for (const route *r = api_routes(); r->method; r++) {
        if (!strcmp(r->method, "GET") || !strcmp(r->method, "DELETE"))
            assert_int_equal(r->max_body, 0);
        size_t max = 64 * 1024;
        for (size_t i = 0; i < sizeof big_bodies / sizeof *big_bodies; i++)
            if (!strcmp(big_bodies[i].method, r->method) &&
                !strcmp(big_bodies[i].pattern, r->pattern))
                max = big_bodies[i].max;
        if (r->max_body > max)
            fail_msg("%s %s takes bodies up to %zu bytes (at most %zu)", r->method, r->pattern,
                     r->max_body, max);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_is_documented),
        cmocka_unit_test(every_documented_operation_exists),
        cmocka_unit_test(anonymous_routes_are_few),
        cmocka_unit_test(routes_with_bodies_are_bounded),
        cmocka_unit_test(operations_are_described_strictly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
