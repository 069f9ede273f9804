#include "core/common.h"

#include "core/track_token.h"

#include <sodium.h>

#define PAYLOAD 10 /* email id (8) and link (2) */
/* 42 bytes: exactly 56 base64 characters, no padding and no unused bits, so
 * each token has one spelling. */
#define RAW (PAYLOAD + crypto_auth_hmacsha256_BYTES)

static void mac(const unsigned char key[TRACK_KEY_BYTES], char kind, const unsigned char *payload,
                unsigned char out[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    unsigned char k = (unsigned char)kind;
    crypto_auth_hmacsha256_init(&st, key, TRACK_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, &k, 1);
    crypto_auth_hmacsha256_update(&st, payload, PAYLOAD);
    crypto_auth_hmacsha256_final(&st, out);
}

int track_token_make(const unsigned char key[TRACK_KEY_BYTES], char kind, int64_t email_id,
                     int link, char out[TRACK_TOKEN_LEN + 1])
{
    out[0] = '\0';
    if (email_id < 1 || link < 0 || link > TRACK_LINK_MAX)
        return -1;
    unsigned char raw[RAW];
    uint64_t id = (uint64_t)email_id;
    for (int i = 0; i < 8; i++)
        raw[i] = (unsigned char)(id >> (56 - 8 * i));
    raw[8] = (unsigned char)(link >> 8);
    raw[9] = (unsigned char)link;
    mac(key, kind, raw, raw + PAYLOAD);
    sodium_bin2base64(out, TRACK_TOKEN_LEN + 1, raw, RAW, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

int track_token_check(const unsigned char key[TRACK_KEY_BYTES], char kind, const char *token,
                      int64_t *email_id, int *link)
{
    *email_id = 0;
    *link = 0;
    if (!token || strnlen(token, TRACK_TOKEN_LEN + 1) != TRACK_TOKEN_LEN)
        return 0;
    unsigned char raw[RAW];
    size_t n = 0;
    if (sodium_base642bin(raw, sizeof raw, token, TRACK_TOKEN_LEN, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != RAW)
        return 0;
    unsigned char want[crypto_auth_hmacsha256_BYTES];
    mac(key, kind, raw, want);
    if (sodium_memcmp(want, raw + PAYLOAD, sizeof want) != 0)
        return 0;
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = id << 8 | raw[i];
    if (id < 1 || id > INT64_MAX)
        return 0;
    *email_id = (int64_t)id;
    *link = raw[8] << 8 | raw[9];
    return 1;
}
