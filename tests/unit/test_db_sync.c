#include "core/common.h"

/* HAIL_DB_SYNC as db_open reads it: full or normal in any case, unset or
 * empty is full, anything else is refused (it used to mean FULL silently). */
#include <setjmp.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/db.h"

static char dir[64];
static char path[96];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/hail-test-dbsync-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/hail.db", dir);
    return 0;
}

static int teardown(void **state)
{
    char p[128];
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    db_set_sync(NULL);
    return 0;
}

/* PRAGMA synchronous of a connection opened after db_set_sync(value) (the
 * settings' HAIL_DB_SYNC; NULL: unset); -1 if db_set_sync refused it. */
static int synchronous_with(const char *value)
{
    if (db_set_sync(value))
        return -1;
    db *d;
    if (db_open(path, DB_MIGRATE, &d))
        return -1;
    db_st *st;
    int v = -2;
    if ((st = db_prepare(d, "PRAGMA synchronous"))) {
        if (db_step(st) == DB_ROW)
            v = db_col_int(st, 0);
        db_st_free(st);
    }
    db_close(d);
    return v;
}

static void test_values(void **state)
{
    enum { NORMAL = 1, FULL = 2 };
    assert_int_equal(synchronous_with(NULL), FULL);
    assert_int_equal(synchronous_with(""), FULL);
    assert_int_equal(synchronous_with("full"), FULL);
    assert_int_equal(synchronous_with("FULL"), FULL);
    assert_int_equal(synchronous_with("normal"), NORMAL);
    assert_int_equal(synchronous_with("NORMAL"), NORMAL);
    assert_int_equal(synchronous_with("Normal"), NORMAL);
}

static void test_bad_value_is_refused(void **state)
{
    assert_int_equal(synchronous_with("fast"), -1);
    assert_string_equal(hail_errmsg(), "HAIL_DB_SYNC must be full or normal, not 'fast'");
    assert_int_equal(synchronous_with("off"), -1);
    assert_string_equal(hail_errmsg(), "HAIL_DB_SYNC must be full or normal, not 'off'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_value_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
