#!/usr/bin/env bash
# Where one PostgreSQL primary saturates on ballot-shaped writes (docs/scaling.md).
#
# Creates a scratch database (PG_CEILING_DB, default tally_pg_ceiling) with the ballot
# tables' shape and indexes (votes with UNIQUE (poll_id, user_id) and
# UNIQUE (user_id, idempotency_key), vote_choices, vote_events, poll_options, polls),
# then runs pgbench for PG_CEILING_SECONDS (default 30, at most 60) with
# PG_CEILING_CLIENTS connections (default 8), each transaction shaped like one vote
# batch of PG_CEILING_BATCH ballots (default 100) on one of PG_CEILING_POLLS polls
# (default 100): the key check, the ballot insert ON CONFLICT DO NOTHING, choices and
# audit events in one statement, the poll row locked, one counter update per option
# and per poll. Prints pgbench's summary and ballots/s, then drops the database.
#
# Needs psql and pgbench (Debian: postgresql-client) and PG_URL (default
# postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
base="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="${PG_CEILING_DB:-tally_pg_ceiling}"
seconds="${PG_CEILING_SECONDS:-30}"
clients="${PG_CEILING_CLIENTS:-8}"
batch="${PG_CEILING_BATCH:-100}"
polls="${PG_CEILING_POLLS:-100}"
if [ "$seconds" -gt 60 ]; then echo "PG_CEILING_SECONDS is at most 60" >&2; exit 1; fi
for tool in psql pgbench; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install postgresql-client)" >&2; exit 1; }
done
url="${base%/*}/$db"
psql -q "$base" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -q "$base" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT

psql -q "$url" <<SQL
CREATE TABLE polls (id uuid PRIMARY KEY, total_votes bigint NOT NULL DEFAULT 0, results_version bigint NOT NULL DEFAULT 0);
CREATE TABLE poll_options (id uuid PRIMARY KEY, poll_id uuid NOT NULL, position int NOT NULL, vote_count bigint NOT NULL DEFAULT 0, UNIQUE (poll_id, position));
CREATE TABLE votes (id uuid PRIMARY KEY, poll_id uuid NOT NULL, user_id uuid NOT NULL, idempotency_key text NOT NULL, request_hash text NOT NULL, cast_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE UNIQUE INDEX uq_votes_poll_user ON votes (poll_id, user_id);
CREATE UNIQUE INDEX uq_votes_user_key ON votes (user_id, idempotency_key);
CREATE TABLE vote_choices (vote_id uuid NOT NULL, option_id uuid NOT NULL, poll_id uuid NOT NULL, value int, PRIMARY KEY (vote_id, option_id));
CREATE INDEX idx_vote_choices_poll_option ON vote_choices (poll_id, option_id);
CREATE TABLE vote_events (id uuid PRIMARY KEY, poll_id uuid NOT NULL, vote_id uuid NOT NULL, user_id uuid NOT NULL, action text NOT NULL, old_choices text NOT NULL, new_choices text NOT NULL, idempotency_key text NOT NULL, request_hash text NOT NULL, at timestamptz NOT NULL, request_id text);
CREATE UNIQUE INDEX uq_vote_events_user_key ON vote_events (user_id, idempotency_key);
CREATE INDEX idx_vote_events_poll_at ON vote_events (poll_id, at);
INSERT INTO polls (id) SELECT ('00000000-0000-0000-0000-' || lpad(p::text, 12, '0'))::uuid FROM generate_series(1, $polls) p;
INSERT INTO poll_options (id, poll_id, position)
  SELECT ('00000000-0000-0000-' || lpad(o::text, 4, '0') || '-' || lpad(p::text, 12, '0'))::uuid,
         ('00000000-0000-0000-0000-' || lpad(p::text, 12, '0'))::uuid, o
  FROM generate_series(1, $polls) p, generate_series(1, 3) o;
SQL

script="$(mktemp)"
cat > "$script" <<SQL
\set poll random(1, $polls)
\set option random(1, 3)
BEGIN;
SELECT id FROM polls WHERE id = ('00000000-0000-0000-0000-' || lpad(:poll::text, 12, '0'))::uuid;
WITH input AS (
    SELECT gen_random_uuid() AS vote_id,
           ('00000000-0000-0000-0000-' || lpad(:poll::text, 12, '0'))::uuid AS poll_id,
           gen_random_uuid() AS user_id, md5(random()::text) AS key, md5(random()::text) AS hash,
           gen_random_uuid() AS event_id
    FROM generate_series(1, $batch)
), fresh AS (
    SELECT i.* FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM vote_events e WHERE e.user_id = i.user_id AND e.idempotency_key = i.key)
), ins AS (
    INSERT INTO votes (id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at)
    SELECT vote_id, poll_id, user_id, key, hash, now(), now() FROM fresh ORDER BY user_id, poll_id
    ON CONFLICT DO NOTHING RETURNING id, poll_id
), ins_choices AS (
    INSERT INTO vote_choices (vote_id, option_id, poll_id)
    SELECT ins.id, ('00000000-0000-0000-' || lpad(:option::text, 4, '0') || '-' || lpad(:poll::text, 12, '0'))::uuid, ins.poll_id FROM ins
), ins_events AS (
    INSERT INTO vote_events (id, poll_id, vote_id, user_id, action, old_choices, new_choices, idempotency_key, request_hash, at)
    SELECT f.event_id, f.poll_id, f.vote_id, f.user_id, 'cast', '', 'x', f.key, f.hash, now() FROM fresh f JOIN ins ON ins.id = f.vote_id
)
SELECT count(*) FROM ins;
SELECT id FROM polls WHERE id = ('00000000-0000-0000-0000-' || lpad(:poll::text, 12, '0'))::uuid FOR UPDATE;
UPDATE poll_options SET vote_count = vote_count + $batch WHERE id = ('00000000-0000-0000-' || lpad(:option::text, 4, '0') || '-' || lpad(:poll::text, 12, '0'))::uuid;
UPDATE polls SET total_votes = total_votes + $batch, results_version = results_version + 1 WHERE id = ('00000000-0000-0000-0000-' || lpad(:poll::text, 12, '0'))::uuid;
END;
SQL
echo "== pgbench: $clients clients, $seconds s, $batch ballots per transaction, $polls polls ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
out="$(pgbench -n -c "$clients" -j 2 -T "$seconds" -f "$script" "$url")"
rm -f "$script"
echo "$out" | grep -E "transactions actually processed|latency average|latency stddev|tps ="
tps="$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')"
echo "ballots/s = $(awk -v t="$tps" -v b="$batch" 'BEGIN { printf "%.0f", t * b }')"
echo "ballots in the table: $(psql -Atq "$url" -c 'SELECT count(*) FROM votes')"
