#include "core/common.h"

/* The trigger evaluator (svc/triggers.h): the log consumer "triggers". */
#include <pthread.h>
#include <sodium.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "store/feed.h"
#include "store/filters.h"
#include "store/lease.h"
#include "store/outbox.h"
#include "store/triggers.h"
#include "store/users.h"
#include "svc/campaigns.h"
#include "svc/tasks.h"
#include "svc/triggers.h"

#define LEASE_TTL_US (INT64_C(30) * 1000000)
#define POLL_US      (INT64_C(500) * 1000)
#define RETRY_US     (INT64_C(5) * 1000000)
/* A batch's transaction stops taking activities after this long (SQLite's
 * one writer waits meanwhile); the cursor moves to the last one done. */
#define HOLD_US     (INT64_C(50) * 1000)
#define OUTCOME_MAX 500

/* An enabled trigger with its filter, for one batch. */
typedef struct trig_eval {
    trig_row row;
    json_t *definition; /* the filter's; NULL: the filter is gone (never fires) */
    json_t *types;      /* the activity types it mentions; empty: all */
} trig_eval;

static void evals_free(trig_eval *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].row.name);
        free(t[i].row.action);
        json_decref(t[i].row.config);
        json_decref(t[i].definition);
        json_decref(t[i].types);
    }
    free(t);
}

static hail_err load_triggers(db *d, trig_eval **out, size_t *n)
{
    trig_row *rows;
    hail_err e = trig_db_enabled(d, &rows, n);
    *out = NULL;
    if (e || !*n) {
        free(rows);
        return e;
    }
    trig_eval *t = calloc(*n, sizeof *t);
    if (!t) {
        trig_rows_free(rows, *n);
        *n = 0;
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < *n; i++) {
        t[i].row = rows[i];
        json_t *f = NULL;
        hail_err fe = filter_get(d, rows[i].filter_id, &f);
        if (!fe) {
            t[i].definition = json_incref(json_object_get(f, "definition"));
            t[i].types = trig_filter_types(t[i].definition);
        } else if (fe != HAIL_ENOTFOUND && !e)
            e = fe;
        json_decref(f);
    }
    free(rows); /* the strings moved into t */
    if (e) {
        evals_free(t, *n);
        *n = 0;
        return e;
    }
    *out = t;
    return HAIL_OK;
}

static int mentions(const json_t *types, const char *type)
{
    if (!json_array_size(types))
        return 1;
    size_t i;
    json_t *v;
    json_array_foreach(types, i, v) if (!strcmp(json_string_value(v), type)) return 1;
    return 0;
}

/* The webhook's body: {"trigger":{"id","name"},"activity":FeedEvent,"person","fired_at"}. */
static hail_err webhook(db *d, const trig_eval *t, const feed_row *r, int64_t now, char *outcome,
                        size_t on)
{
    char iso[TIME_ISO_LEN];
    time_format_iso(now, iso);
    json_t *person = json_object_get(r->event, "person");
    json_t *b = json_pack("{s{sI ss} sO sO ss}", "trigger", "id", (json_int_t)t->row.id, "name",
                          t->row.name, "activity", r->event, "person",
                          person ? person : json_null(), "fired_at", iso);
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    if (!body)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    int64_t id = 0;
    hail_err e = wh_db_enqueue(d, t->row.id, r->pos.id, body, now, &id);
    free(body);
    if (!e)
        snprintf(outcome, on, "webhook delivery %lld queued", (long long)id);
    return e;
}

