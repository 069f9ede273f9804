/* Campaigns and their members (issue 9; docs/campaigns.md "Campaigns"): the
 * service behind /api/v1/campaigns, /api/v1/people/{id}/campaigns and
 * /api/v1/me/campaigns/pause|resume.
 *
 * Who may do what: a campaign is seen as store/campaigns.h says (a campaign
 * one may not see is "no campaign with id N", a 404); its owner or an admin
 * changes, pauses, resumes, stops and deletes it; anyone who sees it adds
 * people; its owner, an admin or whoever added a person pauses, resumes or
 * removes that person.
 *
 * Every change runs in one transaction with its effects: adding a person
 * records "Add to Sales Campaign" and asks the scheduler for the first due
 * time (sched_member_schedule); removing and stopping record "Remove from
 * Sales Campaign" and skip the person's open campaign tasks; resuming asks
 * the scheduler to shift the remaining steps by the time paused
 * (sched_member_resume).
 */
#ifndef HAIL_SVC_CAMPAIGNS_H
#define HAIL_SVC_CAMPAIGNS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/campaigns.h"
#include "store/db.h"

#define CAMP_MEMBERS_MAX 1000 /* people added or removed in one request */
#define CAMP_STEPS_MAX   100

typedef struct camp_user {
    int64_t id;
    const char *role; /* "admin", "manager", "rep" */
} camp_user;

/* A refusal the API answers with status (409 or 422), code and message;
 * status 0: none. */
typedef struct camp_refusal {
    int status;
    const char *code;
    char message[512];
} camp_refusal;

/* A change: NULL strings, -1 flags and sender_id -1 are left as they are
 * (create: defaults: category "", sharing "private", no sender, the
 * owner's time zone, use_person_time_zone, skip_weekends, end_on_reply,
 * remove_on_bounce and ignore_out_of_office on, reply_is_success off). */
typedef struct camp_patch {
    const char *name, *category, *sharing, *time_zone;
    int64_t sender_id; /* -1 unchanged, 0 none */
    int use_person_time_zone, skip_weekends, end_on_reply, reply_is_success, remove_on_bounce,
        ignore_out_of_office;
    const camp_step *steps; /* with has_steps: the new list */
    size_t nsteps;
    int has_steps;
} camp_patch;
/* A patch with everything unchanged. */
void camp_patch_init(camp_patch *p);

/* The checks of a campaign's steps for an owner (their templates):
 * ref set on the first problem. */
hail_err campaign_check_steps(db *d, int64_t owner_id, const camp_step *steps, size_t n,
                              camp_refusal *ref);

hail_err campaign_create(db *d, const camp_user *u, const camp_patch *p, camp_refusal *ref,
                         int64_t *id_out);
hail_err campaign_update(db *d, const camp_user *u, int64_t id, const camp_patch *p,
                         camp_refusal *ref);
/* Only a campaign that never had members (else ref 409 in_use). */
hail_err campaign_delete(db *d, const camp_user *u, int64_t id, camp_refusal *ref);
/* The Campaign object (detail) as u sees it. */
hail_err campaign_get(db *d, const camp_user *u, int64_t id, json_t **out);
hail_err campaign_list(db *d, const camp_user *u, const char *view, const char *status,
                       const char *q, int64_t before_id, int limit, json_t **out, int64_t *next);
/* "pause", "resume" or "stop". */
hail_err campaign_action(db *d, const camp_user *u, int64_t id, const char *action,
                         camp_refusal *ref);
hail_err campaign_report(db *d, const camp_user *u, int64_t id, json_t **out);

/* One person's outcome of an add. */
typedef struct camp_add_result {
    int64_t person_id, member_id; /* member_id 0: refused */
    const char *reason;           /* refused: unsubscribed, inactive_person, … */
    char message[200];
} camp_add_result;
/* Adds people (res[i] for ids[i]) starting at start_at (0: now), at
 * launch_time ("HH:MM" or NULL). ref: a refusal of the whole request (a
 * stopped campaign, one without steps). */
hail_err campaign_members_add(db *d, const camp_user *u, int64_t id, const int64_t *ids, size_t n,
                              int64_t start_at, const char *launch_time, camp_add_result *res,
                              camp_refusal *ref);
/* The same inside the caller's transaction (HAIL_EINVAL outside one),
 * starting now: the trigger evaluator's "add to campaign" (svc/triggers.h),
 * which commits it with its firing and its cursor. A refusal (ref, res)
 * leaves the transaction usable. */
hail_err campaign_members_add_tx(db *d, const camp_user *u, int64_t id, const int64_t *ids,
                                 size_t n, camp_add_result *res, camp_refusal *ref);
/* The people of a Salesforce account or opportunity ("account" /
 * "opportunity"): *ids malloc'd; ref 404 when it has none, 422 when more
 * than CAMP_MEMBERS_MAX. */
hail_err campaign_people_of(db *d, const char *kind, const char *sfid, int64_t **ids, size_t *n,
                            camp_refusal *ref);
/* Removes members of campaign id; *removed how many left it now. With one
 * (single = 1) a member not in it any more is a 409. */
hail_err campaign_members_remove(db *d, const camp_user *u, int64_t id, const int64_t *members,
                                 size_t n, int single, size_t *removed, camp_refusal *ref);
/* "pause" or "resume" one member; *out the Member. */
hail_err campaign_member_action(db *d, const camp_user *u, int64_t id, int64_t member_id,
                                const char *action, camp_refusal *ref, json_t **out);
hail_err campaign_members_page(db *d, const camp_user *u, int64_t id, const char *status,
                               int64_t after_id, int limit, json_t **out, int64_t *next);
/* A person's memberships (the campaigns u sees). */
hail_err campaign_person(db *d, const camp_user *u, int64_t person_id, json_t **out);
/* Leave: pause (1) or resume (0) all of u's campaigns; *n how many members. */
hail_err campaign_leave(db *d, const camp_user *u, int pause, size_t *n);
/* users.campaigns_paused_at of user_id (0: none), for GET /api/v1/me. */
hail_err campaign_leave_since(db *d, int64_t user_id, int64_t *at);

#endif
