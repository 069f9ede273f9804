/* The REST API: the route table, dispatch with authentication and role
 * checks, and one handler file per resource. Handlers never run SQL: they
 * call services (auth/, sync/) and store query functions.
 */
#ifndef HAIL_API_API_H
#define HAIL_API_API_H

#include <stdint.h>

#include "http/http.h"
#include "store/db.h"

typedef struct web_app web_app;

typedef struct api_ctx {
    const char *db_path;
    int64_t started_at;
    web_app *web; /* the web app's files, or NULL when not installed */
} api_ctx;

/* ---- the web app (web.c) ---- */

/* Finds the web app's files: env_root (HAIL_WEB_ROOT) when set — an error
 * when it has no index.html —, else the build tree's web/, else
 * <bindir>/../share/hail/web. When none has one, *out is NULL and why says
 * where it looked (hail then serves the API only). */
hail_err web_open(const char *env_root, web_app **out, char *why, size_t why_n);
const char *web_root_dir(const web_app *w);
void web_close(web_app *w);
/* Whether a path belongs to the web app (not /api…, not /healthz). */
int api_web_path(const char *path);
/* The handler of every web app path: a file, index.html for a client-side
 * route, or a 404/400. */
void api_web(http_req *r);
/* The Content-Security-Policy of every reply that is not the app's. */
extern const char api_csp_default[];

/* Fills app for the HTTP server. */
void api_app_init(http_app *app, api_ctx *ctx);

/* The route table (ends with a {NULL} entry). */
const route *api_routes(void);

/* This thread's database connection; replies 500 and returns NULL on failure. */
db *api_db(http_req *r);

/* api_db, and the caller's own time zone (users.time_zone) into zone for
 * the insight panels and reports; replies and returns NULL on failure. */
db *api_db_zone(http_req *r, char zone[256]);

/* Parses a positive integer path parameter; replies 404 and returns 0 if bad. */
int64_t api_param_id(http_req *r, int i);

/* Cursor pagination: the store's position string, made opaque (base64url). */
#define API_CURSOR_MAX 4096 /* an account cursor: two stored values, up to 2,100 bytes */
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

/* Request bodies: one rule, the same as docs/openapi.json's request schemas.
 * A member not listed is a 400. null is accepted only for a member marked
 * nullable, and then means "no value" (as if left out); for any other member
 * null is a 400 like any other wrong type ("name must be a string, not
 * null"). Lengths count characters (code points). */
typedef enum {
    API_STRING, /* min..max characters; one_of: the allowed values */
    API_EMAIL,  /* a string, max characters, auth_email_ok() */
    API_BOOL,
    API_IDS, /* an array of at most max positive integers */
    API_ID,  /* one positive integer (a reference: person_id, sender_id, …) */
    /* delivery (channels): */
    API_INT,    /* an integer from min to max */
    API_OBJECT, /* an object of `members`, checked as a body is ("smtp.port …" in messages) */
    API_ARRAY,  /* an array of at most max items (the handler checks the items) */
} api_type;

typedef struct api_member {
    const char *name;
    api_type type;
    bool required;
    bool nullable;
    int min, max;
    /* NULL-terminated, or NULL. API_OBJECT: its members (ended by a {NULL}
     * entry), given as API_MEMBERS(list) and read with api_object_members. */
    const char *const *one_of;
} api_member;
#define API_MEMBERS(list) ((const char *const *)(const void *)(list))
static inline const api_member *api_object_members(const api_member *m)
{
    return (const api_member *)(const void *)m->one_of;
}

/* Checks body against members (ended by a {NULL} entry); val[i] gets member
 * i's value, NULL when left out or null. Replies 400 and returns 0 on the
 * first problem. */
int api_body_check(http_req *r, json_t *body, const api_member *members, json_t **val);
/* name (cc, bcc) is an array of email addresses: replies 400 naming the
 * first that is not one and returns 0. */
int api_check_addresses(http_req *r, const char *name, json_t *a);

/* The members of each request body (each handler's file), and the one a
 * route takes (NULL for a route without a body); tests/unit/test_routes.c
 * checks each against the document's request schema. */
extern const api_member api_session_create_body[];
extern const api_member api_users_create_body[];
extern const api_member api_users_update_body[];
extern const api_member api_teams_body[];
extern const api_member api_tokens_create_body[];
extern const api_member api_me_update_body[];
/* Templates (api/templates.c). */
extern const api_member api_templates_create_body[];
extern const api_member api_templates_update_body[];
extern const api_member api_templates_preview_body[];
extern const api_member api_emails_preview_body[];
/* Delivery: channels, senders, blocked domains (api/channels.c, api/senders.c,
 * api/blocked_domains.c). */
extern const api_member api_channels_create_body[];
extern const api_member api_channels_update_body[];
extern const api_member api_channels_test_body[];
extern const api_member api_senders_create_body[];
extern const api_member api_senders_update_body[];
extern const api_member api_blocked_domains_create_body[];
/* end of delivery */
/* emails (api/emails.c) */
extern const api_member api_emails_create_body[];
extern const api_member api_emails_bulk_body[];
extern const api_member api_emails_update_body[];
extern const api_member api_mail_settings_body[];
const api_member *api_route_body(const route *r);

