/* Sealing channel passwords (owner: delivery): libsodium secretbox
 * (XSalsa20-Poly1305) under a key kept in a file beside the data, never in
 * the database, so that a copy of the database alone does not give away
 * the mail servers' passwords.
 *
 * The key: DATA_DIR/mail.key, 32 random bytes, mode 0600, created on the
 * first seal. Several nodes over one PostgreSQL database share it by copying
 * that file into each node's data directory (docs/mail.md "Delivery"). The
 * database remembers the key's id (kv `mail.seal_key_id`, a hash of the key,
 * not the key), so a node without the file refuses to make a second key, and
 * a node with another key says so instead of failing to decrypt.
 *
 * A sealed value: "hs1" | key id (8 bytes) | nonce (24) | secretbox (16 + n).
 */
#ifndef HAIL_MAIL_SEAL_H
#define HAIL_MAIL_SEAL_H

#include <stddef.h>

#include "core/err.h"
#include "store/db.h"

/* Seals plain (n bytes): *out (malloc'd) and *out_n. Creates the key when
 * this install has none yet. Never puts the plain text in a message. */
hail_err seal_password(db *d, const char *plain, size_t n, unsigned char **out, size_t *out_n);

/* Opens a sealed value: *plain (malloc'd, NUL-terminated; wipe and free it
 * with seal_free). HAIL_EINVAL when it is damaged or was sealed under
 * another key (the message says which and what to do). */
hail_err seal_open(db *d, const unsigned char *sealed, size_t n, char **plain);

/* Wipes and frees a password from seal_open. */
void seal_free(char *plain);

#endif
