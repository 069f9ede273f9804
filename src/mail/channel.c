#include "core/common.h"

/* Delivery channels: mail/channel.h. */
#include "mail/channel.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/throttle.h"
#include "core/timeutil.h"
#include "mail/imap.h"
#include "mail/seal.h"
#include "net/outbound.h"
#include "store/channels.h"
#include "svc/settings.h"

/* ---- senders ---- */

hail_err senders_get(db *d, int64_t id, sender_info *out)
{
    memset(out, 0, sizeof *out);
    sender_row r;
    hail_err e = senders_row_get(d, id, &r);
    if (e == HAIL_ENOTFOUND)
        return hail_errf(HAIL_ENOTFOUND, "no sender with id %lld", (long long)id);
    if (e)
        return e;
    out->id = r.id;
    out->user_id = r.user_id;
    out->channel_id = r.channel_id;
    out->address = r.address;
    out->display_name = r.display_name;
    out->signature_html = r.signature_html;
    return HAIL_OK;
}

void sender_info_free(sender_info *s)
{
    if (!s)
        return;
    free(s->address);
    free(s->display_name);
    free(s->signature_html);
    memset(s, 0, sizeof *s);
}

/* ---- channels ---- */

struct channel {
    db *d;
    channel_row row;
    char *smtp_password, *imap_password; /* unsealed, NULL when none */
    char *maildir;                       /* DATA/mail/<id> */
    ob_client *ob;                       /* smtp */
};

/* An SMTP connection outlives the channel_open/channel_close of one email:
 * each thread keeps the outbound client (and so its connection) of the last
 * smtp channel it closed, and the next open of the same channel, unchanged
 * since (updated_at), takes it back. The send workers open a channel per
 * email; without this every email would pay a new connection, TLS
 * handshake and AUTH. Freed when the thread exits. */
typedef struct idle_client {
    int64_t id, updated_at;
    ob_client *ob;
} idle_client;

static pthread_key_t idle_key;
static pthread_once_t idle_once = PTHREAD_ONCE_INIT;

static void idle_free(void *p)
{
    idle_client *ic = p;
    if (ic)
        ob_client_free(ic->ob);
    free(ic);
}

static void idle_init(void)
{
    pthread_key_create(&idle_key, idle_free);
}

static ob_client *idle_take(int64_t id, int64_t updated_at)
{
    pthread_once(&idle_once, idle_init);
    idle_client *ic = pthread_getspecific(idle_key);
    if (!ic || !ic->ob || ic->id != id || ic->updated_at != updated_at)
        return NULL;
    ob_client *ob = ic->ob;
    ic->ob = NULL;
    return ob;
}

/* Keeps ob for the thread's next open of the channel (or frees it). */
static void idle_keep(int64_t id, int64_t updated_at, ob_client *ob)
{
    pthread_once(&idle_once, idle_init);
    idle_client *ic = pthread_getspecific(idle_key);
    if (!ic) {
        ic = calloc(1, sizeof *ic);
        if (!ic || pthread_setspecific(idle_key, ic)) {
            free(ic);
            ob_client_free(ob);
            return;
        }
    }
    if (ic->ob != ob)
        ob_client_free(ic->ob);
    *ic = (idle_client){id, updated_at, ob};
}

static hail_err unseal(db *d, const ch_endpoint *ep, char **out)
{
    *out = NULL;
    if (!ep->password)
        return HAIL_OK;
    return seal_open(d, ep->password, ep->password_len, out);
}

hail_err channel_open(db *d, int64_t id, channel **out)
{
    *out = NULL;
    channel *c = calloc(1, sizeof *c);
    if (!c)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    c->d = d;
    hail_err e = channels_get(d, id, &c->row);
    if (e == HAIL_ENOTFOUND)
        e = hail_errf(HAIL_ENOTFOUND, "no channel with id %lld", (long long)id);
    if (e) {
        free(c);
        return e;
    }
    if ((e = unseal(d, &c->row.smtp, &c->smtp_password)) ||
        (e = unseal(d, &c->row.imap, &c->imap_password)))
        goto fail;
    if (!strcmp(c->row.kind, "maildir")) {
        size_t n = strlen(settings()->data_dir) + 48;
        if (!(c->maildir = malloc(n))) {
            e = hail_errf(HAIL_ENOMEM, "out of memory");
            goto fail;
        }
        snprintf(c->maildir, n, "%s/mail/%lld", settings()->data_dir, (long long)c->row.id);
    } else {
        if (!c->row.smtp.host) {
            e = hail_errf(HAIL_EINVAL, "channel %lld has no SMTP server", (long long)id);
            goto fail;
        }
        char service[600], lname[64];
        snprintf(service, sizeof service, "SMTP server %s:%d", c->row.smtp.host, c->row.smtp.port);
        snprintf(lname, sizeof lname, "smtp:%lld", (long long)c->row.id);
        ob_limiter *l = NULL;
        if ((e = ob_limiter_get(lname, 0, 0, 0, &l)))
            goto fail;
        ob_opts o = {.service = service, .timeout_ms = 120000, .limiter = l};
        if (!(c->ob = idle_take(c->row.id, c->row.updated_at)) && (e = ob_client_new(&o, &c->ob)))
            goto fail;
    }
    *out = c;
    return HAIL_OK;
fail:
    channel_close(c);
    return e;
}

