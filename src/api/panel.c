#include "core/common.h"

/* Marketo's activities in the panel and the embeddable panel (issue 10;
 * docs/insight.md "Marketo activities and the embeddable panel"). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "store/panel.h"
#include "store/visibility.h"
#include "sync/mkto_activities.h"

#define ORIGIN_EXAMPLE                                                                             \
    "an origin such as https://example.my.salesforce.com (https://, a host name or *.domain, "     \
    "an optional port, no path; http:// only for localhost and 127.0.0.1)"

/* GET /api/v1/people/{id}/marketo-activities */
void api_person_marketo_activities(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    email_viewer v = {r->user_id, r->user_role};
    if (!vis_person(d, &v, id)) {
        http_reply_error(r, 404, "not_found", "no person with id %lld", (long long)id);
        return;
    }
    int64_t lead = 0;
    hail_err e = panel_person_lead(d, id, &lead);
    if (e == HAIL_ENOTFOUND) {
        http_reply_error(r, 404, "not_found", "no person with id %lld", (long long)id);
        return;
    }
    if (e) {
        http_reply_err(r, e);
        return;
    }
    json_t *j = mka_for_lead(lead);
    api_reply(r, j ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory"), 200, j);
}

/* GET /api/v1/panel/sfdc/{id} */
void api_panel_sfdc(http_req *r)
{
    const char *sfdc = r->param[0];
    db *d = api_db(r);
    if (!d)
        return;
    email_viewer v = {r->user_id, r->user_role};
    json_t *j = NULL;
    hail_err e = panel_resolve(d, &v, sfdc, &j);
    char id15[16], id18[19];
    if (e == HAIL_ENOTFOUND && !panel_sfdc_forms(sfdc, id15, id18))
        http_reply_error(r, 404, "not_found",
                         "no lead, contact, account or opportunity with that id (a Salesforce "
                         "id is 15 or 18 letters and digits)");
    else if (e == HAIL_ENOTFOUND)
        http_reply_error(r, 404, "not_found",
                         "no lead, contact, account or opportunity you can see has Salesforce "
                         "id %s",
                         sfdc);
    else
        api_reply(r, e, 200, j);
}

/* docs/openapi.json's PanelSettings. */
const api_member api_panel_settings_body[] = {
    {"frame_ancestors", API_ARRAY, true, false, 0, PANEL_ORIGINS_MAX, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

static void reply_settings(http_req *r, db *d)
{
    json_t *a = NULL;
    hail_err e = panel_origins_get(d, &a);
    api_reply(r, e, 200, e ? NULL : json_pack("{so}", "frame_ancestors", a));
}

/* GET /api/v1/settings/panel */
void api_panel_settings_get(http_req *r)
{
    db *d = api_db(r);
    if (d)
        reply_settings(r, d);
}

/* PUT /api/v1/settings/panel */
void api_panel_settings_put(http_req *r)
{
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[1];
    if (!api_body_check(r, body, api_panel_settings_body, val)) {
        json_decref(body);
        return;
    }
    json_t *list = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(val[0], i, o)
    {
        char norm[PANEL_ORIGIN_LEN];
        if (!json_is_string(o)) {
            http_reply_error(r, 400, "bad_request", "frame_ancestors[%zu] must be a string, %s", i,
                             ORIGIN_EXAMPLE);
            goto out;
        }
        if (!panel_origin_ok(json_string_value(o), norm)) {
            const char *s = json_string_value(o);
            size_t n = 0, chars = 0;
            while (s[n] && chars < 100) {
                n++;
                while (((unsigned char)s[n] & 0xC0) == 0x80)
                    n++;
                chars++;
            }
            http_reply_error(r, 400, "bad_request", "frame_ancestors[%zu] must be %s, not '%.*s%s'",
                             i, ORIGIN_EXAMPLE, (int)n, s, s[n] ? "\xe2\x80\xa6" : "");
            goto out;
        }
        int dup = 0;
        size_t k;
        json_t *seen;
        json_array_foreach(list, k, seen) dup |= !strcmp(json_string_value(seen), norm);
        if (!dup)
            json_array_append_new(list, json_string(norm));
    }
    db *d = api_db(r);
    if (d) {
        hail_err e = panel_origins_set(d, list);
        if (e)
            http_reply_err(r, e);
        else
            reply_settings(r, d);
    }
out:
    json_decref(list);
    json_decref(body);
}
