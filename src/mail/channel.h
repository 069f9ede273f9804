/* Delivery (owner: delivery): sender identities, channels (maildir, smtp),
 * throttles and blocked domains — what the send queue (mail/send.c) asks
 * before and while it hands a message over.
 *
 * Maildir: DIR/mail/<channel id>/{tmp,new,cur}; a message is written to tmp/
 * and renamed into new/ (atomic), under a name that carries the email id so
 * that a crash can be reconciled by looking for it.
 * SMTP: libcurl through net/outbound.h (STARTTLS, TLS or none; AUTH when a
 * username is set); one limiter per channel.
 */
#ifndef HAIL_MAIL_CHANNEL_H
#define HAIL_MAIL_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

typedef struct sender_info {
    int64_t id, user_id, channel_id;
    char *address;        /* "rep@example.com" */
    char *display_name;   /* "Ann Rep" */
    char *signature_html; /* "" when none */
} sender_info;

/* HAIL_ENOTFOUND: "no sender with id N". */
hail_err senders_get(db *d, int64_t id, sender_info *out);
void sender_info_free(sender_info *s);

typedef struct channel channel;

/* Loads a channel's configuration (passwords unsealed in memory only).
 * HAIL_ENOTFOUND: "no channel with id N". */
hail_err channel_open(db *d, int64_t id, channel **out);
void channel_close(channel *c);
int64_t channel_id(const channel *c);
const char *channel_kind(const channel *c); /* "maildir" or "smtp" */

typedef struct deliver_req {
    int64_t email_id;
    const char *message_id;  /* "<…@…>" as in the message */
    const char *mail_from;   /* envelope sender address */
    const char *const *rcpt; /* envelope recipients: to, cc and bcc */
    size_t nrcpt;
    const char *msg; /* the whole RFC 5322 message, CRLF line ends */
    size_t len;
} deliver_req;

/* Hands the message over. HAIL_OK: accepted (maildir: in new/; smtp: the
 * server said 250 to DATA). HAIL_EUNAVAIL: not now (cannot connect, a 4xx
 * reply): retry later with backoff. HAIL_EREMOTE: refused for good (a 5xx
 * reply). reply (may be NULL) gets the server's reply text, or the error. */
hail_err channel_deliver(channel *c, const deliver_req *r, char *reply, size_t reply_n);

/* After a crash, whether an email found `sending` was handed over: *state 1
 * yes, 0 no, -1 cannot tell (smtp without an IMAP inbox to look in: the
 * email then fails with reason `uncertain`). maildir looks for its file;
 * smtp with an inbox searches the Sent folder for the Message-ID. */
hail_err channel_reconcile(channel *c, int64_t email_id, const char *message_id, int *state);

/* Throttles of the channel (per_minute, per_hour, per_day rolling 24 h,
 * per_domain_per_hour), counted from emails sent on it: *at gets 0 when one
 * more email to domain may leave now, else the epoch µs when it may. */
hail_err throttle_next(db *d, int64_t channel_id, const char *domain, int64_t now, int64_t *at);

/* Whether domain (lower case) or a parent of it is on the admin's blocked list. */
hail_err domain_blocked(db *d, const char *domain, int *blocked);

#endif
