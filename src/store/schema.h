/* Versioned schema migrations. Version N's SQL takes a database from N-1 to N;
 * PRAGMA user_version records where a database is. Never edit a released
 * migration: add a new one. */
#ifndef HAIL_STORE_SCHEMA_H
#define HAIL_STORE_SCHEMA_H

#include "core/err.h"

struct db;

int schema_latest(void);
/* The SQLite text of migration `version` (NULL outside 1..latest). */
const char *schema_migration(int version);

/* PostgreSQL (store/schema_pg.c): the same versions in PostgreSQL's words,
 * and schema.c's index helpers' text. schema_pg_latest() equals
 * schema_latest() (a unit test checks). */
const char *schema_pg_migration(int version);
int schema_pg_latest(void);
extern const char schema_pg_people_indexes[];
extern const char schema_pg_drop_people_indexes[];

/* Secondary indexes on people and the search keys, kept out of the migrations
 * so a bulk load into an empty table can skip them and build them once at the
 * end (sorting is far cheaper than a million random B-tree inserts).
 * ensure recreates missing indexes and, if a bulk load was interrupted
 * (PEOPLE_BULK_KEY set), the search keys; finish_bulk always rebuilds them. */
hail_err schema_ensure_indexes(struct db *d);
hail_err schema_finish_bulk(struct db *d);
hail_err schema_drop_people_indexes(struct db *d);

#endif
