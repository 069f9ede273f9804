/* The HTTP layer: libmicrohttpd (epoll, internal thread pool) underneath, a
 * request/response pair above, and nothing about hail's resources.
 *
 * The server reads a request (bounded by the limit the handler's route asks
 * for), calls the application's handler on one of its threads, and sends the
 * response the handler built. Handlers run synchronously and must not block
 * on the network (blocking work belongs to background workers).
 */
#ifndef HAIL_HTTP_HTTP_H
#define HAIL_HTTP_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct MHD_Connection;
struct route;
struct sockaddr_storage;
struct http_stream;

/* What the response's body is. */
enum http_resp_kind {
    HTTP_RESP_BUFFER = 0, /* resp_body, resp_len (the default) */
    HTTP_RESP_FILE,       /* an open file, sent by the kernel from the file system */
    HTTP_RESP_STREAM,     /* pulled from a callback as the client takes it (SSE) */
};

typedef struct http_req {
    struct MHD_Connection *conn;
    const char *method;
    const char *path;          /* URL path, without the query */
    char client[64];           /* peer address (IPv4 or IPv6, no port) */
    buf body;                  /* the request body (bounded) */
    int too_large;             /* the body went past the route's limit */
    uint64_t declared;         /* Content-Length (0 when absent or chunked) */
    uint64_t received;         /* body bytes received (kept or dropped) */
    const struct route *route; /* matched route, NULL when none */
    int method_mismatch;       /* path matched, method did not */
    char *allow;               /* methods the path allows (for 405), or NULL */
    char **param;              /* {placeholders} of the path, as many as it has */
    int nparams;
    int64_t start_us;

    /* Filled by the application (auth): who is calling. */
    int64_t user_id;
    char user_email[256];
    char user_role[16];
    int via_session;
    void *app; /* the application's per-server context */

    /* The response. */
    int status;
    enum http_resp_kind resp_kind;
    char *resp_body;
    size_t resp_len;
    const char *resp_type;
    const char *resp_cache;           /* Cache-Control; NULL: the route's, else "no-store" */
    int resp_fd;                      /* HTTP_RESP_FILE: owned until sent */
    uint64_t resp_size;               /* HTTP_RESP_FILE: bytes to send */
    struct http_stream *resp_stream;  /* HTTP_RESP_STREAM: owned until sent */
    struct http_header *resp_headers; /* grows as headers are added */
    size_t resp_nheaders, resp_header_cap;
    int resp_failed; /* out of memory in this layer (routing, a header): the reply is a 500 */
    int answered;    /* the reply went out directly (see server.c): nothing to queue */

    /* A deferred reply (http_defer): set while the connection is suspended. */
    void (*defer_fn)(struct http_req *r, void *arg);
    void *defer_arg;
    struct http_server *srv;
} http_req;

struct http_header {
    char *name, *value;
};

/* Whether the request carries a body (declared or received). */
static inline int http_has_body(const http_req *r)
{
    return r->declared > 0 || r->received > 0;
}

/* A query-string argument (decoded by MHD), or NULL. */
const char *http_query(http_req *r, const char *name);
/* A request header, or NULL. */
const char *http_header(http_req *r, const char *name);
/* A cookie's value, or NULL. */
const char *http_cookie(http_req *r, const char *name);

