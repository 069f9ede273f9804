#include "core/common.h"

#include "net/outbound.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/ratelimit.h"
#include "core/timeutil.h"
#include "svc/settings.h"

/* ---- limiters ---- */

struct ob_limiter {
    struct ob_limiter *next;
    char *name;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ratelimit rate; /* rate.limit 0: none */
    int has_rate;
    int in_flight, max_in_flight;
};

static pthread_mutex_t limiters_mu = PTHREAD_MUTEX_INITIALIZER;
static ob_limiter *limiters; /* a list: grows with every service, no fixed table */

hail_err ob_limiter_get(const char *name, int calls, int64_t window_us, int in_flight,
                        ob_limiter **out)
{
    pthread_mutex_lock(&limiters_mu);
    for (ob_limiter *l = limiters; l; l = l->next)
        if (!strcmp(l->name, name)) {
            *out = l;
            pthread_mutex_unlock(&limiters_mu);
            return HAIL_OK;
        }
    ob_limiter *l = calloc(1, sizeof *l);
    if (!l || !(l->name = strdup(name)) ||
        (calls > 0 && ratelimit_init(&l->rate, (size_t)calls, window_us))) {
        if (l)
            free(l->name);
        free(l);
        pthread_mutex_unlock(&limiters_mu);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    l->has_rate = calls > 0;
    l->max_in_flight = in_flight;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->next = limiters;
    limiters = l;
    *out = l;
    pthread_mutex_unlock(&limiters_mu);
    return HAIL_OK;
}

hail_err ob_limiter_take(ob_limiter *l, const atomic_int *stop)
{
    pthread_mutex_lock(&l->mu);
    for (;;) {
        if (stop && atomic_load(stop)) {
            pthread_mutex_unlock(&l->mu);
            return hail_errf(HAIL_ECANCELLED, "stopped");
        }
        if (l->max_in_flight > 0 && l->in_flight >= l->max_in_flight) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&l->cv, &l->mu, &ts);
            continue;
        }
        int64_t now = time_mono_us();
        int64_t wait = l->has_rate ? ratelimit_wait_us(&l->rate, now) : 0;
        if (wait > 0) {
            pthread_mutex_unlock(&l->mu);
            if (time_sleep_us(wait, stop))
                return hail_errf(HAIL_ECANCELLED, "stopped");
            pthread_mutex_lock(&l->mu);
            continue;
        }
        if (l->has_rate)
            ratelimit_record(&l->rate, now);
        l->in_flight++;
        pthread_mutex_unlock(&l->mu);
        return HAIL_OK;
    }
}

