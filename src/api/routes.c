#include "core/common.h"

#include "api/api.h"

/* Every route, with who may call it and how big a body it takes. A route
 * missing here does not exist; docs/openapi.json must list the same set
 * (a unit test checks). A body limit holds every body the document allows,
 * even written with \uXXXX escapes only (12 bytes for a character outside the
 * BMP): sign-in 254 + 1024 characters, users 254 + 200 + 1024 and 100 ids. */
static const route routes[] = {
    {"GET", "/healthz", AUTH_ANON, 0, api_healthz, "liveness and database check", NULL},
    {"GET", "/api/v1/openapi.json", AUTH_ANON, 0, api_openapi, "this API's OpenAPI document", NULL},

    {"POST", "/api/v1/session", AUTH_ANON, 16384, api_session_create, "sign in", NULL},
    {"GET", "/api/v1/session", AUTH_USER, 0, api_session_get, "current session", NULL},
    {"DELETE", "/api/v1/session", AUTH_USER, 0, api_session_delete, "sign out", NULL},
    {"GET", "/api/v1/me", AUTH_USER, 0, api_me, "the calling user", NULL},
    {"PATCH", "/api/v1/me", AUTH_USER, 16384, api_me_update, "change your own password", NULL},

    {"GET", "/api/v1/users", AUTH_ADMIN, 0, api_users_list, "list users", NULL},
    {"POST", "/api/v1/users", AUTH_ADMIN, 24576, api_users_create, "create a user", NULL},
    /* before users/{id}: the first match wins (api/bestbets.c) */
    {"GET", "/api/v1/users/covered", AUTH_USER, 0, api_users_covered,
     "the users whose Best Bets the caller may read", NULL},
    {"GET", "/api/v1/users/{id}", AUTH_ADMIN, 0, api_users_get, "one user", NULL},
    {"PATCH", "/api/v1/users/{id}", AUTH_ADMIN, 24576, api_users_update, "change a user", NULL},
    {"DELETE", "/api/v1/users/{id}", AUTH_ADMIN, 0, api_users_delete, "deactivate a user", NULL},

    {"GET", "/api/v1/teams", AUTH_ADMIN, 0, api_teams_list, "list teams", NULL},
    {"POST", "/api/v1/teams", AUTH_ADMIN, 4096, api_teams_create, "create a team", NULL},
    {"GET", "/api/v1/teams/{id}", AUTH_ADMIN, 0, api_teams_get, "one team", NULL},
    {"PATCH", "/api/v1/teams/{id}", AUTH_ADMIN, 4096, api_teams_update, "rename a team", NULL},
    {"DELETE", "/api/v1/teams/{id}", AUTH_ADMIN, 0, api_teams_delete, "delete a team", NULL},
    {"PUT", "/api/v1/teams/{id}/members/{user_id}", AUTH_ADMIN, 0, api_teams_member_add,
     "add a member", NULL},
    {"DELETE", "/api/v1/teams/{id}/members/{user_id}", AUTH_ADMIN, 0, api_teams_member_remove,
     "remove a member", NULL},

    {"GET", "/api/v1/tokens", AUTH_USER, 0, api_tokens_list, "list your API tokens", NULL},
    {"POST", "/api/v1/tokens", AUTH_USER, 4096, api_tokens_create, "create an API token", NULL},
    {"DELETE", "/api/v1/tokens/{id}", AUTH_USER, 0, api_tokens_delete, "revoke an API token", NULL},

    {"GET", "/api/v1/people", AUTH_USER, 0, api_people_list, "list and search people", NULL},
    {"GET", "/api/v1/people/{id}", AUTH_USER, 0, api_people_get, "one person", NULL},
    {"GET", "/api/v1/people/{id}/activities", AUTH_USER, 0, api_person_activities,
     "a person's activities, newest first", NULL},
    {"GET", "/api/v1/accounts", AUTH_USER, 0, api_accounts_list,
     "Salesforce accounts of the people", NULL},
    {"GET", "/api/v1/accounts/{id}", AUTH_USER, 0, api_accounts_get, "one Salesforce account",
     NULL},
    {"GET", "/api/v1/accounts/{id}/people", AUTH_USER, 0, api_account_people,
     "people of a Salesforce account", NULL},
    {"GET", "/api/v1/opportunities/{id}", AUTH_USER, 0, api_opportunities_get,
     "one Salesforce opportunity", NULL},
    {"GET", "/api/v1/opportunities/{id}/people", AUTH_USER, 0, api_opportunity_people,
     "people of a Salesforce opportunity", NULL},

    {"GET", "/api/v1/app", AUTH_USER, 0, api_app, "settings the web app needs", NULL},

    {"GET", "/api/v1/sync/marketo", AUTH_USER, 0, api_sync_marketo_get, "Marketo sync state", NULL},
    {"GET", "/api/v1/sync/marketo/events", AUTH_USER, 0, api_sync_marketo_events,
     "Marketo sync state as Server-Sent Events", NULL},
    {"POST", "/api/v1/sync/marketo", AUTH_ADMIN, 0, api_sync_marketo_post, "run a Marketo sync now",
     NULL},

    /* Templates and personalization (api/templates.c). A body holds a
     * body_html of 1,048,576 characters even written as \uXXXX escapes. */
    {"GET", "/api/v1/templates", AUTH_USER, 0, api_templates_list, "list email templates", NULL},
    {"POST", "/api/v1/templates", AUTH_USER, 13 << 20, api_templates_create,
     "create an email template", NULL},
    {"GET", "/api/v1/templates/{id}", AUTH_USER, 0, api_templates_get, "one email template", NULL},
    {"PATCH", "/api/v1/templates/{id}", AUTH_USER, 13 << 20, api_templates_update,
     "change or archive an email template", NULL},
    {"DELETE", "/api/v1/templates/{id}", AUTH_USER, 0, api_templates_delete,
     "delete an email template never used", NULL},
    {"PUT", "/api/v1/templates/{id}/favorite", AUTH_USER, 0, api_templates_favorite_put,
     "make a template one of your favorites", NULL},
    {"DELETE", "/api/v1/templates/{id}/favorite", AUTH_USER, 0, api_templates_favorite_delete,
     "remove a template from your favorites", NULL},
    {"POST", "/api/v1/templates/{id}/preview", AUTH_USER, 4096, api_templates_preview,
     "a template filled for one person", NULL},
    {"POST", "/api/v1/emails/preview", AUTH_USER, 13 << 20, api_emails_preview,
     "an email filled for one person", NULL},
    /* Delivery: channels, senders, blocked domains (api/channels.c,
     * api/senders.c, api/blocked_domains.c). Bodies: a channel's strings
     * are ~3,600 characters, a sender's ~4,500 (signature 4,000). */
    {"GET", "/api/v1/channels", AUTH_USER, 0, api_channels_list, "delivery channels", NULL},
    {"POST", "/api/v1/channels", AUTH_ADMIN, 49152, api_channels_create,
     "create a delivery channel", NULL},
    {"GET", "/api/v1/channels/{id}", AUTH_USER, 0, api_channels_get, "one delivery channel", NULL},
    {"PATCH", "/api/v1/channels/{id}", AUTH_ADMIN, 49152, api_channels_update,
     "change a delivery channel", NULL},
    {"DELETE", "/api/v1/channels/{id}", AUTH_ADMIN, 0, api_channels_delete,
     "delete a delivery channel", NULL},
    {"POST", "/api/v1/channels/{id}/test", AUTH_ADMIN, 8192, api_channels_test,
     "send a test message through a channel", NULL},
    {"GET", "/api/v1/senders", AUTH_USER, 0, api_senders_list, "sender identities", NULL},
    {"POST", "/api/v1/senders", AUTH_USER, 65536, api_senders_create, "add a sender identity",
     NULL},
    {"GET", "/api/v1/senders/{id}", AUTH_USER, 0, api_senders_get, "one sender identity", NULL},
    {"PATCH", "/api/v1/senders/{id}", AUTH_USER, 65536, api_senders_update,
     "change a sender identity", NULL},
    {"DELETE", "/api/v1/senders/{id}", AUTH_USER, 0, api_senders_delete, "delete a sender identity",
     NULL},
    {"GET", "/api/v1/blocked-domains", AUTH_USER, 0, api_blocked_domains_list, "blocked domains",
     NULL},
    {"POST", "/api/v1/blocked-domains", AUTH_ADMIN, 4096, api_blocked_domains_create,
     "block a domain", NULL},
    {"DELETE", "/api/v1/blocked-domains/{domain}", AUTH_ADMIN, 0, api_blocked_domains_delete,
     "unblock a domain", NULL},
    /* end of delivery */
    /* Tracking and unsubscribes (docs/mail.md): the recipients' links carry a
     * token the handler checks; the form posts "List-Unsubscribe=One-Click"
     * (RFC 8058) or the page's own field. */
    {"GET", "/t/o/{token}", AUTH_RECIPIENT, 0, api_track_open, "email open pixel", NULL},
    {"GET", "/t/c/{token}", AUTH_RECIPIENT, 0, api_track_click, "email link click redirect", NULL},
    {"GET", "/u/{token}", AUTH_RECIPIENT, 0, api_unsub_page, "unsubscribe confirmation page", NULL},
    {"POST", "/u/{token}", AUTH_RECIPIENT, 4096, api_unsub_post,
     "unsubscribe (the page's form, or RFC 8058 one-click)", NULL},
    {"GET", "/api/v1/people/{id}/unsubscribes", AUTH_USER, 0, api_person_unsubscribes,
     "a person's unsubscribe state and history", NULL},
    {"POST", "/api/v1/people/{id}/unsubscribe", AUTH_USER, 0, api_person_unsubscribe,
     "unsubscribe a person", NULL},
    {"POST", "/api/v1/people/{id}/resubscribe", AUTH_ADMIN, 0, api_person_resubscribe,
     "resubscribe a person", NULL},
    /* end of tracking and unsubscribes */
    /* emails (api/emails.c): a new email's body holds up to 23 MB of
     * attachments in base64 and 1 MB characters of HTML (\uXXXX-escaped at
     * worst); a change's the HTML. */
    {"GET", "/api/v1/emails", AUTH_USER, 0, api_emails_list, "emails, newest first", NULL},
    {"POST", "/api/v1/emails", AUTH_USER, 48u << 20, api_emails_create, "compose an email", NULL},
    {"POST", "/api/v1/emails/bulk", AUTH_USER, 32768, api_emails_bulk,
     "one template to up to 1,000 people", NULL},
    {"GET", "/api/v1/emails/{id}", AUTH_USER, 0, api_emails_get, "one email", NULL},
    {"PATCH", "/api/v1/emails/{id}", AUTH_USER, 16u << 20, api_emails_update,
     "change a draft or scheduled email, or send a draft", NULL},
    {"DELETE", "/api/v1/emails/{id}", AUTH_USER, 0, api_emails_delete,
     "cancel a draft or scheduled email", NULL},
    {"POST", "/api/v1/emails/{id}/retry", AUTH_USER, 0, api_emails_retry,
     "send a failed email again", NULL},
    {"GET", "/api/v1/mail/settings", AUTH_ADMIN, 0, api_mail_settings_get, "mail settings", NULL},
    {"PUT", "/api/v1/mail/settings", AUTH_ADMIN, 4096, api_mail_settings_put,
     "change mail settings", NULL},
    /* inbound (what comes back): the handler checks the inbound token or an
     * admin itself (AUTH_ANON here so the MTA's token is not taken for a user's). */
    {"POST", "/api/v1/inbound", AUTH_ANON, 30 * 1024 * 1024, api_inbound_post,
     "take a raw message that came back (reply, bounce, ...)", NULL},
    /* end inbound */

    /* issue 9, A: holidays and time zones (api/holidays.c) */
    {"GET", "/api/v1/holidays", AUTH_USER, 0, api_holidays_list, "the holiday calendar", NULL},
    {"PUT", "/api/v1/holidays/{day}", AUTH_ADMIN, 4096, api_holidays_put,
     "make a day a holiday, or rename it", NULL},
    {"DELETE", "/api/v1/holidays/{day}", AUTH_ADMIN, 0, api_holidays_delete,
     "a day is no longer a holiday", NULL},
    {"GET", "/api/v1/time-zones", AUTH_USER, 0, api_time_zones, "the IANA time zones", NULL},
    /* end holidays and time zones */

    /* issue 9, B: campaigns and their members (api/campaigns.c). A campaign's
     * body holds 100 steps of 2,000 + 200 characters, \uXXXX-escaped at worst. */
    {"GET", "/api/v1/campaigns", AUTH_USER, 0, api_campaigns_list, "campaigns", NULL},
    {"POST", "/api/v1/campaigns", AUTH_USER, 4u << 20, api_campaigns_create, "create a campaign",
     NULL},
    {"GET", "/api/v1/campaigns/{id}", AUTH_USER, 0, api_campaigns_get, "one campaign", NULL},
    {"PATCH", "/api/v1/campaigns/{id}", AUTH_USER, 4u << 20, api_campaigns_update,
     "change a campaign (its steps: the whole list)", NULL},
    {"DELETE", "/api/v1/campaigns/{id}", AUTH_USER, 0, api_campaigns_delete,
     "delete a campaign that never had people", NULL},
    {"POST", "/api/v1/campaigns/{id}/pause", AUTH_USER, 0, api_campaigns_pause, "pause a campaign",
     NULL},
    {"POST", "/api/v1/campaigns/{id}/resume", AUTH_USER, 0, api_campaigns_resume,
     "resume a paused campaign", NULL},
    {"POST", "/api/v1/campaigns/{id}/stop", AUTH_USER, 0, api_campaigns_stop,
     "stop a campaign for good", NULL},
    {"GET", "/api/v1/campaigns/{id}/report", AUTH_USER, 0, api_campaigns_report,
     "a campaign's people and per-step numbers", NULL},
    {"GET", "/api/v1/campaigns/{id}/members", AUTH_USER, 0, api_campaigns_members_list,
     "the people in a campaign", NULL},
    {"POST", "/api/v1/campaigns/{id}/members", AUTH_USER, 65536, api_campaigns_members_add,
     "add people to a campaign", NULL},
    {"POST", "/api/v1/campaigns/{id}/members/remove", AUTH_USER, 32768,
     api_campaigns_members_remove, "remove people from a campaign", NULL},
    {"DELETE", "/api/v1/campaigns/{id}/members/{member_id}", AUTH_USER, 0,
     api_campaigns_member_delete, "remove one person from a campaign", NULL},
    {"POST", "/api/v1/campaigns/{id}/members/{member_id}/pause", AUTH_USER, 0,
     api_campaigns_member_pause, "pause one person in a campaign", NULL},
    {"POST", "/api/v1/campaigns/{id}/members/{member_id}/resume", AUTH_USER, 0,
     api_campaigns_member_resume, "resume one person in a campaign", NULL},
    {"GET", "/api/v1/people/{id}/campaigns", AUTH_USER, 0, api_person_campaigns,
     "a person's campaigns", NULL},
    {"POST", "/api/v1/me/campaigns/pause", AUTH_USER, 0, api_me_campaigns_pause,
     "pause all your campaigns (leave)", NULL},
    {"POST", "/api/v1/me/campaigns/resume", AUTH_USER, 0, api_me_campaigns_resume,
     "resume your campaigns after leave", NULL},
    /* end campaigns and their members */

    /* issue 9, D: tasks (api/tasks.c): a body holds a name and details
     * (4,000 characters), a completion an email's HTML (1 MB characters) even
     * \uXXXX-escaped; counts and bulk come before {id}. */
    {"GET", "/api/v1/tasks", AUTH_USER, 0, api_tasks_list, "tasks in a queue", NULL},
    {"POST", "/api/v1/tasks", AUTH_USER, 65536, api_tasks_create, "create a task", NULL},
    {"GET", "/api/v1/tasks/counts", AUTH_USER, 0, api_tasks_counts, "open tasks per queue", NULL},
    {"POST", "/api/v1/tasks/bulk", AUTH_USER, 32768, api_tasks_bulk,
     "reschedule, skip or complete up to 1,000 tasks", NULL},
    {"GET", "/api/v1/tasks/{id}", AUTH_USER, 0, api_tasks_get, "one task", NULL},
    {"PATCH", "/api/v1/tasks/{id}", AUTH_USER, 65536, api_tasks_update, "change an open task",
     NULL},
    {"DELETE", "/api/v1/tasks/{id}", AUTH_USER, 0, api_tasks_delete, "delete a task made by hand",
     NULL},
    {"GET", "/api/v1/tasks/{id}/email", AUTH_USER, 0, api_tasks_email,
     "an email task's email, filled for its person", NULL},
    {"POST", "/api/v1/tasks/{id}/complete", AUTH_USER, 13 << 20, api_tasks_complete,
     "complete a task (an email task sends, a call task logs its call)", NULL},
    {"POST", "/api/v1/tasks/{id}/skip", AUTH_USER, 0, api_tasks_skip, "skip a task", NULL},
    /* end tasks */

    /* issue 9, E: calls and the dialer (api/calls.c). The literal paths
     * (settings, start) come before /api/v1/calls/{id}. A voicemail drop's
     * recording is at most 10 MB; the dialer's webhook checks its own
     * signature (AUTH_ANON). */
    {"GET", "/api/v1/calls/settings", AUTH_USER, 0, api_calls_settings_get, "call settings", NULL},
    {"PUT", "/api/v1/calls/settings", AUTH_ADMIN, 16384, api_calls_settings_put,
     "change call settings (require an outcome, the dialer secret)", NULL},
    {"POST", "/api/v1/calls/start", AUTH_USER, 4096, api_calls_start,
     "start a call through the dialer (local-presence caller id)", NULL},
    {"GET", "/api/v1/calls", AUTH_USER, 0, api_calls_list, "the call log, newest first", NULL},
    {"POST", "/api/v1/calls", AUTH_USER, 65536, api_calls_create, "log a call", NULL},
    {"GET", "/api/v1/calls/{id}", AUTH_USER, 0, api_calls_get, "one call", NULL},
    {"PATCH", "/api/v1/calls/{id}", AUTH_USER, 65536, api_calls_update,
     "change a call, or log a call started through the dialer", NULL},
    {"GET", "/api/v1/people/{id}/dial", AUTH_USER, 0, api_person_dial,
     "the number to dial a person with, local-presence caller id and tel: URI", NULL},
    {"GET", "/api/v1/call-outcomes", AUTH_USER, 0, api_call_outcomes_list, "call outcomes", NULL},
    {"POST", "/api/v1/call-outcomes", AUTH_ADMIN, 4096, api_call_outcomes_create,
     "add a call outcome", NULL},
    {"PATCH", "/api/v1/call-outcomes/{id}", AUTH_ADMIN, 4096, api_call_outcomes_update,
     "change a call outcome", NULL},
    {"DELETE", "/api/v1/call-outcomes/{id}", AUTH_ADMIN, 0, api_call_outcomes_delete,
     "archive a call outcome", NULL},
    {"GET", "/api/v1/call-reasons", AUTH_USER, 0, api_call_reasons_list, "call reasons", NULL},
    {"POST", "/api/v1/call-reasons", AUTH_ADMIN, 4096, api_call_reasons_create, "add a call reason",
     NULL},
    {"PATCH", "/api/v1/call-reasons/{id}", AUTH_ADMIN, 4096, api_call_reasons_update,
     "change a call reason", NULL},
    {"DELETE", "/api/v1/call-reasons/{id}", AUTH_ADMIN, 0, api_call_reasons_delete,
     "archive a call reason", NULL},
    {"GET", "/api/v1/caller-ids", AUTH_USER, 0, api_caller_ids_list, "the caller-id pool", NULL},
    {"POST", "/api/v1/caller-ids", AUTH_ADMIN, 4096, api_caller_ids_create,
     "add a number to the caller-id pool", NULL},
    {"PATCH", "/api/v1/caller-ids/{id}", AUTH_ADMIN, 4096, api_caller_ids_update,
     "change a caller id", NULL},
    {"DELETE", "/api/v1/caller-ids/{id}", AUTH_ADMIN, 0, api_caller_ids_delete,
     "remove a caller id", NULL},
    {"GET", "/api/v1/voicemail-drops", AUTH_USER, 0, api_voicemail_drops_list, "voicemail drops",
     NULL},
    {"POST", "/api/v1/voicemail-drops", AUTH_USER, 10u << 20, api_voicemail_drops_create,
     "upload a voicemail drop (WAV or MP3)", NULL},
    {"GET", "/api/v1/voicemail-drops/{id}/audio", AUTH_USER, 0, api_voicemail_drops_audio,
     "a voicemail drop's recording", NULL},
    {"DELETE", "/api/v1/voicemail-drops/{id}", AUTH_USER, 0, api_voicemail_drops_delete,
     "delete a voicemail drop", NULL},
    {"POST", "/api/v1/dialer/events", AUTH_ANON, 32768, api_dialer_events,
     "the dialer's signed call events (ringing, answered, ended)", NULL},
    /* end calls and the dialer */

    /* issue 10, F: the live feed (api/feed.c) */
    {"GET", "/api/v1/feed", AUTH_USER, 0, api_feed_list, "the live feed as a page, newest first",
     NULL},
    {"GET", "/api/v1/feed/stream", AUTH_USER, 0, api_feed_stream,
     "the live feed as Server-Sent Events", NULL},
    /* end the live feed */

    /* issue 10, I: insight panels (api/insight.c) */
    {"GET", "/api/v1/people/{id}/insight", AUTH_USER, 0, api_person_insight,
     "a person's insight panel", NULL},
    {"GET", "/api/v1/accounts/{id}/insight", AUTH_USER, 0, api_account_insight,
     "a Salesforce account's insight panel", NULL},
    {"GET", "/api/v1/opportunities/{id}/insight", AUTH_USER, 0, api_opportunity_insight,
     "a Salesforce opportunity's insight panel", NULL},
    {"GET", "/api/v1/accounts/{id}/activities", AUTH_USER, 0, api_account_activities,
     "the activities of an account's people, newest first", NULL},
    {"GET", "/api/v1/opportunities/{id}/activities", AUTH_USER, 0, api_opportunity_activities,
     "the activities of an opportunity's people, newest first", NULL},
    /* end insight panels */

    /* issue 10, P: Marketo's activities and the embeddable panel (api/panel.c) */
    {"GET", "/api/v1/people/{id}/marketo-activities", AUTH_USER, 0, api_person_marketo_activities,
     "a person's recent Marketo activities", NULL},
    {"GET", "/api/v1/panel/sfdc/{id}", AUTH_USER, 0, api_panel_sfdc,
     "the hail record a Salesforce id names (for the embeddable panel)", NULL},
    {"GET", "/api/v1/settings/panel", AUTH_ADMIN, 0, api_panel_settings_get,
     "the embeddable panel's settings", NULL},
    {"PUT", "/api/v1/settings/panel", AUTH_ADMIN, 65536, api_panel_settings_put,
     "change the origins that may frame the panel", NULL},
    /* end Marketo's activities and the embeddable panel */

    /* issue 10, B: Best Bets (api/bestbets.c) */
    {"GET", "/api/v1/best-bets", AUTH_USER, 0, api_best_bets,
     "the caller's people ranked by engagement", NULL},
    /* end Best Bets */

    /* issue 10, R: reports (api/reports.c) */
    {"GET", "/api/v1/reports/{kind}", AUTH_USER, 0, api_reports_get,
     "a report per template, campaign, user or team over a date range (JSON or CSV)", NULL},
    /* end reports */

    /* issue 11: Admin -> Integrations (api/integrations.c) */
    {"GET", "/api/v1/integrations", AUTH_ADMIN, 0, api_integrations_list,
     "the outboxes to Marketo and Salesforce: status, backlog, last errors", NULL},
    {"GET", "/api/v1/integrations/settings", AUTH_ADMIN, 0, api_integrations_settings_get,
     "the outboxes' settings", NULL},
    {"PUT", "/api/v1/integrations/settings", AUTH_ADMIN, 32768, api_integrations_settings_put,
     "change the outboxes' settings", NULL},
    {"GET", "/api/v1/integrations/{name}/skips", AUTH_ADMIN, 0, api_integrations_skips,
     "an outbox's skipped records, newest first", NULL},
    {"POST", "/api/v1/integrations/{name}/retry", AUTH_ADMIN, 0, api_integrations_retry,
     "send an outbox's skipped records again and stop its wait", NULL},
    /* end Admin -> Integrations */
    /* issue 11, F: saved filters (api/filters.c) */
    {"GET", "/api/v1/filters", AUTH_USER, 0, api_filters_list,
     "the saved filters the caller may read", NULL},
    {"POST", "/api/v1/filters", AUTH_USER, 65536, api_filters_create, "save a filter", NULL},
    {"POST", "/api/v1/filters/preview", AUTH_USER, 65536, api_filters_preview,
     "the first page of a definition's people, and how many", NULL},
    {"GET", "/api/v1/filters/{id}", AUTH_USER, 0, api_filters_get, "a saved filter", NULL},
    {"PUT", "/api/v1/filters/{id}", AUTH_USER, 65536, api_filters_update, "change a saved filter",
     NULL},
    {"DELETE", "/api/v1/filters/{id}", AUTH_USER, 0, api_filters_delete, "delete a saved filter",
     NULL},
    {"GET", "/api/v1/filters/{id}/people", AUTH_USER, 0, api_filters_people,
     "a page of the people a saved filter matches", NULL},
    /* end saved filters */

    {NULL, NULL, AUTH_ANON, 0, NULL, NULL, NULL},
};

