#include "core/common.h"

#include "api/api.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/log.h"
#include "core/utf8.h"
#include "store/users.h"

db *api_db(http_req *r)
{
    api_ctx *ctx = r->app;
    db *d;
    hail_err e = db_thread(ctx->db_path, &d);
    if (e) {
        log_error("api: cannot open database: %s", hail_errmsg());
        http_reply_error(r, 503, "unavailable", "database unavailable");
        return NULL;
    }
    return d;
}

db *api_db_zone(http_req *r, char zone[256])
{
    db *d = api_db(r);
    if (!d)
        return NULL;
    hail_err e = users_time_zone(d, r->user_id, zone);
    if (e) {
        http_reply_err(r, e);
        return NULL;
    }
    return d;
}

int64_t api_param_id(http_req *r, int i)
{
    if (i >= r->nparams)
        return 0;
    const char *s = r->param[i];
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s < '1' || *s > '9' || *end || v <= 0 || errno == ERANGE) {
        http_reply_error(r, 404, "not_found", "no such id: %.40s", s);
        return 0;
    }
    return v;
}

void api_cursor_encode(const char *raw, char out[API_CURSOR_MAX])
{
    size_t n = strlen(raw);
    if (sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) > API_CURSOR_MAX)
        n = 0; /* cannot happen: store cursors are short */
    sodium_bin2base64(out, API_CURSOR_MAX, (const unsigned char *)raw, n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int cursor_decode(const char *s, char raw[API_CURSOR_MAX])
{
    size_t n;
    if (strlen(s) >= API_CURSOR_MAX ||
        sodium_base642bin((unsigned char *)raw, API_CURSOR_MAX - 1, s, strlen(s), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return 0;
    raw[n] = '\0';
    return n > 0 && strlen(raw) == n; /* no NUL inside */
}

int api_page_params(http_req *r, int def, int max, int *limit, char raw[API_CURSOR_MAX])
{
    *limit = def;
    raw[0] = '\0';
    const char *l = http_query(r, "limit");
    if (l) {
        char *end;
        long v = strtol(l, &end, 10);
        /* Digits only: no sign, no white space, as the document's integer. */
        if (*l < '0' || *l > '9' || *end || v < 1 || v > max) {
            http_reply_error(r, 400, "bad_request", "limit must be an integer from 1 to %d", max);
            return 0;
        }
        *limit = (int)v;
    }
    const char *c = http_query(r, "cursor");
    if (c && *c && !cursor_decode(c, raw)) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return 0;
    }
    return 1;
}

void api_reply(http_req *r, hail_err e, int status, json_t *j)
{
    if (e) {
        json_decref(j);
        http_reply_err(r, e);
    } else if (!j) {
        http_reply_err(r, HAIL_ENOMEM);
    } else {
        http_reply_json(r, status, j);
    }
}

void api_reply_list(http_req *r, hail_err e, json_t *a)
{
    api_reply(r, e, 200, e ? a : json_pack("{s:o}", "data", a));
}

int api_only_members(http_req *r, json_t *body, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, key);
        if (!ok) {
            http_reply_error(r, 400, "bad_request", "unknown member '%.64s'", key);
            return 0;
        }
    }
    return 1;
}

