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
#include <sys/socket.h>
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
        {"GET", "/a/{1}/{2}/{3}/{4}/{5}/{6}/{7}", AUTH_ANON, 0, noop, ""},
        {"GET", "/m", AUTH_ANON, 0, noop, ""},
        {"POST", "/m", AUTH_ANON, 0, noop, ""},
        {"PUT", "/m", AUTH_ANON, 0, noop, ""},
        {"PATCH", "/m", AUTH_ANON, 0, noop, ""},
        {"DELETE", "/m", AUTH_ANON, 0, noop, ""},
        {"OPTIONS", "/m", AUTH_ANON, 0, noop, ""},
        {"PROPFIND", "/m", AUTH_ANON, 0, noop, ""},
        {"PROPPATCH", "/m", AUTH_ANON, 0, noop, ""},
        {"MKCOL", "/m", AUTH_ANON, 0, noop, ""},
        {"POST", "/m", AUTH_ANON, 0, noop, ""}, /* listed once in Allow */
        {NULL, NULL, AUTH_ANON, 0, NULL, NULL},
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(routes_take_any_number_of_placeholders_and_methods),
        cmocka_unit_test(every_header_reaches_the_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
