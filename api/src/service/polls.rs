//! Polls: creating, reading, listing and closing them.

use std::sync::Arc;

use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::{Poll, PollDraft, PollOption, PollStatus};
use crate::error::{AppError, AppResult};
use crate::limits::{Bucket, Limiter};
use crate::live::LiveState;
use crate::store::{PollPageQuery, Store};

/// Which polls a listing wants.
#[derive(Debug, Clone, Default)]
pub struct PollFilter {
    /// Only this owner's polls.
    pub owner_id: Option<Uuid>,
    /// Only polls in this status now.
    pub status: Option<PollStatus>,
    /// Only polls the viewer voted in (`true`) or did not (`false`).
    pub voted_by_viewer: Option<bool>,
}

/// A page of polls, newest first.
#[derive(Debug, Clone)]
pub struct PollPage {
    /// The polls.
    pub polls: Vec<Poll>,
    /// Whether older polls follow.
    pub has_next: bool,
}

/// Polls and their lifecycle.
#[derive(Clone)]
pub struct PollService {
    store: Store,
    limiter: Limiter,
    live: LiveState,
    clock: Arc<dyn Clock>,
}

impl PollService {
    /// The service over its ports.
    pub fn new(store: Store, limiter: Limiter, live: LiveState, clock: Arc<dyn Clock>) -> Self {
        PollService {
            store,
            limiter,
            live,
            clock,
        }
    }

    /// Creates a poll owned by `owner` after checking every rule.
    pub async fn create(
        &self,
        owner: Uuid,
        draft: PollDraft,
    ) -> AppResult<(Poll, Vec<PollOption>)> {
        self.limiter
            .check(Bucket::CreatePoll, &owner.to_string())
            .await?;
        let now = self.clock.now();
        let poll = draft.parse(now)?;
        self.store.insert_poll(owner, &poll, now).await
    }

    /// Polls by id; unknown ids are left out.
    pub async fn get_many(&self, ids: &[Uuid]) -> AppResult<Vec<Poll>> {
        self.store.find_polls(ids).await
    }

    /// The options of these polls, by poll then position.
    pub async fn options_of(&self, polls: &[Uuid]) -> AppResult<Vec<PollOption>> {
        self.store.options_of(polls).await
    }

    /// A page of polls after the cursor `after`, filtered.
    pub async fn list(
        &self,
        viewer: Option<Uuid>,
        first: u64,
        after: Option<Uuid>,
        filter: PollFilter,
    ) -> AppResult<PollPage> {
        let voted_by = match (filter.voted_by_viewer, viewer) {
            (None, _) => None,
            (Some(voted), Some(user)) => Some((user, voted)),
            (Some(_), None) => {
                return Err(AppError::Unauthenticated("sign in to filter by your votes"));
            }
        };
        let query = PollPageQuery {
            first,
            after,
            owner_id: filter.owner_id,
            status: filter.status,
            voted_by,
            now: self.clock.now(),
        };
        let (polls, has_next) = self.store.list_polls(&query).await?;
        Ok(PollPage { polls, has_next })
    }

    /// Closes a poll now; only its owner may. Closing a closed poll changes nothing.
    /// Subscribers receive the final tally.
    pub async fn close(&self, id: Uuid, owner: Uuid) -> AppResult<Poll> {
        let poll = self.store.close_poll(id, owner, &*self.clock).await?;
        self.live.poll_closed(poll.id).await?;
        Ok(poll)
    }

    /// The instant the service judges statuses at.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
