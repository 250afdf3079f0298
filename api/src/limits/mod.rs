//! Rate limits: how often a user may vote or create polls, how often an address may sign
//! up, sign in or start a guest session, and how wrong passwords slow down further sign-ins ([`sign_in`]).
//!
//! Each rate is a GCRA bucket ("generic cell rate algorithm": a steady rate with a
//! burst allowance); buckets and the sign-in throttle are kept in Redis by atomic
//! scripts so every instance shares them ([`redis`]), or in process without Redis
//! ([`local`]). Limits are checked per operation inside the resolvers' services, so
//! aliases and batches each count.
//!
//! When Redis cannot be reached, each bucket either lets calls through (fail open: the
//! default for votes and polls, whose cost is bounded elsewhere) or refuses them (fail
//! closed: the default for sign-up and sign-in, where a limit is the defence against
//! password guessing). Both are settings.
//!
//! What each call took from which bucket is noted for the request that made it
//! ([`usage`]), so that the HTTP answer can carry `RateLimit` headers without asking the
//! store again.

mod local;
mod redis;
mod sign_in;
pub mod usage;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;

pub use local::LocalLimiter;
pub use redis::RedisLimiter;
pub use sign_in::SignInPolicy;

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
    /// `startGuestSession` per client address.
    GuestSession,
    /// `redeemInvitation` per voter.
    RedeemInvitation,
    /// Export downloads (`/exports/…`) per user.
    Export,
}

impl Bucket {
    /// The name used in keys and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Vote => "vote",
            Bucket::CreatePoll => "create-poll",
            Bucket::Register => "register",
            Bucket::Login => "login",
            Bucket::GuestSession => "guest-session",
            Bucket::RedeemInvitation => "redeem-invitation",
            Bucket::Export => "export",
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

impl Quota {
    /// The quota of `bucket` in `config`.
    pub fn of(bucket: Bucket, config: &RateLimitConfig) -> Quota {
        let c = config;
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
            Bucket::GuestSession => Quota {
                per_minute: c.guest_session_per_minute,
                burst: c.guest_session_burst,
            },
            Bucket::RedeemInvitation => Quota {
                per_minute: c.redeem_invitation_per_minute,
                burst: c.redeem_invitation_burst,
            },
            Bucket::Export => Quota {
                per_minute: c.export_per_minute,
                burst: c.export_burst,
            },
        }
    }

    /// Calls left in the burst when the bucket is `backlog` ahead of schedule (GCRA's
    /// theoretical arrival time minus now): each call adds one interval to it, and a
    /// call is allowed while it stays within the tolerance plus one interval.
    pub fn remaining(&self, backlog: Duration) -> u32 {
        let room = (self.tolerance() + self.interval()).saturating_sub(backlog);
        let interval = self.interval().as_nanos().max(1);
        u32::try_from(room.as_nanos() / interval).unwrap_or(u32::MAX)
    }
}

/// What a bucket said to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Go ahead; the bucket is now this far ahead of schedule (the time until it is
    /// full again).
    Allowed {
        /// GCRA's theoretical arrival time after this call, minus now.
        backlog: Duration,
    },
    /// Not now; try again after this long.
    Limited(Duration),
}

/// What the sign-in throttle said.
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
    ) -> Result<Take, Unavailable>;
    /// Admits a sign-in attempt on `account` from `address` and counts it as a failure,
    /// or says how long to wait: [`sign_in::admit`], atomically.
    async fn attempt_sign_in(
        &self,
        account: &str,
        address: &str,
        policy: &SignInPolicy,
    ) -> Result<Decision, Unavailable>;
    /// Forgets the address's failures on the account and the account's count (after a
    /// successful sign-in).
    async fn clear_sign_in(&self, account: &str, address: &str) -> Result<(), Unavailable>;
}

/// The rate limits of the application.
#[derive(Clone)]
pub struct Limiter {
    store: Arc<dyn RateStore>,
    config: RateLimitConfig,
    sign_in: SignInPolicy,
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
            sign_in: SignInPolicy::from_config(&config),
            config,
            counters,
        }
    }

    fn quota(&self, bucket: Bucket) -> Quota {
        Quota::of(bucket, &self.config)
    }

    fn fails_open(&self, bucket: Bucket) -> bool {
        match bucket {
            Bucket::Vote | Bucket::CreatePoll | Bucket::Export => self.config.fail_open_votes,
            // A code is worth guessing only with the limit off: refuse rather than let a
            // dead Redis open the door to brute force.
            Bucket::Register | Bucket::Login | Bucket::GuestSession | Bucket::RedeemInvitation => {
                self.config.fail_open_auth
            }
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
        let quota = self.quota(bucket);
        match self.store.acquire(bucket, subject, quota).await {
            Ok(Take::Allowed { backlog }) => {
                usage::note(bucket, quota.remaining(backlog), backlog);
                Ok(())
            }
            Ok(Take::Limited(retry_after)) => {
                usage::note(bucket, 0, retry_after + quota.tolerance());
                Err(self.limited(retry_after))
            }
            // Nothing is known of the bucket: no `RateLimit` for it.
            Err(Unavailable) if self.fails_open(bucket) => {
                self.counters
                    .rate_limit_failed_open
                    .fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(Unavailable) => Err(self.limited(UNAVAILABLE_RETRY)),
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

    #[test]
    fn remaining_calls_follow_the_backlog() {
        let quota = Quota {
            per_minute: 60,
            burst: 5,
        };
        // A full bucket, after one call: one interval ahead, four left.
        assert_eq!(quota.remaining(Duration::from_secs(1)), 4);
        assert_eq!(quota.remaining(Duration::from_millis(1500)), 3);
        assert_eq!(quota.remaining(Duration::from_secs(5)), 0);
        assert_eq!(quota.remaining(Duration::from_secs(9)), 0);
    }
}