static const char *json_kind(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* Appends word i of count to out as in "a, b or c" (bounded: cut, never overrun). */
static void list_word(char *out, size_t n, size_t i, size_t count, const char *word)
{
    size_t len = strlen(out);
    if (len + 1 < n)
        snprintf(out + len, n - len, "%s%s", i == 0 ? "" : i + 1 < count ? ", " : " or ", word);
}

static int body_check(http_req *r, json_t *body, const api_member *members, json_t **val,
                      const char *prefix);

/* Checks one member's value; replies 400 and returns 0 if it is wrong.
 * prefix: "" for a body's member, "smtp." for a member of its smtp object. */
static int member_check(http_req *r, const api_member *m, json_t *v, const char *prefix)
{
    char full[160];
    snprintf(full, sizeof full, "%s%s", prefix, m->name);
    const char *n = full;
    switch (m->type) {
    case API_INT:
        if (json_is_integer(v) && json_integer_value(v) >= m->min &&
            json_integer_value(v) <= m->max)
            return 1;
        if (json_is_integer(v))
            http_reply_error(r, 400, "bad_request",
                             "%s must be an integer from %d to %d, not %" JSON_INTEGER_FORMAT, n,
                             m->min, m->max, json_integer_value(v));
        else if (json_is_real(v))
            http_reply_error(r, 400, "bad_request", "%s must be an integer from %d to %d, not %g",
                             n, m->min, m->max, json_real_value(v));
        else
            http_reply_error(r, 400, "bad_request", "%s must be an integer from %d to %d, not %s",
                             n, m->min, m->max, json_kind(v));
        return 0;
    case API_OBJECT: {
        if (!json_is_object(v)) {
            http_reply_error(r, 400, "bad_request", "%s must be an object, not %s", n,
                             json_kind(v));
            return 0;
        }
        size_t count = 0;
        const api_member *members = api_object_members(m);
        while (members[count].name)
            count++;
        json_t **sub = calloc(count + 1, sizeof *sub);
        if (!sub) {
            http_reply_err(r, HAIL_ENOMEM);
            return 0;
        }
        char p[176];
        snprintf(p, sizeof p, "%s.", n);
        int ok = body_check(r, v, members, sub, p);
        free(sub);
        return ok;
    }
    case API_STRING:
    case API_EMAIL: {
        if (!json_is_string(v)) {
            http_reply_error(r, 400, "bad_request", "%s must be a string, not %s", n, json_kind(v));
            return 0;
        }
        const char *s = json_string_value(v);
        size_t c = utf8_chars(s);
        if (m->one_of) {
            int ok = 0;
            for (const char *const *w = m->one_of; *w && !ok; w++)
                ok = !strcmp(*w, s);
            if (!ok) {
                char words[256] = "";
                size_t count = 0;
                while (m->one_of[count])
                    count++;
                for (size_t i = 0; i < count; i++)
                    list_word(words, sizeof words, i, count, m->one_of[i]);
                http_reply_error(r, 400, "bad_request", "%s must be %s, not '%.64s'", n, words, s);
                return 0;
            }
        } else if ((int)c < m->min || c > (size_t)m->max) {
            if (m->min > 0)
                http_reply_error(r, 400, "bad_request", "%s must be %d to %d characters, not %zu",
                                 n, m->min, m->max, c);
            else
                http_reply_error(r, 400, "bad_request", "%s must be at most %d characters, not %zu",
                                 n, m->max, c);
            return 0;
        } else if (m->type == API_EMAIL && !auth_email_ok(s)) {
            http_reply_error(r, 400, "bad_request", "%s '%.254s' is not a valid email address", n,
                             s);
            return 0;
        }
        return 1;
    }
    case API_BOOL:
        if (!json_is_boolean(v)) {
            http_reply_error(r, 400, "bad_request", "%s must be true or false, not %s", n,
                             json_kind(v));
            return 0;
        }
        return 1;
    case API_ID:
        if (json_is_integer(v) && json_integer_value(v) > 0)
            return 1;
        if (json_is_integer(v))
            http_reply_error(r, 400, "bad_request",
                             "%s must be a positive integer, not %" JSON_INTEGER_FORMAT, n,
                             json_integer_value(v));
        else if (json_is_real(v))
            http_reply_error(r, 400, "bad_request", "%s must be a positive integer, not %g", n,
                             json_real_value(v));
        else
            http_reply_error(r, 400, "bad_request", "%s must be a positive integer, not %s", n,
                             json_kind(v));
        return 0;
    case API_IDS: {
        if (!json_is_array(v)) {
            http_reply_error(r, 400, "bad_request", "%s must be an array of ids, not %s", n,
                             json_kind(v));
            return 0;
        }
        if (json_array_size(v) > (size_t)m->max) {
            http_reply_error(r, 400, "bad_request", "%s must hold at most %d ids, not %zu", n,
                             m->max, json_array_size(v));
            return 0;
        }
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (json_is_integer(x) && json_integer_value(x) > 0)
                continue;
            if (json_is_integer(x))
                http_reply_error(r, 400, "bad_request",
                                 "%s[%zu] must be a positive integer, not %" JSON_INTEGER_FORMAT, n,
                                 i, json_integer_value(x));
            else if (json_is_real(x))
                http_reply_error(r, 400, "bad_request",
                                 "%s[%zu] must be a positive integer, not %g", n, i,
                                 json_real_value(x));
            else
                http_reply_error(r, 400, "bad_request",
                                 "%s[%zu] must be a positive integer, not %s", n, i, json_kind(x));
            return 0;
        }
        return 1;
    }
    case API_ARRAY:
        if (!json_is_array(v)) {
            http_reply_error(r, 400, "bad_request", "%s must be an array, not %s", n, json_kind(v));
            return 0;
        }
        if (json_array_size(v) > (size_t)m->max) {
            http_reply_error(r, 400, "bad_request", "%s must hold at most %d items, not %zu", n,
                             m->max, json_array_size(v));
            return 0;
        }
        return 1;
    }
    return 0;
}

