/* Tracking and unsubscribe links (owner: tracking).
 *
 * Tokens are HMAC-SHA256 over (kind, email id, link index) with the install's
 * tracking key (core/track_token.h): one key per installation, kept in the
 * database (kv) so that every node of a PostgreSQL install shares it.
 */
#ifndef HAIL_MAIL_TRACK_H
#define HAIL_MAIL_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

#define TRACK_URL_MAX 1024

/* The public URL of kind for email_id (link: the link's index for 'c', else
 * 0), under settings()->public_url:
 *   'o' open pixel   PUBLIC/t/o/TOKEN
 *   'c' click        PUBLIC/t/c/TOKEN
 *   'u' unsubscribe  PUBLIC/u/TOKEN   (the page, and the RFC 8058 one-click POST)
 * Creates the install's key on first use. */
hail_err track_url(db *d, char kind, int64_t email_id, int link, char *out, size_t n);

#endif
