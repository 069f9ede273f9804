#include "core/common.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "http/http.h"

/* Past the route's limit, at most this much of a body is read (and dropped). */
#define HTTP_DISCARD_MAX (1024 * 1024)

struct http_server {
    struct MHD_Daemon *d;
    http_app *app;
    int port;
};

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

void http_add_header(http_req *r, const char *name, const char *value)
{
    if (r->resp_nheaders >= HTTP_MAX_HEADERS)
        return;
    r->resp_header_name[r->resp_nheaders] = strdup(name);
    r->resp_header_value[r->resp_nheaders] = strdup(value);
    r->resp_nheaders++;
}

json_t *http_json_body(http_req *r)
{
    json_error_t err;
    if (r->body.len == 0) {
        http_reply_error(r, 400, "bad_request", "a JSON object body is required");
        return NULL;
    }
    json_t *j = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &err);
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
    buf_release(&r->body);
    for (int i = 0; i < r->nparams; i++)
        free(r->param[i]);
    for (int i = 0; i < r->resp_nheaders; i++) {
        free(r->resp_header_name[i]);
        free(r->resp_header_value[i]);
    }
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
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, http_req *r)
{
    if (!r->status)
        http_reply_error(r, 500, "internal", "no response");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(r->resp_len, r->resp_body, free);
    if (!resp)
        return MHD_NO;
    r->resp_body = NULL; /* owned by the response now */
    if (r->resp_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (int i = 0; i < r->resp_nheaders; i++)
        MHD_add_response_header(resp, r->resp_header_name[i], r->resp_header_value[i]);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    http_server *s = cls;
    http_req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->conn = c;
        r->method = method;
        r->path = url;
        r->start_us = time_mono_us();
        r->app = s->app->ctx;
        peer_address(c, r->client, sizeof r->client);
        size_t limit = s->app->body_limit(r);
        buf_init(&r->body, limit);
        /* Refuse early when the declared length is already too big. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        if (declared > limit)
            r->too_large = 1;
        *con_cls = r;
        /* A body we would only throw away: a modest one is read and dropped
         * so the client gets its 413 cleanly; a huge one (or one the client
         * holds back until "100 Continue") is answered now, unread, and MHD
         * closes the connection. */
        const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
        if (r->too_large && (declared - limit > HTTP_DISCARD_MAX || expect)) {
            s->app->handle(r);
            return send_reply(c, r);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        r->received += *upload_size;
        if (!r->too_large && buf_append(&r->body, upload_data, *upload_size))
            r->too_large = 1;
        if (r->too_large)
            buf_release(&r->body);
        /* An unbounded (chunked) body past the limit: stop reading it. */
        if (r->too_large && r->received > r->body.max + HTTP_DISCARD_MAX)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    (void)version;
    s->app->handle(r);
    return send_reply(c, r);
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

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_warn("http: %s", msg);
}

static hail_err parse_addr(const char *addr, struct sockaddr_in *sa)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !colon[1])
        return hail_errf(HAIL_EINVAL, "listen address '%s' must be HOST:PORT", addr);
    char host[64];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof host)
        return hail_errf(HAIL_EINVAL, "listen address '%s' is too long", addr);
    memcpy(host, addr, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return hail_errf(HAIL_EINVAL, "bad port in listen address '%s'", addr);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &sa->sin_addr) != 1)
        return hail_errf(HAIL_EINVAL, "listen host '%s' must be an IPv4 address", host);
    return HAIL_OK;
}

hail_err http_server_start(const char *addr, int threads, http_app *app, http_server **out)
{
    *out = NULL;
    struct sockaddr_in sa;
    hail_err e = parse_addr(addr, &sa);
    if (e)
        return e;
    http_server *s = calloc(1, sizeof *s);
    if (!s)
        return HAIL_ENOMEM;
    s->app = app;
    if (threads < 1)
        threads = 1;
    s->d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO, 0, NULL, NULL,
        on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (!s->d) {
        free(s);
        return hail_errf(HAIL_EIO, "cannot listen on %s (address in use or not permitted)", addr);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : ntohs(sa.sin_port);
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
    MHD_stop_daemon(s->d);
    free(s);
}