static hail_err add_to_campaign(db *d, const trig_eval *t, const feed_row *r, char *outcome,
                                size_t on)
{
    int64_t cid = json_integer_value(json_object_get(t->row.config, "campaign_id"));
    user u;
    hail_err e = users_get(d, t->row.created_by, &u);
    if (e == HAIL_ENOTFOUND || (!e && !u.active)) {
        snprintf(outcome, on, "refused: the trigger's creator (user %lld) is not active",
                 (long long)t->row.created_by);
        return HAIL_OK;
    }
    if (e)
        return e;
    camp_user cu = {u.id, u.role};
    camp_add_result res;
    camp_refusal ref;
    e = campaign_members_add_tx(d, &cu, cid, &r->person_id, 1, &res, &ref);
    if (e == HAIL_ENOTFOUND || e == HAIL_EFORBIDDEN || e == HAIL_EINVAL) {
        snprintf(outcome, on, "refused: %.400s", hail_errmsg());
        return HAIL_OK;
    }
    if (e)
        return e;
    if (ref.status)
        snprintf(outcome, on, "refused: %.400s", ref.message);
    else if (res.reason)
        snprintf(outcome, on, "refused: %.180s", res.message);
    else
        snprintf(outcome, on, "added to campaign %lld (member %lld)", (long long)cid,
                 (long long)res.member_id);
    return HAIL_OK;
}

static hail_err create_task(db *d, const trig_eval *t, const feed_row *r, int64_t now,
                            char *outcome, size_t on)
{
    const json_t *c = t->row.config;
    json_t *a = json_object_get(c, "assignee_id");
    int64_t assignee = a ? json_integer_value(a) : t->row.created_by;
    user u;
    hail_err e = users_get(d, assignee, &u);
    if (e == HAIL_ENOTFOUND || (!e && !u.active)) {
        snprintf(outcome, on, "refused: the assignee (user %lld) is not active",
                 (long long)assignee);
        return HAIL_OK;
    }
    if (e)
        return e;
    const char *type = json_string_value(json_object_get(c, "task_type"));
    task_new tn = {
        .type = type ? type : TASK_CUSTOM,
        .name = json_string_value(json_object_get(c, "task_name")),
        .details = json_string_value(json_object_get(c, "task_details")),
        .priority = json_string_value(json_object_get(c, "task_priority")),
        .person_id = r->person_id,
        .assignee_id = assignee,
        .created_by = t->row.created_by,
        .due_at =
            now + json_integer_value(json_object_get(c, "due_in_hours")) * INT64_C(3600) * 1000000,
    };
    if (!tn.name) {
        snprintf(outcome, on, "refused: the trigger has no task_name");
        return HAIL_OK;
    }
    int64_t id = 0;
    if ((e = task_create_tx(d, &tn, &id)))
        return e;
    snprintf(outcome, on, "task %lld created", (long long)id);
    return HAIL_OK;
}

/* Tests one activity against one trigger and acts on a match. */
static hail_err evaluate(db *d, const trig_eval *t, const feed_row *r, int64_t now)
{
    if (!t->definition || r->pos.id <= t->row.start_id || !mentions(t->types, r->type))
        return HAIL_OK;
    int match = 0;
    hail_err e = filter_matches_person(d, t->definition, r->person_id, now, &match);
    if (e == HAIL_EINVAL) { /* a filter hail cannot read: it matches nobody */
        log_warn("trigger %lld: its filter %lld: %s", (long long)t->row.id,
                 (long long)t->row.filter_id, hail_errmsg());
        return HAIL_OK;
    }
    if (e || !match)
        return e;
    int fired;
    if ((e = trig_db_fire(d, t->row.id, r->pos.id, now, "firing", &fired)) || !fired)
        return e; /* fired before (another node, or before a crash) */
    char outcome[OUTCOME_MAX + 1] = "";
    int64_t before = 0, effect = 0;
    if ((e = trig_db_last_activity(d, &before)))
        return e;
    if (!strcmp(t->row.action, "webhook"))
        e = webhook(d, t, r, now, outcome, sizeof outcome);
    else if (!strcmp(t->row.action, "add_to_campaign"))
        e = add_to_campaign(d, t, r, outcome, sizeof outcome);
    else
        e = create_task(d, t, r, now, outcome, sizeof outcome);
    if (!e)
        e = trig_db_own_activity(d, before, &effect);
    return e ? e : trig_db_fire_outcome(d, t->row.id, r->pos.id, outcome, effect);
}

