#!/usr/bin/env bash
# Runs every test:
#   1. Rust: unit tests and the integration suite (SQLite, PostgreSQL, Redis);
#   2. the web app: its build (which type-checks it against schema.graphql) and Vitest;
#   3. end to end: Chromium driving the web app served by a real server.
# Needs PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
# and Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379); it fails, never skips,
# without them. Installs Debian's haproxy (for the load-balancer test) and, for step 3,
# chromium when they are missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -d "$pg_url"; then
  echo "PostgreSQL is not reachable at $pg_url." >&2
  echo "Start it (pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start) or set TEST_DATABASE_URL." >&2
  exit 1
fi
redis_url="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
if command -v redis-cli >/dev/null 2>&1 && ! redis-cli -u "$redis_url" ping >/dev/null 2>&1; then
  echo "Redis is not reachable at $redis_url." >&2
  echo "Start it (redis-server --daemonize yes --port 6379 --save \"\" --appendonly no) or set TEST_REDIS_URL." >&2
  exit 1
fi

# The load-balancer test runs deploy/haproxy.cfg in front of three instances.
./scripts/ensure-haproxy.sh

echo "== Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

echo "== web app: build and unit tests"
./scripts/frontend.sh
(cd frontend && npm test)

echo "== end to end"
cargo build -p tally
(cd frontend && TALLY_BIN="$PWD/../target/debug/tally" npm run e2e)
