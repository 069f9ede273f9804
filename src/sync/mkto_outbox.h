/* The Marketo outbox (docs/outbox.md, "To Marketo"): every sales activity
 * of the log becomes a Marketo custom activity on the person's lead, through
 * POST /rest/v1/activities/external.json, 300 at a time, in log order,
 * within the process-wide Marketo limits that the people sync shares.
 *
 * A consumer "marketo" of the activity log (store/outbox.h). Each call is an
 * in-flight batch: committed before the call, ended with the per-record
 * results and the cursor's move after it. A batch found in flight at start
 * (a crash between the call and its record) is reconciled: the batch's
 * leads' custom activities since the batch started are read back
 * (activities.json) and only the records whose hailActivityId is not there
 * are sent. One node sends at a time (the named lease "outbox.marketo").
 *
 * Threads: mkto_outbox_start/stop from `hail serve`'s main thread;
 * mkto_outbox_drain from any thread (the CLI and the bench). */
#ifndef HAIL_SYNC_MKTO_OUTBOX_H
#define HAIL_SYNC_MKTO_OUTBOX_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/outbox.h"
#include "sync/sync.h"

#define MKTO_OUTBOX_CONSUMER "marketo"
#define MKTO_OUTBOX_BATCH    300 /* records per external.json call (Marketo's maximum) */

/* The admin setting for machine-flagged opens and clicks (kv; svc/integrations). */
#define MKTO_OUTBOX_MACHINE_KEY "integrations.marketo.machine" /* "flagged" | "skip" */

/* How one row goes out. */
typedef enum {
    MKTO_OUT_SEND, /* a record of *rec */
    MKTO_OUT_PASS, /* not for Marketo (a type it does not get, a machine event not sent):
                      done, not counted as skipped */
    MKTO_OUT_SKIP  /* cannot be sent: *why says why */
} mkto_out_kind;

/* Marketo's activityTypeId of each of hail's types (0: unknown), by the
 * index of the type in mkto_ctypes. */
typedef struct mkto_type_ids {
    int64_t *ids;
    size_t n;
} mkto_type_ids;

/* Appends the external.json record for row r (PRODUCT.md §8's attributes
 * from the activity's attrs, plus hailActivityId and machine) to out as JSON
 * text, or says why not (out unchanged). */
mkto_out_kind mkto_outbox_record(const outbox_row *r, const mkto_type_ids *types, int send_machine,
                                 buf *out, const char **why);

/* What a drain did. */
typedef struct mkto_outbox_stats {
    uint64_t sent, skipped, passed, calls, reconciled, resent;
} mkto_outbox_stats;

/* Sends the log's backlog (and re-queued records) to Marketo until nothing
 * is left, reconciling batches left in flight first; returns when done, on a
 * stop, or on an error that waiting does not fix (credentials, the daily
 * quota: HAIL_EQUOTA). HAIL_EBUSY when another process holds the lease. */
hail_err mkto_outbox_drain(const char *db_path, const marketo_config *c, const atomic_int *stop,
                           mkto_outbox_stats *out);

/* The worker of `hail serve` (nothing when Marketo is not configured). */
hail_err mkto_outbox_start(const char *db_path);
void mkto_outbox_stop(void);

#endif
