//! Authentication: argon2id password hashes and HS256 sign-in tokens.
//!
//! - [`passwords`] hashes and verifies off the async worker threads, with a bounded
//!   number of hashes at once.
//! - [`tokens`] issues and verifies JWTs with the algorithm pinned and their lifetime
//!   bounded.
//! - [`known_users`] remembers for a while which token users exist, so a deleted
//!   account's tokens stop working without a query per request.
//! - [`Viewer`] is who a request is from, decided once per request at the HTTP edge.

pub mod known_users;
pub mod passwords;
pub mod secrets;
pub mod tokens;

use uuid::Uuid;

use crate::error::AppError;

/// Who sent a request, as decided from its `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No token was presented.
    Anonymous,
    /// A valid token for this user.
    User(Uuid),
    /// A token was presented but refused; fields that look at the viewer say why.
    Invalid(&'static str),
}

impl Viewer {
    /// The signed-in user, or `UNAUTHENTICATED`.
    pub fn require(&self) -> Result<Uuid, AppError> {
        match self {
            Viewer::User(id) => Ok(*id),
            Viewer::Anonymous => Err(AppError::Unauthenticated("sign in first")),
            Viewer::Invalid(why) => Err(AppError::Unauthenticated(why)),
        }
    }

    /// The signed-in user if any; a refused token is still an error, so that a client
    /// with an expired token learns it instead of silently being treated as anonymous.
    pub fn optional(&self) -> Result<Option<Uuid>, AppError> {
        match self {
            Viewer::User(id) => Ok(Some(*id)),
            Viewer::Anonymous => Ok(None),
            Viewer::Invalid(why) => Err(AppError::Unauthenticated(why)),
        }
    }
}
