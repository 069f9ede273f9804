/* The REST API: the route table, dispatch with authentication and role
 * checks, and one handler file per resource. Handlers never run SQL: they
 * call services (auth/, sync/) and store query functions.
 */
#ifndef HAIL_API_API_H
#define HAIL_API_API_H

#include <stdint.h>

#include "http/http.h"
#include "store/db.h"

typedef struct api_ctx {
    const char *db_path;
    int64_t started_at;
} api_ctx;

/* Fills app for the HTTP server. */
void api_app_init(http_app *app, api_ctx *ctx);

/* The route table (ends with a {NULL} entry). */
const route *api_routes(void);

/* This thread's database connection; replies 500 and returns NULL on failure. */
db *api_db(http_req *r);

/* Parses a positive integer path parameter; replies 404 and returns 0 if bad. */
int64_t api_param_id(http_req *r, int i);

/* Cursor pagination: the store's position string, made opaque (base64url). */
#define API_CURSOR_MAX 160
void api_cursor_encode(const char *raw, char out[API_CURSOR_MAX]);
/* Reads ?limit= (default def, 1..max) and ?cursor= (decoded into raw, "" when
 * absent); replies 400 and returns 0 on bad input. */
int api_page_params(http_req *r, int def, int max, int *limit, char raw[API_CURSOR_MAX]);

/* Replies with j (status) when e is OK, else with the error; releases j either way. */
void api_reply(http_req *r, hail_err e, int status, json_t *j);
/* The same for a list: 200 {"data": a}. */
void api_reply_list(http_req *r, hail_err e, json_t *a);

/* Replies 400 and returns 0 when body has a member not in the NULL-terminated
 * list: a typo must not be silently ignored. */
int api_only_members(http_req *r, json_t *body, const char *const *allowed);

/* Handlers. */
void api_healthz(http_req *r);
void api_openapi(http_req *r);
void api_session_create(http_req *r);
void api_session_get(http_req *r);
void api_session_delete(http_req *r);
void api_me(http_req *r);
void api_me_update(http_req *r);
void api_users_list(http_req *r);
void api_users_create(http_req *r);
void api_users_get(http_req *r);
void api_users_update(http_req *r);
void api_users_delete(http_req *r);
void api_teams_list(http_req *r);
void api_teams_create(http_req *r);
void api_teams_get(http_req *r);
void api_teams_update(http_req *r);
void api_teams_delete(http_req *r);
void api_teams_member_add(http_req *r);
void api_teams_member_remove(http_req *r);
void api_tokens_list(http_req *r);
void api_tokens_create(http_req *r);
void api_tokens_delete(http_req *r);
void api_people_list(http_req *r);
void api_people_get(http_req *r);
void api_account_people(http_req *r);
void api_opportunity_people(http_req *r);
void api_sync_marketo_get(http_req *r);
void api_sync_marketo_post(http_req *r);

#endif
