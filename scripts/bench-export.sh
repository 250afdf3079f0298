#!/usr/bin/env bash
# The export benchmark: builds Tally in release mode, starts it on a fresh PostgreSQL
# database (no Redis), and for each size seeds one poll with that many ballots straight
# in PostgreSQL (generate_series: a user, a ballot and one or two choices each), then
# downloads /exports/polls/{id}/ballots.csv and ballots.json as the poll's owner. For
# each download it prints the bytes, the seconds, the ballot count it read back, and the
# server's peak resident memory (VmHWM in /proc/<pid>/status) before and after: an
# export streams in pages of TALLY_EXPORT_CHUNK ballots, so the peak must not grow with
# the poll's size.
#
# Settings (environment): BENCH_EXPORT_SIZES ("100000 1000000"), BENCH_PG
# (postgres://postgres@127.0.0.1:5432), BENCH_PORT (18091), TALLY_EXPORT_CHUNK (server
# default).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="${BENCH_EXPORT_SIZES:-100000 1000000}"
pg="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
port="${BENCH_PORT:-18091}"
database="tally_bench_export"
secret="bench-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log=/tmp/tally-bench-export-server.log

cargo build --release -q -p tally

server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database" >/dev/null
DATABASE_URL="$pg/$database" TALLY_JWT_SECRET="$secret" TALLY_LISTEN="127.0.0.1:$port" \
  TALLY_RATE_LIMITS=false RUST_LOG=warn ./target/release/tally >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "127.0.0.1:$port/healthz" >/dev/null || { echo "the server did not start; see $log" >&2; exit 1; }

graphql() { # query, variables (JSON), token (optional)
  curl -sf "127.0.0.1:$port/graphql" -H 'content-type: application/json' \
    ${3:+-H "authorization: Bearer $3"} \
    -d "$(jq -cn --arg q "$1" --argjson v "$2" '{query: $q, variables: $v}')"
}

token=$(graphql 'mutation($i: RegisterInput!) { register(input: $i) { token } }' \
  '{"i": {"username": "exporter", "password": "correct horse battery"}}' | jq -r '.data.register.token')
peak_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$server_pid/status"; }

for n in $sizes; do
  poll=$(graphql 'mutation($i: CreatePollInput!) { createPoll(input: $i) { id options { id } } }' \
    '{"i": {"title": "Export bench", "kind": "MULTIPLE", "maxChoices": 2, "options": ["Rust", "Go, or not", "Zig \"0.x\"", "=C"]}}' "$token")
  id=$(jq -r '.data.createPoll.id' <<<"$poll")
  options=$(jq -r '[.data.createPoll.options[].id] | map("'"'"'" + . + "'"'"'::uuid") | join(",")' <<<"$poll")
  started=$(date +%s.%N)
  psql "$pg/$database" -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TEMP TABLE seed AS
  SELECT i, gen_random_uuid() AS user_id, gen_random_uuid() AS vote_id,
         now() - (i || ' milliseconds')::interval AS at
  FROM generate_series(1, $n) AS i;
INSERT INTO users (id, username, username_key, password_hash, created_at)
  SELECT user_id, 'b$n-' || i, 'b$n-' || i, '!', at FROM seed;
INSERT INTO votes (id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at)
  SELECT vote_id, '$id'::uuid, user_id, 'bench', 'bench', at, at FROM seed;
INSERT INTO vote_choices (vote_id, option_id, poll_id)
  SELECT vote_id, (ARRAY[$options])[1 + i % 4], '$id'::uuid FROM seed
  UNION ALL
  SELECT vote_id, (ARRAY[$options])[1 + (i + 1) % 4], '$id'::uuid FROM seed WHERE i % 3 = 0;
UPDATE poll_options o SET vote_count = (SELECT count(*) FROM vote_choices c WHERE c.option_id = o.id)
  WHERE o.poll_id = '$id'::uuid;
UPDATE polls SET total_votes = $n WHERE id = '$id'::uuid;
ANALYZE users; ANALYZE votes; ANALYZE vote_choices;
SQL
  printf 'seeded %d ballots in %.1f s\n' "$n" "$(echo "$(date +%s.%N) - $started" | bc)"
  for file in ballots.csv ballots.json; do
    out=$(mktemp)
    before=$(peak_kb)
    read -r bytes seconds status < <(curl -s -o "$out" -w '%{size_download} %{time_total} %{http_code}\n' \
      -H "authorization: Bearer $token" "127.0.0.1:$port/exports/polls/$id/$file")
    after=$(peak_kb)
    case $file in
      *.csv) rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))) - 1)' "$out") ;;
      *.json) rows=$(jq length "$out") ;;
    esac
    rm -f "$out"
    [ "$status" = 200 ] && [ "$rows" = "$n" ] || { echo "$file: HTTP $status, $rows rows for $n ballots" >&2; exit 1; }
    printf '%-12s %8d ballots  %11d bytes  %6.2f s  %5.1f MB/s  server peak RSS %d kB before, %d kB after\n' \
      "$file" "$n" "$bytes" "$seconds" "$(echo "$bytes / $seconds / 1000000" | bc -l)" "$before" "$after"
  done
done
