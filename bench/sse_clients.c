/* The SSE clients of bench/sse_fanout.py, in C so that the load generator
 * does not take the CPU the server needs (the Python clients took 1.3 of the
 * machine's 2 cores at 1,000 streams). Built by the script with cc -O2.
 *
 *   sse_clients PORT TOKENS_FILE OUT_FILE
 *
 * Opens one stream (GET /api/v1/feed/stream) per line of TOKENS_FILE on one
 * epoll loop, prints "ready N" once every stream answered its headers (N
 * streams with 200), then notes the CLOCK_MONOTONIC arrival time of every
 * "id: N" line per stream. A line "stop ID" on stdin ends it once every stream
 * has seen event ID (which is not recorded). Each stream must get the same
 * ids in the same increasing order; then OUT_FILE gets, as native int64 /
 * double: nstreams, nids, the ids, and nstreams rows of nids arrival times
 * (seconds). Exit 1 with a message on stderr otherwise. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    int status; /* 0 until the headers are in */
    int done;
    char head[1024]; /* the headers so far */
    size_t hlen;
    /* Chunked transfer coding: 0 reading a size line, 1 data, 2 the CRLF after it. */
    int cstate;
    uint64_t cleft;
    char size_line[32];
    size_t slen;
    /* The event stream's current line (only its start matters: "id: N"). */
    char line[32];
    size_t llen;
    int64_t *ids;
    double *t;
    size_t n, cap;
} stream;

static void die(const char *m)
{
    fprintf(stderr, "sse_clients: %s\n", m);
    exit(1);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note(stream *s, int64_t id, double t)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->ids = realloc(s->ids, s->cap * sizeof *s->ids);
        s->t = realloc(s->t, s->cap * sizeof *s->t);
        if (!s->ids || !s->t)
            die("out of memory");
    }
    s->ids[s->n] = id;
    s->t[s->n] = t;
    s->n++;
}

/* The event stream's bytes (de-chunked): ends lines, looks at "id: " ones. */
static void events(stream *s, const char *p, size_t len, double t, int64_t stop, int *ndone)
{
    while (len) {
        const char *nl = memchr(p, '\n', len);
        size_t take = nl ? (size_t)(nl - p) : len;
        size_t room = sizeof s->line - 1 - s->llen;
        size_t c = take < room ? take : room;
        memcpy(s->line + s->llen, p, c);
        s->llen += c;
        if (nl) {
            s->line[s->llen] = '\0';
            if (!strncmp(s->line, "id: ", 4)) {
                int64_t id = strtoll(s->line + 4, NULL, 10);
                if (stop > 0 && id >= stop) {
                    if (!s->done) {
                        s->done = 1;
                        (*ndone)++;
                    }
                } else if (!s->done) {
                    note(s, id, t);
                }
            }
            s->llen = 0;
            take++;
        }
        p += take;
        len -= take;
    }
}

