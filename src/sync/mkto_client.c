#include "core/common.h"

/* The Marketo REST client: tokens, limits, retries, envelopes, downloads.
 *
 * A client of net/outbound: one outbound client (a curl easy handle with
 * the common setup) per Marketo client keeps its connection alive between
 * calls; the limits Marketo enforces per instance (100 calls in 20 s, 10 in
 * flight) are the process-wide outbound limiter "marketo", so a sync
 * normally never sees 606 or 615; when it does (another integration shares
 * the instance) it backs off (ob_backoff_us) like for any transient error.
 * What is Marketo's own stays here: tokens, envelopes and their codes, the
 * ranges of a download, the retry verdicts.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "net/outbound.h"
#include "svc/settings.h"
#include "sync/marketo.h"

/* The window plus a margin for the time a request takes to reach Marketo. */
#define RATE_WINDOW_US  (INT64_C(20500) * 1000)
#define MAX_IN_FLIGHT   10
#define MAX_ATTEMPTS    8
#define MAX_RENEWALS    4
#define RETRY_BASE_US   (INT64_C(500) * 1000)
#define RATE_BASE_US    (INT64_C(2000) * 1000)
#define RETRY_CAP_US    (INT64_C(30) * 1000000)
#define MAX_URI         8000        /* Marketo answers 414 past 8 KB */
#define MAX_JSON        (64u << 20) /* a leads.json page is ~100 KB; bound what we hold */
#define DOWNLOAD_BUFFER (512L * 1024)

/* ---- the client ---- */

struct mkto_client {
    const marketo_config *cfg;
    const atomic_int *stop; /* set by another thread */
    ob_client *ob;
    ob_limiter *limiter; /* "marketo": the instance's limits, process-wide */
    char *token;
    int64_t token_until; /* monotonic; renew at or after this */
    /* Counted by the thread making calls, read by the sync's writer thread. */
    _Atomic uint64_t calls;
    char last_code[16];
    int max_attempts; /* per call (and token fetch); MAX_ATTEMPTS unless made impatient */
    long timeout_ms;  /* of one JSON exchange; 300 s unless made impatient */
};

hail_err mkto_client_new(const marketo_config *c, const atomic_int *stop, mkto_client **out)
{
    *out = NULL;
    mkto_client *m = calloc(1, sizeof *m);
    if (!m)
        return HAIL_ENOMEM;
    m->cfg = c;
    m->stop = stop;
    m->max_attempts = MAX_ATTEMPTS;
    m->timeout_ms = 300000L;
    ob_opts o = {.service = "Marketo", .connect_timeout_ms = 15000, .stop = stop};
    hail_err e = ob_limiter_get("marketo", c->calls_per_20s > 0 ? c->calls_per_20s : 100,
                                RATE_WINDOW_US, MAX_IN_FLIGHT, &m->limiter);
    if (!e)
        e = ob_client_new(&o, &m->ob);
    if (e) {
        free(m);
        return e;
    }
    *out = m;
    return HAIL_OK;
}

void mkto_client_free(mkto_client *m)
{
    if (!m)
        return;
    ob_client_free(m->ob);
    if (m->token)
        sodium_memzero(m->token, strlen(m->token));
    free(m->token);
    free(m);
}

void mkto_client_set_patience(mkto_client *m, int max_attempts, long timeout_ms)
{
    m->max_attempts = max_attempts > 0 ? max_attempts : MAX_ATTEMPTS;
    m->timeout_ms = timeout_ms > 0 ? timeout_ms : 300000L;
}

uint64_t mkto_client_calls(const mkto_client *m)
{
    return atomic_load(&m->calls);
}

const char *mkto_client_last_code(const mkto_client *m)
{
    return m->last_code;
}

hail_err mkto_escape(buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        hail_err e;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            e = buf_putc(b, (char)*p);
        } else {
            char t[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            e = buf_append(b, t, 3);
        }
        if (e)
            return e;
    }
    return HAIL_OK;
}

/* ---- one HTTP exchange ---- */

