/* People: the read-only copy of Marketo leads that have a sales owner.
 *
 * Writers (the Marketo sync and `hail import`) go through people_writer,
 * which upserts whole records by Marketo id inside a transaction the caller
 * commits at its checkpoints — so a person is never half-written. Readers get
 * jansson objects in the API's shape.
 */
#ifndef HAIL_STORE_PEOPLE_H
#define HAIL_STORE_PEOPLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/db.h"

/* The synced fields, in one order used everywhere. */
enum person_field {
    PF_FIRST_NAME,
    PF_LAST_NAME,
    PF_EMAIL,
    PF_PHONE,
    PF_TITLE,
    PF_COMPANY,
    PF_SOURCE,
    PF_LINKEDIN_URL,
    PF_SFDC_LEAD_ID,
    PF_SFDC_CONTACT_ID,
    PF_SFDC_ACCOUNT_ID,
    PF_SFDC_OPPORTUNITY_ID,
    PF_OWNER_EMAIL,
    PF_TIME_ZONE, /* an IANA zone name (person_in_check_time_zone) */
    PF_COUNT
};

/* Marketo REST field names (leads.json, bulk export columns, CSV import).
 * PF_TIME_ZONE is "timeZone" here (the CSV import also takes "time_zone");
 * the Marketo sync reads it from the field HAIL_MARKETO_TIME_ZONE_FIELD
 * names, and not at all when that is unset. */
extern const char *const person_marketo_field[PF_COUNT];
/* hail's JSON / column names. */
extern const char *const person_json_field[PF_COUNT];

/* Index of a Marketo field name, or -1. */
int person_field_by_marketo_name(const char *name, size_t len);

/* Longest value accepted for any field; longer input is a per-record error. */
#define PERSON_FIELD_MAX 1024

/* One incoming record. A NULL field is null (missing or the literal `null`). */
typedef struct person_in {
    int64_t marketo_id;
    const char *f[PF_COUNT];
    size_t len[PF_COUNT];
} person_in;

/* Checks a record before it is written: id positive, values within limits,
 * valid UTF-8. Returns HAIL_EINVAL with a message naming the field. */
hail_err person_in_validate(const person_in *p);

/* When p has a time zone the system tz database does not know (tz_valid),
 * makes it null and writes why to warn ("unknown time zone 'X' (…): stored
 * as null"); returns 1. Otherwise 0 and p is unchanged. */
int person_in_check_time_zone(person_in *p, char *warn, size_t warnsize);

typedef struct people_stats {
    uint64_t seen;        /* records offered */
    uint64_t inserted;    /* new people */
    uint64_t updated;     /* changed people */
    uint64_t unchanged;   /* records equal to what we had */
    uint64_t deactivated; /* people that left the active set */
} people_stats;

typedef struct people_writer people_writer;

enum {
    /* A bulk load: into an empty table, SQLite builds the search keys and
     * the account counts once at the end; PostgreSQL streams the rows and
     * their keys with COPY and counts at the end (docs/people.md). */
    PW_BULK = 1,
};

/* Starts a writer; opens a transaction. */
hail_err people_writer_open(db *d, unsigned flags, people_writer **out);
/* Upserts one whole record: inserted, updated or left alone when equal.
 * active = owner email non-empty. */
hail_err people_writer_put(people_writer *w, const person_in *p);
/* The same for a record that has passed person_in_validate() (mcsv_person
 * checks every record it makes): not checked again. */
hail_err people_writer_put_valid(people_writer *w, const person_in *p);
/* Takes a person out of the active set (deleted in Marketo when deleted=1).
 * Unknown ids are ignored. */
hail_err people_writer_deactivate(people_writer *w, int64_t marketo_id, int deleted);
/* Commits what was written so far and opens a new transaction, so the caller
 * can store its checkpoint in the same transaction beforehand. */
hail_err people_writer_checkpoint(people_writer *w);
/* The same for a bulk writer between batches: commits, pauses DB_BULK_GAP_US
 * so a waiting writer gets the lock, and begins again (store/db.h). */
hail_err people_writer_yield(people_writer *w);
/* Ends the writer: commit (1) or roll back (0) the open transaction; after a
 * bulk load, count the accounts (accounts_rebuild) and build the search keys
 * it skipped, in short transactions; rebuild any dropped indexes; free.
 * Always frees. */
hail_err people_writer_close(people_writer *w, int commit);
/* PostgreSQL bulk writers hold records until a batch is full or a commit:
 * this sends them now (in the open transaction), so that the stats count
 * them. Nothing to do otherwise. */
hail_err people_writer_flush(people_writer *w);
/* What the writer has done; records still held (above) are counted once
 * sent, except new people of a load into an empty table (at once). */
const people_stats *people_writer_stats(const people_writer *w);
db *people_writer_db(people_writer *w);

/* ---- reading ---- */

typedef struct people_query {
    const char *q;           /* words, all matching, any order (docs/people.md); NULL = all */
    const char *owner;       /* owner email; NULL = any */
    const char *account;     /* sfdc_account_id; NULL = any */
    const char *opportunity; /* sfdc_opportunity_id; NULL = any */
    int64_t after_id;        /* cursor (people_cursor_parse): after this id… */
    const char *after_key;   /* …and, for a search, this key… */
    int after_word;          /* …scanned for this word of q (several words) */
    int limit;               /* 1..200 */
} people_query;

#define PEOPLE_CURSOR_MAX 96

/* Active people matching the query: in id order, or with q in the order of
 * the matching search key (then id). Appends objects to `out`; when more
 * follow, `next` gets a cursor string (else ""). */
hail_err people_list(db *d, const people_query *q, json_t *out, char next[PEOPLE_CURSOR_MAX]);

/* The same as JSON text appended to out: the page's objects joined by commas
 * (no brackets); *count gets how many. The API's fast path. */
hail_err people_list_text(db *d, const people_query *q, buf *out, char next[PEOPLE_CURSOR_MAX],
                          int *count);
/* 1 when a q or filter value is longer than 256 characters (or 1024 bytes):
 * people_list refuses such a q. */
int people_filter_too_long(const char *q);
/* The SQL text people_list runs for q's filters (q non-empty: the search),
 * for EXPLAIN in tests. */
const char *people_list_sql(const people_query *q);

/* One person as a JSON object appended to out. */
hail_err people_get_text(db *d, int64_t id, buf *out);

/* Reads a cursor string from people_list into q (the key is copied to keybuf).
 * HAIL_EINVAL when it is not one. */
hail_err people_cursor_parse(const char *s, people_query *q, char *keybuf, size_t keycap);

/* Registers hail's SQL functions (hail_search_key) on a connection. */
struct sqlite3;
hail_err people_register_functions(struct sqlite3 *h);
/* Rebuilds the search keys of all active people (after a bulk load). */
hail_err people_rebuild_search(db *d);
/* kv key set while a bulk load has skipped the search keys. */
#define PEOPLE_BULK_KEY "people.bulk_load"
/* kv key present only inside a bulk writer's transactions, never committed:
 * the account_companies triggers do nothing while they see it (schema
 * migration 3). */
#define PEOPLE_BULK_TX_KEY "people.bulk_tx"

/* One person by hail id (active or not). HAIL_ENOTFOUND if unknown. */
hail_err people_get(db *d, int64_t id, json_t **out);
/* Sets person id's synced fields (person_json_field) in data: a string, or
 * null when empty. HAIL_ENOTFOUND "no person with id N". */
hail_err people_fields(db *d, int64_t id, json_t *data);

/* Counts (for status pages and tests). */
hail_err people_count(db *d, int64_t *total, int64_t *active);

#endif
