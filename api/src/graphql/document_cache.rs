//! A cache of parsed GraphQL documents.
//!
//! Clients send the same few operations over and over (the vote path is one mutation
//! text with different variables), and parsing costs a sixth of a castVote's CPU. So
//! parsed documents are kept by their text and cloned out instead of parsed again.
//! Bounded: documents over [`MAX_TEXT`] bytes are not kept, and the cache starts over
//! when it holds [`CAPACITY`] documents, so unique queries cannot grow memory.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_graphql::parser::types::ExecutableDocument;

/// Most documents kept.
pub const CAPACITY: usize = 512;
/// Longest query text kept, in bytes.
pub const MAX_TEXT: usize = 8 * 1024;

/// Parsed documents by their text; cheap to clone (one cache behind an `Arc`).
#[derive(Clone, Default)]
pub struct DocumentCache {
    documents: Arc<RwLock<HashMap<String, ExecutableDocument>>>,
}

impl DocumentCache {
    /// The document parsed from `query` before, if it is kept.
    pub fn get(&self, query: &str) -> Option<ExecutableDocument> {
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

    /// Keeps a parsed document (unless its text is too long).
    pub fn insert(&self, query: &str, document: &ExecutableDocument) {
        if query.len() > MAX_TEXT {
            return;
        }
        let mut documents = self.documents.write().unwrap_or_else(|p| p.into_inner());
        if documents.len() >= CAPACITY {
            documents.clear();
        }
        documents.insert(query.to_owned(), document.clone());
    }
}
