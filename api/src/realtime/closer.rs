//! The closer: polls whose `closesAt` has passed are marked closed and their final tally
//! announced to subscribers. Statuses never depend on it (they are judged from the
//! clock at every request); it exists so that subscribers hear of the close.
//! With several instances, each closes a poll at most once between them: the update
//! that marks it closed returns it to one of them only.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::live::LiveState;
use crate::store::Store;

/// Polls closed per pass.
const BATCH: u64 = 100;

/// Runs a pass every `every` until `stop`.
pub fn spawn_closer(
    store: Store,
    live: LiveState,
    clock: Arc<dyn Clock>,
    every: Duration,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.max(Duration::from_millis(10)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticks.tick() => {}
            }
            match store.close_due_polls(clock.now(), BATCH).await {
                Ok(closed) => {
                    for poll in closed {
                        tracing::info!(%poll, "poll reached closesAt; announcing its final tally");
                        if let Err(e) = live.poll_closed(poll).await {
                            tracing::warn!(%poll, error = ?e, "could not announce a closed poll");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = ?e, "could not look for polls to close"),
            }
        }
    })
}
