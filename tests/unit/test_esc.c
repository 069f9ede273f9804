#include "core/common.h"

/* Unit tests for core/esc: untrusted text made safe for logs and terminals. */
#include <setjmp.h>

#include <cmocka.h>

#include "core/esc.h"

static const char *esc(const char *s, size_t n)
{
    static char out[512];
    buf b = BUF_INIT(4096);
    assert_int_equal(esc_ctl(&b, s, n), HAIL_OK);
    assert_true(b.len < sizeof out);
    memcpy(out, buf_cstr(&b), b.len + 1);
    buf_release(&b);
    return out;
}

#define ESC(lit) esc(lit, sizeof lit - 1)

static void test_plain_text_unchanged(void **state)
{
    assert_string_equal(ESC(""), "");
    assert_string_equal(ESC("GET /healthz 200"), "GET /healthz 200");
    /* UTF-8 letters stay readable. */
    assert_string_equal(ESC("Noah M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x98\x80"),
                        "Noah M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void test_controls_are_escaped(void **state)
{
    assert_string_equal(ESC("a\nb"), "a\\nb");
    assert_string_equal(ESC("a\r\tb"), "a\\r\\tb");
    assert_string_equal(ESC("back\\slash"), "back\\\\slash");
    /* The probe from the review: a forged line and a colour escape. */
    assert_string_equal(ESC("/healthz\n2026-01-01 info forged\x1b[31m"),
                        "/healthz\\n2026-01-01 info forged\\x1b[31m");
    /* A token name that would retitle and clear the operator's terminal. */
    assert_string_equal(ESC("x\x1b]0;pwned\x07\x1b[2J"), "x\\x1b]0;pwned\\x07\\x1b[2J");
    assert_string_equal(ESC("\x7f"), "\\x7f");
    assert_string_equal(ESC("a\0b"), "a\\x00b");
}

static void test_c1_and_bad_utf8(void **state)
{
    /* U+009B is a one-character CSI on some terminals. */
    assert_string_equal(ESC("a\xc2\x9b"
                            "2J"),
                        "a\\xc2\\x9b2J");
    assert_string_equal(ESC("\xc2\x85"), "\\xc2\\x85");
    /* U+00A0 (no-break space) is fine. */
    assert_string_equal(ESC("\xc2\xa0"), "\xc2\xa0");
    /* Stray, overlong, surrogate and truncated sequences. */
    assert_string_equal(ESC("\xff"), "\\xff");
    assert_string_equal(ESC("\xc0\xaf"), "\\xc0\\xaf");
    assert_string_equal(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80");
    assert_string_equal(ESC("\xe2\x82"), "\\xe2\\x82");
    /* A lead byte before ASCII does not swallow the ASCII. */
    assert_string_equal(ESC("\xc2"
                            "A"),
                        "\\xc2A");
}

static void test_str_cuts_safely(void **state)
{
    char out[8];
    assert_string_equal(esc_ctl_str(out, sizeof out, "abc\n"), "abc\\n");
    assert_string_equal(esc_ctl_str(out, sizeof out, "abcdefghij"), "abcdefg");
    /* Never half a UTF-8 character. */
    assert_string_equal(esc_ctl_str(out, sizeof out, "abcdef\xc3\xbc"), "abcdef");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_controls_are_escaped),
        cmocka_unit_test(test_c1_and_bad_utf8),
        cmocka_unit_test(test_str_cuts_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
