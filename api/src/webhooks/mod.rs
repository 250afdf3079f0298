//! Signed webhooks: events about a user's polls, POSTed to the endpoints they register.
//!
//! | module | owns |
//! |---|---|
//! | [`signing`] | the `Tally-Signature` header and endpoint secrets |
//! | [`target`] | which URLs and addresses may be called (SSRF) |
//! | [`sender`] | one HTTP attempt |
//! | [`schedule`] | backoff between attempts, and giving up |
//! | [`worker`] | the loop that claims due deliveries and records outcomes |
//!
//! Events are written by the store in the transaction that closes a poll (the outbox,
//! `webhook_events`), with one `webhook_deliveries` row per endpoint; this module only
//! sends what is there, so a restart loses nothing.

pub mod schedule;
pub mod sender;
pub mod signing;
pub mod target;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::{Environment, WebhookConfig};
use crate::metrics::AppCounters;
use crate::store::Store;

/// The target policy configuration asks for.
pub fn policy(config: &WebhookConfig, environment: Environment) -> target::TargetPolicy {
    target::TargetPolicy {
        allow_private: config.allows_private(environment),
        max_url_bytes: config.max_url_bytes,
    }
}

/// Starts the sender loop.
pub fn spawn_sender(
    config: &WebhookConfig,
    environment: Environment,
    store: Store,
    clock: Arc<dyn Clock>,
    counters: Arc<AppCounters>,
    stop: CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let sender = sender::Sender::new(
        policy(config, environment),
        Duration::from_millis(config.timeout_ms),
    )?;
    let worker = worker::Worker {
        store,
        sender,
        clock,
        counters,
        config: worker::WorkerConfig {
            every: Duration::from_millis(config.poll_interval_ms),
            lease: config.lease(),
            backoff: schedule::Backoff {
                base: Duration::from_millis(config.retry_base_ms),
                max: Duration::from_millis(config.retry_max_ms),
                max_attempts: config.max_attempts.max(1),
            },
        },
    };
    Ok(worker.spawn(stop))
}
