#include "core/common.h"

#include "mail/track.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>

#include "core/log.h"
#include "core/machine.h"
#include "core/timeutil.h"
#include "mail/email_act.h"
#include "store/track.h"
#include "svc/activity.h"
#include "svc/settings.h"

/* ---- the key ---- */

/* The key of the database it came from (a process may open another: tests). */
static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key_cache[TRACK_KEY_BYTES];
static char key_db[1024];

hail_err track_key(db *d, unsigned char key[TRACK_KEY_BYTES])
{
    pthread_mutex_lock(&key_mu);
    int have = key_db[0] && !strcmp(key_db, db_path(d));
    if (have)
        memcpy(key, key_cache, TRACK_KEY_BYTES);
    pthread_mutex_unlock(&key_mu);
    if (have)
        return HAIL_OK;
    char *v = NULL, hex[65];
    hail_err e = db_kv_get(d, TRACK_KEY_KV, &v);
    if (e)
        return e;
    if (v && strlen(v) == 64) {
        memcpy(hex, v, 65);
    } else {
        unsigned char fresh[TRACK_KEY_BYTES];
        char cand[65];
        randombytes_buf(fresh, sizeof fresh);
        sodium_bin2hex(cand, sizeof cand, fresh, sizeof fresh);
        sodium_memzero(fresh, sizeof fresh);
        e = track_store_key(d, cand, hex);
        sodium_memzero(cand, sizeof cand);
    }
    free(v);
    if (e)
        return e;
    size_t n = 0;
    if (sodium_hex2bin(key, TRACK_KEY_BYTES, hex, 64, NULL, &n, NULL) != 0 || n != TRACK_KEY_BYTES)
        return hail_errf(HAIL_EIO, "the tracking key in kv '%s' is damaged", TRACK_KEY_KV);
    sodium_memzero(hex, sizeof hex);
    pthread_mutex_lock(&key_mu);
    memcpy(key_cache, key, TRACK_KEY_BYTES);
    snprintf(key_db, sizeof key_db, "%s", db_path(d));
    pthread_mutex_unlock(&key_mu);
    return HAIL_OK;
}

hail_err track_url(db *d, char kind, int64_t email_id, int link, char *out, size_t n)
{
    if (n)
        out[0] = '\0';
    if (kind != 'o' && kind != 'c' && kind != 'u')
        return hail_errf(HAIL_EINVAL, "no tracking link of kind '%c'", kind);
    unsigned char key[TRACK_KEY_BYTES];
    hail_err e = track_key(d, key);
    if (e)
        return e;
    char tok[TRACK_TOKEN_LEN + 1];
    int bad = track_token_make(key, kind, email_id, kind == 'c' ? link : 0, tok);
    sodium_memzero(key, sizeof key);
    if (bad)
        return hail_errf(HAIL_EINVAL, "no tracking link for email %lld, link %d",
                         (long long)email_id, link);
    int w = snprintf(out, n, "%s/%s/%s", settings()->public_url,
                     kind == 'u'   ? "u"
                     : kind == 'o' ? "t/o"
                                   : "t/c",
                     tok);
    if (w < 0 || (size_t)w >= n)
        return hail_errf(HAIL_ETOOBIG, "HAIL_PUBLIC_URL is too long for a tracking link");
    return HAIL_OK;
}

/* ---- recording a hit ---- */

/* Whether url may go in a Location header: no control characters (a header
 * cannot carry them), and no scheme that runs or embeds content. */
static int followable(const char *url)
{
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return *url && strncasecmp(url, "javascript:", 11) != 0 && strncasecmp(url, "data:", 5) != 0 &&
           strncasecmp(url, "vbscript:", 9) != 0;
}

/* How many distinct URLs the email links to. */
static int distinct_links(json_t *links)
{
    json_t *set = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(links, i, v) if (json_is_string(v))
        json_object_set_new(set, json_string_value(v), json_true());
    int n = (int)json_object_size(set);
    json_decref(set);
    return n;
}

hail_err track_record(db *d, track_hit *h)
{
    h->result = TRACK_NOT_FOUND;
    h->machine = 0;
    h->location[0] = '\0';
    track_email em;
    hail_err e = track_store_email(d, h->email_id, &em);
    if (e == HAIL_ENOTFOUND)
        return HAIL_OK;
    if (e)
        return e;
    const char *url = NULL;
    if (h->kind == 'c') {
        url = json_string_value(json_array_get(em.links, (size_t)h->link));
        if (!url || strlen(url) >= sizeof h->location || !followable(url)) {
            track_email_release(&em);
            return HAIL_OK; /* no such link in this email */
        }
        snprintf(h->location, sizeof h->location, "%s", url);
    }
    /* The sender looking at their own email, or a preview before it went out. */
    if ((h->viewer_id && h->viewer_id == em.user_id) || !strcmp(em.status, "draft") ||
        !strcmp(em.status, "scheduled")) {
        h->result = TRACK_IGNORED;
        track_email_release(&em);
        return HAIL_OK;
    }
    machine_hit mh = {
        .kind = h->kind,
        .head = h->head,
        .user_agent = h->user_agent,
        .client = h->client,
        .at = h->at,
        .sent_at = em.sent_at,
        .opened = em.opens + em.machine_opens > 0,
    };
    json_t *extra = json_object();
    if (!extra) {
        track_email_release(&em);
        return HAIL_ENOMEM;
    }
    if (h->kind == 'c') {
        json_t *set = json_object();
        e = set ? track_store_recent_clicks(d, h->email_id, h->at - MACHINE_BURST_US, set)
                : HAIL_ENOMEM;
        if (!e) {
            json_object_set_new(set, url, json_true());
            mh.burst_links = (int)json_object_size(set);
            mh.links = distinct_links(em.links);
        }
        json_decref(set);
        json_object_set_new(extra, "link", json_string(url));
    }
    machine_reason why = machine_classify(&mh);
    h->machine = why != MACHINE_HUMAN;
    if (h->machine)
        json_object_set_new(extra, "machine_reason", json_string(machine_reason_name(why)));
    if (!e)
        e = email_activity(d, h->email_id, h->kind == 'c' ? ACT_EMAIL_CLICK : ACT_EMAIL_OPEN,
                           h->machine, h->at, extra, NULL);
    if (!e)
        e = track_store_count(d, h->email_id, h->kind, h->machine, h->at);
    json_decref(extra);
    track_email_release(&em);
    if (!e)
        h->result = TRACK_RECORDED;
    return e;
}

