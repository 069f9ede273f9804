#include "core/common.h"

/* The delivery configuration service: mail/delivery.h. */
#include "mail/delivery.h"

#include <sodium.h>

#include "core/timeutil.h"
#include "mail/channel.h"
#include "mail/seal.h"
#include "store/channels.h"
#include "store/users.h"

/* Commits after a change and the read of its reply, or rolls back. */
static hail_err finish(db *d, hail_err e, json_t **out)
{
    if (e) {
        db_rollback(d);
        if (out) {
            json_decref(*out);
            *out = NULL;
        }
        return e;
    }
    if ((e = db_commit(d)) && out) {
        json_decref(*out);
        *out = NULL;
    }
    return e;
}

/* ---- channels ---- */

static hail_err no_channel(int64_t id)
{
    return hail_errf(HAIL_ENOTFOUND, "no channel with id %lld", (long long)id);
}

hail_err delivery_channel_page(db *d, int64_t after_id, int limit, json_t **out, int64_t *next)
{
    return channels_page_json(d, after_id, limit, out, next);
}

hail_err delivery_channel_get(db *d, int64_t id, json_t **out)
{
    hail_err e = channels_json(d, id, out);
    return e == HAIL_ENOTFOUND ? no_channel(id) : e;
}

static hail_err set_str(char **dst, const char *v)
{
    char *n = v ? strdup(v) : NULL;
    if (v && !n)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    free(*dst);
    *dst = n;
    return HAIL_OK;
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* A host name or an IP address: letters, digits, '.', '-' (and ':' for
 * IPv6), no dot or dash at the ends. */
static int host_ok(const char *h)
{
    size_t n = strlen(h);
    if (!n || n > 253 || h[0] == '.' || h[0] == '-' || h[n - 1] == '-')
        return 0;
    int colon = strchr(h, ':') != NULL;
    for (const char *p = h; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (!(isalnum(ch) || ch == '.' || ch == '-' || (colon && ch == ':')))
            return 0;
    }
    return 1;
}

/* Applies the members of an smtp or imap object to ep; *server_changed
 * when where it connects (host, port, TLS, user, folder) changed. */
static hail_err apply_endpoint(db *d, const char *what, json_t *o, ch_endpoint *ep, int imap,
                               int *server_changed)
{
    hail_err e = HAIL_OK;
    json_t *v;
    const char *host = json_string_value(json_object_get(o, "host"));
    if (host) {
        if (!host_ok(host))
            return hail_errf(HAIL_EINVAL, "%s.host '%s' is not a host name or IP address", what,
                             host);
        *server_changed |= !same(ep->host, host);
        if ((e = set_str(&ep->host, host)))
            return e;
    } else if (!ep->host) {
        return hail_errf(HAIL_EINVAL, "%s.host is required", what);
    }
    const char *tls = json_string_value(json_object_get(o, "tls"));
    if (tls) {
        *server_changed |= !same(ep->tls, tls);
        if ((e = set_str(&ep->tls, tls)))
            return e;
    } else if (!ep->tls && (e = set_str(&ep->tls, imap ? "tls" : "starttls"))) {
        return e;
    }
    if ((v = json_object_get(o, "port")) && json_is_integer(v)) {
        *server_changed |= ep->port != (int)json_integer_value(v);
        ep->port = (int)json_integer_value(v);
    } else if (ep->port <= 0 || (tls && !json_object_get(o, "port") && *server_changed)) {
        /* The usual port of the TLS mode, unless one was given. */
        int is_tls = !strcmp(ep->tls, "tls");
        ep->port = imap ? (is_tls ? 993 : 143)
                        : (is_tls                     ? 465
                           : !strcmp(ep->tls, "none") ? 25
                                                      : 587);
    }
    if ((v = json_object_get(o, "username"))) {
        const char *u = json_string_value(v);
        if (u && !*u)
            u = NULL;
        *server_changed |= !same(ep->username, u);
        if ((e = set_str(&ep->username, u)))
            return e;
    }
    if ((v = json_object_get(o, "password"))) {
        const char *p = json_string_value(v);
        if (ep->password)
            memset(ep->password, 0, ep->password_len);
        free(ep->password);
        ep->password = NULL;
        ep->password_len = 0;
        if (p && *p && (e = seal_password(d, p, strlen(p), &ep->password, &ep->password_len)))
            return e;
    }
    if (imap) {
        const char *f = json_string_value(json_object_get(o, "folder"));
        if (f) {
            *server_changed |= !same(ep->folder, f);
            if ((e = set_str(&ep->folder, f)))
                return e;
        } else if (!ep->folder && (e = set_str(&ep->folder, "INBOX"))) {
            return e;
        }
        const char *sf = json_string_value(json_object_get(o, "sent_folder"));
        if (sf) {
            if ((e = set_str(&ep->sent_folder, sf)))
                return e;
        } else if (!ep->sent_folder && (e = set_str(&ep->sent_folder, "Sent"))) {
            return e;
        }
    }
    return HAIL_OK;
}

static void endpoint_clear(ch_endpoint *ep)
{
    free(ep->host);
    free(ep->tls);
    free(ep->username);
    if (ep->password)
        memset(ep->password, 0, ep->password_len);
    free(ep->password);
    free(ep->folder);
    free(ep->sent_folder);
    memset(ep, 0, sizeof *ep);
}

/* Applies body to r (a new channel: all zero), checking the result. */
static hail_err apply_channel(db *d, json_t *body, channel_row *r, int *reset_smtp, int *reset_imap)
{
    hail_err e;
    json_t *v;
    const char *name = json_string_value(json_object_get(body, "name"));
    if (name && (e = set_str(&r->name, name)))
        return e;
    const char *kind = json_string_value(json_object_get(body, "kind"));
    if (kind && (e = set_str(&r->kind, kind)))
        return e;
    v = json_object_get(body, "smtp");
    if (json_is_object(v)) {
        if (!strcmp(r->kind, "maildir"))
            return hail_errf(HAIL_EINVAL, "a maildir channel has no SMTP server: leave smtp out "
                                          "or make kind smtp");
        if ((e = apply_endpoint(d, "smtp", v, &r->smtp, 0, reset_smtp)))
            return e;
    }
    if (!strcmp(r->kind, "maildir") && r->smtp.host) {
        endpoint_clear(&r->smtp);
        *reset_smtp = 1;
    }
    if (!strcmp(r->kind, "smtp") && !r->smtp.host)
        return hail_errf(HAIL_EINVAL, "an smtp channel needs smtp: {host, port, tls}");
    v = json_object_get(body, "imap");
    if (json_is_object(v)) {
        if ((e = apply_endpoint(d, "imap", v, &r->imap, 1, reset_imap)))
            return e;
    } else if (v && json_is_null(v) && r->imap.host) {
        endpoint_clear(&r->imap);
        *reset_imap = 1;
    }
    json_t *t = json_object_get(body, "throttles");
    if (json_is_object(t)) {
        static const char *const keys[] = {"per_minute", "per_hour", "per_day",
                                           "per_domain_per_hour"};
        int64_t *dst[] = {&r->per_minute, &r->per_hour, &r->per_day, &r->per_domain_per_hour};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            if ((v = json_object_get(t, keys[i])))
                *dst[i] = json_is_integer(v) ? json_integer_value(v) : 0;
    }
    return HAIL_OK;
}

static hail_err save_channel(db *d, channel_row *r, int reset_smtp, int reset_imap, json_t **out)
{
    int64_t id = 0;
    hail_err e = channels_save(d, r, reset_smtp, reset_imap, time_now_us(), &id);
    if (e == HAIL_EEXIST)
        return hail_errf(HAIL_EEXIST, "a channel named '%s' already exists", r->name);
    if (e == HAIL_ENOTFOUND)
        return no_channel(r->id);
    if (e)
        return e;
    return channels_json(d, id, out);
}

hail_err delivery_channel_create(db *d, json_t *body, json_t **out)
{
    *out = NULL;
    hail_err e = db_begin(d);
    if (e)
        return e;
    channel_row r = {0};
    int rs = 0, ri = 0;
    if (!(e = apply_channel(d, body, &r, &rs, &ri)))
        e = save_channel(d, &r, 0, 0, out);
    channel_row_free(&r);
    return finish(d, e, out);
}

hail_err delivery_channel_update(db *d, int64_t id, json_t *body, json_t **out)
{
    *out = NULL;
    hail_err e = db_begin(d);
    if (e)
        return e;
    channel_row r;
    if ((e = channels_get(d, id, &r)))
        return finish(d, e == HAIL_ENOTFOUND ? no_channel(id) : e, out);
    int rs = 0, ri = 0;
    if (!(e = apply_channel(d, body, &r, &rs, &ri)))
        e = save_channel(d, &r, rs, ri, out);
    channel_row_free(&r);
    return finish(d, e, out);
}

hail_err delivery_channel_delete(db *d, int64_t id)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    channel_row r;
    int64_t senders = 0, emails = 0;
    if ((e = channels_get(d, id, &r)))
        return finish(d, e == HAIL_ENOTFOUND ? no_channel(id) : e, NULL);
    int dflt = r.is_default;
    channel_row_free(&r);
    if (dflt)
        e = hail_errf(HAIL_EEXIST, "the default channel cannot be deleted");
    else if (!(e = channels_usage(d, id, &senders, &emails)) && senders)
        e = hail_errf(HAIL_EEXIST,
                      "channel %lld has %lld sender%s: move %s to another channel first",
                      (long long)id, (long long)senders, senders == 1 ? "" : "s",
                      senders == 1 ? "it" : "them");
    else if (!e && emails)
        e = hail_errf(HAIL_EEXIST, "channel %lld has sent email (%lld): it stays for their history",
                      (long long)id, (long long)emails);
    if (!e)
        e = channels_delete(d, id);
    return finish(d, e == HAIL_ENOTFOUND ? no_channel(id) : e, NULL);
}

