//! Who may subscribe to a poll's live results, and to what: the one check shared by
//! the `pollResults` resolver and the WebSocket layer's shared feeds.
//!
//! Admission is not forever where it rests on something the viewer can undo: an
//! AFTER_VOTE voter who retracts their ballot may no longer see the tallies, so such a
//! subscriber is checked again before each tally it receives ([`Recheck`]). Ten
//! thousand subscribers of a poll receive each tally at the same moment; their checks
//! are answered in rounds, one query per poll for everyone waiting, so the cost grows
//! with the polls watched, not with their watchers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
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
    /// Subscribers waiting for the next round of rechecks, by poll. A poll has an entry
    /// while a task runs its rounds (an empty list: none waiting for the next one).
    waiting: Arc<Mutex<HashMap<Uuid, Vec<Waiting>>>>,
}

/// A subscriber waiting to be checked again.
struct Waiting {
    user: Uuid,
    answer: oneshot::Sender<AppResult<()>>,
}

/// A subscriber whose admission can lapse (an AFTER_VOTE voter, by retracting), to be
/// checked again before each tally it receives.
#[derive(Clone)]
pub struct Recheck {
    gate: SubscriptionGate,
    poll: Uuid,
    user: Uuid,
}

impl Recheck {
    /// `Ok` while the subscriber may still see the poll's results; `RESULTS_HIDDEN` (or
    /// what else stops it, as on a query) once it may not.
    pub async fn still_admitted(&self) -> AppResult<()> {
        self.gate.check_again(self.poll, self.user).await
    }
}

impl SubscriptionGate {
    /// The gate over the services it asks.
    pub fn new(polls: PollService, votes: VoteService, results: ResultsService) -> Self {
        SubscriptionGate {
            polls,
            votes,
            results,
            waiting: Arc::default(),
        }
    }

    /// The poll and what `viewer` may receive of it; `NOT_FOUND` or `RESULTS_HIDDEN`
    /// otherwise.
    pub async fn admit(
        &self,
        poll: Uuid,
        viewer: Option<Uuid>,
    ) -> AppResult<(Poll, SubscriptionAccess)> {
        let poll = self.poll(poll).await?;
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

    /// What must be checked again before each tally for a subscriber admitted with
    /// `access`: nothing, unless its admission can lapse.
    pub fn recheck_for(
        &self,
        poll: Uuid,
        viewer: Option<Uuid>,
        access: SubscriptionAccess,
    ) -> Option<Recheck> {
        match (access, viewer) {
            (SubscriptionAccess::WhileVoted, Some(user)) => Some(Recheck {
                gate: self.clone(),
                poll,
                user,
            }),
            _ => None,
        }
    }

    async fn poll(&self, poll: Uuid) -> AppResult<Poll> {
        self.polls
            .get_many(&[poll])
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("poll"))
    }

    /// Whether `user` may still see `poll`'s results, answered in the poll's next round.
    async fn check_again(&self, poll: Uuid, user: Uuid) -> AppResult<()> {
        let (answer, answered) = oneshot::channel();
        let first = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
            let runs = waiting.contains_key(&poll);
            waiting
                .entry(poll)
                .or_default()
                .push(Waiting { user, answer });
            !runs
        };
        if first {
            // Its own task, so a subscriber that leaves mid-round strands no one.
            tokio::spawn(self.clone().rounds(poll));
        }
        answered.await.unwrap_or_else(|_| {
            Err(AppError::Internal(anyhow::anyhow!(
                "the recheck round ended without an answer"
            )))
        })
    }

    /// Answers everyone waiting on `poll`, round after round, until none is left.
    async fn rounds(self, poll: Uuid) {
        loop {
            let round = {
                let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
                let round = waiting
                    .get_mut(&poll)
                    .map(std::mem::take)
                    .unwrap_or_default();
                if round.is_empty() {
                    waiting.remove(&poll);
                    return;
                }
                round
            };
            let users: Vec<Uuid> = round.iter().map(|w| w.user).collect();
            match self.ballot_holders(poll, &users).await {
                Ok((poll, holders)) => {
                    for waiting in round {
                        let user = waiting.user;
                        let visible =
                            self.results
                                .check_visible(&poll, Some(user), holders.contains(&user));
                        let _ = waiting.answer.send(visible);
                    }
                }
                Err(e) => {
                    // Each subscriber's stream ends with `INTERNAL`, the cause logged
                    // where its error leaves.
                    for waiting in round {
                        let _ = waiting.answer.send(Err(AppError::Internal(anyhow::anyhow!(
                            "rechecking subscribers of poll {poll} failed: {e:?}"
                        ))));
                    }
                }
            }
        }
    }

    /// The poll as it is now, and which of `users` hold a ballot on it.
    async fn ballot_holders(&self, poll: Uuid, users: &[Uuid]) -> AppResult<(Poll, HashSet<Uuid>)> {
        let poll = self.poll(poll).await?;
        let holders = self.votes.ballot_holders(poll.id, users).await?;
        Ok((poll, holders.into_iter().collect()))
    }
}
