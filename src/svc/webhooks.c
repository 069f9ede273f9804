#include "core/common.h"

/* The webhook delivery worker (svc/triggers.h "Webhooks"): claims due
 * webhook_deliveries by row lease (any node may deliver), POSTs each body
 * signed with its trigger's secret, and records the attempt. */
#include <pthread.h>
#include <sodium.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "mail/seal.h"
#include "net/outbound.h"
#include "store/lease.h"
#include "store/triggers.h"
#include "svc/settings.h"
#include "svc/triggers.h"

#define POLL_US     (INT64_C(500) * 1000)
#define ERROR_MAX   500
#define RETRY_DB_US (INT64_C(5) * 1000000)

static struct {
    pthread_t thread;
    int running;
    atomic_int stop;
    char *target;
} wk;

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/* POSTs body to url: *status the HTTP status (0: no answer), err the reason
 * when not a 2xx. */
static void post(ob_client *c, const char *url, const char *body, const char *signature,
                 int64_t delivery_id, int64_t trigger_id, long *status, char *err, size_t err_n)
{
    CURL *h = ob_easy(c);
    char hd[64], ht[64], hs[TRIG_SIGNATURE_SIZE + 32];
    snprintf(hd, sizeof hd, "X-Hail-Delivery: %lld", (long long)delivery_id);
    snprintf(ht, sizeof ht, "X-Hail-Trigger: %lld", (long long)trigger_id);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    hdrs = curl_slist_append(hdrs, hd);
    hdrs = curl_slist_append(hdrs, ht);
    if (signature) {
        snprintf(hs, sizeof hs, "X-Hail-Signature: %s", signature);
        hdrs = curl_slist_append(hdrs, hs);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    hail_err e = hdrs ? ob_perform(c) : hail_errf(HAIL_ENOMEM, "out of memory");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    *status = 0;
    *err = 0;
    if (e) {
        snprintf(err, err_n, "%s", hail_errmsg());
        return;
    }
    *status = ob_status(c);
    if (*status < 200 || *status > 299)
        snprintf(err, err_n, "the receiver answered HTTP %ld", *status);
}

/* One delivery: attempt, record. */
static hail_err deliver(db *d, ob_client *c, const char *owner, int64_t id)
{
    wh_row w;
    hail_err e = wh_db_get(d, id, &w);
    if (e == HAIL_ENOTFOUND)
        return HAIL_OK; /* its trigger was deleted meanwhile */
    if (e)
        return e;
    trig_row t = {0};
    char err[ERROR_MAX + 1] = "";
    char *secret = NULL;
    long status = 0;
    int permanent = 0;
    e = trig_db_row(d, w.trigger_id, &t);
    const char *url = e ? NULL : json_string_value(json_object_get(t.config, "url"));
    if (e == HAIL_ENOTFOUND) {
        e = HAIL_OK;
        snprintf(err, sizeof err, "trigger %lld was deleted", (long long)w.trigger_id);
        permanent = 1;
    } else if (!e && (strcmp(t.action, "webhook") || !url)) {
        snprintf(err, sizeof err, "trigger %lld no longer calls a webhook",
                 (long long)w.trigger_id);
        permanent = 1;
    }
    if (!e && !permanent) {
        unsigned char *sealed = NULL;
        size_t sealed_n = 0;
        e = trig_db_secret(d, w.trigger_id, &sealed, &sealed_n);
        if (!e && sealed && seal_open(d, sealed, sealed_n, &secret)) {
            /* a key problem: the message says which (no secret in it) */
            snprintf(err, sizeof err, "the webhook secret cannot be opened: %s", hail_errmsg());
            secret = NULL;
        }
        free(sealed);
        if (!e && !*err) {
            char sig[TRIG_SIGNATURE_SIZE];
            if (secret)
                trig_sign(secret, strlen(secret), w.body, strlen(w.body), sig);
            post(c, url, w.body, secret ? sig : NULL, w.id, w.trigger_id, &status, err, sizeof err);
        }
    }
    seal_free(secret);
    if (!e) {
        int attempts = w.attempts + 1;
        int64_t now = time_now_us();
        int ok = !*err, give_up = !ok && (permanent || attempts >= TRIG_WH_ATTEMPTS);
        const char *st = ok ? "delivered" : give_up ? "failed" : "pending";
        int64_t next =
            !ok && !give_up
                ? now + settings_retry_wait_us(trig_wh_backoff_us(attempts, randombytes_random()))
                : now;
        int done;
        e = wh_db_attempt(d, w.id, owner, st, attempts, status, ok ? NULL : err, next, now, &done);
        if (!e && !ok)
            log_warn("webhook delivery %lld (trigger %lld), attempt %d: %s%s", (long long)w.id,
                     (long long)w.trigger_id, attempts, err,
                     give_up ? ": given up" : ": retrying later");
    }
    free(t.name);
    free(t.action);
    json_decref(t.config);
    wh_row_free(&w);
    return e;
}

static hail_err step(db *d, ob_client *c, const char *owner, int64_t now, int limit, size_t *n)
{
    *n = 0;
    int64_t ids[TRIG_WH_BATCH];
    if (limit > TRIG_WH_BATCH)
        limit = TRIG_WH_BATCH;
    int got = 0;
    hail_err e = lease_claim(d, &wh_due_rows, owner, now, TRIG_WH_CLAIM_US, limit, ids, &got);
    for (int i = 0; !e && i < got; i++) {
        e = deliver(d, c, owner, ids[i]);
        if (!e)
            (*n)++;
    }
    for (int i = (int)*n; e && i < got; i++)
        lease_row_free(d, &wh_due_rows, owner, ids[i]);
    return e;
}

static hail_err new_client(const atomic_int *stop, ob_client **c)
{
    ob_opts o = {
        .service = "webhook",
        .connect_timeout_ms = 5000,
        .timeout_ms = TRIG_WH_TIMEOUT_MS,
        .stop = stop,
    };
    return ob_client_new(&o, c);
}

hail_err wh_deliver_step(db *d, const char *owner, int64_t now, int limit, size_t *n)
{
    ob_client *c;
    hail_err e = new_client(NULL, &c);
    if (e)
        return e;
    e = step(d, c, owner, now, limit, n);
    ob_client_free(c);
    return e;
}

static void *worker_main(void *arg)
{
    (void)arg;
    char owner[LEASE_OWNER_MAX + 1];
    snprintf(owner, sizeof owner, "wh.%ld.%08x", (long)getpid(), randombytes_random());
    db *d = NULL;
    ob_client *c = NULL;
    if (new_client(&wk.stop, &c)) {
        log_error("webhooks: cannot start the delivery worker: %s", hail_errmsg());
        return NULL;
    }
    while (!atomic_load(&wk.stop)) {
        hail_err e = d ? HAIL_OK : db_open(wk.target, 0, &d);
        size_t n = 0;
        if (!e)
            e = step(d, c, owner, time_now_us(), TRIG_WH_BATCH, &n);
        if (e && e != HAIL_ECANCELLED) {
            log_warn("webhooks: %s (retrying in 5 s)", hail_errmsg());
            if (d) {
                db_close(d);
                d = NULL;
            }
            time_sleep_us(RETRY_DB_US, &wk.stop);
        } else if (!n)
            time_sleep_us(POLL_US, &wk.stop);
    }
    ob_client_free(c);
    if (d)
        db_close(d);
    return NULL;
}

hail_err wh_worker_start(const char *target)
{
    if (wk.running)
        return HAIL_OK;
    atomic_store(&wk.stop, 0);
    free(wk.target);
    if (!(wk.target = strdup(target)))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    if (pthread_create(&wk.thread, NULL, worker_main, NULL)) {
        free(wk.target);
        wk.target = NULL;
        return hail_errf(HAIL_EIO, "cannot start the webhook delivery thread");
    }
    wk.running = 1;
    return HAIL_OK;
}

void wh_worker_stop(void)
{
    if (!wk.running)
        return;
    atomic_store(&wk.stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    pthread_join(wk.thread, NULL);
    wk.running = 0;
    free(wk.target);
    wk.target = NULL;
}
