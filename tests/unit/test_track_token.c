#include "core/common.h"

/* Unit tests for core/track_token: the token of (kind, email id, link) is
 * HMAC-SHA256 in base64url (checked against a vector computed elsewhere, with
 * Python's hmac), it round-trips, and everything else is refused: another
 * kind, another key, any changed character, a wrong length, bytes that are
 * not base64url. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/track_token.h"

static unsigned char key[TRACK_KEY_BYTES];

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < TRACK_KEY_BYTES; i++)
        key[i] = (unsigned char)i;
    return 0;
}

static void known_vectors(void **state)
{
    (void)state;
    char t[TRACK_TOKEN_LEN + 1];
    assert_int_equal(track_token_make(key, 'c', 42, 3, t), 0);
    assert_string_equal(t, "AAAAAAAAACoAA6Eg9ECLTFXi6c3YCChhKIB0LatuVYKc8vM088ye0ujU");
    assert_int_equal(track_token_make(key, 'o', 1, 0, t), 0);
    assert_string_equal(t, "AAAAAAAAAAEAADFVjX5JkBzah7lrGN9DWkf0mVlq2-uZGNFhr0swFnOl");
}

static void round_trip(void **state)
{
    (void)state;
    const int64_t ids[] = {1, 2, 1000, INT64_C(1) << 40, INT64_MAX};
    const int links[] = {0, 1, 255, 256, TRACK_LINK_MAX};
    const char kinds[] = {'o', 'c', 'u'};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        for (size_t j = 0; j < sizeof links / sizeof *links; j++)
            for (size_t k = 0; k < sizeof kinds; k++) {
                char t[TRACK_TOKEN_LEN + 1];
                assert_int_equal(track_token_make(key, kinds[k], ids[i], links[j], t), 0);
                assert_int_equal(strlen(t), TRACK_TOKEN_LEN);
                int64_t id;
                int link;
                assert_int_equal(track_token_check(key, kinds[k], t, &id, &link), 1);
                assert_int_equal(id, ids[i]);
                assert_int_equal(link, links[j]);
                /* another kind's path refuses it */
                char other = kinds[(k + 1) % sizeof kinds];
                assert_int_equal(track_token_check(key, other, t, &id, &link), 0);
                assert_int_equal(id, 0);
            }
}

static void bad_arguments(void **state)
{
    (void)state;
    char t[TRACK_TOKEN_LEN + 1];
    assert_int_equal(track_token_make(key, 'o', 0, 0, t), -1);
    assert_string_equal(t, "");
    assert_int_equal(track_token_make(key, 'o', -5, 0, t), -1);
    assert_int_equal(track_token_make(key, 'c', 5, -1, t), -1);
    assert_int_equal(track_token_make(key, 'c', 5, TRACK_LINK_MAX + 1, t), -1);
}

static void every_change_is_refused(void **state)
{
    (void)state;
    char t[TRACK_TOKEN_LEN + 1];
    int64_t id;
    int link;
    assert_int_equal(track_token_make(key, 'c', 77, 2, t), 0);
    for (int i = 0; i < TRACK_TOKEN_LEN; i++) {
        char save = t[i];
        const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (const char *c = alphabet; *c; c++) {
            if (*c == save)
                continue;
            t[i] = *c;
            if (track_token_check(key, 'c', t, &id, &link))
                fail_msg("position %d changed to %c still verifies", i, *c);
        }
        t[i] = save;
    }
    assert_int_equal(track_token_check(key, 'c', t, &id, &link), 1);

    /* another install's key */
    unsigned char other[TRACK_KEY_BYTES];
    memcpy(other, key, sizeof other);
    other[31] ^= 1;
    assert_int_equal(track_token_check(other, 'c', t, &id, &link), 0);
}

static void malformed_is_refused(void **state)
{
    (void)state;
    int64_t id = 9;
    int link = 9;
    char t[TRACK_TOKEN_LEN + 2];
    assert_int_equal(track_token_make(key, 'o', 77, 0, t), 0);
    assert_int_equal(track_token_check(key, 'o', NULL, &id, &link), 0);
    assert_int_equal(track_token_check(key, 'o', "", &id, &link), 0);
    assert_int_equal(track_token_check(key, 'o', "stub-o-1-0", &id, &link), 0);
    /* one character short, one too many */
    char s[TRACK_TOKEN_LEN + 2];
    memcpy(s, t, TRACK_TOKEN_LEN - 1);
    s[TRACK_TOKEN_LEN - 1] = '\0';
    assert_int_equal(track_token_check(key, 'o', s, &id, &link), 0);
    memcpy(s, t, TRACK_TOKEN_LEN);
    s[TRACK_TOKEN_LEN] = 'A';
    s[TRACK_TOKEN_LEN + 1] = '\0';
    assert_int_equal(track_token_check(key, 'o', s, &id, &link), 0);
    /* padding, standard base64 characters, white space, a NUL inside */
    memcpy(s, t, TRACK_TOKEN_LEN + 1);
    s[10] = '+';
    assert_int_equal(track_token_check(key, 'o', s, &id, &link), 0);
    s[10] = '=';
    assert_int_equal(track_token_check(key, 'o', s, &id, &link), 0);
    s[10] = ' ';
    assert_int_equal(track_token_check(key, 'o', s, &id, &link), 0);
    s[10] = '\0';
    assert_int_equal(track_token_check(key, 'o', s, &id, &link), 0);
    assert_int_equal(id, 0);
    assert_int_equal(link, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_vectors),        cmocka_unit_test(round_trip),
        cmocka_unit_test(bad_arguments),        cmocka_unit_test(every_change_is_refused),
        cmocka_unit_test(malformed_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
