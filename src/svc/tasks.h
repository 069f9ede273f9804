/* Tasks (issue 9; docs/tasks.md): email, call, LinkedIn and custom tasks,
 * made by hand or by campaign steps, in queues by due date.
 *
 * Owner: helper D. task_create_tx is what the scheduler (C) calls.
 */
#ifndef HAIL_SVC_TASKS_H
#define HAIL_SVC_TASKS_H

#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

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

#endif
