/* Accounts and credentials: passwords (argon2id), API tokens, browser
 * sessions, failed-login limits. The service layer over store/users.h; owns
 * its transactions.
 *
 * Secrets: API tokens and session ids are 32 random bytes, shown to their
 * owner once (base64url, prefixed "hail_" / in the cookie) and stored only as
 * SHA-256. Passwords are stored as libsodium argon2id strings.
 */
#ifndef HAIL_AUTH_AUTH_H
#define HAIL_AUTH_AUTH_H

#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/users.h"

#define AUTH_TOKEN_MAX      96
#define AUTH_PASSWORD_MIN   8
#define AUTH_PASSWORD_MAX   1024
#define AUTH_SESSION_COOKIE "hail_session"
#define AUTH_SESSION_TTL_US (INT64_C(7) * 86400 * 1000000)

/* Failed logins allowed per email (and per client address ×4) in the window. */
#define AUTH_LOGIN_MAX_FAILURES 5
#define AUTH_LOGIN_WINDOW_US    (INT64_C(15) * 60 * 1000000)

/* Must be called once before anything else here (sodium_init). */
hail_err auth_init(void);

hail_err auth_hash_password(const char *password, char **out); /* free() *out */
int auth_verify_password(const char *hash, const char *password);
/* Checks length rules; HAIL_EINVAL with a message if not acceptable. */
hail_err auth_password_ok(const char *password);

/* Email syntax check (printable ASCII, one @, a dot in the domain, no spaces, ≤254). */
int auth_email_ok(const char *email);

/* Creates a user (and the team, if named and new) in one transaction; with
 * nteams >= 0 the user also joins those team ids (all or nothing). */
hail_err auth_user_add(db *d, const char *email, const char *name, const char *role,
                       const char *team, const int64_t *teams, int nteams, const char *password,
                       int64_t *id_out);

/* Changes a user: NULL / -1 leave a field alone; teams (n >= 0) replaces the
 * user's teams. Refuses to demote or deactivate the last active admin.
 * Deactivating signs the user out everywhere and revokes their tokens; a new
 * password signs them out everywhere. */
hail_err auth_user_update(db *d, int64_t id, const char *name, const char *role, int active,
                          const char *password, const int64_t *teams, int nteams);

/* Issues an API token for the user with that email; token gets the plain text. */
hail_err auth_token_create(db *d, const char *email, const char *name, char token[AUTH_TOKEN_MAX],
                           int64_t *id_out);
/* Revokes a token given its plain text. */
hail_err auth_token_revoke_plain(db *d, const char *token);
/* The user behind a bearer token. */
hail_err auth_bearer(db *d, const char *token, user *out);

/* Signs in: checks the rate limits, the password, then creates a session.
 * session gets the cookie value, csrf the CSRF token. HAIL_EAUTH on a bad
 * email/password (one message for both), HAIL_EQUOTA when rate-limited (with
 * *retry_after_s set). */
hail_err auth_login(db *d, const char *email, const char *password, const char *client, user *out,
                    char session[AUTH_TOKEN_MAX], char csrf[64], int64_t *expires_at,
                    int64_t *retry_after_s);
hail_err auth_session(db *d, const char *session, user *out, char csrf[64], int64_t *expires_at);
hail_err auth_logout(db *d, const char *session);

/* Constant-time string equality. */
int auth_secure_equal(const char *a, const char *b);

#endif
