//! Usernames and passwords.

use crate::error::AppError;

/// A username: 3–32 ASCII letters, digits, `_` and `-`.
///
/// ASCII only, so no look-alike characters from other scripts can impersonate someone;
/// uniqueness is case-insensitive, through [`Username::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Fewest characters.
    pub const MIN_LEN: usize = 3;
    /// Most characters.
    pub const MAX_LEN: usize = 32;

    /// Checks the text against the rules above.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let len = raw.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(AppError::bad_input(
                "username",
                format!(
                    "a username has {} to {} characters",
                    Self::MIN_LEN,
                    Self::MAX_LEN
                ),
            ));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(AppError::bad_input(
                "username",
                "a username uses only ASCII letters, digits, '_' and '-'",
            ));
        }
        Ok(Username(raw.to_owned()))
    }

    /// The username as typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive form stored under a unique index.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// A password: 8–128 characters (NIST SP 800-63B), any Unicode.
///
/// Its `Debug` never prints the text, so it cannot end up in a log line.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Fewest characters.
    pub const MIN_LEN: usize = 8;
    /// Most characters.
    pub const MAX_LEN: usize = 128;

    /// Checks the length.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let len = raw.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(AppError::bad_input(
                "password",
                format!(
                    "a password has {} to {} characters",
                    Self::MIN_LEN,
                    Self::MAX_LEN
                ),
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    /// The secret text, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        assert!(Username::parse("ada").is_ok());
        assert!(Username::parse("Ada_Lovelace-1815").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("ad a").is_err());
        // Cyrillic "а" looks like Latin "a".
        assert!(Username::parse("\u{0430}da").is_err());
    }

    #[test]
    fn username_keys_ignore_case() {
        let a = Username::parse("Ada").map(|u| u.key()).ok();
        let b = Username::parse("aDA").map(|u| u.key()).ok();
        assert_eq!(a, b);
    }

    #[test]
    fn passwords_are_counted_in_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert!(Password::parse(&"é".repeat(129)).is_err());
    }

    #[test]
    fn passwords_do_not_show_in_debug_output() {
        let password = Password::parse("hunter2hunter2").ok();
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
