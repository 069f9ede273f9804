/* Salesforce accounts and opportunities as hail sees them: the distinct
 * sfdc_account_id / sfdc_opportunity_id values its active people carry.
 * The account list reads account_companies (schema migration 3: active
 * people per account and company, kept by triggers on people); one account's
 * opportunities and one opportunity are counted from the people when asked
 * (docs/store.md, "Accounts"). Replies are jansson trees in the API's shape. */
#ifndef HAIL_STORE_ACCOUNTS_H
#define HAIL_STORE_ACCOUNTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* An account cursor: a position of at most two stored values (1,024 bytes
 * each) plus a few bytes. */
#define ACCOUNTS_CURSOR_MAX 2100
/* The opportunities an account reply lists: the largest ones. */
#define ACCOUNT_OPPORTUNITIES_MAX 100
/* Candidates one page of a q listing examines at most (see accounts.c). */
#define ACCOUNTS_SCAN_MAX 1000

typedef struct accounts_query {
    const char *q;      /* a prefix of a company name of the account's people,
                           ASCII case-insensitive; NULL or blank: every account */
    const char *cursor; /* the previous page's next cursor, NULL or "" for the first */
    int limit;          /* 1..200 */
} accounts_query;

/* Appends {id, name, people_count} objects to out, in account id order (with
 * q: in the order of the matching company name, case-insensitively, then
 * account id). next gets the cursor of the next page, or "" when none
 * follows. HAIL_EINVAL for a cursor this listing did not issue. */
hail_err accounts_list(db *d, const accounts_query *q, json_t *out, char next[ACCOUNTS_CURSOR_MAX]);

/* {id, name, people_count, opportunities: [{id, people_count}],
 * more_opportunities}: HAIL_ENOTFOUND when no active person has the id. */
hail_err accounts_get(db *d, const char *id, json_t **out);

/* {id, account_id, people_count}: HAIL_ENOTFOUND when no active person has
 * the id. */
hail_err opportunities_get(db *d, const char *id, json_t **out);

/* kv key set while account_companies may be wrong: a bulk load skips its
 * triggers (sets it with its first rows, at every commit). Its value says
 * how far the rebuild has come: "" nothing is right yet, ">id" the accounts
 * up to id (binary order) are. Until it is gone, the account list holds only
 * those accounts, and one account beyond is counted from its people. */
#define ACCOUNTS_DIRTY_KEY "accounts.rebuild"

/* Rebuilds account_companies from the people after a bulk load, an account
 * range a short transaction at a time (yielding like a bulk writer), each
 * moving the mark on; the last deletes it. Resumes where the mark says;
 * nothing to do without it. Must be called outside a transaction. */
hail_err accounts_rebuild(db *d);
/* The same for all that is left, inside the caller's transaction (database
 * open: repairs an interrupted rebuild). */
hail_err accounts_rebuild_rest(db *d);
/* One range of about `rows` people (whole accounts) in its own transaction;
 * *done 1 when nothing is left (for tests: a rebuild stopped part way). */
hail_err accounts_rebuild_step(db *d, int64_t rows, int *done);

/* The SQL texts, for EXPLAIN in tests: 0 the next account after a position,
 * 1 the next (company, account) of a q range, 2 an account's company
 * groups, 3 an account's opportunities, 4 an opportunity's accounts, 5 an
 * account's company groups counted from its people (while the rebuild has
 * not reached it). NULL past the last. */
const char *accounts_sql(int i);

#endif
