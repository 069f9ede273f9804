/* People sync from Marketo Engage: the public face of sync/.
 *
 * A sync is either full (a bulk lead export, streamed into the store) or
 * incremental (the activity feeds since the last successful sync, then the
 * current records of the leads that changed). Either kind checkpoints into the
 * kv table in the same transaction as the people it covers, so an interrupted
 * run — kill -9, Ctrl-C, a quota stop — resumes where it stopped. One sync runs
 * at a time across processes and nodes (the named lease "marketo.sync",
 * store/lease.h). Each run is a row in sync_runs (store/sync_runs.h).
 * docs/sync.md describes the design.
 *
 * Threads: marketo_sync_run() blocks the calling thread and opens its own
 * database connections; any thread may call it. The worker functions are for
 * `hail serve` and are called from its main thread; sync_worker_trigger() and
 * sync_status_json() from any thread.
 */
#ifndef HAIL_SYNC_SYNC_H
#define HAIL_SYNC_SYNC_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/people.h"

/* Settings from the environment. Owns its strings: marketo_config_release(). */
typedef struct marketo_config {
    char *url;             /* HAIL_MARKETO_URL: instance base, no trailing slash */
    char *client_id;       /* HAIL_MARKETO_CLIENT_ID */
    char *client_secret;   /* HAIL_MARKETO_CLIENT_SECRET (never logged) */
    int64_t smart_list_id; /* HAIL_MARKETO_SMART_LIST_ID; 0 = createdAt windows */
    int64_t since_us;      /* HAIL_MARKETO_SINCE: earliest createdAt of a full sync */
    int64_t poll_us;       /* HAIL_MARKETO_POLL_SECONDS: export status poll interval */
    int64_t interval_us;   /* HAIL_MARKETO_SYNC_INTERVAL: the server's incremental period */
    char *time_zone_field; /* HAIL_MARKETO_TIME_ZONE_FIELD: the lead field holding the
                              person's time zone; NULL = none */
    int calls_per_20s;     /* HAIL_MARKETO_CALLS_PER_20S: hail's share of Marketo's 100 calls
                              per 20 s (all of hail's Marketo clients in the process) */
} marketo_config;

/* URL, client id and secret are all set (non-empty). */
int marketo_configured(void);

/* Parses the HAIL_MARKETO_* settings (svc/settings.h). HAIL_EINVAL with a message naming the
 * variable when a value is bad or Marketo is not configured. On error *c holds nothing to free. */
hail_err marketo_config_load(marketo_config *c);
void marketo_config_release(marketo_config *c);

typedef struct sync_progress {
    const char *phase; /* "connecting", "exporting", "importing", "indexing", "changes",
                          "deleted", "done" (static strings) */
    uint64_t people;   /* records handled so far in this run */
    uint64_t total;    /* expected records, 0 = unknown */
    double elapsed_s;
} sync_progress;

typedef struct sync_options {
    int full;           /* force a full export (an unfinished full sync is resumed) */
    const char *origin; /* "cli" | "server" | "api" (recorded in sync_runs) */
    void (*progress)(void *ctx, const sync_progress *p); /* may be NULL; sync thread */
    void *progress_ctx;
    const atomic_int *stop; /* set non-zero to stop at the next checkpoint; may be NULL */
} sync_options;

typedef struct sync_summary {
    people_stats people; /* seen / inserted / updated / unchanged / deactivated */
    uint64_t api_calls;  /* REST and bulk calls (token requests not counted) */
    double seconds;
    int kind_full; /* 1 = full export, 0 = incremental */
} sync_summary;

/* Runs one sync against the database at db_path (already migrated): full when
 * o->full, when no sync has ever succeeded, or when a full sync was interrupted;
 * incremental otherwise. Returns HAIL_EBUSY when another sync holds the lease,
 * HAIL_EAUTH for rejected credentials, HAIL_EQUOTA when the daily quota is
 * exhausted, HAIL_ECANCELLED when stopped, HAIL_EREMOTE for other Marketo
 * errors — each with a message in hail_errmsg(). out (may be NULL) is filled
 * on success and on failure (what was done before it failed). */
hail_err marketo_sync_run(const char *db_path, const marketo_config *c, const sync_options *o,
                          sync_summary *out);

/* ---- background worker for `hail serve` ---- */

/* Starts the thread that runs an incremental sync every interval (the first at
 * once). A no-op returning HAIL_OK when Marketo is not configured; HAIL_EINVAL
 * when the configuration is bad. */
hail_err sync_worker_start(const char *db_path);
/* Runs a sync now (origin "api"), or right after the one running; returns at once. */
void sync_worker_trigger(void);
/* Stops the worker: a running sync checkpoints and ends; joins the thread. */
void sync_worker_stop(void);

/* {configured, running, running_pid, progress:{phase,people,total}|null,
 *  last_run:{id,kind,origin,status,started_at,finished_at,people_seen,
 *  people_written,people_deactivated,api_calls,error}|null, last_success_at,
 *  next_run_at, interval_s, people:{total,active}}. Caller owns the result;
 * NULL on a database error (hail_errmsg() says which). */
json_t *sync_status_json(db *d);
/* A number that changes whenever this process's worker starts or ends a sync
 * or reports progress (any thread; cheap). A sync run by another process
 * (`hail sync`) shows only in sync_status_json(). */
uint64_t sync_status_version(void);

#endif
