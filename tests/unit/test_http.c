#include "core/common.h"

/* The HTTP layer on its own: listen addresses (IPv4 and bracketed IPv6, and
 * the messages for bad ones), and response headers (any number of them reach
 * the wire; none is dropped). A tiny application runs on a real server on a
 * loopback port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"

static void parses(const char *addr, int family, const char *host, int port)
{
    struct sockaddr_storage ss;
    unsigned len = 0;
    hail_err e = http_parse_listen(addr, &ss, &len);
    if (e)
        fail_msg("%s: %s", addr, hail_errmsg());
    assert_int_equal(ss.ss_family, family);
    char got[INET6_ADDRSTRLEN];
    if (family == AF_INET6) {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
        assert_int_equal(len, sizeof *sa);
        inet_ntop(AF_INET6, &sa->sin6_addr, got, sizeof got);
        assert_int_equal(ntohs(sa->sin6_port), port);
    } else {
        struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
        assert_int_equal(len, sizeof *sa);
        inet_ntop(AF_INET, &sa->sin_addr, got, sizeof got);
        assert_int_equal(ntohs(sa->sin_port), port);
    }
    assert_string_equal(got, host);
}

static void refuses(const char *addr, const char *msg)
{
    struct sockaddr_storage ss;
    unsigned len = 0;
    assert_int_equal(http_parse_listen(addr, &ss, &len), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), msg);
}

static void listen_addresses(void **state)
{
    (void)state;
    parses("127.0.0.1:8080", AF_INET, "127.0.0.1", 8080);
    parses("localhost:80", AF_INET, "127.0.0.1", 80);
    parses("0.0.0.0:0", AF_INET, "0.0.0.0", 0);
    parses("[::1]:8080", AF_INET6, "::1", 8080);
    parses("[::]:65535", AF_INET6, "::", 65535);
    parses("[2001:db8::7]:443", AF_INET6, "2001:db8::7", 443);

    static const char forms[] = "HOST:PORT, e.g. 127.0.0.1:8080, [::1]:8080 or [::]:8080";
    char msg[256];
    snprintf(msg, sizeof msg, "listen address '8080' must be %s", forms);
    refuses("8080", msg);
    snprintf(msg, sizeof msg, "listen address '[::1]' must be %s", forms);
    refuses("[::1]", msg);
    snprintf(msg, sizeof msg, "listen address '[::1]:' must be %s", forms);
    refuses("[::1]:", msg);
    snprintf(msg, sizeof msg, "listen address '[::1' must be %s", forms);
    refuses("[::1", msg);
    refuses("::1:8080",
            "listen address '::1:8080': an IPv6 address goes in brackets, as in [::1]:8080");
    refuses("[::1]:99999", "bad port in listen address '[::1]:99999' (0 to 65535)");
    refuses("127.0.0.1:-1", "bad port in listen address '127.0.0.1:-1' (0 to 65535)");
    refuses("127.0.0.1:80x", "bad port in listen address '127.0.0.1:80x' (0 to 65535)");
    refuses("[nope]:80", "listen host 'nope' is not an IPv6 address");
    refuses("[127.0.0.1]:80", "listen host '127.0.0.1' is not an IPv6 address");
    refuses("[]:80", "listen host in '[]:80' is not an IPv6 address");
    refuses("example.com:80", "listen host 'example.com' is not an IPv4 address (or localhost); "
                              "IPv6 goes in brackets, as in [::1]:8080");
}

/* ---- routing: no fixed limits ---- */

static void noop(http_req *r)
{
    (void)r;
}

static void route_with(const route *table, const char *method, const char *path, http_req *r)
{
    memset(r, 0, sizeof *r);
    r->method = method;
    r->path = path;
    router_match(table, r);
}

static void release(http_req *r)
{
    for (int i = 0; i < r->nparams; i++)
        free(r->param[i]);
    free(r->param);
    free(r->allow);
}

