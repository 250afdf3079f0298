//! Changing and retracting a ballot, each in its own transaction.
//!
//! These are rare next to `castVote`, so they are not batched. Like a cast, each takes
//! the poll's row lock first, gathers the [rulebook]'s facts under it (the poll, the
//! key's first use, the ballot), and, when the rulebook says write, records its key in
//! the audit log (so a retry replays) and moves the counters in the same transaction as
//! the ballot.
//!
//! [rulebook]: crate::domain::rulebook

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{polls, vote_choices, vote_events, votes};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::Store;
use super::ballots::{load_stored, read_ballot};
use super::tallies::{CounterDeltas, read_tallies};
use crate::clock::Clock;
use crate::domain::kinds::BallotRules;
use crate::domain::rulebook::{self, Decision, Facts, PollFacts};
use crate::domain::{
    Ballot, IdempotencyKey, PollId, PollStatus, RequestHash, Tally, TallyContribution, UserId,
    Vote, VoteAction,
};

/// A `changeVote` (with a new ballot) or `retractVote` (without).
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    /// The poll.
    pub poll_id: PollId,
    /// The voter.
    pub user_id: UserId,
    /// The new ballot; `None` retracts the ballot.
    pub ballot: Option<Ballot>,
    /// What the new ballot adds to the tally; `None` on a retraction.
    pub contribution: Option<TallyContribution>,
    /// The poll's ballot rules: how the stored ballot reads, and what it took from
    /// the tally.
    pub rules: Arc<BallotRules>,
    /// The call's idempotency key.
    pub key: IdempotencyKey,
    /// Fingerprint of the call's input.
    pub request_hash: RequestHash,
    /// The HTTP request that carried it.
    pub request_id: Option<String>,
}

impl ChangeRequest {
    fn action(&self) -> VoteAction {
        if self.ballot.is_some() {
            VoteAction::Change
        } else {
            VoteAction::Retract
        }
    }
}

/// What became of a change or retraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// The ballot now says what the change asked.
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

/// The rulebook's facts about one change or retraction, gathered with the poll's row
/// locked, and what the store needs to apply or answer it.
struct Gathered {
    /// The clock, read after the lock.
    now: DateTime<Utc>,
    /// The poll, judged at `now`.
    poll: PollFacts,
    /// The first use of the call's key, with the fingerprint it was used with.
    used: Option<(RequestHash, vote_events::Model)>,
    /// The voter's ballot on the poll.
    ballot: Option<Vote>,
}

impl Gathered {
    /// Locks the poll's row, then reads the facts of `request` at a clock read after it.
    async fn read(
        conn: &impl ConnectionTrait,
        request: &ChangeRequest,
        clock: &dyn Clock,
    ) -> Result<Self, DbErr> {
        let row = polls::Entity::find_by_id(request.poll_id.uuid())
            .lock(LockType::NoKeyUpdate)
            .one(conn)
            .await?;
        let now = clock.now();
        let poll = match row {
            None => PollFacts::Missing,
            Some(poll) => PollFacts::Found {
                status: PollStatus::at(now, poll.opens_at, poll.closes_at, poll.closed_at),
                allow_vote_change: poll.allow_vote_change,
            },
        };
        let used = vote_events::Entity::find()
            .filter(vote_events::Column::UserId.eq(request.user_id.uuid()))
            .filter(vote_events::Column::IdempotencyKey.eq(request.key.as_str()))
            .one(conn)
            .await?
            .map(|event| (RequestHash::from_stored(event.request_hash.clone()), event));
        let ballot = Condition::all()
            .add(votes::Column::PollId.eq(request.poll_id.uuid()))
            .add(votes::Column::UserId.eq(request.user_id.uuid()));
        let ballot = load_stored(conn, ballot)
            .await?
            .into_iter()
            .next()
            .map(|stored| read_ballot(stored, request.rules.kind));
        Ok(Gathered {
            now,
            poll,
            used,
            ballot,
        })
    }

    /// What the rulebook decides for `request` over these facts.
    fn decide(&self, request: &ChangeRequest) -> Decision {
        rulebook::decide(&Facts {
            action: request.action(),
            request: &request.request_hash,
            key_used_with: self.used.as_ref().map(|(hash, _)| hash),
            poll: self.poll,
            has_ballot: self.ballot.is_some(),
        })
    }
}

/// The answer to a call whose key was used before with the same input: the ballot as
/// that call left it (after a change) or found it (before a retraction).
fn replayed(request: &ChangeRequest, event: &vote_events::Model) -> Vote {
    Vote {
        id: event.vote_id,
        poll_id: event.poll_id,
        user_id: event.user_id,
        ballot: Ballot::from_stored(
            request.rules.kind,
            if request.ballot.is_some() {
                &event.new_choices
            } else {
                &event.old_choices
            },
        ),
        cast_at: event.at,
        updated_at: event.at,
    }
}