/* ---- senders ---- */

static hail_err no_sender(int64_t id)
{
    return hail_errf(HAIL_ENOTFOUND, "no sender with id %lld", (long long)id);
}

hail_err delivery_sender_page(db *d, int64_t user_filter, int64_t after_id, int limit, json_t **out,
                              int64_t *next)
{
    return senders_page_json(d, user_filter, after_id, limit, out, next);
}

/* The sender id as the caller may see it: HAIL_ENOTFOUND for another user's
 * to a non-admin. */
static hail_err visible_sender(db *d, const delivery_caller *c, int64_t id, sender_row *s)
{
    hail_err e = senders_row_get(d, id, s);
    if (!e && !c->admin && s->user_id != c->user_id) {
        sender_row_free(s);
        e = HAIL_ENOTFOUND;
    }
    return e == HAIL_ENOTFOUND ? no_sender(id) : e;
}

hail_err delivery_sender_get(db *d, const delivery_caller *c, int64_t id, json_t **out)
{
    *out = NULL;
    sender_row s;
    hail_err e = visible_sender(d, c, id, &s);
    if (e)
        return e;
    sender_row_free(&s);
    e = senders_json(d, id, out);
    return e == HAIL_ENOTFOUND ? no_sender(id) : e;
}

static hail_err default_channel(db *d, int64_t *id)
{
    hail_err e = channels_default_id(d, id);
    if (!e && !*id)
        e = hail_errf(HAIL_EINVAL, "there is no default channel: give channel_id");
    return e;
}