/* ---- the writer ---- */

#define BATCH_MAX 4096

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    track_hit *head, *tail;
    int running; /* accepting hits */
    int stop;
    pthread_t thread;
    db *d;
    char *target;
} w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* One transaction for the whole batch; when it fails, each hit alone, so
 * that one bad hit does not sink the others. */
static void write_batch(db *d, track_hit *batch)
{
    hail_err e = db_begin(d);
    for (track_hit *h = batch; !e && h; h = h->next)
        e = track_record(d, h);
    if (!e)
        e = db_commit(d);
    else
        db_rollback(d);
    if (e) {
        log_warn("tracking: a batch of hits failed (%s); writing them one by one", hail_errmsg());
        for (track_hit *h = batch; h; h = h->next) {
            hail_err he = db_begin(d);
            if (!he)
                he = track_record(d, h);
            if (!he)
                he = db_commit(d);
            else
                db_rollback(d);
            if (he) {
                log_error("tracking: a hit on email %lld was not recorded: %s",
                          (long long)h->email_id, hail_errmsg());
                h->result = TRACK_FAILED;
                h->location[0] = '\0';
            }
        }
    }
}

/* A PostgreSQL server that went away (restarted, failed over): the next
 * batch gets a new connection. */
static void reconnect_if_lost(void)
{
    db *d;
    if (!w.target || db_last_error(w.d) != DB_ERR_CONNECTION)
        return;
    if (db_open(w.target, 0, &d) || track_store_writer_setup(d)) {
        log_error("tracking: cannot reconnect to the database: %s", hail_errmsg());
        return;
    }
    db_close(w.d);
    w.d = d;
    log_info("tracking: reconnected to the database");
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&w.mu);
    for (;;) {
        while (!w.head && !w.stop)
            pthread_cond_wait(&w.cond, &w.mu);
        if (!w.head && w.stop)
            break;
        /* Everything queued, up to BATCH_MAX hits. */
        track_hit *batch = w.head, *last = w.head;
        for (int n = 1; n < BATCH_MAX && last->next; n++)
            last = last->next;
        w.head = last->next;
        if (!w.head)
            w.tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w.mu);
        write_batch(w.d, batch);
        reconnect_if_lost();
        for (track_hit *h = batch, *next; h; h = next) {
            next = h->next; /* done() may free h */
            h->next = NULL;
            h->done(h);
        }
        pthread_mutex_lock(&w.mu);
    }
    pthread_mutex_unlock(&w.mu);
    return NULL;
}

hail_err track_writer_start(const char *target)
{
    db *d;
    hail_err e = db_open(target, 0, &d);
    if (!e && (e = track_store_writer_setup(d)))
        db_close(d);
    if (e)
        return e;
    pthread_mutex_lock(&w.mu);
    free(w.target);
    w.target = strdup(target);
    w.d = d;
    w.stop = 0;
    w.head = w.tail = NULL;
    if (pthread_create(&w.thread, NULL, writer_main, NULL) != 0) {
        pthread_mutex_unlock(&w.mu);
        db_close(d);
        return hail_errf(HAIL_EIO, "cannot start the tracking writer thread");
    }
    w.running = 1;
    pthread_mutex_unlock(&w.mu);
    return HAIL_OK;
}

void track_writer_stop(void)
{
    pthread_mutex_lock(&w.mu);
    if (!w.running) {
        pthread_mutex_unlock(&w.mu);
        return;
    }
    w.running = 0;
    w.stop = 1;
    pthread_cond_signal(&w.cond);
    pthread_mutex_unlock(&w.mu);
    pthread_join(w.thread, NULL);
    db_close(w.d);
    w.d = NULL;
    free(w.target);
    w.target = NULL;
}

hail_err track_submit(track_hit *h)
{
    h->next = NULL;
    pthread_mutex_lock(&w.mu);
    if (!w.running) {
        pthread_mutex_unlock(&w.mu);
        return hail_errf(HAIL_EUNAVAIL, "tracking is not running");
    }
    if (w.tail)
        w.tail->next = h;
    else
        w.head = h;
    w.tail = h;
    pthread_cond_signal(&w.cond);
    pthread_mutex_unlock(&w.mu);
    return HAIL_OK;
}
