#!/bin/sh
# with_pg.sh DIR COMMAND [ARG...]: runs COMMAND with HAIL_TEST_PG_URL set to the
# superuser URL of the test cluster pg_start.sh started in DIR (ctest wraps the
# tests that need PostgreSQL in it: the port is only known once pg/start ran).
set -eu
DIR=${1:?usage: with_pg.sh DIR COMMAND [ARG...]}
shift
if [ ! -f "$DIR/url" ]; then
    echo "with_pg: no test PostgreSQL in $DIR (pg/start failed or did not run)" >&2
    exit 1
fi
HAIL_TEST_PG_URL=$(cat "$DIR/url")
export HAIL_TEST_PG_URL
exec "$@"
