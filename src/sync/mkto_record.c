#include "core/common.h"

/* The Marketo outbox's records (sync/mkto_outbox.h, mkto_outbox_record):
 * an activity of the log as the JSON text of one external.json record. Pure:
 * no database, no network. */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "sync/mkto_outbox.h"
#include "sync/mkto_types.h"

#define TEXT_MAX 255 /* bytes of a string or link attribute (Marketo's field size) */

/* "sentBy" -> "sent_by": the activity attrs' name of a Marketo attribute. */
static void snake(const char *api, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = api; *p && o + 2 < size; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            out[o++] = '_';
            out[o++] = (char)(*p - 'A' + 'a');
        } else
            out[o++] = *p;
    }
    out[o] = '\0';
}

/* Appends s as a JSON string cut to TEXT_MAX bytes on a UTF-8 boundary. */
static hail_err put_text(buf *b, const char *s)
{
    size_t len = strlen(s);
    if (len > TEXT_MAX) {
        len = TEXT_MAX;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    return jsonw_str(b, s, len);
}

/* Appends ,{"apiName":api,"value":…} with v as the attribute's dataType
 * wants it; nothing when v is null, blank or not convertible. */
static hail_err put_attr(buf *b, const mkto_attr *a, json_t *v, int *first)
{
    int kind; /* 0 none, 1 integer, 2 boolean, 3 text, 4 integer as text */
    if (!v || json_is_null(v))
        kind = 0;
    else if (!strcmp(a->data_type, "integer"))
        kind = json_is_integer(v) ? 1 : 0;
    else if (!strcmp(a->data_type, "boolean"))
        kind = json_is_boolean(v) ? 2 : 0;
    else if (json_is_string(v))
        kind = json_string_length(v) ? 3 : 0;
    else
        kind = json_is_integer(v) ? 4 : 0;
    if (!kind)
        return HAIL_OK;
    hail_err e = buf_puts(b, *first ? "{\"apiName\":\"" : ",{\"apiName\":\"");
    *first = 0;
    if (!e)
        e = buf_puts(b, a->api_name); /* our own names: nothing to escape */
    if (!e)
        e = buf_puts(b, "\",\"value\":");
    if (e)
        return e;
    switch (kind) {
    case 1:
        e = jsonw_int(b, json_integer_value(v));
        break;
    case 2:
        e = buf_puts(b, json_is_true(v) ? "true" : "false");
        break;
    case 3:
        e = put_text(b, json_string_value(v));
        break;
    default:
        e = buf_printf(b, "\"%lld\"", (long long)json_integer_value(v));
    }
    return e ? e : buf_putc(b, '}');
}

/* The primary attribute's value: required and never blank in Marketo. */
static const char *primary_value(const outbox_row *r, const mkto_ctype *t, char *tmp, size_t n)
{
    char key[64];
    snake(t->primary.api_name, key, sizeof key);
    json_t *v = json_object_get(r->attrs, key);
    if (json_is_string(v) && json_string_length(v))
        return json_string_value(v);
    if (!strcmp(t->primary.api_name, "emailSubject") && r->email_subject && *r->email_subject)
        return r->email_subject;
    if (!strcmp(t->primary.api_name, "campaignName")) {
        if (r->campaign_name && *r->campaign_name)
            return r->campaign_name;
        snprintf(tmp, n, "Sales campaign %lld", (long long)r->campaign_id);
        return tmp;
    }
    if (!strcmp(t->primary.api_name, "subject")) { /* a call's outcome, else its status */
        json_t *s = json_object_get(r->attrs, "status");
        return json_is_string(s) && json_string_length(s) ? json_string_value(s) : "Call";
    }
    if (!strcmp(t->primary.api_name, "email") && r->person_email && *r->person_email)
        return r->person_email;
    if (!strcmp(t->primary.api_name, "receivedBy") && r->user_email)
        return r->user_email;
    return t->name; /* "(no subject)" would say less */
}

mkto_out_kind mkto_outbox_record(const outbox_row *r, const mkto_type_ids *types, int send_machine,
                                 buf *out, const char **why)
{
    *why = NULL;
    const mkto_ctype *t = mkto_ctype_for(r->type);
    if (!t)
        return MKTO_OUT_PASS; /* autoreplies, unsubscribes: not Marketo activities */
    if (r->machine && !send_machine)
        return MKTO_OUT_PASS;
    if (r->marketo_id <= 0) {
        *why = "the person has no Marketo lead id";
        return MKTO_OUT_SKIP;
    }
    size_t ti = (size_t)(t - mkto_ctypes);
    int64_t type_id = ti < types->n ? types->ids[ti] : 0;
    if (type_id <= 0) {
        *why = "the custom activity type is not registered in Marketo";
        return MKTO_OUT_SKIP;
    }
    size_t mark = out->len;
    char date[TIME_ISO_LEN], tmp[64];
    time_format_iso(r->occurred_at, date);
    hail_err e = buf_printf(out,
                            "{\"leadId\":%lld,\"activityDate\":\"%s\",\"activityTypeId\":%lld,"
                            "\"primaryAttributeValue\":",
                            (long long)r->marketo_id, date, (long long)type_id);
    if (!e)
        e = put_text(out, primary_value(r, t, tmp, sizeof tmp));
    if (!e)
        e = buf_puts(out, ",\"attributes\":[");
    int first = 1;
    for (const mkto_attr *a = t->attrs; a->api_name && !e; a++) {
        if (!strcmp(a->api_name, "hailActivityId")) {
            json_t *v = json_integer(r->pos.id);
            e = v ? put_attr(out, a, v, &first) : HAIL_ENOMEM;
            json_decref(v);
        } else if (!strcmp(a->api_name, "machine"))
            e = put_attr(out, a, r->machine ? json_true() : json_false(), &first);
        else {
            char key[64];
            snake(a->api_name, key, sizeof key);
            e = put_attr(out, a, json_object_get(r->attrs, key), &first);
        }
    }
    if (!e)
        e = buf_puts(out, "]}");
    if (e) {
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
        *why = "the record is too large to send";
        return MKTO_OUT_SKIP;
    }
    return MKTO_OUT_SEND;
}
