//! Where persisted documents are kept: this instance's bounded memory, and (when Redis
//! is configured) a store every instance shares.
//!
//! The memory store holds each document with what this instance learned about it
//! ([`Known`]: its parsed form, and whether it passed validation), so the hot path
//! neither parses nor fully validates it again. It is an LRU of at most
//! `TALLY_PERSISTED_QUERIES_CAPACITY` documents that each live
//! `TALLY_PERSISTED_QUERY_TTL_SECS`: unique hashes from a client cannot grow memory.
//! The shared store only holds texts (a parsed document is not worth a round trip),
//! as Redis keys that expire after the same TTL.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_graphql::parser::types::ExecutableDocument;
use fred::prelude::*;
use fred::types::Expiration;

use super::hash::Sha256Hash;
use crate::redis::RedisClient;

/// A persisted document, and what this instance knows of it.
#[derive(Debug)]
pub struct Known {
    /// The document's text (its hash was checked).
    pub text: String,
    /// The document parsed, once a request has parsed it.
    document: OnceLock<ExecutableDocument>,
    /// Whether it passed every validation rule against this schema. Set once; the
    /// rules that depend on variables' values (complexity, depth) run on every request.
    validated: AtomicBool,
}

impl Known {
    /// A document known by its text only.
    pub fn new(text: String) -> Self {
        Known {
            text,
            document: OnceLock::new(),
            validated: AtomicBool::new(false),
        }
    }

    /// The parsed document, when it was parsed before.
    pub fn document(&self) -> Option<&ExecutableDocument> {
        self.document.get()
    }

    /// Keeps the parsed document (the first one kept stays).
    pub fn set_document(&self, document: &ExecutableDocument) {
        if self.document.get().is_none() {
            let _ = self.document.set(document.clone());
        }
    }

    /// Whether it passed full validation once, and was parsed.
    pub fn is_validated(&self) -> bool {
        self.validated.load(Ordering::Acquire) && self.document.get().is_some()
    }

    /// Records that it passed full validation.
    pub fn mark_validated(&self) {
        self.validated.store(true, Ordering::Release);
    }
}

/// This instance's documents: an LRU bounded in count, each entry living `ttl`.
pub struct MemoryStore {
    entries: Mutex<lru::LruCache<Sha256Hash, (Instant, Arc<Known>)>>,
    ttl: Duration,
}

impl MemoryStore {
    /// At most `capacity` documents (at least one), each kept `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        MemoryStore {
            entries: Mutex::new(lru::LruCache::new(capacity)),
            ttl,
        }
    }

    /// The document under `hash`, unless it was never stored, was pushed out, or expired.
    pub fn get(&self, hash: &Sha256Hash) -> Option<Arc<Known>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.get(hash) {
            Some((stored, known)) if stored.elapsed() < self.ttl => Some(known.clone()),
            Some(_) => {
                entries.pop(hash);
                None
            }
            None => None,
        }
    }

    /// The document under `hash`, stored now with `text` unless it is there already
    /// (a racing request's entry wins, so what it learned is kept).
    pub fn get_or_insert(&self, hash: &Sha256Hash, text: String) -> Arc<Known> {
        if let Some(known) = self.get(hash) {
            return known;
        }
        let known = Arc::new(Known::new(text));
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.put(hash.clone(), (Instant::now(), known.clone()));
        known
    }
}

/// Texts shared by every instance.
#[async_trait::async_trait]
pub trait SharedStore: Send + Sync {
    /// The text stored under `hash`, if any (an unreachable store is a miss: the
    /// client then sends the text again).
    async fn get(&self, hash: &Sha256Hash) -> Option<String>;
    /// Stores `text` under `hash` (best effort).
    async fn put(&self, hash: &Sha256Hash, text: &str);
}

/// Texts in Redis, as `<prefix>:apq:<hash>` keys that expire.
pub struct RedisStore {
    redis: RedisClient,
    ttl: Duration,
}

impl RedisStore {
    /// Texts in `redis`, each kept `ttl`.
    pub fn new(redis: RedisClient, ttl: Duration) -> Self {
        RedisStore { redis, ttl }
    }
}

#[async_trait::async_trait]
impl SharedStore for RedisStore {
    async fn get(&self, hash: &Sha256Hash) -> Option<String> {
        let key = self.redis.keys().persisted(hash.as_str());
        self.redis
            .guarded(
                "read a persisted query",
                self.redis.cmd().get::<Option<String>, _>(key),
            )
            .await
            .flatten()
    }

    async fn put(&self, hash: &Sha256Hash, text: &str) {
        let key = self.redis.keys().persisted(hash.as_str());
        let expire = Expiration::EX(self.ttl.as_secs().max(1) as i64);
        let _ = self
            .redis
            .guarded(
                "store a persisted query",
                self.redis
                    .cmd()
                    .set::<(), _, _>(key, text, Some(expire), None, false),
            )
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_document_makes_way() {
        let store = MemoryStore::new(2, Duration::from_secs(60));
        let [a, b, c] = ["a", "b", "c"].map(Sha256Hash::of);
        store.get_or_insert(&a, "a".into());
        store.get_or_insert(&b, "b".into());
        store.get(&a);
        store.get_or_insert(&c, "c".into());
        assert!(store.get(&a).is_some());
        assert!(store.get(&b).is_none());
    }

    #[test]
    fn an_expired_document_is_gone() {
        let store = MemoryStore::new(2, Duration::ZERO);
        let a = Sha256Hash::of("a");
        store.get_or_insert(&a, "a".into());
        assert!(store.get(&a).is_none());
    }
}
