#include "core/common.h"

/* Compose and the send queue: mail/send.h. */
#include "mail/send.h"

#include <pthread.h>
#include <sodium.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "mail/channel.h"
#include "mail/email_act.h"
#include "mail/mime.h"
#include "mail/render.h"
#include "mail/templates.h"
#include "mail/track.h"
#include "mail/unsub.h"
#include "store/emails.h"
#include "store/lease.h"
#include "svc/activity.h"
#include "svc/settings.h"
#include "sync/mkto_unsub.h"

#define CLAIM_TTL_US   (INT64_C(60) * US_PER_SEC)      /* a claimed row until it is sending */
#define SENDING_TTL_US (INT64_C(10) * 60 * US_PER_SEC) /* a sending row's hand-over */
#define WAIT_US        (INT64_C(60) * US_PER_SEC)      /* Marketo or a channel not there */
#define MAX_ATTEMPTS   10
#define SWEEP_EVERY_US (INT64_C(5) * US_PER_SEC)

/* Set while `hail serve` stops: interrupts a Marketo check. */
static atomic_int workers_stop;

static void refuse(send_result *res, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(send_result *res, const char *reason, const char *fmt, ...)
{
    res->refused = reason;
    res->email_id = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

/* The domain of an address, lower case, into out. */
static void domain_of(const char *address, char *out, size_t n)
{
    const char *at = strrchr(address, '@');
    snprintf(out, n, "%s", at ? at + 1 : "");
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

/* "a, b, c" of a JSON array of strings, into out. */
static void list_words(json_t *a, char *out, size_t n)
{
    size_t i, used = 0;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(a, i, v)
    {
        int w = snprintf(out + used, n - used, "%s%s", i ? ", " : "", json_string_value(v));
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
}

/* The checks that may refuse an email to a person (res->refused set). */
static hail_err check_recipient(db *d, int64_t person_id, int commercial, int full,
                                email_recipient *rc, send_result *res)
{
    hail_err e = emails_recipient(d, person_id, rc);
    if (e)
        return e;
    if (!rc->active) {
        refuse(res, SEND_INACTIVE_PERSON, "person %lld is not active", (long long)person_id);
        return HAIL_OK;
    }
    if (!*rc->email) {
        refuse(res, SEND_NO_EMAIL, "person %lld has no email address", (long long)person_id);
        return HAIL_OK;
    }
    if (!full)
        return HAIL_OK;
    if (commercial) {
        int u = 0;
        if ((e = unsub_state(d, person_id, &u)))
            return e;
        if (u) {
            refuse(res, SEND_UNSUBSCRIBED, "person %lld (%s) has unsubscribed",
                   (long long)person_id, rc->email);
            return HAIL_OK;
        }
    }
    char dom[256];
    domain_of(rc->email, dom, sizeof dom);
    int blocked = 0;
    if ((e = domain_blocked(d, dom, &blocked)))
        return e;
    if (blocked)
        refuse(res, SEND_BLOCKED_DOMAIN, "the domain %s is blocked", dom);
    return HAIL_OK;
}

/* Renders for the person; a refusal when a field or prompt is unfilled. */
static hail_err render_checked(db *d, int64_t person_id, int64_t sender_id, const char *subject,
                               const char *html, rendered *out, send_result *res)
{
    hail_err e = render_for_person(d, person_id, sender_id, subject, html, out);
    if (e)
        return e;
    char words[400];
    if (json_array_size(out->unfilled)) {
        list_words(out->unfilled, words, sizeof words);
        refuse(res, SEND_UNFILLED_FIELD, "fields without a value: %s", words);
    } else if (json_array_size(out->prompts)) {
        list_words(out->prompts, words, sizeof words);
        refuse(res, SEND_UNFILLED_FIELD, "prompts not replaced yet: %s", words);
    }
    return HAIL_OK;
}

static char *json_text(json_t *a)
{
    return a ? json_dumps(a, JSON_COMPACT) : strdup("[]");
}

/* What send_create and send_bulk share: the sender and the template. */
typedef struct compose {
    sender_info sender;
    tmpl t;
    int have_t;
    const char *subject, *html;
    int commercial;
} compose;

static void compose_free(compose *c)
{
    sender_info_free(&c->sender);
    if (c->have_t)
        tmpl_free(&c->t);
}

static hail_err compose_open(db *d, const send_request *r, compose *c)
{
    memset(c, 0, sizeof *c);
    hail_err e = senders_get(d, r->sender_id, &c->sender);
    if (e)
        return e;
    if (c->sender.user_id != r->user_id && strcmp(r->role, "admin") != 0)
        return hail_errf(HAIL_EFORBIDDEN, "sender %lld is not one of yours",
                         (long long)r->sender_id);
    c->commercial = 1;
    c->subject = r->subject;
    c->html = r->body_html;
    if (r->template_id) {
        if ((e = templates_for_use(d, r->template_id, r->user_id, r->role, &c->t)))
            return e;
        c->have_t = 1;
        if (c->t.archived)
            return hail_errf(HAIL_EINVAL, "template %lld is archived", (long long)r->template_id);
        c->commercial = c->t.commercial;
        if (!c->subject)
            c->subject = c->t.subject;
        if (!c->html)
            c->html = c->t.body_html;
    }
    if (!c->html)
        return hail_errf(HAIL_EINVAL, "body_html or template_id is required");
    if (!c->subject || !*c->subject)
        return hail_errf(HAIL_EINVAL, "subject is required");
    size_t total = 0;
    for (size_t i = 0; i < r->natt; i++)
        total += r->att[i].size;
    if ((int64_t)total > SEND_ATTACHMENTS_MAX)
        return hail_errf(HAIL_ETOOBIG,
                         "the attachments are %zu bytes in all; at most 23 MB (%lld bytes) may "
                         "be attached",
                         total, (long long)SEND_ATTACHMENTS_MAX);
    return HAIL_OK;
}

static hail_err create_one(db *d, const send_request *r, const compose *c, int64_t person_id,
                           send_result *res)
{
    memset(res, 0, sizeof *res);
    email_recipient rc;
    hail_err e = check_recipient(d, person_id, c->commercial, !r->draft, &rc, res);
    if (e || res->refused) {
        email_recipient_free(&rc);
        return e;
    }
    rendered out = {0};
    int have_out = 0;
    if (!r->draft) {
        if ((e = render_checked(d, person_id, r->sender_id, c->subject, c->html, &out, res)))
            goto done;
        have_out = 1;
        if (res->refused)
            goto done;
    }
    char dom[256];
    domain_of(rc.email, dom, sizeof dom);
    char *cc = json_text(r->cc), *bcc = json_text(r->bcc);
    int64_t now = time_now_us();
    email_new n = {
        .person_id = person_id,
        .user_id = c->sender.user_id,
        .sender_id = r->sender_id,
        .channel_id = c->sender.channel_id,
        .template_id = r->template_id,
        .status = r->draft ? "draft" : "scheduled",
        .to_address = rc.email,
        .to_domain = dom,
        .cc = cc,
        .bcc = bcc,
        .subject = have_out ? out.subject : c->subject,
        .body_html = have_out ? out.html : c->html,
        .commercial = c->commercial,
        .send_at = r->send_at,
        .time_zone = r->time_zone,
        .next_attempt_at = r->send_at > now ? r->send_at : now,
        .campaign_id = r->campaign_id,
        .campaign_member_id = r->campaign_member_id,
        .campaign_step = r->campaign_step,
        .task_id = r->task_id,
        .in_reply_to = r->in_reply_to,
        .refs = r->refs,
    };
    if (!cc || !bcc) {
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    } else if (r->in_tx) {
        e = emails_insert(d, &n, now, &res->email_id);
        for (size_t i = 0; !e && i < r->natt; i++)
            e = emails_attach(d, res->email_id, r->att[i].filename, r->att[i].content_type,
                              r->att[i].data, r->att[i].size);
        if (e)
            res->email_id = 0;
    } else if (!(e = db_begin(d))) {
        e = emails_insert(d, &n, now, &res->email_id);
        for (size_t i = 0; !e && i < r->natt; i++)
            e = emails_attach(d, res->email_id, r->att[i].filename, r->att[i].content_type,
                              r->att[i].data, r->att[i].size);
        if (!e)
            e = db_commit(d);
        if (e) {
            if (db_in_tx(d))
                db_rollback(d);
            res->email_id = 0;
        }
    }
    free(cc);
    free(bcc);
done:
    if (have_out)
        rendered_free(&out);
    email_recipient_free(&rc);
    return e;
}

hail_err send_create(db *d, const send_request *r, send_result *res)
{
    memset(res, 0, sizeof *res);
    compose c;
    hail_err e = compose_open(d, r, &c);
    if (!e)
        e = create_one(d, r, &c, r->person_id, res);
    compose_free(&c);
    return e;
}

hail_err send_bulk(db *d, const send_request *base, const int64_t *person_ids, size_t n,
                   send_result *res)
{
    compose c;
    hail_err e = compose_open(d, base, &c);
    for (size_t i = 0; !e && i < n; i++) {
        e = create_one(d, base, &c, person_ids[i], &res[i]);
        if (e == HAIL_ENOTFOUND) {
            refuse(&res[i], "not_found", "%s", hail_errmsg());
            e = HAIL_OK;
        }
    }
    compose_free(&c);
    return e;
}

hail_err send_update(db *d, int64_t user_id, const char *role, int64_t email_id,
                     const send_edit *ed, send_result *res)
{
    memset(res, 0, sizeof *res);
    email_viewer v = {.user_id = user_id, .role = role};
    if (!emails_visible(d, &v, email_id))
        return hail_errf(HAIL_ENOTFOUND, "no email with id %lld", (long long)email_id);
    email_row row;
    hail_err e = emails_load(d, email_id, &row);
    if (e)
        return e;
    if (strcmp(row.status, "draft") != 0 && strcmp(row.status, "scheduled") != 0) {
        e = hail_errf(HAIL_EBUSY, "the email is %s: only a draft or a scheduled email changes",
                      row.status);
        email_row_free(&row);
        return e;
    }
    if (row.lease_owner) {
        e = hail_errf(HAIL_EBUSY, "the email is being sent");
        email_row_free(&row);
        return e;
    }
    int was_draft = !strcmp(row.status, "draft");
    int schedule = ed->schedule || !was_draft;
    const char *subject = ed->subject ? ed->subject : row.subject;
    const char *html = ed->body_html ? ed->body_html : row.body_html;
    rendered out = {0};
    int have_out = 0;
    email_recipient rc = {0};
    if (schedule) {
        if ((e = check_recipient(d, row.person_id, row.commercial, 1, &rc, res)))
            goto done;
        if (!res->refused && (was_draft || ed->subject || ed->body_html)) {
            if ((e = render_checked(d, row.person_id, row.sender_id, subject, html, &out, res)))
                goto done;
            have_out = 1;
        }
        if (res->refused)
            goto done;
    }
    char *cc = ed->cc ? json_text(ed->cc) : NULL, *bcc = ed->bcc ? json_text(ed->bcc) : NULL;
    int64_t now = time_now_us();
    int64_t send_at = ed->send_at >= 0 ? ed->send_at : row.send_at;
    email_edit x = {
        .status = schedule ? "scheduled" : NULL,
        .subject = have_out ? out.subject : ed->subject,
        .body_html = have_out ? out.html : ed->body_html,
        .cc = cc,
        .bcc = bcc,
        .time_zone = ed->send_at >= 0 ? ed->time_zone : row.time_zone,
        .send_at = ed->send_at,
        .next_attempt_at = send_at > now ? send_at : now,
    };
    if ((ed->cc && !cc) || (ed->bcc && !bcc)) {
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    } else {
        int c = emails_edit(d, email_id, &x, now);
        if (c < 0)
            e = db_fail(d, "emails: edit");
        else if (c == 0)
            e = hail_errf(HAIL_EBUSY, "the email is being sent");
        else
            res->email_id = email_id;
    }
    free(cc);
    free(bcc);
done:
    if (have_out)
        rendered_free(&out);
    email_recipient_free(&rc);
    email_row_free(&row);
    return e;
}

/* ---- reading and changing emails ---- */

hail_err send_list(db *d, const email_viewer *v, const email_filter *f, json_t **out, int64_t *next)
{
    return emails_list(d, v, f, out, next);
}

hail_err send_get(db *d, const email_viewer *v, int64_t id, json_t **out)
{
    hail_err e = emails_summary(d, v, id, out);
    if (e)
        return e;
    json_t *events = NULL;
    if (!(e = emails_detail(d, id, *out)) && !(e = activity_email(d, id, &events))) {
        json_object_set_new(*out, "events", events);
        const char *html = json_string_value(json_object_get(*out, "html"));
        char *text = render_html_to_text(html ? html : "");
        if (!text)
            e = hail_errf(HAIL_ENOMEM, "out of memory");
        else
            json_object_set_new(*out, "text", json_string(text));
        free(text);
    }
    if (e) {
        json_decref(*out);
        *out = NULL;
    }
    return e;
}

/* The status of an email v may see, into out. */
static hail_err status_of(db *d, const email_viewer *v, int64_t id, char *out, size_t n)
{
    json_t *j = NULL;
    hail_err e = emails_summary(d, v, id, &j);
    if (!e)
        snprintf(out, n, "%s", json_string_value(json_object_get(j, "status")));
    json_decref(j);
    return e;
}

hail_err send_cancel(db *d, const email_viewer *v, int64_t id)
{
    char status[16];
    hail_err e = status_of(d, v, id, status, sizeof status);
    if (e)
        return e;
    int c = emails_cancel(d, id);
    if (c < 0)
        return db_fail(d, "emails: cancel");
    if (c == 0)
        return hail_errf(HAIL_EBUSY,
                         "the email is %s: only a draft or a scheduled email can be cancelled",
                         !strcmp(status, "scheduled") ? "being sent" : status);
    return HAIL_OK;
}

hail_err send_retry(db *d, const email_viewer *v, int64_t id)
{
    char status[16];
    hail_err e = status_of(d, v, id, status, sizeof status);
    if (e)
        return e;
    int c = emails_retry(d, id, time_now_us());
    if (c < 0)
        return db_fail(d, "emails: retry");
    if (c == 0)
        return hail_errf(HAIL_EBUSY, "the email is %s: only a failed email is retried", status);
    return HAIL_OK;
}

/* ---- the queue ---- */

int64_t send_backoff_us(int64_t attempts)
{
    int64_t d = 60 * US_PER_SEC;
    for (int64_t i = 1; i < attempts && d < 3600 * US_PER_SEC; i++)
        d *= 2;
    return d < 3600 * US_PER_SEC ? d : 3600 * US_PER_SEC;
}

void send_owner_id(char *out, size_t n)
{
    char host[128];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = '\0';
    unsigned char r[3];
    randombytes_buf(r, sizeof r);
    snprintf(out, n, "snd.%ld.%lld.%02x%02x%02x@%s", (long)getpid(),
             lease_proc_start((long)getpid()), r[0], r[1], r[2], host);
}

/* Whether a sender's owner id names a process of this host that is gone. */
static int owner_dead(const char *owner)
{
    lease_info l;
    memset(&l, 0, sizeof l);
    long pid = 0;
    long long start = -1;
    unsigned rnd;
    char host[128];
    if (sscanf(owner, "snd.%ld.%lld.%6x@%127s", &pid, &start, &rnd, host) != 4)
        return 0;
    l.pid = pid;
    l.start = start;
    snprintf(l.host, sizeof l.host, "%s", host);
    return lease_holder_dead(&l);
}

typedef struct url_ctx {
    db *d;
    int64_t email_id;
} url_ctx;

static hail_err url_cb(void *ctx, char kind, int link, char *out, size_t n)
{
    url_ctx *u = ctx;
    return track_url(u->d, kind, u->email_id, link, out, n);
}

/* Marks id sent with its Send activity, in one transaction. */
static hail_err record_sent(db *d, int64_t id, const char *owner, const char *reply, int64_t now)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    int c = emails_mark_sent(d, id, owner, reply, now);
    if (c < 0)
        e = db_fail(d, "emails: sent");
    else if (c == 1)
        e = email_activity(d, id, ACT_EMAIL_SEND, false, now, NULL, NULL);
    if (!e)
        e = db_commit(d);
    if (e && db_in_tx(d))
        db_rollback(d);
    return e;
}

static hail_err fail(db *d, int64_t id, const char *owner, const char *reason, const char *reply)
{
    int c = emails_mark_failed(d, id, owner, reason, reply, time_now_us());
    return c < 0 ? db_fail(d, "emails: failed") : HAIL_OK;
}

static hail_err later(db *d, int64_t id, const char *owner, int64_t at, const char *reply)
{
    int c = emails_reschedule(d, id, owner, at, reply, time_now_us());
    return c < 0 ? db_fail(d, "emails: reschedule") : HAIL_OK;
}

/* The channel a sender used last, kept open for the next email (an SMTP
 * channel keeps its connection) for up to CHANNEL_KEEP_US, so that a
 * changed configuration is seen soon. */
#define CHANNEL_KEEP_US (INT64_C(30) * US_PER_SEC)
typedef struct chan_cache {
    channel *ch;
    int64_t id, opened;
} chan_cache;

static void cache_close(chan_cache *cc)
{
    channel_close(cc->ch);
    memset(cc, 0, sizeof *cc);
}

static hail_err cache_get(db *d, chan_cache *cc, int64_t id, channel **out)
{
    int64_t now = time_mono_us();
    if (!cc->ch || cc->id != id || now - cc->opened > CHANNEL_KEEP_US) {
        cache_close(cc);
        hail_err e = channel_open(d, id, &cc->ch);
        if (e) {
            cc->ch = NULL;
            return e;
        }
        cc->id = id;
        cc->opened = now;
    }
    *out = cc->ch;
    return HAIL_OK;
}

/* Hands one claimed email to its channel. */
static hail_err send_one(db *d, const char *owner, int64_t id, chan_cache *cache)
{
    email_row row;
    hail_err e = emails_load(d, id, &row);
    if (e)
        return e == HAIL_ENOTFOUND ? HAIL_OK : e; /* cancelled meanwhile */
    sender_info snd = {0};
    channel *ch = NULL;
    email_attachment *att = NULL;
    size_t natt = 0;
    char *html = NULL, *text = NULL, *msg = NULL, *links_text = NULL;
    json_t *links = NULL, *cc = NULL, *bcc = NULL;
    const char **rcpt = NULL, **ccv = NULL;
    mime_attachment *ma = NULL;
    email_recipient rc = {0};
    int64_t now = time_now_us();
    char reply[1024] = "";

    if (!row.lease_owner || strcmp(row.lease_owner, owner) != 0 ||
        strcmp(row.status, "scheduled") != 0)
        goto done;

    /* Checked again: things change between compose and send. */
    send_result res = {0};
    if ((e = check_recipient(d, row.person_id, row.commercial, 1, &rc, &res)))
        goto done;
    if (res.refused) {
        e = fail(d, id, owner, res.refused, res.message);
        goto done;
    }
    int on = 0;
    if ((e = mkto_unsub_enabled(d, &on)))
        goto done;
    if (on && row.commercial) {
        int u = 0;
        hail_err me = mkto_unsub_check(row.to_address, &workers_stop, &u);
        if (me) {
            log_warn("email %lld waits: %s", (long long)id, hail_errmsg());
            e = later(d, id, owner, now + WAIT_US, NULL);
            goto done;
        }
        if (u) {
            e = fail(d, id, owner, SEND_UNSUBSCRIBED, "Marketo says the person unsubscribed");
            goto done;
        }
    }
    int64_t at = 0;
    if ((e = throttle_next(d, row.channel_id, row.to_domain, now, &at)))
        goto done;
    if (at > now) {
        e = later(d, id, owner, at, NULL);
        goto done;
    }

    if ((e = senders_get(d, row.sender_id, &snd))) {
        if (e == HAIL_ENOTFOUND)
            e = fail(d, id, owner, "no_sender", hail_errmsg());
        goto done;
    }
    if ((e = cache_get(d, cache, row.channel_id, &ch))) {
        log_warn("email %lld waits: %s", (long long)id, hail_errmsg());
        e = later(d, id, owner, now + WAIT_US, NULL);
        goto done;
    }
    char mid[512];
    if (row.message_id)
        snprintf(mid, sizeof mid, "%s", row.message_id);
    else if ((e = mime_message_id(id, snd.address, mid, sizeof mid)))
        goto done;
    url_ctx u = {d, id};
    if ((e = mime_track_html(row.body_html, row.commercial, url_cb, &u, &html, &text, &links)))
        goto done;
    char unsub[TRACK_URL_MAX];
    if (row.commercial && (e = track_url(d, 'u', id, 0, unsub, sizeof unsub)))
        goto done;
    if ((e = emails_attachments(d, id, 1, &att, &natt)))
        goto done;
    cc = json_loads(row.cc, 0, NULL);
    bcc = json_loads(row.bcc, 0, NULL);
    size_t ncc = json_array_size(cc), nbcc = json_array_size(bcc);
    rcpt = calloc(1 + ncc + nbcc, sizeof *rcpt);
    ccv = calloc(ncc + 1, sizeof *ccv);
    ma = calloc(natt + 1, sizeof *ma);
    links_text = json_dumps(links, JSON_COMPACT);
    if (!rcpt || !ccv || !ma || !links_text) {
        e = hail_errf(HAIL_ENOMEM, "out of memory");
        goto done;
    }
    size_t nr = 0;
    rcpt[nr++] = row.to_address;
    for (size_t i = 0; i < ncc; i++)
        rcpt[nr++] = ccv[i] = json_string_value(json_array_get(cc, i));
    for (size_t i = 0; i < nbcc; i++)
        rcpt[nr++] = json_string_value(json_array_get(bcc, i));
    for (size_t i = 0; i < natt; i++)
        ma[i] = (mime_attachment){att[i].filename, att[i].content_type, att[i].data, att[i].size};
    mime_msg m = {
        .date_us = now,
        .message_id = mid,
        .in_reply_to = row.in_reply_to,
        .references = row.refs,
        .from_name = snd.display_name,
        .from_address = snd.address,
        .to_name = rc.name,
        .to_address = row.to_address,
        .cc = ccv,
        .ncc = ncc,
        .subject = row.subject,
        .html = html,
        .text = text,
        .unsubscribe_url = row.commercial ? unsub : NULL,
        .att = ma,
        .natt = natt,
    };
    size_t len = 0;
    if ((e = mime_build(&m, &msg, &len)))
        goto done;

    int c = emails_mark_sending(d, id, owner, mid, links_text, now + SENDING_TTL_US, now);
    if (c <= 0) {
        e = c < 0 ? db_fail(d, "emails: sending") : HAIL_OK;
        goto done;
    }
    deliver_req req = {
        .email_id = id,
        .message_id = mid,
        .mail_from = snd.address,
        .rcpt = rcpt,
        .nrcpt = nr,
        .msg = msg,
        .len = len,
    };
    hail_err de = channel_deliver(ch, &req, reply, sizeof reply);
    if (!de) {
        e = record_sent(d, id, owner, reply, time_now_us());
    } else if (de == HAIL_EREMOTE) {
        log_warn("email %lld refused: %s", (long long)id, reply);
        e = fail(d, id, owner, "rejected", reply[0] ? reply : hail_errmsg());
    } else if (de == HAIL_ECANCELLED) {
        /* Stopping: whether it went out is for the reconcile to tell. */
        e = HAIL_OK;
    } else {
        const char *why = reply[0] ? reply : hail_errmsg();
        char keep[1024];
        snprintf(keep, sizeof keep, "%s", why);
        if (row.attempts + 1 >= MAX_ATTEMPTS) {
            log_warn("email %lld failed after %d attempts: %s", (long long)id, MAX_ATTEMPTS, keep);
            e = fail(d, id, owner, "retries_exhausted", keep);
        } else {
            log_info("email %lld: %s; retrying later", (long long)id, keep);
            e = later(d, id, owner, time_now_us() + send_backoff_us(row.attempts + 1), keep);
        }
    }
done:
    free(msg);
    free(html);
    free(text);
    free(links_text);
    free(rcpt);
    free(ccv);
    free(ma);
    json_decref(links);
    json_decref(cc);
    json_decref(bcc);
    email_attachments_free(att, natt);
    sender_info_free(&snd);
    email_recipient_free(&rc);
    email_row_free(&row);
    return e;
}

/* An email found `sending` whose sender is gone: ask its channel. */
static hail_err reconcile_one(db *d, const char *owner, int64_t id)
{
    email_row row;
    hail_err e = emails_load(d, id, &row);
    if (e)
        return e == HAIL_ENOTFOUND ? HAIL_OK : e;
    channel *ch = NULL;
    int state = -1;
    if (!row.message_id) {
        state = 0; /* never built: it cannot have gone out */
    } else if ((e = channel_open(d, row.channel_id, &ch)) ||
               (e = channel_reconcile(ch, id, row.message_id, &state))) {
        log_warn("email %lld: cannot reconcile yet: %s", (long long)id, hail_errmsg());
        emails_lease_take(d, id, owner, owner, time_now_us() + WAIT_US);
        e = HAIL_OK;
        goto out;
    }
    if (state == 1) {
        log_info("email %lld was handed over before a crash: sent", (long long)id);
        e = record_sent(d, id, owner, NULL, time_now_us());
    } else if (state == 0) {
        log_info("email %lld was not handed over before a crash: sending it again", (long long)id);
        e = later(d, id, owner, time_now_us(), NULL);
    } else {
        log_warn("email %lld: whether it went out before a crash is unknown: failed (uncertain)",
                 (long long)id);
        e = fail(d, id, owner, "uncertain",
                 "the sender stopped while handing the email over, and the channel has no "
                 "inbox to look in: check the Sent folder, then retry it if it is not there");
    }
out:
    channel_close(ch);
    email_row_free(&row);
    return e;
}

hail_err send_sweep(db *d, const char *owner)
{
    email_lease *ls = NULL;
    size_t n = 0;
    hail_err e = emails_leased(d, &ls, &n);
    if (e)
        return e;
    int64_t now = time_now_us();
    for (size_t i = 0; i < n && !e; i++) {
        email_lease *l = &ls[i];
        if (!strcmp(l->owner, owner))
            continue;
        int dead = owner_dead(l->owner);
        if (!dead && l->until > now)
            continue;
        if (!strcmp(l->status, "scheduled")) {
            if (emails_lease_drop(d, l->id, l->owner) < 0)
                e = db_fail(d, "emails: drop a lease");
        } else if (!strcmp(l->status, "sending")) {
            int c = emails_lease_take(d, l->id, l->owner, owner, now + SENDING_TTL_US);
            if (c < 0)
                e = db_fail(d, "emails: take a lease");
            else if (c == 1)
                e = reconcile_one(d, owner, l->id);
        }
    }
    free(ls);
    return e;
}

static hail_err pass(db *d, const char *owner, int batch, int sweep, int *done, chan_cache *cc)
{
    *done = 0;
    hail_err e = HAIL_OK;
    if (sweep && (e = send_sweep(d, owner)))
        return e;
    int64_t *ids = calloc((size_t)(batch > 0 ? batch : 1), sizeof *ids);
    if (!ids)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    int n = 0;
    int64_t now = time_now_us();
    int due = emails_due_exists(d, now);
    if (due < 0)
        e = HAIL_EDB;
    else if (due)
        e = lease_claim(d, &emails_due_rows, owner, now, CLAIM_TTL_US, batch, ids, &n);
    for (int i = 0; i < n && !e; i++) {
        e = send_one(d, owner, ids[i], cc);
        if (!e)
            (*done)++;
    }
    if (e) {
        /* Give back what was not handled (one that failed half-way is in
         * whatever state its last commit left). */
        for (int i = *done; i < n; i++)
            emails_lease_drop(d, ids[i], owner);
    }
    free(ids);
    return e;
}

hail_err send_pass(db *d, const char *owner, int batch, int sweep, int *done)
{
    chan_cache cc = {0};
    hail_err e = pass(d, owner, batch, sweep, done, &cc);
    cache_close(&cc);
    return e;
}

/* ---- the workers ---- */

static struct {
    pthread_mutex_t mu;
    pthread_t *threads;
    int n;
    char *target;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *worker_main(void *arg)
{
    (void)arg;
    char owner[LEASE_OWNER_MAX + 1];
    send_owner_id(owner, sizeof owner);
    db *d = NULL;
    chan_cache cc = {0};
    int64_t next_sweep = 0;
    while (!atomic_load(&workers_stop)) {
        if (!d && db_open(W.target, 0, &d)) {
            log_warn("sender: %s", hail_errmsg());
            d = NULL;
            time_sleep_us(US_PER_SEC, &workers_stop);
            continue;
        }
        int64_t mono = time_mono_us();
        int sweep = mono >= next_sweep;
        if (sweep)
            next_sweep = mono + SWEEP_EVERY_US;
        int done = 0;
        hail_err e = pass(d, owner, 4, sweep, &done, &cc);
        if (e) {
            log_warn("sender: %s", hail_errmsg());
            if (db_last_error(d) == DB_ERR_CONNECTION) {
                cache_close(&cc);
                db_close(d);
                d = NULL;
            }
            time_sleep_us(US_PER_SEC, &workers_stop);
        } else if (!done) {
            time_sleep_us(US_PER_SEC / 2, &workers_stop);
        }
    }
    cache_close(&cc);
    db_close(d);
    return NULL;
}

hail_err send_workers_start(const char *target)
{
    mime_init();
    pthread_mutex_lock(&W.mu);
    hail_err e = HAIL_OK;
    int want = settings()->send_workers;
    if (W.threads || want <= 0)
        goto out;
    atomic_store(&workers_stop, 0);
    W.target = strdup(target);
    W.threads = calloc((size_t)want, sizeof *W.threads);
    if (!W.target || !W.threads) {
        free(W.target);
        free(W.threads);
        W.target = NULL;
        W.threads = NULL;
        e = hail_errf(HAIL_ENOMEM, "out of memory");
        goto out;
    }
    for (W.n = 0; W.n < want; W.n++) {
        if (pthread_create(&W.threads[W.n], NULL, worker_main, NULL) != 0) {
            e = hail_errf(HAIL_EIO, "cannot start a sender thread");
            break;
        }
    }
out:
    pthread_mutex_unlock(&W.mu);
    if (e)
        log_error("the sender workers did not start: %s", hail_errmsg());
    if (e && W.threads)
        send_workers_stop();
    return e;
}

void send_workers_stop(void)
{
    pthread_mutex_lock(&W.mu);
    atomic_store(&workers_stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    for (int i = 0; i < W.n; i++)
        pthread_join(W.threads[i], NULL);
    free(W.threads);
    free(W.target);
    W.threads = NULL;
    W.target = NULL;
    W.n = 0;
    pthread_mutex_unlock(&W.mu);
}
