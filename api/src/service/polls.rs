//! Polls: creating, reading, listing and closing them.

use std::sync::Arc;

use uuid::Uuid;

use super::ballot_owner::BallotOwners;
use crate::clock::Clock;
use crate::domain::{JoinCode, Poll, PollDraft, PollOption, PollStatus};
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

/// The listing rule: whether a listing may show `UNLISTED` polls. Only a list that is
/// the viewer's own may: their own polls (`ownerId` is the viewer) or the polls they
/// voted in (`votedByViewer: true`), which they reached by the link. Every other list —
/// no filter, another owner's polls, polls the viewer did not vote in — is the public
/// list and shows `LISTED` polls only.
fn shows_unlisted(viewer: Option<Uuid>, filter: &PollFilter) -> bool {
    let Some(viewer) = viewer else {
        return false;
    };
    filter.owner_id == Some(viewer) || filter.voted_by_viewer == Some(true)
}

/// Which slice of a listing (newest first) to return: Relay's `first`/`after` or
/// `last`/`before`.
#[derive(Debug, Clone, Copy)]
pub struct PageWindow {
    /// How many polls.
    pub count: u64,
    /// Take them from the end of the list (`last`) rather than its start (`first`).
    pub from_end: bool,
    /// Only polls after this one in the list (older).
    pub after: Option<Uuid>,
    /// Only polls before this one in the list (newer).
    pub before: Option<Uuid>,
}

/// A page of polls, newest first.
#[derive(Debug, Clone)]
pub struct PollPage {
    /// The polls.
    pub polls: Vec<Poll>,
    /// Whether more polls lie beyond the page in the direction it was taken: older
    /// ones for a page from the start, newer ones for a page from the end.
    pub has_more: bool,
}

/// Polls and their lifecycle.
#[derive(Clone)]
pub struct PollService {
    store: Store,
    /// Names the ballot key an anonymous poll is created with.
    owners: BallotOwners,
    limiter: Limiter,
    live: LiveState,
    clock: Arc<dyn Clock>,
}

impl PollService {
    /// The service over its ports.
    pub fn new(
        store: Store,
        owners: BallotOwners,
        limiter: Limiter,
        live: LiveState,
        clock: Arc<dyn Clock>,
    ) -> Self {
        PollService {
            store,
            owners,
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
        let ballot_key_id = poll.anonymous.then(|| self.owners.key_id());
        self.store
            .insert_poll(owner, &poll, ballot_key_id, now)
            .await
    }

    /// The poll a join code opens, if any; `BAD_USER_INPUT` for a malformed code.
    pub async fn by_code(&self, typed: &str) -> AppResult<Option<Poll>> {
        let code = JoinCode::parse(typed)?;
        self.store.find_poll_by_code(&code).await
    }

    /// Polls by id; unknown ids are left out.
    pub async fn get_many(&self, ids: &[Uuid]) -> AppResult<Vec<Poll>> {
        self.store.find_polls(ids).await
    }

    /// The options of these polls, by poll then position.
    pub async fn options_of(&self, polls: &[Uuid]) -> AppResult<Vec<PollOption>> {
        self.store.options_of(polls).await
    }

    /// Options by their own ids; unknown ids are left out.
    pub async fn find_options(&self, ids: &[Uuid]) -> AppResult<Vec<PollOption>> {
        self.store.find_options(ids).await
    }

    /// A page of the polls `filter` matches.
    pub async fn list(
        &self,
        viewer: Option<Uuid>,
        window: PageWindow,
        filter: &PollFilter,
    ) -> AppResult<PollPage> {
        let query = self.page_query(viewer, window, filter)?;
        let (polls, has_more) = self.store.list_polls(&query).await?;
        Ok(PollPage { polls, has_more })
    }

    /// How many polls `filter` matches in all.
    pub async fn count(&self, viewer: Option<Uuid>, filter: &PollFilter) -> AppResult<u64> {
        let everything = PageWindow {
            count: 0,
            from_end: false,
            after: None,
            before: None,
        };
        let query = self.page_query(viewer, everything, filter)?;
        self.store.count_polls(&query).await
    }

    fn page_query(
        &self,
        viewer: Option<Uuid>,
        window: PageWindow,
        filter: &PollFilter,
    ) -> AppResult<PollPageQuery> {
        let voted_by = match (filter.voted_by_viewer, viewer) {
            (None, _) => None,
            (Some(voted), Some(user)) => Some((user, voted)),
            (Some(_), None) => {
                return Err(AppError::Unauthenticated("sign in to filter by your votes"));
            }
        };
        Ok(PollPageQuery {
            count: window.count,
            from_end: window.from_end,
            after: window.after,
            before: window.before,
            owner_id: filter.owner_id,
            status: filter.status,
            voted_by,
            listed_only: !shows_unlisted(viewer, filter),
            now: self.clock.now(),
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(owner_id: Option<Uuid>, voted_by_viewer: Option<bool>) -> PollFilter {
        PollFilter {
            owner_id,
            status: None,
            voted_by_viewer,
        }
    }

    #[test]
    fn only_the_viewers_own_lists_show_unlisted_polls() {
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        assert!(shows_unlisted(Some(me), &filter(Some(me), None)));
        assert!(shows_unlisted(Some(me), &filter(None, Some(true))));
        assert!(shows_unlisted(Some(me), &filter(Some(other), Some(true))));
        assert!(!shows_unlisted(Some(me), &filter(None, None)));
        assert!(!shows_unlisted(Some(me), &filter(Some(other), None)));
        assert!(shows_unlisted(Some(me), &filter(Some(me), Some(false))));
        assert!(!shows_unlisted(Some(me), &filter(None, Some(false))));
        assert!(!shows_unlisted(None, &filter(Some(me), None)));
    }
}
