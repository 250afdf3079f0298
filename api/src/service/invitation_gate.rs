//! The door of an `INVITED` poll: casting or changing a ballot there needs a redeemed
//! invitation held by the voter. Injected into [`super::VoteService`], which asks only
//! for polls whose rules say `INVITED`, so other polls pay nothing.

use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::store::Store;

/// Whether a voter holds an invitation to a poll.
#[derive(Clone)]
pub struct InvitationGate {
    store: Store,
}

impl InvitationGate {
    /// The gate over the store that keeps invitations.
    pub fn new(store: Store) -> Self {
        InvitationGate { store }
    }

    /// `Ok` when `voter` holds a redeemed invitation to `poll`, `NOT_INVITED` otherwise.
    /// Asked on every cast and change rather than cached: an answer is one indexed read,
    /// and a claim may move an invitation from a guest to an account at any time.
    pub async fn admit(&self, poll: Uuid, voter: Uuid) -> AppResult<()> {
        match self.store.holds_invitation(poll, voter).await? {
            true => Ok(()),
            false => Err(AppError::NotInvited),
        }
    }
}
