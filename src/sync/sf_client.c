#include "core/common.h"

/* The Salesforce REST client (sync/sf_client.h): tokens, the data API's
 * answers and their retry verdicts, collections, queries. */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "net/outbound.h"
#include "svc/settings.h"
#include "sync/sf_client.h"

#define MAX_IN_FLIGHT 8
#define MAX_ATTEMPTS  8
#define RETRY_BASE_US (INT64_C(500) * 1000)
/* REQUEST_LIMIT_EXCEEDED: the org's rolling 24-hour count; waiting seconds
 * rarely helps, minutes may (other integrations' calls age out). */
#define LIMIT_BASE_US (INT64_C(2000) * 1000)
#define RETRY_CAP_US  (INT64_C(60) * 1000000)
#define MAX_JSON      (64u << 20)

/* ---- configuration ---- */

int salesforce_configured(void)
{
    const hail_settings *s = settings();
    return s->salesforce.login_url && s->salesforce.client_id && s->salesforce.client_secret;
}

hail_err sf_login_url_check(const char *v)
{
    size_t skip = !strncmp(v, "https://", 8) ? 8 : !strncmp(v, "http://", 7) ? 7 : 0;
    if (!skip || !v[skip] || v[skip] == '/' || strpbrk(v, " \t\r\n?#\"'<>\\") || strlen(v) > 500)
        return hail_errf(HAIL_EINVAL,
                         "HAIL_SALESFORCE_LOGIN_URL must be an http(s) URL such as "
                         "https://login.salesforce.com (no query, no spaces), not '%.100s'",
                         v);
    return HAIL_OK;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

hail_err sf_config_load(sf_config *c)
{
    memset(c, 0, sizeof *c);
    const hail_settings *s = settings();
    const char *missing = !s->salesforce.login_url       ? "HAIL_SALESFORCE_LOGIN_URL"
                          : !s->salesforce.client_id     ? "HAIL_SALESFORCE_CLIENT_ID"
                          : !s->salesforce.client_secret ? "HAIL_SALESFORCE_CLIENT_SECRET"
                                                         : NULL;
    if (missing)
        return hail_errf(HAIL_EINVAL,
                         "%s is not set: Salesforce needs HAIL_SALESFORCE_LOGIN_URL, "
                         "HAIL_SALESFORCE_CLIENT_ID and HAIL_SALESFORCE_CLIENT_SECRET",
                         missing);
    hail_err e = sf_login_url_check(s->salesforce.login_url);
    if (e)
        return e;
    c->login_url = strdup(s->salesforce.login_url);
    c->client_id = strdup(s->salesforce.client_id);
    c->client_secret = strdup(s->salesforce.client_secret);
    c->refresh_token = dup_or_null(s->salesforce.refresh_token);
    if (!c->login_url || !c->client_id || !c->client_secret ||
        (s->salesforce.refresh_token && !c->refresh_token)) {
        sf_config_release(c);
        return HAIL_ENOMEM;
    }
    size_t n = strlen(c->login_url);
    while (n > 0 && c->login_url[n - 1] == '/')
        c->login_url[--n] = '\0';
    return HAIL_OK;
}

static void wipe_free(char *s)
{
    if (s)
        sodium_memzero(s, strlen(s));
    free(s);
}

void sf_config_release(sf_config *c)
{
    free(c->login_url);
    free(c->client_id);
    wipe_free(c->client_secret);
    wipe_free(c->refresh_token);
    memset(c, 0, sizeof *c);
}

/* ---- pure parts ---- */

hail_err sf_token_parse(const char *body, size_t n, char **token, char **instance_url,
                        char **user_id)
{
    *token = *instance_url = *user_id = NULL;
    json_t *j = json_loadb(body, n, 0, NULL);
    json_t *tok = json_object_get(j, "access_token");
    json_t *inst = json_object_get(j, "instance_url");
    json_t *id = json_object_get(j, "id");
    if (!json_is_string(tok) || !json_string_length(tok) || json_string_length(tok) > 2048 ||
        !json_is_string(inst) ||
        (strncmp(json_string_value(inst), "https://", 8) &&
         strncmp(json_string_value(inst), "http://", 7))) {
        json_decref(j);
        return hail_errf(HAIL_EREMOTE,
                         "Salesforce's token answer has no access_token or instance_url");
    }
    const char *uid = "";
    if (json_is_string(id)) {
        const char *slash = strrchr(json_string_value(id), '/');
        if (slash && strlen(slash + 1) <= 18)
            uid = slash + 1;
    }
    *token = strdup(json_string_value(tok));
    *instance_url = strdup(json_string_value(inst));
    *user_id = strdup(uid);
    json_decref(j);
    if (!*token || !*instance_url || !*user_id) {
        wipe_free(*token);
        free(*instance_url);
        free(*user_id);
        *token = *instance_url = *user_id = NULL;
        return HAIL_ENOMEM;
    }
    size_t k = strlen(*instance_url);
    while (k > 0 && (*instance_url)[k - 1] == '/')
        (*instance_url)[--k] = '\0';
    return HAIL_OK;
}

static void copy_str(char *out, size_t size, json_t *v)
{
    snprintf(out, size, "%s", json_is_string(v) ? json_string_value(v) : "");
}

void sf_error_parse(const char *body, size_t n, char *code, size_t code_size, char *message,
                    size_t message_size)
{
    code[0] = message[0] = '\0';
    json_t *j = json_loadb(body, n, 0, NULL);
    json_t *first = json_is_array(j) ? json_array_get(j, 0) : j;
    if (json_is_object(first)) {
        json_t *c = json_object_get(first, "errorCode");
        if (!c)
            c = json_object_get(first, "statusCode");
        if (!c)
            c = json_object_get(first, "error");
        json_t *m = json_object_get(first, "message");
        if (!m)
            m = json_object_get(first, "error_description");
        copy_str(code, code_size, c);
        copy_str(message, message_size, m);
    }
    json_decref(j);
}

sf_action sf_classify(long status, const char *code)
{
    if (status >= 200 && status < 300)
        return SF_OK;
    if (status == 401)
        return SF_RENEW;
    if (status == 403 && code && !strcmp(code, "REQUEST_LIMIT_EXCEEDED"))
        return SF_LIMIT;
    if (status >= 500 || status == 429 || status == 408)
        return SF_RETRY;
    return SF_FAIL;
}

hail_err sf_results_parse(json_t *arr, sf_rec_result *out, size_t n)
{
    if (!json_is_array(arr) || json_array_size(arr) != n)
        return hail_errf(HAIL_EREMOTE,
                         "Salesforce answered a collection of %zu records with %zu results", n,
                         json_is_array(arr) ? json_array_size(arr) : (size_t)0);
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(arr, i);
        sf_rec_result *o = &out[i];
        memset(o, 0, sizeof *o);
        o->success = json_is_true(json_object_get(r, "success"));
        o->created = json_is_true(json_object_get(r, "created"));
        if (o->success) {
            copy_str(o->id, sizeof o->id, json_object_get(r, "id"));
            continue;
        }
        json_t *errs = json_object_get(r, "errors");
        json_t *e0 = json_array_get(errs, 0);
        json_t *c = json_object_get(e0, "statusCode");
        json_t *m = json_object_get(e0, "message");
        snprintf(o->error, sizeof o->error, "%s: %s",
                 json_is_string(c) ? json_string_value(c) : "UNKNOWN_ERROR",
                 json_is_string(m) ? json_string_value(m) : "Salesforce gave no reason");
    }
    return HAIL_OK;
}

