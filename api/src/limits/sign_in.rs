//! The sign-in throttle: growing waits per (account, client address) under a ceiling per
//! account, so that guessing passwords is slow, yet no one can lock an owner out of
//! their account from one address.
//!
//! NIST SP 800-63B §5.2.2 asks that an account take at most 100 consecutive failed
//! attempts and suggests making each further attempt wait longer. A hard lock after 100
//! failures, though, is a weapon: whoever knows a username can lock its owner out. So:
//!
//! - **Per (account, address)**: an address may fail `free_failures` times on an account;
//!   each further failure makes that address wait before its next attempt, twice as long
//!   as the last wait (from `first_delay` up to `max_delay`). A success from the address
//!   clears its record. Other addresses, the owner's among them, are not slowed down.
//! - **Per account**: each address's free failures also count towards the account (at
//!   most `ceiling - 1` from one address, so one address alone never reaches it). At
//!   `ceiling` consecutive counted failures, the account refuses sign-ins from every
//!   address until `window` has passed since the last counted failure: only many
//!   addresses guessing together reach it. A success anywhere resets the count.
//!
//! Every attempt counts as a failure the moment it is admitted, and is cleared only by
//! its success: concurrent guesses cannot slip in before the first one is judged. Both
//! stores apply [`admit`] (the in-process one calls it; the Redis one runs the same
//! steps in a Lua script), atomically per account.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Decision, Limiter, UNAVAILABLE_RETRY, Unavailable};
use crate::config::RateLimitConfig;
use crate::error::AppResult;

/// The throttle's settings, from [`RateLimitConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInPolicy {
    /// Failures of one address on one account that cost no wait.
    pub free_failures: u32,
    /// The wait after the first failure past the free ones.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// How long an address's record on an account lasts after its last attempt.
    pub address_memory: Duration,
    /// Counted failures after which the account refuses every address.
    pub ceiling: u32,
    /// How long the account's count lasts after its last counted failure.
    pub window: Duration,
}

impl SignInPolicy {
    /// The policy configured.
    pub fn from_config(config: &RateLimitConfig) -> Self {
        let max_delay = Duration::from_secs(config.login_max_delay_secs);
        SignInPolicy {
            free_failures: config.login_free_failures,
            first_delay: Duration::from_secs(config.login_first_delay_secs),
            max_delay,
            // A record must outlive the wait it imposes.
            address_memory: Duration::from_secs(config.login_address_memory_secs).max(max_delay),
            ceiling: config.max_failed_logins.max(1),
            window: Duration::from_secs(config.failed_login_window_secs),
        }
    }

    /// Failures of one address that count towards the account's ceiling: its free ones,
    /// but never enough to reach the ceiling alone.
    pub fn address_share(&self) -> u32 {
        self.free_failures.min(self.ceiling - 1)
    }

    /// The wait imposed by an address's `failures`-th failure on an account.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let Some(past_free) = failures.checked_sub(self.free_failures + 1) else {
            return Duration::ZERO;
        };
        let doubling = 2_u32.checked_pow(past_free).unwrap_or(u32::MAX);
        self.first_delay
            .checked_mul(doubling)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
    }
}

/// What is remembered about one address's attempts on one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRecord {
    /// Attempts since the last success.
    pub failures: u32,
    /// No attempt is admitted before this.
    pub blocked_until: DateTime<Utc>,
    /// When the record is forgotten.
    pub expires: DateTime<Utc>,
}

/// What is remembered about one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountRecord {
    /// Counted failures since the last success.
    pub failures: u32,
    /// When the count is forgotten.
    pub expires: DateTime<Utc>,
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn wait_until(then: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (then - now).to_std().unwrap_or_default()
}

