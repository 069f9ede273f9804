/* Who sees what: the one rule of the live feed, the insight panels, Best
 * Bets and reports (issue 10; docs/insight.md).
 *
 * A viewer covers users: a rep themself; a manager themself and every member
 * of any team they are in; an admin everyone. A viewer sees
 *   - a person whose owner (people.owner_email, compared case-insensitively
 *     as ASCII, as everywhere) is the email of a covered user;
 *   - an activity whose person they see, or whose user_id is a covered user
 *     (a rep emailing someone else's person sees that activity).
 */
#ifndef HAIL_STORE_VISIBILITY_H
#define HAIL_STORE_VISIBILITY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/emails.h" /* email_viewer */

typedef struct vis_scope {
    int all;           /* an admin: everything */
    int64_t *user_ids; /* the covered users, ascending */
    size_t nusers;
    char **emails; /* their emails, ASCII-lowercased, ascending */
    size_t nemails;
    char *user_ids_json; /* the same as JSON arrays ("[1,2]", "[\"a@x\"]"): */
    char *emails_json;   /* one SQL parameter each, with the macros below */
} vis_scope;

/* The scope of v (its user id and role). vis_scope_free after. */
hail_err vis_scope_load(db *d, const email_viewer *v, vis_scope *out);
void vis_scope_free(vis_scope *s);

/* 1 when s covers user id / a person with this owner email (NULL: none). */
int vis_covers_user(const vis_scope *s, int64_t user_id);
int vis_covers_owner(const vis_scope *s, const char *owner_email);

/* 1 when v sees person id; 0 when not or when there is no such person. */
int vis_person(db *d, const email_viewer *v, int64_t person_id);

/* SQL conditions "the owner column is a covered email" / "the user column is
 * a covered user", from one parameter holding vis_scope's emails_json /
 * user_ids_json. Use with DB_SQL(d, sqlite_text, pg_text). The SQLite form
 * compares under NOCASE, so people_owner_ci serves it; PostgreSQL's under
 * lower(), so its people_owner_ci (on lower(owner_email)) does. Example:
 *   DB_SQL(d, "... WHERE " VIS_OWNER_IN_SQLITE("p.owner_email", "$2"),
 *             "... WHERE " VIS_OWNER_IN_PG("p.owner_email", "$2")) */
#define VIS_OWNER_IN_SQLITE(col, param)                                                            \
    col " COLLATE NOCASE IN (SELECT value FROM json_each(" param "))"
#define VIS_OWNER_IN_PG(col, param)                                                                \
    "lower(" col ") IN (SELECT jsonb_array_elements_text(CAST(" param " AS jsonb)))"
#define VIS_USER_IN_SQLITE(col, param) col " IN (SELECT value FROM json_each(" param "))"
#define VIS_USER_IN_PG(col, param)                                                                 \
    col " IN (SELECT CAST(jsonb_array_elements_text(CAST(" param " AS jsonb)) AS BIGINT))"

#endif
