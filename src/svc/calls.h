/* Calls and the dialer (issue 9; docs/calls.md): the call log, admin
 * outcomes and reasons, local presence, voicemail drops, the dialer
 * webhook. Every logged call records its "Receive Sales Call" activity
 * (ACT_CALL) in the same transaction, once.
 *
 * Owner: helper E. call_log_tx is what completing a call task (D) calls.
 *
 * Errors: HAIL_EINVAL for input that is well-formed but wrong (an unknown
 * outcome, a missing required outcome, a number that is not one, …): the
 * API replies 422 with calls_errcode() as its code and the message.
 */
#ifndef HAIL_SVC_CALLS_H
#define HAIL_SVC_CALLS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/emails.h"

/* Logs a call from the API's CallInput JSON (docs/openapi.json: person_id,
 * outcome_id, reason_id, notes, number_dialed, caller_id, started_at,
 * duration_s, recording_url, status, answered_by, voicemail_drop_id) for
 * user_id, inside the caller's transaction, with its activity. task_id and
 * campaign_id (0: none) link it to the task it completes. HAIL_EINVAL with
 * a message for bad input (an unknown outcome, a missing required outcome,
 * …) and calls_errcode() its code. The members' types are api/calls.c's
 * api_calls_input_body (check the JSON with it first). */
hail_err call_log_tx(db *d, int64_t user_id, const char *role, json_t *in, int64_t task_id,
                     int64_t campaign_id, int64_t *call_id);

/* The code of the last HAIL_EINVAL this module returned on this thread:
 * "unknown_person", "unknown_outcome", "unknown_reason",
 * "unknown_voicemail_drop", "outcome_required", "outcome_mismatch",
 * "invalid_number", "invalid_time", "invalid_url", "no_phone",
 * "content_mismatch". */
const char *calls_errcode(void);

/* POST /api/v1/calls: call_log_tx in its own transaction; *out the Call. */
hail_err calls_log(db *d, int64_t user_id, const char *role, json_t *in, json_t **out);
/* GET /api/v1/calls/{id}: HAIL_ENOTFOUND "no call with id N" when absent
 * or not visible to v. */
hail_err calls_get(db *d, const email_viewer *v, int64_t id, json_t **out);
/* PATCH /api/v1/calls/{id}: the members given (not person_id). The call's
 * user or an admin (others who see it: HAIL_EFORBIDDEN). A call not yet
 * logged (started with calls_start) is logged by the first change that
 * leaves it with a final status (completed, no_answer, cancelled, failed). */
hail_err calls_update_call(db *d, const email_viewer *v, int64_t id, json_t *in, json_t **out);

/* GET /api/v1/people/{id}/dial: {"number","caller_id","tel_uri"} with the
 * local-presence caller id (null when the pool is empty). */
hail_err calls_dial(db *d, int64_t person_id, json_t **out);
/* POST /api/v1/calls/start: a call in status "ringing" (not logged yet)
 * and its dial: {"call": Call, "dial": {…}}. */
hail_err calls_start(db *d, int64_t user_id, int64_t person_id, json_t **out);

/* Caller ids: POST/PATCH bodies {number (E.164), label, is_default}. The
 * first number of an empty pool becomes the default. */
hail_err calls_caller_id_create(db *d, json_t *in, json_t **out);
hail_err calls_caller_id_change(db *d, int64_t id, json_t *in, json_t **out);
hail_err calls_caller_id_remove(db *d, int64_t id);

/* Settings: {"require_outcome", "dialer_secret_set"} (the secret is
 * write-only). put: require_outcome -1 unchanged; secret NULL unchanged,
 * "" removes it; else it is sealed (mail/seal.h) into kv. */
hail_err calls_settings_get(db *d, json_t **out);
hail_err calls_settings_put(db *d, int require_outcome, const char *secret, json_t **out);

/* Voicemail drops: the audio's type from the request's Content-Type
 * (parameters after ';' ignored) checked against the content. 1: fine,
 * *type "audio/wav" or "audio/mpeg"; 0: an unsupported Content-Type (the
 * API replies 415); -1: the content is not what the header says (HAIL_EINVAL's
 * message set, code content_mismatch). */
int calls_audio_type(const char *content_type, const void *data, size_t n, const char **type);

/* The dialer webhook's signature: HAIL_OK when sig ("sha256=<hex>") is the
 * HMAC-SHA256 of "<ts>.<body>" under the dialer secret and ts (Unix
 * seconds) is within 300 s of now_s; HAIL_EAUTH with the whole message
 * otherwise. */
#define CALLS_DIALER_SKEW_S 300
hail_err calls_dialer_verify(db *d, const char *ts, const char *sig, const char *body, size_t n,
                             int64_t now_s);
/* Applies a verified event (the checked body): *out {"call_id","applied"}. */
hail_err calls_dialer_apply(db *d, json_t *ev, json_t **out);

#endif