typedef struct exchange {
    mkto_client *m;
    CURL *h;
    const mkto_stream *stream; /* NULL: buffer the body */
    uint64_t from;             /* Range start asked for */
    int decided;               /* the first body byte has been seen */
    int streaming;             /* body goes to stream->sink */
    long status;
    uint64_t range_start; /* from Content-Range (206) */
    int have_range;
    buf body; /* JSON or error text */
    hail_err sink_err;
    uint64_t streamed; /* bytes given to the sink */
    int64_t stop_seen; /* monotonic time stop was first seen (0 = not) */
} exchange;

static int is_json_type(CURL *h)
{
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    return ct && strncasecmp(ct, "application/json", 16) == 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    exchange *x = ud;
    size_t len = size * n;
    if (!x->decided) {
        x->decided = 1;
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
        x->streaming = x->stream && (x->status == 200 || x->status == 206) && !is_json_type(x->h);
        if (x->streaming) {
            if (x->status == 206 && (!x->have_range || x->range_start != x->from)) {
                x->sink_err =
                    hail_errf(HAIL_EREMOTE, "Marketo answered a range request with another range");
                return 0;
            }
            if (x->status == 200 && x->from > 0)
                x->stream->restart(x->stream->ctx, 0);
        }
    }
    if (x->streaming) {
        hail_err e = x->stream->sink(x->stream->ctx, p, len);
        if (e) {
            x->sink_err = e;
            return 0;
        }
        x->streamed += len;
        return len;
    }
    /* Error pages are only kept in part; JSON must fit whole. */
    if (x->status != 200 && x->body.len + len > 4096)
        len = x->body.len < 4096 ? 4096 - x->body.len : 0;
    if (len && buf_append(&x->body, p, len)) {
        x->sink_err =
            hail_errf(HAIL_ETOOBIG, "Marketo's answer is larger than %u bytes", (unsigned)MAX_JSON);
        return 0;
    }
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    exchange *x = ud;
    size_t len = size * n;
    static const char cr[] = "content-range:";
    if (len > sizeof cr && strncasecmp(p, cr, sizeof cr - 1) == 0) {
        const char *s = p + sizeof cr - 1;
        const char *end = p + len;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        if (end - s > 6 && strncasecmp(s, "bytes ", 6) == 0) {
            s += 6;
            uint64_t v = 0;
            int digits = 0;
            while (s < end && *s >= '0' && *s <= '9') {
                v = v * 10 + (uint64_t)(*s++ - '0');
                digits++;
            }
            if (digits) {
                x->range_start = v;
                x->have_range = 1;
            }
        }
    }
    return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    exchange *x = ud;
    if (!x->m->stop || !atomic_load(x->m->stop))
        return 0;
    /* A stream stops at its next checkpoint; give it a moment to reach one. */
    if (!x->streaming)
        return 1;
    int64_t now = time_mono_us();
    if (!x->stop_seen)
        x->stop_seen = now;
    return now - x->stop_seen > 3 * US_PER_SEC;
}

/* Performs one request on the outbound client (its common setup, then
 * Marketo's: a download has no total time limit and may reach its next
 * checkpoint when stopped). form: a urlencoded POST body (NULL: json_body
 * or GET). HAIL_OK when the exchange completed (any HTTP status: x->status),
 * HAIL_ECANCELLED when stopped, else the transfer failed and
 * ob_error_text(m->ob) says why. */
static hail_err perform(mkto_client *m, exchange *x, const char *method, const char *url,
                        const char *json_body, const char *form, int auth)
{
    CURL *h = ob_easy(m->ob);
    x->h = h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    if (x->stream) {
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, DOWNLOAD_BUFFER);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);
    } else {
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, m->timeout_ms);
    }
    struct curl_slist *hdrs = NULL;
    char line[1024];
    if (auth && m->token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", m->token);
        hdrs = curl_slist_append(hdrs, line);
        sodium_memzero(line, sizeof line);
    }
    if (x->from > 0) {
        snprintf(line, sizeof line, "Range: bytes=%llu-", (unsigned long long)x->from);
        hdrs = curl_slist_append(hdrs, line);
    }
    /* Big POSTs would otherwise wait a second for "100 Continue". */
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (json_body) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body);
    } else if (form) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    hail_err e = ob_perform(m->ob);
    x->status = ob_status(m->ob);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    return e;
}

/* ---- tokens ---- */

static void drop_token(mkto_client *m)
{
    if (m->token)
        sodium_memzero(m->token, strlen(m->token));
    free(m->token);
    m->token = NULL;
}

