#include "core/common.h"

/* hail's custom activity types in Marketo: sync/mkto_types.h. */
#include "sync/mkto_types.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "svc/activity.h"

#define PATH_TYPES "/rest/v1/activities/external/types.json"
#define PATH_TYPE  "/rest/v1/activities/external/type.json"

/* Every type carries these two, besides PRODUCT.md §8's attributes. */
#define HAIL_ATTRS                                                                                 \
    {"hailActivityId", "Hail Activity Id", "integer"},                                             \
    {                                                                                              \
        "machine", "Machine", "boolean"                                                            \
    }

/* Send, open and click carry the same attributes (click adds the link). */
#define EMAIL_ATTRS                                                                                \
    {"sentBy", "Sent By", "string"}, {"source", "Source", "string"},                               \
        {"templateId", "Template Id", "integer"}, {"templateName", "Template Name", "string"},     \
        {"templateUrl", "Template URL", "link"}, {"campaignName", "Campaign Name", "string"},      \
        {"campaignUrl", "Campaign URL", "link"}, {"salesPersonId", "Sales Person Id", "integer"},  \
        HAIL_ATTRS

static const mkto_attr email_attrs[] = {EMAIL_ATTRS, {NULL, NULL, NULL}};
static const mkto_attr click_attrs[] = {{"link", "Link", "link"}, EMAIL_ATTRS, {NULL, NULL, NULL}};
static const mkto_attr reply_attrs[] = {{"source", "Source", "string"},
                                        {"salesPersonId", "Sales Person Id", "integer"},
                                        {"emailSubject", "Email Subject", "string"},
                                        HAIL_ATTRS,
                                        {NULL, NULL, NULL}};
static const mkto_attr bounce_attrs[] = {{"details", "Details", "string"},
                                         {"sentBy", "Sent By", "string"},
                                         {"salesPersonId", "Sales Person Id", "integer"},
                                         {"templateId", "Template Id", "integer"},
                                         {"emailSubject", "Email Subject", "string"},
                                         HAIL_ATTRS,
                                         {NULL, NULL, NULL}};
static const mkto_attr call_attrs[] = {{"madeBy", "Made By", "string"},
                                       {"status", "Status", "string"},
                                       {"campaignName", "Campaign Name", "string"},
                                       {"campaignUrl", "Campaign URL", "link"},
                                       {"numberCalled", "Number Called", "string"},
                                       {"source", "Source", "string"},
                                       {"duration", "Duration", "integer"},
                                       {"recordingUrl", "Recording URL", "link"},
                                       {"answeredBy", "Answered By", "string"},
                                       {"salesPersonId", "Sales Person Id", "integer"},
                                       HAIL_ATTRS,
                                       {NULL, NULL, NULL}};
static const mkto_attr campaign_attrs[] = {{"campaignUrl", "Campaign URL", "link"},
                                           {"campaignId", "Campaign Id", "integer"},
                                           {"sentBy", "Sent By", "string"},
                                           {"source", "Source", "string"},
                                           HAIL_ATTRS,
                                           {NULL, NULL, NULL}};

const mkto_ctype mkto_ctypes[] = {
    {ACT_EMAIL_SEND,
     "hailSendSalesEmail",
     "Send Sales Email",
     "Is Sent Sales Email",
     "Was Sent Sales Email",
     {"emailSubject", "Email Subject", "string"},
     email_attrs},
    {ACT_EMAIL_OPEN,
     "hailOpenSalesEmail",
     "Open Sales Email",
     "Opens Sales Email",
     "Opened Sales Email",
     {"emailSubject", "Email Subject", "string"},
     email_attrs},
    {ACT_EMAIL_CLICK,
     "hailClickSalesEmail",
     "Click Sales Email",
     "Clicks Sales Email",
     "Clicked Sales Email",
     {"emailSubject", "Email Subject", "string"},
     click_attrs},
    {ACT_EMAIL_REPLY,
     "hailReplySalesEmail",
     "Reply to Sales Email",
     "Replies to Sales Email",
     "Replied to Sales Email",
     {"receivedBy", "Received By", "string"},
     reply_attrs},
    {ACT_EMAIL_BOUNCE,
     "hailSalesEmailBounced",
     "Sales Email Bounced",
     "Sales Email Bounces",
     "Sales Email Bounced",
     {"email", "Email", "string"},
     bounce_attrs},
    {ACT_CALL,
     "hailReceiveSalesCall",
     "Receive Sales Call",
     "Receives Sales Call",
     "Received Sales Call",
     {"subject", "Subject", "string"},
     call_attrs},
    {ACT_CAMPAIGN_ADD,
     "hailAddToSalesCampaign",
     "Add to Sales Campaign",
     "Is Added to Sales Campaign",
     "Was Added to Sales Campaign",
     {"campaignName", "Campaign Name", "string"},
     campaign_attrs},
    {ACT_CAMPAIGN_REMOVE,
     "hailRemoveFromSalesCampaign",
     "Remove from Sales Campaign",
     "Is Removed from Sales Campaign",
     "Was Removed from Sales Campaign",
     {"campaignName", "Campaign Name", "string"},
     campaign_attrs},
    {NULL, NULL, NULL, NULL, NULL, {NULL, NULL, NULL}, NULL},
};

size_t mkto_ctype_count(void)
{
    size_t n = 0;
    while (mkto_ctypes[n].activity)
        n++;
    return n;
}

