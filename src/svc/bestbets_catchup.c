#include "core/common.h"

#include "svc/bestbets_catchup.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "store/bestbets.h"
#include "store/db.h"

static struct {
    pthread_t thread;
    int running;     /* started and not yet joined (the starting thread's own) */
    atomic_int stop; /* set by bestbets_catchup_stop */
    char *target;
} cu;

/* Sleeps up to ms, waking early when asked to stop; 0 when asked to stop. */
static int pause_ms(int ms)
{
    for (int left = ms; left > 0; left -= 10) {
        if (atomic_load(&cu.stop))
            return 0;
        struct timespec ts = {0, (left < 10 ? left : 10) * 1000 * 1000L};
        nanosleep(&ts, NULL);
    }
    return !atomic_load(&cu.stop);
}

/* The largest person id in the log, for the progress lines (0 when unknown). */
static int64_t last_person(db *d)
{
    db_st *st = db_stmt(d, "SELECT max(person_id) FROM activities");
    int64_t n = 0;
    if (st && db_step(st) == DB_ROW && !db_col_null(st, 0))
        n = db_col_i64(st, 0);
    if (st)
        db_reset(st);
    return n;
}

static void *catchup_main(void *arg)
{
    (void)arg;
    db *d = NULL;
    int64_t from = 0;
    int due = 0;
    /* The check waits out a busy database (a second, then again). */
    for (;;) {
        if (atomic_load(&cu.stop))
            goto out;
        hail_err e = d ? HAIL_OK : db_open(cu.target, 0, &d);
        if (!e)
            e = bestbets_catchup_due(d, &from, &due);
        if (!e)
            break;
        log_warn("Best Bets: checking whether a rebuild is due: %s (retrying in 5 s)",
                 hail_errmsg());
        if (!pause_ms(5000))
            goto out;
    }
    if (!due)
        goto out;
    int64_t last = last_person(d), people = 0, t0 = time_mono_us(), logged = t0;
    if (from > 0)
        log_info("Best Bets: resuming the rebuild from the activity log at person id %lld "
                 "(the last is %lld)",
                 (long long)from, (long long)last);
    else
        log_info("Best Bets: the activities have no Best Bets yet (a database upgraded to "
                 "schema 7): rebuilding from the activity log in the background (person ids up to "
                 "%lld)",
                 (long long)last);
    for (;;) {
        if (atomic_load(&cu.stop)) {
            log_info("Best Bets: rebuild stopped at person id %lld; the next start resumes it",
                     (long long)from);
            goto out;
        }
        bestbets_step s;
        hail_err e = bestbets_catchup_step(d, time_now_us(), BESTBETS_CATCHUP_CHUNK, &s);
        if (e) {
            log_warn("Best Bets: rebuild step at person id %lld: %s (retrying in 5 s)",
                     (long long)from, hail_errmsg());
            if (!pause_ms(5000))
                goto out;
            continue;
        }
        people += s.people;
        if (s.done)
            break;
        from = s.next;
        int64_t now = time_mono_us();
        if (now - logged >= BESTBETS_CATCHUP_LOG_US) {
            logged = now;
            log_info("Best Bets: rebuilding: %lld people with a score so far, at person id %lld "
                     "of %lld",
                     (long long)people, (long long)from, (long long)last);
        }
        if (!pause_ms(BESTBETS_CATCHUP_PAUSE_MS))
            continue; /* the loop's head says where it stopped */
    }
    int64_t ms = (time_mono_us() - t0) / 1000;
    log_info("Best Bets: rebuilt from the activity log: %lld %s with a score in %lld.%01lld s",
             (long long)people, people == 1 ? "person" : "people", (long long)(ms / 1000),
             (long long)(ms % 1000 / 100));
out:
    if (d)
        db_close(d);
    return NULL;
}

hail_err bestbets_catchup_start(const char *target)
{
    if (cu.running)
        return HAIL_OK;
    atomic_store(&cu.stop, 0);
    free(cu.target);
    cu.target = strdup(target);
    if (!cu.target)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    if (pthread_create(&cu.thread, NULL, catchup_main, NULL)) {
        free(cu.target);
        cu.target = NULL;
        return hail_errf(HAIL_EIO, "cannot start the Best Bets rebuild thread");
    }
    cu.running = 1;
    return HAIL_OK;
}

void bestbets_catchup_stop(void)
{
    if (!cu.running)
        return;
    atomic_store(&cu.stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    pthread_join(cu.thread, NULL);
    cu.running = 0;
    free(cu.target);
    cu.target = NULL;
}
