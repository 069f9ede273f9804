#include "core/common.h"

/* The live feed's hub: svc/feed.h. */
#include "svc/feed.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "svc/activity.h"

/* One event's SSE text, built once and shared by every queue it is in. */
typedef struct feed_event {
    atomic_int refs;
    size_t len;
    char text[];
} feed_event;

static void event_unref(feed_event *ev)
{
    if (ev && atomic_fetch_sub(&ev->refs, 1) == 1)
        free(ev);
}

/* "id: N\nevent: activity\ndata: <FeedEvent>\n\n" for row (NULL: out of memory). */
static feed_event *event_make(const feed_row *row)
{
    const char *name = activity_type_name(row->type);
    if (json_object_set_new(row->event, "type_name", name ? json_string(name) : json_null()))
        return NULL;
    char *data = json_dumps(row->event, JSON_COMPACT);
    if (!data)
        return NULL;
    size_t dlen = strlen(data);
    feed_event *ev = malloc(sizeof *ev + dlen + 64);
    if (ev) {
        atomic_init(&ev->refs, 1);
        int n = snprintf(ev->text, dlen + 64, "id: %lld\nevent: activity\ndata: %s\n\n",
                         (long long)row->pos.id, data);
        ev->len = n > 0 ? (size_t)n : 0;
    }
    free(data);
    return ev;
}

struct feed_sub {
    struct feed_sub *prev, *next; /* the hub's list (hub.mu) */
    int linked;                   /* hub.mu */
    int64_t user_id;
    char *target; /* the database, for the replay's reads */

    /* What it asks for (owned copies; filter points into them). */
    vis_scope scope;
    feed_filter filter;
    char *account, *opportunity;
    char **types;
    size_t ntypes;

    feed_pos after; /* live events after this position only (hub.mu) */

    /* The replay of a resumed stream: (replay_from, replay_to], read by the
     * stream's own thread before anything from the queue. */
    int replaying;
    feed_pos replay_from, replay_to;

    /* The queue, filled by the poller (mu). */
    pthread_mutex_t mu;
    feed_event **q;
    size_t qhead, qlen, qcap, qbytes;
    int dropped, ended;

    /* The stream's side (one thread at a time). */
    buf pending;
    size_t off;
    int final_sent;
    int64_t sent_us;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int running, stop;
    pthread_t thread;
    char *target;
    feed_pos cursor; /* what the poller has handed out (written by it under mu) */
    feed_sub *subs;
    int nsubs;
    void (*wake)(void *);
    void *wake_arg;
} hub = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- subscribers' queues ---- */

static void queue_clear(feed_sub *s)
{
    for (size_t i = 0; i < s->qlen; i++)
        event_unref(s->q[(s->qhead + i) % s->qcap]);
    s->qhead = s->qlen = s->qbytes = 0;
}

/* Queues ev for s (s->mu held): 1 when queued. A subscriber past its bounds
 * is dropped here: its queue is freed and nothing more is queued for it. */
static int queue_push(feed_sub *s, feed_event *ev)
{
    if (s->dropped || s->ended)
        return 0;
    if (s->qlen + 1 > FEED_QUEUE_EVENTS || s->qbytes + ev->len > FEED_QUEUE_BYTES) {
        log_info("live feed: a stream of user %lld fell %zu events (%zu bytes) behind: dropped",
                 (long long)s->user_id, s->qlen, s->qbytes);
        s->dropped = 1;
        queue_clear(s);
        return 1; /* its stream has something to say */
    }
    if (s->qlen == s->qcap) {
        size_t ncap = s->qcap ? s->qcap * 2 : 16;
        feed_event **nq = malloc(ncap * sizeof *nq);
        if (!nq) {
            s->dropped = 1; /* out of memory: as if too slow */
            queue_clear(s);
            return 1;
        }
        for (size_t i = 0; i < s->qlen; i++)
            nq[i] = s->q[(s->qhead + i) % s->qcap];
        free(s->q);
        s->q = nq;
        s->qcap = ncap;
        s->qhead = 0;
    }
    atomic_fetch_add(&ev->refs, 1);
    s->q[(s->qhead + s->qlen) % s->qcap] = ev;
    s->qlen++;
    s->qbytes += ev->len;
    return 1;
}

