#include "core/common.h"

/* Unit tests for core/utf8: lengths in characters, as JSON Schema counts. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_code_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
