#!/usr/bin/env bash
# Runs cmd/chatbench against a freshly built server on a throwaway database
# (loopback only; every scenario is bounded in time). Arguments go to
# chatbench, e.g.: scripts/bench.sh -duration 10s -scenarios post,history
# INSTANCES=N starts N servers on the same database and spreads the
# clients over them (their database pools share the default 32
# connections). They share events as EVENT_BUS says: postgres (the
# default) or nats, on NATS_URL (default nats://127.0.0.1:4222) and a
# stream named after the database, so that runs from several checkouts do
# not meet. To compare the buses:
#   INSTANCES=3 EVENT_BUS=postgres scripts/bench.sh -scenarios post,fanout
#   INSTANCES=3 EVENT_BUS=nats scripts/bench.sh -scenarios post,fanout
# -profile DIR writes CPU profiles of the first server (served on its own
# loopback pprof port) and of the benchmark for each measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
# BENCH_PORT and BENCH_DB keep runs from several checkouts on one machine
# and PostgreSQL apart.
port=${BENCH_PORT:-8099}
db=${BENCH_DB:-gqlchat_bench}
admin=${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
dsn=${admin/\/postgres\?//$db?}
psql "$admin" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
bin=$(mktemp -d)
go build -o "$bin/server" . && go build -o "$bin/chatbench" ./cmd/chatbench
ulimit -n "$(ulimit -Hn)" # thousands of WebSockets
# The benchmark signs up many users from one address and shares tokens
# among idle connections: the abuse limits would refuse it.
instances=${INSTANCES:-1}
bus=${EVENT_BUS:-postgres}
conns=$(( ${BENCH_DB_CONNS:-32} / instances ))
echo "bench: $instances instance(s), EVENT_BUS=$bus" >&2
pids=() urls=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$bin"' EXIT
for i in $(seq 0 $((instances - 1))); do
  p=$((port + i))
  RATE_LIMITS=off MAX_CONNECTIONS_PER_USER=1000000 MAX_CONNECTIONS=1000000 PPROF_ADDR=127.0.0.1:$((p + 1000)) \
    EVENT_BUS=$bus NATS_URL=${NATS_URL:-nats://127.0.0.1:4222} NATS_STREAM=$db \
    DATABASE_URL=$dsn PORT=$p LOG_LEVEL=warn DB_MAX_CONNS=$conns "$bin/server" &
  pids+=($!) urls+=("http://localhost:$p")
  for _ in $(seq 100); do curl -sf "http://localhost:$p/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf "http://localhost:$p/healthz" >/dev/null || { echo "bench: server $i did not start" >&2; exit 1; }
done
# The idle scenario reads the first instance's memory; the CPU notes count all.
"$bin/chatbench" -url "$(IFS=,; echo "${urls[*]}")" -dsn "$dsn" -server-pid "${pids[0]}" \
  -other-server-pids "$(IFS=,; echo "${pids[*]:1}")" -pprof "http://127.0.0.1:$((port + 1000))" "$@"
