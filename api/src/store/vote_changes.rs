//! Changing and retracting a ballot, each in its own transaction.
//!
//! These are rare next to `castVote`, so they are not batched. Like a cast, each takes
//! the poll's row lock first, records its key in the audit log (so a retry replays), and
//! moves the counters in the same transaction as the ballot.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entity::{polls, vote_choices, vote_events, votes};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::Store;
use super::ballots::load_votes;
use super::tallies::{CounterDeltas, read_tallies};
use crate::clock::Clock;
use crate::domain::vote::{join_ids, split_ids};
use crate::domain::{Choice, IdempotencyKey, PollStatus, Tally, Vote, VoteAction};

/// A `changeVote` (with a new choice) or `retractVote` (without).
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    /// The poll.
    pub poll_id: Uuid,
    /// The voter.
    pub user_id: Uuid,
    /// The new choice; `None` retracts the ballot.
    pub choice: Option<Choice>,
    /// The call's idempotency key.
    pub key: IdempotencyKey,
    /// Fingerprint of the call's input.
    pub request_hash: String,
    /// The HTTP request that carried it.
    pub request_id: Option<String>,
}

impl ChangeRequest {
    fn action(&self) -> VoteAction {
        if self.choice.is_some() {
            VoteAction::Change
        } else {
            VoteAction::Retract
        }
    }
}

/// What became of a change or retraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// The ballot now holds the new choice.
    Changed(Vote),
    /// The ballot was removed; this was it.
    Retracted(Vote),
    /// The key was used before with the same input: the first answer again.
    Replayed(Vote),
    /// The key was used before with another input.
    KeyReused,
    /// The user has no ballot on the poll.
    NoBallot,
    /// The poll does not allow changing votes.
    NotAllowed,
    /// The poll is scheduled or closed.
    PollNotOpen(PollStatus),
    /// The poll does not exist.
    PollMissing,
}

impl Store {
    /// Changes or retracts a ballot; returns the outcome and, when counters moved, the
    /// poll's new tally.
    pub async fn commit_vote_change(
        &self,
        request: &ChangeRequest,
        clock: &dyn Clock,
    ) -> Result<(ChangeOutcome, Option<Tally>), DbErr> {
        let txn = self.begin_write().await?;
        let Some(poll) = polls::Entity::find_by_id(request.poll_id)
            .lock(LockType::NoKeyUpdate)
            .one(&txn)
            .await?
        else {
            return Ok((ChangeOutcome::PollMissing, None));
        };
        let now = clock.now();

        let used = vote_events::Entity::find()
            .filter(vote_events::Column::UserId.eq(request.user_id))
            .filter(vote_events::Column::IdempotencyKey.eq(request.key.as_str()))
            .one(&txn)
            .await?;
        if let Some(event) = used {
            let outcome = if event.request_hash == request.request_hash {
                ChangeOutcome::Replayed(Vote {
                    id: event.vote_id,
                    poll_id: event.poll_id,
                    user_id: event.user_id,
                    option_ids: split_ids(if request.choice.is_some() {
                        &event.new_choices
                    } else {
                        &event.old_choices
                    }),
                    cast_at: event.at,
                    updated_at: event.at,
                })
            } else {
                ChangeOutcome::KeyReused
            };
            return Ok((outcome, None));
        }
        if !poll.allow_vote_change {
            return Ok((ChangeOutcome::NotAllowed, None));
        }
        let status = PollStatus::at(now, poll.opens_at, poll.closes_at, poll.closed_at);
        if status != PollStatus::Open {
            return Ok((ChangeOutcome::PollNotOpen(status), None));
        }
        let ballot = Condition::all()
            .add(votes::Column::PollId.eq(request.poll_id))
            .add(votes::Column::UserId.eq(request.user_id));
        let Some(old) = load_votes(&txn, ballot).await?.into_iter().next() else {
            return Ok((ChangeOutcome::NoBallot, None));
        };

        let old_set: BTreeSet<Uuid> = old.option_ids.iter().copied().collect();
        let new_set: BTreeSet<Uuid> = request
            .choice
            .as_ref()
            .map(|c| c.ids().iter().copied().collect())
            .unwrap_or_default();
        let mut deltas = CounterDeltas::default();
        for option in old_set.difference(&new_set) {
            deltas.options.insert(*option, -1);
        }
        for option in new_set.difference(&old_set) {
            deltas.options.insert(*option, 1);
        }
        deltas.polls.insert(
            request.poll_id,
            if request.choice.is_some() { 0 } else { -1 },
        );

        vote_choices::Entity::delete_many()
            .filter(vote_choices::Column::VoteId.eq(old.id))
            .exec(&txn)
            .await?;
        let outcome = match &request.choice {
            Some(choice) => {
                if !choice.is_empty() {
                    vote_choices::Entity::insert_many(choice.ids().iter().map(|&option| {
                        vote_choices::ActiveModel {
                            vote_id: Set(old.id),
                            option_id: Set(option),
                            poll_id: Set(request.poll_id),
                            value: Set(0),
                        }
                    }))
                    .exec_without_returning(&txn)
                    .await?;
                }
                votes::Entity::update(votes::ActiveModel {
                    id: Set(old.id),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .exec(&txn)
                .await?;
                ChangeOutcome::Changed(Vote {
                    option_ids: choice.ids().to_vec(),
                    updated_at: now,
                    ..old.clone()
                })
            }
            None => {
                votes::Entity::delete_by_id(old.id).exec(&txn).await?;
                ChangeOutcome::Retracted(old.clone())
            }
        };
        insert_change_event(&txn, request, &old, now).await?;
        deltas.apply(&txn).await?;
        let tally = read_tallies(&txn, &[request.poll_id], now).await?.pop();
        txn.commit().await?;
        Ok((outcome, tally))
    }
}

async fn insert_change_event(
    conn: &impl ConnectionTrait,
    request: &ChangeRequest,
    old: &Vote,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    vote_events::Entity::insert(vote_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        poll_id: Set(request.poll_id),
        vote_id: Set(old.id),
        user_id: Set(request.user_id),
        action: Set(request.action().as_str().to_owned()),
        old_choices: Set(join_ids(&old.option_ids)),
        new_choices: Set(request
            .choice
            .as_ref()
            .map(Choice::to_stored)
            .unwrap_or_default()),
        idempotency_key: Set(request.key.as_str().to_owned()),
        request_hash: Set(request.request_hash.clone()),
        at: Set(now),
        request_id: Set(request.request_id.clone()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
