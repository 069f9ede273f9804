#!/bin/sh
# `make bench`: runs every benchmark against the given hail binary and prints the figures.
# Builds nothing. Usage: sh bench/run-all.sh build/hail
# Each script prints its figure line(s) and what they are compared against; the figures
# are collected at the end. The exit status is 1 if any benchmark failed (a failed
# correctness check or a tool error), not when a figure misses its target.
# Inputs are generated once and cached in bench/out/ (gitignored).
set -u
HAIL=${1:?usage: sh bench/run-all.sh path/to/hail}
DIR=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$HAIL" ]; then
    echo "run-all: no executable hail at $HAIL" >&2
    exit 2
fi
mkdir -p "$DIR/out"
SUMMARY="$DIR/out/summary.txt"
: >"$SUMMARY"
status=0
for script in sync_people.py api_people.py web_people.mjs pg_sync.py pg_api.py tracking.py send.py scheduler.py outbox.py filters.py; do
    echo "===== bench/$script $HAIL ($(date -u +%Y-%m-%dT%H:%MZ))"
    start=$(date +%s)
    case $script in *.mjs) run=node ;; *) run=python3 ;; esac
    log="$DIR/out/${script%.*}.log"
    { $run "$DIR/$script" "$HAIL" 2>&1; echo $? >"$log.rc"; } | tee "$log"
    rc=$(cat "$log.rc")
    if [ "$rc" != 0 ] || grep -q '^FAIL:' "$log"; then
        status=1
        echo "bench/$script: FAILED" >>"$SUMMARY"
    else
        grep -E '^[a-z_0-9]+=[^ ]+( [a-z_0-9]+=[^ ]+)*$' "$log" |
            sed "s|^|bench/$script: |" >>"$SUMMARY"
    fi
    echo "===== bench/$script took $(($(date +%s) - start)) s"
done
echo
echo "===== figures (machine: $(nproc) cores; targets and references in the lines above)"
cat "$SUMMARY"
exit $status
