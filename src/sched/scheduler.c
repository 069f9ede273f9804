#include "core/common.h"

#include "sched/scheduler.h"

/* PLACEHOLDER (lead): helper C replaces this file. */

hail_err sched_pass(db *d, const char *owner, int batch, int *done)
{
    (void)d;
    (void)owner;
    (void)batch;
    *done = 0;
    return HAIL_OK;
}

hail_err sched_workers_start(const char *target)
{
    (void)target;
    return HAIL_OK;
}

void sched_workers_stop(void) {}

hail_err sched_member_schedule(db *d, int64_t member_id)
{
    (void)d;
    (void)member_id;
    return HAIL_OK;
}

hail_err sched_member_resume(db *d, int64_t member_id)
{
    (void)d;
    (void)member_id;
    return HAIL_OK;
}

hail_err sched_task_done(db *d, int64_t task_id, int skipped)
{
    (void)d;
    (void)task_id;
    (void)skipped;
    return HAIL_OK;
}

hail_err sched_on_activity(db *d, const activity *a, int64_t activity_id)
{
    (void)d;
    (void)a;
    (void)activity_id;
    return HAIL_OK;
}
