//! How often a poll's feed may send: at most `updates_per_second`, and slower when this
//! instance writes to so many subscribers that the messages would outrun it.
//!
//! Every tally message costs a WebSocket write per subscriber, so an instance with
//! `watchers` subscriptions sending `r` tallies a second writes `watchers × r` messages
//! a second. Past what the machine can write, messages queue in socket buffers and
//! every subscriber falls behind by seconds. The fan-out budget caps that product: with
//! more watchers than `budget / updates_per_second`, each feed waits
//! `watchers / budget` seconds between messages instead. A watcher then receives fewer
//! tallies, each one fresh, rather than every tally, late. Final tallies never wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::latency::Histogram;

/// The pacing of this instance's feeds, shared by the hub (which waits) and the
/// WebSocket layer (which counts watchers).
#[derive(Debug, Clone)]
pub struct Pacing {
    least_gap: Duration,
    budget_per_second: u32,
    watchers: Arc<AtomicUsize>,
    /// The age of each tally (now − its `asOf`) when a feed hands it to its subscribers:
    /// commit, bus and pacing together — the tally lag an operator watches.
    lag: Arc<Histogram>,
}

/// One subscription being written to; counted until dropped.
#[derive(Debug)]
pub struct Watcher(Arc<AtomicUsize>);

impl Drop for Watcher {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Pacing {
    /// At most `updates_per_second` messages per feed, and at most `budget_per_second`
    /// messages across all watchers.
    pub fn new(updates_per_second: u32, budget_per_second: u32) -> Self {
        Pacing {
            least_gap: Duration::from_secs(1) / updates_per_second.max(1),
            budget_per_second: budget_per_second.max(1),
            watchers: Arc::default(),
            lag: Arc::default(),
        }
    }

    /// The tally lag histogram.
    pub fn lag(&self) -> &Histogram {
        &self.lag
    }

    /// Counts a subscription until the returned guard is dropped.
    pub fn watch(&self) -> Watcher {
        self.watchers.fetch_add(1, Ordering::Relaxed);
        Watcher(self.watchers.clone())
    }

    /// Subscriptions being written to now.
    pub fn watchers(&self) -> usize {
        self.watchers.load(Ordering::Relaxed)
    }

    /// The wait between two messages of a feed, now.
    pub fn gap(&self) -> Duration {
        let budgeted =
            Duration::from_secs_f64(self.watchers() as f64 / f64::from(self.budget_per_second));
        budgeted.max(self.least_gap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_slow_down_only_past_the_budget() {
        let pacing = Pacing::new(4, 20_000);
        assert_eq!(pacing.gap(), Duration::from_millis(250));
        let few: Vec<_> = (0..5_000).map(|_| pacing.watch()).collect();
        assert_eq!(pacing.gap(), Duration::from_millis(250));
        let more: Vec<_> = (0..5_000).map(|_| pacing.watch()).collect();
        assert_eq!(pacing.gap(), Duration::from_millis(500));
        drop(more);
        drop(few);
        assert_eq!(pacing.watchers(), 0);
        assert_eq!(pacing.gap(), Duration::from_millis(250));
    }
}