static hail_err fetch_token(mkto_client *m)
{
    buf url = BUF_INIT(8192);
    hail_err e;
    if ((e = buf_puts(&url, m->cfg->url)) ||
        (e = buf_puts(&url, "/identity/oauth/token?grant_type=client_credentials&client_id=")) ||
        (e = mkto_escape(&url, m->cfg->client_id)) || (e = buf_puts(&url, "&client_secret=")) ||
        (e = mkto_escape(&url, m->cfg->client_secret))) {
        buf_release(&url);
        return e;
    }
    json_t *root = NULL;
    for (int attempt = 0;; attempt++) {
        exchange x = {.m = m};
        buf_init(&x.body, MAX_JSON);
        hail_err pe = perform(m, &x, "GET", url.data, NULL, NULL, 0);
        const char *problem = NULL;
        char why[512];
        if (pe == HAIL_ECANCELLED) {
            buf_release(&x.body);
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
        if (pe) {
            snprintf(why, sizeof why, "cannot reach Marketo at %.200s: %.250s", m->cfg->url,
                     ob_error_text(m->ob));
            problem = why;
        } else if (x.status == 401 || x.status == 400 || x.status == 403) {
            json_t *j = json_loadb(buf_cstr(&x.body), x.body.len, 0, NULL);
            json_t *d = json_object_get(j, "error_description");
            e = hail_errf(HAIL_EAUTH, "Marketo rejected the client id/secret (HTTP %ld%s%s)",
                          x.status, json_is_string(d) ? ": " : "",
                          json_is_string(d) ? json_string_value(d) : "");
            json_decref(j);
            buf_release(&x.body);
            break;
        } else if (x.status >= 500 || x.status == 429) {
            snprintf(why, sizeof why, "HTTP %ld from Marketo's identity service", x.status);
            problem = why;
        } else if (x.status != 200) {
            e = hail_errf(HAIL_EREMOTE, "HTTP %ld from Marketo's identity service", x.status);
            buf_release(&x.body);
            break;
        } else {
            root = json_loadb(buf_cstr(&x.body), x.body.len, 0, NULL);
            json_t *tok = json_object_get(root, "access_token");
            json_t *exp = json_object_get(root, "expires_in");
            if (!json_is_string(tok) || json_string_length(tok) == 0 ||
                json_string_length(tok) > 512) {
                e = hail_errf(HAIL_EREMOTE, "Marketo's identity service sent no access token");
                buf_release(&x.body);
                break;
            }
            drop_token(m);
            m->token = strdup(json_string_value(tok));
            json_int_t secs = json_is_integer(exp) ? json_integer_value(exp) : 3600;
            /* Use it until a second before it expires; a 601/602 renews earlier. */
            m->token_until = time_mono_us() + (secs > 1 ? secs - 1 : 0) * US_PER_SEC;
            e = m->token ? HAIL_OK : HAIL_ENOMEM;
            buf_release(&x.body);
            break;
        }
        buf_release(&x.body);
        if (attempt + 1 >= m->max_attempts) {
            e = hail_errf(HAIL_EIO, "%s (gave up after %d attempts)", problem, m->max_attempts);
            break;
        }
        int64_t d = settings_retry_wait_us(
            ob_backoff_us(attempt, RETRY_BASE_US, RETRY_CAP_US, randombytes_random()));
        log_warn("marketo: %s; retrying in %.1f s", problem, (double)d / US_PER_SEC);
        if (time_sleep_us(d, m->stop)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
    }
    json_decref(root);
    sodium_memzero(url.data, url.len);
    buf_release(&url);
    return e;
}

static hail_err ensure_token(mkto_client *m)
{
    if (m->token && time_mono_us() < m->token_until)
        return HAIL_OK;
    /* Asking before expiry returns the same token with its remaining life, so
     * a token that is about to lapse is waited out rather than asked for in a loop. */
    for (int i = 0; i < 3; i++) {
        hail_err e = fetch_token(m);
        if (e)
            return e;
        if (time_mono_us() < m->token_until)
            return HAIL_OK;
        if (time_sleep_us(US_PER_SEC, m->stop))
            return hail_errf(HAIL_ECANCELLED, "stopped");
    }
    return HAIL_OK; /* try it anyway; a 602 renews */
}

/* ---- calls ---- */

static hail_err quota_error(const mkto_envelope *env, const char *what)
{
    int64_t now = time_now_us(), at = mkto_quota_reset_us(now);
    char iso[TIME_ISO_LEN];
    time_format_iso(at, iso);
    int64_t mins = (at - now) / (60 * US_PER_SEC);
    return hail_errf(HAIL_EQUOTA,
                     "Marketo's %s (%s %.200s); it resets at midnight US Central (%s, in "
                     "%lldh%02lldm) — run the sync again after that",
                     what, env->code, env->message, iso, (long long)(mins / 60),
                     (long long)(mins % 60));
}

/* The outcome of one attempt, for the retry loop. */
enum verdict { V_DONE, V_RETRY, V_RATE, V_RENEW, V_FAIL, V_POST_FORM };

static enum verdict judge_envelope(mkto_client *m, const mkto_envelope *env, const char *path,
                                   hail_err *e, char *why, size_t whysize)
{
    snprintf(m->last_code, sizeof m->last_code, "%s", env->code);
    snprintf(why, whysize, "Marketo error %s (%.250s) on %.100s", env->code, env->message, path);
    switch (mkto_classify(env->code)) {
    case MKTO_RENEW:
        return V_RENEW;
    case MKTO_RETRY:
        return V_RETRY;
    case MKTO_RATE:
        return V_RATE;
    case MKTO_QUOTA:
        *e = quota_error(env, "daily API quota is exhausted");
        return V_FAIL;
    case MKTO_EXPORT_FULL:
        /* The same code means "queue full" (wait for room) and "500 MB of
         * exports today" (nothing to do before the reset). */
        if (strcasestr(env->message, "quota"))
            *e = quota_error(env, "daily export quota is used up");
        else
            *e = hail_errf(HAIL_EBUSY, "Marketo's export queue is full (%s %s)", env->code,
                           env->message);
        return V_FAIL;
    case MKTO_FATAL:
        break;
    }
    *e = hail_errf(HAIL_EREMOTE, "Marketo error %s on %s: %s", env->code, path, env->message);
    return V_FAIL;
}

/* Runs the retry loop around `attempt_fn`-like logic shared by calls and downloads. */
typedef struct call {
    const char *method, *path, *query, *body;
    const mkto_stream *stream;
    json_t **root;
    mkto_envelope *env;
} call;

static hail_err run_call(mkto_client *m, const call *c)
{
    buf url = BUF_INIT(1u << 20);
    int attempt = 0, renewals = 0, post_form = 0;
    hail_err e = HAIL_OK;
    char why[512] = "";
    m->last_code[0] = '\0';
    for (;;) {
        if (m->stop && atomic_load(m->stop)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
        if ((e = ensure_token(m)))
            break;
        buf_reset(&url);
        if ((e = buf_puts(&url, m->cfg->url)) || (e = buf_puts(&url, c->path)))
            break;
        int has_query = c->query && c->query[0];
        if (has_query && !post_form) {
            if (url.len + 1 + strlen(c->query) > MAX_URI && strcmp(c->method, "GET") == 0) {
                post_form = 1; /* would be refused with 414 */
            } else if ((e = buf_putc(&url, '?')) || (e = buf_puts(&url, c->query))) {
                break;
            }
        }
        if (post_form && (e = buf_puts(&url, "?_method=GET")))
            break;

        exchange x = {.m = m, .stream = c->stream};
        buf_init(&x.body, MAX_JSON);
        if (c->stream)
            x.from = c->stream->rewind(c->stream->ctx);
        if ((e = ob_limiter_take(m->limiter, m->stop))) {
            buf_release(&x.body);
            break;
        }
        atomic_fetch_add(&m->calls, 1);
        hail_err pe = perform(m, &x, post_form ? "POST" : c->method, url.data,
                              post_form ? NULL : c->body, post_form ? c->query : NULL, 1);
        ob_limiter_give(m->limiter);

        enum verdict v;
        if (x.sink_err) {
            e = x.sink_err;
            v = V_FAIL;
        } else if (pe == HAIL_ECANCELLED) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            v = V_FAIL;
        } else if (pe) {
            snprintf(why, sizeof why, "connection to Marketo failed on %.100s: %.250s", c->path,
                     ob_error_text(m->ob));
            v = V_RETRY;
            if (x.streamed > 0)
                attempt = 0; /* progress was made: a flaky link, not a dead one */
        } else if (x.status == 414 && strcmp(c->method, "GET") == 0 && has_query && !post_form) {
            v = V_POST_FORM;
        } else if (x.status == 413 || x.status == 414) {
            e = hail_errf(HAIL_ETOOBIG, "Marketo refused the request to %s as too large (HTTP %ld)",
                          c->path, x.status);
            v = V_FAIL;
        } else if (x.status == 401) {
            snprintf(why, sizeof why, "HTTP 401 from Marketo on %s", c->path);
            v = V_RENEW;
        } else if (x.status == 404 && c->stream) {
            e = hail_errf(HAIL_ENOTFOUND, "Marketo has no file at %s (HTTP 404)", c->path);
            v = V_FAIL;
        } else if (x.status >= 500 || x.status == 429 || x.status == 408) {
            snprintf(why, sizeof why, "HTTP %ld from Marketo on %s", x.status, c->path);
            v = V_RETRY;
        } else if (x.streaming) {
            v = V_DONE;
        } else if (x.status != 200) {
            e = hail_errf(HAIL_EREMOTE, "HTTP %ld from Marketo on %s: %.200s", x.status, c->path,
                          buf_cstr(&x.body));
            v = V_FAIL;
        } else {
            json_t *root = json_loadb(buf_cstr(&x.body), x.body.len, 0, NULL);
            mkto_envelope env;
            if (!root) {
                snprintf(why, sizeof why, "Marketo sent malformed JSON on %s", c->path);
                v = V_RETRY;
            } else if ((e = mkto_envelope_parse(root, &env))) {
                json_decref(root);
                v = V_FAIL;
            } else if (env.success && !c->stream) {
                if (env.warnings && log_enabled(LOG_DEBUG)) {
                    char *w = json_dumps(json_object_get(root, "warnings"), JSON_COMPACT);
                    log_debug("marketo: warnings on %s: %s", c->path, w ? w : "?");
                    free(w);
                }
                *c->root = root;
                *c->env = env;
                v = V_DONE;
            } else if (env.success) {
                json_decref(root);
                e = hail_errf(HAIL_EREMOTE, "Marketo sent JSON instead of a file on %s", c->path);
                v = V_FAIL;
            } else {
                v = judge_envelope(m, &env, c->path, &e, why, sizeof why);
                json_decref(root);
            }
        }
        buf_release(&x.body);

        if (v == V_DONE) {
            e = HAIL_OK;
            break;
        }
        if (v == V_FAIL)
            break;
        if (v == V_POST_FORM) {
            post_form = 1;
            log_debug("marketo: %s URI too long (414); resending as POST with _method=GET",
                      c->path);
            continue;
        }
        if (v == V_RENEW) {
            if (++renewals > MAX_RENEWALS) {
                e = hail_errf(HAIL_EAUTH, "Marketo keeps refusing fresh access tokens (%s)", why);
                break;
            }
            log_debug("marketo: %s; getting a new access token", why);
            drop_token(m);
            continue;
        }
        if (attempt + 1 >= m->max_attempts) {
            e = hail_errf(HAIL_EIO, "%s (gave up after %d attempts)", why, m->max_attempts);
            break;
        }
        int64_t d = settings_retry_wait_us(ob_backoff_us(attempt,
                                                         v == V_RATE ? RATE_BASE_US : RETRY_BASE_US,
                                                         RETRY_CAP_US, randombytes_random()));
        attempt++;
        log_warn("marketo: %s; retrying in %.1f s (attempt %d of %d)", why, (double)d / US_PER_SEC,
                 attempt + 1, m->max_attempts);
        if (time_sleep_us(d, m->stop)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
    }
    buf_release(&url);
    return e;
}

hail_err mkto_call(mkto_client *m, const char *method, const char *path, const char *query,
                   const char *body, json_t **root, mkto_envelope *env)
{
    *root = NULL;
    call c = {
        .method = method, .path = path, .query = query, .body = body, .root = root, .env = env};
    return run_call(m, &c);
}

hail_err mkto_download(mkto_client *m, const char *path, const mkto_stream *s)
{
    call c = {.method = "GET", .path = path, .stream = s};
    return run_call(m, &c);
}
