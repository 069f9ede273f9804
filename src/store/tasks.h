/* Tasks: the SQL behind svc/tasks.c (docs/tasks.md). Times are epoch
 * microseconds.
 *
 * Who may see a task: the one it is assigned to, managers of a team that
 * user is in, admins (the rule of store/emails.h's email_viewer, on the
 * assignee). The queues are ranges of due_at per time zone: the caller
 * (svc/tasks.c) computes each zone's day starts, the queries pick each
 * task's by its assignee's users.time_zone.
 */
#ifndef HAIL_STORE_TASKS_H
#define HAIL_STORE_TASKS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

typedef struct tasks_viewer {
    int64_t user_id;
    const char *role; /* "admin", "manager", "rep" */
} tasks_viewer;

typedef struct task_row {
    int64_t id, person_id, assignee_id, campaign_id, member_id, template_id;
    int step_position;
    int64_t due_at;
    char type[16], status[16];
} task_row;

/* HAIL_ENOTFOUND ("no task with id N") when it does not exist or v (NULL:
 * anyone) may not see it. */
hail_err tasks_load(db *d, const tasks_viewer *v, int64_t id, task_row *out);
/* The Task object (docs/openapi.json); HAIL_ENOTFOUND as tasks_load. */
hail_err tasks_json(db *d, int64_t id, json_t **out);

/* Queues. TQ_OPEN: every open task; TQ_DONE: completed and skipped ones. */
typedef enum {
    TQ_OVERDUE,
    TQ_TODAY,
    TQ_TOMORROW,
    TQ_NEXT_7_DAYS,
    TQ_OPEN,
    TQ_DONE,
} tasks_queue;

/* A time zone's day starts at a moment: start[0] today's 00:00, start[1]
 * tomorrow's, start[2] the day after's, start[3] the 8th day's (the end of
 * the next 7 days); off_us its UTC offset then (orders tasks by local day). */
typedef struct tasks_zone {
    const char *name;
    int64_t start[4];
    int64_t off_us;
} tasks_zone;

/* A position in a queue's order (keyset pages): the last row of a page.
 * Dated queues and open: local day, priority rank (0 high, 1 normal), due_at,
 * id (today and tomorrow leave day 0); done: completed_at (in due), id. */
typedef struct tasks_key {
    int set;
    int64_t day, prio, due, id;
} tasks_key;

typedef struct tasks_query {
    tasks_queue queue;
    const char *type;                            /* NULL: any */
    int64_t assignee_id, campaign_id, person_id; /* 0: any */
    /* zones[0] is for an assignee whose zone is not listed (UTC); the rest
     * by name. */
    const tasks_zone *zones;
    size_t nzones;
    tasks_key after; /* rows after this one (after.set 0: from the first) */
    int limit;
} tasks_query;

/* The distinct time zones of users (only assignee_id's when > 0): names
 * malloc'd, free with tasks_zone_names_free. */
hail_err tasks_zone_names(db *d, int64_t assignee_id, char ***names, size_t *n);
void tasks_zone_names_free(char **names, size_t n);

/* A page of Task objects v may see; next->set when more follow (the
 * position of the page's last row). */
hail_err tasks_page(db *d, const tasks_viewer *v, const tasks_query *q, json_t **out,
                    tasks_key *next);
/* Open tasks v may see per queue: counts[TQ_OVERDUE..TQ_NEXT_7_DAYS]. */
hail_err tasks_counts(db *d, const tasks_viewer *v, const tasks_query *q, int64_t counts[4]);

/* The SQL of a page and of the counts (EXPLAIN in tests): the text and, in
 * binds, its parameters in order (malloc'd; free with tasks_sql_free). */
typedef struct tasks_bind {
    int is_text;
    int64_t i;
    const char *s;
} tasks_bind;
typedef struct tasks_sql {
    char *sql;
    tasks_bind *binds;
    int n, cap;
} tasks_sql;
hail_err tasks_page_sql(const tasks_viewer *v, const tasks_query *q, tasks_sql *out);
hail_err tasks_counts_sql(const tasks_viewer *v, const tasks_query *q, tasks_sql *out);
void tasks_sql_bind(db_st *st, const tasks_sql *s);
void tasks_sql_free(tasks_sql *s);

/* Changes an open task (NULL / 0 / -1: unchanged). 1 done, 0 not open, -1 error. */
typedef struct task_change {
    const char *name, *details, *priority;
    int64_t person_id, assignee_id; /* 0: unchanged */
    int64_t due_at;                 /* 0: unchanged */
} task_change;
int tasks_change(db *d, int64_t id, const task_change *c, int64_t now);
/* open -> status ("complete" or "skipped") by user_id at now, with the
 * email or call it made (0: none). 1 done, 0 not open, -1 error. */
int tasks_finish(db *d, int64_t id, const char *status, int64_t user_id, int64_t email_id,
                 int64_t call_id, int64_t now);
/* 1 deleted, 0 none, -1 error. */
int tasks_delete(db *d, int64_t id);

/* Whether manager_id shares a team with user_id: 1 yes, 0 no, -1 error. */
int tasks_same_team(db *d, int64_t manager_id, int64_t user_id);
/* Whether a user exists and is active: 1, 0, -1 error. */
int tasks_user_active(db *d, int64_t user_id);
/* Whether a person exists (not deleted): 1, 0, -1 error. */
int tasks_person_exists(db *d, int64_t person_id);
/* The first sender (lowest id) that is the campaign's (campaign_id > 0),
 * else user_id's own, that user_id may use (admin: anyone's): *id 0 when
 * none. */
hail_err tasks_sender_for(db *d, int64_t campaign_id, int64_t assignee_id, int64_t user_id,
                          int admin, int64_t *id);

#endif
