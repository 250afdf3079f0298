//! Tally's integration suite: one binary, each test a real server on port 0 with its
//! own database, talked to over HTTP. Tests marked by `both_backends!` run twice, on
//! SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod ballot_audit;
mod helpers;
mod process_support;
mod redis_cluster_support;
mod redis_support;
mod tcp_proxy;
mod webhook_receiver;
mod ws_support;

mod accounts;
mod activity;
mod anonymous;
mod audiences;
mod concurrency;
mod cors;
mod degradation;
mod deploy_files;
mod docs;
mod exports;
mod exposure;
mod fuzz;
mod graphql_over_http;
mod guest_claims;
mod guests;
mod hostile_documents;
mod http_surface;
mod identity;
mod input_edges;
mod invitations;
mod join_codes;
mod latency_metrics;
mod limits_visible;
mod listing;
mod live;
mod load_balancer;
mod migrations;
mod persisted;
mod polls;
mod production_shape;
mod query_count;
mod ranked_elections;
mod rate_limits;
mod read_cache;
mod redis_cluster;
mod results;
mod share_pages;
mod shutdown;
mod slow_clients;
mod subscription_visibility;
mod subscriptions;
mod tally_groups;
mod tokens;
mod traces;
mod voter_marks;
mod votes;
mod voting_methods;
mod web_app;
mod webhooks;
mod writer;
mod ws_limits;
