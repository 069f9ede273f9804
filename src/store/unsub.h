/* Unsubscribes' SQL (owner: tracking): the history rows and the current
 * state (people_unsubscribed). Used by mail/unsub.c only. */
#ifndef HAIL_STORE_UNSUB_H
#define HAIL_STORE_UNSUB_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* *since (epoch µs) and source (up to n bytes) of person_id's unsubscribe;
 * *since 0 when subscribed. */
hail_err unsub_store_state(db *d, int64_t person_id, int64_t *since, char *source, size_t n);
/* Marks person_id unsubscribed (since, source), or subscribed (since 0). */
hail_err unsub_store_set(db *d, int64_t person_id, int64_t since, const char *source);
/* Appends a history row. user_id, email_id: 0 for none. */
hail_err unsub_store_add(db *d, int64_t person_id, const char *action, const char *source,
                         int64_t user_id, int64_t email_id, int64_t at);
/* The history, newest first: [{at (ISO), action, source, user_id, email_id}]. */
hail_err unsub_store_history(db *d, int64_t person_id, json_t **out);
/* Whether the person exists (HAIL_ENOTFOUND, no message, when not). */
hail_err unsub_store_person(db *d, int64_t person_id);
/* The person an email went to and its address (up to n bytes). */
hail_err unsub_store_email(db *d, int64_t email_id, int64_t *person_id, char *to, size_t n);

#endif