void channel_close(channel *c)
{
    if (!c)
        return;
    seal_free(c->smtp_password);
    seal_free(c->imap_password);
    free(c->maildir);
    if (c->ob)
        idle_keep(c->row.id, c->row.updated_at, c->ob);
    channel_row_free(&c->row);
    free(c);
}

int64_t channel_id(const channel *c)
{
    return c->row.id;
}

const char *channel_kind(const channel *c)
{
    return c->row.kind;
}

/* ---- maildir ---- */

static hail_err mkdir_p(const char *path)
{
    char p[4200];
    size_t n = strlen(path);
    if (n >= sizeof p)
        return hail_errf(HAIL_EIO, "path too long: %s", path);
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char ch = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) && errno != EEXIST)
            return hail_errf(HAIL_EIO, "cannot create %s: %s", p, strerror(errno));
        p[i] = ch;
    }
    return HAIL_OK;
}

static hail_err maildir_prepare(channel *c)
{
    static const char *const sub[] = {"tmp", "new", "cur"};
    char p[4200];
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", c->maildir, sub[i]);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            continue;
        hail_err e = mkdir_p(p);
        if (e)
            return e;
    }
    return HAIL_OK;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The message as a maildir file holds it: a Return-Path line first, and
 * line ends LF (maildir files are in the local convention). */
static hail_err maildir_content(const deliver_req *r, buf *b)
{
    if (buf_printf(b, "Return-Path: <%s>\n", r->mail_from ? r->mail_from : ""))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    size_t start = 0;
    for (size_t i = 0; i < r->len; i++) {
        if (r->msg[i] == '\r' && i + 1 < r->len && r->msg[i + 1] == '\n') {
            if (buf_append(b, r->msg + start, i - start))
                return hail_errf(HAIL_ENOMEM, "out of memory");
            start = i + 1;
        }
    }
    if (buf_append(b, r->msg + start, r->len - start))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    return HAIL_OK;
}

static hail_err fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hail_errf(HAIL_EIO, "cannot open %s: %s", path, strerror(errno));
    int rc = fsync(fd);
    close(fd);
    if (rc)
        return hail_errf(HAIL_EIO, "cannot sync %s: %s", path, strerror(errno));
    return HAIL_OK;
}

static hail_err maildir_deliver(channel *c, const deliver_req *r, char *reply, size_t reply_n)
{
    hail_err e = maildir_prepare(c);
    if (e)
        return e;
    char tmp[4300], dst[4300], dir[4250];
    snprintf(tmp, sizeof tmp, "%s/tmp/hail.%lld.%ld.%08x", c->maildir, (long long)r->email_id,
             (long)getpid(), randombytes_random());
    snprintf(dst, sizeof dst, "%s/new/hail.%lld", c->maildir, (long long)r->email_id);
    snprintf(dir, sizeof dir, "%s/new", c->maildir);
    buf b;
    buf_init(&b, r->len + 2048);
    if ((e = maildir_content(r, &b))) {
        buf_release(&b);
        return e;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        buf_release(&b);
        return hail_errf(HAIL_EIO, "cannot create %s: %s", tmp, strerror(errno));
    }
    int bad = write_all(fd, b.data, b.len) || fsync(fd);
    int err = errno;
    bad |= close(fd) != 0;
    buf_release(&b);
    if (bad) {
        unlink(tmp);
        return hail_errf(HAIL_EIO, "cannot write %s: %s", tmp, strerror(err));
    }
    /* The rename is the delivery: before it nothing is in new/, after it the
     * whole message is (a repeat replaces the same name: never two). */
    if (rename(tmp, dst)) {
        err = errno;
        unlink(tmp);
        return hail_errf(HAIL_EIO, "cannot move the message into %s: %s", dir, strerror(err));
    }
    if ((e = fsync_dir(dir)))
        return e;
    if (reply && reply_n)
        snprintf(reply, reply_n, "delivered to %s", dst);
    return HAIL_OK;
}

