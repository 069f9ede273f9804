#include "core/common.h"

/* IMAP over libcurl: mail/imap.h. */
#include "mail/imap.h"

#include <curl/curl.h>

#include "core/buf.h"
#include "net/outbound.h"

/* The most of a message read (as POST /api/v1/inbound takes). */
#define IMAP_MSG_MAX  (30 * 1024 * 1024)
#define IMAP_LIST_MAX (8 * 1024 * 1024)

struct imap_client {
    ob_client *ob;
    char *base; /* "imap://host:port" or "imaps://host:port" */
    const imap_cfg *cfg;
    buf out; /* what the last exchange wrote */
};

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    size_t len = size * n;
    if (buf_append(b, p, len))
        return 0; /* past the limit: curl fails the transfer */
    return len;
}

hail_err imap_open(const imap_cfg *c, imap_client **out)
{
    *out = NULL;
    if (!c->host || !*c->host)
        return hail_errf(HAIL_EINVAL, "the channel has no IMAP host");
    imap_client *ic = calloc(1, sizeof *ic);
    if (!ic)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    bool tls = c->tls && !strcmp(c->tls, "tls");
    int port = c->port > 0 ? c->port : tls ? 993 : 143;
    char service[300];
    snprintf(service, sizeof service, "IMAP server %s:%d", c->host, port);
    size_t n = strlen(c->host) + 32;
    ic->base = malloc(n);
    ob_opts o = {
        .service = service, .connect_timeout_ms = 15000, .timeout_ms = 120000, .stop = c->stop};
    hail_err e = ic->base ? ob_client_new(&o, &ic->ob) : hail_errf(HAIL_ENOMEM, "out of memory");
    if (e) {
        free(ic->base);
        free(ic);
        return e;
    }
    bool v6 = strchr(c->host, ':') != NULL;
    snprintf(ic->base, n, "%s://%s%s%s:%d", tls ? "imaps" : "imap", v6 ? "[" : "", c->host,
             v6 ? "]" : "", port);
    ic->cfg = c;
    buf_init(&ic->out, IMAP_MSG_MAX);
    *out = ic;
    return HAIL_OK;
}

void imap_close(imap_client *ic)
{
    if (!ic)
        return;
    ob_client_free(ic->ob);
    buf_release(&ic->out);
    free(ic->base);
    free(ic);
}

/* One exchange: url (under the base) with an optional custom command. */
static hail_err exchange(imap_client *ic, const char *path, const char *command)
{
    buf_reset(&ic->out);
    char *url = NULL;
    size_t n = strlen(ic->base) + strlen(path) + 2;
    if (!(url = malloc(n)))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    snprintf(url, n, "%s/%s", ic->base, path);
    CURL *h = ob_easy(ic->ob);
    curl_easy_setopt(h, CURLOPT_URL, url);
    const char *tls = ic->cfg->tls ? ic->cfg->tls : "tls";
    if (!strcmp(tls, "starttls"))
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    else if (!strcmp(tls, "none"))
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
    if (ic->cfg->username && *ic->cfg->username) {
        curl_easy_setopt(h, CURLOPT_USERNAME, ic->cfg->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, ic->cfg->password ? ic->cfg->password : "");
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, command);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ic->out);
    hail_err e = ob_perform(ic->ob);
    free(url);
    return e;
}

/* folder as a URL path segment (percent-encoded). */
static char *url_folder(imap_client *ic, const char *folder)
{
    char *esc = curl_easy_escape(ob_easy(ic->ob), folder && *folder ? folder : "INBOX", 0);
    if (!esc)
        return NULL;
    char *s = strdup(esc);
    curl_free(esc);
    return s;
}

/* folder as an IMAP quoted string; NULL when it cannot be one (CR, LF). */
static char *quoted(const char *s)
{
    if (strpbrk(s, "\r\n"))
        return NULL;
    buf b;
    buf_init(&b, 4096);
    buf_putc(&b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_putc(&b, '\\');
        buf_putc(&b, *p);
    }
    if (buf_putc(&b, '"')) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

static int64_t number_after(const char *s, const char *key)
{
    const char *p = s ? strstr(s, key) : NULL;
    if (!p)
        return -1;
    p += strlen(key);
    while (*p == ' ')
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    return strtoll(p, NULL, 10);
}

hail_err imap_status(imap_client *ic, const char *folder, int64_t *uidvalidity, int64_t *uidnext)
{
    char *q = quoted(folder && *folder ? folder : "INBOX");
    if (!q)
        return hail_errf(HAIL_EINVAL, "the IMAP folder name has a line break");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "STATUS %s (UIDVALIDITY UIDNEXT)", q);
    free(q);
    hail_err e = exchange(ic, "", cmd);
    if (e)
        return e;
    *uidvalidity = number_after(buf_cstr(&ic->out), "UIDVALIDITY");
    *uidnext = number_after(buf_cstr(&ic->out), "UIDNEXT");
    if (*uidvalidity <= 0)
        return hail_errf(HAIL_EREMOTE, "the IMAP server did not say the UIDVALIDITY of %s",
                         folder && *folder ? folder : "INBOX");
    return HAIL_OK;
}

