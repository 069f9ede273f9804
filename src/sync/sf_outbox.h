/* The Salesforce outbox (docs/outbox.md "To Salesforce"): a consumer
 * "salesforce" of the activity log (store/outbox.h).
 *
 * - Emails and calls (the types listed in kv integrations.salesforce.types)
 *   become Tasks: WhoId the contact, else the lead; WhatId the opportunity,
 *   else the account; Subject the admin's template (kv
 *   integrations.salesforce.subject, core/mustache.h) cut to 255 bytes.
 *   With the Task field Hail_Activity_Id__c (found by a describe, recorded
 *   in kv integrations.salesforce.external_id as "present" / "missing") they
 *   are upserted 200 at a time by it; without it they are created, each
 *   subject ending " [hail <id>]", inside an in-flight batch that a restart
 *   reconciles by querying those subjects.
 * - Unsubscribes and resubscribes made in hail set HasOptedOutOfEmail on the
 *   contact (else the lead), and a poll brings Salesforce's opt-out changes
 *   back (sync/sf_optouts.h).
 * - Reminder tasks sync both ways (sync/sf_tasks.h).
 * One node works it at a time (the named lease "salesforce.outbox").
 *
 * The pure parts are declared for the unit tests (tests/unit/test_sf_outbox.c).
 */
#ifndef HAIL_SYNC_SF_OUTBOX_H
#define HAIL_SYNC_SF_OUTBOX_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/outbox.h"

#define SF_CONSUMER  "salesforce"
#define SF_EXT_FIELD "Hail_Activity_Id__c"
/* kv keys (written by Admin -> Integrations; read here) */
#define SF_KV_TYPES        "integrations.salesforce.types"
#define SF_KV_SUBJECT      "integrations.salesforce.subject"
#define SF_KV_EXTERNAL_ID  "integrations.salesforce.external_id"
#define SF_KV_POLL         "integrations.salesforce.poll_seconds"
#define SF_DEFAULT_SUBJECT "{{activity_type}}: {{activity_subject}}"
#define SF_SUBJECT_MAX     255

/* ---- pure parts ---- */

/* Whether type is logged as a Task, by the kv value types_json (a JSON array
 * of activity types; NULL or not an array of strings: the default
 * ["email_send","email_reply","call"]). Types other than emails and calls
 * are never Tasks. */
int sf_type_logged(const char *types_json, const char *type);

/* The Task's WhoId (the contact, else the lead) and WhatId (the
 * opportunity, else the account): NULL when none. */
void sf_who_what(const outbox_row *r, const char **who, const char **what);

/* The longest prefix of s[0..n) of at most max bytes that ends on a UTF-8
 * character boundary. */
size_t sf_utf8_cut(const char *s, size_t n, size_t max);

/* The subject of r's Task: tpl (NULL or one that does not render: the
 * default) rendered with r's variables, cut to 255 bytes less the suffix,
 * then suffix (NULL: none) appended. out is reset first. */
hail_err sf_subject(const char *tpl, const outbox_row *r, const char *suffix, buf *out);

/* The mustache variables of r: activity_type, activity_subject,
 * sales_campaign_name, sales_person, sales_person_email, person_email,
 * template_name, call_outcome, call_number, activity_id. */
json_t *sf_subject_vars(const outbox_row *r);

/* r's Task record (attributes.type Task, Subject, WhoId, WhatId,
 * ActivityDate, Status Completed, Type, Description, call fields; ext_field
 * (NULL: none) set to the activity id). who must be non-NULL. */
json_t *sf_task_record(const outbox_row *r, const char *subject, const char *ext_field);

/* The activity id a subject ends with (" [hail <id>]"), 0 when none. */
int64_t sf_subject_hail_id(const char *subject);

/* ---- the worker (hail serve) ---- */

/* Starts the outbox thread when Salesforce is configured (a no-op
 * otherwise). */
hail_err sf_outbox_start(const char *db_path);
/* Stops it and joins it. */
void sf_outbox_stop(void);

#endif
