/* The outbound client: one module for every connection hail makes to a
 * remote service — SMTP, IMAP, Marketo, (later) Salesforce. It owns what
 * they share, so no client keeps its own copy:
 *   - a libcurl easy handle per client, reset and set up with the common
 *     options (timeouts, no signals, TLS verification — with HAIL_CA_FILE
 *     trusted besides the system's CAs —, user agent, stop checks, the
 *     server's replies kept for messages) before each exchange;
 *   - the meaning of a failed transfer: transient (connection refused or
 *     lost, timeout, a 4xx SMTP/IMAP reply, HTTP 429/5xx) or permanent;
 *   - retry with exponential backoff and jitter, stopping on request;
 *   - named limiters shared by every client of a service in this process: a
 *     sliding-window rate and a cap on exchanges in flight.
 * Secrets (passwords, tokens) are handed to curl and never logged: error
 * texts come from curl's error buffer, which does not contain them.
 */
#ifndef HAIL_NET_OUTBOUND_H
#define HAIL_NET_OUTBOUND_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/err.h"

/* ---- limiters (process-wide, by name: "marketo", "smtp:3", …) ---- */

typedef struct ob_limiter ob_limiter;

/* The limiter called name, created on first use with at most `calls` in any
 * window_us (0: no rate) and `in_flight` at once (0: no cap). Later calls
 * with the same name return the same limiter (their numbers are ignored).
 * Never freed. */
hail_err ob_limiter_get(const char *name, int calls, int64_t window_us, int in_flight,
                        ob_limiter **out);
/* Waits for a slot (rate and in-flight); HAIL_ECANCELLED when stop is set. */
hail_err ob_limiter_take(ob_limiter *l, const atomic_int *stop);
void ob_limiter_give(ob_limiter *l);

/* ---- clients ---- */

typedef struct ob_opts {
    const char *service;     /* for messages: "Marketo", "SMTP server mail.example.com:587" */
    long connect_timeout_ms; /* 0: 15 s */
    long timeout_ms;         /* whole exchange; 0: 300 s */
    const atomic_int *stop;  /* set by another thread to abort (may be NULL) */
    ob_limiter *limiter;     /* may be NULL */
    int max_attempts;        /* for ob_retry; 0: 8 */
    int64_t retry_base_us;   /* 0: 0.5 s */
    int64_t retry_cap_us;    /* 0: 30 s */
} ob_opts;

typedef struct ob_client ob_client;

hail_err ob_client_new(const ob_opts *o, ob_client **out);
void ob_client_free(ob_client *c);

/* The client's handle, reset and given the common options; the caller adds
 * the URL and what its protocol needs, then calls ob_perform. */
CURL *ob_easy(ob_client *c);

/* Performs the exchange set up on ob_easy(c) (taking and giving the
 * limiter's slot). HAIL_OK when the transfer completed (for HTTP, any
 * status: read it with ob_status); otherwise the failure with a message
 * "<service>: <curl's reason>": HAIL_EUNAVAIL when trying again later may
 * work (cannot connect, timeout, connection lost, an SMTP/IMAP 4xx reply),
 * HAIL_EREMOTE when it will not (a 5xx SMTP reply, login refused, TLS
 * verification failed), HAIL_ECANCELLED when stopped. */
hail_err ob_perform(ob_client *c);
/* The last exchange's response code (HTTP status, or the SMTP/IMAP reply code). */
long ob_status(ob_client *c);
/* Why the last ob_perform failed: a mail server's refusal in its own words
 * (its last reply, e.g. "550 5.1.1 <a@b>: Recipient address rejected"),
 * else curl's reason ("" after a success). */
const char *ob_error_text(ob_client *c);
/* The server's last reply of the last exchange (SMTP/IMAP; lines of a
 * multi-line reply joined by a space), e.g. "250 2.0.0 Ok: queued as X";
 * "" if none. Never anything hail sent. */
const char *ob_reply(ob_client *c);

/* Backoff before attempt+1: base·2^attempt, capped, with jitter in [½, 1]. */
int64_t ob_backoff_us(int attempt, int64_t base_us, int64_t cap_us, uint32_t rnd);

/* Runs attempt(c, ctx) until it returns anything but HAIL_EUNAVAIL, up to
 * max_attempts times with backoff between (logged as a warning naming the
 * service); returns its last result. */
hail_err ob_retry(ob_client *c, hail_err (*attempt)(ob_client *c, void *ctx), void *ctx);

#endif