hail_err trig_eval_step(db *d, int64_t now, int limit, size_t *n)
{
    *n = 0;
    hail_err e = db_begin(d);
    if (e)
        return e;
    feed_pos at;
    feed_row *rows = NULL;
    size_t nrows = 0, done = 0;
    trig_eval *t = NULL;
    size_t nt = 0;
    /* one evaluator at a time even if two nodes both think they hold the lease */
    if ((e = db_lock(d, TRIG_EVAL_LEASE)) || (e = outbox_cursor(d, TRIG_CONSUMER, &at)) ||
        (e = feed_read_after(d, at, limit, &rows, &nrows)))
        goto out;
    if (!nrows)
        goto out;
    if ((e = load_triggers(d, &t, &nt)))
        goto out;
    for (; done < nrows && !e; done++) {
        const feed_row *r = &rows[done];
        if (done > 0 && db_tx_held_us(d) > HOLD_US)
            break;
        if (!nt || !r->person_id)
            continue;
        int effect = 0;
        if ((e = trig_db_is_effect(d, r->pos.id, &effect)) || effect)
            continue; /* recorded by a trigger's action: no chains */
        for (size_t i = 0; i < nt && !e; i++)
            e = evaluate(d, &t[i], r, now);
    }
    if (!e && done)
        e = outbox_advance(d, TRIG_CONSUMER, rows[done - 1].pos, (int64_t)done);
out:
    evals_free(t, nt);
    feed_rows_free(rows, nrows);
    free(rows);
    if (!e && !(e = db_commit(d))) {
        *n = done;
        return HAIL_OK;
    }
    db_rollback(d);
    return e;
}

/* ---- the thread ---- */

static struct {
    pthread_t thread;
    int running;
    atomic_int stop;
    char *target;
} ev;

static void *eval_main(void *arg)
{
    (void)arg;
    char owner[LEASE_OWNER_MAX + 1];
    snprintf(owner, sizeof owner, "trg.%ld.%08x", (long)getpid(), randombytes_random());
    db *d = NULL;
    int held = 0;
    int64_t renewed = 0;
    while (!atomic_load(&ev.stop)) {
        hail_err e = d ? HAIL_OK : db_open(ev.target, 0, &d);
        int64_t mono = time_mono_us();
        if (!e && (!held || mono - renewed > LEASE_TTL_US / 3)) {
            e = lease_take(d, TRIG_EVAL_LEASE, owner, LEASE_TTL_US, NULL);
            held = !e;
            renewed = mono;
            if (e == HAIL_EBUSY) { /* another node evaluates */
                time_sleep_us(LEASE_TTL_US / 10, &ev.stop);
                continue;
            }
        }
        size_t n = 0;
        if (!e)
            e = trig_eval_step(d, time_now_us(), TRIG_EVAL_BATCH, &n);
        if (e) {
            log_warn("triggers: %s (retrying in 5 s)", hail_errmsg());
            held = 0;
            if (d) {
                db_close(d);
                d = NULL;
            }
            time_sleep_us(RETRY_US, &ev.stop);
        } else if (!n)
            time_sleep_us(POLL_US, &ev.stop);
    }
    if (d) {
        if (held)
            lease_release(d, TRIG_EVAL_LEASE, owner);
        db_close(d);
    }
    return NULL;
}

hail_err trig_eval_start(const char *target)
{
    if (ev.running)
        return HAIL_OK;
    atomic_store(&ev.stop, 0);
    free(ev.target);
    if (!(ev.target = strdup(target)))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    if (pthread_create(&ev.thread, NULL, eval_main, NULL)) {
        free(ev.target);
        ev.target = NULL;
        return hail_errf(HAIL_EIO, "cannot start the trigger evaluator thread");
    }
    ev.running = 1;
    return HAIL_OK;
}

void trig_eval_stop(void)
{
    if (!ev.running)
        return;
    atomic_store(&ev.stop, 1);
    time_sleep_wake(); /* its sleeps see the flag now */
    pthread_join(ev.thread, NULL);
    ev.running = 0;
    free(ev.target);
    ev.target = NULL;
}
