#include "core/common.h"

/* Unit tests for auth/proxy: HAIL_TRUSTED_PROXIES and the client address
 * sign-in limits count against. */
#include <setjmp.h>

#include <cmocka.h>

#include "auth/auth.h"

static const char *client(const char *peer, const char *xff)
{
    static char out[80];
    auth_client_address(peer, xff, out, sizeof out);
    return out;
}

static void test_bad_lists_are_refused(void **state)
{
    static const char *const bad[] = {
        "nonsense",           "10.0.0.0/33",   "10.0.0.1,",   ",10.0.0.1",
        "10.0.0.1,,10.0.0.2", "fd00::/129",    "10.0.0.0/x",  "10.0.0.0/",
        "10.0.0.1 10.0.0.2",  "example.com",   "10.0.0.1:80", "::ffff:10.0.0.0/95",
        "10.0.0.0/-1",        "10.0.0.0/0008", "[::1]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(auth_proxies_set(bad[i]), HAIL_EINVAL);
        assert_int_equal(auth_proxies_count(), 0);
    }
    assert_string_equal(hail_errmsg(), "HAIL_TRUSTED_PROXIES: '[::1]' is not an IP address or "
                                       "network (give a comma-separated list like "
                                       "10.0.0.1,192.168.0.0/16,fd00::/8)");
    assert_int_equal(auth_proxies_set("10.0.0.1,\x1b[2J"), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "HAIL_TRUSTED_PROXIES: '?[2J' is not an IP address or "
                                       "network (give a comma-separated list like "
                                       "10.0.0.1,192.168.0.0/16,fd00::/8)");
}

static void test_good_lists(void **state)
{
    assert_int_equal(auth_proxies_set(NULL), HAIL_OK);
    assert_int_equal(auth_proxies_count(), 0);
    assert_int_equal(auth_proxies_set("  "), HAIL_OK);
    assert_int_equal(auth_proxies_count(), 0);
    assert_int_equal(auth_proxies_set(" 10.0.0.0/8 ,192.168.1.1/32,::1,fd00::/8,"
                                      "::ffff:172.16.0.0/108,0.0.0.0/0"),
                     HAIL_OK);
    assert_int_equal(auth_proxies_count(), 6);
    assert_int_equal(auth_proxies_set(NULL), HAIL_OK);
}

static void test_untrusted_peer_is_the_client(void **state)
{
    assert_int_equal(auth_proxies_set(NULL), HAIL_OK);
    assert_string_equal(client("127.0.0.1", "203.0.113.7"), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", NULL), "127.0.0.1");
    assert_int_equal(auth_proxies_set("10.0.0.0/8"), HAIL_OK);
    assert_string_equal(client("192.168.0.1", "203.0.113.7"), "192.168.0.1");
    assert_int_equal(auth_proxies_set(NULL), HAIL_OK);
}

static void test_forwarded_for_from_the_right(void **state)
{
    assert_int_equal(auth_proxies_set("10.0.0.0/8,127.0.0.1,fd00::/8"), HAIL_OK);
    assert_string_equal(client("127.0.0.1", "203.0.113.7"), "203.0.113.7");
    /* What the client wrote left of it proves nothing. */
    assert_string_equal(client("127.0.0.1", "1.1.1.1, 203.0.113.7"), "203.0.113.7");
    assert_string_equal(client("127.0.0.1", "1.1.1.1,203.0.113.7, 10.2.3.4 ,10.0.0.1"),
                        "203.0.113.7");
    /* Ports, brackets, mapped addresses, a dual-stack peer. */
    assert_string_equal(client("127.0.0.1", "203.0.113.7:5000"), "203.0.113.7");
    assert_string_equal(client("127.0.0.1", "[2001:db8::1]:443"), "2001:db8::/64");
    assert_string_equal(client("::ffff:127.0.0.1", "::ffff:203.0.113.8"), "203.0.113.8");
    assert_string_equal(client("fd00::5", "2001:DB8:0:0:1::9"), "2001:db8::/64");
    /* All hops trusted: the left-most. Garbage: the last trusted hop. */
    assert_string_equal(client("127.0.0.1", "10.9.9.9, 10.0.0.1"), "10.9.9.9");
    assert_string_equal(client("127.0.0.1", "203.0.113.7, unknown"), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", "203.0.113.7, junk, 10.0.0.2"), "10.0.0.2");
    /* Empty entries are skipped; an empty header is no header. */
    assert_string_equal(client("127.0.0.1", "203.0.113.7,, "), "203.0.113.7");
    assert_string_equal(client("127.0.0.1", ""), "127.0.0.1");
    assert_int_equal(auth_proxies_set(NULL), HAIL_OK);
}

static void test_ipv6_by_64(void **state)
{
    assert_string_equal(client("2001:db8:1:2:3:4:5:6", NULL), "2001:db8:1:2::/64");
    assert_string_equal(client("::1", NULL), "::/64");
    assert_string_equal(client("::ffff:192.0.2.1", NULL), "192.0.2.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_lists_are_refused),
        cmocka_unit_test(test_good_lists),
        cmocka_unit_test(test_untrusted_peer_is_the_client),
        cmocka_unit_test(test_forwarded_for_from_the_right),
        cmocka_unit_test(test_ipv6_by_64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
