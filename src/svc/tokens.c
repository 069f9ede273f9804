#include "core/common.h"

#include "svc/tokens.h"

#include "store/users.h"

hail_err token_page(db *d, int64_t user_id, int include_revoked, int64_t after_id, int limit,
                    json_t **out, int64_t *next)
{
    return tokens_page_json(d, user_id, include_revoked, after_id, limit, out, next);
}

hail_err token_create(db *d, const char *email, const char *name, char token[AUTH_TOKEN_MAX],
                      int64_t *id)
{
    return auth_token_create(d, email, name, token, id);
}

hail_err token_revoke(db *d, int64_t id, int64_t user_id)
{
    return tokens_revoke(d, id, user_id);
}
