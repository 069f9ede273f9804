#include "core/common.h"

/* Unit tests for core/utf8: lengths in characters, as JSON Schema counts,
 * and well-formedness. */
#include <setjmp.h>

#include <cmocka.h>

#include "core/utf8.h"

static void test_counts_code_points(void **state)
{
    (void)state;
    assert_int_equal(utf8_chars(""), 0);
    assert_int_equal(utf8_chars("abc"), 3);
    assert_int_equal(utf8_chars("M\xc3\xbcller"), 6);     /* ü: 2 bytes */
    assert_int_equal(utf8_chars("\xe2\x82\xac"), 1);      /* €: 3 bytes */
    assert_int_equal(utf8_chars("\xf0\x9f\x98\x80!"), 2); /* an emoji: 4 bytes */
    assert_int_equal(utf8_chars("e\xcc\x81"), 2);         /* e + combining acute */
}

static void test_valid(void **state)
{
    (void)state;
    static const char *const good[] = {"",
                                       "abc",
                                       "M\xc3\xbcller",
                                       "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80!",
                                       "\xed\x9f\xbf",
                                       "\xee\x80\x80",
                                       "\xf4\x8f\xbf\xbf",
                                       "\xc2\x80",
                                       "\x7f"};
    static const char *const bad[] = {
        "\xff",
        "a\xfe",
        "\xc3", /* cut short */
        "\xc3(",
        "\x80",
        "\xbf", /* lone continuation bytes */
        "\xc0\xaf",
        "\xe0\x80\xaf", /* overlong "/" */
        "\xed\xa0\x80",
        "\xed\xbf\xbf",     /* surrogates */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "\xf8\x88\x80\x80\x80",
        "ab\xe2\x82", /* five bytes; cut short at the end */
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(utf8_is_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (utf8_is_valid(bad[i], strlen(bad[i])))
            fail_msg("valid: bad[%zu]", i);
    /* Only the n bytes given count. */
    assert_true(utf8_is_valid("ab\xff", 2));
    assert_false(utf8_is_valid("\xe2\x82\xac", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_code_points),
        cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
