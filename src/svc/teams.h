/* Teams: the service behind /api/v1/teams. Each change runs in its own
 * transaction together with the read of the result the caller replies with,
 * so a reply never shows a state another writer made in between. */
#ifndef HAIL_SVC_TEAMS_H
#define HAIL_SVC_TEAMS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* A page of teams in name order after after_name (NULL: the first page);
 * *next (free()) the position of the next page, or NULL. */
hail_err team_page(db *d, const char *after_name, int limit, json_t **out, char **next);
/* One team as API JSON; HAIL_ENOTFOUND when it does not exist. */
hail_err team_get(db *d, int64_t id, json_t **out);
/* HAIL_EEXIST when the name is taken (case-insensitively). */
hail_err team_create(db *d, const char *name, json_t **out);
hail_err team_rename(db *d, int64_t id, const char *name, json_t **out);
hail_err team_delete(db *d, int64_t id);
/* HAIL_ENOTFOUND for an unknown team or user. */
hail_err team_member_add(db *d, int64_t team, int64_t user_id, json_t **out);
hail_err team_member_remove(db *d, int64_t team, int64_t user_id, json_t **out);

#endif
