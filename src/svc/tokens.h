/* API tokens: the service behind /api/v1/tokens. Users manage their own;
 * admins see and revoke everyone's. The secret is made and hashed by auth/
 * and shown once. */
#ifndef HAIL_SVC_TOKENS_H
#define HAIL_SVC_TOKENS_H

#include <jansson.h>
#include <stdint.h>

#include "auth/auth.h"
#include "core/err.h"
#include "store/db.h"

/* A page of user_id's tokens (0: everyone's) after after_id. */
hail_err token_page(db *d, int64_t user_id, int include_revoked, int64_t after_id, int limit,
                    json_t **out, int64_t *next);
/* A new token for the user with this email; token gets the secret (shown once). */
hail_err token_create(db *d, const char *email, const char *name, char token[AUTH_TOKEN_MAX],
                      int64_t *id);
/* Revokes token id of user_id (0: any user's, for admins). HAIL_ENOTFOUND
 * when there is no such token of that user. */
hail_err token_revoke(db *d, int64_t id, int64_t user_id);

#endif
