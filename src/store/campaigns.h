/* Campaigns' SQL (issue 9; the service is svc/campaigns.h; docs/campaigns.md
 * "Campaigns"): campaigns, their steps, their members, the report, and a
 * user's leave mark (users.campaigns_paused_at).
 *
 * Visibility of a campaign to a user: admins see all; everyone sees their
 * own, those shared with everyone, and those shared with teams whose owner
 * is in one of their teams; managers also see every campaign of their teams'
 * users (the rule of emails: reps their own, managers their teams' users',
 * admins all).
 */
#ifndef HAIL_STORE_CAMPAIGNS_H
#define HAIL_STORE_CAMPAIGNS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* A campaign's own columns (a whole row: an update writes them all). */
typedef struct camp_write {
    const char *name, *category, *sharing;
    int64_t sender_id; /* 0: none (the owner's first sender at run time) */
    const char *time_zone;
    int use_person_time_zone, skip_weekends, end_on_reply, reply_is_success, remove_on_bounce,
        ignore_out_of_office;
} camp_write;

/* A loaded campaign (camp_db_load). */
typedef struct camp_row {
    int64_t id, owner_id, sender_id, paused_at;
    char name[4 * 200 + 1], category[4 * 100 + 1];
    char sharing[16], status[16], time_zone[72];
    int use_person_time_zone, skip_weekends, end_on_reply, reply_is_success, remove_on_bounce,
        ignore_out_of_office;
    int visible;          /* to the user asking */
    int owner_on_leave;   /* the owner's campaigns_paused_at is set */
    int steps;            /* how many */
    int64_t members_ever; /* rows in campaign_members, any status */
} camp_row;

/* One step as written. */
typedef struct camp_step {
    int day;
    const char *type;
    int64_t template_id;     /* 0: none */
    const char *send_option; /* NULL: none */
    const char *send_time;   /* "HH:MM" or NULL */
    int follow_up;
    const char *name, *details, *priority, *linkedin_kind; /* linkedin_kind NULL: none */
} camp_step;

/* HAIL_ENOTFOUND (no message) when id does not exist; visible says whether
 * user_id (role) may see it. */
hail_err camp_db_load(db *d, int64_t id, int64_t user_id, const char *role, camp_row *out);
hail_err camp_db_insert(db *d, int64_t owner_id, const camp_write *w, int64_t *id_out);
hail_err camp_db_update(db *d, int64_t id, const camp_write *w);
hail_err camp_db_delete(db *d, int64_t id);
/* Replaces the steps of id with steps[0..n) (positions 0..n-1). */
hail_err camp_db_steps_replace(db *d, int64_t id, const camp_step *steps, size_t n);
/* status "active" | "paused" | "stopped"; paused_at set with paused (else
 * NULL), stopped_by with stopped. */
hail_err camp_db_set_status(db *d, int64_t id, const char *status, int64_t now, int64_t by);

/* The Campaign object (detail: with sender, settings and steps; else the
 * CampaignSummary). HAIL_ENOTFOUND when none. */
hail_err camp_db_json(db *d, int64_t id, int detail, json_t **out);
/* A page of CampaignSummary visible to user_id, newest first: view "mine"
 * (their own), "shared" (others' they see) or "all"/NULL; status NULL: any;
 * q (NULL: any) in the name or category, case-insensitively for ASCII. Up
 * to limit with id < before_id (0: from the newest); *next the last id when
 * more follow. */
hail_err camp_db_page(db *d, int64_t user_id, const char *role, const char *view,
                      const char *status, const char *q, int64_t before_id, int limit, json_t **out,
                      int64_t *next);
/* {"people":{…},"steps":[…]} of the report (human events only). */
hail_err camp_db_report(db *d, int64_t id, json_t **out);

/* ---- members ---- */

/* What adding a person checks: whether they exist, are active, have an
 * address, are unsubscribed (email: theirs, malloc'd, "" when none). */