int api_body_check(http_req *r, json_t *body, const api_member *members, json_t **val)
{
    return body_check(r, body, members, val, "");
}

static int body_check(http_req *r, json_t *body, const api_member *members, json_t **val,
                      const char *prefix)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        int known = 0;
        for (const api_member *m = members; m->name && !known; m++)
            known = !strcmp(m->name, key);
        if (!known) {
            char words[256] = "";
            size_t count = 0;
            while (members[count].name)
                count++;
            for (size_t i = 0; i < count; i++)
                list_word(words, sizeof words, i, count, members[i].name);
            http_reply_error(r, 400, "bad_request", "unknown member '%s%.64s' (allowed: %s)",
                             prefix, key, count ? words : "none");
            return 0;
        }
    }
    for (size_t i = 0; members[i].name; i++) {
        const api_member *m = &members[i];
        v = json_object_get(body, m->name);
        val[i] = NULL;
        if (!v) {
            if (m->required) {
                http_reply_error(r, 400, "bad_request", "%s%s is required", prefix, m->name);
                return 0;
            }
        } else if (json_is_null(v) && m->nullable) {
            /* null means "no value" */
        } else if (!member_check(r, m, v, prefix)) {
            return 0;
        } else {
            val[i] = v;
        }
    }
    return 1;
}

int64_t api_cursor_id(const char *raw, char kind)
{
    if (!*raw)
        return 0;
    const char *s = raw + 1;
    char *end;
    if (raw[0] != kind || *s < '1' || *s > '9')
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return *end || errno ? -1 : v;
}

void api_reply_page(http_req *r, hail_err e, json_t *a, const char *raw_next)
{
    json_t *next = json_null();
    if (!e && raw_next && *raw_next) {
        char c[API_CURSOR_MAX];
        api_cursor_encode(raw_next, c);
        next = json_string(c);
    }
    api_reply(r, e, 200, e ? a : json_pack("{s:o,s:o}", "data", a, "next_cursor", next));
}

int api_query_bool(http_req *r, const char *name, int *out)
{
    const char *v = http_query(r, name);
    *out = 0;
    if (!v || !strcmp(v, "false"))
        return 1;
    if (!strcmp(v, "true"))
        return (*out = 1);
    http_reply_error(r, 400, "bad_request", "%s must be true or false, not '%.64s'", name, v);
    return 0;
}

static int is_safe_method(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS");
}

/* Establishes who is calling: a bearer token, else the session cookie.
 * Returns 1 when r->user_* are set, 0 when no credentials were offered, -1
 * after replying with an error. */
static int authenticate(http_req *r, db *d)
{
    const char *authz = http_header(r, "Authorization");
    user u;
    hail_err e;
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0) {
            http_add_header(r, "WWW-Authenticate", "Bearer");
            http_reply_error(r, 401, "unauthorized", "use 'Authorization: Bearer <token>'");
            return -1;
        }
        const char *tok = authz + 7;
        while (*tok == ' ')
            tok++;
        e = auth_bearer(d, tok, &u);
        if (e) {
            http_add_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
            http_reply_err(r, e);
            return -1;
        }
    } else {
        const char *cookie = http_cookie(r, AUTH_SESSION_COOKIE);
        if (!cookie)
            return 0;
        char csrf[64];
        int64_t exp;
        e = auth_session(d, cookie, &u, csrf, &exp);
        if (e) {
            http_reply_err(r, e);
            return -1;
        }
        /* A cookie rides along on cross-site requests; a header does not. */
        if (!is_safe_method(r->method)) {
            const char *sent = http_header(r, "X-CSRF-Token");
            if (!sent || !auth_secure_equal(sent, csrf)) {
                http_reply_error(r, 403, "csrf", "missing or wrong X-CSRF-Token header");
                return -1;
            }
        }
        r->via_session = 1;
    }
    r->user_id = u.id;
    snprintf(r->user_email, sizeof r->user_email, "%s", u.email);
    snprintf(r->user_role, sizeof r->user_role, "%s", u.role);
    return 1;
}

int api_authenticate(http_req *r, db *d)
{
    return authenticate(r, d);
}

