#include "core/common.h"

/* The Marketo outbox: sync/mkto_outbox.h, docs/outbox.md "To Marketo". */
#include "sync/mkto_outbox.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/lease.h"
#include "svc/activity.h"
#include "svc/settings.h"
#include "sync/marketo.h"
#include "sync/mkto_types.h"

#define PATH_EXTERNAL   "/rest/v1/activities/external.json"
#define LEASE_NAME      "outbox.marketo"
#define LEASE_TTL_US    (INT64_C(60) * US_PER_SEC)
#define LEASE_RENEW_US  (INT64_C(15) * US_PER_SEC)
#define IDLE_US         (INT64_C(200) * 1000)     /* between reads of an empty log */
#define BUSY_US         (INT64_C(5) * US_PER_SEC) /* before asking for a held lease again */
#define BACKOFF_BASE_US (INT64_C(2) * US_PER_SEC)
#define BACKOFF_CAP_US  (INT64_C(300) * US_PER_SEC)
#define RECON_LEADS     30                          /* leadIds per activities.json call */
#define RECON_SLACK_US  (INT64_C(300) * US_PER_SEC) /* clocks differ: read from before */
#define DRAIN_WAIT_US   (INT64_C(300) * US_PER_SEC) /* a drain waits for older rows this long */
#define PUMP_BATCHES    50 /* batches per step, between checks of the lease and the wait */

/* ---- the sender ---- */

/* One batch: what to send of some rows and, after the call, what came of
 * it. res has one result per row; map[i] is the result of record i. */
typedef struct plan {
    buf body; /* {"input":[records]} */
    outbox_result *res;
    size_t *map;
    int64_t *ids; /* the activity ids of the records */
    size_t nres, nrec;
    char (*why)[256];     /* per result: a skip's reason */
    unsigned char *found; /* per result: in Marketo already (a reconcile) */
    feed_pos end;         /* the cursor after this batch */
    int64_t batch_id;     /* its in-flight row (0: none yet) */
    /* the call's outcome (plan_call; read after it) */
    hail_err err;
    char errmsg[600];
    uint64_t calls;
    int types_stale; /* Marketo did not know a type (1013) */
} plan;

static void plan_free(plan *p)
{
    buf_release(&p->body);
    free(p->res);
    free(p->map);
    free(p->ids);
    free(p->why);
    free(p->found);
    memset(p, 0, sizeof *p);
}

/* Calls external.json with p's records and fills in their results. Uses m
 * and p only: runs on the caller thread while the sender prepares the next
 * batch. */
static void plan_call(mkto_client *m, plan *p)
{
    uint64_t calls0 = mkto_client_calls(m);
    json_t *root = NULL;
    mkto_envelope env;
    p->err = mkto_call(m, "POST", PATH_EXTERNAL, NULL, buf_cstr(&p->body), &root, &env);
    p->calls = mkto_client_calls(m) - calls0;
    if (p->err) {
        snprintf(p->errmsg, sizeof p->errmsg, "%s",
                 *hail_errmsg() ? hail_errmsg() : hail_strerror(p->err));
        return;
    }
    size_t got = json_array_size(env.result);
    for (size_t i = 0; i < p->nrec; i++) {
        size_t ri = p->map[i];
        json_t *r = i < got ? json_array_get(env.result, i) : NULL;
        const char *status = json_string_value(json_object_get(r, "status"));
        if (status && (!strcmp(status, "added") || !strcmp(status, "updated")))
            continue;
        char msg[200] = "";
        if (r && mkto_record_skipped(r, msg, sizeof msg))
            snprintf(p->why[ri], sizeof p->why[0], "Marketo skipped it: %s", msg);
        else
            snprintf(p->why[ri], sizeof p->why[0], "Marketo answered %s for it",
                     r ? "an unknown status" : "no result");
        p->res[ri].reason = p->why[ri];
        if (!strncmp(msg, "1013", 4))
            p->types_stale = 1;
    }
    json_decref(root);
}

