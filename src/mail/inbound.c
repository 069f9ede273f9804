#include "core/common.h"

#include "mail/inbound.h"

#include "mail/classify.h"
#include "mail/email_act.h"
#include "mail/unsub.h"
#include "store/inbound.h"
#include "svc/activity.h"

#define DAY_US (INT64_C(86400) * 1000000)
/* How far back the fallbacks look for the email a message answers. */
#define MATCH_SUBJECT_DAYS   180
#define MATCH_RECIPIENT_DAYS 30

const char *inbound_base_subject(const char *subject, char *buf, size_t n)
{
    static const char *const prefixes[] = {"re:",
                                           "re :",
                                           "aw:",
                                           "sv:",
                                           "vs:",
                                           "antw:",
                                           "r:",
                                           "ref:",
                                           "rép:",
                                           "rép.:",
                                           "res:",
                                           "fw:",
                                           "fwd:",
                                           "tr:",
                                           "wg:",
                                           "回复:",
                                           "回复：",
                                           "答复:",
                                           "返信:",
                                           "automatic reply:",
                                           "auto reply:",
                                           "autoreply:",
                                           "auto-reply:",
                                           "out of office:",
                                           "out of office reply:",
                                           "réponse automatique :",
                                           "réponse automatique:",
                                           "automatische antwort:",
                                           "abwesenheitsnotiz:",
                                           "respuesta automática:",
                                           "自動応答:",
                                           "自動返信:",
                                           "自动回复:"};
    const char *s = subject ? subject : "";
    for (bool again = true; again;) {
        again = false;
        while (*s == ' ' || *s == '\t')
            s++;
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
            size_t l = strlen(prefixes[i]);
            if (!strncasecmp(s, prefixes[i], l)) {
                s += l;
                again = true;
                break;
            }
        }
        /* "Re[2]:" */
        if (!again && !strncasecmp(s, "re[", 3)) {
            const char *e = strstr(s, "]:");
            if (e && e - s < 8) {
                s = e + 2;
                again = true;
            }
        }
    }
    snprintf(buf, n, "%s", s);
    size_t l = strlen(buf);
    while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\t'))
        buf[--l] = 0;
    return buf;
}

typedef struct match {
    int64_t email_id, person_id;
    const char *how; /* "message_id" "hail_id" "sender_subject" "recipient" "person" or NULL */
} match;

static hail_err match_refs(db *d, const classify_result *c, match *m)
{
    hail_err e;
    for (size_t i = 0; i < c->nrefs; i++) {
        if ((e = inbound_email_by_message_id(d, c->refs[i], &m->email_id, &m->person_id)))
            return e;
        if (m->email_id) {
            m->how = "message_id";
            return HAIL_OK;
        }
    }
    for (size_t i = 0; i < c->nrefs; i++) {
        int64_t id = classify_hail_email_id(c->refs[i]);
        if (!id)
            continue;
        if ((e = inbound_email_by_id(d, id, &m->email_id, &m->person_id)))
            return e;
        if (m->email_id) {
            m->how = "hail_id";
            return HAIL_OK;
        }
    }
    return HAIL_OK;
}

static hail_err match_message(db *d, const classify_result *c, int64_t now, match *m)
{
    hail_err e = match_refs(d, c, m);
    if (e || m->email_id)
        return e;
    if (c->kind == CLASSIFY_BOUNCE || c->kind == CLASSIFY_COMPLAINT) {
        for (size_t i = 0; i < c->nrcpt && !m->email_id; i++) {
            if (!*c->rcpt[i].address)
                continue;
            e = inbound_email_by_recipient(d, c->rcpt[i].address, NULL,
                                           now - MATCH_RECIPIENT_DAYS * DAY_US, &m->email_id,
                                           &m->person_id);
            if (e)
                return e;
            if (m->email_id)
                m->how = "recipient";
        }
        for (size_t i = 0; c->kind == CLASSIFY_COMPLAINT && i < c->nrcpt && !m->person_id; i++) {
            if (!*c->rcpt[i].address)
                continue;
            if ((e = inbound_person_by_address(d, c->rcpt[i].address, &m->person_id)))
                return e;
            if (m->person_id)
                m->how = "person";
        }
        return HAIL_OK;
    }
    if (!c->from)
        return HAIL_OK;
    char base[1024];
    inbound_base_subject(c->subject, base, sizeof base);
    if (*base) {
        e = inbound_email_by_recipient(d, c->from, base, now - MATCH_SUBJECT_DAYS * DAY_US,
                                       &m->email_id, &m->person_id);
        if (e)
            return e;
        if (m->email_id)
            m->how = "sender_subject";
    }
    return HAIL_OK;
}

/* The bounce's words about the email's recipient (or its first). */
static char *bounce_details(const classify_result *c, const char *to)
{
    const classify_rcpt *r = c->nrcpt ? &c->rcpt[0] : NULL;
    for (size_t i = 0; to && i < c->nrcpt; i++)
        if (!strcasecmp(c->rcpt[i].address, to))
            r = &c->rcpt[i];
    char buf[700];
    if (!r)
        snprintf(buf, sizeof buf, "bounced");
    else
        snprintf(buf, sizeof buf, "%s bounce%s%s: %s", r->hard ? "hard" : "soft",
                 *r->status ? " " : "", r->status, *r->detail ? r->detail : "no reason given");
    return strdup(buf);
}

