/* The campaign scheduler (issue 9; docs/campaigns.md "The scheduler").
 *
 * Due work lives in the database: a campaign member's next step is due at
 * campaign_members.next_due_at. Workers lease due members (several workers
 * or nodes share the load; FOR UPDATE SKIP LOCKED on PostgreSQL) and run
 * each step exactly once: the step's effect (an email queued through
 * mail/send.h with in_tx, or a task through svc/tasks.h) and the member's
 * advance to its next step commit in one transaction.
 *
 * Owner: helper C. The functions below that take a db inside a transaction
 * are called by others (svc/campaigns.c, svc/tasks.c, svc/activity.c).
 */
#ifndef HAIL_SCHED_SCHEDULER_H
#define HAIL_SCHED_SCHEDULER_H

#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "svc/activity.h"

/* One pass (what a worker does in a loop; tests and the bench call it):
 * claims up to batch due members in one transaction and runs their steps
 * in it, for about 100 ms at most (the rest stay due for the next pass).
 * owner names the pass in logs. *done: how many members it handled. */
hail_err sched_pass(db *d, const char *owner, int batch, int *done);

/* Scheduler threads for `hail serve` (each its own connection to target);
 * stop joins them. */
hail_err sched_workers_start(const char *target);
void sched_workers_stop(void);

/* ---- called inside the caller's transaction ---- */

/* Computes and stores member_id's next_due_at from its state (status,
 * step_position, start_at / last_step_at, launch_time, the campaign's time
 * zone and weekends, the holiday calendar). Called after a member is added
 * (B) or its step advanced. A member that is not active gets NULL. */
hail_err sched_member_schedule(db *d, int64_t member_id);

/* Resumes a paused member (B: person, campaign or "my campaigns" resume):
 * the time it spent paused shifts its base, so its remaining steps keep
 * their designed spacing from now on instead of arriving at once. */
hail_err sched_member_resume(db *d, int64_t member_id);

/* A task created by a campaign step was completed or skipped (D): the member
 * waiting on it advances to its next step. No-op for a task without one. */
hail_err sched_task_done(db *d, int64_t task_id, int skipped);

/* Effects of an activity on campaign members (called by activity_record for
 * every activity, in its transaction): a reply ends the person's campaigns
 * that end on reply (marking success when set); an auto-reply with a return
 * date pauses them until the day after (ignore out-of-office) and is never
 * a reply; a bounce removes them where remove on bounce is set; an
 * unsubscribe always ends them. Other types: no-op. */
hail_err sched_on_activity(db *d, const activity *a, int64_t activity_id);

#endif