static void routes_take_any_number_of_placeholders_and_methods(void **state)
{
    (void)state;
    static const route table[] = {
        {"GET", "/a/{1}/{2}/{3}/{4}/{5}/{6}/{7}", AUTH_ANON, 0, noop, "", NULL},
        {"GET", "/m", AUTH_ANON, 0, noop, "", NULL},
        {"POST", "/m", AUTH_ANON, 0, noop, "", NULL},
        {"PUT", "/m", AUTH_ANON, 0, noop, "", NULL},
        {"PATCH", "/m", AUTH_ANON, 0, noop, "", NULL},
        {"DELETE", "/m", AUTH_ANON, 0, noop, "", NULL},
        {"OPTIONS", "/m", AUTH_ANON, 0, noop, "", NULL},
        {"PROPFIND", "/m", AUTH_ANON, 0, noop, "", NULL},
        {"PROPPATCH", "/m", AUTH_ANON, 0, noop, "", NULL},
        {"MKCOL", "/m", AUTH_ANON, 0, noop, "", NULL},
        {"POST", "/m", AUTH_ANON, 0, noop, "", NULL}, /* listed once in Allow */
        {NULL, NULL, AUTH_ANON, 0, NULL, NULL, NULL},
    };
    http_req r;
    route_with(table, "GET", "/a/one/two/three/four/five/six/seven", &r);
    assert_ptr_equal(r.route, &table[0]);
    assert_int_equal(r.nparams, 7);
    static const char *const want[] = {"one", "two", "three", "four", "five", "six", "seven"};
    for (int i = 0; i < 7; i++)
        assert_string_equal(r.param[i], want[i]);
    release(&r);

    route_with(table, "GET", "/a/one/two/three/four/five/six", &r);
    assert_null(r.route);
    assert_int_equal(r.method_mismatch, 0);
    assert_int_equal(r.nparams, 0);
    release(&r);

    route_with(table, "TRACE", "/m", &r);
    assert_null(r.route);
    assert_int_equal(r.method_mismatch, 1);
    assert_string_equal(r.allow,
                        "GET, POST, PUT, PATCH, DELETE, OPTIONS, PROPFIND, PROPPATCH, MKCOL");
    assert_int_equal(r.resp_failed, 0);
    release(&r);
}

/* ---- response headers on the wire ---- */

enum { NHEADERS = 40 };

static void handle_many_headers(http_req *r)
{
    char name[32], value[32];
    for (int i = 0; i < NHEADERS; i++) {
        snprintf(name, sizeof name, "X-Hail-%d", i);
        snprintf(value, sizeof value, "value %d", i);
        assert_int_equal(http_add_header(r, name, value), HAIL_OK);
    }
    http_reply_raw(r, 200, "text/plain", "ok", 2);
}

static size_t no_body(http_req *r)
{
    (void)r;
    return 0;
}

static void every_header_reaches_the_wire(void **state)
{
    (void)state;
    http_app app = {handle_many_headers, no_body, NULL, 0};
    http_server *srv;
    if (http_server_start("127.0.0.1:0", 1, &app, &srv))
        fail_msg("cannot start: %s", hail_errmsg());
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)http_server_port(srv));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    char resp[16384];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof resp - 1 && (n = read(fd, resp + got, sizeof resp - 1 - got)) > 0)
        got += (size_t)n;
    resp[got] = '\0';
    close(fd);
    http_server_stop(srv);

    assert_true(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
    char line[64];
    for (int i = 0; i < NHEADERS; i++) {
        snprintf(line, sizeof line, "\r\nX-Hail-%d: value %d\r\n", i, i);
        if (!strstr(resp, line))
            fail_msg("header %d is missing from the response:\n%s", i, resp);
    }
    assert_non_null(strstr(resp, "\r\n\r\nok"));
}

static void prefix_routes_match_the_rest(void **state)
{
    (void)state;
    static const route table[] = {
        {"GET", "/api/v1/x", AUTH_ANON, 0, noop, "", NULL},
        {"GET", "/vendor/*", AUTH_ANON, 0, noop, "", "public, max-age=31536000, immutable"},
        {"GET", "/*", AUTH_ANON, 0, noop, "", NULL},
        {NULL, NULL, AUTH_ANON, 0, NULL, NULL, NULL},
    };
    static const struct {
        const char *path;
        int route;
        const char *rest;
    } cases[] = {
        {"/api/v1/x", 0, NULL},
        {"/vendor/a/b.js", 1, "/a/b.js"},
        {"/vendor/", 1, "/"},
        {"/vendor", 1, "/"},
        {"/vendorx", 2, "/vendorx"},
        {"/", 2, "/"},
        {"/people/12", 2, "/people/12"},
    };
    http_req r;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        route_with(table, "GET", cases[i].path, &r);
        if (r.route != &table[cases[i].route])
            fail_msg("%s: matched route %d, not %d", cases[i].path,
                     r.route ? (int)(r.route - table) : -1, cases[i].route);
        if (cases[i].rest) {
            assert_int_equal(r.nparams, 1);
            assert_string_equal(r.param[0], cases[i].rest);
        } else {
            assert_int_equal(r.nparams, 0);
        }
        release(&r);
    }
    route_with(table, "POST", "/people", &r);
    assert_null(r.route);
    assert_int_equal(r.method_mismatch, 1);
    assert_string_equal(r.allow, "GET");
    release(&r);
}

