#include "core/common.h"

/* Unit tests for core/err: codes, names and the per-thread detail. */
#include <setjmp.h>
#include <pthread.h>

#include <cmocka.h>

#include "core/err.h"

static void test_names(void **state)
{
    assert_string_equal(hail_strerror(HAIL_OK), "ok");
    assert_string_equal(hail_strerror(HAIL_EINVAL), "bad_request");
    assert_string_equal(hail_strerror(HAIL_ENOTFOUND), "not_found");
    assert_string_equal(hail_strerror(HAIL_EBUSY), "busy");
    assert_string_equal(hail_strerror(HAIL_ERR__COUNT), "unknown");
    assert_string_equal(hail_strerror((hail_err)-1), "unknown");
    /* Every code has a name (a new code without one would print "(null)"). */
    for (int e = 0; e < HAIL_ERR__COUNT; e++) {
        assert_non_null(hail_strerror((hail_err)e));
        assert_true(strlen(hail_strerror((hail_err)e)) > 0);
    }
}

static void test_errf_returns_code_and_formats(void **state)
{
    hail_errclear();
    assert_string_equal(hail_errmsg(), "");
    assert_int_equal(hail_errf(HAIL_EINVAL, "%s must be %d or more", "limit", 1), HAIL_EINVAL);
    assert_string_equal(hail_errmsg(), "limit must be 1 or more");
    hail_errclear();
    assert_string_equal(hail_errmsg(), "");
}

/* The bug this guards: adding context to the last detail passes the detail
 * buffer itself as an argument; formatting in place garbled the message
 * ("line 2: line 2: e is not valid UTF-8"). */
static void test_errf_wraps_its_own_message(void **state)
{
    hail_errf(HAIL_EINVAL, "email is not valid UTF-8");
    hail_errf(HAIL_EINVAL, "line %d: %s", 2, hail_errmsg());
    assert_string_equal(hail_errmsg(), "line 2: email is not valid UTF-8");
    hail_errf(HAIL_EINVAL, "%s (in %s)", hail_errmsg(), "people.csv");
    assert_string_equal(hail_errmsg(), "line 2: email is not valid UTF-8 (in people.csv)");
    hail_errf(HAIL_EINVAL, "id must be a positive integer");
    hail_errf(HAIL_EINVAL, "line %lu: %s", 4UL, hail_errmsg());
    assert_string_equal(hail_errmsg(), "line 4: id must be a positive integer");
}

static void test_errf_truncates_long_details(void **state)
{
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hail_errf(HAIL_EINVAL, "%s", big);
    assert_int_equal(strlen(hail_errmsg()), 511);
    /* Wrapping a full buffer keeps the prefix and cuts the tail. */
    hail_errf(HAIL_EINVAL, "ctx: %s", hail_errmsg());
    char want[512] = "ctx: ";
    memset(want + 5, 'x', 506);
    want[511] = '\0';
    assert_string_equal(hail_errmsg(), want);
}

static void *other_thread(void *arg)
{
    char *seen = arg;
    /* A fresh thread starts with no detail and its own buffer. */
    snprintf(seen, 64, "[%s]", hail_errmsg());
    hail_errf(HAIL_EIO, "thread detail");
    return NULL;
}

static void test_detail_is_per_thread(void **state)
{
    hail_errf(HAIL_EDB, "main detail");
    char seen[64];
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, seen), 0);
    pthread_join(t, NULL);
    assert_string_equal(seen, "[]");
    assert_string_equal(hail_errmsg(), "main detail");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_errf_returns_code_and_formats),
        cmocka_unit_test(test_errf_wraps_its_own_message),
        cmocka_unit_test(test_errf_truncates_long_details),
        cmocka_unit_test(test_detail_is_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
