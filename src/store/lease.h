/* Leases: who may do a piece of work, across threads, processes and nodes.
 *
 * Two kinds, the same two columns (lease_owner, lease_until):
 *
 * - A named lease, a row of the table `leases` (migration 4), for work of
 *   which one runs at a time anywhere, such as the Marketo sync
 *   ("marketo.sync"). The holder's pid, host and process start time are kept
 *   beside it, so a holder that certainly died (same host, pid gone or
 *   reused) is taken over at once; on another host only expiry tells.
 *
 * - Row leases on a job table (the send queue and the scheduler of later
 *   issues): lease_claim() takes up to n free rows (lease_until NULL or
 *   past) for an owner until a time. Other claimers skip rows taken, even
 *   while the claim's transaction is still open.
 *
 * PostgreSQL: the lease row is read with SELECT … FOR UPDATE (made first if
 * missing, INSERT … ON CONFLICT DO NOTHING); rows are claimed with SELECT …
 * FOR UPDATE SKIP LOCKED inside the UPDATE. SQLite: the same statements
 * inside BEGIN IMMEDIATE (one writer at a time, so nothing to skip).
 *
 * Times are epoch microseconds (time_now_us). Owners are short strings that
 * the caller makes unique (a random hex id per run).
 */
#ifndef HAIL_STORE_LEASE_H
#define HAIL_STORE_LEASE_H

#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* Longest owner id kept (longer ones are refused with HAIL_EINVAL). */
#define LEASE_OWNER_MAX 63

typedef struct lease_info {
    char owner[LEASE_OWNER_MAX + 1]; /* "" when free */
    int64_t until;                   /* epoch µs; 0 when free */
    long long pid;                   /* the holder's process, 0 if unknown */
    char host[128];                  /* its hostname, "" if unknown */
    long long start;                 /* its start time (/proc, clock ticks), -1 if unknown */
    int dead;                        /* the holder is certainly gone (see lease_holder_dead) */
} lease_info;

/* Takes the lease name for owner until now + ttl_us. Free, expired (held
 * from another host) or held by a dead process on this host: taken (and
 * when it was somebody else's, *other, if not NULL, describes who: owner
 * set, dead says why). Held by owner: renewed. Otherwise HAIL_EBUSY with
 * *other filled and a message naming the holder ("the lease NAME is held by
 * pid N on HOST"): callers say it their way. Runs its own transaction. */
hail_err lease_take(db *d, const char *name, const char *owner, int64_t ttl_us, lease_info *other);

/* Extends owner's lease to now + ttl_us: 1 held (renewed), 0 lost (another
 * owner has it, or it was released), -1 unknown (database error). */
int lease_renew(db *d, const char *name, const char *owner, int64_t ttl_us);

/* Frees the lease if owner holds it (nothing otherwise). */
hail_err lease_release(db *d, const char *name, const char *owner);

/* The lease's current holder: 1 held (*out filled: owner, not expired and
 * not dead), 0 free, -1 on a database error (message in hail_errmsg()). */
int lease_get(db *d, const char *name, lease_info *out);

/* 1 when l's holder is certainly gone: on this host, and its pid is not
 * alive or is another process now (its start time differs). */
int lease_holder_dead(const lease_info *l);
/* The start time of process pid (clock ticks since boot, from /proc), which
 * tells a live holder from a new process that reuses its pid; -1 if unknown.
 * Holder ids of row leases (e.g. the send queue's) carry it for
 * lease_holder_dead. */
long long lease_proc_start(long pid);

/* ---- row leases on a job table ---- */

/* A job table's claim: a static (or otherwise long-lived) object per table.
 * The table has an integer primary key `id` and the columns lease_owner
 * (TEXT) and lease_until (INTEGER, epoch µs). The SQL is built from it on
 * first use and kept in it (db_stmt caches statements by the text's
 * address); any thread may use the same spec. */
typedef struct lease_rows {
    const char *table; /* e.g. "send_queue" */
    const char *where; /* what else makes a row claimable, e.g. "run_at <= $3"
                          (the claim's parameters: $1 owner, $2 until, $3 now);
                          NULL: every free row */
    const char *order; /* claim order, e.g. "run_at, id"; NULL: "id" */
    /* Built by lease.c; zero-initialise. */
    _Atomic(const char *) sql_claim_sqlite, sql_claim_pg, sql_extend, sql_free;
} lease_rows;

/* Claims up to limit rows of spec's table that are free (lease_until NULL or
 * <= now_us) and match spec->where, in spec->order, for owner until now_us
 * + ttl_us. ids gets their ids (room for limit), *n how many (0: none
 * free). Its own transaction. */
hail_err lease_claim(db *d, lease_rows *spec, const char *owner, int64_t now_us, int64_t ttl_us,
                     int limit, int64_t *ids, int *n);

/* Extends owner's lease of row id to until_us: 1 held, 0 not owner's (any
 * more), -1 database error. */
int lease_row_extend(db *d, lease_rows *spec, const char *owner, int64_t id, int64_t until_us);

/* Frees row id if owner holds it (done, or given back): 1 freed, 0 not
 * owner's, -1 database error. Runs in the caller's transaction if any, so
 * that a job's result and its release commit together. */
int lease_row_free(db *d, lease_rows *spec, const char *owner, int64_t id);

/* Frees the SQL built into a spec that is not static (tests), after every
 * connection that used it is closed (their statement caches key on it). */
void lease_rows_release(lease_rows *spec);

#endif
