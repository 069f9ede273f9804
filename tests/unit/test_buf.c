#include "core/common.h"

/* Unit tests for core/buf: bounded growable buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"

static void test_empty(void **state)
{
    buf b = BUF_INIT(100);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    size_t len = 99;
    char *p = buf_detach(&b, &len);
    assert_int_equal(len, 0);
    free(p);
    buf_release(&b);
    buf_release(&b); /* twice is harmless */
}

static void test_growth(void **state)
{
    buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(buf_putc(&b, (char)('a' + i % 26)), HAIL_OK);
    assert_int_equal(b.len, 100000);
    assert_true(b.cap > b.len);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(b.data[i], 'a' + i % 26);
    assert_int_equal(b.data[100000], '\0');
    assert_int_equal(strlen(buf_cstr(&b)), 100000);

    /* a single large append */
    static char big[300000];
    memset(big, 'x', sizeof big);
    assert_int_equal(buf_append(&b, big, sizeof big), HAIL_OK);
    assert_int_equal(b.len, 400000);
    assert_int_equal(b.data[99999], 'a' + 99999 % 26);
    assert_int_equal(b.data[399999], 'x');
    assert_int_equal(b.data[400000], '\0');
    buf_release(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);

    /* usable again after release */
    assert_int_equal(buf_puts(&b, "again"), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "again");
    buf_release(&b);
}

static void test_binary_and_nul_termination(void **state)
{
    buf b = BUF_INIT(64);
    assert_int_equal(buf_append(&b, "a\0b", 3), HAIL_OK);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4); /* plus the terminator */
    assert_int_equal(buf_append(&b, "", 0), HAIL_OK);
    assert_int_equal(b.len, 3);
    buf_release(&b);

    /* an empty append still gives a C string */
    buf c = BUF_INIT(8);
    assert_int_equal(buf_append(&c, "", 0), HAIL_OK);
    assert_non_null(c.data);
    assert_string_equal(c.data, "");
    buf_release(&c);
}

static void test_max_enforced(void **state)
{
    buf b = BUF_INIT(10);
    assert_int_equal(buf_puts(&b, "12345678"), HAIL_OK);
    assert_int_equal(buf_puts(&b, "abc"), HAIL_ETOOBIG);
    /* unchanged */
    assert_int_equal(b.len, 8);
    assert_string_equal(buf_cstr(&b), "12345678");
    /* exactly up to max is fine */
    assert_int_equal(buf_puts(&b, "ab"), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "12345678ab");
    assert_int_equal(b.len, 10);
    assert_int_equal(buf_putc(&b, 'x'), HAIL_ETOOBIG);
    assert_int_equal(buf_printf(&b, "%d", 1), HAIL_ETOOBIG);
    assert_int_equal(buf_append(&b, "", 0), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "12345678ab");
    /* a size that would wrap around is refused, not wrapped */
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), HAIL_ETOOBIG);
    assert_string_equal(buf_cstr(&b), "12345678ab");
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_puts(&b, "0123456789"), HAIL_OK);
    buf_release(&b);

    /* max 0: nothing fits */
    buf z = BUF_INIT(0);
    assert_int_equal(buf_putc(&z, 'a'), HAIL_ETOOBIG);
    assert_int_equal(z.len, 0);
    assert_string_equal(buf_cstr(&z), "");
    buf_release(&z);

    /* a large first append over max leaves it empty */
    buf l = BUF_INIT(1000);
    static char big[1001];
    memset(big, 'y', sizeof big);
    assert_int_equal(buf_append(&l, big, sizeof big), HAIL_ETOOBIG);
    assert_int_equal(l.len, 0);
    assert_int_equal(buf_append(&l, big, 1000), HAIL_OK);
    assert_int_equal(l.len, 1000);
    buf_release(&l);
}

static void test_unbounded(void **state)
{
    /* SIZE_MAX as "no limit" must work like any other large limit. */
    buf b = BUF_INIT(SIZE_MAX);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_puts(&b, "0123456789"), HAIL_OK);
    assert_int_equal(b.len, 10000);
    assert_int_equal(b.data[9999], '9');
    assert_int_equal(b.data[10000], '\0');
    buf_release(&b);
}

static void test_printf(void **state)
{
    buf b = BUF_INIT(1 << 16);
    assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), HAIL_OK);
    assert_int_equal(buf_printf(&b, ";%05.1f;%c", 3.14159, 'z'), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "n=42;003.1;z");
    assert_int_equal(b.len, strlen("n=42;003.1;z"));
    assert_int_equal(buf_printf(&b, "%s", ""), HAIL_OK);
    assert_int_equal(b.len, strlen("n=42;003.1;z"));
    /* long output that forces growth */
    char big[5000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_printf(&b, "[%s]", big), HAIL_OK);
    assert_int_equal(b.len, strlen("n=42;003.1;z") + 5001);
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    buf_release(&b);

    /* printf past max fails and leaves the contents */
    buf s = BUF_INIT(12);
    assert_int_equal(buf_puts(&s, "abc"), HAIL_OK);
    assert_int_equal(buf_printf(&s, "%s-%s", "12345", "6789"), HAIL_ETOOBIG); /* 10 more */
    assert_int_equal(s.len, 3);
    assert_string_equal(buf_cstr(&s), "abc");
    assert_int_equal(buf_printf(&s, "%s-%s", "1234", "5678"), HAIL_OK); /* 9 more: 12 */
    assert_string_equal(buf_cstr(&s), "abc1234-5678");
    buf_release(&s);
}

static void test_detach(void **state)
{
    buf b = BUF_INIT(1024);
    assert_int_equal(buf_puts(&b, "hello"), HAIL_OK);
    size_t len = 0;
    char *p = buf_detach(&b, &len);
    assert_non_null(p);
    assert_int_equal(len, 5);
    assert_string_equal(p, "hello");
    /* the buffer is empty and independent afterwards */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_puts(&b, "world"), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "world");
    assert_string_equal(p, "hello");
    free(p);
    p = buf_detach(&b, NULL);
    assert_string_equal(p, "world");
    free(p);
    buf_release(&b);
}

static void test_reset_keeps_memory(void **state)
{
    buf b = BUF_INIT(1024);
    assert_int_equal(buf_puts(&b, "some text"), HAIL_OK);
    char *mem = b.data;
    size_t cap = b.cap;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    assert_ptr_equal(b.data, mem);
    assert_int_equal(b.cap, cap);
    assert_int_equal(buf_puts(&b, "x"), HAIL_OK);
    assert_string_equal(buf_cstr(&b), "x");
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_binary_and_nul_termination),
        cmocka_unit_test(test_max_enforced),
        cmocka_unit_test(test_unbounded),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_detach),
        cmocka_unit_test(test_reset_keeps_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
