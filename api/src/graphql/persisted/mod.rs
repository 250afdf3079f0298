//! Persisted operations: a client names a document by its SHA-256 instead of sending
//! its text.
//!
//! Two modes. **Automatic persisted queries** (Apollo's protocol, the default): a
//! request whose `extensions.persistedQuery` carries only a hash runs the document
//! stored under it, or is answered `PERSISTED_QUERY_NOT_FOUND`; the client then sends
//! hash and text together, and the text is stored (in Redis when configured, so every
//! instance knows it; in this instance's memory otherwise). **Trusted documents**
//! (`TALLY_TRUSTED_DOCUMENTS`): only the documents of a manifest run, by hash, and any
//! other text is refused with `PERSISTED_QUERY_NOT_ALLOWED`.
//!
//! A document this instance has parsed and validated is run from its parsed form, and
//! only the validation rules that depend on the request's variables run again (see
//! [`crate::graphql::extensions`]): a known operation skips parsing and validation.

mod hash;
mod manifest;
mod store;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Request, Value};

pub use hash::Sha256Hash;
pub use manifest::Manifest;
pub use store::{Known, MemoryStore, RedisStore, SharedStore};

use crate::error_code::ErrorCode;

/// Why a persisted operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No document is stored under the hash.
    NotFound,
    /// The text does not hash to the hash.
    HashMismatch,
    /// Trusted mode, and this is not a manifest document.
    NotAllowed,
    /// The extension is malformed.
    Invalid(&'static str),
}

impl Refused {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Refused::NotFound => ErrorCode::PersistedQueryNotFound,
            Refused::HashMismatch => ErrorCode::PersistedQueryHashMismatch,
            Refused::NotAllowed => ErrorCode::PersistedQueryNotAllowed,
            Refused::Invalid(_) => ErrorCode::PersistedQueryInvalid,
        }
    }

    /// The message, for people (and, for `NotFound`, for Apollo clients).
    pub fn message(&self) -> &'static str {
        match self {
            Refused::NotFound => "PersistedQueryNotFound",
            Refused::HashMismatch => {
                "the query does not hash to extensions.persistedQuery.sha256Hash"
            }
            Refused::NotAllowed => {
                "this server runs only its trusted documents: send one by its sha256Hash"
            }
            Refused::Invalid(why) => why,
        }
    }
}

/// A request's persisted document, as request data: the extension reads it to skip
/// parsing and validation, and records in it what it learned.
#[derive(Clone)]
pub struct Persisted(pub Arc<Known>);

/// Where documents come from.
enum Source {
    /// Automatic persisted queries: learned from clients.
    Automatic {
        memory: MemoryStore,
        shared: Option<Arc<dyn SharedStore>>,
    },
    /// Only these.
    Trusted(Manifest),
}

/// Resolves the persisted-operation extension of requests.
#[derive(Clone)]
pub struct PersistedQueries {
    source: Arc<Source>,
}

impl PersistedQueries {
    /// Automatic persisted queries: at most `capacity` documents in memory, each kept
    /// `ttl` (in `shared` too, when given).
    pub fn automatic(capacity: usize, ttl: Duration, shared: Option<Arc<dyn SharedStore>>) -> Self {
        PersistedQueries {
            source: Arc::new(Source::Automatic {
                memory: MemoryStore::new(capacity, ttl),
                shared,
            }),
        }
    }

    /// Trusted documents: the manifest's, and nothing else.
    pub fn trusted(manifest: Manifest) -> Self {
        PersistedQueries {
            source: Arc::new(Source::Trusted(manifest)),
        }
    }

    /// Fills in the text of a request sent by hash (and stores a text sent with its
    /// hash), or refuses it. `Ok(None)`: an ordinary request, run as sent.
    pub async fn resolve(&self, request: &mut Request) -> Result<Option<Persisted>, Refused> {
        let hash = match request.extensions.get("persistedQuery") {
            None => {
                return match *self.source {
                    Source::Trusted(_) => Err(Refused::NotAllowed),
                    Source::Automatic { .. } => Ok(None),
                };
            }
            Some(extension) => read_extension(extension)?,
        };
        let sent = !request.query.is_empty();
        if sent && Sha256Hash::of(&request.query) != hash {
            return Err(Refused::HashMismatch);
        }
        let known = match &*self.source {
            Source::Trusted(manifest) => match manifest.get(&hash) {
                Some(known) => known,
                None if sent => return Err(Refused::NotAllowed),
                None => return Err(Refused::NotFound),
            },
            Source::Automatic { memory, shared } => {
                if sent {
                    let text = std::mem::take(&mut request.query);
                    if let Some(shared) = shared {
                        shared.put(&hash, &text).await;
                    }
                    memory.get_or_insert(&hash, text)
                } else if let Some(known) = memory.get(&hash) {
                    known
                } else {
                    let shared = shared.as_ref().ok_or(Refused::NotFound)?;
                    let text = shared.get(&hash).await.ok_or(Refused::NotFound)?;
                    // A text from the shared store was checked before it was stored,
                    // but the store is not ours alone: check again.
                    if Sha256Hash::of(&text) != hash {
                        return Err(Refused::NotFound);
                    }
                    memory.get_or_insert(&hash, text)
                }
            }
        };
        request.query.clone_from(&known.text);
        Ok(Some(Persisted(known)))
    }
}

/// The hash in `{"version": 1, "sha256Hash": "<64 hex>"}`.
fn read_extension(extension: &Value) -> Result<Sha256Hash, Refused> {
    let Value::Object(fields) = extension else {
        return Err(Refused::Invalid(
            "extensions.persistedQuery must be an object",
        ));
    };
    let version = fields.get("version").and_then(|v| match v {
        Value::Number(n) => n.as_u64(),
        _ => None,
    });
    if version != Some(1) {
        return Err(Refused::Invalid(
            "extensions.persistedQuery.version must be 1",
        ));
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash)) => Sha256Hash::parse(hash).ok_or(Refused::Invalid(
            "extensions.persistedQuery.sha256Hash must be 64 hex digits",
        )),
        _ => Err(Refused::Invalid(
            "extensions.persistedQuery.sha256Hash must be 64 hex digits",
        )),
    }
}