/// A decision the facts cannot have led to (the rulebook's tests rule it out).
fn impossible(request: &ChangeRequest, decision: Decision) -> DbErr {
    DbErr::Custom(format!(
        "the rulebook answered {decision:?} to a {} without the facts for it",
        request.action().as_str()
    ))
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
        let gathered = Gathered::read(&txn, request, clock).await?;
        let outcome = match gathered.decide(request) {
            Decision::Write => {
                let old = gathered
                    .ballot
                    .ok_or_else(|| impossible(request, Decision::Write))?;
                let outcome = apply(&txn, request, &old, gathered.now).await?;
                let tally = read_tallies(&txn, &[request.poll_id.uuid()], gathered.now)
                    .await?
                    .pop();
                txn.commit().await?;
                return Ok((outcome, tally));
            }
            Decision::Replay => match &gathered.used {
                Some((_, event)) => ChangeOutcome::Replayed(replayed(request, event)),
                None => return Err(impossible(request, Decision::Replay)),
            },
            Decision::KeyReused => ChangeOutcome::KeyReused,
            Decision::PollMissing => ChangeOutcome::PollMissing,
            Decision::NotAllowed => ChangeOutcome::NotAllowed,
            Decision::PollNotOpen(status) => ChangeOutcome::PollNotOpen(status),
            Decision::NoBallot => ChangeOutcome::NoBallot,
            decision @ Decision::AlreadyVoted => return Err(impossible(request, decision)),
        };
        Ok((outcome, None))
    }
}

/// Writes a change or retraction of the ballot `old`: its `vote_choices` rows (with
/// rank or score), its row, the audit event and the counters.
async fn apply(
    conn: &impl ConnectionTrait,
    request: &ChangeRequest,
    old: &Vote,
    now: DateTime<Utc>,
) -> Result<ChangeOutcome, DbErr> {
    // Read before the old choices are deleted below.
    let deltas = counter_deltas(request, old);
    vote_choices::Entity::delete_many()
        .filter(vote_choices::Column::VoteId.eq(old.id))
        .exec(conn)
        .await?;
    let outcome = match &request.ballot {
        Some(new) => {
            let rows = new.rows();
            if !rows.is_empty() {
                vote_choices::Entity::insert_many(rows.into_iter().map(|(option, value)| {
                    vote_choices::ActiveModel {
                        vote_id: Set(old.id),
                        option_id: Set(option.0),
                        poll_id: Set(request.poll_id.uuid()),
                        value: Set(value),
                    }
                }))
                .exec_without_returning(conn)
                .await?;
            }
            votes::Entity::update(votes::ActiveModel {
                id: Set(old.id),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(conn)
            .await?;
            ChangeOutcome::Changed(Vote {
                ballot: new.clone(),
                updated_at: now,
                ..old.clone()
            })
        }
        None => {
            votes::Entity::delete_by_id(old.id).exec(conn).await?;
            ChangeOutcome::Retracted(old.clone())
        }
    };
    insert_change_event(conn, request, old, now).await?;
    deltas.apply(conn).await?;
    Ok(outcome)
}

/// The counters a change or retraction of `old` moves: the old ballot's contribution
/// (as the poll's kind defines it, from the ballot read under the poll's lock) taken
/// away, the new one's added.
fn counter_deltas(request: &ChangeRequest, old: &Vote) -> CounterDeltas {
    let mut deltas = CounterDeltas::default();
    let old_contribution = request.rules.contribution(&old.ballot);
    deltas.add_contribution(request.poll_id.uuid(), &old_contribution, -1);
    if let Some(new) = &request.contribution {
        deltas.add_contribution(request.poll_id.uuid(), new, 1);
    }
    deltas.polls.insert(
        request.poll_id.uuid(),
        if request.ballot.is_some() { 0 } else { -1 },
    );
    deltas
}

async fn insert_change_event(
    conn: &impl ConnectionTrait,
    request: &ChangeRequest,
    old: &Vote,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    vote_events::Entity::insert(vote_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        poll_id: Set(request.poll_id.uuid()),
        vote_id: Set(old.id),
        user_id: Set(request.user_id.uuid()),
        action: Set(request.action().as_str().to_owned()),
        old_choices: Set(old.ballot.to_stored()),
        new_choices: Set(request
            .ballot
            .as_ref()
            .map(Ballot::to_stored)
            .unwrap_or_default()),
        idempotency_key: Set(request.key.as_str().to_owned()),
        request_hash: Set(request.request_hash.as_str().to_owned()),
        at: Set(now),
        request_id: Set(request.request_id.clone()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
