#include "core/common.h"

/* Admin -> Integrations (issue 11; docs/outbox.md "Pages"): the outboxes'
 * status (Salesforce's with its reminder tasks' counts), their skipped
 * records, "retry now", and their settings. Admins only (the route table). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/timeutil.h"
#include "store/outbox_admin.h"
#include "svc/activity.h"
#include "svc/integrations.h"
#include "svc/settings.h"
#include "sync/sf_client.h"
#include "sync/sync.h"

/* The destinations, in the page's order. */
static const struct {
    const char *name, *label;
} dests[] = {
    {"marketo", "Marketo"},
    {"salesforce", "Salesforce"},
};

static int dest_index(const char *name)
{
    for (size_t i = 0; i < sizeof dests / sizeof dests[0]; i++)
        if (name && !strcmp(dests[i].name, name))
            return (int)i;
    return -1;
}

/* The {name} of the path, or -1 after a 404. */
static int dest_param(http_req *r)
{
    int i = dest_index(r->param[0]);
    if (i < 0)
        http_reply_error(r, 404, "not_found",
                         "no integration named '%.64s' (there are marketo and salesforce)",
                         r->param[0] ? r->param[0] : "");
    return i;
}

static int dest_configured(int i)
{
    return i == 0 ? marketo_configured() : salesforce_configured();
}

static json_t *iso_or_null(int64_t us)
{
    if (!us)
        return json_null();
    char t[TIME_ISO_LEN];
    time_format_iso(us, t);
    return json_string(t);
}

/* Salesforce's reminder tasks (NULL for Marketo: null). */
static json_t *reminder_json(const outbox_reminder_tasks *t)
{
    if (!t)
        return json_null();
    return json_pack("{sI sI sI}", "linked", (json_int_t)t->linked, "pending",
                     (json_int_t)t->pending, "deletes_pending", (json_int_t)t->deletes_pending);
}

static json_t *dest_json(int i, const outbox_status *s, const char *external_id,
                         const outbox_reminder_tasks *reminders)
{
    int64_t now = time_now_us();
    const char *state = !s->started                                  ? "not_started"
                        : s->waiting_until && s->waiting_until > now ? "waiting"
                        : s->last_error                              ? "error"
                                                                     : "healthy";
    json_t *o = json_pack(
        "{ss ss sb ss sI sI sI sI sb sI sI sI sI}", "name", dests[i].name, "label", dests[i].label,
        "configured", dest_configured(i), "state", state, "position", (json_int_t)s->pos.id, "sent",
        (json_int_t)s->sent, "skipped", (json_int_t)s->skipped, "calls", (json_int_t)s->calls,
        "backlog_capped", s->backlog_capped, "backlog",
        (json_int_t)(s->backlog_capped ? OUTBOX_BACKLOG_CAP : s->backlog), "in_flight",
        (json_int_t)s->in_flight, "skips",
        (json_int_t)(s->skips > OUTBOX_BACKLOG_CAP ? OUTBOX_BACKLOG_CAP : s->skips), "retry_queued",
        (json_int_t)(s->retry_queued > OUTBOX_BACKLOG_CAP ? OUTBOX_BACKLOG_CAP : s->retry_queued));
    if (!o)
        return NULL;
    json_object_set_new(o, "last_ok_at", iso_or_null(s->last_ok_at));
    json_object_set_new(o, "last_error", s->last_error ? json_string(s->last_error) : json_null());
    json_object_set_new(o, "last_error_at", iso_or_null(s->last_error_at));
    json_object_set_new(o, "waiting_until", iso_or_null(s->waiting_until));
    json_object_set_new(o, "external_id",
                        i == 1 && external_id ? json_string(external_id) : json_null());
    json_t *rt = reminder_json(i == 1 ? reminders : NULL);
    if (!rt || json_object_set_new(o, "reminder_tasks", rt)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* GET /api/v1/integrations */
void api_integrations_list(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    integrations_settings set;
    hail_err e = integrations_settings_load(d, &set);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    outbox_reminder_tasks reminders;
    if ((e = outbox_admin_reminder_tasks(d, &reminders))) {
        integrations_settings_free(&set);
        http_reply_err(r, e);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; !e && i < sizeof dests / sizeof dests[0]; i++) {
        outbox_status s;
        if ((e = outbox_admin_status(d, dests[i].name, &s)))
            break;
        json_t *o = dest_json((int)i, &s, set.sf_external_id, &reminders);
        outbox_status_free(&s);
        if (!o || json_array_append_new(a, o))
            e = hail_errf(HAIL_ENOMEM, "out of memory");
    }
    integrations_settings_free(&set);
    api_reply_list(r, e, a);
}

/* GET /api/v1/integrations/{name}/skips */
void api_integrations_skips(http_req *r)
{
    int i = dest_param(r);
    if (i < 0)
        return;
    int limit;
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, 50, 200, &limit, raw))
        return;
    int64_t at = 0, id = 0;
    if (raw[0]) {
        int used = 0;
        if (sscanf(raw, "s%" SCNd64 ".%" SCNd64 "%n", &at, &id, &used) != 2 ||
            (size_t)used != strlen(raw) || at <= 0 || id < 0) {
            http_reply_error(r, 400, "bad_request", "cursor is not valid");
            return;
        }
    }
    db *d = api_db(r);
    if (!d)
        return;
    json_t *rows = NULL;
    int more = 0;
    hail_err e = outbox_admin_skips(d, dests[i].name, at, id, limit, &rows, &more);
    char next[64] = "";
    size_t k;
    json_t *o;
    json_array_foreach(rows, k, o)
    {
        int64_t us = json_integer_value(json_object_get(o, "at"));
        if (more && k + 1 == json_array_size(rows))
            snprintf(next, sizeof next, "s%" PRId64 ".%" PRId64, us,
                     (int64_t)json_integer_value(json_object_get(o, "activity_id")));
        json_object_set_new(o, "at", iso_or_null(us));
        json_t *occ = json_object_get(o, "occurred_at");
        if (json_is_integer(occ))
            json_object_set_new(o, "occurred_at", iso_or_null(json_integer_value(occ)));
    }
    api_reply_page(r, e, rows ? rows : json_array(), next);
}