hail_err sf_soql_quote(buf *out, const char *s, int like)
{
    for (; *s; s++) {
        hail_err e;
        if (*s == '\\' || *s == '\'' || (like && (*s == '%' || *s == '_')))
            if ((e = buf_putc(out, '\\')))
                return e;
        if ((e = buf_putc(out, *s)))
            return e;
    }
    return HAIL_OK;
}

/* ---- the client ---- */

struct sf_client {
    const sf_config *cfg;
    const atomic_int *stop;
    ob_client *ob;
    ob_limiter *limiter; /* "salesforce": calls in flight, process-wide */
    char *token, *instance_url;
    char user[19];
    char usage[64];
    _Atomic uint64_t calls;
};

hail_err sf_client_new(const sf_config *c, const atomic_int *stop, sf_client **out)
{
    *out = NULL;
    sf_client *s = calloc(1, sizeof *s);
    if (!s)
        return HAIL_ENOMEM;
    s->cfg = c;
    s->stop = stop;
    ob_opts o = {
        .service = "Salesforce", .connect_timeout_ms = 15000, .timeout_ms = 120000, .stop = stop};
    hail_err e = ob_limiter_get("salesforce", 0, 0, MAX_IN_FLIGHT, &s->limiter);
    if (!e)
        e = ob_client_new(&o, &s->ob);
    if (e) {
        free(s);
        return e;
    }
    *out = s;
    return HAIL_OK;
}