/* Whether name is the file of email id: "hail.<id>" in new/, "hail.<id>"
 * or "hail.<id>:2,<flags>" in cur/ (a mail client moves read mail there). */
static int is_file_of(const char *name, const char *base)
{
    size_t n = strlen(base);
    return !strncmp(name, base, n) && (name[n] == '\0' || name[n] == ':');
}

static int dir_has(const char *dir, const char *base, int *found)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return errno == ENOENT ? 0 : -1;
    struct dirent *de;
    while ((de = readdir(dh)))
        if (is_file_of(de->d_name, base)) {
            *found = 1;
            break;
        }
    closedir(dh);
    return 0;
}

/* Leftovers of an interrupted write of email id in tmp/ are removed. */
static void tmp_clean(const char *dir, int64_t email_id)
{
    char prefix[64];
    int n = snprintf(prefix, sizeof prefix, "hail.%lld.", (long long)email_id);
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *de;
    while ((de = readdir(dh)))
        if (!strncmp(de->d_name, prefix, (size_t)n))
            unlinkat(dirfd(dh), de->d_name, 0);
    closedir(dh);
}

static hail_err maildir_reconcile(channel *c, int64_t email_id, int *state)
{
    char base[64], p[4300];
    snprintf(base, sizeof base, "hail.%lld", (long long)email_id);
    snprintf(p, sizeof p, "%s/new/%s", c->maildir, base);
    struct stat sb;
    int found = stat(p, &sb) == 0;
    if (!found) {
        snprintf(p, sizeof p, "%s/cur", c->maildir);
        if (dir_has(p, base, &found))
            return hail_errf(HAIL_EIO, "cannot read %s: %s", p, strerror(errno));
    }
    snprintf(p, sizeof p, "%s/tmp", c->maildir);
    tmp_clean(p, email_id);
    *state = found;
    return HAIL_OK;
}

/* ---- smtp ---- */

typedef struct upload {
    const char *p;
    size_t left;
} upload;

