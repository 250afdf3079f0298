//! The trusted-documents manifest: the only operations a server in trusted mode runs.
//!
//! Its format is the `persisted-documents.json` that GraphQL Code Generator's client
//! preset writes with `persistedDocuments: { hashAlgorithm: 'sha256' }`: one JSON object
//! from each document's SHA-256 (`sha256:<hex>`, or bare hex) to its text. It is read once at start-up, and a file
//! that is unreadable, or whose hash does not match its text, stops the server from
//! starting (an operator who asked for trusted mode must not get an open server).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};

use super::hash::Sha256Hash;
use super::store::Known;

/// The allowed documents by hash.
pub struct Manifest {
    documents: HashMap<Sha256Hash, Arc<Known>>,
}

impl Manifest {
    /// Reads the manifest at `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the trusted documents at {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// The manifest in `text`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let entries: HashMap<String, String> = serde_json::from_str(text)
            .context("the trusted documents are not a JSON object of hash to document")?;
        let mut documents = HashMap::with_capacity(entries.len());
        for (key, document) in entries {
            // Codegen writes `sha256:<hex>`; a bare hex key is accepted too.
            let hash = key.strip_prefix("sha256:").unwrap_or(&key);
            let Some(parsed) = Sha256Hash::parse(hash) else {
                bail!(
                    "`{hash}` is not a SHA-256 in hex (generate the manifest with hashAlgorithm 'sha256')"
                );
            };
            if Sha256Hash::of(&document) != parsed {
                bail!("the document under `{hash}` does not hash to it");
            }
            documents.insert(parsed, Arc::new(Known::new(document)));
        }
        Ok(Manifest { documents })
    }

    /// The allowed document under `hash`.
    pub fn get(&self, hash: &Sha256Hash) -> Option<Arc<Known>> {
        self.documents.get(hash).cloned()
    }

    /// How many documents are allowed.
    pub fn len(&self) -> usize {
        self.documents.len()
    }

    /// Whether no document is allowed.
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_whose_hash_does_not_match_is_refused() {
        let wrong = format!(r#"{{"{}": "{{ me {{ id }} }}"}}"#, "a".repeat(64));
        assert!(Manifest::parse(&wrong).is_err());
        let hash = Sha256Hash::of("{ me { id } }");
        let right = format!(r#"{{"{}": "{{ me {{ id }} }}"}}"#, hash.as_str());
        assert!(
            Manifest::parse(&right)
                .expect("a good manifest")
                .get(&hash)
                .is_some()
        );
        let prefixed = format!(r#"{{"sha256:{}": "{{ me {{ id }} }}"}}"#, hash.as_str());
        assert!(
            Manifest::parse(&prefixed)
                .expect("a prefixed manifest")
                .get(&hash)
                .is_some()
        );
    }
}