/* Applies body to s, checking the user and the channel it names. */
static hail_err apply_sender(db *d, const delivery_caller *c, json_t *body, sender_row *s)
{
    hail_err e;
    json_t *v;
    if ((v = json_object_get(body, "user_id")) && json_is_integer(v)) {
        int64_t uid = json_integer_value(v);
        if (uid != c->user_id && !c->admin)
            return hail_errf(HAIL_EFORBIDDEN, "only admins may manage another user's senders");
        user u;
        if ((e = users_get(d, uid, &u)))
            return e == HAIL_ENOTFOUND
                       ? hail_errf(HAIL_EINVAL, "user_id: no user with id %lld", (long long)uid)
                       : e;
        s->user_id = uid;
    }
    if ((v = json_object_get(body, "channel_id")) && json_is_integer(v)) {
        int64_t ch = json_integer_value(v);
        channel_row r;
        if ((e = channels_get(d, ch, &r)))
            return e == HAIL_ENOTFOUND
                       ? hail_errf(HAIL_EINVAL, "channel_id: no channel with id %lld",
                                   (long long)ch)
                       : e;
        channel_row_free(&r);
        s->channel_id = ch;
    } else if (!s->channel_id && (e = default_channel(d, &s->channel_id))) {
        return e;
    }
    const char *a = json_string_value(json_object_get(body, "address"));
    if (a && (e = set_str(&s->address, a)))
        return e;
    const char *n = json_string_value(json_object_get(body, "display_name"));
    if (n && (e = set_str(&s->display_name, n)))
        return e;
    const char *sig = json_string_value(json_object_get(body, "signature_html"));
    if (sig && (e = set_str(&s->signature_html, sig)))
        return e;
    if (!s->signature_html && (e = set_str(&s->signature_html, "")))
        return e;
    return HAIL_OK;
}

