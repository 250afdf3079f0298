#!/usr/bin/env bash
# The vote benchmark: builds Tally in release mode, starts it on a fresh PostgreSQL
# database and a Redis of its own, and runs tally-bench in these modes:
#   hot       every user votes once on one poll
#   scaleout  hot through HAProxy (deploy/haproxy.cfg, less its third server) in front of
#             two instances on the same database and Redis: calls answered by each, CPU
#             per recorded vote of the instances and of HAProxy, and each instance's live
#             tally (watched straight at it) against the database. On this machine both
#             instances, HAProxy, PostgreSQL, Redis and the load generator share its cores
#   ranked    hot, on a RANKED poll: every ballot a full ranking of its 4 options (all 24
#             orders occur), so each batch also moves the poll's per-ranking groups;
#             compare its votes/s and CPU per vote with hot's (`BENCH_MODES="hot ranked"`)
#   many      every user votes once, spread over 100 polls
#   storm     every vote retried 3 times with its key, then tried under a fresh key
#   redis-down  hot, with Redis killed a third of the way in and restarted at two thirds
#   redis-stall hot, with Redis frozen (SIGSTOP) half way until the end; the calls after
#             the freeze are reported apart (the breaker keeps them from waiting on Redis)
#   cluster   hot, on a Redis Cluster of three masters (BENCH_CLUSTER_PORTS, each a
#             redis-server --cluster-enabled yes, joined by redis-cli --cluster create)
#             instead of the single Redis
#   subs      BENCH_SUBSCRIBERS WebSocket subscribers on one poll while BENCH_SUB_RATE
#             votes/s flow: delivery lag, messages/s, server memory per subscriber, the
#             server's open file descriptors; past 16,000 subscribers the load generator
#             spreads them over helper processes (a process here may open 20,000 files);
#             a subscriber without its first tally in 10 s fails, and a process stops
#             opening more after 500 failures
#   burst     a poll opens and BENCH_BURST_VOTERS distinct voters vote within its first
#             3 s over 512 connections; OVERLOADED calls are retried after
#             retryAfterSeconds: time to drain, p99, nothing lost or doubled
#   reads     anonymous GETs of a hot poll's page query (BENCH_READ_CONCURRENCY
#             connections): reads/s, latency, server CPU per read
#   instructions  the server under callgrind: instructions per castVote and per
#             poll-page read (a figure noise cannot move), with each phase's profile
#             kept for callgrind_annotate
# Each vote run prints recorded votes/s, latency percentiles and outcomes, then checks
# the database (ballots == recorded answers, counters == ballots).
#
# Settings (environment): BENCH_SECONDS (20), BENCH_CONCURRENCY (512), BENCH_USERS
# (500000: hot at 14k votes/s uses 280,000 in 20 s, and a run ends early once every user
# has voted), BENCH_MODES ("instructions hot scaleout reads burst ranked many storm redis-down redis-stall subs"), BENCH_SUBSCRIBERS (10000),
# BENCH_SUB_RATE (2000), BENCH_READ_CONCURRENCY (64), BENCH_BURST_VOTERS (40000), BENCH_PG
# (postgres://postgres@127.0.0.1:5432), BENCH_PG_OPTIONS (sslmode=disable), BENCH_DATABASE (tally_bench, dropped and created
# afresh for each mode: give concurrent benches different ones), BENCH_REDIS_PORT (6390),
# BENCH_PORT (18090; scaleout also takes the next two, for its second instance and HAProxy),
# BENCH_CLUSTER_PORTS ("7390 7391 7392"; their cluster bus ports are each + 10000).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${BENCH_SECONDS:-20}"
concurrency="${BENCH_CONCURRENCY:-512}"
users="${BENCH_USERS:-500000}"
modes="${BENCH_MODES:-instructions hot scaleout reads burst ranked many storm redis-down redis-stall subs}"
read_concurrency="${BENCH_READ_CONCURRENCY:-64}"
burst_voters="${BENCH_BURST_VOTERS:-40000}"
subscribers="${BENCH_SUBSCRIBERS:-10000}"
sub_rate="${BENCH_SUB_RATE:-2000}"
pg="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
redis_port="${BENCH_REDIS_PORT:-6390}"
port="${BENCH_PORT:-18090}"
second_port=$((port + 1))
lb_port=$((port + 2))
secret="bench-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
database="${BENCH_DATABASE:-tally_bench}"
# The database is on this host, reached over loopback: no TLS, as for a database on the
# same host or a private network (libpq's default, `prefer`, would encrypt every batch
# for nothing here). BENCH_PG_OPTIONS="sslmode=prefer" measures with TLS.
db_url="$pg/$database?${BENCH_PG_OPTIONS:-sslmode=disable}"
redis_url="redis://127.0.0.1:$redis_port"
cluster_ports="${BENCH_CLUSTER_PORTS:-7390 7391 7392}"
cluster_dir=""

