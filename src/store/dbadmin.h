/* `hail db check` and `hail db copy`: the store's side (the CLI prints).
 *
 * Check: the schema objects this binary makes (compared with a new SQLite
 * database migrated in a temporary directory: every table and index must be
 * there), the engine's own integrity (SQLite: PRAGMA integrity_check and
 * foreign_key_check; PostgreSQL: constraints not validated, identity
 * sequences behind their table's largest id), and what triggers and writers
 * keep beside people (the account counts, the search keys), skipped while a
 * bulk load has work pending (it finishes that work itself).
 *
 * Copy: a SQLite database into an empty PostgreSQL one, in one PostgreSQL
 * transaction (a failure leaves the target as empty as it was): the target
 * migrated, refused if any table has a row, then each table in foreign-key
 * order with COPY … FROM STDIN (ids as they are, blobs as bytea, the
 * account-count triggers silent: hail.bulk), identity sequences set past the
 * largest ids, and every table's row count compared before the commit.
 */
#ifndef HAIL_STORE_DBADMIN_H
#define HAIL_STORE_DBADMIN_H

#include <stdint.h>

#include "core/err.h"
#include "store/db.h"

/* One finding: check is its name ("integrity", "foreign keys", "schema",
 * "account counts", "search keys", "sequences"), problem NULL when it passed
 * or a one-line description (skipped checks pass with note set). */
typedef void (*dbcheck_fn)(void *ctx, const char *check, const char *problem, const char *note);

/* Runs every check on d, calling fn for each; *problems gets how many
 * failed. A non-OK return is a database error (message set), not a finding. */
hail_err dbadmin_check(db *d, dbcheck_fn fn, void *ctx, int *problems);

/* Progress of a copy: done of total rows of table (done == total at the end
 * of each table). */
typedef void (*dbcopy_fn)(void *ctx, const char *table, int64_t done, int64_t total);

/* Copies the SQLite database at from into the PostgreSQL database at to (both
 * opened, and migrated, here). HAIL_EINVAL when from is not SQLite or to is
 * not PostgreSQL; HAIL_EEXIST "the target database is not empty (table T has
 * N rows); copy needs an empty database". *rows and *tables get what was
 * copied. */
hail_err dbadmin_copy(const char *from, const char *to, dbcopy_fn fn, void *ctx, int64_t *rows,
                      int *tables);

#endif