/* ---- the poller ---- */

/* Hands rows to the subscribers; the cursor moves past them. */
static int dispatch(feed_row *rows, size_t n)
{
    feed_event **evs = calloc(n, sizeof *evs);
    if (!evs)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!(evs[i] = event_make(&rows[i]))) {
            for (size_t j = 0; j < i; j++)
                event_unref(evs[j]);
            free(evs);
            return -1;
        }
    int woke = 0;
    pthread_mutex_lock(&hub.mu);
    for (feed_sub *s = hub.subs; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        for (size_t i = 0; i < n; i++)
            if (feed_pos_cmp(rows[i].pos, s->after) > 0 && feed_filter_match(&s->filter, &rows[i]))
                woke |= queue_push(s, evs[i]);
        pthread_mutex_unlock(&s->mu);
    }
    hub.cursor = rows[n - 1].pos;
    pthread_mutex_unlock(&hub.mu);
    for (size_t i = 0; i < n; i++)
        event_unref(evs[i]);
    free(evs);
    return woke;
}

/* One round: hands out what was committed since the cursor. 0, or -1 when
 * the database failed (the connection is then reopened). */
static int poll_once(db *d)
{
    pthread_mutex_lock(&hub.mu);
    int nsubs = hub.nsubs;
    feed_pos cursor = hub.cursor;
    pthread_mutex_unlock(&hub.mu);
    if (!nsubs) {
        /* Nobody listens: only move the cursor (unless someone came in
         * meanwhile: they start from the cursor they saw). */
        feed_pos h;
        if (feed_horizon(d, &h))
            return -1;
        pthread_mutex_lock(&hub.mu);
        if (!hub.nsubs && feed_pos_cmp(h, hub.cursor) > 0)
            hub.cursor = h;
        pthread_mutex_unlock(&hub.mu);
        return 0;
    }
    feed_row *rows;
    size_t n;
    int64_t t0 = time_mono_us();
    if (feed_read_after(d, cursor, FEED_BATCH, &rows, &n))
        return -1;
    int64_t t1 = time_mono_us();
    int woke = 0;
    if (n) {
        woke = dispatch(rows, n);
        if (woke < 0) {
            log_warn("live feed: out of memory building events: %zu skipped", n);
            woke = 0;
        }
    }
    feed_rows_free(rows, n);
    free(rows);
    int64_t t2 = time_mono_us();
    if (woke && hub.wake)
        hub.wake(hub.wake_arg);
    if (n)
        log_debug("live feed: %zu rows: read %lld us, dispatch %lld us, wake %lld us", n,
                  (long long)(t1 - t0), (long long)(t2 - t1), (long long)(time_mono_us() - t2));
    return 0;
}

static void *poller_main(void *arg)
{
    (void)arg;
    db *d = NULL;
    int failing = 0;
    pthread_mutex_lock(&hub.mu);
    while (!hub.stop) {
        pthread_mutex_unlock(&hub.mu);
        int rc = -1;
        if (d || !db_open(hub.target, 0, &d))
            rc = poll_once(d);
        if (rc < 0) {
            if (!failing)
                log_warn("live feed: %s (retrying every second)", hail_errmsg());
            failing = 1;
            hail_errclear();
            db_close(d); /* a PostgreSQL connection that went away is opened again */
            d = NULL;
        } else if (failing) {
            log_info("live feed: reading the log again");
            failing = 0;
        }
        pthread_mutex_lock(&hub.mu);
        if (hub.stop)
            break;
        int64_t wait_ms = rc < 0 || !hub.nsubs ? FEED_POLL_IDLE_MS : FEED_POLL_BUSY_MS;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        ts.tv_sec += (time_t)(wait_ms / 1000) + ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&hub.cond, &hub.mu, &ts);
    }
    pthread_mutex_unlock(&hub.mu);
    db_close(d);
    return NULL;
}

