/* Users, teams, API tokens, browser sessions and failed-login records.
 * Token and session secrets never reach this layer: only their SHA-256. */
#ifndef HAIL_STORE_USERS_H
#define HAIL_STORE_USERS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

#define TOKEN_HASH_LEN 32

typedef struct user {
    int64_t id;
    char email[256];
    char name[4 * 200 + 1]; /* 200 characters of UTF-8 */
    char role[16];
    int active;
    int has_password;
} user;

int user_role_valid(const char *role);

/* Creates a user; HAIL_EEXIST if the email is taken. password_hash may be NULL. */
hail_err users_create(db *d, const char *email, const char *name, const char *role,
                      const char *password_hash, int64_t *id_out);
hail_err users_get(db *d, int64_t id, user *out);
hail_err users_get_by_email(db *d, const char *email, user *out, char **password_hash);
/* Updates the fields given (NULL / -1 = unchanged). */
hail_err users_update(db *d, int64_t id, const char *name, const char *role, int active,
                      const char *password_hash);
/* A user's own time zone (an IANA name, "UTC" unless set; issue 9):
 * set it (the caller checks the name), read it into out. */
hail_err users_set_time_zone(db *d, int64_t id, const char *time_zone);
hail_err users_time_zone(db *d, int64_t id, char out[256]);
/* The user as API JSON (with team ids and names). */
hail_err users_json(db *d, int64_t id, json_t **out);
/* All users as an array of API JSON objects. */
hail_err users_list_json(db *d, json_t **out);
/* Pages: up to limit rows after the previous page's last one. When more
 * follow, *next gets the position to pass for the next page (else 0/NULL). */
/* Users in id order after after_id (0: from the start). */
hail_err users_page_json(db *d, int64_t after_id, int limit, json_t **out, int64_t *next);
/* Number of active admins (so the last one cannot be demoted). */
hail_err users_count_admins(db *d, int64_t *n);

hail_err teams_create(db *d, const char *name, int64_t *id_out);
hail_err teams_get_by_name(db *d, const char *name, int64_t *id_out);
hail_err teams_rename(db *d, int64_t id, const char *name);
hail_err teams_delete(db *d, int64_t id);
hail_err teams_json(db *d, int64_t id, json_t **out);
hail_err teams_list_json(db *d, json_t **out);
/* Teams by name (case-insensitively) after after_name (NULL: from the
 * start); *next is malloc'd. */
hail_err teams_page_json(db *d, const char *after_name, int limit, json_t **out, char **next);
/* HAIL_ENOTFOUND naming the missing team or user. */
hail_err teams_add_member(db *d, int64_t team, int64_t user_id);
hail_err teams_remove_member(db *d, int64_t team, int64_t user_id);
/* Replaces a user's teams with the given ids. */
hail_err teams_set_for_user(db *d, int64_t user_id, const int64_t *teams, size_t n);

hail_err tokens_insert(db *d, int64_t user_id, const unsigned char hash[TOKEN_HASH_LEN],
                       const char *prefix, const char *name, int64_t *id_out);
/* The active user owning an unrevoked token; HAIL_EAUTH if none. token_id
 * gets the token's id, last_used its last_used_at (0 when never used). */
hail_err tokens_lookup(db *d, const unsigned char hash[TOKEN_HASH_LEN], user *out,
                       int64_t *token_id, int64_t *last_used);
/* Sets last_used_at to now unless it is already after not_before (so that
 * concurrent requests write it once). Never waits for the write lock:
 * HAIL_EUNAVAIL at once when another connection holds it. */
hail_err tokens_touch(db *d, int64_t token_id, int64_t now, int64_t not_before);
/* Revokes by id (user_id > 0 restricts to that owner). HAIL_ENOTFOUND if none. */
hail_err tokens_revoke(db *d, int64_t id, int64_t user_id);
hail_err tokens_revoke_hash(db *d, const unsigned char hash[TOKEN_HASH_LEN]);
/* Revokes every token of a user; returns how many. */
hail_err tokens_revoke_user(db *d, int64_t user_id, int64_t *count);
hail_err tokens_list_json(db *d, int64_t user_id, json_t **out); /* user_id 0 = all */
/* Tokens in id order after after_id, of one user (0: everyone's); revoked
 * ones only with include_revoked. */
hail_err tokens_page_json(db *d, int64_t user_id, int include_revoked, int64_t after_id, int limit,
                          json_t **out, int64_t *next);

hail_err sessions_insert(db *d, int64_t user_id, const unsigned char hash[TOKEN_HASH_LEN],
                         const char *csrf, int64_t expires_at);
/* The active user of an unexpired session, and its CSRF token (csrf holds 64). */
hail_err sessions_lookup(db *d, const unsigned char hash[TOKEN_HASH_LEN], user *out, char csrf[64],
                         int64_t *expires_at);
hail_err sessions_delete(db *d, const unsigned char hash[TOKEN_HASH_LEN]);
hail_err sessions_delete_user(db *d, int64_t user_id);
/* Deletes a user's sessions except the one with hash keep (NULL: all). */
hail_err sessions_delete_user_except(db *d, int64_t user_id,
                                     const unsigned char keep[TOKEN_HASH_LEN]);
/* Deletes at most max sessions that expired at or before now (oldest first). */
hail_err sessions_delete_expired(db *d, int64_t now, int max);

/* Records a failed (or, while the password is checked, a pending) sign-in;
 * id_out (may be NULL) gets its id for login_failure_delete(). */
hail_err login_failure_record(db *d, const char *key, int64_t at, int64_t *id_out);
hail_err login_failure_delete(db *d, int64_t id);
/* Failures of key at or after since: *n, and the time of the oldest. Inside a
 * transaction the count holds until it ends (PostgreSQL: key's db_lock), so a
 * count followed by a record does not interleave with another's. */
hail_err login_failure_count(db *d, const char *key, int64_t since, int64_t *n, int64_t *oldest);
hail_err login_failure_clear(db *d, const char *key);

#endif
