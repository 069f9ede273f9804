#include "core/common.h"

/* The Salesforce outbox (sync/sf_outbox.h; docs/outbox.md "To Salesforce"). */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mustache.h"
#include "core/timeutil.h"
#include "mail/unsub.h"
#include "net/outbound.h"
#include "store/db.h"
#include "store/lease.h"
#include "svc/activity.h"
#include "svc/settings.h"
#include "sync/sf_client.h"
#include "sync/sf_optouts.h"
#include "sync/sf_outbox.h"
#include "sync/sf_tasks.h"

#define LEASE_NAME     "salesforce.outbox"
#define LEASE_TTL_US   (INT64_C(60) * 1000000)
#define LEASE_RENEW_US (INT64_C(10) * 1000000)
#define IDLE_US        (INT64_C(200) * 1000)
#define BUSY_WAIT_US   (INT64_C(2) * 1000000)
#define ERROR_BASE_US  (INT64_C(1) * 1000000)
#define ERROR_CAP_US   (INT64_C(120) * 1000000)
#define POLL_DEFAULT_S 60
/* A reconcile reads Tasks created since the batch started, less this, for
 * the clocks of hail and Salesforce. */
#define RECONCILE_MARGIN_US (INT64_C(600) * 1000000)
#define DESCRIPTION_MAX     32000
/* Rows read at once for the upsert pipeline: 5 calls' worth. */
#define PIPE_ROWS (5 * SF_MAX_RECORDS)

/* ---- pure parts ---- */

static int is_task_type(const char *type)
{
    static const char *const kinds[] = {ACT_EMAIL_SEND,     ACT_EMAIL_OPEN,   ACT_EMAIL_CLICK,
                                        ACT_EMAIL_REPLY,    ACT_EMAIL_BOUNCE, ACT_CALL,
                                        ACT_EMAIL_AUTOREPLY};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(type, kinds[i]))
            return 1;
    return 0;
}

int sf_type_logged(const char *types_json, const char *type)
{
    if (!type || !is_task_type(type))
        return 0;
    json_t *a = types_json ? json_loads(types_json, 0, NULL) : NULL;
    int ok = json_is_array(a), found = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v))
            ok = 0;
        else if (!strcmp(json_string_value(v), type))
            found = 1;
    }
    json_decref(a);
    if (ok)
        return found;
    return !strcmp(type, ACT_EMAIL_SEND) || !strcmp(type, ACT_EMAIL_REPLY) ||
           !strcmp(type, ACT_CALL);
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

void sf_who_what(const outbox_row *r, const char **who, const char **what)
{
    *who = nonempty(r->sfdc_contact_id) ? r->sfdc_contact_id : nonempty(r->sfdc_lead_id);
    *what =
        nonempty(r->sfdc_opportunity_id) ? r->sfdc_opportunity_id : nonempty(r->sfdc_account_id);
}

size_t sf_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--; /* s[k] starts the character that does not fit */
    return k;
}

static int is_call(const outbox_row *r)
{
    return !strcmp(r->type, ACT_CALL);
}

json_t *sf_subject_vars(const outbox_row *r)
{
    const char *name = activity_type_name(r->type);
    const char *subject = is_call(r) ? r->call_outcome : r->email_subject;
    json_t *v = json_object();
    if (!v)
        return NULL;
    json_object_set_new(v, "activity_type", json_string(name ? name : r->type));
    json_object_set_new(v, "activity_subject", subject ? json_string(subject) : json_null());
    json_object_set_new(v, "sales_campaign_name",
                        r->campaign_name ? json_string(r->campaign_name) : json_null());
    json_object_set_new(v, "sales_person", r->user_name ? json_string(r->user_name) : json_null());
    json_object_set_new(v, "sales_person_email",
                        r->user_email ? json_string(r->user_email) : json_null());
    json_object_set_new(v, "person_email",
                        r->person_email ? json_string(r->person_email) : json_null());
    json_object_set_new(v, "template_name",
                        r->template_name ? json_string(r->template_name) : json_null());
    json_object_set_new(v, "call_outcome",
                        r->call_outcome ? json_string(r->call_outcome) : json_null());
    json_object_set_new(v, "call_number",
                        r->call_number ? json_string(r->call_number) : json_null());
    json_object_set_new(v, "activity_id", json_integer(r->pos.id));
    return v;
}

