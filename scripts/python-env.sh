#!/usr/bin/env bash
# Creates the Python virtual environments the tests use, at the repo root:
#   ref     -> .venv-ref     (python/requirements-reference.txt: numpy/pandas/sklearn/onnxruntime)
#   mlflow  -> .venv-mlflow  (python/requirements-mlflow.txt: MLflow 3.x server + onnx flavor)
#   prefect -> .venv-prefect (python/requirements-prefect.txt: Prefect 3.x server)
# Default: "ref mlflow". Select with PYTHON_ENVS="ref mlflow prefect".
# Idempotent: each venv holds a stamp with the sha256 of its requirements (and constraints) file and
# the interpreter version; an unchanged venv is skipped. python/constraints-<name>.txt, when present,
# pins the transitive dependencies so a fresh machine resolves the same versions.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
ENVS="${PYTHON_ENVS:-ref mlflow}"

requirements_for() {
  case "$1" in
    ref) echo python/requirements-reference.txt ;;
    mlflow) echo python/requirements-mlflow.txt ;;
    prefect) echo python/requirements-prefect.txt ;;
    *) echo "python-env.sh: unknown environment '$1' (known: ref mlflow prefect)" >&2; return 1 ;;
  esac
}

fingerprint() {
  local requirements="$1" constraints="$2"
  {
    sha256sum "$requirements"
    if [ -f "$constraints" ]; then sha256sum "$constraints"; fi
    "$PYTHON" -c 'import sys; print(sys.version)'
  } | sha256sum | cut -d' ' -f1
}

build_env() {
  local name="$1" requirements constraints venv stamp wanted
  requirements="$(requirements_for "$name")"
  constraints="python/constraints-$name.txt"
  venv=".venv-$name"
  stamp="$venv/.requirements.sha256"
  wanted="$(fingerprint "$requirements" "$constraints")"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    echo "python-env: $venv is up to date"
    return 0
  fi
  echo "python-env: building $venv from $requirements"
  rm -f "$stamp"
  local log
  log="$(mktemp)"
  local -a constraint_args=()
  if [ -f "$constraints" ]; then constraint_args=(-c "$constraints"); fi
  if ! {
    "$PYTHON" -m venv "$venv" &&
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip &&
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$requirements" "${constraint_args[@]}" &&
      "$venv/bin/python" -m pip check
  } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "python-env: FAILED to build $venv (environment '$name', $requirements)" >&2
    return 1
  fi
  rm -f "$log"
  echo "$wanted" >"$stamp"
  echo "python-env: $venv ready"
}

for name in $ENVS; do
  build_env "$name"
done
