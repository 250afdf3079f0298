//! Rate limits: how often a user may vote or create polls, how often an address may sign
//! up or sign in, and how many wrong passwords in a row an account tolerates.
//!
//! Each limit is a GCRA bucket ("generic cell rate algorithm": a steady rate with a
//! burst allowance), kept in Redis by an atomic script so every instance shares it
//! ([`redis`]), or in process without Redis ([`local`]). Limits are checked per
//! operation inside the resolvers' services, so aliases and batches each count.
//!
//! When Redis cannot be reached, each bucket either lets calls through (fail open: the
//! default for votes and polls, whose cost is bounded elsewhere) or refuses them (fail
//! closed: the default for sign-up and sign-in, where a limit is the defence against
//! password guessing). Both are settings.

mod local;
mod redis;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;

pub use local::LocalLimiter;
pub use redis::RedisLimiter;

use crate::config::RateLimitConfig;
use crate::error::{AppError, AppResult};
use crate::metrics::AppCounters;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// `castVote`, `changeVote`, `retractVote` per user.
    Vote,
    /// `createPoll` per user.
    CreatePoll,
    /// `register` per client address.
    Register,
    /// `login` per client address.
    Login,
}

impl Bucket {
    /// The name used in keys and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Vote => "vote",
            Bucket::CreatePoll => "create-poll",
            Bucket::Register => "register",
            Bucket::Login => "login",
        }
    }
}

/// A steady rate with a burst allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Calls per minute, sustained.
    pub per_minute: u32,
    /// Calls allowed at once after a quiet spell.
    pub burst: u32,
}

impl Quota {
    /// Time between calls at the sustained rate.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(60) / self.per_minute.max(1)
    }

    /// How far ahead of schedule a caller may run (the burst, as time).
    pub fn tolerance(&self) -> Duration {
        self.interval() * self.burst.max(1).saturating_sub(1)
    }
}

/// What a bucket said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allowed,
    /// Not now; try again after this long.
    Limited(Duration),
}

/// The limiter's store could not be reached.
#[derive(Debug)]
pub struct Unavailable;

/// Where buckets and failure counts live.
#[async_trait]
pub trait RateStore: Send + Sync + 'static {
    /// Takes one call from `subject`'s bucket.
    async fn acquire(
        &self,
        bucket: Bucket,
        subject: &str,
        quota: Quota,
    ) -> Result<Decision, Unavailable>;
    /// Consecutive failed sign-ins of an account within the window.
    async fn failures(&self, account: &str) -> Result<u32, Unavailable>;
    /// Counts a failed sign-in; the count expires `window` after the last failure.
    async fn record_failure(&self, account: &str, window: Duration) -> Result<(), Unavailable>;
    /// Forgets the failures (after a successful sign-in).
    async fn reset_failures(&self, account: &str) -> Result<(), Unavailable>;
}

/// The rate limits of the application.
#[derive(Clone)]
pub struct Limiter {
    store: Arc<dyn RateStore>,
    config: RateLimitConfig,
    counters: Arc<AppCounters>,
}

impl Limiter {
    /// Limits kept in `store`.
    pub fn new(
        store: Arc<dyn RateStore>,
        config: RateLimitConfig,
        counters: Arc<AppCounters>,
    ) -> Self {
        Limiter {
            store,
            config,
            counters,
        }
    }

    fn quota(&self, bucket: Bucket) -> Quota {
        let c = &self.config;
        match bucket {
            Bucket::Vote => Quota {
                per_minute: c.vote_per_minute,
                burst: c.vote_burst,
            },
            Bucket::CreatePoll => Quota {
                per_minute: c.create_poll_per_minute,
                burst: c.create_poll_burst,
            },
            Bucket::Register => Quota {
                per_minute: c.register_per_minute,
                burst: c.register_burst,
            },
            Bucket::Login => Quota {
                per_minute: c.login_per_minute,
                burst: c.login_burst,
            },
        }
    }

    fn fails_open(&self, bucket: Bucket) -> bool {
        match bucket {
            Bucket::Vote | Bucket::CreatePoll => self.config.fail_open_votes,
            Bucket::Register | Bucket::Login => self.config.fail_open_auth,
        }
    }

    fn limited(&self, retry_after: Duration) -> AppError {
        self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
        AppError::RateLimited { retry_after }
    }

    /// Takes one call of `bucket` for `subject`, or `RATE_LIMITED`.
    pub async fn check(&self, bucket: Bucket, subject: &str) -> AppResult<()> {
        if !self.config.enabled {
            return Ok(());
        }
        match self
            .store
            .acquire(bucket, subject, self.quota(bucket))
            .await
        {
            Ok(Decision::Allowed) => Ok(()),
            Ok(Decision::Limited(retry_after)) => Err(self.limited(retry_after)),
            Err(Unavailable) if self.fails_open(bucket) => Ok(()),
            Err(Unavailable) => Err(self.limited(UNAVAILABLE_RETRY)),
        }
    }

    /// `RATE_LIMITED` when the account has failed to sign in too often in a row
    /// (NIST SP 800-63B §5.2.2: at most 100 consecutive failures).
    pub async fn check_account(&self, account: &str) -> AppResult<()> {
        if !self.config.enabled {
            return Ok(());
        }
        match self.store.failures(account).await {
            Ok(n) if n >= self.config.max_failed_logins => {
                Err(self.limited(Duration::from_secs(self.config.failed_login_window_secs)))
            }
            Ok(_) => Ok(()),
            Err(Unavailable) if self.config.fail_open_auth => Ok(()),
            Err(Unavailable) => Err(self.limited(UNAVAILABLE_RETRY)),
        }
    }

    /// Counts a failed sign-in of the account.
    pub async fn login_failed(&self, account: &str) {
        if self.config.enabled {
            let window = Duration::from_secs(self.config.failed_login_window_secs);
            let _ = self.store.record_failure(account, window).await;
        }
    }

    /// Clears the account's failures after it signed in.
    pub async fn login_succeeded(&self, account: &str) {
        if self.config.enabled {
            let _ = self.store.reset_failures(account).await;
        }
    }
}

/// The wait suggested when the limiter's store is down and a bucket fails closed.
const UNAVAILABLE_RETRY: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_spaces_calls_and_allows_its_burst() {
        let quota = Quota {
            per_minute: 60,
            burst: 5,
        };
        assert_eq!(quota.interval(), Duration::from_secs(1));
        assert_eq!(quota.tolerance(), Duration::from_secs(4));
        let one = Quota {
            per_minute: 30,
            burst: 1,
        };
        assert_eq!(one.tolerance(), Duration::ZERO);
    }
}
