#include "core/common.h"

/* Phone numbers: core/phone.h. */
#include "core/phone.h"

#include <ctype.h>
#include <string.h>

/* The country calling codes the ITU has assigned (E.164 Annex), in order.
 * The set is prefix-free: no code starts another one. Static data read by
 * a binary search; adding a code is adding a line. */
static const short country_codes[] = {
    1,   7,   20,  27,  30,  31,  32,  33,  34,  36,  39,  40,  41,  43,  44,  45,  46,  47,
    48,  49,  51,  52,  53,  54,  55,  56,  57,  58,  60,  61,  62,  63,  64,  65,  66,  81,
    82,  84,  86,  90,  91,  92,  93,  94,  95,  98,  211, 212, 213, 216, 218, 220, 221, 222,
    223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240,
    241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258,
    260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, 350, 351, 352,
    353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378, 379, 380,
    381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507,
    508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676,
    677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808, 850,
    852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965,
    966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998,
};

int phone_country_known(int cc)
{
    size_t lo = 0, hi = sizeof country_codes / sizeof *country_codes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (country_codes[mid] == cc)
            return 1;
        if (country_codes[mid] < cc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The text as a message may show it: at most 40 bytes, printable ASCII
 * (anything else is '?', so that a message is always valid UTF-8). */
static void shown(const char *s, size_t n, char out[48])
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 40; i++)
        out[k++] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' ? s[i] : '?';
    if (n > 40) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

/* Whether s (n bytes) from i is an extension: "x12", "ext12", "ext. 12",
 * ";ext=12" (separators allowed), nothing after it. */
static int is_extension(const char *s, size_t n, size_t i)
{
    if (s[i] == ';') {
        if (n - i < 5 || strncasecmp(s + i, ";ext=", 5) != 0)
            return 0;
        i += 5;
    } else if (n - i >= 3 && !strncasecmp(s + i, "ext", 3)) {
        i += 3;
    } else if (s[i] == 'x' || s[i] == 'X') {
        i++;
    } else {
        return 0;
    }
    while (i < n && (s[i] == '.' || s[i] == ' ' || s[i] == ':'))
        i++;
    size_t digits = 0;
    while (i < n && isdigit((unsigned char)s[i]))
        i++, digits++;
    while (i < n && s[i] == ' ')
        i++;
    return digits > 0 && i == n;
}

hail_err phone_parse(const char *text, long len, int default_cc, phone_number *out)
{
    memset(out, 0, sizeof *out);
    size_t n = len < 0 ? strlen(text) : (size_t)len;
    char msg[48];
    shown(text, n, msg);
    size_t i = 0;
    while (i < n && isspace((unsigned char)text[i]))
        i++;
    if (n - i >= 4 && !strncasecmp(text + i, "tel:", 4))
        i += 4;
    char digits[24];
    size_t nd = 0;
    int plus = 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isdigit(c)) {
            if (nd >= sizeof digits - 1)
                return hail_errf(HAIL_EINVAL,
                                 "'%s' is too long for a phone number (E.164: at most 15 digits)",
                                 msg);
            digits[nd++] = (char)c;
        } else if (c == '+' && nd == 0 && !plus) {
            plus = 1;
        } else if (c == ' ' || c == '\t' || c == '.' || c == '-' || c == '/' || c == '(' ||
                   c == ')') {
            continue;
        } else if (nd > 0 && is_extension(text, n, i)) {
            break;
        } else {
            return hail_errf(HAIL_EINVAL, "'%s' is not a phone number", msg);
        }
    }
    digits[nd] = '\0';
    if (nd == 0)
        return hail_errf(HAIL_EINVAL, "'%s' is not a phone number", msg);
    const char *d = digits;
    int intl = plus;
    if (!intl && nd > 2 && d[0] == '0' && d[1] == '0') {
        intl = 1; /* 00: the international prefix most of the world dials */
        d += 2;
    } else if (!intl && default_cc == 1 && nd > 3 && !strncmp(d, "011", 3)) {
        intl = 1; /* the NANP's */
        d += 3;
    }
    int cc = 0;
    const char *nat = d;
    if (intl) {
        for (int k = 1; k <= 3 && !cc; k++) {
            if (strlen(d) <= (size_t)k)
                break;
            int v = 0;
            for (int j = 0; j < k; j++)
                v = v * 10 + (d[j] - '0');
            if (d[0] != '0' && phone_country_known(v)) {
                cc = v;
                nat = d + k;
            }
        }
        if (!cc)
            return hail_errf(HAIL_EINVAL, "'%s' has no known country code", msg);
        /* "+44 (0)20 …": a trunk prefix written after the country code. */
        if (nat[0] == '0' && cc != 39)
            nat++;
    } else {
        if (default_cc <= 0 || !phone_country_known(default_cc))
            return hail_errf(HAIL_EINVAL,
                             "'%s' has no country code (write it as +<country code> <number>)",
                             msg);
        cc = default_cc;
        /* The trunk prefix: 1 in the NANP, 0 elsewhere (Italy keeps its 0). */
        if (cc == 1 && strlen(d) == 11 && d[0] == '1')
            nat++;
        else if (cc != 1 && cc != 39 && d[0] == '0')
            nat++;
    }
    size_t ccl = cc >= 100 ? 3 : cc >= 10 ? 2 : 1;
    size_t nl = strlen(nat);
    if (ccl + nl > 15)
        return hail_errf(HAIL_EINVAL,
                         "'%s' is too long for a phone number (E.164: at most 15 digits)", msg);
    if (nl < 4)
        return hail_errf(HAIL_EINVAL, "'%s' is too short to be a phone number", msg);
    if (cc == 1) {
        if (nl != 10 || nat[0] < '2' || nat[3] < '2')
            return hail_errf(HAIL_EINVAL,
                             "'%s' is not a valid North American number (10 digits; the area code "
                             "and the exchange start with 2-9)",
                             msg);
        memcpy(out->area, nat, 3);
        out->area[3] = '\0';
    }
    out->country_code = cc;
    memcpy(out->national, nat, nl + 1);
    /* ccl + nl <= 15: it fits. */
    int k = snprintf(out->e164, sizeof out->e164, "+%d", cc);
    memcpy(out->e164 + k, nat, nl + 1);
    return HAIL_OK;
}

void phone_tel_uri(const phone_number *n, char out[PHONE_TEL_URI_MAX])
{
    snprintf(out, PHONE_TEL_URI_MAX, "tel:%s", n->e164);
}

long phone_local_presence(const phone_number *callee, const phone_number *pool, size_t n, long def)
{
    long best = -1;
    size_t best_len = 1; /* at least two digits in common */
    for (size_t i = 0; i < n; i++) {
        const phone_number *p = &pool[i];
        if (p->country_code != callee->country_code)
            continue;
        if (callee->country_code == 1) {
            if (!strcmp(p->area, callee->area))
                return (long)i;
            continue;
        }
        size_t k = 0;
        while (p->national[k] && p->national[k] == callee->national[k])
            k++;
        if (k > best_len) {
            best_len = k;
            best = (long)i;
        }
    }
    return best >= 0 ? best : def;
}
