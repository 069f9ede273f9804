#include "core/common.h"

/* The recipients' side of sales email (docs/mail.md, "Tracking" and
 * "Unsubscribes"): the open pixel, the click redirect and the unsubscribe
 * page. Anonymous but for the token in the path, which is checked first: a
 * bad or forged token is a 404 and nothing is recorded. Opens and clicks go
 * to the hit writer (mail/track.h); the reply waits, holding no thread, until
 * the hit is committed. */
#include "api/api.h"

#include "auth/auth.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "mail/track.h"
#include "mail/unsub.h"

/* A transparent 1×1 GIF, 43 bytes. */
static const unsigned char pixel[43] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

/* The unsubscribe page: no script, no style, a form that posts to itself. */
static const char page_csp[] = "default-src 'none'; form-action 'self'; frame-ancestors 'none'";

static void no_such_link(http_req *r)
{
    http_reply_error(r, 404, "not_found", "no such link");
}

/* The token of the path's kind, or 0 after a 404. */
static int64_t token_email(http_req *r, db *d, char kind, int *link)
{
    unsigned char key[TRACK_KEY_BYTES];
    int64_t id = 0;
    hail_err e = track_key(d, key);
    if (e) {
        http_reply_err(r, e);
        return 0;
    }
    if (r->nparams < 1 || !track_token_check(key, kind, r->param[0], &id, link)) {
        no_such_link(r);
        id = 0;
    }
    return id;
}

/* The reply, once the writer has the hit. */
static void hit_finish(http_req *r, void *arg)
{
    track_hit *h = arg;
    switch (h->result) {
    case TRACK_RECORDED:
    case TRACK_IGNORED:
        if (h->kind == 'o') {
            http_reply_raw(r, 200, "image/gif", (const char *)pixel, sizeof pixel);
        } else {
            http_add_header(r, "Location", h->location);
            http_reply_raw(r, 302, "text/plain; charset=utf-8", "", 0);
        }
        break;
    case TRACK_NOT_FOUND:
        no_such_link(r);
        break;
    default:
        http_add_header(r, "Retry-After", "1");
        http_reply_error(r, 503, "unavailable", "the database is busy; try again in a moment");
        break;
    }
    free(h);
}

static void hit_done(track_hit *h)
{
    http_resume(h->arg);
}

static void track_hit_route(http_req *r, char kind)
{
    db *d = api_db(r);
    if (!d)
        return;
    int link = 0;
    int64_t email_id = token_email(r, d, kind, &link);
    if (!email_id)
        return;
    track_hit *h = calloc(1, sizeof *h);
    if (!h) {
        http_reply_err(r, HAIL_ENOMEM);
        return;
    }
    h->kind = kind;
    h->email_id = email_id;
    h->link = link;
    h->head = !strcmp(r->method, "HEAD");
    h->at = time_now_us();
    const char *ua = http_header(r, "User-Agent");
    snprintf(h->user_agent, sizeof h->user_agent, "%s", ua ? ua : "");
    auth_client_address(r->client, http_header(r, "X-Forwarded-For"), h->client, sizeof h->client);
    /* The sender's own browser (signed in to hail) is not a recipient. */
    const char *cookie = http_cookie(r, AUTH_SESSION_COOKIE);
    if (cookie) {
        user u;
        char csrf[64];
        int64_t exp;
        if (auth_session(d, cookie, &u, csrf, &exp) == HAIL_OK)
            h->viewer_id = u.id;
    }
    h->done = hit_done;
    h->arg = r;
    http_defer(r, hit_finish, h);
    if (track_submit(h)) {
        h->result = TRACK_FAILED;
        http_resume(r);
    }
}

void api_track_open(http_req *r)
{
    track_hit_route(r, 'o');
}

void api_track_click(http_req *r)
{
    track_hit_route(r, 'c');
}

/* ---- the unsubscribe page ---- */

static hail_err html_text(buf *b, const char *s)
{
    hail_err e = HAIL_OK;
    for (; *s && !e; s++) {
        switch (*s) {
        case '<':
            e = buf_puts(b, "&lt;");
            break;
        case '>':
            e = buf_puts(b, "&gt;");
            break;
        case '&':
            e = buf_puts(b, "&amp;");
            break;
        case '"':
            e = buf_puts(b, "&quot;");
            break;
        case '\'':
            e = buf_puts(b, "&#39;");
            break;
        default:
            e = buf_append(b, s, 1);
        }
    }
    return e;
}

/* A whole page: title, then the paragraph (text, escaped), then the form
 * when asked. */
static void reply_page(http_req *r, int status, const char *title, const char *text,
                       const char *address, int form)
{
    buf b = BUF_INIT(64 * 1024);
    hail_err e = buf_printf(&b,
                            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                            "<meta name=\"viewport\" content=\"width=device-width, "
                            "initial-scale=1\"><meta name=\"robots\" content=\"noindex\">"
                            "<title>%s</title></head>\n<body><main><h1>%s</h1>\n<p>",
                            title, title);
    if (!e)
        e = html_text(&b, text);
    if (!e && address && *address) {
        e = buf_puts(&b, " <strong>");
        if (!e)
            e = html_text(&b, address);
        if (!e)
            e = buf_puts(&b, "</strong>");
    }
    if (!e)
        e = buf_puts(&b, "</p>\n");
    if (!e && form)
        e = buf_puts(&b, "<form method=\"post\"><input type=\"hidden\" name=\"confirm\" "
                         "value=\"yes\"><button type=\"submit\">Unsubscribe</button></form>\n");
    if (!e)
        e = buf_puts(&b, "</main></body></html>\n");
    if (e) {
        buf_release(&b);
        http_reply_err(r, HAIL_ENOMEM);
        return;
    }
    size_t len;
    char *body = buf_detach(&b, &len);
    http_add_header(r, "Content-Security-Policy", page_csp);
    http_reply_take(r, status, "text/html; charset=utf-8", body, len);
}

void api_unsub_page(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    int link;
    int64_t email_id = token_email(r, d, 'u', &link);
    if (!email_id)
        return;
    int64_t person;
    char to[320];
    int unsub = 0;
    hail_err e = unsub_email_person(d, email_id, &person, to, sizeof to);
    if (e == HAIL_ENOTFOUND) {
        no_such_link(r);
        return;
    }
    if (!e)
        e = unsub_state(d, person, &unsub);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    if (unsub)
        reply_page(r, 200, "Unsubscribed", "You will get no more sales email at", to, 0);
    else
        reply_page(r, 200, "Unsubscribe", "Stop sales email to", to, 1);
}

void api_unsub_post(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    int link;
    int64_t email_id = token_email(r, d, 'u', &link);
    if (!email_id)
        return;
    int64_t person;
    char to[320];
    hail_err e = unsub_email_person(d, email_id, &person, to, sizeof to);
    if (e == HAIL_ENOTFOUND) {
        no_such_link(r);
        return;
    }
    /* RFC 8058: a mail client's one-click POST carries
     * "List-Unsubscribe=One-Click" (form-urlencoded or multipart). */
    int one_click = r->body.len && memmem(r->body.data, r->body.len, "List-Unsubscribe", 16) &&
                    memmem(r->body.data, r->body.len, "One-Click", 9);
    if (!e)
        e = unsub_change(d, person, "unsubscribe", one_click ? UNSUB_ONE_CLICK : UNSUB_LINK, 0,
                         email_id, NULL);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    reply_page(r, 200, "Unsubscribed", "You will get no more sales email at", to, 0);
}
