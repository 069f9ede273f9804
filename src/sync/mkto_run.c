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
#include "sync/marketo.h"

#define KV_CHECKPOINT   "marketo.sync.checkpoint"
#define KV_LAST_SUCCESS "marketo.sync.last_success"
#define KV_LEASE        "marketo.sync.lease"
#define LEASE_TTL_US    (INT64_C(60) * 1000000)
#define LEASE_RENEW_US  (INT64_C(10) * 1000000)
/* The activity feeds are read from a little before the last sync began, for
 * clock skew and activities that show up late. Re-reading costs a few calls. */
#define SINCE_MARGIN_US (INT64_C(300) * 1000000)
#define PROGRESS_US     (INT64_C(250) * 1000)

/* ---- configuration ---- */

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int marketo_configured(void)
{
    return env_nonempty("HAIL_MARKETO_URL") && env_nonempty("HAIL_MARKETO_CLIENT_ID") &&
           env_nonempty("HAIL_MARKETO_CLIENT_SECRET");
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
    memset(c, 0, sizeof *c);
}

hail_err marketo_config_from_env(marketo_config *c)
{
    memset(c, 0, sizeof *c);
    if (!marketo_configured())
        return hail_errf(HAIL_EINVAL, "Marketo is not configured: set HAIL_MARKETO_URL, "
                                      "HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET");
    const char *url = getenv("HAIL_MARKETO_URL");
    hail_err e;
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
        e = hail_errf(HAIL_EINVAL,
                      "HAIL_MARKETO_URL must be an http(s) URL such as "
                      "https://123-ABC-456.mktorest.com, not '%.100s'",
                      url);
        goto fail;
    }
    c->url = strdup(url);
    c->client_id = strdup(getenv("HAIL_MARKETO_CLIENT_ID"));
    c->client_secret = strdup(getenv("HAIL_MARKETO_CLIENT_SECRET"));
    if (!c->url || !c->client_id || !c->client_secret) {
        e = HAIL_ENOMEM;
        goto fail;
    }
    size_t n = strlen(c->url);
    while (n > 0 && c->url[n - 1] == '/')
        c->url[--n] = '\0';
    const char *v;
    if ((v = env_nonempty("HAIL_MARKETO_SMART_LIST_ID"))) {
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
    v = env_nonempty("HAIL_MARKETO_SINCE");
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
    if ((v = env_nonempty("HAIL_MARKETO_POLL_SECONDS")) &&
        (e = parse_seconds("HAIL_MARKETO_POLL_SECONDS", v, 0.001, 3600, &c->poll_us)))
        goto fail;
    c->interval_us = 300 * US_PER_SEC;
    if ((v = env_nonempty("HAIL_MARKETO_SYNC_INTERVAL")) &&
        (e = parse_seconds("HAIL_MARKETO_SYNC_INTERVAL", v, 0.1, 7 * 86400, &c->interval_us)))
        goto fail;
    return HAIL_OK;
fail:
    marketo_config_release(c);
    return e;
}

/* ---- run helpers shared by the sync kinds ---- */

static const char sql_run_progress[] =
    "UPDATE sync_runs SET people_seen = $1, people_written = $2, people_deactivated = $3,"
    " api_calls = $4 WHERE id = $5";

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
    db_st *st = db_stmt(r->d, sql_run_progress);
    if (!st)
        return HAIL_EDB;
    people_stats s;
    mkto_stats(r, &s);
    db_bind_i64(st, 1, (int64_t)s.seen);
    db_bind_i64(st, 2, (int64_t)(s.inserted + s.updated));
    db_bind_i64(st, 3, (int64_t)s.deactivated);
    db_bind_i64(st, 4, (int64_t)mkto_client_calls(r->m));
    db_bind_i64(st, 5, x->run_id);
    return db_step_done(r->d, st, "sync_runs: progress");
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

/* ---- the lease: one sync at a time across processes ---- */

typedef struct lease {
    char owner[40];
    long long pid;
    char host[128];
    long long start; /* the owner's process start time (/proc), to survive pid reuse */
    int64_t expires;
} lease;

