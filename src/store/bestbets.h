/* Best Bets' stored state (docs/insight.md "## Best Bets"; the formula is
 * core/bestbets.h): one best_bets row per person with a human open, click or
 * reply. activity_record updates it in the event's transaction
 * (bestbets_on_event), `hail bestbets rebuild` recomputes it from the log in
 * one set-based pass (bestbets_rebuild), and an owner's list is one range
 * read of best_bets_owner (owner, rank_key, person_id), newest-ranked first;
 * decay is applied when a row is shown. */
#ifndef HAIL_STORE_BESTBETS_H
#define HAIL_STORE_BESTBETS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/visibility.h"

/* The list's filters (?filter=): who is listed, by their Salesforce ids. */
typedef enum bestbets_filter {
    BB_FILTER_ALL = 0,
    BB_FILTER_LEADS,                /* a lead id and no contact id */
    BB_FILTER_CONTACTS,             /* a contact id */
    BB_FILTER_ACCOUNT_CONTACTS,     /* a contact id and an account id */
    BB_FILTER_OPPORTUNITY_CONTACTS, /* an opportunity id */
} bestbets_filter;

/* The filter named s ("leads", …; NULL or "" is all), or -1. */
int bestbets_filter_parse(const char *s);

#define BESTBETS_CURSOR_MAX 64

typedef struct bestbets_query {
    const char *owner;  /* the owner's email (any case) */
    int filter;         /* bestbets_filter */
    const char *cursor; /* the previous page's next cursor; NULL or "" for the first */
    int limit;          /* 1..200 */
    int64_t now;        /* epoch µs: decay and flames at this time */
} bestbets_query;

/* Appends the owner's active, subscribed people with engagement to out,
 * best first: {"person":{id, first_name, last_name, email, phone, title,
 * company, owner_email, sfdc_lead_id, sfdc_contact_id, sfdc_account_id,
 * sfdc_opportunity_id}, "stars", "flames", "score", "last_at",
 * "why":[{"type","count","last_at"}]} (why: the scored kinds the person has,
 * strongest first). next gets the next page's cursor, "" when none follows.
 * HAIL_EINVAL for a cursor this list did not issue. */
hail_err bestbets_list(db *d, const bestbets_query *q, json_t *out, char next[BESTBETS_CURSOR_MAX]);

/* The first page's statement (tests EXPLAIN it): $1 the owner, lowercased;
 * $2 the filter; $3 the limit. */
const char *bestbets_first_page_sql(void);

/* The users whose lists s may read (GET /api/v1/users/covered: the Best Bets
 * page's picker): active users s covers (an admin: all), by name then id,
 * appended to out as {"id","name","email","role"}. */
hail_err bestbets_covered_users(db *d, const vis_scope *s, json_t *out);

/* One activity (inside its transaction): a human open, click or reply
 * updates its person's row; anything else does nothing. */
hail_err bestbets_on_event(db *d, int64_t person_id, const char *type, int64_t occurred_at,
                           int machine);

/* Recomputes every row from the log as of now, in one transaction: *people
 * (may be NULL) gets how many rows it wrote. Ends a catch-up in progress. */
hail_err bestbets_rebuild(db *d, int64_t now, int64_t *people);

/* The catch-up: the same rebuild in steps of a short transaction each, for
 * a database whose activities were never scored (upgraded to schema 7), run
 * by `hail serve` in the background (svc/bestbets_catchup.h). Its position,
 * the next person id to rebuild, is the kv row BESTBETS_CATCHUP_KEY, written
 * in each step's transaction: a process killed mid-way leaves it at the last
 * step committed, and the next start resumes there. A step replaces its
 * people's rows, so a step done twice counts nothing twice. */
#define BESTBETS_CATCHUP_KEY "bestbets.catchup"

/* Whether a catch-up is due: *due 1 and *from its position when one is in
 * progress, or when best_bets is empty while the log holds scored human
 * events (then it starts one: the kv row at 0). */
hail_err bestbets_catchup_due(db *d, int64_t *from, int *due);

typedef struct bestbets_step {
    int64_t people; /* rows written */
    int64_t next;   /* the next step's first person id (INT64_MAX when done) */
    int done;       /* nothing left: finished (here or elsewhere) */
} bestbets_step;

/* One step of about chunk activities' worth of people, in one transaction. */
hail_err bestbets_catchup_step(db *d, int64_t now, int64_t chunk, bestbets_step *out);

/* The rebuild's statement on d's engine (tests EXPLAIN it): $8 and $9 the
 * person id range [lo, hi). */
const char *bestbets_rebuild_sql(db *d);

#endif
