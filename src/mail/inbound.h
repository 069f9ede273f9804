/* What came back (owner: inbound): one raw message classified
 * (mail/classify.h), matched to the email it answers, and its effects
 * recorded — all in one transaction:
 *   reply     → a Reply to Sales Email activity and the email's replied_at;
 *   autoreply → an auto-reply activity (machine, not a reply) with the
 *               stated return date;
 *   bounce    → a Sales Email Bounced activity ({"details"}) and the email
 *               `bounced`;
 *   complaint → the person unsubscribed with source `complaint`;
 * and every message a row in inbound_messages (also those matching nothing).
 *
 * Matching: a Message-ID of ours in In-Reply-To/References (or, for bounces
 * and complaints, in the returned original); then a hail Message-ID whose
 * random part a relay rewrote (`<hail.<email id>.…>`); then, when a client
 * or relay dropped the references, the newest email sent to the message's
 * sender with the same subject (replies, auto-replies) or to the failed
 * recipient (bounces, complaints). A message with a Message-ID already
 * stored is not applied twice: the stored result is returned.
 */
#ifndef HAIL_MAIL_INBOUND_H
#define HAIL_MAIL_INBOUND_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

typedef struct inbound_src {
    const char *source; /* "imap" or "api" */
    int64_t channel_id; /* the channel whose inbox it came from; 0: none */
    int64_t imap_uid;   /* its UID there (recorded as the channel's last UID in the
                           same transaction); 0: none */
} inbound_src;

/* Processes raw[0..len) received at now (epoch µs). *out (may be NULL): the
 * API's object {"id","kind","email_id","person_id","recipients":[{"address",
 * "status","hard"}],"return_date"}. Opens and commits its own transaction. */
hail_err inbound_process(db *d, const char *raw, size_t len, const inbound_src *src, int64_t now,
                         json_t **out);

/* A subject without its reply and auto-reply prefixes ("Re: AW: Out of
 * Office: Hello" → "Hello"), in buf. Exposed for tests. */
const char *inbound_base_subject(const char *subject, char *buf, size_t n);

#endif
