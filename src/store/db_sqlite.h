/* Private to store/ (and the SQLite engine's unit tests): the SQLite handle
 * under a db, for what only SQLite has (SQL functions, temp tables, EXPLAIN
 * QUERY PLAN in tests). NULL on PostgreSQL. */
#ifndef HAIL_STORE_DB_SQLITE_H
#define HAIL_STORE_DB_SQLITE_H

#include <sqlite3.h>

#include "store/db.h"

sqlite3 *db_sqlite(db *d);

#endif
