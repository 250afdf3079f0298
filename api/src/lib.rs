//! Tally: polls, exactly-once votes and live tallies, served as a GraphQL API.
//!
//! A map of the crate, outside in:
//!
//! | module | owns |
//! |---|---|
//! | [`cli`], [`config`] | the command line and the one typed configuration struct |
//! | [`startup`] | wiring ports into services and serving until stopped |
//! | [`shutdown`] | stopping in bounded time: the steps after SIGTERM and their deadlines |
//! | [`http`] | connections and their limits, routes, request limits, request ids, health probes, security headers |
//! | [`graphql`] | the schema: thin resolvers over the services |
//! | [`service`] | use-cases and their rules (no SQL, no GraphQL types) |
//! | [`domain`] | input types parsed once at the edge |
//! | [`auth`] | password hashes, sign-in tokens, the request's viewer |
//! | [`store`] | every SQL query, on PostgreSQL or SQLite; the vote writer |
//! | [`limits`] | rate limits (Redis GCRA, or in process) |
//! | [`live`] | live tallies and voter marks beside the database, and their reconciliation |
//! | [`realtime`] | the tally bus: in-process fan-out, Redis pub/sub, the poll closer |
//! | [`redis`] | the optional Redis connection and its key names |
//! | [`webhooks`] | signed webhook deliveries: signing, target checks, retries, the sender loop |
//! | [`metrics`] | the counters served at `/metrics` |
//! | [`latency`] | latency histograms (vote batch stages, GraphQL operations) |
//! | [`clock`] | the time port |
//! | [`error`], [`error_code`] | the error policy, and the one catalogue of its stable codes |
//! | [`telemetry`] | structured logs, OpenTelemetry traces |

pub mod auth;
pub mod cli;
pub mod clock;
pub mod coalesce;
pub mod config;
pub mod domain;
pub mod error;
pub mod error_code;
pub mod graphql;
pub mod http;
pub mod latency;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod realtime;
pub mod redis;
pub mod service;
pub mod shutdown;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod webhooks;