cargo build --release -q -p tally -p tally-bench

server_pid=""
redis_pid=""
second_pid=""
haproxy_pid=""
haproxy_dir=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  stop_scaleout
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  stop_cluster
  wait 2>/dev/null || true
}
trap cleanup EXIT

start_redis() {
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "redis-server did not start on port $redis_port" >&2; exit 1
}

# A Redis Cluster of three masters (no replicas, nothing on disk), for the cluster mode.
start_cluster() {
  cluster_dir=$(mktemp -d /tmp/tally-bench-cluster.XXXXXX)
  local nodes=() port
  for port in $cluster_ports; do
    mkdir -p "$cluster_dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$cluster_dir/$port" --cluster-enabled yes \
      --cluster-config-file nodes.conf --save "" --appendonly no --daemonize yes \
      --pidfile "$cluster_dir/$port/redis.pid" >/dev/null
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    nodes+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
  for _ in $(seq 100); do
    redis-cli -p "${nodes[0]##*:}" cluster info | grep -q cluster_state:ok && break; sleep 0.1
  done
  redis_url="redis-cluster://${nodes[0]}?$(printf 'node=%s&' "${nodes[@]:1}" | sed 's/&$//')"
}

stop_cluster() {
  [ -n "$cluster_dir" ] || return 0
  local pidfile
  for pidfile in "$cluster_dir"/*/redis.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 0.2
  rm -rf "$cluster_dir"
  cluster_dir=""
  redis_url="redis://127.0.0.1:$redis_port"
}

# Starts a release instance on 127.0.0.1:$1 (log in $2) with any further VAR=value
# settings; sets started_pid once its /healthz answers.
start_instance() {
  local listen_port=$1 log=$2
  shift 2
  # Another server already on the port would answer the readiness check below for ours.
  if curl -s -o /dev/null "127.0.0.1:$listen_port/"; then
    echo "port $listen_port is taken (set BENCH_PORT)" >&2; exit 1
  fi
  # The load generator's hundreds of connections all come from 127.0.0.1, so the
  # per-address connection cap (a slowloris defence) is off for the bench. The WebSocket
  # cap is raised to the subscribers asked for, so that the limit a large subs run meets
  # is the process's file descriptors, not the configured cap.
  env DATABASE_URL="$db_url" REDIS_URL="$redis_url" TALLY_JWT_SECRET="$secret" \
    TALLY_WS_MAX_CONNECTIONS=$(( subscribers > 16384 ? subscribers : 16384 )) \
    TALLY_LISTEN="127.0.0.1:$listen_port" TALLY_MAX_CONNECTIONS_PER_CLIENT=0 RUST_LOG=warn "$@" \
    ./target/release/tally >"$log" 2>&1 &
  started_pid=$!
  for _ in $(seq 100); do curl -sf "127.0.0.1:$listen_port/healthz" >/dev/null && return; sleep 0.1; done
  echo "the server did not start; see $log" >&2; exit 1
}

# A fresh database and one instance on it (further VAR=value settings are passed on).
start_server() {
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database" >/dev/null
  start_instance "$port" /tmp/tally-bench-server.log "$@"
  server_pid=$started_pid
}

# For scaleout, after start_server: a second instance on the same database and Redis,
# and HAProxy in front of both. HAProxy runs deploy/haproxy.cfg, the operators' file,
# less its third server line; returns once HAProxy has passed a request to each
# instance (its X-Tally-Instance header names the one that answered).
start_scaleout() {
  ./scripts/ensure-haproxy.sh
  start_instance "$second_port" /tmp/tally-bench-server2.log TALLY_TRUST_FORWARDED_FOR=true
  second_pid=$started_pid
  haproxy_dir=$(mktemp -d /tmp/tally-bench-haproxy.XXXXXX)
  sed '/^ *server tally3 /d' deploy/haproxy.cfg >"$haproxy_dir/haproxy.cfg"
  TALLY_LB_BIND="127.0.0.1:$lb_port" TALLY_1="127.0.0.1:$port" TALLY_2="127.0.0.1:$second_port" \
    "$(command -v haproxy || echo /usr/sbin/haproxy)" -f "$haproxy_dir/haproxy.cfg" -db \
    >/tmp/tally-bench-haproxy.log 2>&1 &
  haproxy_pid=$!
  local seen=""
  for _ in $(seq 100); do
    seen+=" $(curl -s -D - -o /dev/null "127.0.0.1:$lb_port/readyz" | tr -d '\r' \
      | awk -F': ' 'tolower($1) == "x-tally-instance" { print $2 }' || true)"
    case "$seen" in *tally1*tally2* | *tally2*tally1*) return ;; esac
    sleep 0.1
  done
  echo "HAProxy did not reach both instances; see /tmp/tally-bench-haproxy.log" >&2; exit 1
}

stop_scaleout() {
  local pid
  for pid in "$haproxy_pid" "$second_pid"; do
    [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  done
  haproxy_pid=""
  second_pid=""
  [ -n "$haproxy_dir" ] && rm -rf "$haproxy_dir"
  haproxy_dir=""
}

# The server under callgrind, counting nothing until the bench switches it on. The
# Redis budget and request timeout are raised: the server runs ~50x slower, and a
# budget running out would send calls down the fail-open paths instead of the measured
# ones.
start_server_under_callgrind() {
  command -v valgrind >/dev/null || { echo "the instructions mode needs valgrind (apt install valgrind)" >&2; exit 1; }
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database" >/dev/null
  callgrind_dir=$(mktemp -d /tmp/tally-callgrind.XXXX)
  DATABASE_URL="$db_url" REDIS_URL="redis://127.0.0.1:$redis_port" TALLY_JWT_SECRET="$secret" \
    TALLY_LISTEN="127.0.0.1:$port" TALLY_MAX_CONNECTIONS_PER_CLIENT=0 RUST_LOG=warn \
    TALLY_REDIS_REQUEST_BUDGET_MS=60000 TALLY_REQUEST_TIMEOUT_MS=120000 \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$callgrind_dir/callgrind.out.%p" \
    ./target/release/tally >/tmp/tally-bench-server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.2; done
  echo "the server did not start under callgrind; see /tmp/tally-bench-server.log" >&2; exit 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# A process's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
server_cpu_ticks() { cpu_ticks "$server_pid"; }

# The sum of a metric's samples, all label sets, at the /metrics of the instance on $1.
metric_sum() {
  curl -s "127.0.0.1:$1/metrics" | awk -v name="$2" '
    $1 == name || index($1, name "{") == 1 { sum += $NF } END { printf "%d\n", sum }'
}

# Runs tally-bench votes, then prints the server's CPU time per recorded vote: a figure
# that a shared, noisy machine moves far less than votes/s.
bench() {
  local before after out
  out=$(mktemp)
  before=$(server_cpu_ticks)
  DATABASE_URL="$db_url" TALLY_JWT_SECRET="$secret" ./target/release/tally-bench votes \
    --address "127.0.0.1:$port" --duration "$seconds" --concurrency "$concurrency" --users "$users" "$@" \
    | tee "$out"
  after=$(server_cpu_ticks)
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    /^mode=/ { for (i = 1; i <= NF; i++) if ($i ~ /^calls=/) { split($i, kv, "="); calls = kv[2] } }
    /^verify:/ { for (i = 1; i <= NF; i++) if ($i ~ /^answers=/) { split($i, kv, "="); recorded = kv[2] } }
    END {
      cpu = ticks / hz
      printf "server CPU: %.1f s; %.1f us per call", cpu, calls ? cpu * 1e6 / calls : 0
      if (recorded) printf "; %.1f us per recorded vote", cpu * 1e6 / recorded
      printf "\n"
    }' "$out"
  rm -f "$out"
}

# The scaleout run: hot votes through HAProxy with each instance's live tally watched
# straight at it; then the GraphQL calls each instance answered and the votes its writer
# committed (from its /metrics), and CPU per recorded vote of both instances together
# and of HAProxy (from /proc).
bench_scaleout() {
  local out calls_1 calls_2 written_1 written_2 cpu_1 cpu_2 cpu_lb
  echo "-- 2 instances (127.0.0.1:$port, 127.0.0.1:$second_port) behind HAProxy (127.0.0.1:$lb_port," \
    "leastconn), one PostgreSQL database, one Redis; the instances, HAProxy, PostgreSQL, Redis" \
    "and the load generator all share this machine's $(nproc) cores, so a second instance adds no CPU"
  out=$(mktemp)
  calls_1=$(metric_sum "$port" tally_graphql_operation_seconds_count)
  calls_2=$(metric_sum "$second_port" tally_graphql_operation_seconds_count)
  written_1=$(metric_sum "$port" tally_vote_batch_calls_total)
  written_2=$(metric_sum "$second_port" tally_vote_batch_calls_total)
  cpu_1=$(cpu_ticks "$server_pid")
  cpu_2=$(cpu_ticks "$second_pid")
  cpu_lb=$(cpu_ticks "$haproxy_pid")
  DATABASE_URL="$db_url" TALLY_JWT_SECRET="$secret" ./target/release/tally-bench votes \
    --address "127.0.0.1:$lb_port" --watch "127.0.0.1:$port" --watch "127.0.0.1:$second_port" \
    --duration "$seconds" --concurrency "$concurrency" --users "$users" --mode hot | tee "$out"
  awk -v hz="$(getconf CLK_TCK)" \
    -v a1="127.0.0.1:$port" -v n1=$(($(metric_sum "$port" tally_graphql_operation_seconds_count) - calls_1)) \
    -v w1=$(($(metric_sum "$port" tally_vote_batch_calls_total) - written_1)) \
    -v t1=$(($(cpu_ticks "$server_pid") - cpu_1)) \
    -v a2="127.0.0.1:$second_port" -v n2=$(($(metric_sum "$second_port" tally_graphql_operation_seconds_count) - calls_2)) \
    -v w2=$(($(metric_sum "$second_port" tally_vote_batch_calls_total) - written_2)) \
    -v t2=$(($(cpu_ticks "$second_pid") - cpu_2)) \
    -v tlb=$(($(cpu_ticks "$haproxy_pid") - cpu_lb)) '
    /^verify:/ { for (i = 1; i <= NF; i++) if ($i ~ /^answers=/) { split($i, kv, "="); recorded = kv[2] } }
    END {
      total = n1 + n2
      printf "instance %s answered %d GraphQL calls (%.1f%%), its writer committed %d votes, CPU %.1f s\n", a1, n1, total ? 100 * n1 / total : 0, w1, t1 / hz
      printf "instance %s answered %d GraphQL calls (%.1f%%), its writer committed %d votes, CPU %.1f s\n", a2, n2, total ? 100 * n2 / total : 0, w2, t2 / hz
      us = recorded ? 1e6 / hz / recorded : 0
      printf "CPU per recorded vote: %.1f us both instances together, %.1f us HAProxy (%.1f s), %.1f us in all\n", (t1 + t2) * us, tlb * us, tlb / hz, (t1 + t2 + tlb) * us
    }' "$out"
  rm -f "$out"
}

start_redis
for mode in $modes; do
  if [ "$mode" = subs ]; then
    echo "== subs ($subscribers subscribers, $sub_rate votes/s, ${seconds}s)"
  else
    echo "== $mode (concurrency $concurrency, ${seconds}s)"
  fi
  if [ "$mode" = instructions ]; then
    echo "== instructions (server under callgrind)"
    start_server_under_callgrind
    DATABASE_URL="$db_url" TALLY_JWT_SECRET="$secret" ./target/release/tally-bench instructions \
      --address "127.0.0.1:$port" --pid "$server_pid" --out-file "$callgrind_dir/callgrind.out.$server_pid"
    echo "profiles: callgrind_annotate --inclusive=yes $callgrind_dir/callgrind.out.$server_pid.1 (castVote), .2 (poll read)"
    stop_server
    continue
  fi
  if [ "$mode" = cluster ]; then start_cluster; fi
  if [ "$mode" = scaleout ]; then
    start_server TALLY_TRUST_FORWARDED_FOR=true
    start_scaleout
  else
    start_server
  fi
  case "$mode" in
    redis-down)
      (
        sleep $((seconds / 3 + 5))
        echo "-- killing Redis"; kill "$redis_pid"
        sleep $((seconds / 3))
        echo "-- restarting Redis"
        redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
      ) &
      chaos=$!
      bench --mode hot
      wait "$chaos"
      redis_pid=$(pgrep -f "redis-server 127.0.0.1:$redis_port" | head -1 || true)
      curl -s "127.0.0.1:$port/metrics" | grep -E '^tally_(redis_errors|reconcile_repairs)_total'
      ;;
    redis-stall)
      # The bench freezes Redis half way and reports the calls after it apart.
      bench --mode hot --freeze-pid "$redis_pid" --freeze-after $((seconds / 2))
      curl -s "127.0.0.1:$port/metrics" | grep -E '^tally_redis_(errors|skipped|breaker_trips)_total'
      kill -CONT "$redis_pid"
      ;;
    subs)
      subs_status=0
      DATABASE_URL="$db_url" TALLY_JWT_SECRET="$secret" ./target/release/tally-bench subs \
        --address "127.0.0.1:$port" --duration "$seconds" --subscribers "$subscribers" \
        --rate "$sub_rate" --vote-concurrency 128 --server-pid "$server_pid" || subs_status=$?
      # The server's own word when it ran out of file descriptors.
      grep -a -m3 'accepting connections failed' /tmp/tally-bench-server.log || true
      [ "$subs_status" = 0 ] || exit "$subs_status"
      ;;
    ranked) bench --mode hot --kind ranked ;;
    scaleout)
      bench_scaleout
      for p in "$port" "$second_port"; do
        curl -s "127.0.0.1:$p/metrics" | grep -E '^tally_vote_(batches_total|batch_size_max|fast_path_total)' | sed "s/^/127.0.0.1:$p /"
      done
      ;;
    burst)
      DATABASE_URL="$db_url" TALLY_JWT_SECRET="$secret" ./target/release/tally-bench burst \
        --address "127.0.0.1:$port" --voters "$burst_voters" --window 3 --connections 512
      ;;
    reads)
      out=$(mktemp)
      before=$(server_cpu_ticks)
      DATABASE_URL="$db_url" TALLY_JWT_SECRET="$secret" ./target/release/tally-bench reads \
        --address "127.0.0.1:$port" --duration "$seconds" --concurrency "$read_concurrency" | tee "$out"
      after=$(server_cpu_ticks)
      awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
        /^mode=reads/ { for (i = 1; i <= NF; i++) if ($i ~ /^calls=/) { split($i, kv, "="); calls = kv[2] } }
        END { cpu = ticks / hz; printf "server CPU: %.1f s; %.1f us per read\n", cpu, calls ? cpu * 1e6 / calls : 0 }' "$out"
      rm -f "$out"
      ;;
    cluster)
      echo "-- on $redis_url"
      bench --mode hot
      curl -s "127.0.0.1:$port/metrics" | grep -E '^tally_redis_errors_total'
      ;;
    *) bench --mode "$mode" ;;
  esac
  if [ "$mode" != scaleout ]; then
    curl -s "127.0.0.1:$port/metrics" | grep -E '^tally_vote_(batches_total|batch_size_max|fast_path_total)'
  fi
  stop_server
  stop_scaleout
  if [ "$mode" = cluster ]; then stop_cluster; fi
done
