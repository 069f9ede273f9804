#include "core/common.h"

/* Streaming responses and their writer thread: http/stream.h. */
#include "http/stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"

/* What one fn call may write: one chunk. */
#define CHUNK_MAX (64 * 1024)
/* Room before a chunk's data for its size line ("ffff\r\n"). */
#define CHUNK_HEAD 16
/* One stream's share of a round before the others get theirs. */
#define ROUND_BYTES (256 * 1024)
/* The comment a stream opens with when fn has nothing at first: the headers
 * go out at once, and the socket is handed to the writer only once MHD has
 * sent everything it had (its chunked state machine asks for the next chunk
 * only then). Server-Sent Events ignore comment lines. */
#define OPENING ":\n\n"

enum { ST_MHD, ST_WRITER, ST_DONE };

struct http_stream {
    http_streams *ss;
    struct MHD_Connection *conn;
    http_stream_fn fn;
    void *ctx;
    void (*free_ctx)(void *);
    int64_t tick_us;
    atomic_int state;                /* ST_*: ST_DONE is set by the writer before it resumes */
    int sent_any;                    /* MHD's thread, before the handover */
    struct http_stream *prev, *next; /* every live stream (ss->mu) */
    struct http_stream *inext;       /* the handover queue (ss->mu) */

    /* The writer thread's, once handed over. */
    int fd;
    size_t slot; /* index in ss->own */
    int64_t due_us;
    int ending;   /* fn said -1: finish once out is flushed */
    int want_out; /* EPOLLOUT is asked for */
    char *out;    /* framed bytes the socket did not take yet */
    size_t olen, ooff;
};

struct http_streams {
    pthread_mutex_t mu;
    struct http_stream *all;      /* mu */
    int n;                        /* mu */
    struct http_stream *incoming; /* mu: handed over, not yet taken */
    int stop;                     /* mu */
    atomic_uint_fast64_t wake_gen;
    int ep, evfd;
    pthread_t thread;
    int started;

    /* The writer thread's. */
    struct http_stream **own;
    size_t nown, capown;
    uint_fast64_t seen_gen;
    char *buf;
};

static void stream_free(struct http_stream *st)
{
    if (!st)
        return;
    if (st->free_ctx)
        st->free_ctx(st->ctx);
    free(st->out);
    free(st);
}

void http_stream_discard(struct http_stream *st)
{
    stream_free(st);
}

struct http_stream *http_stream_new(http_stream_fn fn, void *ctx, void (*free_ctx)(void *),
                                    unsigned tick_ms)
{
    struct http_stream *st = calloc(1, sizeof *st);
    if (!st) {
        if (free_ctx)
            free_ctx(ctx);
        return NULL;
    }
    st->fn = fn;
    st->ctx = ctx;
    st->free_ctx = free_ctx;
    st->tick_us = (int64_t)(tick_ms ? tick_ms : 1000) * 1000;
    st->fd = -1;
    atomic_init(&st->state, ST_MHD);
    return st;
}

static void signal_writer(http_streams *ss)
{
    uint64_t one = 1;
    ssize_t w = write(ss->evfd, &one, sizeof one);
    (void)w; /* a full counter is a pending signal too */
}

/* ---- MHD's side ---- */

