/* Saved filters over people by activity (issue 11; docs/outbox.md "Filters
 * and triggers").
 *
 * A definition is JSON:
 *   {"conditions": [Condition, … 1 to FILTER_MAX_CONDITIONS, ANDed],
 *    "owner_email": "rep@example.com"}            (optional: the person's owner)
 *   Condition = {"type": an activity type (svc/activity.h ACT_*),
 *                "template_id", "campaign_id": positive ids (optional),
 *                "link": a click's attrs.link (optional; email_click only),
 *                "min_count": 1..1000 (default 1),
 *                "within_days": 1..3650 (optional: the last N days before now),
 *                "human_only": bool (default false: machine events count too),
 *                "negate": bool (default false)}
 * A person meets a condition when they have at least min_count activities
 * of the type with the given template / campaign / link in the window (human
 * ones only with human_only); a negated condition is met when they do not.
 * At least one condition is not negated: the people are found through it.
 *
 * Matching pages people by id through an index, never a scan of all
 * activities per person: the most selective positive condition drives (a
 * template: activities_template; else a window: activities_time; else the
 * people themselves in id order, or the covered owners' people through
 * people_owner_ci), and each candidate is tested against every condition with
 * one range read of one person's activities each (activities_insight: person,
 * time; PostgreSQL may pick activities_person) — a negated one is
 * an anti-join per candidate. A page reads at most FILTER_SCAN_BUDGET
 * candidates: it may then hold fewer than limit people and still have a next
 * position.
 */
#ifndef HAIL_STORE_FILTERS_H
#define HAIL_STORE_FILTERS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/visibility.h"

#define FILTER_MAX_CONDITIONS 20
#define FILTER_NAME_MAX       200
#define FILTER_MAX_COUNT      1000
#define FILTER_MAX_DAYS       3650
#define FILTER_LINK_MAX       2000
#define FILTER_PAGE_MAX       200
#define FILTER_SCAN_BUDGET    20000 /* candidates tested per page at most */
#define FILTER_COUNT_CAP      1000  /* a preview counts up to this many */

/* Checks a definition: HAIL_EINVAL with one whole message naming the member
 * ("conditions[1].within_days must be an integer from 1 to 3650"). *out (may
 * be NULL) gets it normalized: defaults filled in, members in a fixed order. */
hail_err filter_check(const json_t *definition, json_t **out);

/* The filter as the API returns it:
 * {"id","name","owner_id","owner_name","shared","definition","created_at",
 *  "updated_at"} (times ISO 8601 UTC). HAIL_ENOTFOUND "no filter with id N". */
hail_err filter_get(db *d, int64_t id, json_t **filter_json);

/* Creates a filter (definition is checked first); *out gets it (filter_get). */
hail_err filter_create(db *d, int64_t owner_id, const char *name, int shared,
                       const json_t *definition, int64_t now_us, json_t **out);
/* Changes what is given: name NULL, shared -1, definition NULL keep theirs. */
hail_err filter_update(db *d, int64_t id, const char *name, int shared, const json_t *definition,
                       int64_t now_us, json_t **out);
hail_err filter_delete(db *d, int64_t id);

/* The filters a viewer may read, by id, after after_id, up to limit: their
 * own, the shared ones and those of users they cover (s: vis_scope_load).
 * *next gets the last id when more follow, else 0. */
hail_err filter_list(db *d, int64_t viewer_id, const vis_scope *s, int64_t after_id, int limit,
                     json_t **out, int64_t *next);

/* 1 in *match when the person meets the definition (its conditions and its
 * owner_email) at now_us. The person's visibility and "active" are not
 * looked at (the trigger evaluator's question); an unknown person does not
 * match. The definition must have passed filter_check (HAIL_EINVAL if not). */
hail_err filter_matches_person(db *d, const json_t *definition, int64_t person_id, int64_t now_us,
                               int *match);

/* A page of the active people who meet definition and whom s sees (NULL:
 * everyone), by id ascending after after_id: *out gets an array of
 * {"id","first_name","last_name","email","company","owner_email"}; *next the
 * position to continue from (0: no more). count_cap > 0 also counts the
 * matches, up to count_cap, into *count, and sets *count_more when there may
 * be more (past the cap, or past FILTER_SCAN_BUDGET candidates); count_cap 0
 * leaves both alone. */
hail_err filter_people_page(db *d, const json_t *definition, const vis_scope *s, int64_t after_id,
                            int limit, int64_t now_us, json_t **out, int64_t *next, int count_cap,
                            int64_t *count, int *count_more);

/* The statements, for tests/unit/test_filters.c's EXPLAIN: a condition's test
 * for one person, and the drivers of a page. */
extern const char filter_sql_cond_sqlite[], filter_sql_cond_pg[];
extern const char filter_sql_template_sqlite[], filter_sql_template_pg[];
extern const char filter_sql_time_sqlite[], filter_sql_time_pg[];
extern const char filter_sql_people[], filter_sql_people_owner_sqlite[],
    filter_sql_people_owner_pg[];

#endif
