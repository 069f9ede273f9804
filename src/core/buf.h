/* Growable byte buffers with a hard maximum (curl's dynbuf idea).
 *
 * A buf owns its data; buf_release() frees it. Appending past `max` fails with
 * HAIL_ETOOBIG and leaves the buffer as it was, so a caller can bound what an
 * outside peer makes it hold. The data is always NUL-terminated after the
 * first successful append (the NUL is not counted in len).
 */
#ifndef HAIL_CORE_BUF_H
#define HAIL_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
} buf;

#define BUF_INIT(maxlen)                                                                           \
    {                                                                                              \
        NULL, 0, 0, (maxlen)                                                                       \
    }

void buf_init(buf *b, size_t max);
hail_err buf_append(buf *b, const void *p, size_t n);
hail_err buf_puts(buf *b, const char *s);
hail_err buf_putc(buf *b, char c);
hail_err buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
hail_err buf_vprintf(buf *b, const char *fmt, va_list ap);
/* Empties the buffer, keeping its memory. */
void buf_reset(buf *b);
/* Frees the memory; the buffer can be used again. */
void buf_release(buf *b);
/* The contents as a C string ("" when empty). */
const char *buf_cstr(const buf *b);
/* Hands the memory to the caller (NUL-terminated, possibly NULL when empty). */
char *buf_detach(buf *b, size_t *len);

#endif
