#include "core/common.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "http/http.h"
#include "http/stream.h"

/* Past the route's limit, at most this much of a body is read (and dropped). */
#define HTTP_DISCARD_MAX (1024 * 1024)

struct http_server {
    struct MHD_Daemon *d;
    http_app *app;
    int port;

    http_streams *streams; /* streaming responses (http/stream.h) */

    atomic_int deferred; /* requests suspended by http_defer, not yet finished */
};

/* Whatever body the response had is dropped: a reply replaces it. */
static void reset_body(http_req *r)
{
    if (r->resp_kind == HTTP_RESP_FILE && r->resp_fd >= 0)
        close(r->resp_fd);
    if (r->resp_kind == HTTP_RESP_STREAM)
        http_stream_discard(r->resp_stream);
    r->resp_stream = NULL;
    r->resp_fd = -1;
    r->resp_kind = HTTP_RESP_BUFFER;
}

const char *http_query(http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

void http_reply_raw(http_req *r, int status, const char *type, const char *body, size_t len)
{
    reset_body(r);
    free(r->resp_body);
    r->resp_body = malloc(len ? len : 1);
    if (!r->resp_body) {
        r->status = 500;
        r->resp_len = 0;
        return;
    }
    memcpy(r->resp_body, body, len);
    r->resp_len = len;
    r->resp_type = type;
    r->status = status;
}

void http_reply_take(http_req *r, int status, const char *type, char *body, size_t len)
{
    if (!body) {
        http_reply_raw(r, status, type, "", 0);
        return;
    }
    reset_body(r);
    free(r->resp_body);
    r->resp_body = body;
    r->resp_len = len;
    r->resp_type = type;
    r->status = status;
}

void http_reply_json(http_req *r, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    reset_body(r);
    free(r->resp_body);
    r->resp_body = NULL;
    r->resp_len = 0;
    if (!s) {
        static const char oom[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        http_reply_raw(r, 500, "application/json", oom, sizeof oom - 1);
        return;
    }
    r->resp_body = s;
    r->resp_len = strlen(s);
    r->resp_type = "application/json";
    r->status = status;
}

void http_reply_error(http_req *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    if (!j) /* message was not UTF-8 */
        j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", "invalid request");
    http_reply_json(r, status, j);
}

/* Drops the body so far; the reply becomes one of the given kind. */
static void set_kind(http_req *r, enum http_resp_kind kind, int status, const char *type)
{
    reset_body(r);
    free(r->resp_body);
    r->resp_body = NULL;
    r->resp_len = 0;
    r->resp_kind = kind;
    r->resp_type = type;
    r->status = status;
}

void http_reply_file(http_req *r, int status, const char *type, int fd, uint64_t size)
{
    set_kind(r, HTTP_RESP_FILE, status, type);
    r->resp_fd = fd;
    r->resp_size = size;
}

void http_reply_stream(http_req *r, int status, const char *type, http_stream_fn fn, void *ctx,
                       void (*free_ctx)(void *), unsigned tick_ms)
{
    struct http_stream *st = http_stream_new(fn, ctx, free_ctx, tick_ms);
    if (!st) {
        http_reply_err(r, HAIL_ENOMEM);
        return;
    }
    set_kind(r, HTTP_RESP_STREAM, status, type);
    r->resp_stream = st;
}

void http_set_cache(http_req *r, const char *policy)
{
    r->resp_cache = policy;
}

const char *http_resp_header(const http_req *r, const char *name)
{
    for (size_t i = 0; i < r->resp_nheaders; i++)
        if (!strcasecmp(r->resp_headers[i].name, name))
            return r->resp_headers[i].value;
    return NULL;
}

int http_status_for(hail_err e)
{
    switch (e) {
    case HAIL_OK:
        return 200;
    case HAIL_EINVAL:
        return 400;
    case HAIL_EAUTH:
        return 401;
    case HAIL_EFORBIDDEN:
        return 403;
    case HAIL_ENOTFOUND:
        return 404;
    case HAIL_EEXIST:
        return 409;
    case HAIL_ETOOBIG:
        return 413;
    case HAIL_EBUSY:
        return 409;
    case HAIL_EQUOTA:
        return 429;
    case HAIL_EREMOTE:
        return 502;
    case HAIL_EUNAVAIL:
        return 503;
    default:
        return 500;
    }
}

void http_reply_err(http_req *r, hail_err e)
{
    int status = http_status_for(e);
    const char *msg = hail_errmsg();
    if (e == HAIL_EUNAVAIL) {
        /* The database stayed locked by another writer (store/db.h): worth a
         * retry in a moment. The message is hail's own, never SQLite's. */
        http_add_header(r, "Retry-After", "1");
        http_reply_error(r, status, hail_strerror(e), "%s",
                         "the database is busy; try again in a moment");
        return;
    }
    if (status >= 500) {
        /* Internal detail goes to the log, not to the client. */
        log_error("%s %s: %s: %s", r->method, r->path, hail_strerror(e), msg);
        http_reply_error(r, status, "internal", "internal error");
        return;
    }
    http_reply_error(r, status, hail_strerror(e), "%s", *msg ? msg : hail_strerror(e));
}

hail_err http_add_header(http_req *r, const char *name, const char *value)
{
    if (r->resp_nheaders == r->resp_header_cap) {
        size_t cap = r->resp_header_cap ? r->resp_header_cap * 2 : 8;
        struct http_header *h = realloc(r->resp_headers, cap * sizeof *h);
        if (!h) {
            r->resp_failed = 1;
            return HAIL_ENOMEM;
        }
        r->resp_headers = h;
        r->resp_header_cap = cap;
    }
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        r->resp_failed = 1;
        return HAIL_ENOMEM;
    }
    r->resp_headers[r->resp_nheaders].name = n;
    r->resp_headers[r->resp_nheaders].value = v;
    r->resp_nheaders++;
    return HAIL_OK;
}

json_t *http_json_body(http_req *r)
{
    json_error_t err;
    if (r->body.len == 0) {
        http_reply_error(r, 400, "bad_request", "a JSON object body is required");
        return NULL;
    }
    /* Any JSON value parses, so that 1 or null is told what is wrong (not an
     * object) rather than jansson's "'[' or '{' expected" (an array is wrong too). */
    json_t *j =
        json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!j) {
        http_reply_error(r, 400, "bad_request", "invalid JSON at line %d column %d: %s", err.line,
                         err.column, err.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        http_reply_error(r, 400, "bad_request", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

static void req_free(http_req *r)
{
    reset_body(r);
    buf_release(&r->body);
    for (int i = 0; i < r->nparams; i++)
        free(r->param[i]);
    free(r->param);
    free(r->allow);
    for (size_t i = 0; i < r->resp_nheaders; i++) {
        free(r->resp_headers[i].name);
        free(r->resp_headers[i].value);
    }
    free(r->resp_headers);
    free(r->resp_body);
    free(r);
}

static void peer_address(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        /* An IPv4 peer of a dual-stack socket ([::]) is ::ffff:a.b.c.d: name
         * it as the IPv4 address it is, so it looks the same on any socket. */
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)n);
        else
            inet_ntop(AF_INET6, a, out, (socklen_t)n);
    }
}

/* ---- deferred replies ---- */

void http_defer(http_req *r, http_finish_fn finish, void *arg)
{
    r->defer_fn = finish;
    r->defer_arg = arg;
    atomic_fetch_add(&r->srv->deferred, 1);
    MHD_suspend_connection(r->conn);
}

void http_resume(http_req *r)
{
    /* MHD runs on_request again for the connection (on its thread). */
    MHD_resume_connection(r->conn);
}

void http_server_wake_streams(http_server *s)
{
    http_streams_wake(s->streams);
}

int http_server_streams(http_server *s)
{
    return http_streams_count(s->streams);
}

static struct MHD_Response *make_response(http_server *s, struct MHD_Connection *c, http_req *r)
{
    struct MHD_Response *resp = NULL;
    switch (r->resp_kind) {
    case HTTP_RESP_FILE:
        resp = MHD_create_response_from_fd64(r->resp_size, r->resp_fd);
        if (resp)
            r->resp_fd = -1; /* MHD closes it */
        break;
    case HTTP_RESP_STREAM:
        resp = http_streams_response(s->streams, c, r->resp_stream);
        if (resp)
            r->resp_stream = NULL; /* the response's now */
        break;
    default:
        resp = MHD_create_response_from_buffer_with_free_callback(r->resp_len, r->resp_body, free);
        if (resp)
            r->resp_body = NULL; /* owned by the response now */
        break;
    }
    return resp;
}

static enum MHD_Result send_reply(http_server *s, struct MHD_Connection *c, http_req *r)
{
    if (r->resp_failed) {
        log_error("%s %s: out of memory building the response", r->method, r->path);
        http_reply_error(r, 500, "internal", "internal error");
    }
    if (!r->status)
        http_reply_error(r, 500, "internal", "no response");
    struct MHD_Response *resp = make_response(s, c, r);
    if (!resp)
        return MHD_NO;
    /* A route's policy is for its answers; an error is never cached (unless
     * the handler said otherwise). */
    const char *cache = "no-store";
    if (r->resp_cache)
        cache = r->resp_cache;
    else if (r->route && r->route->cache && r->status < 400)
        cache = r->route->cache;
    if (r->resp_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    MHD_add_response_header(resp, "Cache-Control", cache);
    for (size_t i = 0; !r->resp_failed && i < r->resp_nheaders; i++)
        if (MHD_add_response_header(resp, r->resp_headers[i].name, r->resp_headers[i].value) !=
            MHD_YES) {
            /* Never send a reply without a header the handler set. */
            log_error("%s %s: cannot add response header %s", r->method, r->path,
                      r->resp_headers[i].name);
            MHD_destroy_response(resp);
            return MHD_NO;
        }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Writes the response straight to the socket with "Connection: close" and
 * shuts down the sending side. Only for a body that goes on past what hail
 * will read: MHD 0.9.75 refuses to queue a response while a body is still
 * arriving (MHD_queue_response fails between the first and the last call),
 * and a chunked body may never end. Returns 0 when the reply could not be
 * written whole (the connection is then simply closed). */
static int reply_direct(struct MHD_Connection *c, http_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return 0;
    if (r->resp_failed || !r->status)
        http_reply_error(r, 500, "internal", "internal error");
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    const char *reason = MHD_get_reason_phrase_for((unsigned)r->status);
    buf out = BUF_INIT(64 * 1024);
    int ok = !buf_printf(&out,
                         "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n"
                         "Content-Type: %s\r\nX-Content-Type-Options: nosniff\r\n"
                         "Referrer-Policy: same-origin\r\n"
                         "Cache-Control: no-store\r\nContent-Length: %zu\r\n",
                         r->status, reason && *reason ? reason : "Error", date,
                         r->resp_type ? r->resp_type : "application/json", r->resp_len);
    for (size_t i = 0; ok && !r->resp_failed && i < r->resp_nheaders; i++)
        ok = !buf_printf(&out, "%s: %s\r\n", r->resp_headers[i].name, r->resp_headers[i].value);
    ok = ok && !buf_puts(&out, "\r\n");
    if (ok && strcmp(r->method, "HEAD") != 0 && r->resp_len)
        ok = !buf_append(&out, r->resp_body, r->resp_len);
    /* Nothing else is being written on this connection (its request is still
     * arriving), so a reply of a few hundred bytes fits the socket buffer. */
    ssize_t n = ok ? send(ci->connect_fd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT) : -1;
    ok = n >= 0 && (size_t)n == out.len;
    buf_release(&out);
    if (ok)
        shutdown(ci->connect_fd, SHUT_WR);
    return ok;
}

/* Set while MHD closes a connection because hail asked it to after a direct
 * reply: MHD then logs "Application reported internal error", which is not
 * one (mhd_log turns it into a debug line). MHD logs it on this thread,
 * before the callback's caller returns. */
static _Thread_local int closing_on_purpose;

static enum MHD_Result close_on_purpose(void)
{
    closing_on_purpose = 1;
    return MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    http_server *s = cls;
    http_req *r = *con_cls;
    closing_on_purpose = 0;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->conn = c;
        r->resp_fd = -1;
        r->method = method;
        r->path = url;
        r->start_us = time_mono_us();
        r->app = s->app->ctx;
        r->srv = s;
        peer_address(c, r->client, sizeof r->client);
        size_t limit = s->app->body_limit(r);
        buf_init(&r->body, limit);
        /* Refuse early when the declared length is already too big. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        r->declared = cl ? strtoull(cl, NULL, 10) : 0;
        if (r->declared > limit)
            r->too_large = 1;
        *con_cls = r;
        /* A body we would only throw away: a modest one is read and dropped
         * so the client gets its answer cleanly; a huge one (or one the client
         * holds back until "100 Continue") is answered now, unread, and MHD
         * closes the connection. The application decides the answer (it
         * authenticates before it judges the body). */
        const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
        if (r->too_large && (r->declared - limit > HTTP_DISCARD_MAX || expect)) {
            s->app->handle(r);
            return send_reply(s, c, r);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        r->received += *upload_size;
        if (!r->too_large && buf_append(&r->body, upload_data, *upload_size))
            r->too_large = 1;
        if (r->too_large)
            buf_release(&r->body);
        *upload_size = 0;
        /* An unbounded (chunked) body past the limit: once HTTP_DISCARD_MAX
         * of it has been dropped, the answer goes out now (see reply_direct),
         * and the rest is read and dropped for at most as much again so the
         * client reads the answer before the connection closes (a reset
         * would make it lose the answer). Then the connection is closed. */
        if (r->too_large && !r->answered && r->received > r->body.max + HTTP_DISCARD_MAX) {
            s->app->handle(r);
            if (!reply_direct(c, r))
                return MHD_NO;
            r->answered = 1;
        }
        if (r->answered && r->received > r->body.max + 2 * (uint64_t)HTTP_DISCARD_MAX)
            return close_on_purpose();
        return MHD_YES;
    }
    (void)version;
    if (r->answered)
        return close_on_purpose(); /* the reply went out directly */
    if (r->defer_fn) {
        /* Resumed after http_defer: the reply is ready to be made. */
        http_finish_fn fn = r->defer_fn;
        r->defer_fn = NULL;
        fn(r, r->defer_arg);
        atomic_fetch_sub(&s->deferred, 1);
        return send_reply(s, c, r);
    }
    s->app->handle(r);
    if (r->defer_fn)
        return MHD_YES; /* suspended until http_resume */
    return send_reply(s, c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server *s = cls;
    http_req *r = *con_cls;
    if (!r)
        return;
    if (s->app->access_log && log_enabled(LOG_INFO)) {
        int64_t us = time_mono_us() - r->start_us;
        log_info("access %s %s %s %d %.3fms%s", r->client, r->method, r->path, r->status,
                 (double)us / 1000.0,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    }
    req_free(r);
    *con_cls = NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %HH in the path and in query arguments, as MHD's own decoder does,
 * except %00: a NUL would cut the C string there, so "/healthz%00x" would be
 * served as "/healthz". It stays "%00", literally, and matches nothing. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    char *w = s;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (p[0] == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0 && (hi || lo)) {
            *w++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    if (closing_on_purpose && strstr(msg, "Application reported internal error")) {
        closing_on_purpose = 0;
        log_debug("http: connection closed after a direct reply");
        return;
    }
    log_warn("http: %s", msg);
}

hail_err http_parse_listen(const char *addr, struct sockaddr_storage *ss, unsigned *len)
{
    static const char forms[] = "HOST:PORT, e.g. 127.0.0.1:8080, [::1]:8080 or [::]:8080";
    char host[INET6_ADDRSTRLEN + 1];
    const char *port;
    int v6 = addr[0] == '[';
    if (v6) {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || !close[2])
            return hail_errf(HAIL_EINVAL, "listen address '%s' must be %s", addr, forms);
        size_t hl = (size_t)(close - addr - 1);
        if (hl == 0 || hl >= sizeof host)
            return hail_errf(HAIL_EINVAL, "listen host in '%s' is not an IPv6 address", addr);
        memcpy(host, addr + 1, hl);
        host[hl] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon || colon == addr || !colon[1])
            return hail_errf(HAIL_EINVAL, "listen address '%s' must be %s", addr, forms);
        if (memchr(addr, ':', (size_t)(colon - addr)))
            return hail_errf(HAIL_EINVAL,
                             "listen address '%s': an IPv6 address goes in brackets, as in "
                             "[::1]:8080",
                             addr);
        size_t hl = (size_t)(colon - addr);
        if (hl >= sizeof host)
            return hail_errf(HAIL_EINVAL, "listen host in '%s' is not an IPv4 address", addr);
        memcpy(host, addr, hl);
        host[hl] = '\0';
        port = colon + 1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (*port < '0' || *port > '9' || *end || p < 0 || p > 65535)
        return hail_errf(HAIL_EINVAL, "bad port in listen address '%s' (0 to 65535)", addr);
    memset(ss, 0, sizeof *ss);
    if (v6) {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons((uint16_t)p);
        if (inet_pton(AF_INET6, host, &sa->sin6_addr) != 1)
            return hail_errf(HAIL_EINVAL, "listen host '%s' is not an IPv6 address", host);
        *len = sizeof *sa;
    } else {
        struct sockaddr_in *sa = (struct sockaddr_in *)ss;
        sa->sin_family = AF_INET;
        sa->sin_port = htons((uint16_t)p);
        if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                      &sa->sin_addr) != 1)
            return hail_errf(HAIL_EINVAL,
                             "listen host '%s' is not an IPv4 address (or localhost); IPv6 "
                             "goes in brackets, as in [::1]:8080",
                             host);
        *len = sizeof *sa;
    }
    return HAIL_OK;
}

hail_err http_server_start(const char *addr, int threads, http_app *app, http_server **out)
{
    *out = NULL;
    struct sockaddr_storage ss;
    unsigned sslen;
    hail_err e = http_parse_listen(addr, &ss, &sslen);
    if (e)
        return e;
    http_server *s = calloc(1, sizeof *s);
    if (!s)
        return HAIL_ENOMEM;
    s->app = app;
    if ((e = http_streams_start(&s->streams))) {
        free(s);
        return e;
    }
    if (threads < 1)
        threads = 1;
    /* Suspend/resume: a stream's connection is suspended in MHD while the
     * stream writer holds it (http/stream.h), and a deferred reply's while
     * it waits. */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO |
                     MHD_ALLOW_SUSPEND_RESUME;
    /* IPv6 sockets are dual-stack: [::] takes IPv4 clients too (logged as
     * plain IPv4 addresses, see peer_address). */
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_DUAL_STACK;
    /* MHD binds MHD_OPTION_SOCK_ADDR but names this port when that fails. */
    uint16_t port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    s->d = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_END);
    if (!s->d) {
        http_streams_free(s->streams);
        free(s);
        return hail_errf(HAIL_EIO,
                         "cannot listen on %s (address in use, not on this machine, or not "
                         "permitted)",
                         addr);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : port;
    *out = s;
    return HAIL_OK;
}

int http_server_port(http_server *s)
{
    return s->port;
}

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    /* The streams the writer holds go back to MHD (resumed) so that MHD can
     * close them; then the daemon stops. (Not MHD_quiesce_daemon()
     * first: with a thread pool and epoll, 0.9.75 panics when a worker's
     * epoll set no longer holds the listening socket, "Failed to remove
     * listen FD from epoll set".) */
    for (int i = 0; i < 1000 && atomic_load(&s->deferred) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    http_streams_stop(s->streams);
    MHD_stop_daemon(s->d);
    http_streams_free(s->streams);
    free(s);
}