const api_member *api_route_body(const route *r)
{
    static const struct {
        void (*fn)(http_req *);
        const api_member *body;
    } bodies[] = {
        {api_session_create, api_session_create_body},
        {api_users_create, api_users_create_body},
        {api_users_update, api_users_update_body},
        {api_teams_create, api_teams_body},
        {api_teams_update, api_teams_body},
        {api_tokens_create, api_tokens_create_body},
        {api_me_update, api_me_update_body},
        /* templates */
        {api_templates_create, api_templates_create_body},
        {api_templates_update, api_templates_update_body},
        {api_templates_preview, api_templates_preview_body},
        {api_emails_preview, api_emails_preview_body},
        /* delivery */
        {api_channels_create, api_channels_create_body},
        {api_channels_update, api_channels_update_body},
        {api_channels_test, api_channels_test_body},
        {api_senders_create, api_senders_create_body},
        {api_senders_update, api_senders_update_body},
        {api_blocked_domains_create, api_blocked_domains_create_body},
        /* emails (api/emails.c) */
        {api_emails_create, api_emails_create_body},
        {api_emails_bulk, api_emails_bulk_body},
        {api_emails_update, api_emails_update_body},
        {api_mail_settings_put, api_mail_settings_body},
        /* issue 9, A: holidays and time zones (api/holidays.c) */
        {api_holidays_put, api_holidays_put_body},
        /* end holidays and time zones */
        /* issue 9, B: campaigns and their members (api/campaigns.c) */
        {api_campaigns_create, api_campaigns_create_body},
        {api_campaigns_update, api_campaigns_update_body},
        {api_campaigns_members_add, api_campaigns_members_add_body},
        {api_campaigns_members_remove, api_campaigns_members_remove_body},
        /* end campaigns and their members */
        /* issue 9, D: tasks (api/tasks.c) */
        {api_tasks_create, api_tasks_create_body},
        {api_tasks_update, api_tasks_update_body},
        {api_tasks_complete, api_tasks_complete_body},
        {api_tasks_bulk, api_tasks_bulk_body},
        /* end tasks */
        /* issue 9, E: calls and the dialer (api/calls.c) */
        {api_calls_create, api_calls_input_body},
        {api_calls_update, api_calls_update_body},
        {api_calls_start, api_calls_start_body},
        {api_call_outcomes_create, api_call_outcomes_create_body},
        {api_call_outcomes_update, api_call_outcomes_update_body},
        {api_call_reasons_create, api_call_reasons_create_body},
        {api_call_reasons_update, api_call_reasons_update_body},
        {api_caller_ids_create, api_caller_ids_create_body},
        {api_caller_ids_update, api_caller_ids_update_body},
        {api_calls_settings_put, api_calls_settings_body},
        {api_dialer_events, api_dialer_events_body},
        /* end calls and the dialer */
        /* issue 10, F: the live feed (api/feed.c) */
        /* end the live feed */
        /* issue 10, I: insight panels (api/insight.c) */
        /* end insight panels */
        /* issue 10, P: Marketo's activities and the embeddable panel (api/panel.c) */
        {api_panel_settings_put, api_panel_settings_body},
        /* end Marketo's activities and the embeddable panel */
        /* issue 10, B: Best Bets (api/bestbets.c) */
        /* end Best Bets */
        /* issue 10, R: reports (api/reports.c) */
        /* end reports */
        /* issue 11: Admin -> Integrations (api/integrations.c) */
        {api_integrations_settings_put, api_integrations_settings_body},
        /* end Admin -> Integrations */
        /* issue 11, F: saved filters (api/filters.c) */
        {api_filters_create, api_filters_create_body},
        {api_filters_update, api_filters_update_body},
        {api_filters_preview, api_filters_preview_body},
        /* end saved filters */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++)
        if (bodies[i].fn == r->fn)
            return bodies[i].body;
    return NULL;
}

const route *api_routes(void)
{
    return routes;
}