hail_err sf_subject(const char *tpl, const outbox_row *r, const char *suffix, buf *out)
{
    buf_reset(out);
    json_t *vars = sf_subject_vars(r);
    if (!vars)
        return HAIL_ENOMEM;
    mustache_opts o = {.escape_html = 0};
    buf tmp = BUF_INIT(64 * 1024);
    hail_err e = HAIL_ETOOBIG;
    if (tpl && *tpl)
        e = mustache_render(tpl, strlen(tpl), vars, &o, &tmp);
    if (e) {
        hail_errclear();
        buf_reset(&tmp);
        e = mustache_render(SF_DEFAULT_SUBJECT, strlen(SF_DEFAULT_SUBJECT), vars, &o, &tmp);
    }
    json_decref(vars);
    if (e) {
        buf_release(&tmp);
        return e;
    }
    size_t slen = suffix ? strlen(suffix) : 0;
    /* Line breaks do not belong in a subject line. */
    for (size_t i = 0; i < tmp.len; i++)
        if (tmp.data[i] == '\r' || tmp.data[i] == '\n' || tmp.data[i] == '\t')
            tmp.data[i] = ' ';
    size_t keep = sf_utf8_cut(tmp.data ? tmp.data : "", tmp.len,
                              slen < SF_SUBJECT_MAX ? SF_SUBJECT_MAX - slen : 0);
    e = buf_append(out, tmp.data ? tmp.data : "", keep);
    if (!e && slen)
        e = buf_append(out, suffix, slen);
    if (!e && !out->len)
        e = buf_puts(out, activity_type_name(r->type) ? activity_type_name(r->type) : r->type);
    buf_release(&tmp);
    return e;
}

int64_t sf_subject_hail_id(const char *subject)
{
    size_t n = subject ? strlen(subject) : 0;
    if (n < 9 || subject[n - 1] != ']')
        return 0;
    size_t i = n - 1;
    int64_t id = 0, mul = 1;
    while (i > 0 && subject[i - 1] >= '0' && subject[i - 1] <= '9' && n - i < 19) {
        id += (subject[i - 1] - '0') * mul;
        mul *= 10;
        i--;
    }
    if (i == n - 1 || i < 7 || memcmp(subject + i - 7, " [hail ", 7))
        return 0;
    return id;
}

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v && *v)
        json_object_set_new(o, key, json_string(v));
}

