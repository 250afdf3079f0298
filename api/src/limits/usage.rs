//! What one request took from the rate-limit buckets, for its `RateLimit` headers.
//!
//! The limiter learns each bucket's state as it takes from it (the Redis script
//! returns it with its decision), so the HTTP layer reads it here instead of asking the
//! store again: the headers cost no round trip. A request sets a [`Usage`] for the task
//! that runs it ([`record`]); every take made from that task is noted in it. Takes made
//! elsewhere (the WebSocket, tests calling services directly) note nothing.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use super::Bucket;

tokio::task_local! {
    static USAGE: Usage;
}

/// One bucket's state after a request's last take from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// The bucket.
    pub bucket: Bucket,
    /// Calls left now.
    pub remaining: u32,
    /// Time until the bucket is full again.
    pub reset: Duration,
}

/// The buckets a request took from, in the order it first did.
#[derive(Debug, Default)]
struct Usage {
    // A std mutex: held to update a short list, never across an await. (The operations
    // of a batch run concurrently on the request's task.)
    seen: Mutex<Vec<Seen>>,
}

/// Runs `work`, noting the buckets it takes from (on this task): each with its state
/// after the last take.
pub async fn record<F: Future>(work: F) -> (F::Output, Vec<Seen>) {
    USAGE
        .scope(Usage::default(), async {
            let output = work.await;
            let seen = USAGE.with(|usage| {
                std::mem::take(&mut *usage.seen.lock().unwrap_or_else(|p| p.into_inner()))
            });
            (output, seen)
        })
        .await
}

/// Notes a take from `bucket` for the current request, if one is recording.
pub(super) fn note(bucket: Bucket, remaining: u32, reset: Duration) {
    let _ = USAGE.try_with(|usage| {
        let mut seen = usage.seen.lock().unwrap_or_else(|p| p.into_inner());
        let state = Seen {
            bucket,
            remaining,
            reset,
        };
        match seen.iter_mut().find(|s| s.bucket == bucket) {
            Some(earlier) => *earlier = state,
            None => seen.push(state),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn takes_are_noted_only_inside_a_recording_and_the_last_one_wins() {
        note(Bucket::Vote, 9, Duration::from_secs(1));
        let ((), seen) = record(async {
            note(Bucket::Vote, 4, Duration::from_secs(1));
            note(Bucket::Login, 7, Duration::from_secs(2));
            note(Bucket::Vote, 3, Duration::from_secs(2));
        })
        .await;
        assert_eq!(
            seen,
            vec![
                Seen {
                    bucket: Bucket::Vote,
                    remaining: 3,
                    reset: Duration::from_secs(2)
                },
                Seen {
                    bucket: Bucket::Login,
                    remaining: 7,
                    reset: Duration::from_secs(2)
                },
            ]
        );
    }
}