static hail_err save_sender(db *d, sender_row *s, json_t **out)
{
    int64_t id = 0;
    hail_err e = senders_save(d, s, time_now_us(), &id);
    if (e == HAIL_EEXIST)
        return hail_errf(HAIL_EEXIST, "user %lld already has the sender %s", (long long)s->user_id,
                         s->address);
    if (e == HAIL_ENOTFOUND)
        return no_sender(s->id);
    if (e)
        return e;
    return senders_json(d, id, out);
}

hail_err delivery_sender_create(db *d, const delivery_caller *c, json_t *body, json_t **out)
{
    *out = NULL;
    hail_err e = db_begin(d);
    if (e)
        return e;
    sender_row s = {.user_id = c->user_id};
    if (!(e = apply_sender(d, c, body, &s)))
        e = save_sender(d, &s, out);
    sender_row_free(&s);
    return finish(d, e, out);
}

hail_err delivery_sender_update(db *d, const delivery_caller *c, int64_t id, json_t *body,
                                json_t **out)
{
    *out = NULL;
    hail_err e = db_begin(d);
    if (e)
        return e;
    sender_row s;
    if ((e = visible_sender(d, c, id, &s)))
        return finish(d, e, out);
    if (!(e = apply_sender(d, c, body, &s)))
        e = save_sender(d, &s, out);
    sender_row_free(&s);
    return finish(d, e, out);
}

hail_err delivery_sender_delete(db *d, const delivery_caller *c, int64_t id)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    sender_row s;
    if ((e = visible_sender(d, c, id, &s)))
        return finish(d, e, NULL);
    sender_row_free(&s);
    int64_t n = 0;
    if (!(e = senders_email_count(d, id, &n)) && n)
        e = hail_errf(HAIL_EEXIST, "sender %lld has email (%lld): it stays for their history",
                      (long long)id, (long long)n);
    if (!e && !(e = senders_campaign_count(d, id, &n)) && n)
        e = hail_errf(HAIL_EEXIST,
                      "sender %lld sends for %lld campaign%s: choose another sender there first",
                      (long long)id, (long long)n, n == 1 ? "" : "s");
    if (!e && (e = senders_delete(d, id)) == HAIL_ENOTFOUND)
        e = no_sender(id);
    return finish(d, e, NULL);
}

/* ---- blocked domains ---- */

/* The domain in lower case, checked: labels of letters, digits and '-'
 * (not at their ends), 1 to 63 characters, 253 in all. */