/// Admits one attempt at `now` and counts it as a failure, or says how long to wait.
/// Records that have expired must be passed as `None`; the ones to keep come back.
pub fn admit(
    policy: &SignInPolicy,
    now: DateTime<Utc>,
    address: Option<AddressRecord>,
    account: Option<AccountRecord>,
) -> (Decision, Option<AddressRecord>, Option<AccountRecord>) {
    if let Some(record) = address
        && record.blocked_until > now
    {
        let wait = wait_until(record.blocked_until, now);
        return (Decision::Limited(wait), address, account);
    }
    if let Some(record) = account
        && record.failures >= policy.ceiling
    {
        let wait = wait_until(record.expires, now);
        return (Decision::Limited(wait), address, account);
    }
    let failures = address.map_or(0, |r| r.failures).saturating_add(1);
    let address = AddressRecord {
        failures,
        blocked_until: now + chrono(policy.delay_after(failures)),
        expires: now + chrono(policy.address_memory),
    };
    let account = if failures <= policy.address_share() {
        Some(AccountRecord {
            failures: account.map_or(0, |r| r.failures).saturating_add(1),
            expires: now + chrono(policy.window),
        })
    } else {
        account
    };
    (Decision::Allowed, Some(address), account)
}

impl Limiter {
    /// Admits a sign-in attempt on `account` from `address` (counted as a failure until
    /// [`Limiter::signed_in`] says otherwise), or `RATE_LIMITED` with the wait.
    pub async fn check_sign_in(&self, account: &str, address: &str) -> AppResult<()> {
        if !self.config.enabled {
            return Ok(());
        }
        match self
            .store
            .attempt_sign_in(account, address, &self.sign_in)
            .await
        {
            Ok(Decision::Allowed) => Ok(()),
            Ok(Decision::Limited(wait)) => Err(self.limited(wait)),
            Err(Unavailable) if self.config.fail_open_auth => Ok(()),
            Err(Unavailable) => Err(self.limited(UNAVAILABLE_RETRY)),
        }
    }

    /// Clears the address's record on the account, and the account's count, after a
    /// successful sign-in.
    pub async fn signed_in(&self, account: &str, address: &str) {
        if self.config.enabled {
            let _ = self.store.clear_sign_in(account, address).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SignInPolicy {
        SignInPolicy {
            free_failures: 2,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(8),
            address_memory: Duration::from_secs(3600),
            ceiling: 4,
            window: Duration::from_secs(60),
        }
    }

    #[test]
    fn waits_start_after_the_free_failures_double_and_are_capped() {
        let waits: Vec<u64> = (1..=8).map(|n| policy().delay_after(n).as_secs()).collect();
        assert_eq!(waits, [0, 0, 1, 2, 4, 8, 8, 8]);
        assert_eq!(policy().delay_after(u32::MAX), Duration::from_secs(8));
    }

    #[test]
    fn one_address_never_reaches_the_accounts_ceiling() {
        let policy = policy();
        let mut now = Utc::now();
        let (mut address, mut account) = (None, None);
        for _ in 0..20 {
            let decision;
            (decision, address, account) = admit(&policy, now, address, account);
            assert_eq!(decision, Decision::Allowed);
            now += chrono(policy.max_delay);
        }
        assert_eq!(account.map(|a| a.failures), Some(2));
        // Until it has waited, the address is refused, and that costs it nothing more.
        let refused = admit(
            &policy,
            now - chrono::Duration::seconds(1),
            address,
            account,
        );
        assert_eq!(refused.0, Decision::Limited(Duration::from_secs(1)));
        assert_eq!((refused.1, refused.2), (address, account));
    }

    #[test]
    fn a_single_address_share_stays_below_a_tiny_ceiling() {
        let mut tiny = policy();
        tiny.ceiling = 2;
        tiny.free_failures = 5;
        assert_eq!(tiny.address_share(), 1);
    }

    #[test]
    fn at_the_ceiling_every_address_waits_for_the_window() {
        let policy = policy();
        let now = Utc::now();
        let mut account = None;
        for _ in 0..2 {
            let mut address = None;
            for _ in 0..2 {
                (_, address, account) = admit(&policy, now, address, account);
            }
        }
        let (decision, address, _) = admit(&policy, now, None, account);
        assert_eq!(decision, Decision::Limited(policy.window));
        assert_eq!(address, None);
    }
}
