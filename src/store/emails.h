/* Emails and their attachments: the SQL behind the send queue (mail/send.c)
 * and the email routes (api/emails.c). Times are epoch microseconds.
 *
 * Statuses: draft, scheduled (due at next_attempt_at), sending (handed to a
 * channel by the lease owner), sent, failed, bounced. A sender worker claims
 * scheduled rows with a row lease (store/lease.h) and moves them on with
 * the functions below, each of which checks that it still holds the lease
 * (lease_owner = owner): a lease taken over by another node makes them
 * change nothing (0).
 */
#ifndef HAIL_STORE_EMAILS_H
#define HAIL_STORE_EMAILS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/lease.h"

typedef struct email_new {
    int64_t person_id, user_id, sender_id, channel_id, template_id; /* template_id 0: none */
    const char *status;                                             /* "draft" or "scheduled" */
    const char *to_address, *to_domain;
    const char *cc, *bcc; /* JSON arrays of addresses */
    const char *subject, *body_html;
    int commercial;
    int64_t send_at;       /* 0: now */
    const char *time_zone; /* NULL: none */
    int64_t next_attempt_at;
    /* A campaign's email (0: none): its campaign, membership and step; the
     * email task it completes; the thread it follows up (NULL: none). */
    int64_t campaign_id, campaign_member_id, task_id;
    int campaign_step;
    const char *in_reply_to, *refs;
} email_new;

hail_err emails_insert(db *d, const email_new *e, int64_t now, int64_t *id);
hail_err emails_attach(db *d, int64_t email_id, const char *filename, const char *content_type,
                       const void *data, size_t size);

/* A person as a recipient: HAIL_ENOTFOUND ("no person with id N"). */
typedef struct email_recipient {
    int active;  /* active and not deleted */
    char *email; /* "" when none */
    char *name;  /* "First Last", "" when neither */
} email_recipient;
hail_err emails_recipient(db *d, int64_t person_id, email_recipient *out);
void email_recipient_free(email_recipient *r);

/* One email as the sender and the API read it. */
typedef struct email_row {
    int64_t id, person_id, user_id, sender_id, channel_id, template_id;
    char status[16];
    char *to_address, *to_domain, *to_name; /* to_name: the person's name ("" when none) */
    char *cc, *bcc;                         /* JSON arrays */
    char *subject, *body_html;
    char *message_id; /* NULL until first handed over */
    char *lease_owner;
    char *time_zone;
    char *in_reply_to, *refs; /* a follow-up's thread; NULL when none */
    int commercial;
    int64_t attempts, send_at, next_attempt_at, lease_until;
} email_row;

/* HAIL_ENOTFOUND ("no email with id N") when it does not exist. */
hail_err emails_load(db *d, int64_t id, email_row *out);
void email_row_free(email_row *r);

typedef struct email_attachment {
    int64_t id;
    char *filename, *content_type;
    unsigned char *data;
    size_t size;
} email_attachment;

/* The attachments of an email in order (with their data when with_data). */
hail_err emails_attachments(db *d, int64_t email_id, int with_data, email_attachment **out,
                            size_t *n);
void email_attachments_free(email_attachment *a, size_t n);

/* Whether an email is due and free at now: a read (no write lock), so an
 * idle sender does not take the write lock every time it looks. 1 yes, 0
 * no, -1 error. */
int emails_due_exists(db *d, int64_t now);

/* The queue's claim: scheduled rows due at $3 (now), oldest due first. */
extern lease_rows emails_due_rows;

/* scheduled (leased by owner) -> sending: message_id and links kept, one
 * more attempt, the lease until until. 1 done, 0 not owner's, -1 error. */
int emails_mark_sending(db *d, int64_t id, const char *owner, const char *message_id,
                        const char *links, int64_t until, int64_t now);
/* -> sent (the lease freed). reply: the channel's reply (may be NULL). */
int emails_mark_sent(db *d, int64_t id, const char *owner, const char *reply, int64_t now);
/* -> failed with reason (and the server's reply, may be NULL). */
int emails_mark_failed(db *d, int64_t id, const char *owner, const char *reason, const char *reply,
                       int64_t now);
/* -> scheduled again at at (a retry, a throttle, a wait): the lease freed;
 * reply (may be NULL) kept as the last answer. */
int emails_reschedule(db *d, int64_t id, const char *owner, int64_t at, const char *reply,
                      int64_t now);

/* The leased rows (lease_owner set): id, status, owner, lease_until each,
 * for the sweep that frees or reconciles the leases of dead senders. */
typedef struct email_lease {
    int64_t id, until;
    char status[16];
    char owner[LEASE_OWNER_MAX + 1];
} email_lease;
hail_err emails_leased(db *d, email_lease **out, size_t *n);
/* Moves the lease of id from old to owner until until: 1 taken, 0 changed meanwhile. */
int emails_lease_take(db *d, int64_t id, const char *old, const char *owner, int64_t until);
/* Frees the lease of id held by old (a dead sender's claim of a scheduled row). */
int emails_lease_drop(db *d, int64_t id, const char *old);

/* ---- the API's side ---- */

/* Who may see what: reps their own emails, managers their teams' users',
 * admins all. */
typedef struct email_viewer {
    int64_t user_id;
    const char *role; /* "admin", "manager", "rep" */
} email_viewer;

typedef struct email_filter {
    int64_t person_id, sender_id;      /* 0: any */
    const char *account, *opportunity; /* Salesforce ids; NULL: any */
    const char *status;                /* NULL: any */
    int64_t before_id;                 /* 0: from the newest */
    int limit;
} email_filter;

/* A page of EmailSummary objects (newest first); *next the last id when
 * more follow, else 0. */
hail_err emails_list(db *d, const email_viewer *v, const email_filter *f, json_t **out,
                     int64_t *next);
/* One EmailSummary; HAIL_ENOTFOUND ("no email with id N") when it does not
 * exist or v may not see it. */
hail_err emails_summary(db *d, const email_viewer *v, int64_t id, json_t **out);
/* Adds to an EmailSummary what the detail shows: cc, bcc, template
 * ({id,name} or null), campaign (null), html, message_id, smtp_reply,
 * attachments ([{id, filename, content_type, size}]). */
hail_err emails_detail(db *d, int64_t id, json_t *obj);
/* Whether v may see email id (0 when it does not exist). */
int emails_visible(db *d, const email_viewer *v, int64_t id);

/* Draft/scheduled edits: the fields given (NULL: unchanged). 1 changed, 0
 * the email is not draft or scheduled any more. */
typedef struct email_edit {
    const char *status; /* "scheduled" or NULL */
    const char *subject, *body_html, *cc, *bcc, *time_zone;
    int64_t send_at;         /* -1: unchanged, 0: now */
    int64_t next_attempt_at; /* with status or send_at */
} email_edit;
int emails_edit(db *d, int64_t id, const email_edit *e, int64_t now);
/* Deletes a draft or scheduled email that nobody holds: 1 done, 0 not so. */
int emails_cancel(db *d, int64_t id);
/* failed -> scheduled now: 1 done, 0 not failed. */
int emails_retry(db *d, int64_t id, int64_t now);

#endif
