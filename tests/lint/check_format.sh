#!/bin/sh
# Fails when any C file under src/ or tests/ differs from what clang-format
# (the repository's .clang-format) makes of it. Fix with `make format`.
set -eu
cd "${HAIL_SRC:?}"
files=$(find src tests -name '*.[ch]' | sort)
if ! out=$(clang-format --dry-run -Werror $files 2>&1); then
    printf '%s\n' "$out" | grep 'error:' | cut -d: -f1 | sort -u | sed 's/^/unformatted: /'
    echo "run 'make format' and commit the result"
    exit 1
fi
echo "format: $(echo "$files" | wc -l) files clean"
