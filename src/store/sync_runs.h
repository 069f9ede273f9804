/* sync_runs: one row per sync run (the Marketo sync today), for the status
 * report and the history. A run is 'running' until it ends 'ok' or
 * 'failed' (with its error); counts are updated as it goes.
 */
#ifndef HAIL_STORE_SYNC_RUNS_H
#define HAIL_STORE_SYNC_RUNS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

typedef struct sync_run_counts {
    uint64_t seen;        /* records read */
    uint64_t written;     /* people inserted or updated */
    uint64_t deactivated; /* people made inactive */
    uint64_t api_calls;   /* calls to the source's API */
} sync_run_counts;

/* Starts a run of source (kind "full" | "incremental", origin "cli" |
 * "server" | "api") at now_us: runs of source still 'running' were left by
 * a process that ended (the caller holds the source's lease) and are closed
 * as failed ("interrupted: the process ended before the sync finished").
 * *id gets the new run's id. Its own transaction. */
hail_err sync_runs_begin(db *d, const char *source, const char *kind, const char *origin,
                         int64_t now_us, int64_t *id);

/* The counts of run id so far (in the caller's transaction, if any: the
 * sync saves them with each checkpoint). */
hail_err sync_runs_progress(db *d, int64_t id, const sync_run_counts *c);

/* Ends run id with status ("ok" | "failed"), its final counts and error
 * (NULL for none) at now_us. */
hail_err sync_runs_finish(db *d, int64_t id, const char *status, const sync_run_counts *c,
                          const char *error, int64_t now_us);

/* The last run of source as {id, kind, origin, status, started_at,
 * finished_at, people_seen, people_written, people_deactivated, api_calls,
 * error} (times ISO 8601 or null), or JSON null when there is none. *out is
 * the caller's. */
hail_err sync_runs_last_json(db *d, const char *source, json_t **out);

#endif
