#include "core/common.h"

/* One Marketo sync run: configuration, the lease, the sync_runs row, the
 * choice between full and incremental, and the checkpoint plumbing the two
 * kinds share. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "store/lease.h"
#include "store/sync_runs.h"
#include "svc/settings.h"
#include "sync/marketo.h"

#define KV_CHECKPOINT   "marketo.sync.checkpoint"
#define KV_LAST_SUCCESS "marketo.sync.last_success"
/* The named lease (store/lease.h); before migration 4 a kv row marketo.sync.lease. */
#define LEASE_NAME     "marketo.sync"
#define LEASE_TTL_US   (INT64_C(60) * 1000000)
#define LEASE_RENEW_US (INT64_C(10) * 1000000)
/* The activity feeds are read from a little before the last sync began, for
 * clock skew and activities that show up late. Re-reading costs a few calls. */
#define SINCE_MARGIN_US (INT64_C(300) * 1000000)
#define PROGRESS_US     (INT64_C(250) * 1000)

/* ---- configuration ---- */

int marketo_configured(void)
{
    const hail_settings *s = settings();
    return s->marketo.url && s->marketo.client_id && s->marketo.client_secret;
}

static hail_err parse_seconds(const char *name, const char *v, double min, double max, int64_t *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= min) || !(d <= max))
        return hail_errf(HAIL_EINVAL, "%s must be a number of seconds from %g to %g, not '%s'",
                         name, min, max, v);
    *out = (int64_t)(d * 1e6);
    return HAIL_OK;
}

void marketo_config_release(marketo_config *c)
{
    free(c->url);
    free(c->client_id);
    if (c->client_secret)
        sodium_memzero(c->client_secret, strlen(c->client_secret));
    free(c->client_secret);
    free(c->time_zone_field);
    memset(c, 0, sizeof *c);
}

hail_err marketo_config_load(marketo_config *c)
{
    memset(c, 0, sizeof *c);
    if (!marketo_configured())
        return hail_errf(HAIL_EINVAL, "Marketo is not configured: set HAIL_MARKETO_URL, "
                                      "HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET");
    const hail_settings *set = settings();
    const char *url = set->marketo.url;
    hail_err e;
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
        e = hail_errf(HAIL_EINVAL,
                      "HAIL_MARKETO_URL must be an http(s) URL such as "
                      "https://123-ABC-456.mktorest.com, not '%.100s'",
                      url);
        goto fail;
    }
    c->url = strdup(url);
    c->client_id = strdup(set->marketo.client_id);
    c->client_secret = strdup(set->marketo.client_secret);
    if (!c->url || !c->client_id || !c->client_secret) {
        e = HAIL_ENOMEM;
        goto fail;
    }
    size_t n = strlen(c->url);
    while (n > 0 && c->url[n - 1] == '/')
        c->url[--n] = '\0';
    const char *v;
    if ((v = set->marketo.smart_list_id)) {
        char *end;
        errno = 0;
        long long id = strtoll(v, &end, 10);
        if (errno || *end || id <= 0 || id > INT32_MAX) {
            e = hail_errf(HAIL_EINVAL,
                          "HAIL_MARKETO_SMART_LIST_ID must be a positive integer, not '%.40s'", v);
            goto fail;
        }
        c->smart_list_id = id;
    }
    v = set->marketo.since;
    if ((e = time_parse_iso(v ? v : "2010-01-01", v ? strlen(v) : 10, &c->since_us))) {
        e = hail_errf(HAIL_EINVAL, "HAIL_MARKETO_SINCE must be a date like 2010-01-01, not '%.40s'",
                      v);
        goto fail;
    }
    if (c->since_us >= time_now_us()) {
        e = hail_errf(HAIL_EINVAL, "HAIL_MARKETO_SINCE is in the future");
        goto fail;
    }
    c->poll_us = 60 * US_PER_SEC;
    if ((v = set->marketo.poll_seconds) &&
        (e = parse_seconds("HAIL_MARKETO_POLL_SECONDS", v, 0.001, 3600, &c->poll_us)))
        goto fail;
    c->calls_per_20s = 100;
    if ((v = set->marketo.calls_per_20s)) {
        char *end;
        errno = 0;
        long long calls = strtoll(v, &end, 10);
        if (errno || *end || calls < 1 || calls > 100000) {
            e = hail_errf(HAIL_EINVAL,
                          "HAIL_MARKETO_CALLS_PER_20S must be an integer from 1 to 100000, not "
                          "'%.40s'",
                          v);
            goto fail;
        }
        c->calls_per_20s = (int)calls;
    }
    c->interval_us = 300 * US_PER_SEC;
    if ((v = set->marketo.sync_interval) &&
        (e = parse_seconds("HAIL_MARKETO_SYNC_INTERVAL", v, 0.1, 7 * 86400, &c->interval_us)))
        goto fail;
    if ((v = set->marketo.time_zone_field) && *v) {
        if (!mkto_field_name_ok(v)) {
            e = hail_errf(HAIL_EINVAL,
                          "HAIL_MARKETO_TIME_ZONE_FIELD must be a Marketo field's REST API name "
                          "(letters, digits and _, at most 64, not one the sync already reads), "
                          "not '%.64s'",
                          v);
            goto fail;
        }
        if (!(c->time_zone_field = strdup(v))) {
            e = HAIL_ENOMEM;
            goto fail;
        }
    }
    return HAIL_OK;
