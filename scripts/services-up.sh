#!/usr/bin/env bash
# Makes sure the servers the tests need are listening, starting them when they are not.
# The commands are the ones this machine kind uses to start them before a session.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # port name
  for _ in $(seq 1 60); do listening "$1" && return 0; sleep 0.5; done
  echo "services-up: $2 is not listening on 127.0.0.1:$1" >&2
  return 1
}

if ! listening 5432; then
  echo "services-up: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
wait_for 5432 PostgreSQL

if ! listening 4222; then
  echo "services-up: starting nats-server with JetStream"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
wait_for 4222 NATS
echo "services-up: PostgreSQL :5432 and NATS :4222 are up"