json_t *sf_task_record(const outbox_row *r, const char *subject, const char *ext_field)
{
    const char *who, *what;
    sf_who_what(r, &who, &what);
    json_t *t = json_pack("{s:{s:s}}", "attributes", "type", "Task");
    if (!t)
        return NULL;
    set_str(t, "Subject", subject);
    set_str(t, "WhoId", who);
    set_str(t, "WhatId", what);
    char date[TIME_ISO_LEN];
    time_format_iso(r->occurred_at, date);
    date[10] = '\0';
    json_object_set_new(t, "ActivityDate", json_string(date));
    json_object_set_new(t, "Status", json_string("Completed"));
    json_object_set_new(t, "Type",
                        json_string(is_call(r)                          ? "Call"
                                    : !strcmp(r->type, ACT_EMAIL_REPLY) ? "Reply"
                                                                        : "Email"));
    buf d = BUF_INIT(DESCRIPTION_MAX);
    const char *name = activity_type_name(r->type);
    (void)buf_printf(&d, "%s", name ? name : r->type);
    if (r->email_subject)
        (void)buf_printf(&d, "\nEmail subject: %s", r->email_subject);
    if (r->template_name)
        (void)buf_printf(&d, "\nTemplate: %s", r->template_name);
    if (r->campaign_name)
        (void)buf_printf(&d, "\nSales campaign: %s", r->campaign_name);
    if (r->user_name || r->user_email)
        (void)buf_printf(&d, "\nSales person: %s%s%s%s", r->user_name ? r->user_name : "",
                         r->user_name && r->user_email ? " <" : "",
                         r->user_email ? r->user_email : "",
                         r->user_name && r->user_email ? ">" : "");
    if (r->call_number)
        (void)buf_printf(&d, "\nNumber: %s", r->call_number);
    if (r->call_notes)
        (void)buf_printf(&d, "\nNotes: %s", r->call_notes);
    (void)buf_printf(&d, "\nhail activity %lld", (long long)r->pos.id);
    size_t keep = sf_utf8_cut(d.data ? d.data : "", d.len, DESCRIPTION_MAX);
    json_object_set_new(t, "Description", json_stringn(d.data ? d.data : "", keep));
    buf_release(&d);
    if (is_call(r)) {
        if (r->call_duration_s > 0)
            json_object_set_new(t, "CallDurationInSeconds", json_integer(r->call_duration_s));
        if (r->call_outcome) {
            size_t n = strlen(r->call_outcome);
            json_object_set_new(
                t, "CallDisposition",
                json_stringn(r->call_outcome, sf_utf8_cut(r->call_outcome, n, 255)));
        }
    }
    if (ext_field) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)r->pos.id);
        json_object_set_new(t, ext_field, json_string(id));
    }
    return t;
}

/* ---- the worker ---- */

typedef struct worker {
    db *d;
    sf_client *s;  /* the worker thread's */
    sf_client *s2; /* the pipeline's sender thread's */
    uint64_t calls_recorded;
    const atomic_int *stop;
    int ext; /* -1 unknown, 0 missing, 1 present */
    char *types, *subject_tpl;
} worker;

static void load_settings(worker *w)
{
    free(w->types);
    free(w->subject_tpl);
    w->types = w->subject_tpl = NULL;
    if (db_kv_get(w->d, SF_KV_TYPES, &w->types))
        hail_errclear();
    if (db_kv_get(w->d, SF_KV_SUBJECT, &w->subject_tpl))
        hail_errclear();
}

static hail_err check_field(worker *w)
{
    int present, external;
    hail_err e = sf_describe_field(w->s, "Task", SF_EXT_FIELD, &present, &external);
    if (e)
        return e;
    w->ext = present && external;
    log_info("salesforce: Task.%s is %s: %s", SF_EXT_FIELD, w->ext ? "present" : "missing",
             w->ext ? "Tasks are upserted by hail's activity id"
                    : "Tasks are created and reconciled by subject after a crash");
    return db_kv_set(w->d, SF_KV_EXTERNAL_ID, w->ext ? "present" : "missing");
}

/* Reconcile: the hail ids of the Tasks created since `since` whose subject
 * ends with " [hail <id>]". */
typedef struct found_set {
    int64_t *ids;
    size_t n, cap;
} found_set;

static hail_err on_found(void *ctx, json_t *rec)
{
    found_set *f = ctx;
    int64_t id = sf_subject_hail_id(json_string_value(json_object_get(rec, "Subject")));
    if (!id)
        return HAIL_OK;
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 256;
        int64_t *ni = realloc(f->ids, nc * sizeof *ni);
        if (!ni)
            return HAIL_ENOMEM;
        f->ids = ni;
        f->cap = nc;
    }
    f->ids[f->n++] = id;
    return HAIL_OK;
}

static int found_has(const found_set *f, int64_t id)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->ids[i] == id)
            return 1;
    return 0;
}

static hail_err query_created(worker *w, int64_t since, found_set *f)
{
    char iso[TIME_ISO_LEN];
    time_format_iso(since, iso);
    char soql[256];
    snprintf(soql, sizeof soql,
             "SELECT Id, Subject FROM Task WHERE Subject LIKE '%%[hail %%' AND CreatedDate >= %s",
             iso);
    return sf_query(w->s, soql, on_found, f);
}

