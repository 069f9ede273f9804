/* Tasks (issue 9; docs/tasks.md): email, call, LinkedIn and custom tasks,
 * made by hand or by campaign steps, in queues by due date.
 *
 * Owner: helper D. task_create_tx is what the scheduler (C) calls.
 */
#ifndef HAIL_SVC_TASKS_H
#define HAIL_SVC_TASKS_H

#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "store/db.h"
#include "store/tasks.h"

#define TASK_EMAIL    "email"
#define TASK_CALL     "call"
#define TASK_LINKEDIN "linkedin"
#define TASK_CUSTOM   "custom"

typedef struct task_new {
    const char *type;                            /* TASK_* */
    const char *name;                            /* required */
    const char *details;                         /* NULL: "" */
    const char *priority;                        /* "normal" (NULL) or "high" */
    int64_t person_id;                           /* 0: none */
    int64_t assignee_id;                         /* required */
    int64_t created_by;                          /* 0: a campaign step */
    int64_t campaign_id, member_id, template_id; /* 0: none */
    int step_position;                           /* with member_id */
    int64_t due_at;                              /* epoch µs */
} task_new;

/* Inserts a task inside the caller's transaction (HAIL_EINVAL outside one). */
hail_err task_create_tx(db *d, const task_new *t, int64_t *id_out);

/* ---- the API's side (api/tasks.c) ----
 *
 * v sees tasks as store/tasks.h says (reps their own, managers their teams'
 * users', admins all); a task v may not see is HAIL_ENOTFOUND ("no task
 * with id N"). Errors: HAIL_EINVAL with a whole message for input the
 * request's shape allowed but the data does not (an inactive assignee, an
 * email task without a person, …); HAIL_EFORBIDDEN for an assignee v may not
 * give tasks to; HAIL_EBUSY for a task that is no longer open. */

/* A zone's day starts at now (unknown names: UTC's). Pure. */
void task_zone_at(const char *name, int64_t now, tasks_zone *out);

/* A task by hand: t->assignee_id 0 is v's own; managers may assign their
 * teams' users, admins anyone, reps only themselves. */
hail_err task_create(db *d, const tasks_viewer *v, task_new *t, int64_t *id);
/* A page of Task objects (q->zones are filled here from the users' time
 * zones at now); next->set when more follow (store/tasks.h). */
hail_err task_list(db *d, const tasks_viewer *v, tasks_query *q, int64_t now, json_t **out,
                   tasks_key *next);
/* {"overdue","today","tomorrow","next_7_days"} of the open tasks v sees
 * (assignee_id 0: all of them), each in its assignee's time zone. */
hail_err task_counts(db *d, const tasks_viewer *v, int64_t assignee_id, int64_t now, json_t **out);
hail_err task_get(db *d, const tasks_viewer *v, int64_t id, json_t **out);
/* Changes an open task (assignee as task_create allows). */
hail_err task_update(db *d, const tasks_viewer *v, int64_t id, const task_change *c);
/* Deletes a task made by hand (a campaign step's: HAIL_EBUSY, skip it). */
hail_err task_delete(db *d, const tasks_viewer *v, int64_t id);

/* What completing a task takes: an email task sends its email (sender_id 0:
 * the campaign's sender, else the assignee's first, else v's; subject and
 * body_html NULL: the template's, rendered for the person); a call task
 * logs call (CallInput, svc/calls.h; person_id defaults to the task's). */
typedef struct task_completion {
    int64_t sender_id;
    const char *subject, *body_html;
    json_t *cc, *bcc; /* borrowed, NULL: none */
    json_t *call;     /* borrowed, NULL: none */
} task_completion;

/* A refusal (HAIL_OK with code set): the email was refused (code: the
 * send refusal, mail/send.h) or there is no sender ("no_sender"). */
typedef struct task_refusal {
    const char *code;
    char message[512];
} task_refusal;

/* Completes an open task in one transaction with its email or call and the
 * campaign's advance (sched_task_done). */
hail_err task_complete(db *d, const tasks_viewer *v, int64_t id, const task_completion *c,
                       task_refusal *ref);
/* Skips an open task (and the campaign moves on: sched_task_done). */
hail_err task_skip(db *d, const tasks_viewer *v, int64_t id);
/* Moves an open task's due time. */
hail_err task_reschedule(db *d, const tasks_viewer *v, int64_t id, int64_t due_at);
/* An email task's email as it would be sent: {"sender_id","subject","html",
 * "unfilled","prompts","template"} (mail/templates.h templates_preview). */
hail_err task_email_draft(db *d, const tasks_viewer *v, int64_t id, json_t **out);

#endif
