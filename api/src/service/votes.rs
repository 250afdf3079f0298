//! Votes: `castVote` through the group-commit writer; `changeVote` and `retractVote`
//! in their own transactions. Each answers only after its transaction committed.

use std::sync::Arc;

use uuid::Uuid;

use super::poll_rules::PollRulesCache;
use crate::clock::Clock;
use crate::domain::vote::request_hash;
use crate::domain::{Choice, IdempotencyKey, PollStatus, Vote, VoteAction};
use crate::error::{AppError, AppResult};
use crate::store::{
    CastOutcome, CastRequest, ChangeOutcome, ChangeRequest, Store, TallySink, VoteWriter,
};

/// A vote mutation's answer: the ballot, and whether this was a replay of an earlier call.
#[derive(Debug, Clone)]
pub struct VoteReceipt {
    /// The ballot as the first call left it (or as it now stands, after a change).
    pub vote: Vote,
    /// True when the key was used before with the same input.
    pub replayed: bool,
}

/// Casting, changing and retracting ballots.
#[derive(Clone)]
pub struct VoteService {
    store: Store,
    writer: VoteWriter,
    rules: PollRulesCache,
    sink: Arc<dyn TallySink>,
    clock: Arc<dyn Clock>,
}

fn not_open(status: PollStatus) -> AppError {
    AppError::PollNotOpen(match status {
        PollStatus::Scheduled => "this poll is not open for votes yet".into(),
        _ => "this poll is closed".into(),
    })
}

impl VoteService {
    /// The service over its ports.
    pub fn new(
        store: Store,
        writer: VoteWriter,
        sink: Arc<dyn TallySink>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        VoteService {
            rules: PollRulesCache::new(store.clone()),
            store,
            writer,
            sink,
            clock,
        }
    }

    /// Casts a ballot, exactly once per user and poll, whatever the retries.
    pub async fn cast(
        &self,
        user: Uuid,
        poll: Uuid,
        options: Vec<Uuid>,
        key: IdempotencyKey,
        request_id: Option<String>,
    ) -> AppResult<VoteReceipt> {
        let choice = Choice::new(options)?;
        self.rules.get(poll).await?.check(&choice)?;
        let request = CastRequest {
            vote_id: Uuid::now_v7(),
            poll_id: poll,
            user_id: user,
            request_hash: request_hash(VoteAction::Cast, poll, Some(&choice)),
            choice,
            key,
            request_id,
        };
        match self.writer.submit(request).await? {
            CastOutcome::Recorded(vote) => Ok(VoteReceipt {
                vote,
                replayed: false,
            }),
            CastOutcome::Replayed(vote) => Ok(VoteReceipt {
                vote,
                replayed: true,
            }),
            CastOutcome::AlreadyVoted => Err(AppError::AlreadyVoted),
            CastOutcome::KeyReused => Err(AppError::IdempotencyKeyReused),
            CastOutcome::PollNotOpen(status) => Err(not_open(status)),
            CastOutcome::PollMissing => Err(AppError::NotFound("poll")),
            CastOutcome::Retry => Err(AppError::Internal(anyhow::anyhow!(
                "the vote writer returned an undecided call"
            ))),
        }
    }

    /// Replaces the options of the user's ballot, where the poll allows it.
    pub async fn change(
        &self,
        user: Uuid,
        poll: Uuid,
        options: Vec<Uuid>,
        key: IdempotencyKey,
        request_id: Option<String>,
    ) -> AppResult<VoteReceipt> {
        let choice = Choice::new(options)?;
        self.rules.get(poll).await?.check(&choice)?;
        let hash = request_hash(VoteAction::Change, poll, Some(&choice));
        self.apply_change(ChangeRequest {
            poll_id: poll,
            user_id: user,
            choice: Some(choice),
            key,
            request_hash: hash,
            request_id,
        })
        .await
    }

    /// Removes the user's ballot, where the poll allows it; they may vote again later.
    pub async fn retract(
        &self,
        user: Uuid,
        poll: Uuid,
        key: IdempotencyKey,
        request_id: Option<String>,
    ) -> AppResult<VoteReceipt> {
        self.apply_change(ChangeRequest {
            poll_id: poll,
            user_id: user,
            choice: None,
            request_hash: request_hash(VoteAction::Retract, poll, None),
            key,
            request_id,
        })
        .await
    }

    async fn apply_change(&self, request: ChangeRequest) -> AppResult<VoteReceipt> {
        let (outcome, tally) = self
            .store
            .commit_vote_change(&request, &*self.clock)
            .await?;
        if let Some(tally) = tally {
            self.sink.committed(vec![tally]);
        }
        let (vote, replayed) = match outcome {
            ChangeOutcome::Changed(vote) | ChangeOutcome::Retracted(vote) => (vote, false),
            ChangeOutcome::Replayed(vote) => (vote, true),
            ChangeOutcome::KeyReused => return Err(AppError::IdempotencyKeyReused),
            ChangeOutcome::NoBallot => {
                return Err(AppError::NotFound("your ballot on this poll"));
            }
            ChangeOutcome::NotAllowed => {
                return Err(AppError::Forbidden(
                    "this poll does not allow changing or retracting a vote".into(),
                ));
            }
            ChangeOutcome::PollNotOpen(status) => return Err(not_open(status)),
            ChangeOutcome::PollMissing => return Err(AppError::NotFound("poll")),
        };
        Ok(VoteReceipt { vote, replayed })
    }

    /// The user's ballots on these polls.
    pub async fn ballots_of(&self, user: Uuid, polls: &[Uuid]) -> AppResult<Vec<Vote>> {
        self.store.ballots_of(user, polls).await
    }
}
