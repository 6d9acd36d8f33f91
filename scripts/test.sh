#!/usr/bin/env bash
# Runs every *.test.ts with node's test runner (tsx loads TypeScript). Pass files to run a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(find packages services gateway cli test -path '*/node_modules' -prune -o -name '*.test.ts' -print 2>/dev/null | sort)
fi
if [ "${#files[@]}" -eq 0 ]; then echo "test.sh: no test files found" >&2; exit 1; fi
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-1}" "${files[@]}"