/* ---- a tiny server for the response kinds ---- */

static int connect_to(http_server *srv)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)http_server_port(srv));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_get(int fd, const char *path)
{
    char req[256];
    int n =
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    assert_int_equal(write(fd, req, (size_t)n), n);
}

/* Reads until the buffer holds want (or the peer closes, or ms pass). */
static size_t read_until(int fd, char *out, size_t cap, size_t got, const char *want, int ms)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        out[got] = '\0';
        if (want && strstr(out, want))
            return got;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0 || got >= cap - 1)
            return got;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t n = read(fd, out + got, cap - 1 - got);
        if (n <= 0)
            return got;
        got += (size_t)n;
    }
}

static char file_path[64];
static const route kinds_table[] = {
    {"GET", "/file", AUTH_ANON, 0, noop, "", "no-cache"},
    {"GET", "/stream", AUTH_ANON, 0, noop, "", NULL},
    {"GET", "/plain", AUTH_ANON, 0, noop, "", NULL},
    {NULL, NULL, AUTH_ANON, 0, NULL, NULL, NULL},
};

struct counter {
    atomic_int calls;     /* times fn ran */
    atomic_int available; /* events the test has made available */
    atomic_int freed;
    int sent;
    int end_after;
};
static struct counter streamc;

static long pull_events(void *ctx, char *out, size_t max)
{
    struct counter *c = ctx;
    atomic_fetch_add(&c->calls, 1);
    if (c->sent == c->end_after)
        return -1;
    if (c->sent >= atomic_load(&c->available))
        return 0;
    int n = snprintf(out, max, "data: event %d\n\n", c->sent);
    c->sent++;
    return n;
}

static void free_counter(void *ctx)
{
    struct counter *c = ctx;
    atomic_store(&c->freed, 1);
}

static unsigned stream_tick_ms = 60000;

static size_t route_kinds(http_req *r)
{
    router_match(kinds_table, r);
    return 0;
}

