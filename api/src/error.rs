//! The error policy: every failure a client can see is an [`AppError`] with a stable code.
//!
//! - Expected failures are variants: the client gets the variant's `extensions.code` and a
//!   message written for people. `BAD_USER_INPUT` adds `extensions.field`; `RATE_LIMITED`
//!   and `OVERLOADED` add `extensions.retryAfterSeconds`; `CLAIM_CONFLICT` adds
//!   `extensions.pollIds`.
//! - Unexpected failures are [`AppError::Internal`], carrying an `anyhow::Error` with
//!   context. They are logged once, here at the boundary, and the client sees only
//!   `INTERNAL` and a generic message.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql converts anything
//! that does into an error *without* extensions, so a stray `?` would silently drop the
//! code. The `From<AppError> for async_graphql::Error` below is the one way out.

use std::time::Duration;

use crate::error_code::ErrorCode;

/// A failure of a request, expected or not.
#[derive(Debug)]
pub enum AppError {
    /// No valid sign-in: missing, expired, forged or malformed token.
    Unauthenticated(&'static str),
    /// Signed in, but not allowed to do this.
    Forbidden(String),
    /// The thing asked for does not exist.
    NotFound(&'static str),
    /// An argument is malformed or out of range.
    BadInput {
        /// Path of the offending input field, e.g. `input.username`.
        field: String,
        /// What is wrong with it, for people.
        message: String,
    },
    /// Someone already has that username (compared without case).
    UsernameTaken,
    /// Unknown username or wrong password; deliberately the same error for both.
    InvalidCredentials,
    /// The poll is scheduled or closed.
    PollNotOpen(String),
    /// The chosen options do not fit the poll.
    InvalidOption(String),
    /// The user already has a ballot on this poll.
    AlreadyVoted,
    /// The idempotency key was used before with another input.
    IdempotencyKeyReused,
    /// The anonymous poll's ballots were written with another ballot key.
    BallotKeyChanged,
    /// The poll's results are not visible to this viewer (yet).
    ResultsHidden(String),
    /// The user already has as many of something as they may (e.g. webhook endpoints).
    LimitReached(String),
    /// The poll admits invited voters only, and this voter holds no invitation to it.
    NotInvited,
    /// No invitation has this code.
    InvitationNotFound,
    /// The invitation was revoked by the poll's owner.
    InvitationRevoked,
    /// The invitation was redeemed already (by someone else, when redeeming).
    InvitationAlreadyRedeemed,
    /// Too many requests; try again after the given time.
    RateLimited {
        /// When the next attempt will be allowed.
        retry_after: Duration,
    },
    /// The server is saturated; the request was not performed, retry after the given time.
    Overloaded {
        /// A suggested wait before retrying.
        retry_after: Duration,
    },
    /// The poll admits accounts only and the voter is a guest.
    GuestsNotAllowed,
    /// A guest session's proof of work was refused.
    ProofOfWork(PowRefusal),
    /// A claim would give the account two ballots on these polls; nothing moved.
    ClaimConflict {
        /// The polls both the guest and the account voted on.
        poll_ids: Vec<uuid::Uuid>,
    },
    /// The guest's ballots were claimed before.
    GuestAlreadyClaimed,
    /// The instance already streams as many exports as `TALLY_EXPORT_MAX_CONCURRENT` allows.
    TooManyExports,
    /// The poll was stored with a kind or setting this version does not know (written by
    /// a newer one); the detail names it.
    UnsupportedPoll(String),
    /// Anything unexpected. Logged at the boundary; the client learns nothing more.
    Internal(anyhow::Error),
}

/// Why a guest session's proof of work was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowRefusal {
    /// Missing or malformed challenge or nonce.
    Required,
    /// The challenge expired.
    Expired,
    /// The challenge was used before.
    Reused,
    /// Not our signature, or not enough work.
    Invalid,
}

impl AppError {
    /// The stable `extensions.code` clients match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::BadInput { .. } => ErrorCode::BadUserInput,
            AppError::UsernameTaken => ErrorCode::UsernameTaken,
            AppError::InvalidCredentials => ErrorCode::InvalidCredentials,
            AppError::PollNotOpen(_) => ErrorCode::PollNotOpen,
            AppError::InvalidOption(_) => ErrorCode::InvalidOption,
            AppError::AlreadyVoted => ErrorCode::AlreadyVoted,
            AppError::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            AppError::BallotKeyChanged => ErrorCode::BallotKeyChanged,
            AppError::ResultsHidden(_) => ErrorCode::ResultsHidden,
            AppError::LimitReached(_) => ErrorCode::LimitReached,
            AppError::NotInvited => ErrorCode::NotInvited,
            AppError::InvitationNotFound => ErrorCode::InvitationNotFound,
            AppError::InvitationRevoked => ErrorCode::InvitationRevoked,
            AppError::InvitationAlreadyRedeemed => ErrorCode::InvitationAlreadyRedeemed,
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::Overloaded { .. } => ErrorCode::Overloaded,
            AppError::GuestsNotAllowed => ErrorCode::GuestsNotAllowed,
            AppError::ProofOfWork(why) => match why {
                PowRefusal::Required => ErrorCode::ProofOfWorkRequired,
                PowRefusal::Expired => ErrorCode::ProofOfWorkExpired,
                PowRefusal::Reused => ErrorCode::ProofOfWorkReused,
                PowRefusal::Invalid => ErrorCode::ProofOfWorkInvalid,
            },
            AppError::ClaimConflict { .. } => ErrorCode::ClaimConflict,
            AppError::GuestAlreadyClaimed => ErrorCode::GuestAlreadyClaimed,
            AppError::TooManyExports => ErrorCode::TooManyExports,
            AppError::UnsupportedPoll(_) => ErrorCode::UnsupportedPoll,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The message shown to the client.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(why) => format!("not signed in: {why}"),
            AppError::Forbidden(why) => why.clone(),
            AppError::NotFound(what) => format!("{what} not found"),
            AppError::BadInput { message, .. } => message.clone(),
            AppError::UsernameTaken => "that username is taken".into(),
            AppError::InvalidCredentials => "wrong username or password".into(),
            AppError::PollNotOpen(why) => why.clone(),
            AppError::InvalidOption(why) => why.clone(),
            AppError::AlreadyVoted => "you have already voted in this poll".into(),
            AppError::IdempotencyKeyReused => {
                "this idempotency key was already used with a different input".into()
            }
            AppError::BallotKeyChanged => {
                "this anonymous poll's ballots were written with another ballot key; \
                 it takes no votes until the server runs with that key again"
                    .into()
            }
            AppError::ResultsHidden(why) => why.clone(),
            AppError::LimitReached(why) => why.clone(),
            AppError::NotInvited => {
                "only invited voters may vote in this poll; redeem your invitation first".into()
            }
            AppError::InvitationNotFound => "no invitation has this code".into(),
            AppError::InvitationRevoked => "this invitation was revoked by the poll's owner".into(),
            AppError::InvitationAlreadyRedeemed => "this invitation was already redeemed".into(),
            AppError::RateLimited { .. } => "too many requests, slow down".into(),
            AppError::Overloaded { .. } => "the server is busy, try again shortly".into(),
            AppError::GuestsNotAllowed => {
                "this poll is for accounts only; sign up or sign in to vote".into()
            }
            AppError::ProofOfWork(why) => match why {
                PowRefusal::Required => "solve a guestChallenge and send it with its nonce".into(),
                PowRefusal::Expired => "the challenge expired; ask for a new one".into(),
                PowRefusal::Reused => "the challenge was already used; ask for a new one".into(),
                PowRefusal::Invalid => "the challenge or its solution is not valid".into(),
            },
            AppError::ClaimConflict { .. } => {
                "this account already voted on polls the guest voted on; nothing was moved".into()
            }
            AppError::GuestAlreadyClaimed => "these guest votes were already claimed".into(),
            AppError::TooManyExports => {
                "the server is busy with other exports, try again shortly".into()
            }
            AppError::UnsupportedPoll(detail) => {
                format!("this poll uses a setting this server version does not know ({detail})")
            }
            AppError::Internal(_) => "internal error".into(),
        }
    }

    /// A `BAD_USER_INPUT` error for one field.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Prefixes the field path of a `BAD_USER_INPUT` error (e.g. with `input.`).
    pub fn in_field(self, prefix: &str) -> Self {
        match self {
            AppError::BadInput { field, message } => AppError::BadInput {
                field: format!("{prefix}.{field}"),
                message,
            },
            other => other,
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        AppError::Internal(error)
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        AppError::Internal(anyhow::Error::new(error).context("database"))
    }
}

