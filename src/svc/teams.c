#include "core/common.h"

#include "svc/teams.h"

#include "store/users.h"

hail_err team_page(db *d, const char *after_name, int limit, json_t **out, char **next)
{
    return teams_page_json(d, after_name, limit, out, next);
}

hail_err team_get(db *d, int64_t id, json_t **out)
{
    return teams_json(d, id, out);
}

/* Runs the change, then reads the team, in one transaction. */
static hail_err finish(db *d, hail_err e, int64_t id, json_t **out)
{
    if (!e && out)
        e = teams_json(d, id, out);
    if (e) {
        db_rollback(d);
        return e;
    }
    if ((e = db_commit(d)) && out) {
        json_decref(*out);
        *out = NULL;
    }
    return e;
}

hail_err team_create(db *d, const char *name, json_t **out)
{
    *out = NULL;
    int64_t id = 0;
    hail_err e = db_begin(d);
    if (e)
        return e;
    e = teams_create(d, name, &id); /* before finish() reads id */
    return finish(d, e, id, out);
}

hail_err team_rename(db *d, int64_t id, const char *name, json_t **out)
{
    *out = NULL;
    hail_err e = db_begin(d);
    return e ? e : finish(d, teams_rename(d, id, name), id, out);
}

hail_err team_delete(db *d, int64_t id)
{
    return teams_delete(d, id);
}

hail_err team_member_add(db *d, int64_t team, int64_t user_id, json_t **out)
{
    *out = NULL;
    hail_err e = db_begin(d);
    if (e)
        return e;
    json_t *t = NULL;
    user u;
    /* Which one is missing decides the message: the team first. */
    if (!(e = teams_json(d, team, &t)) && !(e = users_get(d, user_id, &u)))
        e = teams_add_member(d, team, user_id);
    json_decref(t);
    return finish(d, e, team, out);
}

hail_err team_member_remove(db *d, int64_t team, int64_t user_id, json_t **out)
{
    *out = NULL;
    hail_err e = db_begin(d);
    return e ? e : finish(d, teams_remove_member(d, team, user_id), team, out);
}
