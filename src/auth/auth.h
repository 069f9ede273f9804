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

#include <stddef.h>
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

/* A token's last_used_at is written at most this often. */
#define AUTH_TOKEN_TOUCH_US (INT64_C(60) * 1000000)
/* Expired sessions deleted per sign-in (more than a sign-in creates). */
#define AUTH_SESSION_PURGE 100

/* Trusted reverse proxies: spec is HAIL_TRUSTED_PROXIES, comma-separated
 * IPv4/IPv6 addresses and networks (CIDR); NULL or blank trusts none.
 * HAIL_EINVAL with a message naming the bad entry. Call before serving: the
 * list is read without a lock. */
hail_err auth_proxies_set(const char *spec);
size_t auth_proxies_count(void);
/* The client address sign-in limits count against: the peer, or, when the
 * peer is a trusted proxy, the right-most X-Forwarded-For entry that is not
 * itself trusted. IPv6 addresses are keyed by their /64. */
void auth_client_address(const char *peer, const char *forwarded_for, char *out, size_t n);

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
/* Revokes a token given its plain text (HAIL_ENOTFOUND if no active token has it). */
hail_err auth_token_revoke_plain(db *d, const char *token);
/* The user behind a bearer token; records its use (last_used_at, at most
 * once per AUTH_TOKEN_TOUCH_US). */
hail_err auth_bearer(db *d, const char *token, user *out);

/* Signs in: checks the rate limits, the password, then creates a session.
 * client is the address from auth_client_address(). session gets the cookie
 * value, csrf the CSRF token. HAIL_EAUTH on a bad email/password (one message
 * for both), HAIL_EQUOTA when rate-limited (with *retry_after_s set). The
 * limit check and the failure record are one transaction: n concurrent wrong
 * passwords get at most AUTH_LOGIN_MAX_FAILURES real password checks. A
 * success clears the email's failures (not the address's) and deletes up to
 * AUTH_SESSION_PURGE expired sessions. */
hail_err auth_login(db *d, const char *email, const char *password, const char *client, user *out,
                    char session[AUTH_TOKEN_MAX], char csrf[64], int64_t *expires_at,
                    int64_t *retry_after_s);
hail_err auth_session(db *d, const char *session, user *out, char csrf[64], int64_t *expires_at);
/* A signed-in user changes their own password: current must match (wrong:
 * HAIL_EFORBIDDEN, counted like a failed sign-in and limited the same way,
 * HAIL_EQUOTA), password follows the creation rules. Ends the user's other
 * sessions; keep_session (the caller's cookie, or NULL) stays signed in. */
hail_err auth_password_change(db *d, int64_t user_id, const char *current, const char *password,
                              const char *client, const char *keep_session, int64_t *retry_after_s);
hail_err auth_logout(db *d, const char *session);

/* Constant-time string equality. */
int auth_secure_equal(const char *a, const char *b);

#endif
