/* The outbox: consumers of the activity log (docs/outbox.md, migration 9).
 *
 * A consumer ("marketo", "salesforce", "triggers") reads the log in commit
 * order after its cursor (store/feed.h positions), does its work, and
 * records what it did and its new position in one transaction, so nothing
 * is skipped or done twice by hail itself. A destination call that cannot
 * be repeated safely is bracketed by an in-flight batch (outbox_batch_begin
 * before the call, outbox_batch_finish after it): a batch still there at
 * start-up was sent, or not, before a crash, and is reconciled by its
 * consumer before anything else is sent. Records the destination refused, or
 * that cannot be sent (no Marketo or Salesforce id), are skips: shown,
 * counted, and sent again only when an admin asks (outbox_retry_skips). */
#ifndef HAIL_STORE_OUTBOX_H
#define HAIL_STORE_OUTBOX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/feed.h"

/* One activity as the outboxes send it. Strings are NULL when unknown. */
typedef struct outbox_row {
    feed_pos pos; /* pos.id is the activity id */
    int retry;    /* 1: re-queued by "retry now" (not after the cursor) */
    char *type;   /* ACT_* (svc/activity.h) */
    int64_t person_id, user_id, email_id, template_id, campaign_id, call_id; /* 0: none */
    int64_t occurred_at; /* epoch microseconds */
    int machine;
    json_t *attrs; /* the activity's attrs (an object) */
    /* the person */
    int64_t marketo_id; /* 0: none */
    char *person_email, *sfdc_lead_id, *sfdc_contact_id, *sfdc_account_id, *sfdc_opportunity_id;
    /* the seller, the email, the template, the campaign, the call */
    char *user_name, *user_email;
    char *email_subject, *template_name, *campaign_name;
    char *call_outcome, *call_number, *call_notes;
    int64_t call_duration_s;
} outbox_row;

void outbox_rows_free(outbox_row *rows, size_t n);

/* The consumer's position (0, 0 for a new one: the whole log goes out). */
hail_err outbox_cursor(db *d, const char *consumer, feed_pos *out);

/* Up to limit rows to send next: the re-queued ones (outbox_retry, retry = 1)
 * first, then the final rows after the cursor in commit order. *end is the
 * position after the last cursor row read (the cursor when none). *rows is
 * malloc'd (NULL with *n 0 when there is nothing). */
hail_err outbox_read(db *d, const char *consumer, int limit, outbox_row **rows, size_t *n,
                     feed_pos *end);

/* Up to limit final rows after position `after` in commit order (no
 * re-queued ones): for a consumer that has batches in flight beyond its
 * cursor. *end as outbox_read's (after when none). */
hail_err outbox_read_after(db *d, feed_pos after, int limit, outbox_row **rows, size_t *n,
                           feed_pos *end);

/* Commits "these activities are being sent, and the cursor will be at end":
 * the in-flight batch. */
hail_err outbox_batch_begin(db *d, const char *consumer, const int64_t *activity_ids, size_t n,
                            feed_pos end, int64_t *batch_id);

/* One record's outcome. reason NULL: delivered. */
typedef struct outbox_result {
    int64_t activity_id;
    const char *reason; /* why it was skipped (recorded as is, cut to 1000 bytes) */
    int pass;           /* not for this destination: done, neither sent nor skipped */
    int retry;          /* the row was re-queued or skipped before (outbox_row.retry, or a
                           reconcile): its old rows go; 0 spares two deletes per record */
} outbox_result;

/* In one transaction: the skips recorded (a delivered record's old skip
 * removed), the re-queued rows of the batch cleared, the counters and
 * last_ok_at updated, last_error cleared, the cursor moved to the batch's
 * end (never back), and the batch row deleted. batch_id 0: no in-flight row
 * (a consumer whose calls are idempotent; end given directly). */
hail_err outbox_batch_finish(db *d, const char *consumer, int64_t batch_id, feed_pos end,
                             const outbox_result *res, size_t n, int64_t calls);

/* Deletes an in-flight batch that certainly did not arrive (the destination
 * refused the whole call): its rows are read again after the cursor. */
hail_err outbox_batch_abandon(db *d, int64_t batch_id);

/* A batch left in flight by a crash. */
typedef struct outbox_batch {
    int64_t id;
    feed_pos end;
    int64_t *activity_ids;
    size_t n;
    int64_t started_at;
} outbox_batch;

/* The consumer's in-flight batches, oldest first (caller frees with
 * outbox_batches_free). */
hail_err outbox_batches(db *d, const char *consumer, outbox_batch **out, size_t *n);
void outbox_batches_free(outbox_batch *b, size_t n);

/* The rows of these activity ids (for a reconcile), in id order. */
hail_err outbox_read_ids(db *d, const int64_t *ids, size_t nids, outbox_row **rows, size_t *n);

/* Records a call-level failure (shown on the Integrations page) and, when
 * waiting_until is not 0, until when the consumer waits (e.g. the daily
 * quota). */
hail_err outbox_note_error(db *d, const char *consumer, const char *message, int64_t waiting_until);

/* The last activity id recorded so far (0: none), committed or not yet final. */
hail_err outbox_last_id(db *d, int64_t *id);

/* How many activities with id <= upto the consumer has still to read (rows
 * after its cursor). On PostgreSQL a row stays unread while a transaction
 * older than its own is open anywhere on the server (store/feed.h). */
hail_err outbox_unread(db *d, const char *consumer, int64_t upto, int64_t *n);

/* When the consumer waits until (0: it does not wait; "retry now" clears it). */
hail_err outbox_waiting_until(db *d, const char *consumer, int64_t *until);

/* Moves the cursor (in the caller's transaction, or its own): for consumers
 * without batches, such as the trigger evaluator, which record their work
 * and their position together. Never moves it back. */
hail_err outbox_advance(db *d, const char *consumer, feed_pos to, int64_t done);

#endif
