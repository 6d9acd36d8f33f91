#!/usr/bin/env bash
# Runs a local Prefect 3 server for the tracker-bridge (and its tests): start | stop | status.
#   start   builds .venv-prefect if missing, starts `prefect server start` in the background on
#           127.0.0.1:$PREFECT_PORT with a SQLite DB under $PREFECT_HOME, waits for /api/health and
#           prints the API URL. Returns at once when a server already answers there.
#   stop    stops the server this script started (by the PID it recorded), if any.
#   status  prints the API URL and exits 0 when healthy, else exits 1.
# Env: PREFECT_PORT (4200), PREFECT_HOME (data/prefect), PREFECT_START_TIMEOUT seconds (180),
#      PREFECT_UI (true: serve the UI; false for API-only runs).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

port="${PREFECT_PORT:-4200}"
home="${PREFECT_HOME:-$root/data/prefect}"
case "$home" in /*) ;; *) home="$root/$home" ;; esac
api="http://127.0.0.1:$port/api"
pid_file="$home/server-$port.pid"
log_file="$home/server-$port.log"
timeout="${PREFECT_START_TIMEOUT:-180}"

healthy() { curl -sf --max-time 3 "$api/health" >/dev/null 2>&1; }

running_pid() { # prints the recorded PID when that process is still alive
  [ -f "$pid_file" ] || return 1
  local pid
  pid="$(cat "$pid_file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  if healthy; then echo "$api"; return 0; fi
  if [ ! -x "$root/.venv-prefect/bin/prefect" ]; then
    echo "prefect-server: building .venv-prefect" >&2
    PYTHON_ENVS=prefect bash scripts/python-env.sh >&2
  fi
  mkdir -p "$home"
  if ! running_pid >/dev/null; then
    # Lightest useful server: no telemetry, no scheduler/automations/pause services. The foreman
    # (Ready/Not Ready), late-runs and cancellation-cleanup services stay on: the UI shows them.
    (
      export PREFECT_HOME="$home"
      export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
      export PREFECT_SERVER_LOGGING_LEVEL="${PREFECT_SERVER_LOGGING_LEVEL:-WARNING}"
      export PREFECT_SERVER_UI_ENABLED="${PREFECT_UI:-true}"
      export PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="${PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED:-true}"
      export PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED=false
      export PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED=false
      export PREFECT_SERVER_DATABASE_CONNECTION_URL="sqlite+aiosqlite:///$home/prefect.db"
      # setsid: the server outlives this shell and its process group is ours to stop.
      setsid "$root/.venv-prefect/bin/prefect" server start --host 127.0.0.1 --port "$port" >>"$log_file" 2>&1 </dev/null &
      echo $! >"$pid_file"
    )
  fi
  local waited=0
  until healthy; do
    if ! running_pid >/dev/null; then
      echo "prefect-server: the server exited; last log lines ($log_file):" >&2
      tail -n 30 "$log_file" >&2 || true
      if tail -n 30 "$log_file" | grep -q "unexpected keyword argument 'min_items'"; then
        echo "prefect-server: FastAPI >= 0.155 is too new for this Prefect (Body(min_items=...) was removed);" \
          "pin fastapi==0.154.0 in python/constraints-prefect.txt and rebuild .venv-prefect" >&2
      fi
      return 1
    fi
    if [ "$waited" -ge "$timeout" ]; then
      echo "prefect-server: no answer from $api/health after ${timeout}s (log: $log_file)" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "$api"
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "prefect-server: stopped (pid $pid)"
  else
    echo "prefect-server: not running (no live PID in $pid_file)"
  fi
  rm -f "$pid_file"
}

status() {
  if healthy; then echo "$api"; return 0; fi
  echo "prefect-server: not answering at $api" >&2
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