hail_err feed_hub_start(const char *target, void (*wake)(void *), void *wake_arg)
{
    db *d;
    hail_err e = db_open(target, 0, &d);
    if (e)
        return e;
    feed_pos h;
    e = feed_horizon(d, &h);
    db_close(d);
    if (e)
        return e;
    pthread_mutex_lock(&hub.mu);
    if (hub.running) {
        pthread_mutex_unlock(&hub.mu);
        return hail_errf(HAIL_EINVAL, "the live feed is running already");
    }
    if (!(hub.target = strdup(target))) {
        pthread_mutex_unlock(&hub.mu);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&hub.cond, &ca);
    pthread_condattr_destroy(&ca);
    hub.cursor = h;
    hub.stop = 0;
    hub.wake = wake;
    hub.wake_arg = wake_arg;
    if (pthread_create(&hub.thread, NULL, poller_main, NULL)) {
        free(hub.target);
        hub.target = NULL;
        pthread_cond_destroy(&hub.cond);
        pthread_mutex_unlock(&hub.mu);
        return hail_errf(HAIL_EIO, "cannot start the live feed's thread");
    }
    hub.running = 1;
    pthread_mutex_unlock(&hub.mu);
    return HAIL_OK;
}

void feed_hub_stop(void)
{
    pthread_mutex_lock(&hub.mu);
    if (!hub.running) {
        pthread_mutex_unlock(&hub.mu);
        return;
    }
    hub.stop = 1;
    pthread_cond_signal(&hub.cond);
    pthread_mutex_unlock(&hub.mu);
    pthread_join(hub.thread, NULL);
    pthread_mutex_lock(&hub.mu);
    /* Open streams end at their next read. */
    for (feed_sub *s = hub.subs, *next; s; s = next) {
        next = s->next;
        pthread_mutex_lock(&s->mu);
        s->ended = 1;
        queue_clear(s);
        pthread_mutex_unlock(&s->mu);
        s->linked = 0;
        s->prev = s->next = NULL;
    }
    hub.subs = NULL;
    hub.nsubs = 0;
    hub.running = 0;
    free(hub.target);
    hub.target = NULL;
    pthread_cond_destroy(&hub.cond);
    void (*wake)(void *) = hub.wake;
    void *wake_arg = hub.wake_arg;
    hub.wake = NULL;
    pthread_mutex_unlock(&hub.mu);
    if (wake)
        wake(wake_arg);
}

int feed_hub_streams(void)
{
    pthread_mutex_lock(&hub.mu);
    int n = hub.nsubs;
    pthread_mutex_unlock(&hub.mu);
    return n;
}

/* ---- subscribers ---- */

hail_err feed_scope_load(db *d, const email_viewer *v, const feed_query *q, vis_scope *out)
{
    email_viewer me = {.user_id = v->user_id, .role = "rep"};
    return vis_scope_load(d, q->mine ? &me : v, out);
}