static hail_err domain_norm(const char *in, char out[256])
{
    size_t n = strlen(in);
    int ok = n > 0 && n <= 253;
    size_t label = 0;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == '.') {
            ok = label > 0 && in[i - 1] != '-';
            label = 0;
        } else {
            ok = (isalnum(ch) || (ch == '-' && label > 0)) && ++label <= 63;
        }
        out[i] = (char)tolower(ch);
    }
    ok = ok && label > 0 && in[n - 1] != '-';
    if (!ok)
        return hail_errf(HAIL_EINVAL,
                         "'%.253s' is not a domain name such as example.com (non-ASCII names "
                         "in their xn-- form)",
                         in);
    out[n] = '\0';
    return HAIL_OK;
}

hail_err delivery_blocked_page(db *d, const char *after, int limit, json_t **out, char **next)
{
    return blocked_domains_page_json(d, after, limit, out, next);
}

hail_err delivery_blocked_add(db *d, const delivery_caller *c, const char *domain, json_t **out)
{
    *out = NULL;
    char dom[256];
    hail_err e = domain_norm(domain, dom);
    if (e)
        return e;
    if ((e = db_begin(d)))
        return e;
    e = blocked_domains_add(d, dom, c->user_id, time_now_us());
    if (e == HAIL_EEXIST)
        e = hail_errf(HAIL_EEXIST, "%s is already blocked", dom);
    if (!e)
        e = blocked_domains_json(d, dom, out);
    return finish(d, e, out);
}

hail_err delivery_blocked_remove(db *d, const char *domain)
{
    char dom[256];
    hail_err e = domain_norm(domain, dom);
    if (e)
        return e == HAIL_EINVAL ? hail_errf(HAIL_ENOTFOUND, "%.253s is not blocked", domain) : e;
    e = blocked_domains_remove(d, dom);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(HAIL_ENOTFOUND, "%s is not blocked", dom);
    return e;
}

/* ---- a test message ---- */

hail_err delivery_channel_test(db *d, int64_t id, const char *from, const char *to, json_t **out)
{
    *out = NULL;
    channel *c = NULL;
    hail_err e = channel_open(d, id, &c);
    if (e)
        return e;
    if (!strcmp(channel_kind(c), "maildir")) {
        channel_close(c);
        return hail_errf(HAIL_EINVAL, "a maildir channel needs no test: it writes files");
    }
    const char *at = strrchr(from, '@');
    char mid[160], date[64], *msg = NULL;
    snprintf(mid, sizeof mid, "<hail.test.%08x%08x@%s>", randombytes_random(), randombytes_random(),
             at ? at + 1 : "localhost");
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    int n = asprintf(&msg,
                     "From: <%s>\r\nTo: <%s>\r\nSubject: hail test message\r\nDate: %s\r\n"
                     "Message-ID: %s\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                     "This is a test message from hail: delivery channel %lld works.\r\n",
                     from, to, date, mid, (long long)id);
    if (n < 0) {
        channel_close(c);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    const char *rcpt[] = {to};
    deliver_req r = {.message_id = mid,
                     .mail_from = from,
                     .rcpt = rcpt,
                     .nrcpt = 1,
                     .msg = msg,
                     .len = (size_t)n};
    char reply[1024];
    e = channel_deliver(c, &r, reply, sizeof reply);
    char why[600];
    snprintf(why, sizeof why, "%s", e ? hail_errmsg() : "");
    channel_close(c);
    free(msg);
    if (e && e != HAIL_EREMOTE && e != HAIL_EUNAVAIL)
        return e;
    *out =
        json_pack("{s:b,s:b,s:s,s:s,s:o}", "delivered", !e, "transient", e == HAIL_EUNAVAIL,
                  "reply", reply, "message_id", mid, "error", e ? json_string(why) : json_null());
    return *out ? HAIL_OK : hail_errf(HAIL_ENOMEM, "out of memory");
}
