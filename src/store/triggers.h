/* Triggers, their firings and their webhook deliveries (migration 9, "9 T";
 * docs/outbox.md "Filters and triggers"). The rules (who may, what a config
 * holds, sealing the secret) are svc/triggers.h's; this file is their SQL.
 *
 * Times are epoch microseconds. JSON out: times ISO 8601 UTC. */
#ifndef HAIL_STORE_TRIGGERS_H
#define HAIL_STORE_TRIGGERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/lease.h"

/* A trigger as written: NULL / -1 members are left as they are (update). */
typedef struct trig_write {
    const char *name;
    int64_t filter_id; /* 0: unchanged */
    const char *action;
    const char *config;          /* JSON text without the secret */
    const unsigned char *secret; /* sealed; with set_secret */
    size_t secret_n;
    int set_secret; /* 1: secret (NULL: none) replaces the old one */
    int enabled;    /* -1: unchanged */
    int64_t created_by;
} trig_write;

/* A trigger as the evaluator and the worker read it. */
typedef struct trig_row {
    int64_t id, filter_id, created_by;
    int64_t start_id; /* the log's last id when it was made: it fires after */
    char *name, *action;
    json_t *config; /* an object */
    int enabled;
} trig_row;
void trig_rows_free(trig_row *rows, size_t n);

hail_err trig_db_create(db *d, const trig_write *w, int64_t now, int64_t *id);
/* HAIL_ENOTFOUND ("no trigger with id N") when there is none. */
hail_err trig_db_update(db *d, int64_t id, const trig_write *w, int64_t now);
/* Deletes the trigger, its firings and its deliveries. */
hail_err trig_db_delete(db *d, int64_t id);
/* The Trigger object (docs/openapi.json): config without the secret,
 * "secret_set". */
hail_err trig_db_get(db *d, int64_t id, json_t **out);
/* A page by id (after: 0 first); *next the last id when more follow. */
hail_err trig_db_page(db *d, int64_t after, int limit, json_t **out, int64_t *next);
/* One row (HAIL_ENOTFOUND when there is none). */
hail_err trig_db_row(db *d, int64_t id, trig_row *out);
/* Every enabled trigger, by id. */
hail_err trig_db_enabled(db *d, trig_row **rows, size_t *n);
/* The sealed secret (*sealed malloc'd, NULL when none). */
hail_err trig_db_secret(db *d, int64_t id, unsigned char **sealed, size_t *n);

/* ---- firings ---- */

/* Inserts the firing (trigger, activity) unless there is one: *fired 1 when
 * this call inserted it, 0 when it was there. In the caller's transaction. */
hail_err trig_db_fire(db *d, int64_t trigger_id, int64_t activity_id, int64_t now,
                      const char *outcome, int *fired);
/* The firing's outcome and the activity its action recorded (0: none). */
hail_err trig_db_fire_outcome(db *d, int64_t trigger_id, int64_t activity_id, const char *outcome,
                              int64_t effect_id);
/* 1 when activity_id was recorded by a trigger's action (effect_id). */
hail_err trig_db_is_effect(db *d, int64_t activity_id, int *yes);
/* The largest activity id so far (SQLite), or the largest this
 * transaction wrote (PostgreSQL), to tell what an action adds (0: none). */
hail_err trig_db_last_activity(db *d, int64_t *id);
/* The last activity this transaction recorded after `after` (SQLite: id >
 * after, one writer at a time; PostgreSQL: also written by this
 * transaction), 0 when none. */
hail_err trig_db_own_activity(db *d, int64_t after, int64_t *id);
/* Firings, newest first: {"activity_id","person_id","activity_type","fired_at","outcome"}. */
hail_err trig_db_fires_page(db *d, int64_t trigger_id, int64_t before, int limit, json_t **out,
                            int64_t *next);

/* ---- webhook deliveries ---- */

hail_err wh_db_enqueue(db *d, int64_t trigger_id, int64_t activity_id, const char *body,
                       int64_t now, int64_t *id);

/* The due pending deliveries (lease_claim: $1 owner, $2 until, $3 now). */
extern lease_rows wh_due_rows;

typedef struct wh_row {
    int64_t id, trigger_id, activity_id;
    int attempts;
    char *body;
} wh_row;
void wh_row_free(wh_row *r);
hail_err wh_db_get(db *d, int64_t id, wh_row *out);

/* Records an attempt: status "pending" (next_at), "delivered" or "failed";
 * http_status 0: none; error NULL: none. Frees the row's lease. 1 done, 0
 * the lease was no longer owner's (nothing written). */
hail_err wh_db_attempt(db *d, int64_t id, const char *owner, const char *status, int attempts,
                       long http_status, const char *error, int64_t next_at, int64_t now,
                       int *done);
/* The delivery log of a trigger, newest first: Delivery objects. */
hail_err wh_db_page(db *d, int64_t trigger_id, int64_t before, int limit, json_t **out,
                    int64_t *next);
/* How many deliveries have status (for tests and the page's counts). */
hail_err wh_db_count(db *d, int64_t trigger_id, const char *status, int64_t *n);
/* The earliest next_at of a pending delivery (0: none). */
hail_err wh_db_next_due(db *d, int64_t *at);

#endif