const mkto_ctype *mkto_ctype_for(const char *type)
{
    for (const mkto_ctype *t = mkto_ctypes; type && t->activity; t++)
        if (!strcmp(t->activity, type))
            return t;
    return NULL;
}

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static json_t *attr_json(const mkto_attr *a)
{
    return json_pack("{s:s, s:s, s:s}", "apiName", a->api_name, "name", a->name, "dataType",
                     a->data_type);
}

/* POST path with body (stolen; NULL: none, as approve.json takes none); the envelope's first result
 * (borrowed from *root, which the caller frees) in *rec, or NULL. */
static hail_err post(mkto_client *m, const char *path, json_t *body, json_t **root, json_t **rec)
{
    *root = NULL;
    *rec = NULL;
    char *text = NULL;
    if (body && !(text = json_dumps(body, JSON_COMPACT))) {
        json_decref(body);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    json_decref(body);
    mkto_envelope env;
    hail_err e = mkto_call(m, "POST", path, NULL, text, root, &env);
    free(text);
    if (!e)
        *rec = json_array_get(env.result, 0);
    return e;
}

static hail_err type_path(buf *b, const mkto_ctype *t, const char *action)
{
    buf_reset(b);
    if (buf_puts(b, "/rest/v1/activities/external/type/") || mkto_escape(b, t->api_name) ||
        buf_puts(b, "/") || buf_puts(b, action))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    return HAIL_OK;
}

static int has_attr(json_t *type, const char *api_name)
{
    if (!strcmp(str(json_object_get(type, "primaryAttribute"), "apiName"), api_name))
        return 1;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(type, "attributes"), i, a)
    {
        if (!strcmp(str(a, "apiName"), api_name))
            return 1;
    }
    return 0;
}

/* Makes one type whole; `have` is Marketo's description of it (NULL: none). */
static hail_err ensure_one(mkto_client *m, const mkto_ctype *t, json_t *have, mkto_type_state *st)
{
    buf path;
    buf_init(&path, 4096);
    json_t *root = NULL, *rec = NULL;
    hail_err e = HAIL_OK;
    json_t *keep = json_incref(have); /* the type as we know it now */
    const char *status = json_string_value(json_object_get(have, "status"));
    int needs_approval = !have || !status || strcmp(status, "approved") != 0;
    if (!have) {
        json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:o}", "apiName", t->api_name, "name",
                                 t->name, "triggerName", t->trigger, "filterName", t->filter,
                                 "primaryAttribute", attr_json(&t->primary));
        if ((e = post(m, PATH_TYPE, body, &root, &rec)))
            goto out;
        json_decref(keep);
        keep = json_incref(rec);
        st->created = 1;
        json_decref(root);
        root = NULL;
    } else {
        const char *p = json_string_value(
            json_object_get(json_object_get(have, "primaryAttribute"), "apiName"));
        if (!p || strcmp(p, t->primary.api_name))
            snprintf(st->warning, sizeof st->warning,
                     "its primary attribute is '%.64s', not '%s' (Marketo cannot change it)",
                     p ? p : "(none)", t->primary.api_name);
    }
    st->id = json_integer_value(json_object_get(keep, "id"));

    json_t *add = json_array();
    if (!add) {
        e = hail_errf(HAIL_ENOMEM, "out of memory");
        goto out;
    }
    for (const mkto_attr *a = t->attrs; a->api_name; a++)
        if (!has_attr(keep, a->api_name))
            json_array_append_new(add, attr_json(a));
    st->added = json_array_size(add);
    if (st->added) {
        if ((e = type_path(&path, t, "attributes/create.json"))) {
            json_decref(add);
            goto out;
        }
        if ((e = post(m, buf_cstr(&path), json_pack("{s:o}", "attributes", add), &root, &rec)))
            goto out;
        json_decref(root);
        root = NULL;
        needs_approval = 1;
    } else {
        json_decref(add);
    }
    if (needs_approval) {
        if ((e = type_path(&path, t, "approve.json")) ||
            (e = post(m, buf_cstr(&path), NULL, &root, &rec)))
            goto out;
        st->approved = 1;
        if (!st->id)
            st->id = json_integer_value(json_object_get(rec, "id"));
    }
    if (!st->id)
        e = hail_errf(HAIL_EREMOTE, "Marketo gave no id for the activity type %s", t->api_name);
out:
    json_decref(root);
    json_decref(keep);
    buf_release(&path);
    return e;
}

hail_err mkto_types_ensure(mkto_client *m, mkto_type_state **out)
{
    *out = NULL;
    size_t n = mkto_ctype_count();
    mkto_type_state *sts = calloc(n, sizeof *sts);
    if (!sts)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    json_t *root = NULL;
    mkto_envelope env;
    hail_err e = mkto_call(m, "GET", PATH_TYPES, NULL, NULL, &root, &env);
    for (size_t i = 0; !e && i < n; i++) {
        const mkto_ctype *t = &mkto_ctypes[i];
        sts[i].t = t;
        json_t *have = NULL, *x;
        size_t k;
        json_array_foreach(env.result, k, x)
        {
            if (!strcmp(str(x, "apiName"), t->api_name))
                have = x;
        }
        e = ensure_one(m, t, have, &sts[i]);
        if (e) {
            char why[512];
            snprintf(why, sizeof why, "%s", hail_errmsg());
            hail_errf(e, "activity type %s: %s", t->api_name, why);
        }
    }
    json_decref(root);
    if (e) {
        free(sts);
        return e;
    }
    *out = sts;
    return HAIL_OK;
}