static json_t *recipients_json(const classify_result *c, bool with_detail)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < c->nrcpt; i++) {
        json_t *o = json_pack("{s:s, s:s, s:b}", "address", c->rcpt[i].address, "status",
                              c->rcpt[i].status, "hard", c->rcpt[i].hard);
        if (o && with_detail)
            json_object_set_new(o, "detail", json_string(c->rcpt[i].detail));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *result_json(int64_t id, const char *kind, int64_t email_id, int64_t person_id,
                           json_t *recipients, const char *return_date)
{
    return json_pack("{s:I, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)id, "kind", kind,
                     "email_id", email_id ? json_integer(email_id) : json_null(), "person_id",
                     person_id ? json_integer(person_id) : json_null(), "recipients",
                     recipients ? recipients : json_array(), "return_date",
                     return_date && *return_date ? json_string(return_date) : json_null());
}

/* The row already stored for this Message-ID, as the API's object: *out NULL when none. */
static hail_err stored_result(db *d, const char *message_id, json_t **out)
{
    *out = NULL;
    int64_t id, email_id, person_id;
    char *kind, *rd, *detail;
    hail_err e =
        inbound_find_message_id(d, message_id, &id, &kind, &email_id, &person_id, &rd, &detail);
    if (e || !id)
        return e;
    json_t *dj = detail ? json_loads(detail, 0, NULL) : NULL;
    json_t *rs = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(dj, "recipients"), i, r)
    {
        json_t *c = json_deep_copy(r);
        json_object_del(c, "detail");
        json_array_append_new(rs, c);
    }
    *out = result_json(id, kind ? kind : "other", email_id, person_id, rs, rd);
    json_decref(dj);
    free(kind);
    free(rd);
    free(detail);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

static hail_err apply(db *d, const classify_result *c, const inbound_src *src, int64_t now,
                      json_t **out)
{
    hail_err e;
    if (c->message_id) {
        json_t *prev;
        if ((e = stored_result(d, c->message_id, &prev)))
            return e;
        if (prev) { /* seen before (another inbox, or posted twice): not again */
            if (src->channel_id && src->imap_uid &&
                (e = inbound_set_last_uid(d, src->channel_id, src->imap_uid))) {
                json_decref(prev);
                return e;
            }
            *out = prev;
            return HAIL_OK;
        }
    }
    match m = {0};
    if ((e = match_message(d, c, now, &m)))
        return e;
    classify_kind kind = c->kind;
    if (kind == CLASSIFY_OTHER && m.how && !strcmp(m.how, "sender_subject"))
        kind = CLASSIFY_REPLY; /* a reply whose client dropped its references */

    if (m.email_id && kind == CLASSIFY_REPLY) {
        if ((e = email_activity(d, m.email_id, ACT_EMAIL_REPLY, false, now, NULL, NULL)) ||
            (e = inbound_email_replied(d, m.email_id, now)))
            return e;
    } else if (m.email_id && kind == CLASSIFY_AUTOREPLY) {
        json_t *x = json_pack("{s:o}", "return_date",
                              c->return_date[0] ? json_string(c->return_date) : json_null());
        e = email_activity(d, m.email_id, ACT_EMAIL_AUTOREPLY, true, now, x, NULL);
        json_decref(x);
        if (e)
            return e;
    } else if (m.email_id && kind == CLASSIFY_BOUNCE) {
        char *details = bounce_details(c, NULL);
        json_t *x = json_pack("{s:s}", "details", details ? details : "bounced");
        free(details);
        e = email_activity(d, m.email_id, ACT_EMAIL_BOUNCE, false, now, x, NULL);
        json_decref(x);
        if (e || (e = inbound_email_bounced(d, m.email_id, now)))
            return e;
    } else if (m.person_id && kind == CLASSIFY_COMPLAINT) {
        if ((e = unsub_record(d, m.person_id, "unsubscribe", UNSUB_COMPLAINT, 0, m.email_id)))
            return e;
    }

    json_t *detail = json_pack("{s:s?, s:s?, s:o, s:s?}", "from", c->from, "subject", c->subject,
                               "recipients", recipients_json(c, true), "matched_by", m.how);
    char *dtext = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    inbound_row row = {
        .channel_id = src->channel_id,
        .source = src->source,
        .imap_uid = src->imap_uid,
        .message_id = c->message_id,
        .kind = classify_kind_name(kind),
        .email_id = m.email_id,
        .person_id = m.person_id,
        .return_date = c->return_date[0] ? c->return_date : NULL,
        .detail = dtext,
        .received_at = now,
    };
    int64_t id = 0;
    e = inbound_insert(d, &row, &id);
    free(dtext);
    if (!e && src->channel_id && src->imap_uid)
        e = inbound_set_last_uid(d, src->channel_id, src->imap_uid);
    if (e)
        return e;
    *out = result_json(id, classify_kind_name(kind), m.email_id, m.person_id,
                       recipients_json(c, false), c->return_date);
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}

hail_err inbound_process(db *d, const char *raw, size_t len, const inbound_src *src, int64_t now,
                         json_t **out)
{
    if (out)
        *out = NULL;
    classify_result c;
    hail_err e = classify_message(raw, len, &c);
    if (e)
        return e;
    json_t *res = NULL;
    if (!(e = db_begin(d))) {
        e = apply(d, &c, src, now, &res);
        if (!e)
            e = db_commit(d);
        else
            db_rollback(d);
    }
    classify_result_free(&c);
    if (e) {
        json_decref(res);
        return e;
    }
    if (out)
        *out = res;
    else
        json_decref(res);
    return HAIL_OK;
}
