//! In-process rate limits and sign-in throttle, for a single instance without Redis.
//! Time comes from the injected clock, so tests can move it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::sign_in::{self, AccountRecord, AddressRecord};
use super::{Bucket, Decision, Quota, RateStore, SignInPolicy, Take, Unavailable};
use crate::clock::Clock;

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 100_000;

/// GCRA buckets and sign-in records in memory.
pub struct LocalLimiter {
    clock: Arc<dyn Clock>,
    // std mutexes: held for a map operation only, never across an await.
    /// Theoretical arrival time per bucket key.
    buckets: Mutex<HashMap<String, DateTime<Utc>>>,
    /// The sign-in throttle's records, under one lock so an attempt updates both at once.
    sign_ins: Mutex<SignIns>,
}

/// Sign-in records per (account, address) and per account.
#[derive(Default)]
struct SignIns {
    addresses: HashMap<(String, String), AddressRecord>,
    accounts: HashMap<String, AccountRecord>,
}

impl LocalLimiter {
    /// Empty buckets on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        LocalLimiter {
            clock,
            buckets: Mutex::default(),
            sign_ins: Mutex::default(),
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
    ) -> Result<Take, Unavailable> {
        let now = self.clock.now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, tat| *tat > now);
        }
        let key = format!("{}:{subject}", bucket.as_str());
        let tat = buckets.get(&key).copied().unwrap_or(now).max(now);
        let wait = tat - chrono(quota.tolerance()) - now;
        if wait > chrono::Duration::zero() {
            return Ok(Take::Limited(wait.to_std().unwrap_or_default()));
        }
        let next = tat + chrono(quota.interval());
        buckets.insert(key, next);
        Ok(Take::Allowed {
            backlog: (next - now).to_std().unwrap_or_default(),
        })
    }

    async fn attempt_sign_in(
        &self,
        account: &str,
        address: &str,
        policy: &SignInPolicy,
    ) -> Result<Decision, Unavailable> {
        let now = self.clock.now();
        let mut guard = self.sign_ins.lock().unwrap_or_else(|p| p.into_inner());
        let records = &mut *guard;
        if records.addresses.len() >= SWEEP_AT {
            records.addresses.retain(|_, r| r.expires > now);
        }
        if records.accounts.len() >= SWEEP_AT {
            records.accounts.retain(|_, r| r.expires > now);
        }
        let key = (account.to_owned(), address.to_owned());
        let current = records
            .addresses
            .get(&key)
            .copied()
            .filter(|r| r.expires > now);
        let counted = records
            .accounts
            .get(account)
            .copied()
            .filter(|r| r.expires > now);
        let (decision, by_address, by_account) = sign_in::admit(policy, now, current, counted);
        match by_address {
            Some(record) => records.addresses.insert(key, record),
            None => records.addresses.remove(&key),
        };
        match by_account {
            Some(record) => records.accounts.insert(account.to_owned(), record),
            None => records.accounts.remove(account),
        };
        Ok(decision)
    }

    async fn clear_sign_in(&self, account: &str, address: &str) -> Result<(), Unavailable> {
        let mut records = self.sign_ins.lock().unwrap_or_else(|p| p.into_inner());
        records
            .addresses
            .remove(&(account.to_owned(), address.to_owned()));
        records.accounts.remove(account);
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
        let allowed = |secs| {
            Some(Take::Allowed {
                backlog: Duration::from_secs(secs),
            })
        };
        for backlog in 1..=3 {
            assert_eq!(
                limiter.acquire(Bucket::Vote, "u", quota).await.ok(),
                allowed(backlog)
            );
        }
        let refused = limiter.acquire(Bucket::Vote, "u", quota).await.ok();
        assert_eq!(refused, Some(Take::Limited(Duration::from_secs(1))));
        assert_eq!(
            limiter.acquire(Bucket::Vote, "other", quota).await.ok(),
            allowed(1)
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            limiter.acquire(Bucket::Vote, "u", quota).await.ok(),
            allowed(3)
        );
    }

    #[tokio::test]
    async fn sign_in_records_follow_the_policy_and_clear_on_success() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let limiter = LocalLimiter::new(clock.clone());
        let policy = SignInPolicy {
            free_failures: 1,
            first_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
            address_memory: Duration::from_secs(3600),
            ceiling: 3,
            window: Duration::from_secs(60),
        };
        let attempt =
            async |address: &str| limiter.attempt_sign_in("ada", address, &policy).await.ok();
        assert_eq!(attempt("a").await, Some(Decision::Allowed));
        assert_eq!(attempt("a").await, Some(Decision::Allowed));
        assert_eq!(
            attempt("a").await,
            Some(Decision::Limited(Duration::from_secs(10)))
        );
        assert_eq!(attempt("b").await, Some(Decision::Allowed));
        let _ = limiter.clear_sign_in("ada", "a").await;
        // The success reset the account's count too: three more addresses reach it.
        for address in ["a", "c", "d"] {
            assert_eq!(attempt(address).await, Some(Decision::Allowed));
        }
        assert_eq!(
            attempt("e").await,
            Some(Decision::Limited(Duration::from_secs(60)))
        );
        clock.advance(Duration::from_secs(61));
        assert_eq!(attempt("e").await, Some(Decision::Allowed));
    }
}
