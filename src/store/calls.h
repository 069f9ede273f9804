/* The calls' tables (issue 9; docs/calls.md): call_outcomes, call_reasons,
 * caller_ids, voicemail_drops, calls and dialer_events. Queries only: the
 * rules (validation, logging, activities) are svc/calls.c's.
 */
#ifndef HAIL_STORE_CALLS_H
#define HAIL_STORE_CALLS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/emails.h"

/* ---- outcomes and reasons ----
 * An outcome is {id, name, answered, position}; a reason {id, name,
 * position}. Deleting archives: an archived one is not listed and cannot
 * be chosen, and the calls that name it keep their text. */
typedef enum { CALL_OUTCOMES = 0, CALL_REASONS = 1 } call_list_kind;

/* The live ones, by position then id. */
hail_err calls_choices_list(db *d, call_list_kind k, json_t **out);
/* One live choice; HAIL_ENOTFOUND (no message) when absent or archived. */
hail_err calls_choice_get(db *d, call_list_kind k, int64_t id, json_t **out);
/* position < 0: after the last one. answered is ignored for reasons. */
hail_err calls_choice_insert(db *d, call_list_kind k, const char *name, int answered,
                             int64_t position, int64_t now, int64_t *id);
/* NULL / -1: unchanged. HAIL_ENOTFOUND when absent or archived. */
hail_err calls_choice_update(db *d, call_list_kind k, int64_t id, const char *name, int answered,
                             int64_t position);
hail_err calls_choice_archive(db *d, call_list_kind k, int64_t id);

/* ---- caller ids ---- {id, number, label, is_default, created_at} */
hail_err calls_caller_ids_list(db *d, json_t **out);
hail_err calls_caller_id_get(db *d, int64_t id, json_t **out);
/* HAIL_EEXIST when the number is in the pool already. */
hail_err calls_caller_id_insert(db *d, const char *number, const char *label, int64_t now,
                                int64_t *id);
hail_err calls_caller_id_update(db *d, int64_t id, const char *number, const char *label);
/* Makes id the default (and no other). */
hail_err calls_caller_id_set_default(db *d, int64_t id);
hail_err calls_caller_id_clear_default(db *d, int64_t id);
hail_err calls_caller_id_delete(db *d, int64_t id);
/* Whether any number is the default. */
hail_err calls_caller_id_has_default(db *d, int *has);
/* The pool's numbers (E.164 strings, in id order) and the default's index
 * (-1: none): *numbers is a NULL-terminated malloc'd array of malloc'd
 * strings (calls_strings_free). */
hail_err calls_caller_id_pool(db *d, char ***numbers, long *def);
void calls_strings_free(char **s);

/* ---- voicemail drops ---- {id, name, content_type, size, owner:{id,name}, created_at} */
hail_err calls_drops_list(db *d, json_t **out);
hail_err calls_drop_get(db *d, int64_t id, json_t **out);
hail_err calls_drop_insert(db *d, int64_t owner, const char *name, const char *type,
                           const void *data, size_t n, int64_t now, int64_t *id);
/* The audio: *data malloc'd, *type one of "audio/wav", "audio/mpeg". */
hail_err calls_drop_audio(db *d, int64_t id, char **data, size_t *n, const char **type,
                          int64_t *owner);
hail_err calls_drop_delete(db *d, int64_t id);

/* ---- calls ---- */
typedef struct call_row {
    int64_t id, person_id, user_id, task_id, campaign_id; /* 0: none */
    int64_t outcome_id, reason_id, voicemail_drop_id;     /* 0: none */
    char *number_dialed, *caller_id, *outcome, *reason, *notes, *recording_url, *answered_by,
        *provider_call_id, *status; /* malloc'd; NULL: none (notes and status never NULL) */
    int64_t started_at, duration_s; /* -1: none */
    int logged;
    int64_t created_at, updated_at;
} call_row;
void calls_row_free(call_row *c);

/* Inserts c (c->id ignored); *id the new id. */
hail_err calls_insert(db *d, const call_row *c, int64_t *id);
/* Reads call id into *c (calls_row_free it); HAIL_ENOTFOUND with no message. */
hail_err calls_row_get(db *d, int64_t id, call_row *c);
/* The call id whose provider id is pid; 0 when none. */
hail_err calls_by_provider_id(db *d, const char *pid, int64_t *id);
/* Writes every column of c (by c->id). */
hail_err calls_update(db *d, const call_row *c);

/* The API's Call object; HAIL_ENOTFOUND (no message) when absent. */
hail_err calls_json(db *d, int64_t id, json_t **out);
/* Whether v may see call id: reps their own, managers their teams' users',
 * admins all (0 when it does not exist). */
int calls_visible(db *d, const email_viewer *v, int64_t id);

typedef struct call_filter {
    int64_t person_id, user_id;        /* 0: any */
    const char *account, *opportunity; /* Salesforce ids; NULL: any */
    int64_t before_id;                 /* 0: from the newest */
    int limit;
} call_filter;
/* A page of Call objects v may see, newest first; *next the last id when
 * more follow, else 0. */
hail_err calls_page(db *d, const email_viewer *v, const call_filter *f, json_t **out,
                    int64_t *next);

/* ---- the dialer ---- */
/* Records event_id as applied to call_id: *fresh 1 when it is new, 0 when
 * it was seen before (then *call_id_seen, may be NULL, gets its call). */
hail_err calls_dialer_event(db *d, const char *event_id, int64_t call_id, const char *kind,
                            int64_t now, int *fresh, int64_t *call_id_seen);

/* ---- small reads for the service ---- */
/* The person's display name, email, phone (malloc'd; NULL when none);
 * HAIL_ENOTFOUND (no message) when absent. */
hail_err calls_person(db *d, int64_t id, char **name, char **phone);
/* A user's email and name (malloc'd). */
hail_err calls_user(db *d, int64_t id, char **email, char **name);
/* A campaign's name (malloc'd); HAIL_ENOTFOUND when absent. */
hail_err calls_campaign_name(db *d, int64_t id, char **name);
/* A live outcome's name and answered flag / a live reason's name; a live
 * drop's existence. HAIL_ENOTFOUND (no message) when absent or archived. */
hail_err calls_outcome_of(db *d, int64_t id, char **name, int *answered);
hail_err calls_reason_of(db *d, int64_t id, char **name);
hail_err calls_drop_exists(db *d, int64_t id);

#endif
