#include "core/common.h"

/* Unit tests for core/log: the level from HAIL_LOG_LEVEL (a bad value is an
 * error, not the default) and the level shared by every thread. */
#include <setjmp.h>
#include <pthread.h>

#include <cmocka.h>

#include "core/log.h"

static void test_level_names_in_any_case(void **state)
{
    static const struct {
        const char *s;
        enum log_level l;
    } ok[] = {{"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR},
              {"off", LOG_OFF},     {"WARN", LOG_WARN}, {"Info", LOG_INFO}, {"OFF", LOG_OFF}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        enum log_level l = LOG_DEBUG;
        assert_int_equal(log_level_parse(ok[i].s, &l), HAIL_OK);
        assert_int_equal(l, ok[i].l);
    }
}

static void test_bad_level_is_refused(void **state)
{
    static const char *const bad[] = {"loud", "", "warning", "info ", "3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum log_level l = LOG_ERROR;
        assert_int_equal(log_level_parse(bad[i], &l), HAIL_EINVAL);
        assert_int_equal(l, LOG_ERROR);
    }
    log_level_parse("loud", &(enum log_level){0});
    assert_string_equal(hail_errmsg(),
                        "HAIL_LOG_LEVEL must be one of debug, info, warn, error, off, not 'loud'");
}

static void test_init(void **state)
{
    log_set_level(LOG_INFO);
    assert_int_equal(log_init("Error"), HAIL_OK);
    assert_false(log_enabled(LOG_WARN));
    assert_true(log_enabled(LOG_ERROR));
    /* A bad value is an error and leaves the level alone. */
    assert_int_equal(log_init("loud"), HAIL_EINVAL);
    assert_false(log_enabled(LOG_WARN));
    assert_true(log_enabled(LOG_ERROR));
    /* Unset or empty: info. */
    assert_int_equal(log_init(""), HAIL_OK);
    assert_true(log_enabled(LOG_INFO));
    assert_false(log_enabled(LOG_DEBUG));
    log_set_level(LOG_ERROR);
    assert_int_equal(log_init(NULL), HAIL_OK);
    assert_true(log_enabled(LOG_INFO));
}

static atomic_int readers_done;

static void *reader(void *arg)
{
    long enabled = 0;
    for (int i = 0; i < 20000; i++)
        enabled += log_enabled(LOG_WARN);
    atomic_fetch_add(&readers_done, 1);
    return (void *)enabled;
}

/* Every thread that logs reads the level while another may set it; under
 * ThreadSanitizer (make test-tsan) a plain variable is reported as a race. */
static void test_level_is_shared_by_threads(void **state)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, NULL), 0);
    for (int i = 0; atomic_load(&readers_done) < 2; i++)
        log_set_level(i % 2 ? LOG_ERROR : LOG_WARN);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    log_set_level(LOG_INFO);
    assert_true(log_enabled(LOG_INFO));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_names_in_any_case),
        cmocka_unit_test(test_bad_level_is_refused),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_level_is_shared_by_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
