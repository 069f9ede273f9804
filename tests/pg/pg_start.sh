#!/bin/sh
# pg_start.sh DIR: a throwaway PostgreSQL 15 cluster for the tests, in DIR.
#
# initdb (as the user postgres when run as root, else as the caller; the
# superuser role is named postgres either way) into DIR/data, then start it
# listening on a unix socket in DIR and on 127.0.0.1 at a free port, fsync off,
# max_connections 400. Authentication is trust for everyone except the roles
# hailpw and hail_pw_test, which must give their password over 127.0.0.1
# (scram-sha-256; the wrong-password tests use them: integration
# test_database_url.py and unit test_pg.c).
# Writes DIR/port and DIR/url (the superuser's URL, no password, for the tests:
# HAIL_TEST_PG_URL). A cluster an interrupted run left in DIR is stopped and
# removed first. pg_stop.sh DIR stops it. Binaries: /usr/lib/postgresql/15/bin
# (Debian's postgresql-15; HAIL_PG_BIN overrides).
set -eu

DIR=${1:?usage: pg_start.sh DIR}
PGBIN=${HAIL_PG_BIN:-/usr/lib/postgresql/15/bin}
HERE=$(cd "$(dirname "$0")" && pwd)

if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
    echo "pg_start: no PostgreSQL 15 server in $PGBIN: install Debian's postgresql-15 (make deps)" >&2
    exit 1
fi

sh "$HERE/pg_stop.sh" "$DIR" >/dev/null 2>&1 || true
rm -rf "$DIR"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# As root the cluster belongs to postgres (initdb refuses root); every
# directory above DIR must let it through.
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        echo "pg_start: running as root needs the user postgres (Debian's postgresql-15 creates it)" >&2
        exit 1
    fi
    chown postgres "$DIR"
    as_owner() { runuser -u postgres -- "$@"; }
else
    as_owner() { "$@"; }
fi
chmod 700 "$DIR"

# The socket path (DIR/.s.PGSQL.PORT) must fit in sun_path (107 bytes).
if [ ${#DIR} -gt 90 ]; then
    echo "pg_start: $DIR is too long for a unix socket path (over 90 bytes): use a shorter build directory" >&2
    exit 1
fi

as_owner "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-sync --no-instructions \
    -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 || {
    cat "$DIR/initdb.log" >&2
    echo "pg_start: initdb failed" >&2
    exit 1
}

cat >"$DIR/data/pg_hba.conf" <<HBA
# The test cluster: trust, except the roles of the wrong-password tests
# (integration test_database_url.py, unit test_pg.c).
local all all trust
host all hailpw 127.0.0.1/32 scram-sha-256
host all hail_pw_test 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
HBA

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A free port can be taken between the check and the start: try a few.
tries=0
while :; do
    PORT=$(free_port)
    cat >"$DIR/data/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 400
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
log_min_messages = warning
log_line_prefix = '%m [%p] %d '
CONF
    if as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 start >/dev/null 2>&1; then
        break
    fi
    tries=$((tries + 1))
    if [ $tries -ge 5 ]; then
        tail -20 "$DIR/log" >&2 || true
        echo "pg_start: PostgreSQL did not start (log: $DIR/log)" >&2
        exit 1
    fi
done

echo "$PORT" >"$DIR/port"
echo "postgresql://postgres@127.0.0.1:$PORT/postgres" >"$DIR/url"
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$(cat "$DIR/url")" -c "SELECT 1" >/dev/null
echo "pg_start: $("$PGBIN/postgres" --version | sed 's/^postgres (\([^)]*\)) \([^ ]*\).*/\1 \2/') on 127.0.0.1:$PORT and $DIR (log: $DIR/log)"