/* MHD's content reader, on the connection's thread until the handover. */
static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct http_stream *st = cls;
    http_streams *ss = st->ss;
    if (atomic_load(&st->state) == ST_DONE)
        return MHD_CONTENT_READER_END_OF_STREAM;
    long n = st->fn(st->ctx, out, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n > 0) {
        st->sent_any = 1;
        return (ssize_t)(n > (long)max ? (long)max : n);
    }
    if (!st->sent_any && max >= sizeof OPENING - 1) {
        st->sent_any = 1;
        memcpy(out, OPENING, sizeof OPENING - 1);
        return (ssize_t)(sizeof OPENING - 1);
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(st->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return MHD_CONTENT_READER_END_OF_STREAM;
    st->fd = ci->connect_fd;
    pthread_mutex_lock(&ss->mu);
    if (ss->stop) {
        pthread_mutex_unlock(&ss->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    atomic_store(&st->state, ST_WRITER);
    MHD_suspend_connection(st->conn);
    st->inext = ss->incoming;
    ss->incoming = st;
    pthread_mutex_unlock(&ss->mu);
    signal_writer(ss);
    return 0;
}

/* MHD destroys the response (sent, failed or the client went away). */
static void stream_done(void *cls)
{
    struct http_stream *st = cls;
    http_streams *ss = st->ss;
    pthread_mutex_lock(&ss->mu);
    if (st->prev)
        st->prev->next = st->next;
    else
        ss->all = st->next;
    if (st->next)
        st->next->prev = st->prev;
    ss->n--;
    pthread_mutex_unlock(&ss->mu);
    stream_free(st);
}

struct MHD_Response *http_streams_response(http_streams *ss, struct MHD_Connection *c,
                                           struct http_stream *st)
{
    st->ss = ss;
    st->conn = c;
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, CHUNK_MAX,
                                                                  stream_read, st, stream_done);
    if (!resp)
        return NULL;
    pthread_mutex_lock(&ss->mu);
    st->next = ss->all;
    if (ss->all)
        ss->all->prev = st;
    ss->all = st;
    ss->n++;
    pthread_mutex_unlock(&ss->mu);
    return resp;
}

void http_streams_wake(http_streams *ss)
{
    atomic_fetch_add(&ss->wake_gen, 1);
    signal_writer(ss);
}

int http_streams_count(http_streams *ss)
{
    pthread_mutex_lock(&ss->mu);
    int n = ss->n;
    pthread_mutex_unlock(&ss->mu);
    return n;
}

/* ---- the writer thread ---- */

/* The connection goes back to MHD, which ends the body and closes it; st is
 * not touched after this (MHD may free it at once). */
static void finish(http_streams *ss, struct http_stream *st)
{
    epoll_ctl(ss->ep, EPOLL_CTL_DEL, st->fd, NULL);
    size_t i = st->slot;
    ss->own[i] = ss->own[--ss->nown];
    ss->own[i]->slot = i;
    atomic_store(&st->state, ST_DONE);
    MHD_resume_connection(st->conn);
}

static int watch(http_streams *ss, struct http_stream *st, int op, int want_out)
{
    struct epoll_event ev = {.events = EPOLLRDHUP | (want_out ? EPOLLOUT : 0u), .data.ptr = st};
    if (epoll_ctl(ss->ep, op, st->fd, &ev))
        return -1;
    st->want_out = want_out;
    return 0;
}

/* Sends p[0..len); keeps what the socket did not take. -1: the client is gone. */
static int send_some(http_streams *ss, struct http_stream *st, const char *p, size_t len)
{
    ssize_t w = send(st->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        w = 0;
    }
    if ((size_t)w == len)
        return 0;
    char *rest = malloc(len - (size_t)w);
    if (!rest)
        return -1;
    memcpy(rest, p + w, len - (size_t)w);
    free(st->out);
    st->out = rest;
    st->olen = len - (size_t)w;
    st->ooff = 0;
    return watch(ss, st, EPOLL_CTL_MOD, 1);
}

/* Writes what the socket did not take before; -1: the client is gone. */
static int flush(http_streams *ss, struct http_stream *st)
{
    while (st->ooff < st->olen) {
        ssize_t w =
            send(st->fd, st->out + st->ooff, st->olen - st->ooff, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        st->ooff += (size_t)w;
    }
    free(st->out);
    st->out = NULL;
    st->olen = st->ooff = 0;
    return watch(ss, st, EPOLL_CTL_MOD, 0);
}

/* Pulls fn and sends each answer as one chunk, until it has nothing, the
 * socket is full or the round's share is used (then due again at once). */
static void run(http_streams *ss, struct http_stream *st, int64_t now)
{
    st->due_us = now + st->tick_us;
    if (st->olen)
        return; /* EPOLLOUT brings it back */
    char *data = ss->buf + CHUNK_HEAD;
    size_t sent = 0;
    while (!st->ending) {
        if (sent >= ROUND_BYTES) {
            st->due_us = now;
            break;
        }
        long n = st->fn(st->ctx, data, CHUNK_MAX);
        if (n < 0) {
            st->ending = 1;
            break;
        }
        if (n == 0)
            break;
        if (n > CHUNK_MAX)
            n = CHUNK_MAX;
        char head[CHUNK_HEAD];
        int hl = snprintf(head, sizeof head, "%lx\r\n", (unsigned long)n);
        memcpy(data - hl, head, (size_t)hl);
        memcpy(data + n, "\r\n", 2);
        if (send_some(ss, st, data - hl, (size_t)hl + (size_t)n + 2)) {
            finish(ss, st);
            return;
        }
        sent += (size_t)n;
        if (st->olen)
            return;
    }
    if (st->ending && !st->olen)
        finish(ss, st);
}

static void adopt(http_streams *ss, struct http_stream *st, int64_t now)
{
    if (ss->nown == ss->capown) {
        size_t ncap = ss->capown ? ss->capown * 2 : 64;
        struct http_stream **o = realloc(ss->own, ncap * sizeof *o);
        if (!o) {
            log_error("http: out of memory taking a stream: it is ended");
            atomic_store(&st->state, ST_DONE);
            MHD_resume_connection(st->conn);
            return;
        }
        ss->own = o;
        ss->capown = ncap;
    }
    st->slot = ss->nown;
    ss->own[ss->nown++] = st;
    /* MHD may have left the socket corked; each chunk goes out as it is sent. */
    int on = 1, off = 0;
    setsockopt(st->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    setsockopt(st->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (watch(ss, st, EPOLL_CTL_ADD, 0)) {
        log_error("http: cannot watch a stream's socket: it is ended");
        finish(ss, st);
        return;
    }
    run(ss, st, now); /* what came while it changed hands */
}

static void *writer_main(void *arg)
{
    http_streams *ss = arg;
    struct epoll_event evs[128];
    int64_t next_due = INT64_MAX;
    for (;;) {
        int64_t now = time_mono_us();
        int timeout = 1000;
        if (next_due - now < 1000000)
            timeout = next_due <= now ? 0 : (int)((next_due - now + 999) / 1000);
        int k = epoll_wait(ss->ep, evs, (int)(sizeof evs / sizeof evs[0]), timeout);
        now = time_mono_us();
        for (int i = 0; i < k; i++) {
            struct http_stream *st = evs[i].data.ptr;
            if (!st) {
                uint64_t v;
                ssize_t r = read(ss->evfd, &v, sizeof v);
                (void)r;
                continue;
            }
            if (evs[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
                finish(ss, st); /* the client went away */
            } else if (evs[i].events & EPOLLOUT) {
                if (flush(ss, st))
                    finish(ss, st);
                else if (!st->olen)
                    st->due_us = 0; /* room again: pull fn this round */
            }
        }
        pthread_mutex_lock(&ss->mu);
        struct http_stream *in = ss->incoming;
        ss->incoming = NULL;
        int stop = ss->stop;
        pthread_mutex_unlock(&ss->mu);
        while (in) {
            struct http_stream *nx = in->inext;
            adopt(ss, in, now);
            in = nx;
        }
        if (stop) {
            while (ss->nown)
                finish(ss, ss->own[ss->nown - 1]);
            break;
        }
        uint_fast64_t gen = atomic_load(&ss->wake_gen);
        int woken = gen != ss->seen_gen;
        ss->seen_gen = gen;
        next_due = INT64_MAX;
        for (size_t i = 0; i < ss->nown;) {
            struct http_stream *st = ss->own[i];
            if (woken || st->due_us <= now) {
                run(ss, st, now);
                /* finished: another took its slot, or it was the last (either
                 * way st may be freed by MHD now) */
                if (i >= ss->nown || ss->own[i] != st)
                    continue;
            }
            if (!st->olen && st->due_us < next_due)
                next_due = st->due_us;
            i++;
        }
    }
    return NULL;
}

hail_err http_streams_start(http_streams **out)
{
    *out = NULL;
    http_streams *ss = calloc(1, sizeof *ss);
    if (!ss)
        return HAIL_ENOMEM;
    pthread_mutex_init(&ss->mu, NULL);
    atomic_init(&ss->wake_gen, 0);
    ss->ep = epoll_create1(EPOLL_CLOEXEC);
    ss->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ss->buf = malloc(CHUNK_HEAD + CHUNK_MAX + 2);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (ss->ep < 0 || ss->evfd < 0 || !ss->buf || epoll_ctl(ss->ep, EPOLL_CTL_ADD, ss->evfd, &ev) ||
        pthread_create(&ss->thread, NULL, writer_main, ss)) {
        http_streams_free(ss);
        return hail_errf(HAIL_EIO, "cannot start the HTTP stream thread");
    }
    ss->started = 1;
    *out = ss;
    return HAIL_OK;
}

void http_streams_stop(http_streams *ss)
{
    if (!ss || !ss->started)
        return;
    pthread_mutex_lock(&ss->mu);
    ss->stop = 1;
    pthread_mutex_unlock(&ss->mu);
    signal_writer(ss);
    pthread_join(ss->thread, NULL);
    ss->started = 0;
}

void http_streams_free(http_streams *ss)
{
    if (!ss)
        return;
    http_streams_stop(ss);
    if (ss->ep >= 0)
        close(ss->ep);
    if (ss->evfd >= 0)
        close(ss->evfd);
    free(ss->own);
    free(ss->buf);
    pthread_mutex_destroy(&ss->mu);
    free(ss);
}
