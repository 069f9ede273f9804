/* A fresh PostgreSQL database on the test cluster, for the unit tests that
 * also run on PostgreSQL. HAIL_TEST_PG_URL is an admin target (URL or libpq
 * key=value) to a running PostgreSQL 15 (ctest's fixture pg: tests/pg/);
 * without it those tests skip. Each database is created empty and dropped
 * (WITH (FORCE)) at the end. */
#ifndef HAIL_TESTS_PG_FIXTURE_H
#define HAIL_TESTS_PG_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db_pg.h"

/* The admin target, or NULL (then the PostgreSQL tests skip). */
static inline const char *pg_fixture_admin(void)
{
    const char *a = getenv("HAIL_TEST_PG_URL");
    return a && *a ? a : NULL;
}

/* The admin target with its database replaced by name. */
static inline void pg_fixture_target(const char *name, char *out, size_t size)
{
    const char *a = pg_fixture_admin();
    const char *scheme = a ? strstr(a, "://") : NULL;
    if (!a) {
        snprintf(out, size, "%s", "");
        return;
    }
    if (!scheme) {
        snprintf(out, size, "%s dbname=%s", a, name);
        return;
    }
    const char *path = strchr(scheme + 3, '/');
    const char *query = strchr(scheme + 3, '?');
    if (path && query && query < path)
        path = NULL;
    size_t head = path ? (size_t)(path - a) : query ? (size_t)(query - a) : strlen(a);
    snprintf(out, size, "%.*s/%s%s", (int)head, a, name, query ? query : "");
}

/* Runs sql on the admin connection: 0 ok, -1 with the message printed. */
static inline int pg_fixture_admin_exec(const char *sql)
{
    pg_conn *c = NULL;
    hail_err e = pg_connect(pg_fixture_admin(), &c);
    if (!e)
        e = pg_exec(c, sql);
    if (e)
        fprintf(stderr, "pg_fixture: %s: %s\n", sql, hail_errmsg());
    pg_disconnect(c);
    return e ? -1 : 0;
}

/* A new empty database "<prefix>_<pid>_<n>": its name and target. 0 ok. */
static inline int pg_fixture_create(const char *prefix, char *name, size_t nsize, char *target,
                                    size_t tsize)
{
    static int n;
    char sql[256];
    snprintf(name, nsize, "%s_%d_%d", prefix, (int)getpid(), n++);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    if (pg_fixture_admin_exec(sql))
        return -1;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    if (pg_fixture_admin_exec(sql))
        return -1;
    pg_fixture_target(name, target, tsize);
    return 0;
}

static inline void pg_fixture_drop(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    pg_fixture_admin_exec(sql);
}

#endif
