#include "core/common.h"

/* /api/v1/emails and /api/v1/mail/settings: compose, the queue's emails,
 * and the Marketo unsubscribe check switch (mail/send.h). */
#include <glib.h>
#include <sodium.h>

#include "api/api.h"
#include "auth/auth.h"
#include "core/timeutil.h"
#include "mail/send.h"
#include "sync/mkto_unsub.h"
#include "sync/sync.h"

#define PAGE_DEFAULT    50
#define PAGE_MAX        200
#define ADDRESSES_MAX   50
#define ATTACHMENTS_MAX 20
#define BULK_MAX        1000
#define HTML_MAX        1048576

static const char *const statuses[] = {"draft",  "scheduled", "sending", "sent",
                                       "failed", "bounced",   NULL};
static const char *const scheduled_only[] = {"scheduled", NULL};

enum {
    C_PERSON,
    C_SENDER,
    C_CC,
    C_BCC,
    C_SUBJECT,
    C_BODY,
    C_TEMPLATE,
    C_ATT,
    C_SEND_AT,
    C_TZ,
    C_DRAFT
};
const api_member api_emails_create_body[] = {
    [C_PERSON] = {"person_id", API_ID, true, false, 0, 0, NULL},
    [C_SENDER] = {"sender_id", API_ID, true, false, 0, 0, NULL},
    [C_CC] = {"cc", API_ARRAY, false, false, 0, ADDRESSES_MAX, NULL},
    [C_BCC] = {"bcc", API_ARRAY, false, false, 0, ADDRESSES_MAX, NULL},
    [C_SUBJECT] = {"subject", API_STRING, false, false, 1, 998, NULL},
    [C_BODY] = {"body_html", API_STRING, false, false, 0, HTML_MAX, NULL},
    [C_TEMPLATE] = {"template_id", API_ID, false, true, 0, 0, NULL},
    [C_ATT] = {"attachments", API_ARRAY, false, false, 0, ATTACHMENTS_MAX, NULL},
    [C_SEND_AT] = {"send_at", API_STRING, false, true, 1, 64, NULL},
    [C_TZ] = {"time_zone", API_STRING, false, true, 1, 64, NULL},
    [C_DRAFT] = {"draft", API_BOOL, false, false, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

enum { B_TEMPLATE, B_SENDER, B_PEOPLE, B_SEND_AT, B_TZ };
const api_member api_emails_bulk_body[] = {
    [B_TEMPLATE] = {"template_id", API_ID, true, false, 0, 0, NULL},
    [B_SENDER] = {"sender_id", API_ID, true, false, 0, 0, NULL},
    [B_PEOPLE] = {"person_ids", API_IDS, true, false, 0, BULK_MAX, NULL},
    [B_SEND_AT] = {"send_at", API_STRING, false, true, 1, 64, NULL},
    [B_TZ] = {"time_zone", API_STRING, false, true, 1, 64, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

enum { U_STATUS, U_CC, U_BCC, U_SUBJECT, U_BODY, U_SEND_AT, U_TZ };
const api_member api_emails_update_body[] = {
    [U_STATUS] = {"status", API_STRING, false, false, 0, 0, scheduled_only},
    [U_CC] = {"cc", API_ARRAY, false, false, 0, ADDRESSES_MAX, NULL},
    [U_BCC] = {"bcc", API_ARRAY, false, false, 0, ADDRESSES_MAX, NULL},
    [U_SUBJECT] = {"subject", API_STRING, false, false, 1, 998, NULL},
    [U_BODY] = {"body_html", API_STRING, false, false, 0, HTML_MAX, NULL},
    [U_SEND_AT] = {"send_at", API_STRING, false, true, 1, 64, NULL},
    [U_TZ] = {"time_zone", API_STRING, false, true, 1, 64, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

const api_member api_mail_settings_body[] = {
    {"marketo_unsubscribe_check", API_BOOL, true, false, 0, 0, NULL},
    {NULL, API_STRING, false, false, 0, 0, NULL},
};

/* send_at (+ time_zone): epoch µs into *out (0 when absent). A time without
 * an offset is local to time_zone (UTC without one). Replies 400 and
 * returns 0 on bad input. */
static int parse_send_at(http_req *r, json_t *at, json_t *tz, int64_t *out)
{
    *out = 0;
    GTimeZone *zone = NULL;
    if (tz) {
        zone = g_time_zone_new_identifier(json_string_value(tz));
        if (!zone) {
            http_reply_error(r, 400, "bad_request",
                             "time_zone '%.64s' is not an IANA time zone (such as Europe/Paris)",
                             json_string_value(tz));
            return 0;
        }
    }
    if (!at) {
        if (zone)
            g_time_zone_unref(zone);
        return 1;
    }
    const char *s = json_string_value(at);
    size_t n = strlen(s);
    int has_offset = n > 11 && (strchr(s + 11, 'Z') || strchr(s + 11, 'z') || strchr(s + 11, '+') ||
                                strchr(s + 11, '-'));
    int ok = 0;
    if (zone && !has_offset) {
        int y, mo, d, h, mi;
        double sec = 0;
        char sep;
        int k = sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%lf", &y, &mo, &d, &sep, &h, &mi, &sec);
        if ((k == 6 || k == 7) && (sep == 'T' || sep == ' ')) {
            GDateTime *dt = g_date_time_new(zone, y, mo, d, h, mi, sec);
            if (dt) {
                *out = g_date_time_to_unix(dt) * US_PER_SEC;
                g_date_time_unref(dt);
                ok = 1;
            }
        }
    } else {
        ok = time_parse_iso(s, n, out) == HAIL_OK;
    }
    if (zone)
        g_time_zone_unref(zone);
    if (!ok)
        http_reply_error(r, 400, "bad_request",
                         "send_at '%.64s' is not a date and time such as 2026-03-01T09:30:00 "
                         "(local to time_zone) or 2026-03-01T08:30:00Z",
                         s);
    return ok;
}

/* The attachments of a body, decoded. Replies and returns 0 on bad input
 * or when they pass SEND_ATTACHMENTS_MAX (413). */
static int decode_attachments(http_req *r, json_t *a, send_attachment **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t count = json_array_size(a);
    if (!count)
        return 1;
    send_attachment *att = calloc(count, sizeof *att);
    if (!att) {
        http_reply_error(r, 500, "internal", "out of memory");
        return 0;
    }
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        json_t *o = json_array_get(a, i);
        json_t *fn = json_object_get(o, "filename"), *ct = json_object_get(o, "content_type"),
               *data = json_object_get(o, "data");
        const char *bad = NULL;
        if (!json_is_object(o) || json_object_size(o) != 3 || !json_is_string(fn) ||
            !json_is_string(ct) || !json_is_string(data))
            bad = "must be an object with filename, content_type and data (strings)";
        else if (!*json_string_value(fn) || json_string_length(fn) > 255 ||
                 strpbrk(json_string_value(fn), "/\\\r\n"))
            bad = "filename must be 1 to 255 characters without / \\ or line breaks";
        else if (!strchr(json_string_value(ct), '/') || json_string_length(ct) > 127 ||
                 strpbrk(json_string_value(ct), " \t\r\n;\""))
            bad = "content_type must be a media type such as application/pdf";
        if (bad) {
            http_reply_error(r, 400, "bad_request", "attachments[%zu] %s", i, bad);
            goto fail;
        }
        size_t len = json_string_length(data), max = len / 4 * 3 + 3;
        total += max > 2 ? max - 2 : 0; /* a bound before decoding */
        if (total > (size_t)SEND_ATTACHMENTS_MAX + 3 * count + 1024) {
            http_reply_error(r, 413, "too_large",
                             "the attachments are more than 23 MB in all; at most 23 MB "
                             "(%lld bytes) may be attached",
                             (long long)SEND_ATTACHMENTS_MAX);
            goto fail;
        }
        unsigned char *bin = malloc(max + 1);
        size_t got = 0;
        if (!bin) {
            http_reply_error(r, 500, "internal", "out of memory");
            goto fail;
        }
        att[i].data = bin;
        if (sodium_base642bin(bin, max + 1, json_string_value(data), len, " \r\n", &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0) {
            http_reply_error(r, 400, "bad_request", "attachments[%zu] data is not base64", i);
            *n = i + 1;
            goto fail_n;
        }
        att[i].size = got;
        att[i].filename = json_string_value(fn);
        att[i].content_type = json_string_value(ct);
    }
    *out = att;
    *n = count;
    return 1;
fail:
    *n = count;
fail_n:
    for (size_t i = 0; i < *n; i++)
        free((void *)att[i].data);
    free(att);
    *n = 0;
    return 0;
}

static void free_attachments(send_attachment *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((void *)a[i].data);
    free(a);
}

/* The Email object of id for r's caller. */
static hail_err email_json(http_req *r, db *d, int64_t id, json_t **out)
{
    email_viewer v = {r->user_id, r->user_role};
    return send_get(d, &v, id, out);
}

/* Replies with e; a conflict with the email's state is 409 "conflict". */
static void reply_err(http_req *r, hail_err e)
{
    if (e == HAIL_EBUSY)
        http_reply_error(r, 409, "conflict", "%s", hail_errmsg());
    else
        http_reply_err(r, e);
}

static void reply_refused(http_req *r, const send_result *res)
{
    http_reply_error(r, 422, res->refused, "%s", res->message);
}

void api_emails_create(http_req *r)
{
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[C_DRAFT + 1];
    send_attachment *att = NULL;
    size_t natt = 0;
    int64_t send_at = 0;
    if (!api_body_check(r, body, api_emails_create_body, val) ||
        (val[C_CC] && !api_check_addresses(r, "cc", val[C_CC])) ||
        (val[C_BCC] && !api_check_addresses(r, "bcc", val[C_BCC])) ||
        !parse_send_at(r, val[C_SEND_AT], val[C_TZ], &send_at) ||
        (val[C_ATT] && !decode_attachments(r, val[C_ATT], &att, &natt))) {
        json_decref(body);
        return;
    }
    db *d = api_db(r);
    if (!d) {
        free_attachments(att, natt);
        json_decref(body);
        return;
    }
    send_request q = {
        .user_id = r->user_id,
        .role = r->user_role,
        .person_id = json_integer_value(val[C_PERSON]),
        .sender_id = json_integer_value(val[C_SENDER]),
        .template_id = val[C_TEMPLATE] ? json_integer_value(val[C_TEMPLATE]) : 0,
        .subject = val[C_SUBJECT] ? json_string_value(val[C_SUBJECT]) : NULL,
        .body_html = val[C_BODY] ? json_string_value(val[C_BODY]) : NULL,
        .cc = val[C_CC],
        .bcc = val[C_BCC],
        .att = att,
        .natt = natt,
        .send_at = send_at,
        .time_zone = val[C_TZ] ? json_string_value(val[C_TZ]) : NULL,
        .draft = val[C_DRAFT] && json_is_true(val[C_DRAFT]),
    };
    send_result res;
    hail_err e = send_create(d, &q, &res);
    free_attachments(att, natt);
    json_decref(body);
    if (!e && res.refused) {
        reply_refused(r, &res);
        return;
    }
    json_t *j = NULL;
    if (!e)
        e = email_json(r, d, res.email_id, &j);
    api_reply(r, e, 201, j);
}

void api_emails_bulk(http_req *r)
{
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[B_TZ + 1];
    int64_t send_at = 0;
    if (!api_body_check(r, body, api_emails_bulk_body, val) ||
        !parse_send_at(r, val[B_SEND_AT], val[B_TZ], &send_at)) {
        json_decref(body);
        return;
    }
    size_t n = json_array_size(val[B_PEOPLE]);
    if (!n) {
        http_reply_error(r, 400, "bad_request", "person_ids must name at least one person");
        json_decref(body);
        return;
    }
    db *d = api_db(r);
    int64_t *ids = calloc(n, sizeof *ids);
    send_result *res = calloc(n, sizeof *res);
    if (!d || !ids || !res) {
        if (d)
            http_reply_error(r, 500, "internal", "out of memory");
        free(ids);
        free(res);
        json_decref(body);
        return;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = json_integer_value(json_array_get(val[B_PEOPLE], i));
    send_request q = {
        .user_id = r->user_id,
        .role = r->user_role,
        .sender_id = json_integer_value(val[B_SENDER]),
        .template_id = json_integer_value(val[B_TEMPLATE]),
        .send_at = send_at,
        .time_zone = val[B_TZ] ? json_string_value(val[B_TZ]) : NULL,
    };
    hail_err e = send_bulk(d, &q, ids, n, res);
    json_t *out = NULL;
    if (!e) {
        json_t *results = json_array();
        int queued = 0, refused = 0;
        for (size_t i = 0; results && i < n; i++) {
            if (res[i].refused) {
                refused++;
                json_array_append_new(results,
                                      json_pack("{sI ss ss ss}", "person_id", (json_int_t)ids[i],
                                                "status", "refused", "reason", res[i].refused,
                                                "message", res[i].message));
            } else {
                queued++;
                json_array_append_new(results, json_pack("{sI ss sI}", "person_id",
                                                         (json_int_t)ids[i], "status", "queued",
                                                         "email_id", (json_int_t)res[i].email_id));
            }
        }
        out = json_pack("{so si si}", "results", results, "queued", queued, "refused", refused);
        if (!out)
            e = hail_errf(HAIL_ENOMEM, "out of memory");
    }
    free(ids);
    free(res);
    json_decref(body);
    api_reply(r, e, 200, out);
}

void api_emails_list(http_req *r)
{
    email_filter f = {0};
    char raw[API_CURSOR_MAX];
    if (!api_page_params(r, PAGE_DEFAULT, PAGE_MAX, &f.limit, raw))
        return;
    f.before_id = api_cursor_id(raw, 'e');
    if (f.before_id < 0) {
        http_reply_error(r, 400, "bad_request", "cursor is not valid");
        return;
    }
    static const char *const ids[] = {"person", "sender"};
    int64_t *dst[] = {&f.person_id, &f.sender_id};
    for (size_t i = 0; i < 2; i++) {
        const char *v = http_query(r, ids[i]);
        if (!v)
            continue;
        char *end;
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (errno || *end || end == v || x <= 0) {
            http_reply_error(r, 400, "bad_request", "%s must be a positive integer, not '%.64s'",
                             ids[i], v);
            return;
        }
        *dst[i] = x;
    }
    f.account = http_query(r, "account");
    f.opportunity = http_query(r, "opportunity");
    if ((f.account && (!*f.account || strlen(f.account) > 64)) ||
        (f.opportunity && (!*f.opportunity || strlen(f.opportunity) > 64))) {
        http_reply_error(r, 400, "bad_request", "%s must be a Salesforce id of 1 to 64 characters",
                         f.account && (!*f.account || strlen(f.account) > 64) ? "account"
                                                                              : "opportunity");
        return;
    }
    f.status = http_query(r, "status");
    if (f.status) {
        int ok = 0;
        for (const char *const *s = statuses; *s && !ok; s++)
            ok = !strcmp(*s, f.status);
        if (!ok) {
            http_reply_error(r, 400, "bad_request",
                             "status must be draft, scheduled, sending, sent, failed or bounced, "
                             "not '%.64s'",
                             f.status);
            return;
        }
    }
    db *d = api_db(r);
    if (!d)
        return;
    email_viewer v = {r->user_id, r->user_role};
    json_t *a = NULL;
    int64_t next = 0;
    hail_err e = send_list(d, &v, &f, &a, &next);
    char c[32] = "";
    if (next)
        snprintf(c, sizeof c, "e%lld", (long long)next);
    api_reply_page(r, e, a, c);
}

void api_emails_get(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    db *d = api_db(r);
    if (!d)
        return;
    json_t *j = NULL;
    hail_err e = email_json(r, d, id, &j);
    api_reply(r, e, 200, j);
}

void api_emails_update(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    if (!id)
        return;
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[U_TZ + 1];
    int64_t send_at = 0;
    if (!api_body_check(r, body, api_emails_update_body, val) ||
        (val[U_CC] && !api_check_addresses(r, "cc", val[U_CC])) ||
        (val[U_BCC] && !api_check_addresses(r, "bcc", val[U_BCC])) ||
        !parse_send_at(r, val[U_SEND_AT], val[U_TZ], &send_at)) {
        json_decref(body);
        return;
    }
    db *d = api_db(r);
    if (!d) {
        json_decref(body);
        return;
    }
    send_edit ed = {
        .schedule = val[U_STATUS] != NULL,
        .subject = val[U_SUBJECT] ? json_string_value(val[U_SUBJECT]) : NULL,
        .body_html = val[U_BODY] ? json_string_value(val[U_BODY]) : NULL,
        .cc = val[U_CC],
        .bcc = val[U_BCC],
        /* send_at given (null: now) changes it; left out keeps it. */
        .send_at = json_object_get(body, "send_at") ? send_at : -1,
        .time_zone = val[U_TZ] ? json_string_value(val[U_TZ]) : NULL,
    };
    send_result res;
    hail_err e = send_update(d, r->user_id, r->user_role, id, &ed, &res);
    json_decref(body);
    if (!e && res.refused) {
        reply_refused(r, &res);
        return;
    }
    json_t *j = NULL;
    if (!e)
        e = email_json(r, d, id, &j);
    if (e)
        reply_err(r, e);
    else
        api_reply(r, e, 200, j);
}

void api_emails_delete(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    email_viewer v = {r->user_id, r->user_role};
    hail_err e = send_cancel(d, &v, id);
    if (e)
        reply_err(r, e);
    else
        http_reply_raw(r, 204, NULL, "", 0);
}

void api_emails_retry(http_req *r)
{
    int64_t id = api_param_id(r, 0);
    db *d = id ? api_db(r) : NULL;
    if (!d)
        return;
    email_viewer v = {r->user_id, r->user_role};
    json_t *j = NULL;
    hail_err e = send_retry(d, &v, id);
    if (!e)
        e = email_json(r, d, id, &j);
    if (e)
        reply_err(r, e);
    else
        api_reply(r, e, 200, j);
}

static void reply_settings(http_req *r, db *d)
{
    int on = 0;
    hail_err e = mkto_unsub_enabled(d, &on);
    api_reply(r, e, 200,
              e ? NULL
                : json_pack("{sb sb}", "marketo_unsubscribe_check", on, "marketo_configured",
                            marketo_configured()));
}

void api_mail_settings_get(http_req *r)
{
    db *d = api_db(r);
    if (d)
        reply_settings(r, d);
}

void api_mail_settings_put(http_req *r)
{
    json_t *body = http_json_body(r);
    if (!body)
        return;
    json_t *val[1];
    if (!api_body_check(r, body, api_mail_settings_body, val)) {
        json_decref(body);
        return;
    }
    int on = json_is_true(val[0]);
    json_decref(body);
    if (on && !marketo_configured()) {
        http_reply_error(r, 409, "conflict",
                         "Marketo is not configured (HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID, "
                         "HAIL_MARKETO_CLIENT_SECRET): the unsubscribe check cannot be turned on");
        return;
    }
    db *d = api_db(r);
    if (!d)
        return;
    hail_err e = mkto_unsub_set(d, on);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    reply_settings(r, d);
}
