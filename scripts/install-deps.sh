#!/bin/sh
# Installs the Debian packages hail needs to build, test and benchmark.
# Idempotent and quiet when everything is already present.
set -eu

PKGS="build-essential cmake pkg-config python3 ca-certificates curl sqlite3 \
libmicrohttpd-dev libjansson-dev libsqlite3-dev libcurl4-openssl-dev \
libsodium-dev libcmocka-dev wrk time clang-format \
python3-jsonschema python3-hypothesis"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

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
