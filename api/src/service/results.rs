//! Results: tallies turned into what people see, and who may see them.
//!
//! The same [`ResultsService::check_visible`] guards every channel (queries, and
//! subscriptions before each tally whose viewer's right to it can lapse), so visibility
//! cannot differ between them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::kinds::{
    self,
    results::{KindResults, UnreadableGroups},
};
use crate::domain::{Poll, PollStatus, ResultsVisibility, Tally};
use crate::error::{AppError, AppResult};
use crate::live::LiveState;

/// One option's share of a tally.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionShare {
    /// The option.
    pub option_id: Uuid,
    /// Ballots choosing it.
    pub votes: i64,
    /// Share of ballots choosing it, in percent, to one decimal.
    pub percentage: f64,
}

/// A poll's results as shown to people.
#[derive(Debug, Clone, PartialEq)]
pub struct PollResults {
    /// The poll.
    pub poll_id: Uuid,
    /// Number of ballots.
    pub total_votes: i64,
    /// Grows with every change of the tally.
    pub version: i64,
    /// When the tally was taken.
    pub as_of: DateTime<Utc>,
    /// True once the poll is closed: these are the final results.
    pub is_final: bool,
    /// Per option, in the poll's order.
    pub options: Vec<OptionShare>,
    /// What the poll's kind shows besides the counters (RANKED rounds, SCORE
    /// averages); an error when the tally's groups do not read as the kind's.
    pub kind: Result<KindResults, UnreadableGroups>,
}

/// `part` of `total` in percent, rounded to one decimal; 0 when there are no ballots.
pub fn percentage(part: i64, total: i64) -> f64 {
    if total <= 0 {
        return 0.0;
    }
    (part as f64 * 1000.0 / total as f64).round() / 10.0
}

impl PollResults {
    /// Results from a tally of `poll`, judged final at `now`.
    pub fn from_tally(poll: &Poll, tally: &Tally, now: DateTime<Utc>) -> Self {
        let kind = kinds::results::results(poll.kind, tally.counts.len(), poll.score_range, tally);
        PollResults {
            kind,
            poll_id: tally.poll_id,
            total_votes: tally.total_votes,
            version: tally.version,
            as_of: tally.as_of,
            is_final: poll.status(now) == PollStatus::Closed,
            options: tally
                .counts
                .iter()
                .map(|&(option_id, votes)| OptionShare {
                    option_id,
                    votes,
                    percentage: percentage(votes, tally.total_votes),
                })
                .collect(),
        }
    }
}

/// What a subscriber to a poll's results receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionAccess {
    /// Every tally.
    Live,
    /// Every tally for as long as the viewer holds a ballot (an AFTER_VOTE poll before
    /// it closes): checked again before each tally, a retraction ends the subscription
    /// with `RESULTS_HIDDEN`.
    WhileVoted,
    /// Only the final tally, when the poll closes.
    FinalOnly,
}

impl SubscriptionAccess {
    /// Whether every tally is sent (not only the final one).
    pub fn sends_every_tally(self) -> bool {
        self != SubscriptionAccess::FinalOnly
    }
}

/// Reads tallies and decides who may see them.
#[derive(Clone)]
pub struct ResultsService {
    live: LiveState,
    clock: Arc<dyn Clock>,
}

impl ResultsService {
    /// The service over its ports.
    pub fn new(live: LiveState, clock: Arc<dyn Clock>) -> Self {
        ResultsService { live, clock }
    }

    /// `RESULTS_HIDDEN` unless `viewer` may see the poll's results now. The owner always
    /// may; see [`ResultsVisibility`] for everyone else.
    pub fn check_visible(
        &self,
        poll: &Poll,
        viewer: Option<Uuid>,
        has_voted: bool,
    ) -> AppResult<()> {
        if viewer == Some(poll.owner_id) {
            return Ok(());
        }
        let closed = poll.status(self.clock.now()) == PollStatus::Closed;
        let hidden = |why: &str| Err(AppError::ResultsHidden(why.to_owned()));
        match poll.results_visibility {
            ResultsVisibility::Always => Ok(()),
            ResultsVisibility::AfterVote if has_voted || closed => Ok(()),
            ResultsVisibility::AfterVote => hidden("results are shown once you have voted"),
            ResultsVisibility::AfterClose if closed => Ok(()),
            ResultsVisibility::AfterClose => hidden("results are shown once the poll closes"),
            ResultsVisibility::OwnerOnly => hidden("only the poll's owner sees its results"),
        }
    }

    /// What a `pollResults` subscriber may receive: live tallies, only the final one
    /// (AFTER_CLOSE before the close), or nothing (`RESULTS_HIDDEN`, as for queries).
    /// An AFTER_VOTE poll is refused before the viewer has voted: they subscribe again
    /// after voting, rather than hold a subscription that watches for their vote. Once
    /// admitted, an AFTER_VOTE voter receives tallies only while they hold their ballot
    /// ([`SubscriptionAccess::WhileVoted`]), as a query would show them.
    pub fn subscription_access(
        &self,
        poll: &Poll,
        viewer: Option<Uuid>,
        has_voted: bool,
    ) -> AppResult<SubscriptionAccess> {
        let closed = poll.status(self.clock.now()) == PollStatus::Closed;
        if poll.results_visibility == ResultsVisibility::AfterClose
            && !closed
            && viewer != Some(poll.owner_id)
        {
            return Ok(SubscriptionAccess::FinalOnly);
        }
        self.check_visible(poll, viewer, has_voted)?;
        if poll.results_visibility == ResultsVisibility::AfterVote
            && !closed
            && viewer != Some(poll.owner_id)
        {
            return Ok(SubscriptionAccess::WhileVoted);
        }
        Ok(SubscriptionAccess::Live)
    }

    /// Current tallies of these polls (live, rebuilt from the database where missing).
    pub async fn tallies(&self, polls: &[Uuid]) -> AppResult<Vec<Tally>> {
        self.live.tallies(polls).await
    }

    /// The instant results are judged at.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Results of `poll` from its tally, as of now.
    pub fn results(&self, poll: &Poll, tally: &Tally) -> PollResults {
        PollResults::from_tally(poll, tally, self.clock.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_have_one_decimal() {
        assert_eq!(percentage(1, 3), 33.3);
        assert_eq!(percentage(2, 3), 66.7);
        assert_eq!(percentage(0, 0), 0.0);
        assert_eq!(percentage(5, 5), 100.0);
    }
}
