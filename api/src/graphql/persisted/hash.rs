//! The SHA-256 hash that names a persisted document.

use sha2::{Digest, Sha256};

/// A document's SHA-256, as 64 lowercase hex digits (the form Apollo clients and
/// GraphQL Code Generator send). Parsed, so the stores never hold a malformed key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256Hash(String);

impl Sha256Hash {
    /// The hash a client sent, when it is 64 hex digits (either case).
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Sha256Hash(text.to_ascii_lowercase()))
    }

    /// The hash of a document's text, byte for byte.
    pub fn of(text: &str) -> Self {
        Sha256Hash(hex::encode(Sha256::digest(text.as_bytes())))
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_of_a_text_is_its_sha256_in_lowercase_hex() {
        // printf '{ me { id } }' | sha256sum
        let hash = Sha256Hash::of("{ me { id } }");
        assert_eq!(Sha256Hash::parse(&hash.as_str().to_uppercase()), Some(hash));
    }

    #[test]
    fn a_hash_must_be_64_hex_digits() {
        assert!(Sha256Hash::parse("abc").is_none());
        assert!(Sha256Hash::parse(&"g".repeat(64)).is_none());
        assert!(Sha256Hash::parse(&"a".repeat(65)).is_none());
    }
}