fail:
    marketo_config_release(c);
    return e;
}

void mkto_check_time_zone(person_in *p, const char *tz_field)
{
    char why[200];
    if (person_in_check_time_zone(p, why, sizeof why))
        log_warn("marketo: lead %lld, field %s: %s", (long long)p->marketo_id, tz_field, why);
}

/* ---- run helpers shared by the sync kinds ---- */

typedef struct run_ext {
    mkto_run r;
    int64_t run_id;
    /* Set by the keeper thread, read by the sync's threads. */
    atomic_int halt; /* the caller's stop, or the lease lost */
    atomic_int lease_lost;
    char owner[40];
} run_ext;

void mkto_stats(const mkto_run *r, people_stats *out)
{
    *out = r->st;
    if (r->live) {
        const people_stats *s = people_writer_stats(r->live);
        out->seen += s->seen;
        out->inserted += s->inserted;
        out->updated += s->updated;
        out->unchanged += s->unchanged;
        out->deactivated += s->deactivated;
    }
}

static void run_counts(const mkto_run *r, sync_run_counts *c)
{
    people_stats s;
    mkto_stats(r, &s);
    c->seen = s.seen;
    c->written = s.inserted + s.updated;
    c->deactivated = s.deactivated;
    c->api_calls = r->m ? mkto_client_calls(r->m) : 0;
}

hail_err mkto_writer_open(mkto_run *r, unsigned flags, people_writer **w)
{
    hail_err e = people_writer_open(r->d, flags, w);
    if (!e)
        r->live = *w;
    return e;
}

hail_err mkto_writer_close(mkto_run *r, people_writer *w, int commit)
{
    mkto_stats(r, &r->st);
    r->live = NULL;
    return people_writer_close(w, commit);
}

int mkto_stopping(const mkto_run *r)
{
    const run_ext *x = (const run_ext *)r;
    return atomic_load(&x->halt);
}

hail_err mkto_save_checkpoint(mkto_run *r)
{
    run_ext *x = (run_ext *)r;
    char *text = mkto_checkpoint_encode(&r->ck);
    if (!text)
        return HAIL_ENOMEM;
    hail_err e = db_kv_set(r->d, KV_CHECKPOINT, text);
    free(text);
    if (e)
        return e;
    /* Keep the run's row current so `GET /api/v1/sync/marketo` shows progress. */
    sync_run_counts c;
    run_counts(r, &c);
    return sync_runs_progress(r->d, x->run_id, &c);
}

void mkto_progress(mkto_run *r, const char *phase, int force)
{
    int64_t now = time_mono_us();
    if (!force && phase == r->phase && now - r->last_progress < PROGRESS_US)
        return;
    r->phase = phase;
    r->last_progress = now;
    if (!r->opt->progress)
        return;
    people_stats s;
    mkto_stats(r, &s);
    sync_progress p = {phase, s.seen + r->rejected, r->total,
                       (double)(now - r->t0_mono) / US_PER_SEC};
    r->opt->progress(r->opt->progress_ctx, &p);
}

/* ---- the lease: one sync at a time across processes and nodes ---- */

static hail_err lease_acquire(db *d, const char *owner)
{
    lease_info other;
    hail_err e = lease_take(d, LEASE_NAME, owner, LEASE_TTL_US, &other);
    if (e == HAIL_EBUSY) {
        char host[128];
        if (gethostname(host, sizeof host) != 0)
            host[0] = '\0';
        host[sizeof host - 1] = '\0';
        if (!strcmp(host, other.host))
            return hail_errf(HAIL_EBUSY, "a Marketo sync is already running (pid %lld)", other.pid);
        return hail_errf(HAIL_EBUSY, "a Marketo sync is already running (pid %lld on %s)",
                         other.pid, other.host[0] ? other.host : "another host");
    }
    if (!e && other.owner[0])
        log_warn("marketo: taking over the sync lease of pid %lld on %s (%s)", other.pid,
                 other.host[0] ? other.host : "an unknown host",
                 other.dead ? "process gone" : "expired");
    return e;
}