/* A slice of the log made ready to send: its Tasks, and the outcome of
 * each row that is Salesforce's business (res[0..nres)). */
typedef struct prepared {
    outbox_result *res;
    char **reasons;     /* owned copies behind res[i].reason */
    size_t *task_of;    /* task k is res[task_of[k]] */
    sf_rec_result *out; /* the Tasks' results */
    json_t *tasks;
    size_t nres, ntasks;
    feed_pos end; /* where the cursor goes when it is recorded */
    /* the sender thread's */
    sf_client *client;
    int ext;
    hail_err send_err;
    char send_msg[1024];
} prepared;

static void prepared_free(prepared *p)
{
    for (size_t i = 0; p->reasons && i < p->nres; i++)
        free(p->reasons[i]);
    free(p->reasons);
    free(p->res);
    free(p->task_of);
    free(p->out);
    json_decref(p->tasks);
    memset(p, 0, sizeof *p);
}

static hail_err skip(prepared *p, int64_t id, int retry, const char *reason)
{
    p->res[p->nres].activity_id = id;
    p->res[p->nres].retry = retry;
    if (reason) {
        if (!(p->reasons[p->nres] = strdup(reason)))
            return HAIL_ENOMEM;
        p->res[p->nres].reason = p->reasons[p->nres];
    }
    p->nres++;
    return HAIL_OK;
}

/* Makes rows[0..n) ready: opt-outs pushed now (w->s), Tasks built; found
 * (NULL: none) holds the ids a reconcile found created; again: a reconcile
 * (its rows may have old skips to clear). */
static hail_err prepare(worker *w, outbox_row *rows, size_t n, const found_set *found, int again,
                        prepared *p)
{
    memset(p, 0, sizeof *p);
    size_t m = n ? n : 1;
    p->res = calloc(m, sizeof *p->res);
    p->reasons = calloc(m, sizeof *p->reasons);
    p->task_of = calloc(m, sizeof *p->task_of);
    p->out = calloc(m, sizeof *p->out);
    p->tasks = json_array();
    p->ext = w->ext;
    if (!p->res || !p->reasons || !p->task_of || !p->out || !p->tasks)
        return HAIL_ENOMEM;
    buf subj = BUF_INIT(4096);
    char reason[1024];
    hail_err e = HAIL_OK;
    for (size_t i = 0; i < n && !e; i++) {
        outbox_row *r = &rows[i];
        if (!r->retry)
            p->end = r->pos;
        int opt = !strcmp(r->type, ACT_UNSUBSCRIBE) || !strcmp(r->type, ACT_RESUBSCRIBE);
        json_t *src = opt ? json_object_get(r->attrs, "source") : NULL;
        /* not Salesforce's business: an opt-out that came from Salesforce (not
         * sent back), a type not logged; a re-queued one is cleared */
        if ((opt && json_is_string(src) && !strcmp(json_string_value(src), UNSUB_SALESFORCE)) ||
            (!opt && !sf_type_logged(w->types, r->type))) {
            if (r->retry || again) {
                p->res[p->nres].activity_id = r->pos.id;
                p->res[p->nres].pass = 1;
                p->res[p->nres++].retry = 1;
            }
            continue;
        }
        if (opt) {
            int skipped;
            if (!(e = sf_optout_push(w->s, r, reason, sizeof reason, &skipped)))
                e = skip(p, r->pos.id, r->retry || again, skipped ? reason : NULL);
            continue;
        }
        const char *who, *what;
        sf_who_what(r, &who, &what);
        if (!who) {
            snprintf(reason, sizeof reason, "person %lld has no Salesforce lead or contact id",
                     (long long)r->person_id);
            e = skip(p, r->pos.id, r->retry || again, reason);
            continue;
        }
        if (found && found_has(found, r->pos.id)) {
            e = skip(p, r->pos.id, r->retry || again, NULL); /* created before the crash */
            continue;
        }
        char suffix[40];
        snprintf(suffix, sizeof suffix, " [hail %lld]", (long long)r->pos.id);
        if ((e = sf_subject(w->subject_tpl, r, w->ext ? NULL : suffix, &subj)))
            break;
        json_t *t = sf_task_record(r, buf_cstr(&subj), w->ext ? SF_EXT_FIELD : NULL);
        if (!t || json_array_append_new(p->tasks, t)) {
            e = HAIL_ENOMEM;
            break;
        }
        p->task_of[p->ntasks++] = p->nres;
        e = skip(p, r->pos.id, r->retry || again, NULL);
    }
    buf_release(&subj);
    return e;
}

