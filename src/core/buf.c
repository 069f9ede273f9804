#include "core/common.h"

#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

static hail_err grow(buf *b, size_t need)
{
    if (need > b->max || need < b->len)
        return hail_errf(HAIL_ETOOBIG, "more than %zu bytes", b->max);
    if (need + 1 <= b->cap)
        return HAIL_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need + 1)
        cap *= 2;
    if (cap - 1 > b->max) /* not cap > max + 1: that wraps when max is SIZE_MAX */
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return HAIL_ENOMEM;
    b->data = p;
    b->cap = cap;
    return HAIL_OK;
}

hail_err buf_append(buf *b, const void *p, size_t n)
{
    hail_err e = grow(b, b->len + n);
    if (e)
        return e;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return HAIL_OK;
}

hail_err buf_puts(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

hail_err buf_putc(buf *b, char c)
{
    return buf_append(b, &c, 1);
}

hail_err buf_vprintf(buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return hail_errf(HAIL_EINVAL, "bad format");
    hail_err e = grow(b, b->len + (size_t)n);
    if (e)
        return e;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return HAIL_OK;
}

hail_err buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hail_err e = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return e;
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_release(buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *buf_cstr(const buf *b)
{
    return b->data ? b->data : "";
}

char *buf_detach(buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
