/* Calls and the dialer (issue 9; docs/calls.md): the call log, admin
 * outcomes and reasons, local presence, voicemail drops, the dialer
 * webhook. Every logged call records its "Receive Sales Call" activity
 * (ACT_CALL) in the same transaction.
 *
 * Owner: helper E. call_log_tx is what completing a call task (D) calls.
 */
#ifndef HAIL_SVC_CALLS_H
#define HAIL_SVC_CALLS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* Logs a call from the API's CallInput JSON (docs/openapi.json: person_id,
 * outcome_id, reason_id, notes, number_dialed, caller_id, started_at,
 * duration_s, recording_url, status, answered_by, voicemail_drop_id) for
 * user_id, inside the caller's transaction, with its activity. task_id and
 * campaign_id (0: none) link it to the task it completes. HAIL_EINVAL with
 * a message for bad input (an unknown outcome, a missing required outcome,
 * …). */
hail_err call_log_tx(db *d, int64_t user_id, const char *role, json_t *in, int64_t task_id,
                     int64_t campaign_id, int64_t *call_id);

#endif
