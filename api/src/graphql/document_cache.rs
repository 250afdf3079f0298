//! A cache of parsed GraphQL documents, which also remembers which passed validation.
//!
//! Clients send the same few operations over and over (the vote path is one mutation
//! text with different variables), and parsing costs a sixth of a castVote's CPU. So
//! parsed documents are kept by their text and cloned out instead of parsed again.
//! A document that then passed every validation rule is marked so: its next runs go
//! to the schema that runs only the rules depending on variables (as persisted
//! documents do: [`super::Schemas::known`]), since the others cannot fail on the same
//! text against the same schema.
//! Bounded: documents over [`MAX_TEXT`] bytes are not kept, and the cache starts over
//! when it holds [`CAPACITY`] documents, so unique queries cannot grow memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use async_graphql::parser::types::ExecutableDocument;

/// Most documents kept.
pub const CAPACITY: usize = 512;
/// Longest query text kept, in bytes.
pub const MAX_TEXT: usize = 8 * 1024;

/// A kept document.
pub struct Cached {
    document: ExecutableDocument,
    validated: AtomicBool,
}

impl Cached {
    /// The parsed document.
    pub fn document(&self) -> &ExecutableDocument {
        &self.document
    }

    /// Notes that the document passed every validation rule.
    pub fn mark_validated(&self) {
        self.validated.store(true, Ordering::Release);
    }
}

/// Parsed documents by their text; cheap to clone (one cache behind an `Arc`).
#[derive(Clone, Default)]
pub struct DocumentCache {
    documents: Arc<RwLock<HashMap<Box<str>, Arc<Cached>>>>,
}

impl DocumentCache {
    /// The document parsed from `query` before, if it is kept.
    pub fn get(&self, query: &str) -> Option<Arc<Cached>> {
        self.documents
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(query)
            .cloned()
    }

    /// Whether the document parsed from `query` is kept.
    pub fn contains(&self, query: &str) -> bool {
        self.documents
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(query)
    }

    /// Whether the document parsed from `query` is kept and passed validation.
    pub fn is_validated(&self, query: &str) -> bool {
        self.get(query)
            .is_some_and(|cached| cached.validated.load(Ordering::Acquire))
    }

    /// Keeps a parsed document (unless its text is too long); returns its entry.
    pub fn insert(&self, query: &str, document: &ExecutableDocument) -> Option<Arc<Cached>> {
        if query.len() > MAX_TEXT {
            return None;
        }
        let cached = Arc::new(Cached {
            document: document.clone(),
            validated: AtomicBool::new(false),
        });
        let mut documents = self.documents.write().unwrap_or_else(|p| p.into_inner());
        if documents.len() >= CAPACITY {
            documents.clear();
        }
        documents.insert(query.into(), cached.clone());
        Some(cached)
    }
}
