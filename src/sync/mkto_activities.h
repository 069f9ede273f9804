/* Marketo's side of a person's story, for the insight panel (issue 10;
 * docs/insight.md "Marketo activities and the embeddable panel"): the
 * person's recent Marketo lead activities — web page visits, form fills,
 * link clicks, email from marketing (sent, opened, clicked) and interesting
 * moments — read from GET /rest/v1/activities.json by lead id and type with
 * a paging token, through the sync's REST client (sync/marketo.h), so they
 * count against the same process-wide rate and concurrency limits.
 *
 * Answers are cached per Marketo lead (5 minutes; a failure 30 seconds) in a
 * bounded amount of memory: the least recently fetched entry goes first.
 */
#ifndef HAIL_SYNC_MKTO_ACTIVITIES_H
#define HAIL_SYNC_MKTO_ACTIVITIES_H

#include <jansson.h>
#include <stdint.h>

/* The activity types asked for (activityTypeIds; Marketo takes at most 10). */
#define MKA_TYPE_IDS "1,2,3,6,10,11,46"
/* How far back, in days: the first pass, then a short one when a person has
 * more activities than MKA_MAX_PAGES pages in the long one (Marketo answers
 * oldest first, and the panel wants the newest). */
#define MKA_DAYS        90
#define MKA_SHORT_DAYS  7
#define MKA_MAX_PAGES   5   /* activities.json pages per pass (300 activities each) */
#define MKA_MAX_ITEMS   100 /* the newest kept */
#define MKA_TTL_US      (INT64_C(300) * 1000000) /* an answer's life in the cache */
#define MKA_FAIL_TTL_US (INT64_C(30) * 1000000)  /* an "unavailable" answer's */
#define MKA_CACHE_BYTES (INT64_C(8) << 20)       /* about this much held at most */
#define MKA_TEXT_MAX    500 /* characters kept of a primary value or an attribute */

/* The panel's key and name of a Marketo activity type asked for ("web_visit",
 * "Visit Webpage"); NULL for any other type. */
const char *mka_type_key(int64_t type_id);
const char *mka_type_name(int64_t type_id);

/* The panel's item of one activities.json record: {"id", "type",
 * "type_name", "occurred_at" (ISO-8601 UTC), "primary" (the primary
 * attribute's value or null), "attrs" ({name: value})}; texts cut to
 * MKA_TEXT_MAX characters. NULL when the record has no id, a type not asked
 * for, or no readable activityDate. */
json_t *mka_item(json_t *rec);

/* Appends a page's items (oldest first) to list (oldest first), keeping the
 * newest max. Returns how many records were not usable. */
size_t mka_keep_newest(json_t *list, json_t *records, size_t max);

/* The answer for one Marketo lead: {"status": "ok" | "not_configured" |
 * "unavailable", "message": null when ok, else a whole sentence saying why,
 * "data": [items, newest first]}. NULL only when out of memory. */
json_t *mka_for_lead(int64_t marketo_id);

/* Forgets every cached answer. */
void mka_cache_clear(void);

#endif
