/* Phone numbers (issue 9, calls): E.164 parsing and formatting, and local
 * presence — which number of the org's caller-id pool to show a callee.
 * Pure: no I/O, no allocation, no global state (tests/unit/test_phone.c).
 *
 * Parsing takes what people type and CRMs store: "+1 (415) 555-0100",
 * "+44 20 7946 0958", "00 49 30 1234567", "tel:+14155550100", or a national
 * number ("(415) 555-0100", "020 7946 0958") read in a default country
 * (its trunk prefix, 0 — or 1 in the NANP —, dropped; also "+44 (0)20 …"). Spaces, dots,
 * hyphens, slashes and parentheses are separators; an extension ("x12",
 * "ext. 12", ";ext=12") is dropped; anything else is refused.
 *
 * The country code is found from the ITU's assignments (1 to 3 digits).
 * The NANP (+1) numbers are checked: 10 digits, area code and exchange
 * NXX (first digit 2-9); their area code is the first three digits. Other
 * countries' area codes have many lengths: there, the "area" two numbers
 * share is the longest common start of their national numbers (see
 * phone_local_presence).
 */
#ifndef HAIL_CORE_PHONE_H
#define HAIL_CORE_PHONE_H

#include <stddef.h>

#include "core/err.h"

#define PHONE_E164_MAX 16 /* "+" and at most 15 digits */

typedef struct phone_number {
    int country_code;              /* 1, 44, 49, 353, … */
    char national[PHONE_E164_MAX]; /* the national significant number's digits */
    char e164[PHONE_E164_MAX + 1]; /* "+14155550100" */
    char area[4];                  /* NANP: the area code ("415"); else "" */
} phone_number;

/* Parses text (len bytes; -1: strlen) into *out. default_cc is the country
 * of a number written without one (0: such numbers are refused). HAIL_EINVAL
 * with a message naming what is wrong ("'12' is too short to be a phone
 * number", "'+999 1234' has no known country code", …). */
hail_err phone_parse(const char *text, long len, int default_cc, phone_number *out);

/* Whether a country code is assigned (1, 7, 20, …, 998). */
int phone_country_known(int cc);

/* The tel: URI of a number (RFC 3966 global number): "tel:+14155550100".
 * out must hold PHONE_E164_MAX + 5 bytes. */
#define PHONE_TEL_URI_MAX (PHONE_E164_MAX + 5)
void phone_tel_uri(const phone_number *n, char out[PHONE_TEL_URI_MAX]);

/* Local presence: the index in pool (n numbers) of the caller id to show
 * callee. A pool number in the callee's country and area: NANP, the same
 * area code; elsewhere the one sharing the longest start of the national
 * number, at least two digits (Berlin 30…, Munich 89…, London 20…); ties go
 * to the earlier number. None: def (the org's default number's index, or -1
 * when there is none). */
long phone_local_presence(const phone_number *callee, const phone_number *pool, size_t n, long def);

#endif
