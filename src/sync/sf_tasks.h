/* Reminder tasks both ways with Salesforce (docs/outbox.md "Reminder tasks
 * both ways"), worked by the Salesforce outbox's thread (sync/sf_outbox.c).
 *
 * Tasks made by hand (not by a campaign step) on a person with a Salesforce
 * contact or lead id become Tasks (WhoId that id) and stay linked:
 *   name <-> Subject, open <-> Not Started (and any other open status),
 *   complete <-> Completed (skipped goes out as Completed), normal/high <->
 *   Normal/High (Low comes in as normal), the due date <-> ActivityDate (the
 *   assignee's local date; a new date keeps the task's time of day),
 *   details <-> Description.
 * Conflicting edits: the later modification wins, hail's updated_at against
 * the Task's SystemModstamp. A change brought in is not sent back, and hail's
 * own writes are not brought in (LastModifiedById is the integration user).
 * Tasks made in Salesforce after the first poll, open, on a hail person whose
 * owner is a hail user, are brought in as that user's tasks. A task deleted
 * in hail deletes its Task. A Task deleted in Salesforce is found by the
 * sweep of linked open tasks (a slice per poll) and deletes its task, unless
 * the task changed in hail since they last agreed: then hail's push finds
 * the Task gone and the task stays in hail, no longer linked
 * (store/sfdc_tasks.h SFDC_GONE).
 */
#ifndef HAIL_SYNC_SF_TASKS_H
#define HAIL_SYNC_SF_TASKS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/sfdc_tasks.h"
#include "sync/sf_client.h"

#define SF_TASK_EXT_PREFIX "task-" /* Hail_Activity_Id__c of a reminder's Task */
#define SF_KV_TASKS_SINCE  "integrations.salesforce.tasks_since"
#define SF_KV_TASKS_FROM   "integrations.salesforce.tasks_from"
#define SF_KV_TASKS_SWEEP  "integrations.salesforce.tasks_sweep"

/* ---- pure parts (tests/unit/test_sf_tasks.c) ---- */

/* hail -> Salesforce: "Not Started" / "Completed"; "High" / "Normal". */
const char *sf_task_status_out(const char *status);
const char *sf_task_priority_out(const char *priority);
/* Salesforce -> hail: "complete" for Completed, "open" for any other
 * status, NULL for none; "high" for High, "normal" for Normal and Low, NULL
 * for none or another value. */
const char *sf_task_status_in(const char *sf_status);
const char *sf_task_priority_in(const char *sf_priority);
/* hail's task type as a Task Type, and back (Call -> call, Email -> email,
 * anything else -> custom). */
const char *sf_task_type_out(const char *type);
const char *sf_task_type_in(const char *sf_type);

/* due_at's local date in time zone tz (NULL or unknown: UTC) as
 * YYYY-MM-DD into out. */
void sf_task_date(int64_t due_at, const char *tz, char out[11]);
/* The due moment for ActivityDate date (YYYY-MM-DD) in tz: current's local
 * time of day on that date (current 0: 09:00). 0 when date is not a date. */
int64_t sf_task_due(const char *date, const char *tz, int64_t current);

/* The Task record of t's fields (Subject cut to 255 bytes, Description to
 * 32,000); new_task adds WhoId, ext_field (NULL: none)
 * hail's key for it. */
json_t *sf_reminder_record(const sfdc_task *t, int new_task, const char *ext_field);

/* ---- the worker's steps (db d, client s; ext: Task.Hail_Activity_Id__c is
 * there) ---- */

/* Deletes the Tasks of tasks deleted in hail, then sends up to a batch of
 * hail's changes. *did 1 when it sent anything. */
hail_err sf_tasks_push(sf_client *s, db *d, int ext, int *did);
/* Brings in the Tasks changed in Salesforce since the last poll, then sweeps
 * a slice of the linked open tasks for Tasks deleted there. */
hail_err sf_tasks_poll(sf_client *s, db *d);

#endif