static hail_err copy_query(feed_sub *s, const feed_query *q)
{
    if ((q->account && !(s->account = strdup(q->account))) ||
        (q->opportunity && !(s->opportunity = strdup(q->opportunity))))
        return hail_errf(HAIL_ENOMEM, "out of memory");
    if (q->ntypes) {
        if (!(s->types = calloc(q->ntypes, sizeof *s->types)))
            return hail_errf(HAIL_ENOMEM, "out of memory");
        s->ntypes = q->ntypes;
        for (size_t i = 0; i < q->ntypes; i++)
            if (!(s->types[i] = strdup(q->types[i])))
                return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    s->filter = (feed_filter){.scope = &s->scope,
                              .person_id = q->person_id,
                              .account = s->account,
                              .opportunity = s->opportunity,
                              .types = s->types,
                              .ntypes = s->ntypes,
                              .human_only = q->human_only};
    return HAIL_OK;
}

void feed_sub_free(void *p)
{
    feed_sub *s = p;
    if (!s)
        return;
    pthread_mutex_lock(&hub.mu);
    if (s->linked) {
        if (s->prev)
            s->prev->next = s->next;
        else
            hub.subs = s->next;
        if (s->next)
            s->next->prev = s->prev;
        hub.nsubs--;
        s->linked = 0;
    }
    pthread_mutex_unlock(&hub.mu);
    pthread_mutex_lock(&s->mu);
    queue_clear(s);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_destroy(&s->mu);
    free(s->q);
    vis_scope_free(&s->scope);
    free(s->account);
    free(s->opportunity);
    for (size_t i = 0; i < s->ntypes; i++)
        free(s->types[i]);
    free(s->types);
    free(s->target);
    buf_release(&s->pending);
    free(s);
}

hail_err feed_subscribe(db *d, const email_viewer *v, const feed_query *q, int64_t last_event_id,
                        feed_sub **out)
{
    *out = NULL;
    feed_pos resume = {0, 0};
    hail_err e;
    if (last_event_id > 0 && (e = feed_position(d, last_event_id, &resume)))
        return e;
    feed_sub *s = calloc(1, sizeof *s);
    if (!s)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    buf_init(&s->pending, 8 * 1024 * 1024);
    s->user_id = v->user_id;
    if (!(s->target = strdup(db_path(d)))) {
        feed_sub_free(s);
        return hail_errf(HAIL_ENOMEM, "out of memory");
    }
    if ((e = feed_scope_load(d, v, q, &s->scope))) {
        feed_sub_free(s);
        return e;
    }
    if ((e = copy_query(s, q)) || (e = buf_puts(&s->pending, "retry: 3000\n\n"))) {
        feed_sub_free(s);
        return e;
    }
    s->sent_us = time_mono_us();

    pthread_mutex_lock(&hub.mu);
    if (!hub.running) {
        pthread_mutex_unlock(&hub.mu);
        feed_sub_free(s);
        return hail_errf(HAIL_EUNAVAIL, "the live feed is not running");
    }
    int mine = 0;
    for (feed_sub *o = hub.subs; o; o = o->next)
        mine += o->user_id == v->user_id;
    if (mine >= FEED_STREAMS_PER_USER) {
        pthread_mutex_unlock(&hub.mu);
        feed_sub_free(s);
        return hail_errf(HAIL_EQUOTA,
                         "too many live feed streams open for this user (at most %d); close one "
                         "and try again",
                         FEED_STREAMS_PER_USER);
    }
    /* Live: what the poller hands out after its cursor. Resumed: first the
     * replay of (resume, cursor], read by the stream itself; and nothing
     * at or before resume ever (it may be past the cursor). */
    s->after = hub.cursor;
    if (last_event_id > 0) {
        if (feed_pos_cmp(resume, hub.cursor) < 0) {
            s->replaying = 1;
            s->replay_from = resume;
            s->replay_to = hub.cursor;
        } else {
            s->after = resume;
        }
    }
    s->next = hub.subs;
    if (hub.subs)
        hub.subs->prev = s;
    hub.subs = s;
    hub.nsubs++;
    s->linked = 1;
    pthread_cond_signal(&hub.cond); /* the poller goes to its busy pace */
    pthread_mutex_unlock(&hub.mu);
    *out = s;
    return HAIL_OK;
}

#define REPLAY_CHUNK 200

/* Reads the next part of the replay into pending; -1 when the database failed. */
static int replay_step(feed_sub *s)
{
    db *d;
    if (db_thread(s->target, &d)) {
        log_warn("live feed: cannot open the database: %s", hail_errmsg());
        hail_errclear();
        return -1;
    }
    feed_row *rows;
    size_t n;
    if (feed_read_after(d, s->replay_from, REPLAY_CHUNK, &rows, &n)) {
        log_warn("live feed: replay: %s", hail_errmsg());
        hail_errclear();
        return -1;
    }
    int rc = 0;
    size_t i = 0;
    for (; i < n && feed_pos_cmp(rows[i].pos, s->replay_to) <= 0; i++) {
        if (!feed_filter_match(&s->filter, &rows[i]))
            continue;
        feed_event *ev = event_make(&rows[i]);
        if (!ev || buf_append(&s->pending, ev->text, ev->len)) {
            event_unref(ev);
            rc = -1;
            break;
        }
        event_unref(ev);
    }
    if (!rc) {
        if (i)
            s->replay_from = rows[i - 1].pos;
        if (n < REPLAY_CHUNK || i < n)
            s->replaying = 0;
    }
    feed_rows_free(rows, n);
    free(rows);
    return rc;
}

#define PENDING_CHUNK (64 * 1024)

long feed_sub_read(void *p, char *out, size_t max)
{
    feed_sub *s = p;
    int64_t now = time_mono_us();
    if (s->off == s->pending.len) {
        s->off = 0;
        buf_reset(&s->pending);
        if (s->final_sent)
            return -1;
        /* A replay chunk can be all filtered out: read on until something
         * (or the end), so that "nothing now" means nothing. */
        while (s->replaying && !s->pending.len)
            if (replay_step(s) < 0)
                return -1; /* the client resumes from what it got */
        if (!s->replaying && !s->pending.len) {
            pthread_mutex_lock(&s->mu);
            while (s->qlen && s->pending.len < PENDING_CHUNK) {
                feed_event *ev = s->q[s->qhead];
                if (buf_append(&s->pending, ev->text, ev->len))
                    break;
                s->qhead = (s->qhead + 1) % s->qcap;
                s->qlen--;
                s->qbytes -= ev->len;
                event_unref(ev);
            }
            int dropped = s->dropped, ended = s->ended;
            pthread_mutex_unlock(&s->mu);
            if (!s->pending.len) {
                if (dropped) {
                    buf_puts(&s->pending,
                             "event: dropped\ndata: {\"message\":\"this stream fell too far "
                             "behind and was closed; reconnect to resume from the last event "
                             "received\"}\n\n");
                    s->final_sent = 1;
                } else if (ended) {
                    return -1;
                } else if (now - s->sent_us >= FEED_HEARTBEAT_US) {
                    buf_puts(&s->pending, ": heartbeat\n\n");
                }
            }
        }
        if (!s->pending.len)
            return 0;
    }
    size_t n = s->pending.len - s->off;
    if (n > max)
        n = max;
    memcpy(out, s->pending.data + s->off, n);
    s->off += n;
    s->sent_us = now;
    return (long)n;
}

/* ---- the page ---- */

hail_err feed_page(db *d, const email_viewer *v, const feed_query *q, int64_t before, int limit,
                   json_t **out, int64_t *next)
{
    *out = NULL;
    *next = 0;
    vis_scope scope;
    hail_err e = feed_scope_load(d, v, q, &scope);
    if (e)
        return e;
    feed_filter f = {.scope = &scope,
                     .person_id = q->person_id,
                     .account = q->account,
                     .opportunity = q->opportunity,
                     .types = q->types,
                     .ntypes = q->ntypes,
                     .human_only = q->human_only};
    feed_row *rows;
    size_t n;
    e = feed_list(d, &f, before, limit, &rows, &n, next);
    vis_scope_free(&scope);
    if (e)
        return e;
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        const char *name = activity_type_name(rows[i].type);
        if (json_object_set_new(rows[i].event, "type_name",
                                name ? json_string(name) : json_null()) ||
            json_array_append(a, rows[i].event)) {
            json_decref(a);
            a = NULL;
        }
    }
    feed_rows_free(rows, n);
    free(rows);
    if (!a)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    *out = a;
    return HAIL_OK;
}