/* ---- the caller thread: one call in flight while the next batch is made ---- */

typedef struct caller {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mkto_client *m;
    plan *job; /* being called; NULL: idle */
    int done, quit;
} caller;

static void *caller_main(void *arg)
{
    caller *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->quit && (!c->job || c->done))
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->quit)
            break;
        plan *p = c->job;
        pthread_mutex_unlock(&c->mu);
        plan_call(c->m, p);
        pthread_mutex_lock(&c->mu);
        c->done = 1;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static hail_err caller_start(caller *c, mkto_client *m)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, caller_main, c) != 0) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        return hail_errf(HAIL_ENOMEM, "cannot start the Marketo outbox's caller thread");
    }
    return HAIL_OK;
}

static void caller_stop(caller *c)
{
    pthread_mutex_lock(&c->mu);
    c->quit = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
}

static void caller_send(caller *c, plan *p)
{
    pthread_mutex_lock(&c->mu);
    c->job = p;
    c->done = 0;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits for the call in flight (if any) to end; returns its plan. */
static plan *caller_wait(caller *c)
{
    pthread_mutex_lock(&c->mu);
    while (c->job && !c->done)
        pthread_cond_wait(&c->cv, &c->mu);
    plan *p = c->job;
    c->job = NULL;
    pthread_mutex_unlock(&c->mu);
    return p;
}

typedef struct obx {
    db *d;
    mkto_client *m;
    const atomic_int *stop;
    mkto_type_ids types;
    int types_ready;
    char owner[48];
    int leased;
    int64_t renewed_at; /* monotonic */
    int64_t recon_delay_us;
    int failures;    /* in a row, for the backoff */
    int ignore_wait; /* a drain asked for now: waiting_until (the worker's pause) ignored */
    mkto_outbox_stats st;
    char error[600]; /* the last failure, as recorded */
    caller caller;   /* the call in flight */
} obx;

static int stopped(const obx *x)
{
    return x->stop && atomic_load(x->stop);
}

static int send_machine(obx *x)
{
    char *v = NULL;
    if (db_kv_get(x->d, MKTO_OUTBOX_MACHINE_KEY, &v))
        return 1;
    int send = !v || strcmp(v, "skip") != 0;
    free(v);
    return send;
}

static hail_err types_load(obx *x)
{
    mkto_type_state *st = NULL;
    hail_err e = mkto_types_ensure(x->m, &st);
    if (e)
        return e;
    size_t n = mkto_ctype_count();
    int64_t *ids = calloc(n, sizeof *ids);
    if (!ids) {
        free(st);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = st[i].id;
        if (*st[i].warning)
            log_warn("marketo outbox: %s: %s", st[i].t->api_name, st[i].warning);
    }
    free(st);
    free(x->types.ids);
    x->types.ids = ids;
    x->types.n = n;
    x->types_ready = 1;
    return HAIL_OK;
}

/* found: ids already in Marketo (a reconcile), marked delivered. */
static hail_err plan_make(obx *x, const outbox_row *rows, size_t n, feed_pos end,
                          const int64_t *found, size_t nfound, plan *p)
{
    memset(p, 0, sizeof *p);
    buf_init(&p->body, (size_t)64 << 20);
    p->end = end;
    size_t cap = n ? n : 1;
    p->res = calloc(cap, sizeof *p->res);
    p->map = calloc(cap, sizeof *p->map);
    p->ids = calloc(cap, sizeof *p->ids);
    p->why = calloc(cap, sizeof *p->why);
    p->found = calloc(cap, 1);
    if (!p->res || !p->map || !p->ids || !p->why || !p->found ||
        buf_puts(&p->body, "{\"input\":[")) {
        plan_free(p);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    int machine = send_machine(x);
    for (size_t i = 0; i < n; i++) {
        size_t ri = p->nres++;
        outbox_result *res = &p->res[ri];
        res->activity_id = rows[i].pos.id;
        res->retry = rows[i].retry || found; /* a reconcile: clear what may be there */
        int done = 0;
        for (size_t k = 0; k < nfound && !done; k++)
            done = found[k] == rows[i].pos.id;
        if (done) {
            p->found[ri] = 1;
            x->st.reconciled++;
            continue; /* delivered before the crash */
        }
        size_t mark = p->body.len;
        if (p->nrec && buf_putc(&p->body, ',')) {
            plan_free(p);
            return hail_errf(HAIL_ENOMEM, "out of memory");
        }
        const char *why;
        mkto_out_kind k = mkto_outbox_record(&rows[i], &x->types, machine, &p->body, &why);
        if (k != MKTO_OUT_SEND) {
            p->body.len = mark; /* the comma goes too */
            p->body.data[mark] = '\0';
        }
        switch (k) {
        case MKTO_OUT_PASS:
            res->pass = 1;
            x->st.passed++;
            break;
        case MKTO_OUT_SKIP:
            snprintf(p->why[ri], sizeof p->why[0], "%s", why);
            res->reason = p->why[ri];
            break;
        case MKTO_OUT_SEND:
            p->map[p->nrec] = ri;
            p->ids[p->nrec++] = rows[i].pos.id;
            break;
        }
    }
    if (buf_puts(&p->body, "]}")) {
        plan_free(p);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    return HAIL_OK;
}

/* After the call: records the results and moves the cursor, or says why
 * not. A call Marketo refused as a whole added nothing: its in-flight row
 * goes (the rows are read again). A transport failure or a stop leaves it,
 * to be reconciled. */
static hail_err plan_end(obx *x, plan *p)
{
    x->st.calls += p->calls;
    if (p->types_stale)
        x->types_ready = 0;
    if (p->err) {
        if (p->batch_id &&
            (p->err == HAIL_EREMOTE || p->err == HAIL_EQUOTA || p->err == HAIL_EAUTH) &&
            outbox_batch_abandon(x->d, p->batch_id))
            log_warn("marketo outbox: %s", hail_errmsg());
        return hail_errf(p->err, "%s", p->errmsg);
    }
    hail_err e = outbox_batch_finish(x->d, MKTO_OUTBOX_CONSUMER, p->batch_id, p->end, p->res,
                                     p->nres, (int64_t)p->calls);
    if (e)
        return e;
    for (size_t i = 0; i < p->nres; i++) {
        if (p->res[i].pass || p->found[i])
            continue;
        if (p->res[i].reason)
            x->st.skipped++;
        else
            x->st.sent++;
    }
    return HAIL_OK;
}

/* Sends rows now, on this thread (read up to end; batch_id 0: a new batch). */
static hail_err send_rows(obx *x, const outbox_row *rows, size_t n, feed_pos end, int64_t batch_id,
                          const int64_t *found, size_t nfound)
{
    plan p;
    hail_err e = plan_make(x, rows, n, end, found, nfound, &p);
    if (e)
        return e;
    p.batch_id = batch_id;
    if (p.nrec) {
        if (!p.batch_id &&
            (e = outbox_batch_begin(x->d, MKTO_OUTBOX_CONSUMER, p.ids, p.nrec, end, &p.batch_id))) {
            plan_free(&p);
            return e;
        }
        plan_call(x->m, &p);
    }
    e = plan_end(x, &p);
    plan_free(&p);
    return e;
}

/* ---- reconcile ---- */

static hail_err id_list_add(int64_t **list, size_t *n, size_t *cap, int64_t v)
{
    for (size_t i = 0; i < *n; i++)
        if ((*list)[i] == v)
            return HAIL_OK;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        int64_t *nl = realloc(*list, nc * sizeof *nl);
        if (!nl)
            return hail_errf(HAIL_ENOMEM, "out of memory");
        *list = nl;
        *cap = nc;
    }
    (*list)[(*n)++] = v;
    return HAIL_OK;
}

/* The hailActivityId of one activities.json record, or 0. */
static int64_t hail_id_of(json_t *rec)
{
    json_t *attrs = json_object_get(rec, "attributes");
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a)
    {
        const char *api = json_string_value(json_object_get(a, "apiName"));
        const char *name = json_string_value(json_object_get(a, "name"));
        if ((api && !strcmp(api, "hailActivityId")) ||
            (name && !strcmp(name, "Hail Activity Id"))) {
            json_t *v = json_object_get(a, "value");
            if (json_is_integer(v))
                return json_integer_value(v);
            if (json_is_string(v))
                return strtoll(json_string_value(v), NULL, 10);
        }
    }
    return 0;
}

/* The hail ids among the custom activities of leads since `since`. */
static hail_err read_back(obx *x, const int64_t *leads, size_t nleads, int64_t since,
                          int64_t **found, size_t *nfound)
{
    size_t cap = 0;
    char when[TIME_ISO_LEN];
    time_format_iso(since, when);
    buf q = BUF_INIT(16384), types = BUF_INIT(1024);
    hail_err e = HAIL_OK;
    for (size_t i = 0; i < x->types.n && !e; i++)
        if (x->types.ids[i] > 0)
            e = buf_printf(&types, "%s%lld", types.len ? "," : "", (long long)x->types.ids[i]);
    for (size_t from = 0; from < nleads && !e; from += RECON_LEADS) {
        json_t *root = NULL;
        mkto_envelope env;
        buf_reset(&q);
        if ((e = buf_printf(&q, "sinceDatetime=%s", when)))
            break;
        if ((e = mkto_call(x->m, "GET", "/rest/v1/activities/pagingtoken.json", buf_cstr(&q), NULL,
                           &root, &env)))
            break;
        char *token = env.next_page ? strdup(env.next_page) : NULL;
        json_decref(root);
        if (!token) {
            e = hail_errf(HAIL_EREMOTE, "Marketo sent no paging token");
            break;
        }
        for (;;) {
            buf_reset(&q);
            if ((e = buf_puts(&q, "nextPageToken=")) || (e = mkto_escape(&q, token)) ||
                (e = buf_printf(&q,
                                "&activityTypeIds=%s&batchSize=300&leadIds=", buf_cstr(&types))))
                break;
            for (size_t k = from; k < nleads && k < from + RECON_LEADS && !e; k++)
                e = buf_printf(&q, "%s%lld", k > from ? "," : "", (long long)leads[k]);
            if (e || (e = mkto_call(x->m, "GET", "/rest/v1/activities.json", buf_cstr(&q), NULL,
                                    &root, &env)))
                break;
            size_t j;
            json_t *rec;
            json_array_foreach(env.result, j, rec)
            {
                int64_t id = hail_id_of(rec);
                if (id > 0 && (e = id_list_add(found, nfound, &cap, id)))
                    break;
            }
            int more = env.more;
            free(token);
            token = env.next_page ? strdup(env.next_page) : NULL;
            json_decref(root);
            if (e || !more)
                break;
            if (!token) {
                e = hail_errf(HAIL_EREMOTE, "Marketo said there is more but sent no paging token");
                break;
            }
        }
        free(token);
    }
    buf_release(&q);
    buf_release(&types);
    return e;
}

/* Resends what of batch b Marketo does not have, and ends it. */
static hail_err reconcile(obx *x, const outbox_batch *b)
{
    int64_t ready = b->started_at + x->recon_delay_us;
    while (time_now_us() < ready && !stopped(x))
        time_sleep_us(100 * 1000, x->stop);
    if (stopped(x))
        return hail_errf(HAIL_ECANCELLED, "stopped");
    outbox_row *rows = NULL;
    size_t n = 0, nleads = 0, lcap = 0, nfound = 0;
    int64_t *leads = NULL, *found = NULL;
    hail_err e = outbox_read_ids(x->d, b->activity_ids, b->n, &rows, &n);
    /* Marketo lists activities by their activityDate (the log's occurred_at),
     * not by when it accepted them: read from the batch's earliest. */
    int64_t since = b->started_at;
    for (size_t i = 0; i < n && !e; i++)
        if (rows[i].marketo_id > 0 && mkto_ctype_for(rows[i].type)) {
            e = id_list_add(&leads, &nleads, &lcap, rows[i].marketo_id);
            if (rows[i].occurred_at < since)
                since = rows[i].occurred_at;
        }
    if (!e && nleads)
        e = read_back(x, leads, nleads, since - RECON_SLACK_US, &found, &nfound);
    if (!e) {
        log_info("marketo outbox: a batch of %zu left in flight: %zu already in Marketo, "
                 "sending the rest",
                 b->n, nfound);
        uint64_t sent0 = x->st.sent;
        e = send_rows(x, rows, n, b->end, b->id, found, nfound);
        x->st.resent += x->st.sent - sent0;
    }
    outbox_rows_free(rows, n);
    free(rows);
    free(leads);
    free(found);
    return e;
}

/* ---- the loop ---- */

static hail_err lease_hold(obx *x)
{
    int64_t now = time_mono_us();
    if (x->leased && now - x->renewed_at < LEASE_RENEW_US)
        return HAIL_OK;
    if (x->leased) {
        int held = lease_renew(x->d, LEASE_NAME, x->owner, LEASE_TTL_US);
        if (held == 1) {
            x->renewed_at = now;
            return HAIL_OK;
        }
        x->leased = 0;
        if (held == 0)
            log_warn("marketo outbox: another process took the outbox lease");
    }
    lease_info other;
    hail_err e = lease_take(x->d, LEASE_NAME, x->owner, LEASE_TTL_US, &other);
    if (e)
        return e;
    x->leased = 1;
    x->renewed_at = now;
    return HAIL_OK;
}

/* One step: the lease, the types, batches in flight, then one batch of the
 * backlog. *idle 1 when there was nothing to send. */
/* Up to PUMP_BATCHES batches of the backlog, pipelined: while batch k is
 * in flight on the caller thread, batch k+1 is read, made and committed as
 * in flight; then k's results are recorded and k+1 is sent. Calls stay one
 * at a time, in log order. *idle 1 when there was nothing to send. */
static hail_err pump(obx *x, int *idle)
{
    plan *cur = NULL; /* in flight */
    hail_err e = HAIL_OK;
    feed_pos pos = {0, 0};
    int first = 1;
    for (int k = 0; k < PUMP_BATCHES && !e && !stopped(x); k++) {
        outbox_row *rows = NULL;
        size_t n = 0;
        feed_pos end;
        /* the first read also takes re-queued records; then after what is planned */
        e = first ? outbox_read(x->d, MKTO_OUTBOX_CONSUMER, MKTO_OUTBOX_BATCH, &rows, &n, &end)
                  : outbox_read_after(x->d, pos, MKTO_OUTBOX_BATCH, &rows, &n, &end);
        if (e)
            break;
        if (first && !n)
            *idle = 1;
        first = 0;
        if (!n)
            break;
        pos = end;
        plan *next = calloc(1, sizeof *next);
        if (!next)
            e = hail_errf(HAIL_ENOMEM, "out of memory");
        else if ((e = plan_make(x, rows, n, end, NULL, 0, next))) {
            free(next);
            next = NULL;
        }
        outbox_rows_free(rows, n);
        free(rows);
        if (!e && next->nrec)
            e = outbox_batch_begin(x->d, MKTO_OUTBOX_CONSUMER, next->ids, next->nrec, next->end,
                                   &next->batch_id);
        if (!e && cur) {
            caller_wait(&x->caller);
            plan *done = cur;
            cur = NULL;
            if (!done->err && next->nrec) {
                /* the next call goes at once; done is recorded while it is on its way */
                cur = next;
                next = NULL;
                caller_send(&x->caller, cur);
            }
            e = plan_end(x, done);
            plan_free(done);
            free(done);
            if (e && next && next->batch_id) {
                /* not sent: it is read again */
                hail_err save = e;
                char msg[600];
                snprintf(msg, sizeof msg, "%s", hail_errmsg());
                if (outbox_batch_abandon(x->d, next->batch_id))
                    log_warn("marketo outbox: %s", hail_errmsg());
                e = hail_errf(save, "%s", msg);
            }
        }
        if (!e && next) {
            if (next->nrec) {
                cur = next;
                next = NULL;
                caller_send(&x->caller, cur);
            } else {
                e = plan_end(x, next); /* nothing to call: skips and passes only */
            }
        }
        if (next) {
            plan_free(next);
            free(next);
        }
    }
    if (cur) {
        caller_wait(&x->caller);
        hail_err e2 = plan_end(x, cur);
        if (!e)
            e = e2;
        plan_free(cur);
        free(cur);
    }
    return e;
}

static hail_err step(obx *x, int *idle)
{
    *idle = 0;
    hail_err e = lease_hold(x);
    if (e)
        return e;
    int64_t until;
    if ((e = outbox_waiting_until(x->d, MKTO_OUTBOX_CONSUMER, &until)))
        return e;
    if (!x->ignore_wait && until > time_now_us()) {
        *idle = 1;
        return HAIL_OK;
    }
    if (!x->types_ready && (e = types_load(x)))
        return e;
    outbox_batch *b = NULL;
    size_t nb = 0;
    if ((e = outbox_batches(x->d, MKTO_OUTBOX_CONSUMER, &b, &nb)))
        return e;
    for (size_t i = 0; i < nb && !e; i++)
        e = reconcile(x, &b[i]);
    outbox_batches_free(b, nb);
    if (e || nb)
        return e;
    return pump(x, idle);
}

/* A failed step: recorded for the Integrations page, and how long to wait. */
static int64_t failed(obx *x, hail_err e)
{
    char *msg = x->error;
    size_t size = sizeof x->error;
    snprintf(msg, size, "%s", *hail_errmsg() ? hail_errmsg() : hail_strerror(e));
    int64_t wait, until = 0;
    if (e == HAIL_EQUOTA) {
        int64_t reset = mkto_quota_reset_us(time_now_us());
        char at[TIME_ISO_LEN];
        time_format_iso(reset, at);
        until = reset + 60 * US_PER_SEC;
        wait = until - time_now_us();
        snprintf(msg, size,
                 "Marketo's daily API quota is used up (607); sending resumes after it resets "
                 "at midnight US Central (%s)",
                 at);
    } else {
        wait = mkto_backoff_us(x->failures, BACKOFF_BASE_US, BACKOFF_CAP_US, (uint32_t)rand());
        until = time_now_us() + wait;
    }
    x->failures++;
    log_error("marketo outbox: %s", msg);
    if (outbox_note_error(x->d, MKTO_OUTBOX_CONSUMER, msg, until))
        log_warn("marketo outbox: %s", hail_errmsg());
    return wait;
}

static hail_err obx_open(obx *x, const char *db_path, const marketo_config *c,
                         const atomic_int *stop)
{
    memset(x, 0, sizeof *x);
    x->stop = stop;
    snprintf(x->owner, sizeof x->owner, "outbox-%ld-%08x", (long)getpid(), (unsigned)rand());
    x->recon_delay_us = (int64_t)settings()->marketo_reconcile_seconds * US_PER_SEC;
    hail_err e = db_open(db_path, 0, &x->d);
    if (!e && (e = mkto_client_new(c, stop, &x->m))) {
        db_close(x->d);
        x->d = NULL;
    }
    if (!e && (e = caller_start(&x->caller, x->m))) {
        mkto_client_free(x->m);
        db_close(x->d);
        x->d = NULL;
    }
    return e;
}

static void obx_close(obx *x)
{
    caller_stop(&x->caller);
    if (x->leased && lease_release(x->d, LEASE_NAME, x->owner))
        log_warn("marketo outbox: %s", hail_errmsg());
    mkto_client_free(x->m);
    db_close(x->d);
    free(x->types.ids);
}

hail_err mkto_outbox_drain(const char *db_path, const marketo_config *c, const atomic_int *stop,
                           mkto_outbox_stats *out)
{
    obx x;
    hail_err e = obx_open(&x, db_path, c, stop);
    if (e)
        return e;
    x.ignore_wait = 1;
    /* The backlog is everything recorded before the drain began: on
     * PostgreSQL rows become readable only below the server's snapshot
     * horizon, so an idle read is not the end while older rows are unread. */
    int64_t upto = 0, wait_until = time_mono_us() + DRAIN_WAIT_US;
    if ((e = outbox_last_id(x.d, &upto))) {
        obx_close(&x);
        return e;
    }
    for (;;) {
        int idle;
        if (stopped(&x)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
        if ((e = step(&x, &idle))) {
            if (e == HAIL_EBUSY || e == HAIL_ECANCELLED)
                break;
            if (e == HAIL_EQUOTA || e == HAIL_EAUTH || x.failures >= 3) {
                failed(&x, e);
                e = hail_errf(e, "%s", x.error);
                break;
            }
            time_sleep_us(failed(&x, e), x.stop);
            continue;
        }
        x.failures = 0;
        if (idle) {
            int64_t unread = 0;
            if ((e = outbox_unread(x.d, MKTO_OUTBOX_CONSUMER, upto, &unread)) || !unread)
                break;
            if (time_mono_us() > wait_until) {
                e = hail_errf(HAIL_EUNAVAIL,
                              "%lld activities recorded before this run are not readable yet: "
                              "a transaction still open on the database server holds them back; "
                              "run it again later",
                              (long long)unread);
                break;
            }
            time_sleep_us(50 * 1000, x.stop);
        }
    }
    if (out)
        *out = x.st;
    obx_close(&x);
    return e;
}

/* ---- the worker of hail serve ---- */

static struct {
    pthread_t thread;
    int started;
    atomic_int stop;
    char *db_path;
    marketo_config cfg;
} W;

static void *worker_main(void *arg)
{
    obx x;
    hail_err e;
    while ((e = obx_open(&x, W.db_path, &W.cfg, &W.stop))) {
        log_error("marketo outbox: %s", hail_errmsg());
        if (time_sleep_us(BACKOFF_CAP_US / 10, &W.stop))
            return arg;
    }
    while (!atomic_load(&W.stop)) {
        int idle = 0;
        e = step(&x, &idle);
        if (e == HAIL_ECANCELLED)
            break;
        if (e == HAIL_EBUSY) {
            time_sleep_us(BUSY_US, &W.stop); /* another node sends */
            continue;
        }
        if (e) {
            /* The wait is the consumer's waiting_until, which step() reads each
             * time: "retry now" (Admin > Integrations) clears it. */
            if (failed(&x, e) > 0)
                time_sleep_us(IDLE_US, &W.stop);
            continue;
        }
        if (!idle)
            x.failures = 0;
        else
            time_sleep_us(IDLE_US, &W.stop);
    }
    obx_close(&x);
    return arg;
}

hail_err mkto_outbox_start(const char *db_path)
{
    if (W.started || !marketo_configured())
        return HAIL_OK;
    hail_err e = marketo_config_load(&W.cfg);
    if (e)
        return e;
    W.db_path = strdup(db_path);
    atomic_store(&W.stop, 0);
    if (!W.db_path || pthread_create(&W.thread, NULL, worker_main, NULL) != 0) {
        free(W.db_path);
        W.db_path = NULL;
        marketo_config_release(&W.cfg);
        return hail_errf(HAIL_ENOMEM, "cannot start the Marketo outbox thread");
    }
    W.started = 1;
    log_info("marketo outbox: started: sales activities go to Marketo as custom activities");
    return HAIL_OK;
}

void mkto_outbox_stop(void)
{
    if (!W.started)
        return;
    atomic_store(&W.stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    pthread_join(W.thread, NULL);
    W.started = 0;
    free(W.db_path);
    W.db_path = NULL;
    marketo_config_release(&W.cfg);
}
