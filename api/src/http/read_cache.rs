//! Answers to anonymous `GET /graphql` reads, kept per instance and served without
//! running the engine again: a viral poll's page is one query text read by everyone
//! who opened the link, and every one of them may see the same answer.
//!
//! - **Who**: only requests with no `Authorization` header (every anonymous viewer
//!   sees the same thing: visibility is decided per viewer, and these have none), over
//!   GET (queries only), whose answer has no errors. Signed-in reads always run.
//! - **Kept current by the tally bus**: every tally this instance commits or receives
//!   moves the hub's change counter ([`crate::realtime::Hub::changes`]); an answer
//!   taken before the latest change is not served again. Changes the bus does not carry
//!   (a new poll in a listing; a tally committed on another instance for a poll nobody
//!   here watches) show within `TALLY_READ_CACHE_MS`, the longest an answer is kept.
//!   `PollResults.version` in the answer says which tally it shows.
//! - **For CDNs and browsers**: the answer carries an `ETag` (a hash of its body) and
//!   `Cache-Control: public, max-age=…` (the same bound, in whole seconds, at least 1);
//!   `If-None-Match` with the current tag is answered `304 Not Modified`.
//! - **Bounded**: keys (the raw query string) over [`MAX_KEY_BYTES`] are not kept, nor
//!   bodies over [`MAX_BODY_BYTES`]; past [`CAPACITY`] entries the cache starts over.

use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::media::Media;
use crate::realtime::Hub;

/// Most answers kept.
pub const CAPACITY: usize = 1_024;
/// Longest query string kept, in bytes.
pub const MAX_KEY_BYTES: usize = 4 * 1024;
/// Largest answer kept, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// One kept answer.
struct Entry {
    body: Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
    /// Other headers of the answer (the rate-limit policies), as first written.
    extra: HeaderMap,
    /// The hub's change counter when the answer's execution started.
    changes: u64,
    stored: Instant,
}

/// The answers kept, by media type and request.
type Entries = Arc<RwLock<HashMap<(Media, Box<str>), Arc<Entry>>>>;

/// The cache; cheap to clone.
#[derive(Clone)]
pub struct ReadCache {
    entries: Entries,
    hub: Arc<Hub>,
    max_age: Duration,
    cache_control: HeaderValue,
}

/// What a request may take from the cache: its key, and the change counter to store an
/// answer under if it misses.
pub struct Lookup {
    key: (Media, Box<str>),
    changes: u64,
}

impl ReadCache {
    /// A cache kept current by `hub`'s changes, keeping answers at most `max_age`
    /// (zero: off).
    pub fn new(hub: Arc<Hub>, max_age: Duration) -> Self {
        let seconds = max_age.as_secs().max(1);
        ReadCache {
            entries: Arc::default(),
            hub,
            max_age,
            cache_control: HeaderValue::from_str(&format!("public, max-age={seconds}"))
                .expect("a plain header value"),
        }
    }

    /// The kept answer to this GET, if it may be served (a 304 when the client holds it
    /// already); otherwise, when the request may be cached at all, what
    /// [`ReadCache::store`] needs once it has run.
    pub fn lookup(
        &self,
        headers: &HeaderMap,
        raw_query: &str,
        media: Media,
    ) -> Result<Response, Option<Lookup>> {
        if self.max_age.is_zero()
            || headers.contains_key(header::AUTHORIZATION)
            || raw_query.len() > MAX_KEY_BYTES
        {
            return Err(None);
        }
        let changes = self.hub.changes();
        let key = (media, Box::<str>::from(raw_query));
        let found = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        match found {
            Some(entry) if entry.changes == changes && entry.stored.elapsed() < self.max_age => {
                Ok(self.answer(&entry, headers))
            }
            _ => Err(Some(Lookup { key, changes })),
        }
    }

    /// Keeps an answer (a 200 without errors, as the caller checked) under `lookup`
    /// and answers with it, with its `ETag` and `Cache-Control`; `extra` are its other
    /// headers (the rate-limit policies).
    pub fn store(
        &self,
        lookup: Lookup,
        body: Bytes,
        content_type: HeaderValue,
        mut extra: HeaderMap,
    ) -> Response {
        if body.len() <= MAX_BODY_BYTES {
            extra.insert(header::CACHE_CONTROL, self.cache_control.clone());
            // The answer differs by media type, and a signed-in request is never this.
            extra.insert(
                header::VARY,
                HeaderValue::from_static("Accept, Authorization"),
            );
            let entry = Arc::new(Entry {
                etag: etag_of(&body),
                body,
                content_type,
                extra,
                changes: lookup.changes,
                stored: Instant::now(),
            });
            {
                let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
                if entries.len() >= CAPACITY {
                    entries.clear();
                }
                entries.insert(lookup.key, entry.clone());
            }
            return self.answer(&entry, &HeaderMap::new());
        }
        let mut response = body.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
        response.headers_mut().extend(extra);
        response
    }

    fn answer(&self, entry: &Entry, request: &HeaderMap) -> Response {
        let unchanged = request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| {
                let tag = tag.trim();
                tag == "*" || tag.trim_start_matches("W/").as_bytes() == entry.etag.as_bytes()
            });
        // Every answer from here, 200 or 304, names its tag and how long to keep it.
        let mut response = if unchanged {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut response = entry.body.clone().into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, entry.content_type.clone());
            response
        };
        let headers = response.headers_mut();
        for (name, value) in &entry.extra {
            headers.insert(name, value.clone());
        }
        headers.insert(header::ETAG, entry.etag.clone());
        response
    }
}

/// A strong tag from a 64-bit hash of the body.
fn etag_of(body: &[u8]) -> HeaderValue {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    hasher.write(body);
    HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish())).expect("hex is a header value")
}
