//! In-process rate limits, for a single instance without Redis. Time comes from the
//! injected clock, so tests can move it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Bucket, Decision, Quota, RateStore, Unavailable};
use crate::clock::Clock;

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 100_000;

/// GCRA buckets and failure counts in memory.
pub struct LocalLimiter {
    clock: Arc<dyn Clock>,
    // std mutexes: held for a map operation only, never across an await.
    /// Theoretical arrival time per bucket key.
    buckets: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Failure count and its expiry per account.
    failures: Mutex<HashMap<String, (u32, DateTime<Utc>)>>,
}

impl LocalLimiter {
    /// Empty buckets on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        LocalLimiter {
            clock,
            buckets: Mutex::default(),
            failures: Mutex::default(),
        }
    }
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[async_trait]
impl RateStore for LocalLimiter {
    async fn acquire(
        &self,
        bucket: Bucket,
        subject: &str,
        quota: Quota,
    ) -> Result<Decision, Unavailable> {
        let now = self.clock.now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, tat| *tat > now);
        }
        let key = format!("{}:{subject}", bucket.as_str());
        let tat = buckets.get(&key).copied().unwrap_or(now).max(now);
        let wait = tat - chrono(quota.tolerance()) - now;
        if wait > chrono::Duration::zero() {
            return Ok(Decision::Limited(wait.to_std().unwrap_or_default()));
        }
        buckets.insert(key, tat + chrono(quota.interval()));
        Ok(Decision::Allowed)
    }

    async fn failures(&self, account: &str) -> Result<u32, Unavailable> {
        let now = self.clock.now();
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        Ok(failures
            .get(account)
            .filter(|(_, expiry)| *expiry > now)
            .map_or(0, |(n, _)| *n))
    }

    async fn record_failure(&self, account: &str, window: Duration) -> Result<(), Unavailable> {
        let now = self.clock.now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= SWEEP_AT {
            failures.retain(|_, (_, expiry)| *expiry > now);
        }
        let entry = failures.entry(account.to_owned()).or_insert((0, now));
        if entry.1 <= now {
            entry.0 = 0;
        }
        entry.0 += 1;
        entry.1 = now + chrono(window);
        Ok(())
    }

    async fn reset_failures(&self, account: &str) -> Result<(), Unavailable> {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let limiter = LocalLimiter::new(clock.clone());
        let quota = Quota {
            per_minute: 60,
            burst: 3,
        };
        for _ in 0..3 {
            assert_eq!(
                limiter.acquire(Bucket::Vote, "u", quota).await.ok(),
                Some(Decision::Allowed)
            );
        }
        let refused = limiter.acquire(Bucket::Vote, "u", quota).await.ok();
        assert_eq!(refused, Some(Decision::Limited(Duration::from_secs(1))));
        assert_eq!(
            limiter.acquire(Bucket::Vote, "other", quota).await.ok(),
            Some(Decision::Allowed)
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            limiter.acquire(Bucket::Vote, "u", quota).await.ok(),
            Some(Decision::Allowed)
        );
    }

    #[tokio::test]
    async fn failures_count_up_expire_and_reset() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let limiter = LocalLimiter::new(clock.clone());
        let window = Duration::from_secs(60);
        for _ in 0..3 {
            let _ = limiter.record_failure("ada", window).await;
        }
        assert_eq!(limiter.failures("ada").await.ok(), Some(3));
        clock.advance(Duration::from_secs(61));
        assert_eq!(limiter.failures("ada").await.ok(), Some(0));
        let _ = limiter.record_failure("ada", window).await;
        let _ = limiter.reset_failures("ada").await;
        assert_eq!(limiter.failures("ada").await.ok(), Some(0));
    }
}
