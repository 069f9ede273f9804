/* Unsubscribes (owner: tracking): the current state of a person and the
 * history (date, action, source). */
#ifndef HAIL_MAIL_UNSUB_H
#define HAIL_MAIL_UNSUB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* Sources of an unsubscribe or resubscribe. */
#define UNSUB_LINK       "link"       /* the /u/ page */
#define UNSUB_ONE_CLICK  "one_click"  /* RFC 8058 POST */
#define UNSUB_MANUAL     "manual"     /* a user, over the API */
#define UNSUB_COMPLAINT  "complaint"  /* an ARF report came back */
#define UNSUB_SALESFORCE "salesforce" /* issue 11 */

/* *unsubscribed 1 while person_id is unsubscribed. */
hail_err unsub_state(db *d, int64_t person_id, int *unsubscribed);

/* Records action ("unsubscribe" or "resubscribe") for person_id in the
 * caller's transaction: the history row, the state, and the activity
 * (ACT_UNSUBSCRIBE / ACT_RESUBSCRIBE, attrs.source). Unsubscribing someone
 * already unsubscribed changes nothing and records nothing (HAIL_OK). user_id
 * and email_id: 0 when none. */
hail_err unsub_record(db *d, int64_t person_id, const char *action, const char *source,
                      int64_t user_id, int64_t email_id);

/* The person's state and history as the API shows it:
 * {"unsubscribed", "since" (ISO or null), "source" (or null),
 *  "data": [{at, action, source, user_id, email_id}] newest first}.
 * HAIL_ENOTFOUND (with a message) when there is no such person. */
hail_err unsub_get(db *d, int64_t person_id, json_t **out);

/* unsub_record in a transaction of its own, then unsub_get into *out (NULL:
 * not wanted). */
hail_err unsub_change(db *d, int64_t person_id, const char *action, const char *source,
                      int64_t user_id, int64_t email_id, json_t **out);

/* The person an email went to and its address (up to n bytes): for the
 * unsubscribe page. HAIL_ENOTFOUND when there is no such email. */
hail_err unsub_email_person(db *d, int64_t email_id, int64_t *person_id, char *to, size_t n);

#endif
