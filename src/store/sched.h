/* The scheduler's SQL (issue 9; sched/scheduler.h, docs/campaigns.md "The
 * scheduler"): the due-member claim, a member with its campaign's settings,
 * a campaign's steps, and the member's moves (advance, wait, pause, end).
 *
 * Every function runs in the caller's transaction (none begins one) except
 * sched_due_exists, a read. Times are epoch microseconds.
 */
#ifndef HAIL_STORE_SCHED_H
#define HAIL_STORE_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

typedef struct sched_step {
    int position, day;
    char type[16];        /* auto_email manual_email call linkedin custom */
    int64_t template_id;  /* 0: none */
    char send_option[20]; /* "" when none */
    char send_time[8];    /* "HH:MM", "" when none */
    int follow_up;
    char *name, *details, *template_name;
    char priority[8];
    char linkedin_kind[8]; /* "" when none */
} sched_step;

/* A campaign's steps in order (position 0, 1, …). */
hail_err sched_steps_load(db *d, int64_t campaign_id, sched_step **out, size_t *n);
void sched_steps_free(sched_step *s, size_t n);

/* A member with what the scheduler needs of its campaign, owner and person. */
typedef struct sched_member {
    int64_t id, campaign_id, person_id;
    char status[16];
    int step_position;
    int64_t next_due_at, waiting_task_id; /* 0: NULL */
    char launch_time[8];                  /* "" when none */
    int64_t start_at, paused_at, paused_until;
    char pause_reason[16];
    int64_t last_email_id, last_email_at, last_step_at, created_at;
    /* the campaign */
    int64_t owner_id, sender_id; /* sender_id 0: the owner's first */
    char campaign_status[12];
    char campaign_name[256];
    char time_zone[64]; /* the person's when known and the campaign says so, else the campaign's */
    int skip_weekends, end_on_reply, reply_is_success, remove_on_bounce, ignore_out_of_office;
    char owner_role[12];
    int64_t owner_paused_at; /* users.campaigns_paused_at, 0: not on leave */
} sched_member;

/* HAIL_ENOTFOUND ("no campaign member with id N"). */
hail_err sched_member_load(db *d, int64_t id, sched_member *m);

/* Whether a member is due at now (a read: an idle scheduler takes no write
 * lock). 1 yes, 0 no, -1 error. */
int sched_due_exists(db *d, int64_t now);
/* The due members (next_due_at <= now), earliest first, up to limit, in the
 * caller's transaction. PostgreSQL: locked FOR UPDATE SKIP LOCKED (another
 * node's pass skips them until this transaction ends); SQLite: the write
 * transaction already holds every row. Uses campaign_members_due. */
hail_err sched_due_claim(db *d, int64_t now, int limit, int64_t *ids, int *n);
/* The text of the due lookup (for EXPLAIN in tests). */
const char *sched_due_sql(db *d);

/* next_due_at (0: NULL). */
hail_err sched_member_set_due(db *d, int64_t id, int64_t due, int64_t now);

/* A step ran: status, step_position, waiting_task_id (0: NULL),
 * last_email_id / last_email_at (0: unchanged), last_step_at, next_due_at
 * (0: NULL). status NULL: unchanged. */
typedef struct sched_advance {
    const char *status;
    int step_position;
    int64_t waiting_task_id, last_email_id, last_email_at, last_step_at, next_due_at;
} sched_advance;
hail_err sched_member_advance(db *d, int64_t id, const sched_advance *a, int64_t now);

/* Ends a member: status, end_reason, success; next_due_at NULL. */
hail_err sched_member_end(db *d, int64_t id, const char *status, const char *end_reason,
                          int success, int64_t now);
/* Pauses a member with reason; until (0: none) is also its next_due_at (the
 * scheduler resumes it then). */
hail_err sched_member_pause(db *d, int64_t id, const char *reason, int64_t until, int64_t now);
/* Back to active with its bases shifted (start_at, last_step_at; 0: NULL)
 * and no pause. */
hail_err sched_member_unpause(db *d, int64_t id, int64_t start_at, int64_t last_step_at,
                              int64_t now);

/* The person's members that are scheduled, active or paused (ids, malloc'd). */
hail_err sched_person_members(db *d, int64_t person_id, int64_t **ids, size_t *n);
/* Deletes the member's campaign emails that are still scheduled and not
 * claimed by a sender. */
hail_err sched_member_cancel_emails(db *d, int64_t member_id, int64_t *cancelled);
/* Skips the member's open tasks. */
hail_err sched_member_skip_tasks(db *d, int64_t member_id, int64_t now);

/* The member a campaign task belongs to: *member_id 0 when none. */
hail_err sched_task_info(db *d, int64_t task_id, int64_t *member_id, int *step_position,
                         int64_t *email_id);

/* The owner's first sender (0 when they have none). */
hail_err sched_owner_sender(db *d, int64_t user_id, int64_t *sender_id);

/* The email a follow-up threads on. */
typedef struct sched_thread {
    char *subject, *body_html, *message_id, *refs; /* message_id, refs: NULL when none */
    char *from_address, *from_name;
    int64_t at; /* sent, else created */
} sched_thread;
hail_err sched_thread_load(db *d, int64_t email_id, sched_thread *t);
void sched_thread_free(sched_thread *t);
/* Sets an email's Message-ID before it is handed over (when it has none). */
hail_err sched_email_set_message_id(db *d, int64_t email_id, const char *message_id);
/* The address of a sender (for a Message-ID's domain). */
hail_err sched_sender_address(db *d, int64_t sender_id, char *out, size_t n);

#endif