/* Sends p's Tasks with client (upsert or create); failed records become
 * skips with Salesforce's reason. */
static hail_err send_tasks(sf_client *client, prepared *p)
{
    if (!p->ntasks)
        return HAIL_OK;
    hail_err e = p->ext ? sf_collection(client, "PATCH", "/composite/sobjects/Task/" SF_EXT_FIELD,
                                        p->tasks, p->out)
                        : sf_collection(client, "POST", "/composite/sobjects", p->tasks, p->out);
    if (e)
        return e;
    for (size_t k = 0; k < p->ntasks; k++) {
        size_t i = p->task_of[k];
        if (p->out[k].success)
            continue;
        free(p->reasons[i]);
        if (!(p->reasons[i] = strdup(p->out[k].error)))
            return HAIL_ENOMEM;
        p->res[i].reason = p->reasons[i];
    }
    return HAIL_OK;
}

/* The calls made since the last record (both clients). */
static int64_t calls_since(worker *w)
{
    uint64_t now = sf_client_calls(w->s) + (w->s2 ? sf_client_calls(w->s2) : 0);
    int64_t d = (int64_t)(now - w->calls_recorded);
    w->calls_recorded = now;
    return d;
}

/* Sends rows (read after the cursor, or a batch left in flight by a crash:
 * reconcile_since its start) and records the outcome with the cursor at end.
 * batch_id: the batch in flight (0: none yet). */
static hail_err process(worker *w, outbox_row *rows, size_t n, feed_pos end, int64_t batch_id,
                        int64_t reconcile_since)
{
    found_set found = {0};
    prepared p;
    hail_err e = HAIL_OK;
    if (reconcile_since && !w->ext &&
        (e = query_created(w, reconcile_since - RECONCILE_MARGIN_US, &found))) {
        free(found.ids);
        return e;
    }
    e = prepare(w, rows, n, reconcile_since && !w->ext ? &found : NULL, reconcile_since != 0, &p);
    free(found.ids);
    if (!e && p.ntasks && !w->ext && !batch_id) {
        int64_t *ids = calloc(n ? n : 1, sizeof *ids);
        if (!ids)
            e = HAIL_ENOMEM;
        for (size_t i = 0; ids && i < n; i++)
            ids[i] = rows[i].pos.id;
        if (!e)
            e = outbox_batch_begin(w->d, SF_CONSUMER, ids, n, end, &batch_id);
        free(ids);
    }
    if (!e)
        e = send_tasks(w->s, &p);
    if (!e)
        e = outbox_batch_finish(w->d, SF_CONSUMER, batch_id, end, p.res, p.nres, calls_since(w));
    prepared_free(&p);
    return e;
}

/* ---- the pipeline (upserts): the next slice is prepared, and the one
 * before recorded, while a slice is on its way to Salesforce ---- */

static void *sender_main(void *arg)
{
    prepared *p = arg;
    p->send_err = send_tasks(p->client, p);
    if (p->send_err)
        snprintf(p->send_msg, sizeof p->send_msg, "%s",
                 *hail_errmsg() ? hail_errmsg() : hail_strerror(p->send_err));
    return NULL;
}

static hail_err send_join(pthread_t t, prepared *p)
{
    pthread_join(t, NULL);
    if (p->send_err)
        return hail_errf(p->send_err, "%s", p->send_msg);
    return HAIL_OK;
}

