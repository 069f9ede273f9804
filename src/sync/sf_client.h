/* The Salesforce REST client (docs/outbox.md "To Salesforce"; the contract:
 * OAuth 2.0 token, data API v59.0, sObject Collections, SOQL, describe).
 *
 * A client of net/outbound like the Marketo one: one outbound client (a curl
 * easy handle kept alive between calls) per sf_client, the process-wide
 * limiter "salesforce" (a cap on calls in flight; Salesforce's limit is a
 * daily count, reported in Sforce-Limit-Info and enforced with 403
 * REQUEST_LIMIT_EXCEEDED). What is Salesforce's own stays here: the token
 * (client credentials, or a refresh token when one is configured; no expiry
 * is given, so a new one is fetched once on 401 INVALID_SESSION_ID), the
 * error arrays and the retry verdicts (403 REQUEST_LIMIT_EXCEEDED and 503
 * back off; transport failures and other 5xx retry). Secrets and tokens are
 * never logged.
 *
 * The pure parts (token answer, error array, per-record results, verdicts)
 * are declared here for the unit tests (tests/unit/test_sf_client.c).
 */
#ifndef HAIL_SYNC_SF_CLIENT_H
#define HAIL_SYNC_SF_CLIENT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The data API version hail speaks (the contract's vNN.N). */
#define SF_API_VERSION "59.0"
/* Records per sObject Collections call. */
#define SF_MAX_RECORDS 200

/* ---- configuration (svc/settings.h: HAIL_SALESFORCE_*) ---- */

typedef struct sf_config {
    char *login_url; /* without a trailing slash */
    char *client_id, *client_secret;
    char *refresh_token; /* NULL: client credentials */
} sf_config;

/* 1 when HAIL_SALESFORCE_LOGIN_URL, _CLIENT_ID and _CLIENT_SECRET are set. */
int salesforce_configured(void);
/* Copies the settings; HAIL_EINVAL naming the variable when one is missing
 * or bad (the login URL must be http(s)://host…). */
hail_err sf_config_load(sf_config *c);
void sf_config_release(sf_config *c);
/* The login URL's rule, for the CLI's start-up checks. */
hail_err sf_login_url_check(const char *v);

/* ---- pure parts ---- */

/* The token endpoint's 200 answer: access_token and instance_url required
 * (HAIL_EREMOTE otherwise); the user id is the last part of `id`
 * (".../id/ORG/USER"), "" when absent. Strings malloc'd. */
hail_err sf_token_parse(const char *body, size_t n, char **token, char **instance_url,
                        char **user_id);

/* The first error of an answer: a data API array [{"message","errorCode"}],
 * an OAuth object {"error","error_description"}, or a per-record errors
 * array [{"statusCode","message"}]. code and message get "" when none. */
void sf_error_parse(const char *body, size_t n, char *code, size_t code_size, char *message,
                    size_t message_size);

/* What to do about an answer. */
typedef enum {
    SF_OK,    /* 2xx */
    SF_RENEW, /* 401: a new token, then again (once) */
    SF_LIMIT, /* 403 REQUEST_LIMIT_EXCEEDED: back off long */
    SF_RETRY, /* 503, other 5xx, 429, 408: back off */
    SF_FAIL   /* anything else: not retried */
} sf_action;
sf_action sf_classify(long status, const char *code);

/* One record's outcome of a collection call. */
typedef struct sf_rec_result {
    int success;
    int created;      /* upsert: 1 created, 0 updated */
    char id[19];      /* the record's id ("" when failed) */
    char error[1024]; /* "STATUS_CODE: message" of its first error when failed */
} sf_rec_result;

/* The results array of a collection call, in order, into out[0..n): exactly
 * n results expected (HAIL_EREMOTE otherwise). */
hail_err sf_results_parse(json_t *arr, sf_rec_result *out, size_t n);

/* Appends a SOQL string literal's body (between the quotes) to out:
 * backslash, single quote and the LIKE wildcards are escaped when like. */
struct buf;
hail_err sf_soql_quote(struct buf *out, const char *s, int like);

/* ---- the client ---- */

typedef struct sf_client sf_client;

/* A client for one thread; stop (may be NULL) interrupts calls and waits. */
hail_err sf_client_new(const sf_config *c, const atomic_int *stop, sf_client **out);
void sf_client_free(sf_client *s);
/* Data API calls made (each counts against the org's daily limit). */
uint64_t sf_client_calls(const sf_client *s);
/* The integration user's id from the token ("" before a login). */
const char *sf_client_user(const sf_client *s);
/* The Sforce-Limit-Info of the last answer ("api-usage=N/M"; "" if none). */
const char *sf_client_usage(const sf_client *s);

/* Fetches a token now (also done by the first call). HAIL_EAUTH when the
 * credentials are refused, with Salesforce's description. */
hail_err sf_login(sf_client *s);

/* One data API call with the retry rules: path below
 * /services/data/vNN.N (e.g. "/sobjects/Task/describe"), or a full path
 * starting with /services/ (a nextRecordsUrl). body: JSON for POST/PATCH
 * (NULL: none). *status gets the final HTTP status and *out (may be NULL)
 * the parsed JSON answer (NULL for an empty one; json_decref it). A final
 * answer that is not 2xx is HAIL_EREMOTE with "HTTP N CODE: message";
 * HAIL_ENOTFOUND for 404. Retries exhausted: HAIL_EIO (HAIL_EQUOTA when
 * Salesforce kept answering REQUEST_LIMIT_EXCEEDED). */
hail_err sf_call(sf_client *s, const char *method, const char *path, const char *body, long *status,
                 json_t **out);

/* Whether sobject has the field (a describe): *present 1 / 0; *external 1
 * when it is marked External ID. */
hail_err sf_describe_field(sf_client *s, const char *sobject, const char *field, int *present,
                           int *external);

/* Runs a SOQL query, calling each(ctx, record) for every record of every
 * page (nextRecordsUrl until done). A non-zero return from each stops and
 * is returned. */
hail_err sf_query(sf_client *s, const char *soql, hail_err (*each)(void *ctx, json_t *rec),
                  void *ctx);

/* An sObject Collections call of records (an array of ≤ SF_MAX_RECORDS
 * objects with attributes.type): method "POST" path "/composite/sobjects"
 * (create) or "PATCH" "/composite/sobjects/Task/<field>" (upsert). The
 * results, in order, into res[0..n) (n = the array's size). A create whose
 * connection is lost after it was sent is not resent (HAIL_EIO): the
 * caller reconciles; 503 and REQUEST_LIMIT_EXCEEDED (nothing done) are. */
hail_err sf_collection(sf_client *s, const char *method, const char *path, json_t *records,
                       sf_rec_result *res);

#endif
