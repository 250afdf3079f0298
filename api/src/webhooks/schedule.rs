//! When to try a failed delivery again: exponential backoff with jitter, capped, and
//! a last attempt after which the delivery is given up.
//!
//! The wait before attempt `n + 1` is `base × 2^(n−1)`, capped at `max`, and then a
//! random point between half of it and all of it ("equal jitter"), so that endpoints
//! that came back at once are not hit by every sender in the same second.

use std::time::Duration;

use rand::Rng;

/// The retry schedule.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Wait after the first failed attempt (before jitter).
    pub base: Duration,
    /// Longest wait.
    pub max: Duration,
    /// Attempts before giving up.
    pub max_attempts: u32,
}

impl Backoff {
    /// The wait after failed attempt `attempt` (counted from 1), before jitter.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        self.base
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max)
    }

    /// The wait after failed attempt `attempt`, or `None` when it was the last one.
    pub fn after(&self, attempt: u32, rng: &mut impl Rng) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_millis()).unwrap_or(u64::MAX);
        Some(half + Duration::from_millis(rng.random_range(0..=spread)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: Backoff = Backoff {
        base: Duration::from_secs(30),
        max: Duration::from_secs(3600),
        max_attempts: 30,
    };

    #[test]
    fn waits_double_up_to_the_cap_with_jitter_below_them() {
        assert_eq!(DEFAULTS.ceiling(1), Duration::from_secs(30));
        assert_eq!(DEFAULTS.ceiling(2), Duration::from_secs(60));
        assert_eq!(DEFAULTS.ceiling(8), Duration::from_secs(3600));
        assert_eq!(DEFAULTS.ceiling(400), Duration::from_secs(3600));
        let mut rng = rand::rng();
        for attempt in 1..30 {
            let wait = DEFAULTS.after(attempt, &mut rng).unwrap_or_default();
            let ceiling = DEFAULTS.ceiling(attempt);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{attempt}: {wait:?}"
            );
        }
        assert_eq!(DEFAULTS.after(30, &mut rng), None);
    }

    #[test]
    fn the_default_schedule_spans_about_a_day() {
        let total: Duration = (1..DEFAULTS.max_attempts)
            .map(|a| DEFAULTS.ceiling(a))
            .sum();
        let hours = total.as_secs_f64() / 3600.0;
        assert!((20.0..=30.0).contains(&hours), "{hours} h");
    }
}
