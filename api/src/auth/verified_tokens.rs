//! Tokens verified before, kept until they expire: a signed-in client sends the same
//! token with every request, and checking its signature and reading its claims again
//! each time is work whose answer cannot change before the token's expiry (keys are
//! fixed for the process's life; rotation restarts it with the new set).
//!
//! Bounded: at most [`CAPACITY`] tokens, tokens longer than [`MAX_TOKEN_BYTES`] are
//! not kept, and the cache starts over when full (an attacker sending many valid tokens
//! makes it miss, never grow).

use std::collections::HashMap;
use std::sync::RwLock;

use super::tokens::Subject;

/// Most tokens kept.
pub const CAPACITY: usize = 16_384;
/// Longest token kept, in bytes (ours are about 250).
pub const MAX_TOKEN_BYTES: usize = 1_024;

/// Verified tokens with whom they speak for and when they expire (Unix seconds).
#[derive(Default)]
pub struct VerifiedTokens {
    tokens: RwLock<HashMap<Box<str>, (Subject, i64)>>,
}

impl VerifiedTokens {
    /// Whom `token` speaks for, if it was verified before and has not expired at `now`.
    pub fn get(&self, token: &str, now: i64) -> Option<Subject> {
        let tokens = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        let &(subject, expires) = tokens.get(token)?;
        (now < expires).then_some(subject)
    }

    /// Keeps a token just verified.
    pub fn put(&self, token: &str, subject: Subject, expires: i64) {
        if token.len() > MAX_TOKEN_BYTES {
            return;
        }
        let mut tokens = self.tokens.write().unwrap_or_else(|p| p.into_inner());
        if tokens.len() >= CAPACITY {
            tokens.clear();
        }
        tokens.insert(token.into(), (subject, expires));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_kept_token_answers_until_it_expires() {
        let cache = VerifiedTokens::default();
        let subject = Subject {
            user: Uuid::now_v7(),
            guest: false,
        };
        cache.put("t", subject, 100);
        assert_eq!(cache.get("t", 99), Some(subject));
        assert_eq!(cache.get("t", 100), None, "expired at its exp");
        assert_eq!(cache.get("other", 50), None);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = VerifiedTokens::default();
        let subject = Subject {
            user: Uuid::now_v7(),
            guest: true,
        };
        for i in 0..CAPACITY + 10 {
            cache.put(&format!("token-{i}"), subject, 100);
        }
        assert!(cache.tokens.read().expect("the lock").len() <= CAPACITY);
        cache.put(&"x".repeat(MAX_TOKEN_BYTES + 1), subject, 100);
        assert_eq!(cache.get(&"x".repeat(MAX_TOKEN_BYTES + 1), 1), None);
    }
}