/* POST /api/v1/integrations/{name}/retry */
void api_integrations_retry(http_req *r)
{
    int i = dest_param(r);
    if (i < 0)
        return;
    db *d = api_db(r);
    if (!d)
        return;
    int64_t moved = 0;
    hail_err e = outbox_admin_retry(d, dests[i].name, &moved);
    api_reply(r, e, 200,
              e ? NULL
                : json_pack("{ss sI}", "name", dests[i].name, "requeued", (json_int_t)moved));
}

/* docs/openapi.json's IntegrationSettingsWrite. */
static const char *const machine_values[] = {"flagged", "skip", NULL};
const api_member api_integrations_settings_body[] = {
    {"marketo_machine", API_STRING, false, false, 0, 16, machine_values},
    {"salesforce_types", API_ARRAY, false, false, 0, 64, NULL},
    {"salesforce_subject", API_STRING, false, false, 0, INTEG_SF_SUBJECT_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

static void reply_settings(http_req *r, db *d)
{
    integrations_settings s;
    hail_err e = integrations_settings_load(d, &s);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    json_t *o = integrations_settings_json(&s);
    integrations_settings_free(&s);
    json_t *choices = json_array();
    for (size_t i = 0; activity_types[i]; i++)
        json_array_append_new(choices, json_pack("{ss ss}", "type", activity_types[i], "name",
                                                 activity_type_name(activity_types[i])));
    json_t *vars = json_array();
    for (size_t i = 0; integ_sf_subject_vars[i]; i++)
        json_array_append_new(vars, json_string(integ_sf_subject_vars[i]));
    if (o) {
        json_object_set_new(o, "activity_types", choices);
        json_object_set_new(o, "subject_variables", vars);
    } else {
        json_decref(choices);
        json_decref(vars);
    }
    api_reply(r, o ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory"), 200, o);
}

/* GET /api/v1/integrations/settings */
void api_integrations_settings_get(http_req *r)
{
    db *d = api_db(r);
    if (d)
        reply_settings(r, d);
}

/* PUT /api/v1/integrations/settings */
void api_integrations_settings_put(http_req *r)
{
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[3];
    if (!api_body_check(r, body, api_integrations_settings_body, val)) {
        json_decref(body);
        return;
    }
    db *d = api_db(r);
    if (d) {
        hail_err e = integrations_settings_put(d, val[0] ? json_string_value(val[0]) : NULL, val[1],
                                               val[2] ? json_string_value(val[2]) : NULL);
        if (e)
            http_reply_err(r, e);
        else
            reply_settings(r, d);
    }
    json_decref(body);
}
