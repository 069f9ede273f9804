#!/bin/sh
# Installs what hail needs to build, test and benchmark: the Debian packages,
# Node.js + npm and Chromium for the web app and its browser tests, then the
# web app's pinned npm packages (`npm ci` in web/).
# Idempotent and quiet when everything is already present.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)

# postgresql-15: the server the tests start in a temporary directory
# (tests/pg/pg_start.sh uses /usr/lib/postgresql/15/bin; psql comes with it);
# libpq-dev: the PostgreSQL client library hail links.
# libgmime-3.0-dev: MIME building and parsing (src/mail/). postfix: its
# smtp-sink and smtp-source are the tests' and the send benchmark's SMTP peer
# (nothing is started: the package's scripts are denied without an init);
# dovecot-imapd: the tests' IMAP server; nginx-light: the tracking
# benchmark's static-file reference; clang: the fuzz targets (libFuzzer).
PKGS="build-essential cmake pkg-config python3 ca-certificates tzdata curl sqlite3 \
libmicrohttpd-dev libjansson-dev libsqlite3-dev libcurl4-openssl-dev \
libsodium-dev libcmocka-dev libpq-dev postgresql-15 wrk time clang-format \
python3-jsonschema python3-hypothesis chromium fonts-liberation \
libgmime-3.0-dev postfix dovecot-imapd nginx-light clang openssl"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# Node.js and npm: Debian's packages (Node 18 on Debian 12) only when there is
# no node/npm at all, so a Node installed another way is left alone.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    if [ "$(id -u)" -ne 0 ]; then
        SUDO=sudo
    else
        SUDO=
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    echo "install-deps: done"
fi

# The web app's packages, exactly as web/package-lock.json pins them. npm ci
# writes node_modules/.package-lock.json; a lockfile newer than it (a pull that
# changed a pin) installs again.
WEB="$ROOT/web"
if [ -f "$WEB/package-lock.json" ]; then
    stamp="$WEB/node_modules/.package-lock.json"
    if [ ! -f "$stamp" ] || [ "$WEB/package-lock.json" -nt "$stamp" ] ||
       [ "$WEB/package.json" -nt "$stamp" ]; then
        echo "install-deps: npm ci in web/"
        (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
        touch "$stamp"
        echo "install-deps: web packages installed"
    fi
fi
