#include "core/common.h"

#include "core/fold.h"

#include <string.h>

/* U+00C0..U+00FF. Lower-case letters are the ASCII base; upper-case markers
 * expand to two letters; '*' keeps the character (× and ÷). */
static const char latin1[64 + 1] = "aaaaaaAceeeeiiiidnooooo*ouuuuyTS"
                                   "aaaaaaAceeeeiiiidnooooo*ouuuuyTy";
/* U+0100..U+017F, same convention ('I' = "ij", 'O' = "oe"). */
static const char latin_ext_a[128 + 1] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiIIjjkkk"
                                         "llllllllllnnnnnnnnnooooooOOrrrrrrsssssssstttttt"
                                         "uuuuuuuuuuuuwwyyyzzzzzzs";

static size_t put_marker(char m, char *out)
{
    const char *two = NULL;
    switch (m) {
    case 'A':
        two = "ae";
        break;
    case 'T':
        two = "th";
        break;
    case 'S':
        two = "ss";
        break;
    case 'I':
        two = "ij";
        break;
    case 'O':
        two = "oe";
        break;
    default:
        out[0] = m;
        return 1;
    }
    out[0] = two[0];
    out[1] = two[1];
    return 2;
}

/* Decodes one UTF-8 sequence; returns its length (0 if invalid). */
static size_t utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    unsigned c;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        c = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        c = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not characters:
     * decoding them would turn e.g. C1 81 into an upper-case 'A'. */
    static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_cp[n] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 0;
    *cp = c;
    return n;
}

static size_t utf8_encode(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t fold_key(const char *in, size_t len, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0;
    int pending_space = 0, last_invalid = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            pending_space = o > 0;
            i++;
            continue;
        }
        char tmp[4];
        size_t tn;
        int invalid = 0;
        if (c < 0x80) {
            tmp[0] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            tn = 1;
            i++;
        } else {
            unsigned cp;
            size_t n = utf8_decode(s + i, len - i, &cp);
            if (n == 0) { /* invalid byte: keep it, folding stays idempotent */
                tmp[0] = (char)c;
                tn = 1;
                invalid = 1;
                i++;
            } else {
                i += n;
                if (cp >= 0x300 && cp <= 0x36F && !last_invalid)
                    continue; /* combining mark */
                if (cp == 0xA0) {
                    pending_space = o > 0;
                    continue;
                }
                if (cp >= 0x300 && cp <= 0x36F) {
                    /* A mark right after a kept invalid byte stays: dropping it
                     * could join that byte and the next into a new character. */
                    memcpy(tmp, s + i - n, n);
                    tn = n;
                } else if (cp >= 0xC0 && cp <= 0xFF && latin1[cp - 0xC0] != '*') {
                    tn = put_marker(latin1[cp - 0xC0], tmp);
                } else if (cp >= 0x100 && cp <= 0x17F) {
                    tn = put_marker(latin_ext_a[cp - 0x100], tmp);
                } else {
                    if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)
                        cp += 0x20; /* Greek capitals */
                    else if (cp >= 0x410 && cp <= 0x42F)
                        cp += 0x20; /* Cyrillic А..Я */
                    else if (cp >= 0x400 && cp <= 0x40F)
                        cp += 0x50; /* Cyrillic Ѐ..Џ */
                    tn = utf8_encode(cp, tmp);
                }
            }
        }
        if (pending_space) {
            out[o++] = ' ';
            pending_space = 0;
        }
        memcpy(out + o, tmp, tn);
        o += tn;
        last_invalid = invalid;
    }
    out[o] = '\0';
    return o;
}

/* The start and code point of the UTF-8 sequence that ends p[0..len), or
 * -1 when the last bytes are not one whole sequence. */
static long last_code_point(const unsigned char *p, size_t len, size_t *start)
{
    size_t i = len;
    int cont = 0;
    while (i > 0 && cont < 3 && (p[i - 1] & 0xC0) == 0x80) {
        i--;
        cont++;
    }
    if (i == 0)
        return -1;
    unsigned char b = p[i - 1];
    int need = b < 0x80             ? 0
               : (b & 0xE0) == 0xC0 ? 1
               : (b & 0xF0) == 0xE0 ? 2
               : (b & 0xF8) == 0xF0 ? 3
                                    : -1;
    if (need != cont)
        return -1;
    long cp = need == 0 ? b : need == 1 ? (b & 0x1F) : need == 2 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = i; k < len; k++)
        cp = cp << 6 | (p[k] & 0x3F);
    static const long min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *start = i - 1;
    return cp;
}

static size_t utf8_put(long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t fold_prefix_upper(const char *p, size_t len, char *out)
{
    const unsigned char *u = (const unsigned char *)p;
    while (len > 0) {
        size_t start;
        long cp = last_code_point(u, len, &start);
        if (cp < 0) {
            /* Not UTF-8 at the end: the next byte string. */
            if (u[len - 1] == 0xFF) {
                len--;
                continue;
            }
            memcpy(out, p, len - 1);
            out[len - 1] = (char)(u[len - 1] + 1);
            out[len] = '\0';
            return len;
        }
        if (cp == 0x10FFFF) {
            len = start; /* nothing follows it: the bound is that of what precedes */
            continue;
        }
        cp = cp == 0xD7FF ? 0xE000 : cp + 1; /* no surrogates in UTF-8 */
        memcpy(out, p, start);
        size_t n = start + utf8_put(cp, out + start);
        out[n] = '\0';
        return n;
    }
    out[0] = '\0';
    return 0;
}
