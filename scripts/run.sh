#!/usr/bin/env bash
# Runs Tally with the embedded defaults: SQLite under ./data, no Redis, on 127.0.0.1:8080,
# serving the web app (built first) at http://127.0.0.1:8080/.
# Any TALLY_* / DATABASE_URL / REDIS_URL variable in the environment still applies.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/frontend.sh
exec cargo run --release -p tally -- serve "$@"
