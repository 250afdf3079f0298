#!/usr/bin/env bash
# Instructions per GraphQL request (valgrind's callgrind: a count, not a time, so it is the
# same on a busy machine) for one operation sent three ways: by persisted hash, as the same
# text again, and as a new text each time. Release build, embedded SQLite, no Redis.
# Usage: scripts/bench-documents.sh [requests per mode, default 200]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200}"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --release -q -p tally
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
port=18099
for mode in hash text new; do
  mkdir -p "$work/data-$mode"
  TALLY_DATA_DIR="$work/data-$mode" TALLY_LISTEN="127.0.0.1:$port" TALLY_RATE_LIMITS=false \
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.$mode" \
    target/release/tally serve > "$work/server-$mode.log" 2>&1 &
  pid=$!
  for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 1; done
  python3 bench/documents/drive.py "$port" "$mode" "$n" "$pid" > /dev/null
  kill -INT "$pid"; sleep 5; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  # The dump made after the requests (`callgrind_control -d`) holds exactly them.
  total=$(grep -E '^(summary|totals):' "$work/callgrind.$mode.1" | head -1 | awk '{print $2}')
  echo "$mode: $total Ir over $n requests = $((total / n)) Ir/request"
done
