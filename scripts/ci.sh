#!/usr/bin/env bash
# The test command: from a fresh clone, installs everything, starts the servers, lints,
# typechecks and runs every test. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== python reference environment"
bash scripts/python-env.sh
echo "== servers"
bash scripts/services-up.sh
echo "== lint"
npx eslint .
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== tests"
bash scripts/test.sh
