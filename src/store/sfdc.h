/* What the Salesforce outbox asks of the store besides the outbox itself
 * (sync/sf_outbox.c): people by their Salesforce lead or contact id, and
 * when a person's unsubscribe state last changed in hail (for the two-way
 * opt-out rule: the later change wins). */
#ifndef HAIL_STORE_SFDC_H
#define HAIL_STORE_SFDC_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* The people whose sfdc_lead_id (contact 0) or sfdc_contact_id (contact 1)
 * is sf_id, in its 18- or 15-character form: up to max ids into ids, *n how
 * many. */
hail_err sfdc_people(db *d, int contact, const char *sf_id, int64_t *ids, size_t max, size_t *n);

/* When person_id's unsubscribe state last changed in hail (epoch µs), 0
 * when never. */
hail_err sfdc_unsub_changed_at(db *d, int64_t person_id, int64_t *at);

#endif