/* The keeper thread renews the lease and turns the caller's stop (or a lost
 * lease) into the run's halt flag, which every wait and transfer watches. */
typedef struct keeper {
    run_ext *x;
    const char *db_path;
    const atomic_int *stop; /* the caller's, set by another thread or a signal handler */
    atomic_int done;        /* set by the run's thread when it ends */
} keeper;

static void *keeper_main(void *arg)
{
    keeper *k = arg;
    db *d = NULL;
    if (db_open(k->db_path, 0, &d))
        log_warn("marketo: lease keeper cannot open the database: %s", hail_errmsg());
    int64_t next = time_mono_us() + LEASE_RENEW_US;
    while (!atomic_load(&k->done)) {
        if (k->stop && atomic_load(k->stop))
            atomic_store(&k->x->halt, 1);
        if (d && time_mono_us() >= next) {
            int held = lease_renew(d, LEASE_NAME, k->x->owner, LEASE_TTL_US);
            if (held == 0) {
                log_error("marketo: another process took the sync lease; stopping");
                atomic_store(&k->x->lease_lost, 1);
                atomic_store(&k->x->halt, 1);
            }
            next = time_mono_us() + (held < 0 ? US_PER_SEC : LEASE_RENEW_US);
        }
        time_sleep_us(50 * 1000, NULL);
    }
    db_close(d);
    return NULL;
}

int mkto_lease_holder(db *d, long long *pid)
{
    lease_info l;
    if (lease_get(d, LEASE_NAME, &l) != 1)
        return 0;
    *pid = l.pid;
    return 1;
}

int64_t mkto_last_success(db *d)
{
    char *v = NULL;
    int64_t t = 0;
    if (db_kv_get(d, KV_LAST_SUCCESS, &v) == HAIL_OK && v)
        t = strtoll(v, NULL, 10);
    free(v);
    return t;
}

/* ---- sync_runs ---- */

static hail_err run_end(run_ext *x, const char *status, const char *error)
{
    sync_run_counts c;
    run_counts(&x->r, &c);
    return sync_runs_finish(x->r.d, x->run_id, status, &c, error, time_now_us());
}

/* ---- choosing what to run ---- */

static hail_err load_state(db *d, mkto_checkpoint *ck, int64_t *last_success)
{
    char *v = NULL;
    *last_success = 0;
    hail_err e = db_kv_get(d, KV_LAST_SUCCESS, &v);
    if (e)
        return e;
    if (v)
        *last_success = strtoll(v, NULL, 10);
    free(v);
    if ((e = db_kv_get(d, KV_CHECKPOINT, &v)))
        return e;
    memset(ck, 0, sizeof *ck);
    if (v && mkto_checkpoint_decode(v, ck))
        log_warn("marketo: ignoring an unreadable sync checkpoint");
    free(v);
    return HAIL_OK;
}

static void plan(mkto_run *r, int64_t last_success)
{
    const marketo_config *c = r->cfg;
    mkto_checkpoint *ck = &r->ck;
    int64_t now = time_now_us();
    if (ck->mode == MKTO_MODE_FULL &&
        (ck->smart_list_id != c->smart_list_id || ck->since_us != c->since_us)) {
        log_warn("marketo: the export settings changed since the interrupted full sync; "
                 "starting it over");
        mkto_full_cancel_jobs(r, ck);
        memset(ck, 0, sizeof *ck);
    }
    if (ck->mode == MKTO_MODE_INCR && r->opt->full)
        memset(ck, 0, sizeof *ck);
    if (ck->mode != MKTO_MODE_NONE) {
        log_info("marketo: resuming the interrupted %s sync",
                 ck->mode == MKTO_MODE_FULL ? "full" : "incremental");
        return;
    }
    ck->started_us = now;
    if (r->opt->full || last_success <= 0) {
        ck->mode = MKTO_MODE_FULL;
        ck->since_us = c->since_us;
        ck->until_us = now;
        ck->smart_list_id = c->smart_list_id;
        ck->next_us = c->since_us;
        ck->prev_success_us = last_success > 0 ? last_success - SINCE_MARGIN_US : 0;
    } else {
        ck->mode = MKTO_MODE_INCR;
        ck->phase = MKTO_PHASE_CHANGES;
        ck->since_inc_us = last_success - SINCE_MARGIN_US;
    }
}