/* Sets the response to compact JSON (takes a reference to j and releases it). */
void http_reply_json(http_req *r, int status, json_t *j);
/* The one error shape: {"error":{"code":…,"message":…}}. */
void http_reply_error(http_req *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Maps a hail_err to its status and replies with hail_errmsg() (or msg). */
void http_reply_err(http_req *r, hail_err e);
/* Raw body (copied). */
void http_reply_raw(http_req *r, int status, const char *type, const char *body, size_t len);
/* Raw body handed over: the response frees it (malloc'd; NULL with len 0 ok). */
void http_reply_take(http_req *r, int status, const char *type, char *body, size_t len);
/* The response is the file open on fd, size bytes from its start (the fd is
 * taken: closed after sending, or at once on failure). type must be static. */
void http_reply_file(http_req *r, int status, const char *type, int fd, uint64_t size);
/* Cache-Control for this response (a static string); the default is the
 * route's policy, else "no-store". */
void http_set_cache(http_req *r, const char *policy);
/* The value of a response header set so far (case-insensitive), or NULL. */
const char *http_resp_header(const http_req *r, const char *name);

/* ---- streaming responses (Server-Sent Events) ----
 *
 * A stream's body is pulled from fn: fn writes at most max bytes to out and
 * returns how many (> 0), 0 when it has nothing to send now, or -1 to end the
 * response. It runs on the HTTP thread that answered the request until it
 * first returns 0; then the connection is suspended and the server's stream
 * writer (http/stream.h) holds it: no HTTP thread waits on it, and fn is
 * called again on that writer when the stream's tick comes round (tick_ms
 * after its last call) or when http_server_wake_streams() is called —
 * whichever is first. A tick lets fn poll its source and send keep-alive
 * comments. fn is called by one thread at a time. free_ctx (may be NULL)
 * releases ctx once the response is gone (sent, failed or aborted), on any
 * thread. A stream whose fn has nothing at first opens with the comment
 * ":\n\n" (its headers go out at once). */
typedef long (*http_stream_fn)(void *ctx, char *out, size_t max);
void http_reply_stream(http_req *r, int status, const char *type, http_stream_fn fn, void *ctx,
                       void (*free_ctx)(void *), unsigned tick_ms);

/* Adds a response header (copied; any number of them). Out of memory, the
 * response is turned into a 500 rather than sent without the header, and
 * HAIL_ENOMEM is returned. */
hail_err http_add_header(http_req *r, const char *name, const char *value);
/* HTTP status for an error code. */
int http_status_for(hail_err e);

/* Parses the body as a JSON object (size already bounded). On failure replies
 * 400 and returns NULL. */
json_t *http_json_body(http_req *r);

/* ---- deferred replies ----
 *
 * A handler whose answer waits on another thread (the tracking writer's
 * commit) calls http_defer(r, finish, arg) and returns without replying. The
 * connection is suspended at once (it holds no HTTP thread) until any thread
 * calls http_resume(r); then finish(r, arg) runs on an HTTP thread, replies
 * as a handler would, and that reply goes out. Call http_defer before r is
 * handed to the other thread: it may resume r right away. r stays valid
 * until finish has run (a suspended connection is never closed);
 * http_server_stop waits (up to 10 s) for deferred requests to finish. */
typedef void (*http_finish_fn)(http_req *r, void *arg);
void http_defer(http_req *r, http_finish_fn finish, void *arg);
void http_resume(http_req *r);

/* ---- routing ---- */

enum route_auth {
    AUTH_ANON,      /* anyone */
    AUTH_RECIPIENT, /* anyone holding the path's token (the handler checks it) */
    AUTH_USER,      /* any signed-in user or token */
    AUTH_ADMIN,     /* admins only */
};

typedef void (*route_fn)(http_req *r);

typedef struct route {
    const char *method;  /* "GET", "POST", … */
    const char *pattern; /* "/api/v1/people/{id}" */
    enum route_auth auth;
    size_t max_body; /* bytes; 0 = no body allowed */
    route_fn fn;
    const char *summary; /* for docs and the route listing */
    const char *cache;   /* Cache-Control of its replies; NULL: "no-store" */
} route;

/* Finds the route for method+path in a table ending with a {NULL} entry.
 * A pattern's {name} matches one non-empty segment; a pattern ending in "/" "*"
 * is a prefix route: it matches the prefix and anything after it (also
 * nothing), and that rest, with its leading "/", is its last parameter.
 * Fills r->route and r->param (any number of placeholders); when the path
 * matches but the method does not, sets r->method_mismatch and r->allow
 * instead. Out of memory, sets r->resp_failed (the reply becomes a 500). */
void router_match(const route *table, http_req *r);

/* ---- static files (static.c) ---- */

struct stat;
/* The Content-Type for a file name's extension (application/octet-stream
 * when unknown). */
const char *http_mime_type(const char *path);
/* Whether a decoded URL path may name a file: absolute, at most 1024 bytes,
 * no empty, "." or ".." segment, no control character, backslash or encoded
 * NUL ("%00", which hail's decoder leaves as it is). */
int http_static_path_ok(const char *path);
/* A strong ETag from a file's size and modification time. */
void http_etag_for(const struct stat *st, char out[64]);
/* Whether If-None-Match names etag (or is "*"). */
int http_etag_matches(http_req *r, const char *etag);
/* Serves the regular file at root + path (root: an absolute path without
 * symbolic links, e.g. from realpath()) with its MIME type, ETag, the given
 * Cache-Control, and 304 for a matching If-None-Match. A path refused by
 * http_static_path_ok() gets 400. Returns 1 when it replied, 0 when there is
 * no such file under root (a directory, a link out of root, missing): then
 * nothing was replied and the caller decides. */
int http_static_file(http_req *r, const char *root, const char *path, const char *cache);

/* ---- the server ---- */

typedef struct http_app {
    /* Called once the request is complete. Fills the response. */
    void (*handle)(http_req *r);
    /* Called once, on a request's first callback and always before handle(), to
     * learn the body limit (0 = refuse any body); it may record routing in r. */
    size_t (*body_limit)(http_req *r);
    void *ctx;
    int access_log;
} http_app;

typedef struct http_server http_server;

/* Parses a listen address: "HOST:PORT" with an IPv4 address or "localhost",
 * or "[IPv6]:PORT" ("[::1]:8080", "[::]:8080"). Fills *ss and *len. */
hail_err http_parse_listen(const char *addr, struct sockaddr_storage *ss, unsigned *len);
/* Starts listening on addr (see http_parse_listen). threads = worker threads. */
hail_err http_server_start(const char *addr, int threads, http_app *app, http_server **out);
/* The port actually bound (useful with port 0). */
int http_server_port(http_server *s);
/* Calls every idle stream's fn now (from any thread): its source changed. */
void http_server_wake_streams(http_server *s);
/* Streams open now (tests and the status page). */
int http_server_streams(http_server *s);
void http_server_stop(http_server *s);

#endif
