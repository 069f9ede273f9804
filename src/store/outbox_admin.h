/* What Admin -> Integrations reads of the outboxes, and its one write
 * ("retry now"). The workers (store/outbox.h) own log_cursors and the
 * outbox tables; this reads them and re-queues skips (docs/outbox.md). */
#ifndef HAIL_STORE_OUTBOX_ADMIN_H
#define HAIL_STORE_OUTBOX_ADMIN_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/feed.h"

/* The backlog is counted up to this many rows and then reported as "at
 * least": a count over a LIMIT, cheap however long the log is. */
#define OUTBOX_BACKLOG_CAP 100000

typedef struct outbox_status {
    int started; /* 0: no log_cursors row yet (the worker never ran) */
    feed_pos pos;
    int64_t sent, skipped, calls;      /* the worker's counters */
    int64_t last_ok_at, last_error_at; /* epoch µs, 0: never */
    int64_t waiting_until;             /* epoch µs, 0: not waiting */
    char *last_error;                  /* NULL: none since the last success */
    int64_t backlog;                   /* activities after the cursor, at most CAP + 1 */
    int backlog_capped;                /* 1: more than OUTBOX_BACKLOG_CAP */
    int64_t in_flight;                 /* outbox_batches rows */
    int64_t skips;                     /* outbox_skips rows now (capped like the backlog) */
    int64_t retry_queued;              /* outbox_retry rows */
} outbox_status;

hail_err outbox_admin_status(db *d, const char *consumer, outbox_status *out);
void outbox_status_free(outbox_status *s);

/* A page of the consumer's skips, newest first (outbox_skips_at), as JSON
 * objects {"activity_id", "reason", "at" (µs), "type", "occurred_at" (µs),
 * "person_id", "person_name", "person_email"} (the activity's columns null
 * when it is gone). Starts after the position (before_at, before_id) of the
 * last row of the page before; before_at 0: the newest. *more is 1 when
 * another page follows. */
hail_err outbox_admin_skips(db *d, const char *consumer, int64_t before_at, int64_t before_id,
                            int limit, json_t **rows, int *more);

/* The page's statement (a unit test shows its plan uses outbox_skips_at). */
extern const char outbox_admin_skips_sql[];

/* "Retry now": in one transaction, every skip of the consumer moves to
 * outbox_retry (the worker sends them again before what follows its
 * cursor), and its waiting_until, last_error and last_error_at are cleared
 * so that a waiting worker tries at once. *moved: how many skips moved. */
hail_err outbox_admin_retry(db *d, const char *consumer, int64_t *moved);

/* Reminder tasks both ways with Salesforce (store/sfdc_tasks.h), for the
 * Salesforce status: exact counts, each read through an index. */
typedef struct outbox_reminder_tasks {
    int64_t linked;          /* tasks linked to a Task (not SFDC_GONE) */
    int64_t pending;         /* hail's changes still to send (tasks_sfdc_dirty) */
    int64_t deletes_pending; /* sfdc_task_deletes rows: Tasks still to delete */
} outbox_reminder_tasks;

hail_err outbox_admin_reminder_tasks(db *d, outbox_reminder_tasks *out);

/* Its three statements (a unit test shows their plans use tasks_sfdc,
 * tasks_sfdc_dirty and sfdc_task_deletes' primary key). */
extern const char outbox_admin_tasks_linked_sql[];
extern const char outbox_admin_tasks_pending_sql[];
extern const char outbox_admin_task_deletes_sql[];

#endif
