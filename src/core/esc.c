#include "core/common.h"

#include "core/esc.h"

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    if (cp >= 0x80 && cp <= 0x9f) /* C1 controls: CSI (U+009B) is an escape too */
        return 0;
    return len;
}

static hail_err put_hex(buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
    return buf_append(b, e, 4);
}

hail_err esc_ctl(buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* Copy the run of plain printable ASCII in one go. */
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '\\')
            run++;
        if (run > i) {
            hail_err e = buf_append(b, p + i, run - i);
            if (e)
                return e;
            i = run;
            continue;
        }
        unsigned char c = p[i];
        hail_err e;
        size_t len;
        if (c == '\\')
            e = buf_append(b, "\\\\", 2), len = 1;
        else if (c == '\n')
            e = buf_append(b, "\\n", 2), len = 1;
        else if (c == '\r')
            e = buf_append(b, "\\r", 2), len = 1;
        else if (c == '\t')
            e = buf_append(b, "\\t", 2), len = 1;
        else if (c >= 0x80 && (len = utf8_len(p + i, n - i)))
            e = buf_append(b, p + i, len);
        else if (c == 0xc2 && n - i >= 2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
            /* A C1 control's two bytes, both shown. */
            e = put_hex(b, c);
            if (!e)
                e = put_hex(b, p[i + 1]);
            len = 2;
        } else
            e = put_hex(b, c), len = 1;
        if (e)
            return e;
        i += len;
    }
    if (!b->data)
        return buf_append(b, "", 0);
    return HAIL_OK;
}

char *esc_ctl_str(char *out, size_t outsz, const char *s)
{
    buf b = BUF_INIT(SIZE_MAX / 2);
    if (!outsz)
        return out;
    if (esc_ctl(&b, s, strlen(s)) || !b.data) {
        out[0] = '\0';
        buf_release(&b);
        return out;
    }
    size_t n = b.len;
    if (n >= outsz) {
        n = outsz - 1;
        /* Do not cut a UTF-8 sequence in half. */
        while (n > 0 && ((unsigned char)b.data[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out, b.data, n);
    out[n] = '\0';
    buf_release(&b);
    return out;
}