hail_err imap_uids_after(imap_client *ic, const char *folder, int64_t after, int64_t **uids,
                         bool **seen, size_t *n)
{
    *uids = NULL;
    *seen = NULL;
    *n = 0;
    char *f = url_folder(ic, folder);
    if (!f)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    char cmd[64];
    snprintf(cmd, sizeof cmd, "UID FETCH %lld:* (FLAGS)", (long long)after + 1);
    hail_err e = exchange(ic, f, cmd);
    free(f);
    if (e)
        return e;
    size_t cap = 0;
    /* "* 7 FETCH (UID 12 FLAGS (\Seen \Recent))", one per line */
    for (const char *p = buf_cstr(&ic->out); p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        int64_t uid = number_after(line, "UID ");
        /* "n:*" also names the last message when it is below n */
        if (uid > after) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                int64_t *nu = realloc(*uids, cap * sizeof **uids);
                bool *ns = nu ? realloc(*seen, cap * sizeof **seen) : NULL;
                if (nu)
                    *uids = nu;
                if (ns)
                    *seen = ns;
                if (!nu || !ns) {
                    free(*uids), free(*seen);
                    *uids = NULL, *seen = NULL, *n = 0;
                    return hail_errf(HAIL_ENOMEM, "out of memory");
                }
            }
            (*uids)[*n] = uid;
            (*seen)[*n] = strstr(line, "\\Seen") != NULL;
            (*n)++;
        }
        p = eol ? eol + 1 : NULL;
    }
    /* ascending, as the poller records them one by one */
    for (size_t i = 1; i < *n; i++)
        for (size_t k = i; k > 0 && (*uids)[k - 1] > (*uids)[k]; k--) {
            int64_t t = (*uids)[k];
            (*uids)[k] = (*uids)[k - 1];
            (*uids)[k - 1] = t;
            bool s = (*seen)[k];
            (*seen)[k] = (*seen)[k - 1];
            (*seen)[k - 1] = s;
        }
    return HAIL_OK;
}

hail_err imap_fetch(imap_client *ic, const char *folder, int64_t uidvalidity, int64_t uid,
                    char **msg, size_t *len)
{
    *msg = NULL;
    *len = 0;
    char *f = url_folder(ic, folder);
    if (!f)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    char path[1200];
    snprintf(path, sizeof path, "%s;UIDVALIDITY=%lld/;UID=%lld", f, (long long)uidvalidity,
             (long long)uid);
    free(f);
    hail_err e = exchange(ic, path, NULL);
    if (e)
        return e;
    *msg = buf_detach(&ic->out, len);
    buf_init(&ic->out, IMAP_MSG_MAX);
    if (!*msg) /* nothing: the message went away meanwhile */
        *msg = strdup(""), *len = 0;
    if (!*msg)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    return HAIL_OK;
}

hail_err imap_unseen(imap_client *ic, const char *folder, int64_t uid)
{
    char *f = url_folder(ic, folder);
    if (!f)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    char cmd[80];
    snprintf(cmd, sizeof cmd, "UID STORE %lld -FLAGS.SILENT (\\Seen)", (long long)uid);
    hail_err e = exchange(ic, f, cmd);
    free(f);
    return e;
}

hail_err imap_find_message_id(const imap_cfg *c, const char *folder, const char *message_id,
                              int *found)
{
    *found = 0;
    char *q = quoted(message_id ? message_id : "");
    if (!q || !message_id || !*message_id) {
        free(q);
        return hail_errf(HAIL_EINVAL, "a Message-ID to search for is needed");
    }
    imap_client *ic;
    hail_err e = imap_open(c, &ic);
    if (e) {
        free(q);
        return e;
    }
    char *f = url_folder(ic, folder);
    char *cmd = f ? malloc(strlen(q) + 64) : NULL;
    if (!cmd) {
        e = hail_errf(HAIL_ENOMEM, "out of memory");
    } else {
        snprintf(cmd, strlen(q) + 64, "UID SEARCH HEADER Message-ID %s", q);
        e = exchange(ic, f, cmd);
    }
    if (!e) {
        /* "* SEARCH 3 9" (or "* SEARCH" with nothing after) */
        const char *p = strstr(buf_cstr(&ic->out), "* SEARCH");
        if (p) {
            p += 8;
            while (*p == ' ')
                p++;
            *found = isdigit((unsigned char)*p) != 0;
        }
    }
    free(cmd);
    free(f);
    free(q);
    imap_close(ic);
    return e;
}
