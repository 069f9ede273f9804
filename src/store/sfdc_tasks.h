/* Reminder tasks and their Salesforce Tasks: the SQL behind sync/sf_tasks.c
 * (docs/outbox.md "Reminder tasks both ways"). Times are epoch µs.
 *
 * A task made by hand (campaign_id NULL) is linked to a Task by
 * tasks.sfdc_task_id. tasks.sfdc_synced_at is the updated_at both sides last
 * agreed on: a task whose updated_at differs is a hail change to push; a
 * change brought in from Salesforce sets both to the same moment, so it is
 * not sent back.
 */
#ifndef HAIL_STORE_SFDC_TASKS_H
#define HAIL_STORE_SFDC_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* tasks.sfdc_task_id's prefix once the linked Task was deleted in
 * Salesforce: the task stays in hail, no longer linked, never sent again. */
#define SFDC_GONE "gone:"

typedef struct sfdc_task {
    int64_t id, person_id, assignee_id, due_at, updated_at;
    int64_t synced_at; /* 0: never agreed */
    char type[16], status[16], priority[8];
    char *name, *details;
    char *sfdc_task_id; /* NULL: not linked yet */
    char *who;          /* the person's contact id, else lead id; NULL: none */
    char *time_zone;    /* the assignee's (NULL: UTC) */
} sfdc_task;

void sfdc_task_release(sfdc_task *t);
void sfdc_tasks_free(sfdc_task *t, size_t n);

/* The SQL of sfdc_tasks_dirty (EXPLAIN in tests: it reads tasks_sfdc_dirty). */
extern const char sfdc_tasks_dirty_sql[];

/* Up to max tasks with a change to push, id > after, in id order (malloc'd
 * into *out, *n of them; free with sfdc_tasks_free). */
hail_err sfdc_tasks_dirty(db *d, int64_t after, size_t max, sfdc_task **out, size_t *n);

/* One task by its Task's id (the 18-character id Salesforce answers with
 * also finds a link kept in the 15-character form): *found 0 when none. */
hail_err sfdc_task_by_sfdc(db *d, const char *sfdc_id, sfdc_task *out, int *found);

/* Records that Salesforce holds task id as it was at updated_at `seen`:
 * links it to sfdc_id (NULL: the link stays as it is) and marks it agreed
 * unless it changed again since. 1 marked, 0 changed since, -1 error. */
int sfdc_task_agreed(db *d, int64_t id, const char *sfdc_id, int64_t seen);

/* Task id's Task was deleted in Salesforce: its link becomes SFDC_GONE plus
 * the Task's id, and it is marked agreed. */
int sfdc_task_unlink(db *d, int64_t id);

/* A change made in Salesforce, brought in: the fields to set (NULL: unchanged)
 * and status "open" (reopens a closed task), "complete" or NULL. */
typedef struct sfdc_task_change {
    const char *name, *details, *priority, *status;
    int64_t due_at; /* 0: unchanged */
} sfdc_task_change;
/* Applies c to task id at now, updated_at and sfdc_synced_at both now.
 * 1 applied, 0 no such task, -1 error. */
int sfdc_task_apply(db *d, int64_t id, const sfdc_task_change *c, int64_t now);

/* A Task made in Salesforce, brought in as an open task linked to it,
 * agreed at now: *id the new task's. */
typedef struct sfdc_task_new {
    const char *type, *name, *details, *priority, *sfdc_task_id;
    int64_t person_id, assignee_id, due_at;
} sfdc_task_new;
hail_err sfdc_task_import(db *d, const sfdc_task_new *t, int64_t now, int64_t *id);

/* The active user who owns person_id (people.owner_email): *user_id 0 when
 * none; *time_zone (malloc'd, NULL: none) theirs. */
hail_err sfdc_person_owner(db *d, int64_t person_id, int64_t *user_id, char **time_zone);

/* The SQL of sfdc_tasks_linked_open (EXPLAIN in tests: tasks_sfdc_open). */
extern const char sfdc_tasks_linked_open_sql[];
/* Up to max open tasks linked to a Task, id > after, in id order: their ids
 * into ids and Task ids (malloc'd) into sfids, *n of them. */
hail_err sfdc_tasks_linked_open(db *d, int64_t after, size_t max, int64_t *ids, char **sfids,
                                size_t *n);
/* Task sfdc_id was deleted in Salesforce after task id last agreed with it:
 * the task is deleted too. 1 deleted, 0 changed since (left to the push),
 * -1 error. */
int sfdc_task_delete_agreed(db *d, int64_t id, const char *sfdc_id);

/* Tasks deleted in hail whose Task is still to delete: up to max ids
 * (malloc'd strings into ids[0..*n)). */
hail_err sfdc_task_deletes(db *d, size_t max, char **ids, size_t *n);
/* The Task sfdc_id is deleted (or was gone): forget it. */
int sfdc_task_delete_done(db *d, const char *sfdc_id);

#endif
