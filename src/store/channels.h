/* Delivery configuration in the store: channels (with their sealed
 * passwords, throttles and status), sender identities and the blocked
 * domains; and the counts of emails sent on a channel that its throttles
 * read. SQL only: sealing, checks and meaning are mail/channel.c's and the
 * API's. */
#ifndef HAIL_STORE_CHANNELS_H
#define HAIL_STORE_CHANNELS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* The SMTP server or IMAP inbox of a channel. */
typedef struct ch_endpoint {
    char *host; /* NULL: not configured */
    int port;
    char *tls; /* "starttls", "tls" or "none" */
    char *username;
    unsigned char *password; /* sealed (mail/seal.h); NULL when none */
    size_t password_len;
    char *folder, *sent_folder; /* IMAP only */
} ch_endpoint;

typedef struct channel_row {
    int64_t id;
    char *name;
    char *kind; /* "maildir" or "smtp" */
    int is_default;
    ch_endpoint smtp, imap;
    /* throttles: 0 when none */
    int64_t per_minute, per_hour, per_day, per_domain_per_hour;
} channel_row;

/* HAIL_ENOTFOUND (no message: the caller names it) when there is no such channel. */
hail_err channels_get(db *d, int64_t id, channel_row *out);
void channel_row_free(channel_row *r);

/* Emails sent on a channel (to domain, when not NULL) with sent_at > since:
 * their number, and the sent_at of the one at offset (0-based, oldest first). */
hail_err channels_sent_count(db *d, int64_t channel_id, const char *domain, int64_t since,
                             int64_t *count);
hail_err channels_sent_at_offset(db *d, int64_t channel_id, const char *domain, int64_t since,
                                 int64_t offset, int64_t *at);

typedef struct sender_row {
    int64_t id, user_id, channel_id;
    char *address, *display_name, *signature_html;
} sender_row;

/* HAIL_ENOTFOUND (no message) when there is no such sender. */
hail_err senders_row_get(db *d, int64_t id, sender_row *out);
void sender_row_free(sender_row *s);

/* Whether domain itself is on the blocked list (exact, lower case). */
hail_err blocked_domains_has(db *d, const char *domain, int *found);

#endif