static hail_err pipeline(worker *w, outbox_row *rows, size_t n)
{
    prepared slot[2];
    memset(slot, 0, sizeof slot);
    pthread_t sender;
    int in_flight = 0, cur = 0;
    hail_err e = HAIL_OK;
    for (size_t off = 0; off < n && !e; off += SF_MAX_RECORDS) {
        size_t m = n - off < SF_MAX_RECORDS ? n - off : SF_MAX_RECORDS;
        prepared *p = &slot[cur];
        if ((e = prepare(w, rows + off, m, NULL, 0, p)))
            break;
        p->client = w->s2;
        if (in_flight) {
            prepared *prev = &slot[1 - cur];
            in_flight = 0;
            if ((e = send_join(sender, prev)))
                break;
            if (pthread_create(&sender, NULL, sender_main, p)) {
                e = hail_errf(HAIL_ENOMEM, "cannot start a sender thread");
                break;
            }
            in_flight = 1;
            e = outbox_batch_finish(w->d, SF_CONSUMER, 0, prev->end, prev->res, prev->nres,
                                    calls_since(w));
            prepared_free(prev);
        } else {
            if (pthread_create(&sender, NULL, sender_main, p)) {
                e = hail_errf(HAIL_ENOMEM, "cannot start a sender thread");
                break;
            }
            in_flight = 1;
        }
        cur = 1 - cur;
    }
    if (in_flight) {
        prepared *last = &slot[1 - cur];
        hail_err se = send_join(sender, last);
        if (!e && !(e = se))
            e = outbox_batch_finish(w->d, SF_CONSUMER, 0, last->end, last->res, last->nres,
                                    calls_since(w));
    }
    prepared_free(&slot[0]);
    prepared_free(&slot[1]);
    return e;
}

static hail_err reconcile(worker *w)
{
    outbox_batch *b;
    size_t nb;
    hail_err e = outbox_batches(w->d, SF_CONSUMER, &b, &nb);
    for (size_t i = 0; i < nb && !e; i++) {
        outbox_row *rows;
        size_t n;
        if ((e = outbox_read_ids(w->d, b[i].activity_ids, b[i].n, &rows, &n)))
            break;
        log_info("salesforce: reconciling a batch of %zu activities left in flight", n);
        /* A create the crashed hail sent may still be running in Salesforce:
         * its Tasks are listed once it ends. */
        int64_t ready =
            b[i].started_at + (int64_t)settings()->salesforce_reconcile_seconds * US_PER_SEC;
        while (time_now_us() < ready && !atomic_load(w->stop))
            time_sleep_us(100 * 1000, w->stop);
        if (atomic_load(w->stop)) {
            outbox_rows_free(rows, n);
            free(rows);
            e = hail_errf(HAIL_ECANCELLED, "stopped");
            break;
        }
        e = process(w, rows, n, b[i].end, b[i].id, b[i].started_at ? b[i].started_at : 1);
        outbox_rows_free(rows, n);
        free(rows);
    }
    if (!e || nb)
        outbox_batches_free(b, nb);
    return e;
}

/* One read of the log: *did 1 when there was something. */
static hail_err drain(worker *w, int *did)
{
    outbox_row *rows;
    size_t n;
    feed_pos end;
    *did = 0;
    hail_err e =
        outbox_read(w->d, SF_CONSUMER, w->ext ? PIPE_ROWS : SF_MAX_RECORDS, &rows, &n, &end);
    if (e || !n)
        return e;
    *did = 1;
    load_settings(w);
    e = w->ext ? pipeline(w, rows, n) : process(w, rows, n, end, 0, 0);
    outbox_rows_free(rows, n);
    free(rows);
    return e;
}

static int64_t poll_interval_us(worker *w)
{
    char *v = NULL;
    double s = POLL_DEFAULT_S;
    if (db_kv_get(w->d, SF_KV_POLL, &v))
        hail_errclear();
    if (v) {
        char *end;
        double x = strtod(v, &end);
        if (end != v && !*end && x >= 0.05 && x <= 86400)
            s = x;
        free(v);
    }
    return (int64_t)(s * US_PER_SEC);
}

