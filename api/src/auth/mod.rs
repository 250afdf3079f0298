//! Authentication: argon2id password hashes, HS256 sign-in tokens, guests' proof of work.
//!
//! - [`passwords`] hashes and verifies off the async worker threads, with a bounded
//!   number of hashes at once.
//! - [`tokens`] issues and verifies JWTs with the algorithm pinned and their lifetime
//!   bounded; a guest's token says so in a signed claim. [`hs256`] checks their
//!   signature and reads their claims.
//! - [`known_users`] remembers for a while which token users exist, so a deleted
//!   account's (or a retired guest's) tokens stop working without a query per request.
//! - [`proof_of_work`] issues and checks the signed challenges a guest session costs.
//! - [`secrets`] resolves the token secret and derives per-purpose keys from it.
//! - [`ballot_key`] turns a voter into the pseudonym an anonymous poll's ballots are
//!   stored under.
//! - [`Viewer`] is who a request is from, decided once per request at the HTTP edge.

pub mod ballot_key;
pub mod hs256;
pub mod known_users;
pub mod passwords;
pub mod proof_of_work;
pub mod secrets;
pub mod tokens;
pub mod verified_tokens;

use uuid::Uuid;

use crate::domain::{UserId, Voter};
use crate::error::AppError;

/// Who sent a request, as decided from its `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No token was presented.
    Anonymous,
    /// A valid token for this account.
    User(Uuid),
    /// A valid token for this guest (no password; may vote where guests may).
    Guest(Uuid),
    /// A token was presented but refused; fields that look at the viewer say why.
    Invalid(&'static str),
}

impl Viewer {
    /// The viewer of a verified token.
    pub fn signed_in(subject: tokens::Subject) -> Self {
        if subject.guest {
            Viewer::Guest(subject.user)
        } else {
            Viewer::User(subject.user)
        }
    }

    /// The signed-in account, or `UNAUTHENTICATED`; a guest is `FORBIDDEN`.
    pub fn require(&self) -> Result<Uuid, AppError> {
        match self {
            Viewer::User(id) => Ok(*id),
            Viewer::Guest(_) => Err(AppError::Forbidden("guests cannot do this; sign up".into())),
            Viewer::Anonymous => Err(AppError::Unauthenticated("sign in first")),
            Viewer::Invalid(why) => Err(AppError::Unauthenticated(why)),
        }
    }

    /// Who may cast a ballot: an account or a guest, or `UNAUTHENTICATED`. Whether the
    /// poll admits them is the poll's rules' to say.
    pub fn require_voter(&self) -> Result<Voter, AppError> {
        match self {
            Viewer::User(id) => Ok(Voter::account(UserId::from(*id))),
            Viewer::Guest(id) => Ok(Voter::guest(UserId::from(*id))),
            Viewer::Anonymous => Err(AppError::Unauthenticated(
                "sign in or start a guest session first",
            )),
            Viewer::Invalid(why) => Err(AppError::Unauthenticated(why)),
        }
    }

    /// The signed-in user (account or guest) if any, for reading what is theirs; a
    /// refused token is still an error, so that a client with an expired token learns
    /// it instead of silently being treated as anonymous.
    pub fn optional(&self) -> Result<Option<Uuid>, AppError> {
        match self {
            Viewer::User(id) | Viewer::Guest(id) => Ok(Some(*id)),
            Viewer::Anonymous => Ok(None),
            Viewer::Invalid(why) => Err(AppError::Unauthenticated(why)),
        }
    }
}
