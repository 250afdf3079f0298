//! One budget for all the Redis calls of one request.
//!
//! A request may make several Redis calls one after another (a rate-limit take and a
//! mark read, then a tally read). Each has its own timeout, but against a stalled Redis
//! a request should lose that time once, not once per call: the request sets a
//! deadline for the task that runs it, and every Redis call made from that task waits
//! at most until then. Calls from other tasks (the vote writer, background passes) have
//! no budget beyond their command timeout; the breaker ([`super::breaker`]) bounds
//! those.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with `budget` for all of its Redis calls (on this task).
pub async fn within<F: Future>(budget: Duration, work: F) -> F::Output {
    DEADLINE.scope(Instant::now() + budget, work).await
}

/// What is left of the current task's budget; `None` when it has none.
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .try_with(|deadline| deadline.saturating_duration_since(Instant::now()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_budget_shrinks_as_the_request_goes_on_and_only_inside_it() {
        assert_eq!(remaining(), None);
        within(Duration::from_millis(250), async {
            assert_eq!(remaining(), Some(Duration::from_millis(250)));
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(remaining(), Some(Duration::from_millis(150)));
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert_eq!(remaining(), Some(Duration::ZERO));
        })
        .await;
    }
}