/* A page position in a cursor: "<kind><id>". api_cursor_id returns the id
 * (0 when raw is ""), or -1 when raw is not one of kind's cursors. */
int64_t api_cursor_id(const char *raw, char kind);
/* Replies with {"data": a, "next_cursor": cursor or null}; releases a. */
void api_reply_page(http_req *r, hail_err e, json_t *a, const char *raw_next);
/* An optional true/false query parameter: *out gets 0 when absent; replies
 * 400 and returns 0 on any other value. */
int api_query_bool(http_req *r, const char *name, int *out);

/* HAIL_SALESFORCE_URL's rule (https://host[:port], nothing after): HAIL_EINVAL
 * with a message naming the variable. GET /api/v1/app serves the value. */
hail_err api_salesforce_url_check(const char *v);

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
void api_person_activities(http_req *r);
void api_account_people(http_req *r);
void api_opportunity_people(http_req *r);
void api_accounts_list(http_req *r);
void api_accounts_get(http_req *r);
void api_opportunities_get(http_req *r);
void api_app(http_req *r);
void api_sync_marketo_get(http_req *r);
void api_sync_marketo_post(http_req *r);
void api_sync_marketo_events(http_req *r);
/* Templates and personalization (api/templates.c). */
void api_templates_list(http_req *r);
void api_templates_create(http_req *r);
void api_templates_get(http_req *r);
void api_templates_update(http_req *r);
void api_templates_delete(http_req *r);
void api_templates_favorite_put(http_req *r);
void api_templates_favorite_delete(http_req *r);
void api_templates_preview(http_req *r);
void api_emails_preview(http_req *r);
/* Delivery: channels, senders, blocked domains (api/channels.c,
 * api/senders.c, api/blocked_domains.c). */
void api_channels_list(http_req *r);
void api_channels_create(http_req *r);
void api_channels_get(http_req *r);
void api_channels_update(http_req *r);
void api_channels_delete(http_req *r);
void api_channels_test(http_req *r);
void api_senders_list(http_req *r);
void api_senders_create(http_req *r);
void api_senders_get(http_req *r);
void api_senders_update(http_req *r);
void api_senders_delete(http_req *r);
void api_blocked_domains_list(http_req *r);
void api_blocked_domains_create(http_req *r);
void api_blocked_domains_delete(http_req *r);
/* end of delivery */
/* Tracking and unsubscribes (api/track.c, api/unsubscribes.c). */
void api_track_open(http_req *r);
void api_track_click(http_req *r);
void api_unsub_page(http_req *r);
void api_unsub_post(http_req *r);
void api_person_unsubscribes(http_req *r);
void api_person_unsubscribe(http_req *r);
void api_person_resubscribe(http_req *r);
/* end of tracking and unsubscribes */
/* emails (api/emails.c) */
void api_emails_list(http_req *r);
void api_emails_create(http_req *r);
void api_emails_bulk(http_req *r);
void api_emails_get(http_req *r);
void api_emails_update(http_req *r);
void api_emails_delete(http_req *r);
void api_emails_retry(http_req *r);
void api_mail_settings_get(http_req *r);
void api_mail_settings_put(http_req *r);

/* ---- inbound (what comes back: api/inbound.c) ---- */
/* Establishes who is calling (a bearer token, else the session cookie with
 * its CSRF header): 1 when r->user_* are set, 0 when no credentials were
 * offered, -1 after replying with an error. For routes that accept another
 * credential before a user's. */
int api_authenticate(http_req *r, db *d);
void api_inbound_post(http_req *r);
/* ---- end inbound ---- */

/* ---- issue 9, A: holidays and time zones (api/holidays.c) ---- */
extern const api_member api_holidays_put_body[];
void api_holidays_list(http_req *r);
void api_holidays_put(http_req *r);
void api_holidays_delete(http_req *r);
void api_time_zones(http_req *r);
/* ---- end holidays and time zones ---- */

/* ---- issue 9, B: campaigns and their members (api/campaigns.c) ---- */
extern const api_member api_campaigns_create_body[];
extern const api_member api_campaigns_update_body[];
extern const api_member api_campaigns_members_add_body[];
extern const api_member api_campaigns_members_remove_body[];
void api_campaigns_list(http_req *r);
void api_campaigns_create(http_req *r);
void api_campaigns_get(http_req *r);
void api_campaigns_update(http_req *r);
void api_campaigns_delete(http_req *r);
void api_campaigns_pause(http_req *r);
void api_campaigns_resume(http_req *r);
void api_campaigns_stop(http_req *r);
void api_campaigns_report(http_req *r);
void api_campaigns_members_list(http_req *r);
void api_campaigns_members_add(http_req *r);
void api_campaigns_members_remove(http_req *r);
void api_campaigns_member_delete(http_req *r);
void api_campaigns_member_pause(http_req *r);
void api_campaigns_member_resume(http_req *r);
void api_person_campaigns(http_req *r);
void api_me_campaigns_pause(http_req *r);
void api_me_campaigns_resume(http_req *r);
/* ---- end campaigns and their members ---- */

