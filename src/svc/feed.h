/* The live feed's hub (docs/insight.md, "Live feed").
 *
 * One per process (`hail serve` starts it). A poller thread with its own
 * connection reads the activities committed since its last position
 * (store/feed.h: commit order on both engines) every FEED_POLL_BUSY_MS while
 * any stream is open, every FEED_POLL_IDLE_MS otherwise; it builds each
 * event's text once and hands it to every subscriber whose scope and filters
 * let it through. Every node polls the shared database, so an activity
 * written through any node reaches the streams of all of them.
 *
 * A subscriber (one SSE stream) has a bounded queue (FEED_QUEUE_EVENTS
 * events, FEED_QUEUE_BYTES bytes): a client that falls that far behind is
 * dropped (its queue freed; its stream ends with "event: dropped"), so it
 * never holds up the poller or the others.
 */
#ifndef HAIL_SVC_FEED_H
#define HAIL_SVC_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/emails.h" /* email_viewer */
#include "store/feed.h"

#define FEED_POLL_BUSY_MS     20
#define FEED_POLL_IDLE_MS     1000
#define FEED_BATCH            500
#define FEED_QUEUE_EVENTS     1024
#define FEED_QUEUE_BYTES      (1024 * 1024)
#define FEED_STREAMS_PER_USER 8
#define FEED_HEARTBEAT_US     (INT64_C(15) * 1000000)

/* Starts the hub on target's database. wake(arg) is called (from the
 * poller) after events were queued, so the HTTP layer resumes its idle
 * streams; NULL: none. */
hail_err feed_hub_start(const char *target, void (*wake)(void *), void *wake_arg);
/* Stops the poller; open subscribers' streams end (their next read says
 * so). Safe when not started. */
void feed_hub_stop(void);

/* What a stream asks for: the filters of store/feed.h, as parsed from the
 * request (the strings are copied by feed_subscribe). */
typedef struct feed_query {
    int64_t person_id;
    const char *account, *opportunity;
    char **types;
    size_t ntypes;
    int human_only;
    int mine; /* scope=mine: the viewer alone; else their whole visibility scope */
} feed_query;

/* The scope q asks for (mine: v as a rep; team: v's own). */
hail_err feed_scope_load(db *d, const email_viewer *v, const feed_query *q, vis_scope *out);

typedef struct feed_sub feed_sub;

/* Subscribes v with q. last_event_id > 0: resumes after that activity (its
 * position in commit order): the first reads replay what v may see since,
 * then live events follow, with no gap and no repeat; 0: from now.
 * Errors: HAIL_EUNAVAIL when the hub is not running ("the live feed is not
 * running"), HAIL_EQUOTA when v has FEED_STREAMS_PER_USER streams open on
 * this node, HAIL_ENOTFOUND for an unknown last_event_id. */
hail_err feed_subscribe(db *d, const email_viewer *v, const feed_query *q, int64_t last_event_id,
                        feed_sub **out);
/* The stream's next bytes (an http_stream_fn): "retry: 3000" first, then
 * events ("id: N\nevent: activity\ndata: <FeedEvent>\n\n"), a ": heartbeat"
 * comment after FEED_HEARTBEAT_US of silence; 0 when there is nothing now;
 * -1 at the end (after "event: dropped", or when the hub stopped). */
long feed_sub_read(void *sub, char *out, size_t max);
/* Unsubscribes and frees (any thread). */
void feed_sub_free(void *sub);

/* Streams open on this node (tests, the status page). */
int feed_hub_streams(void);

/* A page of the feed, newest first, as FeedEvents (with "type_name"). */
hail_err feed_page(db *d, const email_viewer *v, const feed_query *q, int64_t before, int limit,
                   json_t **out, int64_t *next);

#endif
