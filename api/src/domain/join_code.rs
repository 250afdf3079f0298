//! A poll's join code: six characters people type to open it (`/j/CODE`, the home
//! page's box), shown big on the presenter screen. The alphabet has no look-alikes
//! (no 0/O, 1/I/L), so a code read off a projector is typed right the first time.
//!
//! Codes are derived from the poll's id (and a counter, should two collide); the
//! migration that gave codes to older polls uses the same function.

use migration::m20261207_000011_join_codes::{ALPHABET, LENGTH, derive};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// How many codes creation tries before giving up (each collision is one in 887 million
/// per existing poll).
pub const JOIN_CODE_ATTEMPTS: u64 = 8;

/// A well-formed join code, upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinCode(String);

impl JoinCode {
    /// The `attempt`-th code of poll `id`.
    pub fn for_poll(id: Uuid, attempt: u64) -> Self {
        JoinCode(derive(id.as_bytes(), attempt))
    }

    /// A code as a person typed it: case, spaces and dashes do not matter.
    /// `BAD_USER_INPUT` on `code` unless six characters of the alphabet remain.
    pub fn parse(typed: &str) -> AppResult<Self> {
        let code: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(JoinCode(code))
        } else {
            Err(AppError::bad_input(
                "code",
                format!("a join code is {LENGTH} letters and digits (no 0, 1, I, L or O)"),
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_six_unambiguous_characters_and_parses_back() {
        let id = Uuid::now_v7();
        let code = JoinCode::for_poll(id, 0);
        assert_eq!(code.as_str().len(), 6);
        assert_eq!(JoinCode::parse(code.as_str()).ok(), Some(code.clone()));
        assert_ne!(
            JoinCode::for_poll(id, 1),
            code,
            "another attempt, another code"
        );
        let typed = format!(
            " {}-{} ",
            &code.as_str()[..3].to_lowercase(),
            &code.as_str()[3..]
        );
        assert_eq!(JoinCode::parse(&typed).ok(), Some(code));
    }

    #[test]
    fn look_alikes_and_wrong_lengths_are_refused() {
        for typed in ["ABC0EF", "ABCDE", "ABCDEFG", "ABCIEF", "", "ABCDÉF"] {
            assert!(JoinCode::parse(typed).is_err(), "{typed}");
        }
    }
}
