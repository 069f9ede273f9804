/* A migrated database on either engine for unit tests that run twice: on a
 * fresh SQLite file, and on a fresh PostgreSQL database when HAIL_TEST_PG_URL
 * names a server where the test may create one (else the PostgreSQL group is
 * skipped). Define ENGINE_FIXTURE_NAME (a short [a-z_] name) before including.
 *
 *   static void test_x(void **state) { db *d = efx(state)->f.d; ... }
 *   const struct CMUnitTest sqlite_tests[] = { ON_SQLITE(test_x) };
 *   const struct CMUnitTest pg_tests[] = { ON_PG(test_x) };
 *
 * Register the test in CMakeLists.txt's PG_UNIT_TESTS so ctest gives it the
 * PostgreSQL fixture. */
#ifndef HAIL_TESTS_ENGINE_FIXTURE_H
#define HAIL_TESTS_ENGINE_FIXTURE_H

#include "db_fixture.h"
#include "pg_fixture.h"

#ifndef ENGINE_FIXTURE_NAME
#error define ENGINE_FIXTURE_NAME before including engine_fixture.h
#endif

typedef struct engine_fixture {
    db_fixture f;   /* SQLite: the file and d; PostgreSQL: only d */
    int pg;         /* 1 on PostgreSQL */
    char url[1024]; /* the test database's target (path or URL) */
    char dbname[64];
} engine_fixture;

static int efx_setup_sqlite(void **state)
{
    engine_fixture *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    void *f = NULL;
    if (db_fixture_setup(&f, ENGINE_FIXTURE_NAME)) {
        free(x);
        return -1;
    }
    x->f = *(db_fixture *)f;
    free(f);
    snprintf(x->url, sizeof x->url, "%s", x->f.path);
    *state = x;
    return 0;
}

static int efx_setup_pg(void **state)
{
    *state = NULL;
    if (!pg_fixture_admin())
        return 0; /* the tests skip */
    engine_fixture *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->pg = 1;
    if (pg_fixture_create("hail_ut_" ENGINE_FIXTURE_NAME, x->dbname, sizeof x->dbname, x->url,
                          sizeof x->url)) {
        free(x);
        return -1;
    }
    if (db_open(x->url, DB_MIGRATE, &x->f.d)) {
        fprintf(stderr, "%s: %s\n", ENGINE_FIXTURE_NAME, hail_errmsg());
        pg_fixture_drop(x->dbname);
        free(x);
        return -1;
    }
    *state = x;
    return 0;
}

static int efx_teardown(void **state)
{
    engine_fixture *x = *state;
    if (!x)
        return 0;
    db_close(x->f.d);
    if (x->pg)
        pg_fixture_drop(x->dbname);
    else
        tmpdir_remove(x->f.dir);
    free(x);
    return 0;
}

/* The fixture; skips the test on PostgreSQL without HAIL_TEST_PG_URL. */
static inline engine_fixture *efx(void **state)
{
    if (!*state)
        skip();
    return *state;
}

#define ON_SQLITE(t) cmocka_unit_test_setup_teardown(t, efx_setup_sqlite, efx_teardown)
#define ON_PG(t)     cmocka_unit_test_setup_teardown(t, efx_setup_pg, efx_teardown)

#endif