static void drop_token(sf_client *s)
{
    wipe_free(s->token);
    s->token = NULL;
}

void sf_client_free(sf_client *s)
{
    if (!s)
        return;
    ob_client_free(s->ob);
    drop_token(s);
    free(s->instance_url);
    free(s);
}

uint64_t sf_client_calls(const sf_client *s)
{
    return atomic_load(&s->calls);
}

const char *sf_client_user(const sf_client *s)
{
    return s->user;
}

const char *sf_client_usage(const sf_client *s)
{
    return s->usage;
}

/* ---- one exchange ---- */

typedef struct exchange {
    sf_client *s;
    buf body;
    int too_big;
} exchange;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    exchange *x = ud;
    if (buf_append(&x->body, p, size * n)) {
        x->too_big = 1;
        return 0;
    }
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    exchange *x = ud;
    size_t len = size * n;
    static const char h[] = "sforce-limit-info:";
    if (len > sizeof h && !strncasecmp(p, h, sizeof h - 1)) {
        const char *v = p + sizeof h - 1;
        size_t k = len - (sizeof h - 1);
        while (k && (*v == ' ' || *v == '\t'))
            v++, k--;
        while (k && (v[k - 1] == '\r' || v[k - 1] == '\n'))
            k--;
        snprintf(x->s->usage, sizeof x->s->usage, "%.*s", (int)k, v);
    }
    return len;
}

/* One request on the outbound client. ctype: the body's content type
 * (NULL: no body). HAIL_OK when the exchange completed (any status). */
