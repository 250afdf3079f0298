//! Reconciliation: on an interval, the live tallies of the polls that changed in the last
//! [`ACTIVE_FOR`] (or whose live write failed) are compared with the database — version,
//! total, option counters and groups — and any that differ are repaired. A repair is logged and counted
//! (`tally_reconcile_repairs_total`). When the live store comes back after an outage, a
//! pass runs at once.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::LiveState;

/// Polls compared per database query.
const CHUNK: usize = 200;
/// How long after its last change a poll is still checked.
pub const ACTIVE_FOR: Duration = Duration::from_secs(10 * 60);

impl LiveState {
    /// One pass; returns how many tallies it repaired.
    pub async fn reconcile_once(&self) -> usize {
        let polls: Vec<_> = {
            let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
            touched.retain(|_, at| at.elapsed() < ACTIVE_FOR);
            touched.keys().copied().collect()
        };
        self.counters.reconcile_runs.fetch_add(1, Ordering::Relaxed);
        let mut repaired = 0;
        for chunk in polls.chunks(CHUNK) {
            // Live first, then the database: a commit in between makes the database
            // newer, never older, than what was read live.
            let Ok(kept) = self.live.tallies(chunk).await else {
                continue;
            };
            let truth = match self.store.tallies(chunk, self.clock.now()).await {
                Ok(truth) => truth,
                Err(e) => {
                    tracing::warn!(error = ?e, "reconciliation could not read tallies");
                    continue;
                }
            };
            for (poll, kept) in chunk.iter().zip(kept) {
                let Some(right) = truth.iter().find(|t| t.poll_id == *poll) else {
                    continue;
                };
                let wrong = match &kept {
                    // Absent: rebuilt from the database on the next read.
                    None => false,
                    Some(kept) => {
                        kept.version != right.version
                            || kept.total_votes != right.total_votes
                            || kept.counts != right.counts
                            || kept.groups != right.groups
                    }
                };
                if !wrong || !matches!(self.live.repair_tally(right, kept.as_ref()).await, Ok(true))
                {
                    continue;
                }
                repaired += 1;
                self.counters
                    .reconcile_repairs
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    poll = %poll,
                    kept_version = kept.as_ref().map(|k| k.version),
                    kept_total = kept.as_ref().map(|k| k.total_votes),
                    version = right.version,
                    total = right.total_votes,
                    "live tally differed from the database; repaired"
                );
            }
        }
        repaired
    }
}

/// Runs a pass every `every`, and at once whenever `reconnected` fires, until `stop`.
pub fn spawn_reconciler(
    state: LiveState,
    every: Duration,
    mut reconnected: Option<tokio::sync::broadcast::Receiver<fred::types::config::Server>>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.max(Duration::from_millis(10)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let back = async {
                match reconnected.as_mut() {
                    Some(rx) => rx.recv().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticks.tick() => {}
                true = back => tracing::info!("Redis is back; reconciling live tallies"),
            }
            state.reconcile_once().await;
        }
    })
}
