#include "core/common.h"

/* Unit tests for core/phone: E.164 parsing of what people type (separators,
 * 00 and 011 prefixes, tel: URIs, national numbers with trunk prefixes,
 * extensions), the NANP's checks, the messages of refused numbers, the tel:
 * URI, and local presence (area code, longest common start, the default). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/phone.h"

static void ok(const char *text, int def, const char *e164, int cc, const char *area)
{
    phone_number n;
    hail_err e = phone_parse(text, -1, def, &n);
    if (e)
        fail_msg("%s: %s", text, hail_errmsg());
    assert_string_equal(n.e164, e164);
    assert_int_equal(n.country_code, cc);
    assert_string_equal(n.area, area);
}

static void bad(const char *text, int def, const char *message)
{
    phone_number n;
    assert_int_equal(phone_parse(text, -1, def, &n), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), message);
}

static void test_parse(void **state)
{
    (void)state;
    ok("+1 (415) 555-0100", 0, "+14155550100", 1, "415");
    ok("+1.415.555.0100", 44, "+14155550100", 1, "415");
    ok("(415) 555-0100", 1, "+14155550100", 1, "415");
    ok("1-415-555-0100", 1, "+14155550100", 1, "415");
    ok("011 44 20 7946 0958", 1, "+442079460958", 44, "");
    ok("tel:+14155550100", 0, "+14155550100", 1, "415");
    ok("TEL:+442079460958", 0, "+442079460958", 44, "");
    ok("+44 20 7946 0958", 1, "+442079460958", 44, "");
    ok("020 7946 0958", 44, "+442079460958", 44, "");
    ok("00 49 30 1234567", 1, "+49301234567", 49, "");
    ok("030/1234567", 49, "+49301234567", 49, "");
    ok("+353 1 234 5678", 0, "+35312345678", 353, "");
    ok("+91 98765 43210", 0, "+919876543210", 91, "");
    ok("06 1234 5678", 39, "+390612345678", 39, ""); /* Italy keeps its 0 */
    ok("+1 415 555 0100 x123", 0, "+14155550100", 1, "415");
    ok("+1 415 555 0100 ext. 9", 0, "+14155550100", 1, "415");
    ok("+14155550100;ext=9", 0, "+14155550100", 1, "415");
    ok("  +61 2 9374 4000  ", 0, "+61293744000", 61, "");

    bad("", 1, "'' is not a phone number");
    bad("call me", 1, "'call me' is not a phone number");
    bad("+1 415 555 01OO", 1, "'+1 415 555 01OO' is not a phone number");
    bad("415++5550100", 1, "'415++5550100' is not a phone number");
    bad("12", 1, "'12' is too short to be a phone number");
    bad("+1234567890123456", 0,
        "'+1234567890123456' is too long for a phone number (E.164: at most 15 digits)");
    bad("+999 1234 5678", 0, "'+999 1234 5678' has no known country code");
    bad("+0 1234 5678", 0, "'+0 1234 5678' has no known country code");
    bad("415 555 0100", 0,
        "'415 555 0100' has no country code (write it as +<country code> <number>)");
    bad("+1 115 555 0100", 0,
        "'+1 115 555 0100' is not a valid North American number (10 digits; the area code and "
        "the exchange start with 2-9)");
    bad("+1 415 155 0100", 0,
        "'+1 415 155 0100' is not a valid North American number (10 digits; the area code and "
        "the exchange start with 2-9)");
    bad("555 0100", 1,
        "'555 0100' is not a valid North American number (10 digits; the area code and the "
        "exchange start with 2-9)");
    bad("+1 415 555 0100 x", 0, "'+1 415 555 0100 x' is not a phone number");
    bad("0123456789012345678901234567890123456789012345", 1,
        "'0123456789012345678901234567890123456789...' is too long for a phone number (E.164: "
        "at most 15 digits)");
    bad("+1 415\xc3\xa9", 0,
        "'+1 415?"
        "?' is not a phone number");

    assert_true(phone_country_known(1));
    assert_true(phone_country_known(998));
    assert_false(phone_country_known(999));
    assert_false(phone_country_known(0));
}

static void test_tel_uri(void **state)
{
    (void)state;
    phone_number n;
    /* "(0)": the trunk prefix some write after the country code. */
    assert_int_equal(phone_parse("+44 (0)20 7946 0958", -1, 0, &n), HAIL_OK);
    char uri[PHONE_TEL_URI_MAX];
    phone_tel_uri(&n, uri);
    assert_string_equal(uri, "tel:+442079460958");
    /* len: the first 15 bytes only. */
    assert_int_equal(phone_parse("+1 415 555 0100 and more", 15, 0, &n), HAIL_OK);
    assert_string_equal(n.e164, "+14155550100");
}

static void pool_of(phone_number *pool, const char *const *numbers, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(phone_parse(numbers[i], -1, 0, &pool[i]), HAIL_OK);
}

static long presence(const char *callee, const phone_number *pool, size_t n, long def)
{
    phone_number c;
    assert_int_equal(phone_parse(callee, -1, 0, &c), HAIL_OK);
    return phone_local_presence(&c, pool, n, def);
}

static void test_local_presence(void **state)
{
    (void)state;
    const char *const numbers[] = {
        "+1 212 555 0100",  /* 0: New York, the default */
        "+1 415 555 0199",  /* 1: San Francisco */
        "+1 415 555 0142",  /* 2: San Francisco too: 1 comes first */
        "+44 20 7946 0000", /* 3: London */
        "+44 161 496 0000", /* 4: Manchester */
        "+49 30 901820",    /* 5: Berlin */
        "+49 89 1234567",   /* 6: Munich */
    };
    size_t n = sizeof numbers / sizeof *numbers;
    phone_number pool[sizeof numbers / sizeof *numbers];
    pool_of(pool, numbers, n);
    assert_int_equal(presence("+1 415 867 5309", pool, n, 0), 1);
    assert_int_equal(presence("+1 212 867 5309", pool, n, 0), 0);
    assert_int_equal(presence("+1 312 867 5309", pool, n, 0), 0);   /* Chicago: the default */
    assert_int_equal(presence("+1 312 867 5309", pool, n, -1), -1); /* no default */
    assert_int_equal(presence("+44 20 3000 1234", pool, n, 0), 3);
    assert_int_equal(presence("+44 161 555 1234", pool, n, 0), 4);
    assert_int_equal(presence("+44 7700 900123", pool, n, 0), 0); /* a mobile: no area */
    assert_int_equal(presence("+49 30 12345678", pool, n, 0), 5);
    assert_int_equal(presence("+49 89 7654321", pool, n, 0), 6);
    assert_int_equal(presence("+33 1 23 45 67 89", pool, n, 0), 0); /* France: none */
    /* An empty pool: the default index as given. */
    assert_int_equal(presence("+1 415 867 5309", pool, 0, -1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_tel_uri),
        cmocka_unit_test(test_local_presence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
