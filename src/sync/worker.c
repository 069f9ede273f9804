#include "core/common.h"

/* The Marketo sync worker of `hail serve`, and the sync status report.
 *
 * One thread: it runs a sync at start, then every HAIL_MARKETO_SYNC_INTERVAL
 * (measured from the start of the previous run), or at once when triggered.
 * A sync run from the CLI meanwhile holds the lease; the worker's attempt
 * then ends with HAIL_EBUSY and it simply tries again next time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "store/sync_runs.h"
#include "sync/marketo.h"

static struct worker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started;
    int quit;
    int trigger;
    int running;
    atomic_int stop; /* handed to the running sync, which reads it without the lock */
    pthread_t thread;
    char *db_path;
    marketo_config cfg;
    int64_t next_run; /* wall clock, µs */
    char phase[24];
    uint64_t people, total;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Bumped whenever what sync_status_json() reports from W changes. */
static atomic_uint_fast64_t status_version;

uint64_t sync_status_version(void)
{
    return (uint64_t)atomic_load(&status_version);
}

static void on_progress(void *ctx, const sync_progress *p)
{
    pthread_mutex_lock(&W.mu);
    snprintf(W.phase, sizeof W.phase, "%s", p->phase);
    W.people = p->people;
    W.total = p->total;
    pthread_mutex_unlock(&W.mu);
    atomic_fetch_add(&status_version, 1);
}

static void wait_until(int64_t wall_us)
{
    struct timespec ts = {(time_t)(wall_us / US_PER_SEC), (long)(wall_us % US_PER_SEC) * 1000};
    pthread_cond_timedwait(&W.cv, &W.mu, &ts);
}

static void *worker_main(void *arg)
{
    pthread_mutex_lock(&W.mu);
    while (!W.quit) {
        int64_t now = time_now_us();
        if (!W.trigger && now < W.next_run) {
            wait_until(W.next_run);
            continue;
        }
        const char *origin = W.trigger ? "api" : "server";
        W.trigger = 0;
        W.running = 1;
        snprintf(W.phase, sizeof W.phase, "connecting");
        W.people = W.total = 0;
        pthread_mutex_unlock(&W.mu);
        atomic_fetch_add(&status_version, 1);

        sync_options o = {.origin = origin, .progress = on_progress, .stop = &W.stop};
        sync_summary s;
        hail_err e = marketo_sync_run(W.db_path, &W.cfg, &o, &s);
        if (!e)
            log_info("marketo: %s sync done: %llu seen, %llu new, %llu updated, %llu "
                     "deactivated, %llu API calls, %.1f s",
                     s.kind_full ? "full" : "incremental", (unsigned long long)s.people.seen,
                     (unsigned long long)s.people.inserted, (unsigned long long)s.people.updated,
                     (unsigned long long)s.people.deactivated, (unsigned long long)s.api_calls,
                     s.seconds);
        else if (e == HAIL_EBUSY)
            log_info("marketo: sync skipped: %s", hail_errmsg());
        else if (e != HAIL_ECANCELLED)
            log_error("marketo: sync failed: %s", hail_errmsg());

        pthread_mutex_lock(&W.mu);
        W.running = 0;
        W.next_run = now + W.cfg.interval_us;
        if (e == HAIL_EQUOTA) {
            /* Nothing will work before the quota resets. */
            int64_t reset = mkto_quota_reset_us(time_now_us()) + 60 * US_PER_SEC;
            if (reset > W.next_run)
                W.next_run = reset;
        }
        atomic_fetch_add(&status_version, 1);
    }
    pthread_mutex_unlock(&W.mu);
    return arg;
}

hail_err sync_worker_start(const char *db_path)
{
    if (!marketo_configured())
        return HAIL_OK;
    pthread_mutex_lock(&W.mu);
    hail_err e = HAIL_OK;
    if (W.started)
        goto out;
    if ((e = marketo_config_load(&W.cfg)))
        goto out;
    W.db_path = strdup(db_path);
    if (!W.db_path) {
        marketo_config_release(&W.cfg);
        e = HAIL_ENOMEM;
        goto out;
    }
    W.quit = W.trigger = W.running = 0;
    atomic_store(&W.stop, 0);
    W.next_run = time_now_us();
    if (pthread_create(&W.thread, NULL, worker_main, NULL) != 0) {
        free(W.db_path);
        W.db_path = NULL;
        marketo_config_release(&W.cfg);
        e = hail_errf(HAIL_ENOMEM, "cannot start the Marketo sync thread");
        goto out;
    }
    W.started = 1;
    log_info("marketo: sync worker started: a sync now, then incremental every %g s",
             (double)W.cfg.interval_us / US_PER_SEC);
out:
    pthread_mutex_unlock(&W.mu);
    return e;
}

void sync_worker_trigger(void)
{
    pthread_mutex_lock(&W.mu);
    if (W.started) {
        /* While a run is going, the asked-for run follows it: "now" means a sync
         * that starts after the request, so it sees what changed before it. */
        W.trigger = 1;
        pthread_cond_signal(&W.cv);
    }
    pthread_mutex_unlock(&W.mu);
}

void sync_worker_stop(void)
{
    pthread_mutex_lock(&W.mu);
    if (!W.started) {
        pthread_mutex_unlock(&W.mu);
        return;
    }
    W.quit = 1;
    atomic_store(&W.stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    pthread_cond_signal(&W.cv);
    pthread_mutex_unlock(&W.mu);
    pthread_join(W.thread, NULL);
    pthread_mutex_lock(&W.mu);
    W.started = 0;
    free(W.db_path);
    W.db_path = NULL;
    marketo_config_release(&W.cfg);
    pthread_mutex_unlock(&W.mu);
}

/* ---- status ---- */

static json_t *iso_or_null(int64_t us)
{
    if (us <= 0)
        return json_null();
    char t[TIME_ISO_LEN];
    time_format_iso(us, t);
    return json_string(t);
}

json_t *sync_status_json(db *d)
{
    json_t *last = NULL;
    int64_t total = 0, active = 0;
    hail_err e = sync_runs_last_json(d, "marketo", &last);
    if (!e)
        e = people_count(d, &total, &active);
    if (e) {
        json_decref(last);
        return NULL;
    }
    long long pid = 0;
    int leased = mkto_lease_holder(d, &pid);

    pthread_mutex_lock(&W.mu);
    int started = W.started, running = W.running;
    int64_t next = W.next_run, interval = W.cfg.interval_us;
    json_t *progress = running ? json_pack("{s:s,s:I,s:I}", "phase", W.phase, "people",
                                           (json_int_t)W.people, "total", (json_int_t)W.total)
                               : json_null();
    pthread_mutex_unlock(&W.mu);
    if (!started) {
        marketo_config c;
        interval = 300 * US_PER_SEC;
        if (marketo_config_load(&c) == HAIL_OK) {
            interval = c.interval_us;
            marketo_config_release(&c);
        }
        hail_errclear();
    }
    json_t *o = json_pack("{s:b,s:b,s:o,s:o,s:o,s:o,s:o,s:f,s:{s:I,s:I}}", "configured",
                          marketo_configured(), "running", running || leased, "running_pid",
                          leased ? json_integer(pid) : json_null(), "progress", progress,
                          "last_run", last, "last_success_at", iso_or_null(mkto_last_success(d)),
                          "next_run_at", started && !running ? iso_or_null(next) : json_null(),
                          "interval_s", (double)interval / US_PER_SEC, "people", "total",
                          (json_int_t)total, "active", (json_int_t)active);
    if (!o)
        hail_errf(HAIL_ENOMEM, "out of memory");
    return o;
}
