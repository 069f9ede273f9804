/* The delivery configuration service (owner: delivery): channels, sender
 * identities and blocked domains behind /api/v1/channels, /api/v1/senders
 * and /api/v1/blocked-domains. Each change runs in one transaction with the
 * read of the JSON the caller replies with. Bodies come already checked
 * for shape (api_body_check); the rules of meaning are here, with whole
 * messages. Passwords are sealed (mail/seal.h) before they are stored and
 * never leave: responses say only password_set, and no message or log line
 * holds one.
 */
#ifndef HAIL_MAIL_DELIVERY_H
#define HAIL_MAIL_DELIVERY_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

typedef struct delivery_caller {
    int64_t user_id;
    int admin;
} delivery_caller;

/* Channels. HAIL_ENOTFOUND: "no channel with id N". */
hail_err delivery_channel_page(db *d, int64_t after_id, int limit, json_t **out, int64_t *next);
hail_err delivery_channel_get(db *d, int64_t id, json_t **out);
/* body: {name, kind, smtp?, imap?, throttles?}. HAIL_EINVAL for a channel
 * that cannot work (an smtp channel without a server, …), HAIL_EEXIST for
 * a taken name. */
hail_err delivery_channel_create(db *d, json_t *body, json_t **out);
/* Changes the members given; in smtp/imap the fields given (a password
 * left out stays, null or "" removes it); imap null removes the inbox; a
 * throttle set to null is lifted. */
hail_err delivery_channel_update(db *d, int64_t id, json_t *body, json_t **out);
/* HAIL_EEXIST (409) for the default channel and a channel in use. */
hail_err delivery_channel_delete(db *d, int64_t id);

/* Sends a short test message from `from` to `to` through an smtp channel
 * (updating its SMTP status): *out {delivered, transient, reply,
 * message_id, error} says what the server answered. HAIL_EINVAL for a
 * maildir channel. */
hail_err delivery_channel_test(db *d, int64_t id, const char *from, const char *to, json_t **out);

/* Senders. user_filter 0: everyone's (the API decides who may ask what).
 * A sender another user owns is "no sender with id N" to a non-admin. */
hail_err delivery_sender_page(db *d, int64_t user_filter, int64_t after_id, int limit, json_t **out,
                              int64_t *next);
hail_err delivery_sender_get(db *d, const delivery_caller *c, int64_t id, json_t **out);
/* body: {address, display_name, signature_html?, channel_id?, user_id?};
 * the channel defaults to the default channel, the user to the caller
 * (another user: admins only, HAIL_EFORBIDDEN). */
hail_err delivery_sender_create(db *d, const delivery_caller *c, json_t *body, json_t **out);
hail_err delivery_sender_update(db *d, const delivery_caller *c, int64_t id, json_t *body,
                                json_t **out);
hail_err delivery_sender_delete(db *d, const delivery_caller *c, int64_t id);

/* Blocked domains, kept in lower case. */
hail_err delivery_blocked_page(db *d, const char *after, int limit, json_t **out, char **next);
hail_err delivery_blocked_add(db *d, const delivery_caller *c, const char *domain, json_t **out);
hail_err delivery_blocked_remove(db *d, const char *domain);

#endif