typedef struct camp_candidate {
    int exists, active, unsubscribed;
    char *email;
    char *name;
} camp_candidate;
hail_err camp_db_candidate(db *d, int64_t person_id, camp_candidate *out);
void camp_candidate_free(camp_candidate *c);

/* Inserts a member; *id_out 0 when the person is already in the campaign
 * (scheduled, active or paused: campaign_members_once). pause_reason NULL:
 * status active, else paused with that reason. launch_time NULL: none. */
hail_err camp_db_member_insert(db *d, int64_t campaign_id, int64_t person_id, int64_t added_by,
                               int64_t start_at, const char *launch_time, const char *pause_reason,
                               int64_t now, int64_t *id_out);

typedef struct camp_member {
    int64_t id, campaign_id, person_id, added_by, paused_at;
    char status[16], pause_reason[24];
} camp_member;
/* HAIL_ENOTFOUND (no message) when none. */
hail_err camp_db_member_get(db *d, int64_t member_id, camp_member *out);
/* Pauses (active or scheduled -> paused with reason); 1 when it changed. */
int camp_db_member_pause(db *d, int64_t member_id, const char *reason, int64_t now);
/* paused -> active (pause_reason and paused_until cleared; paused_at kept
 * for sched_member_resume); 1 when it changed. */
int camp_db_member_activate(db *d, int64_t member_id);
/* After sched_member_resume: paused_at cleared. */
hail_err camp_db_member_resumed(db *d, int64_t member_id);
/* Sets a paused member's reason. */
hail_err camp_db_member_set_reason(db *d, int64_t member_id, const char *reason);
/* scheduled/active/paused -> status (removed, stopped) with end_reason, its
 * open campaign tasks skipped by `by`; 1 when it changed. */
int camp_db_member_end(db *d, int64_t member_id, const char *status, const char *end_reason,
                       int64_t by, int64_t now);

/* Ids of members (ascending), malloc'd into *ids (free it). */
typedef enum camp_select {
    CAMP_SEL_ACTIVE,        /* of campaign key: active or scheduled */
    CAMP_SEL_PAUSED_REASON, /* of campaign key: paused with reason */
    CAMP_SEL_IN,            /* of campaign key: scheduled, active or paused */
    CAMP_SEL_OWNER_ACTIVE,  /* of owner key's campaigns: active or scheduled */
    CAMP_SEL_OWNER_REASON,  /* of owner key's campaigns: paused with reason */
} camp_select;
hail_err camp_db_member_ids(db *d, camp_select sel, int64_t key, const char *reason, int64_t **ids,
                            size_t *n);

/* The Member object; HAIL_ENOTFOUND when none. */
hail_err camp_db_member_json(db *d, int64_t member_id, json_t **out);
/* A page of a campaign's members (status NULL: any), in id order after
 * after_id; *next the last id when more follow. */
hail_err camp_db_members_page(db *d, int64_t campaign_id, const char *status, int64_t after_id,
                              int limit, json_t **out, int64_t *next);
/* A person's memberships in the campaigns user_id may see, newest first,
 * each with "campaign":{id,name}. */
hail_err camp_db_person_members(db *d, int64_t person_id, int64_t user_id, const char *role,
                                json_t **out);
/* 1 when a person with id exists. */
int camp_db_person_exists(db *d, int64_t person_id);

/* The people (ids ascending) of a Salesforce account ("account") or
 * opportunity ("opportunity"), at most max + 1 of them. */
hail_err camp_db_people_of(db *d, const char *kind, const char *sfid, size_t max, int64_t **ids,
                           size_t *n);

/* users.time_zone of user_id into out ("UTC" when none). */
hail_err camp_db_user_tz(db *d, int64_t user_id, char *out, size_t n);
/* users.campaigns_paused_at (0: not on leave). */
hail_err camp_db_leave_get(db *d, int64_t user_id, int64_t *at);
hail_err camp_db_leave_set(db *d, int64_t user_id, int64_t at); /* 0 clears it */

#endif
