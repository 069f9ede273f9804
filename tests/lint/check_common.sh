#!/bin/sh
# Every C file under src/ and tests/unit/ includes core/common.h first, so
# core/banned.h reaches all of them; no file includes banned.h directly.
set -eu
cd "${HAIL_SRC:?}"
bad=0
for f in $(find src tests/unit -name '*.c' | sort); do
    first=$(grep -m1 '^#include' "$f" || true)
    if [ "$first" != '#include "core/common.h"' ]; then
        echo "$f: first #include is '$first', not core/common.h"
        bad=1
    fi
done
for f in $(grep -rl --include="*.[ch]" "#include \"core/banned.h\"" src tests || true); do
    [ "$f" = src/core/common.h ] && continue
    echo "$f: includes core/banned.h directly (include core/common.h first instead)"
    bad=1
done
[ $bad -eq 0 ] && echo "common header: every C file includes core/common.h first"
exit $bad