void ob_limiter_give(ob_limiter *l)
{
    pthread_mutex_lock(&l->mu);
    l->in_flight--;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

/* ---- clients ---- */

struct ob_client {
    ob_opts o;
    char *service;
    CURL *h;
    long status;
    char errbuf[CURL_ERROR_SIZE];
    /* The server's last reply (SMTP/IMAP), lines of a multi-line SMTP reply
     * joined by a space; reply_open while a multi-line reply goes on. */
    char reply[1024];
    size_t reply_len;
    int reply_open;
    /* The last reply with a failure code (4xx, 5xx): a failed exchange ends
     * with QUIT, whose "221 Bye" is not the reason. */
    char failure[1024];
    char text[CURL_ERROR_SIZE + 1024];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_ok;

static void global_init(void)
{
    global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK && sodium_init() >= 0;
}

hail_err ob_client_new(const ob_opts *o, ob_client **out)
{
    *out = NULL;
    pthread_once(&global_once, global_init);
    if (!global_ok)
        return hail_errf(HAIL_ENOMEM, "cannot initialise libcurl");
    ob_client *c = calloc(1, sizeof *c);
    if (!c)
        return HAIL_ENOMEM;
    c->o = *o;
    if (!c->o.connect_timeout_ms)
        c->o.connect_timeout_ms = 15000;
    if (!c->o.timeout_ms)
        c->o.timeout_ms = 300000;
    if (!c->o.max_attempts)
        c->o.max_attempts = 8;
    if (!c->o.retry_base_us)
        c->o.retry_base_us = INT64_C(500) * 1000;
    if (!c->o.retry_cap_us)
        c->o.retry_cap_us = INT64_C(30) * 1000000;
    c->service = strdup(o->service ? o->service : "remote service");
    c->h = curl_easy_init();
    if (!c->service || !c->h) {
        ob_client_free(c);
        return hail_errf(HAIL_ENOMEM, "cannot create a curl handle");
    }
    c->o.service = c->service;
    *out = c;
    return HAIL_OK;
}

void ob_client_free(ob_client *c)
{
    if (!c)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    free(c->service);
    free(c);
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    ob_client *c = ud;
    (void)dt, (void)dn, (void)ut, (void)un;
    return c->o.stop && atomic_load(c->o.stop);
}

/* Keeps the server's reply lines (never what hail sends: AUTH carries the
 * password). */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t n, void *ud)
{
    ob_client *c = ud;
    (void)h;
    if (type != CURLINFO_HEADER_IN)
        return 0;
    while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
        n--;
    if (!c->reply_open)
        c->reply_len = 0;
    /* "250-…" goes on, "250 …" ends an SMTP reply; any other line stands alone. */
    c->reply_open = n >= 4 && isdigit((unsigned char)data[0]) && isdigit((unsigned char)data[1]) &&
                    isdigit((unsigned char)data[2]) && data[3] == '-';
    if (c->reply_len && c->reply_len + 1 < sizeof c->reply)
        c->reply[c->reply_len++] = ' ';
    for (size_t i = 0; i < n && c->reply_len + 1 < sizeof c->reply; i++) {
        unsigned char ch = (unsigned char)data[i];
        c->reply[c->reply_len++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    c->reply[c->reply_len] = '\0';
    if (!c->reply_open && (c->reply[0] == '4' || c->reply[0] == '5') &&
        isdigit((unsigned char)c->reply[1]) && isdigit((unsigned char)c->reply[2]))
        memcpy(c->failure, c->reply, c->reply_len + 1);
    return 0;
}

CURL *ob_easy(ob_client *c)
{
    CURL *h = c->h;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "hail/" HAIL_VERSION);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, c);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    const char *ca = settings()->ca_file;
    if (ca && *ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    c->errbuf[0] = '\0';
    c->reply[0] = '\0';
    c->failure[0] = '\0';
    c->text[0] = '\0';
    c->reply_len = 0;
    c->reply_open = 0;
    c->status = 0;
    return h;
}

/* Whether a failed transfer may work if tried again later. mail: an SMTP
 * or IMAP exchange, whose reply code decides first (4xx later, 5xx never). */
static int transient(CURLcode cc, long status, int mail)
{
    if (mail && status >= 500 && status < 600)
        return 0;
    if (mail && status >= 400 && status < 500)
        return 1;
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
        return 1;
    default:
        /* SMTP and IMAP report the server's reply code: 4xx is "try later". */
        return status >= 400 && status < 500;
    }
}

hail_err ob_perform(ob_client *c)
{
    hail_err e;
    if (c->o.limiter && (e = ob_limiter_take(c->o.limiter, c->o.stop)))
        return e;
    CURLcode cc = curl_easy_perform(c->h);
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
    if (c->o.limiter)
        ob_limiter_give(c->o.limiter);
    if (cc == CURLE_OK)
        return HAIL_OK;
    if (cc == CURLE_ABORTED_BY_CALLBACK && c->o.stop && atomic_load(c->o.stop))
        return hail_errf(HAIL_ECANCELLED, "stopped");
    const char *scheme = NULL;
    curl_easy_getinfo(c->h, CURLINFO_SCHEME, &scheme);
    int mail = scheme && (!strncasecmp(scheme, "smtp", 4) || !strncasecmp(scheme, "imap", 4));
    const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
    /* A mail server's refusal is told in its own words. */
    if (mail && c->failure[0])
        snprintf(c->text, sizeof c->text, "%s", c->failure);
    else
        snprintf(c->text, sizeof c->text, "%s", why);
    return hail_errf(transient(cc, c->status, mail) ? HAIL_EUNAVAIL : HAIL_EREMOTE, "%s: %s",
                     c->o.service, c->text);
}

long ob_status(ob_client *c)
{
    return c->status;
}

const char *ob_error_text(ob_client *c)
{
    return c->text;
}

const char *ob_reply(ob_client *c)
{
    return c->reply;
}

int64_t ob_backoff_us(int attempt, int64_t base_us, int64_t cap_us, uint32_t rnd)
{
    if (attempt < 0)
        attempt = 0;
    int64_t d = base_us;
    for (int i = 0; i < attempt && d < cap_us; i++)
        d *= 2;
    if (d > cap_us)
        d = cap_us;
    int64_t half = d / 2;
    return half + (int64_t)(rnd % (uint64_t)(half + 1));
}

hail_err ob_retry(ob_client *c, hail_err (*attempt)(ob_client *c, void *ctx), void *ctx)
{
    for (int i = 0;; i++) {
        hail_err e = attempt(c, ctx);
        if (e != HAIL_EUNAVAIL || i + 1 >= c->o.max_attempts)
            return e;
        int64_t d = ob_backoff_us(i, c->o.retry_base_us, c->o.retry_cap_us, randombytes_random());
        log_warn("%s; retrying in %.1f s", hail_errmsg(), (double)d / 1e6);
        if (time_sleep_us(d, c->o.stop))
            return hail_errf(HAIL_ECANCELLED, "stopped");
    }
}