static size_t on_read(char *dst, size_t size, size_t nmemb, void *ud)
{
    upload *u = ud;
    size_t n = size * nmemb;
    if (n > u->left)
        n = u->left;
    memcpy(dst, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/* The channel's SMTP status in the store: written when it changes, and
 * while it stays ok at most every STATUS_REFRESH_US (checked_at says when it
 * was last seen working) — not a write per email. Never inside the
 * caller's transaction. */
#define STATUS_REFRESH_US (INT64_C(60) * US_PER_SEC)

static void smtp_status(channel *c, int ok, const char *error)
{
    int state = ok ? 1 : 2;
    int64_t now = time_now_us();
    if (ok && c->row.smtp_state == state && now - c->row.smtp_checked_at < STATUS_REFRESH_US)
        return;
    if (db_in_tx(c->d))
        return;
    if (channels_set_smtp_status(c->d, c->row.id, ok ? "ok" : "error", ok ? NULL : error, now))
        log_warn("channel %lld: cannot record its SMTP status: %s", (long long)c->row.id,
                 hail_errmsg());
    c->row.smtp_state = state;
    c->row.smtp_checked_at = now;
}

static hail_err smtp_deliver(channel *c, const deliver_req *r, char *reply, size_t reply_n)
{
    const ch_endpoint *ep = &c->row.smtp;
    const char *tls = ep->tls ? ep->tls : "starttls";
    char url[600], from[1100];
    int ipv6 = strchr(ep->host, ':') != NULL;
    snprintf(url, sizeof url, "%s://%s%s%s:%d", !strcmp(tls, "tls") ? "smtps" : "smtp",
             ipv6 ? "[" : "", ep->host, ipv6 ? "]" : "", ep->port);
    snprintf(from, sizeof from, "<%s>", r->mail_from ? r->mail_from : "");
    struct curl_slist *rcpt = NULL;
    char tmp[1100];
    for (size_t i = 0; i < r->nrcpt; i++) {
        snprintf(tmp, sizeof tmp, "<%s>", r->rcpt[i]);
        struct curl_slist *n = curl_slist_append(rcpt, tmp);
        if (!n) {
            curl_slist_free_all(rcpt);
            return hail_errf(HAIL_ENOMEM, "out of memory");
        }
        rcpt = n;
    }
    upload u = {r->msg, r->len};
    CURL *h = ob_easy(c->ob);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (!strcmp(tls, "starttls"))
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    else if (!strcmp(tls, "none"))
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
    if (ep->username && *ep->username) {
        curl_easy_setopt(h, CURLOPT_USERNAME, ep->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->smtp_password ? c->smtp_password : "");
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->len);
    hail_err e = ob_perform(c->ob);
    /* The handle keeps the connection for the next message; the list goes now. */
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(rcpt);
    if (reply && reply_n)
        snprintf(reply, reply_n, "%s", e ? ob_error_text(c->ob) : ob_reply(c->ob));
    if (e == HAIL_OK || e == HAIL_EREMOTE || e == HAIL_EUNAVAIL) {
        /* A refused recipient or message is the message's fault, not the
         * server's; a refused login (53x) or no answer at all is the channel's. */
        long code = ob_status(c->ob);
        int server_ok = e == HAIL_OK || (code >= 400 && code < 600 && code / 10 != 53);
        char msg[600];
        snprintf(msg, sizeof msg, "%s", e ? hail_errmsg() : "");
        smtp_status(c, server_ok, msg);
        if (e)
            hail_errf(e, "%s", msg);
    }
    return e;
}

hail_err channel_deliver(channel *c, const deliver_req *r, char *reply, size_t reply_n)
{
    if (reply && reply_n)
        reply[0] = '\0';
    if (c->maildir)
        return maildir_deliver(c, r, reply, reply_n);
    if (!r->nrcpt)
        return hail_errf(HAIL_EINVAL, "a message needs at least one recipient");
    return smtp_deliver(c, r, reply, reply_n);
}

hail_err channel_reconcile(channel *c, int64_t email_id, const char *message_id, int *state)
{
    *state = -1;
    if (c->maildir)
        return maildir_reconcile(c, email_id, state);
    const ch_endpoint *ep = &c->row.imap;
    if (!ep->host || !message_id || !*message_id)
        return HAIL_OK; /* cannot tell: the email fails as `uncertain` */
    imap_cfg cfg = {
        .host = ep->host,
        .port = ep->port,
        .tls = ep->tls ? ep->tls : "tls",
        .username = ep->username,
        .password = c->imap_password,
    };
    int found = 0;
    hail_err e = imap_find_message_id(
        &cfg, ep->sent_folder && *ep->sent_folder ? ep->sent_folder : "Sent", message_id, &found);
    if (e)
        return e;
    *state = found ? 1 : 0;
    return HAIL_OK;
}

/* ---- throttles and blocked domains ---- */

hail_err throttle_next(db *d, int64_t channel_id, const char *domain, int64_t now, int64_t *at)
{
    *at = 0;
    channel_row row;
    hail_err e = channels_get(d, channel_id, &row);
    if (e == HAIL_ENOTFOUND)
        return hail_errf(HAIL_ENOTFOUND, "no channel with id %lld", (long long)channel_id);
    if (e)
        return e;
    throttle_rule rules[4] = {
        {.limit = row.per_minute, .window_us = 60 * US_PER_SEC},
        {.limit = row.per_hour, .window_us = 3600 * US_PER_SEC},
        {.limit = row.per_day, .window_us = 86400 * US_PER_SEC},
        {.limit = domain ? row.per_domain_per_hour : 0, .window_us = 3600 * US_PER_SEC},
    };
    channel_row_free(&row);
    for (size_t i = 0; i < 4 && !e; i++) {
        throttle_rule *r = &rules[i];
        if (r->limit <= 0)
            continue;
        const char *dom = i == 3 ? domain : NULL;
        int64_t since = now - r->window_us;
        if ((e = channels_sent_count(d, channel_id, dom, since, &r->count)))
            break;
        if (throttle_rule_full(r))
            e = channels_sent_at_offset(d, channel_id, dom, since,
                                        throttle_kth_offset(r->count, r->limit), &r->kth_at);
    }
    if (!e)
        *at = throttle_at(rules, 4, now);
    return e;
}

hail_err domain_blocked(db *d, const char *domain, int *blocked)
{
    *blocked = 0;
    char low[256];
    size_t n = strlen(domain);
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)domain[i]);
    low[n] = '\0';
    /* The domain, then each parent: a.b.example.com, b.example.com, … */
    for (const char *p = low; p && *p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
        hail_err e = blocked_domains_has(d, p, blocked);
        if (e || *blocked)
            return e;
    }
    return HAIL_OK;
}
