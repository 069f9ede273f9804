/* Configuration, read once.
 *
 * Every HAIL_* variable (and the flags that override them) is read by
 * settings_load() at start-up into one hail_settings, checked there, and
 * read by everyone else through settings() — never with getenv at the point
 * of use. The table of variables (name, help, default, check) is cli/cli.c's
 * env_vars; docs/cli.md lists them. Settings stored in the database (admin
 * switches such as the Marketo unsubscribe check) are not here: they are kv
 * rows read by their service.
 */
#ifndef HAIL_SVC_SETTINGS_H
#define HAIL_SVC_SETTINGS_H

#include <stdint.h>

#include "core/err.h"

typedef struct hail_settings {
    const char *data_dir;  /* --data / HAIL_DATA, default ./var */
    const char *database;  /* the database target (may hold a password: print redacted) */
    const char *log_level; /* HAIL_LOG_LEVEL or NULL (core/log.h log_init) */
    const char *db_sync;   /* HAIL_DB_SYNC or NULL (store/db.h db_set_sync) */

    /* serve */
    const char *listen;         /* --listen / HAIL_LISTEN, default 127.0.0.1:8080 */
    int threads;                /* --threads / HAIL_THREADS, 0: the default */
    const char *threads_env;    /* HAIL_THREADS as given (serve checks it) */
    const char *web_root;       /* HAIL_WEB_ROOT or NULL */
    int access_log;             /* HAIL_ACCESS_LOG, default 1 */
    int cookie_secure;          /* HAIL_COOKIE_SECURE, default 0 */
    const char *salesforce_url; /* HAIL_SALESFORCE_URL or NULL */

    /* Marketo (sync/mkto_run.c checks and parses them): NULL when unset. */
    struct {
        const char *url, *client_id, *client_secret, *smart_list_id, *since, *poll_seconds,
            *sync_interval;
        const char *time_zone_field; /* HAIL_MARKETO_TIME_ZONE_FIELD */
        const char *calls_per_20s;   /* HAIL_MARKETO_CALLS_PER_20S */
    } marketo;

    /* Salesforce's API (sync/sf_client.c checks them): NULL when unset.
     * HAIL_SALESFORCE_LOGIN_URL, _CLIENT_ID, _CLIENT_SECRET, _REFRESH_TOKEN. */
    struct {
        const char *login_url, *client_id, *client_secret, *refresh_token;
    } salesforce;

    /* sales email */
    /* HAIL_PUBLIC_URL: the address recipients reach hail at (tracking pixel,
     * click and unsubscribe links), without a trailing slash. Default:
     * http://<listen>. */
    const char *public_url;
    int send_workers;      /* HAIL_SEND_WORKERS: sender threads per node, default 2 */
    int imap_poll_seconds; /* HAIL_IMAP_POLL_SECONDS: between polls of an inbox, default 60 */
    /* HAIL_MARKETO_RECONCILE_SECONDS: how long after a batch left in flight
     * by a crash began the Marketo outbox reads it back (sync/mkto_outbox.h),
     * for Marketo to list what it accepted; default 60. */
    int marketo_reconcile_seconds;
    /* HAIL_SALESFORCE_RECONCILE_SECONDS: the same for the Salesforce outbox
     * without Hail_Activity_Id__c (sync/sf_outbox.h): a create a crashed
     * hail sent may still be running in Salesforce; default 60. */
    int salesforce_reconcile_seconds;
    /* HAIL_INBOUND_TOKEN: a shared secret an MTA may present (Bearer) to
     * POST /api/v1/inbound instead of an admin's token; NULL: admins only. */
    const char *inbound_token;

    /* outbound TLS (SMTP, IMAP, Marketo): HAIL_CA_FILE, a PEM file of CA
     * certificates trusted besides the system's (an internal mail relay's
     * CA); NULL: the system's only. */
    const char *ca_file;

    /* HAIL_CLOCK_FILE: the test clock seam (core/timeutil.h time_now_us):
     * hail's "now" is the RFC 3339 UTC time in that file; NULL: the wall
     * clock. For tests only. */
    const char *clock_file;
    /* HAIL_RETRY_WAIT_PERCENT: the waits between the retries of one call to
     * Marketo or Salesforce, and of a webhook delivery, in percent of the
     * normal backoff (1 to 100, default 100), so a test of the retries need
     * not wait them out. For tests only (settings_retry_wait_us). */
    int retry_wait_percent;
    /* TZDIR: where IANA time zone files are read (core/cadence.h); NULL:
     * /usr/share/zoneinfo. */
    const char *tz_dir;
} hail_settings;

/* Reads the environment into *s (flags already parsed by the CLI override
 * the matching fields afterwards) and checks every value: HAIL_EINVAL with a
 * message naming the variable for the first bad one. Strings point into the
 * environment or static storage: valid for the life of the process. */
hail_err settings_load(hail_settings *s);

/* Checks one variable's value by the rules settings_load() applies (the
 * CLI's variable table calls it); HAIL_OK for a variable without rules. */
hail_err settings_check(const char *name, const char *value);

/* Installs s as the process's settings (copied); call once at start-up,
 * before any thread that reads them. Unit tests may call it again. */
void settings_set(const hail_settings *s);

/* The process's settings: defaults until settings_set(). Never NULL. */
const hail_settings *settings(void);

/* A wait between retries of a call (a backoff), shortened by
 * HAIL_RETRY_WAIT_PERCENT when a test set it: us unless then. */
int64_t settings_retry_wait_us(int64_t us);

#endif
