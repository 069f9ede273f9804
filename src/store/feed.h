/* The live feed's reads of the activity log (docs/insight.md, "Live feed").
 *
 * Commit order. SQLite has one writer and assigns ids under its write lock,
 * so "id > cursor" misses nothing. PostgreSQL assigns ids (and xact, the
 * writing transaction's id) before commit, so a smaller id may commit after
 * a larger one: rows are read only once final, xact below the horizon
 * pg_snapshot_xmin(pg_current_snapshot()) (every transaction that could
 * still add a row there has ended), in (xact, id) order after the last
 * position read. A position is that pair (xact 0 on SQLite). */
#ifndef HAIL_STORE_FEED_H
#define HAIL_STORE_FEED_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/db.h"
#include "store/visibility.h"

typedef struct feed_pos {
    int64_t xact; /* PostgreSQL: the writing transaction (xid8); SQLite: 0 */
    int64_t id;
} feed_pos;

/* <0, 0, >0 as a is before, at, after b in commit order. */
int feed_pos_cmp(feed_pos a, feed_pos b);

/* One activity as the feed shows it. */
typedef struct feed_row {
    feed_pos pos;
    int64_t person_id, user_id;  /* user_id 0: none */
    char *owner;                 /* the person's owner email, ASCII-lowercased; NULL: none */
    char *account, *opportunity; /* the person's Salesforce account / opportunity ids; NULL */
    char *type;
    int machine;
    /* The FeedEvent but for "type_name" (the service adds it): the
     * activity's API JSON (svc/activity.h) and "person", "user", "email",
     * "campaign". */
    json_t *event;
} feed_row;

void feed_rows_free(feed_row *rows, size_t n);

/* Up to limit final rows after `after`, in commit order (see the top).
 * *rows is malloc'd (NULL with *n 0 when none). */
hail_err feed_read_after(db *d, feed_pos after, int limit, feed_row **rows, size_t *n);

/* Binds a read "after position `after`, up to limit rows" to st, whose SQL
 * is "… WHERE a.id > $1 … LIMIT $2" on SQLite and "… WHERE (a.xact, a.id) >
 * (CAST($1 AS xid8), $2) … LIMIT $3" on PostgreSQL (feed_read_after's, the
 * outboxes'). */
void feed_bind_after(db *d, db_st *st, feed_pos after, int64_t limit);

/* The position of the last final row (0, 0 when there is none): where a
 * reader that wants only what comes next starts. */
hail_err feed_horizon(db *d, feed_pos *out);

/* The position of activity id (HAIL_ENOTFOUND, "no activity with id N",
 * when there is none). */
hail_err feed_position(db *d, int64_t id, feed_pos *out);

/* What a viewer asks for. */
typedef struct feed_filter {
    const vis_scope *scope;  /* what the viewer covers (store/visibility.h) */
    int64_t person_id;       /* 0: any */
    const char *account;     /* Salesforce account id; NULL: any */
    const char *opportunity; /* Salesforce opportunity id; NULL: any */
    char **types;            /* activity types; NULL (or ntypes 0): all */
    size_t ntypes;
    int human_only; /* machine events left out */
} feed_filter;

/* 1 when f lets row through (scope and filters). */
int feed_filter_match(const feed_filter *f, const feed_row *row);

/* The feed as a page, newest first (ids, as committed so far): up to limit
 * rows with id < before (0: from the newest) that f lets through. The
 * FeedEvents (without "type_name") go to *out; *next is the last id when
 * more may follow, else 0. */
hail_err feed_list(db *d, const feed_filter *f, int64_t before, int limit, feed_row **rows,
                   size_t *n, int64_t *next);

/* The per-owner and per-user reads of a rep's or manager's page (EXPLAIN in
 * tests: activities_owner and activities_user, led by owner / user and machine). */
extern const char feed_sql_by_owner_sqlite[], feed_sql_by_owner_pg[];
extern const char feed_sql_by_user_sqlite[], feed_sql_by_user_pg[];

#endif
