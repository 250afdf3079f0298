//! A circuit breaker in front of Redis.
//!
//! A Redis that is down refuses connections and every command fails at once; a Redis
//! that *stalls* (paused, swapping, a long `KEYS`) accepts commands and answers none, so
//! each one costs its whole timeout, several times per vote. After
//! [`FAILURES_TO_OPEN`] failures in a row the breaker opens: commands are not sent at
//! all and callers fall back at once. After the cool-off one probe (a PING the client
//! sends in the background, see `RedisClient::guarded`) is let through; its success
//! closes the breaker, its failure opens it for another cool-off.
//! Any success (an answer that was already on its way, say) closes it too: Redis
//! answered.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Failures in a row that open the breaker: a few, so that one lost packet does not,
/// but a stall costs only a few timeouts.
pub const FAILURES_TO_OPEN: u32 = 3;

/// May a command go to Redis now?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Yes: the breaker is closed.
    Go,
    /// Not this command, but the one probe of a breaker whose cool-off is over is due.
    Probe,
    /// No: the breaker is open; fall back at once.
    Refused,
}

/// The breaker's state, shared by every clone of the client.
#[derive(Debug)]
pub struct Breaker {
    cool_off: Duration,
    started: Instant,
    failures_in_a_row: AtomicU32,
    /// Milliseconds since `started` until which the breaker stays open; 0 when closed.
    open_until: AtomicU64,
    probing: AtomicBool,
}

impl Breaker {
    /// A closed breaker that, once open, waits `cool_off` before probing.
    pub fn new(cool_off: Duration) -> Self {
        Breaker {
            cool_off,
            started: Instant::now(),
            failures_in_a_row: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
            probing: AtomicBool::new(false),
        }
    }

    fn millis(&self, at: Instant) -> u64 {
        // Never 0, which means "closed".
        u64::try_from(at.saturating_duration_since(self.started).as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// Whether a command may go now.
    pub fn admit(&self, now: Instant) -> Admission {
        let open_until = self.open_until.load(Ordering::Acquire);
        if open_until == 0 {
            return Admission::Go;
        }
        if self.millis(now) < open_until {
            return Admission::Refused;
        }
        match self
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Admission::Probe,
            Err(_) => Admission::Refused,
        }
    }

    /// Redis answered a command; true when this closed the breaker.
    pub fn succeeded(&self, admission: Admission) -> bool {
        self.failures_in_a_row.store(0, Ordering::Release);
        let closed = self.open_until.swap(0, Ordering::AcqRel) != 0;
        if closed {
            tracing::info!("Redis answers again; sending it commands");
        }
        if admission == Admission::Probe {
            self.probing.store(false, Ordering::Release);
        }
        closed
    }

    /// A command failed or timed out at `now`; true when this opened the breaker.
    pub fn failed(&self, admission: Admission, now: Instant) -> bool {
        let until = self.millis(now + self.cool_off);
        if admission == Admission::Probe {
            self.open_until.store(until, Ordering::Release);
            self.probing.store(false, Ordering::Release);
            return false;
        }
        let in_a_row = self.failures_in_a_row.fetch_add(1, Ordering::AcqRel) + 1;
        if in_a_row >= FAILURES_TO_OPEN
            && self
                .open_until
                .compare_exchange(0, until, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            tracing::warn!(
                failures = in_a_row,
                cool_off_ms = self.cool_off.as_millis() as u64,
                "Redis is not answering; carrying on without it until a probe succeeds"
            );
            return true;
        }
        false
    }

    /// Whether commands are being held back now.
    pub fn is_open(&self) -> bool {
        self.open_until.load(Ordering::Acquire) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOL_OFF: Duration = Duration::from_secs(1);

    #[test]
    fn a_few_failures_in_a_row_open_it_and_a_success_in_between_does_not() {
        let breaker = Breaker::new(COOL_OFF);
        let now = Instant::now();
        for _ in 0..FAILURES_TO_OPEN - 1 {
            assert!(!breaker.failed(Admission::Go, now));
        }
        breaker.succeeded(Admission::Go);
        for _ in 0..FAILURES_TO_OPEN - 1 {
            breaker.failed(Admission::Go, now);
        }
        assert_eq!(breaker.admit(now), Admission::Go);
        assert!(breaker.failed(Admission::Go, now));
        assert_eq!(breaker.admit(now), Admission::Refused);
        assert!(breaker.is_open());
    }

    #[test]
    fn after_the_cool_off_one_probe_goes_and_its_answer_decides() {
        let breaker = Breaker::new(COOL_OFF);
        let now = Instant::now();
        for _ in 0..FAILURES_TO_OPEN {
            breaker.failed(Admission::Go, now);
        }
        let later = now + COOL_OFF + Duration::from_millis(1);
        assert_eq!(breaker.admit(later), Admission::Probe);
        assert_eq!(
            breaker.admit(later),
            Admission::Refused,
            "one probe at a time"
        );
        // The probe fails: open for another cool-off.
        breaker.failed(Admission::Probe, later);
        assert_eq!(breaker.admit(later), Admission::Refused);
        let much_later = later + COOL_OFF + Duration::from_millis(1);
        assert_eq!(breaker.admit(much_later), Admission::Probe);
        assert!(breaker.succeeded(Admission::Probe));
        assert_eq!(breaker.admit(much_later), Admission::Go);
        assert!(!breaker.is_open());
    }
}