static long long proc_start_time(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    /* Field 22, counted after the command name, which may hold spaces. */
    char *p = strrchr(line, ')');
    if (!p)
        return -1;
    int field = 2;
    long long v = -1;
    for (char *s = p + 1; *s; s++) {
        if (*s == ' ') {
            field++;
            if (field == 22) {
                v = strtoll(s + 1, NULL, 10);
                break;
            }
        }
    }
    return v;
}

static void hostname_of(char *out, size_t size)
{
    if (gethostname(out, size) != 0)
        snprintf(out, size, "?");
    out[size - 1] = '\0';
}

static int lease_decode(const char *text, lease *l)
{
    memset(l, 0, sizeof *l);
    json_t *o = json_loads(text, 0, NULL);
    json_t *ow = json_object_get(o, "owner"), *pid = json_object_get(o, "pid");
    json_t *host = json_object_get(o, "host"), *st = json_object_get(o, "start");
    json_t *ex = json_object_get(o, "expires");
    int ok = json_is_string(ow) && json_is_integer(pid) && json_is_string(host) &&
             json_is_integer(st) && json_is_integer(ex);
    if (ok) {
        snprintf(l->owner, sizeof l->owner, "%s", json_string_value(ow));
        l->pid = json_integer_value(pid);
        snprintf(l->host, sizeof l->host, "%s", json_string_value(host));
        l->start = json_integer_value(st);
        l->expires = json_integer_value(ex);
    }
    json_decref(o);
    return ok;
}

static hail_err lease_write(db *d, const char *owner)
{
    char host[128];
    hostname_of(host, sizeof host);
    json_t *o = json_pack("{s:s,s:I,s:s,s:I,s:I}", "owner", owner, "pid", (json_int_t)getpid(),
                          "host", host, "start", (json_int_t)proc_start_time(getpid()), "expires",
                          (json_int_t)(time_now_us() + LEASE_TTL_US));
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return HAIL_ENOMEM;
    hail_err e = db_kv_set(d, KV_LEASE, text);
    free(text);
    return e;
}

/* The holder of l is certainly gone: same machine, and its pid is not alive
 * (or is another process now). */
static int lease_holder_dead(const lease *l)
{
    char host[128];
    hostname_of(host, sizeof host);
    if (strcmp(host, l->host) != 0 || l->pid <= 0)
        return 0;
    if (kill((pid_t)l->pid, 0) != 0 && errno == ESRCH)
        return 1;
    long long st = proc_start_time((long)l->pid);
    return st >= 0 && l->start >= 0 && st != l->start;
}

static hail_err lease_acquire(db *d, const char *owner)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    char *cur = NULL;
    if ((e = db_kv_get(d, KV_LEASE, &cur)))
        goto out;
    lease l;
    if (cur && lease_decode(cur, &l) && strcmp(l.owner, owner) != 0) {
        char host[128];
        hostname_of(host, sizeof host);
        int same_host = strcmp(host, l.host) == 0;
        int expired = l.expires <= time_now_us();
        /* On this machine a dead holder is certain; elsewhere only expiry tells. */
        int dead = lease_holder_dead(&l);
        if (!dead && !(expired && !same_host)) {
            if (same_host)
                e = hail_errf(HAIL_EBUSY, "a Marketo sync is already running (pid %lld)", l.pid);
            else
                e = hail_errf(HAIL_EBUSY, "a Marketo sync is already running (pid %lld on %s)",
                              l.pid, l.host);
            goto out;
        }
        log_warn("marketo: taking over the sync lease of pid %lld on %s (%s)", l.pid, l.host,
                 dead ? "process gone" : "expired");
    }
    e = lease_write(d, owner);
out:
    free(cur);
    if (!e)
        e = db_commit(d);
    if (e)
        db_rollback(d);
    return e;
}

