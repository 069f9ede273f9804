#!/bin/sh
# The database engines stay inside src/store/: no file elsewhere in src/ calls
# SQLite (sqlite3_*, SQLITE_*) or libpq (PQ*, PG*) or includes their headers.
# Everything above the store reaches the database through store/ functions.
set -eu
cd "${HAIL_SRC:?}"
bad=0
hits=$(grep -rnE --include='*.[ch]' \
    '\bsqlite3_[a-z_0-9]+|\bSQLITE_[A-Z_]+|#include <(sqlite3|libpq-fe)\.h>|\bPQ[a-z][A-Za-z]*\(|\bPGconn\b|\bPGresult\b' \
    src | grep -v '^src/store/' || true)
if [ -n "$hits" ]; then
    echo "$hits" | sed 's/^/outside src\/store: /'
    bad=1
fi
# The check must see the engines where they are (a check that finds nothing
# anywhere would pass for the wrong reason).
grep -q 'sqlite3_prepare_v3' src/store/db.c || { echo "src/store/db.c: no sqlite3 calls found"; bad=1; }
[ $bad -eq 0 ] && echo "store: SQLite and libpq calls only in src/store/"
exit $bad
