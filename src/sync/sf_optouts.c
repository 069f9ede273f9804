#include "core/common.h"

/* Opt-outs both ways with Salesforce (sync/sf_optouts.h; docs/outbox.md "To
 * Salesforce"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "mail/unsub.h"
#include "store/sfdc.h"
#include "svc/activity.h"
#include "sync/sf_optouts.h"
#include "sync/sf_outbox.h"

#define KV_OPTOUT_SINCE "integrations.salesforce.optout_since."
/* The first poll's cursor: a margin before it began, for the clocks of hail
 * and Salesforce. */
#define RECONCILE_MARGIN_US (INT64_C(600) * 1000000)

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* ---- opt-outs out ---- */

/* One opt-out change made in hail: HasOptedOutOfEmail on the contact (else
 * the lead), unless Salesforce changed it after hail did (the later change
 * wins; the poll then brings Salesforce's value in). NULL reason: done. */
hail_err sf_optout_push(sf_client *s, const outbox_row *r, char *reason, size_t size, int *skip)
{
    *skip = 0;
    const char *who, *what;
    sf_who_what(r, &who, &what);
    if (!who) {
        snprintf(reason, size, "person %lld has no Salesforce lead or contact id",
                 (long long)r->person_id);
        *skip = 1;
        return HAIL_OK;
    }
    const char *obj = nonempty(r->sfdc_contact_id) ? "Contact" : "Lead";
    char path[128];
    snprintf(path, sizeof path, "/sobjects/%s/%s", obj, who);
    json_t *rec = NULL;
    long st;
    hail_err e = sf_call(s, "GET", path, NULL, &st, &rec);
    if (e == HAIL_ENOTFOUND || e == HAIL_EREMOTE) {
        snprintf(reason, size, "%s %s: %s", obj, who, hail_errmsg());
        hail_errclear();
        *skip = 1;
        return HAIL_OK;
    }
    if (e)
        return e;
    json_t *stamp = json_object_get(rec, "SystemModstamp");
    json_t *by = json_object_get(rec, "LastModifiedById");
    int64_t at = 0;
    if (json_is_string(stamp) &&
        time_parse_iso(json_string_value(stamp), json_string_length(stamp), &at))
        hail_errclear(), at = 0;
    int want = !strcmp(r->type, ACT_UNSUBSCRIBE);
    int theirs = json_is_string(by) && strcmp(json_string_value(by), sf_client_user(s)) &&
                 strncmp(json_string_value(by), sf_client_user(s), 15);
    int same = json_is_boolean(json_object_get(rec, "HasOptedOutOfEmail")) &&
               json_is_true(json_object_get(rec, "HasOptedOutOfEmail")) == want;
    json_decref(rec);
    /* Salesforce's own later change wins (the poll brings it to hail), and a
     * value already there needs no write. */
    if (same || (theirs && at / 1000000 > r->occurred_at / 1000000))
        return HAIL_OK;
    e = sf_call(s, "PATCH", path,
                want ? "{\"HasOptedOutOfEmail\":true}" : "{\"HasOptedOutOfEmail\":false}", &st,
                NULL);
    if (e == HAIL_ENOTFOUND || e == HAIL_EREMOTE) {
        snprintf(reason, size, "%s %s: %s", obj, who, hail_errmsg());
        hail_errclear();
        *skip = 1;
        return HAIL_OK;
    }
    return e;
}

/* ---- opt-outs in: Leads and Contacts changed since the cursor ---- */

typedef struct poll_ctx {
    sf_client *s;
    db *d;
    int contact;
    int64_t max_stamp;
    size_t changed;
} poll_ctx;

static hail_err on_person(void *ctx, json_t *rec)
{
    poll_ctx *p = ctx;
    const char *id = json_string_value(json_object_get(rec, "Id"));
    json_t *stamp = json_object_get(rec, "SystemModstamp");
    json_t *by = json_object_get(rec, "LastModifiedById");
    int64_t at = 0;
    if (!id || !json_is_string(stamp) ||
        time_parse_iso(json_string_value(stamp), json_string_length(stamp), &at)) {
        hail_errclear();
        return HAIL_OK;
    }
    if (at > p->max_stamp)
        p->max_stamp = at;
    /* hail's own write coming back: nothing to bring in */
    if (json_is_string(by) && *sf_client_user(p->s) &&
        !strncmp(json_string_value(by), sf_client_user(p->s), 15))
        return HAIL_OK;
    int want = json_is_true(json_object_get(rec, "HasOptedOutOfEmail"));
    int64_t people[16];
    size_t np;
    hail_err e = sfdc_people(p->d, p->contact, id, people, 16, &np);
    for (size_t i = 0; i < np && !e; i++) {
        int unsub;
        int64_t changed;
        if ((e = unsub_state(p->d, people[i], &unsub)) ||
            (e = sfdc_unsub_changed_at(p->d, people[i], &changed)))
            break;
        if (unsub == want || changed > at)
            continue; /* the same, or hail's change is the later one */
        e = unsub_change(p->d, people[i], want ? "unsubscribe" : "resubscribe", UNSUB_SALESFORCE, 0,
                         0, NULL);
        if (!e)
            p->changed++;
    }
    return e;
}

hail_err sf_optouts_poll(sf_client *s, db *d)
{
    static const char *const objs[] = {"Lead", "Contact"};
    for (int k = 0; k < 2; k++) {
        char key[96], soql[256];
        snprintf(key, sizeof key, KV_OPTOUT_SINCE "%s", objs[k]);
        char *since = NULL;
        hail_err e = db_kv_get(d, key, &since);
        if (e)
            return e;
        int64_t started = time_now_us();
        /* The first poll brings in the opt-outs there are; later ones every
         * change since the last (SystemModstamp is not unique: >= and the
         * whole second, at the cost of reading a few again). */
        if (!since)
            snprintf(soql, sizeof soql,
                     "SELECT Id, HasOptedOutOfEmail, SystemModstamp, LastModifiedById FROM %s "
                     "WHERE HasOptedOutOfEmail = true",
                     objs[k]);
        else
            snprintf(soql, sizeof soql,
                     "SELECT Id, HasOptedOutOfEmail, SystemModstamp, LastModifiedById FROM %s "
                     "WHERE SystemModstamp >= %.20s ORDER BY SystemModstamp",
                     objs[k], since);
        poll_ctx p = {.s = s, .d = d, .contact = k == 1};
        e = sf_query(s, soql, on_person, &p);
        if (!e) {
            /* after the first poll: from (a margin before) when it began, not
             * from the oldest opt-out it found */
            int64_t next = since && p.max_stamp ? p.max_stamp : started - RECONCILE_MARGIN_US;
            if (since) {
                int64_t old = 0;
                if (time_parse_iso(since, strlen(since), &old))
                    hail_errclear();
                if (!p.max_stamp || next < old)
                    next = old;
            }
            char iso[TIME_ISO_LEN];
            time_format_iso(next, iso);
            e = db_kv_set(d, key, iso);
        }
        if (p.changed)
            log_info("salesforce: %zu opt-out change%s from %ss brought in", p.changed,
                     p.changed == 1 ? "" : "s", objs[k]);
        free(since);
        if (e)
            return e;
    }
    return HAIL_OK;
}
