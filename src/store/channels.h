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
    /* read by channels_get only (not written by channels_save) */
    int64_t updated_at;      /* changes with every change of the configuration */
    int smtp_state;          /* 0 never, 1 ok, 2 error */
    int64_t smtp_checked_at; /* 0 when never */
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

/* ---- for the API (mail/delivery.c) ---- */

/* Writes a channel's configuration: a new one when r->id is 0 (*id gets
 * it), else the row r->id (HAIL_ENOTFOUND when gone). Passwords are written
 * as given (sealed). A taken name: HAIL_EEXIST (no message). reset_smtp /
 * reset_imap (updates): the server changed, so its status (and the inbox's
 * UIDVALIDITY and last UID) start again. */
hail_err channels_save(db *d, const channel_row *r, int reset_smtp, int reset_imap, int64_t now,
                       int64_t *id);
hail_err channels_delete(db *d, int64_t id); /* HAIL_ENOTFOUND when none */
/* The default channel's id (0 when there is none). */
hail_err channels_default_id(db *d, int64_t *id);
/* Records how the channel's SMTP server answered last: state "ok" or "error". */
hail_err channels_set_smtp_status(db *d, int64_t id, const char *state, const char *error,
                                  int64_t now);
/* How many senders and emails use a channel. */
hail_err channels_usage(db *d, int64_t id, int64_t *senders, int64_t *emails);
/* The API JSON of a channel (never a password: only password_set) and of a
 * page of channels in id order after after_id (*next: the last id when
 * more follow, else 0). HAIL_ENOTFOUND (no message) for an unknown id. */
hail_err channels_json(db *d, int64_t id, json_t **out);
hail_err channels_page_json(db *d, int64_t after_id, int limit, json_t **out, int64_t *next);

/* Senders: a new one when s->id is 0. HAIL_EEXIST (no message) when the
 * user already has the address. */
hail_err senders_save(db *d, const sender_row *s, int64_t now, int64_t *id);
hail_err senders_delete(db *d, int64_t id);
hail_err senders_email_count(db *d, int64_t id, int64_t *n);
/* How many campaigns send as sender id. */
hail_err senders_campaign_count(db *d, int64_t id, int64_t *n);
hail_err senders_json(db *d, int64_t id, json_t **out);
/* A page of senders in id order after after_id; user_id 0: everyone's. */
hail_err senders_page_json(db *d, int64_t user_id, int64_t after_id, int limit, json_t **out,
                           int64_t *next);

/* Blocked domains: HAIL_EEXIST (no message) when already there. */
hail_err blocked_domains_add(db *d, const char *domain, int64_t user_id, int64_t now);
hail_err blocked_domains_remove(db *d, const char *domain); /* HAIL_ENOTFOUND when absent */
hail_err blocked_domains_json(db *d, const char *domain, json_t **out);
/* A page in domain order after after (NULL: from the start); *next (free())
 * the last domain when more follow. */
hail_err blocked_domains_page_json(db *d, const char *after, int limit, json_t **out, char **next);

#endif
