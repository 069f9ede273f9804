#include "core/common.h"

#include "core/jsonw.h"

#include <stdio.h>
#include <string.h>

hail_err jsonw_str(buf *b, const char *s, size_t n)
{
    if (!s)
        return buf_append(b, "null", 4);
    hail_err e = buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; !e && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        /* flush the plain run, then the escape */
        e = buf_append(b, s + start, i - start);
        char esc[8];
        size_t el = 2;
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            el = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
            break;
        }
        if (!e)
            e = buf_append(b, esc, el);
        start = i + 1;
    }
    if (!e)
        e = buf_append(b, s + start, n - start);
    return e ? e : buf_putc(b, '"');
}

hail_err jsonw_key(buf *b, const char *key)
{
    hail_err e = buf_putc(b, '"');
    if (!e)
        e = buf_puts(b, key);
    return e ? e : buf_append(b, "\":", 2);
}

hail_err jsonw_int(buf *b, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", (long long)v);
    return buf_append(b, t, (size_t)n);
}