static hail_err perform(sf_client *s, exchange *x, const char *method, const char *url,
                        const char *ctype, const char *body, int auth, int once, long *status)
{
    CURL *h = ob_easy(s->ob);
    /* libcurl resends a request on its own when a reused connection dies
     * before the answer: not a create that may have been done. */
    if (once)
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    struct curl_slist *hdrs = NULL;
    char line[2200];
    if (auth && s->token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", s->token);
        hdrs = curl_slist_append(hdrs, line);
        sodium_memzero(line, sizeof line);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (strcmp(method, "GET") && strcmp(method, "POST"))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        hdrs = curl_slist_append(hdrs, line);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    } else if (!strcmp(method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    atomic_fetch_add(&s->calls, auth ? 1 : 0);
    hail_err e = ob_limiter_take(s->limiter, s->stop);
    if (!e) {
        e = ob_perform(s->ob);
        ob_limiter_give(s->limiter);
    }
    *status = ob_status(s->ob);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    if (x->too_big)
        return hail_errf(HAIL_ETOOBIG, "Salesforce's answer is larger than %u bytes",
                         (unsigned)MAX_JSON);
    return e;
}

static int sleep_backoff(sf_client *s, int attempt, int64_t base, const char *why)
{
    int64_t d =
        settings_retry_wait_us(ob_backoff_us(attempt, base, RETRY_CAP_US, randombytes_random()));
    log_warn("salesforce: %s; retrying in %.1f s (attempt %d of %d)", why, (double)d / US_PER_SEC,
             attempt + 2, MAX_ATTEMPTS);
    return time_sleep_us(d, s->stop);
}

/* ---- tokens ---- */

/* Appends "&name=<value url-encoded>" (no & first). */
static hail_err form_field(buf *b, const char *name, const char *value)
{
    char *enc = curl_easy_escape(NULL, value, 0);
    if (!enc)
        return HAIL_ENOMEM;
    hail_err e = buf_printf(b, "%s%s=%s", b->len ? "&" : "", name, enc);
    sodium_memzero(enc, strlen(enc));
    curl_free(enc);
    return e;
}

hail_err sf_login(sf_client *s)
{
    buf url = BUF_INIT(4096), form = BUF_INIT(16384);
    hail_err e;
    const sf_config *c = s->cfg;
    if ((e = buf_printf(&url, "%s/services/oauth2/token", c->login_url)) ||
        (e = form_field(&form, "grant_type",
                        c->refresh_token ? "refresh_token" : "client_credentials")) ||
        (c->refresh_token && (e = form_field(&form, "refresh_token", c->refresh_token))) ||
        (e = form_field(&form, "client_id", c->client_id)) ||
        (e = form_field(&form, "client_secret", c->client_secret)))
        goto out;
    for (int attempt = 0;; attempt++) {
        if (s->stop && atomic_load(s->stop)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
        exchange x = {.s = s};
        buf_init(&x.body, MAX_JSON);
        long status = 0;
        char why[512];
        hail_err pe = perform(s, &x, "POST", url.data, "application/x-www-form-urlencoded",
                              form.data, 0, 0, &status);
        if (pe == HAIL_ECANCELLED || pe == HAIL_ETOOBIG) {
            buf_release(&x.body);
            e = pe;
            break;
        }
        if (pe) {
            snprintf(why, sizeof why, "cannot reach Salesforce's login host %.200s: %.250s",
                     c->login_url, ob_error_text(s->ob));
        } else if (status == 200) {
            char *tok, *inst, *uid;
            e = sf_token_parse(buf_cstr(&x.body), x.body.len, &tok, &inst, &uid);
            buf_release(&x.body);
            if (!e) {
                drop_token(s);
                free(s->instance_url);
                s->token = tok;
                s->instance_url = inst;
                snprintf(s->user, sizeof s->user, "%s", uid);
                free(uid);
            }
            break;
        } else if (status >= 500 || status == 429) {
            snprintf(why, sizeof why, "HTTP %ld from Salesforce's login host", status);
        } else {
            char code[64], msg[256];
            sf_error_parse(buf_cstr(&x.body), x.body.len, code, sizeof code, msg, sizeof msg);
            e = hail_errf(status == 400 || status == 401 ? HAIL_EAUTH : HAIL_EREMOTE,
                          "Salesforce refused the login (HTTP %ld %s: %s)", status,
                          *code ? code : "?", *msg ? msg : "no description");
            buf_release(&x.body);
            break;
        }
        buf_release(&x.body);
        if (attempt + 1 >= MAX_ATTEMPTS) {
            e = hail_errf(HAIL_EIO, "%s (gave up after %d attempts)", why, MAX_ATTEMPTS);
            break;
        }
        if (sleep_backoff(s, attempt, RETRY_BASE_US, why)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
    }
out:
    sodium_memzero(form.data, form.len);
    buf_release(&form);
    buf_release(&url);
    return e;
}

/* ---- calls ---- */

/* once: a create that must not be sent twice: a connection lost after the
 * request went out is not retried (the caller reconciles). */
static hail_err call(sf_client *s, const char *method, const char *path, const char *body, int once,
                     long *status, json_t **out)
{
    if (out)
        *out = NULL;
    *status = 0;
    buf url = BUF_INIT(1u << 20);
    hail_err e = HAIL_OK;
    int renewed = 0, attempt = 0;
    char why[512] = "";
    for (;;) {
        if (s->stop && atomic_load(s->stop)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
        if (!s->token && (e = sf_login(s)))
            break;
        buf_reset(&url);
        if (!strncmp(path, "/services/", 10))
            e = buf_printf(&url, "%s%s", s->instance_url, path);
        else
            e = buf_printf(&url, "%s/services/data/v" SF_API_VERSION "%s", s->instance_url, path);
        if (e)
            break;
        exchange x = {.s = s};
        buf_init(&x.body, MAX_JSON);
        long st = 0;
        hail_err pe = perform(s, &x, method, url.data, "application/json", body, 1, once, &st);
        *status = st;
        sf_action a;
        char code[64] = "", msg[512] = "";
        if (pe == HAIL_ECANCELLED || pe == HAIL_ETOOBIG) {
            buf_release(&x.body);
            e = pe;
            break;
        }
        if (pe) {
            snprintf(why, sizeof why, "connection to Salesforce failed on %s %.100s: %.250s",
                     method, path, ob_error_text(s->ob));
            a = SF_RETRY;
            if (once) {
                buf_release(&x.body);
                e = hail_errf(HAIL_EIO, "%s (not resent: it may have been done)", why);
                break;
            }
        } else {
            if (st < 200 || st >= 300)
                sf_error_parse(buf_cstr(&x.body), x.body.len, code, sizeof code, msg, sizeof msg);
            a = sf_classify(st, code);
            snprintf(why, sizeof why, "HTTP %ld %s from Salesforce on %s %.100s: %.200s", st,
                     *code ? code : "", method, path, msg);
        }
        if (a == SF_OK) {
            if (out && x.body.len) {
                json_error_t je;
                *out = json_loadb(buf_cstr(&x.body), x.body.len, 0, &je);
                if (!*out)
                    e = hail_errf(HAIL_EREMOTE, "Salesforce sent malformed JSON on %s %.100s: %s",
                                  method, path, je.text);
            }
            buf_release(&x.body);
            break;
        }
        buf_release(&x.body);
        if (a == SF_RENEW) {
            drop_token(s);
            if (renewed++) {
                e = hail_errf(HAIL_EAUTH, "Salesforce refused a fresh token (%s)", why);
                break;
            }
            log_debug("salesforce: %s; getting a new token", why);
            continue;
        }
        if (a == SF_FAIL) {
            e = hail_errf(st == 404 ? HAIL_ENOTFOUND : HAIL_EREMOTE, "HTTP %ld %s: %s", st,
                          *code ? code : "from Salesforce", *msg ? msg : "no message");
            break;
        }
        if (attempt + 1 >= MAX_ATTEMPTS) {
            e = hail_errf(a == SF_LIMIT ? HAIL_EQUOTA : HAIL_EIO, "%s (gave up after %d attempts)",
                          why, MAX_ATTEMPTS);
            break;
        }
        if (sleep_backoff(s, attempt, a == SF_LIMIT ? LIMIT_BASE_US : RETRY_BASE_US, why)) {
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
        attempt++;
    }
    buf_release(&url);
    return e;
}

hail_err sf_call(sf_client *s, const char *method, const char *path, const char *body, long *status,
                 json_t **out)
{
    return call(s, method, path, body, 0, status, out);
}

hail_err sf_describe_field(sf_client *s, const char *sobject, const char *field, int *present,
                           int *external)
{
    *present = *external = 0;
    char path[256];
    snprintf(path, sizeof path, "/sobjects/%s/describe", sobject);
    json_t *j = NULL;
    long st;
    hail_err e = sf_call(s, "GET", path, NULL, &st, &j);
    if (e)
        return e;
    json_t *fields = json_object_get(j, "fields");
    if (!json_is_array(fields)) {
        json_decref(j);
        return hail_errf(HAIL_EREMOTE, "Salesforce's describe of %s has no fields", sobject);
    }
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        json_t *name = json_object_get(f, "name");
        if (json_is_string(name) && !strcasecmp(json_string_value(name), field)) {
            *present = 1;
            *external = json_is_true(json_object_get(f, "externalId"));
            break;
        }
    }
    json_decref(j);
    return HAIL_OK;
}

hail_err sf_query(sf_client *s, const char *soql, hail_err (*each)(void *ctx, json_t *rec),
                  void *ctx)
{
    char *q = curl_easy_escape(NULL, soql, 0);
    if (!q)
        return HAIL_ENOMEM;
    buf path = BUF_INIT(1u << 20);
    hail_err e = buf_printf(&path, "/query?q=%s", q);
    curl_free(q);
    while (!e) {
        json_t *j = NULL;
        long st;
        if ((e = sf_call(s, "GET", path.data, NULL, &st, &j)))
            break;
        json_t *recs = json_object_get(j, "records");
        size_t i;
        json_t *r;
        json_array_foreach(recs, i, r)
        {
            if ((e = each(ctx, r)))
                break;
        }
        json_t *next = json_object_get(j, "nextRecordsUrl");
        int done = json_is_true(json_object_get(j, "done")) || !json_is_string(next);
        buf_reset(&path);
        if (!e && !done)
            e = buf_puts(&path, json_string_value(next));
        json_decref(j);
        if (done)
            break;
    }
    buf_release(&path);
    return e;
}

hail_err sf_collection(sf_client *s, const char *method, const char *path, json_t *records,
                       sf_rec_result *res)
{
    size_t n = json_array_size(records);
    json_t *body = json_pack("{s:b,s:O}", "allOrNone", 0, "records", records);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return HAIL_ENOMEM;
    json_t *j = NULL;
    long st;
    hail_err e = call(s, method, path, text, !strcmp(method, "POST"), &st, &j);
    free(text);
    if (!e)
        e = sf_results_parse(j, res, n);
    json_decref(j);
    return e;
}
