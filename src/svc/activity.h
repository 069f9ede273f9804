/* The activity log: one immutable record per sales activity.
 *
 * activity_record() is the one writer, called by a service inside the
 * transaction of the change that caused the activity (an email marked sent
 * and its "Send Sales Email" commit together or not at all). The live feed,
 * panels, reports, triggers and the Marketo / Salesforce outboxes all read
 * the log (by person newest first, or everything after an id); nothing else
 * fans out events. Types and their attributes: PRODUCT.md §8, docs/mail.md.
 */
#ifndef HAIL_SVC_ACTIVITY_H
#define HAIL_SVC_ACTIVITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* Types (the API's "type" values). */
#define ACT_EMAIL_SEND      "email_send"      /* Send Sales Email */
#define ACT_EMAIL_OPEN      "email_open"      /* Open Sales Email */
#define ACT_EMAIL_CLICK     "email_click"     /* Click Sales Email (attrs.link) */
#define ACT_EMAIL_REPLY     "email_reply"     /* Reply to Sales Email */
#define ACT_EMAIL_AUTOREPLY "email_autoreply" /* an out-of-office answer: not a reply */
#define ACT_EMAIL_BOUNCE    "email_bounce"    /* Sales Email Bounced */
#define ACT_CALL            "call"            /* Receive Sales Call (issue 9) */
#define ACT_CAMPAIGN_ADD    "campaign_add"    /* Add to Sales Campaign (issue 9) */
#define ACT_CAMPAIGN_REMOVE "campaign_remove" /* Remove from Sales Campaign (issue 9) */
#define ACT_UNSUBSCRIBE     "unsubscribe"     /* attrs.source */
#define ACT_RESUBSCRIBE     "resubscribe"     /* attrs.source */

/* The display name of a type ("Send Sales Email"), or NULL when type is not one. */
const char *activity_type_name(const char *type);
/* The types, in the order above, ending with NULL. */
extern const char *const activity_types[];

typedef struct activity {
    const char *type; /* ACT_* */
    int64_t person_id;
    int64_t user_id;                                     /* the sales person (0: none) */
    int64_t email_id, template_id, campaign_id, call_id; /* references (0: none) */
    int64_t occurred_at;                                 /* epoch µs; 0: now */
    bool machine;  /* a privacy proxy's open, a scanner's click, … */
    json_t *attrs; /* PRODUCT.md §8's attributes (borrowed); NULL: {} */
} activity;

/* Appends a to the log. d must be inside a transaction (HAIL_EINVAL
 * otherwise: an activity never commits apart from its cause). *id_out (may
 * be NULL) gets the new id. */
hail_err activity_record(db *d, const activity *a, int64_t *id_out);

/* One activity as API JSON:
 * {"id","type","type_name","person_id","user_id","email_id","template_id",
 *  "campaign_id","call_id","occurred_at" (ISO 8601 UTC),"machine","attrs"};
 * absent references are null. activity_row_json makes it from a row of the
 * columns id, type, person_id, user_id, email_id, template_id, campaign_id,
 * call_id, occurred_at, machine, attrs in this order (for the other readers
 * of the log: the insight panels' history). */
json_t *activity_row_json(db *d, db_st *st);

/* A person's activities, newest first: up to limit with id < before_id
 * (0: from the newest), of one type (NULL: all). *next gets the last
 * returned id when more follow, else 0. HAIL_ENOTFOUND when the person does
 * not exist. */
hail_err activity_person_page(db *d, int64_t person_id, const char *type, int64_t before_id,
                              int limit, json_t **out, int64_t *next);

/* The activities of one email, oldest first (all of them: an email has few). */
hail_err activity_email(db *d, int64_t email_id, json_t **out);

/* Everything after after_id, oldest first, up to limit (the feed and the
 * outboxes read the log this way). */
hail_err activity_after(db *d, int64_t after_id, int limit, json_t **out);

#endif
