#include "core/common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

/* Trusted reverse proxies (HAIL_TRUSTED_PROXIES): set once at start-up,
 * before any HTTP thread runs, and only read afterwards. */

typedef struct net {
    int v6;                 /* 0: IPv4 (4 bytes used), 1: IPv6 */
    unsigned char addr[16]; /* network address, host bits cleared */
    int bits;               /* prefix length */
} net;

static net *proxies;
static size_t nproxies;

/* Parses an address (IPv4, IPv6; an IPv4-mapped IPv6 address counts as
 * IPv4) into a; returns 0 if s is not one. */
static int parse_ip(const char *s, int *v6, unsigned char a[16])
{
    memset(a, 0, 16);
    if (inet_pton(AF_INET, s, a) == 1) {
        *v6 = 0;
        return 1;
    }
    if (inet_pton(AF_INET6, s, a) != 1)
        return 0;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(a, mapped, sizeof mapped)) {
        memmove(a, a + 12, 4);
        memset(a + 4, 0, 12);
        *v6 = 0;
        return 1;
    }
    *v6 = 1;
    return 1;
}

static void mask(unsigned char a[16], int bits)
{
    for (int i = 0; i < 16; i++) {
        int keep = bits - i * 8;
        a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
    }
}

static int net_has(const net *n, int v6, const unsigned char a[16])
{
    if (n->v6 != v6)
        return 0;
    unsigned char m[16];
    memcpy(m, a, 16);
    mask(m, n->bits);
    return !memcmp(m, n->addr, 16);
}

static int trusted(int v6, const unsigned char a[16])
{
    for (size_t i = 0; i < nproxies; i++)
        if (net_has(&proxies[i], v6, a))
            return 1;
    return 0;
}

/* One entry "ADDR" or "ADDR/BITS" (len bytes at s, trimmed). */
static int parse_net(const char *s, size_t len, net *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *slash = strchr(tmp, '/');
    if (slash)
        *slash = '\0';
    if (!parse_ip(tmp, &out->v6, out->addr))
        return 0;
    int mapped = !out->v6 && strchr(tmp, ':');
    int max = out->v6 || mapped ? 128 : 32;
    out->bits = out->v6 ? 128 : 32;
    if (slash) {
        const char *b = slash + 1;
        if (!*b || strlen(b) > 3)
            return 0;
        for (const char *p = b; *p; p++)
            if (!isdigit((unsigned char)*p))
                return 0;
        out->bits = atoi(b);
        if (out->bits > max)
            return 0;
        /* "::ffff:10.0.0.0/104" is the IPv4 network 10.0.0.0/8. */
        if (mapped) {
            if (out->bits < 96)
                return 0;
            out->bits -= 96;
        }
    }
    mask(out->addr, out->bits);
    return 1;
}

hail_err auth_proxies_set(const char *spec)
{
    free(proxies);
    proxies = NULL;
    nproxies = 0;
    if (!spec)
        return HAIL_OK;
    size_t cap = 1;
    for (const char *p = spec; *p; p++)
        cap += *p == ',';
    net *list = calloc(cap, sizeof *list);
    if (!list)
        return HAIL_ENOMEM;
    size_t n = 0;
    const char *p = spec;
    int only_space = 1;
    for (const char *q = spec; *q; q++)
        only_space &= *q == ' ' || *q == '\t';
    if (only_space) {
        free(list);
        return HAIL_OK; /* unset or empty: no proxy is trusted */
    }
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (!parse_net(a, (size_t)(b - a), &list[n])) {
            char shown[80];
            snprintf(shown, sizeof shown, "%.*s", (int)(b - a > 64 ? 64 : b - a), a);
            for (char *c = shown; *c; c++)
                if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                    *c = '?';
            free(list);
            return hail_errf(HAIL_EINVAL,
                             "HAIL_TRUSTED_PROXIES: '%s' is not an IP address or network "
                             "(give a comma-separated list like 10.0.0.1,192.168.0.0/16,fd00::/8)",
                             shown);
        }
        n++;
        if (!*end)
            break;
        p = end + 1;
    }
    proxies = list;
    nproxies = n;
    return HAIL_OK;
}

size_t auth_proxies_count(void)
{
    return nproxies;
}

/* One X-Forwarded-For entry (trimmed, len bytes) as an address; accepts
 * "1.2.3.4:port" and "[v6]" / "[v6]:port" as some proxies write them. */
static int parse_forwarded(const char *s, size_t len, int *v6, unsigned char a[16])
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *ip = tmp;
    if (tmp[0] == '[') {
        char *close = strchr(tmp, ']');
        if (!close || (close[1] && close[1] != ':'))
            return 0;
        *close = '\0';
        ip = tmp + 1;
    } else {
        char *colon = strchr(tmp, ':');
        if (colon && !strchr(colon + 1, ':') && strchr(tmp, '.'))
            *colon = '\0'; /* IPv4 with a port */
    }
    return parse_ip(ip, v6, a);
}

/* The key of an address: IPv4 as is, IPv6 by its /64 (one subscriber
 * usually holds a whole /64, so counting single addresses would let one
 * client spread its guesses over 2^64 keys). */
static void address_key(int v6, const unsigned char a[16], char *out, size_t n)
{
    char s[INET6_ADDRSTRLEN];
    unsigned char m[16];
    memcpy(m, a, 16);
    if (v6)
        mask(m, 64);
    if (!inet_ntop(v6 ? AF_INET6 : AF_INET, m, s, sizeof s))
        s[0] = '\0';
    snprintf(out, n, "%s%s", s, v6 ? "/64" : "");
}

void auth_client_address(const char *peer, const char *forwarded_for, char *out, size_t n)
{
    int v6;
    unsigned char a[16];
    if (!peer || !parse_ip(peer, &v6, a)) {
        snprintf(out, n, "%s", peer ? peer : "");
        return;
    }
    if (forwarded_for && trusted(v6, a)) {
        /* Walk from the right: each trusted hop vouches for the entry before
         * it; the first entry not trusted is the client. Entries further left
         * came from the client itself and prove nothing. */
        const char *end = forwarded_for + strlen(forwarded_for);
        while (end > forwarded_for) {
            const char *start = end;
            while (start > forwarded_for && start[-1] != ',')
                start--;
            const char *x = start, *y = end;
            while (x < y && (*x == ' ' || *x == '\t'))
                x++;
            while (y > x && (y[-1] == ' ' || y[-1] == '\t'))
                y--;
            int ev6;
            unsigned char ea[16];
            if (x < y) {
                if (!parse_forwarded(x, (size_t)(y - x), &ev6, ea))
                    break; /* garbage from a trusted hop: keep the last good one */
                v6 = ev6;
                memcpy(a, ea, 16);
                if (!trusted(v6, a))
                    break;
            }
            end = start > forwarded_for ? start - 1 : forwarded_for;
        }
    }
    address_key(v6, a, out, n);
}
