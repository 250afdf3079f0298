//! Tally's integration suite: one binary, each test a real server on port 0 with its
//! own database, talked to over HTTP. Tests marked by `both_backends!` run twice, on
//! SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod helpers;

mod accounts;
mod concurrency;
mod docs;
mod http_surface;
mod migrations;
mod polls;
mod query_count;
mod results;
mod tokens;
mod votes;
