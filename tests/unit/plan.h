/* Query plans in unit tests that run on both engines: the EXPLAIN
 * (PostgreSQL) or EXPLAIN QUERY PLAN (SQLite) of a statement whose parameters
 * the test binds, read as text. Include after cmocka.h.
 *
 *   db_st *st = plan_prepare(d, pg, sql);
 *   db_bind_i64(st, 1, 5);
 *   char plan[8192];
 *   plan_read(st, pg, plan, sizeof plan);
 *   if (!plan_names(plan, "tasks_sfdc")) fail_msg(...);
 */
#ifndef HAIL_TESTS_PLAN_H
#define HAIL_TESTS_PLAN_H

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"

/* An EXPLAIN of sql, ready to bind; fails the test when it does not
 * prepare. */
static inline db_st *plan_prepare(db *d, int pg, const char *sql)
{
    char ex[8192];
    snprintf(ex, sizeof ex, "%s %s", pg ? "EXPLAIN" : "EXPLAIN QUERY PLAN", sql);
    db_st *st = db_prepare(d, ex);
    if (!st)
        fail_msg("%s: %s", ex, hail_errmsg());
    return st;
}

/* Steps st and frees it: its plan into out, a step a line (" | " between). */
static inline void plan_read(db_st *st, int pg, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    while (db_step(st) == DB_ROW) {
        const char *line = db_col_text(st, pg ? 0 : 3);
        int w = snprintf(out + used, size - used, "%s | ", line ? line : "");
        if (w > 0 && (size_t)w < size - used)
            used += (size_t)w;
    }
    db_st_free(st);
}

/* 1 when plan names index as a whole word (tasks_sfdc is not
 * tasks_sfdc_dirty). */
static inline int plan_names(const char *plan, const char *index)
{
    size_t n = strlen(index);
    for (const char *p = strstr(plan, index); p; p = strstr(p + 1, index)) {
        char before = p == plan ? ' ' : p[-1], after = p[n];
        if (!isalnum((unsigned char)before) && before != '_' && !isalnum((unsigned char)after) &&
            after != '_')
            return 1;
    }
    return 0;
}

#endif
