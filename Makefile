# Tally's everyday commands. Each target is a thin wrapper over a script in scripts/,
# so the README, CI and people all run the same thing.

.PHONY: run test schema lint bench bench-export

## Run Tally on this machine: embedded SQLite, no Redis needed, at http://127.0.0.1:8080
run:
	./scripts/run.sh

## Run every test: Rust (SQLite, PostgreSQL, Redis), the web app's build and unit tests,
## and the end-to-end browser test.
test:
	./scripts/test.sh

## Regenerate schema.graphql from the code.
schema:
	cargo run -q -p tally -- schema > schema.graphql

## Formatting and lints, as CI checks them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

## The vote benchmark (release build, fresh PostgreSQL database, its own Redis).
bench:
	./scripts/bench.sh

## The export benchmark: 100,000 and 1,000,000 ballots as CSV and JSON, the server's
## peak memory before and after each download.
bench-export:
	./scripts/bench-export.sh