/* ---- the thread ---- */

static struct {
    pthread_t thread;
    int running;
    atomic_int stop;
    char *db_path;
    sf_config cfg;
} W;

static void *worker_main(void *arg)
{
    (void)arg;
    worker w = {.stop = &W.stop, .ext = -1};
    char owner[40];
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    snprintf(owner, sizeof owner, "sf-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    hail_err e = db_thread(W.db_path, &w.d);
    if (!e)
        e = sf_client_new(&W.cfg, &W.stop, &w.s);
    if (!e)
        e = sf_client_new(&W.cfg, &W.stop, &w.s2);
    if (e) {
        log_error("salesforce outbox: %s", hail_errmsg());
        return NULL;
    }
    int64_t leased_at = 0, next_poll = 0;
    int failures = 0, reconciled = 0;
    while (!atomic_load(&W.stop)) {
        int64_t now = time_mono_us();
        if (!leased_at || now - leased_at >= LEASE_RENEW_US) {
            if (lease_take(w.d, LEASE_NAME, owner, LEASE_TTL_US, NULL)) {
                hail_errclear();
                leased_at = 0;
                reconciled = 0;
                time_sleep_us(BUSY_WAIT_US, &W.stop);
                continue;
            }
            leased_at = now;
        }
        int did = 0;
        if (w.ext < 0)
            e = check_field(&w);
        else if (!reconciled) {
            load_settings(&w);
            if (!(e = reconcile(&w)))
                reconciled = 1;
        } else {
            e = drain(&w, &did);
            if (!e && !did)
                e = sf_tasks_push(w.s, w.d, w.ext, &did);
            if (!e && !did && now >= next_poll) {
                e = sf_optouts_poll(w.s, w.d);
                if (!e)
                    e = sf_tasks_poll(w.s, w.d);
                next_poll = time_mono_us() + poll_interval_us(&w);
            }
        }
        if (e == HAIL_ECANCELLED)
            break;
        if (e) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", *hail_errmsg() ? hail_errmsg() : hail_strerror(e));
            log_warn("salesforce outbox: %s", msg);
            if (outbox_note_error(w.d, SF_CONSUMER, msg, 0))
                hail_errclear();
            if (w.ext == 0)
                reconciled = 0; /* a batch may be left in flight */
            if (e == HAIL_EREMOTE)
                w.ext = -1; /* the field may have gone (or come): describe again */
            int64_t d =
                ob_backoff_us(failures++, ERROR_BASE_US, ERROR_CAP_US, randombytes_random());
            time_sleep_us(d, &W.stop);
            continue;
        }
        failures = 0;
        if (!did && reconciled)
            time_sleep_us(IDLE_US, &W.stop);
    }
    if (leased_at && lease_release(w.d, LEASE_NAME, owner))
        hail_errclear();
    free(w.types);
    free(w.subject_tpl);
    sf_client_free(w.s);
    sf_client_free(w.s2);
    return NULL;
}

hail_err sf_outbox_start(const char *db_path)
{
    if (W.running || !salesforce_configured())
        return HAIL_OK;
    hail_err e = sf_config_load(&W.cfg);
    if (e)
        return e;
    W.db_path = strdup(db_path);
    atomic_store(&W.stop, 0);
    if (!W.db_path || pthread_create(&W.thread, NULL, worker_main, NULL)) {
        free(W.db_path);
        sf_config_release(&W.cfg);
        return hail_errf(HAIL_ENOMEM, "cannot start the Salesforce outbox");
    }
    W.running = 1;
    log_info("salesforce outbox: started (login host %s)", W.cfg.login_url);
    return HAIL_OK;
}

void sf_outbox_stop(void)
{
    if (!W.running)
        return;
    atomic_store(&W.stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    pthread_join(W.thread, NULL);
    W.running = 0;
    free(W.db_path);
    W.db_path = NULL;
    sf_config_release(&W.cfg);
}
