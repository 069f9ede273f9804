/* Triggers (issue 11; docs/outbox.md "Filters and triggers"): on an
 * activity that makes its person match a saved filter, do something once —
 * call a webhook, add the person to a campaign, or create a task.
 *
 * Who: admins only (a webhook sends people's data out of hail, and the
 * other actions act in the name of the trigger's creator), for every route.
 *
 * A trigger's config, by action (unknown members are refused):
 *   webhook          {"url", "secret"}: url http(s)://, at most 2000
 *                    characters; secret 16 to 1024 characters, required at
 *                    creation, write-only (sealed as channel passwords are,
 *                    mail/seal.h; answers say "secret_set").
 *   add_to_campaign  {"campaign_id"}: the person joins as if the trigger's
 *                    creator added them (refusals recorded as the outcome).
 *   create_task      {"task_name", "task_type" (call | linkedin | custom,
 *                    default custom), "task_details" (at most 1000 characters), "task_priority"
 *                    (normal | high), "due_in_hours" (0 to 8760, default 0),
 *                    "assignee_id" (default: the trigger's creator)}.
 *
 * The evaluator (trig_eval_step) is the log consumer "triggers"
 * (store/outbox.h), run by one node at a time (the named lease
 * TRIG_EVAL_LEASE): for each new activity, each enabled trigger whose filter
 * mentions the activity's type (every "type"/"types" string in the filter's
 * definition; a filter naming none: every type) is tested with
 * filter_matches_person(person, now). A match inserts trigger_fires
 * (trigger, activity) — ON CONFLICT DO NOTHING — and performs the action in
 * the same transaction as the cursor's move: once per activity, across
 * crashes and nodes. No chains: the activity an action records (an Add to
 * Sales Campaign) is kept as the firing's effect_id and no trigger
 * evaluates it, so triggers cannot loop.
 *
 * Webhooks: the action writes a webhook_deliveries row; the delivery worker
 * (wh_deliver_step, any node: row leases) POSTs its body with
 * X-Hail-Signature: sha256=<hex HMAC-SHA256 of the body under the secret>
 * and X-Hail-Delivery: <delivery id>. 2xx: delivered. Else retried with
 * backoff up to TRIG_WH_ATTEMPTS attempts, then "failed". Delivery is at
 * least once (a crash after the POST and before its record sends it again):
 * receivers deduplicate by X-Hail-Delivery. */
#ifndef HAIL_SVC_TRIGGERS_H
#define HAIL_SVC_TRIGGERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

#define TRIG_CONSUMER       "triggers"      /* the log cursor */
#define TRIG_EVAL_LEASE     "triggers.eval" /* store/lease.h */
#define TRIG_EVAL_BATCH     200             /* activities per transaction */
#define TRIG_WH_ATTEMPTS    8               /* then "failed" */
#define TRIG_WH_BASE_US     (INT64_C(2) * 1000000)
#define TRIG_WH_CAP_US      (INT64_C(3600) * 1000000)
#define TRIG_WH_TIMEOUT_MS  10000
#define TRIG_WH_BATCH       16
#define TRIG_WH_CLAIM_US    (INT64_C(60) * 1000000) /* > the timeout */
#define TRIG_URL_MAX        2000
#define TRIG_SECRET_MIN     16
#define TRIG_SECRET_MAX     1024
#define TRIG_SIGNATURE_SIZE 72 /* "sha256=" + 64 hex + NUL */

/* ---- pure ---- */

/* Checks config for action (create: 1 when the secret is required when
 * absent). HAIL_EINVAL with a whole message ("config.url must start with
 * http:// or https://"). */
hail_err trig_check_config(const char *action, const json_t *config, int create);
/* "sha256=" + the lowercase hex HMAC-SHA256 of body under key. */
void trig_sign(const char *key, size_t key_n, const char *body, size_t n,
               char out[TRIG_SIGNATURE_SIZE]);
/* The wait after a failed attempt number `attempts` (1 = the first):
 * ob_backoff_us(attempts - 1, TRIG_WH_BASE_US, TRIG_WH_CAP_US, rnd). */
int64_t trig_wh_backoff_us(int attempts, uint32_t rnd);
/* The activity types a filter definition mentions (every string of a
 * "type" member and every string of a "types" array, anywhere): *types
 * (a new array of strings, empty when none: every type). */
json_t *trig_filter_types(const json_t *definition);

/* ---- the API's side (api/triggers.c) ---- */

hail_err trig_create(db *d, int64_t user_id, const json_t *body, json_t **out);
hail_err trig_update(db *d, int64_t id, const json_t *body, json_t **out);
hail_err trig_delete(db *d, int64_t id);
hail_err trig_get(db *d, int64_t id, json_t **out);
hail_err trig_list(db *d, int64_t after, int limit, json_t **out, int64_t *next);
hail_err trig_fires(db *d, int64_t id, int64_t before, int limit, json_t **out, int64_t *next);
hail_err trig_deliveries(db *d, int64_t id, int64_t before, int limit, json_t **out, int64_t *next);

/* ---- the evaluator (svc/trigger_eval.c) ---- */

/* One batch of the log after the cursor: evaluates, acts and moves the
 * cursor in one transaction. *n how many activities were read (0: none
 * new). */
hail_err trig_eval_step(db *d, int64_t now, int limit, size_t *n);
/* The thread of `hail serve` (the lease, then trig_eval_step in a loop). */
hail_err trig_eval_start(const char *target);
void trig_eval_stop(void);

/* ---- webhook deliveries (svc/webhooks.c) ---- */

/* Claims up to limit due deliveries for owner and attempts each. *n how
 * many were attempted. stop: may be NULL. */
hail_err wh_deliver_step(db *d, const char *owner, int64_t now, int limit, size_t *n);
hail_err wh_worker_start(const char *target);
void wh_worker_stop(void);

#endif
