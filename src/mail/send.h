/* Compose and the send queue (docs/mail.md, "Compose and send" and "The
 * send queue").
 *
 * send_create() makes one email (a draft, or scheduled for now or later)
 * after every check: the sender is the caller's (admins: anyone's), the
 * template one they may use, and the person can be emailed — refusals
 * (send_result.refused): inactive_person, no_email, unsubscribed (except
 * with a non-commercial template), blocked_domain, unfilled_field (a field
 * without a value, or a prompt not replaced). A draft is kept as written
 * (its fields unfilled) and checked when it is scheduled.
 *
 * The sender workers of `hail serve` lease due emails from the database (any
 * number of nodes may send: store/lease.h's row leases, FOR UPDATE SKIP
 * LOCKED on PostgreSQL), check them again (unsubscribed, blocked domain,
 * the optional Marketo unsubscribe check — which, when Marketo cannot be
 * asked, makes the email wait: it is never sent unchecked), hold them while
 * a throttle says so (they wait, in order; a throttle never fails one),
 * build the message (mail/mime.h), mark them `sending`, hand them to their
 * channel, and mark them `sent` together with their Send activity in one
 * transaction. A 4xx answer (or no answer) is retried with backoff; a 5xx
 * fails the email with the server's reply kept. An email found `sending`
 * whose sender died is reconciled with its channel — never blindly sent
 * again: handed over → sent (and its Send activity); not → scheduled;
 * cannot tell (SMTP without an IMAP inbox) → failed, reason `uncertain`.
 */
#ifndef HAIL_MAIL_SEND_H
#define HAIL_MAIL_SEND_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/emails.h"

/* Refusal reasons (the API's error codes and bulk results). */
#define SEND_UNSUBSCRIBED    "unsubscribed"
#define SEND_BLOCKED_DOMAIN  "blocked_domain"
#define SEND_UNFILLED_FIELD  "unfilled_field"
#define SEND_INACTIVE_PERSON "inactive_person"
#define SEND_NO_EMAIL        "no_email"

/* Attachments: 23 MB in all at most (HAIL_ETOOBIG past it). */
#define SEND_ATTACHMENTS_MAX (INT64_C(23) * 1000 * 1000)

typedef struct send_attachment {
    const char *filename, *content_type;
    const void *data;
    size_t size;
} send_attachment;

typedef struct send_request {
    int64_t user_id;  /* the caller */
    const char *role; /* "admin", "manager", "rep" */
    int64_t person_id, sender_id;
    int64_t template_id;             /* 0: none */
    const char *subject, *body_html; /* NULL: the template's */
    json_t *cc, *bcc;                /* arrays of addresses (borrowed), NULL: none */
    const send_attachment *att;
    size_t natt;
    int64_t send_at;       /* epoch µs, 0: now */
    const char *time_zone; /* kept for display; NULL: none */
    int draft;
    /* The caller's transaction (campaign steps, email tasks): 1 creates the
     * email inside the transaction d is in, without beginning or committing
     * one. */
    int in_tx;
    /* A campaign's email or an email task's (0: none), and the thread it
     * follows up (NULL: none): stored on the email (store/emails.h). */
    int64_t campaign_id, campaign_member_id, task_id;
    int campaign_step;
    const char *in_reply_to, *refs;
} send_request;

typedef struct send_result {
    int64_t email_id;    /* 0 when refused */
    const char *refused; /* NULL, or one of SEND_* above */
    char message[512];   /* why, when refused */
} send_result;

/* Creates the email (its own transaction). HAIL_OK with res->refused set
 * for a refusal; errors: HAIL_ENOTFOUND (no such person, sender, template),
 * HAIL_EFORBIDDEN (another user's sender), HAIL_EINVAL (an archived
 * template, a template that does not parse, no subject), HAIL_ETOOBIG. */
hail_err send_create(db *d, const send_request *r, send_result *res);

/* One template to many people: res[i] for person_ids[i]. */
hail_err send_bulk(db *d, const send_request *base, const int64_t *person_ids, size_t n,
                   send_result *res);

/* Changes a draft or scheduled email (NULL / -1: unchanged); schedule: 1 to
 * send a draft (all the checks of send_create; a refusal comes back in
 * res). HAIL_ENOTFOUND when v may not see it; HAIL_EBUSY ("the email is
 * already STATUS") when it is no longer a draft or scheduled. */
typedef struct send_edit {
    int schedule;
    const char *subject, *body_html;
    json_t *cc, *bcc;
    int64_t send_at; /* -1: unchanged, 0: now */
    const char *time_zone;
} send_edit;
hail_err send_update(db *d, int64_t user_id, const char *role, int64_t email_id, const send_edit *e,
                     send_result *res);

/* ---- reading and changing emails (the API's side) ---- */

/* A page of EmailSummary objects v may see (store/emails.h). */
hail_err send_list(db *d, const email_viewer *v, const email_filter *f, json_t **out,
                   int64_t *next);
/* The Email object: the summary with cc, bcc, template, html, text,
 * attachments, events (its activities), message_id, smtp_reply.
 * HAIL_ENOTFOUND ("no email with id N") when v may not see it. */
hail_err send_get(db *d, const email_viewer *v, int64_t id, json_t **out);
/* Cancels (deletes) a draft or scheduled email: HAIL_EBUSY ("the email is
 * STATUS: …") otherwise. */
hail_err send_cancel(db *d, const email_viewer *v, int64_t id);
/* failed -> scheduled now: HAIL_EBUSY when it is not failed. */
hail_err send_retry(db *d, const email_viewer *v, int64_t id);

/* ---- the queue ---- */

/* One pass of a sender (what a worker does in a loop; tests call it):
 * frees or reconciles the leases of dead senders when sweep, then claims up
 * to batch due emails as owner and processes them. *done: how many it
 * handled (sent, failed, held or rescheduled). */
hail_err send_pass(db *d, const char *owner, int batch, int sweep, int *done);

/* Reconciles what senders that died left behind (leases of dead processes
 * on this host, expired leases of others). */
hail_err send_sweep(db *d, const char *owner);

/* A sender's owner id for its leases: "snd.<pid>.<start>.<random>@<host>". */
void send_owner_id(char *out, size_t n);

/* Backoff before retry n (1-based) of a 4xx / unreachable server. */
int64_t send_backoff_us(int64_t attempts);

/* settings()->send_workers threads for `hail serve` (each its own
 * connection to target); stop joins them. */
hail_err send_workers_start(const char *target);
void send_workers_stop(void);

#endif