static void handle_kinds(http_req *r)
{
    if (!r->route) {
        http_reply_error(r, 404, "not_found", "no such resource");
    } else if (!strcmp(r->path, "/file")) {
        int fd = open(file_path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        http_reply_file(r, 200, "application/octet-stream", fd, 300000);
    } else if (!strcmp(r->path, "/stream")) {
        http_reply_stream(r, 200, "text/event-stream", pull_events, &streamc, free_counter,
                          stream_tick_ms);
    } else {
        http_set_cache(r, "private, max-age=5");
        http_reply_raw(r, 200, "text/plain", "plain", 5);
    }
}

/* A server of the kinds above; the stream counter starts afresh. */
static http_server *start_kinds(int threads, int end_after, unsigned tick_ms)
{
    static http_app app = {handle_kinds, route_kinds, NULL, 0};
    memset(&streamc, 0, sizeof streamc);
    streamc.end_after = end_after;
    stream_tick_ms = tick_ms;
    http_server *srv;
    if (http_server_start("127.0.0.1:0", threads, &app, &srv))
        fail_msg("cannot start: %s", hail_errmsg());
    return srv;
}

static void file_responses_come_from_the_file(void **state)
{
    (void)state;
    snprintf(file_path, sizeof file_path, "/tmp/hail-test-http-%d", (int)getpid());
    FILE *f = fopen(file_path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 300000; i++)
        fputc('a' + i % 26, f);
    fclose(f);
    http_server *srv = start_kinds(1, -1, 60000);
    int fd = connect_to(srv);
    send_get(fd, "/file");
    static char resp[400000];
    size_t got = read_until(fd, resp, sizeof resp, 0, NULL, 5000);
    close(fd);
    char *body = strstr(resp, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    assert_int_equal(got - (size_t)(body - resp), 300000);
    for (int i = 0; i < 300000; i++)
        if (body[i] != 'a' + i % 26)
            fail_msg("byte %d differs", i);
    assert_non_null(strstr(resp, "\r\nContent-Length: 300000\r\n"));
    assert_non_null(strstr(resp, "\r\nCache-Control: no-cache\r\n")); /* the route's */

    fd = connect_to(srv);
    send_get(fd, "/plain");
    got = read_until(fd, resp, sizeof resp, 0, NULL, 5000);
    close(fd);
    assert_non_null(strstr(resp, "\r\nCache-Control: private, max-age=5\r\n")); /* the reply's */
    assert_non_null(strstr(resp, "\r\nReferrer-Policy: same-origin\r\n"));
    assert_non_null(strstr(resp, "\r\nX-Content-Type-Options: nosniff\r\n"));

    fd = connect_to(srv);
    send_get(fd, "/nope");
    got = read_until(fd, resp, sizeof resp, 0, NULL, 5000);
    close(fd);
    assert_non_null(strstr(resp, "\r\nCache-Control: no-store\r\n")); /* the default */
    http_server_stop(srv);
    unlink(file_path);
}

static void wait_calls(int at_least, int ms)
{
    for (int i = 0; i < ms / 10 && atomic_load(&streamc.calls) < at_least; i++)
        usleep(10000);
}

/* A stream with nothing to say holds no thread: with a pool of one thread,
 * another request is answered while it is open; fn is not called in a loop
 * while idle; a wake sends the next event at once; the end closes it. */
static void idle_streams_hold_no_thread(void **state)
{
    (void)state;
    http_server *srv = start_kinds(1, 2, 60000);
    atomic_store(&streamc.available, 1);
    int fd = connect_to(srv);
    send_get(fd, "/stream");
    static char resp[65536];
    size_t got = read_until(fd, resp, sizeof resp, 0, "data: event 0\n\n", 5000);
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(resp, "\r\nContent-Type: text/event-stream\r\n"));
    assert_non_null(strstr(resp, "data: event 0\n\n"));
    assert_int_equal(http_server_streams(srv), 1);

    /* Idle: fn ran for event 0 and once more to find nothing; not again. */
    usleep(300000);
    int calls = atomic_load(&streamc.calls);
    assert_true(calls <= 3);

    /* The only HTTP thread is free for others. */
    int other = connect_to(srv);
    send_get(other, "/plain");
    static char presp[4096];
    read_until(other, presp, sizeof presp, 0, "plain", 5000);
    close(other);
    assert_non_null(strstr(presp, "\r\n\r\nplain"));

    /* A wake: the next event goes out now, not at the 60 s tick. */
    atomic_store(&streamc.available, 2);
    http_server_wake_streams(srv);
    got = read_until(fd, resp, sizeof resp, got, "data: event 1\n\n", 2000);
    assert_non_null(strstr(resp, "data: event 1\n\n"));
    /* Then fn ends the stream: the chunked body ends and the connection closes. */
    http_server_wake_streams(srv);
    got = read_until(fd, resp, sizeof resp, got, "\r\n0\r\n\r\n", 2000);
    assert_non_null(strstr(resp, "\r\n0\r\n\r\n"));
    close(fd);
    for (int i = 0; i < 200 && http_server_streams(srv); i++)
        usleep(10000);
    assert_int_equal(http_server_streams(srv), 0);
    assert_int_equal(atomic_load(&streamc.freed), 1);
    http_server_stop(srv);
}

/* The tick calls fn again by itself (to poll its source or keep alive), and
 * stopping the server with a stream open neither hangs nor leaks it. */
static void streams_tick_and_stop(void **state)
{
    (void)state;
    http_server *srv = start_kinds(2, -1, 100);
    int fd = connect_to(srv);
    send_get(fd, "/stream");
    static char resp[4096];
    size_t got = read_until(fd, resp, sizeof resp, 0, "\r\n\r\n", 5000);
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    wait_calls(4, 3000);
    int calls = atomic_load(&streamc.calls);
    assert_true(calls >= 4); /* woken by its tick, about 10 times a second */
    usleep(200000);
    assert_true(atomic_load(&streamc.calls) < calls + 20); /* and not in a loop */
    atomic_store(&streamc.available, 1);
    got = read_until(fd, resp, sizeof resp, got, "data: event 0\n\n", 2000);
    assert_non_null(strstr(resp, "data: event 0\n\n"));
    http_server_stop(srv);
    close(fd);
    assert_int_equal(atomic_load(&streamc.freed), 1);
    stream_tick_ms = 60000;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(routes_take_any_number_of_placeholders_and_methods),
        cmocka_unit_test(every_header_reaches_the_wire),
        cmocka_unit_test(prefix_routes_match_the_rest),
        cmocka_unit_test(file_responses_come_from_the_file),
        cmocka_unit_test(idle_streams_hold_no_thread),
        cmocka_unit_test(streams_tick_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
