#!/bin/sh
# pg_stop.sh DIR: stops the test cluster pg_start.sh started in DIR and removes
# its data (DIR/log stays for a look after a failed run). Nothing of it is left
# running: a fast shutdown (clients disconnected), then an immediate one, then
# SIGKILL of the postmaster. Succeeds when there is nothing to stop.
set -u

DIR=${1:?usage: pg_stop.sh DIR}
PGBIN=${HAIL_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -d "$DIR/data" ] || exit 0

if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
    as_owner() { runuser -u postgres -- "$@"; }
else
    as_owner() { "$@"; }
fi

pid=
if [ -f "$DIR/data/postmaster.pid" ]; then
    pid=$(head -1 "$DIR/data/postmaster.pid")
fi
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
        as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
        kill -9 "$pid" 2>/dev/null
    # The postmaster's children end with it; wait for the last one.
    n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "pg_stop: the postmaster $pid in $DIR did not stop" >&2
        exit 1
    fi
    echo "pg_stop: stopped PostgreSQL in $DIR"
fi
rm -rf "$DIR/data" "$DIR/url" "$DIR/port"
exit 0
