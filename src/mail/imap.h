/* IMAP (owner: inbound): libcurl through net/outbound.h. */
#ifndef HAIL_MAIL_IMAP_H
#define HAIL_MAIL_IMAP_H

#include <stdatomic.h>

#include "core/err.h"

typedef struct imap_cfg {
    const char *host;
    int port;
    const char *tls; /* "tls" (imaps), "starttls" or "none" */
    const char *username, *password;
    const atomic_int *stop; /* may be NULL */
} imap_cfg;

/* Whether folder holds a message with this Message-ID ("<…>"): *found 1 or
 * 0. HAIL_EUNAVAIL when the server cannot be asked now. */
hail_err imap_find_message_id(const imap_cfg *c, const char *folder, const char *message_id,
                              int *found);

#endif
