/* Is a tracking hit a person or a machine? A pure function of what the hit
 * and its email say; no I/O.
 *
 * Machine events are recorded with machine=true, never dropped (docs/mail.md,
 * "Tracking"). An open is a machine's when a privacy proxy fetched the pixel
 * (Apple Mail Privacy Protection, Google's and Yahoo's image proxies), when
 * it came as HEAD, or from a known scanner or a client with no User-Agent.
 * A click is a machine's when it came as HEAD, from a known scanner user
 * agent, within MACHINE_EARLY_US of delivery, with no open of the email
 * before it, or when it completes a burst: every link of an email clicked
 * within MACHINE_BURST_US.
 */
#ifndef HAIL_CORE_MACHINE_H
#define HAIL_CORE_MACHINE_H

#include <stdint.h>

#define MACHINE_EARLY_US (INT64_C(10) * 1000000) /* a click this soon after delivery */
#define MACHINE_BURST_US (INT64_C(10) * 1000000) /* every link clicked within this */

typedef struct machine_hit {
    char kind;              /* 'o' open, 'c' click */
    int head;               /* the request was HEAD */
    const char *user_agent; /* NULL or "" when absent */
    const char *client;     /* the client's IP address (text), NULL when unknown */
    int64_t at;             /* when, epoch µs */
    int64_t sent_at;        /* when the email went out, epoch µs; 0 when unknown */
    /* Clicks only: */
    int opened;      /* the email had an open (human or machine) before this click */
    int links;       /* distinct links (URLs) in the email */
    int burst_links; /* distinct links clicked within MACHINE_BURST_US up to and including this
                        click */
} machine_hit;

typedef enum machine_reason {
    MACHINE_HUMAN = 0,
    MACHINE_HEAD,          /* a HEAD request: no browser asks that way */
    MACHINE_APPLE_PROXY,   /* Apple Mail Privacy Protection prefetch */
    MACHINE_GOOGLE_PROXY,  /* GoogleImageProxy */
    MACHINE_YAHOO_PROXY,   /* YahooMailProxy */
    MACHINE_SCANNER_AGENT, /* a link scanner, bot or HTTP library; or no User-Agent */
    MACHINE_EARLY,         /* a click within MACHINE_EARLY_US of delivery */
    MACHINE_BURST,         /* every link of the email clicked within MACHINE_BURST_US */
    MACHINE_NO_OPEN,       /* a click with no open before it */
} machine_reason;

/* Why h is a machine's, or MACHINE_HUMAN. The first reason that applies, in
 * the order of the enum. */
machine_reason machine_classify(const machine_hit *h);

/* The reason's name as recorded in the activity's attrs.machine_reason
 * ("head", "apple_privacy_proxy", …); NULL for MACHINE_HUMAN. */
const char *machine_reason_name(machine_reason r);

#endif
