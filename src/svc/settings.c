#include "core/common.h"

#include "svc/settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static hail_settings current = {
    .data_dir = "./var",
    .listen = "127.0.0.1:8080",
    .access_log = 1,
    .public_url = "http://127.0.0.1:8080",
    .send_workers = 2,
    .imap_poll_seconds = 60,
    .retry_wait_percent = 100,
};
/* The default public URL, built from the listen address. */
static char public_default[512];

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static hail_err int_value(const char *name, const char *v, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return hail_errf(HAIL_EINVAL, "%s must be an integer from %ld to %ld, not '%.40s'", name,
                         min, max, v);
    *out = (int)n;
    return HAIL_OK;
}

/* HAIL_PUBLIC_URL: http(s)://host[:port][/path], kept without a trailing slash. */
static hail_err public_url(const char *v, const char **out)
{
    static char copy[512];
    size_t n = strlen(v);
    if ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) || n >= sizeof copy ||
        strpbrk(v, " \t\r\n?#\"'<>\\") || !v[strncmp(v, "https://", 8) ? 7 : 8] ||
        v[strncmp(v, "https://", 8) ? 7 : 8] == '/')
        return hail_errf(HAIL_EINVAL,
                         "HAIL_PUBLIC_URL must be an http(s) URL such as https://mail.example.com "
                         "(no query, no spaces), not '%.100s'",
                         v);
    memcpy(copy, v, n + 1);
    while (n > 0 && copy[n - 1] == '/')
        copy[--n] = '\0';
    *out = copy;
    return HAIL_OK;
}

static hail_err int_var(const char *name, long min, long max, int *out)
{
    const char *v = env(name);
    return v ? int_value(name, v, min, max, out) : HAIL_OK;
}

hail_err settings_check(const char *name, const char *value)
{
    int n;
    const char *url;
    if (!strcmp(name, "HAIL_PUBLIC_URL"))
        return public_url(value, &url);
    if (!strcmp(name, "HAIL_SEND_WORKERS"))
        return int_value(name, value, 1, 64, &n);
    if (!strcmp(name, "HAIL_IMAP_POLL_SECONDS"))
        return int_value(name, value, 1, 86400, &n);
    if (!strcmp(name, "HAIL_MARKETO_RECONCILE_SECONDS") ||
        !strcmp(name, "HAIL_SALESFORCE_RECONCILE_SECONDS"))
        return int_value(name, value, 0, 3600, &n);
    if (!strcmp(name, "HAIL_RETRY_WAIT_PERCENT"))
        return int_value(name, value, 1, 100, &n);
    if (!strcmp(name, "HAIL_CA_FILE") && access(value, R_OK))
        return hail_errf(HAIL_EINVAL, "HAIL_CA_FILE: cannot read '%.200s': %s", value,
                         strerror(errno));
    return HAIL_OK;
}

hail_err settings_load(hail_settings *s)
{
    hail_err e;
    *s = (hail_settings){
        .data_dir = "./var",
        .listen = "127.0.0.1:8080",
        .access_log = 1,
        .send_workers = 2,
        .imap_poll_seconds = 60,
        .marketo_reconcile_seconds = 60,
        .salesforce_reconcile_seconds = 60,
        .retry_wait_percent = 100,
    };
    const char *v;
    if ((v = env("HAIL_DATA")))
        s->data_dir = v;
    s->database = env("HAIL_DATABASE_URL");
    s->log_level = env("HAIL_LOG_LEVEL");
    s->db_sync = env("HAIL_DB_SYNC");
    s->threads_env = env("HAIL_THREADS");
    s->marketo.url = env("HAIL_MARKETO_URL");
    s->marketo.client_id = env("HAIL_MARKETO_CLIENT_ID");
    s->marketo.client_secret = env("HAIL_MARKETO_CLIENT_SECRET");
    s->marketo.smart_list_id = env("HAIL_MARKETO_SMART_LIST_ID");
    s->marketo.since = env("HAIL_MARKETO_SINCE");
    s->marketo.poll_seconds = env("HAIL_MARKETO_POLL_SECONDS");
    s->marketo.sync_interval = env("HAIL_MARKETO_SYNC_INTERVAL");
    s->marketo.time_zone_field = env("HAIL_MARKETO_TIME_ZONE_FIELD");
    s->marketo.calls_per_20s = env("HAIL_MARKETO_CALLS_PER_20S");
    s->salesforce.login_url = env("HAIL_SALESFORCE_LOGIN_URL");
    s->salesforce.client_id = env("HAIL_SALESFORCE_CLIENT_ID");
    s->salesforce.client_secret = env("HAIL_SALESFORCE_CLIENT_SECRET");
    s->salesforce.refresh_token = env("HAIL_SALESFORCE_REFRESH_TOKEN");
    if ((v = env("HAIL_LISTEN")))
        s->listen = v;
    s->web_root = env("HAIL_WEB_ROOT");
    if ((v = env("HAIL_ACCESS_LOG")))
        s->access_log = strcasecmp(v, "off") != 0;
    if ((v = env("HAIL_COOKIE_SECURE")))
        s->cookie_secure = !strcmp(v, "1");
    s->salesforce_url = env("HAIL_SALESFORCE_URL");
    if ((v = env("HAIL_PUBLIC_URL")) && (e = public_url(v, &s->public_url)))
        return e;
    if ((e = int_var("HAIL_SEND_WORKERS", 1, 64, &s->send_workers)) ||
        (e = int_var("HAIL_IMAP_POLL_SECONDS", 1, 86400, &s->imap_poll_seconds)) ||
        (e = int_var("HAIL_MARKETO_RECONCILE_SECONDS", 0, 3600, &s->marketo_reconcile_seconds)) ||
        (e = int_var("HAIL_SALESFORCE_RECONCILE_SECONDS", 0, 3600,
                     &s->salesforce_reconcile_seconds)) ||
        (e = int_var("HAIL_RETRY_WAIT_PERCENT", 1, 100, &s->retry_wait_percent)))
        return e;
    s->inbound_token = env("HAIL_INBOUND_TOKEN");
    if ((v = env("HAIL_CA_FILE")) && (e = settings_check("HAIL_CA_FILE", v)))
        return e;
    s->ca_file = v;
    s->clock_file = env("HAIL_CLOCK_FILE");
    s->tz_dir = env("TZDIR");
    return HAIL_OK;
}

void settings_set(const hail_settings *s)
{
    current = *s;
    if (!current.public_url || current.public_url == public_default) {
        snprintf(public_default, sizeof public_default, "http://%s", current.listen);
        current.public_url = public_default;
    }
}

const hail_settings *settings(void)
{
    return &current;
}

int64_t settings_retry_wait_us(int64_t us)
{
    int p = current.retry_wait_percent;
    return p >= 1 && p < 100 ? us * p / 100 : us;
}