/* A read's bytes: headers, then the chunked body. */
static void scan(stream *s, const char *p, size_t len, double t, int64_t stop, int *ndone)
{
    if (!s->status) {
        size_t c = len < sizeof s->head - 1 - s->hlen ? len : sizeof s->head - 1 - s->hlen;
        memcpy(s->head + s->hlen, p, c);
        s->hlen += c;
        s->head[s->hlen] = '\0';
        char *h = strstr(s->head, "\r\n\r\n");
        if (!h) {
            if (s->hlen == sizeof s->head - 1)
                die("headers too long");
            return;
        }
        s->status = atoi(s->head + 9);
        if (!strcasestr(s->head, "transfer-encoding: chunked"))
            die("the stream is not chunked");
        size_t used = (size_t)(h + 4 - s->head) - (s->hlen - c);
        p += used;
        len -= used;
    }
    while (len) {
        if (s->cstate == 0) {
            const char *nl = memchr(p, '\n', len);
            size_t take = nl ? (size_t)(nl - p) + 1 : len;
            if (s->slen + take >= sizeof s->size_line)
                die("a chunk size line too long");
            memcpy(s->size_line + s->slen, p, take);
            s->slen += take;
            p += take;
            len -= take;
            if (nl) {
                s->size_line[s->slen] = '\0';
                s->cleft = strtoull(s->size_line, NULL, 16);
                s->slen = 0;
                s->cstate = s->cleft ? 1 : 2;
            }
        } else if (s->cstate == 1) {
            size_t take = len < s->cleft ? len : (size_t)s->cleft;
            events(s, p, take, t, stop, ndone);
            p += take;
            len -= take;
            if (!(s->cleft -= take)) {
                s->cstate = 2;
                s->cleft = 2;
            }
        } else {
            size_t take = len < s->cleft ? len : (size_t)s->cleft;
            p += take;
            len -= take;
            if (!(s->cleft -= take))
                s->cstate = 0;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 4)
        die("usage: sse_clients PORT TOKENS_FILE OUT_FILE");
    int port = atoi(argv[1]);
    FILE *tf = fopen(argv[2], "r");
    if (!tf)
        die("cannot open the tokens file");
    size_t ns = 0, cap = 0;
    stream *ss = NULL;
    char line[512];
    int ep = epoll_create1(0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (fgets(line, sizeof line, tf)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        if (ns == cap) {
            cap = cap ? cap * 2 : 1024;
            if (!(ss = realloc(ss, cap * sizeof *ss)))
                die("out of memory");
        }
        stream *s = &ss[ns];
        memset(s, 0, sizeof *s);
        s->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&sa, sizeof sa))
            die("cannot connect");
        char req[700];
        int rl = snprintf(req, sizeof req,
                          "GET /api/v1/feed/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: Bearer %s\r\n\r\n",
                          line);
        if (write(s->fd, req, (size_t)rl) != rl)
            die("cannot send a request");
        fcntl(s->fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ns};
        epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
        ns++;
    }
    fclose(tf);
    struct epoll_event in = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in);

    int64_t stop = 0;
    int ndone = 0, started = 0, ready = 0;
    char rbuf[65536];
    struct epoll_event evs[256];
    while (ndone < (int)ns) {
        int k = epoll_wait(ep, evs, 256, 1000);
        if (k < 0 && errno != EINTR)
            die("epoll_wait failed");
        for (int i = 0; i < k; i++) {
            if (evs[i].data.u64 == UINT64_MAX) {
                ssize_t r = read(0, line, sizeof line - 1);
                if (r <= 0)
                    die("stdin closed before the stop line");
                line[r] = '\0';
                if (sscanf(line, "stop %lld", (long long *)&stop) != 1)
                    die("expected \"stop ID\" on stdin");
                epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL);
                continue;
            }
            stream *s = &ss[evs[i].data.u64];
            for (;;) {
                ssize_t r = read(s->fd, rbuf, sizeof rbuf);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                if (r <= 0) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
                    if (!s->done) {
                        s->done = 1;
                        ndone++;
                    }
                    break;
                }
                int had = s->status;
                scan(s, rbuf, (size_t)r, mono(), stop, &ndone);
                if (!had && s->status) {
                    started++;
                    if (s->status != 200 && !s->done) {
                        s->done = 1;
                        ndone++;
                    }
                }
            }
        }
        if (!ready && started == (int)ns) {
            int ok = 0;
            for (size_t i = 0; i < ns; i++)
                ok += ss[i].status == 200;
            printf("ready %d\n", ok);
            fflush(stdout);
            ready = 1;
        }
    }
    /* Every stream: the same ids, increasing. */
    for (size_t i = 0; i < ns; i++) {
        if (ss[i].status != 200) {
            fprintf(stderr, "sse_clients: a stream answered %d\n", ss[i].status);
            return 1;
        }
        if (ss[i].n != ss[0].n || memcmp(ss[i].ids, ss[0].ids, ss[0].n * sizeof(int64_t))) {
            fprintf(stderr, "sse_clients: stream %zu got %zu events, stream 0 %zu (or other ids)\n",
                    i, ss[i].n, ss[0].n);
            return 1;
        }
    }
    for (size_t j = 1; j < ss[0].n; j++)
        if (ss[0].ids[j] <= ss[0].ids[j - 1])
            die("ids out of order");
    FILE *o = fopen(argv[3], "wb");
    if (!o)
        die("cannot write the output");
    int64_t hdr[2] = {(int64_t)ns, (int64_t)ss[0].n};
    fwrite(hdr, sizeof hdr, 1, o);
    fwrite(ss[0].ids, sizeof(int64_t), ss[0].n, o);
    for (size_t i = 0; i < ns; i++)
        fwrite(ss[i].t, sizeof(double), ss[i].n, o);
    if (fclose(o))
        die("cannot write the output");
    return 0;
}