/* Whether a route answers only a caller with credentials: the signed-in
 * routes, and POST /api/v1/inbound (anonymous in the table: the inbound
 * token, not a user, may call it; its handler checks). */
static int needs_credentials(const route *rt)
{
    return (rt->auth != AUTH_ANON && rt->auth != AUTH_RECIPIENT) || rt->fn == api_inbound_post;
}

static int has_credentials(http_req *r)
{
    return http_header(r, "Authorization") || http_cookie(r, AUTH_SESSION_COOKIE);
}

static void dispatch(http_req *r)
{
    /* body_limit() already routed this request (the server calls it first). */
    if (r->resp_failed)
        return; /* out of memory while routing: the server replies 500 */
    if (!r->route) {
        if (r->method_mismatch) {
            http_add_header(r, "Allow", r->allow);
            http_reply_error(r, 405, "method_not_allowed", "%s is not allowed here (allowed: %s)",
                             r->method, r->allow);
        } else {
            http_reply_error(r, 404, "not_found", "no such resource");
        }
        return;
    }
    /* Who is calling comes first: an anonymous caller learns nothing about
     * the body a route takes (not even its limit) before it is told to sign
     * in. The server has read at most the route's limit plus a bounded
     * discard of any body by now, or nothing of a huge declared one (nothing
     * at all from a caller without credentials: body_limit). */
    if (needs_credentials(r->route) && !has_credentials(r)) {
        http_add_header(r, "WWW-Authenticate", "Bearer");
        http_reply_error(r, 401, "unauthorized", "authentication required");
        return;
    }
    if (r->route->auth != AUTH_ANON && r->route->auth != AUTH_RECIPIENT) {
        db *d = api_db(r);
        if (!d)
            return;
        int who = authenticate(r, d);
        if (who < 0)
            return;
        if (who == 0) {
            http_add_header(r, "WWW-Authenticate", "Bearer");
            http_reply_error(r, 401, "unauthorized", "authentication required");
            return;
        }
        if (r->route->auth == AUTH_ADMIN && strcmp(r->user_role, "admin") != 0) {
            http_reply_error(r, 403, "forbidden", "this needs the admin role");
            return;
        }
    }
    if (r->route->max_body == 0 && http_has_body(r)) {
        http_reply_error(r, 400, "bad_request", "this operation takes no request body");
        return;
    }
    if (r->too_large) {
        http_reply_error(r, 413, "too_large", "request body is larger than %zu bytes",
                         r->route->max_body);
        return;
    }
    r->route->fn(r);
}

/* The web app: any other path (its files, and index.html for the app's own
 * routes). GET only; HEAD is answered as GET. */
static const route web_routes[] = {
    {"GET", "/*", AUTH_ANON, 0, api_web, "the web app", "no-cache"},
    {NULL, NULL, AUTH_ANON, 0, NULL, NULL, NULL},
};

/* Routes the request once, on its first callback; dispatch() uses the result.
 * /api… and /healthz are the API's (an unknown one is a JSON 404); the rest
 * is the web app's. */
static size_t body_limit(http_req *r)
{
    router_match(api_routes(), r);
    if (!r->route && !r->method_mismatch && !r->resp_failed && api_web_path(r->path))
        router_match(web_routes, r);
    if (!r->route)
        return 0;
    /* A caller with no credentials at all (no Authorization header, no
     * session cookie) gets its 401 without hail keeping any of its body:
     * nobody uploads 30 MB anonymously before being told to sign in. */
    if (needs_credentials(r->route) && !has_credentials(r))
        return 0;
    return r->route->max_body;
}

/* Every reply says it may not be framed; the app's pages carry their own. */
static void dispatch_with_policy(http_req *r)
{
    dispatch(r);
    if (!http_resp_header(r, "Content-Security-Policy"))
        http_add_header(r, "Content-Security-Policy", api_csp_default);
}

void api_app_init(http_app *app, api_ctx *ctx)
{
    app->handle = dispatch_with_policy;
    app->body_limit = body_limit;
    app->ctx = ctx;
    app->access_log = 1;
}

int api_check_addresses(http_req *r, const char *name, json_t *a)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v)) {
            http_reply_error(r, 400, "bad_request", "%s[%zu] must be an email address", name, i);
            return 0;
        }
        const char *s = json_string_value(v);
        if (strlen(s) > 254 || !auth_email_ok(s)) {
            http_reply_error(r, 400, "bad_request", "%s[%zu] '%.254s' is not a valid email address",
                             name, i, s);
            return 0;
        }
    }
    return 1;
}
