//! Domain types: inputs parsed once at the edge, so services never re-check raw strings.
//!
//! Each type has private fields and a `parse` that returns [`AppError::BadInput`]
//! naming the offending field (parse, don't validate).
//!
//! [`AppError::BadInput`]: crate::error::AppError::BadInput

mod account;
pub mod counting;
pub mod ids;
pub mod invitation;
pub mod join_code;
pub mod kinds;
pub mod poll;
mod records;
pub mod rulebook;
pub mod text;
pub mod vote;
pub mod voter;
pub mod webhook;

pub use account::{Password, Username};
pub use ids::{OptionId, PollId, UserId, VoteId};
pub use invitation::{Invitation, InvitationBatch, InvitationCounts, InvitationStatus};
pub use join_code::JoinCode;
pub use kinds::{Ballot, TallyContribution};
pub use poll::{
    NewPoll, PollDraft, PollKind, PollListing, PollStatus, PollVoters, ResultsVisibility,
};
pub use records::{Poll, PollOption, Tally, Vote};
pub use vote::{IdempotencyKey, RequestHash, VoteAction};
pub use voter::Voter;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An account (or a guest) as the rest of the application sees it (never with its
/// password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// UUID v7.
    pub id: Uuid,
    /// The username as typed at sign-up (`guest-<8 hex>` for a guest).
    pub username: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// A guest: created by `startGuestSession`, without a password.
    pub guest: bool,
}
