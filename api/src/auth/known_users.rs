//! Which user ids were recently found to exist, or not: a small cache in front of the
//! database, so that a validly signed token of a deleted account is refused without a
//! query on every request.
//!
//! Entries last `ttl` (a deleted account's tokens work at most that long on an instance
//! that saw it recently); at most [`MAX_ENTRIES`] are kept. When full, expired entries
//! are swept, and if none had expired the cache starts over: its worst case is one
//! lookup per user per `ttl`, never unbounded memory. Time comes from the injected clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::clock::Clock;

/// Most user ids remembered (about 50 bytes each).
pub const MAX_ENTRIES: usize = 100_000;

/// Recently checked user ids, and whether each exists.
pub struct KnownUsers {
    clock: Arc<dyn Clock>,
    ttl: chrono::Duration,
    // A std mutex: held for one map operation, never across an await.
    entries: Mutex<HashMap<Uuid, (bool, DateTime<Utc>)>>,
}

impl KnownUsers {
    /// An empty cache whose answers last `ttl`.
    pub fn new(ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        KnownUsers {
            clock,
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX),
            entries: Mutex::default(),
        }
    }

    /// Whether `user` exists, when that was learned less than `ttl` ago.
    pub fn get(&self, user: Uuid) -> Option<bool> {
        let now = self.clock.now();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&user)
            .filter(|(_, expires)| *expires > now)
            .map(|(exists, _)| *exists)
    }

    /// Remembers whether `user` exists.
    pub fn put(&self, user: Uuid, exists: bool) {
        let now = self.clock.now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&user) {
            entries.retain(|_, (_, expires)| *expires > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(user, (exists, now + self.ttl));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn answers_last_their_ttl() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let known = KnownUsers::new(Duration::from_secs(60), clock.clone());
        let (here, gone) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(known.get(here), None);
        known.put(here, true);
        known.put(gone, false);
        assert_eq!(
            (known.get(here), known.get(gone)),
            (Some(true), Some(false))
        );
        clock.advance(Duration::from_secs(61));
        assert_eq!((known.get(here), known.get(gone)), (None, None));
    }
}
