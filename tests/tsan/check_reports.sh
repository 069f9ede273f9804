#!/bin/sh
# Runs after the threaded tests of a ThreadSanitizer build (ctest fixture
# "tsan"): every hail process they started wrote its reports, if any, to
# $1/report.<pid>. Any report fails the run; the reports are printed.
set -u
dir=${1:?usage: check_reports.sh TSAN_DIR}
found=0
for f in "$dir"/report.*; do
    [ -e "$f" ] || continue
    found=$((found + 1))
    echo "== $f"
    head -n 150 "$f"
done
if [ "$found" -gt 0 ]; then
    echo "ThreadSanitizer: $found process(es) reported problems (above)"
    exit 1
fi
echo "ThreadSanitizer: no reports"
