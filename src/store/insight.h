/* The insight panels of a person, a Salesforce account and a Salesforce
 * opportunity (issue 10; docs/insight.md "Panels"): the engagement velocity
 * grid (activities per type per week over the last 13 weeks in the viewer's
 * time zone, human and machine apart), upcoming campaign steps and tasks,
 * summary counts, and the aggregated history. Read from the activity log
 * with its indexes; an account or opportunity aggregates its active people
 * that the viewer sees (store/visibility.h). Replies are jansson trees in
 * the API's shape. */
#ifndef HAIL_STORE_INSIGHT_H
#define HAIL_STORE_INSIGHT_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/emails.h" /* email_viewer */

#define INSIGHT_UPCOMING_MAX 20 /* upcoming steps and tasks a panel lists */

typedef enum insight_kind {
    INSIGHT_PERSON,
    INSIGHT_ACCOUNT,
    INSIGHT_OPPORTUNITY,
} insight_kind;

typedef struct insight_target {
    insight_kind kind;
    int64_t person_id;   /* INSIGHT_PERSON */
    const char *sfdc_id; /* the account or opportunity id */
} insight_target;

/* The panel of t as v sees it at now_us (UTC µs), weeks in the zone named
 * time_zone (NULL or unknown: UTC):
 * {"time_zone","weeks":[{"start"}],"rows":[{"type","type_name","human":[13],
 *  "machine":[13]}],"totals":{"human","machine"},"upcoming_steps":[…],
 *  "upcoming_tasks":[…],"summary":{…},"people"}.
 * HAIL_ENOTFOUND ("no person with id N", "no account with id X", "no
 * opportunity with id X") when the person does not exist or v does not see
 * it, or when no active person of the account / opportunity is one v sees. */
hail_err insight_get(db *d, const email_viewer *v, const insight_target *t, const char *time_zone,
                     int64_t now_us, json_t **out);

/* The activities of t's people that v sees, newest first (as
 * activity_person_page): up to limit with id < before_id (0: from the
 * newest); *next the last id returned when more follow, else 0. Not found
 * as insight_get. */
hail_err insight_history(db *d, const email_viewer *v, const insight_target *t, int64_t before_id,
                         int limit, json_t **out, int64_t *next);

/* The SQL texts, for EXPLAIN in tests: 0 the people of an account, 1 of an
 * opportunity, 2 the grid's activities, 3 upcoming steps, 4 upcoming tasks,
 * 5 active campaigns, 6 the history page. NULL past the last. */
const char *insight_sql(db *d, int i);

#endif