/* Renews the lease if we still hold it; 1 = held, 0 = lost, -1 = could not tell. */
static int lease_renew(db *d, const char *owner)
{
    if (db_begin(d))
        return -1;
    char *cur = NULL;
    lease l;
    int held = -1;
    if (db_kv_get(d, KV_LEASE, &cur) == HAIL_OK) {
        held = cur && lease_decode(cur, &l) && strcmp(l.owner, owner) == 0;
        if (held && lease_write(d, owner))
            held = -1;
    }
    free(cur);
    if (held >= 0 && db_commit(d))
        held = -1;
    if (held < 0 || db_in_tx(d))
        db_rollback(d);
    return held;
}

static void lease_release(db *d, const char *owner)
{
    if (db_begin(d))
        return;
    char *cur = NULL;
    lease l;
    if (db_kv_get(d, KV_LEASE, &cur) == HAIL_OK && cur && lease_decode(cur, &l) &&
        strcmp(l.owner, owner) == 0)
        db_kv_del(d, KV_LEASE);
    free(cur);
    if (db_commit(d))
        db_rollback(d);
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
            int held = lease_renew(d, k->x->owner);
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
    char *cur = NULL;
    lease l;
    int held = 0;
    if (db_kv_get(d, KV_LEASE, &cur) == HAIL_OK && cur && lease_decode(cur, &l) &&
        l.expires > time_now_us() && !lease_holder_dead(&l)) {
        held = 1;
        *pid = l.pid;
    }
    free(cur);
    return held;
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

static hail_err run_begin(db *d, const char *kind, const char *origin, int64_t *id)
{
    hail_err e = db_begin(d);
    if (e)
        return e;
    int64_t now = time_now_us();
    db_st *st = db_stmt(d, "UPDATE sync_runs SET status = 'failed', finished_at = $1,"
                           " error = 'interrupted: the process ended before the sync"
                           " finished' WHERE source = 'marketo' AND status = 'running'");
    if (!st) {
        e = HAIL_EDB;
        goto out;
    }
    db_bind_i64(st, 1, now);
    if ((e = db_step_done(d, st, "sync_runs: close stale")))
        goto out;
    st = db_stmt(d, "INSERT INTO sync_runs (source, kind, origin, status, started_at)"
                    " VALUES ('marketo', $1, $2, 'running', $3) RETURNING id");
    if (!st) {
        e = HAIL_EDB;
        goto out;
    }
    db_bind_text_ref(st, 1, kind, -1);
    db_bind_text_ref(st, 2, origin, -1);
    db_bind_i64(st, 3, now);
    if (db_step(st) == DB_ROW)
        *id = db_col_i64(st, 0);
    else
        e = db_fail(d, "sync_runs: insert");
    db_reset(st);
out:
    if (!e)
        e = db_commit(d);
    if (e)
        db_rollback(d);
    return e;
}

static hail_err run_end(run_ext *x, const char *status, const char *error)
{
    mkto_run *r = &x->r;
    db_st *st = db_stmt(r->d, "UPDATE sync_runs SET status = $1, finished_at = $2,"
                              " people_seen = $3, people_written = $4,"
                              " people_deactivated = $5, api_calls = $6, error = $7"
                              " WHERE id = $8");
    if (!st)
        return HAIL_EDB;
    people_stats s;
    mkto_stats(r, &s);
    db_bind_text_ref(st, 1, status, -1);
    db_bind_i64(st, 2, time_now_us());
    db_bind_i64(st, 3, (int64_t)s.seen);
    db_bind_i64(st, 4, (int64_t)(s.inserted + s.updated));
    db_bind_i64(st, 5, (int64_t)s.deactivated);
    db_bind_i64(st, 6, r->m ? (int64_t)mkto_client_calls(r->m) : 0);
    db_bind_text(st, 7, error, -1);
    db_bind_i64(st, 8, x->run_id);
    return db_step_done(r->d, st, "sync_runs: finish");
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
    if ((e = run_begin(r->d, is_full ? "full" : "incremental", o->origin ? o->origin : "cli",
                       &x->run_id)) ||
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
    if (leased)
        lease_release(r->d, x->owner);
    mkto_client_free(r->m);
    db_close(r->d);
    free(x);
    if (e)
        hail_errf(e, "%s", msg);
    return e;
}
