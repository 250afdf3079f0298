//! The sender loop: every interval it claims the due deliveries (under a lease, so two
//! instances never send the same attempt at once), sends them a few at a time and
//! records each outcome — delivered, retry later, or given up.
//!
//! An instance that dies mid-attempt leaves its lease behind; when the lease runs out
//! another pass (on any instance, or this one restarted) sends the delivery again under
//! the same delivery id. That is the "at least once": receivers deduplicate on
//! `Tally-Delivery`. Shutdown stops the loop between or during attempts alike.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::schedule::Backoff;
use super::sender::{Sender, Sent};
use crate::clock::Clock;
use crate::metrics::AppCounters;
use crate::store::{AttemptOutcome, ClaimedDelivery, Store};

/// Deliveries claimed per pass.
const BATCH: u64 = 32;
/// Attempts in flight at once per instance (one slow endpoint holds one of them).
const CONCURRENCY: usize = 8;

/// How the loop runs.
#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// Time between passes.
    pub every: Duration,
    /// How long a claim holds a delivery.
    pub lease: Duration,
    /// The retry schedule.
    pub backoff: Backoff,
}

/// What the loop works with.
#[derive(Clone)]
pub struct Worker {
    /// The outbox.
    pub store: Store,
    /// The HTTP side.
    pub sender: Sender,
    /// Now.
    pub clock: Arc<dyn Clock>,
    /// Where attempts are counted.
    pub counters: Arc<AppCounters>,
    /// Timing.
    pub config: WorkerConfig,
}

impl Worker {
    /// Runs passes until `stop`.
    pub fn spawn(self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(self.config.every.max(Duration::from_millis(10)));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = ticks.tick() => {}
                }
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = self.pass() => {}
                }
            }
        })
    }

    /// One pass: claim what is due, send it, record the outcomes.
    async fn pass(&self) {
        let now = self.clock.now();
        let lease_until = now + chrono::Duration::from_std(self.config.lease).unwrap_or_default();
        let claimed = match self
            .store
            .claim_due_deliveries(now, lease_until, BATCH)
            .await
        {
            Ok((claimed, waiting)) => {
                self.counters.webhook_due.store(waiting, Ordering::Relaxed);
                claimed
            }
            Err(e) => {
                tracing::warn!(error = ?e, "could not claim webhook deliveries");
                return;
            }
        };
        futures::stream::iter(claimed)
            .for_each_concurrent(CONCURRENCY, |delivery| self.attempt(delivery))
            .await;
    }

    async fn attempt(&self, delivery: ClaimedDelivery) {
        self.counters
            .webhook_attempts
            .fetch_add(1, Ordering::Relaxed);
        let sent = self
            .sender
            .send(&delivery, self.clock.now().timestamp())
            .await;
        let outcome = match sent {
            Sent::Accepted(status) => {
                self.counters
                    .webhook_delivered
                    .fetch_add(1, Ordering::Relaxed);
                AttemptOutcome::Delivered { status }
            }
            Sent::Refused(_) | Sent::Unreachable(_) => {
                self.counters
                    .webhook_failures
                    .fetch_add(1, Ordering::Relaxed);
                let (status, error) = match sent {
                    Sent::Refused(status) => (Some(status), format!("answered HTTP {status}")),
                    Sent::Unreachable(why) => (None, why),
                    Sent::Accepted(_) => unreachable!("handled above"),
                };
                let wait = self
                    .config
                    .backoff
                    .after(delivery.attempt, &mut rand::rng());
                if wait.is_none() {
                    self.counters
                        .webhook_given_up
                        .fetch_add(1, Ordering::Relaxed);
                }
                let now = self.clock.now();
                AttemptOutcome::Failed {
                    status,
                    error,
                    retry_at: wait.map(|w| now + chrono::Duration::from_std(w).unwrap_or_default()),
                }
            }
        };
        tracing::info!(
            delivery = %delivery.id,
            event = %delivery.event,
            attempt = delivery.attempt,
            outcome = ?outcome,
            "webhook attempt"
        );
        if let Err(e) = self
            .store
            .record_attempt(&delivery, &outcome, self.clock.now())
            .await
        {
            tracing::warn!(delivery = %delivery.id, error = ?e, "could not record a webhook attempt");
        }
    }
}
