#include "core/common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"

#include "api/api.h"
#include "sync/sync.h"

/* interval_s is a number of seconds: a whole one is served as an integer
 * (300, not 300.0), as docs/openapi.json's SyncStatus says. */
static json_t *status_json(db *d)
{
    json_t *j = sync_status_json(d);
    json_t *iv = json_object_get(j, "interval_s");
    double s = json_number_value(iv);
    if (json_is_real(iv) && s == floor(s) && fabs(s) < 1e15)
        json_object_set_new(j, "interval_s", json_integer((json_int_t)s));
    return j;
}

void api_sync_marketo_get(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    json_t *j = status_json(d);
    if (!j)
        http_reply_err(r, HAIL_EDB);
    else
        http_reply_json(r, 200, j);
}

void api_sync_marketo_post(http_req *r)
{
    db *d = api_db(r);
    if (!d)
        return;
    if (!marketo_configured()) {
        http_reply_error(r, 409, "not_configured",
                         "Marketo is not configured (HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID, "
                         "HAIL_MARKETO_CLIENT_SECRET)");
        return;
    }
    /* The worker runs it; the request only asks. */
    sync_worker_trigger();
    json_t *j = status_json(d);
    if (!j)
        http_reply_err(r, HAIL_EDB);
    else
        http_reply_json(r, 202, j);
}

/* ---- GET /api/v1/sync/marketo/events: the state as Server-Sent Events ----
 *
 * An "event: status" with the same JSON as GET /api/v1/sync/marketo on
 * connect and whenever it changes. The stream is idle between ticks (no
 * thread waits on it): each second it looks at this process's worker
 * (sync_status_version(), cheap) and reads the state again when that moved,
 * or every 15 s in any case (a `hail sync` run elsewhere shows up there);
 * it sends a ": keepalive" comment after 15 s of silence, which also lets
 * the server notice a client that went away. */

#define SSE_RECHECK_US   (15 * US_PER_SEC)
#define SSE_KEEPALIVE_US (15 * US_PER_SEC)

struct sync_events {
    char *db_path;
    uint64_t version;
    int64_t checked_us, sent_us;
    char *last;  /* the last status sent */
    buf pending; /* bytes not yet handed to the server */
    size_t off;
};

static void sync_events_free(void *ctx)
{
    struct sync_events *ev = ctx;
    free(ev->db_path);
    free(ev->last);
    buf_release(&ev->pending);
    free(ev);
}

/* Queues an event when the status differs from the last one sent. */
static void sync_events_check(struct sync_events *ev)
{
    db *d;
    if (db_thread(ev->db_path, &d)) {
        log_warn("sync events: cannot open the database: %s", hail_errmsg());
        return;
    }
    json_t *j = status_json(d);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s) {
        log_warn("sync events: cannot read the sync state: %s", hail_errmsg());
        hail_errclear();
        return;
    }
    if (ev->last && !strcmp(ev->last, s)) {
        free(s);
        return;
    }
    if (buf_printf(&ev->pending, "event: status\ndata: %s\n\n", s)) {
        free(s);
        return;
    }
    free(ev->last);
    ev->last = s;
}

static long sync_events_pull(void *ctx, char *out, size_t max)
{
    struct sync_events *ev = ctx;
    int64_t now = time_mono_us();
    if (ev->off == ev->pending.len) {
        ev->off = 0;
        ev->pending.len = 0;
        uint64_t v = sync_status_version();
        if (!ev->last || v != ev->version || now - ev->checked_us >= SSE_RECHECK_US) {
            ev->version = v;
            ev->checked_us = now;
            sync_events_check(ev);
        }
        if (!ev->pending.len && now - ev->sent_us >= SSE_KEEPALIVE_US)
            buf_puts(&ev->pending, ": keepalive\n\n");
        if (!ev->pending.len)
            return 0;
    }
    size_t n = ev->pending.len - ev->off;
    if (n > max)
        n = max;
    memcpy(out, ev->pending.data + ev->off, n);
    ev->off += n;
    ev->sent_us = now;
    return (long)n;
}

void api_sync_marketo_events(http_req *r)
{
    api_ctx *ctx = r->app;
    struct sync_events *ev = calloc(1, sizeof *ev);
    if (!ev || !(ev->db_path = strdup(ctx->db_path))) {
        free(ev);
        http_reply_err(r, HAIL_ENOMEM);
        return;
    }
    buf_init(&ev->pending, 4 * 1024 * 1024);
    /* The first event goes out with the headers; the database is read here,
     * so a failure is an ordinary error reply. */
    sync_events_check(ev);
    if (!ev->last) {
        sync_events_free(ev);
        http_reply_err(r, HAIL_EDB);
        return;
    }
    ev->version = sync_status_version();
    ev->checked_us = ev->sent_us = time_mono_us();
    /* Proxies (nginx) must pass the events on as they come. */
    http_add_header(r, "X-Accel-Buffering", "no");
    http_reply_stream(r, 200, "text/event-stream", sync_events_pull, ev, sync_events_free, 1000);
}
