#!/usr/bin/env bash
# The test command: from a fresh clone, installs everything, starts the servers, lints,
# typechecks and runs every test. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
step() { echo "== $1 ($((SECONDS - started)) s)"; }

step "system packages"
bash scripts/system-packages.sh
step "npm ci"
npm ci --no-audit --no-fund
step "python environments"
PYTHON_ENVS="ref mlflow prefect" bash scripts/python-env.sh
step "servers: PostgreSQL, NATS"
bash scripts/services-up.sh
# Prefect and MLflow take a while to boot: start them now, wait for them after lint and typecheck.
step "servers: Prefect, MLflow (starting in the background)"
prefect_log="$(mktemp)"
mlflow_log="$(mktemp)"
bash scripts/prefect-server.sh start >"$prefect_log" 2>&1 &
prefect_pid=$!
bash scripts/mlflow-server.sh start >"$mlflow_log" 2>&1 &
mlflow_pid=$!
step "lint"
npx eslint .
step "typecheck"
npx tsc -p tsconfig.json --noEmit
step "waiting for Prefect and MLflow"
wait "$prefect_pid" || { cat "$prefect_log"; echo "ci: the Prefect server did not start" >&2; exit 1; }
wait "$mlflow_pid" || { cat "$mlflow_log"; echo "ci: the MLflow server did not start" >&2; exit 1; }
cat "$prefect_log" "$mlflow_log"
rm -f "$prefect_log" "$mlflow_log"
step "tests"
bash scripts/test.sh
step "done"
