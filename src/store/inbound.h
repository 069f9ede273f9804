/* What came back, in the store (owner: inbound): inbound_messages rows,
 * finding the email a message answers, the effects on emails, and the IMAP
 * state of each channel (UIDVALIDITY, last UID, status, the poller's lease).
 * SQL only: the meaning is mail/inbound.c's and mail/poller.c's. */
#ifndef HAIL_STORE_INBOUND_H
#define HAIL_STORE_INBOUND_H

#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

typedef struct inbound_row {
    int64_t channel_id;     /* 0: none (POST /api/v1/inbound) */
    const char *source;     /* "imap" or "api" */
    int64_t imap_uid;       /* 0: none */
    const char *message_id; /* may be NULL */
    const char *kind;
    int64_t email_id, person_id; /* 0: none */
    const char *return_date;     /* "YYYY-MM-DD" or NULL */
    const char *detail;          /* JSON text */
    int64_t received_at;
} inbound_row;

hail_err inbound_insert(db *d, const inbound_row *r, int64_t *id);

/* The row already stored for a Message-ID: *id 0 when none; *detail
 * (malloc'd JSON text, may be NULL) and the rest as stored. */
hail_err inbound_find_message_id(db *d, const char *message_id, int64_t *id, char **kind,
                                 int64_t *email_id, int64_t *person_id, char **return_date,
                                 char **detail);

/* The email (sent, sending or bounced; not a draft) that a Message-ID names:
 * *email_id 0 when none. */
hail_err inbound_email_by_message_id(db *d, const char *message_id, int64_t *email_id,
                                     int64_t *person_id);
/* The same by id (a hail Message-ID whose random part was rewritten). */
hail_err inbound_email_by_id(db *d, int64_t id, int64_t *email_id, int64_t *person_id);
/* The newest email sent to address since `since` whose subject is subject
 * (NULL: any subject): the fallback when the references are gone. */
hail_err inbound_email_by_recipient(db *d, const char *address, const char *subject, int64_t since,
                                    int64_t *email_id, int64_t *person_id);
/* A person whose address is address (case-insensitive): *person_id 0 when none. */
hail_err inbound_person_by_address(db *d, const char *address, int64_t *person_id);

/* replied_at (first reply) and bounced (status and bounced_at) of an email. */
hail_err inbound_email_replied(db *d, int64_t email_id, int64_t at);
hail_err inbound_email_bounced(db *d, int64_t email_id, int64_t at);

/* ---- IMAP state of channels ---- */

/* Leases one channel with an IMAP inbox whose lease is free (or ours) and
 * whose last poll is at or before due: *channel_id 0 when none. */
hail_err inbound_lease_channel(db *d, const char *owner, int64_t now, int64_t due,
                               int64_t lease_until, int64_t *channel_id);
/* Gives the lease back (only if still ours). */
hail_err inbound_release_channel(db *d, int64_t channel_id, const char *owner);
/* Extends the lease: *kept 0 when another node holds it now. */
hail_err inbound_renew_channel(db *d, int64_t channel_id, const char *owner, int64_t lease_until,
                               int *kept);

/* Inside the transaction that stored message uid: the channel's last UID. */
hail_err inbound_set_last_uid(db *d, int64_t channel_id, int64_t uid);

hail_err inbound_imap_state(db *d, int64_t channel_id, int64_t *uidvalidity, int64_t *last_uid);
/* Records a poll: state "ok", "error" or "uidvalidity_changed", error text
 * (NULL when none), the UIDVALIDITY and last UID (when ≥ 0; -1 keeps them). */
hail_err inbound_imap_record(db *d, int64_t channel_id, const char *state, const char *error,
                             int64_t polled_at, int64_t uidvalidity, int64_t last_uid);

#endif
