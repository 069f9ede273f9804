/* Opt-outs both ways with Salesforce (docs/outbox.md "To Salesforce"),
 * worked by the Salesforce outbox's thread (sync/sf_outbox.c).
 *
 * - Out: an unsubscribe or resubscribe made in hail sets HasOptedOutOfEmail
 *   on the person's contact (else lead), unless Salesforce changed it after
 *   hail did (the later change wins).
 * - In: a poll of Leads and Contacts by SystemModstamp (cursors in kv
 *   integrations.salesforce.optout_since.Lead|Contact) brings Salesforce's
 *   changes in as unsubscribes / resubscribes with source "salesforce",
 *   which are never sent back; hail's own writes coming back are passed
 *   over.
 */
#ifndef HAIL_SYNC_SF_OPTOUTS_H
#define HAIL_SYNC_SF_OPTOUTS_H

#include <stddef.h>

#include "core/err.h"
#include "store/db.h"
#include "store/outbox.h"
#include "sync/sf_client.h"

/* One opt-out change of the log (r: an unsubscribe or resubscribe) out to
 * Salesforce. *skip 1 with reason when it cannot be written (no Salesforce
 * id, a refused write); errors of the call are returned. */
hail_err sf_optout_push(sf_client *s, const outbox_row *r, char *reason, size_t size, int *skip);

/* Brings in the opt-out changes made in Salesforce since the last poll. */
hail_err sf_optouts_poll(sf_client *s, db *d);

#endif