static hail_err finish_ok(run_ext *x)
{
    mkto_run *r = &x->r;
    hail_err e = db_begin(r->d);
    if (e)
        return e;
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)r->ck.started_us);
    if (!(e = db_kv_set(r->d, KV_LAST_SUCCESS, v)) && !(e = db_kv_del(r->d, KV_CHECKPOINT)) &&
        !(e = run_end(x, "ok", NULL)))
        e = db_commit(r->d);
    if (e)
        db_rollback(r->d);
    return e;
}

static const char *friendly_error(hail_err e, char *out, size_t size)
{
    if (e == HAIL_ECANCELLED)
        snprintf(out, size, "stopped before it finished; the next sync resumes where it stopped");
    else
        snprintf(out, size, "%s", *hail_errmsg() ? hail_errmsg() : hail_strerror(e));
    return out;
}

hail_err marketo_sync_run(const char *db_path, const marketo_config *c, const sync_options *o,
                          sync_summary *out)
{
    static const sync_options defaults = {.origin = "cli"};
    if (!o)
        o = &defaults;
    if (out)
        memset(out, 0, sizeof *out);
    run_ext *x = calloc(1, sizeof *x);
    if (!x)
        return HAIL_ENOMEM;
    mkto_run *r = &x->r;
    r->cfg = c;
    r->opt = o;
    r->t0_mono = time_mono_us();
    r->phase = "connecting";
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(x->owner, sizeof x->owner, rnd, sizeof rnd);
    keeper k = {.x = x, .db_path = db_path, .stop = o->stop};
    pthread_t keeper_thread;
    int keeper_started = 0, leased = 0;
    hail_err e;
    char msg[600];

    hail_errclear();
    if ((e = db_open(db_path, 0, &r->d)))
        goto out;
    if ((e = lease_acquire(r->d, x->owner)))
        goto out;
    leased = 1;
    if (pthread_create(&keeper_thread, NULL, keeper_main, &k) != 0) {
        e = hail_errf(HAIL_ENOMEM, "cannot start the lease thread");
        goto out;
    }
    keeper_started = 1;
    if ((e = mkto_client_new(c, &x->halt, &r->m)))
        goto out;
    int64_t last_success;
    if ((e = load_state(r->d, &r->ck, &last_success)))
        goto out;
    plan(r, last_success);
    int is_full = r->ck.mode == MKTO_MODE_FULL;
    if ((e = sync_runs_begin(r->d, "marketo", is_full ? "full" : "incremental",
                             o->origin ? o->origin : "cli", time_now_us(), &x->run_id)) ||
        (e = mkto_save_checkpoint(r)))
        goto out;
    mkto_progress(r, "connecting", 1);
    e = is_full ? mkto_full_sync(r) : mkto_incr_sync(r);
    if (e == HAIL_ECANCELLED && atomic_load(&x->lease_lost))
        e = hail_errf(HAIL_EBUSY, "another process took over the Marketo sync lease");
    if (!e)
        e = finish_ok(x);
    if (!e) {
        mkto_progress(r, "done", 1);
    } else {
        friendly_error(e, msg, sizeof msg);
        hail_err saved = e;
        if (x->run_id) {
            if (db_in_tx(r->d))
                db_rollback(r->d);
            run_end(x, "failed", msg);
        }
        e = hail_errf(saved, "%s", msg);
    }
    if (out) {
        mkto_stats(r, &out->people);
        out->kind_full = is_full;
    }
out:
    if (out) {
        out->api_calls = r->m ? mkto_client_calls(r->m) : 0;
        out->seconds = (double)(time_mono_us() - r->t0_mono) / US_PER_SEC;
    }
    /* Keep the message: cleanup below must not replace it. */
    snprintf(msg, sizeof msg, "%s", hail_errmsg());
    if (keeper_started) {
        atomic_store(&k.done, 1);
        pthread_join(keeper_thread, NULL);
    }
    if (leased && lease_release(r->d, LEASE_NAME, x->owner))
        log_warn("marketo: cannot release the sync lease (it expires by itself): %s",
                 hail_errmsg());
    mkto_client_free(r->m);
    db_close(r->d);
    free(x);
    if (e)
        hail_errf(e, "%s", msg);
    return e;
}
