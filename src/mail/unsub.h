/* Unsubscribes (owner: tracking): the current state of a person and the
 * history (date, action, source). */
#ifndef HAIL_MAIL_UNSUB_H
#define HAIL_MAIL_UNSUB_H

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

#endif
