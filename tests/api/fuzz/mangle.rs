//! Raw mutations of valid text: what a broken client, a proxy cutting a body short or a
//! flipped bit on the wire makes of a well-formed request. Each edit's position is a
//! fraction of the text's length, so the same edit applies to any text.

use proptest::prelude::*;
use proptest::sample::select;

/// Tokens that, inserted anywhere, make interesting almost-documents.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "...",
    "$",
    "@skip",
    ":",
    "\"",
    "\"\"\"",
    "#",
    "\u{0}",
    "on",
    "fragment",
    "query",
    "mutation",
    "subscription",
    "\\u",
    ",",
    "!",
    "=",
    "|",
    "&",
    "\u{feff}",
    "\u{fffd}",
    "\n\n\n",
];

/// One edit of a text.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Cut the text at a position.
    Truncate(f64),
    /// Flip some bits of the byte at a position.
    FlipByte(f64, u8),
    /// Insert a token at a position.
    Insert(f64, &'static str),
    /// Remove bytes from a position.
    Delete(f64, usize),
    /// Repeat the bytes from a position, `n` times.
    Duplicate(f64, usize, usize),
}

/// A few edits.
pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let at = 0.0..1.0f64;
    let edit = prop_oneof![
        at.clone().prop_map(Edit::Truncate),
        (at.clone(), 1u8..=255).prop_map(|(at, bits)| Edit::FlipByte(at, bits)),
        (at.clone(), select(TOKENS)).prop_map(|(at, token)| Edit::Insert(at, token)),
        (at.clone(), 1usize..20).prop_map(|(at, n)| Edit::Delete(at, n)),
        (at, 1usize..40, 1usize..30).prop_map(|(at, len, n)| Edit::Duplicate(at, len, n)),
    ];
    prop::collection::vec(edit, 1..4)
}

/// `bytes` with `edits` applied in turn.
pub fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    let index = |bytes: &Vec<u8>, at: f64| ((bytes.len() as f64) * at) as usize;
    for edit in edits {
        match *edit {
            Edit::Truncate(at) => {
                let i = index(&bytes, at);
                bytes.truncate(i);
            }
            Edit::FlipByte(at, bits) => {
                let i = index(&bytes, at);
                if let Some(byte) = bytes.get_mut(i) {
                    *byte ^= bits;
                }
            }
            Edit::Insert(at, token) => {
                let i = index(&bytes, at);
                bytes.splice(i..i, token.bytes());
            }
            Edit::Delete(at, n) => {
                let i = index(&bytes, at);
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Duplicate(at, len, n) => {
                let i = index(&bytes, at);
                let end = (i + len).min(bytes.len());
                let piece = bytes[i..end].to_vec();
                for _ in 0..n {
                    bytes.splice(end..end, piece.iter().copied());
                }
            }
        }
    }
    bytes
}

/// `text` with `edits` applied; bytes that are no longer UTF-8 become U+FFFD (the text
/// goes into a JSON string, which must be Unicode).
pub fn apply_to_text(text: &str, edits: &[Edit]) -> String {
    String::from_utf8_lossy(&apply(text.as_bytes().to_vec(), edits)).into_owned()
}
