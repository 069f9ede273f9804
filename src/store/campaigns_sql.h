/* Private to store/campaigns.c and store/campaign_members.c: how the
 * parameters of a campaign's visibility condition (VIS_123 / VIS_234 in
 * those files: macros stay in the file that uses them, where
 * tests/unit/test_store.c reads the SQL) are bound. */
#ifndef HAIL_STORE_CAMPAIGNS_SQL_H
#define HAIL_STORE_CAMPAIGNS_SQL_H

#include <string.h>

#include "store/db.h"

static inline void bind_viewer(db_st *st, int a, int u, int m, int64_t user_id, const char *role)
{
    db_bind_i64(st, a, !strcmp(role, "admin"));
    db_bind_i64(st, u, user_id);
    db_bind_i64(st, m, !strcmp(role, "manager"));
}

#endif
