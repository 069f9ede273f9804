#include "core/common.h"

/* The live feed: GET /api/v1/feed/stream (Server-Sent Events) and GET
 * /api/v1/feed (the same as a page, newest first). docs/insight.md. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "svc/activity.h"
#include "svc/feed.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     200
#define SFDC_ID_MAX  64
/* The stream's tick: a heartbeat is due after FEED_HEARTBEAT_US of silence. */
#define STREAM_TICK_MS 2500

/* A positive integer (up to 2^63-1) in s: 0 when s is not one. */
static int64_t positive_id(const char *s)
{
    if (!s || *s < '1' || *s > '9')
        return 0;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - (*s - '0')) / 10)
            return 0;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* A position or id parameter named name with value v (NULL: absent, *id 0)
 * into *id; replies 400 "<name> must be <what>, not '<v>'" and returns 0
 * when it is not a positive integer. */
static int id_param(http_req *r, const char *name, const char *v, const char *what, int64_t *id)
{
    *id = 0;
    if (v && !(*id = positive_id(v))) {
        http_reply_error(r, 400, "bad_request", "%s must be %s, not '%.64s'", name, what, v);
        return 0;
    }
    return 1;
}

static void free_types(feed_query *q)
{
    for (size_t i = 0; i < q->ntypes; i++)
        free(q->types[i]);
    free(q->types);
    q->types = NULL;
    q->ntypes = 0;
}

/* Parses the filters both routes take into q; replies 400 and returns 0 on
 * bad input (free_types after either way). */
static int parse_query(http_req *r, feed_query *q)
{
    memset(q, 0, sizeof *q);
    const char *v;
    if (!id_param(r, "person_id", http_query(r, "person_id"), "a positive integer", &q->person_id))
        return 0;
    const char *names[2] = {"account", "opportunity"};
    const char **dst[2] = {&q->account, &q->opportunity};
    for (int i = 0; i < 2; i++) {
        if (!(v = http_query(r, names[i])))
            continue;
        if (!*v || strlen(v) > SFDC_ID_MAX) {
            http_reply_error(r, 400, "bad_request",
                             "%s must be a Salesforce id of 1 to %d characters", names[i],
                             SFDC_ID_MAX);
            return 0;
        }
        *dst[i] = v;
    }
    if ((v = http_query(r, "type"))) {
        size_t n = 1;
        for (const char *c = v; *c; c++)
            n += *c == ',';
        if (!(q->types = calloc(n, sizeof *q->types))) {
            http_reply_err(r, hail_errf(HAIL_ENOMEM, "out of memory"));
            return 0;
        }
        for (const char *s = v;;) {
            const char *end = strchr(s, ',');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            char one[32] = "";
            if (len < sizeof one) {
                memcpy(one, s, len);
                one[len] = '\0';
            }
            if (!activity_type_name(one)) {
                http_reply_error(r, 400, "bad_request",
                                 "type must be a comma-separated list of activity types"
                                 " (email_send, email_open, email_click, email_reply,"
                                 " email_autoreply, email_bounce, call, campaign_add,"
                                 " campaign_remove, unsubscribe, resubscribe), not '%.*s'",
                                 (int)(len > 64 ? 64 : len), s);
                return 0;
            }
            if (!(q->types[q->ntypes] = strdup(one))) {
                http_reply_err(r, hail_errf(HAIL_ENOMEM, "out of memory"));
                return 0;
            }
            q->ntypes++;
            if (!end)
                break;
            s = end + 1;
        }
    }
    q->human_only = 1;
    if (http_query(r, "human_only") && !api_query_bool(r, "human_only", &q->human_only))
        return 0;
    if ((v = http_query(r, "scope"))) {
        if (!strcmp(v, "mine")) {
            q->mine = 1;
        } else if (strcmp(v, "team")) {
            http_reply_error(r, 400, "bad_request", "scope must be mine or team, not '%.64s'", v);
            return 0;
        }
    }
    return 1;
}

/* ?limit= (1 to PAGE_MAX, default PAGE_DEFAULT); replies 400 and returns 0 when bad. */
static int limit_param(http_req *r, int64_t *limit)
{
    const char *v = http_query(r, "limit");
    *limit = PAGE_DEFAULT;
    if (v && ((*limit = positive_id(v)) < 1 || *limit > PAGE_MAX)) {
        http_reply_error(r, 400, "bad_request",
                         "limit must be an integer from 1 to %d, not '%.64s'", PAGE_MAX, v);
        return 0;
    }
    return 1;
}

/* GET /api/v1/feed?before=&limit=&<filters> */
void api_feed_list(http_req *r)
{
    feed_query q;
    int64_t before = 0, limit = 0;
    db *d = NULL;
    if (parse_query(r, &q) &&
        id_param(r, "before", http_query(r, "before"), "a positive integer", &before) &&
        limit_param(r, &limit))
        d = api_db(r);
    if (!d) {
        free_types(&q);
        return;
    }
    email_viewer viewer = {r->user_id, r->user_role};
    json_t *a = NULL;
    int64_t next = 0;
    hail_err e = feed_page(d, &viewer, &q, before, (int)limit, &a, &next);
    free_types(&q);
    if (e) {
        http_reply_err(r, e);
        return;
    }
    http_reply_json(
        r, 200, json_pack("{so so}", "data", a, "next", next ? json_integer(next) : json_null()));
}

/* GET /api/v1/feed/stream?last_event_id=&<filters> (or Last-Event-ID) */
void api_feed_stream(http_req *r)
{
    /* The header (a browser's reconnect) wins over the parameter (the
     * first connect after a page of GET /api/v1/feed). */
    const char *v = http_header(r, "Last-Event-ID");
    const char *from = "Last-Event-ID";
    if (!v || !*v) {
        v = http_query(r, "last_event_id");
        from = "last_event_id";
    }
    feed_query q;
    int64_t last = 0;
    db *d = NULL;
    if (parse_query(r, &q) && id_param(r, from, v, "an activity id (a positive integer)", &last))
        d = api_db(r);
    if (!d) {
        free_types(&q);
        return;
    }
    email_viewer viewer = {r->user_id, r->user_role};
    feed_sub *s = NULL;
    hail_err e = feed_subscribe(d, &viewer, &q, last, &s);
    free_types(&q);
    if (e == HAIL_EQUOTA) {
        http_reply_error(r, 429, "too_many_streams", "%s", hail_errmsg());
        return;
    }
    if (e == HAIL_EUNAVAIL) { /* the hub is not running (or the database is busy) */
        http_add_header(r, "Retry-After", "3");
        http_reply_error(r, 503, "unavailable", "%s", hail_errmsg());
        return;
    }
    if (e) {
        http_reply_err(r, e);
        return;
    }
    /* Proxies (nginx) must pass the events on as they come. */
    http_add_header(r, "X-Accel-Buffering", "no");
    http_reply_stream(r, 200, "text/event-stream", feed_sub_read, s, feed_sub_free, STREAM_TICK_MS);
}
