#!/usr/bin/env bash
# A real MLflow tracking server on loopback for the tracker-bridge and its tests.
#   scripts/mlflow-server.sh start   # idempotent: returns at once when it already answers /health
#   scripts/mlflow-server.sh stop
#   scripts/mlflow-server.sh status  # exit 0 when healthy
# Environment:
#   MLFLOW_PORT      (default 5000)
#   MLFLOW_DATA_DIR  (default data/mlflow-<port>): SQLite DB, artifacts, pid and log live here, so
#                    two ports never share a database (a test runs a second server to stop it).
#   MLFLOW_START_TIMEOUT seconds to wait for /health (default 120: migrations on a fresh DB are slow)
# Prints the tracking URI on success.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

PORT="${MLFLOW_PORT:-5000}"
DATA_DIR="${MLFLOW_DATA_DIR:-$ROOT/data/mlflow-$PORT}"
case "$DATA_DIR" in /*) ;; *) DATA_DIR="$ROOT/$DATA_DIR" ;; esac
TIMEOUT="${MLFLOW_START_TIMEOUT:-120}"
URI="http://127.0.0.1:$PORT"
PID_FILE="$DATA_DIR/server.pid"
LOG_FILE="$DATA_DIR/server.log"
VENV="$ROOT/.venv-mlflow"

healthy() { curl -fsS --max-time 2 "$URI/health" >/dev/null 2>&1; }

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  if healthy; then
    echo "$URI"
    return 0
  fi
  if [ ! -x "$VENV/bin/mlflow" ]; then
    PYTHON_ENVS=mlflow bash scripts/python-env.sh >&2
  fi
  mkdir -p "$DATA_DIR/artifacts"
  # One start at a time per data folder: parallel test files may all call start.
  exec 9>"$DATA_DIR/.start.lock"
  flock 9
  if healthy; then
    echo "$URI"
    return 0
  fi
  if ! running_pid >/dev/null; then
    # --workers 1: SQLite allows one writer. Host checks: loopback is allowed by default; localhost
    # with the port is listed too so a browser or proxy on "localhost:<port>" is not refused (403).
    # setsid: the server outlives the shell that started it (a test's before()).
    # 9>&-: the server must not inherit (and hold) the start lock.
    setsid "$VENV/bin/mlflow" server \
      --host 127.0.0.1 --port "$PORT" --workers 1 \
      --backend-store-uri "sqlite:///$DATA_DIR/mlflow.db" \
      --artifacts-destination "$DATA_DIR/artifacts" \
      --serve-artifacts \
      --allowed-hosts "127.0.0.1:$PORT,localhost:$PORT,127.0.0.1,localhost" \
      >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
    echo $! >"$PID_FILE"
  fi
  local waited=0
  until healthy; do
    if ! running_pid >/dev/null; then
      echo "mlflow-server: the server exited during start; last log lines ($LOG_FILE):" >&2
      tail -n 30 "$LOG_FILE" >&2
      return 1
    fi
    if [ "$waited" -ge "$((TIMEOUT * 2))" ]; then
      echo "mlflow-server: no answer on $URI/health after ${TIMEOUT}s; see $LOG_FILE" >&2
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  echo "$URI"
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    # The server is a process group (uvicorn spawns a worker): stop the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  for _ in $(seq 1 40); do
    healthy || break
    sleep 0.25
  done
  if healthy; then
    echo "mlflow-server: $URI still answers (started by something else?)" >&2
    return 1
  fi
  echo "mlflow-server: stopped $URI"
}

status() {
  if healthy; then
    echo "$URI healthy (version $(curl -fsS --max-time 2 "$URI/version"))"
  else
    echo "$URI not answering"
    return 1
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