/// Whole seconds to wait, rounded up, never zero.
fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        if let AppError::Internal(cause) = &error {
            // The one place an unexpected error is logged; the span carries the request id.
            tracing::error!(error = ?cause, "request failed");
        }
        let mut graphql = async_graphql::Error::new(error.message());
        let extensions = graphql.extensions.get_or_insert_with(Default::default);
        extensions.set("code", error.code().as_str());
        match &error {
            AppError::BadInput { field, .. } => extensions.set("field", field.as_str()),
            AppError::RateLimited { retry_after } | AppError::Overloaded { retry_after } => {
                extensions.set("retryAfterSeconds", retry_after_seconds(*retry_after))
            }
            AppError::ClaimConflict { poll_ids } => extensions.set(
                "pollIds",
                poll_ids
                    .iter()
                    .map(|id| async_graphql::Value::from(id.to_string()))
                    .collect::<Vec<_>>(),
            ),
            _ => {}
        }
        graphql
    }
}

/// The result of a service call.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }

    #[test]
    fn internal_errors_leak_nothing() {
        let error: async_graphql::Error =
            AppError::Internal(anyhow::anyhow!("password=hunter2 in table users")).into();
        assert_eq!(error.message, "internal error");
        let extensions = error.extensions.expect("extensions are set");
        assert_eq!(
            extensions.get("code"),
            Some(&async_graphql::Value::from("INTERNAL"))
        );
    }
}
