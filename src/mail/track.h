/* Tracking and unsubscribe links (owner: tracking).
 *
 * Tokens are HMAC-SHA256 over (kind, email id, link index) with the install's
 * tracking key (core/track_token.h): one key per installation, kept in the
 * database (kv) so that every node of a PostgreSQL install shares it.
 *
 * Hits (opens and clicks) are written by one thread, the hit writer: HTTP
 * threads queue them (track_submit) and are told when each is committed;
 * the writer takes everything queued, records it in one transaction (group
 * commit: one fsync for many hits) and then reports every hit of the batch.
 * So a hit is durable before its reply is sent, at a fraction of a commit.
 */
#ifndef HAIL_MAIL_TRACK_H
#define HAIL_MAIL_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/track_token.h"
#include "store/db.h"

#define TRACK_URL_MAX 1024

/* The public URL of kind for email_id (link: the link's index for 'c', else
 * 0), under settings()->public_url:
 *   'o' open pixel   PUBLIC/t/o/TOKEN
 *   'c' click        PUBLIC/t/c/TOKEN
 *   'u' unsubscribe  PUBLIC/u/TOKEN   (the page, and the RFC 8058 one-click POST)
 * Creates the install's key on first use. HAIL_EINVAL for a bad kind, an
 * email id < 1 or a link outside 0..TRACK_LINK_MAX. */
hail_err track_url(db *d, char kind, int64_t email_id, int link, char *out, size_t n);

/* The install's key: read once per process (per database), created on
 * first use. */
hail_err track_key(db *d, unsigned char key[TRACK_KEY_BYTES]);

/* What became of a hit. */
enum track_result {
    TRACK_RECORDED = 1, /* an activity and the email's counters, committed */
    TRACK_IGNORED,      /* a valid hit not counted: the sender's own view, or not sent yet */
    TRACK_NOT_FOUND,    /* no such email, or no such link in it: nothing recorded */
    TRACK_FAILED,       /* the database failed: nothing recorded */
};

/* One hit, made by the submitter (an HTTP thread) and handed to the writer
 * until done() is called. */
typedef struct track_hit track_hit;
struct track_hit {
    /* in */
    char kind; /* 'o' or 'c' */
    int64_t email_id;
    int link;          /* clicks: the link's index in the email's links */
    int head;          /* a HEAD request */
    int64_t viewer_id; /* the signed-in user whose browser made the request, else 0 */
    int64_t at;        /* epoch µs */
    char user_agent[512];
    char client[64];
    /* Called on the writer thread once the hit is committed or failed; it
     * must not block. */
    void (*done)(track_hit *h);
    void *arg;
    /* out, set before done() */
    enum track_result result;
    int machine;
    char location[2048]; /* clicks: the link's URL ("" when none) */
    track_hit *next;
};

/* Starts the hit writer on its own connection to the database at target. */
hail_err track_writer_start(const char *target);
/* Stops it: what is queued is written first (every done() is called). */
void track_writer_stop(void);
/* Queues h for the writer. HAIL_EUNAVAIL when the writer is not running
 * (then done() is never called for h). */
hail_err track_submit(track_hit *h);

/* Writes hits in the caller's transaction, as the writer does (for tests and
 * the writer itself): sets each hit's result, machine and location. A
 * database error stops it: the caller rolls back. */
hail_err track_record(db *d, track_hit *h);

#endif
