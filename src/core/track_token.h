/* Tracking and unsubscribe tokens: what /t/o/, /t/c/ and /u/ carry.
 *
 * A token names (kind, email id, link index) and proves that hail made it:
 *
 *   base64url(email_id: 8 bytes big-endian | link: 2 bytes big-endian |
 *             HMAC-SHA256(key, kind | email_id | link))     = 56 characters
 *
 * The kind ('o' open, 'c' click, 'u' unsubscribe) is in the MAC but not in
 * the token: it comes from the URL's path, so a click token is no open token.
 * The key is the install's (mail/track.c keeps it). Pure: no I/O.
 */
#ifndef HAIL_CORE_TRACK_TOKEN_H
#define HAIL_CORE_TRACK_TOKEN_H

#include <stdint.h>

#define TRACK_KEY_BYTES 32
#define TRACK_TOKEN_LEN 56 /* characters, without the NUL */
#define TRACK_LINK_MAX  65535

/* Writes kind's token for (email_id, link) under key into out (NUL-ended).
 * Returns 0, or -1 when email_id < 1 or link is outside 0..TRACK_LINK_MAX. */
int track_token_make(const unsigned char key[TRACK_KEY_BYTES], char kind, int64_t email_id,
                     int link, char out[TRACK_TOKEN_LEN + 1]);

/* 1 when token is kind's token under key (the MAC compared in constant
 * time), with *email_id and *link set; 0 for anything else: any length, any
 * bytes, another kind's token. */
int track_token_check(const unsigned char key[TRACK_KEY_BYTES], char kind, const char *token,
                      int64_t *email_id, int *link);

#endif
