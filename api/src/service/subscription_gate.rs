//! Who may subscribe to a poll's live results, and to what: the one check shared by
//! the `pollResults` resolver and the WebSocket layer's shared feeds.

use uuid::Uuid;

use super::{PollService, ResultsService, SubscriptionAccess, VoteService};
use crate::domain::{Poll, ResultsVisibility};
use crate::error::{AppError, AppResult};

/// Admits subscribers to polls' results.
#[derive(Clone)]
pub struct SubscriptionGate {
    polls: PollService,
    votes: VoteService,
    results: ResultsService,
}

impl SubscriptionGate {
    /// The gate over the services it asks.
    pub fn new(polls: PollService, votes: VoteService, results: ResultsService) -> Self {
        SubscriptionGate {
            polls,
            votes,
            results,
        }
    }

    /// The poll and what `viewer` may receive of it; `NOT_FOUND` or `RESULTS_HIDDEN`
    /// otherwise.
    pub async fn admit(
        &self,
        poll: Uuid,
        viewer: Option<Uuid>,
    ) -> AppResult<(Poll, SubscriptionAccess)> {
        let poll = self
            .polls
            .get_many(&[poll])
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("poll"))?;
        let has_voted = match viewer {
            Some(user)
                if poll.results_visibility == ResultsVisibility::AfterVote
                    && user != poll.owner_id =>
            {
                !self.votes.ballots_of(user, &[poll.id]).await?.is_empty()
            }
            _ => false,
        };
        let access = self.results.subscription_access(&poll, viewer, has_voted)?;
        Ok((poll, access))
    }
}
