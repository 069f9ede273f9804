/* The optional Marketo unsubscribe check of the send queue: before each
 * send, when an admin turned it on (GET/PUT /api/v1/mail/settings), Marketo
 * is asked whether the recipient unsubscribed (leads.json by email, field
 * `unsubscribed`). When Marketo cannot be asked the email waits and is asked
 * about again later: it is never sent unchecked.
 */
#ifndef HAIL_SYNC_MKTO_UNSUB_H
#define HAIL_SYNC_MKTO_UNSUB_H

#include <stdatomic.h>

#include "core/err.h"
#include "store/db.h"

/* The admin's switch (kv "mail.marketo_unsubscribe_check"), off by default. */
hail_err mkto_unsub_enabled(db *d, int *on);
hail_err mkto_unsub_set(db *d, int on);

/* Whether Marketo says address unsubscribed: *unsubscribed 1 or 0 (no lead
 * with that address: 0). HAIL_EUNAVAIL (message says why) when Marketo
 * cannot be asked now: not configured, unreachable, refusing, over quota. */
hail_err mkto_unsub_check(const char *address, const atomic_int *stop, int *unsubscribed);

#endif
