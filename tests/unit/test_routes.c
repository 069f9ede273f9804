#include "core/common.h"

/* The route table and docs/openapi.json (embedded in the binary) describe the
 * same set of operations, and every route declares its access level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
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

static void anonymous_routes_are_few(void **state)
{
    (void)state;
    /* Only these may be called without credentials. */
    const char *allowed[] = {"/healthz", "/api/v1/openapi.json", "/api/v1/session"};
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

static void routes_with_bodies_are_bounded(void **state)
{
    (void)state;
    for (const route *r = api_routes(); r->method; r++) {
        if (!strcmp(r->method, "GET") || !strcmp(r->method, "DELETE"))
            assert_int_equal(r->max_body, 0);
        assert_true(r->max_body <= 64 * 1024);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_is_documented),
        cmocka_unit_test(every_documented_operation_exists),
        cmocka_unit_test(anonymous_routes_are_few),
        cmocka_unit_test(routes_with_bodies_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