/* ---- issue 9, D: tasks (api/tasks.c) ---- */
extern const api_member api_tasks_create_body[];
extern const api_member api_tasks_update_body[];
extern const api_member api_tasks_complete_body[];
extern const api_member api_tasks_bulk_body[];
void api_tasks_list(http_req *r);
void api_tasks_counts(http_req *r);
void api_tasks_create(http_req *r);
void api_tasks_bulk(http_req *r);
void api_tasks_get(http_req *r);
void api_tasks_update(http_req *r);
void api_tasks_delete(http_req *r);
void api_tasks_email(http_req *r);
void api_tasks_complete(http_req *r);
void api_tasks_skip(http_req *r);
/* ---- end tasks ---- */

/* ---- issue 9, E: calls and the dialer (api/calls.c) ---- */
/* CallInput (also a call task's completion body: {"call": CallInput}). */
extern const api_member api_calls_input_body[];
extern const api_member api_calls_update_body[];
extern const api_member api_calls_start_body[];
extern const api_member api_call_outcomes_create_body[];
extern const api_member api_call_outcomes_update_body[];
extern const api_member api_call_reasons_create_body[];
extern const api_member api_call_reasons_update_body[];
extern const api_member api_caller_ids_create_body[];
extern const api_member api_caller_ids_update_body[];
extern const api_member api_calls_settings_body[];
extern const api_member api_dialer_events_body[];
void api_calls_list(http_req *r);
void api_calls_create(http_req *r);
void api_calls_get(http_req *r);
void api_calls_update(http_req *r);
void api_calls_start(http_req *r);
void api_person_dial(http_req *r);
void api_call_outcomes_list(http_req *r);
void api_call_outcomes_create(http_req *r);
void api_call_outcomes_update(http_req *r);
void api_call_outcomes_delete(http_req *r);
void api_call_reasons_list(http_req *r);
void api_call_reasons_create(http_req *r);
void api_call_reasons_update(http_req *r);
void api_call_reasons_delete(http_req *r);
void api_caller_ids_list(http_req *r);
void api_caller_ids_create(http_req *r);
void api_caller_ids_update(http_req *r);
void api_caller_ids_delete(http_req *r);
void api_calls_settings_get(http_req *r);
void api_calls_settings_put(http_req *r);
void api_voicemail_drops_list(http_req *r);
void api_voicemail_drops_create(http_req *r);
void api_voicemail_drops_audio(http_req *r);
void api_voicemail_drops_delete(http_req *r);
void api_dialer_events(http_req *r);
/* ---- end calls and the dialer ---- */

/* ---- issue 10, F: the live feed (api/feed.c) ---- */
void api_feed_list(http_req *r);
void api_feed_stream(http_req *r);
/* ---- end the live feed ---- */

/* ---- issue 10, I: insight panels (api/insight.c) ---- */
void api_person_insight(http_req *r);
void api_account_insight(http_req *r);
void api_opportunity_insight(http_req *r);
void api_account_activities(http_req *r);
void api_opportunity_activities(http_req *r);
/* ---- end insight panels ---- */

/* ---- issue 10, P: Marketo's activities and the embeddable panel (api/panel.c) ---- */
void api_person_marketo_activities(http_req *r);
void api_panel_sfdc(http_req *r);
void api_panel_settings_get(http_req *r);
void api_panel_settings_put(http_req *r);
extern const api_member api_panel_settings_body[];
/* ---- end Marketo's activities and the embeddable panel ---- */

/* ---- issue 10, B: Best Bets (api/bestbets.c) ---- */
void api_best_bets(http_req *r);
void api_users_covered(http_req *r);
/* ---- end Best Bets ---- */

/* ---- issue 10, R: reports (api/reports.c) ---- */
void api_reports_get(http_req *r);
/* ---- end reports ---- */

/* ---- issue 11: Admin -> Integrations (api/integrations.c) ---- */
extern const api_member api_integrations_settings_body[];
void api_integrations_list(http_req *r);
void api_integrations_skips(http_req *r);
void api_integrations_retry(http_req *r);
void api_integrations_settings_get(http_req *r);
void api_integrations_settings_put(http_req *r);
/* ---- end Admin -> Integrations ---- */
/* ---- issue 11, F: saved filters (api/filters.c) ---- */
extern const api_member api_filters_create_body[];
extern const api_member api_filters_update_body[];
extern const api_member api_filters_preview_body[];
void api_filters_list(http_req *r);
void api_filters_create(http_req *r);
void api_filters_get(http_req *r);
void api_filters_update(http_req *r);
void api_filters_delete(http_req *r);
void api_filters_people(http_req *r);
void api_filters_preview(http_req *r);
/* ---- end saved filters ---- */

#endif
