/* The engagement velocity grid's weeks (issue 10; docs/insight.md "Panels"),
 * pure: the last VELOCITY_WEEKS weeks in a viewer's time zone, each starting
 * on a Monday at local midnight, the last being the week that holds `now`,
 * and the week an activity falls in.
 *
 * A week is [start_us[i], start_us[i + 1]) in UTC µs: local midnights, so a
 * week across a daylight-saving change is an hour shorter or longer. */
#ifndef HAIL_CORE_VELOCITY_H
#define HAIL_CORE_VELOCITY_H

#include <stdint.h>

#include "core/cadence.h"

#define VELOCITY_WEEKS 13

typedef struct velocity_weeks {
    int64_t day[VELOCITY_WEEKS];          /* each week's Monday, days since 1970-01-01 */
    int64_t start_us[VELOCITY_WEEKS + 1]; /* their starts, then the end of the last */
} velocity_weeks;

/* The weeks in z of the grid shown at now_us (UTC µs). */
void velocity_weeks_at(const tz *z, int64_t now_us, velocity_weeks *w);

/* The index (0 oldest … VELOCITY_WEEKS - 1 current) of the week holding
 * t_us, or -1 when it is before the first or after the last. */
int velocity_week_of(const velocity_weeks *w, int64_t t_us);

/* The Monday of the week holding local day `day` (both days since 1970-01-01). */
int64_t velocity_monday(int64_t day);

#endif
